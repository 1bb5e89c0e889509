/* Inside the virtual agent: the triage policy (bot_policy.c), the per-conversation state
 * (bot_state.c), one conversational turn (bot_turn.c: pure decisions, with the outside world
 * behind callbacks so tests can drive it) and HTTP actions (bot_action.c). */
#ifndef PARLEY_BOT_INT_H
#define PARLEY_BOT_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../common/arena.h"
#include "../common/err.h"
#include "../core/core.h"
#include "../store/store.h"
#include "bot_deps.h"
#include "flow.h"

/* ---- triage policy (per tenant, JSON in the database) ------------------------------------- */

#define BOT_MAX_MOMENTS 16

struct bot_moment {
    char intent[64];
    enum priority priority;
};

struct bot_policy {
    bool enabled;
    char disclosure[512];
    double confidence_threshold; /* NLU top probability needed to act on an intent */
    int low_confidence_handoff;  /* consecutive low-confidence messages before a hand-off */
    double sentiment_threshold;  /* hand off when a message's compound is at or below */
    double trend_threshold;      /* hand off when the conversation's trend is at or below */
    bool distress_handoff;       /* hand off on distress cues */
    struct bot_moment moments[BOT_MAX_MOMENTS]; /* intents handed off at once */
    size_t n_moments;
    double kb_min_score;     /* a knowledge-base hit must score at least this to be offered */
    char article_url[256];   /* link template for articles: {{slug}} */
    int64_t resolve_after_s; /* no reply this long after an answer → resolved (72 h) */
};

void bot_policy_defaults(struct bot_policy *p);
/* Parses a policy JSON object over the defaults (absent fields keep their default). Unknown
 * fields and bad values fail with PARLEY_EINVAL naming the field. */
int bot_policy_parse(const char *json, size_t len, struct bot_policy *p, struct parley_err *err);
int bot_policy_from_json(json_t *obj, struct bot_policy *p, struct parley_err *err);
/* The whole policy as JSON (a new reference; NULL when out of memory). */
json_t *bot_policy_to_json(const struct bot_policy *p);
/* The priority for an intent when it is a moment that matters, else -1. */
int bot_policy_moment(const struct bot_policy *p, const char *intent);

/* ---- the bot's state in one conversation ----------------------------------------------------- */

enum bot_awaiting { AWAIT_NONE, AWAIT_CONFIRM, AWAIT_OFFER };

struct bot_state {
    bool disclosed;             /* the bot has said it is a bot */
    char flow[65];              /* the running flow's name, "" when none */
    int step;                   /* the ask step waiting for an answer, -1 when none */
    int retries;                /* answers to the current question that did not validate */
    int clarifications;         /* clarifying questions in a row */
    int low_confidence;         /* low-confidence messages in a row */
    int turns;                  /* customer messages answered */
    enum bot_awaiting awaiting; /* a yes/no question is open */
    char offer_reason[32];      /* the hand-off reason if the customer accepts the offer */
    double trend;               /* sentiment moving value */
    int scored;                 /* messages scored */
    char intent[65];            /* the last confident intent, "" when none */
    json_t *slots;              /* object: slot → string (owned) */
};

void bot_state_init(struct bot_state *s);
void bot_state_release(struct bot_state *s);
/* Parses stored state (NULL or "{}" gives a fresh state). Bad stored state is not an error:
 * the conversation simply starts afresh. */
void bot_state_load(struct bot_state *s, const char *json);
/* Serialises into the arena (NULL when out of memory). */
char *bot_state_dump(const struct bot_state *s, struct arena *a);

/* ---- one turn -------------------------------------------------------------------------------- */

struct bot_kb_answer {
    const char *slug, *title, *snippet; /* snippet: plain text */
    double score;
};

