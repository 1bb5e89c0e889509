/* Request plumbing: the lifetime of a struct api_req, route matching against api_routes,
 * authentication (staff bearer tokens, visitor tokens with a per-thread tenant key cache),
 * role, size, media-type and header checks, then the handler. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/log.h"
#include "../common/util.h"
#include "server_int.h"
#include "visitor_token.h"

#define MAX_BEARER_LEN       512
#define MAX_IDEMPOTENCY_KEY  128
#define MAX_LAST_EVENT_ID    32
#define MAX_ID               ((int64_t)1 << 53) /* ids stay exact in JavaScript numbers */
#define TENANT_CACHE_BUCKETS 256
#define TENANT_CACHE_MAX     4096
#define TENANT_CACHE_TTL_MS  60000 /* a rotated token_key takes effect within a minute */

/* ---- request lifetime ------------------------------------------------------------------------ */

void http_req_release(struct http_req *hr)
{
    if (--hr->refs != 0) return;
    arena_free(&hr->api.arena);
    free(hr);
}

/* h2o clears the request's pool when it is done with the request, for whatever reason
 * (response sent, client gone, connection closed). The sentinel's dispose callback is our
 * only notice, so it drops h2o's reference and makes every later reply a no-op. */
static void on_pool_sentinel(void *p)
{
    struct http_req *hr = *(struct http_req **)p;
    if (hr == NULL) return;
    hr->req = NULL;
    hr->sentinel = NULL;
    http_req_release(hr);
}

void http_req_detach(struct http_req *hr)
{
    if (hr->sentinel == NULL) return;
    *hr->sentinel = NULL;
    hr->sentinel = NULL;
    hr->req = NULL;
    http_req_release(hr);
}

static struct http_req *req_new(struct http_thread *t, h2o_req_t *req)
{
    struct http_req *hr = calloc(1, sizeof(*hr));
    if (hr == NULL) return NULL;
    struct api_req *r = &hr->api;
    arena_init(&r->arena);
    size_t path_len = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    r->method = arena_strndup(&r->arena, req->method.base, req->method.len);
    r->path = arena_strndup(&r->arena, req->path.base, path_len);
    r->query = req->query_at != SIZE_MAX ? arena_strndup(&r->arena, req->path.base + path_len + 1,
                                                         req->path.len - path_len - 1)
                                         : "";
    if (r->method == NULL || r->path == NULL || r->query == NULL) {
        arena_free(&r->arena);
        free(hr);
        return NULL;
    }
    r->thread = t;
    r->cfg = t->srv->cfg;
    r->store = t->srv->store;
    r->reader = t->reader;
    r->bot = t->srv->bot;
    r->route = t->srv->route;
    r->body = req->entity.base;
    r->body_len = req->entity.base != NULL ? req->entity.len : 0;
    r->opaque = hr;
    hr->req = req;
    hr->refs = 1;
    hr->started_ns = util_mono_ns();
    hr->sentinel = h2o_mem_alloc_shared(&req->pool, sizeof(*hr->sentinel), on_pool_sentinel);
    *hr->sentinel = hr;
    return hr;
}

/* ---- headers --------------------------------------------------------------------------------- */

static bool header(struct http_req *hr, const char *name, size_t len, h2o_iovec_t *out)
{
    ssize_t i = h2o_find_header_by_str(&hr->req->headers, name, len, -1);
    if (i < 0) return false;
    *out = hr->req->headers.entries[i].value;
    return true;
}

static bool printable_ascii(const char *s, size_t n, bool allow_space)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < (allow_space ? 0x20 : 0x21) || c > 0x7e) return false;
    }
    return true;
}

/* "Bearer <token>" (scheme case-insensitive). */
static bool bearer_token(struct http_req *hr, h2o_iovec_t *token)
{
    h2o_iovec_t v;
    if (!header(hr, H2O_STRLIT("authorization"), &v)) return false;
    if (v.len < 7 || strncasecmp(v.base, "bearer ", 7) != 0) return false;
    size_t i = 7;
    while (i < v.len && v.base[i] == ' ') i++;
    token->base = v.base + i;
    token->len = v.len - i;
    return token->len > 0 && token->len <= MAX_BEARER_LEN &&
           printable_ascii(token->base, token->len, false);
}

static void fail_unauthenticated(struct http_req *hr, const char *message)
{
    http_add_header(hr, "www-authenticate", "Bearer");
    api_fail(&hr->api, PARLEY_EAUTH, "Authorization", "%s", message);
}

