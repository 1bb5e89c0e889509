/* The routing engine's decisions: work entering and leaving lines, an item looking for the
 * best adviser, a freed adviser looking for the best item, offers, requeues, transfers and the
 * timers (expanding steps, accept timeouts, wrap-up ends).
 *
 * Ageing without re-sorting: effective priority at time t is
 *   P(t) = base + class + rate * (t - enqueued) / 60000 / 1000,
 * so 6e7 * P(t) = [(base + class) * 6e7 - rate * enqueued] + rate * t. With one rate per engine
 * the bracket (pkey) is fixed for an item's whole wait and orders all items the same way at
 * every t: heaps keyed by pkey never need re-sorting as time passes, and heads of different
 * lines compare by pkey directly. */
#include <stdlib.h>
#include <string.h>

#include "route_engine_int.h"

int64_t rt_pkey(struct route_engine *e, const struct rt_item *it)
{
    if (!e->epoch_set) {
        e->epoch = it->enq;
        e->epoch_set = true;
    }
    int64_t base = (int64_t)it->base + e->queues[it->queue]->priority_class;
    return (it->head ? RT_HEAD_BONUS : 0) + base * RT_POINT_SCALE -
           (int64_t)e->cfg.ageing_milli_per_min * (it->enq - e->epoch);
}

static double effective_priority(const struct route_engine *e, const struct rt_item *it)
{
    double base = (double)it->base + e->queues[it->queue]->priority_class;
    return base +
           (double)e->cfg.ageing_milli_per_min / 1000.0 * (double)(e->now - it->enq) / 60000.0;
}

int rt_step_at(const struct rt_queue *q, int64_t waited)
{
    int s = 0;
    while (s < q->nsteps && waited >= q->step[s + 1].after_ms) s++;
    return s;
}

static struct rt_line *item_line(struct route_engine *e, const struct rt_item *it)
{
    if (it->team != RT_NONE) return &e->teams[it->team]->line;
    return &e->queues[it->queue]->line[it->step][it->vulnerable ? 1 : 0];
}

/* Capacity was reserved when the item joined its queue or team (rt_reserve_*). */
int rt_line_insert(struct route_engine *e, uint32_t ii)
{
    struct rt_item *it = &e->items[ii];
    struct rt_line *l = item_line(e, it);
    it->pkey = rt_pkey(e, it);
    it->state = RT_WAITING;
    it->gen++;
    int rc = rt_iheap_push(&l->h[it->channel], e->items, ii);
    if (rc != 0) return rc;
    l->n++;
    e->waiting++;
    return 0;
}

void rt_line_detach(struct route_engine *e, uint32_t ii)
{
    struct rt_item *it = &e->items[ii];
    struct rt_line *l = item_line(e, it);
    rt_iheap_remove(&l->h[it->channel], e->items, it->pos);
    l->n--;
    e->waiting--;
    it->gen++;
}

static void push_timer(struct route_engine *e, struct rt_timer t)
{
    if (rt_theap_push(&e->timers, t) != 0) e->timer_failures++;
}

int rt_push_step_timer(struct route_engine *e, uint32_t ii)
{
    struct rt_item *it = &e->items[ii];
    const struct rt_queue *q = e->queues[it->queue];
    if (it->team != RT_NONE || it->step >= q->nsteps) return 0;
    push_timer(e, (struct rt_timer){.at = it->enq + q->step[it->step + 1].after_ms,
                                    .idx = ii,
                                    .gen = it->gen,
                                    .kind = RT_T_STEP});
    return 0;
}

static void emit(struct route_engine *e, enum route_decision_kind kind, enum route_reason why,
                 int step, const struct rt_item *it, const struct rt_adviser *a)
{
    e->decisions++;
    if (e->decide == NULL) return;
    struct route_decision d = {.kind = kind, .reason = why, .step = step, .at_ms = e->now};
    if (it != NULL) {
        d.conversation_id = it->conv;
        d.customer_id = it->customer;
        d.queue_id = e->queues[it->queue]->id;
        d.team_id = it->team != RT_NONE ? e->teams[it->team]->id : 0;
        d.channel = it->channel;
        d.vulnerable = it->vulnerable;
        d.needs_accept = it->state == RT_OFFERED;
        d.accept_deadline_ms = d.needs_accept ? it->accept_deadline : 0;
        d.waited_ms = e->now - it->enq;
        d.effective_priority = effective_priority(e, it);
    }
    if (a != NULL) {
        d.adviser_id = a->id;
        d.adviser_load_milli = a->load;
        d.adviser_capacity_milli = a->capacity;
        d.presence = (enum route_presence)a->presence;
    }
    e->decide(e->ctx, &d);
}

