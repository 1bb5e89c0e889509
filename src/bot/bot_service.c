/* The bot service inside `parley serve`: one thread, subscribed to the bus, that answers
 * customer messages in conversations whose status is "bot" (bot_turn.c decides; the answer,
 * the new state and any hand-off go to the store as one STORE_BOT_TURN), records the first
 * human reply after a hand-off, resolves conversations whose confirmation window passed (an
 * indexed sweep) and, at start, answers messages a restart left unanswered. It keeps a small
 * cache per tenant: flows (reloaded when their files change), the NLU model (reloaded when a
 * new version is stored) and the slug.
 *
 * A turn that reaches a flow's HTTP action is parked (its state, replies so far and arena in an
 * `inflight` slot) while the action runs on the worker pool (bot_pool.c); the bot thread goes on
 * with other conversations. The finished job comes back through the pool's completion list (the
 * pool rings the same doorbell as the bus), the turn continues and commits as one STORE_BOT_TURN,
 * then the conversation's messages that arrived meanwhile are answered in order from the
 * database. Nothing is committed while an action runs, so a restart answers the message again
 * and re-runs the action with the same Idempotency-Key. A message asking for a person (or in
 * distress) does not wait: it hands off at once and the action's result is dropped. */
#define _GNU_SOURCE /* pthread_setname_np */
#include "bot.h"
#include "bot_int.h"
#include "bot_pool.h"
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
/* the action workers (docs/bot.md, "HTTP actions") */
#define ACTION_WORKERS        4
#define ACTION_QUEUE_MAX      64 /* waiting for a worker, all tenants */
#define ACTION_TENANT_MAX     16 /* one tenant's actions waiting or running */
#define ACTION_TENANT_RUNNING 2  /* one tenant's actions running at once */
#define INFLIGHT_MAX          128
#define UNANSWERED_PAGE       50
#define UNANSWERED_PAGES      20

struct tenant_cache {
    int64_t id;
    char slug[64];
    struct flow_set *flows;
    uint64_t flows_sig;
    int64_t flows_checked_ms;
    struct nlu_model *model;
    int64_t model_version;
};

