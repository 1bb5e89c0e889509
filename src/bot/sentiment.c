/* VADER-style valence scoring and distress cues (see sentiment.h and docs/bot-sentiment.md).
 * The rules follow the published VADER algorithm (Hutto & Gilbert, ICWSM 2014): lexicon
 * valence, boosters and dampeners within three words, negation within three words, "no"
 * handling, "least", ALL-CAPS emphasis, idioms, "but" weighting, punctuation emphasis and the
 * x / sqrt(x^2 + 15) normalisation. The lexicon is generated from the npm package at build
 * time (sentiment_lexicon.h); the small tables below are ours. */
#define _GNU_SOURCE /* memmem */
#include "sentiment.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sentiment_lexicon.h"

/* VADER's empirically derived constants. */
#define B_INCR   0.293
#define B_DECR   (-0.293)
#define C_INCR   0.733
#define N_SCALAR (-0.74)
#define ALPHA    15.0

#define MAX_WORD 64 /* longer tokens are never in the tables; they count as neutral words */

/* ---- tables ---------------------------------------------------------------------------- */

static const char *const negations[] = {
    "aint",   "arent",    "cannot",  "cant",     "couldnt",  "darent",   "didnt",   "doesnt",
    "ain't",  "aren't",   "can't",   "couldn't", "daren't",  "didn't",   "doesn't", "dont",
    "hadnt",  "hasnt",    "havent",  "isnt",     "mightnt",  "mustnt",   "neither", "don't",
    "hadn't", "hasn't",   "haven't", "isn't",    "mightn't", "mustn't",  "neednt",  "needn't",
    "never",  "none",     "nope",    "nor",      "not",      "nothing",  "nowhere", "oughtnt",
    "shant",  "shouldnt", "uhuh",    "wasnt",    "werent",   "oughtn't", "shan't",  "shouldn't",
    "uh-uh",  "wasn't",   "weren't", "without",  "wont",     "wouldnt",  "won't",   "wouldn't",
    "rarely", "seldom",   "despite",
};

struct booster {
    const char *word;
    double scalar;
};

static const struct booster boosters[] = {
    {"absolutely", B_INCR},    {"amazingly", B_INCR},    {"awfully", B_INCR},
    {"completely", B_INCR},    {"considerable", B_INCR}, {"considerably", B_INCR},
    {"decidedly", B_INCR},     {"deeply", B_INCR},       {"effing", B_INCR},
    {"enormous", B_INCR},      {"enormously", B_INCR},   {"entirely", B_INCR},
    {"especially", B_INCR},    {"exceptional", B_INCR},  {"exceptionally", B_INCR},
    {"extreme", B_INCR},       {"extremely", B_INCR},    {"fabulously", B_INCR},
    {"flipping", B_INCR},      {"flippin", B_INCR},      {"frackin", B_INCR},
    {"fracking", B_INCR},      {"fricking", B_INCR},     {"frickin", B_INCR},
    {"frigging", B_INCR},      {"friggin", B_INCR},      {"fully", B_INCR},
    {"fuckin", B_INCR},        {"fucking", B_INCR},      {"fuggin", B_INCR},
    {"fugging", B_INCR},       {"greatly", B_INCR},      {"hella", B_INCR},
    {"highly", B_INCR},        {"hugely", B_INCR},       {"incredible", B_INCR},
    {"incredibly", B_INCR},    {"intensely", B_INCR},    {"major", B_INCR},
    {"majorly", B_INCR},       {"more", B_INCR},         {"most", B_INCR},
    {"particularly", B_INCR},  {"purely", B_INCR},       {"quite", B_INCR},
    {"really", B_INCR},        {"remarkably", B_INCR},   {"so", B_INCR},
    {"substantially", B_INCR}, {"thoroughly", B_INCR},   {"total", B_INCR},
    {"totally", B_INCR},       {"tremendous", B_INCR},   {"tremendously", B_INCR},
    {"uber", B_INCR},          {"unbelievably", B_INCR}, {"unusually", B_INCR},
    {"utter", B_INCR},         {"utterly", B_INCR},      {"very", B_INCR},
    {"bloody", B_INCR}, /* British English, as customers write it */
    {"almost", B_DECR},        {"barely", B_DECR},       {"hardly", B_DECR},
    {"just enough", B_DECR},   {"kind of", B_DECR},      {"kinda", B_DECR},
    {"kindof", B_DECR},        {"kind-of", B_DECR},      {"less", B_DECR},
    {"little", B_DECR},        {"marginal", B_DECR},     {"marginally", B_DECR},
    {"occasional", B_DECR},    {"occasionally", B_DECR}, {"partly", B_DECR},
    {"scarce", B_DECR},        {"scarcely", B_DECR},     {"slight", B_DECR},
    {"slightly", B_DECR},      {"somewhat", B_DECR},     {"sort of", B_DECR},
    {"sorta", B_DECR},         {"sortof", B_DECR},       {"sort-of", B_DECR},
};

