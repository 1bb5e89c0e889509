/* Private parts of the routing engine shared by route_engine*.c: the data structures of
 * docs/internals/route.md (profiles, lines, heaps, timers, stickiness). Not for other modules. */
#ifndef PARLEY_ROUTE_ENGINE_INT_H
#define PARLEY_ROUTE_ENGINE_INT_H

#include "route_engine.h"

#define RT_NONE UINT32_MAX
/* Work returned to the head of its queue ranks above all other work. */
#define RT_HEAD_BONUS ((int64_t)1 << 61)
/* Ageing is points x1000 per minute: scaled by 60,000 ms per minute, one point is 6e7. */
#define RT_POINT_SCALE ((int64_t)60000000)
/* enqueued_ms may differ from the engine's epoch by at most this (about 35 years). */
#define RT_MAX_TIME_SPAN ((int64_t)1 << 40)

/* ---- open-addressing map int64 id (> 0) -> uint32 index ---- */
struct rt_slot {
    int64_t key; /* 0 = empty */
    uint32_t val;
};
struct rt_map {
    struct rt_slot *s; /* key and value side by side: one cache line per probe */
    uint32_t cap;      /* power of two */
    uint32_t n;
};
int rt_map_put(struct rt_map *m, int64_t key, uint32_t val); /* 0 or PARLEY_ENOMEM */
int rt_map_reserve(struct rt_map *m, uint32_t n);            /* room for n keys */
uint32_t rt_map_get(const struct rt_map *m, int64_t key);    /* RT_NONE when absent */
void rt_map_del(struct rt_map *m, int64_t key);
void rt_map_free(struct rt_map *m);

/* ---- waiting work: a max-heap by rank per (line, channel) ---- */
struct rt_ientry {
    int64_t pkey; /* static rank key: (head bonus) + (base+class)*6e7 - rate*(enqueued-epoch) */
    int64_t enq;  /* earlier first on equal pkey */
    uint64_t seq; /* arrival order last */
    uint32_t item;
    uint32_t excluded; /* copy of the item's (fixed while it waits): no item access to skip */
};
struct rt_iheap {
    struct rt_ientry *a;
    uint32_t n, cap;
};

/* A line: where work waits, one heap per channel. Queue lines are per (step, class); a team
 * has one line for work transferred to it. */
struct rt_line {
    struct rt_iheap h[ROUTE_MAX_CHANNELS];
    uint64_t n; /* over all channels */
};

/* ---- free advisers: a min-heap by (occupancy, idle since, id) per (profile, channel) ---- */
struct rt_aentry {
    uint32_t occ;  /* load / capacity in parts per million, rounded down */
    uint32_t memb; /* membership index (its pos is kept up to date) */
    int64_t idle;
    int64_t id;
};
struct rt_aheap {
    struct rt_aentry *a;
    uint32_t n, cap;
};

/* An adviser's membership in a profile for one channel: in the profile's heap for that channel
 * exactly while the adviser is available and has capacity for the channel's weight. */
struct rt_memb {
    uint32_t adviser;
    uint32_t prof;
    uint32_t pos; /* in profiles[prof]->avail[ch], RT_NONE when not in it */
    uint8_t ch;
};

enum rt_team_mode { RT_TEAMS_ANY, RT_TEAMS_SET, RT_TEAMS_SPECIALIST };
enum rt_role {
    RT_ROLE_NORMAL, /* serves a queue step's normal line, and its vulnerable line while no
                     * specialist is online */
    RT_ROLE_SPEC,   /* serves a queue step's vulnerable line while a specialist is online */
    RT_ROLE_TEAM    /* serves a team's transfer line */
};

struct rt_req {
    uint16_t skill;
    uint8_t level;
};

struct rt_served {
    uint32_t owner; /* queue or team index */
    uint8_t step;
    uint8_t role;
};

/* A set of static requirements: skills at levels, language, team rule. */
struct rt_reqset {
    uint8_t nreq;
    struct rt_req req[ROUTE_MAX_REQS]; /* sorted by skill */
    int32_t lang;                      /* -1 = any */
    uint8_t team_mode;
    uint8_t nteams;
    uint32_t teams[ROUTE_MAX_QUEUE_TEAMS]; /* sorted team indexes (RT_TEAMS_SET) */
};

/* A profile: the advisers who meet `want` but not `prev` (when has_prev). A queue step's
 * profile has the previous step's requirements as prev, so each adviser is in one profile per
 * queue and role — the step they first qualify at — instead of in every step after it.
 * Profiles with identical sets are shared. Its heaps are the index of who can take its work. */
