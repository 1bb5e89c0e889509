/* `parley seed-demo`: builds the Acme Energy demo organisation from the tables in seed_data.c.
 * Choices come from a fixed-seed pseudo-random sequence, so every run makes the same people,
 * customers and conversations (times are relative to the moment of seeding). */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "../common/password.h"
#include "../common/util.h"

#define SECOND_MS          1000LL
#define MINUTE_MS          (60 * SECOND_MS)
#define HOUR_MS            (60 * MINUTE_MS)
#define DAY_MS             (24 * HOUR_MS)
#define DEMO_CONVERSATIONS 50
#define DEMO_HISTORY_DAYS  30
#define DEMO_SEED          0x5EED2024ACE1ULL
#define MAX_PEOPLE         32

struct seed {
    struct store *store;
    struct parley_err *err;
    uint64_t rng;
    int64_t now;
    int64_t tenant_id;
    int64_t adviser_ids[MAX_PEOPLE];
    int64_t customer_ids[MAX_PEOPLE];
    int n_consents, n_conversations, n_messages;
};

/* splitmix64: small, fast and the same everywhere. */
static uint64_t next_random(struct seed *sd)
{
    uint64_t z = (sd->rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Uniform-enough integer in [lo, hi]. */
static int64_t between(struct seed *sd, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(next_random(sd) % (uint64_t)(hi - lo + 1));
}

/* Runs one command for the demo tenant; on failure fills sd->err with what went wrong. */
static int run(struct seed *sd, struct store_cmd *cmd, const char *what)
{
    if (cmd->tenant_id == 0) cmd->tenant_id = sd->tenant_id;
    cmd->actor = "cli";
    int rc = store_exec(sd->store, cmd);
    if (rc != 0)
        parley_fail(sd->err, rc, cmd->err.field, "%s: %s", what,
                    cmd->err.message[0] != '\0' ? cmd->err.message : parley_err_code_name(rc));
    return rc;
}

/* "a,b,c" → {"a","b","c"} in the arena. */
static const char **split_list(struct arena *a, const char *list, size_t *n)
{
    *n = 0;
    if (list == NULL || *list == '\0') return NULL;
    size_t cap = 1;
    for (const char *p = list; *p != '\0'; p++) cap += *p == ',';
    const char **out = arena_alloc(a, cap * sizeof(*out));
    if (out == NULL) return NULL;
    const char *p = list;
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        out[(*n)++] = arena_strndup(a, p, len);
        p += len + (comma != NULL);
    }
    return out;
}

/* The value of the customer's first identity of kind ("device" …) into out; false if none. */
static bool find_identity(const char *ids, const char *kind, char *out, size_t size)
{
    size_t klen = strlen(kind);
    for (const char *p = ids; p != NULL && *p != '\0';) {
        const char *end = strchr(p, ' ');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        if (len > klen && strncmp(p, kind, klen) == 0 && p[klen] == ':') {
            snprintf(out, size, "%.*s", (int)(len - klen - 1), p + klen + 1);
            return true;
        }
        p = end != NULL ? end + 1 : NULL;
    }
    return false;
}

static bool has_identity(const struct demo_customer *c, const char *kind)
{
    char value[CORE_MAX_IDENTITY + 1];
    return find_identity(c->identities, kind, value, sizeof(value));
}

/* The identity kind a channel reaches a customer through. */
static const char *kind_for_channel(enum channel ch)
{
    switch (ch) {
    case CHANNEL_WEB:
        return "web_visitor";
    case CHANNEL_SMS:
        return "phone";
    case CHANNEL_WHATSAPP:
        return "whatsapp";
    case CHANNEL_DEVICE:
        return "device";
    default:
        return "email"; /* email, portal (a logged-in customer), api */
    }
}

/* "Rhian Jones" → "Rhian". */
static void first_name(const char *name, char *out, size_t size)
{
    const char *space = strchr(name, ' ');
    snprintf(out, size, "%.*s", space != NULL ? (int)(space - name) : (int)strlen(name), name);
}

/* Script text with {first}, {agent} and {device} filled in. */
static char *fill(struct arena *a, const char *tpl, const char *first, const char *agent,
                  const char *device)
{
    char out[2048];
    size_t k = 0;
    for (const char *p = tpl; *p != '\0' && k + 1 < sizeof(out);) {
        const char *word = NULL;
        size_t skip = 0;
        if (strncmp(p, "{first}", 7) == 0)
            word = first, skip = 7;
        else if (strncmp(p, "{agent}", 7) == 0)
            word = agent, skip = 7;
        else if (strncmp(p, "{device}", 8) == 0)
            word = device, skip = 8;
        if (word != NULL) {
            size_t len = strlen(word);
            if (k + len >= sizeof(out)) break;
            memcpy(out + k, word, len);
            k += len;
            p += skip;
        } else {
            out[k++] = *p++;
        }
    }
    out[k] = '\0';
    return arena_strdup(a, out);
}

/* ---- organisation, staff, customers --------------------------------------------------- */

static int create_tenant(struct seed *sd, const char *admin_hash)
{
    struct store_cmd cmd;
    store_cmd_init(&cmd, STORE_CREATE_TENANT); /* the store makes the widget secret and keys */
    int64_t since = sd->now - 400 * DAY_MS;
    cmd.in.create_tenant.tenant = (struct tenant){
        .slug = "acme",
        .name = "Acme Energy",
        .ref_prefix = "ACME",
        .time_zone = "Europe/London",
        .created_at = since,
    };
    static const char *admin_languages[] = {"en"};
    cmd.in.create_tenant.admin = (struct user){
        .email = "admin@acme.example",
        .name = "Jordan Ellis",
        .role = ROLE_ADMIN,
        .languages = admin_languages,
        .n_languages = 1,
        .active = true,
        .created_at = since,
    };
    cmd.in.create_tenant.admin_password_hash = admin_hash;
    int rc = run(sd, &cmd, "creating tenant acme");
    if (rc == 0) sd->tenant_id = cmd.result_id;
    store_cmd_release(&cmd);
    return rc;
}

static int create_teams(struct seed *sd)
{
    static const struct {
        const char *slug, *name;
    } teams[] = {{"billing", "Billing & Payments"}, {"support", "Care & Vulnerability"}};
    for (size_t i = 0; i < sizeof(teams) / sizeof(teams[0]); i++) {
        struct store_cmd cmd;
        store_cmd_init(&cmd, STORE_CREATE_TEAM);
        cmd.in.create_team =
            (struct team){.tenant_id = sd->tenant_id, .slug = teams[i].slug, .name = teams[i].name};
        int rc = run(sd, &cmd, "creating a team");
        store_cmd_release(&cmd);
        if (rc != 0) return rc;
    }
    return 0;
}

static int create_advisers(struct seed *sd)
{
    for (size_t i = 0; i < demo_advisers_count && i < MAX_PEOPLE; i++) {
        const struct demo_adviser *d = &demo_advisers[i];
        char hash[PASSWORD_HASH_MAX];
        if (password_hash(DEMO_PASSWORD, hash) != 0)
            return parley_fail(sd->err, PARLEY_ENOMEM, NULL, "cannot hash a password");
        struct store_cmd cmd;
        store_cmd_init(&cmd, STORE_CREATE_USER);
        struct user *u = &cmd.in.create_user.user;
        u->tenant_id = sd->tenant_id;
        u->email = d->email;
        u->name = d->name;
        u->role = d->role;
        u->skills = split_list(&cmd.arena, d->skills, &u->n_skills);
        u->languages = split_list(&cmd.arena, d->languages, &u->n_languages);
        u->team = d->team;
        u->active = true;
        u->created_at = sd->now - between(sd, 90, 365) * DAY_MS;
        cmd.in.create_user.password_hash = hash;
        int rc = run(sd, &cmd, d->email);
        sd->adviser_ids[i] = cmd.result_id;
        store_cmd_release(&cmd);
        if (rc != 0) return rc;
    }
    return 0;
}

static int create_consents(struct seed *sd, int64_t customer_id, const char *list, int64_t at)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", list != NULL ? list : "");
    char *save = NULL;
    for (char *item = strtok_r(buf, " ", &save); item != NULL; item = strtok_r(NULL, " ", &save)) {
        char *ch = strchr(item, ':');
        char *yes = ch != NULL ? strchr(ch + 1, ':') : NULL;
        if (yes == NULL) continue;
        *ch++ = '\0';
        *yes++ = '\0';
        int purpose = consent_purpose_parse(item), channel = channel_parse(ch);
        if (purpose < 0 || channel < 0)
            return parley_fail(sd->err, PARLEY_EINTERNAL, NULL, "bad demo consent %s:%s", item, ch);
        struct store_cmd cmd;
        store_cmd_init(&cmd, STORE_SET_CONSENT);
        cmd.in.set_consent = (struct consent){
            .tenant_id = sd->tenant_id,
            .customer_id = customer_id,
            .purpose = (enum consent_purpose)purpose,
            .channel = (enum channel)channel,
            .granted = strcmp(yes, "yes") == 0,
            .source = "import",
            .at = at,
        };
        int rc = run(sd, &cmd, "recording a consent");
        store_cmd_release(&cmd);
        if (rc != 0) return rc;
        sd->n_consents++;
    }
    return 0;
}

