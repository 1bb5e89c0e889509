/* The flow loader: JSON (jansson) → struct flow, checking every field against the step type's
 * table of allowed fields, every reference, every template and the graph (no loop may run
 * without waiting for the customer). Errors name the file and line (flow_lines.c). */
#include "flow.h"
#include "flow_lines.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct loader {
    const char *file;
    struct flow *f;
    struct flow_lines lines;
    struct parley_err *err;
};

#define FAIL_AT(L, line, field, ...) fail_at((L), (line), (field), __VA_ARGS__)

__attribute__((format(printf, 4, 5))) static int fail_at(struct loader *L, int line,
                                                         const char *field, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return parley_fail(L->err, PARLEY_EINVAL, field, "%s:%d: %s", L->file, line, msg);
}

static int step_line(struct loader *L, size_t i, const char *key)
{
    return flow_lines_key(&L->lines, i, key);
}

/* ---- field tables ------------------------------------------------------------------------ */

static const char *const step_type_names[] = {
    [STEP_ASK] = "ask",       [STEP_BRANCH] = "branch", [STEP_SAY] = "say",
    [STEP_ANSWER] = "answer", [STEP_ACTION] = "action", [STEP_HANDOFF] = "handoff",
};

/* Allowed fields per step type ("id" and "type" always). */
static const char *const step_fields[][12] = {
    [STEP_ASK] = {"say", "slot", "expect", "next", NULL},
    [STEP_BRANCH] = {"on", "cases", "default", NULL},
    [STEP_SAY] = {"say", "next", NULL},
    [STEP_ANSWER] = {"say", "article", "confirm", NULL},
    [STEP_ACTION] = {"method", "url", "body", "timeout_ms", "retries", "save", "success", "failure",
                     NULL},
    [STEP_HANDOFF] = {"say", "priority", "reason", "summary", NULL},
};

static const char *const input_type_names[] = {
    [INPUT_TEXT] = "text",   [INPUT_NUMBER] = "number",     [INPUT_DATE] = "date",
    [INPUT_EMAIL] = "email", [INPUT_POSTCODE] = "postcode", [INPUT_CHOICE] = "choice",
};

static const char *const expect_fields[] = {"type",       "min",     "max",  "integer",
                                            "max_length", "choices", "hint", NULL};

static bool in_list(const char *const *list, const char *key)
{
    for (size_t i = 0; list[i] != NULL; i++)
        if (strcmp(list[i], key) == 0) return true;
    return false;
}

/* ---- small typed getters ------------------------------------------------------------------ */

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* A string field (NULL when absent and not required). */
static int get_text(struct loader *L, size_t i, json_t *obj, const char *key, bool required,
                    const char **out)
{
    *out = NULL;
    json_t *v = json_object_get(obj, key);
    if (v == NULL) {
        if (required)
            return FAIL_AT(L, step_line(L, i, NULL), key, "step \"%s\" needs \"%s\"",
                           L->f->steps[i].id, key);
        return 0;
    }
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > FLOW_MAX_TEXT)
        return FAIL_AT(L, step_line(L, i, key), key,
                       "\"%s\" must be a non-empty string of at most %d bytes", key, FLOW_MAX_TEXT);
    *out = json_string_value(v);
    return 0;
}

static int get_int(struct loader *L, size_t i, json_t *obj, const char *key, int def, int min,
                   int max, int *out)
{
    json_t *v = json_object_get(obj, key);
    *out = def;
    if (v == NULL) return 0;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return FAIL_AT(L, step_line(L, i, key), key, "\"%s\" must be an integer from %d to %d", key,
                       min, max);
    *out = (int)json_integer_value(v);
    return 0;
}

/* A step reference by id, resolved after all ids are known. */
static int get_ref(struct loader *L, size_t i, json_t *obj, const char *key, int *out)
{
    const char *id;
    int rc = get_text(L, i, obj, key, true, &id);
    if (rc != 0) return rc;
    for (size_t k = 0; k < L->f->n_steps; k++)
        if (strcmp(L->f->steps[k].id, id) == 0) {
            *out = (int)k;
            return 0;
        }
    return FAIL_AT(L, step_line(L, i, key), key, "step \"%s\" refers to a missing step \"%s\"",
                   L->f->steps[i].id, id);
}