/* Idioms whose valence replaces the word's (VADER's special cases). */
static const struct booster idioms[] = {
    {"the shit", 3},        {"the bomb", 3},        {"bad ass", 1.5},        {"badass", 1.5},
    {"bus stop", 0},        {"yeah right", -2},     {"kiss of death", -1.5}, {"to die for", 3},
    {"beating heart", 3.1}, {"broken heart", -2.9},
};

/* Customer-service words the general-purpose lexicon lacks (or rates for social media), looked
 * up before it. Kept short and documented in docs/bot-sentiment.md. */
static const struct sentiment_lex_entry domain_words[] = {
    {"overcharged", -2.0f},
    {"overcharging", -2.0f},
    {"rip-off", -2.3f},
    {"ripoff", -2.3f},
    {"shambles", -2.2f},
    {"disgraceful", -2.5f},
    {"appalling", -2.5f},
    {"extortionate", -2.4f},
    {"nightmare", -2.3f},
    {"chasing", -0.8f},
    {"fobbed", -1.8f},
    {"waiting", -0.5f},
    {"cut off", -1.5f},
    {"sorted", 1.6f},
    {"spot-on", 2.0f},
    /* words the general lexicon rates but that are neutral in service requests ("I'd like to
     * pay by card, please", "my account number", "emergency credit", "top up") */
    {"please", 0.0f},
    {"like", 0.0f},
    {"want", 0.0f},
    {"number", 0.0f},
    {"pay", 0.0f},
    {"emergency", 0.0f},
    {"top", 0.0f},
};

/* Distress cues, most severe first (the first match is reported). Phrases are written in the
 * normalised form the matcher sees: lower case, apostrophes removed, punctuation as spaces,
 * whole words. not_if, when set, is a phrase that makes this entry not apply (a phone that
 * "died" is not a bereavement). */
struct cue {
    const char *phrase;
    const char *name;
    const char *not_if;
};

static const struct cue cues[] = {
    {"kill myself", "self_harm", NULL},
    {"killing myself", "self_harm", NULL},
    {"end my life", "self_harm", NULL},
    {"end it all", "self_harm", NULL},
    {"suicidal", "self_harm", NULL},
    {"suicide", "self_harm", NULL},
    {"want to die", "self_harm", NULL},
    {"self harm", "self_harm", NULL},
    {"hurt myself", "self_harm", NULL},
    {"harm myself", "self_harm", NULL},
    {"better off dead", "self_harm", NULL},
    {"no reason to live", "self_harm", NULL},
    {"dont want to be here anymore", "self_harm", NULL},
    {"passed away", "bereavement", NULL},
    {"has died", "bereavement", "battery"},
    {"died", "bereavement", "battery"},
    {"funeral", "bereavement", NULL},
    {"bereavement", "bereavement", NULL},
    {"bereaved", "bereavement", NULL},
    {"death of my", "bereavement", NULL},
    {"lost my husband", "bereavement", NULL},
    {"lost my wife", "bereavement", NULL},
    {"lost my partner", "bereavement", NULL},
    {"lost my mum", "bereavement", NULL},
    {"lost my mother", "bereavement", NULL},
    {"lost my dad", "bereavement", NULL},
    {"lost my father", "bereavement", NULL},
    {"lost my son", "bereavement", NULL},
    {"lost my daughter", "bereavement", NULL},
    {"cant cope", "cannot_cope", NULL},
    {"cannot cope", "cannot_cope", NULL},
    {"can not cope", "cannot_cope", NULL},
    {"unable to cope", "cannot_cope", NULL},
    {"struggling to cope", "cannot_cope", NULL},
    {"not coping", "cannot_cope", NULL},
    {"end of my tether", "cannot_cope", NULL},
    {"end of my rope", "cannot_cope", NULL},
    {"at breaking point", "cannot_cope", NULL},
    {"falling apart", "cannot_cope", NULL},
    {"cant take it anymore", "cannot_cope", NULL},
    {"cant take this anymore", "cannot_cope", NULL},
    {"nowhere to turn", "cannot_cope", NULL},
    {"at my wits end", "cannot_cope", NULL},
    {"overwhelmed", "cannot_cope", NULL},
    {"no money for food", "financial_hardship", NULL},
    {"no money left", "financial_hardship", NULL},
    {"cant afford food", "financial_hardship", NULL},
    {"cant afford to eat", "financial_hardship", NULL},
    {"cant afford to heat", "financial_hardship", NULL},
    {"cant feed my", "financial_hardship", NULL},
    {"choose between heating and eating", "financial_hardship", NULL},
    {"heating or eating", "financial_hardship", NULL},
    {"food bank", "financial_hardship", NULL},
    {"foodbank", "financial_hardship", NULL},
    {"skipping meals", "financial_hardship", NULL},
    {"bailiffs", "financial_hardship", NULL},
    {"cant pay my rent", "financial_hardship", NULL},
    {"on oxygen", "medical_dependency", NULL},
    {"oxygen machine", "medical_dependency", NULL},
    {"dialysis", "medical_dependency", NULL},
    {"life support", "medical_dependency", NULL},
    {"medical equipment", "medical_dependency", NULL},
    {"desperate", "desperate", NULL},
    {"desperately", "desperate", NULL},
    {"in tears", "desperate", NULL},
    {"terrified", "desperate", NULL},
    {"panicking", "desperate", NULL},
    {"please help me", "desperate", NULL},
};

