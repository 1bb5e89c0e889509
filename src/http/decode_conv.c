/* Decoders for conversations, messages, receipts and the customer-side widget: JSON bodies
 * into store commands, validated at the edge. Pure. */
#include "decode.h"

#include <stdio.h>
#include <string.h>

#include "../common/util.h"

#define HMAC_HEX_LEN 64

/* A message body: UTF-8, at most max bytes (the configured max_message_bytes). */
static int body_field(json_t *obj, const char *key, size_t max, unsigned flags, struct arena *a,
                      const char **out, struct parley_err *err)
{
    json_t *v = json_object_get(obj, key);
    /* the contract answers an over-long message with 413, not 400, naming the limit */
    if (json_is_string(v) && json_string_length(v) > max)
        return parley_fail(err, PARLEY_ETOOBIG, key,
                           "%s is %zu bytes; messages may be at most %zu bytes (max_message_bytes)",
                           key, json_string_length(v), max);
    return decode_text(obj, key, NULL, max, flags, a, out, NULL, err);
}

/* A tag: a short label without control characters. */
static int check_tag(const char *field, const char *s, struct parley_err *err)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7f)
            return parley_fail(err, PARLEY_EINVAL, field, "%s contains a control character", field);
    return 0;
}

/* assignees: [user ids], owner first; repeats dropped. */
static int assignees_field(json_t *body, struct conversation *c, bool *present, struct arena *a,
                           struct parley_err *err)
{
    json_t *v = json_object_get(body, "assignees");
    *present = v != NULL;
    if (v == NULL) return 0;
    if (!json_is_array(v))
        return parley_fail(err, PARLEY_EINVAL, "assignees",
                           "assignees must be an array of user ids");
    size_t n = json_array_size(v), kept = 0;
    if (n > CORE_MAX_LIST)
        return parley_fail(err, PARLEY_EINVAL, "assignees", "assignees may hold at most %d ids",
                           CORE_MAX_LIST);
    int64_t *ids = arena_alloc(a, (n > 0 ? n : 1) * sizeof(*ids));
    if (ids == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get(v, i);
        if (!json_is_integer(item) || json_integer_value(item) < 1) {
            char field[32];
            snprintf(field, sizeof(field), "assignees[%zu]", i);
            return parley_fail(err, PARLEY_EINVAL, field, "%s must be a user id (an integer >= 1)",
                               field);
        }
        int64_t id = (int64_t)json_integer_value(item);
        bool dup = false;
        for (size_t k = 0; k < kept && !dup; k++) dup = ids[k] == id;
        if (!dup) ids[kept++] = id;
    }
    c->assignees = ids;
    c->n_assignees = kept;
    return 0;
}

int decode_conversation_create(json_t *body, struct store_cmd *cmd, size_t max_message_bytes,
                               struct parley_err *err)
{
    static const char *const fields[] = {"customer_id",    "channel", "subject", "priority",
                                         "contact_reason", "tags",    "message", NULL};
    struct conversation *c = &cmd->in.create_conversation.conversation;
    struct arena *a = &cmd->arena;
    int channel = CHANNEL_API, priority = PRIORITY_NORMAL, rc;
    if ((rc = decode_expect_kind(cmd, STORE_CREATE_CONVERSATION, err)) != 0 ||
        (rc = decode_object(body, NULL, fields, err)) != 0 ||
        (rc = decode_int(body, "customer_id", 1, INT64_MAX, DECODE_REQUIRED, &c->customer_id, NULL,
                         err)) != 0 ||
        (rc = decode_enum(body, "channel", &decode_enum_channel, 0, &channel, NULL, err)) != 0 ||
        (rc = decode_text(body, "subject", NULL, CORE_MAX_NAME, DECODE_NULLABLE, a, &c->subject,
                          NULL, err)) != 0 ||
        (rc = decode_enum(body, "priority", &decode_enum_priority, 0, &priority, NULL, err)) != 0 ||
        (rc = decode_text(body, "contact_reason", NULL, CORE_MAX_NAME, DECODE_NULLABLE, a,
                          &c->contact_reason, NULL, err)) != 0 ||
        (rc = decode_text_list(body, "tags", CORE_MAX_TAGS, CORE_MAX_SHORT, check_tag, a, &c->tags,
                               &c->n_tags, NULL, err)) != 0 ||
        (rc = body_field(body, "message", max_message_bytes, DECODE_NULLABLE, a,
                         &cmd->in.create_conversation.first_message, err)) != 0)
        return rc;
    c->channel = (enum channel)channel;
    c->priority = (enum priority)priority;
    /* the priority is always decided here (normal unless given), so "low" (0) must count */
    cmd->in.create_conversation.set |= SET_PRIORITY;
    cmd->in.create_conversation.first_sender = SENDER_CUSTOMER;
    return 0;
}

