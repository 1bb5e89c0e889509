/* Randomised test of the routing engine: a seeded, reproducible run of arrivals, presence
 * changes, skill changes, completions, accepts, declines, withdrawals, transfers, accept
 * timeouts, time passing and configuration changes (an adviser removed and added again, the
 * specialist flag of a team switched, a queue's levels and steps redefined). The test keeps its own
 * model of the world (advisers, loads, who has what, what waits) fed by the calls it makes and the
 * decisions the engine reports, and checks, by brute force over that model and never through the
 * engine's indexes: at every assignment: the conversation was waiting (never assigned twice), the
 * adviser is online, out of wrap-up, eligible and has room (capacity never exceeded), and no
 * waiting conversation ranked higher was eligible for that adviser (priority order); after every
 * step: no eligible work waits while an eligible adviser has room, no offer is held by an adviser
 * who is not online or past its deadline, and the engine's counts and loads equal the model's.
 * Seed: ROUTE_TEST_SEED (printed); steps: ROUTE_TEST_STEPS (default 100000). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route/route_engine.h"

#define NA   12     /* advisers */
#define NQ   4      /* queues */
#define NT   3      /* teams; team 3 is the specialist team */
#define NS   4      /* skills */
#define NCH  3      /* channels: chat, voice, email */
#define MAXC 100000 /* conversation ids ever */
#define RATE 1000   /* ageing, milli-points per minute */

static const char *skill_names[NS] = {"s0", "s1", "s2", "s3"};
static const char *lang_names[2] = {"en", "cy"};

/* ---- the model ---- */
struct m_queue {
    int nreq, req_skill[2], req_level[2];
    int lang; /* -1 any */
    int class_;
    unsigned teams; /* bitmask over team index 0..2; 0 = any team */
    int nsteps;
    int64_t after[2];
    int relax[2];
    unsigned add_teams[2];
};
struct m_adv {
    int level[NS]; /* 0 = lacks the skill */
    unsigned langs, teams;
    int presence;
    int32_t cap, w[NCH], load;
    int64_t wrapup_ms, wrapup_until;
    bool accept_required;
};
enum { M_NONE, M_WAITING, M_OFFERED, M_ACCEPTED, M_MOVING };
struct m_conv {
    int state, queue, team, channel, base, adviser, excluded;
    bool vulnerable, head;
    int64_t customer, enq, deadline;
    uint64_t seq;
};

static struct m_queue Q[NQ];
static struct m_adv A[NA];
static struct m_conv C[MAXC];
static int64_t live_ids[MAXC];
static int nlive;
static uint64_t seq, rng;
static int64_t now;
static long assigns, requeues;
static bool spec_flag = true; /* team 2 (mask 4) is the specialist team while set */

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static int pick(int n)
{
    return (int)(rnd() % (uint64_t)n);
}

static int64_t adv_id(int a)
{
    return 1000 + a;
}
static int64_t team_id(int t)
{
    return 1 + t;
}
static int64_t queue_id(int q)
{
    return 1 + q;
}

static int specialists_online(void)
{
    int n = 0;
    for (int a = 0; a < NA; a++) n += A[a].presence == ROUTE_ONLINE && (A[a].teams & 4u);
    return spec_flag ? n : 0;
}

static int step_at(const struct m_queue *q, int64_t waited)
{
    int s = 0;
    while (s < q->nsteps && waited >= q->after[s]) s++;
    return s;
}

static bool room(int a, int ch)
{
    return A[a].w[ch] > 0 && A[a].load + A[a].w[ch] <= A[a].cap;
}

static bool available(int a, int64_t t)
{
    return A[a].presence == ROUTE_ONLINE && t >= A[a].wrapup_until;
}

/* The rules of docs/routing.md written plainly. */
static bool eligible(int c, int a, int64_t t)
{
    const struct m_conv *x = &C[c];
    if (!available(a, t) || !room(a, x->channel) || x->excluded == a) return false;
    if (x->team >= 0) return (A[a].teams >> x->team) & 1u;
    const struct m_queue *q = &Q[x->queue];
    int s = step_at(q, t - x->enq);
    int relax = s > 0 ? q->relax[s - 1] : 0;
    for (int i = 0; i < q->nreq; i++) {
        int need = q->req_level[i] - relax;
        if (need < 1) need = 1;
        if (A[a].level[q->req_skill[i]] < need) return false;
    }
    if (q->lang >= 0 && !((A[a].langs >> q->lang) & 1u)) return false;
    if (x->vulnerable && specialists_online() > 0) return (A[a].teams & 4u) != 0; /* flag set */
    if (q->teams == 0) return true;
    unsigned teams = q->teams;
    for (int i = 0; i < s; i++) teams |= q->add_teams[i];
    return (A[a].teams & teams) != 0;
}

