/* libFuzzer target for the NLU CSV reader (nlu_csv_parse): arbitrary bytes as a training
 * file. Beyond "no crash": every example kept is non-empty, bounded, valid UTF-8 with a
 * well-formed label and a line number inside the file; every failure names the file. */
#include <stdint.h>

#include "fuzz_nlu_dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nlu_dataset d;
    nlu_dataset_init(&d);
    struct parley_err err = {0};
    int rc = nlu_csv_parse("fuzz.csv", (const char *)data, size, &d, &err);
    size_t lines = 1;
    for (size_t i = 0; i < size; i++) lines += data[i] == '\n';
    check_dataset(rc, &d, &err, "fuzz.csv:", 2, lines);
    nlu_dataset_free(&d);
    return 0;
}
