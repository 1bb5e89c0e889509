/* Decoders of the routing API: queues, routing profiles, presence, SLA policies, routing
 * settings, call-backs and transfers. Pure. */
#include "decode_route.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_MINUTES 525600.0 /* a year */

static const char *presence_n(int v)
{
    return presence_name((enum presence)v);
}
const struct decode_enum decode_enum_presence = {presence_parse, presence_n, PRESENCE__COUNT};

static int check_slug(const char *field, const char *s, struct parley_err *err)
{
    return core_check_slug(field, s, err);
}

static int decode_steps(json_t *body, struct route_queue *q, struct arena *a,
                        struct parley_err *err)
{
    static const char *const fields[] = {"after_s", "relax_levels", "add_teams", NULL};
    json_t *steps = json_object_get(body, "steps");
    if (steps == NULL || json_is_null(steps)) return 0;
    if (!json_is_array(steps))
        return parley_fail(err, PARLEY_EINVAL, "steps", "steps must be an array");
    if (json_array_size(steps) > QUEUE_MAX_STEPS)
        return parley_fail(err, PARLEY_EINVAL, "steps", "at most %d steps", QUEUE_MAX_STEPS);
    size_t i;
    json_t *it;
    json_array_foreach(steps, i, it)
    {
        char prefix[32];
        snprintf(prefix, sizeof(prefix), "steps[%zu].", i);
        struct queue_step *st = &q->steps[i];
        int64_t after = 0, relax = 0;
        int rc;
        if ((rc = decode_object(it, prefix, fields, err)) != 0) return rc;
        if ((rc = decode_int(it, "after_s", 1, 7 * 86400, DECODE_REQUIRED, &after, NULL, err)) !=
                0 ||
            (rc = decode_int(it, "relax_levels", 0, 4, 0, &relax, NULL, err)) != 0 ||
            (rc = decode_text_list(it, "add_teams", QUEUE_MAX_TEAMS, CORE_MAX_SHORT, check_slug, a,
                                   &st->add_teams, &st->n_add_teams, NULL, err)) != 0) {
            decode_prefix_field(err, prefix);
            return rc;
        }
        st->after_s = (int)after;
        st->relax_levels = (int)relax;
        q->n_steps = i + 1;
    }
    return 0;
}

int decode_queue(json_t *body, struct store_cmd *cmd, struct parley_err *err)
{
    static const char *const fields[] = {"name",           "skills",          "language",
                                         "priority_class", "contact_reasons", "team",
                                         "default",        "steps",           NULL};
    struct route_queue *q = &cmd->in.put_queue;
    struct arena *a = &cmd->arena;
    int64_t pc = 0;
    int rc;
    if ((rc = decode_expect_kind(cmd, STORE_PUT_QUEUE, err)) != 0 ||
        (rc = decode_object(body, NULL, fields, err)) != 0 ||
        (rc = decode_text(body, "name", NULL, CORE_MAX_SHORT, DECODE_REQUIRED, a, &q->name, NULL,
                          err)) != 0 ||
        (rc = decode_text_list(body, "skills", QUEUE_MAX_SKILLS, CORE_MAX_SHORT, decode_check_skill,
                               a, &q->skills, &q->n_skills, NULL, err)) != 0 ||
        (rc = decode_text(body, "language", NULL, CORE_MAX_SHORT, DECODE_NULLABLE, a, &q->language,
                          NULL, err)) != 0 ||
        (rc = decode_int(body, "priority_class", -100, 100, 0, &pc, NULL, err)) != 0 ||
        (rc = decode_text_list(body, "contact_reasons", QUEUE_MAX_REASONS, CORE_MAX_NAME, NULL, a,
                               &q->reasons, &q->n_reasons, NULL, err)) != 0 ||
        (rc = decode_text(body, "team", NULL, CORE_MAX_SHORT, DECODE_NULLABLE, a, &q->team, NULL,
                          err)) != 0 ||
        (rc = decode_bool(body, "default", 0, &q->is_default, NULL, err)) != 0 ||
        (rc = decode_steps(body, q, a, err)) != 0)
        return rc;
    if (q->language != NULL && (rc = decode_check_locale("language", q->language, err)) != 0)
        return rc;
    q->priority_class = (int)pc;
    return 0;
}

