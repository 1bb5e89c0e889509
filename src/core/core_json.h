/* JSON representations of the domain (the API's shapes, described in docs/api.md and
 * docs/openapi.yaml). Used by the HTTP layer for responses and by the store for
 * idempotent replays and event payloads, so one object always looks the same.
 * Each function returns a new jansson reference the caller must json_decref, or NULL
 * when out of memory. */
#ifndef PARLEY_CORE_JSON_H
#define PARLEY_CORE_JSON_H

#include <jansson.h>

#include "core.h"

/* How much the viewer may see. */
struct json_view {
    bool customer_self; /* the customer looking at their own data (widget) */
    enum role role;     /* staff role when !customer_self */
};

json_t *core_json_tenant(const struct tenant *t); /* never includes secrets */
json_t *core_json_user(const struct user *u);
json_t *core_json_team(const struct team *t);
/* Needs and needs_note only for roles allowed (role_sees_needs); experts get the name as
 * initials. identities may be NULL (then omitted). */
json_t *core_json_customer(const struct customer *c, const struct identity *ids, size_t n_ids,
                           const struct json_view *v);
json_t *core_json_identity(const struct identity *i);
json_t *core_json_consent(const struct consent *c);
json_t *core_json_conversation(const struct conversation *c, const struct json_view *v);
json_t *core_json_message(const struct message *m);
json_t *core_json_receipt(const struct receipt *r);
json_t *core_json_audit(const struct audit_entry *a);

/* The Message JSON written straight into the arena: byte for byte what
 * core_json_dump(core_json_message(m), a) returns, without building a jansson tree (the message
 * path renders one per message). NULL when out of memory. */
struct arena;
char *core_json_message_text(const struct message *m, struct arena *a);

/* Serialises compactly into the arena (NULL on failure). Steals the reference to j. */
struct arena;
char *core_json_dump(json_t *j, struct arena *a);

/* Swarming (core_swarm.c): a Participant of docs/api.md. */
json_t *core_json_participant(const struct participant *p);

#endif
