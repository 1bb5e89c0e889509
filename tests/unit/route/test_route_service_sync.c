/* Unit tests for the routing service's event handling without store reads (route_service_*.c,
 * docs/internals/route_service.md "Consistency"): the typed facts the writer puts on
 * conversation and message events, the event_hw each command reports, skipping a conversation
 * event older than the service's own read, an unwatched conversation's last SLA write
 * outranking older snapshots, the message path moving the SLA clocks, and the deadline heap
 * firing each warning and breach once. A real store in /tmp; the service's state is driven by
 * hand on this thread (events captured from the store's sink and fed one by one, as the
 * service thread would), so every interleaving here is deterministic. */
#include "../store/store_fixture.h"
#include "common/config.h"
#include "common/util.h"
#include "route/route_service_int.h"

#define MIN_MS 60000LL

/* ---- captured events ------------------------------------------------------------------ */

#define MAX_EV 512
static struct event evs[MAX_EV];
static size_t n_ev;

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

static void capture(void *ud, const struct event *e, size_t n)
{
    (void)ud;
    for (size_t i = 0; i < n && n_ev < MAX_EV; i++) {
        struct event *c = &evs[n_ev++];
        *c = e[i];
        c->type = dup_or_null(e[i].type);
        c->data = NULL;
        c->data_customer = NULL;
        c->facts.contact_reason = dup_or_null(e[i].facts.contact_reason);
    }
}

static void clear_events(void)
{
    for (size_t i = 0; i < n_ev; i++) {
        free((char *)evs[i].type);
        free((char *)evs[i].facts.contact_reason);
    }
    n_ev = 0;
}

/* The latest captured event of this type about conv (NULL: none). */
static const struct event *last_event(const char *type, int64_t conv)
{
    for (size_t i = n_ev; i-- > 0;)
        if (strcmp(evs[i].type, type) == 0 && evs[i].conversation_id == conv) return &evs[i];
    return NULL;
}

static size_t count_events(const char *type, int64_t conv)
{
    size_t n = 0;
    for (size_t i = 0; i < n_ev; i++)
        if (strcmp(evs[i].type, type) == 0 && evs[i].conversation_id == conv) n++;
    return n;
}

/* ---- a service driven by hand ----------------------------------------------------------- */

static struct parley_config cfg;

static struct route_service *service(struct fixture *f)
{
    struct route_service *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    config_defaults(&cfg);
    s->cfg = &cfg;
    s->store = f->s;
    s->reader = f->r;
    s->now = util_now_ms();
    return s;
}

static void service_free(struct route_service *s)
{
    for (size_t i = 0; i < s->tenants.cap; i++)
        if (s->tenants.keys[i] > 0) rs_tenant_free(s->tenants.vals[i]);
    imap_free(&s->tenants);
    free(s->pending);
    free(s);
}

/* What the service thread does with one committed event (route_service.c on_event). */
static void feed(struct route_service *s, struct rs_tenant *t, const struct event *ev)
{
    assert_non_null(ev);
    s->now = util_now_ms();
    if (strcmp(ev->type, "message.created") == 0) {
        assert_int_equal(ev->facts.kind, EVENT_FACTS_MESSAGE);
        rs_sla_message(s, t, ev->conversation_id, (enum sender)ev->facts.sender, ev->facts.internal,
                       ev->at);
    } else if (strncmp(ev->type, "conversation.", 13) == 0) {
        rs_conv_event(s, t, ev);
    }
    if (ev->id > s->seen_id) s->seen_id = ev->id;
}

/* Feeds every captured event (the service caught up). */
static void feed_all(struct route_service *s, struct rs_tenant *t)
{
    for (size_t i = 0; i < n_ev; i++) feed(s, t, &evs[i]);
}

/* ---- fixtures ---------------------------------------------------------------------------- */

static int64_t policy_normal, policy_high;

/* normal: first response 30 min, next response 10 min, resolution 8 h; high: first 5 min,
 * resolution 1 h; warnings at half; low has no policy. 24x7 (no calendar). */
