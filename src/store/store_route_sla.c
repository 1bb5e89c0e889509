/* Routing state a conversation gets in the same transaction that opens it, so the create
 * response already shows it: the queue its contact reason picks (when it opens queued and
 * unassigned) and its SLA deadlines (first response, resolution) from the tenant's policy and
 * business-hours calendar. The routing service computes the same values later (and everything
 * after creation: next response, warnings, breaches); it finds nothing to change here.
 *
 * Parsed calendars are cached per tenant on the writer thread (struct store_route_cache),
 * keyed by the settings' updated_at, so a new conversation costs a few indexed lookups. */
#include "store_int.h"
#include "../route/sla_calendar.h"

#include <stdlib.h>
#include <string.h>

#define CAL_CACHE 16

struct cal_entry {
    int64_t tenant_id, updated_at;
    struct sla_calendar *cal; /* NULL: 24x7 (none or unparsable) */
};

struct store_route_cache {
    struct cal_entry e[CAL_CACHE];
    size_t next; /* round-robin victim */
};

void store_route_cache_free(struct store_route_cache *c)
{
    if (c == NULL) return;
    for (size_t i = 0; i < CAL_CACHE; i++) sla_calendar_free(c->e[i].cal);
    free(c);
}

/* The tenant's calendar (NULL: 24x7); *err only on a storage failure. */
static int calendar_of(struct store *s, struct store_cmd *cmd, const struct sla_calendar **out)
{
    *out = NULL;
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "SELECT calendar, updated_at FROM route_settings"
                                " WHERE tenant_id = ?1",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    int step = sqlite3_step(st);
    if (step != SQLITE_ROW) {
        sqlite3_reset(st);
        return step == SQLITE_DONE ? 0 : db_fail(&cmd->err, s->db, "reading the calendar");
    }
    int64_t updated = sqlite3_column_int64(st, 1);
    if (s->route_cache == NULL && (s->route_cache = calloc(1, sizeof(*s->route_cache))) == NULL) {
        sqlite3_reset(st);
        return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory");
    }
    struct store_route_cache *c = s->route_cache;
    for (size_t i = 0; i < CAL_CACHE; i++) {
        if (c->e[i].tenant_id == cmd->tenant_id && c->e[i].updated_at == updated) {
            sqlite3_reset(st);
            *out = c->e[i].cal;
            return 0;
        }
    }
    const char *text = (const char *)sqlite3_column_text(st, 0);
    struct sla_calendar *cal = NULL;
    struct parley_err ignored;
    if (text != NULL && sla_calendar_parse(text, strlen(text), &cal, &ignored) != 0) cal = NULL;
    sqlite3_reset(st);
    struct cal_entry *slot = NULL;
    for (size_t i = 0; i < CAL_CACHE && slot == NULL; i++)
        if (c->e[i].tenant_id == cmd->tenant_id) slot = &c->e[i];
    if (slot == NULL) slot = &c->e[c->next++ % CAL_CACHE];
    sla_calendar_free(slot->cal);
    *slot = (struct cal_entry){cmd->tenant_id, updated, cal};
    *out = cal;
    return 0;
}

/* The queue listing the contact reason, else the default queue; 0 when none. */
static int queue_for(struct store *s, struct store_cmd *cmd, const char *reason, int64_t *out)
{
    *out = 0;
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "SELECT id FROM route_queues WHERE tenant_id = ?1"
                                " AND (EXISTS (SELECT 1 FROM json_each(reasons) r"
                                " WHERE r.value = ?2) OR is_default = 1)"
                                " ORDER BY is_default, id LIMIT 1",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    bind_text(st, 2, reason);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) *out = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return step == SQLITE_ROW || step == SQLITE_DONE ? 0
                                                     : db_fail(&cmd->err, s->db, "finding a queue");
}

int w_route_new_conversation(struct store *s, struct store_cmd *cmd, const struct conversation *c)
{
    bool waiting = c->status == CONV_QUEUED && c->n_assignees == 0;
    int64_t queue = 0;
    int rc;
    if (waiting && (rc = queue_for(s, cmd, c->contact_reason, &queue)) != 0) return rc;
    /* the vulnerable policy for customers with needs or who prefer a person, else the plain */
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "SELECT p.id, p.first_response_ms, p.resolution_ms"
                                " FROM sla_policies p, customers cu WHERE p.tenant_id = ?1"
                                " AND p.priority = ?2 AND cu.id = ?3 AND (p.vulnerable = 0"
                                " OR (cu.needs <> 0 OR cu.prefers_person <> 0))"
                                " ORDER BY p.vulnerable DESC LIMIT 1",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    bind_text(st, 2, priority_name(c->priority));
    sqlite3_bind_int64(st, 3, c->customer_id);
    int64_t policy = 0, first_ms = 0, resolution_ms = 0;
    /* while the bot has it no SLA runs; from the hand-off the routing service sets it */
    int step = c->status == CONV_BOT ? SQLITE_DONE : sqlite3_step(st);
    if (step == SQLITE_ROW) {
        policy = sqlite3_column_int64(st, 0);
        first_ms = sqlite3_column_int64(st, 1);
        resolution_ms = sqlite3_column_int64(st, 2);
    }
    sqlite3_reset(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return db_fail(&cmd->err, s->db, "finding the SLA policy");
    if (queue == 0 && policy == 0) return 0;
    const struct sla_calendar *cal = NULL;
    if (policy != 0 && (rc = calendar_of(s, cmd, &cal)) != 0) return rc;
    int64_t first = 0, resolution = 0;
    if (first_ms > 0)
        first =
            cal != NULL ? sla_calendar_add(cal, c->created_at, first_ms) : c->created_at + first_ms;
    if (resolution_ms > 0)
        resolution = cal != NULL ? sla_calendar_add(cal, c->created_at, resolution_ms)
                                 : c->created_at + resolution_ms;
    st = stmt_get(&s->cache,
                  "UPDATE conversations SET queue_id = ?1, queued_at = ?2, sla_policy = ?3,"
                  " sla_first_due = ?4, sla_resolution_due = ?5 WHERE id = ?6",
                  &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, queue);
    sqlite3_bind_int64(st, 2, queue != 0 ? c->created_at : 0);
    sqlite3_bind_int64(st, 3, policy);
    sqlite3_bind_int64(st, 4, first);
    sqlite3_bind_int64(st, 5, resolution);
    sqlite3_bind_int64(st, 6, c->id);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "routing a conversation");
    return 0;
}