/* ---- small helpers --------------------------------------------------------------------- */

static bool is_punct(unsigned char c)
{
    return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
           (c >= '{' && c <= '~');
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int cmp_lex(const void *key, const void *item)
{
    return strcmp(key, ((const struct sentiment_lex_entry *)item)->word);
}

/* Lexicon valence of a lower-case word or phrase; *found says whether it has one. */
static double lex_lookup(const char *w, bool *found)
{
    for (size_t i = 0; i < sizeof(domain_words) / sizeof(domain_words[0]); i++)
        if (strcmp(w, domain_words[i].word) == 0) {
            *found = true;
            return domain_words[i].valence;
        }
    const struct sentiment_lex_entry *e = bsearch(w, sentiment_lexicon, sentiment_lexicon_count,
                                                  sizeof(sentiment_lexicon[0]), cmp_lex);
    *found = e != NULL;
    return e != NULL ? e->valence : 0.0;
}

static bool in_lexicon(const char *w)
{
    bool found;
    lex_lookup(w, &found);
    return found;
}

double sentiment_word_valence(const char *word)
{
    bool found;
    return word != NULL ? lex_lookup(word, &found) : 0.0;
}

static const struct booster *find_in(const struct booster *t, size_t n, const char *w)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].word, w) == 0) return &t[i];
    return NULL;
}

static const struct booster *booster_of(const char *w)
{
    return find_in(boosters, sizeof(boosters) / sizeof(boosters[0]), w);
}

static bool is_negation(const char *w)
{
    for (size_t i = 0; i < sizeof(negations) / sizeof(negations[0]); i++)
        if (strcmp(negations[i], w) == 0) return true;
    return strstr(w, "n't") != NULL;
}

/* ---- tokens ---------------------------------------------------------------------------- */

struct words {
    size_t n;
    char lower[SENTIMENT_MAX_WORDS][MAX_WORD]; /* lower case, "" for over-long tokens */
    bool upper[SENTIMENT_MAX_WORDS];           /* ALL CAPS (has a cased letter, none lower) */
    bool cap_diff; /* some words shout and some do not: shouting then adds emphasis */
};

/* VADER's tokens: whitespace-separated, leading and trailing punctuation stripped unless that
 * leaves two bytes or fewer (so emoticons such as ":)" survive). Curly apostrophes count as
 * straight ones. */
