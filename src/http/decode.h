/* Request decoders: a parsed JSON body in, a store command (or a small request struct) out,
 * with every field validated at the edge. Pure functions (no I/O, no h2o) so the fuzz targets
 * in fuzz/fuzz_decode_*.c can drive them directly. */
#ifndef PARLEY_HTTP_DECODE_H
#define PARLEY_HTTP_DECODE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/arena.h"
#include "../common/err.h"
#include "../core/core.h"
#include "../store/store.h"

/* The contract every decoder below keeps:
 *  - body is borrowed and may be freed as soon as the call returns: every string the result
 *    points to is copied into cmd->arena (or the arena passed in).
 *  - cmd was prepared with store_cmd_init (or api_cmd_new) for the kind named in the comment;
 *    another kind is PARLEY_EINTERNAL. The decoder fills cmd->in.<kind> (and receipt_kind)
 *    only: ids from the URL or from the caller (customer, conversation, author, tenant) are
 *    the caller's to set afterwards. The defaults named below are the decoder's; any other
 *    field the body leaves out keeps the value it had, so a caller may preset one (the
 *    message handler presets the conversation's channel).
 *  - Returns 0; PARLEY_EINVAL with err->field naming the culprit ("email", the unknown key,
 *    "identities[1].value", "" when the body itself is wrong); PARLEY_ETOOBIG for a message
 *    body over max_message_bytes (413 by the contract); or PARLEY_ENOMEM. err must not be
 *    NULL.
 * Unknown keys are refused, strings are UTF-8 without NUL and capped in bytes (core.h
 * CORE_MAX_*), enums take the names of core.h's tables, ids are positive integers. */

/* POST /auth/login. Structure is checked here (400); whether the credentials are right is the
 * handler's business (401). email is normalised like a stored one; password may be up to
 * 1024 bytes (longer than any stored one, so simply wrong). */
struct login_req {
    const char *tenant, *email, *password;
};
int decode_login(json_t *body, struct login_req *out, struct arena *a, struct parley_err *err);

/* POST /users → STORE_CREATE_USER. *password receives the plaintext (in cmd->arena) for the
 * caller to hash into cmd->in.create_user.password_hash off the event loop. */
int decode_user_create(json_t *body, struct store_cmd *cmd, const char **password,
                       struct parley_err *err);

/* POST /customers → STORE_CREATE_CUSTOMER (with identities, normalised). */
int decode_customer_create(json_t *body, struct store_cmd *cmd, struct parley_err *err);
/* PATCH /customers/{id} → STORE_UPDATE_CUSTOMER (fields + set mask; id is the caller's). */
int decode_customer_update(json_t *body, struct store_cmd *cmd, struct parley_err *err);
/* POST /customers/{id}/identities → STORE_ADD_IDENTITY (customer_id is the caller's). */
int decode_identity_add(json_t *body, struct store_cmd *cmd, struct parley_err *err);
/* POST /customers/{id}/consents → STORE_SET_CONSENT. source stays NULL when not given (the
 * handler then records the caller). */
int decode_consent_set(json_t *body, struct store_cmd *cmd, struct parley_err *err);

/* POST /conversations → STORE_CREATE_CONVERSATION; the optional first message is the
 * customer's and at most max_message_bytes long. */
int decode_conversation_create(json_t *body, struct store_cmd *cmd, size_t max_message_bytes,
                               struct parley_err *err);
/* PATCH /conversations/{id} → STORE_UPDATE_CONVERSATION (fields + set mask). */
int decode_conversation_update(json_t *body, struct store_cmd *cmd, struct parley_err *err);
/* POST /conversations/{id}/messages → STORE_CREATE_MESSAGE (body, internal, channel). */
int decode_message_create(json_t *body, struct store_cmd *cmd, size_t max_message_bytes,
                          struct parley_err *err);
/* POST …/receipts (staff and widget) → STORE_UPDATE_RECEIPT: receipt_kind and the matching
 * cursor (delivered_seq or read_seq). */
int decode_receipt_update(json_t *body, struct store_cmd *cmd, struct parley_err *err);

/* POST /widget/sessions → STORE_WIDGET_SESSION. The identifier is split into kind and
 * normalised value in cmd; out keeps the raw identifier exactly as sent (the HMAC covers it)
 * and the hash lower-cased. Without identifier both stay NULL (an anonymous visitor). */
