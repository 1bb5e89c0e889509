/* Reading what customers write: answer validators for flow questions (number, date, email, UK
 * postcode, choice, free text) and the phrase table (requests for a person, cancel, start
 * again, yes, no). Pure functions, any thread. Inputs are bounded by the callers (message
 * bodies are at most max_message_bytes); these functions read at most BOT_TEXT_MAX bytes. */
#ifndef PARLEY_BOT_TEXT_H
#define PARLEY_BOT_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"

#define BOT_TEXT_MAX 4096

/* Checks an answer against what an ask step expects. On success returns 0 and writes the
 * normalised value (a number as digits, a date as YYYY-MM-DD, an email lower-cased, a postcode
 * as "SW1A 1AA", a choice as its value, text trimmed) into out (outsize bytes, NUL-terminated).
 * Otherwise returns PARLEY_EINVAL with out holding a short hint for the customer ("Please give
 * a date, for example 14/03/2026."). Free text around the answer is accepted ("it's SW1A 1AA
 * thanks"). now_ms resolves "today" and "tomorrow" (UTC). */
int bot_validate(const struct flow_input *in, const char *text, size_t len, int64_t now_ms,
                 char *out, size_t outsize);

/* Lower-cases ASCII, turns everything but letters, digits and apostrophes into single spaces
 * and trims, into out; returns the length. Non-ASCII bytes are kept. */
size_t bot_normalise(const char *text, size_t len, char *out, size_t outsize);

enum bot_phrase_kind {
    PHRASE_NONE,
    PHRASE_PERSON,  /* "can I talk to someone", "human please", "this bot is useless" */
    PHRASE_CANCEL,  /* "cancel", "stop", "never mind" (the whole message) */
    PHRASE_RESTART, /* "start again", "start over" (the whole message) */
    PHRASE_YES,     /* "yes", "yes thanks", "that helped" (at the start) */
    PHRASE_NO,      /* "no", "not really", "it didn't" (at the start) */
};
/* The first kind in the table the message matches (PHRASE_NONE when none). Person requests
 * are checked first, then cancel and restart, then yes and no. */
enum bot_phrase_kind bot_phrase_match(const char *text, size_t len);
/* Whether the message matches a given kind. */
bool bot_phrase_is(const char *text, size_t len, enum bot_phrase_kind kind);

#endif
