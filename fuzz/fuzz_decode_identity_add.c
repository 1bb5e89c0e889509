/* libFuzzer target for decode_identity_add: identity bodies as arbitrary bytes.
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
    store_cmd_init(&cmd, STORE_ADD_IDENTITY);
    struct parley_err err = {0};
    int rc = decode_identity_add(body, &cmd, &err);
    json_decref(body);
    if (rc != 0) {
        check_failure(rc, &err);
    } else {
        const struct identity *id = &cmd.in.add_identity;
        must((int)id->kind >= 0 && id->kind < IDENTITY__COUNT && id->value != NULL);
        must(id->value[0] != '\0' && strlen(id->value) <= CORE_MAX_IDENTITY);
        text(id->value);
    }
    store_cmd_release(&cmd);
    return 0;
}
