/* SLA deadlines in business time: the policy for a conversation's priority (the vulnerable
 * variant for vulnerable customers and those who prefer a person, when the tenant has one)
 * turns "first response in N business minutes" into a UTC deadline through the tenant's
 * calendar (sla_calendar.h; none: 24x7). First response and resolution run from the
 * conversation's creation; next response from the customer's first unanswered message after
 * the first response. Deadlines are written to the conversation (its API representation shows
 * them); the tick raises sla.warning once warning_pct of a target has elapsed and sla.breached
 * at the deadline, once each.
 *
 * Costs: the service keeps each watched conversation's deadlines in memory (struct rs_conv:
 * it is the only writer of them), so a message costs a map lookup and, when a clock starts or
 * stops, one write; each watched conversation sits in the tenant's deadline heap at its next
 * warning or breach, so a tick costs O(due · log n), not a scan. */
#include <stddef.h>
#include <stdint.h>
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
    dheap_node_init(&c->timer);
    return c;
}

static struct rs_conv *conv_of_timer(struct dheap_node *x)
{
    return (struct rs_conv *)(void *)((char *)x - offsetof(struct rs_conv, timer));
}

/* Puts r in the tenant's heap at its next warning or breach (or takes it out: none left). */
static void arm(struct rs_tenant *t, struct rs_conv *r)
{
    int64_t next = INT64_MAX;
    for (unsigned k = 0; k < 3; k++) {
        unsigned bit = 1u << k;
        if (r->due[k] == 0 || (r->breached & bit)) continue;
        if (r->due[k] < next) next = r->due[k];
        if (!(r->warned & bit) && r->warn_at[k] != 0 && r->warn_at[k] < next) next = r->warn_at[k];
    }
    if (next == INT64_MAX)
        dheap_remove(&t->sla_timers, &r->timer);
    else if (!dheap_set(&t->sla_timers, &r->timer, next))
        log_msg(LOG_ERROR, "route", "event=sla_timer_dropped conversation=%lld", (long long)r->id);
}

void rs_sla_forget(struct rs_tenant *t, int64_t conversation_id)
{
    struct rs_conv *r = imap_del(&t->convs, conversation_id);
    if (r != NULL) dheap_remove(&t->sla_timers, &r->timer);
    free(r);
}

void rs_sla_clear(struct rs_tenant *t)
{
    dheap_free(&t->sla_timers);
    for (size_t i = 0; i < t->convs.cap; i++)
        if (t->convs.keys[i] > 0) free(t->convs.vals[i]);
    imap_free(&t->convs);
}

static int write_sla(struct route_service *s, struct rs_tenant *t, int64_t conversation_id,
                     const struct routing_update *u)
{
    struct store_cmd cmd;
    store_cmd_init(&cmd, STORE_ROUTE_DECISION);
    cmd.tenant_id = t->id;
    cmd.in.routing_update = *u;
    cmd.in.routing_update.action = ROUTING_SLA;
    cmd.in.routing_update.conversation_id = conversation_id;
    int rc = rs_exec(s, &cmd);
    store_cmd_release(&cmd);
    return rc;
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
    int rc = 0;
    if (policy != c->sla_policy || due[0] != c->sla_first_response_due ||
        due[1] != c->sla_next_response_due || due[2] != c->sla_resolution_due) {
        struct routing_update u = {.sla_set = SLA_SET_DUES,
                                   .sla_policy = policy,
                                   .first_response_due = due[0],
                                   .next_response_due = due[1],
                                   .resolution_due = due[2]};
        rc = write_sla(s, t, c->id, &u);
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
    r->first_response_at = c->first_response_at;
    r->stale = rc != 0;
    arm(t, r);
}

static const struct sla_policy *policy_by_id(const struct rs_tenant *t, int64_t id)
{
    for (size_t i = 0; i < t->n_policies; i++)
        if (t->policies[i].id == id) return &t->policies[i];
    return NULL;
}

void rs_sla_message(struct route_service *s, struct rs_tenant *t, int64_t conversation_id,
                    enum sender sender, bool internal, int64_t at)
{
    bool customer = sender == SENDER_CUSTOMER, agent = sender == SENDER_AGENT;
    struct rs_conv *r = imap_get(&t->convs, conversation_id);
    if (r == NULL || internal || (!customer && !agent)) return;
    /* the store stamps the first agent reply in the message's own transaction: the same here */
    if (agent && r->first_response_at == 0) r->first_response_at = at;
    const struct sla_policy *p = policy_by_id(t, r->policy);
    int64_t first = r->first_response_at != 0 ? 0 : r->due[0];
    int64_t next = r->due[1];
    if (customer && p != NULL && p->next_response_ms > 0 && r->first_response_at != 0 &&
        r->due[1] == 0) {
        next = add_business(t, at, p->next_response_ms);
        r->warn_at[1] = warn_time(t, p, at, p->next_response_ms);
    } else if (agent) {
        next = 0;
        r->warn_at[1] = 0;
    }
    if (first != r->due[0] || next != r->due[1] || r->stale) {
        struct routing_update u = {.sla_set = SLA_SET_DUES,
                                   .sla_policy = r->policy,
                                   .first_response_due = first,
                                   .next_response_due = next,
                                   .resolution_due = r->due[2]};
        r->stale = write_sla(s, t, r->id, &u) != 0;
    }
    r->due[0] = first;
    r->due[1] = next;
    arm(t, r);
}

/* r's warnings and breaches that fell due by now, each written once (with its event). */
static void fire(struct route_service *s, struct rs_tenant *t, struct rs_conv *r)
{
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

void rs_sla_tick(struct route_service *s, struct rs_tenant *t)
{
    /* fire() marks everything due by now, so arm() moves r past now (or out): this ends */
    struct dheap_node *x;
    while ((x = dheap_peek(&t->sla_timers)) != NULL && x->at <= s->now) {
        struct rs_conv *r = conv_of_timer(x);
        fire(s, t, r);
        arm(t, r);
    }
}
