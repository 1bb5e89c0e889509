/* A staffing plan for the days ahead, shared by `parley wfm forecast` and
 * GET /api/v1/wfm/forecast: the tenant's arrival history (store), the Holt-Winters forecast per
 * 30-minute interval, and the advisers each interval needs (Erlang C, or A with patience).
 *
 * Two steps so the server can run the CPU part off its event loop: wfm_plan_load reads the
 * store (the reader's thread) and allocates everything in the arena; wfm_plan_compute only
 * computes (any thread, no reader). The arena must not be used by anyone else in between.
 * A plan owns nothing outside the arena (each step opens and closes the zone's table), so a
 * plan abandoned between the steps leaks nothing. */
#ifndef PARLEY_WFM_PLAN_H
#define PARLEY_WFM_PLAN_H

#include "../common/arena.h"
#include "../store/store.h"
#include "wfm_erlang.h"
#include "wfm_forecast.h"

#define WFM_HISTORY_DAYS   56 /* eight weeks */
#define WFM_MAX_DAYS       28
#define WFM_DEFAULT_AHT_S  300.0
#define WFM_MIN_AHT_SAMPLE 20 /* contacts with a known handling time before trusting it */

struct wfm_plan_request {
    int channel;  /* enum channel, or -1 for all channels together */
    int days;     /* 1..WFM_MAX_DAYS whole local days, from the next local midnight */
    double aht_s; /* 0: from history when known, else WFM_DEFAULT_AHT_S */
    struct wfm_target target;
    int concurrency;      /* 1 for voice-like work */
    double patience_s;    /* 0: Erlang C */
    double shrinkage_pct; /* 0..90 */
    int64_t now_ms;
};

struct wfm_plan_interval {
    int64_t start_ms;
    int local_minute; /* minutes after local midnight at the start */
    int weekday;      /* local, Monday = 0 */
    double volume;    /* forecast contacts in the 30 minutes */
    int agents, scheduled;
    double service_level; /* at that many agents */
};

struct wfm_plan_day {
    char date[11]; /* local "YYYY-MM-DD" */
    double volume;
    int peak_agents;
    int64_t peak_start_ms;
    double agent_hours; /* sum over intervals of agents x 0.5 h */
    size_t first, n;    /* its intervals */
    size_t peak;        /* index of its busiest interval */
};

struct wfm_plan {
    struct wfm_plan_request req;
    const char *time_zone;
    int64_t history_from_ms;
    size_t history_n;
    double *history;
    int64_t history_contacts;
    double aht_s;
    const char *aht_source; /* "request", "history" or "default" */
    int64_t forecast_from_ms;
    size_t lead; /* intervals between the end of history and forecast_from_ms */
    struct wfm_hw_model model;
    double *forecast; /* lead + n forecasts from the end of history */
    struct wfm_plan_interval *intervals;
    size_t n;
    struct wfm_plan_day *days;
    size_t n_days;
    size_t peak; /* index of the interval needing the most agents */
};

/* Checks req (PARLEY_EINVAL naming "days", "channel", "aht", "target", …) and reads the
 * tenant's zone and history. */
int wfm_plan_load(struct store_reader *r, int64_t tenant_id, const struct wfm_plan_request *req,
                  struct wfm_plan *p, struct arena *a, struct parley_err *err);
int wfm_plan_compute(struct wfm_plan *p, struct parley_err *err);

#endif
