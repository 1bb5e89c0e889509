/* Training: the feature dictionary and idf from the training set, liblinear L2-regularised
 * logistic regression (one-vs-rest, probabilities), and the out-of-scope threshold chosen on a
 * stratified validation split before the final model is trained on everything. */
#include "nlu_int.h"

#include <linear.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void nlu_train_defaults(struct nlu_train_options *o)
{
    o->c = 30.0;
    o->validation = 0.2;
    o->char_min = 3;
    o->char_max = 5;
    o->min_df = 1;
    o->oos_weight = 1.0;
    o->seed = UINT64_C(0x5eed5eed1234abcd);
}

static void quiet(const char *s)
{
    (void)s;
}
static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;
static void make_quiet(void)
{
    set_print_string_function(quiet);
}

/* ---- a small u64 → u32 hash map (key → document frequency, then → index) ---------------- */

struct kmap {
    uint64_t *keys;
    uint32_t *vals;
    uint8_t *used;
    size_t mask, n;
};

static int kmap_init(struct kmap *m, size_t expect)
{
    size_t size = 1024;
    while (size < 2 * expect) size <<= 1;
    m->keys = malloc(size * sizeof(uint64_t));
    m->vals = malloc(size * sizeof(uint32_t));
    m->used = calloc(size, 1);
    m->mask = size - 1;
    m->n = 0;
    return m->keys && m->vals && m->used ? 0 : PARLEY_ENOMEM;
}

static void kmap_free(struct kmap *m)
{
    free(m->keys);
    free(m->vals);
    free(m->used);
}

/* The value slot of key, inserted with 0 when missing. The map never fills: callers size it
 * for every key they can insert. */
