/* Unit tests for what keeps knowledge-base search fast (docs/knowledge-base.md, "How search
 * stays fast"): the counts the writer keeps beside FTS5 (kb_terms, kb_index, article lengths)
 * always equal what FTS5 itself holds; parley_rank() is FTS5's bm25; the champion lists hold
 * the best articles; and the planned search returns what ranking every match would, on seeded
 * random corpora, with the thresholds turned down so that every path runs on a few dozen
 * articles. Real SQLite files under /tmp. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "store_fixture.h"

#include <math.h>

static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* A small vocabulary with a few very common words, some middling and a long tail, and forms
 * that stem together (reading/readings, move/moving). */
static const char *const vocab[] = {
    "meter",  "reading", "readings", "bill",     "payment", "tariff", "smart",   "display",
    "moving", "move",    "home",     "debit",    "direct",  "credit", "refund",  "gas",
    "power",  "cut",     "engineer", "visit",    "account", "online", "app",     "password",
    "solar",  "export",  "warm",     "discount", "winter",  "boiler", "heating", "storage",
    "night",  "rate",    "economy",  "seven",    "fault",   "blank",  "screen",  "usage",
};
#define N_VOCAB (sizeof(vocab) / sizeof(vocab[0]))

static const char *word(void)
{
    /* one word in twenty from a long tail of rare ones, each in a few articles */
    static char rare[64][8];
    if (rnd() % 20 == 0) {
        unsigned i = (unsigned)(rnd() % 64);
        snprintf(rare[i], sizeof(rare[i]), "qx%02u", i);
        return rare[i];
    }
    /* the others roughly Zipf: low indexes far more often */
    double u = (double)(rnd() >> 11) / 9007199254740992.0;
    size_t i = (size_t)(pow(u, 2.2) * (double)N_VOCAB);
    return vocab[i < N_VOCAB ? i : N_VOCAB - 1];
}

static char *words(struct arena *a, size_t n)
{
    char *s = arena_alloc(a, n * 12 + 1), *p = s;
    for (size_t i = 0; i < n; i++) p += sprintf(p, "%s%s", i ? " " : "", word());
    return s;
}

static int put(struct fixture *f, int64_t tenant, const char *slug, int64_t id, bool draft)
{
    struct store_cmd c;
    store_cmd_init(&c, id == 0 ? STORE_KB_PUT_ARTICLE : STORE_KB_UPDATE_ARTICLE);
    c.tenant_id = tenant;
    c.actor = "user:1";
    struct kb_article *k = id == 0 ? &c.in.kb_put.article : &c.in.kb_update.article;
    k->id = id;
    k->slug = slug;
    k->title = words(&c.arena, 2 + rnd() % 3);
    k->text = words(&c.arena, 5 + rnd() % 40);
    k->body = k->text;
    k->html = arena_printf(&c.arena, "<p>%s</p>", k->text);
    const char **tags = arena_alloc(&c.arena, sizeof(*tags));
    tags[0] = word();
    k->tags = tags;
    k->n_tags = 1;
    k->status = draft ? KB_DRAFT : KB_PUBLISHED;
    if (id != 0) c.in.kb_update.set = KB_SET_TITLE | KB_SET_BODY | KB_SET_TAGS | KB_SET_STATUS;
    int rc = run(f, &c);
    int64_t out = c.result_id;
    store_cmd_release(&c);
    assert_int_equal(rc, 0);
    return (int)out;
}

static void delete_article(struct fixture *f, int64_t tenant, int64_t id)
{
    struct store_cmd c;
    store_cmd_init(&c, STORE_KB_DELETE_ARTICLE);
    c.tenant_id = tenant;
    c.actor = "user:1";
    c.in.kb_delete_id = id;
    assert_int_equal(run(f, &c), 0);
    store_cmd_release(&c);
}

