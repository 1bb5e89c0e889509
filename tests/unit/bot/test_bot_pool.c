/* Unit tests for the flow-action worker pool (src/bot/bot_pool.c): the bounded queue, the
 * per-tenant limits, the order of completions, the wake-up and stopping with work in hand. The
 * jobs here are stand-ins that wait until the test releases them (the real run callback, HTTP
 * with libcurl, is covered by tests/integration/test_bot_actions.py). No test depends on timing:
 * each waits for a state, with a generous limit that only a hang would reach. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bot/bot_pool.h"

#define MAX_JOBS 32

/* The stand-in jobs: conversation_id names a job; it runs until released[id]. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int64_t started[MAX_JOBS]; /* conversation ids, in the order they started */
    int n_started;
    bool released[MAX_JOBS];
    int wakes;
    bool until_stopped; /* jobs run until the pool stops */
} W = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void run(void *ud, struct bot_pool *pool, void **local, struct bot_job *j)
{
    (void)ud;
    if (*local == NULL) *local = strdup("worker state");
    pthread_mutex_lock(&W.mu);
    W.started[W.n_started++] = j->conversation_id;
    pthread_cond_broadcast(&W.cv);
    bool until_stopped = W.until_stopped;
    while (!until_stopped && !W.released[j->conversation_id]) pthread_cond_wait(&W.cv, &W.mu);
    pthread_mutex_unlock(&W.mu);
    if (until_stopped)
        while (bot_pool_sleep_ms(pool, 60000)) { /* a sleep that stopping cuts short */
        }
    j->rc = 0;
    j->response = json_pack("{sI}", "id", (json_int_t)j->conversation_id);
}

static void wake(void *ud)
{
    (void)ud;
    pthread_mutex_lock(&W.mu);
    W.wakes++;
    pthread_cond_broadcast(&W.cv);
    pthread_mutex_unlock(&W.mu);
}

