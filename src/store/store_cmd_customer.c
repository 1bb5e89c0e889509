/* Write commands for customers: create and update, identities (adding one that belongs to
 * another customer merges that customer into this one), consents, and the widget's session
 * (find or create the visitor's customer). */
#include "store_int.h"
#include "../common/util.h"
#include "../core/core_json.h"

#include <string.h>

#define VISITOR_ID_BYTES 18 /* anonymous web_visitor identity: 144 random bits */

static int json_result(struct store_cmd *cmd, json_t *j)
{
    cmd->result_json = core_json_dump(j, &cmd->arena);
    if (cmd->result_json == NULL)
        return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory rendering the result");
    return 0;
}

static int check_customer_fields(struct store_cmd *cmd, const struct customer *c, unsigned set)
{
    struct parley_err *e = &cmd->err;
    int rc = 0;
    if ((set & SET_NAME) && (rc = core_check_text("name", c->name, c->name ? strlen(c->name) : 0,
                                                  CORE_MAX_NAME, false, e)) != 0)
        return rc;
    if ((set & SET_LOCALE) &&
        (rc = core_check_text("locale", c->locale, c->locale ? strlen(c->locale) : 0,
                              CORE_MAX_SHORT, false, e)) != 0)
        return rc;
    if ((set & SET_TIME_ZONE) &&
        (rc = core_check_text("time_zone", c->time_zone, c->time_zone ? strlen(c->time_zone) : 0,
                              CORE_MAX_SHORT, false, e)) != 0)
        return rc;
    if ((set & SET_NEEDS_NOTE) && (rc = core_check_text("needs_note", c->needs_note,
                                                        c->needs_note ? strlen(c->needs_note) : 0,
                                                        CORE_MAX_NOTE, false, e)) != 0)
        return rc;
    if ((set & SET_PREFERRED_CHANNEL) &&
        (c->preferred_channel < -1 || c->preferred_channel >= CHANNEL__COUNT))
        return parley_fail(e, PARLEY_EINVAL, "preferred_channel",
                           "preferred_channel must be one of web, portal, email, sms, whatsapp, "
                           "device, api");
    if ((set & SET_NEEDS) && (c->needs & ~(unsigned)NEED__ALL) != 0)
        return parley_fail(e, PARLEY_EINVAL, "needs", "needs contains an unknown need");
    return 0;
}

static const char *channel_or_null(int ch)
{
    return ch >= 0 && ch < CHANNEL__COUNT ? channel_name((enum channel)ch) : NULL;
}

int w_insert_customer(struct store *s, struct store_cmd *cmd, struct customer *c, size_t n_ids)
{
    int rc = check_customer_fields(cmd, c, ~0u);
    if (rc != 0) return rc;
    c->tenant_id = cmd->tenant_id;
    c->created_at = w_time(c->created_at);
    c->updated_at = c->created_at;
    c->merged_into = 0;
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "INSERT INTO customers(tenant_id, name, locale, time_zone,"
                                " preferred_channel, needs, needs_note, prefers_person,"
                                " created_at, updated_at)"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    bind_text(st, 2, c->name);
    bind_text(st, 3, c->locale);
    bind_text(st, 4, c->time_zone);
    bind_text(st, 5, channel_or_null(c->preferred_channel));
    sqlite3_bind_int64(st, 6, c->needs);
    bind_text(st, 7, c->needs_note);
    sqlite3_bind_int(st, 8, c->prefers_person ? 1 : 0);
    sqlite3_bind_int64(st, 9, c->created_at);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "creating a customer");
    c->id = sqlite3_last_insert_rowid(s->db);
    return w_audit(s, cmd, "customer.create",
                   arena_printf(&cmd->arena, "customer:%lld", (long long)c->id),
                   arena_printf(&cmd->arena, "{\"customer_id\":%lld,\"identities\":%zu}",
                                (long long)c->id, n_ids),
                   c->created_at);
}

/* Copies and normalises an identity value into the command's arena (the store does not trust
 * that the edge did it: lookups must compare normalised values). */
