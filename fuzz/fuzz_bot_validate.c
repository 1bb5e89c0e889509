/* libFuzzer target for the answer validators and the phrase table (src/bot/bot_validate.c,
 * src/bot/bot_phrases.c): arbitrary bytes as a customer's answer, checked against every input
 * type. Beyond "no crash": the output is always NUL-terminated within its buffer, and an
 * accepted answer is in its normal form (a postcode validates again to itself, a date is
 * YYYY-MM-DD, a number within the range). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bot/bot_text.h"

static void must(int ok)
{
    if (!ok) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *syn[] = {"electric", "power"};
    struct flow_choice ch[] = {{"electricity", syn, 2}, {"gas", NULL, 0}};
    struct flow_input inputs[] = {
        {.type = INPUT_TEXT, .max_length = 50},
        {.type = INPUT_NUMBER, .has_min = true, .min = -5, .has_max = true, .max = 1e6},
        {.type = INPUT_NUMBER, .integer = true},
        {.type = INPUT_DATE},
        {.type = INPUT_EMAIL},
        {.type = INPUT_POSTCODE},
        {.type = INPUT_CHOICE, .choices = ch, .n_choices = 2},
    };
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        char out[256];
        memset(out, 'x', sizeof(out));
        int rc = bot_validate(&inputs[i], text, size, 1796083200000LL, out, sizeof(out));
        must(memchr(out, '\0', sizeof(out)) != NULL);
        must(rc == 0 || rc == PARLEY_EINVAL);
        if (rc != 0) continue;
        if (inputs[i].type == INPUT_DATE) must(strlen(out) == 10 && out[4] == '-' && out[7] == '-');
        if (inputs[i].type == INPUT_NUMBER && inputs[i].has_min) {
            double v = strtod(out, NULL);
            must(v >= -5 && v <= 1e6);
        }
        if (inputs[i].type == INPUT_POSTCODE) {
            char again[256];
            must(bot_validate(&inputs[i], out, strlen(out), 0, again, sizeof(again)) == 0);
            must(strcmp(again, out) == 0);
        }
        if (inputs[i].type == INPUT_CHOICE)
            must(strcmp(out, "electricity") == 0 || strcmp(out, "gas") == 0);
    }
    enum bot_phrase_kind k = bot_phrase_match(text, size);
    must(k >= PHRASE_NONE && k <= PHRASE_NO);
    if (k != PHRASE_NONE) must(bot_phrase_is(text, size, k));
    char norm[64];
    must(bot_normalise(text, size, norm, sizeof(norm)) < sizeof(norm));
    return 0;
}
