/* The model: the feature dictionary, TF-IDF weighting, prediction, and the versioned binary
 * format (save, and a load that validates every byte because models come from the database
 * and the API). The format is described in docs/bot-nlu.md. */
#include "nlu_int.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"

static const unsigned char MAGIC[8] = {'P', 'N', 'L', 'U', 'M', 'D', 'L', 0};
#define FORMAT_VERSION 1
#define MAX_FEATURES   (1u << 24)

/* ---- dictionary ------------------------------------------------------------------------------ */

int nlu_vocab_index(struct nlu_vocab *v)
{
    size_t size = 16;
    while (size < 2 * v->n) size <<= 1;
    v->table = calloc(size, sizeof(uint32_t));
    if (v->table == NULL) return PARLEY_ENOMEM;
    v->mask = size - 1;
    for (size_t i = 0; i < v->n; i++) {
        size_t slot = (size_t)nlu_mix64(v->keys[i]) & v->mask;
        while (v->table[slot] != 0) slot = (slot + 1) & v->mask;
        v->table[slot] = (uint32_t)(i + 1);
    }
    return 0;
}

int64_t nlu_vocab_find(const struct nlu_vocab *v, uint64_t key)
{
    if (v->table == NULL) return -1;
    size_t slot = (size_t)nlu_mix64(key) & v->mask;
    for (;;) {
        uint32_t e = v->table[slot];
        if (e == 0) return -1;
        if (v->keys[e - 1] == key) return (int64_t)(e - 1);
        slot = (slot + 1) & v->mask;
    }
}

void nlu_vocab_free(struct nlu_vocab *v)
{
    free(v->keys);
    free(v->idf);
    free(v->table);
    memset(v, 0, sizeof(*v));
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void sort_u32(uint32_t *a, size_t n)
{
    if (n > 32) {
        qsort(a, n, sizeof(*a), cmp_u32);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        uint32_t x = a[i];
        size_t j = i;
        for (; j > 0 && a[j - 1] > x; j--) a[j] = a[j - 1];
        a[j] = x;
    }
}

size_t nlu_weigh(const struct nlu_vocab *v, uint32_t *idx, size_t n, struct nlu_feat *out)
{
    sort_u32(idx, n);
    size_t nf = 0;
    double norm[2] = {0, 0};
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && idx[j] == idx[i]) j++;
        double value = (1.0 + log((double)(j - i))) * v->idf[idx[i]];
        out[nf].index = idx[i];
        out[nf].value = (float)value;
        norm[(v->keys[idx[i]] & NLU_KEY_CHAR_BIT) != 0] += value * value;
        nf++;
        i = j;
    }
    double scale[2];
    for (int b = 0; b < 2; b++) scale[b] = norm[b] > 0 ? M_SQRT1_2 / sqrt(norm[b]) : 0;
    for (size_t i = 0; i < nf; i++)
        out[i].value *= (float)scale[(v->keys[out[i].index] & NLU_KEY_CHAR_BIT) != 0];
    return nf;
}

/* ---- prediction ----------------------------------------------------------------------------- */

void nlu_probabilities(const struct nlu_model *m, const struct nlu_feat *f, size_t n, double *p)
{
    size_t nw = m->nw;
    const float *bias = m->w + m->vocab.n * nw;
    for (size_t c = 0; c < nw; c++) p[c] = bias[c];
    for (size_t i = 0; i < n; i++) {
        const float *row = m->w + (size_t)f[i].index * nw;
        double x = f[i].value;
        for (size_t c = 0; c < nw; c++) p[c] += x * row[c];
    }
    if (m->n_labels == 2) {
        p[0] = 1.0 / (1.0 + exp(-p[0]));
        p[1] = 1.0 - p[0];
        return;
    }
    double sum = 0;
    for (size_t c = 0; c < nw; c++) {
        p[c] = 1.0 / (1.0 + exp(-p[c]));
        sum += p[c];
    }
    for (size_t c = 0; c < nw; c++) p[c] /= sum;
}

const char *nlu_result_label(const struct nlu_result *r)
{
    if (r->out_of_scope || r->n == 0) return NLU_OOS_LABEL;
    return r->top[0].label;
}

