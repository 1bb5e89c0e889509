/* The domain: tenants, staff, customers, identities, consents, conversations, messages,
 * receipts, audit entries and events. Plain structs and the enum ↔ name tables; no I/O.
 * Strings inside these structs are borrowed: they point into the arena of whoever filled
 * the struct (a store read, a decoder) and live as long as that arena. */
#ifndef PARLEY_CORE_H
#define PARLEY_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

/* ---- enums, each with a name table in core_enums.c ---------------------------------- */

enum role { ROLE_ADMIN, ROLE_SUPERVISOR, ROLE_AGENT, ROLE_EXPERT, ROLE__COUNT };

enum conv_status {
    CONV_BOT,
    CONV_QUEUED,
    CONV_ASSIGNED,
    CONV_PENDING_CUSTOMER,
    CONV_RESOLVED,
    CONV_CLOSED,
    CONV__COUNT
};

enum sender { SENDER_CUSTOMER, SENDER_AGENT, SENDER_BOT, SENDER_SYSTEM, SENDER__COUNT };

enum channel {
    CHANNEL_WEB,
    CHANNEL_PORTAL,
    CHANNEL_EMAIL,
    CHANNEL_SMS,
    CHANNEL_WHATSAPP,
    CHANNEL_DEVICE,
    CHANNEL_API,
    CHANNEL__COUNT
};

enum identity_kind {
    IDENTITY_EMAIL,
    IDENTITY_PHONE,
    IDENTITY_WEB_VISITOR,
    IDENTITY_WHATSAPP,
    IDENTITY_DEVICE,
    IDENTITY_EXTERNAL, /* the organisation's own customer id, from a signed widget identity */
    IDENTITY__COUNT
};

enum consent_purpose {
    PURPOSE_SERVICE_ALERTS,
    PURPOSE_OUTAGE_UPDATES,
    PURPOSE_REMINDERS,
    PURPOSE_MARKETING,
    PURPOSE__COUNT
};

/* Accessibility and vulnerability needs: a bit set. */
enum need {
    NEED_HEARING = 1 << 0,
    NEED_SIGHT = 1 << 1,
    NEED_DEXTERITY = 1 << 2,
    NEED_MENTAL_HEALTH = 1 << 3,
    NEED_LOW_DIGITAL_CONFIDENCE = 1 << 4,
    NEED_FINANCIAL_DIFFICULTY = 1 << 5,
    NEED_BEREAVEMENT = 1 << 6,
    NEED__ALL = (1 << 7) - 1
};

/* Receipt kinds; each is a cursor "up to seq N" per participant and conversation. */
enum receipt_kind { RECEIPT_DELIVERED, RECEIPT_READ, RECEIPT__COUNT };

enum priority { PRIORITY_LOW, PRIORITY_NORMAL, PRIORITY_HIGH, PRIORITY_URGENT, PRIORITY__COUNT };

/* Name ↔ value. *_name returns a static string ("admin"); *_parse returns the value or -1. */
const char *role_name(enum role r);
int role_parse(const char *s);
const char *conv_status_name(enum conv_status s);
int conv_status_parse(const char *s);
const char *sender_name(enum sender s);
int sender_parse(const char *s);
const char *channel_name(enum channel c);
int channel_parse(const char *s);
const char *identity_kind_name(enum identity_kind k);
int identity_kind_parse(const char *s);
const char *consent_purpose_name(enum consent_purpose p);
int consent_purpose_parse(const char *s);
const char *receipt_kind_name(enum receipt_kind k);
int receipt_kind_parse(const char *s);
const char *priority_name(enum priority p);
int priority_parse(const char *s);
/* One need by name ("hearing", "mental_health", …) → its bit, or 0 when unknown. */
unsigned need_parse(const char *s);
/* Names of the set bits, in table order, into out[] (up to max); returns how many. */
size_t need_names(unsigned needs, const char **out, size_t max);

/* Roles that may see vulnerability and accessibility needs (admin, supervisor, agent;
 * never expert: crowd experts see redacted customers). */
bool role_sees_needs(enum role r);

/* ---- entities ---------------------------------------------------------------------- */

