/* Work through the routing service: every event about a conversation brings the engine in line
 * with the conversation's committed state, re-read from the store (so stale or echoed events
 * are harmless); the engine's decisions are written back as STORE_ROUTE_DECISION commands
 * (each guarded against the state it was decided on) with a route.decision event for
 * supervisors. Transfers and call-backs falling due enter here too. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "route_service_int.h"

int rs_exec(struct route_service *s, struct store_cmd *cmd)
{
    cmd->actor = "system";
    cmd->viewer_role = ROLE_ADMIN;
    int rc = store_exec(s->store, cmd);
    if (rc != 0 && rc != PARLEY_ECONFLICT)
        log_msg(LOG_WARN, "route", "event=write_failed kind=%d tenant=%lld code=%s reason=\"%s\"",
                (int)cmd->kind, (long long)cmd->tenant_id, parley_err_code_name(rc),
                cmd->err.message);
    return rc;
}

void rs_engine_decided(void *ctx, const struct route_decision *d)
{
    struct route_service *s = ctx;
    if (s->n_pending == s->cap_pending) {
        size_t cap = s->cap_pending == 0 ? 16 : s->cap_pending * 2;
        struct route_decision *grown = realloc(s->pending, cap * sizeof(*grown));
        if (grown == NULL) {
            log_msg(LOG_ERROR, "route", "event=decision_dropped conversation=%lld",
                    (long long)d->conversation_id);
            return;
        }
        s->pending = grown;
        s->cap_pending = cap;
    }
    s->pending[s->n_pending++] = *d;
}

static bool customer_vulnerable(struct route_service *s, int64_t tenant_id, int64_t customer_id)
{
    struct arena a;
    arena_init(&a);
    struct customer c;
    struct parley_err err = {0};
    bool v = store_get_customer(s->reader, tenant_id, customer_id, &c, &a, &err) == 0 &&
             (c.needs != 0 || c.prefers_person);
    arena_free(&a);
    return v;
}

/* The engine's view of c: the queue it waits in (its own, else the one its contact reason
 * picks), or false when the tenant has no queue for it (it is then not routed). */
static bool work_of(struct route_service *s, struct rs_tenant *t, const struct conversation *c,
                    bool vulnerable, struct route_work *w)
{
    int64_t queue = c->queue_id;
    if (queue == 0) queue = rs_queue_for(t, c->contact_reason);
    if (queue == 0) return false;
    *w = (struct route_work){.conversation_id = c->id,
                             .customer_id = c->customer_id,
                             .queue_id = queue,
                             .channel = (int)c->channel,
                             .priority = (int)c->priority,
                             .vulnerable = vulnerable,
                             .enqueued_ms = c->queued_at != 0 ? c->queued_at : s->now};
    return true;
}

/* Records the queue (and queued_at) of a conversation the service starts routing. */
static void write_enqueue(struct route_service *s, struct rs_tenant *t,
                          const struct conversation *c, int64_t queue_id)
{
    if (c->queue_id == queue_id && c->queued_at != 0) return;
    struct store_cmd cmd;
    store_cmd_init(&cmd, STORE_ROUTE_DECISION);
    cmd.tenant_id = t->id;
    cmd.in.routing_update = (struct routing_update){.action = ROUTING_ENQUEUE,
                                                    .conversation_id = c->id,
                                                    .queue_id = queue_id,
                                                    .reason = "contact reason"};
    rs_exec(s, &cmd);
    store_cmd_release(&cmd);
}

/* Warms stickiness with the customer's last adviser (the engine forgets across restarts). */
static void note_sticky(struct route_service *s, struct rs_tenant *t, const struct conversation *c)
{
    if (t->sticky_window_ms <= 0 || c->customer_id == 0) return;
    int64_t user = 0, at = 0;
    struct parley_err err = {0};
    if (store_last_adviser(s->reader, t->id, c->customer_id, c->id, s->now - t->sticky_window_ms,
                           &user, &at, &err) == 0 &&
        user != 0)
        route_sticky_note(t->eng, c->customer_id, user, at, &err);
}

/* The engine and the SLA clocks in line with c, the conversation as committed at event (or
 * read) `seen`. */
