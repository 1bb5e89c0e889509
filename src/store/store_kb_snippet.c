/* Search snippets: the best window of an article's text for a query, as HTML (escaped text,
 * <mark> around the words that matched). FTS5's snippet() gives the same kind of fragment but
 * needs the hit found again with `MATCH … AND rowid = ?`, a lookup in every segment of the
 * index for every word: on a 100,000-article index that was about 1M instructions per hit,
 * as much as ranking the whole query. This tokenizes the one text with kb_fts's own tokenizer
 * (so "readings" marks where "reading" was searched, exactly as the index matched it) and
 * picks the window with the most distinct query words (docs/knowledge-base.md). */
#include "store_int.h"

#include <string.h>

struct tok {
    size_t start, end; /* bytes of the text */
    int word;          /* index of the query token it equals, or -1 */
};

struct scan {
    const struct kb_query_tokens *q;
    struct tok *toks;
    size_t n, cap;
    struct arena *a;
    bool nomem;
};

static int scan_token(void *ud, const char *t, size_t n, size_t start, size_t end)
{
    struct scan *s = ud;
    if (s->n == s->cap) {
        size_t cap = s->cap == 0 ? 256 : 2 * s->cap;
        struct tok *toks = arena_alloc(s->a, cap * sizeof(*toks));
        if (toks == NULL) {
            s->nomem = true;
            return -1;
        }
        if (s->n > 0) memcpy(toks, s->toks, s->n * sizeof(*toks));
        s->toks = toks;
        s->cap = cap;
    }
    struct tok *k = &s->toks[s->n++];
    k->start = start;
    k->end = end;
    k->word = kb_query_token_find(s->q, t, n);
    return 0;
}

/* The first token of the best window of w tokens: most distinct query tokens, then most
 * matches, then earliest; then moved so that its matches sit in the middle, with as much
 * context before the first as after the last. */
static size_t best_window(const struct tok *t, size_t n, size_t w)
{
    if (n <= w) return 0;
    int count[KB_QUERY_MAX_TOKENS] = {0}, distinct = 0, hits = 0;
    int best_distinct = -1, best_hits = -1;
    size_t best = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i].word >= 0) {
            hits++;
            if (count[t[i].word]++ == 0) distinct++;
        }
        if (i >= w && t[i - w].word >= 0) {
            hits--;
            if (--count[t[i - w].word] == 0) distinct--;
        }
        if (i + 1 >= w &&
            (distinct > best_distinct || (distinct == best_distinct && hits > best_hits))) {
            best_distinct = distinct;
            best_hits = hits;
            best = i + 1 - w;
        }
    }
    size_t first = n, last = 0;
    for (size_t i = best; i < best + w; i++)
        if (t[i].word >= 0) {
            if (first == n) first = i;
            last = i;
        }
    if (first == n) return best; /* no match anywhere: the start of the text */
    size_t span = last - first + 1, before = (w - span) / 2;
    size_t start = first > before ? first - before : 0;
    return start + w > n ? n - w : start;
}

/* Appends text[from, to) HTML-escaped to out (NULL: only counts); returns the bytes. */
static size_t escape(const char *text, size_t from, size_t to, char *out)
{
    size_t n = 0;
    for (size_t i = from; i < to; i++) {
        const char *rep = NULL;
        switch (text[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            if (out != NULL) out[n] = text[i];
            n++;
            continue;
        }
        size_t l = strlen(rep);
        if (out != NULL) memcpy(out + n, rep, l);
        n += l;
    }
    return n;
}

#define ELLIPSIS "\xE2\x80\xA6" /* … */

/* Writes the fragment (out NULL: only measures it); returns its length. */
static size_t render(const char *text, size_t len, const struct tok *t, size_t n, size_t s,
                     size_t e, char *out)
{
    size_t used = 0;
#define PUT(str)                                                                                   \
    do {                                                                                           \
        size_t l_ = strlen(str);                                                                   \
        if (out != NULL) memcpy(out + used, str, l_);                                              \
        used += l_;                                                                                \
    } while (0)
    if (s > 0) PUT(ELLIPSIS);
    size_t pos = s > 0 ? t[s].start : 0;
    for (size_t i = s; i < e; i++) {
        used += escape(text, pos, t[i].start, out != NULL ? out + used : NULL);
        if (t[i].word >= 0) PUT("<mark>");
        used += escape(text, t[i].start, t[i].end, out != NULL ? out + used : NULL);
        if (t[i].word >= 0) PUT("</mark>");
        pos = t[i].end;
    }
    if (e < n)
        PUT(ELLIPSIS);
    else
        used += escape(text, pos, len, out != NULL ? out + used : NULL);
#undef PUT
    return used;
}

char *kb_snippet(struct kb_fts *k, const char *text, const struct kb_query_tokens *q, size_t window,
                 struct arena *a)
{
    if (text == NULL) text = "";
    size_t len = strlen(text);
    struct scan s = {.q = q, .a = a};
    if (kb_fts_tokens(k, false, text, len, scan_token, &s) != 0 && s.nomem) return NULL;
    if (s.n == 0) return arena_strdup(a, "");
    size_t from = best_window(s.toks, s.n, window);
    size_t to = from + window < s.n ? from + window : s.n;
    size_t need = render(text, len, s.toks, s.n, from, to, NULL);
    char *out = arena_alloc(a, need + 1);
    if (out == NULL) return NULL;
    render(text, len, s.toks, s.n, from, to, out);
    out[need] = '\0';
    return out;
}
