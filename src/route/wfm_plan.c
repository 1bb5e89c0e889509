/* From history to a staffing plan: count the arrivals of the last eight weeks per half hour,
 * forecast the whole local days ahead, staff each interval for the target, and sum per day. */
#include "wfm_plan.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define DAY_MS (24LL * 3600 * 1000)

/* The UTC instant of local midnight starting local day `day` (days since 1970-01-01). Two
 * lookups settle the offset (a DST change at midnight moves it once). */
static int64_t local_midnight_utc(const struct tz_offsets *tz, int64_t day)
{
    int64_t local = day * DAY_MS;
    int64_t utc = local - tz_offsets_at(tz, local);
    return local - tz_offsets_at(tz, utc);
}

static int64_t ceil_interval(int64_t t)
{
    return -tz_floor_div(-t, WFM_INTERVAL_MS) * WFM_INTERVAL_MS;
}

static int check_request(const struct wfm_plan_request *req, struct parley_err *err)
{
    if (req->days < 1 || req->days > WFM_MAX_DAYS)
        return parley_fail(err, PARLEY_EINVAL, "days", "days must be from 1 to %d", WFM_MAX_DAYS);
    if (req->channel < -1 || req->channel >= CHANNEL__COUNT)
        return parley_fail(err, PARLEY_EINVAL, "channel", "unknown channel");
    if (req->shrinkage_pct < 0 || req->shrinkage_pct > WFM_MAX_SHRINKAGE_PCT)
        return parley_fail(err, PARLEY_EINVAL, "shrinkage", "shrinkage must be 0 to %.0f percent",
                           WFM_MAX_SHRINKAGE_PCT);
    struct wfm_queue q = {0, req->aht_s > 0 ? req->aht_s : WFM_DEFAULT_AHT_S, req->patience_s,
                          req->concurrency};
    return wfm_queue_check(&q, &req->target, err);
}

/* The history window, its counts and handling time, and the forecast window (whole local
 * days from the next local midnight). */
static int load_history(struct store_reader *r, int64_t tenant_id, const struct tz_offsets *tz,
                        struct wfm_plan *p, struct arena *a, struct parley_err *err)
{
    const struct wfm_plan_request *req = &p->req;
    /* History: the whole half hours of the last eight weeks, up to the current one. */
    int64_t end = tz_floor_div(req->now_ms, WFM_INTERVAL_MS) * WFM_INTERVAL_MS;
    p->history_n = WFM_HISTORY_DAYS * WFM_DAY_INTERVALS;
    p->history_from_ms = end - (int64_t)p->history_n * WFM_INTERVAL_MS;
    int64_t *counts = arena_alloc(a, p->history_n * sizeof(*counts));
    p->history = arena_alloc(a, p->history_n * sizeof(*p->history));
    if (counts == NULL || p->history == NULL)
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    double handle_s = 0;
    int64_t handled = 0;
    int rc = store_count_arrivals(r, tenant_id, req->channel, p->history_from_ms, p->history_n,
                                  counts, &handle_s, &handled, err);
    if (rc != 0) return rc;
    for (size_t i = 0; i < p->history_n; i++) {
        p->history[i] = (double)counts[i];
        p->history_contacts += counts[i];
    }
    double history_aht = handled >= WFM_MIN_AHT_SAMPLE ? handle_s / (double)handled : 0;
    if (req->aht_s > 0) {
        p->aht_s = req->aht_s;
        p->aht_source = "request";
    } else if (history_aht >= 1 && history_aht <= WFM_MAX_AHT_S) {
        p->aht_s = history_aht;
        p->aht_source = "history";
    } else {
        p->aht_s = WFM_DEFAULT_AHT_S;
        p->aht_source = "default";
    }