static int create_customer(struct seed *sd, size_t idx)
{
    const struct demo_customer *d = &demo_customers[idx];
    struct store_cmd cmd;
    store_cmd_init(&cmd, STORE_CREATE_CUSTOMER);
    int64_t since = sd->now - between(sd, 45, 400) * DAY_MS - between(sd, 0, 23) * HOUR_MS;

    /* identities: "kind:value kind:value" */
    struct identity *ids = arena_alloc(&cmd.arena, 8 * sizeof(*ids));
    size_t n = 0;
    for (const char *p = d->identities; ids != NULL && p != NULL && *p != '\0' && n < 8;) {
        const char *end = strchr(p, ' ');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        const char *colon = memchr(p, ':', len);
        char kind[32];
        snprintf(kind, sizeof(kind), "%.*s", colon != NULL ? (int)(colon - p) : 0, p);
        int k = identity_kind_parse(kind);
        if (colon == NULL || k < 0) {
            store_cmd_release(&cmd);
            return parley_fail(sd->err, PARLEY_EINTERNAL, NULL, "bad demo identity %.*s", (int)len,
                               p);
        }
        ids[n++] = (struct identity){
            .tenant_id = sd->tenant_id,
            .kind = (enum identity_kind)k,
            .value = arena_strndup(&cmd.arena, colon + 1, len - (size_t)(colon + 1 - p)),
            .verified = k != IDENTITY_WEB_VISITOR,
            .created_at = since,
        };
        p = end != NULL ? end + 1 : NULL;
    }
    cmd.in.create_customer.customer = (struct customer){
        .tenant_id = sd->tenant_id,
        .name = d->name,
        .locale = d->locale,
        .time_zone = "Europe/London",
        .preferred_channel = d->preferred_channel,
        .needs = d->needs,
        .needs_note = d->needs_note,
        .prefers_person = d->prefers_person,
        .created_at = since,
        .updated_at = since,
    };
    cmd.in.create_customer.identities = ids;
    cmd.in.create_customer.n_identities = n;
    int rc = run(sd, &cmd, d->name);
    sd->customer_ids[idx] = cmd.result_id;
    store_cmd_release(&cmd);
    if (rc != 0) return rc;
    return create_consents(sd, sd->customer_ids[idx], d->consents,
                           since + between(sd, 1, 30) * MINUTE_MS);
}

