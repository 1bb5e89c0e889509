/* Reads for conversations and what hangs off them: conversations (filtered, newest first),
 * messages (by seq), receipts, the audit log, the event log for live-stream resume, and
 * database-wide counters. */
#include "store_int.h"

#include <stdio.h>
#include <string.h>

/* The conversation exists in this tenant (ENOTFOUND otherwise, like a missing id). */
static int check_conversation(struct store_reader *r, int64_t tenant_id, int64_t id,
                              struct parley_err *err)
{
    sqlite3_stmt *st =
        stmt_get(&r->cache, "SELECT 1 FROM conversations WHERE id = ?1 AND tenant_id = ?2", err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, tenant_id);
    int step = sqlite3_step(st);
    sqlite3_reset(st);
    if (step == SQLITE_ROW) return 0;
    if (step != SQLITE_DONE) return db_fail(err, r->db, "reading a conversation");
    return parley_fail(err, PARLEY_ENOTFOUND, "id", "conversation %lld does not exist",
                       (long long)id);
}

int store_get_conversation(struct store_reader *r, int64_t tenant_id, int64_t id,
                           struct conversation *out, struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    return load_conversation(&r->cache, tenant_id, id, "id", out, a, err);
}

int store_get_conversation_at(struct store_reader *r, int64_t tenant_id, int64_t id,
                              struct conversation *out, int64_t *event_hw, struct arena *a,
                              struct parley_err *err)
{
    STORE_ERR(err);
    sqlite3_stmt *st = stmt_get(&r->cache,
                                "SELECT " CONV_COLS ", (SELECT coalesce(max(id), 0) FROM events)"
                                " FROM conversations WHERE id = ?1 AND tenant_id = ?2",
                                err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, tenant_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        row_conversation(st, out, a);
        *event_hw = sqlite3_column_int64(st, sqlite3_column_count(st) - 1);
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return parley_fail(err, PARLEY_ENOTFOUND, "id", "conversation %lld does not exist",
                           (long long)id);
    return rc == SQLITE_ROW ? 0 : db_fail(err, r->db, "reading a conversation");
}

int store_list_conversations(struct store_reader *r, int64_t tenant_id,
                             const struct conversation_filter *f, const struct store_page *page,
                             struct conversation **out, size_t *n, int64_t *next, struct arena *a,
                             struct parley_err *err)
{
    STORE_ERR(err);
    *out = NULL;
    *n = 0;
    *next = 0;
    int limit = page_limit(page);
    struct conversation_filter none = {.status = -1};
    if (f == NULL) f = &none;
    /* Only the filters in use go into the SQL, so each can use its index (customer, assignee)
     * rather than the planner seeing "(?3 = 0 OR …)" and walking the whole tenant. */
    char sql[1024];
    int len = snprintf(sql, sizeof(sql),
                       "SELECT " CONV_COLS " FROM conversations WHERE tenant_id = ?1"
                       " AND (?2 = 0 OR id < ?2)");
    if (f->status >= 0) len += snprintf(sql + len, sizeof(sql) - (size_t)len, " AND status = ?3");
    if (f->customer_id > 0)
        len += snprintf(sql + len, sizeof(sql) - (size_t)len, " AND customer_id = ?4");
    if (f->assignee_id > 0)
        len += snprintf(sql + len, sizeof(sql) - (size_t)len,
                        " AND id IN (SELECT conversation_id FROM conversation_assignees"
                        " WHERE tenant_id = ?1 AND user_id = ?5)");
    else if (f->assignee_id < 0)
        len += snprintf(sql + len, sizeof(sql) - (size_t)len, " AND owner_id = 0");
    if (f->updated_since > 0)
        len += snprintf(sql + len, sizeof(sql) - (size_t)len, " AND updated_at >= ?6");
    snprintf(sql + len, sizeof(sql) - (size_t)len, " ORDER BY id DESC LIMIT ?7");
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(r->db, sql, -1, 0, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return db_fail(err, r->db, "listing conversations");
    }
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, page != NULL ? page->after : 0);
    if (f->status >= 0) bind_text(st, 3, conv_status_name((enum conv_status)f->status));
    if (f->customer_id > 0) sqlite3_bind_int64(st, 4, f->customer_id);
    if (f->assignee_id > 0) sqlite3_bind_int64(st, 5, f->assignee_id);
    if (f->updated_since > 0) sqlite3_bind_int64(st, 6, f->updated_since);
    sqlite3_bind_int(st, 7, limit + 1);
    struct rows it = rows_begin(st, sizeof(**out), limit, 0 /* id */);
    for (struct conversation *c; (c = rows_next(&it, a)) != NULL;) row_conversation(st, c, a);
    int rc = rows_end(&it, r->db, "listing conversations", err);
    sqlite3_finalize(st); /* prepared for this filter only */
    *out = it.items;
    *n = it.n;
    *next = it.next;
    return rc;
}

