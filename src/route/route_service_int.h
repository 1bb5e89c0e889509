/* Inside the routing service (route_service*.c): its per-tenant state around one routing
 * engine each, the small id map they use, and the functions the service files share. Only the
 * service thread touches any of this, except the inbox (under mu) that the live-stream hooks
 * fill from the HTTP threads. */
#ifndef PARLEY_ROUTE_SERVICE_INT_H
#define PARLEY_ROUTE_SERVICE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "route.h"
#include "deadline_heap.h"
#include "route_engine.h"
#include "sla_calendar.h"

/* ---- int64 → pointer map (open addressing, linear probing, backward-shift deletion) ---- */
struct imap {
    int64_t *keys; /* 0: empty slot (ids are > 0) */
    void **vals;
    size_t cap, n;
};
void *imap_get(const struct imap *m, int64_t key);
/* Returns false when out of memory. Replaces an existing value. */
bool imap_put(struct imap *m, int64_t key, void *val);
/* Returns the removed value (NULL when absent). */
void *imap_del(struct imap *m, int64_t key);
void imap_free(struct imap *m);
/* Iteration: for (size_t i = 0; i < m->cap; i++) if (m->keys[i] > 0) … m->vals[i]. */

/* ---- per-tenant state ------------------------------------------------------------------- */

/* A queue as the service needs it to choose one for a conversation (the engine has the rest). */
struct rs_queue {
    int64_t id;
    const char **reasons;
    size_t n_reasons;
    bool is_default;
};

/* An adviser's presence as the service tracks it (the engine has load and capacity). */
struct rs_adviser {
    int64_t user_id;
    enum presence presence;
    bool automatic;  /* presence set by the server */
    bool in_engine;  /* route_adviser_put succeeded */
    int streams;     /* open live streams (any role; only advisers go away) */
    int64_t away_at; /* when the last stream closed + grace, 0 when not pending */
};

/* An open conversation with SLA targets being watched: the service's own copy of what it
 * wrote to the conversation (it is the only writer of the SLA fields), kept in step by the
 * conversation's events and messages, so a message needs no store read. */
struct rs_conv {
    int64_t id;
    int64_t policy;
    int64_t first_response_at; /* 0: none yet (read at sync, then stamped by agent messages) */
    int64_t due[3];            /* first response, next response, resolution (0: none) */
    int64_t warn_at[3];        /* when to warn (0: no warning) */
    unsigned warned, breached;
    bool stale;              /* writing its deadlines failed: write them at the next change */
    bool watched;            /* false: kept only because sla_hw is ahead of the events seen */
    int64_t sla_hw;          /* event_hw of the service's last SLA write to it (0: none) */
    struct dheap_node timer; /* its next warning or breach in the tenant's sla_timers */
};

/* "Events about conv up to id hw may still arrive and are older than what the service knows":
 * kept in order so the notes can be dropped once the service has seen past hw. */
struct rs_note {
    int64_t conv, hw;
};

/* A scheduled call-back, in the tenant's callback_timers at its time. */
struct rs_callback {
    int64_t id;
    struct dheap_node timer; /* timer.at: when it falls due */
};

struct rs_tenant {
    int64_t id;
    struct route_engine *eng; /* NULL until loaded */
    struct arena arena;       /* configuration strings (queues' reasons), freed on reload */
    struct rs_queue *queues;
    size_t n_queues;
    struct team *teams;
    size_t n_teams;
    struct sla_calendar *cal; /* NULL: 24x7 */
    struct sla_policy *policies;
    size_t n_policies;
    int64_t sticky_window_ms;
    struct imap advisers;    /* user id → struct rs_adviser (kept across reloads) */
    struct imap convs;       /* conversation id → struct rs_conv */
    struct dheap sla_timers; /* the convs with a warning or breach to come, earliest first */
    /* conversation id → the event id up to which the service's own view (a store read, or a
     * decision it wrote) is newer than what events say: older events about it are skipped */
    struct imap fresh;
    struct rs_note *notes; /* FIFO of fresh entries and unwatched convs to drop (rs_notes_expire) */
    size_t notes_head, notes_n, notes_cap;
    struct imap callbacks;        /* call-back id → struct rs_callback (scheduled ones) */
    struct dheap callback_timers; /* the same, earliest first */
};

struct rs_stream_note {
    int64_t tenant_id, user_id;
    int delta; /* +1 opened, -1 closed */
};

struct route_service {
    const struct parley_config *cfg;
    struct store *store;
    struct bus *bus;
    struct bus_sub *sub;
    struct store_reader *reader; /* opened and used on the service thread */
    pthread_t thread;
    bool started;