/* ---- conversations ---------------------------------------------------------------------- */

static bool customer_fits(const struct demo_customer *c, const struct demo_script *sc)
{
    if (sc->need != 0 && (c->needs & sc->need) == 0) return false;
    if (sc->lang != NULL && strncmp(c->locale, sc->lang, strlen(sc->lang)) != 0) return false;
    if (sc->channel == CHANNEL_DEVICE && !has_identity(c, "device")) return false;
    return true;
}

static bool list_has(const char *list, const char *word)
{
    size_t len = strlen(word);
    for (const char *p = list; p != NULL && *p != '\0';) {
        if (strncmp(p, word, len) == 0 && (p[len] == ':' || p[len] == ',' || p[len] == '\0'))
            return true;
        p = strchr(p, ',');
        if (p != NULL) p++;
    }
    return false;
}

/* An adviser (not the expert) with the script's skill, speaking the script's language;
 * customers with needs go to the specialist team when it has someone. */
static int pick_adviser(struct seed *sd, const struct demo_script *sc,
                        const struct demo_customer *c)
{
    int candidates[MAX_PEOPLE], n = 0;
    /* pass 0: the specialist team for customers with needs; 1: anyone suitable; 2: any
     * language */
    for (int pass = c->needs != 0 ? 0 : 1; pass < 3 && n == 0; pass++) {
        for (size_t i = 0; i < demo_advisers_count && i < MAX_PEOPLE; i++) {
            const struct demo_adviser *d = &demo_advisers[i];
            if (d->role == ROLE_EXPERT || !list_has(d->skills, sc->skill)) continue;
            if (pass < 2 && sc->lang != NULL && !list_has(d->languages, sc->lang)) continue;
            if (pass == 0 && (d->team == NULL || strcmp(d->team, "support") != 0)) continue;
            candidates[n++] = (int)i;
        }
    }
    return n > 0 ? candidates[between(sd, 0, n - 1)] : 0;
}

