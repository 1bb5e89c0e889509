/* The writer thread and group commit: commands queue under a mutex; the writer takes up to
 * batch_max of them, runs them inside one IMMEDIATE transaction (a failed command's rows are
 * undone without touching the others': see enum batch_mode), handles
 * idempotency keys generically, commits once, then hands the batch's events to the sink and
 * calls every command's done(). Nothing is acknowledged before its COMMIT succeeded. */
#define _GNU_SOURCE /* pthread_setname_np */
#include "store_int.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../core/core_json.h"

#include <stdlib.h>
#include <string.h>

typedef int (*cmd_handler_fn)(struct store *s, struct store_cmd *cmd);

/* One handler per command kind. */
static const cmd_handler_fn handlers[STORE_CMD__COUNT] = {
    [STORE_CREATE_TENANT] = cmd_create_tenant,
    [STORE_CREATE_TEAM] = cmd_create_team,
    [STORE_CREATE_USER] = cmd_create_user,
    [STORE_CREATE_SESSION] = cmd_create_session,
    [STORE_CREATE_API_TOKEN] = cmd_create_api_token,
    [STORE_DELETE_SESSION] = cmd_delete_session,
    [STORE_CREATE_CUSTOMER] = cmd_create_customer,
    [STORE_UPDATE_CUSTOMER] = cmd_update_customer,
    [STORE_ADD_IDENTITY] = cmd_add_identity,
    [STORE_SET_CONSENT] = cmd_set_consent,
    [STORE_CREATE_CONVERSATION] = cmd_create_conversation,
    [STORE_UPDATE_CONVERSATION] = cmd_update_conversation,
    [STORE_CREATE_MESSAGE] = cmd_create_message,
    [STORE_WIDGET_SESSION] = cmd_widget_session,
    [STORE_WIDGET_MESSAGE] = cmd_widget_message,
    [STORE_UPDATE_RECEIPT] = cmd_update_receipt,
    [STORE_APPEND_AUDIT] = cmd_append_audit,
    [STORE_PRUNE] = cmd_prune,
    [STORE_SET_NLU_MODEL] = cmd_set_nlu_model, /* NLU */
    [STORE_RECORD_ARRIVALS] = cmd_record_arrivals,
    [STORE_BOT_TURN] = cmd_bot_turn,               /* virtual agent (issue 3) */
    [STORE_BOT_SET_POLICY] = cmd_bot_set_policy,   /* virtual agent (issue 3) */
    [STORE_BOT_FIRST_REPLY] = cmd_bot_first_reply, /* virtual agent (issue 3) */
    /* swarming */
    [STORE_ADD_PARTICIPANT] = cmd_add_participant,
    [STORE_REMOVE_PARTICIPANT] = cmd_remove_participant,
    [STORE_UPDATE_PARTICIPANT] = cmd_update_participant,
    /* routing (issue 4) */
    [STORE_PUT_QUEUE] = cmd_put_queue,
    [STORE_DELETE_QUEUE] = cmd_delete_queue,
    [STORE_PUT_ROUTING_PROFILE] = cmd_put_routing_profile,
    [STORE_SET_PRESENCE] = cmd_set_presence,
    [STORE_PUT_SLA_POLICIES] = cmd_put_sla_policies,
    [STORE_PUT_ROUTE_SETTINGS] = cmd_put_route_settings,
    [STORE_CREATE_CALLBACK] = cmd_create_callback,
    [STORE_CALLBACK_DUE] = cmd_callback_due,
    [STORE_TRANSFER] = cmd_transfer,
    [STORE_ROUTE_DECISION] = cmd_route_decision,
    [STORE_KB_PUT_ARTICLE] = cmd_kb_put_article, /* kb helper */
    [STORE_KB_UPDATE_ARTICLE] = cmd_kb_update_article,
    [STORE_KB_DELETE_ARTICLE] = cmd_kb_delete_article,
    [STORE_CANCEL_CALLBACK] = cmd_cancel_callback, /* routehot */
};

/* ---- commands and the queue ------------------------------------------------------------- */

