/* Unit tests for the staffing reads and writes of the store: interval counts recorded and
 * replaced, arrivals counted per 30-minute interval from conversations and imported counts,
 * filtered by channel, and never across tenants. */
#pragma GCC diagnostic ignored "-Wunused-function" /* the shared fixture has more than we use */
#include "store_fixture.h"

#define HALF_HOUR STORE_ARRIVAL_INTERVAL_MS
#define T0        (1764547200000LL) /* 2025-12-01T00:00:00Z, a half hour */

static void conversation_at(struct fixture *f, int64_t tenant, int64_t customer, enum channel ch,
                            int64_t at)
{
    struct store_cmd c;
    store_cmd_init(&c, STORE_CREATE_CONVERSATION);
    c.tenant_id = tenant;
    c.actor = "cli";
    c.in.create_conversation.conversation.customer_id = customer;
    c.in.create_conversation.conversation.channel = ch;
    c.in.create_conversation.conversation.created_at = at;
    assert_int_equal(run(f, &c), 0);
    store_cmd_release(&c);
}

static int record(struct fixture *f, int64_t tenant, const struct arrival_count *rows, size_t n)
{
    struct store_cmd c;
    store_cmd_init(&c, STORE_RECORD_ARRIVALS);
    c.tenant_id = tenant;
    c.actor = "cli";
    c.in.record_arrivals.rows = rows;
    c.in.record_arrivals.n = n;
    int rc = run(f, &c);
    store_cmd_release(&c);
    return rc;
}

static void arrivals_are_counted_per_interval_channel_and_tenant(void **state)
{
    struct fixture *f = *state;
    int64_t acme = new_tenant(f, "acme", NULL), other = new_tenant(f, "other", NULL);
    int64_t cust = new_customer(f, acme, "Ada", NULL), theirs = new_customer(f, other, "Bo", NULL);
    /* Conversations: two web chats in interval 0, one email in interval 3, one web chat just
     * before the window and one at its end (both outside), one in another tenant. */
    conversation_at(f, acme, cust, CHANNEL_WEB, T0 + 1000);
    conversation_at(f, acme, cust, CHANNEL_WEB, T0 + HALF_HOUR - 1);
    conversation_at(f, acme, cust, CHANNEL_EMAIL, T0 + 3 * HALF_HOUR + 5);
    conversation_at(f, acme, cust, CHANNEL_WEB, T0 - 1);
    conversation_at(f, acme, cust, CHANNEL_WEB, T0 + 4 * HALF_HOUR);
    conversation_at(f, other, theirs, CHANNEL_WEB, T0 + 10);
    /* Imported counts: web in intervals 1 and 3 with handling time, and another tenant's. */
    const struct arrival_count rows[] = {
        {T0 + HALF_HOUR, CHANNEL_WEB, 7, 7 * 400.0},
        {T0 + 3 * HALF_HOUR, CHANNEL_WEB, 5, 5 * 200.0},
        {T0 + 3 * HALF_HOUR, CHANNEL_EMAIL, 2, 0},
    };
    assert_int_equal(record(f, acme, rows, 3), 0);
    const struct arrival_count theirs_row = {T0, CHANNEL_WEB, 1000, 0};
    assert_int_equal(record(f, other, &theirs_row, 1), 0);

    int64_t counts[4];
    double handle_s = 0;
    int64_t handled = 0;
    struct parley_err err = {0};
    assert_int_equal(store_count_arrivals(f->r, acme, -1, T0, 4, counts, &handle_s, &handled, &err),
                     0);
    assert_int_equal(counts[0], 2);
    assert_int_equal(counts[1], 7);
    assert_int_equal(counts[2], 0);
    assert_int_equal(counts[3], 1 + 5 + 2);
    assert_int_equal(handled, 12); /* only the imported rows with a handling time */
    assert_true(handle_s == 7 * 400.0 + 5 * 200.0);

    assert_int_equal(
        store_count_arrivals(f->r, acme, CHANNEL_EMAIL, T0, 4, counts, NULL, NULL, &err), 0);
    assert_int_equal(counts[0], 0);
    assert_int_equal(counts[3], 3);

    /* Recording the same interval again replaces it. */
    const struct arrival_count again = {T0 + HALF_HOUR, CHANNEL_WEB, 3, 0};
    assert_int_equal(record(f, acme, &again, 1), 0);
    assert_int_equal(
        store_count_arrivals(f->r, acme, CHANNEL_WEB, T0, 4, counts, &handle_s, &handled, &err), 0);
    assert_int_equal(counts[1], 3);
    assert_int_equal(handled, 5);

    /* The other tenant sees only its own. */
    assert_int_equal(store_count_arrivals(f->r, other, -1, T0, 4, counts, NULL, NULL, &err), 0);
    assert_int_equal(counts[0], 1001);
    assert_int_equal(counts[1] + counts[2] + counts[3], 0);

    /* Bad input is refused. */
    assert_int_equal(store_count_arrivals(f->r, acme, -1, T0 + 1, 4, counts, NULL, NULL, &err),
                     PARLEY_EINVAL);
    const struct arrival_count bad = {T0 + 7, CHANNEL_WEB, 1, 0};
    assert_int_equal(record(f, acme, &bad, 1), PARLEY_EINVAL);
    const struct arrival_count negative = {T0, CHANNEL_WEB, -1, 0};
    assert_int_equal(record(f, acme, &negative, 1), PARLEY_EINVAL);
}

/* The range reads walk an index, never the whole table. */
static void arrival_queries_use_their_indexes(void **state)
{
    struct fixture *f = *state;
    static const char *const queries[] = {
        "EXPLAIN QUERY PLAN SELECT created_at, channel FROM conversations"
        " WHERE tenant_id = 1 AND created_at >= 0 AND created_at < 10",
        "EXPLAIN QUERY PLAN SELECT arrivals FROM arrival_counts"
        " WHERE tenant_id = 1 AND interval_start >= 0 AND interval_start < 10",
    };
    for (size_t i = 0; i < 2; i++) {
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_prepare_v2(f->r->db, queries[i], -1, &st, NULL), SQLITE_OK);
        bool uses_index = false;
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *detail = (const char *)sqlite3_column_text(st, 3);
            if (strstr(detail, "USING INDEX conversations_created") != NULL ||
                strstr(detail, "USING PRIMARY KEY") != NULL)
                uses_index = true;
        }
        sqlite3_finalize(st);
        if (!uses_index) fail_msg("query %zu does not use its index", i);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(arrivals_are_counted_per_interval_channel_and_tenant, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(arrival_queries_use_their_indexes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
