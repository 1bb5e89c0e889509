/* The knowledge base's side of FTS5 (docs/knowledge-base.md, "How search stays fast"):
 *
 * - kb_tok: kb_fts's own tokenizer (porter over unicode61, diacritics folded), reached through
 *   the fts5_api of a connection, so that words are turned into exactly the tokens the index
 *   holds;
 * - parley_rank(): bm25 as FTS5 computes it (same k1, b, column weights), except that each
 *   phrase's document count is an argument (from kb_terms) instead of a walk over its doclist.
 *   For a word in 30,000 articles that walk is most of a millisecond, on every search. */
#include "store_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const double kb_column_weight[3] = {KB_WEIGHT_TITLE, KB_WEIGHT_TEXT, KB_WEIGHT_TAGS};

/* The tokenizer kb_fts was created with (migration_kb): keep the two in step. */
#define KB_TOKENIZER     "porter"
#define KB_TOKENIZER_ARG "unicode61", "remove_diacritics", "2"

struct kb_fts {
    fts5_api *api;
    fts5_tokenizer tok;
    Fts5Tokenizer *inst;
};

static fts5_api *fts5_api_of(sqlite3 *db)
{
    fts5_api *api = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK) return NULL;
    sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
    sqlite3_step(st);
    sqlite3_finalize(st);
    return api;
}

/* ---- parley_rank(kb_fts, n_and, 'docs_0,docs_1,…') ----------------------------------------- */

#define RANK_K1 1.2
#define RANK_B  0.75

struct rank_data {
    int n_phrase;
    double avgdl;
    double idf[];
};

/* FTS5's idf: ln((N - n + 0.5) / (n + 0.5)), floored at 1e-6. */
static double idf_of(double rows, double hits)
{
    double idf = log((rows - hits + 0.5) / (hits + 0.5));
    return idf <= 0.0 ? 1e-6 : idf;
}

double kb_fts_key(double f, double n_tok, double avgdl)
{
    if (f <= 0.0) return 0.0;
    return f / (f + RANK_K1 * (1.0 - RANK_B + RANK_B * n_tok / (avgdl > 0.0 ? avgdl : 1.0)));
}

double kb_fts_part(double rows, double docs, double key)
{
    return idf_of(rows, docs) * (RANK_K1 + 1.0) * key;
}

/* One phrase's part of the score: its weighted frequency f in an article of n_tok tokens. */
static double term_score(double idf, double f, double n_tok, double avgdl)
{
    return idf * (RANK_K1 + 1.0) * kb_fts_key(f, n_tok, avgdl);
}

static void rank_free(void *p)
{
    sqlite3_free(p);
}

/* The per-statement part: the average document length and each phrase's idf (FTS5's formula:
 * ln((N - n + 0.5) / (n + 0.5)), floored at 1e-6). A phrase whose count is not given (fewer
 * arguments, or a negative one) is counted with xQueryPhrase, as bm25 does. */
static int count_cb(const Fts5ExtensionApi *api, Fts5Context *fts, void *ud)
{
    (void)api;
    (void)fts;
    (*(sqlite3_int64 *)ud)++;
    return SQLITE_OK;
}

static struct rank_data *rank_data(const Fts5ExtensionApi *api, Fts5Context *fts,
                                   const char *counts, int *rc)
{
    struct rank_data *d = api->xGetAuxdata(fts, 0);
    if (d != NULL) return d;
    int n_phrase = api->xPhraseCount(fts);
    d = sqlite3_malloc64(sizeof(*d) + (size_t)n_phrase * sizeof(double));
    if (d == NULL) {
        *rc = SQLITE_NOMEM;
        return NULL;
    }
    d->n_phrase = n_phrase;
    sqlite3_int64 n_row = 0, n_tok = 0;
    if ((*rc = api->xRowCount(fts, &n_row)) == SQLITE_OK)
        *rc = api->xColumnTotalSize(fts, -1, &n_tok);
    d->avgdl = n_row > 0 ? (double)n_tok / (double)n_row : 1.0;
    for (int i = 0; *rc == SQLITE_OK && i < n_phrase; i++) {
        sqlite3_int64 hits = -1;
        if (counts != NULL && *counts != '\0') { /* "12,4031": the next count */
            char *end;
            long long v = strtoll(counts, &end, 10);
            if (end != counts && v >= 0) hits = v;
            counts = *end == ',' ? end + 1 : end;
        }
        if (hits < 0) {
            hits = 0;
            *rc = api->xQueryPhrase(fts, i, &hits, count_cb);
        }
        d->idf[i] = idf_of((double)n_row, (double)hits);
    }
    if (*rc == SQLITE_OK) *rc = api->xSetAuxdata(fts, d, rank_free);
    if (*rc != SQLITE_OK) {
        sqlite3_free(d);
        return NULL;
    }
    return d;
}

