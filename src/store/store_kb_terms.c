/* What the writer keeps beside kb_fts for the search planner (docs/knowledge-base.md, "How
 * search stays fast"), in the transaction that writes the article:
 * - kb_terms: articles per token (FTS5 has no such count: fts5vocab walks the whole doclist);
 * - kb_index and kb_articles.tokens: the totals and each article's length;
 * - champion lists: for a token held by more than kb_common_docs articles, each tenant's
 *   articles whose key (bm25's saturation of the token's weighted frequency, kb_fts_key) is
 *   above the list's floor, at most kb_list_size. Invariant: every article of the tenant
 *   holding the token with a key above the floor is in the list (a new article above the floor
 *   goes in, the lowest goes out and raises the floor; a deleted article just leaves). A token
 *   that becomes common gets its lists built from the index (fts5vocab's instance table). */
#include "store_int.h"

#include "common/util.h"

#include <stdlib.h>
#include <string.h>

int kb_rank_budget = KB_RANK_BUDGET, kb_common_docs = KB_COMMON_DOCS, kb_list_size = KB_LIST_SIZE;

/* ---- an article's tokens --------------------------------------------------------------------- */

struct entry {
    char *tok;
    double freq; /* weighted: KB_WEIGHT_* per occurrence */
};

/* The distinct tokens of an article's indexed columns with their weighted frequencies, in an
 * open-addressing table in the command's arena; length counts every token as FTS5 does. */
struct tokset {
    struct entry *slot;
    size_t cap, n;
    size_t length;
    double weight; /* of the column being read */
    struct arena *a;
    bool nomem;
};

static uint64_t hash(const char *s, size_t n)
{
    return util_fnv1a(UTIL_FNV1A_BASIS, s, n);
}

static bool grow(struct tokset *t)
{
    size_t cap = t->cap == 0 ? 256 : 2 * t->cap;
    struct entry *slot = arena_alloc(t->a, cap * sizeof(*slot));
    if (slot == NULL) return false;
    memset(slot, 0, cap * sizeof(*slot));
    for (size_t i = 0; i < t->cap; i++) {
        if (t->slot[i].tok == NULL) continue;
        size_t j = hash(t->slot[i].tok, strlen(t->slot[i].tok)) & (cap - 1);
        while (slot[j].tok != NULL) j = (j + 1) & (cap - 1);
        slot[j] = t->slot[i];
    }
    t->slot = slot;
    t->cap = cap;
    return true;
}

static int tokset_add(void *ud, const char *tok, size_t n, size_t start, size_t end)
{
    (void)start;
    (void)end;
    struct tokset *t = ud;
    t->length++;
    if (n == 0 || n > KB_QUERY_MAX_TERM) return 0; /* indexed, but never a query's token */
    if (2 * (t->n + 1) > t->cap && !grow(t)) {
        t->nomem = true;
        return -1;
    }
    size_t j = hash(tok, n) & (t->cap - 1);
    for (; t->slot[j].tok != NULL; j = (j + 1) & (t->cap - 1))
        if (kb_token_eq(t->slot[j].tok, tok, n)) {
            t->slot[j].freq += t->weight;
            return 0;
        }
    char *s = arena_alloc(t->a, n + 1);
    if (s == NULL) {
        t->nomem = true;
        return -1;
    }
    memcpy(s, tok, n);
    s[n] = '\0';
    t->slot[j].tok = s;
    t->slot[j].freq = t->weight;
    t->n++;
    return 0;
}

static const struct entry *tokset_get(const struct tokset *t, const char *s)
{
    if (t->cap == 0) return NULL;
    for (size_t j = hash(s, strlen(s)) & (t->cap - 1); t->slot[j].tok != NULL;
         j = (j + 1) & (t->cap - 1))
        if (strcmp(t->slot[j].tok, s) == 0) return &t->slot[j];
    return NULL;
}

static int tokset_fill(struct kb_fts *k, struct tokset *t, const char *const cols[3])
{
    for (int c = 0; c < 3; c++) {
        t->weight = kb_column_weight[c];
        if (cols[c] != NULL &&
            kb_fts_tokens(k, false, cols[c], strlen(cols[c]), tokset_add, t) != 0)
            return -1;
    }
    return 0;
}

/* ---- champion lists ---------------------------------------------------------------------- */

struct champion {
    int64_t id, tenant, length;
    double freq, key;
};

