/* Inside the HTTP layer: what a route handler sees. Handlers never touch h2o directly; they
 * get a struct api_req, read with the thread's store reader, submit write commands, and reply
 * through the helpers below (the HTTP status for an error code is chosen in api_reply_error
 * only). server.c owns threads, h2o, the route table dispatch and request lifetimes. */
#ifndef PARLEY_HTTP_INT_H
#define PARLEY_HTTP_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../common/arena.h"
#include "../common/config.h"
#include "../common/err.h"
#include "../core/core.h"
#include "../store/store.h"

struct http_thread;   /* one per event loop: its h2o context, store reader, live-stream hub */
struct bot_service;   /* src/bot/bot.h */
struct route_service; /* src/route/route.h */

/* One API request. Allocated by server.c; lives until the reply has been sent AND any
 * submitted command has completed (a client that hangs up early does not free it under a
 * pending command). Everything in it is valid only on its own thread. */
struct api_req {
    struct http_thread *thread;
    const struct parley_config *cfg;
    struct store *store;
    struct store_reader *reader; /* this thread's read connection */
    struct bot_service *bot;     /* the virtual agent service (thread-safe calls only) */
    struct route_service *route; /* the routing service (thread-safe calls only) */
    struct arena arena;          /* freed with the request */
    const char *method;          /* "GET", "POST", "PATCH", "DELETE" (NUL-terminated) */
    const char *path;            /* without query, NUL-terminated */
    const char *query;           /* after '?', NUL-terminated, "" when none */
    const char *body;            /* request body (not NUL-terminated), body_len bytes */
    size_t body_len;
    const char *idempotency_key; /* validated Idempotency-Key header or NULL */
    const char *last_event_id;   /* Last-Event-ID header or NULL */
    int64_t ids[2];              /* the {id} segments of the matched route pattern, in order */
    struct principal who;        /* the authenticated caller (kind NONE for public routes) */
    char actor[48];              /* "user:4" / "customer:17": for audit and idempotency scope */
    char token_hash[65];         /* hex SHA-256 of the staff bearer token ("" otherwise): logout */
    void *handler_ctx;           /* the handler's own state across api_offload / api_submit */
    void *opaque;                /* server.c private */
};

typedef void (*api_handler_fn)(struct api_req *r);

enum api_auth {
    AUTH_NONE,    /* public */
    AUTH_STAFF,   /* staff bearer token (session or API token) */
    AUTH_VISITOR, /* widget visitor token */
};

/* Role masks for routes. */
#define ROLES_ALL                                                                                  \
    ((1u << ROLE_ADMIN) | (1u << ROLE_SUPERVISOR) | (1u << ROLE_AGENT) | (1u << ROLE_EXPERT))
#define ROLES_ADVISERS    ((1u << ROLE_ADMIN) | (1u << ROLE_SUPERVISOR) | (1u << ROLE_AGENT))
#define ROLES_SUPERVISORS ((1u << ROLE_ADMIN) | (1u << ROLE_SUPERVISOR))
#define ROLES_ADMIN       (1u << ROLE_ADMIN)

/* The declarative route table (routes.c). pattern segments "{id}" match a positive integer
 * and land in r->ids[]. A path that matches with another method is 405; no match is 404.
 * server.c authenticates (401), checks roles (403) and Content-Type for bodies (415) before
 * calling fn. */
struct api_route {
    const char *method;
    const char *pattern;
    enum api_auth auth;
    unsigned roles; /* for AUTH_STAFF */
    api_handler_fn fn;
};
extern const struct api_route api_routes[];
extern const size_t api_routes_count;

/* ---- replies (exactly one per request) ----------------------------------------------- */

/* Sends JSON; steals the reference to body. */
void api_reply_json(struct api_req *r, int status, json_t *body);
/* Sends already-serialised JSON (e.g. a command's result_json). replayed adds the header
 * `Idempotent-Replayed: true`. */
void api_reply_raw(struct api_req *r, int status, const char *json, size_t len, bool replayed);
/* 204. */
void api_reply_empty(struct api_req *r);
/* Error reply {"error":{"code","message","field"}}, status from err->code. */
void api_reply_error(struct api_req *r, const struct parley_err *err);
/* Shorthand: builds the error and replies. */
void api_fail(struct api_req *r, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Lists: {"data":[…],"next_cursor":"…"|null}; steals data. next 0 means no more pages. */
void api_reply_list(struct api_req *r, json_t *data, int64_t next);

/* ---- writes --------------------------------------------------------------------------- */

typedef void (*api_done_fn)(struct api_req *r, struct store_cmd *cmd);

/* Allocates a command bound to this request (tenant, actor, viewer role and idempotency key
 * filled from r; request_hash computed from method+path+body). Returns NULL when out of
 * memory (after replying 503). */
struct store_cmd *api_cmd_new(struct api_req *r, enum store_cmd_kind kind);
/* Submits cmd; when it has committed, on_done runs on this thread (or, when on_done is NULL,
 * the default: reply result_json with 201 when cmd->created else 200, or the error). The
 * command is freed after on_done returns. If the client is gone by then, on_done is not
 * called (the write still committed). */
void api_submit(struct api_req *r, struct store_cmd *cmd, api_done_fn on_done);
/* Appends an audit entry (e.g. "customer.view") without waiting for it. */
void api_audit(struct api_req *r, const char *action, const char *object, const char *detail_json);

/* Runs work(arg) on a small worker pool (CPU-heavy tasks such as argon2id password hashing
 * must not block an event loop), then after(r, arg) on this request's thread. after is not
 * called when the client is gone; arg then belongs to nobody but work: allocate it from
 * r->arena only if after frees nothing. */
void api_offload(struct api_req *r, void (*work)(void *arg), void *arg,
                 void (*after)(struct api_req *r, void *arg));

/* ---- helpers for handlers --------------------------------------------------------------- */

/* Parses the body as a JSON object (UTF-8 checked, size checked). On failure replies 400 and
 * returns NULL. The returned reference is the caller's. */
json_t *api_body_object(struct api_req *r);
/* Query parameter value (URL-decoded into the arena) or NULL. */
const char *api_query(struct api_req *r, const char *name);
/* Page from ?limit= and ?cursor=; replies 400 and returns -1 on bad values. */
int api_page(struct api_req *r, struct store_page *page);
/* Visible representation settings for this caller. */
struct json_view api_view(const struct api_req *r);

/* Live streams (sse.c): turns this request into an SSE stream for r->who. */
void api_stream_open(struct api_req *r);
/* Publishes an ephemeral (not stored, no id) event to the live streams of every thread. */
void api_publish_ephemeral(struct api_req *r, const struct event *ev);

#endif
