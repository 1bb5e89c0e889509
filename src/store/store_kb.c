/* Knowledge-base articles in SQLite: the write commands (create or upsert by slug, update,
 * delete; each audited, the FTS5 index kept in step by the triggers of migration_kb inside the
 * same transaction) and the reads (by id, by slug, pages). Search is in store_kb_search.c. */
#include "store_int.h"
#include "../core/core_json.h"

#include <stdio.h>
#include <string.h>

#define KB_COLS "id, tenant_id, slug, title, body, html, text, tags, status, created_at, updated_at"
#define KB_LIST_COLS                                                                               \
    "id, tenant_id, slug, title, NULL, NULL, NULL, tags, status, created_at, updated_at"

static void row_kb(sqlite3_stmt *st, struct kb_article *k, struct arena *a)
{
    memset(k, 0, sizeof(*k));
    k->id = sqlite3_column_int64(st, 0);
    k->tenant_id = sqlite3_column_int64(st, 1);
    k->slug = col_text(st, 2, a);
    k->title = col_text(st, 3, a);
    k->body = col_text(st, 4, a);
    k->html = col_text(st, 5, a);
    k->text = col_text(st, 6, a);
    k->tags = strings_from_json((const char *)sqlite3_column_text(st, 7), &k->n_tags, a);
    int status = kb_status_parse((const char *)sqlite3_column_text(st, 8));
    k->status = status < 0 ? KB_DRAFT : (enum kb_status)status;
    k->created_at = sqlite3_column_int64(st, 9);
    k->updated_at = sqlite3_column_int64(st, 10);
}

/* By id (slug NULL) or by slug, within the tenant. */
static int load_kb(struct stmt_cache *c, int64_t tenant_id, int64_t id, const char *slug,
                   struct kb_article *out, struct arena *a, struct parley_err *err)
{
    sqlite3_stmt *st =
        slug == NULL
            ? stmt_get(c, "SELECT " KB_COLS " FROM kb_articles WHERE id = ?1 AND tenant_id = ?2",
                       err)
            : stmt_get(c, "SELECT " KB_COLS " FROM kb_articles WHERE slug = ?1 AND tenant_id = ?2",
                       err);
    if (st == NULL) return err->code;
    if (slug == NULL)
        sqlite3_bind_int64(st, 1, id);
    else
        bind_text(st, 1, slug);
    sqlite3_bind_int64(st, 2, tenant_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) row_kb(st, out, a);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return 0;
    if (rc != SQLITE_DONE) return db_fail(err, c->db, "reading an article");
    if (slug != NULL)
        return parley_fail(err, PARLEY_ENOTFOUND, "slug", "there is no article '%s'", slug);
    return parley_fail(err, PARLEY_ENOTFOUND, "id", "article %lld does not exist", (long long)id);
}

/* ---- writes ------------------------------------------------------------------------------ */

static int check_article(struct store_cmd *cmd, const struct kb_article *k)
{
    struct parley_err *e = &cmd->err;
    int rc;
    if ((rc = kb_check_slug(k->slug, e)) != 0 || (rc = kb_check_title(k->title, e)) != 0 ||
        (rc = kb_check_body(k->body, k->body != NULL ? strlen(k->body) : 0, e)) != 0 ||
        (rc = kb_check_tags(k->tags, k->tags != NULL ? k->n_tags : 0, e)) != 0)
        return rc;
    if ((unsigned)k->status >= KB_STATUS__COUNT)
        return parley_fail(e, PARLEY_EINVAL, "status", "status must be published or draft");
    if (k->html == NULL || k->text == NULL)
        return parley_fail(e, PARLEY_EINTERNAL, "body", "the article was not rendered");
    return 0;
}

