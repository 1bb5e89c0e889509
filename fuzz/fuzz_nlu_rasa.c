/* libFuzzer target for the Rasa NLU YAML reader (nlu_rasa_parse): arbitrary bytes as a
 * training file. Every example kept is non-empty, bounded, valid UTF-8 with a well-formed
 * intent name; every failure is an error value with a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bot/nlu.h"
#include "common/util.h"

static void must(int ok)
{
    if (!ok) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nlu_dataset d;
    nlu_dataset_init(&d);
    struct parley_err err = {0};
    int rc = nlu_rasa_parse("fuzz.yml", (const char *)data, size, &d, &err);
    if (rc != 0) {
        must(rc == PARLEY_EINVAL || rc == PARLEY_ETOOBIG || rc == PARLEY_ENOMEM);
        must(err.message[0] != '\0');
    } else {
        for (size_t i = 0; i < d.n; i++) {
            size_t len = strlen(d.items[i].text);
            must(len > 0 && len <= NLU_MAX_TEXT && util_utf8_valid(d.items[i].text, len));
            must(nlu_label_valid(d.items[i].label, strlen(d.items[i].label)));
            must(d.items[i].line >= 1);
        }
    }
    nlu_dataset_free(&d);
    return 0;
}
