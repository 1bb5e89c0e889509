/* Write commands for tenants and staff: tenant (with its admin), team, user, sessions, API
 * tokens, plus the explicit audit append and pruning of old events and idempotency keys. */
#include "store_int.h"
#include "../common/util.h"
#include "../core/core_json.h"

#include <ctype.h>
#include <string.h>

#define SECRET_BYTES 32 /* 256-bit widget secret and visitor-token key */

static int json_result(struct store_cmd *cmd, json_t *j)
{
    cmd->result_json = core_json_dump(j, &cmd->arena);
    if (cmd->result_json == NULL)
        return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory rendering the result");
    return 0;
}

static int check_list(struct store_cmd *cmd, const char *field, const char *const *items, size_t n,
                      size_t max_items)
{
    if (n > max_items)
        return parley_fail(&cmd->err, PARLEY_EINVAL, field, "%s has %zu entries; at most %zu",
                           field, n, max_items);
    for (size_t i = 0; i < n; i++) {
        const char *v = items[i];
        int rc =
            core_check_text(field, v, v != NULL ? strlen(v) : 0, CORE_MAX_SHORT, true, &cmd->err);
        if (rc != 0) return rc;
    }
    return 0;
}

/* Shared by CREATE_USER and the admin of CREATE_TENANT: validates, resolves the team slug and
 * inserts. Fills u->id, u->email (normalised), u->active and u->created_at. */
static int insert_user(struct store *s, struct store_cmd *cmd, struct user *u,
                       const char *password_hash)
{
    char *email = arena_strdup(&cmd->arena, u->email);
    if (u->email == NULL || email == NULL)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "email", "email is required");
    int rc = core_normalise_identity(IDENTITY_EMAIL, email, &cmd->err);
    if (rc != 0) {
        snprintf(cmd->err.field, sizeof(cmd->err.field), "email");
        return rc;
    }
    if ((unsigned)u->role >= ROLE__COUNT)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "role",
                           "role must be admin, supervisor, agent or expert");
    if ((rc = core_check_text("name", u->name, u->name ? strlen(u->name) : 0, CORE_MAX_NAME, false,
                              &cmd->err)) != 0 ||
        (rc = check_list(cmd, "skills", u->skills, u->n_skills, CORE_MAX_LIST)) != 0 ||
        (rc = check_list(cmd, "languages", u->languages, u->n_languages, CORE_MAX_LIST)) != 0)
        return rc;

    int64_t team_id = 0;
    if (u->team != NULL) {
        sqlite3_stmt *st = stmt_get(
            &s->cache, "SELECT id FROM teams WHERE tenant_id = ?1 AND slug = ?2", &cmd->err);
        if (st == NULL) return cmd->err.code;
        sqlite3_bind_int64(st, 1, cmd->tenant_id);
        bind_text(st, 2, u->team);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) team_id = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        if (step != SQLITE_ROW && step != SQLITE_DONE)
            return db_fail(&cmd->err, s->db, "looking up the team");
        if (team_id == 0)
            return parley_fail(&cmd->err, PARLEY_EINVAL, "team",
                               "there is no team with this slug; create the team first");
    }
    sqlite3_stmt *st =
        stmt_get(&s->cache, "SELECT 1 FROM users WHERE tenant_id = ?1 AND email = ?2", &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    bind_text(st, 2, email);
    int step = sqlite3_step(st);
    sqlite3_reset(st);
    if (step == SQLITE_ROW)
        return parley_fail(&cmd->err, PARLEY_ECONFLICT, "email",
                           "a user with this email already exists in this organisation");
    if (step != SQLITE_DONE) return db_fail(&cmd->err, s->db, "checking the email");

    char *skills = strings_to_json(u->skills, u->n_skills, &cmd->arena);
    char *languages = strings_to_json(u->languages, u->n_languages, &cmd->arena);
    if (skills == NULL || languages == NULL)
        return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory creating a user");
    u->created_at = w_time(u->created_at);
    st = stmt_get(
        &s->cache,
        "INSERT INTO users(tenant_id, email, name, role, skills, languages, team_id,"
        " active, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?9)",
        &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    bind_text(st, 2, email);
    bind_text(st, 3, u->name);
    bind_text(st, 4, role_name(u->role));
    bind_text(st, 5, skills);
    bind_text(st, 6, languages);
    bind_id0(st, 7, team_id);
    bind_text(st, 8, password_hash);
    sqlite3_bind_int64(st, 9, u->created_at);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "creating a user");
    u->id = sqlite3_last_insert_rowid(s->db);
    u->tenant_id = cmd->tenant_id;
    u->email = email;
    u->active = true;
    return w_audit(s, cmd, "user.create", arena_printf(&cmd->arena, "user:%lld", (long long)u->id),
                   arena_printf(&cmd->arena, "{\"user_id\":%lld,\"role\":\"%s\"}", (long long)u->id,
                                role_name(u->role)),
                   u->created_at);
}

