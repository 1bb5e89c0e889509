/* Line numbers for flow files: one pass over text jansson has already accepted, tracking the
 * nesting (objects and arrays), strings and which string is a key, to note where the top-level
 * keys, the step objects of "steps" and the keys of each step are. */
#include "flow_lines.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

static void note(struct flow_key_line *arr, size_t *n, const char *key, size_t len, int line)
{
    if (*n >= FLOW_LINES_MAX_KEYS) return;
    arr[*n].key = key;
    arr[*n].len = len;
    arr[*n].line = line;
    (*n)++;
}

int flow_lines_scan(const char *text, size_t len, struct flow_lines *fl)
{
    memset(fl, 0, sizeof(*fl));
    char stack[MAX_DEPTH];
    int depth = 0, line = 1;
    int steps_depth = -1; /* depth of the "steps" array once entered */
    size_t cap = 0;
    const char *last_key = NULL;
    size_t last_key_len = 0;
    bool pending_steps = false; /* the last top-level key was "steps" */
    for (size_t i = 0; i < len; i++) {
        char ch = text[i];
        if (ch == '\n') {
            line++;
        } else if (ch == '"') {
            size_t start = ++i;
            while (i < len && text[i] != '"') {
                if (text[i] == '\\')
                    i++;
                else if (text[i] == '\n')
                    line++;
                i++;
            }
            size_t slen = i - start;
            size_t j = i + 1;
            while (j < len && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r')) j++;
            bool is_key = j < len && text[j] == ':' && depth > 0 && stack[depth - 1] == '{';
            if (!is_key) continue;
            last_key = text + start;
            last_key_len = slen;
            if (depth == 1) {
                note(fl->top, &fl->n_top, last_key, slen, line);
                pending_steps = slen == 5 && memcmp(last_key, "steps", 5) == 0;
            } else if (steps_depth >= 0 && depth == steps_depth + 1 && fl->n_steps > 0) {
                struct flow_step_lines *s = &fl->steps[fl->n_steps - 1];
                note(s->keys, &s->n_keys, last_key, slen, line);
            }
        } else if (ch == '{' || ch == '[') {
            if (depth >= MAX_DEPTH) return 0; /* deeper than any flow needs: stop noting */
            if (ch == '[' && depth == 1 && pending_steps) steps_depth = depth + 1;
            if (ch == '{' && steps_depth >= 0 && depth == steps_depth) {
                if (fl->n_steps == cap) {
                    size_t ncap = cap == 0 ? 16 : cap * 2;
                    struct flow_step_lines *g = realloc(fl->steps, ncap * sizeof(*g));
                    if (g == NULL) return -1;
                    fl->steps = g;
                    cap = ncap;
                }
                memset(&fl->steps[fl->n_steps], 0, sizeof(fl->steps[0]));
                fl->steps[fl->n_steps++].line = line;
            }
            stack[depth++] = ch;
        } else if (ch == '}' || ch == ']') {
            if (depth > 0) depth--;
            if (ch == ']' && steps_depth >= 0 && depth == steps_depth - 1) steps_depth = -2;
            if (depth == 1) pending_steps = false;
        }
    }
    (void)last_key_len;
    return 0;
}

void flow_lines_free(struct flow_lines *fl)
{
    free(fl->steps);
    fl->steps = NULL;
    fl->n_steps = 0;
}

static int find(const struct flow_key_line *arr, size_t n, const char *key)
{
    size_t len = strlen(key);
    for (size_t i = 0; i < n; i++)
        if (arr[i].len == len && memcmp(arr[i].key, key, len) == 0) return arr[i].line;
    return 0;
}

int flow_lines_key(const struct flow_lines *fl, size_t step, const char *key)
{
    if (step >= fl->n_steps) return 0;
    int line = key != NULL ? find(fl->steps[step].keys, fl->steps[step].n_keys, key) : 0;
    return line > 0 ? line : fl->steps[step].line;
}

int flow_lines_top(const struct flow_lines *fl, const char *key)
{
    return find(fl->top, fl->n_top, key);
}
