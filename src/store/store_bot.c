/* Write commands of the virtual agent (issue 3): a bot turn (its replies, its state, and a
 * hand-off or a resolution, all in one savepoint), the tenant's triage policy, the first human
 * reply after a hand-off, and the hand-off of a widget conversation that bypasses the bot. */
#include "store_int.h"
#include "../core/core_json.h"

#include <jansson.h>
#include <string.h>

static const char *outcome_name(enum bot_outcome o)
{
    return o == BOT_OUTCOME_RESOLVED ? "resolved" : o == BOT_OUTCOME_HANDOFF ? "handoff" : "active";
}

static int staff_event(struct store *s, struct store_cmd *cmd, const struct conversation *c,
                       const char *type, json_t *data, int64_t at)
{
    char *text = core_json_dump(data, &cmd->arena);
    if (text == NULL)
        return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory rendering an event");
    struct event_scope sc = {.conversation_id = c->id,
                             .customer_id = c->customer_id,
                             .assignees = c->assignees,
                             .n_assignees = c->n_assignees};
    return w_event(s, cmd, type, &sc, AUDIENCE_STAFF, text, NULL, at);
}

/* Moves c to a new status (and, for a hand-off, priority and contact reason), audited, with
 * conversation.updated. */
static int set_status(struct store *s, struct store_cmd *cmd, const struct conversation *c,
                      enum conv_status status, enum priority priority, const char *reason,
                      int64_t at)
{
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "UPDATE conversations SET status = ?1, priority = ?2,"
                                " contact_reason = ?3, updated_at = max(updated_at, ?4),"
                                " resolved_at = CASE WHEN ?1 = 'resolved' THEN ?4 END"
                                " WHERE id = ?5 AND tenant_id = ?6",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    bind_text(st, 1, conv_status_name(status));
    bind_text(st, 2, priority_name(priority));
    bind_text(st, 3, reason);
    sqlite3_bind_int64(st, 4, at);
    sqlite3_bind_int64(st, 5, c->id);
    sqlite3_bind_int64(st, 6, cmd->tenant_id);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "updating a conversation");
    int rc = w_audit(s, cmd, "conversation.update",
                     arena_printf(&cmd->arena, "conversation:%lld", (long long)c->id),
                     arena_printf(&cmd->arena,
                                  "{\"conversation_id\":%lld,\"changed\":[\"status\"],"
                                  "\"by\":\"bot\"}",
                                  (long long)c->id),
                     at);
    if (rc != 0) return rc;
    return w_conversation_event(s, cmd, c->id, "conversation.updated", NULL);
}

int w_bot_handoff(struct store *s, struct store_cmd *cmd, const struct conversation *c,
                  const char *reason, const char *intent, enum priority priority, bool move,
                  int64_t at)
{
    if (priority < c->priority) priority = c->priority; /* only ever raised */
    const char *contact = intent != NULL ? intent : "unknown";
    int rc = 0;
    if (move) rc = set_status(s, cmd, c, CONV_QUEUED, priority, contact, at);
    if (rc != 0) return rc;
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "INSERT OR IGNORE INTO bot_handoffs(conversation_id, tenant_id,"
                                " reason, intent, priority, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, c->id);
    sqlite3_bind_int64(st, 2, cmd->tenant_id);
    bind_text(st, 3, reason);
    bind_text(st, 4, contact);
    bind_text(st, 5, priority_name(priority));
    sqlite3_bind_int64(st, 6, at);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "recording a hand-off");
    return staff_event(s, cmd, c, "bot.handoff",
                       json_pack("{sIssssss}", "conversation_id", (json_int_t)c->id, "reason",
                                 reason, "intent", contact, "priority", priority_name(priority)),
                       at);
}

