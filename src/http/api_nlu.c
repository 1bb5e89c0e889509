/* The NLU routes: training a tenant's intent model from JSON examples (admins; trained on
 * the offload pool, one training at a time per server, then stored as the tenant's newest
 * version), the current model's summary, and a top-3 prediction for staff. */
#include "api_handlers.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../bot/nlu.h"
#include "../bot/nlu_cache.h"
#include "server_int.h"

#define NLU_API_MAX_EXAMPLES 20000 /* examples in one training request (413 above) */

struct train_job {
    struct api_req *r; /* the worker writes its results into r->arena (see train_work) */
    struct http_server *srv;
    struct nlu_dataset d; /* the decoded examples: the worker frees them */
    int rc;
    struct parley_err err;
    void *blob; /* in r->arena */
    size_t len;
    char *labels_json; /* in r->arena */
    int64_t examples, trained_at;
};

/* Decodes {"examples":[{"text","label"},…]} into d. Replies and returns non-zero on failure. */
static int decode_examples(struct api_req *r, json_t *body, struct nlu_dataset *d)
{
    json_t *examples = json_object_get(body, "examples");
    const char *key;
    json_t *value;
    json_object_foreach(body, key, value)
    {
        if (strcmp(key, "examples") != 0) {
            api_fail(r, PARLEY_EINVAL, key, "unknown field '%s'", key);
            return -1;
        }
    }
    if (!json_is_array(examples) || json_array_size(examples) == 0) {
        api_fail(r, PARLEY_EINVAL, "examples",
                 "examples must be a non-empty array of {\"text\",\"label\"} objects");
        return -1;
    }
    if (json_array_size(examples) > NLU_API_MAX_EXAMPLES) {
        api_fail(r, PARLEY_ETOOBIG, "examples", "%zu examples; at most %d in one request",
                 json_array_size(examples), NLU_API_MAX_EXAMPLES);
        return -1;
    }
    size_t i;
    json_array_foreach(examples, i, value)
    {
        json_t *text = json_object_get(value, "text"), *label = json_object_get(value, "label");
        char field[64];
        if (!json_is_object(value) || !json_is_string(text) || !json_is_string(label) ||
            json_object_size(value) != 2) {
            snprintf(field, sizeof(field), "examples[%zu]", i);
            api_fail(r, PARLEY_EINVAL, field,
                     "each example is an object with exactly a string text and a string label");
            return -1;
        }
        struct parley_err err = {0};
        int rc = nlu_dataset_add(d, json_string_value(text), json_string_length(text),
                                 json_string_value(label), json_string_length(label), 0, &err);
        if (rc != 0) {
            snprintf(field, sizeof(field), "examples[%zu].%.16s", i, err.field);
            api_fail(r, rc, field, "%s", err.message);
            return -1;
        }
    }
    return 0;
}

/* On the offload pool. The request (and its arena) outlives this job, and its own thread
 * does not touch r->arena while the job runs, so the results are copied there: nothing is
 * left to free if the client has gone and train_after never runs. */
static void train_work(void *arg)
{
    struct train_job *j = arg;
    struct nlu_model *m = NULL;
    void *blob = NULL;
    j->rc = nlu_train(&j->d, NULL, &m, NULL, &j->err);
    if (j->rc == 0) j->rc = nlu_model_save(m, &blob, &j->len, &j->err);
    char *labels = j->rc == 0 ? nlu_model_labels_json(m) : NULL;
    if (j->rc == 0) {
        j->blob = arena_alloc(&j->r->arena, j->len);
        j->labels_json = labels != NULL ? arena_strdup(&j->r->arena, labels) : NULL;
        if (j->blob == NULL || j->labels_json == NULL)
            j->rc = parley_fail(&j->err, PARLEY_ENOMEM, NULL, "out of memory after training");
        else
            memcpy(j->blob, blob, j->len);
        j->examples = (int64_t)nlu_model_examples(m);
        j->trained_at = nlu_model_trained_at(m);
    }
    free(labels);
    free(blob);
    nlu_model_free(m);
    nlu_dataset_free(&j->d);
    atomic_fetch_sub(&j->srv->nlu_training, 1);
}

