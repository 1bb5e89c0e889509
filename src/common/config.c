/* The configuration table and everything it drives: defaults, the INI file (libinih), PARLEY_*
 * environment variables, command-line flags, validation, `parley serve --help`, the effective
 * values (`parley config`) and the Markdown table in docs/configuration.md. */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum opt_kind {
    OPT_TEXT,   /* char[] field; min is the shortest length accepted */
    OPT_INT,    /* int field, min..max */
    OPT_INT64,  /* int64_t field, min..max */
    OPT_CHOICE, /* char[] field holding one of choices */
    OPT_SWITCH, /* bool field; choices "yes-name|no-name": the first word means true */
};

struct option {
    const char *name; /* file key; PARLEY_<NAME>; --name, dashes or underscores */
    enum opt_kind kind;
    size_t offset, size; /* the field in struct parley_config */
    const char *def;     /* default, as text: applied through the same parser, so it is valid */
    int64_t min, max;
    const char *choices; /* "debug|info|warn|error" for OPT_CHOICE and OPT_SWITCH */
    int (*check)(const char *value, const char *where, const char *key, struct parley_err *err);
    const char *metavar; /* what --help shows after the flag */
    const char *help;
};

#define FIELD(f) offsetof(struct parley_config, f), sizeof(((struct parley_config *)0)->f)
#define MIB      (1024 * 1024)

static int check_listen(const char *v, const char *where, const char *key, struct parley_err *err);

/* The one table. Order here is the order of --help, `parley config` and the docs. */
static const struct option options[] = {
    {"listen", OPT_TEXT, FIELD(listen), "127.0.0.1:8080", 3, 0, NULL, check_listen, "HOST:PORT",
     "Address and port the HTTP server listens on: host:port or [ipv6]:port (port 1-65535). "
     "Use 0.0.0.0:PORT to listen on every interface."},
    {"db", OPT_TEXT, FIELD(db), "var/parley.db", 1, 0, NULL, NULL, "FILE",
     "SQLite database file; created (with its schema) when missing."},
    {"threads", OPT_INT, FIELD(threads), "0", 0, 64, NULL, NULL, "N",
     "HTTP event-loop threads; 0 means one per CPU core."},
    {"max_body_bytes", OPT_INT64, FIELD(max_body_bytes), "1048576", 1024, 64 * MIB, NULL, NULL,
     "BYTES", "Largest request body accepted; bigger requests get 413 payload_too_large."},
    {"max_message_bytes", OPT_INT64, FIELD(max_message_bytes), "16384", 16, MIB, NULL, NULL,
     "BYTES", "Largest message body (UTF-8 bytes) in a conversation."},
    {"max_connections", OPT_INT, FIELD(max_connections), "20000", 1, 1000000, NULL, NULL, "N",
     "Most open client connections (live streams included) before new ones wait in the kernel "
     "accept queue."},
    {"session_ttl_s", OPT_INT, FIELD(session_ttl_s), "43200", 60, 31536000, NULL, NULL, "SECONDS",
     "Lifetime of a staff log-in session token."},
    {"visitor_token_ttl_s", OPT_INT, FIELD(visitor_token_ttl_s), "2592000", 60, 31536000, NULL,
     NULL, "SECONDS", "Lifetime of a web-widget visitor token."},
    {"sse_keepalive_s", OPT_INT, FIELD(sse_keepalive_s), "15", 1, 300, NULL, NULL, "SECONDS",
     "Interval between keep-alive comments on idle live streams."},
    {"sse_max_backlog", OPT_INT, FIELD(sse_max_backlog), "1000", 1, 100000, NULL, NULL, "N",
     "Most missed events replayed when a live stream resumes with Last-Event-ID."},
    {"batch_max", OPT_INT, FIELD(batch_max), "256", 1, 10000, NULL, NULL, "N",
     "Most write commands committed together in one transaction (group commit)."},
    {"synchronous", OPT_SWITCH, FIELD(synchronous_full), "full", 0, 0, "full|normal", NULL, "MODE",
     "full: every commit reaches the disk before it is acknowledged. normal: faster, but the "
     "last commits may be lost on power failure (tests and benches only)."},
    {"event_retention_days", OPT_INT, FIELD(event_retention_days), "30", 1, 3650, NULL, NULL,
     "DAYS", "How long the event log (live-stream resume) and idempotency keys are kept."},
    {"log_level", OPT_CHOICE, FIELD(log_level), "info", 0, 0, "debug|info|warn|error", NULL,
     "LEVEL", "Least severe log level written to stderr."},
    /* virtual agent (issue 3) */
    {"bot", OPT_SWITCH, FIELD(bot), "on", 0, 0, "on|off", NULL, "SWITCH",
     "Run the virtual agent: new widget conversations start with the bot when the "
     "organisation's bot policy is enabled. off: they go straight to the queue."},
    {"bot_flows_dir", OPT_TEXT, FIELD(bot_flows_dir), "data/demo/flows", 1, 0, NULL, NULL, "DIR",
     "Directory of bot flows: one subdirectory per organisation, named by its slug "
     "(data/demo/flows/acme/*.json for the demo). Files are re-read when they change."},
    {"bot_sweep_s", OPT_INT, FIELD(bot_sweep_s), "60", 1, 3600, NULL, NULL, "SECONDS",
     "How often the bot resolves conversations whose customer did not come back after an "
     "answer (the policy's resolve_after_s)."},
    /* routing service (issue 4) */
    {"presence_grace_ms", OPT_INT, FIELD(presence_grace_ms), "30000", 100, 3600000, NULL, NULL,
     "MS",
     "How long an online adviser's last live stream may stay closed before the routing "
     "service marks them away (automatic); a stream opening again brings them back online."},
};
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

