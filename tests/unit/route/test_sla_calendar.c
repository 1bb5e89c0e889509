/* Unit tests for the SLA business-hours calendar: split shifts, weekends, holidays, DST in
 * Europe/London and America/New_York, 24x7, spans of weeks, and randomised checks against an
 * independent oracle (glibc's localtime_r over the system tzdata, stepping minute by minute —
 * fine here because the test is single-threaded; the calendar itself never touches TZ). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "route/sla_calendar.h"
#include "route/tz_offsets.h"

#define MIN_MS  60000LL
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS  (24 * HOUR_MS)

static int64_t utc(int y, int mo, int d, int h, int mi)
{
    return tz_days_from_civil(y, (unsigned)mo, (unsigned)d) * DAY_MS + h * HOUR_MS + mi * MIN_MS;
}

static struct sla_calendar *cal(const char *json)
{
    struct sla_calendar *c = NULL;
    struct parley_err err = {0};
    int rc = sla_calendar_parse(json, strlen(json), &c, &err);
    if (rc != 0) fail_msg("parse failed: %s (%s)", err.message, err.field);
    return c;
}

static const char office_london[] =
    "{\"time_zone\":\"Europe/London\",\"weekly\":{\"mon\":[[\"09:00\",\"17:00\"]],"
    "\"tue\":[[\"09:00\",\"17:00\"]],\"wed\":[[\"09:00\",\"17:00\"]],\"thu\":[[\"09:00\","
    "\"17:00\"]],\"fri\":[[\"09:00\",\"17:00\"]]},\"holidays\":[\"2026-12-25\",\"2026-12-28\"]}";

static void weekdays_weekends_and_holidays(void **state)
{
    struct sla_calendar *c = cal(office_london);
    /* Mon 2 Mar 2026 15:00 (GMT) + 4 business hours: 2h Monday, 2h Tuesday. */
    assert_int_equal(sla_calendar_add(c, utc(2026, 3, 2, 15, 0), 4 * HOUR_MS),
                     utc(2026, 3, 3, 11, 0));
    assert_int_equal(sla_calendar_between(c, utc(2026, 3, 2, 15, 0), utc(2026, 3, 3, 11, 0)),
                     4 * HOUR_MS);
    /* Friday 16:00 + 2h skips the weekend. */
    assert_int_equal(sla_calendar_add(c, utc(2026, 3, 6, 16, 0), 2 * HOUR_MS),
                     utc(2026, 3, 9, 10, 0));
    assert_int_equal(sla_calendar_between(c, utc(2026, 3, 7, 0, 0), utc(2026, 3, 9, 0, 0)), 0);
    /* Thu 24 Dec + 2h: Fri 25 and Mon 28 are holidays, so Tuesday 29 at 10:00. */
    assert_int_equal(sla_calendar_add(c, utc(2026, 12, 24, 16, 0), 2 * HOUR_MS),
                     utc(2026, 12, 29, 10, 0));
    assert_int_equal(sla_calendar_between(c, utc(2026, 12, 24, 9, 0), utc(2026, 12, 30, 9, 0)),
                     16 * HOUR_MS);
    /* Starting outside hours counts from the next opening; zero and negative are no-ops. */
    assert_int_equal(sla_calendar_add(c, utc(2026, 3, 2, 6, 0), 30 * MIN_MS),
                     utc(2026, 3, 2, 9, 30));
    assert_int_equal(sla_calendar_add(c, utc(2026, 3, 2, 6, 0), 0), utc(2026, 3, 2, 6, 0));
    assert_int_equal(sla_calendar_add(c, utc(2026, 3, 2, 6, 0), -5), utc(2026, 3, 2, 6, 0));
    assert_int_equal(sla_calendar_between(c, utc(2026, 3, 3, 0, 0), utc(2026, 3, 2, 0, 0)), 0);
    assert_true(sla_calendar_is_open(c, utc(2026, 3, 2, 9, 0)));
    assert_false(sla_calendar_is_open(c, utc(2026, 3, 2, 17, 0)));
    assert_false(sla_calendar_is_open(c, utc(2026, 12, 25, 12, 0)));
    assert_int_equal(sla_calendar_weekly_ms(c), 40 * HOUR_MS);
    assert_string_equal(sla_calendar_time_zone(c), "Europe/London");
    sla_calendar_free(c);
}

