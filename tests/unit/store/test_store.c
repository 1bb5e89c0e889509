/* Unit tests for the store's writer: group commit under concurrent submitters, savepoint
 * isolation of a failing command, idempotency keys, the event log and sink, migrations on
 * reopen and the integrity check. Real SQLite files under /tmp. */
#include <pthread.h>
#include <sqlite3.h>

#include "store_fixture.h"
#include "common/util.h"

/* ---- event sink and async completion ------------------------------------------------------ */

#define MAX_SEEN 20000
static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t seen_ids[MAX_SEEN];
static char seen_types[MAX_SEEN][24];
static size_t n_seen, sink_calls;

static void sink(void *ud, const struct event *ev, size_t n)
{
    (void)ud;
    pthread_mutex_lock(&seen_mu);
    sink_calls++;
    for (size_t i = 0; i < n && n_seen < MAX_SEEN; i++) {
        seen_ids[n_seen] = ev[i].id;
        snprintf(seen_types[n_seen], sizeof(seen_types[0]), "%s", ev[i].type);
        n_seen++;
    }
    pthread_mutex_unlock(&seen_mu);
}

static void reset_seen(void)
{
    pthread_mutex_lock(&seen_mu);
    n_seen = 0;
    sink_calls = 0;
    pthread_mutex_unlock(&seen_mu);
}

/* ---- group commit ------------------------------------------------------------------------ */

#define THREADS    8
#define PER_THREAD 150
#define CONVS      4

struct submitter {
    struct fixture *f;
    int64_t tenant;
    int64_t convs[CONVS];
    int index;
    int failures;
};

static void *submit_many(void *arg)
{
    struct submitter *t = arg;
    struct store_cmd *cmds = calloc(PER_THREAD, sizeof(*cmds));
    struct waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PER_THREAD};
    for (int i = 0; i < PER_THREAD; i++) {
        message_cmd(&cmds[i], t->tenant, t->convs[(t->index + i) % CONVS], SENDER_CUSTOMER,
                    "Hello, my router keeps dropping the connection");
        cmds[i].done = waiter_done;
        cmds[i].ud = &w;
        while (store_submit(t->f->s, &cmds[i]) == PARLEY_EBUSY) usleep(100);
    }
    waiter_wait(&w);
    for (int i = 0; i < PER_THREAD; i++) {
        if (cmds[i].status != 0) t->failures++;
        store_cmd_release(&cmds[i]);
    }
    free(cmds);
    return NULL;
}

static void concurrent_submitters_all_commit_with_contiguous_seqs(void **state)
{
    struct fixture *f = *state;
    store_set_event_sink(f->s, sink, NULL);
    int64_t tenant = new_tenant(f, "acme", NULL);
    int64_t customer = new_customer(f, tenant, "Jane Smith", "jane@example.com");
    int64_t convs[CONVS];
    for (int i = 0; i < CONVS; i++) convs[i] = new_conversation(f, tenant, customer);
    reset_seen();

    pthread_t th[THREADS];
    struct submitter sub[THREADS];
    for (int i = 0; i < THREADS; i++) {
        sub[i] = (struct submitter){.f = f, .tenant = tenant, .index = i};
        memcpy(sub[i].convs, convs, sizeof(convs));
        pthread_create(&th[i], NULL, submit_many, &sub[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(sub[i].failures, 0);
    }

    /* Every conversation holds seqs 1..N with no gap and no duplicate, N == last_seq. */
    int64_t total = 0;
    for (int i = 0; i < CONVS; i++) {
        struct conversation c = get_conv(f, tenant, convs[i]);
        struct store_page page = {.after = 0, .limit = 200};
        int64_t expect = 1;
        for (;;) {
            struct message *m;
            size_t n;
            int64_t next;
            assert_int_equal(store_list_messages(f->r, tenant, convs[i], true, &page, &m, &n, &next,
                                                 &f->a, NULL),
                             0);
            for (size_t k = 0; k < n; k++) assert_int_equal(m[k].seq, expect++);
            if (next == 0) break;
            page.after = next;
        }
        assert_int_equal(c.last_seq, expect - 1);
        total += c.last_seq;
    }
    assert_int_equal(total, THREADS * PER_THREAD);

    /* The sink saw one message.created per message, ids strictly increasing. */
    pthread_mutex_lock(&seen_mu);
    assert_int_equal(n_seen, THREADS * PER_THREAD);
    for (size_t i = 1; i < n_seen; i++) assert_true(seen_ids[i] > seen_ids[i - 1]);
    for (size_t i = 0; i < n_seen; i++) assert_string_equal(seen_types[i], "message.created");
    pthread_mutex_unlock(&seen_mu);
}

/* ---- a failing command fails alone -------------------------------------------------------- */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool entered, open;
} gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false};

