/* The API's JSON shapes of the domain (docs/api.md), with the viewer's visibility rules in
 * one place: experts get initials and no needs or identities; customers see no staff fields. */
#include "core_json.h"
#include "../common/arena.h"
#include "core_json_route.h"

#include <stdio.h>
#include <string.h>

/* jansson's setters steal the value and ignore NULL on failure; set() keeps that quiet and
 * records the first failure so callers can return NULL for out of memory. */
static bool set(json_t *o, const char *key, json_t *v, bool *ok)
{
    if (v == NULL || json_object_set_new(o, key, v) != 0) *ok = false;
    return *ok;
}

static json_t *str_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

static json_t *time_or_null(int64_t ms)
{
    return ms != 0 ? json_integer(ms) : json_null();
}

static json_t *string_array(const char *const *items, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < n; i++) {
        if (json_array_append_new(a, json_string(items[i] != NULL ? items[i] : "")) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *finish(json_t *o, bool ok)
{
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *core_json_tenant(const struct tenant *t)
{
    json_t *o = json_object();
    bool ok = o != NULL;
    if (!ok) return NULL;
    /* widget_secret and token_key are secrets: they are shown once by the CLI, never here. */
    set(o, "id", json_integer(t->id), &ok);
    set(o, "slug", str_or_null(t->slug), &ok);
    set(o, "name", str_or_null(t->name), &ok);
    set(o, "ref_prefix", str_or_null(t->ref_prefix), &ok);
    set(o, "time_zone", str_or_null(t->time_zone), &ok);
    set(o, "created_at", json_integer(t->created_at), &ok);
    return finish(o, ok);
}

json_t *core_json_user(const struct user *u)
{
    json_t *o = json_object();
    bool ok = o != NULL;
    if (!ok) return NULL;
    set(o, "id", json_integer(u->id), &ok);
    set(o, "email", str_or_null(u->email), &ok);
    set(o, "name", str_or_null(u->name), &ok);
    set(o, "role", json_string(role_name(u->role)), &ok);
    set(o, "skills", string_array(u->skills, u->n_skills), &ok);
    set(o, "languages", string_array(u->languages, u->n_languages), &ok);
    set(o, "team", str_or_null(u->team), &ok);
    set(o, "active", json_boolean(u->active), &ok);
    set(o, "created_at", json_integer(u->created_at), &ok);
    return finish(o, ok);
}

json_t *core_json_team(const struct team *t)
{
    json_t *o = json_object();
    bool ok = o != NULL;
    if (!ok) return NULL;
    set(o, "id", json_integer(t->id), &ok);
    set(o, "slug", str_or_null(t->slug), &ok);
    set(o, "name", str_or_null(t->name), &ok);
    return finish(o, ok);
}

/* "Jane van Smith" → "J. V. S.": the first code point of each word, upper-cased when ASCII.
 * Crowd experts work a case without learning who the customer is. */
static json_t *initials(const char *name)
{
    if (name == NULL) return json_null();
    char out[CORE_MAX_NAME + 1];
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)name;
    while (*p) {
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '\0') break;
        size_t len = 1;
        if (*p >= 0xF0)
            len = 4;
        else if (*p >= 0xE0)
            len = 3;
        else if (*p >= 0xC0)
            len = 2;
        if (n + len + 3 > sizeof(out)) break;
        if (n > 0) out[n++] = ' ';
        for (size_t k = 0; k < len && p[k]; k++) out[n++] = (char)p[k];
        if (out[n - 1] >= 'a' && out[n - 1] <= 'z' && len == 1) out[n - 1] -= 'a' - 'A';
        out[n++] = '.';
        while (*p && *p != ' ' && *p != '\t') p++;
    }
    out[n] = '\0';
    return json_string(out);
}

json_t *core_json_customer(const struct customer *c, const struct identity *ids, size_t n_ids,
                           const struct json_view *v)
{
    bool expert = !v->customer_self && !role_sees_needs(v->role);
    json_t *o = json_object();
    bool ok = o != NULL;
    if (!ok) return NULL;
    set(o, "id", json_integer(c->id), &ok);
    set(o, "name", expert ? initials(c->name) : str_or_null(c->name), &ok);
    set(o, "locale", str_or_null(c->locale), &ok);
    set(o, "time_zone", str_or_null(c->time_zone), &ok);
    set(o, "preferred_channel",
        c->preferred_channel >= 0 ? json_string(channel_name((enum channel)c->preferred_channel))
                                  : json_null(),
        &ok);
    if (!expert) {
        const char *names[16];
        size_t n = need_names(c->needs, names, sizeof(names) / sizeof(names[0]));
        set(o, "needs", string_array(names, n), &ok);
        set(o, "needs_note", str_or_null(c->needs_note), &ok);
    }
    set(o, "prefers_person", json_boolean(c->prefers_person), &ok);
    set(o, "created_at", json_integer(c->created_at), &ok);
    set(o, "updated_at", json_integer(c->updated_at), &ok);
    if (ids != NULL && !expert) {
        json_t *a = json_array();
        for (size_t i = 0; a != NULL && i < n_ids; i++)
            if (json_array_append_new(a, core_json_identity(&ids[i])) != 0) ok = false;
        set(o, "identities", a, &ok);
    }
    return finish(o, ok);
}

json_t *core_json_identity(const struct identity *i)
{
    json_t *o = json_object();
    bool ok = o != NULL;
    if (!ok) return NULL;
    set(o, "id", json_integer(i->id), &ok);
    set(o, "customer_id", json_integer(i->customer_id), &ok);
    set(o, "kind", json_string(identity_kind_name(i->kind)), &ok);
    set(o, "value", str_or_null(i->value), &ok);
    set(o, "verified", json_boolean(i->verified), &ok);
    set(o, "created_at", json_integer(i->created_at), &ok);
    return finish(o, ok);
}

json_t *core_json_consent(const struct consent *c)
{
    json_t *o = json_object();
    bool ok = o != NULL;
    if (!ok) return NULL;
    set(o, "id", json_integer(c->id), &ok);
    set(o, "customer_id", json_integer(c->customer_id), &ok);
    set(o, "purpose", json_string(consent_purpose_name(c->purpose)), &ok);
    set(o, "channel", json_string(channel_name(c->channel)), &ok);
    set(o, "granted", json_boolean(c->granted), &ok);
    set(o, "source", str_or_null(c->source), &ok);
    set(o, "at", json_integer(c->at), &ok);
    return finish(o, ok);
}

json_t *core_json_conversation(const struct conversation *c, const struct json_view *v)
{
    json_t *o = json_object();
    bool ok = o != NULL;
    if (!ok) return NULL;
    set(o, "id", json_integer(c->id), &ok);
    set(o, "reference", str_or_null(c->reference), &ok);
    set(o, "customer_id", json_integer(c->customer_id), &ok);
    set(o, "status", json_string(conv_status_name(c->status)), &ok);
    if (!v->customer_self) {
        /* Triage fields and staff ids are the organisation's, not the customer's. */
        set(o, "priority", json_string(priority_name(c->priority)), &ok);
    }
    set(o, "subject", str_or_null(c->subject), &ok);
    if (!v->customer_self) {
        set(o, "contact_reason", str_or_null(c->contact_reason), &ok);
        set(o, "tags", string_array(c->tags, c->n_tags), &ok);
        json_t *a = json_array();
        for (size_t i = 0; a != NULL && i < c->n_assignees; i++)
            if (json_array_append_new(a, json_integer(c->assignees[i])) != 0) ok = false;
        set(o, "assignees", a, &ok);
    }
    set(o, "channel", json_string(channel_name(c->channel)), &ok);
    set(o, "last_seq", json_integer(c->last_seq), &ok);
    set(o, "created_at", json_integer(c->created_at), &ok);
    set(o, "updated_at", json_integer(c->updated_at), &ok);
    set(o, "first_response_at", time_or_null(c->first_response_at), &ok);
    set(o, "resolved_at", time_or_null(c->resolved_at), &ok);
    set(o, "closed_at", time_or_null(c->closed_at), &ok);
    if (!v->customer_self) set(o, "queue", core_json_conv_queue(c), &ok);
    if (!v->customer_self) set(o, "sla", core_json_conv_sla(c), &ok);
    if (!v->customer_self) set(o, "accept_due", time_or_null(c->offer_until), &ok);
    return finish(o, ok);
}

json_t *core_json_message(const struct message *m)
{
    json_t *o = json_object();
    bool ok = o != NULL;
    if (!ok) return NULL;
    set(o, "id", json_integer(m->id), &ok);
    set(o, "conversation_id", json_integer(m->conversation_id), &ok);
    set(o, "seq", json_integer(m->seq), &ok);
    set(o, "sender", json_string(sender_name(m->sender)), &ok);
    set(o, "author_id", m->author_id != 0 ? json_integer(m->author_id) : json_null(), &ok);
    set(o, "channel", json_string(channel_name(m->channel)), &ok);
    set(o, "internal", json_boolean(m->internal), &ok);
    set(o, "body", str_or_null(m->body), &ok);
    set(o, "created_at", json_integer(m->created_at), &ok);
    return finish(o, ok);
}

json_t *core_json_receipt(const struct receipt *r)
{
    json_t *o = json_object();
    bool ok = o != NULL;
    if (!ok) return NULL;
    set(o, "conversation_id", json_integer(r->conversation_id), &ok);
    set(o, "participant", str_or_null(r->participant), &ok);
    set(o, "delivered_seq", json_integer(r->delivered_seq), &ok);
    set(o, "read_seq", json_integer(r->read_seq), &ok);
    set(o, "updated_at", json_integer(r->updated_at), &ok);
    return finish(o, ok);
}

json_t *core_json_audit(const struct audit_entry *a)
{
    json_t *o = json_object();
    bool ok = o != NULL;
    if (!ok) return NULL;
    json_t *detail = NULL;
    if (a->detail != NULL) detail = json_loads(a->detail, JSON_DECODE_ANY, NULL);
    if (detail == NULL) detail = json_object(); /* stored detail is always an object */
    set(o, "id", json_integer(a->id), &ok);
    set(o, "actor", str_or_null(a->actor), &ok);
    set(o, "action", str_or_null(a->action), &ok);
    set(o, "object", str_or_null(a->object), &ok);
    set(o, "detail", detail, &ok);
    set(o, "at", json_integer(a->at), &ok);
    return finish(o, ok);
}

char *core_json_dump(json_t *j, struct arena *a)
{
    if (j == NULL) return NULL;
    /* Most payloads are small: one pass into a stack buffer, a second only when it is big. */
    char buf[2048];
    size_t n = json_dumpb(j, buf, sizeof(buf), JSON_COMPACT);
    char *out = NULL;
    if (n == 0) {
        out = NULL;
    } else if (n <= sizeof(buf)) {
        out = arena_strndup(a, buf, n);
    } else {
        out = arena_alloc(a, n + 1);
        if (out != NULL && json_dumpb(j, out, n, JSON_COMPACT) != n) out = NULL;
        if (out != NULL) out[n] = '\0';
    }
    json_decref(j);
    return out;
}

/* ---- the message fast path ---------------------------------------------------------------- */

/* Escaping exactly as jansson does: quote, backslash and the short control escapes, \u00XX
 * (upper-case hex) for other control characters, everything else as is. For each control
 * character its short escape letter, or 'u'. */
static const char control_escape[32] = "uuuuuuuubtnufruuuuuuuuuuuuuuuuuu";

static size_t escaped_len(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x20)
            n += *p == '"' || *p == '\\' ? 2 : 1;
        else
            n += control_escape[*p] == 'u' ? 6 : 2;
    }
    return n;
}

