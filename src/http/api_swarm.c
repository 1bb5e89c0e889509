/* Swarming (docs/swarming.md): invitations into a conversation, its participants, and the
 * rules the other conversation handlers ask about: who may write to the customer, who may
 * change a conversation, and what a crowd expert may read (redacted). */
#include "api_handlers.h"

#include <stdio.h>
#include <string.h>

#include "../core/core_json.h"
#include "../core/redact.h"
#include "decode.h"

static bool is_owner(const struct conversation *c, int64_t user_id)
{
    return c->n_assignees > 0 && c->assignees[0] == user_id;
}

static bool is_supervisor(const struct api_req *r)
{
    return r->who.role == ROLE_ADMIN || r->who.role == ROLE_SUPERVISOR;
}

/* An active participant: among the assignees, not the owner. */
static bool is_participant(const struct conversation *c, int64_t user_id)
{
    return !is_owner(c, user_id) && api_is_assignee(c, user_id);
}

/* Loads the conversation of the URL and checks the caller is its owner or a supervisor
 * (replies 403 otherwise); what = "invite" … for the message. */
static int load_as_manager(struct api_req *r, struct conversation *c, const char *what)
{
    if (api_load_conversation(r, r->ids[0], c) != 0) return -1;
    if (is_owner(c, r->who.user_id) || is_supervisor(r)) return 0;
    api_fail(r, PARLEY_EPERM, NULL,
             "only the owner of conversation %s or a supervisor may %s; ask the owner",
             c->reference, what);
    return -1;
}

static json_t *encode_participant(const void *item, const struct json_view *view)
{
    return core_json_participant(item);
}

static const struct api_encoder participants_json = {sizeof(struct participant), encode_participant,
                                                     NULL};

/* Decodes the body into a participant command for conversation c (and user_id, when not 0)
 * and submits it; done as for api_submit. */
static void submit_body(struct api_req *r, const struct conversation *c, enum store_cmd_kind kind,
                        int (*decode)(json_t *, struct store_cmd *, struct parley_err *),
                        int64_t user_id, api_done_fn done)
{
    json_t *body = api_body_object(r);
    if (body == NULL) return;
    struct store_cmd in;
    struct parley_err err = {0};
    api_input_begin(r, &in, kind);
    int rc = decode(body, &in, &err);
    api_input_end(r, &in);
    json_decref(body);
    if (rc != 0) {
        api_reply_error(r, &err);
        return;
    }
    in.in.participant.conversation_id = c->id;
    if (user_id != 0) in.in.participant.user_id = user_id;
    struct store_cmd *cmd = api_cmd_with(r, &in);
    if (cmd != NULL) api_submit(r, cmd, done);
}

void api_invitations_create(struct api_req *r)
{
    struct conversation c;
    if (load_as_manager(r, &c, "invite") != 0) return;
    submit_body(r, &c, STORE_ADD_PARTICIPANT, decode_invitation, 0, NULL); /* 201 Participant */
}

void api_participants_list(struct api_req *r)
{
    struct conversation c;
    if (api_load_conversation(r, r->ids[0], &c) != 0) return;
    struct participant *list = NULL;
    size_t n = 0;
    struct parley_err err = {0};
    int rc = store_list_participants(r->reader, r->who.tenant_id, c.id, &list, &n, &r->arena, &err);
    api_reply_all(r, rc, &err, &participants_json, list, n);
}

static void done_204(struct api_req *r, struct store_cmd *cmd)
{
    if (cmd->status != 0)
        api_reply_failure(r, cmd->status, &cmd->err);
    else
        api_reply_empty(r);
}

void api_participants_delete(struct api_req *r)
{
    struct conversation c;
    if (api_load_conversation(r, r->ids[0], &c) != 0) return;
    int64_t uid = r->ids[1];
    if (!is_owner(&c, r->who.user_id) && !is_supervisor(r) && r->who.user_id != uid) {
        api_fail(r, PARLEY_EPERM, NULL,
                 "only the owner of conversation %s, a supervisor or the participant themself "
                 "may remove a participant",
                 c.reference);
        return;
    }
    struct store_cmd in;
    api_input_begin(r, &in, STORE_REMOVE_PARTICIPANT);
    api_input_end(r, &in);
    in.in.participant.conversation_id = c.id;
    in.in.participant.user_id = uid;
    struct store_cmd *cmd = api_cmd_with(r, &in);
    if (cmd != NULL) api_submit(r, cmd, done_204);
}

