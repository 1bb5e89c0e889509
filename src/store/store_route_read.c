/* Reads of the routing tables (migration_route): queues, routing profiles, presence, SLA
 * policies, settings, call-backs and transfers, plus what the routing service resumes from. */
#include "store_int.h"

#include <jansson.h>
#include <string.h>

static int enum_col(sqlite3_stmt *st, int col, int (*parse)(const char *))
{
    int v = parse((const char *)sqlite3_column_text(st, col));
    return v < 0 ? 0 : v;
}

/* [{"after_s","relax_levels","add_teams"}] as stored by cmd_put_queue (already checked). */
static void steps_from_json(const char *text, struct route_queue *q, struct arena *a)
{
    json_t *arr = text != NULL ? json_loads(text, 0, NULL) : NULL;
    size_t i;
    json_t *it;
    json_array_foreach(arr, i, it)
    {
        if (q->n_steps == QUEUE_MAX_STEPS) break;
        struct queue_step *st = &q->steps[q->n_steps++];
        st->after_s = (int)json_integer_value(json_object_get(it, "after_s"));
        st->relax_levels = (int)json_integer_value(json_object_get(it, "relax_levels"));
        json_t *teams = json_object_get(it, "add_teams");
        size_t n = json_array_size(teams);
        st->add_teams = n > 0 ? arena_alloc(a, n * sizeof(char *)) : NULL;
        for (size_t k = 0; st->add_teams != NULL && k < n; k++) {
            const char *t = json_string_value(json_array_get(teams, k));
            if (t != NULL) st->add_teams[st->n_add_teams++] = arena_strdup(a, t);
        }
    }
    json_decref(arr);
}

void row_queue(sqlite3_stmt *st, struct route_queue *q, struct arena *a)
{
    memset(q, 0, sizeof(*q));
    q->id = sqlite3_column_int64(st, 0);
    q->tenant_id = sqlite3_column_int64(st, 1);
    q->name = col_text(st, 2, a);
    q->skills = strings_from_json((const char *)sqlite3_column_text(st, 3), &q->n_skills, a);
    q->language = col_text(st, 4, a);
    q->priority_class = sqlite3_column_int(st, 5);
    q->reasons = strings_from_json((const char *)sqlite3_column_text(st, 6), &q->n_reasons, a);
    q->team = col_text(st, 7, a);
    q->is_default = sqlite3_column_int(st, 8) != 0;
    steps_from_json((const char *)sqlite3_column_text(st, 9), q, a);
    q->created_at = sqlite3_column_int64(st, 10);
    q->updated_at = sqlite3_column_int64(st, 11);
}

void row_callback(sqlite3_stmt *st, struct callback *cb, struct arena *a)
{
    memset(cb, 0, sizeof(*cb));
    cb->id = sqlite3_column_int64(st, 0);
    cb->tenant_id = sqlite3_column_int64(st, 1);
    cb->customer_id = sqlite3_column_int64(st, 2);
    cb->at = sqlite3_column_int64(st, 3);
    cb->note = col_text(st, 4, a);
    cb->booked_by = col_text(st, 5, a);
    cb->status = (enum callback_status)enum_col(st, 6, callback_status_parse);
    cb->conversation_id = sqlite3_column_int64(st, 7);
    cb->channel = (enum channel)enum_col(st, 8, channel_parse);
    cb->created_at = sqlite3_column_int64(st, 9);
}

int load_queue(struct stmt_cache *c, int64_t tenant_id, int64_t id, const char *field,
               struct route_queue *out, struct arena *a, struct parley_err *err)
{
    sqlite3_stmt *st = stmt_get(
        c, "SELECT " QUEUE_COLS " FROM route_queues WHERE id = ?1 AND tenant_id = ?2", err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, tenant_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) row_queue(st, out, a);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return 0;
    if (rc != SQLITE_DONE) return db_fail(err, c->db, "reading a queue");
    return parley_fail(err, PARLEY_ENOTFOUND, field != NULL ? field : "id",
                       "queue %lld does not exist", (long long)id);
}

