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
 * and ends with `fanout: … visitor_p99_ms=N …`; it exits 2 when a post failed, a visitor
 * missed an event or a stream dropped. The HTTP plumbing is bench/httpc.c. */
#define _GNU_SOURCE
#include "httpc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define POSTERS 4

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
    if (status != 201 && status != 200)
        die("session %lld: HTTP %d: %.300s", (long long)i, status, body);
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
    if (ntokens < want)
        die("%s holds %lld tokens, %lld needed", path, (long long)ntokens, (long long)want);
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
    int bl = snprintf(body, sizeof body, "{\"body\":\"hello, I need help (fanout visitor %lld)\"}",
                      (long long)i);
    return (size_t)snprintf(buf, cap,
                            "POST /api/v1/widget/messages HTTP/1.1\r\nHost: %s\r\n"
                            "Authorization: Bearer %s\r\nIdempotency-Key: fo-open-%lld\r\n"
                            "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                            host_header, tokens[i], (long long)i, bl, body);
}

static void got_first_message(int64_t i, int status, char *body)
{
    if (status != 201 && status != 200)
        die("first message %lld: HTTP %d: %.300s", (long long)i, status, body);
    if (!json_int(body, "conversation_id", &target_conv[i]))
        die("no conversation_id in %.300s", body);
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
        /* An idle keep-alive connection may be closed by the server (request timeout):
         * reconnect. Losing one with a post in flight is a failure. */
        if (c->tag >= 0)
            die("poster connection failed with post %lld in flight: %s", (long long)c->tag, why);
        conn_close(c);
        conn_connect(c);
        return;
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
        if (posts_failed < 5)
            fprintf(stderr, "fanout: post %lld: HTTP %d: %.200s\n", (long long)k, status, body);
    }
}

static void poster_send(struct conn *c)
{
    int64_t k = posts_sent++;
    int64_t v = k % ntargets;
    post_target[k] = v;
    char body[160], req[1024];
    int bl = snprintf(body, sizeof body, "{\"body\":\"adviser reply fo#%lld# thanks for waiting\"}",
                      (long long)k);
    size_t len = (size_t)snprintf(
        req, sizeof req,
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
    if (read(timer_fd, &expirations, sizeof expirations) == sizeof expirations)
        posts_due += (int64_t)expirations;
    /* round-robin over the free posters, so each connection carries its share */
    static int next;
    for (int k = 0; k < POSTERS && posts_due > 0 && posts_sent < total_posts; k++) {
        struct conn *c = &posters[next];
        next = (next + 1) % POSTERS;
        if (c->tag < 0 && c->state != ST_DEAD) {
            poster_send(c);
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
    printf("fanout: conversations opened=%lld seconds=%.2f\n", (long long)ntargets,
           (double)(now_us() - t0) / 1e6);
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
            stream_start(&streams[started], staff ? (int)(started - nvisitors) : (int)started,
                         staff);
            started++;
        }
        bool never = false;
        loop(&never, now_us() + 20000, NULL);
        if (now_us() - t0 > 60000000) break;
    }
    double open_s = (double)(now_us() - t0) / 1e6;
    printf("fanout: streams open=%lld failed=%lld (visitor=%lld staff=%lld) seconds=%.2f\n",
           (long long)streams_ok, (long long)streams_failed, (long long)nvisitors,
           (long long)nstaff, open_s);
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
    printf("fanout: staff events=%lld/%lld p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
           (long long)n_staff, (long long)(posts_acked * staff_ok), pct_ms(lat_staff, nst, 50),
           pct_ms(lat_staff, nst, 99), pct_ms(lat_staff, nst, 100));
    printf("fanout: streams=%lld dropped=%lld stray=%lld visitor_p99_ms=%.2f staff_p99_ms=%.2f\n",
           (long long)streams_ok, (long long)stream_drops, (long long)n_stray,
           pct_ms(lat_visitor, n_visitor, 99), pct_ms(lat_staff, nst, 99));
    fflush(stdout);
    bool bad = posts_failed || n_visitor < posts_acked || stream_drops;
    return bad ? 2 : 0;
}

/* ---- main ------------------------------------------------------------------------------- */

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
            if (!strcmp(argv[i], "--visitors"))
                nvisitors = v;
            else if (!strcmp(argv[i], "--staff"))
                nstaff = v;
            else if (!strcmp(argv[i], "--targets"))
                ntargets = v;
            else if (!strcmp(argv[i], "--rate"))
                rate = v;
            else if (!strcmp(argv[i], "--seconds"))
                seconds = v;
            else
                die("unknown option %s", argv[i]);
        }
        if (rate <= 0 || seconds <= 0 || ntargets <= 0 || nvisitors <= 0) die("bad options");
        return cmd_run(argv[3]);
    }
    die("unknown command %s", argv[1]);
}
