/* Storage ceiling for bench-core: the rows of one customer widget message written with raw
 * SQLite (WAL, synchronous=FULL, one transaction per batch), no Parley code in between. It
 * runs on a database made by `parley migrate` + `parley seed-demo`, so the schema and indexes
 * are exactly Parley's, and issues the statements the store issues for a widget message on a
 * customer's open conversation (docs/internals/store.md): idempotency probe, open-conversation
 * lookup (the partial index conversations_open), conversation head update, message insert,
 * message.created event, idempotency record. Single thread, prepared statements.
 *
 *   raw_sqlite --db FILE [--batch 256] [--seconds 5] [--conversations 1000] [--savepoints]
 *              [--returning] [--synchronous FULL|NORMAL|OFF] [--cache-kib 8192]
 *              [--checkpoint thread|inline|off]
 * --savepoints and --returning add what the store once did on top of the bare rows (a
 * savepoint per command; one UPDATE … RETURNING instead of SELECT + UPDATE), to see what each
 * costs. --cache-kib is the page cache (default: the store writer's 8 MiB, so the ceiling runs
 * with the settings Parley uses; SQLite's own default is 2000). --checkpoint: "thread" (the
 * default) checkpoints as the store does (src/store/store_checkpoint.c: a second thread and
 * connection copies the WAL into the database every 1,000 pages of growth, the writing thread
 * finishes the job itself past 8,000), so the ceiling gets the same help as the store;
 * "inline" is SQLite's own auto-checkpoint in the writing thread; "off" never checkpoints
 * (the WAL only grows): an upper bound no long-running writer reaches. --synchronous other than
 * FULL is for exploring what fsync costs, never for the ceiling.
 *
 * Prints `raw_sqlite: msgs_per_s=N …`. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static sqlite3 *db;

/* --checkpoint thread: the store's arrangement (see store_checkpoint.c) */
enum { CKPT_WAKE_PAGES = 1000, CKPT_INLINE_PAGES = 8000 };
static sqlite3 *ckpt_db;
static pthread_mutex_t ckpt_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ckpt_cv = PTHREAD_COND_INITIALIZER;
static bool ckpt_wanted, ckpt_stop;
static int ckpt_woken_at;

static int wal_hook(void *ud, sqlite3 *w, const char *name, int npages)
{
    (void)ud;
    if (npages >= CKPT_INLINE_PAGES) {
        sqlite3_wal_checkpoint_v2(w, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        return SQLITE_OK;
    }
    if (npages < ckpt_woken_at) ckpt_woken_at = 0;
    if (npages - ckpt_woken_at >= CKPT_WAKE_PAGES) {
        ckpt_woken_at = npages;
        pthread_mutex_lock(&ckpt_mu);
        ckpt_wanted = true;
        pthread_cond_signal(&ckpt_cv);
        pthread_mutex_unlock(&ckpt_mu);
    }
    return SQLITE_OK;
}

static void *checkpointer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&ckpt_mu);
    for (;;) {
        while (!ckpt_wanted && !ckpt_stop) pthread_cond_wait(&ckpt_cv, &ckpt_mu);
        if (ckpt_stop) break;
        ckpt_wanted = false;
        pthread_mutex_unlock(&ckpt_mu);
        sqlite3_wal_checkpoint_v2(ckpt_db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&ckpt_mu);
    }
    pthread_mutex_unlock(&ckpt_mu);
    return NULL;
}

static void die(const char *what)
{
    fprintf(stderr, "raw_sqlite: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
    exit(1);
}

static void exec(const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "raw_sqlite: %s: %s\n", sql, msg ? msg : "?");
        exit(1);
    }
}

static sqlite3_stmt *prep(const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
        die(sql);
    return st;
}

