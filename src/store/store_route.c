/* Write commands for the routing configuration (migration_route): queues, adviser routing
 * profiles, presence, SLA policies, the tenant's routing settings and call-back bookings. Each
 * emits an event so the routing service (a bus subscriber) reloads what changed; configuration
 * events go to supervisors only (AUDIENCE_SUPERVISORS). */
#include "store_int.h"
#include "../core/core_json_route.h"

#include <stdlib.h>
#include <string.h>

static int render(struct store_cmd *cmd, json_t *j, char **out)
{
    *out = core_json_dump(j, &cmd->arena);
    if (*out == NULL)
        return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory rendering the result");
    return 0;
}

/* A configuration event for supervisors (and, with user_id, that user's own streams). */
static int config_event(struct store *s, struct store_cmd *cmd, const char *type, int64_t user_id,
                        const char *data, int64_t at)
{
    struct event_scope sc = {.assignees = &user_id, .n_assignees = user_id != 0 ? 1 : 0};
    return w_event(s, cmd, type, &sc, user_id != 0 ? AUDIENCE_STAFF : AUDIENCE_SUPERVISORS, data,
                   NULL, at);
}

static int team_id_of(struct store *s, struct store_cmd *cmd, const char *field, const char *slug,
                      int64_t *id)
{
    *id = 0;
    sqlite3_stmt *st =
        stmt_get(&s->cache, "SELECT id FROM teams WHERE tenant_id = ?1 AND slug = ?2", &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    bind_text(st, 2, slug);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return db_fail(&cmd->err, s->db, "finding a team");
    if (*id == 0)
        return parley_fail(&cmd->err, PARLEY_EINVAL, field,
                           "there is no team \"%s\"; create the team first", slug);
    return 0;
}

/* "name:level" with level 1..5. */
static int check_skill(struct store_cmd *cmd, const char *v)
{
    const char *colon = v != NULL ? strrchr(v, ':') : NULL;
    int rc =
        core_check_text("skills", v, v != NULL ? strlen(v) : 0, CORE_MAX_SHORT, true, &cmd->err);
    if (rc != 0) return rc;
    if (colon == NULL || colon == v || colon[1] < '1' || colon[1] > '5' || colon[2] != '\0')
        return parley_fail(&cmd->err, PARLEY_EINVAL, "skills",
                           "skill \"%s\" must be name:level with a level from 1 to 5", v);
    return 0;
}

static int check_queue(struct store *s, struct store_cmd *cmd, const struct route_queue *q)
{
    struct parley_err *e = &cmd->err;
    int rc =
        core_check_text("name", q->name, q->name ? strlen(q->name) : 0, CORE_MAX_SHORT, true, e);
    if (rc != 0) return rc;
    if (q->n_skills > QUEUE_MAX_SKILLS)
        return parley_fail(e, PARLEY_EINVAL, "skills", "at most %d skills", QUEUE_MAX_SKILLS);
    for (size_t i = 0; i < q->n_skills; i++)
        if ((rc = check_skill(cmd, q->skills[i])) != 0) return rc;
    if (q->language != NULL && (rc = core_check_text("language", q->language, strlen(q->language),
                                                     CORE_MAX_SHORT, true, e)) != 0)
        return rc;
    if (q->priority_class < -100 || q->priority_class > 100)
        return parley_fail(e, PARLEY_EINVAL, "priority_class",
                           "priority_class must be -100 to 100");
    if (q->n_reasons > QUEUE_MAX_REASONS)
        return parley_fail(e, PARLEY_EINVAL, "contact_reasons", "at most %d contact reasons",
                           QUEUE_MAX_REASONS);
    for (size_t i = 0; i < q->n_reasons; i++)
        if ((rc = core_check_text("contact_reasons", q->reasons[i],
                                  q->reasons[i] ? strlen(q->reasons[i]) : 0, CORE_MAX_NAME, true,
                                  e)) != 0)
            return rc;
    int64_t team;
    if (q->team != NULL && (rc = team_id_of(s, cmd, "team", q->team, &team)) != 0) return rc;
    if (q->n_steps > QUEUE_MAX_STEPS)
        return parley_fail(e, PARLEY_EINVAL, "steps", "at most %d steps", QUEUE_MAX_STEPS);
    int last = 0, last_relax = 0;
    for (size_t i = 0; i < q->n_steps; i++) {
        const struct queue_step *st = &q->steps[i];
        if (st->after_s <= last || st->after_s > 7 * 86400)
            return parley_fail(e, PARLEY_EINVAL, "steps",
                               "steps need after_s from 1 to 604800 seconds, increasing");
        if (st->relax_levels < last_relax || st->relax_levels > 4)
            return parley_fail(e, PARLEY_EINVAL, "steps",
                               "relax_levels must be 0 to 4 and never lower than a step before");
        last_relax = st->relax_levels;
        if (st->n_add_teams > QUEUE_MAX_TEAMS)
            return parley_fail(e, PARLEY_EINVAL, "steps", "at most %d teams a step",
                               QUEUE_MAX_TEAMS);
        for (size_t k = 0; k < st->n_add_teams; k++)
            if ((rc = team_id_of(s, cmd, "steps", st->add_teams[k], &team)) != 0) return rc;
        last = st->after_s;
    }
    return 0;
}

static char *steps_to_json(const struct route_queue *q, struct arena *a)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < q->n_steps; i++) {
        const struct queue_step *st = &q->steps[i];
        json_t *teams = json_array();
        for (size_t k = 0; teams != NULL && k < st->n_add_teams; k++)
            json_array_append_new(teams, json_string(st->add_teams[k]));
        json_array_append_new(arr, json_pack("{s:i, s:i, s:o*}", "after_s", st->after_s,
                                             "relax_levels", st->relax_levels, "add_teams", teams));
    }
    return core_json_dump(arr, a);
}

