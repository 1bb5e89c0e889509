/* Unit tests for the bot's decisions (src/bot/bot_turn.c), driven turn by turn with a stand-in
 * environment: a keyword "model" in place of the NLU, fixed sentiment scores, a one-article
 * knowledge base and a recorded HTTP action. Whole conversations through the real server are in
 * tests/integration/test_bot.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "bot/bot_int.h"

#define NOW_MS 1796083200000LL

/* The stand-in world. */
struct world {
    double compound; /* sentiment of every message */
    bool distress;
    const char *cue; /* the distress cue, "cannot_cope" when NULL */
    bool action_ok;
    int action_calls;
    char action_body[512];
    char action_url[256];
};

/* Keyword "model": intent by a word in the text, 0.9 confident; "hmm" is low confidence. */
static int predict(void *ud, const char *text, size_t len, struct nlu_result *out)
{
    (void)ud;
    (void)len;
    static const struct {
        const char *word, *label;
    } table[] = {{"meter", "meter_reading"},   {"moving", "moving_home"},
                 {"died", "bereavement"},      {"complain", "complaint"},
                 {"hello", "greeting"},        {"tariff", "change_tariff"},
                 {"cancel", "cancel_contract"}};
    memset(out, 0, sizeof(*out));
    out->n = 1;
    out->top[0].label = "oos";
    out->top[0].p = 0.9;
    out->out_of_scope = true;
    if (strstr(text, "hmm") != NULL) {
        out->top[0].label = "billing_question";
        out->top[0].p = 0.2;
        out->out_of_scope = false;
        return 0;
    }
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strstr(text, table[i].word) != NULL) {
            out->top[0].label = table[i].label;
            out->out_of_scope = false;
        }
    return 0;
}

static void sentiment(void *ud, const char *text, size_t len, struct sentiment *out)
{
    struct world *w = ud;
    memset(out, 0, sizeof(*out));
    out->compound = w->compound;
    out->distress = w->distress;
    out->distress_cue = w->distress ? (w->cue != NULL ? w->cue : "cannot_cope") : NULL;
}

static int kb_search(void *ud, const char *query, struct bot_kb_answer *out, struct arena *a)
{
    if (strstr(query, "opening hours") == NULL) return PARLEY_ENOTFOUND;
    out->slug = "opening-hours";
    out->title = "Our opening hours";
    out->snippet = "We're open 8am to 8pm.";
    out->score = 9.0;
    return 0;
}

/* The organisation's system: records the request the turn stopped at, answers it. */
static int action(struct world *w, const struct bot_action_req *r, json_t **response)
{
    w->action_calls++;
    snprintf(w->action_url, sizeof(w->action_url), "%s", r->url);
    snprintf(w->action_body, sizeof(w->action_body), "%s", r->body != NULL ? r->body : "");
    *response = w->action_ok ? json_pack("{ss}", "reference", "MR-42") : NULL;
    return w->action_ok ? 0 : PARLEY_EIO;
}

static const char meter_flow[] =
    "{\"flow\": \"meter\", \"intents\": [\"meter_reading\"], \"steps\": ["
    " {\"id\": \"account\", \"type\": \"ask\", \"say\": \"Account number?\", \"slot\": \"account\","
    "  \"expect\": {\"type\": \"number\", \"integer\": true, \"min\": 1000, \"max\": 9999},"
    "  \"next\": \"submit\"},"
    " {\"id\": \"submit\", \"type\": \"action\", \"url\": \"{{parley_url}}/readings\","
    "  \"body\": {\"account\": \"{{account}}\"}, \"save\": {\"ref\": \"reference\"},"
    "  \"success\": \"done\", \"failure\": \"sorry\"},"
    " {\"id\": \"done\", \"type\": \"answer\", \"say\": \"Thanks, reference {{ref}}.\"},"
    " {\"id\": \"sorry\", \"type\": \"handoff\", \"reason\": \"action_failed\"}]}";

struct fixture {
    struct world w;
    struct bot_policy policy;
    struct flow_set set;
    struct flow *flows[1];
    struct bot_env env;
    struct bot_state s;
    struct arena a;
    struct bot_decision d;
};

