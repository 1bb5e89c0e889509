/* Knowledge-base article bodies (POST and PATCH /api/v1/kb/articles): decoded, checked and
 * rendered (libcmark, safe mode) into the store command. Pure, like the other decoders. */
#include "decode.h"

#include <string.h>

#include "../bot/kb_md.h"

static const char *kb_status_n(int v)
{
    return kb_status_name((enum kb_status)v);
}

static const struct decode_enum decode_enum_kb_status = {kb_status_parse, kb_status_n,
                                                         KB_STATUS__COUNT};

static int check_slug(const char *field, const char *s, struct parley_err *err)
{
    return kb_check_slug(s, err);
}

int decode_kb_article(json_t *body, struct store_cmd *cmd, struct parley_err *err)
{
    static const char *const keys[] = {"slug", "title", "body", "tags", "status", NULL};
    bool create = cmd->kind == STORE_KB_PUT_ARTICLE;
    if (!create && cmd->kind != STORE_KB_UPDATE_ARTICLE)
        return decode_expect_kind(cmd, STORE_KB_PUT_ARTICLE, err);
    struct kb_article *k = create ? &cmd->in.kb_put.article : &cmd->in.kb_update.article;
    unsigned req = create ? DECODE_REQUIRED : 0, set = 0;
    bool has[5] = {false};
    int status = KB_PUBLISHED, rc;
    if ((rc = decode_object(body, NULL, keys, err)) != 0 ||
        (rc = decode_text(body, "slug", NULL, KB_MAX_SLUG, req, &cmd->arena, &k->slug, &has[0],
                          err)) != 0 ||
        (has[0] && (rc = check_slug("slug", k->slug, err)) != 0) ||
        (rc = decode_text(body, "title", NULL, KB_MAX_TITLE, req, &cmd->arena, &k->title, &has[1],
                          err)) != 0 ||
        (rc = decode_text(body, "body", NULL, KB_MAX_BODY, req, &cmd->arena, &k->body, &has[2],
                          err)) != 0 ||
        (rc = decode_text_list(body, "tags", KB_MAX_TAGS, KB_MAX_TAG, NULL, &cmd->arena, &k->tags,
                               &k->n_tags, &has[3], err)) != 0 ||
        (rc = decode_enum(body, "status", &decode_enum_kb_status, 0, &status, &has[4], err)) != 0)
        return rc;
    k->status = (enum kb_status)status;
    if (has[1] && (rc = kb_check_title(k->title, err)) != 0) return rc;
    if (has[2]) {
        if ((rc = kb_check_body(k->body, strlen(k->body), err)) != 0 ||
            (rc = kb_md_render(k->body, strlen(k->body), &k->html, &k->text, &cmd->arena, err)) !=
                0)
            return rc;
    }
    static const unsigned bits[5] = {KB_SET_SLUG, KB_SET_TITLE, KB_SET_BODY, KB_SET_TAGS,
                                     KB_SET_STATUS};
    for (int i = 0; i < 5; i++)
        if (has[i]) set |= bits[i];
    if (create) {
        cmd->in.kb_put.upsert = false;
        return 0;
    }
    if (set == 0)
        return parley_fail(err, PARLEY_EINVAL, "", "nothing to update: name at least one field");
    cmd->in.kb_update.set = set;
    return 0;
}