static void train_after(struct api_req *r, void *arg)
{
    struct train_job *j = arg;
    if (j->rc != 0) {
        api_reply_failure(r, j->rc, &j->err);
        return;
    }
    struct store_cmd *cmd = api_cmd_new(r, STORE_SET_NLU_MODEL);
    if (cmd == NULL) return;
    cmd->in.set_nlu_model.blob = j->blob; /* in the request's arena, which outlives cmd */
    cmd->in.set_nlu_model.len = j->len;
    cmd->in.set_nlu_model.labels_json = j->labels_json;
    cmd->in.set_nlu_model.examples = j->examples;
    cmd->in.set_nlu_model.trained_at = j->trained_at;
    api_submit(r, cmd, NULL);
}

void api_nlu_train(struct api_req *r)
{
    json_t *body = api_body_object(r);
    if (body == NULL) return;
    struct train_job *j = arena_alloc(&r->arena, sizeof(*j));
    if (j == NULL) {
        json_decref(body);
        api_fail(r, PARLEY_ENOMEM, NULL, "out of memory; retry");
        return;
    }
    j->r = r;
    j->srv = r->thread->srv;
    nlu_dataset_init(&j->d);
    int bad = decode_examples(r, body, &j->d);
    json_decref(body);
    if (bad) {
        nlu_dataset_free(&j->d);
        return;
    }
    int expected = 0;
    if (!atomic_compare_exchange_strong(&j->srv->nlu_training, &expected, 1)) {
        nlu_dataset_free(&j->d);
        api_fail(r, PARLEY_ELIMIT, NULL, "a model is being trained already; retry in a moment");
        return;
    }
    api_offload(r, train_work, j, train_after);
    /* when the pool refused the job (503 sent), the worker never runs: undo here */
    if (http_req_of(r)->replied) {
        nlu_dataset_free(&j->d);
        atomic_fetch_sub(&j->srv->nlu_training, 1);
    }
}

void api_nlu_model_get(struct api_req *r)
{
    struct nlu_model_info info;
    struct parley_err err = {0};
    int rc = store_get_nlu_model_info(r->reader, r->who.tenant_id, &info, &r->arena, &err);
    if (rc != 0) {
        api_reply_failure(r, rc, &err);
        return;
    }
    json_t *labels = json_loads(info.labels_json, 0, NULL);
    if (!json_is_array(labels)) {
        json_decref(labels);
        labels = json_array();
    }
    api_reply_json_or_fail(r, 200,
                           json_pack("{s:I, s:o, s:I, s:I, s:I}", "version",
                                     (json_int_t)info.version, "labels", labels, "examples",
                                     (json_int_t)info.examples, "trained_at",
                                     (json_int_t)info.trained_at, "bytes", (json_int_t)info.bytes));
}

void api_nlu_predict(struct api_req *r)
{
    json_t *body = api_body_object(r);
    if (body == NULL) return;
    json_t *text = json_object_get(body, "text");
    if (!json_is_string(text) || json_object_size(body) != 1) {
        json_decref(body);
        api_fail(r, PARLEY_EINVAL, "text", "the body must be {\"text\": \"…\"}");
        return;
    }
    size_t len = json_string_length(text);
    if (len == 0 || len > NLU_MAX_TEXT) {
        json_decref(body);
        api_fail(r, PARLEY_EINVAL, "text", "text must be 1-%d bytes", NLU_MAX_TEXT);
        return;
    }
    struct nlu_cache *cache = r->thread->srv->nlu;
    struct nlu_ref *ref = NULL;
    struct parley_err err = {0};
    int rc = nlu_cache_get(cache, r->reader, r->who.tenant_id, &ref, &err);
    if (rc != 0) {
        json_decref(body);
        api_reply_failure(r, rc, &err);
        return;
    }
    const struct nlu_model *m = nlu_ref_model(ref);
    struct nlu_result res;
    nlu_predict(m, json_string_value(text), len, &res);
    json_t *top = json_array();
    for (int i = 0; i < res.n; i++)
        api_append(top, json_pack("{s:s, s:f}", "label", res.top[i].label, "p", res.top[i].p));
    json_t *out =
        json_pack("{s:I, s:s, s:b, s:f, s:o}", "version", (json_int_t)nlu_ref_version(ref),
                  "intent", nlu_result_label(&res), "out_of_scope", res.out_of_scope, "threshold",
                  nlu_model_threshold(m), "top", top);
    nlu_cache_release(cache, ref);
    json_decref(body);
    api_reply_json_or_fail(r, 200, out);
}
