/* Unit tests for the store's domain commands: tenant scoping, tenants and users, tokens,
 * customers and identity merges, consents, conversation status rules, receipts and the
 * widget's session and message path. Real SQLite files under /tmp. */
#include "store_fixture.h"
#include "common/util.h"

static void another_tenants_ids_read_like_missing_ones(void **state)
{
    struct fixture *f = *state;
    int64_t acme = new_tenant(f, "acme", NULL);
    int64_t globex = new_tenant(f, "globex", NULL);
    int64_t theirs = new_customer(f, globex, "Bob Jones", "bob@example.com");
    int64_t their_conv = new_conversation(f, globex, theirs);
    assert_int_equal(post(f, globex, their_conv, SENDER_CUSTOMER, "hi", NULL), 0);

    struct customer c;
    struct conversation conv;
    struct message *m;
    struct identity *ids;
    struct consent *cons;
    struct receipt *rec;
    size_t n;
    int64_t next;
    struct store_page page = {0, 50};
    struct parley_err err;
    assert_int_equal(store_get_customer(f->r, acme, theirs, &c, &f->a, &err), PARLEY_ENOTFOUND);
    assert_int_equal(store_get_conversation(f->r, acme, their_conv, &conv, &f->a, &err),
                     PARLEY_ENOTFOUND);
    assert_int_equal(
        store_list_messages(f->r, acme, their_conv, true, &page, &m, &n, &next, &f->a, &err),
        PARLEY_ENOTFOUND);
    assert_int_equal(store_list_identities(f->r, acme, theirs, &ids, &n, &f->a, &err),
                     PARLEY_ENOTFOUND);
    assert_int_equal(store_list_consents(f->r, acme, theirs, &cons, &n, &f->a, &err),
                     PARLEY_ENOTFOUND);
    assert_int_equal(store_list_receipts(f->r, acme, their_conv, &rec, &n, &f->a, &err),
                     PARLEY_ENOTFOUND);
    struct conversation *list;
    assert_int_equal(
        store_list_conversations(f->r, acme, NULL, &page, &list, &n, &next, &f->a, &err), 0);
    assert_int_equal(n, 0);
    struct customer *clist;
    assert_int_equal(store_list_customers(f->r, acme, NULL, &page, &clist, &n, &next, &f->a, &err),
                     0);
    assert_int_equal(n, 0);

    /* Writes too: each fails exactly as for an id that does not exist. */
    assert_int_equal(post(f, acme, their_conv, SENDER_AGENT, "hello", NULL), PARLEY_ENOTFOUND);
    struct store_cmd cmd;
    store_cmd_init(&cmd, STORE_UPDATE_CONVERSATION);
    cmd.tenant_id = acme;
    cmd.in.update_conversation.conversation.id = their_conv;
    cmd.in.update_conversation.conversation.status = CONV_CLOSED;
    cmd.in.update_conversation.set = SET_STATUS;
    assert_int_equal(run(f, &cmd), PARLEY_ENOTFOUND);
    store_cmd_release(&cmd);
    store_cmd_init(&cmd, STORE_ADD_IDENTITY);
    cmd.tenant_id = acme;
    cmd.in.add_identity.customer_id = theirs;
    cmd.in.add_identity.kind = IDENTITY_EMAIL;
    cmd.in.add_identity.value = "x@example.com";
    assert_int_equal(run(f, &cmd), PARLEY_ENOTFOUND);
    store_cmd_release(&cmd);
    store_cmd_init(&cmd, STORE_SET_CONSENT);
    cmd.tenant_id = acme;
    cmd.in.set_consent.customer_id = theirs;
    assert_int_equal(run(f, &cmd), PARLEY_ENOTFOUND);
    store_cmd_release(&cmd);
    store_cmd_init(&cmd, STORE_UPDATE_RECEIPT);
    cmd.tenant_id = acme;
    cmd.in.update_receipt.conversation_id = their_conv;
    cmd.in.update_receipt.participant = "user:1";
    assert_int_equal(run(f, &cmd), PARLEY_ENOTFOUND);
    store_cmd_release(&cmd);
    store_cmd_init(&cmd, STORE_WIDGET_MESSAGE);
    cmd.tenant_id = acme;
    cmd.in.widget_message.customer_id = theirs;
    cmd.in.widget_message.message.body = "hi";
    assert_int_equal(run(f, &cmd), PARLEY_ENOTFOUND);
    store_cmd_release(&cmd);
    /* an identity known in globex is unknown in acme: a new customer there */
    int64_t mine = new_customer(f, acme, "Bob in Acme", "bob@example.com");
    assert_true(mine != theirs);
    assert_int_equal(get_conv(f, globex, their_conv).last_seq, 1);
}