/* ---- lookup and parsing ----------------------------------------------------------------- */

/* "max-body-bytes", "max_body_bytes" and "MAX_BODY_BYTES" all name the same option. */
static const struct option *find_option(const char *key)
{
    char norm[64];
    size_t n = strlen(key);
    if (n == 0 || n >= sizeof(norm)) return NULL;
    for (size_t i = 0; i <= n; i++) {
        char ch = key[i];
        if (ch == '-') ch = '_';
        if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
        norm[i] = ch;
    }
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (strcmp(options[i].name, norm) == 0) return &options[i];
    return NULL;
}

/* Index of value in a "a|b|c" list, or -1. */
static int choice_index(const char *choices, const char *value)
{
    size_t vlen = strlen(value);
    int idx = 0;
    for (const char *p = choices; *p != '\0'; idx++) {
        const char *bar = strchr(p, '|');
        size_t len = bar != NULL ? (size_t)(bar - p) : strlen(p);
        if (len == vlen && vlen > 0 && strncmp(p, value, len) == 0) return idx;
        if (bar == NULL) break;
        p = bar + 1;
    }
    return -1;
}

/* Strict decimal integer: optional '-', digits only, no spaces, no overflow. */
static bool parse_int64(const char *s, int64_t *out)
{
    const char *p = s;
    if (*p == '-') p++;
    if (*p == '\0') return false;
    for (; *p != '\0'; p++)
        if (*p < '0' || *p > '9') return false;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno == ERANGE) return false;
    *out = (int64_t)v;
    return true;
}

static bool host_char_ok(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '-' || ch == '_';
}

