/* The storage interface. Backends (SQLite now, PostgreSQL next) fill it; nothing outside
 * src/store/ sees SQL or a backend type.
 *
 * Threads and ownership:
 *  - One struct store per database, shared by all threads. Writes are commands submitted
 *    with store_submit(); a single writer thread runs them in batches, one transaction per
 *    batch (group commit), each command inside its own savepoint so one failure fails alone.
 *    cmd->done(cmd) is called on the writer thread once the batch has committed (or the
 *    command failed); only then may anyone acknowledge the write. The command, its arena and
 *    everything its result points to belong to the submitter; the store only borrows them
 *    between store_submit() and done().
 *  - Reads go through a struct store_reader: one per thread, never shared. Results are
 *    written into the caller's arena and live as long as it.
 *  - After each commit the store calls the event sink (store_set_event_sink) on the writer
 *    thread with the events that batch committed, in id order, before any done() callback.
 */
#ifndef PARLEY_STORE_H
#define PARLEY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/arena.h"
#include "../common/err.h"
#include "../core/core.h"
#include "../core/core_route.h"
#include "../core/core_kb.h"

struct store;
struct store_reader;

struct store_options {
    const char *path;      /* database file; created when missing */
    int batch_max;         /* most commands in one transaction (default 256) */
    bool synchronous_full; /* fsync every commit (default true; false only for tests/benches) */
    int busy_timeout_ms;   /* default 5000 */
};

/* Opens (creating the file when missing) and applies pending migrations. Starts the writer
 * thread. Returns 0 or a PARLEY_E* code with err filled. */
int store_open(const struct store_options *opt, struct store **out, struct parley_err *err);
/* Drains queued commands, stops the writer, closes. store_close(NULL) is safe. */
void store_close(struct store *s);
/* Schema version after migrations, and the newest this binary knows. */
int store_schema_version(struct store *s);
int store_latest_schema_version(void);
/* How many migrations the last store_open applied (0 when the schema was already current), so
 * the version found on disk was store_schema_version() minus this (`parley migrate`). */
int store_migrations_applied(struct store *s);
/* PRAGMA integrity_check or the backend's equivalent: 0 when ok. */
int store_check_integrity(struct store *s, struct parley_err *err);

typedef void (*store_event_sink_fn)(void *ud, const struct event *events, size_t n);
/* Set before the first submit; called on the writer thread. */
void store_set_event_sink(struct store *s, store_event_sink_fn fn, void *ud);

/* ---- write commands ----------------------------------------------------------------- */
/* Timestamps: a created_at (or at) of 0 in a command's input means "now"; a non-zero value is
 * kept, so seeding and imports can write history. */

