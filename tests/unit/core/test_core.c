/* Unit tests for src/core: enum name tables, identity normalisation, text and slug checks,
 * and the JSON shapes with their visibility rules (experts, customers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/arena.h"
#include "core/core.h"
#include "core/core_json.h"

static void enum_names_round_trip(void **state)
{
    (void)state;
    for (int i = 0; i < ROLE__COUNT; i++) assert_int_equal(role_parse(role_name(i)), i);
    for (int i = 0; i < CONV__COUNT; i++)
        assert_int_equal(conv_status_parse(conv_status_name(i)), i);
    for (int i = 0; i < SENDER__COUNT; i++) assert_int_equal(sender_parse(sender_name(i)), i);
    for (int i = 0; i < CHANNEL__COUNT; i++) assert_int_equal(channel_parse(channel_name(i)), i);
    for (int i = 0; i < IDENTITY__COUNT; i++)
        assert_int_equal(identity_kind_parse(identity_kind_name(i)), i);
    for (int i = 0; i < PURPOSE__COUNT; i++)
        assert_int_equal(consent_purpose_parse(consent_purpose_name(i)), i);
    for (int i = 0; i < RECEIPT__COUNT; i++)
        assert_int_equal(receipt_kind_parse(receipt_kind_name(i)), i);
    for (int i = 0; i < PRIORITY__COUNT; i++) assert_int_equal(priority_parse(priority_name(i)), i);
    assert_string_equal(conv_status_name(CONV_PENDING_CUSTOMER), "pending_customer");
    assert_string_equal(identity_kind_name(IDENTITY_WEB_VISITOR), "web_visitor");
    assert_int_equal(channel_parse("fax"), -1);
    assert_int_equal(role_parse(NULL), -1);
    assert_int_equal(role_parse("Admin"), -1); /* names are exact */
    assert_string_equal(role_name((enum role)99), "unknown");
}

static void needs_parse_and_list_in_table_order(void **state)
{
    (void)state;
    const char *names[] = {"hearing",
                           "sight",
                           "dexterity",
                           "mental_health",
                           "low_digital_confidence",
                           "financial_difficulty",
                           "bereavement"};
    unsigned all = 0;
    for (size_t i = 0; i < 7; i++) {
        unsigned bit = need_parse(names[i]);
        assert_int_not_equal(bit, 0);
        all |= bit;
    }
    assert_int_equal(all, NEED__ALL);
    assert_int_equal(need_parse("vip"), 0);
    const char *out[8];
    size_t n = need_names(NEED_BEREAVEMENT | NEED_HEARING, out, 8);
    assert_int_equal(n, 2);
    assert_string_equal(out[0], "hearing");
    assert_string_equal(out[1], "bereavement");
    assert_int_equal(need_names(NEED__ALL, out, 3), 3); /* respects max */
    assert_true(role_sees_needs(ROLE_AGENT));
    assert_false(role_sees_needs(ROLE_EXPERT));
}

static void identities_are_normalised_or_refused(void **state)
{
    (void)state;
    struct parley_err err;
    char v[400];
    strcpy(v, "Jane.Smith@Example.COM");
    assert_int_equal(core_normalise_identity(IDENTITY_EMAIL, v, &err), 0);
    assert_string_equal(v, "jane.smith@example.com");
    const char *bad_emails[] = {"jane",
                                "@example.com",
                                "jane@",
                                "jane@example",
                                "a@b@c.com",
                                "jane smith@example.com",
                                "jane@exa mple.com",
                                "jane@.com",
                                "jane@example..com"};
    for (size_t i = 0; i < sizeof(bad_emails) / sizeof(bad_emails[0]); i++) {
        strcpy(v, bad_emails[i]);
        assert_int_equal(core_normalise_identity(IDENTITY_EMAIL, v, &err), PARLEY_EINVAL);
        assert_string_equal(err.field, "value");
    }
    strcpy(v, "+44 (20) 7946-0958");
    assert_int_equal(core_normalise_identity(IDENTITY_PHONE, v, &err), 0);
    assert_string_equal(v, "+442079460958");
    strcpy(v, "0033 1 23 45 67 89");
    assert_int_equal(core_normalise_identity(IDENTITY_PHONE, v, &err), 0);
    assert_string_equal(v, "+33123456789");
    const char *bad_phones[] = {"020 7946 0958", "+1234567", "+1234567890123456", "+44 20 x946",
                                ""};
    for (size_t i = 0; i < sizeof(bad_phones) / sizeof(bad_phones[0]); i++) {
        strcpy(v, bad_phones[i]);
        assert_int_equal(core_normalise_identity(IDENTITY_PHONE, v, &err), PARLEY_EINVAL);
    }
    assert_non_null(strstr(err.message, "required"));
    strcpy(v, "CRM-00042");
    assert_int_equal(core_normalise_identity(IDENTITY_EXTERNAL, v, &err), 0);
    assert_string_equal(v, "CRM-00042"); /* opaque: case kept */
    strcpy(v, "dev\x01ice");
    assert_int_equal(core_normalise_identity(IDENTITY_DEVICE, v, &err), PARLEY_EINVAL);
    strcpy(v, " padded");
    assert_int_equal(core_normalise_identity(IDENTITY_DEVICE, v, &err), PARLEY_EINVAL);
    memset(v, 'a', 330);
    v[330] = '\0';
    assert_int_equal(core_normalise_identity(IDENTITY_EXTERNAL, v, &err), PARLEY_EINVAL);
    strcpy(v, "x");
    assert_int_equal(core_normalise_identity((enum identity_kind)42, v, &err), PARLEY_EINVAL);
    assert_string_equal(err.field, "kind");
}