static int check_listen(const char *v, const char *where, const char *key, struct parley_err *err)
{
    const char *colon;
    bool ok = true;
    if (v[0] == '[') { /* [ipv6]:port */
        const char *close = strchr(v, ']');
        ok = close != NULL && close > v + 1 && close[1] == ':';
        for (const char *p = v + 1; ok && p < close; p++)
            ok = (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F') ||
                 *p == ':' || *p == '.';
        colon = ok ? close + 1 : NULL;
    } else {
        colon = strrchr(v, ':');
        ok = colon != NULL && colon > v;
        for (const char *p = v; ok && p < colon; p++) ok = host_char_ok(*p);
    }
    int64_t port = 0;
    if (ok) ok = parse_int64(colon + 1, &port) && port >= 1 && port <= 65535;
    if (!ok)
        return parley_fail(err, PARLEY_EINVAL, key,
                           "%s%s must be host:port or [ipv6]:port with a port from 1 to 65535 "
                           "(got \"%s\")",
                           where, key, v);
    return 0;
}

/* Parses value for opt and stores it. where ("parley.ini:7: ", "PARLEY_THREADS: " or "")
 * prefixes error messages so a person knows which source to fix. */
static int apply(struct parley_config *c, const struct option *opt, const char *value,
                 const char *where, struct parley_err *err)
{
    char *field = (char *)c + opt->offset;
    int64_t v;
    int idx;

    if (value == NULL)
        return parley_fail(err, PARLEY_EINVAL, opt->name, "%s%s needs a value", where, opt->name);
    switch (opt->kind) {
    case OPT_TEXT:
        if ((int64_t)strlen(value) < opt->min)
            return parley_fail(err, PARLEY_EINVAL, opt->name, "%s%s must not be empty", where,
                               opt->name);
        if (strlen(value) >= opt->size)
            return parley_fail(err, PARLEY_EINVAL, opt->name, "%s%s is longer than %zu characters",
                               where, opt->name, opt->size - 1);
        if (opt->check != NULL) {
            int rc = opt->check(value, where, opt->name, err);
            if (rc != 0) return rc;
        }
        memcpy(field, value, strlen(value) + 1);
        return 0;
    case OPT_INT:
    case OPT_INT64:
        if (!parse_int64(value, &v) || v < opt->min || v > opt->max)
            return parley_fail(err, PARLEY_EINVAL, opt->name,
                               "%s%s must be a whole number from %lld to %lld (got \"%s\")", where,
                               opt->name, (long long)opt->min, (long long)opt->max, value);
        if (opt->kind == OPT_INT) {
            int iv = (int)v;
            memcpy(field, &iv, sizeof(iv));
        } else {
            memcpy(field, &v, sizeof(v));
        }
        return 0;
    case OPT_CHOICE:
    case OPT_SWITCH:
        idx = choice_index(opt->choices, value);
        if (idx < 0)
            return parley_fail(err, PARLEY_EINVAL, opt->name, "%s%s must be one of %s (got \"%s\")",
                               where, opt->name, opt->choices, value);
        if (opt->kind == OPT_SWITCH) {
            bool b = idx == 0;
            memcpy(field, &b, sizeof(b));
        } else {
            memcpy(field, value, strlen(value) + 1); /* choices are short: checked by the test */
        }
        return 0;
    }
    return parley_fail(err, PARLEY_EINTERNAL, opt->name, "option %s has no parser", opt->name);
}

/* ---- public entry points ---------------------------------------------------------------- */

void config_defaults(struct parley_config *c)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < N_OPTIONS; i++) (void)apply(c, &options[i], options[i].def, "", NULL);
}

int config_set(struct parley_config *c, const char *key, const char *value, struct parley_err *err)
{
    const struct option *opt = find_option(key);
    if (opt == NULL) return parley_fail(err, PARLEY_ENOTFOUND, key, "unknown option \"%s\"", key);
    return apply(c, opt, value, "", err);
}

int config_load_env(struct parley_config *c, struct parley_err *err)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        char var[80], where[96];
        int n = snprintf(var, sizeof(var), "PARLEY_%s", options[i].name);
        for (int k = 7; k < n; k++)
            if (var[k] >= 'a' && var[k] <= 'z') var[k] = (char)(var[k] - 'a' + 'A');
        const char *value = getenv(var);
        if (value == NULL) continue;
        snprintf(where, sizeof(where), "environment %s: ", var);
        int rc = apply(c, &options[i], value, where, err);
        if (rc != 0) return rc;
    }
    return 0;
}

/* ---- the INI file ----------------------------------------------------------------------- */

struct file_ctx {
    struct parley_config *c;
    struct parley_err *err;
    const char *path;
    FILE *f;
    int line;            /* line the parser is on (1-based) */
    bool line_done;      /* the last chunk read ended a line */
    int failed;          /* first error already in err */
    bool values;         /* second pass: apply values (the first checks keys only) */
    int seen[N_OPTIONS]; /* line where each key was set, 0 when not yet */
};

