/* The flow-action worker pool: a few threads that run HTTP actions off the bot thread, a bounded
 * queue in front of them and a completion list behind them. The bot thread submits a job and
 * goes on with other conversations; a worker runs it and appends it to the completion list,
 * then calls the wake callback (the bot service rings the same doorbell the bus rings); the bot
 * thread takes the finished jobs and continues their conversations.
 *
 * Bounds: at most queue_max jobs wait (not counting the ones running); one tenant has at most
 * tenant_max jobs waiting or running, and at most tenant_running_max running, so a slow system
 * of one organisation cannot take every worker. A worker takes the oldest waiting job whose
 * tenant is under its running limit. Submit never blocks: over a limit it says so.
 *
 * What the job does is the run callback's business (bot_action.c for the service, something
 * simpler in unit tests). Ownership: a submitted job belongs to the pool until
 * bot_pool_take_done hands it back; bot_job_free frees it. Thread-safe: every function may be
 * called from any thread, except bot_pool_stop (once, by the owner). */
#ifndef PARLEY_BOT_POOL_H
#define PARLEY_BOT_POOL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../common/err.h"

struct bot_pool;

struct bot_job {
    uint64_t id; /* set by bot_pool_submit, increasing */
    int64_t tenant_id, conversation_id;
    /* the request (owned, malloc'd; body and key may be NULL) */
    char *method, *url, *body, *idempotency_key;
    int timeout_ms, retries;
    /* the result, filled by the run callback: 0 with response (may be NULL) on success */
    int rc;
    json_t *response;
    struct bot_job *next; /* the pool's lists */
};

/* A job with copies of the strings (NULL when out of memory). */
struct bot_job *bot_job_new(int64_t tenant_id, int64_t conversation_id, const char *method,
                            const char *url, const char *body, const char *idempotency_key,
                            int timeout_ms, int retries);
void bot_job_free(struct bot_job *j);

struct bot_pool_limits {
    int workers;            /* threads (1..16) */
    int queue_max;          /* jobs waiting for a worker, all tenants */
    int tenant_max;         /* one tenant's jobs waiting or running */
    int tenant_running_max; /* one tenant's jobs running at once */
};

/* Runs one job on a worker thread and fills job->rc / job->response. *local starts NULL for
 * each worker and is the worker's own (for example a reusable HTTP handle); local_free is
 * called with it when the worker ends. */
typedef void (*bot_pool_run_fn)(void *ud, struct bot_pool *pool, void **local, struct bot_job *j);
typedef void (*bot_pool_local_free_fn)(void *local);
/* Called on a worker thread after a job joined the completion list (keep it short: set a flag
 * and signal). */
typedef void (*bot_pool_wake_fn)(void *ud);

int bot_pool_start(const struct bot_pool_limits *limits, bot_pool_run_fn run,
                   bot_pool_local_free_fn local_free, bot_pool_wake_fn wake, void *ud,
                   struct bot_pool **out, struct parley_err *err);
/* Queues a job: 0 (the pool owns it now, j->id is set) or PARLEY_ELIMIT when a limit is reached
 * or the pool is stopping (the caller still owns j). Never blocks on a running job. */
int bot_pool_submit(struct bot_pool *p, struct bot_job *j);
/* The finished jobs in the order they finished (a list through ->next; NULL when none). */
struct bot_job *bot_pool_take_done(struct bot_pool *p);
/* For run callbacks: whether the pool is stopping (abandon the job quickly), and a sleep that
 * ends early when it starts stopping (returns false then). */
bool bot_pool_stopping(struct bot_pool *p);
bool bot_pool_sleep_ms(struct bot_pool *p, int ms);
/* Jobs waiting and running now (for tests and logs). */
void bot_pool_counts(struct bot_pool *p, int *waiting, int *running);
/* Stops: running jobs are asked to end (bot_pool_stopping), workers are joined, every job not
 * yet taken is freed. NULL is fine. */
void bot_pool_stop(struct bot_pool *p);

#endif
