/* Unit tests for the routing storage (migration_route, store_route*.c): queues with their
 * checks, routing profiles and their defaults, presence, SLA policies, settings, the guarded
 * routing decisions (assign, requeue, accept/decline, SLA), transfers with their note shown to
 * the receiver first, and call-backs falling due. Real SQLite files under /tmp. */
#include "store_fixture.h"

/* The event types the last commands produced, read back from the store: "a,b,c". */
static void event_types_after(struct fixture *f, int64_t tenant, int64_t after, char *out,
                              size_t cap)
{
    struct event *evs;
    size_t n;
    struct parley_err err;
    assert_int_equal(store_list_events(f->r, tenant, after, 200, &evs, &n, &f->a, &err), 0);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        strncat(out, evs[i].type, cap - strlen(out) - 1);
        if (i + 1 < n) strncat(out, ",", cap - strlen(out) - 1);
    }
}

static int64_t last_event_id(struct fixture *f, int64_t tenant)
{
    struct event *evs;
    size_t n;
    struct parley_err err;
    int64_t last = 0;
    for (;;) {
        assert_int_equal(store_list_events(f->r, tenant, last, 200, &evs, &n, &f->a, &err), 0);
        if (n == 0) return last;
        last = evs[n - 1].id;
    }
}

static int64_t new_user(struct fixture *f, int64_t tenant, const char *email, enum role role)
{
    struct store_cmd c;
    store_cmd_init(&c, STORE_CREATE_USER);
    c.tenant_id = tenant;
    c.actor = "cli";
    c.in.create_user.user.email = email;
    c.in.create_user.user.name = "Adviser";
    c.in.create_user.user.role = role;
    c.in.create_user.password_hash = "$argon2id$test";
    assert_int_equal(run(f, &c), 0);
    int64_t id = c.result_id;
    store_cmd_release(&c);
    return id;
}

static int put_queue(struct fixture *f, int64_t tenant, struct route_queue *q, int64_t *id)
{
    struct store_cmd c;
    store_cmd_init(&c, STORE_PUT_QUEUE);
    c.tenant_id = tenant;
    c.actor = "user:1";
    c.in.put_queue = *q;
    int rc = run(f, &c);
    if (id != NULL) *id = rc == 0 ? c.result_id : 0;
    store_cmd_release(&c);
    return rc;
}

static int decide(struct fixture *f, int64_t tenant, struct routing_update u)
{
    struct store_cmd c;
    store_cmd_init(&c, STORE_ROUTE_DECISION);
    c.tenant_id = tenant;
    c.actor = "system";
    c.in.routing_update = u;
    int rc = run(f, &c);
    store_cmd_release(&c);
    return rc;
}

static void queues_are_checked_unique_and_one_default(void **state)
{
    struct fixture *f = *state;
    int64_t t = new_tenant(f, "acme", NULL);
    const char *skills[] = {"billing:3"};
    const char *reasons[] = {"billing question", "billing_question"};
    struct route_queue q = {.name = "billing",
                            .skills = skills,
                            .n_skills = 1,
                            .reasons = reasons,
                            .n_reasons = 2,
                            .is_default = true,
                            .n_steps = 1,
                            .steps = {{.after_s = 60, .relax_levels = 1}}};
    int64_t billing, general;
    assert_int_equal(put_queue(f, t, &q, &billing), 0);
    assert_int_equal(put_queue(f, t, &q, NULL), PARLEY_ECONFLICT); /* same name */
    q.name = "general";
    q.n_skills = 0;
    q.n_reasons = 0;
    assert_int_equal(put_queue(f, t, &q, &general), 0); /* takes the default over */

    struct route_queue *list;
    size_t n;
    struct parley_err err;
    assert_int_equal(store_list_queues(f->r, t, &list, &n, &f->a, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].id, billing);
    assert_false(list[0].is_default);
    assert_true(list[1].is_default);
    assert_string_equal(list[0].skills[0], "billing:3");
    assert_string_equal(list[0].reasons[1], "billing_question");
    assert_int_equal(list[0].n_steps, 1);
    assert_int_equal(list[0].steps[0].after_s, 60);

    /* skills name:1..5, steps increasing, teams that exist */
    const char *bad_skill[] = {"billing:7"};
    q.skills = bad_skill;
    q.n_skills = 1;
    q.name = "other";
    assert_int_equal(put_queue(f, t, &q, NULL), PARLEY_EINVAL);
    q.n_skills = 0;
    q.n_steps = 2;
    q.steps[1] = (struct queue_step){.after_s = 30};
    assert_int_equal(put_queue(f, t, &q, NULL), PARLEY_EINVAL);
    q.n_steps = 0;
    q.team = "nobody";
    assert_int_equal(put_queue(f, t, &q, NULL), PARLEY_EINVAL);

    /* another tenant neither sees nor changes them */
    int64_t other = new_tenant(f, "globex", NULL);
    assert_int_equal(store_list_queues(f->r, other, &list, &n, &f->a, &err), 0);
    assert_int_equal(n, 0);
    struct route_queue got;
    assert_int_equal(store_get_queue(f->r, other, billing, &got, &f->a, &err), PARLEY_ENOTFOUND);
    q.team = NULL;
    q.id = billing;
    q.name = "renamed";
    assert_int_equal(put_queue(f, other, &q, NULL), PARLEY_ENOTFOUND);
}

