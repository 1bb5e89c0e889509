/* argon2id hashing and verification (libsodium's crypto_pwhash_str family). */
#include "password.h"

#include <sodium.h>
#include <string.h>

#include "err.h"

_Static_assert(PASSWORD_HASH_MAX >= crypto_pwhash_STRBYTES, "hash buffer too small");

int password_hash(const char *password, char out[PASSWORD_HASH_MAX])
{
    if (crypto_pwhash_str_alg(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return PARLEY_ENOMEM;
    return 0;
}

bool password_verify(const char *hash, const char *password)
{
    if (hash == NULL || strncmp(hash, "$argon2id$", 10) != 0) return false;
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}