static void tokenize(const char *text, size_t len, struct words *w)
{
    w->n = 0;
    size_t i = 0, n_upper = 0;
    while (i < len && w->n < SENTIMENT_MAX_WORDS) {
        while (i < len && is_space((unsigned char)text[i])) i++;
        if (i >= len) break;
        char tok[MAX_WORD * 2];
        size_t tl = 0;
        bool long_tok = false;
        while (i < len && !is_space((unsigned char)text[i])) {
            unsigned char c = (unsigned char)text[i];
            /* U+2018 / U+2019 (E2 80 98 / 99) as an apostrophe */
            if (c == 0xE2 && i + 2 < len && (unsigned char)text[i + 1] == 0x80 &&
                ((unsigned char)text[i + 2] == 0x98 || (unsigned char)text[i + 2] == 0x99)) {
                c = '\'';
                i += 2;
            }
            if (tl < sizeof(tok) - 1)
                tok[tl++] = (char)c;
            else
                long_tok = true;
            i++;
        }
        tok[tl] = '\0';
        size_t a = 0, b = tl;
        while (a < b && is_punct((unsigned char)tok[a])) a++;
        while (b > a && is_punct((unsigned char)tok[b - 1])) b--;
        if (b - a <= 2) {
            a = 0;
            b = tl;
        }
        char *out = w->lower[w->n];
        bool cased = false, any_lower = false;
        if (long_tok || b - a >= MAX_WORD) {
            out[0] = '\0';
        } else {
            for (size_t k = a; k < b; k++) {
                char c = tok[k];
                if (c >= 'a' && c <= 'z') cased = any_lower = true;
                if (c >= 'A' && c <= 'Z') {
                    cased = true;
                    c = (char)(c - 'A' + 'a');
                }
                out[k - a] = c;
            }
            out[b - a] = '\0';
        }
        w->upper[w->n] = cased && !any_lower;
        if (w->upper[w->n]) n_upper++;
        w->n++;
    }
    w->cap_diff = n_upper > 0 && n_upper < w->n;
}

/* ---- valence --------------------------------------------------------------------------- */

static double scalar_inc_dec(const struct words *w, size_t k, double valence)
{
    double scalar = 0.0;
    const struct booster *b = booster_of(w->lower[k]);
    if (b != NULL) {
        scalar = b->scalar;
        if (valence < 0) scalar = -scalar;
        if (w->upper[k] && w->cap_diff) scalar += valence > 0 ? C_INCR : -C_INCR;
    }
    return scalar;
}

static bool word_is(const struct words *w, size_t k, const char *s)
{
    return strcmp(w->lower[k], s) == 0;
}

static double negation_check(const struct words *w, double valence, size_t start, size_t i)
{
    if (start == 0) {
        if (is_negation(w->lower[i - 1])) valence *= N_SCALAR;
    } else if (start == 1) {
        if (word_is(w, i - 2, "never") && (word_is(w, i - 1, "so") || word_is(w, i - 1, "this")))
            valence *= 1.25;
        else if (word_is(w, i - 2, "without") && word_is(w, i - 1, "doubt"))
            ;
        else if (is_negation(w->lower[i - 2]))
            valence *= N_SCALAR;
    } else {
        bool so_this = word_is(w, i - 2, "so") || word_is(w, i - 2, "this") ||
                       word_is(w, i - 1, "so") || word_is(w, i - 1, "this");
        if (word_is(w, i - 3, "never") && so_this)
            valence *= 1.25;
        else if (word_is(w, i - 3, "without") &&
                 (word_is(w, i - 2, "doubt") || word_is(w, i - 1, "doubt")))
            ;
        else if (is_negation(w->lower[i - 3]))
            valence *= N_SCALAR;
    }
    return valence;
}

/* Joins words [from, to] with spaces into buf (empty when it does not fit). */
static const char *join(const struct words *w, size_t from, size_t to, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = from; k <= to; k++) {
        size_t l = strlen(w->lower[k]);
        if (used + l + 2 > size) {
            buf[0] = '\0';
            return buf;
        }
        if (k > from) buf[used++] = ' ';
        memcpy(buf + used, w->lower[k], l);
        used += l;
        buf[used] = '\0';
    }
    return buf;
}

