/* The bot service inside `parley serve`: one thread, subscribed to the bus, that answers
 * customer messages in conversations whose status is "bot" (bot_turn.c decides; the answer,
 * the new state and any hand-off go to the store as one STORE_BOT_TURN), records the first
 * human reply after a hand-off, resolves conversations whose confirmation window passed (an
 * indexed sweep) and, at start, answers messages a restart left unanswered. It keeps a small
 * cache per tenant: flows (reloaded when their files change), the NLU model (reloaded when a
 * new version is stored) and the slug. */
#define _GNU_SOURCE /* pthread_setname_np */
#include "bot.h"
#include "bot_int.h"
#include "bot_text.h"
#include "../common/log.h"
#include "../common/util.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_TENANTS    256
#define FLOWS_CHECK_MS 5000 /* how often a tenant's flow directory is looked at again */
#define SWEEP_BATCH    100
#define CATCH_UP_BATCH 500
#define KB_SNIPPET_MAX 400

struct tenant_cache {
    int64_t id;
    char slug[64];
    struct flow_set *flows;
    uint64_t flows_sig;
    int64_t flows_checked_ms;
    struct nlu_model *model;
    int64_t model_version;
};

struct bot_service {
    const struct parley_config *cfg;
    struct store *store;
    struct bus *bus;
    struct bus_sub *sub;
    struct store_reader *reader;
    char parley_url[160];
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool pending, stopping;
    struct tenant_cache tenants[MAX_TENANTS];
    size_t n_tenants;
    int64_t sweep_every_ms;
};

/* ---- tenant cache: flows and the NLU model ------------------------------------------------ */

/* A cheap signature of a directory's *.json files (names, sizes, mtimes). */
static uint64_t dir_signature(const char *dir)
{
    uint64_t sig = 1469598103934665603ULL;
    DIR *d = opendir(dir);
    if (d == NULL) return 0;
    char path[1600];
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0) continue;
        struct stat st;
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path) ||
            stat(path, &st) != 0)
            continue;
        uint64_t h = (uint64_t)st.st_size * 31 + (uint64_t)st.st_mtim.tv_sec * 1000000007ULL +
                     (uint64_t)st.st_mtim.tv_nsec;
        for (const char *p = e->d_name; *p != '\0'; p++) h = h * 131 + (unsigned char)*p;
        sig ^= h; /* order-independent */
    }
    closedir(d);
    return sig;
}

static void refresh_flows(struct bot_service *b, struct tenant_cache *t, int64_t now)
{
    if (t->flows != NULL && now - t->flows_checked_ms < FLOWS_CHECK_MS) return;
    t->flows_checked_ms = now;
    char dir[600];
    snprintf(dir, sizeof(dir), "%s/%s", b->cfg->bot_flows_dir, t->slug);
    uint64_t sig = dir_signature(dir);
    if (t->flows != NULL && sig == t->flows_sig) return;
    struct flow_set *set;
    struct parley_err err = {0};
    if (flow_set_load_dir(dir, &set, &err) != 0) {
        log_msg(LOG_WARN, "bot", "event=flows_rejected tenant=%s error=\"%s\"", t->slug,
                err.message);
        if (t->flows == NULL) t->flows = calloc(1, sizeof(struct flow_set));
        t->flows_sig = sig;
        return;
    }
    flow_set_free(t->flows);
    t->flows = set;
    t->flows_sig = sig;
    log_msg(LOG_INFO, "bot", "event=flows_loaded tenant=%s flows=%zu", t->slug, set->n);
}

static void refresh_model(struct bot_service *b, struct tenant_cache *t)
{
#if BOT_HAVE_NLU
    int64_t version = 0;
    struct parley_err err = {0};
    if (store_get_nlu_model_version(b->reader, t->id, &version, &err) != 0) return;
    if (version == t->model_version) return;
    struct arena a;
    arena_init(&a);
    const void *blob;
    size_t len;
    struct nlu_model *m = NULL;
    if (version > 0 &&
        store_get_nlu_model(b->reader, t->id, &version, &blob, &len, &a, &err) == 0 &&
        nlu_model_load(blob, len, &m, &err) == 0) {
        log_msg(LOG_INFO, "bot", "event=model_loaded tenant=%s version=%lld", t->slug,
                (long long)version);
    } else if (version > 0) {
        log_msg(LOG_WARN, "bot", "event=model_rejected tenant=%s error=\"%s\"", t->slug,
                err.message);
    }
    arena_free(&a);
    nlu_model_free(t->model);
    t->model = m;
    t->model_version = version;
#else
    (void)b;
    (void)t;
#endif
}