/* Two tenants, n articles each, then a third of them rewritten and a sixth deleted. */
static void random_corpus(struct fixture *f, int64_t t[2], size_t n, uint64_t seed)
{
    rng_state = seed;
    t[0] = new_tenant(f, "acme", NULL);
    t[1] = new_tenant(f, "other", NULL);
    int64_t ids[2][200];
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 2; k++) {
            char slug[32];
            snprintf(slug, sizeof(slug), "a-%zu", i);
            ids[k][i] = put(f, t[k], slug, 0, rnd() % 10 == 0);
        }
    for (size_t i = 0; i < n; i += 3) put(f, t[0], NULL, ids[0][i], false);
    for (size_t i = 1; i < n; i += 6) delete_article(f, t[1], ids[1][i]);
}

static sqlite3 *raw_open(struct fixture *f)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    return db;
}

static int64_t one_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void counts_follow_the_index(void **state)
{
    struct fixture *f = *state;
    int64_t t[2];
    random_corpus(f, t, 60, 7);
    sqlite3 *db = raw_open(f);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, kb_fts, row)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    /* every token's count equals FTS5's, and no token has a count FTS5 does not */
    assert_int_equal(one_int(db, "SELECT count(*) FROM temp.v v LEFT JOIN kb_terms k"
                                 " ON k.term = v.term WHERE k.docs IS NOT v.doc"),
                     0);
    assert_int_equal(one_int(db, "SELECT count(*) FROM kb_terms WHERE docs > 0"
                                 " AND term NOT IN (SELECT term FROM temp.v)"),
                     0);
    assert_true(one_int(db, "SELECT count(*) FROM kb_terms") > 20);
    /* the totals, and every article's length */
    assert_int_equal(one_int(db, "SELECT articles FROM kb_index"),
                     one_int(db, "SELECT count(*) FROM kb_articles"));
    assert_int_equal(one_int(db, "SELECT tokens FROM kb_index"),
                     one_int(db, "SELECT sum(cnt) FROM temp.v"));
    assert_int_equal(one_int(db, "SELECT sum(tokens) FROM kb_articles"),
                     one_int(db, "SELECT sum(cnt) FROM temp.v"));
    assert_int_equal(one_int(db, "SELECT count(*) FROM kb_articles WHERE tokens = 0"), 0);
    sqlite3_close(db);
}

static int first_token(void *ud, const char *tok, size_t n, size_t start, size_t end)
{
    (void)start;
    (void)end;
    snprintf(ud, 32, "%.*s", (int)n, tok);
    return 0;
}

/* parley_rank with the counts from kb_terms, and with none (it counts as bm25 does), equals
 * FTS5's bm25 with the same weights on every matching row. */
static void parley_rank_is_bm25(void **state)
{
    struct fixture *f = *state;
    int64_t t[2];
    random_corpus(f, t, 40, 11);
    sqlite3 *db = raw_open(f);
    struct kb_fts *k;
    struct parley_err err;
    assert_int_equal(kb_fts_open(db, true, &k, &err), 0);
    static const char *const q[][2] = {
        {"\"meter\"", ""},
        {"\"meter\" OR \"gas\" OR \"solar\"", ""},
        {"\"smart\" \"display\"", ""},
        {"\"reading\" OR \"boiler\"", ""},
    };
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT parley_rank(kb_fts, 0, ?2), bm25(kb_fts, 8.0, 1.0, 3.0),"
                           " parley_rank(kb_fts, 0, '') FROM kb_fts WHERE kb_fts MATCH ?1",
                           -1, &st, NULL),
        SQLITE_OK);
    sqlite3_stmt *docs;
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT docs FROM kb_terms WHERE term = ?1", -1, &docs, NULL),
        SQLITE_OK);
    for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
        /* the counts, in phrase order, of each word's token as the index holds it */
        char counts[128] = "", w[32];
        const char *p = q[i][0];
        while ((p = strchr(p, '"')) != NULL) {
            const char *e = strchr(p + 1, '"');
            snprintf(w, sizeof(w), "%.*s", (int)(e - p - 1), p + 1);
            p = e + 1;
            assert_int_equal(kb_fts_tokens(k, true, w, strlen(w), first_token, w), 0);
            sqlite3_bind_text(docs, 1, w, -1, SQLITE_TRANSIENT);
            assert_int_equal(sqlite3_step(docs), SQLITE_ROW);
            snprintf(counts + strlen(counts), sizeof(counts) - strlen(counts), "%s%lld",
                     counts[0] ? "," : "", (long long)sqlite3_column_int64(docs, 0));
            sqlite3_reset(docs);
        }
        sqlite3_bind_text(st, 1, q[i][0], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, counts, -1, SQLITE_STATIC);
        int rows = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            rows++;
            double mine = sqlite3_column_double(st, 0), fts = sqlite3_column_double(st, 1);
            double counted = sqlite3_column_double(st, 2);
            assert_true(fabs(mine - fts) < 1e-9 * (1 + fabs(fts)));
            assert_true(fabs(counted - fts) < 1e-9 * (1 + fabs(fts)));
        }
        sqlite3_reset(st);
        assert_true(rows > 0);
    }
    sqlite3_finalize(st);
    sqlite3_finalize(docs);
    kb_fts_close(k);
    sqlite3_close(db);
}

