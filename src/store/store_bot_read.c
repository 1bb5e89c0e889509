/* Reads of the virtual agent (issue 3): the triage policy, the bot's state per conversation,
 * the sweeps (confirmations past their due time, customer messages left unanswered by a
 * restart), open hand-offs and the counters behind GET /api/v1/bot/stats. */
#include "store_int.h"

#include <string.h>

int store_bot_get_policy(struct store_reader *r, int64_t tenant_id, const char **json,
                         struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    *json = NULL;
    sqlite3_stmt *st =
        stmt_get(&r->cache, "SELECT policy FROM bot_policies WHERE tenant_id = ?1", err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, tenant_id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) *json = col_text(st, 0, a);
    sqlite3_reset(st);
    if (step == SQLITE_DONE)
        return parley_fail(err, PARLEY_ENOTFOUND, "policy", "no bot policy has been set");
    if (step != SQLITE_ROW) return db_fail(err, r->db, "reading the bot policy");
    return *json != NULL ? 0 : parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
}

int store_bot_get_state(struct store_reader *r, int64_t tenant_id, int64_t conversation_id,
                        struct bot_conv_state *out, struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    memset(out, 0, sizeof(*out));
    sqlite3_stmt *st = stmt_get(&r->cache,
                                "SELECT state, outcome, handled_seq, last_seq,"
                                " coalesce(resolve_due_at, 0) FROM bot_conversations"
                                " WHERE conversation_id = ?1 AND tenant_id = ?2",
                                err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, conversation_id);
    sqlite3_bind_int64(st, 2, tenant_id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        out->state = col_text(st, 0, a);
        const char *o = (const char *)sqlite3_column_text(st, 1);
        out->outcome = o == NULL                    ? BOT_OUTCOME_ACTIVE
                       : strcmp(o, "resolved") == 0 ? BOT_OUTCOME_RESOLVED
                       : strcmp(o, "handoff") == 0  ? BOT_OUTCOME_HANDOFF
                                                    : BOT_OUTCOME_ACTIVE;
        out->handled_seq = sqlite3_column_int64(st, 2);
        out->last_seq = sqlite3_column_int64(st, 3);
        out->resolve_due_at = sqlite3_column_int64(st, 4);
    }
    sqlite3_reset(st);
    if (step == SQLITE_DONE)
        return parley_fail(err, PARLEY_ENOTFOUND, "conversation_id", "no bot state");
    if (step != SQLITE_ROW) return db_fail(err, r->db, "reading the bot's state");
    return out->state != NULL ? 0 : parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
}

static int list_due(struct store_reader *r, sqlite3_stmt *st, int limit, struct bot_due **out,
                    size_t *n, struct arena *a, struct parley_err *err)
{
    struct rows it = rows_begin(st, sizeof(struct bot_due), 0, 0);
    for (struct bot_due *d; (int)it.n < limit && (d = rows_next(&it, a)) != NULL;) {
        d->tenant_id = sqlite3_column_int64(st, 0);
        d->conversation_id = sqlite3_column_int64(st, 1);
    }
    int rc = rows_end(&it, r->db, "listing bot conversations", err);
    *out = it.items;
    *n = it.n;
    return rc;
}

int store_bot_list_due(struct store_reader *r, int64_t now, int limit, struct bot_due **out,
                       size_t *n, struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = stmt_get(&r->cache,
                                "SELECT tenant_id, conversation_id FROM bot_conversations"
                                " INDEXED BY bot_conversations_due"
                                " WHERE resolve_due_at IS NOT NULL AND resolve_due_at <= ?1"
                                " ORDER BY resolve_due_at LIMIT ?2",
                                err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, limit);
    return list_due(r, st, limit, out, n, a, err);
}

