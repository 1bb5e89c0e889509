/* Bench client for live-stream fan-out (and bulk visitor-session creation for the other
 * benches): one epoll loop, non-blocking sockets, minimal HTTP/1.1 (status, Content-Length,
 * chunked). It measures post-send → event-received latency over thousands of open streams.
 *
 *   fanout sessions HOST:PORT N OUTFILE      create N visitor sessions ("token customer_id")
 *   fanout run HOST:PORT TOKENS STAFF_TOKEN [--staff S] [--targets T] [--rate R]
 *              [--seconds D] [--visitors V]
 *
 * `run` opens V visitor streams (one token each) and S staff streams, opens a conversation
 * for T of the visitors, then posts R adviser messages/s for D s (round-robin over the T
 * conversations) from 4 separate connections, each body carrying a nonce "fo#K#".
 * Every stream's decoded SSE lines are scanned for the nonce. It prints one line per phase
 * and ends with `fanout: … visitor_p99_ms=N …`. This is a bench client: it trusts the
 * server's framing and exits non-zero on anything it cannot follow. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define RBUF_MAX (256 * 1024) /* most a request/response connection buffers */
#define LINE_MAX_BYTES 65536  /* longest SSE line kept; longer lines are scanned in pieces */
#define POSTERS 4
#define REQ_CONNS 64

static struct sockaddr_in server_addr;
static char host_header[64];
static int ep;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fanout: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

/* ---- connections ------------------------------------------------------------------------ */

enum conn_role { ROLE_REQ, ROLE_STREAM };
enum conn_state { ST_CONNECTING, ST_HEADERS, ST_BODY, ST_IDLE, ST_DEAD };
enum chunk_state { CK_SIZE, CK_DATA, CK_DATA_END, CK_TRAILER, CK_DONE };

struct conn {
    int fd;
    enum conn_role role;
    enum conn_state state;
    int index;     /* stream: visitor index or staff index; request: pool slot */
    bool staff;    /* stream kind */
    char *wbuf;    /* pending request bytes */
    size_t wlen, woff;
    char *rbuf;    /* headers, then (requests) the decoded body */
    size_t rlen, rcap;
    int status;
    long content_length; /* -1 when absent */
    bool chunked;
    enum chunk_state ck;
    size_t ck_rem;
    char ck_line[32];
    size_t ck_line_len;
    size_t body_len; /* decoded bytes so far (requests) */
    char *line;      /* stream: current SSE line */
    size_t line_len;
    int64_t tag;     /* request: caller's id of the request in flight, -1 when none */
    int64_t sent_us;
    int retries;
};

static void conn_want(struct conn *c, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
}

static int conn_connect(struct conn *c)
{
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) die("socket: %s (raise ulimit -n)", strerror(errno));
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int r = connect(c->fd, (struct sockaddr *)&server_addr, sizeof server_addr);
    if (r < 0 && errno != EINPROGRESS) die("connect: %s", strerror(errno));
    c->state = ST_CONNECTING;
    c->rlen = 0;
    struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
    return 0;
}