void store_cmd_init(struct store_cmd *cmd, enum store_cmd_kind kind)
{
    memset(cmd, 0, sizeof(*cmd));
    cmd->kind = kind;
    arena_init(&cmd->arena);
}

void store_cmd_release(struct store_cmd *cmd)
{
    if (cmd != NULL) arena_free(&cmd->arena);
}

int store_submit(struct store *s, struct store_cmd *cmd)
{
    pthread_mutex_lock(&s->mu);
    if (s->closing || s->queued >= s->queue_max) {
        bool closing = s->closing;
        pthread_mutex_unlock(&s->mu);
        return parley_fail(&cmd->err, PARLEY_EBUSY, NULL,
                           closing ? "the store is shutting down; retry on another node"
                                   : "the store's write queue is full; retry shortly");
    }
    cmd->next_queued = NULL;
    if (s->tail != NULL)
        s->tail->next_queued = cmd;
    else
        s->head = cmd;
    s->tail = cmd;
    s->queued++;
    pthread_cond_signal(&s->work_cv);
    pthread_mutex_unlock(&s->mu);
    return 0;
}

struct exec_wait {
    struct store *s;
    bool finished;
};

static void exec_done(struct store_cmd *cmd)
{
    struct exec_wait *w = cmd->ud;
    pthread_mutex_lock(&w->s->mu);
    w->finished = true;
    pthread_cond_broadcast(&w->s->exec_cv);
    pthread_mutex_unlock(&w->s->mu);
}

int store_exec(struct store *s, struct store_cmd *cmd)
{
    store_done_fn prev_done = cmd->done;
    void *prev_ud = cmd->ud;
    struct exec_wait w = {.s = s, .finished = false};
    cmd->done = exec_done;
    cmd->ud = &w;
    int rc = store_submit(s, cmd);
    if (rc != 0) {
        cmd->status = rc;
    } else {
        pthread_mutex_lock(&s->mu);
        while (!w.finished) pthread_cond_wait(&s->exec_cv, &s->mu);
        pthread_mutex_unlock(&s->mu);
    }
    cmd->done = prev_done;
    cmd->ud = prev_ud;
    return cmd->status;
}

/* ---- helpers for handlers ---------------------------------------------------------------- */

int64_t w_time(int64_t t)
{
    return t != 0 ? t : util_now_ms();
}

void w_view(const struct store_cmd *cmd, struct json_view *v)
{
    v->customer_self = cmd->viewer_is_customer;
    v->role = cmd->viewer_role;
}

int w_event(struct store *s, struct store_cmd *cmd, const char *type, const struct event_scope *sc,
            unsigned audience, const char *data, const char *data_customer, int64_t at)
{
    struct store_batch *b = &s->batch;
    if (b->n_events == b->cap_events) {
        size_t cap = b->cap_events == 0 ? 64 : b->cap_events * 2;
        struct event *grown = realloc(b->events, cap * sizeof(*grown));
        if (grown == NULL)
            return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory recording an event");
        b->events = grown;
        b->cap_events = cap;
    }
    struct event *e = &b->events[b->n_events];
    memset(e, 0, sizeof(*e));
    size_t n = sc->n_assignees < 8 ? sc->n_assignees : 8;
    const char *text = sc->assignees_text;
    if (text == NULL) text = ids_format(sc->assignees, n, &cmd->arena);
    if (text == NULL || data == NULL)
        return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory recording an event");

    sqlite3_stmt *st = stmt_get(&s->cache,
                                "INSERT INTO events(tenant_id, type, conversation_id, customer_id,"
                                " assignee_id, assignees, audience, data, data_customer, at)"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    bind_text(st, 2, type);
    sqlite3_bind_int64(st, 3, sc->conversation_id);
    sqlite3_bind_int64(st, 4, sc->customer_id);
    sqlite3_bind_int64(st, 5, n > 0 ? sc->assignees[0] : 0);
    bind_text(st, 6, text);
    sqlite3_bind_int(st, 7, (int)audience);
    bind_text(st, 8, data);
    bind_text(st, 9, data_customer);
    sqlite3_bind_int64(st, 10, at);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "recording an event");

    e->id = sqlite3_last_insert_rowid(s->db);
    e->tenant_id = cmd->tenant_id;
    e->type = type;
    e->conversation_id = sc->conversation_id;
    e->customer_id = sc->customer_id;
    e->assignee_id = n > 0 ? sc->assignees[0] : 0;
    if (n > 0) memcpy(e->assignees, sc->assignees, n * sizeof(int64_t));
    e->n_assignees = (int)n;
    e->audience = audience;
    e->data = data;
    e->data_customer = data_customer;
    e->at = at;
    b->n_events++;
    return 0;
}

