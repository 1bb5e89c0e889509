/* `parley nlu train|eval|predict`: intent models from CSV or Rasa YAML training data, to a
 * file or into a tenant's database row; evaluation with per-intent precision and recall,
 * the most-confused pairs and the summary lines; top-3 prediction as JSON. */
#include "cli.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bot/nlu.h"

#define N_FLAGS(f) (sizeof(f) / sizeof((f)[0]))

/* Loads --csv or --rasa (exactly one) into d. Prints the error; returns a CLI status. */
static int load_training(const struct cli_command *self, const char *csv, const char *rasa,
                         struct nlu_dataset *d)
{
    if ((csv == NULL) == (rasa == NULL))
        return cli_usage_error(self, "give exactly one of --csv FILE and --rasa FILE");
    const char *path = csv != NULL ? csv : rasa;
    char *buf = NULL;
    size_t len = 0;
    struct parley_err err = {0};
    int rc = nlu_read_file(path, &buf, &len, &err);
    if (rc == 0)
        rc = csv != NULL ? nlu_csv_parse(path, buf, len, d, &err)
                         : nlu_rasa_parse(path, buf, len, d, &err);
    free(buf);
    if (rc != 0) {
        cli_error("%s", err.message);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static int write_file(const char *path, const void *buf, size_t len)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        cli_error("--out: the path is too long");
        return CLI_USAGE;
    }
    FILE *f = fopen(tmp, "wb");
    if (f == NULL) {
        cli_error("cannot write %s", tmp);
        return CLI_FAIL;
    }
    bool ok = fwrite(buf, 1, len, f) == len;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        cli_error("cannot write %s", path);
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* Stores the model as the tenant's newest version. Prints the version or the error. */
static int store_model(const char *config, const char *db, const char *slug,
                       const struct nlu_model *m, const void *blob, size_t len)
{
    struct parley_config cfg;
    int status = cli_load_config(config, db, &cfg);
    if (status != CLI_OK) return status;
    struct store *store = NULL;
    if ((status = cli_open_store(&cfg, &store)) != CLI_OK) return status;
    struct arena a;
    arena_init(&a);
    struct tenant t;
    status = CLI_FAIL;
    char *labels = nlu_model_labels_json(m);
    if (labels != NULL && cli_find_tenant(store, slug, &t, &a) == 0) {
        struct store_cmd cmd;
        store_cmd_init(&cmd, STORE_SET_NLU_MODEL);
        cmd.tenant_id = t.id;
        cmd.in.set_nlu_model.blob = blob;
        cmd.in.set_nlu_model.len = len;
        cmd.in.set_nlu_model.labels_json = labels;
        cmd.in.set_nlu_model.examples = (int64_t)nlu_model_examples(m);
        cmd.in.set_nlu_model.trained_at = nlu_model_trained_at(m);
        if (cli_exec(store, &cmd, "storing the model") == 0) {
            printf("stored: tenant %s, model version %lld\n", slug, (long long)cmd.result_id);
            status = CLI_OK;
        }
        store_cmd_release(&cmd);
    } else if (labels == NULL) {
        cli_error("out of memory");
    }
    free(labels);
    arena_free(&a);
    store_close(store);
    return status;
}

int cmd_nlu_train(const struct cli_command *self, int argc, char **argv)
{
    struct cli_flag flags[] = {
        {"csv", false, NULL},    {"rasa", false, NULL},   {"out", false, NULL}, {"db", false, NULL},
        {"config", false, NULL}, {"tenant", false, NULL}, {"c", false, NULL}};
    int status = CLI_OK;
    if (!cli_parse_flags(self, flags, N_FLAGS(flags), argc, argv, &status)) return status;
    const char *out = flags[2].value, *db = flags[3].value, *config = flags[4].value,
               *tenant = flags[5].value;
    if (out == NULL && tenant == NULL)
        return cli_usage_error(self, "give --out MODEL, or --tenant SLUG (with --db or --config)");
    if (tenant == NULL && (db != NULL || config != NULL))
        return cli_usage_error(self, "--db and --config need --tenant SLUG");
    struct nlu_train_options opt;
    nlu_train_defaults(&opt);
    if (flags[6].value != NULL) {
        char *end = NULL;
        opt.c = strtod(flags[6].value, &end);
        if (end == flags[6].value || *end != '\0' || !(opt.c > 0 && opt.c <= 1e6))
            return cli_usage_error(self, "--c: a positive number up to 1e6");
    }
    struct nlu_dataset d;
    nlu_dataset_init(&d);
    status = load_training(self, flags[0].value, flags[1].value, &d);
    struct nlu_model *m = NULL;
    void *blob = NULL;
    size_t len = 0;
    struct parley_err err = {0};
    struct nlu_train_report rep = {0};
    if (status == CLI_OK &&
        (nlu_train(&d, &opt, &m, &rep, &err) != 0 || nlu_model_save(m, &blob, &len, &err) != 0)) {
        cli_error("training failed: %s", err.message);
        status = CLI_FAIL;
    }
    if (status == CLI_OK) {
        printf("examples: %zu\nlabels: %zu\nfeatures: %zu\nvalidation: %zu\nthreshold: %.2f\n"
               "model bytes: %zu\ntime: %.2f s\n",
               rep.examples, rep.labels, rep.features, rep.validation, rep.threshold, len,
               rep.seconds);
        if (out != NULL && (status = write_file(out, blob, len)) == CLI_OK)
            printf("written: %s\n", out);
        if (status == CLI_OK && tenant != NULL)
            status = store_model(config, db, tenant, m, blob, len);
    }
    free(blob);
    nlu_model_free(m);
    nlu_dataset_free(&d);
    return status;
}

/* Loads a model file. Prints the error; NULL on failure. */
static struct nlu_model *load_model_file(const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    struct parley_err err = {0};
    struct nlu_model *m = NULL;
    if (nlu_read_file(path, &buf, &len, &err) != 0 || nlu_model_load(buf, len, &m, &err) != 0)
        cli_error("%s: %s", path, err.message);
    free(buf);
    return m;
}

/* ---- eval ------------------------------------------------------------------------------------ */

struct label_stats {
    const char *label;
    int tp, fp, fn, support;
};

struct confusion {
    int gold, pred, count;
};

static int find_or_add(struct label_stats *s, int *n, const char *label)
{
    for (int i = 0; i < *n; i++)
        if (strcmp(s[i].label, label) == 0) return i;
    s[*n].label = label;
    return (*n)++;
}

static int cmp_confusion(const void *a, const void *b)
{
    const struct confusion *x = a, *y = b;
    return y->count - x->count;
}

static double ratio(int a, int b)
{
    return b > 0 ? (double)a / b : 0.0;
}

int cmd_nlu_eval(const struct cli_command *self, int argc, char **argv)
{
    struct cli_flag flags[] = {{"model", true, NULL}, {"csv", true, NULL}};
    int status = CLI_OK;
    if (!cli_parse_flags(self, flags, N_FLAGS(flags), argc, argv, &status)) return status;
    struct nlu_model *m = load_model_file(flags[0].value);
    if (m == NULL) return CLI_FAIL;
    struct nlu_dataset d;
    nlu_dataset_init(&d);
    status = load_training(self, flags[1].value, NULL, &d);
    size_t nl = nlu_model_label_count(m) + d.n + 1; /* every label there could be */
    struct label_stats *st = calloc(nl, sizeof(*st));
    int *gold = malloc((d.n + 1) * sizeof(int)), *pred = malloc((d.n + 1) * sizeof(int));
    if (status == CLI_OK && (st == NULL || gold == NULL || pred == NULL)) {
        cli_error("out of memory");
        status = CLI_FAIL;
    }
    if (status == CLI_OK && d.n == 0) {
        cli_error("%s has no rows to evaluate", flags[1].value);
        status = CLI_FAIL;
    }
    if (status != CLI_OK) goto out;
    int n = 0, correct = 0, oos_total = 0, oos_hit = 0;
    for (size_t i = 0; i < d.n; i++) {
        struct nlu_result r;
        nlu_predict(m, d.items[i].text, strlen(d.items[i].text), &r);
        gold[i] = find_or_add(st, &n, d.items[i].label);
        pred[i] = find_or_add(st, &n, nlu_result_label(&r));
        st[gold[i]].support++;
        if (gold[i] == pred[i]) {
            st[gold[i]].tp++;
            correct++;
        } else {
            st[pred[i]].fp++;
            st[gold[i]].fn++;
        }
        if (strcmp(d.items[i].label, NLU_OOS_LABEL) == 0) {
            oos_total++;
            oos_hit += gold[i] == pred[i];
        }
    }
    printf("%-28s %9s %9s %9s %7s\n", "intent", "precision", "recall", "f1", "support");
    double f1_sum = 0;
    int f1_n = 0;
    for (int i = 0; i < n; i++) {
        if (st[i].support == 0) continue; /* only predicted: not a class of this file */
        double p = ratio(st[i].tp, st[i].tp + st[i].fp), rc = ratio(st[i].tp, st[i].support);
        double f1 = p + rc > 0 ? 2 * p * rc / (p + rc) : 0;
        f1_sum += f1;
        f1_n++;
        printf("%-28s %9.4f %9.4f %9.4f %7d\n", st[i].label, p, rc, f1, st[i].support);
    }
    for (int i = 0; i < n; i++) {
        bool known = false;
        for (size_t k = 0; k < nlu_model_label_count(m); k++)
            known = known || strcmp(nlu_model_label(m, k), st[i].label) == 0;
        if (!known && strcmp(st[i].label, NLU_OOS_LABEL) != 0)
            printf("warning: the model does not know the label '%s'\n", st[i].label);
    }
    /* most-confused pairs (gold → predicted) */
    struct confusion *cf = calloc(d.n, sizeof(*cf));
    int ncf = 0;
    for (size_t i = 0; cf != NULL && i < d.n; i++) {
        if (gold[i] == pred[i]) continue;
        int k = 0;
        while (k < ncf && !(cf[k].gold == gold[i] && cf[k].pred == pred[i])) k++;
        if (k == ncf) cf[ncf++] = (struct confusion){gold[i], pred[i], 0};
        cf[k].count++;
    }
    if (cf != NULL && ncf > 0) {
        qsort(cf, (size_t)ncf, sizeof(*cf), cmp_confusion);
        printf("\nmost confused (expected -> predicted: count):\n");
        for (int k = 0; k < ncf && k < 10; k++)
            printf("  %s -> %s: %d\n", st[cf[k].gold].label, st[cf[k].pred].label, cf[k].count);
    }
    free(cf);
    printf("\nexamples: %zu\n", d.n);
    printf("accuracy: %.4f\n", ratio(correct, (int)d.n));
    printf("macro_f1: %.4f\n", f1_n ? f1_sum / f1_n : 0.0);
    if (oos_total > 0) printf("oos_recall: %.4f\n", ratio(oos_hit, oos_total));
out:
    free(st);
    free(gold);
    free(pred);
    nlu_dataset_free(&d);
    nlu_model_free(m);
    return status;
}

/* ---- predict --------------------------------------------------------------------------------- */

int cmd_nlu_predict(const struct cli_command *self, int argc, char **argv)
{
    /* the text is the one argument that is not a flag or a flag's value */
    char *args[16];
    int nargs = 0;
    const char *text = NULL;
    for (int i = 0; i < argc; i++) {
        bool flag = strncmp(argv[i], "--", 2) == 0;
        if (flag && strchr(argv[i], '=') == NULL && strcmp(argv[i], "--help") != 0 &&
            i + 1 < argc) {
            if (nargs + 2 > (int)N_FLAGS(args)) return cli_usage_error(self, "too many arguments");
            args[nargs++] = argv[i];
            args[nargs++] = argv[++i];
        } else if (flag || text != NULL) {
            if (nargs + 1 > (int)N_FLAGS(args)) return cli_usage_error(self, "too many arguments");
            args[nargs++] = argv[i];
        } else {
            text = argv[i];
        }
    }
    struct cli_flag flags[] = {{"model", true, NULL}, {"text", false, NULL}};
    int status = CLI_OK;
    if (!cli_parse_flags(self, flags, N_FLAGS(flags), nargs, args, &status)) return status;
    if (flags[1].value != NULL) text = flags[1].value;
    if (text == NULL) return cli_usage_error(self, "give the text to classify");
    struct nlu_model *m = load_model_file(flags[0].value);
    if (m == NULL) return CLI_FAIL;
    struct nlu_result r;
    nlu_predict(m, text, strlen(text), &r);
    json_t *top = json_array();
    for (int i = 0; i < r.n; i++)
        json_array_append_new(top, json_pack("{s:s, s:f}", "label", r.top[i].label, "p",
                                             round(r.top[i].p * 10000) / 10000));
    json_t *j = json_pack("{s:s, s:b, s:f, s:o}", "intent", nlu_result_label(&r), "out_of_scope",
                          r.out_of_scope, "threshold", nlu_model_threshold(m), "top", top);
    char *s = j != NULL ? json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(6)) : NULL;
    if (s != NULL) printf("%s\n", s);
    free(s);
    json_decref(j);
    nlu_model_free(m);
    return s != NULL ? CLI_OK : CLI_FAIL;
}
