/* libFuzzer target for the NLU model format (nlu_model_load): arbitrary bytes as a stored
 * model. A model that loads classifies text with probabilities in [0, 1] and saves back to
 * exactly the input bytes (one encoding per model); anything else is PARLEY_EINVAL or
 * PARLEY_ETOOBIG with a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bot/nlu.h"

static void must(int ok)
{
    if (!ok) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nlu_model *m = NULL;
    struct parley_err err = {0};
    int rc = nlu_model_load(data, size, &m, &err);
    if (rc != 0) {
        must(m == NULL && err.message[0] != '\0');
        must(rc == PARLEY_EINVAL || rc == PARLEY_ETOOBIG || rc == PARLEY_ENOMEM);
        return 0;
    }
    static const char *const texts[] = {"", "I can smell gas", "no power!!", "caf\xc3\xa9 1234"};
    for (size_t i = 0; i < 4; i++) {
        struct nlu_result r;
        must(nlu_predict(m, texts[i], strlen(texts[i]), &r) == 0);
        must(r.n >= 2 && r.n <= 3);
        for (int k = 0; k < r.n; k++) must(r.top[k].p >= 0 && r.top[k].p <= 1);
    }
    void *buf = NULL;
    size_t len = 0;
    must(nlu_model_save(m, &buf, &len, &err) == 0);
    must(len == size && memcmp(buf, data, size) == 0);
    free(buf);
    nlu_model_free(m);
    return 0;
}
