/* Evaluation files for `parley sentiment eval` and `parley kb eval`: CSV (RFC 4180) with a
 * header row naming the columns. Two named columns are read (others ignored); quoted fields
 * may hold commas, newlines and doubled quotes; LF or CRLF; UTF-8 (a BOM is skipped); blank
 * lines are skipped. Bounded: EVAL_CSV_MAX_FILE bytes, EVAL_CSV_MAX_FIELD bytes a field. */
#ifndef PARLEY_BOT_EVAL_CSV_H
#define PARLEY_BOT_EVAL_CSV_H

#include <stddef.h>

#include "../common/arena.h"
#include "../common/err.h"

#define EVAL_CSV_MAX_FILE  (16 << 20)
#define EVAL_CSV_MAX_FIELD 4096

struct eval_row {
    const char *a, *b; /* the two columns asked for, NUL-terminated */
    int line;          /* where the row starts (1-based) */
};

/* Parses buf (len bytes) named name (for messages: "NAME:LINE: what"). Rows go to *rows (in
 * the arena), *n of them. PARLEY_EINVAL on malformed input, naming the line. */
int eval_csv_parse(const char *name, const char *buf, size_t len, const char *col_a,
                   const char *col_b, struct eval_row **rows, size_t *n, struct arena *a,
                   struct parley_err *err);
/* Reads a whole file (at most EVAL_CSV_MAX_FILE bytes) into the arena, NUL-terminated. */
int eval_read_file(const char *path, size_t max, char **buf, size_t *len, struct arena *a,
                   struct parley_err *err);

#endif
