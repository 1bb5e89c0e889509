/* Live streams (Server-Sent Events, docs/streams.md). Each event loop keeps a hub of its
 * streams, indexed so that an event costs O(interested streams): by tenant for admins and
 * supervisors, by user for agents and experts (via the event's assignees), a per-tenant list
 * of agents for unassigned conversations, by customer for visitors. Resume replays from the
 * store page by page, paced by the client, then goes live with no gap and no duplicate.
 * Sends follow h2o's flow control: one buffer in flight, one filling, with a cap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../common/log.h"
#include "../core/redact.h"
#include "../route/route.h"
#include "server_int.h"

#define SSE_PAGE          100          /* events read from the store per replay step */
#define SSE_MAX_PENDING   (256 * 1024) /* bytes queued for a slow client before it is cut off */
#define INDEX_MIN_BUCKETS 64

enum stream_state {
    ST_REPLAY,   /* catching up from the store; live events are picked up by the next page */
    ST_LIVE,     /* live events as they come */
    ST_CLOSING,  /* server stopping: flush what is queued, then end cleanly */
    ST_ABORTING, /* too slow or gone: end with an error as soon as h2o lets us */
};

/* Index keys: a kind in the top byte, an id (or a socket address) below. */
enum key_kind { K_TENANT_ALL = 1, K_USER, K_TENANT_AGENTS, K_CUSTOMER, K_CONN };

struct sbuf {
    char *p;
    size_t len, cap;
};

struct sse_link {
    struct sse_link *next, **pprev;
    uint64_t key;
    struct sse_stream *s;
};

struct sse_stream {
    h2o_generator_t gen; /* h2o calls back with &gen */
    h2o_req_t *req;
    struct sse_hub *hub;
    struct principal who;
    int64_t last_id; /* highest durable id queued for this client (or scanned, in replay) */
    int replay_left; /* events the replay may still scan (sse_max_backlog) */
    enum stream_state state;
    bool inflight; /* h2o holds `sending` until it calls proceed */
    bool dirty;    /* on the hub's flush list */
    struct sse_stream *dirty_next;
    struct sbuf out, sending;
    struct sse_link links[3]; /* role entries, and the HTTP/1 connection entry */
    int nlinks;
    bool presence; /* counted by the routing service's presence (route_stream_opened) */
    h2o_timeout_entry_t keepalive;
    struct sse_stream *prev, *next; /* every stream of the hub */
};

struct sse_index {
    struct sse_link **buckets;
    size_t mask, count;
};

struct sse_hub {
    struct http_thread *t;
    struct sse_index idx;
    struct sse_stream *all;
    size_t count;
    h2o_timeout_t keepalive_timeout;
    struct sse_stream *dirty;
    struct sbuf frame;          /* the event being delivered, formatted once for all its streams */
    struct sbuf frame_redacted; /* the same for crowd experts' streams (redacted text) */
    bool shutting_down;
};

static void stream_flush(struct sse_stream *s);

/* ---- buffers --------------------------------------------------------------------------------- */

/* Idle streams hold no buffer; busy ones borrow 4 KiB blocks from a small per-thread pool, so
 * the hot path does not go to malloc once per event and stream. */
#define SBUF_BLOCK    4096
#define SBUF_POOL_MAX 256 /* at most 1 MiB parked per event loop */

static __thread struct {
    char *blocks[SBUF_POOL_MAX];
    int n;
} sbuf_pool;

