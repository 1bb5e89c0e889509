/* libFuzzer target for decode_customer_create: POST /api/v1/customers bodies as arbitrary bytes.
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
    store_cmd_init(&cmd, STORE_CREATE_CUSTOMER);
    struct parley_err err = {0};
    int rc = decode_customer_create(body, &cmd, &err);
    json_decref(body);
    if (rc != 0) {
        check_failure(rc, &err);
    } else {
        const struct customer *c = &cmd.in.create_customer.customer;
        size_t n = cmd.in.create_customer.n_identities;
        must(c->name != NULL || n > 0);
        must(c->preferred_channel >= -1 && c->preferred_channel < CHANNEL__COUNT);
        must((c->needs & ~(unsigned)NEED__ALL) == 0);
        text(c->name);
        text(c->locale);
        text(c->time_zone);
        text(c->needs_note);
        must(n <= CORE_MAX_LIST);
        for (size_t i = 0; i < n; i++) {
            const struct identity *id = &cmd.in.create_customer.identities[i];
            must((int)id->kind >= 0 && id->kind < IDENTITY__COUNT && id->value != NULL);
            must(strlen(id->value) <= CORE_MAX_IDENTITY);
            text(id->value);
        }
    }
    store_cmd_release(&cmd);
    return 0;
}
