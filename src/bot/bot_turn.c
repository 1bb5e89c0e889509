/* One conversational turn: from a customer message and the conversation's state to the bot's
 * replies and, when it is time, a hand-off or a resolution. The order of checks is the triage
 * policy (docs/bot.md): distress and sentiment, explicit requests for a person, moments that
 * matter, cancel / start again, open yes-no questions, the running flow, then the intent
 * (a flow, small talk, a knowledge-base answer) or a clarifying question. Pure apart from the
 * env callbacks. */
#include "bot_int.h"
#include "bot_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_CLARIFY      2  /* clarifying questions in a row before a person is offered */
#define MAX_RETRIES      2  /* re-asks of one question before a person is offered */
#define MAX_STEPS_A_TURN 50 /* flow steps run in one turn (the loader rules out loops) */
#define MAX_REPLY        4000
#define SWITCH_MIN_P     0.85 /* NLU probability to leave a running flow for another */
#define SWITCH_MIN_WORDS 3

struct turn {
    const struct bot_env *env;
    struct bot_state *s;
    struct bot_decision *d;
    struct arena *a;
    const struct flow *flow;
    const char *text;
    size_t len;
};

static const char *const reply_confirm = "Did that answer your question?";
static const char *const reply_anything_else = "Is there anything else I can help with?";
static const char *const reply_clarify =
    "Sorry, I didn't quite understand. Could you say that another way? You can also ask for a "
    "person at any time.";
static const char *const reply_offer =
    "I'm sorry I haven't been able to help. Would you like me to pass you to a person?";

/* The customer-facing words for each hand-off reason. */
static const struct {
    const char *reason, *text;
} handoff_texts[] = {
    {"requested", "Of course. I'm passing you to a person now. They will see what we've "
                  "discussed, so you won't need to repeat yourself."},
    {"moment_that_matters", "Thank you for telling me. This is something one of our team should "
                            "help you with personally, so I'm passing you to a person now."},
    {"distress", "I'm sorry you're going through this. I'm passing you to a person now, who can "
                 "help."},
    {"sentiment", "I'm sorry this has been frustrating. I'm passing you to a person now."},
    {"low_confidence", "Sorry, I'm not understanding you well. I'm passing you to a person now, "
                       "who can help."},
    {"bot_disabled", "I'm passing you to a person now."},
};
static const char *const handoff_default =
    "OK, I'm passing you to a person now. They will see what you've told me.";
static const char *const bereavement_text =
    "I'm so sorry for your loss. I'm passing you to one of our team now, who will help you with "
    "everything.";

static void say(struct turn *t, const char *text)
{
    struct bot_decision *d = t->d;
    if (text == NULL || text[0] == '\0') return;
    if (d->n_replies < BOT_TURN_MAX_REPLIES) {
        d->replies[d->n_replies++] = text;
        return;
    }
    const char *joined = arena_printf(t->a, "%s\n\n%s", d->replies[d->n_replies - 1], text);
    if (joined != NULL) d->replies[d->n_replies - 1] = joined;
}

/* ---- templates ------------------------------------------------------------------------------ */

static const char *lookup(void *ud, const char *name)
{
    struct turn *t = ud;
    const struct bot_env *e = t->env;
    if (strcmp(name, "parley_url") == 0) return e->parley_url;
    if (strcmp(name, "tenant") == 0) return e->tenant;
    json_t *v = json_object_get(t->s->slots, name); /* a flow's own slots first */
    if (json_is_string(v)) return json_string_value(v);
    if (strcmp(name, "conversation_reference") == 0) return e->reference;
    if (strcmp(name, "customer_name") == 0) return e->customer_name;
    return NULL;
}

static const char *render(struct turn *t, const char *tpl)
{
    return tpl != NULL ? flow_render(tpl, lookup, t, MAX_REPLY, t->a) : NULL;
}

/* ---- flow state ----------------------------------------------------------------------------- */

