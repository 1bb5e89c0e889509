/* The demo intent model: `parley seed-demo` trains it from data/demo/intents.csv and stores
 * it as tenant acme's first NLU model version, so the virtual agent works out of the box. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../bot/nlu.h"

int seed_demo_nlu(struct store *s, int64_t tenant_id, struct parley_err *err)
{
    const char *dir = getenv("PARLEY_DEMO_DIR");
    char path[1024];
    snprintf(path, sizeof(path), "%s/intents.csv", dir != NULL && dir[0] ? dir : "data/demo");
    if (access(path, R_OK) != 0) {
        printf("Intent model: skipped (%s not found; run seed-demo from the repository root or "
               "set PARLEY_DEMO_DIR), train one later with `parley nlu train --tenant acme`.\n",
               path);
        return 0;
    }
    struct nlu_dataset d;
    nlu_dataset_init(&d);
    char *buf = NULL;
    size_t len = 0;
    struct nlu_model *m = NULL;
    void *blob = NULL;
    size_t blob_len = 0;
    char *labels = NULL;
    struct nlu_train_report rep = {0};
    int rc = nlu_read_file(path, &buf, &len, err);
    if (rc == 0) rc = nlu_csv_parse(path, buf, len, &d, err);
    if (rc == 0) rc = nlu_train(&d, NULL, &m, &rep, err);
    if (rc == 0) rc = nlu_model_save(m, &blob, &blob_len, err);
    if (rc == 0 && (labels = nlu_model_labels_json(m)) == NULL)
        rc = parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    if (rc == 0) {
        struct store_cmd cmd;
        store_cmd_init(&cmd, STORE_SET_NLU_MODEL);
        cmd.tenant_id = tenant_id;
        cmd.actor = "cli";
        cmd.in.set_nlu_model.blob = blob;
        cmd.in.set_nlu_model.len = blob_len;
        cmd.in.set_nlu_model.labels_json = labels;
        cmd.in.set_nlu_model.examples = (int64_t)rep.examples;
        cmd.in.set_nlu_model.trained_at = nlu_model_trained_at(m);
        rc = store_exec(s, &cmd);
        if (rc != 0 && err != NULL) *err = cmd.err;
        if (rc == 0)
            printf("Intent model: %zu examples, %zu labels, threshold %.2f, trained in %.2f s, "
                   "stored as version %lld.\n",
                   rep.examples, rep.labels, rep.threshold, rep.seconds, (long long)cmd.result_id);
        store_cmd_release(&cmd);
    }
    free(labels);
    free(blob);
    nlu_model_free(m);
    free(buf);
    nlu_dataset_free(&d);
    return rc;
}
