/* libFuzzer target for the NLU tokenizer and feature pipeline: arbitrary bytes as a message.
 * Tokens are non-empty, in order, inside the normalised buffer and valid UTF-8 (invalid input
 * bytes never leak through); a model trained once at start-up classifies the text with
 * probabilities in [0, 1] that sort best first. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bot/nlu.h"
#include "common/util.h"

static struct nlu_model *model;

static void must(int ok)
{
    if (!ok) abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const char *const rows[][2] = {
        {"I can smell gas", "gas_leak"},   {"gas leak in the kitchen", "gas_leak"},
        {"no power at home", "power_cut"}, {"there is a power cut", "power_cut"},
        {"what is my balance", "balance"}, {"how much do I owe", "balance"},
        {"tell me a joke", "oos"},         {"who won the match", "oos"},
    };
    struct nlu_dataset d;
    nlu_dataset_init(&d);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        must(nlu_dataset_add(&d, rows[i][0], strlen(rows[i][0]), rows[i][1], strlen(rows[i][1]), 0,
                             NULL) == 0);
    must(nlu_train(&d, NULL, &model, NULL, NULL) == 0);
    nlu_dataset_free(&d);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (model == NULL) LLVMFuzzerInitialize(NULL, NULL);
    const char *text = (const char *)data;
    char *norm = malloc(size + 1);
    size_t max = size / 2 + 2;
    struct nlu_token *t = malloc(max * sizeof(*t));
    must(norm != NULL && t != NULL);
    size_t n = nlu_tokenize(text, size, norm, t, max);
    uint32_t end = 0;
    for (size_t i = 0; i < n; i++) {
        must(t[i].len > 0 && t[i].off >= end && t[i].off + t[i].len <= size);
        must(util_utf8_valid(norm + t[i].off, t[i].len));
        end = t[i].off + t[i].len;
    }
    free(norm);
    free(t);
    struct nlu_result r;
    must(nlu_predict(model, text, size, &r) == 0);
    must(r.n == 3);
    for (int i = 0; i < r.n; i++) must(r.top[i].p >= 0 && r.top[i].p <= 1 && r.top[i].label);
    must(r.top[0].p >= r.top[1].p && r.top[1].p >= r.top[2].p);
    return 0;
}
