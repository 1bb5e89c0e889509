/* `parley serve` (run the server) and `parley config` (check a configuration): both resolve
 * defaults → --config file → PARLEY_* environment → --OPTION flags, through config.c's table. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "../common/log.h"
#include "../http/server.h"

struct config_flags {
    const char *config_path;
    bool markdown;
    int n;
    const char *keys[64]; /* flag names without dashes (borrowed from argv or key_buf) */
    const char *values[64];
    char key_buf[64][64];
};

/* Reads the flags of serve/config. Names and values are checked against a scratch
 * configuration now, so a typo is reported before any file or database is touched. */
static bool parse_config_flags(const struct cli_command *self, int argc, char **argv,
                               bool allow_markdown, struct config_flags *out, int *exit_status)
{
    struct parley_config scratch;
    config_defaults(&scratch);
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            cli_print_help(self, stdout);
            if (strcmp(self->name, "serve") == 0) {
                fputc('\n', stdout);
                config_print_help(stdout);
            }
            *exit_status = CLI_OK;
            return false;
        }
        if (allow_markdown && strcmp(arg, "--markdown") == 0) {
            out->markdown = true;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            *exit_status = cli_usage_error(self, "unexpected argument '%s'", arg);
            return false;
        }
        const char *name = arg + 2, *eq = strchr(name, '='), *value;
        size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
        if (out->n >= 64 || len >= sizeof(out->key_buf[0])) {
            *exit_status = cli_usage_error(self, "too many or too long options");
            return false;
        }
        char *key = out->key_buf[out->n];
        memcpy(key, name, len);
        key[len] = '\0';
        if (eq != NULL) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            *exit_status = cli_usage_error(self, "option '--%s' needs a value", key);
            return false;
        }
        if (strcmp(key, "config") == 0) {
            out->config_path = value;
            continue;
        }
        struct parley_err err = {0};
        int rc = config_set(&scratch, key, value, &err);
        if (rc == PARLEY_ENOTFOUND) {
            *exit_status = cli_usage_error(self, "unknown option '--%s' for '%s'", key, self->name);
            return false;
        }
        if (rc != 0) {
            *exit_status = cli_usage_error(self, "--%s: %s", key, err.message);
            return false;
        }
        out->keys[out->n] = key;
        out->values[out->n] = value;
        out->n++;
    }
    return true;
}

/* The whole chain into cfg. Prints the error and returns CLI_USAGE on failure. */
static int resolve_config(const struct config_flags *fl, struct parley_config *cfg)
{
    int rc = cli_load_config(fl->config_path, NULL, cfg);
    if (rc != CLI_OK) return rc;
    for (int i = 0; i < fl->n; i++) {
        struct parley_err err = {0};
        if (config_set(cfg, fl->keys[i], fl->values[i], &err) != 0) {
            cli_error("--%s: %s", fl->keys[i], err.message);
            return CLI_USAGE;
        }
    }
    return CLI_OK;
}

int cmd_serve(const struct cli_command *self, int argc, char **argv)
{
    static struct config_flags fl; /* large: keep it off the stack */
    struct parley_config cfg;
    int status = CLI_OK;
    if (!parse_config_flags(self, argc, argv, false, &fl, &status)) return status;
    if ((status = resolve_config(&fl, &cfg)) != CLI_OK) return status;
    log_set_level((enum log_level)log_level_parse(cfg.log_level));

    struct store *store = NULL;
    if ((status = cli_open_store(&cfg, &store)) != CLI_OK) return status;
    log_msg(LOG_INFO, "cli", "event=starting version=%s schema_version=%d listen=%s threads=%d",
            PARLEY_VERSION, store_schema_version(store), cfg.listen, cfg.threads);

    struct parley_err err = {0};
    int rc = http_serve(&cfg, store, &err);
    store_close(store);
    if (rc != 0) {
        cli_error("server stopped: %s",
                  err.message[0] != '\0' ? err.message : parley_err_code_name(rc));
        return CLI_FAIL;
    }
    log_msg(LOG_INFO, "cli", "event=stopped");
    return CLI_OK;
}

int cmd_config(const struct cli_command *self, int argc, char **argv)
{
    static struct config_flags fl;
    struct parley_config cfg;
    int status = CLI_OK;
    if (!parse_config_flags(self, argc, argv, true, &fl, &status)) return status;
    if (fl.markdown) {
        config_print_markdown(stdout);
        return CLI_OK;
    }
    if ((status = resolve_config(&fl, &cfg)) != CLI_OK) return status;
    printf("# Effective configuration (defaults < %s < environment < flags)\n",
           fl.config_path != NULL ? fl.config_path : "no file");
    config_print_values(&cfg, stdout);
    return CLI_OK;
}
