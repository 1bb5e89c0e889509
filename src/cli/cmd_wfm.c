/* Workforce management from the shell: `parley wfm staff` (how many advisers a queue needs,
 * Erlang C or Erlang A) and `parley wfm forecast` (volume per 30-minute interval from the
 * tenant's history, with the staffing it implies). The maths is in src/route/wfm_*.c. */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "../route/wfm_erlang.h"
#include "../route/wfm_plan.h"

#define N_FLAGS(f) (sizeof(f) / sizeof((f)[0]))

/* A number from a flag: the whole value must parse and lie in [lo, hi]. */
static int flag_number(const char *flag, const char *value, double lo, double hi, double *out)
{
    char *end = NULL;
    double v = strtod(value, &end);
    if (end == value || *end != '\0' || !(v >= lo && v <= hi)) {
        cli_error("--%s: '%s' is not a number from %g to %g", flag, value, lo, hi);
        return CLI_USAGE;
    }
    *out = v;
    return CLI_OK;
}

static const char *model_name(const struct wfm_queue *q)
{
    return q->patience_s > 0 ? "Erlang A: callers abandon after an exponential patience"
                             : "Erlang C: callers wait, nobody abandons";
}

static void print_staffing(const struct wfm_queue *q, const struct wfm_target *t,
                           const struct wfm_result *r, double shrinkage, int scheduled)
{
    printf("Traffic: %.1f contacts/hour x %.0f s = %.2f Erlangs (%s).\n", q->calls_per_hour,
           q->aht_s, r->traffic, model_name(q));
    if (q->patience_s > 0) printf("Mean patience: %.0f s.\n", q->patience_s);
    if (q->concurrency > 1)
        printf("Chat concurrency %d: each adviser is %d parallel slots; %d advisers give %d "
               "slots.\n",
               q->concurrency, q->concurrency, r->agents, r->servers);
    printf("Target: %.1f%% answered within %.0f s.\n", t->service_level * 100, t->answer_s);
    printf("With %d agents: %.1f%% answered within %.0f s, %.1f%% wait at all, average speed "
           "of answer %.1f s, occupancy %.1f%%",
           r->agents, r->service_level * 100, t->answer_s, r->p_wait * 100, r->asa_s,
           r->occupancy * 100);
    if (q->patience_s > 0) printf(", %.1f%% abandon", r->p_abandon * 100);
    printf(".\n");
    if (r->agents > 0) {
        struct wfm_result fewer;
        wfm_evaluate(q, r->agents - 1, t->answer_s, &fewer);
        printf("With %d agents it would be %.1f%%.\n", r->agents - 1, fewer.service_level * 100);
    }
    if (shrinkage > 0)
        printf("Shrinkage %.0f%% (breaks, training, absence): schedule %d so that %d are "
               "available.\n",
               shrinkage, scheduled, r->agents);
    printf("staff: agents=%d scheduled=%d service_level=%.3f asa_s=%.1f occupancy=%.3f\n",
           r->agents, scheduled, r->service_level, r->asa_s, r->occupancy);
}

/* The staffing options both commands share, from flags named "aht", "target", "patience",
 * "concurrency", "shrinkage" (any may be absent from f; aht_required for `staff`). */
struct staffing_opts {
    double aht_s, patience_s, shrinkage;
    int concurrency;
    struct wfm_target target;
};

static int parse_staffing(const struct cli_flag *f, size_t n, bool aht_required,
                          struct staffing_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->concurrency = 1;
    const char *aht = cli_flag(f, n, "aht"), *target = cli_flag(f, n, "target");
    const char *patience = cli_flag(f, n, "patience"), *conc = cli_flag(f, n, "concurrency");
    const char *shrink = cli_flag(f, n, "shrinkage");
    double concurrency = 1;
    if ((aht != NULL && flag_number("aht", aht, 1, WFM_MAX_AHT_S, &o->aht_s) != 0) ||
        (patience != NULL &&
         flag_number("patience", patience, 1, WFM_MAX_PATIENCE_S, &o->patience_s) != 0) ||
        (conc != NULL &&
         flag_number("concurrency", conc, 1, WFM_MAX_CONCURRENCY, &concurrency) != 0) ||
        (shrink != NULL &&
         flag_number("shrinkage", shrink, 0, WFM_MAX_SHRINKAGE_PCT, &o->shrinkage) != 0))
        return CLI_USAGE;
    if (aht_required && aht == NULL) {
        cli_error("--aht is required");
        return CLI_USAGE;
    }
    if (concurrency != floor(concurrency)) {
        cli_error("--concurrency: '%s' is not a whole number", conc);
        return CLI_USAGE;
    }
    o->concurrency = (int)concurrency;
    struct parley_err err = {0};
    if (wfm_parse_target(target != NULL ? target : "80/20", "target", &o->target, &err) != 0) {
        cli_error("--target: %s", err.message);
        return CLI_USAGE;
    }
    return CLI_OK;
}

