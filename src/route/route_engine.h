/* The routing engine: decides which adviser gets which waiting conversation, by skills,
 * language, teams, capacity, presence, stickiness and priority. Pure: no I/O, no SQL, no
 * clock, no threads; time is passed in as UTC milliseconds and decisions come out through a
 * callback as plain structs the routing service turns into store writes and events.
 *
 * Threading: an engine is NOT thread-safe. It is owned by one thread (the routing service
 * thread) which makes every call. One engine per tenant: ids (queues, teams, advisers,
 * conversations, customers) are the tenant's and the engine never sees a tenant id.
 *
 * Ownership: every struct passed in (definitions, work items, names, arrays) is borrowed for
 * the duration of the call only; the engine copies what it keeps (names are interned into
 * small ints). A struct route_decision passed to the callback is valid only during that
 * callback. The callback runs synchronously inside the engine call that made the decision
 * and must NOT call back into the engine (queue what it needs and act after the call returns).
 *
 * Time: every call that takes now_ms first applies everything that fell due up to now_ms
 * (exactly as route_tick would), so callers need not tick before acting. now_ms earlier than
 * the latest time seen is treated as that latest time (the engine's clock never goes back).
 *
 * Rules (docs/routing.md, "Engine"):
 * - Eligible adviser for a waiting conversation: presence online, not in wrap-up, holds every
 *   required skill at or above its level (levels relaxed by the queue's expanding step the
 *   conversation has reached), speaks the queue's language (when it has one), is in one of the
 *   queue's teams (when it lists any; steps may add teams), has free capacity for the
 *   conversation's channel weight, and is not the adviser who last declined it or let the
 *   offer time out (until it is assigned to someone else).
 * - Vulnerable / prefers-a-person work goes only to members of a specialist team while at
 *   least one specialist is ONLINE (eligible or not: "available" means online), still subject
 *   to the queue's skills and language; the specialist team replaces the queue's teams. With
 *   no specialist online it is routed like any other work.
 * - Choosing an adviser for a conversation: the preferred adviser given at enqueue, then the
 *   adviser who last handled this customer within sticky_window_ms ("sticky"), when eligible;
 *   otherwise the least occupied (load / capacity), then the longest idle (earliest last
 *   assignment or completion; coming online counts), then the lowest adviser id.
 * - Choosing work for a freed adviser: highest effective priority first, then the longest
 *   waiting (earliest enqueued_ms), then arrival order; work returned to the head of its queue
 *   (declined, accept timeout, adviser offline/away, to_head) comes before all other work.
 *   effective priority = base priority + queue priority_class
 *                        + ageing_milli_per_min / 1000 per minute waited (tenant-wide rate).
 * - Never assigned to an adviser who is offline/away or in wrap-up; never beyond capacity.
 * - An adviser going offline or away: unaccepted (offered) work returns to the head of its
 *   queue (ROUTE_REQUEUE); accepted work stays theirs (the conversation is in progress; the
 *   service or a supervisor transfers it if need be).
 *
 * Cost (n = advisers, w = waiting conversations, K = the (profile, channel) heaps one adviser
 * is in, i.e. about the queues it qualifies for (at some step) x channels it takes, bounded by
 * configuration, never by n or w; L = lines (queue step x class) a profile serves; S = steps):
 *   enqueue, withdraw, accept, decline, complete, transfer, presence: O(K (log n + L) + log w)
 *   per decision made (an arrival finds its adviser in O(S + r)); tick: O(log w) per due timer
 *   (ageing costs nothing: see route_engine_work.c);
 *   route_adviser_put: O(P r) with P profiles and r requirements each, plus the above;
 *   route_queue_put/route_team_put: O(n r + w_q log w) (configuration, rare).
 * No operation scans every adviser or every waiting conversation per event, except the rare
 * "last specialist went offline", which re-routes the waiting vulnerable work only. */
#ifndef PARLEY_ROUTE_ENGINE_H
#define PARLEY_ROUTE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

