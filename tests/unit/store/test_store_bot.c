/* Unit tests for the virtual agent's store commands and reads (src/store/store_bot*.c): widget
 * conversations start with the bot or bypass it, a bot turn commits replies + state + hand-off
 * together and only while the bot has the conversation, the timeout resolution only when the
 * customer did not come back, the first human reply once, the counters. */
#include "store_fixture.h"

static int64_t widget_message(struct fixture *f, int64_t tenant, int64_t customer, const char *body,
                              bool bot)
{
    struct store_cmd c;
    store_cmd_init(&c, STORE_WIDGET_MESSAGE);
    c.tenant_id = tenant;
    c.actor = "customer";
    c.in.widget_message.customer_id = customer;
    c.in.widget_message.message.body = body;
    c.in.widget_message.message.channel = CHANNEL_WEB;
    c.in.widget_message.bot = bot;
    assert_int_equal(run(f, &c), 0);
    int64_t conv = c.result_id2;
    store_cmd_release(&c);
    return conv;
}

/* A staff-created conversation is never the bot's: a turn on it does nothing. */
static void a_staff_conversation_is_not_the_bots(void **state)
{
    struct fixture *f = *state;
    int64_t t = new_tenant(f, "acme", NULL);
    int64_t conv = new_conversation(f, t, new_customer(f, t, "Sam", "sam@example.com"));
    struct bot_turn bt = {.conversation_id = conv, .replies = {"hi"}, .n_replies = 1};
    struct store_cmd c;
    store_cmd_init(&c, STORE_BOT_TURN);
    c.tenant_id = t;
    c.in.bot_turn = bt;
    assert_int_equal(run(f, &c), 0);
    assert_int_equal(c.result_id, 0);
    store_cmd_release(&c);
    assert_int_equal(get_conv(f, t, conv).last_seq, 0);
}

/* A tenant "acme" and a customer's widget conversation that the bot has. */
static int64_t bot_conversation(struct fixture *f, int64_t *tenant, const char *first)
{
    *tenant = new_tenant(f, "acme", NULL);
    int64_t cust = new_customer(f, *tenant, "Cee", "cee@example.com");
    return widget_message(f, *tenant, cust, first, true);
}

static int count_events(struct fixture *f, const char *type, int64_t conv)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(f->s->db,
                                        "SELECT count(*) FROM events WHERE type = ?1 AND "
                                        "conversation_id = ?2",
                                        -1, &st, NULL),
                     0);
    sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, conv);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

static int turn(struct fixture *f, int64_t tenant, struct bot_turn *t, int64_t *result)
{
    struct store_cmd c;
    store_cmd_init(&c, STORE_BOT_TURN);
    c.tenant_id = tenant;
    c.actor = "bot";
    c.in.bot_turn = *t;
    int rc = run(f, &c);
    if (result != NULL) *result = c.result_id;
    store_cmd_release(&c);
    return rc;
}

static void set_needs(struct fixture *f, int64_t tenant, int64_t customer, unsigned needs,
                      bool prefers)
{
    struct store_cmd c;
    store_cmd_init(&c, STORE_UPDATE_CUSTOMER);
    c.tenant_id = tenant;
    c.actor = "user:1";
    c.in.update_customer.customer.id = customer;
    c.in.update_customer.customer.needs = needs;
    c.in.update_customer.customer.prefers_person = prefers;
    c.in.update_customer.set = SET_NEEDS | SET_PREFERS_PERSON;
    assert_int_equal(run(f, &c), 0);
    store_cmd_release(&c);
}

