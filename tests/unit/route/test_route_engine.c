/* Unit tests for the routing engine (src/route/route_engine*.c): one small scenario per rule
 * of docs/routing.md. The randomised invariant test is in test_route_random.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "route/route_engine.h"

enum { CHAT = 0, VOICE = 1, EMAIL = 2 };
#define SEC 1000
#define MIN 60000

struct rec {
    struct route_decision d[256];
    char why[256][32];
    int n;
};

static void record(void *ctx, const struct route_decision *d)
{
    struct rec *r = ctx;
    if (r->n >= 256) return;
    r->d[r->n] = *d;
    snprintf(r->why[r->n], sizeof(r->why[0]), "%s", route_reason_name(d->reason));
    if (d->reason == ROUTE_REASON_RELAXED)
        snprintf(r->why[r->n], sizeof(r->why[0]), "relaxed step %d", d->step);
    r->n++;
}

struct fx {
    struct route_engine *e;
    struct rec rec;
    struct parley_err err;
};

static struct fx *fx_new(const struct route_config *cfg)
{
    static struct fx f;
    memset(&f, 0, sizeof(f));
    assert_int_equal(route_engine_new(cfg, record, &f.rec, &f.e, &f.err), 0);
    return &f;
}

static void team(struct fx *f, int64_t id, bool specialist)
{
    struct route_team_def t = {.id = id, .specialist = specialist};
    assert_int_equal(route_team_put(f->e, &t, 0, &f->err), 0);
}

/* An adviser taking 3 chats (1000 of 3000), or 1 voice (3000), or 5 emails (600). */
static void adviser(struct fx *f, int64_t id, const char *skill, int level, const char *lang,
                    int64_t team_id, int64_t now)
{
    struct route_skill sk = {skill, level};
    const char *langs[1] = {lang};
    struct route_adviser_def a = {
        .id = id,
        .teams = &team_id,
        .n_teams = team_id ? 1 : 0,
        .skills = &sk,
        .n_skills = skill ? 1 : 0,
        .languages = langs,
        .n_languages = lang ? 1 : 0,
        .capacity_milli = 3000,
        .weight_milli = {[CHAT] = 1000, [VOICE] = 3000, [EMAIL] = 600},
    };
    assert_int_equal(route_adviser_put(f->e, &a, now, &f->err), 0);
}

/* An adviser taking 3 chats who must accept each offer within 20 s. */
static void accepting_adviser(struct fx *f, int64_t id)
{
    struct route_adviser_def a = {.id = id,
                                  .capacity_milli = 3000,
                                  .weight_milli = {[CHAT] = 1000},
                                  .accept_required = true,
                                  .accept_timeout_ms = 20 * SEC};
    assert_int_equal(route_adviser_put(f->e, &a, 0, &f->err), 0);
}

static void online(struct fx *f, int64_t id, int64_t now)
{
    assert_int_equal(route_presence(f->e, id, ROUTE_ONLINE, now, &f->err), 0);
}

static void queue(struct fx *f, int64_t id, const char *skill, int level, const char *lang)
{
    struct route_skill_req r = {skill, level};
    struct route_queue_def q = {
        .id = id, .skills = &r, .n_skills = skill ? 1 : 0, .language = lang};
    assert_int_equal(route_queue_put(f->e, &q, 0, &f->err), 0);
}

static int enqueue(struct fx *f, int64_t conv, int64_t customer, int64_t q, int ch, int prio,
                   int64_t now)
{
    struct route_work w = {.conversation_id = conv,
                           .customer_id = customer,
                           .queue_id = q,
                           .channel = ch,
                           .priority = prio,
                           .enqueued_ms = now};
    return route_enqueue(f->e, &w, now, &f->err);
}

static int64_t assignee(struct fx *f, int64_t conv)
{
    struct route_conv_info ci;
    if (route_conv_get(f->e, conv, &ci) != 0 || ci.state == ROUTE_WAITING) return 0;
    return ci.adviser_id;
}

static const struct route_decision *last(struct fx *f)
{
    assert_true(f->rec.n > 0);
    return &f->rec.d[f->rec.n - 1];
}

