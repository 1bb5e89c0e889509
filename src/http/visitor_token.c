/* Visitor tokens: strict parsing (bounded length, decimal fields checked for overflow before
 * they are multiplied), HMAC-SHA256 signing and constant-time verification. */
#include "visitor_token.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../common/util.h"

#define MAC_HEX      64
#define FIELD_DIGITS 19 /* INT64_MAX has 19 digits */

/* Reads one positive decimal field ending at `stop` (or at the end when stop is 0). No sign,
 * no leading zero, no overflow. Advances *pos past the field. */
static bool read_field(const char *s, size_t len, size_t *pos, char stop, int64_t *out)
{
    size_t i = *pos;
    int64_t v = 0;
    size_t digits = 0;
    while (i < len && s[i] != stop) {
        char c = s[i];
        if (c < '0' || c > '9') return false;
        if (digits == 0 && c == '0') return false; /* leading zero, or zero itself */
        if (++digits > FIELD_DIGITS) return false;
        int d = c - '0';
        if (v > (INT64_MAX - d) / 10) return false;
        v = v * 10 + d;
        i++;
    }
    if (digits == 0) return false;
    *pos = i;
    *out = v;
    return true;
}

int visitor_token_parse(const char *token, size_t len, struct visitor_token *out,
                        struct parley_err *err)
{
    if (token == NULL || len >= VISITOR_TOKEN_MAX || len < 3 || memcmp(token, "v1.", 3) != 0)
        return parley_fail(err, PARLEY_EAUTH, NULL, "malformed visitor token");
    size_t pos = 3;
    struct visitor_token t;
    if (!read_field(token, len, &pos, '.', &t.tenant_id) || pos >= len || token[pos++] != '.' ||
        !read_field(token, len, &pos, '.', &t.customer_id) || pos >= len || token[pos++] != '.' ||
        !read_field(token, len, &pos, '.', &t.expires_ms) || pos >= len || token[pos++] != '.')
        return parley_fail(err, PARLEY_EAUTH, NULL, "malformed visitor token");
    if (len - pos != MAC_HEX)
        return parley_fail(err, PARLEY_EAUTH, NULL, "malformed visitor token");
    for (size_t i = pos; i < len; i++) {
        char c = token[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return parley_fail(err, PARLEY_EAUTH, NULL, "malformed visitor token");
    }
    if (out != NULL) *out = t;
    return 0;
}

/* The signed part: "v1.<t>.<c>.<e>". Returns its length, or 0 when it does not fit. */
static size_t payload(const struct visitor_token *t, char *buf, size_t size)
{
    int n = snprintf(buf, size, "v1.%lld.%lld.%lld", (long long)t->tenant_id,
                     (long long)t->customer_id, (long long)t->expires_ms);
    return (n > 0 && (size_t)n < size) ? (size_t)n : 0;
}

int visitor_token_sign(const void *key, size_t keylen, const struct visitor_token *t, char *out,
                       size_t outsize, struct parley_err *err)
{
    if (t->tenant_id <= 0 || t->customer_id <= 0 || t->expires_ms <= 0)
        return parley_fail(err, PARLEY_EINVAL, NULL, "visitor token fields must be positive");
    if (outsize < VISITOR_TOKEN_MAX)
        return parley_fail(err, PARLEY_EINVAL, NULL, "visitor token buffer too small");
    size_t n = payload(t, out, outsize);
    if (n == 0 || n + 1 + MAC_HEX >= outsize)
        return parley_fail(err, PARLEY_EINVAL, NULL, "visitor token buffer too small");
    char mac[MAC_HEX + 1];
    util_hmac_sha256_hex(key, keylen, out, n, mac);
    out[n] = '.';
    memcpy(out + n + 1, mac, MAC_HEX + 1);
    return 0;
}

int visitor_token_verify(const char *token, size_t len, const void *key, size_t keylen,
                         int64_t now_ms, struct visitor_token *out, struct parley_err *err)
{
    struct visitor_token t;
    if (visitor_token_parse(token, len, &t, err) != 0) return PARLEY_EAUTH;
    /* The MAC covers "v1.<t>.<c>.<e>": parsing refuses every non-canonical spelling of the
     * fields, so the token's own prefix is exactly the canonical encoding that was signed
     * (no need to print it again). */
    char expect[MAC_HEX + 1];
    char given[MAC_HEX + 1];
    size_t n = len - 1 - MAC_HEX; /* parse checked: "<payload>.<64 hex>" */
    util_hmac_sha256_hex(key, keylen, token, n, expect);
    memcpy(given, token + n + 1, MAC_HEX);
    given[MAC_HEX] = '\0';
    if (!util_ct_equal(expect, given))
        return parley_fail(err, PARLEY_EAUTH, NULL, "visitor token signature does not match");
    if (t.expires_ms <= now_ms)
        return parley_fail(err, PARLEY_EAUTH, NULL, "visitor token has expired");
    if (out != NULL) *out = t;
    return 0;
}
