/* Store tests for swarming (src/store/store_swarm.c): invitations by user and by skill, the
 * assignees following the participants, removals, grants, limits, audit rows and events, and
 * PATCH-style assignee changes keeping the participants in step. */
#include "store_fixture.h"

static int64_t new_user(struct fixture *f, int64_t tenant, const char *email, enum role role,
                        const char *skill)
{
    struct store_cmd c;
    const char *skills[1] = {skill};
    store_cmd_init(&c, STORE_CREATE_USER);
    c.tenant_id = tenant;
    c.actor = "cli";
    c.in.create_user.user = (struct user){
        .email = email, .name = email, .role = role, .skills = skills, .n_skills = skill ? 1 : 0};
    assert_int_equal(run(f, &c), 0);
    int64_t id = c.result_id;
    store_cmd_release(&c);
    return id;
}

static void assign(struct fixture *f, int64_t tenant, int64_t conv, const int64_t *ids, size_t n,
                   int want)
{
    struct store_cmd c;
    store_cmd_init(&c, STORE_UPDATE_CONVERSATION);
    c.tenant_id = tenant;
    c.actor = "user:1";
    c.in.update_conversation.conversation.id = conv;
    c.in.update_conversation.conversation.assignees = (int64_t *)ids;
    c.in.update_conversation.conversation.n_assignees = n;
    c.in.update_conversation.set = SET_ASSIGNEES;
    assert_int_equal(run(f, &c), want);
    store_cmd_release(&c);
}

/* Runs one participant command; returns its status and, when 0, the participant's user id. */
static int participant(struct fixture *f, enum store_cmd_kind kind, int64_t tenant, int64_t conv,
                       int64_t user, const char *skill, int level, int role, bool allow,
                       int64_t *chosen)
{
    struct store_cmd c;
    store_cmd_init(&c, kind);
    c.tenant_id = tenant;
    c.actor = "user:7";
    c.in.participant.conversation_id = conv;
    c.in.participant.user_id = user;
    c.in.participant.skill = skill;
    c.in.participant.min_level = level;
    c.in.participant.role = role;
    c.in.participant.may_write_customer = allow;
    int rc = run(f, &c);
    if (rc == 0 && chosen != NULL) *chosen = c.result_id;
    if (rc == 0) assert_non_null(strstr(c.result_json, "\"invited_by\":\"user:7\""));
    store_cmd_release(&c);
    return rc;
}

static int invite(struct fixture *f, int64_t tenant, int64_t conv, int64_t user)
{
    return participant(f, STORE_ADD_PARTICIPANT, tenant, conv, user, NULL, 1, -1, false, NULL);
}

