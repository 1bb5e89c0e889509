/* Business-hours arithmetic in O(log n): business time is measured by a cumulative function
 * B(t) (business ms since a fixed origin), so between() is B(to) - B(from) and add() inverts B.
 * On the local wall clock (no DST) the cumulative business Lb(x) is whole weeks times the weekly
 * total, plus the prefix of the current week, minus the holidays before x. Between two UTC
 * offset transitions the wall clock is UTC plus a constant, so B(t) = base[k] + Lb(t + off[k])
 * in segment k, with base[] precomputed at parse time. DST is exact: a shift whose wall-clock
 * times repeat at fall-back counts both passes; one that straddles a spring-forward gap loses
 * the skipped hour. */
#include "sla_calendar.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tz_offsets.h"

#define DAY_MS  86400000LL
#define WEEK_MS (7 * DAY_MS)
/* 1970-01-05, the first Monday after the epoch: weeks are counted from it. */
#define MONDAY0 4

struct shift {
    int64_t open_ms, close_ms; /* ms after local midnight, open < close <= 24:00 */
};

struct sla_calendar {
    struct shift shifts[7][SLA_CALENDAR_MAX_SHIFTS]; /* Monday = 0, sorted, disjoint */
    int nshifts[7];
    int64_t week_prefix[8]; /* business ms in the week before day i */
    int64_t *holidays;      /* local day numbers, sorted, unique, only days with hours */
    int64_t *holiday_cum;   /* holiday_cum[i]: nominal business lost to holidays[0..i) */
    size_t nholidays;
    struct tz_offsets *tz;
    int64_t *seg_base; /* B(t) = seg_base[k] + Lb(t + off[k]) in segment k */
    int64_t *seg_cum;  /* B at the start of segment k (k >= 1) */
    bool always_open;  /* "weekly" empty: 24x7 */
    char time_zone[64];
};

/* ---- local (wall-clock) cumulative business ----------------------------------------------- */

static int64_t within_day(const struct sla_calendar *c, int weekday, int64_t ms)
{
    int64_t sum = 0;
    for (int i = 0; i < c->nshifts[weekday]; i++) {
        const struct shift *s = &c->shifts[weekday][i];
        if (ms <= s->open_ms) break;
        sum += (ms < s->close_ms ? ms : s->close_ms) - s->open_ms;
    }
    return sum;
}

/* Nominal (no holidays) business from the week origin to the start of local day `day`. */
static int64_t nominal_at_day(const struct sla_calendar *c, int64_t day)
{
    int64_t rel = day - MONDAY0;
    int64_t weeks = tz_floor_div(rel, 7);
    return weeks * c->week_prefix[7] + c->week_prefix[rel - weeks * 7];
}

