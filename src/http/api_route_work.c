/* Work-moving routing endpoints (docs/api.md "Routing"): accepting or declining an offered
 * conversation, transfers with a note the receiver sees first, and call-backs booked by an
 * adviser or by the customer in the widget. */
#include "api_handlers.h"

#include <string.h>

#include "../core/core_json_route.h"
#include "decode_route.h"

/* accept / decline: only the adviser the conversation is offered to (409 otherwise). */
static void answer_offer(struct api_req *r, enum routing_op op)
{
    struct conversation c;
    if (api_load_conversation(r, r->ids[0], &c) != 0) return;
    if (c.offer_user != r->who.user_id) {
        api_fail(r, PARLEY_ECONFLICT, "id",
                 "conversation %lld is not waiting for your acceptance (accepted, declined, "
                 "timed out or offered to someone else)",
                 (long long)c.id);
        return;
    }
    struct store_cmd *cmd = api_cmd_new(r, STORE_ROUTE_DECISION);
    if (cmd == NULL) return;
    cmd->in.routing_update = (struct routing_update){
        .action = op,
        .conversation_id = c.id,
        .user_id = r->who.user_id,
        .reason = op == ROUTING_ACCEPT ? "accepted" : "declined",
    };
    api_submit(r, cmd, api_done_200);
}

void api_conversation_accept(struct api_req *r)
{
    answer_offer(r, ROUTING_ACCEPT);
}

void api_conversation_decline(struct api_req *r)
{
    answer_offer(r, ROUTING_DECLINE);
}

void api_conversation_transfer(struct api_req *r)
{
    struct conversation c;
    if (api_load_conversation(r, r->ids[0], &c) != 0) return;
    bool supervisor = r->who.role == ROLE_ADMIN || r->who.role == ROLE_SUPERVISOR;
    if (!supervisor && (c.n_assignees == 0 || c.assignees[0] != r->who.user_id)) {
        api_fail(r, PARLEY_EPERM, NULL,
                 "only the conversation's owner or a supervisor can transfer it");
        return;
    }
    json_t *body = api_body_object(r);
    if (body == NULL) return;
    struct store_cmd in;
    struct parley_err err = {0};
    const char *team = NULL;
    api_input_begin(r, &in, STORE_TRANSFER);
    int rc = decode_transfer(body, &in, &team, &err);
    api_input_end(r, &in);
    json_decref(body);
    if (rc != 0) {
        api_reply_error(r, &err);
        return;
    }
    if (team != NULL) {
        struct team *teams = NULL;
        size_t n = 0;
        if ((rc = store_list_teams(r->reader, r->who.tenant_id, &teams, &n, &r->arena, &err)) !=
            0) {
            api_reply_failure(r, rc, &err);
            return;
        }
        for (size_t i = 0; i < n; i++)
            if (strcmp(teams[i].slug, team) == 0) in.in.transfer.to_team = teams[i].id;
        if (in.in.transfer.to_team == 0) {
            api_fail(r, PARLEY_EINVAL, "to_team", "there is no team \"%s\"", team);
            return;
        }
    }
    in.in.transfer.conversation_id = c.id;
    in.in.transfer.from_user = r->who.user_id;
    struct store_cmd *cmd = api_cmd_with(r, &in);
    if (cmd != NULL) api_submit(r, cmd, NULL);
}

/* ---- call-backs ----------------------------------------------------------------------------- */

static void callback_create(struct api_req *r, bool staff)
{
    json_t *body = api_body_object(r);
    if (body == NULL) return;
    struct store_cmd in;
    struct parley_err err = {0};
    api_input_begin(r, &in, STORE_CREATE_CALLBACK);
    int rc = decode_callback(body, &in, staff, &err);
    api_input_end(r, &in);
    json_decref(body);
    if (rc != 0) {
        api_reply_error(r, &err);
        return;
    }
    if (!staff) in.in.create_callback.customer_id = r->who.customer_id;
    struct store_cmd *cmd = api_cmd_with(r, &in);
    if (cmd != NULL) api_submit(r, cmd, NULL);
}

void api_callbacks_create(struct api_req *r)
{
    callback_create(r, true);
}

void api_widget_callbacks_create(struct api_req *r)
{
    callback_create(r, false);
}

/* Scheduled → cancelled, 200 with the Callback; again: the same 200, nothing written. A
 * call-back already queued is a conversation now: 409. Another tenant's id: 404. */
void api_callbacks_cancel(struct api_req *r)
{
    struct store_cmd *cmd = api_cmd_new(r, STORE_CANCEL_CALLBACK);
    if (cmd == NULL) return;
    cmd->in.cancel_callback_id = r->ids[0];
    api_submit(r, cmd, api_done_200);
}

static json_t *encode_callback(const void *item, const struct json_view *view)
{
    return core_json_callback(item, view);
}

static const struct api_encoder callbacks_json = {sizeof(struct callback), encode_callback, NULL};

void api_callbacks_list(struct api_req *r)
{
    struct store_page page;
    if (api_page(r, &page) != 0) return;
    struct callback_filter f = {.status = -1};
    struct parley_err err = {0};
    const char *status = api_query(r, "status");
    if (status != NULL && (f.status = callback_status_parse(status)) < 0) {
        api_fail(r, PARLEY_EINVAL, "status", "status must be scheduled, queued or cancelled");
        return;
    }
    if (api_query_int(r, "customer", 1, INT64_MAX, &f.customer_id) < 0) return;
    struct callback *list = NULL;
    size_t n = 0;
    int64_t next = 0;
    int rc = store_list_callbacks(r->reader, r->who.tenant_id, &f, &page, &list, &n, &next,
                                  &r->arena, &err);
    api_reply_page(r, rc, &err, &callbacks_json, list, n, next);
}