/* "acme-corp" → "ACMECORP": letters and digits of the slug, upper-cased, at most 8. */
static void ref_prefix_from(const char *slug, char out[9])
{
    size_t n = 0;
    for (const char *p = slug; *p && n < 8; p++)
        if (isalnum((unsigned char)*p)) out[n++] = (char)toupper((unsigned char)*p);
    out[n] = '\0';
}

static int create_tenant_in(struct store *s, struct store_cmd *cmd, int64_t *tenant_id)
{
    struct tenant *t = &cmd->in.create_tenant.tenant;
    struct user *admin = &cmd->in.create_tenant.admin;
    int rc = core_check_slug("slug", t->slug, &cmd->err);
    if (rc != 0) return rc;
    const char *name = t->name != NULL ? t->name : t->slug;
    if ((rc = core_check_text("name", name, strlen(name), CORE_MAX_NAME, true, &cmd->err)) != 0)
        return rc;
    const char *tz = t->time_zone != NULL && t->time_zone[0] ? t->time_zone : "UTC";
    if ((rc = core_check_text("time_zone", tz, strlen(tz), CORE_MAX_SHORT, true, &cmd->err)) != 0)
        return rc;
    char prefix[9];
    ref_prefix_from(t->ref_prefix != NULL && t->ref_prefix[0] ? t->ref_prefix : t->slug, prefix);

    sqlite3_stmt *st = stmt_get(&s->cache, "SELECT 1 FROM tenants WHERE slug = ?1", &cmd->err);
    if (st == NULL) return cmd->err.code;
    bind_text(st, 1, t->slug);
    int step = sqlite3_step(st);
    sqlite3_reset(st);
    if (step == SQLITE_ROW)
        return parley_fail(&cmd->err, PARLEY_ECONFLICT, "slug",
                           "an organisation with this slug already exists; choose another slug");
    if (step != SQLITE_DONE) return db_fail(&cmd->err, s->db, "checking the slug");

    char secret[2 * SECRET_BYTES], key[2 * SECRET_BYTES];
    util_random_token(secret, sizeof(secret), SECRET_BYTES);
    util_random_token(key, sizeof(key), SECRET_BYTES);
    int64_t now = w_time(t->created_at);
    st = stmt_get(&s->cache,
                  "INSERT INTO tenants(slug, name, ref_prefix, widget_secret, token_key,"
                  " time_zone, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                  &cmd->err);
    if (st == NULL) return cmd->err.code;
    bind_text(st, 1, t->slug);
    bind_text(st, 2, name);
    bind_text(st, 3, prefix);
    bind_text(st, 4, secret);
    bind_text(st, 5, key);
    bind_text(st, 6, tz);
    sqlite3_bind_int64(st, 7, now);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "creating the tenant");
    *tenant_id = sqlite3_last_insert_rowid(s->db);
    cmd->tenant_id = *tenant_id; /* the admin user and the audit rows belong to the new tenant */

    struct tenant out;
    if ((rc = load_tenant(&s->cache, *tenant_id, &out, &cmd->arena, &cmd->err)) != 0) return rc;
    json_t *admin_json = NULL;
    if (admin->email != NULL) {
        if ((rc = insert_user(s, cmd, admin, cmd->in.create_tenant.admin_password_hash)) != 0)
            return rc;
        cmd->result_id2 = admin->id;
        admin_json = core_json_user(admin);
    }
    rc = w_audit(s, cmd, "tenant.create",
                 arena_printf(&cmd->arena, "tenant:%lld", (long long)*tenant_id),
                 arena_printf(&cmd->arena, "{\"tenant_id\":%lld,\"admin_user_id\":%lld}",
                              (long long)*tenant_id, (long long)cmd->result_id2),
                 now);
    if (rc != 0) {
        json_decref(admin_json);
        return rc;
    }
    json_t *j = json_object();
    if (j != NULL) {
        json_object_set_new(j, "tenant", core_json_tenant(&out));
        json_object_set_new(j, "admin", admin_json != NULL ? admin_json : json_null());
    } else {
        json_decref(admin_json);
    }
    cmd->result_id = *tenant_id;
    cmd->created = true;
    return json_result(cmd, j);
}