/* fgets-style reader for ini_parse_stream: counts lines, so messages can name them. */
static char *read_line(char *str, int num, void *stream)
{
    struct file_ctx *x = stream;
    if (x->line_done) x->line++;
    char *s = fgets(str, num, x->f);
    if (s == NULL) return NULL;
    size_t len = strlen(s);
    x->line_done = len > 0 && s[len - 1] == '\n';
    if (!x->line_done && len == (size_t)num - 1) {
        int next = getc(x->f);
        if (next != EOF) ungetc(next, x->f);
        if (next != EOF && next != '\n' && next != '\r' && !x->failed) {
            x->failed =
                parley_fail(x->err, PARLEY_EINVAL, NULL, "%s:%d: line is longer than %d characters",
                            x->path, x->line, num - 2);
        }
    }
    return s;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    struct file_ctx *x = user;
    char where[600];
    if (x->failed) return 0; /* keep the first error */
    snprintf(where, sizeof(where), "%s:%d: ", x->path, x->line);
    if (section[0] != '\0' && strcasecmp(section, "server") != 0) {
        x->failed = parley_fail(x->err, PARLEY_EINVAL, name,
                                "%sunknown section [%s] (keys go at the top of the file or under "
                                "[server])",
                                where, section);
        return 0;
    }
    const struct option *opt = find_option(name);
    if (opt == NULL || strcmp(opt->name, name) != 0) { /* the file spells keys exactly */
        x->failed = parley_fail(x->err, PARLEY_EINVAL, name,
                                "%sunknown key \"%s\" (see `parley serve --help`)", where, name);
        return 0;
    }
    size_t idx = (size_t)(opt - options);
    if (!x->values && x->seen[idx] != 0) {
        x->failed = parley_fail(x->err, PARLEY_EINVAL, opt->name, "%s%s is already set on line %d",
                                where, opt->name, x->seen[idx]);
        return 0;
    }
    x->seen[idx] = x->line;
    if (!x->values) return 1;

    /* One pair of surrounding double quotes is removed, for paths with spaces. */
    char unquoted[1024];
    size_t len = strlen(value);
    if (len >= 2 && value[0] == '"' && value[len - 1] == '"' && len - 2 < sizeof(unquoted)) {
        memcpy(unquoted, value + 1, len - 2);
        unquoted[len - 2] = '\0';
        value = unquoted;
    }
    int rc = apply(x->c, opt, value, where, x->err);
    if (rc != 0) {
        x->failed = rc;
        return 0;
    }
    return 1;
}

/* One pass over the file; rc as ini_parse_stream's. */
static int parse_pass(struct file_ctx *x, bool values)
{
    rewind(x->f);
    x->line = 0;
    x->line_done = true;
    x->values = values;
    return ini_parse_stream(read_line, x, on_key, x);
}

int config_load_file(struct parley_config *c, const char *path, struct parley_err *err)
{
    struct file_ctx x;
    memset(&x, 0, sizeof(x));
    x.err = err;
    x.path = path;
    x.f = fopen(path, "r");
    if (x.f == NULL)
        return parley_fail(err, PARLEY_EINVAL, "config", "cannot open config file %s: %s", path,
                           strerror(errno));
    /* Keys (sections, unknown or repeated keys) are checked over the whole file before any
     * value: a misspelt key is the likelier mistake and often explains a value. Values go
     * into a copy, so a file that fails half-way leaves c untouched. */
    struct parley_config work = *c;
    x.c = &work;
    int rc = parse_pass(&x, false);
    if (rc == 0 && !x.failed && !ferror(x.f)) rc = parse_pass(&x, true);
    bool read_error = ferror(x.f) != 0;
    fclose(x.f);
    if (x.failed) return x.failed;
    if (read_error)
        return parley_fail(err, PARLEY_EIO, "config", "cannot read config file %s", path);
    if (rc > 0)
        return parley_fail(err, PARLEY_EINVAL, "config",
                           "%s:%d: cannot parse line (expected key = value or [server])", path, rc);
    if (rc < 0) return parley_fail(err, PARLEY_ENOMEM, "config", "out of memory reading %s", path);
    *c = work;
    return 0;
}

/* ---- help, values and docs --------------------------------------------------------------- */

static void env_name(const struct option *opt, char *out, size_t size)
{
    int n = snprintf(out, size, "PARLEY_%s", opt->name);
    for (int k = 7; k < n && (size_t)k < size; k++)
        if (out[k] >= 'a' && out[k] <= 'z') out[k] = (char)(out[k] - 'a' + 'A');
}

