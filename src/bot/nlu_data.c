/* Training data: the dataset (examples and their strings in one arena), file reading with a
 * size cap, and the RFC 4180 CSV reader with errors that name the file and line. */
#include "nlu_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"

void nlu_dataset_init(struct nlu_dataset *d)
{
    memset(d, 0, sizeof(*d));
    arena_init(&d->arena);
}

void nlu_dataset_free(struct nlu_dataset *d)
{
    free(d->items);
    arena_free(&d->arena);
    memset(d, 0, sizeof(*d));
}

bool nlu_label_valid(const char *label, size_t len)
{
    if (len == 0 || len > NLU_MAX_LABEL) return false;
    for (size_t i = 0; i < len; i++) {
        char c = label[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.' || c == ':' || c == '/';
        if (!ok) return false;
    }
    return true;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int nlu_dataset_add(struct nlu_dataset *d, const char *text, size_t text_len, const char *label,
                    size_t label_len, int line, struct parley_err *err)
{
    while (text_len > 0 && is_space(text[0])) text++, text_len--;
    while (text_len > 0 && is_space(text[text_len - 1])) text_len--;
    while (label_len > 0 && is_space(label[0])) label++, label_len--;
    while (label_len > 0 && is_space(label[label_len - 1])) label_len--;
    if (text_len == 0) return parley_fail(err, PARLEY_EINVAL, "text", "the text is empty");
    if (text_len > NLU_MAX_TEXT)
        return parley_fail(err, PARLEY_EINVAL, "text", "the text is %zu bytes; at most %d",
                           text_len, NLU_MAX_TEXT);
    if (!util_utf8_valid(text, text_len))
        return parley_fail(err, PARLEY_EINVAL, "text", "the text is not valid UTF-8");
    if (!nlu_label_valid(label, label_len))
        return parley_fail(err, PARLEY_EINVAL, "label",
                           "the label must be 1-%d characters of a-z, A-Z, 0-9, _ - . : /",
                           NLU_MAX_LABEL);
    if (d->n >= NLU_MAX_EXAMPLES)
        return parley_fail(err, PARLEY_ETOOBIG, "examples", "more than %d examples",
                           NLU_MAX_EXAMPLES);
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 256;
        struct nlu_example *items = realloc(d->items, cap * sizeof(*items));
        if (items == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
        d->items = items;
        d->cap = cap;
    }
    struct nlu_example *e = &d->items[d->n];
    e->text = arena_strndup(&d->arena, text, text_len);
    e->label = arena_strndup(&d->arena, label, label_len);
    e->line = line;
    if (e->text == NULL || e->label == NULL)
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    d->n++;
    return 0;
}

int nlu_read_file(const char *path, char **buf, size_t *len, struct parley_err *err)
{
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return parley_fail(err, PARLEY_EIO, "file", "cannot open %s: %s", path, strerror(errno));
    size_t cap = 65536, n = 0;
    char *b = malloc(cap + 1);
    int rc = b == NULL ? parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory") : 0;
    while (rc == 0) {
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
        if (n < cap) continue;
        if (cap >= NLU_MAX_FILE) {
            rc = parley_fail(err, PARLEY_ETOOBIG, "file", "%s is over %d MiB", path,
                             NLU_MAX_FILE >> 20);
            break;
        }
        char *nb = realloc(b, cap * 2 + 1);
        if (nb == NULL) {
            rc = parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
            break;
        }
        b = nb;
        cap *= 2;
    }
    if (rc == 0 && ferror(f))
        rc = parley_fail(err, PARLEY_EIO, "file", "cannot read %s: %s", path, strerror(errno));
    fclose(f);
    if (rc != 0) {
        free(b);
        return rc;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
}

/* ---- CSV ------------------------------------------------------------------------------------- */

#define CSV_MAX_FIELDS 64
#define CSV_MAX_FIELD  (64 * 1024)

struct csv {
    const char *name, *p;
    size_t len, at;
    int line; /* of the character at `at` */
    char *field;
    size_t field_len;
    /* the fields of the current record, copied into one buffer */
    char *rec;
    size_t rec_len, rec_cap;
    size_t off[CSV_MAX_FIELDS], flen[CSV_MAX_FIELDS];
    int n_fields;
};

static int csv_fail(struct csv *c, struct parley_err *err, int line, const char *what)
{
    const char *name = c->name;
    size_t nlen = strlen(name);
    if (nlen > 120) name += nlen - 120; /* keep the end of a long path */
    return parley_fail(err, PARLEY_EINVAL, "csv", "%s:%d: %s", name, line, what);
}

static int rec_push(struct csv *c, char ch)
{
    if (c->rec_len == c->rec_cap) {
        size_t cap = c->rec_cap ? c->rec_cap * 2 : 1024;
        char *r = realloc(c->rec, cap);
        if (r == NULL) return PARLEY_ENOMEM;
        c->rec = r;
        c->rec_cap = cap;
    }
    c->rec[c->rec_len++] = ch;
    return 0;
}

/* Reads one record into c->off/flen. Returns 1 when a record was read, 0 at the end, or a
 * negative code with err. *start_line gets the record's first line. */
static int csv_record(struct csv *c, int *start_line, struct parley_err *err)
{
    c->rec_len = 0;
    c->n_fields = 0;
    if (c->at >= c->len) return 0;
    *start_line = c->line;
    for (;;) {
        if (c->n_fields == CSV_MAX_FIELDS)
            return csv_fail(c, err, c->line, "more than 64 fields in a record");
        size_t start = c->rec_len;
        c->off[c->n_fields] = start;
        if (c->at < c->len && c->p[c->at] == '"') {
            int quote_line = c->line;
            c->at++;
            for (;;) {
                if (c->at >= c->len)
                    return csv_fail(c, err, quote_line, "a quoted field is never closed");
                char ch = c->p[c->at++];
                if (ch == '"') {
                    if (c->at < c->len && c->p[c->at] == '"') {
                        c->at++;
                    } else {
                        break;
                    }
                }
                if (ch == '\n') c->line++;
                if (ch == '\0') return csv_fail(c, err, c->line, "a NUL byte");
                if (c->rec_len - start >= CSV_MAX_FIELD)
                    return csv_fail(c, err, quote_line, "a field over 64 KiB");
                if (rec_push(c, ch) != 0)
                    return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
            }
            if (c->at < c->len && c->p[c->at] != ',' && c->p[c->at] != '\n' &&
                !(c->p[c->at] == '\r' && c->at + 1 < c->len && c->p[c->at + 1] == '\n') &&
                !(c->p[c->at] == '\r' && c->at + 1 == c->len))
                return csv_fail(c, err, c->line,
                                "unexpected character after a closing quote (double the quote "
                                "inside a quoted field: \"\")");
        } else {
            while (c->at < c->len && c->p[c->at] != ',' && c->p[c->at] != '\n' &&
                   !(c->p[c->at] == '\r' && (c->at + 1 == c->len || c->p[c->at + 1] == '\n'))) {
                char ch = c->p[c->at++];
                if (ch == '"')
                    return csv_fail(c, err, c->line,
                                    "a quote inside an unquoted field (quote the whole field)");
                if (ch == '\0') return csv_fail(c, err, c->line, "a NUL byte");
                if (c->rec_len - start >= CSV_MAX_FIELD)
                    return csv_fail(c, err, c->line, "a field over 64 KiB");
                if (rec_push(c, ch) != 0)
                    return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
            }
        }
        c->flen[c->n_fields] = c->rec_len - start;
        c->n_fields++;
        if (c->at >= c->len) return 1;
        char ch = c->p[c->at++];
        if (ch == ',') continue;
        if (ch == '\r') c->at++; /* the \n of \r\n (or the end) */
        c->line++;
        return 1;
    }
}

static bool field_is(const struct csv *c, int i, const char *name)
{
    size_t n = strlen(name);
    if (c->flen[i] != n) return false;
    for (size_t k = 0; k < n; k++) {
        char ch = c->rec[c->off[i] + k];
        if (ch >= 'A' && ch <= 'Z') ch = (char)(ch + 32);
        if (ch != name[k]) return false;
    }
    return true;
}

int nlu_csv_parse(const char *name, const char *buf, size_t len, struct nlu_dataset *d,
                  struct parley_err *err)
{
    if (len > NLU_MAX_FILE)
        return parley_fail(err, PARLEY_ETOOBIG, "csv", "%s is over %d MiB", name,
                           NLU_MAX_FILE >> 20);
    struct csv c = {.name = name, .p = buf, .len = len, .line = 1};
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) c.at = 3;
    int rc, line = 1, text_col = -1, label_col = -1;
    rc = csv_record(&c, &line, err);
    if (rc == 0) rc = csv_fail(&c, err, 1, "the file is empty; it needs a header `text,label`");
    if (rc < 0) goto out;
    for (int i = 0; i < c.n_fields; i++) {
        if (field_is(&c, i, "text") && text_col < 0) text_col = i;
        if (field_is(&c, i, "label") && label_col < 0) label_col = i;
    }
    if (text_col < 0 || label_col < 0) {
        rc = csv_fail(&c, err, line, "the header must name the columns `text` and `label`");
        goto out;
    }
    int header_fields = c.n_fields;
    while ((rc = csv_record(&c, &line, err)) == 1) {
        if (c.n_fields == 1 && c.flen[0] == 0) continue; /* a blank line */
        if (c.n_fields != header_fields) {
            char what[96];
            snprintf(what, sizeof(what), "%d fields where the header has %d", c.n_fields,
                     header_fields);
            rc = csv_fail(&c, err, line, what);
            break;
        }
        struct parley_err e = {0};
        rc = nlu_dataset_add(d, c.rec + c.off[text_col], c.flen[text_col], c.rec + c.off[label_col],
                             c.flen[label_col], line, &e);
        if (rc == PARLEY_ENOMEM || rc == PARLEY_ETOOBIG) {
            if (err != NULL) *err = e;
            break;
        }
        if (rc != 0) {
            rc = csv_fail(&c, err, line, e.message);
            if (err != NULL) snprintf(err->field, sizeof(err->field), "%s", e.field);
            break;
        }
    }
out:
    free(c.rec);
    return rc < 0 ? rc : 0;
}