int cmd_put_queue(struct store *s, struct store_cmd *cmd)
{
    struct route_queue q = cmd->in.put_queue;
    int rc = check_queue(s, cmd, &q);
    if (rc != 0) return rc;
    int64_t now = w_time(q.updated_at);
    struct route_queue old;
    if (q.id != 0 &&
        (rc = load_queue(&s->cache, cmd->tenant_id, q.id, "id", &old, &cmd->arena, &cmd->err)) != 0)
        return rc;
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "SELECT id FROM route_queues WHERE tenant_id = ?1 AND name = ?2"
                                " AND id <> ?3",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    bind_text(st, 2, q.name);
    sqlite3_bind_int64(st, 3, q.id);
    int step = sqlite3_step(st);
    sqlite3_reset(st);
    if (step == SQLITE_ROW)
        return parley_fail(&cmd->err, PARLEY_ECONFLICT, "name",
                           "another queue is already called \"%s\"", q.name);
    if (step != SQLITE_DONE) return db_fail(&cmd->err, s->db, "checking the queue name");
    if (q.is_default) { /* one default queue per tenant */
        st = stmt_get(&s->cache, "UPDATE route_queues SET is_default = 0 WHERE tenant_id = ?1",
                      &cmd->err);
        if (st == NULL) return cmd->err.code;
        sqlite3_bind_int64(st, 1, cmd->tenant_id);
        if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "saving a queue");
    }
    char *skills = strings_to_json(q.skills, q.n_skills, &cmd->arena);
    char *reasons = strings_to_json(q.reasons, q.n_reasons, &cmd->arena);
    char *steps = steps_to_json(&q, &cmd->arena);
    if (skills == NULL || reasons == NULL || steps == NULL)
        return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory saving a queue");
    st = stmt_get(&s->cache,
                  "INSERT INTO route_queues(id, tenant_id, name, skills, language, priority_class,"
                  " reasons, team, is_default, steps, created_at, updated_at)"
                  " VALUES (nullif(?1, 0), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)"
                  " ON CONFLICT (id) DO UPDATE SET name = excluded.name, skills = excluded.skills,"
                  " language = excluded.language, priority_class = excluded.priority_class,"
                  " reasons = excluded.reasons, team = excluded.team,"
                  " is_default = excluded.is_default,"
                  " steps = excluded.steps, updated_at = excluded.updated_at RETURNING id",
                  &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, q.id);
    sqlite3_bind_int64(st, 2, cmd->tenant_id);
    bind_text(st, 3, q.name);
    bind_text(st, 4, skills);
    bind_text(st, 5, q.language);
    sqlite3_bind_int(st, 6, q.priority_class);
    bind_text(st, 7, reasons);
    bind_text(st, 8, q.team);
    sqlite3_bind_int(st, 9, q.is_default);
    bind_text(st, 10, steps);
    sqlite3_bind_int64(st, 11, now);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) q.id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (step != SQLITE_ROW) return db_fail(&cmd->err, s->db, "saving a queue");
    cmd->created = cmd->in.put_queue.id == 0;
    cmd->result_id = q.id;
    struct route_queue saved;
    char *json;
    if ((rc = load_queue(&s->cache, cmd->tenant_id, q.id, "id", &saved, &cmd->arena, &cmd->err)) !=
            0 ||
        (rc = render(cmd, core_json_queue(&saved), &json)) != 0)
        return rc;
    cmd->result_json = json;
    if ((rc = w_audit(s, cmd, cmd->created ? "queue.create" : "queue.update",
                      arena_printf(&cmd->arena, "queue:%lld", (long long)q.id), "{}", now)) != 0)
        return rc;
    return config_event(s, cmd, "queue.updated", 0, json, now);
}