int cmd_wfm_staff(const struct cli_command *self, int argc, char **argv)
{
    struct cli_flag f[] = {{"calls-per-hour", true, NULL}, {"aht", true, NULL},
                           {"target", false, NULL},        {"patience", false, NULL},
                           {"concurrency", false, NULL},   {"shrinkage", false, NULL}};
    int status = CLI_OK;
    if (!cli_parse_flags(self, f, N_FLAGS(f), argc, argv, &status)) return status;
    struct staffing_opts o;
    struct wfm_queue q;
    if (flag_number("calls-per-hour", f[0].value, 0, WFM_MAX_CALLS_PER_HOUR, &q.calls_per_hour) !=
            0 ||
        parse_staffing(f, N_FLAGS(f), true, &o) != 0)
        return CLI_USAGE;
    q.aht_s = o.aht_s;
    q.patience_s = o.patience_s;
    q.concurrency = o.concurrency;
    struct wfm_result r;
    struct parley_err err = {0};
    if (wfm_staff(&q, &o.target, &r, &err) != 0) {
        cli_error("%s", err.message);
        return CLI_USAGE;
    }
    print_staffing(&q, &o.target, &r, o.shrinkage, wfm_scheduled(r.agents, o.shrinkage));
    return CLI_OK;
}

/* ---- forecast --------------------------------------------------------------------------- */

