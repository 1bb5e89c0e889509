/* The routing configuration and presence API (docs/api.md "Routing"): queues and what waits in
 * them, advisers' routing profiles, presence (one's own, and everyone's for supervisors), SLA
 * policies, the business-hours calendar and routing settings. Writes are store commands whose
 * events the routing service (src/route) applies. */
#include "api_handlers.h"

#include <string.h>

#include "../common/util.h"
#include "../core/core_json_route.h"
#include "../route/sla_calendar.h"
#include "decode_route.h"

static bool is_supervisor(const struct api_req *r)
{
    return r->who.role == ROLE_ADMIN || r->who.role == ROLE_SUPERVISOR;
}

/* Decodes the body into a command of kind with decode (after preset, may be NULL), then
 * submits it with the default reply. */
typedef int (*route_decoder_fn)(json_t *body, struct store_cmd *cmd, struct parley_err *err);

static void submit_decoded(struct api_req *r, struct store_cmd *in, route_decoder_fn decode,
                           api_done_fn done)
{
    json_t *body = api_body_object(r);
    if (body == NULL) return;
    struct parley_err err = {0};
    struct store_cmd holder = *in;
    holder.arena = r->arena;
    int rc = decode(body, &holder, &err);
    r->arena = holder.arena;
    json_decref(body);
    if (rc != 0) {
        api_reply_error(r, &err);
        return;
    }
    struct store_cmd *cmd = api_cmd_with(r, &holder);
    if (cmd != NULL) api_submit(r, cmd, done);
}

static void input(struct store_cmd *in, enum store_cmd_kind kind)
{
    memset(in, 0, sizeof(*in));
    in->kind = kind;
}

/* ---- queues ----------------------------------------------------------------------------- */

static json_t *encode_queue(const void *item, const struct json_view *view)
{
    return core_json_queue(item);
}

static const struct api_encoder queues_json = {sizeof(struct route_queue), encode_queue, NULL};

void api_queues_list(struct api_req *r)
{
    struct route_queue *list = NULL;
    size_t n = 0;
    struct parley_err err = {0};
    int rc = store_list_queues(r->reader, r->who.tenant_id, &list, &n, &r->arena, &err);
    api_reply_all(r, rc, &err, &queues_json, list, n);
}

void api_queues_create(struct api_req *r)
{
    struct store_cmd in;
    input(&in, STORE_PUT_QUEUE);
    submit_decoded(r, &in, decode_queue, NULL);
}

void api_queues_get(struct api_req *r)
{
    struct route_queue q;
    struct parley_err err = {0};
    int rc = store_get_queue(r->reader, r->who.tenant_id, r->ids[0], &q, &r->arena, &err);
    if (rc != 0) {
        api_reply_failure(r, rc, &err);
        return;
    }
    api_reply_json_or_fail(r, 200, core_json_queue(&q));
}

static int decode_queue_put(json_t *body, struct store_cmd *cmd, struct parley_err *err)
{
    int64_t id = cmd->in.put_queue.id;
    int rc = decode_queue(body, cmd, err);
    cmd->in.put_queue.id = id;
    return rc;
}

void api_queues_put(struct api_req *r)
{
    struct store_cmd in;
    input(&in, STORE_PUT_QUEUE);
    in.in.put_queue.id = r->ids[0];
    submit_decoded(r, &in, decode_queue_put, api_done_200);
}

void api_queues_delete(struct api_req *r)
{
    struct store_cmd *cmd = api_cmd_new(r, STORE_DELETE_QUEUE);
    if (cmd == NULL) return;
    cmd->in.delete_queue_id = r->ids[0];
    api_submit(r, cmd, NULL);
}

void api_queue_waiting(struct api_req *r)
{
    struct route_queue q;
    struct route_settings set;
    struct conversation *list = NULL;
    size_t n = 0;
    struct parley_err err = {0};
    int rc = store_get_queue(r->reader, r->who.tenant_id, r->ids[0], &q, &r->arena, &err);
    if (rc == 0) rc = store_get_route_settings(r->reader, r->who.tenant_id, &set, &r->arena, &err);
    if (rc == 0)
        rc =
            store_list_queue_waiting(r->reader, r->who.tenant_id, q.id, &list, &n, &r->arena, &err);
    if (rc != 0) {
        api_reply_failure(r, rc, &err);
        return;
    }
    int64_t now = util_now_ms();
    json_t *data = json_array();
    for (size_t i = 0; data != NULL && i < n; i++) {
        const struct conversation *c = &list[i];
        int64_t wait = c->queued_at > 0 && now > c->queued_at ? now - c->queued_at : 0;
        /* the engine's formula (route_engine.h): base + class + ageing per minute waited */
        double eff = (double)c->priority + q.priority_class +
                     (double)set.ageing_milli_per_min / 1000.0 * ((double)wait / 60000.0);
        if (!api_append(data,
                        json_pack("{s:I, s:s?, s:s, s:s, s:I, s:I, s:f}", "conversation_id",
                                  (json_int_t)c->id, "reference", c->reference, "priority",
                                  priority_name(c->priority), "channel", channel_name(c->channel),
                                  "queued_at", (json_int_t)c->queued_at, "wait_ms",
                                  (json_int_t)wait, "effective_priority", eff))) {
            json_decref(data);
            data = NULL;
        }
    }
    api_reply_json_or_fail(r, 200, data == NULL ? NULL : json_pack("{s:o}", "data", data));
}

