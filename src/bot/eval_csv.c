/* CSV for evaluation files: see eval_csv.h. */
#include "eval_csv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../common/util.h"

struct reader {
    const char *name, *s;
    size_t len, pos;
    int line;
    struct parley_err *err;
};

static int fail(struct reader *r, int line, const char *what)
{
    return parley_fail(r->err, PARLEY_EINVAL, "csv", "%s:%d: %s", r->name, line, what);
}

/* Reads one record's fields into fields[] (max n_max, extra ones dropped) as arena strings.
 * Returns the number of fields, 0 at the end of input, or a negative error. */
static int record(struct reader *r, char **fields, int n_max, int *start_line, struct arena *a)
{
    while (r->pos < r->len && (r->s[r->pos] == '\n' || r->s[r->pos] == '\r')) {
        if (r->s[r->pos] == '\n') r->line++;
        r->pos++;
    }
    if (r->pos >= r->len) return 0;
    *start_line = r->line;
    int n = 0;
    char field[EVAL_CSV_MAX_FIELD + 1];
    for (;;) {
        size_t fl = 0;
        bool quoted = r->pos < r->len && r->s[r->pos] == '"';
        if (quoted) {
            int open_line = r->line;
            r->pos++;
            for (;;) {
                if (r->pos >= r->len) return fail(r, open_line, "a quoted field is never closed");
                char c = r->s[r->pos++];
                if (c == '"') {
                    if (r->pos < r->len && r->s[r->pos] == '"') {
                        r->pos++;
                    } else {
                        break;
                    }
                }
                if (c == '\n') r->line++;
                if (fl == EVAL_CSV_MAX_FIELD)
                    return fail(r, r->line, "a field is longer than 4096 bytes");
                field[fl++] = c;
            }
            if (r->pos < r->len && r->s[r->pos] != ',' && r->s[r->pos] != '\n' &&
                r->s[r->pos] != '\r')
                return fail(r, r->line, "text after a closing quote (write \"\" for a quote)");
        } else {
            while (r->pos < r->len && r->s[r->pos] != ',' && r->s[r->pos] != '\n' &&
                   r->s[r->pos] != '\r') {
                if (r->s[r->pos] == '"')
                    return fail(r, r->line, "a quote inside an unquoted field (quote the field)");
                if (fl == EVAL_CSV_MAX_FIELD)
                    return fail(r, r->line, "a field is longer than 4096 bytes");
                field[fl++] = r->s[r->pos++];
            }
        }
        if (!util_utf8_valid(field, fl)) return fail(r, r->line, "not valid UTF-8 text");
        if (n < n_max && (fields[n] = arena_strndup(a, field, fl)) == NULL)
            return parley_fail(r->err, PARLEY_ENOMEM, NULL, "out of memory");
        n++;
        if (r->pos < r->len && r->s[r->pos] == ',') {
            r->pos++;
            continue;
        }
        if (r->pos < r->len && r->s[r->pos] == '\r') r->pos++;
        if (r->pos < r->len && r->s[r->pos] == '\n') {
            r->pos++;
            r->line++;
        }
        return n;
    }
}

#define MAX_COLS 32

int eval_csv_parse(const char *name, const char *buf, size_t len, const char *col_a,
                   const char *col_b, struct eval_row **rows, size_t *n, struct arena *a,
                   struct parley_err *err)
{
    *rows = NULL;
    *n = 0;
    struct reader r = {name != NULL ? name : "input", buf, len, 0, 1, err};
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) r.pos = 3;
    char *head[MAX_COLS];
    int line = 1;
    int nh = record(&r, head, MAX_COLS, &line, a);
    if (nh < 0) return nh;
    if (nh == 0) return fail(&r, 1, "the file is empty; the first line must be a header");
    int ia = -1, ib = -1;
    for (int i = 0; i < nh && i < MAX_COLS; i++) {
        if (strcmp(head[i], col_a) == 0 && ia < 0) ia = i;
        if (strcmp(head[i], col_b) == 0 && ib < 0) ib = i;
    }
    if (ia < 0 || ib < 0) {
        char what[160];
        snprintf(what, sizeof(what), "the header must name the columns %s and %s", col_a, col_b);
        return fail(&r, line, what);
    }
    size_t cap = 64;
    struct eval_row *out = arena_alloc(a, cap * sizeof(*out));
    if (out == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    for (;;) {
        char *f[MAX_COLS];
        int nf = record(&r, f, MAX_COLS, &line, a);
        if (nf < 0) return nf;
        if (nf == 0) break;
        if (nf <= ia || nf <= ib)
            return fail(&r, line, "this row has fewer columns than the header");
        if (*n == cap) {
            struct eval_row *bigger = arena_alloc(a, cap * 2 * sizeof(*out));
            if (bigger == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
            memcpy(bigger, out, cap * sizeof(*out));
            out = bigger;
            cap *= 2;
        }
        out[(*n)++] = (struct eval_row){f[ia], f[ib], line};
    }
    *rows = out;
    return 0;
}

int eval_read_file(const char *path, size_t max, char **buf, size_t *len, struct arena *a,
                   struct parley_err *err)
{
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return parley_fail(err, PARLEY_EINVAL, "file", "cannot open %s: %s", path, strerror(errno));
    char *b = arena_alloc(a, max + 1);
    if (b == NULL) {
        fclose(f);
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory reading %s", path);
    }
    size_t got = fread(b, 1, max + 1, f);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad) return parley_fail(err, PARLEY_EIO, "file", "cannot read %s", path);
    if (got > max)
        return parley_fail(err, PARLEY_EINVAL, "file", "%s is larger than %zu bytes", path, max);
    b[got] = '\0';
    *buf = b;
    *len = got;
    return 0;
}
