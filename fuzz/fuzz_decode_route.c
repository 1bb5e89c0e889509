/* libFuzzer target for the routing API's decoders (decode_route.h): the first byte picks the
 * decoder (queue, routing profile, presence, SLA policies, routing settings, call-back from
 * staff or widget, transfer), the rest is the JSON body. Beyond "no crash, no leak" it frees
 * the JSON before reading the result (every string must have been copied) and checks the
 * bounds each decoder promises and that a failure carries a code, a message and a field. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "http/decode_route.h"

static void must(int ok)
{
    if (!ok) abort();
}

static void text(const char *s)
{
    must(s == NULL || util_utf8_valid(s, strlen(s)));
}

static void texts(const char *const *s, size_t n)
{
    for (size_t i = 0; i < n; i++) must(s[i] != NULL && util_utf8_valid(s[i], strlen(s[i])));
}

static void check_result(int which, const struct store_cmd *cmd, const char *team)
{
    switch (which) {
    case 0: {
        const struct route_queue *q = &cmd->in.put_queue;
        must(q->name != NULL && q->n_skills <= QUEUE_MAX_SKILLS && q->n_steps <= QUEUE_MAX_STEPS);
        text(q->name);
        text(q->language);
        text(q->team);
        texts(q->skills, q->n_skills);
        texts(q->reasons, q->n_reasons);
        for (size_t i = 0; i < q->n_steps; i++) {
            must(q->steps[i].after_s >= 1 && q->steps[i].relax_levels <= 4);
            texts(q->steps[i].add_teams, q->steps[i].n_add_teams);
        }
        break;
    }
    case 1:
        for (int c = 0; c < CHANNEL__COUNT; c++)
            must(cmd->in.put_profile.capacity[c] >= 0 && cmd->in.put_profile.capacity[c] <= 50);
        must(cmd->in.put_profile.accept_timeout_s >= 1);
        break;
    case 2:
        must((unsigned)cmd->in.set_presence.status < PRESENCE__COUNT);
        break;
    case 3:
        must(cmd->in.put_sla_policies.n <= 2 * PRIORITY__COUNT);
        for (size_t i = 0; i < cmd->in.put_sla_policies.n; i++) {
            const struct sla_policy *p = &cmd->in.put_sla_policies.items[i];
            must(p->first_response_ms >= 0 && p->warning_pct >= 1 && p->warning_pct <= 99);
        }
        break;
    case 4:
        text(cmd->in.put_route_settings.specialist_team);
        break;
    case 5:
    case 6:
        must(cmd->in.create_callback.at >= 1);
        text(cmd->in.create_callback.note);
        break;
    default:
        text(team);
        text(cmd->in.transfer.note);
        must((cmd->in.transfer.to_user != 0) + (team != NULL) + (cmd->in.transfer.to_queue != 0) ==
             1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum store_cmd_kind kinds[] = {STORE_PUT_QUEUE,          STORE_PUT_ROUTING_PROFILE,
                                                STORE_SET_PRESENCE,       STORE_PUT_SLA_POLICIES,
                                                STORE_PUT_ROUTE_SETTINGS, STORE_CREATE_CALLBACK,
                                                STORE_CREATE_CALLBACK,    STORE_TRANSFER};
    if (size < 1) return 0;
    int which = data[0] % 8;
    json_t *body = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
    if (body == NULL) return 0;
    struct store_cmd cmd;
    store_cmd_init(&cmd, kinds[which]);
    if (which == 1) route_profile_default(&cmd.in.put_profile);
    struct parley_err err = {0};
    const char *team = NULL;
    int rc;
    switch (which) {
    case 0:
        rc = decode_queue(body, &cmd, &err);
        break;
    case 1:
        rc = decode_routing_profile(body, &cmd, &err);
        break;
    case 2:
        rc = decode_presence(body, &cmd, &err);
        break;
    case 3:
        rc = decode_sla_policies(body, &cmd, &err);
        break;
    case 4:
        rc = decode_route_settings(body, &cmd, &err);
        break;
    case 5:
        rc = decode_callback(body, &cmd, true, &err);
        break;
    case 6:
        rc = decode_callback(body, &cmd, false, &err);
        break;
    default:
        rc = decode_transfer(body, &cmd, &team, &err);
        break;
    }
    json_decref(body);
    if (rc != 0) {
        must(rc == PARLEY_EINVAL || rc == PARLEY_ENOMEM);
        must(err.code == rc && err.message[0] != '\0');
        text(err.field);
        text(err.message);
    } else {
        check_result(which, &cmd, team);
    }
    store_cmd_release(&cmd);
    return 0;
}
