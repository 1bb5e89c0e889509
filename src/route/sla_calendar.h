/* Business-hours calendar for SLA deadlines: weekly opening hours per weekday (split shifts
 * allowed), holidays as local dates, and an IANA time zone with exact DST handling. Used by
 * the routing service to turn "4 business hours" into a UTC deadline and back.
 *
 * Ownership: sla_calendar_parse returns a calendar the caller frees with sla_calendar_free
 * (free(NULL)-safe). A parsed calendar is immutable: any thread may call add/between on it
 * concurrently without locking. */
#ifndef PARLEY_SLA_CALENDAR_H
#define PARLEY_SLA_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

struct sla_calendar; /* weekly hours with split shifts, holidays, IANA time zone */

/* JSON: {"time_zone":"Europe/London","weekly":{"mon":[["09:00","12:30"],["13:30","17:30"]],…},
 *        "holidays":["2026-12-25",…]}; an empty "weekly" means 24x7. */
int sla_calendar_parse(const char *json, size_t len, struct sla_calendar **out,
                       struct parley_err *err);
void sla_calendar_free(struct sla_calendar *c);
/* UTC ms at which duration_ms of business time has elapsed after start_ms. */
int64_t sla_calendar_add(const struct sla_calendar *c, int64_t start_ms, int64_t duration_ms);
/* Business ms between two UTC instants (0 when to <= from). */
int64_t sla_calendar_between(const struct sla_calendar *c, int64_t from_ms, int64_t to_ms);

/* ---- additions by the owner (wfm) ---------------------------------------------------------
 * Semantics: business time is the set of instants whose local wall-clock date is not a
 * holiday and whose wall-clock time lies in one of that weekday's shifts [open, close).
 * At a fall-back the repeated wall-clock hour counts twice when it is open; at a
 * spring-forward the skipped hour does not exist and counts zero. Shifts may not cross
 * midnight: write "22:00"-"24:00" on one day and "00:00"-"06:00" on the next. A missing or
 * empty "weekly" is 24x7 (holidays still close whole days). Instants are clamped to
 * +-SLA_CALENDAR_MAX_ABS_MS (years 1413 to 2527; add() saturates there too) and durations to
 * SLA_CALENDAR_MAX_SPAN_MS. */
#define SLA_CALENDAR_MAX_JSON     65536 /* bytes of JSON accepted by sla_calendar_parse */
#define SLA_CALENDAR_MAX_SHIFTS   8     /* shifts per weekday */
#define SLA_CALENDAR_MAX_HOLIDAYS 1000
#define SLA_CALENDAR_MAX_ABS_MS   (1LL << 44)
#define SLA_CALENDAR_MAX_SPAN_MS  (1LL << 44)

/* Whether the instant lies in business hours. */
bool sla_calendar_is_open(const struct sla_calendar *c, int64_t t_ms);
/* The calendar's IANA zone name (owned by the calendar). */
const char *sla_calendar_time_zone(const struct sla_calendar *c);
/* Business ms in a regular week (no holidays, no DST change): 604800000 for 24x7. */
int64_t sla_calendar_weekly_ms(const struct sla_calendar *c);

#endif
