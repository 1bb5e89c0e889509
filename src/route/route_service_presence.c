/* Presence: what an adviser says (PUT /api/v1/me/presence, stored, presence.updated) drives the
 * engine; the live streams say whether they are still at their desk. When the last stream of
 * an online adviser closes and none opens again within presence_grace_ms, the service sets
 * them away (automatic); a stream opening again sets an automatic away back to online. Stream
 * counts live in memory only: after a restart nobody is marked away until a stream they open
 * closes again (docs/routing.md). */
#include <jansson.h>
#include <string.h>

#include "../common/log.h"
#include "route_service_int.h"

static void write_presence(struct route_service *s, struct rs_tenant *t, int64_t user_id,
                           enum presence p, bool automatic)
{
    struct store_cmd cmd;
    store_cmd_init(&cmd, STORE_SET_PRESENCE);
    cmd.tenant_id = t->id;
    cmd.in.set_presence =
        (struct presence_state){.user_id = user_id, .status = p, .automatic = automatic};
    rs_exec(s, &cmd);
    store_cmd_release(&cmd);
}

void rs_presence_event(struct route_service *s, struct rs_tenant *t, const char *presence_json)
{
    json_t *j = json_loads(presence_json != NULL ? presence_json : "", 0, NULL);
    int64_t user = (int64_t)json_integer_value(json_object_get(j, "user_id"));
    int p = presence_parse(json_string_value(json_object_get(j, "status")));
    bool automatic = json_is_true(json_object_get(j, "automatic"));
    json_decref(j);
    struct rs_adviser *a = rs_adviser_of(t, user);
    if (a == NULL || p < 0) return;
    a->presence = (enum presence)p;
    a->automatic = automatic;
    if (p != PRESENCE_ONLINE) a->away_at = 0;
    if (t->eng == NULL) return;
    if (!a->in_engine) rs_adviser_reload(s, t, user); /* a user created since the load */
    if (!a->in_engine) return;
    struct parley_err err = {0};
    enum route_presence rp = p == PRESENCE_ONLINE ? ROUTE_ONLINE
                             : p == PRESENCE_AWAY ? ROUTE_AWAY
                                                  : ROUTE_OFFLINE;
    if (route_presence(t->eng, user, rp, s->now, &err) != 0)
        log_msg(LOG_WARN, "route", "event=presence_refused user=%lld reason=\"%s\"",
                (long long)user, err.message);
    rs_flush_decisions(s, t);
}

void rs_stream_note(struct route_service *s, const struct rs_stream_note *n)
{
    struct rs_tenant *t = rs_tenant(s, n->tenant_id);
    struct rs_adviser *a = t != NULL ? rs_adviser_of(t, n->user_id) : NULL;
    if (a == NULL) return;
    a->streams += n->delta;
    if (a->streams < 0) a->streams = 0;
    if (n->delta > 0) {
        a->away_at = 0;
        if (a->presence == PRESENCE_AWAY && a->automatic)
            write_presence(s, t, a->user_id, PRESENCE_ONLINE, false);
    } else if (a->streams == 0 && a->presence == PRESENCE_ONLINE) {
        a->away_at = s->now + s->cfg->presence_grace_ms;
    }
}

void rs_presence_tick(struct route_service *s, struct rs_tenant *t)
{
    for (size_t i = 0; i < t->advisers.cap; i++) {
        if (t->advisers.keys[i] <= 0) continue;
        struct rs_adviser *a = t->advisers.vals[i];
        if (a->away_at == 0 || s->now < a->away_at) continue;
        a->away_at = 0;
        if (a->streams == 0 && a->presence == PRESENCE_ONLINE) {
            log_msg(LOG_INFO, "route", "event=auto_away tenant=%lld user=%lld", (long long)t->id,
                    (long long)a->user_id);
            write_presence(s, t, a->user_id, PRESENCE_AWAY, true);
        }
    }
}