/* rank: head first, then effective priority, then longest waiting, then arrival */
static bool ranks_above(int y, int x)
{
    const struct m_conv *a = &C[y], *b = &C[x];
    if (a->head != b->head) return a->head;
    __int128 pa = (__int128)(a->base + Q[a->queue].class_) * 60000000 - (__int128)RATE * a->enq;
    __int128 pb = (__int128)(b->base + Q[b->queue].class_) * 60000000 - (__int128)RATE * b->enq;
    if (pa != pb) return pa > pb;
    if (a->enq != b->enq) return a->enq < b->enq;
    return a->seq < b->seq;
}

static void on_decision(void *ctx, const struct route_decision *d)
{
    (void)ctx;
    if (d->kind == ROUTE_PRESENCE_CHANGED) {
        A[d->adviser_id - 1000].presence = d->presence;
        return;
    }
    int c = (int)d->conversation_id, a = (int)(d->adviser_id - 1000);
    assert_true(a >= 0 && a < NA);
    struct m_conv *x = &C[c];
    if (d->kind == ROUTE_REQUEUE) {
        requeues++;
        assert_true(x->state == M_OFFERED || x->state == M_ACCEPTED);
        assert_int_equal(x->adviser, a);
        if (d->reason == ROUTE_REASON_ACCEPT_TIMEOUT) {
            assert_int_equal(x->state, M_OFFERED);
            assert_true(d->at_ms >= x->deadline);
        }
        if (d->reason == ROUTE_REASON_ADVISER_OFFLINE || d->reason == ROUTE_REASON_ADVISER_AWAY) {
            assert_int_equal(x->state, M_OFFERED); /* accepted work stays */
            assert_true(A[a].presence != ROUTE_ONLINE);
        }
        A[a].load -= A[a].w[x->channel];
        x->state = M_WAITING;
        x->head = true;
        x->adviser = -1;
        x->excluded =
            (d->reason == ROUTE_REASON_DECLINED || d->reason == ROUTE_REASON_ACCEPT_TIMEOUT) ? a
                                                                                             : -1;
        return;
    }
    assert_int_equal(d->kind, ROUTE_ASSIGN);
    assigns++;
    int64_t t = d->at_ms;
    /* never assigned twice; transfers to an adviser arrive detached (M_MOVING) */
    assert_true(x->state == M_WAITING || x->state == M_MOVING);
    assert_true(available(a, t));
    assert_true(room(a, x->channel));
    if (x->state == M_WAITING) {
        assert_true(eligible(c, a, t));
        for (int i = 0; i < nlive; i++) {
            int y = (int)live_ids[i];
            if (y != c && C[y].state == M_WAITING && ranks_above(y, c) && eligible(y, a, t))
                fail_msg("adviser %d took conversation %d while %d ranked higher", a, c, y);
        }
    } else {
        assert_int_equal(d->reason, ROUTE_REASON_TRANSFER);
    }
    A[a].load += A[a].w[x->channel];
    assert_int_equal(d->adviser_load_milli, A[a].load);
    x->state = d->needs_accept ? M_OFFERED : M_ACCEPTED;
    assert_int_equal(d->needs_accept, A[a].accept_required);
    x->deadline = d->accept_deadline_ms;
    x->adviser = a;
    x->excluded = -1;
}

/* ---- world set-up ---- */

static void put_queue(struct route_engine *e, int qi);

static void put_adviser(struct route_engine *e, int a, bool randomise)
{
    struct m_adv *m = &A[a];
    if (randomise) {
        for (int s = 0; s < NS; s++) m->level[s] = pick(3) == 0 ? 0 : 1 + pick(5);
        m->langs = 1u + (unsigned)pick(3); /* en, cy or both */
        m->teams = (unsigned)pick(8) & (pick(3) == 0 ? 7u : 3u);
    }
    struct route_skill sk[NS];
    int nsk = 0;
    for (int s = 0; s < NS; s++)
        if (m->level[s] > 0) sk[nsk++] = (struct route_skill){skill_names[s], m->level[s]};
    const char *langs[2];
    int nl = 0;
    for (int l = 0; l < 2; l++)
        if ((m->langs >> l) & 1u) langs[nl++] = lang_names[l];
    int64_t teams[NT];
    int nt = 0;
    for (int t = 0; t < NT; t++)
        if ((m->teams >> t) & 1u) teams[nt++] = team_id(t);
    struct route_adviser_def d = {.id = adv_id(a),
                                  .teams = teams,
                                  .n_teams = (size_t)nt,
                                  .skills = sk,
                                  .n_skills = (size_t)nsk,
                                  .languages = langs,
                                  .n_languages = (size_t)nl,
                                  .capacity_milli = m->cap,
                                  .wrapup_ms = m->wrapup_ms,
                                  .accept_required = m->accept_required,
                                  .accept_timeout_ms = 20000};
    memcpy(d.weight_milli, m->w, sizeof(m->w));
    struct parley_err err;
    assert_int_equal(route_adviser_put(e, &d, now, &err), 0);
}

