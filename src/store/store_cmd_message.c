/* The message path, the hottest write: appending a message to a conversation (staff
 * CREATE_MESSAGE, the widget's WIDGET_MESSAGE). A message costs four statements: the
 * conversation's SELECT (what the event needs) and its UPDATE (claims the next seq), the
 * message INSERT and the event INSERT (plus the idempotency probe and row when a key is
 * given). */
#include "store_int.h"
#include "../core/core_json.h"

#include <stdio.h>
#include <string.h>

#define STORE_MAX_BODY (1 << 20) /* backstop only: the edge enforces max_message_bytes */

/* Finding the conversation and claiming the next seq are two statements: a SELECT through
 * an index, then an UPDATE by primary key. (One UPDATE … RETURNING did both, but RETURNING
 * materialises its row in an ephemeral table opened and closed per statement, which cost more
 * than the second statement: docs/benchmarks.md.) Same transaction, one writer: nothing can
 * come between the two. The status column is never assigned here, so the partial index of
 * open conversations is left alone. */
#define APPEND_COLS "SELECT id, customer_id, status, last_seq, assignees FROM conversations "

enum append_target {
    BY_ID,          /* ?1 conversation, ?2 tenant */
    BY_ID_CUSTOMER, /* and ?3 customer: the widget may only write to its own */
    OPEN_OF,        /* ?3 customer's newest conversation that is not resolved or closed: the
                       partial index makes that one probe however many closed ones it has */
};

static const char *const append_sql[] = {
    [BY_ID] = APPEND_COLS "WHERE id = ?1 AND tenant_id = ?2 AND status <> 'closed'",
    [BY_ID_CUSTOMER] = APPEND_COLS "WHERE id = ?1 AND tenant_id = ?2 AND customer_id = ?3"
                                   " AND status <> 'closed'",
    [OPEN_OF] = APPEND_COLS "INDEXED BY conversations_open WHERE customer_id = ?3"
                            " AND status IN ('bot','queued','assigned','pending_customer')"
                            " AND tenant_id = ?2 ORDER BY id DESC LIMIT 1",
};

static int check_message(struct store_cmd *cmd, const struct message *m)
{
    if ((unsigned)m->sender >= SENDER__COUNT)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "sender",
                           "sender must be customer, agent, bot or system");
    if ((unsigned)m->channel >= CHANNEL__COUNT)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "channel", "unknown channel");
    return core_check_text("body", m->body, m->body != NULL ? strlen(m->body) : 0, STORE_MAX_BODY,
                           true, &cmd->err);
}

/* Why did the UPDATE match nothing: missing (or another tenant's / customer's), or closed. */
static int explain_miss(struct store *s, struct store_cmd *cmd, int64_t id, int64_t customer_id)
{
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "SELECT status FROM conversations WHERE id = ?1 AND tenant_id = ?2"
                                " AND (?3 = 0 OR customer_id = ?3)",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, cmd->tenant_id);
    sqlite3_bind_int64(st, 3, customer_id);
    int step = sqlite3_step(st);
    sqlite3_reset(st);
    if (step == SQLITE_ROW)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "conversation_id",
                           "conversation %lld is closed; start a new conversation instead",
                           (long long)id);
    if (step != SQLITE_DONE) return db_fail(&cmd->err, s->db, "reading a conversation");
    return parley_fail(&cmd->err, PARLEY_ENOTFOUND, "conversation_id",
                       "conversation %lld does not exist", (long long)id);
}