static double idioms_check(const struct words *w, double valence, size_t i)
{
    static const size_t n_idioms = sizeof(idioms) / sizeof(idioms[0]);
    char buf[4 * MAX_WORD];
    /* the word with the ones before it: "1 0", "2 1 0", "2 1", "3 2 1", "3 2" */
    const size_t spans[5][2] = {
        {i - 1, i}, {i - 2, i}, {i - 2, i - 1}, {i - 3, i - 1}, {i - 3, i - 2}};
    for (size_t s = 0; s < 5; s++) {
        const struct booster *b =
            find_in(idioms, n_idioms, join(w, spans[s][0], spans[s][1], buf, sizeof(buf)));
        if (b != NULL) {
            valence = b->scalar;
            break;
        }
    }
    for (size_t span = 1; span <= 2; span++) {
        if (i + span >= w->n) break;
        const struct booster *b = find_in(idioms, n_idioms, join(w, i, i + span, buf, sizeof(buf)));
        if (b != NULL) valence = b->scalar;
    }
    /* two-word boosters and dampeners before the word ("sort of", "kind of") */
    const size_t grams[3][2] = {{i - 3, i - 1}, {i - 3, i - 2}, {i - 2, i - 1}};
    for (size_t g = 0; g < 3; g++) {
        const struct booster *b = booster_of(join(w, grams[g][0], grams[g][1], buf, sizeof(buf)));
        if (b != NULL) valence += b->scalar;
    }
    return valence;
}

static double least_check(const struct words *w, double valence, size_t i)
{
    if (i > 1 && word_is(w, i - 1, "least") && !in_lexicon(w->lower[i - 1])) {
        if (!word_is(w, i - 2, "at") && !word_is(w, i - 2, "very")) valence *= N_SCALAR;
    } else if (i > 0 && word_is(w, i - 1, "least") && !in_lexicon(w->lower[i - 1])) {
        valence *= N_SCALAR;
    }
    return valence;
}

static double word_valence(const struct words *w, size_t i)
{
    const char *item = w->lower[i];
    bool found;
    double base = lex_lookup(item, &found);
    if (!found) return 0.0;
    double valence = base;
    /* "no" before a rated word negates it rather than counting itself */
    if (strcmp(item, "no") == 0 && i + 1 < w->n && in_lexicon(w->lower[i + 1])) valence = 0.0;
    if ((i > 0 && word_is(w, i - 1, "no")) || (i > 1 && word_is(w, i - 2, "no")) ||
        (i > 2 && word_is(w, i - 3, "no") && (word_is(w, i - 1, "or") || word_is(w, i - 1, "nor"))))
        valence = base * N_SCALAR;
    if (w->upper[i] && w->cap_diff) valence += valence > 0 ? C_INCR : -C_INCR;
    for (size_t start = 0; start < 3; start++) {
        if (i <= start) break;
        size_t k = i - (start + 1);
        if (in_lexicon(w->lower[k])) continue;
        double s = scalar_inc_dec(w, k, valence);
        if (start == 1) s *= 0.95;
        if (start == 2) s *= 0.9;
        valence += s;
        valence = negation_check(w, valence, start, i);
        if (start == 2) valence = idioms_check(w, valence, i);
    }
    return least_check(w, valence, i);
}

/* Two-word domain phrases ("cut off") score on their first word; the second is then neutral. */
static bool domain_bigram(const struct words *w, size_t i, double *valence)
{
    if (i + 1 >= w->n) return false;
    char buf[2 * MAX_WORD + 2];
    join(w, i, i + 1, buf, sizeof(buf));
    for (size_t k = 0; k < sizeof(domain_words) / sizeof(domain_words[0]); k++)
        if (strchr(domain_words[k].word, ' ') != NULL && strcmp(buf, domain_words[k].word) == 0) {
            *valence = domain_words[k].valence;
            return true;
        }
    return false;
}

static double punctuation_emphasis(const char *text, size_t len)
{
    size_t ep = 0, qm = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '!') ep++;
        if (text[i] == '?') qm++;
    }
    double amp = (double)(ep > 4 ? 4 : ep) * 0.292;
    if (qm > 1) amp += qm <= 3 ? (double)qm * 0.18 : 0.96;
    return amp;
}

/* ---- distress -------------------------------------------------------------------------- */

/* Lower case, apostrophes dropped, other ASCII punctuation and spaces collapsed to one space,
 * with a space at both ends so that " phrase " matches whole words. Bytes >= 0x80 are kept
 * (except curly apostrophes, dropped like straight ones). */