enum store_cmd_kind {
    STORE_CREATE_TENANT,    /* in: tenant + admin user (+password_hash) → out: tenant, user */
    STORE_CREATE_TEAM,      /* in: team → out: team */
    STORE_CREATE_USER,      /* in: user (+password_hash) → out: user */
    STORE_CREATE_SESSION,   /* in: session → (no result body) */
    STORE_CREATE_API_TOKEN, /* in: api_token → out: id */
    STORE_DELETE_SESSION,   /* in: token hash (logout) */
    STORE_CREATE_CUSTOMER,  /* in: customer (+identities) → out: customer */
    STORE_UPDATE_CUSTOMER,  /* in: customer + set mask → out: customer */
    STORE_ADD_IDENTITY,     /* in: identity; merges when the identity belongs to another customer */
    STORE_SET_CONSENT,      /* in: consent → out: consent */
    STORE_CREATE_CONVERSATION, /* in: conversation (+optional first message) → out: conversation */
    STORE_UPDATE_CONVERSATION, /* in: conversation + set mask → out: conversation */
    STORE_CREATE_MESSAGE,      /* in: message → out: message (seq assigned) */
    STORE_WIDGET_SESSION, /* in: tenant, optional identity → out: customer (found or created) */
    STORE_WIDGET_MESSAGE, /* in: customer id, message; opens a conversation when none open */
    STORE_UPDATE_RECEIPT, /* in: receipt cursor (only moves forward) → out: receipt */
    STORE_APPEND_AUDIT,   /* in: audit entry (views are audited this way) */
    STORE_PRUNE,          /* in: cutoff: deletes events and idempotency keys older than it */
    /* NLU (intent detection) */
    STORE_SET_NLU_MODEL, /* in: model blob + summary → out: result_id = the new version */
    /* staffing (wfm) */
    STORE_RECORD_ARRIVALS, /* in: interval counts (imported history); replaces same intervals */
    /* virtual agent (issue 3), see store_bot.c */
    STORE_BOT_TURN,        /* in: bot_turn: the bot's replies + state (+hand-off/resolve) */
    STORE_BOT_SET_POLICY,  /* in: bot_policy → out: the stored policy JSON */
    STORE_BOT_FIRST_REPLY, /* in: bot_first_reply: a human answered a handed-off conversation */
    /* swarming (store_swarm.c): in.participant → out: Participant JSON */
    STORE_ADD_PARTICIPANT,    /* user_id, or skill + min_level (+ role) to choose one */
    STORE_REMOVE_PARTICIPANT, /* user_id leaves (left_at set, dropped from assignees) */
    STORE_UPDATE_PARTICIPANT, /* may_write_customer */
    /* routing (issue 4, store_route*.c) */
    STORE_PUT_QUEUE,           /* in: queue (id 0: create) → out: queue; event queue.updated */
    STORE_DELETE_QUEUE,        /* in: queue id; its waiting work moves to no queue */
    STORE_PUT_ROUTING_PROFILE, /* in: profile → out: profile; event routing_profile.updated */
    STORE_SET_PRESENCE,        /* in: presence → out: presence; event presence.updated */
    STORE_PUT_SLA_POLICIES,    /* in: the tenant's whole policy list (replaces it) */
    STORE_PUT_ROUTE_SETTINGS,  /* in: settings (calendar JSON already validated) */
    STORE_CREATE_CALLBACK,     /* in: callback → out: callback; event callback.created */
    STORE_CALLBACK_DUE,        /* in: callback id: opens its queued conversation */
    STORE_TRANSFER,            /* in: transfer: internal note + requeue or reassign */
    STORE_ROUTE_DECISION,      /* in: route_decision (core_route.h) */
    /* knowledge base (kb helper): articles, audited; the full-text index follows in the same
     * transaction */
    STORE_KB_PUT_ARTICLE,    /* in: kb_put → out: KbArticle (201 new; 200 upsert of a slug) */
    STORE_KB_UPDATE_ARTICLE, /* in: kb_update (id + KB_SET_* mask) → out: KbArticle */
    STORE_KB_DELETE_ARTICLE, /* in: kb_delete_id → (no result body) */
    /* routing hot path (routehot): cancelling a scheduled call-back, audited, event
     * callback.cancelled; cancelling a cancelled one changes nothing (result_id2 = 1) */
    STORE_CANCEL_CALLBACK, /* in: cancel_callback_id → out: Callback */
    STORE_CMD__COUNT
};

/* Contacts that arrived in one 30-minute interval on one channel, as an ACD or telephony
 * interval report gives them (history imported or seeded rather than conversations). */
#define STORE_ARRIVAL_INTERVAL_MS (30LL * 60 * 1000)
#define STORE_MAX_ARRIVAL_ROWS    20000 /* per STORE_RECORD_ARRIVALS command */
struct arrival_count {
    int64_t interval_start; /* UTC ms, a multiple of STORE_ARRIVAL_INTERVAL_MS */
    enum channel channel;
    int64_t arrivals; /* >= 0 */
    double handle_s;  /* total handling seconds of those contacts (0 when unknown) */
};

