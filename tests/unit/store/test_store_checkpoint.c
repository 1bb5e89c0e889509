/* WAL checkpoints off the writer thread (store_checkpoint.c): under a sustained write load the
 * WAL stays bounded (the writer's backstop lets SQLite start it over), committed pages reach
 * the database file while the store is open, and nothing is lost or damaged on the way. */
#include <sys/stat.h>

#include "store_fixture.h"

enum { BODY = 6000, BATCH = 256, BATCHES = 24 }; /* ~6,100 messages, ~18,000 WAL pages */

static off_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : 0;
}

static void wal_stays_bounded_and_pages_reach_the_database(void **state)
{
    struct fixture *f = *state;
    int64_t tenant = new_tenant(f, "acme", NULL);
    int64_t convs[4];
    for (int i = 0; i < 4; i++) {
        convs[i] = new_conversation(f, tenant, new_customer(f, tenant, "Jane", NULL));
        assert_int_equal(post(f, tenant, convs[i], SENDER_CUSTOMER, "hello", NULL), 0);
    }
    char *body = malloc(BODY + 1);
    assert_non_null(body);
    memset(body, 'x', BODY);
    body[BODY] = '\0';
    char wal[160];
    snprintf(wal, sizeof(wal), "%s-wal", f->path);
    off_t db_before = file_size(f->path), wal_max = 0;

    struct store_cmd *c = calloc(BATCH, sizeof(*c));
    assert_non_null(c);
    for (int b = 0; b < BATCHES; b++) {
        struct waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, BATCH};
        for (int i = 0; i < BATCH; i++) {
            message_cmd(&c[i], tenant, convs[i % 4], SENDER_CUSTOMER, body);
            c[i].done = waiter_done;
            c[i].ud = &w;
            assert_int_equal(store_submit(f->s, &c[i]), 0);
        }
        waiter_wait(&w);
        for (int i = 0; i < BATCH; i++) {
            assert_int_equal(c[i].status, 0);
            store_cmd_release(&c[i]);
        }
        off_t sz = file_size(wal);
        if (sz > wal_max) wal_max = sz;
    }
    free(c);
    free(body);

    /* SQLite's default would leave the WAL at ~1,000 pages; without the backstop, ours would
     * hold the whole run (~18,000 pages, ~75 MB). The backstop's checkpoint lets the next
     * transaction start the WAL over, but only if no connection holds a read lock at that very
     * moment (the checkpointer's own pass can): on a busy machine the restart may slip by a few
     * batches. So allow the backstop's size plus 6,000 pages (~15 batches): still well under
     * what an unbounded WAL reaches in this run, so removing the backstop fails the test. */
    off_t page = 4096 + 24;
    assert_true(wal_max > (off_t)STORE_CKPT_WAKE_PAGES * page); /* the load did go past it */
    assert_true(wal_max < (off_t)(STORE_CKPT_INLINE_PAGES + 6000) * page);
    /* checkpoints copied the messages into the database file while the store was open */
    assert_true(file_size(f->path) > db_before + 20 * 1024 * 1024);

    close_store(f);
    assert_int_equal(open_store(f), 0);
    int64_t total = 0;
    for (int i = 0; i < 4; i++) total += get_conv(f, tenant, convs[i]).last_seq;
    assert_int_equal(total, (int64_t)BATCH * BATCHES + 4);
    struct parley_err err;
    assert_int_equal(store_check_integrity(f->s, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(wal_stays_bounded_and_pages_reach_the_database, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
