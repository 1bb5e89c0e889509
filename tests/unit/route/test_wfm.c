/* Unit tests for the staffing maths (Erlang C, Erlang A, concurrency, shrinkage) and the
 * Holt-Winters forecast. Erlang C is checked against published worked examples and against an
 * independent brute-force evaluation of the textbook formula (factorial sums in long double);
 * Erlang A against a seeded discrete-event simulation of the M/M/n+M queue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "route/wfm_erlang.h"
#include "route/wfm_forecast.h"

#define assert_near(a, b, tol)                                                                     \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (tol)))                                                             \
            fail_msg("%s = %.6f, expected %.6f +- %g", #a, a_, b_, tol);                           \
    } while (0)

/* The textbook Erlang C, computed the long way: A^n/n! n/(n-A) over the same plus
 * sum_{k<n} A^k/k!. Independent of the library's recursion. */
static long double brute_erlang_c(int n, long double a)
{
    long double term = 1, sum = 0; /* term = a^k / k! */
    for (int k = 0; k < n; k++) {
        sum += term;
        term = term * a / (k + 1);
    }
    long double top = term * n / (n - a);
    return top / (sum + top);
}

static struct wfm_queue voice(double cph, double aht)
{
    return (struct wfm_queue){.calls_per_hour = cph, .aht_s = aht, .concurrency = 1};
}

/* Worked example 1: 360 calls per half hour, 4-minute calls, 55 agents, 15-second target.
 * Source: Mitan Ltd, "The Erlang-C formula" (mitan.co.uk/erlang/elgcmath.htm), the step-by-step
 * example reproduced across call-centre literature: traffic 48 Erlangs, occupancy 87.3%,
 * probability of waiting 23.9%, ASA 8.2 s, 84.6% answered within 15 s.
 * Worked example 2: 100 calls in 30 minutes, AHT 180 s, target 80/20 -> 14 agents with 88.8%
 * answered in 20 s (probability of waiting 17.4%, ASA 7.8 s). Source: Call Centre Helper,
 * "Erlang C Formula - Made Simple With an Easy Worked Example".
 * Every figure is also recomputed below with brute_erlang_c, so the test stands on its own. */
static void erlang_c_matches_published_worked_examples(void **state)
{
    struct wfm_queue q = voice(720, 240);
    struct wfm_result r;
    wfm_evaluate(&q, 55, 15, &r);
    long double c = brute_erlang_c(55, 48);
    assert_near(r.traffic, 48.0, 1e-12);
    assert_near(r.p_wait, (double)c, 1e-12);
    assert_near(r.p_wait, 0.2387, 0.00005);
    assert_near(r.asa_s, (double)(c * 240 / 7), 1e-9);
    assert_near(r.asa_s, 8.2, 0.05);
    assert_near(r.service_level, (double)(1 - c * expl(-7.0L * 15 / 240)), 1e-12);
    assert_near(r.service_level, 0.846, 0.0005);
    assert_near(r.occupancy, 48.0 / 55, 1e-12);

    /* Staffing: 80/15 needs the 55 agents of the example; 80/20 is met with 54. */
    struct wfm_target t = {0.80, 15};
    assert_int_equal(wfm_staff(&q, &t, &r, NULL), 0);
    assert_int_equal(r.agents, 55);
    t.answer_s = 20;
    assert_int_equal(wfm_staff(&q, &t, &r, NULL), 0);
    assert_int_equal(r.agents, 54);
    assert_near(r.service_level, (double)(1 - brute_erlang_c(54, 48) * expl(-6.0L * 20 / 240)),
                1e-12);
    wfm_evaluate(&q, 53, 20, &r);
    assert_true(r.service_level < 0.80); /* and 53 is not enough */

    q = voice(200, 180);
    assert_int_equal(wfm_staff(&q, &t, &r, NULL), 0);
    assert_int_equal(r.agents, 14);
    assert_near(r.service_level, 0.8884, 0.00005);
    assert_near(r.p_wait, 0.1741, 0.00005);
    assert_near(r.asa_s, 7.8, 0.05);
}

