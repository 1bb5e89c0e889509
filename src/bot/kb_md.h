/* Knowledge-base articles as Markdown files (docs/knowledge-base.md): parsing an imported
 * file and rendering a body with libcmark. Pure functions; any thread.
 *
 * A file is optional front matter, then the article:
 *
 *     ---                         (optional; "key: value" lines)
 *     tags: billing, payments     (comma-separated, at most KB_MAX_TAGS)
 *     status: draft               (published, the default, or draft)
 *     ---
 *     # The title                 (the first line starting with "# " is the title)
 *
 *     The body, in CommonMark.    (everything after the title line)
 */
#ifndef PARLEY_BOT_KB_MD_H
#define PARLEY_BOT_KB_MD_H

#include <stddef.h>

#include "../common/arena.h"
#include "../common/err.h"
#include "../core/core_kb.h"

#define KB_MD_MAX_FILE (KB_MAX_BODY + 4096) /* bytes of one .md file */

/* Parses file text (len bytes, need not be NUL-terminated) into out's title, body, tags and
 * status (strings in the arena; slug, html and text are left alone). Errors are PARLEY_EINVAL
 * with the message "NAME:LINE: what is wrong" (name: how the caller calls the input, e.g. the
 * file path). */
int kb_md_parse(const char *name, const char *text, size_t len, struct kb_article *out,
                struct arena *a, struct parley_err *err);

/* Renders a Markdown body: *html with libcmark in safe mode (raw HTML and javascript: links
 * are dropped), *text the plain text the search index holds. Both in the arena. */
int kb_md_render(const char *body, size_t len, const char **html, const char **text,
                 struct arena *a, struct parley_err *err);

#endif