static void skills_at_level_and_language_decide_eligibility(void **state)
{
    struct fx *f = fx_new(NULL);
    queue(f, 1, "billing", 3, "cy");
    adviser(f, 10, "billing", 2, "cy", 0, 0); /* level too low */
    adviser(f, 11, "billing", 5, "en", 0, 0); /* wrong language */
    adviser(f, 12, "billing", 3, "cy", 0, 0);
    online(f, 10, 0);
    online(f, 11, 0);
    assert_int_equal(enqueue(f, 100, 0, 1, CHAT, 1, 1000), 0);
    assert_int_equal(assignee(f, 100), 0); /* nobody eligible: it waits */
    online(f, 12, 2000);
    assert_int_equal(assignee(f, 100), 12); /* the freed (new) adviser takes it */
    assert_string_equal(f->rec.why[f->rec.n - 1], "priority");
    assert_int_equal(last(f)->at_ms, 2000);
    assert_int_equal(last(f)->waited_ms, 1000);
    route_engine_free(f->e);
}

static void capacity_weights_are_never_exceeded(void **state)
{
    struct fx *f = fx_new(NULL);
    queue(f, 1, NULL, 0, NULL);
    adviser(f, 10, NULL, 0, NULL, 0, 0);
    online(f, 10, 0);
    for (int i = 0; i < 4; i++) assert_int_equal(enqueue(f, 100 + i, 0, 1, CHAT, 1, 10 + i), 0);
    assert_int_equal(assignee(f, 100), 10);
    assert_int_equal(assignee(f, 102), 10);
    assert_int_equal(assignee(f, 103), 0); /* a 4th chat would be 4000 of 3000 */
    assert_int_equal(enqueue(f, 200, 0, 1, VOICE, 3, 20), 0);
    assert_int_equal(assignee(f, 200), 0); /* voice needs the whole budget */
    assert_int_equal(route_complete(f->e, 100, 30, &f->err), 0);
    /* the voice call outranks the chat but does not fit in 1000: the chat goes */
    assert_int_equal(assignee(f, 103), 10);
    assert_int_equal(assignee(f, 200), 0);
    struct route_adviser_info ai;
    assert_int_equal(route_adviser_get(f->e, 10, &ai), 0);
    assert_int_equal(ai.load_milli, 3000);
    /* emails weigh 600: after two chats finish, 2000 frees and three emails fit */
    assert_int_equal(route_complete(f->e, 101, 40, &f->err), 0);
    assert_int_equal(route_complete(f->e, 102, 41, &f->err), 0);
    assert_int_equal(assignee(f, 200), 0);
    for (int i = 0; i < 4; i++) assert_int_equal(enqueue(f, 300 + i, 0, 1, EMAIL, 1, 50), 0);
    assert_int_equal(route_adviser_get(f->e, 10, &ai), 0);
    assert_int_equal(ai.load_milli, 1000 + 3 * 600);
    assert_int_equal(assignee(f, 303), 0);
    route_engine_free(f->e);
}

static void least_occupied_then_longest_idle(void **state)
{
    struct fx *f = fx_new(NULL);
    queue(f, 1, NULL, 0, NULL);
    adviser(f, 10, NULL, 0, NULL, 0, 0);
    adviser(f, 11, NULL, 0, NULL, 0, 0);
    online(f, 11, 100); /* idle since 100 */
    online(f, 10, 200); /* idle since 200 */
    assert_int_equal(enqueue(f, 1, 0, 1, CHAT, 1, 300), 0);
    assert_int_equal(assignee(f, 1), 11);
    assert_string_equal(f->rec.why[f->rec.n - 1], "longest idle");
    assert_int_equal(enqueue(f, 2, 0, 1, CHAT, 1, 400), 0);
    assert_int_equal(assignee(f, 2), 10);
    assert_int_equal(enqueue(f, 3, 0, 1, CHAT, 1, 500), 0);
    assert_int_equal(assignee(f, 3), 11); /* 1/3 each: 11 idle since 300, 10 since 400 */
    assert_int_equal(route_complete(f->e, 2, 600, &f->err), 0);
    assert_int_equal(enqueue(f, 4, 0, 1, CHAT, 1, 700), 0);
    assert_int_equal(assignee(f, 4), 10); /* 0/3 against 2/3 */
    assert_string_equal(f->rec.why[f->rec.n - 1], "least occupied");
    route_engine_free(f->e);
}

