/* Knowledge-base search when some of the query's words are common (see "the plan" in
 * store_kb_search.c and docs/knowledge-base.md, "How search stays fast").
 *
 * The score of an article is a sum over the words. The informative (rare) words' part comes
 * exactly from FTS5 for every article holding one of them (at most kb_rank_budget articles),
 * and with it whether the article holds all of them (it then ranks first). A common word's part
 * comes from its champion list for the tenant: exactly for the articles read (best first, a
 * chunk at a time, until no article left unread could make the best `limit`: Fagin's threshold
 * test), and at most `bound` (the part of the last one read, or of the list's floor) for every
 * other article. Candidates are the articles met either way, each with an upper score; the
 * limit + 8 best of them are scored exactly (their text tokenized as the index did). */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

#define KB_LIST_READ 32 /* champions read at a time per common word */

struct cand {
    int64_t id;
    double rare;   /* the informative words' part (FTS5) */
    bool rare_all; /* holds every informative word (n_and > 0): ranks first */
    double known;  /* common words' parts known from the lists */
    unsigned seen; /* bit i: common word i's part is known */
    double upper;  /* known + bounds of the unknown parts */
};

struct cands {
    struct cand *c;
    size_t n, cap; /* cap: a power of two, at most half full */
};

static struct cand *cand_get(struct cands *t, int64_t id)
{
    size_t j = (size_t)((uint64_t)id * 0x9E3779B97F4A7C15ULL >> 20) & (t->cap - 1);
    for (; t->c[j].id != 0; j = (j + 1) & (t->cap - 1))
        if (t->c[j].id == id) return &t->c[j];
    if (2 * (t->n + 1) > t->cap) return NULL; /* sized for the most there can be */
    t->c[j].id = id;
    t->n++;
    return &t->c[j];
}

/* Every article holding an informative word, with their part: of all tenants, in any status
 * (the finalists are checked; joining every row here would cost as much as ranking it). */
static int read_rare(struct store_reader *r, const char *expr, const char *counts, int n_and,
                     struct cands *t, struct parley_err *err)
{
    sqlite3_stmt *st = stmt_get(&r->cache,
                                "SELECT rowid, parley_rank(kb_fts, ?2, ?3) FROM kb_fts"
                                " WHERE kb_fts MATCH ?1",
                                err);
    if (st == NULL) return err->code;
    bind_text(st, 1, expr);
    sqlite3_bind_int(st, 2, n_and);
    bind_text(st, 3, counts);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct cand *c = cand_get(t, sqlite3_column_int64(st, 0));
        if (c == NULL) break;
        double score = -sqlite3_column_double(st, 1);
        c->rare_all = score >= KB_RANK_ALL / 2;
        c->rare = score >= KB_RANK_ALL / 2 ? score - KB_RANK_ALL : score;
    }
    sqlite3_reset(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE) return db_fail(err, r->db, "searching articles");
    return 0;
}

/* The next KB_LIST_READ champions of common word i (after the *read already read): their
 * exact part; *bound: the most any article not read yet can get from the word; *done: the whole
 * list is read (then *bound comes from its floor). */