int store_list_queues(struct store_reader *r, int64_t tenant_id, struct route_queue **out,
                      size_t *n, struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    sqlite3_stmt *st = stmt_get(
        &r->cache, "SELECT " QUEUE_COLS " FROM route_queues WHERE tenant_id = ?1 ORDER BY id", err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, tenant_id);
    struct rows it = rows_begin(st, sizeof(**out), 0, 0);
    for (struct route_queue *q; (q = rows_next(&it, a)) != NULL;) row_queue(st, q, a);
    int rc = rows_end(&it, r->db, "listing queues", err);
    *out = it.items;
    *n = it.n;
    return rc;
}

int store_get_queue(struct store_reader *r, int64_t tenant_id, int64_t id, struct route_queue *out,
                    struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    return load_queue(&r->cache, tenant_id, id, "id", out, a, err);
}

static void row_profile(sqlite3_stmt *st, struct route_profile *p)
{
    route_profile_default(p);
    p->user_id = sqlite3_column_int64(st, 0);
    p->tenant_id = sqlite3_column_int64(st, 1);
    json_t *cap = json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL);
    for (int c = 0; c < CHANNEL__COUNT; c++) {
        json_t *v = json_object_get(cap, channel_name((enum channel)c));
        p->capacity[c] = json_is_integer(v) ? (int)json_integer_value(v) : 0;
    }
    json_decref(cap);
    p->wrap_up_s = sqlite3_column_int(st, 3);
    p->accept_required = sqlite3_column_int(st, 4) != 0;
    p->accept_timeout_s = sqlite3_column_int(st, 5);
    p->updated_at = sqlite3_column_int64(st, 6);
}

#define PROFILE_COLS                                                                               \
    "user_id, tenant_id, capacity, wrap_up_s, accept_required, accept_timeout_s, updated_at"

int store_get_routing_profile(struct store_reader *r, int64_t tenant_id, int64_t user_id,
                              struct route_profile *out, struct parley_err *err)
{
    STORE_ERR(err);
    sqlite3_stmt *st =
        stmt_get(&r->cache, "SELECT 1 FROM users WHERE id = ?1 AND tenant_id = ?2", err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, user_id);
    sqlite3_bind_int64(st, 2, tenant_id);
    int step = sqlite3_step(st);
    sqlite3_reset(st);
    if (step == SQLITE_DONE)
        return parley_fail(err, PARLEY_ENOTFOUND, "id", "user %lld does not exist",
                           (long long)user_id);
    if (step != SQLITE_ROW) return db_fail(err, r->db, "reading a user");
    st = stmt_get(&r->cache,
                  "SELECT " PROFILE_COLS " FROM route_profiles WHERE user_id = ?1"
                  " AND tenant_id = ?2",
                  err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, user_id);
    sqlite3_bind_int64(st, 2, tenant_id);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        row_profile(st, out);
    } else {
        route_profile_default(out);
        out->user_id = user_id;
        out->tenant_id = tenant_id;
    }
    sqlite3_reset(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE) return db_fail(err, r->db, "reading a profile");
    return 0;
}

int store_list_routing_profiles(struct store_reader *r, int64_t tenant_id,
                                struct route_profile **out, size_t *n, struct arena *a,
                                struct parley_err *err)
{
    STORE_ERR(err);
    sqlite3_stmt *st = stmt_get(
        &r->cache, "SELECT " PROFILE_COLS " FROM route_profiles WHERE tenant_id = ?1", err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, tenant_id);
    struct rows it = rows_begin(st, sizeof(**out), 0, 0);
    for (struct route_profile *p; (p = rows_next(&it, a)) != NULL;) row_profile(st, p);
    int rc = rows_end(&it, r->db, "listing routing profiles", err);
    *out = it.items;
    *n = it.n;
    return rc;
}