    pthread_mutex_t mu; /* guards the fields down to `inbox` */
    pthread_cond_t cv;
    bool stop, rung, ready; /* ready: the first load and tick are done */
    struct rs_stream_note *inbox;
    size_t n_inbox, cap_inbox;

    struct imap tenants;            /* tenant id → struct rs_tenant */
    struct route_decision *pending; /* decisions made during the current engine call */
    size_t n_pending, cap_pending;
    int64_t now;
    int64_t seen_id; /* the last committed event handled (events come in id order) */
    int depth;       /* rs_conv_sync nesting (a conflicted write re-syncs): bounded */
};

/* route_service_tenant.c: (re)loads a tenant's configuration, advisers and work from the store
 * into a fresh engine. Returns the tenant (created on first use) or NULL when out of memory. */
struct rs_tenant *rs_tenant(struct route_service *s, int64_t tenant_id);
int rs_tenant_load(struct route_service *s, struct rs_tenant *t);
void rs_tenant_free(struct rs_tenant *t);
/* Puts one adviser (user + routing profile) into the engine; removes non-advisers. */
void rs_adviser_reload(struct route_service *s, struct rs_tenant *t, int64_t user_id);
struct rs_adviser *rs_adviser_of(struct rs_tenant *t, int64_t user_id);
/* The queue a contact reason goes to: the queue listing it, else the default queue; 0 none. */
int64_t rs_queue_for(const struct rs_tenant *t, const char *contact_reason);

/* route_service_work.c */
/* Brings the engine in line with the conversation's committed state (re-read from the store:
 * the rare paths, a decision that lost a race, a transfer of work not routed yet, loading). */
void rs_conv_sync(struct route_service *s, struct rs_tenant *t, int64_t conversation_id);
/* The same from a conversation event's typed facts, without reading the store; an event older
 * than the service's own view of the conversation is skipped. */
void rs_conv_event(struct route_service *s, struct rs_tenant *t, const struct event *ev);
void rs_transfer(struct route_service *s, struct rs_tenant *t, const char *transfer_json);
/* Writes the decisions the last engine call made (s->pending), then clears them. */
void rs_flush_decisions(struct route_service *s, struct rs_tenant *t);
void rs_engine_decided(void *ctx, const struct route_decision *d);
void rs_callbacks_due(struct route_service *s, struct rs_tenant *t);
void rs_callback_add(struct rs_tenant *t, int64_t id, int64_t at);
/* A call-back was cancelled: it will not fall due (unknown ids are ignored). */
void rs_callback_cancel(struct rs_tenant *t, int64_t id);
/* Forgets every scheduled call-back (tenant reload or free). */
void rs_callbacks_clear(struct rs_tenant *t);
/* Runs a command synchronously as the routing service; logs failures. Returns cmd->status. */
int rs_exec(struct route_service *s, struct store_cmd *cmd);

/* route_service_sla.c */
/* Recomputes the conversation's SLA deadlines from its policy and writes them when they moved. */
/* seen: the event c's state is from, or the event_hw of the read that gave it. */
void rs_sla_sync(struct route_service *s, struct rs_tenant *t, const struct conversation *c,
                 bool vulnerable, int64_t seen);
/* A message was posted (its facts from the event): first response met, next-response clock
 * started (customer waiting) or stopped (answered). No store read, no parsing. */
void rs_sla_message(struct route_service *s, struct rs_tenant *t, int64_t conversation_id,
                    enum sender sender, bool internal, int64_t at);
/* Warnings and breaches that fell due: O(due · log n) through t->sla_timers. */
void rs_sla_tick(struct route_service *s, struct rs_tenant *t);
void rs_sla_forget(struct route_service *s, struct rs_tenant *t, int64_t conversation_id);
/* Records that events about conv up to hw are outdated (for rs_notes_expire). */
void rs_note(struct route_service *s, struct rs_tenant *t, int64_t conversation_id, int64_t hw);
/* Drops fresh entries and unwatched convs no event still to come can concern. */
void rs_notes_expire(struct route_service *s, struct rs_tenant *t);
/* Forgets every watched conversation (tenant reload or free). */
void rs_sla_clear(struct rs_tenant *t);

/* route_service_presence.c */
void rs_presence_event(struct route_service *s, struct rs_tenant *t, const char *presence_json);
void rs_stream_note(struct route_service *s, const struct rs_stream_note *n);
void rs_presence_tick(struct route_service *s, struct rs_tenant *t);

#endif