static struct tenant_cache *tenant_get(struct bot_service *b, int64_t id, int64_t now)
{
    struct tenant_cache *t = NULL;
    for (size_t i = 0; i < b->n_tenants && t == NULL; i++)
        if (b->tenants[i].id == id) t = &b->tenants[i];
    if (t == NULL) {
        struct tenant tn;
        struct arena a;
        arena_init(&a);
        int rc = store_get_tenant(b->reader, id, &tn, &a, NULL);
        if (rc == 0 && b->n_tenants < MAX_TENANTS) {
            t = &b->tenants[b->n_tenants++];
            memset(t, 0, sizeof(*t));
            t->id = id;
            snprintf(t->slug, sizeof(t->slug), "%s", tn.slug);
        }
        arena_free(&a);
        if (t == NULL) return NULL;
    }
    refresh_flows(b, t, now);
    refresh_model(b, t);
    return t;
}

/* ---- what a turn needs from outside ------------------------------------------------------- */

struct turn_ctx {
    struct bot_service *b;
    struct tenant_cache *t;
};

static int env_predict(void *ud, const char *text, size_t len, struct nlu_result *out)
{
#if BOT_HAVE_NLU
    struct turn_ctx *c = ud;
    if (c->t->model == NULL) return -1;
    return nlu_predict(c->t->model, text, len, out);
#else
    (void)ud;
    (void)text;
    (void)len;
    (void)out;
    return -1;
#endif
}

static void env_sentiment(void *ud, const char *text, size_t len, struct sentiment *out)
{
    (void)ud;
#if BOT_HAVE_SENTIMENT
    sentiment_score(text, len, out);
#else
    (void)text;
    (void)len;
    memset(out, 0, sizeof(*out));
#endif
}

/* Search snippets are HTML (escaped text with <mark> around matches): a chat message wants
 * the plain words back. */
static char *plain_snippet(const char *html, struct arena *a)
{
    static const struct {
        const char *from, *to;
    } entities[] = {{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}};
    size_t n = strlen(html);
    char *out = arena_alloc(a, n + 1);
    if (out == NULL) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n && k < KB_SNIPPET_MAX;) {
        if (strncmp(html + i, "<mark>", 6) == 0) {
            i += 6;
            continue;
        }
        if (strncmp(html + i, "</mark>", 7) == 0) {
            i += 7;
            continue;
        }
        bool done = false;
        for (size_t e = 0; e < sizeof(entities) / sizeof(entities[0]) && !done; e++) {
            size_t el = strlen(entities[e].from);
            if (strncmp(html + i, entities[e].from, el) == 0) {
                out[k++] = entities[e].to[0];
                i += el;
                done = true;
            }
        }
        if (!done) out[k++] = html[i++];
    }
    out[k] = '\0';
    return out;
}

static int env_kb_search(void *ud, const char *query, struct bot_kb_answer *out, struct arena *a)
{
#if BOT_HAVE_KB
    struct turn_ctx *c = ud;
    char q[KB_MAX_QUERY + 1];
    snprintf(q, sizeof(q), "%s", query);
    struct kb_hit *hits;
    size_t n;
    if (store_kb_search(c->b->reader, c->t->id, q, 1, &hits, &n, a, NULL) != 0 || n == 0)
        return PARLEY_ENOTFOUND;
    out->slug = hits[0].slug;
    out->title = hits[0].title;
    out->snippet = plain_snippet(hits[0].snippet != NULL ? hits[0].snippet : "", a);
    out->score = hits[0].score;
    return 0;
#else
    (void)ud;
    (void)query;
    (void)out;
    (void)a;
    (void)plain_snippet;
    return PARLEY_ENOTFOUND;
#endif
}

static int env_kb_article(void *ud, const char *slug, struct bot_kb_answer *out, struct arena *a)
{
#if BOT_HAVE_KB
    struct turn_ctx *c = ud;
    struct kb_article art;
    if (store_kb_get_by_slug(c->b->reader, c->t->id, slug, &art, a, NULL) != 0 ||
        art.status != KB_PUBLISHED)
        return PARLEY_ENOTFOUND;
    out->slug = art.slug;
    out->title = art.title;
    const char *text = art.text != NULL ? art.text : "";
    size_t len = strlen(text);
    if (len > KB_SNIPPET_MAX) {
        len = KB_SNIPPET_MAX;
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80) len--;
    }
    out->snippet = arena_printf(a, "%.*s%s", (int)len, text, strlen(text) > len ? "…" : "");
    out->score = 0;
    return 0;
