/* Where things are in a flow file: jansson reports positions only for syntax errors, so after a
 * successful parse this scanner walks the (now known to be well-formed) text once and notes the
 * line of every top-level key, every step object and every key directly inside a step. Private
 * to flow_load.c and its tests. */
#ifndef PARLEY_BOT_FLOW_LINES_H
#define PARLEY_BOT_FLOW_LINES_H

#include <stddef.h>

#define FLOW_LINES_MAX_KEYS 32

struct flow_key_line {
    const char *key; /* points into the text (not NUL-terminated) */
    size_t len;
    int line;
};

struct flow_step_lines {
    int line;
    struct flow_key_line keys[FLOW_LINES_MAX_KEYS];
    size_t n_keys;
};

struct flow_lines {
    struct flow_key_line top[FLOW_LINES_MAX_KEYS];
    size_t n_top;
    struct flow_step_lines *steps; /* malloc'ed, n_steps entries */
    size_t n_steps;
};

/* Fills fl from text; returns 0 or -1 when out of memory. flow_lines_free releases it. */
int flow_lines_scan(const char *text, size_t len, struct flow_lines *fl);
void flow_lines_free(struct flow_lines *fl);
/* The line of key in step i (or of the step when the key is not found, or 0). */
int flow_lines_key(const struct flow_lines *fl, size_t step, const char *key);
int flow_lines_top(const struct flow_lines *fl, const char *key);

#endif
