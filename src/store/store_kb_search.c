/* Knowledge-base search: FTS5 with the porter stemmer, bm25 ranking weighted towards titles,
 * and snippets with the matched words highlighted (docs/knowledge-base.md).
 *
 * What a person sees: articles holding every word of the query first, then articles holding
 * some of them, each group by bm25 over all the words (the AND-then-OR search). How it stays
 * within a couple of milliseconds on 100,000 articles is "the plan" below. */
#include "store_int.h"

#include <string.h>

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
        h->score = -sqlite3_column_double(st, 3); /* still with the AND preference */
        if (h->slug == NULL || h->title == NULL) {
            sqlite3_reset(st);
            return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory searching");
        }
    }
    sqlite3_reset(st);
    if (step != SQLITE_DONE) return db_fail(err, r->db, "searching articles");
    return 0;
}

/* ---- the plan ------------------------------------------------------------------------------
 * FTS5 finds a query's best articles by scoring every article that matches (about 6,000
 * instructions each, mostly the document-length lookup) after walking each word's doclist
 * (about 400 per article holding it; an AND seeks the other words' doclists at about 12,000 a
 * seek). A question with a word found in 15,000 of 100,000 articles took 15–30 ms that way.
 * With each word's article count from kb_terms (one lookup), the search instead:
 * - drops words no article holds (then no article holds every word: no AND group);
 * - ranks with FTS5 only the rarest words whose counts add up to at most KB_RANK_BUDGET (the
 *   "informative" words), in one OR, with parley_rank(): no doclist walk for idf, and the AND
 *   preference built into the rank;
 * - when no other word is left, that is the whole answer, exactly as FTS5 would rank it;
 * - otherwise the common words are scored from their champion lists and the finalists from
 *   their own text (store_kb_common.c).
 * No search ranks more than KB_RANK_BUDGET articles with FTS5 or walks a common word's doclist;
 * a query whose words are held by at most KB_RANK_BUDGET articles between them is ranked
 * exactly as before. `make bench-bot` prints how often the top 10 agree with ranking every
 * match. */

struct qword {
    const char *w;
    int64_t docs;    /* articles holding it (the rarest of its tokens); 0: none */
    const char *tok; /* its token when it is one token (tokens of several: NULL) */
};

/* How many of the best-ranked matches (all tenants, any status) the first pass ranks before it
 * joins the articles. */
#define KB_WINDOW 64

/* ?1 match, ?2 tenant, ?3 how many, ?4 the AND preference, ?5 the phrases' article counts. */
#define KB_RANKED                                                                                  \
    "(SELECT rowid, parley_rank(kb_fts, ?4, ?5) AS rank FROM kb_fts WHERE kb_fts MATCH ?1)"
static const char *const match_sql[2] = {
    /* the best KB_WINDOW matches of all tenants, then joined */
    "SELECT a.id, a.slug, a.title, f.rank FROM (SELECT rowid, rank FROM " KB_RANKED
    " ORDER BY rank LIMIT ?3) f CROSS JOIN kb_articles a ON a.id = f.rowid"
    " WHERE a.tenant_id = ?2 AND a.status = 'published' ORDER BY f.rank",
    /* every match joined, then ranked */
    "SELECT a.id, a.slug, a.title, f.rank FROM " KB_RANKED
    " f CROSS JOIN kb_articles a ON a.id = f.rowid"
    " WHERE a.tenant_id = ?2 AND a.status = 'published' ORDER BY f.rank LIMIT ?3",
};

static sqlite3_stmt *match_stmt(struct store_reader *r, const struct kb_plan *p, bool join_first,
                                struct parley_err *err)
{
    sqlite3_stmt *st = stmt_get(&r->cache, match_sql[join_first], err);
    if (st == NULL) return NULL;
    bind_text(st, 1, p->rare_expr);
    sqlite3_bind_int(st, 4, p->n_and);
    bind_text(st, 5, p->rare_counts);
    return st;
}

/* The best limit hits when the informative words are all the words. First pass: only the best
 * KB_WINDOW matches (all tenants, any status) are joined to kb_articles: when at least limit
 * hits survive, they are the true best, since every match outside the window ranks lower.
 * When too few survived and the window was full (other tenants' or draft articles crowd it),
 * the second pass joins every match before ranking. */
