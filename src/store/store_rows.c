/* Row → struct loaders shared by the writer and the readers, so a Conversation read back from a
 * reader and one rendered by the writer for an event are built from the same columns; and the
 * one loop (rows_*) that collects a list query's rows into an arena array, page by page. */
#include "store_int.h"

#include <string.h>

static int enum_col(sqlite3_stmt *st, int col, int (*parse)(const char *))
{
    int v = parse((const char *)sqlite3_column_text(st, col));
    return v < 0 ? 0 : v;
}

void row_tenant(sqlite3_stmt *st, struct tenant *t, struct arena *a)
{
    memset(t, 0, sizeof(*t));
    t->id = sqlite3_column_int64(st, 0);
    t->slug = col_text(st, 1, a);
    t->name = col_text(st, 2, a);
    t->ref_prefix = col_text(st, 3, a);
    t->widget_secret = col_text(st, 4, a);
    t->token_key = col_text(st, 5, a);
    t->time_zone = col_text(st, 6, a);
    t->created_at = sqlite3_column_int64(st, 7);
}

void row_user(sqlite3_stmt *st, struct user *u, struct arena *a)
{
    memset(u, 0, sizeof(*u));
    u->id = sqlite3_column_int64(st, 0);
    u->tenant_id = sqlite3_column_int64(st, 1);
    u->email = col_text(st, 2, a);
    u->name = col_text(st, 3, a);
    u->role = (enum role)enum_col(st, 4, role_parse);
    u->skills = strings_from_json((const char *)sqlite3_column_text(st, 5), &u->n_skills, a);
    u->languages = strings_from_json((const char *)sqlite3_column_text(st, 6), &u->n_languages, a);
    u->team = col_text(st, 7, a);
    u->active = sqlite3_column_int(st, 8) != 0;
    u->created_at = sqlite3_column_int64(st, 9);
}

void row_customer(sqlite3_stmt *st, struct customer *c, struct arena *a)
{
    memset(c, 0, sizeof(*c));
    c->id = sqlite3_column_int64(st, 0);
    c->tenant_id = sqlite3_column_int64(st, 1);
    c->name = col_text(st, 2, a);
    c->locale = col_text(st, 3, a);
    c->time_zone = col_text(st, 4, a);
    c->preferred_channel = sqlite3_column_type(st, 5) == SQLITE_NULL
                               ? -1
                               : channel_parse((const char *)sqlite3_column_text(st, 5));
    c->needs = (unsigned)sqlite3_column_int64(st, 6) & NEED__ALL;
    c->needs_note = col_text(st, 7, a);
    c->prefers_person = sqlite3_column_int(st, 8) != 0;
    c->merged_into = sqlite3_column_int64(st, 9);
    c->created_at = sqlite3_column_int64(st, 10);
    c->updated_at = sqlite3_column_int64(st, 11);
}

void row_identity(sqlite3_stmt *st, struct identity *i, struct arena *a)
{
    memset(i, 0, sizeof(*i));
    i->id = sqlite3_column_int64(st, 0);
    i->tenant_id = sqlite3_column_int64(st, 1);
    i->customer_id = sqlite3_column_int64(st, 2);
    i->kind = (enum identity_kind)enum_col(st, 3, identity_kind_parse);
    i->value = col_text(st, 4, a);
    i->verified = sqlite3_column_int(st, 5) != 0;
    i->created_at = sqlite3_column_int64(st, 6);
}

void row_consent(sqlite3_stmt *st, struct consent *c, struct arena *a)
{
    memset(c, 0, sizeof(*c));
    c->id = sqlite3_column_int64(st, 0);
    c->tenant_id = sqlite3_column_int64(st, 1);
    c->customer_id = sqlite3_column_int64(st, 2);
    c->purpose = (enum consent_purpose)enum_col(st, 3, consent_purpose_parse);
    c->channel = (enum channel)enum_col(st, 4, channel_parse);
    c->granted = sqlite3_column_int(st, 5) != 0;
    c->source = col_text(st, 6, a);
    c->at = sqlite3_column_int64(st, 7);
}

