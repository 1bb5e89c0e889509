/* Staff users: the list (admins and supervisors) and creation (admins), the password hashed
 * with argon2id on the worker pool before the command is submitted. */
#include "api_handlers.h"

#include <sodium.h>
#include <string.h>

#include "../common/password.h"
#include "../core/core_json.h"
#include "decode.h"

static json_t *encode_user(const void *item, const struct json_view *view)
{
    return core_json_user(item);
}

static const struct api_encoder users_json = {sizeof(struct user), encode_user, NULL};

void api_users_list(struct api_req *r)
{
    struct store_page page;
    if (api_page(r, &page) != 0) return;
    struct user *users = NULL;
    size_t n = 0;
    int64_t next = 0;
    struct parley_err err = {0};
    int rc =
        store_list_users(r->reader, r->who.tenant_id, &page, &users, &n, &next, &r->arena, &err);
    api_reply_page(r, rc, &err, &users_json, users, n, next);
}

struct user_job {
    struct store_cmd in;                 /* decoded input (strings in the request's arena) */
    char password[PASSWORD_MAX_LEN + 1]; /* the job's own copy: wiped by the worker */
    char hash[PASSWORD_HASH_MAX];
    int rc;
};

/* On the worker pool. */
static void hash_work(void *arg)
{
    struct user_job *j = arg;
    j->rc = password_hash(j->password, j->hash);
    sodium_memzero(j->password, sizeof(j->password));
}

static void hash_after(struct api_req *r, void *arg)
{
    struct user_job *j = arg;
    if (j->rc != 0) {
        api_fail(r, j->rc, NULL, "the password could not be hashed; retry");
        return;
    }
    struct store_cmd *cmd = api_cmd_with(r, &j->in);
    if (cmd == NULL) return;
    cmd->in.create_user.password_hash = j->hash; /* j lives in the request's arena */
    api_submit(r, cmd, NULL);
}

void api_users_create(struct api_req *r)
{
    json_t *body = api_body_object(r);
    if (body == NULL) return;
    struct user_job *j = arena_alloc(&r->arena, sizeof(*j));
    if (j == NULL) {
        json_decref(body);
        api_fail(r, PARLEY_ENOMEM, NULL, "out of memory; retry");
        return;
    }
    struct parley_err err = {0};
    const char *password = NULL;
    api_input_begin(r, &j->in, STORE_CREATE_USER);
    int rc = decode_user_create(body, &j->in, &password, &err);
    api_input_end(r, &j->in);
    json_decref(body);
    if (rc != 0) {
        api_reply_error(r, &err);
        return;
    }
    /* decode_user_create caps the password at PASSWORD_MAX_LEN bytes, so it fits */
    size_t len = strlen(password);
    memcpy(j->password, password, len + 1);
    sodium_memzero((char *)password, len); /* the decoder's copy */
    j->in.in.create_user.user.tenant_id = r->who.tenant_id;
    api_offload(r, hash_work, j, hash_after);
}
