/* Write commands that move work: the routing service's decisions (enqueue, assign or offer,
 * requeue, SLA deadlines and their warning/breach events), an adviser accepting or declining
 * an offer, transfers and call-backs falling due. Every decision is guarded against the
 * conversation's committed state (PARLEY_ECONFLICT when it moved on) and recorded as a
 * route.decision event for supervisors. */
#include "store_int.h"
#include "../core/core_json_route.h"

#include <stdio.h>
#include <string.h>

/* Writes the routing-owned columns of c and its assignees (ids, n; owner first). */
static int save_routing(struct store *s, struct store_cmd *cmd, const struct conversation *c,
                        const int64_t *ids, size_t n, bool assignees_changed, int64_t now)
{
    char *text = ids_format(ids, n, &cmd->arena);
    if (text == NULL) return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory");
    sqlite3_stmt *st = stmt_get(
        &s->cache,
        "UPDATE conversations SET status = ?1, owner_id = ?2, assignees = ?3, queue_id = ?4,"
        " offer_user = ?5, offer_until = ?6, sla_policy = ?7, sla_first_due = ?8,"
        " sla_next_due = ?9, sla_resolution_due = ?10, sla_warned = ?11, sla_breached = ?12,"
        " updated_at = max(updated_at, ?13), queued_at = ?16 WHERE id = ?14 AND tenant_id = ?15",
        &cmd->err);
    if (st == NULL) return cmd->err.code;
    bind_text(st, 1, conv_status_name(c->status));
    sqlite3_bind_int64(st, 2, n > 0 ? ids[0] : 0);
    bind_text(st, 3, text);
    sqlite3_bind_int64(st, 4, c->queue_id);
    sqlite3_bind_int64(st, 5, c->offer_user);
    sqlite3_bind_int64(st, 6, c->offer_until);
    sqlite3_bind_int64(st, 7, c->sla_policy);
    sqlite3_bind_int64(st, 8, c->sla_first_response_due);
    sqlite3_bind_int64(st, 9, c->sla_next_response_due);
    sqlite3_bind_int64(st, 10, c->sla_resolution_due);
    sqlite3_bind_int(st, 11, (int)c->sla_warned);
    sqlite3_bind_int(st, 12, (int)c->sla_breached);
    sqlite3_bind_int64(st, 13, now);
    sqlite3_bind_int64(st, 14, c->id);
    sqlite3_bind_int64(st, 15, cmd->tenant_id);
    sqlite3_bind_int64(st, 16, c->queued_at);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "routing a conversation");
    if (!assignees_changed) return 0;
    int rc = w_write_assignees(s, cmd, c->id, ids, n);
    /* swarming: the active participants follow the assignees after the owner */
    return rc != 0 ? rc : w_participants_sync(s, cmd, c->id, ids, n, now);
}

/* route.decision for supervisors: {"conversation_id","action","user_id","queue_id","reason",…}
 * plus the members of detail (a JSON object text) when given. */
static int decision_event(struct store *s, struct store_cmd *cmd, const struct conversation *c,
                          enum routing_op action, int64_t user_id, const char *reason,
                          const char *detail, int64_t now)
{
    /* detail is the routing service's own JSON object text: its members are appended */
    size_t dlen = detail != NULL ? strlen(detail) : 0;
    bool extra = dlen > 2 && detail[0] == '{' && detail[dlen - 1] == '}';
    /* reasons are the service's fixed names ("least occupied", "relaxed step 2"): no escaping
     * is needed, but anything that would need it is refused rather than mangled */
    const char *why = reason != NULL ? reason : "";
    for (const char *p = why; *p != '\0'; p++)
        if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
            return parley_fail(&cmd->err, PARLEY_EINVAL, "reason", "reason must be plain text");
    char uid[24] = "null", qid[24] = "null";
    if (user_id != 0) snprintf(uid, sizeof(uid), "%lld", (long long)user_id);
    if (c->queue_id != 0) snprintf(qid, sizeof(qid), "%lld", (long long)c->queue_id);
    char *data = arena_printf(&cmd->arena,
                              "{\"conversation_id\":%lld,\"action\":\"%s\",\"user_id\":%s,"
                              "\"queue_id\":%s,\"reason\":\"%s\"%s%.*s}",
                              (long long)c->id, routing_op_name(action), uid, qid, why,
                              extra ? "," : "", extra ? (int)dlen - 2 : 0, extra ? detail + 1 : "");
    if (data == NULL) return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory");
    struct event_scope sc = {.conversation_id = c->id, .customer_id = c->customer_id};
    return w_event(s, cmd, "route.decision", &sc, AUDIENCE_SUPERVISORS, data, NULL, now);
}