void row_conversation(sqlite3_stmt *st, struct conversation *c, struct arena *a)
{
    memset(c, 0, sizeof(*c));
    c->id = sqlite3_column_int64(st, 0);
    c->tenant_id = sqlite3_column_int64(st, 1);
    c->customer_id = sqlite3_column_int64(st, 2);
    c->reference = col_text(st, 3, a);
    c->status = (enum conv_status)enum_col(st, 4, conv_status_parse);
    c->priority = (enum priority)enum_col(st, 5, priority_parse);
    c->subject = col_text(st, 6, a);
    c->contact_reason = col_text(st, 7, a);
    c->tags = strings_from_json((const char *)sqlite3_column_text(st, 8), &c->n_tags, a);
    int64_t ids[CORE_MAX_LIST];
    size_t n = ids_parse((const char *)sqlite3_column_text(st, 9), ids, CORE_MAX_LIST);
    c->assignees = arena_alloc(a, (n + 1) * sizeof(int64_t));
    if (c->assignees != NULL) {
        memcpy(c->assignees, ids, n * sizeof(int64_t));
        c->n_assignees = n;
    }
    c->channel = (enum channel)enum_col(st, 10, channel_parse);
    c->last_seq = sqlite3_column_int64(st, 11);
    c->created_at = sqlite3_column_int64(st, 12);
    c->updated_at = sqlite3_column_int64(st, 13);
    c->first_response_at = sqlite3_column_int64(st, 14);
    c->resolved_at = sqlite3_column_int64(st, 15);
    c->closed_at = sqlite3_column_int64(st, 16);
    c->queue_id = sqlite3_column_int64(st, 17);
    c->queue_name = col_text(st, 18, a);
    c->offer_user = sqlite3_column_int64(st, 19);
    c->offer_until = sqlite3_column_int64(st, 20);
    c->sla_policy = sqlite3_column_int64(st, 21);
    c->sla_first_response_due = sqlite3_column_int64(st, 22);
    c->sla_next_response_due = sqlite3_column_int64(st, 23);
    c->sla_resolution_due = sqlite3_column_int64(st, 24);
    c->sla_warned = (unsigned)sqlite3_column_int(st, 25);
    c->sla_breached = (unsigned)sqlite3_column_int(st, 26);
    c->queued_at = sqlite3_column_int64(st, 27);
}

void row_message(sqlite3_stmt *st, struct message *m, struct arena *a)
{
    memset(m, 0, sizeof(*m));
    m->id = sqlite3_column_int64(st, 0);
    m->tenant_id = sqlite3_column_int64(st, 1);
    m->conversation_id = sqlite3_column_int64(st, 2);
    m->seq = sqlite3_column_int64(st, 3);
    m->sender = (enum sender)enum_col(st, 4, sender_parse);
    m->author_id = sqlite3_column_int64(st, 5);
    m->channel = (enum channel)enum_col(st, 6, channel_parse);
    m->internal = sqlite3_column_int(st, 7) != 0;
    m->body = col_text(st, 8, a);
    m->created_at = sqlite3_column_int64(st, 9);
}

void row_receipt(sqlite3_stmt *st, struct receipt *r, struct arena *a)
{
    memset(r, 0, sizeof(*r));
    r->conversation_id = sqlite3_column_int64(st, 0);
    r->participant = col_text(st, 1, a);
    r->delivered_seq = sqlite3_column_int64(st, 2);
    r->read_seq = sqlite3_column_int64(st, 3);
    r->updated_at = sqlite3_column_int64(st, 4);
}

void row_audit(sqlite3_stmt *st, struct audit_entry *e, struct arena *a)
{
    memset(e, 0, sizeof(*e));
    e->id = sqlite3_column_int64(st, 0);
    e->tenant_id = sqlite3_column_int64(st, 1);
    e->actor = col_text(st, 2, a);
    e->action = col_text(st, 3, a);
    e->object = col_text(st, 4, a);
    e->detail = col_text(st, 5, a);
    e->at = sqlite3_column_int64(st, 6);
}

void row_event(sqlite3_stmt *st, struct event *e, struct arena *a)
{
    memset(e, 0, sizeof(*e));
    e->id = sqlite3_column_int64(st, 0);
    e->tenant_id = sqlite3_column_int64(st, 1);
    e->type = col_text(st, 2, a);
    e->conversation_id = sqlite3_column_int64(st, 3);
    e->customer_id = sqlite3_column_int64(st, 4);
    e->assignee_id = sqlite3_column_int64(st, 5);
    e->n_assignees = (int)ids_parse((const char *)sqlite3_column_text(st, 6), e->assignees, 8);
    e->audience = (unsigned)sqlite3_column_int(st, 7);
    e->data = col_text(st, 8, a);
    e->data_customer = col_text(st, 9, a);
    e->at = sqlite3_column_int64(st, 10);
}

int load_tenant(struct stmt_cache *c, int64_t id, struct tenant *out, struct arena *a,
                struct parley_err *err)
{
    sqlite3_stmt *st = stmt_get(c, "SELECT " TENANT_COLS " FROM tenants WHERE id = ?1", err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) row_tenant(st, out, a);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return 0;
    if (rc != SQLITE_DONE) return db_fail(err, c->db, "reading a tenant");
    return parley_fail(err, PARLEY_ENOTFOUND, "tenant", "tenant %lld does not exist",
                       (long long)id);
}