static void conv_apply(struct route_service *s, struct rs_tenant *t, const struct conversation *c,
                       bool vulnerable, int64_t seen)
{
    bool open = c->status != CONV_RESOLVED && c->status != CONV_CLOSED;
    struct route_conv_info info;
    struct parley_err err = {0};
    bool known = t->eng != NULL && route_conv_get(t->eng, c->id, &info) == 0;
    int64_t owner = c->n_assignees > 0 ? c->assignees[0] : 0;
    struct route_work w;
    if (t->eng == NULL) {
        /* not loaded: nothing to route */
    } else if (!open || c->status == CONV_BOT) {
        if (known && info.state != ROUTE_WAITING && !open)
            route_complete(t->eng, c->id, s->now, &err);
        else if (known)
            route_withdraw(t->eng, c->id, s->now, &err);
    } else if (owner == 0 && c->status == CONV_QUEUED) {
        if (known && info.state != ROUTE_WAITING) {
            /* taken off its adviser (declined, or unassigned by someone): back to the head */
            route_decline(t->eng, c->id, info.adviser_id, s->now, &err);
        } else if (!known && work_of(s, t, c, vulnerable, &w)) {
            write_enqueue(s, t, c, w.queue_id);
            note_sticky(s, t, c);
            if (route_enqueue(t->eng, &w, s->now, &err) != 0)
                log_msg(LOG_WARN, "route", "event=enqueue_refused conversation=%lld reason=\"%s\"",
                        (long long)c->id, err.message);
        }
    } else if (owner != 0) {
        bool accepted = c->offer_user == 0;
        if (known && info.state != ROUTE_WAITING && info.adviser_id == owner) {
            if (info.state == ROUTE_OFFERED && accepted)
                route_accept(t->eng, c->id, owner, s->now, &err);
        } else if (work_of(s, t, c, vulnerable, &w)) {
            /* assigned by someone else (or restored after a restart): a fact, not a decision */
            if (known) route_withdraw(t->eng, c->id, s->now, &err);
            if (c->queue_id == 0) write_enqueue(s, t, c, w.queue_id);
            route_restore_assignment(t->eng, &w, owner, accepted, s->now, &err);
        }
    }
    rs_flush_decisions(s, t);
    if (open)
        rs_sla_sync(s, t, c, vulnerable, seen);
    else
        rs_sla_forget(s, t, c->id);
}

/* Events about the conversation up to hw are older than what the service now knows of it. */
static void note_fresh(struct route_service *s, struct rs_tenant *t, int64_t id, int64_t hw)
{
    if (hw <= s->seen_id || hw <= (int64_t)(intptr_t)imap_get(&t->fresh, id)) return;
    if (imap_put(&t->fresh, id, (void *)(intptr_t)hw)) rs_note(s, t, id, hw);
}

void rs_conv_sync(struct route_service *s, struct rs_tenant *t, int64_t conversation_id)
{
    if (conversation_id <= 0) return;
    if (s->depth >= 4) { /* a decision that keeps conflicting: the next event retries */
        log_msg(LOG_WARN, "route", "event=sync_gave_up conversation=%lld",
                (long long)conversation_id);
        return;
    }
    s->depth++;
    struct arena a;
    arena_init(&a);
    struct conversation c;
    int64_t hw = 0;
    struct parley_err err = {0};
    if (store_get_conversation_at(s->reader, t->id, conversation_id, &c, &hw, &a, &err) == 0) {
        note_fresh(s, t, c.id, hw);
        bool open = c.status != CONV_RESOLVED && c.status != CONV_CLOSED;
        conv_apply(s, t, &c, open && customer_vulnerable(s, t->id, c.customer_id), hw);
    }
    arena_free(&a);
    s->depth--;
}