static void deleting_a_queue_frees_its_conversations(void **state)
{
    struct fixture *f = *state;
    int64_t t = new_tenant(f, "acme", NULL);
    struct route_queue q = {.name = "moves"};
    int64_t qid;
    assert_int_equal(put_queue(f, t, &q, &qid), 0);
    int64_t conv = new_conversation(f, t, new_customer(f, t, "Ann", NULL));
    assert_int_equal(decide(f, t,
                            (struct routing_update){.action = ROUTING_ENQUEUE,
                                                    .conversation_id = conv,
                                                    .queue_id = qid}),
                     0);
    struct conversation c = get_conv(f, t, conv);
    assert_int_equal(c.queue_id, qid);
    assert_string_equal(c.queue_name, "moves");
    assert_true(c.queued_at > 0);
    struct store_cmd cmd;
    store_cmd_init(&cmd, STORE_DELETE_QUEUE);
    cmd.tenant_id = t;
    cmd.in.delete_queue_id = qid;
    assert_int_equal(run(f, &cmd), 0);
    store_cmd_release(&cmd);
    c = get_conv(f, t, conv);
    assert_int_equal(c.queue_id, 0);
    assert_null(c.queue_name);
}

static void profiles_default_and_refuse_experts(void **state)
{
    struct fixture *f = *state;
    int64_t admin;
    int64_t t = new_tenant(f, "acme", &admin);
    int64_t agent = new_user(f, t, "a@acme.example", ROLE_AGENT);
    int64_t expert = new_user(f, t, "e@acme.example", ROLE_EXPERT);
    struct route_profile p;
    struct parley_err err;
    assert_int_equal(store_get_routing_profile(f->r, t, agent, &p, &err), 0);
    assert_int_equal(p.capacity[CHANNEL_WEB], 3);
    assert_int_equal(p.capacity[CHANNEL_EMAIL], 5);
    assert_false(p.accept_required);

    struct store_cmd c;
    store_cmd_init(&c, STORE_PUT_ROUTING_PROFILE);
    c.tenant_id = t;
    route_profile_default(&c.in.put_profile);
    c.in.put_profile.user_id = agent;
    c.in.put_profile.capacity[CHANNEL_WEB] = 2;
    c.in.put_profile.accept_required = true;
    c.in.put_profile.accept_timeout_s = 15;
    c.in.put_profile.wrap_up_s = 45;
    assert_int_equal(run(f, &c), 0);
    c.in.put_profile.user_id = expert;
    assert_int_equal(run(f, &c), PARLEY_EINVAL);
    c.in.put_profile.user_id = agent;
    c.in.put_profile.capacity[CHANNEL_SMS] = 51;
    assert_int_equal(run(f, &c), PARLEY_EINVAL);
    store_cmd_release(&c);
    assert_int_equal(store_get_routing_profile(f->r, t, agent, &p, &err), 0);
    assert_int_equal(p.capacity[CHANNEL_WEB], 2);
    assert_true(p.accept_required);
    assert_int_equal(p.accept_timeout_s, 15);
    assert_int_equal(p.wrap_up_s, 45);
    int64_t other = new_tenant(f, "globex", NULL);
    assert_int_equal(store_get_routing_profile(f->r, other, agent, &p, &err), PARLEY_ENOTFOUND);
}

