/* The demo's contact history for forecasting: eight weeks of arrivals per 30-minute interval on
 * web chat, email and WhatsApp, shaped like a utility's contact centre (morning and afternoon
 * peaks, quiet nights, busy Mondays, quiet weekends, slow growth) with Poisson noise.
 *
 * They are interval counts (STORE_RECORD_ARRIVALS) rather than conversations: about 40,000
 * contacts as conversations, customers and messages would take far longer than the two seconds
 * seeding may take and would bury the 50 scripted conversations of the demo inbox, while the
 * forecast only needs counts per interval, which is also what a contact centre's ACD or
 * telephony reports give when history is imported. */
#include "cli.h"

#include <math.h>
#include <stdlib.h>

#include "../route/tz_offsets.h"

#define DAY_MS        (24LL * 3600 * 1000)
#define HISTORY_DAYS  56
#define INTERVALS_DAY 48
#define WFM_SEED      0xF0CA57ULL

struct demo_channel {
    enum channel channel;
    double peak;  /* mean contacts in a peak half hour on a Wednesday */
    double aht_s; /* mean handling time */
};

static const struct demo_channel channels[] = {
    {CHANNEL_WEB, 40, 420},
    {CHANNEL_EMAIL, 18, 540},
    {CHANNEL_WHATSAPP, 14, 480},
};

/* Monday first. */
static const double weekday_factor[7] = {1.15, 1.05, 1.0, 0.98, 0.9, 0.45, 0.3};

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double rng_uniform(uint64_t *s)
{
    return ((double)(rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
}

/* Poisson by multiplication for small means, a rounded normal for large ones. */
static int64_t poisson(uint64_t *s, double mean)
{
    if (mean <= 0) return 0;
    if (mean > 30) {
        double n = sqrt(-2 * log(rng_uniform(s))) * cos(6.283185307179586 * rng_uniform(s));
        double v = floor(mean + sqrt(mean) * n + 0.5);
        return v > 0 ? (int64_t)v : 0;
    }
    double limit = exp(-mean), p = 1;
    int64_t k = -1;
    do {
        k++;
        p *= rng_uniform(s);
    } while (p > limit);
    return k;
}

/* Share of the peak in the half hour starting at local hour h: a morning and an afternoon
 * peak, an evening shoulder, almost nothing at night. */
static double day_shape(double h)
{
    double m = (h - 10.5) / 1.6, a = (h - 14.75) / 1.9, e = (h - 19.5) / 1.5;
    return 0.03 + 0.9 * exp(-m * m / 2) + 0.75 * exp(-a * a / 2) + 0.25 * exp(-e * e / 2);
}

int seed_demo_history(struct store *s, int64_t tenant_id, const char *time_zone, int64_t now,
                      int64_t *contacts, struct parley_err *err)
{
    struct tz_offsets *tz = NULL;
    int rc = tz_offsets_load(time_zone, "time_zone", &tz, err);
    if (rc != 0) return rc;
    size_t n_channels = sizeof(channels) / sizeof(channels[0]);
    size_t per_channel = HISTORY_DAYS * INTERVALS_DAY;
    struct arrival_count *rows = calloc(per_channel * n_channels, sizeof(*rows));
    if (rows == NULL) {
        tz_offsets_free(tz);
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    }
    int64_t end = now - now % STORE_ARRIVAL_INTERVAL_MS;
    int64_t from = end - (int64_t)per_channel * STORE_ARRIVAL_INTERVAL_MS;
    uint64_t rng = WFM_SEED;
    size_t n = 0;
    *contacts = 0;
    for (size_t i = 0; i < per_channel; i++) {
        int64_t t = from + (int64_t)i * STORE_ARRIVAL_INTERVAL_MS;
        int64_t local = t + tz_offsets_at(tz, t), day = tz_floor_div(local, DAY_MS);
        double hour = (double)(local - day * DAY_MS) / 3600000.0 + 0.25;
        double growth = 1 + 0.003 * (double)i / (7 * INTERVALS_DAY); /* +0.3% a week */
        double mean = day_shape(hour) * weekday_factor[tz_weekday(day)] * growth;
        for (size_t c = 0; c < n_channels; c++) {
            struct arrival_count *row = &rows[n++];
            row->interval_start = t;
            row->channel = channels[c].channel;
            row->arrivals = poisson(&rng, mean * channels[c].peak);
            row->handle_s =
                (double)row->arrivals * channels[c].aht_s * (0.9 + 0.2 * rng_uniform(&rng));
            *contacts += row->arrivals;
        }
    }
    tz_offsets_free(tz);
    struct store_cmd cmd;
    store_cmd_init(&cmd, STORE_RECORD_ARRIVALS);
    cmd.tenant_id = tenant_id;
    cmd.actor = "cli";
    cmd.in.record_arrivals.rows = rows;
    cmd.in.record_arrivals.n = n;
    rc = store_exec(s, &cmd);
    if (rc != 0)
        parley_fail(err, rc, cmd.err.field, "recording the demo's contact history: %s",
                    cmd.err.message);
    store_cmd_release(&cmd);
    free(rows);
    return rc;
}
