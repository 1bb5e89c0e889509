/* Private to src/store/: the SQLite backend's store and reader structs, the prepared-statement
 * cache, row loaders shared by the writer and the readers, and the writer-side helpers that
 * command handlers use (audit rows, events). Nothing here is visible outside src/store/. */
#ifndef PARLEY_STORE_INT_H
#define PARLEY_STORE_INT_H

#include <pthread.h>
#include <string.h>
#include <sqlite3.h>

#include "store.h"

/* ---- prepared statements ------------------------------------------------------------------ */

/* Prepared once per connection (SQLITE_PREPARE_PERSISTENT) and reused: parsing SQL costs more
 * than running these small statements. The key is the address of the SQL text, so callers pass
 * string literals only; dynamic SQL is prepared and finalized on the spot instead. */
#define STMT_CACHE_SLOTS 256

struct stmt_cache {
    sqlite3 *db;
    const char *sql[STMT_CACHE_SLOTS];
    sqlite3_stmt *st[STMT_CACHE_SLOTS];
};

/* Returns the reset statement for sql (a string literal), preparing it on first use; NULL with
 * err filled on failure. Callers sqlite3_reset() it when done so no read snapshot stays open. */
sqlite3_stmt *stmt_get(struct stmt_cache *c, const char *sql, struct parley_err *err);
void stmt_cache_clear(struct stmt_cache *c);

/* Maps an SQLite failure to PARLEY_E* (EIO, ENOMEM, EBUSY) with "what" in the message. */
int db_fail(struct parley_err *err, sqlite3 *db, const char *what);
/* Steps a write statement to completion and resets it; SQLite result code. */
int stmt_run(sqlite3_stmt *st);

/* Binding and reading helpers: NULL strings bind as SQL NULL; an int64 of 0 through
 * bind_id0 binds NULL (optional references); col_text copies into the arena (NULL for NULL). */
void bind_text(sqlite3_stmt *st, int idx, const char *s);
void bind_id0(sqlite3_stmt *st, int idx, int64_t v);
const char *col_text(sqlite3_stmt *st, int col, struct arena *a);

/* Comma lists of ids ("4,7,9": conversation assignees, owner first) and JSON string arrays
 * (tags, skills, languages) as stored in TEXT columns. */
size_t ids_parse(const char *text, int64_t *out, size_t max);
char *ids_format(const int64_t *ids, size_t n, struct arena *a);
char *strings_to_json(const char *const *items, size_t n, struct arena *a);
const char **strings_from_json(const char *text, size_t *n, struct arena *a);

/* ---- the store and its readers --------------------------------------------------------- */

/* A command's inputs as submitted (store_writer.c runs a batch again from them). */
struct store_cmd_input {
    __typeof__(((struct store_cmd *)0)->in) in;
    int64_t tenant_id;
    const char *actor;
    enum receipt_kind receipt_kind;
};

struct store_batch {
    struct store_cmd **cmds;        /* up to batch_max */
    struct store_cmd_input *inputs; /* cmds[i]'s inputs as submitted */
    size_t n;
    struct event *events; /* inserted by the batch so far, in id order */
    size_t n_events, cap_events;
    struct arena arena; /* event payload copies; freed after each batch */
};

struct store {
    char *path;
    sqlite3 *db; /* the write connection: the opening thread, then only the writer thread */
    struct stmt_cache cache;
    int batch_max;
    size_t queue_max;
    int busy_timeout_ms;
    int schema_version;
    int migrations_applied; /* by the last store_open (0 on a reopen) */

    pthread_mutex_t mu;
    pthread_cond_t work_cv; /* queue became non-empty or closing */
    pthread_cond_t exec_cv; /* a store_exec command completed */
    struct store_cmd *head, *tail;
    size_t queued;
    bool closing, thread_started;
    pthread_t thread;

    store_event_sink_fn sink;
    void *sink_ud;
    struct store_route_cache *route_cache; /* writer thread only (store_route_sla.c) */

    struct store_batch batch; /* writer thread only */
    int64_t event_hw;         /* writer thread only: the newest committed event id (routehot) */