static int read_list(struct store_reader *r, int64_t tenant_id, const struct kb_common *w, int i,
                     double rows, double avgdl, struct cands *t, int *read, double *bound,
                     bool *done, struct parley_err *err)
{
    sqlite3_stmt *st = stmt_get(&r->cache,
                                "SELECT article_id, freq, length FROM kb_champions"
                                " WHERE term = ?1 AND tenant_id = ?2 ORDER BY key DESC"
                                " LIMIT ?3 OFFSET ?4",
                                err);
    if (st == NULL) return err->code;
    bind_text(st, 1, w->tok);
    sqlite3_bind_int64(st, 2, tenant_id);
    sqlite3_bind_int(st, 3, KB_LIST_READ);
    sqlite3_bind_int(st, 4, *read);
    int step, got = 0;
    double last = 0.0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        double key =
            kb_fts_key(sqlite3_column_double(st, 1), (double)sqlite3_column_int64(st, 2), avgdl);
        last = kb_fts_part(rows, (double)w->docs, key);
        got++;
        struct cand *c = cand_get(t, sqlite3_column_int64(st, 0));
        if (c == NULL) break;
        c->known += last;
        c->seen |= 1u << i;
    }
    sqlite3_reset(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE) return db_fail(err, r->db, "reading a list");
    *read += got;
    if (got == KB_LIST_READ) {
        *bound = last;
        return 0;
    }
    /* the whole list was read: what is not in it is at or below its floor */
    *done = true;
    st = stmt_get(&r->cache, "SELECT floor FROM kb_lists WHERE term = ?1 AND tenant_id = ?2", err);
    if (st == NULL) return err->code;
    bind_text(st, 1, w->tok);
    sqlite3_bind_int64(st, 2, tenant_id);
    step = sqlite3_step(st);
    double floor = step == SQLITE_ROW ? sqlite3_column_double(st, 0) : -1.0;
    sqlite3_reset(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE) return db_fail(err, r->db, "reading a list");
    *bound = floor > 0.0 ? kb_fts_part(rows, (double)w->docs, floor) : 0.0;
    return 0;
}

static int cmp_double_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x > y ? -1 : x < y;
}

/* Whether an article no list has shown yet could still be among the best limit (Fagin's
 * threshold test): not when limit candidates hold every informative word (they rank first),
 * nor when the candidates' sure scores already reach what an unseen article can get at most. */
static bool unseen_may_win(const struct cands *t, int limit, double unseen_max, double *lower)
{
    size_t first = 0, n = 0;
    for (size_t j = 0; j < t->cap; j++) {
        const struct cand *c = &t->c[j];
        if (c->id == 0) continue;
        if (c->rare_all)
            first++;
        else
            lower[n++] = c->rare + c->known;
    }
    if (first >= (size_t)limit) return false;
    size_t need = (size_t)limit - first;
    if (n < need) return true;
    qsort(lower, n, sizeof(*lower), cmp_double_desc);
    return lower[need - 1] < unseen_max;
}

static int cmp_upper(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->rare_all != y->rare_all) return x->rare_all ? -1 : 1;
    if (x->upper != y->upper) return x->upper > y->upper ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

struct final {
    struct kb_hit hit;
    bool all;
};

static int cmp_final(const void *a, const void *b)
{
    const struct final *x = a, *y = b;
    if (x->all != y->all) return x->all ? -1 : 1;
    if (x->hit.score != y->hit.score) return x->hit.score > y->hit.score ? -1 : 1;
    return x->hit.article_id < y->hit.article_id ? -1 : x->hit.article_id > y->hit.article_id;
}

/* Whether the limit-th best of the nf finalists already ranks at or above all that candidate c
 * could reach (its group, its upper score). */
static bool settled(struct final *f, size_t nf, size_t limit, const struct cand *c)
{
    qsort(f, nf, sizeof(*f), cmp_final);
    const struct final *k = &f[limit - 1];
    if (k->all != c->rare_all) return k->all;
    return k->hit.score >= c->upper;
}

