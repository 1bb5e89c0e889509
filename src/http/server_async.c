/* Work that finishes on another thread and comes back to the request's own event loop: store
 * commands (completed on the writer thread) and offloaded CPU work (argon2id on a pool of
 * workers). Both return through the loop's h2o_multithread queue; the request holds a
 * reference for each, so a client that hangs up never leaves a completion pointing at freed
 * memory, and the write commits either way. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "server_int.h"

#define OFFLOAD_QUEUE_MAX 1024 /* jobs waiting; beyond it the request gets 503 */

enum completion_kind { DONE_CMD, DONE_OFFLOAD };

/* The head of every message sent to a loop's done_receiver. */
struct completion {
    h2o_multithread_message_t msg; /* first: messages are cast back to completions */
    enum completion_kind kind;
    struct http_thread *thread;
    struct http_req *hr; /* NULL for fire-and-forget commands (audit) */
};

struct pending_cmd {
    struct completion c;
    api_done_fn on_done; /* NULL: the default reply */
    struct store_cmd cmd;
};

struct offload_job {
    struct completion c;
    struct offload_job *next;
    void (*work)(void *arg);
    void *arg;
    void (*after)(struct api_req *r, void *arg);
};

struct offload_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct offload_job *head, **tail;
    size_t queued;
    bool stop;
    int nworkers;
    pthread_t workers[];
};

/* ---- commands -------------------------------------------------------------------------------- */

/* SHA-256 of "METHOD path\n" + body: the same request retried hashes the same. */
static void request_hash(const struct api_req *r, char out[65])
{
    crypto_hash_sha256_state st;
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)r->method, strlen(r->method));
    crypto_hash_sha256_update(&st, (const unsigned char *)" ", 1);
    crypto_hash_sha256_update(&st, (const unsigned char *)r->path, strlen(r->path));
    crypto_hash_sha256_update(&st, (const unsigned char *)"\n", 1);
    if (r->body_len > 0)
        crypto_hash_sha256_update(&st, (const unsigned char *)r->body, r->body_len);
    crypto_hash_sha256_final(&st, h);
    sodium_bin2hex(out, 65, h, sizeof(h));
}

static struct pending_cmd *pending_new(struct api_req *r, enum store_cmd_kind kind)
{
    struct pending_cmd *pc = calloc(1, sizeof(*pc));
    if (pc == NULL) return NULL;
    store_cmd_init(&pc->cmd, kind);
    pc->c.kind = DONE_CMD;
    pc->c.thread = r->thread;
    struct store_cmd *cmd = &pc->cmd;
    cmd->tenant_id = r->who.tenant_id;
    cmd->actor = arena_strdup(&cmd->arena, r->actor[0] != '\0' ? r->actor : "anonymous");
    /* Least privilege until a handler says otherwise (public routes have no role). */
    cmd->viewer_role = r->who.kind == PRINCIPAL_USER ? r->who.role : ROLE_EXPERT;
    cmd->viewer_is_customer = r->who.kind == PRINCIPAL_CUSTOMER;
    if (cmd->actor == NULL) {
        store_cmd_release(cmd);
        free(pc);
        return NULL;
    }
    return pc;
}

struct store_cmd *api_cmd_new(struct api_req *r, enum store_cmd_kind kind)
{
    struct pending_cmd *pc = pending_new(r, kind);
    if (pc == NULL) {
        api_fail(r, PARLEY_ENOMEM, NULL, "out of memory; retry shortly");
        return NULL;
    }
    struct store_cmd *cmd = &pc->cmd;
    if (r->idempotency_key != NULL) {
        cmd->idem_key = arena_strdup(&cmd->arena, r->idempotency_key);
        cmd->idem_scope = cmd->actor;
    }
    request_hash(r, cmd->request_hash);
    return cmd;
}

/* Writer thread: hand the finished command back to the loop that owns its request. */
static void on_cmd_done(struct store_cmd *cmd)
{
    struct pending_cmd *pc = cmd->ud;
    h2o_multithread_send_message(&pc->c.thread->done_receiver, &pc->c.msg);
}

