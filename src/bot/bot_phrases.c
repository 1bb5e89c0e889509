/* The phrase table: what customers type when they want a person, want to stop, want to start
 * again, or answer yes or no. One declarative table; messages are normalised (bot_normalise)
 * and matched as whole words. Asking for a person is honoured anywhere in the message; cancel
 * and restart only when they are (nearly) the whole message, so "I want to cancel my contract"
 * stays a question for the NLU; yes and no when the message starts with them. */
#include "bot_text.h"

#include <string.h>

enum match_mode {
    ANYWHERE, /* the phrase occurs as whole words */
    WHOLE,    /* the message is the phrase (polite words aside) */
    START,    /* the message starts with the phrase */
};

struct phrase {
    enum bot_phrase_kind kind;
    enum match_mode mode;
    const char *text; /* normalised: lower case, single spaces */
};

/* clang-format off */
static const struct phrase phrases[] = {
    /* a person, anywhere in the message */
    {PHRASE_PERSON, ANYWHERE, "human"},
    {PHRASE_PERSON, ANYWHERE, "humans"},
    {PHRASE_PERSON, ANYWHERE, "real person"},
    {PHRASE_PERSON, ANYWHERE, "a person"},
    {PHRASE_PERSON, ANYWHERE, "actual person"},
    {PHRASE_PERSON, ANYWHERE, "live person"},
    {PHRASE_PERSON, ANYWHERE, "someone real"},
    {PHRASE_PERSON, ANYWHERE, "talk to someone"},
    {PHRASE_PERSON, ANYWHERE, "speak to someone"},
    {PHRASE_PERSON, ANYWHERE, "speak with someone"},
    {PHRASE_PERSON, ANYWHERE, "talk with someone"},
    {PHRASE_PERSON, ANYWHERE, "chat to someone"},
    {PHRASE_PERSON, ANYWHERE, "chat with someone"},
    {PHRASE_PERSON, ANYWHERE, "talk to somebody"},
    {PHRASE_PERSON, ANYWHERE, "speak to somebody"},
    {PHRASE_PERSON, ANYWHERE, "agent"},
    {PHRASE_PERSON, ANYWHERE, "an advisor"},
    {PHRASE_PERSON, ANYWHERE, "an adviser"},
    {PHRASE_PERSON, ANYWHERE, "advisor please"},
    {PHRASE_PERSON, ANYWHERE, "adviser please"},
    {PHRASE_PERSON, ANYWHERE, "operator"},
    {PHRASE_PERSON, ANYWHERE, "representative"},
    {PHRASE_PERSON, ANYWHERE, "customer service"},
    {PHRASE_PERSON, ANYWHERE, "customer services"},
    {PHRASE_PERSON, ANYWHERE, "staff member"},
    {PHRASE_PERSON, ANYWHERE, "member of staff"},
    {PHRASE_PERSON, ANYWHERE, "live chat"},
    {PHRASE_PERSON, ANYWHERE, "live agent"},
    {PHRASE_PERSON, ANYWHERE, "not a bot"},
    {PHRASE_PERSON, ANYWHERE, "no more bot"},
    {PHRASE_PERSON, ANYWHERE, "stupid bot"},
    {PHRASE_PERSON, ANYWHERE, "useless bot"},
    {PHRASE_PERSON, ANYWHERE, "bot is useless"},
    {PHRASE_PERSON, ANYWHERE, "bot is rubbish"},
    {PHRASE_PERSON, ANYWHERE, "bot is stupid"},
    {PHRASE_PERSON, ANYWHERE, "hate bots"},
    {PHRASE_PERSON, ANYWHERE, "hate this bot"},
    {PHRASE_PERSON, ANYWHERE, "you're useless"},
    {PHRASE_PERSON, ANYWHERE, "you are useless"},
    {PHRASE_PERSON, ANYWHERE, "put me through"},
    {PHRASE_PERSON, ANYWHERE, "transfer me"},
    {PHRASE_PERSON, ANYWHERE, "call me back"},
    {PHRASE_PERSON, ANYWHERE, "speak to your manager"},
    {PHRASE_PERSON, ANYWHERE, "speak to a manager"},
    {PHRASE_PERSON, ANYWHERE, "talk to a manager"},
    {PHRASE_PERSON, WHOLE,    "person"},
    {PHRASE_PERSON, WHOLE,    "person please"},
    {PHRASE_PERSON, WHOLE,    "someone"},
    {PHRASE_PERSON, WHOLE,    "somebody"},
    {PHRASE_PERSON, WHOLE,    "speak to a person"},
    {PHRASE_PERSON, WHOLE,    "advisor"},
    {PHRASE_PERSON, WHOLE,    "adviser"},
    /* cancel: the whole message */
    {PHRASE_CANCEL, WHOLE, "cancel"},
    {PHRASE_CANCEL, WHOLE, "cancel that"},
    {PHRASE_CANCEL, WHOLE, "cancel this"},
    {PHRASE_CANCEL, WHOLE, "stop"},
    {PHRASE_CANCEL, WHOLE, "stop this"},
    {PHRASE_CANCEL, WHOLE, "never mind"},
    {PHRASE_CANCEL, WHOLE, "nevermind"},
    {PHRASE_CANCEL, WHOLE, "forget it"},
    {PHRASE_CANCEL, WHOLE, "quit"},
    {PHRASE_CANCEL, WHOLE, "exit"},
    {PHRASE_CANCEL, WHOLE, "abort"},
    /* start again: the whole message */
    {PHRASE_RESTART, WHOLE, "start again"},
    {PHRASE_RESTART, WHOLE, "start over"},
    {PHRASE_RESTART, WHOLE, "restart"},
    {PHRASE_RESTART, WHOLE, "begin again"},
    {PHRASE_RESTART, WHOLE, "from the beginning"},
    {PHRASE_RESTART, WHOLE, "go back to the start"},
    /* yes / no: at the start */
    {PHRASE_YES, START, "yes"},
    {PHRASE_YES, START, "yeah"},
    {PHRASE_YES, START, "yep"},
    {PHRASE_YES, START, "yup"},
    {PHRASE_YES, START, "y"},
    {PHRASE_YES, START, "sure"},
    {PHRASE_YES, START, "ok"},
    {PHRASE_YES, START, "okay"},
    {PHRASE_YES, START, "please do"},
    {PHRASE_YES, START, "that helped"},
    {PHRASE_YES, START, "that's great"},
    {PHRASE_YES, START, "perfect"},
    {PHRASE_YES, START, "great"},
    {PHRASE_YES, START, "it did"},
    {PHRASE_YES, START, "correct"},
    {PHRASE_YES, START, "thanks"},
    {PHRASE_YES, START, "thank you"},
    {PHRASE_NO, START, "no"},
    {PHRASE_NO, START, "nope"},
    {PHRASE_NO, START, "nah"},
    {PHRASE_NO, START, "n"},
    {PHRASE_NO, START, "not really"},
    {PHRASE_NO, START, "not quite"},
    {PHRASE_NO, START, "it didn't"},
    {PHRASE_NO, START, "it did not"},
    {PHRASE_NO, START, "that didn't help"},
    {PHRASE_NO, START, "not helpful"},
};
/* clang-format on */