static const char *const weekday_names[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

static void clock_text(int minute, char *out, size_t size)
{
    snprintf(out, size, "%02d:%02d", (minute / 60) % 24, minute % 60);
}

static void print_plan(const struct wfm_plan *p, const char *slug, bool intervals)
{
    const struct wfm_plan_request *q = &p->req;
    printf("Forecast for %s (%s), channel %s, %d day%s from %s.\n", slug, p->time_zone,
           q->channel < 0 ? "all" : channel_name((enum channel)q->channel), q->days,
           q->days == 1 ? "" : "s", p->n_days > 0 ? p->days[0].date : "-");
    printf("History: %d weeks, %lld contacts. Model: double-seasonal Holt-Winters (daily and "
           "weekly cycles), alpha=%.3f gamma=%.3f omega=%.3f, one-step RMSE %.2f contacts per "
           "half hour.\n",
           WFM_HISTORY_DAYS / 7, (long long)p->history_contacts, p->model.alpha, p->model.gamma,
           p->model.omega, p->model.rmse);
    printf("Staffing: %s, target %.0f%%/%.0fs, AHT %.0f s (%s), concurrency %d, shrinkage "
           "%.0f%%.\n\n",
           q->patience_s > 0 ? "Erlang A" : "Erlang C", q->target.service_level * 100,
           q->target.answer_s, p->aht_s, p->aht_source, q->concurrency, q->shrinkage_pct);
    double total = 0, hours = 0;
    char clock[16];
    if (intervals) {
        printf("%-10s %-5s %-3s %9s %7s %9s\n", "date", "time", "day", "contacts", "agents",
               "scheduled");
        for (size_t d = 0; d < p->n_days; d++)
            for (size_t i = p->days[d].first; i < p->days[d].first + p->days[d].n; i++) {
                const struct wfm_plan_interval *iv = &p->intervals[i];
                clock_text(iv->local_minute, clock, sizeof(clock));
                printf("%-10s %-5s %-3s %9.1f %7d %9d\n", p->days[d].date, clock,
                       weekday_names[iv->weekday], iv->volume, iv->agents, iv->scheduled);
            }
        printf("\n");
    }
    printf("%-10s %-3s %9s %11s %6s %11s\n", "date", "day", "contacts", "peak agents", "at",
           "agent-hours");
    for (size_t d = 0; d < p->n_days; d++) {
        const struct wfm_plan_day *day = &p->days[d];
        const struct wfm_plan_interval *pk = &p->intervals[day->peak];
        clock_text(pk->local_minute, clock, sizeof(clock));
        printf("%-10s %-3s %9.0f %11d %6s %11.1f\n", day->date, weekday_names[pk->weekday],
               day->volume, day->peak_agents, clock, day->agent_hours);
        total += day->volume;
        hours += day->agent_hours;
    }
    int peak_agents = 0;
    for (size_t d = 0; d < p->n_days; d++) {
        if (p->peak < p->days[d].first || p->peak >= p->days[d].first + p->days[d].n) continue;
        const struct wfm_plan_interval *pk = &p->intervals[p->peak];
        peak_agents = pk->agents;
        clock_text(pk->local_minute, clock, sizeof(clock));
        printf("\nPeak: %s %s (%s), %.1f contacts in 30 minutes, %d agents (%d scheduled).\n",
               p->days[d].date, clock, weekday_names[pk->weekday], pk->volume, pk->agents,
               pk->scheduled);
    }
    printf("forecast: days=%d contacts=%.0f peak_agents=%d agent_hours=%.1f\n", q->days, total,
           peak_agents, hours);
}

int cmd_wfm_forecast(const struct cli_command *self, int argc, char **argv)
{
    struct cli_flag f[] = {
        {"config", false, NULL},    {"db", false, NULL},       {"tenant", true, NULL},
        {"days", false, NULL},      {"channel", false, NULL},  {"aht", false, NULL},
        {"target", false, NULL},    {"patience", false, NULL}, {"concurrency", false, NULL},
        {"shrinkage", false, NULL}, {"show", false, NULL}};
    int status = CLI_OK;
    if (!cli_parse_flags(self, f, N_FLAGS(f), argc, argv, &status)) return status;
    struct staffing_opts o;
    double days = 7;
    if ((f[3].value != NULL && flag_number("days", f[3].value, 1, WFM_MAX_DAYS, &days) != 0) ||
        parse_staffing(f, N_FLAGS(f), false, &o) != 0)
        return CLI_USAGE;
    int channel = -1;
    if (f[4].value != NULL && strcmp(f[4].value, "all") != 0 &&
        (channel = channel_parse(f[4].value)) < 0) {
        cli_error("--channel: '%s' is not a channel (web, portal, email, sms, whatsapp, device, "
                  "api or all)",
                  f[4].value);
        return CLI_USAGE;
    }
    const char *show = f[10].value != NULL ? f[10].value : "days";
    if (strcmp(show, "days") != 0 && strcmp(show, "intervals") != 0) {
        cli_error("--show: '%s' is neither days nor intervals", show);
        return CLI_USAGE;
    }
    if (days != floor(days)) {
        cli_error("--days: '%s' is not a whole number", f[3].value);
        return CLI_USAGE;
    }
    struct parley_config cfg;
    if ((status = cli_load_config(f[0].value, f[1].value, &cfg)) != CLI_OK) return status;
    struct store *store = NULL;
    if ((status = cli_open_store(&cfg, &store)) != CLI_OK) return status;
    struct arena a;
    arena_init(&a);
    struct tenant t;
    struct wfm_plan plan;
    status = CLI_FAIL;
    if (cli_find_tenant(store, f[2].value, &t, &a) == 0) {
        struct wfm_plan_request req = {channel,       (int)days,    o.aht_s,     o.target,
                                       o.concurrency, o.patience_s, o.shrinkage, util_now_ms()};
        struct store_reader *r = NULL;
        struct parley_err err = {0};
        int rc = store_reader_open(store, &r, &err);
        if (rc == 0) rc = wfm_plan_load(r, t.id, &req, &plan, &a, &err);
        store_reader_close(r);
        if (rc == 0) rc = wfm_plan_compute(&plan, &err);
        if (rc == 0) {
            print_plan(&plan, t.slug, strcmp(show, "intervals") == 0);
            status = CLI_OK;
        } else {
            cli_error("forecast: %s", err.message);
            status = rc == PARLEY_EINVAL ? CLI_USAGE : CLI_FAIL;
        }
    }
    arena_free(&a);
    store_close(store);
    return status;
}
