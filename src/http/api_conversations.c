/* Conversations, their messages, receipts and typing signals, staff side. Experts work only
 * inside conversations they are assigned to, and there only write internal notes. */
#include "api_handlers.h"

#include <string.h>

#include "../common/util.h"
#include "../core/core_json.h"
#include "decode.h"

static bool is_expert(const struct api_req *r)
{
    return r->who.kind == PRINCIPAL_USER && r->who.role == ROLE_EXPERT;
}

/* ?status=&assignee=(id|me|none)&customer=&updated_since= into a filter; replies 400 and
 * returns -1 on a bad value. */
static int conversation_filter(struct api_req *r, struct conversation_filter *f)
{
    f->status = -1;
    struct parley_err err = {0};
    const char *s = api_query(r, "status");
    if (s != NULL &&
        decode_enum_name(&decode_enum_conv_status, "status", s, &f->status, &err) != 0) {
        api_reply_error(r, &err);
        return -1;
    }
    const char *a = api_query(r, "assignee");
    if (a != NULL) {
        if (strcmp(a, "me") == 0)
            f->assignee_id = r->who.user_id;
        else if (strcmp(a, "none") == 0)
            f->assignee_id = -1;
        else if (decode_query_int("assignee", a, 1, INT64_MAX, &f->assignee_id, &err) != 0) {
            parley_fail(&err, PARLEY_EINVAL, "assignee",
                        "assignee must be a user id, \"me\" or \"none\"");
            api_reply_error(r, &err);
            return -1;
        }
    }
    if (api_query_int(r, "customer", 1, INT64_MAX, &f->customer_id) < 0 ||
        api_query_int(r, "updated_since", 0, INT64_MAX, &f->updated_since) < 0)
        return -1;
    return 0;
}

/* Crowd experts get free text redacted (api_swarm.c); the arena is a scratch one: jansson
 * copies the redacted strings. */
static json_t *redacted(json_t *j, const struct json_view *view)
{
    if (j == NULL || !api_swarm_redacted(view)) return j;
    struct arena a;
    arena_init(&a);
    j = api_swarm_redact(j, view, &a);
    arena_free(&a);
    return j;
}

static json_t *encode_conversation(const void *item, const struct json_view *view)
{
    return redacted(core_json_conversation(item, view), view);
}

static json_t *encode_message(const void *item, const struct json_view *view)
{
    return redacted(core_json_message(item), view);
}

static json_t *encode_receipt(const void *item, const struct json_view *view)
{
    return core_json_receipt(item);
}

static bool is_internal(const void *item)
{
    const struct message *m = item;
    return m->internal;
}

static const struct api_encoder conversations_json = {sizeof(struct conversation),
                                                      encode_conversation, NULL};
static const struct api_encoder messages_json = {sizeof(struct message), encode_message, NULL};
/* customers never see internal notes, whatever the backend returned */
static const struct api_encoder messages_json_customer = {sizeof(struct message), encode_message,
                                                          is_internal};
static const struct api_encoder receipts_json = {sizeof(struct receipt), encode_receipt, NULL};

void api_conversations_reply(struct api_req *r, const struct conversation_filter *f,
                             const struct store_page *page)
{
    struct conversation *list = NULL;
    size_t n = 0;
    int64_t next = 0;
    struct parley_err err = {0};
    int rc = store_list_conversations(r->reader, r->who.tenant_id, f, page, &list, &n, &next,
                                      &r->arena, &err);
    api_reply_page(r, rc, &err, &conversations_json, list, n, next);
}

void api_conversations_list(struct api_req *r)
{
    struct conversation_filter f = {0};
    struct store_page page;
    if (api_page(r, &page) != 0 || conversation_filter(r, &f) != 0) return;
    if (is_expert(r)) {
        /* an expert's view is always "assigned to me"; any other assignee filter meets it in
         * nothing */
        if (f.assignee_id != 0 && f.assignee_id != r->who.user_id) {
            struct parley_err none = {0};
            api_reply_page(r, 0, &none, &conversations_json, NULL, 0, 0);
            return;
        }
        f.assignee_id = r->who.user_id;
    }
    api_conversations_reply(r, &f, &page);
}

void api_conversations_create(struct api_req *r)
{
    json_t *body = api_body_object(r);
    if (body == NULL) return;
    struct store_cmd in;
    struct parley_err err = {0};
    api_input_begin(r, &in, STORE_CREATE_CONVERSATION);
    int rc = decode_conversation_create(body, &in, (size_t)r->cfg->max_message_bytes, &err);
    api_input_end(r, &in);
    json_decref(body);
    if (rc != 0) {
        api_reply_error(r, &err);
        return;
    }
    struct conversation *c = &in.in.create_conversation.conversation;
    c->tenant_id = r->who.tenant_id;
    /* the customer must be this tenant's: 404 here rather than trusting every backend */
    struct customer owner;
    rc = store_get_customer(r->reader, r->who.tenant_id, c->customer_id, &owner, &r->arena, &err);
    if (rc != 0) {
        api_reply_failure(r, rc, &err);
        return;
    }
    struct store_cmd *cmd = api_cmd_with(r, &in);
    if (cmd != NULL) api_submit(r, cmd, NULL);
}

void api_conversations_get(struct api_req *r)
{
    struct conversation c;
    if (api_load_conversation(r, r->ids[0], &c) != 0) return;
    struct json_view view = api_view(r);
    api_reply_json_or_fail(r, 200, encode_conversation(&c, &view));
}