static void parley_rank(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
                        int n_val, sqlite3_value **val)
{
    int rc = SQLITE_OK;
    int n_and = n_val > 0 ? sqlite3_value_int(val[0]) : 0; /* phrases 0..n_and-1 */
    struct rank_data *d =
        rank_data(api, fts, n_val > 1 ? (const char *)sqlite3_value_text(val[1]) : NULL, &rc);
    if (d == NULL) {
        sqlite3_result_error_code(ctx, rc);
        return;
    }
    double freq[KB_QUERY_MAX_TERMS + 1] = {0}, *f = freq;
    if (d->n_phrase > (int)(sizeof(freq) / sizeof(freq[0]))) {
        f = sqlite3_malloc64((size_t)d->n_phrase * sizeof(double));
        if (f == NULL) {
            sqlite3_result_error_nomem(ctx);
            return;
        }
        memset(f, 0, (size_t)d->n_phrase * sizeof(double));
    }
    int n_inst = 0;
    rc = api->xInstCount(fts, &n_inst);
    for (int i = 0; rc == SQLITE_OK && i < n_inst; i++) {
        int phrase, col, off;
        rc = api->xInst(fts, i, &phrase, &col, &off);
        if (rc == SQLITE_OK && phrase >= 0 && phrase < d->n_phrase)
            f[phrase] += col >= 0 && col < 3 ? kb_column_weight[col] : 1.0;
    }
    int n_tok = 0;
    if (rc == SQLITE_OK) rc = api->xColumnSize(fts, -1, &n_tok);
    double score = 0.0;
    int held = 0;
    for (int i = 0; i < d->n_phrase; i++) {
        score += term_score(d->idf[i], f[i], (double)n_tok, d->avgdl);
        held += i < n_and && f[i] > 0.0;
    }
    if (n_and > 0 && held == n_and) score += KB_RANK_ALL;
    if (f != freq) sqlite3_free(f);
    if (rc != SQLITE_OK)
        sqlite3_result_error_code(ctx, rc);
    else
        sqlite3_result_double(ctx, -score); /* like bm25: better matches are more negative */
}

/* ---- the tokenizer ------------------------------------------------------------------------- */

int kb_fts_open(sqlite3 *db, bool rank, struct kb_fts **out, struct parley_err *err)
{
    *out = NULL;
    struct kb_fts *k = calloc(1, sizeof(*k));
    if (k == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory opening search");
    void *ud = NULL;
    const char *args[] = {KB_TOKENIZER_ARG};
    k->api = fts5_api_of(db);
    if (k->api == NULL || k->api->xFindTokenizer(k->api, KB_TOKENIZER, &ud, &k->tok) != SQLITE_OK ||
        k->tok.xCreate(ud, args, (int)(sizeof(args) / sizeof(args[0])), &k->inst) != SQLITE_OK) {
        free(k);
        return parley_fail(err, PARLEY_EINTERNAL, NULL,
                           "this SQLite has no FTS5 " KB_TOKENIZER " tokenizer");
    }
    if (rank &&
        k->api->xCreateFunction(k->api, "parley_rank", NULL, parley_rank, NULL) != SQLITE_OK) {
        kb_fts_close(k);
        return parley_fail(err, PARLEY_EINTERNAL, NULL, "could not register parley_rank");
    }
    *out = k;
    return 0;
}

void kb_fts_close(struct kb_fts *k)
{
    if (k == NULL) return;
    if (k->inst != NULL) k->tok.xDelete(k->inst);
    free(k);
}

struct tok_ctx {
    kb_token_fn fn;
    void *ud;
};

static int tok_cb(void *ud, int flags, const char *tok, int n, int start, int end)
{
    struct tok_ctx *c = ud;
    if (flags & FTS5_TOKEN_COLOCATED) return SQLITE_OK;
    return c->fn(c->ud, tok, (size_t)n, (size_t)start, (size_t)end) == 0 ? SQLITE_OK : SQLITE_ABORT;
}

int kb_fts_tokens(struct kb_fts *k, bool query, const char *text, size_t len, kb_token_fn fn,
                  void *ud)
{
    struct tok_ctx c = {fn, ud};
    if (len > (size_t)INT32_MAX) return -1;
    return k->tok.xTokenize(k->inst, &c, query ? FTS5_TOKENIZE_QUERY : FTS5_TOKENIZE_DOCUMENT,
                            text != NULL ? text : "", (int)len, tok_cb) == SQLITE_OK
               ? 0
               : -1;
}

/* ---- scoring words in one article's text ------------------------------------------------------
 */

struct count_ctx {
    const char *const *tok;
    int n;
    double weight, *f;
    size_t n_tok;
};

static int count_token(void *ud, const char *t, size_t n, size_t start, size_t end)
{
    (void)start;
    (void)end;
    struct count_ctx *c = ud;
    c->n_tok++;
    for (int i = 0; i < c->n; i++)
        if (c->tok[i] != NULL && kb_token_eq(c->tok[i], t, n)) c->f[i] += c->weight;
    return 0;
}

double kb_fts_score(struct kb_fts *k, double rows, double avgdl, const char *const cols[3],
                    const char *const *tok, const int64_t *docs, int n, int *held)
{
    double f[KB_QUERY_MAX_TERMS] = {0};
    if (n > KB_QUERY_MAX_TERMS) n = KB_QUERY_MAX_TERMS;
    struct count_ctx c = {tok, n, 0, f, 0};
    for (int col = 0; col < 3; col++) {
        c.weight = kb_column_weight[col];
        if (cols[col] != NULL)
            kb_fts_tokens(k, false, cols[col], strlen(cols[col]), count_token, &c);
    }
    double score = 0.0;
    *held = 0;
    for (int i = 0; i < n; i++) {
        if (f[i] <= 0.0) continue;
        (*held)++;
        score += term_score(idf_of(rows, (double)docs[i]), f[i], (double)c.n_tok, avgdl);
    }
    return score;
}
