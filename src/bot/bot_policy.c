/* The triage policy: defaults, parsing (strict: unknown fields and out-of-range values are
 * refused with the field named) and the JSON form GET/PUT /api/v1/bot/policy use. */
#include "bot_int.h"

#include <stdio.h>
#include <string.h>

static const struct bot_moment default_moments[] = {
    {"complaint", PRIORITY_HIGH},       {"bereavement", PRIORITY_HIGH},
    {"fraud", PRIORITY_URGENT},         {"payment_difficulty", PRIORITY_HIGH},
    {"cancel_contract", PRIORITY_HIGH}, {"gas_leak", PRIORITY_URGENT},
};

void bot_policy_defaults(struct bot_policy *p)
{
    memset(p, 0, sizeof(*p));
    p->enabled = true;
    snprintf(p->disclosure, sizeof(p->disclosure), "%s",
             "Hi, I'm the virtual assistant: an automated bot, not a person. I can help with "
             "common questions, and you can ask for a person at any time.");
    p->confidence_threshold = 0.5;
    p->low_confidence_handoff = 2;
    p->sentiment_threshold = -0.6;
    p->trend_threshold = -0.5;
    p->distress_handoff = true;
    p->n_moments = sizeof(default_moments) / sizeof(default_moments[0]);
    memcpy(p->moments, default_moments, sizeof(default_moments));
    p->kb_min_score = 5.0; /* negated bm25: good matches of the demo score 7-12, stray words 1-4 */
    snprintf(p->article_url, sizeof(p->article_url), "%s", "/help/{{slug}}");
    p->resolve_after_s = 72 * 3600;
}

static const char *const fields[] = {"enabled",
                                     "disclosure",
                                     "confidence_threshold",
                                     "low_confidence_handoff",
                                     "sentiment_threshold",
                                     "trend_threshold",
                                     "distress_handoff",
                                     "moments_that_matter",
                                     "kb_min_score",
                                     "article_url",
                                     "resolve_after_s",
                                     NULL};

static int number(json_t *obj, const char *key, double min, double max, double *out,
                  struct parley_err *err)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL) return 0;
    if (!json_is_number(v) || json_number_value(v) < min || json_number_value(v) > max)
        return parley_fail(err, PARLEY_EINVAL, key, "%s must be a number from %g to %g", key, min,
                           max);
    *out = json_number_value(v);
    return 0;
}

static int text(json_t *obj, const char *key, char *out, size_t outsize, struct parley_err *err)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL) return 0;
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= outsize)
        return parley_fail(err, PARLEY_EINVAL, key, "%s must be text of 1 to %zu bytes", key,
                           outsize - 1);
    snprintf(out, outsize, "%s", json_string_value(v));
    return 0;
}

static int flag(json_t *obj, const char *key, bool *out, struct parley_err *err)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL) return 0;
    if (!json_is_boolean(v))
        return parley_fail(err, PARLEY_EINVAL, key, "%s must be true or false", key);
    *out = json_is_true(v);
    return 0;
}

static int moments(json_t *obj, struct bot_policy *p, struct parley_err *err)
{
    static const char field[] = "moments_that_matter";
    json_t *v = json_object_get(obj, field);
    if (v == NULL) return 0;
    if (!json_is_object(v) || json_object_size(v) > BOT_MAX_MOMENTS)
        return parley_fail(err, PARLEY_EINVAL, field,
                           "moments_that_matter maps up to %d intents to a priority (high or "
                           "urgent): {\"bereavement\":\"high\"}",
                           BOT_MAX_MOMENTS);
    p->n_moments = 0;
    const char *intent;
    json_t *prio;
    json_object_foreach(v, intent, prio)
    {
        int pr = json_is_string(prio) ? priority_parse(json_string_value(prio)) : -1;
        size_t len = strlen(intent);
        if (len == 0 || len >= sizeof(p->moments[0].intent) || pr < 0)
            return parley_fail(err, PARLEY_EINVAL, field,
                               "moments_that_matter: \"%s\" needs a priority (low, normal, high "
                               "or urgent)",
                               intent);
        struct bot_moment *m = &p->moments[p->n_moments++];
        snprintf(m->intent, sizeof(m->intent), "%s", intent);
        m->priority = (enum priority)pr;
    }
    return 0;
}