static bool fits(const struct rt_adviser *a, int ch)
{
    return a->w[ch] > 0 && a->load + a->w[ch] <= a->capacity;
}

/* What an adviser must meet to take this item now (all of it, not a profile's difference). */
static const struct rt_reqset *item_set(const struct route_engine *e, const struct rt_item *it)
{
    if (it->team != RT_NONE) return &e->profiles[e->teams[it->team]->prof]->want;
    bool spec = it->vulnerable && e->specialists_online > 0;
    return &e->queues[it->queue]->set[it->step][spec ? 1 : 0];
}

static bool eligible(const struct route_engine *e, uint32_t ai, const struct rt_item *it)
{
    if (ai == RT_NONE || ai == it->excluded) return false;
    const struct rt_adviser *a = &e->advisers[ai];
    return rt_available(e, a) && fits(a, it->channel) && rt_set_matches(a, item_set(e, it));
}

/* Assigns (or offers) a waiting item. 0, or PARLEY_ENOMEM and the item keeps waiting. */
static int assign(struct route_engine *e, uint32_t ii, uint32_t ai, enum route_reason why, int step)
{
    struct rt_item *it = &e->items[ii];
    struct rt_adviser *a = &e->advisers[ai];
    if (rt_grow((void **)&a->assigned, &a->capassigned, a->nassigned + 1, sizeof(*a->assigned)) !=
        0)
        return PARLEY_ENOMEM;
    if (it->state == RT_WAITING) rt_line_detach(e, ii);
    it->adviser = ai;
    it->apos = a->nassigned;
    a->assigned[a->nassigned++] = ii;
    a->load += a->w[it->channel];
    a->idle_since = e->now;
    it->excluded = RT_NONE;
    it->gen++;
    if (a->accept_required) {
        it->state = RT_OFFERED;
        it->accept_deadline = e->now + a->accept_timeout_ms;
        e->offered++;
        push_timer(e,
                   (struct rt_timer){
                       .at = it->accept_deadline, .idx = ii, .gen = it->gen, .kind = RT_T_ACCEPT});
    } else {
        it->state = RT_ACCEPTED;
        e->accepted++;
        rt_sticky_note(&e->sticky, it->customer, a->id, e->now);
    }
    rt_refresh(e, ai);
    emit(e, ROUTE_ASSIGN, why, step, it, a);
    return 0;
}

/* Takes an assigned item off its adviser (capacity freed; the caller refreshes). */
static void unassign(struct route_engine *e, uint32_t ii)
{
    struct rt_item *it = &e->items[ii];
    struct rt_adviser *a = &e->advisers[it->adviser];
    uint32_t last = a->assigned[--a->nassigned];
    a->assigned[it->apos] = last;
    e->items[last].apos = it->apos;
    a->load -= a->w[it->channel];
    if (it->state == RT_OFFERED)
        e->offered--;
    else
        e->accepted--;
    it->adviser = RT_NONE;
    it->gen++;
}

/* Looks up the customer's last adviser when the item enters (or re-enters) a queue; routing
 * attempts while it waits reuse it. */
static void note_sticky(struct route_engine *e, struct rt_item *it)
{
    it->sticky_id = 0;
    if (e->cfg.sticky_window_ms <= 0 || it->customer <= 0) return;
    const struct rt_sticky_entry *s = rt_sticky_get(&e->sticky, it->customer);
    if (s == NULL) return;
    it->sticky_id = s->adviser_id;
    it->sticky_at = s->at;
}

static bool sticky_adviser(const struct route_engine *e, const struct rt_item *it, uint32_t *ai)
{
    if (it->sticky_id == 0 || e->now - it->sticky_at > e->cfg.sticky_window_ms) return false;
    *ai = rt_map_get(&e->adviser_ids, it->sticky_id);
    return *ai != RT_NONE;
}

/* A waiting item looks for the best eligible adviser: preferred, sticky, then the best root
 * of the heaps of the profiles for its steps so far (an adviser is in the one of the step they
 * first qualify at): least occupied, longest idle. O(S + r), S steps. */