static int setup(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof(f));
    bot_policy_defaults(&f.policy);
    struct parley_err err = {0};
    assert_int_equal(
        flow_load_buffer("meter.json", meter_flow, strlen(meter_flow), &f.flows[0], &err), 0);
    f.set.flows = f.flows;
    f.set.n = 1;
    f.w.action_ok = true;
    f.env = (struct bot_env){.policy = &f.policy,
                             .flows = &f.set,
                             .now_ms = NOW_MS,
                             .parley_url = "http://127.0.0.1:1",
                             .tenant = "acme",
                             .reference = "ACME-1",
                             .customer_name = "",
                             .ud = &f.w,
                             .predict = predict,
                             .sentiment = sentiment,
                             .kb_search = kb_search};
    bot_state_init(&f.s);
    arena_init(&f.a);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    bot_state_release(&f->s);
    flow_free(f->flows[0]);
    arena_free(&f->a);
    return 0;
}

/* One customer message up to any action it reaches (left pending in f->d). The state goes
 * through its stored JSON form each turn, as it does in the service. */
static struct bot_decision *say_until_action(struct fixture *f, const char *text)
{
    char *stored = bot_state_dump(&f->s, &f->a);
    assert_non_null(stored);
    bot_state_release(&f->s);
    bot_state_load(&f->s, stored);
    bot_turn(&f->env, &f->s, text, strlen(text), &f->d, &f->a);
    return &f->d;
}

/* One customer message, its actions run as the service runs them (then the turn resumes). */
static struct bot_decision *say(struct fixture *f, const char *text)
{
    say_until_action(f, text);
    while (f->d.action.pending) {
        json_t *resp = NULL;
        int rc = action(&f->w, &f->d.action, &resp);
        bot_turn_resume(&f->env, &f->s, rc, resp, &f->d, &f->a);
        json_decref(resp);
    }
    return &f->d;
}

static bool replied(const struct bot_decision *d, const char *part)
{
    for (size_t i = 0; i < d->n_replies; i++)
        if (strstr(d->replies[i], part) != NULL) return true;
    return false;
}

static void discloses_once_then_runs_a_flow_with_an_action(void **state)
{
    struct fixture *f = *state;
    struct bot_decision *d = say(f, "I want to give a meter reading");
    assert_true(replied(d, "not a person"));
    assert_true(replied(d, "Account number?"));
    assert_int_equal(d->outcome, BOT_OUTCOME_ACTIVE);
    d = say(f, "it's 1234");
    assert_false(replied(d, "not a person")); /* the disclosure only once */
    assert_int_equal(f->w.action_calls, 1);
    assert_string_equal(f->w.action_url, "http://127.0.0.1:1/readings");
    assert_string_equal(f->w.action_body, "{\"account\":\"1234\"}");
    assert_true(replied(d, "Thanks, reference MR-42."));
    assert_true(replied(d, "Did that answer your question?"));
    assert_int_equal(d->resolve_due_at, NOW_MS + 72LL * 3600 * 1000);
    d = say(f, "yes thanks");
    assert_int_equal(d->outcome, BOT_OUTCOME_RESOLVED);
    assert_string_equal(d->resolved_how, "confirmed");
}

static void a_turn_stops_at_its_action_with_the_request(void **state)
{
    struct fixture *f = *state;
    say(f, "meter reading");
    struct bot_decision *d = say_until_action(f, "1234");
    assert_true(d->action.pending);
    assert_string_equal(d->action.step_id, "submit");
    assert_string_equal(d->action.method, "POST");
    assert_string_equal(d->action.url, "http://127.0.0.1:1/readings");
    assert_string_equal(d->action.body, "{\"account\":\"1234\"}");
    assert_int_equal(d->action.timeout_ms, 3000);
    assert_int_equal(d->action.retries, 1);
    assert_int_equal(d->n_replies, 0);      /* nothing said yet: the answer needs the result */
    assert_int_equal(f->w.action_calls, 0); /* the turn never calls out itself */
    assert_string_equal(json_string_value(json_object_get(f->s.slots, "account")), "1234");
}

static void a_full_action_queue_offers_a_person(void **state)
{
    struct fixture *f = *state;
    say(f, "meter reading");
    struct bot_decision *d = say_until_action(f, "1234");
    bot_turn_resume(&f->env, &f->s, PARLEY_ELIMIT, NULL, d, &f->a);
    assert_false(d->action.pending);
    assert_int_equal(d->outcome, BOT_OUTCOME_ACTIVE);
    assert_true(replied(d, "couldn't do that just now"));
    assert_true(replied(d, "pass you to a person?"));
    assert_int_equal(f->s.flow[0], '\0');
    d = say(f, "yes please");
    assert_int_equal(d->outcome, BOT_OUTCOME_HANDOFF);
    assert_string_equal(d->reason, "action_busy");
    assert_non_null(strstr(d->note, "account: 1234")); /* the answers still reach the adviser */
}