int nlu_predict(const struct nlu_model *m, const char *text, size_t len, struct nlu_result *out)
{
    memset(out, 0, sizeof(*out));
    out->out_of_scope = true;
    double p_stack[64];
    double *p = m->n_labels <= 64 ? p_stack : malloc(m->n_labels * sizeof(double));
    struct nlu_scratch *s = nlu_scratch_get(m->language);
    if (s == NULL || p == NULL) {
        if (p != p_stack) free(p);
        return PARLEY_ENOMEM;
    }
    size_t nk = nlu_text_keys(s, text, len, m->char_min, m->char_max), ni = 0;
    for (size_t i = 0; i < nk; i++) {
        int64_t at = nlu_vocab_find(&m->vocab, s->keys[i]);
        if (at >= 0) s->idx[ni++] = (uint32_t)at;
    }
    size_t nf = nlu_weigh(&m->vocab, s->idx, ni, s->feats);
    nlu_probabilities(m, s->feats, nf, p);
    /* the three best, best first (ties keep the label order) */
    int best[3] = {-1, -1, -1};
    for (size_t c = 0; c < m->n_labels; c++) {
        for (int k = 0; k < 3; k++) {
            if (best[k] < 0 || p[c] > p[best[k]]) {
                for (int j = 2; j > k; j--) best[j] = best[j - 1];
                best[k] = (int)c;
                break;
            }
        }
    }
    for (int k = 0; k < 3 && best[k] >= 0; k++) {
        out->top[k].label = m->labels[best[k]];
        out->top[k].p = p[best[k]];
        out->n = k + 1;
    }
    out->out_of_scope = out->n == 0 || best[0] == m->oos || out->top[0].p < m->threshold;
    if (p != p_stack) free(p);
    return 0;
}

/* ---- accessors ------------------------------------------------------------------------------- */

size_t nlu_model_label_count(const struct nlu_model *m)
{
    return m->n_labels;
}
const char *nlu_model_label(const struct nlu_model *m, size_t i)
{
    return i < m->n_labels ? m->labels[i] : NULL;
}
double nlu_model_threshold(const struct nlu_model *m)
{
    return m->threshold;
}
size_t nlu_model_examples(const struct nlu_model *m)
{
    return (size_t)m->examples;
}
int64_t nlu_model_trained_at(const struct nlu_model *m)
{
    return m->trained_at;
}
const char *nlu_model_language(const struct nlu_model *m)
{
    return m->language;
}
char *nlu_model_labels_json(const struct nlu_model *m)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < m->n_labels; i++)
        if (json_array_append_new(arr, json_string(m->labels[i])) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    char *s = arr != NULL ? json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    return s;
}
int64_t nlu_now_ms(void)
{
    return util_now_ms();
}

void nlu_model_free(struct nlu_model *m)
{
    if (m == NULL) return;
    if (m->labels != NULL)
        for (size_t i = 0; i < m->n_labels; i++) free(m->labels[i]);
    free(m->labels);
    nlu_vocab_free(&m->vocab);
    free(m->w);
    free(m);
}

/* ---- save ------------------------------------------------------------------------------------ */

struct wbuf {
    unsigned char *p;
    size_t len, cap;
    bool oom;
};

static void put(struct wbuf *b, const void *src, size_t n)
{
    if (b->oom) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) cap *= 2;
        unsigned char *np = realloc(b->p, cap);
        if (np == NULL) {
            b->oom = true;
            return;
        }
        b->p = np, b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void put_u64(struct wbuf *b, uint64_t v)
{
    unsigned char x[8];
    for (int i = 0; i < 8; i++) x[i] = (unsigned char)(v >> (8 * i));
    put(b, x, 8);
}

static void put_u32(struct wbuf *b, uint32_t v)
{
    unsigned char x[4];
    for (int i = 0; i < 4; i++) x[i] = (unsigned char)(v >> (8 * i));
    put(b, x, 4);
}

static void put_u8(struct wbuf *b, unsigned v)
{
    unsigned char x = (unsigned char)v;
    put(b, &x, 1);
}

static void put_f64(struct wbuf *b, double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    put_u64(b, v);
}

static void put_f32(struct wbuf *b, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    put_u32(b, v);
}

static void put_str8(struct wbuf *b, const char *s)
{
    size_t n = strlen(s);
    put_u8(b, (unsigned)n);
    put(b, s, n);
}

