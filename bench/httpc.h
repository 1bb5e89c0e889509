/* A minimal HTTP/1.1 client on one epoll loop for the bench programs (bench/fanout.c):
 * non-blocking sockets, requests with Content-Length, responses with Content-Length or
 * chunked bodies, long-lived streaming responses split into lines. It trusts the server's
 * framing and exits on anything it cannot follow: a bench client, not a library. */
#ifndef PARLEY_BENCH_HTTPC_H
#define PARLEY_BENCH_HTTPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RBUF_MAX       (256 * 1024) /* most a request/response connection buffers */
#define LINE_MAX_BYTES 65536        /* longest SSE line kept; longer lines are scanned in pieces */
#define REQ_CONNS      64           /* most connections a request pool uses */

enum conn_role { ROLE_REQ, ROLE_STREAM };
enum conn_state { ST_CONNECTING, ST_HEADERS, ST_BODY, ST_IDLE, ST_DEAD };
enum chunk_state { CK_SIZE, CK_DATA, CK_DATA_END, CK_TRAILER, CK_DONE };

struct conn {
    int fd;
    enum conn_role role;
    enum conn_state state;
    int index;  /* stream: visitor index or staff index; request: pool slot */
    bool staff; /* stream kind */
    char *wbuf; /* pending request bytes */
    size_t wlen, woff;
    char *rbuf; /* headers, then (requests) the decoded body */
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
    int64_t tag; /* request: caller's id of the request in flight, -1 when none */
    int64_t sent_us;
    int retries;
};

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
/* What the caller plugs in (pool_run sets on_response and on_error for its requests). */
extern struct handlers H;
extern char host_header[64]; /* "HOST:PORT", for Host headers */
extern int ep;               /* the epoll instance */

int64_t now_us(void); /* monotonic */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Raises RLIMIT_NOFILE to the hard limit. */
void raise_nofile(void);
/* Sets the server address from "HOST:PORT" (IPv4) and creates the epoll instance. */
void parse_addr(const char *hp);

int conn_connect(struct conn *c);
void conn_close(struct conn *c);
/* Queues a request (copied); it goes out as soon as the socket is writable. */
void conn_send(struct conn *c, const char *req, size_t len);
bool conn_flush(struct conn *c);
/* Runs the loop until *stop, or until deadline_us (0: none); tick runs after each wake-up. */
void loop(volatile bool *stop, int64_t deadline_us, void (*tick)(void));

/* The string / integer value of "key" in a JSON text (server output, trusted). */
bool json_str(const char *body, const char *key, char *out, size_t cap);
bool json_int(const char *body, const char *key, int64_t *out);

/* Runs requests 0..total-1 over nconns keep-alive connections: make(i) writes request i,
 * got(i) receives its response (body NUL-terminated). A failed connection is reopened and
 * the request resent (3 times at most). */
void pool_run(int64_t total, int nconns, size_t (*make)(int64_t, char *, size_t),
              void (*got)(int64_t, int, char *));
void pool_close(void);

#endif
