/* libFuzzer target for the NLU CSV reader (nlu_csv_parse): arbitrary bytes as a training
 * file. Beyond "no crash": every example kept is non-empty, bounded, valid UTF-8 with a
 * well-formed label and a line number inside the file; every failure names the file. */
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
    int rc = nlu_csv_parse("fuzz.csv", (const char *)data, size, &d, &err);
    if (rc != 0) {
        must(rc == PARLEY_EINVAL || rc == PARLEY_ETOOBIG || rc == PARLEY_ENOMEM);
        must(rc != PARLEY_EINVAL || strncmp(err.message, "fuzz.csv:", 9) == 0);
    } else {
        size_t lines = 1;
        for (size_t i = 0; i < size; i++) lines += data[i] == '\n';
        for (size_t i = 0; i < d.n; i++) {
            size_t len = strlen(d.items[i].text);
            must(len > 0 && len <= NLU_MAX_TEXT && util_utf8_valid(d.items[i].text, len));
            must(nlu_label_valid(d.items[i].label, strlen(d.items[i].label)));
            must(d.items[i].line >= 2 && (size_t)d.items[i].line <= lines);
        }
    }
    nlu_dataset_free(&d);
    return 0;
}