struct widget_session_req {
    const char *tenant;
    const char *identifier;      /* raw "email:Jane@Example.com", or NULL */
    const char *identifier_hash; /* 64 lower-case hex chars, or NULL */
};
int decode_widget_session(json_t *body, struct store_cmd *cmd, struct widget_session_req *out,
                          struct parley_err *err);
/* POST /widget/messages → STORE_WIDGET_MESSAGE (body, optional conversation_id). */
int decode_widget_message(json_t *body, struct store_cmd *cmd, size_t max_message_bytes,
                          struct parley_err *err);

/* Swarming (decode_swarm.c). POST /conversations/{id}/invitations → STORE_ADD_PARTICIPANT:
 * {"user_id"} or {"skill","min_level" (1-10, default 1),"role" (optional)}. PATCH
 * /conversations/{id}/participants/{user_id} → STORE_UPDATE_PARTICIPANT:
 * {"may_write_customer":bool}. Ids from the URL are the caller's. */
int decode_invitation(json_t *body, struct store_cmd *cmd, struct parley_err *err);
int decode_participant_update(json_t *body, struct store_cmd *cmd, struct parley_err *err);

/* ---- building blocks, shared by the decoders and by handlers parsing query strings ------ */

enum {
    DECODE_REQUIRED = 1 << 0, /* absent (or null) is an error */
    DECODE_NULLABLE = 1 << 1, /* null is accepted and reads as "not set" (NULL / -1) */
};

/* An enum table from core.h: parse by name, list the names in messages. */
struct decode_enum {
    int (*parse)(const char *s);
    const char *(*name)(int value);
    int count;
};
extern const struct decode_enum decode_enum_role, decode_enum_conv_status, decode_enum_channel,
    decode_enum_identity_kind, decode_enum_purpose, decode_enum_receipt_kind, decode_enum_priority;

/* s (may be NULL) by name in e; PARLEY_EINVAL naming field and listing the names if unknown. */
int decode_enum_name(const struct decode_enum *e, const char *field, const char *s, int *out,
                     struct parley_err *err);

/* Fails with PARLEY_EINVAL unless body is an object (field: prefix without its dot, "" at the
 * top), then with field = prefix + the key for the first key not in allowed (a
 * NULL-terminated list). prefix ("identities[2].") may be NULL. */
int decode_object(json_t *body, const char *prefix, const char *const *allowed,
                  struct parley_err *err);

/* Each getter reads obj[key]. *present (may be NULL) says whether the key was there, null
 * included, which is what an update's set mask needs. field names the value in errors (NULL:
 * key). Absent leaves *out untouched. */
int decode_text(json_t *obj, const char *key, const char *field, size_t max, unsigned flags,
                struct arena *a, const char **out, bool *present, struct parley_err *err);
int decode_int(json_t *obj, const char *key, int64_t min, int64_t max, unsigned flags, int64_t *out,
               bool *present, struct parley_err *err);
int decode_bool(json_t *obj, const char *key, unsigned flags, bool *out, bool *present,
                struct parley_err *err);
int decode_enum(json_t *obj, const char *key, const struct decode_enum *e, unsigned flags, int *out,
                bool *present, struct parley_err *err);
/* An array of at most max_items strings, each checked with decode_text's rules (max_len) and
 * then by check (may be NULL), duplicates dropped. Always an array: null is refused. */
int decode_text_list(json_t *obj, const char *key, size_t max_items, size_t max_len,
                     int (*check)(const char *field, const char *s, struct parley_err *err),
                     struct arena *a, const char ***out, size_t *n, bool *present,
                     struct parley_err *err);

/* PARLEY_EINTERNAL unless cmd->kind is kind: a decoder handed the wrong command is a bug. */
int decode_expect_kind(const struct store_cmd *cmd, enum store_cmd_kind kind,
                       struct parley_err *err);
/* After a getter failed inside a nested object, turns err->field "kind" into
 * "identities[2].kind". */
void decode_prefix_field(struct parley_err *err, const char *prefix);

/* Checks for short codes: locale / language tag ("en", "pt-BR"), IANA time zone name
 * ("Europe/London"), skill ("billing:3", level 1–10). */
int decode_check_locale(const char *field, const char *s, struct parley_err *err);
int decode_check_time_zone(const char *field, const char *s, struct parley_err *err);
int decode_check_skill(const char *field, const char *s, struct parley_err *err);

/* A decimal integer from a query string or path, within [min, max]; NULL or "" is
 * PARLEY_EINVAL naming field. */
int decode_query_int(const char *field, const char *s, int64_t min, int64_t max, int64_t *out,
                     struct parley_err *err);

#endif
