/* The virtual agent as a service inside `parley serve`: it consumes committed events from the
 * bus on its own thread (customer messages in conversations whose status is "bot"), decides
 * with NLU, sentiment, flows, the knowledge base and the tenant's triage policy, and writes its
 * replies and hand-offs back through the store like any other writer.
 *
 * Ownership: the service borrows store, bus and cfg; they must outlive it. */
#ifndef PARLEY_BOT_H
#define PARLEY_BOT_H

#include "../bus/bus.h"
#include "../common/config.h"
#include "../common/err.h"
#include "../store/store.h"

struct bot_service;

/* Starts the service (its thread and bus subscription). Returns 0 or PARLEY_E* with err. */
int bot_service_start(const struct parley_config *cfg, struct store *store, struct bus *bus,
                      struct bot_service **out, struct parley_err *err);
/* Stops the thread and frees. bot_service_stop(NULL) is safe. */
void bot_service_stop(struct bot_service *b);
/* Whether the service runs (config `bot = on`): new widget conversations may start with it.
 * Thread-safe (constant after start). */
bool bot_service_enabled(const struct bot_service *b);

#endif