static void a_request_for_a_person_does_not_wait_for_the_action(void **state)
{
    struct fixture *f = *state;
    say(f, "meter reading");
    struct bot_decision *d = say_until_action(f, "1234");
    assert_true(d->action.pending);
    /* an ordinary message waits: nothing changes */
    assert_false(bot_turn_interrupt(&f->env, &f->s, "gas", 3, d, &f->a));
    assert_true(d->action.pending);
    assert_int_equal(d->n_replies, 0);
    assert_int_equal(f->s.turns, 2);
    /* a request for a person is answered at once */
    const char *ask = "can I talk to someone";
    assert_true(bot_turn_interrupt(&f->env, &f->s, ask, strlen(ask), d, &f->a));
    assert_false(d->action.pending);
    assert_int_equal(d->outcome, BOT_OUTCOME_HANDOFF);
    assert_string_equal(d->reason, "requested");
    assert_true(replied(d, "passing you to a person"));
    assert_non_null(strstr(d->note, "step \"submit\" was still running"));
    assert_non_null(strstr(d->note, "Flow: meter, stopped at submit."));
    assert_non_null(strstr(d->note, "account: 1234"));
}

static void distress_does_not_wait_for_the_action(void **state)
{
    struct fixture *f = *state;
    say(f, "meter reading");
    struct bot_decision *d = say_until_action(f, "1234");
    f->w.distress = true;
    const char *text = "I can't cope";
    assert_true(bot_turn_interrupt(&f->env, &f->s, text, strlen(text), d, &f->a));
    assert_string_equal(d->reason, "distress");
    assert_int_equal(d->priority, PRIORITY_HIGH);
}

static void a_flow_removed_during_the_action_ends_politely(void **state)
{
    struct fixture *f = *state;
    say(f, "meter reading");
    struct bot_decision *d = say_until_action(f, "1234");
    struct flow_set empty = {0};
    f->env.flows = &empty;
    bot_turn_resume(&f->env, &f->s, 0, NULL, d, &f->a);
    f->env.flows = &f->set;
    assert_false(d->action.pending);
    assert_int_equal(f->s.flow[0], '\0');
    assert_true(replied(d, "anything else"));
}

static void idempotency_keys_name_the_conversation_message_and_step(void **state)
{
    (void)state;
    char key[BOT_ACTION_KEY_MAX];
    bot_action_key(42, 7, "submit", key, sizeof(key));
    assert_string_equal(key, "parley-42-7-submit");
    bot_action_key(42, 7, "sub mit\r\n:x", key, sizeof(key));
    assert_string_equal(key, "parley-42-7-sub_mit___x"); /* safe in a header */
    char small[16];
    bot_action_key(123456, 789, "submit", small, sizeof(small));
    assert_int_equal(strlen(small), sizeof(small) - 1);
}

static void a_failed_action_hands_off_with_the_answers(void **state)
{
    struct fixture *f = *state;
    f->w.action_ok = false;
    say(f, "meter reading please");
    struct bot_decision *d = say(f, "5678");
    assert_int_equal(d->outcome, BOT_OUTCOME_HANDOFF);
    assert_string_equal(d->reason, "action_failed");
    assert_string_equal(d->intent, "meter_reading");
    assert_non_null(strstr(d->note, "account: 5678"));
}

static void bad_answers_are_re_asked_twice_then_a_person_is_offered(void **state)
{
    struct fixture *f = *state;
    say(f, "meter");
    struct bot_decision *d = say(f, "no idea");
    assert_true(replied(d, "between 1000 and 9999"));
    assert_true(replied(d, "Account number?"));
    d = say(f, "still no idea");
    assert_true(replied(d, "Account number?"));
    d = say(f, "dunno");
    assert_true(replied(d, "pass you to a person"));
    assert_int_equal(d->outcome, BOT_OUTCOME_ACTIVE);
    d = say(f, "yes please");
    assert_int_equal(d->outcome, BOT_OUTCOME_HANDOFF);
    assert_string_equal(d->reason, "not_understood");
}