static int search_rare(struct store_reader *r, int64_t tenant_id, const struct kb_plan *p,
                       int limit, struct kb_hit *hits, size_t *n, struct arena *a,
                       struct parley_err *err)
{
    sqlite3_stmt *st = match_stmt(r, p, false, err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 2, tenant_id);
    sqlite3_bind_int(st, 3, KB_WINDOW);
    int rc = collect(r, st, limit, hits, n, a, err);
    if (rc == 0 && *n < (size_t)limit) {
        /* did FTS5 fill the window? (then more matches exist beyond it) */
        st = stmt_get(&r->cache,
                      "SELECT count(*) FROM (SELECT rowid FROM kb_fts WHERE kb_fts MATCH ?1"
                      " LIMIT ?2)",
                      err);
        if (st == NULL) return err->code;
        bind_text(st, 1, p->rare_expr);
        sqlite3_bind_int(st, 2, KB_WINDOW);
        sqlite3_int64 window_rows = 0;
        if (sqlite3_step(st) == SQLITE_ROW) window_rows = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        if (window_rows >= KB_WINDOW) {
            *n = 0;
            if ((st = match_stmt(r, p, true, err)) == NULL) return err->code;
            sqlite3_bind_int64(st, 2, tenant_id);
            sqlite3_bind_int(st, 3, limit);
            rc = collect(r, st, limit, hits, n, a, err);
        }
    }
    for (size_t i = 0; i < *n; i++) /* the AND preference has done its work */
        if (hits[i].score >= KB_RANK_ALL / 2) hits[i].score -= KB_RANK_ALL;
    return rc;
}

/* The rarest of a word's tokens: how many articles hold it (0 when one is in none). */
struct docs_ctx {
    sqlite3_stmt *st;
    int64_t docs;
    bool failed;
    struct kb_query_tokens *tokens; /* every distinct token of the query, for snippets */
    int n_tok, last;                /* this word's tokens; the index of the last in tokens */
};

static int token_docs(void *ud, const char *tok, size_t n, size_t start, size_t end)
{
    (void)start;
    (void)end;
    struct docs_ctx *c = ud;
    struct kb_query_tokens *q = c->tokens;
    c->n_tok++;
    c->last = kb_query_token_find(q, tok, n);
    if (c->last < 0 && n <= KB_QUERY_MAX_TERM && q->n < KB_QUERY_MAX_TOKENS) {
        memcpy(q->tok[q->n], tok, n);
        q->tok[q->n][n] = '\0';
        c->last = q->n++;
    }
    sqlite3_bind_text(c->st, 1, tok, (int)n, SQLITE_TRANSIENT);
    int step = sqlite3_step(c->st);
    int64_t d = step == SQLITE_ROW ? sqlite3_column_int64(c->st, 0) : 0;
    sqlite3_reset(c->st);
    if (step != SQLITE_ROW && step != SQLITE_DONE) c->failed = true;
    if (c->docs < 0 || d < c->docs) c->docs = d;
    return 0;
}

static int word_docs(struct store_reader *r, struct qword *q, struct kb_query_tokens *tokens,
                     struct parley_err *err)
{
    struct docs_ctx c = {stmt_get(&r->cache, "SELECT docs FROM kb_terms WHERE term = ?1", err),
                         -1,
                         false,
                         tokens,
                         0,
                         -1};
    if (c.st == NULL) return err->code;
    if (kb_fts_tokens(r->kb_fts, true, q->w, strlen(q->w), token_docs, &c) != 0 || c.failed)
        return db_fail(err, r->db, "looking up search words");
    q->docs = c.docs < 0 ? 0 : c.docs;
    q->tok = c.n_tok == 1 && c.last >= 0 ? tokens->tok[c.last] : NULL;
    return 0;
}

static int cmp_docs(const void *a, const void *b)
{
    int64_t x = ((const struct qword *)a)->docs, y = ((const struct qword *)b)->docs;
    return x < y ? -1 : x > y;
}

/* Appends a word's article count to counts ("12,40"). */
static void append_count(char *counts, size_t cap, int64_t docs)
{
    size_t used = strlen(counts);
    snprintf(counts + used, cap - used, "%s%lld", used ? "," : "", (long long)docs);
}

/* Splits the words into informative and common ones (see "the plan"). q comes out rarest
 * first, so the informative words are the first ones held by some article. */