int cmd_delete_queue(struct store *s, struct store_cmd *cmd)
{
    int64_t id = cmd->in.delete_queue_id;
    struct route_queue q;
    int rc = load_queue(&s->cache, cmd->tenant_id, id, "id", &q, &cmd->arena, &cmd->err);
    if (rc != 0) return rc;
    int64_t now = w_time(0);
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "UPDATE conversations SET queue_id = 0 WHERE queue_id = ?1"
                                " AND tenant_id = ?2",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, cmd->tenant_id);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "deleting a queue");
    st =
        stmt_get(&s->cache, "DELETE FROM route_queues WHERE id = ?1 AND tenant_id = ?2", &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, cmd->tenant_id);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "deleting a queue");
    cmd->result_id = id;
    char *data = arena_printf(&cmd->arena, "{\"id\":%lld}", (long long)id);
    cmd->result_json = data;
    if ((rc = w_audit(s, cmd, "queue.delete",
                      arena_printf(&cmd->arena, "queue:%lld", (long long)id), "{}", now)) != 0)
        return rc;
    return config_event(s, cmd, "queue.deleted", 0, data, now);
}

/* The user must be an active adviser (not an expert) of the tenant. */
static int check_adviser(struct store *s, struct store_cmd *cmd, const char *field, int64_t id)
{
    struct user u;
    int rc = load_user(&s->cache, cmd->tenant_id, id, &u, &cmd->arena, &cmd->err);
    if (rc != 0) {
        snprintf(cmd->err.field, sizeof(cmd->err.field), "%s", field);
        return rc;
    }
    if (!u.active || u.role == ROLE_EXPERT)
        return parley_fail(&cmd->err, PARLEY_EINVAL, field,
                           "user %lld is not an active adviser (experts are invited, not routed)",
                           (long long)id);
    return 0;
}

int cmd_put_routing_profile(struct store *s, struct store_cmd *cmd)
{
    struct route_profile p = cmd->in.put_profile;
    int rc = check_adviser(s, cmd, "id", p.user_id);
    if (rc != 0) return rc;
    for (int c = 0; c < CHANNEL__COUNT; c++)
        if (p.capacity[c] < 0 || p.capacity[c] > 50)
            return parley_fail(&cmd->err, PARLEY_EINVAL, "capacity",
                               "capacity per channel must be 0 to 50 conversations");
    if (p.wrap_up_s < 0 || p.wrap_up_s > 3600)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "wrap_up_s", "wrap_up_s must be 0 to 3600");
    if (p.accept_timeout_s < 1 || p.accept_timeout_s > 600)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "accept_timeout_s",
                           "accept_timeout_s must be 1 to 600");
    p.tenant_id = cmd->tenant_id;
    p.updated_at = w_time(p.updated_at);
    char *cap = core_json_dump(core_json_capacity(p.capacity), &cmd->arena);
    if (cap == NULL) return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory");
    sqlite3_stmt *st =
        stmt_get(&s->cache,
                 "INSERT OR REPLACE INTO route_profiles(user_id, tenant_id, capacity,"
                 " wrap_up_s, accept_required, accept_timeout_s, updated_at)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                 &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, p.user_id);
    sqlite3_bind_int64(st, 2, p.tenant_id);
    bind_text(st, 3, cap);
    sqlite3_bind_int(st, 4, p.wrap_up_s);
    sqlite3_bind_int(st, 5, p.accept_required);
    sqlite3_bind_int(st, 6, p.accept_timeout_s);
    sqlite3_bind_int64(st, 7, p.updated_at);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "saving a routing profile");
    char *json;
    if ((rc = render(cmd, core_json_routing_profile(&p), &json)) != 0) return rc;
    cmd->result_json = json;
    cmd->result_id = p.user_id;
    if ((rc = w_audit(s, cmd, "routing_profile.update",
                      arena_printf(&cmd->arena, "user:%lld", (long long)p.user_id), "{}",
                      p.updated_at)) != 0)
        return rc;
    return config_event(s, cmd, "routing_profile.updated", p.user_id, json, p.updated_at);
}