/* The pending transfer note of the conversation, shown to its new owner before anything else:
 * conversation.transferred scoped to them, then marked delivered. */
static int deliver_transfer_note(struct store *s, struct store_cmd *cmd,
                                 const struct conversation *c, int64_t owner, int64_t now)
{
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "UPDATE transfers SET delivered = 1 WHERE conversation_id = ?1"
                                " AND tenant_id = ?2 AND delivered = 0"
                                " RETURNING id, from_user, to_user, to_team, to_queue, note,"
                                " message_id, at",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, c->id);
    sqlite3_bind_int64(st, 2, cmd->tenant_id);
    struct transfer t = {.conversation_id = c->id, .tenant_id = cmd->tenant_id};
    bool found = false;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) { /* the newest one is kept */
        if (found && sqlite3_column_int64(st, 0) < t.id) continue;
        found = true;
        t.id = sqlite3_column_int64(st, 0);
        t.from_user = sqlite3_column_int64(st, 1);
        t.to_user = sqlite3_column_int64(st, 2);
        t.to_team = sqlite3_column_int64(st, 3);
        t.to_queue = sqlite3_column_int64(st, 4);
        t.note = col_text(st, 5, &cmd->arena);
        t.message_id = sqlite3_column_int64(st, 6);
        t.at = sqlite3_column_int64(st, 7);
    }
    sqlite3_reset(st);
    if (step != SQLITE_DONE) return db_fail(&cmd->err, s->db, "delivering a transfer note");
    if (!found) return 0;
    char *data = core_json_dump(core_json_transfer(&t), &cmd->arena);
    if (data == NULL) return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory");
    struct event_scope sc = {.conversation_id = c->id,
                             .customer_id = c->customer_id,
                             .assignees = &owner,
                             .n_assignees = 1};
    return w_event(s, cmd, "conversation.transferred", &sc, AUDIENCE_STAFF, data, NULL, now);
}

/* sla.warning / sla.breached: {"conversation_id","kind","due","policy_id"} to the conversation's
 * staff. */
static int sla_event(struct store *s, struct store_cmd *cmd, const struct conversation *c,
                     const char *type, unsigned kind, int64_t now)
{
    const char *names[1];
    if (sla_kind_names(kind, names, 1) != 1)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "sla_event_kind", "one SLA kind expected");
    int64_t due = kind == SLA_FIRST  ? c->sla_first_response_due
                  : kind == SLA_NEXT ? c->sla_next_response_due
                                     : c->sla_resolution_due;
    char *data = arena_printf(
        &cmd->arena, "{\"conversation_id\":%lld,\"kind\":\"%s\",\"due\":%lld,\"policy_id\":%lld}",
        (long long)c->id, names[0], (long long)due, (long long)c->sla_policy);
    struct event_scope sc = {.conversation_id = c->id,
                             .customer_id = c->customer_id,
                             .assignees = c->assignees,
                             .n_assignees = c->n_assignees};
    return w_event(s, cmd, type, &sc, AUDIENCE_STAFF, data, NULL, now);
}

static int conflict(struct store_cmd *cmd, const struct conversation *c, const char *why)
{
    return parley_fail(&cmd->err, PARLEY_ECONFLICT, "conversation_id",
                       "conversation %lld %s; reload it", (long long)c->id, why);
}

static bool is_open(const struct conversation *c)
{
    return c->status != CONV_RESOLVED && c->status != CONV_CLOSED;
}

