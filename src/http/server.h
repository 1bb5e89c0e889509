/* The HTTP server: h2o event loops (one per thread, SO_REUSEPORT), the REST API, live
 * streams and the status page. Blocks until SIGINT/SIGTERM, then drains and returns. */
#ifndef PARLEY_HTTP_SERVER_H
#define PARLEY_HTTP_SERVER_H

#include "../common/config.h"
#include "../common/err.h"
#include "../store/store.h"

/* The store must be open; the server sets its event sink. Returns 0 after a clean stop. */
int http_serve(const struct parley_config *cfg, struct store *store, struct parley_err *err);

#endif