/* What the turn needs from outside. Any callback may be NULL (that capability is missing). */
struct bot_env {
    const struct bot_policy *policy;
    const struct flow_set *flows;
    int64_t now_ms;
    /* builtin template values */
    const char *parley_url, *tenant, *reference, *customer_name;
    void *ud;
    /* intent detection: 0 with *out filled, or non-zero when there is no model */
    int (*predict)(void *ud, const char *text, size_t len, struct nlu_result *out);
    void (*sentiment)(void *ud, const char *text, size_t len, struct sentiment *out);
    /* best article for a query (0 and *out), ENOTFOUND when none; by slug for answer steps */
    int (*kb_search)(void *ud, const char *query, struct bot_kb_answer *out, struct arena *a);
    int (*kb_article)(void *ud, const char *slug, struct bot_kb_answer *out, struct arena *a);
};

/* An HTTP action the turn is waiting for (strings in the turn's arena). The service runs it on
 * the action workers and continues the turn with bot_turn_resume. */
struct bot_action_req {
    bool pending;
    const char *step_id;
    const char *method, *url, *body; /* body: JSON text, or NULL */
    int timeout_ms, retries;
};

struct bot_decision {
    const char *replies[BOT_TURN_MAX_REPLIES];
    size_t n_replies;
    const char *note;
    enum bot_outcome outcome;
    const char *reason, *intent;
    enum priority priority;
    const char *resolved_how;
    int64_t resolve_due_at;
    struct bot_action_req action; /* pending: the flow reached an action step */
};

/* Decides the answer to one customer message and updates s. Strings in d live in a. When the
 * running flow reaches an action step, the turn stops there with d->action.pending (s->step is
 * the action step; d holds the replies so far): the caller runs the action and calls
 * bot_turn_resume with the same s, d and a. */
void bot_turn(const struct bot_env *env, struct bot_state *s, const char *text, size_t len,
              struct bot_decision *d, struct arena *a);
/* Continues a turn after its action: rc 0 (response: the JSON object or NULL) goes to the step's
 * `success` with the response's fields saved, PARLEY_ELIMIT (the action workers are full: it was
 * never sent) says "I couldn't do that just now" and offers a person, anything else goes to
 * `failure`. Appends to d's replies; d->action.pending again when the flow reaches another
 * action. A flow that changed or went away meanwhile ends. */
void bot_turn_resume(const struct bot_env *env, struct bot_state *s, int rc, json_t *response,
                     struct bot_decision *d, struct arena *a);
/* A customer message that arrives while the turn in (s, d) waits for its action: when it asks
 * for a person (a phrase or the speak_to_person intent) or shows distress or a very negative
 * sentiment, hands off at once (appending to d: the replies so far stay, the adviser's note says
 * the action's outcome is unknown) and returns true; otherwise changes nothing and returns false
 * (the message waits for the action, to be answered in order after it). */
bool bot_turn_interrupt(const struct bot_env *env, struct bot_state *s, const char *text,
                        size_t len, struct bot_decision *d, struct arena *a);
/* The decision for a conversation whose confirmation window passed without a reply. */
void bot_turn_timeout(struct bot_state *s, struct bot_decision *d);

/* ---- HTTP actions (libcurl, on the action workers: bot_pool.h) ------------------------------ */

#define BOT_ACTION_MAX_RESPONSE (64 * 1024)
#define BOT_ACTION_BUDGET_MS    12000 /* all attempts of one action */
#define BOT_ACTION_KEY_MAX      128
struct bot_pool;
struct bot_job;
/* The pool's run callback: the job's request with retries (backoff 200 ms, 400 ms, …) on the
 * worker's own curl handle (*local); j->rc 0 with j->response (JSON object or NULL) on a 2xx,
 * PARLEY_EIO otherwise. */
void bot_action_run(void *ud, struct bot_pool *pool, void **local, struct bot_job *j);
void bot_action_local_free(void *local);
/* The Idempotency-Key of an action: "parley-<conversation id>-<customer message seq>-<step id>"
 * (step id characters other than letters, digits, '-', '_' and '.' become '_'). The same
 * customer message reaching the same step gives the same key, also after a restart. */
void bot_action_key(int64_t conversation_id, int64_t seq, const char *step_id, char *out,
                    size_t outsize);

#endif