static int expert_index(void)
{
    for (size_t i = 0; i < demo_advisers_count; i++)
        if (demo_advisers[i].role == ROLE_EXPERT) return (int)i;
    return -1;
}

static enum channel conversation_channel(const struct demo_script *sc,
                                         const struct demo_customer *c)
{
    if (has_identity(c, kind_for_channel(sc->channel))) return sc->channel;
    if (c->preferred_channel >= 0) return (enum channel)c->preferred_channel;
    return CHANNEL_EMAIL;
}

/* How a conversation of this age ends up: open ones stop early, old ones are closed. */
static enum conv_status pick_status(struct seed *sd, int days_ago, bool has_agent, bool has_bot)
{
    if (days_ago <= 2) {
        if (!has_agent) return CONV_BOT;
        switch (between(sd, 0, has_bot ? 3 : 2)) {
        case 0:
            return CONV_QUEUED;
        case 1:
            return CONV_ASSIGNED;
        case 2:
            return CONV_PENDING_CUSTOMER;
        default:
            return CONV_BOT;
        }
    }
    if (days_ago < 7)
        return has_agent && between(sd, 0, 3) == 0 ? CONV_PENDING_CUSTOMER : CONV_RESOLVED;
    return between(sd, 0, 4) == 0 ? CONV_RESOLVED : CONV_CLOSED;
}

/* The gap before a line, from who wrote it and who wrote the one before. */
static int64_t gap_before(struct seed *sd, const struct demo_line *line,
                          const struct demo_line *prev, bool first_agent)
{
    if (prev == NULL) return 0;
    switch (line->sender) {
    case SENDER_BOT:
        return between(sd, 2, 8) * SECOND_MS;
    case SENDER_SYSTEM:
        return between(sd, 1, 5) * SECOND_MS;
    case SENDER_AGENT:
        if (line->internal) return between(sd, 1, 10) * MINUTE_MS;
        if (first_agent) return between(sd, 4, 95) * MINUTE_MS;
        return prev->sender == SENDER_AGENT ? between(sd, 1, 4) * MINUTE_MS
                                            : between(sd, 2, 30) * MINUTE_MS;
    default:
        return prev->sender == SENDER_CUSTOMER ? between(sd, 1, 3) * MINUTE_MS
                                               : between(sd, 3, 240) * MINUTE_MS;
    }
}

struct conv_plan {
    const struct demo_script *sc;
    size_t customer;
    int days_ago;
    enum conv_status status;
    int owner, expert; /* adviser indexes, -1 when none */
    size_t n_lines;    /* lines of the script used */
    bool queue_note;   /* add "waiting for an adviser" */
};

static int add_message(struct seed *sd, int64_t conv_id, enum sender sender, int64_t author,
                       enum channel ch, bool internal, const char *body, int64_t at)
{
    struct store_cmd cmd;
    store_cmd_init(&cmd, STORE_CREATE_MESSAGE);
    cmd.in.create_message = (struct message){
        .tenant_id = sd->tenant_id,
        .conversation_id = conv_id,
        .sender = sender,
        .author_id = author,
        .channel = ch,
        .internal = internal,
        .body = body,
        .created_at = at,
    };
    int rc = run(sd, &cmd, "adding a message");
    store_cmd_release(&cmd);
    if (rc == 0) sd->n_messages++;
    return rc;
}