int cmd_route_decision(struct store *s, struct store_cmd *cmd)
{
    const struct routing_update *d = &cmd->in.routing_update;
    struct conversation c;
    int rc = load_conversation(&s->cache, cmd->tenant_id, d->conversation_id, "conversation_id", &c,
                               &cmd->arena, &cmd->err);
    if (rc != 0) return rc;
    int64_t now = w_time(0);
    int64_t ids[CORE_MAX_LIST];
    size_t n = c.n_assignees;
    memcpy(ids, c.assignees, n * sizeof(int64_t));
    bool moved = false; /* assignees or status change: conversation.updated */
    int64_t who = d->user_id;
    switch (d->action) {
    case ROUTING_ENQUEUE:
        if (!is_open(&c)) return conflict(cmd, &c, "is no longer open");
        if (d->queue_id != 0) {
            struct route_queue q;
            if ((rc = load_queue(&s->cache, cmd->tenant_id, d->queue_id, "queue_id", &q,
                                 &cmd->arena, &cmd->err)) != 0)
                return rc;
        }
        if (c.queue_id != d->queue_id || c.queued_at == 0) c.queued_at = now;
        c.queue_id = d->queue_id;
        break;
    case ROUTING_ASSIGN: {
        if (c.status != CONV_QUEUED || c.n_assignees != 0)
            return conflict(cmd, &c, "is no longer waiting unassigned");
        struct user u;
        if ((rc = load_user(&s->cache, cmd->tenant_id, d->user_id, &u, &cmd->arena, &cmd->err)) !=
            0)
            return rc;
        if (!u.active) return conflict(cmd, &c, "cannot go to an inactive user");
        ids[0] = d->user_id;
        n = 1;
        c.status = CONV_ASSIGNED;
        c.offer_user = d->offer_until != 0 ? d->user_id : 0;
        c.offer_until = d->offer_until;
        moved = true;
        break;
    }
    case ROUTING_REQUEUE:
        if (c.status != CONV_ASSIGNED || c.n_assignees == 0 || c.assignees[0] != d->expect_user)
            return conflict(cmd, &c, "is not assigned to that adviser any more");
        n = 0;
        c.status = CONV_QUEUED;
        c.offer_user = c.offer_until = 0;
        who = d->expect_user;
        moved = true;
        break;
    case ROUTING_ACCEPT:
    case ROUTING_DECLINE:
        if (c.offer_user == 0 || c.offer_user != d->user_id || c.n_assignees == 0 ||
            c.assignees[0] != d->user_id)
            return parley_fail(&cmd->err, PARLEY_ECONFLICT, "id",
                               "conversation %lld is not offered to you (accepted, declined or "
                               "timed out already)",
                               (long long)c.id);
        c.offer_user = c.offer_until = 0;
        if (d->action == ROUTING_DECLINE) {
            n = 0;
            c.status = CONV_QUEUED;
        }
        moved = true;
        break;
    case ROUTING_SLA:
        break;
    default:
        return parley_fail(&cmd->err, PARLEY_EINVAL, "action", "unknown routing action");
    }
    /* Entering a queue and SLA bookkeeping write no conversation.updated (the representation
     * shows them on the next read or change; breaches and warnings have their own events), so
     * background routing never adds rows a client did not cause. */
    if (d->sla_set & SLA_SET_DUES) {
        c.sla_policy = d->sla_policy;
        c.sla_first_response_due = d->first_response_due;
        c.sla_next_response_due = d->next_response_due;
        c.sla_resolution_due = d->resolution_due;
    }
    if (d->sla_set & SLA_SET_WARNED) c.sla_warned = d->warned;
    if (d->sla_set & SLA_SET_BREACHED) c.sla_breached = d->breached;
    bool assignees_changed = n != c.n_assignees || (n > 0 && ids[0] != c.assignees[0]);
    if ((rc = save_routing(s, cmd, &c, ids, n, assignees_changed, now)) != 0) return rc;
    if (d->action == ROUTING_ASSIGN && (rc = deliver_transfer_note(s, cmd, &c, ids[0], now)) != 0)
        return rc;
    if (d->sla_event != NULL) {
        if (strcmp(d->sla_event, "sla.warning") != 0 && strcmp(d->sla_event, "sla.breached") != 0)
            return parley_fail(&cmd->err, PARLEY_EINVAL, "sla_event", "unknown SLA event");
        if ((rc = sla_event(s, cmd, &c, d->sla_event, d->sla_event_kind, now)) != 0) return rc;
    }
    char *json = NULL;
    if (moved && (rc = w_conversation_event(s, cmd, c.id, "conversation.updated", &json)) != 0)
        return rc;
    if (d->action != ROUTING_SLA && d->action != ROUTING_ENQUEUE &&
        (rc = decision_event(s, cmd, &c, d->action, who, d->reason, d->detail, now)) != 0)
        return rc;
    cmd->result_id = c.id;
    if (json == NULL) {
        struct conversation now_c;
        struct json_view v;
        w_view(cmd, &v);
        if ((rc = load_conversation(&s->cache, cmd->tenant_id, c.id, NULL, &now_c, &cmd->arena,
                                    &cmd->err)) != 0)
            return rc;
        json = core_json_dump(core_json_conversation(&now_c, &v), &cmd->arena);
    }
    cmd->result_json = json;
    return json != NULL ? 0 : parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory");
}

