/* Knowledge-base articles: status names, field checks and the KbArticle JSON. */
#include "core_kb.h"

#include <string.h>

#include "core.h"

static const char *const status_names[KB_STATUS__COUNT] = {"published", "draft"};

const char *kb_status_name(enum kb_status s)
{
    return (unsigned)s < KB_STATUS__COUNT ? status_names[s] : "draft";
}

int kb_status_parse(const char *s)
{
    for (int i = 0; s != NULL && i < KB_STATUS__COUNT; i++)
        if (strcmp(s, status_names[i]) == 0) return i;
    return -1;
}

int kb_check_slug(const char *s, struct parley_err *err)
{
    size_t len = s != NULL ? strlen(s) : 0;
    bool ok = len >= 1 && len <= KB_MAX_SLUG &&
              ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9'));
    for (size_t i = 0; ok && i < len; i++)
        ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-';
    if (!ok)
        return parley_fail(err, PARLEY_EINVAL, "slug",
                           "slug must be 1 to %d characters of a-z, 0-9 and '-', starting with a "
                           "letter or digit (like \"moving-home\")",
                           KB_MAX_SLUG);
    return 0;
}

int kb_check_title(const char *s, struct parley_err *err)
{
    return core_check_text("title", s, s != NULL ? strlen(s) : 0, KB_MAX_TITLE, true, err);
}

int kb_check_body(const char *s, size_t len, struct parley_err *err)
{
    return core_check_text("body", s, len, KB_MAX_BODY, true, err);
}

int kb_check_tags(const char *const *tags, size_t n, struct parley_err *err)
{
    if (n > KB_MAX_TAGS)
        return parley_fail(err, PARLEY_EINVAL, "tags", "at most %d tags", KB_MAX_TAGS);
    for (size_t i = 0; i < n; i++) {
        int rc = core_check_text("tags", tags[i], tags[i] != NULL ? strlen(tags[i]) : 0, KB_MAX_TAG,
                                 true, err);
        if (rc != 0) return rc;
    }
    return 0;
}

json_t *core_json_kb_article(const struct kb_article *a, bool with_body)
{
    json_t *tags = json_array();
    json_t *j = json_object();
    if (tags == NULL || j == NULL) goto fail;
    for (size_t i = 0; i < a->n_tags; i++)
        if (json_array_append_new(tags, json_string(a->tags[i])) != 0) goto fail;
    int rc = json_object_set_new(j, "id", json_integer(a->id));
    rc |= json_object_set_new(j, "slug", json_string(a->slug != NULL ? a->slug : ""));
    rc |= json_object_set_new(j, "title", json_string(a->title != NULL ? a->title : ""));
    rc |= json_object_set_new(j, "status", json_string(kb_status_name(a->status)));
    rc |= json_object_set_new(j, "tags", tags);
    tags = NULL;
    if (with_body) {
        rc |= json_object_set_new(j, "body", json_string(a->body != NULL ? a->body : ""));
        rc |= json_object_set_new(j, "html", json_string(a->html != NULL ? a->html : ""));
    }
    rc |= json_object_set_new(j, "created_at", json_integer(a->created_at));
    rc |= json_object_set_new(j, "updated_at", json_integer(a->updated_at));
    if (rc != 0) goto fail;
    return j;
fail:
    json_decref(tags);
    json_decref(j);
    return NULL;
}