int decode_routing_profile(json_t *body, struct store_cmd *cmd, struct parley_err *err)
{
    static const char *const fields[] = {"capacity", "wrap_up_s", "accept_required",
                                         "accept_timeout_s", NULL};
    struct route_profile *p = &cmd->in.put_profile;
    int64_t wrap = p->wrap_up_s, timeout = p->accept_timeout_s;
    int rc;
    if ((rc = decode_expect_kind(cmd, STORE_PUT_ROUTING_PROFILE, err)) != 0 ||
        (rc = decode_object(body, NULL, fields, err)) != 0 ||
        (rc = decode_int(body, "wrap_up_s", 0, 3600, 0, &wrap, NULL, err)) != 0 ||
        (rc = decode_bool(body, "accept_required", 0, &p->accept_required, NULL, err)) != 0 ||
        (rc = decode_int(body, "accept_timeout_s", 1, 600, 0, &timeout, NULL, err)) != 0)
        return rc;
    p->wrap_up_s = (int)wrap;
    p->accept_timeout_s = (int)timeout;
    json_t *cap = json_object_get(body, "capacity");
    if (cap == NULL) return 0;
    if (!json_is_object(cap))
        return parley_fail(err, PARLEY_EINVAL, "capacity",
                           "capacity must be an object of channel: conversations");
    const char *key;
    json_t *v;
    json_object_foreach(cap, key, v)
    {
        int ch = -1;
        if ((rc = decode_enum_name(&decode_enum_channel, "capacity", key, &ch, err)) != 0)
            return rc;
        int64_t n = 0;
        if ((rc = decode_int(cap, key, 0, 50, DECODE_REQUIRED, &n, NULL, err)) != 0) {
            decode_prefix_field(err, "capacity.");
            return rc;
        }
        p->capacity[ch] = (int)n;
    }
    return 0;
}

int decode_presence(json_t *body, struct store_cmd *cmd, struct parley_err *err)
{
    static const char *const fields[] = {"status", NULL};
    int status = -1, rc;
    if ((rc = decode_expect_kind(cmd, STORE_SET_PRESENCE, err)) != 0 ||
        (rc = decode_object(body, NULL, fields, err)) != 0 ||
        (rc = decode_enum(body, "status", &decode_enum_presence, DECODE_REQUIRED, &status, NULL,
                          err)) != 0)
        return rc;
    cmd->in.set_presence.status = (enum presence)status;
    return 0;
}

/* A number of minutes (integer or real) 0..MAX_MINUTES, null/absent = 0, as milliseconds. */
static int minutes_ms(json_t *obj, const char *key, int64_t *out, struct parley_err *err)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v)) return 0;
    if (!json_is_number(v))
        return parley_fail(err, PARLEY_EINVAL, key, "%s must be a number of minutes", key);
    double m = json_number_value(v);
    if (!(m >= 0 && m <= MAX_MINUTES))
        return parley_fail(err, PARLEY_EINVAL, key, "%s must be 0 to %.0f minutes", key,
                           MAX_MINUTES);
    *out = (int64_t)llround(m * 60000.0);
    return 0;
}