static void conn_close(struct conn *c)
{
    if (c->fd >= 0) {
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->state = ST_DEAD;
}

static void conn_reset_response(struct conn *c)
{
    c->rlen = 0;
    c->status = 0;
    c->content_length = -1;
    c->chunked = false;
    c->ck = CK_SIZE;
    c->ck_rem = 0;
    c->ck_line_len = 0;
    c->body_len = 0;
}

/* Queues a request; it goes out as soon as the socket is writable. */
static void conn_send(struct conn *c, const char *req, size_t len)
{
    free(c->wbuf);
    c->wbuf = malloc(len);
    if (!c->wbuf) die("out of memory");
    memcpy(c->wbuf, req, len);
    c->wlen = len;
    c->woff = 0;
    conn_reset_response(c);
    if (c->state != ST_CONNECTING) {
        c->state = ST_HEADERS;
        conn_want(c, EPOLLIN | EPOLLOUT);
    }
}

static bool conn_flush(struct conn *c)
{
    while (c->woff < c->wlen) {
        ssize_t n = write(c->fd, c->wbuf + c->woff, c->wlen - c->woff);
        if (n < 0) {
            if (errno == EAGAIN) return true;
            return false;
        }
        c->woff += (size_t)n;
    }
    conn_want(c, EPOLLIN);
    return true;
}

static void rbuf_reserve(struct conn *c, size_t extra)
{
    if (c->rlen + extra <= c->rcap) return;
    size_t cap = c->rcap ? c->rcap : 2048;
    while (cap < c->rlen + extra) cap *= 2;
    if (cap > RBUF_MAX) die("response larger than %d bytes", RBUF_MAX);
    c->rbuf = realloc(c->rbuf, cap);
    if (!c->rbuf) die("out of memory");
    c->rcap = cap;
}

/* ---- what the phases plug in ------------------------------------------------------------ */

struct handlers {
    /* A complete response on a request connection (body NUL-terminated). */
    void (*on_response)(struct conn *c, int status, char *body, size_t len);
    /* A stream got its response headers. */
    void (*on_stream_open)(struct conn *c, int status);
    /* One complete SSE line (without the newline). */
    void (*on_stream_line)(struct conn *c, const char *line, size_t len);
    /* A connection failed or the server closed it. */
    void (*on_error)(struct conn *c, const char *why);
};
static struct handlers H;

static void stream_bytes(struct conn *c, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (ch == '\n') {
            size_t len = c->line_len;
            if (len && c->line[len - 1] == '\r') len--;
            H.on_stream_line(c, c->line, len);
            c->line_len = 0;
        } else if (c->line_len < LINE_MAX_BYTES) {
            c->line[c->line_len++] = ch;
        }
    }
}

/* Decoded body bytes: streams go to the line scanner, requests accumulate. */
static void body_bytes(struct conn *c, const char *p, size_t n)
{
    if (c->role == ROLE_STREAM) {
        stream_bytes(c, p, n);
        return;
    }
    rbuf_reserve(c, n + 1);
    memcpy(c->rbuf + c->rlen, p, n);
    c->rlen += n;
    c->body_len += n;
}

/* Feeds raw bytes after the headers; returns true when a request's response is complete. */
static bool feed_body(struct conn *c, const char *p, size_t n)
{
    if (!c->chunked) {
        if (c->content_length < 0) {
            body_bytes(c, p, n);
            return false;
        }
        size_t want = (size_t)c->content_length - c->body_len;
        size_t take = n < want ? n : want;
        body_bytes(c, p, take);
        return c->body_len >= (size_t)c->content_length;
    }
    size_t i = 0;
    while (i < n) {
        switch (c->ck) {
        case CK_SIZE:
        case CK_DATA_END:
        case CK_TRAILER:
            if (p[i] == '\n') {
                c->ck_line[c->ck_line_len < sizeof c->ck_line ? c->ck_line_len : sizeof c->ck_line - 1] = 0;
                if (c->ck == CK_SIZE) {
                    c->ck_rem = strtoul(c->ck_line, NULL, 16);
                    c->ck = c->ck_rem ? CK_DATA : CK_TRAILER;
                } else if (c->ck == CK_DATA_END) {
                    c->ck = CK_SIZE;
                } else if (c->ck_line_len == 0 || (c->ck_line_len == 1 && c->ck_line[0] == '\r')) {
                    c->ck = CK_DONE;
                    return true;
                }
                c->ck_line_len = 0;
            } else if (c->ck_line_len < sizeof c->ck_line - 1) {
                c->ck_line[c->ck_line_len++] = p[i];
            }
            i++;
            break;
        case CK_DATA: {
            size_t take = n - i < c->ck_rem ? n - i : c->ck_rem;
            body_bytes(c, p + i, take);
            i += take;
            c->ck_rem -= take;
            if (!c->ck_rem) c->ck = CK_DATA_END;
            break;
        }
        case CK_DONE:
            return true;
        }
    }
    return false;
}

