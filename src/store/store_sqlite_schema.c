/* The SQLite schema as an ordered list of migrations. A released migration is never edited:
 * changes go in a new entry at the end. store_migrate() applies the pending ones in one
 * transaction and records each in schema_version. */
#include "store_int.h"

/* Conventions: every table carries tenant_id (tenants is keyed by it); enums are stored by
 * their API names so the database reads on its own; times are UTC milliseconds; id lists
 * such as assignees are "4,7,9" (owner first) so the message path needs no JSON parsing. */
static const char migration_1[] =
    "CREATE TABLE tenants ("
    " id INTEGER PRIMARY KEY,"
    " slug TEXT NOT NULL UNIQUE,"
    " name TEXT NOT NULL,"
    " ref_prefix TEXT NOT NULL,"
    " widget_secret TEXT NOT NULL,"
    " token_key TEXT NOT NULL,"
    " time_zone TEXT NOT NULL DEFAULT 'UTC',"
    " next_ref INTEGER NOT NULL DEFAULT 10001," /* conversation reference counter */
    " created_at INTEGER NOT NULL);"

    "CREATE TABLE teams ("
    " id INTEGER PRIMARY KEY,"
    " tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    " slug TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " UNIQUE (tenant_id, slug));"

    "CREATE TABLE users ("
    " id INTEGER PRIMARY KEY,"
    " tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    " email TEXT NOT NULL,"
    " name TEXT,"
    " role TEXT NOT NULL,"
    " skills TEXT NOT NULL DEFAULT '[]',"
    " languages TEXT NOT NULL DEFAULT '[]',"
    " team_id INTEGER REFERENCES teams(id),"
    " active INTEGER NOT NULL DEFAULT 1,"
    " password_hash TEXT,"
    " created_at INTEGER NOT NULL,"
    " UNIQUE (tenant_id, email));"

    "CREATE TABLE sessions ("
    " token_hash TEXT PRIMARY KEY,"
    " tenant_id INTEGER NOT NULL,"
    " user_id INTEGER NOT NULL REFERENCES users(id),"
    " expires_at INTEGER NOT NULL,"
    " created_at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX sessions_user ON sessions(user_id);"

    "CREATE TABLE api_tokens ("
    " id INTEGER PRIMARY KEY,"
    " tenant_id INTEGER NOT NULL,"
    " user_id INTEGER NOT NULL REFERENCES users(id),"
    " name TEXT,"
    " token_hash TEXT NOT NULL UNIQUE,"
    " expires_at INTEGER NOT NULL DEFAULT 0," /* 0: never */
    " created_at INTEGER NOT NULL);"
    "CREATE INDEX api_tokens_user ON api_tokens(user_id);"

    "CREATE TABLE customers ("
    " id INTEGER PRIMARY KEY,"
    " tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    " name TEXT,"
    " locale TEXT,"
    " time_zone TEXT,"
    " preferred_channel TEXT,"
    " needs INTEGER NOT NULL DEFAULT 0," /* enum need bits */
    " needs_note TEXT,"
    " prefers_person INTEGER NOT NULL DEFAULT 0,"
    " merged_into INTEGER REFERENCES customers(id),"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL);"
    "CREATE INDEX customers_tenant ON customers(tenant_id);"
    "CREATE INDEX customers_merged ON customers(merged_into) WHERE merged_into IS NOT NULL;"

    "CREATE TABLE identities ("
    " id INTEGER PRIMARY KEY,"
    " tenant_id INTEGER NOT NULL,"
    " customer_id INTEGER NOT NULL REFERENCES customers(id),"
    " kind TEXT NOT NULL,"
    " value TEXT NOT NULL,"
    " verified INTEGER NOT NULL DEFAULT 0,"
    " created_at INTEGER NOT NULL,"
    " UNIQUE (tenant_id, kind, value));"
    "CREATE INDEX identities_customer ON identities(customer_id);"

    "CREATE TABLE consents ("
    " id INTEGER PRIMARY KEY,"
    " tenant_id INTEGER NOT NULL,"
    " customer_id INTEGER NOT NULL REFERENCES customers(id),"
    " purpose TEXT NOT NULL,"
    " channel TEXT NOT NULL,"
    " granted INTEGER NOT NULL,"
    " source TEXT,"
    " at INTEGER NOT NULL);"
    "CREATE INDEX consents_customer ON consents(customer_id, purpose, channel, at);"

    "CREATE TABLE conversations ("
    " id INTEGER PRIMARY KEY,"
    " tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    " customer_id INTEGER NOT NULL REFERENCES customers(id),"
    " reference TEXT NOT NULL,"
    " status TEXT NOT NULL,"
    " priority TEXT NOT NULL,"
    " subject TEXT,"
    " contact_reason TEXT,"
    " tags TEXT NOT NULL DEFAULT '[]',"
    " owner_id INTEGER NOT NULL DEFAULT 0," /* first assignee, 0 when none */
    " assignees TEXT NOT NULL DEFAULT '',"  /* "4,7,9", owner first */
    " channel TEXT NOT NULL,"
    " last_seq INTEGER NOT NULL DEFAULT 0,"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL,"
    " first_response_at INTEGER,"
    " resolved_at INTEGER,"
    " closed_at INTEGER);"
    "CREATE INDEX conversations_tenant ON conversations(tenant_id);"
    "CREATE INDEX conversations_customer ON conversations(customer_id);"
    /* The widget's "open conversation of this customer" lookup: one probe however many
     * closed conversations the customer has. */
    "CREATE INDEX conversations_open ON conversations(customer_id, id)"
    " WHERE status IN ('bot','queued','assigned','pending_customer');"

    /* Assignments as rows too, for "conversations assigned to user N" without a scan. */
    "CREATE TABLE conversation_assignees ("
    " tenant_id INTEGER NOT NULL,"
    " conversation_id INTEGER NOT NULL REFERENCES conversations(id),"
    " user_id INTEGER NOT NULL,"
    " position INTEGER NOT NULL,"
    " PRIMARY KEY (conversation_id, user_id)) WITHOUT ROWID;"
    "CREATE INDEX conversation_assignees_user"
    " ON conversation_assignees(tenant_id, user_id, conversation_id);"

    "CREATE TABLE messages ("
    " id INTEGER PRIMARY KEY,"
    " tenant_id INTEGER NOT NULL,"
    " conversation_id INTEGER NOT NULL REFERENCES conversations(id),"
    " seq INTEGER NOT NULL,"
    " sender TEXT NOT NULL,"
    " author_id INTEGER,"
    " channel TEXT NOT NULL,"
    " internal INTEGER NOT NULL DEFAULT 0,"
    " body TEXT NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " UNIQUE (conversation_id, seq));"

    /* Receipts are cursors, one row per participant and conversation, never per message. */
    "CREATE TABLE receipts ("
    " tenant_id INTEGER NOT NULL,"
    " conversation_id INTEGER NOT NULL REFERENCES conversations(id),"
    " participant TEXT NOT NULL,"
    " delivered_seq INTEGER NOT NULL DEFAULT 0,"
    " read_seq INTEGER NOT NULL DEFAULT 0,"
    " updated_at INTEGER NOT NULL,"
    " PRIMARY KEY (conversation_id, participant)) WITHOUT ROWID;"

    /* Append-only. */
    "CREATE TABLE audit ("
    " id INTEGER PRIMARY KEY,"
    " tenant_id INTEGER NOT NULL,"
    " actor TEXT NOT NULL,"
    " action TEXT NOT NULL,"
    " object TEXT NOT NULL,"
    " detail TEXT NOT NULL DEFAULT '{}',"
    " at INTEGER NOT NULL);"
    "CREATE INDEX audit_tenant ON audit(tenant_id);"

    /* Append-only; AUTOINCREMENT so an id is never reused after pruning, which keeps
     * "resume after event N" exact. */
    "CREATE TABLE events ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " tenant_id INTEGER NOT NULL,"
    " type TEXT NOT NULL,"
    " conversation_id INTEGER NOT NULL DEFAULT 0,"
    " customer_id INTEGER NOT NULL DEFAULT 0,"
    " assignee_id INTEGER NOT NULL DEFAULT 0,"
    " assignees TEXT NOT NULL DEFAULT '',"
    " audience INTEGER NOT NULL,"
    " data TEXT NOT NULL,"
    " data_customer TEXT,"
    " at INTEGER NOT NULL);"
    "CREATE INDEX events_tenant ON events(tenant_id);"

    "CREATE TABLE idempotency ("
    " tenant_id INTEGER NOT NULL,"
    " scope TEXT NOT NULL,"
    " key TEXT NOT NULL,"
    " request_hash TEXT NOT NULL,"
    " status INTEGER NOT NULL,"
    " created INTEGER NOT NULL,"
    " result_id INTEGER NOT NULL,"
    " result_id2 INTEGER NOT NULL,"
    " result_json TEXT,"
    " created_at INTEGER NOT NULL,"
    " PRIMARY KEY (tenant_id, scope, key)) WITHOUT ROWID;";

