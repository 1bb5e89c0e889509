/* Unit tests for src/core/redact.c: each rule of the pattern table on what it must mask and
 * what it must leave alone, the JSON helpers, and the table itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/arena.h"
#include "core/redact.h"

struct arena arena;

static const char *red(const char *s)
{
    return redact_text(s, strlen(s), &arena, NULL);
}

static size_t count(const char *s)
{
    size_t n = 99;
    redact_text(s, strlen(s), &arena, &n);
    return n;
}

static void emails(void **state)
{
    (void)state;
    assert_string_equal(red("write to jane.smith+bills@example.co.uk today"),
                        "write to [email] today");
    assert_string_equal(red("(JS@Mail.Example.com)."), "([email]).");
    assert_string_equal(red("a@b.cc"), "[email]");
    /* not addresses: no domain dot, a one-letter or numeric top level, a bare @ */
    assert_string_equal(red("user@localhost"), "user@localhost");
    assert_string_equal(red("x@y.c"), "x@y.c");
    assert_string_equal(red("a@b.123"), "a@b.123");
    assert_string_equal(red("@ home"), "@ home");
    assert_string_equal(red("meet @ 5"), "meet @ 5");
}

static void cards(void **state)
{
    (void)state;
    /* Luhn-valid test numbers, with and without separators */
    assert_string_equal(red("card 4111111111111111."), "card [card].");
    assert_string_equal(red("4111 1111 1111 1111"), "[card]");
    assert_string_equal(red("5500-0000-0000-0004 exp"), "[card] exp");
    assert_string_equal(red("amex 378282246310005"), "amex [card]");
    /* Luhn-invalid 16 digits are still a long number */
    assert_string_equal(red("4111111111111112"), "[number]");
    /* with separators and Luhn-invalid: groups of 4 are too short to be account numbers */
    assert_string_equal(red("4111 1111 1111 1112"), "4111 1111 1111 1112");
    /* 20 digits is no card */
    assert_string_equal(red("41111111111111111111"), "[number]");
    /* double separators break the run */
    assert_string_equal(red("4111  1111"), "4111  1111");
}

static void phones(void **state)
{
    (void)state;
    assert_string_equal(red("call 07700 900123 now"), "call [phone] now");
    assert_string_equal(red("07700900123"), "[phone]");
    assert_string_equal(red("+44 7700 900123"), "[phone]");
    assert_string_equal(red("+447700900123"), "[phone]");
    assert_string_equal(red("+44 (0) 20 7946 0958"), "[phone]");
    assert_string_equal(red("(020) 7946 0958"), "[phone]");
    assert_string_equal(red("0044 20-7946-0958"), "[phone]");
    assert_string_equal(red("0161 496 0000"), "[phone]");
    /* too short, too long, a 00 national part */
    assert_string_equal(red("0123 4567"), "0123 4567");
    /* the longest leading run of whole groups: what follows does not undo the match */
    assert_string_equal(red("tel 01234 567890 12"), "tel [phone] 12");
    assert_string_equal(red("020 7946 0958 123456"), "[phone] [number]");
    assert_string_equal(red("4111 1111 1111 1111 2024"), "[card] 2024");
    assert_string_equal(red("00123456789"), "[number]");
}

static void postcodes(void **state)
{
    (void)state;
    assert_string_equal(red("SW1A 1AA"), "[postcode]");
    assert_string_equal(red("at m1 1ae, Manchester"), "at [postcode], Manchester");
    assert_string_equal(red("EC1A1BB"), "[postcode]");
    assert_string_equal(red("B33 8TH"), "[postcode]");
    assert_string_equal(red("CR2 6XH."), "[postcode].");
    /* glued to other letters, or not the shape */
    assert_string_equal(red("XSW1A 1AA"), "XSW1A 1AA");
    assert_string_equal(red("SW1A 1AAB"), "SW1A 1AAB");
    assert_string_equal(red("A1 BC"), "A1 BC");
    assert_string_equal(red("v2 ok"), "v2 ok");
}