static bool sbuf_append(struct sbuf *b, const char *p, size_t n)
{
    if (b->len + n > b->cap) {
        char *np;
        size_t cap;
        if (b->p == NULL && n <= SBUF_BLOCK && sbuf_pool.n > 0) {
            np = sbuf_pool.blocks[--sbuf_pool.n];
            cap = SBUF_BLOCK;
        } else {
            cap = b->cap != 0 ? b->cap : SBUF_BLOCK;
            while (cap < b->len + n) cap *= 2;
            np = realloc(b->p, cap);
            if (np == NULL) return false;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return true;
}

static bool sbuf_puts(struct sbuf *b, const char *s)
{
    return sbuf_append(b, s, strlen(s));
}

static void sbuf_free(struct sbuf *b)
{
    if (b->cap == SBUF_BLOCK && sbuf_pool.n < SBUF_POOL_MAX)
        sbuf_pool.blocks[sbuf_pool.n++] = b->p;
    else
        free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static void sbuf_pool_drain(void)
{
    while (sbuf_pool.n > 0) free(sbuf_pool.blocks[--sbuf_pool.n]);
}

/* ---- the index ------------------------------------------------------------------------------- */

static uint64_t make_key(enum key_kind kind, uint64_t id)
{
    return ((uint64_t)kind << 56) | (id & 0x00ffffffffffffffULL);
}

static size_t bucket_of(const struct sse_index *idx, uint64_t key)
{
    return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 29) & idx->mask;
}

static void bucket_push(struct sse_link **slot, struct sse_link *l)
{
    l->next = *slot;
    if (l->next != NULL) l->next->pprev = &l->next;
    l->pprev = slot;
    *slot = l;
}

static bool index_grow(struct sse_index *idx)
{
    size_t n = idx->buckets == NULL ? INDEX_MIN_BUCKETS : (idx->mask + 1) * 2;
    struct sse_link **nb = calloc(n, sizeof(*nb));
    if (nb == NULL) return false;
    struct sse_index fresh = {.buckets = nb, .mask = n - 1, .count = idx->count};
    if (idx->buckets != NULL) {
        for (size_t i = 0; i <= idx->mask; i++) {
            struct sse_link *l = idx->buckets[i];
            while (l != NULL) {
                struct sse_link *next = l->next;
                bucket_push(&nb[bucket_of(&fresh, l->key)], l);
                l = next;
            }
        }
    }
    free(idx->buckets);
    *idx = fresh;
    return true;
}

static bool index_add(struct sse_index *idx, struct sse_stream *s, enum key_kind kind, uint64_t id)
{
    if ((idx->buckets == NULL || idx->count >= idx->mask + 1) && !index_grow(idx) &&
        idx->buckets == NULL)
        return false; /* a full table only gets longer chains; no table at all is fatal */
    struct sse_link *l = &s->links[s->nlinks++];
    l->key = make_key(kind, id);
    l->s = s;
    bucket_push(&idx->buckets[bucket_of(idx, l->key)], l);
    idx->count++;
    return true;
}

static void index_remove_all(struct sse_index *idx, struct sse_stream *s)
{
    for (int i = 0; i < s->nlinks; i++) {
        struct sse_link *l = &s->links[i];
        *l->pprev = l->next;
        if (l->next != NULL) l->next->pprev = l->pprev;
        idx->count--;
    }
    s->nlinks = 0;
}

/* ---- who gets what (docs/api.md "Live streams") ---------------------------------------------- */

static bool unassigned(const struct event *ev)
{
    return ev->n_assignees <= 0 && ev->assignee_id == 0;
}

static bool is_assignee(const struct event *ev, int64_t user_id)
{
    if (user_id == 0) return false;
    int n = ev->n_assignees < 8 ? ev->n_assignees : 8;
    for (int i = 0; i < n; i++)
        if (ev->assignees[i] == user_id) return true;
    return n <= 0 && ev->assignee_id == user_id;
}

static bool stream_wants(const struct sse_stream *s, const struct event *ev)
{
    if (ev->tenant_id != s->who.tenant_id) return false;
    if (s->who.kind == PRINCIPAL_CUSTOMER)
        return (ev->audience & AUDIENCE_CUSTOMER) != 0 && ev->customer_id == s->who.customer_id;
    if ((ev->audience & (AUDIENCE_STAFF | AUDIENCE_SUPERVISORS)) == 0) return false;
    bool staff = (ev->audience & AUDIENCE_STAFF) != 0; /* else supervisors only */
    switch (s->who.role) {
    case ROLE_ADMIN:
    case ROLE_SUPERVISOR:
        return true;
    case ROLE_AGENT:
        return staff && (unassigned(ev) || is_assignee(ev, s->who.user_id));
    case ROLE_EXPERT:
        return staff && is_assignee(ev, s->who.user_id);
    default:
        return false;
    }
}

/* ---- frames ---------------------------------------------------------------------------------- */

/* "id: N\nevent: TYPE\ndata: JSON\n\n"; no id line for ephemeral events. Payloads are compact
 * JSON without raw newlines, but a newline would end the field, so it starts another. */
static bool frame_event(struct sbuf *b, const struct event *ev, bool ephemeral)
{
    char line[64];
    if (!ephemeral) {
        snprintf(line, sizeof(line), "id: %lld\n", (long long)ev->id);
        if (!sbuf_puts(b, line)) return false;
    }
    if (!sbuf_puts(b, "event: ") || !sbuf_puts(b, ev->type != NULL ? ev->type : "message") ||
        !sbuf_puts(b, "\n"))
        return false;
    const char *d = ev->data != NULL ? ev->data : "{}";
    for (;;) {
        size_t n = strcspn(d, "\r\n");
        if (!sbuf_puts(b, "data: ") || !sbuf_append(b, d, n) || !sbuf_puts(b, "\n")) return false;
        d += n;
        if (*d == '\0') break;
        d += (d[0] == '\r' && d[1] == '\n') ? 2 : 1;
    }
    return sbuf_puts(b, "\n");
}

/* Crowd experts read redacted free text (docs/swarming.md), on their streams as in REST. */
static bool redacts(const struct sse_stream *s)
{
    return s->who.kind == PRINCIPAL_USER && s->who.role == ROLE_EXPERT;
}

/* frame_event for stream s: a redacted copy of the payload for experts. An event whose
 * payload cannot be redacted is left out for them (true: nothing to report), never sent as
 * it was. */
static bool frame_for(const struct sse_stream *s, struct sbuf *b, const struct event *ev,
                      bool ephemeral)
{
    if (!redacts(s)) return frame_event(b, ev, ephemeral);
    struct arena a;
    arena_init(&a);
    struct event copy = *ev;
    copy.data = redact_json_text(ev->data != NULL ? ev->data : "{}", &a);
    bool ok = copy.data == NULL || frame_event(b, &copy, ephemeral);
    if (copy.data == NULL)
        log_msg(LOG_WARN, "http", "event=redaction_skipped type=%s",
                ev->type != NULL ? ev->type : "");
    arena_free(&a);
    return ok;
}

/* ---- stream lifetime ------------------------------------------------------------------------- */

static void stream_free(struct sse_stream *s)
{
    struct sse_hub *hub = s->hub;
    if (s->presence) route_stream_closed(hub->t->srv->route, s->who.tenant_id, s->who.user_id);
    index_remove_all(&hub->idx, s);
    if (h2o_timeout_is_linked(&s->keepalive)) h2o_timeout_unlink(&s->keepalive);
    if (s->dirty) {
        for (struct sse_stream **p = &hub->dirty; *p != NULL; p = &(*p)->dirty_next) {
            if (*p == s) {
                *p = s->dirty_next;
                break;
            }
        }
    }
    if (s->prev != NULL)
        s->prev->next = s->next;
    else
        hub->all = s->next;
    if (s->next != NULL) s->next->prev = s->prev;
    hub->count--;
    atomic_fetch_sub(&hub->t->srv->streams, 1);
    sbuf_free(&s->out);
    sbuf_free(&s->sending);
    free(s);
}

/* Ends the response (FINAL: cleanly, ERROR: the client should reconnect) and frees s. */
static void stream_end(struct sse_stream *s, h2o_send_state_t state)
{
    h2o_req_t *req = s->req;
    s->req = NULL;
    if (req != NULL) h2o_send(req, NULL, 0, state);
    stream_free(s);
}

static void mark_dirty(struct sse_stream *s)
{
    if (s->dirty) return;
    s->dirty = true;
    s->dirty_next = s->hub->dirty;
    s->hub->dirty = s;
}

/* Cuts a stream off; it ends at the next flush (never here: callers may be walking an index
 * chain that runs through s). With a send in flight h2o must call proceed first; on HTTP/1 a
 * shutdown of the socket makes that happen now (the pending write fails and h2o closes). */
static void stream_abort(struct sse_stream *s, const char *why)
{
    if (s->state == ST_ABORTING) return;
    log_msg(LOG_INFO, "http", "event=stream_cut reason=%s queued=%zu", why, s->out.len);
    s->state = ST_ABORTING;
    sbuf_free(&s->out);
    if (s->inflight && s->req != NULL && s->req->version < 0x200) {
        h2o_socket_t *sock = s->req->conn->callbacks->get_socket(s->req->conn);
        if (sock != NULL) shutdown(h2o_socket_get_fd(sock), SHUT_RDWR);
    }
    mark_dirty(s);
}

static void flush_dirty(struct sse_hub *hub)
{
    while (hub->dirty != NULL) {
        struct sse_stream *s = hub->dirty;
        hub->dirty = s->dirty_next;
        s->dirty = false;
        stream_flush(s);
    }
}

static void keepalive_rearm(struct sse_stream *s)
{
    if (h2o_timeout_is_linked(&s->keepalive)) h2o_timeout_unlink(&s->keepalive);
    h2o_timeout_link(s->hub->t->loop, &s->hub->keepalive_timeout, &s->keepalive);
}

/* Hands the queued bytes to h2o unless a send is already in flight (then proceed does). */
static void stream_flush(struct sse_stream *s)
{
    if (s->inflight) return;
    if (s->state == ST_ABORTING) {
        stream_end(s, H2O_SEND_STATE_ERROR);
        return;
    }
    if (s->out.len == 0) {
        if (s->state == ST_CLOSING) stream_end(s, H2O_SEND_STATE_FINAL);
        return;
    }
    struct sbuf t = s->sending;
    s->sending = s->out;
    s->out = t;
    s->out.len = 0;
    s->inflight = true;
    keepalive_rearm(s);
    h2o_iovec_t buf = h2o_iovec_init(s->sending.p, s->sending.len);
    h2o_send(s->req, &buf, 1, H2O_SEND_STATE_IN_PROGRESS);
}

/* Queues a live frame; a client that lets too much pile up is cut off (it resumes by id). */
static void stream_queue(struct sse_stream *s, const struct sbuf *frame)
{
    if (s->out.len + frame->len > SSE_MAX_PENDING) {
        stream_abort(s, "slow_client");
        return;
    }
    if (!sbuf_append(&s->out, frame->p, frame->len)) {
        stream_abort(s, "nomem");
        return;
    }
    mark_dirty(s);
}

/* ---- replay ---------------------------------------------------------------------------------- */

/* Reads the next page of the backlog into s->out. Live events that reach this thread
 * meanwhile are skipped: they were committed before they were published, so a later page
 * returns them; the switch to live happens right after the page that comes back short, in
 * the same callback, so nothing falls between the two. */
static void replay_step(struct sse_stream *s)
{
    struct http_thread *t = s->hub->t;
    int limit = s->replay_left < SSE_PAGE ? s->replay_left : SSE_PAGE;
    if (limit <= 0) {
        s->state = ST_LIVE;
        return;
    }
    struct arena a;
    arena_init(&a);
    struct event *evs = NULL;
    size_t n = 0;
    struct parley_err err = {0};
    int rc = store_list_events(t->reader, s->who.tenant_id, s->last_id, limit, &evs, &n, &a, &err);
    if (rc != 0) {
        arena_free(&a);
        log_msg(LOG_WARN, "http", "event=replay_failed code=%s", parley_err_code_name(rc));
        stream_abort(s, "replay_failed");
        return;
    }
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        if (stream_wants(s, &evs[i])) {
            struct event e = evs[i];
            if (s->who.kind == PRINCIPAL_CUSTOMER && e.data_customer != NULL)
                e.data = e.data_customer; /* the customer's own representation */
            ok = frame_for(s, &s->out, &e, false);
        }
        if (evs[i].id > s->last_id) s->last_id = evs[i].id;
    }
    arena_free(&a);
    if (!ok) {
        stream_abort(s, "nomem");
        return;
    }
    s->replay_left -= (int)n;
    if ((int)n < limit) {
        s->state = ST_LIVE; /* caught up */
    } else if (s->replay_left <= 0) {
        /* More is waiting than sse_max_backlog allows: tell the client to reload. */
        ok = sbuf_puts(&s->out, "event: resync\ndata: {\"reason\":\"backlog_limit\"}\n\n");
        s->state = ST_LIVE;
        if (!ok) stream_abort(s, "nomem");
    }
}

/* ---- h2o callbacks --------------------------------------------------------------------------- */

static void on_proceed(h2o_generator_t *gen, h2o_req_t *req)
{
    (void)req;
    struct sse_stream *s = H2O_STRUCT_FROM_MEMBER(struct sse_stream, gen, gen);
    s->inflight = false;
    s->sending.len = 0;
    /* A page this client sees none of queues nothing, and nothing sent means no proceed:
     * read on until something is queued or the replay is over. */
    while (s->state == ST_REPLAY && s->out.len == 0) replay_step(s);
    if (s->out.len == 0 && (s->state == ST_LIVE || s->state == ST_REPLAY)) {
        /* idle: hold no buffer at all, so 10,000 quiet streams cost little */
        sbuf_free(&s->sending);
        sbuf_free(&s->out);
        return;
    }
    stream_flush(s); /* sends the rest, or ends a closing or aborted stream */
}

static void on_stop(h2o_generator_t *gen, h2o_req_t *req)
{
    (void)req;
    struct sse_stream *s = H2O_STRUCT_FROM_MEMBER(struct sse_stream, gen, gen);
    s->req = NULL;
    stream_free(s);
}

static void on_keepalive(h2o_timeout_entry_t *entry)
{
    struct sse_stream *s = H2O_STRUCT_FROM_MEMBER(struct sse_stream, keepalive, entry);
    if (!s->inflight && s->out.len == 0 && (s->state == ST_LIVE || s->state == ST_REPLAY)) {
        if (!sbuf_puts(&s->out, ": keep-alive\n\n")) stream_abort(s, "nomem");
        stream_flush(s); /* may end (and free) an aborted stream */
        return;
    }
    keepalive_rearm(s);
}

/* HTTP/1 stops reading a connection while a response is under way, so a client that hangs
 * up would only be noticed at the next write. Reading for the stream's lifetime notices it at
 * once. h2o takes the socket back (read_start with its own callback) when the response ends. */
static void on_http1_readable(h2o_socket_t *sock, const char *err)
{
    struct http_thread *t =
        H2O_STRUCT_FROM_MEMBER(struct http_thread, ctx, ((h2o_conn_t *)sock->data)->ctx);
    h2o_socket_read_stop(sock);
    struct sse_hub *hub = t->hub;
    uint64_t key = make_key(K_CONN, (uint64_t)(uintptr_t)sock);
    if (hub->idx.buckets == NULL) return;
    for (struct sse_link *l = hub->idx.buckets[bucket_of(&hub->idx, key)]; l != NULL; l = l->next) {
        if (l->key != key) continue;
        /* data instead of an error is a pipelined request: leave it to h2o for later */
        if (err != NULL) stream_abort(l->s, "client_closed");
        break;
    }
    flush_dirty(hub);
}

/* ---- delivery -------------------------------------------------------------------------------- */

/* framed[0]: hub->frame holds ev as is; framed[1]: hub->frame_redacted holds it for experts. */
static void deliver_key(struct sse_hub *hub, uint64_t key, const struct event *ev, bool ephemeral,
                        bool framed[2])
{
    for (struct sse_link *l = hub->idx.buckets[bucket_of(&hub->idx, key)]; l != NULL; l = l->next) {
        struct sse_stream *s = l->s;
        if (l->key != key || s->state != ST_LIVE || !stream_wants(s, ev)) continue;
        if (!ephemeral && ev->id <= s->last_id) continue; /* already sent by the replay */
        int v = redacts(s) ? 1 : 0;
        struct sbuf *frame = v ? &hub->frame_redacted : &hub->frame;
        if (!framed[v]) {
            frame->len = 0;
            if (!frame_for(s, frame, ev, ephemeral)) return;
            framed[v] = true;
        }
        if (!ephemeral) s->last_id = ev->id;
        if (frame->len > 0) stream_queue(s, frame);
    }
}

static void deliver_event(struct sse_hub *hub, const struct event *ev, bool ephemeral)
{
    bool framed[2] = {false, false};
    if ((ev->audience & AUDIENCE_SUPERVISORS) && !(ev->audience & AUDIENCE_STAFF))
        deliver_key(hub, make_key(K_TENANT_ALL, (uint64_t)ev->tenant_id), ev, ephemeral, framed);
    if (ev->audience & AUDIENCE_STAFF) {
        deliver_key(hub, make_key(K_TENANT_ALL, (uint64_t)ev->tenant_id), ev, ephemeral, framed);
        if (unassigned(ev)) {
            deliver_key(hub, make_key(K_TENANT_AGENTS, (uint64_t)ev->tenant_id), ev, ephemeral,
                        framed);
        } else {
            int n = ev->n_assignees < 8 ? ev->n_assignees : 8;
            if (n <= 0)
                deliver_key(hub, make_key(K_USER, (uint64_t)ev->assignee_id), ev, ephemeral,
                            framed);
            for (int i = 0; i < n; i++) {
                bool dup = false;
                for (int k = 0; k < i; k++) dup = dup || ev->assignees[k] == ev->assignees[i];
                if (!dup)
                    deliver_key(hub, make_key(K_USER, (uint64_t)ev->assignees[i]), ev, ephemeral,
                                framed);
            }
        }
    }
    if ((ev->audience & AUDIENCE_CUSTOMER) && ev->customer_id > 0) {
        /* the customer's own representation when the event has one (no staff fields) */
        struct event mine = *ev;
        if (ev->data_customer != NULL) {
            mine.data = ev->data_customer;
            framed[0] = framed[1] = false;
        }
        deliver_key(hub, make_key(K_CUSTOMER, (uint64_t)ev->customer_id), &mine, ephemeral, framed);
    }
}

void sse_on_batch(void *thread, const struct bus_batch *batch)
{
    struct http_thread *t = thread;
    struct sse_hub *hub = t->hub;
    if (hub == NULL || hub->count == 0) return;
    bool ephemeral = (batch->flags & BUS_EPHEMERAL) != 0;
    for (size_t i = 0; i < batch->n; i++) deliver_event(hub, &batch->events[i], ephemeral);
    flush_dirty(hub);
    if (hub->frame.cap > 65536) sbuf_free(&hub->frame); /* keep no big scratch buffer */
    if (hub->frame_redacted.cap > 65536) sbuf_free(&hub->frame_redacted);
}

/* ---- opening a stream ------------------------------------------------------------------------ */

/* Last-Event-ID header, else ?last_event_id=. Returns 1 when resuming, 0 when not, -1 after
 * replying 400. */
static int resume_point(struct api_req *r, int64_t *after)
{
    const char *field = "Last-Event-ID";
    const char *v = r->last_event_id;
    if (v == NULL) {
        v = api_query(r, "last_event_id");
        field = "last_event_id";
    }
    if (v == NULL || v[0] == '\0') return 0;
    int64_t n = 0;
    for (const char *p = v; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || p - v >= 18) {
            api_fail(r, PARLEY_EINVAL, field, "%s must be the id of an event received earlier",
                     field);
            return -1;
        }
        n = n * 10 + (*p - '0');
    }
    *after = n;
    return 1;
}