static void split_shifts_skip_the_lunch_break(void **state)
{
    struct sla_calendar *c = cal("{\"time_zone\":\"Europe/London\",\"weekly\":{\"mon\":"
                                 "[[\"13:30\",\"17:30\"],[\"09:00\",\"12:30\"]]}}");
    /* 10:00 + 4h: 2h30 to 12:30, lunch, 1h30 more from 13:30. (Shifts given out of order.) */
    assert_int_equal(sla_calendar_add(c, utc(2026, 1, 5, 10, 0), 4 * HOUR_MS),
                     utc(2026, 1, 5, 15, 0));
    assert_int_equal(sla_calendar_between(c, utc(2026, 1, 5, 12, 0), utc(2026, 1, 5, 14, 0)),
                     HOUR_MS);
    assert_int_equal(sla_calendar_add(c, utc(2026, 1, 5, 12, 45), MIN_MS), utc(2026, 1, 5, 13, 31));
    /* The budget running out exactly at 12:30 gives 12:30, not 13:30. */
    assert_int_equal(sla_calendar_add(c, utc(2026, 1, 5, 12, 0), 30 * MIN_MS),
                     utc(2026, 1, 5, 12, 30));
    /* Only Mondays: 7.5h a week, so 8h from Monday 09:00 ends next Monday at 09:30. */
    assert_int_equal(sla_calendar_add(c, utc(2026, 1, 5, 9, 0), 8 * HOUR_MS),
                     utc(2026, 1, 12, 9, 30));
    sla_calendar_free(c);
}

static void midnight_crossing_is_written_as_two_shifts(void **state)
{
    struct sla_calendar *c = NULL;
    struct parley_err err = {0};
    const char *bad = "{\"time_zone\":\"UTC\",\"weekly\":{\"mon\":[[\"22:00\",\"06:00\"]]}}";
    assert_int_equal(sla_calendar_parse(bad, strlen(bad), &c, &err), PARLEY_EINVAL);
    assert_string_equal(err.field, "weekly.mon");
    assert_non_null(strstr(err.message, "24:00"));
    c = cal("{\"time_zone\":\"UTC\",\"weekly\":{\"mon\":[[\"22:00\",\"24:00\"]],"
            "\"tue\":[[\"00:00\",\"06:00\"]]}}");
    assert_int_equal(sla_calendar_add(c, utc(2026, 1, 5, 23, 0), 2 * HOUR_MS),
                     utc(2026, 1, 6, 1, 0));
    assert_int_equal(sla_calendar_between(c, utc(2026, 1, 5, 0, 0), utc(2026, 1, 7, 0, 0)),
                     8 * HOUR_MS);
    sla_calendar_free(c);
}

static void london_dst_spring_forward_and_fall_back(void **state)
{
    struct sla_calendar *c = cal(office_london);
    /* Fri 27 Mar 16:00 GMT + 2h: Monday 30 Mar 10:00 BST is 09:00 UTC. */
    assert_int_equal(sla_calendar_add(c, utc(2026, 3, 27, 16, 0), 2 * HOUR_MS),
                     utc(2026, 3, 30, 9, 0));
    /* Fri 23 Oct 16:00 BST (15:00 UTC) + 2h: Monday 26 Oct 10:00 GMT. */
    assert_int_equal(sla_calendar_add(c, utc(2026, 10, 23, 15, 0), 2 * HOUR_MS),
                     utc(2026, 10, 26, 10, 0));
    sla_calendar_free(c);

    /* Sunday 00:00-03:00 local: 29 Mar loses the hour 01:00-02:00, 25 Oct repeats 01:00-02:00. */
    c = cal("{\"time_zone\":\"Europe/London\",\"weekly\":{\"sun\":[[\"00:00\",\"03:00\"]]}}");
    assert_int_equal(sla_calendar_between(c, utc(2026, 3, 28, 12, 0), utc(2026, 3, 30, 0, 0)),
                     2 * HOUR_MS);
    assert_int_equal(sla_calendar_between(c, utc(2026, 10, 24, 12, 0), utc(2026, 10, 26, 0, 0)),
                     4 * HOUR_MS);
    /* 00:00 BST is 23:00 UTC on Saturday; 3h30 of the 4h ends at 02:30 UTC (02:30 GMT). */
    assert_int_equal(sla_calendar_add(c, utc(2026, 10, 24, 12, 0), 3 * HOUR_MS + 30 * MIN_MS),
                     utc(2026, 10, 25, 2, 30));
    assert_true(sla_calendar_is_open(c, utc(2026, 10, 25, 0, 30))); /* 01:30 BST */
    assert_true(sla_calendar_is_open(c, utc(2026, 10, 25, 1, 30))); /* 01:30 GMT */
    assert_false(sla_calendar_is_open(c, utc(2026, 10, 25, 3, 0))); /* 03:00 GMT */
    assert_true(sla_calendar_is_open(c, utc(2026, 3, 29, 0, 59)));  /* 00:59 GMT */
    assert_true(sla_calendar_is_open(c, utc(2026, 3, 29, 1, 0)));   /* 02:00 BST */
    assert_false(sla_calendar_is_open(c, utc(2026, 3, 29, 2, 0)));  /* 03:00 BST */
    sla_calendar_free(c);
}