void rt_route_item(struct route_engine *e, uint32_t ii)
{
    struct rt_item *it = &e->items[ii];
    if (it->state != RT_WAITING) return;
    uint32_t ai = RT_NONE;
    enum route_reason why;
    int step = it->step;
    if (it->preferred > 0) ai = rt_map_get(&e->adviser_ids, it->preferred);
    if (it->preferred > 0 && eligible(e, ai, it)) {
        why = ROUTE_REASON_PREFERRED;
    } else if (sticky_adviser(e, it, &ai) && eligible(e, ai, it)) {
        why = ROUTE_REASON_STICKY;
    } else {
        bool team = it->team != RT_NONE;
        bool spec = !team && it->vulnerable && e->specialists_online > 0;
        const struct rt_queue *q = e->queues[it->queue];
        const struct rt_aentry *top[2] = {NULL, NULL};
        int first = 0;
        int64_t excl_id = it->excluded != RT_NONE ? e->advisers[it->excluded].id : 0;
        for (int s = 0; s <= (team ? 0 : it->step); s++) {
            uint32_t prof = team ? e->teams[it->team]->prof : q->prof[s][spec];
            const struct rt_aheap *h = &e->profiles[prof]->avail[it->channel];
            uint32_t best[2];
            int n = rt_aheap_best2(h, excl_id, best);
            for (int k = 0; k < n; k++) {
                const struct rt_aentry *x = &h->a[best[k]];
                if (top[0] == NULL || rt_aentry_better(x, top[0])) {
                    top[1] = top[0];
                    top[0] = x;
                    first = s;
                } else if (top[1] == NULL || rt_aentry_better(x, top[1])) {
                    top[1] = x;
                }
            }
        }
        if (top[0] == NULL) return;
        ai = e->memb[top[0]->memb].adviser;
        if (team)
            why = ROUTE_REASON_TRANSFER;
        else if (spec)
            why = ROUTE_REASON_SPECIALIST;
        else if (first > 0)
            why = ROUTE_REASON_RELAXED, step = first;
        else if (top[1] != NULL && top[0]->occ == top[1]->occ)
            why = ROUTE_REASON_LONGEST_IDLE;
        else
            why = ROUTE_REASON_LEAST_OCCUPIED;
    }
    (void)assign(e, ii, ai, why, step);
}

static void consider(struct route_engine *e, const struct rt_line *l, int ch, uint32_t ai,
                     const struct rt_ientry **best, uint8_t *best_role, uint8_t role)
{
    const struct rt_iheap *h = &l->h[ch];
    uint32_t pos = rt_iheap_best(h, e->items, ai);
    if (pos == RT_NONE) return;
    if (*best == NULL || rt_ientry_better(&h->a[pos], *best)) {
        *best = &h->a[pos];
        *best_role = role;
    }
}

/* A freed adviser takes the best ranked waiting work it is eligible for, until full:
 * O(K L) per pick over its memberships and the lines their profiles serve (a queue profile
 * serves its first step's lines and every later step's). */
void rt_fill(struct route_engine *e, uint32_t ai)
{
    for (;;) {
        struct rt_adviser *a = &e->advisers[ai];
        if (!rt_available(e, a)) return;
        const struct rt_ientry *best = NULL;
        uint8_t role = 0, first = 0;
        bool spec_on = e->specialists_online > 0;
        for (uint32_t i = 0; i < a->nmemb; i++) {
            const struct rt_memb *m = &e->memb[a->memb[i]];
            if (m->pos == RT_NONE) continue; /* no room for that channel */
            const struct rt_profile *p = e->profiles[m->prof];
            for (uint32_t k = 0; k < p->nserved; k++) {
                struct rt_served sv = p->served[k];
                if (sv.role == RT_ROLE_TEAM) {
                    consider(e, &e->teams[sv.owner]->line, m->ch, ai, &best, &role, sv.role);
                    continue;
                }
                struct rt_queue *q = e->queues[sv.owner];
                if (sv.role == RT_ROLE_SPEC && !spec_on) continue;
                for (int st = sv.step; st <= q->nsteps; st++) {
                    const struct rt_ientry *was = best;
                    if (sv.role == RT_ROLE_NORMAL)
                        consider(e, &q->line[st][0], m->ch, ai, &best, &role, sv.role);
                    if (sv.role == RT_ROLE_SPEC || !spec_on)
                        consider(e, &q->line[st][1], m->ch, ai, &best, &role, sv.role);
                    if (best != was) first = sv.step;
                }
            }
        }
        if (best == NULL) return;
        uint32_t ii = best->item;
        const struct rt_item *it = &e->items[ii];
        enum route_reason why = ROUTE_REASON_PRIORITY;
        int step = it->step;
        uint32_t sticky;
        if (it->preferred == a->id) {
            why = ROUTE_REASON_PREFERRED;
        } else if (sticky_adviser(e, it, &sticky) && sticky == ai) {
            why = ROUTE_REASON_STICKY;
        } else if (role == RT_ROLE_TEAM) {
            why = ROUTE_REASON_TRANSFER;
        } else if (role == RT_ROLE_SPEC) {
            why = ROUTE_REASON_SPECIALIST;
        } else if (first > 0) {
            why = ROUTE_REASON_RELAXED, step = first;
        }
        if (assign(e, ii, ai, why, step) != 0) return;
    }
}