static void put_policies(struct fixture *f, int64_t tenant)
{
    struct sla_policy pol[2] = {{.priority = PRIORITY_NORMAL,
                                 .first_response_ms = 30 * MIN_MS,
                                 .next_response_ms = 10 * MIN_MS,
                                 .resolution_ms = 480 * MIN_MS,
                                 .warning_pct = 50},
                                {.priority = PRIORITY_HIGH,
                                 .first_response_ms = 5 * MIN_MS,
                                 .resolution_ms = 60 * MIN_MS,
                                 .warning_pct = 50}};
    struct store_cmd c;
    store_cmd_init(&c, STORE_PUT_SLA_POLICIES);
    c.tenant_id = tenant;
    c.in.put_sla_policies.items = pol;
    c.in.put_sla_policies.n = 2;
    assert_int_equal(run(f, &c), 0);
    store_cmd_release(&c);
    struct sla_policy *list;
    size_t n;
    struct parley_err err;
    assert_int_equal(store_list_sla_policies(f->r, tenant, &list, &n, &f->a, &err), 0);
    for (size_t i = 0; i < n; i++) {
        if (list[i].priority == PRIORITY_NORMAL) policy_normal = list[i].id;
        if (list[i].priority == PRIORITY_HIGH) policy_high = list[i].id;
    }
    assert_true(policy_normal > 0 && policy_high > 0);
}

/* Updates the fields named in set (SET_STATUS, SET_PRIORITY); returns the command's event_hw. */
static int64_t update_conv(struct fixture *f, int64_t tenant, int64_t conv, unsigned set,
                           enum conv_status status, enum priority p)
{
    struct store_cmd c;
    store_cmd_init(&c, STORE_UPDATE_CONVERSATION);
    c.tenant_id = tenant;
    c.actor = "user:1";
    c.in.update_conversation.conversation.id = conv;
    c.in.update_conversation.conversation.status = status;
    c.in.update_conversation.conversation.priority = p;
    c.in.update_conversation.set = set;
    assert_int_equal(run(f, &c), 0);
    int64_t hw = c.event_hw;
    store_cmd_release(&c);
    return hw;
}

static int64_t set_priority(struct fixture *f, int64_t tenant, int64_t conv, enum priority p)
{
    return update_conv(f, tenant, conv, SET_PRIORITY, CONV_BOT, p);
}

static int64_t vulnerable_customer(struct fixture *f, int64_t tenant)
{
    struct store_cmd c;
    store_cmd_init(&c, STORE_CREATE_CUSTOMER);
    c.tenant_id = tenant;
    c.actor = "user:1";
    c.in.create_customer.customer.name = "Vera Needs";
    c.in.create_customer.customer.preferred_channel = -1;
    c.in.create_customer.customer.needs = NEED_HEARING;
    assert_int_equal(run(f, &c), 0);
    int64_t id = c.result_id;
    store_cmd_release(&c);
    return id;
}

static int setup_capture(void **state)
{
    int rc = setup(state);
    if (rc == 0) store_set_event_sink(((struct fixture *)*state)->s, capture, NULL);
    clear_events();
    return rc;
}

static int teardown_capture(void **state)
{
    int rc = teardown(state);
    clear_events();
    return rc;
}

/* ---- tests -------------------------------------------------------------------------------- */

