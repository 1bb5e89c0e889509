/* Errors as values: every fallible call returns 0 or a negative PARLEY_E* code and, when the
 * caller passes one, fills a struct parley_err with a message a person can act on and the
 * name of the offending field. The HTTP status for a code is chosen in exactly one place
 * (http_status_for_err in src/http). */
#ifndef PARLEY_ERR_H
#define PARLEY_ERR_H

#include <stddef.h>

enum {
    PARLEY_OK = 0,
    PARLEY_EINVAL = -1,    /* invalid_argument: bad input from outside (400) */
    PARLEY_ENOTFOUND = -2, /* not_found: unknown id, or another tenant's (404) */
    PARLEY_ECONFLICT = -3, /* conflict: idempotency key reused with another body, duplicate (409) */
    PARLEY_EAUTH = -4,     /* unauthenticated: missing or bad credentials (401) */
    PARLEY_EPERM = -5,     /* permission_denied: role does not allow it (403) */
    PARLEY_ETOOBIG = -6,   /* payload_too_large (413) */
    PARLEY_ENOMEM = -7,    /* out of memory (503) */
    PARLEY_EIO = -8,       /* storage or system failure (500/503) */
    PARLEY_EBUSY = -9,     /* overloaded / shutting down: retry later (503) */
    PARLEY_EINTERNAL = -10,    /* a bug: should never happen (500) */
    PARLEY_EUNSUPPORTED = -11, /* unsupported_media_type (415) */
    PARLEY_ELIMIT = -12,       /* rate or capacity limit reached (429) */
};

struct parley_err {
    int code;          /* one of PARLEY_E*, 0 when clear */
    char field[64];    /* the input field at fault, "" when none */
    char message[256]; /* for a person: what was wrong and what to do */
};

/* Sets err (when not NULL) and returns code, so callers can `return parley_fail(...)`.
 * field may be NULL. */
int parley_fail(struct parley_err *err, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

void parley_err_clear(struct parley_err *err);

/* Stable machine-readable name of a code ("invalid_argument", "not_found", …). */
const char *parley_err_code_name(int code);

#endif
