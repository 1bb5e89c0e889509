/* The VADER lexicon as a C table, generated at build time from the npm package vader-sentiment
 * by scripts/gen-sentiment-lexicon.py into $(B)/gen/sentiment_lexicon.c: lower-case tokens
 * sorted by bytes (strcmp order) for binary search. Private to src/bot/sentiment.c. */
#ifndef PARLEY_BOT_SENTIMENT_LEXICON_H
#define PARLEY_BOT_SENTIMENT_LEXICON_H

#include <stddef.h>

struct sentiment_lex_entry {
    const char *word;
    float valence; /* mean human rating, -4 (most negative) .. +4 (most positive) */
};

extern const struct sentiment_lex_entry sentiment_lexicon[];
extern const size_t sentiment_lexicon_count;

#endif