int cmd_transfer(struct store *s, struct store_cmd *cmd)
{
    struct transfer t = cmd->in.transfer;
    struct conversation c;
    int rc = load_conversation(&s->cache, cmd->tenant_id, t.conversation_id, "id", &c, &cmd->arena,
                               &cmd->err);
    if (rc != 0) return rc;
    if (!is_open(&c))
        return parley_fail(&cmd->err, PARLEY_ECONFLICT, "id",
                           "conversation %lld is resolved or closed; reopen it first",
                           (long long)c.id);
    int targets = (t.to_user != 0) + (t.to_team != 0) + (t.to_queue != 0);
    if (targets != 1)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "to_user",
                           "give exactly one of to_user, to_team and to_queue");
    if (t.note != NULL && (rc = core_check_text("note", t.note, strlen(t.note), CORE_MAX_NOTE,
                                                false, &cmd->err)) != 0)
        return rc;
    if (t.to_user != 0) {
        struct user u;
        if ((rc = load_user(&s->cache, cmd->tenant_id, t.to_user, &u, &cmd->arena, &cmd->err)) != 0)
            return parley_fail(&cmd->err, rc, "to_user", "user %lld does not exist",
                               (long long)t.to_user);
        if (!u.active || u.role == ROLE_EXPERT)
            return parley_fail(&cmd->err, PARLEY_EINVAL, "to_user",
                               "user %lld is not an active adviser", (long long)t.to_user);
    }
    if (t.to_team != 0) {
        sqlite3_stmt *st =
            stmt_get(&s->cache, "SELECT 1 FROM teams WHERE id = ?1 AND tenant_id = ?2", &cmd->err);
        if (st == NULL) return cmd->err.code;
        sqlite3_bind_int64(st, 1, t.to_team);
        sqlite3_bind_int64(st, 2, cmd->tenant_id);
        int step = sqlite3_step(st);
        sqlite3_reset(st);
        if (step == SQLITE_DONE)
            return parley_fail(&cmd->err, PARLEY_EINVAL, "to_team", "team %lld does not exist",
                               (long long)t.to_team);
        if (step != SQLITE_ROW) return db_fail(&cmd->err, s->db, "finding a team");
    }
    struct route_queue q;
    if (t.to_queue != 0 && (rc = load_queue(&s->cache, cmd->tenant_id, t.to_queue, "to_queue", &q,
                                            &cmd->arena, &cmd->err)) != 0)
        return rc;
    int64_t now = w_time(t.at);
    t.at = now;
    t.tenant_id = cmd->tenant_id;
    /* The note, as an internal note in the thread (flagged by transfers.message_id). */
    if (t.note != NULL && t.note[0] != '\0') {
        struct message m = {.conversation_id = c.id,
                            .sender = SENDER_AGENT,
                            .author_id = t.from_user,
                            .channel = c.channel,
                            .internal = true,
                            .body = t.note,
                            .created_at = now};
        char *mj;
        if ((rc = w_append_message(s, cmd, &m, &mj)) != 0) return rc;
        t.message_id = m.id;
    }
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "INSERT INTO transfers(tenant_id, conversation_id, from_user,"
                                " to_user, to_team, to_queue, note, message_id, at)"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    sqlite3_bind_int64(st, 2, c.id);
    sqlite3_bind_int64(st, 3, t.from_user);
    sqlite3_bind_int64(st, 4, t.to_user);
    sqlite3_bind_int64(st, 5, t.to_team);
    sqlite3_bind_int64(st, 6, t.to_queue);
    bind_text(st, 7, t.note);
    sqlite3_bind_int64(st, 8, t.message_id);
    sqlite3_bind_int64(st, 9, now);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "recording a transfer");
    t.id = sqlite3_last_insert_rowid(s->db);
    char *tj = core_json_dump(core_json_transfer(&t), &cmd->arena);
    if (tj == NULL) return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory");
    /* For the routing service (and supervisors) before the conversation moves. */
    struct event_scope none = {.conversation_id = c.id, .customer_id = c.customer_id};
    if ((rc = w_event(s, cmd, "transfer.requested", &none, AUDIENCE_SUPERVISORS, tj, NULL, now)) !=
        0)
        return rc;
    /* Re-read: the note moved last_seq. Invited participants (not the owner) stay. */
    if ((rc = load_conversation(&s->cache, cmd->tenant_id, c.id, "id", &c, &cmd->arena,
                                &cmd->err)) != 0)
        return rc;
    int64_t ids[CORE_MAX_LIST];
    size_t n = 0;
    if (t.to_user != 0) ids[n++] = t.to_user;
    for (size_t i = 1; i < c.n_assignees && n < CORE_MAX_LIST; i++)
        if (c.assignees[i] != t.to_user && c.assignees[i] != t.from_user) ids[n++] = c.assignees[i];
    c.offer_user = c.offer_until = 0;
    if (t.to_user != 0) {
        c.status = CONV_ASSIGNED;
    } else {
        c.status = CONV_QUEUED;
        n = 0; /* routed afresh */
        if (t.to_queue != 0) c.queue_id = t.to_queue;
        c.queued_at = now; /* waits afresh (steps start over) */
    }
    if ((rc = save_routing(s, cmd, &c, ids, n, true, now)) != 0) return rc;
    if (t.to_user != 0 && (rc = deliver_transfer_note(s, cmd, &c, t.to_user, now)) != 0) return rc;
    char *json;
    if ((rc = w_conversation_event(s, cmd, c.id, "conversation.updated", &json)) != 0) return rc;
    if ((rc = decision_event(s, cmd, &c, t.to_user != 0 ? ROUTING_ASSIGN : ROUTING_REQUEUE,
                             t.to_user, "transfer", NULL, now)) != 0)
        return rc;
    if ((rc = w_audit(s, cmd, "conversation.transfer",
                      arena_printf(&cmd->arena, "conversation:%lld", (long long)c.id),
                      arena_printf(&cmd->arena, "{\"transfer_id\":%lld}", (long long)t.id), now)) !=
        0)
        return rc;
    cmd->result_id = t.id;
    cmd->created = true;
    cmd->result_json = tj;
    return 0;
}

