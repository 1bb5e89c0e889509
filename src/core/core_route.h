/* The routing service's domain (issue 4): queues, adviser routing profiles, presence, SLA
 * policies, the tenant's routing settings (business-hours calendar), call-backs and transfers.
 * Plain structs and name tables, no I/O; strings are borrowed like those of core.h. */
#ifndef PARLEY_CORE_ROUTE_H
#define PARLEY_CORE_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"

enum presence { PRESENCE_OFFLINE, PRESENCE_AWAY, PRESENCE_ONLINE, PRESENCE__COUNT };
const char *presence_name(enum presence p);
int presence_parse(const char *s);

#define QUEUE_MAX_STEPS   8  /* expanding steps per queue */
#define QUEUE_MAX_REASONS 64 /* contact reasons per queue */
#define QUEUE_MAX_SKILLS  16 /* required skills per queue */
#define QUEUE_MAX_TEAMS   8  /* teams a step adds */

/* After after_s seconds of waiting: lower every required skill level by relax_levels (not
 * below 1), and/or also accept members of the teams listed (team slugs). */
struct queue_step {
    int after_s;
    int relax_levels;
    const char **add_teams;
    size_t n_add_teams;
};

struct route_queue {
    int64_t id, tenant_id;
    const char *name;
    const char **skills; /* "billing:3" (name:minimum level) */
    size_t n_skills;
    const char *language; /* "en" or NULL for any */
    int priority_class;   /* added to its work's base priority (low 0 … urgent 3) */
    const char **reasons; /* contact reasons it takes */
    size_t n_reasons;
    const char *team; /* only members of this team (slug), or NULL for anyone */
    bool is_default;  /* takes the contact reasons no other queue lists */
    struct queue_step steps[QUEUE_MAX_STEPS];
    size_t n_steps;
    int64_t created_at, updated_at;
};

/* Capacity per channel as a count of simultaneous conversations: a conversation on channel c
 * uses 1/capacity[c] of the adviser, so "3 chats or 5 emails" mix by weights. 0: the adviser
 * takes no work on that channel. */
struct route_profile {
    int64_t user_id, tenant_id;
    int capacity[CHANNEL__COUNT];
    int wrap_up_s;
    bool accept_required;
    int accept_timeout_s;
    int64_t updated_at;
};
/* The profile an adviser without a stored one gets. */
void route_profile_default(struct route_profile *p);

struct presence_state {
    int64_t user_id, tenant_id;
    enum presence status;
    bool automatic; /* set by the server (stream dropped), not by the adviser */
    int64_t since;
};

/* Deadlines in business minutes (fractional minutes are kept to the millisecond). */
struct sla_policy {
    int64_t id, tenant_id;
    enum priority priority;
    bool vulnerable; /* applies to vulnerable customers / those who prefer a person instead */
    int64_t first_response_ms, next_response_ms, resolution_ms; /* 0: no such target */
    int warning_pct; /* warn when this share of a target has elapsed (1..99) */
    int64_t updated_at;
};

/* A tenant's routing settings. */
struct route_settings {
    int64_t tenant_id;
    const char *calendar_json;   /* sla_calendar.h format; NULL: 24x7 in UTC */
    const char *specialist_team; /* team slug: vulnerable customers and those who prefer a
                                    person go to its members while one is online; NULL: none */
    int sticky_window_s;         /* stickiness: last adviser of this customer within this window */
    int ageing_milli_per_min;    /* effective priority gains this/1000 per minute waited */
    int64_t updated_at;
};

enum callback_status { CALLBACK_SCHEDULED, CALLBACK_QUEUED, CALLBACK_CANCELLED, CALLBACK__COUNT };
const char *callback_status_name(enum callback_status s);
int callback_status_parse(const char *s);

struct callback {
    int64_t id, tenant_id, customer_id;
    int64_t at;            /* when it becomes queued work */
    const char *note;      /* staff only */
    const char *booked_by; /* "user:4", "customer:17" */
    enum callback_status status;
    int64_t conversation_id; /* once queued */
    enum channel channel;    /* the channel of the work item it becomes */
    int64_t created_at;
};

struct transfer {
    int64_t id, tenant_id, conversation_id;
    int64_t from_user;
    int64_t to_user, to_team, to_queue; /* exactly one is non-zero */
    const char *note;
    int64_t message_id; /* the internal note flagged as the transfer note */
    int64_t at;
};

/* What the routing service (or an adviser accepting/declining) writes about a conversation:
 * STORE_ROUTE_DECISION. Every action is guarded so a decision made on a stale view fails with
 * PARLEY_ECONFLICT instead of overwriting someone else's change. */
enum routing_op {
    ROUTING_ENQUEUE, /* sets queue_id (and the SLA fields in sla_set); the conversation waits */
    ROUTING_ASSIGN, /* queued and unassigned → assigned to user_id (offer_until: accept needed) */
    ROUTING_REQUEUE, /* assigned to expect_user → queued, unassigned (offline, accept timeout) */
    ROUTING_ACCEPT,  /* the offered adviser accepts: the offer ends, the assignment stays */
    ROUTING_DECLINE, /* the offered adviser declines: back to the queue */
    ROUTING_SLA,     /* deadlines / warned / breached bits (sla_set), with an sla.* event */
    ROUTING__COUNT
};
const char *routing_op_name(enum routing_op a);

enum { SLA_SET_DUES = 1 << 0, SLA_SET_WARNED = 1 << 1, SLA_SET_BREACHED = 1 << 2 };

struct routing_update {
    enum routing_op action;
    int64_t conversation_id;
    int64_t user_id;     /* ASSIGN: the adviser; ACCEPT/DECLINE: the caller */
    int64_t expect_user; /* REQUEUE: the assignee it expects (guard) */
    int64_t queue_id;    /* ENQUEUE */
    int64_t offer_until; /* ASSIGN: accept deadline (0: no acceptance needed) */
    const char *reason;  /* "sticky", "least occupied", "relaxed step 2", "accept timeout" */
    const char *detail;  /* optional JSON object text merged into the route.decision event */
    /* SLA */
    unsigned sla_set;   /* SLA_SET_* */
    int64_t sla_policy; /* policy id, 0: none (dues cleared) */
    int64_t first_response_due, next_response_due, resolution_due;
    unsigned warned, breached; /* SLA_* bits (the full new sets) */
    const char *sla_event;     /* "sla.warning" / "sla.breached" or NULL */
    unsigned sla_event_kind;   /* SLA_* bit the event is about */
};

enum { SLA_FIRST = 1 << 0, SLA_NEXT = 1 << 1, SLA_RESOLUTION = 1 << 2 };
/* Names of the set SLA_* bits ("first_response", "next_response", "resolution"). */
size_t sla_kind_names(unsigned bits, const char **out, size_t max);

#endif
