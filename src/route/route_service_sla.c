/* SLA deadlines in business time: the policy for a conversation's priority (the vulnerable
 * variant for vulnerable customers and those who prefer a person, when the tenant has one)
 * turns "first response in N business minutes" into a UTC deadline through the tenant's
 * calendar (sla_calendar.h; none: 24x7). First response and resolution run from the
 * conversation's creation; next response from the customer's first unanswered message after
 * the first response. Deadlines are written to the conversation (its API representation shows
 * them); the tick raises sla.warning once warning_pct of a target has elapsed and sla.breached
 * at the deadline, once each. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "route_service_int.h"

static const struct sla_policy *policy_for(const struct rs_tenant *t, enum priority p,
                                           bool vulnerable)
{
    const struct sla_policy *plain = NULL;
    for (size_t i = 0; i < t->n_policies; i++) {
        if (t->policies[i].priority != p) continue;
        if (t->policies[i].vulnerable == vulnerable) return &t->policies[i];
        if (!t->policies[i].vulnerable) plain = &t->policies[i];
    }
    return plain;
}

static int64_t add_business(const struct rs_tenant *t, int64_t start, int64_t ms)
{
    return t->cal != NULL ? sla_calendar_add(t->cal, start, ms) : start + ms;
}

static struct rs_conv *tracked(struct rs_tenant *t, int64_t id)
{
    struct rs_conv *c = imap_get(&t->convs, id);
    if (c != NULL) return c;
    c = calloc(1, sizeof(*c));
    if (c == NULL || !imap_put(&t->convs, id, c)) {
        free(c);
        return NULL;
    }
    c->id = id;
    return c;
}

void rs_sla_forget(struct rs_tenant *t, int64_t conversation_id)
{
    free(imap_del(&t->convs, conversation_id));
}

static void write_sla(struct route_service *s, struct rs_tenant *t, int64_t conversation_id,
                      const struct routing_update *u)
{
    struct store_cmd cmd;
    store_cmd_init(&cmd, STORE_ROUTE_DECISION);
    cmd.tenant_id = t->id;
    cmd.in.routing_update = *u;
    cmd.in.routing_update.action = ROUTING_SLA;
    cmd.in.routing_update.conversation_id = conversation_id;
    rs_exec(s, &cmd);
    store_cmd_release(&cmd);
}

/* When warning_pct of the target running from start has elapsed (business time). */
static int64_t warn_time(const struct rs_tenant *t, const struct sla_policy *p, int64_t start,
                         int64_t target)
{
    return add_business(t, start, target * p->warning_pct / 100);
}

void rs_sla_sync(struct route_service *s, struct rs_tenant *t, const struct conversation *c,
                 bool vulnerable)
{
    /* no SLA while the bot has it; once staff have it, measured from the first contact */
    const struct sla_policy *p =
        c->status == CONV_BOT ? NULL : policy_for(t, c->priority, vulnerable);
    int64_t due[3] = {0, 0, 0}, warn[3] = {0, 0, 0};
    if (p != NULL) {
        if (c->first_response_at == 0 && p->first_response_ms > 0) {
            due[0] = add_business(t, c->created_at, p->first_response_ms);
            warn[0] = warn_time(t, p, c->created_at, p->first_response_ms);
        }
        /* the next-response clock is set by messages (rs_sla_message); kept as it is */
        if (p->next_response_ms > 0 && c->first_response_at != 0) due[1] = c->sla_next_response_due;
        if (p->resolution_ms > 0) {
            due[2] = add_business(t, c->created_at, p->resolution_ms);
            warn[2] = warn_time(t, p, c->created_at, p->resolution_ms);
        }
    }
    int64_t policy = p != NULL ? p->id : 0;
    if (policy != c->sla_policy || due[0] != c->sla_first_response_due ||
        due[1] != c->sla_next_response_due || due[2] != c->sla_resolution_due) {
        struct routing_update u = {.sla_set = SLA_SET_DUES,
                                   .sla_policy = policy,
                                   .first_response_due = due[0],
                                   .next_response_due = due[1],
                                   .resolution_due = due[2]};
        write_sla(s, t, c->id, &u);
    }
    if (policy == 0) {
        rs_sla_forget(t, c->id);
        return;
    }
    struct rs_conv *r = tracked(t, c->id);
    if (r == NULL) return;
    /* the next-response warning time is only known in memory; after a restart it is due */
    int64_t next_warn = r->due[1] == due[1] ? r->warn_at[1] : due[1];
    r->policy = policy;
    memcpy(r->due, due, sizeof(due));
    memcpy(r->warn_at, warn, sizeof(warn));
    r->warn_at[1] = next_warn;
    r->warned = c->sla_warned;
    r->breached = c->sla_breached;
}

