/* The demo organisation's routing (issue 4), part of `parley seed-demo`: queues for the contact
 * reasons of the demo scripts and of the virtual agent's intents, routing profiles for the five
 * advisers (the expert is invited, never routed), SLA policies per priority with tighter ones
 * for vulnerable customers, the specialist team, and business hours in Europe/London with the
 * UK (England and Wales) bank holidays of 2026 and 2027. Nobody is online after seeding. */
#include "cli.h"

#include <string.h>

/* Europe/London, Mon–Fri 08:00–20:00, Sat 09:00–17:00; bank holidays from gov.uk. */
static const char demo_calendar[] =
    "{\"time_zone\":\"Europe/London\",\"weekly\":{"
    "\"mon\":[[\"08:00\",\"20:00\"]],\"tue\":[[\"08:00\",\"20:00\"]],"
    "\"wed\":[[\"08:00\",\"20:00\"]],\"thu\":[[\"08:00\",\"20:00\"]],"
    "\"fri\":[[\"08:00\",\"20:00\"]],\"sat\":[[\"09:00\",\"17:00\"]]},"
    "\"holidays\":[\"2026-01-01\",\"2026-04-03\",\"2026-04-06\",\"2026-05-04\",\"2026-05-25\","
    "\"2026-08-31\",\"2026-12-25\",\"2026-12-28\",\"2027-01-01\",\"2027-03-26\",\"2027-03-29\","
    "\"2027-05-03\",\"2027-05-31\",\"2027-08-30\",\"2027-12-27\",\"2027-12-28\"]}";

struct demo_queue {
    const char *name;
    const char *skills[2];
    const char *team;
    int priority_class;
    bool is_default;
    const char *reasons[12];
    struct queue_step steps[2];
};

static const char *also_support[] = {"support"};
static const char *also_billing[] = {"billing"};

static const struct demo_queue demo_queues[] = {
    {"billing",
     {"billing:3"},
     NULL,
     0,
     false,
     {"billing question", "billing_question", "direct debit change", "direct_debit",
      "tariff switch", "change_tariff", "complaint", "cancel_contract"},
     {{.after_s = 120, .relax_levels = 1},
      {.after_s = 300, .relax_levels = 1, .add_teams = also_support, .n_add_teams = 1}}},
    {"moves & meters",
     {"metering:2"},
     NULL,
     0,
     false,
     {"meter reading", "meter_reading", "moving home", "moving_home", "smart meter fault",
      "smart_meter_fault"},
     {{.after_s = 180, .relax_levels = 1},
      {.after_s = 600, .relax_levels = 1, .add_teams = also_billing, .n_add_teams = 1}}},
    {"priority care",
     {"vulnerability:3"},
     "support",
     1,
     false,
     {"payment difficulty", "payment_difficulty", "bereavement", "power cut", "power_cut",
      "speak_to_person", "fraud"},
     {{.after_s = 300, .relax_levels = 1}}},
    {"general", {NULL}, NULL, 0, true, {NULL}, {{0}}},
};

/* Capacity per channel (web, portal, email, sms, whatsapp, device, api), wrap-up, accept. */
struct demo_profile {
    const char *email;
    int web, email_cap, messaging, wrap_up_s;
    bool accept_required;
};

static const struct demo_profile demo_profiles[] = {
    {"sian.morgan@acme.example", 2, 3, 2, 30, false},
    {"tomasz.nowak@acme.example", 3, 5, 3, 30, false},
    {"imran.qureshi@acme.example", 3, 5, 3, 30, true},
    {"grace.okafor@acme.example", 2, 3, 2, 60, false},
    {"rhys.evans@acme.example", 3, 5, 3, 30, false},
};

/* Minutes: first response, next response, resolution (business time). */
static const struct {
    enum priority priority;
    bool vulnerable;
    int first, next, resolution;
} demo_policies[] = {
    {PRIORITY_LOW, false, 240, 480, 4320}, {PRIORITY_NORMAL, false, 60, 240, 2880},
    {PRIORITY_HIGH, false, 30, 120, 1440}, {PRIORITY_URGENT, false, 10, 60, 480},
    {PRIORITY_NORMAL, true, 15, 60, 1440}, {PRIORITY_HIGH, true, 10, 30, 720},
    {PRIORITY_URGENT, true, 5, 15, 240},
};

