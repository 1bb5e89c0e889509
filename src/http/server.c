/* http_serve: one h2o event loop per thread, each with its own SO_REUSEPORT listening socket,
 * store reader and live-stream hub; signals, connection limits and the graceful stop.
 * Request dispatch lives in server_dispatch.c, completions in server_async.c. */
#define _GNU_SOURCE /* pipe2 */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/log.h"
#include "../bot/bot.h"
#include "../bot/nlu_cache.h"
#include "../common/util.h"
#include "../route/route.h"
#include "server_int.h"

#define MAX_THREADS           256
#define ACCEPT_BURST          32    /* connections accepted per readiness callback */
#define STOP_IDLE_TIMEOUT_MS  200   /* idle keep-alive connections close this fast when stopping */
#define STOP_CONN_DEADLINE_MS 10000 /* connections still open after this are abandoned */
#define FD_RESERVE            128   /* descriptors kept for the store, pipes and logs */

/* LeakSanitizer's hook, consulted only in sanitizer builds: h2o 2.2.5 keeps a cache of
 * memory-pool chunks in a static thread-local that nothing can release, so every stopped
 * event loop leaves up to 16 chunks behind. Only allocations made through h2o's recycler are
 * exempt; everything else stays checked. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:h2o_mem_alloc_recycle\n";
}

/* ---- signals: a self-pipe, so whichever thread the kernel picks only writes one byte --------- */

static int stop_pipe[2] = {-1, -1};

static void on_stop_signal(int sig)
{
    int saved = errno;
    char c = (char)sig;
    ssize_t w = write(stop_pipe[1], &c, 1);
    (void)w;
    errno = saved;
}

static int signals_install(struct sigaction old[2], struct parley_err *err)
{
    if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return parley_fail(err, PARLEY_EIO, NULL, "cannot create the signal pipe: %s",
                           strerror(errno));
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old[0]);
    sigaction(SIGTERM, &sa, &old[1]);
    /* a peer that hangs up must not kill the process on write */
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

/* After the first signal: a second one acts as before us (usually: stop at once). */
static void signals_reset(const struct sigaction old[2])
{
    sigaction(SIGINT, &old[0], NULL);
    sigaction(SIGTERM, &old[1], NULL);
}

static void signals_restore(const struct sigaction old[2])
{
    signals_reset(old);
    close(stop_pipe[0]);
    close(stop_pipe[1]);
    stop_pipe[0] = stop_pipe[1] = -1;
}

/* Housekeeping on the main thread, which otherwise only waits for a signal: old events and
 * idempotency keys past event_retention_days are pruned a minute after start, then hourly
 * (each prune is bounded, see cmd_prune, so it never stalls the writer for long). */
#define HOUSEKEEPING_FIRST_MS (60 * 1000)
#define HOUSEKEEPING_EVERY_MS (60 * 60 * 1000)

static void housekeeping(struct http_server *srv)
{
    struct store_cmd cmd;
    store_cmd_init(&cmd, STORE_PRUNE);
    cmd.actor = "system";
    cmd.in.prune_before_ms =
        util_now_ms() - (int64_t)srv->cfg->event_retention_days * 24 * 60 * 60 * 1000;
    if (store_exec(srv->store, &cmd) == 0)
        log_msg(LOG_INFO, "http", "event=prune events=%lld", (long long)cmd.result_id);
    else
        log_msg(LOG_WARN, "http", "event=prune_failed code=%s", parley_err_code_name(cmd.status));
    store_cmd_release(&cmd);
}

static int wait_for_stop_signal(struct http_server *srv)
{
    int64_t next = util_now_ms() + HOUSEKEEPING_FIRST_MS;
    for (;;) {
        int64_t wait = next - util_now_ms();
        struct pollfd p = {.fd = stop_pipe[0], .events = POLLIN};
        int n = poll(&p, 1, wait > 0 ? (int)wait : 0);
        if (n < 0 && errno != EINTR) return SIGTERM;
        if (n == 0) {
            housekeeping(srv);
            next = util_now_ms() + HOUSEKEEPING_EVERY_MS;
            continue;
        }
        char c;
        if (n > 0 && read(stop_pipe[0], &c, 1) == 1) return (unsigned char)c;
    }
}

/* ---- listening sockets ----------------------------------------------------------------------- */