static void presence_is_stored_and_only_changes_make_events(void **state)
{
    struct fixture *f = *state;
    int64_t admin;
    int64_t t = new_tenant(f, "acme", &admin);
    int64_t agent = new_user(f, t, "a@acme.example", ROLE_AGENT);
    int64_t mark = last_event_id(f, t);
    struct store_cmd c;
    store_cmd_init(&c, STORE_SET_PRESENCE);
    c.tenant_id = t;
    c.in.set_presence = (struct presence_state){.user_id = agent, .status = PRESENCE_ONLINE};
    assert_int_equal(run(f, &c), 0);
    assert_int_equal(run(f, &c), 0); /* the same again: no event */
    c.in.set_presence.status = PRESENCE_AWAY;
    c.in.set_presence.automatic = true;
    assert_int_equal(run(f, &c), 0);
    c.in.set_presence.status = (enum presence)9;
    assert_int_equal(run(f, &c), PARLEY_EINVAL);
    store_cmd_release(&c);
    char types[512];
    event_types_after(f, t, mark, types, sizeof(types));
    assert_string_equal(types, "presence.updated,presence.updated");
    struct presence_state *list;
    size_t n;
    struct parley_err err;
    assert_int_equal(store_list_presence(f->r, t, &list, &n, &f->a, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].status, PRESENCE_AWAY);
    assert_true(list[0].automatic);
}

static void sla_policies_replace_and_settings_default(void **state)
{
    struct fixture *f = *state;
    int64_t t = new_tenant(f, "acme", NULL);
    struct route_settings st;
    struct parley_err err;
    assert_int_equal(store_get_route_settings(f->r, t, &st, &f->a, &err), 0);
    assert_null(st.calendar_json);
    assert_int_equal(st.sticky_window_s, 86400);

    struct sla_policy pol[2] = {
        {.priority = PRIORITY_NORMAL, .first_response_ms = 3600000, .warning_pct = 80},
        {.priority = PRIORITY_NORMAL,
         .vulnerable = true,
         .first_response_ms = 900000,
         .warning_pct = 80}};
    struct store_cmd c;
    store_cmd_init(&c, STORE_PUT_SLA_POLICIES);
    c.tenant_id = t;
    c.in.put_sla_policies.items = pol;
    c.in.put_sla_policies.n = 2;
    assert_int_equal(run(f, &c), 0);
    pol[1].vulnerable = false; /* two for normal */
    assert_int_equal(run(f, &c), PARLEY_EINVAL);
    c.in.put_sla_policies.n = 1;
    assert_int_equal(run(f, &c), 0); /* replaces both */
    store_cmd_release(&c);
    struct sla_policy *list;
    size_t n;
    assert_int_equal(store_list_sla_policies(f->r, t, &list, &n, &f->a, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].first_response_ms, 3600000);

    store_cmd_init(&c, STORE_PUT_ROUTE_SETTINGS);
    c.tenant_id = t;
    c.in.put_route_settings = (struct route_settings){
        .calendar_json = "{\"time_zone\":\"UTC\",\"weekly\":{}}", .specialist_team = "care"};
    assert_int_equal(run(f, &c), PARLEY_EINVAL); /* no such team */
    c.in.put_route_settings.specialist_team = NULL;
    c.in.put_route_settings.sticky_window_s = 60;
    assert_int_equal(run(f, &c), 0);
    store_cmd_release(&c);
    assert_int_equal(store_get_route_settings(f->r, t, &st, &f->a, &err), 0);
    assert_string_equal(st.calendar_json, "{\"time_zone\":\"UTC\",\"weekly\":{}}");
    assert_int_equal(st.sticky_window_s, 60);
}

