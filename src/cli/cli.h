/* The `parley` command line: one declarative table of subcommands (main.c), one cmd_*.c per
 * command, and the helpers they share (cmd_common.c) for flags, configuration and the store. */
#ifndef PARLEY_CLI_H
#define PARLEY_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/config.h"
#include "../core/core.h"
#include "../store/store.h"

/* Exit statuses of every command. */
enum {
    CLI_OK = 0,    /* done */
    CLI_FAIL = 1,  /* the command ran and failed (store, server, conflict) */
    CLI_USAGE = 2, /* unknown command or flag, missing or invalid argument or configuration */
};

struct cli_command;
/* argv[0] is the first argument after the command's name. Returns an exit status. */
typedef int (*cli_run_fn)(const struct cli_command *self, int argc, char **argv);

struct cli_command {
    const char *name;    /* "serve", "tenant create" (the words typed) */
    const char *summary; /* one line for `parley --help` */
    const char *usage;   /* synopsis after "parley <name>" */
    const char *options; /* option lines for `--help` (may be NULL) */
    cli_run_fn run;
};

/* The table (main.c), for `parley help`. */
extern const struct cli_command cli_commands[];
extern const size_t cli_commands_count;

/* ---- flags ------------------------------------------------------------------------------ */

/* One flag a command accepts. Values are borrowed from argv. */
struct cli_flag {
    const char *name; /* without the dashes: "admin-email" (also accepted as --admin_email) */
    bool required;
    const char *value; /* out: the value given, or NULL */
};

/* Parses --name VALUE and --name=VALUE into flags[]; every flag takes a value. --help prints
 * the command's help and sets *exit_status = CLI_OK; an unknown flag, a stray argument, a
 * missing value or a missing required flag prints a message and the usage and sets
 * CLI_USAGE. Returns true when the command should go on. */
bool cli_parse_flags(const struct cli_command *cmd, struct cli_flag *flags, size_t n_flags,
                     int argc, char **argv, int *exit_status);
/* The value of flag `name` after cli_parse_flags (NULL when absent). */
const char *cli_flag(const struct cli_flag *flags, size_t n_flags, const char *name);

/* ---- output ----------------------------------------------------------------------------- */

void cli_print_help(const struct cli_command *cmd, void *stdio_file);
/* "parley: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Usage error: message, then the command's usage line; returns CLI_USAGE. */
int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- configuration and store ------------------------------------------------------------ */

/* defaults → config_path (when not NULL) → PARLEY_* environment → --db (when not NULL).
 * Prints the error and returns CLI_USAGE when something is invalid. */
int cli_load_config(const char *config_path, const char *db, struct parley_config *cfg);
/* Opens the store at cfg->db (applying migrations). Prints the error; returns CLI_FAIL. */
int cli_open_store(const struct parley_config *cfg, struct store **out);
/* Runs one command to completion with actor "cli"; on failure prints "what: message".
 * Returns cmd->status. The caller still releases cmd. */
int cli_exec(struct store *s, struct store_cmd *cmd, const char *what);
/* Looks a tenant up by slug (printing "no tenant …" when missing). 0, or a PARLEY_E* code. */
int cli_find_tenant(struct store *s, const char *slug, struct tenant *out, struct arena *a);
/* Checks and lower-cases a staff email; prints the error. */
int cli_check_email(const char *flag, char *email, size_t size, const char *value);
/* Checks a password's length; prints the error. */
int cli_check_password(const char *flag, const char *password);

/* ---- commands --------------------------------------------------------------------------- */

int cmd_serve(const struct cli_command *self, int argc, char **argv);
int cmd_config(const struct cli_command *self, int argc, char **argv);
int cmd_migrate(const struct cli_command *self, int argc, char **argv);
int cmd_seed_demo(const struct cli_command *self, int argc, char **argv);
int cmd_tenant_create(const struct cli_command *self, int argc, char **argv);
int cmd_user_add(const struct cli_command *self, int argc, char **argv);
int cmd_token_create(const struct cli_command *self, int argc, char **argv);
/* NLU (intent detection): cmd_nlu.c */
int cmd_nlu_train(const struct cli_command *self, int argc, char **argv);
int cmd_nlu_eval(const struct cli_command *self, int argc, char **argv);
int cmd_nlu_predict(const struct cli_command *self, int argc, char **argv);
int cmd_bot_check_flows(const struct cli_command *self, int argc, char **argv); /* issue 3 */
/* staffing maths (wfm) */
int cmd_wfm_staff(const struct cli_command *self, int argc, char **argv);
int cmd_wfm_forecast(const struct cli_command *self, int argc, char **argv);

/* ---- the demo organisation ---------------------------------------------------------------- */

/* The demo organisation (seed_demo.c). Refuses (PARLEY_ECONFLICT) when tenant acme exists.
 * Progress and the demo log-ins go to stdout. */
int seed_demo(struct store *s, struct parley_err *err);
/* The demo's routing (seed_route.c): queues, routing profiles, SLA policies, business hours. */
int seed_demo_routing(struct store *s, int64_t tenant_id, struct parley_err *err);

/* NLU: trains the demo intent model from $PARLEY_DEMO_DIR/intents.csv (default data/demo, so
 * run from the repository root) and stores it for the tenant; prints one line. A missing file
 * is skipped with a note, not an error (seed_nlu.c). */
int seed_demo_nlu(struct store *s, int64_t tenant_id, struct parley_err *err);
/* staffing (wfm): eight weeks of arrivals per 30-minute interval for the demo tenant
 * (seed_wfm.c), ending at now; *contacts gets their total. */
int seed_demo_history(struct store *s, int64_t tenant_id, const char *time_zone, int64_t now,
                      int64_t *contacts, struct parley_err *err);

#define DEMO_PASSWORD "parley-demo"

/* The demo's people and conversation scripts (seed_data.c): static, read-only. */
struct demo_adviser {
    const char *email, *name;
    enum role role;
    const char *team;      /* team slug or NULL */
    const char *skills;    /* "billing:4,payments:3" */
    const char *languages; /* "en,cy" */
};

struct demo_customer {
    const char *name, *locale;
    int preferred_channel; /* enum channel or -1 */
    unsigned needs;        /* enum need bits */
    const char *needs_note;
    bool prefers_person;
    const char *identities; /* "email:a@example.com phone:+447700900101" (kind:value, spaces) */
    const char *consents;   /* "outage_updates:sms:yes marketing:email:no" */
};

struct demo_line {
    enum sender sender; /* SENDER__COUNT ends a script */
    bool internal;      /* a staff-only note */
    bool by_expert;     /* written by the swarmed expert, who joins the conversation */
    const char *text;   /* {first}: customer's first name, {agent}: adviser's, {device} */
};

#define DEMO_MAX_LINES 9

struct demo_script {
    const char *contact_reason, *subject;
    enum channel channel; /* where it starts (falls back to the customer's channels) */
    enum priority priority;
    const char *tags;  /* "billing,estimated-bill" */
    const char *skill; /* who can take it */
    unsigned need;     /* only for customers with one of these needs (0: anyone) */
    const char *lang;  /* only for customers whose locale starts with it (NULL: anyone) */
    int weight;        /* how often it comes up, relative to the others (0 counts as 1) */
    struct demo_line lines[DEMO_MAX_LINES];
};

extern const struct demo_adviser demo_advisers[];
extern const size_t demo_advisers_count;
extern const struct demo_customer demo_customers[];
extern const size_t demo_customers_count;
extern const struct demo_script demo_scripts[];
extern const size_t demo_scripts_count;

#endif