static char *put_escaped(char *w, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x20) {
            if (*p == '"' || *p == '\\') *w++ = '\\';
            *w++ = (char)*p;
        } else if (control_escape[*p] != 'u') {
            *w++ = '\\';
            *w++ = control_escape[*p];
        } else {
            memcpy(w, "\\u00", 4);
            w[4] = hex[*p >> 4];
            w[5] = hex[*p & 15];
            w += 6;
        }
    }
    return w;
}

static char *put_str(char *w, const char *s)
{
    size_t n = strlen(s);
    memcpy(w, s, n);
    return w + n;
}

static char *put_i64(char *w, int64_t v)
{
    char digits[24];
    size_t n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0) *w++ = '-';
    while (n > 0) *w++ = digits[--n];
    return w;
}

char *core_json_message_text(const struct message *m, struct arena *a)
{
    /* Fixed ASCII names and numbers (at most 20 bytes each) around the one escaped string;
     * written by hand because snprintf alone cost more than the rest of the rendering. */
    const char *sender = sender_name(m->sender), *channel = channel_name(m->channel);
    size_t cap =
        (m->body != NULL ? escaped_len(m->body) : 0) + strlen(sender) + strlen(channel) + 250;
    char *out = arena_alloc(a, cap);
    if (out == NULL) return NULL;
    char *w = put_str(out, "{\"id\":");
    w = put_i64(w, m->id);
    w = put_str(w, ",\"conversation_id\":");
    w = put_i64(w, m->conversation_id);
    w = put_str(w, ",\"seq\":");
    w = put_i64(w, m->seq);
    w = put_str(w, ",\"sender\":\"");
    w = put_str(w, sender);
    w = put_str(w, "\",\"author_id\":");
    w = m->author_id != 0 ? put_i64(w, m->author_id) : put_str(w, "null");
    w = put_str(w, ",\"channel\":\"");
    w = put_str(w, channel);
    w = put_str(w,
                m->internal ? "\",\"internal\":true,\"body\":" : "\",\"internal\":false,\"body\":");
    if (m->body == NULL) {
        w = put_str(w, "null");
    } else {
        *w++ = '"';
        w = put_escaped(w, m->body);
        *w++ = '"';
    }
    w = put_str(w, ",\"created_at\":");
    w = put_i64(w, m->created_at);
    *w++ = '}';
    *w = '\0';
    return out;
}

