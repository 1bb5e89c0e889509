/* Small helpers shared by every module: time, UTF-8 validation, random tokens, hashing and
 * encodings. Everything here is pure or thread-safe. */
#ifndef PARLEY_UTIL_H
#define PARLEY_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* Wall clock, UTC milliseconds since the epoch (what storage keeps). */
int64_t util_now_ms(void);
/* Monotonic clock in nanoseconds, for durations. */
int64_t util_mono_ns(void);
/* The CLOCK_REALTIME instant ms milliseconds from now, for pthread_cond_timedwait. */
struct timespec;
void util_deadline_in(int64_t ms, struct timespec *ts);

/* True when s[0..len) is well-formed UTF-8 with no NUL byte and no overlong forms,
 * surrogates or code points above U+10FFFF. */
bool util_utf8_valid(const char *s, size_t len);
/* Number of code points in valid UTF-8. */
size_t util_utf8_length(const char *s, size_t len);

/* Random bytes encoded base64url (no padding) into out (size >= 2*nbytes). Returns out.
 * Requires util_crypto_init() first. */
int util_crypto_init(void);
char *util_random_token(char *out, size_t outsize, size_t nbytes);

/* Hex SHA-256 (64 chars + NUL) of data, for storing tokens hashed at rest. */
void util_sha256_hex(const void *data, size_t len, char out[65]);
/* Hex HMAC-SHA-256 (64 chars + NUL). */
void util_hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t len,
                          char out[65]);
/* Constant-time comparison of two NUL-terminated strings. */
bool util_ct_equal(const char *a, const char *b);

/* FNV-1a: folds n bytes at p into h (start from UTIL_FNV1A_BASIS). Not for anything an
 * attacker chooses to collide: for in-memory tables and feature hashing. */
#define UTIL_FNV1A_BASIS UINT64_C(0xcbf29ce484222325)
static inline uint64_t util_fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * UINT64_C(0x100000001b3);
    return h;
}

/* Lower-case in place (ASCII only). */
void util_ascii_lower(char *s);

#endif
