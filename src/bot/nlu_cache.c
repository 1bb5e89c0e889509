/* Per-tenant models kept loaded: each lookup asks the store for the tenant's newest version
 * (one index lookup) and loads the model only when that changed, so a model trained through
 * the API or the CLI is swapped in without a restart. Models are reference-counted: a
 * replaced model is freed when its last reader lets go. */
#include "nlu_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct nlu_ref {
    int64_t tenant_id, version;
    struct nlu_model *model;
    int refs; /* the cache's own reference counts while the entry is current */
    struct nlu_ref *next;
};

struct nlu_cache {
    pthread_mutex_t mu;
    struct nlu_ref *current; /* one per tenant */
    size_t n;
};

int nlu_cache_new(struct nlu_cache **out)
{
    struct nlu_cache *c = calloc(1, sizeof(*c));
    if (c == NULL) return PARLEY_ENOMEM;
    pthread_mutex_init(&c->mu, NULL);
    *out = c;
    return 0;
}

static void unref(struct nlu_ref *e)
{
    if (--e->refs > 0) return;
    nlu_model_free(e->model);
    free(e);
}

void nlu_cache_free(struct nlu_cache *c)
{
    if (c == NULL) return;
    for (struct nlu_ref *e = c->current, *next; e != NULL; e = next) {
        next = e->next;
        unref(e);
    }
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* The current entry of a tenant with a reference taken, or NULL. Under the lock. */
static struct nlu_ref *find(struct nlu_cache *c, int64_t tenant_id)
{
    for (struct nlu_ref *e = c->current; e != NULL; e = e->next)
        if (e->tenant_id == tenant_id) return e;
    return NULL;
}

int nlu_cache_get(struct nlu_cache *c, struct store_reader *r, int64_t tenant_id,
                  struct nlu_ref **out, struct parley_err *err)
{
    *out = NULL;
    int64_t version = 0;
    int rc = store_get_nlu_model_version(r, tenant_id, &version, err);
    if (rc != 0) return rc;
    if (version == 0)
        return parley_fail(err, PARLEY_ENOTFOUND, NULL,
                           "there is no NLU model for this tenant; train one first");
    pthread_mutex_lock(&c->mu);
    struct nlu_ref *e = find(c, tenant_id);
    if (e != NULL && e->version == version) {
        e->refs++;
        pthread_mutex_unlock(&c->mu);
        *out = e;
        return 0;
    }
    pthread_mutex_unlock(&c->mu);

    /* load outside the lock (it can take a few milliseconds), then publish */
    struct arena a;
    arena_init(&a);
    const void *blob = NULL;
    size_t len = 0;
    struct nlu_model *m = NULL;
    rc = store_get_nlu_model(r, tenant_id, &version, &blob, &len, &a, err);
    if (rc == 0 && (rc = nlu_model_load(blob, len, &m, err)) != 0 && rc != PARLEY_ENOMEM)
        /* stored bytes that do not load are the server's problem, not the caller's input */
        rc = parley_fail(err, PARLEY_EIO, NULL,
                         "the stored NLU model (version %lld) does not "
                         "load; train it again",
                         (long long)version);
    arena_free(&a);
    if (rc != 0) return rc;
    struct nlu_ref *fresh = calloc(1, sizeof(*fresh));
    if (fresh == NULL) {
        nlu_model_free(m);
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory loading the NLU model");
    }
    fresh->tenant_id = tenant_id;
    fresh->version = version;
    fresh->model = m;
    fresh->refs = 2; /* the cache's and the caller's */
    pthread_mutex_lock(&c->mu);
    e = find(c, tenant_id);
    if (e != NULL && e->version >= version) {
        /* another thread published the same or a newer one meanwhile: use that */
        e->refs++;
        pthread_mutex_unlock(&c->mu);
        nlu_model_free(m);
        free(fresh);
        *out = e;
        return 0;
    }
    if (e != NULL) {
        for (struct nlu_ref **p = &c->current; *p != NULL; p = &(*p)->next)
            if (*p == e) {
                *p = e->next;
                break;
            }
        unref(e);
        c->n--;
    }
    fresh->next = c->current;
    c->current = fresh;
    c->n++;
    pthread_mutex_unlock(&c->mu);
    *out = fresh;
    return 0;
}

const struct nlu_model *nlu_ref_model(const struct nlu_ref *ref)
{
    return ref->model;
}

int64_t nlu_ref_version(const struct nlu_ref *ref)
{
    return ref->version;
}

void nlu_cache_release(struct nlu_cache *c, struct nlu_ref *ref)
{
    if (ref == NULL) return;
    pthread_mutex_lock(&c->mu);
    unref(ref);
    pthread_mutex_unlock(&c->mu);
}