/* Which fields of an update are set. */
enum {
    SET_NAME = 1 << 0,
    SET_LOCALE = 1 << 1,
    SET_TIME_ZONE = 1 << 2,
    SET_PREFERRED_CHANNEL = 1 << 3,
    SET_NEEDS = 1 << 4,
    SET_NEEDS_NOTE = 1 << 5,
    SET_PREFERS_PERSON = 1 << 6,
    SET_STATUS = 1 << 7,
    SET_PRIORITY = 1 << 8,
    SET_CONTACT_REASON = 1 << 9,
    SET_TAGS = 1 << 10,
    SET_ASSIGNEES = 1 << 11,
    SET_SUBJECT = 1 << 12,
};

struct store_cmd;
typedef void (*store_done_fn)(struct store_cmd *cmd);

/* ---- virtual agent (issue 3) command inputs ---- */
#define BOT_TURN_MAX_REPLIES 4
enum bot_outcome { BOT_OUTCOME_ACTIVE, BOT_OUTCOME_RESOLVED, BOT_OUTCOME_HANDOFF };
/* One bot turn, applied only while the conversation's status is still "bot" (a person who
 * took it over in the meantime wins: the turn then does nothing, result_id 0). */
struct bot_turn {
    int64_t conversation_id;
    int64_t handled_seq; /* the customer message this turn answers (0: none, e.g. the sweep) */
    const char *state;   /* the bot's state JSON to keep */
    const char *replies[BOT_TURN_MAX_REPLIES]; /* customer-visible bot messages, in order */
    size_t n_replies;
    const char *note;       /* internal note for the adviser (hand-off summary) or NULL */
    int64_t resolve_due_at; /* > 0: resolve then unless the customer returns; 0: clear */
    enum bot_outcome outcome;
    /* outcome HANDOFF: the conversation goes to queued with these (CONTRACTS.md) */
    const char *reason, *intent; /* intent: contact_reason ("unknown" when NULL) */
    enum priority priority;      /* raised to at least this */
    /* outcome RESOLVED: "confirmed" or "timeout"; a timeout applies only when the customer has
     * not written since the bot's last turn and the due time has passed */
    const char *resolved_how;
};
struct bot_policy_in {
    bool enabled;
    const char *policy_json; /* validated by the caller (src/bot/bot_policy.c) */
};

struct store_cmd {
    enum store_cmd_kind kind;
    int64_t tenant_id;       /* every command is tenant-scoped (0 only for CREATE_TENANT) */
    const char *actor;       /* "user:4", "customer:17", "cli", "system": written to audit */
    enum role viewer_role;   /* representation of result_json (needs hidden from experts …) */
    bool viewer_is_customer; /* result_json for the customer's own view (no internal fields) */

    /* Idempotency: when key is set, a command with the same (tenant, scope, key) that already
     * committed returns its stored result_json and status instead of running again; the
     * same key with a different request_hash fails with PARLEY_ECONFLICT. */
    const char *idem_scope; /* who the key belongs to: the actor string */
    const char *idem_key;
    char request_hash[65]; /* hex SHA-256 of the canonical request */