/* ---- templates ----------------------------------------------------------------------------- */

static const char *const builtins[] = {"parley_url", "tenant", "conversation_reference",
                                       "customer_name", NULL};

bool flow_builtin_slot(const char *name)
{
    return in_list(builtins, name);
}

/* Whether name is a slot some step of the flow fills. */
static bool slot_known(const struct flow *f, const char *name, size_t len)
{
    char buf[80];
    if (len >= sizeof(buf)) return false;
    memcpy(buf, name, len);
    buf[len] = '\0';
    if (flow_builtin_slot(buf)) return true;
    for (size_t i = 0; i < f->n_steps; i++) {
        const struct flow_step *s = &f->steps[i];
        if (s->type == STEP_ASK && s->slot != NULL && strcmp(s->slot, buf) == 0) return true;
        for (size_t k = 0; k < s->n_save; k++)
            if (strcmp(s->save[k].slot, buf) == 0) return true;
    }
    return false;
}

static int check_template(struct loader *L, size_t i, const char *key, const char *tpl)
{
    if (tpl == NULL) return 0;
    for (const char *p = strstr(tpl, "{{"); p != NULL; p = strstr(p, "{{")) {
        const char *end = strstr(p + 2, "}}");
        if (end == NULL)
            return FAIL_AT(L, step_line(L, i, key), key, "\"{{\" without \"}}\" in \"%s\"", key);
        const char *name = p + 2;
        size_t len = (size_t)(end - name);
        while (len > 0 && *name == ' ') name++, len--;
        while (len > 0 && name[len - 1] == ' ') len--;
        if (!slot_known(L->f, name, len))
            return FAIL_AT(L, step_line(L, i, key), key,
                           "\"%s\" uses {{%.*s}}, which no step collects", key, (int)len, name);
        p = end + 2;
    }
    return 0;
}

static int check_body_templates(struct loader *L, size_t i, json_t *v)
{
    if (json_is_string(v)) return check_template(L, i, "body", json_string_value(v));
    const char *k;
    json_t *x;
    size_t idx;
    if (json_is_object(v)) {
        json_object_foreach(v, k, x)
        {
            int rc = check_body_templates(L, i, x);
            if (rc != 0) return rc;
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, idx, x)
        {
            int rc = check_body_templates(L, i, x);
            if (rc != 0) return rc;
        }
    }
    return 0;
}

/* ---- steps ---------------------------------------------------------------------------------- */

static int load_choices(struct loader *L, size_t i, json_t *choices, struct flow_input *in)
{
    int line = step_line(L, i, "expect");
    if (!json_is_object(choices) || json_object_size(choices) == 0 ||
        json_object_size(choices) > 50)
        return FAIL_AT(L, line, "choices",
                       "\"choices\" must be an object of 1 to 50 values, each with a list of "
                       "synonyms: {\"gas\": [\"gas meter\"]}");
    in->n_choices = json_object_size(choices);
    in->choices = arena_alloc(&L->f->arena, in->n_choices * sizeof(*in->choices));
    if (in->choices == NULL) return parley_fail(L->err, PARLEY_ENOMEM, NULL, "out of memory");
    const char *value;
    json_t *syn;
    size_t c = 0;
    json_object_foreach(choices, value, syn)
    {
        struct flow_choice *ch = &in->choices[c++];
        ch->value = value;
        if (!json_is_array(syn) || json_array_size(syn) > 50)
            return FAIL_AT(L, line, "choices",
                           "the synonyms of choice \"%s\" must be a list of strings", value);
        ch->n_synonyms = json_array_size(syn);
        ch->synonyms = arena_alloc(&L->f->arena, (ch->n_synonyms + 1) * sizeof(char *));
        if (ch->synonyms == NULL) return parley_fail(L->err, PARLEY_ENOMEM, NULL, "out of memory");
        for (size_t k = 0; k < ch->n_synonyms; k++) {
            json_t *s = json_array_get(syn, k);
            if (!json_is_string(s) || json_string_length(s) == 0 || json_string_length(s) > 200)
                return FAIL_AT(L, line, "choices",
                               "the synonyms of choice \"%s\" must be non-empty strings", value);
            ch->synonyms[k] = json_string_value(s);
        }
    }
    return 0;
}

