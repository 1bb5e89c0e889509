/* Decoders for staff sign-in, users, customers, identities and consents: JSON bodies into
 * store commands, validated and normalised at the edge. Pure. */
#include "decode.h"

#include <stdio.h>
#include <string.h>

#include "../common/password.h"
#include "../common/util.h"

#define MAX_NEEDS_ITEMS 16 /* seven needs exist; repeats are harmless but bounded */
/* Longer than any password accepted at creation (PASSWORD_MAX_LEN): such a login is simply
 * wrong (401), yet argon2id never runs on more than this many bytes. */
#define LOGIN_PASSWORD_MAX 1024

/* An email field, lower-cased and validated the way identities are, so a login matches the
 * address stored at creation whatever case the person types. */
static int email_field(json_t *body, const char *key, struct arena *a, const char **out,
                       struct parley_err *err)
{
    const char *s = NULL;
    int rc = decode_text(body, key, NULL, CORE_MAX_IDENTITY, DECODE_REQUIRED, a, &s, NULL, err);
    if (rc != 0) return rc;
    char *copy = (char *)s; /* our own arena copy */
    if ((rc = core_normalise_identity(IDENTITY_EMAIL, copy, err)) != 0) {
        snprintf(err->field, sizeof(err->field), "%s", key); /* core names it "value" */
        return rc;
    }
    *out = copy;
    return 0;
}

int decode_login(json_t *body, struct login_req *out, struct arena *a, struct parley_err *err)
{
    static const char *const fields[] = {"tenant", "email", "password", NULL};
    const char *email = NULL;
    int rc;
    memset(out, 0, sizeof(*out));
    if ((rc = decode_object(body, NULL, fields, err)) != 0 ||
        (rc = decode_text(body, "tenant", NULL, CORE_MAX_SHORT, DECODE_REQUIRED, a, &out->tenant,
                          NULL, err)) != 0 ||
        (rc = decode_text(body, "email", NULL, CORE_MAX_IDENTITY, DECODE_REQUIRED, a, &email, NULL,
                          err)) != 0 ||
        (rc = decode_text(body, "password", NULL, LOGIN_PASSWORD_MAX, DECODE_REQUIRED, a,
                          &out->password, NULL, err)) != 0)
        return rc;
    /* Normalised like a stored address when it is one; a malformed address cannot match any
     * user, and saying so separately would break "one 401 for every wrong credential". */
    char *copy = (char *)email; /* our own arena copy */
    if (core_normalise_identity(IDENTITY_EMAIL, copy, NULL) != 0) util_ascii_lower(copy);
    out->email = copy;
    return 0;
}

int decode_user_create(json_t *body, struct store_cmd *cmd, const char **password,
                       struct parley_err *err)
{
    static const char *const fields[] = {"email",  "name",      "role", "password",
                                         "skills", "languages", "team", NULL};
    struct user *u = &cmd->in.create_user.user;
    struct arena *a = &cmd->arena;
    const char *pw = NULL;
    int role = -1, rc;
    if ((rc = decode_expect_kind(cmd, STORE_CREATE_USER, err)) != 0 ||
        (rc = decode_object(body, NULL, fields, err)) != 0 ||
        (rc = email_field(body, "email", a, &u->email, err)) != 0 ||
        (rc = decode_text(body, "name", NULL, CORE_MAX_NAME, DECODE_REQUIRED, a, &u->name, NULL,
                          err)) != 0 ||
        (rc = decode_enum(body, "role", &decode_enum_role, DECODE_REQUIRED, &role, NULL, err)) !=
            0 ||
        (rc = decode_text(body, "password", NULL, PASSWORD_MAX_LEN, DECODE_REQUIRED, a, &pw, NULL,
                          err)) != 0 ||
        (rc = decode_text_list(body, "skills", CORE_MAX_LIST, CORE_MAX_SHORT, decode_check_skill, a,
                               &u->skills, &u->n_skills, NULL, err)) != 0 ||
        (rc =
             decode_text_list(body, "languages", CORE_MAX_LIST, CORE_MAX_SHORT, decode_check_locale,
                              a, &u->languages, &u->n_languages, NULL, err)) != 0 ||
        (rc = decode_text(body, "team", NULL, CORE_MAX_SHORT, DECODE_NULLABLE, a, &u->team, NULL,
                          err)) != 0)
        return rc;
    if (util_utf8_length(pw, strlen(pw)) < PASSWORD_MIN_LEN)
        return parley_fail(err, PARLEY_EINVAL, "password",
                           "password must be at least %d characters", PASSWORD_MIN_LEN);
    if (u->team != NULL && (rc = core_check_slug("team", u->team, err)) != 0) return rc;
    u->role = (enum role)role;
    u->active = true;
    *password = pw;
    return 0;
}