static size_t count(const char *const *items, size_t max)
{
    size_t n = 0;
    while (n < max && items[n] != NULL) n++;
    return n;
}

static int exec(struct store *s, struct store_cmd *cmd, int64_t tenant_id, const char *what,
                struct parley_err *err)
{
    cmd->tenant_id = tenant_id;
    cmd->actor = "cli";
    int rc = store_exec(s, cmd);
    if (rc != 0)
        parley_fail(err, rc, cmd->err.field, "%s: %s", what,
                    cmd->err.message[0] != '\0' ? cmd->err.message : parley_err_code_name(rc));
    store_cmd_release(cmd);
    return rc;
}

static int64_t user_by_email(struct store *s, int64_t tenant_id, const char *email)
{
    struct store_reader *r;
    struct parley_err err;
    if (store_reader_open(s, &r, &err) != 0) return 0;
    struct arena a;
    arena_init(&a);
    struct user u;
    const char *hash;
    int64_t id = store_get_user_login(r, tenant_id, email, &u, &hash, &a, &err) == 0 ? u.id : 0;
    arena_free(&a);
    store_reader_close(r);
    return id;
}

int seed_demo_routing(struct store *s, int64_t tenant_id, struct parley_err *err)
{
    struct store_cmd cmd;
    int rc;
    for (size_t i = 0; i < sizeof(demo_queues) / sizeof(demo_queues[0]); i++) {
        const struct demo_queue *d = &demo_queues[i];
        store_cmd_init(&cmd, STORE_PUT_QUEUE);
        struct route_queue *q = &cmd.in.put_queue;
        q->name = d->name;
        q->skills = (const char **)d->skills;
        q->n_skills = count(d->skills, 2);
        q->team = d->team;
        q->priority_class = d->priority_class;
        q->is_default = d->is_default;
        q->reasons = (const char **)d->reasons;
        q->n_reasons = count(d->reasons, 12);
        for (size_t k = 0; k < 2 && d->steps[k].after_s > 0; k++)
            q->steps[q->n_steps++] = d->steps[k];
        if ((rc = exec(s, &cmd, tenant_id, "creating a queue", err)) != 0) return rc;
    }
    for (size_t i = 0; i < sizeof(demo_profiles) / sizeof(demo_profiles[0]); i++) {
        const struct demo_profile *d = &demo_profiles[i];
        store_cmd_init(&cmd, STORE_PUT_ROUTING_PROFILE);
        struct route_profile *p = &cmd.in.put_profile;
        route_profile_default(p);
        p->user_id = user_by_email(s, tenant_id, d->email);
        p->capacity[CHANNEL_WEB] = p->capacity[CHANNEL_PORTAL] = d->web;
        p->capacity[CHANNEL_EMAIL] = d->email_cap;
        p->capacity[CHANNEL_SMS] = p->capacity[CHANNEL_WHATSAPP] = d->messaging;
        p->wrap_up_s = d->wrap_up_s;
        p->accept_required = d->accept_required;
        p->accept_timeout_s = 30;
        if ((rc = exec(s, &cmd, tenant_id, "setting a routing profile", err)) != 0) return rc;
    }
    struct sla_policy pol[sizeof(demo_policies) / sizeof(demo_policies[0])];
    for (size_t i = 0; i < sizeof(pol) / sizeof(pol[0]); i++)
        pol[i] = (struct sla_policy){.priority = demo_policies[i].priority,
                                     .vulnerable = demo_policies[i].vulnerable,
                                     .first_response_ms = demo_policies[i].first * 60000LL,
                                     .next_response_ms = demo_policies[i].next * 60000LL,
                                     .resolution_ms = demo_policies[i].resolution * 60000LL,
                                     .warning_pct = 80};
    store_cmd_init(&cmd, STORE_PUT_SLA_POLICIES);
    cmd.in.put_sla_policies.items = pol;
    cmd.in.put_sla_policies.n = sizeof(pol) / sizeof(pol[0]);
    if ((rc = exec(s, &cmd, tenant_id, "setting SLA policies", err)) != 0) return rc;
    store_cmd_init(&cmd, STORE_PUT_ROUTE_SETTINGS);
    cmd.in.put_route_settings = (struct route_settings){.calendar_json = demo_calendar,
                                                        .specialist_team = "support",
                                                        .sticky_window_s = 86400,
                                                        .ageing_milli_per_min = 100};
    return exec(s, &cmd, tenant_id, "setting business hours", err);
}
