/* The routing engine's configuration side: life cycle, names, profiles (the adviser index),
 * queues, teams, advisers, presence and the read-only queries. Routing itself (who gets what
 * and when) is in route_engine_work.c. See docs/internals/route.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route_engine_int.h"

/* ---- life cycle ---- */

int route_engine_new(const struct route_config *cfg, route_decision_fn decide, void *ctx,
                     struct route_engine **out, struct parley_err *err)
{
    struct route_config c = {0};
    if (cfg != NULL) c = *cfg;
    if (c.sticky_window_ms < 0)
        return parley_fail(err, PARLEY_EINVAL, "sticky_window_ms", "must be 0 or more");
    if (c.ageing_milli_per_min < 0 || c.ageing_milli_per_min > ROUTE_MAX_AGEING)
        return parley_fail(err, PARLEY_EINVAL, "ageing_milli_per_min", "must be 0..%d",
                           ROUTE_MAX_AGEING);
    if (c.sticky_capacity == 0) c.sticky_capacity = 65536;
    if (c.sticky_capacity > (1u << 24))
        return parley_fail(err, PARLEY_EINVAL, "sticky_capacity", "must be at most %u", 1u << 24);
    struct route_engine *e = calloc(1, sizeof(*e));
    if (e == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    e->cfg = c;
    e->decide = decide;
    e->ctx = ctx;
    e->free_item = e->free_memb = RT_NONE;
    if (rt_sticky_init(&e->sticky, c.sticky_capacity) != 0) {
        free(e);
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    }
    *out = e;
    return 0;
}

static void free_line(struct rt_line *l)
{
    for (int c = 0; c < ROUTE_MAX_CHANNELS; c++) free(l->h[c].a);
}

static void free_profile(struct rt_profile *p)
{
    if (p == NULL) return;
    for (int c = 0; c < ROUTE_MAX_CHANNELS; c++) free(p->avail[c].a);
    free(p->served);
    free(p);
}

void route_engine_free(struct route_engine *e)
{
    if (e == NULL) return;
    for (uint32_t i = 0; i < e->nqueues; i++) {
        for (int s = 0; s <= ROUTE_MAX_STEPS; s++)
            for (int k = 0; k < 2; k++) free_line(&e->queues[i]->line[s][k]);
        free(e->queues[i]);
    }
    for (uint32_t i = 0; i < e->nteams; i++) {
        free_line(&e->teams[i]->line);
        free(e->teams[i]);
    }
    for (uint32_t i = 0; i < e->nprofiles; i++) free_profile(e->profiles[i]);
    for (uint32_t i = 0; i < e->nadvisers; i++) {
        free(e->advisers[i].memb);
        free(e->advisers[i].assigned);
    }
    free(e->queues);
    free(e->teams);
    free(e->profiles);
    free(e->advisers);
    free(e->memb);
    free(e->items);
    free(e->skill_names);
    free(e->lang_names);
    free(e->timers.a);
    free(e->scratch);
    free(e->fillq);
    rt_map_free(&e->queue_ids);
    rt_map_free(&e->team_ids);
    rt_map_free(&e->adviser_ids);
    rt_map_free(&e->conv_ids);
    rt_sticky_free(&e->sticky);
    free(e);
}

/* ---- names: skills and languages interned into small ints ---- */

static int check_name(const char *s, const char *field, struct parley_err *err)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > ROUTE_MAX_NAME)
        return parley_fail(err, PARLEY_EINVAL, field, "names are 1..%d bytes", ROUTE_MAX_NAME);
    return 0;
}

static int intern(char (**names)[ROUTE_MAX_NAME + 1], uint32_t *n, uint32_t *cap, uint32_t max,
                  const char *s, const char *field, struct parley_err *err)
{
    for (uint32_t i = 0; i < *n; i++)
        if (strcmp((*names)[i], s) == 0) return (int)i;
    if (*n >= max)
        return parley_fail(err, PARLEY_ELIMIT, field, "more than %u distinct names", max);
    if (rt_grow((void **)names, cap, *n + 1, sizeof(**names)) != 0)
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    snprintf((*names)[*n], ROUTE_MAX_NAME + 1, "%s", s);
    return (int)(*n)++;
}

static int intern_skill(struct route_engine *e, const char *s, const char *field,
                        struct parley_err *err)
{
    int rc = check_name(s, field, err);
    if (rc != 0) return rc;
    return intern(&e->skill_names, &e->nskill_names, &e->capskill_names, ROUTE_MAX_SKILL_NAMES, s,
                  field, err);
}

static int intern_lang(struct route_engine *e, const char *s, const char *field,
                       struct parley_err *err)
{
    int rc = check_name(s, field, err);
    if (rc != 0) return rc;
    return intern(&e->lang_names, &e->nlang_names, &e->caplang_names, ROUTE_MAX_LANG_NAMES, s,
                  field, err);
}