/* ---- routing profiles --------------------------------------------------------------------- */

/* Advisers read their own profile; supervisors anyone's. */
static int load_profile(struct api_req *r, struct route_profile *p)
{
    if (!is_supervisor(r) && r->ids[0] != r->who.user_id) {
        api_fail(r, PARLEY_EPERM, NULL, "only supervisors see other advisers' routing profiles");
        return -1;
    }
    struct parley_err err = {0};
    int rc = store_get_routing_profile(r->reader, r->who.tenant_id, r->ids[0], p, &err);
    if (rc != 0) api_reply_failure(r, rc, &err);
    return rc;
}

void api_routing_get(struct api_req *r)
{
    struct route_profile p;
    if (load_profile(r, &p) != 0) return;
    api_reply_json_or_fail(r, 200, core_json_routing_profile(&p));
}

void api_routing_put(struct api_req *r)
{
    struct store_cmd in;
    input(&in, STORE_PUT_ROUTING_PROFILE);
    if (load_profile(r, &in.in.put_profile) != 0) return;
    submit_decoded(r, &in, decode_routing_profile, api_done_200);
}

/* ---- presence ----------------------------------------------------------------------------- */

void api_presence_put(struct api_req *r)
{
    struct store_cmd in;
    input(&in, STORE_SET_PRESENCE);
    in.in.set_presence.user_id = r->who.user_id;
    submit_decoded(r, &in, decode_presence, api_done_200);
}

static json_t *presence_entry(const struct user *u, const struct presence_state *p,
                              const struct route_profile *prof, const struct adviser_work *work,
                              size_t n_work)
{
    int load[CHANNEL__COUNT] = {0};
    json_t *convs = json_array();
    double occupancy = 0;
    for (size_t i = 0; i < n_work; i++) {
        if (work[i].user_id != u->id) continue;
        load[work[i].channel]++;
        if (prof->capacity[work[i].channel] > 0) occupancy += 1.0 / prof->capacity[work[i].channel];
        json_array_append_new(convs, json_integer(work[i].conversation_id));
    }
    return json_pack("{s:I, s:s?, s:s, s:s?, s:s, s:b, s:o, s:o, s:o, s:f, s:o}", "user_id",
                     (json_int_t)u->id, "name", u->name, "role", role_name(u->role), "team",
                     u->team, "status", presence_name(p != NULL ? p->status : PRESENCE_OFFLINE),
                     "automatic", p != NULL && p->automatic, "since",
                     p != NULL ? json_integer(p->since) : json_null(), "load",
                     core_json_capacity(load), "capacity", core_json_capacity(prof->capacity),
                     "occupancy", occupancy, "conversations", convs);
}

void api_presence_list(struct api_req *r)
{
    int64_t tenant = r->who.tenant_id;
    struct presence_state *pres = NULL;
    struct route_profile *profs = NULL;
    struct adviser_work *work = NULL;
    size_t n_pres = 0, n_profs = 0, n_work = 0;
    struct parley_err err = {0};
    int rc = store_list_presence(r->reader, tenant, &pres, &n_pres, &r->arena, &err);
    if (rc == 0)
        rc = store_list_routing_profiles(r->reader, tenant, &profs, &n_profs, &r->arena, &err);
    if (rc == 0) rc = store_list_adviser_work(r->reader, tenant, &work, &n_work, &r->arena, &err);
    json_t *data = json_array();
    struct store_page page = {.after = 0, .limit = 200};
    while (rc == 0 && data != NULL) {
        struct user *users = NULL;
        size_t n = 0;
        int64_t next = 0;
        if ((rc = store_list_users(r->reader, tenant, &page, &users, &n, &next, &r->arena, &err)) !=
            0)
            break;
        for (size_t i = 0; i < n && data != NULL; i++) {
            const struct user *u = &users[i];
            if (u->role == ROLE_EXPERT || !u->active) continue;
            const struct presence_state *p = NULL;
            for (size_t k = 0; k < n_pres && p == NULL; k++)
                if (pres[k].user_id == u->id) p = &pres[k];
            struct route_profile prof;
            route_profile_default(&prof);
            for (size_t k = 0; k < n_profs; k++)
                if (profs[k].user_id == u->id) prof = profs[k];
            if (!api_append(data, presence_entry(u, p, &prof, work, n_work))) {
                json_decref(data);
                data = NULL;
            }
        }
        if (next == 0) break;
        page.after = next;
    }
    if (rc != 0) {
        json_decref(data);
        api_reply_failure(r, rc, &err);
        return;
    }
    api_reply_json_or_fail(r, 200, data == NULL ? NULL : json_pack("{s:o}", "data", data));
}