    /* WAL checkpoints off the writer's commit path (store_checkpoint.c): the writer's WAL hook
     * wakes a checkpointer thread with its own connection, which copies committed pages into
     * the database (PASSIVE) while the writer goes on committing. */
    struct store_checkpointer *ckpt;
    struct kb_fts *kb_fts; /* writer thread only: tokenizes articles for kb_terms */
};

struct store_reader {
    sqlite3 *db;
    struct stmt_cache cache;
    struct kb_fts *kb_fts; /* opened by the first knowledge-base search */
};

/* Migrations (store_sqlite_schema.c): migration i takes the schema from version i to i+1. */
extern const char *const store_migrations[];
extern const int store_migrations_count;

/* Runs pending migrations on an open connection in one transaction; *applied = how many. */
int store_migrate(sqlite3 *db, int *version, int *applied, struct parley_err *err);
/* WAL frames (pages) past which the writer wakes the checkpointer, and past which it
 * checkpoints the remainder itself so that the WAL starts over (store_checkpoint.c). */
#define STORE_CKPT_WAKE_PAGES   1000 /* SQLite's default auto-checkpoint size (~4 MB of WAL) */
#define STORE_CKPT_INLINE_PAGES 8000 /* ~32 MB of WAL */

/* The checkpointer (store_checkpoint.c): started by store_open once the write connection is
 * configured (it installs the write connection's WAL hook), stopped by store_close after the
 * writer thread ended and before the write connection closes. */
int store_checkpointer_start(struct store *s, struct parley_err *err);
void store_checkpointer_stop(struct store *s);
/* Writer thread entry (store_writer.c). */
void *store_writer_main(void *arg);
/* Number of migrations the last store_open applied (0 on a reopen): for tests. */
int store_migrations_applied(struct store *s);

/* ---- row loaders (store_rows.c): same columns for writer and readers ------------------- */

#define TENANT_COLS "id, slug, name, ref_prefix, widget_secret, token_key, time_zone, created_at"
#define USER_COLS                                                                                  \
    "u.id, u.tenant_id, u.email, u.name, u.role, u.skills, u.languages, "                          \
    "(SELECT t.slug FROM teams t WHERE t.id = u.team_id), u.active, u.created_at"
#define CUSTOMER_COLS                                                                              \
    "id, tenant_id, name, locale, time_zone, preferred_channel, needs, needs_note, "               \
    "prefers_person, merged_into, created_at, updated_at"
#define IDENTITY_COLS "id, tenant_id, customer_id, kind, value, verified, created_at"
#define CONSENT_COLS  "id, tenant_id, customer_id, purpose, channel, granted, source, at"
#define CONV_COLS                                                                                  \
    "id, tenant_id, customer_id, reference, status, priority, subject, contact_reason, tags, "     \
    "assignees, channel, last_seq, created_at, updated_at, first_response_at, resolved_at, "       \
    "closed_at, " CONV_ROUTE_COLS
/* routing (issue 4): queue, pending offer and SLA columns of migration_route */
#define CONV_ROUTE_COLS                                                                            \
    "queue_id, (SELECT q.name FROM route_queues q WHERE q.id = conversations.queue_id), "          \
    "offer_user, offer_until, sla_policy, sla_first_due, sla_next_due, sla_resolution_due, "       \
    "sla_warned, sla_breached, queued_at"
#define MESSAGE_COLS                                                                               \
    "id, tenant_id, conversation_id, seq, sender, author_id, channel, internal, body, created_at"
#define RECEIPT_COLS "conversation_id, participant, delivered_seq, read_seq, updated_at"
#define AUDIT_COLS   "id, tenant_id, actor, action, object, detail, at"
#define EVENT_COLS                                                                                 \
    "id, tenant_id, type, conversation_id, customer_id, assignee_id, assignees, audience, data, "  \
    "data_customer, at"

void row_tenant(sqlite3_stmt *st, struct tenant *t, struct arena *a);
void row_user(sqlite3_stmt *st, struct user *u, struct arena *a);
void row_customer(sqlite3_stmt *st, struct customer *c, struct arena *a);
void row_identity(sqlite3_stmt *st, struct identity *i, struct arena *a);
void row_consent(sqlite3_stmt *st, struct consent *c, struct arena *a);
void row_conversation(sqlite3_stmt *st, struct conversation *c, struct arena *a);
void row_message(sqlite3_stmt *st, struct message *m, struct arena *a);
void row_receipt(sqlite3_stmt *st, struct receipt *r, struct arena *a);
void row_audit(sqlite3_stmt *st, struct audit_entry *e, struct arena *a);
void row_event(sqlite3_stmt *st, struct event *e, struct arena *a);

