/* The customer side (web widget): sessions from a signed identity or none, and a visitor's
 * messages, conversations and receipts, always scoped to the token's own customer. */
#include "api_handlers.h"

#include <string.h>

#include "../bot/bot.h"
#include "../common/util.h"
#include "../core/core_json.h"
#include "decode.h"
#include "visitor_token.h"

struct session_job {
    int64_t tenant_id;
    const char *token_key;
};

/* The id of what a command wrote: result_id, or, for a replay that only has the stored JSON,
 * that JSON's key. */
static int64_t result_id(const struct store_cmd *cmd, const char *key)
{
    if (cmd->result_id > 0) return cmd->result_id;
    json_t *j = cmd->result_json != NULL ? json_loads(cmd->result_json, 0, NULL) : NULL;
    json_int_t id = json_integer_value(json_object_get(j, key));
    json_decref(j);
    return (int64_t)id;
}

/* Sends j (stolen) with status, flagging replays, as api_submit's default would. */
static void reply_result(struct api_req *r, int status, json_t *j, bool replayed)
{
    char *text = j != NULL ? core_json_dump(j, &r->arena) : NULL;
    if (text == NULL) {
        api_fail(r, PARLEY_ENOMEM, NULL, "out of memory building the reply; retry");
        return;
    }
    api_reply_raw(r, status, text, strlen(text), replayed);
}

static void session_done(struct api_req *r, struct store_cmd *cmd)
{
    struct session_job *j = r->handler_ctx;
    if (cmd->status != 0) {
        api_reply_failure(r, cmd->status, &cmd->err);
        return;
    }
    struct visitor_token t = {
        .tenant_id = j->tenant_id,
        .customer_id = result_id(cmd, "id"),
        .expires_ms = util_now_ms() + (int64_t)r->cfg->visitor_token_ttl_s * 1000,
    };
    char token[VISITOR_TOKEN_MAX];
    struct parley_err err = {0};
    if (visitor_token_sign(j->token_key, strlen(j->token_key), &t, token, sizeof(token), &err) !=
        0) {
        api_fail(r, PARLEY_EINTERNAL, NULL, "the visitor token could not be signed");
        return;
    }
    /* a replay answers with the same customer and a fresh token: tokens are never stored */
    reply_result(r, 201,
                 json_pack("{s:s, s:I, s:I}", "token", token, "customer_id",
                           (json_int_t)t.customer_id, "expires_at", (json_int_t)t.expires_ms),
                 cmd->replayed);
}

void api_widget_session(struct api_req *r)
{
    json_t *body = api_body_object(r);
    if (body == NULL) return;
    struct store_cmd in;
    struct widget_session_req req;
    struct parley_err err = {0};
    api_input_begin(r, &in, STORE_WIDGET_SESSION);
    int rc = decode_widget_session(body, &in, &req, &err);
    api_input_end(r, &in);
    json_decref(body);
    if (rc != 0) {
        api_reply_error(r, &err);
        return;
    }
    struct tenant t;
    rc = store_get_tenant_by_slug(r->reader, req.tenant, &t, &r->arena, &err);
    if (rc == PARLEY_ENOTFOUND) {
        api_fail(r, PARLEY_EINVAL, "tenant",
                 "unknown tenant; check the tenant slug the widget was set up with");
        return;
    }
    if (rc != 0) {
        api_reply_failure(r, rc, &err);
        return;
    }
    if (req.identifier != NULL) {
        char expected[65];
        util_hmac_sha256_hex(t.widget_secret, strlen(t.widget_secret), req.identifier,
                             strlen(req.identifier), expected);
        if (!util_ct_equal(expected, req.identifier_hash)) {
            api_fail(r, PARLEY_EAUTH, "identifier_hash",
                     "identifier_hash does not match: it must be the hex HMAC-SHA256 of the "
                     "identifier with the tenant's widget secret");
            return;
        }
    }
    struct session_job *j = arena_alloc(&r->arena, sizeof(*j));
    if (j == NULL) {
        api_fail(r, PARLEY_ENOMEM, NULL, "out of memory; retry");
        return;
    }
    j->tenant_id = t.id;
    j->token_key = t.token_key;
    struct store_cmd *cmd = api_cmd_with(r, &in);
    if (cmd == NULL) return;
    cmd->tenant_id = t.id;
    cmd->actor = "widget";
    cmd->viewer_is_customer = true;
    /* Public callers have no actor to scope a key by. With a signed identifier a replay can
     * only find that same customer, so the key is kept; an anonymous body is identical for
     * every visitor, and a reused key would hand one visitor another's customer, so there a
     * retry simply creates a fresh anonymous customer. */
    cmd->idem_scope = "widget";
    if (req.identifier == NULL) cmd->idem_key = NULL;
    r->handler_ctx = j;
    api_submit(r, cmd, session_done);
}