void rs_sla_message(struct route_service *s, struct rs_tenant *t, const char *message_json)
{
    json_t *m = json_loads(message_json != NULL ? message_json : "", 0, NULL);
    int64_t conv_id = (int64_t)json_integer_value(json_object_get(m, "conversation_id"));
    const char *sender = json_string_value(json_object_get(m, "sender"));
    bool internal = json_is_true(json_object_get(m, "internal"));
    int64_t at = (int64_t)json_integer_value(json_object_get(m, "created_at"));
    bool customer = sender != NULL && strcmp(sender, "customer") == 0;
    bool agent = sender != NULL && strcmp(sender, "agent") == 0;
    json_decref(m);
    struct rs_conv *r = imap_get(&t->convs, conv_id);
    if (r == NULL || internal || (!customer && !agent)) return;
    struct arena a;
    arena_init(&a);
    struct conversation c;
    struct parley_err err = {0};
    if (store_get_conversation(s->reader, t->id, conv_id, &c, &a, &err) == 0) {
        const struct sla_policy *p = NULL;
        for (size_t i = 0; i < t->n_policies && p == NULL; i++)
            if (t->policies[i].id == r->policy) p = &t->policies[i];
        struct routing_update u = {.sla_set = SLA_SET_DUES,
                                   .sla_policy = r->policy,
                                   .first_response_due =
                                       c.first_response_at != 0 ? 0 : c.sla_first_response_due,
                                   .next_response_due = c.sla_next_response_due,
                                   .resolution_due = c.sla_resolution_due};
        if (customer && p != NULL && p->next_response_ms > 0 && c.first_response_at != 0 &&
            c.sla_next_response_due == 0) {
            u.next_response_due = add_business(t, at, p->next_response_ms);
            r->warn_at[1] = warn_time(t, p, at, p->next_response_ms);
        } else if (agent) {
            u.next_response_due = 0;
            r->warn_at[1] = 0;
        }
        r->due[0] = u.first_response_due;
        r->due[1] = u.next_response_due;
        if (u.first_response_due != c.sla_first_response_due ||
            u.next_response_due != c.sla_next_response_due)
            write_sla(s, t, c.id, &u);
    }
    arena_free(&a);
}

void rs_sla_tick(struct route_service *s, struct rs_tenant *t)
{
    for (size_t i = 0; i < t->convs.cap; i++) {
        if (t->convs.keys[i] <= 0) continue;
        struct rs_conv *r = t->convs.vals[i];
        for (unsigned k = 0; k < 3; k++) {
            unsigned bit = 1u << k;
            if (r->due[k] == 0 || (r->breached & bit)) continue;
            struct routing_update u = {.sla_event_kind = bit};
            if (s->now >= r->due[k]) {
                r->breached |= bit;
                u.sla_set = SLA_SET_BREACHED;
                u.breached = r->breached;
                u.sla_event = "sla.breached";
            } else if (!(r->warned & bit) && r->warn_at[k] != 0 && s->now >= r->warn_at[k]) {
                r->warned |= bit;
                u.sla_set = SLA_SET_WARNED;
                u.warned = r->warned;
                u.sla_event = "sla.warning";
            } else {
                continue;
            }
            write_sla(s, t, r->id, &u);
        }
    }
}
