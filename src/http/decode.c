/* Decoder building blocks: typed getters over a JSON object with the edge rules (unknown keys,
 * types, enums, byte limits, UTF-8), short-code checks and query integers. Pure. */
#include "decode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- enum tables: the core.h name functions, adapted to one signature ------------------ */

static const char *role_n(int v)
{
    return role_name((enum role)v);
}
static const char *status_n(int v)
{
    return conv_status_name((enum conv_status)v);
}
static const char *channel_n(int v)
{
    return channel_name((enum channel)v);
}
static const char *kind_n(int v)
{
    return identity_kind_name((enum identity_kind)v);
}
static const char *purpose_n(int v)
{
    return consent_purpose_name((enum consent_purpose)v);
}
static const char *receipt_n(int v)
{
    return receipt_kind_name((enum receipt_kind)v);
}
static const char *priority_n(int v)
{
    return priority_name((enum priority)v);
}

const struct decode_enum decode_enum_role = {role_parse, role_n, ROLE__COUNT};
const struct decode_enum decode_enum_conv_status = {conv_status_parse, status_n, CONV__COUNT};
const struct decode_enum decode_enum_channel = {channel_parse, channel_n, CHANNEL__COUNT};
const struct decode_enum decode_enum_identity_kind = {identity_kind_parse, kind_n, IDENTITY__COUNT};
const struct decode_enum decode_enum_purpose = {consent_purpose_parse, purpose_n, PURPOSE__COUNT};
const struct decode_enum decode_enum_receipt_kind = {receipt_kind_parse, receipt_n, RECEIPT__COUNT};
const struct decode_enum decode_enum_priority = {priority_parse, priority_n, PRIORITY__COUNT};

/* ---- object shape ---------------------------------------------------------------------- */

/* Bytes of s that fit in max without cutting a UTF-8 sequence: field names and messages echo
 * client keys, and a cut sequence would make the error reply itself invalid UTF-8. */
static int utf8_prefix(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max) return (int)n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80) max--;
    return (int)max;
}

int decode_object(json_t *body, const char *prefix, const char *const *allowed,
                  struct parley_err *err)
{
    if (prefix == NULL) prefix = "";
    if (!json_is_object(body)) {
        int plen = (int)strlen(prefix);
        if (plen > 0 && prefix[plen - 1] == '.') plen--;
        if (plen == 0)
            return parley_fail(err, PARLEY_EINVAL, "", "the request body must be a JSON object");
        char field[sizeof(err->field)];
        snprintf(field, sizeof(field), "%.*s", plen, prefix);
        return parley_fail(err, PARLEY_EINVAL, field, "%s must be an object", field);
    }
    const char *key;
    json_t *value;
    json_object_foreach(body, key, value)
    {
        bool known = false;
        for (const char *const *k = allowed; *k != NULL && !known; k++)
            known = strcmp(*k, key) == 0;
        if (known) continue;
        char field[sizeof(err->field)];
        int keep = utf8_prefix(key, sizeof(field) - 1 - strlen(prefix));
        snprintf(field, sizeof(field), "%s%.*s", prefix, keep, key);
        return parley_fail(err, PARLEY_EINVAL, field,
                           "unknown field \"%s\": check the spelling against the API reference",
                           field);
    }
    return 0;
}

/* ---- scalars --------------------------------------------------------------------------- */