static int slug_taken(struct store *s, struct store_cmd *cmd, const char *slug, int64_t except)
{
    sqlite3_stmt *st = stmt_get(
        &s->cache, "SELECT id FROM kb_articles WHERE tenant_id = ?1 AND slug = ?2", &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    bind_text(st, 2, slug);
    int step = sqlite3_step(st);
    int64_t id = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return db_fail(&cmd->err, s->db, "checking the article slug");
    if (id != 0 && id != except)
        return parley_fail(&cmd->err, PARLEY_ECONFLICT, "slug",
                           "an article with the slug '%s' exists", slug);
    return 0;
}

/* The indexed columns of article id as stored (title, text, tags), for kb_terms_update. */
static int indexed_columns(struct store *s, struct store_cmd *cmd, int64_t id, const char *cols[3])
{
    sqlite3_stmt *st = stmt_get(
        &s->cache, "SELECT title, text, tags FROM kb_articles WHERE id = ?1 AND tenant_id = ?2",
        &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, cmd->tenant_id);
    int step = sqlite3_step(st);
    for (int c = 0; c < 3; c++) cols[c] = step == SQLITE_ROW ? col_text(st, c, &cmd->arena) : NULL;
    sqlite3_reset(st);
    if (step != SQLITE_ROW) return db_fail(&cmd->err, s->db, "reading an article");
    if (cols[0] == NULL || cols[1] == NULL || cols[2] == NULL)
        return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory reading an article");
    return 0;
}

/* Writes every column of k (an INSERT when k->id is 0), its search-term counts and the audit
 * row; fills k->id and the result. */
static int write_article(struct store *s, struct store_cmd *cmd, struct kb_article *k,
                         const char *action, const char *changed)
{
    char *tags = strings_to_json(k->tags, k->tags != NULL ? k->n_tags : 0, &cmd->arena);
    if (tags == NULL)
        return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory writing an article");
    bool insert = k->id == 0;
    int64_t now = w_time(0);
    if (insert) k->created_at = w_time(k->created_at);
    k->updated_at = insert ? k->created_at : now;
    const char *before[3], *after[3] = {k->title, k->text, tags};
    if (!insert && indexed_columns(s, cmd, k->id, before) != 0) return cmd->err.code;
    sqlite3_stmt *st =
        insert ? stmt_get(&s->cache,
                          "INSERT INTO kb_articles(tenant_id, slug, title, body, html, text, tags,"
                          " status, created_at, updated_at)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                          &cmd->err)
               : stmt_get(&s->cache,
                          "UPDATE kb_articles SET slug = ?2, title = ?3, body = ?4, html = ?5,"
                          " text = ?6, tags = ?7, status = ?8, updated_at = ?10"
                          " WHERE id = ?11 AND tenant_id = ?1",
                          &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    bind_text(st, 2, k->slug);
    bind_text(st, 3, k->title);
    bind_text(st, 4, k->body);
    bind_text(st, 5, k->html);
    bind_text(st, 6, k->text);
    bind_text(st, 7, tags);
    bind_text(st, 8, kb_status_name(k->status));
    if (insert) sqlite3_bind_int64(st, 9, k->created_at);
    sqlite3_bind_int64(st, 10, k->updated_at);
    if (!insert) sqlite3_bind_int64(st, 11, k->id);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "writing an article");
    if (insert) k->id = sqlite3_last_insert_rowid(s->db);
    if (kb_terms_update(s, cmd, k->id, insert ? NULL : before, after) != 0) return cmd->err.code;
    k->tenant_id = cmd->tenant_id;
    cmd->result_id = k->id;
    cmd->created = insert;
    int rc = w_audit(s, cmd, action, arena_printf(&cmd->arena, "kb_article:%lld", (long long)k->id),
                     arena_printf(&cmd->arena, "{\"slug\":\"%s\",\"fields\":%s}", k->slug, changed),
                     k->updated_at);
    if (rc != 0) return rc;
    cmd->result_json = core_json_dump(core_json_kb_article(k, true), &cmd->arena);
    if (cmd->result_json == NULL)
        return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory rendering the article");
    return 0;
}

int cmd_kb_put_article(struct store *s, struct store_cmd *cmd)
{
    struct kb_article k = cmd->in.kb_put.article;
    int rc = check_article(cmd, &k);
    if (rc != 0) return rc;
    struct kb_article old;
    struct parley_err ignored;
    rc = load_kb(&s->cache, cmd->tenant_id, 0, k.slug, &old, &cmd->arena, &ignored);
    if (rc != 0 && rc != PARLEY_ENOTFOUND) {
        cmd->err = ignored;
        return rc;
    }
    k.id = 0;
    if (rc == 0) {
        if (!cmd->in.kb_put.upsert)
            return parley_fail(&cmd->err, PARLEY_ECONFLICT, "slug",
                               "an article with the slug '%s' exists; change it with PATCH",
                               k.slug);
        k.id = old.id;
        k.created_at = old.created_at;
    }
    return write_article(s, cmd, &k, k.id == 0 ? "kb.article.create" : "kb.article.update",
                         "[\"slug\",\"title\",\"body\",\"tags\",\"status\"]");
}

int cmd_kb_update_article(struct store *s, struct store_cmd *cmd)
{
    const struct kb_article *in = &cmd->in.kb_update.article;
    unsigned set = cmd->in.kb_update.set;
    struct kb_article k;
    int rc = load_kb(&s->cache, cmd->tenant_id, in->id, NULL, &k, &cmd->arena, &cmd->err);
    if (rc != 0) return rc;
    if (set & KB_SET_SLUG) k.slug = in->slug;
    if (set & KB_SET_TITLE) k.title = in->title;
    if (set & KB_SET_BODY) {
        k.body = in->body;
        k.html = in->html;
        k.text = in->text;
    }
    if (set & KB_SET_TAGS) {
        k.tags = in->tags;
        k.n_tags = in->n_tags;
    }
    if (set & KB_SET_STATUS) k.status = in->status;
    if ((rc = check_article(cmd, &k)) != 0) return rc;
    if ((set & KB_SET_SLUG) && (rc = slug_taken(s, cmd, k.slug, k.id)) != 0) return rc;
    static const char *const names[] = {"slug", "title", "body", "tags", "status"};
    char changed[64] = "[";
    for (size_t i = 0; i < 5; i++)
        if (set & (1u << i))
            snprintf(changed + strlen(changed), sizeof(changed) - strlen(changed), "%s\"%s\"",
                     changed[1] != '\0' ? "," : "", names[i]);
    snprintf(changed + strlen(changed), sizeof(changed) - strlen(changed), "]");
    return write_article(s, cmd, &k, "kb.article.update", changed);
}

int cmd_kb_delete_article(struct store *s, struct store_cmd *cmd)
{
    struct kb_article k;
    int rc =
        load_kb(&s->cache, cmd->tenant_id, cmd->in.kb_delete_id, NULL, &k, &cmd->arena, &cmd->err);
    if (rc != 0) return rc;
    const char *before[3];
    if (indexed_columns(s, cmd, k.id, before) != 0 ||
        kb_terms_update(s, cmd, k.id, before, NULL) != 0)
        return cmd->err.code;
    sqlite3_stmt *st =
        stmt_get(&s->cache, "DELETE FROM kb_articles WHERE id = ?1 AND tenant_id = ?2", &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, k.id);
    sqlite3_bind_int64(st, 2, cmd->tenant_id);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "deleting an article");
    cmd->result_id = k.id;
    return w_audit(s, cmd, "kb.article.delete",
                   arena_printf(&cmd->arena, "kb_article:%lld", (long long)k.id),
                   arena_printf(&cmd->arena, "{\"slug\":\"%s\"}", k.slug), 0);
}

/* ---- reads ------------------------------------------------------------------------------- */

int store_kb_get(struct store_reader *r, int64_t tenant_id, int64_t id, struct kb_article *out,
                 struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    return load_kb(&r->cache, tenant_id, id, NULL, out, a, err);
}

int store_kb_get_by_slug(struct store_reader *r, int64_t tenant_id, const char *slug,
                         struct kb_article *out, struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    if (slug == NULL) return parley_fail(err, PARLEY_EINVAL, "slug", "a slug is required");
    return load_kb(&r->cache, tenant_id, 0, slug, out, a, err);
}

int store_kb_list(struct store_reader *r, int64_t tenant_id, const struct kb_filter *f,
                  const struct store_page *page, struct kb_article **out, size_t *n, int64_t *next,
                  struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    *out = NULL;
    *n = 0;
    *next = 0;
    int status = f != NULL ? f->status : -1;
    sqlite3_stmt *st = stmt_get(&r->cache,
                                "SELECT " KB_LIST_COLS " FROM kb_articles"
                                " WHERE tenant_id = ?1 AND id > ?2 AND (?3 IS NULL OR status = ?3)"
                                " ORDER BY id LIMIT ?4",
                                err);
    if (st == NULL) return err->code;
    int limit = page_limit(page);
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, page != NULL ? page->after : 0);
    bind_text(st, 3, status >= 0 ? kb_status_name((enum kb_status)status) : NULL);
    sqlite3_bind_int(st, 4, limit + 1);
    struct rows it = rows_begin(st, sizeof(struct kb_article), limit, 0);
    for (struct kb_article *k; (k = rows_next(&it, a)) != NULL;) row_kb(st, k, a);
    int rc = rows_end(&it, r->db, "listing articles", err);
    *out = it.items;
    *n = it.n;
    *next = it.next;
    return rc;
}
