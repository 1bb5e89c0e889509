/* The SQLite backend's connections: opening with the durability pragmas, migrations, the
 * per-connection prepared-statement cache, read-only reader connections, integrity checks
 * and the small binding helpers every store file uses. */
#include "store_int.h"
#include "../common/log.h"
#include "../common/util.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- statement cache ------------------------------------------------------------------- */

static size_t slot_of(const char *sql)
{
    uintptr_t h = (uintptr_t)sql;
    h ^= h >> 17;
    h *= 0x9E3779B1u;
    return (size_t)(h >> 7) % STMT_CACHE_SLOTS;
}

sqlite3_stmt *stmt_get(struct stmt_cache *c, const char *sql, struct parley_err *err)
{
    size_t i = slot_of(sql);
    for (size_t probe = 0; probe < STMT_CACHE_SLOTS; probe++, i = (i + 1) % STMT_CACHE_SLOTS) {
        if (c->sql[i] == sql) {
            sqlite3_reset(c->st[i]);
            return c->st[i];
        }
        if (c->sql[i] == NULL) {
            sqlite3_stmt *st = NULL;
            if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) !=
                SQLITE_OK) {
                db_fail(err, c->db, "preparing a statement");
                sqlite3_finalize(st);
                return NULL;
            }
            c->sql[i] = sql;
            c->st[i] = st;
            return st;
        }
    }
    parley_fail(err, PARLEY_EINTERNAL, NULL, "statement cache full: raise STMT_CACHE_SLOTS");
    return NULL;
}

void stmt_cache_clear(struct stmt_cache *c)
{
    for (size_t i = 0; i < STMT_CACHE_SLOTS; i++) {
        if (c->st[i] != NULL) sqlite3_finalize(c->st[i]);
        c->st[i] = NULL;
        c->sql[i] = NULL;
    }
}

int db_fail(struct parley_err *err, sqlite3 *db, const char *what)
{
    int rc = db != NULL ? sqlite3_extended_errcode(db) : SQLITE_ERROR;
    const char *msg = db != NULL ? sqlite3_errmsg(db) : "no database";
    int code = PARLEY_EIO;
    if ((rc & 0xff) == SQLITE_NOMEM) code = PARLEY_ENOMEM;
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) code = PARLEY_EBUSY;
    log_msg(LOG_ERROR, "store", "op=\"%s\" sqlite_rc=%d", what, rc);
    return parley_fail(err, code, NULL, "storage error while %s: %s", what, msg);
}

int stmt_run(sqlite3_stmt *st)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    }
    sqlite3_reset(st);
    return rc;
}

void bind_text(sqlite3_stmt *st, int idx, const char *s)
{
    /* Strings outlive the statement's step, so SQLite need not copy them. */
    if (s == NULL)
        sqlite3_bind_null(st, idx);
    else
        sqlite3_bind_text(st, idx, s, -1, SQLITE_STATIC);
}

void bind_id0(sqlite3_stmt *st, int idx, int64_t v)
{
    if (v == 0)
        sqlite3_bind_null(st, idx);
    else
        sqlite3_bind_int64(st, idx, v);
}

const char *col_text(sqlite3_stmt *st, int col, struct arena *a)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    if (t == NULL) return NULL;
    return arena_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(st, col));
}

size_t ids_parse(const char *text, int64_t *out, size_t max)
{
    size_t n = 0;
    const char *p = text;
    while (p != NULL && *p != '\0' && n < max) {
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p) break;
        out[n++] = v;
        p = *end == ',' ? end + 1 : end;
    }
    return n;
}

char *ids_format(const int64_t *ids, size_t n, struct arena *a)
{
    char *out = arena_alloc(a, n * 21 + 1);
    if (out == NULL) return NULL;
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, 22, i == 0 ? "%lld" : ",%lld", (long long)ids[i]);
    out[len] = '\0';
    return out;
}