/* Limits on what comes from outside (PARLEY_EINVAL when exceeded). */
enum {
    ROUTE_MAX_CHANNELS = 8,     /* channel is an index < 8; `enum channel` values fit */
    ROUTE_MAX_STEPS = 8,        /* expanding-criteria steps per queue */
    ROUTE_MAX_REQS = 16,        /* required skills per queue */
    ROUTE_MAX_QUEUE_TEAMS = 32, /* teams per queue (including those steps add) */
    ROUTE_MAX_ADVISER_SKILLS = 64,
    ROUTE_MAX_ADVISER_LANGS = 8,
    ROUTE_MAX_ADVISER_TEAMS = 8,
    ROUTE_MAX_NAME = 63,          /* bytes in a skill or language name */
    ROUTE_MAX_SKILL_NAMES = 4096, /* distinct skill names per engine */
    ROUTE_MAX_LANG_NAMES = 256,   /* distinct languages per engine */
    ROUTE_MIN_LEVEL = 1,
    ROUTE_MAX_LEVEL = 5,
    ROUTE_MAX_PRIORITY = 1000000,      /* |base priority + priority_class| */
    ROUTE_MAX_AGEING = 100000,         /* ageing_milli_per_min (100 points per minute) */
    ROUTE_MAX_CAPACITY_MILLI = 1000000 /* capacity and weights, in thousandths */
};

enum route_presence { ROUTE_OFFLINE = 0, ROUTE_AWAY = 1, ROUTE_ONLINE = 2 };

/* Engine-wide settings (per tenant). Zeroed struct = sensible defaults noted below. */
struct route_config {
    int64_t sticky_window_ms;     /* stickiness window; 0 = no stickiness */
    uint32_t sticky_capacity;     /* customers remembered, least recently used forgotten
                                   * first; 0 = 65536 */
    int32_t ageing_milli_per_min; /* priority points x1000 gained per minute waited, 0..
                                   * ROUTE_MAX_AGEING; the same for every queue, which keeps
                                   * every priority structure free of re-sorting */
    bool away_on_accept_timeout;  /* an offer that times out also sets the adviser away (the
                                   * engine reports it with ROUTE_PRESENCE_CHANGED) */
};

struct route_skill_req {
    const char *skill; /* name, 1..ROUTE_MAX_NAME bytes */
    int min_level;     /* 1..5 */
};

/* An expanding-criteria step: once a conversation has waited after_ms (since enqueued_ms),
 * required levels drop by relax_levels (cumulative from the queue's own levels, never below 1)
 * and add_teams join the queue's teams (cumulative with earlier steps). */
struct route_step {
    int64_t after_ms;         /* > 0, strictly increasing from step to step */
    int relax_levels;         /* 0..4, non-decreasing from step to step */
    const int64_t *add_teams; /* team ids (must exist); ignored when the queue takes any team */
    size_t n_add_teams;
};

struct route_queue_def {
    int64_t id; /* > 0 */
    const struct route_skill_req *skills;
    size_t n_skills;      /* 0..ROUTE_MAX_REQS, no skill twice */
    const char *language; /* NULL or "" = any language */
    int priority_class;   /* added to the base priority of all its work */
    const int64_t *teams; /* n_teams == 0: any team */
    size_t n_teams;
    const struct route_step *steps; /* 0..ROUTE_MAX_STEPS; step N (1-based) = steps[N-1] */
    size_t n_steps;
};

struct route_team_def {
    int64_t id;      /* > 0 */
    bool specialist; /* takes vulnerable / prefers-a-person work (see the rules above) */
};

struct route_skill {
    const char *skill; /* name, 1..ROUTE_MAX_NAME bytes */
    int level;         /* 1..5 */
};

/* An adviser's definition. Replacing it (route_adviser_put with a known id) keeps presence,
 * assigned work, wrap-up and idle time; a lowered capacity never takes work away, it only
 * stops new assignments until the load is under it again. */