/* The tenant's published articles ranked by every match: holding every informative word
 * first, then bm25 over all the words (what store_kb_search means). Scores into out. */
static size_t reference(struct fixture *f, sqlite3 *db, int64_t tenant, const char *query,
                        double *out)
{
    struct kb_plan p;
    struct parley_err err;
    char expr[KB_QUERY_CAP * 2], counts[KB_QUERY_MAX_TERMS * 21 + 1];
    int n_words = 0;
    assert_int_equal(
        kb_plan_query(f->r, query, &p, &n_words, expr, sizeof(expr), counts, sizeof(counts), &err),
        0);
    if (expr[0] == '\0') return 0;
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT f.rank FROM (SELECT rowid, parley_rank(kb_fts, ?2, ?3) AS rank"
                           " FROM kb_fts WHERE kb_fts MATCH ?1) f CROSS JOIN kb_articles a"
                           " ON a.id = f.rowid WHERE a.tenant_id = ?4 AND a.status = 'published'"
                           " ORDER BY f.rank LIMIT 10",
                           -1, &st, NULL),
        SQLITE_OK);
    sqlite3_bind_text(st, 1, expr, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, p.n_and);
    sqlite3_bind_text(st, 3, counts, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, tenant);
    size_t n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        double r = -sqlite3_column_double(st, 0);
        out[n++] = r >= KB_RANK_ALL / 2 ? r - KB_RANK_ALL : r;
    }
    sqlite3_finalize(st);
    return n;
}

/* With lists long enough to hold every article, the plan must find exactly what ranking every
 * match finds, through each of its paths: informative words only, informative and common,
 * common only, a word no article holds. */