    union {
        struct {
            struct tenant tenant;
            struct user admin;
            const char *admin_password_hash;
        } create_tenant;
        struct team create_team;
        struct {
            struct user user;
            const char *password_hash;
        } create_user;
        struct {
            int64_t user_id;
            const char *token_hash; /* hex SHA-256 of the bearer token */
            int64_t expires_at;
        } create_session;
        const char *delete_session_token_hash;
        struct {
            int64_t user_id;
            const char *name;
            const char *token_hash;
            int64_t expires_at; /* 0: never */
        } create_api_token;
        struct {
            struct customer customer;
            struct identity *identities;
            size_t n_identities;
        } create_customer;
        struct {
            struct customer customer; /* id + the fields named in set */
            unsigned set;
        } update_customer;
        struct identity add_identity;
        struct consent set_consent;
        struct {
            struct conversation conversation;
            const char *first_message; /* optional: the customer's opening message */
            enum sender first_sender;
            /* SET_STATUS / SET_PRIORITY honour a zero status (bot) / priority (low); without
             * them those zero values mean the defaults, queued / normal. */
            unsigned set;
        } create_conversation;
        struct {
            struct conversation conversation; /* id + the fields named in set */
            unsigned set;
        } update_conversation;
        struct message create_message;
        struct {
            const char *identity_value; /* optional signed identity, "kind:value" split below */
            enum identity_kind identity_kind;
            const char *name; /* optional display name from the widget */
        } widget_session;
        struct {
            int64_t customer_id;
            int64_t conversation_id; /* 0: the open one, or a new one */
            struct message message;
            bool bot; /* the bot service runs: a new conversation may start with it (issue 3) */
        } widget_message;
        struct receipt update_receipt; /* kind chosen by receipt_kind below */
        struct audit_entry append_audit;
        int64_t prune_before_ms;
        /* NLU: a trained model (already validated by the caller; the store keeps bytes). The
         * blob is borrowed until done(). */
        struct {
            const void *blob;
            size_t len;
            const char *labels_json; /* JSON array of the model's labels */
            int64_t examples, trained_at;
        } set_nlu_model;
        struct { /* staffing (wfm) */
            const struct arrival_count *rows;
            size_t n;
        } record_arrivals;
        struct bot_turn bot_turn;        /* virtual agent (issue 3) */
        struct bot_policy_in bot_policy; /* virtual agent (issue 3) */
        struct {
            int64_t conversation_id, message_id, user_id, at;
        } bot_first_reply; /* virtual agent (issue 3) */
        struct {           /* swarming: STORE_ADD/REMOVE/UPDATE_PARTICIPANT */
            int64_t conversation_id;
            int64_t user_id;   /* 0 (add only): the best available staff with skill */
            const char *skill; /* skill name ("billing"), with min_level 1..10 */
            int min_level;
            int role; /* enum role the chosen one must have, or -1 for any */
            bool may_write_customer;
        } participant;
        /* routing (issue 4) */
        struct route_queue put_queue;
        int64_t delete_queue_id;
        struct route_profile put_profile;
        struct presence_state set_presence;
        struct {
            const struct sla_policy *items;
            size_t n;
        } put_sla_policies;
        struct route_settings put_route_settings;
        struct callback create_callback;
        int64_t callback_due_id;
        struct transfer transfer;
        struct routing_update routing_update;
        /* knowledge base (kb helper). body, html and text come together: the caller renders
         * the Markdown (src/bot/kb_md.h) before submitting. */
        struct {
            struct kb_article article;
            bool upsert; /* an existing slug is updated instead of a 409 (imports) */
        } kb_put;
        struct {
            struct kb_article article; /* id + the fields named in set */
            unsigned set;              /* KB_SET_* */
        } kb_update;
        int64_t kb_delete_id;
        int64_t cancel_callback_id; /* routehot: STORE_CANCEL_CALLBACK */
    } in;
    enum receipt_kind receipt_kind;

    /* Results, filled by the writer before done(). */
    int status;            /* 0 or PARLEY_E* */
    struct parley_err err; /* when status != 0 */
    bool replayed;         /* the result came from an earlier command with the same key */
    bool created;          /* something new was created (201 rather than 200) */
    int64_t result_id;     /* id of what was created or changed */
    int64_t result_id2;    /* secondary id: the conversation of a widget message, the admin user
                              of a new tenant, the customer merged away by ADD_IDENTITY */
    char *result_json;     /* API representation (UTF-8 JSON), allocated from arena */
    /* routing hot path (routehot): events with ids <= event_hw were committed before this
     * command, its own events (if any) have greater ids; 0 when it failed */
    int64_t event_hw;

    struct arena arena; /* owned by the submitter; store allocates results from it */
    store_done_fn done;
    void *ud;                      /* submitter's context */
    struct store_cmd *next_queued; /* private to the store */
};

/* Initialises cmd (zeroes it, sets kind, inits its arena). */
void store_cmd_init(struct store_cmd *cmd, enum store_cmd_kind kind);
/* Frees the arena. Does not free cmd itself. */
void store_cmd_release(struct store_cmd *cmd);
/* Queues cmd for the writer. Returns 0, or PARLEY_EBUSY when the queue is full or the store
 * is closing (done is then NOT called). */