static void setup_world(struct route_engine *e)
{
    struct parley_err err;
    for (int t = 0; t < NT; t++) {
        struct route_team_def td = {.id = team_id(t), .specialist = t == 2};
        assert_int_equal(route_team_put(e, &td, 0, &err), 0);
    }
    /* Q0: s0>=3, en, steps relax 1 at 30 s, 2 at 90 s. Q1: s1>=2, team 0, team 1 joins at
     * 60 s. Q2: anything, class +1. Q3: s2>=4 and s3>=1, cy, relax 3 at 45 s. */
    Q[0] = (struct m_queue){.nreq = 1,
                            .req_skill = {0},
                            .req_level = {3},
                            .lang = 0,
                            .nsteps = 2,
                            .after = {30000, 90000},
                            .relax = {1, 2}};
    Q[1] = (struct m_queue){.nreq = 1,
                            .req_skill = {1},
                            .req_level = {2},
                            .lang = -1,
                            .teams = 1u,
                            .nsteps = 1,
                            .after = {60000},
                            .add_teams = {2u}};
    Q[2] = (struct m_queue){.lang = -1, .class_ = 1};
    Q[3] = (struct m_queue){.nreq = 2,
                            .req_skill = {2, 3},
                            .req_level = {4, 1},
                            .lang = 1,
                            .nsteps = 1,
                            .after = {45000},
                            .relax = {3}};
    for (int qi = 0; qi < NQ; qi++) put_queue(e, qi);
    for (int a = 0; a < NA; a++) {
        A[a] = (struct m_adv){.presence = ROUTE_OFFLINE, .cap = 3000, .w = {1000, 3000, 600}};
        if (a % 4 == 1) A[a].w[1] = 0; /* takes no voice */
        if (a % 3 == 0) A[a].accept_required = true;
        if (a % 5 == 2) A[a].wrapup_ms = 5000 + 1000 * pick(10);
        put_adviser(e, a, true);
    }
}

static void put_queue(struct route_engine *e, int qi)
{
    struct parley_err err;
    {
        const struct m_queue *m = &Q[qi];
        struct route_skill_req req[2];
        for (int i = 0; i < m->nreq; i++)
            req[i] = (struct route_skill_req){skill_names[m->req_skill[i]], m->req_level[i]};
        int64_t teams[NT], add[2][NT];
        int nt = 0;
        for (int t = 0; t < NT; t++)
            if ((m->teams >> t) & 1u) teams[nt++] = team_id(t);
        struct route_step steps[2];
        for (int s = 0; s < m->nsteps; s++) {
            int na = 0;
            for (int t = 0; t < NT; t++)
                if ((m->add_teams[s] >> t) & 1u) add[s][na++] = team_id(t);
            steps[s] = (struct route_step){.after_ms = m->after[s],
                                           .relax_levels = m->relax[s],
                                           .add_teams = add[s],
                                           .n_add_teams = (size_t)na};
        }
        struct route_queue_def qd = {.id = queue_id(qi),
                                     .skills = req,
                                     .n_skills = (size_t)m->nreq,
                                     .language = m->lang >= 0 ? lang_names[m->lang] : NULL,
                                     .priority_class = m->class_,
                                     .teams = teams,
                                     .n_teams = (size_t)nt,
                                     .steps = steps,
                                     .n_steps = (size_t)m->nsteps};
        assert_int_equal(route_queue_put(e, &qd, now, &err), 0);
    }
}

/* ---- steps ---- */

static int random_live(int state_mask)
{
    for (int tries = 0; tries < 8 && nlive > 0; tries++) {
        int c = (int)live_ids[pick(nlive)];
        if ((1 << C[c].state) & state_mask) return c;
    }
    return -1;
}

static void forget(int c)
{
    for (int i = 0; i < nlive; i++)
        if (live_ids[i] == c) {
            live_ids[i] = live_ids[--nlive];
            break;
        }
    C[c].state = M_NONE;
}