/* NLU (intent detection): per-tenant model blobs, newest version wins; the store keeps the
 * last few versions (see store_nlu.c). */
static const char migration_nlu[] = "CREATE TABLE nlu_models ("
                                    " id INTEGER PRIMARY KEY,"
                                    " tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
                                    " version INTEGER NOT NULL,"
                                    " model BLOB NOT NULL,"
                                    " labels TEXT NOT NULL,"
                                    " examples INTEGER NOT NULL,"
                                    " trained_at INTEGER NOT NULL,"
                                    " created_by TEXT NOT NULL,"
                                    " UNIQUE (tenant_id, version));";

/* Staffing (wfm): interval counts of contacts from outside the conversations table (an ACD or
 * telephony interval report, or the demo's eight weeks of history): arrivals and handling time
 * per 30-minute interval and channel. The forecast adds conversations counted by created_at,
 * hence the index on (tenant_id, created_at). */
static const char migration_wfm[] =
    "CREATE TABLE arrival_counts ("
    " tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    " interval_start INTEGER NOT NULL," /* UTC ms, multiple of 30 minutes */
    " channel TEXT NOT NULL,"
    " arrivals INTEGER NOT NULL,"
    " handle_s REAL NOT NULL DEFAULT 0,"
    " PRIMARY KEY (tenant_id, interval_start, channel)) WITHOUT ROWID;"
    "CREATE INDEX conversations_created ON conversations(tenant_id, created_at);";

