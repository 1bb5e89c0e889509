/* Write commands for conversations: create (reference from the tenant's counter, optional
 * first message), update (status, priority, triage fields, assignees) and receipt cursors. */
#include "store_int.h"
#include "../core/core_json.h"

#include <stdlib.h>
#include <string.h>

static bool open_status(enum conv_status st)
{
    return st != CONV_RESOLVED && st != CONV_CLOSED;
}

/* Assignees must be active users of the tenant; duplicates collapse, order is kept (the first
 * is the owner). */
static int check_assignees(struct store *s, struct store_cmd *cmd, const int64_t *in, size_t n,
                           int64_t *out, size_t *n_out)
{
    *n_out = 0;
    if (n > CORE_MAX_LIST)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "assignees", "at most %d assignees",
                           CORE_MAX_LIST);
    for (size_t i = 0; i < n; i++) {
        bool dup = false;
        for (size_t k = 0; k < *n_out && !dup; k++) dup = out[k] == in[i];
        if (dup) continue;
        sqlite3_stmt *st = stmt_get(&s->cache,
                                    "SELECT 1 FROM users WHERE id = ?1 AND tenant_id = ?2"
                                    " AND active = 1",
                                    &cmd->err);
        if (st == NULL) return cmd->err.code;
        sqlite3_bind_int64(st, 1, in[i]);
        sqlite3_bind_int64(st, 2, cmd->tenant_id);
        int step = sqlite3_step(st);
        sqlite3_reset(st);
        if (step == SQLITE_DONE)
            return parley_fail(&cmd->err, PARLEY_EINVAL, "assignees",
                               "user %lld is not an active user of this organisation",
                               (long long)in[i]);
        if (step != SQLITE_ROW) return db_fail(&cmd->err, s->db, "checking assignees");
        out[(*n_out)++] = in[i];
    }
    return 0;
}

int w_write_assignees(struct store *s, struct store_cmd *cmd, int64_t conv_id, const int64_t *ids,
                      size_t n)
{
    sqlite3_stmt *st = stmt_get(
        &s->cache, "DELETE FROM conversation_assignees WHERE conversation_id = ?1", &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, conv_id);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "assigning");
    for (size_t i = 0; i < n; i++) {
        st = stmt_get(&s->cache,
                      "INSERT INTO conversation_assignees(tenant_id, conversation_id, user_id,"
                      " position) VALUES (?1, ?2, ?3, ?4)",
                      &cmd->err);
        if (st == NULL) return cmd->err.code;
        sqlite3_bind_int64(st, 1, cmd->tenant_id);
        sqlite3_bind_int64(st, 2, conv_id);
        sqlite3_bind_int64(st, 3, ids[i]);
        sqlite3_bind_int64(st, 4, (int64_t)i);
        if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "assigning");
    }
    return 0;
}

static int check_conv_fields(struct store_cmd *cmd, const struct conversation *c, unsigned set)
{
    struct parley_err *e = &cmd->err;
    int rc;
    if ((set & SET_STATUS) && (unsigned)c->status >= CONV__COUNT)
        return parley_fail(e, PARLEY_EINVAL, "status",
                           "status must be bot, queued, assigned, pending_customer, resolved or "
                           "closed");
    if ((set & SET_PRIORITY) && (unsigned)c->priority >= PRIORITY__COUNT)
        return parley_fail(e, PARLEY_EINVAL, "priority",
                           "priority must be low, normal, high or urgent");
    if ((set & SET_SUBJECT) &&
        (rc = core_check_text("subject", c->subject, c->subject ? strlen(c->subject) : 0,
                              CORE_MAX_NAME, false, e)) != 0)
        return rc;
    if ((set & SET_CONTACT_REASON) &&
        (rc = core_check_text("contact_reason", c->contact_reason,
                              c->contact_reason ? strlen(c->contact_reason) : 0, CORE_MAX_NAME,
                              false, e)) != 0)
        return rc;
    if (set & SET_TAGS) {
        if (c->n_tags > CORE_MAX_TAGS)
            return parley_fail(e, PARLEY_EINVAL, "tags", "at most %d tags", CORE_MAX_TAGS);
        for (size_t i = 0; i < c->n_tags; i++)
            if ((rc = core_check_text("tags", c->tags[i], c->tags[i] ? strlen(c->tags[i]) : 0,
                                      CORE_MAX_SHORT, true, e)) != 0)
                return rc;
    }
    return 0;
}