/* Holds the writer thread inside a done() callback so the next commands queue up together. */
static void gate_done(struct store_cmd *cmd)
{
    (void)cmd;
    pthread_mutex_lock(&gate.mu);
    gate.entered = true;
    pthread_cond_broadcast(&gate.cv);
    while (!gate.open) pthread_cond_wait(&gate.cv, &gate.mu);
    pthread_mutex_unlock(&gate.mu);
}

static void failing_command_in_a_batch_does_not_affect_the_others(void **state)
{
    struct fixture *f = *state;
    store_set_event_sink(f->s, sink, NULL);
    int64_t tenant = new_tenant(f, "acme", NULL);
    int64_t customer = new_customer(f, tenant, "Jane Smith", "jane@example.com");
    int64_t conv = new_conversation(f, tenant, customer);
    struct store_stats before;
    assert_int_equal(store_stats(f->r, &before, NULL), 0);

    struct store_cmd blocker;
    store_cmd_init(&blocker, STORE_APPEND_AUDIT);
    blocker.tenant_id = tenant;
    blocker.in.append_audit.action = "customer.view";
    blocker.in.append_audit.object = "customer:1";
    blocker.done = gate_done;
    assert_int_equal(store_submit(f->s, &blocker), 0);
    pthread_mutex_lock(&gate.mu);
    while (!gate.entered) pthread_cond_wait(&gate.cv, &gate.mu);
    pthread_mutex_unlock(&gate.mu);
    reset_seen();

    /* ok, missing conversation, ok, conversation whose first message is blank (fails after
     * inserting the conversation row, so its savepoint must undo that), ok */
    struct store_cmd c[5];
    struct waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 5};
    message_cmd(&c[0], tenant, conv, SENDER_CUSTOMER, "first");
    message_cmd(&c[1], tenant, conv + 1000, SENDER_CUSTOMER, "to nowhere");
    message_cmd(&c[2], tenant, conv, SENDER_CUSTOMER, "second");
    store_cmd_init(&c[3], STORE_CREATE_CONVERSATION);
    c[3].tenant_id = tenant;
    c[3].in.create_conversation.conversation.customer_id = customer;
    c[3].in.create_conversation.first_message = "   ";
    message_cmd(&c[4], tenant, conv, SENDER_CUSTOMER, "third");
    for (int i = 0; i < 5; i++) {
        c[i].done = waiter_done;
        c[i].ud = &w;
        assert_int_equal(store_submit(f->s, &c[i]), 0);
    }
    pthread_mutex_lock(&gate.mu);
    gate.open = true;
    pthread_cond_broadcast(&gate.cv);
    pthread_mutex_unlock(&gate.mu);
    waiter_wait(&w);

    assert_int_equal(c[0].status, 0);
    assert_int_equal(c[1].status, PARLEY_ENOTFOUND);
    assert_string_equal(c[1].err.field, "conversation_id");
    assert_null(c[1].result_json);
    assert_int_equal(c[2].status, 0);
    assert_int_equal(c[3].status, PARLEY_EINVAL);
    assert_string_equal(c[3].err.field, "message");
    assert_int_equal(c[4].status, 0);
    /* The survivors got consecutive seqs: the failures consumed nothing. */
    assert_int_equal(c[0].in.create_message.seq, 1);
    assert_int_equal(c[2].in.create_message.seq, 2);
    assert_int_equal(c[4].in.create_message.seq, 3);
    assert_int_equal(get_conv(f, tenant, conv).last_seq, 3);

    struct store_stats after;
    assert_int_equal(store_stats(f->r, &after, NULL), 0);
    assert_int_equal(after.conversations, before.conversations); /* rolled back */
    assert_int_equal(after.messages, before.messages + 3);

    /* One batch, one sink call, exactly the three committed messages' events. */
    pthread_mutex_lock(&seen_mu);
    assert_int_equal(sink_calls, 1);
    assert_int_equal(n_seen, 3);
    for (size_t i = 0; i < n_seen; i++) assert_string_equal(seen_types[i], "message.created");
    pthread_mutex_unlock(&seen_mu);
    for (int i = 0; i < 5; i++) store_cmd_release(&c[i]);
    store_cmd_release(&blocker);
}

