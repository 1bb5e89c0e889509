/* Double-seasonal Holt-Winters after Taylor (2003), "Short-term electricity demand forecasting
 * using double seasonal exponential smoothing", J. Operational Research Society 54: a level
 * and two additive seasonal cycles, no trend (intra-week call volumes have none worth
 * extrapolating a week ahead), without Taylor's optional AR(1) residual term. Seasonal
 * positions come from local time, so the Monday 09:00 peak stays at 09:00 across DST. */
#include "wfm_forecast.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void wfm_local_position(const struct tz_offsets *tz, int64_t t_ms, int *day_pos, int *week_pos)
{
    int64_t slot = tz_floor_div(t_ms + tz_offsets_at(tz, t_ms), WFM_INTERVAL_MS);
    int64_t day = tz_floor_div(slot, WFM_DAY_INTERVALS);
    *day_pos = (int)(slot - day * WFM_DAY_INTERVALS);
    *week_pos = tz_weekday(day) * WFM_DAY_INTERVALS + *day_pos;
}

struct hw_state {
    double level;
    double day[WFM_DAY_INTERVALS];
    double week[WFM_WEEK_INTERVALS];
};

struct hw_data {
    const double *y;
    size_t n, sse_from;
    const uint16_t *dpos, *wpos; /* local positions of intervals 0..n+horizon */
};

/* Starting values from the first two weeks: the mean, then the average deviation per daily
 * position, then what is left per weekly position. */
static void hw_init(const struct hw_data *d, struct hw_state *s)
{
    memset(s, 0, sizeof(*s));
    size_t m = WFM_MIN_HISTORY;
    double sum = 0;
    for (size_t t = 0; t < m; t++) sum += d->y[t];
    s->level = sum / (double)m;
    int nday[WFM_DAY_INTERVALS] = {0}, nweek[WFM_WEEK_INTERVALS] = {0};
    for (size_t t = 0; t < m; t++) {
        s->day[d->dpos[t]] += d->y[t] - s->level;
        nday[d->dpos[t]]++;
    }
    for (int p = 0; p < WFM_DAY_INTERVALS; p++)
        if (nday[p] > 0) s->day[p] /= nday[p];
    for (size_t t = 0; t < m; t++) {
        s->week[d->wpos[t]] += d->y[t] - s->level - s->day[d->dpos[t]];
        nweek[d->wpos[t]]++;
    }
    for (int p = 0; p < WFM_WEEK_INTERVALS; p++)
        if (nweek[p] > 0) s->week[p] /= nweek[p];
}

/* Runs the recursions over the history; returns the one-step squared error from sse_from on. */
static double hw_run(const struct hw_data *d, const struct hw_state *init, double alpha,
                     double gamma, double omega, struct hw_state *out)
{
    *out = *init;
    double sse = 0;
    for (size_t t = 0; t < d->n; t++) {
        int dp = d->dpos[t], wp = d->wpos[t];
        double old_day = out->day[dp], old_week = out->week[wp], y = d->y[t];
        double e = y - (out->level + old_day + old_week);
        if (t >= d->sse_from) sse += e * e;
        out->level = alpha * (y - old_day - old_week) + (1 - alpha) * out->level;
        out->day[dp] = gamma * (y - out->level - old_week) + (1 - gamma) * old_day;
        out->week[wp] = omega * (y - out->level - old_day) + (1 - omega) * old_week;
    }
    return sse;
}

int wfm_forecast_fit(const double *y, size_t n, int64_t from_ms, const struct tz_offsets *tz,
                     size_t horizon, double *out, struct wfm_hw_model *model,
                     struct parley_err *err)
{
    if (n < WFM_MIN_HISTORY || horizon > WFM_MAX_HORIZON)
        return parley_fail(err, PARLEY_EINVAL, "history",
                           "the forecast needs at least two weeks of history and looks at most "
                           "%d days ahead",
                           WFM_MAX_HORIZON / WFM_DAY_INTERVALS);
    uint16_t *pos = malloc(2 * (n + horizon) * sizeof(*pos));
    struct hw_state *states = malloc(3 * sizeof(*states));
    if (pos == NULL || states == NULL) {
        free(pos);
        free(states);
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    }
    for (size_t t = 0; t < n + horizon; t++) {
        int dp, wp;
        wfm_local_position(tz, from_ms + (int64_t)t * WFM_INTERVAL_MS, &dp, &wp);
        pos[t] = (uint16_t)dp;
        pos[n + horizon + t] = (uint16_t)wp;
    }
    struct hw_data d = {y, n, n >= 3 * WFM_WEEK_INTERVALS ? WFM_MIN_HISTORY : WFM_WEEK_INTERVALS,
                        pos, pos + n + horizon};
    struct hw_state *init = &states[0], *run = &states[1], *best = &states[2];
    hw_init(&d, init);
    /* A small grid: each parameter from "barely moves" to "follows the last weeks closely". */
    static const double grid[] = {0.01, 0.03, 0.08, 0.15, 0.3};
    const size_t g = sizeof(grid) / sizeof(grid[0]);
    double best_sse = INFINITY;
    for (size_t i = 0; i < g * g * g; i++) {
        double a = grid[i / (g * g)], c = grid[(i / g) % g], o = grid[i % g];
        double sse = hw_run(&d, init, a, c, o, run);
        if (sse < best_sse) {
            best_sse = sse;
            *best = *run;
            *model = (struct wfm_hw_model){a, c, o, 0};
        }
    }
    model->rmse = sqrt(best_sse / (double)(n - d.sse_from));
    for (size_t h = 0; h < horizon; h++) {
        double f = best->level + best->day[d.dpos[n + h]] + best->week[d.wpos[n + h]];
        out[h] = f > 0 ? f : 0;
    }
    free(pos);
    free(states);
    return 0;
}
