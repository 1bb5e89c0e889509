/* The routing engine alone (no store, no threads): a tenant with N advisers and W waiting
 * conversations, then E events (arrivals, completions, presence changes, ticks) timed one by
 * one with clock_gettime around each engine call. Reports decisions per second of engine
 * time and the p50/p99 per-event latency.
 *
 *   route_bench [--advisers N] [--waiting W] [--events E] [--queues Q] [--seed S]
 *
 * The set-up (queues, advisers, the first W conversations) is not timed. The waiting count
 * is held near W: an event is an arrival while fewer wait, otherwise a completion (which
 * frees an adviser, who takes the best work). Ends with
 *   bench-route: advisers=N waiting=N events=N decisions_per_s=N p99_us=N */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "route/route_engine.h"

#define NSKILLS 30
#define NTEAMS  10

static uint64_t rng = 88172645463325252ULL;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static int pick(int n)
{
    return (int)(rnd() % (uint64_t)n);
}

/* conversations assigned (to complete one at random) */
static int64_t *assigned;
static int64_t *slot_of; /* conversation id -> index in assigned, -1 */
static long nassigned, decisions;

static void on_decision(void *ctx, const struct route_decision *d)
{
    (void)ctx;
    if (d->kind == ROUTE_ASSIGN) {
        decisions++;
        slot_of[d->conversation_id] = nassigned;
        assigned[nassigned++] = d->conversation_id;
    } else if (d->kind == ROUTE_REQUEUE) {
        decisions++;
        int64_t i = slot_of[d->conversation_id];
        int64_t last = assigned[--nassigned];
        assigned[i] = last;
        slot_of[last] = i;
        slot_of[d->conversation_id] = -1;
    }
}

static void forget(int64_t conv)
{
    int64_t i = slot_of[conv];
    int64_t last = assigned[--nassigned];
    assigned[i] = last;
    slot_of[last] = i;
    slot_of[conv] = -1;
}

static char skill_names[NSKILLS][8];

static void die(const char *what, const struct parley_err *err)
{
    fprintf(stderr, "route_bench: %s: %s\n", what, err->message);
    exit(1);
}

static void setup(struct route_engine *e, int nadv, int nq)
{
    struct parley_err err;
    for (int s = 0; s < NSKILLS; s++) snprintf(skill_names[s], sizeof(skill_names[s]), "sk%d", s);
    for (int t = 0; t <= NTEAMS; t++) {
        struct route_team_def td = {.id = t + 1, .specialist = t == NTEAMS};
        if (route_team_put(e, &td, 0, &err) != 0) die("team", &err);
    }
    for (int q = 0; q < nq; q++) {
        struct route_skill_req req[2] = {{skill_names[pick(NSKILLS)], 2 + pick(3)},
                                         {skill_names[pick(NSKILLS)], 1 + pick(3)}};
        if (strcmp(req[0].skill, req[1].skill) == 0) req[1].skill = skill_names[(q + 1) % NSKILLS];
        if (strcmp(req[0].skill, req[1].skill) == 0) req[1].skill = skill_names[(q + 2) % NSKILLS];
        int64_t team = 1 + pick(NTEAMS), more = 1 + pick(NTEAMS);
        struct route_step steps[2] = {
            {.after_ms = 30000, .relax_levels = 1},
            {.after_ms = 120000, .relax_levels = 2, .add_teams = &more, .n_add_teams = 1}};
        struct route_queue_def qd = {.id = q + 1,
                                     .skills = req,
                                     .n_skills = (size_t)(1 + pick(2)),
                                     .language = q % 10 == 9 ? "cy" : "en",
                                     .priority_class = q % 3,
                                     .teams = &team,
                                     .n_teams = q % 4 == 3 ? 1 : 0,
                                     .steps = steps,
                                     .n_steps = 2};
        if (route_queue_put(e, &qd, 0, &err) != 0) die("queue", &err);
    }
    for (int a = 0; a < nadv; a++) {
        struct route_skill sk[8];
        int nsk = 0;
        for (int i = 0; i < 8; i++) {
            const char *name = skill_names[pick(NSKILLS)];
            bool dup = false;
            for (int j = 0; j < nsk; j++) dup |= strcmp(sk[j].skill, name) == 0;
            if (!dup) sk[nsk++] = (struct route_skill){name, 1 + pick(5)};
        }
        const char *langs[2] = {"en", "cy"};
        int64_t team = a % 20 == 0 ? NTEAMS + 1 : 1 + pick(NTEAMS);
        struct route_adviser_def d = {.id = a + 1,
                                      .teams = &team,
                                      .n_teams = 1,
                                      .skills = sk,
                                      .n_skills = (size_t)nsk,
                                      .languages = langs,
                                      .n_languages = a % 5 == 0 ? 2 : 1,
                                      .capacity_milli = 3000,
                                      .weight_milli = {1000, 3000, 600},
                                      .wrapup_ms = a % 3 == 0 ? 10000 : 0};
        if (route_adviser_put(e, &d, 0, &err) != 0) die("adviser", &err);
        if (route_presence(e, a + 1, ROUTE_ONLINE, 0, &err) != 0) die("presence", &err);
    }
}