int cmd_create_tenant(struct store *s, struct store_cmd *cmd)
{
    /* The command arrives with tenant 0 and keeps it for its idempotency key; only the rows
     * written inside belong to the new tenant. */
    int64_t saved = cmd->tenant_id, id = 0;
    int rc = create_tenant_in(s, cmd, &id);
    cmd->tenant_id = saved;
    return rc;
}

int cmd_create_team(struct store *s, struct store_cmd *cmd)
{
    struct team *t = &cmd->in.create_team;
    int rc = core_check_slug("slug", t->slug, &cmd->err);
    if (rc != 0) return rc;
    const char *name = t->name != NULL ? t->name : t->slug;
    if ((rc = core_check_text("name", name, strlen(name), CORE_MAX_NAME, true, &cmd->err)) != 0)
        return rc;
    sqlite3_stmt *st =
        stmt_get(&s->cache, "SELECT 1 FROM teams WHERE tenant_id = ?1 AND slug = ?2", &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    bind_text(st, 2, t->slug);
    int step = sqlite3_step(st);
    sqlite3_reset(st);
    if (step == SQLITE_ROW)
        return parley_fail(&cmd->err, PARLEY_ECONFLICT, "slug", "a team with this slug exists");
    if (step != SQLITE_DONE) return db_fail(&cmd->err, s->db, "checking the team slug");
    st = stmt_get(&s->cache, "INSERT INTO teams(tenant_id, slug, name) VALUES (?1, ?2, ?3)",
                  &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    bind_text(st, 2, t->slug);
    bind_text(st, 3, name);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "creating a team");
    struct team out = {.id = sqlite3_last_insert_rowid(s->db),
                       .tenant_id = cmd->tenant_id,
                       .slug = t->slug,
                       .name = name};
    cmd->result_id = out.id;
    cmd->created = true;
    return json_result(cmd, core_json_team(&out));
}

int cmd_create_user(struct store *s, struct store_cmd *cmd)
{
    struct user *u = &cmd->in.create_user.user;
    int rc = insert_user(s, cmd, u, cmd->in.create_user.password_hash);
    if (rc != 0) return rc;
    cmd->result_id = u->id;
    cmd->created = true;
    return json_result(cmd, core_json_user(u));
}

/* A token may only be issued to an active user of the command's tenant. */
static int check_active_user(struct store *s, struct store_cmd *cmd, int64_t user_id)
{
    sqlite3_stmt *st =
        stmt_get(&s->cache, "SELECT active FROM users WHERE id = ?1 AND tenant_id = ?2", &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, user_id);
    sqlite3_bind_int64(st, 2, cmd->tenant_id);
    int step = sqlite3_step(st);
    bool active = step == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
    sqlite3_reset(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return db_fail(&cmd->err, s->db, "looking up the user");
    if (step == SQLITE_DONE)
        return parley_fail(&cmd->err, PARLEY_ENOTFOUND, "user_id", "user %lld does not exist",
                           (long long)user_id);
    if (!active)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "user_id",
                           "user %lld is deactivated; reactivate them first", (long long)user_id);
    return 0;
}

int cmd_create_session(struct store *s, struct store_cmd *cmd)
{
    int64_t user_id = cmd->in.create_session.user_id;
    const char *hash = cmd->in.create_session.token_hash;
    int64_t expires = cmd->in.create_session.expires_at;
    if (hash == NULL || hash[0] == '\0' || expires <= 0)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "token",
                           "a session needs a token hash and an expiry time");
    int rc = check_active_user(s, cmd, user_id);
    if (rc != 0) return rc;
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "INSERT INTO sessions(token_hash, tenant_id, user_id, expires_at,"
                                " created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    bind_text(st, 1, hash);
    sqlite3_bind_int64(st, 2, cmd->tenant_id);
    sqlite3_bind_int64(st, 3, user_id);
    sqlite3_bind_int64(st, 4, expires);
    sqlite3_bind_int64(st, 5, util_now_ms());
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "creating a session");
    cmd->result_id = user_id;
    cmd->created = true;
    cmd->result_json = arena_printf(&cmd->arena, "{\"user_id\":%lld,\"expires_at\":%lld}",
                                    (long long)user_id, (long long)expires);
    return 0;
}