int store_submit(struct store *s, struct store_cmd *cmd);
/* Submits and waits (for the CLI, seeding and tests). Returns cmd->status. */
int store_exec(struct store *s, struct store_cmd *cmd);

/* ---- reads -------------------------------------------------------------------------- */

int store_reader_open(struct store *s, struct store_reader **out, struct parley_err *err);
void store_reader_close(struct store_reader *r);

struct store_page {
    int64_t after; /* cursor: 0 for the first page */
    int limit;     /* 1..200 */
};

/* Resolves a bearer token hash (session or API token, not expired, user active). */
int store_auth_token(struct store_reader *r, const char *token_hash, struct principal *out,
                     struct parley_err *err);

int store_get_tenant_by_slug(struct store_reader *r, const char *slug, struct tenant *out,
                             struct arena *a, struct parley_err *err);
int store_get_tenant(struct store_reader *r, int64_t id, struct tenant *out, struct arena *a,
                     struct parley_err *err);
/* For login: the user and their argon2id password hash (*hash_out from the arena). */
int store_get_user_login(struct store_reader *r, int64_t tenant_id, const char *email,
                         struct user *out, const char **hash_out, struct arena *a,
                         struct parley_err *err);
int store_get_user(struct store_reader *r, int64_t tenant_id, int64_t id, struct user *out,
                   struct arena *a, struct parley_err *err);
int store_list_users(struct store_reader *r, int64_t tenant_id, const struct store_page *page,
                     struct user **out, size_t *n, int64_t *next, struct arena *a,
                     struct parley_err *err);

struct customer_filter {
    const char *q; /* optional: name prefix or identity value */
    int64_t updated_since;
    int64_t assignee_id; /* swarming: > 0, only customers with a conversation this user is
                            among the assignees of (what a crowd expert may read) */
};
int store_get_customer(struct store_reader *r, int64_t tenant_id, int64_t id, struct customer *out,
                       struct arena *a, struct parley_err *err);
int store_list_customers(struct store_reader *r, int64_t tenant_id, const struct customer_filter *f,
                         const struct store_page *page, struct customer **out, size_t *n,
                         int64_t *next, struct arena *a, struct parley_err *err);
int store_list_identities(struct store_reader *r, int64_t tenant_id, int64_t customer_id,
                          struct identity **out, size_t *n, struct arena *a,
                          struct parley_err *err);
int store_list_consents(struct store_reader *r, int64_t tenant_id, int64_t customer_id,
                        struct consent **out, size_t *n, struct arena *a, struct parley_err *err);

struct conversation_filter {
    int status;          /* enum conv_status or -1 */
    int64_t assignee_id; /* 0: any; -1: unassigned */
    int64_t customer_id; /* 0: any */
    int64_t updated_since;
};
int store_get_conversation(struct store_reader *r, int64_t tenant_id, int64_t id,
                           struct conversation *out, struct arena *a, struct parley_err *err);
/* Newest first; the cursor is opaque to callers (the last id). */
int store_list_conversations(struct store_reader *r, int64_t tenant_id,
                             const struct conversation_filter *f, const struct store_page *page,
                             struct conversation **out, size_t *n, int64_t *next, struct arena *a,
                             struct parley_err *err);
/* Oldest first by seq; page->after is a seq. include_internal false hides internal notes. */
int store_list_messages(struct store_reader *r, int64_t tenant_id, int64_t conversation_id,
                        bool include_internal, const struct store_page *page, struct message **out,
                        size_t *n, int64_t *next, struct arena *a, struct parley_err *err);
int store_list_receipts(struct store_reader *r, int64_t tenant_id, int64_t conversation_id,
                        struct receipt **out, size_t *n, struct arena *a, struct parley_err *err);

