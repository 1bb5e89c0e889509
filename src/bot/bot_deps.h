/* What the virtual agent takes from its neighbours (CONTRACTS.md): intent detection (nlu.h),
 * sentiment and distress (sentiment.h) and the knowledge base (store_kb_search). Until a
 * neighbour's code is on the branch, the contract's types are declared here and the bot runs
 * without that capability (no model: every message is out of scope; neutral sentiment; no
 * knowledge-base answers). */
#ifndef PARLEY_BOT_DEPS_H
#define PARLEY_BOT_DEPS_H

#include <stdbool.h>
#include <stddef.h>

#if __has_include("nlu.h")
#include "nlu.h"
#define BOT_HAVE_NLU 1
#else
#define BOT_HAVE_NLU 0
struct nlu_model;
struct nlu_score {
    const char *label;
    double p;
};
struct nlu_result {
    struct nlu_score top[3];
    int n;
    bool out_of_scope;
};
#endif

#if __has_include("sentiment.h")
#include "sentiment.h"
#define BOT_HAVE_SENTIMENT 1
#else
#define BOT_HAVE_SENTIMENT 0
struct sentiment {
    double compound;
    double pos, neu, neg;
    bool distress;
    const char *distress_cue;
};
#endif

#if __has_include("../core/core_kb.h")
#define BOT_HAVE_KB 1 /* store_kb_search and struct kb_hit are in store.h */
#else
#define BOT_HAVE_KB 0
#endif

#endif