/* ---- idempotency ---------------------------------------------------------------------------- */

static void idempotency_key_replays_and_conflicts(void **state)
{
    struct fixture *f = *state;
    int64_t tenant = new_tenant(f, "acme", NULL);
    int64_t customer = new_customer(f, tenant, "Jane Smith", "jane@example.com");
    int64_t conv = new_conversation(f, tenant, customer);

    struct store_cmd a, b, c, d;
    message_cmd(&a, tenant, conv, SENDER_AGENT, "We are on it");
    a.idem_scope = "user:1";
    a.idem_key = "retry-42";
    snprintf(a.request_hash, sizeof(a.request_hash), "%064d", 1);
    assert_int_equal(run(f, &a), 0);
    assert_true(a.created);
    assert_false(a.replayed);

    /* The retry after a lost reply: same answer, nothing written twice. */
    message_cmd(&b, tenant, conv, SENDER_AGENT, "We are on it");
    b.idem_scope = "user:1";
    b.idem_key = "retry-42";
    memcpy(b.request_hash, a.request_hash, sizeof(a.request_hash));
    assert_int_equal(run(f, &b), 0);
    assert_true(b.replayed);
    assert_true(b.created);
    assert_int_equal(b.result_id, a.result_id);
    assert_string_equal(b.result_json, a.result_json);
    assert_int_equal(get_conv(f, tenant, conv).last_seq, 1);

    /* Same key, another body: refused, and says why. */
    message_cmd(&c, tenant, conv, SENDER_AGENT, "Something else");
    c.idem_scope = "user:1";
    c.idem_key = "retry-42";
    snprintf(c.request_hash, sizeof(c.request_hash), "%064d", 2);
    assert_int_equal(run(f, &c), PARLEY_ECONFLICT);
    assert_non_null(strstr(c.err.message, "Idempotency-Key"));
    assert_int_equal(get_conv(f, tenant, conv).last_seq, 1);

    /* Keys belong to their scope: another caller may use the same key. */
    message_cmd(&d, tenant, conv, SENDER_AGENT, "Something else");
    d.idem_scope = "user:2";
    d.idem_key = "retry-42";
    memcpy(d.request_hash, c.request_hash, sizeof(c.request_hash));
    assert_int_equal(run(f, &d), 0);
    assert_false(d.replayed);
    assert_int_equal(get_conv(f, tenant, conv).last_seq, 2);
    store_cmd_release(&a);
    store_cmd_release(&b);
    store_cmd_release(&c);
    store_cmd_release(&d);
}

/* ---- events ---------------------------------------------------------------------------------- */

