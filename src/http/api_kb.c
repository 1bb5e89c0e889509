/* The knowledge base over REST (docs/api.md "Knowledge base"): search for staff and for the
 * widget's visitors (published articles only), and the articles themselves (agents and experts
 * read; supervisors and admins write, every write audited). */
#include "api_handlers.h"

#include <string.h>

#include "../core/core_json.h"
#include "decode.h"

#define KB_DEFAULT_LIMIT 10
#define KB_WIDGET_MAX    10

static void search_reply(struct api_req *r, int max_limit)
{
    const char *q = NULL;
    int64_t limit = KB_DEFAULT_LIMIT > max_limit ? max_limit : KB_DEFAULT_LIMIT;
    int has_q = api_query_text(r, "q", KB_MAX_QUERY, &q);
    if (has_q < 0 || api_query_int(r, "limit", 1, max_limit, &limit) < 0) return;
    if (has_q == 0) {
        api_fail(r, PARLEY_EINVAL, "q", "q (the words to search for) is required");
        return;
    }
    struct kb_hit *hits = NULL;
    size_t n = 0;
    struct parley_err err = {0};
    int rc =
        store_kb_search(r->reader, r->who.tenant_id, q, (int)limit, &hits, &n, &r->arena, &err);
    if (rc != 0) {
        api_reply_failure(r, rc, &err);
        return;
    }
    json_t *data = json_array();
    for (size_t i = 0; data != NULL && i < n; i++) {
        json_t *h = json_pack("{s:I, s:s, s:s, s:s, s:f}", "article_id",
                              (json_int_t)hits[i].article_id, "slug", hits[i].slug, "title",
                              hits[i].title, "snippet", hits[i].snippet, "score", hits[i].score);
        if (!api_append(data, h)) {
            json_decref(data);
            data = NULL;
        }
    }
    api_reply_json_or_fail(r, 200, data != NULL ? json_pack("{s:o}", "data", data) : NULL);
}

void api_kb_search(struct api_req *r)
{
    search_reply(r, 50);
}

void api_widget_kb_search(struct api_req *r)
{
    search_reply(r, KB_WIDGET_MAX);
}

static json_t *encode_article(const void *item, const struct json_view *view)
{
    return core_json_kb_article(item, false);
}

static const struct api_encoder articles_json = {sizeof(struct kb_article), encode_article, NULL};

void api_kb_articles_list(struct api_req *r)
{
    struct store_page page;
    const char *status = NULL;
    struct kb_filter f = {-1};
    if (api_page(r, &page) != 0 || api_query_text(r, "status", 16, &status) < 0) return;
    if (status != NULL && (f.status = kb_status_parse(status)) < 0) {
        api_fail(r, PARLEY_EINVAL, "status", "status must be published or draft");
        return;
    }
    struct kb_article *list = NULL;
    size_t n = 0;
    int64_t next = 0;
    struct parley_err err = {0};
    int rc =
        store_kb_list(r->reader, r->who.tenant_id, &f, &page, &list, &n, &next, &r->arena, &err);
    api_reply_page(r, rc, &err, &articles_json, list, n, next);
}

void api_kb_articles_get(struct api_req *r)
{
    struct kb_article k;
    struct parley_err err = {0};
    int rc = store_kb_get(r->reader, r->who.tenant_id, r->ids[0], &k, &r->arena, &err);
    if (rc != 0) {
        api_reply_failure(r, rc, &err);
        return;
    }
    api_reply_json_or_fail(r, 200, core_json_kb_article(&k, true));
}

/* POST and PATCH share the decoder; the kind says which. */
static void write_article(struct api_req *r, enum store_cmd_kind kind)
{
    json_t *body = api_body_object(r);
    if (body == NULL) return;
    struct store_cmd in;
    struct parley_err err = {0};
    api_input_begin(r, &in, kind);
    int rc = decode_kb_article(body, &in, &err);
    api_input_end(r, &in);
    json_decref(body);
    if (rc != 0) {
        api_reply_error(r, &err);
        return;
    }
    if (kind == STORE_KB_UPDATE_ARTICLE) in.in.kb_update.article.id = r->ids[0];
    struct store_cmd *cmd = api_cmd_with(r, &in);
    if (cmd != NULL) api_submit(r, cmd, NULL);
}

void api_kb_articles_create(struct api_req *r)
{
    write_article(r, STORE_KB_PUT_ARTICLE);
}

void api_kb_articles_update(struct api_req *r)
{
    write_article(r, STORE_KB_UPDATE_ARTICLE);
}

void api_kb_articles_delete(struct api_req *r)
{
    struct store_cmd *cmd = api_cmd_new(r, STORE_KB_DELETE_ARTICLE);
    if (cmd == NULL) return;
    cmd->in.kb_delete_id = r->ids[0];
    api_submit(r, cmd, NULL); /* 204 */
}
