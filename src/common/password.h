/* Staff passwords: argon2id through libsodium (interactive limits). Slow on purpose: call
 * from a worker thread or the CLI, never on an event loop. */
#ifndef PARLEY_PASSWORD_H
#define PARLEY_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#define PASSWORD_HASH_MAX 128 /* >= crypto_pwhash_STRBYTES */
#define PASSWORD_MIN_LEN  8
#define PASSWORD_MAX_LEN  256

/* Writes the encoded hash ($argon2id$…) into out. Returns 0, or PARLEY_ENOMEM. */
int password_hash(const char *password, char out[PASSWORD_HASH_MAX]);
/* Constant-time verification; false for any malformed hash. */
bool password_verify(const char *hash, const char *password);

#endif