static int load_expect(struct loader *L, size_t i, json_t *ex, struct flow_input *in)
{
    in->type = INPUT_TEXT;
    in->max_length = 500;
    if (ex == NULL) return 0;
    int line = step_line(L, i, "expect");
    if (!json_is_object(ex))
        return FAIL_AT(L, line, "expect",
                       "\"expect\" must be an object such as {\"type\":\"date\"}");
    const char *key;
    json_t *v;
    json_object_foreach(ex, key, v)
    {
        if (!in_list(expect_fields, key))
            return FAIL_AT(L, line, "expect", "unknown field \"%s\" in \"expect\"", key);
    }
    json_t *t = json_object_get(ex, "type");
    int type = -1;
    for (size_t k = 0; t != NULL && json_is_string(t) && k < 6; k++)
        if (strcmp(json_string_value(t), input_type_names[k]) == 0) type = (int)k;
    if (type < 0)
        return FAIL_AT(L, line, "expect",
                       "\"expect\".\"type\" must be text, number, date, email, postcode or "
                       "choice");
    in->type = (enum flow_input_type)type;
    json_t *min = json_object_get(ex, "min"), *max = json_object_get(ex, "max");
    json_t *integer = json_object_get(ex, "integer"), *ml = json_object_get(ex, "max_length");
    json_t *choices = json_object_get(ex, "choices"), *hint = json_object_get(ex, "hint");
    if ((min != NULL || max != NULL || integer != NULL) && in->type != INPUT_NUMBER)
        return FAIL_AT(L, line, "expect", "\"min\", \"max\" and \"integer\" are for numbers only");
    if (choices != NULL && in->type != INPUT_CHOICE)
        return FAIL_AT(L, line, "expect", "\"choices\" is for type choice only");
    if (ml != NULL && in->type != INPUT_TEXT)
        return FAIL_AT(L, line, "expect", "\"max_length\" is for type text only");
    if ((min != NULL && !json_is_number(min)) || (max != NULL && !json_is_number(max)))
        return FAIL_AT(L, line, "expect", "\"min\" and \"max\" must be numbers");
    if (integer != NULL && !json_is_boolean(integer))
        return FAIL_AT(L, line, "expect", "\"integer\" must be true or false");
    in->has_min = min != NULL;
    in->has_max = max != NULL;
    in->min = min != NULL ? json_number_value(min) : 0;
    in->max = max != NULL ? json_number_value(max) : 0;
    in->integer = integer != NULL && json_is_true(integer);
    if (in->has_min && in->has_max && in->min > in->max)
        return FAIL_AT(L, line, "expect", "\"min\" is greater than \"max\"");
    if (ml != NULL) {
        if (!json_is_integer(ml) || json_integer_value(ml) < 1 ||
            json_integer_value(ml) > FLOW_MAX_TEXT)
            return FAIL_AT(L, line, "expect", "\"max_length\" must be an integer from 1 to %d",
                           FLOW_MAX_TEXT);
        in->max_length = (size_t)json_integer_value(ml);
    }
    if (hint != NULL) {
        if (!json_is_string(hint) || json_string_length(hint) == 0)
            return FAIL_AT(L, line, "expect", "\"hint\" must be a non-empty string");
        in->hint = json_string_value(hint);
    }
    if (in->type == INPUT_CHOICE) {
        if (choices == NULL) return FAIL_AT(L, line, "expect", "a choice needs \"choices\"");
        return load_choices(L, i, choices, in);
    }
    return 0;
}

static int load_cases(struct loader *L, size_t i, json_t *obj, struct flow_step *s)
{
    json_t *cases = json_object_get(obj, "cases");
    int line = step_line(L, i, "cases");
    if (!json_is_object(cases) || json_object_size(cases) == 0)
        return FAIL_AT(L, step_line(L, i, cases != NULL ? "cases" : NULL), "cases",
                       "a branch needs \"cases\": {\"answer\": \"step id\", …}");
    s->n_cases = json_object_size(cases);
    s->cases = arena_alloc(&L->f->arena, s->n_cases * sizeof(*s->cases));
    if (s->cases == NULL) return parley_fail(L->err, PARLEY_ENOMEM, NULL, "out of memory");
    const char *value;
    json_t *target;
    size_t c = 0;
    json_object_foreach(cases, value, target)
    {
        s->cases[c].value = value;
        s->cases[c].step = -1;
        for (size_t k = 0; json_is_string(target) && k < L->f->n_steps; k++)
            if (strcmp(L->f->steps[k].id, json_string_value(target)) == 0)
                s->cases[c].step = (int)k;
        if (s->cases[c].step < 0)
            return FAIL_AT(L, line, "cases", "case \"%s\" of step \"%s\" refers to a missing step",
                           value, s->id);
        c++;
    }
    return 0;
}