int w_audit(struct store *s, struct store_cmd *cmd, const char *action, const char *object,
            const char *detail, int64_t at)
{
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "INSERT INTO audit(tenant_id, actor, action, object, detail, at)"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    if (object == NULL || detail == NULL)
        return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory writing the audit log");
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    bind_text(st, 2, cmd->actor != NULL ? cmd->actor : "system");
    bind_text(st, 3, action);
    bind_text(st, 4, object);
    bind_text(st, 5, detail);
    sqlite3_bind_int64(st, 6, w_time(at));
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "writing the audit log");
    return 0;
}

/* ---- idempotency ---------------------------------------------------------------------- */

/* 1: replayed (results filled from the stored row), 0: run it, <0: error (conflict …). */
static int idem_lookup(struct store *s, struct store_cmd *cmd)
{
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "SELECT request_hash, status, created, result_id, result_id2,"
                                " result_json FROM idempotency"
                                " WHERE tenant_id = ?1 AND scope = ?2 AND key = ?3",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    bind_text(st, 2, cmd->idem_scope != NULL ? cmd->idem_scope : "");
    bind_text(st, 3, cmd->idem_key);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        return 0;
    }
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return db_fail(&cmd->err, s->db, "checking the idempotency key");
    }
    const char *hash = (const char *)sqlite3_column_text(st, 0);
    if (hash == NULL || strcmp(hash, cmd->request_hash) != 0) {
        sqlite3_reset(st);
        return parley_fail(&cmd->err, PARLEY_ECONFLICT, "Idempotency-Key",
                           "this Idempotency-Key was already used with a different request; "
                           "use a new key for a new request");
    }
    cmd->status = sqlite3_column_int(st, 1);
    cmd->created = sqlite3_column_int(st, 2) != 0;
    cmd->result_id = sqlite3_column_int64(st, 3);
    cmd->result_id2 = sqlite3_column_int64(st, 4);
    cmd->result_json = (char *)col_text(st, 5, &cmd->arena);
    cmd->replayed = true;
    sqlite3_reset(st);
    return 1;
}

static int idem_store(struct store *s, struct store_cmd *cmd)
{
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "INSERT INTO idempotency(tenant_id, scope, key, request_hash,"
                                " status, created, result_id, result_id2, result_json, created_at)"
                                " VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, ?7, ?8, ?9)",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    bind_text(st, 2, cmd->idem_scope != NULL ? cmd->idem_scope : "");
    bind_text(st, 3, cmd->idem_key);
    bind_text(st, 4, cmd->request_hash);
    sqlite3_bind_int(st, 5, cmd->created ? 1 : 0);
    sqlite3_bind_int64(st, 6, cmd->result_id);
    sqlite3_bind_int64(st, 7, cmd->result_id2);
    bind_text(st, 8, cmd->result_json);
    sqlite3_bind_int64(st, 9, util_now_ms());
    if (stmt_run(st) != SQLITE_DONE)
        return db_fail(&cmd->err, s->db, "storing the idempotency key");
    return 0;
}

/* ---- batches ------------------------------------------------------------------------------ */

static int exec_cached(struct store *s, const char *sql, struct parley_err *err)
{
    sqlite3_stmt *st = stmt_get(&s->cache, sql, err);
    if (st == NULL) return err->code;
    if (stmt_run(st) != SQLITE_DONE) return db_fail(err, s->db, sql);
    return 0;
}

static void clear_results(struct store_cmd *cmd)
{
    cmd->replayed = false;
    cmd->created = false;
    cmd->result_id = 0;
    cmd->result_id2 = 0;
    cmd->result_json = NULL;
    cmd->event_hw = 0;
}