static int cmp_rank(const void *x, const void *y)
{
    const struct rt_ientry *a = x, *b = y;
    if (rt_ientry_better(a, b)) return -1;
    if (rt_ientry_better(b, a)) return 1;
    return 0;
}

void rt_batch_add(struct route_engine *e, uint32_t ii)
{
    struct rt_item *it = &e->items[ii];
    if (it->marked) return;
    it->marked = 1;
    e->scratch[e->nbatch++].item = ii; /* capacity >= items */
}

void rt_fill_later(struct route_engine *e, uint32_t ai)
{
    struct rt_adviser *a = &e->advisers[ai];
    if (a->marked) return;
    a->marked = true;
    e->fillq[e->nfill++] = ai; /* capacity >= advisers */
}

/* Everything that changed at one instant is applied before anything is decided, so that
 * decisions see one consistent state: first the advisers who may take work pick the best
 * ranked work they are eligible for, then the changed work (requeued, stepped, re-opened)
 * looks for advisers, best ranked first. */
void rt_settle(struct route_engine *e)
{
    for (uint32_t i = 0; i < e->nfill; i++) {
        uint32_t ai = e->fillq[i];
        e->advisers[ai].marked = false;
        rt_fill(e, ai);
    }
    e->nfill = 0;
    uint32_t n = e->nbatch;
    for (uint32_t i = 0; i < n; i++) {
        const struct rt_item *it = &e->items[e->scratch[i].item];
        e->scratch[i].pkey = it->pkey;
        e->scratch[i].enq = it->enq;
        e->scratch[i].seq = it->seq;
    }
    if (n > 1) qsort(e->scratch, n, sizeof(*e->scratch), cmp_rank);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t ii = e->scratch[i].item;
        e->items[ii].marked = 0;
        rt_route_item(e, ii); /* routing never adds to the batch */
    }
    e->nbatch = 0;
}

/* Puts a (detached) item back in its line at the head, with timers, and reports it. */
static void back_to_head(struct route_engine *e, uint32_t ii, uint32_t from, enum route_reason why)
{
    struct rt_item *it = &e->items[ii];
    it->head = 1;
    note_sticky(e, it);
    if (it->team == RT_NONE) it->step = (uint8_t)rt_step_at(e->queues[it->queue], e->now - it->enq);
    (void)rt_line_insert(e, ii); /* reserved */
    (void)rt_push_step_timer(e, ii);
    emit(e, ROUTE_REQUEUE, why, it->step, it, &e->advisers[from]);
    rt_batch_add(e, ii);
}

void rt_requeue_from(struct route_engine *e, uint32_t ai, bool all, enum route_reason why)
{
    struct rt_adviser *a = &e->advisers[ai];
    for (uint32_t i = 0; i < a->nassigned;) {
        uint32_t ii = a->assigned[i];
        if (!all && e->items[ii].state != RT_OFFERED) {
            i++;
            continue;
        }
        unassign(e, ii); /* moves the last into slot i */
        back_to_head(e, ii, ai, why);
    }
    rt_refresh(e, ai);
}

/* Requeues one assigned item that its adviser declined or let time out; the adviser may
 * take other work. */
static void requeue_one(struct route_engine *e, uint32_t ii, enum route_reason why)
{
    struct rt_item *it = &e->items[ii];
    uint32_t ai = it->adviser;
    unassign(e, ii);
    it->excluded = ai;
    back_to_head(e, ii, ai, why);
    rt_refresh(e, ai);
    rt_fill_later(e, ai);
}

void rt_spec_changed(struct route_engine *e, uint32_t before)
{
    if (before == 0 || e->specialists_online > 0) return;
    /* The last specialist went: vulnerable work may now go to anyone eligible. */
    for (uint32_t qi = 0; qi < e->nqueues; qi++) {
        const struct rt_queue *q = e->queues[qi];
        if (!q->live) continue;
        for (int s = 0; s <= q->nsteps; s++)
            for (int c = 0; c < ROUTE_MAX_CHANNELS; c++) {
                const struct rt_iheap *h = &q->line[s][1].h[c];
                for (uint32_t i = 0; i < h->n; i++) rt_batch_add(e, h->a[i].item);
            }
    }
}

/* ---- timers ---- */