/* Words dropped before a WHOLE match: "cancel please", "ok start again thanks". */
static const char *const polite[] = {"please",      "thanks", "thank you", "ok",
                                     "just",        "can we", "can you",   "i want to",
                                     "i'd like to", "let's",  NULL};

static bool words_at(const char *norm, const char *p, const char *phrase, size_t pl)
{
    return (p == norm || p[-1] == ' ') && (p[pl] == '\0' || p[pl] == ' ') &&
           strncmp(p, phrase, pl) == 0;
}

static bool anywhere(const char *norm, const char *phrase)
{
    size_t pl = strlen(phrase);
    for (const char *p = strstr(norm, phrase); p != NULL; p = strstr(p + 1, phrase))
        if (words_at(norm, p, phrase, pl)) return true;
    return false;
}

/* norm with the polite words removed, into out. */
static void strip_polite(const char *norm, char *out, size_t outsize)
{
    size_t n = 0;
    const char *p = norm;
    while (*p != '\0') {
        bool dropped = false;
        for (size_t k = 0; polite[k] != NULL && !dropped; k++) {
            size_t pl = strlen(polite[k]);
            if (words_at(norm, p, polite[k], pl)) {
                p += pl;
                dropped = true;
            }
        }
        if (!dropped) {
            while (*p != '\0' && *p != ' ' && n + 1 < outsize) out[n++] = *p++;
            if (*p == ' ' && n > 0 && n + 1 < outsize && out[n - 1] != ' ') out[n++] = ' ';
        }
        while (*p == ' ') p++;
        if (dropped && n > 0 && out[n - 1] != ' ' && *p != '\0' && n + 1 < outsize) out[n++] = ' ';
    }
    while (n > 0 && out[n - 1] == ' ') n--;
    out[n] = '\0';
}

static bool matches(const struct phrase *ph, const char *norm, const char *bare)
{
    size_t pl = strlen(ph->text);
    switch (ph->mode) {
    case ANYWHERE:
        return anywhere(norm, ph->text);
    case WHOLE:
        return strcmp(bare, ph->text) == 0 || strcmp(norm, ph->text) == 0;
    case START:
        return words_at(norm, norm, ph->text, pl);
    }
    return false;
}

enum bot_phrase_kind bot_phrase_match(const char *text, size_t len)
{
    char norm[BOT_TEXT_MAX], bare[BOT_TEXT_MAX];
    bot_normalise(text, len, norm, sizeof(norm));
    strip_polite(norm, bare, sizeof(bare));
    for (size_t i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++)
        if (matches(&phrases[i], norm, bare)) return phrases[i].kind;
    return PHRASE_NONE;
}

bool bot_phrase_is(const char *text, size_t len, enum bot_phrase_kind kind)
{
    char norm[BOT_TEXT_MAX], bare[BOT_TEXT_MAX];
    bot_normalise(text, len, norm, sizeof(norm));
    strip_polite(norm, bare, sizeof(bare));
    for (size_t i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++)
        if (phrases[i].kind == kind && matches(&phrases[i], norm, bare)) return true;
    return false;
}
