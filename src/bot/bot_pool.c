/* The flow-action worker pool (bot_pool.h): a mutex-protected waiting list, per-tenant counters,
 * worker threads, a completion list. No lock is held while a job runs. */
#define _GNU_SOURCE /* pthread_setname_np */
#include "bot_pool.h"
#include "../common/util.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POOL_MAX_WORKERS 16

struct tenant_count {
    int64_t tenant_id;
    int total, running; /* total: waiting + running */
};

struct bot_pool {
    struct bot_pool_limits lim;
    bot_pool_run_fn run;
    bot_pool_local_free_fn local_free;
    bot_pool_wake_fn wake;
    void *ud;
    pthread_mutex_t mu;
    pthread_cond_t work_cv; /* a job was queued, a tenant slot freed, or stopping */
    pthread_cond_t stop_cv; /* for bot_pool_sleep_ms */
    struct bot_job *wait_head, *wait_tail;
    int waiting, running;
    struct bot_job *done_head, *done_tail;
    struct tenant_count *tenants; /* at most queue_max + workers in use */
    int n_tenants, cap_tenants;
    uint64_t next_id;
    bool stopping;
    pthread_t threads[POOL_MAX_WORKERS];
    int n_threads;
};

static char *dup_or_null(const char *s, bool *failed)
{
    if (s == NULL) return NULL;
    char *d = strdup(s);
    if (d == NULL) *failed = true;
    return d;
}

struct bot_job *bot_job_new(int64_t tenant_id, int64_t conversation_id, const char *method,
                            const char *url, const char *body, const char *idempotency_key,
                            int timeout_ms, int retries)
{
    struct bot_job *j = calloc(1, sizeof(*j));
    if (j == NULL) return NULL;
    bool failed = false;
    j->tenant_id = tenant_id;
    j->conversation_id = conversation_id;
    j->method = dup_or_null(method != NULL ? method : "POST", &failed);
    j->url = dup_or_null(url != NULL ? url : "", &failed);
    j->body = dup_or_null(body, &failed);
    j->idempotency_key = dup_or_null(idempotency_key, &failed);
    j->timeout_ms = timeout_ms;
    j->retries = retries;
    if (failed) {
        bot_job_free(j);
        return NULL;
    }
    return j;
}

void bot_job_free(struct bot_job *j)
{
    if (j == NULL) return;
    free(j->method);
    free(j->url);
    free(j->body);
    free(j->idempotency_key);
    json_decref(j->response);
    free(j);
}

static struct tenant_count *tenant_find(struct bot_pool *p, int64_t tenant_id)
{
    for (int i = 0; i < p->n_tenants; i++)
        if (p->tenants[i].tenant_id == tenant_id) return &p->tenants[i];
    return NULL;
}

/* The oldest waiting job whose tenant may run one more, unlinked; NULL when none. */
static struct bot_job *pick(struct bot_pool *p)
{
    struct bot_job *prev = NULL;
    for (struct bot_job *j = p->wait_head; j != NULL; prev = j, j = j->next) {
        struct tenant_count *t = tenant_find(p, j->tenant_id);
        if (t != NULL && t->running >= p->lim.tenant_running_max) continue;
        if (prev == NULL)
            p->wait_head = j->next;
        else
            prev->next = j->next;
        if (p->wait_tail == j) p->wait_tail = prev;
        j->next = NULL;
        if (t != NULL) t->running++;
        p->waiting--;
        p->running++;
        return j;
    }
    return NULL;
}

static void finished(struct bot_pool *p, struct bot_job *j)
{
    struct tenant_count *t = tenant_find(p, j->tenant_id);
    if (t != NULL) {
        t->running--;
        if (--t->total == 0) *t = p->tenants[--p->n_tenants];
    }
    p->running--;
    if (p->done_tail != NULL)
        p->done_tail->next = j;
    else
        p->done_head = j;
    p->done_tail = j;
}

static void *worker_main(void *arg)
{
    struct bot_pool *p = arg;
    pthread_setname_np(pthread_self(), "parley-action");
    void *local = NULL;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        struct bot_job *j = NULL;
        while (!p->stopping && (j = pick(p)) == NULL) pthread_cond_wait(&p->work_cv, &p->mu);
        if (j == NULL) break; /* stopping */
        pthread_mutex_unlock(&p->mu);
        p->run(p->ud, p, &local, j);
        pthread_mutex_lock(&p->mu);
        finished(p, j);
        pthread_cond_broadcast(&p->work_cv); /* a tenant slot is free again */
        pthread_mutex_unlock(&p->mu);
        if (p->wake != NULL) p->wake(p->ud);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    if (p->local_free != NULL && local != NULL) p->local_free(local);
    return NULL;
}