static void text_and_slug_checks_name_the_field(void **state)
{
    (void)state;
    struct parley_err err;
    assert_int_equal(core_check_text("name", "Jane", 4, 10, true, &err), 0);
    assert_int_equal(core_check_text("name", NULL, 0, 10, false, &err), 0);
    assert_int_equal(core_check_text("name", NULL, 0, 10, true, &err), PARLEY_EINVAL);
    assert_string_equal(err.field, "name");
    assert_int_equal(core_check_text("body", "   \n", 4, 10, true, &err), PARLEY_EINVAL);
    assert_non_null(strstr(err.message, "blank"));
    assert_int_equal(core_check_text("subject", "0123456789x", 11, 10, true, &err), PARLEY_EINVAL);
    assert_non_null(strstr(err.message, "at most 10"));
    assert_int_equal(core_check_text("body", "caf\xc3", 4, 10, true, &err), PARLEY_EINVAL);
    assert_non_null(strstr(err.message, "UTF-8"));
    assert_int_equal(core_check_text("body", "caf\xc3\xa9", 5, 10, true, &err), 0);

    assert_int_equal(core_check_slug("slug", "acme", &err), 0);
    assert_int_equal(core_check_slug("slug", "acme-2", &err), 0);
    const char *bad[] = {"a", "Acme", "2acme", "ac_me", "abcdefghijabcdefghijabcdefghijabc", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(core_check_slug("slug", bad[i], &err), PARLEY_EINVAL);
        assert_string_equal(err.field, "slug");
    }
    assert_int_equal(core_check_slug("slug", NULL, &err), PARLEY_EINVAL);
}

static char *dump(json_t *j, struct arena *a)
{
    char *s = core_json_dump(j, a);
    assert_non_null(s);
    return s;
}

static void customer_json_respects_the_viewer(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a);
    struct customer c = {.id = 17,
                         .name = "jane van smith",
                         .locale = "en-GB",
                         .preferred_channel = -1,
                         .needs = NEED_SIGHT,
                         .needs_note = "large print",
                         .created_at = 1,
                         .updated_at = 2};
    struct identity id = {.id = 3,
                          .customer_id = 17,
                          .kind = IDENTITY_EMAIL,
                          .value = "jane@example.com",
                          .created_at = 1};
    struct json_view agent = {.role = ROLE_AGENT}, expert = {.role = ROLE_EXPERT};
    char *s = dump(core_json_customer(&c, &id, 1, &agent), &a);
    assert_non_null(strstr(s, "\"name\":\"jane van smith\""));
    assert_non_null(strstr(s, "\"needs\":[\"sight\"]"));
    assert_non_null(strstr(s, "\"needs_note\":\"large print\""));
    assert_non_null(strstr(s, "\"preferred_channel\":null"));
    assert_non_null(strstr(s, "\"identities\":[{\"id\":3"));
    s = dump(core_json_customer(&c, &id, 1, &expert), &a);
    assert_non_null(strstr(s, "\"name\":\"J. V. S.\""));
    assert_null(strstr(s, "needs"));
    assert_null(strstr(s, "identities"));
    assert_null(strstr(s, "jane"));
    s = dump(core_json_customer(&c, NULL, 0, &agent), &a);
    assert_null(strstr(s, "identities"));
    struct customer accented = {.id = 1, .name = "\xc3\x89lodie Durand", .preferred_channel = 2};
    s = dump(core_json_customer(&accented, NULL, 0, &expert), &a);
    assert_non_null(strstr(s, "\"name\":\"\xc3\x89. D.\""));
    assert_non_null(strstr(s, "\"preferred_channel\":\"email\""));
    arena_free(&a);
}