/* "host:port", "[v6]:port", ":port" or "*:port" → a resolved address. */
static int resolve_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *sslen,
                          struct parley_err *err)
{
    char host[128];
    const char *colon = strrchr(listen, ':');
    if (colon == NULL || colon[1] == '\0' || (size_t)(colon - listen) >= sizeof(host))
        return parley_fail(err, PARLEY_EINVAL, "listen", "listen must be host:port, got \"%s\"",
                           listen);
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    char *h = host;
    size_t hl = strlen(h);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h[hl - 1] = '\0';
        h++;
    }
    if (h[0] == '\0' || strcmp(h, "*") == 0) h = "0.0.0.0";
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || port < 0 || port > 65535)
        return parley_fail(err, PARLEY_EINVAL, "listen", "bad port in listen \"%s\"", listen);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int rc = getaddrinfo(h, colon + 1, &hints, &res);
    if (rc != 0 || res == NULL)
        return parley_fail(err, PARLEY_EINVAL, "listen", "cannot resolve \"%s\": %s", h,
                           gai_strerror(rc));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *sslen = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
    if (ss->ss_family == AF_INET)
        ((struct sockaddr_in *)ss)->sin_port = htons(port);
    else if (ss->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static uint16_t get_port(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) return ntohs(((const struct sockaddr_in *)ss)->sin_port);
    if (ss->ss_family == AF_INET6) return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
    return 0;
}

static int bind_socket(const struct sockaddr_storage *ss, socklen_t len, bool reuseport, int *out,
                       struct parley_err *err)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return parley_fail(err, PARLEY_EIO, "listen", "socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
        close(fd);
        return parley_fail(err, PARLEY_EIO, "listen", "SO_REUSEPORT: %s", strerror(errno));
    }
    if (bind(fd, (const struct sockaddr *)ss, len) != 0) {
        int e = errno;
        close(fd);
        return parley_fail(err, PARLEY_EIO, "listen", "cannot bind: %s", strerror(e));
    }
    *out = fd;
    return 0;
}

/* Opens one listening socket per thread on the same address. A first plain bind (without
 * SO_REUSEPORT) proves nobody else holds the port, since another process of the same user
 * that set SO_REUSEPORT would otherwise silently share it; it also resolves port 0. */
static int open_listeners(struct http_server *srv, struct parley_err *err)
{
    struct sockaddr_storage ss;
    socklen_t len = 0;
    int rc = resolve_listen(srv->cfg->listen, &ss, &len, err);
    if (rc != 0) return rc;
    int probe;
    struct parley_err bind_err = {0};
    rc = bind_socket(&ss, len, false, &probe, &bind_err);
    if (rc != 0)
        return parley_fail(err, PARLEY_EIO, "listen", "cannot listen on %s: %s", srv->cfg->listen,
                           bind_err.message);
    struct sockaddr_storage bound;
    socklen_t blen = sizeof(bound);
    getsockname(probe, (struct sockaddr *)&bound, &blen);
    close(probe);
    set_port(&ss, get_port(&bound));

    char host[INET6_ADDRSTRLEN] = "?";
    getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), NULL, 0, NI_NUMERICHOST);
    snprintf(srv->listen_addr, sizeof(srv->listen_addr),
             ss.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host, (unsigned)get_port(&ss));

    for (int i = 0; i < srv->nthreads; i++) {
        int fd;
        rc = bind_socket(&ss, len, true, &fd, err);
        if (rc == 0 && listen(fd, H2O_SOMAXCONN) != 0) {
            rc = parley_fail(err, PARLEY_EIO, "listen", "listen: %s", strerror(errno));
            close(fd);
        }
        if (rc != 0) {
            for (int k = 0; k < i; k++) close(srv->threads[k].listen_fd);
            return rc;
        }
        srv->threads[i].listen_fd = fd;
    }
    return 0;
}

/* ---- connections ----------------------------------------------------------------------------- */

static void on_accept(h2o_socket_t *listener, const char *err);