/* How a batch runs its commands. OPTIMISTIC: no savepoints; a command that fails before it
 * changed anything (nearly every failure: not found, closed, conflicting key, bad input) is
 * simply reported, and one that fails after changing rows makes the whole attempt roll back
 * and the batch run again in SAVEPOINTS mode, each command in its own savepoint. Savepoints
 * cost about a quarter of the writer's time per message (each copies the pages it is about
 * to change into the statement journal, and RELEASE empties it), for the rare command that
 * fails half-way (docs/benchmarks.md). */
enum batch_mode { OPTIMISTIC, SAVEPOINTS };

enum one_result {
    ONE_DONE, /* the command committed or failed cleanly: go on with the batch */
    ONE_UNDO, /* OPTIMISTIC: it failed after changing rows; only a rollback undoes them */
    ONE_LOST, /* the transaction itself is lost (SQLite rolled it back): the batch fails */
};

/* Runs one command (in its own savepoint in SAVEPOINTS mode). */
static enum one_result run_one(struct store *s, struct store_cmd *cmd, enum batch_mode mode)
{
    struct store_batch *b = &s->batch;
    size_t mark = b->n_events;
    sqlite3_int64 changes = sqlite3_total_changes64(s->db);
    clear_results(cmd);
    parley_err_clear(&cmd->err);
    int rc = mode == SAVEPOINTS ? exec_cached(s, "SAVEPOINT cmd", &cmd->err) : 0;
    if (rc != 0) {
        cmd->status = rc;
        return sqlite3_get_autocommit(s->db) == 0 ? ONE_DONE : ONE_LOST;
    }
    bool replay = false;
    if (cmd->idem_key != NULL) {
        rc = idem_lookup(s, cmd);
        if (rc == 1) {
            replay = true;
            rc = 0;
        }
    }
    if (rc == 0 && !replay) {
        cmd_handler_fn fn = (unsigned)cmd->kind < STORE_CMD__COUNT ? handlers[cmd->kind] : NULL;
        rc = fn != NULL ? fn(s, cmd)
                        : parley_fail(&cmd->err, PARLEY_EINTERNAL, NULL,
                                      "unknown store command kind %d", (int)cmd->kind);
        if (rc == 0 && cmd->idem_key != NULL) rc = idem_store(s, cmd);
    }
    if (rc == 0 && (mode == OPTIMISTIC || exec_cached(s, "RELEASE cmd", &cmd->err) == 0)) {
        cmd->status = 0;
        cmd->event_hw = mark > 0 ? b->events[mark - 1].id : s->event_hw;
        return ONE_DONE;
    }
    if (rc == 0) rc = cmd->err.code != 0 ? cmd->err.code : PARLEY_EIO;
    if (cmd->err.code == 0)
        parley_fail(&cmd->err, rc, NULL, "the command failed (%s)", parley_err_code_name(rc));
    cmd->status = rc;
    clear_results(cmd);
    b->n_events = mark; /* its events are undone with its rows */
    if (sqlite3_get_autocommit(s->db) != 0) return ONE_LOST; /* SQLite rolled everything back */
    if (mode == OPTIMISTIC)
        /* A failed statement undoes itself; a command that changed no row left nothing. */
        return sqlite3_total_changes64(s->db) == changes ? ONE_DONE : ONE_UNDO;
    struct parley_err ignored;
    if (exec_cached(s, "ROLLBACK TO cmd", &ignored) != 0 ||
        exec_cached(s, "RELEASE cmd", &ignored) != 0)
        return ONE_LOST;
    return ONE_DONE;
}

static void fail_all(struct store_batch *b, const char *why)
{
    for (size_t i = 0; i < b->n; i++) {
        struct store_cmd *cmd = b->cmds[i];
        clear_results(cmd);
        cmd->status = parley_fail(&cmd->err, PARLEY_EIO, NULL,
                                  "the write was not saved (%s); it is safe to retry", why);
    }
    b->n_events = 0;
}

/* Inputs as submitted, so that a batch run again starts from them: handlers fill in defaults,
 * times and ids as they go (a shallow copy: what the inputs point to is not changed). */