struct route_adviser_def {
    int64_t id;           /* > 0 (the user id) */
    const int64_t *teams; /* team ids (must exist), 0..ROUTE_MAX_ADVISER_TEAMS */
    size_t n_teams;
    const struct route_skill *skills; /* 0..ROUTE_MAX_ADVISER_SKILLS, no skill twice */
    size_t n_skills;
    const char *const *languages; /* 0..ROUTE_MAX_ADVISER_LANGS names */
    size_t n_languages;
    int32_t capacity_milli;                   /* total budget in thousandths, e.g. 3000 */
    int32_t weight_milli[ROUTE_MAX_CHANNELS]; /* weight of one conversation per channel, e.g.
                                               * chat 1000, voice 3000, email 600; 0 = does not take
                                               * it */
    int64_t wrapup_ms;         /* after each completion: no new work for this long; 0 = none */
    bool accept_required;      /* assignments are offers until route_accept */
    int64_t accept_timeout_ms; /* > 0 when accept_required */
};

/* A conversation to route. */
struct route_work {
    int64_t conversation_id;      /* > 0, not already known to the engine */
    int64_t customer_id;          /* for stickiness; 0 = unknown */
    int64_t queue_id;             /* must exist */
    int channel;                  /* 0..ROUTE_MAX_CHANNELS-1 */
    int priority;                 /* base priority (for example enum priority 0..3, or finer) */
    bool vulnerable;              /* vulnerable or prefers a person: specialist rule */
    int64_t enqueued_ms;          /* when it started waiting (ageing and steps count from here) */
    int64_t preferred_adviser_id; /* 0 = none; a preference, like stickiness, not a demand */
    bool to_head;                 /* goes before all work not returned to the head */
};

enum route_decision_kind {
    ROUTE_ASSIGN = 1,           /* conversation -> adviser (an offer when needs_accept) */
    ROUTE_REQUEUE = 2,          /* conversation back to the head of its queue, waiting */
    ROUTE_PRESENCE_CHANGED = 3, /* the engine set an adviser's presence (accept timeout) */
};

enum route_reason {
    /* ROUTE_ASSIGN */
    ROUTE_REASON_PREFERRED = 1,  /* "preferred": the preferred adviser given at enqueue */
    ROUTE_REASON_STICKY,         /* "sticky": last handled this customer within the window */
    ROUTE_REASON_SPECIALIST,     /* "specialist": vulnerable work, specialist team */
    ROUTE_REASON_LEAST_OCCUPIED, /* "least occupied" */
    ROUTE_REASON_LONGEST_IDLE,   /* "longest idle": tied on occupancy, idle the longest */
    ROUTE_REASON_RELAXED,        /* "relaxed step N": eligible only thanks to step N */
    ROUTE_REASON_TRANSFER,       /* "transfer": route_transfer_to_adviser/_team */
    ROUTE_REASON_PRIORITY,       /* "priority": a freed adviser took the highest priority work */
    /* ROUTE_REQUEUE (and ROUTE_PRESENCE_CHANGED for the accept timeout) */
    ROUTE_REASON_ADVISER_OFFLINE, /* "adviser offline" */
    ROUTE_REASON_ADVISER_AWAY,    /* "adviser away" */
    ROUTE_REASON_ACCEPT_TIMEOUT,  /* "accept timeout" */
    ROUTE_REASON_DECLINED,        /* "declined" */
    ROUTE_REASON_ADVISER_REMOVED, /* "adviser removed" */
};

struct route_decision {
    enum route_decision_kind kind;
    enum route_reason reason;
    int step;                /* expanding step the conversation had reached (0 = none);
                              * for ROUTE_REASON_RELAXED the N of "relaxed step N" */
    int64_t at_ms;           /* when it was decided (a due timer's time inside a tick) */
    int64_t conversation_id; /* 0 for ROUTE_PRESENCE_CHANGED */
    int64_t customer_id;
    int64_t queue_id;   /* the queue it waits in / came from */
    int64_t team_id;    /* a transfer-to-team's team, else 0 */
    int64_t adviser_id; /* ASSIGN: the assignee; REQUEUE: the adviser it left;
                         * PRESENCE_CHANGED: the adviser */
    int channel;
    bool vulnerable;
    bool needs_accept;          /* ASSIGN: an offer; route_accept/decline follow */
    int64_t accept_deadline_ms; /* when needs_accept */
    int64_t waited_ms;          /* at_ms - enqueued_ms */
    double effective_priority;  /* at at_ms */
    int32_t adviser_load_milli; /* after the decision */
    int32_t adviser_capacity_milli;
    enum route_presence presence; /* PRESENCE_CHANGED: the new presence */
};

