/* Parley's store alone, no HTTP: customer widget messages committed through store_submit by
 * concurrent in-process writer threads, the same command the HTTP handler builds for
 * POST /api/v1/widget/messages (idempotency key, customer view, message on the customer's open
 * conversation). Compare with bench/raw_sqlite.c, which writes the same rows with raw SQLite:
 * the ratio is what the store's machinery costs (queue hand-off, savepoints, JSON rendering,
 * idempotency, events).
 *
 *   store_bench --db FILE [--batch 256] [--seconds 5] [--threads 8] [--inflight 64]
 *               [--customers 1000]
 *
 * The database must hold the demo tenant (parley migrate + seed-demo). Each thread keeps
 * --inflight commands queued, so batches fill up to --batch. Prints `store_bench: msgs_per_s=N
 * …` with the mean batch size (from the event sink: one call per committed batch) and the
 * submit → done latency. */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/util.h"
#include "store/store.h"

static struct store *store;
static int64_t tenant_id;
static int64_t *customers;
static int ncustomers = 1000;
static int inflight = 64;
static atomic_bool stopping;
static atomic_llong sink_batches, sink_events;

struct slot {
    struct store_cmd cmd;
    struct worker *w;
    int64_t submitted_ns;
    char actor[48], key[64], body[128];
};

struct worker {
    int id;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int *ready; /* ring of finished slot indexes */
    int ready_head, ready_tail;
    struct slot *slots;
    int64_t committed, failed, counter;
    int64_t *lat_ns;
    size_t n_lat, cap_lat;
    char first_error[300];
};

static void die(const char *what, const struct parley_err *err)
{
    fprintf(stderr, "store_bench: %s: %s\n", what, err ? err->message : "?");
    exit(1);
}

static void sink(void *ud, const struct event *events, size_t n)
{
    (void)ud;
    (void)events;
    atomic_fetch_add(&sink_batches, 1);
    atomic_fetch_add(&sink_events, (long long)n);
}

