/* Markdown articles: the import format (front matter, "# " title, body) and rendering with
 * libcmark. See kb_md.h. */
#include "kb_md.h"

#include <cmark.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"

struct line {
    const char *s;
    size_t len; /* without the line end */
    int no;     /* 1-based */
};

/* The line starting at *pos (advanced past its end, LF or CRLF). */
static bool next_line(const char *text, size_t len, size_t *pos, int *no, struct line *l)
{
    if (*pos >= len) return false;
    size_t start = *pos, end = start;
    while (end < len && text[end] != '\n') end++;
    l->s = text + start;
    l->len = end - start;
    if (l->len > 0 && l->s[l->len - 1] == '\r') l->len--;
    l->no = ++*no;
    *pos = end < len ? end + 1 : end;
    return true;
}

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && (**s == ' ' || **s == '\t')) (*s)++, (*len)--;
    while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t')) (*len)--;
}

static bool blank(const struct line *l)
{
    for (size_t i = 0; i < l->len; i++)
        if (l->s[i] != ' ' && l->s[i] != '\t') return false;
    return true;
}

static bool is_fence(const struct line *l)
{
    const char *s = l->s;
    size_t n = l->len;
    trim(&s, &n);
    return n >= 3 && (strncmp(s, "```", 3) == 0 || strncmp(s, "~~~", 3) == 0);
}

static int line_fail(struct parley_err *err, const char *name, int line, const char *what)
{
    return parley_fail(err, PARLEY_EINVAL, "file", "%s:%d: %s", name, line, what);
}

/* Line number of the first invalid UTF-8 byte or NUL, or 0 when the text is clean. */
static int bad_utf8_line(const char *text, size_t len)
{
    if (util_utf8_valid(text, len)) return 0;
    int line = 1;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || text[i] == '\n') {
            if (!util_utf8_valid(text + start, i - start)) return line;
            line++;
            start = i + 1;
        }
    }
    return line;
}

static int parse_tags(const char *name, const struct line *l, const char *v, size_t vlen,
                      struct kb_article *out, struct arena *a, struct parley_err *err)
{
    const char **tags = arena_alloc(a, KB_MAX_TAGS * sizeof(*tags));
    if (tags == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    size_t n = 0, i = 0;
    while (i < vlen) {
        size_t j = i;
        while (j < vlen && v[j] != ',') j++;
        const char *t = v + i;
        size_t tl = j - i;
        trim(&t, &tl);
        if (tl > 0) {
            if (n == KB_MAX_TAGS) return line_fail(err, name, l->no, "too many tags (at most 16)");
            if (tl > KB_MAX_TAG)
                return line_fail(err, name, l->no, "a tag is longer than 48 bytes");
            if ((tags[n++] = arena_strndup(a, t, tl)) == NULL)
                return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
        }
        i = j + 1;
    }
    out->tags = tags;
    out->n_tags = n;
    return 0;
}

/* "---" … "---" at the top: tags and status; pos and no are left after it. */
static int front_matter(const char *name, const char *text, size_t len, size_t *pos, int *no,
                        struct kb_article *out, struct arena *a, struct parley_err *err)
{
    size_t p = *pos;
    int n = *no;
    struct line l;
    if (!next_line(text, len, &p, &n, &l) || l.len != 3 || memcmp(l.s, "---", 3) != 0) return 0;
    while (next_line(text, len, &p, &n, &l)) {
        if (l.len == 3 && memcmp(l.s, "---", 3) == 0) {
            *pos = p;
            *no = n;
            return 0;
        }
        if (blank(&l)) continue;
        if (l.len >= 2 && memcmp(l.s, "# ", 2) == 0) break; /* the title: "---" was forgotten */
        const char *colon = memchr(l.s, ':', l.len);
        if (colon == NULL)
            return line_fail(err, name, l.no, "expected 'key: value' in the front matter");
        const char *k = l.s, *v = colon + 1;
        size_t kl = (size_t)(colon - l.s), vl = l.len - kl - 1;
        trim(&k, &kl);
        trim(&v, &vl);
        int rc = 0;
        if (kl == 4 && memcmp(k, "tags", 4) == 0) {
            rc = parse_tags(name, &l, v, vl, out, a, err);
        } else if (kl == 6 && memcmp(k, "status", 6) == 0) {
            if (vl == 9 && memcmp(v, "published", 9) == 0)
                out->status = KB_PUBLISHED;
            else if (vl == 5 && memcmp(v, "draft", 5) == 0)
                out->status = KB_DRAFT;
            else
                rc = line_fail(err, name, l.no, "status must be published or draft");
        } else {
            rc = line_fail(err, name, l.no, "unknown front matter key (known: tags, status)");
        }
        if (rc != 0) return rc;
    }
    return line_fail(err, name, *no + 1, "the front matter opened here is never closed by '---'");
}

int kb_md_parse(const char *name, const char *text, size_t len, struct kb_article *out,
                struct arena *a, struct parley_err *err)
{
    if (name == NULL) name = "input";
    out->title = out->body = NULL;
    out->tags = NULL;
    out->n_tags = 0;
    out->status = KB_PUBLISHED;
    if (len > KB_MD_MAX_FILE)
        return parley_fail(err, PARLEY_EINVAL, "file", "%s: %zu bytes; at most %d are accepted",
                           name, len, KB_MD_MAX_FILE);
    int bad = bad_utf8_line(text, len);
    if (bad != 0)
        return line_fail(err, name, bad, "not valid UTF-8 text (or it contains a NUL byte)");
    size_t pos = 0;
    int no = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) pos = 3; /* a BOM */
    int rc = front_matter(name, text, len, &pos, &no, out, a, err);
    if (rc != 0) return rc;
    struct line l;
    bool in_fence = false;
    while (next_line(text, len, &pos, &no, &l)) {
        if (is_fence(&l)) in_fence = !in_fence;
        if (in_fence || l.len < 2 || memcmp(l.s, "# ", 2) != 0) continue;
        const char *t = l.s + 2;
        size_t tl = l.len - 2;
        trim(&t, &tl);
        while (tl > 0 && t[tl - 1] == '#') tl--; /* closing "#"s of an ATX heading */
        trim(&t, &tl);
        if (tl == 0) return line_fail(err, name, l.no, "the title heading is empty");
        if (tl > KB_MAX_TITLE)
            return line_fail(err, name, l.no, "the title is longer than 200 bytes");
        if ((out->title = arena_strndup(a, t, tl)) == NULL)
            return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
        int title_line = l.no;
        /* the body: everything after the title line, leading blank lines skipped */
        size_t body_start = pos;
        while (next_line(text, len, &pos, &no, &l) && blank(&l)) body_start = pos;
        size_t body_len = len - body_start;
        while (body_len > 0 &&
               (text[body_start + body_len - 1] == '\n' ||
                text[body_start + body_len - 1] == '\r' || text[body_start + body_len - 1] == ' '))
            body_len--;
        if (body_len == 0)
            return line_fail(err, name, title_line, "the article has no body after its title");
        if (body_len > KB_MAX_BODY)
            return line_fail(err, name, title_line, "the body is longer than 65536 bytes");
        if ((out->body = arena_strndup(a, text + body_start, body_len)) == NULL)
            return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
        return 0;
    }
    return line_fail(err, name, no > 0 ? no : 1,
                     "no title: the first line starting with '# ' names the article");
}

