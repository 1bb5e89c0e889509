/* Builds a zone's offset table from ICU (ucal_getTimeZoneTransitionDate walks the real
 * transitions of the tz database shipped with ICU) and answers lookups by binary search, so the
 * hot paths never touch ICU, glibc's TZ or any lock. */
#include "tz_offsets.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

#define ZONE_NAME_MAX 64

/* Days since 1970-01-01 of a proleptic Gregorian date. Counts in 400-year eras (146097 days),
 * with years starting on 1 March so the leap day is the last day of its year. */
int64_t tz_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = tz_floor_div(y, 400);
    int64_t year_of_era = y - era * 400;
    int64_t day_of_year = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

void tz_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    days += 719468;
    int64_t era = tz_floor_div(days, 146097);
    int64_t day_of_era = days - era * 146097;
    int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t mp = (5 * day_of_year + 2) / 153;
    *d = (unsigned)(day_of_year - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = year_of_era + era * 400 + (*m <= 2);
}

static int32_t icu_offset(UCalendar *cal, UErrorCode *st)
{
    return ucal_get(cal, UCAL_ZONE_OFFSET, st) + ucal_get(cal, UCAL_DST_OFFSET, st);
}

static int grow(struct tz_offsets *z, size_t *cap)
{
    if (z->n < *cap) return 0;
    size_t ncap = *cap * 2;
    int64_t *s = realloc(z->start_ms, ncap * sizeof(*s));
    if (s == NULL) return PARLEY_ENOMEM;
    z->start_ms = s;
    int32_t *o = realloc(z->offset_ms, ncap * sizeof(*o));
    if (o == NULL) return PARLEY_ENOMEM;
    z->offset_ms = o;
    *cap = ncap;
    return 0;
}

static void destroy_table(struct tz_offsets *z)
{
    if (z == NULL) return;
    free(z->start_ms);
    free(z->offset_ms);
    free(z);
}

static int build_table(const char *zone, const char *field, struct tz_offsets **out,
                       struct parley_err *err)
{
    *out = NULL;
    size_t len = zone != NULL ? strlen(zone) : 0;
    if (len == 0 || len >= ZONE_NAME_MAX)
        return parley_fail(err, PARLEY_EINVAL, field,
                           "%s must be an IANA time zone such as \"Europe/London\"", field);
    UChar uzone[ZONE_NAME_MAX], canonical[ZONE_NAME_MAX];
    u_uastrncpy(uzone, zone, ZONE_NAME_MAX);
    UErrorCode st = U_ZERO_ERROR;
    UBool system_id = 0;
    /* Unknown names are an error here; ucal_open would silently fall back to GMT. */
    ucal_getCanonicalTimeZoneID(uzone, -1, canonical, ZONE_NAME_MAX, &system_id, &st);
    if (U_FAILURE(st) || !system_id)
        return parley_fail(err, PARLEY_EINVAL, field,
                           "%s \"%s\" is not a known IANA time zone (for example "
                           "\"Europe/London\" or \"America/New_York\")",
                           field, zone);
    UCalendar *cal = ucal_open(uzone, -1, "en_US_POSIX", UCAL_GREGORIAN, &st);
    if (U_FAILURE(st)) return parley_fail(err, PARLEY_EIO, field, "ICU could not open %s", zone);

    struct tz_offsets *z = calloc(1, sizeof(*z));
    size_t cap = 64;
    int rc = PARLEY_ENOMEM;
    if (z == NULL) goto fail;
    z->start_ms = malloc(cap * sizeof(*z->start_ms));
    z->offset_ms = malloc(cap * sizeof(*z->offset_ms));
    if (z->start_ms == NULL || z->offset_ms == NULL) goto fail;

    ucal_setMillis(cal, (UDate)TZ_OFFSETS_FROM_MS, &st);
    z->start_ms[0] = INT64_MIN;
    z->offset_ms[0] = icu_offset(cal, &st);
    z->n = 1;
    for (;;) {
        UDate next = 0;
        if (!ucal_getTimeZoneTransitionDate(cal, UCAL_TZ_TRANSITION_NEXT, &next, &st) ||
            U_FAILURE(st) || next >= (UDate)TZ_OFFSETS_TO_MS)
            break;
        ucal_setMillis(cal, next, &st);
        int32_t off = icu_offset(cal, &st);
        if (U_FAILURE(st)) break;
        if (off == z->offset_ms[z->n - 1]) continue; /* a rename (abbreviation) only */
        if ((rc = grow(z, &cap)) != 0) goto fail;
        z->start_ms[z->n] = (int64_t)next;
        z->offset_ms[z->n] = off;
        z->n++;
    }
    if (U_FAILURE(st)) {
        rc = parley_fail(err, PARLEY_EIO, field, "ICU failed reading the transitions of %s: %s",
                         zone, u_errorName(st));
        goto fail_quiet;
    }
    ucal_close(cal);
    *out = z;
    return 0;
fail:
    rc = parley_fail(err, rc, field, "out of memory loading time zone %s", zone);
fail_quiet:
    ucal_close(cal);
    destroy_table(z);
    return rc;
}

/* Interned tables, one per zone name asked for, for the life of the process: building one
 * walks ICU for a millisecond or two, and every tenant calendar in Europe/London can share
 * the same immutable table. Only names ICU knows get in, so the list is bounded by ICU's
 * zone list (about 600 names, a few KB each). */
struct interned {
    char name[ZONE_NAME_MAX];
    struct tz_offsets *table;
    struct interned *next;
};
static pthread_mutex_t interned_mu = PTHREAD_MUTEX_INITIALIZER;
static struct interned *interned_head;

int tz_offsets_load(const char *zone, const char *field, struct tz_offsets **out,
                    struct parley_err *err)
{
    *out = NULL;
    if (zone == NULL || strlen(zone) >= ZONE_NAME_MAX) return build_table(zone, field, out, err);
    pthread_mutex_lock(&interned_mu);
    for (struct interned *e = interned_head; e != NULL; e = e->next)
        if (strcmp(e->name, zone) == 0) {
            *out = e->table;
            pthread_mutex_unlock(&interned_mu);
            return 0;
        }
    /* Built under the lock: a zone is built once even when many threads ask at once. */
    struct tz_offsets *z = NULL;
    int rc = build_table(zone, field, &z, err);
    struct interned *e = rc == 0 ? calloc(1, sizeof(*e)) : NULL;
    if (rc == 0 && e == NULL) {
        destroy_table(z);
        rc = parley_fail(err, PARLEY_ENOMEM, field, "out of memory loading time zone %s", zone);
    }
    if (rc == 0) {
        memcpy(e->name, zone, strlen(zone) + 1);
        e->table = z;
        e->next = interned_head;
        interned_head = e;
        *out = z;
    }
    pthread_mutex_unlock(&interned_mu);
    return rc;
}

void tz_offsets_free(struct tz_offsets *z)
{
    (void)z; /* interned: shared and kept for the life of the process */
}

size_t tz_offsets_segment(const struct tz_offsets *z, int64_t t_ms)
{
    size_t lo = 0, hi = z->n; /* start_ms[lo] <= t < start_ms[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->start_ms[mid] <= t_ms)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

int32_t tz_offsets_at(const struct tz_offsets *z, int64_t t_ms)
{
    return z->offset_ms[tz_offsets_segment(z, t_ms)];
}
