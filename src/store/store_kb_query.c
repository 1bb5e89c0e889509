/* Free text → a safe FTS5 MATCH expression (see kb_fts_query in store_int.h). People type
 * anything: quotes, "AND", "NEAR(", "col:", "*", "^", half a UTF-8 character. None of it may
 * reach FTS5 as syntax, so only words survive, each inside double quotes (a quoted string is a
 * phrase whatever it holds, and words never contain a double quote). */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Words too common to say anything about which article is meant. Sorted (bsearch). */
static const char *const stopwords[] = {
    "a",      "about",  "after",  "again", "all",    "also",    "am",    "an",      "and",
    "any",    "are",    "as",     "at",    "be",     "because", "been",  "before",  "being",
    "but",    "by",     "can",    "cant",  "could",  "did",     "didnt", "do",      "does",
    "doesnt", "doing",  "done",   "dont",  "for",    "from",    "get",   "gets",    "getting",
    "give",   "go",     "going",  "got",   "had",    "has",     "have",  "having",  "he",
    "hello",  "her",    "here",   "hi",    "him",    "his",     "how",   "i",       "id",
    "if",     "im",     "in",     "into",  "is",     "isnt",    "it",    "its",     "ive",
    "just",   "know",   "let",    "like",  "me",     "mean",    "means", "more",    "most",
    "much",   "my",     "need",   "needs", "no",     "not",     "now",   "of",      "off",
    "ok",     "on",     "once",   "only",  "or",     "other",   "our",   "out",     "over",
    "own",    "please", "really", "same",  "she",    "should",  "so",    "some",    "still",
    "such",   "tell",   "than",   "thank", "thanks", "that",    "thats", "the",     "their",
    "them",   "then",   "there",  "these", "they",   "this",    "those", "through", "to",
    "too",    "up",     "us",     "very",  "want",   "wants",   "was",   "way",     "we",
    "were",   "what",   "whats",  "when",  "where",  "which",   "while", "who",     "why",
    "will",   "with",   "wont",   "would", "yes",    "you",     "your",  "yours",
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(a, *(const char *const *)b);
}

static bool is_stopword(const char *w)
{
    return bsearch(w, stopwords, sizeof(stopwords) / sizeof(stopwords[0]), sizeof(stopwords[0]),
                   cmp_str) != NULL;
}

/* Decodes one UTF-8 character at s (len > 0): its length, or 0 when invalid (overlong,
 * surrogate, beyond U+10FFFF, truncated). */
static size_t utf8_char(const unsigned char *s, size_t len, unsigned *cp)
{
    unsigned c = s[0];
    size_t n;
    unsigned min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        n = 2, min = 0x80, c &= 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, min = 0x800, c &= 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, min = 0x10000, c &= 0x07;
    } else {
        return 0;
    }
    if (len < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    *cp = c;
    return n;
}

/* Letters and digits; non-ASCII characters count as word characters except the punctuation
 * and space blocks people type (curly quotes, dashes, no-break space, ideographic space …). */
static bool word_char(unsigned cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
    if (cp <= 0xBF || cp == 0xD7 || cp == 0xF7) return false;
    if (cp >= 0x2000 && cp <= 0x206F) return false;
    if (cp >= 0x3000 && cp <= 0x303F) return false;
    if (cp >= 0xFE00 && cp <= 0xFE0F) return false;
    if (cp >= 0xFFF0) return cp > 0xFFFF;
    return true;
}

struct term {
    char w[KB_QUERY_MAX_TERM + 1];
};

/* An apostrophe: ASCII ' or U+2019 (the curly one phones type). */
static size_t apostrophe_len(const unsigned char *s, size_t len)
{
    if (len >= 1 && s[0] == '\'') return 1;
    if (len >= 3 && s[0] == 0xE2 && s[1] == 0x80 && s[2] == 0x99) return 3;
    return 0;
}

/* The English clitic after an apostrophe at s (length of the apostrophe al), when one ends a
 * word there: 't' for "n't", 'k' for 's 'm 'd 'll 're 've, 0 otherwise ("o'brien"). *skip is
 * the bytes to step over (apostrophe and clitic). The FTS5 index splits "don't" into "don"
 * and "t"; the query drops the clitic instead of searching for a one-letter word that every
 * article with a contraction holds. */