void rs_conv_event(struct route_service *s, struct rs_tenant *t, const struct event *ev)
{
    const struct event_facts *f = &ev->facts;
    if (f->kind != EVENT_FACTS_CONVERSATION) { /* another bus backend: read it */
        rs_conv_sync(s, t, ev->conversation_id);
        return;
    }
    if (ev->conversation_id <= 0 ||
        ev->id <= (int64_t)(intptr_t)imap_get(&t->fresh, ev->conversation_id))
        return; /* the service's own view is newer (it read or wrote the conversation since) */
    struct conversation c = {
        .id = ev->conversation_id,
        .tenant_id = ev->tenant_id,
        .customer_id = ev->customer_id,
        .status = (enum conv_status)f->status,
        .priority = (enum priority)f->priority,
        .channel = (enum channel)f->channel,
        .contact_reason = f->contact_reason,
        .assignees = (int64_t *)ev->assignees,
        .n_assignees = (size_t)ev->n_assignees,
        .created_at = f->created_at,
        .first_response_at = f->first_response_at,
        .queue_id = f->queue_id,
        .queued_at = f->queued_at,
        .offer_user = f->offer_user,
        .sla_policy = f->sla_policy,
        .sla_first_response_due = f->sla_due[0],
        .sla_next_response_due = f->sla_due[1],
        .sla_resolution_due = f->sla_due[2],
        .sla_warned = f->sla_warned,
        .sla_breached = f->sla_breached,
    };
    conv_apply(s, t, &c, f->vulnerable, ev->id);
}

void rs_transfer(struct route_service *s, struct rs_tenant *t, const char *transfer_json)
{
    json_t *j = json_loads(transfer_json != NULL ? transfer_json : "", 0, NULL);
    int64_t conv = (int64_t)json_integer_value(json_object_get(j, "conversation_id"));
    int64_t to_user = (int64_t)json_integer_value(json_object_get(j, "to_user"));
    int64_t to_team = (int64_t)json_integer_value(json_object_get(j, "to_team"));
    int64_t to_queue = (int64_t)json_integer_value(json_object_get(j, "to_queue"));
    json_decref(j);
    if (t->eng == NULL || conv <= 0) return;
    struct route_conv_info info;
    struct parley_err err = {0};
    if (route_conv_get(t->eng, conv, &info) != 0) {
        rs_conv_sync(s, t, conv); /* not routed yet: the committed state says where it is */
        return;
    }
    int rc = 0;
    if (to_user != 0) {
        rc = route_transfer_to_adviser(t->eng, conv, to_user, s->now, &err);
        if (rc != 0) { /* offline or full: the store assigned it anyway, count it */
            route_withdraw(t->eng, conv, s->now, &err);
            rs_conv_sync(s, t, conv);
            return;
        }
    } else if (to_team != 0) {
        rc = route_transfer_to_team(t->eng, conv, to_team, s->now, &err);
    } else if (to_queue != 0) {
        rc = route_transfer_to_queue(t->eng, conv, to_queue, s->now, &err);
    }
    if (rc != 0)
        log_msg(LOG_WARN, "route", "event=transfer_refused conversation=%lld reason=\"%s\"",
                (long long)conv, err.message);
    rs_flush_decisions(s, t);
}

/* "relaxed step 2", "least occupied", … */
static const char *reason_text(const struct route_decision *d, char *buf, size_t cap)
{
    if (d->reason == ROUTE_REASON_RELAXED) {
        snprintf(buf, cap, "%s %d", route_reason_name(d->reason), d->step);
        return buf;
    }
    return route_reason_name(d->reason);
}

static void write_decision(struct route_service *s, struct rs_tenant *t,
                           const struct route_decision *d)
{
    char reason[48];
    struct store_cmd cmd;
    store_cmd_init(&cmd, STORE_ROUTE_DECISION);
    cmd.tenant_id = t->id;
    struct routing_update *u = &cmd.in.routing_update;
    u->conversation_id = d->conversation_id;
    u->reason = reason_text(d, reason, sizeof(reason));
    u->detail = arena_printf(&cmd.arena,
                             "{\"step\":%d,\"waited_ms\":%lld,\"effective_priority\":%.3f,"
                             "\"adviser_load\":%.3f,\"vulnerable\":%s}",
                             d->step, (long long)d->waited_ms, d->effective_priority,
                             d->adviser_capacity_milli > 0
                                 ? (double)d->adviser_load_milli / d->adviser_capacity_milli
                                 : 0.0,
                             d->vulnerable ? "true" : "false");
    if (d->kind == ROUTE_ASSIGN) {
        u->action = ROUTING_ASSIGN;
        u->user_id = d->adviser_id;
        u->offer_until = d->needs_accept ? d->accept_deadline_ms : 0;
    } else {
        u->action = ROUTING_REQUEUE;
        u->expect_user = d->adviser_id;
    }
    int rc = rs_exec(s, &cmd);
    /* the decision's own conversation.updated comes after event_hw; what came before it is
     * older than the engine's view now */
    if (rc == 0) note_fresh(s, t, d->conversation_id, cmd.event_hw);
    store_cmd_release(&cmd);
    if (rc != 0) {
        /* The conversation moved on (declined, assigned by hand, closed, transferred) or the
         * write failed: the committed state wins. */
        struct route_conv_info info;
        if (route_conv_get(t->eng, d->conversation_id, &info) == 0) {
            struct parley_err err = {0};
            route_withdraw(t->eng, d->conversation_id, s->now, &err);
        }
        rs_conv_sync(s, t, d->conversation_id);
    }
}