static void account_numbers(void **state)
{
    (void)state;
    assert_string_equal(red("account 12345678"), "account [number]");
    assert_string_equal(red("ref ACME-100231 ok"), "ref ACME-[number] ok");
    assert_string_equal(red("123456"), "[number]");
    assert_string_equal(red("12345"), "12345");
    /* glued to letters: an identifier, not an account number */
    assert_string_equal(red("abc123456"), "abc123456");
    assert_string_equal(red("123456abc"), "123456abc");
    assert_string_equal(red("£1234567.89"), "£[number].89");
}

static void counts_and_text_outside_matches(void **state)
{
    (void)state;
    assert_int_equal(count("nothing to see"), 0);
    assert_int_equal(count("a@b.cc 123456 07700900123"), 3);
    assert_string_equal(red(""), "");
    /* UTF-8 around matches is kept byte for byte */
    assert_string_equal(red("Zoë — 123456 — ☎"), "Zoë — [number] — ☎");
    /* NULL is the empty text */
    assert_string_equal(redact_text(NULL, 5, &arena, NULL), "");
    /* bytes after a NUL are still redacted (JSON strings may hold \u0000) */
    const char in[] = "a\0"
                      "123456";
    size_t n = 0;
    const char *out = redact_text(in, sizeof(in) - 1, &arena, &n);
    assert_int_equal(n, 1);
    assert_memory_equal(out, "a\0[number]", 11);
}

static void json_fields(void **state)
{
    (void)state;
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:I}", "body", "card 4111111111111111", "subject",
                          "re 07700900123", "reference", "ACME-100231", "needs_note",
                          "lives at SW1A 1AA", "created_at", (json_int_t)1764547200000);
    assert_int_equal(redact_json_fields(j, &arena), 0);
    assert_string_equal(json_string_value(json_object_get(j, "body")), "card [card]");
    assert_string_equal(json_string_value(json_object_get(j, "subject")), "re [phone]");
    assert_string_equal(json_string_value(json_object_get(j, "needs_note")), "lives at [postcode]");
    /* other members are not free text: references and times stay */
    assert_string_equal(json_string_value(json_object_get(j, "reference")), "ACME-100231");
    assert_int_equal(json_integer_value(json_object_get(j, "created_at")), 1764547200000);
    json_decref(j);

    const char *t =
        redact_json_text("{\"id\":1234567,\"body\":\"mail a@b.cc\",\"internal\":true}", &arena);
    assert_non_null(t);
    assert_string_equal(t, "{\"id\":1234567,\"body\":\"mail [email]\",\"internal\":true}");
    assert_null(redact_json_text("[1,2]", &arena));
    assert_null(redact_json_text("{not json", &arena));
    assert_null(redact_json_text(NULL, &arena));
}

static void the_table(void **state)
{
    (void)state;
    const struct redact_rule_info *rules = NULL;
    size_t n = redact_rules(&rules);
    assert_int_equal(n, 5);
    static const char *const names[] = {"email", "card", "phone", "postcode", "number"};
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(rules[i].name, names[i]);
        assert_true(rules[i].token[0] == '[' && strlen(rules[i].token) <= 10);
        assert_true(strlen(rules[i].what) > 10);
    }
}

static int setup(void **state)
{
    (void)state;
    arena_init(&arena);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    arena_free(&arena);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(emails, setup, teardown),
        cmocka_unit_test_setup_teardown(cards, setup, teardown),
        cmocka_unit_test_setup_teardown(phones, setup, teardown),
        cmocka_unit_test_setup_teardown(postcodes, setup, teardown),
        cmocka_unit_test_setup_teardown(account_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(counts_and_text_outside_matches, setup, teardown),
        cmocka_unit_test_setup_teardown(json_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(the_table, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
