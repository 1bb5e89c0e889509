/* Shared by the store unit tests: a fresh SQLite store in a temporary directory per test, and
 * short helpers that run one command and return its id. Included by each test file (each is
 * its own process), so everything here is static. */
#ifndef PARLEY_TEST_STORE_FIXTURE_H
#define PARLEY_TEST_STORE_FIXTURE_H

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_int.h"

struct fixture {
    char dir[64];
    char path[128];
    struct store *s;
    struct store_reader *r;
    struct arena a; /* for reads */
};

static int open_store(struct fixture *f)
{
    struct store_options opt = {.path = f->path, .batch_max = 256, .synchronous_full = false};
    struct parley_err err;
    int rc = store_open(&opt, &f->s, &err);
    if (rc != 0) {
        fprintf(stderr, "store_open: %s\n", err.message);
        return rc;
    }
    return store_reader_open(f->s, &f->r, &err);
}

static void close_store(struct fixture *f)
{
    store_reader_close(f->r);
    store_close(f->s);
    f->r = NULL;
    f->s = NULL;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (f == NULL) return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/parley-store-XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof(f->path), "%s/test.db", f->dir);
    arena_init(&f->a);
    *state = f;
    return open_store(f);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    close_store(f);
    arena_free(&f->a);
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4; i++) {
        char p[160];
        snprintf(p, sizeof(p), "%s%s", f->path, suffixes[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Waits for `pending` submitted commands whose done is waiter_done and ud the waiter. */
struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int pending;
};

static inline void waiter_done(struct store_cmd *cmd)
{
    struct waiter *w = cmd->ud;
    pthread_mutex_lock(&w->mu);
    w->pending--;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static inline void waiter_wait(struct waiter *w)
{
    pthread_mutex_lock(&w->mu);
    while (w->pending > 0) pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

/* Runs a prepared command; returns its status. The caller releases it. */
static int run(struct fixture *f, struct store_cmd *c)
{
    int rc = store_exec(f->s, c);
    if (rc != 0 && getenv("STORE_TEST_VERBOSE"))
        fprintf(stderr, "command %d: %s (%s)\n", c->kind, c->err.message, c->err.field);
    return rc;
}

static int64_t new_tenant(struct fixture *f, const char *slug, int64_t *admin_id)
{
    struct store_cmd c;
    store_cmd_init(&c, STORE_CREATE_TENANT);
    c.actor = "cli";
    c.in.create_tenant.tenant.slug = slug;
    c.in.create_tenant.tenant.name = "Test organisation";
    char email[64];
    snprintf(email, sizeof(email), "Admin@%s.example", slug);
    c.in.create_tenant.admin.email = email;
    c.in.create_tenant.admin.name = "Admin";
    c.in.create_tenant.admin.role = ROLE_ADMIN;
    c.in.create_tenant.admin_password_hash = "$argon2id$test";
    assert_int_equal(run(f, &c), 0);
    int64_t id = c.result_id;
    if (admin_id != NULL) *admin_id = c.result_id2;
    store_cmd_release(&c);
    return id;
}

static int64_t new_customer(struct fixture *f, int64_t tenant, const char *name, const char *email)
{
    struct store_cmd c;
    struct identity id = {.kind = IDENTITY_EMAIL, .value = email};
    store_cmd_init(&c, STORE_CREATE_CUSTOMER);
    c.tenant_id = tenant;
    c.actor = "user:1";
    c.in.create_customer.customer.name = name;
    c.in.create_customer.customer.preferred_channel = -1;
    if (email != NULL) {
        c.in.create_customer.identities = &id;
        c.in.create_customer.n_identities = 1;
    }
    assert_int_equal(run(f, &c), 0);
    int64_t out = c.result_id;
    store_cmd_release(&c);
    return out;
}

static int64_t new_conversation(struct fixture *f, int64_t tenant, int64_t customer)
{
    struct store_cmd c;
    store_cmd_init(&c, STORE_CREATE_CONVERSATION);
    c.tenant_id = tenant;
    c.actor = "user:1";
    c.in.create_conversation.conversation.customer_id = customer;
    c.in.create_conversation.conversation.channel = CHANNEL_WEB;
    assert_int_equal(run(f, &c), 0);
    int64_t out = c.result_id;
    store_cmd_release(&c);
    return out;
}

static void message_cmd(struct store_cmd *c, int64_t tenant, int64_t conv, enum sender sender,
                        const char *body)
{
    store_cmd_init(c, STORE_CREATE_MESSAGE);
    c->tenant_id = tenant;
    c->actor = "user:1";
    c->in.create_message.conversation_id = conv;
    c->in.create_message.sender = sender;
    c->in.create_message.channel = CHANNEL_WEB;
    c->in.create_message.body = body;
}

/* Posts a message; returns the command status, *seq the seq it got. */
static int post(struct fixture *f, int64_t tenant, int64_t conv, enum sender sender,
                const char *body, int64_t *seq)
{
    struct store_cmd c;
    message_cmd(&c, tenant, conv, sender, body);
    int rc = run(f, &c);
    if (seq != NULL) *seq = rc == 0 ? c.in.create_message.seq : 0;
    store_cmd_release(&c);
    return rc;
}

static struct conversation get_conv(struct fixture *f, int64_t tenant, int64_t id)
{
    struct conversation c;
    struct parley_err err;
    assert_int_equal(store_get_conversation(f->r, tenant, id, &c, &f->a, &err), 0);
    return c;
}

#endif
