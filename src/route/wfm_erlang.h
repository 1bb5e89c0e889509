/* Staffing maths: how many advisers a queue needs to answer a share of its contacts within a
 * target time. Erlang C (M/M/n, callers never give up) and Erlang A (M/M/n+M, callers abandon
 * after an exponential patience), with chat concurrency and shrinkage. docs/staffing.md gives
 * the formulas and their sources.
 *
 * Everything here is pure computation on the caller's values: no allocation, thread-safe. */
#ifndef PARLEY_WFM_ERLANG_H
#define PARLEY_WFM_ERLANG_H

#include <stdbool.h>

#include "../common/err.h"

/* Bounds on inputs (checked by wfm_queue_check). */
#define WFM_MAX_CALLS_PER_HOUR 100000.0
#define WFM_MAX_AHT_S          7200.0
#define WFM_MAX_PATIENCE_S     3600.0
#define WFM_MAX_CONCURRENCY    20
#define WFM_MAX_SERVERS        200000
#define WFM_MAX_SHRINKAGE_PCT  90.0

struct wfm_queue {
    double calls_per_hour; /* arrivals (Poisson) */
    double aht_s;          /* mean handling time of one contact, as it runs (see concurrency) */
    double patience_s;     /* mean patience before abandoning; 0: nobody abandons (Erlang C) */
    int concurrency;       /* contacts an adviser handles at once (chat); 1 for voice */
};

struct wfm_target {
    double service_level; /* share answered within answer_s, in (0, 1) */
    double answer_s;      /* e.g. 0.80 and 20 for "80/20" */
};

struct wfm_result {
    int agents;           /* advisers (servers / concurrency, rounded up) */
    int servers;          /* agents x concurrency: parallel slots */
    double traffic;       /* offered load in Erlangs (calls/s x AHT) */
    double service_level; /* share of all arrivals answered within answer_s */
    double asa_s;         /* mean wait of answered contacts (Erlang C: of all contacts) */
    double occupancy;     /* carried load / servers */
    double p_wait;        /* probability an arrival waits at all */
    double p_abandon;     /* probability an arrival abandons (0 for Erlang C) */
};

/* Erlang B blocking probability for n servers and load a, by the stable recursion
 * B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1)). */
double wfm_erlang_b(int n, double a);
/* Erlang C probability of waiting (1 when n <= a). */
double wfm_erlang_c(int n, double a);

/* Validates q and target: PARLEY_EINVAL naming the field ("calls_per_hour", "aht",
 * "patience", "concurrency", "target") when out of range. */
int wfm_queue_check(const struct wfm_queue *q, const struct wfm_target *t, struct parley_err *err);
/* Metrics of q served by `agents` advisers (agents x concurrency servers). q must be valid. */
void wfm_evaluate(const struct wfm_queue *q, int agents, double answer_s, struct wfm_result *out);
/* The fewest advisers meeting the target, with their metrics. Zero calls need zero agents.
 * PARLEY_EINVAL (field named) for bad input or a target needing over WFM_MAX_SERVERS. */
int wfm_staff(const struct wfm_queue *q, const struct wfm_target *t, struct wfm_result *out,
              struct parley_err *err);
/* Advisers to schedule so that `agents` are available after shrinkage (percent in [0, 90]):
 * ceil(agents / (1 - shrinkage/100)). */
int wfm_scheduled(int agents, double shrinkage_pct);
/* Parses "80/20" (percent / seconds) into t. PARLEY_EINVAL naming `field` when malformed. */
int wfm_parse_target(const char *s, const char *field, struct wfm_target *t,
                     struct parley_err *err);

#endif
