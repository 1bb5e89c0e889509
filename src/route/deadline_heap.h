/* A min-heap of deadlines with moves and cancels in O(log n): the routing service's SLA
 * timers (route_service_sla.c), so its tick costs O(expired · log n) instead of a scan of
 * every watched conversation. Intrusive: the caller embeds a struct dheap_node in each item
 * (container_of to get back), and the node remembers its slot, so an item can be re-keyed or
 * removed without searching. The heap owns no item; it only holds pointers to their nodes. */
#ifndef PARLEY_DEADLINE_HEAP_H
#define PARLEY_DEADLINE_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHEAP_ABSENT ((size_t)-1)

struct dheap_node {
    int64_t at; /* the deadline (ms); valid while in the heap */
    size_t
        pos; /* slot in the heap, DHEAP_ABSENT when not in it (initialise with dheap_node_init) */
};

struct dheap {
    struct dheap_node **v;
    size_t n, cap;
};

static inline void dheap_node_init(struct dheap_node *x)
{
    x->at = 0;
    x->pos = DHEAP_ABSENT;
}

static inline bool dheap_contains(const struct dheap_node *x)
{
    return x->pos != DHEAP_ABSENT;
}

/* Inserts x with deadline at, or moves it there when it is already in. Returns false only when
 * out of memory (x is then not in the heap). */
bool dheap_set(struct dheap *h, struct dheap_node *x, int64_t at);
/* Removes x; nothing when it is not in the heap. */
void dheap_remove(struct dheap *h, struct dheap_node *x);
/* The earliest deadline's node, or NULL when empty. */
static inline struct dheap_node *dheap_peek(const struct dheap *h)
{
    return h->n > 0 ? h->v[0] : NULL;
}
/* Frees the heap's array (not the items); the heap is empty and usable afterwards. */
void dheap_free(struct dheap *h);

#endif
