/* The routing service's int64 → pointer map: open addressing with linear probing and
 * backward-shift deletion (no tombstones), grown at 1/2 load. Keys are ids (> 0). */
#include <stdlib.h>

#include "route_service_int.h"

static size_t slot_of(int64_t key, size_t cap)
{
    uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ull; /* Fibonacci hashing */
    return (size_t)(h >> 17) & (cap - 1);
}

void *imap_get(const struct imap *m, int64_t key)
{
    if (m->cap == 0 || key <= 0) return NULL;
    for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == key) return m->vals[i];
        if (m->keys[i] == 0) return NULL;
    }
}

static bool grow(struct imap *m)
{
    size_t cap = m->cap == 0 ? 16 : m->cap * 2;
    int64_t *keys = calloc(cap, sizeof(*keys));
    void **vals = calloc(cap, sizeof(*vals));
    if (keys == NULL || vals == NULL) {
        free(keys);
        free(vals);
        return false;
    }
    for (size_t k = 0; k < m->cap; k++) {
        if (m->keys[k] <= 0) continue;
        size_t i = slot_of(m->keys[k], cap);
        while (keys[i] != 0) i = (i + 1) & (cap - 1);
        keys[i] = m->keys[k];
        vals[i] = m->vals[k];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return true;
}

bool imap_put(struct imap *m, int64_t key, void *val)
{
    if (key <= 0) return false;
    if ((m->n + 1) * 2 > m->cap && !grow(m)) return false;
    size_t i = slot_of(key, m->cap);
    while (m->keys[i] != 0 && m->keys[i] != key) i = (i + 1) & (m->cap - 1);
    if (m->keys[i] == 0) m->n++;
    m->keys[i] = key;
    m->vals[i] = val;
    return true;
}

void *imap_del(struct imap *m, int64_t key)
{
    if (m->cap == 0 || key <= 0) return NULL;
    size_t mask = m->cap - 1, i = slot_of(key, m->cap);
    while (m->keys[i] != key) {
        if (m->keys[i] == 0) return NULL;
        i = (i + 1) & mask;
    }
    void *val = m->vals[i];
    m->n--;
    /* Shift back the entries of the run that follows whose home slot is at or before i. */
    for (size_t j = (i + 1) & mask; m->keys[j] != 0; j = (j + 1) & mask) {
        size_t home = slot_of(m->keys[j], m->cap);
        bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
        if (!movable) continue;
        m->keys[i] = m->keys[j];
        m->vals[i] = m->vals[j];
        i = j;
    }
    m->keys[i] = 0;
    m->vals[i] = NULL;
    return val;
}

void imap_free(struct imap *m)
{
    free(m->keys);
    free(m->vals);
    m->keys = NULL;
    m->vals = NULL;
    m->cap = m->n = 0;
}