int nlu_model_save(const struct nlu_model *m, void **buf, size_t *len, struct parley_err *err)
{
    struct wbuf b = {0};
    put(&b, MAGIC, sizeof(MAGIC));
    put_u32(&b, FORMAT_VERSION);
    put_str8(&b, m->language);
    put_u8(&b, (unsigned)m->char_min);
    put_u8(&b, (unsigned)m->char_max);
    put_f64(&b, m->threshold);
    put_u64(&b, m->examples);
    put_u64(&b, (uint64_t)m->trained_at);
    put_u32(&b, (uint32_t)m->n_labels);
    for (size_t i = 0; i < m->n_labels; i++) put_str8(&b, m->labels[i]);
    put_u32(&b, (uint32_t)m->vocab.n);
    for (size_t i = 0; i < m->vocab.n; i++) put_u64(&b, m->vocab.keys[i]);
    for (size_t i = 0; i < m->vocab.n; i++) put_f32(&b, m->vocab.idf[i]);
    put_u32(&b, (uint32_t)m->nw);
    size_t nweights = (m->vocab.n + 1) * m->nw;
    for (size_t i = 0; i < nweights; i++) put_f32(&b, m->w[i]);
    if (b.oom) {
        free(b.p);
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory saving the model");
    }
    *buf = b.p;
    *len = b.len;
    return 0;
}

/* ---- load ------------------------------------------------------------------------------------ */

struct rbuf {
    const unsigned char *p;
    size_t len, at;
};

static bool take(struct rbuf *r, void *dst, size_t n)
{
    if (r->len - r->at < n) return false;
    memcpy(dst, r->p + r->at, n);
    r->at += n;
    return true;
}

static bool get_u64(struct rbuf *r, uint64_t *v)
{
    unsigned char x[8];
    if (!take(r, x, 8)) return false;
    *v = 0;
    for (int i = 7; i >= 0; i--) *v = (*v << 8) | x[i];
    return true;
}

static bool get_u32(struct rbuf *r, uint32_t *v)
{
    unsigned char x[4];
    if (!take(r, x, 4)) return false;
    *v = (uint32_t)x[0] | (uint32_t)x[1] << 8 | (uint32_t)x[2] << 16 | (uint32_t)x[3] << 24;
    return true;
}

static bool get_f32(struct rbuf *r, float *f)
{
    uint32_t v;
    if (!get_u32(r, &v)) return false;
    memcpy(f, &v, 4);
    return true;
}

static bool get_f64(struct rbuf *r, double *d)
{
    uint64_t v;
    if (!get_u64(r, &v)) return false;
    memcpy(d, &v, 8);
    return true;
}

/* A length-prefixed string (1..max bytes, none of them NUL: a NUL inside would make the
 * string shorter than its length, and the model different when saved again) copied
 * NUL-terminated into dst[max + 1]. */
static bool get_str8(struct rbuf *r, char *dst, size_t max)
{
    unsigned char n;
    if (!take(r, &n, 1) || n == 0 || n > max) return false;
    if (!take(r, dst, n) || memchr(dst, '\0', n) != NULL) return false;
    dst[n] = '\0';
    return true;
}

#define BAD(what) parley_fail(err, PARLEY_EINVAL, "model", "the model is not valid: %s", what)

static int load_header(struct rbuf *r, struct nlu_model *m, struct parley_err *err)
{
    unsigned char magic[8];
    uint32_t version;
    if (!take(r, magic, 8) || memcmp(magic, MAGIC, 8) != 0) return BAD("not a Parley NLU model");
    if (!get_u32(r, &version)) return BAD("truncated header");
    if (version != FORMAT_VERSION)
        return parley_fail(err, PARLEY_EINVAL, "model",
                           "the model has format version %u; this build reads version %d "
                           "(train it again)",
                           version, FORMAT_VERSION);
    if (!get_str8(r, m->language, NLU_LANG_MAX - 1)) return BAD("bad language");
    for (const char *c = m->language; *c; c++)
        if (!(*c >= 'a' && *c <= 'z') && *c != '_') return BAD("bad language");
    if (!nlu_language_supported(m->language)) return BAD("language unknown to libstemmer");
    unsigned char cmin, cmax;
    if (!take(r, &cmin, 1) || !take(r, &cmax, 1)) return BAD("truncated header");
    if (cmin > NLU_NGRAM_MAX || cmax > NLU_NGRAM_MAX || cmin > cmax || (cmin == 0 && cmax != 0))
        return BAD("bad character n-gram sizes");
    m->char_min = cmin, m->char_max = cmax;
    uint64_t trained_at;
    if (!get_f64(r, &m->threshold) || !get_u64(r, &m->examples) || !get_u64(r, &trained_at))
        return BAD("truncated header");
    if (!(m->threshold >= 0 && m->threshold <= 1)) return BAD("threshold outside [0, 1]");
    if (m->examples > NLU_MAX_EXAMPLES) return BAD("too many examples");
    if ((int64_t)trained_at < 0) return BAD("bad training time");
    m->trained_at = (int64_t)trained_at;
    return 0;
}