/* Page limit clamped to 1..200 (0 means the default 50). */
int page_limit(const struct store_page *page);

/* The loop every list query shares: steps a bound statement and collects its rows into an
 * arena array, handing out one slot per row for the caller's typed row_* loader:
 *
 *     struct rows it = rows_begin(st, sizeof(struct user), limit, 0);
 *     for (struct user *u; (u = rows_next(&it, a)) != NULL;) row_user(st, u, a);
 *     int rc = rows_end(&it, db, "listing users", err); // then it.items, it.n, it.next
 *
 * A paged query (limit > 0) must ask SQL for limit + 1 rows: the extra row is not kept, it
 * only says that another page exists, whose cursor (next) is column cursor_col of the last
 * row kept. With limit 0 every row is kept and next stays 0. */
struct rows {
    void *items;  /* n items of elem bytes in the arena; NULL when none */
    size_t n;     /* items kept */
    int64_t next; /* cursor of the next page; 0 on the last page */
    /* private to store_rows.c */
    sqlite3_stmt *st;
    size_t elem, cap;
    int limit, cursor_col, step;
    int64_t last; /* cursor of the last item kept */
    bool oom;
};
struct rows rows_begin(sqlite3_stmt *st, size_t elem, int limit, int cursor_col);
/* The slot the next row goes into (uninitialised: the row_* loaders clear it), or NULL when
 * the rows have run out, the page is full or memory has. */
void *rows_next(struct rows *it, struct arena *a);
/* Resets the statement; 0, or PARLEY_E* (err says "storage error while <what>" or "out of
 * memory <what>") with the list emptied. */
int rows_end(struct rows *it, sqlite3 *db, const char *what, struct parley_err *err);
/* Public calls accept err == NULL: they then write into a scratch struct. */
#define STORE_ERR(err)                                                                             \
    struct parley_err err##_scratch;                                                               \
    if ((err) == NULL) (err) = &err##_scratch

/* Tenant-scoped loads by id: PARLEY_ENOTFOUND (field "id" unless given) when missing or when
 * the row belongs to another tenant. */
int load_tenant(struct stmt_cache *c, int64_t id, struct tenant *out, struct arena *a,
                struct parley_err *err);
int load_user(struct stmt_cache *c, int64_t tenant_id, int64_t id, struct user *out,
              struct arena *a, struct parley_err *err);
int load_customer(struct stmt_cache *c, int64_t tenant_id, int64_t id, const char *field,
                  struct customer *out, struct arena *a, struct parley_err *err);
int load_identities(struct stmt_cache *c, int64_t tenant_id, int64_t customer_id,
                    struct identity **out, size_t *n, struct arena *a, struct parley_err *err);
int load_conversation(struct stmt_cache *c, int64_t tenant_id, int64_t id, const char *field,
                      struct conversation *out, struct arena *a, struct parley_err *err);

/* ---- writer-side helpers for command handlers (store_writer.c) ---------------------------- */

/* The audience and scope of an event: who may see it on the live streams. */
struct event_scope {
    int64_t conversation_id, customer_id;
    const int64_t *assignees; /* owner first */
    size_t n_assignees;
    const char *assignees_text; /* the stored "4,7" form when the caller has it, else NULL */
};

/* Inserts an events row and remembers it for the batch's event sink. type and the JSON texts
 * must live until the batch's done() callbacks (cmd's arena or a static string). */
int w_event(struct store *s, struct store_cmd *cmd, const char *type, const struct event_scope *sc,
            unsigned audience, const char *data, const char *data_customer, int64_t at);
/* Inserts an audit row (actor from cmd, "system" when NULL). detail is JSON without personal
 * data. */
int w_audit(struct store *s, struct store_cmd *cmd, const char *action, const char *object,
            const char *detail, int64_t at);
/* The view a command's result_json is rendered for. */
struct json_view;
void w_view(const struct store_cmd *cmd, struct json_view *v);
/* Timestamp rule: 0 means now. */
int64_t w_time(int64_t t);