static void release(int c) /* the model's side of work leaving its adviser */
{
    if (C[c].adviser >= 0) A[C[c].adviser].load -= A[C[c].adviser].w[C[c].channel];
}

static int next_conv = 1;

static void step_once(struct route_engine *e)
{
    struct parley_err err;
    int r = pick(100);
    uint64_t waiting = 0;
    for (int i = 0; i < nlive; i++) waiting += C[live_ids[i]].state == M_WAITING;
    if (r < 30 && waiting < 60 && next_conv < MAXC) { /* arrival */
        int c = next_conv++, q = pick(NQ);
        int ch = pick(10) < 6 ? 0 : pick(2) ? 1 : 2;
        C[c] = (struct m_conv){.state = M_WAITING,
                               .queue = q,
                               .team = -1,
                               .channel = ch,
                               .base = pick(4),
                               .adviser = -1,
                               .excluded = -1,
                               .vulnerable = pick(10) == 0,
                               .head = pick(30) == 0,
                               .customer = 1 + pick(30),
                               .enq = now - pick(5000),
                               .seq = ++seq};
        live_ids[nlive++] = c;
        struct route_work w = {.conversation_id = c,
                               .customer_id = C[c].customer,
                               .queue_id = queue_id(q),
                               .channel = ch,
                               .priority = C[c].base,
                               .vulnerable = C[c].vulnerable,
                               .enqueued_ms = C[c].enq,
                               .preferred_adviser_id = pick(20) == 0 ? adv_id(pick(NA)) : 0,
                               .to_head = C[c].head};
        assert_int_equal(route_enqueue(e, &w, now, &err), 0);
    } else if (r < 50) { /* time passes */
        now += 1 + pick(pick(4) == 0 ? 30000 : 3000);
        route_tick(e, now);
    } else if (r < 65) { /* completion */
        int c = random_live(1 << M_OFFERED | 1 << M_ACCEPTED);
        if (c < 0) return;
        int a = C[c].adviser;
        release(c);
        A[a].wrapup_until = A[a].wrapup_ms > 0 ? now + A[a].wrapup_ms : 0;
        forget(c);
        assert_int_equal(route_complete(e, c, now, &err), 0);
    } else if (r < 75) { /* accept */
        int c = random_live(1 << M_OFFERED);
        if (c < 0) return;
        C[c].state = M_ACCEPTED;
        assert_int_equal(route_accept(e, c, adv_id(C[c].adviser), now, &err), 0);
    } else if (r < 78) { /* decline: the engine reports the requeue */
        int c = random_live(1 << M_OFFERED | 1 << M_ACCEPTED);
        if (c < 0) return;
        assert_int_equal(route_decline(e, c, adv_id(C[c].adviser), now, &err), 0);
        assert_true(C[c].state != M_OFFERED || C[c].adviser >= 0);
    } else if (r < 81) { /* withdrawal */
        int c = random_live(1 << M_WAITING | 1 << M_OFFERED | 1 << M_ACCEPTED);
        if (c < 0) return;
        release(c);
        forget(c);
        assert_int_equal(route_withdraw(e, c, now, &err), 0);
    } else if (r < 90) { /* presence */
        int a = pick(NA), p = pick(3);
        A[a].presence = p;
        assert_int_equal(route_presence(e, adv_id(a), (enum route_presence)p, now, &err), 0);
    } else if (r < 93) { /* skill, language and team change */
        put_adviser(e, pick(NA), true);
    } else if (r < 94) { /* configuration */
        int k = pick(3);
        if (k == 0) { /* an adviser removed (all their work requeued), then added again */
            int a = pick(NA);
            A[a].presence = ROUTE_OFFLINE;
            assert_int_equal(route_adviser_remove(e, adv_id(a), now, &err), 0);
            assert_int_equal(A[a].load, 0);
            for (int i = 0; i < nlive; i++)
                if (C[live_ids[i]].excluded == a) C[live_ids[i]].excluded = -1;
            A[a].wrapup_until = 0;
            put_adviser(e, a, true);
        } else if (k == 1) { /* the specialist team stops or starts being one */
            spec_flag = !spec_flag;
            struct route_team_def td = {.id = team_id(2), .specialist = spec_flag};
            assert_int_equal(route_team_put(e, &td, now, &err), 0);
        } else { /* queue 1: other level, other step time */
            Q[1].req_level[0] = Q[1].req_level[0] == 2 ? 4 : 2;
            Q[1].after[0] = Q[1].after[0] == 60000 ? 20000 : 60000;
            put_queue(e, 1);
        }
    } else { /* transfer */
        int c = random_live(1 << M_WAITING | 1 << M_OFFERED | 1 << M_ACCEPTED);
        if (c < 0) return;
        int kind = pick(3), from = C[c].adviser;
        if (kind == 0) {
            int b = pick(NA);
            bool ok = b != from && available(b, now) && room(b, C[c].channel);
            if (b == from) {
                assert_int_equal(route_transfer_to_adviser(e, c, adv_id(b), now, &err),
                                 PARLEY_ECONFLICT);
                return;
            }
            if (!ok) {
                assert_int_equal(route_transfer_to_adviser(e, c, adv_id(b), now, &err),
                                 PARLEY_EBUSY);
                return;
            }
            release(c);
            C[c].state = M_MOVING;
            C[c].team = -1;
            C[c].adviser = -1;
            assert_int_equal(route_transfer_to_adviser(e, c, adv_id(b), now, &err), 0);
            assert_int_equal(C[c].adviser, b);
            return;
        }
        release(c);
        C[c].state = M_WAITING;
        C[c].adviser = -1;
        C[c].excluded = from;
        if (kind == 1) {
            int t = pick(NT);
            C[c].team = t;
            assert_int_equal(route_transfer_to_team(e, c, team_id(t), now, &err), 0);
        } else {
            int q = pick(NQ);
            C[c].queue = q;
            C[c].team = -1;
            C[c].enq = now;
            C[c].head = false;
            C[c].seq = ++seq;
            assert_int_equal(route_transfer_to_queue(e, c, queue_id(q), now, &err), 0);
        }
    }
}