char *strings_to_json(const char *const *items, size_t n, struct arena *a)
{
    json_t *arr = json_array();
    if (arr == NULL) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (items[i] == NULL) continue;
        if (json_array_append_new(arr, json_string(items[i])) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    char *s = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    if (s == NULL) return NULL;
    char *out = arena_strdup(a, s);
    free(s);
    return out;
}

const char **strings_from_json(const char *text, size_t *n, struct arena *a)
{
    *n = 0;
    json_t *arr = text != NULL ? json_loads(text, 0, NULL) : NULL;
    size_t count = json_is_array(arr) ? json_array_size(arr) : 0;
    const char **out = arena_alloc(a, (count + 1) * sizeof(*out));
    if (out != NULL) {
        for (size_t i = 0; i < count; i++) {
            const char *v = json_string_value(json_array_get(arr, i));
            if (v != NULL) out[(*n)++] = arena_strdup(a, v);
        }
    }
    json_decref(arr);
    return out;
}

/* ---- opening --------------------------------------------------------------------------- */

/* The write connection's page cache, 8 MiB (SQLite's default is 2 MB). Bigger measured no
 * better with full batches and worse with small ones: at every COMMIT SQLite walks the
 * cache's hash table (pcache1TruncateUnsafe), which grows with the cache, and small batches
 * mean many commits (docs/benchmarks.md). */
#define WRITER_CACHE_KIB  "-8192"
#define READER_MMAP_BYTES "1073741824" /* 1 GiB of address space, not of memory */

/* Process-wide SQLite settings, once, before the first connection. Memory statistics (which
 * nothing reads) take a global mutex around every allocation SQLite makes, and the writer
 * makes several per statement. Refused harmlessly when SQLite is already initialised. */
static void sqlite_global_config(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int exec_sql(sqlite3 *db, const char *sql, const char *what, struct parley_err *err)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) return db_fail(err, db, what);
    return 0;
}

static int configure(sqlite3 *db, bool writer, bool sync_full, int busy_ms, struct parley_err *err)
{
    sqlite3_busy_timeout(db, busy_ms);
    if (writer) {
        /* WAL lets readers work while the writer commits; FULL fsyncs the WAL on every commit,
         * which is what makes an acknowledged message survive a power cut. */
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, NULL) != SQLITE_OK)
            return db_fail(err, db, "enabling WAL");
        const char *mode =
            sqlite3_step(st) == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
        bool wal = mode != NULL && strcmp(mode, "wal") == 0;
        sqlite3_finalize(st);
        if (!wal)
            return parley_fail(err, PARLEY_EIO, "db",
                               "the database could not switch to WAL mode; put it on a local "
                               "file system that supports shared memory");
        int rc = exec_sql(db, sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
                          "setting synchronous", err);
        if (rc != 0) return rc;
        /* temp_store: each command's savepoint keeps the undo copies of the pages it changes
         * in a statement journal; past 64 KiB a batch spilled it to /var/tmp (a new temp file
         * per batch, ~16 writes per message). In memory it is emptied at every RELEASE, so it
         * holds one command's pages at most.
         * cache_size: a batch of 256 messages touches more pages than the default 2 MB
         * cache, which made SQLite spill dirty pages mid-transaction and read pages again
         * within the batch. The cache fills only as pages are used. */
        rc = exec_sql(db, "PRAGMA temp_store=MEMORY; PRAGMA cache_size=" WRITER_CACHE_KIB,
                      "configuring the write connection", err);
        if (rc != 0) return rc;
    } else {
        /* Readers map the database file instead of copying pages into a private 2 MB cache
         * each: a knowledge-base search over a large index reads more pages than that cache
         * holds, and every miss was a read() and a copy (docs/store.md). The mapping is shared
         * by every reader and is the OS page cache itself; pages still in the WAL are read as
         * before. */
        int rc = exec_sql(db, "PRAGMA mmap_size=" READER_MMAP_BYTES, "mapping the database", err);
        if (rc != 0) return rc;
    }
    return exec_sql(db, "PRAGMA foreign_keys=ON", "enabling foreign keys", err);
}

static int open_db(const char *path, int flags, sqlite3 **out, struct parley_err *err)
{
    *out = NULL;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        int rc = parley_fail(err, PARLEY_EIO, "db",
                             "cannot open the database %s: %s (check the path and permissions)",
                             path, db != NULL ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return rc;
    }
    sqlite3_extended_result_codes(db, 1);
    *out = db;
    return 0;
}