/* ---- routing (issue 4): queues, profiles, presence, SLA, call-backs, transfers ---------- */

json_t *core_json_conv_queue(const struct conversation *c)
{
    if (c->queue_id == 0) return json_null();
    return json_pack("{s:I, s:o}", "id", (json_int_t)c->queue_id, "name",
                     str_or_null(c->queue_name));
}

json_t *core_json_conv_sla(const struct conversation *c)
{
    if (c->sla_policy == 0) return json_null();
    json_t *o = json_object();
    bool ok = o != NULL;
    if (!ok) return NULL;
    const char *names[3];
    size_t n = sla_kind_names(c->sla_breached, names, 3);
    set(o, "policy_id", json_integer(c->sla_policy), &ok);
    set(o, "first_response_due", time_or_null(c->sla_first_response_due), &ok);
    set(o, "next_response_due", time_or_null(c->sla_next_response_due), &ok);
    set(o, "resolution_due", time_or_null(c->sla_resolution_due), &ok);
    set(o, "breached", string_array(names, n), &ok);
    return finish(o, ok);
}

json_t *core_json_queue(const struct route_queue *q)
{
    json_t *o = json_object();
    bool ok = o != NULL;
    if (!ok) return NULL;
    set(o, "id", json_integer(q->id), &ok);
    set(o, "name", str_or_null(q->name), &ok);
    set(o, "skills", string_array(q->skills, q->n_skills), &ok);
    set(o, "language", str_or_null(q->language), &ok);
    set(o, "priority_class", json_integer(q->priority_class), &ok);
    set(o, "contact_reasons", string_array(q->reasons, q->n_reasons), &ok);
    set(o, "team", str_or_null(q->team), &ok);
    set(o, "default", json_boolean(q->is_default), &ok);
    json_t *steps = json_array();
    for (size_t i = 0; steps != NULL && i < q->n_steps; i++) {
        const struct queue_step *st = &q->steps[i];
        json_t *j =
            json_pack("{s:i, s:i, s:o}", "after_s", st->after_s, "relax_levels", st->relax_levels,
                      "add_teams", string_array(st->add_teams, st->n_add_teams));
        if (j == NULL || json_array_append_new(steps, j) != 0) ok = false;
    }
    set(o, "steps", steps, &ok);
    set(o, "created_at", json_integer(q->created_at), &ok);
    set(o, "updated_at", json_integer(q->updated_at), &ok);
    return finish(o, ok);
}