static int normalised(struct store_cmd *cmd, enum identity_kind kind, const char *value,
                      const char *field, const char **out)
{
    if ((unsigned)kind >= IDENTITY__COUNT)
        return parley_fail(&cmd->err, PARLEY_EINVAL, field,
                           "unknown identity kind; use email, phone, web_visitor, whatsapp, "
                           "device or external");
    char *v = arena_strdup(&cmd->arena, value != NULL ? value : "");
    if (v == NULL) return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory");
    int rc = core_normalise_identity(kind, v, &cmd->err);
    if (rc != 0) {
        if (field != NULL) snprintf(cmd->err.field, sizeof(cmd->err.field), "%s", field);
        return rc;
    }
    *out = v;
    return 0;
}

int w_find_identity(struct store *s, struct store_cmd *cmd, enum identity_kind kind,
                    const char *value, int64_t *customer_id, int64_t *identity_id)
{
    *customer_id = *identity_id = 0;
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "SELECT customer_id, id FROM identities"
                                " WHERE tenant_id = ?1 AND kind = ?2 AND value = ?3",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    bind_text(st, 2, identity_kind_name(kind));
    bind_text(st, 3, value);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        *customer_id = sqlite3_column_int64(st, 0);
        *identity_id = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return db_fail(&cmd->err, s->db, "looking up an identity");
    return 0;
}

int w_insert_identity(struct store *s, struct store_cmd *cmd, struct identity *i)
{
    i->tenant_id = cmd->tenant_id;
    i->created_at = w_time(i->created_at);
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "INSERT INTO identities(tenant_id, customer_id, kind, value,"
                                " verified, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    sqlite3_bind_int64(st, 2, i->customer_id);
    bind_text(st, 3, identity_kind_name(i->kind));
    bind_text(st, 4, i->value);
    sqlite3_bind_int(st, 5, i->verified ? 1 : 0);
    sqlite3_bind_int64(st, 6, i->created_at);
    int rc = stmt_run(st);
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return parley_fail(&cmd->err, PARLEY_ECONFLICT, "identities",
                           "this %s identity is given twice or already belongs to a customer",
                           identity_kind_name(i->kind));
    if (rc != SQLITE_DONE) return db_fail(&cmd->err, s->db, "adding an identity");
    i->id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

int cmd_create_customer(struct store *s, struct store_cmd *cmd)
{
    struct customer *c = &cmd->in.create_customer.customer;
    struct identity *ids = cmd->in.create_customer.identities;
    size_t n = cmd->in.create_customer.n_identities;
    if (n > CORE_MAX_LIST)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "identities",
                           "at most %d identities per customer", CORE_MAX_LIST);
    if (c->name == NULL && n == 0)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "name",
                           "give the customer a name or at least one identity");
    for (size_t i = 0; i < n; i++) {
        int64_t owner, id;
        int rc = normalised(cmd, ids[i].kind, ids[i].value, "identities", &ids[i].value);
        if (rc == 0) rc = w_find_identity(s, cmd, ids[i].kind, ids[i].value, &owner, &id);
        if (rc != 0) return rc;
        if (owner != 0)
            return parley_fail(&cmd->err, PARLEY_ECONFLICT, "identities",
                               "this %s identity already belongs to customer %lld; add details "
                               "to that customer instead",
                               identity_kind_name(ids[i].kind), (long long)owner);
    }
    int rc = w_insert_customer(s, cmd, c, n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        ids[i].customer_id = c->id;
        if (ids[i].created_at == 0) ids[i].created_at = c->created_at;
        rc = w_insert_identity(s, cmd, &ids[i]);
    }
    if (rc != 0) return rc;
    struct json_view v;
    w_view(cmd, &v);
    cmd->result_id = c->id;
    cmd->created = true;
    return json_result(cmd, core_json_customer(c, ids, n, &v));
}

const char *w_set_names(unsigned set, struct arena *a)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {SET_NAME, "name"},
        {SET_LOCALE, "locale"},
        {SET_TIME_ZONE, "time_zone"},
        {SET_PREFERRED_CHANNEL, "preferred_channel"},
        {SET_NEEDS, "needs"},
        {SET_NEEDS_NOTE, "needs_note"},
        {SET_PREFERS_PERSON, "prefers_person"},
        {SET_STATUS, "status"},
        {SET_PRIORITY, "priority"},
        {SET_CONTACT_REASON, "contact_reason"},
        {SET_TAGS, "tags"},
        {SET_ASSIGNEES, "assignees"},
        {SET_SUBJECT, "subject"},
    };
    const char *list[sizeof(names) / sizeof(names[0])];
    size_t n = 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (set & names[i].bit) list[n++] = names[i].name;
    return strings_to_json(list, n, a);
}

