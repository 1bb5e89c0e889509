/* Staffing forecast for supervisors: GET /api/v1/wfm/forecast. The history is read here on the
 * request's thread (its reader); fitting the model and staffing every half hour run on the
 * offload pool so the event loop never waits on them. */
#include "api_handlers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "../route/wfm_plan.h"

struct forecast_job {
    struct wfm_plan plan;
    struct parley_err err;
    int rc;
};

static void forecast_work(void *arg)
{
    struct forecast_job *j = arg;
    j->rc = wfm_plan_compute(&j->plan, &j->err);
}

/* Rounded for the wire to 1/per (volumes per 100, ratios per 1000): dividing by an integer
 * keeps the shortest decimal form ("4.06", not "4.0600000000000005"). */
static json_t *real(double v, double per)
{
    return json_real(round(v * per) / per);
}

static json_t *encode_intervals(const struct wfm_plan *p)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < p->n; i++) {
        const struct wfm_plan_interval *iv = &p->intervals[i];
        if (!api_append(arr, json_pack("{s:I, s:o, s:i, s:i, s:o}", "start",
                                       (json_int_t)iv->start_ms, "volume", real(iv->volume, 100),
                                       "agents", iv->agents, "scheduled", iv->scheduled,
                                       "service_level", real(iv->service_level, 1000)))) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *encode_days(const struct wfm_plan *p)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < p->n_days; i++) {
        const struct wfm_plan_day *d = &p->days[i];
        if (!api_append(arr, json_pack("{s:s, s:o, s:i, s:I, s:o}", "date", d->date, "volume",
                                       real(d->volume, 100), "peak_agents", d->peak_agents,
                                       "peak_start", (json_int_t)d->peak_start_ms, "agent_hours",
                                       real(d->agent_hours, 2)))) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *encode_plan(const struct wfm_plan *p)
{
    const struct wfm_plan_request *q = &p->req;
    const struct wfm_plan_interval *peak = p->n > 0 ? &p->intervals[p->peak] : NULL;
    json_t *intervals = encode_intervals(p), *days = encode_days(p);
    if (intervals == NULL || days == NULL) {
        json_decref(intervals);
        json_decref(days);
        return NULL;
    }
    return json_pack(
        "{s:s, s:s, s:i, s:i, s:I,"
        " s:{s:I, s:I, s:I},"
        " s:{s:s, s:o, s:o, s:o, s:o},"
        " s:{s:s, s:o, s:o, s:o, s:s, s:i, s:o, s:o},"
        " s:o, s:o, s:o}",
        "time_zone", p->time_zone, "channel",
        q->channel < 0 ? "all" : channel_name((enum channel)q->channel), "days", q->days,
        "interval_minutes", 30, "from", (json_int_t)p->forecast_from_ms,
        /* history */
        "history", "from", (json_int_t)p->history_from_ms, "to",
        (json_int_t)(p->history_from_ms + (int64_t)p->history_n * WFM_INTERVAL_MS), "contacts",
        (json_int_t)p->history_contacts,
        /* model */
        "model", "method", "double_seasonal_holt_winters", "alpha", json_real(p->model.alpha),
        "gamma", json_real(p->model.gamma), "omega", json_real(p->model.omega), "rmse",
        real(p->model.rmse, 1000),
        /* staffing */
        "staffing", "model", q->patience_s > 0 ? "erlang_a" : "erlang_c", "target_service_level",
        json_real(q->target.service_level), "target_answer_s", json_real(q->target.answer_s),
        "aht_s", real(p->aht_s, 10), "aht_source", p->aht_source, "concurrency", q->concurrency,
        "patience_s", q->patience_s > 0 ? json_real(q->patience_s) : json_null(), "shrinkage_pct",
        json_real(q->shrinkage_pct),
        /* results */
        "intervals", intervals, "daily", days, "peak",
        peak == NULL ? json_null()
                     : json_pack("{s:I, s:o, s:i, s:i}", "start", (json_int_t)peak->start_ms,
                                 "volume", real(peak->volume, 100), "agents", peak->agents,
                                 "scheduled", peak->scheduled));
}

static void forecast_after(struct api_req *r, void *arg)
{
    struct forecast_job *j = arg;
    if (j->rc != 0) {
        api_reply_failure(r, j->rc, &j->err);
        return;
    }
    /* Ten significant digits: "0.23", not jansson's default "0.23000000000000001". */
    json_t *body = encode_plan(&j->plan);
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
    json_decref(body);
    if (text == NULL) {
        api_fail(r, PARLEY_ENOMEM, NULL, "out of memory; retry shortly");
        return;
    }
    api_reply_raw(r, 200, text, strlen(text), false);
    free(text);
}

/* The optional numeric query parameters, as whole numbers within their bounds. */
static int read_params(struct api_req *r, struct wfm_plan_request *req)
{
    int64_t days = 7, aht = 0, patience = 0, concurrency = 1, shrinkage = 0;
    const char *channel = NULL, *target = NULL;
    if (api_query_int(r, "days", 1, WFM_MAX_DAYS, &days) < 0 ||
        api_query_int(r, "aht", 1, (int64_t)WFM_MAX_AHT_S, &aht) < 0 ||
        api_query_int(r, "patience", 1, (int64_t)WFM_MAX_PATIENCE_S, &patience) < 0 ||
        api_query_int(r, "concurrency", 1, WFM_MAX_CONCURRENCY, &concurrency) < 0 ||
        api_query_int(r, "shrinkage", 0, (int64_t)WFM_MAX_SHRINKAGE_PCT, &shrinkage) < 0 ||
        api_query_text(r, "channel", 16, &channel) < 0 ||
        api_query_text(r, "target", 16, &target) < 0)
        return -1;
    struct parley_err err = {0};
    int ch = channel == NULL || strcmp(channel, "all") == 0 ? -1 : channel_parse(channel);
    if (channel != NULL && strcmp(channel, "all") != 0 && ch < 0) {
        api_fail(r, PARLEY_EINVAL, "channel",
                 "channel must be web, portal, email, sms, whatsapp, device, api or all");
        return -1;
    }
    if (wfm_parse_target(target != NULL ? target : "80/20", "target", &req->target, &err) != 0) {
        api_reply_error(r, &err);
        return -1;
    }
    req->channel = ch;
    req->days = (int)days;
    req->aht_s = (double)aht;
    req->patience_s = (double)patience;
    req->concurrency = (int)concurrency;
    req->shrinkage_pct = (double)shrinkage;
    req->now_ms = util_now_ms();
    return 0;
}

void api_wfm_forecast(struct api_req *r)
{
    struct wfm_plan_request req = {0};
    if (read_params(r, &req) != 0) return;
    struct forecast_job *j = arena_alloc(&r->arena, sizeof(*j));
    if (j == NULL) {
        api_fail(r, PARLEY_ENOMEM, NULL, "out of memory; retry shortly");
        return;
    }
    int rc = wfm_plan_load(r->reader, r->who.tenant_id, &req, &j->plan, &r->arena, &j->err);
    if (rc != 0) {
        api_reply_failure(r, rc, &j->err);
        return;
    }
    api_offload(r, forecast_work, j, forecast_after);
}