static void conversation_and_message_json_shapes(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a);
    const char *tags[] = {"billing"};
    int64_t assignees[] = {4, 9};
    struct conversation c = {.id = 9,
                             .customer_id = 17,
                             .reference = "ACME-10001",
                             .status = CONV_ASSIGNED,
                             .priority = PRIORITY_HIGH,
                             .tags = tags,
                             .n_tags = 1,
                             .assignees = assignees,
                             .n_assignees = 2,
                             .channel = CHANNEL_WEB,
                             .last_seq = 3,
                             .created_at = 5,
                             .updated_at = 6};
    struct json_view staff = {.role = ROLE_SUPERVISOR}, self = {.customer_self = true};
    char *s = dump(core_json_conversation(&c, &staff), &a);
    assert_non_null(strstr(s, "\"reference\":\"ACME-10001\""));
    assert_non_null(strstr(s, "\"status\":\"assigned\""));
    assert_non_null(strstr(s, "\"priority\":\"high\""));
    assert_non_null(strstr(s, "\"tags\":[\"billing\"]"));
    assert_non_null(strstr(s, "\"assignees\":[4,9]"));
    assert_non_null(strstr(s, "\"first_response_at\":null"));
    assert_non_null(strstr(s, "\"subject\":null"));
    s = dump(core_json_conversation(&c, &self), &a);
    assert_null(strstr(s, "assignees"));
    assert_null(strstr(s, "tags"));
    assert_non_null(strstr(s, "\"last_seq\":3"));

    struct message m = {.id = 1,
                        .conversation_id = 9,
                        .seq = 3,
                        .sender = SENDER_CUSTOMER,
                        .channel = CHANNEL_SMS,
                        .body = "line one\n\"two\"",
                        .created_at = 7};
    s = dump(core_json_message(&m), &a);
    assert_string_equal(s, "{\"id\":1,\"conversation_id\":9,\"seq\":3,\"sender\":\"customer\","
                           "\"author_id\":null,\"channel\":\"sms\",\"internal\":false,"
                           "\"body\":\"line one\\n\\\"two\\\"\",\"created_at\":7}");
    struct receipt r = {.conversation_id = 9,
                        .participant = "customer:17",
                        .delivered_seq = 3,
                        .read_seq = 2,
                        .updated_at = 8};
    s = dump(core_json_receipt(&r), &a);
    assert_string_equal(s, "{\"conversation_id\":9,\"participant\":\"customer:17\","
                           "\"delivered_seq\":3,\"read_seq\":2,\"updated_at\":8}");
    struct audit_entry au = {.id = 2,
                             .actor = "user:4",
                             .action = "customer.view",
                             .object = "customer:17",
                             .detail = "{\"customer_id\":17}",
                             .at = 9};
    s = dump(core_json_audit(&au), &a);
    assert_non_null(strstr(s, "\"detail\":{\"customer_id\":17}"));
    struct tenant t = {.id = 1,
                       .slug = "acme",
                       .name = "Acme",
                       .ref_prefix = "ACME",
                       .widget_secret = "s3cret",
                       .token_key = "k3y",
                       .time_zone = "UTC"};
    s = dump(core_json_tenant(&t), &a);
    assert_null(strstr(s, "s3cret"));
    assert_null(strstr(s, "k3y"));
    /* a big body takes the second serialisation path */
    char *big = arena_alloc(&a, 10001);
    memset(big, 'x', 10000);
    m.body = big;
    s = dump(core_json_message(&m), &a);
    assert_int_equal(strlen(s), 10000 + strlen("{\"id\":1,\"conversation_id\":9,\"seq\":3,"
                                               "\"sender\":\"customer\",\"author_id\":null,"
                                               "\"channel\":\"sms\",\"internal\":false,"
                                               "\"body\":\"\",\"created_at\":7}"));
    assert_null(core_json_dump(NULL, &a));
    arena_free(&a);
}

static void message_fast_path_matches_jansson_byte_for_byte(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a);
    const char *bodies[] = {"plain",
                            "quote \" and \\ backslash",
                            "tab\tnew\nline\r\b\f",
                            "ctrl \x01\x1f del \x7f",
                            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
                            "slash / <script>",
                            ""};
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        struct message m = {.id = 12,
                            .conversation_id = 9,
                            .seq = 3,
                            .sender = SENDER_AGENT,
                            .author_id = (int64_t)i * 7,
                            .channel = CHANNEL_WHATSAPP,
                            .internal = i % 2 == 1,
                            .body = bodies[i],
                            .created_at = 1700000000123};
        char *slow = dump(core_json_message(&m), &a);
        char *fast = core_json_message_text(&m, &a);
        assert_non_null(fast);
        assert_string_equal(fast, slow);
    }
    arena_free(&a);
}

static void user_json_lists_skills_and_team(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a);
    const char *skills[] = {"billing:3"};
    struct user u = {.id = 4,
                     .email = "ann@acme.example",
                     .name = "Ann",
                     .role = ROLE_AGENT,
                     .skills = skills,
                     .n_skills = 1,
                     .active = true};
    char *s = dump(core_json_user(&u), &a);
    assert_non_null(strstr(s, "\"skills\":[\"billing:3\"]"));
    assert_non_null(strstr(s, "\"languages\":[]"));
    assert_non_null(strstr(s, "\"team\":null"));
    assert_non_null(strstr(s, "\"role\":\"agent\""));
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(enum_names_round_trip),
        cmocka_unit_test(needs_parse_and_list_in_table_order),
        cmocka_unit_test(identities_are_normalised_or_refused),
        cmocka_unit_test(text_and_slug_checks_name_the_field),
        cmocka_unit_test(customer_json_respects_the_viewer),
        cmocka_unit_test(conversation_and_message_json_shapes),
        cmocka_unit_test(message_fast_path_matches_jansson_byte_for_byte),
        cmocka_unit_test(user_json_lists_skills_and_team),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