static void end_flow(struct turn *t)
{
    t->s->flow[0] = '\0';
    t->s->step = -1;
    t->s->retries = 0;
    t->flow = NULL;
}

static void start_flow(struct turn *t, const struct flow *f)
{
    snprintf(t->s->flow, sizeof(t->s->flow), "%s", f->name);
    t->s->step = -1;
    t->s->retries = 0;
    json_object_clear(t->s->slots);
    t->flow = f;
}

static const struct flow *flow_by_name(const struct flow_set *set, const char *name)
{
    for (size_t i = 0; set != NULL && i < set->n; i++)
        if (strcmp(set->flows[i]->name, name) == 0) return set->flows[i];
    return NULL;
}

/* ---- hand-off ------------------------------------------------------------------------------- */

static char *summary(struct turn *t, const char *reason, const char *intent, const char *extra)
{
    char *out = arena_printf(t->a, "Bot hand-off. Reason: %s. Intent: %s.", reason,
                             intent != NULL ? intent : "unknown");
    if (extra != NULL) out = arena_printf(t->a, "%s\n%s", out, extra);
    if (t->s->flow[0] != '\0' && out != NULL) {
        const char *at = t->flow != NULL && t->s->step >= 0 && (size_t)t->s->step < t->flow->n_steps
                             ? t->flow->steps[t->s->step].id
                             : NULL;
        out = arena_printf(t->a, "%s\nFlow: %s%s%s.", out, t->s->flow, at ? ", stopped at " : "",
                           at ? at : "");
    }
    if (json_object_size(t->s->slots) > 0 && out != NULL) {
        out = arena_printf(t->a, "%s\nCollected answers:", out);
        const char *k;
        json_t *v;
        json_object_foreach(t->s->slots, k, v)
        {
            if (out != NULL) out = arena_printf(t->a, "%s\n- %s: %s", out, k, json_string_value(v));
        }
    }
    if (t->s->scored > 0 && out != NULL)
        out = arena_printf(t->a, "%s\nSentiment trend: %.2f.", out, t->s->trend);
    return out;
}

static void handoff(struct turn *t, const char *reason, const char *intent, enum priority pr,
                    const char *text, const char *extra)
{
    if (text == NULL) {
        text = handoff_default;
        for (size_t i = 0; i < sizeof(handoff_texts) / sizeof(handoff_texts[0]); i++)
            if (strcmp(handoff_texts[i].reason, reason) == 0) text = handoff_texts[i].text;
        if (intent != NULL && strcmp(intent, "bereavement") == 0) text = bereavement_text;
    }
    if (intent == NULL && t->s->intent[0] != '\0') intent = arena_strdup(t->a, t->s->intent);
    say(t, text);
    struct bot_decision *d = t->d;
    d->note = summary(t, reason, intent, extra);
    d->outcome = BOT_OUTCOME_HANDOFF;
    d->reason = reason;
    d->intent = intent;
    d->priority = pr;
    end_flow(t);
    t->s->awaiting = AWAIT_NONE;
}

static void offer_person(struct turn *t, const char *reason, const char *lead)
{
    say(t, lead != NULL ? arena_printf(t->a, "%s Would you like me to pass you to a person?", lead)
                        : reply_offer);
    t->s->awaiting = AWAIT_OFFER;
    snprintf(t->s->offer_reason, sizeof(t->s->offer_reason), "%s", reason);
    t->s->clarifications = 0;
}

/* ---- answers -------------------------------------------------------------------------------- */

static const char *article_text(struct turn *t, const struct bot_kb_answer *k)
{
    const char *tpl = t->env->policy->article_url;
    const char *at = strstr(tpl, "{{slug}}");
    const char *url = at != NULL
                          ? arena_printf(t->a, "%.*s%s%s", (int)(at - tpl), tpl, k->slug, at + 8)
                          : arena_printf(t->a, "%s%s", tpl, k->slug);
    return arena_printf(t->a, "%s\n%s\nRead more: %s", k->title,
                        k->snippet != NULL ? k->snippet : "", url != NULL ? url : k->slug);
}