/* One JSON value as a bounded, non-blank string copied into the arena. */
static int text_value(json_t *v, const char *field, size_t max, struct arena *a, const char **out,
                      struct parley_err *err)
{
    if (!json_is_string(v))
        return parley_fail(err, PARLEY_EINVAL, field, "%s must be a string", field);
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    int rc = core_check_text(field, s, len, max, true, err); /* also refuses blank text */
    if (rc != 0) return rc;
    char *copy = arena_strndup(a, s, len);
    if (copy == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    *out = copy;
    return 0;
}

/* Shared head of every getter: finds the value and handles absent / null. Returns 1 when the
 * caller has a value to read, 0 when done, negative on error. */
static int lookup(json_t *obj, const char *key, const char *field, unsigned flags, json_t **v,
                  bool *present, struct parley_err *err)
{
    *v = json_object_get(obj, key);
    if (present != NULL) *present = *v != NULL;
    if (*v != NULL && !json_is_null(*v)) return 1;
    if (flags & DECODE_REQUIRED)
        return parley_fail(err, PARLEY_EINVAL, field, "%s is required", field);
    if (*v != NULL && !(flags & DECODE_NULLABLE))
        return parley_fail(err, PARLEY_EINVAL, field, "%s may not be null", field);
    return 0;
}

int decode_text(json_t *obj, const char *key, const char *field, size_t max, unsigned flags,
                struct arena *a, const char **out, bool *present, struct parley_err *err)
{
    if (field == NULL) field = key;
    json_t *v;
    int rc = lookup(obj, key, field, flags, &v, present, err);
    if (rc <= 0) {
        if (rc == 0 && v != NULL) *out = NULL; /* explicit null: cleared */
        return rc;
    }
    return text_value(v, field, max, a, out, err);
}

static int int_value(json_t *v, const char *field, int64_t min, int64_t max, int64_t *out,
                     struct parley_err *err)
{
    if (!json_is_integer(v))
        return parley_fail(err, PARLEY_EINVAL, field, "%s must be an integer", field);
    json_int_t x = json_integer_value(v);
    if (x < min || x > max)
        return parley_fail(err, PARLEY_EINVAL, field, "%s must be between %lld and %lld", field,
                           (long long)min, (long long)max);
    *out = (int64_t)x;
    return 0;
}

int decode_int(json_t *obj, const char *key, int64_t min, int64_t max, unsigned flags, int64_t *out,
               bool *present, struct parley_err *err)
{
    json_t *v;
    int rc = lookup(obj, key, key, flags, &v, present, err);
    if (rc <= 0) {
        if (rc == 0 && v != NULL) *out = 0;
        return rc;
    }
    return int_value(v, key, min, max, out, err);
}

int decode_bool(json_t *obj, const char *key, unsigned flags, bool *out, bool *present,
                struct parley_err *err)
{
    json_t *v;
    int rc = lookup(obj, key, key, flags, &v, present, err);
    if (rc <= 0) {
        if (rc == 0 && v != NULL) *out = false;
        return rc;
    }
    if (!json_is_boolean(v))
        return parley_fail(err, PARLEY_EINVAL, key, "%s must be true or false", key);
    *out = json_is_true(v);
    return 0;
}

/* "a, b, c" from an enum table, for messages that tell the caller what would work. */
static void enum_names(const struct decode_enum *e, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < e->count && used < size; i++) {
        int n = snprintf(buf + used, size - used, "%s%s", i > 0 ? ", " : "", e->name(i));
        if (n < 0) break;
        used += (size_t)n;
    }
}

int decode_enum_name(const struct decode_enum *e, const char *field, const char *s, int *out,
                     struct parley_err *err)
{
    int x = s != NULL ? e->parse(s) : -1;
    if (x < 0) {
        char names[160];
        enum_names(e, names, sizeof(names));
        return parley_fail(err, PARLEY_EINVAL, field, "%s must be one of: %s", field, names);
    }
    *out = x;
    return 0;
}

static int enum_value(json_t *v, const char *field, const struct decode_enum *e, int *out,
                      struct parley_err *err)
{
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    /* a name with an embedded NUL must not match the part before it */
    if (s != NULL && strlen(s) != json_string_length(v)) s = NULL;
    return decode_enum_name(e, field, s, out, err);
}

int decode_enum(json_t *obj, const char *key, const struct decode_enum *e, unsigned flags, int *out,
                bool *present, struct parley_err *err)
{
    json_t *v;
    int rc = lookup(obj, key, key, flags, &v, present, err);
    if (rc <= 0) {
        if (rc == 0 && v != NULL) *out = -1;
        return rc;
    }
    return enum_value(v, key, e, out, err);
}