static void on_timer(struct route_engine *e, struct rt_timer t)
{
    if (t.kind == RT_T_WRAPUP) {
        struct rt_adviser *a = &e->advisers[t.idx];
        if (!a->live || a->wgen != t.gen) return;
        a->wrapup_until = 0;
        rt_refresh(e, t.idx);
        rt_fill_later(e, t.idx);
        return;
    }
    struct rt_item *it = &e->items[t.idx];
    if (it->gen != t.gen) return;
    if (t.kind == RT_T_STEP && it->state == RT_WAITING) {
        rt_line_detach(e, t.idx);
        it->step = (uint8_t)rt_step_at(e->queues[it->queue], e->now - it->enq);
        (void)rt_line_insert(e, t.idx);
        (void)rt_push_step_timer(e, t.idx);
        rt_batch_add(e, t.idx);
    } else if (t.kind == RT_T_ACCEPT && it->state == RT_OFFERED) {
        uint32_t ai = it->adviser;
        requeue_one(e, t.idx, ROUTE_REASON_ACCEPT_TIMEOUT);
        struct rt_adviser *a = &e->advisers[ai];
        if (e->cfg.away_on_accept_timeout && a->presence == ROUTE_ONLINE) {
            /* reported first (the service records it), then applied */
            a->presence = ROUTE_AWAY;
            emit(e, ROUTE_PRESENCE_CHANGED, ROUTE_REASON_ACCEPT_TIMEOUT, 0, NULL, a);
            a->presence = ROUTE_ONLINE;
            rt_set_presence(e, ai, ROUTE_AWAY, ROUTE_REASON_ADVISER_AWAY);
        }
    }
}

void rt_advance(struct route_engine *e, int64_t now)
{
    if (now < e->now) now = e->now;
    while (e->timers.n > 0 && e->timers.a[0].at <= now) {
        int64_t at = e->timers.a[0].at;
        if (at > e->now) e->now = at;
        while (e->timers.n > 0 && e->timers.a[0].at == at) {
            struct rt_timer t = e->timers.a[0];
            rt_theap_pop(&e->timers);
            on_timer(e, t);
        }
        rt_settle(e); /* one instant at a time */
    }
    e->now = now;
}

int64_t route_tick(struct route_engine *e, int64_t now_ms)
{
    rt_advance(e, now_ms);
    return route_next_due(e);
}

int64_t route_next_due(const struct route_engine *e)
{
    return e->timers.n > 0 ? e->timers.a[0].at : INT64_MAX;
}

/* ---- work ---- */

static int check_work(struct route_engine *e, const struct route_work *w, uint32_t *qi,
                      struct parley_err *err)
{
    if (w == NULL || w->conversation_id <= 0)
        return parley_fail(err, PARLEY_EINVAL, "conversation_id", "must be > 0");
    if (w->customer_id < 0 || w->preferred_adviser_id < 0)
        return parley_fail(err, PARLEY_EINVAL, "customer_id", "ids are 0 (none) or > 0");
    if (w->channel < 0 || w->channel >= ROUTE_MAX_CHANNELS)
        return parley_fail(err, PARLEY_EINVAL, "channel", "must be 0..%d", ROUTE_MAX_CHANNELS - 1);
    *qi = rt_map_get(&e->queue_ids, w->queue_id);
    if (*qi == RT_NONE) return parley_fail(err, PARLEY_ENOTFOUND, "queue_id", "no such queue");
    int64_t p = (int64_t)w->priority + e->queues[*qi]->priority_class;
    if (w->priority > ROUTE_MAX_PRIORITY || w->priority < -ROUTE_MAX_PRIORITY ||
        p > ROUTE_MAX_PRIORITY || p < -ROUTE_MAX_PRIORITY)
        return parley_fail(err, PARLEY_EINVAL, "priority", "must be within +-%d with the class",
                           ROUTE_MAX_PRIORITY);
    if (e->epoch_set && (w->enqueued_ms - e->epoch > RT_MAX_TIME_SPAN ||
                         e->epoch - w->enqueued_ms > RT_MAX_TIME_SPAN))
        return parley_fail(err, PARLEY_EINVAL, "enqueued_ms", "too far from the other work");
    if (rt_map_get(&e->conv_ids, w->conversation_id) != RT_NONE)
        return parley_fail(err, PARLEY_ECONFLICT, "conversation_id",
                           "the conversation is already routed");
    return 0;
}