static void on_done(struct store_cmd *cmd)
{
    struct slot *sl = cmd->ud;
    struct worker *w = sl->w;
    pthread_mutex_lock(&w->mu);
    w->ready[w->ready_tail++ % (inflight + 1)] = (int)(sl - w->slots);
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* The command the widget handler builds: see src/http (POST /api/v1/widget/messages). */
static void build(struct worker *w, struct slot *sl)
{
    int64_t k = w->counter++;
    int64_t customer = customers[(k * 64 + w->id * 131) % ncustomers];
    struct store_cmd *cmd = &sl->cmd;
    store_cmd_init(cmd, STORE_WIDGET_MESSAGE);
    snprintf(sl->actor, sizeof sl->actor, "customer:%lld", (long long)customer);
    snprintf(sl->key, sizeof sl->key, "bench-store-%d-%lld", w->id, (long long)k);
    snprintf(sl->body, sizeof sl->body, "bench message %d-%lld: my order has not arrived yet",
             w->id, (long long)k);
    char req[256];
    int rl = snprintf(req, sizeof req, "POST /api/v1/widget/messages {\"body\":\"%s\"}", sl->body);
    cmd->tenant_id = tenant_id;
    cmd->actor = sl->actor;
    cmd->viewer_role = ROLE_AGENT;
    cmd->viewer_is_customer = true;
    cmd->idem_scope = sl->actor;
    cmd->idem_key = sl->key;
    util_sha256_hex(req, (size_t)rl, cmd->request_hash);
    cmd->in.widget_message.customer_id = customer;
    cmd->in.widget_message.conversation_id = 0;
    struct message *m = &cmd->in.widget_message.message;
    m->tenant_id = tenant_id;
    m->sender = SENDER_CUSTOMER;
    m->author_id = customer;
    m->channel = CHANNEL_WEB;
    m->internal = false;
    m->body = sl->body;
    cmd->done = on_done;
    cmd->ud = sl;
}

static void submit(struct worker *w, struct slot *sl)
{
    build(w, sl);
    sl->submitted_ns = util_mono_ns();
    if (store_submit(store, &sl->cmd) != 0) die("store_submit", &sl->cmd.err);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    int outstanding = 0;
    for (int i = 0; i < inflight; i++) {
        w->slots[i].w = w;
        submit(w, &w->slots[i]);
        outstanding++;
    }
    while (outstanding > 0) {
        pthread_mutex_lock(&w->mu);
        while (w->ready_head == w->ready_tail) pthread_cond_wait(&w->cv, &w->mu);
        int i = w->ready[w->ready_head++ % (inflight + 1)];
        pthread_mutex_unlock(&w->mu);
        struct slot *sl = &w->slots[i];
        outstanding--;
        int64_t lat = util_mono_ns() - sl->submitted_ns;
        if (sl->cmd.status == 0) {
            if (!atomic_load(&stopping)) {
                w->committed++;
                if (w->n_lat == w->cap_lat) {
                    w->cap_lat = w->cap_lat ? w->cap_lat * 2 : 65536;
                    w->lat_ns = realloc(w->lat_ns, w->cap_lat * sizeof *w->lat_ns);
                }
                w->lat_ns[w->n_lat++] = lat;
            }
        } else {
            if (!w->failed++)
                snprintf(w->first_error, sizeof w->first_error, "%s", sl->cmd.err.message);
        }
        store_cmd_release(&sl->cmd);
        if (!atomic_load(&stopping)) {
            submit(w, sl);
            outstanding++;
        }
    }
    return NULL;
}

/* CPU time (user + system) the store's writer thread has used so far, in ms, from
 * /proc/self/task/<tid>/stat of the thread named parley-writer; -1 when not found. On a
 * shared machine it is steadier than throughput: the writer is the bottleneck, and its CPU
 * per message is what the store's own work costs. */
static double writer_cpu_ms(void)
{
    DIR *d = opendir("/proc/self/task");
    if (d == NULL) return -1;
    double ms = -1;
    struct dirent *de;
    while (ms < 0 && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') continue;
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/self/task/%.20s/comm", de->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL) continue;
        bool writer = fgets(buf, sizeof buf, f) != NULL && strncmp(buf, "parley-writer", 13) == 0;
        fclose(f);
        if (!writer) continue;
        snprintf(path, sizeof path, "/proc/self/task/%.20s/stat", de->d_name);
        f = fopen(path, "r");
        if (f == NULL) continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        const char *p = strrchr(buf, ')'); /* fields after the command name */
        unsigned long long ut = 0, st = 0;
        if (p != NULL &&
            sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2)
            ms = (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
    }
    closedir(d);
    return ms;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* ---- untimed setup ------------------------------------------------------------------ */

static pthread_mutex_t setup_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t setup_cv = PTHREAD_COND_INITIALIZER;
static int setup_left;

static void setup_done(struct store_cmd *cmd)
{
    (void)cmd;
    pthread_mutex_lock(&setup_mu);
    setup_left--;
    pthread_cond_signal(&setup_cv);
    pthread_mutex_unlock(&setup_mu);
}

/* Submits cmds[0..n) in chunks and waits for each chunk; dies on any failure. */
static void run_all(struct store_cmd *cmds, int n, const char *what)
{
    for (int base = 0; base < n; base += 256) {
        int m = n - base < 256 ? n - base : 256;
        setup_left = m;
        for (int i = base; i < base + m; i++) {
            cmds[i].done = setup_done;
            if (store_submit(store, &cmds[i]) != 0) die(what, &cmds[i].err);
        }
        pthread_mutex_lock(&setup_mu);
        while (setup_left > 0) pthread_cond_wait(&setup_cv, &setup_mu);
        pthread_mutex_unlock(&setup_mu);
        for (int i = base; i < base + m; i++)
            if (cmds[i].status != 0) die(what, &cmds[i].err);
    }
}

/* Anonymous visitors (as POST /widget/sessions makes them), each with an open conversation
 * (their first message), so the timed part appends like a steady chat. */
static void setup(void)
{
    struct parley_err err = {0};
    struct store_reader *r;
    if (store_reader_open(store, &r, &err) != 0) die("store_reader_open", &err);
    struct arena a;
    arena_init(&a);
    struct tenant t;
    if (store_get_tenant_by_slug(r, "acme", &t, &a, &err) != 0)
        die("the demo tenant acme (run parley seed-demo)", &err);
    tenant_id = t.id;
    arena_free(&a);
    store_reader_close(r);

    customers = calloc((size_t)ncustomers, sizeof *customers);
    struct store_cmd *cmds = calloc((size_t)ncustomers, sizeof *cmds);
    char(*actors)[48] = calloc((size_t)ncustomers, sizeof *actors);
    for (int i = 0; i < ncustomers; i++) {
        store_cmd_init(&cmds[i], STORE_WIDGET_SESSION);
        cmds[i].tenant_id = tenant_id;
        cmds[i].actor = "system";
        cmds[i].viewer_is_customer = true;
    }
    run_all(cmds, ncustomers, "widget session");
    for (int i = 0; i < ncustomers; i++) {
        customers[i] = cmds[i].result_id;
        store_cmd_release(&cmds[i]);
        struct store_cmd *cmd = &cmds[i];
        store_cmd_init(cmd, STORE_WIDGET_MESSAGE);
        snprintf(actors[i], sizeof actors[i], "customer:%lld", (long long)customers[i]);
        cmd->tenant_id = tenant_id;
        cmd->actor = actors[i];
        cmd->viewer_is_customer = true;
        cmd->in.widget_message.customer_id = customers[i];
        struct message *m = &cmd->in.widget_message.message;
        m->tenant_id = tenant_id;
        m->sender = SENDER_CUSTOMER;
        m->author_id = customers[i];
        m->channel = CHANNEL_WEB;
        m->body = "hello, I need some help with my order";
    }
    run_all(cmds, ncustomers, "first message");
    for (int i = 0; i < ncustomers; i++) store_cmd_release(&cmds[i]);
    free(cmds);
    free(actors);
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    int batch = 256, nthreads = 8;
    double seconds = 5;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--db") && i + 1 < argc)
            path = argv[++i];
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
            batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            nthreads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--inflight") && i + 1 < argc)
            inflight = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--customers") && i + 1 < argc)
            ncustomers = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: store_bench --db FILE [--batch N] [--seconds S] [--threads N] "
                            "[--inflight N] [--customers N]\n");
            return 64;
        }
    }
    if (!path || batch < 1 || nthreads < 1 || inflight < 1 || ncustomers < 1) return 64;
    if (util_crypto_init() != 0) die("util_crypto_init", NULL);
    struct parley_err err = {0};
    struct store_options opt = {
        .path = path, .batch_max = batch, .synchronous_full = true, .busy_timeout_ms = 5000};
    if (store_open(&opt, &store, &err) != 0) die("store_open", &err);
    store_set_event_sink(store, sink, NULL);
    setup();

    struct worker *ws = calloc((size_t)nthreads, sizeof *ws);
    long long b0 = atomic_load(&sink_batches), e0 = atomic_load(&sink_events);
    double cpu0 = writer_cpu_ms();
    int64_t t0 = util_mono_ns();
    for (int i = 0; i < nthreads; i++) {
        struct worker *w = &ws[i];
        w->id = i;
        pthread_mutex_init(&w->mu, NULL);
        pthread_cond_init(&w->cv, NULL);
        w->ready = calloc((size_t)inflight + 1, sizeof *w->ready);
        w->slots = calloc((size_t)inflight, sizeof *w->slots);
        pthread_create(&w->thread, NULL, worker_main, w);
    }
    struct timespec ts = {.tv_sec = (time_t)seconds,
                          .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&ts, NULL);
    atomic_store(&stopping, true);
    int64_t t1 = util_mono_ns();
    long long b1 = atomic_load(&sink_batches), e1 = atomic_load(&sink_events);
    double cpu1 = writer_cpu_ms();
    for (int i = 0; i < nthreads; i++) pthread_join(ws[i].thread, NULL);

    int64_t committed = 0, failed = 0;
    size_t nlat = 0;
    for (int i = 0; i < nthreads; i++) {
        committed += ws[i].committed;
        failed += ws[i].failed;
        nlat += ws[i].n_lat;
        if (ws[i].failed)
            fprintf(stderr, "store_bench: thread %d: %lld failed, first: %s\n", i,
                    (long long)ws[i].failed, ws[i].first_error);
    }
    int64_t *lat = malloc((nlat + 1) * sizeof *lat);
    size_t k = 0;
    for (int i = 0; i < nthreads; i++) {
        memcpy(lat + k, ws[i].lat_ns, ws[i].n_lat * sizeof *lat);
        k += ws[i].n_lat;
    }
    qsort(lat, nlat, sizeof *lat, cmp64);
    double el = (double)(t1 - t0) / 1e9;
    double p50 = nlat ? (double)lat[nlat / 2] / 1e6 : 0;
    double p99 = nlat ? (double)lat[(size_t)((double)nlat * 0.99)] / 1e6 : 0;
    long long batches = b1 - b0;
    printf("store_bench: msgs_per_s=%.0f msgs=%lld failed=%lld seconds=%.2f threads=%d "
           "inflight=%d batch_max=%d mean_batch=%.1f commits_per_s=%.0f p50_ms=%.2f p99_ms=%.2f "
           "writer_cpu_us_per_msg=%.1f\n",
           (double)committed / el, (long long)committed, (long long)failed, el, nthreads,
           nthreads * inflight, batch, batches ? (double)(e1 - e0) / (double)batches : 0,
           (double)batches / el, p50, p99,
           cpu0 >= 0 && e1 > e0 ? (cpu1 - cpu0) * 1000.0 / (double)(e1 - e0) : 0.0);
    store_close(store);
    /* Every message committed after the setup, the drain after the timed part included: for
     * instruction counts under callgrind (the difference of two runs of different lengths
     * divided by the difference of this number is the cost of one message, setup excluded). */
    printf("store_bench_total: msgs_after_setup=%lld\n", atomic_load(&sink_events) - e0);
    return failed ? 1 : 0;
}
