/* Workforce management from the shell: `parley wfm staff` (how many advisers a queue needs,
 * Erlang C or Erlang A) and `parley wfm forecast` (volume per 30-minute interval from the
 * tenant's history, with the staffing it implies). The maths is in src/route/wfm_*.c. */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../route/wfm_erlang.h"

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

int cmd_wfm_staff(const struct cli_command *self, int argc, char **argv)
{
    struct cli_flag f[] = {{"calls-per-hour", true, NULL}, {"aht", true, NULL},
                           {"target", false, NULL},        {"patience", false, NULL},
                           {"concurrency", false, NULL},   {"shrinkage", false, NULL}};
    int status = CLI_OK;
    if (!cli_parse_flags(self, f, N_FLAGS(f), argc, argv, &status)) return status;
    struct wfm_queue q = {.concurrency = 1};
    struct wfm_target t;
    double concurrency = 1, shrinkage = 0;
    struct parley_err err = {0};
    if (flag_number("calls-per-hour", f[0].value, 0, WFM_MAX_CALLS_PER_HOUR,
                    &q.calls_per_hour) != 0 ||
        flag_number("aht", f[1].value, 1, WFM_MAX_AHT_S, &q.aht_s) != 0 ||
        (f[3].value != NULL &&
         flag_number("patience", f[3].value, 1, WFM_MAX_PATIENCE_S, &q.patience_s) != 0) ||
        (f[4].value != NULL &&
         flag_number("concurrency", f[4].value, 1, WFM_MAX_CONCURRENCY, &concurrency) != 0) ||
        (f[5].value != NULL &&
         flag_number("shrinkage", f[5].value, 0, WFM_MAX_SHRINKAGE_PCT, &shrinkage) != 0))
        return CLI_USAGE;
    if (concurrency != floor(concurrency)) {
        cli_error("--concurrency: '%s' is not a whole number", f[4].value);
        return CLI_USAGE;
    }
    q.concurrency = (int)concurrency;
    if (wfm_parse_target(f[2].value != NULL ? f[2].value : "80/20", "target", &t, &err) != 0) {
        cli_error("--target: %s", err.message);
        return CLI_USAGE;
    }
    struct wfm_result r;
    if (wfm_staff(&q, &t, &r, &err) != 0) {
        cli_error("--%s: %s", err.field[0] != '\0' ? err.field : "target", err.message);
        return CLI_USAGE;
    }
    print_staffing(&q, &t, &r, shrinkage, wfm_scheduled(r.agents, shrinkage));
    return CLI_OK;
}