/* Command handlers, one per kind (store_cmd_*.c). Run inside the command's savepoint; on
 * failure they return PARLEY_E* with cmd->err filled and the savepoint is rolled back. */
int cmd_create_tenant(struct store *s, struct store_cmd *cmd);
int cmd_create_team(struct store *s, struct store_cmd *cmd);
int cmd_create_user(struct store *s, struct store_cmd *cmd);
int cmd_create_session(struct store *s, struct store_cmd *cmd);
int cmd_delete_session(struct store *s, struct store_cmd *cmd);
int cmd_create_api_token(struct store *s, struct store_cmd *cmd);
int cmd_append_audit(struct store *s, struct store_cmd *cmd);
int cmd_prune(struct store *s, struct store_cmd *cmd);
int cmd_create_customer(struct store *s, struct store_cmd *cmd);
int cmd_update_customer(struct store *s, struct store_cmd *cmd);
int cmd_add_identity(struct store *s, struct store_cmd *cmd);
int cmd_set_consent(struct store *s, struct store_cmd *cmd);
int cmd_widget_session(struct store *s, struct store_cmd *cmd);
int cmd_create_conversation(struct store *s, struct store_cmd *cmd);
int cmd_update_conversation(struct store *s, struct store_cmd *cmd);
int cmd_update_receipt(struct store *s, struct store_cmd *cmd);
int cmd_create_message(struct store *s, struct store_cmd *cmd);
int cmd_widget_message(struct store *s, struct store_cmd *cmd);
int cmd_set_nlu_model(struct store *s, struct store_cmd *cmd);   /* store_nlu.c */
int cmd_record_arrivals(struct store *s, struct store_cmd *cmd); /* store_wfm.c */
/* virtual agent (issue 3), store_bot.c */
int cmd_bot_turn(struct store *s, struct store_cmd *cmd);
int cmd_bot_set_policy(struct store *s, struct store_cmd *cmd);
int cmd_bot_first_reply(struct store *s, struct store_cmd *cmd);
/* Records a hand-off of c (bot_handoffs row + bot.handoff event); with move, also puts c in
 * the queue with its priority raised to at least priority and contact_reason = intent or
 * "unknown" (CONTRACTS.md). */
int w_bot_handoff(struct store *s, struct store_cmd *cmd, const struct conversation *c,
                  const char *reason, const char *intent, enum priority priority, bool move,
                  int64_t at);
/* The status a new widget conversation of cust starts in: bot when the tenant's bot is
 * enabled, unless the customer is vulnerable or prefers a person (*bypass names which). */
int w_bot_widget_status(struct store *s, struct store_cmd *cmd, const struct customer *cust,
                        enum conv_status *status, const char **bypass);
/* swarming (store_swarm.c) */
int cmd_add_participant(struct store *s, struct store_cmd *cmd);
int cmd_remove_participant(struct store *s, struct store_cmd *cmd);
int cmd_update_participant(struct store *s, struct store_cmd *cmd);
/* routing (issue 4): store_route.c, store_route_decide.c */
int cmd_put_queue(struct store *s, struct store_cmd *cmd);
int cmd_delete_queue(struct store *s, struct store_cmd *cmd);
int cmd_put_routing_profile(struct store *s, struct store_cmd *cmd);
int cmd_set_presence(struct store *s, struct store_cmd *cmd);
int cmd_put_sla_policies(struct store *s, struct store_cmd *cmd);
int cmd_put_route_settings(struct store *s, struct store_cmd *cmd);
int cmd_create_callback(struct store *s, struct store_cmd *cmd);
int cmd_callback_due(struct store *s, struct store_cmd *cmd);
int cmd_cancel_callback(struct store *s, struct store_cmd *cmd);
/* The tenant's call-back id (PARLEY_ENOTFOUND, field "id", when it is not theirs). */
int w_load_callback(struct store *s, struct store_cmd *cmd, int64_t id, struct callback *out);
int cmd_transfer(struct store *s, struct store_cmd *cmd);
int cmd_route_decision(struct store *s, struct store_cmd *cmd);
/* Queue and SLA deadlines of a conversation just inserted (store_route_sla.c). */
int w_route_new_conversation(struct store *s, struct store_cmd *cmd, const struct conversation *c);
struct store_route_cache;
void store_route_cache_free(struct store_route_cache *c);
/* Rows of the routing tables (store_route_read.c), shared by writer and readers. */
#define QUEUE_COLS                                                                                 \
    "id, tenant_id, name, skills, language, priority_class, reasons, team, is_default, steps, "    \
    "created_at, updated_at"