/* needs: ["hearing", …] → bit set. */
static int needs_field(json_t *body, unsigned *needs, bool *present, struct parley_err *err)
{
    json_t *v = json_object_get(body, "needs");
    *present = v != NULL;
    if (v == NULL) return 0;
    if (!json_is_array(v))
        return parley_fail(err, PARLEY_EINVAL, "needs", "needs must be an array of need names");
    if (json_array_size(v) > MAX_NEEDS_ITEMS)
        return parley_fail(err, PARLEY_EINVAL, "needs", "needs may hold at most %d items",
                           MAX_NEEDS_ITEMS);
    unsigned bits = 0;
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *item = json_array_get(v, i);
        unsigned bit = 0;
        if (json_is_string(item) && strlen(json_string_value(item)) == json_string_length(item))
            bit = need_parse(json_string_value(item));
        if (bit == 0) {
            const char *names[8];
            size_t n = need_names(NEED__ALL, names, 8);
            char list[160] = "";
            for (size_t k = 0, used = 0; k < n && used < sizeof(list); k++) {
                int w = snprintf(list + used, sizeof(list) - used, "%s%s", k ? ", " : "", names[k]);
                if (w < 0) break;
                used += (size_t)w;
            }
            char field[32];
            snprintf(field, sizeof(field), "needs[%zu]", i);
            return parley_fail(err, PARLEY_EINVAL, field, "%s must be one of: %s", field, list);
        }
        bits |= bit;
    }
    *needs = bits;
    return 0;
}

/* The fields customer create and update share; *set collects what the body named. */
static int customer_fields(json_t *body, struct customer *c, unsigned *set, struct arena *a,
                           struct parley_err *err)
{
    bool p[7] = {false};
    int channel = c->preferred_channel, rc;
    if ((rc = decode_text(body, "name", NULL, CORE_MAX_NAME, 0, a, &c->name, &p[0], err)) != 0 ||
        (rc = decode_text(body, "locale", NULL, CORE_MAX_SHORT, 0, a, &c->locale, &p[1], err)) !=
            0 ||
        (rc = decode_text(body, "time_zone", NULL, CORE_MAX_SHORT, 0, a, &c->time_zone, &p[2],
                          err)) != 0 ||
        (rc = decode_enum(body, "preferred_channel", &decode_enum_channel, DECODE_NULLABLE,
                          &channel, &p[3], err)) != 0 ||
        (rc = needs_field(body, &c->needs, &p[4], err)) != 0 ||
        (rc = decode_text(body, "needs_note", NULL, CORE_MAX_NOTE, DECODE_NULLABLE, a,
                          &c->needs_note, &p[5], err)) != 0 ||
        (rc = decode_bool(body, "prefers_person", 0, &c->prefers_person, &p[6], err)) != 0)
        return rc;
    if (c->locale != NULL && (rc = decode_check_locale("locale", c->locale, err)) != 0) return rc;
    if (c->time_zone != NULL && (rc = decode_check_time_zone("time_zone", c->time_zone, err)) != 0)
        return rc;
    c->preferred_channel = channel;
    static const unsigned bits[7] = {
        SET_NAME,  SET_LOCALE,     SET_TIME_ZONE,     SET_PREFERRED_CHANNEL,
        SET_NEEDS, SET_NEEDS_NOTE, SET_PREFERS_PERSON};
    for (int i = 0; i < 7; i++)
        if (p[i]) *set |= bits[i];
    return 0;
}

/* {"kind","value"} → identity with its value normalised; prefix names it in errors. */
static int identity_fields(json_t *obj, const char *prefix, struct identity *id, struct arena *a,
                           struct parley_err *err)
{
    static const char *const fields[] = {"kind", "value", NULL};
    const char *value = NULL;
    int kind = -1;
    int rc = decode_object(obj, prefix, fields, err);
    if (rc != 0) return rc;
    if ((rc = decode_enum(obj, "kind", &decode_enum_identity_kind, DECODE_REQUIRED, &kind, NULL,
                          err)) != 0 ||
        (rc = decode_text(obj, "value", NULL, CORE_MAX_IDENTITY, DECODE_REQUIRED, a, &value, NULL,
                          err)) != 0) {
        decode_prefix_field(err, prefix);
        return rc;
    }
    char *copy = (char *)value; /* our own arena copy, normalised in place */
    if ((rc = core_normalise_identity((enum identity_kind)kind, copy, err)) != 0) {
        char field[sizeof(err->field)];
        snprintf(field, sizeof(field), "%svalue", prefix);
        memcpy(err->field, field, sizeof(field));
        return rc;
    }
    id->kind = (enum identity_kind)kind;
    id->value = copy;
    return 0;
}

