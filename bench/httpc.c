/* The bench HTTP client (httpc.h): connections, response parsing (Content-Length and
 * chunked), SSE line splitting, the epoll loop and request pools. */
#define _GNU_SOURCE
#include "httpc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in server_addr;
char host_header[64];
int ep;

int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void die(const char *fmt, ...)
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

static void conn_want(struct conn *c, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
}

int conn_connect(struct conn *c)
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

void conn_close(struct conn *c)
{
    if (c->fd >= 0) {
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->state = ST_DEAD;
    c->wlen = c->woff = 0; /* nothing left to send on a new connection */
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
void conn_send(struct conn *c, const char *req, size_t len)
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

bool conn_flush(struct conn *c)
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

struct handlers H;

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
                c->ck_line[c->ck_line_len < sizeof c->ck_line ? c->ck_line_len
                                                              : sizeof c->ck_line - 1] = 0;
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
                c->content_length =
                    header_has(c->rbuf, hlen, "content-length", NULL, &cl) ? cl : -1;
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
void loop(volatile bool *stop, int64_t deadline_us, void (*tick)(void))
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

bool json_str(const char *body, const char *key, char *out, size_t cap)
{
    const char *p = json_after_key(body, key);
    if (!p || *p++ != '"') return false;
    const char *e = strchr(p, '"');
    if (!e || (size_t)(e - p) >= cap) return false;
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = 0;
    return true;
}

bool json_int(const char *body, const char *key, int64_t *out)
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

void pool_run(int64_t total, int nconns, size_t (*make)(int64_t, char *, size_t),
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

void pool_close(void)
{
    for (int k = 0; k < P.nconns; k++) conn_close(&P.conns[k]);
}

/* ---- set-up ---------------------------------------------------------------------------- */

void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

void parse_addr(const char *hp)
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
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1: %s", strerror(errno));
}