static int create_conversation(struct seed *sd, const struct conv_plan *pl)
{
    const struct demo_customer *c = &demo_customers[pl->customer];
    const struct demo_script *sc = pl->sc;
    int64_t customer_id = sd->customer_ids[pl->customer];
    enum channel ch = conversation_channel(sc, c);
    int64_t created =
        sd->now - (int64_t)pl->days_ago * DAY_MS - between(sd, 20, 9 * 60) * MINUTE_MS;
    char first[64], agent[64], device[CORE_MAX_IDENTITY + 1] = "";
    first_name(c->name, first, sizeof(first));
    first_name(pl->owner >= 0 ? demo_advisers[pl->owner].name : "an adviser", agent, sizeof(agent));
    (void)find_identity(c->identities, "device", device, sizeof(device));

    struct store_cmd cmd;
    store_cmd_init(&cmd, STORE_CREATE_CONVERSATION);
    struct conversation *cv = &cmd.in.create_conversation.conversation;
    enum priority prio = sc->priority;
    if (c->needs != 0 && c->prefers_person && prio == PRIORITY_NORMAL) prio = PRIORITY_HIGH;
    int64_t assignees[2];
    size_t n_assignees = 0;
    if (pl->owner >= 0) assignees[n_assignees++] = sd->adviser_ids[pl->owner];
    if (pl->expert >= 0) assignees[n_assignees++] = sd->adviser_ids[pl->expert];
    /* It opens as it did then (with the bot, or waiting in the queue); the history is
     * written into it, and only then does it reach its final state. */
    bool bot_first = pl->n_lines > 1 && sc->lines[1].sender == SENDER_BOT;
    *cv = (struct conversation){
        .tenant_id = sd->tenant_id,
        .customer_id = customer_id,
        .status = bot_first ? CONV_BOT : CONV_QUEUED,
        .priority = prio,
        .subject = sc->subject,
        .contact_reason = sc->contact_reason,
        .channel = ch,
        .created_at = created,
    };
    cv->tags = split_list(&cmd.arena, sc->tags, &cv->n_tags);
    cmd.in.create_conversation.set = SET_STATUS | SET_PRIORITY;
    int rc = run(sd, &cmd, "creating a conversation");
    int64_t conv_id = cmd.result_id;
    store_cmd_release(&cmd);
    if (rc != 0) return rc;
    sd->n_conversations++;

    /* the messages, spaced like a real exchange and never in the future */
    int64_t t = created, first_response = 0;
    const struct demo_line *prev = NULL;
    for (size_t k = 0; k < pl->n_lines; k++) {
        const struct demo_line *line = &sc->lines[k];
        bool first_agent = line->sender == SENDER_AGENT && !line->internal && first_response == 0;
        t += gap_before(sd, line, prev, first_agent);
        int64_t latest = sd->now - (int64_t)(pl->n_lines - k + 1) * MINUTE_MS;
        if (t > latest) t = latest;
        if (first_agent) first_response = t;
        int64_t author = 0;
        if (line->sender == SENDER_CUSTOMER) author = customer_id;
        if (line->sender == SENDER_AGENT)
            author = sd->adviser_ids[line->by_expert && pl->expert >= 0
                                         ? pl->expert
                                         : (pl->owner >= 0 ? pl->owner : 0)];
        /* Device alarms arrive from the meter; people answer on the customer's own channel.
         * A web chat may carry on over WhatsApp once an adviser has answered. */
        enum channel mch = ch;
        if (ch == CHANNEL_DEVICE && line->sender != SENDER_SYSTEM)
            mch = c->preferred_channel >= 0 ? (enum channel)c->preferred_channel : CHANNEL_EMAIL;
        if (ch == CHANNEL_WEB && line->sender == SENDER_CUSTOMER && first_response != 0 &&
            has_identity(c, "whatsapp"))
            mch = CHANNEL_WHATSAPP;
        struct arena a;
        arena_init(&a);
        char *body = fill(&a, line->text, first, agent, device);
        rc = body != NULL
                 ? add_message(sd, conv_id, line->sender, author, mch, line->internal, body, t)
                 : parley_fail(sd->err, PARLEY_ENOMEM, NULL, "out of memory");
        arena_free(&a);
        if (rc != 0) return rc;
        prev = line;
    }
    if (pl->queue_note) {
        char note[160];
        snprintf(note, sizeof(note), "Waiting for the next adviser with %s skills.", sc->skill);
        t += between(sd, 1, 5) * SECOND_MS;
        if (t > sd->now - SECOND_MS) t = sd->now - SECOND_MS;
        rc = add_message(sd, conv_id, SENDER_SYSTEM, 0, ch, false, note, t);
        if (rc != 0) return rc;
    }

    /* final state, with the history's own timestamps: resolved (and later closed) cases
     * get both moments */
    int64_t resolved_at = 0, closed_at = 0;
    enum conv_status first_state = pl->status;
    if (pl->status == CONV_RESOLVED || pl->status == CONV_CLOSED) {
        first_state = CONV_RESOLVED;
        resolved_at = t + between(sd, 2, 30) * MINUTE_MS;
        if (resolved_at > sd->now) resolved_at = sd->now;
    }
    if (pl->status == CONV_CLOSED) {
        closed_at = resolved_at + between(sd, 3, 6) * DAY_MS;
        if (closed_at > sd->now) closed_at = sd->now;
    }
    store_cmd_init(&cmd, STORE_UPDATE_CONVERSATION);
    cv = &cmd.in.update_conversation.conversation;
    *cv = (struct conversation){
        .id = conv_id,
        .status = first_state,
        .assignees = assignees,
        .n_assignees = n_assignees,
        .updated_at = resolved_at != 0 ? resolved_at : t,
    };
    cmd.in.update_conversation.set = SET_STATUS | SET_ASSIGNEES;
    rc = run(sd, &cmd, "updating a conversation");
    store_cmd_release(&cmd);
    if (rc != 0 || closed_at == 0) return rc;

    store_cmd_init(&cmd, STORE_UPDATE_CONVERSATION);
    cmd.in.update_conversation.conversation =
        (struct conversation){.id = conv_id, .status = CONV_CLOSED, .updated_at = closed_at};
    cmd.in.update_conversation.set = SET_STATUS;
    rc = run(sd, &cmd, "closing a conversation");
    store_cmd_release(&cmd);
    return rc;
}