static void plan_words(struct qword *q, int nq, struct kb_plan *p)
{
    bool none = false;
    for (int i = 0; i < nq; i++) none = none || q[i].docs == 0;
    qsort(q, (size_t)nq, sizeof(*q), cmp_docs); /* rarest first */
    int64_t sum = 0;
    for (int i = 0; i < nq; i++) {
        if (q[i].docs == 0) continue;
        if (p->n_common == 0 && sum + q[i].docs <= kb_rank_budget) {
            sum += q[i].docs;
            kb_fts_append(p->rare_expr, sizeof(p->rare_expr), NULL, q[i].w);
            append_count(p->rare_counts, sizeof(p->rare_counts), q[i].docs);
            p->rare_n++;
        } else if (q[i].tok != NULL) { /* a common word of several tokens is left out */
            struct kb_common *c = &p->common[p->n_common++];
            c->w = q[i].w;
            c->tok = q[i].tok;
            c->docs = q[i].docs;
            c->listed = q[i].docs > kb_common_docs;
        }
    }
    p->n_and = !none && nq > 1 ? p->rare_n : 0;
}

/* The article's snippet: KB_SNIPPET_TOKENS words of its text around the query's words. */
#define KB_SNIPPET_TOKENS 24

static int add_snippet(struct store_reader *r, int64_t tenant_id,
                       const struct kb_query_tokens *tokens, struct kb_hit *h, struct arena *a,
                       struct parley_err *err)
{
    sqlite3_stmt *st =
        stmt_get(&r->cache, "SELECT text FROM kb_articles WHERE id = ?1 AND tenant_id = ?2", err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, h->article_id);
    sqlite3_bind_int64(st, 2, tenant_id);
    int step = sqlite3_step(st);
    h->snippet =
        kb_snippet(r->kb_fts, step == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL,
                   tokens, KB_SNIPPET_TOKENS, a);
    sqlite3_reset(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE) return db_fail(err, r->db, "making a snippet");
    if (h->snippet == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory searching");
    return 0;
}

/* The words of query (into plan->words) with their article counts, tokens (for snippets) and
 * plan; *nq = 0 when it has no word to search. */
static int plan_query(struct store_reader *r, const char *query, size_t qlen, struct qword *q,
                      int *nq, struct kb_query_tokens *tokens, struct kb_plan *plan,
                      struct parley_err *err)
{
    memset(plan, 0, sizeof(*plan));
    *nq = kb_fts_words(query, qlen, plan->words);
    if (*nq == 0) return 0;
    if (r->kb_fts == NULL && kb_fts_open(r->db, true, &r->kb_fts, err) != 0) return err->code;
    for (int i = 0; i < *nq; i++) {
        q[i].w = plan->words[i];
        if (word_docs(r, &q[i], tokens, err) != 0) return err->code;
    }
    plan_words(q, *nq, plan);
    return 0;
}

int kb_plan_query(struct store_reader *r, const char *query, struct kb_plan *p, int *n_words,
                  char *all_expr, size_t expr_cap, char *all_counts, size_t counts_cap,
                  struct parley_err *err)
{
    STORE_ERR(err);
    struct qword q[KB_QUERY_MAX_TERMS];
    struct kb_query_tokens tokens = {.n = 0};
    size_t qlen = query != NULL ? strlen(query) : 0;
    if (plan_query(r, query, qlen, q, n_words, &tokens, p, err) != 0) return err->code;
    all_expr[0] = all_counts[0] = '\0';
    for (int i = 0; i < *n_words; i++) /* rarest first: the informative words lead */
        if (q[i].docs > 0 && kb_fts_append(all_expr, expr_cap, NULL, q[i].w))
            append_count(all_counts, counts_cap, q[i].docs);
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
    struct qword q[KB_QUERY_MAX_TERMS];
    struct kb_query_tokens tokens = {.n = 0};
    struct kb_hit *hits = arena_alloc(a, (size_t)limit * sizeof(*hits));
    struct kb_plan *plan = arena_alloc(a, sizeof(*plan));
    if (hits == NULL || plan == NULL)
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory searching");
    int nq, rc = plan_query(r, query, qlen, q, &nq, &tokens, plan, err);
    if (rc != 0 || nq == 0) return rc;
    size_t got = 0;
    if (plan->n_common > 0)
        rc = kb_search_common(r, tenant_id, plan, limit, hits, &got, a, err);
    else if (plan->rare_n > 0)
        rc = search_rare(r, tenant_id, plan, limit, hits, &got, a, err);
    for (size_t i = 0; rc == 0 && i < got; i++)
        rc = add_snippet(r, tenant_id, &tokens, &hits[i], a, err);
    if (rc != 0) return rc;
    *out = got > 0 ? hits : NULL;
    *n = got;
    return 0;
}
