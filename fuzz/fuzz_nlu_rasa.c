/* libFuzzer target for the Rasa NLU YAML reader (nlu_rasa_parse): arbitrary bytes as a
 * training file. Every example kept is non-empty, bounded, valid UTF-8 with a well-formed
 * intent name; every failure is an error value with a message naming the file. */
#include <stdint.h>

#include "fuzz_nlu_dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nlu_dataset d;
    nlu_dataset_init(&d);
    struct parley_err err = {0};
    int rc = nlu_rasa_parse("fuzz.yml", (const char *)data, size, &d, &err);
    check_dataset(rc, &d, &err, "fuzz.yml:", 1, (size_t)-1);
    nlu_dataset_free(&d);
    return 0;
}
