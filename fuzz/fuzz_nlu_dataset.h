/* Shared by the NLU reader fuzz targets (fuzz_nlu_csv, fuzz_nlu_rasa): the promises every
 * training-data reader keeps, checked on each input. */
#ifndef PARLEY_FUZZ_NLU_DATASET_H
#define PARLEY_FUZZ_NLU_DATASET_H

#include <stdlib.h>
#include <string.h>

#include "bot/nlu.h"
#include "common/util.h"

static void must(int ok)
{
    if (!ok) abort();
}

/* A failure is an error value with a message (naming the input for EINVAL); a success keeps
 * only non-empty, bounded, valid UTF-8 texts with well-formed labels and lines in
 * [min_line, max_line]. */
static void check_dataset(int rc, const struct nlu_dataset *d, const struct parley_err *err,
                          const char *name, int min_line, size_t max_line)
{
    if (rc != 0) {
        must(rc == PARLEY_EINVAL || rc == PARLEY_ETOOBIG || rc == PARLEY_ENOMEM);
        must(err->message[0] != '\0');
        must(rc != PARLEY_EINVAL || strncmp(err->message, name, strlen(name)) == 0);
        return;
    }
    for (size_t i = 0; i < d->n; i++) {
        size_t len = strlen(d->items[i].text);
        must(len > 0 && len <= NLU_MAX_TEXT && util_utf8_valid(d->items[i].text, len));
        must(nlu_label_valid(d->items[i].label, strlen(d->items[i].label)));
        must(d->items[i].line >= min_line && (size_t)d->items[i].line <= max_line);
    }
}

#endif