static void decisions_are_guarded_and_evented_for_supervisors(void **state)
{
    struct fixture *f = *state;
    int64_t t = new_tenant(f, "acme", NULL);
    int64_t agent = new_user(f, t, "a@acme.example", ROLE_AGENT);
    int64_t agent2 = new_user(f, t, "b@acme.example", ROLE_AGENT);
    int64_t conv = new_conversation(f, t, new_customer(f, t, "Ann", NULL));
    assert_int_equal(post(f, t, conv, SENDER_CUSTOMER, "hello?", NULL), 0);
    int64_t mark = last_event_id(f, t);

    /* offer to agent: assigned with an accept deadline */
    assert_int_equal(decide(f, t,
                            (struct routing_update){.action = ROUTING_ASSIGN,
                                                    .conversation_id = conv,
                                                    .user_id = agent,
                                                    .offer_until = 99,
                                                    .reason = "least occupied"}),
                     0);
    struct conversation c = get_conv(f, t, conv);
    assert_int_equal(c.status, CONV_ASSIGNED);
    assert_int_equal(c.assignees[0], agent);
    assert_int_equal(c.offer_user, agent);
    /* a second assignment on that stale view conflicts */
    assert_int_equal(decide(f, t,
                            (struct routing_update){.action = ROUTING_ASSIGN,
                                                    .conversation_id = conv,
                                                    .user_id = agent2}),
                     PARLEY_ECONFLICT);
    /* only the offered adviser accepts */
    assert_int_equal(decide(f, t,
                            (struct routing_update){.action = ROUTING_ACCEPT,
                                                    .conversation_id = conv,
                                                    .user_id = agent2}),
                     PARLEY_ECONFLICT);
    assert_int_equal(decide(f, t,
                            (struct routing_update){.action = ROUTING_DECLINE,
                                                    .conversation_id = conv,
                                                    .user_id = agent,
                                                    .reason = "declined"}),
                     0);
    c = get_conv(f, t, conv);
    assert_int_equal(c.status, CONV_QUEUED);
    assert_int_equal(c.n_assignees, 0);
    assert_int_equal(c.offer_user, 0);
    /* a requeue expecting someone who no longer has it conflicts */
    assert_int_equal(decide(f, t,
                            (struct routing_update){.action = ROUTING_REQUEUE,
                                                    .conversation_id = conv,
                                                    .expect_user = agent}),
                     PARLEY_ECONFLICT);

    char types[1024];
    event_types_after(f, t, mark, types, sizeof(types));
    assert_string_equal(types, "conversation.updated,route.decision,conversation.updated,"
                               "route.decision");
    struct event *evs;
    size_t n;
    struct parley_err err;
    assert_int_equal(store_list_events(f->r, t, mark, 10, &evs, &n, &f->a, &err), 0);
    assert_int_equal(evs[1].audience, AUDIENCE_SUPERVISORS);
    assert_non_null(strstr(evs[1].data, "\"reason\":\"least occupied\""));

    /* SLA: deadlines silently, a breach with its event */
    mark = last_event_id(f, t);
    assert_int_equal(decide(f, t,
                            (struct routing_update){.action = ROUTING_SLA,
                                                    .conversation_id = conv,
                                                    .sla_set = SLA_SET_DUES,
                                                    .sla_policy = 7,
                                                    .first_response_due = 1000,
                                                    .resolution_due = 5000}),
                     0);
    assert_int_equal(decide(f, t,
                            (struct routing_update){.action = ROUTING_SLA,
                                                    .conversation_id = conv,
                                                    .sla_set = SLA_SET_BREACHED,
                                                    .breached = SLA_FIRST,
                                                    .sla_event = "sla.breached",
                                                    .sla_event_kind = SLA_FIRST}),
                     0);
    event_types_after(f, t, mark, types, sizeof(types));
    assert_string_equal(types, "sla.breached");
    c = get_conv(f, t, conv);
    assert_int_equal(c.sla_policy, 7);
    assert_int_equal(c.sla_first_response_due, 1000);
    assert_int_equal(c.sla_breached, SLA_FIRST);
}