#else
    (void)ud;
    (void)slug;
    (void)out;
    (void)a;
    return PARLEY_ENOTFOUND;
#endif
}

static int env_action(void *ud, const char *method, const char *url, const char *body,
                      int timeout_ms, int retries, json_t **response)
{
    (void)ud;
    return bot_action_call(method, url, body, timeout_ms, retries, response);
}

/* ---- turns ------------------------------------------------------------------------------------
 */

static void load_policy(struct bot_service *b, int64_t tenant_id, struct bot_policy *p,
                        struct arena *a)
{
    bot_policy_defaults(p);
    const char *json;
    if (store_bot_get_policy(b->reader, tenant_id, &json, a, NULL) == 0) {
        struct parley_err err = {0};
        if (bot_policy_parse(json, strlen(json), p, &err) != 0)
            log_msg(LOG_WARN, "bot", "event=policy_invalid tenant_id=%lld error=\"%s\"",
                    (long long)tenant_id, err.message);
    }
}

static int submit_turn(struct bot_service *b, int64_t tenant_id, int64_t conv_id,
                       int64_t handled_seq, const struct bot_state *s, const struct bot_decision *d)
{
    struct store_cmd cmd;
    store_cmd_init(&cmd, STORE_BOT_TURN);
    cmd.tenant_id = tenant_id;
    cmd.actor = "bot";
    struct bot_turn *t = &cmd.in.bot_turn;
    t->conversation_id = conv_id;
    t->handled_seq = handled_seq;
    t->state = bot_state_dump(s, &cmd.arena);
    for (size_t i = 0; i < d->n_replies; i++) t->replies[i] = d->replies[i];
    t->n_replies = d->n_replies;
    t->note = d->note;
    t->resolve_due_at = d->resolve_due_at;
    t->outcome = d->outcome;
    t->reason = d->reason;
    t->intent = d->intent;
    t->priority = d->priority;
    t->resolved_how = d->resolved_how;
    int rc = store_exec(b->store, &cmd);
    if (rc != 0)
        log_msg(LOG_WARN, "bot", "event=turn_failed conversation_id=%lld code=%s error=\"%s\"",
                (long long)conv_id, parley_err_code_name(rc), cmd.err.message);
    else if (d->outcome == BOT_OUTCOME_HANDOFF && cmd.result_id != 0)
        log_msg(LOG_INFO, "bot", "event=handoff conversation_id=%lld reason=%s intent=%s",
                (long long)conv_id, d->reason, d->intent != NULL ? d->intent : "unknown");
    store_cmd_release(&cmd);
    return rc;
}

/* Answers customer message seq (body) in a conversation, if it is still the bot's. */
static void answer(struct bot_service *b, int64_t tenant_id, int64_t conv_id, int64_t seq,
                   const char *body)
{
    struct arena a;
    arena_init(&a);
    int64_t now = util_now_ms();
    struct conversation c;
    struct bot_conv_state cs;
    struct tenant_cache *t = NULL;
    if (store_get_conversation(b->reader, tenant_id, conv_id, &c, &a, NULL) != 0 ||
        c.status != CONV_BOT)
        goto out;
    int rc = store_bot_get_state(b->reader, tenant_id, conv_id, &cs, &a, NULL);
    if (rc != 0 && rc != PARLEY_ENOTFOUND) goto out;
    if (rc == 0 && cs.handled_seq >= seq) goto out; /* answered already (catch-up overlap) */
    t = tenant_get(b, tenant_id, now);
    if (t == NULL) goto out;
    struct bot_policy policy;
    load_policy(b, tenant_id, &policy, &a);
    struct bot_state s;
    bot_state_load(&s, rc == 0 ? cs.state : NULL);
    struct turn_ctx ctx = {.b = b, .t = t};
    struct customer cust;
    const char *name = NULL;
    if (store_get_customer(b->reader, tenant_id, c.customer_id, &cust, &a, NULL) == 0)
        name = cust.name;
    struct bot_env env = {.policy = &policy,
                          .flows = t->flows,
                          .now_ms = now,
                          .parley_url = b->parley_url,
                          .tenant = t->slug,
                          .reference = c.reference,
                          .customer_name = name != NULL ? name : "",
                          .ud = &ctx,
                          .predict = env_predict,
                          .sentiment = env_sentiment,
                          .kb_search = env_kb_search,
                          .kb_article = env_kb_article,
                          .action = env_action};
    struct bot_decision d;
    bot_turn(&env, &s, body, strlen(body), &d, &a);
    submit_turn(b, tenant_id, conv_id, seq, &s, &d);
    bot_state_release(&s);
out:
    arena_free(&a);
}