static void answered(struct turn *t, bool confirm)
{
    if (confirm) {
        say(t, reply_confirm);
        t->s->awaiting = AWAIT_CONFIRM;
        t->d->resolve_due_at = t->env->now_ms + t->env->policy->resolve_after_s * 1000;
    } else {
        say(t, reply_anything_else);
    }
}

/* ---- running a flow ------------------------------------------------------------------------- */

static void save_response(struct turn *t, const struct flow_step *s, json_t *resp)
{
    for (size_t k = 0; k < s->n_save; k++) {
        json_t *v = json_is_object(resp) ? json_object_get(resp, s->save[k].field) : NULL;
        char buf[64];
        const char *val = NULL;
        if (json_is_string(v))
            val = json_string_value(v);
        else if (json_is_boolean(v))
            val = json_is_true(v) ? "true" : "false";
        else if (json_is_integer(v)) {
            snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
            val = buf;
        } else if (json_is_real(v)) {
            snprintf(buf, sizeof(buf), "%.15g", json_real_value(v));
            val = buf;
        }
        if (val != NULL && strlen(val) <= FLOW_MAX_TEXT)
            json_object_set_new(t->s->slots, s->save[k].slot, json_string(val));
    }
}

/* The action's body with every string value rendered (a new reference). */
static json_t *render_body(struct turn *t, json_t *v)
{
    if (json_is_string(v)) return json_string(render(t, json_string_value(v)));
    if (json_is_object(v)) {
        json_t *o = json_object();
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x)
        {
            json_object_set_new(o, k, render_body(t, x));
        }
        return o;
    }
    if (json_is_array(v)) {
        json_t *arr = json_array();
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            json_array_append_new(arr, render_body(t, x));
        }
        return arr;
    }
    return json_deep_copy(v);
}

/* Stops the turn at an action step: the request, rendered, for the caller to run. False when
 * its URL cannot be rendered (out of memory): the step fails. */
static bool request_action(struct turn *t, const struct flow_step *s)
{
    const char *url = render(t, s->url);
    const char *body = NULL;
    if (url == NULL) return false;
    if (s->body != NULL) {
        json_t *b = render_body(t, s->body);
        char *text = b != NULL ? json_dumps(b, JSON_COMPACT) : NULL;
        json_decref(b);
        body = text != NULL ? arena_strdup(t->a, text) : NULL;
        free(text);
        if (body == NULL) return false;
    }
    /* copies: the flow may be reloaded (and freed) while the action runs */
    const char *id = arena_strdup(t->a, s->id), *method = arena_strdup(t->a, s->method);
    if (id == NULL || method == NULL) return false;
    t->d->action = (struct bot_action_req){.pending = true,
                                           .step_id = id,
                                           .method = method,
                                           .url = url,
                                           .body = body,
                                           .timeout_ms = s->timeout_ms,
                                           .retries = s->retries};
    return true;
}

static int branch_target(struct turn *t, const struct flow_step *s)
{
    const char *v = lookup(t, s->on);
    for (size_t k = 0; v != NULL && k < s->n_cases; k++)
        if (strcasecmp(s->cases[k].value, v) == 0) return s->cases[k].step;
    return s->default_step;
}