int w_insert_conversation(struct store *s, struct store_cmd *cmd, struct conversation *c)
{
    int64_t ids[CORE_MAX_LIST];
    size_t n = 0;
    int rc =
        check_assignees(s, cmd, c->assignees, c->assignees != NULL ? c->n_assignees : 0, ids, &n);
    if (rc != 0) return rc;
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "UPDATE tenants SET next_ref = next_ref + 1 WHERE id = ?1"
                                " RETURNING ref_prefix || '-' || (next_ref - 1)",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return db_fail(&cmd->err, s->db, "numbering the conversation");
    }
    c->reference = col_text(st, 0, &cmd->arena);
    sqlite3_reset(st);
    c->tenant_id = cmd->tenant_id;
    c->created_at = w_time(c->created_at);
    c->updated_at = c->created_at;
    c->last_seq = 0;
    char *tags = strings_to_json(c->tags, c->tags != NULL ? c->n_tags : 0, &cmd->arena);
    char *assignees = ids_format(ids, n, &cmd->arena);
    if (c->reference == NULL || tags == NULL || assignees == NULL)
        return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory opening a conversation");
    st = stmt_get(&s->cache,
                  "INSERT INTO conversations(tenant_id, customer_id, reference, status, priority,"
                  " subject, contact_reason, tags, owner_id, assignees, channel, last_seq,"
                  " created_at, updated_at, resolved_at, closed_at)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 0, ?12, ?12, ?13, ?14)",
                  &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    sqlite3_bind_int64(st, 2, c->customer_id);
    bind_text(st, 3, c->reference);
    bind_text(st, 4, conv_status_name(c->status));
    bind_text(st, 5, priority_name(c->priority));
    bind_text(st, 6, c->subject);
    bind_text(st, 7, c->contact_reason);
    bind_text(st, 8, tags);
    sqlite3_bind_int64(st, 9, n > 0 ? ids[0] : 0);
    bind_text(st, 10, assignees);
    bind_text(st, 11, channel_name(c->channel));
    sqlite3_bind_int64(st, 12, c->created_at);
    bind_id0(st, 13, c->status == CONV_RESOLVED ? c->created_at : 0);
    bind_id0(st, 14, c->status == CONV_CLOSED ? c->created_at : 0);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "opening a conversation");
    c->id = sqlite3_last_insert_rowid(s->db);
    if ((rc = w_write_assignees(s, cmd, c->id, ids, n)) != 0 ||
        (rc = w_participants_sync(s, cmd, c->id, ids, n, c->created_at)) != 0)
        return rc;
    c->n_assignees = n; /* routing (issue 4): queue and SLA deadlines from the start */
    if ((rc = w_route_new_conversation(s, cmd, c)) != 0) return rc;
    return w_audit(s, cmd, "conversation.create",
                   arena_printf(&cmd->arena, "conversation:%lld", (long long)c->id),
                   arena_printf(&cmd->arena, "{\"conversation_id\":%lld,\"customer_id\":%lld}",
                                (long long)c->id, (long long)c->customer_id),
                   c->created_at);
}

/* What the routing service needs of the conversation the last event is about, typed (core.h,
 * struct event_facts): the row as committed, and whether its customer is vulnerable (needs, or
 * prefers a person) — one primary-key probe, so the service reads nothing per event. */