int store_list_presence(struct store_reader *r, int64_t tenant_id, struct presence_state **out,
                        size_t *n, struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    sqlite3_stmt *st = stmt_get(&r->cache,
                                "SELECT user_id, tenant_id, status, automatic, since"
                                " FROM route_presence WHERE tenant_id = ?1 ORDER BY user_id",
                                err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, tenant_id);
    struct rows it = rows_begin(st, sizeof(**out), 0, 0);
    for (struct presence_state *p; (p = rows_next(&it, a)) != NULL;) {
        memset(p, 0, sizeof(*p));
        p->user_id = sqlite3_column_int64(st, 0);
        p->tenant_id = sqlite3_column_int64(st, 1);
        p->status = (enum presence)enum_col(st, 2, presence_parse);
        p->automatic = sqlite3_column_int(st, 3) != 0;
        p->since = sqlite3_column_int64(st, 4);
    }
    int rc = rows_end(&it, r->db, "listing presence", err);
    *out = it.items;
    *n = it.n;
    return rc;
}

int store_list_sla_policies(struct store_reader *r, int64_t tenant_id, struct sla_policy **out,
                            size_t *n, struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    sqlite3_stmt *st = stmt_get(&r->cache,
                                "SELECT id, tenant_id, priority, vulnerable, first_response_ms,"
                                " next_response_ms, resolution_ms, warning_pct, updated_at"
                                " FROM sla_policies WHERE tenant_id = ?1 ORDER BY id",
                                err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, tenant_id);
    struct rows it = rows_begin(st, sizeof(**out), 0, 0);
    for (struct sla_policy *p; (p = rows_next(&it, a)) != NULL;) {
        memset(p, 0, sizeof(*p));
        p->id = sqlite3_column_int64(st, 0);
        p->tenant_id = sqlite3_column_int64(st, 1);
        p->priority = (enum priority)enum_col(st, 2, priority_parse);
        p->vulnerable = sqlite3_column_int(st, 3) != 0;
        p->first_response_ms = sqlite3_column_int64(st, 4);
        p->next_response_ms = sqlite3_column_int64(st, 5);
        p->resolution_ms = sqlite3_column_int64(st, 6);
        p->warning_pct = sqlite3_column_int(st, 7);
        p->updated_at = sqlite3_column_int64(st, 8);
    }
    int rc = rows_end(&it, r->db, "listing SLA policies", err);
    *out = it.items;
    *n = it.n;
    return rc;
}

int store_get_route_settings(struct store_reader *r, int64_t tenant_id, struct route_settings *out,
                             struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    memset(out, 0, sizeof(*out));
    out->tenant_id = tenant_id;
    out->sticky_window_s = 86400;
    out->ageing_milli_per_min = 100;
    sqlite3_stmt *st = stmt_get(&r->cache,
                                "SELECT calendar, specialist_team, sticky_window_s,"
                                " ageing_milli_per_min, updated_at"
                                " FROM route_settings WHERE tenant_id = ?1",
                                err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, tenant_id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        out->calendar_json = col_text(st, 0, a);
        out->specialist_team = col_text(st, 1, a);
        out->sticky_window_s = sqlite3_column_int(st, 2);
        out->ageing_milli_per_min = sqlite3_column_int(st, 3);
        out->updated_at = sqlite3_column_int64(st, 4);
    }
    sqlite3_reset(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return db_fail(err, r->db, "reading routing settings");
    return 0;
}

int store_list_callbacks(struct store_reader *r, int64_t tenant_id, const struct callback_filter *f,
                         const struct store_page *page, struct callback **out, size_t *n,
                         int64_t *next, struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    int limit = page_limit(page);
    sqlite3_stmt *st = stmt_get(&r->cache,
                                "SELECT " CALLBACK_COLS " FROM callbacks WHERE tenant_id = ?1"
                                " AND id > ?2 AND (?3 < 0 OR status = ?4)"
                                " AND (?5 = 0 OR customer_id = ?5) ORDER BY id LIMIT ?6",
                                err);
    if (st == NULL) return err->code;
    int status = f != NULL ? f->status : -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, page != NULL ? page->after : 0);
    sqlite3_bind_int(st, 3, status);
    bind_text(st, 4, status >= 0 ? callback_status_name((enum callback_status)status) : "");
    sqlite3_bind_int64(st, 5, f != NULL ? f->customer_id : 0);
    sqlite3_bind_int(st, 6, limit + 1);
    struct rows it = rows_begin(st, sizeof(**out), limit, 0);
    for (struct callback *cb; (cb = rows_next(&it, a)) != NULL;) row_callback(st, cb, a);
    int rc = rows_end(&it, r->db, "listing call-backs", err);
    *out = it.items;
    *n = it.n;
    *next = it.next;
    return rc;
}

