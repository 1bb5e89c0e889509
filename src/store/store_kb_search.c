/* Knowledge-base search: FTS5 with the porter stemmer, bm25 ranking weighted towards titles,
 * and snippets with the matched words highlighted (docs/knowledge-base.md).
 *
 * Strategy: the query's words are first required together (AND); when that finds fewer than
 * `limit` articles, articles with any of the words (OR) fill the rest, after them. bm25 over the
 * same words scores both, so a score means the same thing in both parts. Snippets are made only
 * for the hits returned, not for every match. */
#include "store_int.h"

#include <string.h>

/* bm25 weights of the kb_fts columns: title, text, tags. */
#define KB_RANK "bm25(kb_fts, 8.0, 1.0, 3.0)"

/* The HTML-escaped snippet with FTS5's markers \x01 … \x02 turned into <mark> … </mark>. */
static char *snippet_html(const char *raw, struct arena *a)
{
    if (raw == NULL) return arena_strdup(a, "");
    size_t need = 1;
    for (const char *p = raw; *p != '\0'; p++) {
        switch (*p) {
        case '&':
            need += 5;
            break;
        case '<':
        case '>':
            need += 4;
            break;
        case '"':
            need += 6;
            break;
        case '\'':
            need += 5;
            break;
        case '\x01':
            need += 6;
            break;
        case '\x02':
            need += 7;
            break;
        default:
            need += 1;
        }
    }
    char *out = arena_alloc(a, need);
    if (out == NULL) return NULL;
    char *o = out;
    for (const char *p = raw; *p != '\0'; p++) {
        const char *rep = NULL;
        switch (*p) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        case '\x01':
            rep = "<mark>";
            break;
        case '\x02':
            rep = "</mark>";
            break;
        default:
            *o++ = *p;
            continue;
        }
        size_t l = strlen(rep);
        memcpy(o, rep, l);
        o += l;
    }
    *o = '\0';
    return out;
}

static bool seen(const struct kb_hit *hits, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (hits[i].article_id == id) return true;
    return false;
}

/* The hits of one statement (columns id, slug, title, rank) not already in hits, appended
 * until there are limit. */
static int collect(struct store_reader *r, sqlite3_stmt *st, int limit, struct kb_hit *hits,
                   size_t *n, struct arena *a, struct parley_err *err)
{
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        if (*n >= (size_t)limit || seen(hits, *n, id)) continue;
        struct kb_hit *h = &hits[(*n)++];
        h->article_id = id;
        h->slug = col_text(st, 1, a);
        h->title = col_text(st, 2, a);
        h->score = -sqlite3_column_double(st, 3);
        if (h->slug == NULL || h->title == NULL) {
            sqlite3_reset(st);
            return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory searching");
        }
    }
    sqlite3_reset(st);
    if (step != SQLITE_DONE) return db_fail(err, r->db, "searching articles");
    return 0;
}

/* How many of the best-ranked matches (all tenants, any status) the first pass ranks before it
 * joins the articles. */
#define KB_WINDOW 64

/* Appends up to limit - *n new hits for match to hits. First pass: FTS5 ranks the matches and
 * only the best KB_WINDOW are joined to kb_articles (tenant, status): when at least limit hits
 * survive, they are the true best, since every match outside the window ranks lower. When the
 * window was full but too few survived (other tenants' or draft articles crowd it), the second
 * pass joins every match before ranking. */