/* A fresh item slot for w, registered and counted in its queue (not in a line yet). */
static int new_item(struct route_engine *e, const struct route_work *w, uint32_t qi, uint32_t *out,
                    struct parley_err *err)
{
    struct rt_queue *q = e->queues[qi];
    uint32_t ii = e->free_item;
    if (ii == RT_NONE &&
        rt_grow((void **)&e->items, &e->capitems, e->nitems + 1, sizeof(*e->items)) != 0)
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    uint32_t total = e->nitems + 1;
    if (rt_grow((void **)&e->scratch, &e->capscratch, total, sizeof(*e->scratch)) != 0 ||
        rt_reserve_queue(e, q, w->channel, 1) != 0)
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    if (ii == RT_NONE) ii = e->nitems;
    if (rt_map_put(&e->conv_ids, w->conversation_id, ii) != 0)
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    if (ii == e->free_item)
        e->free_item = e->items[ii].next_free;
    else
        e->nitems++;
    struct rt_item *it = &e->items[ii];
    uint32_t gen = it->gen;
    memset(it, 0, sizeof(*it));
    it->gen = gen + 1;
    it->conv = w->conversation_id;
    it->customer = w->customer_id;
    it->enq = w->enqueued_ms;
    it->preferred = w->preferred_adviser_id;
    it->seq = ++e->seq;
    it->queue = qi;
    it->team = it->adviser = it->excluded = it->pos = RT_NONE;
    it->base = w->priority;
    it->channel = (uint8_t)w->channel;
    it->vulnerable = w->vulnerable;
    it->head = w->to_head;
    it->step = (uint8_t)rt_step_at(q, e->now - it->enq);
    note_sticky(e, it);
    q->items++;
    q->chitems[it->channel]++;
    *out = ii;
    return 0;
}

static void free_item(struct route_engine *e, uint32_t ii)
{
    struct rt_item *it = &e->items[ii];
    struct rt_queue *q = e->queues[it->queue];
    q->items--;
    q->chitems[it->channel]--;
    if (it->team != RT_NONE) {
        e->teams[it->team]->items--;
        e->teams[it->team]->chitems[it->channel]--;
    }
    rt_map_del(&e->conv_ids, it->conv);
    it->state = RT_FREE;
    it->gen++;
    it->next_free = e->free_item;
    e->free_item = ii;
}

int route_enqueue(struct route_engine *e, const struct route_work *w, int64_t now_ms,
                  struct parley_err *err)
{
    uint32_t qi, ii;
    int rc = check_work(e, w, &qi, err);
    if (rc != 0) return rc;
    rt_advance(e, now_ms);
    if ((rc = new_item(e, w, qi, &ii, err)) != 0) return rc;
    (void)rt_line_insert(e, ii);
    (void)rt_push_step_timer(e, ii);
    rt_route_item(e, ii);
    return 0;
}

int route_restore_assignment(struct route_engine *e, const struct route_work *w, int64_t adviser_id,
                             bool accepted, int64_t now_ms, struct parley_err *err)
{
    uint32_t qi, ii;
    int rc = check_work(e, w, &qi, err);
    if (rc != 0) return rc;
    uint32_t ai = rt_map_get(&e->adviser_ids, adviser_id);
    if (ai == RT_NONE) return parley_fail(err, PARLEY_ENOTFOUND, "adviser_id", "no such adviser");
    rt_advance(e, now_ms);
    struct rt_adviser *a = &e->advisers[ai];
    if (rt_grow((void **)&a->assigned, &a->capassigned, a->nassigned + 1, sizeof(*a->assigned)) !=
        0)
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    if ((rc = new_item(e, w, qi, &ii, err)) != 0) return rc;
    struct rt_item *it = &e->items[ii];
    it->pkey = rt_pkey(e, it);
    it->adviser = ai;
    it->apos = a->nassigned;
    a->assigned[a->nassigned++] = ii;
    a->load += a->w[it->channel];
    if (accepted || !a->accept_required) {
        it->state = RT_ACCEPTED;
        e->accepted++;
    } else {
        it->state = RT_OFFERED;
        it->accept_deadline = e->now + a->accept_timeout_ms;
        e->offered++;
        push_timer(e,
                   (struct rt_timer){
                       .at = it->accept_deadline, .idx = ii, .gen = it->gen, .kind = RT_T_ACCEPT});
    }
    rt_refresh(e, ai);
    return 0;
}

static int find_conv(struct route_engine *e, int64_t conv, uint32_t *ii, struct parley_err *err)
{
    *ii = rt_map_get(&e->conv_ids, conv);
    if (*ii == RT_NONE)
        return parley_fail(err, PARLEY_ENOTFOUND, "conversation_id",
                           "the engine is not routing this conversation");
    return 0;
}

/* Applies what is due, then finds a conversation assigned to this adviser. */
static int find_assigned(struct route_engine *e, int64_t conv, int64_t adviser_id, int64_t now_ms,
                         uint32_t *ii, struct parley_err *err)
{
    rt_advance(e, now_ms);
    int rc = find_conv(e, conv, ii, err);
    if (rc != 0) return rc;
    const struct rt_item *it = &e->items[*ii];
    if (it->adviser == RT_NONE || e->advisers[it->adviser].id != adviser_id)
        return parley_fail(err, PARLEY_ECONFLICT, "adviser_id",
                           "the conversation is not assigned to this adviser");
    return 0;
}

