/* Enum ↔ name tables for the domain: one declarative table per enum. The names are the API's
 * and the database's spelling, so they never change once released. */
#include "core.h"

#include <string.h>

static const char *const role_names[ROLE__COUNT] = {
    [ROLE_ADMIN] = "admin",
    [ROLE_SUPERVISOR] = "supervisor",
    [ROLE_AGENT] = "agent",
    [ROLE_EXPERT] = "expert",
};

static const char *const conv_status_names[CONV__COUNT] = {
    [CONV_BOT] = "bot",           [CONV_QUEUED] = "queued",
    [CONV_ASSIGNED] = "assigned", [CONV_PENDING_CUSTOMER] = "pending_customer",
    [CONV_RESOLVED] = "resolved", [CONV_CLOSED] = "closed",
};

static const char *const sender_names[SENDER__COUNT] = {
    [SENDER_CUSTOMER] = "customer",
    [SENDER_AGENT] = "agent",
    [SENDER_BOT] = "bot",
    [SENDER_SYSTEM] = "system",
};

static const char *const channel_names[CHANNEL__COUNT] = {
    [CHANNEL_WEB] = "web", [CHANNEL_PORTAL] = "portal",     [CHANNEL_EMAIL] = "email",
    [CHANNEL_SMS] = "sms", [CHANNEL_WHATSAPP] = "whatsapp", [CHANNEL_DEVICE] = "device",
    [CHANNEL_API] = "api",
};

static const char *const identity_kind_names[IDENTITY__COUNT] = {
    [IDENTITY_EMAIL] = "email",
    [IDENTITY_PHONE] = "phone",
    [IDENTITY_WEB_VISITOR] = "web_visitor",
    [IDENTITY_WHATSAPP] = "whatsapp",
    [IDENTITY_DEVICE] = "device",
    [IDENTITY_EXTERNAL] = "external",
};

static const char *const consent_purpose_names[PURPOSE__COUNT] = {
    [PURPOSE_SERVICE_ALERTS] = "service_alerts",
    [PURPOSE_OUTAGE_UPDATES] = "outage_updates",
    [PURPOSE_REMINDERS] = "reminders",
    [PURPOSE_MARKETING] = "marketing",
};

static const char *const receipt_kind_names[RECEIPT__COUNT] = {
    [RECEIPT_DELIVERED] = "delivered",
    [RECEIPT_READ] = "read",
};

static const char *const priority_names[PRIORITY__COUNT] = {
    [PRIORITY_LOW] = "low",
    [PRIORITY_NORMAL] = "normal",
    [PRIORITY_HIGH] = "high",
    [PRIORITY_URGENT] = "urgent",
};

/* Needs are bits, so their table pairs each name with its bit (in API order). */
static const struct {
    unsigned bit;
    const char *name;
} need_table[] = {
    {NEED_HEARING, "hearing"},
    {NEED_SIGHT, "sight"},
    {NEED_DEXTERITY, "dexterity"},
    {NEED_MENTAL_HEALTH, "mental_health"},
    {NEED_LOW_DIGITAL_CONFIDENCE, "low_digital_confidence"},
    {NEED_FINANCIAL_DIFFICULTY, "financial_difficulty"},
    {NEED_BEREAVEMENT, "bereavement"},
};

static const char *name_of(const char *const *table, int count, int v)
{
    /* An out-of-range value is a bug upstream; a fixed word keeps JSON output well-formed. */
    if (v < 0 || v >= count || table[v] == NULL) return "unknown";
    return table[v];
}

static int parse_in(const char *const *table, int count, const char *s)
{
    if (s == NULL) return -1;
    for (int i = 0; i < count; i++)
        if (table[i] != NULL && strcmp(table[i], s) == 0) return i;
    return -1;
}

/* One name/parse pair per enum, all driven by the tables above. */
#define ENUM_FUNCS(prefix, type, table, count)                                                     \
    const char *prefix##_name(type v)                                                              \
    {                                                                                              \
        return name_of(table, count, (int)v);                                                      \
    }                                                                                              \
    int prefix##_parse(const char *s)                                                              \
    {                                                                                              \
        return parse_in(table, count, s);                                                          \
    }

ENUM_FUNCS(role, enum role, role_names, ROLE__COUNT)
ENUM_FUNCS(conv_status, enum conv_status, conv_status_names, CONV__COUNT)
ENUM_FUNCS(sender, enum sender, sender_names, SENDER__COUNT)
ENUM_FUNCS(channel, enum channel, channel_names, CHANNEL__COUNT)
ENUM_FUNCS(identity_kind, enum identity_kind, identity_kind_names, IDENTITY__COUNT)
ENUM_FUNCS(consent_purpose, enum consent_purpose, consent_purpose_names, PURPOSE__COUNT)
ENUM_FUNCS(receipt_kind, enum receipt_kind, receipt_kind_names, RECEIPT__COUNT)
ENUM_FUNCS(priority, enum priority, priority_names, PRIORITY__COUNT)

unsigned need_parse(const char *s)
{
    if (s == NULL) return 0;
    for (size_t i = 0; i < sizeof(need_table) / sizeof(need_table[0]); i++)
        if (strcmp(need_table[i].name, s) == 0) return need_table[i].bit;
    return 0;
}

size_t need_names(unsigned needs, const char **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof(need_table) / sizeof(need_table[0]) && n < max; i++)
        if (needs & need_table[i].bit) out[n++] = need_table[i].name;
    return n;
}

bool role_sees_needs(enum role r)
{
    return r == ROLE_ADMIN || r == ROLE_SUPERVISOR || r == ROLE_AGENT;
}