/* Decides script, customer, age, status and people for conversation i. */
static void plan_conversation(struct seed *sd, int i, struct conv_plan *pl)
{
    memset(pl, 0, sizeof(*pl));
    pl->days_ago = (DEMO_HISTORY_DAYS - 1) - (i * DEMO_HISTORY_DAYS) / DEMO_CONVERSATIONS;
    size_t fits[MAX_PEOPLE] = {0}, n = 0;
    if ((size_t)i < demo_scripts_count) {
        /* every script once, for a customer it suits */
        pl->sc = &demo_scripts[i];
        for (size_t c = 0; c < demo_customers_count && n < MAX_PEOPLE; c++)
            if (customer_fits(&demo_customers[c], pl->sc)) fits[n++] = c;
        pl->customer = n > 0 ? fits[between(sd, 0, (int64_t)n - 1)] : 0;
    } else {
        /* then a customer at random, with a script that suits them: common reasons come up
         * more often (weight) */
        size_t pool[256], n_pool = 0;
        pl->customer = (size_t)between(sd, 0, (int64_t)demo_customers_count - 1);
        for (size_t s = 0; s < demo_scripts_count; s++) {
            if (!customer_fits(&demo_customers[pl->customer], &demo_scripts[s])) continue;
            for (int w = 0; w < (demo_scripts[s].weight > 0 ? demo_scripts[s].weight : 1); w++)
                if (n_pool < 256) pool[n_pool++] = s;
        }
        pl->sc = &demo_scripts[n_pool > 0 ? pool[between(sd, 0, (int64_t)n_pool - 1)] : 0];
    }
    const struct demo_script *sc = pl->sc;

    size_t total = 0, first_agent = DEMO_MAX_LINES;
    for (; total < DEMO_MAX_LINES && sc->lines[total].sender != SENDER__COUNT; total++)
        if (sc->lines[total].sender == SENDER_AGENT && first_agent == DEMO_MAX_LINES)
            first_agent = total;
    bool has_agent = first_agent < DEMO_MAX_LINES;
    bool has_bot = total > 1 && sc->lines[1].sender == SENDER_BOT;
    pl->status = pick_status(sd, pl->days_ago, has_agent, has_bot);
    pl->owner = has_agent ? pick_adviser(sd, sc, &demo_customers[pl->customer]) : -1;
    pl->expert = -1;
    pl->n_lines = total;
    switch (pl->status) {
    case CONV_BOT:
        pl->n_lines = total < 2 ? total : 2;
        break;
    case CONV_QUEUED:
        pl->n_lines = first_agent;
        pl->queue_note = true;
        pl->owner = -1;
        break;
    case CONV_ASSIGNED:
    case CONV_PENDING_CUSTOMER:
        pl->n_lines = first_agent + 1;
        break;
    default:
        break;
    }
    for (size_t k = 0; k < pl->n_lines; k++)
        if (sc->lines[k].by_expert) pl->expert = expert_index();
}