static uint32_t *kmap_slot(struct kmap *m, uint64_t key)
{
    size_t s = (size_t)nlu_mix64(key) & m->mask;
    while (m->used[s] && m->keys[s] != key) s = (s + 1) & m->mask;
    if (!m->used[s]) {
        m->used[s] = 1;
        m->keys[s] = key;
        m->vals[s] = 0;
        m->n++;
    }
    return &m->vals[s];
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* ---- the training state ----------------------------------------------------------------- */

struct trainer {
    const struct nlu_dataset *d;
    struct nlu_train_options opt;
    struct nlu_model *m;     /* being built: language, labels, vocab */
    int *y;                  /* label index of each example */
    uint64_t *keys;          /* every example's keys, concatenated */
    size_t *key_off;         /* example i: keys[key_off[i] .. key_off[i + 1]) */
    struct feature_node **x; /* liblinear rows (with the bias node) */
    struct feature_node *nodes;
};

static int fail_nomem(struct parley_err *err)
{
    return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory while training");
}

/* Labels in order of first appearance; y[i] for each example. */
static int collect_labels(struct trainer *t, struct parley_err *err)
{
    const struct nlu_dataset *d = t->d;
    struct nlu_model *m = t->m;
    m->labels = calloc(NLU_MAX_LABELS, sizeof(char *));
    t->y = malloc(d->n * sizeof(int));
    if (m->labels == NULL || t->y == NULL) return fail_nomem(err);
    m->oos = -1;
    for (size_t i = 0; i < d->n; i++) {
        size_t k = 0;
        while (k < m->n_labels && strcmp(m->labels[k], d->items[i].label) != 0) k++;
        if (k == m->n_labels) {
            if (k == NLU_MAX_LABELS)
                return parley_fail(err, PARLEY_EINVAL, "label",
                                   "more than %d distinct labels; merge some", NLU_MAX_LABELS);
            m->labels[k] = strdup(d->items[i].label);
            if (m->labels[k] == NULL) return fail_nomem(err);
            if (strcmp(m->labels[k], NLU_OOS_LABEL) == 0) m->oos = (int)k;
            m->n_labels++;
        }
        t->y[i] = (int)k;
    }
    if (m->n_labels < 2)
        return parley_fail(err, PARLEY_EINVAL, "label",
                           "the training data needs at least two different labels");
    return 0;
}

/* Keys of every example, the dictionary (features in at least min_df examples) and idf. */
static int build_vocab(struct trainer *t, struct parley_err *err)
{
    const struct nlu_dataset *d = t->d;
    struct nlu_model *m = t->m;
    struct nlu_scratch *s = nlu_scratch_get(m->language);
    if (s == NULL) return fail_nomem(err);
    size_t cap = 1 << 16, total = 0;
    t->keys = malloc(cap * sizeof(uint64_t));
    t->key_off = malloc((d->n + 1) * sizeof(size_t));
    if (t->keys == NULL || t->key_off == NULL) return fail_nomem(err);
    for (size_t i = 0; i < d->n; i++) {
        const char *text = d->items[i].text;
        size_t nk = nlu_text_keys(s, text, strlen(text), m->char_min, m->char_max);
        qsort(s->keys, nk, sizeof(uint64_t), cmp_u64);
        if (total + nk > cap) {
            while (total + nk > cap) cap *= 2;
            uint64_t *nkeys = realloc(t->keys, cap * sizeof(uint64_t));
            if (nkeys == NULL) return fail_nomem(err);
            t->keys = nkeys;
        }
        memcpy(t->keys + total, s->keys, nk * sizeof(uint64_t));
        t->key_off[i] = total;
        total += nk;
    }
    t->key_off[d->n] = total;

    struct kmap df;
    if (kmap_init(&df, total) != 0) return fail_nomem(err);
    for (size_t i = 0; i < d->n; i++)
        for (size_t k = t->key_off[i]; k < t->key_off[i + 1]; k++)
            if (k == t->key_off[i] || t->keys[k] != t->keys[k - 1]) (*kmap_slot(&df, t->keys[k]))++;
    struct nlu_vocab *v = &m->vocab;
    v->keys = malloc((df.n ? df.n : 1) * sizeof(uint64_t));
    v->idf = malloc((df.n ? df.n : 1) * sizeof(float));
    if (v->keys == NULL || v->idf == NULL) {
        kmap_free(&df);
        return fail_nomem(err);
    }
    for (size_t s_ = 0; s_ <= df.mask; s_++)
        if (df.used[s_] && df.vals[s_] >= (uint32_t)t->opt.min_df) v->keys[v->n++] = df.keys[s_];
    qsort(v->keys, v->n, sizeof(uint64_t), cmp_u64);
    double n_docs = (double)d->n;
    for (size_t i = 0; i < v->n; i++) {
        uint32_t f = *kmap_slot(&df, v->keys[i]);
        v->idf[i] = (float)(log((1.0 + n_docs) / (1.0 + f)) + 1.0);
    }
    kmap_free(&df);
    if (nlu_vocab_index(v) != 0) return fail_nomem(err);
    return 0;
}

/* The weighted rows liblinear trains on, each ending with the bias node and index -1. */
static int build_rows(struct trainer *t, struct parley_err *err)
{
    const struct nlu_dataset *d = t->d;
    struct nlu_model *m = t->m;
    struct nlu_scratch *s = nlu_scratch_get(m->language);
    size_t total = t->key_off[d->n];
    t->x = malloc(d->n * sizeof(*t->x));
    t->nodes = malloc((total + 2 * d->n) * sizeof(struct feature_node));
    if (s == NULL || t->x == NULL || t->nodes == NULL) return fail_nomem(err);
    size_t at = 0;
    int bias_index = (int)m->vocab.n + 1;
    for (size_t i = 0; i < d->n; i++) {
        size_t ni = 0;
        for (size_t k = t->key_off[i]; k < t->key_off[i + 1] && ni < NLU_MAX_KEYS; k++) {
            int64_t idx = nlu_vocab_find(&m->vocab, t->keys[k]);
            if (idx >= 0) s->idx[ni++] = (uint32_t)idx;
        }
        size_t nf = nlu_weigh(&m->vocab, s->idx, ni, s->feats);
        t->x[i] = t->nodes + at;
        for (size_t f = 0; f < nf; f++) {
            t->nodes[at].index = (int)s->feats[f].index + 1;
            t->nodes[at].value = s->feats[f].value;
            at++;
        }
        t->nodes[at].index = bias_index;
        t->nodes[at++].value = 1.0;
        t->nodes[at++].index = -1;
    }
    return 0;
}

/* Trains on the examples where use[i] (all when NULL) and copies liblinear's weights into
 * m->w in the model's label order. */
static int fit(struct trainer *t, const bool *use, struct parley_err *err)
{
    const struct nlu_dataset *d = t->d;
    struct nlu_model *m = t->m;
    size_t l = 0;
    for (size_t i = 0; i < d->n; i++) l += use == NULL || use[i];
    struct problem prob = {0};
    prob.l = (int)l;
    prob.n = (int)m->vocab.n + 1;
    prob.bias = 1.0;
    prob.y = malloc(l * sizeof(double));
    prob.x = malloc(l * sizeof(struct feature_node *));
    if (prob.y == NULL || prob.x == NULL) {
        free(prob.y);
        free(prob.x);
        return fail_nomem(err);
    }
    for (size_t i = 0, j = 0; i < d->n; i++) {
        if (use != NULL && !use[i]) continue;
        prob.y[j] = t->y[i] + 1;
        prob.x[j++] = t->x[i];
    }
    struct parameter param = {0};
    /* L2-regularised logistic regression solved in the dual: the same model and probabilities
     * as the primal L2R_LR, about 2.5x faster on short texts (docs/bot-nlu.md) */
    param.solver_type = L2R_LR_DUAL;
    param.eps = 0.1;
    param.C = t->opt.c;
    int oos_label = t->m->oos + 1;
    double oos_weight = t->opt.oos_weight;
    if (t->m->oos >= 0 && oos_weight != 1.0) {
        param.nr_weight = 1;
        param.weight_label = &oos_label;
        param.weight = &oos_weight;
    }
    const char *bad = check_parameter(&prob, &param);
    if (bad != NULL) {
        free(prob.y);
        free(prob.x);
        return parley_fail(err, PARLEY_EINVAL, NULL, "liblinear refused the problem: %s", bad);
    }
    pthread_once(&quiet_once, make_quiet);
    struct model *lm = train(&prob, &param);
    free(prob.y);
    free(prob.x);
    if (lm == NULL) return fail_nomem(err);

    size_t rows = m->vocab.n + 1, nw = m->n_labels == 2 ? 1 : m->n_labels;
    size_t lw = lm->nr_class == 2 ? 1 : (size_t)lm->nr_class;
    free(m->w);
    m->w = calloc(rows * nw, sizeof(float));
    m->nw = nw;
    if (m->w == NULL) {
        free_and_destroy_model(&lm);
        return fail_nomem(err);
    }
    /* A label missing from this split (nr_class < n_labels) keeps zero weights, so it gets
     * sigmoid(0) before normalising: never a confident prediction. */
    for (int k = 0; k < lm->nr_class; k++) {
        int label = lm->label[k] - 1;
        for (size_t r = 0; r < rows; r++) {
            if (nw == 1) {
                /* two labels: liblinear's single column scores lm->label[0] */
                if (k == 0) m->w[r] = (float)(label == 0 ? lm->w[r] : -lm->w[r]);
            } else if (lw == 1) {
                /* this split saw two of the labels only */
                double v = lm->w[r];
                m->w[r * nw + (size_t)label] = (float)(k == 0 ? v : -v);
            } else {
                m->w[r * nw + (size_t)label] = (float)lm->w[r * lw + (size_t)k];
            }
        }
    }
    free_and_destroy_model(&lm);
    return 0;
}

/* ---- the out-of-scope threshold ---------------------------------------------------------- */

static uint64_t next_rand(uint64_t *s)
{
    *s += UINT64_C(0x9e3779b97f4a7c15);
    return nlu_mix64(*s);
}

/* Marks a stratified validation share of each label (none for labels with under 5 examples).
 * Returns how many. */
static size_t split(struct trainer *t, bool *train_use)
{
    const struct nlu_dataset *d = t->d;
    size_t *idx = malloc(d->n * sizeof(size_t)), held = 0;
    if (idx == NULL) return 0;
    uint64_t seed = t->opt.seed;
    for (size_t i = 0; i < d->n; i++) train_use[i] = true;
    for (size_t c = 0; c < t->m->n_labels; c++) {
        size_t n = 0;
        for (size_t i = 0; i < d->n; i++)
            if (t->y[i] == (int)c) idx[n++] = i;
        size_t take = n >= 5 ? (size_t)floor((double)n * t->opt.validation) : 0;
        for (size_t i = n; i > 1; i--) {
            size_t j = (size_t)(next_rand(&seed) % i);
            size_t tmp = idx[i - 1];
            idx[i - 1] = idx[j];
            idx[j] = tmp;
        }
        for (size_t i = 0; i < take; i++) train_use[idx[i]] = false;
        held += take;
    }
    free(idx);
    return held;
}

struct scored {
    int gold, top;
    double p;
};

/* Macro-F1 over the gold labels of the validation rows at threshold th (predicted "oos"
 * when the top label is oos or its probability is under th). */
static double macro_f1_at(const struct scored *v, size_t n, size_t n_labels, int oos, double th,
                          int *tp, int *fp, int *fn)
{
    int none = (int)n_labels; /* stands for oos when the model has no oos label */
    int oos_id = oos >= 0 ? oos : none;
    memset(tp, 0, (n_labels + 1) * sizeof(int));
    memset(fp, 0, (n_labels + 1) * sizeof(int));
    memset(fn, 0, (n_labels + 1) * sizeof(int));
    for (size_t i = 0; i < n; i++) {
        int pred = (v[i].top == oos || v[i].p < th) ? oos_id : v[i].top;
        if (pred == v[i].gold) {
            tp[pred]++;
        } else {
            fp[pred]++;
            fn[v[i].gold]++;
        }
    }
    double sum = 0;
    int classes = 0;
    for (size_t c = 0; c <= n_labels; c++) {
        if (tp[c] + fn[c] == 0) continue; /* not a gold label here */
        classes++;
        sum += 2.0 * tp[c] / (2.0 * tp[c] + fp[c] + fn[c]);
    }
    return classes ? sum / classes : 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* With oos examples: the threshold (0.00-0.95) with the best macro-F1 on validation, oos
 * counted as a class. Without: the one that keeps 95% of the correctly classified validation
 * examples. */
static int choose_threshold(struct trainer *t, const bool *train_use, struct parley_err *err)
{
    const struct nlu_dataset *d = t->d;
    struct nlu_model *m = t->m;
    size_t nv = 0;
    for (size_t i = 0; i < d->n; i++) nv += !train_use[i];
    struct scored *v = malloc((nv ? nv : 1) * sizeof(*v));
    double *p = malloc(m->n_labels * sizeof(double));
    int *counts = malloc(3 * (m->n_labels + 1) * sizeof(int));
    double *correct = malloc((nv ? nv : 1) * sizeof(double));
    struct nlu_scratch *s = nlu_scratch_get(m->language);
    int rc = 0;
    if (v == NULL || p == NULL || counts == NULL || correct == NULL || s == NULL) {
        rc = fail_nomem(err);
        goto out;
    }
    size_t j = 0, nc = 0;
    bool has_oos = false;
    for (size_t i = 0; i < d->n; i++) {
        if (train_use[i]) continue;
        size_t nf = 0;
        for (struct feature_node *f = t->x[i]; f->index != -1; f++)
            if (f->index <= (int)m->vocab.n) {
                s->feats[nf].index = (uint32_t)(f->index - 1);
                s->feats[nf++].value = (float)f->value;
            }
        nlu_probabilities(m, s->feats, nf, p);
        int top = 0;
        for (size_t c = 1; c < m->n_labels; c++)
            if (p[c] > p[top]) top = (int)c;
        v[j].gold = t->y[i];
        v[j].top = top;
        v[j].p = p[top];
        if (t->y[i] == m->oos) has_oos = true;
        if (top == t->y[i] && top != m->oos) correct[nc++] = p[top];
        j++;
    }
    m->threshold = 0;
    if (has_oos) {
        double best = -1;
        for (int k = 0; k <= 95; k++) {
            double th = k / 100.0;
            double f1 = macro_f1_at(v, nv, m->n_labels, m->oos, th, counts,
                                    counts + m->n_labels + 1, counts + 2 * (m->n_labels + 1));
            if (f1 > best + 1e-12) best = f1, m->threshold = th;
        }
    } else if (nc > 0) {
        qsort(correct, nc, sizeof(double), cmp_double);
        m->threshold = floor(correct[(size_t)floor(0.05 * (double)nc)] * 100.0) / 100.0;
    }
out:
    free(v);
    free(p);
    free(counts);
    free(correct);
    return rc;
}

/* ---- entry point ----------------------------------------------------------------------------- */

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int nlu_train(const struct nlu_dataset *d, const struct nlu_train_options *opt,
              struct nlu_model **out, struct nlu_train_report *report, struct parley_err *err)
{
    *out = NULL;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct trainer t = {.d = d};
    if (opt != NULL)
        t.opt = *opt;
    else
        nlu_train_defaults(&t.opt);
    if (d->n == 0)
        return parley_fail(err, PARLEY_EINVAL, "examples", "there are no training examples");
    if (d->n > NLU_MAX_EXAMPLES)
        return parley_fail(err, PARLEY_ETOOBIG, "examples", "more than %d training examples",
                           NLU_MAX_EXAMPLES);
    if (t.opt.char_min < 0 || t.opt.char_max > NLU_NGRAM_MAX || t.opt.char_min > t.opt.char_max ||
        (t.opt.char_min == 0 && t.opt.char_max != 0) || !(t.opt.c > 0) ||
        !(t.opt.validation >= 0 && t.opt.validation < 1) || t.opt.min_df < 1)
        return parley_fail(err, PARLEY_EINVAL, NULL, "bad training options");
    t.m = calloc(1, sizeof(*t.m));
    if (t.m == NULL) return fail_nomem(err);
    struct nlu_model *m = t.m;
    snprintf(m->language, sizeof(m->language), "english");
    m->char_min = t.opt.char_min;
    m->char_max = t.opt.char_max;
    m->examples = d->n;
    m->trained_at = nlu_now_ms();
    bool *train_use = malloc(d->n * sizeof(bool));
    int rc = train_use == NULL ? fail_nomem(err) : 0;
    size_t held = 0;
    if (rc == 0) rc = collect_labels(&t, err);
    if (rc == 0) rc = build_vocab(&t, err);
    if (rc == 0) rc = build_rows(&t, err);
    if (rc == 0 && t.opt.validation > 0) {
        held = split(&t, train_use);
        if (held > 0) {
            rc = fit(&t, train_use, err);
            if (rc == 0) rc = choose_threshold(&t, train_use, err);
        }
    }
    if (rc == 0) rc = fit(&t, NULL, err);
    free(train_use);
    free(t.y);
    free(t.keys);
    free(t.key_off);
    free(t.x);
    free(t.nodes);
    if (rc != 0) {
        nlu_model_free(m);
        return rc;
    }
    if (report != NULL) {
        report->examples = d->n;
        report->labels = m->n_labels;
        report->features = m->vocab.n;
        report->validation = held;
        report->threshold = m->threshold;
        report->seconds = seconds_since(&t0);
    }
    *out = m;
    return 0;
}