static void on_socket_close(void *data)
{
    struct http_thread *t = data;
    t->connections--;
    atomic_fetch_sub(&t->srv->connections, 1);
    if (t->accept_paused && !t->stopping && t->connections < t->max_connections) {
        t->accept_paused = false;
        h2o_socket_read_start(t->listener, on_accept);
    }
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    struct http_thread *t = listener->data;
    if (err != NULL) return;
    for (int i = 0; i < ACCEPT_BURST; i++) {
        if (t->connections >= t->max_connections) {
            /* New connections wait in the kernel's backlog until one closes here. */
            h2o_socket_read_stop(listener);
            t->accept_paused = true;
            log_msg(LOG_WARN, "http", "event=accept_paused thread=%d connections=%zu", t->index,
                    t->connections);
            return;
        }
        h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
        if (sock == NULL) return;
        t->connections++;
        atomic_fetch_add(&t->srv->connections, 1);
        /* Live-stream frames are small and latency-bound: no Nagle delay. */
        int one = 1;
        setsockopt(h2o_socket_get_fd(sock), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        sock->on_close.cb = on_socket_close;
        sock->on_close.data = t;
        h2o_accept(&t->accept_ctx, sock);
    }
}

/* ---- per-thread messages --------------------------------------------------------------------- */

static void on_bus_wake(void *ud)
{
    struct http_thread *t = ud;
    h2o_multithread_send_message(&t->bus_receiver, &t->bus_doorbell);
}

static void on_bus_messages(h2o_multithread_receiver_t *rc, h2o_linklist_t *messages)
{
    struct http_thread *t = H2O_STRUCT_FROM_MEMBER(struct http_thread, bus_receiver, rc);
    /* Unlink the doorbell before draining: a publish after the drain may ring it again. */
    while (!h2o_linklist_is_empty(messages)) h2o_linklist_unlink(messages->next);
    if (t->bus_sub != NULL) bus_drain(t->bus_sub, sse_on_batch, t);
}

static void begin_stop(struct http_thread *t)
{
    if (t->stopping) return;
    t->stopping = true;
    if (t->listener != NULL) {
        h2o_socket_read_stop(t->listener);
        h2o_socket_close(t->listener);
        t->listener = NULL;
    }
    sse_hub_shutdown(t->hub);
    h2o_context_request_shutdown(&t->ctx);
    /* Idle keep-alive connections would otherwise linger for the full request timeout.
     * Entries of one h2o_timeout_t expire in registration order, so shortening the shared
     * timeout keeps that order. */
    t->ctx.http1.req_timeout.timeout = STOP_IDLE_TIMEOUT_MS;
    t->ctx.http2.idle_timeout.timeout = STOP_IDLE_TIMEOUT_MS;
}

static void on_ctl_messages(h2o_multithread_receiver_t *rc, h2o_linklist_t *messages)
{
    struct http_thread *t = H2O_STRUCT_FROM_MEMBER(struct http_thread, ctl_receiver, rc);
    while (!h2o_linklist_is_empty(messages)) h2o_linklist_unlink(messages->next);
    begin_stop(t);
}

/* ---- thread lifecycle ------------------------------------------------------------------------ */

static pthread_mutex_t start_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t start_cv = PTHREAD_COND_INITIALIZER;
static int started_count;

static void report_started(struct http_thread *t, int status)
{
    pthread_mutex_lock(&start_mu);
    t->start_status = status;
    started_count++;
    pthread_cond_broadcast(&start_cv);
    pthread_mutex_unlock(&start_mu);
}

static int thread_setup(struct http_thread *t)
{
    struct http_server *srv = t->srv;
    t->loop = h2o_evloop_create();
    h2o_context_init(&t->ctx, t->loop, &srv->globalconf);
    t->accept_ctx.ctx = &t->ctx;
    t->accept_ctx.hosts = srv->globalconf.hosts;
    h2o_multithread_register_receiver(t->ctx.queue, &t->done_receiver, http_on_done_messages);
    h2o_multithread_register_receiver(t->ctx.queue, &t->bus_receiver, on_bus_messages);
    h2o_multithread_register_receiver(t->ctx.queue, &t->ctl_receiver, on_ctl_messages);
    int rc = store_reader_open(srv->store, &t->reader, &t->start_err);
    if (rc != 0) return rc;
    t->tenants = tenant_cache_new();
    t->hub = sse_hub_new(t);
    if (t->tenants == NULL || t->hub == NULL)
        return parley_fail(&t->start_err, PARLEY_ENOMEM, NULL, "out of memory");
    rc = bus_subscribe(srv->bus, on_bus_wake, t, &t->bus_sub, &t->start_err);
    if (rc != 0) return rc;
    t->listener = h2o_evloop_socket_create(t->loop, t->listen_fd, H2O_SOCKET_FLAG_DONT_READ);
    t->listen_fd = -1; /* owned by the h2o socket now */
    t->listener->data = t;
    h2o_socket_read_start(t->listener, on_accept);
    return 0;
}

static void thread_teardown(struct http_thread *t)
{
    bus_unsubscribe(t->bus_sub);
    t->bus_sub = NULL;
    /* A doorbell rung before the unsubscribe may still sit in the queue. */
    while (!h2o_linklist_is_empty(&t->bus_receiver._messages)) h2o_evloop_run(t->loop, 0);
    if (t->listener != NULL) {
        h2o_socket_read_stop(t->listener);
        h2o_socket_close(t->listener);
        t->listener = NULL;
    }
    if (t->listen_fd >= 0) close(t->listen_fd);
    sse_hub_free(t->hub);
    tenant_cache_free(t->tenants);
    if (t->reader != NULL) store_reader_close(t->reader);
    t->reader = NULL;
    if (t->connections != 0) {
        /* h2o has no way to drop a connection it owns; the process is exiting anyway. */
        log_msg(LOG_WARN, "http", "event=stop_abandoned thread=%d connections=%zu", t->index,
                t->connections);
        return;
    }
    /* h2o_context_request_shutdown arms a one-second GOAWAY resend for HTTP/2; with no
     * connection left it has nothing to do, and dispose insists the timer is idle. */
    if (h2o_timeout_is_linked(&t->ctx.http2._graceful_shutdown_timeout))
        h2o_timeout_unlink(&t->ctx.http2._graceful_shutdown_timeout);
    h2o_multithread_unregister_receiver(t->ctx.queue, &t->done_receiver);
    h2o_multithread_unregister_receiver(t->ctx.queue, &t->bus_receiver);
    h2o_multithread_unregister_receiver(t->ctx.queue, &t->ctl_receiver);
    h2o_multithread_queue_t *queue = t->ctx.queue;
    h2o_context_dispose(&t->ctx);
    free(queue); /* h2o 2.2.5's evloop flavour closes the queue's pipe but never frees it */
    h2o_evloop_run(t->loop, 0); /* lets closed sockets be freed */
    h2o_evloop_destroy(t->loop);
    /* Socket buffers this thread recycled; popping them through the public call empties
     * the per-thread cache. */
    h2o_mem_recycle_t *cache = &h2o_socket_buffer_prototype.allocator;
    while (cache->cnt != 0) free(h2o_mem_alloc_recycle(cache, 1));
}

static void *thread_main(void *arg)
{
    struct http_thread *t = arg;
    int rc = thread_setup(t);
    report_started(t, rc);
    if (rc == 0) {
        int64_t deadline = 0;
        for (;;) {
            h2o_evloop_run(t->loop, t->stopping ? 50 : INT32_MAX);
            if (!t->stopping) continue;
            int64_t now = util_mono_ns() / 1000000;
            if (deadline == 0) deadline = now + STOP_CONN_DEADLINE_MS;
            /* In-flight commands always finish (their writes commit either way); open
             * connections get until the deadline. */
            if (t->pending == 0 && (t->connections == 0 || now >= deadline)) break;
        }
    } else {
        /* wait for the stop message so teardown never races the main thread's sends */
        while (!t->stopping) h2o_evloop_run(t->loop, INT32_MAX);
    }
    thread_teardown(t);
    return NULL;
}

/* ---- the store's event sink (writer thread) -------------------------------------------------- */

static void on_store_events(void *ud, const struct event *events, size_t n)
{
    struct http_server *srv = ud;
    if (bus_publish(srv->bus, events, n, 0) != 0)
        log_msg(LOG_WARN, "http", "event=bus_drop events=%zu", n);
}

/* ---- http_serve ------------------------------------------------------------------------------ */

static int thread_count(const struct parley_config *cfg)
{
    long n = cfg->threads > 0 ? cfg->threads : sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    if (n > MAX_THREADS) n = MAX_THREADS;
    return (int)n;
}

/* Raises the descriptor limit to the hard limit and returns how many connections fit. */
static size_t connection_budget(const struct parley_config *cfg)
{
    struct rlimit rl;
    size_t want = cfg->max_connections > 0 ? (size_t)cfg->max_connections : 1;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return want;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    size_t fit = rl.rlim_cur > FD_RESERVE * 2 ? (size_t)rl.rlim_cur - FD_RESERVE : FD_RESERVE;
    if (want > fit) {
        log_msg(LOG_INFO, "http", "event=max_connections_clamped max_connections=%zu nofile=%zu",
                want, (size_t)rl.rlim_cur);
        return fit;
    }
    return want;
}

static void configure_h2o(struct http_server *srv)
{
    h2o_config_init(&srv->globalconf);
    srv->globalconf.server_name = h2o_iovec_init(H2O_STRLIT("parley"));
    /* Bodies up to entity_cap reach the handler, which answers 413 in JSON above
     * max_body_bytes; h2o's own plain 413 only guards memory beyond that. */
    size_t max_body = (size_t)srv->cfg->max_body_bytes;
    size_t cap = max_body > SIZE_MAX / 2 ? SIZE_MAX / 2 : max_body * 2;
    if (cap < max_body + 65536) cap = max_body + 65536;
    srv->entity_cap = cap;
    srv->globalconf.max_request_entity_size = cap;
    h2o_hostconf_t *host =
        h2o_config_register_host(&srv->globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    h2o_handler_t *handler = h2o_create_handler(path, sizeof(*handler));
    handler->on_req = http_on_req;
}

static void stop_threads(struct http_server *srv, int started)
{
    for (int i = 0; i < started; i++)
        h2o_multithread_send_message(&srv->threads[i].ctl_receiver, &srv->threads[i].ctl_stop);
    for (int i = 0; i < started; i++) pthread_join(srv->threads[i].tid, NULL);
}

int http_serve(const struct parley_config *cfg, struct store *store, struct parley_err *err)
{
    struct http_server *srv = calloc(1, sizeof(*srv));
    if (srv == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    srv->cfg = cfg;
    srv->store = store;
    srv->started_ms = util_now_ms();
    srv->nthreads = thread_count(cfg);
    srv->threads = calloc((size_t)srv->nthreads, sizeof(*srv->threads));
    int rc = srv->threads == NULL ? parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory") : 0;
    if (rc == 0) rc = open_listeners(srv, err);
    if (rc != 0) {
        free(srv->threads);
        free(srv);
        return rc;
    }
    size_t budget = connection_budget(cfg);
    rc = bus_open_local(&srv->bus, err);
    if (rc == 0) rc = offload_pool_start(srv, 2, err);
    if (rc == 0 && nlu_cache_new(&srv->nlu) != 0) /* NLU */
        rc = parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    if (rc == 0) rc = bot_service_start(cfg, store, srv->bus, &srv->bot, err);
    if (rc == 0) rc = route_service_start(cfg, store, srv->bus, &srv->route, err);
    struct sigaction old_sig[2];
    bool signals = false;
    if (rc == 0) rc = signals_install(old_sig, err);
    signals = rc == 0;
    configure_h2o(srv);
    if (rc == 0) store_set_event_sink(store, on_store_events, srv);

    int started = 0;
    started_count = 0;
    for (int i = 0; rc == 0 && i < srv->nthreads; i++) {
        struct http_thread *t = &srv->threads[i];
        t->srv = srv;
        t->index = i;
        t->max_connections = (budget + (size_t)srv->nthreads - 1) / (size_t)srv->nthreads;
        if (pthread_create(&t->tid, NULL, thread_main, t) != 0) {
            rc = parley_fail(err, PARLEY_EIO, NULL, "cannot start an event loop thread");
            break;
        }
        started++;
    }
    pthread_mutex_lock(&start_mu);
    while (started_count < started) pthread_cond_wait(&start_cv, &start_mu);
    pthread_mutex_unlock(&start_mu);
    for (int i = 0; rc == 0 && i < started; i++) {
        if (srv->threads[i].start_status != 0) {
            rc = srv->threads[i].start_status;
            if (err != NULL) *err = srv->threads[i].start_err;
        }
    }
    for (int i = started; i < srv->nthreads; i++) close(srv->threads[i].listen_fd);

    if (rc == 0) {
        log_msg(LOG_INFO, "http",
                "event=start listen=%s threads=%d version=%s max_connections=%zu "
                "max_body_bytes=%lld entity_cap=%zu",
                srv->listen_addr, srv->nthreads, PARLEY_VERSION, budget,
                (long long)cfg->max_body_bytes, srv->entity_cap);
        int sig = wait_for_stop_signal(srv);
        signals_reset(old_sig);
        log_msg(LOG_INFO, "http", "event=stopping signal=%d connections=%ld streams=%ld", sig,
                atomic_load(&srv->connections), atomic_load(&srv->streams));
    }
    stop_threads(srv, started);
    offload_pool_stop(srv);
    nlu_cache_free(srv->nlu); /* NLU */
    route_service_stop(srv->route);
    bot_service_stop(srv->bot);
    store_set_event_sink(store, NULL, NULL);
    bus_close(srv->bus);
    h2o_config_dispose(&srv->globalconf);
    if (signals) signals_restore(old_sig);
    if (rc == 0)
        log_msg(LOG_INFO, "http", "event=stop uptime_s=%lld requests=%ld",
                (long long)((util_now_ms() - srv->started_ms) / 1000), atomic_load(&srv->requests));
    free(srv->threads);
    free(srv);
    return rc;
}