int store_migrate(sqlite3 *db, int *version, int *applied, struct parley_err *err)
{
    *applied = 0;
    int rc = exec_sql(db,
                      "CREATE TABLE IF NOT EXISTS schema_version ("
                      " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
                      "creating schema_version", err);
    if (rc != 0) return rc;
    /* IMMEDIATE: two processes opening a fresh file at once must not both migrate. */
    if ((rc = exec_sql(db, "BEGIN IMMEDIATE", "starting the migration", err)) != 0) return rc;
    sqlite3_stmt *st = NULL;
    int current = 0;
    if (sqlite3_prepare_v2(db, "SELECT coalesce(max(version), 0) FROM schema_version", -1, &st,
                           NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        rc = db_fail(err, db, "reading the schema version");
        goto fail;
    }
    current = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (current > store_migrations_count) {
        rc = parley_fail(err, PARLEY_EIO, "db",
                         "the database has schema version %d but this parley knows only up to "
                         "%d: run a newer parley",
                         current, store_migrations_count);
        goto fail;
    }
    for (int v = current; v < store_migrations_count; v++) {
        if ((rc = exec_sql(db, store_migrations[v], "applying a migration", err)) != 0) goto fail;
        char sql[128];
        snprintf(sql, sizeof(sql),
                 "INSERT INTO schema_version(version, applied_at) VALUES (%d, %lld)", v + 1,
                 (long long)util_now_ms());
        if ((rc = exec_sql(db, sql, "recording a migration", err)) != 0) goto fail;
        (*applied)++;
    }
    if ((rc = exec_sql(db, "COMMIT", "committing the migration", err)) != 0) goto fail;
    *version = store_migrations_count;
    if (*applied > 0)
        log_msg(LOG_INFO, "store", "migrated from=%d to=%d", current, store_migrations_count);
    return 0;
fail:
    sqlite3_finalize(st);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    *applied = 0;
    return rc;
}

/* The newest committed event (routehot: each command reports it as event_hw). */
static int last_event_id(struct store *s, struct parley_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT coalesce(max(id), 0) FROM events", -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        s->event_hw = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : db_fail(err, s->db, "reading the newest event");
}

int store_open(const struct store_options *opt, struct store **out, struct parley_err *err)
{
    *out = NULL;
    if (opt == NULL || opt->path == NULL || opt->path[0] == '\0')
        return parley_fail(err, PARLEY_EINVAL, "db", "no database path given (set db = …)");
    if (util_crypto_init() != 0)
        return parley_fail(err, PARLEY_EIO, NULL, "libsodium failed to initialise");
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sqlite_global_config);
    struct store *s = calloc(1, sizeof(*s));
    if (s == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory opening the store");
    s->path = strdup(opt->path);
    s->batch_max = opt->batch_max > 0 ? opt->batch_max : 256;
    /* The queue holds many batches' worth so bursts wait rather than fail, yet stays bounded
     * so an overloaded writer pushes back (PARLEY_EBUSY) instead of eating memory. */
    s->queue_max = (size_t)s->batch_max * 64 < 1024 ? 1024 : (size_t)s->batch_max * 64;
    s->busy_timeout_ms = opt->busy_timeout_ms > 0 ? opt->busy_timeout_ms : 5000;
    s->batch.cmds = calloc((size_t)s->batch_max, sizeof(*s->batch.cmds));
    s->batch.inputs = calloc((size_t)s->batch_max, sizeof(*s->batch.inputs));
    arena_init(&s->batch.arena);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->work_cv, NULL);
    pthread_cond_init(&s->exec_cv, NULL);
    int rc;
    if (s->path == NULL || s->batch.cmds == NULL || s->batch.inputs == NULL) {
        rc = parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory opening the store");
        goto fail;
    }
    rc = open_db(opt->path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &s->db, err);
    if (rc != 0) goto fail;
    s->cache.db = s->db;
    if ((rc = configure(s->db, true, opt->synchronous_full, s->busy_timeout_ms, err)) != 0)
        goto fail;
    if ((rc = store_migrate(s->db, &s->schema_version, &s->migrations_applied, err)) != 0)
        goto fail;
    /* knowledge-base lengths and champion lists a database from before them lacks (fast when
     * there are none: two scans of small tables) */
    if ((rc = exec_sql(s->db, "BEGIN IMMEDIATE", "starting a transaction", err)) != 0) goto fail;
    rc = kb_lists_build_missing(s, err);
    if (rc == 0) rc = exec_sql(s->db, "COMMIT", "building search lists", err);
    if (rc != 0) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        goto fail;
    }
    if ((rc = last_event_id(s, err)) != 0) goto fail;
    if ((rc = store_checkpointer_start(s, err)) != 0) goto fail;
    if (pthread_create(&s->thread, NULL, store_writer_main, s) != 0) {
        rc = parley_fail(err, PARLEY_EIO, NULL, "cannot start the store writer thread");
        goto fail;
    }
    s->thread_started = true;
    *out = s;
    return 0;