int bot_pool_start(const struct bot_pool_limits *limits, bot_pool_run_fn run,
                   bot_pool_local_free_fn local_free, bot_pool_wake_fn wake, void *ud,
                   struct bot_pool **out, struct parley_err *err)
{
    *out = NULL;
    if (limits->workers < 1 || limits->workers > POOL_MAX_WORKERS || limits->queue_max < 1 ||
        limits->tenant_max < 1 || limits->tenant_running_max < 1)
        return parley_fail(err, PARLEY_EINVAL, "workers", "bad action pool limits");
    struct bot_pool *p = calloc(1, sizeof(*p));
    if (p == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    p->lim = *limits;
    p->run = run;
    p->local_free = local_free;
    p->wake = wake;
    p->ud = ud;
    p->cap_tenants = limits->queue_max + limits->workers;
    p->tenants = calloc((size_t)p->cap_tenants, sizeof(*p->tenants));
    if (p->tenants == NULL) {
        free(p);
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work_cv, NULL);
    pthread_cond_init(&p->stop_cv, NULL);
    for (int i = 0; i < limits->workers; i++) {
        if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0) {
            bot_pool_stop(p);
            return parley_fail(err, PARLEY_EIO, NULL, "cannot start the action workers");
        }
        p->n_threads++;
    }
    *out = p;
    return 0;
}

int bot_pool_submit(struct bot_pool *p, struct bot_job *j)
{
    int rc = 0;
    pthread_mutex_lock(&p->mu);
    struct tenant_count *t = tenant_find(p, j->tenant_id);
    if (p->stopping || p->waiting >= p->lim.queue_max ||
        (t != NULL && t->total >= p->lim.tenant_max) ||
        (t == NULL && p->n_tenants >= p->cap_tenants)) {
        rc = PARLEY_ELIMIT;
    } else {
        if (t == NULL) {
            t = &p->tenants[p->n_tenants++];
            *t = (struct tenant_count){.tenant_id = j->tenant_id};
        }
        t->total++;
        j->id = ++p->next_id;
        j->next = NULL;
        if (p->wait_tail != NULL)
            p->wait_tail->next = j;
        else
            p->wait_head = j;
        p->wait_tail = j;
        p->waiting++;
        pthread_cond_signal(&p->work_cv);
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

struct bot_job *bot_pool_take_done(struct bot_pool *p)
{
    pthread_mutex_lock(&p->mu);
    struct bot_job *list = p->done_head;
    p->done_head = p->done_tail = NULL;
    pthread_mutex_unlock(&p->mu);
    return list;
}

bool bot_pool_stopping(struct bot_pool *p)
{
    pthread_mutex_lock(&p->mu);
    bool s = p->stopping;
    pthread_mutex_unlock(&p->mu);
    return s;
}

bool bot_pool_sleep_ms(struct bot_pool *p, int ms)
{
    struct timespec ts;
    util_deadline_in(ms, &ts);
    pthread_mutex_lock(&p->mu);
    int rc = 0;
    while (!p->stopping && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&p->stop_cv, &p->mu, &ts);
    bool ok = !p->stopping;
    pthread_mutex_unlock(&p->mu);
    return ok;
}

void bot_pool_counts(struct bot_pool *p, int *waiting, int *running)
{
    pthread_mutex_lock(&p->mu);
    *waiting = p->waiting;
    *running = p->running;
    pthread_mutex_unlock(&p->mu);
}

static void free_list(struct bot_job *j)
{
    while (j != NULL) {
        struct bot_job *next = j->next;
        bot_job_free(j);
        j = next;
    }
}

void bot_pool_stop(struct bot_pool *p)
{
    if (p == NULL) return;
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_broadcast(&p->work_cv);
    pthread_cond_broadcast(&p->stop_cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_threads; i++) pthread_join(p->threads[i], NULL);
    free_list(p->wait_head);
    free_list(p->done_head);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work_cv);
    pthread_cond_destroy(&p->stop_cv);
    free(p->tenants);
    free(p);
}