static void new_york_dst_spring_forward_and_fall_back(void **state)
{
    struct sla_calendar *c = cal("{\"time_zone\":\"America/New_York\",\"weekly\":{"
                                 "\"fri\":[[\"09:00\",\"17:00\"]],\"mon\":[[\"09:00\",\"17:00\"]],"
                                 "\"sun\":[[\"01:00\",\"04:00\"]]}}");
    /* Sun 8 Mar 2026: 02:00 EST jumps to 03:00 EDT, so 01:00-04:00 holds 2 hours:
     * 01:00 EST = 06:00 UTC to 04:00 EDT = 08:00 UTC. */
    assert_int_equal(sla_calendar_between(c, utc(2026, 3, 7, 12, 0), utc(2026, 3, 8, 23, 0)),
                     2 * HOUR_MS);
    assert_int_equal(sla_calendar_add(c, utc(2026, 3, 7, 12, 0), 90 * MIN_MS),
                     utc(2026, 3, 8, 7, 30));
    /* Sun 1 Nov: 02:00 EDT falls back to 01:00 EST; 01:00-04:00 holds 4 hours. */
    assert_int_equal(sla_calendar_between(c, utc(2026, 10, 31, 12, 0), utc(2026, 11, 1, 23, 0)),
                     4 * HOUR_MS);
    /* Fri 30 Oct 16:00 EDT (20:00 UTC) + 6h: 1h on Friday, the 4h of Sunday, then Monday
     * 09:00-10:00 EST, which is 15:00 UTC. */
    assert_int_equal(sla_calendar_add(c, utc(2026, 10, 30, 20, 0), 6 * HOUR_MS),
                     utc(2026, 11, 2, 15, 0));
    sla_calendar_free(c);

    /* A shift opening inside the gap opens when the gap ends: 02:30-05:00 on 8 Mar is
     * 03:00 EDT (07:00 UTC) to 05:00 EDT (09:00 UTC). */
    c = cal("{\"time_zone\":\"America/New_York\",\"weekly\":{\"sun\":[[\"02:30\",\"05:00\"]]}}");
    assert_int_equal(sla_calendar_between(c, utc(2026, 3, 8, 0, 0), utc(2026, 3, 9, 0, 0)),
                     2 * HOUR_MS);
    assert_int_equal(sla_calendar_add(c, utc(2026, 3, 8, 0, 0), MIN_MS), utc(2026, 3, 8, 7, 1));
    sla_calendar_free(c);
}

