/* The routing service's life cycle. Filled in by the routing engine (issue 4). */
#include <stdlib.h>

#include "route.h"

struct route_service {
    struct store *store;
    struct bus *bus;
};

int route_service_start(const struct parley_config *cfg, struct store *store, struct bus *bus,
                        struct route_service **out, struct parley_err *err)
{
    (void)cfg;
    struct route_service *s = calloc(1, sizeof(*s));
    if (s == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    s->store = store;
    s->bus = bus;
    *out = s;
    return 0;
}

void route_service_stop(struct route_service *s)
{
    free(s);
}