static void plan_finds_what_ranking_everything_finds(void **state)
{
    struct fixture *f = *state;
    int saved[3] = {kb_rank_budget, kb_common_docs, kb_list_size};
    kb_rank_budget = 12;
    kb_common_docs = 6;
    kb_list_size = 1000;
    int64_t t[2];
    random_corpus(f, t, 50, 23);
    sqlite3 *db = raw_open(f);
    struct kb_fts *k;
    struct parley_err err;
    assert_int_equal(kb_fts_open(db, true, &k, &err), 0);
    assert_true(one_int(db, "SELECT count(*) FROM kb_lists") > 10);
    int paths[3] = {0, 0, 0}; /* rare only, rare and common, common only */
    rng_state = 99;
    for (int i = 0; i < 300; i++) {
        char q[128];
        int nw = 1 + (int)(rnd() % 3);
        q[0] = '\0';
        for (int w = 0; w < nw; w++)
            snprintf(q + strlen(q), sizeof(q) - strlen(q), "%s%s", w ? " " : "",
                     i % 17 == 0 && w == 1 ? "zebra" : word());
        struct kb_plan p;
        char e[KB_QUERY_CAP * 2], c[300];
        int n_words;
        assert_int_equal(kb_plan_query(f->r, q, &p, &n_words, e, sizeof(e), c, sizeof(c), &err), 0);
        paths[p.n_common == 0 ? 0 : p.rare_n > 0 ? 1 : 2]++;
        for (int tn = 0; tn < 2; tn++) {
            double want[10];
            size_t nw_ = reference(f, db, t[tn], q, want);
            struct kb_hit *h;
            size_t n = 0;
            assert_int_equal(store_kb_search(f->r, t[tn], q, 10, &h, &n, &f->a, &err), 0);
            if (n != nw_)
                fail_msg("'%s' tenant %d: %zu hits, ranking everything gives %zu", q, tn, n, nw_);
            for (size_t j = 0; j < n; j++)
                if (fabs(h[j].score - want[j]) > 1e-9 * (1 + fabs(want[j])))
                    fail_msg("'%s' tenant %d hit %zu: score %.12f, ranking everything %.12f", q, tn,
                             j, h[j].score, want[j]);
        }
    }
    if (paths[0] == 0 || paths[1] == 0 || paths[2] == 0)
        fail_msg("paths taken: rare only %d, rare and common %d, common only %d", paths[0],
                 paths[1], paths[2]);
    kb_fts_close(k);
    sqlite3_close(db);
    kb_rank_budget = saved[0];
    kb_common_docs = saved[1];
    kb_list_size = saved[2];
}

/* A database from before the lists (or whose lists were lost) gets them at open, and each is
 * the tenant's best articles for the token by key. */
static void lists_are_built_at_open_and_hold_the_best(void **state)
{
    struct fixture *f = *state;
    int saved[2] = {kb_common_docs, kb_list_size};
    kb_common_docs = 6;
    kb_list_size = 4;
    int64_t t[2];
    random_corpus(f, t, 40, 5);
    sqlite3 *db = raw_open(f);
    int64_t lists = one_int(db, "SELECT count(*) FROM kb_lists");
    assert_true(lists > 10);
    assert_int_equal(one_int(db, "SELECT count(*) FROM (SELECT count(*) AS n FROM kb_champions"
                                 " GROUP BY term, tenant_id) WHERE n > 4"),
                     0);
    close_store(f);
    assert_int_equal(sqlite3_exec(db,
                                  "DELETE FROM kb_lists; DELETE FROM kb_champions;"
                                  " UPDATE kb_articles SET tokens = 0;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(open_store(f), 0);
    assert_int_equal(one_int(db, "SELECT count(*) FROM kb_lists"), lists);
    assert_int_equal(one_int(db, "SELECT count(*) FROM kb_articles WHERE tokens = 0"), 0);
    /* each list: the 4 best keys of the tenant's articles holding the token, by brute force */
    assert_int_equal(
        sqlite3_exec(db, "CREATE VIRTUAL TABLE temp.i USING fts5vocab(main, kb_fts, instance)",
                     NULL, NULL, NULL),
        SQLITE_OK);
    double avgdl = (double)one_int(db, "SELECT tokens FROM kb_index") /
                   (double)one_int(db, "SELECT articles FROM kb_index");
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT i.doc, a.tenant_id, a.tokens, sum(CASE i.col WHEN 'title' THEN"
                           " 8.0 WHEN 'tags' THEN 3.0 ELSE 1.0 END) FROM temp.i i JOIN kb_articles"
                           " a ON a.id = i.doc WHERE i.term = ?1 GROUP BY i.doc",
                           -1, &st, NULL),
        SQLITE_OK);
    sqlite3_stmt *lst;
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT term, tenant_id, floor FROM kb_lists", -1, &lst, NULL),
        SQLITE_OK);
    int checked = 0;
    while (sqlite3_step(lst) == SQLITE_ROW) {
        const char *term = (const char *)sqlite3_column_text(lst, 0);
        int64_t tenant = sqlite3_column_int64(lst, 1);
        double floor = sqlite3_column_double(lst, 2);
        sqlite3_bind_text(st, 1, term, -1, SQLITE_TRANSIENT);
        double keys[400];
        size_t n = 0;
        while (sqlite3_step(st) == SQLITE_ROW)
            if (sqlite3_column_int64(st, 1) == tenant && n < 400)
                keys[n++] = kb_fts_key(sqlite3_column_double(st, 3),
                                       (double)sqlite3_column_int64(st, 2), avgdl);
        sqlite3_reset(st);
        /* those above the floor are exactly the list */
        char sql[256];
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM kb_champions WHERE term = '%s' AND tenant_id = %lld", term,
                 (long long)tenant);
        int64_t in_list = one_int(db, sql);
        size_t above = 0;
        for (size_t j = 0; j < n; j++) above += keys[j] > floor + 1e-12;
        assert_int_equal(above, in_list);
        assert_true(in_list <= 4);
        checked++;
    }
    assert_true(checked > 10);
    sqlite3_finalize(st);
    sqlite3_finalize(lst);
    sqlite3_close(db);
    kb_common_docs = saved[0];
    kb_list_size = saved[1];
}

