/* bench-wfm: the cost of the staffing maths. SLA calendar parse (ICU table build), add and
 * between on random instants and spans (a realistic split-shift calendar with holidays, in a
 * DST zone); staffing searches from 10 to 10,000 Erlangs (Erlang C and A); one forecast fit on
 * eight weeks of half hours. Prints one line per figure and a summary line. Not a test:
 * nothing here is asserted. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "route/sla_calendar.h"
#include "route/wfm_erlang.h"
#include "route/wfm_forecast.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const char calendar[] =
    "{\"time_zone\":\"Europe/London\",\"weekly\":{\"mon\":[[\"09:00\",\"12:30\"],[\"13:30\","
    "\"17:30\"]],\"tue\":[[\"09:00\",\"17:30\"]],\"wed\":[[\"09:00\",\"17:30\"]],\"thu\":[["
    "\"09:00\",\"17:30\"]],\"fri\":[[\"09:00\",\"17:00\"]],\"sat\":[[\"10:00\",\"14:00\"]]},"
    "\"holidays\":[\"2026-12-25\",\"2026-12-28\",\"2027-01-01\",\"2027-04-02\",\"2027-04-05\"]}";

int main(void)
{
    struct sla_calendar *c = NULL;
    struct parley_err err = {0};
    double t0 = now_s();
    for (int i = 0; i < 50; i++) {
        sla_calendar_free(c);
        if (sla_calendar_parse(calendar, strlen(calendar), &c, &err) != 0) {
            fprintf(stderr, "parse: %s\n", err.message);
            return 1;
        }
    }
    double parse_us = (now_s() - t0) / 50 * 1e6;
    const long n = 2000000;
    int64_t sink = 0, base = 1764547200000LL; /* 2025-12-01 */
    t0 = now_s();
    for (long i = 0; i < n; i++) {
        uint64_t x = next();
        int64_t s = base + (int64_t)(x % (400ULL * 86400000ULL));
        sink += sla_calendar_add(c, s, (int64_t)((x >> 20) % (30ULL * 86400000ULL)));
    }
    double add_ns = (now_s() - t0) / (double)n * 1e9;
    t0 = now_s();
    for (long i = 0; i < n; i++) {
        uint64_t x = next();
        int64_t s = base + (int64_t)(x % (400ULL * 86400000ULL));
        sink += sla_calendar_between(c, s, s + (int64_t)((x >> 20) % (90ULL * 86400000ULL)));
    }
    double between_ns = (now_s() - t0) / (double)n * 1e9;
    sla_calendar_free(c);
    printf("sla_calendar: parse_us=%.0f add_ns=%.0f between_ns=%.0f\n", parse_us, add_ns,
           between_ns);

    struct wfm_target target = {0.8, 20};
    static const double erlangs[] = {10, 100, 1000, 10000};
    for (size_t i = 0; i < 4; i++)
        for (int a = 0; a < 2; a++) {
            struct wfm_queue q = {erlangs[i] * 3600 / 600, 600, a ? 120 : 0, 1};
            struct wfm_result r;
            t0 = now_s();
            if (wfm_staff(&q, &target, &r, &err) != 0) {
                fprintf(stderr, "staff: %s\n", err.message);
                return 1;
            }
            printf("staff: erlangs=%.0f model=%s agents=%d us=%.0f\n", erlangs[i], a ? "A" : "C",
                   r.agents, (now_s() - t0) * 1e6);
        }

    struct tz_offsets *tz = NULL;
    if (tz_offsets_load("Europe/London", "tz", &tz, &err) != 0) return 1;
    size_t hist = 56 * 48, horizon = 8 * 48;
    double *y = malloc(hist * sizeof(double)), *out = malloc(horizon * sizeof(double));
    for (size_t t = 0; t < hist; t++)
        y[t] = 20 + 15 * sin((double)(t % 48) / 48 * 6.283) + (double)(next() % 7);
    struct wfm_hw_model m;
    t0 = now_s();
    if (wfm_forecast_fit(y, hist, base, tz, horizon, out, &m, &err) != 0) return 1;
    double fit_ms = (now_s() - t0) * 1e3;
    printf("forecast: history=%zu horizon=%zu fit_ms=%.1f\n", hist, horizon, fit_ms);
    free(y);
    free(out);
    tz_offsets_free(tz);
    printf("bench-wfm: add_ns=%.0f between_ns=%.0f parse_us=%.0f fit_ms=%.1f (sink %lld)\n", add_ns,
           between_ns, parse_us, fit_ms, (long long)(sink & 1));
    return 0;
}
