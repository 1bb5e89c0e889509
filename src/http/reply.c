/* Replies and request helpers for handlers: the one place an error code becomes an HTTP
 * status, the error JSON, JSON bodies, query strings and pagination. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/util.h"
#include "../core/core_json.h"
#include "server_int.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX     200

/* ---- status ---------------------------------------------------------------------------------- */

int http_status_for_err(int code)
{
    switch (code) {
    case PARLEY_OK:
        return 200;
    case PARLEY_EINVAL:
        return 400;
    case PARLEY_EAUTH:
        return 401;
    case PARLEY_EPERM:
        return 403;
    case PARLEY_ENOTFOUND:
        return 404;
    case HTTP_EMETHOD:
        return 405;
    case PARLEY_ECONFLICT:
        return 409;
    case PARLEY_ETOOBIG:
        return 413;
    case PARLEY_EUNSUPPORTED:
        return 415;
    case PARLEY_ELIMIT:
        return 429;
    case PARLEY_ENOMEM:
        return 503;
    case PARLEY_EBUSY:
        return 503;
    case PARLEY_EIO:
        return 500;
    default:
        return 500; /* PARLEY_EINTERNAL and anything unknown: a bug */
    }
}

static const char *code_name(int code)
{
    return code == HTTP_EMETHOD ? "method_not_allowed" : parley_err_code_name(code);
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return status < 400 ? "OK" : "Error";
    }
}

/* ---- sending --------------------------------------------------------------------------------- */

void http_add_header(struct http_req *hr, const char *name, const char *value)
{
    h2o_req_t *req = hr->req;
    if (req == NULL) return;
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 1, NULL, value,
                          strlen(value));
}

static void log_access(struct http_req *hr, int status)
{
    /* path only: query strings may carry search terms (names, emails) */
    long long us = (long long)((util_mono_ns() - hr->started_ns) / 1000);
    enum log_level level = status >= 500 ? LOG_WARN : LOG_DEBUG;
    log_msg(level, "http", "method=%s path=%s status=%d us=%lld", hr->api.method, hr->api.path,
            status, us);
}

void http_send(struct http_req *hr, int status, const char *content_type, const char *body,
               size_t len, bool is_static)
{
    if (hr->replied || hr->streaming) {
        log_msg(LOG_ERROR, "http", "event=double_reply method=%s path=%s status=%d", hr->api.method,
                hr->api.path, status);
        return;
    }
    hr->replied = true;
    log_access(hr, status);
    h2o_req_t *req = hr->req;
    if (req == NULL) return; /* the client is gone; nothing to send to */
    req->res.status = status;
    req->res.reason = reason_phrase(status);
    if (content_type != NULL)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type,
                       strlen(content_type));
    static h2o_generator_t oneshot = {NULL, NULL}; /* final at once: never asked to proceed */
    bool head = req->method.len == 4 && memcmp(req->method.base, "HEAD", 4) == 0;
    if (status == 204) {
        h2o_start_response(req, &oneshot);
        h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
    } else {
        /* An explicit length keeps HTTP/1.1 connections alive (no chunking, no close). */
        h2o_iovec_t buf = h2o_iovec_init(body, len);
        if (!is_static && len > 0) {
            buf.base = h2o_mem_alloc_pool(&req->pool, len);
            memcpy(buf.base, body, len);
        }
        req->res.content_length = len;
        h2o_start_response(req, &oneshot);
        h2o_send(req, &buf, head || len == 0 ? 0 : 1, H2O_SEND_STATE_FINAL);
    }
}

static void send_json_text(struct http_req *hr, int status, const char *json, size_t len,
                           bool replayed)
{
    http_add_header(hr, "cache-control", "no-store");
    if (replayed) http_add_header(hr, "idempotent-replayed", "true");
    http_send(hr, status, "application/json", json, len, false);
}

void api_reply_raw(struct api_req *r, int status, const char *json, size_t len, bool replayed)
{
    send_json_text(http_req_of(r), status, json, len, replayed);
}

void api_reply_json(struct api_req *r, int status, json_t *body)
{
    struct http_req *hr = http_req_of(r);
    char *text = (body != NULL && hr->req != NULL) ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (text == NULL && hr->req != NULL) {
        api_fail(r, PARLEY_ENOMEM, NULL, "out of memory building the reply");
        return;
    }
    send_json_text(hr, status, text != NULL ? text : "", text != NULL ? strlen(text) : 0, false);
    free(text);
}

