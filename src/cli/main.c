/* `parley`: the one binary. main() finds the subcommand in the declarative table below (one
 * entry per command: name, summary, usage, options, function) and runs it. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/util.h"

#define DB_OPTIONS                                                                                 \
    "  --config FILE      read settings (db, synchronous …) from this INI file\n"                \
    "  --db FILE          database file (default: the config's db, else var/parley.db)\n"

static int cmd_help(const struct cli_command *self, int argc, char **argv);

const struct cli_command cli_commands[] = {
    {"serve", "Run the HTTP server: REST API, live streams and the status page.",
     "[--config FILE] [--db FILE] [--listen HOST:PORT] [--threads N] [--OPTION VALUE]...",
     "  --config FILE      INI file read before the environment and the flags\n"
     "  --OPTION VALUE     any configuration option below, as --name VALUE or --name=VALUE\n",
     cmd_serve},
    {"config", "Check a configuration and print the values it resolves to.",
     "[--config FILE] [--OPTION VALUE]... [--markdown]",
     "  --config FILE      INI file to check\n"
     "  --OPTION VALUE     any configuration option (see `parley serve --help`)\n"
     "  --markdown         print the option table as Markdown instead\n",
     cmd_config},
    {"migrate", "Create the database or bring its schema up to date.",
     "[--config FILE] [--db FILE]", DB_OPTIONS, cmd_migrate},
    {"seed-demo",
     "Create the Acme Energy demo organisation: staff, customers and 30 days of conversations.",
     "[--config FILE] [--db FILE]", DB_OPTIONS, cmd_seed_demo},
    {"tenant create", "Create an organisation (tenant) and its first administrator.",
     "[--db FILE] --slug SLUG --name NAME --admin-email EMAIL --admin-password PASSWORD",
     DB_OPTIONS
     "  --slug SLUG        short name: 2-32 of a-z, 0-9 and '-', starting with a letter\n"
     "  --name NAME        the organisation's display name\n"
     "  --admin-email EMAIL, --admin-password PASSWORD (8-256 characters)\n"
     "                     the first administrator's log-in\n"
     "  --admin-name NAME  the administrator's display name (default: Administrator)\n"
     "  --time-zone TZ     IANA time zone for business hours (default: Europe/London)\n",
     cmd_tenant_create},
    {"user add", "Add a staff member (adviser, supervisor, expert or administrator) to a tenant.",
     "[--db FILE] --tenant SLUG --email EMAIL --name NAME --role ROLE --password PASSWORD "
     "[--skills LIST] [--languages LIST] [--team SLUG]",
     DB_OPTIONS "  --tenant SLUG      the organisation\n"
                "  --email EMAIL      log-in email, unique in the tenant\n"
                "  --name NAME        display name\n"
                "  --role ROLE        admin, supervisor, agent or expert\n"
                "  --password PW      8-256 characters, stored as an argon2id hash\n"
                "  --skills LIST      skill:level pairs, level 1-5: billing:3,payments:2\n"
                "  --languages LIST   language codes: en,cy\n"
                "  --team SLUG        the team they belong to\n",
     cmd_user_add},
    {"token create", "Create an API token for a staff member (printed once, stored hashed).",
     "[--db FILE] --tenant SLUG --email EMAIL [--name LABEL] [--expires-days N]",
     DB_OPTIONS "  --tenant SLUG      the organisation\n"
                "  --email EMAIL      the staff member the token acts as\n"
                "  --name LABEL       what the token is for (default: cli)\n"
                "  --expires-days N   expiry in days, 1-3650 (default: never)\n",
     cmd_token_create},
    /* NLU (intent detection) */
    {"nlu train",
     "Train an intent model from CSV or Rasa YAML, into a file or a tenant's database.",
     "(--csv FILE | --rasa FILE) (--out MODEL | --tenant SLUG [--db FILE] [--config FILE]) [--c C]",
     "  --csv FILE         training data: header text,label (UTF-8; label oos = out of scope)\n"
     "  --rasa FILE        training data as Rasa NLU YAML (nlu: / - intent: / examples: |)\n"
     "  --out MODEL        write the model to this file\n"
     "  --tenant SLUG      store the model as the tenant's newest version (the bot swaps it in)\n"
     "  --db FILE, --config FILE\n"
     "                     the database for --tenant (default: the config's db)\n"
     "  --c C              liblinear's cost (default 30)\n",
     cmd_nlu_train},
    {"nlu eval", "Evaluate an intent model on a labelled CSV: per-intent precision and recall.",
     "--model MODEL --csv FILE",
     "  --model MODEL      a model written by `parley nlu train --out`\n"
     "  --csv FILE         held-out data with header text,label (may be all oos)\n"
     "                     the last lines are accuracy:, macro_f1: and (with oos rows) "
     "oos_recall:\n",
     cmd_nlu_eval},
    {"nlu predict", "Classify one text: the top 3 intents with probabilities, as JSON.",
     "--model MODEL \"TEXT\"",
     "  --model MODEL      a model written by `parley nlu train --out`\n"
     "  TEXT (or --text TEXT)\n"
     "                     the customer's message\n",
     cmd_nlu_predict},
    /* virtual agent (issue 3) */
    {"bot check-flows", "Validate bot flow files (errors with file and line).", "--dir DIR",
     "  --dir DIR          a flow directory: its *.json files and those of each subdirectory\n"
     "                     (one per organisation, as bot_flows_dir lays them out)\n",
     cmd_bot_check_flows},
    /* staffing maths (wfm) */
    {"wfm staff", "Advisers needed for a service-level target (Erlang C, or Erlang A).",
     "--calls-per-hour V --aht SECONDS [--target 80/20] [--patience SECONDS] [--concurrency N] "
     "[--shrinkage PERCENT]",
     "  --calls-per-hour V   contacts arriving per hour (0-100000)\n"
     "  --aht SECONDS        average handling time of one contact, talk plus wrap-up\n"
     "  --target P/S         P% answered within S seconds (default 80/20)\n"
     "  --patience SECONDS   mean time before a waiting caller abandons: uses Erlang A\n"
     "                       (without it, Erlang C: nobody abandons)\n"
     "  --concurrency N      chats an adviser handles at once (default 1); --aht is then\n"
     "                       the duration of one chat at that concurrency\n"
     "  --shrinkage PERCENT  time lost to breaks, training, absence (0-90, default 0)\n",
     cmd_wfm_staff},
    {"wfm forecast",
     "Forecast contacts per half hour from the tenant's history, with the agents needed.",
     "[--db FILE] --tenant SLUG [--days 7] [--channel CH] [--aht SECONDS] [--target 80/20] "
     "[--patience S] [--concurrency N] [--shrinkage PERCENT] [--show days|intervals]",
     DB_OPTIONS "  --tenant SLUG      the organisation (its time zone shapes the days)\n"
                "  --days N           whole days ahead from the next local midnight, 1-28\n"
                "                     (default 7)\n"
                "  --channel CH       web, portal, email, sms, whatsapp, device, api, or all\n"
                "                     (default)\n"
                "  --aht SECONDS      handling time (default: from history, else 300)\n"
                "  --target, --patience, --concurrency, --shrinkage\n"
                "                     as for `parley wfm staff`\n"
                "  --show WHAT        days: a summary per day (default); intervals: every\n"
                "                     half hour as well\n",
     cmd_wfm_forecast},
    {"help", "Show help for parley or for one command.", "[COMMAND]", NULL, cmd_help},
};
const size_t cli_commands_count = sizeof(cli_commands) / sizeof(cli_commands[0]);