static void event_ids_increase_and_resume_without_gaps_or_duplicates(void **state)
{
    struct fixture *f = *state;
    int64_t tenant = new_tenant(f, "acme", NULL);
    int64_t other = new_tenant(f, "globex", NULL);
    int64_t customer = new_customer(f, tenant, "Jane Smith", "jane@example.com");
    int64_t conv = new_conversation(f, tenant, customer);
    int64_t other_conv = new_conversation(f, other, new_customer(f, other, "Bob", NULL));
    for (int i = 0; i < 10; i++) {
        assert_int_equal(post(f, tenant, conv, SENDER_CUSTOMER, "hi", NULL), 0);
        assert_int_equal(post(f, other, other_conv, SENDER_CUSTOMER, "hi", NULL), 0);
    }
    struct event *all;
    size_t n_all;
    assert_int_equal(store_list_events(f->r, tenant, 0, 1000, &all, &n_all, &f->a, NULL), 0);
    assert_int_equal(n_all, 11); /* conversation.created + 10 messages; none of globex's */
    for (size_t i = 0; i < n_all; i++) assert_int_equal(all[i].tenant_id, tenant);
    assert_string_equal(all[0].type, "conversation.created");
    assert_int_equal(all[1].conversation_id, conv);
    assert_int_equal(all[1].customer_id, customer);
    assert_true(all[1].audience & AUDIENCE_CUSTOMER);

    /* Resume in pages of 3 from the last id seen: the same sequence, nothing twice. */
    int64_t after = 0;
    size_t got = 0;
    for (;;) {
        struct event *page;
        size_t n;
        assert_int_equal(store_list_events(f->r, tenant, after, 3, &page, &n, &f->a, NULL), 0);
        if (n == 0) break;
        for (size_t i = 0; i < n; i++) {
            assert_true(page[i].id > after);
            assert_int_equal(page[i].id, all[got].id);
            after = page[i].id;
            got++;
        }
    }
    assert_int_equal(got, n_all);

    /* Pruning everything never lets ids go backwards. */
    struct store_cmd p;
    store_cmd_init(&p, STORE_PRUNE);
    p.in.prune_before_ms = INT64_MAX;
    assert_int_equal(run(f, &p), 0);
    store_cmd_release(&p);
    struct event *left;
    size_t n_left;
    assert_int_equal(store_list_events(f->r, tenant, 0, 100, &left, &n_left, &f->a, NULL), 0);
    assert_int_equal(n_left, 0);
    assert_int_equal(post(f, tenant, conv, SENDER_CUSTOMER, "after prune", NULL), 0);
    assert_int_equal(store_list_events(f->r, tenant, 0, 100, &left, &n_left, &f->a, NULL), 0);
    assert_int_equal(n_left, 1);
    assert_true(left[0].id > all[n_all - 1].id);
}

static void prune_removes_only_events_older_than_the_cutoff(void **state)
{
    struct fixture *f = *state;
    int64_t tenant = new_tenant(f, "acme", NULL);
    int64_t customer = new_customer(f, tenant, "Jane Smith", "jane@example.com");
    int64_t conv = new_conversation(f, tenant, customer);
    for (int i = 0; i < 5; i++)
        assert_int_equal(post(f, tenant, conv, SENDER_CUSTOMER, "old", NULL), 0);
    usleep(5000);
    int64_t cutoff = util_now_ms();
    usleep(5000);
    for (int i = 0; i < 4; i++)
        assert_int_equal(post(f, tenant, conv, SENDER_CUSTOMER, "new", NULL), 0);
    struct store_cmd p;
    store_cmd_init(&p, STORE_PRUNE);
    p.in.prune_before_ms = cutoff;
    assert_int_equal(run(f, &p), 0);
    assert_int_equal(p.result_id, 6); /* conversation.created + 5 old messages */
    store_cmd_release(&p);
    struct event *left;
    size_t n_left;
    assert_int_equal(store_list_events(f->r, tenant, 0, 100, &left, &n_left, &f->a, NULL), 0);
    assert_int_equal(n_left, 4);
    for (size_t i = 0; i < n_left; i++) assert_true(left[i].at >= cutoff);
    /* messages themselves are never pruned */
    assert_int_equal(get_conv(f, tenant, conv).last_seq, 9);
}

static void internal_notes_are_staff_only_events(void **state)
{
    struct fixture *f = *state;
    int64_t tenant = new_tenant(f, "acme", NULL);
    int64_t conv = new_conversation(f, tenant, new_customer(f, tenant, "Jane", NULL));
    struct store_cmd c;
    message_cmd(&c, tenant, conv, SENDER_AGENT, "customer sounds upset");
    c.in.create_message.internal = true;
    assert_int_equal(run(f, &c), 0);
    store_cmd_release(&c);
    struct event *ev;
    size_t n;
    assert_int_equal(store_list_events(f->r, tenant, 0, 100, &ev, &n, &f->a, NULL), 0);
    assert_int_equal(n, 2);
    assert_string_equal(ev[1].type, "message.created");
    assert_int_equal(ev[1].audience, AUDIENCE_STAFF);
    /* and the customer's view of the conversation does not list it */
    struct message *m;
    int64_t next;
    struct store_page page = {0, 50};
    assert_int_equal(
        store_list_messages(f->r, tenant, conv, false, &page, &m, &n, &next, &f->a, NULL), 0);
    assert_int_equal(n, 0);
    /* no first response: internal notes do not count */
    assert_int_equal(get_conv(f, tenant, conv).first_response_at, 0);
}