int cmd_set_presence(struct store *s, struct store_cmd *cmd)
{
    struct presence_state p = cmd->in.set_presence;
    if ((unsigned)p.status >= PRESENCE__COUNT)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "status",
                           "status must be online, away or offline");
    struct user u;
    int rc = load_user(&s->cache, cmd->tenant_id, p.user_id, &u, &cmd->arena, &cmd->err);
    if (rc != 0) return rc;
    p.tenant_id = cmd->tenant_id;
    p.since = w_time(p.since);
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "SELECT status, automatic, since FROM route_presence"
                                " WHERE user_id = ?1",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, p.user_id);
    int step = sqlite3_step(st);
    bool same = step == SQLITE_ROW &&
                presence_parse((const char *)sqlite3_column_text(st, 0)) == (int)p.status;
    bool same_auto = step == SQLITE_ROW && (sqlite3_column_int(st, 1) != 0) == p.automatic;
    int64_t since = step == SQLITE_ROW ? sqlite3_column_int64(st, 2) : 0;
    sqlite3_reset(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return db_fail(&cmd->err, s->db, "reading presence");
    if (same && same_auto) { /* nothing changes: no event */
        p.since = since;
        char *json;
        if ((rc = render(cmd, core_json_presence(&p), &json)) != 0) return rc;
        cmd->result_json = json;
        return 0;
    }
    if (same) p.since = since; /* only the automatic flag moves */
    st = stmt_get(&s->cache,
                  "INSERT OR REPLACE INTO route_presence(user_id, tenant_id, status, automatic,"
                  " since) VALUES (?1, ?2, ?3, ?4, ?5)",
                  &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, p.user_id);
    sqlite3_bind_int64(st, 2, p.tenant_id);
    bind_text(st, 3, presence_name(p.status));
    sqlite3_bind_int(st, 4, p.automatic);
    sqlite3_bind_int64(st, 5, p.since);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "saving presence");
    char *json;
    if ((rc = render(cmd, core_json_presence(&p), &json)) != 0) return rc;
    cmd->result_json = json;
    cmd->result_id = p.user_id;
    return config_event(s, cmd, "presence.updated", p.user_id, json, p.since);
}

int cmd_put_sla_policies(struct store *s, struct store_cmd *cmd)
{
    const struct sla_policy *items = cmd->in.put_sla_policies.items;
    size_t n = cmd->in.put_sla_policies.n;
    if (n > 2 * PRIORITY__COUNT)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "data",
                           "at most one policy per priority and vulnerable flag");
    const int64_t max_ms = 365LL * 24 * 3600 * 1000;
    for (size_t i = 0; i < n; i++) {
        const struct sla_policy *p = &items[i];
        if ((unsigned)p->priority >= PRIORITY__COUNT)
            return parley_fail(&cmd->err, PARLEY_EINVAL, "priority",
                               "priority must be low, normal, high or urgent");
        if (p->first_response_ms < 0 || p->next_response_ms < 0 || p->resolution_ms < 0 ||
            p->first_response_ms > max_ms || p->next_response_ms > max_ms ||
            p->resolution_ms > max_ms)
            return parley_fail(&cmd->err, PARLEY_EINVAL, "first_response_minutes",
                               "targets must be 0 to 525600 minutes");
        if (p->warning_pct < 1 || p->warning_pct > 99)
            return parley_fail(&cmd->err, PARLEY_EINVAL, "warning_pct",
                               "warning_pct must be 1 to 99");
        for (size_t k = 0; k < i; k++)
            if (items[k].priority == p->priority && items[k].vulnerable == p->vulnerable)
                return parley_fail(&cmd->err, PARLEY_EINVAL, "priority",
                                   "two policies for priority %s%s", priority_name(p->priority),
                                   p->vulnerable ? " (vulnerable)" : "");
    }
    int64_t now = w_time(0);
    sqlite3_stmt *st =
        stmt_get(&s->cache, "DELETE FROM sla_policies WHERE tenant_id = ?1", &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "saving SLA policies");
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++) {
        struct sla_policy p = items[i];
        st = stmt_get(&s->cache,
                      "INSERT INTO sla_policies(tenant_id, priority, vulnerable, first_response_ms,"
                      " next_response_ms, resolution_ms, warning_pct, updated_at)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                      &cmd->err);
        if (st == NULL) {
            json_decref(data);
            return cmd->err.code;
        }
        sqlite3_bind_int64(st, 1, cmd->tenant_id);
        bind_text(st, 2, priority_name(p.priority));
        sqlite3_bind_int(st, 3, p.vulnerable);
        sqlite3_bind_int64(st, 4, p.first_response_ms);
        sqlite3_bind_int64(st, 5, p.next_response_ms);
        sqlite3_bind_int64(st, 6, p.resolution_ms);
        sqlite3_bind_int(st, 7, p.warning_pct);
        sqlite3_bind_int64(st, 8, now);
        if (stmt_run(st) != SQLITE_DONE) {
            json_decref(data);
            return db_fail(&cmd->err, s->db, "saving SLA policies");
        }
        p.id = sqlite3_last_insert_rowid(s->db);
        json_array_append_new(data, core_json_sla_policy(&p));
    }
    char *json;
    int rc = render(cmd, json_pack("{s:o}", "data", data), &json);
    if (rc != 0) return rc;
    cmd->result_json = json;
    if ((rc = w_audit(s, cmd, "sla.policies.update", "sla:policies", "{}", now)) != 0) return rc;
    return config_event(s, cmd, "sla.policies.updated", 0, json, now);
}