static int cmp_champion(const void *a, const void *b)
{
    const struct champion *x = a, *y = b;
    if (x->tenant != y->tenant) return x->tenant < y->tenant ? -1 : 1;
    if (x->key != y->key) return x->key > y->key ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

int kb_index_totals(struct stmt_cache *c, double *rows, double *avgdl, struct parley_err *err)
{
    sqlite3_stmt *st = stmt_get(c, "SELECT articles, tokens FROM kb_index WHERE id = 1", err);
    if (st == NULL) return err->code;
    int step = sqlite3_step(st);
    double articles = step == SQLITE_ROW ? (double)sqlite3_column_int64(st, 0) : 0;
    double tokens = step == SQLITE_ROW ? (double)sqlite3_column_int64(st, 1) : 0;
    sqlite3_reset(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return db_fail(err, c->db, "reading index totals");
    *rows = articles;
    *avgdl = articles > 0 ? tokens / articles : 1.0;
    return 0;
}

/* Writes one tenant's list for term from its candidates c[0..n) (sorted best first). */
static int write_list(struct store *s, const char *term, const struct champion *c, size_t n,
                      struct parley_err *err)
{
    sqlite3_stmt *ins = stmt_get(&s->cache,
                                 "INSERT INTO kb_champions(term, tenant_id, article_id, key, freq,"
                                 " length) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                 err);
    sqlite3_stmt *list =
        stmt_get(&s->cache,
                 "INSERT INTO kb_lists(term, tenant_id, size, floor) VALUES (?1, ?2, ?3, ?4)", err);
    if (ins == NULL || list == NULL) return err->code;
    size_t keep = n < (size_t)kb_list_size ? n : (size_t)kb_list_size;
    for (size_t i = 0; i < keep; i++) {
        bind_text(ins, 1, term);
        sqlite3_bind_int64(ins, 2, c[i].tenant);
        sqlite3_bind_int64(ins, 3, c[i].id);
        sqlite3_bind_double(ins, 4, c[i].key);
        sqlite3_bind_double(ins, 5, c[i].freq);
        sqlite3_bind_int64(ins, 6, c[i].length);
        if (stmt_run(ins) != SQLITE_DONE) return db_fail(err, s->db, "writing a champion list");
    }
    bind_text(list, 1, term);
    sqlite3_bind_int64(list, 2, c[0].tenant);
    sqlite3_bind_int64(list, 3, (sqlite3_int64)keep);
    sqlite3_bind_double(list, 4, n > keep ? c[keep].key : -1.0);
    if (stmt_run(list) != SQLITE_DONE) return db_fail(err, s->db, "writing a champion list");
    return 0;
}

/* (Re)builds every tenant's list for term from the index: each article holding it, with its
 * weighted frequency (fts5vocab instance rows: one per occurrence) and length. */
static int build_lists(struct store *s, struct arena *a, const char *term, struct parley_err *err)
{
    sqlite3_stmt *st = stmt_get(&s->cache, "DELETE FROM kb_champions WHERE term = ?1", err);
    if (st == NULL) return err->code;
    bind_text(st, 1, term);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(err, s->db, "clearing a champion list");
    if ((st = stmt_get(&s->cache, "DELETE FROM kb_lists WHERE term = ?1", err)) == NULL)
        return err->code;
    bind_text(st, 1, term);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(err, s->db, "clearing a champion list");
    double rows, avgdl;
    if (kb_index_totals(&s->cache, &rows, &avgdl, err) != 0) return err->code;
    /* instance rows come in article order: one candidate per article */
    st = stmt_get(&s->cache,
                  "SELECT v.doc, v.col, a.tenant_id, a.tokens FROM temp.kb_vocab_instance v"
                  " JOIN kb_articles a ON a.id = v.doc WHERE v.term = ?1",
                  err);
    if (st == NULL) return err->code;
    bind_text(st, 1, term);
    size_t n = 0, cap = 0;
    struct champion *c = NULL;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        const char *col = (const char *)sqlite3_column_text(st, 1);
        double w = col == NULL                 ? 1.0
                   : strcmp(col, "title") == 0 ? KB_WEIGHT_TITLE
                   : strcmp(col, "tags") == 0  ? KB_WEIGHT_TAGS
                                               : KB_WEIGHT_TEXT;
        if (n > 0 && c[n - 1].id == id) {
            c[n - 1].freq += w;
            continue;
        }
        if (n == cap) {
            size_t ncap = cap == 0 ? 1024 : 2 * cap;
            struct champion *nc = arena_alloc(a, ncap * sizeof(*nc));
            if (nc == NULL) {
                sqlite3_reset(st);
                return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory building lists");
            }
            if (n > 0) memcpy(nc, c, n * sizeof(*c));
            c = nc;
            cap = ncap;
        }
        c[n++] = (struct champion){.id = id,
                                   .tenant = sqlite3_column_int64(st, 2),
                                   .length = sqlite3_column_int64(st, 3),
                                   .freq = w};
    }
    sqlite3_reset(st);
    if (step != SQLITE_DONE) return db_fail(err, s->db, "reading the index");
    for (size_t i = 0; i < n; i++) c[i].key = kb_fts_key(c[i].freq, (double)c[i].length, avgdl);
    qsort(c, n, sizeof(*c), cmp_champion);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && c[j].tenant == c[i].tenant) j++;
        if (write_list(s, term, c + i, j - i, err) != 0) return err->code;
        i = j;
    }
    return 0;
}

