/* Visitor tokens for the web widget: stateless bearer tokens HMAC-signed with the tenant's
 * server-side token_key (docs/api.md). Pure functions, no I/O, safe on any thread.
 *
 *   v1.<tenant_id>.<customer_id>.<expires_ms>.<hex HMAC-SHA256(token_key, "v1.<t>.<c>.<e>")>
 *
 * Ids and the expiry are positive decimal integers without sign or leading zero; the MAC is
 * 64 lower-case hex digits. Anything else is malformed. */
#ifndef PARLEY_HTTP_VISITOR_TOKEN_H
#define PARLEY_HTTP_VISITOR_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

/* Longest well-formed token ("v1." + 3 × 19 digits + 3 dots + 64 hex) plus room for the NUL.
 * Longer input is refused before any parsing. */
#define VISITOR_TOKEN_MAX 136

struct visitor_token {
    int64_t tenant_id;
    int64_t customer_id;
    int64_t expires_ms; /* UTC milliseconds */
};

/* Writes the token for t into out (outsize >= VISITOR_TOKEN_MAX). key is the tenant's
 * token_key (keylen bytes). Returns 0, or PARLEY_EINVAL when a field is not positive or out
 * is too small. */
int visitor_token_sign(const void *key, size_t keylen, const struct visitor_token *t, char *out,
                       size_t outsize, struct parley_err *err);

/* Parses without checking the MAC or the expiry (to learn which tenant's key to verify
 * with). token need not be NUL-terminated. Returns 0, or PARLEY_EAUTH when malformed. */
int visitor_token_parse(const char *token, size_t len, struct visitor_token *out,
                        struct parley_err *err);

/* Parses, checks the MAC in constant time against key and the expiry against now_ms.
 * Returns 0 with *out filled, or PARLEY_EAUTH (malformed, wrong MAC, expired). */
int visitor_token_verify(const char *token, size_t len, const void *key, size_t keylen,
                         int64_t now_ms, struct visitor_token *out, struct parley_err *err);

#endif
