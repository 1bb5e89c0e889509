/* Private to the HTTP server core (server*.c, reply.c, sse.c, status_page.c): the thread and
 * request structures behind struct api_req and the calls between those files. Route handlers
 * never include this; they see http_int.h only. */
#ifndef PARLEY_HTTP_SERVER_INT_H
#define PARLEY_HTTP_SERVER_INT_H

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0
#endif
#include <h2o.h>
#include <pthread.h>
#include <stdatomic.h>

#include "../bus/bus.h"
#include "http_int.h"

/* A private error code: no PARLEY_E* means "method not allowed", yet its status (405) must be
 * chosen by http_status_for_err like every other. Never leaves src/http. */
#define HTTP_EMETHOD (-100)

struct sse_hub;
struct tenant_cache;
struct offload_pool;
struct bot_service;
struct route_service;
struct nlu_cache;

struct http_server {
    const struct parley_config *cfg;
    struct store *store;
    struct bus *bus;
    h2o_globalconf_t globalconf;
    struct http_thread *threads;
    int nthreads;
    int64_t started_ms;
    size_t entity_cap; /* h2o's own body limit: beyond it h2o answers 413 by itself */
    struct offload_pool *offload;
    struct bot_service *bot;     /* the virtual agent (src/bot), consumer of the bus */
    struct route_service *route; /* the routing engine (src/route), consumer of the bus */
    struct nlu_cache *nlu;       /* NLU: loaded per-tenant models for the predict route */
    atomic_int nlu_training;     /* NLU: trainings running on the offload pool (at most one) */
    atomic_long connections, streams, requests; /* for the status page and the stop line */
    char listen_addr[160];                      /* the bound address, as logged */
};

/* One event loop. Everything here is touched by its own thread only, except the receivers
 * (h2o's queue is thread-safe) and the start_* fields (read after the start barrier). */
struct http_thread {
    struct http_server *srv;
    int index;
    pthread_t tid;
    h2o_evloop_t *loop;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    int listen_fd;
    h2o_socket_t *listener;
    bool accept_paused;
    size_t connections, max_connections;
    size_t pending; /* commands and offloaded jobs not completed yet */
    bool stopping;
    struct store_reader *reader;
    h2o_multithread_receiver_t done_receiver; /* command and offload completions */
    h2o_multithread_receiver_t bus_receiver;  /* doorbell: event batches are waiting */
    h2o_multithread_receiver_t ctl_receiver;  /* stop request from the main thread */
    h2o_multithread_message_t bus_doorbell, ctl_stop;
    struct bus_sub *bus_sub;
    struct tenant_cache *tenants;
    struct sse_hub *hub;
    int start_status; /* 0, or why the thread could not start (start_err) */
    struct parley_err start_err;
};

/* Behind every struct api_req. Freed when refs drops to 0: one ref belongs to the h2o
 * request (dropped by the pool sentinel when h2o disposes of it), one to each command or
 * offloaded job in flight, one to the dispatcher while a handler runs. */
struct http_req {
    struct api_req api;
    h2o_req_t *req;             /* NULL once h2o has disposed of the request */
    struct http_req **sentinel; /* in req->pool; cleared when the request is detached */
    unsigned refs;
    unsigned ops; /* commands and offloaded jobs in flight */
    bool replied;
    bool streaming;
    int64_t started_ns;
};

static inline struct http_req *http_req_of(struct api_req *r)
{
    return (struct http_req *)r; /* api is the first member */
}

/* server_dispatch.c */
int http_on_req(h2o_handler_t *self, h2o_req_t *req);
void http_req_release(struct http_req *hr);
/* Stops h2o's request from pointing at hr (streams keep only their own small state). */
void http_req_detach(struct http_req *hr);
struct tenant_cache *tenant_cache_new(void);
void tenant_cache_free(struct tenant_cache *c);

/* server_async.c */
void http_on_done_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages);
int offload_pool_start(struct http_server *srv, int workers, struct parley_err *err);
void offload_pool_stop(struct http_server *srv);

/* reply.c */
int http_status_for_err(int code);
/* Sends a complete response. body is copied into the request's pool unless is_static. */
void http_send(struct http_req *hr, int status, const char *content_type, const char *body,
               size_t len, bool is_static);
/* Adds a response header (name lower-case); values are copied. */
void http_add_header(struct http_req *hr, const char *name, const char *value);
/* Checks every query parameter once: well-formed %-escapes, UTF-8 after decoding.
 * Returns 0 or PARLEY_EINVAL with err naming the parameter. */
int http_query_validate(const char *query, struct parley_err *err);

/* status_page.c */
void http_status_page(struct http_req *hr);
void http_healthz(struct http_req *hr);
void http_openapi(struct http_req *hr);

/* sse.c */
struct sse_hub *sse_hub_new(struct http_thread *t);
void sse_hub_free(struct sse_hub *hub);
/* Called for every bus batch on the loop's thread. */
void sse_on_batch(void *thread, const struct bus_batch *batch);
/* Graceful stop: flushes and ends every stream of this thread. */
void sse_hub_shutdown(struct sse_hub *hub);
size_t sse_hub_count(const struct sse_hub *hub);

#endif