/* Whether the store already shows what d decided (a transfer the store applied itself, a
 * decline the adviser wrote): then there is nothing to write. */
static bool already_applied(struct route_service *s, struct rs_tenant *t,
                            const struct route_decision *d)
{
    struct arena a;
    arena_init(&a);
    struct conversation c;
    struct parley_err err = {0};
    bool done = false;
    int64_t hw = 0;
    if (store_get_conversation_at(s->reader, t->id, d->conversation_id, &c, &hw, &a, &err) == 0) {
        int64_t owner = c.n_assignees > 0 ? c.assignees[0] : 0;
        if (d->kind == ROUTE_ASSIGN)
            done = owner == d->adviser_id && c.status != CONV_QUEUED;
        else
            done = owner == 0 && c.status == CONV_QUEUED;
    }
    if (done) note_fresh(s, t, d->conversation_id, hw); /* the engine agrees with this read */
    arena_free(&a);
    return done;
}

void rs_flush_decisions(struct route_service *s, struct rs_tenant *t)
{
    /* Writing may sync a conversation, which may decide more: take the batch first. */
    while (s->n_pending > 0) {
        size_t n = s->n_pending;
        struct route_decision *batch = malloc(n * sizeof(*batch));
        if (batch == NULL) return;
        memcpy(batch, s->pending, n * sizeof(*batch));
        s->n_pending = 0;
        for (size_t i = 0; i < n; i++) {
            const struct route_decision *d = &batch[i];
            if (d->kind == ROUTE_PRESENCE_CHANGED) continue; /* away_on_accept_timeout is off */
            if (already_applied(s, t, d)) continue;
            write_decision(s, t, d);
        }
        free(batch);
    }
}

/* ---- call-backs ------------------------------------------------------------------------ */

void rs_callback_add(struct rs_tenant *t, int64_t id, int64_t at)
{
    if (id <= 0 || imap_get(&t->callbacks, id) != NULL) return;
    struct rs_callback *cb = calloc(1, sizeof(*cb));
    if (cb == NULL) return; /* found again at the next load */
    cb->id = id;
    dheap_node_init(&cb->timer);
    if (!imap_put(&t->callbacks, id, cb)) {
        free(cb);
        return;
    }
    if (!dheap_set(&t->callback_timers, &cb->timer, at)) free(imap_del(&t->callbacks, id));
}

void rs_callback_cancel(struct rs_tenant *t, int64_t id)
{
    struct rs_callback *cb = imap_del(&t->callbacks, id);
    if (cb != NULL) dheap_remove(&t->callback_timers, &cb->timer);
    free(cb);
}

void rs_callbacks_clear(struct rs_tenant *t)
{
    dheap_free(&t->callback_timers);
    for (size_t i = 0; i < t->callbacks.cap; i++)
        if (t->callbacks.keys[i] > 0) free(t->callbacks.vals[i]);
    imap_free(&t->callbacks);
}

/* Opens a conversation for each call-back whose time has come: O(due · log n). */
void rs_callbacks_due(struct route_service *s, struct rs_tenant *t)
{
    struct dheap_node *x;
    while ((x = dheap_peek(&t->callback_timers)) != NULL && x->at <= s->now) {
        struct rs_callback *cb =
            (struct rs_callback *)(void *)((char *)x - offsetof(struct rs_callback, timer));
        struct store_cmd cmd;
        store_cmd_init(&cmd, STORE_CALLBACK_DUE);
        cmd.tenant_id = t->id;
        cmd.in.callback_due_id = cb->id;
        int rc = rs_exec(s, &cmd);
        store_cmd_release(&cmd);
        if (rc == PARLEY_EBUSY) return; /* the store is busy or closing: next tick */
        rs_callback_cancel(t, cb->id);  /* queued, or cancelled meanwhile (conflict) */
    }
}