typedef void (*route_decision_fn)(void *ctx, const struct route_decision *d);

struct route_engine;

/* Creates an engine. cfg may be NULL (defaults). decide is called for every decision (may be
 * NULL: decisions are then only visible through the queries). Returns 0 or PARLEY_EINVAL /
 * PARLEY_ENOMEM with err. Free with route_engine_free (NULL is safe). */
int route_engine_new(const struct route_config *cfg, route_decision_fn decide, void *ctx,
                     struct route_engine **out, struct parley_err *err);
void route_engine_free(struct route_engine *e);

/* ---- configuration (all return 0 or PARLEY_EINVAL / PARLEY_ENOTFOUND / PARLEY_ECONFLICT /
 * PARLEY_ENOMEM with err; a call refused for bad input changes nothing; out of memory may leave
 * a configuration change half applied, never an inconsistent engine) ---- */

/* Define or replace a team. Clearing the specialist flag of a team re-routes waiting work. */
int route_team_put(struct route_engine *e, const struct route_team_def *t, int64_t now_ms,
                   struct parley_err *err);
/* PARLEY_ECONFLICT while an adviser or a queue refers to it. */
int route_team_remove(struct route_engine *e, int64_t team_id, int64_t now_ms,
                      struct parley_err *err);

/* Define or replace a queue. Waiting work stays in it and is re-routed under the new rules. */
int route_queue_put(struct route_engine *e, const struct route_queue_def *q, int64_t now_ms,
                    struct parley_err *err);
/* PARLEY_ECONFLICT while conversations wait in it or are assigned from it (move them first). */
int route_queue_remove(struct route_engine *e, int64_t queue_id, int64_t now_ms,
                       struct parley_err *err);

/* Define or replace an adviser (skills, languages, teams, capacity…). A new adviser starts
 * offline. Gaining eligibility makes them pick waiting work at once. */
int route_adviser_put(struct route_engine *e, const struct route_adviser_def *a, int64_t now_ms,
                      struct parley_err *err);
/* Removes an adviser; all their work, accepted or not, returns to the head of its queue
 * (ROUTE_REQUEUE, "adviser removed"). */
int route_adviser_remove(struct route_engine *e, int64_t adviser_id, int64_t now_ms,
                         struct parley_err *err);

/* Presence change. Going online makes the adviser pick work; going offline or away returns
 * their unaccepted offers to the head of the queue (accepted work stays theirs). */
int route_presence(struct route_engine *e, int64_t adviser_id, enum route_presence p,
                   int64_t now_ms, struct parley_err *err);

/* Remember that adviser handled customer at at_ms (warming stickiness after a restart). */
int route_sticky_note(struct route_engine *e, int64_t customer_id, int64_t adviser_id,
                      int64_t at_ms, struct parley_err *err);

/* ---- work ---- */

/* A conversation starts waiting in its queue, and is assigned at once when someone is
 * eligible. PARLEY_ECONFLICT if the conversation is already known. */
int route_enqueue(struct route_engine *e, const struct route_work *w, int64_t now_ms,
                  struct parley_err *err);
/* Re-creates an existing assignment after a restart (counts against capacity; accepted says
 * whether it still needs route_accept: an unaccepted one gets a fresh accept timeout).
 * Assigns even beyond capacity or while offline (it is a fact, not a decision); no callback. */
int route_restore_assignment(struct route_engine *e, const struct route_work *w, int64_t adviser_id,
                             bool accepted, int64_t now_ms, struct parley_err *err);
/* The conversation leaves the engine whatever its state (customer gone, closed by someone
 * else): frees capacity if assigned, no wrap-up. PARLEY_ENOTFOUND if unknown. */
int route_withdraw(struct route_engine *e, int64_t conversation_id, int64_t now_ms,
                   struct parley_err *err);
/* The adviser accepts an offer. PARLEY_ENOTFOUND unknown conversation; PARLEY_ECONFLICT if it
 * is not offered to this adviser (already accepted is fine: returns 0). */
