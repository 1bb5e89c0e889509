/* Unit tests for src/common: arena, UTF-8 validation, error values, token helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/arena.h"
#include "common/err.h"
#include "common/password.h"
#include "common/util.h"

static void arena_gives_zeroed_aligned_memory_and_frees_in_one_shot(void **state)
{
    struct arena a;
    arena_init(&a);
    for (int i = 0; i < 1000; i++) {
        unsigned char *p = arena_alloc(&a, (size_t)(i % 97) + 1);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % sizeof(max_align_t), 0);
        for (int k = 0; k < (i % 97) + 1; k++) assert_int_equal(p[k], 0);
        memset(p, 0xAB, (size_t)(i % 97) + 1);
    }
    char *big = arena_alloc(&a, 100000); /* larger than a block */
    assert_non_null(big);
    big[99999] = 'x';
    assert_string_equal(arena_printf(&a, "%s-%d", "ACME", 10001), "ACME-10001");
    assert_string_equal(arena_strndup(&a, "hello world", 5), "hello");
    assert_null(arena_strdup(&a, NULL));
    arena_free(&a);
    assert_null(a.head);
    arena_free(&a); /* twice is safe */
}

static void utf8_validation_rejects_malformed_sequences(void **state)
{
    assert_true(util_utf8_valid("plain ascii", 11));
    assert_true(util_utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14));
    assert_false(util_utf8_valid("\xc3", 1));             /* truncated */
    assert_false(util_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
    assert_false(util_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(util_utf8_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
    assert_false(util_utf8_valid("\xff", 1));
    assert_false(util_utf8_valid("a\0b", 3)); /* NUL inside */
    assert_false(util_utf8_valid("\xe2\x82", 2));
    assert_int_equal(util_utf8_length("caf\xc3\xa9", 5), 4);
}

static void errors_carry_code_field_and_message(void **state)
{
    struct parley_err e;
    assert_int_equal(parley_fail(&e, PARLEY_EINVAL, "body", "body is %d bytes", 20000),
                     PARLEY_EINVAL);
    assert_int_equal(e.code, PARLEY_EINVAL);
    assert_string_equal(e.field, "body");
    assert_string_equal(e.message, "body is 20000 bytes");
    assert_string_equal(parley_err_code_name(PARLEY_ENOTFOUND), "not_found");
    assert_string_equal(parley_err_code_name(PARLEY_ECONFLICT), "conflict");
    assert_int_equal(parley_fail(NULL, PARLEY_EPERM, NULL, "x"), PARLEY_EPERM);
    parley_err_clear(&e);
    assert_int_equal(e.code, 0);
    assert_string_equal(e.field, "");
}

static void tokens_hashes_and_hmac(void **state)
{
    char a[128], b[128], h[65], m[65];
    util_random_token(a, sizeof(a), 32);
    util_random_token(b, sizeof(b), 32);
    assert_int_equal(strlen(a), 43); /* 32 bytes base64url without padding */
    assert_string_not_equal(a, b);
    util_sha256_hex("abc", 3, h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* RFC 4231 test case 2 */
    util_hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28, m);
    assert_string_equal(m, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    assert_true(util_ct_equal(h, h));
    assert_false(util_ct_equal(h, m));
    assert_false(util_ct_equal("abc", "abcd"));
}

static void passwords_are_argon2id_and_verify(void **state)
{
    char hash[PASSWORD_HASH_MAX];
    assert_int_equal(password_hash("correct horse", hash), 0);
    assert_memory_equal(hash, "$argon2id$", 10);
    assert_true(password_verify(hash, "correct horse"));
    assert_false(password_verify(hash, "correct horsf"));
    assert_false(password_verify("not a hash", "correct horse"));
    assert_false(password_verify(NULL, "x"));
}

int main(void)
{
    util_crypto_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arena_gives_zeroed_aligned_memory_and_frees_in_one_shot),
        cmocka_unit_test(utf8_validation_rejects_malformed_sequences),
        cmocka_unit_test(errors_carry_code_field_and_message),
        cmocka_unit_test(tokens_hashes_and_hmac),
        cmocka_unit_test(passwords_are_argon2id_and_verify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
