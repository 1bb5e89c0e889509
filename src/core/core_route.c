/* Name tables and defaults of the routing domain (core_route.h). */
#include "core_route.h"

#include <string.h>

static const char *const presence_names[PRESENCE__COUNT] = {
    [PRESENCE_OFFLINE] = "offline",
    [PRESENCE_AWAY] = "away",
    [PRESENCE_ONLINE] = "online",
};

static const char *const callback_status_names[CALLBACK__COUNT] = {
    [CALLBACK_SCHEDULED] = "scheduled",
    [CALLBACK_QUEUED] = "queued",
    [CALLBACK_CANCELLED] = "cancelled",
};

static const char *const routing_op_names[ROUTING__COUNT] = {
    [ROUTING_ENQUEUE] = "enqueue", [ROUTING_ASSIGN] = "assign",   [ROUTING_REQUEUE] = "requeue",
    [ROUTING_ACCEPT] = "accept",   [ROUTING_DECLINE] = "decline", [ROUTING_SLA] = "sla",
};

static int parse_in(const char *const *names, int n, const char *s)
{
    if (s == NULL) return -1;
    for (int i = 0; i < n; i++)
        if (names[i] != NULL && strcmp(names[i], s) == 0) return i;
    return -1;
}

const char *presence_name(enum presence p)
{
    return (unsigned)p < PRESENCE__COUNT ? presence_names[p] : "offline";
}

int presence_parse(const char *s)
{
    return parse_in(presence_names, PRESENCE__COUNT, s);
}

const char *callback_status_name(enum callback_status s)
{
    return (unsigned)s < CALLBACK__COUNT ? callback_status_names[s] : "scheduled";
}

int callback_status_parse(const char *s)
{
    return parse_in(callback_status_names, CALLBACK__COUNT, s);
}

const char *routing_op_name(enum routing_op a)
{
    return (unsigned)a < ROUTING__COUNT ? routing_op_names[a] : "enqueue";
}

void route_profile_default(struct route_profile *p)
{
    memset(p, 0, sizeof(*p));
    for (int c = 0; c < CHANNEL__COUNT; c++) p->capacity[c] = 3;
    p->capacity[CHANNEL_EMAIL] = 5;
    p->capacity[CHANNEL_DEVICE] = 1;
    p->accept_timeout_s = 30;
}

size_t sla_kind_names(unsigned bits, const char **out, size_t max)
{
    static const char *const names[] = {"first_response", "next_response", "resolution"};
    size_t n = 0;
    for (unsigned i = 0; i < 3 && n < max; i++)
        if (bits & (1u << i)) out[n++] = names[i];
    return n;
}