static bool header_has(const char *h, size_t hlen, const char *name, const char *value_prefix,
                       long *num)
{
    size_t nl = strlen(name);
    for (const char *l = h; l && l < h + hlen;) {
        const char *eol = memchr(l, '\n', (size_t)(h + hlen - l));
        if (!eol) break;
        if ((size_t)(eol - l) > nl && !strncasecmp(l, name, nl) && l[nl] == ':') {
            const char *v = l + nl + 1;
            while (*v == ' ') v++;
            if (num) {
                *num = strtol(v, NULL, 10);
                return true;
            }
            if (!strncasecmp(v, value_prefix, strlen(value_prefix))) return true;
        }
        l = eol + 1;
    }
    return false;
}

static void conn_readable(struct conn *c)
{
    char buf[65536];
    for (;;) {
        ssize_t n = read(c->fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EAGAIN) return;
            H.on_error(c, strerror(errno));
            return;
        }
        if (n == 0) {
            H.on_error(c, "closed by server");
            return;
        }
        const char *p = buf;
        size_t left = (size_t)n;
        while (left) {
            if (c->state == ST_HEADERS) {
                rbuf_reserve(c, left + 1);
                memcpy(c->rbuf + c->rlen, p, left);
                c->rlen += left;
                c->rbuf[c->rlen] = 0;
                char *end = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4);
                if (!end) {
                    left = 0;
                    break;
                }
                size_t hlen = (size_t)(end - c->rbuf) + 4;
                size_t extra = c->rlen - hlen;
                if (strncmp(c->rbuf, "HTTP/1.", 7)) die("not an HTTP response");
                c->status = atoi(c->rbuf + 9);
                long cl = -1;
                c->content_length = header_has(c->rbuf, hlen, "content-length", NULL, &cl) ? cl : -1;
                c->chunked = header_has(c->rbuf, hlen, "transfer-encoding", "chunked", NULL);
                /* keep the tail (body bytes) aside, reuse rbuf for the body */
                char *tail = malloc(extra + 1);
                if (!tail) die("out of memory");
                memcpy(tail, c->rbuf + hlen, extra);
                c->rlen = 0;
                c->state = ST_BODY;
                if (c->role == ROLE_STREAM) H.on_stream_open(c, c->status);
                if (c->state == ST_DEAD) {
                    free(tail);
                    return;
                }
                bool done = (c->content_length == 0 && !c->chunked) || feed_body(c, tail, extra);
                free(tail);
                if (done && c->role == ROLE_REQ) goto complete;
                left = 0;
            } else if (c->state == ST_BODY) {
                bool done = feed_body(c, p, left);
                left = 0;
                if (done && c->role == ROLE_REQ) goto complete;
            } else {
                left = 0; /* bytes while idle: ignore */
            }
            continue;
        complete:
            rbuf_reserve(c, 1);
            c->rbuf[c->rlen] = 0;
            c->state = ST_IDLE;
            H.on_response(c, c->status, c->rbuf, c->rlen);
            if (c->state == ST_DEAD) return;
            left = 0;
        }
    }
}

static void conn_event(struct conn *c, uint32_t events)
{
    if (c->state == ST_DEAD) return;
    if (c->state == ST_CONNECTING) {
        int err = 0;
        socklen_t el = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err) {
            H.on_error(c, strerror(err));
            return;
        }
        if (!(events & EPOLLOUT)) return;
        c->state = c->wlen ? ST_HEADERS : ST_IDLE;
        if (!c->wlen) conn_want(c, EPOLLIN);
    }
    if ((events & EPOLLOUT) && c->woff < c->wlen) {
        if (!conn_flush(c)) {
            H.on_error(c, strerror(errno));
            return;
        }
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) conn_readable(c);
}