static void default_done(struct api_req *r, struct store_cmd *cmd)
{
    if (cmd->status != 0) {
        struct parley_err e = cmd->err;
        if (e.code == 0) e.code = cmd->status;
        api_reply_error(r, &e);
    } else if (cmd->result_json == NULL) {
        api_reply_empty(r);
    } else {
        api_reply_raw(r, cmd->created ? 201 : 200, cmd->result_json, strlen(cmd->result_json),
                      cmd->replayed);
    }
}

void api_submit(struct api_req *r, struct store_cmd *cmd, api_done_fn on_done)
{
    struct pending_cmd *pc =
        (struct pending_cmd *)((char *)cmd - offsetof(struct pending_cmd, cmd));
    struct http_req *hr = http_req_of(r);
    pc->on_done = on_done;
    pc->c.hr = hr;
    cmd->done = on_cmd_done;
    cmd->ud = pc;
    hr->refs++;
    hr->ops++;
    r->thread->pending++;
    int rc = store_submit(r->store, cmd);
    if (rc != 0) {
        r->thread->pending--;
        hr->ops--;
        hr->refs--; /* never the last: the caller still holds the request */
        store_cmd_release(cmd);
        free(pc);
        api_fail(r, PARLEY_EBUSY, NULL, "the server is busy or stopping; retry shortly");
    }
}

void api_audit(struct api_req *r, const char *action, const char *object, const char *detail_json)
{
    struct pending_cmd *pc = pending_new(r, STORE_APPEND_AUDIT);
    if (pc == NULL) {
        log_msg(LOG_WARN, "http", "event=audit_dropped action=%s reason=nomem", action);
        return;
    }
    struct store_cmd *cmd = &pc->cmd;
    struct audit_entry *a = &cmd->in.append_audit;
    a->tenant_id = r->who.tenant_id;
    a->actor = cmd->actor;
    a->action = arena_strdup(&cmd->arena, action);
    a->object = arena_strdup(&cmd->arena, object);
    a->detail = arena_strdup(&cmd->arena, detail_json != NULL ? detail_json : "{}");
    cmd->done = on_cmd_done;
    cmd->ud = pc;
    r->thread->pending++;
    if (a->action == NULL || a->object == NULL || a->detail == NULL ||
        store_submit(r->store, cmd) != 0) {
        r->thread->pending--;
        log_msg(LOG_WARN, "http", "event=audit_dropped action=%s reason=busy", action);
        store_cmd_release(cmd);
        free(pc);
    }
}

/* The handler after a completion must leave a reply behind, like the first one. */
static void check_replied(struct http_req *hr, const char *what)
{
    if (!hr->replied && !hr->streaming && hr->ops == 0 && hr->req != NULL) {
        log_msg(LOG_ERROR, "http", "event=no_reply method=%s path=%s after=%s", hr->api.method,
                hr->api.path, what);
        api_fail(&hr->api, PARLEY_EINTERNAL, NULL, "the handler produced no reply");
    }
}

static void finish_cmd(struct pending_cmd *pc)
{
    struct http_req *hr = pc->c.hr;
    if (hr == NULL) {
        if (pc->cmd.status != 0)
            log_msg(LOG_WARN, "http", "event=audit_failed code=%s",
                    parley_err_code_name(pc->cmd.status));
    } else {
        hr->ops--;
        if (hr->req != NULL) {
            (pc->on_done != NULL ? pc->on_done : default_done)(&hr->api, &pc->cmd);
            check_replied(hr, "command");
        } else {
            log_msg(LOG_DEBUG, "http", "event=late_completion what=command status=%d",
                    pc->cmd.status);
        }
        http_req_release(hr);
    }
    store_cmd_release(&pc->cmd);
    free(pc);
}

/* ---- offloaded work -------------------------------------------------------------------------- */

static void finish_offload(struct offload_job *job)
{
    struct http_req *hr = job->c.hr;
    hr->ops--;
    if (hr->req != NULL) {
        job->after(&hr->api, job->arg);
        check_replied(hr, "offload");
    } else {
        log_msg(LOG_DEBUG, "http", "event=late_completion what=offload");
    }
    http_req_release(hr);
    free(job);
}

