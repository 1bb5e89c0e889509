/* Unit tests for the NLU model rows (src/store/store_nlu.c): versions per tenant, the newest
 * wins, old versions are pruned, reads are tenant-scoped, and each save is audited. */
/* the fixture is shared: this file uses only part of it */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "store_fixture.h"

static int64_t save_model(struct fixture *f, int64_t tenant, const char *bytes)
{
    struct store_cmd c;
    store_cmd_init(&c, STORE_SET_NLU_MODEL);
    c.tenant_id = tenant;
    c.actor = "user:1";
    c.in.set_nlu_model.blob = bytes;
    c.in.set_nlu_model.len = strlen(bytes);
    c.in.set_nlu_model.labels_json = "[\"greeting\",\"oos\"]";
    c.in.set_nlu_model.examples = 42;
    assert_int_equal(run(f, &c), 0);
    assert_non_null(strstr(c.result_json, "\"labels\":[\"greeting\",\"oos\"]"));
    int64_t v = c.result_id;
    store_cmd_release(&c);
    return v;
}

static void versions_count_up_per_tenant_and_the_newest_wins(void **state)
{
    struct fixture *f = *state;
    int64_t acme = new_tenant(f, "acme", NULL), other = new_tenant(f, "other", NULL);
    int64_t v = -1;
    assert_int_equal(store_get_nlu_model_version(f->r, acme, &v, NULL), 0);
    assert_int_equal(v, 0);
    const void *blob = NULL;
    size_t len = 0;
    assert_int_equal(store_get_nlu_model(f->r, acme, &v, &blob, &len, &f->a, NULL),
                     PARLEY_ENOTFOUND);
    struct nlu_model_info info;
    assert_int_equal(store_get_nlu_model_info(f->r, acme, &info, &f->a, NULL), PARLEY_ENOTFOUND);

    assert_int_equal(save_model(f, acme, "first"), 1);
    assert_int_equal(save_model(f, acme, "second"), 2);
    assert_int_equal(save_model(f, other, "theirs"), 1);
    assert_int_equal(store_get_nlu_model_version(f->r, acme, &v, NULL), 0);
    assert_int_equal(v, 2);
    assert_int_equal(store_get_nlu_model(f->r, acme, &v, &blob, &len, &f->a, NULL), 0);
    assert_int_equal(v, 2);
    assert_int_equal(len, 6);
    assert_memory_equal(blob, "second", 6);
    assert_int_equal(store_get_nlu_model(f->r, other, &v, &blob, &len, &f->a, NULL), 0);
    assert_memory_equal(blob, "theirs", 6);
    assert_int_equal(store_get_nlu_model_info(f->r, acme, &info, &f->a, NULL), 0);
    assert_int_equal(info.version, 2);
    assert_int_equal(info.examples, 42);
    assert_int_equal(info.bytes, 6);
    assert_string_equal(info.labels_json, "[\"greeting\",\"oos\"]");
    assert_true(info.trained_at > 0);

    /* only the newest STORE_NLU_KEEP versions stay */
    for (int i = 0; i < 5; i++) save_model(f, acme, "more");
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(f->s->db,
                                        "SELECT count(*), min(version) FROM nlu_models"
                                        " WHERE tenant_id = ?1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(st, 1, acme);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), STORE_NLU_KEEP);
    assert_int_equal(sqlite3_column_int(st, 1), 7 - STORE_NLU_KEEP + 1);
    sqlite3_finalize(st);

    struct audit_filter af = {.action = "nlu_model.train"};
    struct store_page page = {0};
    struct audit_entry *e = NULL;
    size_t n = 0;
    int64_t next = 0;
    assert_int_equal(store_list_audit(f->r, acme, &af, &page, &e, &n, &next, &f->a, NULL), 0);
    assert_int_equal(n, 7);
    assert_string_equal(e[0].object, "nlu_model:7");
    assert_string_equal(e[0].actor, "user:1");
}

static void an_empty_model_is_refused(void **state)
{
    struct fixture *f = *state;
    int64_t acme = new_tenant(f, "acme", NULL);
    struct store_cmd c;
    store_cmd_init(&c, STORE_SET_NLU_MODEL);
    c.tenant_id = acme;
    assert_int_equal(run(f, &c), PARLEY_EINVAL);
    assert_string_equal(c.err.field, "model");
    store_cmd_release(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(versions_count_up_per_tenant_and_the_newest_wins, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(an_empty_model_is_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