/* The next conversation: a random queue, mostly chat, some voice and email, 2% vulnerable. */
static struct route_work random_work(int64_t conv, int64_t now, long nq)
{
    return (struct route_work){.conversation_id = conv,
                               .customer_id = 1 + pick(200000),
                               .queue_id = 1 + pick((int)nq),
                               .channel = pick(10) < 6   ? 0
                                          : pick(3) == 0 ? 1
                                                         : 2,
                               .priority = pick(4),
                               .vulnerable = pick(50) == 0,
                               .enqueued_ms = now};
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int64_t ns_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    long nadv = 10000, want_wait = 100000, nevents = 1000000, nq = 20, seed = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        long v = strtol(argv[i + 1], NULL, 10);
        if (strcmp(argv[i], "--advisers") == 0)
            nadv = v;
        else if (strcmp(argv[i], "--waiting") == 0)
            want_wait = v;
        else if (strcmp(argv[i], "--events") == 0)
            nevents = v;
        else if (strcmp(argv[i], "--queues") == 0)
            nq = v;
        else if (strcmp(argv[i], "--seed") == 0)
            seed = v;
        else {
            fprintf(stderr, "usage: route_bench [--advisers N] [--waiting W] [--events E] "
                            "[--queues Q] [--seed S]\n");
            return 2;
        }
    }
    rng += (uint64_t)seed * 0x9E3779B97F4A7C15ULL;
    long maxconv = want_wait + nadv * 6 + nevents + 16;
    assigned = malloc(sizeof(*assigned) * (size_t)maxconv);
    slot_of = malloc(sizeof(*slot_of) * (size_t)maxconv);
    uint32_t *lat = malloc(sizeof(*lat) * (size_t)nevents);
    if (assigned == NULL || slot_of == NULL || lat == NULL) return 1;
    memset(slot_of, 0xff, sizeof(*slot_of) * (size_t)maxconv);

    struct route_config cfg = {.sticky_window_ms = 600000, .ageing_milli_per_min = 1000};
    struct route_engine *e;
    struct parley_err err;
    if (route_engine_new(&cfg, on_decision, NULL, &e, &err) != 0) die("engine", &err);
    setup(e, (int)nadv, (int)nq);

    int64_t now = 1000, conv = 0;
    struct route_stats st;
    /* fill: advisers up to capacity, then W waiting (not timed) */
    for (;;) {
        route_engine_stats(e, &st);
        if ((long)st.waiting >= want_wait) break;
        conv++;
        struct route_work w = random_work(conv, now, nq);
        if (route_enqueue(e, &w, now, &err) != 0) die("enqueue", &err);
        if (conv % 64 == 0) now++;
    }
    long setup_decisions = decisions;
    decisions = 0;

    long n_arr = 0, n_done = 0, n_pres = 0, n_tick = 0;
    int64_t total_ns = 0, cpu0 = cpu_ns(), wall0 = ns_now();
    for (long i = 0; i < nevents; i++) {
        int r = pick(100);
        route_engine_stats(e, &st); /* O(queues + teams): outside the timed call */
        now += pick(3);
        int64_t t0, t1;
        if (r < 3) { /* presence: someone leaves or comes back */
            int64_t a = 1 + pick((int)nadv);
            struct route_adviser_info ai;
            route_adviser_get(e, a, &ai);
            enum route_presence p =
                ai.presence == ROUTE_ONLINE ? (pick(2) ? ROUTE_AWAY : ROUTE_OFFLINE) : ROUTE_ONLINE;
            t0 = ns_now();
            route_presence(e, a, p, now, &err);
            t1 = ns_now();
            n_pres++;
        } else if (r < 20) { /* time passes: steps, wrap-up ends */
            now += pick(200);
            t0 = ns_now();
            route_tick(e, now);
            t1 = ns_now();
            n_tick++;
        } else if ((long)st.waiting < want_wait || nassigned == 0) { /* arrival */
            conv++;
            struct route_work w = random_work(conv, now, nq);
            t0 = ns_now();
            route_enqueue(e, &w, now, &err);
            t1 = ns_now();
            n_arr++;
        } else { /* completion: the adviser takes the best waiting work */
            int64_t c = assigned[pick((int)nassigned)];
            forget(c);
            t0 = ns_now();
            route_complete(e, c, now, &err);
            t1 = ns_now();
            n_done++;
        }
        lat[i] = (uint32_t)(t1 - t0);
        total_ns += t1 - t0;
    }
    double loop_cpu = (double)(cpu_ns() - cpu0) / 1e9, loop_wall = (double)(ns_now() - wall0) / 1e9;
    route_engine_stats(e, &st);
    qsort(lat, (size_t)nevents, sizeof(*lat), cmp_u32);
    double p50 = lat[nevents / 2] / 1000.0, p99 = lat[nevents * 99 / 100] / 1000.0;
    double p999 = lat[nevents * 999 / 1000] / 1000.0, maxl = lat[nevents - 1] / 1000.0;
    double secs = (double)total_ns / 1e9;
    /* Throughput over the CPU time of the whole event loop (harness included, so it is a
     * lower bound): on a shared machine the wall-clock sum also counts time the scheduler
     * gave to other processes while an event was being timed. */
    long dps = (long)((double)decisions / loop_cpu);
    printf("route_bench: advisers=%ld waiting_target=%ld waiting_end=%llu queues=%ld set-up "
           "decisions=%ld\n",
           nadv, want_wait, (unsigned long long)st.waiting, nq, setup_decisions);
    printf("route_bench: events=%ld (arrivals=%ld completions=%ld presence=%ld ticks=%ld) "
           "decisions=%ld\n",
           nevents, n_arr, n_done, n_pres, n_tick, decisions);
    printf("route_bench: loop cpu_s=%.3f wall_s=%.3f; timed engine calls wall_s=%.3f "
           "(decisions_per_wall_s=%.0f)\n",
           loop_cpu, loop_wall, secs, (double)decisions / secs);
    printf("route_bench: latency_us p50=%.2f p99=%.2f p99.9=%.2f max=%.1f\n", p50, p99, p999, maxl);
    /* p99 rounded up to whole microseconds */
    printf("bench-route: advisers=%ld waiting=%ld events=%ld decisions_per_s=%ld p99_us=%ld\n",
           nadv, want_wait, nevents, dps, (long)((lat[nevents * 99 / 100] + 999) / 1000));
    route_engine_free(e);
    free(assigned);
    free(slot_of);
    free(lat);
    return 0;
}
