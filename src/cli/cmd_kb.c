/* `parley kb import` (a folder of Markdown articles into a tenant's knowledge base) and
 * `parley kb eval` (search quality over a file of queries and the article each should find;
 * docs/knowledge-base.md). */
#include "cli.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bot/eval_csv.h"
#include "../bot/kb_md.h"

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int kb_import_text(struct store *s, int64_t tenant_id, const char *name, const char *slug,
                   const char *text, size_t len, const char *actor, bool *created)
{
    struct parley_err err = {0};
    struct store_cmd cmd;
    store_cmd_init(&cmd, STORE_KB_PUT_ARTICLE);
    struct kb_article *k = &cmd.in.kb_put.article;
    int rc = 0;
    if (kb_check_slug(slug, &err) != 0)
        rc = parley_fail(&err, PARLEY_EINVAL, "file",
                         "%s: the file name must be the article's slug: a-z, 0-9 and '-' "
                         "(like moving-home.md)",
                         name);
    if (rc == 0) rc = kb_md_parse(name, text, len, k, &cmd.arena, &err);
    if (rc == 0) rc = kb_md_render(k->body, strlen(k->body), &k->html, &k->text, &cmd.arena, &err);
    if (rc != 0) {
        cli_error("%s", err.message[0] != '\0' ? err.message : parley_err_code_name(rc));
    } else {
        k->slug = slug;
        cmd.tenant_id = tenant_id;
        cmd.in.kb_put.upsert = true;
        cmd.actor = actor;
        rc = store_exec(s, &cmd);
        if (rc != 0)
            cli_error("%s: %s", name,
                      cmd.err.message[0] != '\0' ? cmd.err.message : parley_err_code_name(rc));
        *created = cmd.created;
    }
    store_cmd_release(&cmd);
    return rc;
}

/* One file: read it, then as kb_import_text. */
static int import_file(struct store *s, int64_t tenant_id, const char *dir, const char *file,
                       const char *actor, bool *created)
{
    struct arena a;
    arena_init(&a);
    struct parley_err err = {0};
    char *path = arena_printf(&a, "%s/%s", dir, file);
    char *slug = arena_strndup(&a, file, strlen(file) - 3); /* without ".md" */
    char *buf = NULL;
    size_t len = 0;
    int rc = path != NULL && slug != NULL ? 0 : PARLEY_ENOMEM;
    if (rc == 0 && (rc = eval_read_file(path, KB_MD_MAX_FILE, &buf, &len, &a, &err)) != 0)
        cli_error("%s", err.message);
    if (rc == 0) rc = kb_import_text(s, tenant_id, path, slug, buf, len, actor, created);
    arena_free(&a);
    return rc;
}

int seed_demo_kb(struct store *s, int64_t tenant_id, size_t *n, struct parley_err *err)
{
    *n = 0;
    for (size_t i = 0; i < demo_kb_articles_count; i++) {
        const struct demo_kb_article *d = &demo_kb_articles[i];
        bool created = false;
        char name[160];
        snprintf(name, sizeof(name), "data/demo/kb/%s.md", d->slug);
        int rc = kb_import_text(s, tenant_id, name, d->slug, d->markdown, strlen(d->markdown),
                                "system", &created);
        if (rc != 0) return parley_fail(err, rc, NULL, "importing the demo article %s", name);
        (*n)++;
    }
    return 0;
}

int kb_import_dir(struct store *s, int64_t tenant_id, const char *dir, const char *actor,
                  struct kb_import_result *res)
{
    memset(res, 0, sizeof(*res));
    DIR *d = opendir(dir);
    if (d == NULL) {
        cli_error("cannot open the folder %s", dir);
        return PARLEY_EINVAL;
    }
    size_t n = 0, cap = 64;
    char **names = malloc(cap * sizeof(*names));
    if (names == NULL) {
        closedir(d);
        return PARLEY_ENOMEM;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 4 || strcmp(e->d_name + l - 3, ".md") != 0 || e->d_name[0] == '.') continue;
        if (n == cap) {
            char **bigger = realloc(names, cap * 2 * sizeof(*names));
            if (bigger == NULL) break;
            names = bigger;
            cap *= 2;
        }
        if ((names[n] = strdup(e->d_name)) != NULL) n++;
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp_names);
    for (size_t i = 0; i < n; i++) {
        bool created = false;
        if (import_file(s, tenant_id, dir, names[i], actor, &created) != 0)
            res->failed++;
        else if (created)
            res->created++;
        else
            res->updated++;
        free(names[i]);
    }
    free(names);
    return res->failed > 0 ? PARLEY_EINVAL : 0;
}

