/* `parley migrate` (create or upgrade the schema, printing the version before and after) and
 * `parley seed-demo` (the Acme Energy demo organisation, see seed_demo.c). */
#include "cli.h"

#include <stdio.h>
#include <sys/stat.h>

int cmd_migrate(const struct cli_command *self, int argc, char **argv)
{
    struct cli_flag flags[] = {{"config", false, NULL}, {"db", false, NULL}};
    int status = CLI_OK;
    if (!cli_parse_flags(self, flags, 2, argc, argv, &status)) return status;
    struct parley_config cfg;
    if ((status = cli_load_config(flags[0].value, flags[1].value, &cfg)) != CLI_OK) return status;

    struct stat st;
    bool existed = stat(cfg.db, &st) == 0;
    struct store *store = NULL;
    if ((status = cli_open_store(&cfg, &store)) != CLI_OK) return status;
    int after = store_schema_version(store);
    int before = after - store_migrations_applied(store);
    if (!existed) printf("%s: new database\n", cfg.db);
    printf("schema version before: %d\nschema version after:  %d%s\n", before, after,
           before == after ? " (already up to date)" : "");
    struct parley_err err = {0};
    int rc = store_check_integrity(store, &err);
    store_close(store);
    if (rc != 0) {
        cli_error("integrity check failed: %s", err.message);
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cmd_seed_demo(const struct cli_command *self, int argc, char **argv)
{
    struct cli_flag flags[] = {{"config", false, NULL}, {"db", false, NULL}};
    int status = CLI_OK;
    if (!cli_parse_flags(self, flags, 2, argc, argv, &status)) return status;
    struct parley_config cfg;
    if ((status = cli_load_config(flags[0].value, flags[1].value, &cfg)) != CLI_OK) return status;

    struct store *store = NULL;
    if ((status = cli_open_store(&cfg, &store)) != CLI_OK) return status;
    struct parley_err err = {0};
    int rc = seed_demo(store, &err);
    store_close(store);
    if (rc != 0) {
        cli_error("seed-demo: %s", err.message[0] != '\0' ? err.message : parley_err_code_name(rc));
        return CLI_FAIL;
    }
    return CLI_OK;
}