int store_bot_list_unanswered(struct store_reader *r, int limit, struct bot_due **out, size_t *n,
                              struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    *out = NULL;
    *n = 0;
    /* Conversations with the bot whose newest message is the customer's and has no turn. */
    sqlite3_stmt *st =
        stmt_get(&r->cache,
                 "SELECT c.tenant_id, c.id FROM conversations c INDEXED BY conversations_bot"
                 " LEFT JOIN bot_conversations b ON b.conversation_id = c.id"
                 " JOIN messages m ON m.conversation_id = c.id AND m.seq = c.last_seq"
                 " WHERE c.status = 'bot' AND m.sender = 'customer'"
                 " AND c.last_seq > coalesce(b.handled_seq, 0) ORDER BY c.id LIMIT ?1",
                 err);
    if (st == NULL) return err->code;
    sqlite3_bind_int(st, 1, limit);
    return list_due(r, st, limit, out, n, a, err);
}

int store_bot_open_handoff(struct store_reader *r, int64_t tenant_id, int64_t conversation_id,
                           int64_t *at, struct parley_err *err)
{
    STORE_ERR(err);
    sqlite3_stmt *st = stmt_get(&r->cache,
                                "SELECT at FROM bot_handoffs WHERE conversation_id = ?1"
                                " AND tenant_id = ?2 AND first_reply_at IS NULL",
                                err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, conversation_id);
    sqlite3_bind_int64(st, 2, tenant_id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) *at = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (step == SQLITE_ROW) return 0;
    if (step != SQLITE_DONE) return db_fail(err, r->db, "reading a hand-off");
    return parley_fail(err, PARLEY_ENOTFOUND, "conversation_id", "no open hand-off");
}

int store_bot_stats(struct store_reader *r, int64_t tenant_id, struct bot_stats *out,
                    struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    memset(out, 0, sizeof(*out));
    sqlite3_stmt *st =
        stmt_get(&r->cache,
                 "SELECT count(*), coalesce(sum(outcome = 'active'), 0),"
                 " coalesce(sum(outcome = 'resolved'), 0),"
                 " coalesce(sum(outcome = 'resolved' AND resolved_how = 'confirmed'), 0),"
                 " coalesce(sum(outcome = 'resolved' AND resolved_how = 'timeout'), 0)"
                 " FROM bot_conversations WHERE tenant_id = ?1",
                 err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, tenant_id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        out->conversations = sqlite3_column_int64(st, 0);
        out->active = sqlite3_column_int64(st, 1);
        out->resolved = sqlite3_column_int64(st, 2);
        out->resolved_confirmed = sqlite3_column_int64(st, 3);
        out->resolved_timeout = sqlite3_column_int64(st, 4);
    }
    sqlite3_reset(st);
    if (step != SQLITE_ROW) return db_fail(err, r->db, "counting bot conversations");

    st = stmt_get(&r->cache,
                  "SELECT reason, count(*), coalesce(sum(first_reply_at IS NOT NULL), 0),"
                  " coalesce(sum(first_reply_at - at), 0),"
                  " coalesce(sum(conversation_id NOT IN (SELECT conversation_id"
                  " FROM bot_conversations WHERE tenant_id = ?1)), 0)"
                  " FROM bot_handoffs WHERE tenant_id = ?1 GROUP BY reason ORDER BY reason",
                  err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, tenant_id);
    int64_t total_ms = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t n = sqlite3_column_int64(st, 1);
        out->handoffs += n;
        out->first_replies += sqlite3_column_int64(st, 2);
        total_ms += sqlite3_column_int64(st, 3);
        out->conversations += sqlite3_column_int64(st, 4); /* bypassed the bot entirely */
        if (out->n_reasons < BOT_STATS_MAX_REASONS) {
            out->by_reason[out->n_reasons].reason = col_text(st, 0, a);
            out->by_reason[out->n_reasons].n = n;
            out->n_reasons++;
        }
    }
    sqlite3_reset(st);
    if (step != SQLITE_DONE) return db_fail(err, r->db, "counting hand-offs");
    if (out->first_replies > 0) out->first_reply_avg_ms = total_ms / out->first_replies;
    return 0;
}