struct tenant {
    int64_t id;
    const char *slug, *name;
    const char *ref_prefix;    /* "ACME": conversation references are ACME-10423 */
    const char *widget_secret; /* shared with the organisation's site, signs identities */
    const char *token_key;     /* server-only key that signs visitor tokens */
    const char *time_zone;
    int64_t created_at;
};

struct user {
    int64_t id, tenant_id;
    const char *email, *name;
    enum role role;
    const char **skills; /* "billing:3" … (name:level); count in n_skills */
    size_t n_skills;
    const char **languages; /* "en", "fr" … */
    size_t n_languages;
    const char *team; /* team slug or NULL */
    bool active;
    int64_t created_at;
};

struct team {
    int64_t id, tenant_id;
    const char *slug, *name;
};

struct customer {
    int64_t id, tenant_id;
    const char *name, *locale, *time_zone;
    int preferred_channel; /* enum channel, or -1 for none */
    unsigned needs;        /* enum need bits */
    const char *needs_note;
    bool prefers_person;
    int64_t merged_into; /* 0 unless this record was merged into another */
    int64_t created_at, updated_at;
};

struct identity {
    int64_t id, tenant_id, customer_id;
    enum identity_kind kind;
    const char *value; /* normalised: emails lower-cased, phones E.164 */
    bool verified;
    int64_t created_at;
};

struct consent {
    int64_t id, tenant_id, customer_id;
    enum consent_purpose purpose;
    enum channel channel;
    bool granted;       /* false: withdrawn */
    const char *source; /* "widget", "agent:12", "import" … */
    int64_t at;
};

struct conversation {
    int64_t id, tenant_id, customer_id;
    const char *reference; /* ACME-10423 */
    enum conv_status status;
    enum priority priority;
    const char *subject;
    const char *contact_reason;
    const char **tags;
    size_t n_tags;
    int64_t *assignees; /* user ids; the first is the owner */
    size_t n_assignees;
    enum channel channel; /* the channel it started on */
    int64_t last_seq;     /* highest message seq */
    int64_t created_at, updated_at, first_response_at, resolved_at, closed_at;
    /* routing (issue 4, core_route.h): the queue it waits in or came through, an assignment
     * waiting for acceptance, and SLA deadlines (UTC ms, 0: none; sla_policy 0: no policy) */
    int64_t queue_id, queued_at; /* queued_at: when it started waiting (0: not routed) */
    const char *queue_name;
    int64_t offer_user, offer_until;
    int64_t sla_policy, sla_first_response_due, sla_next_response_due, sla_resolution_due;
    unsigned sla_warned, sla_breached; /* SLA_* bits */
};

struct message {
    int64_t id, tenant_id, conversation_id, seq;
    enum sender sender;
    int64_t author_id; /* user id (agent) or customer id (customer); 0 for bot/system */
    enum channel channel;
    bool internal; /* internal note: staff only */
    const char *body;
    int64_t created_at;
};

/* One participant's receipt cursors in one conversation. participant is "customer:17" or
 * "user:4". accepted_seq is implicit (the conversation's last_seq: commit is acceptance). */
struct receipt {
    int64_t conversation_id;
    const char *participant;
    int64_t delivered_seq, read_seq;
    int64_t updated_at;
};

struct audit_entry {
    int64_t id, tenant_id;
    const char *actor;  /* "user:4", "customer:17", "system", "cli" */
    const char *action; /* "customer.view", "customer.update", "customer.merge", … */
    const char *object; /* "customer:17", "conversation:9" */
    const char *detail; /* JSON text, never personal data */
    int64_t at;
};

/* A committed change, as stored in the event log and sent on live streams. Event ids grow
 * across the whole database, so "resume after id N" has no gaps and no duplicates. */
enum event_audience {
    AUDIENCE_STAFF = 1 << 0,       /* advisers allowed by role / assignment */
    AUDIENCE_CUSTOMER = 1 << 1,    /* the conversation's customer */
    AUDIENCE_SUPERVISORS = 1 << 2, /* admins and supervisors only (routing decisions, config) */
};

/* Routing hot path (docs/internals/route_service.md, "Events"): typed facts the writer adds
 * to an event for in-process subscribers, so the routing service needs neither to parse the
 * JSON payload nor to read the store for each message. Not stored: an event read back from
 * the store has kind EVENT_FACTS_NONE. Plain values only (the bus copies events by value). */
