/* libFuzzer target for knowledge-base Markdown files (kb_md_parse) and their rendering
 * (kb_md_render, libcmark in safe mode): arbitrary bytes as an imported .md file. A parsed file
 * has a non-empty bounded title and body and well-formed tags; a failure names file and line;
 * the rendered HTML never carries raw HTML such as <script>. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bot/kb_md.h"
#include "common/util.h"

static void must(int ok)
{
    if (!ok) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena a;
    arena_init(&a);
    struct parley_err err = {0};
    struct kb_article k;
    memset(&k, 0, sizeof(k));
    int rc = kb_md_parse("f.md", (const char *)data, size, &k, &a, &err);
    if (rc != 0) {
        must(rc == PARLEY_EINVAL || rc == PARLEY_ENOMEM);
        must(err.code == rc && strncmp(err.message, "f.md", 4) == 0);
        arena_free(&a);
        return 0;
    }
    size_t tl = strlen(k.title), bl = strlen(k.body);
    must(tl > 0 && tl <= KB_MAX_TITLE && util_utf8_valid(k.title, tl));
    must(bl > 0 && bl <= KB_MAX_BODY && util_utf8_valid(k.body, bl));
    must(k.status == KB_PUBLISHED || k.status == KB_DRAFT);
    must(k.n_tags <= KB_MAX_TAGS);
    for (size_t i = 0; i < k.n_tags; i++)
        must(k.tags[i][0] != '\0' && strlen(k.tags[i]) <= KB_MAX_TAG);
    const char *html, *text;
    must(kb_md_render(k.body, bl, &html, &text, &a, &err) == 0);
    must(strstr(html, "<script") == NULL && strstr(html, "<iframe") == NULL);
    must(strstr(html, "href=\"javascript:") == NULL);
    arena_free(&a);
    return 0;
}