/* A table of Erlang C over loads and agent counts, the library against the brute force. */
static void erlang_c_table_against_brute_force(void **state)
{
    static const double loads[] = {0.5, 1, 2.5, 7, 10, 24.3, 48, 80, 120};
    for (size_t i = 0; i < sizeof(loads) / sizeof(loads[0]); i++) {
        double a = loads[i];
        for (int n = (int)floor(a) + 1; n <= (int)ceil(a * 1.5) + 3; n++) {
            double got = wfm_erlang_c(n, a), want = (double)brute_erlang_c(n, a);
            if (fabs(got - want) > 1e-12 * (want > 1 ? want : 1))
                fail_msg("C(%d, %g) = %.15f, brute force %.15f", n, a, got, want);
        }
    }
    assert_near(wfm_erlang_c(5, 5), 1.0, 0); /* unstable: everyone waits */
    assert_near(wfm_erlang_b(0, 3), 1.0, 0);
    /* Huge loads stay finite and decrease with agents (the factorial form would overflow). */
    double prev = 1.0;
    for (int n = 10010; n <= 10300; n += 10) {
        double c = wfm_erlang_c(n, 10000);
        assert_true(c > 0 && c < prev);
        prev = c;
    }
    struct wfm_queue q = voice(90000, 400); /* 10,000 Erlangs */
    struct wfm_target t = {0.8, 20};
    struct wfm_result r;
    assert_int_equal(wfm_staff(&q, &t, &r, NULL), 0);
    assert_true(r.agents > 10000 && r.agents < 10200);
    assert_true(r.service_level >= 0.8);
    wfm_evaluate(&q, r.agents - 1, 20, &r);
    assert_true(r.service_level < 0.8);
}

/* ---- Erlang A against a simulation -------------------------------------------------------- */

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static double uniform(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return ((rng * 2685821657736338717ULL) >> 11) * (1.0 / 9007199254740992.0) + 1e-300;
}
static double expo(double mean)
{
    return -mean * log(uniform());
}

/* Sift-down for a min-heap of server free times. */
static void heap_fix(double *h, int n, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && h[l] < h[m]) m = l;
        if (r < n && h[r] < h[m]) m = r;
        if (m == i) return;
        double x = h[i];
        h[i] = h[m];
        h[m] = x;
        i = m;
    }
}

/* FCFS M/M/n+M: each caller takes the earliest free server if it frees before the caller's
 * patience runs out, else abandons (and takes nothing). Returns answered-within-t, abandoned,
 * and the mean wait of answered callers. */
static void simulate(int n, double cph, double aht, double patience, double t, long calls,
                     double *sl, double *abandon, double *asa)
{
    double *free_at = calloc((size_t)n, sizeof(double)), now = 0, waited = 0;
    long in_time = 0, gone = 0, answered = 0;
    for (long i = 0; i < calls; i++) {
        now += expo(3600.0 / cph);
        double start = free_at[0] > now ? free_at[0] : now, wait = start - now;
        if (wait > expo(patience)) {
            gone++;
            continue;
        }
        answered++;
        waited += wait;
        in_time += wait <= t;
        free_at[0] = start + expo(aht);
        heap_fix(free_at, n, 0);
    }
    free(free_at);
    *sl = (double)in_time / calls;
    *abandon = (double)gone / calls;
    *asa = waited / answered;
}