/* application/json, optionally with parameters; a charset other than UTF-8 is refused. */
static bool json_media_type(h2o_iovec_t v)
{
    char buf[128];
    size_t n = v.len < sizeof(buf) - 1 ? v.len : sizeof(buf) - 1;
    memcpy(buf, v.base, n);
    buf[n] = '\0';
    util_ascii_lower(buf);
    char *p = buf;
    while (*p == ' ') p++;
    if (strncmp(p, "application/json", 16) != 0) return false;
    p += 16;
    while (*p == ' ') p++;
    if (*p == '\0') return true;
    if (*p != ';') return false;
    const char *cs = strstr(p, "charset=");
    if (cs == NULL) return true;
    cs += 8;
    if (*cs == '"') cs++;
    return strncmp(cs, "utf-8", 5) == 0 &&
           (cs[5] == '\0' || cs[5] == '"' || cs[5] == ';' || cs[5] == ' ');
}

/* ---- tenant key cache (visitor tokens) ------------------------------------------------------- */

struct tenant_entry {
    struct tenant_entry *next;
    int64_t id;
    int64_t fetched_ms;
    size_t keylen;
    char key[]; /* token_key, not NUL-terminated */
};

struct tenant_cache {
    struct tenant_entry *buckets[TENANT_CACHE_BUCKETS];
    size_t count;
};

struct tenant_cache *tenant_cache_new(void)
{
    return calloc(1, sizeof(struct tenant_cache));
}

static void tenant_cache_clear(struct tenant_cache *c)
{
    for (size_t i = 0; i < TENANT_CACHE_BUCKETS; i++) {
        struct tenant_entry *e = c->buckets[i];
        while (e != NULL) {
            struct tenant_entry *next = e->next;
            free(e);
            e = next;
        }
        c->buckets[i] = NULL;
    }
    c->count = 0;
}

void tenant_cache_free(struct tenant_cache *c)
{
    if (c == NULL) return;
    tenant_cache_clear(c);
    free(c);
}

/* The tenant's token_key, from the cache or the store. */
static int tenant_key(struct http_thread *t, int64_t tenant_id, const struct tenant_entry **out,
                      struct parley_err *err)
{
    struct tenant_cache *c = t->tenants;
    struct tenant_entry **slot = &c->buckets[(uint64_t)tenant_id % TENANT_CACHE_BUCKETS];
    int64_t now = util_now_ms();
    for (struct tenant_entry **p = slot; *p != NULL; p = &(*p)->next) {
        struct tenant_entry *e = *p;
        if (e->id != tenant_id) continue;
        if (now - e->fetched_ms < TENANT_CACHE_TTL_MS) {
            *out = e;
            return 0;
        }
        *p = e->next;
        free(e);
        c->count--;
        break;
    }
    struct arena a;
    arena_init(&a);
    struct tenant tn;
    int rc = store_get_tenant(t->reader, tenant_id, &tn, &a, err);
    if (rc == 0 && (tn.token_key == NULL || tn.token_key[0] == '\0'))
        rc = parley_fail(err, PARLEY_EAUTH, NULL, "tenant has no token key");
    if (rc != 0) {
        arena_free(&a);
        return rc;
    }
    size_t keylen = strlen(tn.token_key);
    struct tenant_entry *e = malloc(sizeof(*e) + keylen);
    if (e == NULL) {
        arena_free(&a);
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    }
    if (c->count >= TENANT_CACHE_MAX) tenant_cache_clear(c); /* crude, bounded */
    e->id = tenant_id;
    e->fetched_ms = now;
    e->keylen = keylen;
    memcpy(e->key, tn.token_key, keylen);
    e->next = *slot;
    *slot = e;
    c->count++;
    arena_free(&a);
    *out = e;
    return 0;
}

/* ---- authentication -------------------------------------------------------------------------- */

/* Store failures other than "no such token" are the store's (503/500), not the caller's. */
static bool is_credential_error(int rc)
{
    return rc == PARLEY_EAUTH || rc == PARLEY_ENOTFOUND || rc == PARLEY_EINVAL;
}