int store_last_transfer(struct store_reader *r, int64_t tenant_id, int64_t conversation_id,
                        struct transfer *out, struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    sqlite3_stmt *st = stmt_get(&r->cache,
                                "SELECT id, conversation_id, from_user, to_user, to_team, to_queue,"
                                " note, message_id, at FROM transfers WHERE conversation_id = ?1"
                                " AND tenant_id = ?2 ORDER BY id DESC LIMIT 1",
                                err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, conversation_id);
    sqlite3_bind_int64(st, 2, tenant_id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        memset(out, 0, sizeof(*out));
        out->id = sqlite3_column_int64(st, 0);
        out->tenant_id = tenant_id;
        out->conversation_id = sqlite3_column_int64(st, 1);
        out->from_user = sqlite3_column_int64(st, 2);
        out->to_user = sqlite3_column_int64(st, 3);
        out->to_team = sqlite3_column_int64(st, 4);
        out->to_queue = sqlite3_column_int64(st, 5);
        out->note = col_text(st, 6, a);
        out->message_id = sqlite3_column_int64(st, 7);
        out->at = sqlite3_column_int64(st, 8);
    }
    sqlite3_reset(st);
    if (step == SQLITE_ROW) return 0;
    if (step != SQLITE_DONE) return db_fail(err, r->db, "reading a transfer");
    return parley_fail(err, PARLEY_ENOTFOUND, "conversation_id",
                       "conversation %lld has no transfer", (long long)conversation_id);
}

int store_list_tenant_ids(struct store_reader *r, int64_t **out, size_t *n, struct arena *a,
                          struct parley_err *err)
{
    STORE_ERR(err);
    sqlite3_stmt *st = stmt_get(&r->cache, "SELECT id FROM tenants ORDER BY id", err);
    if (st == NULL) return err->code;
    struct rows it = rows_begin(st, sizeof(**out), 0, 0);
    for (int64_t *id; (id = rows_next(&it, a)) != NULL;) *id = sqlite3_column_int64(st, 0);
    int rc = rows_end(&it, r->db, "listing tenants", err);
    *out = it.items;
    *n = it.n;
    return rc;
}

int store_list_routing_work(struct store_reader *r, int64_t tenant_id,
                            const struct store_page *page, struct conversation **out, size_t *n,
                            int64_t *next, struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    int limit = page_limit(page);
    sqlite3_stmt *st =
        stmt_get(&r->cache,
                 "SELECT " CONV_COLS " FROM conversations INDEXED BY conversations_routing"
                 " WHERE tenant_id = ?1 AND id > ?2"
                 " AND status IN ('queued','assigned','pending_customer') ORDER BY id LIMIT ?3",
                 err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, page != NULL ? page->after : 0);
    sqlite3_bind_int(st, 3, limit + 1);
    struct rows it = rows_begin(st, sizeof(**out), limit, 0);
    for (struct conversation *c; (c = rows_next(&it, a)) != NULL;) row_conversation(st, c, a);
    int rc = rows_end(&it, r->db, "listing waiting work", err);
    *out = it.items;
    *n = it.n;
    *next = it.next;
    return rc;
}