void api_participants_update(struct api_req *r)
{
    struct conversation c;
    if (load_as_manager(r, &c, "change what a participant may do") != 0) return;
    submit_body(r, &c, STORE_UPDATE_PARTICIPANT, decode_participant_update, r->ids[1],
                api_done_200);
}

/* ---- rules for the other handlers ------------------------------------------------------------ */

int api_swarm_check_write(struct api_req *r, const struct conversation *c, bool internal)
{
    if (internal || r->who.kind != PRINCIPAL_USER) return 0;
    bool expert = r->who.role == ROLE_EXPERT;
    if (!is_participant(c, r->who.user_id)) {
        if (!expert) return 0; /* the owner, and staff outside the swarm, as before */
        api_fail(r, PARLEY_EPERM, "internal",
                 "experts may only post internal notes: send \"internal\": true");
        return -1;
    }
    struct participant p;
    struct parley_err err = {0};
    int rc = store_get_participant(r->reader, r->who.tenant_id, c->id, r->who.user_id, &p,
                                   &r->arena, &err);
    if (rc == 0 && p.left_at == 0 && p.may_write_customer) return 0;
    if (rc != 0 && rc != PARLEY_ENOTFOUND) {
        api_reply_failure(r, rc, &err);
        return -1;
    }
    api_fail(r, PARLEY_EPERM, "internal",
             "participants of conversation %s post internal notes only (send \"internal\": true) "
             "unless its owner allows them to write to the customer",
             c->reference);
    return -1;
}

int api_swarm_check_update(struct api_req *r, const struct conversation *c, unsigned set)
{
    if (r->who.kind != PRINCIPAL_USER || is_supervisor(r) || !is_participant(c, r->who.user_id) ||
        (set & (SET_STATUS | SET_ASSIGNEES)) == 0)
        return 0;
    api_fail(r, PARLEY_EPERM, (set & SET_STATUS) ? "status" : "assignees",
             "participants of conversation %s cannot change its owner or status; ask the owner",
             c->reference);
    return -1;
}

bool api_swarm_redacted(const struct json_view *v)
{
    return v != NULL && !v->customer_self && v->role == ROLE_EXPERT;
}

json_t *api_swarm_redact(json_t *j, const struct json_view *v, struct arena *a)
{
    if (j == NULL || !api_swarm_redacted(v)) return j;
    if (redact_json_fields(j, a) != 0) {
        json_decref(j);
        return NULL; /* never the unredacted text: the caller replies 503 */
    }
    return j;
}

int api_swarm_check_customer(struct api_req *r, int64_t customer_id)
{
    if (r->who.kind != PRINCIPAL_USER || r->who.role != ROLE_EXPERT) return 0;
    struct conversation_filter f = {
        .status = -1, .customer_id = customer_id, .assignee_id = r->who.user_id};
    struct store_page one = {.after = 0, .limit = 1};
    struct conversation *list = NULL;
    size_t n = 0;
    int64_t next = 0;
    struct parley_err err = {0};
    int rc = store_list_conversations(r->reader, r->who.tenant_id, &f, &one, &list, &n, &next,
                                      &r->arena, &err);
    if (rc != 0) {
        api_reply_failure(r, rc, &err);
        return -1;
    }
    if (n > 0) return 0;
    api_fail(r, PARLEY_ENOTFOUND, NULL, "customer %lld not found", (long long)customer_id);
    return -1;
}

void api_swarm_audit_view(struct api_req *r, const struct conversation *c)
{
    if (r->who.kind != PRINCIPAL_USER || r->who.role != ROLE_EXPERT ||
        strcmp(r->method, "GET") != 0)
        return;
    /* what was read: the conversation itself or one of its lists (…/{id}/messages) */
    const char *what = "conversation";
    const char *slash = strrchr(r->path, '/');
    if (slash != NULL && slash[1] != '\0' && (slash[1] < '0' || slash[1] > '9')) what = slash + 1;
    char object[40], detail[96];
    snprintf(object, sizeof(object), "conversation:%lld", (long long)c->id);
    snprintf(detail, sizeof(detail), "{\"conversation_id\":%lld,\"read\":\"%.24s\"}",
             (long long)c->id, what);
    api_audit(r, "conversation.view", object, detail);
}