/* Number of holidays strictly before `day`. */
static size_t holidays_before(const struct sla_calendar *c, int64_t day)
{
    size_t lo = 0, hi = c->nholidays;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->holidays[mid] < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Lb(x): business ms on the wall clock from the origin to local time x (ms). */
static int64_t local_business(const struct sla_calendar *c, int64_t x)
{
    int64_t day = tz_floor_div(x, DAY_MS);
    size_t h = holidays_before(c, day);
    int64_t at_day = nominal_at_day(c, day) - c->holiday_cum[h];
    if (h < c->nholidays && c->holidays[h] == day) return at_day; /* closed all day */
    return at_day + within_day(c, tz_weekday(day), x - day * DAY_MS);
}

static int64_t local_business_at_day(const struct sla_calendar *c, int64_t day)
{
    return nominal_at_day(c, day) - c->holiday_cum[holidays_before(c, day)];
}

/* Earliest local x with Lb(x) >= v, given Lb(x_lo) < v. Exponential then binary search over
 * days (Lb at day starts), then a walk over that day's shifts. */
static int64_t local_business_inverse(const struct sla_calendar *c, int64_t v, int64_t x_lo)
{
    int64_t lo = tz_floor_div(x_lo, DAY_MS), step = 1, hi = lo + 1;
    while (local_business_at_day(c, hi) < v) {
        lo = hi;
        step *= 2;
        hi = lo + step;
    }
    while (hi - lo > 1) { /* Lb(day lo) < v <= Lb(day hi) */
        int64_t mid = lo + (hi - lo) / 2;
        if (local_business_at_day(c, mid) < v)
            lo = mid;
        else
            hi = mid;
    }
    int64_t rest = v - local_business_at_day(c, lo); /* > 0, and day lo has hours */
    int wd = tz_weekday(lo);
    for (int i = 0; i < c->nshifts[wd]; i++) {
        const struct shift *s = &c->shifts[wd][i];
        int64_t len = s->close_ms - s->open_ms;
        if (rest <= len) return lo * DAY_MS + s->open_ms + rest;
        rest -= len;
    }
    return hi * DAY_MS; /* unreachable: the day's hours cover rest */
}

/* ---- UTC cumulative business ------------------------------------------------------------- */

static int64_t clamp_instant(int64_t t)
{
    if (t > SLA_CALENDAR_MAX_ABS_MS) return SLA_CALENDAR_MAX_ABS_MS;
    if (t < -SLA_CALENDAR_MAX_ABS_MS) return -SLA_CALENDAR_MAX_ABS_MS;
    return t;
}

static int64_t business_at(const struct sla_calendar *c, int64_t t, size_t *segment)
{
    size_t k = tz_offsets_segment(c->tz, t);
    if (segment != NULL) *segment = k;
    return c->seg_base[k] + local_business(c, t + c->tz->offset_ms[k]);
}

int64_t sla_calendar_between(const struct sla_calendar *c, int64_t from_ms, int64_t to_ms)
{
    from_ms = clamp_instant(from_ms);
    to_ms = clamp_instant(to_ms);
    if (to_ms <= from_ms) return 0;
    if (c->always_open && c->nholidays == 0) return to_ms - from_ms;
    return business_at(c, to_ms, NULL) - business_at(c, from_ms, NULL);
}

int64_t sla_calendar_add(const struct sla_calendar *c, int64_t start_ms, int64_t duration_ms)
{
    start_ms = clamp_instant(start_ms);
    if (duration_ms <= 0) return start_ms;
    if (duration_ms > SLA_CALENDAR_MAX_SPAN_MS) duration_ms = SLA_CALENDAR_MAX_SPAN_MS;
    if (c->always_open && c->nholidays == 0) return clamp_instant(start_ms + duration_ms);
    size_t k0;
    int64_t target = business_at(c, start_ms, &k0) + duration_ms;
    /* The last segment whose start has less business than the target holds the answer. */
    size_t lo = k0, hi = c->tz->n;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->seg_cum[mid] < target)
            lo = mid;
        else
            hi = mid;
    }
    int64_t from = lo == k0 ? start_ms : c->tz->start_ms[lo];
    int32_t off = c->tz->offset_ms[lo];
    return clamp_instant(local_business_inverse(c, target - c->seg_base[lo], from + off) - off);
}

bool sla_calendar_is_open(const struct sla_calendar *c, int64_t t_ms)
{
    t_ms = clamp_instant(t_ms);
    int64_t x = t_ms + tz_offsets_at(c->tz, t_ms);
    int64_t day = tz_floor_div(x, DAY_MS);
    size_t h = holidays_before(c, day);
    if (h < c->nholidays && c->holidays[h] == day) return false;
    int wd = tz_weekday(day);
    int64_t ms = x - day * DAY_MS;
    for (int i = 0; i < c->nshifts[wd]; i++)
        if (ms >= c->shifts[wd][i].open_ms && ms < c->shifts[wd][i].close_ms) return true;
    return false;
}

const char *sla_calendar_time_zone(const struct sla_calendar *c)
{
    return c->time_zone;
}

int64_t sla_calendar_weekly_ms(const struct sla_calendar *c)
{
    return c->week_prefix[7];
}

/* ---- parsing ----------------------------------------------------------------------------- */

