/* Redaction of personal data in free text for crowd experts (docs/swarming.md): a declarative
 * table of patterns (emails, Luhn-valid card numbers, UK phone numbers, UK postcodes, account
 * numbers as stand-alone digit runs of 6 or more), each replaced by a bracketed token such as
 * "[card]". Pure functions, thread-safe; results are allocated from the caller's arena. */
#ifndef PARLEY_CORE_REDACT_H
#define PARLEY_CORE_REDACT_H

#include <jansson.h>
#include <stddef.h>

#include "../common/arena.h"

/* One row of the pattern table, for documentation and tests. */
struct redact_rule_info {
    const char *name;  /* "email", "card", "phone", "postcode", "number" */
    const char *token; /* what replaces a match: "[email]" … */
    const char *what;  /* one line describing what the rule matches */
};
/* The table, in the order the rules are tried at each position (the first that matches
 * wins); returns its length. */
size_t redact_rules(const struct redact_rule_info **out);

/* A NUL-terminated copy of s[0..len) with every match replaced by its token, from a (NULL when
 * out of memory). *masked (may be NULL) gets the number of replacements. Bytes that are not
 * part of a match are copied unchanged, so valid UTF-8 stays valid. */
char *redact_text(const char *s, size_t len, struct arena *a, size_t *masked);

/* Redacts in place the free-text members ("body", "subject", "needs_note") of a JSON object
 * (an API representation such as a Message or a Conversation). Returns 0, or -1 when out of
 * memory (obj may then be partly redacted: do not show it). */
int redact_json_fields(json_t *obj, struct arena *a);

/* The same on serialised JSON (an event payload): the redacted compact text from a, or NULL
 * when json is not an object or memory ran out (the caller then must not show the original). */
char *redact_json_text(const char *json, struct arena *a);

#endif