static void erlang_a_matches_simulation_and_tends_to_erlang_c(void **state)
{
    static const struct {
        int n;
        double cph, aht, patience, t;
    } cases[] = {
        {50, 720, 240, 120, 20}, /* busy: more load than agents would cope with in Erlang C */
        {46, 720, 240, 60, 20},  /* understaffed: Erlang C is unstable here, Erlang A is not */
        {12, 200, 180, 300, 30},
        {56, 720, 240, 3600, 20},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct wfm_queue q = {cases[i].cph, cases[i].aht, cases[i].patience, 1};
        struct wfm_result r;
        wfm_evaluate(&q, cases[i].n, cases[i].t, &r);
        double sl, ab, asa;
        simulate(cases[i].n, q.calls_per_hour, q.aht_s, q.patience_s, cases[i].t, 400000, &sl, &ab,
                 &asa);
        if (fabs(r.service_level - sl) > 0.01 || fabs(r.p_abandon - ab) > 0.005 ||
            fabs(r.asa_s - asa) > 0.05 * asa + 0.2)
            fail_msg("case %zu: model sl=%.4f ab=%.4f asa=%.2f, simulation sl=%.4f ab=%.4f "
                     "asa=%.2f",
                     i, r.service_level, r.p_abandon, r.asa_s, sl, ab, asa);
        assert_true(r.occupancy > 0 && r.occupancy < 1);
    }
    /* Very patient callers: Erlang A tends to Erlang C (the rare abandons are the longest
     * waiters, so the mean wait drops a little faster than the service level rises). */
    struct wfm_queue patient = {720, 240, 3600, 1}, never = voice(720, 240);
    struct wfm_result a, c;
    wfm_evaluate(&patient, 56, 20, &a);
    wfm_evaluate(&never, 56, 20, &c);
    assert_near(a.service_level, c.service_level, 0.01);
    assert_near(a.asa_s, c.asa_s, 1.0);
    assert_true(a.p_abandon < 0.003);
    /* Abandonment relieves the queue: fewer agents meet the same target. */
    struct wfm_target t = {0.8, 20};
    struct wfm_queue impatient = {720, 240, 60, 1};
    assert_int_equal(wfm_staff(&impatient, &t, &a, NULL), 0);
    assert_int_equal(wfm_staff(&never, &t, &c, NULL), 0);
    assert_true(a.agents <= c.agents && a.service_level >= 0.8);
    wfm_evaluate(&impatient, a.agents - 1, 20, &c);
    assert_true(c.service_level < 0.8);
}

static void chat_concurrency_shrinkage_and_targets(void **state)
{
    /* 120 chats an hour lasting 10 minutes at 3 at a time: 20 Erlangs over 3-slot advisers.
     * The advisers are the fewest whose slots (agents x 3) meet the target in Erlang C. */
    struct wfm_queue chat = {120, 600, 0, 3};
    struct wfm_target t = {0.8, 60};
    struct wfm_result r;
    assert_int_equal(wfm_staff(&chat, &t, &r, NULL), 0);
    assert_int_equal(r.servers, r.agents * 3);
    int slots = 21;
    while (1 - brute_erlang_c(slots, 20) * expl(-(slots - 20) * 60.0L / 600) < 0.8L) slots++;
    assert_int_equal(r.agents, (slots + 2) / 3);
    assert_near(r.occupancy, 20.0 / r.servers, 1e-12);

    assert_int_equal(wfm_scheduled(55, 30), 79); /* 55 / 0.7 = 78.6 */
    assert_int_equal(wfm_scheduled(7, 30), 10);  /* exactly 10, not 11 */
    assert_int_equal(wfm_scheduled(10, 0), 10);
    assert_int_equal(wfm_scheduled(0, 50), 0);

    struct wfm_target tt;
    assert_int_equal(wfm_parse_target("80/20", "target", &tt, NULL), 0);
    assert_near(tt.service_level, 0.8, 1e-12);
    assert_near(tt.answer_s, 20, 0);
    assert_int_equal(wfm_parse_target("90.5/0", "target", &tt, NULL), 0);
    static const char *const bad[] = {"80", "100/20", "0/20", "abc/20", "80/x", "80/20s", "", "/"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct parley_err err = {0};
        assert_int_equal(wfm_parse_target(bad[i], "target", &tt, &err), PARLEY_EINVAL);
        assert_string_equal(err.field, "target");
    }
    struct parley_err err = {0};
    struct wfm_queue bad_q = voice(100, 0);
    assert_int_equal(wfm_staff(&bad_q, &t, &r, &err), PARLEY_EINVAL);
    assert_string_equal(err.field, "aht");
    bad_q = (struct wfm_queue){100, 100, 0, 0};
    assert_int_equal(wfm_staff(&bad_q, &t, &r, &err), PARLEY_EINVAL);
    assert_string_equal(err.field, "concurrency");
    bad_q = voice(0, 300); /* no calls, no agents */
    assert_int_equal(wfm_staff(&bad_q, &t, &r, NULL), 0);
    assert_int_equal(r.agents, 0);
    assert_near(r.service_level, 1, 0);
}

/* ---- forecast ------------------------------------------------------------------------ */

