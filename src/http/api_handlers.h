/* The REST handlers of docs/api.md (src/http/api_*.c), which the route table in routes.c
 * points at, and the few helpers they share (api_common.c). Private to src/http. */
#ifndef PARLEY_HTTP_API_HANDLERS_H
#define PARLEY_HTTP_API_HANDLERS_H

#include "http_int.h"

/* api_auth.c: staff sign-in */
void api_auth_login(struct api_req *r);
void api_auth_logout(struct api_req *r);
void api_me_get(struct api_req *r);

/* api_users.c */
void api_users_list(struct api_req *r);
void api_users_create(struct api_req *r);

/* api_customers.c */
void api_customers_list(struct api_req *r);
void api_customers_create(struct api_req *r);
void api_customers_get(struct api_req *r);
void api_customers_update(struct api_req *r);
void api_identities_list(struct api_req *r);
void api_identities_add(struct api_req *r);
void api_consents_list(struct api_req *r);
void api_consents_set(struct api_req *r);

/* api_conversations.c */
void api_conversations_list(struct api_req *r);
void api_conversations_create(struct api_req *r);
void api_conversations_get(struct api_req *r);
void api_conversations_update(struct api_req *r);
void api_messages_list(struct api_req *r);
void api_messages_create(struct api_req *r);
void api_receipts_list(struct api_req *r);
void api_receipts_update(struct api_req *r);
void api_typing_post(struct api_req *r);
/* Shared by the staff and the widget receipt routes: decodes the body and moves the caller's
 * own cursor (participant r->actor) in c, which the caller has loaded and may see. */
void api_receipt_submit(struct api_req *r, const struct conversation *c);
/* Shared by the staff and the widget lists: replies with the page of the tenant's
 * conversations that f selects (the caller has narrowed f to what it may see). */
void api_conversations_reply(struct api_req *r, const struct conversation_filter *f,
                             const struct store_page *page);
/* Shared by the staff and the widget routes: replies with a page of the messages of
 * conversation r->ids[0], once the caller may see it; internal notes only for staff. */
void api_messages_reply(struct api_req *r, bool include_internal);

/* api_audit.c */
void api_audit_list(struct api_req *r);

/* api_widget.c: the customer side */
void api_widget_session(struct api_req *r);
void api_widget_message(struct api_req *r);
void api_widget_conversations(struct api_req *r);
void api_widget_messages(struct api_req *r);
void api_widget_receipt(struct api_req *r);

/* api_nlu.c: intent models (NLU) */
void api_nlu_train(struct api_req *r);
void api_nlu_model_get(struct api_req *r);
void api_nlu_predict(struct api_req *r);
/* api_wfm.c: staffing forecast (wfm) */
void api_wfm_forecast(struct api_req *r);
/* api_bot.c: the virtual agent (issue 3) */
void api_bot_policy_get(struct api_req *r);
void api_bot_policy_put(struct api_req *r);
void api_bot_stats(struct api_req *r);
void api_demo_meter_reading(struct api_req *r);
void api_demo_power_cut(struct api_req *r);
/* api_swarm.c: swarming (docs/swarming.md) */
void api_invitations_create(struct api_req *r);
void api_participants_list(struct api_req *r);
void api_participants_delete(struct api_req *r);
void api_participants_update(struct api_req *r);
/* Whether the caller may post a message with this internal flag in c: participants (and
 * experts) post internal notes only unless the owner allowed them; 0, or -1 after a 403. */
int api_swarm_check_write(struct api_req *r, const struct conversation *c, bool internal);
/* Whether the caller may apply an update with this set mask: participants who are not
 * supervisors cannot change the owner or status; 0, or -1 after a 403. */
int api_swarm_check_update(struct api_req *r, const struct conversation *c, unsigned set);
/* Crowd experts read redacted text: whether view is one, and j with its free-text fields
 * redacted for such a view (j itself otherwise; NULL, j freed, when out of memory). */
bool api_swarm_redacted(const struct json_view *v);
json_t *api_swarm_redact(json_t *j, const struct json_view *v, struct arena *a);
/* Crowd experts read only customers of conversations they take part in: 0, or -1 after a
 * 404 (as for a missing id). Anyone else: 0. */