static int64_t count_rows(struct fixture *f, const char *sql, int64_t arg)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_int64(st, 1, arg);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void invite_list_remove_and_grant(void **state)
{
    struct fixture *f = *state;
    int64_t admin = 0;
    int64_t t = new_tenant(f, "acme", &admin);
    int64_t owner = new_user(f, t, "owner@acme.example", ROLE_AGENT, "billing:3");
    int64_t helper = new_user(f, t, "helper@acme.example", ROLE_AGENT, "billing:4");
    int64_t expert = new_user(f, t, "expert@acme.example", ROLE_EXPERT, "meters:5");
    int64_t conv = new_conversation(f, t, new_customer(f, t, "Jane Smith", NULL));

    /* no owner yet: nothing to join */
    assert_int_equal(invite(f, t, conv, helper), PARLEY_ECONFLICT);
    assign(f, t, conv, &owner, 1, 0);
    assert_int_equal(invite(f, t, conv, helper), 0);
    assert_int_equal(invite(f, t, conv, expert), 0);
    struct conversation c = get_conv(f, t, conv);
    assert_int_equal(c.n_assignees, 3);
    assert_int_equal(c.assignees[0], owner);
    assert_int_equal(c.assignees[1], helper);
    assert_int_equal(c.assignees[2], expert);

    /* messages now reach the participants' streams: the event carries all three */
    assert_int_equal(post(f, t, conv, SENDER_CUSTOMER, "hello", NULL), 0);
    assert_int_equal(count_rows(f,
                                "SELECT count(*) FROM events WHERE conversation_id = ?1"
                                " AND type = 'message.created' AND assignees LIKE '%,%,%'",
                                conv),
                     1);
    struct participant *list = NULL;
    size_t n = 0;
    assert_int_equal(store_list_participants(f->r, t, conv, &list, &n, &f->a, NULL), 0);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].user_id, helper);
    assert_int_equal(list[0].kind, PARTICIPANT_ADVISER);
    assert_int_equal(list[1].kind, PARTICIPANT_EXPERT);
    assert_string_equal(list[1].invited_by, "user:7");
    assert_false(list[1].may_write_customer);
    assert_int_equal(list[1].left_at, 0);
    assert_true(list[1].joined_at >= list[1].invited_at);

    /* the owner, an existing participant, someone unknown */
    assert_int_equal(invite(f, t, conv, owner), PARLEY_ECONFLICT);
    assert_int_equal(invite(f, t, conv, helper), PARLEY_ECONFLICT);
    assert_int_equal(invite(f, t, conv, 999), PARLEY_ENOTFOUND);

    /* grant, then removal clears it */
    assert_int_equal(
        participant(f, STORE_UPDATE_PARTICIPANT, t, conv, expert, NULL, 0, -1, true, NULL), 0);
    struct participant p;
    assert_int_equal(store_get_participant(f->r, t, conv, expert, &p, &f->a, NULL), 0);
    assert_true(p.may_write_customer);
    assert_int_equal(
        participant(f, STORE_REMOVE_PARTICIPANT, t, conv, expert, NULL, 0, -1, false, NULL), 0);
    assert_int_equal(store_get_participant(f->r, t, conv, expert, &p, &f->a, NULL), 0);
    assert_false(p.may_write_customer);
    assert_true(p.left_at > 0);
    c = get_conv(f, t, conv);
    assert_int_equal(c.n_assignees, 2);
    assert_int_equal(store_list_participants(f->r, t, conv, &list, &n, &f->a, NULL), 0);
    assert_int_equal(n, 1);
    /* gone: removing or granting again is "not a participant" */
    assert_int_equal(
        participant(f, STORE_REMOVE_PARTICIPANT, t, conv, expert, NULL, 0, -1, false, NULL),
        PARLEY_ENOTFOUND);
    assert_int_equal(
        participant(f, STORE_UPDATE_PARTICIPANT, t, conv, expert, NULL, 0, -1, true, NULL),
        PARLEY_ENOTFOUND);
    /* a re-invitation starts afresh */
    assert_int_equal(invite(f, t, conv, expert), 0);
    assert_int_equal(store_get_participant(f->r, t, conv, expert, &p, &f->a, NULL), 0);
    assert_int_equal(p.left_at, 0);

    /* another tenant sees neither the conversation nor its participants */
    int64_t other = new_tenant(f, "globex", NULL);
    assert_int_equal(store_list_participants(f->r, other, conv, &list, &n, &f->a, NULL),
                     PARLEY_ENOTFOUND);
    assert_int_equal(invite(f, other, conv, helper), PARLEY_ENOTFOUND);
    assert_int_equal(invite(f, t, conv, admin + 1000), PARLEY_ENOTFOUND);

    /* audit and events */
    assert_int_equal(count_rows(f,
                                "SELECT count(*) FROM audit WHERE object = 'conversation:' || ?1"
                                " AND action LIKE 'conversation.participant_%'",
                                conv),
                     5); /* add x3 (one a re-invitation), update, remove */
    assert_int_equal(
        count_rows(f,
                   "SELECT count(*) FROM events WHERE conversation_id = ?1"
                   " AND type = 'conversation.participant_removed' AND assignees LIKE '%,%,%'",
                   conv),
        1); /* the leaver is in the audience of their own removal */
}

