/* Pure validation and normalisation of domain input: identity values (emails, E.164 phones),
 * free-text fields and slugs. Every failure names the field and says what would be accepted. */
#include "core.h"
#include "../common/util.h"

#include <string.h>

#define EMAIL_LOCAL_MAX  64 /* RFC 5321 limits */
#define EMAIL_DOMAIN_MAX 255
#define PHONE_MIN_DIGITS 8  /* shortest national numbers plus a country code */
#define PHONE_MAX_DIGITS 15 /* E.164 maximum */

static bool is_ascii_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Control characters (C0 and DEL) never belong in an identifier. */
static bool has_control(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) return true;
    }
    return false;
}

static int check_email(char *v, struct parley_err *err)
{
    util_ascii_lower(v);
    const char *at = strchr(v, '@');
    if (at == NULL || strchr(at + 1, '@') != NULL)
        return parley_fail(err, PARLEY_EINVAL, "value",
                           "an email address needs exactly one '@', like name@example.com");
    size_t local = (size_t)(at - v), domain = strlen(at + 1);
    if (local == 0 || local > EMAIL_LOCAL_MAX)
        return parley_fail(err, PARLEY_EINVAL, "value",
                           "the part of the email before '@' must be 1 to %d characters",
                           EMAIL_LOCAL_MAX);
    if (domain == 0 || domain > EMAIL_DOMAIN_MAX)
        return parley_fail(err, PARLEY_EINVAL, "value",
                           "the email domain after '@' must be 1 to %d characters",
                           EMAIL_DOMAIN_MAX);
    for (const char *p = v; p < at; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7f || strchr("\"(),:;<>[\\]", c) != NULL)
            return parley_fail(err, PARLEY_EINVAL, "value",
                               "the email address contains a character that is not allowed "
                               "(spaces, quotes and brackets are not accepted)");
    }
    /* Domain: dot-separated labels of letters, digits and hyphens, at least one dot. */
    const char *d = at + 1;
    size_t label = 0;
    bool dot = false;
    for (const char *p = d; *p; p++) {
        if (*p == '.') {
            if (label == 0) break;
            dot = true;
            label = 0;
        } else if (is_ascii_alnum(*p) || *p == '-') {
            label++;
        } else {
            return parley_fail(err, PARLEY_EINVAL, "value",
                               "the email domain may only contain letters, digits, '-' and '.'");
        }
    }
    if (!dot || label == 0 || d[0] == '.')
        return parley_fail(err, PARLEY_EINVAL, "value",
                           "the email domain must look like example.com (no empty parts)");
    return 0;
}

/* E.164: '+' then 8–15 digits; spaces, dashes, dots and brackets typed by people are dropped,
 * and an international "00" prefix becomes '+'. */
static int check_phone(char *v, struct parley_err *err)
{
    char *w = v;
    const char *r = v;
    bool plus = false;
    size_t digits = 0;
    while (*r == ' ') r++;
    if (r[0] == '+') {
        plus = true;
        r++;
    } else if (r[0] == '0' && r[1] == '0') {
        plus = true;
        r += 2;
    }
    if (!plus)
        return parley_fail(err, PARLEY_EINVAL, "value",
                           "a phone number must be international, starting with '+' and the "
                           "country code (E.164), like +44 20 7946 0958");
    *w++ = '+'; /* w never passes r: at least one prefix character was consumed */
    for (; *r; r++) {
        if (*r >= '0' && *r <= '9') {
            *w++ = *r;
            digits++;
        } else if (strchr(" -.()", *r) == NULL) {
            return parley_fail(err, PARLEY_EINVAL, "value",
                               "a phone number may only contain digits, spaces, '-', '.' and "
                               "brackets after the leading '+'");
        }
        if (digits > PHONE_MAX_DIGITS) break;
    }
    *w = '\0';
    if (digits < PHONE_MIN_DIGITS || digits > PHONE_MAX_DIGITS)
        return parley_fail(err, PARLEY_EINVAL, "value",
                           "a phone number must have %d to %d digits after '+'", PHONE_MIN_DIGITS,
                           PHONE_MAX_DIGITS);
    return 0;
}

int core_normalise_identity(enum identity_kind kind, char *value, struct parley_err *err)
{
    if (value == NULL || value[0] == '\0')
        return parley_fail(err, PARLEY_EINVAL, "value", "the identity value is required");
    size_t len = strlen(value);
    if (len > CORE_MAX_IDENTITY)
        return parley_fail(err, PARLEY_EINVAL, "value",
                           "the identity value is %zu bytes; at most %d are accepted", len,
                           CORE_MAX_IDENTITY);
    if (!util_utf8_valid(value, len) || has_control(value, len))
        return parley_fail(err, PARLEY_EINVAL, "value",
                           "the identity value must be printable UTF-8 text");
    switch (kind) {
    case IDENTITY_EMAIL:
        return check_email(value, err);
    case IDENTITY_PHONE:
        return check_phone(value, err);
    case IDENTITY_WEB_VISITOR:
    case IDENTITY_WHATSAPP:
    case IDENTITY_DEVICE:
    case IDENTITY_EXTERNAL:
        /* Opaque identifiers: compared exactly, so stray outer spaces would split a customer. */
        if (value[0] == ' ' || value[len - 1] == ' ')
            return parley_fail(err, PARLEY_EINVAL, "value",
                               "the identity value must not start or end with a space");
        return 0;
    default:
        return parley_fail(err, PARLEY_EINVAL, "kind",
                           "unknown identity kind; use email, phone, web_visitor, whatsapp, "
                           "device or external");
    }
}

int core_check_text(const char *field, const char *s, size_t len, size_t max, bool required,
                    struct parley_err *err)
{
    if (s == NULL || len == 0) {
        if (required) return parley_fail(err, PARLEY_EINVAL, field, "%s is required", field);
        return 0;
    }
    if (len > max)
        return parley_fail(err, PARLEY_EINVAL, field, "%s is %zu bytes; at most %zu are accepted",
                           field, len, max);
    if (!util_utf8_valid(s, len))
        return parley_fail(err, PARLEY_EINVAL, field,
                           "%s must be valid UTF-8 text without NUL characters", field);
    if (required) {
        size_t i = 0;
        while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
        if (i == len) return parley_fail(err, PARLEY_EINVAL, field, "%s must not be blank", field);
    }
    return 0;
}

int core_check_slug(const char *field, const char *s, struct parley_err *err)
{
    size_t len = s != NULL ? strlen(s) : 0;
    bool ok = len >= 2 && len <= 32 && s[0] >= 'a' && s[0] <= 'z';
    for (size_t i = 0; ok && i < len; i++)
        ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-';
    if (!ok)
        return parley_fail(err, PARLEY_EINVAL, field,
                           "%s must be 2 to 32 characters of a-z, 0-9 and '-', starting with a "
                           "letter (like \"acme\")",
                           field);
    return 0;
}
