/* libFuzzer target for decode_widget_session: POST /api/v1/widget/sessions bodies as arbitrary
 * bytes. Beyond "no crash, no leak" it frees the JSON before reading the result (every string must
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
    store_cmd_init(&cmd, STORE_WIDGET_SESSION);
    struct parley_err err = {0};
    struct widget_session_req req;
    int rc = decode_widget_session(body, &cmd, &req, &err);
    json_decref(body);
    if (rc != 0) {
        check_failure(rc, &err);
    } else {
        must(req.tenant != NULL);
        text(req.tenant);
        text(cmd.in.widget_session.name);
        if (req.identifier != NULL) {
            must(req.identifier_hash != NULL && strlen(req.identifier_hash) == 64);
            must(cmd.in.widget_session.identity_value != NULL);
            text(req.identifier);
            text(cmd.in.widget_session.identity_value);
        } else {
            must(req.identifier_hash == NULL);
        }
    }
    store_cmd_release(&cmd);
    return 0;
}