static int auth_staff(struct http_req *hr, const struct api_route *route)
{
    struct api_req *r = &hr->api;
    h2o_iovec_t token;
    if (!bearer_token(hr, &token)) {
        fail_unauthenticated(hr, "send Authorization: Bearer <token> (log in to get one)");
        return -1;
    }
    char hash[65];
    util_sha256_hex(token.base, token.len, hash);
    struct principal p;
    struct parley_err err = {0};
    int rc = store_auth_token(r->reader, hash, &p, &err);
    if (rc != 0 || p.kind != PRINCIPAL_USER) {
        if (rc != 0 && !is_credential_error(rc))
            api_reply_error(r, &err);
        else
            fail_unauthenticated(hr, "the token is unknown, expired or revoked; log in again");
        return -1;
    }
    r->who = p;
    memcpy(r->token_hash, hash, sizeof(r->token_hash)); /* logout ends this very session */
    snprintf(r->actor, sizeof(r->actor), "user:%lld", (long long)p.user_id);
    unsigned roles = route->roles != 0 ? route->roles : ROLES_ALL;
    if (p.role >= ROLE__COUNT || (roles & (1u << p.role)) == 0) {
        api_fail(r, PARLEY_EPERM, NULL, "the %s role may not do this", role_name(p.role));
        return -1;
    }
    return 0;
}

static int auth_visitor(struct http_req *hr)
{
    struct api_req *r = &hr->api;
    h2o_iovec_t token;
    if (!bearer_token(hr, &token)) {
        fail_unauthenticated(hr, "send Authorization: Bearer <visitor token> from "
                                 "POST /api/v1/widget/sessions");
        return -1;
    }
    struct visitor_token vt;
    struct parley_err err = {0};
    const struct tenant_entry *key = NULL;
    int rc = visitor_token_parse(token.base, token.len, &vt, &err);
    if (rc == 0) rc = tenant_key(r->thread, vt.tenant_id, &key, &err);
    if (rc == 0)
        rc = visitor_token_verify(token.base, token.len, key->key, key->keylen, util_now_ms(), &vt,
                                  &err);
    if (rc != 0) {
        if (!is_credential_error(rc))
            api_reply_error(r, &err);
        else
            fail_unauthenticated(hr, "the visitor token is invalid or expired; start a new "
                                     "widget session");
        return -1;
    }
    r->who.kind = PRINCIPAL_CUSTOMER;
    r->who.tenant_id = vt.tenant_id;
    r->who.customer_id = vt.customer_id;
    snprintf(r->actor, sizeof(r->actor), "customer:%lld", (long long)vt.customer_id);
    return 0;
}

/* ---- routing --------------------------------------------------------------------------------- */

/* Matches path against pattern; "{id}" takes a positive integer up to 2^53 without leading
 * zero. Fills ids[] in order. */
static bool pattern_match(const char *pat, const char *path, int64_t ids[2])
{
    int nid = 0;
    while (*pat != '\0') {
        if (*pat == '{' && strncmp(pat, "{id}", 4) == 0) { /* strncmp only where it can match */
            int64_t v = 0;
            int digits = 0;
            if (*path == '0') return false;
            while (*path >= '0' && *path <= '9') {
                if (++digits > 16) return false;
                v = v * 10 + (*path - '0');
                path++;
            }
            if (digits == 0 || v > MAX_ID) return false;
            if (nid < 2) ids[nid++] = v;
            pat += 4;
            continue;
        }
        if (*pat != *path) return false;
        pat++;
        path++;
    }
    return *path == '\0';
}

static void fail_method(struct http_req *hr, const char *allow)
{
    http_add_header(hr, "allow", allow);
    api_fail(&hr->api, HTTP_EMETHOD, NULL, "%s is not allowed here; allowed: %s", hr->api.method,
             allow);
}

/* Fixed service pages: GET and HEAD only. */
static void serve_fixed(struct http_req *hr, void (*fn)(struct http_req *hr))
{
    if (strcmp(hr->api.method, "GET") != 0 && strcmp(hr->api.method, "HEAD") != 0) {
        fail_method(hr, "GET, HEAD");
        return;
    }
    fn(hr);
}

static const struct api_route *match_route(struct http_req *hr, char *allow, size_t allow_size)
{
    struct api_req *r = &hr->api;
    allow[0] = '\0';
    for (size_t i = 0; i < api_routes_count; i++) {
        const struct api_route *rt = &api_routes[i];
        int64_t ids[2] = {0, 0};
        if (!pattern_match(rt->pattern, r->path, ids)) continue;
        if (strcmp(rt->method, r->method) == 0) {
            memcpy(r->ids, ids, sizeof(ids));
            return rt;
        }
        size_t used = strlen(allow);
        if (strstr(allow, rt->method) == NULL && used + strlen(rt->method) + 3 < allow_size)
            snprintf(allow + used, allow_size - used, "%s%s", used ? ", " : "", rt->method);
    }
    return NULL;
}

