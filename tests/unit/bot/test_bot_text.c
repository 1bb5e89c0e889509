/* Unit tests for what the bot reads in customers' messages: the answer validators and the
 * phrase table (src/bot/bot_validate.c, src/bot/bot_phrases.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "bot/bot_text.h"

#define NOW_MS 1796083200000LL /* 2026-12-01T00:00:00Z */

static const char *valid(const struct flow_input *in, const char *text)
{
    static char out[512];
    int rc = bot_validate(in, text, strlen(text), NOW_MS, out, sizeof(out));
    if (rc != 0) fail_msg("\"%s\" was refused: %s", text, out);
    return out;
}

static void refused(const struct flow_input *in, const char *text, const char *hint_part)
{
    char out[512];
    int rc = bot_validate(in, text, strlen(text), NOW_MS, out, sizeof(out));
    if (rc == 0) fail_msg("\"%s\" was accepted as \"%s\"", text, out);
    assert_int_equal(rc, PARLEY_EINVAL);
    if (strstr(out, hint_part) == NULL) fail_msg("hint \"%s\" lacks \"%s\"", out, hint_part);
}

static void numbers_inside_free_text_with_ranges(void **state)
{
    struct flow_input in = {.type = INPUT_NUMBER,
                            .has_min = true,
                            .min = 0,
                            .has_max = true,
                            .max = 99999,
                            .integer = true};
    assert_string_equal(valid(&in, "12345"), "12345");
    assert_string_equal(valid(&in, "it says 04521 I think"), "04521"); /* digits as written */
    assert_string_equal(valid(&in, "12,345"), "12345");
    refused(&in, "no idea", "whole number between 0 and 99999");
    refused(&in, "123456", "between 0 and 99999");
    refused(&in, "12.5", "whole number");
    struct flow_input any = {.type = INPUT_NUMBER};
    assert_string_equal(valid(&any, "-3.25 degrees"), "-3.25");
}

static void dates_in_many_forms(void **state)
{
    struct flow_input in = {.type = INPUT_DATE};
    assert_string_equal(valid(&in, "2026-12-14"), "2026-12-14");
    assert_string_equal(valid(&in, "on 14/12/2026 please"), "2026-12-14");
    assert_string_equal(valid(&in, "14-12-26"), "2026-12-14");
    assert_string_equal(valid(&in, "14th December 2026"), "2026-12-14");
    assert_string_equal(valid(&in, "December 14 2026"), "2026-12-14");
    assert_string_equal(valid(&in, "3 jan"), "2026-01-03");
    assert_string_equal(valid(&in, "today"), "2026-12-01");
    assert_string_equal(valid(&in, "tomorrow morning"), "2026-12-02");
    assert_string_equal(valid(&in, "29/02/2028"), "2028-02-29");
    refused(&in, "29/02/2027", "date");
    refused(&in, "31/04/2026", "date");
    refused(&in, "soon", "for example 14/03/2026");
}

static void emails_found_and_lower_cased_domain(void **state)
{
    struct flow_input in = {.type = INPUT_EMAIL};
    assert_string_equal(valid(&in, "Jane.Doe@Example.COM"), "Jane.Doe@example.com");
    assert_string_equal(valid(&in, "it's jo+bills@mail.example.org."), "jo+bills@mail.example.org");
    refused(&in, "jo@localhost", "email address");
    refused(&in, "jo@@example.com", "email address");
    refused(&in, "no email", "email address");
    refused(&in, "jo@example.c0m", "email address");
}

static void uk_postcodes_all_shapes(void **state)
{
    struct flow_input in = {.type = INPUT_POSTCODE};
    assert_string_equal(valid(&in, "sw1a 1aa"), "SW1A 1AA");
    assert_string_equal(valid(&in, "SW1A1AA"), "SW1A 1AA");
    assert_string_equal(valid(&in, "it's M1 1AE thanks"), "M1 1AE");
    assert_string_equal(valid(&in, "B33 8TH"), "B33 8TH");
    assert_string_equal(valid(&in, "cr2 6xh"), "CR2 6XH");
    assert_string_equal(valid(&in, "DN55 1PT"), "DN55 1PT");
    assert_string_equal(valid(&in, "W1A 0AX"), "W1A 0AX");
    refused(&in, "12345", "UK postcode");
    refused(&in, "SW1A 1A", "UK postcode");
    refused(&in, "hello there", "UK postcode");
}

