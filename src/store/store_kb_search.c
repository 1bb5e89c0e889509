/* Knowledge-base search: FTS5 with the porter stemmer, bm25 ranking weighted towards titles,
 * and snippets with the matched words highlighted (docs/knowledge-base.md).
 *
 * Strategy: the query's words are first required together (AND); when that finds fewer than
 * `limit` articles, articles with any of the words (OR) fill the rest, after them. bm25 over the
 * same words scores both, so a score means the same thing in both parts. Snippets are made only
 * for the hits returned, not for every match. */
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
 * With each word's article count from kb_terms, the search instead:
 * - leaves out words no article holds (an AND with one matches nothing, as before);
 * - matches on the rarest words whose counts add up to at most KB_RANK_BUDGET ("informative"
 *   words) in one OR, ranked by parley_rank() with the AND preference built in: articles
 *   holding every word of the query rank before the others, as the AND-then-OR search did;
 * - leaves the commoner words out of matching and scoring (what Lucene's cutoff_frequency
 *   does): a word in thousands of articles says little about which one is meant;
 * - when every word is common, ranks only the newest KB_RANK_BUDGET articles matching any of
 *   them (FTS5 reads a doclist newest first and stops).
 * So no search ranks more than KB_RANK_BUDGET articles or walks a common word's doclist, and a
 * knowledge base under KB_RANK_BUDGET articles is ranked exactly as before.
 * `make bench-bot` prints how often the top 10 agree with the exhaustive ranking. */
#define KB_RANK_BUDGET 1000
#define KB_STR_(x)     #x
#define KB_STR(x)      KB_STR_(x)

struct qword {
    const char *w;
    int64_t docs;    /* articles holding it (the rarest of its tokens); 0: none */
    const char *tok; /* its token when it is one token (tokens of several: NULL) */
};

/* How many of the best-ranked matches (all tenants, any status) the first pass ranks before it
 * joins the articles. */
#define KB_WINDOW 64

struct match {
    char expr[KB_QUERY_CAP];
    int64_t docs[KB_QUERY_MAX_TERMS];
    int n;        /* phrases */
    bool all;     /* articles holding every phrase rank first */
    bool bounded; /* rank only the newest KB_RANK_BUDGET matches */
};

static void match_add(struct match *m, const struct qword *q)
{
    size_t used = strlen(m->expr);
    snprintf(m->expr + used, sizeof(m->expr) - used, "%s\"%s\"", m->n == 0 ? "" : " OR ", q->w);
    m->docs[m->n++] = q->docs;
}

/* The statements, by [bounded][join first]: ?1 match, ?2 tenant, ?3 how many, ?4 the AND
 * preference, ?5 the phrases' article counts ("12,4031"). */
#define KB_RANKED(from)                                                                            \
    "(SELECT rowid, parley_rank(kb_fts, ?4, ?5) AS rank FROM kb_fts"                               \
    " WHERE kb_fts MATCH ?1" from ")"
#define KB_NEWEST " ORDER BY rowid DESC LIMIT " KB_STR(KB_RANK_BUDGET)
#define KB_WINDOWED(src)                                                                           \
    "SELECT a.id, a.slug, a.title, f.rank FROM (SELECT rowid, rank FROM " src                      \
    " ORDER BY rank LIMIT ?3) f JOIN kb_articles a ON a.id = f.rowid"                              \
    " WHERE a.tenant_id = ?2 AND a.status = 'published' ORDER BY f.rank"
#define KB_JOINED(src)                                                                             \
    "SELECT a.id, a.slug, a.title, f.rank FROM " src " f JOIN kb_articles a ON a.id = f.rowid"     \
    " WHERE a.tenant_id = ?2 AND a.status = 'published' ORDER BY f.rank LIMIT ?3"
static const char *const match_sql[2][2] = {
    {KB_WINDOWED(KB_RANKED("")), KB_JOINED(KB_RANKED(""))},
    {KB_WINDOWED(KB_RANKED(KB_NEWEST)), KB_JOINED(KB_RANKED(KB_NEWEST))},
};

