/* NLU model blobs per tenant: the write command (a new version, audited, the oldest versions
 * beyond STORE_NLU_KEEP deleted) and the reads (the newest model, its version alone for
 * cheap change checks, and its summary). The store keeps bytes; src/bot validates them. */
#include "store_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The tenant's newest version (0 when none), on either connection. */
static int newest_version(struct stmt_cache *c, sqlite3 *db, int64_t tenant_id, int64_t *version,
                          struct parley_err *err)
{
    *version = 0;
    sqlite3_stmt *st = stmt_get(c,
                                "SELECT coalesce(max(version), 0) FROM nlu_models"
                                " WHERE tenant_id = ?1",
                                err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, tenant_id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) *version = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (step != SQLITE_ROW) return db_fail(err, db, "reading the NLU model version");
    return 0;
}

/* Steps sql (the newest row of the tenant) and hands the row to load; PARLEY_ENOTFOUND when
 * the tenant has no model. */
static int newest_row(struct store_reader *r, const char *sql, int64_t tenant_id,
                      int (*load)(sqlite3_stmt *st, void *out, struct arena *a,
                                  struct parley_err *err),
                      void *out, struct arena *a, struct parley_err *err)
{
    sqlite3_stmt *st = stmt_get(&r->cache, sql, err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, tenant_id);
    int step = sqlite3_step(st), rc;
    if (step == SQLITE_ROW)
        rc = load(st, out, a, err);
    else if (step == SQLITE_DONE)
        rc = parley_fail(err, PARLEY_ENOTFOUND, NULL,
                         "there is no NLU model for this tenant; train one first");
    else
        rc = db_fail(err, r->db, "reading the NLU model");
    sqlite3_reset(st);
    return rc;
}

int cmd_set_nlu_model(struct store *s, struct store_cmd *cmd)
{
    const typeof(cmd->in.set_nlu_model) *in = &cmd->in.set_nlu_model;
    if (in->blob == NULL || in->len == 0)
        return parley_fail(&cmd->err, PARLEY_EINVAL, "model", "the model is empty");
    if (in->len > STORE_NLU_MODEL_MAX)
        return parley_fail(&cmd->err, PARLEY_ETOOBIG, "model", "the model is over %d MiB",
                           STORE_NLU_MODEL_MAX >> 20);
    const char *labels = in->labels_json != NULL ? in->labels_json : "[]";
    int64_t version = 0;
    int rc = newest_version(&s->cache, s->db, cmd->tenant_id, &version, &cmd->err);
    if (rc != 0) return rc;
    version++;

    int64_t at = w_time(in->trained_at);
    sqlite3_stmt *st =
        stmt_get(&s->cache,
                 "INSERT INTO nlu_models(tenant_id, version, model, labels, examples,"
                 " trained_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                 &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    sqlite3_bind_int64(st, 2, version);
    sqlite3_bind_blob64(st, 3, in->blob, (sqlite3_uint64)in->len, SQLITE_STATIC);
    bind_text(st, 4, labels);
    sqlite3_bind_int64(st, 5, in->examples);
    sqlite3_bind_int64(st, 6, at);
    bind_text(st, 7, cmd->actor != NULL ? cmd->actor : "system");
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "storing the NLU model");

    st = stmt_get(&s->cache, "DELETE FROM nlu_models WHERE tenant_id = ?1 AND version <= ?2",
                  &cmd->err);
    if (st == NULL) return cmd->err.code;
    sqlite3_bind_int64(st, 1, cmd->tenant_id);
    sqlite3_bind_int64(st, 2, version - STORE_NLU_KEEP);
    if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "deleting old NLU models");

    json_t *labels_arr = json_loads(labels, 0, NULL);
    size_t n_labels = json_is_array(labels_arr) ? json_array_size(labels_arr) : 0;
    char object[48], detail[160];
    snprintf(object, sizeof(object), "nlu_model:%lld", (long long)version);
    snprintf(detail, sizeof(detail),
             "{\"version\":%lld,\"examples\":%lld,\"labels\":%zu,\"bytes\":%zu}",
             (long long)version, (long long)in->examples, n_labels, in->len);
    rc = w_audit(s, cmd, "nlu_model.train", object, detail, at);
    if (rc != 0) {
        json_decref(labels_arr);
        return rc;
    }
    json_t *out = json_pack(
        "{s:I, s:o, s:I, s:I, s:I}", "version", (json_int_t)version, "labels",
        labels_arr != NULL && json_is_array(labels_arr) ? labels_arr : json_array(), "examples",
        (json_int_t)in->examples, "trained_at", (json_int_t)at, "bytes", (json_int_t)in->len);
    if (labels_arr != NULL && !json_is_array(labels_arr)) json_decref(labels_arr);
    char *text = out != NULL ? json_dumps(out, JSON_COMPACT) : NULL;
    json_decref(out);
    if (text == NULL) return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory");
    cmd->result_json = arena_strdup(&cmd->arena, text);
    free(text);
    if (cmd->result_json == NULL)
        return parley_fail(&cmd->err, PARLEY_ENOMEM, NULL, "out of memory");
    cmd->result_id = version;
    cmd->created = true;
    return 0;
}

int store_get_nlu_model_version(struct store_reader *r, int64_t tenant_id, int64_t *version,
                                struct parley_err *err)
{
    STORE_ERR(err);
    return newest_version(&r->cache, r->db, tenant_id, version, err);
}

struct model_row {
    int64_t *version;
    const void **blob;
    size_t *len;
};

static int load_model_row(sqlite3_stmt *st, void *out, struct arena *a, struct parley_err *err)
{
    struct model_row *m = out;
    size_t n = (size_t)sqlite3_column_bytes(st, 1);
    const void *src = sqlite3_column_blob(st, 1);
    void *copy = arena_alloc(a, n ? n : 1);
    if (copy == NULL)
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory reading the NLU model");
    if (n > 0) memcpy(copy, src, n);
    *m->version = sqlite3_column_int64(st, 0);
    *m->blob = copy;
    *m->len = n;
    return 0;
}

int store_get_nlu_model(struct store_reader *r, int64_t tenant_id, int64_t *version,
                        const void **blob, size_t *len, struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    *version = 0;
    *blob = NULL;
    *len = 0;
    struct model_row m = {version, blob, len};
    return newest_row(r,
                      "SELECT version, model FROM nlu_models WHERE tenant_id = ?1"
                      " ORDER BY version DESC LIMIT 1",
                      tenant_id, load_model_row, &m, a, err);
}

static int load_info_row(sqlite3_stmt *st, void *out, struct arena *a, struct parley_err *err)
{
    struct nlu_model_info *info = out;
    info->version = sqlite3_column_int64(st, 0);
    info->labels_json = col_text(st, 1, a);
    info->examples = sqlite3_column_int64(st, 2);
    info->trained_at = sqlite3_column_int64(st, 3);
    info->bytes = sqlite3_column_int64(st, 4);
    if (info->labels_json == NULL)
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory reading the NLU model");
    return 0;
}

int store_get_nlu_model_info(struct store_reader *r, int64_t tenant_id, struct nlu_model_info *out,
                             struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    memset(out, 0, sizeof(*out));
    return newest_row(r,
                      "SELECT version, labels, examples, trained_at, length(model)"
                      " FROM nlu_models WHERE tenant_id = ?1 ORDER BY version DESC LIMIT 1",
                      tenant_id, load_info_row, out, a, err);
}
