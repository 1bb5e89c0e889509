/* In-process bus: one mutex, a singly linked inbox per subscriber, and one allocation per
 * batch holding the events, their strings and one inbox link per subscriber, freed when the
 * last subscriber has drained it. */
#include "bus.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct batch;

/* One subscriber's reference to a batch; lives inside the batch's allocation. */
struct bus_link {
    struct bus_link *next;
    struct batch *batch;
};

struct batch {
    atomic_size_t refs; /* subscribers that have not drained it yet */
    struct bus_batch view;
    /* followed by: struct event[n], struct bus_link[nsubs], string bytes */
};

struct bus_sub {
    struct bus *bus;
    bus_wake_fn wake;
    void *ud;
    struct bus_link *head, **tail; /* inbox, guarded by bus->mu */
    struct bus_sub *next;
};

struct bus {
    pthread_mutex_t mu;
    struct bus_sub *subs;
    size_t nsubs;
};

int bus_open_local(struct bus **out, struct parley_err *err)
{
    struct bus *b = calloc(1, sizeof(*b));
    if (b == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory for the bus");
    pthread_mutex_init(&b->mu, NULL);
    *out = b;
    return 0;
}

void bus_close(struct bus *b)
{
    if (b == NULL) return;
    pthread_mutex_destroy(&b->mu);
    free(b);
}

static void batch_release(struct batch *bt)
{
    if (atomic_fetch_sub_explicit(&bt->refs, 1, memory_order_acq_rel) == 1) free(bt);
}

static size_t str_size(const char *s)
{
    return s != NULL ? strlen(s) + 1 : 0;
}

static const char *copy_str(char **cursor, const char *s)
{
    if (s == NULL) return NULL;
    size_t n = strlen(s) + 1;
    char *d = *cursor;
    memcpy(d, s, n);
    *cursor += n;
    return d;
}

int bus_publish(struct bus *b, const struct event *events, size_t n, unsigned flags)
{
    if (n == 0) return 0;
    size_t strings = 0;
    for (size_t i = 0; i < n; i++)
        strings += str_size(events[i].type) + str_size(events[i].data) +
                   str_size(events[i].data_customer) + str_size(events[i].facts.contact_reason);

    pthread_mutex_lock(&b->mu);
    size_t nsubs = b->nsubs;
    if (nsubs == 0) {
        pthread_mutex_unlock(&b->mu);
        return 0;
    }
    /* Sized under the lock so the link array matches the subscriber list exactly. */
    size_t size =
        sizeof(struct batch) + n * sizeof(struct event) + nsubs * sizeof(struct bus_link) + strings;
    struct batch *bt = malloc(size);
    if (bt == NULL) {
        pthread_mutex_unlock(&b->mu);
        return PARLEY_ENOMEM;
    }
    struct event *ev = (struct event *)(bt + 1);
    struct bus_link *links = (struct bus_link *)(ev + n);
    char *cursor = (char *)(links + nsubs);
    for (size_t i = 0; i < n; i++) {
        ev[i] = events[i];
        ev[i].type = copy_str(&cursor, events[i].type);
        ev[i].data = copy_str(&cursor, events[i].data);
        /* the customer's payload too: the publisher's copy does not outlive this call */
        ev[i].data_customer = copy_str(&cursor, events[i].data_customer);
        ev[i].facts.contact_reason = copy_str(&cursor, events[i].facts.contact_reason);
    }
    atomic_init(&bt->refs, nsubs);
    bt->view.flags = flags;
    bt->view.n = n;
    bt->view.events = ev;

    size_t k = 0;
    for (struct bus_sub *s = b->subs; s != NULL; s = s->next, k++) {
        struct bus_link *l = &links[k];
        l->next = NULL;
        l->batch = bt;
        bool was_empty = s->head == NULL;
        *s->tail = l;
        s->tail = &l->next;
        /* Rung under the lock so bus_unsubscribe can promise no wake after it returns. */
        if (was_empty) s->wake(s->ud);
    }
    pthread_mutex_unlock(&b->mu);
    return 0;
}

int bus_subscribe(struct bus *b, bus_wake_fn wake, void *ud, struct bus_sub **out,
                  struct parley_err *err)
{
    struct bus_sub *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory for a bus subscriber");
    s->bus = b;
    s->wake = wake;
    s->ud = ud;
    s->tail = &s->head;
    pthread_mutex_lock(&b->mu);
    s->next = b->subs;
    b->subs = s;
    b->nsubs++;
    pthread_mutex_unlock(&b->mu);
    *out = s;
    return 0;
}

void bus_unsubscribe(struct bus_sub *s)
{
    if (s == NULL) return;
    struct bus *b = s->bus;
    pthread_mutex_lock(&b->mu);
    for (struct bus_sub **p = &b->subs; *p != NULL; p = &(*p)->next) {
        if (*p == s) {
            *p = s->next;
            b->nsubs--;
            break;
        }
    }
    struct bus_link *l = s->head;
    s->head = NULL;
    s->tail = &s->head;
    pthread_mutex_unlock(&b->mu);
    while (l != NULL) {
        struct bus_link *next = l->next; /* read before the release may free l */
        batch_release(l->batch);
        l = next;
    }
    free(s);
}

size_t bus_drain(struct bus_sub *s, bus_batch_fn fn, void *ud)
{
    struct bus *b = s->bus;
    pthread_mutex_lock(&b->mu);
    struct bus_link *l = s->head;
    s->head = NULL;
    s->tail = &s->head;
    pthread_mutex_unlock(&b->mu);
    size_t count = 0;
    while (l != NULL) {
        struct bus_link *next = l->next;
        fn(ud, &l->batch->view);
        batch_release(l->batch);
        l = next;
        count++;
    }
    return count;
}