static void first_reply(struct bot_service *b, const struct event *e, int64_t message_id,
                        int64_t author, int64_t at)
{
    int64_t handoff_at;
    if (store_bot_open_handoff(b->reader, e->tenant_id, e->conversation_id, &handoff_at, NULL) != 0)
        return;
    struct store_cmd cmd;
    store_cmd_init(&cmd, STORE_BOT_FIRST_REPLY);
    cmd.tenant_id = e->tenant_id;
    cmd.actor = "bot";
    cmd.in.bot_first_reply.conversation_id = e->conversation_id;
    cmd.in.bot_first_reply.message_id = message_id;
    cmd.in.bot_first_reply.user_id = author;
    cmd.in.bot_first_reply.at = at;
    if (store_exec(b->store, &cmd) != 0)
        log_msg(LOG_WARN, "bot", "event=first_reply_failed conversation_id=%lld",
                (long long)e->conversation_id);
    store_cmd_release(&cmd);
}

static void on_event(struct bot_service *b, const struct event *e)
{
    if (strcmp(e->type, "message.created") != 0 || e->data == NULL) return;
    json_t *m = json_loads(e->data, 0, NULL);
    if (m == NULL) return;
    const char *sender = json_string_value(json_object_get(m, "sender"));
    const char *body = json_string_value(json_object_get(m, "body"));
    bool internal = json_is_true(json_object_get(m, "internal"));
    int64_t seq = json_integer_value(json_object_get(m, "seq"));
    if (sender != NULL && body != NULL && strcmp(sender, "customer") == 0)
        answer(b, e->tenant_id, e->conversation_id, seq, body);
    else if (sender != NULL && strcmp(sender, "agent") == 0 && !internal)
        first_reply(b, e, json_integer_value(json_object_get(m, "id")),
                    json_integer_value(json_object_get(m, "author_id")),
                    json_integer_value(json_object_get(m, "created_at")));
    json_decref(m);
}

static void on_batch(void *ud, const struct bus_batch *batch)
{
    struct bot_service *b = ud;
    if (batch->flags & BUS_EPHEMERAL) return;
    for (size_t i = 0; i < batch->n; i++) on_event(b, &batch->events[i]);
}

/* ---- sweeps -----------------------------------------------------------------------------------
 */

static void sweep_due(struct bot_service *b)
{
    struct arena a;
    arena_init(&a);
    struct bot_due *due;
    size_t n;
    if (store_bot_list_due(b->reader, util_now_ms(), SWEEP_BATCH, &due, &n, &a, NULL) == 0) {
        for (size_t i = 0; i < n; i++) {
            struct bot_conv_state cs;
            if (store_bot_get_state(b->reader, due[i].tenant_id, due[i].conversation_id, &cs, &a,
                                    NULL) != 0)
                continue;
            struct bot_state s;
            bot_state_load(&s, cs.state);
            struct bot_decision d;
            bot_turn_timeout(&s, &d);
            submit_turn(b, due[i].tenant_id, due[i].conversation_id, 0, &s, &d);
            bot_state_release(&s);
        }
    }
    arena_free(&a);
}

static void catch_up(struct bot_service *b)
{
    struct arena a;
    arena_init(&a);
    struct bot_due *todo;
    size_t n;
    if (store_bot_list_unanswered(b->reader, CATCH_UP_BATCH, &todo, &n, &a, NULL) == 0) {
        for (size_t i = 0; i < n; i++) {
            struct conversation c;
            if (store_get_conversation(b->reader, todo[i].tenant_id, todo[i].conversation_id, &c,
                                       &a, NULL) != 0)
                continue;
            struct store_page page = {.after = c.last_seq - 1, .limit = 1};
            struct message *msgs;
            size_t nm;
            int64_t next;
            if (store_list_messages(b->reader, todo[i].tenant_id, c.id, false, &page, &msgs, &nm,
                                    &next, &a, NULL) == 0 &&
                nm == 1 && msgs[0].sender == SENDER_CUSTOMER)
                answer(b, todo[i].tenant_id, c.id, msgs[0].seq, msgs[0].body);
        }
        if (n > 0) log_msg(LOG_INFO, "bot", "event=catch_up conversations=%zu", n);
    }
    arena_free(&a);
}

