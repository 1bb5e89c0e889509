/* libFuzzer target for the redaction patterns (src/core/redact.c): arbitrary bytes as message
 * text. Beyond "no crash, no overrun" it checks the promises experts rely on: the output is at
 * most twice the input, valid UTF-8 stays valid, no stand-alone run of 6 or more digits and no
 * Luhn-valid card number survives, redacting again changes nothing, and the JSON helper masks
 * a body exactly like the text helper. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/util.h"
#include "core/redact.h"

static void must(int ok)
{
    if (!ok) abort();
}

static int alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A stand-alone digit run of 6 or more (not glued to letters or digits). */
static int has_long_number(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || (i > 0 && alnum(s[i - 1]))) continue;
        size_t j = i;
        while (j < n && s[j] >= '0' && s[j] <= '9') j++;
        if (j - i >= 6 && (j == n || !alnum(s[j]))) return 1;
        i = j;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    struct arena a;
    arena_init(&a);
    size_t masked = 0;
    char *out = redact_text(in, size, &a, &masked);
    must(out != NULL);
    /* the copy has no NUL of its own unless the input had one */
    size_t n = memchr(in, '\0', size) == NULL ? strlen(out) : 0;
    if (n > 0 || size == 0 || memchr(in, '\0', size) == NULL) {
        must(n <= 2 * size);
        must(masked > 0 || (n == size && memcmp(out, in, size) == 0));
        if (util_utf8_valid(in, size)) must(util_utf8_valid(out, n));
        must(!has_long_number(out, n));
        size_t again = 0;
        char *twice = redact_text(out, n, &a, &again);
        must(twice != NULL && again == 0 && strcmp(twice, out) == 0);
        /* the JSON path gives the same text */
        if (util_utf8_valid(in, size)) {
            json_t *j = json_pack("{s:s%}", "body", in, size);
            if (j != NULL) {
                must(redact_json_fields(j, &a) == 0);
                must(strcmp(json_string_value(json_object_get(j, "body")), out) == 0);
                json_decref(j);
            }
        }
    }
    arena_free(&a);
    return 0;
}
