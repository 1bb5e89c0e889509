/* UTC offsets of an IANA time zone as an immutable table of transitions, built once from ICU's
 * zone data so that later lookups are a binary search with no shared mutable state (glibc's
 * TZ/localtime is process-global; an ICU UCalendar is not safe to share between threads).
 *
 * Ownership: tables are interned per zone name and live as long as the process (the first
 * load of a zone builds it, later loads of the same name return the same table);
 * tz_offsets_free is a no-op kept so callers pair loads and frees. Any thread may load and
 * read. */
#ifndef PARLEY_TZ_OFFSETS_H
#define PARLEY_TZ_OFFSETS_H

#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

/* Transitions are read for [TZ_OFFSETS_FROM_MS, TZ_OFFSETS_TO_MS) (1970 to 2200): before it
 * the 1970 offset applies, after it the last one. */
#define TZ_OFFSETS_FROM_MS 0LL
#define TZ_OFFSETS_TO_MS   7258118400000LL /* 2200-01-01T00:00:00Z */

struct tz_offsets {
    size_t n;           /* number of segments, >= 1 */
    int64_t *start_ms;  /* start_ms[0] is INT64_MIN; start_ms[i] is the i-th transition (UTC) */
    int32_t *offset_ms; /* local = utc + offset_ms[i] within segment i */
};

/* Loads the zone (an IANA name such as "Europe/London"; "UTC" works). PARLEY_EINVAL with
 * err->field = field when the name is unknown, PARLEY_ENOMEM on allocation failure. */
int tz_offsets_load(const char *zone, const char *field, struct tz_offsets **out,
                    struct parley_err *err);
void tz_offsets_free(struct tz_offsets *z);
/* Index of the segment holding the UTC instant t_ms. */
size_t tz_offsets_segment(const struct tz_offsets *z, int64_t t_ms);
/* UTC offset in ms at the UTC instant t_ms. */
int32_t tz_offsets_at(const struct tz_offsets *z, int64_t t_ms);

/* Civil-date arithmetic on the proleptic Gregorian calendar (days since 1970-01-01). */
int64_t tz_days_from_civil(int64_t y, unsigned m, unsigned d);
void tz_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* Floor division (rounds toward minus infinity), b > 0. Inline: the calendar's hot paths. */
static inline int64_t tz_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}
/* Weekday of a day number, Monday = 0 … Sunday = 6 (1970-01-01 was a Thursday). */
static inline int tz_weekday(int64_t days)
{
    int64_t w = (days + 3) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

#endif