void api_offload(struct api_req *r, void (*work)(void *arg), void *arg,
                 void (*after)(struct api_req *r, void *arg))
{
    struct offload_pool *pool = r->thread->srv->offload;
    struct http_req *hr = http_req_of(r);
    struct offload_job *job = calloc(1, sizeof(*job));
    if (job == NULL) {
        api_fail(r, PARLEY_ENOMEM, NULL, "out of memory; retry shortly");
        return;
    }
    job->c.kind = DONE_OFFLOAD;
    job->c.thread = r->thread;
    job->c.hr = hr;
    job->work = work;
    job->arg = arg;
    job->after = after;
    pthread_mutex_lock(&pool->mu);
    bool full = pool->queued >= OFFLOAD_QUEUE_MAX || pool->stop;
    if (!full) {
        *pool->tail = job;
        pool->tail = &job->next;
        pool->queued++;
        pthread_cond_signal(&pool->cv);
    }
    pthread_mutex_unlock(&pool->mu);
    if (full) {
        free(job);
        api_fail(r, PARLEY_EBUSY, NULL, "too many requests are waiting; retry shortly");
        return;
    }
    hr->refs++;
    hr->ops++;
    r->thread->pending++;
    /* job belongs to the queue now; a worker hands it back through the loop's receiver */
    // cppcheck-suppress memleak
}

static void *offload_worker(void *arg)
{
    struct offload_pool *pool = arg;
    for (;;) {
        pthread_mutex_lock(&pool->mu);
        while (pool->head == NULL && !pool->stop) pthread_cond_wait(&pool->cv, &pool->mu);
        struct offload_job *job = pool->head;
        if (job == NULL) {
            pthread_mutex_unlock(&pool->mu);
            return NULL;
        }
        pool->head = job->next;
        if (pool->head == NULL) pool->tail = &pool->head;
        pool->queued--;
        pthread_mutex_unlock(&pool->mu);
        job->work(job->arg);
        h2o_multithread_send_message(&job->c.thread->done_receiver, &job->c.msg);
    }
}

int offload_pool_start(struct http_server *srv, int workers, struct parley_err *err)
{
    struct offload_pool *pool = calloc(1, sizeof(*pool) + (size_t)workers * sizeof(pthread_t));
    if (pool == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    pthread_mutex_init(&pool->mu, NULL);
    pthread_cond_init(&pool->cv, NULL);
    pool->tail = &pool->head;
    srv->offload = pool;
    for (int i = 0; i < workers; i++) {
        if (pthread_create(&pool->workers[i], NULL, offload_worker, pool) != 0) {
            offload_pool_stop(srv);
            return parley_fail(err, PARLEY_EIO, NULL, "cannot start a worker thread");
        }
        pool->nworkers++;
    }
    return 0;
}

void offload_pool_stop(struct http_server *srv)
{
    struct offload_pool *pool = srv->offload;
    if (pool == NULL) return;
    pthread_mutex_lock(&pool->mu);
    pool->stop = true;
    pthread_cond_broadcast(&pool->cv);
    pthread_mutex_unlock(&pool->mu);
    for (int i = 0; i < pool->nworkers; i++) pthread_join(pool->workers[i], NULL);
    pthread_mutex_destroy(&pool->mu);
    pthread_cond_destroy(&pool->cv);
    free(pool);
    srv->offload = NULL;
}

/* ---- the loop side --------------------------------------------------------------------------- */

void http_on_done_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    struct http_thread *t = H2O_STRUCT_FROM_MEMBER(struct http_thread, done_receiver, receiver);
    while (!h2o_linklist_is_empty(messages)) {
        h2o_multithread_message_t *m =
            H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
        h2o_linklist_unlink(&m->link);
        struct completion *c = (struct completion *)m;
        t->pending--;
        if (c->kind == DONE_CMD)
            finish_cmd((struct pending_cmd *)c);
        else
            finish_offload((struct offload_job *)c);
    }
}