static void events_carry_the_committed_row(void **state)
{
    struct fixture *f = *state;
    int64_t tenant = new_tenant(f, "acme", NULL);
    put_policies(f, tenant);
    int64_t plain = new_customer(f, tenant, "Jane Smith", "jane@example.com");
    int64_t needs = vulnerable_customer(f, tenant);
    int64_t conv = new_conversation(f, tenant, plain);
    int64_t conv_v = new_conversation(f, tenant, needs);

    struct conversation c = get_conv(f, tenant, conv);
    const struct event *e = last_event("conversation.created", conv);
    assert_non_null(e);
    assert_int_equal(e->facts.kind, EVENT_FACTS_CONVERSATION);
    assert_int_equal(e->facts.status, c.status);
    assert_int_equal(e->facts.status, CONV_QUEUED);
    assert_int_equal(e->facts.priority, PRIORITY_NORMAL);
    assert_int_equal(e->facts.channel, CHANNEL_WEB);
    assert_false(e->facts.vulnerable);
    assert_null(e->facts.contact_reason);
    assert_int_equal(e->facts.created_at, c.created_at);
    assert_int_equal(e->facts.queue_id, c.queue_id);
    assert_int_equal(e->facts.sla_policy, policy_normal);
    assert_int_equal(e->facts.sla_due[0], c.created_at + 30 * MIN_MS);
    assert_int_equal(e->facts.sla_due[2], c.created_at + 480 * MIN_MS);
    assert_int_equal(e->facts.sla_due[1], 0);
    assert_true(last_event("conversation.created", conv_v)->facts.vulnerable);

    /* messages: who wrote, and whether it is a note */
    assert_int_equal(post(f, tenant, conv, SENDER_AGENT, "Hello Jane", NULL), 0);
    e = last_event("message.created", conv);
    assert_int_equal(e->facts.kind, EVENT_FACTS_MESSAGE);
    assert_int_equal(e->facts.sender, SENDER_AGENT);
    assert_false(e->facts.internal);
    /* the conversation's facts follow the row: first response stamped, priority changed */
    int64_t before = e->id;
    int64_t hw = set_priority(f, tenant, conv, PRIORITY_HIGH);
    e = last_event("conversation.updated", conv);
    assert_int_equal(e->facts.priority, PRIORITY_HIGH);
    assert_int_equal(e->facts.first_response_at, get_conv(f, tenant, conv).first_response_at);
    assert_true(e->facts.first_response_at > 0);
    /* event_hw: every earlier event is at or below it, the command's own above */
    assert_true(hw >= before);
    assert_true(e->id > hw);
    /* an event replayed from the store has no facts */
    struct event *stored;
    size_t n;
    struct parley_err err;
    assert_int_equal(store_list_events(f->r, tenant, 0, 200, &stored, &n, &f->a, &err), 0);
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) assert_int_equal(stored[i].facts.kind, EVENT_FACTS_NONE);
}

static void an_event_older_than_a_read_is_skipped(void **state)
{
    struct fixture *f = *state;
    int64_t tenant = new_tenant(f, "acme", NULL);
    put_policies(f, tenant);
    int64_t conv = new_conversation(f, tenant, new_customer(f, tenant, "Jane", "j@example.com"));
    const struct event *created = last_event("conversation.created", conv);
    set_priority(f, tenant, conv, PRIORITY_HIGH);

    /* The service starts now: it reads the conversation (high) while both events wait. */
    struct route_service *s = service(f);
    struct rs_tenant *t = rs_tenant(s, tenant);
    assert_non_null(t);
    assert_int_equal(get_conv(f, tenant, conv).sla_policy, policy_high);
    /* the older snapshot (normal) must not undo what the read showed */
    feed(s, t, created);
    struct conversation c = get_conv(f, tenant, conv);
    assert_int_equal(c.sla_policy, policy_high);
    assert_int_equal(c.sla_first_response_due, c.created_at + 5 * MIN_MS);
    feed(s, t, last_event("conversation.updated", conv));
    assert_int_equal(get_conv(f, tenant, conv).sla_policy, policy_high);
    /* once every event up to the read is handled, the note goes */
    assert_int_equal(t->fresh.n, 1);
    rs_notes_expire(s, t);
    assert_int_equal(t->fresh.n, 0);
    /* newer events apply again */
    set_priority(f, tenant, conv, PRIORITY_NORMAL);
    feed(s, t, last_event("conversation.updated", conv));
    assert_int_equal(get_conv(f, tenant, conv).sla_policy, policy_normal);
    service_free(s);
}

/* A tenant with the policies, one queued conversation (normal), and a service that has
 * loaded it and handled every event so far. */
