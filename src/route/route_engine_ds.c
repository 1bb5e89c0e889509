/* The routing engine's containers: an id map, the two indexed heaps (waiting work by rank,
 * free advisers by occupancy) with best-excluding-one searches, the timer heap and the
 * bounded stickiness memory. No routing rules here. */
#include <stdlib.h>
#include <string.h>

#include "route_engine_int.h"

int rt_grow(void **p, uint32_t *cap, uint32_t need, size_t size)
{
    if (need <= *cap) return 0;
    uint64_t c = *cap ? *cap : 8;
    while (c < need) c *= 2;
    if (c > UINT32_MAX - 1) return PARLEY_ENOMEM;
    void *np = realloc(*p, (size_t)c * size);
    if (np == NULL) return PARLEY_ENOMEM;
    *p = np;
    *cap = (uint32_t)c;
    return 0;
}

/* ---- id map: linear probing, backward-shift deletion ---- */

static uint32_t hash64(int64_t k)
{
    uint64_t x = (uint64_t)k;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (uint32_t)x;
}

static int map_resize(struct rt_map *m, uint32_t cap)
{
    struct rt_slot *ns = calloc(cap, sizeof(*ns));
    if (ns == NULL) return PARLEY_ENOMEM;
    for (uint32_t i = 0; i < m->cap; i++) {
        if (m->s[i].key == 0) continue;
        uint32_t j = hash64(m->s[i].key) & (cap - 1);
        while (ns[j].key != 0) j = (j + 1) & (cap - 1);
        ns[j] = m->s[i];
    }
    free(m->s);
    m->s = ns;
    m->cap = cap;
    return 0;
}

int rt_map_reserve(struct rt_map *m, uint32_t n)
{
    uint32_t cap = m->cap ? m->cap : 64;
    while ((uint64_t)n * 2 > cap) cap *= 2;
    return cap == m->cap ? 0 : map_resize(m, cap);
}

int rt_map_put(struct rt_map *m, int64_t key, uint32_t val)
{
    int rc = rt_map_reserve(m, m->n + 1); /* at most half full: short probes */
    if (rc != 0) return rc;
    uint32_t j = hash64(key) & (m->cap - 1);
    while (m->s[j].key != 0 && m->s[j].key != key) j = (j + 1) & (m->cap - 1);
    if (m->s[j].key == 0) m->n++;
    m->s[j] = (struct rt_slot){.key = key, .val = val};
    return 0;
}

uint32_t rt_map_get(const struct rt_map *m, int64_t key)
{
    if (m->cap == 0 || key == 0) return RT_NONE;
    uint32_t j = hash64(key) & (m->cap - 1);
    while (m->s[j].key != 0) {
        if (m->s[j].key == key) return m->s[j].val;
        j = (j + 1) & (m->cap - 1);
    }
    return RT_NONE;
}

void rt_map_del(struct rt_map *m, int64_t key)
{
    if (m->cap == 0 || key == 0) return;
    uint32_t mask = m->cap - 1, j = hash64(key) & mask;
    while (m->s[j].key != key) {
        if (m->s[j].key == 0) return;
        j = (j + 1) & mask;
    }
    m->s[j].key = 0;
    m->n--;
    /* shift back the entries of the run after j that probed past it */
    for (uint32_t k = (j + 1) & mask; m->s[k].key != 0; k = (k + 1) & mask) {
        uint32_t home = hash64(m->s[k].key) & mask;
        bool between = (j <= k) ? (j < home && home <= k) : (j < home || home <= k);
        if (between) continue;
        m->s[j] = m->s[k];
        m->s[k].key = 0;
        j = k;
    }
}

void rt_map_free(struct rt_map *m)
{
    free(m->s);
    memset(m, 0, sizeof(*m));
}

/* ---- waiting work: 4-ary max-heap by rank (half the depth of a binary heap; the four
 * children of a node share two cache lines) ---- */

#define IARY 4

int rt_ientry_better(const struct rt_ientry *x, const struct rt_ientry *y)
{
    if (x->pkey != y->pkey) return x->pkey > y->pkey;
    if (x->enq != y->enq) return x->enq < y->enq;
    return x->seq < y->seq;
}

static void iset(struct rt_iheap *h, struct rt_item *items, uint32_t pos, struct rt_ientry en)
{
    h->a[pos] = en;
    items[en.item].pos = pos;
}

static void isift(struct rt_iheap *h, struct rt_item *items, uint32_t pos)
{
    struct rt_ientry en = h->a[pos];
    while (pos > 0) {
        uint32_t up = (pos - 1) / IARY;
        if (!rt_ientry_better(&en, &h->a[up])) break;
        iset(h, items, pos, h->a[up]);
        pos = up;
    }
    for (;;) {
        uint32_t c = IARY * pos + 1, end = c + IARY;
        if (c >= h->n) break;
        if (end > h->n) end = h->n;
        for (uint32_t k = c + 1; k < end; k++)
            if (rt_ientry_better(&h->a[k], &h->a[c])) c = k;
        if (!rt_ientry_better(&h->a[c], &en)) break;
        iset(h, items, pos, h->a[c]);
        pos = c;
    }
    iset(h, items, pos, en);
}