static void choices_with_synonyms_and_numbers(void **state)
{
    const char *elec[] = {"electric", "power"};
    const char *gas[] = {"gas meter"};
    struct flow_choice ch[] = {{"electricity", elec, 2}, {"gas", gas, 1}};
    struct flow_input in = {.type = INPUT_CHOICE, .choices = ch, .n_choices = 2};
    assert_string_equal(valid(&in, "Electricity"), "electricity");
    assert_string_equal(valid(&in, "the electric one"), "electricity");
    assert_string_equal(valid(&in, "gas please"), "gas");
    assert_string_equal(valid(&in, "2"), "gas");
    refused(&in, "water", "Please choose one of: electricity, gas.");
    refused(&in, "gas and electric", "choose one of"); /* ambiguous */
    refused(&in, "gaseous", "choose one of");          /* whole words only */
}

static void free_text_is_trimmed_and_bounded(void **state)
{
    struct flow_input in = {.type = INPUT_TEXT, .max_length = 10};
    assert_string_equal(valid(&in, "  hello  "), "hello");
    refused(&in, "   ", "type your answer");
    refused(&in, "far too long for this", "10 characters");
}

static void phrase(const char *text, enum bot_phrase_kind want)
{
    enum bot_phrase_kind got = bot_phrase_match(text, strlen(text));
    if (got != want) fail_msg("\"%s\": got kind %d, want %d", text, (int)got, (int)want);
}

static void requests_for_a_person_in_many_phrasings(void **state)
{
    const char *asks[] = {
        "human please",
        "can I talk to someone",
        "I want to speak to a real person",
        "agent",
        "Operator!",
        "this bot is useless",
        "let me speak to someone please",
        "get me a human",
        "I'd like to chat with someone",
        "customer service",
        "representative",
        "put me through to an adviser please",
        "you are useless",
        "live agent",
        "talk to somebody",
        "Person",
        "I need a person",
        "stupid bot",
        "speak to a manager",
        "can I speak with someone about my bill",
    };
    for (size_t i = 0; i < sizeof(asks) / sizeof(asks[0]); i++) phrase(asks[i], PHRASE_PERSON);
    /* and what is not a request for a person */
    phrase("I want to submit a meter reading", PHRASE_NONE);
    phrase("my personal details changed", PHRASE_NONE);
    phrase("humanity", PHRASE_NONE);
}

static void cancel_and_restart_only_as_the_whole_message(void **state)
{
    phrase("cancel", PHRASE_CANCEL);
    phrase("Cancel please", PHRASE_CANCEL);
    phrase("never mind", PHRASE_CANCEL);
    phrase("stop", PHRASE_CANCEL);
    phrase("start again", PHRASE_RESTART);
    phrase("ok, start over please", PHRASE_RESTART);
    phrase("I want to cancel my contract", PHRASE_NONE);
    phrase("when does my contract start again after the break", PHRASE_NONE);
}

static void yes_and_no_at_the_start(void **state)
{
    phrase("yes", PHRASE_YES);
    phrase("Yes thanks, that's great", PHRASE_YES);
    phrase("yep", PHRASE_YES);
    phrase("no", PHRASE_NO);
    phrase("Not really.", PHRASE_NO);
    phrase("no, it didn't", PHRASE_NO);
    assert_true(bot_phrase_is("nope", 4, PHRASE_NO));
    assert_false(bot_phrase_is("nope", 4, PHRASE_YES));
    phrase("nothing else", PHRASE_NONE);
}

static void normalise_folds_case_and_punctuation(void **state)
{
    char out[64];
    assert_int_equal(bot_normalise("  Hello,   WORLD!! It's me ", 26, out, sizeof(out)), 19);
    assert_string_equal(out, "hello world it's me");
    assert_int_equal(bot_normalise("x", 1, out, 1), 0); /* no room: empty, terminated */
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(numbers_inside_free_text_with_ranges),
        cmocka_unit_test(dates_in_many_forms),
        cmocka_unit_test(emails_found_and_lower_cased_domain),
        cmocka_unit_test(uk_postcodes_all_shapes),
        cmocka_unit_test(choices_with_synonyms_and_numbers),
        cmocka_unit_test(free_text_is_trimmed_and_bounded),
        cmocka_unit_test(requests_for_a_person_in_many_phrasings),
        cmocka_unit_test(cancel_and_restart_only_as_the_whole_message),
        cmocka_unit_test(yes_and_no_at_the_start),
        cmocka_unit_test(normalise_folds_case_and_punctuation),
    };
    return cmocka_run_group_tests_name("bot_text", tests, NULL, NULL);
}