static void always_open_and_spans_of_weeks(void **state)
{
    struct sla_calendar *c = cal("{\"time_zone\":\"America/New_York\",\"weekly\":{}}");
    int64_t a = utc(2026, 3, 7, 17, 0), b = utc(2026, 11, 2, 3, 17);
    assert_int_equal(sla_calendar_between(c, a, b), b - a);
    assert_int_equal(sla_calendar_add(c, a, b - a), b);
    assert_int_equal(sla_calendar_weekly_ms(c), 7 * DAY_MS);
    sla_calendar_free(c);
    c = cal("{\"time_zone\":\"Europe/London\"}"); /* no "weekly" at all: 24x7 too */
    assert_int_equal(sla_calendar_between(c, a, b), b - a);
    sla_calendar_free(c);

    /* 40h weeks: 200h from Mon 2 Mar 09:00 GMT ends Fri 3 Apr 17:00 BST (16:00 UTC), five
     * weeks later across the spring change; the five full weeks to Mon 6 Apr hold 200h. */
    c = cal(office_london);
    assert_int_equal(sla_calendar_add(c, utc(2026, 3, 2, 9, 0), 200 * HOUR_MS),
                     utc(2026, 4, 3, 16, 0));
    assert_int_equal(sla_calendar_between(c, utc(2026, 3, 2, 9, 0), utc(2026, 4, 6, 8, 0)),
                     200 * HOUR_MS);
    /* Ten years of office hours, with the clock changes of each year. */
    int64_t from = utc(2020, 1, 6, 9, 0), ten = sla_calendar_add(c, from, 520 * 40 * HOUR_MS);
    assert_int_equal(sla_calendar_between(c, from, ten), 520 * 40 * HOUR_MS);
    assert_true(ten > utc(2029, 12, 20, 0, 0) && ten < utc(2030, 1, 10, 0, 0));
    sla_calendar_free(c);
}

static void bad_calendars_name_the_field(void **state)
{
    static const struct {
        const char *json, *field;
    } cases[] = {
        {"{\"time_zone\":\"Mars/Olympus\"}", "time_zone"},
        {"{\"weekly\":{}}", "time_zone"},
        {"{\"time_zone\":\"UTC\",\"weekly\":{\"mon\":[[\"09:00\",\"12:00\"],[\"11:00\","
         "\"13:00\"]]}}",
         "weekly.mon"},
        {"{\"time_zone\":\"UTC\",\"weekly\":{\"mon\":[[\"9:00\",\"12:00\"]]}}", "weekly.mon"},
        {"{\"time_zone\":\"UTC\",\"weekly\":{\"mon\":[[\"09:00\",\"24:01\"]]}}", "weekly.mon"},
        {"{\"time_zone\":\"UTC\",\"weekly\":{\"mon\":[[\"24:00\",\"24:00\"]]}}", "weekly.mon"},
        {"{\"time_zone\":\"UTC\",\"weekly\":{\"monday\":[]}}", "weekly"},
        {"{\"time_zone\":\"UTC\",\"weekly\":{\"mon\":[]}}", "weekly"},
        {"{\"time_zone\":\"UTC\",\"holidays\":[\"2026-02-29\"]}", "holidays"},
        {"{\"time_zone\":\"UTC\",\"holidays\":\"2026-12-25\"}", "holidays"},
        {"{\"time_zone\":\"UTC\",\"colour\":1}", ""},
        {"[1]", ""},
        {"{\"time_zone\":\"UTC\",", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sla_calendar *c = (struct sla_calendar *)1;
        struct parley_err err = {0};
        int rc = sla_calendar_parse(cases[i].json, strlen(cases[i].json), &c, &err);
        if (rc != PARLEY_EINVAL) fail_msg("case %zu: rc %d", i, rc);
        assert_null(c);
        assert_string_equal(err.field, cases[i].field);
        assert_true(err.message[0] != '\0');
    }
    char big[SLA_CALENDAR_MAX_JSON + 2];
    memset(big, ' ', sizeof(big));
    struct sla_calendar *c = NULL;
    assert_int_equal(sla_calendar_parse(big, sizeof(big), &c, NULL), PARLEY_ETOOBIG);
    sla_calendar_free(NULL);
}

/* ---- randomised checks against glibc's zone data -------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void) /* xorshift64*: fixed seed, reproducible */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}
static int64_t rnd_range(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rnd() % (uint64_t)(hi - lo));
}

struct oracle {
    int nshifts[7];
    int open_min[7][3], close_min[7][3];
    int64_t holidays[4];
};