/* A turn waiting for its action (owned by the bot thread). */
struct inflight {
    bool used;
    bool abandoned; /* handed off meanwhile: the job's result is dropped when it comes back */
    int64_t tenant_id, conversation_id, seq;
    uint64_t job_id;
    struct bot_state s;
    struct bot_decision d;
    struct arena a; /* d's strings */
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
    bool pending, actions_done, stopping;
    struct bot_pool *pool;
    struct inflight inflight[INFLIGHT_MAX];
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

/* Everything a turn needs from outside, for a conversation still with the bot. */
struct turn_env {
    struct turn_ctx ctx;
    struct bot_policy policy;
    struct conversation c;
    struct bot_env env;
};

static bool turn_env_build(struct bot_service *b, int64_t tenant_id, int64_t conv_id,
                           struct turn_env *te, struct arena *a)
{
    int64_t now = util_now_ms();
    if (store_get_conversation(b->reader, tenant_id, conv_id, &te->c, a, NULL) != 0 ||
        te->c.status != CONV_BOT)
        return false;
    struct tenant_cache *t = tenant_get(b, tenant_id, now);
    if (t == NULL) return false;
    load_policy(b, tenant_id, &te->policy, a);
    te->ctx = (struct turn_ctx){.b = b, .t = t};
    struct customer cust;
    const char *name = NULL;
    if (store_get_customer(b->reader, tenant_id, te->c.customer_id, &cust, a, NULL) == 0)
        name = cust.name;
    te->env = (struct bot_env){.policy = &te->policy,
                               .flows = t->flows,
                               .now_ms = now,
                               .parley_url = b->parley_url,
                               .tenant = t->slug,
                               .reference = te->c.reference,
                               .customer_name = name != NULL ? name : "",
                               .ud = &te->ctx,
                               .predict = env_predict,
                               .sentiment = env_sentiment,
                               .kb_search = env_kb_search,
                               .kb_article = env_kb_article};
    return true;
}

/* ---- turns waiting for an action ----------------------------------------------------------- */

static struct inflight *inflight_of(struct bot_service *b, int64_t conv_id)
{
    for (size_t i = 0; i < INFLIGHT_MAX; i++)
        if (b->inflight[i].used && !b->inflight[i].abandoned &&
            b->inflight[i].conversation_id == conv_id)
            return &b->inflight[i];
    return NULL;
}

static void inflight_release(struct inflight *f)
{
    if (!f->abandoned) {
        bot_state_release(&f->s);
        arena_free(&f->a);
    }
    memset(f, 0, sizeof(*f));
}

/* Parks the turn (s, d and a move into a slot) and queues its action. 0, or PARLEY_ELIMIT when
 * the pool or the slots are full (the caller keeps s, d and a). */
static int start_action(struct bot_service *b, int64_t tenant_id, int64_t conv_id, int64_t seq,
                        struct bot_state *s, const struct bot_decision *d, struct arena *a)
{
    struct inflight *f = NULL;
    for (size_t i = 0; i < INFLIGHT_MAX && f == NULL; i++)
        if (!b->inflight[i].used) f = &b->inflight[i];
    if (f == NULL) return PARLEY_ELIMIT;
    const struct bot_action_req *r = &d->action;
    char key[BOT_ACTION_KEY_MAX];
    bot_action_key(conv_id, seq, r->step_id, key, sizeof(key));
    struct bot_job *j =
        bot_job_new(tenant_id, conv_id, r->method, r->url, r->body, key, r->timeout_ms, r->retries);
    if (j == NULL) return PARLEY_ELIMIT;
    int rc = bot_pool_submit(b->pool, j);
    if (rc != 0) {
        bot_job_free(j);
        log_msg(LOG_WARN, "bot", "event=action_refused conversation_id=%lld step=%s reason=full",
                (long long)conv_id, r->step_id);
        return rc;
    }
    *f = (struct inflight){.used = true,
                           .tenant_id = tenant_id,
                           .conversation_id = conv_id,
                           .seq = seq,
                           .job_id = j->id, /* the pool does not free a job we have not taken */
                           .s = *s,
                           .d = *d,
                           .a = *a};
    log_msg(LOG_INFO, "bot", "event=action_queued conversation_id=%lld step=%s", (long long)conv_id,
            r->step_id);
    return 0;
}

/* Tells the conversation's live streams (the customer's and staff's) that the bot is busy on
 * their behalf, as a person typing would: an ephemeral `typing` event, participant "bot". */
static void typing(struct bot_service *b, const struct conversation *c)
{
    char data[96];
    snprintf(data, sizeof(data), "{\"conversation_id\":%lld,\"participant\":\"bot\"}",
             (long long)c->id);
    struct event ev = {.tenant_id = c->tenant_id,
                       .type = "typing",
                       .conversation_id = c->id,
                       .customer_id = c->customer_id,
                       .assignee_id = c->n_assignees > 0 ? c->assignees[0] : 0,
                       .audience = AUDIENCE_STAFF | AUDIENCE_CUSTOMER,
                       .data = data,
                       .at = util_now_ms()};
    for (size_t i = 0; i < c->n_assignees && ev.n_assignees < 8; i++)
        ev.assignees[ev.n_assignees++] = c->assignees[i];
    bus_publish(b->bus, &ev, 1, BUS_EPHEMERAL); /* best effort, like any typing signal */
}

/* Ends a turn: parks it when it waits for an action, else commits it. Takes s and a. */
static void finish_turn(struct bot_service *b, const struct turn_env *te, int64_t seq,
                        struct bot_state *s, struct bot_decision *d, struct arena *a)
{
    int64_t tenant_id = te->c.tenant_id, conv_id = te->c.id;
    while (d->action.pending) {
        if (start_action(b, tenant_id, conv_id, seq, s, d, a) == 0) { /* parked */
            typing(b, &te->c);
            return;
        }
        bot_turn_resume(&te->env, s, PARLEY_ELIMIT, NULL, d, a); /* "couldn't do that now" */
    }
    submit_turn(b, tenant_id, conv_id, seq, s, d);
    bot_state_release(s);
    arena_free(a);
}

/* A customer message for a conversation whose turn waits for its action: a hand-off request is
 * answered now (and the action's result will be dropped); anything else waits, and is answered
 * from the database once the action's turn is committed. */
static void interrupt(struct bot_service *b, struct inflight *f, int64_t seq, const char *body)
{
    struct turn_env te;
    if (seq <= f->seq || !turn_env_build(b, f->tenant_id, f->conversation_id, &te, &f->a)) return;
    if (!bot_turn_interrupt(&te.env, &f->s, body, strlen(body), &f->d, &f->a)) return;
    submit_turn(b, f->tenant_id, f->conversation_id, seq, &f->s, &f->d);
    log_msg(LOG_INFO, "bot", "event=action_abandoned conversation_id=%lld reason=handoff",
            (long long)f->conversation_id);
    bot_state_release(&f->s);
    arena_free(&f->a);
    f->abandoned = true; /* the slot stays until the job comes back */
}

/* Answers customer message seq (body) in a conversation, if it is still the bot's. */
static void answer(struct bot_service *b, int64_t tenant_id, int64_t conv_id, int64_t seq,
                   const char *body)
{
    struct inflight *f = inflight_of(b, conv_id);
    if (f != NULL) {
        interrupt(b, f, seq, body);
        return;
    }
    struct arena a;
    arena_init(&a);
    struct turn_env te;
    struct bot_conv_state cs;
    if (!turn_env_build(b, tenant_id, conv_id, &te, &a)) goto out;
    int rc = store_bot_get_state(b->reader, tenant_id, conv_id, &cs, &a, NULL);
    if (rc != 0 && rc != PARLEY_ENOTFOUND) goto out;
    if (rc == 0 && cs.handled_seq >= seq) goto out; /* answered already (catch-up overlap) */
    struct bot_state s;
    bot_state_load(&s, rc == 0 ? cs.state : NULL);
    struct bot_decision d;
    bot_turn(&te.env, &s, body, strlen(body), &d, &a);
    finish_turn(b, &te, seq, &s, &d, &a);
    return;
out:
    arena_free(&a);
}

/* Answers, in order, the customer messages of a conversation that have no turn yet (after a
 * restart, or those that waited for an action). Stops at nothing: once one parks on an action
 * the rest still go to answer(), where a hand-off request is taken at once. */
static void answer_unanswered(struct bot_service *b, int64_t tenant_id, int64_t conv_id)
{
    struct arena a;
    arena_init(&a);
    struct bot_conv_state cs;
    int64_t after = 0;
    int rc = store_bot_get_state(b->reader, tenant_id, conv_id, &cs, &a, NULL);
    if (rc == 0)
        after = cs.handled_seq;
    else if (rc != PARLEY_ENOTFOUND)
        goto out;
    for (int page_no = 0; page_no < UNANSWERED_PAGES && after >= 0; page_no++) {
        struct store_page page = {.after = after, .limit = UNANSWERED_PAGE};
        struct message *msgs;
        size_t n;
        int64_t next = 0;
        if (store_list_messages(b->reader, tenant_id, conv_id, false, &page, &msgs, &n, &next, &a,
                                NULL) != 0)
            break;
        for (size_t i = 0; i < n; i++)
            if (msgs[i].sender == SENDER_CUSTOMER)
                answer(b, tenant_id, conv_id, msgs[i].seq, msgs[i].body);
        if (n == 0 || next == 0) break;
        after = msgs[n - 1].seq;
    }
out:
    arena_free(&a);
}

/* A finished action: the parked turn goes on (and commits), then what waited is answered. */
static void complete(struct bot_service *b, struct bot_job *j)
{
    struct inflight *f = NULL;
    for (size_t i = 0; i < INFLIGHT_MAX && f == NULL; i++)
        if (b->inflight[i].used && b->inflight[i].job_id == j->id) f = &b->inflight[i];
    if (f == NULL || f->abandoned) { /* handed off meanwhile (or stopping): dropped */
        log_msg(LOG_INFO, "bot", "event=action_dropped conversation_id=%lld ok=%s",
                (long long)j->conversation_id, j->rc == 0 ? "true" : "false");
        if (f != NULL) inflight_release(f);
        bot_job_free(j);
        return;
    }
    int64_t tenant_id = f->tenant_id, conv_id = f->conversation_id, seq = f->seq;
    struct bot_state s = f->s;
    struct bot_decision d = f->d;
    struct arena a = f->a;
    memset(f, 0, sizeof(*f)); /* s, d and a are ours now */
    log_msg(LOG_INFO, "bot", "event=action_done conversation_id=%lld ok=%s", (long long)conv_id,
            j->rc == 0 ? "true" : "false");
    struct turn_env te;
    if (!turn_env_build(b, tenant_id, conv_id, &te, &a)) { /* a person took it over */
        bot_state_release(&s);
        arena_free(&a);
        bot_job_free(j);
        return;
    }
    bot_turn_resume(&te.env, &s, j->rc, j->response, &d, &a);
    bot_job_free(j);
    finish_turn(b, &te, seq, &s, &d, &a);
    if (inflight_of(b, conv_id) == NULL) answer_unanswered(b, tenant_id, conv_id);
}

static void drain_actions(struct bot_service *b)
{
    struct bot_job *j = bot_pool_take_done(b->pool);
    while (j != NULL) {
        struct bot_job *next = j->next;
        complete(b, j);
        j = next;
    }
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
        for (size_t i = 0; i < n; i++)
            answer_unanswered(b, todo[i].tenant_id, todo[i].conversation_id);
        if (n > 0) log_msg(LOG_INFO, "bot", "event=catch_up conversations=%zu", n);
    }
    arena_free(&a);
}