/* ---- SLA policies, calendar and routing settings ------------------------------------------ */

static json_t *encode_policy(const void *item, const struct json_view *view)
{
    return core_json_sla_policy(item);
}

static const struct api_encoder policies_json = {sizeof(struct sla_policy), encode_policy, NULL};

void api_sla_policies_get(struct api_req *r)
{
    struct sla_policy *list = NULL;
    size_t n = 0;
    struct parley_err err = {0};
    int rc = store_list_sla_policies(r->reader, r->who.tenant_id, &list, &n, &r->arena, &err);
    api_reply_all(r, rc, &err, &policies_json, list, n);
}

void api_sla_policies_put(struct api_req *r)
{
    struct store_cmd in;
    input(&in, STORE_PUT_SLA_POLICIES);
    submit_decoded(r, &in, decode_sla_policies, api_done_200);
}

/* A tenant without a calendar counts business time around the clock in UTC. */
#define CALENDAR_24X7 "{\"time_zone\":\"UTC\",\"weekly\":{},\"holidays\":[]}"

void api_sla_calendar_get(struct api_req *r)
{
    struct route_settings set;
    struct parley_err err = {0};
    int rc = store_get_route_settings(r->reader, r->who.tenant_id, &set, &r->arena, &err);
    if (rc != 0) {
        api_reply_failure(r, rc, &err);
        return;
    }
    const char *text = set.calendar_json != NULL ? set.calendar_json : CALENDAR_24X7;
    api_reply_raw(r, 200, text, strlen(text), false);
}

static void calendar_done(struct api_req *r, struct store_cmd *cmd)
{
    if (cmd->status != 0) {
        api_reply_failure(r, cmd->status, &cmd->err);
        return;
    }
    const char *text = cmd->in.put_route_settings.calendar_json;
    api_reply_raw(r, 200, text, strlen(text), cmd->replayed);
}

void api_sla_calendar_put(struct api_req *r)
{
    json_t *body = api_body_object(r);
    if (body == NULL) return;
    char *text = core_json_dump(body, &r->arena); /* steals body */
    struct sla_calendar *cal = NULL;
    struct parley_err err = {0};
    if (text == NULL) {
        api_fail(r, PARLEY_ENOMEM, NULL, "out of memory; retry");
        return;
    }
    if (sla_calendar_parse(text, strlen(text), &cal, &err) != 0) {
        api_reply_error(r, &err);
        return;
    }
    sla_calendar_free(cal);
    struct route_settings set;
    if (store_get_route_settings(r->reader, r->who.tenant_id, &set, &r->arena, &err) != 0) {
        api_reply_failure(r, err.code, &err);
        return;
    }
    struct store_cmd *cmd = api_cmd_new(r, STORE_PUT_ROUTE_SETTINGS);
    if (cmd == NULL) return;
    set.calendar_json = text; /* the request outlives the command */
    cmd->in.put_route_settings = set;
    api_submit(r, cmd, calendar_done);
}

static json_t *settings_json(const struct route_settings *s)
{
    return json_pack("{s:s?, s:i, s:i, s:o}", "specialist_team", s->specialist_team,
                     "sticky_window_s", s->sticky_window_s, "ageing_milli_per_min",
                     s->ageing_milli_per_min, "updated_at",
                     s->updated_at != 0 ? json_integer(s->updated_at) : json_null());
}

void api_routing_settings_get(struct api_req *r)
{
    struct route_settings set;
    struct parley_err err = {0};
    int rc = store_get_route_settings(r->reader, r->who.tenant_id, &set, &r->arena, &err);
    if (rc != 0) {
        api_reply_failure(r, rc, &err);
        return;
    }
    api_reply_json_or_fail(r, 200, settings_json(&set));
}

static void settings_done(struct api_req *r, struct store_cmd *cmd)
{
    if (cmd->status != 0) {
        api_reply_failure(r, cmd->status, &cmd->err);
        return;
    }
    struct route_settings set = cmd->in.put_route_settings;
    json_t *j = json_loads(cmd->result_json != NULL ? cmd->result_json : "{}", 0, NULL);
    set.updated_at = (int64_t)json_integer_value(json_object_get(j, "updated_at"));
    json_decref(j);
    api_reply_json_or_fail(r, 200, settings_json(&set));
}

void api_routing_settings_put(struct api_req *r)
{
    struct store_cmd in;
    input(&in, STORE_PUT_ROUTE_SETTINGS);
    struct parley_err err = {0};
    int rc = store_get_route_settings(r->reader, r->who.tenant_id, &in.in.put_route_settings,
                                      &r->arena, &err);
    if (rc != 0) {
        api_reply_failure(r, rc, &err);
        return;
    }
    submit_decoded(r, &in, decode_route_settings, settings_done);
}
