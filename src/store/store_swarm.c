/* Swarming (docs/swarming.md): participants of a conversation besides its owner. The
 * conversation_participants table is the record (who, invited by whom and when, left when,
 * whether they may write to the customer); the active ones also follow the owner in the
 * conversation's assignees (column and rows), which is what live-stream audiences, "assigned
 * to me" lists and the expert's access check read. Invitations, removals and grants are write
 * commands: audited, and announced as conversation.participant_* events. */
#include "store_int.h"
#include "../core/core_json.h"
#include "../core/core_route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PART_COLS                                                                                  \
    "conversation_id, user_id, kind, invited_by, invited_at, joined_at, left_at, "                 \
    "may_write_customer"

static void row_participant(sqlite3_stmt *st, struct participant *p, struct arena *a)
{
    memset(p, 0, sizeof(*p));
    p->conversation_id = sqlite3_column_int64(st, 0);
    p->user_id = sqlite3_column_int64(st, 1);
    const char *kind = (const char *)sqlite3_column_text(st, 2);
    p->kind =
        kind != NULL && strcmp(kind, "expert") == 0 ? PARTICIPANT_EXPERT : PARTICIPANT_ADVISER;
    p->invited_by = col_text(st, 3, a);
    p->invited_at = sqlite3_column_int64(st, 4);
    p->joined_at = sqlite3_column_int64(st, 5);
    p->left_at = sqlite3_column_int64(st, 6); /* NULL reads as 0: active */
    p->may_write_customer = sqlite3_column_int(st, 7) != 0;
}

static int load_participant(struct stmt_cache *c, int64_t tenant_id, int64_t conv_id,
                            int64_t user_id, struct participant *out, struct arena *a,
                            struct parley_err *err)
{
    sqlite3_stmt *st = stmt_get(c,
                                "SELECT " PART_COLS " FROM conversation_participants"
                                " WHERE conversation_id = ?1 AND user_id = ?2 AND tenant_id = ?3",
                                err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, conv_id);
    sqlite3_bind_int64(st, 2, user_id);
    sqlite3_bind_int64(st, 3, tenant_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) row_participant(st, out, a);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return 0;
    if (rc != SQLITE_DONE) return db_fail(err, c->db, "reading a participant");
    return parley_fail(err, PARLEY_ENOTFOUND, "user_id",
                       "user %lld is not a participant of conversation %lld", (long long)user_id,
                       (long long)conv_id);
}

/* The active participant user_id of c, or ENOTFOUND. Active means not left AND among the
 * assignees after the owner: a writer that set the assignees without w_participants_sync
 * (say, a routing decision) cannot leave someone with access the assignees do not give. */
static int load_active(struct store *s, struct store_cmd *cmd, const struct conversation *c,
                       int64_t user_id, struct participant *out)
{
    int rc =
        load_participant(&s->cache, cmd->tenant_id, c->id, user_id, out, &cmd->arena, &cmd->err);
    bool listed = false;
    for (size_t i = 1; i < c->n_assignees && !listed; i++) listed = c->assignees[i] == user_id;
    if (rc == 0 && (out->left_at != 0 || !listed))
        return parley_fail(&cmd->err, PARLEY_ENOTFOUND, "user_id",
                           "user %lld is not a participant of conversation %lld",
                           (long long)user_id, (long long)c->id);
    return rc;
}

/* ---- writer helpers ------------------------------------------------------------------------ */

static int upsert(struct store *s, struct store_cmd *cmd, int64_t conv_id, int64_t user_id,
                  enum role role, int64_t at)
{
    sqlite3_stmt *st =
        stmt_get(&s->cache,
                 "INSERT INTO conversation_participants(tenant_id, conversation_id, user_id, kind,"
                 " invited_by, invited_at, joined_at, left_at, may_write_customer)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, NULL, 0)"
                 " ON CONFLICT (conversation_id, user_id) DO UPDATE SET kind = excluded.kind,"
                 " invited_by = excluded.invited_by, invited_at = excluded.invited_at,"
                 " joined_at = excluded.joined_at, left_at = NULL, may_write_customer = 0",
                 &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    sqlite3_bind_int64(st, 2, conv_id);
    sqlite3_bind_int64(st, 3, user_id);
    bind_text(
        st, 4,
        participant_kind_name(role == ROLE_EXPERT ? PARTICIPANT_EXPERT : PARTICIPANT_ADVISER));
    bind_text(st, 5, cmd->actor != NULL ? cmd->actor : "system");
    sqlite3_bind_int64(st, 6, at);
    return stmt_run(st) == SQLITE_DONE ? 0 : db_fail(&cmd->err, s->db, "inviting");
}

static int mark_left(struct store *s, struct store_cmd *cmd, int64_t conv_id, int64_t user_id,
                     int64_t at)
{
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "UPDATE conversation_participants SET left_at = ?3,"
                                " may_write_customer = 0 WHERE conversation_id = ?1"
                                " AND user_id = ?2 AND left_at IS NULL",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, conv_id);
    sqlite3_bind_int64(st, 2, user_id);
    sqlite3_bind_int64(st, 3, at);
    return stmt_run(st) == SQLITE_DONE ? 0 : db_fail(&cmd->err, s->db, "removing a participant");
}

