/* A memory arena: many small allocations freed in one shot. One per request or per command;
 * nothing allocated from it is freed on its own. Not thread-safe: one owner at a time (a
 * command's arena passes from the HTTP thread to the writer thread and back, never shared). */
#ifndef PARLEY_ARENA_H
#define PARLEY_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
    struct arena_block *head;
    size_t total; /* bytes handed out, for limits */
};

void arena_init(struct arena *a);
/* Frees every block; the arena may be reused after. arena_free on a zeroed arena is safe. */
void arena_free(struct arena *a);
/* Returns zeroed memory aligned for any type, or NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t size);
/* Copies; NULL in gives NULL out. */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
