/* Error values: formatting and the code → name table. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int parley_fail(struct parley_err *err, int code, const char *field, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        err->code = code;
        snprintf(err->field, sizeof(err->field), "%s", field != NULL ? field : "");
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
    }
    return code;
}

void parley_err_clear(struct parley_err *err)
{
    if (err == NULL) return;
    err->code = 0;
    err->field[0] = '\0';
    err->message[0] = '\0';
}

static const struct {
    int code;
    const char *name;
} code_names[] = {
    {PARLEY_OK, "ok"},
    {PARLEY_EINVAL, "invalid_argument"},
    {PARLEY_ENOTFOUND, "not_found"},
    {PARLEY_ECONFLICT, "conflict"},
    {PARLEY_EAUTH, "unauthenticated"},
    {PARLEY_EPERM, "permission_denied"},
    {PARLEY_ETOOBIG, "payload_too_large"},
    {PARLEY_ENOMEM, "unavailable"},
    {PARLEY_EIO, "internal"},
    {PARLEY_EBUSY, "unavailable"},
    {PARLEY_EINTERNAL, "internal"},
    {PARLEY_EUNSUPPORTED, "unsupported_media_type"},
    {PARLEY_ELIMIT, "rate_limited"},
};

const char *parley_err_code_name(int code)
{
    for (size_t i = 0; i < sizeof(code_names) / sizeof(code_names[0]); i++)
        if (code_names[i].code == code) return code_names[i].name;
    return "internal";
}