/* A random calendar on a 15-minute grid, as JSON and as an oracle description. */
static void random_calendar(struct oracle *o, const char *zone, char *json, size_t cap)
{
    static const char *const days[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    size_t n = (size_t)snprintf(json, cap, "{\"time_zone\":\"%s\",\"weekly\":{", zone);
    bool first = true;
    for (int wd = 0; wd < 7; wd++) {
        o->nshifts[wd] = wd == 0 ? 1 + (int)(rnd() % 3) : (int)(rnd() % 4);
        if (o->nshifts[wd] == 3) o->nshifts[wd] = (int)(rnd() % 2); /* fewer empty days */
        int t = 0;
        for (int i = 0; i < o->nshifts[wd]; i++) {
            int open = t + (int)(rnd() % 24) * 15, close = open + 15 + (int)(rnd() % 32) * 15;
            if (close > 1440) close = 1440;
            if (open >= close) {
                o->nshifts[wd] = i;
                break;
            }
            o->open_min[wd][i] = open;
            o->close_min[wd][i] = close;
            t = close + 15;
        }
        if (o->nshifts[wd] == 0) continue;
        n += (size_t)snprintf(json + n, cap - n, "%s\"%s\":[", first ? "" : ",", days[wd]);
        first = false;
        for (int i = 0; i < o->nshifts[wd]; i++)
            n += (size_t)snprintf(json + n, cap - n, "%s[\"%02d:%02d\",\"%02d:%02d\"]",
                                  i ? "," : "", o->open_min[wd][i] / 60, o->open_min[wd][i] % 60,
                                  o->close_min[wd][i] / 60, o->close_min[wd][i] % 60);
        n += (size_t)snprintf(json + n, cap - n, "]");
    }
    n += (size_t)snprintf(json + n, cap - n, "},\"holidays\":[");
    for (int i = 0; i < 4; i++) {
        o->holidays[i] =
            tz_days_from_civil(2026, 1 + (unsigned)(rnd() % 12), 1 + (unsigned)(rnd() % 28));
        int64_t y;
        unsigned m, d;
        tz_civil_from_days(o->holidays[i], &y, &m, &d);
        n += (size_t)snprintf(json + n, cap - n, "%s\"%04lld-%02u-%02u\"", i ? "," : "",
                              (long long)y, m, d);
    }
    snprintf(json + n, cap - n, "]}");
}

static bool oracle_open(const struct oracle *o, int64_t t_ms)
{
    time_t s = (time_t)(t_ms / 1000);
    struct tm tm;
    localtime_r(&s, &tm);
    int64_t day =
        tz_days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday);
    for (int i = 0; i < 4; i++)
        if (o->holidays[i] == day) return false;
    int wd = (tm.tm_wday + 6) % 7, min = tm.tm_hour * 60 + tm.tm_min;
    for (int i = 0; i < o->nshifts[wd]; i++)
        if (min >= o->open_min[wd][i] && min < o->close_min[wd][i]) return true;
    return false;
}

static void randomised_against_glibc_and_round_trips(void **state)
{
    static const char *const zones[] = {"Europe/London",    "America/New_York",
                                        "Australia/Sydney", "Australia/Lord_Howe",
                                        "Asia/Kolkata",     "America/Santiago"};
    char json[2048];
    for (int round = 0; round < 36; round++) {
        const char *zone = zones[round % 6];
        struct oracle o;
        random_calendar(&o, zone, json, sizeof(json));
        struct sla_calendar *c = cal(json);
        setenv("TZ", zone, 1);
        tzset();
        /* between() over a 10-day window, compared minute by minute with the oracle. Windows
         * are placed at random in 2026, often straddling a DST change. */
        int64_t from =
            utc(2026, 1, 1, 0, 0) + rnd_range(0, 355) * DAY_MS + rnd_range(0, 1440) * MIN_MS;
        int64_t to = from + rnd_range(1, 10 * 1440) * MIN_MS, expect = 0;
        for (int64_t t = from; t < to; t += MIN_MS) {
            bool open = oracle_open(&o, t);
            expect += open ? MIN_MS : 0;
            if (t % (37 * MIN_MS) == 0 && open != sla_calendar_is_open(c, t))
                fail_msg("%s: is_open disagrees at %lld for %s", zone, (long long)t, json);
        }
        if (sla_calendar_between(c, from, to) != expect)
            fail_msg("%s: between %lld..%lld = %lld, oracle %lld, calendar %s", zone,
                     (long long)from, (long long)to, (long long)sla_calendar_between(c, from, to),
                     (long long)expect, json);
        /* between(s, add(s, d)) == d, and add gives the earliest such instant. */
        for (int k = 0; k < 200; k++) {
            int64_t s = utc(2025, 6, 1, 0, 0) + rnd_range(0, (int64_t)600 * DAY_MS);
            int64_t d = rnd_range(1, (int64_t)60 * DAY_MS);
            int64_t end = sla_calendar_add(c, s, d);
            assert_true(end > s);
            if (sla_calendar_between(c, s, end) != d ||
                sla_calendar_between(c, s, end - 1) != d - 1)
                fail_msg("%s: add(%lld,%lld)=%lld round trip fails", zone, (long long)s,
                         (long long)d, (long long)end);
        }
        sla_calendar_free(c);
    }
    unsetenv("TZ");
}