int cmd_update_customer(struct store *s, struct store_cmd *cmd)
{
    const struct customer *in = &cmd->in.update_customer.customer;
    unsigned set = cmd->in.update_customer.set;
    struct customer c;
    int rc = load_customer(&s->cache, cmd->tenant_id, in->id, "id", &c, &cmd->arena, &cmd->err);
    if (rc != 0 || (rc = check_customer_fields(cmd, in, set)) != 0) return rc;
    if (set & SET_NAME) c.name = in->name;
    if (set & SET_LOCALE) c.locale = in->locale;
    if (set & SET_TIME_ZONE) c.time_zone = in->time_zone;
    if (set & SET_PREFERRED_CHANNEL) c.preferred_channel = in->preferred_channel;
    if (set & SET_NEEDS) c.needs = in->needs;
    if (set & SET_NEEDS_NOTE) c.needs_note = in->needs_note;
    if (set & SET_PREFERS_PERSON) c.prefers_person = in->prefers_person;
    int64_t now = w_time(in->updated_at);
    c.updated_at = now > c.updated_at ? now : c.updated_at;
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "UPDATE customers SET name = ?1, locale = ?2, time_zone = ?3,"
                                " preferred_channel = ?4, needs = ?5, needs_note = ?6,"
                                " prefers_person = ?7, updated_at = ?8"
                                " WHERE id = ?9 AND tenant_id = ?10",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    bind_text(st, 1, c.name);
    bind_text(st, 2, c.locale);
    bind_text(st, 3, c.time_zone);
    bind_text(st, 4, channel_or_null(c.preferred_channel));
    sqlite3_bind_int64(st, 5, c.needs);
    bind_text(st, 6, c.needs_note);
    sqlite3_bind_int(st, 7, c.prefers_person ? 1 : 0);
    sqlite3_bind_int64(st, 8, c.updated_at);
    sqlite3_bind_int64(st, 9, c.id);
    sqlite3_bind_int64(st, 10, cmd->tenant_id);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "updating a customer");
    const char *fields = w_set_names(set & 0x7f, &cmd->arena);
    rc = w_audit(s, cmd, "customer.update",
                 arena_printf(&cmd->arena, "customer:%lld", (long long)c.id),
                 fields != NULL ? arena_printf(&cmd->arena, "{\"customer_id\":%lld,\"changed\":%s}",
                                               (long long)c.id, fields)
                                : NULL,
                 now);
    if (rc != 0) return rc;
    struct json_view v;
    w_view(cmd, &v);
    cmd->result_id = c.id;
    return json_result(cmd, core_json_customer(&c, NULL, 0, &v));
}

/* Moves everything of customer `from` to `into` (same tenant): identities, conversations and
 * their customer receipts, consents, and earlier merges; marks `from` as merged. */
