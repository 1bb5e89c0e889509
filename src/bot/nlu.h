/* Intent detection (NLU): text normalisation and tokens, TF-IDF features over Snowball stems,
 * word bigrams and character n-grams, a liblinear logistic-regression classifier with an
 * out-of-scope threshold chosen on held-out data, a versioned binary model format, and the
 * CSV and Rasa YAML readers for training data. docs/bot-nlu.md explains the choices.
 *
 * Ownership and threads:
 *  - A struct nlu_model is immutable once built (nlu_train or nlu_model_load): any number of
 *    threads may call nlu_predict on it at once. Labels in results point into the model.
 *  - A struct nlu_dataset owns every string it holds (its arena); nlu_dataset_free frees it.
 *  - nlu_model_save returns a malloc'ed buffer the caller frees. */
#ifndef PARLEY_NLU_H
#define PARLEY_NLU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/arena.h"
#include "../common/err.h"

/* ---- the interface the bot uses (CONTRACTS.md) ---------------------------------------------- */

struct nlu_model; /* immutable once built; any thread may read */
struct nlu_score {
    const char *label;
    double p;
}; /* label points into the model */
struct nlu_result {
    struct nlu_score top[3];
    int n;
    bool out_of_scope;
};
/* out_of_scope: top probability under the model's threshold, or top label "oos". Text beyond
 * NLU_MAX_TEXT bytes is ignored; invalid UTF-8 bytes count as spaces. Returns 0. */
int nlu_predict(const struct nlu_model *m, const char *text, size_t len, struct nlu_result *out);
/* Validates everything (it is a parser of outside bytes). 0, or PARLEY_EINVAL with err. */
int nlu_model_load(const void *buf, size_t len, struct nlu_model **out, struct parley_err *err);
/* *buf malloc'ed, caller frees. */
int nlu_model_save(const struct nlu_model *m, void **buf, size_t *len, struct parley_err *err);
void nlu_model_free(struct nlu_model *m); /* NULL is safe */

/* The label that marks out-of-scope examples in training and evaluation data. */
#define NLU_OOS_LABEL "oos"

/* ---- limits ---------------------------------------------------------------------------------- */

#define NLU_MAX_TEXT     2000        /* bytes of one example or message */
#define NLU_MAX_LABEL    64          /* bytes of a label: letters, digits, _ - . : / */
#define NLU_MAX_LABELS   500         /* distinct labels in one model */
#define NLU_MAX_EXAMPLES 200000      /* rows in one training set */
#define NLU_MAX_FILE     (64 << 20)  /* bytes of a CSV or YAML file */
#define NLU_MAX_MODEL    (256 << 20) /* bytes of a saved model */

/* ---- training data -------------------------------------------------------------------------- */

struct nlu_example {
    const char *text; /* UTF-8, NUL-terminated, 1..NLU_MAX_TEXT bytes */
    const char *label;
    int line; /* where it came from (1-based), 0 when not from a file */
};

struct nlu_dataset {
    struct nlu_example *items;
    size_t n, cap;
    struct arena arena; /* owns items' strings */
};

void nlu_dataset_init(struct nlu_dataset *d);
void nlu_dataset_free(struct nlu_dataset *d);
/* Copies text and label in after checking them (UTF-8, bounds, label characters); err names
 * field "text" or "label". */
int nlu_dataset_add(struct nlu_dataset *d, const char *text, size_t text_len, const char *label,
                    size_t label_len, int line, struct parley_err *err);
/* Whether a label is well formed (1..NLU_MAX_LABEL bytes of [A-Za-z0-9_.:/-]). */
bool nlu_label_valid(const char *label, size_t len);

/* CSV (RFC 4180): a header naming columns `text` and `label` (others ignored), quoted fields
 * with doubled quotes, LF or CRLF, UTF-8 (a BOM is skipped), blank lines skipped. Errors say
 * "NAME:LINE: what" (name is how the caller calls the input, e.g. the file path). Appends
 * to d. */
int nlu_csv_parse(const char *name, const char *buf, size_t len, struct nlu_dataset *d,
                  struct parley_err *err);
/* Rasa NLU training data (YAML, read with libyaml): `nlu:` / `- intent: NAME` / `examples: |`
 * with `- example` lines; entity markup `[text](entity)` / `[text]{...}` is reduced to text;
 * other keys (version, synonyms, regexes, lookups) are ignored. Appends to d. */
int nlu_rasa_parse(const char *name, const char *buf, size_t len, struct nlu_dataset *d,
                   struct parley_err *err);
/* Reads a whole file (at most NLU_MAX_FILE bytes) into a malloc'ed, NUL-terminated buffer. */
int nlu_read_file(const char *path, char **buf, size_t *len, struct parley_err *err);

/* ---- tokens ---------------------------------------------------------------------------------- */

struct nlu_token {
    uint32_t off, len; /* into the normalised buffer */
    bool number;       /* only digits */
};

/* Normalises text into out (lower-cased ASCII and Latin letters, apostrophes inside words
 * dropped, everything else a separator) and lists its tokens. out needs len bytes; at most
 * max_tokens tokens are kept. Returns the number of tokens. */
size_t nlu_tokenize(const char *text, size_t len, char *out, struct nlu_token *tokens,
                    size_t max_tokens);

/* ---- training -------------------------------------------------------------------------------- */

struct nlu_train_options {
    double c;               /* liblinear cost (default 30) */
    double validation;      /* share of each label held out to choose the threshold (0.2) */
    int char_min, char_max; /* character n-gram sizes inside words (3, 5) */
    int min_df;             /* features seen in fewer examples are dropped (1) */
    double oos_weight;      /* liblinear class weight of the oos label (1) */
    uint64_t seed;          /* for the validation split (fixed default) */
};

/* Defaults as above. */
void nlu_train_defaults(struct nlu_train_options *o);

struct nlu_train_report {
    size_t examples, labels, features, validation;
    double threshold;
    double seconds;
};

/* Trains on d (needs at least two labels). opt NULL means defaults. report may be NULL. */
int nlu_train(const struct nlu_dataset *d, const struct nlu_train_options *opt,
              struct nlu_model **out, struct nlu_train_report *report, struct parley_err *err);

/* ---- what a model says about itself ------------------------------------------------------ */

size_t nlu_model_label_count(const struct nlu_model *m);
const char *nlu_model_label(const struct nlu_model *m, size_t i);
double nlu_model_threshold(const struct nlu_model *m);
size_t nlu_model_examples(const struct nlu_model *m);    /* the training set's size */
int64_t nlu_model_trained_at(const struct nlu_model *m); /* Unix ms */
const char *nlu_model_language(const struct nlu_model *m);
/* The labels as a JSON array text (malloc'ed, caller frees), or NULL when out of memory. */
char *nlu_model_labels_json(const struct nlu_model *m);
/* The predicted label of a result: "oos" when out of scope, else the top label. */
const char *nlu_result_label(const struct nlu_result *r);

#endif