static void sticky_adviser_first_within_the_window(void **state)
{
    struct route_config cfg = {.sticky_window_ms = 10 * MIN};
    struct fx *f = fx_new(&cfg);
    queue(f, 1, NULL, 0, NULL);
    adviser(f, 10, NULL, 0, NULL, 0, 0);
    adviser(f, 11, NULL, 0, NULL, 0, 0);
    online(f, 10, 0);
    online(f, 11, 0);
    assert_int_equal(enqueue(f, 1, 555, 1, CHAT, 1, 10), 0);
    int64_t first = assignee(f, 1);
    assert_int_equal(enqueue(f, 2, 777, 1, CHAT, 1, 20), 0); /* the other adviser */
    assert_int_equal(enqueue(f, 3, 778, 1, CHAT, 1, 30), 0);
    assert_int_equal(route_complete(f->e, 1, 1 * MIN, &f->err), 0);
    /* customer 555 again: its adviser is now busier than the other (1 vs 1... make sure) */
    int64_t other = first == 10 ? 11 : 10;
    assert_int_equal(route_complete(f->e, assignee(f, 2) == other ? 2 : 3, 1 * MIN + 1, &f->err),
                     0);
    assert_int_equal(enqueue(f, 4, 555, 1, CHAT, 1, 2 * MIN), 0);
    assert_int_equal(assignee(f, 4), first);
    assert_string_equal(f->rec.why[f->rec.n - 1], "sticky");
    assert_int_equal(route_complete(f->e, 4, 3 * MIN, &f->err), 0);
    /* outside the window stickiness no longer applies */
    assert_int_equal(enqueue(f, 5, 555, 1, CHAT, 1, 20 * MIN), 0);
    assert_string_not_equal(f->rec.why[f->rec.n - 1], "sticky");
    route_engine_free(f->e);
}

static void sticky_memory_is_bounded(void **state)
{
    struct route_config cfg = {.sticky_window_ms = 60 * MIN, .sticky_capacity = 2};
    struct fx *f = fx_new(&cfg);
    queue(f, 1, NULL, 0, NULL);
    adviser(f, 10, NULL, 0, NULL, 0, 0);
    adviser(f, 11, NULL, 0, NULL, 0, 0);
    assert_int_equal(route_sticky_note(f->e, 1, 10, 0, &f->err), 0);
    assert_int_equal(route_sticky_note(f->e, 2, 10, 0, &f->err), 0);
    assert_int_equal(route_sticky_note(f->e, 3, 10, 0, &f->err), 0); /* forgets customer 1 */
    online(f, 11, 5); /* idle longer: wins without stickiness */
    online(f, 10, 10);
    assert_int_equal(enqueue(f, 100, 1, 1, CHAT, 1, 20), 0);
    assert_int_equal(assignee(f, 100), 11);
    assert_int_equal(enqueue(f, 101, 3, 1, CHAT, 1, 30), 0);
    assert_int_equal(assignee(f, 101), 10);
    assert_string_equal(f->rec.why[f->rec.n - 1], "sticky");
    route_engine_free(f->e);
}

static void vulnerable_work_waits_for_an_online_specialist(void **state)
{
    struct fx *f = fx_new(NULL);
    team(f, 7, true);
    queue(f, 1, NULL, 0, NULL);
    adviser(f, 10, NULL, 0, NULL, 0, 0);
    adviser(f, 20, NULL, 0, NULL, 7, 0);
    online(f, 10, 0);
    online(f, 20, 0);
    struct route_work v = {.conversation_id = 1,
                           .queue_id = 1,
                           .channel = VOICE,
                           .vulnerable = true,
                           .enqueued_ms = 10};
    assert_int_equal(route_enqueue(f->e, &v, 10, &f->err), 0);
    assert_int_equal(assignee(f, 1), 20);
    assert_string_equal(f->rec.why[f->rec.n - 1], "specialist");
    /* the specialist is full (online, not free): vulnerable work waits for them */
    v.conversation_id = 2;
    assert_int_equal(route_enqueue(f->e, &v, 20, &f->err), 0);
    assert_int_equal(assignee(f, 2), 0);
    /* ordinary work is not restricted */
    assert_int_equal(enqueue(f, 3, 0, 1, CHAT, 1, 30), 0);
    assert_int_equal(assignee(f, 3), 10);
    /* with no specialist online it goes to anyone eligible */
    assert_int_equal(route_presence(f->e, 20, ROUTE_OFFLINE, 40, &f->err), 0);
    assert_int_equal(route_complete(f->e, 3, 41, &f->err), 0);
    assert_int_equal(assignee(f, 2), 10);
    assert_int_equal(assignee(f, 1), 20); /* accepted work stays with the offline adviser */
    route_engine_free(f->e);
}

