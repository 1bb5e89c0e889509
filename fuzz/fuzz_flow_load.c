/* libFuzzer target for the flow loader (src/bot/flow_load.c and the line scanner): arbitrary
 * bytes as a flow file. Beyond "no crash, no leak": a refusal carries a code and a message that
 * names the file; an accepted flow is internally consistent (every reference is a step, the
 * first step exists) and its templates render. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bot/flow.h"

static void must(int ok)
{
    if (!ok) abort();
}

static void ref_ok(const struct flow *f, int step)
{
    must(step >= 0 && (size_t)step < f->n_steps);
}

static const char *lookup(void *ud, const char *name)
{
    (void)ud;
    return name[0] == 'a' ? "value" : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct flow *f = NULL;
    struct parley_err err = {0};
    int rc = flow_load_buffer("fuzz.json", (const char *)data, size, &f, &err);
    if (rc != 0) {
        must(f == NULL);
        must(rc == PARLEY_EINVAL || rc == PARLEY_ETOOBIG || rc == PARLEY_ENOMEM);
        must(err.code == rc && strncmp(err.message, "fuzz.json", 9) == 0);
        return 0;
    }
    must(f->n_steps > 0 && f->n_intents > 0);
    struct arena a;
    arena_init(&a);
    for (size_t i = 0; i < f->n_steps; i++) {
        const struct flow_step *s = &f->steps[i];
        switch (s->type) {
        case STEP_ASK:
        case STEP_SAY:
            ref_ok(f, s->next);
            break;
        case STEP_BRANCH:
            ref_ok(f, s->default_step);
            for (size_t k = 0; k < s->n_cases; k++) ref_ok(f, s->cases[k].step);
            break;
        case STEP_ACTION:
            ref_ok(f, s->success);
            ref_ok(f, s->failure);
            must(flow_render(s->url, lookup, NULL, 64, &a) != NULL);
            break;
        default:
            break;
        }
        if (s->say != NULL) must(strlen(flow_render(s->say, lookup, NULL, 100, &a)) <= 100);
    }
    arena_free(&a);
    flow_free(f);
    return 0;
}