static void message_done(struct api_req *r, struct store_cmd *cmd)
{
    if (cmd->status != 0) {
        api_reply_failure(r, cmd->status, &cmd->err);
        return;
    }
    /* The store already rendered the reply ({"message":Message,"conversation_id":N}, compact,
     * as jansson would): send it as it is rather than parse and print it again. */
    static const char reply_head[] = "{\"message\":";
    if (cmd->result_json != NULL &&
        strncmp(cmd->result_json, reply_head, sizeof(reply_head) - 1) == 0) {
        api_reply_raw(r, 201, cmd->result_json, strlen(cmd->result_json), cmd->replayed);
        return;
    }
    json_t *res = cmd->result_json != NULL ? json_loads(cmd->result_json, 0, NULL) : NULL;
    if (res == NULL) {
        api_fail(r, PARLEY_EINTERNAL, NULL, "the message was stored but could not be shown");
        return;
    }
    if (json_object_get(res, "message") != NULL) { /* already {"message","conversation_id"} */
        reply_result(r, 201, res, cmd->replayed);
        return;
    }
    json_t *conv = json_object_get(res, "conversation_id");
    json_int_t conversation_id =
        json_is_integer(conv) ? json_integer_value(conv) : (json_int_t)cmd->result_id2;
    reply_result(r, 201,
                 json_pack("{s:o, s:I}", "message", res, "conversation_id", conversation_id),
                 cmd->replayed);
}

void api_widget_message(struct api_req *r)
{
    json_t *body = api_body_object(r);
    if (body == NULL) return;
    struct store_cmd in;
    struct parley_err err = {0};
    api_input_begin(r, &in, STORE_WIDGET_MESSAGE);
    int rc = decode_widget_message(body, &in, (size_t)r->cfg->max_message_bytes, &err);
    api_input_end(r, &in);
    json_decref(body);
    if (rc != 0) {
        api_reply_error(r, &err);
        return;
    }
    if (in.in.widget_message.conversation_id != 0) {
        struct conversation c; /* only the customer's own: 404 otherwise */
        if (api_load_conversation(r, in.in.widget_message.conversation_id, &c) != 0) return;
    }
    in.in.widget_message.customer_id = r->who.customer_id;
    in.in.widget_message.bot = bot_service_enabled(r->bot); /* virtual agent (issue 3) */
    in.in.widget_message.message.tenant_id = r->who.tenant_id;
    in.in.widget_message.message.author_id = r->who.customer_id;
    struct store_cmd *cmd = api_cmd_with(r, &in);
    if (cmd == NULL) return;
    cmd->viewer_is_customer = true;
    api_submit(r, cmd, message_done);
}

void api_widget_conversations(struct api_req *r)
{
    struct store_page page;
    if (api_page(r, &page) != 0) return;
    struct conversation_filter f = {.status = -1, .customer_id = r->who.customer_id};
    api_conversations_reply(r, &f, &page);
}

void api_widget_messages(struct api_req *r)
{
    api_messages_reply(r, false);
}

void api_widget_receipt(struct api_req *r)
{
    struct conversation c;
    if (api_load_conversation(r, r->ids[0], &c) != 0) return;
    api_receipt_submit(r, &c);
}
