/* libFuzzer target for the knowledge-base query sanitiser (kb_fts_query) and the search
 * behind it: arbitrary bytes as what a person typed. The built query may only be quoted words
 * joined by spaces or " OR ", and running it through store_kb_search on a real SQLite FTS5
 * index must never fail (no input is a syntax error); snippets must be valid UTF-8 whose only
 * markup is <mark>. Valid UTF-8 inputs also become the body of one article, rewritten each
 * time (the writer's token counts and champion lists, store_kb_terms.c). The planner's
 * thresholds are turned down so that a handful of articles reach every path (common words,
 * champion lists, finalists). The store lives in a temporary directory for the whole run. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bot/kb_md.h"
#include "common/util.h"
#include "store/store.h"
#include "store/store_int.h"

static void must(int ok)
{
    if (!ok) abort();
}

static char dir[64], path[128];
static struct store *store;
static struct store_reader *reader;
static int64_t tenant;

static void cleanup(void)
{
    store_reader_close(reader);
    store_close(store);
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char p[160];
        snprintf(p, sizeof(p), "%s%s", path, suffixes[i]);
        unlink(p);
    }
    rmdir(dir);
}

static int add_article(const char *slug, const char *title, const char *body)
{
    struct store_cmd c;
    store_cmd_init(&c, STORE_KB_PUT_ARTICLE);
    c.tenant_id = tenant;
    c.actor = "system";
    struct kb_article *k = &c.in.kb_put.article;
    k->slug = slug;
    k->title = title;
    k->body = body;
    must(kb_md_render(body, strlen(body), &k->html, &k->text, &c.arena, NULL) == 0);
    c.in.kb_put.upsert = true;
    int rc = store_exec(store, &c);
    store_cmd_release(&c);
    return rc;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    snprintf(dir, sizeof(dir), "/tmp/parley-fuzz-kb-XXXXXX");
    must(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/kb.db", dir);
    struct store_options opt = {.path = path, .synchronous_full = false};
    struct parley_err err;
    must(store_open(&opt, &store, &err) == 0);
    must(store_reader_open(store, &reader, &err) == 0);
    atexit(cleanup);
    struct store_cmd c;
    store_cmd_init(&c, STORE_CREATE_TENANT);
    c.actor = "cli";
    c.in.create_tenant.tenant.slug = "fuzz";
    c.in.create_tenant.tenant.name = "Fuzz";
    c.in.create_tenant.admin.email = "admin@fuzz.example";
    c.in.create_tenant.admin.role = ROLE_ADMIN;
    c.in.create_tenant.admin_password_hash = "$argon2id$fuzz";
    must(store_exec(store, &c) == 0);
    tenant = c.result_id;
    store_cmd_release(&c);
    kb_rank_budget = 2;
    kb_common_docs = 1;
    kb_list_size = 2;
    must(add_article("power-cut", "Power cut", "Call 105 in a power cut. Check the fuse box.") ==
         0);
    must(add_article("direct-debit", "Direct Debit",
                     "Change the date of your Direct Debit online. Check the date.") == 0);
    must(add_article("cafe", "Caf\xc3\xa9 r\xc3\xa9sum\xc3\xa9",
                     "Na\xc3\xafve \xe2\x80\x9cquotes\xe2\x80\x9d and NEAR AND OR NOT.") == 0);
    must(add_article("meter", "Meter readings", "Check the meter and send the reading.") == 0);
    return 0;
}

static void check_query(const char *q, size_t len, enum kb_match how)
{
    char out[KB_QUERY_CAP];
    int n = kb_fts_query(q, len, how, out, sizeof(out));
    must(n >= 0 && n <= KB_QUERY_MAX_TERMS);
    size_t ol = strlen(out);
    must(ol < sizeof(out));
    must(util_utf8_valid(out, ol));
    if (n == 0) {
        must(ol == 0);
        return;
    }
    /* "w" ( sep "w" )*: count the quoted words and check what lies between them */
    int words = 0;
    size_t i = 0;
    while (i < ol) {
        if (words > 0) {
            const char *sep = how == KB_MATCH_ALL ? " " : " OR ";
            must(strncmp(out + i, sep, strlen(sep)) == 0);
            i += strlen(sep);
        }
        must(out[i] == '"');
        size_t j = i + 1;
        while (j < ol && out[j] != '"') {
            unsigned char c = (unsigned char)out[j];
            must(c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
            j++;
        }
        must(j < ol && j > i + 1 && j - i - 1 <= KB_QUERY_MAX_TERM);
        i = j + 1;
        words++;
    }
    must(words == n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *q = (const char *)data;
    check_query(q, size, KB_MATCH_ALL);
    check_query(q, size, KB_MATCH_ANY);
    if (size > KB_MAX_QUERY) return 0;
    char *z = malloc(size + 1);
    must(z != NULL);
    memcpy(z, data, size);
    z[size] = '\0';
    if (size > 0 && memchr(z, '\0', size) == NULL && util_utf8_valid(z, size)) {
        int put = add_article("fuzz", "Fuzz check", z); /* a blank body is refused, cleanly */
        must(put == 0 || put == PARLEY_EINVAL);
    }
    struct arena a;
    arena_init(&a);
    struct kb_hit *hits;
    size_t n;
    struct parley_err err = {0};
    int rc = store_kb_search(reader, tenant, z, 5, &hits, &n, &a, &err);
    if (rc != 0) fprintf(stderr, "search failed: %s\n", err.message);
    must(rc == 0);
    must(n <= 5);
    for (size_t i = 0; i < n; i++) {
        must(hits[i].slug != NULL && hits[i].snippet != NULL && hits[i].score > -1e9);
        const char *sn = hits[i].snippet;
        must(util_utf8_valid(sn, strlen(sn)));
        for (const char *lt = strchr(sn, '<'); lt != NULL; lt = strchr(lt + 1, '<'))
            must(strncmp(lt, "<mark>", 6) == 0 || strncmp(lt, "</mark>", 7) == 0);
    }
    arena_free(&a);
    free(z);
    return 0;
}