/* ---- threads: calendars parsed and used concurrently ------------------------------------ */

static const char *const thread_zones[4] = {"Asia/Tokyo", "America/Chicago", "Europe/Paris",
                                            "Australia/Adelaide"};
#define THREAD_SAMPLES 500

struct thread_job {
    int first; /* zone to start with, so threads race to build the same tables */
    int64_t results[4][THREAD_SAMPLES];
    int failures;
};

static int64_t sample(const struct sla_calendar *c, int k)
{
    int64_t s = utc(2026, 1, 1, 0, 0) + (int64_t)k * 7919 * MIN_MS;
    return sla_calendar_add(c, s, (int64_t)(k % 97) * 37 * MIN_MS + 1) +
           sla_calendar_between(c, s, s + (int64_t)(k % 13) * DAY_MS);
}

static void run_zone(const char *zone, int64_t *out, int *failures)
{
    char json[256];
    snprintf(json, sizeof(json),
             "{\"time_zone\":\"%s\",\"weekly\":{\"mon\":[[\"08:00\",\"12:00\"],[\"13:00\","
             "\"18:00\"]],\"sat\":[[\"00:00\",\"03:00\"]]},\"holidays\":[\"2026-05-04\"]}",
             zone);
    struct sla_calendar *c = NULL;
    if (sla_calendar_parse(json, strlen(json), &c, NULL) != 0) {
        (*failures)++;
        return;
    }
    for (int k = 0; k < THREAD_SAMPLES; k++) out[k] = sample(c, k);
    sla_calendar_free(c);
}

static void *thread_main(void *arg)
{
    struct thread_job *j = arg;
    for (int i = 0; i < 4; i++) {
        int z = (j->first + i) % 4;
        run_zone(thread_zones[z], j->results[z], &j->failures);
    }
    return NULL;
}

static void concurrent_parses_share_zone_tables_and_agree(void **state)
{
    static struct thread_job jobs[4];
    pthread_t th[4];
    for (int t = 0; t < 4; t++) {
        jobs[t].first = t % 2; /* two threads start on each of two zones */
        assert_int_equal(pthread_create(&th[t], NULL, thread_main, &jobs[t]), 0);
    }
    for (int t = 0; t < 4; t++) assert_int_equal(pthread_join(th[t], NULL), 0);
    static int64_t reference[THREAD_SAMPLES];
    int failures = 0;
    for (int z = 0; z < 4; z++) {
        run_zone(thread_zones[z], reference, &failures);
        for (int t = 0; t < 4; t++)
            if (memcmp(jobs[t].results[z], reference, sizeof(reference)) != 0)
                fail_msg("thread %d disagrees on %s", t, thread_zones[z]);
    }
    for (int t = 0; t < 4; t++) failures += jobs[t].failures;
    assert_int_equal(failures, 0);
    /* One table per zone, shared. */
    struct tz_offsets *a = NULL, *b = NULL;
    assert_int_equal(tz_offsets_load("Europe/Paris", "tz", &a, NULL), 0);
    assert_int_equal(tz_offsets_load("Europe/Paris", "tz", &b, NULL), 0);
    assert_ptr_equal(a, b);
    tz_offsets_free(a);
    tz_offsets_free(b);
    assert_int_equal(tz_offsets_load("Nowhere/Else", "tz", &a, NULL), PARLEY_EINVAL);
    assert_null(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(weekdays_weekends_and_holidays),
        cmocka_unit_test(split_shifts_skip_the_lunch_break),
        cmocka_unit_test(midnight_crossing_is_written_as_two_shifts),
        cmocka_unit_test(london_dst_spring_forward_and_fall_back),
        cmocka_unit_test(new_york_dst_spring_forward_and_fall_back),
        cmocka_unit_test(always_open_and_spans_of_weeks),
        cmocka_unit_test(bad_calendars_name_the_field),
        cmocka_unit_test(randomised_against_glibc_and_round_trips),
        cmocka_unit_test(concurrent_parses_share_zone_tables_and_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