int cmd_delete_session(struct store *s, struct store_cmd *cmd)
{
    const char *hash = cmd->in.delete_session_token_hash;
    if (hash == NULL) return parley_fail(&cmd->err, PARLEY_EINVAL, "token", "no token given");
    sqlite3_stmt *st = stmt_get(
        &s->cache, "DELETE FROM sessions WHERE token_hash = ?1 AND tenant_id = ?2", &cmd->err);
    if (st == NULL) return cmd->err.code;
    bind_text(st, 1, hash);
    sqlite3_bind_int64(st, 2, cmd->tenant_id);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "ending a session");
    /* Logging out twice is not an error: the session is gone either way. */
    cmd->result_id = sqlite3_changes(s->db);
    cmd->result_json =
        arena_printf(&cmd->arena, "{\"sessions_ended\":%lld}", (long long)cmd->result_id);
    return 0;
}

int cmd_create_api_token(struct store *s, struct store_cmd *cmd)
{
    int64_t user_id = cmd->in.create_api_token.user_id;
    const char *hash = cmd->in.create_api_token.token_hash;
    const char *name = cmd->in.create_api_token.name;
    int64_t expires = cmd->in.create_api_token.expires_at;
    if (hash == NULL || hash[0] == '\0')
        return parley_fail(&cmd->err, PARLEY_EINVAL, "token", "an API token needs a token hash");
    int rc = core_check_text("name", name, name != NULL ? strlen(name) : 0, CORE_MAX_NAME, false,
                             &cmd->err);
    if (rc != 0 || (rc = check_active_user(s, cmd, user_id)) != 0) return rc;
    int64_t now = util_now_ms();
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "INSERT INTO api_tokens(tenant_id, user_id, name, token_hash,"
                                " expires_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    sqlite3_bind_int64(st, 2, user_id);
    bind_text(st, 3, name);
    bind_text(st, 4, hash);
    sqlite3_bind_int64(st, 5, expires);
    sqlite3_bind_int64(st, 6, now);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "creating an API token");
    int64_t id = sqlite3_last_insert_rowid(s->db);
    rc = w_audit(s, cmd, "token.create", arena_printf(&cmd->arena, "token:%lld", (long long)id),
                 arena_printf(&cmd->arena, "{\"token_id\":%lld,\"user_id\":%lld}", (long long)id,
                              (long long)user_id),
                 now);
    if (rc != 0) return rc;
    json_t *j = json_object();
    if (j != NULL) {
        json_object_set_new(j, "id", json_integer(id));
        json_object_set_new(j, "user_id", json_integer(user_id));
        json_object_set_new(j, "name", name != NULL ? json_string(name) : json_null());
        json_object_set_new(j, "expires_at", expires != 0 ? json_integer(expires) : json_null());
        json_object_set_new(j, "created_at", json_integer(now));
    }
    cmd->result_id = id;
    cmd->created = true;
    return json_result(cmd, j);
}

