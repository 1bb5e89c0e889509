/* A tenant inside the routing service: its configuration (teams, queues, advisers with their
 * routing profiles, SLA policies and calendar, settings) loaded from the store into a fresh
 * routing engine, then its work (assignments restored first, then waiting conversations) and
 * its scheduled call-backs, then the presence of its advisers. Loading is also how a
 * configuration change is applied: configuration is rare and loading is O(tenant). */
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "route_service_int.h"

struct rs_tenant *rs_tenant(struct route_service *s, int64_t tenant_id)
{
    struct rs_tenant *t = imap_get(&s->tenants, tenant_id);
    if (t != NULL) return t;
    t = calloc(1, sizeof(*t));
    if (t == NULL || !imap_put(&s->tenants, tenant_id, t)) {
        free(t);
        return NULL;
    }
    t->id = tenant_id;
    arena_init(&t->arena);
    if (rs_tenant_load(s, t) != 0)
        log_msg(LOG_WARN, "route", "event=load_failed tenant=%lld", (long long)tenant_id);
    return t;
}

void rs_tenant_free(struct rs_tenant *t)
{
    if (t == NULL) return;
    route_engine_free(t->eng);
    sla_calendar_free(t->cal);
    arena_free(&t->arena);
    rs_sla_clear(t);
    for (size_t i = 0; i < t->advisers.cap; i++)
        if (t->advisers.keys[i] > 0) free(t->advisers.vals[i]);
    imap_free(&t->advisers);
    rs_callbacks_clear(t);
    free(t);
}

struct rs_adviser *rs_adviser_of(struct rs_tenant *t, int64_t user_id)
{
    struct rs_adviser *a = imap_get(&t->advisers, user_id);
    if (a != NULL || user_id <= 0) return a;
    a = calloc(1, sizeof(*a));
    if (a == NULL || !imap_put(&t->advisers, user_id, a)) {
        free(a);
        return NULL;
    }
    a->user_id = user_id;
    return a;
}

int64_t rs_queue_for(const struct rs_tenant *t, const char *contact_reason)
{
    int64_t fallback = 0;
    for (size_t i = 0; i < t->n_queues; i++) {
        const struct rs_queue *q = &t->queues[i];
        if (q->is_default) fallback = q->id;
        for (size_t k = 0; contact_reason != NULL && k < q->n_reasons; k++)
            if (strcmp(q->reasons[k], contact_reason) == 0) return q->id;
    }
    return fallback;
}

static int64_t team_id(const struct rs_tenant *t, const char *slug)
{
    for (size_t i = 0; slug != NULL && i < t->n_teams; i++)
        if (strcmp(t->teams[i].slug, slug) == 0) return t->teams[i].id;
    return 0;
}

/* "billing:3" → {"billing", 3} (a skill without a level counts as level 3). */
static bool parse_skill(const char *text, char *name, size_t cap, int *level)
{
    const char *colon = strrchr(text, ':');
    size_t len = colon != NULL ? (size_t)(colon - text) : strlen(text);
    if (len == 0 || len >= cap) return false;
    memcpy(name, text, len);
    name[len] = '\0';
    *level = colon != NULL ? atoi(colon + 1) : 3;
    if (*level < ROUTE_MIN_LEVEL) *level = ROUTE_MIN_LEVEL;
    if (*level > ROUTE_MAX_LEVEL) *level = ROUTE_MAX_LEVEL;
    return true;
}

static void put_queue(struct route_service *s, struct rs_tenant *t, const struct route_queue *q)
{
    char names[QUEUE_MAX_SKILLS][ROUTE_MAX_NAME + 1];
    struct route_skill_req reqs[QUEUE_MAX_SKILLS];
    size_t n_reqs = 0;
    for (size_t i = 0; i < q->n_skills && n_reqs < QUEUE_MAX_SKILLS; i++) {
        if (!parse_skill(q->skills[i], names[n_reqs], sizeof(names[0]), &reqs[n_reqs].min_level))
            continue;
        reqs[n_reqs].skill = names[n_reqs];
        n_reqs++;
    }
    int64_t team = team_id(t, q->team);
    int64_t add[QUEUE_MAX_STEPS][QUEUE_MAX_TEAMS];
    struct route_step steps[QUEUE_MAX_STEPS];
    for (size_t i = 0; i < q->n_steps; i++) {
        steps[i] = (struct route_step){.after_ms = (int64_t)q->steps[i].after_s * 1000,
                                       .relax_levels = q->steps[i].relax_levels,
                                       .add_teams = add[i]};
        for (size_t k = 0; k < q->steps[i].n_add_teams && k < QUEUE_MAX_TEAMS; k++) {
            int64_t id = team_id(t, q->steps[i].add_teams[k]);
            if (id != 0) add[i][steps[i].n_add_teams++] = id;
        }
    }
    struct route_queue_def def = {.id = q->id,
                                  .skills = reqs,
                                  .n_skills = n_reqs,
                                  .language = q->language,
                                  .priority_class = q->priority_class,
                                  .teams = team != 0 ? &team : NULL,
                                  .n_teams = team != 0 ? 1 : 0,
                                  .steps = steps,
                                  .n_steps = q->n_steps};
    struct parley_err err = {0};
    if (route_queue_put(t->eng, &def, s->now, &err) != 0)
        log_msg(LOG_WARN, "route", "event=queue_refused tenant=%lld queue=%lld reason=\"%s\"",
                (long long)t->id, (long long)q->id, err.message);
}

