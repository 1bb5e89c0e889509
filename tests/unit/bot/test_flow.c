/* Unit tests for the flow loader (src/bot/flow_load.c): the demo flows load; every kind of bad
 * flow is refused with its file and the line at fault; templates render. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "bot/flow.h"

/* Loads text as "t.json" and expects a refusal whose message starts with "t.json:LINE:" and
 * contains what. */
static void refused_at(const char *text, int line, const char *what)
{
    struct flow *f = NULL;
    struct parley_err err = {0};
    int rc = flow_load_buffer("t.json", text, strlen(text), &f, &err);
    if (rc == 0) {
        flow_free(f);
        fail_msg("accepted a bad flow (wanted line %d: %s)", line, what);
    }
    assert_int_equal(rc, PARLEY_EINVAL);
    assert_null(f);
    char prefix[32];
    snprintf(prefix, sizeof(prefix), "t.json:%d:", line);
    if (strncmp(err.message, prefix, strlen(prefix)) != 0 || strstr(err.message, what) == NULL)
        fail_msg("wanted \"%s … %s\", got \"%s\"", prefix, what, err.message);
}

#define HEAD "{\n  \"flow\": \"t\",\n  \"intents\": [\"x\"],\n  \"steps\": [\n" /* lines 1-4 */

static void demo_flows_load_and_bind_their_intents(void **state)
{
    struct flow_set *set = NULL;
    struct parley_err err = {0};
    assert_int_equal(flow_set_load_dir("data/demo/flows/acme", &set, &err), 0);
    assert_true(set->n >= 5);
    const char *intents[] = {"meter_reading", "power_cut", "moving_home", "payment_difficulty",
                             "change_tariff"};
    for (size_t i = 0; i < 5; i++) {
        const struct flow *f = flow_set_for_intent(set, intents[i]);
        assert_non_null(f);
        assert_true(f->n_steps >= 2);
    }
    const struct flow *meter = flow_set_for_intent(set, "meter_reading");
    bool has_action = false;
    for (size_t i = 0; i < meter->n_steps; i++) has_action |= meter->steps[i].type == STEP_ACTION;
    assert_true(has_action);
    assert_null(flow_set_for_intent(set, "no_such_intent"));
    flow_set_free(set);
}

static void a_missing_directory_is_an_empty_set(void **state)
{
    struct flow_set *set = NULL;
    assert_int_equal(flow_set_load_dir("/nonexistent/flows", &set, NULL), 0);
    assert_int_equal(set->n, 0);
    flow_set_free(set);
}

static void syntax_errors_give_line_and_column(void **state)
{
    struct flow *f = NULL;
    struct parley_err err = {0};
    const char *text = "{\n  \"flow\": \"t\",\n  \"intents\": [\"x\"]\n  \"steps\": []\n}";
    assert_int_equal(flow_load_buffer("t.json", text, strlen(text), &f, &err), PARLEY_EINVAL);
    assert_non_null(strstr(err.message, "t.json:4:"));
}

static void unknown_step_type_is_refused_at_its_line(void **state)
{
    refused_at(HEAD "    {\"id\": \"a\", \"say\": \"hi\",\n"
                    "     \"type\": \"jump\"}\n  ]\n}",
               6, "unknown type \"jump\"");
}

static void unknown_field_is_refused_at_its_line(void **state)
{
    refused_at(HEAD "    {\"id\": \"a\", \"type\": \"say\", \"say\": \"hi\", \"next\": \"b\"},\n"
                    "    {\"id\": \"b\", \"type\": \"answer\",\n"
                    "     \"say\": \"bye\",\n"
                    "     \"colour\": \"red\"}\n  ]\n}",
               8, "unknown field \"colour\"");
    refused_at("{\n  \"flow\": \"t\",\n  \"intents\": [\"x\"],\n  \"version\": 2,\n"
               "  \"steps\": [{\"id\": \"a\", \"type\": \"answer\", \"say\": \"x\"}]\n}",
               4, "unknown field \"version\"");
    refused_at(HEAD "    {\"id\": \"a\", \"type\": \"ask\", \"say\": \"n?\", \"slot\": \"n\",\n"
                    "     \"expect\": {\"type\": \"number\", \"maximum\": 3}, \"next\": \"b\"},\n"
                    "    {\"id\": \"b\", \"type\": \"answer\", \"say\": \"ok\"}\n  ]\n}",
               6, "unknown field \"maximum\"");
}

static void reference_to_a_missing_step_is_refused(void **state)
{
    refused_at(HEAD "    {\"id\": \"a\", \"type\": \"ask\", \"say\": \"n?\", \"slot\": \"n\",\n"
                    "     \"next\": \"nowhere\"}\n  ]\n}",
               6, "missing step \"nowhere\"");
    refused_at(HEAD "    {\"id\": \"a\", \"type\": \"ask\", \"say\": \"n?\", \"slot\": \"n\", "
                    "\"next\": \"b\"},\n"
                    "    {\"id\": \"b\", \"type\": \"branch\", \"on\": \"n\",\n"
                    "     \"cases\": {\"1\": \"ghost\"}, \"default\": \"a\"}\n  ]\n}",
               7, "missing step");
}

