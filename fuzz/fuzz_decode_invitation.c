/* libFuzzer target for decode_invitation and decode_participant_update (src/http/
 * decode_swarm.c): bodies as arbitrary bytes. Beyond "no crash, no leak" it frees the JSON
 * before reading the result (every string must have been copied), checks a failure carries a
 * code, a message and a UTF-8 field, and a success names exactly one way to choose. */
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

static void check_failure(int rc, const struct parley_err *err)
{
    must(rc == PARLEY_EINVAL || rc == PARLEY_ENOMEM);
    must(err->code == rc && err->message[0] != '\0');
    must(util_utf8_valid(err->field, strlen(err->field)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (body == NULL) return 0;
    struct store_cmd cmd, upd;
    store_cmd_init(&cmd, STORE_ADD_PARTICIPANT);
    store_cmd_init(&upd, STORE_UPDATE_PARTICIPANT);
    struct parley_err err = {0}, err2 = {0};
    int rc = decode_invitation(body, &cmd, &err);
    int rc2 = decode_participant_update(body, &upd, &err2);
    json_decref(body);
    if (rc != 0) {
        check_failure(rc, &err);
    } else {
        const char *skill = cmd.in.participant.skill;
        must((cmd.in.participant.user_id > 0) != (skill != NULL));
        if (skill != NULL) {
            must(skill[0] != '\0' && strchr(skill, ':') == NULL && strchr(skill, '"') == NULL);
            must(util_utf8_valid(skill, strlen(skill)));
        }
        must(cmd.in.participant.min_level >= 1 && cmd.in.participant.min_level <= 10);
        must(cmd.in.participant.role >= -1 && cmd.in.participant.role < ROLE__COUNT);
    }
    if (rc2 != 0) check_failure(rc2, &err2);
    store_cmd_release(&cmd);
    store_cmd_release(&upd);
    return 0;
}