static void cancel_and_start_again_work_inside_a_flow(void **state)
{
    struct fixture *f = *state;
    say(f, "meter");
    struct bot_decision *d = say(f, "start again");
    assert_true(replied(d, "start again"));
    assert_true(replied(d, "Account number?"));
    d = say(f, "cancel"); /* a command, although the "model" reads cancel_contract */
    assert_true(replied(d, "stopped"));
    assert_int_equal(d->outcome, BOT_OUTCOME_ACTIVE);
    assert_int_equal(f->s.flow[0], '\0');
    d = say(f, "1234"); /* no flow now: not an answer any more */
    assert_int_equal(f->w.action_calls, 0);
}

static void cancelling_a_contract_is_a_moment_that_matters(void **state)
{
    struct fixture *f = *state;
    struct bot_decision *d = say(f, "I want to cancel my contract");
    assert_int_equal(d->outcome, BOT_OUTCOME_HANDOFF);
    assert_string_equal(d->reason, "moment_that_matters");
    assert_string_equal(d->intent, "cancel_contract");
}

static void asking_for_a_person_hands_off_at_any_step(void **state)
{
    struct fixture *f = *state;
    say(f, "meter");
    struct bot_decision *d = say(f, "can I talk to someone");
    assert_int_equal(d->outcome, BOT_OUTCOME_HANDOFF);
    assert_string_equal(d->reason, "requested");
    assert_int_equal(d->priority, PRIORITY_NORMAL);
}

static void low_confidence_twice_hands_off(void **state)
{
    struct fixture *f = *state;
    struct bot_decision *d = say(f, "hmm");
    assert_true(replied(d, "say that another way"));
    assert_int_equal(d->outcome, BOT_OUTCOME_ACTIVE);
    d = say(f, "hmm hmm");
    assert_int_equal(d->outcome, BOT_OUTCOME_HANDOFF);
    assert_string_equal(d->reason, "low_confidence");
}

static void moments_that_matter_hand_off_at_once_with_priority(void **state)
{
    struct fixture *f = *state;
    struct bot_decision *d = say(f, "my dad died last week");
    assert_int_equal(d->outcome, BOT_OUTCOME_HANDOFF);
    assert_string_equal(d->reason, "moment_that_matters");
    assert_string_equal(d->intent, "bereavement");
    assert_int_equal(d->priority, PRIORITY_HIGH);
    assert_true(replied(d, "sorry for your loss"));
    assert_true(replied(d, "not a person")); /* still the first message's disclosure */
}

static void negative_sentiment_and_distress_hand_off(void **state)
{
    struct fixture *f = *state;
    f->w.compound = -0.8;
    struct bot_decision *d = say(f, "this is ridiculous");
    assert_string_equal(d->reason, "sentiment");
    bot_state_release(&f->s);
    bot_state_init(&f->s);
    f->w.compound = 0;
    f->w.distress = true;
    d = say(f, "I can't cope any more");
    assert_string_equal(d->reason, "distress");
    assert_int_equal(d->priority, PRIORITY_HIGH);
    assert_non_null(strstr(d->note, "cannot_cope"));
    /* a bereavement cue is the bereavement moment that matters */
    bot_state_release(&f->s);
    bot_state_init(&f->s);
    f->w.cue = "bereavement";
    d = say(f, "my mum passed away on Sunday");
    assert_string_equal(d->reason, "moment_that_matters");
    assert_string_equal(d->intent, "bereavement");
    assert_int_equal(d->priority, PRIORITY_HIGH);
    assert_true(replied(d, "sorry for your loss"));
}

static void a_falling_trend_hands_off(void **state)
{
    struct fixture *f = *state;
    f->w.compound = -0.5; /* above the -0.6 threshold on its own */
    struct bot_decision *d = say(f, "opening hours");
    assert_int_equal(d->outcome, BOT_OUTCOME_ACTIVE);
    d = say(f, "opening hours again");
    assert_int_equal(d->outcome, BOT_OUTCOME_HANDOFF);
    assert_string_equal(d->reason, "sentiment");
}