static int load_save(struct loader *L, size_t i, json_t *obj, struct flow_step *s)
{
    json_t *save = json_object_get(obj, "save");
    if (save == NULL) return 0;
    int line = step_line(L, i, "save");
    if (!json_is_object(save) || json_object_size(save) > 20)
        return FAIL_AT(L, line, "save",
                       "\"save\" must be an object {\"slot\": \"response field\"} of up to 20");
    s->n_save = json_object_size(save);
    s->save = arena_alloc(&L->f->arena, (s->n_save + 1) * sizeof(*s->save));
    if (s->save == NULL) return parley_fail(L->err, PARLEY_ENOMEM, NULL, "out of memory");
    const char *slot;
    json_t *field;
    size_t c = 0;
    json_object_foreach(save, slot, field)
    {
        if (!name_ok(slot) || !json_is_string(field) || json_string_length(field) == 0)
            return FAIL_AT(L, line, "save",
                           "\"save\" maps slot names (letters, digits, _ and -) to response "
                           "field names");
        if (flow_builtin_slot(slot))
            return FAIL_AT(L, line, "save",
                           "\"%s\" is a built-in template name; choose another slot name", slot);
        s->save[c].slot = slot;
        s->save[c].field = json_string_value(field);
        c++;
    }
    return 0;
}

static int parse_priority(struct loader *L, size_t i, json_t *obj, enum priority *out)
{
    json_t *p = json_object_get(obj, "priority");
    *out = PRIORITY_NORMAL;
    if (p == NULL) return 0;
    int v = json_is_string(p) ? priority_parse(json_string_value(p)) : -1;
    if (v < 0)
        return FAIL_AT(L, step_line(L, i, "priority"), "priority",
                       "\"priority\" must be low, normal, high or urgent");
    *out = (enum priority)v;
    return 0;
}

/* First pass: id, type and the allowed fields, so references can be resolved in the second. */
static int load_step_header(struct loader *L, size_t i, json_t *obj)
{
    struct flow_step *s = &L->f->steps[i];
    s->line = step_line(L, i, NULL);
    if (!json_is_object(obj))
        return FAIL_AT(L, s->line, "steps", "step %zu must be an object", i + 1);
    json_t *id = json_object_get(obj, "id"), *type = json_object_get(obj, "type");
    if (!json_is_string(id) || !name_ok(json_string_value(id)))
        return FAIL_AT(L, step_line(L, i, "id"), "id",
                       "step %zu needs an \"id\" of letters, digits, _ and - (at most 64)", i + 1);
    s->id = json_string_value(id);
    for (size_t k = 0; k < i; k++)
        if (strcmp(L->f->steps[k].id, s->id) == 0)
            return FAIL_AT(L, step_line(L, i, "id"), "id", "step id \"%s\" is used twice", s->id);
    int t = -1;
    for (size_t k = 0; json_is_string(type) && k < 6; k++)
        if (strcmp(json_string_value(type), step_type_names[k]) == 0) t = (int)k;
    if (t < 0)
        return FAIL_AT(L, step_line(L, i, "type"), "type",
                       "step \"%s\" has an unknown type%s%s%s (use ask, branch, say, answer, "
                       "action or handoff)",
                       s->id, json_is_string(type) ? " \"" : "",
                       json_is_string(type) ? json_string_value(type) : "",
                       json_is_string(type) ? "\"" : "");
    s->type = (enum flow_step_type)t;
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        if (strcmp(key, "id") != 0 && strcmp(key, "type") != 0 && !in_list(step_fields[t], key))
            return FAIL_AT(L, step_line(L, i, key), key,
                           "step \"%s\" (%s) has an unknown field \"%s\"", s->id,
                           step_type_names[t], key);
    }
    if (s->type == STEP_ASK) {
        int rc = get_text(L, i, obj, "slot", true, &s->slot);
        if (rc != 0) return rc;
        if (!name_ok(s->slot))
            return FAIL_AT(L, step_line(L, i, "slot"), "slot",
                           "\"slot\" must be letters, digits, _ and - (at most 64)");
        if (flow_builtin_slot(s->slot))
            return FAIL_AT(L, step_line(L, i, "slot"), "slot",
                           "\"%s\" is a built-in template name; choose another slot name", s->slot);
    }
    return load_save(L, i, obj, s);
}

