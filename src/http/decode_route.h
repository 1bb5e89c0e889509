/* Request decoders of the routing API (docs/api.md "Routing"), on decode.h's contract: a parsed
 * JSON body in, the command's input out, every field validated at the edge; pure, so
 * fuzz/fuzz_decode_route.c drives them directly. */
#ifndef PARLEY_HTTP_DECODE_ROUTE_H
#define PARLEY_HTTP_DECODE_ROUTE_H

#include "decode.h"

extern const struct decode_enum decode_enum_presence;

/* POST /queues, PUT /queues/{id} → STORE_PUT_QUEUE (the id is the caller's). */
int decode_queue(json_t *body, struct store_cmd *cmd, struct parley_err *err);
/* PUT /users/{id}/routing → STORE_PUT_ROUTING_PROFILE: the fields given replace those the
 * caller preset (the current profile); capacity replaces only the channels it names. */
int decode_routing_profile(json_t *body, struct store_cmd *cmd, struct parley_err *err);
/* PUT /me/presence → STORE_SET_PRESENCE (status). */
int decode_presence(json_t *body, struct store_cmd *cmd, struct parley_err *err);
/* PUT /sla/policies → STORE_PUT_SLA_POLICIES: {"data":[{priority, vulnerable,
 * first_response_minutes, next_response_minutes, resolution_minutes, warning_pct}]}. */
int decode_sla_policies(json_t *body, struct store_cmd *cmd, struct parley_err *err);
/* PUT /routing/settings → STORE_PUT_ROUTE_SETTINGS: the fields given replace the preset ones. */
int decode_route_settings(json_t *body, struct store_cmd *cmd, struct parley_err *err);
/* POST /callbacks (staff: customer_id required) and /widget/callbacks (the caller is the
 * customer) → STORE_CREATE_CALLBACK: at (UTC ms), note, channel (default web). */
int decode_callback(json_t *body, struct store_cmd *cmd, bool staff, struct parley_err *err);
/* POST /conversations/{id}/transfer → STORE_TRANSFER: to_user (id) | to_queue (id) | to_team
 * (slug, into *team_slug for the caller to resolve), note. */
int decode_transfer(json_t *body, struct store_cmd *cmd, const char **team_slug,
                    struct parley_err *err);

#endif
