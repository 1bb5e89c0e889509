/* WAL checkpoints off the writer's commit path. SQLite's default auto-checkpoint runs inside
 * the COMMIT that pushes the WAL past 1,000 pages, on the writer thread: every few batches a
 * commit also copied megabytes into the database file and fsynced it (6–14 % of the writer's
 * time under load). Here the write connection's WAL hook only looks at the WAL's size:
 *
 *   - every STORE_CKPT_WAKE_PAGES it wakes the checkpointer thread, which runs a PASSIVE checkpoint
 *     on its own connection: it copies what is committed into the database while the writer
 *     keeps committing (PASSIVE never blocks writers or readers);
 *   - past STORE_CKPT_INLINE_PAGES (the backstop) the writer waits for the checkpointer's pass
 *     to end, if one runs, and checkpoints the rest itself, as SQLite would.
 *     Under steady load the checkpointer can never catch up with frames committed while it
 *     copies, and SQLite only restarts the WAL from its beginning once every frame is in the
 *     database, so without this the WAL would grow for as long as the load lasts. By then the
 *     checkpointer has copied nearly everything: the inline checkpoint copies the remainder,
 *     and the next transaction starts the WAL over.
 *
 * Durability is unchanged: commits still fsync the WAL (synchronous=FULL) before anything is
 * acknowledged; a checkpoint only moves committed pages and fsyncs the database file (the
 * checkpointer's connection is synchronous=FULL too). */
#define _GNU_SOURCE /* pthread_setname_np */
#include "store_int.h"
#include "../common/log.h"

#include <stdlib.h>

struct store_checkpointer {
    sqlite3 *db; /* the checkpointer thread's own connection */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* to the checkpointer: wanted or stop */
    pthread_cond_t idle_cv; /* to the writer: the checkpointer's pass ended */
    bool wanted, stop;
    bool busy;    /* a checkpoint runs (either thread's): one at a time */
    int woken_at; /* WAL size at the last wake-up (writer thread only) */
};

/* Write connection, writer thread, after every commit: npages = frames in the WAL now. */
static int wal_hook(void *ud, sqlite3 *db, const char *name, int npages)
{
    struct store_checkpointer *c = ud;
    if (npages >= STORE_CKPT_INLINE_PAGES) {
        /* Wait for a pass of the checkpointer to end (a PASSIVE checkpoint would only get
         * SQLITE_BUSY beside it, and the WAL would go on growing), then copy the rest. */
        pthread_mutex_lock(&c->mu);
        while (c->busy) pthread_cond_wait(&c->idle_cv, &c->mu);
        c->busy = true;
        pthread_mutex_unlock(&c->mu);
        int logged = 0, done = 0;
        int rc = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, &logged, &done);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            log_msg(LOG_WARN, "store", "event=checkpoint_failed where=writer sqlite_rc=%d", rc);
        pthread_mutex_lock(&c->mu);
        c->busy = false;
        pthread_cond_signal(&c->cv); /* a wake-up may have waited for this one */
        pthread_mutex_unlock(&c->mu);
        c->woken_at = 0;
        return SQLITE_OK;
    }
    /* Once per STORE_CKPT_WAKE_PAGES of WAL growth, not after every commit: each pass ends
     * with an fsync of the database file, and bigger passes write a hot page once. */
    if (npages < c->woken_at) c->woken_at = 0; /* the WAL started over */
    if (npages - c->woken_at >= STORE_CKPT_WAKE_PAGES) {
        c->woken_at = npages;
        pthread_mutex_lock(&c->mu);
        if (!c->wanted) {
            c->wanted = true;
            pthread_cond_signal(&c->cv);
        }
        pthread_mutex_unlock(&c->mu);
    }
    return SQLITE_OK;
}

static void *checkpointer_main(void *arg)
{
    struct store_checkpointer *c = arg;
    pthread_setname_np(pthread_self(), "parley-ckpt");
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while ((!c->wanted || c->busy) && !c->stop) pthread_cond_wait(&c->cv, &c->mu);
        if (c->stop) break;
        c->wanted = false;
        c->busy = true;
        pthread_mutex_unlock(&c->mu);
        int logged = 0, done = 0;
        int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &logged, &done);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            log_msg(LOG_WARN, "store", "event=checkpoint_failed where=checkpointer sqlite_rc=%d",
                    sqlite3_extended_errcode(c->db));
        pthread_mutex_lock(&c->mu);
        c->busy = false;
        pthread_cond_broadcast(&c->idle_cv);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

int store_checkpointer_start(struct store *s, struct parley_err *err)
{
    struct store_checkpointer *c = calloc(1, sizeof(*c));
    if (c == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory opening the store");
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    pthread_cond_init(&c->idle_cv, NULL);
    s->ckpt = c;
    sqlite3 *db = NULL;
    int rc = 0;
    /* The checkpoint fsyncs the WAL before copying and the database after, as the writer's
     * own checkpoints did. */
    if (sqlite3_open_v2(s->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK)
        rc = db_fail(err, db, "opening the checkpoint connection");
    else if ((c->db = db), pthread_create(&c->thread, NULL, checkpointer_main, c) != 0)
        rc = parley_fail(err, PARLEY_EIO, NULL, "cannot start the store checkpoint thread");
    if (rc != 0) {
        sqlite3_close(db);
        c->db = NULL;
        return rc;
    }
    sqlite3_busy_timeout(db, s->busy_timeout_ms);
    /* Replaces SQLite's auto-checkpoint on the write connection. */
    sqlite3_wal_hook(s->db, wal_hook, c);
    return 0;
}

void store_checkpointer_stop(struct store *s)
{
    struct store_checkpointer *c = s->ckpt;
    if (c == NULL) return;
    if (s->db != NULL) sqlite3_wal_hook(s->db, NULL, NULL);
    if (c->db != NULL) { /* the thread runs exactly when the connection is open */
        pthread_mutex_lock(&c->mu);
        c->stop = true;
        pthread_cond_signal(&c->cv);
        pthread_mutex_unlock(&c->mu);
        pthread_join(c->thread, NULL);
        sqlite3_close(c->db);
    }
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    pthread_cond_destroy(&c->idle_cv);
    free(c);
    s->ckpt = NULL;
}