#define KB_DB_OPTIONS                                                                              \
    "  --config FILE      read settings from this INI file\n"                                      \
    "  --db FILE          database file\n"                                                         \
    "  --tenant SLUG      the organisation\n"

int cmd_kb_import(const struct cli_command *self, int argc, char **argv)
{
    struct cli_flag flags[] = {
        {"config", false, NULL}, {"db", false, NULL}, {"tenant", true, NULL}, {"dir", true, NULL}};
    int status = CLI_OK;
    if (!cli_parse_flags(self, flags, 4, argc, argv, &status)) return status;
    struct parley_config cfg;
    if ((status = cli_load_config(flags[0].value, flags[1].value, &cfg)) != CLI_OK) return status;
    struct store *store = NULL;
    if ((status = cli_open_store(&cfg, &store)) != CLI_OK) return status;
    struct arena a;
    arena_init(&a);
    struct tenant t;
    int rc = cli_find_tenant(store, flags[2].value, &t, &a);
    struct kb_import_result res = {0};
    if (rc == 0) {
        rc = kb_import_dir(store, t.id, flags[3].value, "cli", &res);
        printf("imported %zu articles into %s: %zu new, %zu updated, %zu failed\n",
               res.created + res.updated, t.slug, res.created, res.updated, res.failed);
    }
    store_close(store);
    arena_free(&a);
    return rc == 0 ? CLI_OK : CLI_FAIL;
}

int cmd_kb_eval(const struct cli_command *self, int argc, char **argv)
{
    struct cli_flag flags[] = {
        {"config", false, NULL}, {"db", false, NULL}, {"tenant", true, NULL}, {"csv", true, NULL}};
    int status = CLI_OK;
    if (!cli_parse_flags(self, flags, 4, argc, argv, &status)) return status;
    struct arena a;
    arena_init(&a);
    struct parley_err err = {0};
    char *buf;
    size_t len, n = 0;
    struct eval_row *rows = NULL;
    const char *path = flags[3].value;
    int rc = eval_read_file(path, EVAL_CSV_MAX_FILE, &buf, &len, &a, &err);
    if (rc == 0) rc = eval_csv_parse(path, buf, len, "query", "article_slug", &rows, &n, &a, &err);
    if (rc == 0 && n == 0) rc = parley_fail(&err, PARLEY_EINVAL, "csv", "%s: no rows", path);
    if (rc != 0) {
        cli_error("%s", err.message);
        arena_free(&a);
        return CLI_USAGE;
    }
    struct parley_config cfg;
    struct store *store = NULL;
    if ((status = cli_load_config(flags[0].value, flags[1].value, &cfg)) != CLI_OK ||
        (status = cli_open_store(&cfg, &store)) != CLI_OK) {
        arena_free(&a);
        return status;
    }
    struct tenant t;
    struct store_reader *r = NULL;
    rc = cli_find_tenant(store, flags[2].value, &t, &a);
    if (rc == 0 && (rc = store_reader_open(store, &r, &err)) != 0)
        cli_error("cannot read the database: %s", err.message);
    double rr_sum = 0;
    size_t top3 = 0, missing = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct kb_article art;
        struct arena q;
        arena_init(&q);
        if (store_kb_get_by_slug(r, t.id, rows[i].b, &art, &q, &err) != 0) {
            printf("line %d: no article '%s' in %s\n", rows[i].line, rows[i].b, t.slug);
            missing++;
        }
        struct kb_hit *hits = NULL;
        size_t nh = 0;
        rc = store_kb_search(r, t.id, rows[i].a, 10, &hits, &nh, &q, &err);
        if (rc != 0) {
            cli_error("%s:%d: search failed: %s", path, rows[i].line, err.message);
        } else {
            size_t rank = 0;
            for (size_t k = 0; k < nh && rank == 0; k++)
                if (strcmp(hits[k].slug, rows[i].b) == 0) rank = k + 1;
            if (rank > 0) rr_sum += 1.0 / (double)rank;
            if (rank > 0 && rank <= 3) top3++;
            if (rank != 1)
                printf("line %d: '%s' ranked %s (top: %s)\n", rows[i].line, rows[i].b,
                       rank == 0 ? "beyond 10" : arena_printf(&q, "%zu", rank),
                       nh > 0 ? hits[0].slug : "nothing");
        }
        arena_free(&q);
    }
    store_reader_close(r);
    store_close(store);
    if (rc == 0) {
        printf("queries: %zu (%zu name a missing article)\n", n, missing);
        printf("mrr@10: %.4f\n", rr_sum / (double)n);
        printf("recall@3: %.4f\n", (double)top3 / (double)n);
    }
    arena_free(&a);
    return rc == 0 ? CLI_OK : CLI_FAIL;
}