static int identities_field(json_t *body, struct store_cmd *cmd, struct parley_err *err)
{
    json_t *v = json_object_get(body, "identities");
    if (v == NULL) return 0;
    if (!json_is_array(v))
        return parley_fail(err, PARLEY_EINVAL, "identities",
                           "identities must be an array of {\"kind\",\"value\"} objects");
    size_t n = json_array_size(v);
    if (n > CORE_MAX_LIST)
        return parley_fail(err, PARLEY_EINVAL, "identities", "identities may hold at most %d items",
                           CORE_MAX_LIST);
    struct identity *ids = arena_alloc(&cmd->arena, (n > 0 ? n : 1) * sizeof(*ids));
    if (ids == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        char prefix[32];
        snprintf(prefix, sizeof(prefix), "identities[%zu].", i);
        int rc = identity_fields(json_array_get(v, i), prefix, &ids[i], &cmd->arena, err);
        if (rc != 0) return rc;
        for (size_t k = 0; k < i; k++)
            if (ids[k].kind == ids[i].kind && strcmp(ids[k].value, ids[i].value) == 0) {
                snprintf(prefix, sizeof(prefix), "identities[%zu]", i);
                return parley_fail(err, PARLEY_EINVAL, prefix, "%s repeats identities[%zu]", prefix,
                                   k);
            }
    }
    cmd->in.create_customer.identities = ids;
    cmd->in.create_customer.n_identities = n;
    return 0;
}

static const char *const customer_keys[] = {
    "name",           "locale",     "time_zone", "preferred_channel", "needs", "needs_note",
    "prefers_person", "identities", NULL};

int decode_customer_create(json_t *body, struct store_cmd *cmd, struct parley_err *err)
{
    struct customer *c = &cmd->in.create_customer.customer;
    unsigned set = 0;
    int rc;
    if ((rc = decode_expect_kind(cmd, STORE_CREATE_CUSTOMER, err)) != 0) return rc;
    c->preferred_channel = -1;
    if ((rc = decode_object(body, NULL, customer_keys, err)) != 0 ||
        (rc = customer_fields(body, c, &set, &cmd->arena, err)) != 0 ||
        (rc = identities_field(body, cmd, err)) != 0)
        return rc;
    if (c->name == NULL && cmd->in.create_customer.n_identities == 0)
        return parley_fail(err, PARLEY_EINVAL, "name",
                           "a customer needs a name or at least one identity");
    return 0;
}

int decode_customer_update(json_t *body, struct store_cmd *cmd, struct parley_err *err)
{
    struct customer *c = &cmd->in.update_customer.customer;
    int rc;
    if ((rc = decode_expect_kind(cmd, STORE_UPDATE_CUSTOMER, err)) != 0) return rc;
    c->preferred_channel = -1;
    cmd->in.update_customer.set = 0;
    if ((rc = decode_object(body, NULL, customer_keys, err)) != 0) return rc;
    if (json_object_get(body, "identities") != NULL)
        return parley_fail(err, PARLEY_EINVAL, "identities",
                           "identities cannot be changed here: POST "
                           "/api/v1/customers/{id}/identities adds one");
    if ((rc = customer_fields(body, c, &cmd->in.update_customer.set, &cmd->arena, err)) != 0)
        return rc;
    if (cmd->in.update_customer.set == 0)
        return parley_fail(err, PARLEY_EINVAL, "", "nothing to update: name at least one field");
    return 0;
}

int decode_identity_add(json_t *body, struct store_cmd *cmd, struct parley_err *err)
{
    int rc = decode_expect_kind(cmd, STORE_ADD_IDENTITY, err);
    if (rc != 0) return rc;
    return identity_fields(body, "", &cmd->in.add_identity, &cmd->arena, err);
}

int decode_consent_set(json_t *body, struct store_cmd *cmd, struct parley_err *err)
{
    static const char *const fields[] = {"purpose", "channel", "granted", "source", NULL};
    struct consent *c = &cmd->in.set_consent;
    int purpose = -1, channel = -1, rc;
    if ((rc = decode_expect_kind(cmd, STORE_SET_CONSENT, err)) != 0 ||
        (rc = decode_object(body, NULL, fields, err)) != 0 ||
        (rc = decode_enum(body, "purpose", &decode_enum_purpose, DECODE_REQUIRED, &purpose, NULL,
                          err)) != 0 ||
        (rc = decode_enum(body, "channel", &decode_enum_channel, DECODE_REQUIRED, &channel, NULL,
                          err)) != 0 ||
        (rc = decode_bool(body, "granted", DECODE_REQUIRED, &c->granted, NULL, err)) != 0 ||
        (rc = decode_text(body, "source", NULL, CORE_MAX_SHORT, 0, &cmd->arena, &c->source, NULL,
                          err)) != 0)
        return rc;
    c->purpose = (enum consent_purpose)purpose;
    c->channel = (enum channel)channel;
    return 0;
}