static void print_main_help(FILE *f)
{
    fprintf(f,
            "usage: parley <command> [options]\n\n"
            "Parley %s: an omnichannel customer-service engine.\n\nCommands:\n",
            PARLEY_VERSION);
    for (size_t i = 0; i < cli_commands_count; i++)
        fprintf(f, "  %-15s %s\n", cli_commands[i].name, cli_commands[i].summary);
    fprintf(f, "\nOptions:\n  --help           this help ('parley <command> --help' for a "
               "command's)\n  --version        print the version\n");
}

/* Length of the first word of a command name ("tenant" in "tenant create"). */
static size_t first_word_len(const char *name)
{
    const char *space = strchr(name, ' ');
    return space != NULL ? (size_t)(space - name) : strlen(name);
}

static bool first_word_is(const struct cli_command *c, const char *word)
{
    size_t len = first_word_len(c->name);
    return strlen(word) == len && strncmp(c->name, word, len) == 0;
}

/* Finds the command named by argv[0] (and argv[1] for two-word commands). *used says how
 * many words matched. NULL when none matches; *group is set when argv[0] is the first word
 * of some two-word command. */
static const struct cli_command *find_command(int argc, char **argv, int *used, bool *group)
{
    *group = false;
    for (size_t i = 0; i < cli_commands_count; i++) {
        const struct cli_command *c = &cli_commands[i];
        if (!first_word_is(c, argv[0])) continue;
        if (c->name[first_word_len(c->name)] == '\0') {
            *used = 1;
            return c;
        }
        *group = true;
        if (argc > 1 && strcmp(c->name + first_word_len(c->name) + 1, argv[1]) == 0) {
            *used = 2;
            return c;
        }
    }
    return NULL;
}