void row_queue(sqlite3_stmt *st, struct route_queue *q, struct arena *a);
#define CALLBACK_COLS                                                                              \
    "id, tenant_id, customer_id, at, note, booked_by, status, conversation_id, channel, "          \
    "created_at"
void row_callback(sqlite3_stmt *st, struct callback *cb, struct arena *a);
int load_queue(struct stmt_cache *c, int64_t tenant_id, int64_t id, const char *field,
               struct route_queue *out, struct arena *a, struct parley_err *err);
/* knowledge base (store_kb.c) */
int cmd_kb_put_article(struct store *s, struct store_cmd *cmd);
int cmd_kb_update_article(struct store *s, struct store_cmd *cmd);
int cmd_kb_delete_article(struct store *s, struct store_cmd *cmd);

/* Shared by conversation and message handlers (store_cmd_message.c, store_cmd_conv.c). */
/* Appends m to its conversation (m->conversation_id, tenant-scoped, not closed): next seq,
 * conversation last_seq/updated_at, message row, message.created event, and when a customer
 * message reopens a pending or resolved conversation, its status and conversation.updated.
 * Fills m->id, m->seq and *json (the Message JSON, in cmd's arena). */
int w_append_message(struct store *s, struct store_cmd *cmd, struct message *m, char **json);
/* Inserts a new conversation (reference from the tenant counter, assignee rows, audit
 * conversation.create). Fills c->id, c->reference and the timestamps. */
int w_insert_conversation(struct store *s, struct store_cmd *cmd, struct conversation *c);
/* Replaces the conversation_assignees rows of a conversation with ids (owner first). */
int w_write_assignees(struct store *s, struct store_cmd *cmd, int64_t conv_id, const int64_t *ids,
                      size_t n);
/* Swarming: after the assignees of a conversation were set to ids (owner first), makes the
 * active participants exactly ids[1..n): new ones are invited (by cmd's actor), missing ones
 * leave (also the owner, should they have been one). PARLEY_ECONFLICT beyond
 * SWARM_MAX_PARTICIPANTS. Audited like invitations and removals. */
int w_participants_sync(struct store *s, struct store_cmd *cmd, int64_t conv_id, const int64_t *ids,
                        size_t n, int64_t at);
/* Loads the conversation and emits conversation.created/updated with it; *json (when not
 * NULL) gets the Conversation JSON in the command's view. */
int w_conversation_event(struct store *s, struct store_cmd *cmd, int64_t id, const char *type,
                         char **json);
/* Replaces the conversation_assignees rows of conv_id with ids (owner first). */
int w_write_assignees(struct store *s, struct store_cmd *cmd, int64_t conv_id, const int64_t *ids,
                      size_t n);
/* Names of the fields in an update mask as a JSON array, for audit detail. */
const char *w_set_names(unsigned set, struct arena *a);
/* Creates a customer row (+audit customer.create); identities inserted by the caller. */
int w_insert_customer(struct store *s, struct store_cmd *cmd, struct customer *c, size_t n_ids);
int w_insert_identity(struct store *s, struct store_cmd *cmd, struct identity *i);
/* Finds (tenant, kind, value): *customer_id and *identity_id, or 0 when none. */
int w_find_identity(struct store *s, struct store_cmd *cmd, enum identity_kind kind,
                    const char *value, int64_t *customer_id, int64_t *identity_id);

/* ---- knowledge-base search queries (store_kb_query.c) --------------------------------- */