static int cmp_req(const void *a, const void *b)
{
    const struct rt_req *x = a, *y = b;
    return (int)x->skill - (int)y->skill;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* ---- matching and availability ---- */

bool rt_set_matches(const struct rt_adviser *a, const struct rt_reqset *p)
{
    if (p->team_mode == RT_TEAMS_SPECIALIST && !a->specialist) return false;
    if (p->team_mode == RT_TEAMS_SET) {
        bool in = false;
        for (uint32_t i = 0; i < a->nteams && !in; i++)
            for (uint32_t j = 0; j < p->nteams && !in; j++) in = a->teams[i] == p->teams[j];
        if (!in) return false;
    }
    if (p->lang >= 0) {
        bool speaks = false;
        for (uint32_t i = 0; i < a->nlangs; i++) speaks |= a->langs[i] == p->lang;
        if (!speaks) return false;
    }
    uint32_t j = 0; /* both sorted by skill: one merge pass */
    for (uint32_t i = 0; i < p->nreq; i++) {
        while (j < a->nskills && a->skills[j].skill < p->req[i].skill) j++;
        if (j == a->nskills || a->skills[j].skill != p->req[i].skill ||
            a->skills[j].level < p->req[i].level)
            return false;
    }
    return true;
}

bool rt_adviser_matches(const struct route_engine *e, const struct rt_adviser *a,
                        const struct rt_profile *p)
{
    (void)e;
    return rt_set_matches(a, &p->want) && !(p->has_prev && rt_set_matches(a, &p->prev));
}

bool rt_available(const struct route_engine *e, const struct rt_adviser *a)
{
    return a->live && a->presence == ROUTE_ONLINE &&
           (a->wrapup_until == 0 || e->now >= a->wrapup_until);
}

static struct rt_aentry adviser_key(const struct rt_adviser *a, uint32_t m)
{
    uint64_t occ = a->capacity > 0
                       ? (uint64_t)(a->load > 0 ? a->load : 0) * 1000000u / (uint64_t)a->capacity
                       : UINT32_MAX;
    if (occ > UINT32_MAX) occ = UINT32_MAX;
    return (struct rt_aentry){.occ = (uint32_t)occ, .memb = m, .idle = a->idle_since, .id = a->id};
}

/* Puts the adviser in, moves it within, or takes it out of each of its profile heaps so that
 * it is in exactly those whose channel it can take now. O(K log n). */
void rt_refresh(struct route_engine *e, uint32_t ai)
{
    struct rt_adviser *a = &e->advisers[ai];
    bool avail = rt_available(e, a);
    for (uint32_t i = 0; i < a->nmemb; i++) {
        uint32_t mi = a->memb[i];
        struct rt_memb *m = &e->memb[mi];
        struct rt_aheap *h = &e->profiles[m->prof]->avail[m->ch];
        int32_t w = a->w[m->ch];
        bool want = avail && w > 0 && a->load + w <= a->capacity;
        if (want && m->pos != RT_NONE)
            rt_aheap_update(h, e->memb, m->pos, adviser_key(a, mi));
        else if (want)
            (void)rt_aheap_push(h, e->memb, adviser_key(a, mi)); /* reserved */
        else if (m->pos != RT_NONE)
            rt_aheap_remove(h, e->memb, m->pos);
    }
}

/* ---- memberships ---- */

static int add_memberships(struct route_engine *e, uint32_t ai, uint32_t pi)
{
    struct rt_adviser *a = &e->advisers[ai];
    struct rt_profile *p = e->profiles[pi];
    for (int c = 0; c < ROUTE_MAX_CHANNELS; c++) {
        if (a->w[c] <= 0) continue;
        if (rt_grow((void **)&p->avail[c].a, &p->avail[c].cap, p->nm[c] + 1,
                    sizeof(*p->avail[c].a)) != 0 ||
            rt_grow((void **)&a->memb, &a->capmemb, a->nmemb + 1, sizeof(*a->memb)) != 0)
            return PARLEY_ENOMEM;
        uint32_t mi = e->free_memb;
        if (mi != RT_NONE) {
            e->free_memb = e->memb[mi].pos;
        } else {
            if (rt_grow((void **)&e->memb, &e->capmemb, e->nmemb + 1, sizeof(*e->memb)) != 0)
                return PARLEY_ENOMEM;
            mi = e->nmemb++;
        }
        e->memb[mi] = (struct rt_memb){.adviser = ai, .prof = pi, .pos = RT_NONE, .ch = (uint8_t)c};
        p->nm[c]++;
        a->memb[a->nmemb++] = mi;
    }
    return 0;
}

static void drop_membership(struct route_engine *e, uint32_t mi)
{
    struct rt_memb *m = &e->memb[mi];
    struct rt_profile *p = e->profiles[m->prof];
    if (m->pos != RT_NONE) rt_aheap_remove(&p->avail[m->ch], e->memb, m->pos);
    p->nm[m->ch]--;
    m->prof = RT_NONE;
    m->pos = e->free_memb;
    e->free_memb = mi;
}

static void drop_adviser_memberships(struct route_engine *e, uint32_t ai)
{
    struct rt_adviser *a = &e->advisers[ai];
    for (uint32_t i = 0; i < a->nmemb; i++) drop_membership(e, a->memb[i]);
    a->nmemb = 0;
}

/* Joins every profile the adviser matches. O(P r). */
static int attach_adviser(struct route_engine *e, uint32_t ai)
{
    for (uint32_t pi = 0; pi < e->nprofiles; pi++) {
        struct rt_profile *p = e->profiles[pi];
        if (p == NULL || !rt_adviser_matches(e, &e->advisers[ai], p)) continue;
        if (add_memberships(e, ai, pi) != 0) return PARLEY_ENOMEM;
    }
    rt_refresh(e, ai);
    return 0;
}

/* ---- profiles: shared by queue steps with the same requirements ---- */

static bool same_set(const struct rt_reqset *x, const struct rt_reqset *y)
{
    return x->nreq == y->nreq && x->lang == y->lang && x->team_mode == y->team_mode &&
           x->nteams == y->nteams && memcmp(x->req, y->req, x->nreq * sizeof(x->req[0])) == 0 &&
           memcmp(x->teams, y->teams, x->nteams * sizeof(x->teams[0])) == 0;
}

static bool same_profile(const struct rt_profile *x, const struct rt_profile *y)
{
    return same_set(&x->want, &y->want) && x->has_prev == y->has_prev &&
           (!x->has_prev || same_set(&x->prev, &y->prev));
}

/* Finds or makes the profile for tpl (its requirements only), joins the matching advisers
 * (O(n r) when new), adds sv to what it serves. Returns the index or PARLEY_ENOMEM. */
static int profile_get(struct route_engine *e, const struct rt_profile *tpl, struct rt_served sv)
{
    uint32_t pi = RT_NONE, hole = RT_NONE;
    for (uint32_t i = 0; i < e->nprofiles && pi == RT_NONE; i++) {
        if (e->profiles[i] == NULL)
            hole = hole == RT_NONE ? i : hole;
        else if (same_profile(e->profiles[i], tpl))
            pi = i;
    }
    if (pi == RT_NONE) {
        struct rt_profile *p = calloc(1, sizeof(*p));
        if (p == NULL) return PARLEY_ENOMEM;
        p->want = tpl->want;
        p->prev = tpl->prev;
        p->has_prev = tpl->has_prev;
        if (hole == RT_NONE) {
            if (rt_grow((void **)&e->profiles, &e->capprofiles, e->nprofiles + 1,
                        sizeof(*e->profiles)) != 0) {
                free(p);
                return PARLEY_ENOMEM;
            }
            hole = e->nprofiles++;
        }
        pi = hole;
        e->profiles[pi] = p;
        for (uint32_t ai = 0; ai < e->nadvisers; ai++) {
            struct rt_adviser *a = &e->advisers[ai];
            if (!a->live || !rt_adviser_matches(e, a, p)) continue;
            if (add_memberships(e, ai, pi) != 0) return PARLEY_ENOMEM;
            rt_refresh(e, ai);
        }
    }
    struct rt_profile *p = e->profiles[pi];
    if (rt_grow((void **)&p->served, &p->capserved, p->nserved + 1, sizeof(*p->served)) != 0)
        return PARLEY_ENOMEM;
    p->served[p->nserved++] = sv;
    p->refs++;
    return (int)pi;
}

/* Drops one use (sv) of a profile; the last use frees it and its memberships (O(n K)). */
static void profile_put(struct route_engine *e, uint32_t pi, struct rt_served sv)
{
    struct rt_profile *p = e->profiles[pi];
    for (uint32_t i = 0; i < p->nserved; i++) {
        if (p->served[i].owner == sv.owner && p->served[i].step == sv.step &&
            p->served[i].role == sv.role) {
            p->served[i] = p->served[--p->nserved];
            break;
        }
    }
    if (--p->refs > 0) return;
    for (uint32_t ai = 0; ai < e->nadvisers; ai++) {
        struct rt_adviser *a = &e->advisers[ai];
        for (uint32_t i = 0; i < a->nmemb;) {
            if (e->memb[a->memb[i]].prof == pi) {
                drop_membership(e, a->memb[i]);
                a->memb[i] = a->memb[--a->nmemb];
            } else {
                i++;
            }
        }
    }
    free_profile(p);
    e->profiles[pi] = NULL;
}

/* ---- teams ---- */

static uint32_t team_index(const struct route_engine *e, int64_t id)
{
    return rt_map_get(&e->team_ids, id);
}

static void recount_specialists(struct route_engine *e)
{
    uint32_t n = 0;
    for (uint32_t ai = 0; ai < e->nadvisers; ai++) {
        const struct rt_adviser *a = &e->advisers[ai];
        if (a->live && a->specialist && a->presence == ROUTE_ONLINE) n++;
    }
    e->specialists_online = n;
}

static bool adviser_is_specialist(const struct route_engine *e, const struct rt_adviser *a)
{
    for (uint32_t i = 0; i < a->nteams; i++)
        if (e->teams[a->teams[i]]->specialist) return true;
    return false;
}

int route_team_put(struct route_engine *e, const struct route_team_def *t, int64_t now_ms,
                   struct parley_err *err)
{
    if (t == NULL || t->id <= 0) return parley_fail(err, PARLEY_EINVAL, "id", "must be > 0");
    rt_advance(e, now_ms);
    uint32_t ti = team_index(e, t->id);
    if (ti == RT_NONE) {
        struct rt_team *tm = calloc(1, sizeof(*tm));
        if (tm == NULL ||
            rt_grow((void **)&e->teams, &e->capteams, e->nteams + 1, sizeof(*e->teams)) != 0 ||
            rt_map_put(&e->team_ids, t->id, e->nteams) != 0) {
            free(tm);
            return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
        }
        tm->id = t->id;
        tm->live = true;
        tm->specialist = t->specialist;
        ti = e->nteams;
        e->teams[e->nteams++] = tm;
        struct rt_profile tpl = {.want = {.lang = -1, .team_mode = RT_TEAMS_SET, .nteams = 1}};
        tpl.want.teams[0] = ti;
        int pi = profile_get(e, &tpl, (struct rt_served){.owner = ti, .role = RT_ROLE_TEAM});
        if (pi < 0) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
        tm->prof = (uint32_t)pi;
        return 0;
    }
    struct rt_team *tm = e->teams[ti];
    if (tm->specialist == t->specialist) return 0;
    /* The specialist flag moved: re-derive who is a specialist and their memberships. */
    uint32_t before = e->specialists_online;
    tm->specialist = t->specialist;
    for (uint32_t ai = 0; ai < e->nadvisers; ai++) {
        struct rt_adviser *a = &e->advisers[ai];
        if (!a->live || a->specialist == adviser_is_specialist(e, a)) continue;
        a->specialist = !a->specialist;
        drop_adviser_memberships(e, ai);
        if (attach_adviser(e, ai) != 0)
            return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    }
    recount_specialists(e);
    rt_spec_changed(e, before);
    for (uint32_t ai = 0; ai < e->nadvisers; ai++)
        if (e->advisers[ai].live && e->advisers[ai].specialist) rt_fill_later(e, ai);
    rt_settle(e);
    return 0;
}

int route_team_remove(struct route_engine *e, int64_t team_id, int64_t now_ms,
                      struct parley_err *err)
{
    uint32_t ti = team_index(e, team_id);
    if (ti == RT_NONE) return parley_fail(err, PARLEY_ENOTFOUND, "team_id", "no such team");
    struct rt_team *tm = e->teams[ti];
    if (tm->members > 0 || tm->queue_refs > 0 || tm->items > 0)
        return parley_fail(err, PARLEY_ECONFLICT, "team_id",
                           "the team still has advisers, queues or work referring to it");
    rt_advance(e, now_ms);
    profile_put(e, tm->prof, (struct rt_served){.owner = ti, .role = RT_ROLE_TEAM});
    free_line(&tm->line);
    memset(&tm->line, 0, sizeof(tm->line));
    tm->live = false;
    rt_map_del(&e->team_ids, team_id);
    return 0;
}

/* ---- queues ---- */

static int reserve_lines(struct rt_line *lines, int nlines, int ch, uint64_t need)
{
    if (need > UINT32_MAX - 1) return PARLEY_ENOMEM;
    for (int i = 0; i < nlines; i++) {
        struct rt_iheap *h = &lines[i].h[ch];
        if (rt_grow((void **)&h->a, &h->cap, (uint32_t)need, sizeof(*h->a)) != 0)
            return PARLEY_ENOMEM;
    }
    return 0;
}

int rt_reserve_queue(struct route_engine *e, struct rt_queue *q, int ch, uint64_t extra)
{
    for (int s = 0; s <= q->nsteps; s++)
        if (reserve_lines(q->line[s], 2, ch, q->chitems[ch] + extra) != 0) return PARLEY_ENOMEM;
    (void)e;
    return 0;
}

static int validate_queue(const struct route_engine *e, const struct route_queue_def *q,
                          struct parley_err *err)
{
    if (q->id <= 0) return parley_fail(err, PARLEY_EINVAL, "id", "must be > 0");
    if (q->n_skills > ROUTE_MAX_REQS || (q->n_skills > 0 && q->skills == NULL))
        return parley_fail(err, PARLEY_EINVAL, "skills", "at most %d required skills",
                           ROUTE_MAX_REQS);
    for (size_t i = 0; i < q->n_skills; i++) {
        int rc = check_name(q->skills[i].skill, "skills", err);
        if (rc != 0) return rc;
        if (q->skills[i].min_level < ROUTE_MIN_LEVEL || q->skills[i].min_level > ROUTE_MAX_LEVEL)
            return parley_fail(err, PARLEY_EINVAL, "skills", "levels are %d..%d", ROUTE_MIN_LEVEL,
                               ROUTE_MAX_LEVEL);
        for (size_t j = 0; j < i; j++)
            if (strcmp(q->skills[i].skill, q->skills[j].skill) == 0)
                return parley_fail(err, PARLEY_EINVAL, "skills", "skill '%s' listed twice",
                                   q->skills[i].skill);
    }
    if (q->language != NULL && q->language[0] != '\0') {
        int rc = check_name(q->language, "language", err);
        if (rc != 0) return rc;
    }
    if (q->priority_class > ROUTE_MAX_PRIORITY || q->priority_class < -ROUTE_MAX_PRIORITY)
        return parley_fail(err, PARLEY_EINVAL, "priority_class", "must be within +-%d",
                           ROUTE_MAX_PRIORITY);
    if (q->n_steps > ROUTE_MAX_STEPS || (q->n_steps > 0 && q->steps == NULL))
        return parley_fail(err, PARLEY_EINVAL, "steps", "at most %d steps", ROUTE_MAX_STEPS);
    size_t nteams = q->n_teams;
    for (size_t i = 0; i < q->n_teams; i++)
        if (team_index(e, q->teams[i]) == RT_NONE)
            return parley_fail(err, PARLEY_ENOTFOUND, "teams", "no team %lld",
                               (long long)q->teams[i]);
    for (size_t s = 0; s < q->n_steps; s++) {
        const struct route_step *st = &q->steps[s];
        if (st->after_ms <= 0 || (s > 0 && st->after_ms <= q->steps[s - 1].after_ms))
            return parley_fail(err, PARLEY_EINVAL, "steps",
                               "after_ms must be > 0 and increase from step to step");
        if (st->relax_levels < 0 || st->relax_levels > ROUTE_MAX_LEVEL - 1 ||
            (s > 0 && st->relax_levels < q->steps[s - 1].relax_levels))
            return parley_fail(err, PARLEY_EINVAL, "steps",
                               "relax_levels must be 0..4 and never decrease");
        if (st->n_add_teams > 0 && st->add_teams == NULL)
            return parley_fail(err, PARLEY_EINVAL, "steps", "add_teams missing");
        for (size_t i = 0; i < st->n_add_teams; i++)
            if (team_index(e, st->add_teams[i]) == RT_NONE)
                return parley_fail(err, PARLEY_ENOTFOUND, "steps", "no team %lld",
                                   (long long)st->add_teams[i]);
        nteams += st->n_add_teams;
    }
    if (q->n_teams > 0 && nteams > ROUTE_MAX_QUEUE_TEAMS)
        return parley_fail(err, PARLEY_EINVAL, "teams", "at most %d teams per queue",
                           ROUTE_MAX_QUEUE_TEAMS);
    if (q->n_teams > 0 && q->teams == NULL)
        return parley_fail(err, PARLEY_EINVAL, "teams", "teams missing");
    return 0;
}

static void add_team_once(struct rt_queue *q, uint32_t ti)
{
    for (uint32_t i = 0; i < q->nteams; i++)
        if (q->teams[i] == ti) return;
    q->teams[q->nteams++] = ti;
}

/* Releases a queue's profiles and team references (its lines stay). */
static void queue_unbind(struct route_engine *e, uint32_t qi)
{
    struct rt_queue *q = e->queues[qi];
    for (int s = 0; s <= q->nsteps; s++)
        for (int k = 0; k < 2; k++)
            profile_put(e, q->prof[s][k],
                        (struct rt_served){.owner = qi,
                                           .step = (uint8_t)s,
                                           .role = k ? RT_ROLE_SPEC : RT_ROLE_NORMAL});
    for (uint32_t i = 0; i < q->nteams; i++) e->teams[q->teams[i]]->queue_refs--;
}

/* Takes every waiting item out of the queue's lines into the batch (e->scratch[0..n)). */
static uint32_t queue_take_waiting(struct route_engine *e, struct rt_queue *q)
{
    for (int s = 0; s <= q->nsteps; s++)
        for (int k = 0; k < 2; k++)
            for (int c = 0; c < ROUTE_MAX_CHANNELS; c++) {
                struct rt_iheap *h = &q->line[s][k].h[c];
                while (h->n > 0) {
                    uint32_t ii = h->a[h->n - 1].item;
                    rt_line_detach(e, ii);
                    rt_batch_add(e, ii);
                }
            }
    return e->nbatch;
}

int route_queue_put(struct route_engine *e, const struct route_queue_def *def, int64_t now_ms,
                    struct parley_err *err)
{
    if (def == NULL) return parley_fail(err, PARLEY_EINVAL, "queue", "missing");
    int rc = validate_queue(e, def, err);
    if (rc != 0) return rc;
    struct rt_req req[ROUTE_MAX_REQS] = {{0}};
    for (size_t i = 0; i < def->n_skills; i++) {
        int si = intern_skill(e, def->skills[i].skill, "skills", err);
        if (si < 0) return si;
        req[i] = (struct rt_req){.skill = (uint16_t)si, .level = (uint8_t)def->skills[i].min_level};
    }
    qsort(req, def->n_skills, sizeof(req[0]), cmp_req);
    int lang = -1;
    if (def->language != NULL && def->language[0] != '\0') {
        lang = intern_lang(e, def->language, "language", err);
        if (lang < 0) return lang;
    }
    rt_advance(e, now_ms);
    uint32_t qi = rt_map_get(&e->queue_ids, def->id), nwait = 0;
    struct rt_queue *q;
    if (qi == RT_NONE) {
        q = calloc(1, sizeof(*q));
        if (q == NULL ||
            rt_grow((void **)&e->queues, &e->capqueues, e->nqueues + 1, sizeof(*e->queues)) != 0 ||
            rt_map_put(&e->queue_ids, def->id, e->nqueues) != 0) {
            free(q);
            return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
        }
        qi = e->nqueues;
        e->queues[e->nqueues++] = q;
        q->id = def->id;
        q->live = true;
    } else {
        q = e->queues[qi];
        nwait = queue_take_waiting(e, q);
        queue_unbind(e, qi);
    }
    q->nreq = (uint8_t)def->n_skills;
    memcpy(q->req, req, sizeof(req));
    q->lang = lang;
    q->priority_class = def->priority_class;
    q->any_team = def->n_teams == 0;
    q->nteams = 0;
    for (size_t i = 0; i < def->n_teams; i++) add_team_once(q, team_index(e, def->teams[i]));
    q->nsteps = (uint8_t)def->n_steps;
    q->step[0] = (struct rt_qstep){.after_ms = 0, .relax = 0, .nteams = q->nteams};
    for (size_t s = 0; s < def->n_steps; s++) {
        if (!q->any_team)
            for (size_t i = 0; i < def->steps[s].n_add_teams; i++)
                add_team_once(q, team_index(e, def->steps[s].add_teams[i]));
        q->step[s + 1] = (struct rt_qstep){.after_ms = def->steps[s].after_ms,
                                           .relax = (uint8_t)def->steps[s].relax_levels,
                                           .nteams = q->nteams};
    }
    for (uint32_t i = 0; i < q->nteams; i++) e->teams[q->teams[i]]->queue_refs++;
    for (int s = 0; s <= q->nsteps; s++) {
        for (int k = 0; k < 2; k++) {
            struct rt_reqset *set = &q->set[s][k];
            memset(set, 0, sizeof(*set));
            set->nreq = q->nreq;
            set->lang = lang;
            for (int i = 0; i < q->nreq; i++) {
                set->req[i] = q->req[i];
                int lv = (int)q->req[i].level - q->step[s].relax;
                set->req[i].level = (uint8_t)(lv < 1 ? 1 : lv);
            }
            set->team_mode = k ? RT_TEAMS_SPECIALIST : q->any_team ? RT_TEAMS_ANY : RT_TEAMS_SET;
            set->nteams = set->team_mode == RT_TEAMS_SET ? q->step[s].nteams : 0;
            memcpy(set->teams, q->teams, sizeof(uint32_t) * set->nteams);
            qsort(set->teams, set->nteams, sizeof(set->teams[0]), cmp_u32);
            struct rt_profile tpl = {.want = *set, .has_prev = s > 0};
            if (s > 0) tpl.prev = q->set[s - 1][k];
            struct rt_served sv = {
                .owner = qi, .step = (uint8_t)s, .role = k ? RT_ROLE_SPEC : RT_ROLE_NORMAL};
            int pi = profile_get(e, &tpl, sv);
            if (pi < 0) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
            q->prof[s][k] = (uint32_t)pi;
        }
    }
    for (int c = 0; c < ROUTE_MAX_CHANNELS; c++)
        if (rt_reserve_queue(e, q, c, 1) != 0)
            return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    /* Waiting work goes back under the new rules (class, steps), then is routed best first. */
    for (uint32_t i = 0; i < nwait; i++) {
        uint32_t ii = e->scratch[i].item;
        struct rt_item *it = &e->items[ii];
        it->step = (uint8_t)rt_step_at(q, e->now - it->enq);
        (void)rt_line_insert(e, ii);
        (void)rt_push_step_timer(e, ii);
    }
    rt_settle(e);
    return 0;
}

int route_queue_remove(struct route_engine *e, int64_t queue_id, int64_t now_ms,
                       struct parley_err *err)
{
    uint32_t qi = rt_map_get(&e->queue_ids, queue_id);
    if (qi == RT_NONE) return parley_fail(err, PARLEY_ENOTFOUND, "queue_id", "no such queue");
    struct rt_queue *q = e->queues[qi];
    if (q->items > 0)
        return parley_fail(err, PARLEY_ECONFLICT, "queue_id",
                           "conversations still wait in or came from this queue");
    rt_advance(e, now_ms);
    queue_unbind(e, qi);
    for (int s = 0; s <= ROUTE_MAX_STEPS; s++)
        for (int k = 0; k < 2; k++) {
            free_line(&q->line[s][k]);
            memset(&q->line[s][k], 0, sizeof(q->line[s][k]));
        }
    q->live = false;
    rt_map_del(&e->queue_ids, queue_id);
    return 0;
}

/* ---- advisers ---- */

static int validate_adviser(const struct route_engine *e, const struct route_adviser_def *a,
                            struct parley_err *err)
{
    if (a->id <= 0) return parley_fail(err, PARLEY_EINVAL, "id", "must be > 0");
    if (a->n_teams > ROUTE_MAX_ADVISER_TEAMS || (a->n_teams > 0 && a->teams == NULL))
        return parley_fail(err, PARLEY_EINVAL, "teams", "at most %d teams",
                           ROUTE_MAX_ADVISER_TEAMS);
    for (size_t i = 0; i < a->n_teams; i++)
        if (team_index(e, a->teams[i]) == RT_NONE)
            return parley_fail(err, PARLEY_ENOTFOUND, "teams", "no team %lld",
                               (long long)a->teams[i]);
    if (a->n_skills > ROUTE_MAX_ADVISER_SKILLS || (a->n_skills > 0 && a->skills == NULL))
        return parley_fail(err, PARLEY_EINVAL, "skills", "at most %d skills",
                           ROUTE_MAX_ADVISER_SKILLS);
    for (size_t i = 0; i < a->n_skills; i++) {
        int rc = check_name(a->skills[i].skill, "skills", err);
        if (rc != 0) return rc;
        if (a->skills[i].level < ROUTE_MIN_LEVEL || a->skills[i].level > ROUTE_MAX_LEVEL)
            return parley_fail(err, PARLEY_EINVAL, "skills", "levels are %d..%d", ROUTE_MIN_LEVEL,
                               ROUTE_MAX_LEVEL);
        for (size_t j = 0; j < i; j++)
            if (strcmp(a->skills[i].skill, a->skills[j].skill) == 0)
                return parley_fail(err, PARLEY_EINVAL, "skills", "skill '%s' listed twice",
                                   a->skills[i].skill);
    }
    if (a->n_languages > ROUTE_MAX_ADVISER_LANGS || (a->n_languages > 0 && a->languages == NULL))
        return parley_fail(err, PARLEY_EINVAL, "languages", "at most %d languages",
                           ROUTE_MAX_ADVISER_LANGS);
    for (size_t i = 0; i < a->n_languages; i++) {
        int rc = check_name(a->languages[i], "languages", err);
        if (rc != 0) return rc;
    }
    if (a->capacity_milli < 0 || a->capacity_milli > ROUTE_MAX_CAPACITY_MILLI)
        return parley_fail(err, PARLEY_EINVAL, "capacity_milli", "must be 0..%d",
                           ROUTE_MAX_CAPACITY_MILLI);
    for (int c = 0; c < ROUTE_MAX_CHANNELS; c++)
        if (a->weight_milli[c] < 0 || a->weight_milli[c] > ROUTE_MAX_CAPACITY_MILLI)
            return parley_fail(err, PARLEY_EINVAL, "weight_milli", "weights are 0..%d",
                               ROUTE_MAX_CAPACITY_MILLI);
    if (a->wrapup_ms < 0 || a->wrapup_ms > RT_MAX_TIME_SPAN)
        return parley_fail(err, PARLEY_EINVAL, "wrapup_ms", "must be 0 or more");
    if (a->accept_required &&
        (a->accept_timeout_ms <= 0 || a->accept_timeout_ms > RT_MAX_TIME_SPAN))
        return parley_fail(err, PARLEY_EINVAL, "accept_timeout_ms",
                           "must be > 0 when accept is required");
    return 0;
}

int route_adviser_put(struct route_engine *e, const struct route_adviser_def *def, int64_t now_ms,
                      struct parley_err *err)
{
    if (def == NULL) return parley_fail(err, PARLEY_EINVAL, "adviser", "missing");
    int rc = validate_adviser(e, def, err);
    if (rc != 0) return rc;
    struct rt_req skills[ROUTE_MAX_ADVISER_SKILLS] = {{0}};
    int16_t langs[ROUTE_MAX_ADVISER_LANGS] = {0};
    for (size_t i = 0; i < def->n_skills; i++) {
        int si = intern_skill(e, def->skills[i].skill, "skills", err);
        if (si < 0) return si;
        skills[i] = (struct rt_req){.skill = (uint16_t)si, .level = (uint8_t)def->skills[i].level};
    }
    qsort(skills, def->n_skills, sizeof(skills[0]), cmp_req);
    for (size_t i = 0; i < def->n_languages; i++) {
        int li = intern_lang(e, def->languages[i], "languages", err);
        if (li < 0) return li;
        langs[i] = (int16_t)li;
    }
    rt_advance(e, now_ms);
    uint32_t ai = rt_map_get(&e->adviser_ids, def->id);
    if (ai == RT_NONE) {
        /* Slots are never reused: whatever still names a removed adviser's slot (an item's
         * exclusion, a stale timer) then names nobody. */
        if (rt_grow((void **)&e->advisers, &e->capadvisers, e->nadvisers + 1,
                    sizeof(*e->advisers)) != 0 ||
            rt_grow((void **)&e->fillq, &e->capfill, e->nadvisers + 1, sizeof(*e->fillq)) != 0 ||
            rt_map_put(&e->adviser_ids, def->id, e->nadvisers) != 0)
            return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
        ai = e->nadvisers++;
        memset(&e->advisers[ai], 0, sizeof(e->advisers[ai]));
        struct rt_adviser *a = &e->advisers[ai];
        a->id = def->id;
        a->live = true;
        a->presence = ROUTE_OFFLINE;
        a->load = 0;
        a->nassigned = a->nmemb = 0;
        a->wrapup_until = 0;
        a->idle_since = e->now;
        e->live_advisers++;
    }
    struct rt_adviser *a = &e->advisers[ai];
    uint32_t before = e->specialists_online;
    drop_adviser_memberships(e, ai);
    for (uint32_t i = 0; i < a->nteams; i++) e->teams[a->teams[i]]->members--;
    a->nteams = 0;
    for (size_t i = 0; i < def->n_teams; i++) {
        uint32_t ti = team_index(e, def->teams[i]);
        bool dup = false;
        for (uint32_t j = 0; j < a->nteams; j++) dup |= a->teams[j] == ti;
        if (dup) continue;
        a->teams[a->nteams++] = ti;
        e->teams[ti]->members++;
    }
    a->nskills = (uint8_t)def->n_skills;
    memcpy(a->skills, skills, sizeof(skills[0]) * def->n_skills);
    a->nlangs = (uint8_t)def->n_languages;
    memcpy(a->langs, langs, sizeof(langs[0]) * def->n_languages);
    a->capacity = def->capacity_milli;
    memcpy(a->w, def->weight_milli, sizeof(a->w));
    a->wrapup_ms = def->wrapup_ms;
    a->accept_required = def->accept_required;
    a->accept_timeout_ms = def->accept_timeout_ms;
    bool was = a->specialist && a->presence == ROUTE_ONLINE;
    a->specialist = adviser_is_specialist(e, a);
    e->specialists_online += (a->specialist && a->presence == ROUTE_ONLINE) - was;
    int32_t minw = 0;
    for (int c = 0; c < ROUTE_MAX_CHANNELS; c++)
        if (a->w[c] > 0 && (minw == 0 || a->w[c] < minw)) minw = a->w[c];
    uint32_t most = minw > 0 ? (uint32_t)(a->capacity / minw) + 1 : 1;
    if (most > 1024) most = 1024; /* beyond that the list grows when assigning */
    if (rt_grow((void **)&a->assigned, &a->capassigned, a->nassigned + most,
                sizeof(*a->assigned)) != 0 ||
        attach_adviser(e, ai) != 0)
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    rt_spec_changed(e, before);
    rt_fill_later(e, ai);
    rt_settle(e);
    return 0;
}

int route_adviser_remove(struct route_engine *e, int64_t adviser_id, int64_t now_ms,
                         struct parley_err *err)
{
    uint32_t ai = rt_map_get(&e->adviser_ids, adviser_id);
    if (ai == RT_NONE) return parley_fail(err, PARLEY_ENOTFOUND, "adviser_id", "no such adviser");
    rt_advance(e, now_ms);
    struct rt_adviser *a = &e->advisers[ai];
    uint32_t before = e->specialists_online;
    if (a->presence == ROUTE_ONLINE) {
        e->online--;
        if (a->specialist) e->specialists_online--;
    }
    a->presence = ROUTE_OFFLINE;
    drop_adviser_memberships(e, ai);
    rt_requeue_from(e, ai, true, ROUTE_REASON_ADVISER_REMOVED);
    for (uint32_t i = 0; i < a->nteams; i++) e->teams[a->teams[i]]->members--;
    a->nteams = 0;
    a->live = false;
    a->wgen++;
    rt_map_del(&e->adviser_ids, adviser_id);
    a->id = -a->id; /* an item excluding this slot must not exclude a newcomer with the id */
    free(a->memb);
    free(a->assigned);
    a->memb = a->assigned = NULL;
    a->capmemb = a->capassigned = 0;
    e->live_advisers--;
    rt_spec_changed(e, before);
    rt_settle(e);
    return 0;
}

void rt_set_presence(struct route_engine *e, uint32_t ai, enum route_presence p,
                     enum route_reason why)
{
    struct rt_adviser *a = &e->advisers[ai];
    if (a->presence == p) return;
    uint32_t before = e->specialists_online;
    bool was_online = a->presence == ROUTE_ONLINE;
    a->presence = (uint8_t)p;
    if (p == ROUTE_ONLINE) {
        e->online++;
        if (a->specialist) e->specialists_online++;
        a->idle_since = e->now;
        rt_refresh(e, ai);
        rt_fill_later(e, ai);
        return;
    }
    if (was_online) {
        e->online--;
        if (a->specialist) e->specialists_online--;
    }
    rt_refresh(e, ai);
    rt_requeue_from(e, ai, false, why);
    rt_spec_changed(e, before);
}

int route_presence(struct route_engine *e, int64_t adviser_id, enum route_presence p,
                   int64_t now_ms, struct parley_err *err)
{
    if (p != ROUTE_OFFLINE && p != ROUTE_AWAY && p != ROUTE_ONLINE)
        return parley_fail(err, PARLEY_EINVAL, "presence", "online, away or offline");
    uint32_t ai = rt_map_get(&e->adviser_ids, adviser_id);
    if (ai == RT_NONE) return parley_fail(err, PARLEY_ENOTFOUND, "adviser_id", "no such adviser");
    rt_advance(e, now_ms);
    rt_set_presence(e, ai, p,
                    p == ROUTE_AWAY ? ROUTE_REASON_ADVISER_AWAY : ROUTE_REASON_ADVISER_OFFLINE);
    rt_settle(e);
    return 0;
}

int route_sticky_note(struct route_engine *e, int64_t customer_id, int64_t adviser_id,
                      int64_t at_ms, struct parley_err *err)
{
    if (customer_id <= 0 || adviser_id <= 0)
        return parley_fail(err, PARLEY_EINVAL, "customer_id", "ids must be > 0");
    rt_sticky_note(&e->sticky, customer_id, adviser_id, at_ms);
    return 0;
}

/* ---- queries ---- */

int route_adviser_get(const struct route_engine *e, int64_t adviser_id,
                      struct route_adviser_info *out)
{
    uint32_t ai = rt_map_get(&e->adviser_ids, adviser_id);
    if (ai == RT_NONE) return PARLEY_ENOTFOUND;
    const struct rt_adviser *a = &e->advisers[ai];
    *out = (struct route_adviser_info){
        .presence = (enum route_presence)a->presence,
        .load_milli = a->load,
        .capacity_milli = a->capacity,
        .wrapup_until_ms = a->wrapup_until > e->now ? a->wrapup_until : 0,
        .idle_since_ms = a->idle_since,
        .n_assigned = a->nassigned,
        .specialist = a->specialist,
    };
    return 0;
}

void route_engine_stats(const struct route_engine *e, struct route_stats *out)
{
    uint32_t q = 0, t = 0;
    for (uint32_t i = 0; i < e->nqueues; i++) q += e->queues[i]->live;
    for (uint32_t i = 0; i < e->nteams; i++) t += e->teams[i]->live;
    *out = (struct route_stats){
        .queues = q,
        .teams = t,
        .advisers = e->live_advisers,
        .advisers_online = e->online,
        .specialists_online = e->specialists_online,
        .waiting = e->waiting,
        .offered = e->offered,
        .accepted = e->accepted,
        .decisions = e->decisions,
    };
}

int route_queue_waiting(const struct route_engine *e, int64_t queue_id, uint64_t *out)
{
    uint32_t qi = rt_map_get(&e->queue_ids, queue_id);
    if (qi == RT_NONE) return PARLEY_ENOTFOUND;
    const struct rt_queue *q = e->queues[qi];
    uint64_t n = 0;
    for (int s = 0; s <= q->nsteps; s++) n += q->line[s][0].n + q->line[s][1].n;
    *out = n;
    return 0;
}

const char *route_reason_name(enum route_reason r)
{
    switch (r) {
    case ROUTE_REASON_PREFERRED:
        return "preferred";
    case ROUTE_REASON_STICKY:
        return "sticky";
    case ROUTE_REASON_SPECIALIST:
        return "specialist";
    case ROUTE_REASON_LEAST_OCCUPIED:
        return "least occupied";
    case ROUTE_REASON_LONGEST_IDLE:
        return "longest idle";
    case ROUTE_REASON_RELAXED:
        return "relaxed step";
    case ROUTE_REASON_TRANSFER:
        return "transfer";
    case ROUTE_REASON_PRIORITY:
        return "priority";
    case ROUTE_REASON_ADVISER_OFFLINE:
        return "adviser offline";
    case ROUTE_REASON_ADVISER_AWAY:
        return "adviser away";
    case ROUTE_REASON_ACCEPT_TIMEOUT:
        return "accept timeout";
    case ROUTE_REASON_DECLINED:
        return "declined";
    case ROUTE_REASON_ADVISER_REMOVED:
        return "adviser removed";
    }
    return "unknown";
}

const char *route_presence_name(enum route_presence p)
{
    return p == ROUTE_ONLINE ? "online" : p == ROUTE_AWAY ? "away" : "offline";
}

int route_presence_parse(const char *s)
{
    if (s == NULL) return -1;
    if (strcmp(s, "online") == 0) return ROUTE_ONLINE;
    if (strcmp(s, "away") == 0) return ROUTE_AWAY;
    if (strcmp(s, "offline") == 0) return ROUTE_OFFLINE;
    return -1;
}
