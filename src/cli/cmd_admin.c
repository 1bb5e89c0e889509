/* Administration from the shell: `parley tenant create`, `parley user add` and
 * `parley token create`. Input is checked here first so mistakes are reported before the
 * database is opened; every write goes through store_exec with actor "cli". */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/password.h"
#include "../common/util.h"

#define DAY_MS     (24LL * 3600 * 1000)
#define N_FLAGS(f) (sizeof(f) / sizeof((f)[0]))

/* "billing:3,payments:2" → validated array in the arena: names of a-z, 0-9 and '_', levels
 * 1 to 5. Prints the error and returns NULL on bad input (with *bad set). */
static const char **parse_skills(struct arena *a, const char *list, size_t *n, bool *bad)
{
    *n = 0;
    *bad = false;
    const char **out = arena_alloc(a, CORE_MAX_LIST * sizeof(*out));
    if (out == NULL) return NULL;
    char buf[2048];
    snprintf(buf, sizeof(buf), "%s", list);
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(item, ':');
        bool ok = colon != NULL && colon > item && colon - item <= 40 && *n < CORE_MAX_LIST;
        for (char *p = item; ok && p < colon; p++)
            ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
        ok = ok && colon[1] >= '1' && colon[1] <= '5' && colon[2] == '\0';
        if (!ok) {
            cli_error("--skills: '%s' is not skill:level (a-z, 0-9, _ and a level from 1 to 5), "
                      "e.g. billing:3,payments:2",
                      item);
            *bad = true;
            return NULL;
        }
        out[(*n)++] = arena_strdup(a, item);
    }
    return out;
}

/* "en,cy" → validated array: 2-8 letters or '-' each (BCP 47 tags like "pt-BR"). */
static const char **parse_languages(struct arena *a, const char *list, size_t *n, bool *bad)
{
    *n = 0;
    *bad = false;
    const char **out = arena_alloc(a, CORE_MAX_LIST * sizeof(*out));
    if (out == NULL) return NULL;
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s", list);
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
        size_t len = strlen(item);
        bool ok = len >= 2 && len <= 8 && *n < CORE_MAX_LIST;
        for (char *p = item; ok && *p != '\0'; p++)
            ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '-';
        if (!ok) {
            cli_error("--languages: '%s' is not a language code such as en, cy or pt-BR", item);
            *bad = true;
            return NULL;
        }
        out[(*n)++] = arena_strdup(a, item);
    }
    return out;
}

static int check_slug(const char *flag, const char *slug)
{
    struct parley_err err = {0};
    if (core_check_slug(flag, slug, &err) != 0) {
        cli_error("--%s: %s", flag, err.message);
        return CLI_USAGE;
    }
    return CLI_OK;
}

