/* Binary min-heap over intrusive nodes (deadline_heap.h). Each node keeps its slot, so a move
 * is one sift up or down from there and a removal swaps the last node in. */
#include "deadline_heap.h"

#include <stdlib.h>

static void place(struct dheap *h, size_t i, struct dheap_node *x)
{
    h->v[i] = x;
    x->pos = i;
}

static void sift_up(struct dheap *h, size_t i)
{
    struct dheap_node *x = h->v[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (h->v[parent]->at <= x->at) break;
        place(h, i, h->v[parent]);
        i = parent;
    }
    place(h, i, x);
}

static void sift_down(struct dheap *h, size_t i)
{
    struct dheap_node *x = h->v[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= h->n) break;
        if (child + 1 < h->n && h->v[child + 1]->at < h->v[child]->at) child++;
        if (h->v[child]->at >= x->at) break;
        place(h, i, h->v[child]);
        i = child;
    }
    place(h, i, x);
}

bool dheap_set(struct dheap *h, struct dheap_node *x, int64_t at)
{
    if (x->pos != DHEAP_ABSENT) {
        int64_t old = x->at;
        x->at = at;
        if (at < old)
            sift_up(h, x->pos);
        else if (at > old)
            sift_down(h, x->pos);
        return true;
    }
    if (h->n == h->cap) {
        size_t cap = h->cap == 0 ? 64 : h->cap * 2;
        struct dheap_node **grown = realloc(h->v, cap * sizeof(*grown));
        if (grown == NULL) return false;
        h->v = grown;
        h->cap = cap;
    }
    x->at = at;
    place(h, h->n++, x);
    sift_up(h, x->pos);
    return true;
}

void dheap_remove(struct dheap *h, struct dheap_node *x)
{
    size_t i = x->pos;
    if (i == DHEAP_ABSENT || i >= h->n || h->v[i] != x) return;
    x->pos = DHEAP_ABSENT;
    struct dheap_node *last = h->v[--h->n];
    if (i == h->n) return; /* it was the last one */
    place(h, i, last);
    if (i > 0 && h->v[(i - 1) / 2]->at > last->at)
        sift_up(h, i);
    else
        sift_down(h, i);
}

void dheap_free(struct dheap *h)
{
    for (size_t i = 0; i < h->n; i++) h->v[i]->pos = DHEAP_ABSENT;
    free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
}
