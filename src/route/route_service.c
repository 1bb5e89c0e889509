/* The routing service's life cycle and its one thread: it subscribes to the bus (committed
 * events), loads every tenant's configuration and waiting work from the store (so a restart
 * resumes), then loops: drain the bus, apply presence notes from the live streams, and every
 * tick (RS_TICK_MS) let the engines apply what fell due (expanding steps, accept timeouts,
 * wrap-up ends), queue call-backs that are due, raise SLA warnings and breaches and mark
 * advisers whose stream stayed closed away. Decisions go back through store commands. */
#define _GNU_SOURCE /* pthread_setname_np */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/log.h"
#include "../common/util.h"
#include "route_service_int.h"

#define RS_TICK_MS 250

/* ---- bus events ------------------------------------------------------------------------ */

static int64_t json_id(const char *data, const char *key)
{
    json_t *j = data != NULL ? json_loads(data, 0, NULL) : NULL;
    int64_t v = (int64_t)json_integer_value(json_object_get(j, key));
    json_decref(j);
    return v;
}

/* The hottest event: every message. The writer's typed facts say who wrote it (core.h,
 * struct event_facts); an event without them (another bus backend) falls back to its JSON. */
static void message_event(struct route_service *s, struct rs_tenant *t, const struct event *ev)
{
    if (t->convs.n == 0) return; /* no SLA clock runs in this tenant */
    int sender = ev->facts.sender;
    bool internal = ev->facts.internal;
    if (ev->facts.kind != EVENT_FACTS_MESSAGE) {
        json_t *m = ev->data != NULL ? json_loads(ev->data, 0, NULL) : NULL;
        sender = sender_parse(json_string_value(json_object_get(m, "sender")));
        internal = json_is_true(json_object_get(m, "internal"));
        json_decref(m);
    }
    if (sender >= 0)
        rs_sla_message(s, t, ev->conversation_id, (enum sender)sender, internal, ev->at);
}

static void on_event(struct route_service *s, const struct event *ev)
{
    const char *type = ev->type != NULL ? ev->type : "";
    struct rs_tenant *t = rs_tenant(s, ev->tenant_id);
    if (t == NULL) return;
    if (strcmp(type, "conversation.created") == 0 || strcmp(type, "conversation.updated") == 0) {
        rs_conv_event(s, t, ev);
    } else if (strcmp(type, "message.created") == 0) {
        message_event(s, t, ev);
    } else if (strcmp(type, "presence.updated") == 0) {
        rs_presence_event(s, t, ev->data);
    } else if (strcmp(type, "routing_profile.updated") == 0) {
        rs_adviser_reload(s, t, json_id(ev->data, "user_id"));
        rs_flush_decisions(s, t);
    } else if (strcmp(type, "transfer.requested") == 0) {
        rs_transfer(s, t, ev->data);
    } else if (strcmp(type, "callback.created") == 0) {
        json_t *j = json_loads(ev->data, 0, NULL);
        rs_callback_add(t, (int64_t)json_integer_value(json_object_get(j, "id")),
                        (int64_t)json_integer_value(json_object_get(j, "at")));
        json_decref(j);
    } else if (strcmp(type, "callback.cancelled") == 0) {
        rs_callback_cancel(t, json_id(ev->data, "id"));
    } else if (strcmp(type, "queue.updated") == 0 || strcmp(type, "queue.deleted") == 0 ||
               strcmp(type, "route.settings.updated") == 0 ||
               strcmp(type, "sla.policies.updated") == 0) {
        /* Configuration is rare: rebuild the tenant's engine from the store. */
        if (rs_tenant_load(s, t) != 0)
            log_msg(LOG_WARN, "route", "event=reload_failed tenant=%lld", (long long)t->id);
    }
}

static void on_batch(void *ud, const struct bus_batch *batch)
{
    struct route_service *s = ud;
    if (batch->flags & BUS_EPHEMERAL) return; /* typing: nothing to route */
    for (size_t i = 0; i < batch->n; i++) {
        s->now = util_now_ms();
        on_event(s, &batch->events[i]);
        if (batch->events[i].id > s->seen_id) s->seen_id = batch->events[i].id;
    }
}

