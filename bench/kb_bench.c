/* KB bench: search latency over a large generated knowledge base, through the store interface
 * (store_kb_search: query sanitising, AND-then-OR strategy, tenant and status join, bm25,
 * snippets) and as the same raw FTS5 MATCH statements run directly with SQLite on the same
 * file (no join, no snippets), in the same run.
 *
 * Articles are generated in a temporary database through STORE_KB_PUT_ARTICLE (the writer's
 * group commit, synchronous off): a 4-word title, 2 tags and a 60–180-word body drawn from a
 * Zipf distribution (s = 1.0) over a 40,000-word vocabulary in which the words of the demo
 * articles (data/demo/kb) sit at random ranks among made-up words, under a head of 60 English
 * function words (ranks 1–60, as in any English text; the query builder drops them). Queries: every
 * query of data/demo/kb_eval.csv and as many again made of 2–3 words of random article titles, each
 * run several times. Ends with one line `kb_bench: articles=N queries=N kb_p50_ms=… kb_p99_ms=…
 * raw_p50_ms=… raw_p99_ms=… kb_vs_raw_fts=…` (the ratio of the p99s).
 *
 * Also measures how far the store's bounded search (docs/knowledge-base.md, "How search stays
 * fast") agrees with the exhaustive ranking of every match: `agree_at_10` is the mean share of
 * the exhaustive top 10 that the store returned, `same_top1` the share of queries whose first
 * hit is the same.
 *
 * usage: kb_bench --db FILE [--articles N] [--rounds N] [--kb DIR] [--eval CSV] [--reuse]
 *        --reuse: when FILE already holds the generated articles, search them again instead of
 *        generating (the queries are the same: they are drawn from a fixed seed). */
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bot/eval_csv.h"
#include "bot/kb_md.h"
#include "store/store.h"
#include "store/store_int.h"

#define VOCAB      40000
#define WINDOW     512 /* commands in flight while generating */
#define LIMIT      10
#define KB_STR_(x) #x
#define KB_STR(x)  KB_STR_(x)
#define MAX_Q      4000

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t next_u64(void)
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static double next_unit(void)
{
    return (double)(next_u64() >> 11) / 9007199254740992.0;
}

static const char *const head[] = {
    "the",   "of",   "and",  "to",   "a",    "in",   "is",   "you",   "that",  "it",
    "for",   "your", "on",   "we",   "be",   "with", "as",   "this",  "are",   "or",
    "if",    "can",  "by",   "at",   "from", "have", "not",  "an",    "will",  "our",
    "us",    "has",  "was",  "when", "what", "do",   "but",  "all",   "there", "they",
    "which", "more", "so",   "any",  "no",   "how",  "my",   "would", "them",  "their",
    "been",  "then", "than", "some", "into", "only", "also", "about", "me",    "i"};
static const size_t n_head = sizeof(head) / sizeof(head[0]);