static bool index_stream(struct sse_hub *hub, struct sse_stream *s)
{
    const struct principal *w = &s->who;
    if (w->kind == PRINCIPAL_CUSTOMER)
        return index_add(&hub->idx, s, K_CUSTOMER, (uint64_t)w->customer_id);
    switch (w->role) {
    case ROLE_ADMIN:
    case ROLE_SUPERVISOR:
        return index_add(&hub->idx, s, K_TENANT_ALL, (uint64_t)w->tenant_id);
    case ROLE_AGENT:
        return index_add(&hub->idx, s, K_USER, (uint64_t)w->user_id) &&
               index_add(&hub->idx, s, K_TENANT_AGENTS, (uint64_t)w->tenant_id);
    default:
        return index_add(&hub->idx, s, K_USER, (uint64_t)w->user_id);
    }
}

void api_stream_open(struct api_req *r)
{
    struct http_req *hr = http_req_of(r);
    struct sse_hub *hub = r->thread->hub;
    h2o_req_t *req = hr->req;
    if (req == NULL) return;
    if (r->who.kind == PRINCIPAL_NONE) {
        api_fail(r, PARLEY_EAUTH, "Authorization", "live streams need a token");
        return;
    }
    if (hub->shutting_down) {
        api_fail(r, PARLEY_EBUSY, NULL, "the server is stopping; reconnect shortly");
        return;
    }
    int64_t after = 0;
    int resume = resume_point(r, &after);
    if (resume < 0) return;
    struct sse_stream *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        api_fail(r, PARLEY_ENOMEM, NULL, "out of memory; reconnect shortly");
        return;
    }
    s->hub = hub;
    s->req = req;
    s->who = r->who;
    s->gen.proceed = on_proceed;
    s->gen.stop = on_stop;
    s->keepalive.cb = on_keepalive;
    /* Subscribe before reading the backlog: see replay_step. */
    if (!index_stream(hub, s)) {
        index_remove_all(&hub->idx, s);
        free(s);
        api_fail(r, PARLEY_ENOMEM, NULL, "out of memory; reconnect shortly");
        return;
    }
    s->next = hub->all;
    if (s->next != NULL) s->next->prev = s;
    hub->all = s;
    hub->count++;
    atomic_fetch_add(&hub->t->srv->streams, 1);
    /* presence: an adviser's live stream says they are at their desk (auto away / back) */
    if (r->who.kind == PRINCIPAL_USER) {
        s->presence = true;
        route_stream_opened(hub->t->srv->route, r->who.tenant_id, r->who.user_id);
    }

    hr->streaming = true;
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("text/event-stream; charset=utf-8"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-store"));
    /* proxies such as nginx would otherwise buffer the stream */
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-accel-buffering"), 0, NULL,
                          H2O_STRLIT("no"));
    h2o_start_response(req, &s->gen);
    /* The stream keeps its own small state; the request's arena is released now. */
    http_req_detach(hr);

    if (req->version < 0x200) {
        h2o_socket_t *sock = req->conn->callbacks->get_socket(req->conn);
        if (sock != NULL && index_add(&hub->idx, s, K_CONN, (uint64_t)(uintptr_t)sock))
            h2o_socket_read_start(sock, on_http1_readable);
    }
    s->state = resume ? ST_REPLAY : ST_LIVE;
    s->last_id = after;
    s->replay_left = r->cfg->sse_max_backlog;
    /* a first comment puts the headers on the wire at once */
    if (!sbuf_puts(&s->out, ": ok\n\n"))
        stream_abort(s, "nomem");
    else if (resume)
        replay_step(s); /* the ": ok" already queued ends up in the same first send */
    stream_flush(s);
}