static void on_wake(void *ud)
{
    struct route_service *s = ud;
    pthread_mutex_lock(&s->mu);
    s->rung = true;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* ---- the thread ------------------------------------------------------------------------ */

static void tick(struct route_service *s)
{
    for (size_t i = 0; i < s->tenants.cap; i++) {
        if (s->tenants.keys[i] <= 0) continue;
        struct rs_tenant *t = s->tenants.vals[i];
        s->now = util_now_ms();
        if (t->eng != NULL) {
            route_tick(t->eng, s->now);
            rs_flush_decisions(s, t);
        }
        rs_callbacks_due(s, t);
        rs_sla_tick(s, t);
        rs_presence_tick(s, t);
        rs_notes_expire(s, t);
    }
}

static void load_all(struct route_service *s)
{
    struct arena a;
    arena_init(&a);
    int64_t *ids = NULL;
    size_t n = 0;
    struct parley_err err = {0};
    if (store_list_tenant_ids(s->reader, &ids, &n, &a, &err) != 0)
        log_msg(LOG_ERROR, "route", "event=load_failed reason=\"%s\"", err.message);
    s->now = util_now_ms();
    for (size_t i = 0; i < n; i++) rs_tenant(s, ids[i]);
    arena_free(&a);
    log_msg(LOG_INFO, "route", "event=loaded tenants=%zu", n);
}

static void *service_main(void *arg)
{
    struct route_service *s = arg;
    pthread_setname_np(pthread_self(), "route");
    /* The first load and tick (SLA breaches that happened while the server was down) finish
     * before route_service_start returns, so they never race with the first requests. */
    load_all(s);
    tick(s);
    pthread_mutex_lock(&s->mu);
    s->ready = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    int64_t next_tick = util_now_ms() + RS_TICK_MS;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        while (!s->stop && !s->rung && s->n_inbox == 0) {
            int64_t now = util_now_ms();
            if (now >= next_tick) break;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            int64_t ns = (int64_t)ts.tv_nsec + (next_tick - now) * 1000000;
            ts.tv_sec += (time_t)(ns / 1000000000);
            ts.tv_nsec = (long)(ns % 1000000000);
            if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) == ETIMEDOUT) break;
        }
        bool stop = s->stop;
        s->rung = false;
        struct rs_stream_note notes[64];
        size_t n = s->n_inbox < 64 ? s->n_inbox : 64;
        if (n > 0) {
            memcpy(notes, s->inbox, n * sizeof(notes[0]));
            memmove(s->inbox, s->inbox + n, (s->n_inbox - n) * sizeof(notes[0]));
            s->n_inbox -= n;
        }
        pthread_mutex_unlock(&s->mu);
        if (stop) break;
        bus_drain(s->sub, on_batch, s);
        s->now = util_now_ms();
        for (size_t i = 0; i < n; i++) rs_stream_note(s, &notes[i]);
        if (util_now_ms() >= next_tick) {
            tick(s);
            next_tick = util_now_ms() + RS_TICK_MS;
        }
    }
    return NULL;
}

/* ---- life cycle ------------------------------------------------------------------------ */

static void service_free(struct route_service *s)
{
    for (size_t i = 0; i < s->tenants.cap; i++)
        if (s->tenants.keys[i] > 0) rs_tenant_free(s->tenants.vals[i]);
    imap_free(&s->tenants);
    bus_unsubscribe(s->sub);
    store_reader_close(s->reader);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s->inbox);
    free(s->pending);
    free(s);
}

int route_service_start(const struct parley_config *cfg, struct store *store, struct bus *bus,
                        struct route_service **out, struct parley_err *err)
{
    struct route_service *s = calloc(1, sizeof(*s));
    if (s == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    s->cfg = cfg;
    s->store = store;
    s->bus = bus;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    int rc = store_reader_open(store, &s->reader, err);
    if (rc == 0) rc = bus_subscribe(bus, on_wake, s, &s->sub, err);
    if (rc == 0 && pthread_create(&s->thread, NULL, service_main, s) != 0)
        rc = parley_fail(err, PARLEY_EIO, NULL, "cannot start the routing service thread");
    if (rc != 0) {
        service_free(s);
        return rc;
    }
    s->started = true;
    pthread_mutex_lock(&s->mu);
    while (!s->ready) pthread_cond_wait(&s->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
    *out = s;
    return 0;
}

void route_service_stop(struct route_service *s)
{
    if (s == NULL) return;
    pthread_mutex_lock(&s->mu);
    s->stop = true;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    if (s->started) pthread_join(s->thread, NULL);
    service_free(s);
}

/* ---- presence hooks (any thread) ------------------------------------------------------- */

static void note_stream(struct route_service *s, int64_t tenant_id, int64_t user_id, int delta)
{
    if (s == NULL || user_id <= 0) return;
    pthread_mutex_lock(&s->mu);
    if (s->n_inbox == s->cap_inbox) {
        size_t cap = s->cap_inbox == 0 ? 64 : s->cap_inbox * 2;
        struct rs_stream_note *grown = realloc(s->inbox, cap * sizeof(*grown));
        if (grown == NULL) {
            pthread_mutex_unlock(&s->mu);
            log_msg(LOG_WARN, "route", "event=presence_note_dropped user=%lld", (long long)user_id);
            return;
        }
        s->inbox = grown;
        s->cap_inbox = cap;
    }
    s->inbox[s->n_inbox++] = (struct rs_stream_note){tenant_id, user_id, delta};
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

void route_stream_opened(struct route_service *s, int64_t tenant_id, int64_t user_id)
{
    note_stream(s, tenant_id, user_id, +1);
}

void route_stream_closed(struct route_service *s, int64_t tenant_id, int64_t user_id)
{
    note_stream(s, tenant_id, user_id, -1);
}