static void a_loop_without_a_question_is_refused(void **state)
{
    refused_at(HEAD "    {\"id\": \"a\", \"type\": \"say\", \"say\": \"one\", \"next\": \"b\"},\n"
                    "    {\"id\": \"b\", \"type\": \"say\", \"say\": \"two\", \"next\": \"a\"}\n"
                    "  ]\n}",
               5, "loop that never asks");
    /* the same loop through a question is fine */
    const char *ok =
        HEAD "    {\"id\": \"a\", \"type\": \"say\", \"say\": \"one\", \"next\": \"b\"},\n"
             "    {\"id\": \"b\", \"type\": \"ask\", \"say\": \"again?\", \"slot\": "
             "\"s\", \"next\": \"a\"}\n  ]\n}";
    struct flow *f = NULL;
    struct parley_err err = {0};
    assert_int_equal(flow_load_buffer("t.json", ok, strlen(ok), &f, &err), 0);
    flow_free(f);
}

static void bad_types_and_ranges_are_refused(void **state)
{
    refused_at(HEAD "    {\"id\": \"a\", \"type\": \"ask\", \"say\": \"n?\", \"slot\": \"n\",\n"
                    "     \"expect\": {\"type\": \"colour\"}, \"next\": \"a\"}\n  ]\n}",
               6, "must be text, number");
    refused_at(HEAD "    {\"id\": \"a\", \"type\": \"ask\", \"say\": \"n?\", \"slot\": \"n\",\n"
                    "     \"expect\": {\"type\": \"number\", \"min\": 5, \"max\": 1}, \"next\": "
                    "\"a\"}\n  ]\n}",
               6, "greater than");
    refused_at(HEAD
               "    {\"id\": \"a\", \"type\": \"action\", \"url\": \"http://x/\", \"success\": "
               "\"b\", \"failure\": \"b\",\n"
               "     \"timeout_ms\": \"fast\"},\n"
               "    {\"id\": \"b\", \"type\": \"answer\", \"say\": \"ok\"}\n  ]\n}",
               6, "timeout_ms");
    refused_at(HEAD "    {\"id\": \"a\", \"type\": \"action\", \"url\": \"ftp://x/\", \"success\": "
                    "\"b\", \"failure\": \"b\"},\n"
                    "    {\"id\": \"b\", \"type\": \"answer\", \"say\": \"ok\"}\n  ]\n}",
               5, "url");
    refused_at(HEAD
               "    {\"id\": \"a\", \"type\": \"handoff\",\n     \"priority\": \"asap\"}\n  ]\n}",
               6, "priority");
    refused_at(HEAD "    {\"id\": \"a\", \"type\": \"answer\", \"say\": 42}\n  ]\n}", 5,
               "non-empty string");
    refused_at("{\n  \"flow\": \"t\",\n  \"intents\": \"x\",\n  \"steps\": []\n}", 3, "intents");
}

static void templates_must_name_collected_slots(void **state)
{
    refused_at(HEAD "    {\"id\": \"a\", \"type\": \"answer\",\n"
                    "     \"say\": \"Your reference is {{ref}}\"}\n  ]\n}",
               6, "{{ref}}");
    refused_at(HEAD "    {\"id\": \"a\", \"type\": \"branch\", \"on\": \"mood\", \"cases\": "
                    "{\"x\": \"b\"}, \"default\": \"b\"},\n"
                    "    {\"id\": \"b\", \"type\": \"answer\", \"say\": \"ok\"}\n  ]\n}",
               5, "\"mood\"");
}

static void slots_may_not_shadow_built_in_names(void **state)
{
    refused_at(HEAD "    {\"id\": \"a\", \"type\": \"ask\", \"say\": \"?\",\n"
                    "     \"slot\": \"tenant\", \"next\": \"a\"}\n  ]\n}",
               6, "built-in");
}

static void duplicate_ids_and_intents_are_refused(void **state)
{
    refused_at(HEAD "    {\"id\": \"a\", \"type\": \"answer\", \"say\": \"one\"},\n"
                    "    {\"id\": \"a\", \"type\": \"answer\", \"say\": \"two\"}\n  ]\n}",
               6, "used twice");
}

static const char *slot_value(void *ud, const char *name)
{
    (void)ud;
    return strcmp(name, "postcode") == 0 ? "SW1A 1AA" : NULL;
}

static void templates_render_slots_and_stay_bounded(void **state)
{
    struct arena a;
    arena_init(&a);
    assert_string_equal(flow_render("At {{postcode}}, {{ none }}!", slot_value, NULL, 100, &a),
                        "At SW1A 1AA, !");
    assert_string_equal(flow_render("unclosed {{postcode", slot_value, NULL, 100, &a),
                        "unclosed {{postcode");
    assert_int_equal(strlen(flow_render("{{postcode}}{{postcode}}", slot_value, NULL, 10, &a)), 10);
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(demo_flows_load_and_bind_their_intents),
        cmocka_unit_test(a_missing_directory_is_an_empty_set),
        cmocka_unit_test(syntax_errors_give_line_and_column),
        cmocka_unit_test(unknown_step_type_is_refused_at_its_line),
        cmocka_unit_test(unknown_field_is_refused_at_its_line),
        cmocka_unit_test(reference_to_a_missing_step_is_refused),
        cmocka_unit_test(a_loop_without_a_question_is_refused),
        cmocka_unit_test(bad_types_and_ranges_are_refused),
        cmocka_unit_test(templates_must_name_collected_slots),
        cmocka_unit_test(slots_may_not_shadow_built_in_names),
        cmocka_unit_test(duplicate_ids_and_intents_are_refused),
        cmocka_unit_test(templates_render_slots_and_stay_bounded),
    };
    return cmocka_run_group_tests_name("bot_flow", tests, NULL, NULL);
}