static int conversation_facts(struct store *s, struct store_cmd *cmd, const struct conversation *c)
{
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "SELECT needs <> 0 OR prefers_person <> 0 FROM customers"
                                " WHERE id = ?1",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, c->customer_id);
    int step = sqlite3_step(st);
    bool vulnerable = step == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
    sqlite3_reset(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return db_fail(&cmd->err, s->db, "reading a customer");
    s->batch.events[s->batch.n_events - 1].facts = (struct event_facts){
        .kind = EVENT_FACTS_CONVERSATION,
        .status = (unsigned char)c->status,
        .priority = (unsigned char)c->priority,
        .channel = (unsigned char)c->channel,
        .vulnerable = vulnerable,
        .contact_reason = c->contact_reason,
        .created_at = c->created_at,
        .first_response_at = c->first_response_at,
        .queue_id = c->queue_id,
        .queued_at = c->queued_at,
        .offer_user = c->offer_user,
        .sla_policy = c->sla_policy,
        .sla_due = {c->sla_first_response_due, c->sla_next_response_due, c->sla_resolution_due},
        .sla_warned = c->sla_warned,
        .sla_breached = c->sla_breached,
    };
    return 0;
}

int w_conversation_event(struct store *s, struct store_cmd *cmd, int64_t id, const char *type,
                         char **json)
{
    struct conversation c;
    int rc = load_conversation(&s->cache, cmd->tenant_id, id, NULL, &c, &cmd->arena, &cmd->err);
    if (rc != 0) return rc;
    /* Staff see every field; the customer's copy leaves out triage fields and staff ids. */
    struct json_view staff = {.customer_self = false, .role = ROLE_ADMIN};
    struct json_view self = {.customer_self = true, .role = ROLE_AGENT};
    char *data = core_json_dump(core_json_conversation(&c, &staff), &cmd->arena);
    char *data_customer = core_json_dump(core_json_conversation(&c, &self), &cmd->arena);
    if (data == NULL || data_customer == NULL)
        return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory rendering an event");
    struct event_scope sc = {.conversation_id = c.id,
                             .customer_id = c.customer_id,
                             .assignees = c.assignees,
                             .n_assignees = c.n_assignees};
    rc = w_event(s, cmd, type, &sc, AUDIENCE_STAFF | AUDIENCE_CUSTOMER, data, data_customer,
                 c.updated_at);
    if (rc == 0) rc = conversation_facts(s, cmd, &c);
    if (rc == 0 && json != NULL) *json = cmd->viewer_is_customer ? data_customer : data;
    return rc;
}

int cmd_create_conversation(struct store *s, struct store_cmd *cmd)
{
    struct conversation c = cmd->in.create_conversation.conversation;
    unsigned set = cmd->in.create_conversation.set;
    const char *first = cmd->in.create_conversation.first_message;
    struct customer owner;
    int rc = load_customer(&s->cache, cmd->tenant_id, c.customer_id, "customer_id", &owner,
                           &cmd->arena, &cmd->err);
    if (rc != 0) return rc;
    if (owner.merged_into != 0) c.customer_id = owner.merged_into; /* follow the merge */
    if ((unsigned)c.channel >= CHANNEL__COUNT)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "channel", "unknown channel");
    if ((rc = check_conv_fields(cmd, &c, ~0u)) != 0) return rc;
    bool status_given = (set & SET_STATUS) || c.status != CONV_BOT;
    if (!status_given) c.status = c.n_assignees > 0 ? CONV_ASSIGNED : CONV_QUEUED;
    if (!(set & SET_PRIORITY) && c.priority == PRIORITY_LOW) c.priority = PRIORITY_NORMAL;
    if ((rc = w_insert_conversation(s, cmd, &c)) != 0) return rc;
    char *json;
    if ((rc = w_conversation_event(s, cmd, c.id, "conversation.created", &json)) != 0) return rc;
    if (first != NULL) {
        enum sender sender = cmd->in.create_conversation.first_sender;
        int64_t author = 0;
        if (sender == SENDER_CUSTOMER)
            author = c.customer_id;
        else if (sender == SENDER_AGENT && cmd->actor != NULL &&
                 strncmp(cmd->actor, "user:", 5) == 0)
            author = strtoll(cmd->actor + 5, NULL, 10);
        struct message m = {.conversation_id = c.id,
                            .seq = 0,
                            .sender = sender,
                            .author_id = author,
                            .channel = c.channel,
                            .body = first,
                            .created_at = c.created_at};
        char *message_json;
        if ((rc = w_append_message(s, cmd, &m, &message_json)) != 0) {
            if (strcmp(cmd->err.field, "body") == 0) snprintf(cmd->err.field, 64, "message");
            return rc;
        }
        struct conversation now;
        struct json_view v;
        w_view(cmd, &v);
        if ((rc = load_conversation(&s->cache, cmd->tenant_id, c.id, NULL, &now, &cmd->arena,
                                    &cmd->err)) != 0)
            return rc;
        json = core_json_dump(core_json_conversation(&now, &v), &cmd->arena);
    }
    cmd->result_id = c.id;
    cmd->created = true;
    cmd->result_json = json;
    if (json == NULL)
        return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory rendering the result");
    return 0;
}