static int load_step_body(struct loader *L, size_t i, json_t *obj)
{
    struct flow_step *s = &L->f->steps[i];
    int rc = 0;
    s->next = s->success = s->failure = s->default_step = -1;
    switch (s->type) {
    case STEP_ASK:
        if ((rc = get_text(L, i, obj, "say", true, &s->say)) != 0) return rc;
        if ((rc = load_expect(L, i, json_object_get(obj, "expect"), &s->input)) != 0) return rc;
        return get_ref(L, i, obj, "next", &s->next);
    case STEP_SAY:
        if ((rc = get_text(L, i, obj, "say", true, &s->say)) != 0) return rc;
        return get_ref(L, i, obj, "next", &s->next);
    case STEP_BRANCH:
        if ((rc = get_text(L, i, obj, "on", true, &s->on)) != 0) return rc;
        if (!slot_known(L->f, s->on, strlen(s->on)))
            return FAIL_AT(L, step_line(L, i, "on"), "on",
                           "branch \"%s\" is on \"%s\", which no step collects", s->id, s->on);
        if ((rc = load_cases(L, i, obj, s)) != 0) return rc;
        return get_ref(L, i, obj, "default", &s->default_step);
    case STEP_ANSWER: {
        if ((rc = get_text(L, i, obj, "say", false, &s->say)) != 0) return rc;
        if ((rc = get_text(L, i, obj, "article", false, &s->article)) != 0) return rc;
        if (s->say == NULL && s->article == NULL)
            return FAIL_AT(L, s->line, "say", "answer \"%s\" needs \"say\" or \"article\"", s->id);
        json_t *c = json_object_get(obj, "confirm");
        if (c != NULL && !json_is_boolean(c))
            return FAIL_AT(L, step_line(L, i, "confirm"), "confirm",
                           "\"confirm\" must be true or false");
        s->confirm = c == NULL || json_is_true(c);
        return 0;
    }
    case STEP_ACTION: {
        const char *method;
        if ((rc = get_text(L, i, obj, "method", false, &method)) != 0) return rc;
        s->method = method != NULL ? method : "POST";
        if (strcmp(s->method, "GET") != 0 && strcmp(s->method, "POST") != 0 &&
            strcmp(s->method, "PUT") != 0)
            return FAIL_AT(L, step_line(L, i, "method"), "method",
                           "\"method\" must be GET, POST or PUT");
        if ((rc = get_text(L, i, obj, "url", true, &s->url)) != 0) return rc;
        if (strncmp(s->url, "http://", 7) != 0 && strncmp(s->url, "https://", 8) != 0 &&
            strncmp(s->url, "{{parley_url}}/", 15) != 0)
            return FAIL_AT(L, step_line(L, i, "url"), "url",
                           "\"url\" must start with http://, https:// or {{parley_url}}/");
        s->body = json_object_get(obj, "body");
        if (s->body != NULL && !json_is_object(s->body))
            return FAIL_AT(L, step_line(L, i, "body"), "body", "\"body\" must be a JSON object");
        if ((rc = get_int(L, i, obj, "timeout_ms", 3000, 100, 10000, &s->timeout_ms)) != 0 ||
            (rc = get_int(L, i, obj, "retries", 1, 0, 3, &s->retries)) != 0)
            return rc;
        if ((rc = get_ref(L, i, obj, "success", &s->success)) != 0) return rc;
        if ((rc = get_ref(L, i, obj, "failure", &s->failure)) != 0) return rc;
        if ((rc = check_template(L, i, "url", s->url)) != 0) return rc;
        return s->body != NULL ? check_body_templates(L, i, s->body) : 0;
    }
    case STEP_HANDOFF:
        if ((rc = get_text(L, i, obj, "say", false, &s->say)) != 0) return rc;
        if ((rc = get_text(L, i, obj, "reason", false, &s->reason)) != 0) return rc;
        if (s->reason == NULL) s->reason = "flow";
        if (!name_ok(s->reason))
            return FAIL_AT(L, step_line(L, i, "reason"), "reason",
                           "\"reason\" must be letters, digits, _ and -");
        if ((rc = get_text(L, i, obj, "summary", false, &s->summary)) != 0) return rc;
        if ((rc = check_template(L, i, "summary", s->summary)) != 0) return rc;
        return parse_priority(L, i, obj, &s->priority);
    }
    return 0;
}