static void run(sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) die(what);
    sqlite3_reset(st);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double cpu_s(void) /* this process's CPU time (user + system) */
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    int batch = 256, nconv = 1000;
    double seconds = 5;
    bool savepoints = false, returning = false;
    const char *checkpoint = "thread";
    int cache_kib = 8192;
    const char *sync = "FULL";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--db") && i + 1 < argc)
            path = argv[++i];
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
            batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--conversations") && i + 1 < argc)
            nconv = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--savepoints"))
            savepoints = true;
        else if (!strcmp(argv[i], "--returning"))
            returning = true;
        else if (!strcmp(argv[i], "--synchronous") && i + 1 < argc)
            sync = argv[++i];
        else if (!strcmp(argv[i], "--cache-kib") && i + 1 < argc)
            cache_kib = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--checkpoint") && i + 1 < argc)
            checkpoint = argv[++i];
        else {
            fprintf(stderr, "usage: raw_sqlite --db FILE [--batch N] [--seconds S] "
                            "[--conversations N] [--savepoints] [--returning] [--synchronous MODE] "
                            "[--cache-kib N] [--checkpoint thread|inline|off]\n");
            return 64;
        }
    }
    bool ckpt_thread = !strcmp(checkpoint, "thread");
    if (!path || batch < 1 || nconv < 1 || cache_kib < 1 ||
        (!ckpt_thread && strcmp(checkpoint, "inline") && strcmp(checkpoint, "off")))
        return 64;
    if (sqlite3_open(path, &db) != SQLITE_OK) die("open");
    char pragmas[320];
    /* temp_store as the store's writer: it only matters with --savepoints */
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA foreign_keys=ON;"
             "PRAGMA busy_timeout=5000; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-%d;"
             "PRAGMA wal_autocheckpoint=%d;",
             sync, cache_kib, !strcmp(checkpoint, "inline") ? 1000 : 0);
    exec(pragmas);
    pthread_t ckpt_tid;
    if (ckpt_thread) {
        char sync_pragma[64];
        snprintf(sync_pragma, sizeof sync_pragma, "PRAGMA synchronous=%s", sync);
        if (sqlite3_open(path, &ckpt_db) != SQLITE_OK ||
            sqlite3_exec(ckpt_db, sync_pragma, NULL, NULL, NULL) != SQLITE_OK)
            die("checkpoint connection");
        sqlite3_busy_timeout(ckpt_db, 5000);
        sqlite3_wal_hook(db, wal_hook, NULL);
        if (pthread_create(&ckpt_tid, NULL, checkpointer, NULL) != 0) die("checkpoint thread");
    }

    /* setup (not timed): nconv anonymous visitors, each with an open web conversation */
    int64_t tenant = 0;
    {
        sqlite3_stmt *st = prep("SELECT id FROM tenants WHERE slug = 'acme'");
        if (sqlite3_step(st) != SQLITE_ROW) die("no acme tenant: run parley seed-demo first");
        tenant = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    int64_t *customers = calloc((size_t)nconv, sizeof *customers);
    exec("BEGIN");
    {
        int64_t t = now_ms();
        sqlite3_stmt *cu =
            prep("INSERT INTO customers (tenant_id, created_at, updated_at) VALUES (?, ?, ?)");
        sqlite3_stmt *co = prep(
            "INSERT INTO conversations (tenant_id, customer_id, reference, status, priority, "
            "channel, created_at, updated_at) VALUES (?, ?, ?, 'queued', 'normal', 'web', ?, ?)");
        for (int i = 0; i < nconv; i++) {
            sqlite3_bind_int64(cu, 1, tenant);
            sqlite3_bind_int64(cu, 2, t);
            sqlite3_bind_int64(cu, 3, t);
            run(cu, "insert customer");
            customers[i] = sqlite3_last_insert_rowid(db);
            char ref[32];
            snprintf(ref, sizeof ref, "RAW-%d", 10001 + i);
            sqlite3_bind_int64(co, 1, tenant);
            sqlite3_bind_int64(co, 2, customers[i]);
            sqlite3_bind_text(co, 3, ref, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(co, 4, t);
            sqlite3_bind_int64(co, 5, t);
            run(co, "insert conversation");
        }
        sqlite3_finalize(cu);
        sqlite3_finalize(co);
    }
    exec("COMMIT");

    /* the statements of one widget message, as the store issues them */
    sqlite3_stmt *idem_get =
        prep("SELECT request_hash, status, created, result_id, result_id2, result_json "
             "FROM idempotency WHERE tenant_id = ? AND scope = ? AND key = ?");
    sqlite3_stmt *open_conv = prep("SELECT id, customer_id, last_seq, status, assignees "
                                   "FROM conversations INDEXED BY conversations_open "
                                   "WHERE customer_id = ? AND tenant_id = ? "
                                   "AND status IN ('bot','queued','assigned','pending_customer') "
                                   "ORDER BY id DESC LIMIT 1");
    sqlite3_stmt *conv_upd =
        prep("UPDATE conversations SET last_seq = ?, updated_at = max(updated_at, ?) "
             "WHERE id = ?");
    /* --returning: the store's own shape, one UPDATE … RETURNING that finds the open
     * conversation, claims the seq and reads what the event needs */
    sqlite3_stmt *conv_ret =
        prep("UPDATE conversations SET last_seq = last_seq + 1, "
             "updated_at = max(updated_at, ?1), first_response_at = CASE WHEN 0 "
             "AND first_response_at IS NULL THEN ?1 ELSE first_response_at END "
             "WHERE id = (SELECT id FROM conversations INDEXED BY conversations_open "
             "WHERE customer_id = ?2 AND status IN ('bot','queued','assigned',"
             "'pending_customer') AND tenant_id = ?3 ORDER BY id DESC LIMIT 1) "
             "RETURNING id, customer_id, status, last_seq, assignees");
    sqlite3_stmt *msg_ins = prep(
        "INSERT INTO messages (tenant_id, conversation_id, seq, sender, author_id, "
        "channel, internal, body, created_at) VALUES (?, ?, ?, 'customer', ?, 'web', 0, ?, ?)");
    sqlite3_stmt *ev_ins =
        prep("INSERT INTO events (tenant_id, type, conversation_id, customer_id, assignee_id, "
             "assignees, audience, data, data_customer, at) "
             "VALUES (?, 'message.created', ?, ?, ?, ?, 3, ?, NULL, ?)");
    sqlite3_stmt *idem_put =
        prep("INSERT INTO idempotency (tenant_id, scope, key, request_hash, status, created, "
             "result_id, result_id2, result_json, created_at) "
             "VALUES (?, ?, ?, ?, 0, 1, ?, ?, ?, ?)");
    sqlite3_stmt *sp_begin = prep("SAVEPOINT cmd");
    sqlite3_stmt *sp_release = prep("RELEASE cmd");
    sqlite3_stmt *tx_begin = prep("BEGIN IMMEDIATE");
    sqlite3_stmt *tx_commit = prep("COMMIT");

    const char *hash = "3f1c0c5e8a5d4b7e9f2a6c1d0b8e7f6a5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f";
    int64_t msgs = 0, batches = 0, k = 0;
    double t0 = mono_s(), t_end = t0 + seconds, c0 = cpu_s();
    while (mono_s() < t_end) {
        run(tx_begin, "begin");
        for (int b = 0; b < batch; b++, k++) {
            int64_t cust = customers[k % nconv];
            int64_t at = now_ms();
            char scope[48], key[64], body[96], json[512];
            snprintf(scope, sizeof scope, "customer:%lld", (long long)cust);
            snprintf(key, sizeof key, "bench-raw-%lld", (long long)k);
            snprintf(body, sizeof body, "bench message 1-%lld: my order has not arrived yet",
                     (long long)k);
            if (savepoints) run(sp_begin, "savepoint");

            sqlite3_bind_int64(idem_get, 1, tenant);
            sqlite3_bind_text(idem_get, 2, scope, -1, SQLITE_STATIC);
            sqlite3_bind_text(idem_get, 3, key, -1, SQLITE_STATIC);
            if (sqlite3_step(idem_get) == SQLITE_ROW) die("idempotency key already used");
            sqlite3_reset(idem_get);

            int64_t conv, seq;
            if (returning) {
                sqlite3_bind_int64(conv_ret, 1, at);
                sqlite3_bind_int64(conv_ret, 2, cust);
                sqlite3_bind_int64(conv_ret, 3, tenant);
                if (sqlite3_step(conv_ret) != SQLITE_ROW) die("no open conversation");
                conv = sqlite3_column_int64(conv_ret, 0);
                seq = sqlite3_column_int64(conv_ret, 3);
                while (sqlite3_step(conv_ret) == SQLITE_ROW) {
                }
                sqlite3_reset(conv_ret);
            } else {
                sqlite3_bind_int64(open_conv, 1, cust);
                sqlite3_bind_int64(open_conv, 2, tenant);
                if (sqlite3_step(open_conv) != SQLITE_ROW) die("no open conversation");
                conv = sqlite3_column_int64(open_conv, 0);
                seq = sqlite3_column_int64(open_conv, 2) + 1;
                sqlite3_reset(open_conv);

                sqlite3_bind_int64(conv_upd, 1, seq);
                sqlite3_bind_int64(conv_upd, 2, at);
                sqlite3_bind_int64(conv_upd, 3, conv);
                run(conv_upd, "update conversation");
            }

            sqlite3_bind_int64(msg_ins, 1, tenant);
            sqlite3_bind_int64(msg_ins, 2, conv);
            sqlite3_bind_int64(msg_ins, 3, seq);
            sqlite3_bind_int64(msg_ins, 4, cust);
            sqlite3_bind_text(msg_ins, 5, body, -1, SQLITE_STATIC);
            sqlite3_bind_int64(msg_ins, 6, at);
            run(msg_ins, "insert message");
            int64_t mid = sqlite3_last_insert_rowid(db);

            /* the Message JSON, as the API renders it: event payload and idempotent reply */
            int jl = snprintf(
                json, sizeof json,
                "{\"id\":%lld,\"conversation_id\":%lld,\"seq\":%lld,\"sender\":\"customer\","
                "\"author_id\":%lld,\"channel\":\"web\",\"internal\":false,\"body\":\"%s\","
                "\"created_at\":%lld}",
                (long long)mid, (long long)conv, (long long)seq, (long long)cust, body,
                (long long)at);
            sqlite3_bind_int64(ev_ins, 1, tenant);
            sqlite3_bind_int64(ev_ins, 2, conv);
            sqlite3_bind_int64(ev_ins, 3, cust);
            sqlite3_bind_int64(ev_ins, 4, 0);
            sqlite3_bind_text(ev_ins, 5, "", 0, SQLITE_STATIC);
            sqlite3_bind_text(ev_ins, 6, json, jl, SQLITE_STATIC);
            sqlite3_bind_int64(ev_ins, 7, at);
            run(ev_ins, "insert event");

            char reply[640];
            int rl = snprintf(reply, sizeof reply, "{\"message\":%s,\"conversation_id\":%lld}",
                              json, (long long)conv);
            sqlite3_bind_int64(idem_put, 1, tenant);
            sqlite3_bind_text(idem_put, 2, scope, -1, SQLITE_STATIC);
            sqlite3_bind_text(idem_put, 3, key, -1, SQLITE_STATIC);
            sqlite3_bind_text(idem_put, 4, hash, 64, SQLITE_STATIC);
            sqlite3_bind_int64(idem_put, 5, mid);
            sqlite3_bind_int64(idem_put, 6, conv);
            sqlite3_bind_text(idem_put, 7, reply, rl, SQLITE_STATIC);
            sqlite3_bind_int64(idem_put, 8, at);
            run(idem_put, "insert idempotency");

            if (savepoints) run(sp_release, "release");
        }
        run(tx_commit, "commit");
        msgs += batch;
        batches++;
    }
    double el = mono_s() - t0, cpu = cpu_s() - c0;
    printf("raw_sqlite: msgs_per_s=%.0f msgs=%lld batches=%lld batch=%d seconds=%.2f "
           "commits_per_s=%.0f savepoints=%s returning=%s synchronous=%s conversations=%d "
           "cache_kib=%d checkpoint=%s cpu_us_per_msg=%.1f\n",
           (double)msgs / el, (long long)msgs, (long long)batches, batch, el, (double)batches / el,
           savepoints ? "yes" : "no", returning ? "yes" : "no", sync, nconv, cache_kib, checkpoint,
           msgs > 0 ? cpu * 1e6 / (double)msgs : 0.0);
    sqlite3_stmt *all[] = {idem_get, open_conv, conv_upd,   conv_ret, msg_ins,  ev_ins,
                           idem_put, sp_begin,  sp_release, tx_begin, tx_commit};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) sqlite3_finalize(all[i]);
    if (ckpt_thread) {
        pthread_mutex_lock(&ckpt_mu);
        ckpt_stop = true;
        pthread_cond_signal(&ckpt_cv);
        pthread_mutex_unlock(&ckpt_mu);
        pthread_join(ckpt_tid, NULL);
        sqlite3_close(ckpt_db);
    }
    sqlite3_close(db);
    free(customers);
    return 0;
}