static int save_state(struct store *s, struct store_cmd *cmd, const struct bot_turn *t,
                      int64_t last_seq, int64_t at)
{
    sqlite3_stmt *st = stmt_get(
        &s->cache,
        "INSERT INTO bot_conversations(conversation_id, tenant_id, state, outcome, resolved_how,"
        " handled_seq, last_seq, resolve_due_at, created_at, updated_at)"
        " VALUES (?1, ?2, coalesce(?3, '{}'), ?4, ?5, ?6, ?7, ?8, ?9, ?9)"
        " ON CONFLICT(conversation_id) DO UPDATE SET state = coalesce(?3, state),"
        " outcome = ?4, resolved_how = coalesce(?5, resolved_how),"
        " handled_seq = max(handled_seq, ?6), last_seq = ?7, resolve_due_at = ?8, updated_at = ?9",
        &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, t->conversation_id);
    sqlite3_bind_int64(st, 2, cmd->tenant_id);
    bind_text(st, 3, t->state);
    bind_text(st, 4, outcome_name(t->outcome));
    bind_text(st, 5, t->outcome == BOT_OUTCOME_RESOLVED ? t->resolved_how : NULL);
    sqlite3_bind_int64(st, 6, t->handled_seq);
    sqlite3_bind_int64(st, 7, last_seq);
    bind_id0(st, 8, t->outcome == BOT_OUTCOME_ACTIVE ? t->resolve_due_at : 0);
    sqlite3_bind_int64(st, 9, at);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "saving the bot's state");
    return 0;
}

/* A timeout resolution stands only when the due time has passed and nothing was written since
 * the bot's last turn (a customer who came back is answered instead). */
static int timeout_still_due(struct store *s, struct store_cmd *cmd, const struct conversation *c,
                             int64_t now, bool *due)
{
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "SELECT 1 FROM bot_conversations WHERE conversation_id = ?1"
                                " AND tenant_id = ?2 AND resolve_due_at <= ?3 AND last_seq = ?4",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, c->id);
    sqlite3_bind_int64(st, 2, cmd->tenant_id);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int64(st, 4, c->last_seq);
    int step = sqlite3_step(st);
    sqlite3_reset(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return db_fail(&cmd->err, s->db, "reading the bot's state");
    *due = step == SQLITE_ROW;
    return 0;
}

static int append_bot(struct store *s, struct store_cmd *cmd, const struct conversation *c,
                      const char *body, bool internal, int64_t at, int64_t *last_seq)
{
    struct message m = {.conversation_id = c->id,
                        .sender = SENDER_BOT,
                        .channel = c->channel,
                        .internal = internal,
                        .body = body,
                        .created_at = at};
    char *json;
    int rc = w_append_message(s, cmd, &m, &json);
    if (rc == 0) *last_seq = m.seq;
    return rc;
}

int cmd_bot_turn(struct store *s, struct store_cmd *cmd)
{
    const struct bot_turn *t = &cmd->in.bot_turn;
    struct conversation c;
    int rc = load_conversation(&s->cache, cmd->tenant_id, t->conversation_id, "conversation_id", &c,
                               &cmd->arena, &cmd->err);
    if (rc != 0) return rc;
    if (c.status != CONV_BOT) return 0; /* a person has it now: the turn is moot */
    if (t->n_replies > BOT_TURN_MAX_REPLIES)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "replies", "at most %d replies",
                           BOT_TURN_MAX_REPLIES);
    int64_t now = w_time(0);
    bool timeout = t->outcome == BOT_OUTCOME_RESOLVED && t->resolved_how != NULL &&
                   strcmp(t->resolved_how, "timeout") == 0;
    if (timeout) {
        bool due = false;
        if ((rc = timeout_still_due(s, cmd, &c, now, &due)) != 0 || !due) return rc;
    }
    int64_t last_seq = c.last_seq;
    for (size_t i = 0; i < t->n_replies; i++)
        if ((rc = append_bot(s, cmd, &c, t->replies[i], false, now, &last_seq)) != 0) return rc;
    if (t->note != NULL && (rc = append_bot(s, cmd, &c, t->note, true, now, &last_seq)) != 0)
        return rc;
    if ((rc = save_state(s, cmd, t, last_seq, now)) != 0) return rc;
    if (t->outcome == BOT_OUTCOME_HANDOFF) {
        rc = w_bot_handoff(s, cmd, &c, t->reason != NULL ? t->reason : "requested", t->intent,
                           t->priority, true, now);
    } else if (t->outcome == BOT_OUTCOME_RESOLVED) {
        const char *how = t->resolved_how != NULL ? t->resolved_how : "confirmed";
        rc = set_status(s, cmd, &c, CONV_RESOLVED, c.priority, c.contact_reason, now);
        if (rc == 0)
            rc = staff_event(s, cmd, &c, "bot.resolved",
                             json_pack("{sIss}", "conversation_id", (json_int_t)c.id, "how", how),
                             now);
    }
    if (rc != 0) return rc;
    cmd->result_id = c.id;
    return 0;
}

