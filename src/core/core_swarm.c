/* Swarming in the domain: participant kinds and the Participant JSON shape (docs/api.md). */
#include "core_json.h"

static const char *const kind_names[PARTICIPANT__COUNT] = {"adviser", "expert"};

const char *participant_kind_name(enum participant_kind k)
{
    return (unsigned)k < PARTICIPANT__COUNT ? kind_names[k] : "adviser";
}

json_t *core_json_participant(const struct participant *p)
{
    json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:I, s:I, s:o, s:b}", "conversation_id",
                          (json_int_t)p->conversation_id, "user_id", (json_int_t)p->user_id, "role",
                          participant_kind_name(p->kind), "invited_by",
                          p->invited_by != NULL ? p->invited_by : "system", "invited_at",
                          (json_int_t)p->invited_at, "joined_at", (json_int_t)p->joined_at,
                          "left_at", p->left_at != 0 ? json_integer(p->left_at) : json_null(),
                          "may_write_customer", p->may_write_customer ? 1 : 0);
    return o;
}
