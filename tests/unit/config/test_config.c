/* Unit tests for src/common/config.c: defaults, the INI file, environment over file, flags over
 * environment, unknown keys and bad values named in the error, and the docs table in sync. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/err.h"

/* Every PARLEY_* variable an option reads, cleared before each test so the caller's
 * environment cannot leak in. */
static const char *const env_vars[] = {
    "PARLEY_LISTEN",
    "PARLEY_DB",
    "PARLEY_THREADS",
    "PARLEY_MAX_BODY_BYTES",
    "PARLEY_MAX_MESSAGE_BYTES",
    "PARLEY_MAX_CONNECTIONS",
    "PARLEY_SESSION_TTL_S",
    "PARLEY_VISITOR_TOKEN_TTL_S",
    "PARLEY_SSE_KEEPALIVE_S",
    "PARLEY_SSE_MAX_BACKLOG",
    "PARLEY_BATCH_MAX",
    "PARLEY_SYNCHRONOUS",
    "PARLEY_EVENT_RETENTION_DAYS",
    "PARLEY_LOG_LEVEL",
};

static int clear_env(void **state)
{
    for (size_t i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++) unsetenv(env_vars[i]);
    return 0;
}

/* Writes text to a fresh temporary file; the caller unlinks path. */
static void write_temp(char path[64], const char *text)
{
    snprintf(path, 64, "/tmp/parley-config-test-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void defaults_match_the_documented_values(void **state)
{
    struct parley_config c;
    config_defaults(&c);
    assert_string_equal(c.listen, "127.0.0.1:8080");
    assert_string_equal(c.db, "var/parley.db");
    assert_int_equal(c.threads, 0);
    assert_int_equal(c.max_body_bytes, 1048576);
    assert_int_equal(c.max_message_bytes, 16384);
    assert_int_equal(c.max_connections, 20000);
    assert_int_equal(c.session_ttl_s, 43200);
    assert_int_equal(c.visitor_token_ttl_s, 2592000);
    assert_int_equal(c.sse_keepalive_s, 15);
    assert_int_equal(c.sse_max_backlog, 1000);
    assert_int_equal(c.batch_max, 256);
    assert_true(c.synchronous_full);
    assert_int_equal(c.event_retention_days, 30);
    assert_string_equal(c.log_level, "info");
}

static void file_sets_keys_at_top_level_and_under_server(void **state)
{
    char path[64];
    write_temp(path, "; Parley test\n"
                     "# comment\n"
                     "threads = 4\n"
                     "db = \"/tmp/with space.db\"\n"
                     "\n"
                     "[server]\n"
                     "listen = 0.0.0.0:9090 ; inline comment\n"
                     "max_body_bytes = 2048\n"
                     "synchronous = normal\n"
                     "log_level = debug\n");
    struct parley_config c;
    struct parley_err err = {0};
    config_defaults(&c);
    assert_int_equal(config_load_file(&c, path, &err), 0);
    unlink(path);
    assert_int_equal(c.threads, 4);
    assert_string_equal(c.db, "/tmp/with space.db");
    assert_string_equal(c.listen, "0.0.0.0:9090");
    assert_int_equal(c.max_body_bytes, 2048);
    assert_false(c.synchronous_full);
    assert_string_equal(c.log_level, "debug");
    assert_int_equal(c.batch_max, 256); /* untouched keys keep their defaults */
}

static void environment_overrides_file(void **state)
{
    char path[64];
    write_temp(path, "threads = 4\nlisten = 127.0.0.1:7000\n");
    setenv("PARLEY_THREADS", "8", 1);
    struct parley_config c;
    struct parley_err err = {0};
    config_defaults(&c);
    assert_int_equal(config_load_file(&c, path, &err), 0);
    assert_int_equal(config_load_env(&c, &err), 0);
    unlink(path);
    assert_int_equal(c.threads, 8);
    assert_string_equal(c.listen, "127.0.0.1:7000");
}

static void flag_overrides_environment(void **state)
{
    setenv("PARLEY_MAX_BODY_BYTES", "4096", 1);
    setenv("PARLEY_LOG_LEVEL", "warn", 1);
    struct parley_config c;
    struct parley_err err = {0};
    config_defaults(&c);
    assert_int_equal(config_load_env(&c, &err), 0);
    assert_int_equal(c.max_body_bytes, 4096);
    assert_int_equal(config_set(&c, "max-body-bytes", "8192", &err), 0);
    assert_int_equal(c.max_body_bytes, 8192);
    assert_int_equal(config_set(&c, "max_body_bytes", "16384", &err), 0);
    assert_int_equal(c.max_body_bytes, 16384);
    assert_string_equal(c.log_level, "warn");
}

static void unknown_key_names_file_line_and_key(void **state)
{
    char path[64];
    write_temp(path, "threads = 2\n\n[server]\nmax_bdy_bytes = 10\n");
    struct parley_config c;
    struct parley_err err = {0};
    config_defaults(&c);
    assert_int_equal(config_load_file(&c, path, &err), PARLEY_EINVAL);
    char expect[128];
    snprintf(expect, sizeof(expect), "%s:4: unknown key \"max_bdy_bytes\"", path);
    assert_non_null(strstr(err.message, expect));
    assert_string_equal(err.field, "max_bdy_bytes");
    assert_int_equal(c.threads, 0); /* a refused file changes nothing */
    unlink(path);

    /* unknown section, duplicate key, a line without '=' */
    write_temp(path, "[database]\npath = x\n");
    assert_int_equal(config_load_file(&c, path, &err), PARLEY_EINVAL);
    assert_non_null(strstr(err.message, ":2: unknown section [database]"));
    unlink(path);
    write_temp(path, "threads = 1\nthreads = 2\n");
    assert_int_equal(config_load_file(&c, path, &err), PARLEY_EINVAL);
    assert_non_null(strstr(err.message, ":2: threads is already set on line 1"));
    unlink(path);
    /* keys are checked before values: the unknown key is reported, not the bad port */
    write_temp(path, "listen = 127.0.0.1:0\nno_such_setting = 5\n");
    assert_int_equal(config_load_file(&c, path, &err), PARLEY_EINVAL);
    assert_non_null(strstr(err.message, ":2: unknown key \"no_such_setting\""));
    unlink(path);
    write_temp(path, "threads = 1\nnonsense\n");
    assert_int_equal(config_load_file(&c, path, &err), PARLEY_EINVAL);
    assert_non_null(strstr(err.message, ":2: cannot parse line"));
    unlink(path);

    assert_int_equal(config_load_file(&c, "/nonexistent/parley.ini", &err), PARLEY_EINVAL);
    assert_non_null(strstr(err.message, "/nonexistent/parley.ini"));
    assert_int_equal(config_set(&c, "no-such-option", "1", &err), PARLEY_ENOTFOUND);
    assert_non_null(strstr(err.message, "no-such-option"));
}

static void bad_value_names_the_key(void **state)
{
    struct parley_config c;
    struct parley_err err = {0};
    config_defaults(&c);

    static const struct {
        const char *key, *value;
    } bad[] = {
        {"threads", "65"},          {"threads", "-1"},
        {"threads", "four"},        {"threads", ""},
        {"threads", "4 "},          {"listen", "8080"},
        {"listen", "host:0"},       {"listen", "host:65536"},
        {"listen", ":80"},          {"listen", "a b:80"},
        {"listen", "[::1]80"},      {"db", ""},
        {"max_body_bytes", "0"},    {"max_body_bytes", "99999999999999999999"},
        {"log_level", "verbose"},   {"synchronous", "off"},
        {"batch_max", "0"},         {"session_ttl_s", "59"},
        {"sse_keepalive_s", "301"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        parley_err_clear(&err);
        assert_int_equal(config_set(&c, bad[i].key, bad[i].value, &err), PARLEY_EINVAL);
        assert_string_equal(err.field, bad[i].key);
        assert_non_null(strstr(err.message, bad[i].key));
    }
    /* nothing was changed by the refused values */
    struct parley_config d;
    config_defaults(&d);
    assert_memory_equal(&c, &d, sizeof(c));

    assert_int_equal(config_set(&c, "listen", "[::1]:8443", &err), 0);
    assert_int_equal(config_set(&c, "listen", "localhost:1", &err), 0);
    assert_int_equal(config_set(&c, "threads", "64", &err), 0);

    /* in a file: file, line and key */
    char path[64];
    write_temp(path, "[server]\nlisten = 127.0.0.1:8080\nthreads = 99\n");
    assert_int_equal(config_load_file(&c, path, &err), PARLEY_EINVAL);
    char expect[128];
    snprintf(expect, sizeof(expect), "%s:3: threads must be", path);
    assert_non_null(strstr(err.message, expect));
    assert_string_equal(err.field, "threads");
    unlink(path);

    /* in the environment: the variable */
    setenv("PARLEY_SYNCHRONOUS", "sometimes", 1);
    assert_int_equal(config_load_env(&c, &err), PARLEY_EINVAL);
    assert_non_null(strstr(err.message, "PARLEY_SYNCHRONOUS"));
    assert_string_equal(err.field, "synchronous");
}

/* docs/configuration.md must carry the table the code prints (run from the repo root). */
static void docs_table_matches_the_option_table(void **state)
{
    FILE *docs = fopen("docs/configuration.md", "r");
    if (docs == NULL) skip();
    static char text[65536];
    size_t n = fread(text, 1, sizeof(text) - 1, docs);
    text[n] = '\0';
    fclose(docs);

    char *table = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&table, &len);
    assert_non_null(mem);
    config_print_markdown(mem);
    fclose(mem);
    if (strstr(text, table) == NULL) {
        fprintf(stderr, "docs/configuration.md is out of date; its table should read:\n%s", table);
        fail();
    }
    free(table);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(defaults_match_the_documented_values, clear_env),
        cmocka_unit_test_setup(file_sets_keys_at_top_level_and_under_server, clear_env),
        cmocka_unit_test_setup(environment_overrides_file, clear_env),
        cmocka_unit_test_setup(flag_overrides_environment, clear_env),
        cmocka_unit_test_setup(unknown_key_names_file_line_and_key, clear_env),
        cmocka_unit_test_setup(bad_value_names_the_key, clear_env),
        cmocka_unit_test_setup(docs_table_matches_the_option_table, clear_env),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