int store_last_adviser(struct store_reader *r, int64_t tenant_id, int64_t customer_id,
                       int64_t exclude_conversation, int64_t since, int64_t *user_id, int64_t *at,
                       struct parley_err *err)
{
    STORE_ERR(err);
    *user_id = 0;
    *at = 0;
    sqlite3_stmt *st =
        stmt_get(&r->cache,
                 "SELECT owner_id, updated_at FROM conversations WHERE customer_id = ?1"
                 " AND tenant_id = ?2 AND id <> ?3 AND owner_id <> 0"
                 " AND updated_at >= ?4 ORDER BY updated_at DESC LIMIT 1",
                 err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, customer_id);
    sqlite3_bind_int64(st, 2, tenant_id);
    sqlite3_bind_int64(st, 3, exclude_conversation);
    sqlite3_bind_int64(st, 4, since);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        *user_id = sqlite3_column_int64(st, 0);
        *at = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return db_fail(err, r->db, "reading the last adviser");
    return 0;
}

int store_list_teams(struct store_reader *r, int64_t tenant_id, struct team **out, size_t *n,
                     struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    sqlite3_stmt *st = stmt_get(
        &r->cache, "SELECT id, tenant_id, slug, name FROM teams WHERE tenant_id = ?1 ORDER BY id",
        err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, tenant_id);
    struct rows it = rows_begin(st, sizeof(**out), 0, 0);
    for (struct team *t; (t = rows_next(&it, a)) != NULL;) {
        t->id = sqlite3_column_int64(st, 0);
        t->tenant_id = sqlite3_column_int64(st, 1);
        t->slug = col_text(st, 2, a);
        t->name = col_text(st, 3, a);
    }
    int rc = rows_end(&it, r->db, "listing teams", err);
    *out = it.items;
    *n = it.n;
    return rc;
}

int store_list_queue_waiting(struct store_reader *r, int64_t tenant_id, int64_t queue_id,
                             struct conversation **out, size_t *n, struct arena *a,
                             struct parley_err *err)
{
    STORE_ERR(err);
    sqlite3_stmt *st =
        stmt_get(&r->cache,
                 "SELECT " CONV_COLS " FROM conversations"
                 " WHERE tenant_id = ?1 AND status IN ('queued','assigned','pending_customer')"
                 " AND status = 'queued' AND owner_id = 0 AND queue_id = ?2"
                 " ORDER BY queued_at, id LIMIT 1000",
                 err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, queue_id);
    struct rows it = rows_begin(st, sizeof(**out), 0, 0);
    for (struct conversation *c; (c = rows_next(&it, a)) != NULL;) row_conversation(st, c, a);
    int rc = rows_end(&it, r->db, "listing waiting work", err);
    *out = it.items;
    *n = it.n;
    return rc;
}

int store_list_adviser_work(struct store_reader *r, int64_t tenant_id, struct adviser_work **out,
                            size_t *n, struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    sqlite3_stmt *st =
        stmt_get(&r->cache,
                 "SELECT owner_id, id, channel FROM conversations"
                 " WHERE tenant_id = ?1 AND status IN ('queued','assigned','pending_customer')"
                 " AND status IN ('assigned','pending_customer')"
                 " AND owner_id <> 0 ORDER BY owner_id, id",
                 err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, tenant_id);
    struct rows it = rows_begin(st, sizeof(**out), 0, 0);
    for (struct adviser_work *w; (w = rows_next(&it, a)) != NULL;) {
        w->user_id = sqlite3_column_int64(st, 0);
        w->conversation_id = sqlite3_column_int64(st, 1);
        w->channel = (enum channel)enum_col(st, 2, channel_parse);
    }
    int rc = rows_end(&it, r->db, "listing advisers' work", err);
    *out = it.items;
    *n = it.n;
    return rc;
}