static void widget_conversations_start_with_the_bot_or_bypass_it(void **state)
{
    struct fixture *f = *state;
    int64_t t = new_tenant(f, "acme", NULL);
    int64_t plain = new_customer(f, t, "Plain", "plain@example.com");
    int64_t conv = widget_message(f, t, plain, "hello", true);
    assert_int_equal(get_conv(f, t, conv).status, CONV_BOT);
    assert_int_equal(count_events(f, "bot.handoff", conv), 0);

    int64_t off = new_customer(f, t, "Off", "off@example.com");
    conv = widget_message(f, t, off, "hello", false); /* the service does not run */
    assert_int_equal(get_conv(f, t, conv).status, CONV_QUEUED);

    int64_t vulnerable = new_customer(f, t, "Vee", "vee@example.com");
    set_needs(f, t, vulnerable, NEED_BEREAVEMENT, false);
    conv = widget_message(f, t, vulnerable, "hello", true);
    struct conversation c = get_conv(f, t, conv);
    assert_int_equal(c.status, CONV_QUEUED);
    assert_int_equal(c.priority, PRIORITY_HIGH);
    assert_string_equal(c.contact_reason, "unknown");
    assert_int_equal(count_events(f, "bot.handoff", conv), 1);

    int64_t prefers = new_customer(f, t, "Pip", "pip@example.com");
    set_needs(f, t, prefers, 0, true);
    conv = widget_message(f, t, prefers, "hello", true);
    assert_int_equal(get_conv(f, t, conv).status, CONV_QUEUED);
    struct bot_stats st;
    assert_int_equal(store_bot_stats(f->r, t, &st, &f->a, NULL), 0);
    assert_int_equal(st.handoffs, 2);
    assert_int_equal(st.n_reasons, 2);
    assert_string_equal(st.by_reason[0].reason, "prefers_person");
    assert_string_equal(st.by_reason[1].reason, "vulnerable");
    assert_int_equal(st.conversations, 2); /* bypassed conversations count too */

    /* a disabled policy: straight to the queue, no hand-off recorded */
    struct store_cmd pc;
    store_cmd_init(&pc, STORE_BOT_SET_POLICY);
    pc.tenant_id = t;
    pc.actor = "user:1";
    pc.in.bot_policy.enabled = false;
    pc.in.bot_policy.policy_json = "{\"enabled\":false}";
    assert_int_equal(run(f, &pc), 0);
    store_cmd_release(&pc);
    int64_t later = new_customer(f, t, "Later", "later@example.com");
    conv = widget_message(f, t, later, "hello", true);
    assert_int_equal(get_conv(f, t, conv).status, CONV_QUEUED);
    assert_int_equal(count_events(f, "bot.handoff", conv), 0);
    const char *json;
    assert_int_equal(store_bot_get_policy(f->r, t, &json, &f->a, NULL), 0);
    assert_string_equal(json, "{\"enabled\":false}");
}

static void a_turn_commits_replies_state_and_handoff_together(void **state)
{
    struct fixture *f = *state;
    int64_t t;
    int64_t conv = bot_conversation(f, &t, "I want a person");
    struct bot_turn bt = {.conversation_id = conv,
                          .handled_seq = 1,
                          .state = "{\"turns\":1}",
                          .replies = {"I'm a bot.", "Passing you to a person."},
                          .n_replies = 2,
                          .note = "Bot hand-off. Reason: requested.",
                          .outcome = BOT_OUTCOME_HANDOFF,
                          .reason = "requested",
                          .intent = "billing_question",
                          .priority = PRIORITY_HIGH};
    int64_t result;
    assert_int_equal(turn(f, t, &bt, &result), 0);
    assert_int_equal(result, conv);
    struct conversation c = get_conv(f, t, conv);
    assert_int_equal(c.status, CONV_QUEUED);
    assert_int_equal(c.priority, PRIORITY_HIGH);
    assert_string_equal(c.contact_reason, "billing_question");
    assert_int_equal(c.last_seq, 4); /* customer, two replies, the internal note */
    struct message *msgs;
    size_t n;
    int64_t next;
    struct store_page page = {.limit = 10};
    assert_int_equal(store_list_messages(f->r, t, conv, true, &page, &msgs, &n, &next, &f->a, NULL),
                     0);
    assert_int_equal(n, 4);
    assert_int_equal(msgs[1].sender, SENDER_BOT);
    assert_true(msgs[3].internal);
    struct bot_conv_state cs;
    assert_int_equal(store_bot_get_state(f->r, t, conv, &cs, &f->a, NULL), 0);
    assert_string_equal(cs.state, "{\"turns\":1}");
    assert_int_equal(cs.outcome, BOT_OUTCOME_HANDOFF);
    assert_int_equal(cs.handled_seq, 1);
    int64_t at;
    assert_int_equal(store_bot_open_handoff(f->r, t, conv, &at, NULL), 0);
    /* the bot no longer has it: a later turn does nothing */
    struct bot_turn late = {.conversation_id = conv, .replies = {"late"}, .n_replies = 1};
    assert_int_equal(turn(f, t, &late, &result), 0);
    assert_int_equal(result, 0);
    assert_int_equal(get_conv(f, t, conv).last_seq, 4);
    /* another tenant cannot touch it */
    int64_t other = new_tenant(f, "globex", NULL);
    assert_int_equal(turn(f, other, &late, NULL), PARLEY_ENOTFOUND);
}