static int open_tokenizer(struct store *s, struct parley_err *err)
{
    if (s->kb_fts != NULL) return 0;
    if (kb_fts_open(s->db, false, &s->kb_fts, err) != 0) return err->code;
    if (sqlite3_exec(s->db,
                     "CREATE VIRTUAL TABLE IF NOT EXISTS temp.kb_vocab_instance"
                     " USING fts5vocab(main, kb_fts, instance)",
                     NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(err, s->db, "opening the index's vocabulary");
    return 0;
}

/* Puts article id (key for term) into its tenant's list when it is above the floor; the
 * lowest leaves when the list is over kb_list_size. A tenant without a list for a common term
 * holds no other article with it (lists are built for every tenant when a term becomes
 * common): its list starts with this article. */
static int list_offer(struct store *s, struct store_cmd *cmd, const char *term, int64_t id,
                      double freq, int64_t length, double avgdl)
{
    sqlite3_stmt *st =
        stmt_get(&s->cache, "SELECT size, floor FROM kb_lists WHERE term = ?1 AND tenant_id = ?2",
                 &cmd->err);
    if (st == NULL) return cmd->err.code;
    bind_text(st, 1, term);
    sqlite3_bind_int64(st, 2, cmd->tenant_id);
    int step = sqlite3_step(st);
    int64_t size = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    double floor = step == SQLITE_ROW ? sqlite3_column_double(st, 1) : 0;
    sqlite3_reset(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return db_fail(&cmd->err, s->db, "reading a champion list");
    if (step == SQLITE_DONE) floor = -1.0; /* a new list */
    double key = kb_fts_key(freq, (double)length, avgdl);
    if (key <= floor) return 0;
    st = stmt_get(&s->cache,
                  "INSERT INTO kb_champions(term, tenant_id, article_id, key, freq, length)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                  &cmd->err);
    if (st == NULL) return cmd->err.code;
    bind_text(st, 1, term);
    sqlite3_bind_int64(st, 2, cmd->tenant_id);
    sqlite3_bind_int64(st, 3, id);
    sqlite3_bind_double(st, 4, key);
    sqlite3_bind_double(st, 5, freq);
    sqlite3_bind_int64(st, 6, length);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "writing a champion list");
    size++;
    if (size > kb_list_size) {
        st = stmt_get(&s->cache,
                      "SELECT article_id, key FROM kb_champions WHERE term = ?1 AND tenant_id = ?2"
                      " ORDER BY key LIMIT 1",
                      &cmd->err);
        if (st == NULL) return cmd->err.code;
        bind_text(st, 1, term);
        sqlite3_bind_int64(st, 2, cmd->tenant_id);
        step = sqlite3_step(st);
        int64_t low = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        double low_key = step == SQLITE_ROW ? sqlite3_column_double(st, 1) : floor;
        sqlite3_reset(st);
        if (step != SQLITE_ROW) return db_fail(&cmd->err, s->db, "reading a champion list");
        st = stmt_get(&s->cache,
                      "DELETE FROM kb_champions WHERE term = ?1 AND tenant_id = ?2"
                      " AND article_id = ?3",
                      &cmd->err);
        if (st == NULL) return cmd->err.code;
        bind_text(st, 1, term);
        sqlite3_bind_int64(st, 2, cmd->tenant_id);
        sqlite3_bind_int64(st, 3, low);
        if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "trimming a list");
        size--;
        if (low_key > floor) floor = low_key;
    }
    st = stmt_get(&s->cache,
                  "INSERT INTO kb_lists(term, tenant_id, size, floor) VALUES (?1, ?2, ?3, ?4)"
                  " ON CONFLICT(term, tenant_id) DO UPDATE SET size = ?3, floor = ?4",
                  &cmd->err);
    if (st == NULL) return cmd->err.code;
    bind_text(st, 1, term);
    sqlite3_bind_int64(st, 2, cmd->tenant_id);
    sqlite3_bind_int64(st, 3, size);
    sqlite3_bind_double(st, 4, floor);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "writing a champion list");
    return 0;
}

/* Takes article id out of its tenant's list for term, if it is there. */
static int list_leave(struct store *s, struct store_cmd *cmd, const char *term, int64_t id)
{
    sqlite3_stmt *st =
        stmt_get(&s->cache,
                 "DELETE FROM kb_champions WHERE term = ?1 AND tenant_id = ?2 AND article_id = ?3",
                 &cmd->err);
    if (st == NULL) return cmd->err.code;
    bind_text(st, 1, term);
    sqlite3_bind_int64(st, 2, cmd->tenant_id);
    sqlite3_bind_int64(st, 3, id);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "trimming a list");
    if (sqlite3_changes(s->db) == 0) return 0;
    st = stmt_get(&s->cache,
                  "UPDATE kb_lists SET size = size - 1 WHERE term = ?1 AND tenant_id = ?2",
                  &cmd->err);
    if (st == NULL) return cmd->err.code;
    bind_text(st, 1, term);
    sqlite3_bind_int64(st, 2, cmd->tenant_id);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "trimming a list");
    return 0;
}