static void invite_by_skill(void **state)
{
    struct fixture *f = *state;
    int64_t t = new_tenant(f, "acme", NULL);
    int64_t owner = new_user(f, t, "owner@acme.example", ROLE_AGENT, "billing:5");
    int64_t low = new_user(f, t, "low@acme.example", ROLE_AGENT, "billing:2");
    int64_t busy = new_user(f, t, "busy@acme.example", ROLE_AGENT, "billing:4");
    int64_t idle = new_user(f, t, "idle@acme.example", ROLE_AGENT, "billing:4");
    int64_t expert = new_user(f, t, "expert@acme.example", ROLE_EXPERT, "billing:9");
    int64_t customer = new_customer(f, t, "Jane", NULL);
    int64_t other = new_conversation(f, t, customer);
    assign(f, t, other, &busy, 1, 0);
    int64_t conv = new_conversation(f, t, customer);
    assign(f, t, conv, &owner, 1, 0);

    int64_t got = 0;
    assert_int_equal(
        participant(f, STORE_ADD_PARTICIPANT, t, conv, 0, "billing", 3, ROLE_AGENT, false, &got),
        0);
    assert_int_equal(got, idle); /* busy has an open conversation */
    assert_int_equal(
        participant(f, STORE_ADD_PARTICIPANT, t, conv, 0, "billing", 3, ROLE_AGENT, false, &got),
        0);
    assert_int_equal(got, busy);
    assert_int_equal(
        participant(f, STORE_ADD_PARTICIPANT, t, conv, 0, "billing", 3, ROLE_AGENT, false, &got),
        PARLEY_ECONFLICT); /* low is below the level, owner is the owner */
    assert_int_equal(
        participant(f, STORE_ADD_PARTICIPANT, t, conv, 0, "billing", 1, -1, false, &got), 0);
    assert_true(got == low || got == expert);
    assert_int_equal(participant(f, STORE_ADD_PARTICIPANT, t, conv, 0, "bill", 1, -1, false, &got),
                     PARLEY_ECONFLICT); /* names match whole */
    assert_int_equal(
        participant(f, STORE_ADD_PARTICIPANT, t, conv, 0, "bil\"ling", 1, -1, false, &got),
        PARLEY_EINVAL);
    assert_int_equal(
        participant(f, STORE_ADD_PARTICIPANT, t, conv, 0, "billing", 11, -1, false, &got),
        PARLEY_EINVAL);
}

static void assignees_keep_participants_in_step_and_bounded(void **state)
{
    struct fixture *f = *state;
    int64_t t = new_tenant(f, "acme", NULL);
    int64_t ids[9];
    char email[64];
    for (int i = 0; i < 9; i++) {
        snprintf(email, sizeof(email), "u%d@acme.example", i);
        ids[i] = new_user(f, t, email, i == 2 ? ROLE_EXPERT : ROLE_AGENT, NULL);
    }
    int64_t conv = new_conversation(f, t, new_customer(f, t, "Jane", NULL));
    assign(f, t, conv, ids, 3, 0);
    struct participant *list = NULL;
    size_t n = 0;
    assert_int_equal(store_list_participants(f->r, t, conv, &list, &n, &f->a, NULL), 0);
    assert_int_equal(n, 2);
    assert_int_equal(list[1].kind, PARTICIPANT_EXPERT);
    /* ownership moves to a participant: they stop being one */
    int64_t swapped[2] = {ids[1], ids[0]};
    assign(f, t, conv, swapped, 2, 0);
    assert_int_equal(store_list_participants(f->r, t, conv, &list, &n, &f->a, NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].user_id, ids[0]);
    /* owner + 8 is one too many, and changes nothing */
    assign(f, t, conv, ids, 9, PARLEY_ECONFLICT);
    assert_int_equal(get_conv(f, t, conv).n_assignees, 2);
    assign(f, t, conv, ids, 8, 0);
    assert_int_equal(store_list_participants(f->r, t, conv, &list, &n, &f->a, NULL), 0);
    assert_int_equal(n, 7);
    /* full: no invitation either */
    assert_int_equal(invite(f, t, conv, ids[8]), PARLEY_ECONFLICT);
    /* a conversation opened with several assignees has its participants from the start */
    struct store_cmd c;
    store_cmd_init(&c, STORE_CREATE_CONVERSATION);
    c.tenant_id = t;
    c.actor = "user:1";
    c.in.create_conversation.conversation.customer_id = get_conv(f, t, conv).customer_id;
    c.in.create_conversation.conversation.channel = CHANNEL_WEB;
    c.in.create_conversation.conversation.assignees = ids;
    c.in.create_conversation.conversation.n_assignees = 2;
    assert_int_equal(run(f, &c), 0);
    int64_t opened = c.result_id;
    store_cmd_release(&c);
    assert_int_equal(store_list_participants(f->r, t, opened, &list, &n, &f->a, NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].user_id, ids[1]);
}