/* Runs steps from idx until one waits for the customer or the flow ends. */
static void run_from(struct turn *t, int idx)
{
    const struct flow *f = t->flow;
    for (int guard = 0; f != NULL && idx >= 0 && guard < MAX_STEPS_A_TURN; guard++) {
        const struct flow_step *s = &f->steps[idx];
        switch (s->type) {
        case STEP_ASK:
            say(t, render(t, s->say));
            t->s->step = idx;
            t->s->retries = 0;
            return;
        case STEP_SAY:
            say(t, render(t, s->say));
            idx = s->next;
            break;
        case STEP_BRANCH:
            idx = branch_target(t, s);
            break;
        case STEP_ACTION:
            t->s->step = idx;
            if (request_action(t, s)) return; /* bot_turn_resume goes on from here */
            idx = s->failure;
            break;
        case STEP_ANSWER: {
            say(t, render(t, s->say));
            struct bot_kb_answer k;
            if (s->article != NULL && t->env->kb_article != NULL &&
                t->env->kb_article(t->env->ud, s->article, &k, t->a) == 0)
                say(t, article_text(t, &k));
            end_flow(t);
            answered(t, s->confirm);
            return;
        }
        case STEP_HANDOFF: {
            t->s->step = idx;
            const char *extra = render(t, s->summary);
            int moment = bot_policy_moment(t->env->policy, f->intents[0]);
            enum priority pr = moment > (int)s->priority ? (enum priority)moment : s->priority;
            handoff(t, s->reason, f->intents[0], pr, render(t, s->say), extra);
            return;
        }
        }
    }
    end_flow(t); /* guard reached: cannot happen with a loaded flow */
    say(t, reply_anything_else);
}

/* An answer to the running flow's question. Returns true when the turn is done. */
static bool flow_answer(struct turn *t)
{
    const struct flow_step *s = &t->flow->steps[t->s->step];
    char value[FLOW_MAX_TEXT + 1];
    if (bot_validate(&s->input, t->text, t->len, t->env->now_ms, value, sizeof(value)) == 0) {
        json_object_set_new(t->s->slots, s->slot, json_string(value));
        t->s->clarifications = 0;
        t->s->low_confidence = 0;
        run_from(t, s->next);
        return true;
    }
    t->s->retries++;
    t->s->clarifications++;
    if (t->s->retries > MAX_RETRIES || t->s->clarifications > MAX_CLARIFY) {
        offer_person(t, "not_understood", "Sorry, I'm still not able to take that answer.");
        return true;
    }
    const char *hint = s->input.hint != NULL ? s->input.hint : value;
    say(t, arena_printf(t->a, "%s %s", hint, render(t, s->say)));
    return true;
}

/* ---- small talk -------------------------------------------------------------------------------
 */

static const struct {
    const char *intent, *reply;
} small_talk[] = {
    {"greeting", "Hello! What can I help you with today?"},
    {"thanks", "You're welcome. Is there anything else I can help with?"},
    {"goodbye", "Thanks for getting in touch. Goodbye!"},
};

static bool try_small_talk(struct turn *t, const char *intent)
{
    for (size_t i = 0; i < sizeof(small_talk) / sizeof(small_talk[0]); i++)
        if (strcmp(small_talk[i].intent, intent) == 0) {
            say(t, small_talk[i].reply);
            t->s->clarifications = 0;
            return true;
        }
    return false;
}

static bool try_kb(struct turn *t)
{
    struct bot_kb_answer k;
    if (t->env->kb_search == NULL || t->env->kb_search(t->env->ud, t->text, &k, t->a) != 0 ||
        k.score < t->env->policy->kb_min_score)
        return false;
    say(t, "Here's what I found:");
    say(t, article_text(t, &k));
    answered(t, true);
    t->s->clarifications = 0;
    t->s->low_confidence = 0;
    return true;
}

static void not_understood(struct turn *t)
{
    t->s->low_confidence++;
    if (t->s->low_confidence >= t->env->policy->low_confidence_handoff) {
        handoff(t, "low_confidence", NULL, PRIORITY_NORMAL, NULL, NULL);
        return;
    }
    if (t->s->clarifications >= MAX_CLARIFY) {
        offer_person(t, "not_understood", NULL);
        return;
    }
    t->s->clarifications++;
    say(t, reply_clarify);
}

/* ---- the turn ---------------------------------------------------------------------------------
 */

/* The message's sentiment (false when there is none to score). */
static bool score(struct turn *t, struct sentiment *se)
{
    memset(se, 0, sizeof(*se));
    if (t->env->sentiment == NULL) return false;
    t->env->sentiment(t->env->ud, t->text, t->len, se);
    return true;
}