int load_user(struct stmt_cache *c, int64_t tenant_id, int64_t id, struct user *out,
              struct arena *a, struct parley_err *err)
{
    sqlite3_stmt *st =
        stmt_get(c, "SELECT " USER_COLS " FROM users u WHERE u.id = ?1 AND u.tenant_id = ?2", err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, tenant_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) row_user(st, out, a);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return 0;
    if (rc != SQLITE_DONE) return db_fail(err, c->db, "reading a user");
    return parley_fail(err, PARLEY_ENOTFOUND, "id", "user %lld does not exist", (long long)id);
}

int load_customer(struct stmt_cache *c, int64_t tenant_id, int64_t id, const char *field,
                  struct customer *out, struct arena *a, struct parley_err *err)
{
    sqlite3_stmt *st = stmt_get(
        c, "SELECT " CUSTOMER_COLS " FROM customers WHERE id = ?1 AND tenant_id = ?2", err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, tenant_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) row_customer(st, out, a);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return 0;
    if (rc != SQLITE_DONE) return db_fail(err, c->db, "reading a customer");
    return parley_fail(err, PARLEY_ENOTFOUND, field != NULL ? field : "id",
                       "customer %lld does not exist", (long long)id);
}

int load_identities(struct stmt_cache *c, int64_t tenant_id, int64_t customer_id,
                    struct identity **out, size_t *n, struct arena *a, struct parley_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = stmt_get(c,
                                "SELECT " IDENTITY_COLS " FROM identities"
                                " WHERE customer_id = ?1 AND tenant_id = ?2 ORDER BY id",
                                err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, customer_id);
    sqlite3_bind_int64(st, 2, tenant_id);
    struct rows it = rows_begin(st, sizeof(**out), 0, 0);
    for (struct identity *i; (i = rows_next(&it, a)) != NULL;) row_identity(st, i, a);
    int rc = rows_end(&it, c->db, "reading identities", err);
    if (rc != 0) return rc;
    *out = it.items != NULL ? it.items : arena_alloc(a, sizeof(**out)); /* empty is "[]" */
    *n = it.n;
    return 0;
}

int load_conversation(struct stmt_cache *c, int64_t tenant_id, int64_t id, const char *field,
                      struct conversation *out, struct arena *a, struct parley_err *err)
{
    sqlite3_stmt *st = stmt_get(
        c, "SELECT " CONV_COLS " FROM conversations WHERE id = ?1 AND tenant_id = ?2", err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, tenant_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) row_conversation(st, out, a);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return 0;
    if (rc != SQLITE_DONE) return db_fail(err, c->db, "reading a conversation");
    return parley_fail(err, PARLEY_ENOTFOUND, field != NULL ? field : "id",
                       "conversation %lld does not exist", (long long)id);
}

/* Grows an arena-backed array to hold n+1 items of elem bytes (copying the old items);
 * returns the array, or NULL when out of memory. */
static void *list_grow(struct arena *a, void *items, size_t n, size_t *cap, size_t elem)
{
    if (n < *cap) return items;
    size_t ncap = *cap == 0 ? 16 : *cap * 2;
    void *grown = arena_alloc(a, ncap * elem);
    if (grown == NULL) return NULL;
    if (n > 0) memcpy(grown, items, n * elem);
    *cap = ncap;
    return grown;
}

int page_limit(const struct store_page *page)
{
    if (page == NULL || page->limit <= 0) return 50;
    return page->limit > 200 ? 200 : page->limit;
}

struct rows rows_begin(sqlite3_stmt *st, size_t elem, int limit, int cursor_col)
{
    return (struct rows){.st = st, .elem = elem, .limit = limit, .cursor_col = cursor_col};
}

void *rows_next(struct rows *it, struct arena *a)
{
    it->step = sqlite3_step(it->st);
    if (it->step != SQLITE_ROW) return NULL;
    if (it->limit > 0 && it->n == (size_t)it->limit) { /* the extra row: a next page exists */
        it->next = it->last;
        return NULL;
    }
    void *grown = list_grow(a, it->items, it->n, &it->cap, it->elem);
    if (grown == NULL) {
        it->oom = true;
        return NULL;
    }
    it->items = grown;
    if (it->limit > 0) it->last = sqlite3_column_int64(it->st, it->cursor_col);
    return (char *)grown + it->n++ * it->elem;
}

int rows_end(struct rows *it, sqlite3 *db, const char *what, struct parley_err *err)
{
    sqlite3_reset(it->st); /* no read snapshot stays open, whatever happened */
    int rc = 0;
    if (it->step != SQLITE_DONE && it->step != SQLITE_ROW)
        rc = db_fail(err, db, what);
    else if (it->oom)
        rc = parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory %s", what);
    if (rc != 0) {
        it->items = NULL;
        it->n = 0;
        it->next = 0;
    }
    return rc;
}