/* ---- the thread -------------------------------------------------------------------------------
 */

/* The doorbell: sets one of the thread's flags and signals (never more, on other threads). */
static void ring(struct bot_service *b, bool *flag)
{
    pthread_mutex_lock(&b->mu);
    *flag = true;
    pthread_cond_signal(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

static void on_wake(void *ud) /* bus events */
{
    struct bot_service *b = ud;
    ring(b, &b->pending);
}

static void on_actions_done(void *ud) /* finished actions */
{
    struct bot_service *b = ud;
    ring(b, &b->actions_done);
}

static void *bot_main(void *arg)
{
    struct bot_service *b = arg;
    pthread_setname_np(pthread_self(), "parley-bot");
    catch_up(b);
    int64_t next_sweep = util_now_ms();
    for (;;) {
        pthread_mutex_lock(&b->mu);
        while (!b->pending && !b->actions_done && !b->stopping) {
            int64_t wait = next_sweep - util_now_ms();
            if (wait <= 0) break;
            struct timespec ts;
            util_deadline_in(wait, &ts);
            pthread_cond_timedwait(&b->cv, &b->mu, &ts);
        }
        bool pending = b->pending, done = b->actions_done, stopping = b->stopping;
        b->pending = false;
        b->actions_done = false;
        pthread_mutex_unlock(&b->mu);
        if (stopping) break;
        if (pending) bus_drain(b->sub, on_batch, b);
        if (done) drain_actions(b);
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
    static const struct bot_pool_limits limits = {.workers = ACTION_WORKERS,
                                                  .queue_max = ACTION_QUEUE_MAX,
                                                  .tenant_max = ACTION_TENANT_MAX,
                                                  .tenant_running_max = ACTION_TENANT_RUNNING};
    int rc = store_reader_open(store, &b->reader, err);
    if (rc == 0)
        rc = bot_pool_start(&limits, bot_action_run, bot_action_local_free, on_actions_done, b,
                            &b->pool, err);
    if (rc == 0) rc = bus_subscribe(bus, on_wake, b, &b->sub, err);
    if (rc == 0 && pthread_create(&b->thread, NULL, bot_main, b) != 0)
        rc = parley_fail(err, PARLEY_EIO, NULL, "cannot start the bot thread");
    if (rc != 0) {
        bus_unsubscribe(b->sub);
        bot_pool_stop(b->pool);
        store_reader_close(b->reader);
        pthread_mutex_destroy(&b->mu);
        pthread_cond_destroy(&b->cv);
        free(b);
        return rc;
    }
    b->started = true;
    log_msg(LOG_INFO, "bot", "event=start flows_dir=%s action_workers=%d", cfg->bot_flows_dir,
            ACTION_WORKERS);
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
        bot_pool_stop(b->pool); /* aborts running actions: a restart re-runs them */
        for (size_t i = 0; i < INFLIGHT_MAX; i++)
            if (b->inflight[i].used) inflight_release(&b->inflight[i]);
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