static const char *join_note(struct turn *t, const char *a, const char *b)
{
    if (a == NULL) return b;
    if (b == NULL) return a;
    return arena_printf(t->a, "%s\n%s", a, b);
}

/* The hand-offs that come before anything else, whatever the conversation is doing: a distress
 * cue, a very negative message (or trend, when check_trend), a request for a person. extra goes
 * into the adviser's note. Returns true when it handed off. */
static bool handoff_first(struct turn *t, const struct sentiment *se, bool check_trend,
                          enum bot_phrase_kind phrase, const char *extra)
{
    const struct bot_policy *p = t->env->policy;
    if (se != NULL && p->distress_handoff && se->distress) {
        const char *cue = se->distress_cue != NULL ? se->distress_cue : "distress";
        const char *intent = strcmp(cue, "bereavement") == 0 ? "bereavement" : NULL;
        /* A bereavement is a moment that matters whichever way it is noticed. */
        int moment = bot_policy_moment(p, intent);
        enum priority pr = moment > PRIORITY_HIGH ? (enum priority)moment : PRIORITY_HIGH;
        handoff(t, moment >= 0 ? "moment_that_matters" : "distress", intent, pr, NULL,
                join_note(t, arena_printf(t->a, "Distress cue: %s.", cue), extra));
        return true;
    }
    if (se != NULL && (se->compound <= p->sentiment_threshold ||
                       (check_trend && t->s->scored >= 2 && t->s->trend <= p->trend_threshold))) {
        handoff(t, "sentiment", NULL, PRIORITY_NORMAL, NULL,
                join_note(t, arena_printf(t->a, "Message sentiment: %.2f.", se->compound), extra));
        return true;
    }
    if (phrase == PHRASE_PERSON) {
        handoff(t, "requested", NULL, PRIORITY_NORMAL, NULL, extra);
        return true;
    }
    return false;
}

/* Scores the message into the conversation's trend, then the hand-offs that come first. */
static bool triage(struct turn *t, enum bot_phrase_kind phrase)
{
    struct sentiment se;
    bool have = score(t, &se);
    if (have) {
#if BOT_HAVE_SENTIMENT
        t->s->trend = t->s->scored > 0 ? sentiment_trend(t->s->trend, se.compound) : se.compound;
#else
        t->s->trend = t->s->scored > 0 ? (t->s->trend + se.compound) / 2 : se.compound;
#endif
        t->s->scored++;
    }
    return handoff_first(t, have ? &se : NULL, true, phrase, NULL);
}

/* cancel and start again, which work at every step. */
static bool commands(struct turn *t, enum bot_phrase_kind phrase)
{
    struct bot_state *s = t->s;
    if (phrase == PHRASE_CANCEL) {
        bool was_busy = s->flow[0] != '\0' || s->awaiting != AWAIT_NONE;
        end_flow(t);
        s->awaiting = AWAIT_NONE;
        s->clarifications = 0;
        say(t, was_busy ? "OK, I've stopped that. Is there anything else I can help with?"
                        : "OK. Is there anything else I can help with?");
        return true;
    }
    if (phrase != PHRASE_RESTART) return false;
    s->awaiting = AWAIT_NONE;
    s->clarifications = 0;
    if (t->flow != NULL) {
        const struct flow *f = t->flow;
        start_flow(t, f);
        say(t, "OK, let's start again.");
        run_from(t, 0);
    } else {
        say(t, "Of course. What can I help you with?");
    }
    return true;
}

static size_t words(const char *text, size_t len)
{
    char norm[BOT_TEXT_MAX];
    size_t n = bot_normalise(text, len, norm, sizeof(norm)), count = n > 0;
    for (size_t i = 0; i < n; i++) count += norm[i] == ' ';
    return count;
}