/* ---- kb_terms_update ------------------------------------------------------------------------ */

/* Adds delta to term's article count; *docs: the count after. */
static int count_term(struct store *s, struct store_cmd *cmd, const char *term, int delta,
                      int64_t *docs)
{
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "INSERT INTO kb_terms(term, docs) VALUES (?1, ?2)"
                                " ON CONFLICT(term) DO UPDATE SET docs = docs + ?2 RETURNING docs",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    bind_text(st, 1, term);
    sqlite3_bind_int(st, 2, delta);
    int step = sqlite3_step(st);
    *docs = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (step != SQLITE_ROW) return db_fail(&cmd->err, s->db, "counting terms");
    return 0;
}

static int term_docs(struct store *s, struct store_cmd *cmd, const char *term, int64_t *docs)
{
    sqlite3_stmt *st = stmt_get(&s->cache, "SELECT docs FROM kb_terms WHERE term = ?1", &cmd->err);
    if (st == NULL) return cmd->err.code;
    bind_text(st, 1, term);
    int step = sqlite3_step(st);
    *docs = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return db_fail(&cmd->err, s->db, "counting terms");
    return 0;
}

static int update_totals(struct store *s, struct store_cmd *cmd, int64_t id, int articles,
                         int64_t tokens, const struct tokset *after)
{
    sqlite3_stmt *st =
        stmt_get(&s->cache,
                 "UPDATE kb_index SET articles = articles + ?1, tokens = tokens + ?2 WHERE id = 1",
                 &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int(st, 1, articles);
    sqlite3_bind_int64(st, 2, tokens);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "counting articles");
    if (after == NULL) return 0;
    st = stmt_get(&s->cache, "UPDATE kb_articles SET tokens = ?2 WHERE id = ?1 AND tenant_id = ?3",
                  &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)after->length);
    sqlite3_bind_int64(st, 3, cmd->tenant_id);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "counting tokens");
    return 0;
}