int decode_text_list(json_t *obj, const char *key, size_t max_items, size_t max_len,
                     int (*check)(const char *field, const char *s, struct parley_err *err),
                     struct arena *a, const char ***out, size_t *n, bool *present,
                     struct parley_err *err)
{
    json_t *v = json_object_get(obj, key);
    if (present != NULL) *present = v != NULL;
    if (v == NULL) return 0;
    if (!json_is_array(v))
        return parley_fail(err, PARLEY_EINVAL, key, "%s must be an array of strings", key);
    size_t count = json_array_size(v);
    if (count > max_items)
        return parley_fail(err, PARLEY_EINVAL, key, "%s may hold at most %zu items", key,
                           max_items);
    const char **items = arena_alloc(a, (count > 0 ? count : 1) * sizeof(*items));
    if (items == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    size_t kept = 0;
    for (size_t i = 0; i < count; i++) {
        char field[64];
        snprintf(field, sizeof(field), "%s[%zu]", key, i);
        const char *s;
        int rc = text_value(json_array_get(v, i), field, max_len, a, &s, err);
        if (rc == 0 && check != NULL) rc = check(field, s, err);
        if (rc != 0) return rc;
        bool dup = false;
        for (size_t k = 0; k < kept && !dup; k++) dup = strcmp(items[k], s) == 0;
        if (!dup) items[kept++] = s;
    }
    *out = items;
    *n = kept;
    return 0;
}

/* ---- short codes ------------------------------------------------------------------------- */

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int decode_check_locale(const char *field, const char *s, struct parley_err *err)
{
    /* BCP 47 in practice: a 2–8 letter language, then subtags of 1–8 letters or digits */
    size_t i = 0, run = 0;
    while (is_alpha(s[i])) i++;
    bool ok = i >= 2 && i <= 8;
    while (ok && s[i] != '\0') {
        ok = (s[i] == '-' || s[i] == '_');
        i++;
        for (run = 0; ok && (is_alpha(s[i]) || is_digit(s[i])); run++) i++;
        ok = ok && run >= 1 && run <= 8;
    }
    if (!ok || i > 35)
        return parley_fail(err, PARLEY_EINVAL, field,
                           "%s must be a language tag such as \"en\" or \"pt-BR\"", field);
    return 0;
}

int decode_check_time_zone(const char *field, const char *s, struct parley_err *err)
{
    /* IANA names: "UTC", "Europe/London", "America/Argentina/Buenos_Aires", "Etc/GMT+3" */
    bool ok = is_alpha(s[0]) && strlen(s) <= CORE_MAX_SHORT;
    for (size_t i = 0; ok && s[i] != '\0'; i++) {
        char c = s[i];
        if (c == '/')
            ok = s[i + 1] != '\0' && s[i + 1] != '/';
        else
            ok = is_alpha(c) || is_digit(c) || c == '_' || c == '-' || c == '+';
    }
    if (!ok)
        return parley_fail(err, PARLEY_EINVAL, field,
                           "%s must be an IANA time zone such as \"Europe/London\"", field);
    return 0;
}

int decode_check_skill(const char *field, const char *s, struct parley_err *err)
{
    /* name:level: a name without ':' or control characters, a level from 1 to 10 */
    const char *colon = strchr(s, ':');
    bool ok = colon != NULL && colon != s;
    for (const char *p = s; ok && p < colon; p++) ok = (unsigned char)*p >= 0x20 && *p != 0x7f;
    if (ok) {
        const char *lv = colon + 1;
        ok = strcmp(lv, "10") == 0 || (lv[0] >= '1' && lv[0] <= '9' && lv[1] == '\0');
    }
    if (!ok)
        return parley_fail(err, PARLEY_EINVAL, field,
                           "%s must be name:level such as \"billing:3\" (level 1 to 10)", field);
    return 0;
}

int decode_query_int(const char *field, const char *s, int64_t min, int64_t max, int64_t *out,
                     struct parley_err *err)
{
    bool ok = s != NULL && (is_digit(s[0]) || (s[0] == '-' && is_digit(s[1])));
    long long x = 0;
    if (ok) {
        char *end = NULL;
        errno = 0;
        x = strtoll(s, &end, 10);
        ok = errno == 0 && *end == '\0' && x >= min && x <= max;
    }
    if (!ok)
        return parley_fail(err, PARLEY_EINVAL, field, "%s must be an integer from %lld to %lld",
                           field, (long long)min, (long long)max);
    *out = (int64_t)x;
    return 0;
}

int decode_expect_kind(const struct store_cmd *cmd, enum store_cmd_kind kind,
                       struct parley_err *err)
{
    if (cmd->kind != kind)
        return parley_fail(err, PARLEY_EINTERNAL, NULL,
                           "decoder for command kind %d called with kind %d", (int)kind,
                           (int)cmd->kind);
    return 0;
}

void decode_prefix_field(struct parley_err *err, const char *prefix)
{
    if (err == NULL || err->field[0] == '\0' || prefix == NULL) return;
    char field[sizeof(err->field)];
    snprintf(field, sizeof(field), "%s%s", prefix, err->field);
    memcpy(err->field, field, sizeof(field));
}