static void flag_name(const struct option *opt, char *out, size_t size)
{
    snprintf(out, size, "--%s", opt->name);
    for (char *p = out + 2; *p != '\0'; p++)
        if (*p == '_') *p = '-';
}

static void describe_range(const struct option *opt, char *out, size_t size)
{
    switch (opt->kind) {
    case OPT_INT:
    case OPT_INT64:
        snprintf(out, size, "%lld to %lld", (long long)opt->min, (long long)opt->max);
        break;
    case OPT_CHOICE:
    case OPT_SWITCH: { /* "a|b" reads as "a, b" (and a bar would break a Markdown table) */
        size_t k = 0;
        for (const char *p = opt->choices; *p != '\0' && k + 3 < size; p++) {
            if (*p == '|') {
                out[k++] = ',';
                out[k++] = ' ';
            } else {
                out[k++] = *p;
            }
        }
        out[k] = '\0';
        break;
    }
    case OPT_TEXT:
        snprintf(out, size, "%s%zu characters at most", opt->check != NULL ? "host:port, " : "",
                 opt->size - 1);
        break;
    }
}

/* Prints text word-wrapped to 92 columns, each line indented. */
static void print_wrapped(FILE *f, const char *text, int indent)
{
    const int width = 92;
    const char *p = text;
    while (*p != '\0') {
        int room = width - indent, len = (int)strlen(p);
        if (len > room) {
            len = room;
            while (len > 0 && p[len] != ' ') len--;
            if (len == 0) len = room;
        }
        fprintf(f, "%*s%.*s\n", indent, "", len, p);
        p += len;
        while (*p == ' ') p++;
    }
}

void config_print_help(void *stdio_file)
{
    FILE *f = stdio_file;
    fprintf(f, "Configuration options. Each one is a key in the config file (at the top or under\n"
               "[server]), an environment variable and a flag (dashes or underscores).\n"
               "Precedence: defaults < --config file < environment < flags.\n\n");
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct option *opt = &options[i];
        char flag[80], env[80], range[96], line[512];
        flag_name(opt, flag, sizeof(flag));
        env_name(opt, env, sizeof(env));
        describe_range(opt, range, sizeof(range));
        fprintf(f, "  %s %s\n", flag, opt->metavar);
        print_wrapped(f, opt->help, 6);
        snprintf(line, sizeof(line), "default %s; allowed %s; file key %s; env %s", opt->def, range,
                 opt->name, env);
        print_wrapped(f, line, 6);
    }
}

void config_print_values(const struct parley_config *c, void *stdio_file)
{
    FILE *f = stdio_file;
    fprintf(f, "[server]\n");
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct option *opt = &options[i];
        const char *field = (const char *)c + opt->offset;
        switch (opt->kind) {
        case OPT_TEXT:
        case OPT_CHOICE:
            fprintf(f, "%s = %s\n", opt->name, field);
            break;
        case OPT_INT: {
            int v;
            memcpy(&v, field, sizeof(v));
            fprintf(f, "%s = %d\n", opt->name, v);
            break;
        }
        case OPT_INT64: {
            int64_t v;
            memcpy(&v, field, sizeof(v));
            fprintf(f, "%s = %lld\n", opt->name, (long long)v);
            break;
        }
        case OPT_SWITCH: {
            bool b;
            memcpy(&b, field, sizeof(b));
            const char *bar = strchr(opt->choices, '|');
            if (bar == NULL) break;
            if (b)
                fprintf(f, "%s = %.*s\n", opt->name, (int)(bar - opt->choices), opt->choices);
            else
                fprintf(f, "%s = %s\n", opt->name, bar + 1);
            break;
        }
        }
    }
}

void config_print_markdown(void *stdio_file)
{
    FILE *f = stdio_file;
    fprintf(f, "| key | environment | flag | default | allowed | meaning |\n");
    fprintf(f, "| --- | --- | --- | --- | --- | --- |\n");
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct option *opt = &options[i];
        char flag[80], env[80], range[96];
        flag_name(opt, flag, sizeof(flag));
        env_name(opt, env, sizeof(env));
        describe_range(opt, range, sizeof(range));
        fprintf(f, "| `%s` | `%s` | `%s %s` | `%s` | %s | %s |\n", opt->name, env, flag,
                opt->metavar, opt->def, range, opt->help);
    }
}