static void save_inputs(struct store_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        const struct store_cmd *cmd = b->cmds[i];
        struct store_cmd_input *in = &b->inputs[i];
        memcpy(&in->in, &cmd->in, sizeof(in->in));
        in->tenant_id = cmd->tenant_id;
        in->actor = cmd->actor;
        in->receipt_kind = cmd->receipt_kind;
    }
}

static void restore_inputs(struct store_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        struct store_cmd *cmd = b->cmds[i];
        const struct store_cmd_input *in = &b->inputs[i];
        memcpy(&cmd->in, &in->in, sizeof(in->in));
        cmd->tenant_id = in->tenant_id;
        cmd->actor = in->actor;
        cmd->receipt_kind = in->receipt_kind;
    }
}

/* One attempt at the batch in one transaction. Returns true when the batch is settled
 * (committed, or failed as a whole); false when it must run again in SAVEPOINTS mode. */
static bool attempt_batch(struct store *s, enum batch_mode mode, store_event_sink_fn sink,
                          void *sink_ud)
{
    struct store_batch *b = &s->batch;
    struct parley_err err;
    b->n_events = 0;
    if (exec_cached(s, "BEGIN IMMEDIATE", &err) != 0) {
        fail_all(b, "the transaction could not start");
        return true;
    }
    enum one_result r = ONE_DONE;
    for (size_t i = 0; i < b->n && r == ONE_DONE; i++) r = run_one(s, b->cmds[i], mode);
    if (r == ONE_DONE && exec_cached(s, "COMMIT", &err) == 0) {
        if (b->n_events > 0) s->event_hw = b->events[b->n_events - 1].id;
        if (sink != NULL && b->n_events > 0) sink(sink_ud, b->events, b->n_events);
        return true;
    }
    if (sqlite3_get_autocommit(s->db) == 0) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    if (r == ONE_UNDO) {
        log_msg(LOG_DEBUG, "store", "event=batch_rerun_with_savepoints commands=%zu", b->n);
        b->n_events = 0;
        restore_inputs(b);
        return false;
    }
    log_msg(LOG_ERROR, "store", "batch_failed commands=%zu", b->n);
    fail_all(b, "the transaction did not commit");
    return true;
}

static void run_batch(struct store *s, store_event_sink_fn sink, void *sink_ud)
{
    struct store_batch *b = &s->batch;
    save_inputs(b);
    if (!attempt_batch(s, OPTIMISTIC, sink, sink_ud)) attempt_batch(s, SAVEPOINTS, sink, sink_ud);
    /* done() may free the command: nothing touches it afterwards. */
    for (size_t i = 0; i < b->n; i++) {
        struct store_cmd *cmd = b->cmds[i];
        b->cmds[i] = NULL;
        if (cmd->done != NULL) cmd->done(cmd);
    }
    b->n = 0;
    b->n_events = 0;
    arena_free(&b->arena);
}

void *store_writer_main(void *arg)
{
    struct store *s = arg;
    pthread_setname_np(pthread_self(), "parley-writer"); /* visible in top, perf and gdb */
    for (;;) {
        pthread_mutex_lock(&s->mu);
        while (s->head == NULL && !s->closing) pthread_cond_wait(&s->work_cv, &s->mu);
        if (s->head == NULL) { /* closing and drained */
            pthread_mutex_unlock(&s->mu);
            break;
        }
        /* Whatever queued while the previous batch committed forms the next batch: under load
         * batches grow by themselves, and one fsync covers them all. */
        struct store_batch *b = &s->batch;
        while (s->head != NULL && b->n < (size_t)s->batch_max) {
            struct store_cmd *cmd = s->head;
            s->head = cmd->next_queued;
            cmd->next_queued = NULL;
            b->cmds[b->n++] = cmd;
            s->queued--;
        }
        if (s->head == NULL) s->tail = NULL;
        store_event_sink_fn sink = s->sink;
        void *sink_ud = s->sink_ud;
        pthread_mutex_unlock(&s->mu);
        run_batch(s, sink, sink_ud);
    }
    return NULL;
}