int store_list_messages(struct store_reader *r, int64_t tenant_id, int64_t conversation_id,
                        bool include_internal, const struct store_page *page, struct message **out,
                        size_t *n, int64_t *next, struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    *out = NULL;
    *n = 0;
    *next = 0;
    int rc = check_conversation(r, tenant_id, conversation_id, err);
    if (rc != 0) return rc;
    int limit = page_limit(page);
    sqlite3_stmt *st = stmt_get(&r->cache,
                                "SELECT " MESSAGE_COLS " FROM messages WHERE conversation_id = ?1"
                                " AND seq > ?2 AND (?3 OR internal = 0) ORDER BY seq LIMIT ?4",
                                err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, conversation_id);
    sqlite3_bind_int64(st, 2, page != NULL ? page->after : 0);
    sqlite3_bind_int(st, 3, include_internal ? 1 : 0);
    sqlite3_bind_int(st, 4, limit + 1);
    struct rows it = rows_begin(st, sizeof(**out), limit, 3 /* seq */);
    for (struct message *m; (m = rows_next(&it, a)) != NULL;) row_message(st, m, a);
    rc = rows_end(&it, r->db, "listing messages", err);
    *out = it.items;
    *n = it.n;
    *next = it.next;
    return rc;
}

int store_list_receipts(struct store_reader *r, int64_t tenant_id, int64_t conversation_id,
                        struct receipt **out, size_t *n, struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    *out = NULL;
    *n = 0;
    int rc = check_conversation(r, tenant_id, conversation_id, err);
    if (rc != 0) return rc;
    sqlite3_stmt *st = stmt_get(&r->cache,
                                "SELECT " RECEIPT_COLS " FROM receipts WHERE conversation_id = ?1"
                                " AND tenant_id = ?2 ORDER BY participant",
                                err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, conversation_id);
    sqlite3_bind_int64(st, 2, tenant_id);
    struct rows it = rows_begin(st, sizeof(**out), 0, 0);
    for (struct receipt *rec; (rec = rows_next(&it, a)) != NULL;) row_receipt(st, rec, a);
    rc = rows_end(&it, r->db, "listing receipts", err);
    *out = it.items;
    *n = it.n;
    return rc;
}

int store_list_audit(struct store_reader *r, int64_t tenant_id, const struct audit_filter *f,
                     const struct store_page *page, struct audit_entry **out, size_t *n,
                     int64_t *next, struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    *out = NULL;
    *n = 0;
    *next = 0;
    int limit = page_limit(page);
    sqlite3_stmt *st = stmt_get(&r->cache,
                                "SELECT " AUDIT_COLS " FROM audit WHERE tenant_id = ?1"
                                " AND (?2 = 0 OR id < ?2) AND (?3 IS NULL OR action = ?3)"
                                " AND (?4 IS NULL OR object = ?4) AND (?5 IS NULL OR actor = ?5)"
                                " ORDER BY id DESC LIMIT ?6",
                                err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, page != NULL ? page->after : 0);
    bind_text(st, 3, f != NULL ? f->action : NULL);
    bind_text(st, 4, f != NULL ? f->object : NULL);
    bind_text(st, 5, f != NULL ? f->actor : NULL);
    sqlite3_bind_int(st, 6, limit + 1);
    struct rows it = rows_begin(st, sizeof(**out), limit, 0 /* id */);
    for (struct audit_entry *e; (e = rows_next(&it, a)) != NULL;) row_audit(st, e, a);
    int rc = rows_end(&it, r->db, "listing audit entries", err);
    *out = it.items;
    *n = it.n;
    *next = it.next;
    return rc;
}

int store_list_events(struct store_reader *r, int64_t tenant_id, int64_t after_id, int limit,
                      struct event **out, size_t *n, struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    *out = NULL;
    *n = 0;
    if (limit <= 0) limit = 100;
    if (limit > 10000) limit = 10000;
    sqlite3_stmt *st = stmt_get(&r->cache,
                                "SELECT " EVENT_COLS " FROM events WHERE tenant_id = ?1"
                                " AND id > ?2 ORDER BY id LIMIT ?3",
                                err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, after_id);
    sqlite3_bind_int(st, 3, limit); /* the caller's batch, not a page: no next cursor */
    struct rows it = rows_begin(st, sizeof(**out), 0, 0);
    for (struct event *e; (e = rows_next(&it, a)) != NULL;) row_event(st, e, a);
    int rc = rows_end(&it, r->db, "listing events", err);
    *out = it.items;
    *n = it.n;
    return rc;
}

int store_stats(struct store_reader *r, struct store_stats *out, struct parley_err *err)
{
    STORE_ERR(err);
    memset(out, 0, sizeof(*out));
    /* One statement, one snapshot: the counters agree with each other. */
    sqlite3_stmt *st = stmt_get(&r->cache,
                                "SELECT (SELECT count(*) FROM tenants),"
                                " (SELECT count(*) FROM customers WHERE merged_into IS NULL),"
                                " (SELECT count(*) FROM conversations),"
                                " (SELECT count(*) FROM messages), (SELECT count(*) FROM events)",
                                err);
    if (st == NULL) return err->code;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        out->tenants = sqlite3_column_int64(st, 0);
        out->customers = sqlite3_column_int64(st, 1);
        out->conversations = sqlite3_column_int64(st, 2);
        out->messages = sqlite3_column_int64(st, 3);
        out->events = sqlite3_column_int64(st, 4);
    }
    sqlite3_reset(st);
    return step == SQLITE_ROW ? 0 : db_fail(err, r->db, "counting");
}