/* The virtual agent (issue 3): the triage policy per tenant (JSON, plus the enabled flag the
 * widget path reads), the bot's state per conversation (so a restart loses nothing), and one
 * row per hand-off (for the time to the first human reply and the hand-off counters). */
static const char migration_bot[] =
    "CREATE TABLE bot_policies ("
    " tenant_id INTEGER PRIMARY KEY REFERENCES tenants(id),"
    " enabled INTEGER NOT NULL,"
    " policy TEXT NOT NULL," /* JSON, see docs/bot.md */
    " updated_at INTEGER NOT NULL);"

    "CREATE TABLE bot_conversations ("
    " conversation_id INTEGER PRIMARY KEY REFERENCES conversations(id),"
    " tenant_id INTEGER NOT NULL,"
    " state TEXT NOT NULL DEFAULT '{}',"       /* JSON: flow, step, slots, counters, trend */
    " outcome TEXT NOT NULL DEFAULT 'active'," /* active | resolved | handoff */
    " resolved_how TEXT,"                      /* confirmed | timeout */
    " handled_seq INTEGER NOT NULL DEFAULT 0," /* the last customer message answered */
    " last_seq INTEGER NOT NULL DEFAULT 0,"    /* the conversation's last_seq after the turn */
    " resolve_due_at INTEGER,"                 /* resolve then unless the customer returns */
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL);"
    "CREATE INDEX bot_conversations_tenant ON bot_conversations(tenant_id, outcome);"
    /* The 72-hour sweep probes only the rows waiting for a confirmation. */
    "CREATE INDEX bot_conversations_due ON bot_conversations(resolve_due_at)"
    " WHERE resolve_due_at IS NOT NULL;"

    /* Conversations the bot has, for the catch-up after a restart (a handful at any time). */
    "CREATE INDEX conversations_bot ON conversations(id) WHERE status = 'bot';"

    "CREATE TABLE bot_handoffs ("
    " conversation_id INTEGER PRIMARY KEY REFERENCES conversations(id),"
    " tenant_id INTEGER NOT NULL,"
    " reason TEXT NOT NULL,"
    " intent TEXT,"
    " priority TEXT NOT NULL,"
    " at INTEGER NOT NULL,"
    " first_reply_at INTEGER);"
    "CREATE INDEX bot_handoffs_tenant ON bot_handoffs(tenant_id, reason);";