static void expanding_steps_relax_levels_then_add_teams(void **state)
{
    struct fx *f = fx_new(NULL);
    team(f, 1, false);
    team(f, 2, false);
    int64_t t1 = 1, t2 = 2;
    struct route_skill_req r = {"billing", 4};
    struct route_step steps[2] = {
        {.after_ms = 30 * SEC, .relax_levels = 2},
        {.after_ms = 90 * SEC, .relax_levels = 2, .add_teams = &t2, .n_add_teams = 1}};
    struct route_queue_def q = {.id = 1,
                                .skills = &r,
                                .n_skills = 1,
                                .teams = &t1,
                                .n_teams = 1,
                                .steps = steps,
                                .n_steps = 2};
    assert_int_equal(route_queue_put(f->e, &q, 0, &f->err), 0);
    adviser(f, 10, "billing", 2, NULL, 1, 0); /* team 1, level 2 */
    adviser(f, 20, "billing", 5, NULL, 2, 0); /* team 2, level 5 */
    online(f, 10, 0);
    online(f, 20, 0);
    assert_int_equal(enqueue(f, 1, 0, 1, CHAT, 1, 0), 0);
    assert_int_equal(route_tick(f->e, 29 * SEC), 30 * SEC);
    assert_int_equal(assignee(f, 1), 0);
    route_tick(f->e, 30 * SEC);
    assert_int_equal(assignee(f, 1), 10);
    assert_string_equal(f->rec.why[f->rec.n - 1], "relaxed step 1");
    assert_int_equal(last(f)->at_ms, 30 * SEC);
    /* the next one needs step 2 (team 2 joins) once 10 is full */
    assert_int_equal(enqueue(f, 2, 0, 1, VOICE, 1, 40 * SEC), 0);
    assert_int_equal(assignee(f, 2), 0);
    route_tick(f->e, 200 * SEC); /* due at 130 s */
    assert_int_equal(assignee(f, 2), 20);
    assert_string_equal(f->rec.why[f->rec.n - 1], "relaxed step 2");
    assert_int_equal(last(f)->at_ms, 130 * SEC);
    route_engine_free(f->e);
}

static void freed_adviser_takes_effective_priority_then_longest_waiting(void **state)
{
    struct route_config cfg = {.ageing_milli_per_min = 1000}; /* +1 point per minute */
    struct fx *f = fx_new(&cfg);
    queue(f, 1, NULL, 0, NULL);
    struct route_queue_def vip = {.id = 2, .priority_class = 1};
    assert_int_equal(route_queue_put(f->e, &vip, 0, &f->err), 0);
    adviser(f, 10, NULL, 0, NULL, 0, 0);
    assert_int_equal(enqueue(f, 1, 0, 1, CHAT, 0, 0), 0);            /* 0 + 10 min ageing = 10 */
    assert_int_equal(enqueue(f, 2, 0, 1, CHAT, 3, 9 * MIN), 0);      /* 3 + 1 = 4 */
    assert_int_equal(enqueue(f, 3, 0, 2, CHAT, 3, 5 * MIN), 0);      /* 3 + 1 + 5 = 9 */
    assert_int_equal(enqueue(f, 4, 0, 2, CHAT, 3, 5 * MIN), 0);      /* same, arrived after 3 */
    assert_int_equal(enqueue(f, 5, 0, 1, CHAT, 8, 10 * MIN - 1), 0); /* ~8 */
    struct route_conv_info ci;
    assert_int_equal(route_conv_get(f->e, 1, &ci), 0);
    assert_true(ci.effective_priority > 9.99 && ci.effective_priority < 10.01);
    online(f, 10, 10 * MIN); /* takes three: 1 (10), 3 (9), 4 (9, later) */
    assert_int_equal(assignee(f, 1), 10);
    assert_int_equal(assignee(f, 3), 10);
    assert_int_equal(assignee(f, 4), 10);
    assert_int_equal(assignee(f, 5), 0);
    assert_int_equal(f->rec.d[0].conversation_id, 1);
    assert_int_equal(f->rec.d[1].conversation_id, 3);
    assert_int_equal(f->rec.d[2].conversation_id, 4);
    assert_string_equal(f->rec.why[0], "priority");
    route_engine_free(f->e);
}

