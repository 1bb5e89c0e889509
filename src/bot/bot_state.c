/* The bot's state in one conversation, kept as JSON in bot_conversations.state so that a
 * restart continues every conversation where it was. */
#include "bot_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const awaiting_names[] = {"", "confirm", "offer"};

void bot_state_init(struct bot_state *s)
{
    memset(s, 0, sizeof(*s));
    s->step = -1;
    s->slots = json_object();
}

void bot_state_release(struct bot_state *s)
{
    json_decref(s->slots);
    s->slots = NULL;
}

static int get_int(json_t *o, const char *k, int def)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (int)json_integer_value(v) : def;
}

static void get_str(json_t *o, const char *k, char *out, size_t outsize)
{
    json_t *v = json_object_get(o, k);
    snprintf(out, outsize, "%s", json_is_string(v) ? json_string_value(v) : "");
}

void bot_state_load(struct bot_state *s, const char *json)
{
    bot_state_init(s);
    if (json == NULL) return;
    json_t *o = json_loads(json, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return;
    }
    s->disclosed = json_is_true(json_object_get(o, "disclosed"));
    get_str(o, "flow", s->flow, sizeof(s->flow));
    s->step = get_int(o, "step", -1);
    s->retries = get_int(o, "retries", 0);
    s->clarifications = get_int(o, "clarifications", 0);
    s->low_confidence = get_int(o, "low_confidence", 0);
    s->turns = get_int(o, "turns", 0);
    char aw[16];
    get_str(o, "awaiting", aw, sizeof(aw));
    for (int i = 1; i < 3; i++)
        if (strcmp(aw, awaiting_names[i]) == 0) s->awaiting = (enum bot_awaiting)i;
    get_str(o, "offer_reason", s->offer_reason, sizeof(s->offer_reason));
    json_t *t = json_object_get(o, "trend");
    s->trend = json_is_number(t) ? json_number_value(t) : 0;
    s->scored = get_int(o, "scored", 0);
    get_str(o, "intent", s->intent, sizeof(s->intent));
    json_t *slots = json_object_get(o, "slots");
    if (json_is_object(slots)) {
        const char *k;
        json_t *v;
        json_object_foreach(slots, k, v)
        {
            if (json_is_string(v)) json_object_set(s->slots, k, v);
        }
    }
    json_decref(o);
}

char *bot_state_dump(const struct bot_state *s, struct arena *a)
{
    json_t *o = json_pack("{sbsssisisisisisssssfsiss}", "disclosed", s->disclosed, "flow", s->flow,
                          "step", s->step, "retries", s->retries, "clarifications",
                          s->clarifications, "low_confidence", s->low_confidence, "turns", s->turns,
                          "awaiting", awaiting_names[s->awaiting], "offer_reason", s->offer_reason,
                          "trend", s->trend, "scored", s->scored, "intent", s->intent);
    if (o == NULL) return NULL;
    if (s->slots != NULL)
        json_object_set(o, "slots", s->slots);
    else
        json_object_set_new(o, "slots", json_object());
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (text == NULL) return NULL;
    char *out = arena_strdup(a, text);
    free(text);
    return out;
}