static void knowledge_answers_ask_for_confirmation(void **state)
{
    struct fixture *f = *state;
    struct bot_decision *d = say(f, "what are your opening hours");
    assert_true(replied(d, "Our opening hours"));
    assert_true(replied(d, "/help/opening-hours"));
    assert_true(replied(d, "Did that answer your question?"));
    d = say(f, "no");
    assert_true(replied(d, "pass you to a person"));
    d = say(f, "no thanks");
    assert_int_equal(d->outcome, BOT_OUTCOME_ACTIVE);
    assert_true(replied(d, "Tell me what you need"));
}

static void never_more_than_two_clarifications_in_a_row(void **state)
{
    struct fixture *f = *state;
    f->policy.low_confidence_handoff = 10; /* so clarifications are what stops it */
    struct bot_decision *d = say(f, "hmm");
    assert_true(replied(d, "another way"));
    d = say(f, "hmm");
    assert_true(replied(d, "another way"));
    d = say(f, "hmm");
    assert_false(replied(d, "another way"));
    assert_true(replied(d, "pass you to a person"));
}

static void a_disabled_policy_hands_off(void **state)
{
    struct fixture *f = *state;
    f->policy.enabled = false;
    struct bot_decision *d = say(f, "hello");
    assert_int_equal(d->outcome, BOT_OUTCOME_HANDOFF);
    assert_string_equal(d->reason, "bot_disabled");
}

static void timeout_resolves(void **state)
{
    struct fixture *f = *state;
    bot_turn_timeout(&f->s, &f->d);
    assert_int_equal(f->d.outcome, BOT_OUTCOME_RESOLVED);
    assert_string_equal(f->d.resolved_how, "timeout");
    assert_int_equal(f->d.n_replies, 0);
}

static void policy_parses_strictly_and_round_trips(void **state)
{
    struct bot_policy p;
    bot_policy_defaults(&p);
    struct parley_err err = {0};
    const char *ok =
        "{\"confidence_threshold\":0.7,\"moments_that_matter\":{\"fraud\":\"urgent\"}}";
    assert_int_equal(bot_policy_parse(ok, strlen(ok), &p, &err), 0);
    assert_true(p.confidence_threshold == 0.7);
    assert_int_equal(p.n_moments, 1);
    assert_int_equal(bot_policy_moment(&p, "fraud"), PRIORITY_URGENT);
    assert_int_equal(bot_policy_moment(&p, "complaint"), -1);
    assert_int_equal(p.low_confidence_handoff, 2); /* untouched fields keep their default */
    const char *bad = "{\"colour\":1}";
    assert_int_equal(bot_policy_parse(bad, strlen(bad), &p, &err), PARLEY_EINVAL);
    assert_string_equal(err.field, "colour");
    bad = "{\"confidence_threshold\":2}";
    assert_int_equal(bot_policy_parse(bad, strlen(bad), &p, &err), PARLEY_EINVAL);
    assert_string_equal(err.field, "confidence_threshold");
    json_t *j = bot_policy_to_json(&p);
    char *text = json_dumps(j, 0);
    struct bot_policy q;
    bot_policy_defaults(&q);
    assert_int_equal(bot_policy_parse(text, strlen(text), &q, &err), 0);
    assert_memory_equal(&p, &q, sizeof(p));
    free(text);
    json_decref(j);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(discloses_once_then_runs_a_flow_with_an_action),
        T(a_failed_action_hands_off_with_the_answers),
        T(a_turn_stops_at_its_action_with_the_request),
        T(a_full_action_queue_offers_a_person),
        T(a_request_for_a_person_does_not_wait_for_the_action),
        T(distress_does_not_wait_for_the_action),
        T(a_flow_removed_during_the_action_ends_politely),
        T(idempotency_keys_name_the_conversation_message_and_step),
        T(bad_answers_are_re_asked_twice_then_a_person_is_offered),
        T(cancel_and_start_again_work_inside_a_flow),
        T(cancelling_a_contract_is_a_moment_that_matters),
        T(asking_for_a_person_hands_off_at_any_step),
        T(low_confidence_twice_hands_off),
        T(moments_that_matter_hand_off_at_once_with_priority),
        T(negative_sentiment_and_distress_hand_off),
        T(a_falling_trend_hands_off),
        T(knowledge_answers_ask_for_confirmation),
        T(never_more_than_two_clarifications_in_a_row),
        T(a_disabled_policy_hands_off),
        T(timeout_resolves),
        cmocka_unit_test(policy_parses_strictly_and_round_trips),
    };
    return cmocka_run_group_tests_name("bot_turn", tests, NULL, NULL);
}