int cmd_callback_due(struct store *s, struct store_cmd *cmd)
{
    struct callback cb;
    int rc = w_load_callback(s, cmd, cmd->in.callback_due_id, &cb);
    if (rc != 0) return rc;
    if (cb.status != CALLBACK_SCHEDULED)
        return parley_fail(&cmd->err, PARLEY_ECONFLICT, "id", "call-back %lld is already %s",
                           (long long)cb.id, callback_status_name(cb.status));
    int64_t now = w_time(0);
    /* A queued work item, routed like any other (contact reason "callback"). */
    struct conversation c = {.customer_id = cb.customer_id,
                             .status = CONV_QUEUED,
                             .priority = PRIORITY_NORMAL,
                             .subject = "Call-back",
                             .contact_reason = "callback",
                             .channel = cb.channel,
                             .created_at = now};
    rc = w_insert_conversation(s, cmd, &c);
    if (rc != 0) return rc;
    if (cb.note != NULL && cb.note[0] != '\0') {
        struct message m = {.conversation_id = c.id,
                            .sender = SENDER_SYSTEM,
                            .channel = c.channel,
                            .internal = true,
                            .body = cb.note,
                            .created_at = now};
        char *mj;
        if ((rc = w_append_message(s, cmd, &m, &mj)) != 0) return rc;
    }
    sqlite3_stmt *st = stmt_get(
        &s->cache, "UPDATE callbacks SET status = 'queued', conversation_id = ?1 WHERE id = ?2",
        &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, c.id);
    sqlite3_bind_int64(st, 2, cb.id);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "queueing a call-back");
    char *json;
    if ((rc = w_conversation_event(s, cmd, c.id, "conversation.created", &json)) != 0) return rc;
    cmd->result_id = c.id;
    cmd->result_json = json;
    return 0;
}