/* Steps that run on without waiting (everything but ask) must not form a loop: the bot would
 * spin without the customer ever being asked anything. */
static int out_edges(const struct flow_step *s, int *out)
{
    int n = 0;
    switch (s->type) {
    case STEP_SAY:
        out[n++] = s->next;
        break;
    case STEP_BRANCH:
        for (size_t k = 0; k < s->n_cases && n < 60; k++) out[n++] = s->cases[k].step;
        out[n++] = s->default_step;
        break;
    case STEP_ACTION:
        out[n++] = s->success;
        out[n++] = s->failure;
        break;
    default:
        break;
    }
    return n;
}

static int find_cycle(struct loader *L, int v, unsigned char *color)
{
    color[v] = 1;
    int edges[64];
    int n = out_edges(&L->f->steps[v], edges);
    for (int k = 0; k < n; k++) {
        int w = edges[k];
        if (w < 0 || L->f->steps[w].type == STEP_ASK) continue;
        if (color[w] == 1)
            return FAIL_AT(L, L->f->steps[w].line, "steps",
                           "steps \"%s\" and \"%s\" form a loop that never asks the customer "
                           "anything",
                           L->f->steps[v].id, L->f->steps[w].id);
        if (color[w] == 0) {
            int rc = find_cycle(L, w, color);
            if (rc != 0) return rc;
        }
    }
    color[v] = 2;
    return 0;
}

static int load_top(struct loader *L, json_t *root)
{
    static const char *const top_fields[] = {"flow", "intents", "description", "steps", NULL};
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        if (!in_list(top_fields, key))
            return FAIL_AT(L, flow_lines_top(&L->lines, key), key, "unknown field \"%s\"", key);
    }
    json_t *name = json_object_get(root, "flow");
    if (!json_is_string(name) || !name_ok(json_string_value(name)))
        return FAIL_AT(L, name != NULL ? flow_lines_top(&L->lines, "flow") : 1, "flow",
                       "\"flow\" must name the flow (letters, digits, _ and -)");
    L->f->name = json_string_value(name);
    json_t *desc = json_object_get(root, "description");
    if (desc != NULL && !json_is_string(desc))
        return FAIL_AT(L, flow_lines_top(&L->lines, "description"), "description",
                       "\"description\" must be a string");
    L->f->description = desc != NULL ? json_string_value(desc) : "";
    json_t *intents = json_object_get(root, "intents");
    int line = intents != NULL ? flow_lines_top(&L->lines, "intents") : 1;
    if (!json_is_array(intents) || json_array_size(intents) == 0 || json_array_size(intents) > 20)
        return FAIL_AT(L, line, "intents",
                       "\"intents\" must list 1 to 20 intent labels the flow answers");
    L->f->n_intents = json_array_size(intents);
    L->f->intents = arena_alloc(&L->f->arena, L->f->n_intents * sizeof(char *));
    if (L->f->intents == NULL) return parley_fail(L->err, PARLEY_ENOMEM, NULL, "out of memory");
    for (size_t k = 0; k < L->f->n_intents; k++) {
        json_t *it = json_array_get(intents, k);
        if (!json_is_string(it) || !name_ok(json_string_value(it)))
            return FAIL_AT(L, line, "intents", "intent labels are letters, digits, _ and -");
        L->f->intents[k] = json_string_value(it);
    }
    json_t *steps = json_object_get(root, "steps");
    line = steps != NULL ? flow_lines_top(&L->lines, "steps") : 1;
    if (!json_is_array(steps) || json_array_size(steps) == 0 ||
        json_array_size(steps) > FLOW_MAX_STEPS)
        return FAIL_AT(L, line, "steps", "\"steps\" must be a list of 1 to %d steps",
                       FLOW_MAX_STEPS);
    L->f->n_steps = json_array_size(steps);
    L->f->steps = arena_alloc(&L->f->arena, L->f->n_steps * sizeof(struct flow_step));
    if (L->f->steps == NULL) return parley_fail(L->err, PARLEY_ENOMEM, NULL, "out of memory");
    memset(L->f->steps, 0, L->f->n_steps * sizeof(struct flow_step));
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < L->f->n_steps; i++)
        rc = load_step_header(L, i, json_array_get(steps, i));
    for (size_t i = 0; rc == 0 && i < L->f->n_steps; i++)
        rc = load_step_body(L, i, json_array_get(steps, i));
    for (size_t i = 0; rc == 0 && i < L->f->n_steps; i++) {
        const struct flow_step *s = &L->f->steps[i];
        if (s->type == STEP_ANSWER) rc = check_template(L, i, "say", s->say);
        if (s->type == STEP_ASK || s->type == STEP_SAY || s->type == STEP_HANDOFF)
            rc = check_template(L, i, "say", s->say);
    }
    if (rc != 0) return rc;
    unsigned char *color = calloc(L->f->n_steps, 1);
    if (color == NULL) return parley_fail(L->err, PARLEY_ENOMEM, NULL, "out of memory");
    for (size_t i = 0; rc == 0 && i < L->f->n_steps; i++)
        if (color[i] == 0 && L->f->steps[i].type != STEP_ASK) rc = find_cycle(L, (int)i, color);
    free(color);
    return rc;
}

