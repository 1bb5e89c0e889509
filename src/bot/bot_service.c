/* The bot service's life cycle. Filled in by the virtual agent (issue 3). */
#include <stdlib.h>

#include "bot.h"

struct bot_service {
    struct store *store;
    struct bus *bus;
};

int bot_service_start(const struct parley_config *cfg, struct store *store, struct bus *bus,
                      struct bot_service **out, struct parley_err *err)
{
    (void)cfg;
    struct bot_service *b = calloc(1, sizeof(*b));
    if (b == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    b->store = store;
    b->bus = bus;
    *out = b;
    return 0;
}

void bot_service_stop(struct bot_service *b)
{
    free(b);
}