/* Checks that need the route: auth, role, size, media type, then the generic headers. */
static int check_request(struct http_req *hr, const struct api_route *rt)
{
    struct api_req *r = &hr->api;
    if (rt->auth == AUTH_STAFF && auth_staff(hr, rt) != 0) return -1;
    if (rt->auth == AUTH_VISITOR && auth_visitor(hr) != 0) return -1;
    if (r->body_len > (size_t)r->cfg->max_body_bytes) {
        api_fail(r, PARLEY_ETOOBIG, "body",
                 "the body is %zu bytes; the limit is %lld (max_body_bytes)", r->body_len,
                 (long long)r->cfg->max_body_bytes);
        return -1;
    }
    bool has_body_method = strcmp(r->method, "POST") == 0 || strcmp(r->method, "PATCH") == 0 ||
                           strcmp(r->method, "PUT") == 0;
    if (has_body_method && r->body_len > 0) {
        h2o_iovec_t ct;
        if (!header(hr, H2O_STRLIT("content-type"), &ct) || !json_media_type(ct)) {
            api_fail(r, PARLEY_EUNSUPPORTED, "Content-Type",
                     "send the body as Content-Type: application/json (UTF-8)");
            return -1;
        }
    }
    h2o_iovec_t v;
    if (header(hr, H2O_STRLIT("idempotency-key"), &v)) {
        if (v.len < 1 || v.len > MAX_IDEMPOTENCY_KEY || !printable_ascii(v.base, v.len, true)) {
            api_fail(r, PARLEY_EINVAL, "Idempotency-Key",
                     "Idempotency-Key must be 1 to %d printable ASCII characters",
                     MAX_IDEMPOTENCY_KEY);
            return -1;
        }
        r->idempotency_key = arena_strndup(&r->arena, v.base, v.len);
    }
    if (header(hr, H2O_STRLIT("last-event-id"), &v)) {
        if (v.len > MAX_LAST_EVENT_ID || !printable_ascii(v.base, v.len, true)) {
            api_fail(r, PARLEY_EINVAL, "Last-Event-ID", "Last-Event-ID must be an event id");
            return -1;
        }
        r->last_event_id = arena_strndup(&r->arena, v.base, v.len);
    }
    struct parley_err err = {0};
    if (http_query_validate(r->query, &err) != 0) {
        api_reply_error(r, &err);
        return -1;
    }
    return 0;
}

static void dispatch(struct http_req *hr)
{
    struct api_req *r = &hr->api;
    const char *path = r->path;
    if (strcmp(path, "/") == 0) return serve_fixed(hr, http_status_page);
    if (strcmp(path, "/healthz") == 0) return serve_fixed(hr, http_healthz);
    if (strcmp(path, "/api/openapi.yaml") == 0) return serve_fixed(hr, http_openapi);

    char allow[96];
    const struct api_route *rt = match_route(hr, allow, sizeof(allow));
    if (rt == NULL) {
        if (allow[0] != '\0')
            fail_method(hr, allow);
        else
            api_fail(r, PARLEY_ENOTFOUND, NULL, "no endpoint at this path; see /api/openapi.yaml");
        return;
    }
    if (check_request(hr, rt) != 0) return;
    rt->fn(r);
    if (!hr->replied && !hr->streaming && hr->ops == 0 && hr->req != NULL) {
        log_msg(LOG_ERROR, "http", "event=no_reply method=%s route=%s", r->method, rt->pattern);
        api_fail(r, PARLEY_EINTERNAL, NULL, "the handler produced no reply");
    }
}

int http_on_req(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    struct http_thread *t = H2O_STRUCT_FROM_MEMBER(struct http_thread, ctx, req->conn->ctx);
    atomic_fetch_add(&t->srv->requests, 1);
    struct http_req *hr = req_new(t, req);
    if (hr == NULL) {
        static const char oom[] = "{\"error\":{\"code\":\"unavailable\",\"message\":\"out of "
                                  "memory\",\"field\":\"\"}}";
        req->res.status = 503;
        req->res.reason = "Service Unavailable";
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                       H2O_STRLIT("application/json"));
        h2o_send_inline(req, oom, sizeof(oom) - 1);
        return 0;
    }
    hr->refs++; /* the dispatcher's own, so a synchronous dispose cannot free hr under us */
    dispatch(hr);
    http_req_release(hr);
    return 0;
}
