/* libFuzzer target for the SLA calendar JSON parser. Beyond "no crash" it checks the parser's
 * promises: a failure is PARLEY_EINVAL or PARLEY_ETOOBIG with a message and no calendar; a
 * parsed calendar answers add/between consistently (between(s, add(s, d)) == d, add is the
 * earliest such instant) for instants spread over a century, including DST changes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "route/sla_calendar.h"

static void must(int ok)
{
    if (!ok) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sla_calendar *c = (struct sla_calendar *)&size; /* must be reset to NULL on error */
    struct parley_err err = {0};
    int rc = sla_calendar_parse((const char *)data, size, &c, &err);
    if (rc != 0) {
        must(rc == PARLEY_EINVAL || rc == PARLEY_ETOOBIG);
        must(c == NULL && err.code == rc && err.message[0] != '\0');
        return 0;
    }
    must(sla_calendar_weekly_ms(c) > 0 && sla_calendar_weekly_ms(c) <= 7 * 86400000LL);
    /* Instants and durations derived from the input bytes, so the fuzzer steers them too. */
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < size; i++) h = (h ^ data[i]) * 1099511628211ULL;
    for (int k = 0; k < 8; k++) {
        h = h * 6364136223846793005ULL + 1442695040888963407ULL;
        int64_t s = (int64_t)(h % 3155760000000ULL) + 946684800000LL; /* 2000 to 2100 */
        int64_t d = (int64_t)((h >> 20) % (90 * 86400000ULL)) + 1;
        int64_t end = sla_calendar_add(c, s, d);
        must(end > s && end <= SLA_CALENDAR_MAX_ABS_MS);
        must(sla_calendar_between(c, end, s) == 0);
        if (end == SLA_CALENDAR_MAX_ABS_MS) continue; /* saturated: a minute a week, for ages */
        must(sla_calendar_between(c, s, end) == d);
        must(sla_calendar_between(c, s, end - 1) == d - 1);
    }
    sla_calendar_free(c);
    return 0;
}