struct audit_filter {
    const char *action; /* exact, optional */
    const char *object; /* exact, optional */
    const char *actor;  /* exact, optional */
};
/* Newest first. */
int store_list_audit(struct store_reader *r, int64_t tenant_id, const struct audit_filter *f,
                     const struct store_page *page, struct audit_entry **out, size_t *n,
                     int64_t *next, struct arena *a, struct parley_err *err);

/* Swarming: the active participants of a conversation, invitation order (ENOTFOUND when the
 * conversation is not the tenant's); one participant, active or not (ENOTFOUND when the user
 * was never invited). */
int store_list_participants(struct store_reader *r, int64_t tenant_id, int64_t conversation_id,
                            struct participant **out, size_t *n, struct arena *a,
                            struct parley_err *err);
int store_get_participant(struct store_reader *r, int64_t tenant_id, int64_t conversation_id,
                          int64_t user_id, struct participant *out, struct arena *a,
                          struct parley_err *err);

/* Events after an id, oldest first, for one tenant (live-stream resume). */
int store_list_events(struct store_reader *r, int64_t tenant_id, int64_t after_id, int limit,
                      struct event **out, size_t *n, struct arena *a, struct parley_err *err);
/* routing hot path (routehot): the conversation as committed, with the id of the newest event
 * committed when it was read (one statement, one snapshot), so a bus subscriber can tell the
 * events this read already reflects (ids <= *event_hw). */
int store_get_conversation_at(struct store_reader *r, int64_t tenant_id, int64_t id,
                              struct conversation *out, int64_t *event_hw, struct arena *a,
                              struct parley_err *err);
/* ---- routing (issue 4, store_route_read.c) ------------------------------------------ */
/* Whole lists (a tenant has tens of queues and policies, hundreds of advisers): no paging. */
int store_list_queues(struct store_reader *r, int64_t tenant_id, struct route_queue **out,
                      size_t *n, struct arena *a, struct parley_err *err);
int store_get_queue(struct store_reader *r, int64_t tenant_id, int64_t id, struct route_queue *out,
                    struct arena *a, struct parley_err *err);
/* The stored profile, or the default one (route_profile_default) when the user has none;
 * PARLEY_ENOTFOUND when the user is not the tenant's. */
int store_get_routing_profile(struct store_reader *r, int64_t tenant_id, int64_t user_id,
                              struct route_profile *out, struct parley_err *err);
/* Stored profiles only. */
int store_list_routing_profiles(struct store_reader *r, int64_t tenant_id,
                                struct route_profile **out, size_t *n, struct arena *a,
                                struct parley_err *err);
/* Every user with a stored presence (others are offline). */
int store_list_presence(struct store_reader *r, int64_t tenant_id, struct presence_state **out,
                        size_t *n, struct arena *a, struct parley_err *err);
int store_list_sla_policies(struct store_reader *r, int64_t tenant_id, struct sla_policy **out,
                            size_t *n, struct arena *a, struct parley_err *err);
/* The stored settings or the defaults (calendar NULL). */
int store_get_route_settings(struct store_reader *r, int64_t tenant_id, struct route_settings *out,
                             struct arena *a, struct parley_err *err);
struct callback_filter {
    int status;          /* enum callback_status or -1 */
    int64_t customer_id; /* 0: any */
};
/* Oldest first by id. */
int store_list_callbacks(struct store_reader *r, int64_t tenant_id, const struct callback_filter *f,
                         const struct store_page *page, struct callback **out, size_t *n,
                         int64_t *next, struct arena *a, struct parley_err *err);
/* The conversation's newest transfer (PARLEY_ENOTFOUND when none). */
int store_last_transfer(struct store_reader *r, int64_t tenant_id, int64_t conversation_id,
                        struct transfer *out, struct arena *a, struct parley_err *err);
/* Every tenant id (the routing service loads each at start), ascending. */
int store_list_tenant_ids(struct store_reader *r, int64_t **out, size_t *n, struct arena *a,
                          struct parley_err *err);
/* Conversations waiting or assigned (queued, assigned, pending_customer), oldest first, paged
 * by id: what the routing service resumes from. */