static void the_timeout_resolves_only_a_quiet_conversation(void **state)
{
    struct fixture *f = *state;
    int64_t t;
    int64_t conv = bot_conversation(f, &t, "opening hours?");
    struct bot_turn answer = {.conversation_id = conv,
                              .handled_seq = 1,
                              .state = "{}",
                              .replies = {"8am to 8pm. Did that answer your question?"},
                              .n_replies = 1,
                              .resolve_due_at = 1000}; /* long past */
    assert_int_equal(turn(f, t, &answer, NULL), 0);
    struct bot_due *due;
    size_t n;
    assert_int_equal(store_bot_list_due(f->r, 2000, 10, &due, &n, &f->a, NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(due[0].conversation_id, conv);
    assert_int_equal(store_bot_list_due(f->r, 999, 10, &due, &n, &f->a, NULL), 0);
    assert_int_equal(n, 0);

    /* the customer writes again before the sweep: the timeout must not apply */
    assert_int_equal(post(f, t, conv, SENDER_CUSTOMER, "one more thing", NULL), 0);
    struct bot_turn timeout = {
        .conversation_id = conv, .outcome = BOT_OUTCOME_RESOLVED, .resolved_how = "timeout"};
    int64_t result;
    assert_int_equal(turn(f, t, &timeout, &result), 0);
    assert_int_equal(result, 0);
    assert_int_equal(get_conv(f, t, conv).status, CONV_BOT);
    assert_int_equal(store_bot_list_unanswered(f->r, 10, &due, &n, &f->a, NULL), 0);
    assert_int_equal(n, 1); /* the new message waits for an answer */

    /* answered again, quiet: now it resolves */
    answer.handled_seq = 3;
    assert_int_equal(turn(f, t, &answer, NULL), 0);
    assert_int_equal(turn(f, t, &timeout, &result), 0);
    assert_int_equal(result, conv);
    assert_int_equal(get_conv(f, t, conv).status, CONV_RESOLVED);
    assert_int_equal(count_events(f, "bot.resolved", conv), 1);
    assert_int_equal(store_bot_list_due(f->r, 1 << 30, 10, &due, &n, &f->a, NULL), 0);
    assert_int_equal(n, 0);
    struct bot_stats st;
    assert_int_equal(store_bot_stats(f->r, t, &st, &f->a, NULL), 0);
    assert_int_equal(st.resolved_timeout, 1);
    assert_int_equal(st.resolved, 1);
}

static void the_first_human_reply_is_recorded_once(void **state)
{
    struct fixture *f = *state;
    int64_t t;
    int64_t conv = bot_conversation(f, &t, "agent");
    struct bot_turn bt = {.conversation_id = conv,
                          .handled_seq = 1,
                          .outcome = BOT_OUTCOME_HANDOFF,
                          .reason = "requested"};
    assert_int_equal(turn(f, t, &bt, NULL), 0);
    for (int i = 0; i < 2; i++) {
        struct store_cmd c;
        store_cmd_init(&c, STORE_BOT_FIRST_REPLY);
        c.tenant_id = t;
        c.actor = "bot";
        c.in.bot_first_reply.conversation_id = conv;
        c.in.bot_first_reply.message_id = 10 + i;
        c.in.bot_first_reply.user_id = 1;
        assert_int_equal(run(f, &c), 0);
        assert_int_equal(c.result_id, i == 0 ? conv : 0);
        store_cmd_release(&c);
    }
    assert_int_equal(count_events(f, "handoff.first_human_reply", conv), 1);
    int64_t at;
    assert_int_equal(store_bot_open_handoff(f->r, t, conv, &at, NULL), PARLEY_ENOTFOUND);
    struct bot_stats st;
    assert_int_equal(store_bot_stats(f->r, t, &st, &f->a, NULL), 0);
    assert_int_equal(st.first_replies, 1);
    assert_true(st.first_reply_avg_ms >= 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(widget_conversations_start_with_the_bot_or_bypass_it),
        T(a_staff_conversation_is_not_the_bots),
        T(a_turn_commits_replies_state_and_handoff_together),
        T(the_timeout_resolves_only_a_quiet_conversation),
        T(the_first_human_reply_is_recorded_once),
    };
    return cmocka_run_group_tests_name("store_bot", tests, NULL, NULL);
}