static sqlite3_stmt *match_stmt(struct store_reader *r, const struct match *m, bool join_first,
                                struct parley_err *err)
{
    sqlite3_stmt *st = stmt_get(&r->cache, match_sql[m->bounded][join_first], err);
    if (st == NULL) return NULL;
    char counts[KB_QUERY_MAX_TERMS * 21 + 1];
    size_t used = 0;
    counts[0] = '\0';
    for (int i = 0; i < m->n; i++)
        used += (size_t)snprintf(counts + used, sizeof(counts) - used, "%s%lld", i ? "," : "",
                                 (long long)m->docs[i]);
    bind_text(st, 1, m->expr);
    sqlite3_bind_int(st, 4, m->all ? 1 : 0);
    sqlite3_bind_text(st, 5, counts, (int)used, SQLITE_TRANSIENT);
    return st;
}

/* Appends up to limit - *n new hits for m to hits. First pass: only the best KB_WINDOW matches
 * (all tenants, any status) are joined to kb_articles: when at least limit hits survive, they
 * are the true best, since every match outside the window ranks lower. When too few survived
 * and the window was full (other tenants' or draft articles crowd it), the second pass joins
 * every match before ranking. */
static int run_match(struct store_reader *r, int64_t tenant_id, const struct match *m, int limit,
                     struct kb_hit *hits, size_t *n, struct arena *a, struct parley_err *err)
{
    sqlite3_stmt *st = match_stmt(r, m, false, err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 2, tenant_id);
    sqlite3_bind_int(st, 3, KB_WINDOW);
    int rc = collect(r, st, limit, hits, n, a, err);
    if (rc != 0 || *n >= (size_t)limit) return rc;
    /* did FTS5 fill the window? (then more matches exist beyond it) */
    st = stmt_get(&r->cache,
                  "SELECT count(*) FROM (SELECT rowid FROM kb_fts WHERE kb_fts MATCH ?1 LIMIT ?2)",
                  err);
    if (st == NULL) return err->code;
    bind_text(st, 1, m->expr);
    sqlite3_bind_int(st, 2, KB_WINDOW);
    sqlite3_int64 window_rows = 0;
    if (sqlite3_step(st) == SQLITE_ROW) window_rows = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (window_rows < KB_WINDOW) return 0; /* every match was in the window */
    *n = 0;
    if ((st = match_stmt(r, m, true, err)) == NULL) return err->code;
    sqlite3_bind_int64(st, 2, tenant_id);
    sqlite3_bind_int(st, 3, limit);
    return collect(r, st, limit, hits, n, a, err);
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
    c->last = -1;
    for (int i = 0; i < q->n && c->last < 0 && n <= KB_QUERY_MAX_TERM; i++)
        if (strncmp(q->tok[i], tok, n) == 0 && q->tok[i][n] == '\0') c->last = i;
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

/* How many of the best matches of the informative words are scored again with the common
 * words too (see "the plan"). */
#define KB_RESCORE 32

static int cmp_score(const void *a, const void *b)
{
    const struct kb_hit *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->article_id < y->article_id ? -1 : x->article_id > y->article_id;
}

/* Adds the common words' part to each hit's score (their text tokenized as the index did) and
 * keeps the AND preference only for the hits that also hold every common word; re-sorts. */
static int rescore(struct store_reader *r, int64_t tenant_id, const struct qword *common, int nc,
                   struct kb_hit *hits, size_t n, struct parley_err *err)
{
    const char *tok[KB_QUERY_MAX_TERMS];
    int64_t docs[KB_QUERY_MAX_TERMS];
    for (int i = 0; i < nc; i++) {
        tok[i] = common[i].tok;
        docs[i] = common[i].docs;
    }
    sqlite3_stmt *st =
        stmt_get(&r->cache,
                 "SELECT title, text, tags FROM kb_articles WHERE id = ?1 AND tenant_id = ?2", err);
    if (st == NULL) return err->code;
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_int64(st, 1, hits[i].article_id);
        sqlite3_bind_int64(st, 2, tenant_id);
        int step = sqlite3_step(st), held = 0;
        double extra = 0.0;
        if (step == SQLITE_ROW) {
            const char *cols[3] = {(const char *)sqlite3_column_text(st, 0),
                                   (const char *)sqlite3_column_text(st, 1),
                                   (const char *)sqlite3_column_text(st, 2)};
            extra = kb_fts_score(r->kb_fts, cols, tok, docs, nc, &held);
        }
        sqlite3_reset(st);
        if (step != SQLITE_ROW) return db_fail(err, r->db, "scoring articles");
        bool all = hits[i].score >= KB_RANK_ALL / 2;
        hits[i].score += extra - (all && held < nc ? KB_RANK_ALL : 0.0);
    }
    qsort(hits, n, sizeof(*hits), cmp_score);
    return 0;
}