static void offline_returns_unaccepted_work_to_the_head(void **state)
{
    struct fx *f = fx_new(NULL);
    queue(f, 1, NULL, 0, NULL);
    accepting_adviser(f, 10);
    online(f, 10, 0);
    assert_int_equal(enqueue(f, 1, 0, 1, CHAT, 0, 10), 0);
    assert_int_equal(enqueue(f, 2, 0, 1, CHAT, 0, 20), 0);
    assert_true(last(f)->needs_accept);
    assert_int_equal(last(f)->accept_deadline_ms, 20 + 20 * SEC);
    assert_int_equal(route_accept(f->e, 1, 10, 30, &f->err), 0);
    assert_int_equal(route_accept(f->e, 1, 11, 30, &f->err), PARLEY_ECONFLICT);
    assert_int_equal(enqueue(f, 3, 0, 1, CHAT, 9, 40), 0); /* higher priority, offered */
    assert_int_equal(route_presence(f->e, 10, ROUTE_OFFLINE, 50, &f->err), 0);
    assert_int_equal(assignee(f, 1), 10); /* accepted: stays */
    assert_int_equal(assignee(f, 2), 0);
    assert_int_equal(assignee(f, 3), 0);
    assert_int_equal(last(f)->kind, ROUTE_REQUEUE);
    assert_string_equal(f->rec.why[f->rec.n - 1], "adviser offline");
    /* back at the head: before far more urgent new work */
    assert_int_equal(enqueue(f, 4, 0, 1, CHAT, 100, 60), 0);
    struct route_adviser_def b = {
        .id = 11, .capacity_milli = 2000, .weight_milli = {[CHAT] = 1000}};
    assert_int_equal(route_adviser_put(f->e, &b, 70, &f->err), 0);
    online(f, 11, 80);
    assert_int_equal(assignee(f, 2), 11);
    assert_int_equal(assignee(f, 3), 11);
    assert_int_equal(assignee(f, 4), 0);
    route_engine_free(f->e);
}

static void accept_timeout_and_decline_move_work_on(void **state)
{
    struct route_config cfg = {.away_on_accept_timeout = true};
    struct fx *f = fx_new(&cfg);
    queue(f, 1, NULL, 0, NULL);
    accepting_adviser(f, 10);
    accepting_adviser(f, 11);
    online(f, 10, 0);
    online(f, 11, 1);
    assert_int_equal(enqueue(f, 1, 0, 1, CHAT, 0, 10), 0);
    assert_int_equal(assignee(f, 1), 10);
    assert_int_equal(route_decline(f->e, 1, 10, 20, &f->err), 0);
    assert_int_equal(assignee(f, 1), 11); /* not offered to 10 again */
    assert_string_equal(f->rec.why[f->rec.n - 2], "declined");
    /* 11 lets it time out: back to 10, and 11 is set away */
    route_tick(f->e, 20 + 20 * SEC);
    assert_int_equal(assignee(f, 1), 10);
    struct route_adviser_info ai;
    assert_int_equal(route_adviser_get(f->e, 11, &ai), 0);
    assert_int_equal(ai.presence, ROUTE_AWAY);
    bool timeout = false, away = false;
    for (int i = 0; i < f->rec.n; i++) {
        timeout |=
            f->rec.d[i].kind == ROUTE_REQUEUE && f->rec.d[i].reason == ROUTE_REASON_ACCEPT_TIMEOUT;
        away |= f->rec.d[i].kind == ROUTE_PRESENCE_CHANGED && f->rec.d[i].adviser_id == 11 &&
                f->rec.d[i].presence == ROUTE_AWAY;
    }
    assert_true(timeout);
    assert_true(away);
    route_engine_free(f->e);
}