int rt_iheap_push(struct rt_iheap *h, struct rt_item *items, uint32_t item)
{
    if (rt_grow((void **)&h->a, &h->cap, h->n + 1, sizeof(*h->a)) != 0) return PARLEY_ENOMEM;
    const struct rt_item *it = &items[item];
    struct rt_ientry en = {
        .pkey = it->pkey, .enq = it->enq, .seq = it->seq, .item = item, .excluded = it->excluded};
    h->a[h->n] = en;
    isift(h, items, h->n++);
    return 0;
}

void rt_iheap_remove(struct rt_iheap *h, struct rt_item *items, uint32_t pos)
{
    items[h->a[pos].item].pos = RT_NONE;
    h->n--;
    if (pos == h->n) return;
    iset(h, items, pos, h->a[h->n]);
    isift(h, items, pos);
}

/* Best-first walk from the root, descending only below excluded entries: few items exclude
 * one given adviser, so this stays near the top. */
uint32_t rt_iheap_best(const struct rt_iheap *h, const struct rt_item *items, uint32_t excl)
{
    if (h->n == 0) return RT_NONE;
    if (excl == RT_NONE || h->a[0].excluded != excl) return 0;
    uint32_t front[64], nf = 0;
    front[nf++] = 0;
    while (nf > 0) {
        uint32_t bi = 0;
        for (uint32_t i = 1; i < nf; i++)
            if (rt_ientry_better(&h->a[front[i]], &h->a[front[bi]])) bi = i;
        uint32_t pos = front[bi];
        front[bi] = front[--nf];
        if (h->a[pos].excluded != excl) return pos;
        for (uint32_t c = IARY * pos + 1; c <= IARY * pos + IARY && c < h->n; c++) {
            if (nf == 64) goto scan;
            front[nf++] = c;
        }
    }
    return RT_NONE;
scan:; /* pathological: this adviser declined a great many of these; fall back to a scan */
    uint32_t best = RT_NONE;
    for (uint32_t i = 0; i < h->n; i++)
        if (h->a[i].excluded != excl &&
            (best == RT_NONE || rt_ientry_better(&h->a[i], &h->a[best])))
            best = i;
    return best;
}

/* ---- free advisers: min-heap by (occupancy, idle since, id) ---- */

bool rt_aentry_better(const struct rt_aentry *x, const struct rt_aentry *y)
{
    if (x->occ != y->occ) return x->occ < y->occ;
    if (x->idle != y->idle) return x->idle < y->idle;
    return x->id < y->id;
}

static void aset(struct rt_aheap *h, struct rt_memb *memb, uint32_t pos, struct rt_aentry en)
{
    h->a[pos] = en;
    memb[en.memb].pos = pos;
}

/* 4-ary too: a re-key (every assignment and completion, in each of the adviser's K heaps)
 * walks half the levels of a binary heap. */
#define AARY 4

static void asift(struct rt_aheap *h, struct rt_memb *memb, uint32_t pos)
{
    struct rt_aentry en = h->a[pos];
    while (pos > 0) {
        uint32_t up = (pos - 1) / AARY;
        if (!rt_aentry_better(&en, &h->a[up])) break;
        aset(h, memb, pos, h->a[up]);
        pos = up;
    }
    for (;;) {
        uint32_t c = AARY * pos + 1, end = c + AARY;
        if (c >= h->n) break;
        if (end > h->n) end = h->n;
        for (uint32_t k = c + 1; k < end; k++)
            if (rt_aentry_better(&h->a[k], &h->a[c])) c = k;
        if (!rt_aentry_better(&h->a[c], &en)) break;
        aset(h, memb, pos, h->a[c]);
        pos = c;
    }
    aset(h, memb, pos, en);
}

int rt_aheap_push(struct rt_aheap *h, struct rt_memb *memb, struct rt_aentry en)
{
    if (rt_grow((void **)&h->a, &h->cap, h->n + 1, sizeof(*h->a)) != 0) return PARLEY_ENOMEM;
    h->a[h->n] = en;
    asift(h, memb, h->n++);
    return 0;
}

void rt_aheap_remove(struct rt_aheap *h, struct rt_memb *memb, uint32_t pos)
{
    memb[h->a[pos].memb].pos = RT_NONE;
    h->n--;
    if (pos == h->n) return;
    aset(h, memb, pos, h->a[h->n]);
    asift(h, memb, pos);
}

void rt_aheap_update(struct rt_aheap *h, struct rt_memb *memb, uint32_t pos, struct rt_aentry en)
{
    aset(h, memb, pos, en);
    asift(h, memb, pos);
}