void api_reply_empty(struct api_req *r)
{
    struct http_req *hr = http_req_of(r);
    http_add_header(hr, "cache-control", "no-store");
    http_send(hr, 204, NULL, NULL, 0, false);
}

/* jansson refuses invalid UTF-8; messages may echo input, so fall back to ASCII. */
static json_t *safe_string(const char *s)
{
    json_t *j = json_string(s);
    if (j != NULL) return j;
    char buf[256];
    size_t i = 0;
    for (; i < sizeof(buf) - 1 && s[i] != '\0'; i++)
        buf[i] = ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) ? '?' : s[i];
    buf[i] = '\0';
    return json_string(buf);
}

void api_reply_error(struct api_req *r, const struct parley_err *err)
{
    int code = err != NULL && err->code != 0 ? err->code : PARLEY_EINTERNAL;
    int status = http_status_for_err(code);
    const char *message = err != NULL && err->message[0] != '\0' ? err->message : code_name(code);
    const char *field = err != NULL ? err->field : "";
    if (status >= 500)
        log_msg(LOG_WARN, "http", "event=error_reply code=%s method=%s path=%s", code_name(code),
                r->method, r->path);
    json_t *body = json_pack("{s:{s:s,s:o,s:o}}", "error", "code", code_name(code), "message",
                             safe_string(message), "field", safe_string(field));
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (text == NULL) {
        static const char oom[] = "{\"error\":{\"code\":\"unavailable\",\"message\":\"out of "
                                  "memory\",\"field\":\"\"}}";
        send_json_text(http_req_of(r), 503, oom, sizeof(oom) - 1, false);
        return;
    }
    send_json_text(http_req_of(r), status, text, strlen(text), false);
    free(text);
}

void api_fail(struct api_req *r, int code, const char *field, const char *fmt, ...)
{
    struct parley_err err;
    va_list ap;
    err.code = code;
    snprintf(err.field, sizeof(err.field), "%s", field != NULL ? field : "");
    va_start(ap, fmt);
    vsnprintf(err.message, sizeof(err.message), fmt, ap);
    va_end(ap);
    api_reply_error(r, &err);
}

void api_reply_list(struct api_req *r, json_t *data, int64_t next)
{
    json_t *cursor = json_null();
    if (next != 0) {
        char buf[24];
        snprintf(buf, sizeof(buf), "%lld", (long long)next);
        cursor = json_string(buf);
    }
    api_reply_json(r, 200, json_pack("{s:o,s:o}", "data", data, "next_cursor", cursor));
}

/* ---- request bodies -------------------------------------------------------------------------- */

json_t *api_body_object(struct api_req *r)
{
    if (r->body_len == 0) {
        api_fail(r, PARLEY_EINVAL, "body", "a JSON object body is required");
        return NULL;
    }
    if (r->body_len > (size_t)r->cfg->max_body_bytes) {
        api_fail(r, PARLEY_ETOOBIG, "body", "the body is %zu bytes; the limit is %lld", r->body_len,
                 (long long)r->cfg->max_body_bytes);
        return NULL;
    }
    if (!util_utf8_valid(r->body, r->body_len)) {
        api_fail(r, PARLEY_EINVAL, "body", "the body is not valid UTF-8");
        return NULL;
    }
    json_error_t jerr;
    json_t *j = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (j == NULL) {
        api_fail(r, PARLEY_EINVAL, "body", "invalid JSON at line %d column %d: %s", jerr.line,
                 jerr.column, jerr.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        api_fail(r, PARLEY_EINVAL, "body", "the body must be a JSON object");
        return NULL;
    }
    return j;
}

/* ---- query strings --------------------------------------------------------------------------- */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* URL-decodes s[0..n) into out (room for n + 1); '+' is a space. Returns the decoded length,
 * or -1 on a broken %-escape. */
static long url_decode(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (n - i < 3) return -1;
            int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0) return -1;
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    out[o] = '\0';
    return (long)o;
}

/* Walks "k=v&k2=v2"; calls fn for each parameter with the raw key and value. Stops when fn
 * returns non-zero and returns that. */