static char *vocab[VOCAB];
static size_t n_vocab;
static double cdf[VOCAB];

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The demo articles' words (a-z, 3+ letters), then made-up ones, shuffled into Zipf ranks. */
static void build_vocab(const char *kb_dir)
{
    DIR *d = opendir(kb_dir);
    char path[512], word[64];
    size_t demo = 0;
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strstr(e->d_name, ".md") == NULL) continue;
        snprintf(path, sizeof(path), "%s/%s", kb_dir, e->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL) continue;
        int c;
        size_t wl = 0;
        while ((c = fgetc(f)) != EOF || wl > 0) {
            if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
            if (c >= 'a' && c <= 'z' && wl < sizeof(word) - 1) {
                word[wl++] = (char)c;
                continue;
            }
            if (wl >= 3 && n_vocab < VOCAB / 4) {
                word[wl] = '\0';
                vocab[n_vocab++] = strdup(word);
            }
            wl = 0;
            if (c == EOF) break;
        }
        fclose(f);
    }
    if (d != NULL) closedir(d);
    qsort(vocab, n_vocab, sizeof(char *), cmp_str);
    for (size_t i = 0; i < n_vocab; i++) /* unique */
        if (demo == 0 || strcmp(vocab[demo - 1], vocab[i]) != 0) vocab[demo++] = vocab[i];
    n_vocab = demo;
    static const char *const cons = "bcdfghjklmnprstvwz", *const vows = "aeiou";
    while (n_vocab < VOCAB) {
        size_t syl = 2 + next_u64() % 3, wl = 0;
        for (size_t s = 0; s < syl; s++) {
            word[wl++] = cons[next_u64() % 18];
            word[wl++] = vows[next_u64() % 5];
        }
        word[wl++] = cons[next_u64() % 18];
        word[wl] = '\0';
        vocab[n_vocab++] = strdup(word);
    }
    for (size_t i = n_vocab - 1; i > 0; i--) { /* shuffle: demo words land at random ranks */
        size_t j = next_u64() % (i + 1);
        char *t = vocab[i];
        vocab[i] = vocab[j];
        vocab[j] = t;
    }
    /* English text's most frequent words are function words: they take the top ranks (as
     * in any English corpus), replacing the words that held them */

    for (size_t i = 0; i < n_head; i++) vocab[i] = (char *)head[i];
    double sum = 0;
    for (size_t i = 0; i < n_vocab; i++) sum += 1.0 / (double)(i + 1);
    double acc = 0;
    for (size_t i = 0; i < n_vocab; i++) cdf[i] = (acc += 1.0 / (double)(i + 1) / sum);
    fprintf(stderr, "kb_bench: vocabulary %zu words (%zu from the demo articles)\n", n_vocab, demo);
}

static const char *zipf_word(void)
{
    double u = next_unit();
    size_t lo = 0, hi = n_vocab - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return vocab[lo];
}

static char *words(struct arena *a, size_t n, bool uniform)
{
    size_t cap = n * 16 + 1, used = 0;
    char *s = arena_alloc(a, cap);
    for (size_t i = 0; i < n; i++) {
        const char *w = uniform ? vocab[next_u64() % n_vocab] : zipf_word();
        size_t l = strlen(w);
        if (used + l + 2 >= cap) break;
        if (i > 0) s[used++] = (i % 14 == 13) ? '.' : ' ';
        if (i % 14 == 13) s[used++] = ' ';
        memcpy(s + used, w, l);
        used += l;
    }
    s[used] = '\0';
    return s;
}