int flow_load_buffer(const char *file, const char *text, size_t len, struct flow **out,
                     struct parley_err *err)
{
    *out = NULL;
    if (len > FLOW_MAX_FILE_BYTES)
        return parley_fail(err, PARLEY_ETOOBIG, "file",
                           "%s: the flow is %zu bytes; the limit is %d", file, len,
                           FLOW_MAX_FILE_BYTES);
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return parley_fail(err, PARLEY_EINVAL, "file", "%s:%d:%d: %s", file, jerr.line, jerr.column,
                           jerr.text);
    struct flow *f = calloc(1, sizeof(*f));
    if (f == NULL) {
        json_decref(root);
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    }
    arena_init(&f->arena);
    f->root = root;
    f->file = arena_strdup(&f->arena, file);
    struct loader L = {.file = file, .f = f, .err = err};
    int rc = flow_lines_scan(text, len, &L.lines) == 0
                 ? 0
                 : parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    if (rc == 0 && !json_is_object(root))
        rc = FAIL_AT(&L, 1, "file", "a flow is a JSON object {\"flow\", \"intents\", \"steps\"}");
    if (rc == 0) rc = load_top(&L, root);
    flow_lines_free(&L.lines);
    if (rc != 0) {
        flow_free(f);
        return rc;
    }
    *out = f;
    return 0;
}

int flow_load_file(const char *path, struct flow **out, struct parley_err *err)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return parley_fail(err, PARLEY_EINVAL, "file", "%s: cannot open: %s", path,
                           strerror(errno));
    char *buf = malloc(FLOW_MAX_FILE_BYTES + 1);
    if (buf == NULL) {
        fclose(fp);
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    }
    size_t n = fread(buf, 1, FLOW_MAX_FILE_BYTES + 1, fp);
    bool failed = ferror(fp) != 0;
    fclose(fp);
    int rc = failed ? parley_fail(err, PARLEY_EIO, "file", "%s: cannot read", path)
                    : flow_load_buffer(path, buf, n, out, err);
    free(buf);
    return rc;
}

void flow_free(struct flow *f)
{
    if (f == NULL) return;
    json_decref(f->root);
    arena_free(&f->arena);
    free(f);
}