int kb_terms_update(struct store *s, struct store_cmd *cmd, int64_t id, const char *const before[3],
                    const char *const after[3])
{
    if (open_tokenizer(s, &cmd->err) != 0) return cmd->err.code;
    struct tokset old = {.a = &cmd->arena}, new = {.a = &cmd->arena};
    if ((before != NULL && tokset_fill(s->kb_fts, &old, before) != 0) ||
        (after != NULL && tokset_fill(s->kb_fts, &new, after) != 0))
        return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory indexing an article");
    int64_t docs;
    /* the article leaves the lists of every token it held; tokens it no longer holds count one
     * article less */
    for (size_t i = 0; i < old.cap; i++) {
        const char *t = old.slot[i].tok;
        if (t == NULL) continue;
        if (list_leave(s, cmd, t, id) != 0) return cmd->err.code;
        if (tokset_get(&new, t) == NULL && count_term(s, cmd, t, -1, &docs) != 0)
            return cmd->err.code;
    }
    int articles = (after != NULL) - (before != NULL);
    if (update_totals(s, cmd, id, articles, (int64_t) new.length - (int64_t)old.length,
                      after != NULL ? &new : NULL) != 0)
        return cmd->err.code;
    double rows, avgdl;
    if (kb_index_totals(&s->cache, &rows, &avgdl, &cmd->err) != 0) return cmd->err.code;
    for (size_t i = 0; i < new.cap; i++) {
        const char *t = new.slot[i].tok;
        if (t == NULL) continue;
        bool held = tokset_get(&old, t) != NULL;
        if ((held ? term_docs(s, cmd, t, &docs) : count_term(s, cmd, t, +1, &docs)) != 0)
            return cmd->err.code;
        if (docs <= kb_common_docs) continue;
        int rc = !held && docs == kb_common_docs + 1 /* just became common */
                     ? build_lists(s, &cmd->arena, t, &cmd->err)
                     : list_offer(s, cmd, t, id, new.slot[i].freq, (int64_t) new.length, avgdl);
        if (rc != 0) return rc;
    }
    return 0;
}

/* ---- databases from before the lists ------------------------------------------------------- */

int kb_lists_build_missing(struct store *s, struct parley_err *err)
{
    struct arena a;
    arena_init(&a);
    int rc = open_tokenizer(s, err);
    /* articles written before their length was kept */
    sqlite3_stmt *st = rc == 0 ? stmt_get(&s->cache,
                                          "SELECT id, title, text, tags FROM kb_articles"
                                          " WHERE tokens = 0",
                                          err)
                               : NULL;
    sqlite3_stmt *set =
        rc == 0 ? stmt_get(&s->cache, "UPDATE kb_articles SET tokens = ?2 WHERE id = ?1", err)
                : NULL;
    if (rc == 0 && (st == NULL || set == NULL)) rc = err->code;
    int step = SQLITE_DONE;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *cols[3] = {(const char *)sqlite3_column_text(st, 1),
                               (const char *)sqlite3_column_text(st, 2),
                               (const char *)sqlite3_column_text(st, 3)};
        struct tokset t = {.a = &a};
        if (tokset_fill(s->kb_fts, &t, cols) != 0) {
            rc = parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory measuring articles");
            break;
        }
        sqlite3_bind_int64(set, 1, sqlite3_column_int64(st, 0));
        sqlite3_bind_int64(set, 2, (sqlite3_int64)t.length);
        if (stmt_run(set) != SQLITE_DONE) rc = db_fail(err, s->db, "measuring articles");
        arena_free(&a);
        arena_init(&a);
    }
    if (st != NULL) sqlite3_reset(st);
    if (rc == 0 && step != SQLITE_DONE) rc = db_fail(err, s->db, "measuring articles");
    /* common tokens without lists */
    st = rc == 0 ? stmt_get(&s->cache,
                            "SELECT term FROM kb_terms WHERE docs > ?1"
                            " AND term NOT IN (SELECT term FROM kb_lists)",
                            err)
                 : NULL;
    if (rc == 0 && st == NULL) rc = err->code;
    char **terms = NULL;
    size_t n = 0, cap = 0;
    if (rc == 0) sqlite3_bind_int(st, 1, kb_common_docs);
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap == 0 ? 64 : 2 * cap;
            char **nt = realloc(terms, cap * sizeof(*terms));
            if (nt == NULL) {
                rc = parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory building lists");
                break;
            }
            terms = nt;
        }
        terms[n] = strdup((const char *)sqlite3_column_text(st, 0));
        if (terms[n] == NULL)
            rc = parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
        else
            n++;
    }
    if (st != NULL) sqlite3_reset(st);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = build_lists(s, &a, terms[i], err);
        arena_free(&a);
        arena_init(&a);
    }
    for (size_t i = 0; i < n; i++) free(terms[i]);
    free(terms);
    arena_free(&a);
    return rc;
}