struct rt_profile {
    uint32_t refs;
    struct rt_reqset want, prev;
    bool has_prev;
    struct rt_aheap avail[ROUTE_MAX_CHANNELS];
    uint32_t nm[ROUTE_MAX_CHANNELS]; /* memberships per channel (heap capacity reserved) */
    struct rt_served *served;        /* step = the first step it serves; it serves the later ones */
    uint32_t nserved, capserved;
};

struct rt_qstep {
    int64_t after_ms;
    uint8_t relax;
    uint8_t nteams; /* teams[0..nteams) of the queue apply from this step on */
};

struct rt_queue {
    int64_t id;
    bool live;
    uint8_t nreq;
    struct rt_req req[ROUTE_MAX_REQS];
    int32_t lang;
    int priority_class;
    bool any_team;
    uint8_t nteams;
    uint32_t teams[ROUTE_MAX_QUEUE_TEAMS];
    uint8_t nsteps;
    struct rt_qstep step[ROUTE_MAX_STEPS + 1];    /* step[0] = the queue itself */
    uint32_t prof[ROUTE_MAX_STEPS + 1][2];        /* [first step][0 normal, 1 specialist] */
    struct rt_reqset set[ROUTE_MAX_STEPS + 1][2]; /* all that is required at each step */
    struct rt_line line[ROUTE_MAX_STEPS + 1][2];  /* [step][0 normal, 1 vulnerable] */
    uint64_t items;                               /* waiting or assigned from here */
    uint64_t chitems[ROUTE_MAX_CHANNELS];         /* the same per channel: line heaps hold that
                                                   * many, so moving work never allocates */
};

struct rt_team {
    int64_t id;
    bool live;
    bool specialist;
    uint32_t prof; /* transfer profile: members, nothing else */
    struct rt_line line;
    uint32_t members, queue_refs;
    uint64_t items;
    uint64_t chitems[ROUTE_MAX_CHANNELS];
};

enum rt_item_state { RT_FREE = 0, RT_WAITING, RT_OFFERED, RT_ACCEPTED };

struct rt_item {
    int64_t conv, customer, enq, preferred;
    int64_t sticky_id, sticky_at; /* the customer's last adviser, looked up on entry */
    int64_t accept_deadline;
    uint64_t seq;
    int64_t pkey;
    uint32_t queue;
    uint32_t team;     /* waiting in (or came from) a team line, else RT_NONE */
    uint32_t adviser;  /* when offered/accepted */
    uint32_t excluded; /* adviser not to offer it to, RT_NONE */
    uint32_t pos;      /* in its line heap */
    uint32_t apos;     /* in its adviser's assigned list */
    uint32_t gen;      /* invalidates its timers */
    int base;
    uint8_t state, channel, step, vulnerable, head;
    uint8_t marked; /* in the batch to route */
    uint32_t next_free;
};

struct rt_adviser {
    int64_t id;
    bool live, specialist, accept_required;
    bool marked; /* in the list to fill */
    uint8_t presence;
    int32_t capacity, load;
    int32_t w[ROUTE_MAX_CHANNELS];
    int64_t wrapup_ms, accept_timeout_ms;
    int64_t wrapup_until, idle_since;
    uint32_t wgen;
    uint8_t nskills, nlangs, nteams;
    struct rt_req skills[ROUTE_MAX_ADVISER_SKILLS]; /* sorted by skill */
    int16_t langs[ROUTE_MAX_ADVISER_LANGS];
    uint32_t teams[ROUTE_MAX_ADVISER_TEAMS];
    uint32_t *memb;
    uint32_t nmemb, capmemb;
    uint32_t *assigned;
    uint32_t nassigned, capassigned;
};

/* At one instant: wrap-ups end first, then offers time out, then steps are reached. */
enum rt_timer_kind { RT_T_WRAPUP = 1, RT_T_ACCEPT, RT_T_STEP };
struct rt_timer {
    int64_t at;
    uint32_t idx, gen;
    uint8_t kind;
};
struct rt_theap {
    struct rt_timer *a;
    uint32_t n, cap;
};

/* Stickiness: customer -> (adviser, when), least recently used forgotten first. */
struct rt_sticky_entry {
    int64_t customer, adviser_id, at;
    uint32_t prev, next;
};
struct rt_sticky {
    struct rt_sticky_entry *e;
    uint32_t cap, n, head, tail; /* head = most recent */
    struct rt_map map;
};

struct route_engine {
    struct route_config cfg;
    route_decision_fn decide;
    void *ctx;
    int64_t now, epoch;
    bool epoch_set;
    uint64_t seq, decisions;

    char (*skill_names)[ROUTE_MAX_NAME + 1];
    uint32_t nskill_names, capskill_names;
    char (*lang_names)[ROUTE_MAX_NAME + 1];
    uint32_t nlang_names, caplang_names;