static void check_world(struct route_engine *e)
{
    uint64_t waiting = 0, offered = 0, accepted = 0;
    int free_adv[NA], nfree = 0;
    for (int a = 0; a < NA; a++) {
        struct route_adviser_info ai;
        assert_int_equal(route_adviser_get(e, adv_id(a), &ai), 0);
        assert_int_equal(ai.load_milli, A[a].load);
        assert_int_equal((int)ai.presence, A[a].presence);
        assert_true(A[a].load <= A[a].cap);
        if (available(a, now)) free_adv[nfree++] = a;
    }
    for (int i = 0; i < nlive; i++) {
        int c = (int)live_ids[i];
        const struct m_conv *x = &C[c];
        if (x->state == M_WAITING) {
            waiting++;
            for (int k = 0; k < nfree; k++)
                if (eligible(c, free_adv[k], now))
                    fail_msg("conversation %d waits while adviser %d is eligible and free", c,
                             free_adv[k]);
        } else if (x->state == M_OFFERED) {
            offered++;
            assert_int_equal(A[x->adviser].presence, ROUTE_ONLINE);
            assert_true(x->deadline > now);
        } else {
            assert_int_equal(x->state, M_ACCEPTED);
            accepted++;
        }
    }
    struct route_stats st;
    route_engine_stats(e, &st);
    assert_int_equal(st.waiting, waiting);
    assert_int_equal(st.offered, offered);
    assert_int_equal(st.accepted, accepted);
    assert_int_equal(st.specialists_online, (uint32_t)specialists_online());
}

static void random_operations_keep_every_invariant(void **state)
{
    const char *s = getenv("ROUTE_TEST_SEED");
    const char *n = getenv("ROUTE_TEST_STEPS");
    uint64_t seed = s ? strtoull(s, NULL, 10) : 20261201;
    long steps = n ? strtol(n, NULL, 10) : 100000;
    printf("route random test: seed=%llu steps=%ld (ROUTE_TEST_SEED / ROUTE_TEST_STEPS)\n",
           (unsigned long long)seed, steps);
    rng = seed * 2654435761u + 1;
    now = 1700000000000;
    struct route_config cfg = {.sticky_window_ms = 600000,
                               .sticky_capacity = 8,
                               .ageing_milli_per_min = RATE,
                               .away_on_accept_timeout = true};
    struct route_engine *e;
    struct parley_err err;
    assert_int_equal(route_engine_new(&cfg, on_decision, NULL, &e, &err), 0);
    setup_world(e);
    for (long i = 0; i < steps; i++) {
        step_once(e);
        check_world(e);
    }
    printf("route random test: %ld assignments, %ld requeues, %d conversations\n", assigns,
           requeues, next_conv - 1);
    assert_true(assigns > steps / 10);
    assert_true(requeues > 100);
    route_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_operations_keep_every_invariant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