#define HALF_HOUR (30LL * 60 * 1000)
#define DAY       (24LL * 3600 * 1000)

/* A local-time shape: morning peak at 10:00, afternoon at 14:30, weekends at half. */
static double true_mean(const struct tz_offsets *tz, int64_t t)
{
    int dp, wp;
    wfm_local_position(tz, t, &dp, &wp);
    double h = dp / 2.0 + 0.25, m = (h - 10) / 1.5, a = (h - 14.5) / 1.8;
    double shape = 2 + 60 * exp(-m * m / 2) + 45 * exp(-a * a / 2);
    return shape * (wp / 48 >= 5 ? 0.5 : 1.0);
}

static double poisson_sample(double mean)
{
    double limit = exp(-mean), p = 1; /* means here stay below 110: fine in doubles */
    int k = -1;
    do {
        k++;
        p *= uniform();
    } while (p > limit);
    return k;
}

/* Eight weeks of Poisson counts in Europe/London ending just before the October 2026 change,
 * forecast over the week after it: the forecast follows the local shape (the peak stays at
 * 10:00 local although it moves from 09:00 to 10:00 UTC), and daily totals are within 5% of
 * the truth. */
static void forecast_follows_daily_and_weekly_cycles_across_dst(void **state)
{
    struct tz_offsets *tz = NULL;
    assert_int_equal(tz_offsets_load("Europe/London", "tz", &tz, NULL), 0);
    size_t n = 56 * 48, horizon = 7 * 48;
    int64_t from = (tz_days_from_civil(2026, 10, 24) - 56) * DAY; /* a Saturday, 00:00 UTC */
    double *y = malloc(n * sizeof(double)), *out = malloc(horizon * sizeof(double));
    for (size_t t = 0; t < n; t++)
        y[t] = poisson_sample(true_mean(tz, from + (int64_t)t * HALF_HOUR));
    struct wfm_hw_model m;
    assert_int_equal(wfm_forecast_fit(y, n, from, tz, horizon, out, &m, NULL), 0);
    assert_true(m.rmse > 0 && m.rmse < 8); /* Poisson noise alone is about 5 at the peaks */
    int64_t start = from + (int64_t)n * HALF_HOUR;
    for (size_t day = 0; day < 7; day++) {
        double got = 0, want = 0, best = -1;
        size_t peak = 0;
        for (size_t k = day * 48; k < day * 48 + 48; k++) {
            int64_t t = start + (int64_t)k * HALF_HOUR;
            assert_true(out[k] >= 0);
            got += out[k];
            want += true_mean(tz, t);
            if (out[k] > best) {
                best = out[k];
                peak = k;
            }
        }
        if (fabs(got - want) > 0.05 * want)
            fail_msg("day %zu: forecast %.0f, truth %.0f", day, got, want);
        int dp, wp;
        wfm_local_position(tz, start + (int64_t)peak * HALF_HOUR, &dp, &wp);
        if (dp < 19 || dp > 21)
            fail_msg("day %zu: peak at local slot %d, not about 10:00", day, dp);
    }
    /* Too little history, too long a horizon. */
    struct parley_err err = {0};
    assert_int_equal(wfm_forecast_fit(y, 600, from, tz, 10, out, &m, &err), PARLEY_EINVAL);
    assert_int_equal(wfm_forecast_fit(y, n, from, tz, WFM_MAX_HORIZON + 1, out, &m, &err),
                     PARLEY_EINVAL);
    /* No contacts at all: a forecast of nothing. */
    memset(y, 0, n * sizeof(double));
    assert_int_equal(wfm_forecast_fit(y, n, from, tz, horizon, out, &m, NULL), 0);
    for (size_t k = 0; k < horizon; k++) assert_near(out[k], 0, 1e-12);
    free(y);
    free(out);
    tz_offsets_free(tz);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(erlang_c_matches_published_worked_examples),
        cmocka_unit_test(erlang_c_table_against_brute_force),
        cmocka_unit_test(erlang_a_matches_simulation_and_tends_to_erlang_c),
        cmocka_unit_test(chat_concurrency_shrinkage_and_targets),
        cmocka_unit_test(forecast_follows_daily_and_weekly_cycles_across_dst),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