int api_swarm_check_customer(struct api_req *r, int64_t customer_id);
/* Audits an expert's read of c ("conversation.view"); nothing for anyone else. */
void api_swarm_audit_view(struct api_req *r, const struct conversation *c);
/* routing (issue 4): api_route.c, api_route_work.c */
void api_queues_list(struct api_req *r);
void api_queues_create(struct api_req *r);
void api_queues_get(struct api_req *r);
void api_queues_put(struct api_req *r);
void api_queues_delete(struct api_req *r);
void api_queue_waiting(struct api_req *r);
void api_routing_get(struct api_req *r);
void api_routing_put(struct api_req *r);
void api_presence_put(struct api_req *r);
void api_presence_list(struct api_req *r);
void api_sla_policies_get(struct api_req *r);
void api_sla_policies_put(struct api_req *r);
void api_sla_calendar_get(struct api_req *r);
void api_sla_calendar_put(struct api_req *r);
void api_routing_settings_get(struct api_req *r);
void api_routing_settings_put(struct api_req *r);
void api_conversation_accept(struct api_req *r);
void api_conversation_decline(struct api_req *r);
void api_conversation_transfer(struct api_req *r);
void api_callbacks_create(struct api_req *r);
void api_callbacks_list(struct api_req *r);
void api_widget_callbacks_create(struct api_req *r);
void api_callbacks_cancel(struct api_req *r); /* routehot */
/* api_kb.c: knowledge base (kb helper) */
void api_kb_search(struct api_req *r);
void api_widget_kb_search(struct api_req *r);
void api_kb_articles_list(struct api_req *r);
void api_kb_articles_create(struct api_req *r);
void api_kb_articles_get(struct api_req *r);
void api_kb_articles_update(struct api_req *r);
void api_kb_articles_delete(struct api_req *r);

/* ---- api_common.c -------------------------------------------------------------------- */

/* Replies with err, or with rc when a callee returned a code without filling err. */
void api_reply_failure(struct api_req *r, int rc, struct parley_err *err);
/* api_reply_json that turns a NULL body (the encoder ran out of memory) into a 503. */
void api_reply_json_or_fail(struct api_req *r, int status, json_t *body);
/* Appends a new reference to arr; false (and arr left as it was) when item is NULL or the
 * append fails. */
bool api_append(json_t *arr, json_t *item);

/* Whether user_id is among the conversation's assignees. */
bool api_is_assignee(const struct conversation *c, int64_t user_id);
/* Reads conversation id of the caller's tenant, if the caller may see it: staff except
 * experts see all; experts only the ones they are assigned to (403); a customer only their
 * own (404 otherwise, like another tenant's). Returns 0, or replies and returns non-zero. */
int api_load_conversation(struct api_req *r, int64_t id, struct conversation *out);
/* Query parameter name as an integer in [min, max]: 1 when present (in *out), 0 when absent,
 * -1 after replying 400. */
int api_query_int(struct api_req *r, const char *name, int64_t min, int64_t max, int64_t *out);
/* Query parameter as bounded UTF-8 text: 1 when present, 0 when absent, -1 after a 400. */
int api_query_text(struct api_req *r, const char *name, size_t max, const char **out);
/* Commands from api_cmd_new cannot be dropped once made, so a handler first decodes and
 * checks the body into an input holder, and makes the command only when it will submit it.
 * Between begin and end the holder borrows the request's arena (nothing else may touch
 * r->arena in between), so decoded strings live as long as the request, which outlives any
 * command it submits. api_cmd_with then makes the command (NULL after replying 503) carrying
 * the holder's input. */
void api_input_begin(struct api_req *r, struct store_cmd *in, enum store_cmd_kind kind);
void api_input_end(struct api_req *r, struct store_cmd *in);
struct store_cmd *api_cmd_with(struct api_req *r, const struct store_cmd *in);
/* Default completion for receipts: the Receipt with 200 whatever the store says about
 * "created" (a cursor moves, nothing is created). */
void api_done_200(struct api_req *r, struct store_cmd *cmd);

/* How a handler shows the items of one kind of store list: each is elem bytes, encode
 * returns a new reference (NULL when out of memory) for the caller's view, and skip, when
 * set, says which items this caller must never see even if a backend returned them. */
struct api_encoder {
    size_t elem;
    json_t *(*encode)(const void *item, const struct json_view *view);
    bool (*skip)(const void *item);
};
/* The n items (an array as a store list call returns it) as a new JSON array; NULL when
 * out of memory. */
json_t *api_encode_list(const struct api_encoder *enc, const void *items, size_t n,
                        const struct json_view *view);
/* The end of a list handler, given what its store call returned: replies with the failure
 * (rc, err), else 200 {"data":[…],"next_cursor":…} in the caller's view (503 when out of
 * memory). */
void api_reply_page(struct api_req *r, int rc, struct parley_err *err,
                    const struct api_encoder *enc, const void *items, size_t n, int64_t next);
/* The same for a list that is never paged: 200 {"data":[…]}. */
void api_reply_all(struct api_req *r, int rc, struct parley_err *err, const struct api_encoder *enc,
                   const void *items, size_t n);

#endif