/* ---- sets ------------------------------------------------------------------------------------ */

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int flow_set_load_dir(const char *dir, struct flow_set **out, struct parley_err *err)
{
    *out = NULL;
    struct flow_set *set = calloc(1, sizeof(*set));
    char **names = calloc(FLOW_MAX_FILES, sizeof(char *));
    if (set == NULL || names == NULL) {
        free(set);
        free(names);
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    }
    size_t n = 0;
    int rc = 0;
    DIR *d = opendir(dir);
    if (d == NULL && errno != ENOENT)
        rc = parley_fail(err, PARLEY_EINVAL, "dir", "%s: cannot open: %s", dir, strerror(errno));
    for (struct dirent *e; rc == 0 && d != NULL && (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0 || e->d_name[0] == '.') continue;
        if (n == FLOW_MAX_FILES) {
            rc = parley_fail(err, PARLEY_ETOOBIG, "dir", "%s: more than %d flows", dir,
                             FLOW_MAX_FILES);
            break;
        }
        names[n] = malloc(strlen(dir) + len + 2);
        if (names[n] == NULL) {
            rc = parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
            break;
        }
        sprintf(names[n], "%s/%s", dir, e->d_name);
        n++;
    }
    if (d != NULL) closedir(d);
    qsort(names, n, sizeof(char *), cmp_names);
    set->flows = calloc(n > 0 ? n : 1, sizeof(struct flow *));
    if (rc == 0 && set->flows == NULL) rc = parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct flow *f;
        rc = flow_load_file(names[i], &f, err);
        if (rc != 0) break;
        set->flows[set->n++] = f;
        for (size_t k = 0; rc == 0 && k < f->n_intents; k++) {
            for (size_t j = 0; j + 1 < set->n; j++) {
                const struct flow *o = set->flows[j];
                for (size_t m = 0; m < o->n_intents; m++)
                    if (strcmp(o->intents[m], f->intents[k]) == 0) {
                        rc = parley_fail(err, PARLEY_EINVAL, "intents",
                                         "%s: intent \"%s\" is already bound to flow \"%s\" (%s)",
                                         f->file, f->intents[k], o->name, o->file);
                        break;
                    }
                if (rc != 0) break;
            }
        }
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    if (rc != 0) {
        flow_set_free(set);
        return rc;
    }
    *out = set;
    return 0;
}

void flow_set_free(struct flow_set *s)
{
    if (s == NULL) return;
    for (size_t i = 0; i < s->n; i++) flow_free(s->flows[i]);
    free(s->flows);
    free(s);
}

const struct flow *flow_set_for_intent(const struct flow_set *s, const char *intent)
{
    if (s == NULL || intent == NULL) return NULL;
    for (size_t i = 0; i < s->n; i++)
        for (size_t k = 0; k < s->flows[i]->n_intents; k++)
            if (strcmp(s->flows[i]->intents[k], intent) == 0) return s->flows[i];
    return NULL;
}

/* ---- rendering ------------------------------------------------------------------------------- */

char *flow_render(const char *tpl, flow_lookup_fn lookup, void *ud, size_t max, struct arena *a)
{
    size_t cap = max + 1, n = 0;
    char *out = arena_alloc(a, cap);
    if (out == NULL) return NULL;
    for (const char *p = tpl; *p != '\0' && n < max;) {
        const char *open = strstr(p, "{{");
        const char *end = open != NULL ? strstr(open + 2, "}}") : NULL;
        size_t lit = open != NULL && end != NULL ? (size_t)(open - p) : strlen(p);
        size_t take = lit < max - n ? lit : max - n;
        memcpy(out + n, p, take);
        n += take;
        p += lit;
        if (open == NULL || end == NULL || n >= max) break;
        char name[80];
        const char *s = open + 2;
        size_t len = (size_t)(end - s);
        while (len > 0 && *s == ' ') s++, len--;
        while (len > 0 && s[len - 1] == ' ') len--;
        const char *val = NULL;
        if (len < sizeof(name)) {
            memcpy(name, s, len);
            name[len] = '\0';
            val = lookup(ud, name);
        }
        if (val != NULL) {
            size_t vl = strlen(val);
            take = vl < max - n ? vl : max - n;
            memcpy(out + n, val, take);
            n += take;
        }
        p = end + 2;
    }
    /* never cut a UTF-8 sequence in half */
    while (n > 0 && n >= max && ((unsigned char)out[n - 1] & 0xC0) == 0x80) n--;
    if (n > 0 && n >= max && ((unsigned char)out[n - 1] & 0xC0) == 0xC0) n--;
    out[n] = '\0';
    return out;
}