/* Returns 1 when no conversation matched (nothing changed), 0 when appended. */
static int append(struct store *s, struct store_cmd *cmd, enum append_target target,
                  int64_t customer_id, struct message *m, char **json)
{
    int rc = check_message(cmd, m);
    if (rc != 0) return rc;
    m->created_at = w_time(m->created_at);
    m->tenant_id = cmd->tenant_id;
    bool first_response = m->sender == SENDER_AGENT && !m->internal;

    sqlite3_stmt *st = stmt_get(&s->cache, append_sql[target], &cmd->err);
    if (st == NULL) return cmd->err.code;
    if (target != OPEN_OF) sqlite3_bind_int64(st, 1, m->conversation_id);
    sqlite3_bind_int64(st, 2, cmd->tenant_id);
    if (target != BY_ID) sqlite3_bind_int64(st, 3, customer_id);
    int step = sqlite3_step(st);
    if (step != SQLITE_ROW) {
        sqlite3_reset(st);
        if (step != SQLITE_DONE) return db_fail(&cmd->err, s->db, "appending a message");
        return 1;
    }
    m->conversation_id = sqlite3_column_int64(st, 0);
    int64_t conv_customer = sqlite3_column_int64(st, 1);
    int status = conv_status_parse((const char *)sqlite3_column_text(st, 2));
    m->seq = sqlite3_column_int64(st, 3) + 1;
    int64_t assignees[8];
    struct event_scope sc = {.conversation_id = m->conversation_id,
                             .customer_id = conv_customer,
                             .assignees = assignees};
    sc.n_assignees = ids_parse((const char *)sqlite3_column_text(st, 4), assignees, 8);
    sc.assignees_text = ids_format(assignees, sc.n_assignees, &cmd->arena);
    sqlite3_reset(st);

    /* Claim the seq. A first agent reply also stamps first_response_at (once). */
    st = stmt_get(&s->cache,
                  first_response
                      ? "UPDATE conversations SET last_seq = ?1, updated_at = max(updated_at, ?2),"
                        " first_response_at = coalesce(first_response_at, ?2) WHERE id = ?3"
                      : "UPDATE conversations SET last_seq = ?1, updated_at = max(updated_at, ?2)"
                        " WHERE id = ?3",
                  &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, m->seq);
    sqlite3_bind_int64(st, 2, m->created_at);
    sqlite3_bind_int64(st, 3, m->conversation_id);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "appending a message");

    st = stmt_get(&s->cache,
                  "INSERT INTO messages(tenant_id, conversation_id, seq, sender, author_id,"
                  " channel, internal, body, created_at)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                  &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    sqlite3_bind_int64(st, 2, m->conversation_id);
    sqlite3_bind_int64(st, 3, m->seq);
    bind_text(st, 4, sender_name(m->sender));
    bind_id0(st, 5, m->author_id);
    bind_text(st, 6, channel_name(m->channel));
    sqlite3_bind_int(st, 7, m->internal ? 1 : 0);
    bind_text(st, 8, m->body);
    sqlite3_bind_int64(st, 9, m->created_at);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "saving a message");
    m->id = sqlite3_last_insert_rowid(s->db);

    *json = core_json_message_text(m, &cmd->arena);
    if (*json == NULL)
        return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory rendering a message");
    rc = w_event(s, cmd, "message.created", &sc,
                 m->internal ? AUDIENCE_STAFF : AUDIENCE_STAFF | AUDIENCE_CUSTOMER, *json, NULL,
                 m->created_at);
    if (rc != 0) return rc;
    /* what the routing service's SLA clocks need, typed (core.h, struct event_facts) */
    s->batch.events[s->batch.n_events - 1].facts = (struct event_facts){
        .kind = EVENT_FACTS_MESSAGE, .sender = (unsigned char)m->sender, .internal = m->internal};

    /* The customer wrote again: the case is live, back to its owner or the queue. */
    if (m->sender == SENDER_CUSTOMER &&
        (status == CONV_PENDING_CUSTOMER || status == CONV_RESOLVED)) {
        enum conv_status next = sc.n_assignees > 0 ? CONV_ASSIGNED : CONV_QUEUED;
        st = stmt_get(&s->cache,
                      "UPDATE conversations SET status = ?1, resolved_at = NULL WHERE id = ?2",
                      &cmd->err);
        if (st == NULL) return cmd->err.code;
        bind_text(st, 1, conv_status_name(next));
        sqlite3_bind_int64(st, 2, m->conversation_id);
        if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "reopening");
        return w_conversation_event(s, cmd, m->conversation_id, "conversation.updated", NULL);
    }
    return 0;
}

int w_append_message(struct store *s, struct store_cmd *cmd, struct message *m, char **json)
{
    int64_t id = m->conversation_id;
    int rc = append(s, cmd, BY_ID, 0, m, json);
    return rc == 1 ? explain_miss(s, cmd, id, 0) : rc;
}