/* Runs the loop until *stop, or until deadline_us (0: none). tick runs after each wakeup. */
static void loop(volatile bool *stop, int64_t deadline_us, void (*tick)(void))
{
    struct epoll_event evs[512];
    while (!*stop) {
        int timeout = 50;
        if (deadline_us) {
            int64_t left = deadline_us - now_us();
            if (left <= 0) return;
            if (left / 1000 < timeout) timeout = (int)(left / 1000) + 1;
        }
        int n = epoll_wait(ep, evs, 512, timeout);
        if (n < 0 && errno != EINTR) die("epoll_wait: %s", strerror(errno));
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == NULL) continue; /* the timer, handled by tick */
            conn_event(evs[i].data.ptr, evs[i].events);
        }
        if (tick) tick();
    }
}

/* ---- minimal JSON field pick (bench client only: the server's output is trusted) -------- */

/* Points after `"key":` (whitespace allowed around the colon), or NULL. */
static const char *json_after_key(const char *body, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *p = strstr(body, pat);
    if (!p) return NULL;
    p += strlen(pat);
    while (*p == ' ') p++;
    if (*p++ != ':') return NULL;
    while (*p == ' ') p++;
    return p;
}

static bool json_str(const char *body, const char *key, char *out, size_t cap)
{
    const char *p = json_after_key(body, key);
    if (!p || *p++ != '"') return false;
    const char *e = strchr(p, '"');
    if (!e || (size_t)(e - p) >= cap) return false;
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = 0;
    return true;
}

static bool json_int(const char *body, const char *key, int64_t *out)
{
    const char *p = json_after_key(body, key);
    if (!p) return false;
    *out = strtoll(p, NULL, 10);
    return true;
}

/* ---- request pools: N requests over a few keep-alive connections ------------------------ */

struct pool {
    struct conn conns[REQ_CONNS];
    int nconns;
    int64_t total, next, done, failed;
    size_t (*make)(int64_t i, char *buf, size_t cap);
    void (*got)(int64_t i, int status, char *body);
    bool finished;
};
static struct pool P;

static void pool_issue(struct conn *c)
{
    if (P.next >= P.total) return;
    char req[8192];
    int64_t i = P.next++;
    size_t len = P.make(i, req, sizeof req);
    c->tag = i;
    c->retries = 0;
    conn_send(c, req, len);
}

static void pool_response(struct conn *c, int status, char *body, size_t len)
{
    (void)len;
    int64_t i = c->tag;
    c->tag = -1;
    P.got(i, status, body);
    P.done++;
    if (status < 200 || status > 299) P.failed++;
    if (P.done == P.total) P.finished = true;
    pool_issue(c);
}

static void pool_error(struct conn *c, const char *why)
{
    int64_t i = c->tag;
    int retries = c->retries;
    conn_close(c);
    if (i < 0) return;
    if (retries >= 3) die("request %lld failed: %s", (long long)i, why);
    /* reconnect and resend the same request */
    char req[8192];
    size_t len = P.make(i, req, sizeof req);
    conn_connect(c);
    conn_send(c, req, len);
    c->tag = i;
    c->retries = retries + 1;
}

static void pool_run(int64_t total, int nconns, size_t (*make)(int64_t, char *, size_t),
                     void (*got)(int64_t, int, char *))
{
    P.total = total;
    P.next = P.done = P.failed = 0;
    P.make = make;
    P.got = got;
    P.finished = total == 0;
    P.nconns = nconns < REQ_CONNS ? nconns : REQ_CONNS;
    H.on_response = pool_response;
    H.on_error = pool_error;
    for (int k = 0; k < P.nconns; k++) {
        struct conn *c = &P.conns[k];
        if (c->state == ST_DEAD || c->fd <= 0) {
            c->fd = -1;
            conn_connect(c);
        }
        c->role = ROLE_REQ;
        c->index = k;
        c->tag = -1;
        pool_issue(c);
    }
    loop(&P.finished, 0, NULL);
}

static void pool_close(void)
{
    for (int k = 0; k < P.nconns; k++) conn_close(&P.conns[k]);
}

/* ---- sessions -------------------------------------------------------------------------- */

static char **tokens;
static int64_t *customer_ids;
static int64_t ntokens;