static size_t normalise(const char *text, size_t len, char *out, size_t size)
{
    size_t o = 0;
    out[o++] = ' ';
    for (size_t i = 0; i < len && o + 2 < size; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\'') continue;
        if (c == 0xE2 && i + 2 < len && (unsigned char)text[i + 1] == 0x80 &&
            ((unsigned char)text[i + 2] == 0x98 || (unsigned char)text[i + 2] == 0x99)) {
            i += 2;
            continue;
        }
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c - 'A' + 'a');
        bool word = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
        if (!word) {
            if (out[o - 1] != ' ') out[o++] = ' ';
            continue;
        }
        out[o++] = (char)c;
    }
    if (out[o - 1] != ' ') out[o++] = ' ';
    out[o] = '\0';
    return o;
}

static bool has_phrase(const char *norm, size_t nlen, const char *phrase)
{
    char pat[96];
    size_t pl = strlen(phrase);
    if (pl + 3 > sizeof(pat)) return false;
    pat[0] = ' ';
    memcpy(pat + 1, phrase, pl);
    pat[pl + 1] = ' ';
    return memmem(norm, nlen, pat, pl + 2) != NULL;
}

static const char *find_cue(const char *text, size_t len)
{
    char norm[SENTIMENT_MAX_BYTES + 4];
    size_t nlen = normalise(text, len, norm, sizeof(norm));
    for (size_t i = 0; i < sizeof(cues) / sizeof(cues[0]); i++) {
        if (!has_phrase(norm, nlen, cues[i].phrase)) continue;
        if (cues[i].not_if != NULL && has_phrase(norm, nlen, cues[i].not_if)) continue;
        return cues[i].name;
    }
    return NULL;
}

/* ---- the public calls -------------------------------------------------------------------- */

void sentiment_score(const char *text, size_t len, struct sentiment *out)
{
    memset(out, 0, sizeof(*out));
    if (text == NULL) return;
    if (len > SENTIMENT_MAX_BYTES) len = SENTIMENT_MAX_BYTES;
    out->distress_cue = find_cue(text, len);
    out->distress = out->distress_cue != NULL;

    struct words *w = malloc(sizeof(*w)); /* ~66 KiB: too big for a worker's stack */
    if (w == NULL) return;
    tokenize(text, len, w);
    double *s = calloc(w->n > 0 ? w->n : 1, sizeof(double));
    if (s == NULL) {
        free(w);
        return;
    }
    for (size_t i = 0; i < w->n; i++) {
        if (booster_of(w->lower[i]) != NULL) continue;
        if (i + 1 < w->n && word_is(w, i, "kind") && word_is(w, i + 1, "of")) continue;
        double v;
        if (domain_bigram(w, i, &v)) {
            s[i] = v;
            i++; /* the phrase's second word stays neutral */
            continue;
        }
        s[i] = word_valence(w, i);
    }
    /* "but": what comes before it matters half as much, what follows one and a half times */
    for (size_t b = 0; b < w->n; b++) {
        if (!word_is(w, b, "but")) continue;
        for (size_t k = 0; k < w->n; k++) s[k] *= k < b ? 0.5 : k > b ? 1.5 : 1.0;
        break;
    }
    double sum = 0, pos = 0, neg = 0, neu = 0;
    for (size_t i = 0; i < w->n; i++) {
        sum += s[i];
        if (s[i] > 0) pos += s[i] + 1; /* VADER counts each rated word as one neutral unit too */
        if (s[i] < 0) neg += s[i] - 1;
        if (s[i] == 0) neu += 1;
    }
    size_t n = w->n;
    free(s);
    free(w);
    if (n == 0) return;
    double amp = punctuation_emphasis(text, len);
    if (sum > 0) sum += amp;
    if (sum < 0) sum -= amp;
    double compound = sum / sqrt(sum * sum + ALPHA);
    out->compound = compound < -1 ? -1 : compound > 1 ? 1 : compound;
    if (pos > fabs(neg)) pos += amp;
    if (pos < fabs(neg)) neg -= amp;
    double total = pos + fabs(neg) + neu;
    if (total > 0) {
        out->pos = fabs(pos / total);
        out->neg = fabs(neg / total);
        out->neu = fabs(neu / total);
    }
}

double sentiment_trend(double previous, double compound)
{
    if (!isfinite(previous)) previous = 0;
    if (!isfinite(compound)) return previous;
    return previous + SENTIMENT_TREND_ALPHA * (compound - previous);
}

const char *sentiment_label(double compound)
{
    if (compound >= SENTIMENT_THRESHOLD) return "positive";
    if (compound <= -SENTIMENT_THRESHOLD) return "negative";
    return "neutral";
}