/* ---- the thread -------------------------------------------------------------------------------
 */

static void on_wake(void *ud)
{
    struct bot_service *b = ud;
    pthread_mutex_lock(&b->mu);
    b->pending = true;
    pthread_cond_signal(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

static void *bot_main(void *arg)
{
    struct bot_service *b = arg;
    pthread_setname_np(pthread_self(), "parley-bot");
    catch_up(b);
    int64_t next_sweep = util_now_ms();
    for (;;) {
        pthread_mutex_lock(&b->mu);
        while (!b->pending && !b->stopping) {
            int64_t wait = next_sweep - util_now_ms();
            if (wait <= 0) break;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += wait / 1000;
            ts.tv_nsec += (long)(wait % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&b->cv, &b->mu, &ts);
        }
        bool pending = b->pending, stopping = b->stopping;
        b->pending = false;
        pthread_mutex_unlock(&b->mu);
        if (stopping) break;
        if (pending) bus_drain(b->sub, on_batch, b);
        if (util_now_ms() >= next_sweep) {
            sweep_due(b);
            next_sweep = util_now_ms() + b->sweep_every_ms;
        }
    }
    return NULL;
}

static void parley_url_from_listen(const char *listen, char *out, size_t outsize)
{
    const char *colon = strrchr(listen, ':');
    const char *port = colon != NULL ? colon + 1 : "8080";
    size_t hl = colon != NULL ? (size_t)(colon - listen) : 0;
    char host[128];
    snprintf(host, sizeof(host), "%.*s", (int)hl, listen);
    if (hl == 0 || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "*") == 0)
        snprintf(host, sizeof(host), "127.0.0.1");
    else if (strcmp(host, "[::]") == 0)
        snprintf(host, sizeof(host), "[::1]");
    snprintf(out, outsize, "http://%s:%s", host, port);
}

int bot_service_start(const struct parley_config *cfg, struct store *store, struct bus *bus,
                      struct bot_service **out, struct parley_err *err)
{
    *out = NULL;
    struct bot_service *b = calloc(1, sizeof(*b));
    if (b == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    b->cfg = cfg;
    b->store = store;
    b->bus = bus;
    if (!cfg->bot) { /* switched off: conversations go straight to the queue */
        *out = b;
        return 0;
    }
    parley_url_from_listen(cfg->listen, b->parley_url, sizeof(b->parley_url));
    b->sweep_every_ms = (int64_t)cfg->bot_sweep_s * 1000;
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    int rc = store_reader_open(store, &b->reader, err);
    if (rc == 0) rc = bus_subscribe(bus, on_wake, b, &b->sub, err);
    if (rc == 0 && pthread_create(&b->thread, NULL, bot_main, b) != 0)
        rc = parley_fail(err, PARLEY_EIO, NULL, "cannot start the bot thread");
    if (rc != 0) {
        bus_unsubscribe(b->sub);
        store_reader_close(b->reader);
        pthread_mutex_destroy(&b->mu);
        pthread_cond_destroy(&b->cv);
        free(b);
        return rc;
    }
    b->started = true;
    log_msg(LOG_INFO, "bot", "event=start flows_dir=%s", cfg->bot_flows_dir);
    *out = b;
    return 0;
}

void bot_service_stop(struct bot_service *b)
{
    if (b == NULL) return;
    if (b->started) {
        pthread_mutex_lock(&b->mu);
        b->stopping = true;
        pthread_cond_signal(&b->cv);
        pthread_mutex_unlock(&b->mu);
        pthread_join(b->thread, NULL);
        bus_unsubscribe(b->sub);
        store_reader_close(b->reader);
        pthread_mutex_destroy(&b->mu);
        pthread_cond_destroy(&b->cv);
    }
    for (size_t i = 0; i < b->n_tenants; i++) {
        flow_set_free(b->tenants[i].flows);
#if BOT_HAVE_NLU
        nlu_model_free(b->tenants[i].model);
#endif
    }
    free(b);
}

bool bot_service_enabled(const struct bot_service *b)
{
    return b != NULL && b->started;
}