int cmd_tenant_create(const struct cli_command *self, int argc, char **argv)
{
    struct cli_flag f[] = {{"config", false, NULL},     {"db", false, NULL},
                           {"slug", true, NULL},        {"name", true, NULL},
                           {"admin-email", true, NULL}, {"admin-password", true, NULL},
                           {"admin-name", false, NULL}, {"time-zone", false, NULL}};
    int status = CLI_OK;
    if (!cli_parse_flags(self, f, N_FLAGS(f), argc, argv, &status)) return status;
    const char *slug = f[2].value, *password = f[5].value;
    char email[CORE_MAX_IDENTITY + 1];
    if (check_slug("slug", slug) != CLI_OK ||
        cli_check_email("admin-email", email, sizeof(email), f[4].value) != 0 ||
        cli_check_password("admin-password", password) != 0)
        return CLI_USAGE;
    struct parley_config cfg;
    if ((status = cli_load_config(f[0].value, f[1].value, &cfg)) != CLI_OK) return status;

    char hash[PASSWORD_HASH_MAX];
    if (password_hash(password, hash) != 0) {
        cli_error("cannot hash the password (out of memory)");
        return CLI_FAIL;
    }
    struct store *store = NULL;
    if ((status = cli_open_store(&cfg, &store)) != CLI_OK) return status;
    struct store_cmd cmd;
    store_cmd_init(&cmd, STORE_CREATE_TENANT);
    static const char *languages[] = {"en"};
    cmd.in.create_tenant.tenant = (struct tenant){
        .slug = slug,
        .name = f[3].value,
        .time_zone = f[7].value != NULL ? f[7].value : "Europe/London",
    };
    cmd.in.create_tenant.admin = (struct user){
        .email = email,
        .name = f[6].value != NULL ? f[6].value : "Administrator",
        .role = ROLE_ADMIN,
        .languages = languages,
        .n_languages = 1,
        .active = true,
    };
    cmd.in.create_tenant.admin_password_hash = hash;
    status = CLI_FAIL;
    if (cli_exec(store, &cmd, "tenant create") == 0) {
        struct tenant t;
        printf("Created tenant %s (id %lld) with administrator %s (user id %lld).\n", slug,
               (long long)cmd.result_id, email, (long long)cmd.result_id2);
        if (cli_find_tenant(store, slug, &t, &cmd.arena) == 0)
            printf("Conversation references look like %s-10001.\n"
                   "Widget secret (signs visitor identities on your site; keep it private):\n"
                   "  %s\n",
                   t.ref_prefix, t.widget_secret);
        status = CLI_OK;
    }
    store_cmd_release(&cmd);
    store_close(store);
    return status;
}

int cmd_user_add(const struct cli_command *self, int argc, char **argv)
{
    struct cli_flag f[] = {{"config", false, NULL},    {"db", false, NULL},
                           {"tenant", true, NULL},     {"email", true, NULL},
                           {"name", true, NULL},       {"role", true, NULL},
                           {"password", true, NULL},   {"skills", false, NULL},
                           {"languages", false, NULL}, {"team", false, NULL}};
    int status = CLI_OK;
    if (!cli_parse_flags(self, f, N_FLAGS(f), argc, argv, &status)) return status;
    char email[CORE_MAX_IDENTITY + 1];
    int role = role_parse(f[5].value);
    if (role < 0) {
        cli_error("--role: '%s' is not a role; use admin, supervisor, agent or expert", f[5].value);
        return CLI_USAGE;
    }
    if (check_slug("tenant", f[2].value) != CLI_OK ||
        cli_check_email("email", email, sizeof(email), f[3].value) != 0 ||
        cli_check_password("password", f[6].value) != 0 ||
        (f[9].value != NULL && check_slug("team", f[9].value) != CLI_OK))
        return CLI_USAGE;

    struct store_cmd cmd;
    store_cmd_init(&cmd, STORE_CREATE_USER);
    struct user *u = &cmd.in.create_user.user;
    bool bad = false;
    if (f[7].value != NULL) u->skills = parse_skills(&cmd.arena, f[7].value, &u->n_skills, &bad);
    if (!bad && f[8].value != NULL)
        u->languages = parse_languages(&cmd.arena, f[8].value, &u->n_languages, &bad);
    struct parley_config cfg;
    if (bad || (status = cli_load_config(f[0].value, f[1].value, &cfg)) != CLI_OK) {
        store_cmd_release(&cmd);
        return CLI_USAGE;
    }
    char hash[PASSWORD_HASH_MAX];
    struct store *store = NULL;
    struct tenant t;
    status = CLI_FAIL;
    if (password_hash(f[6].value, hash) != 0) {
        cli_error("cannot hash the password (out of memory)");
    } else if (cli_open_store(&cfg, &store) == CLI_OK &&
               cli_find_tenant(store, f[2].value, &t, &cmd.arena) == 0) {
        cmd.tenant_id = t.id;
        u->tenant_id = t.id;
        u->email = email;
        u->name = f[4].value;
        u->role = (enum role)role;
        u->team = f[9].value;
        u->active = true;
        cmd.in.create_user.password_hash = hash;
        if (cli_exec(store, &cmd, "user add") == 0) {
            printf("Added %s %s (user id %lld) to tenant %s.\n", role_name(u->role), email,
                   (long long)cmd.result_id, t.slug);
            status = CLI_OK;
        }
    }
    store_cmd_release(&cmd);
    store_close(store);
    return status;
}