/* ---- rendering -------------------------------------------------------------------------- */

struct buf {
    char *s;
    size_t len, cap;
    bool oom;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->oom || n == 0) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->s, cap);
        if (p == NULL) {
            b->oom = true;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

/* Ends a block with one newline, or separates inline breaks with one space. */
static void sep(struct buf *b, char c)
{
    if (b->len > 0 && b->s[b->len - 1] != '\n' && b->s[b->len - 1] != c) put(b, &c, 1);
}

int kb_md_render(const char *body, size_t len, const char **html, const char **text,
                 struct arena *a, struct parley_err *err)
{
    *html = *text = NULL;
    /* CMARK_OPT_SAFE: raw HTML is replaced by a comment and unsafe URLs dropped (the default
     * since cmark 0.29; said here so it stays so). */
    char *h = cmark_markdown_to_html(body, len, CMARK_OPT_DEFAULT | CMARK_OPT_SAFE);
    cmark_node *doc = cmark_parse_document(body, len, CMARK_OPT_DEFAULT);
    struct buf b = {0};
    if (doc != NULL) {
        cmark_iter *it = cmark_iter_new(doc);
        cmark_event_type ev;
        while (it != NULL && (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
            cmark_node *node = cmark_iter_get_node(it);
            cmark_node_type type = cmark_node_get_type(node);
            if (ev == CMARK_EVENT_ENTER) {
                const char *lit = NULL;
                if (type == CMARK_NODE_TEXT || type == CMARK_NODE_CODE ||
                    type == CMARK_NODE_CODE_BLOCK)
                    lit = cmark_node_get_literal(node);
                if (lit != NULL) put(&b, lit, strlen(lit));
                if (type == CMARK_NODE_CODE_BLOCK) sep(&b, '\n'); /* a leaf: no exit event */
                if (type == CMARK_NODE_SOFTBREAK || type == CMARK_NODE_LINEBREAK) sep(&b, ' ');
            } else if (type == CMARK_NODE_PARAGRAPH || type == CMARK_NODE_HEADING ||
                       type == CMARK_NODE_ITEM || type == CMARK_NODE_BLOCK_QUOTE) {
                sep(&b, '\n');
            }
        }
        cmark_iter_free(it);
        cmark_node_free(doc);
    }
    int rc = 0;
    if (h == NULL || doc == NULL || b.oom) {
        rc = parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory rendering Markdown");
    } else {
        while (b.len > 0 && b.s[b.len - 1] == '\n') b.s[--b.len] = '\0';
        *html = arena_strdup(a, h);
        *text = arena_strdup(a, b.s != NULL ? b.s : "");
        if (*html == NULL || *text == NULL)
            rc = parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory rendering Markdown");
    }
    free(h);
    free(b.s);
    return rc;
}
