/* Decoders for swarming (docs/swarming.md): invitations and participant updates. Pure. */
#include "decode.h"

#include <string.h>

/* A skill name as in "billing:3" without the level: no colon, quote, backslash or control. */
static int check_skill_name(const char *s, struct parley_err *err)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7f || *p == ':' || *p == '"' || *p == '\\')
            return parley_fail(err, PARLEY_EINVAL, "skill",
                               "skill must be a skill name such as \"billing\" (no level, colon, "
                               "quote or control character)");
    return 0;
}

int decode_invitation(json_t *body, struct store_cmd *cmd, struct parley_err *err)
{
    static const char *const fields[] = {"user_id", "skill", "min_level", "role", NULL};
    int rc;
    int64_t user_id = 0, level = 1;
    const char *skill = NULL;
    int role = -1;
    bool has_user = false, has_level = false, has_role = false;
    if ((rc = decode_expect_kind(cmd, STORE_ADD_PARTICIPANT, err)) != 0 ||
        (rc = decode_object(body, NULL, fields, err)) != 0 ||
        (rc = decode_int(body, "user_id", 1, INT64_MAX, 0, &user_id, &has_user, err)) != 0 ||
        (rc = decode_text(body, "skill", NULL, CORE_MAX_SHORT, 0, &cmd->arena, &skill, NULL,
                          err)) != 0 ||
        (rc = decode_int(body, "min_level", 1, 10, 0, &level, &has_level, err)) != 0 ||
        (rc = decode_enum(body, "role", &decode_enum_role, 0, &role, &has_role, err)) != 0)
        return rc;
    if (has_user == (skill != NULL))
        return parley_fail(err, PARLEY_EINVAL, has_user ? "skill" : "user_id",
                           "send either \"user_id\" or \"skill\" (with optional \"min_level\" "
                           "and \"role\"), not both or neither");
    if (has_user && (has_level || has_role))
        return parley_fail(err, PARLEY_EINVAL, has_level ? "min_level" : "role",
                           "min_level and role go with skill, not with user_id");
    if (skill != NULL && (skill[0] == '\0' || (rc = check_skill_name(skill, err)) != 0))
        return rc != 0 ? rc : parley_fail(err, PARLEY_EINVAL, "skill", "skill must not be empty");
    cmd->in.participant.user_id = has_user ? user_id : 0;
    cmd->in.participant.skill = skill;
    cmd->in.participant.min_level = (int)level;
    cmd->in.participant.role = has_role ? role : -1;
    return 0;
}

int decode_participant_update(json_t *body, struct store_cmd *cmd, struct parley_err *err)
{
    static const char *const fields[] = {"may_write_customer", NULL};
    int rc;
    bool allow = false;
    if ((rc = decode_expect_kind(cmd, STORE_UPDATE_PARTICIPANT, err)) != 0 ||
        (rc = decode_object(body, NULL, fields, err)) != 0 ||
        (rc = decode_bool(body, "may_write_customer", DECODE_REQUIRED, &allow, NULL, err)) != 0)
        return rc;
    cmd->in.participant.may_write_customer = allow;
    return 0;
}