int cmd_bot_set_policy(struct store *s, struct store_cmd *cmd)
{
    const struct bot_policy_in *in = &cmd->in.bot_policy;
    if (in->policy_json == NULL)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "policy", "the policy is missing");
    int64_t now = w_time(0);
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "INSERT INTO bot_policies(tenant_id, enabled, policy, updated_at)"
                                " VALUES (?1, ?2, ?3, ?4) ON CONFLICT(tenant_id) DO UPDATE SET"
                                " enabled = ?2, policy = ?3, updated_at = ?4",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    sqlite3_bind_int(st, 2, in->enabled ? 1 : 0);
    bind_text(st, 3, in->policy_json);
    sqlite3_bind_int64(st, 4, now);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "saving the bot policy");
    int rc = w_audit(s, cmd, "bot.policy.update",
                     arena_printf(&cmd->arena, "tenant:%lld", (long long)cmd->tenant_id),
                     in->enabled ? "{\"enabled\":true}" : "{\"enabled\":false}", now);
    if (rc != 0) return rc;
    cmd->result_id = cmd->tenant_id;
    cmd->result_json = arena_strdup(&cmd->arena, in->policy_json);
    return cmd->result_json != NULL ? 0
                                    : parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory");
}

int cmd_bot_first_reply(struct store *s, struct store_cmd *cmd)
{
    int64_t conv_id = cmd->in.bot_first_reply.conversation_id;
    int64_t at = w_time(cmd->in.bot_first_reply.at);
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "UPDATE bot_handoffs SET first_reply_at = max(?1, at)"
                                " WHERE conversation_id = ?2 AND tenant_id = ?3"
                                " AND first_reply_at IS NULL RETURNING at, reason, first_reply_at",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, at);
    sqlite3_bind_int64(st, 2, conv_id);
    sqlite3_bind_int64(st, 3, cmd->tenant_id);
    int step = sqlite3_step(st);
    if (step != SQLITE_ROW) {
        sqlite3_reset(st);
        return step == SQLITE_DONE ? 0 : db_fail(&cmd->err, s->db, "recording a first reply");
    }
    int64_t handoff_at = sqlite3_column_int64(st, 0);
    const char *reason = col_text(st, 1, &cmd->arena);
    int64_t replied_at = sqlite3_column_int64(st, 2);
    sqlite3_reset(st);
    struct conversation c;
    int rc = load_conversation(&s->cache, cmd->tenant_id, conv_id, "conversation_id", &c,
                               &cmd->arena, &cmd->err);
    if (rc != 0) return rc;
    cmd->result_id = conv_id;
    return staff_event(s, cmd, &c, "handoff.first_human_reply",
                       json_pack("{sIsIsIsssIsIsI}", "conversation_id", (json_int_t)conv_id,
                                 "message_id", (json_int_t)cmd->in.bot_first_reply.message_id,
                                 "user_id", (json_int_t)cmd->in.bot_first_reply.user_id, "reason",
                                 reason != NULL ? reason : "unknown", "handoff_at",
                                 (json_int_t)handoff_at, "replied_at", (json_int_t)replied_at,
                                 "elapsed_ms", (json_int_t)(replied_at - handoff_at)),
                       replied_at);
}

int w_bot_widget_status(struct store *s, struct store_cmd *cmd, const struct customer *cust,
                        enum conv_status *status, const char **bypass)
{
    *status = CONV_QUEUED;
    *bypass = NULL;
    sqlite3_stmt *st =
        stmt_get(&s->cache, "SELECT enabled FROM bot_policies WHERE tenant_id = ?1", &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    int step = sqlite3_step(st);
    /* No policy row yet: the defaults, which have the bot enabled. */
    bool enabled = step != SQLITE_ROW || sqlite3_column_int(st, 0) != 0;
    sqlite3_reset(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return db_fail(&cmd->err, s->db, "reading the bot policy");
    if (!enabled) return 0;
    if (cust->needs != 0)
        *bypass = "vulnerable";
    else if (cust->prefers_person)
        *bypass = "prefers_person";
    else
        *status = CONV_BOT;
    return 0;
}