struct scene {
    int64_t tenant, conv;
    struct route_service *s;
    struct rs_tenant *t;
};

static struct scene caught_up(struct fixture *f)
{
    struct scene sc;
    sc.tenant = new_tenant(f, "acme", NULL);
    put_policies(f, sc.tenant);
    sc.conv = new_conversation(f, sc.tenant, new_customer(f, sc.tenant, "Jane", "j@example.com"));
    sc.s = service(f);
    sc.t = rs_tenant(sc.s, sc.tenant);
    assert_non_null(sc.t);
    feed_all(sc.s, sc.t);
    rs_notes_expire(sc.s, sc.t);
    return sc;
}

static void an_unwatched_conversation_keeps_its_last_write_over_older_snapshots(void **state)
{
    struct fixture *f = *state;
    struct scene sc = caught_up(f);
    int64_t tenant = sc.tenant, conv = sc.conv;
    struct route_service *s = sc.s;
    struct rs_tenant *t = sc.t;
    clear_events();

    /* Two changes commit before the service sees the first: low (no policy), normal again. */
    set_priority(f, tenant, conv, PRIORITY_LOW);
    set_priority(f, tenant, conv, PRIORITY_NORMAL);
    assert_int_equal(n_ev, 2);
    feed(s, t, &evs[0]); /* low: the service clears the deadlines and stops watching */
    struct conversation c = get_conv(f, tenant, conv);
    assert_int_equal(c.sla_policy, 0);
    assert_int_equal(c.sla_first_response_due, 0);
    struct rs_conv *r = imap_get(&t->convs, conv);
    assert_non_null(r);
    assert_false(r->watched); /* kept: an older snapshot may still come */
    /* normal, as committed before the clearing write: its SLA fields are the old ones, which
     * the store no longer has; the service's copy says so and the deadlines are written */
    feed(s, t, &evs[1]);
    c = get_conv(f, tenant, conv);
    assert_int_equal(c.sla_policy, policy_normal);
    assert_int_equal(c.sla_first_response_due, c.created_at + 30 * MIN_MS);
    assert_int_equal(c.sla_resolution_due, c.created_at + 480 * MIN_MS);
    r = imap_get(&t->convs, conv);
    assert_true(r != NULL && r->watched);

    /* closed: unwatched and, once caught up, gone */
    update_conv(f, tenant, conv, SET_STATUS, CONV_CLOSED, PRIORITY_LOW);
    feed_all(s, t);
    rs_notes_expire(s, t);
    assert_null(imap_get(&t->convs, conv));
    assert_int_equal(t->sla_timers.n, 0);
    service_free(s);
}