static void tenants_users_and_references(void **state)
{
    struct fixture *f = *state;
    int64_t admin;
    int64_t tenant = new_tenant(f, "acme-corp", &admin);
    struct tenant t;
    assert_int_equal(store_get_tenant_by_slug(f->r, "acme-corp", &t, &f->a, NULL), 0);
    assert_int_equal(t.id, tenant);
    assert_string_equal(t.ref_prefix, "ACMECORP");
    assert_string_equal(t.time_zone, "UTC");
    assert_true(strlen(t.widget_secret) >= 40);
    assert_true(strlen(t.token_key) >= 40);
    assert_string_not_equal(t.widget_secret, t.token_key);

    struct store_cmd c;
    store_cmd_init(&c, STORE_CREATE_TENANT);
    c.in.create_tenant.tenant.slug = "acme-corp";
    assert_int_equal(run(f, &c), PARLEY_ECONFLICT);
    assert_string_equal(c.err.field, "slug");
    store_cmd_release(&c);

    /* the admin was created with a lower-cased email and can log in */
    struct user u;
    const char *hash;
    assert_int_equal(
        store_get_user_login(f->r, tenant, "ADMIN@acme-corp.example", &u, &hash, &f->a, NULL), 0);
    assert_int_equal(u.id, admin);
    assert_int_equal(u.role, ROLE_ADMIN);
    assert_string_equal(hash, "$argon2id$test");

    store_cmd_init(&c, STORE_CREATE_TEAM);
    c.tenant_id = tenant;
    c.in.create_team.slug = "billing";
    c.in.create_team.name = "Billing";
    assert_int_equal(run(f, &c), 0);
    store_cmd_release(&c);

    const char *skills[] = {"billing:3", "french:2"};
    const char *langs[] = {"en", "fr"};
    store_cmd_init(&c, STORE_CREATE_USER);
    c.tenant_id = tenant;
    c.in.create_user.user = (struct user){.email = "Agent@Acme.example",
                                          .name = "Ann Agent",
                                          .role = ROLE_AGENT,
                                          .skills = skills,
                                          .n_skills = 2,
                                          .languages = langs,
                                          .n_languages = 2,
                                          .team = "billing"};
    assert_int_equal(run(f, &c), 0);
    assert_true(c.created);
    int64_t agent = c.result_id;
    assert_non_null(strstr(c.result_json, "\"email\":\"agent@acme.example\""));
    store_cmd_release(&c);
    assert_int_equal(store_get_user(f->r, tenant, agent, &u, &f->a, NULL), 0);
    assert_int_equal(u.n_skills, 2);
    assert_string_equal(u.skills[0], "billing:3");
    assert_string_equal(u.languages[1], "fr");
    assert_string_equal(u.team, "billing");
    assert_true(u.active);

    store_cmd_init(&c, STORE_CREATE_USER);
    c.tenant_id = tenant;
    c.in.create_user.user = (struct user){.email = "agent@acme.example", .role = ROLE_AGENT};
    assert_int_equal(run(f, &c), PARLEY_ECONFLICT);
    assert_string_equal(c.err.field, "email");
    store_cmd_release(&c);
    store_cmd_init(&c, STORE_CREATE_USER);
    c.tenant_id = tenant;
    c.in.create_user.user = (struct user){.email = "x@acme.example", .team = "nope"};
    assert_int_equal(run(f, &c), PARLEY_EINVAL);
    assert_string_equal(c.err.field, "team");
    store_cmd_release(&c);

    /* references count per tenant from 10001 */
    int64_t customer = new_customer(f, tenant, "Jane", NULL);
    struct conversation one = get_conv(f, tenant, new_conversation(f, tenant, customer));
    struct conversation two = get_conv(f, tenant, new_conversation(f, tenant, customer));
    assert_string_equal(one.reference, "ACMECORP-10001");
    assert_string_equal(two.reference, "ACMECORP-10002");
    assert_int_equal(one.status, CONV_QUEUED);
    assert_int_equal(one.priority, PRIORITY_NORMAL);

    struct users_page {
        struct user *u;
        size_t n;
        int64_t next;
    } p;
    struct store_page page = {0, 1};
    assert_int_equal(store_list_users(f->r, tenant, &page, &p.u, &p.n, &p.next, &f->a, NULL), 0);
    assert_int_equal(p.n, 1);
    assert_int_equal(p.next, admin);
    page.after = p.next;
    assert_int_equal(store_list_users(f->r, tenant, &page, &p.u, &p.n, &p.next, &f->a, NULL), 0);
    assert_int_equal(p.u[0].id, agent);
    assert_int_equal(p.next, 0);

    /* audit rows without personal data */
    struct audit_entry *au;
    size_t n;
    int64_t next;
    struct audit_filter af = {.action = "user.create"};
    struct store_page ap = {0, 50};
    assert_int_equal(store_list_audit(f->r, tenant, &af, &ap, &au, &n, &next, &f->a, NULL), 0);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) assert_null(strstr(au[i].detail, "@"));
}