enum event_facts_kind { EVENT_FACTS_NONE, EVENT_FACTS_MESSAGE, EVENT_FACTS_CONVERSATION };
struct event_facts {
    unsigned char kind;   /* enum event_facts_kind */
    unsigned char sender; /* MESSAGE: enum sender */
    bool internal;        /* MESSAGE: an internal note */
    /* CONVERSATION (conversation.created/updated): the committed row as of this event; the
     * owner is the event's assignee_id, the customer its customer_id */
    unsigned char status, priority, channel; /* enum conv_status, priority, channel */
    bool vulnerable;            /* its customer has needs or prefers a person, at commit */
    const char *contact_reason; /* NULL: none (the bus copies it with the event) */
    int64_t created_at, first_response_at, queue_id, queued_at, offer_user;
    int64_t sla_policy, sla_due[3]; /* first response, next response, resolution */
    unsigned sla_warned, sla_breached;
};

struct event {
    int64_t id, tenant_id;
    const char *type; /* "message.created", "receipt.updated", "conversation.updated", … */
    int64_t conversation_id, customer_id;
    int64_t assignee_id;  /* owner at the time, 0 when none */
    int64_t assignees[8]; /* everyone assigned or invited at the time (first 8), owner first */
    int n_assignees;
    unsigned audience; /* enum event_audience bits */
    const char *data;  /* JSON text of the payload */
    /* The payload for the customer audience when it differs from data (a Conversation without
     * staff fields), else NULL: use data. */
    const char *data_customer;
    int64_t at;
    struct event_facts facts; /* routing hot path (above) */
};

/* Swarming (docs/swarming.md): someone invited into a conversation besides its owner. An
 * adviser (admin, supervisor or agent) or a crowd expert (role expert, sees redacted data).
 * Active participants follow the owner in the conversation's assignees. */
enum participant_kind { PARTICIPANT_ADVISER, PARTICIPANT_EXPERT, PARTICIPANT__COUNT };
#define SWARM_MAX_PARTICIPANTS 7 /* + the owner = the 8 assignees a live-stream event carries */

struct participant {
    int64_t conversation_id, user_id;
    enum participant_kind kind;
    const char *invited_by;  /* actor: "user:4", "system" */
    int64_t invited_at;      /* the latest invitation */
    int64_t joined_at;       /* access starts with the invitation (no accept step) */
    int64_t left_at;         /* 0 while active */
    bool may_write_customer; /* set by the owner or a supervisor; default false */
};
const char *participant_kind_name(enum participant_kind k);

/* Who is calling: resolved from a bearer token. */
enum principal_kind { PRINCIPAL_NONE, PRINCIPAL_USER, PRINCIPAL_CUSTOMER };

struct principal {
    enum principal_kind kind;
    int64_t tenant_id;
    int64_t user_id;     /* PRINCIPAL_USER */
    enum role role;      /* PRINCIPAL_USER */
    int64_t customer_id; /* PRINCIPAL_CUSTOMER */
};

/* ---- limits and validation (pure) ------------------------------------------------- */

#define CORE_MAX_NAME         200  /* bytes: names, subjects, contact reasons */
#define CORE_MAX_SHORT        64   /* bytes: slugs, locales, tags, time zones */
#define CORE_MAX_IDENTITY     320  /* bytes: identity values (an email can be 320) */
#define CORE_MAX_NOTE         2000 /* bytes: needs note */
#define CORE_MAX_TAGS         32
#define CORE_MAX_LIST         64    /* skills, languages, assignees */
#define CORE_DEFAULT_MAX_BODY 16384 /* message body bytes, configurable */

/* Validates and normalises (lower-cases emails, strips spaces from phones into E.164) an
 * identity value in place; returns 0 or PARLEY_EINVAL with field "value". */
int core_normalise_identity(enum identity_kind kind, char *value, struct parley_err *err);
/* Validates a string field: UTF-8, not empty (when required), at most max bytes. */
int core_check_text(const char *field, const char *s, size_t len, size_t max, bool required,
                    struct parley_err *err);
/* Slug: 2–32 chars of [a-z0-9-], starting with a letter. */
int core_check_slug(const char *field, const char *s, struct parley_err *err);

#endif