/* Takes the item off its adviser or out of its line; returns the adviser it left or RT_NONE. */
static uint32_t detach_any(struct route_engine *e, uint32_t ii)
{
    struct rt_item *it = &e->items[ii];
    uint32_t ai = it->adviser;
    if (it->state == RT_WAITING)
        rt_line_detach(e, ii);
    else
        unassign(e, ii);
    it->state = RT_FREE; /* in no line and with no adviser until placed again */
    return ai;
}

/* After work left adviser ai (if any): it may take more. */
static void freed(struct route_engine *e, uint32_t ai)
{
    if (ai == RT_NONE) return;
    rt_refresh(e, ai);
    rt_fill(e, ai);
}

/* The item stops belonging to the team line it was transferred to (if any). */
static void leave_team(struct route_engine *e, struct rt_item *it)
{
    if (it->team == RT_NONE) return;
    e->teams[it->team]->items--;
    e->teams[it->team]->chitems[it->channel]--;
    it->team = RT_NONE;
}

/* The common start of a transfer: due work applied, the conversation and the target found. */
static int transfer_start(struct route_engine *e, int64_t conv, int64_t now_ms,
                          const struct rt_map *targets, int64_t target_id, const char *field,
                          uint32_t *ii, uint32_t *ti, struct parley_err *err)
{
    rt_advance(e, now_ms);
    int rc = find_conv(e, conv, ii, err);
    if (rc != 0) return rc;
    *ti = rt_map_get(targets, target_id);
    if (*ti == RT_NONE) return parley_fail(err, PARLEY_ENOTFOUND, field, "no such %s", field);
    return 0;
}

/* A transferred item waits in its new line (team or queue), is routed, and the adviser it
 * left (if any) may take other work. */
static void transferred(struct route_engine *e, uint32_t ii, uint32_t from)
{
    e->items[ii].excluded = from;
    (void)rt_line_insert(e, ii); /* reserved */
    (void)rt_push_step_timer(e, ii);
    rt_route_item(e, ii);
    freed(e, from);
}

int route_withdraw(struct route_engine *e, int64_t conversation_id, int64_t now_ms,
                   struct parley_err *err)
{
    uint32_t ii;
    int rc = find_conv(e, conversation_id, &ii, err);
    if (rc != 0) return rc;
    rt_advance(e, now_ms);
    uint32_t ai = detach_any(e, ii);
    free_item(e, ii);
    freed(e, ai);
    return 0;
}

int route_accept(struct route_engine *e, int64_t conversation_id, int64_t adviser_id,
                 int64_t now_ms, struct parley_err *err)
{
    uint32_t ii;
    int rc = find_assigned(e, conversation_id, adviser_id, now_ms, &ii, err);
    if (rc != 0) return rc;
    struct rt_item *it = &e->items[ii];
    if (it->state == RT_ACCEPTED) return 0;
    it->state = RT_ACCEPTED;
    it->gen++;
    e->offered--;
    e->accepted++;
    rt_sticky_note(&e->sticky, it->customer, adviser_id, e->now);
    return 0;
}

int route_decline(struct route_engine *e, int64_t conversation_id, int64_t adviser_id,
                  int64_t now_ms, struct parley_err *err)
{
    uint32_t ii;
    int rc = find_assigned(e, conversation_id, adviser_id, now_ms, &ii, err);
    if (rc != 0) return rc;
    requeue_one(e, ii, ROUTE_REASON_DECLINED);
    rt_settle(e);
    return 0;
}

int route_complete(struct route_engine *e, int64_t conversation_id, int64_t now_ms,
                   struct parley_err *err)
{
    uint32_t ii;
    rt_advance(e, now_ms);
    int rc = find_conv(e, conversation_id, &ii, err);
    if (rc != 0) return rc;
    struct rt_item *it = &e->items[ii];
    if (it->state == RT_WAITING)
        return parley_fail(err, PARLEY_ECONFLICT, "conversation_id",
                           "the conversation is waiting, not assigned");
    uint32_t ai = it->adviser;
    struct rt_adviser *a = &e->advisers[ai];
    rt_sticky_note(&e->sticky, it->customer, a->id, e->now);
    unassign(e, ii);
    free_item(e, ii);
    a->idle_since = e->now;
    if (a->wrapup_ms > 0) {
        a->wrapup_until = e->now + a->wrapup_ms;
        a->wgen++;
        push_timer(e, (struct rt_timer){
                          .at = a->wrapup_until, .idx = ai, .gen = a->wgen, .kind = RT_T_WRAPUP});
    }
    freed(e, ai);
    return 0;
}