/* Fills hits (up to limit; room for KB_RESCORE) for the query's words (see "the plan"). The
 * scores still carry the AND preference (KB_RANK_ALL). */
static int plan_search(struct store_reader *r, int64_t tenant_id, struct qword *q, int nq,
                       int limit, struct kb_hit *hits, size_t *got, struct arena *a,
                       struct parley_err *err)
{
    bool none = false;
    for (int i = 0; i < nq; i++) none = none || q[i].docs == 0;
    qsort(q, (size_t)nq, sizeof(*q), cmp_docs); /* rarest first */
    struct match m = {.n = 0, .all = !none && nq > 1};
    struct qword common[KB_QUERY_MAX_TERMS];
    int nc = 0;
    int64_t sum = 0;
    for (int i = 0; i < nq; i++) {
        if (q[i].docs == 0) continue;
        if (nc == 0 && sum + q[i].docs <= KB_RANK_BUDGET) {
            sum += q[i].docs;
            match_add(&m, &q[i]);
        } else {
            common[nc++] = q[i];
        }
    }
    if (m.n == 0) { /* every word is common: the newest of their articles */
        m.bounded = true;
        for (int i = 0; i < nc; i++) match_add(&m, &common[i]);
        return run_match(r, tenant_id, &m, limit, hits, got, a, err);
    }
    if (nc == 0) return run_match(r, tenant_id, &m, limit, hits, got, a, err);
    int want = limit > KB_RESCORE ? limit : KB_RESCORE;
    int rc = run_match(r, tenant_id, &m, want, hits, got, a, err);
    if (rc == 0) rc = rescore(r, tenant_id, common, nc, hits, *got, err);
    if (*got > (size_t)limit) *got = (size_t)limit;
    return rc;
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
    char words[KB_QUERY_MAX_TERMS][KB_QUERY_MAX_TERM + 1];
    int nq = kb_fts_words(query, qlen, words);
    if (nq == 0) return 0;
    if (r->kb_fts == NULL && kb_fts_open(r->db, true, &r->kb_fts, err) != 0) return err->code;
    struct qword q[KB_QUERY_MAX_TERMS];
    struct kb_query_tokens tokens = {.n = 0};
    int rc = 0;
    for (int i = 0; rc == 0 && i < nq; i++) {
        q[i].w = words[i];
        rc = word_docs(r, &q[i], &tokens, err);
    }
    if (rc != 0) return rc;
    size_t room = (size_t)(limit > KB_RESCORE ? limit : KB_RESCORE);
    struct kb_hit *hits = arena_alloc(a, room * sizeof(*hits));
    if (hits == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory searching");
    size_t got = 0;
    rc = plan_search(r, tenant_id, q, nq, limit, hits, &got, a, err);
    for (size_t i = 0; i < got; i++) /* the AND preference has done its work */
        if (hits[i].score >= KB_RANK_ALL / 2) hits[i].score -= KB_RANK_ALL;
    for (size_t i = 0; rc == 0 && i < got; i++)
        rc = add_snippet(r, tenant_id, &tokens, &hits[i], a, err);
    if (rc != 0) return rc;
    *out = got > 0 ? hits : NULL;
    *n = got;
    return 0;
}