int store_list_routing_work(struct store_reader *r, int64_t tenant_id,
                            const struct store_page *page, struct conversation **out, size_t *n,
                            int64_t *next, struct arena *a, struct parley_err *err);
/* The owner of the customer's most recent other conversation updated at or after since, or 0
 * (stickiness). */
int store_last_adviser(struct store_reader *r, int64_t tenant_id, int64_t customer_id,
                       int64_t exclude_conversation, int64_t since, int64_t *user_id, int64_t *at,
                       struct parley_err *err);
/* The tenant's teams, by id. */
int store_list_teams(struct store_reader *r, int64_t tenant_id, struct team **out, size_t *n,
                     struct arena *a, struct parley_err *err);
/* Conversations waiting (queued, unassigned) in a queue, longest waiting first (at most 1000). */
int store_list_queue_waiting(struct store_reader *r, int64_t tenant_id, int64_t queue_id,
                             struct conversation **out, size_t *n, struct arena *a,
                             struct parley_err *err);
/* Who holds what: the open conversations (assigned, pending_customer) by owner. */
struct adviser_work {
    int64_t user_id, conversation_id;
    enum channel channel;
};
int store_list_adviser_work(struct store_reader *r, int64_t tenant_id, struct adviser_work **out,
                            size_t *n, struct arena *a, struct parley_err *err);

/* Database-wide counters for the status page and benches. */
struct store_stats {
    int64_t tenants, customers, conversations, messages, events;
};
int store_stats(struct store_reader *r, struct store_stats *out, struct parley_err *err);

/* ---- NLU models (intent detection), one current model per tenant ------------------------ */

#define STORE_NLU_MODEL_MAX (64 << 20) /* bytes of one model blob */
#define STORE_NLU_KEEP      3          /* versions kept per tenant; older ones are deleted */

/* The tenant's newest model: its version and bytes (copied into the arena).
 * PARLEY_ENOTFOUND when the tenant has no model. */
int store_get_nlu_model(struct store_reader *r, int64_t tenant_id, int64_t *version,
                        const void **blob, size_t *len, struct arena *a, struct parley_err *err);
/* The newest version only (an index lookup, cheap enough to ask per message); *version 0
 * when none. */
int store_get_nlu_model_version(struct store_reader *r, int64_t tenant_id, int64_t *version,
                                struct parley_err *err);
/* What the newest model says about itself, without its bytes. PARLEY_ENOTFOUND when none. */
struct nlu_model_info {
    int64_t version, examples, trained_at, bytes;
    const char *labels_json; /* JSON array */
};
int store_get_nlu_model_info(struct store_reader *r, int64_t tenant_id, struct nlu_model_info *out,
                             struct arena *a, struct parley_err *err);
/* ---- staffing (wfm) ---------------------------------------------------------------------- */

#define STORE_MAX_ARRIVAL_INTERVALS (183 * 48) /* about six months of 30-minute intervals */
/* Contacts that arrived per 30-minute interval for one channel (all channels when channel <
 * 0): counts[i] covers [from_ms + i*30min, from_ms + (i+1)*30min) and sums the conversations
 * created then and the imported interval counts (arrival_counts). from_ms must be a multiple
 * of STORE_ARRIVAL_INTERVAL_MS and n at most STORE_MAX_ARRIVAL_INTERVALS. *handle_s and
 * *handled (either may be NULL) total the handling seconds and the contacts they cover where
 * known (imports carry them), for an average handling time. */
int store_count_arrivals(struct store_reader *r, int64_t tenant_id, int channel, int64_t from_ms,
                         size_t n, int64_t *counts, double *handle_s, int64_t *handled,
                         struct parley_err *err);
/* ---- virtual agent (issue 3), store_bot_read.c ---------------------------------------- */
/* The tenant's triage policy JSON (*json in the arena); PARLEY_ENOTFOUND when never set. */
int store_bot_get_policy(struct store_reader *r, int64_t tenant_id, const char **json,
                         struct arena *a, struct parley_err *err);
