/* libFuzzer target for decode_kb_article: knowledge-base article bodies (POST and PATCH) as
 * arbitrary bytes. The JSON is freed before the result is read (every string copied); a
 * success has checked fields and rendered HTML without raw HTML; a failure has a code, a
 * message and a field. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "http/decode.h"

static void must(int ok)
{
    if (!ok) abort();
}

static void one(const uint8_t *data, size_t size, enum store_cmd_kind kind)
{
    json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (body == NULL) return;
    struct store_cmd cmd;
    store_cmd_init(&cmd, kind);
    struct parley_err err = {0};
    int rc = decode_kb_article(body, &cmd, &err);
    json_decref(body);
    if (rc != 0) {
        must(rc == PARLEY_EINVAL || rc == PARLEY_ENOMEM);
        must(err.code == rc && err.message[0] != '\0');
    } else {
        const struct kb_article *k =
            kind == STORE_KB_PUT_ARTICLE ? &cmd.in.kb_put.article : &cmd.in.kb_update.article;
        unsigned set = kind == STORE_KB_PUT_ARTICLE ? ~0u : cmd.in.kb_update.set;
        must(set != 0);
        if (k->slug != NULL) must(kb_check_slug(k->slug, &err) == 0);
        if (k->title != NULL) must(kb_check_title(k->title, &err) == 0);
        if (k->body != NULL) {
            must(k->html != NULL && k->text != NULL);
            must(strstr(k->html, "<script") == NULL);
        }
        must((unsigned)k->status < KB_STATUS__COUNT);
        for (size_t i = 0; i < k->n_tags; i++)
            must(util_utf8_valid(k->tags[i], strlen(k->tags[i])));
    }
    store_cmd_release(&cmd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one(data, size, STORE_KB_PUT_ARTICLE);
    one(data, size, STORE_KB_UPDATE_ARTICLE);
    return 0;
}