int cmd_token_create(const struct cli_command *self, int argc, char **argv)
{
    struct cli_flag f[] = {{"config", false, NULL}, {"db", false, NULL},
                           {"tenant", true, NULL},  {"email", true, NULL},
                           {"name", false, NULL},   {"expires-days", false, NULL}};
    int status = CLI_OK;
    if (!cli_parse_flags(self, f, N_FLAGS(f), argc, argv, &status)) return status;
    char email[CORE_MAX_IDENTITY + 1];
    if (check_slug("tenant", f[2].value) != CLI_OK ||
        cli_check_email("email", email, sizeof(email), f[3].value) != 0)
        return CLI_USAGE;
    long days = 0;
    if (f[5].value != NULL) {
        char *end = NULL;
        days = strtol(f[5].value, &end, 10);
        if (end == f[5].value || *end != '\0' || days < 1 || days > 3650) {
            cli_error("--expires-days: '%s' is not a number of days from 1 to 3650", f[5].value);
            return CLI_USAGE;
        }
    }
    const char *label = f[4].value != NULL ? f[4].value : "cli";
    struct parley_config cfg;
    if ((status = cli_load_config(f[0].value, f[1].value, &cfg)) != CLI_OK) return status;

    struct store *store = NULL;
    if ((status = cli_open_store(&cfg, &store)) != CLI_OK) return status;
    struct store_cmd cmd;
    store_cmd_init(&cmd, STORE_CREATE_API_TOKEN);
    struct tenant t;
    struct user u;
    const char *pw_hash = NULL;
    status = CLI_FAIL;
    if (cli_find_tenant(store, f[2].value, &t, &cmd.arena) == 0) {
        struct store_reader *r = NULL;
        struct parley_err err = {0};
        int rc = store_reader_open(store, &r, &err);
        if (rc == 0) rc = store_get_user_login(r, t.id, email, &u, &pw_hash, &cmd.arena, &err);
        store_reader_close(r);
        if (rc == PARLEY_ENOTFOUND)
            cli_error("no user %s in tenant %s (add one with `parley user add`)", email, t.slug);
        else if (rc != 0)
            cli_error("cannot look up %s: %s", email, err.message);
        else if (!u.active)
            cli_error("user %s is deactivated; a token for them would not work", email);
        else {
            /* "prl_" + 256 random bits; only the SHA-256 is stored, so it is shown once. */
            char token[4 + 64 + 1] = "prl_", token_hash[65];
            util_random_token(token + 4, sizeof(token) - 4, 32);
            util_sha256_hex(token, strlen(token), token_hash);
            cmd.tenant_id = t.id;
            cmd.in.create_api_token.user_id = u.id;
            cmd.in.create_api_token.name = label;
            cmd.in.create_api_token.token_hash = token_hash;
            cmd.in.create_api_token.expires_at =
                days > 0 ? util_now_ms() + (int64_t)days * DAY_MS : 0;
            if (cli_exec(store, &cmd, "token create") == 0) {
                char expiry[48] = "never expires";
                if (days > 0) snprintf(expiry, sizeof(expiry), "expires in %ld days", days);
                printf("%s\n", token);
                fprintf(stderr,
                        "API token %lld '%s' for %s (%s) in tenant %s, %s. This is the only "
                        "time it is shown: only its SHA-256 is stored.\n",
                        (long long)cmd.result_id, label, email, role_name(u.role), t.slug, expiry);
                status = CLI_OK;
            }
            explicit_bzero(token, sizeof(token));
        }
    }
    store_cmd_release(&cmd);
    store_close(store);
    return status;
}