int rt_aheap_best2(const struct rt_aheap *h, int64_t excl_id, uint32_t out[2])
{
    /* At most one adviser is excluded, so the two best others are among the root, its
     * children and grandchildren. */
    enum { TOP = 1 + AARY + AARY * AARY };
    uint32_t cand[TOP], nc = 0;
    for (uint32_t i = 0; i < TOP && i < h->n; i++)
        if (h->a[i].id != excl_id) cand[nc++] = i;
    int n = 0;
    for (int k = 0; k < 2; k++) {
        uint32_t bi = RT_NONE;
        for (uint32_t i = 0; i < nc; i++)
            if (cand[i] != RT_NONE &&
                (bi == RT_NONE || rt_aentry_better(&h->a[cand[i]], &h->a[cand[bi]])))
                bi = i;
        if (bi == RT_NONE) break;
        out[n++] = cand[bi];
        cand[bi] = RT_NONE;
    }
    return n;
}

/* ---- timers: 4-ary min-heap by (time, kind), stale entries dropped when they come due ---- */

static bool timer_before(const struct rt_timer *x, const struct rt_timer *y)
{
    return x->at != y->at ? x->at < y->at : x->kind < y->kind;
}

int rt_theap_push(struct rt_theap *h, struct rt_timer t)
{
    if (rt_grow((void **)&h->a, &h->cap, h->n + 1, sizeof(*h->a)) != 0) return PARLEY_ENOMEM;
    uint32_t pos = h->n++;
    while (pos > 0 && timer_before(&t, &h->a[(pos - 1) / IARY])) {
        h->a[pos] = h->a[(pos - 1) / IARY];
        pos = (pos - 1) / IARY;
    }
    h->a[pos] = t;
    return 0;
}

void rt_theap_pop(struct rt_theap *h)
{
    struct rt_timer last = h->a[--h->n];
    uint32_t pos = 0;
    for (;;) {
        uint32_t c = IARY * pos + 1, end = c + IARY;
        if (c >= h->n) break;
        if (end > h->n) end = h->n;
        for (uint32_t k = c + 1; k < end; k++)
            if (timer_before(&h->a[k], &h->a[c])) c = k;
        if (!timer_before(&h->a[c], &last)) break;
        h->a[pos] = h->a[c];
        pos = c;
    }
    if (h->n > 0) h->a[pos] = last;
}

/* ---- stickiness: a fixed pool on a doubly linked recency list ---- */

int rt_sticky_init(struct rt_sticky *s, uint32_t cap)
{
    memset(s, 0, sizeof(*s));
    s->e = calloc(cap, sizeof(*s->e));
    if (s->e == NULL) return PARLEY_ENOMEM;
    s->cap = cap;
    s->head = s->tail = RT_NONE;
    /* reserve the map up front so noting a customer never fails */
    if (rt_map_reserve(&s->map, cap + 1) != 0) {
        rt_sticky_free(s);
        return PARLEY_ENOMEM;
    }
    return 0;
}

void rt_sticky_free(struct rt_sticky *s)
{
    free(s->e);
    rt_map_free(&s->map);
    memset(s, 0, sizeof(*s));
}

static void unlink_entry(struct rt_sticky *s, uint32_t i)
{
    struct rt_sticky_entry *x = &s->e[i];
    if (x->prev != RT_NONE)
        s->e[x->prev].next = x->next;
    else
        s->head = x->next;
    if (x->next != RT_NONE)
        s->e[x->next].prev = x->prev;
    else
        s->tail = x->prev;
}

static void push_front(struct rt_sticky *s, uint32_t i)
{
    s->e[i].prev = RT_NONE;
    s->e[i].next = s->head;
    if (s->head != RT_NONE) s->e[s->head].prev = i;
    s->head = i;
    if (s->tail == RT_NONE) s->tail = i;
}

void rt_sticky_note(struct rt_sticky *s, int64_t customer, int64_t adviser_id, int64_t at)
{
    if (customer <= 0 || s->cap == 0) return;
    uint32_t i = rt_map_get(&s->map, customer);
    if (i != RT_NONE) {
        unlink_entry(s, i);
    } else {
        if (s->n < s->cap) {
            i = s->n++;
        } else {
            i = s->tail;
            unlink_entry(s, i);
            rt_map_del(&s->map, s->e[i].customer);
        }
        (void)rt_map_put(&s->map, customer, i); /* reserved: never grows */
    }
    s->e[i].customer = customer;
    s->e[i].adviser_id = adviser_id;
    s->e[i].at = at;
    push_front(s, i);
}

const struct rt_sticky_entry *rt_sticky_get(const struct rt_sticky *s, int64_t customer)
{
    uint32_t i = rt_map_get(&s->map, customer);
    return i == RT_NONE ? NULL : &s->e[i];
}