static void a_transfer_note_reaches_the_receiver_first(void **state)
{
    struct fixture *f = *state;
    int64_t t = new_tenant(f, "acme", NULL);
    int64_t from = new_user(f, t, "a@acme.example", ROLE_AGENT);
    int64_t to = new_user(f, t, "b@acme.example", ROLE_AGENT);
    int64_t conv = new_conversation(f, t, new_customer(f, t, "Ann", NULL));
    assert_int_equal(decide(f, t,
                            (struct routing_update){.action = ROUTING_ASSIGN,
                                                    .conversation_id = conv,
                                                    .user_id = from}),
                     0);
    int64_t mark = last_event_id(f, t);
    struct store_cmd c;
    store_cmd_init(&c, STORE_TRANSFER);
    c.tenant_id = t;
    c.actor = "user:1";
    c.in.transfer = (struct transfer){
        .conversation_id = conv, .from_user = from, .to_user = to, .note = "gas leak earlier"};
    assert_int_equal(run(f, &c), 0);
    c.in.transfer.to_queue = 5; /* two targets */
    assert_int_equal(run(f, &c), PARLEY_EINVAL);
    store_cmd_release(&c);
    char types[1024];
    event_types_after(f, t, mark, types, sizeof(types));
    assert_string_equal(types, "message.created,transfer.requested,conversation.transferred,"
                               "conversation.updated,route.decision");
    struct event *evs;
    size_t n;
    struct parley_err err;
    assert_int_equal(store_list_events(f->r, t, mark, 10, &evs, &n, &f->a, &err), 0);
    assert_int_equal(evs[2].assignees[0], to); /* the receiver's, before the assignment */
    assert_non_null(strstr(evs[2].data, "gas leak earlier"));
    struct conversation got = get_conv(f, t, conv);
    assert_int_equal(got.assignees[0], to);
    struct message *m;
    int64_t next;
    struct store_page page = {0, 50};
    assert_int_equal(store_list_messages(f->r, t, conv, true, &page, &m, &n, &next, &f->a, &err),
                     0);
    assert_int_equal(n, 1);
    assert_true(m[0].internal);
    struct transfer tr;
    assert_int_equal(store_last_transfer(f->r, t, conv, &tr, &f->a, &err), 0);
    assert_int_equal(tr.message_id, m[0].id);
}

static void a_callback_falls_due_once_as_queued_work(void **state)
{
    struct fixture *f = *state;
    int64_t t = new_tenant(f, "acme", NULL);
    int64_t cust = new_customer(f, t, "Ann", NULL);
    struct store_cmd c;
    store_cmd_init(&c, STORE_CREATE_CALLBACK);
    c.tenant_id = t;
    c.actor = "user:1";
    c.in.create_callback = (struct callback){
        .customer_id = cust, .at = 1000, .note = "about the bill", .channel = CHANNEL_SMS};
    assert_int_equal(run(f, &c), 0);
    int64_t id = c.result_id;
    store_cmd_release(&c);
    store_cmd_init(&c, STORE_CALLBACK_DUE);
    c.tenant_id = t;
    c.in.callback_due_id = id;
    assert_int_equal(run(f, &c), 0);
    int64_t conv = c.result_id;
    assert_int_equal(run(f, &c), PARLEY_ECONFLICT); /* only once */
    store_cmd_release(&c);
    struct conversation got = get_conv(f, t, conv);
    assert_int_equal(got.status, CONV_QUEUED);
    assert_int_equal(got.channel, CHANNEL_SMS);
    assert_string_equal(got.contact_reason, "callback");
    struct callback *list;
    size_t n;
    int64_t next;
    struct callback_filter flt = {.status = CALLBACK_QUEUED};
    struct store_page page = {0, 50};
    struct parley_err err;
    assert_int_equal(store_list_callbacks(f->r, t, &flt, &page, &list, &n, &next, &f->a, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].conversation_id, conv);
    assert_string_equal(list[0].booked_by, "user:1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(queues_are_checked_unique_and_one_default, setup, teardown),
        cmocka_unit_test_setup_teardown(deleting_a_queue_frees_its_conversations, setup, teardown),
        cmocka_unit_test_setup_teardown(profiles_default_and_refuse_experts, setup, teardown),
        cmocka_unit_test_setup_teardown(presence_is_stored_and_only_changes_make_events, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(sla_policies_replace_and_settings_default, setup, teardown),
        cmocka_unit_test_setup_teardown(decisions_are_guarded_and_evented_for_supervisors, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_transfer_note_reaches_the_receiver_first, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_callback_falls_due_once_as_queued_work, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
