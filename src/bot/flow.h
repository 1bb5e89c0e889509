/* Flows: declarative decision trees in JSON, one file per flow, bound to NLU intents. The
 * loader checks everything a running conversation could trip over (unknown step types and
 * fields, references to missing steps or slots, cycles that never wait for the customer, bad
 * types and ranges) and reports it with the file and line. docs/bot.md describes the format.
 *
 * Ownership: a struct flow owns all its memory (one arena); a flow_set owns its flows. Both are
 * immutable once loaded, so any thread may read them. */
#ifndef PARLEY_BOT_FLOW_H
#define PARLEY_BOT_FLOW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "../common/arena.h"
#include "../common/err.h"
#include "../core/core.h"

#define FLOW_MAX_FILE_BYTES (256 * 1024)
#define FLOW_MAX_STEPS      200
#define FLOW_MAX_FILES      200
#define FLOW_MAX_TEXT       2000 /* bytes of any text or template */

enum flow_step_type { STEP_ASK, STEP_BRANCH, STEP_SAY, STEP_ANSWER, STEP_ACTION, STEP_HANDOFF };

enum flow_input_type {
    INPUT_TEXT,
    INPUT_NUMBER,
    INPUT_DATE,
    INPUT_EMAIL,
    INPUT_POSTCODE,
    INPUT_CHOICE
};

struct flow_choice {
    const char *value;     /* what the slot gets */
    const char **synonyms; /* other words that pick it */
    size_t n_synonyms;
};

/* What an ask step accepts (src/bot/bot_validate.c checks answers against it). */
struct flow_input {
    enum flow_input_type type;
    bool has_min, has_max, integer;
    double min, max;   /* number */
    size_t max_length; /* text: bytes (default 500) */
    struct flow_choice *choices;
    size_t n_choices;
    const char *hint; /* re-ask text after an answer that does not validate, or NULL */
};

struct flow_case {
    const char *value;
    int step;
};

struct flow_save {
    const char *slot, *field; /* slot ← the action's JSON response field */
};

struct flow_step {
    const char *id;
    int line; /* where the step starts in its file */
    enum flow_step_type type;
    const char *say; /* template: the question, message, answer or hand-off text */
    int next;        /* ask, say: step index */
    /* ask */
    const char *slot;
    struct flow_input input;
    /* branch */
    const char *on;
    struct flow_case *cases;
    size_t n_cases;
    int default_step;
    /* answer */
    const char *article; /* knowledge-base slug */
    bool confirm;        /* ask "did that answer your question?" afterwards */
    /* action */
    const char *method, *url; /* url is a template */
    json_t *body;             /* JSON object whose string values are templates, or NULL */
    int timeout_ms, retries;
    struct flow_save *save;
    size_t n_save;
    int success, failure;
    /* handoff */
    enum priority priority;
    const char *reason;  /* recorded in bot.handoff (default "flow") */
    const char *summary; /* template for the adviser's note, or NULL: the collected answers */
};

struct flow {
    const char *name, *file, *description;
    const char **intents;
    size_t n_intents;
    struct flow_step *steps; /* steps[0] is where the flow starts */
    size_t n_steps;
    json_t *root; /* keeps the action bodies alive */
    struct arena arena;
};

struct flow_set {
    struct flow **flows;
    size_t n;
};

/* Parses and checks one flow. file names the source in messages ("flows/meter.json:12: …").
 * Returns 0 with *out (free with flow_free), or PARLEY_EINVAL/ETOOBIG/ENOMEM with err. */
int flow_load_buffer(const char *file, const char *text, size_t len, struct flow **out,
                     struct parley_err *err);
int flow_load_file(const char *path, struct flow **out, struct parley_err *err);
void flow_free(struct flow *f);

/* Every *.json file in dir (not recursive), sorted by name; fails on the first bad file, or
 * when two flows claim the same intent. A missing dir is an empty set. */
int flow_set_load_dir(const char *dir, struct flow_set **out, struct parley_err *err);
void flow_set_free(struct flow_set *s);
const struct flow *flow_set_for_intent(const struct flow_set *s, const char *intent);

/* Templates: "{{slot}}" is replaced by lookup(ud, "slot") ("" when it returns NULL). The
 * result is in the arena, at most max bytes (cut at a UTF-8 boundary); NULL when out of
 * memory. */
typedef const char *(*flow_lookup_fn)(void *ud, const char *name);
char *flow_render(const char *tpl, flow_lookup_fn lookup, void *ud, size_t max, struct arena *a);

/* Built-in template names every flow may use besides its own slots. */
bool flow_builtin_slot(const char *name);

#endif
