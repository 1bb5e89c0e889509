/* Private to the NLU files (nlu_*.c): the model's layout, the feature dictionary, and the
 * per-thread scratch space that turns a text into feature keys. */
#ifndef PARLEY_NLU_INT_H
#define PARLEY_NLU_INT_H

#include "nlu.h"

#define NLU_LANG_MAX   32
#define NLU_MAX_TOKENS (NLU_MAX_TEXT / 2 + 2)
#define NLU_NGRAM_MAX  8 /* largest character n-gram a model may ask for */
/* Keys one text can give: a unigram and a bigram per token, and per character n-gram size
 * at most (characters + 2) per token (the word padded with a space each side). */
#define NLU_MAX_KEYS (2 * NLU_MAX_TOKENS + NLU_NGRAM_MAX * (NLU_MAX_TEXT + 2 * NLU_MAX_TOKENS))

/* Feature keys are 64-bit hashes of the feature's text with its kind; the top bit says the
 * block: 0 for words (stems and stem bigrams), 1 for character n-grams. Each block is L2
 * normalised on its own, then both are scaled by 1/sqrt(2), so one long word cannot drown
 * the word features in character n-grams. */
#define NLU_KEY_CHAR_BIT (UINT64_C(1) << 63)

/* The feature dictionary: sorted keys with their idf, and an open-addressing table for
 * key → index (slots hold index + 1, 0 is empty). */
struct nlu_vocab {
    uint64_t *keys;
    float *idf;
    size_t n;
    uint32_t *table;
    size_t mask; /* table size - 1 (a power of two at least 2n) */
};

struct nlu_model {
    char language[NLU_LANG_MAX];
    int char_min, char_max; /* 0, 0: no character n-grams */
    double threshold;
    uint64_t examples;
    int64_t trained_at;
    size_t n_labels;
    char **labels;
    int oos; /* index of the "oos" label, -1 when none */
    struct nlu_vocab vocab;
    size_t nw; /* weight columns: 1 for two labels (p(label 0) = sigmoid), else n_labels */
    float *w;  /* (vocab.n + 1) rows of nw: row i feature i, the last row the bias */
};

/* One weighted feature of a text. */
struct nlu_feat {
    uint32_t index;
    float value;
};

/* Per-thread scratch (created on first use, freed when the thread exits). Holds the
 * language's Snowball stemmer, which is not thread-safe. NULL when out of memory or when
 * libstemmer does not know the language. */
struct nlu_scratch {
    struct sb_stemmer *stemmer;
    char language[NLU_LANG_MAX];
    char norm[NLU_MAX_TEXT + 8];
    struct nlu_token tokens[NLU_MAX_TOKENS];
    uint64_t keys[NLU_MAX_KEYS];
    uint32_t idx[NLU_MAX_KEYS];
    struct nlu_feat feats[NLU_MAX_KEYS];
};
struct nlu_scratch *nlu_scratch_get(const char *language);
/* Whether libstemmer knows the language (UTF-8). */
bool nlu_language_supported(const char *language);

/* The feature keys of a text (at most NLU_MAX_TEXT bytes of it) into s->keys; returns how
 * many. */
size_t nlu_text_keys(struct nlu_scratch *s, const char *text, size_t len, int char_min,
                     int char_max);

/* Dictionary table over v->keys (sorted, unique). 0 or PARLEY_ENOMEM. */
int nlu_vocab_index(struct nlu_vocab *v);
/* Index of key, or -1. */
int64_t nlu_vocab_find(const struct nlu_vocab *v, uint64_t key);
void nlu_vocab_free(struct nlu_vocab *v);
/* The weighted features of a text whose dictionary indices are idx[0..n) (any order,
 * repeats count): sub-linear tf (1 + ln tf) times idf, each block L2 normalised and scaled
 * by 1/sqrt(2). Sorts idx in place. out needs n slots; returns how many features. */
size_t nlu_weigh(const struct nlu_vocab *v, uint32_t *idx, size_t n, struct nlu_feat *out);
/* Class probabilities for features f[0..n) as liblinear's logistic regression gives them
 * (one-vs-rest sigmoids normalised to sum 1; two labels: sigmoid and its complement). */
void nlu_probabilities(const struct nlu_model *m, const struct nlu_feat *f, size_t n, double *p);
/* 64-bit mix (splitmix64 finaliser), for table slots and key combining. */
uint64_t nlu_mix64(uint64_t x);
/* Current time in Unix ms (from util). */
int64_t nlu_now_ms(void);

#endif
