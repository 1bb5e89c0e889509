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
    bool stop;
};

/* The query's words in order: lower-cased, duplicates dropped; stop tells which are common
 * English words. Returns how many (at most KB_QUERY_MAX_TERMS). */
static size_t split(const char *q, size_t len, struct term terms[KB_QUERY_MAX_TERMS])
{
    size_t n = 0;
    const unsigned char *s = (const unsigned char *)(q != NULL ? q : "");
    size_t i = 0;
    if (len > KB_MAX_QUERY) len = KB_MAX_QUERY;
    while (i < len && n < KB_QUERY_MAX_TERMS) {
        unsigned cp = 0;
        size_t cl = utf8_char(s + i, len - i, &cp);
        if (cl == 0 || !word_char(cp)) {
            i += cl == 0 ? 1 : cl;
            continue;
        }
        struct term *t = &terms[n];
        size_t tl = 0;
        while (i < len) {
            cl = utf8_char(s + i, len - i, &cp);
            if (cl == 0 || !word_char(cp)) break;
            if (tl + cl <= KB_QUERY_MAX_TERM) {
                for (size_t k = 0; k < cl; k++) {
                    char c = (char)s[i + k];
                    t->w[tl++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
                }
            }
            i += cl;
        }
        t->w[tl] = '\0';
        bool dup = false;
        for (size_t k = 0; k < n && !dup; k++) dup = strcmp(terms[k].w, t->w) == 0;
        if (dup) continue;
        t->stop = is_stopword(t->w);
        n++;
    }
    return n;
}

int kb_fts_words(const char *q, size_t len, char words[][KB_QUERY_MAX_TERM + 1])
{
    struct term terms[KB_QUERY_MAX_TERMS];
    size_t n = split(q, len, terms);
    int kept = 0;
    for (size_t k = 0; k < n; k++)
        if (!terms[k].stop) memcpy(words[kept++], terms[k].w, sizeof(terms[k].w));
    return kept;
}

int kb_fts_query(const char *q, size_t len, enum kb_match how, char *out, size_t cap)
{
    char words[KB_QUERY_MAX_TERMS][KB_QUERY_MAX_TERM + 1];
    int n = kb_fts_words(q, len, words);
    size_t used = 0;
    int kept = 0;
    if (cap == 0) return 0;
    out[0] = '\0';
    for (int k = 0; k < n; k++) {
        const char *sep = kept == 0 ? "" : how == KB_MATCH_ALL ? " " : " OR ";
        size_t need = strlen(sep) + strlen(words[k]) + 2;
        if (used + need + 1 > cap) break;
        used += (size_t)snprintf(out + used, cap - used, "%s\"%s\"", sep, words[k]);
        kept++;
    }
    return kept;
}
