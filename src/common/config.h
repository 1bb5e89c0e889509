/* Runtime configuration: one table of options (name, type, default, range, help) drives the
 * INI file (libinih), PARLEY_* environment variables, command-line flags, validation,
 * `parley serve --help` and docs/configuration.md. Precedence: defaults < file < environment
 * < flags. An invalid value is refused with a message naming the key. */
#ifndef PARLEY_CONFIG_H
#define PARLEY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct parley_config {
    char listen[128];          /* listen = 127.0.0.1:8080 */
    char db[512];              /* db = var/parley.db */
    int threads;               /* threads = 0 (one event loop per core) */
    int64_t max_body_bytes;    /* max_body_bytes = 1048576 (413 above) */
    int64_t max_message_bytes; /* max_message_bytes = 16384 */
    int max_connections;       /* max_connections = 20000 */
    int session_ttl_s;         /* session_ttl_s = 43200 (12 h) */
    int visitor_token_ttl_s;   /* visitor_token_ttl_s = 2592000 (30 days) */
    int sse_keepalive_s;       /* sse_keepalive_s = 15 */
    int sse_max_backlog;       /* sse_max_backlog = 1000 events replayed on resume */
    int batch_max;             /* batch_max = 256 commands per transaction */
    bool synchronous_full;     /* synchronous = full | normal */
    int event_retention_days;  /* event_retention_days = 30 */
    char log_level[16];        /* log_level = info */
    /* virtual agent (issue 3) */
    bool bot;                /* bot = on | off */
    char bot_flows_dir[512]; /* bot_flows_dir = data/demo/flows (a subdirectory per tenant) */
    int bot_sweep_s;         /* bot_sweep_s = 60 */
    /* routing service (issue 4) */
    int presence_grace_ms; /* presence_grace_ms = 30000: stream gone this long → away */
};

/* Fills defaults. */
void config_defaults(struct parley_config *c);
/* Applies an INI file; unknown keys and bad values fail with err naming file, line and key. */
int config_load_file(struct parley_config *c, const char *path, struct parley_err *err);
/* Applies PARLEY_LISTEN, PARLEY_DB, … for every option. */
int config_load_env(struct parley_config *c, struct parley_err *err);
/* Sets one option by name ("listen", "max-body-bytes" and "max_body_bytes" both work).
 * An unknown name fails with PARLEY_ENOTFOUND, a bad value with PARLEY_EINVAL. */
int config_set(struct parley_config *c, const char *key, const char *value, struct parley_err *err);
/* Prints the option table (name, default, help) for --help. */
void config_print_help(void *stdio_file); /* a FILE * */
/* Prints the values of c as an INI file (`parley config`). */
void config_print_values(const struct parley_config *c, void *stdio_file);
/* Prints the option table as Markdown (the table in docs/configuration.md). */
void config_print_markdown(void *stdio_file);

#endif