static size_t make_session(int64_t i, char *buf, size_t cap)
{
    const char *body = "{\"tenant\":\"acme\"}";
    return (size_t)snprintf(buf, cap,
                            "POST /api/v1/widget/sessions HTTP/1.1\r\nHost: %s\r\n"
                            "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                            host_header, strlen(body), body);
}

static void got_session(int64_t i, int status, char *body)
{
    char tok[512];
    int64_t cid = 0;
    if (status != 201 && status != 200) die("session %lld: HTTP %d: %.300s", (long long)i, status, body);
    if (!json_str(body, "token", tok, sizeof tok) || !json_int(body, "customer_id", &cid))
        die("session %lld: unexpected reply %.300s", (long long)i, body);
    tokens[i] = strdup(tok);
    customer_ids[i] = cid;
}

static int cmd_sessions(int64_t n, const char *outfile)
{
    tokens = calloc((size_t)n, sizeof *tokens);
    customer_ids = calloc((size_t)n, sizeof *customer_ids);
    int64_t t0 = now_us();
    pool_run(n, REQ_CONNS, make_session, got_session);
    pool_close();
    double s = (double)(now_us() - t0) / 1e6;
    FILE *f = fopen(outfile, "w");
    if (!f) die("%s: %s", outfile, strerror(errno));
    for (int64_t i = 0; i < n; i++) fprintf(f, "%s %lld\n", tokens[i], (long long)customer_ids[i]);
    fclose(f);
    printf("sessions: created=%lld seconds=%.2f per_s=%.0f\n", (long long)n, s, (double)n / s);
    return 0;
}

static void load_tokens(const char *path, int64_t want)
{
    FILE *f = fopen(path, "r");
    if (!f) die("%s: %s", path, strerror(errno));
    tokens = calloc((size_t)want, sizeof *tokens);
    customer_ids = calloc((size_t)want, sizeof *customer_ids);
    char tok[512];
    long long cid;
    ntokens = 0;
    while (ntokens < want && fscanf(f, "%511s %lld", tok, &cid) == 2) {
        tokens[ntokens] = strdup(tok);
        customer_ids[ntokens++] = cid;
    }
    fclose(f);
    if (ntokens < want) die("%s holds %lld tokens, %lld needed", path, (long long)ntokens, (long long)want);
}

/* ---- run: streams, targets, posts ------------------------------------------------------- */

static const char *staff_token;
static int64_t nvisitors, nstaff, ntargets, rate, seconds;
static struct conn *streams; /* nvisitors visitor streams, then nstaff staff streams */
static int64_t *target_conv; /* conversation of target visitor i */
static int64_t streams_ok, streams_failed, streams_connecting, staff_ok;
static int64_t total_posts, posts_sent, posts_acked, posts_failed;
static int64_t *post_sent_us, *post_target;
static int64_t *lat_visitor, *lat_staff, *lat_ack;
static int64_t n_visitor, n_staff, n_ack, n_visitor_dup, n_stray, stream_drops;
static uint8_t *got_visitor;

static size_t make_first_message(int64_t i, char *buf, size_t cap)
{
    char body[128];
    int bl = snprintf(body, sizeof body, "{\"body\":\"hello, I need help (fanout visitor %lld)\"}", (long long)i);
    return (size_t)snprintf(buf, cap,
                            "POST /api/v1/widget/messages HTTP/1.1\r\nHost: %s\r\n"
                            "Authorization: Bearer %s\r\nIdempotency-Key: fo-open-%lld\r\n"
                            "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                            host_header, tokens[i], (long long)i, bl, body);
}

static void got_first_message(int64_t i, int status, char *body)
{
    if (status != 201 && status != 200) die("first message %lld: HTTP %d: %.300s", (long long)i, status, body);
    if (!json_int(body, "conversation_id", &target_conv[i])) die("no conversation_id in %.300s", body);
}

static void stream_open(struct conn *c, int status)
{
    streams_connecting--;
    if (status != 200) {
        streams_failed++;
        fprintf(stderr, "fanout: stream %d got HTTP %d\n", c->index, status);
        conn_close(c);
        return;
    }
    streams_ok++;
    if (c->staff) staff_ok++;
}

static void stream_line(struct conn *c, const char *line, size_t len)
{
    if (len < 5 || memcmp(line, "data:", 5)) return;
    const char *p = memmem(line, len, "fo#", 3);
    if (!p) return;
    int64_t k = strtoll(p + 3, NULL, 10);
    int64_t t = now_us();
    if (k < 0 || k >= total_posts || !post_sent_us[k]) {
        n_stray++;
        return;
    }
    int64_t lat = t - post_sent_us[k];
    if (c->staff) {
        if (n_staff < total_posts * nstaff) lat_staff[n_staff] = lat;
        n_staff++;
    } else {
        if (c->index != post_target[k]) {
            n_stray++;
            return;
        }
        if (got_visitor[k]) {
            n_visitor_dup++;
            return;
        }
        got_visitor[k] = 1;
        lat_visitor[n_visitor++] = lat;
    }
}

static void stream_error(struct conn *c, const char *why)
{
    if (c->role == ROLE_REQ) {
        die("poster connection failed: %s", why);
    }
    if (c->state == ST_CONNECTING || c->state == ST_HEADERS) {
        streams_connecting--;
        streams_failed++;
    } else {
        stream_drops++;
    }
    conn_close(c);
}

static void stream_start(struct conn *c, int index, bool staff)
{
    char req[1024];
    const char *path = staff ? "/api/v1/stream" : "/api/v1/widget/stream";
    const char *tok = staff ? staff_token : tokens[index];
    size_t len = (size_t)snprintf(req, sizeof req,
                                  "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n"
                                  "Authorization: Bearer %s\r\n\r\n",
                                  path, host_header, tok);
    c->role = ROLE_STREAM;
    c->index = index;
    c->staff = staff;
    c->line = malloc(LINE_MAX_BYTES);
    c->line_len = 0;
    c->fd = -1;
    conn_connect(c);
    conn_send(c, req, len);
    streams_connecting++;
}

/* posting */
static struct conn posters[POSTERS];
static int64_t posts_due;

static void poster_response(struct conn *c, int status, char *body, size_t len)
{
    (void)body;
    (void)len;
    int64_t k = c->tag;
    c->tag = -1;
    if (status == 201 || status == 200) {
        posts_acked++;
        lat_ack[n_ack++] = now_us() - post_sent_us[k];
    } else {
        posts_failed++;
        if (posts_failed < 5) fprintf(stderr, "fanout: post %lld: HTTP %d: %.200s\n", (long long)k, status, body);
    }
}

static void poster_send(struct conn *c)
{
    int64_t k = posts_sent++;
    int64_t v = k % ntargets;
    post_target[k] = v;
    char body[160], req[1024];
    int bl = snprintf(body, sizeof body, "{\"body\":\"adviser reply fo#%lld# thanks for waiting\"}", (long long)k);
    size_t len = (size_t)snprintf(req, sizeof req,
                                  "POST /api/v1/conversations/%lld/messages HTTP/1.1\r\nHost: %s\r\n"
                                  "Authorization: Bearer %s\r\nIdempotency-Key: fo-post-%lld\r\n"
                                  "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                                  (long long)target_conv[v], host_header, staff_token, (long long)k, bl, body);
    c->tag = k;
    post_sent_us[k] = now_us();
    conn_send(c, req, len);
    conn_flush(c);
}

static int timer_fd = -1;

static void post_tick(void)
{
    uint64_t expirations = 0;
    if (read(timer_fd, &expirations, sizeof expirations) == sizeof expirations) posts_due += (int64_t)expirations;
    for (int i = 0; i < POSTERS && posts_due > 0 && posts_sent < total_posts; i++) {
        if (posters[i].tag < 0 && posters[i].state != ST_DEAD) {
            poster_send(&posters[i]);
            posts_due--;
        }
    }
}

static void dispatch_response(struct conn *c, int status, char *body, size_t len)
{
    poster_response(c, status, body, len);
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct_ms(int64_t *v, int64_t n, double p)
{
    if (n <= 0) return -1;
    int64_t i = (int64_t)(p / 100.0 * (double)n);
    if (i >= n) i = n - 1;
    return (double)v[i] / 1000.0;
}

static int cmd_run(const char *tokfile)
{
    load_tokens(tokfile, nvisitors);
    if (ntargets > nvisitors) ntargets = nvisitors;
    total_posts = rate * seconds;

    /* 1. a conversation for each target visitor */
    target_conv = calloc((size_t)ntargets, sizeof *target_conv);
    int64_t t0 = now_us();
    pool_run(ntargets, 32, make_first_message, got_first_message);
    pool_close();
    printf("fanout: conversations opened=%lld seconds=%.2f\n", (long long)ntargets, (double)(now_us() - t0) / 1e6);
    fflush(stdout);

    /* 2. the streams, at most 256 connecting at a time */
    H.on_stream_open = stream_open;
    H.on_stream_line = stream_line;
    H.on_error = stream_error;
    H.on_response = dispatch_response;
    int64_t nstreams = nvisitors + nstaff;
    streams = calloc((size_t)nstreams, sizeof *streams);
    t0 = now_us();
    int64_t started = 0;
    while (streams_ok + streams_failed < nstreams) {
        while (started < nstreams && streams_connecting < 256) {
            bool staff = started >= nvisitors;
            stream_start(&streams[started], staff ? (int)(started - nvisitors) : (int)started, staff);
            started++;
        }
        bool never = false;
        loop(&never, now_us() + 20000, NULL);
        if (now_us() - t0 > 60000000) break;
    }
    double open_s = (double)(now_us() - t0) / 1e6;
    printf("fanout: streams open=%lld failed=%lld (visitor=%lld staff=%lld) seconds=%.2f\n",
           (long long)streams_ok, (long long)streams_failed, (long long)nvisitors, (long long)nstaff, open_s);
    fflush(stdout);
    if (streams_failed) die("%lld streams failed to open", (long long)streams_failed);

    /* 3. posts at a fixed rate from separate connections */
    post_sent_us = calloc((size_t)total_posts, sizeof *post_sent_us);
    post_target = calloc((size_t)total_posts, sizeof *post_target);
    lat_visitor = calloc((size_t)total_posts, sizeof *lat_visitor);
    lat_ack = calloc((size_t)total_posts, sizeof *lat_ack);
    lat_staff = calloc((size_t)(total_posts * nstaff + 1), sizeof *lat_staff);
    got_visitor = calloc((size_t)total_posts, 1);
    for (int i = 0; i < POSTERS; i++) {
        posters[i].fd = -1;
        posters[i].role = ROLE_REQ;
        posters[i].tag = -1;
        conn_connect(&posters[i]);
    }
    bool never = false;
    loop(&never, now_us() + 200000, NULL); /* let the posters connect */
    timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    struct itimerspec its = {0};
    int64_t interval_ns = 1000000000LL / rate;
    its.it_interval.tv_sec = interval_ns / 1000000000LL;
    its.it_interval.tv_nsec = interval_ns % 1000000000LL;
    its.it_value = its.it_interval;
    timerfd_settime(timer_fd, 0, &its, NULL);
    struct epoll_event tev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, timer_fd, &tev);
    t0 = now_us();
    while (posts_sent < total_posts && now_us() - t0 < (seconds + 30) * 1000000LL) {
        loop(&never, now_us() + 1000, post_tick);
    }
    double post_s = (double)(now_us() - t0) / 1e6;
    /* wait for the stragglers: every ack and every visitor event, at most 10 s */
    int64_t deadline = now_us() + 10000000;
    while (now_us() < deadline && (posts_acked + posts_failed < posts_sent ||
                                   n_visitor < posts_acked || n_staff < posts_acked * staff_ok))
        loop(&never, now_us() + 10000, NULL);

    int64_t nst = n_staff < total_posts * nstaff ? n_staff : total_posts * nstaff;
    qsort(lat_visitor, (size_t)n_visitor, sizeof(int64_t), cmp64);
    qsort(lat_staff, (size_t)nst, sizeof(int64_t), cmp64);
    qsort(lat_ack, (size_t)n_ack, sizeof(int64_t), cmp64);
    printf("fanout: posts=%lld in %.2fs acked=%lld failed=%lld ack_p50_ms=%.2f ack_p99_ms=%.2f\n",
           (long long)posts_sent, post_s, (long long)posts_acked, (long long)posts_failed,
           pct_ms(lat_ack, n_ack, 50), pct_ms(lat_ack, n_ack, 99));
    printf("fanout: visitor events=%lld/%lld dup=%lld p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
           (long long)n_visitor, (long long)posts_acked, (long long)n_visitor_dup,
           pct_ms(lat_visitor, n_visitor, 50), pct_ms(lat_visitor, n_visitor, 99),
           pct_ms(lat_visitor, n_visitor, 100));
    printf("fanout: staff events=%lld/%lld p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n", (long long)n_staff,
           (long long)(posts_acked * staff_ok), pct_ms(lat_staff, nst, 50), pct_ms(lat_staff, nst, 99),
           pct_ms(lat_staff, nst, 100));
    printf("fanout: streams=%lld dropped=%lld stray=%lld visitor_p99_ms=%.2f staff_p99_ms=%.2f\n",
           (long long)streams_ok, (long long)stream_drops, (long long)n_stray,
           pct_ms(lat_visitor, n_visitor, 99), pct_ms(lat_staff, nst, 99));
    fflush(stdout);
    bool bad = posts_failed || n_visitor < posts_acked || stream_drops;
    return bad ? 2 : 0;
}

/* ---- main ------------------------------------------------------------------------------- */

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void parse_addr(const char *hp)
{
    char host[64];
    const char *colon = strrchr(hp, ':');
    if (!colon || (size_t)(colon - hp) >= sizeof host) die("address must be HOST:PORT, got %s", hp);
    memcpy(host, hp, (size_t)(colon - hp));
    host[colon - hp] = 0;
    server_addr.sin_family = AF_INET;
    server_addr.sin_port = htons((uint16_t)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &server_addr.sin_addr) != 1) die("bad IPv4 address %s", host);
    snprintf(host_header, sizeof host_header, "%s", hp);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: fanout sessions HOST:PORT N OUTFILE\n"
                        "       fanout run HOST:PORT TOKENS STAFF_TOKEN [--visitors V] [--staff S]"
                        " [--targets T] [--rate R] [--seconds D]\n");
        return 64;
    }
    raise_nofile();
    setvbuf(stdout, NULL, _IOLBF, 0);
    parse_addr(argv[2]);
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (!strcmp(argv[1], "sessions") && argc >= 5) return cmd_sessions(atoll(argv[3]), argv[4]);
    if (!strcmp(argv[1], "run") && argc >= 5) {
        staff_token = argv[4];
        nvisitors = 9900;
        nstaff = 100;
        ntargets = 2000;
        rate = 200;
        seconds = 10;
        for (int i = 5; i + 1 < argc; i += 2) {
            int64_t v = atoll(argv[i + 1]);
            if (!strcmp(argv[i], "--visitors")) nvisitors = v;
            else if (!strcmp(argv[i], "--staff")) nstaff = v;
            else if (!strcmp(argv[i], "--targets")) ntargets = v;
            else if (!strcmp(argv[i], "--rate")) rate = v;
            else if (!strcmp(argv[i], "--seconds")) seconds = v;
            else die("unknown option %s", argv[i]);
        }
        if (rate <= 0 || seconds <= 0 || ntargets <= 0 || nvisitors <= 0) die("bad options");
        return cmd_run(argv[3]);
    }
    die("unknown command %s", argv[1]);
}