/* ---- migrations and integrity ------------------------------------------------------------- */

static void reopening_applies_no_migration(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(store_migrations_applied(f->s), store_latest_schema_version());
    assert_int_equal(store_schema_version(f->s), store_latest_schema_version());
    int64_t tenant = new_tenant(f, "acme", NULL);
    close_store(f);
    assert_int_equal(open_store(f), 0);
    assert_int_equal(store_migrations_applied(f->s), 0);
    assert_int_equal(store_schema_version(f->s), store_latest_schema_version());
    /* the data is still there, and schema_version holds one row per migration */
    struct tenant t;
    assert_int_equal(store_get_tenant(f->r, tenant, &t, &f->a, NULL), 0);
    assert_string_equal(t.slug, "acme");
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT count(*), max(version) FROM schema_version", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), store_latest_schema_version());
    assert_int_equal(sqlite3_column_int(st, 1), store_latest_schema_version());
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void integrity_check_passes_after_a_workload(void **state)
{
    struct fixture *f = *state;
    int64_t tenant = new_tenant(f, "acme", NULL);
    for (int i = 0; i < 5; i++) {
        char email[64];
        snprintf(email, sizeof(email), "c%d@example.com", i);
        int64_t conv = new_conversation(f, tenant, new_customer(f, tenant, "C", email));
        for (int k = 0; k < 5; k++)
            assert_int_equal(post(f, tenant, conv, SENDER_CUSTOMER, "hello", NULL), 0);
    }
    struct parley_err err;
    assert_int_equal(store_check_integrity(f->s, &err), 0);
    struct store_stats st;
    assert_int_equal(store_stats(f->r, &st, NULL), 0);
    assert_int_equal(st.tenants, 1);
    assert_int_equal(st.customers, 5);
    assert_int_equal(st.conversations, 5);
    assert_int_equal(st.messages, 25);
}

static void closing_drains_queued_commands(void **state)
{
    struct fixture *f = *state;
    int64_t tenant = new_tenant(f, "acme", NULL);
    int64_t conv = new_conversation(f, tenant, new_customer(f, tenant, "Jane", NULL));
    enum { N = 300 };
    struct store_cmd *c = calloc(N, sizeof(*c));
    struct waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, N};
    for (int i = 0; i < N; i++) {
        message_cmd(&c[i], tenant, conv, SENDER_CUSTOMER, "queued");
        c[i].done = waiter_done;
        c[i].ud = &w;
        assert_int_equal(store_submit(f->s, &c[i]), 0);
    }
    close_store(f); /* returns only after every queued command ran */
    assert_int_equal(w.pending, 0);
    for (int i = 0; i < N; i++) {
        assert_int_equal(c[i].status, 0);
        store_cmd_release(&c[i]);
    }
    free(c);
    assert_int_equal(open_store(f), 0);
    assert_int_equal(get_conv(f, tenant, conv).last_seq, N);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(concurrent_submitters_all_commit_with_contiguous_seqs,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(failing_command_in_a_batch_does_not_affect_the_others,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(idempotency_key_replays_and_conflicts, setup, teardown),
        cmocka_unit_test_setup_teardown(event_ids_increase_and_resume_without_gaps_or_duplicates,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(prune_removes_only_events_older_than_the_cutoff, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(internal_notes_are_staff_only_events, setup, teardown),
        cmocka_unit_test_setup_teardown(reopening_applies_no_migration, setup, teardown),
        cmocka_unit_test_setup_teardown(integrity_check_passes_after_a_workload, setup, teardown),
        cmocka_unit_test_setup_teardown(closing_drains_queued_commands, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