static void wrapup_blocks_new_work_until_it_ends(void **state)
{
    struct fx *f = fx_new(NULL);
    queue(f, 1, NULL, 0, NULL);
    struct route_adviser_def a = {
        .id = 10, .capacity_milli = 3000, .weight_milli = {[CHAT] = 1000}, .wrapup_ms = 30 * SEC};
    assert_int_equal(route_adviser_put(f->e, &a, 0, &f->err), 0);
    online(f, 10, 0);
    assert_int_equal(enqueue(f, 1, 0, 1, CHAT, 0, 10), 0);
    assert_int_equal(route_complete(f->e, 1, 1000, &f->err), 0);
    assert_int_equal(enqueue(f, 2, 0, 1, CHAT, 0, 2000), 0);
    assert_int_equal(assignee(f, 2), 0);
    assert_int_equal(route_next_due(f->e), 31000);
    route_tick(f->e, 40000);
    assert_int_equal(assignee(f, 2), 10);
    assert_int_equal(last(f)->at_ms, 31000);
    route_engine_free(f->e);
}

static void transfers_to_adviser_team_and_queue(void **state)
{
    struct fx *f = fx_new(NULL);
    team(f, 5, false);
    queue(f, 1, NULL, 0, NULL);
    queue(f, 2, "gas", 3, NULL);
    adviser(f, 10, NULL, 0, NULL, 0, 0);
    adviser(f, 11, NULL, 0, NULL, 5, 0);
    adviser(f, 12, "gas", 4, NULL, 0, 0);
    online(f, 10, 0);
    assert_int_equal(enqueue(f, 1, 0, 1, VOICE, 0, 10), 0);
    assert_int_equal(assignee(f, 1), 10);
    /* to an adviser who is offline: refused, nothing changes */
    assert_int_equal(route_transfer_to_adviser(f->e, 1, 11, 20, &f->err), PARLEY_EBUSY);
    assert_int_equal(assignee(f, 1), 10);
    /* to a team with nobody online: waits in the team's line; a member coming online takes it */
    assert_int_equal(route_transfer_to_team(f->e, 1, 5, 30, &f->err), 0);
    assert_int_equal(assignee(f, 1), 0);
    online(f, 11, 40);
    assert_int_equal(assignee(f, 1), 11);
    assert_string_equal(f->rec.why[f->rec.n - 1], "transfer");
    /* back to 10 directly */
    assert_int_equal(route_transfer_to_adviser(f->e, 1, 10, 50, &f->err), 0);
    assert_int_equal(assignee(f, 1), 10);
    assert_string_equal(f->rec.why[f->rec.n - 1], "transfer");
    /* to a queue needing gas 3: only 12 */
    online(f, 12, 60);
    assert_int_equal(route_transfer_to_queue(f->e, 1, 2, 70, &f->err), 0);
    assert_int_equal(assignee(f, 1), 12);
    struct route_conv_info ci;
    assert_int_equal(route_conv_get(f->e, 1, &ci), 0);
    assert_int_equal(ci.queue_id, 2);
    assert_int_equal(ci.enqueued_ms, 70);
    route_engine_free(f->e);
}