struct bot_conv_state {
    const char *state; /* JSON */
    enum bot_outcome outcome;
    int64_t handled_seq, last_seq, resolve_due_at;
};
/* The bot's state in a conversation; PARLEY_ENOTFOUND when the bot has not spoken there. */
int store_bot_get_state(struct store_reader *r, int64_t tenant_id, int64_t conversation_id,
                        struct bot_conv_state *out, struct arena *a, struct parley_err *err);
struct bot_due {
    int64_t tenant_id, conversation_id;
};
/* System-wide sweeps (like pruning): conversations waiting for a confirmation whose due time
 * is at or before now (indexed), and conversations still with the bot whose last customer
 * message has no bot turn yet (catch-up after a restart). At most limit each. */
int store_bot_list_due(struct store_reader *r, int64_t now, int limit, struct bot_due **out,
                       size_t *n, struct arena *a, struct parley_err *err);
int store_bot_list_unanswered(struct store_reader *r, int limit, struct bot_due **out, size_t *n,
                              struct arena *a, struct parley_err *err);
/* The hand-off of a conversation not yet answered by a person: 0 with *at, or ENOTFOUND. */
int store_bot_open_handoff(struct store_reader *r, int64_t tenant_id, int64_t conversation_id,
                           int64_t *at, struct parley_err *err);
#define BOT_STATS_MAX_REASONS 16
struct bot_stats {
    int64_t conversations;              /* the bot took part (hand-offs at once included) */
    int64_t active, resolved, handoffs; /* by outcome */
    int64_t resolved_confirmed, resolved_timeout;
    int64_t first_replies;      /* hand-offs a person has answered */
    int64_t first_reply_avg_ms; /* their mean time to the first human reply */
    struct {
        const char *reason;
        int64_t n;
    } by_reason[BOT_STATS_MAX_REASONS];
    size_t n_reasons;
};
int store_bot_stats(struct store_reader *r, int64_t tenant_id, struct bot_stats *out,
                    struct arena *a, struct parley_err *err);

/* ---- knowledge base (kb helper; docs/knowledge-base.md) ----------------------------------- */

/* Fields of STORE_KB_UPDATE_ARTICLE. KB_SET_BODY sets body, html and text together. */
enum {
    KB_SET_SLUG = 1 << 0,
    KB_SET_TITLE = 1 << 1,
    KB_SET_BODY = 1 << 2,
    KB_SET_TAGS = 1 << 3,
    KB_SET_STATUS = 1 << 4,
};

struct kb_hit {
    int64_t article_id;
    const char *slug, *title, *snippet;
    double score;
};
/* Full-text search over the tenant's published articles. query is free text from a person
 * (never query syntax: it is turned into a safe query, see docs/knowledge-base.md), at most
 * KB_MAX_QUERY bytes; limit 1..50. snippet is HTML-escaped text of the body with the matched
 * words in <mark></mark>. score: relevance, higher is better (the negated bm25). Results best
 * first, in the arena. A query with no searchable word gives no hits (not an error). */
int store_kb_search(struct store_reader *r, int64_t tenant_id, const char *query, int limit,
                    struct kb_hit **out, size_t *n, struct arena *a, struct parley_err *err);
/* One article (any status) by id or slug; PARLEY_ENOTFOUND when missing or another tenant's. */
int store_kb_get(struct store_reader *r, int64_t tenant_id, int64_t id, struct kb_article *out,
                 struct arena *a, struct parley_err *err);
int store_kb_get_by_slug(struct store_reader *r, int64_t tenant_id, const char *slug,
                         struct kb_article *out, struct arena *a, struct parley_err *err);
struct kb_filter {
    int status; /* enum kb_status or -1 for any */
};
/* Oldest first (by id); the items carry no body, html or text. */
int store_kb_list(struct store_reader *r, int64_t tenant_id, const struct kb_filter *f,
                  const struct store_page *page, struct kb_article **out, size_t *n, int64_t *next,
                  struct arena *a, struct parley_err *err);

#endif