int cmd_update_conversation(struct store *s, struct store_cmd *cmd)
{
    const struct conversation *in = &cmd->in.update_conversation.conversation;
    unsigned set = cmd->in.update_conversation.set;
    struct conversation c;
    int rc = load_conversation(&s->cache, cmd->tenant_id, in->id, "id", &c, &cmd->arena, &cmd->err);
    if (rc != 0 || (rc = check_conv_fields(cmd, in, set)) != 0) return rc;
    int64_t now = w_time(in->updated_at);
    enum conv_status before = c.status;
    int64_t ids[CORE_MAX_LIST];
    size_t n = c.n_assignees;
    memcpy(ids, c.assignees, n * sizeof(int64_t));
    if (set & SET_ASSIGNEES) {
        rc = check_assignees(s, cmd, in->assignees, in->assignees != NULL ? in->n_assignees : 0,
                             ids, &n);
        if (rc != 0) return rc;
        /* Assigning takes a waiting case off the queue; unassigning everyone puts it back. */
        if (!(set & SET_STATUS)) {
            if (n > 0 && (c.status == CONV_BOT || c.status == CONV_QUEUED))
                c.status = CONV_ASSIGNED;
            else if (n == 0 && c.status == CONV_ASSIGNED)
                c.status = CONV_QUEUED;
        }
    }
    if (set & SET_STATUS) c.status = in->status;
    if (set & SET_PRIORITY) c.priority = in->priority;
    if (set & SET_SUBJECT) c.subject = in->subject;
    if (set & SET_CONTACT_REASON) c.contact_reason = in->contact_reason;
    if (set & SET_TAGS) {
        c.tags = in->tags;
        c.n_tags = in->tags != NULL ? in->n_tags : 0;
    }
    if (c.status != before) {
        if (c.status == CONV_RESOLVED) c.resolved_at = now;
        if (c.status == CONV_CLOSED) c.closed_at = now;
        if (open_status(c.status)) c.resolved_at = c.closed_at = 0; /* reopened */
    }
    char *tags = strings_to_json(c.tags, c.n_tags, &cmd->arena);
    char *assignees = ids_format(ids, n, &cmd->arena);
    if (tags == NULL || assignees == NULL)
        return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory updating");
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "UPDATE conversations SET status = ?1, priority = ?2, subject = ?3,"
                                " contact_reason = ?4, tags = ?5, owner_id = ?6, assignees = ?7,"
                                " updated_at = max(updated_at, ?8), resolved_at = ?9,"
                                " closed_at = ?10 WHERE id = ?11 AND tenant_id = ?12",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    bind_text(st, 1, conv_status_name(c.status));
    bind_text(st, 2, priority_name(c.priority));
    bind_text(st, 3, c.subject);
    bind_text(st, 4, c.contact_reason);
    bind_text(st, 5, tags);
    sqlite3_bind_int64(st, 6, n > 0 ? ids[0] : 0);
    bind_text(st, 7, assignees);
    sqlite3_bind_int64(st, 8, now);
    bind_id0(st, 9, c.resolved_at);
    bind_id0(st, 10, c.closed_at);
    sqlite3_bind_int64(st, 11, c.id);
    sqlite3_bind_int64(st, 12, cmd->tenant_id);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "updating a conversation");
    if ((set & SET_ASSIGNEES) && ((rc = w_write_assignees(s, cmd, c.id, ids, n)) != 0 ||
                                  (rc = w_participants_sync(s, cmd, c.id, ids, n, now)) != 0))
        return rc;
    unsigned changed = set;
    if (c.status != before) changed |= SET_STATUS;
    const char *fields = w_set_names(changed & ~0x7fu, &cmd->arena);
    rc = w_audit(s, cmd, "conversation.update",
                 arena_printf(&cmd->arena, "conversation:%lld", (long long)c.id),
                 fields != NULL
                     ? arena_printf(&cmd->arena, "{\"conversation_id\":%lld,\"changed\":%s}",
                                    (long long)c.id, fields)
                     : NULL,
                 now);
    if (rc != 0) return rc;
    char *json;
    if ((rc = w_conversation_event(s, cmd, c.id, "conversation.updated", &json)) != 0) return rc;
    cmd->result_id = c.id;
    cmd->result_json = json;
    return 0;
}

