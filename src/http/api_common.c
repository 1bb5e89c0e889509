/* Helpers the REST handlers share: error replies, list replies, conversation visibility (the
 * per-object role rules of docs/api.md) and query-string parsing. */
#include "api_handlers.h"

#include <string.h>

#include "../core/core_json.h"
#include "decode.h"

void api_reply_failure(struct api_req *r, int rc, struct parley_err *err)
{
    if (err->code == 0)
        parley_fail(err, rc < 0 ? rc : PARLEY_EINTERNAL, NULL,
                    "the request could not be completed");
    api_reply_error(r, err);
}

void api_reply_json_or_fail(struct api_req *r, int status, json_t *body)
{
    if (body == NULL) {
        api_fail(r, PARLEY_ENOMEM, NULL, "out of memory building the reply; retry");
        return;
    }
    api_reply_json(r, status, body);
}

bool api_append(json_t *arr, json_t *item)
{
    return item != NULL && json_array_append_new(arr, item) == 0;
}

bool api_is_assignee(const struct conversation *c, int64_t user_id)
{
    for (size_t i = 0; i < c->n_assignees; i++)
        if (c->assignees[i] == user_id) return true;
    return false;
}

int api_load_conversation(struct api_req *r, int64_t id, struct conversation *out)
{
    struct parley_err err = {0};
    int rc = store_get_conversation(r->reader, r->who.tenant_id, id, out, &r->arena, &err);
    if (rc != 0) {
        api_reply_failure(r, rc, &err);
        return rc;
    }
    if (r->who.kind == PRINCIPAL_CUSTOMER && out->customer_id != r->who.customer_id) {
        /* indistinguishable from an id that does not exist */
        api_fail(r, PARLEY_ENOTFOUND, NULL, "conversation %lld not found", (long long)id);
        return PARLEY_ENOTFOUND;
    }
    if (r->who.kind == PRINCIPAL_USER && r->who.role == ROLE_EXPERT &&
        !api_is_assignee(out, r->who.user_id)) {
        /* swarming: a crowd expert learns nothing of conversations they are not in */
        api_fail(r, PARLEY_ENOTFOUND, NULL, "conversation %lld not found", (long long)id);
        return PARLEY_ENOTFOUND;
    }
    api_swarm_audit_view(r, out);
    return 0;
}

int api_query_int(struct api_req *r, const char *name, int64_t min, int64_t max, int64_t *out)
{
    const char *s = api_query(r, name);
    if (s == NULL) return 0;
    struct parley_err err = {0};
    if (decode_query_int(name, s, min, max, out, &err) != 0) {
        api_reply_error(r, &err);
        return -1;
    }
    return 1;
}

int api_query_text(struct api_req *r, const char *name, size_t max, const char **out)
{
    const char *s = api_query(r, name);
    if (s == NULL) return 0;
    struct parley_err err = {0};
    if (core_check_text(name, s, strlen(s), max, true, &err) != 0) {
        api_reply_error(r, &err);
        return -1;
    }
    *out = s;
    return 1;
}

void api_input_begin(struct api_req *r, struct store_cmd *in, enum store_cmd_kind kind)
{
    store_cmd_init(in, kind);
    in->arena = r->arena; /* moved in; api_input_end moves it back with what was added */
}

void api_input_end(struct api_req *r, struct store_cmd *in)
{
    r->arena = in->arena;
    arena_init(&in->arena); /* the holder owns nothing: never release it */
}

struct store_cmd *api_cmd_with(struct api_req *r, const struct store_cmd *in)
{
    struct store_cmd *cmd = api_cmd_new(r, in->kind);
    if (cmd == NULL) return NULL;
    cmd->in = in->in;
    cmd->receipt_kind = in->receipt_kind;
    return cmd;
}

void api_done_200(struct api_req *r, struct store_cmd *cmd)
{
    if (cmd->status != 0) {
        api_reply_failure(r, cmd->status, &cmd->err);
        return;
    }
    const char *json = cmd->result_json != NULL ? cmd->result_json : "{}";
    api_reply_raw(r, 200, json, strlen(json), cmd->replayed);
}

json_t *api_encode_list(const struct api_encoder *enc, const void *items, size_t n,
                        const struct json_view *view)
{
    json_t *data = json_array();
    for (size_t i = 0; data != NULL && i < n; i++) {
        const void *item = (const char *)items + i * enc->elem;
        if (enc->skip != NULL && enc->skip(item)) continue;
        if (!api_append(data, enc->encode(item, view))) {
            json_decref(data);
            data = NULL;
        }
    }
    return data;
}

void api_reply_page(struct api_req *r, int rc, struct parley_err *err,
                    const struct api_encoder *enc, const void *items, size_t n, int64_t next)
{
    if (rc != 0) {
        api_reply_failure(r, rc, err);
        return;
    }
    struct json_view view = api_view(r);
    json_t *data = api_encode_list(enc, items, n, &view);
    if (data == NULL) {
        api_fail(r, PARLEY_ENOMEM, NULL, "out of memory building the reply; retry");
        return;
    }
    api_reply_list(r, data, next);
}

void api_reply_all(struct api_req *r, int rc, struct parley_err *err, const struct api_encoder *enc,
                   const void *items, size_t n)
{
    if (rc != 0) {
        api_reply_failure(r, rc, err);
        return;
    }
    struct json_view view = api_view(r);
    json_t *data = api_encode_list(enc, items, n, &view);
    api_reply_json_or_fail(r, 200, data == NULL ? NULL : json_pack("{s:o}", "data", data));
}
