/* The virtual agent's endpoints: the triage policy (GET for supervisors, PUT for admins), the
 * counters (containment, hand-offs by reason, time to the first human reply), and the demo
 * organisation's stand-in back-office actions that its flows call (/demo/actions/…): the place
 * where a real organisation's own systems would answer. */
#include "api_handlers.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "../bot/bot_int.h"
#include "../bot/bot_text.h"
#include "../common/util.h"

#define DEMO_TENANT_SLUG "acme"

/* The stored policy over the defaults (a stored policy that no longer parses gives the
 * defaults, and says so in the log). */
static int current_policy(struct api_req *r, struct bot_policy *p, struct parley_err *err)
{
    bot_policy_defaults(p);
    const char *json;
    int rc = store_bot_get_policy(r->reader, r->who.tenant_id, &json, &r->arena, err);
    if (rc == PARLEY_ENOTFOUND) return 0;
    if (rc != 0) return rc;
    struct parley_err perr = {0};
    if (bot_policy_parse(json, strlen(json), p, &perr) != 0) bot_policy_defaults(p);
    return 0;
}

void api_bot_policy_get(struct api_req *r)
{
    struct bot_policy p;
    struct parley_err err = {0};
    int rc = current_policy(r, &p, &err);
    if (rc != 0) return api_reply_failure(r, rc, &err);
    api_reply_json_or_fail(r, 200, bot_policy_to_json(&p));
}

static void policy_done(struct api_req *r, struct store_cmd *cmd)
{
    if (cmd->status != 0) return api_reply_failure(r, cmd->status, &cmd->err);
    const char *json = cmd->result_json;
    api_reply_raw(r, 200, json, strlen(json), false);
}

void api_bot_policy_put(struct api_req *r)
{
    json_t *body = api_body_object(r);
    if (body == NULL) return;
    struct bot_policy p;
    bot_policy_defaults(&p);
    struct parley_err err = {0};
    int rc = bot_policy_from_json(body, &p, &err);
    json_decref(body);
    if (rc != 0) return api_reply_error(r, &err);
    json_t *j = bot_policy_to_json(&p);
    char *text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (text == NULL) return api_fail(r, PARLEY_ENOMEM, NULL, "out of memory");
    struct store_cmd *cmd = api_cmd_new(r, STORE_BOT_SET_POLICY);
    if (cmd == NULL) {
        free(text);
        return;
    }
    cmd->in.bot_policy.enabled = p.enabled;
    cmd->in.bot_policy.policy_json = arena_strdup(&cmd->arena, text);
    free(text);
    api_submit(r, cmd, policy_done);
}

void api_bot_stats(struct api_req *r)
{
    struct bot_stats st;
    struct parley_err err = {0};
    int rc = store_bot_stats(r->reader, r->who.tenant_id, &st, &r->arena, &err);
    if (rc != 0) return api_reply_failure(r, rc, &err);
    json_t *by = json_object();
    for (size_t i = 0; by != NULL && i < st.n_reasons; i++)
        json_object_set_new(by, st.by_reason[i].reason, json_integer(st.by_reason[i].n));
    int64_t decided = st.resolved + st.handoffs;
    api_reply_json_or_fail(
        r, 200,
        by == NULL
            ? NULL
            : json_pack("{sIsIsIsIsIsIsfsosIsI}", "conversations", (json_int_t)st.conversations,
                        "active", (json_int_t)st.active, "resolved", (json_int_t)st.resolved,
                        "resolved_confirmed", (json_int_t)st.resolved_confirmed, "resolved_timeout",
                        (json_int_t)st.resolved_timeout, "handoffs", (json_int_t)st.handoffs,
                        "containment", decided > 0 ? (double)st.resolved / (double)decided : 0.0,
                        "handoffs_by_reason", by, "first_replies", (json_int_t)st.first_replies,
                        "first_reply_avg_ms", (json_int_t)st.first_reply_avg_ms));
}

/* ---- the demo organisation's back office ------------------------------------------------------
 */

/* Only the demo organisation has these stand-ins; anyone else gets 404 like any unknown path. */
static json_t *demo_body(struct api_req *r)
{
    const char *tenant = api_query(r, "tenant");
    if (tenant == NULL || strcmp(tenant, DEMO_TENANT_SLUG) != 0) {
        api_fail(r, PARLEY_ENOTFOUND, "tenant",
                 "the demo actions exist for the demo organisation only (?tenant=acme)");
        return NULL;
    }
    return api_body_object(r);
}

static const char *field_text(json_t *body, const char *key)
{
    json_t *v = json_object_get(body, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

void api_demo_meter_reading(struct api_req *r)
{
    json_t *body = demo_body(r);
    if (body == NULL) return;
    const char *account = field_text(body, "account");
    const char *reading = field_text(body, "reading");
    bool ok_account = account != NULL && strlen(account) == 8 && strspn(account, "0123456789") == 8;
    bool ok_reading = reading != NULL && strlen(reading) >= 1 && strlen(reading) <= 7 &&
                      strspn(reading, "0123456789.") == strlen(reading);
    if (!ok_account || !ok_reading) {
        json_decref(body);
        return api_fail(r, PARLEY_EINVAL, ok_account ? "reading" : "account",
                        ok_account ? "reading must be up to 7 digits"
                                   : "account must be the 8-digit account number");
    }
    char hex[65];
    char seed[64];
    snprintf(seed, sizeof(seed), "%s:%s", account, reading);
    util_sha256_hex(seed, strlen(seed), hex);
    char ref[16];
    snprintf(ref, sizeof(ref), "MR-%.6s", hex);
    for (char *p = ref; *p != '\0'; p++) *p = (char)toupper((unsigned char)*p);
    json_t *out = json_pack("{sssssssb}", "reference", ref, "account", account, "reading", reading,
                            "accepted", 1);
    json_decref(body);
    api_reply_json_or_fail(r, 201, out);
}

/* Areas with a (pretend) power cut in the demo: by outward code. */
static const struct {
    const char *outward, *message, *restore;
} demo_outages[] = {
    {"CF10", "A fault on an underground cable is being repaired.", "18:00 today"},
    {"LS1", "Engineers are replacing a damaged transformer.", "21:30 today"},
    {"M1", "A storm brought down an overhead line.", "tomorrow morning"},
};

void api_demo_power_cut(struct api_req *r)
{
    json_t *body = demo_body(r);
    if (body == NULL) return;
    const char *postcode = field_text(body, "postcode");
    char norm[16];
    struct flow_input in = {.type = INPUT_POSTCODE};
    if (postcode == NULL ||
        bot_validate(&in, postcode, strlen(postcode), 0, norm, sizeof(norm)) != 0) {
        json_decref(body);
        return api_fail(r, PARLEY_EINVAL, "postcode", "postcode must be a UK postcode");
    }
    json_decref(body);
    size_t out_len = strcspn(norm, " ");
    for (size_t i = 0; i < sizeof(demo_outages) / sizeof(demo_outages[0]); i++) {
        if (strlen(demo_outages[i].outward) == out_len &&
            strncmp(norm, demo_outages[i].outward, out_len) == 0)
            return api_reply_json_or_fail(r, 200,
                                          json_pack("{sssbssss}", "postcode", norm, "outage", 1,
                                                    "message", demo_outages[i].message,
                                                    "estimated_restore", demo_outages[i].restore));
    }
    api_reply_json_or_fail(r, 200,
                           json_pack("{sssbssss}", "postcode", norm, "outage", 0, "message",
                                     "No known power cuts in this area.", "estimated_restore", ""));
}