int route_accept(struct route_engine *e, int64_t conversation_id, int64_t adviser_id,
                 int64_t now_ms, struct parley_err *err);
/* The adviser declines an offer (or gives back accepted work): it returns to the head of its
 * queue (ROUTE_REQUEUE "declined") and is not offered to this adviser again until someone
 * else takes it. PARLEY_ECONFLICT if it is not assigned to this adviser. */
int route_decline(struct route_engine *e, int64_t conversation_id, int64_t adviser_id,
                  int64_t now_ms, struct parley_err *err);
/* The adviser finished: frees capacity, starts the adviser's wrap-up, remembers the customer
 * for stickiness. PARLEY_ECONFLICT if the conversation is not assigned. */
int route_complete(struct route_engine *e, int64_t conversation_id, int64_t now_ms,
                   struct parley_err *err);

/* Transfers of assigned (or waiting) work; the current adviser's capacity is freed, no
 * wrap-up. To an adviser: assigned at once ("transfer") when that adviser is online, not in
 * wrap-up and has capacity for the channel (skills are the sender's call), else PARLEY_EBUSY
 * and nothing changes. To a team: the best member of the team (online, not in wrap-up,
 * capacity; skills and language not required) gets it ("transfer"), else it waits for one.
 * To a queue: it waits in that queue as new work (enqueued_ms = now_ms, steps start over). */
int route_transfer_to_adviser(struct route_engine *e, int64_t conversation_id, int64_t adviser_id,
                              int64_t now_ms, struct parley_err *err);
int route_transfer_to_team(struct route_engine *e, int64_t conversation_id, int64_t team_id,
                           int64_t now_ms, struct parley_err *err);
int route_transfer_to_queue(struct route_engine *e, int64_t conversation_id, int64_t queue_id,
                            int64_t now_ms, struct parley_err *err);

/* Applies everything due up to now_ms, in time order: expanding steps reached, accept
 * timeouts, wrap-up ends (each may assign work). Returns the time of the next thing due
 * (INT64_MAX when none): call again then at the latest. */
int64_t route_tick(struct route_engine *e, int64_t now_ms);
/* The time of the next thing due, INT64_MAX when none. */
int64_t route_next_due(const struct route_engine *e);

/* ---- queries (read-only, O(1) unless said) ---- */

enum route_conv_state { ROUTE_WAITING = 1, ROUTE_OFFERED = 2, ROUTE_ACCEPTED = 3 };

struct route_conv_info {
    enum route_conv_state state;
    int64_t queue_id;
    int64_t team_id;    /* waiting for a team after a transfer, else 0 */
    int64_t adviser_id; /* when offered/accepted */
    int channel;
    int step;
    int64_t enqueued_ms;
    double effective_priority; /* at the engine's current time */
};
/* PARLEY_ENOTFOUND when the engine does not know the conversation. */
int route_conv_get(const struct route_engine *e, int64_t conversation_id,
                   struct route_conv_info *out);

struct route_adviser_info {
    enum route_presence presence;
    int32_t load_milli, capacity_milli;
    int64_t wrapup_until_ms; /* 0 when not in wrap-up */
    int64_t idle_since_ms;   /* last assignment, completion or coming online */
    uint32_t n_assigned;
    bool specialist;
};
int route_adviser_get(const struct route_engine *e, int64_t adviser_id,
                      struct route_adviser_info *out);

struct route_stats {
    uint32_t queues, teams, advisers, advisers_online, specialists_online;
    uint64_t waiting, offered, accepted;
    uint64_t decisions; /* ever made */
};
void route_engine_stats(const struct route_engine *e, struct route_stats *out);
/* Conversations waiting in a queue (all steps, classes, channels). PARLEY_ENOTFOUND. */
int route_queue_waiting(const struct route_engine *e, int64_t queue_id, uint64_t *out);

/* Stable names: "sticky", "least occupied", "relaxed step" (append the step), "declined"… */
const char *route_reason_name(enum route_reason r);
const char *route_presence_name(enum route_presence p);
int route_presence_parse(const char *s); /* "online"/"away"/"offline" -> value, or -1 */

#endif
