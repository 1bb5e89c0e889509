/* The event bus: committed events (from the store's event sink, on the writer thread) and
 * ephemeral ones (typing, from any thread) fan out to subscribers (the HTTP event loops).
 * bus_local.c is the in-process backend; a NATS backend can fill the same interface later.
 *
 * Delivery is a doorbell plus an inbox, so the bus never needs to know how a subscriber's
 * thread sleeps: bus_publish() appends one shared, refcounted batch to every subscriber's
 * inbox and rings wake(ud) when that inbox was empty; the subscriber then calls bus_drain()
 * on its own thread. Per subscriber, batches arrive in publish order; one publisher's
 * batches stay in the order it published them.
 *
 * Ownership: bus_publish copies what it is given (events and their strings); a batch handed
 * to a drain callback is borrowed for the duration of the call. */
#ifndef PARLEY_BUS_H
#define PARLEY_BUS_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/err.h"
#include "../core/core.h"

struct bus;
struct bus_sub;

enum { BUS_EPHEMERAL = 1 << 0 }; /* not stored, no id (typing indicators) */

/* A published batch as subscribers see it: read-only. */
struct bus_batch {
    unsigned flags; /* BUS_* */
    size_t n;
    const struct event *events; /* in id order for committed batches */
};

/* Called on the publisher's thread, with the bus lock held, when a subscriber's inbox goes
 * from empty to non-empty: it must only wake the subscriber's thread (no bus calls). Every
 * wake is followed by exactly one bus_drain() on the subscriber's thread, which rearms it. */
typedef void (*bus_wake_fn)(void *ud);
typedef void (*bus_batch_fn)(void *ud, const struct bus_batch *batch);

/* The in-process backend. bus_close(NULL) is safe; subscribers must be gone first. */
int bus_open_local(struct bus **out, struct parley_err *err);
void bus_close(struct bus *b);

/* Copies n events into one refcounted allocation shared by all current subscribers (none:
 * nothing is allocated). Thread-safe. Returns 0 or PARLEY_ENOMEM (the batch is then lost
 * for live streams; committed events stay in the store and are found again on resume). */
int bus_publish(struct bus *b, const struct event *events, size_t n, unsigned flags);

/* Thread-safe. The subscription sees batches published after it returns. */
int bus_subscribe(struct bus *b, bus_wake_fn wake, void *ud, struct bus_sub **out,
                  struct parley_err *err);
/* Drops undelivered batches and frees s; no wake for s runs after it returns. */
void bus_unsubscribe(struct bus_sub *s);
/* On the subscriber's thread: hands every waiting batch to fn in order, then releases it.
 * Returns how many batches were handed over. */
size_t bus_drain(struct bus_sub *s, bus_batch_fn fn, void *ud);

#endif
