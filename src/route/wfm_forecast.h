/* Contact-volume forecast per 30-minute interval: double-seasonal Holt-Winters (Taylor 2003),
 * additive, with a daily (48 intervals) and a weekly (336 intervals) cycle, both indexed by the
 * tenant's local time so that the shape survives daylight-saving changes. Parameters are chosen
 * by minimising the one-step-ahead squared error: a grid, then Nelder-Mead (docs/staffing.md).
 *
 * Pure computation on caller-owned arrays: thread-safe, no allocation beyond the call. */
#ifndef PARLEY_WFM_FORECAST_H
#define PARLEY_WFM_FORECAST_H

#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "tz_offsets.h"

#define WFM_INTERVAL_MS    (30LL * 60 * 1000)
#define WFM_DAY_INTERVALS  48
#define WFM_WEEK_INTERVALS 336
#define WFM_MIN_HISTORY    (2 * WFM_WEEK_INTERVALS) /* two weeks to start both cycles */
#define WFM_MAX_HORIZON    (36 * WFM_DAY_INTERVALS)

struct wfm_hw_model {
    double alpha; /* level */
    double gamma; /* daily cycle */
    double omega; /* weekly cycle */
    double rmse;  /* one-step-ahead error over the history after the first two weeks */
};

/* Fits the model to y[0..n) (contacts per interval; interval i starts at from_ms + i*30min,
 * UTC) and writes the forecasts of the `horizon` intervals that follow into out[]. Forecasts
 * are never negative. PARLEY_EINVAL when n < WFM_MIN_HISTORY or horizon > WFM_MAX_HORIZON. */
int wfm_forecast_fit(const double *y, size_t n, int64_t from_ms, const struct tz_offsets *tz,
                     size_t horizon, double *out, struct wfm_hw_model *model,
                     struct parley_err *err);

/* Position of the interval starting at t_ms in the local day (0..47) and week (0..335,
 * Monday 00:00 is 0). */
void wfm_local_position(const struct tz_offsets *tz, int64_t t_ms, int *day_pos, int *week_pos);

#endif