/* Swarming (docs/swarming.md): who was invited into a conversation besides its owner. One row
 * per conversation and user; a re-invitation reuses the row (the audit log keeps the history).
 * Active participants (left_at NULL) also follow the owner in conversations.assignees, so
 * stream audiences and "assigned to me" include them; existing co-assignees become
 * participants here. */
static const char migration_swarm[] =
    "CREATE TABLE conversation_participants ("
    " tenant_id INTEGER NOT NULL,"
    " conversation_id INTEGER NOT NULL REFERENCES conversations(id),"
    " user_id INTEGER NOT NULL REFERENCES users(id),"
    " kind TEXT NOT NULL," /* adviser | expert */
    " invited_by TEXT NOT NULL,"
    " invited_at INTEGER NOT NULL,"
    " joined_at INTEGER NOT NULL,"
    " left_at INTEGER,"
    " may_write_customer INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (conversation_id, user_id)) WITHOUT ROWID;"
    "INSERT INTO conversation_participants(tenant_id, conversation_id, user_id, kind, invited_by,"
    " invited_at, joined_at)"
    " SELECT a.tenant_id, a.conversation_id, a.user_id,"
    " CASE u.role WHEN 'expert' THEN 'expert' ELSE 'adviser' END, 'system', c.updated_at,"
    " c.updated_at FROM conversation_assignees a JOIN users u ON u.id = a.user_id"
    " JOIN conversations c ON c.id = a.conversation_id WHERE a.position > 0;";
/* Routing (issue 4, store_route*.c): queues, adviser routing profiles, presence, SLA policies,
 * the tenant's routing settings (business-hours calendar), call-backs, transfers, and the
 * routing state of each conversation (queue, pending offer, SLA deadlines as UTC ms, 0: none).
 * Skill lists, contact reasons and steps are JSON text like users.skills. */