static void tokens_resolve_expire_and_end(void **state)
{
    struct fixture *f = *state;
    int64_t admin;
    int64_t tenant = new_tenant(f, "acme", &admin);
    char live[65], old[65], api[65];
    util_sha256_hex("live", 4, live);
    util_sha256_hex("old", 3, old);
    util_sha256_hex("api", 3, api);
    struct store_cmd c;
    store_cmd_init(&c, STORE_CREATE_SESSION);
    c.tenant_id = tenant;
    c.in.create_session.user_id = admin;
    c.in.create_session.token_hash = live;
    c.in.create_session.expires_at = util_now_ms() + 60000;
    assert_int_equal(run(f, &c), 0);
    store_cmd_release(&c);
    store_cmd_init(&c, STORE_CREATE_SESSION);
    c.tenant_id = tenant;
    c.in.create_session.user_id = admin;
    c.in.create_session.token_hash = old;
    c.in.create_session.expires_at = util_now_ms() - 1;
    assert_int_equal(run(f, &c), 0);
    store_cmd_release(&c);
    store_cmd_init(&c, STORE_CREATE_API_TOKEN);
    c.tenant_id = tenant;
    c.in.create_api_token.user_id = admin;
    c.in.create_api_token.token_hash = api;
    c.in.create_api_token.name = "ci";
    assert_int_equal(run(f, &c), 0);
    store_cmd_release(&c);

    struct principal p;
    struct parley_err err;
    assert_int_equal(store_auth_token(f->r, live, &p, &err), 0);
    assert_int_equal(p.kind, PRINCIPAL_USER);
    assert_int_equal(p.tenant_id, tenant);
    assert_int_equal(p.user_id, admin);
    assert_int_equal(p.role, ROLE_ADMIN);
    assert_int_equal(store_auth_token(f->r, old, &p, &err), PARLEY_EAUTH);
    assert_non_null(strstr(err.message, "expired"));
    assert_int_equal(store_auth_token(f->r, api, &p, &err), 0); /* never expires */
    assert_int_equal(store_auth_token(f->r, "nope", &p, &err), PARLEY_EAUTH);

    store_cmd_init(&c, STORE_DELETE_SESSION);
    c.tenant_id = tenant;
    c.in.delete_session_token_hash = live;
    assert_int_equal(run(f, &c), 0);
    store_cmd_release(&c);
    assert_int_equal(store_auth_token(f->r, live, &p, &err), PARLEY_EAUTH);
}

