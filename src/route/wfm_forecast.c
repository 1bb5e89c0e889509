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

/* One-step SSE at parameters x (alpha, gamma, omega); outside (0, 1) is out of bounds. */
static double sse_at(const struct hw_data *d, const struct hw_state *init, const double x[3],
                     struct hw_state *scratch)
{
    for (int k = 0; k < 3; k++)
        if (!(x[k] >= 0.001 && x[k] <= 0.95)) return INFINITY;
    return hw_run(d, init, x[0], x[1], x[2], scratch);
}

/* Nelder-Mead (reflect 1, expand 2, contract 1/2, shrink 1/2) from the best grid point, a
 * bounded number of steps: polishes what the grid found. x is updated in place. */
static double nelder_mead(const struct hw_data *d, const struct hw_state *init, double x[3],
                          double fx, struct hw_state *scratch)
{
    double v[4][3], f[4];
    for (int i = 0; i < 4; i++) {
        memcpy(v[i], x, sizeof(v[i]));
        if (i > 0) v[i][i - 1] += v[i][i - 1] < 0.5 ? v[i][i - 1] * 0.5 + 0.005 : -0.1;
        f[i] = i == 0 ? fx : sse_at(d, init, v[i], scratch);
    }
    for (int iter = 0; iter < 80; iter++) {
        for (int i = 1; i < 4; i++) /* sort by f, insertion */
            for (int j = i; j > 0 && f[j] < f[j - 1]; j--) {
                double t = f[j];
                f[j] = f[j - 1];
                f[j - 1] = t;
                double tv[3];
                memcpy(tv, v[j], sizeof(tv));
                memcpy(v[j], v[j - 1], sizeof(tv));
                memcpy(v[j - 1], tv, sizeof(tv));
            }
        if (f[3] - f[0] <= 1e-9 * (f[0] + 1e-12)) break;
        double c[3] = {0, 0, 0}, r[3], e[3], k[3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) c[j] += v[i][j] / 3;
        for (int j = 0; j < 3; j++) r[j] = c[j] + (c[j] - v[3][j]);
        double fr = sse_at(d, init, r, scratch);
        if (fr < f[0]) {
            for (int j = 0; j < 3; j++) e[j] = c[j] + 2 * (c[j] - v[3][j]);
            double fe = sse_at(d, init, e, scratch);
            memcpy(v[3], fe < fr ? e : r, sizeof(r));
            f[3] = fe < fr ? fe : fr;
        } else if (fr < f[2]) {
            memcpy(v[3], r, sizeof(r));
            f[3] = fr;
        } else {
            for (int j = 0; j < 3; j++) k[j] = c[j] + 0.5 * (v[3][j] - c[j]);
            double fk = sse_at(d, init, k, scratch);
            if (fk < f[3]) {
                memcpy(v[3], k, sizeof(k));
                f[3] = fk;
            } else {
                for (int i = 1; i < 4; i++) {
                    for (int j = 0; j < 3; j++) v[i][j] = v[0][j] + 0.5 * (v[i][j] - v[0][j]);
                    f[i] = sse_at(d, init, v[i], scratch);
                }
            }
        }
    }
    int best = 0;
    for (int i = 1; i < 4; i++)
        if (f[i] < f[best]) best = i;
    memcpy(x, v[best], sizeof(v[best]));
    return f[best];
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
    double best_sse = INFINITY, x[3] = {grid[0], grid[0], grid[0]};
    for (size_t i = 0; i < g * g * g; i++) {
        double trial[3] = {grid[i / (g * g)], grid[(i / g) % g], grid[i % g]};
        double sse = hw_run(&d, init, trial[0], trial[1], trial[2], run);
        if (sse < best_sse) {
            best_sse = sse;
            memcpy(x, trial, sizeof(x));
        }
    }
    best_sse = nelder_mead(&d, init, x, best_sse, run);
    hw_run(&d, init, x[0], x[1], x[2], best);
    *model = (struct wfm_hw_model){x[0], x[1], x[2], sqrt(best_sse / (double)(n - d.sse_from))};
    for (size_t h = 0; h < horizon; h++) {
        double f = best->level + best->day[d.dpos[n + h]] + best->week[d.wpos[n + h]];
        out[h] = f > 0 ? f : 0;
    }
    free(pos);
    free(states);
    return 0;
}