/* Waits (W.mu held) until cond holds; fails the test after 20 s, which only a hang reaches. */
#define WAIT_FOR(cond)                                                                             \
    do {                                                                                           \
        struct timespec ts_;                                                                       \
        clock_gettime(CLOCK_REALTIME, &ts_);                                                       \
        ts_.tv_sec += 20;                                                                          \
        while (!(cond))                                                                            \
            if (pthread_cond_timedwait(&W.cv, &W.mu, &ts_) != 0) {                                 \
                pthread_mutex_unlock(&W.mu);                                                       \
                fail_msg("waited 20 s for " #cond);                                                \
            }                                                                                      \
    } while (0)

static void release(int64_t id)
{
    pthread_mutex_lock(&W.mu);
    W.released[id] = true;
    pthread_cond_broadcast(&W.cv);
    pthread_mutex_unlock(&W.mu);
}

static int setup(void **state)
{
    (void)state;
    pthread_mutex_lock(&W.mu);
    memset(W.started, 0, sizeof(W.started));
    memset(W.released, 0, sizeof(W.released));
    W.n_started = 0;
    W.wakes = 0;
    W.until_stopped = false;
    pthread_mutex_unlock(&W.mu);
    return 0;
}

static struct bot_pool *start(int workers, int queue_max, int tenant_max, int tenant_running)
{
    struct bot_pool_limits lim = {.workers = workers,
                                  .queue_max = queue_max,
                                  .tenant_max = tenant_max,
                                  .tenant_running_max = tenant_running};
    struct bot_pool *p = NULL;
    struct parley_err err = {0};
    assert_int_equal(bot_pool_start(&lim, run, free, wake, NULL, &p, &err), 0);
    return p;
}

static struct bot_job *job(int64_t tenant, int64_t id)
{
    struct bot_job *j = bot_job_new(tenant, id, "POST", "http://example.invalid/x", "{}",
                                    "parley-1-2-step", 1000, 0);
    assert_non_null(j);
    return j;
}

static int count_done(struct bot_job *list, int64_t *ids, int max)
{
    int n = 0;
    for (struct bot_job *j = list; j != NULL;) {
        struct bot_job *next = j->next;
        assert_int_equal(j->rc, 0);
        assert_int_equal(json_integer_value(json_object_get(j->response, "id")),
                         j->conversation_id);
        if (n < max) ids[n] = j->conversation_id;
        n++;
        bot_job_free(j);
        j = next;
    }
    return n;
}

/* Takes finished jobs until want have come back; their ids in completion order. */
static void take(struct bot_pool *p, int want, int64_t *ids)
{
    int got = 0;
    while (got < want) {
        pthread_mutex_lock(&W.mu);
        WAIT_FOR(W.wakes > 0);
        W.wakes = 0;
        pthread_mutex_unlock(&W.mu);
        got += count_done(bot_pool_take_done(p), ids + got, want - got);
    }
    assert_int_equal(got, want);
}

static void the_queue_is_bounded_and_a_full_one_refuses_at_once(void **state)
{
    (void)state;
    struct bot_pool *p = start(1, 2, 10, 1);
    struct bot_job *j1 = job(1, 1);
    assert_int_equal(bot_pool_submit(p, j1), 0);
    pthread_mutex_lock(&W.mu);
    WAIT_FOR(W.n_started == 1); /* job 1 runs: the queue is empty again */
    pthread_mutex_unlock(&W.mu);
    assert_int_equal(bot_pool_submit(p, job(1, 2)), 0);
    assert_int_equal(bot_pool_submit(p, job(2, 3)), 0);
    struct bot_job *j4 = job(3, 4);
    assert_int_equal(bot_pool_submit(p, j4), PARLEY_ELIMIT); /* two waiting: full */
    bot_job_free(j4);                                        /* still ours */
    int waiting, running;
    bot_pool_counts(p, &waiting, &running);
    assert_int_equal(waiting, 2);
    assert_int_equal(running, 1);
    release(1);
    release(2);
    release(3);
    int64_t ids[3];
    take(p, 3, ids);
    /* one worker: they finish in the order they were queued */
    assert_int_equal(ids[0], 1);
    assert_int_equal(ids[1], 2);
    assert_int_equal(ids[2], 3);
    assert_null(bot_pool_take_done(p));
    bot_pool_stop(p);
}

static void one_tenant_cannot_take_every_worker(void **state)
{
    (void)state;
    struct bot_pool *p = start(2, 8, 8, 1);
    /* tenant 1's slow system: two jobs queued first, then tenant 2's */
    assert_int_equal(bot_pool_submit(p, job(1, 1)), 0);
    assert_int_equal(bot_pool_submit(p, job(1, 2)), 0);
    assert_int_equal(bot_pool_submit(p, job(2, 3)), 0);
    pthread_mutex_lock(&W.mu);
    WAIT_FOR(W.n_started == 2);
    /* the second worker passed over tenant 1's second job for tenant 2's */
    assert_true((W.started[0] == 1 && W.started[1] == 3) ||
                (W.started[0] == 3 && W.started[1] == 1));
    pthread_mutex_unlock(&W.mu);
    release(3);
    int64_t ids[1];
    take(p, 1, ids);
    assert_int_equal(ids[0], 3);
    int waiting, running;
    bot_pool_counts(p, &waiting, &running);
    assert_int_equal(waiting, 1); /* job 2 still waits for job 1, on a free worker */
    assert_int_equal(running, 1);
    release(1);
    pthread_mutex_lock(&W.mu);
    WAIT_FOR(W.n_started == 3);
    assert_int_equal(W.started[2], 2);
    pthread_mutex_unlock(&W.mu);
    release(2);
    int64_t rest[2];
    take(p, 2, rest);
    assert_int_equal(rest[0], 1);
    assert_int_equal(rest[1], 2);
    bot_pool_stop(p);
}

static void one_tenant_cannot_fill_the_queue(void **state)
{
    (void)state;
    struct bot_pool *p = start(1, 8, 2, 1);
    assert_int_equal(bot_pool_submit(p, job(1, 1)), 0);
    assert_int_equal(bot_pool_submit(p, job(1, 2)), 0);
    struct bot_job *third = job(1, 3);
    assert_int_equal(bot_pool_submit(p, third), PARLEY_ELIMIT);
    bot_job_free(third);
    assert_int_equal(bot_pool_submit(p, job(2, 4)), 0); /* another organisation still gets in */
    release(1);
    release(2);
    release(4);
    int64_t ids[3];
    take(p, 3, ids);
    /* its jobs are done: the tenant may queue again */
    assert_int_equal(bot_pool_submit(p, job(1, 5)), 0);
    release(5);
    take(p, 1, ids);
    assert_int_equal(ids[0], 5);
    bot_pool_stop(p);
}

static void stopping_ends_running_jobs_and_frees_the_rest(void **state)
{
    (void)state;
    pthread_mutex_lock(&W.mu);
    W.until_stopped = true;
    pthread_mutex_unlock(&W.mu);
    struct bot_pool *p = start(2, 8, 8, 2);
    for (int64_t id = 1; id <= 5; id++) assert_int_equal(bot_pool_submit(p, job(1, id)), 0);
    pthread_mutex_lock(&W.mu);
    WAIT_FOR(W.n_started == 2);
    pthread_mutex_unlock(&W.mu);
    assert_false(bot_pool_stopping(p));
    bot_pool_stop(p); /* returns: the running jobs' sleeps ended; ASan checks nothing leaks */
    pthread_mutex_lock(&W.mu);
    assert_int_equal(W.n_started, 2); /* the waiting ones never started */
    pthread_mutex_unlock(&W.mu);
}

static void jobs_own_copies_of_their_request(void **state)
{
    (void)state;
    char url[] = "http://example.invalid/readings";
    struct bot_job *j = bot_job_new(7, 9, NULL, url, NULL, NULL, 500, 2);
    assert_non_null(j);
    url[0] = 'X';
    assert_string_equal(j->url, "http://example.invalid/readings");
    assert_string_equal(j->method, "POST"); /* the default */
    assert_null(j->body);
    assert_null(j->idempotency_key);
    assert_int_equal(j->timeout_ms, 500);
    assert_int_equal(j->retries, 2);
    bot_job_free(j);
    struct bot_pool_limits bad = {
        .workers = 0, .queue_max = 1, .tenant_max = 1, .tenant_running_max = 1};
    struct bot_pool *p = NULL;
    struct parley_err err = {0};
    assert_int_equal(bot_pool_start(&bad, run, free, wake, NULL, &p, &err), PARLEY_EINVAL);
    assert_null(p);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup(fn, setup)
    const struct CMUnitTest tests[] = {
        T(the_queue_is_bounded_and_a_full_one_refuses_at_once),
        T(one_tenant_cannot_take_every_worker),
        T(one_tenant_cannot_fill_the_queue),
        T(stopping_ends_running_jobs_and_frees_the_rest),
        T(jobs_own_copies_of_their_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
