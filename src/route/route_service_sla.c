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

void rs_note(struct route_service *s, struct rs_tenant *t, int64_t conversation_id, int64_t hw)
{
    if (hw <= s->seen_id) return; /* every event it could outdate was already handled */
    if (t->notes_n == t->notes_cap) {
        if (t->notes_head > 0) { /* reuse the expired front */
            memmove(t->notes, t->notes + t->notes_head,
                    (t->notes_n - t->notes_head) * sizeof(*t->notes));
            t->notes_n -= t->notes_head;
            t->notes_head = 0;
        }
        if (t->notes_n == t->notes_cap) {
            size_t cap = t->notes_cap == 0 ? 64 : t->notes_cap * 2;
            struct rs_note *grown = realloc(t->notes, cap * sizeof(*grown));
            if (grown == NULL) return; /* kept until the conversation's next event anyway */
            t->notes = grown;
            t->notes_cap = cap;
        }
    }
    t->notes[t->notes_n++] = (struct rs_note){conversation_id, hw};
}

void rs_notes_expire(struct route_service *s, struct rs_tenant *t)
{
    while (t->notes_head < t->notes_n && t->notes[t->notes_head].hw <= s->seen_id) {
        const struct rs_note *n = &t->notes[t->notes_head++];
        if ((int64_t)(intptr_t)imap_get(&t->fresh, n->conv) == n->hw) imap_del(&t->fresh, n->conv);
        struct rs_conv *r = imap_get(&t->convs, n->conv);
        if (r != NULL && !r->watched && r->sla_hw <= s->seen_id) free(imap_del(&t->convs, n->conv));
    }
    if (t->notes_head == t->notes_n) t->notes_head = t->notes_n = 0;
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

/* Stops watching r. Its copy of what the service last wrote stays (unwatched) while events
 * from before that write may still arrive: their snapshots do not show it (rs_sla_sync). */
static void unwatch(struct route_service *s, struct rs_tenant *t, struct rs_conv *r)
{
    dheap_remove(&t->sla_timers, &r->timer);
    r->watched = false;
    if (r->sla_hw <= s->seen_id)
        free(imap_del(&t->convs, r->id));
    else
        rs_note(s, t, r->id, r->sla_hw);
}

void rs_sla_forget(struct route_service *s, struct rs_tenant *t, int64_t conversation_id)
{
    struct rs_conv *r = imap_get(&t->convs, conversation_id);
    if (r != NULL) unwatch(s, t, r);
}

void rs_sla_clear(struct rs_tenant *t)
{
    dheap_free(&t->sla_timers);
    for (size_t i = 0; i < t->convs.cap; i++)
        if (t->convs.keys[i] > 0) free(t->convs.vals[i]);
    imap_free(&t->convs);
    imap_free(&t->fresh);
    free(t->notes);
    t->notes = NULL;
    t->notes_head = t->notes_n = t->notes_cap = 0;
}

/* Writes u's SLA fields to r's conversation; r->sla_hw then says which events' snapshots
 * predate the write. */
static int write_sla(struct route_service *s, struct rs_tenant *t, struct rs_conv *r,
                     const struct routing_update *u)
{
    struct store_cmd cmd;
    store_cmd_init(&cmd, STORE_ROUTE_DECISION);
    cmd.tenant_id = t->id;
    cmd.in.routing_update = *u;
    cmd.in.routing_update.action = ROUTING_SLA;
    cmd.in.routing_update.conversation_id = r->id;
    int rc = rs_exec(s, &cmd);
    if (rc == 0 && cmd.event_hw > r->sla_hw) r->sla_hw = cmd.event_hw;
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
                 bool vulnerable, int64_t seen)
{
    /* no SLA while the bot has it; once staff have it, measured from the first contact */
    const struct sla_policy *p =
        c->status == CONV_BOT ? NULL : policy_for(t, c->priority, vulnerable);
    if (p == NULL && c->sla_policy == 0 && c->sla_first_response_due == 0 &&
        c->sla_next_response_due == 0 && c->sla_resolution_due == 0 &&
        imap_get(&t->convs, c->id) == NULL)
        return; /* no SLA, none stored, nothing of the service's in flight */
    struct rs_conv *r = tracked(t, c->id);
    if (r == NULL) return;
    /* What is stored: the service's own copy while it watches c or its last write is newer
     * than this snapshot (it is the only writer of these fields), else the snapshot's. */
    bool mine = r->watched || r->sla_hw >= seen;
    struct rs_conv stored = {
        .policy = c->sla_policy,
        .due = {c->sla_first_response_due, c->sla_next_response_due, c->sla_resolution_due},
        .warned = c->sla_warned,
        .breached = c->sla_breached};
    if (mine) stored = *r;
    int64_t due[3] = {0, 0, 0}, warn[3] = {0, 0, 0};
    if (p != NULL) {
        if (c->first_response_at == 0 && p->first_response_ms > 0) {
            due[0] = add_business(t, c->created_at, p->first_response_ms);
            warn[0] = warn_time(t, p, c->created_at, p->first_response_ms);
        }
        /* the next-response clock is set by messages (rs_sla_message); kept as it is */
        if (p->next_response_ms > 0 && c->first_response_at != 0) due[1] = stored.due[1];
        if (p->resolution_ms > 0) {
            due[2] = add_business(t, c->created_at, p->resolution_ms);
            warn[2] = warn_time(t, p, c->created_at, p->resolution_ms);
        }
    }
    int64_t policy = p != NULL ? p->id : 0;
    int rc = 0;
    if (policy != stored.policy || due[0] != stored.due[0] || due[1] != stored.due[1] ||
        due[2] != stored.due[2] || (mine && r->stale)) {
        struct routing_update u = {.sla_set = SLA_SET_DUES,
                                   .sla_policy = policy,
                                   .first_response_due = due[0],
                                   .next_response_due = due[1],
                                   .resolution_due = due[2]};
        rc = write_sla(s, t, r, &u);
    }
    /* the next-response warning time is only known in memory; after a restart it is due */
    int64_t next_warn = r->watched && r->due[1] == due[1] ? r->warn_at[1] : due[1];
    r->policy = policy;
    memcpy(r->due, due, sizeof(due));
    memcpy(r->warn_at, warn, sizeof(warn));
    r->warn_at[1] = next_warn;
    r->warned = stored.warned;
    r->breached = stored.breached;
    r->first_response_at = c->first_response_at;
    r->stale = rc != 0;
    if (policy == 0) {
        unwatch(s, t, r);
        return;
    }
    r->watched = true;
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
    if (r == NULL || !r->watched || internal || (!customer && !agent)) return;
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
        r->stale = write_sla(s, t, r, &u) != 0;
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
        write_sla(s, t, r, &u);
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