static void snippets_pick_the_window_with_the_words(void **state)
{
    struct fixture *f = *state;
    int64_t t = new_tenant(f, "acme", NULL);
    struct store_cmd c;
    store_cmd_init(&c, STORE_KB_PUT_ARTICLE);
    c.tenant_id = t;
    c.actor = "user:1";
    struct kb_article *k = &c.in.kb_put.article;
    k->slug = "long";
    k->title = "Looking after your account";
    k->text = "Keep your details up to date so that we can reach you when it matters, and so "
              "that letters go to the right address. You can change most of them online at any "
              "time of day. Some changes need a call because we have to check who you are "
              "first. When you send meter readings each month, your bills use them instead of "
              "estimates. Readings sent after the billing date count for the next bill. If you "
              "are away, a neighbour can read the meter for you.";
    k->body = k->text;
    k->html = "<p>long</p>";
    k->status = KB_PUBLISHED;
    assert_int_equal(run(f, &c), 0);
    store_cmd_release(&c);
    struct kb_hit *h;
    size_t n = 0;
    struct parley_err err;
    assert_int_equal(store_kb_search(f->r, t, "estimated reading", 10, &h, &n, &f->a, &err), 0);
    assert_int_equal(n, 1);
    /* stems match: "readings" and "estimates" are marked for "reading" and "estimated" */
    assert_non_null(strstr(h[0].snippet, "<mark>readings</mark>"));
    assert_non_null(strstr(h[0].snippet, "<mark>estimates</mark>"));
    /* cut at both ends, so it starts and ends with an ellipsis */
    assert_true(strncmp(h[0].snippet, "\xE2\x80\xA6", 3) == 0);
    assert_non_null(strstr(h[0].snippet + strlen(h[0].snippet) - 3, "\xE2\x80\xA6"));
    assert_null(strstr(h[0].snippet, "Keep your details"));
    /* the matches sit in the middle: words of context after the last one too */
    const char *last = h[0].snippet, *m;
    while ((m = strstr(last, "</mark>")) != NULL) last = m + 7;
    assert_true(strlen(last) > 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(counts_follow_the_index, setup, teardown),
        cmocka_unit_test_setup_teardown(parley_rank_is_bm25, setup, teardown),
        cmocka_unit_test_setup_teardown(plan_finds_what_ranking_everything_finds, setup, teardown),
        cmocka_unit_test_setup_teardown(lists_are_built_at_open_and_hold_the_best, setup, teardown),
        cmocka_unit_test_setup_teardown(snippets_pick_the_window_with_the_words, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