/* ---- generating through the store --------------------------------------------------------- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int pending, failed;

static void done(struct store_cmd *cmd)
{
    pthread_mutex_lock(&mu);
    if (cmd->status != 0) failed++;
    pending--;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}

static char **titles;

/* The titles of articles generated by an earlier run (--reuse), or 0 when there are none. */
static size_t load_titles(const char *db, size_t n)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    size_t got = 0;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(h);
        return 0;
    }
    if (sqlite3_prepare_v2(h, "SELECT title FROM kb_articles ORDER BY id LIMIT ?1", -1, &st,
                           NULL) == SQLITE_OK) {
        titles = calloc(n, sizeof(*titles));
        sqlite3_bind_int64(st, 1, (sqlite3_int64)n);
        while (sqlite3_step(st) == SQLITE_ROW && got < n)
            titles[got++] = strdup((const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    sqlite3_close(h);
    return got;
}

static void generate(struct store *s, int64_t tenant, size_t n)
{
    struct store_cmd *cmds = calloc(WINDOW, sizeof(*cmds));
    titles = calloc(n, sizeof(*titles));
    double t0 = now_ms();
    for (size_t base = 0; base < n; base += WINDOW) {
        size_t m = n - base < WINDOW ? n - base : WINDOW;
        pending = (int)m;
        for (size_t i = 0; i < m; i++) {
            struct store_cmd *c = &cmds[i];
            store_cmd_init(c, STORE_KB_PUT_ARTICLE);
            c->tenant_id = tenant;
            c->actor = "system";
            c->done = done;
            struct kb_article *k = &c->in.kb_put.article;
            k->slug = arena_printf(&c->arena, "article-%zu", base + i + 1);
            k->title = words(&c->arena, 4, false);
            k->body = words(&c->arena, 60 + next_u64() % 121, false);
            const char **tags = arena_alloc(&c->arena, 2 * sizeof(*tags));
            tags[0] = zipf_word();
            tags[1] = zipf_word();
            k->tags = tags;
            k->n_tags = 2;
            /* the body is plain words: its text is itself, its HTML one paragraph */
            k->text = k->body;
            k->html = arena_printf(&c->arena, "<p>%s</p>\n", k->body);
            titles[base + i] = strdup(k->title);
            if (store_submit(s, c) != 0) {
                fprintf(stderr, "kb_bench: submit failed\n");
                exit(1);
            }
        }
        pthread_mutex_lock(&mu);
        while (pending > 0) pthread_cond_wait(&cv, &mu);
        pthread_mutex_unlock(&mu);
        for (size_t i = 0; i < m; i++) store_cmd_release(&cmds[i]);
    }
    free(cmds);
    if (failed > 0) {
        fprintf(stderr, "kb_bench: %d articles failed\n", failed);
        exit(1);
    }
    fprintf(stderr, "kb_bench: generated %zu articles in %.1f s\n", n, (now_ms() - t0) / 1e3);
}

/* ---- the exhaustive ranking the store's plan is measured against --------------------------- */

/* Every article holding any word, ranked by bm25 over all the words, those holding every
 * informative word first (the meaning store_kb_search gives a query; docs/knowledge-base.md):
 * what the store would return if it ranked every match. parley_rank here only saves FTS5's
 * own doclist walks for idf; it ranks every match. */
static int reference(struct store_reader *r, sqlite3_stmt *st, const char *query, int64_t *seen)
{
    struct kb_plan p;
    struct parley_err err;
    char expr[KB_QUERY_CAP * 2], counts[KB_QUERY_MAX_TERMS * 21 + 1];
    int n_words = 0, n = 0;
    if (kb_plan_query(r, query, &p, &n_words, expr, sizeof(expr), counts, sizeof(counts), &err) !=
            0 ||
        expr[0] == '\0')
        return 0;
    sqlite3_bind_text(st, 1, expr, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, p.n_and);
    sqlite3_bind_text(st, 3, counts, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW && n < LIMIT) seen[n++] = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return n;
}

/* ---- the raw FTS5 side: the same MATCH strings, directly ------------------------------------ */

static int raw_run(sqlite3_stmt *st, const char *match, int64_t *seen, int n)
{
    sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, LIMIT + n);
    while (sqlite3_step(st) == SQLITE_ROW && n < LIMIT) {
        int64_t id = sqlite3_column_int64(st, 0);
        bool dup = false;
        for (int i = 0; i < n && !dup; i++) dup = seen[i] == id;
        if (!dup) seen[n++] = id;
    }
    sqlite3_reset(st);
    return n;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
    qsort(v, n, sizeof(double), cmp_d);
    size_t i = (size_t)ceil(p * (double)n) - 1;
    return v[i < n ? i : n - 1];
}

int main(int argc, char **argv)
{
    const char *db = NULL, *kb_dir = "data/demo/kb", *eval = "data/demo/kb_eval.csv";
    size_t n_articles = 100000;
    int rounds = 5;
    bool reuse = false;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--reuse") == 0) {
            reuse = true;
            memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof(*argv));
            argc--;
            i--;
        }
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--db") == 0)
            db = argv[i + 1];
        else if (strcmp(argv[i], "--articles") == 0)
            n_articles = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--rounds") == 0)
            rounds = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--kb") == 0)
            kb_dir = argv[i + 1];
        else if (strcmp(argv[i], "--eval") == 0)
            eval = argv[i + 1];
    }
    if (db == NULL || n_articles == 0 || rounds < 1) {
        fprintf(stderr,
                "usage: kb_bench --db FILE [--articles N] [--rounds N] [--kb DIR] [--eval CSV]\n");
        return 2;
    }
    if (getenv("KB_BENCH_BUDGET")) /* trying other ranking budgets (docs/benchmarks.md) */
        kb_rank_budget = atoi(getenv("KB_BENCH_BUDGET"));
    build_vocab(kb_dir);
    bool have = reuse && load_titles(db, n_articles) == n_articles;
    struct store_options opt = {.path = db, .synchronous_full = false};
    struct store *s;
    struct parley_err err;
    if (store_open(&opt, &s, &err) != 0) {
        fprintf(stderr, "kb_bench: %s\n", err.message);
        return 1;
    }
    int64_t tenant = 1;
    if (!have) {
        struct store_cmd c;
        store_cmd_init(&c, STORE_CREATE_TENANT);
        c.actor = "cli";
        c.in.create_tenant.tenant.slug = "bench";
        c.in.create_tenant.tenant.name = "Bench";
        c.in.create_tenant.admin.email = "admin@bench.example";
        c.in.create_tenant.admin.role = ROLE_ADMIN;
        c.in.create_tenant.admin_password_hash = "$argon2id$bench";
        if (store_exec(s, &c) != 0) {
            fprintf(stderr, "kb_bench: %s\n", c.err.message);
            return 1;
        }
        tenant = c.result_id;
        store_cmd_release(&c);
        generate(s, tenant, n_articles);
    } else {
        fprintf(stderr, "kb_bench: reusing the %zu articles in %s\n", n_articles, db);
    }
    rng = 0x2545F4914F6CDD1DULL; /* the same queries whether generated now or reused */

    /* queries: the demo evaluation set, then words of random titles */
    static char *queries[MAX_Q];
    size_t nq = 0;
    struct arena a;
    arena_init(&a);
    char *buf;
    size_t len, n_rows = 0;
    struct eval_row *rows = NULL;
    if (eval_read_file(eval, EVAL_CSV_MAX_FILE, &buf, &len, &a, &err) == 0 &&
        eval_csv_parse(eval, buf, len, "query", "article_slug", &rows, &n_rows, &a, &err) == 0)
        for (size_t i = 0; i < n_rows && nq < MAX_Q / 2; i++) queries[nq++] = strdup(rows[i].a);
    size_t from_eval = nq;
    while (nq < 2 * from_eval + 50 && nq < MAX_Q) {
        /* 2–3 content words of a random title (function words are no query) */
        char *t = strdup(titles[next_u64() % n_articles]), *q = calloc(1, strlen(t) + 1);
        size_t keep = 2 + next_u64() % 2, kept = 0;
        for (char *w = strtok(t, " ."); w != NULL && kept < keep; w = strtok(NULL, " .")) {
            bool function_word = false;
            for (size_t h = 0; h < n_head && !function_word; h++)
                function_word = strcmp(w, head[h]) == 0;
            if (function_word) continue;
            if (kept++ > 0) strcat(q, " ");
            strcat(q, w);
        }
        free(t);
        if (kept == 0) {
            free(q);
            continue;
        }
        queries[nq++] = q;
    }

    struct store_reader *r;
    if (store_reader_open(s, &r, &err) != 0) return 1;
    sqlite3 *raw;
    if (sqlite3_open_v2(db, &raw, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) return 1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(raw,
                           "SELECT rowid, bm25(kb_fts, 8.0, 1.0, 3.0) AS rank FROM kb_fts"
                           " WHERE kb_fts MATCH ?1 ORDER BY rank LIMIT ?2",
                           -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "kb_bench: %s\n", sqlite3_errmsg(raw));
        return 1;
    }
    struct kb_fts *raw_fts;
    sqlite3_stmt *ref;
    if (kb_fts_open(raw, true, &raw_fts, &err) != 0 ||
        sqlite3_prepare_v2(raw,
                           "SELECT rowid FROM kb_fts WHERE kb_fts MATCH ?1"
                           " ORDER BY parley_rank(kb_fts, ?2, ?3) LIMIT " KB_STR(LIMIT),
                           -1, &ref, NULL) != SQLITE_OK) {
        fprintf(stderr, "kb_bench: %s\n", sqlite3_errmsg(raw));
        return 1;
    }
    size_t total = nq * (size_t)rounds;
    double *kb = calloc(total, sizeof(double)), *rw = calloc(total, sizeof(double));
    size_t k = 0, hits_sum = 0;
    double agree = 0, top1 = 0;
    for (size_t i = 0; i < nq; i++) { /* warm both once */
        struct arena q;
        arena_init(&q);
        struct kb_hit *h;
        size_t n;
        store_kb_search(r, tenant, queries[i], LIMIT, &h, &n, &q, &err);
        arena_free(&q);
    }
    for (int round = 0; round < rounds; round++) {
        for (size_t i = 0; i < nq; i++, k++) {
            struct arena q;
            arena_init(&q);
            struct kb_hit *h;
            size_t n = 0;
            struct timespec c0, c1;
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
            double t0 = now_ms();
            int rc = store_kb_search(r, tenant, queries[i], LIMIT, &h, &n, &q, &err);
            kb[k] = now_ms() - t0;
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
            double cpu =
                (double)(c1.tv_sec - c0.tv_sec) * 1e3 + (double)(c1.tv_nsec - c0.tv_nsec) / 1e6;
            if (round == 0 && getenv("KB_BENCH_SLOW") && kb[k] > atof(getenv("KB_BENCH_SLOW")))
                fprintf(stderr, "slow %.1f ms (cpu %.1f ms): %s\n", kb[k], cpu, queries[i]);
            if (rc != 0) {
                fprintf(stderr, "kb_bench: search '%s': %s\n", queries[i], err.message);
                return 1;
            }
            hits_sum += n;
            int64_t mine[LIMIT];
            size_t n_mine = n < LIMIT ? n : LIMIT;
            for (size_t j = 0; j < n_mine; j++) mine[j] = h[j].article_id;
            arena_free(&q);
            /* the same MATCH strings the store runs, straight at FTS5 */
            char all[KB_QUERY_CAP], any[KB_QUERY_CAP];
            int64_t seen[LIMIT];
            t0 = now_ms();
            size_t ql = strlen(queries[i]);
            int terms = kb_fts_query(queries[i], ql, KB_MATCH_ALL, all, sizeof(all));
            int got = terms > 0 ? raw_run(st, all, seen, 0) : 0;
            if (terms > 1 && got < LIMIT) {
                kb_fts_query(queries[i], ql, KB_MATCH_ANY, any, sizeof(any));
                got = raw_run(st, any, seen, got);
            }
            rw[k] = now_ms() - t0;
            if (round == 0) { /* agreement with the exhaustive ranking of the same meaning */
                got = reference(r, ref, queries[i], seen);
                size_t common = 0;
                for (int x = 0; x < got; x++)
                    for (size_t y = 0; y < n_mine; y++) common += seen[x] == mine[y];
                agree += got > 0 ? (double)common / got : n_mine == 0 ? 1.0 : 0.0;
                top1 += (got == 0 && n_mine == 0) || (got > 0 && n_mine > 0 && seen[0] == mine[0]);
                if (getenv("KB_BENCH_DIFF") && got > 0 && common < (size_t)got)
                    fprintf(stderr, "differs %zu/%d: %s\n", common, got, queries[i]);
            }
        }
    }
    double kb50 = pct(kb, total, 0.50), kb99 = pct(kb, total, 0.99);
    double rw50 = pct(rw, total, 0.50), rw99 = pct(rw, total, 0.99);
    fprintf(stderr, "kb_bench: %zu queries x %d rounds, %.1f hits per search on average\n", nq,
            rounds, (double)hits_sum / (double)total);
    printf("kb_bench: articles=%zu queries=%zu kb_p50_ms=%.3f kb_p99_ms=%.3f raw_p50_ms=%.3f "
           "raw_p99_ms=%.3f kb_vs_raw_fts=%.2f agree_at_10=%.3f same_top1=%.3f\n",
           n_articles, total, kb50, kb99, rw50, rw99, rw99 > 0 ? kb99 / rw99 : 0.0,
           agree / (double)nq, top1 / (double)nq);
    sqlite3_finalize(st);
    sqlite3_finalize(ref);
    kb_fts_close(raw_fts);
    sqlite3_close(raw);
    store_reader_close(r);
    store_close(s);
    return 0;
}