/* ---- entry point ------------------------------------------------------------------------ */

/* Reads tenant slug into t (strings in a). PARLEY_ENOTFOUND when there is none. */
static int read_tenant(struct store *s, const char *slug, struct tenant *t, struct arena *a,
                       struct parley_err *err)
{
    struct store_reader *r = NULL;
    int rc = store_reader_open(s, &r, err);
    if (rc == 0) rc = store_get_tenant_by_slug(r, slug, t, a, err);
    store_reader_close(r);
    return rc;
}

int seed_demo(struct store *s, struct parley_err *err)
{
    struct seed sd = {.store = s, .err = err, .rng = DEMO_SEED, .now = util_now_ms()};
    struct tenant t;
    struct arena a;
    arena_init(&a);
    int rc = read_tenant(s, "acme", &t, &a, err);
    arena_free(&a);
    if (rc == 0)
        return parley_fail(err, PARLEY_ECONFLICT, "tenant",
                           "tenant 'acme' already exists in this database: the demo is already "
                           "seeded (use a fresh --db to seed it again)");
    if (rc != PARLEY_ENOTFOUND) return rc;
    parley_err_clear(err);

    char hash[PASSWORD_HASH_MAX];
    if (password_hash(DEMO_PASSWORD, hash) != 0)
        return parley_fail(err, PARLEY_ENOMEM, NULL, "cannot hash a password");
    if ((rc = create_tenant(&sd, hash)) != 0) return rc;
    if ((rc = create_teams(&sd)) != 0) return rc;
    if ((rc = create_advisers(&sd)) != 0) return rc;
    if ((rc = seed_demo_routing(s, sd.tenant_id, err)) != 0) return rc;
    for (size_t i = 0; i < demo_customers_count && i < MAX_PEOPLE; i++)
        if ((rc = create_customer(&sd, i)) != 0) return rc;
    for (int i = 0; i < DEMO_CONVERSATIONS; i++) {
        struct conv_plan pl;
        plan_conversation(&sd, i, &pl);
        if ((rc = create_conversation(&sd, &pl)) != 0) return rc;
    }
    if ((rc = seed_demo_nlu(s, sd.tenant_id, err)) != 0) return rc; /* NLU: intent model */

    /* staffing (wfm): eight weeks of contact history for the forecast */
    int64_t history_contacts = 0;
    if ((rc = seed_demo_history(s, sd.tenant_id, "Europe/London", sd.now, &history_contacts,
                                err)) != 0)
        return rc;

    printf("Seeded the demo organisation Acme Energy (tenant acme): 2 teams, %zu staff, "
           "%zu customers, %d consents, %d conversations, %d messages.\n\n",
           demo_advisers_count + 1, demo_customers_count, sd.n_consents, sd.n_conversations,
           sd.n_messages);
    printf("Contact history for forecasting: %lld contacts over the last 8 weeks "
           "(web, email, whatsapp; `parley wfm forecast`).\n\n",
           (long long)history_contacts);
    printf("Routing: 4 queues (billing, moves & meters, priority care, general), routing "
           "profiles for the 5 advisers, SLA policies, business hours Europe/London.\n\n");
    printf("Log in with tenant acme and password %s as:\n", DEMO_PASSWORD);
    printf("  %-30s %-11s %s\n", "admin@acme.example", "admin", "Jordan Ellis");
    for (size_t i = 0; i < demo_advisers_count; i++)
        printf("  %-30s %-11s %s%s%s\n", demo_advisers[i].email, role_name(demo_advisers[i].role),
               demo_advisers[i].name, demo_advisers[i].team != NULL ? ", team " : "",
               demo_advisers[i].team != NULL ? demo_advisers[i].team : "");
    arena_init(&a);
    if (read_tenant(s, "acme", &t, &a, err) == 0)
        printf("\nWidget secret (signs visitor identities; keep it private): %s\n",
               t.widget_secret);
    arena_free(&a);
    return 0;
}
