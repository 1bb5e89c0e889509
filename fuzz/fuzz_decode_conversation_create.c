/* libFuzzer target for decode_conversation_create: new conversation bodies as arbitrary bytes.
 * Beyond "no crash, no leak" it frees the JSON before reading the result (every string must
 * have been copied) and checks that a failure carries a code, a message and a UTF-8 field. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "http/decode.h"

#define MAX_MESSAGE ((size_t)CORE_DEFAULT_MAX_BODY)

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
    store_cmd_init(&cmd, STORE_CREATE_CONVERSATION);
    struct parley_err err = {0};
    int rc = decode_conversation_create(body, &cmd, MAX_MESSAGE, &err);
    json_decref(body);
    if (rc != 0) {
        check_failure(rc, &err);
    } else {
        const struct conversation *c = &cmd.in.create_conversation.conversation;
        const char *first = cmd.in.create_conversation.first_message;
        must(c->customer_id >= 1);
        must((int)c->channel >= 0 && c->channel < CHANNEL__COUNT);
        must((int)c->priority >= 0 && c->priority < PRIORITY__COUNT);
        must(first == NULL || strlen(first) <= MAX_MESSAGE);
        text(c->subject);
        text(c->contact_reason);
        text(first);
        must(c->n_tags <= CORE_MAX_TAGS);
        for (size_t i = 0; i < c->n_tags; i++) text(c->tags[i]);
    }
    store_cmd_release(&cmd);
    return 0;
}