static int load_labels(struct rbuf *r, struct nlu_model *m, struct parley_err *err)
{
    uint32_t n;
    if (!get_u32(r, &n)) return BAD("truncated labels");
    if (n < 2 || n > NLU_MAX_LABELS) return BAD("the label count must be 2-500");
    m->labels = calloc(n, sizeof(char *));
    if (m->labels == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    m->n_labels = n;
    m->oos = -1;
    for (uint32_t i = 0; i < n; i++) {
        char label[NLU_MAX_LABEL + 1];
        if (!get_str8(r, label, NLU_MAX_LABEL) || !nlu_label_valid(label, strlen(label)))
            return BAD("bad label");
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(m->labels[j], label) == 0) return BAD("duplicate label");
        m->labels[i] = strdup(label);
        if (m->labels[i] == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
        if (strcmp(label, NLU_OOS_LABEL) == 0) m->oos = (int)i;
    }
    return 0;
}

static int load_vocab(struct rbuf *r, struct nlu_model *m, struct parley_err *err)
{
    uint32_t n;
    if (!get_u32(r, &n)) return BAD("truncated dictionary");
    /* each feature needs 12 bytes of keys and idf and 4 * nw of weights */
    if (n > MAX_FEATURES || (size_t)n * 12 > r->len - r->at) return BAD("dictionary too large");
    struct nlu_vocab *v = &m->vocab;
    v->n = n;
    v->keys = malloc((n ? n : 1) * sizeof(uint64_t));
    v->idf = malloc((n ? n : 1) * sizeof(float));
    if (v->keys == NULL || v->idf == NULL)
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        if (!get_u64(r, &v->keys[i])) return BAD("truncated dictionary");
        if (i > 0 && v->keys[i] <= v->keys[i - 1]) return BAD("dictionary keys out of order");
    }
    for (uint32_t i = 0; i < n; i++)
        if (!get_f32(r, &v->idf[i]) || !(v->idf[i] > 0 && v->idf[i] <= 100))
            return BAD("bad idf value");
    if (nlu_vocab_index(v) != 0) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    return 0;
}

static int load_weights(struct rbuf *r, struct nlu_model *m, struct parley_err *err)
{
    uint32_t nw;
    if (!get_u32(r, &nw)) return BAD("truncated weights");
    if (nw != (m->n_labels == 2 ? 1 : m->n_labels))
        return BAD("weight columns do not match labels");
    size_t count = (m->vocab.n + 1) * (size_t)nw;
    if ((r->len - r->at) / 4 != count || (r->len - r->at) % 4 != 0)
        return BAD("weights do not match the dictionary size");
    m->nw = nw;
    m->w = malloc(count * sizeof(float));
    if (m->w == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    for (size_t i = 0; i < count; i++)
        if (!get_f32(r, &m->w[i]) || !isfinite(m->w[i]) || fabsf(m->w[i]) > 1e6f)
            return BAD("bad weight value");
    return 0;
}

int nlu_model_load(const void *buf, size_t len, struct nlu_model **out, struct parley_err *err)
{
    *out = NULL;
    if (len > NLU_MAX_MODEL)
        return parley_fail(err, PARLEY_ETOOBIG, "model", "the model is over %d bytes",
                           NLU_MAX_MODEL);
    struct nlu_model *m = calloc(1, sizeof(*m));
    if (m == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    struct rbuf r = {buf, len, 0};
    int rc;
    if ((rc = load_header(&r, m, err)) != 0 || (rc = load_labels(&r, m, err)) != 0 ||
        (rc = load_vocab(&r, m, err)) != 0 || (rc = load_weights(&r, m, err)) != 0) {
        nlu_model_free(m);
        return rc;
    }
    *out = m;
    return 0;
}