static const char *const day_keys[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

/* "HH:MM" with HH 00-23 (or "24:00" when allow_24), into ms after midnight. */
static bool parse_clock(const char *s, bool allow_24, int64_t *ms)
{
    if (strlen(s) != 5 || s[2] != ':') return false;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9')) return false;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && (!allow_24 || m != 0))) return false;
    *ms = (h * 60LL + m) * 60000LL;
    return true;
}

static int cmp_shift(const void *a, const void *b)
{
    const struct shift *x = a, *y = b;
    return (x->open_ms > y->open_ms) - (x->open_ms < y->open_ms);
}

static int parse_day(struct sla_calendar *c, int wd, json_t *list, struct parley_err *err)
{
    char field[32];
    snprintf(field, sizeof(field), "weekly.%s", day_keys[wd]);
    if (!json_is_array(list))
        return parley_fail(err, PARLEY_EINVAL, field,
                           "%s must be a list of [\"HH:MM\",\"HH:MM\"] shifts", field);
    if (json_array_size(list) > SLA_CALENDAR_MAX_SHIFTS)
        return parley_fail(err, PARLEY_EINVAL, field, "%s has more than %d shifts", field,
                           SLA_CALENDAR_MAX_SHIFTS);
    size_t i;
    json_t *pair;
    json_array_foreach(list, i, pair)
    {
        struct shift *s = &c->shifts[wd][i];
        json_t *a = json_array_get(pair, 0), *b = json_array_get(pair, 1);
        if (!json_is_array(pair) || json_array_size(pair) != 2 || !json_is_string(a) ||
            !json_is_string(b) || !parse_clock(json_string_value(a), false, &s->open_ms) ||
            !parse_clock(json_string_value(b), true, &s->close_ms))
            return parley_fail(err, PARLEY_EINVAL, field,
                               "each shift in %s must be [\"HH:MM\",\"HH:MM\"] (00:00 to 24:00)",
                               field);
        if (s->close_ms <= s->open_ms)
            return parley_fail(err, PARLEY_EINVAL, field,
                               "a shift in %s closes at or before it opens; a shift past "
                               "midnight is written as two, ending at \"24:00\" and starting "
                               "at \"00:00\" the next day",
                               field);
    }
    c->nshifts[wd] = (int)json_array_size(list);
    qsort(c->shifts[wd], (size_t)c->nshifts[wd], sizeof(struct shift), cmp_shift);
    for (int k = 1; k < c->nshifts[wd]; k++)
        if (c->shifts[wd][k].open_ms < c->shifts[wd][k - 1].close_ms)
            return parley_fail(err, PARLEY_EINVAL, field, "shifts in %s overlap", field);
    return 0;
}

static int parse_weekly(struct sla_calendar *c, json_t *weekly, struct parley_err *err)
{
    if (weekly != NULL && !json_is_object(weekly))
        return parley_fail(err, PARLEY_EINVAL, "weekly",
                           "weekly must be an object such as {\"mon\":[[\"09:00\",\"17:00\"]]}");
    c->always_open = weekly == NULL || json_object_size(weekly) == 0;
    if (c->always_open) {
        for (int wd = 0; wd < 7; wd++) {
            c->shifts[wd][0] = (struct shift){0, DAY_MS};
            c->nshifts[wd] = 1;
        }
        return 0;
    }
    const char *key;
    json_t *v;
    json_object_foreach(weekly, key, v)
    {
        int wd = 0;
        while (wd < 7 && strcmp(key, day_keys[wd]) != 0) wd++;
        if (wd == 7)
            return parley_fail(err, PARLEY_EINVAL, "weekly",
                               "weekly has an unknown day \"%.20s\"; use mon, tue, wed, thu, "
                               "fri, sat, sun",
                               key);
        int rc = parse_day(c, wd, v, err);
        if (rc != 0) return rc;
    }
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* "YYYY-MM-DD", a real date between 1900 and 2999. */
static bool parse_date(const char *s, int64_t *day)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-') return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return false;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1) return false;
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] || (m == 2 && d == 29 && !leap)) return false;
    *day = tz_days_from_civil(y, (unsigned)m, (unsigned)d);
    return true;
}

static int parse_holidays(struct sla_calendar *c, json_t *list, struct parley_err *err)
{
    if (list == NULL)
        list = json_array(); /* borrowed below; freed at the end */
    else
        json_incref(list);
    int rc = 0;
    if (!json_is_array(list)) {
        rc = parley_fail(err, PARLEY_EINVAL, "holidays",
                         "holidays must be a list of dates such as \"2026-12-25\"");
        goto out;
    }
    size_t n = json_array_size(list);
    if (n > SLA_CALENDAR_MAX_HOLIDAYS) {
        rc = parley_fail(err, PARLEY_EINVAL, "holidays", "holidays has more than %d dates",
                         SLA_CALENDAR_MAX_HOLIDAYS);
        goto out;
    }
    c->holidays = malloc((n + 1) * sizeof(int64_t));
    c->holiday_cum = malloc((n + 1) * sizeof(int64_t));
    if (c->holidays == NULL || c->holiday_cum == NULL) {
        rc = parley_fail(err, PARLEY_ENOMEM, "holidays", "out of memory");
        goto out;
    }
    size_t i, kept = 0;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        int64_t day;
        if (!json_is_string(v) || !parse_date(json_string_value(v), &day)) {
            rc = parley_fail(err, PARLEY_EINVAL, "holidays",
                             "holidays[%zu] must be a date \"YYYY-MM-DD\" (1900 to 2999)", i);
            goto out;
        }
        /* A holiday on a day without hours changes nothing: keep only the others. */
        if (c->nshifts[tz_weekday(day)] > 0) c->holidays[kept++] = day;
    }
    qsort(c->holidays, kept, sizeof(int64_t), cmp_i64);
    c->nholidays = 0;
    c->holiday_cum[0] = 0;
    for (i = 0; i < kept; i++) {
        if (c->nholidays > 0 && c->holidays[c->nholidays - 1] == c->holidays[i]) continue;
        int64_t day = c->holidays[i];
        c->holidays[c->nholidays] = day;
        int wd = tz_weekday(day);
        c->holiday_cum[c->nholidays + 1] =
            c->holiday_cum[c->nholidays] + c->week_prefix[wd + 1] - c->week_prefix[wd];
        c->nholidays++;
    }