int cmd_update_receipt(struct store *s, struct store_cmd *cmd)
{
    const struct receipt *in = &cmd->in.update_receipt;
    int64_t seq = in->delivered_seq > in->read_seq ? in->delivered_seq : in->read_seq;
    bool read = cmd->receipt_kind == RECEIPT_READ;
    if ((unsigned)cmd->receipt_kind >= RECEIPT__COUNT)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "kind", "kind must be delivered or read");
    if (in->participant == NULL || in->participant[0] == '\0' ||
        strlen(in->participant) > CORE_MAX_SHORT)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "participant",
                           "participant must be like customer:17 or user:4");
    if (seq < 0) return parley_fail(&cmd->err, PARLEY_EINVAL, "seq", "seq must be 0 or more");
    struct conversation c;
    int rc = load_conversation(&s->cache, cmd->tenant_id, in->conversation_id, "conversation_id",
                               &c, &cmd->arena, &cmd->err);
    if (rc != 0) return rc;
    if (seq > c.last_seq)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "seq",
                           "seq %lld is beyond the conversation's last message (%lld)",
                           (long long)seq, (long long)c.last_seq);
    int64_t now = w_time(in->updated_at);
    /* Cursors only move forward; reading a message implies it was delivered. */
    sqlite3_stmt *st =
        stmt_get(&s->cache,
                 "INSERT INTO receipts(tenant_id, conversation_id, participant,"
                 " delivered_seq, read_seq, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                 " ON CONFLICT (conversation_id, participant) DO UPDATE SET"
                 " delivered_seq = max(delivered_seq, excluded.delivered_seq),"
                 " read_seq = max(read_seq, excluded.read_seq),"
                 " updated_at = CASE WHEN excluded.delivered_seq > delivered_seq"
                 " OR excluded.read_seq > read_seq THEN excluded.updated_at"
                 " ELSE updated_at END"
                 " RETURNING delivered_seq, read_seq, updated_at",
                 &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    sqlite3_bind_int64(st, 2, c.id);
    bind_text(st, 3, in->participant);
    sqlite3_bind_int64(st, 4, seq);
    sqlite3_bind_int64(st, 5, read ? seq : 0);
    sqlite3_bind_int64(st, 6, now);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return db_fail(&cmd->err, s->db, "updating a receipt");
    }
    struct receipt r = {.conversation_id = c.id,
                        .participant = in->participant,
                        .delivered_seq = sqlite3_column_int64(st, 0),
                        .read_seq = sqlite3_column_int64(st, 1),
                        .updated_at = sqlite3_column_int64(st, 2)};
    sqlite3_reset(st);
    char *json = core_json_dump(core_json_receipt(&r), &cmd->arena);
    if (json == NULL)
        return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory rendering a receipt");
    cmd->result_json = json;
    cmd->result_id = c.id;
    if (r.updated_at != now) return 0; /* nothing moved: no event */
    struct event_scope sc = {.conversation_id = c.id,
                             .customer_id = c.customer_id,
                             .assignees = c.assignees,
                             .n_assignees = c.n_assignees};
    return w_event(s, cmd, "receipt.updated", &sc, AUDIENCE_STAFF | AUDIENCE_CUSTOMER, json, NULL,
                   now);
}