int cmd_put_route_settings(struct store *s, struct store_cmd *cmd)
{
    struct route_settings in = cmd->in.put_route_settings;
    if (in.sticky_window_s < 0 || in.sticky_window_s > 90 * 86400)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "sticky_window_s",
                           "sticky_window_s must be 0 to 7776000");
    if (in.ageing_milli_per_min < 0 || in.ageing_milli_per_min > 100000)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "ageing_milli_per_min",
                           "ageing_milli_per_min must be 0 to 100000");
    int64_t team;
    int rc;
    if (in.specialist_team != NULL &&
        (rc = team_id_of(s, cmd, "specialist_team", in.specialist_team, &team)) != 0)
        return rc;
    int64_t now = w_time(in.updated_at);
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "INSERT OR REPLACE INTO route_settings(tenant_id, calendar,"
                                " specialist_team, sticky_window_s, ageing_milli_per_min,"
                                " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    bind_text(st, 2, in.calendar_json);
    bind_text(st, 3, in.specialist_team);
    sqlite3_bind_int(st, 4, in.sticky_window_s);
    sqlite3_bind_int(st, 5, in.ageing_milli_per_min);
    sqlite3_bind_int64(st, 6, now);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "saving routing settings");
    rc = w_audit(s, cmd, "route.settings.update", "route:settings", "{}", now);
    if (rc != 0) return rc;
    cmd->result_json = arena_printf(&cmd->arena, "{\"updated_at\":%lld}", (long long)now);
    return config_event(s, cmd, "route.settings.updated", 0, cmd->result_json, now);
}

/* cb as the command's result (staff or customer view); data and data_customer, when given,
 * receive both renderings. */
static int callback_result(struct store_cmd *cmd, const struct callback *cb, char **data,
                           char **data_customer)
{
    struct json_view staff = {.role = ROLE_ADMIN};
    struct json_view self = {.customer_self = true, .role = ROLE_AGENT};
    char *d, *dc;
    int rc;
    if ((rc = render(cmd, core_json_callback(cb, &staff), &d)) != 0 ||
        (rc = render(cmd, core_json_callback(cb, &self), &dc)) != 0)
        return rc;
    cmd->result_json = cmd->viewer_is_customer ? dc : d;
    if (data != NULL) *data = d;
    if (data_customer != NULL) *data_customer = dc;
    return 0;
}

/* callback.created / callback.cancelled: supervisors, and the customer (without the note). */
static int callback_event(struct store *s, struct store_cmd *cmd, const struct callback *cb,
                          const char *type, int64_t at)
{
    char *data, *data_customer;
    int rc = callback_result(cmd, cb, &data, &data_customer);
    if (rc != 0) return rc;
    struct event_scope sc = {.customer_id = cb->customer_id};
    return w_event(s, cmd, type, &sc, AUDIENCE_SUPERVISORS | AUDIENCE_CUSTOMER, data, data_customer,
                   at);
}