int decode_sla_policies(json_t *body, struct store_cmd *cmd, struct parley_err *err)
{
    static const char *const top[] = {"data", NULL};
    static const char *const fields[] = {"priority",
                                         "vulnerable",
                                         "first_response_minutes",
                                         "next_response_minutes",
                                         "resolution_minutes",
                                         "warning_pct",
                                         NULL};
    int rc;
    if ((rc = decode_expect_kind(cmd, STORE_PUT_SLA_POLICIES, err)) != 0 ||
        (rc = decode_object(body, NULL, top, err)) != 0)
        return rc;
    json_t *data = json_object_get(body, "data");
    if (!json_is_array(data))
        return parley_fail(err, PARLEY_EINVAL, "data", "data must be an array of policies");
    size_t n = json_array_size(data);
    if (n > 2 * PRIORITY__COUNT)
        return parley_fail(err, PARLEY_EINVAL, "data",
                           "at most one policy per priority and vulnerable flag (%d)",
                           2 * PRIORITY__COUNT);
    struct sla_policy *items = arena_alloc(&cmd->arena, (n + 1) * sizeof(*items));
    if (items == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    size_t i;
    json_t *it;
    json_array_foreach(data, i, it)
    {
        char prefix[32];
        snprintf(prefix, sizeof(prefix), "data[%zu].", i);
        struct sla_policy *p = &items[i];
        memset(p, 0, sizeof(*p));
        int prio = -1;
        int64_t pct = 80;
        if ((rc = decode_object(it, prefix, fields, err)) != 0) return rc;
        if ((rc = decode_enum(it, "priority", &decode_enum_priority, DECODE_REQUIRED, &prio, NULL,
                              err)) != 0 ||
            (rc = decode_bool(it, "vulnerable", 0, &p->vulnerable, NULL, err)) != 0 ||
            (rc = minutes_ms(it, "first_response_minutes", &p->first_response_ms, err)) != 0 ||
            (rc = minutes_ms(it, "next_response_minutes", &p->next_response_ms, err)) != 0 ||
            (rc = minutes_ms(it, "resolution_minutes", &p->resolution_ms, err)) != 0 ||
            (rc = decode_int(it, "warning_pct", 1, 99, 0, &pct, NULL, err)) != 0) {
            decode_prefix_field(err, prefix);
            return rc;
        }
        p->priority = (enum priority)prio;
        p->warning_pct = (int)pct;
    }
    cmd->in.put_sla_policies.items = items;
    cmd->in.put_sla_policies.n = n;
    return 0;
}

int decode_route_settings(json_t *body, struct store_cmd *cmd, struct parley_err *err)
{
    static const char *const fields[] = {"specialist_team", "sticky_window_s",
                                         "ageing_milli_per_min", NULL};
    struct route_settings *st = &cmd->in.put_route_settings;
    int64_t sticky = st->sticky_window_s, ageing = st->ageing_milli_per_min;
    int rc;
    if ((rc = decode_expect_kind(cmd, STORE_PUT_ROUTE_SETTINGS, err)) != 0 ||
        (rc = decode_object(body, NULL, fields, err)) != 0 ||
        (rc = decode_text(body, "specialist_team", NULL, CORE_MAX_SHORT, DECODE_NULLABLE,
                          &cmd->arena, &st->specialist_team, NULL, err)) != 0 ||
        (rc = decode_int(body, "sticky_window_s", 0, 90 * 86400, 0, &sticky, NULL, err)) != 0 ||
        (rc = decode_int(body, "ageing_milli_per_min", 0, 100000, 0, &ageing, NULL, err)) != 0)
        return rc;
    st->sticky_window_s = (int)sticky;
    st->ageing_milli_per_min = (int)ageing;
    return 0;
}

int decode_callback(json_t *body, struct store_cmd *cmd, bool staff, struct parley_err *err)
{
    static const char *const staff_fields[] = {"customer_id", "at", "note", "channel", NULL};
    static const char *const customer_fields[] = {"at", "note", "channel", NULL};
    struct callback *cb = &cmd->in.create_callback;
    int channel = CHANNEL_WEB, rc;
    int64_t customer = 0;
    if ((rc = decode_expect_kind(cmd, STORE_CREATE_CALLBACK, err)) != 0 ||
        (rc = decode_object(body, NULL, staff ? staff_fields : customer_fields, err)) != 0 ||
        (staff && (rc = decode_int(body, "customer_id", 1, INT64_MAX, DECODE_REQUIRED, &customer,
                                   NULL, err)) != 0) ||
        (rc = decode_int(body, "at", 1, INT64_MAX / 2, DECODE_REQUIRED, &cb->at, NULL, err)) != 0 ||
        (rc = decode_text(body, "note", NULL, CORE_MAX_NOTE, DECODE_NULLABLE, &cmd->arena,
                          &cb->note, NULL, err)) != 0 ||
        (rc = decode_enum(body, "channel", &decode_enum_channel, 0, &channel, NULL, err)) != 0)
        return rc;
    if (staff) cb->customer_id = customer;
    cb->channel = (enum channel)channel;
    return 0;
}

int decode_transfer(json_t *body, struct store_cmd *cmd, const char **team_slug,
                    struct parley_err *err)
{
    static const char *const fields[] = {"to_user", "to_team", "to_queue", "note", NULL};
    struct transfer *t = &cmd->in.transfer;
    int rc;
    *team_slug = NULL;
    if ((rc = decode_expect_kind(cmd, STORE_TRANSFER, err)) != 0 ||
        (rc = decode_object(body, NULL, fields, err)) != 0 ||
        (rc = decode_int(body, "to_user", 1, INT64_MAX, 0, &t->to_user, NULL, err)) != 0 ||
        (rc = decode_text(body, "to_team", NULL, CORE_MAX_SHORT, 0, &cmd->arena, team_slug, NULL,
                          err)) != 0 ||
        (rc = decode_int(body, "to_queue", 1, INT64_MAX, 0, &t->to_queue, NULL, err)) != 0 ||
        (rc = decode_text(body, "note", NULL, CORE_MAX_NOTE, DECODE_NULLABLE, &cmd->arena, &t->note,
                          NULL, err)) != 0)
        return rc;
    int targets = (t->to_user != 0) + (*team_slug != NULL) + (t->to_queue != 0);
    if (targets != 1)
        return parley_fail(err, PARLEY_EINVAL, targets == 0 ? "to_user" : "to_team",
                           "give exactly one of to_user, to_team and to_queue");
    return 0;
}