int route_transfer_to_adviser(struct route_engine *e, int64_t conversation_id, int64_t adviser_id,
                              int64_t now_ms, struct parley_err *err)
{
    uint32_t ii, bi;
    int rc = transfer_start(e, conversation_id, now_ms, &e->adviser_ids, adviser_id, "adviser_id",
                            &ii, &bi, err);
    if (rc != 0) return rc;
    struct rt_item *it = &e->items[ii];
    if (it->adviser == bi)
        return parley_fail(err, PARLEY_ECONFLICT, "adviser_id",
                           "the conversation is already with this adviser");
    const struct rt_adviser *b = &e->advisers[bi];
    if (!rt_available(e, b) || !fits(b, it->channel))
        return parley_fail(err, PARLEY_EBUSY, "adviser_id",
                           "the adviser is not online, is in wrap-up or has no capacity for it");
    if (rt_grow((void **)&e->advisers[bi].assigned, &e->advisers[bi].capassigned, b->nassigned + 1,
                sizeof(uint32_t)) != 0)
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    uint32_t ai = detach_any(e, ii);
    leave_team(e, it);
    (void)assign(e, ii, bi, ROUTE_REASON_TRANSFER, it->step);
    freed(e, ai);
    return 0;
}

int route_transfer_to_team(struct route_engine *e, int64_t conversation_id, int64_t team_id,
                           int64_t now_ms, struct parley_err *err)
{
    uint32_t ii, ti;
    int rc =
        transfer_start(e, conversation_id, now_ms, &e->team_ids, team_id, "team_id", &ii, &ti, err);
    if (rc != 0) return rc;
    struct rt_item *it = &e->items[ii];
    struct rt_team *t = e->teams[ti];
    if (it->team != ti) {
        struct rt_iheap *h = &t->line.h[it->channel];
        if (rt_grow((void **)&h->a, &h->cap, (uint32_t)t->chitems[it->channel] + 1,
                    sizeof(*h->a)) != 0)
            return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    }
    uint32_t ai = detach_any(e, ii);
    if (it->team != ti) {
        leave_team(e, it);
        it->team = ti;
        t->items++;
        t->chitems[it->channel]++;
    }
    transferred(e, ii, ai);
    return 0;
}

int route_transfer_to_queue(struct route_engine *e, int64_t conversation_id, int64_t queue_id,
                            int64_t now_ms, struct parley_err *err)
{
    uint32_t ii, qi;
    int rc = transfer_start(e, conversation_id, now_ms, &e->queue_ids, queue_id, "queue_id", &ii,
                            &qi, err);
    if (rc != 0) return rc;
    struct rt_item *it = &e->items[ii];
    struct rt_queue *q = e->queues[qi];
    int64_t p = (int64_t)it->base + q->priority_class;
    if (p > ROUTE_MAX_PRIORITY || p < -ROUTE_MAX_PRIORITY)
        return parley_fail(err, PARLEY_EINVAL, "queue_id", "priority out of range in that queue");
    if (qi != it->queue && rt_reserve_queue(e, q, it->channel, 1) != 0)
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    uint32_t ai = detach_any(e, ii);
    leave_team(e, it);
    struct rt_queue *old = e->queues[it->queue];
    old->items--;
    old->chitems[it->channel]--;
    q->items++;
    q->chitems[it->channel]++;
    it->queue = qi;
    it->enq = e->now;
    it->head = 0;
    it->seq = ++e->seq;
    it->step = 0;
    note_sticky(e, it);
    transferred(e, ii, ai);
    return 0;
}

int route_conv_get(const struct route_engine *e, int64_t conversation_id,
                   struct route_conv_info *out)
{
    uint32_t ii = rt_map_get(&e->conv_ids, conversation_id);
    if (ii == RT_NONE) return PARLEY_ENOTFOUND;
    const struct rt_item *it = &e->items[ii];
    *out = (struct route_conv_info){
        .state = it->state == RT_WAITING   ? ROUTE_WAITING
                 : it->state == RT_OFFERED ? ROUTE_OFFERED
                                           : ROUTE_ACCEPTED,
        .queue_id = e->queues[it->queue]->id,
        .team_id = it->team != RT_NONE ? e->teams[it->team]->id : 0,
        .adviser_id = it->adviser != RT_NONE ? e->advisers[it->adviser].id : 0,
        .channel = it->channel,
        .step = it->step,
        .enqueued_ms = it->enq,
        .effective_priority = effective_priority(e, it),
    };
    return 0;
}