static const char migration_route[] =
    "CREATE TABLE route_queues ("
    " id INTEGER PRIMARY KEY,"
    " tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    " name TEXT NOT NULL,"
    " skills TEXT NOT NULL DEFAULT '[]'," /* ["billing:3"] */
    " language TEXT,"
    " priority_class INTEGER NOT NULL DEFAULT 0,"
    " reasons TEXT NOT NULL DEFAULT '[]'," /* contact reasons it takes */
    " team TEXT,"                          /* team slug, NULL: anyone */
    " is_default INTEGER NOT NULL DEFAULT 0,"
    " steps TEXT NOT NULL DEFAULT '[]'," /* [{"after_s","relax_levels","add_teams"}] */
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL,"
    " UNIQUE (tenant_id, name));"

    "CREATE TABLE route_profiles ("
    " user_id INTEGER PRIMARY KEY REFERENCES users(id),"
    " tenant_id INTEGER NOT NULL,"
    " capacity TEXT NOT NULL," /* {"web":3,"email":5} */
    " wrap_up_s INTEGER NOT NULL DEFAULT 0,"
    " accept_required INTEGER NOT NULL DEFAULT 0,"
    " accept_timeout_s INTEGER NOT NULL DEFAULT 30,"
    " updated_at INTEGER NOT NULL);"

    /* Persisted so a restart knows who said they were online (docs/routing.md). */
    "CREATE TABLE route_presence ("
    " user_id INTEGER PRIMARY KEY REFERENCES users(id),"
    " tenant_id INTEGER NOT NULL,"
    " status TEXT NOT NULL,"
    " automatic INTEGER NOT NULL DEFAULT 0,"
    " since INTEGER NOT NULL);"
    "CREATE INDEX route_presence_tenant ON route_presence(tenant_id);"

    "CREATE TABLE sla_policies ("
    " id INTEGER PRIMARY KEY,"
    " tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    " priority TEXT NOT NULL,"
    " vulnerable INTEGER NOT NULL DEFAULT 0,"
    " first_response_ms INTEGER NOT NULL DEFAULT 0,"
    " next_response_ms INTEGER NOT NULL DEFAULT 0,"
    " resolution_ms INTEGER NOT NULL DEFAULT 0,"
    " warning_pct INTEGER NOT NULL DEFAULT 80,"
    " updated_at INTEGER NOT NULL,"
    " UNIQUE (tenant_id, priority, vulnerable));"

    "CREATE TABLE route_settings ("
    " tenant_id INTEGER PRIMARY KEY REFERENCES tenants(id),"
    " calendar TEXT,"
    " specialist_team TEXT,"
    " sticky_window_s INTEGER NOT NULL DEFAULT 86400,"
    " ageing_milli_per_min INTEGER NOT NULL DEFAULT 100,"
    " updated_at INTEGER NOT NULL);"

    "CREATE TABLE callbacks ("
    " id INTEGER PRIMARY KEY,"
    " tenant_id INTEGER NOT NULL,"
    " customer_id INTEGER NOT NULL REFERENCES customers(id),"
    " at INTEGER NOT NULL,"
    " note TEXT,"
    " booked_by TEXT NOT NULL,"
    " status TEXT NOT NULL,"
    " conversation_id INTEGER NOT NULL DEFAULT 0,"
    " channel TEXT NOT NULL,"
    " created_at INTEGER NOT NULL);"
    "CREATE INDEX callbacks_tenant ON callbacks(tenant_id, id);"
    "CREATE INDEX callbacks_due ON callbacks(at) WHERE status = 'scheduled';"

    "CREATE TABLE transfers ("
    " id INTEGER PRIMARY KEY,"
    " tenant_id INTEGER NOT NULL,"
    " conversation_id INTEGER NOT NULL REFERENCES conversations(id),"
    " from_user INTEGER NOT NULL,"
    " to_user INTEGER NOT NULL DEFAULT 0,"
    " to_team INTEGER NOT NULL DEFAULT 0,"
    " to_queue INTEGER NOT NULL DEFAULT 0,"
    " note TEXT,"
    " message_id INTEGER NOT NULL DEFAULT 0," /* the internal note flagged as transfer note */
    " delivered INTEGER NOT NULL DEFAULT 0,"  /* shown to the receiver on assignment */
    " at INTEGER NOT NULL);"
    "CREATE INDEX transfers_conversation ON transfers(conversation_id, id);"

    "ALTER TABLE conversations ADD COLUMN queue_id INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE conversations ADD COLUMN queued_at INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE conversations ADD COLUMN offer_user INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE conversations ADD COLUMN offer_until INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE conversations ADD COLUMN sla_policy INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE conversations ADD COLUMN sla_first_due INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE conversations ADD COLUMN sla_next_due INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE conversations ADD COLUMN sla_resolution_due INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE conversations ADD COLUMN sla_warned INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE conversations ADD COLUMN sla_breached INTEGER NOT NULL DEFAULT 0;"
    /* What the routing service loads at start: waiting and assigned work. */
    "CREATE INDEX conversations_routing ON conversations(tenant_id, id)"
    " WHERE status IN ('queued','assigned','pending_customer');";

/* Knowledge base (kb helper; docs/knowledge-base.md). kb_fts is an FTS5 index over the
 * articles (external content: it stores no copy of the text) with the porter stemmer over
 * unicode61 (diacritics folded), kept in step by triggers inside the writing transaction.
 * Drafts are indexed too; searches join back to kb_articles for the tenant and the status. */
