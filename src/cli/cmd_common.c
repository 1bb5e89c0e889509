/* What every `parley` command shares: flag parsing, help and error output, loading the
 * configuration, opening the store and running one write command as actor "cli". */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../common/password.h"

/* "admin_email" and "admin-email" name the same flag. */
static bool same_flag(const char *spec, const char *given, size_t given_len)
{
    if (strlen(spec) != given_len) return false;
    for (size_t i = 0; i < given_len; i++) {
        char a = spec[i] == '_' ? '-' : spec[i];
        char b = given[i] == '_' ? '-' : given[i];
        if (a != b) return false;
    }
    return true;
}

bool cli_parse_flags(const struct cli_command *cmd, struct cli_flag *flags, size_t n_flags,
                     int argc, char **argv, int *exit_status)
{
    for (size_t k = 0; k < n_flags; k++) flags[k].value = NULL;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            cli_print_help(cmd, stdout);
            *exit_status = CLI_OK;
            return false;
        }
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            *exit_status = cli_usage_error(cmd, "unexpected argument '%s'", arg);
            return false;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t name_len = eq != NULL ? (size_t)(eq - name) : strlen(name);
        struct cli_flag *flag = NULL;
        for (size_t k = 0; k < n_flags && flag == NULL; k++)
            if (same_flag(flags[k].name, name, name_len)) flag = &flags[k];
        if (flag == NULL) {
            *exit_status = cli_usage_error(cmd, "unknown option '--%.*s' for '%s'", (int)name_len,
                                           name, cmd->name);
            return false;
        }
        const char *value = eq != NULL ? eq + 1 : NULL;
        if (value == NULL) {
            if (i + 1 >= argc) {
                *exit_status = cli_usage_error(cmd, "option '--%s' needs a value", flag->name);
                return false;
            }
            value = argv[++i];
        }
        if (flag->value != NULL) {
            *exit_status = cli_usage_error(cmd, "option '--%s' is given twice", flag->name);
            return false;
        }
        flag->value = value;
    }
    for (size_t k = 0; k < n_flags; k++) {
        if (flags[k].required && flags[k].value == NULL) {
            *exit_status = cli_usage_error(cmd, "option '--%s' is required", flags[k].name);
            return false;
        }
    }
    return true;
}

const char *cli_flag(const struct cli_flag *flags, size_t n_flags, const char *name)
{
    for (size_t k = 0; k < n_flags; k++)
        if (strcmp(flags[k].name, name) == 0) return flags[k].value;
    return NULL;
}

void cli_print_help(const struct cli_command *cmd, void *stdio_file)
{
    FILE *f = stdio_file;
    fprintf(f, "usage: parley %s %s\n\n%s\n", cmd->name, cmd->usage, cmd->summary);
    if (cmd->options != NULL) fprintf(f, "\nOptions:\n%s", cmd->options);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("parley: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    fputs("parley: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: parley %s %s\nTry 'parley %s --help'.\n", cmd->name, cmd->usage,
            cmd->name);
    return CLI_USAGE;
}

int cli_load_config(const char *config_path, const char *db, struct parley_config *cfg)
{
    struct parley_err err = {0};
    config_defaults(cfg);
    if (config_path != NULL && config_load_file(cfg, config_path, &err) != 0) {
        cli_error("%s", err.message);
        return CLI_USAGE;
    }
    if (config_load_env(cfg, &err) != 0) {
        cli_error("%s", err.message);
        return CLI_USAGE;
    }
    if (db != NULL && config_set(cfg, "db", db, &err) != 0) {
        cli_error("--db: %s", err.message);
        return CLI_USAGE;
    }
    return CLI_OK;
}

int cli_open_store(const struct parley_config *cfg, struct store **out)
{
    struct parley_err err = {0};
    struct store_options opt = {
        .path = cfg->db,
        .batch_max = cfg->batch_max,
        .synchronous_full = cfg->synchronous_full,
        .busy_timeout_ms = 5000,
    };
    if (store_open(&opt, out, &err) != 0) {
        cli_error("cannot open database %s: %s", cfg->db, err.message);
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cli_exec(struct store *s, struct store_cmd *cmd, const char *what)
{
    cmd->actor = "cli";
    int rc = store_exec(s, cmd);
    if (rc != 0) {
        const char *msg = cmd->err.message[0] != '\0' ? cmd->err.message : parley_err_code_name(rc);
        if (cmd->err.field[0] != '\0')
            cli_error("%s: %s (field %s)", what, msg, cmd->err.field);
        else
            cli_error("%s: %s", what, msg);
    }
    return rc;
}

int cli_find_tenant(struct store *s, const char *slug, struct tenant *out, struct arena *a)
{
    struct store_reader *r = NULL;
    struct parley_err err = {0};
    int rc = store_reader_open(s, &r, &err);
    if (rc == 0) rc = store_get_tenant_by_slug(r, slug, out, a, &err);
    store_reader_close(r);
    if (rc == PARLEY_ENOTFOUND)
        cli_error("no tenant '%s' in this database (create it with `parley tenant create`)", slug);
    else if (rc != 0)
        cli_error("cannot look up tenant '%s': %s", slug, err.message);
    return rc;
}

int cli_check_email(const char *flag, char *email, size_t size, const char *value)
{
    struct parley_err err = {0};
    if (strlen(value) >= size) {
        cli_error("--%s: the email address is too long", flag);
        return PARLEY_EINVAL;
    }
    snprintf(email, size, "%s", value);
    if (core_normalise_identity(IDENTITY_EMAIL, email, &err) != 0) {
        cli_error("--%s: %s", flag, err.message);
        return PARLEY_EINVAL;
    }
    return 0;
}

int cli_check_password(const char *flag, const char *password)
{
    size_t len = strlen(password);
    if (len < PASSWORD_MIN_LEN || len > PASSWORD_MAX_LEN) {
        cli_error("--%s: a password needs %d to %d characters", flag, PASSWORD_MIN_LEN,
                  PASSWORD_MAX_LEN);
        return PARLEY_EINVAL;
    }
    return 0;
}