static int merge_customer(struct store *s, struct store_cmd *cmd, int64_t into, int64_t from,
                          int64_t now)
{
    static const char *const moves[] = {
        "UPDATE identities SET customer_id = ?1 WHERE customer_id = ?2 AND tenant_id = ?3",
        "UPDATE conversations SET customer_id = ?1 WHERE customer_id = ?2 AND tenant_id = ?3",
        "UPDATE consents SET customer_id = ?1 WHERE customer_id = ?2 AND tenant_id = ?3",
        "UPDATE customers SET merged_into = ?1 WHERE merged_into = ?2 AND tenant_id = ?3",
    };
    int64_t moved[4];
    for (size_t i = 0; i < 4; i++) {
        sqlite3_stmt *st = stmt_get(&s->cache, moves[i], &cmd->err);
        if (st == NULL) return cmd->err.code;
        sqlite3_bind_int64(st, 1, into);
        sqlite3_bind_int64(st, 2, from);
        sqlite3_bind_int64(st, 3, cmd->tenant_id);
        if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "merging customers");
        moved[i] = sqlite3_changes(s->db);
    }
    /* The moved conversations' receipts follow the customer they now belong to. */
    char *p_into = arena_printf(&cmd->arena, "customer:%lld", (long long)into);
    char *p_from = arena_printf(&cmd->arena, "customer:%lld", (long long)from);
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "UPDATE receipts SET participant = ?1 WHERE participant = ?2"
                                " AND conversation_id IN (SELECT id FROM conversations"
                                " WHERE customer_id = ?3 AND tenant_id = ?4)",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    bind_text(st, 1, p_into);
    bind_text(st, 2, p_from);
    sqlite3_bind_int64(st, 3, into);
    sqlite3_bind_int64(st, 4, cmd->tenant_id);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "merging receipts");
    st = stmt_get(&s->cache,
                  "UPDATE customers SET merged_into = ?1, updated_at = ?2"
                  " WHERE id = ?3 AND tenant_id = ?4",
                  &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, into);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, from);
    sqlite3_bind_int64(st, 4, cmd->tenant_id);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "merging customers");
    st = stmt_get(&s->cache, "UPDATE customers SET updated_at = ?1 WHERE id = ?2", &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, into);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "merging customers");

    int rc = w_audit(s, cmd, "customer.merge",
                     arena_printf(&cmd->arena, "customer:%lld", (long long)into),
                     arena_printf(&cmd->arena,
                                  "{\"customer_id\":%lld,\"merged_customer_id\":%lld,"
                                  "\"moved\":{\"identities\":%lld,\"conversations\":%lld,"
                                  "\"consents\":%lld}}",
                                  (long long)into, (long long)from, (long long)moved[0],
                                  (long long)moved[1], (long long)moved[2]),
                     now);
    if (rc != 0) return rc;
    struct event_scope sc = {.customer_id = into};
    return w_event(s, cmd, "customer.merged", &sc, AUDIENCE_STAFF,
                   arena_printf(&cmd->arena, "{\"customer_id\":%lld,\"merged_customer_id\":%lld}",
                                (long long)into, (long long)from),
                   NULL, now);
}

static int load_identity(struct store *s, struct store_cmd *cmd, int64_t id, struct identity *out)
{
    sqlite3_stmt *st = stmt_get(
        &s->cache, "SELECT " IDENTITY_COLS " FROM identities WHERE id = ?1 AND tenant_id = ?2",
        &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, cmd->tenant_id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) row_identity(st, out, &cmd->arena);
    sqlite3_reset(st);
    if (step != SQLITE_ROW) return db_fail(&cmd->err, s->db, "reading an identity");
    return 0;
}

int cmd_add_identity(struct store *s, struct store_cmd *cmd)
{
    struct identity *in = &cmd->in.add_identity;
    struct customer a;
    int rc = load_customer(&s->cache, cmd->tenant_id, in->customer_id, "customer_id", &a,
                           &cmd->arena, &cmd->err);
    if (rc != 0) return rc;
    if (a.merged_into != 0)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "customer_id",
                           "customer %lld was merged into customer %lld; use that one",
                           (long long)a.id, (long long)a.merged_into);
    const char *value;
    int64_t owner, identity_id;
    if ((rc = normalised(cmd, in->kind, in->value, "value", &value)) != 0 ||
        (rc = w_find_identity(s, cmd, in->kind, value, &owner, &identity_id)) != 0)
        return rc;
    int64_t now = w_time(in->created_at);
    struct identity out;
    if (owner == 0) {
        struct identity i = *in;
        i.value = value;
        i.created_at = now;
        if ((rc = w_insert_identity(s, cmd, &i)) != 0) return rc;
        rc = w_audit(
            s, cmd, "identity.add", arena_printf(&cmd->arena, "customer:%lld", (long long)a.id),
            arena_printf(&cmd->arena, "{\"customer_id\":%lld,\"identity_id\":%lld,\"kind\":\"%s\"}",
                         (long long)a.id, (long long)i.id, identity_kind_name(i.kind)),
            now);
        if (rc != 0) return rc;
        cmd->result_id = i.id;
        cmd->created = true;
        return json_result(cmd, core_json_identity(&i));
    }
    cmd->result_id = identity_id;
    if (owner == a.id) { /* already this customer's: nothing to do */
        if ((rc = load_identity(s, cmd, identity_id, &out)) != 0) return rc;
        return json_result(cmd, core_json_identity(&out));
    }
    if ((rc = merge_customer(s, cmd, a.id, owner, now)) != 0 ||
        (rc = load_identity(s, cmd, identity_id, &out)) != 0)
        return rc;
    cmd->result_id2 = owner;
    json_t *j = json_object();
    if (j != NULL) {
        json_object_set_new(j, "merged_customer_id", json_integer(owner));
        json_object_set_new(j, "identity", core_json_identity(&out));
    }
    return json_result(cmd, j);
}