/* Audit entry for a participation change; how is a short JSON fragment (no personal data). */
static int audit(struct store *s, struct store_cmd *cmd, const char *action, int64_t conv_id,
                 int64_t user_id, const char *how, int64_t at)
{
    return w_audit(s, cmd, action,
                   arena_printf(&cmd->arena, "conversation:%lld", (long long)conv_id),
                   arena_printf(&cmd->arena, "{\"conversation_id\":%lld,\"user_id\":%lld%s%s}",
                                (long long)conv_id, (long long)user_id, how != NULL ? "," : "",
                                how != NULL ? how : ""),
                   at);
}

static enum role user_role(struct store *s, struct store_cmd *cmd, int64_t user_id, int *rc)
{
    struct user u;
    *rc = load_user(&s->cache, cmd->tenant_id, user_id, &u, &cmd->arena, &cmd->err);
    return *rc == 0 ? u.role : ROLE_AGENT;
}

int w_participants_sync(struct store *s, struct store_cmd *cmd, int64_t conv_id, const int64_t *ids,
                        size_t n, int64_t at)
{
    if (n > 1 + SWARM_MAX_PARTICIPANTS)
        return parley_fail(&cmd->err, PARLEY_ECONFLICT, "assignees",
                           "a conversation has one owner and at most %d participants (%zu given)",
                           SWARM_MAX_PARTICIPANTS, n > 0 ? n - 1 : 0);
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "SELECT user_id FROM conversation_participants"
                                " WHERE conversation_id = ?1 AND left_at IS NULL",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, conv_id);
    int64_t active[CORE_MAX_LIST];
    size_t n_active = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW && n_active < CORE_MAX_LIST)
        active[n_active++] = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return db_fail(&cmd->err, s->db, "reading participants");
    int rc = 0;
    for (size_t i = 0; i < n_active && rc == 0; i++) {
        bool keep = false;
        for (size_t k = 1; k < n && !keep; k++) keep = ids[k] == active[i];
        if (keep) continue;
        rc = mark_left(s, cmd, conv_id, active[i], at);
        if (rc == 0)
            rc = audit(s, cmd, "conversation.participant_remove", conv_id, active[i],
                       n > 0 && ids[0] == active[i] ? "\"via\":\"now_owner\""
                                                    : "\"via\":\"assignees\"",
                       at);
    }
    for (size_t k = 1; k < n && rc == 0; k++) {
        bool known = false;
        for (size_t i = 0; i < n_active && !known; i++) known = active[i] == ids[k];
        if (known) continue;
        enum role role = user_role(s, cmd, ids[k], &rc);
        if (rc == 0) rc = upsert(s, cmd, conv_id, ids[k], role, at);
        if (rc == 0)
            rc = audit(s, cmd, "conversation.participant_add", conv_id, ids[k],
                       "\"via\":\"assignees\"", at);
    }
    return rc;
}

/* Writes the new assignees (owner first) to the conversation row and its assignee rows. */
static int set_assignees(struct store *s, struct store_cmd *cmd, int64_t conv_id,
                         const int64_t *ids, size_t n, int64_t at)
{
    char *text = ids_format(ids, n, &cmd->arena);
    if (text == NULL) return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory");
    sqlite3_stmt *st =
        stmt_get(&s->cache,
                 "UPDATE conversations SET assignees = ?1,"
                 " updated_at = max(updated_at, ?2) WHERE id = ?3 AND tenant_id = ?4",
                 &cmd->err);
    if (st == NULL) return cmd->err.code;
    bind_text(st, 1, text);
    sqlite3_bind_int64(st, 2, at);
    sqlite3_bind_int64(st, 3, conv_id);
    sqlite3_bind_int64(st, 4, cmd->tenant_id);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "updating assignees");
    return w_write_assignees(s, cmd, conv_id, ids, n);
}

