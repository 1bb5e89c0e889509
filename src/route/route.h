/* The routing service inside `parley serve`: it owns the routing engine (route_engine.h) on
 * its own thread, fed by committed events from the bus (conversations entering a queue,
 * completions, transfers) and by presence changes, and writes its decisions (assignments)
 * back through the store.
 *
 * Ownership: the service borrows store, bus and cfg; they must outlive it. */
#ifndef PARLEY_ROUTE_H
#define PARLEY_ROUTE_H

#include "../bus/bus.h"
#include "../common/config.h"
#include "../common/err.h"
#include "../store/store.h"

struct route_service;

/* Starts the service (its thread and bus subscription). Returns 0 or PARLEY_E* with err. */
int route_service_start(const struct parley_config *cfg, struct store *store, struct bus *bus,
                        struct route_service **out, struct parley_err *err);
/* Stops the thread and frees. route_service_stop(NULL) is safe. */
void route_service_stop(struct route_service *s);

/* Presence hooks from the live streams (src/http/sse.c), thread-safe and non-blocking: a
 * staff user's stream opened or closed. When the last stream of an online adviser stays closed
 * for presence_grace_ms they become away (automatic); when one opens again an automatic away
 * becomes online. s may be NULL (no routing service): then they do nothing. */
void route_stream_opened(struct route_service *s, int64_t tenant_id, int64_t user_id);
void route_stream_closed(struct route_service *s, int64_t tenant_id, int64_t user_id);

#endif