json_t *core_json_capacity(const int capacity[CHANNEL__COUNT])
{
    json_t *o = json_object();
    bool ok = o != NULL;
    for (int c = 0; ok && c < CHANNEL__COUNT; c++)
        set(o, channel_name((enum channel)c), json_integer(capacity[c]), &ok);
    return finish(o, ok);
}

json_t *core_json_routing_profile(const struct route_profile *p)
{
    json_t *o = json_object();
    bool ok = o != NULL;
    if (!ok) return NULL;
    set(o, "user_id", json_integer(p->user_id), &ok);
    set(o, "capacity", core_json_capacity(p->capacity), &ok);
    set(o, "wrap_up_s", json_integer(p->wrap_up_s), &ok);
    set(o, "accept_required", json_boolean(p->accept_required), &ok);
    set(o, "accept_timeout_s", json_integer(p->accept_timeout_s), &ok);
    set(o, "updated_at", time_or_null(p->updated_at), &ok);
    return finish(o, ok);
}

json_t *core_json_presence(const struct presence_state *p)
{
    return json_pack("{s:I, s:s, s:b, s:o}", "user_id", (json_int_t)p->user_id, "status",
                     presence_name(p->status), "automatic", p->automatic, "since",
                     time_or_null(p->since));
}

static json_t *minutes(int64_t ms)
{
    return ms > 0 ? json_real((double)ms / 60000.0) : json_null();
}

