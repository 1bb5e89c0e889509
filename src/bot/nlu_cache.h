/* Loaded per-tenant NLU models, shared by threads, refreshed when the stored version changes
 * (store_get_nlu_model_version: one index lookup per call). Used by the REST predict route;
 * the bot service may use one too.
 *
 * Ownership: nlu_cache_get hands out a reference the caller gives back with
 * nlu_cache_release; the model stays valid (and immutable) until then, even if a newer
 * version replaces it meanwhile. The reader is the calling thread's own. */
#ifndef PARLEY_NLU_CACHE_H
#define PARLEY_NLU_CACHE_H

#include "../store/store.h"
#include "nlu.h"

struct nlu_cache;
struct nlu_ref;

int nlu_cache_new(struct nlu_cache **out); /* 0 or PARLEY_ENOMEM */
void nlu_cache_free(struct nlu_cache *c);  /* every reference must be released; NULL is safe */
/* The tenant's newest model. PARLEY_ENOTFOUND when the tenant has none; PARLEY_EIO when the
 * stored bytes do not load. */
int nlu_cache_get(struct nlu_cache *c, struct store_reader *r, int64_t tenant_id,
                  struct nlu_ref **out, struct parley_err *err);
const struct nlu_model *nlu_ref_model(const struct nlu_ref *ref);
int64_t nlu_ref_version(const struct nlu_ref *ref);
void nlu_cache_release(struct nlu_cache *c, struct nlu_ref *ref); /* NULL is safe */

#endif