static void bad_input_is_refused_with_the_field(void **state)
{
    struct fx *f = fx_new(NULL);
    queue(f, 1, NULL, 0, NULL);
    struct route_skill_req bad = {"billing", 6};
    struct route_queue_def q = {.id = 2, .skills = &bad, .n_skills = 1};
    assert_int_equal(route_queue_put(f->e, &q, 0, &f->err), PARLEY_EINVAL);
    assert_string_equal(f->err.field, "skills");
    struct route_step st[2] = {{.after_ms = 50}, {.after_ms = 40}};
    struct route_queue_def q2 = {.id = 2, .steps = st, .n_steps = 2};
    assert_int_equal(route_queue_put(f->e, &q2, 0, &f->err), PARLEY_EINVAL);
    int64_t missing = 99;
    struct route_queue_def q3 = {.id = 2, .teams = &missing, .n_teams = 1};
    assert_int_equal(route_queue_put(f->e, &q3, 0, &f->err), PARLEY_ENOTFOUND);
    struct route_adviser_def a = {.id = 10, .capacity_milli = 3000, .accept_required = true};
    assert_int_equal(route_adviser_put(f->e, &a, 0, &f->err), PARLEY_EINVAL);
    assert_string_equal(f->err.field, "accept_timeout_ms");
    assert_int_equal(enqueue(f, 1, 0, 9, CHAT, 0, 0), PARLEY_ENOTFOUND);
    assert_int_equal(enqueue(f, 1, 0, 1, 8, 0, 0), PARLEY_EINVAL);
    assert_int_equal(enqueue(f, 1, 0, 1, CHAT, 0, 0), 0);
    assert_int_equal(enqueue(f, 1, 0, 1, CHAT, 0, 0), PARLEY_ECONFLICT);
    assert_int_equal(route_queue_remove(f->e, 1, 0, &f->err), PARLEY_ECONFLICT);
    assert_int_equal(route_complete(f->e, 1, 0, &f->err), PARLEY_ECONFLICT);
    assert_int_equal(route_withdraw(f->e, 1, 0, &f->err), 0);
    assert_int_equal(route_withdraw(f->e, 1, 0, &f->err), PARLEY_ENOTFOUND);
    assert_int_equal(route_queue_remove(f->e, 1, 0, &f->err), 0);
    assert_int_equal(route_presence(f->e, 77, ROUTE_ONLINE, 0, &f->err), PARLEY_ENOTFOUND);
    assert_int_equal(route_presence_parse("away"), ROUTE_AWAY);
    assert_int_equal(route_presence_parse("busy"), -1);
    struct route_stats st2;
    route_engine_stats(f->e, &st2);
    assert_int_equal(st2.queues, 0);
    assert_int_equal(st2.waiting, 0);
    route_engine_free(f->e);
    route_engine_free(NULL);
}

static void queue_redefinition_reroutes_waiting_work(void **state)
{
    struct fx *f = fx_new(NULL);
    queue(f, 1, "gas", 5, NULL);
    adviser(f, 10, "gas", 3, NULL, 0, 0);
    online(f, 10, 0);
    assert_int_equal(enqueue(f, 1, 0, 1, CHAT, 0, 10), 0);
    assert_int_equal(assignee(f, 1), 0);
    queue(f, 1, "gas", 3, NULL);
    assert_int_equal(assignee(f, 1), 10);
    /* skills learnt later count too */
    queue(f, 2, "power", 2, NULL);
    assert_int_equal(enqueue(f, 2, 0, 2, CHAT, 0, 20), 0);
    assert_int_equal(assignee(f, 2), 0);
    struct route_skill sk[2] = {{"gas", 3}, {"power", 2}};
    struct route_adviser_def a = {.id = 10,
                                  .skills = sk,
                                  .n_skills = 2,
                                  .capacity_milli = 3000,
                                  .weight_milli = {[CHAT] = 1000}};
    assert_int_equal(route_adviser_put(f->e, &a, 30, &f->err), 0);
    assert_int_equal(assignee(f, 2), 10);
    route_engine_free(f->e);
}

static void restored_assignments_count_and_offers_time_out_again(void **state)
{
    struct fx *f = fx_new(NULL);
    queue(f, 1, NULL, 0, NULL);
    accepting_adviser(f, 10);
    adviser(f, 11, NULL, 0, NULL, 0, 0);
    struct route_work w = {.conversation_id = 1, .queue_id = 1, .channel = CHAT, .enqueued_ms = 0};
    /* after a restart: 10 holds two chats, one not yet accepted; facts, not decisions */
    assert_int_equal(route_restore_assignment(f->e, &w, 10, true, 1000, &f->err), 0);
    w.conversation_id = 2;
    assert_int_equal(route_restore_assignment(f->e, &w, 10, false, 1000, &f->err), 0);
    assert_int_equal(route_restore_assignment(f->e, &w, 10, false, 1000, &f->err),
                     PARLEY_ECONFLICT);
    assert_int_equal(f->rec.n, 0);
    struct route_adviser_info ai;
    assert_int_equal(route_adviser_get(f->e, 10, &ai), 0);
    assert_int_equal(ai.load_milli, 2000);
    assert_int_equal(ai.n_assigned, 2);
    online(f, 10, 2000);
    online(f, 11, 2000);
    /* one chat of room left on 10, but 11 is less occupied */
    assert_int_equal(enqueue(f, 3, 0, 1, CHAT, 0, 3000), 0);
    assert_int_equal(assignee(f, 3), 11);
    /* the restored offer gets a fresh deadline from the restore (1000 + 20 s) */
    route_tick(f->e, 21000);
    assert_int_equal(assignee(f, 2), 11);
    assert_int_equal(f->rec.d[f->rec.n - 2].reason, ROUTE_REASON_ACCEPT_TIMEOUT);
    assert_int_equal(assignee(f, 1), 10);
    struct route_stats st;
    route_engine_stats(f->e, &st);
    assert_int_equal(st.accepted, 3);
    assert_int_equal(st.offered, 0);
    assert_int_equal(st.decisions, 3);
    route_engine_free(f->e);
}