int cmd_set_consent(struct store *s, struct store_cmd *cmd)
{
    struct consent c = cmd->in.set_consent;
    struct customer owner;
    int rc = load_customer(&s->cache, cmd->tenant_id, c.customer_id, "customer_id", &owner,
                           &cmd->arena, &cmd->err);
    if (rc != 0) return rc;
    if ((unsigned)c.purpose >= PURPOSE__COUNT)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "purpose",
                           "purpose must be service_alerts, outage_updates, reminders or "
                           "marketing");
    if ((unsigned)c.channel >= CHANNEL__COUNT)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "channel", "unknown channel");
    if ((rc = core_check_text("source", c.source, c.source ? strlen(c.source) : 0, CORE_MAX_NAME,
                              false, &cmd->err)) != 0)
        return rc;
    if (owner.merged_into != 0) c.customer_id = owner.merged_into;
    c.tenant_id = cmd->tenant_id;
    c.at = w_time(c.at);
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "INSERT INTO consents(tenant_id, customer_id, purpose, channel,"
                                " granted, source, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    sqlite3_bind_int64(st, 2, c.customer_id);
    bind_text(st, 3, consent_purpose_name(c.purpose));
    bind_text(st, 4, channel_name(c.channel));
    sqlite3_bind_int(st, 5, c.granted ? 1 : 0);
    bind_text(st, 6, c.source);
    sqlite3_bind_int64(st, 7, c.at);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "recording a consent");
    c.id = sqlite3_last_insert_rowid(s->db);
    rc = w_audit(
        s, cmd, "consent.set", arena_printf(&cmd->arena, "customer:%lld", (long long)c.customer_id),
        arena_printf(&cmd->arena,
                     "{\"customer_id\":%lld,\"consent_id\":%lld,\"purpose\":\"%s\","
                     "\"channel\":\"%s\",\"granted\":%s}",
                     (long long)c.customer_id, (long long)c.id, consent_purpose_name(c.purpose),
                     channel_name(c.channel), c.granted ? "true" : "false"),
        c.at);
    if (rc != 0) return rc;
    cmd->result_id = c.id;
    cmd->created = true;
    return json_result(cmd, core_json_consent(&c));
}

int cmd_widget_session(struct store *s, struct store_cmd *cmd)
{
    enum identity_kind kind = cmd->in.widget_session.identity_kind;
    const char *value = cmd->in.widget_session.identity_value;
    const char *name = cmd->in.widget_session.name;
    int rc;
    struct json_view v;
    w_view(cmd, &v);
    if (value != NULL) {
        int64_t owner, identity_id;
        if ((rc = normalised(cmd, kind, value, "identifier", &value)) != 0 ||
            (rc = w_find_identity(s, cmd, kind, value, &owner, &identity_id)) != 0)
            return rc;
        if (owner != 0) { /* a known customer, on this or another device */
            struct customer c;
            rc = load_customer(&s->cache, cmd->tenant_id, owner, NULL, &c, &cmd->arena, &cmd->err);
            if (rc != 0) return rc;
            cmd->result_id = c.id;
            return json_result(cmd, core_json_customer(&c, NULL, 0, &v));
        }
    } else {
        char token[2 * VISITOR_ID_BYTES + 4];
        kind = IDENTITY_WEB_VISITOR;
        value =
            arena_strdup(&cmd->arena, util_random_token(token, sizeof(token), VISITOR_ID_BYTES));
    }
    struct customer c = {.name = name, .preferred_channel = -1};
    if ((rc = w_insert_customer(s, cmd, &c, 1)) != 0) return rc;
    struct identity i = {
        .customer_id = c.id, .kind = kind, .value = value, .created_at = c.created_at};
    if ((rc = w_insert_identity(s, cmd, &i)) != 0) return rc;
    cmd->result_id = c.id;
    cmd->created = true;
    return json_result(cmd, core_json_customer(&c, NULL, 0, &v));
}
