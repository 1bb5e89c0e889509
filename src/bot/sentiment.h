/* Sentiment and distress of one customer message (docs/bot-sentiment.md).
 *
 * Valence is scored the VADER way (Hutto & Gilbert 2014): every word found in the lexicon (the
 * npm package vader-sentiment, compiled in at build time) carries a valence, modified by the
 * words before it (boosters such as "very", dampeners such as "slightly", negations such as
 * "not" / "never" / "n't"), by ALL-CAPS emphasis when the rest of the message is not shouted,
 * by "but" (what follows weighs 1.5x, what precedes 0.5x) and by exclamation and question
 * marks; the sum is normalised to compound = x / sqrt(x^2 + 15) in [-1, 1]. Labels, as VADER
 * uses them: positive when compound >= 0.05, negative when compound <= -0.05, else neutral.
 *
 * Distress cues ("I can't cope", "desperate", "passed away", "no money for food", self-harm
 * phrases …) come from a declarative table matched on normalised text (lower case, apostrophes
 * dropped, punctuation as spaces, whole words): the first cue of the table found wins, and the
 * table is ordered by severity.
 *
 * Everything here is pure and thread-safe (no state but constant tables). Input is bounded:
 * only the first SENTIMENT_MAX_BYTES bytes of a message are read. */
#ifndef PARLEY_BOT_SENTIMENT_H
#define PARLEY_BOT_SENTIMENT_H

#include <stdbool.h>
#include <stddef.h>

#define SENTIMENT_MAX_BYTES 8192
#define SENTIMENT_MAX_WORDS 1024
/* compound thresholds (VADER's): >= POSITIVE is positive, <= -POSITIVE negative */
#define SENTIMENT_THRESHOLD 0.05

struct sentiment {
    double compound;      /* [-1, 1] */
    double pos, neu, neg; /* proportions of the text, summing to 1 (0 each for empty text) */
    bool distress;
    const char *distress_cue; /* static name of the cue ("bereavement", "cannot_cope" …), or NULL */
};

/* Scores text (UTF-8, len bytes; need not be NUL-terminated). Thread-safe. */
void sentiment_score(const char *text, size_t len, struct sentiment *out);
/* The per-conversation moving value: an exponential moving average with weight
 * SENTIMENT_TREND_ALPHA on the newest message. Start a conversation with previous = 0. */
#define SENTIMENT_TREND_ALPHA 0.5
double sentiment_trend(double previous, double compound);

/* "positive", "neutral" or "negative" for a compound score (the thresholds above). */
const char *sentiment_label(double compound);
/* The valence of one word in the lexicon (lower case), or 0 when it has none. For tests. */
double sentiment_word_valence(const char *word);

#endif