json_t *core_json_sla_policy(const struct sla_policy *p)
{
    json_t *o = json_object();
    bool ok = o != NULL;
    if (!ok) return NULL;
    set(o, "id", json_integer(p->id), &ok);
    set(o, "priority", json_string(priority_name(p->priority)), &ok);
    set(o, "vulnerable", json_boolean(p->vulnerable), &ok);
    set(o, "first_response_minutes", minutes(p->first_response_ms), &ok);
    set(o, "next_response_minutes", minutes(p->next_response_ms), &ok);
    set(o, "resolution_minutes", minutes(p->resolution_ms), &ok);
    set(o, "warning_pct", json_integer(p->warning_pct), &ok);
    return finish(o, ok);
}

json_t *core_json_callback(const struct callback *cb, const struct json_view *v)
{
    json_t *o = json_object();
    bool ok = o != NULL;
    if (!ok) return NULL;
    set(o, "id", json_integer(cb->id), &ok);
    set(o, "customer_id", json_integer(cb->customer_id), &ok);
    set(o, "at", json_integer(cb->at), &ok);
    set(o, "status", json_string(callback_status_name(cb->status)), &ok);
    set(o, "channel", json_string(channel_name(cb->channel)), &ok);
    set(o, "conversation_id",
        cb->conversation_id != 0 ? json_integer(cb->conversation_id) : json_null(), &ok);
    if (!v->customer_self) {
        set(o, "note", str_or_null(cb->note), &ok);
        set(o, "booked_by", str_or_null(cb->booked_by), &ok);
    }
    set(o, "created_at", json_integer(cb->created_at), &ok);
    return finish(o, ok);
}

json_t *core_json_transfer(const struct transfer *t)
{
    json_t *o = json_object();
    bool ok = o != NULL;
    if (!ok) return NULL;
    set(o, "id", json_integer(t->id), &ok);
    set(o, "conversation_id", json_integer(t->conversation_id), &ok);
    set(o, "from_user", json_integer(t->from_user), &ok);
    set(o, "to_user", t->to_user ? json_integer(t->to_user) : json_null(), &ok);
    set(o, "to_team", t->to_team ? json_integer(t->to_team) : json_null(), &ok);
    set(o, "to_queue", t->to_queue ? json_integer(t->to_queue) : json_null(), &ok);
    set(o, "note", str_or_null(t->note), &ok);
    set(o, "message_id", t->message_id ? json_integer(t->message_id) : json_null(), &ok);
    set(o, "at", json_integer(t->at), &ok);
    return finish(o, ok);
}