static void customer_create_update_and_identity_conflict(void **state)
{
    struct fixture *f = *state;
    int64_t tenant = new_tenant(f, "acme", NULL);
    struct identity ids[2] = {{.kind = IDENTITY_EMAIL, .value = "Jane@Example.COM"},
                              {.kind = IDENTITY_PHONE, .value = "+44 (20) 7946-0958"}};
    struct store_cmd c;
    store_cmd_init(&c, STORE_CREATE_CUSTOMER);
    c.tenant_id = tenant;
    c.viewer_role = ROLE_AGENT;
    c.in.create_customer.customer = (struct customer){.name = "Jane Smith",
                                                      .preferred_channel = CHANNEL_EMAIL,
                                                      .needs = NEED_HEARING | NEED_BEREAVEMENT};
    c.in.create_customer.identities = ids;
    c.in.create_customer.n_identities = 2;
    assert_int_equal(run(f, &c), 0);
    int64_t jane = c.result_id;
    assert_non_null(strstr(c.result_json, "\"needs\":[\"hearing\",\"bereavement\"]"));
    assert_non_null(strstr(c.result_json, "\"value\":\"jane@example.com\""));
    assert_non_null(strstr(c.result_json, "\"value\":\"+442079460958\""));
    store_cmd_release(&c);

    struct identity dup = {.kind = IDENTITY_EMAIL, .value = "jane@example.com"};
    store_cmd_init(&c, STORE_CREATE_CUSTOMER);
    c.tenant_id = tenant;
    c.in.create_customer.customer = (struct customer){.name = "Other", .preferred_channel = -1};
    c.in.create_customer.identities = &dup;
    c.in.create_customer.n_identities = 1;
    assert_int_equal(run(f, &c), PARLEY_ECONFLICT);
    assert_string_equal(c.err.field, "identities");
    store_cmd_release(&c);

    store_cmd_init(&c, STORE_UPDATE_CUSTOMER);
    c.tenant_id = tenant;
    c.viewer_role = ROLE_EXPERT;
    c.in.update_customer.customer =
        (struct customer){.id = jane, .locale = "en-GB", .prefers_person = true};
    c.in.update_customer.set = SET_LOCALE | SET_PREFERS_PERSON;
    assert_int_equal(run(f, &c), 0);
    /* an expert's view: initials, no needs */
    assert_non_null(strstr(c.result_json, "\"name\":\"J. S.\""));
    assert_null(strstr(c.result_json, "needs"));
    store_cmd_release(&c);
    struct customer got;
    assert_int_equal(store_get_customer(f->r, tenant, jane, &got, &f->a, NULL), 0);
    assert_string_equal(got.locale, "en-GB");
    assert_string_equal(got.name, "Jane Smith"); /* not in the mask: unchanged */
    assert_true(got.prefers_person);
    assert_int_equal(got.preferred_channel, CHANNEL_EMAIL);
    assert_int_equal(got.needs, NEED_HEARING | NEED_BEREAVEMENT);

    struct customer *list;
    size_t n;
    int64_t next;
    struct customer_filter cf = {.q = "JANE@example.com"};
    struct store_page page = {0, 50};
    assert_int_equal(store_list_customers(f->r, tenant, &cf, &page, &list, &n, &next, &f->a, NULL),
                     0);
    assert_int_equal(n, 1);
    cf.q = "Jan";
    assert_int_equal(store_list_customers(f->r, tenant, &cf, &page, &list, &n, &next, &f->a, NULL),
                     0);
    assert_int_equal(n, 1);
    cf.q = "%";
    assert_int_equal(store_list_customers(f->r, tenant, &cf, &page, &list, &n, &next, &f->a, NULL),
                     0);
    assert_int_equal(n, 0);
}