    /* The forecast covers whole local days from the next local midnight. */
    int64_t today = tz_floor_div(end + tz_offsets_at(tz, end), DAY_MS);
    p->forecast_from_ms = ceil_interval(local_midnight_utc(tz, today + 1));
    int64_t until = ceil_interval(local_midnight_utc(tz, today + 1 + req->days));
    p->lead = (size_t)((p->forecast_from_ms - end) / WFM_INTERVAL_MS);
    p->n = (size_t)((until - p->forecast_from_ms) / WFM_INTERVAL_MS);
    p->intervals = arena_alloc(a, p->n * sizeof(*p->intervals));
    p->forecast = arena_alloc(a, (p->lead + p->n) * sizeof(*p->forecast));
    p->days = arena_alloc(a, (size_t)req->days * sizeof(*p->days));
    if (p->intervals == NULL || p->forecast == NULL || p->days == NULL)
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    return 0;
}

int wfm_plan_load(struct store_reader *r, int64_t tenant_id, const struct wfm_plan_request *req,
                  struct wfm_plan *p, struct arena *a, struct parley_err *err)
{
    memset(p, 0, sizeof(*p));
    p->req = *req;
    int rc = check_request(req, err);
    if (rc != 0) return rc;
    struct tenant t;
    if ((rc = store_get_tenant(r, tenant_id, &t, a, err)) != 0) return rc;
    p->time_zone = t.time_zone != NULL ? t.time_zone : "UTC";
    struct tz_offsets *tz = NULL;
    if ((rc = tz_offsets_load(p->time_zone, "time_zone", &tz, err)) != 0) return rc;
    rc = load_history(r, tenant_id, tz, p, a, err);
    tz_offsets_free(tz);
    return rc;
}

static void add_to_day(struct wfm_plan *p, const struct tz_offsets *tz, size_t i)
{
    struct wfm_plan_interval *iv = &p->intervals[i];
    int64_t local = iv->start_ms + tz_offsets_at(tz, iv->start_ms);
    int64_t local_day = tz_floor_div(local, DAY_MS);
    iv->local_minute = (int)((local - local_day * DAY_MS) / 60000);
    iv->weekday = tz_weekday(local_day);
    int64_t y;
    unsigned m, d;
    tz_civil_from_days(local_day, &y, &m, &d);
    char date[11];
    snprintf(date, sizeof(date), "%04d-%02u-%02u", (int)y, m, d);
    struct wfm_plan_day *day = p->n_days > 0 ? &p->days[p->n_days - 1] : NULL;
    if (day == NULL || strcmp(day->date, date) != 0) {
        if (p->n_days == (size_t)p->req.days) return; /* cannot happen: days are whole */
        day = &p->days[p->n_days++];
        memset(day, 0, sizeof(*day));
        memcpy(day->date, date, sizeof(date));
        day->first = i;
    }
    day->n++;
    day->volume += iv->volume;
    day->agent_hours += iv->agents * 0.5;
    if (iv->agents > day->peak_agents || day->n == 1) {
        day->peak_agents = iv->agents;
        day->peak_start_ms = iv->start_ms;
        day->peak = i;
    }
}

int wfm_plan_compute(struct wfm_plan *p, struct parley_err *err)
{
    struct tz_offsets *tz = NULL;
    int rc = tz_offsets_load(p->time_zone, "time_zone", &tz, err);
    if (rc != 0) return rc;
    rc = wfm_forecast_fit(p->history, p->history_n, p->history_from_ms, tz, p->lead + p->n,
                          p->forecast, &p->model, err);
    /* Only the days asked for are kept: the lead-in (the rest of today) was forecast to get
     * there. */
    p->peak = 0;
    p->n_days = 0;
    for (size_t i = 0; rc == 0 && i < p->n; i++) {
        struct wfm_plan_interval *iv = &p->intervals[i];
        iv->start_ms = p->forecast_from_ms + (int64_t)i * WFM_INTERVAL_MS;
        iv->volume = p->forecast[p->lead + i];
        struct wfm_queue q = {iv->volume * 2, p->aht_s, p->req.patience_s, p->req.concurrency};
        struct wfm_result res;
        if ((rc = wfm_staff(&q, &p->req.target, &res, err)) != 0) break;
        iv->agents = res.agents;
        iv->scheduled = wfm_scheduled(res.agents, p->req.shrinkage_pct);
        iv->service_level = res.service_level;
        if (iv->agents > p->intervals[p->peak].agents) p->peak = i;
        add_to_day(p, tz, i);
    }
    tz_offsets_free(tz);
    return rc;
}