/* Presence (the routing service's): online before away before offline, whatever the load. */
static void invite_by_skill_prefers_online(void **state)
{
    struct fixture *f = *state;
    int64_t t = new_tenant(f, "acme", NULL);
    int64_t owner = new_user(f, t, "owner@acme.example", ROLE_AGENT, NULL);
    int64_t idle = new_user(f, t, "idle@acme.example", ROLE_AGENT, "gas:3");
    int64_t away = new_user(f, t, "away@acme.example", ROLE_AGENT, "gas:3");
    int64_t online = new_user(f, t, "online@acme.example", ROLE_AGENT, "gas:3");
    int64_t customer = new_customer(f, t, "Jane", NULL);
    for (int i = 0; i < 2; i++) { /* the online one is the busiest */
        int64_t other = new_conversation(f, t, customer);
        assign(f, t, other, &online, 1, 0);
    }
    int64_t other = new_conversation(f, t, customer);
    assign(f, t, other, &away, 1, 0);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char sql[256];
    snprintf(sql, sizeof(sql),
             "INSERT INTO route_presence(user_id, tenant_id, status, since) VALUES"
             " (%lld, %lld, 'online', 1), (%lld, %lld, 'away', 1)",
             (long long)online, (long long)t, (long long)away, (long long)t);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    int64_t conv = new_conversation(f, t, customer);
    assign(f, t, conv, &owner, 1, 0);
    int64_t got = 0;
    const int64_t want[3] = {online, away, idle};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(
            participant(f, STORE_ADD_PARTICIPANT, t, conv, 0, "gas", 3, -1, false, &got), 0);
        assert_int_equal(got, want[i]);
    }
}

/* A writer that sets the assignees straight (a routing decision) without telling the
 * participants table: whoever the assignees no longer list is no participant any more. */
static void participants_follow_assignees_written_elsewhere(void **state)
{
    struct fixture *f = *state;
    int64_t t = new_tenant(f, "acme", NULL);
    int64_t owner = new_user(f, t, "owner@acme.example", ROLE_AGENT, NULL);
    int64_t expert = new_user(f, t, "expert@acme.example", ROLE_EXPERT, NULL);
    int64_t conv = new_conversation(f, t, new_customer(f, t, "Jane", NULL));
    assign(f, t, conv, &owner, 1, 0);
    assert_int_equal(invite(f, t, conv, expert), 0);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char sql[256];
    snprintf(sql, sizeof(sql),
             "UPDATE conversations SET assignees = '%lld' WHERE id = %lld;"
             "DELETE FROM conversation_assignees WHERE conversation_id = %lld AND position > 0;",
             (long long)owner, (long long)conv, (long long)conv);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    struct participant *list = NULL;
    size_t n = 9;
    assert_int_equal(store_list_participants(f->r, t, conv, &list, &n, &f->a, NULL), 0);
    assert_int_equal(n, 0);
    assert_int_equal(
        participant(f, STORE_UPDATE_PARTICIPANT, t, conv, expert, NULL, 0, -1, true, NULL),
        PARLEY_ENOTFOUND);
    /* and inviting again works (the stale row starts afresh) */
    assert_int_equal(invite(f, t, conv, expert), 0);
    assert_int_equal(store_list_participants(f->r, t, conv, &list, &n, &f->a, NULL), 0);
    assert_int_equal(n, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(invite_list_remove_and_grant, setup, teardown),
        cmocka_unit_test_setup_teardown(invite_by_skill, setup, teardown),
        cmocka_unit_test_setup_teardown(assignees_keep_participants_in_step_and_bounded, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(participants_follow_assignees_written_elsewhere, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(invite_by_skill_prefers_online, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