int cmd_create_message(struct store *s, struct store_cmd *cmd)
{
    struct message *m = &cmd->in.create_message;
    char *json;
    int rc = w_append_message(s, cmd, m, &json);
    if (rc != 0) return rc;
    cmd->result_id = m->id;
    cmd->result_json = json;
    cmd->created = true;
    return 0;
}

/* The widget's customer has no open conversation: open one (web) for it. It starts with the
 * bot when the bot runs and the tenant has it enabled, unless the customer is vulnerable or
 * prefers a person: then it goes straight to the queue, the bypass recorded as a hand-off. */
static int open_for_widget(struct store *s, struct store_cmd *cmd, int64_t customer_id, int64_t at,
                           int64_t *conv_id)
{
    struct conversation c = {.customer_id = customer_id,
                             .status = CONV_QUEUED,
                             .priority = PRIORITY_NORMAL,
                             .channel = CHANNEL_WEB,
                             .created_at = at};
    const char *bypass = NULL;
    int rc = 0;
    if (cmd->in.widget_message.bot) {
        struct customer cust;
        rc = load_customer(&s->cache, cmd->tenant_id, customer_id, "customer_id", &cust,
                           &cmd->arena, &cmd->err);
        if (rc == 0) rc = w_bot_widget_status(s, cmd, &cust, &c.status, &bypass);
        if (bypass != NULL) c.contact_reason = "unknown";
        if (bypass != NULL && strcmp(bypass, "vulnerable") == 0) c.priority = PRIORITY_HIGH;
    }
    if (rc == 0) rc = w_insert_conversation(s, cmd, &c);
    if (rc == 0) rc = w_conversation_event(s, cmd, c.id, "conversation.created", NULL);
    if (rc == 0 && bypass != NULL)
        rc = w_bot_handoff(s, cmd, &c, bypass, NULL, c.priority, false, c.created_at);
    *conv_id = c.id;
    return rc;
}

int cmd_widget_message(struct store *s, struct store_cmd *cmd)
{
    int64_t customer_id = cmd->in.widget_message.customer_id;
    int64_t conv_id = cmd->in.widget_message.conversation_id;
    struct message *m = &cmd->in.widget_message.message;
    /* The widget speaks for the customer, always. */
    m->sender = SENDER_CUSTOMER;
    m->author_id = customer_id;
    m->internal = false;
    char *json = NULL;
    int rc;
    if (conv_id != 0) {
        m->conversation_id = conv_id;
        rc = append(s, cmd, BY_ID_CUSTOMER, customer_id, m, &json);
        if (rc == 1) rc = explain_miss(s, cmd, conv_id, customer_id);
    } else {
        rc = append(s, cmd, OPEN_OF, customer_id, m, &json);
        if (rc == 1) { /* nothing open: check the customer, then open a conversation */
            struct customer c;
            rc = load_customer(&s->cache, cmd->tenant_id, customer_id, "customer_id", &c,
                               &cmd->arena, &cmd->err);
            if (rc == 0 && c.merged_into != 0) { /* an old token of a merged customer */
                m->author_id = customer_id = c.merged_into;
                rc = append(s, cmd, OPEN_OF, customer_id, m, &json);
            }
            if (rc == 1 || (rc == 0 && json == NULL)) {
                rc = open_for_widget(s, cmd, customer_id, m->created_at, &conv_id);
                m->conversation_id = conv_id;
                if (rc == 0) rc = w_append_message(s, cmd, m, &json);
            }
        }
    }
    if (rc != 0) return rc;
    cmd->result_id = m->id;
    cmd->result_id2 = m->conversation_id;
    cmd->created = true;
    /* {"message":Message,"conversation_id":N}, concatenated: the Message is already JSON. */
    size_t len = strlen(json);
    char *out = arena_alloc(&cmd->arena, len + 64);
    if (out != NULL) {
        memcpy(out, "{\"message\":", 11);
        memcpy(out + 11, json, len);
        snprintf(out + 11 + len, 53, ",\"conversation_id\":%lld}", (long long)m->conversation_id);
    }
    cmd->result_json = out;
    if (cmd->result_json == NULL)
        return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory rendering a message");
    return 0;
}