/* How the words of a query combine: every word (AND) or any word (OR). */
enum kb_match { KB_MATCH_ALL, KB_MATCH_ANY };
#define KB_QUERY_MAX_TERMS 12
#define KB_QUERY_MAX_TERM  64 /* bytes; longer words are cut at a character boundary */
/* Turns free text into an FTS5 MATCH expression that can never be a syntax error: words are
 * runs of ASCII letters and digits and of non-ASCII characters (invalid UTF-8 and punctuation
 * separate them), lower-cased, common English words dropped (only those: nothing to search),
 * duplicates dropped, at most KB_QUERY_MAX_TERMS, each in double quotes, joined by spaces
 * (all) or " OR " (any). Writes a NUL-terminated string into out (cap bytes; cap >=
 * KB_QUERY_CAP is always enough). Returns the number of words (0: nothing to search for). */
#define KB_QUERY_CAP (KB_QUERY_MAX_TERMS * (KB_QUERY_MAX_TERM + 6) + 1)
int kb_fts_query(const char *q, size_t len, enum kb_match how, char *out, size_t cap);
/* The same words, unquoted, for the search planner: fills words[] (each NUL-terminated) and
 * returns how many (at most KB_QUERY_MAX_TERMS). */
int kb_fts_words(const char *q, size_t len, char words[][KB_QUERY_MAX_TERM + 1]);
/* Appends word w (one of kb_fts_words') to the NUL-terminated MATCH expression out as a quoted
 * phrase, after sep (NULL: " OR ") unless out is empty. false, out unchanged, when it would
 * not fit in cap. With kb_fts_query the only code that writes FTS5 syntax. */
bool kb_fts_append(char *out, size_t cap, const char *sep, const char *w);

/* ---- kb_fts's tokenizer, kb_terms and parley_rank() (store_kb_fts.c) ------------------------ */

/* bm25 weights of the kb_fts columns (title, text, tags), in both bm25() and parley_rank(). */
#define KB_WEIGHT_TITLE 8.0
#define KB_WEIGHT_TEXT  1.0
#define KB_WEIGHT_TAGS  3.0
/* kb_fts's tokenizer on one connection and, when rank is true, parley_rank(kb_fts, n_and,
 * 'n0,n1,…') registered on it: minus bm25 with the KB weights, in which phrase i occurs in n_i
 * articles (a missing or negative n_i is counted as bm25 counts it); an article holding each of
 * the first n_and phrases (n_and > 0) gets KB_RANK_ALL more: it sorts before every article
 * that does not. *out is the caller's: kb_fts_close. */
#define KB_RANK_ALL 1e6 /* far above any bm25 score of a query of KB_QUERY_MAX_TERMS words */
struct kb_fts;
int kb_fts_open(sqlite3 *db, bool rank, struct kb_fts **out, struct parley_err *err);
void kb_fts_close(struct kb_fts *k);
/* Calls fn for each token of text as kb_fts indexes it (query: as a MATCH string's word is
 * tokenized), with the byte range [start, end) of text it came from. fn returns 0 to go on.
 * Returns 0, or -1 when fn stopped it or the tokenizer failed. */
typedef int (*kb_token_fn)(void *ud, const char *tok, size_t n, size_t start, size_t end);
int kb_fts_tokens(struct kb_fts *k, bool query, const char *text, size_t len, kb_token_fn fn,
                  void *ud);
/* parley_rank()'s score of n words in one article whose indexed columns (title, text, tags as
 * stored) are cols: word i is the single token tok[i] (NULL: not scored) held by docs[i] of
 * rows articles of average length avgdl. *held: how many of the words the article holds. */
double kb_fts_score(struct kb_fts *k, double rows, double avgdl, const char *const cols[3],
                    const char *const *tok, const int64_t *docs, int n, int *held);
/* The distinct tokens of a query's words (what the index matches them as). */
#define KB_QUERY_MAX_TOKENS (2 * KB_QUERY_MAX_TERMS)
struct kb_query_tokens {
    char tok[KB_QUERY_MAX_TOKENS][KB_QUERY_MAX_TERM + 1];
    int n;
};
/* Whether the NUL-terminated w is the token t[0..n). */
static inline bool kb_token_eq(const char *w, const char *t, size_t n)
{
    return n > 0 && w[0] == t[0] && strncmp(w, t, n) == 0 && w[n] == '\0';
}
/* The index of token t[0..n) in q, or -1. */
static inline int kb_query_token_find(const struct kb_query_tokens *q, const char *t, size_t n)
{
    for (int i = 0; n <= KB_QUERY_MAX_TERM && i < q->n; i++)
        if (kb_token_eq(q->tok[i], t, n)) return i;
    return -1;
}
/* The best window of `window` tokens of text for the query (store_kb_snippet.c) as HTML:
 * escaped, <mark> around the query's tokens, "…" where text was cut. In a; NULL: no memory. */