void api_conversations_update(struct api_req *r)
{
    struct conversation current;
    if (api_load_conversation(r, r->ids[0], &current) != 0) return;
    json_t *body = api_body_object(r);
    if (body == NULL) return;
    struct store_cmd in;
    struct parley_err err = {0};
    api_input_begin(r, &in, STORE_UPDATE_CONVERSATION);
    int rc = decode_conversation_update(body, &in, &err);
    api_input_end(r, &in);
    json_decref(body);
    if (rc != 0) {
        api_reply_error(r, &err);
        return;
    }
    if (api_swarm_check_update(r, &current, in.in.update_conversation.set) != 0) return;
    /* The store checks the assignees and applies "assigning takes a bot/queued conversation
     * to assigned" inside the write, where the status it starts from is current. */
    in.in.update_conversation.conversation.id = current.id;
    in.in.update_conversation.conversation.tenant_id = r->who.tenant_id;
    struct store_cmd *cmd = api_cmd_with(r, &in);
    if (cmd != NULL) api_submit(r, cmd, NULL);
}

void api_messages_reply(struct api_req *r, bool include_internal)
{
    struct conversation c;
    struct store_page page;
    if (api_load_conversation(r, r->ids[0], &c) != 0 || api_page(r, &page) != 0) return;
    struct message *list = NULL;
    size_t n = 0;
    int64_t next = 0;
    struct parley_err err = {0};
    int rc = store_list_messages(r->reader, r->who.tenant_id, c.id, include_internal, &page, &list,
                                 &n, &next, &r->arena, &err);
    api_reply_page(r, rc, &err, include_internal ? &messages_json : &messages_json_customer, list,
                   n, next);
}

void api_messages_list(struct api_req *r)
{
    api_messages_reply(r, true);
}

void api_messages_create(struct api_req *r)
{
    struct conversation c;
    if (api_load_conversation(r, r->ids[0], &c) != 0) return;
    json_t *body = api_body_object(r);
    if (body == NULL) return;
    struct store_cmd in;
    struct parley_err err = {0};
    api_input_begin(r, &in, STORE_CREATE_MESSAGE);
    struct message *m = &in.in.create_message;
    m->channel = c.channel; /* replies go out where the conversation started unless told */
    int rc = decode_message_create(body, &in, (size_t)r->cfg->max_message_bytes, &err);
    api_input_end(r, &in);
    json_decref(body);
    if (rc != 0) {
        api_reply_error(r, &err);
        return;
    }
    if (api_swarm_check_write(r, &c, m->internal) != 0) return; /* experts, participants */
    m->tenant_id = r->who.tenant_id;
    m->conversation_id = c.id;
    m->author_id = r->who.user_id;
    struct store_cmd *cmd = api_cmd_with(r, &in);
    if (cmd != NULL) api_submit(r, cmd, NULL);
}

void api_receipts_list(struct api_req *r)
{
    struct conversation c;
    if (api_load_conversation(r, r->ids[0], &c) != 0) return;
    struct receipt *list = NULL;
    size_t n = 0;
    struct parley_err err = {0};
    int rc = store_list_receipts(r->reader, r->who.tenant_id, c.id, &list, &n, &r->arena, &err);
    if (rc != 0) {
        api_reply_failure(r, rc, &err);
        return;
    }
    json_t *data = api_encode_list(&receipts_json, list, n, NULL);
    /* acceptance is commit: everything up to last_seq has been accepted */
    api_reply_json_or_fail(r, 200,
                           data == NULL ? NULL
                                        : json_pack("{s:o, s:I}", "data", data, "accepted_seq",
                                                    (json_int_t)c.last_seq));
}

void api_receipt_submit(struct api_req *r, const struct conversation *c)
{
    json_t *body = api_body_object(r);
    if (body == NULL) return;
    struct store_cmd in;
    struct parley_err err = {0};
    api_input_begin(r, &in, STORE_UPDATE_RECEIPT);
    int rc = decode_receipt_update(body, &in, &err);
    api_input_end(r, &in);
    json_decref(body);
    if (rc != 0) {
        api_reply_error(r, &err);
        return;
    }
    /* the store refuses a seq past the last message, against the committed last_seq */
    in.in.update_receipt.conversation_id = c->id;
    in.in.update_receipt.participant = r->actor; /* the request outlives the command */
    struct store_cmd *cmd = api_cmd_with(r, &in);
    if (cmd != NULL) api_submit(r, cmd, api_done_200);
}

void api_receipts_update(struct api_req *r)
{
    struct conversation c;
    if (api_load_conversation(r, r->ids[0], &c) != 0) return;
    api_receipt_submit(r, &c);
}

void api_typing_post(struct api_req *r)
{
    struct conversation c;
    if (api_load_conversation(r, r->ids[0], &c) != 0) return;
    struct event ev;
    memset(&ev, 0, sizeof(ev));
    ev.tenant_id = r->who.tenant_id;
    ev.type = "typing";
    ev.conversation_id = c.id;
    ev.customer_id = c.customer_id;
    ev.assignee_id = c.n_assignees > 0 ? c.assignees[0] : 0;
    for (size_t i = 0; i < c.n_assignees && ev.n_assignees < 8; i++)
        ev.assignees[ev.n_assignees++] = c.assignees[i];
    ev.audience = AUDIENCE_STAFF | AUDIENCE_CUSTOMER;
    ev.data = arena_printf(&r->arena, "{\"conversation_id\":%lld,\"participant\":\"%s\"}",
                           (long long)c.id, r->actor);
    ev.at = util_now_ms();
    if (ev.data == NULL) {
        api_fail(r, PARLEY_ENOMEM, NULL, "out of memory; retry");
        return;
    }
    api_publish_ephemeral(r, &ev);
    api_reply_empty(r);
}