int cmd_append_audit(struct store *s, struct store_cmd *cmd)
{
    struct audit_entry *e = &cmd->in.append_audit;
    if (e->action == NULL || e->object == NULL)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "action",
                           "an audit entry needs an action and an object");
    const char *detail = e->detail != NULL ? e->detail : "{}";
    json_t *parsed = json_loads(detail, 0, NULL);
    bool object = json_is_object(parsed);
    json_decref(parsed);
    if (!object)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "detail",
                           "audit detail must be a JSON object");
    const char *saved = cmd->actor;
    if (e->actor != NULL) cmd->actor = e->actor; /* the entry may name its own actor */
    struct audit_entry out = {.tenant_id = cmd->tenant_id,
                              .actor = cmd->actor != NULL ? cmd->actor : "system",
                              .action = e->action,
                              .object = e->object,
                              .detail = detail,
                              .at = w_time(e->at)};
    int rc = w_audit(s, cmd, e->action, e->object, detail, out.at);
    cmd->actor = saved;
    if (rc != 0) return rc;
    out.id = sqlite3_last_insert_rowid(s->db);
    cmd->result_id = out.id;
    cmd->created = true;
    return json_result(cmd, core_json_audit(&out));
}

int cmd_prune(struct store *s, struct store_cmd *cmd)
{
    /* Maintenance, tenant 0 prunes every tenant. Event ids grow with commit time, so old
     * events are a prefix of the rowid order: each round deletes at most PRUNE_CHUNK rows by
     * rowid range (O(chunk), never a scan), and a command does a bounded number of rounds so
     * the writer stays responsive; housekeeping calls again until nothing is left.
     * Idempotency keys have no time order (their key is the primary key), so that delete scans
     * its table: it runs rarely and the table only holds the retention window. */
    enum { PRUNE_CHUNK = 2000, PRUNE_ROUNDS = 10 };
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "DELETE FROM events WHERE id < (SELECT min(id) FROM events) + ?3"
                                " AND at < ?1 AND (?2 = 0 OR tenant_id = ?2)",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    int64_t events = 0;
    for (int round = 0; round < PRUNE_ROUNDS; round++) {
        sqlite3_bind_int64(st, 1, cmd->in.prune_before_ms);
        sqlite3_bind_int64(st, 2, cmd->tenant_id);
        sqlite3_bind_int64(st, 3, PRUNE_CHUNK);
        if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "pruning events");
        int changed = sqlite3_changes(s->db);
        events += changed;
        if (changed == 0) break;
    }
    st = stmt_get(&s->cache,
                  "DELETE FROM idempotency WHERE created_at < ?1 AND (?2 = 0 OR tenant_id = ?2)",
                  &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->in.prune_before_ms);
    sqlite3_bind_int64(st, 2, cmd->tenant_id);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "pruning idempotency keys");
    int64_t keys = sqlite3_changes(s->db);
    cmd->result_id = events;
    cmd->result_json = arena_printf(&cmd->arena, "{\"events\":%lld,\"idempotency_keys\":%lld}",
                                    (long long)events, (long long)keys);
    return 0;
}