static void print_group_help(FILE *f, const char *word)
{
    fprintf(f, "Commands starting with '%s':\n", word);
    for (size_t i = 0; i < cli_commands_count; i++)
        if (first_word_is(&cli_commands[i], word))
            fprintf(f, "  parley %s %s\n", cli_commands[i].name, cli_commands[i].usage);
}

static int cmd_help(const struct cli_command *self, int argc, char **argv)
{
    if (argc == 0) {
        print_main_help(stdout);
        return CLI_OK;
    }
    if (argv[0][0] == '-' && strcmp(argv[0], "--help") != 0 && strcmp(argv[0], "-h") != 0)
        return cli_usage_error(self, "unknown option '%s' for 'help'", argv[0]);
    if (argv[0][0] == '-') {
        cli_print_help(self, stdout);
        return CLI_OK;
    }
    int used = 0;
    bool group = false;
    const struct cli_command *c = find_command(argc, argv, &used, &group);
    if (c != NULL && used == argc) {
        cli_print_help(c, stdout);
        return CLI_OK;
    }
    if (group && argc == 1) {
        print_group_help(stdout, argv[0]);
        return CLI_OK;
    }
    return cli_usage_error(self, "no command '%s'", argv[0]);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_main_help(stderr);
        return CLI_USAGE;
    }
    const char *first = argv[1];
    if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0) {
        print_main_help(stdout);
        return CLI_OK;
    }
    if (strcmp(first, "--version") == 0 || strcmp(first, "-V") == 0) {
        printf("parley %s\n", PARLEY_VERSION);
        return CLI_OK;
    }
    if (first[0] == '-') {
        fprintf(stderr, "parley: unknown option '%s'\n", first);
        fprintf(stderr, "usage: parley <command> [options]\nTry 'parley --help'.\n");
        return CLI_USAGE;
    }
    if (util_crypto_init() != 0) {
        fprintf(stderr, "parley: cannot initialise libsodium\n");
        return CLI_FAIL;
    }

    int used = 0;
    bool group = false;
    const struct cli_command *cmd = find_command(argc - 1, argv + 1, &used, &group);
    if (cmd == NULL && group) {
        const char *second = argc > 2 ? argv[2] : NULL;
        if (second != NULL && (strcmp(second, "--help") == 0 || strcmp(second, "-h") == 0)) {
            print_group_help(stdout, first);
            return CLI_OK;
        }
        if (second != NULL)
            fprintf(stderr, "parley: unknown command '%s %s'\n", first, second);
        else
            fprintf(stderr, "parley: '%s' needs a subcommand\n", first);
        print_group_help(stderr, first);
        return CLI_USAGE;
    }
    if (cmd == NULL) {
        fprintf(stderr, "parley: unknown command '%s'\n", first);
        print_main_help(stderr);
        return CLI_USAGE;
    }
    return cmd->run(cmd, argc - 1 - used, argv + 1 + used);
}