int decode_conversation_update(json_t *body, struct store_cmd *cmd, struct parley_err *err)
{
    static const char *const fields[] = {
        "status", "priority", "contact_reason", "tags", "assignees", "subject", NULL};
    struct conversation *c = &cmd->in.update_conversation.conversation;
    struct arena *a = &cmd->arena;
    bool p[6] = {false};
    int status = -1, priority = -1, rc;
    if ((rc = decode_expect_kind(cmd, STORE_UPDATE_CONVERSATION, err)) != 0 ||
        (rc = decode_object(body, NULL, fields, err)) != 0 ||
        (rc = decode_enum(body, "status", &decode_enum_conv_status, 0, &status, &p[0], err)) != 0 ||
        (rc = decode_enum(body, "priority", &decode_enum_priority, 0, &priority, &p[1], err)) !=
            0 ||
        (rc = decode_text(body, "contact_reason", NULL, CORE_MAX_NAME, DECODE_NULLABLE, a,
                          &c->contact_reason, &p[2], err)) != 0 ||
        (rc = decode_text_list(body, "tags", CORE_MAX_TAGS, CORE_MAX_SHORT, check_tag, a, &c->tags,
                               &c->n_tags, &p[3], err)) != 0 ||
        (rc = assignees_field(body, c, &p[4], a, err)) != 0 ||
        (rc = decode_text(body, "subject", NULL, CORE_MAX_NAME, DECODE_NULLABLE, a, &c->subject,
                          &p[5], err)) != 0)
        return rc;
    static const unsigned bits[6] = {SET_STATUS, SET_PRIORITY,  SET_CONTACT_REASON,
                                     SET_TAGS,   SET_ASSIGNEES, SET_SUBJECT};
    unsigned set = 0;
    for (int i = 0; i < 6; i++)
        if (p[i]) set |= bits[i];
    if (set == 0)
        return parley_fail(err, PARLEY_EINVAL, "", "nothing to update: name at least one field");
    if (p[0]) c->status = (enum conv_status)status;
    if (p[1]) c->priority = (enum priority)priority;
    cmd->in.update_conversation.set = set;
    return 0;
}

int decode_message_create(json_t *body, struct store_cmd *cmd, size_t max_message_bytes,
                          struct parley_err *err)
{
    static const char *const fields[] = {"body", "internal", "channel", NULL};
    struct message *m = &cmd->in.create_message;
    int channel = (int)m->channel, rc; /* preset by the caller: the conversation's channel */
    if ((rc = decode_expect_kind(cmd, STORE_CREATE_MESSAGE, err)) != 0 ||
        (rc = decode_object(body, NULL, fields, err)) != 0 ||
        (rc = body_field(body, "body", max_message_bytes, DECODE_REQUIRED, &cmd->arena, &m->body,
                         err)) != 0 ||
        (rc = decode_bool(body, "internal", 0, &m->internal, NULL, err)) != 0 ||
        (rc = decode_enum(body, "channel", &decode_enum_channel, 0, &channel, NULL, err)) != 0)
        return rc;
    m->channel = (enum channel)channel;
    m->sender = SENDER_AGENT;
    return 0;
}

int decode_receipt_update(json_t *body, struct store_cmd *cmd, struct parley_err *err)
{
    static const char *const fields[] = {"kind", "seq", NULL};
    int kind = -1, rc;
    int64_t seq = 0;
    if ((rc = decode_expect_kind(cmd, STORE_UPDATE_RECEIPT, err)) != 0 ||
        (rc = decode_object(body, NULL, fields, err)) != 0 ||
        (rc = decode_enum(body, "kind", &decode_enum_receipt_kind, DECODE_REQUIRED, &kind, NULL,
                          err)) != 0 ||
        (rc = decode_int(body, "seq", 0, INT64_MAX, DECODE_REQUIRED, &seq, NULL, err)) != 0)
        return rc;
    cmd->receipt_kind = (enum receipt_kind)kind;
    /* read up to N implies delivered up to N; the store only ever moves cursors forward */
    cmd->in.update_receipt.delivered_seq = seq;
    if (kind == RECEIPT_READ) cmd->in.update_receipt.read_seq = seq;
    return 0;
}