static void put_adviser(struct route_service *s, struct rs_tenant *t, const struct user *u,
                        const struct route_profile *p)
{
    struct rs_adviser *a = rs_adviser_of(t, u->id);
    if (a == NULL) return;
    struct parley_err err = {0};
    if (!u->active || u->role == ROLE_EXPERT) {
        if (a->in_engine) route_adviser_remove(t->eng, u->id, s->now, &err);
        a->in_engine = false;
        return;
    }
    char names[ROUTE_MAX_ADVISER_SKILLS][ROUTE_MAX_NAME + 1];
    struct route_skill skills[ROUTE_MAX_ADVISER_SKILLS];
    size_t n_skills = 0;
    for (size_t i = 0; i < u->n_skills && n_skills < ROUTE_MAX_ADVISER_SKILLS; i++) {
        if (!parse_skill(u->skills[i], names[n_skills], sizeof(names[0]), &skills[n_skills].level))
            continue;
        bool dup = false;
        for (size_t k = 0; k < n_skills && !dup; k++) dup = strcmp(names[k], names[n_skills]) == 0;
        if (dup) continue;
        skills[n_skills].skill = names[n_skills];
        n_skills++;
    }
    int64_t team = team_id(t, u->team);
    struct route_adviser_def def = {
        .id = u->id,
        .teams = team != 0 ? &team : NULL,
        .n_teams = team != 0 ? 1 : 0,
        .skills = skills,
        .n_skills = n_skills,
        .languages = u->languages,
        .n_languages =
            u->n_languages < ROUTE_MAX_ADVISER_LANGS ? u->n_languages : ROUTE_MAX_ADVISER_LANGS,
        /* "3 chats or 5 emails": a budget of 60000 and a weight of 60000/capacity per channel
         * (60000 divides evenly by the usual counts 1-6, 10, 12, 15, 20 …) */
        .capacity_milli = 60000,
        .wrapup_ms = (int64_t)p->wrap_up_s * 1000,
        .accept_required = p->accept_required,
        .accept_timeout_ms = (int64_t)p->accept_timeout_s * 1000,
    };
    for (int c = 0; c < CHANNEL__COUNT && c < ROUTE_MAX_CHANNELS; c++)
        def.weight_milli[c] = p->capacity[c] > 0 ? 60000 / p->capacity[c] : 0;
    if (route_adviser_put(t->eng, &def, s->now, &err) != 0) {
        log_msg(LOG_WARN, "route", "event=adviser_refused tenant=%lld user=%lld reason=\"%s\"",
                (long long)t->id, (long long)u->id, err.message);
        return;
    }
    a->in_engine = true;
}

void rs_adviser_reload(struct route_service *s, struct rs_tenant *t, int64_t user_id)
{
    if (t->eng == NULL || user_id <= 0) return;
    struct arena a;
    arena_init(&a);
    struct user u;
    struct route_profile p;
    struct parley_err err = {0};
    if (store_get_user(s->reader, t->id, user_id, &u, &a, &err) == 0 &&
        store_get_routing_profile(s->reader, t->id, user_id, &p, &err) == 0) {
        struct rs_adviser *ad = rs_adviser_of(t, user_id);
        bool was = ad != NULL && ad->in_engine;
        put_adviser(s, t, &u, &p);
        if (ad != NULL && !was && ad->in_engine && ad->presence != PRESENCE_OFFLINE)
            route_presence(t->eng, user_id,
                           ad->presence == PRESENCE_ONLINE ? ROUTE_ONLINE : ROUTE_AWAY, s->now,
                           &err);
    }
    arena_free(&a);
}

static void load_advisers(struct route_service *s, struct rs_tenant *t, struct arena *a)
{
    struct route_profile *profiles = NULL;
    size_t n_profiles = 0;
    struct parley_err err = {0};
    if (store_list_routing_profiles(s->reader, t->id, &profiles, &n_profiles, a, &err) != 0)
        log_msg(LOG_WARN, "route", "event=profiles_failed reason=\"%s\"", err.message);
    struct store_page page = {.after = 0, .limit = 200};
    for (;;) {
        struct user *users = NULL;
        size_t n = 0;
        int64_t next = 0;
        if (store_list_users(s->reader, t->id, &page, &users, &n, &next, a, &err) != 0) break;
        for (size_t i = 0; i < n; i++) {
            struct route_profile p;
            route_profile_default(&p);
            for (size_t k = 0; k < n_profiles; k++)
                if (profiles[k].user_id == users[i].id) p = profiles[k];
            put_adviser(s, t, &users[i], &p);
        }
        if (next == 0) break;
        page.after = next;
    }
}

