/* libFuzzer target for decode_user_create: POST /api/v1/users bodies as arbitrary bytes.
 * Beyond "no crash, no leak" it frees the JSON before reading the result (every string must
 * have been copied) and checks that a failure carries a code, a message and a UTF-8 field. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "http/decode.h"

static void must(int ok)
{
    if (!ok) abort();
}

/* NULL or valid UTF-8: reading it also proves it outlived the json_t. */
static void text(const char *s)
{
    must(s == NULL || util_utf8_valid(s, strlen(s)));
}

static void check_failure(int rc, const struct parley_err *err)
{
    must(rc == PARLEY_EINVAL || rc == PARLEY_ETOOBIG || rc == PARLEY_ENOMEM);
    must(err->code == rc && err->message[0] != '\0');
    text(err->field);
    text(err->message);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (body == NULL) return 0;
    struct store_cmd cmd;
    store_cmd_init(&cmd, STORE_CREATE_USER);
    struct parley_err err = {0};
    const char *password = NULL;
    int rc = decode_user_create(body, &cmd, &password, &err);
    json_decref(body);
    if (rc != 0) {
        check_failure(rc, &err);
    } else {
        const struct user *u = &cmd.in.create_user.user;
        must(u->email != NULL && u->name != NULL && password != NULL);
        must((int)u->role >= 0 && u->role < ROLE__COUNT && u->active);
        text(u->email);
        text(u->name);
        text(password);
        text(u->team);
        must(u->n_skills <= CORE_MAX_LIST && u->n_languages <= CORE_MAX_LIST);
        for (size_t i = 0; i < u->n_skills; i++) text(u->skills[i]);
        for (size_t i = 0; i < u->n_languages; i++) text(u->languages[i]);
    }
    store_cmd_release(&cmd);
    return 0;
}