/* "kind:value" → kind and normalised value, both into cmd. */
static int identifier_field(const char *raw, struct store_cmd *cmd, struct parley_err *err)
{
    const char *colon = strchr(raw, ':');
    char kind_name[CORE_MAX_SHORT + 1];
    int kind = -1;
    if (colon != NULL && (size_t)(colon - raw) <= CORE_MAX_SHORT) {
        memcpy(kind_name, raw, (size_t)(colon - raw));
        kind_name[colon - raw] = '\0';
        kind = identity_kind_parse(kind_name);
    }
    if (kind < 0)
        return parley_fail(err, PARLEY_EINVAL, "identifier",
                           "identifier must be kind:value, such as \"email:jane@example.com\" or "
                           "\"external:C-1042\"");
    char *value = arena_strdup(&cmd->arena, colon + 1);
    if (value == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    if (strlen(value) > CORE_MAX_IDENTITY)
        return parley_fail(err, PARLEY_EINVAL, "identifier",
                           "identifier value is longer than %d bytes", CORE_MAX_IDENTITY);
    int rc = core_normalise_identity((enum identity_kind)kind, value, err);
    if (rc != 0) {
        snprintf(err->field, sizeof(err->field), "identifier");
        return rc;
    }
    cmd->in.widget_session.identity_kind = (enum identity_kind)kind;
    cmd->in.widget_session.identity_value = value;
    return 0;
}

int decode_widget_session(json_t *body, struct store_cmd *cmd, struct widget_session_req *out,
                          struct parley_err *err)
{
    static const char *const fields[] = {"tenant", "name", "identifier", "identifier_hash", NULL};
    struct arena *a = &cmd->arena;
    const char *hash = NULL;
    int rc;
    memset(out, 0, sizeof(*out));
    if ((rc = decode_expect_kind(cmd, STORE_WIDGET_SESSION, err)) != 0 ||
        (rc = decode_object(body, NULL, fields, err)) != 0 ||
        (rc = decode_text(body, "tenant", NULL, CORE_MAX_SHORT, DECODE_REQUIRED, a, &out->tenant,
                          NULL, err)) != 0 ||
        (rc = core_check_slug("tenant", out->tenant, err)) != 0 ||
        (rc = decode_text(body, "name", NULL, CORE_MAX_NAME, DECODE_NULLABLE, a,
                          &cmd->in.widget_session.name, NULL, err)) != 0 ||
        (rc = decode_text(body, "identifier", NULL, CORE_MAX_SHORT + 1 + CORE_MAX_IDENTITY,
                          DECODE_NULLABLE, a, &out->identifier, NULL, err)) != 0 ||
        (rc = decode_text(body, "identifier_hash", NULL, HMAC_HEX_LEN, DECODE_NULLABLE, a, &hash,
                          NULL, err)) != 0)
        return rc;
    if (out->identifier == NULL) {
        if (hash != NULL)
            return parley_fail(err, PARLEY_EINVAL, "identifier_hash",
                               "identifier_hash was given without an identifier");
        return 0;
    }
    if (hash == NULL)
        return parley_fail(err, PARLEY_EINVAL, "identifier_hash",
                           "identifier_hash is required with an identifier: hex "
                           "HMAC-SHA256 of the identifier with the widget secret");
    bool hex = strlen(hash) == HMAC_HEX_LEN;
    for (size_t i = 0; hex && i < HMAC_HEX_LEN; i++) {
        char c = hash[i];
        hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
    if (!hex)
        return parley_fail(err, PARLEY_EINVAL, "identifier_hash",
                           "identifier_hash must be 64 hexadecimal characters");
    util_ascii_lower((char *)hash); /* our own arena copy */
    out->identifier_hash = hash;
    return identifier_field(out->identifier, cmd, err);
}

int decode_widget_message(json_t *body, struct store_cmd *cmd, size_t max_message_bytes,
                          struct parley_err *err)
{
    static const char *const fields[] = {"body", "conversation_id", NULL};
    struct message *m = &cmd->in.widget_message.message;
    int rc;
    if ((rc = decode_expect_kind(cmd, STORE_WIDGET_MESSAGE, err)) != 0 ||
        (rc = decode_object(body, NULL, fields, err)) != 0 ||
        (rc = body_field(body, "body", max_message_bytes, DECODE_REQUIRED, &cmd->arena, &m->body,
                         err)) != 0 ||
        (rc = decode_int(body, "conversation_id", 1, INT64_MAX, DECODE_NULLABLE,
                         &cmd->in.widget_message.conversation_id, NULL, err)) != 0)
        return rc;
    m->sender = SENDER_CUSTOMER;
    m->channel = CHANNEL_WEB;
    m->internal = false;
    return 0;
}
