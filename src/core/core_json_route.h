/* JSON representations of the routing domain (core_route.h), in core_json.c next to the
 * others so one object always looks the same. Each returns a new reference or NULL when out of
 * memory. */
#ifndef PARLEY_CORE_JSON_ROUTE_H
#define PARLEY_CORE_JSON_ROUTE_H

#include <jansson.h>

#include "core_json.h"
#include "core_route.h"

/* The conversation's "queue" ({"id","name"} or null) and "sla" (deadlines or null). */
json_t *core_json_conv_queue(const struct conversation *c);
json_t *core_json_conv_sla(const struct conversation *c);
json_t *core_json_queue(const struct route_queue *q);
json_t *core_json_capacity(const int capacity[CHANNEL__COUNT]);
json_t *core_json_routing_profile(const struct route_profile *p);
json_t *core_json_presence(const struct presence_state *p);
json_t *core_json_sla_policy(const struct sla_policy *p);
/* The customer's own view leaves out the note and who booked it. */
json_t *core_json_callback(const struct callback *cb, const struct json_view *v);
json_t *core_json_transfer(const struct transfer *t);

#endif