/* Re-reads the participant into the command's result and announces the change to the staff
 * audience `audience` (owner first; a leaver is still in it, so their stream hears it). */
static int finish(struct store *s, struct store_cmd *cmd, const char *type, int64_t conv_id,
                  int64_t user_id, const struct conversation *c, const int64_t *audience,
                  size_t n_audience, const int64_t *now_ids, size_t n_now, int64_t at)
{
    struct participant p;
    int rc =
        load_participant(&s->cache, cmd->tenant_id, conv_id, user_id, &p, &cmd->arena, &cmd->err);
    if (rc != 0) return rc;
    char *json = core_json_dump(core_json_participant(&p), &cmd->arena);
    json_t *ids = json_array();
    for (size_t i = 0; ids != NULL && i < n_now; i++)
        if (json_array_append_new(ids, json_integer(now_ids[i])) != 0) {
            json_decref(ids);
            ids = NULL;
        }
    char *data = NULL;
    if (json != NULL && ids != NULL) {
        json_t *o = json_pack("{s:I, s:o, s:o}", "conversation_id", (json_int_t)conv_id,
                              "participant", core_json_participant(&p), "assignees", ids);
        ids = NULL; /* stolen by json_pack, even when it fails */
        data = core_json_dump(o, &cmd->arena);
    }
    json_decref(ids);
    if (json == NULL || data == NULL)
        return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory rendering a participant");
    struct event_scope sc = {.conversation_id = conv_id,
                             .customer_id = c->customer_id,
                             .assignees = audience,
                             .n_assignees = n_audience};
    if ((rc = w_event(s, cmd, type, &sc, AUDIENCE_STAFF, data, NULL, at)) != 0) return rc;
    cmd->result_json = json;
    cmd->result_id = user_id;
    return 0;
}

/* ---- choosing by skill ------------------------------------------------------------------------
 */

/* The best available staff member for in.participant's skill: active, not already in the
 * conversation, the skill at min_level or above (and the role, when given); online first
 * (the routing service's presence), then away, then offline; then the fewest open
 * conversations, then the lowest id. */
static int choose_by_skill(struct store *s, struct store_cmd *cmd, const struct conversation *c,
                           int64_t *out)
{
    const char *skill = cmd->in.participant.skill;
    int level = cmd->in.participant.min_level;
    if (skill == NULL || skill[0] == '\0' || strlen(skill) > CORE_MAX_SHORT)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "skill", "skill must be a skill name");
    for (const char *p = skill; *p; p++) /* it goes into the audit detail's JSON as is */
        if ((unsigned char)*p < 0x20 || *p == '"' || *p == '\\' || *p == ':')
            return parley_fail(&cmd->err, PARLEY_EINVAL, "skill",
                               "skill must be a skill name without quotes, colons or controls");
    if (level < 1 || level > 10)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "min_level", "min_level must be 1 to 10");
    sqlite3_stmt *st = stmt_get(
        &s->cache,
        "SELECT u.id FROM users u WHERE u.tenant_id = ?1 AND u.active = 1"
        " AND (?5 IS NULL OR u.role = ?5)"
        " AND u.id NOT IN (SELECT user_id FROM conversation_assignees WHERE conversation_id = ?2)"
        " AND EXISTS (SELECT 1 FROM json_each(u.skills) j"
        "  WHERE substr(j.value, 1, instr(j.value, ':') - 1) = ?3"
        "  AND CAST(substr(j.value, instr(j.value, ':') + 1) AS INTEGER) >= ?4)"
        /* online first, then away, then offline (no presence row: offline) */
        " ORDER BY coalesce((SELECT CASE p.status WHEN ?6 THEN 0 WHEN ?7 THEN 1 END"
        "  FROM route_presence p WHERE p.user_id = u.id AND p.tenant_id = ?1), 2),"
        " (SELECT count(*) FROM conversation_assignees a JOIN conversations c"
        "  ON c.id = a.conversation_id WHERE a.tenant_id = ?1 AND a.user_id = u.id"
        "  AND c.status IN ('bot', 'queued', 'assigned', 'pending_customer')), u.id LIMIT 1",
        &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    sqlite3_bind_int64(st, 2, c->id);
    bind_text(st, 3, skill);
    sqlite3_bind_int(st, 4, level);
    int role = cmd->in.participant.role;
    bind_text(st, 5, role >= 0 && role < ROLE__COUNT ? role_name((enum role)role) : NULL);
    bind_text(st, 6, presence_name(PRESENCE_ONLINE));
    bind_text(st, 7, presence_name(PRESENCE_AWAY));
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) *out = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (step == SQLITE_ROW) return 0;
    if (step != SQLITE_DONE) return db_fail(&cmd->err, s->db, "choosing by skill");
    return parley_fail(&cmd->err, PARLEY_ECONFLICT, "skill",
                       "nobody available has skill %s at level %d or above (and is not already "
                       "in conversation %lld)",
                       skill, level, (long long)c->id);
}