int bot_policy_from_json(json_t *obj, struct bot_policy *p, struct parley_err *err)
{
    if (!json_is_object(obj))
        return parley_fail(err, PARLEY_EINVAL, "policy", "the policy must be a JSON object");
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        bool known = false;
        for (size_t i = 0; fields[i] != NULL && !known; i++) known = strcmp(fields[i], key) == 0;
        if (!known)
            return parley_fail(err, PARLEY_EINVAL, key, "unknown policy field \"%.40s\"", key);
    }
    double low = p->low_confidence_handoff, secs = (double)p->resolve_after_s;
    int rc;
    if ((rc = flag(obj, "enabled", &p->enabled, err)) != 0 ||
        (rc = text(obj, "disclosure", p->disclosure, sizeof(p->disclosure), err)) != 0 ||
        (rc = number(obj, "confidence_threshold", 0, 1, &p->confidence_threshold, err)) != 0 ||
        (rc = number(obj, "low_confidence_handoff", 1, 10, &low, err)) != 0 ||
        (rc = number(obj, "sentiment_threshold", -1, 1, &p->sentiment_threshold, err)) != 0 ||
        (rc = number(obj, "trend_threshold", -1, 1, &p->trend_threshold, err)) != 0 ||
        (rc = flag(obj, "distress_handoff", &p->distress_handoff, err)) != 0 ||
        (rc = moments(obj, p, err)) != 0 ||
        (rc = number(obj, "kb_min_score", 0, 1000, &p->kb_min_score, err)) != 0 ||
        (rc = text(obj, "article_url", p->article_url, sizeof(p->article_url), err)) != 0 ||
        (rc = number(obj, "resolve_after_s", 1, 30 * 24 * 3600, &secs, err)) != 0)
        return rc;
    if (low != (int)low || secs != (int64_t)secs)
        return parley_fail(err, PARLEY_EINVAL,
                           low != (int)low ? "low_confidence_handoff" : "resolve_after_s",
                           "must be a whole number");
    p->low_confidence_handoff = (int)low;
    p->resolve_after_s = (int64_t)secs;
    return 0;
}

int bot_policy_parse(const char *json, size_t len, struct bot_policy *p, struct parley_err *err)
{
    json_error_t jerr;
    json_t *obj = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (obj == NULL)
        return parley_fail(err, PARLEY_EINVAL, "policy", "the policy is not valid JSON: %s",
                           jerr.text);
    int rc = bot_policy_from_json(obj, p, err);
    json_decref(obj);
    return rc;
}

json_t *bot_policy_to_json(const struct bot_policy *p)
{
    json_t *m = json_object();
    for (size_t i = 0; m != NULL && i < p->n_moments; i++)
        json_object_set_new(m, p->moments[i].intent,
                            json_string(priority_name(p->moments[i].priority)));
    if (m == NULL) return NULL;
    return json_pack("{sbsssfsisfsfsbsosfsssI}", "enabled", p->enabled, "disclosure", p->disclosure,
                     "confidence_threshold", p->confidence_threshold, "low_confidence_handoff",
                     p->low_confidence_handoff, "sentiment_threshold", p->sentiment_threshold,
                     "trend_threshold", p->trend_threshold, "distress_handoff", p->distress_handoff,
                     "moments_that_matter", m, "kb_min_score", p->kb_min_score, "article_url",
                     p->article_url, "resolve_after_s", (json_int_t)p->resolve_after_s);
}

int bot_policy_moment(const struct bot_policy *p, const char *intent)
{
    for (size_t i = 0; intent != NULL && i < p->n_moments; i++)
        if (strcmp(p->moments[i].intent, intent) == 0) return (int)p->moments[i].priority;
    return -1;
}