static int query_each(const char *q,
                      int (*fn)(void *ud, const char *k, size_t kl, const char *v, size_t vl),
                      void *ud)
{
    while (*q != '\0') {
        const char *amp = strchr(q, '&');
        size_t len = amp != NULL ? (size_t)(amp - q) : strlen(q);
        if (len > 0) {
            const char *eq = memchr(q, '=', len);
            size_t kl = eq != NULL ? (size_t)(eq - q) : len;
            const char *v = eq != NULL ? eq + 1 : q + len;
            size_t vl = eq != NULL ? len - kl - 1 : 0;
            int rc = fn(ud, q, kl, v, vl);
            if (rc != 0) return rc;
        }
        if (amp == NULL) break;
        q = amp + 1;
    }
    return 0;
}

static int validate_param(void *ud, const char *k, size_t kl, const char *v, size_t vl)
{
    struct parley_err *err = ud;
    size_t cap = (kl > vl ? kl : vl) + 1;
    char small[256];
    char *buf = cap <= sizeof(small) ? small : malloc(cap);
    if (buf == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    int rc = 0;
    long n = url_decode(k, kl, buf);
    if (n < 0 || !util_utf8_valid(buf, (size_t)n)) {
        rc = parley_fail(err, PARLEY_EINVAL, "query",
                         "a query parameter name is not valid "
                         "percent-encoded UTF-8");
    } else {
        char field[64];
        snprintf(field, sizeof(field), "%.63s", buf);
        n = url_decode(v, vl, buf);
        if (n < 0 || !util_utf8_valid(buf, (size_t)n))
            rc = parley_fail(err, PARLEY_EINVAL, field,
                             "query parameter %s is not valid percent-encoded UTF-8", field);
    }
    if (buf != small) free(buf);
    return rc;
}

int http_query_validate(const char *query, struct parley_err *err)
{
    return query_each(query, validate_param, err);
}

struct query_find {
    const char *name;
    const char *raw;
    size_t raw_len;
    bool found;
};

static int find_param(void *ud, const char *k, size_t kl, const char *v, size_t vl)
{
    struct query_find *f = ud;
    char key[128];
    if (kl >= sizeof(key) || url_decode(k, kl, key) < 0 || strcmp(key, f->name) != 0) return 0;
    f->raw = v;
    f->raw_len = vl;
    f->found = true;
    return 1; /* the first occurrence wins */
}

const char *api_query(struct api_req *r, const char *name)
{
    struct query_find f = {.name = name};
    query_each(r->query, find_param, &f);
    if (!f.found) return NULL;
    char *out = arena_alloc(&r->arena, f.raw_len + 1);
    if (out == NULL || url_decode(f.raw, f.raw_len, out) < 0) return NULL;
    return out;
}

/* Strict non-negative decimal: digits only, at most max_digits, no overflow. */
static bool parse_decimal(const char *s, int max_digits, int64_t *out)
{
    int64_t v = 0;
    int n = 0;
    if (s == NULL || *s == '\0') return false;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || ++n > max_digits) return false;
        int d = *s - '0';
        if (v > (INT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

int api_page(struct api_req *r, struct store_page *page)
{
    const char *limit = api_query(r, "limit");
    const char *cursor = api_query(r, "cursor");
    int64_t v = PAGE_DEFAULT;
    if (limit != NULL && (!parse_decimal(limit, 3, &v) || v < 1 || v > PAGE_MAX)) {
        api_fail(r, PARLEY_EINVAL, "limit", "limit must be an integer from 1 to %d", PAGE_MAX);
        return -1;
    }
    page->limit = (int)v;
    page->after = 0;
    /* Cursors are the decimal form of the store's int64 position; clients treat them as
     * opaque strings (docs/internals/http.md). */
    if (cursor != NULL && cursor[0] != '\0' && !parse_decimal(cursor, 19, &page->after)) {
        api_fail(r, PARLEY_EINVAL, "cursor",
                 "cursor must be a next_cursor value from an "
                 "earlier page");
        return -1;
    }
    return 0;
}

struct json_view api_view(const struct api_req *r)
{
    struct json_view v;
    v.customer_self = r->who.kind == PRINCIPAL_CUSTOMER;
    v.role = r->who.kind == PRINCIPAL_USER ? r->who.role : ROLE_EXPERT;
    return v;
}