out:
    json_decref(list);
    return rc;
}

/* seg_base/seg_cum: B is continuous across a transition, so each segment's base follows from
 * the previous one evaluated at the transition instant. */
static int build_segments(struct sla_calendar *c, struct parley_err *err)
{
    size_t n = c->tz->n;
    c->seg_base = malloc(n * sizeof(int64_t));
    c->seg_cum = malloc(n * sizeof(int64_t));
    if (c->seg_base == NULL || c->seg_cum == NULL)
        return parley_fail(err, PARLEY_ENOMEM, "time_zone", "out of memory");
    c->seg_base[0] = 0;
    c->seg_cum[0] = INT64_MIN;
    for (size_t k = 1; k < n; k++) {
        int64_t t = c->tz->start_ms[k];
        c->seg_cum[k] = c->seg_base[k - 1] + local_business(c, t + c->tz->offset_ms[k - 1]);
        c->seg_base[k] = c->seg_cum[k] - local_business(c, t + c->tz->offset_ms[k]);
    }
    return 0;
}

static int parse_root(struct sla_calendar *c, json_t *root, struct parley_err *err)
{
    if (!json_is_object(root))
        return parley_fail(err, PARLEY_EINVAL, NULL,
                           "the calendar must be a JSON object with time_zone, weekly, holidays");
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        if (strcmp(key, "time_zone") != 0 && strcmp(key, "weekly") != 0 &&
            strcmp(key, "holidays") != 0)
            return parley_fail(err, PARLEY_EINVAL, NULL,
                               "unknown calendar field \"%.32s\"; expected time_zone, weekly, "
                               "holidays",
                               key);
    }
    json_t *tz = json_object_get(root, "time_zone");
    if (!json_is_string(tz))
        return parley_fail(err, PARLEY_EINVAL, "time_zone",
                           "time_zone is required: an IANA name such as \"Europe/London\"");
    int rc = tz_offsets_load(json_string_value(tz), "time_zone", &c->tz, err);
    if (rc != 0) return rc;
    snprintf(c->time_zone, sizeof(c->time_zone), "%s", json_string_value(tz));
    if ((rc = parse_weekly(c, json_object_get(root, "weekly"), err)) != 0) return rc;
    c->week_prefix[0] = 0;
    for (int wd = 0; wd < 7; wd++)
        c->week_prefix[wd + 1] = c->week_prefix[wd] + within_day(c, wd, DAY_MS);
    if (c->week_prefix[7] == 0)
        return parley_fail(err, PARLEY_EINVAL, "weekly",
                           "weekly has no opening hours; give at least one shift, or an empty "
                           "object for 24x7");
    if ((rc = parse_holidays(c, json_object_get(root, "holidays"), err)) != 0) return rc;
    return build_segments(c, err);
}

int sla_calendar_parse(const char *json, size_t len, struct sla_calendar **out,
                       struct parley_err *err)
{
    *out = NULL;
    if (len > SLA_CALENDAR_MAX_JSON)
        return parley_fail(err, PARLEY_ETOOBIG, NULL, "the calendar is over %d bytes",
                           SLA_CALENDAR_MAX_JSON);
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return parley_fail(err, PARLEY_EINVAL, NULL, "the calendar is not valid JSON: %s",
                           jerr.text);
    struct sla_calendar *c = calloc(1, sizeof(*c));
    int rc = c == NULL ? parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory")
                       : parse_root(c, root, err);
    json_decref(root);
    if (rc != 0) {
        sla_calendar_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void sla_calendar_free(struct sla_calendar *c)
{
    if (c == NULL) return;
    tz_offsets_free(c->tz);
    free(c->holidays);
    free(c->holiday_cum);
    free(c->seg_base);
    free(c->seg_cum);
    free(c);
}