static int run_match(struct store_reader *r, int64_t tenant_id, const char *match, int limit,
                     struct kb_hit *hits, size_t *n, struct arena *a, struct parley_err *err)
{
    sqlite3_stmt *st = stmt_get(&r->cache,
                                "SELECT a.id, a.slug, a.title, f.rank FROM"
                                " (SELECT rowid, " KB_RANK " AS rank FROM kb_fts"
                                "  WHERE kb_fts MATCH ?1 ORDER BY rank LIMIT ?3) f"
                                " JOIN kb_articles a ON a.id = f.rowid"
                                " WHERE a.tenant_id = ?2 AND a.status = 'published'"
                                " ORDER BY f.rank",
                                err);
    if (st == NULL) return err->code;
    bind_text(st, 1, match);
    sqlite3_bind_int64(st, 2, tenant_id);
    sqlite3_bind_int(st, 3, KB_WINDOW);
    size_t before = *n;
    sqlite3_int64 window_rows = 0;
    int rc = collect(r, st, limit, hits, n, a, err);
    if (rc != 0 || *n >= (size_t)limit) return rc;
    /* did FTS5 fill the window? (then more matches exist beyond it) */
    st = stmt_get(&r->cache,
                  "SELECT count(*) FROM (SELECT rowid FROM kb_fts WHERE kb_fts MATCH ?1 LIMIT ?2)",
                  err);
    if (st == NULL) return err->code;
    bind_text(st, 1, match);
    sqlite3_bind_int(st, 2, KB_WINDOW);
    if (sqlite3_step(st) == SQLITE_ROW) window_rows = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (window_rows < KB_WINDOW) return 0; /* every match was in the window */
    *n = before;
    st = stmt_get(&r->cache,
                  "SELECT a.id, a.slug, a.title, " KB_RANK " AS rank"
                  " FROM kb_fts JOIN kb_articles a ON a.id = kb_fts.rowid"
                  " WHERE kb_fts MATCH ?1 AND a.tenant_id = ?2 AND a.status = 'published'"
                  " ORDER BY rank LIMIT ?3",
                  err);
    if (st == NULL) return err->code;
    bind_text(st, 1, match);
    sqlite3_bind_int64(st, 2, tenant_id);
    sqlite3_bind_int(st, 3, limit + (int)before); /* room for the ones already found */
    return collect(r, st, limit, hits, n, a, err);
}

static int add_snippet(struct store_reader *r, const char *match, struct kb_hit *h, struct arena *a,
                       struct parley_err *err)
{
    sqlite3_stmt *st = stmt_get(&r->cache,
                                "SELECT snippet(kb_fts, 1, char(1), char(2), '…', 24)"
                                " FROM kb_fts WHERE kb_fts MATCH ?1 AND rowid = ?2",
                                err);
    if (st == NULL) return err->code;
    bind_text(st, 1, match);
    sqlite3_bind_int64(st, 2, h->article_id);
    int step = sqlite3_step(st);
    h->snippet =
        snippet_html(step == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL, a);
    sqlite3_reset(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE) return db_fail(err, r->db, "making a snippet");
    if (h->snippet == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory searching");
    return 0;
}

int store_kb_search(struct store_reader *r, int64_t tenant_id, const char *query, int limit,
                    struct kb_hit **out, size_t *n, struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    *out = NULL;
    *n = 0;
    size_t qlen = query != NULL ? strlen(query) : 0;
    if (qlen > KB_MAX_QUERY)
        return parley_fail(err, PARLEY_EINVAL, "q",
                           "the query is %zu bytes; at most %d are accepted", qlen, KB_MAX_QUERY);
    if (limit < 1 || limit > 50)
        return parley_fail(err, PARLEY_EINVAL, "limit", "limit must be 1 to 50");
    char all[KB_QUERY_CAP], any[KB_QUERY_CAP];
    int terms = kb_fts_query(query, qlen, KB_MATCH_ALL, all, sizeof(all));
    if (terms == 0) return 0;
    kb_fts_query(query, qlen, KB_MATCH_ANY, any, sizeof(any));
    struct kb_hit *hits = arena_alloc(a, (size_t)limit * sizeof(*hits));
    if (hits == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory searching");
    size_t got = 0;
    int rc = run_match(r, tenant_id, all, limit, hits, &got, a, err);
    if (rc == 0 && terms > 1 && got < (size_t)limit)
        rc = run_match(r, tenant_id, any, limit, hits, &got, a, err);
    /* the OR form matches every hit (an AND hit has all the words), so it highlights them all */
    for (size_t i = 0; rc == 0 && i < got; i++) rc = add_snippet(r, any, &hits[i], a, err);
    if (rc != 0) return rc;
    *out = got > 0 ? hits : NULL;
    *n = got;
    return 0;
}
