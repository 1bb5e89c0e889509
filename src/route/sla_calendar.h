/* Business-hours calendar for SLA deadlines: weekly opening hours per weekday (split shifts
 * allowed), holidays as local dates, and an IANA time zone with exact DST handling. Used by
 * the routing service to turn "4 business hours" into a UTC deadline and back.
 *
 * Ownership: sla_calendar_parse returns a calendar the caller frees with sla_calendar_free
 * (free(NULL)-safe). A parsed calendar is immutable: any thread may call add/between on it
 * concurrently without locking. */
#ifndef PARLEY_SLA_CALENDAR_H
#define PARLEY_SLA_CALENDAR_H

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

#endif