static void removals_refuse_while_referenced_and_return_work(void **state)
{
    struct fx *f = fx_new(NULL);
    team(f, 5, false);
    int64_t t5 = 5;
    struct route_queue_def q = {.id = 1, .teams = &t5, .n_teams = 1};
    assert_int_equal(route_queue_put(f->e, &q, 0, &f->err), 0);
    adviser(f, 10, NULL, 0, NULL, 5, 0);
    adviser(f, 11, NULL, 0, NULL, 5, 0);
    assert_int_equal(route_team_remove(f->e, 5, 0, &f->err), PARLEY_ECONFLICT);
    online(f, 10, 0);
    assert_int_equal(enqueue(f, 1, 0, 1, CHAT, 0, 10), 0);
    assert_int_equal(assignee(f, 1), 10);
    online(f, 11, 20);
    /* removing 10 returns even accepted work, to the head of the queue: 11 takes it */
    assert_int_equal(route_adviser_remove(f->e, 10, 30, &f->err), 0);
    assert_int_equal(route_adviser_remove(f->e, 10, 30, &f->err), PARLEY_ENOTFOUND);
    assert_int_equal(assignee(f, 1), 11);
    assert_int_equal(f->rec.d[f->rec.n - 2].reason, ROUTE_REASON_ADVISER_REMOVED);
    assert_int_equal(route_complete(f->e, 1, 40, &f->err), 0);
    assert_int_equal(route_adviser_remove(f->e, 11, 50, &f->err), 0);
    assert_int_equal(route_team_remove(f->e, 5, 60, &f->err), PARLEY_ECONFLICT); /* queue 1 */
    assert_int_equal(route_queue_remove(f->e, 1, 60, &f->err), 0);
    assert_int_equal(route_team_remove(f->e, 5, 70, &f->err), 0);
    struct route_stats st;
    route_engine_stats(f->e, &st);
    assert_int_equal(st.teams, 0);
    assert_int_equal(st.advisers, 0);
    route_engine_free(f->e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(skills_at_level_and_language_decide_eligibility),
        cmocka_unit_test(capacity_weights_are_never_exceeded),
        cmocka_unit_test(least_occupied_then_longest_idle),
        cmocka_unit_test(sticky_adviser_first_within_the_window),
        cmocka_unit_test(sticky_memory_is_bounded),
        cmocka_unit_test(vulnerable_work_waits_for_an_online_specialist),
        cmocka_unit_test(expanding_steps_relax_levels_then_add_teams),
        cmocka_unit_test(freed_adviser_takes_effective_priority_then_longest_waiting),
        cmocka_unit_test(offline_returns_unaccepted_work_to_the_head),
        cmocka_unit_test(accept_timeout_and_decline_move_work_on),
        cmocka_unit_test(wrapup_blocks_new_work_until_it_ends),
        cmocka_unit_test(transfers_to_adviser_team_and_queue),
        cmocka_unit_test(bad_input_is_refused_with_the_field),
        cmocka_unit_test(queue_redefinition_reroutes_waiting_work),
        cmocka_unit_test(restored_assignments_count_and_offers_time_out_again),
        cmocka_unit_test(removals_refuse_while_referenced_and_return_work),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