char *kb_snippet(struct kb_fts *k, const char *text, const struct kb_query_tokens *q, size_t window,
                 struct arena *a);
extern const double kb_column_weight[3]; /* KB_WEIGHT_TITLE, _TEXT, _TAGS */
/* bm25's saturation of a weighted frequency f in an article of n_tok tokens, 0..1: the part of a
 * word in a score is kb_fts_part(rows, docs, key) = idf(rows, docs) * (k1 + 1) * key. */
double kb_fts_key(double f, double n_tok, double avgdl);
double kb_fts_part(double rows, double docs, double key);

/* ---- what the writer keeps beside kb_fts (store_kb_terms.c) --------------------------------
 * kb_terms: articles per token (all tenants, as FTS5's bm25 counts them); kb_index: articles
 * and tokens in all; kb_articles.tokens: each article's length; and, for each token held by
 * more than KB_COMMON_DOCS articles, a champion list per tenant: kb_champions holds every
 * article of the tenant whose key for the token (kb_fts_key) is above the list's floor, at
 * most KB_LIST_SIZE of them, best first (docs/knowledge-base.md, "How search stays fast"). */
#define KB_RANK_BUDGET 500 /* most articles one search ranks with FTS5 */
#define KB_COMMON_DOCS 400
#define KB_LIST_SIZE   128
/* The values in use: the constants, which tests turn down to reach every path with a few
 * dozen articles (store_kb_terms.c). */
extern int kb_rank_budget, kb_common_docs, kb_list_size;
/* The index's articles (all tenants) and their average length in tokens, from kb_index: what
 * FTS5's bm25 uses, read in one lookup by the writer and by searches. */
int kb_index_totals(struct stmt_cache *c, double *rows, double *avgdl, struct parley_err *err);
/* Keeps all of that in step with article id of the command's tenant, whose indexed columns
 * (title, text, tags as stored) change from before to after (NULL: none, for a create or a
 * delete). Runs inside the command's transaction. */
int kb_terms_update(struct store *s, struct store_cmd *cmd, int64_t id, const char *const before[3],
                    const char *const after[3]);
/* A search's words once planned (store_kb_search.c): the informative ones as one FTS5 OR
 * expression with their article counts ("12,40"), and the common ones. */
struct kb_common {
    const char *w;   /* the word */
    const char *tok; /* its one token */
    int64_t docs;
    bool listed; /* held by more than KB_COMMON_DOCS articles: it has champion lists */
};
struct kb_plan {
    char words[KB_QUERY_MAX_TERMS][KB_QUERY_MAX_TERM + 1]; /* the query's, in its order */
    char rare_expr[KB_QUERY_CAP];
    char rare_counts[KB_QUERY_MAX_TERMS * 21 + 1];
    int rare_n;
    struct kb_common common[KB_QUERY_MAX_TERMS];
    int n_common;
    int n_and; /* rare_n, or 0 when the query has one word or a word no article holds */
};
/* The plan of a query (*n_words: its words; 0: nothing to search), and the exhaustive query of
 * the same meaning for measuring the plan (kb_bench): every word held by some article in one
 * OR, the informative ones first, with their counts ("12,40"). */
int kb_plan_query(struct store_reader *r, const char *query, struct kb_plan *p, int *n_words,
                  char *all_expr, size_t expr_cap, char *all_counts, size_t counts_cap,
                  struct parley_err *err);
/* The best limit hits for a plan with common words (store_kb_common.c), best first; hits has
 * room for limit. */
int kb_search_common(struct store_reader *r, int64_t tenant_id, const struct kb_plan *p, int limit,
                     struct kb_hit *hits, size_t *got, struct arena *a, struct parley_err *err);
/* Builds the champion lists a database lacks (tokens above KB_COMMON_DOCS articles without
 * one: a database from before the lists, or a lower KB_COMMON_DOCS); store_open runs it. */
int kb_lists_build_missing(struct store *s, struct parley_err *err);

#endif