static bool open_question(struct turn *t, enum bot_phrase_kind phrase)
{
    struct bot_state *s = t->s;
    if (s->awaiting == AWAIT_CONFIRM) {
        if (phrase == PHRASE_YES) {
            say(t, "Great, I'm glad that helped. Thanks for getting in touch!");
            t->d->outcome = BOT_OUTCOME_RESOLVED;
            t->d->resolved_how = "confirmed";
            s->awaiting = AWAIT_NONE;
            return true;
        }
        if (phrase == PHRASE_NO) {
            s->awaiting = AWAIT_NONE;
            offer_person(t, "unresolved", "Sorry that didn't help.");
            return true;
        }
        s->awaiting = AWAIT_NONE; /* a new question instead: answer it */
        return false;
    }
    if (s->awaiting == AWAIT_OFFER) {
        if (phrase == PHRASE_YES) {
            handoff(t,
                    s->offer_reason[0] != '\0' ? arena_strdup(t->a, s->offer_reason) : "unresolved",
                    NULL, PRIORITY_NORMAL, NULL, NULL);
            return true;
        }
        s->awaiting = AWAIT_NONE;
        if (phrase == PHRASE_NO) {
            say(t, "OK. Tell me what you need and I'll do my best to help.");
            s->clarifications = 0;
            s->low_confidence = 0;
            return true;
        }
    }
    return false;
}

void bot_turn(const struct bot_env *env, struct bot_state *s, const char *text, size_t len,
              struct bot_decision *d, struct arena *a)
{
    memset(d, 0, sizeof(*d));
    struct turn t = {.env = env, .s = s, .d = d, .a = a, .text = text, .len = len};
    if (len > BOT_TEXT_MAX) t.len = BOT_TEXT_MAX;
    t.flow = s->flow[0] != '\0' ? flow_by_name(env->flows, s->flow) : NULL;
    if (s->flow[0] != '\0' && t.flow == NULL) end_flow(&t); /* the flow was removed */
    if (t.flow != NULL && (s->step < 0 || (size_t)s->step >= t.flow->n_steps ||
                           t.flow->steps[s->step].type != STEP_ASK))
        end_flow(&t); /* the flow changed under the conversation */
    s->turns++;
    if (!s->disclosed) {
        say(&t, env->policy->disclosure);
        s->disclosed = true;
    }
    if (!env->policy->enabled) {
        handoff(&t, "bot_disabled", NULL, PRIORITY_NORMAL, NULL, NULL);
        return;
    }
    enum bot_phrase_kind phrase = bot_phrase_match(t.text, t.len);
    if (triage(&t, phrase)) return;
    if (commands(&t, phrase)) return;
    if (open_question(&t, phrase)) return; /* a bare "no" is an answer, whatever the NLU says */
    struct nlu_result nlu;
    memset(&nlu, 0, sizeof(nlu));
    bool have_model = env->predict != NULL && env->predict(env->ud, t.text, t.len, &nlu) == 0;
    const char *intent = have_model && nlu.n > 0 ? nlu.top[0].label : NULL;
    bool confident =
        intent != NULL && !nlu.out_of_scope && nlu.top[0].p >= env->policy->confidence_threshold;
    if (confident) {
        if (strcmp(intent, "speak_to_person") == 0) {
            handoff(&t, "requested", NULL, PRIORITY_NORMAL, NULL, NULL);
            return;
        }
        /* A moment that matters goes to a person at once, unless the organisation bound a
         * flow to it (a question or a safety message first; its hand-off keeps the raised
         * priority). */
        int moment = bot_policy_moment(env->policy, intent);
        if (moment >= 0 && flow_set_for_intent(env->flows, intent) == NULL) {
            handoff(&t, "moment_that_matters", intent, (enum priority)moment, NULL, NULL);
            return;
        }
    }
    if (t.flow != NULL) {
        /* Free text is always welcome: a clear new request (a sentence, very confident) leaves
         * the flow for its own; short answers such as "no idea" never do. */
        const struct flow *other = confident && nlu.top[0].p >= SWITCH_MIN_P
                                       ? flow_set_for_intent(env->flows, intent)
                                       : NULL;
        char value[FLOW_MAX_TEXT + 1];
        const struct flow_step *st = &t.flow->steps[s->step];
        bool valid =
            bot_validate(&st->input, t.text, t.len, env->now_ms, value, sizeof(value)) == 0;
        if (other == NULL || other == t.flow || words(t.text, t.len) < SWITCH_MIN_WORDS ||
            (valid && st->input.type != INPUT_TEXT)) {
            flow_answer(&t);
            return;
        }
    }
    if (confident) {
        snprintf(s->intent, sizeof(s->intent), "%s", intent);
        s->low_confidence = 0;
        const struct flow *f = flow_set_for_intent(env->flows, intent);
        if (f != NULL) {
            s->clarifications = 0;
            start_flow(&t, f);
            run_from(&t, 0);
            return;
        }
        if (try_small_talk(&t, intent)) return;
        if (try_kb(&t)) return;
        offer_person(&t, "no_answer", "I'm afraid I can't help with that here.");
        return;
    }
    if ((!have_model || nlu.out_of_scope) && try_kb(&t)) return;
    not_understood(&t);
}