static void load_work(struct route_service *s, struct rs_tenant *t, struct arena *a)
{
    struct store_page page = {.after = 0, .limit = 200};
    struct parley_err err = {0};
    for (;;) {
        struct conversation *list = NULL;
        size_t n = 0;
        int64_t next = 0;
        if (store_list_routing_work(s->reader, t->id, &page, &list, &n, &next, a, &err) != 0) {
            log_msg(LOG_WARN, "route", "event=work_failed reason=\"%s\"", err.message);
            break;
        }
        for (size_t i = 0; i < n; i++) rs_conv_sync(s, t, list[i].id);
        if (next == 0) break;
        page.after = next;
    }
    page.after = 0;
    struct callback_filter f = {.status = CALLBACK_SCHEDULED};
    for (;;) {
        struct callback *cbs = NULL;
        size_t n = 0;
        int64_t next = 0;
        if (store_list_callbacks(s->reader, t->id, &f, &page, &cbs, &n, &next, a, &err) != 0) break;
        for (size_t i = 0; i < n; i++) rs_callback_add(t, cbs[i].id, cbs[i].at);
        if (next == 0) break;
        page.after = next;
    }
}

static void load_presence(struct route_service *s, struct rs_tenant *t, struct arena *a)
{
    struct presence_state *list = NULL;
    size_t n = 0;
    struct parley_err err = {0};
    if (store_list_presence(s->reader, t->id, &list, &n, a, &err) != 0) return;
    for (size_t i = 0; i < n; i++) {
        struct rs_adviser *ad = rs_adviser_of(t, list[i].user_id);
        if (ad == NULL) continue;
        ad->presence = list[i].status;
        ad->automatic = list[i].automatic;
        if (ad->in_engine && ad->presence != PRESENCE_OFFLINE)
            route_presence(t->eng, ad->user_id,
                           ad->presence == PRESENCE_ONLINE ? ROUTE_ONLINE : ROUTE_AWAY, s->now,
                           &err);
        rs_flush_decisions(s, t);
    }
}

int rs_tenant_load(struct route_service *s, struct rs_tenant *t)
{
    route_engine_free(t->eng);
    t->eng = NULL;
    sla_calendar_free(t->cal);
    t->cal = NULL;
    arena_free(&t->arena);
    arena_init(&t->arena);
    rs_sla_clear(t);
    rs_callbacks_clear(t);
    t->queues = NULL;
    t->n_queues = 0;
    for (size_t i = 0; i < t->advisers.cap; i++)
        if (t->advisers.keys[i] > 0) ((struct rs_adviser *)t->advisers.vals[i])->in_engine = false;

    struct parley_err err = {0};
    struct route_settings set;
    int rc = store_get_route_settings(s->reader, t->id, &set, &t->arena, &err);
    if (rc == 0)
        rc = store_list_sla_policies(s->reader, t->id, &t->policies, &t->n_policies, &t->arena,
                                     &err);
    if (rc == 0) rc = store_list_teams(s->reader, t->id, &t->teams, &t->n_teams, &t->arena, &err);
    if (rc != 0) return rc;
    if (set.calendar_json != NULL &&
        sla_calendar_parse(set.calendar_json, strlen(set.calendar_json), &t->cal, &err) != 0)
        log_msg(LOG_WARN, "route", "event=calendar_refused tenant=%lld reason=\"%s\"",
                (long long)t->id, err.message);
    t->sticky_window_ms = (int64_t)set.sticky_window_s * 1000;
    struct route_config cfg = {.sticky_window_ms = t->sticky_window_ms,
                               .ageing_milli_per_min = set.ageing_milli_per_min};
    if ((rc = route_engine_new(&cfg, rs_engine_decided, s, &t->eng, &err)) != 0) return rc;
    int64_t specialist = team_id(t, set.specialist_team);
    for (size_t i = 0; i < t->n_teams; i++) {
        struct route_team_def def = {.id = t->teams[i].id,
                                     .specialist = t->teams[i].id == specialist};
        route_team_put(t->eng, &def, s->now, &err);
    }
    struct route_queue *queues = NULL;
    size_t n = 0;
    if ((rc = store_list_queues(s->reader, t->id, &queues, &n, &t->arena, &err)) != 0) return rc;
    t->queues = arena_alloc(&t->arena, (n + 1) * sizeof(*t->queues));
    if (t->queues == NULL) return PARLEY_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        put_queue(s, t, &queues[i]);
        t->queues[t->n_queues++] = (struct rs_queue){.id = queues[i].id,
                                                     .reasons = queues[i].reasons,
                                                     .n_reasons = queues[i].n_reasons,
                                                     .is_default = queues[i].is_default};
    }
    struct arena scratch;
    arena_init(&scratch);
    load_advisers(s, t, &scratch);
    load_work(s, t, &scratch);
    load_presence(s, t, &scratch);
    arena_free(&scratch);
    rs_flush_decisions(s, t);
    return 0;
}