void api_publish_ephemeral(struct api_req *r, const struct event *ev)
{
    struct event e = *ev;
    e.id = 0;
    if (e.tenant_id == 0) e.tenant_id = r->who.tenant_id;
    if (bus_publish(r->thread->srv->bus, &e, 1, BUS_EPHEMERAL) != 0)
        log_msg(LOG_WARN, "http", "event=ephemeral_dropped type=%s", e.type != NULL ? e.type : "");
}

/* ---- the hub --------------------------------------------------------------------------------- */

struct sse_hub *sse_hub_new(struct http_thread *t)
{
    struct sse_hub *hub = calloc(1, sizeof(*hub));
    if (hub == NULL) return NULL;
    hub->t = t;
    if (!index_grow(&hub->idx)) {
        free(hub);
        return NULL;
    }
    int seconds = t->srv->cfg->sse_keepalive_s > 0 ? t->srv->cfg->sse_keepalive_s : 15;
    h2o_timeout_init(t->loop, &hub->keepalive_timeout, (uint64_t)seconds * 1000);
    return hub;
}

void sse_hub_shutdown(struct sse_hub *hub)
{
    if (hub == NULL) return;
    hub->shutting_down = true;
    struct sse_stream *s = hub->all;
    while (s != NULL) {
        struct sse_stream *next = s->next;
        if (s->state != ST_ABORTING) {
            s->state = ST_CLOSING;
            stream_flush(s); /* ends it now, or once h2o has taken what is queued */
        }
        s = next;
    }
}

size_t sse_hub_count(const struct sse_hub *hub)
{
    return hub != NULL ? hub->count : 0;
}

void sse_hub_free(struct sse_hub *hub)
{
    if (hub == NULL) return;
    /* Streams left here belong to connections h2o never closed (abandoned at exit). */
    while (hub->all != NULL) stream_free(hub->all);
    h2o_timeout_dispose(hub->t->loop, &hub->keepalive_timeout);
    free(hub->idx.buckets);
    sbuf_free(&hub->frame);
    sbuf_free(&hub->frame_redacted);
    sbuf_pool_drain(); /* sse_hub_free runs on the hub's own thread */
    free(hub);
}