static char clitic(const unsigned char *s, size_t len, size_t al, size_t *skip)
{
    static const char *const kinds[] = {"t", "s", "m", "d", "ll", "re", "ve"};
    size_t n = 0;
    while (al + n < len && n < 3 && ((s[al + n] | 0x20) >= 'a' && (s[al + n] | 0x20) <= 'z')) n++;
    if (al + n < len) {
        unsigned cp = 0;
        size_t cl = utf8_char(s + al + n, len - al - n, &cp);
        if (cl != 0 && word_char(cp)) return 0; /* the word goes on: not a clitic */
    }
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        if (strlen(kinds[k]) != n) continue;
        bool same = true;
        for (size_t j = 0; j < n && same; j++) same = (char)(s[al + j] | 0x20) == kinds[k][j];
        if (same) {
            *skip = al + n;
            return k == 0 ? 't' : 'k';
        }
    }
    return 0;
}

/* The query's content words in order (lower-cased, stop words and duplicates dropped) into
 * terms; returns how many. */
static size_t split(const char *q, size_t len, struct term terms[KB_QUERY_MAX_TERMS])
{
    size_t n = 0;
    const unsigned char *s = (const unsigned char *)(q != NULL ? q : "");
    size_t i = 0;
    if (len > KB_MAX_QUERY) len = KB_MAX_QUERY;
    /* Stop words are dropped as they are read, so they never use up the KB_QUERY_MAX_TERMS
     * budget: a long question keeps its content words. */
    while (i < len && n < KB_QUERY_MAX_TERMS) {
        unsigned cp = 0;
        size_t cl = utf8_char(s + i, len - i, &cp);
        if (cl == 0 || !word_char(cp)) {
            i += cl == 0 ? 1 : cl;
            continue;
        }
        struct term *t = &terms[n];
        size_t tl = 0;
        bool negated = false;
        while (i < len) {
            cl = utf8_char(s + i, len - i, &cp);
            if (cl == 0 || !word_char(cp)) {
                size_t al = apostrophe_len(s + i, len - i), skip = 0;
                char c = al > 0 && tl > 0 ? clitic(s + i, len - i, al, &skip) : 0;
                if (c != 0) {
                    negated = c == 't'; /* "didn't", "won't": an auxiliary, never a topic */
                    i += skip;
                }
                break;
            }
            if (tl + cl <= KB_QUERY_MAX_TERM) {
                for (size_t k = 0; k < cl; k++) {
                    char c = (char)s[i + k];
                    t->w[tl++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
                }
            }
            i += cl;
        }
        t->w[tl] = '\0';
        bool dup = negated || is_stopword(t->w);
        for (size_t k = 0; k < n && !dup; k++) dup = strcmp(terms[k].w, t->w) == 0;
        if (!dup) n++;
    }
    return n;
}

int kb_fts_words(const char *q, size_t len, char words[][KB_QUERY_MAX_TERM + 1])
{
    struct term terms[KB_QUERY_MAX_TERMS];
    size_t n = split(q, len, terms);
    for (size_t k = 0; k < n; k++) memcpy(words[k], terms[k].w, sizeof(terms[k].w));
    return (int)n;
}

bool kb_fts_append(char *out, size_t cap, const char *sep, const char *w)
{
    size_t used = strlen(out);
    if (used > 0 && sep == NULL) sep = " OR ";
    if (used == 0) sep = "";
    if (used + strlen(sep) + strlen(w) + 3 > cap) return false;
    snprintf(out + used, cap - used, "%s\"%s\"", sep, w);
    return true;
}

int kb_fts_query(const char *q, size_t len, enum kb_match how, char *out, size_t cap)
{
    char words[KB_QUERY_MAX_TERMS][KB_QUERY_MAX_TERM + 1];
    int n = kb_fts_words(q, len, words);
    int kept = 0;
    if (cap == 0) return 0;
    out[0] = '\0';
    while (kept < n && kb_fts_append(out, cap, how == KB_MATCH_ALL ? " " : " OR ", words[kept]))
        kept++;
    return kept;
}
