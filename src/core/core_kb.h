/* Knowledge-base articles (docs/knowledge-base.md): the domain type shared by the store, the
 * API and the importer, its checks and its JSON shape (docs/openapi.yaml KbArticle). */
#ifndef PARLEY_CORE_KB_H
#define PARLEY_CORE_KB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

#define KB_MAX_SLUG  100         /* bytes: a-z, 0-9 and '-', starting with a letter or digit */
#define KB_MAX_TITLE 200         /* bytes */
#define KB_MAX_BODY  (64 * 1024) /* bytes of Markdown */
#define KB_MAX_TAGS  16
#define KB_MAX_TAG   48  /* bytes each */
#define KB_MAX_QUERY 500 /* bytes of a search query */

enum kb_status { KB_PUBLISHED, KB_DRAFT, KB_STATUS__COUNT };

struct kb_article {
    int64_t id, tenant_id;
    const char *slug, *title;
    const char *body; /* Markdown as written */
    const char *html; /* rendered by libcmark in safe mode (no raw HTML) */
    const char *text; /* plain text of the body: what the full-text index holds */
    const char **tags;
    size_t n_tags;
    enum kb_status status;
    int64_t created_at, updated_at;
};

const char *kb_status_name(enum kb_status s);
int kb_status_parse(const char *s); /* enum value, or -1 */

/* Checks each field as the API documents it; PARLEY_EINVAL naming the field. */
int kb_check_slug(const char *s, struct parley_err *err);
int kb_check_title(const char *s, struct parley_err *err);
int kb_check_body(const char *s, size_t len, struct parley_err *err);
int kb_check_tags(const char *const *tags, size_t n, struct parley_err *err);

/* The KbArticle JSON. with_body: include body and html (single-article reads and writes;
 * lists leave them out). New reference, NULL when out of memory. */
json_t *core_json_kb_article(const struct kb_article *a, bool with_body);

#endif
