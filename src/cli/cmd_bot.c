/* `parley bot check-flows --dir DIR`: validates every flow file in DIR and in its immediate
 * subdirectories (one per organisation, as bot_flows_dir lays them out), printing one line per
 * flow and every error with its file and line. Exit 0 when all are valid, 1 otherwise. */
#include "cli.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../bot/flow.h"

#define MAX_ENTRIES 1000

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dir ending with suffix (NULL: subdirectories); returns how many. */
static size_t list_dir(const char *dir, const char *suffix, char **out, size_t max)
{
    size_t n = 0;
    DIR *d = opendir(dir);
    if (d == NULL) return 0;
    char path[2048];
    for (struct dirent *e; n < max && (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.') continue;
        size_t len = strlen(e->d_name);
        if (suffix != NULL) {
            size_t sl = strlen(suffix);
            if (len <= sl || strcmp(e->d_name + len - sl, suffix) != 0) continue;
        } else {
            struct stat st;
            if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path) ||
                stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
                continue;
        }
        out[n] = strdup(e->d_name);
        if (out[n] != NULL) n++;
    }
    closedir(d);
    qsort(out, n, sizeof(char *), cmp_names);
    return n;
}

/* Checks one directory's flows; returns the number of errors. */
static int check_dir(const char *dir, size_t *n_flows)
{
    char **names = calloc(MAX_ENTRIES, sizeof(char *));
    if (names == NULL) return 1;
    size_t n = list_dir(dir, ".json", names, MAX_ENTRIES);
    int errors = 0;
    char path[2048];
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        struct flow *f;
        struct parley_err err = {0};
        if (flow_load_file(path, &f, &err) != 0) {
            printf("error %s\n", err.message);
            errors++;
        } else {
            printf("ok    %s: flow %s, %zu steps, intents:", path, f->name, f->n_steps);
            for (size_t k = 0; k < f->n_intents; k++) printf(" %s", f->intents[k]);
            printf("\n");
            flow_free(f);
            (*n_flows)++;
        }
        free(names[i]);
    }
    free(names);
    if (errors == 0 && n > 0) { /* the set as the bot loads it: one flow per intent */
        struct flow_set *set;
        struct parley_err err = {0};
        if (flow_set_load_dir(dir, &set, &err) != 0) {
            printf("error %s\n", err.message);
            errors++;
        }
        flow_set_free(set);
    }
    return errors;
}

int cmd_bot_check_flows(const struct cli_command *self, int argc, char **argv)
{
    struct cli_flag flags[] = {{"dir", true, NULL}};
    int status;
    if (!cli_parse_flags(self, flags, 1, argc, argv, &status)) return status;
    const char *dir = cli_flag(flags, 1, "dir");
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return cli_usage_error(self, "--dir %s is not a directory", dir);
    size_t n_flows = 0;
    int errors = check_dir(dir, &n_flows);
    char **subs = calloc(MAX_ENTRIES, sizeof(char *));
    size_t n = subs != NULL ? list_dir(dir, NULL, subs, MAX_ENTRIES) : 0;
    char path[2048];
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, subs[i]);
        errors += check_dir(path, &n_flows);
        free(subs[i]);
    }
    free(subs);
    printf("flows: %zu valid, %d with errors\n", n_flows, errors);
    return errors == 0 ? CLI_OK : CLI_FAIL;
}