void bot_turn_resume(const struct bot_env *env, struct bot_state *s, int rc, json_t *response,
                     struct bot_decision *d, struct arena *a)
{
    struct turn t = {.env = env, .s = s, .d = d, .a = a, .text = "", .len = 0};
    memset(&d->action, 0, sizeof(d->action));
    t.flow = s->flow[0] != '\0' ? flow_by_name(env->flows, s->flow) : NULL;
    if (t.flow == NULL || s->step < 0 || (size_t)s->step >= t.flow->n_steps ||
        t.flow->steps[s->step].type != STEP_ACTION) {
        end_flow(&t); /* the flow changed or went away while the action ran */
        say(&t, reply_anything_else);
        return;
    }
    const struct flow_step *st = &t.flow->steps[s->step];
    if (rc == PARLEY_ELIMIT) {
        end_flow(&t);
        offer_person(&t, "action_busy", "Sorry, I couldn't do that just now.");
        return;
    }
    if (rc == 0) save_response(&t, st, response);
    run_from(&t, rc == 0 ? st->success : st->failure);
}

bool bot_turn_interrupt(const struct bot_env *env, struct bot_state *s, const char *text,
                        size_t len, struct bot_decision *d, struct arena *a)
{
    struct turn t = {.env = env, .s = s, .d = d, .a = a, .text = text, .len = len};
    if (len > BOT_TEXT_MAX) t.len = BOT_TEXT_MAX;
    t.flow = s->flow[0] != '\0' ? flow_by_name(env->flows, s->flow) : NULL;
    struct sentiment se;
    bool have = score(&t, &se);
    enum bot_phrase_kind phrase = bot_phrase_match(t.text, t.len);
    struct nlu_result nlu;
    memset(&nlu, 0, sizeof(nlu));
    if (phrase != PHRASE_PERSON && env->predict != NULL &&
        env->predict(env->ud, t.text, t.len, &nlu) == 0 && nlu.n > 0 && !nlu.out_of_scope &&
        nlu.top[0].p >= env->policy->confidence_threshold &&
        strcmp(nlu.top[0].label, "speak_to_person") == 0)
        phrase = PHRASE_PERSON;
    const char *step = t.flow != NULL && s->step >= 0 && (size_t)s->step < t.flow->n_steps
                           ? t.flow->steps[s->step].id
                           : "?";
    const char *extra = arena_printf(a,
                                     "The action at step \"%s\" was still running when the "
                                     "customer asked for this: its outcome is not known, so check "
                                     "the organisation's system before doing it again.",
                                     step);
    if (!handoff_first(&t, have ? &se : NULL, false, phrase, extra)) return false; /* untouched */
    s->turns++;
    memset(&d->action, 0, sizeof(d->action));
    return true;
}

void bot_turn_timeout(struct bot_state *s, struct bot_decision *d)
{
    memset(d, 0, sizeof(*d));
    s->awaiting = AWAIT_NONE;
    d->outcome = BOT_OUTCOME_RESOLVED;
    d->resolved_how = "timeout";
}
