/* Staff sign-in: login (argon2id checked on the worker pool, never on an event loop; the
 * session token is random and stored only as its SHA-256), logout, and /me. */
#include "api_handlers.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "../common/password.h"
#include "../common/util.h"
#include "../core/core_json.h"
#include "decode.h"

/* One message for every wrong credential, so the reply never tells which part was wrong. */
#define LOGIN_FAILED        "wrong tenant, email or password"
#define SESSION_TOKEN_BYTES 32

struct login_job {
    struct login_req req;
    int64_t tenant_id;
    struct user user;
    const char *hash; /* NULL: unknown tenant or user, or inactive: checked against a decoy */
    bool ok;
    char token[64]; /* base64url of SESSION_TOKEN_BYTES random bytes */
    int64_t expires_at;
};

/* A real argon2id hash of a random secret: verifying against it costs what a real check
 * costs, so response times do not reveal whether an email has an account. */
static pthread_once_t decoy_once = PTHREAD_ONCE_INIT;
static char decoy_hash[PASSWORD_HASH_MAX];

static void decoy_init(void)
{
    char secret[48];
    util_random_token(secret, sizeof(secret), 16);
    if (password_hash(secret, decoy_hash) != 0) decoy_hash[0] = '\0';
    sodium_memzero(secret, sizeof(secret));
}

/* On the worker pool. */
static void login_work(void *arg)
{
    struct login_job *j = arg;
    if (j->hash == NULL) {
        pthread_once(&decoy_once, decoy_init);
        (void)password_verify(decoy_hash, j->req.password);
        j->ok = false;
    } else {
        j->ok = password_verify(j->hash, j->req.password);
    }
    sodium_memzero((char *)j->req.password, strlen(j->req.password));
}

static void login_done(struct api_req *r, struct store_cmd *cmd)
{
    struct login_job *j = r->handler_ctx;
    if (cmd->status != 0) {
        api_reply_failure(r, cmd->status, &cmd->err);
        return;
    }
    json_t *user = core_json_user(&j->user);
    json_t *body = user == NULL ? NULL
                                : json_pack("{s:s, s:I, s:o}", "token", j->token, "expires_at",
                                            (json_int_t)j->expires_at, "user", user);
    api_reply_json_or_fail(r, 200, body);
}

/* Back on the request's thread once the password was checked. */
static void login_after(struct api_req *r, void *arg)
{
    struct login_job *j = arg;
    if (!j->ok) {
        api_fail(r, PARLEY_EAUTH, NULL, LOGIN_FAILED);
        return;
    }
    util_random_token(j->token, sizeof(j->token), SESSION_TOKEN_BYTES);
    char hash[65];
    util_sha256_hex(j->token, strlen(j->token), hash);
    j->expires_at = util_now_ms() + (int64_t)r->cfg->session_ttl_s * 1000;
    /* from the request's arena, which outlives the command: nothing can fail after
     * api_cmd_new, whose command must be submitted once made */
    const char *token_hash = arena_strdup(&r->arena, hash);
    const char *actor = arena_printf(&r->arena, "user:%lld", (long long)j->user.id);
    if (token_hash == NULL || actor == NULL) {
        api_fail(r, PARLEY_ENOMEM, NULL, "out of memory; retry");
        return;
    }
    struct store_cmd *cmd = api_cmd_new(r, STORE_CREATE_SESSION);
    if (cmd == NULL) return;
    /* a replay could not give the token back (only its hash is kept): every login is new */
    cmd->idem_key = NULL;
    cmd->idem_scope = NULL;
    cmd->tenant_id = j->tenant_id;
    cmd->viewer_role = j->user.role;
    cmd->actor = actor;
    cmd->in.create_session.user_id = j->user.id;
    cmd->in.create_session.token_hash = token_hash;
    cmd->in.create_session.expires_at = j->expires_at;
    r->handler_ctx = j;
    api_submit(r, cmd, login_done);
}

void api_auth_login(struct api_req *r)
{
    json_t *body = api_body_object(r);
    if (body == NULL) return;
    struct login_job *j = arena_alloc(&r->arena, sizeof(*j));
    struct parley_err err = {0};
    int rc = j == NULL ? parley_fail(&err, PARLEY_ENOMEM, NULL, "out of memory; retry")
                       : decode_login(body, &j->req, &r->arena, &err);
    json_decref(body);
    if (rc != 0) {
        api_reply_error(r, &err);
        return;
    }
    struct tenant t;
    rc = store_get_tenant_by_slug(r->reader, j->req.tenant, &t, &r->arena, &err);
    if (rc == 0) {
        j->tenant_id = t.id;
        rc = store_get_user_login(r->reader, t.id, j->req.email, &j->user, &j->hash, &r->arena,
                                  &err);
    }
    if (rc != 0 && rc != PARLEY_ENOTFOUND) {
        api_reply_failure(r, rc, &err);
        return;
    }
    if (rc != 0 || !j->user.active) j->hash = NULL;
    api_offload(r, login_work, j, login_after);
}

static void logout_done(struct api_req *r, struct store_cmd *cmd)
{
    /* a session already gone (expired, pruned, a second logout) is logged out all the same */
    if (cmd->status != 0 && cmd->status != PARLEY_ENOTFOUND) {
        api_reply_failure(r, cmd->status, &cmd->err);
        return;
    }
    api_reply_empty(r);
}

void api_auth_logout(struct api_req *r)
{
    if (r->token_hash[0] == '\0') {
        api_fail(r, PARLEY_EAUTH, NULL, "log-out needs the session's bearer token");
        return;
    }
    struct store_cmd *cmd = api_cmd_new(r, STORE_DELETE_SESSION);
    if (cmd == NULL) return;
    cmd->idem_key = NULL; /* deleting twice is harmless: nothing to replay */
    cmd->idem_scope = NULL;
    cmd->in.delete_session_token_hash = r->token_hash; /* the request outlives the command */
    api_submit(r, cmd, logout_done);
}

void api_me_get(struct api_req *r)
{
    struct user u;
    struct parley_err err = {0};
    int rc = store_get_user(r->reader, r->who.tenant_id, r->who.user_id, &u, &r->arena, &err);
    if (rc != 0) {
        api_reply_failure(r, rc, &err);
        return;
    }
    api_reply_json_or_fail(r, 200, core_json_user(&u));
}