/* ---- commands -------------------------------------------------------------------------------- */

static int load_conv(struct store *s, struct store_cmd *cmd, struct conversation *c)
{
    return load_conversation(&s->cache, cmd->tenant_id, cmd->in.participant.conversation_id, "id",
                             c, &cmd->arena, &cmd->err);
}

int cmd_add_participant(struct store *s, struct store_cmd *cmd)
{
    struct conversation c;
    int rc = load_conv(s, cmd, &c);
    if (rc != 0) return rc;
    if (c.status == CONV_CLOSED)
        return parley_fail(&cmd->err, PARLEY_ECONFLICT, "id",
                           "conversation %s is closed: reopen it before inviting", c.reference);
    if (c.n_assignees == 0)
        return parley_fail(&cmd->err, PARLEY_ECONFLICT, "id",
                           "conversation %s has no owner yet: assign it before inviting",
                           c.reference);
    int64_t uid = cmd->in.participant.user_id;
    const char *via = "\"via\":\"user\"";
    if (uid == 0) {
        if ((rc = choose_by_skill(s, cmd, &c, &uid)) != 0) return rc;
        via = arena_printf(&cmd->arena, "\"via\":\"skill\",\"skill\":\"%s\",\"min_level\":%d",
                           cmd->in.participant.skill, cmd->in.participant.min_level);
        if (via == NULL) return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory");
        /* the skill is a checked name (no quotes or controls: decode_check_skill rules) */
    }
    struct user u;
    rc = load_user(&s->cache, cmd->tenant_id, uid, &u, &cmd->arena, &cmd->err);
    if (rc == PARLEY_ENOTFOUND)
        return parley_fail(&cmd->err, PARLEY_ENOTFOUND, "user_id", "user %lld not found",
                           (long long)uid);
    if (rc != 0) return rc;
    if (!u.active)
        return parley_fail(&cmd->err, PARLEY_ECONFLICT, "user_id",
                           "user %lld is deactivated and cannot be invited", (long long)uid);
    if (c.assignees[0] == uid)
        return parley_fail(&cmd->err, PARLEY_ECONFLICT, "user_id",
                           "user %lld owns conversation %s already", (long long)uid, c.reference);
    for (size_t i = 1; i < c.n_assignees; i++)
        if (c.assignees[i] == uid)
            return parley_fail(&cmd->err, PARLEY_ECONFLICT, "user_id",
                               "user %lld is already a participant of conversation %s",
                               (long long)uid, c.reference);
    if (c.n_assignees - 1 >= SWARM_MAX_PARTICIPANTS)
        return parley_fail(&cmd->err, PARLEY_ECONFLICT, NULL,
                           "conversation %s already has %d participants, the most allowed: "
                           "remove one first",
                           c.reference, SWARM_MAX_PARTICIPANTS);
    int64_t now = w_time(0);
    int64_t ids[SWARM_MAX_PARTICIPANTS + 1];
    memcpy(ids, c.assignees, c.n_assignees * sizeof(int64_t));
    ids[c.n_assignees] = uid;
    size_t n = c.n_assignees + 1;
    if ((rc = upsert(s, cmd, c.id, uid, u.role, now)) != 0 ||
        (rc = set_assignees(s, cmd, c.id, ids, n, now)) != 0 ||
        (rc = audit(s, cmd, "conversation.participant_add", c.id, uid, via, now)) != 0 ||
        (rc = finish(s, cmd, "conversation.participant_added", c.id, uid, &c, ids, n, ids, n,
                     now)) != 0)
        return rc;
    cmd->created = true;
    return 0;
}