int cmd_create_callback(struct store *s, struct store_cmd *cmd)
{
    struct callback cb = cmd->in.create_callback;
    struct customer owner;
    int rc = load_customer(&s->cache, cmd->tenant_id, cb.customer_id, "customer_id", &owner,
                           &cmd->arena, &cmd->err);
    if (rc != 0) return rc;
    if (owner.merged_into != 0) cb.customer_id = owner.merged_into;
    if ((unsigned)cb.channel >= CHANNEL__COUNT)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "channel", "unknown channel");
    if (cb.at <= 0) return parley_fail(&cmd->err, PARLEY_EINVAL, "at", "at must be a UTC ms time");
    if (cb.note != NULL && (rc = core_check_text("note", cb.note, strlen(cb.note), CORE_MAX_NOTE,
                                                 false, &cmd->err)) != 0)
        return rc;
    cb.tenant_id = cmd->tenant_id;
    cb.status = CALLBACK_SCHEDULED;
    cb.booked_by = cmd->actor != NULL ? cmd->actor : "system";
    cb.created_at = w_time(cb.created_at);
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "INSERT INTO callbacks(tenant_id, customer_id, at, note, booked_by,"
                                " status, channel, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
                                " ?8)",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cb.tenant_id);
    sqlite3_bind_int64(st, 2, cb.customer_id);
    sqlite3_bind_int64(st, 3, cb.at);
    bind_text(st, 4, cb.note);
    bind_text(st, 5, cb.booked_by);
    bind_text(st, 6, callback_status_name(cb.status));
    bind_text(st, 7, channel_name(cb.channel));
    sqlite3_bind_int64(st, 8, cb.created_at);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "booking a call-back");
    cb.id = sqlite3_last_insert_rowid(s->db);
    cmd->result_id = cb.id;
    cmd->created = true;
    if ((rc =
             w_audit(s, cmd, "callback.create",
                     arena_printf(&cmd->arena, "callback:%lld", (long long)cb.id),
                     arena_printf(&cmd->arena, "{\"customer_id\":%lld}", (long long)cb.customer_id),
                     cb.created_at)) != 0)
        return rc;
    return callback_event(s, cmd, &cb, "callback.created", cb.created_at);
}

int w_load_callback(struct store *s, struct store_cmd *cmd, int64_t id, struct callback *out)
{
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "SELECT " CALLBACK_COLS " FROM callbacks WHERE id = ?1"
                                " AND tenant_id = ?2",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, cmd->tenant_id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) row_callback(st, out, &cmd->arena);
    sqlite3_reset(st);
    if (step == SQLITE_DONE)
        return parley_fail(&cmd->err, PARLEY_ENOTFOUND, "id", "call-back %lld does not exist",
                           (long long)id);
    return step == SQLITE_ROW ? 0 : db_fail(&cmd->err, s->db, "reading a call-back");
}

/* Scheduled → cancelled (audited, callback.cancelled for supervisors and the customer, which
 * also takes it off the routing service's timers). Already cancelled: the same Callback and
 * nothing written (result_id2 = 1). Already queued: 409, the conversation exists. */
int cmd_cancel_callback(struct store *s, struct store_cmd *cmd)
{
    struct callback cb;
    int rc = w_load_callback(s, cmd, cmd->in.cancel_callback_id, &cb);
    if (rc != 0) return rc;
    cmd->result_id = cb.id;
    if (cb.status == CALLBACK_QUEUED)
        return parley_fail(&cmd->err, PARLEY_ECONFLICT, "id",
                           "call-back %lld is already queued as conversation %lld; close that "
                           "conversation instead",
                           (long long)cb.id, (long long)cb.conversation_id);
    if (cb.status == CALLBACK_CANCELLED) {
        cmd->result_id2 = 1;
        return callback_result(cmd, &cb, NULL, NULL);
    }
    sqlite3_stmt *st = stmt_get(
        &s->cache, "UPDATE callbacks SET status = 'cancelled' WHERE id = ?1 AND tenant_id = ?2",
        &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cb.id);
    sqlite3_bind_int64(st, 2, cmd->tenant_id);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "cancelling a call-back");
    cb.status = CALLBACK_CANCELLED;
    int64_t now = w_time(0);
    if ((rc =
             w_audit(s, cmd, "callback.cancel",
                     arena_printf(&cmd->arena, "callback:%lld", (long long)cb.id),
                     arena_printf(&cmd->arena, "{\"customer_id\":%lld}", (long long)cb.customer_id),
                     now)) != 0)
        return rc;
    return callback_event(s, cmd, &cb, "callback.cancelled", now);
}