static void messages_move_the_clocks_and_the_heap_fires_once(void **state)
{
    struct fixture *f = *state;
    struct scene sc = caught_up(f);
    int64_t tenant = sc.tenant, conv = sc.conv;
    struct route_service *s = sc.s;
    struct rs_tenant *t = sc.t;
    struct conversation c = get_conv(f, tenant, conv);
    struct rs_conv *r = imap_get(&t->convs, conv);
    assert_true(r != NULL && r->watched);
    /* armed at the first-response warning: half of 30 minutes */
    assert_int_equal(dheap_peek(&t->sla_timers)->at, c.created_at + 15 * MIN_MS);

    /* a customer message before any reply starts no next-response clock */
    assert_int_equal(post(f, tenant, conv, SENDER_CUSTOMER, "Hello?", NULL), 0);
    feed(s, t, last_event("message.created", conv));
    assert_int_equal(get_conv(f, tenant, conv).sla_next_response_due, 0);
    /* an internal note is not a reply */
    struct store_cmd note;
    message_cmd(&note, tenant, conv, SENDER_AGENT, "checking the order");
    note.in.create_message.internal = true;
    assert_int_equal(run(f, &note), 0);
    store_cmd_release(&note);
    feed(s, t, last_event("message.created", conv));
    assert_int_equal(get_conv(f, tenant, conv).sla_first_response_due, c.created_at + 30 * MIN_MS);
    /* the first reply meets the first response */
    assert_int_equal(post(f, tenant, conv, SENDER_AGENT, "Hi Jane", NULL), 0);
    feed(s, t, last_event("message.created", conv));
    c = get_conv(f, tenant, conv);
    assert_int_equal(c.sla_first_response_due, 0);
    assert_int_equal(c.sla_next_response_due, 0);
    assert_int_equal(dheap_peek(&t->sla_timers)->at, c.created_at + 240 * MIN_MS);
    /* the customer writes: next response due in 10 minutes, warned at 5 */
    assert_int_equal(post(f, tenant, conv, SENDER_CUSTOMER, "Where is it?", NULL), 0);
    const struct event *m = last_event("message.created", conv);
    feed(s, t, m);
    c = get_conv(f, tenant, conv);
    assert_int_equal(c.sla_next_response_due, m->at + 10 * MIN_MS);
    assert_int_equal(dheap_peek(&t->sla_timers)->at, m->at + 5 * MIN_MS);
    /* a second customer message does not restart the running clock */
    assert_int_equal(post(f, tenant, conv, SENDER_CUSTOMER, "Hello??", NULL), 0);
    feed(s, t, last_event("message.created", conv));
    assert_int_equal(get_conv(f, tenant, conv).sla_next_response_due, m->at + 10 * MIN_MS);
    /* answered: stopped, the timer moves back to the resolution warning */
    assert_int_equal(post(f, tenant, conv, SENDER_AGENT, "On its way", NULL), 0);
    feed(s, t, last_event("message.created", conv));
    assert_int_equal(get_conv(f, tenant, conv).sla_next_response_due, 0);
    assert_int_equal(dheap_peek(&t->sla_timers)->at, c.created_at + 240 * MIN_MS);
    /* again, then time passes: one warning, then one breach */
    assert_int_equal(post(f, tenant, conv, SENDER_CUSTOMER, "Thanks, and?", NULL), 0);
    m = last_event("message.created", conv);
    feed(s, t, m);
    int64_t at = m->at;
    s->now = at + 5 * MIN_MS - 1;
    rs_sla_tick(s, t);
    assert_int_equal(count_events("sla.warning", conv), 0);
    s->now = at + 5 * MIN_MS;
    rs_sla_tick(s, t);
    rs_sla_tick(s, t);
    assert_int_equal(count_events("sla.warning", conv), 1);
    assert_int_equal(get_conv(f, tenant, conv).sla_warned, SLA_NEXT);
    s->now = at + 10 * MIN_MS;
    rs_sla_tick(s, t);
    rs_sla_tick(s, t);
    assert_int_equal(count_events("sla.breached", conv), 1);
    assert_int_equal(count_events("sla.warning", conv), 1);
    assert_int_equal(get_conv(f, tenant, conv).sla_breached, SLA_NEXT);
    /* far later: the resolution warning then breach, each once; nothing left to arm */
    s->now = c.created_at + 480 * MIN_MS;
    rs_sla_tick(s, t);
    rs_sla_tick(s, t);
    assert_int_equal(count_events("sla.breached", conv), 2);
    assert_int_equal(count_events("sla.warning", conv), 1); /* the breach came first */
    assert_int_equal(get_conv(f, tenant, conv).sla_breached, SLA_NEXT | SLA_RESOLUTION);
    assert_int_equal(t->sla_timers.n, 0);
    service_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(events_carry_the_committed_row, setup_capture,
                                        teardown_capture),
        cmocka_unit_test_setup_teardown(an_event_older_than_a_read_is_skipped, setup_capture,
                                        teardown_capture),
        cmocka_unit_test_setup_teardown(
            an_unwatched_conversation_keeps_its_last_write_over_older_snapshots, setup_capture,
            teardown_capture),
        cmocka_unit_test_setup_teardown(messages_move_the_clocks_and_the_heap_fires_once,
                                        setup_capture, teardown_capture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