static const char migration_kb[] =
    "CREATE TABLE kb_articles ("
    " id INTEGER PRIMARY KEY,"
    " tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    " slug TEXT NOT NULL,"
    " title TEXT NOT NULL,"
    " body TEXT NOT NULL," /* Markdown as written */
    " html TEXT NOT NULL," /* libcmark, safe mode */
    " text TEXT NOT NULL," /* plain text of the body: what kb_fts indexes */
    " tags TEXT NOT NULL DEFAULT '[]',"
    " status TEXT NOT NULL DEFAULT 'published',"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL,"
    " UNIQUE (tenant_id, slug));"
    "CREATE VIRTUAL TABLE kb_fts USING fts5(title, text, tags, content='kb_articles',"
    " content_rowid='id', tokenize='porter unicode61 remove_diacritics 2');"
    "CREATE TRIGGER kb_articles_ai AFTER INSERT ON kb_articles BEGIN"
    " INSERT INTO kb_fts(rowid, title, text, tags) VALUES (new.id, new.title, new.text, new.tags);"
    " END;"
    "CREATE TRIGGER kb_articles_ad AFTER DELETE ON kb_articles BEGIN"
    " INSERT INTO kb_fts(kb_fts, rowid, title, text, tags)"
    " VALUES ('delete', old.id, old.title, old.text, old.tags);"
    " END;"
    "CREATE TRIGGER kb_articles_au AFTER UPDATE OF title, text, tags ON kb_articles BEGIN"
    " INSERT INTO kb_fts(kb_fts, rowid, title, text, tags)"
    " VALUES ('delete', old.id, old.title, old.text, old.tags);"
    " INSERT INTO kb_fts(rowid, title, text, tags) VALUES (new.id, new.title, new.text, new.tags);"
    " END;";

/* What the knowledge-base search planner reads instead of walking FTS5 doclists, kept by the
 * writer with the articles (store_kb_terms.c, docs/knowledge-base.md "How search stays fast"):
 * articles per token, the index's totals, each article's length, and per-tenant champion
 * lists of the best articles for each common token. The counts start from the index itself;
 * store_open builds the lists. */
static const char migration_kb_terms[] =
    "CREATE TABLE kb_terms (term TEXT PRIMARY KEY, docs INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE kb_index (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " articles INTEGER NOT NULL, tokens INTEGER NOT NULL);"
    "ALTER TABLE kb_articles ADD COLUMN tokens INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE kb_lists (term TEXT NOT NULL, tenant_id INTEGER NOT NULL,"
    " size INTEGER NOT NULL, floor REAL NOT NULL, PRIMARY KEY (term, tenant_id)) WITHOUT ROWID;"
    "CREATE TABLE kb_champions (term TEXT NOT NULL, tenant_id INTEGER NOT NULL,"
    " article_id INTEGER NOT NULL, key REAL NOT NULL, freq REAL NOT NULL, length INTEGER NOT NULL,"
    " PRIMARY KEY (term, tenant_id, article_id)) WITHOUT ROWID;"
    "CREATE INDEX kb_champions_best ON kb_champions(term, tenant_id, key DESC);"
    "CREATE VIRTUAL TABLE temp.kb_terms_vocab USING fts5vocab(main, kb_fts, row);"
    "INSERT INTO kb_terms(term, docs) SELECT term, doc FROM temp.kb_terms_vocab;"
    "INSERT INTO kb_index(id, articles, tokens) VALUES (1, (SELECT count(*) FROM kb_articles),"
    " (SELECT coalesce(sum(cnt), 0) FROM temp.kb_terms_vocab));"
    "DROP TABLE temp.kb_terms_vocab;";

const char *const store_migrations[] = {
    migration_1,        migration_nlu, /* NLU models */
    migration_wfm,                     /* staffing (wfm) */
    migration_bot,                     /* virtual agent (issue 3) */
    migration_swarm,                   /* swarming: conversation participants */
    migration_route,                   /* routing service (issue 4) */
    migration_kb,                      /* knowledge base (kb helper) */
    migration_kb_terms,                /* knowledge base: articles per search token */
};
const int store_migrations_count = (int)(sizeof(store_migrations) / sizeof(store_migrations[0]));