    struct rt_queue **queues;
    uint32_t nqueues, capqueues;
    struct rt_map queue_ids;
    struct rt_team **teams;
    uint32_t nteams, capteams;
    struct rt_map team_ids;
    struct rt_profile **profiles; /* NULL slots are free */
    uint32_t nprofiles, capprofiles;

    struct rt_adviser *advisers;
    uint32_t nadvisers, capadvisers, live_advisers, online, specialists_online;
    struct rt_map adviser_ids;
    struct rt_memb *memb;
    uint32_t nmemb, capmemb, free_memb;

    struct rt_item *items;
    uint32_t nitems, capitems, free_item;
    struct rt_map conv_ids;
    uint64_t waiting, offered, accepted;

    struct rt_theap timers;
    struct rt_sticky sticky;

    /* Changes are applied first, then settled: advisers who may take work fill up (fillq),
     * then changed work is routed best ranked first (scratch). Capacities are kept >= the
     * number of advisers / items, so adding never allocates. */
    struct rt_ientry *scratch;
    uint32_t capscratch, nbatch;
    uint32_t *fillq;
    uint32_t capfill, nfill;
    uint64_t timer_failures; /* timers lost to allocation failure (should stay 0) */
};

/* ---- route_engine_ds.c ---- */
int rt_iheap_push(struct rt_iheap *h, struct rt_item *items, uint32_t item);
void rt_iheap_remove(struct rt_iheap *h, struct rt_item *items, uint32_t pos);
/* The best entry not excluded for adviser excl; RT_NONE when none. */
uint32_t rt_iheap_best(const struct rt_iheap *h, const struct rt_item *items, uint32_t excl);
int rt_ientry_better(const struct rt_ientry *x, const struct rt_ientry *y);

bool rt_aentry_better(const struct rt_aentry *x, const struct rt_aentry *y);
int rt_aheap_push(struct rt_aheap *h, struct rt_memb *memb, struct rt_aentry en);
void rt_aheap_remove(struct rt_aheap *h, struct rt_memb *memb, uint32_t pos);
void rt_aheap_update(struct rt_aheap *h, struct rt_memb *memb, uint32_t pos, struct rt_aentry en);
/* Up to 2 best entries whose adviser id is not excl_id (positions into h->a); returns how
 * many. */
int rt_aheap_best2(const struct rt_aheap *h, int64_t excl_id, uint32_t out[2]);

int rt_theap_push(struct rt_theap *h, struct rt_timer t);
void rt_theap_pop(struct rt_theap *h);

int rt_sticky_init(struct rt_sticky *s, uint32_t cap);
void rt_sticky_free(struct rt_sticky *s);
void rt_sticky_note(struct rt_sticky *s, int64_t customer, int64_t adviser_id, int64_t at);
const struct rt_sticky_entry *rt_sticky_get(const struct rt_sticky *s, int64_t customer);

int rt_grow(void **p, uint32_t *cap, uint32_t need, size_t size);

/* ---- route_engine.c ---- */
bool rt_set_matches(const struct rt_adviser *a, const struct rt_reqset *r);
bool rt_adviser_matches(const struct route_engine *e, const struct rt_adviser *a,
                        const struct rt_profile *p);
bool rt_available(const struct route_engine *e, const struct rt_adviser *a);
void rt_refresh(struct route_engine *e, uint32_t ai);
/* Applies a presence change; the caller settles. */
void rt_set_presence(struct route_engine *e, uint32_t ai, enum route_presence p,
                     enum route_reason why);
void rt_spec_changed(struct route_engine *e, uint32_t before);
int rt_reserve_queue(struct route_engine *e, struct rt_queue *q, int ch, uint64_t extra);

/* ---- route_engine_work.c ---- */
void rt_advance(struct route_engine *e, int64_t now);
int rt_line_insert(struct route_engine *e, uint32_t ii);
void rt_line_detach(struct route_engine *e, uint32_t ii);
void rt_route_item(struct route_engine *e, uint32_t ii);
void rt_fill(struct route_engine *e, uint32_t ai);
void rt_batch_add(struct route_engine *e, uint32_t ii);
void rt_fill_later(struct route_engine *e, uint32_t ai);
/* Fills the advisers listed, then routes the batched work best ranked first. */
void rt_settle(struct route_engine *e);
/* Returns the adviser's offers (all work when all) to the head of their lines, batched. */
void rt_requeue_from(struct route_engine *e, uint32_t ai, bool all, enum route_reason why);
int64_t rt_pkey(struct route_engine *e, const struct rt_item *it);
int rt_step_at(const struct rt_queue *q, int64_t waited);
int rt_push_step_timer(struct route_engine *e, uint32_t ii);

#endif