static void adding_another_customers_identity_merges_them(void **state)
{
    struct fixture *f = *state;
    int64_t tenant = new_tenant(f, "acme", NULL);
    int64_t a = new_customer(f, tenant, "Jane Smith", "jane@example.com");
    int64_t b = new_customer(f, tenant, "J Smith (phone)", NULL);
    struct store_cmd c;
    store_cmd_init(&c, STORE_ADD_IDENTITY);
    c.tenant_id = tenant;
    c.in.add_identity =
        (struct identity){.customer_id = b, .kind = IDENTITY_PHONE, .value = "+447700900123"};
    assert_int_equal(run(f, &c), 0);
    assert_true(c.created);
    store_cmd_release(&c);
    int64_t b_conv = new_conversation(f, tenant, b);
    assert_int_equal(post(f, tenant, b_conv, SENDER_CUSTOMER, "my bill is wrong", NULL), 0);
    store_cmd_init(&c, STORE_SET_CONSENT);
    c.tenant_id = tenant;
    c.in.set_consent = (struct consent){.customer_id = b,
                                        .purpose = PURPOSE_OUTAGE_UPDATES,
                                        .channel = CHANNEL_SMS,
                                        .granted = true,
                                        .source = "widget"};
    assert_int_equal(run(f, &c), 0);
    store_cmd_release(&c);

    /* A's adviser adds B's phone number to A: B merges into A. */
    store_cmd_init(&c, STORE_ADD_IDENTITY);
    c.tenant_id = tenant;
    c.actor = "user:1";
    c.in.add_identity =
        (struct identity){.customer_id = a, .kind = IDENTITY_PHONE, .value = "+44 7700 900123"};
    assert_int_equal(run(f, &c), 0);
    assert_false(c.created);
    assert_int_equal(c.result_id2, b);
    char expect[64];
    snprintf(expect, sizeof(expect), "\"merged_customer_id\":%lld", (long long)b);
    assert_non_null(strstr(c.result_json, expect));
    snprintf(expect, sizeof(expect), "\"customer_id\":%lld", (long long)a);
    assert_non_null(strstr(c.result_json, expect));
    store_cmd_release(&c);

    struct identity *ids;
    size_t n;
    assert_int_equal(store_list_identities(f->r, tenant, a, &ids, &n, &f->a, NULL), 0);
    assert_int_equal(n, 2);
    assert_int_equal(store_list_identities(f->r, tenant, b, &ids, &n, &f->a, NULL), 0);
    assert_int_equal(n, 0);
    assert_int_equal(get_conv(f, tenant, b_conv).customer_id, a);
    struct conversation_filter cf = {.status = -1, .customer_id = a};
    struct store_page page = {0, 50};
    struct conversation *convs;
    int64_t next;
    assert_int_equal(
        store_list_conversations(f->r, tenant, &cf, &page, &convs, &n, &next, &f->a, NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(convs[0].id, b_conv);
    struct consent *cons;
    assert_int_equal(store_list_consents(f->r, tenant, a, &cons, &n, &f->a, NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(cons[0].purpose, PURPOSE_OUTAGE_UPDATES);
    struct customer gone;
    assert_int_equal(store_get_customer(f->r, tenant, b, &gone, &f->a, NULL), 0);
    assert_int_equal(gone.merged_into, a);
    struct customer *list;
    assert_int_equal(store_list_customers(f->r, tenant, NULL, &page, &list, &n, &next, &f->a, NULL),
                     0);
    assert_int_equal(n, 1); /* merged records are not listed */

    struct audit_entry *au;
    struct audit_filter af = {.action = "customer.merge"};
    assert_int_equal(store_list_audit(f->r, tenant, &af, &page, &au, &n, &next, &f->a, NULL), 0);
    assert_int_equal(n, 1);
    assert_null(strstr(au[0].detail, "+44"));
    struct event *ev;
    assert_int_equal(store_list_events(f->r, tenant, 0, 100, &ev, &n, &f->a, NULL), 0);
    assert_string_equal(ev[n - 1].type, "customer.merged");
    assert_int_equal(ev[n - 1].audience, AUDIENCE_STAFF);

    /* Adding it again is a no-op that returns it. */
    store_cmd_init(&c, STORE_ADD_IDENTITY);
    c.tenant_id = tenant;
    c.in.add_identity =
        (struct identity){.customer_id = a, .kind = IDENTITY_PHONE, .value = "+447700900123"};
    assert_int_equal(run(f, &c), 0);
    assert_false(c.created);
    assert_int_equal(c.result_id2, 0);
    store_cmd_release(&c);
}

static void consents_list_latest_per_purpose_and_channel(void **state)
{
    struct fixture *f = *state;
    int64_t tenant = new_tenant(f, "acme", NULL);
    int64_t jane = new_customer(f, tenant, "Jane", NULL);
    const struct {
        enum consent_purpose p;
        enum channel ch;
        bool granted;
        int64_t at;
    } steps[] = {{PURPOSE_MARKETING, CHANNEL_EMAIL, true, 1000},
                 {PURPOSE_MARKETING, CHANNEL_EMAIL, false, 2000},
                 {PURPOSE_SERVICE_ALERTS, CHANNEL_SMS, true, 1500}};
    for (size_t i = 0; i < 3; i++) {
        struct store_cmd c;
        store_cmd_init(&c, STORE_SET_CONSENT);
        c.tenant_id = tenant;
        c.in.set_consent = (struct consent){.customer_id = jane,
                                            .purpose = steps[i].p,
                                            .channel = steps[i].ch,
                                            .granted = steps[i].granted,
                                            .source = "import",
                                            .at = steps[i].at};
        assert_int_equal(run(f, &c), 0);
        store_cmd_release(&c);
    }
    struct consent *cons;
    size_t n;
    assert_int_equal(store_list_consents(f->r, tenant, jane, &cons, &n, &f->a, NULL), 0);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        if (cons[i].purpose == PURPOSE_MARKETING) {
            assert_false(cons[i].granted); /* withdrawn later */
            assert_int_equal(cons[i].at, 2000);
        } else {
            assert_true(cons[i].granted);
        }
    }
}

static void update_conversation(struct fixture *f, int64_t tenant, int64_t conv, unsigned set,
                                enum conv_status status, const int64_t *assignees, size_t n,
                                int expect)
{
    struct store_cmd c;
    store_cmd_init(&c, STORE_UPDATE_CONVERSATION);
    c.tenant_id = tenant;
    c.in.update_conversation.conversation.id = conv;
    c.in.update_conversation.conversation.status = status;
    c.in.update_conversation.conversation.assignees = (int64_t *)assignees;
    c.in.update_conversation.conversation.n_assignees = n;
    c.in.update_conversation.set = set;
    assert_int_equal(run(f, &c), expect);
    if (expect == PARLEY_EINVAL) assert_string_equal(c.err.field, "assignees");
    store_cmd_release(&c);
}

static void conversation_status_follows_assignment_and_customer_replies(void **state)
{
    struct fixture *f = *state;
    int64_t admin;
    int64_t tenant = new_tenant(f, "acme", &admin);
    int64_t customer = new_customer(f, tenant, "Jane", NULL);
    int64_t conv = new_conversation(f, tenant, customer);
    int64_t other_admin;
    new_tenant(f, "globex", &other_admin);

    int64_t bad[] = {other_admin};
    update_conversation(f, tenant, conv, SET_ASSIGNEES, 0, bad, 1, PARLEY_EINVAL);
    int64_t who[] = {admin};
    update_conversation(f, tenant, conv, SET_ASSIGNEES, 0, who, 1, 0);
    struct conversation c = get_conv(f, tenant, conv);
    assert_int_equal(c.status, CONV_ASSIGNED);
    assert_int_equal(c.n_assignees, 1);
    assert_int_equal(c.assignees[0], admin);
    struct conversation_filter cf = {.status = -1, .assignee_id = admin};
    struct store_page page = {0, 50};
    struct conversation *list;
    size_t n;
    int64_t next;
    assert_int_equal(
        store_list_conversations(f->r, tenant, &cf, &page, &list, &n, &next, &f->a, NULL), 0);
    assert_int_equal(n, 1);

    /* first agent reply stamps first_response_at; resolve; the customer writes again */
    assert_int_equal(post(f, tenant, conv, SENDER_AGENT, "How can I help?", NULL), 0);
    assert_true(get_conv(f, tenant, conv).first_response_at > 0);
    update_conversation(f, tenant, conv, SET_STATUS, CONV_RESOLVED, NULL, 0, 0);
    assert_true(get_conv(f, tenant, conv).resolved_at > 0);
    assert_int_equal(post(f, tenant, conv, SENDER_CUSTOMER, "still broken", NULL), 0);
    c = get_conv(f, tenant, conv);
    assert_int_equal(c.status, CONV_ASSIGNED); /* back to its owner */
    assert_int_equal(c.resolved_at, 0);
    struct event *ev;
    assert_int_equal(store_list_events(f->r, tenant, 0, 100, &ev, &n, &f->a, NULL), 0);
    assert_string_equal(ev[n - 1].type, "conversation.updated");
    assert_int_equal(ev[n - 1].assignee_id, admin);
    assert_non_null(ev[n - 1].data_customer);
    assert_null(strstr(ev[n - 1].data_customer, "assignees"));
    assert_non_null(strstr(ev[n - 1].data, "assignees"));

    /* closed: no more messages, with a message saying so */
    update_conversation(f, tenant, conv, SET_STATUS, CONV_CLOSED, NULL, 0, 0);
    struct store_cmd m;
    message_cmd(&m, tenant, conv, SENDER_CUSTOMER, "hello?");
    assert_int_equal(run(f, &m), PARLEY_EINVAL);
    assert_string_equal(m.err.field, "conversation_id");
    assert_non_null(strstr(m.err.message, "closed"));
    store_cmd_release(&m);
}

static void receipts_only_move_forward(void **state)
{
    struct fixture *f = *state;
    int64_t tenant = new_tenant(f, "acme", NULL);
    int64_t customer = new_customer(f, tenant, "Jane", NULL);
    int64_t conv = new_conversation(f, tenant, customer);
    for (int i = 0; i < 3; i++)
        assert_int_equal(post(f, tenant, conv, SENDER_AGENT, "update", NULL), 0);
    const struct {
        enum receipt_kind kind;
        int64_t seq;
        int expect;
        int64_t delivered, read;
    } steps[] = {
        {RECEIPT_READ, 2, 0, 2, 2},      /* read raises delivered too */
        {RECEIPT_DELIVERED, 1, 0, 2, 2}, /* lower: unchanged */
        {RECEIPT_READ, 1, 0, 2, 2},
        {RECEIPT_DELIVERED, 3, 0, 3, 2},
        {RECEIPT_READ, 4, PARLEY_EINVAL, 3, 2}, /* beyond last_seq */
    };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        struct store_cmd c;
        store_cmd_init(&c, STORE_UPDATE_RECEIPT);
        c.tenant_id = tenant;
        c.receipt_kind = steps[i].kind;
        c.in.update_receipt.conversation_id = conv;
        c.in.update_receipt.participant = "customer:1";
        if (steps[i].kind == RECEIPT_READ)
            c.in.update_receipt.read_seq = steps[i].seq;
        else
            c.in.update_receipt.delivered_seq = steps[i].seq;
        assert_int_equal(run(f, &c), steps[i].expect);
        if (steps[i].expect != 0) assert_string_equal(c.err.field, "seq");
        store_cmd_release(&c);
        struct receipt *r;
        size_t n;
        assert_int_equal(store_list_receipts(f->r, tenant, conv, &r, &n, &f->a, NULL), 0);
        assert_int_equal(n, 1);
        assert_int_equal(r[0].delivered_seq, steps[i].delivered);
        assert_int_equal(r[0].read_seq, steps[i].read);
    }
}

static int64_t widget_message(struct fixture *f, int64_t tenant, int64_t customer, int64_t conv,
                              int64_t *conv_out)
{
    struct store_cmd c;
    store_cmd_init(&c, STORE_WIDGET_MESSAGE);
    c.tenant_id = tenant;
    c.viewer_is_customer = true;
    c.in.widget_message.customer_id = customer;
    c.in.widget_message.conversation_id = conv;
    c.in.widget_message.message.body = "Is my order on its way?";
    c.in.widget_message.message.channel = CHANNEL_WEB;
    assert_int_equal(run(f, &c), 0);
    assert_non_null(strstr(c.result_json, "\"message\":{"));
    *conv_out = c.result_id2;
    int64_t id = c.result_id;
    store_cmd_release(&c);
    return id;
}

static void widget_session_and_messages_find_the_open_conversation(void **state)
{
    struct fixture *f = *state;
    int64_t tenant = new_tenant(f, "acme", NULL);
    struct store_cmd c;
    store_cmd_init(&c, STORE_WIDGET_SESSION);
    c.tenant_id = tenant;
    c.in.widget_session.identity_kind = IDENTITY_EMAIL;
    c.in.widget_session.identity_value = "Jane@Example.com";
    c.in.widget_session.name = "Jane";
    assert_int_equal(run(f, &c), 0);
    assert_true(c.created);
    int64_t jane = c.result_id;
    store_cmd_release(&c);
    /* the same signed identity on another device is the same customer */
    store_cmd_init(&c, STORE_WIDGET_SESSION);
    c.tenant_id = tenant;
    c.in.widget_session.identity_kind = IDENTITY_EMAIL;
    c.in.widget_session.identity_value = "jane@example.com";
    assert_int_equal(run(f, &c), 0);
    assert_false(c.created);
    assert_int_equal(c.result_id, jane);
    store_cmd_release(&c);
    /* anonymous visitors get a customer of their own with a web_visitor identity */
    store_cmd_init(&c, STORE_WIDGET_SESSION);
    c.tenant_id = tenant;
    assert_int_equal(run(f, &c), 0);
    int64_t visitor = c.result_id;
    store_cmd_release(&c);
    assert_true(visitor != jane);
    struct identity *ids;
    size_t n;
    assert_int_equal(store_list_identities(f->r, tenant, visitor, &ids, &n, &f->a, NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0].kind, IDENTITY_WEB_VISITOR);

    int64_t conv1, conv2, conv3;
    widget_message(f, tenant, jane, 0, &conv1);
    widget_message(f, tenant, jane, 0, &conv2);
    assert_int_equal(conv1, conv2);
    struct conversation cv = get_conv(f, tenant, conv1);
    assert_int_equal(cv.status, CONV_QUEUED);
    assert_int_equal(cv.channel, CHANNEL_WEB);
    assert_int_equal(cv.last_seq, 2);
    /* resolved: the next widget message opens a new conversation */
    update_conversation(f, tenant, conv1, SET_STATUS, CONV_RESOLVED, NULL, 0, 0);
    widget_message(f, tenant, jane, 0, &conv3);
    assert_true(conv3 != conv1);
    /* another customer's conversation id reads as missing */
    struct store_cmd w;
    store_cmd_init(&w, STORE_WIDGET_MESSAGE);
    w.tenant_id = tenant;
    w.in.widget_message.customer_id = visitor;
    w.in.widget_message.conversation_id = conv3;
    w.in.widget_message.message.body = "peek";
    assert_int_equal(run(f, &w), PARLEY_ENOTFOUND);
    store_cmd_release(&w);
    struct event *ev;
    assert_int_equal(store_list_events(f->r, tenant, 0, 100, &ev, &n, &f->a, NULL), 0);
    size_t created = 0;
    for (size_t i = 0; i < n; i++) created += strcmp(ev[i].type, "conversation.created") == 0;
    assert_int_equal(created, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(another_tenants_ids_read_like_missing_ones, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(tenants_users_and_references, setup, teardown),
        cmocka_unit_test_setup_teardown(tokens_resolve_expire_and_end, setup, teardown),
        cmocka_unit_test_setup_teardown(customer_create_update_and_identity_conflict, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(adding_another_customers_identity_merges_them, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(consents_list_latest_per_purpose_and_channel, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(conversation_status_follows_assignment_and_customer_replies,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(receipts_only_move_forward, setup, teardown),
        cmocka_unit_test_setup_teardown(widget_session_and_messages_find_the_open_conversation,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