int cmd_remove_participant(struct store *s, struct store_cmd *cmd)
{
    struct conversation c;
    int64_t uid = cmd->in.participant.user_id;
    struct participant p;
    int rc = load_conv(s, cmd, &c);
    if (rc != 0 || (rc = load_active(s, cmd, &c, uid, &p)) != 0) return rc;
    int64_t now = w_time(0), ids[CORE_MAX_LIST];
    size_t n = 0;
    for (size_t i = 0; i < c.n_assignees && n < CORE_MAX_LIST; i++)
        if (c.assignees[i] != uid || i == 0) ids[n++] = c.assignees[i];
    const char *how = cmd->actor != NULL && strncmp(cmd->actor, "user:", 5) == 0 &&
                              strtoll(cmd->actor + 5, NULL, 10) == uid
                          ? "\"via\":\"left\""
                          : "\"via\":\"removed\"";
    if ((rc = mark_left(s, cmd, c.id, uid, now)) != 0 ||
        (rc = set_assignees(s, cmd, c.id, ids, n, now)) != 0 ||
        (rc = audit(s, cmd, "conversation.participant_remove", c.id, uid, how, now)) != 0)
        return rc;
    return finish(s, cmd, "conversation.participant_removed", c.id, uid, &c, c.assignees,
                  c.n_assignees, ids, n, now);
}

int cmd_update_participant(struct store *s, struct store_cmd *cmd)
{
    struct conversation c;
    int64_t uid = cmd->in.participant.user_id;
    struct participant p;
    int rc = load_conv(s, cmd, &c);
    if (rc != 0 || (rc = load_active(s, cmd, &c, uid, &p)) != 0) return rc;
    bool allow = cmd->in.participant.may_write_customer;
    int64_t now = w_time(0);
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "UPDATE conversation_participants SET may_write_customer = ?3"
                                " WHERE conversation_id = ?1 AND user_id = ?2",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, c.id);
    sqlite3_bind_int64(st, 2, uid);
    sqlite3_bind_int(st, 3, allow ? 1 : 0);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "updating a participant");
    if ((rc = audit(s, cmd, "conversation.participant_update", c.id, uid,
                    allow ? "\"may_write_customer\":true" : "\"may_write_customer\":false", now)) !=
        0)
        return rc;
    return finish(s, cmd, "conversation.participant_updated", c.id, uid, &c, c.assignees,
                  c.n_assignees, c.assignees, c.n_assignees, now);
}

/* ---- reads ------------------------------------------------------------------------------------
 */

int store_list_participants(struct store_reader *r, int64_t tenant_id, int64_t conversation_id,
                            struct participant **out, size_t *n, struct arena *a,
                            struct parley_err *err)
{
    STORE_ERR(err);
    *out = NULL;
    *n = 0;
    struct conversation c;
    int rc = load_conversation(&r->cache, tenant_id, conversation_id, "id", &c, a, err);
    if (rc != 0) return rc;
    sqlite3_stmt *st = stmt_get(&r->cache,
                                "SELECT " PART_COLS " FROM conversation_participants"
                                " WHERE conversation_id = ?1 AND tenant_id = ?2"
                                " AND left_at IS NULL AND user_id IN (SELECT user_id"
                                " FROM conversation_assignees WHERE conversation_id = ?1"
                                " AND position > 0) ORDER BY invited_at, user_id",
                                err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, conversation_id);
    sqlite3_bind_int64(st, 2, tenant_id);
    struct rows it = rows_begin(st, sizeof(**out), 0, 0);
    for (struct participant *p; (p = rows_next(&it, a)) != NULL;) row_participant(st, p, a);
    rc = rows_end(&it, r->db, "listing participants", err);
    *out = it.items;
    *n = it.n;
    return rc;
}

int store_get_participant(struct store_reader *r, int64_t tenant_id, int64_t conversation_id,
                          int64_t user_id, struct participant *out, struct arena *a,
                          struct parley_err *err)
{
    STORE_ERR(err);
    return load_participant(&r->cache, tenant_id, conversation_id, user_id, out, a, err);
}