fail:
    store_close(s);
    return rc;
}

void store_close(struct store *s)
{
    if (s == NULL) return;
    if (s->thread_started) {
        pthread_mutex_lock(&s->mu);
        s->closing = true;
        pthread_cond_signal(&s->work_cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL); /* the writer drains the queue before it returns */
    }
    store_checkpointer_stop(s); /* before the write connection's close checkpoints the rest */
    stmt_cache_clear(&s->cache);
    kb_fts_close(s->kb_fts); /* the tokenizer belongs to the connection's FTS5 */
    if (s->db != NULL) sqlite3_close(s->db);
    store_route_cache_free(s->route_cache);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->work_cv);
    pthread_cond_destroy(&s->exec_cv);
    arena_free(&s->batch.arena);
    free(s->batch.events);
    free(s->batch.cmds);
    free(s->batch.inputs);
    free(s->path);
    free(s);
}

int store_schema_version(struct store *s)
{
    return s->schema_version;
}

int store_latest_schema_version(void)
{
    return store_migrations_count;
}

int store_migrations_applied(struct store *s)
{
    return s->migrations_applied;
}

void store_set_event_sink(struct store *s, store_event_sink_fn fn, void *ud)
{
    pthread_mutex_lock(&s->mu);
    s->sink = fn;
    s->sink_ud = ud;
    pthread_mutex_unlock(&s->mu);
}

int store_reader_open(struct store *s, struct store_reader **out, struct parley_err *err)
{
    *out = NULL;
    struct store_reader *r = calloc(1, sizeof(*r));
    if (r == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory opening a reader");
    int rc = open_db(s->path, SQLITE_OPEN_READONLY, &r->db, err);
    if (rc == 0) rc = configure(r->db, false, false, s->busy_timeout_ms, err);
    if (rc != 0) {
        store_reader_close(r);
        return rc;
    }
    r->cache.db = r->db;
    *out = r;
    return 0;
}

void store_reader_close(struct store_reader *r)
{
    if (r == NULL) return;
    stmt_cache_clear(&r->cache);
    kb_fts_close(r->kb_fts);
    if (r->db != NULL) sqlite3_close(r->db);
    free(r);
}

int store_check_integrity(struct store *s, struct parley_err *err)
{
    /* Its own read-only connection: the write connection belongs to the writer thread. */
    sqlite3 *db = NULL;
    int rc = open_db(s->path, SQLITE_OPEN_READONLY, &db, err);
    if (rc != 0) return rc;
    sqlite3_busy_timeout(db, s->busy_timeout_ms);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(err, db, "checking integrity");
    } else if (sqlite3_step(st) != SQLITE_ROW) {
        rc = db_fail(err, db, "checking integrity");
    } else {
        const char *res = (const char *)sqlite3_column_text(st, 0);
        if (res == NULL || strcmp(res, "ok") != 0)
            rc = parley_fail(err, PARLEY_EIO, "db",
                             "integrity check failed: %.180s (restore from a backup)",
                             res != NULL ? res : "no result");
    }
    sqlite3_finalize(st);
    if (rc == 0) {
        /* Foreign keys are part of integrity too. */
        if (sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK)
            rc = db_fail(err, db, "checking foreign keys");
        else if (sqlite3_step(st) == SQLITE_ROW)
            rc = parley_fail(err, PARLEY_EIO, "db",
                             "foreign key check failed in table %s (restore from a backup)",
                             (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return rc;
}
