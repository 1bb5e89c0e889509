/* libFuzzer target for visitor tokens: arbitrary bytes as a bearer token. Beyond "no crash"
 * it checks the parser's promises: a parsed token has positive fields and re-signs to the
 * same text (one spelling per token), verification accepts exactly that text, and every
 * failure is PARLEY_EAUTH with a message. The key is fixed: attackers never choose it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/visitor_token.h"

static const char key[] = "fuzz-token-key";

static void must(int ok)
{
    if (!ok) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    struct visitor_token t, v;
    struct parley_err err = {0};
    int rc = visitor_token_parse(in, size, &t, &err);
    if (rc != 0) {
        must(rc == PARLEY_EAUTH && err.code == PARLEY_EAUTH && err.message[0] != '\0');
        must(visitor_token_verify(in, size, key, sizeof(key) - 1, 0, &v, &err) == PARLEY_EAUTH);
        return 0;
    }
    must(size < VISITOR_TOKEN_MAX);
    must(t.tenant_id > 0 && t.customer_id > 0 && t.expires_ms > 0);

    /* Re-signing the parsed fields gives the same payload: the MAC is the only free part. */
    char signed_tok[VISITOR_TOKEN_MAX];
    must(visitor_token_sign(key, sizeof(key) - 1, &t, signed_tok, sizeof(signed_tok), &err) == 0);
    size_t n = strlen(signed_tok);
    must(n == size);
    must(memcmp(signed_tok, in, size - 64) == 0);

    /* The fresh token verifies (before expiry) and round-trips; it expires on time. */
    must(visitor_token_verify(signed_tok, n, key, sizeof(key) - 1, t.expires_ms - 1, &v, &err) ==
         0);
    must(v.tenant_id == t.tenant_id && v.customer_id == t.customer_id &&
         v.expires_ms == t.expires_ms);
    must(visitor_token_verify(signed_tok, n, key, sizeof(key) - 1, t.expires_ms, &v, &err) ==
         PARLEY_EAUTH);

    /* The input verifies exactly when it is that token. */
    rc = visitor_token_verify(in, size, key, sizeof(key) - 1, t.expires_ms - 1, &v, &err);
    must((rc == 0) == (memcmp(signed_tok, in, size) == 0));
    must(rc == 0 || rc == PARLEY_EAUTH);
    return 0;
}