int kb_search_common(struct store_reader *r, int64_t tenant_id, const struct kb_plan *p, int limit,
                     struct kb_hit *hits, size_t *got, struct arena *a, struct parley_err *err)
{
    *got = 0;
    double rows, avgdl;
    if (kb_index_totals(&r->cache, &rows, &avgdl, err) != 0) return err->code;
    struct cands t = {.cap = 64};
    size_t most = (size_t)kb_rank_budget + (size_t)p->n_common * (size_t)kb_list_size + 1;
    while (t.cap < 2 * most) t.cap *= 2;
    t.c = arena_alloc(a, t.cap * sizeof(*t.c));
    double *lower = arena_alloc(a, most * sizeof(*lower));
    if (t.c == NULL || lower == NULL)
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory searching");
    int rc =
        p->rare_expr[0] != '\0' ? read_rare(r, p->rare_expr, p->rare_counts, p->n_and, &t, err) : 0;
    double bound[KB_QUERY_MAX_TERMS] = {0};
    int read[KB_QUERY_MAX_TERMS] = {0};
    bool done[KB_QUERY_MAX_TERMS] = {false};
    for (int i = 0; i < p->n_common; i++) done[i] = !p->common[i].listed;
    /* the lists a chunk at a time, until no unseen article can make the best limit */
    for (bool more = true; rc == 0 && more;) {
        for (int i = 0; rc == 0 && i < p->n_common; i++)
            if (!done[i])
                rc = read_list(r, tenant_id, &p->common[i], i, rows, avgdl, &t, &read[i], &bound[i],
                               &done[i], err);
        double unseen = 0;
        more = false;
        for (int i = 0; i < p->n_common; i++) {
            unseen += bound[i];
            more = more || !done[i];
        }
        more = more && unseen_may_win(&t, limit, unseen, lower);
    }
    if (rc != 0) return rc;
    /* compact, bound, order */
    size_t n = 0;
    for (size_t j = 0; j < t.cap; j++) {
        if (t.c[j].id == 0) continue;
        struct cand c = t.c[j];
        c.upper = c.rare + c.known;
        for (int i = 0; i < p->n_common; i++)
            if (!(c.seen & (1u << i))) c.upper += bound[i];
        t.c[n++] = c;
    }
    qsort(t.c, n, sizeof(*t.c), cmp_upper);
    /* the finalists, best upper score first, scored exactly, until the limit-th best exact
     * score is at least the next candidate's upper score (nothing after it can win) or
     * 3 · limit + 10 of them; other tenants' articles and drafts are passed over */
    size_t finalists = (size_t)limit * 3 + 10;
    struct final *f = arena_alloc(a, (finalists > 0 ? finalists : 1) * sizeof(*f));
    if (f == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory searching");
    const char *tok[KB_QUERY_MAX_TERMS];
    int64_t docs[KB_QUERY_MAX_TERMS];
    for (int i = 0; i < p->n_common; i++) {
        tok[i] = p->common[i].tok;
        docs[i] = p->common[i].docs;
    }
    sqlite3_stmt *st = stmt_get(&r->cache,
                                "SELECT slug, title, text, tags FROM kb_articles"
                                " WHERE id = ?1 AND tenant_id = ?2 AND status = 'published'",
                                err);
    if (st == NULL) return err->code;
    size_t nf = 0;
    for (size_t j = 0; j < n && nf < finalists; j++) {
        if (nf >= (size_t)limit && settled(f, nf, (size_t)limit, &t.c[j])) break;
        sqlite3_bind_int64(st, 1, t.c[j].id);
        sqlite3_bind_int64(st, 2, tenant_id);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            const char *cols[3] = {(const char *)sqlite3_column_text(st, 1),
                                   (const char *)sqlite3_column_text(st, 2),
                                   (const char *)sqlite3_column_text(st, 3)};
            int held = 0;
            double common =
                kb_fts_score(r->kb_fts, rows, avgdl, cols, tok, docs, p->n_common, &held);
            struct final *x = &f[nf++];
            x->hit.article_id = t.c[j].id;
            x->hit.slug = col_text(st, 0, a);
            x->hit.title = col_text(st, 1, a);
            x->hit.score = t.c[j].rare + common;
            x->all = t.c[j].rare_all;
            if (x->hit.slug == NULL || x->hit.title == NULL) rc = PARLEY_ENOMEM;
        }
        sqlite3_reset(st);
        if (step != SQLITE_ROW && step != SQLITE_DONE)
            return db_fail(err, r->db, "scoring articles");
        if (rc != 0) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory searching");
    }
    qsort(f, nf, sizeof(*f), cmp_final);
    for (size_t j = 0; j < nf && j < (size_t)limit; j++) hits[(*got)++] = f[j].hit;
    return 0;
}
