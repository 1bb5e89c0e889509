/* Erlang C and Erlang A. No factorials: Erlang B by its recursion, Erlang C from B, and the
 * M/M/n+M (Palm) state probabilities as running products accumulated in log space with a
 * moving scale, so neither large loads nor long queues overflow. The Erlang A service level
 * uses the exact waiting-time law of a caller who finds j others waiting: the phases ahead of
 * it have rates n*mu + i*theta, which makes P(answered) = n*mu / (n*mu + (j+1)*theta) and the
 * answered caller's wait a regularised incomplete beta I_y(j+1, n*mu/theta + 1) with
 * y = 1 - exp(-theta*t) (docs/staffing.md derives both). */
#include "wfm_erlang.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double wfm_erlang_b(int n, double a)
{
    double b = 1.0;
    for (int k = 1; k <= n; k++) b = a * b / (k + a * b);
    return b;
}

double wfm_erlang_c(int n, double a)
{
    if (n <= 0 || a >= n) return 1.0;
    double b = wfm_erlang_b(n, a);
    return n * b / (n - a * (1.0 - b));
}

/* log(1/B(n, a)) by the recursion 1/B(k) = 1 + (k/a) / B(k-1), in log space: for n far above
 * a, B underflows long before the answer stops being useful. */
static double log_inverse_erlang_b(int n, double a)
{
    double l = 0; /* 1/B(0) = 1 */
    for (int k = 1; k <= n; k++) {
        double x = log(k / a) + l; /* log((k/a) / B(k-1)) */
        l = x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
    }
    return l;
}

static void erlang_c_metrics(int n, double a, double aht, double t, struct wfm_result *r)
{
    r->p_abandon = 0;
    if (a >= n) { /* unstable: the queue grows without bound */
        r->p_wait = 1;
        r->service_level = 0;
        r->asa_s = INFINITY;
        r->occupancy = 1;
        return;
    }
    double c = wfm_erlang_c(n, a);
    r->p_wait = c;
    r->service_level = 1.0 - c * exp(-(n - a) * t / aht);
    r->asa_s = c * aht / (n - a);
    r->occupancy = a / n;
}

/* Sums over states weighted by unnormalised probabilities exp(logw), kept relative to the
 * largest log weight seen so far. */
struct scaled_sums {
    double max_log;
    double z, immediate, waiting, answered, answered_in_time, wait_time, queue;
};

static void rescale(struct scaled_sums *s, double logw)
{
    if (logw <= s->max_log) return;
    double f = exp(s->max_log - logw);
    s->z *= f;
    s->immediate *= f;
    s->waiting *= f;
    s->answered *= f;
    s->answered_in_time *= f;
    s->wait_time *= f;
    s->queue *= f;
    s->max_log = logw;
}

static void erlang_a_metrics(int n, double lambda, double aht, double patience, double t,
                             struct wfm_result *r)
{
    double mu_n = n / aht, theta = 1.0 / patience;
    struct scaled_sums s = {.max_log = 0};
    /* States 0..n-1 (answered at once) weigh (1/B - 1) relative to state n, whose weight is 1:
     * sum_{k<=n} a^k/k! = (a^n/n!) / B(n, a). */
    double log_inv_b = log_inverse_erlang_b(n, lambda * aht);
    if (log_inv_b > 0) {
        double log_low = log_inv_b + log(-expm1(-log_inv_b)); /* log(1/B - 1) */
        rescale(&s, log_low);
        s.immediate = exp(log_low - s.max_log);
        s.z = s.immediate;
    }
    /* A caller finding all servers busy and j waiting is the (j+1)-th in line. */
    double y = t > 0 ? -expm1(-theta * t) : 0, log_y = t > 0 ? log(y) : -INFINITY;
    double beta_b = mu_n / theta + 1.0;
    double log_term = log(beta_b) + log_y - (mu_n + theta) * t;  /* log T_1 */
    double incomplete = t > 0 ? -expm1(-(mu_n + theta) * t) : 0; /* I_y(1, b) */
    double logw = 0, mean_wait = 0;
    for (long j = 0; j < 50000000L; j++) {
        double m = (double)j + 1.0;
        if (j > 0) logw += log(lambda / (mu_n + j * theta));
        rescale(&s, logw);
        double w = exp(logw - s.max_log);
        double p_answer = mu_n / (mu_n + m * theta);
        mean_wait += 1.0 / (mu_n + m * theta);
        s.z += w;
        s.waiting += w;
        s.answered += w * p_answer;
        s.answered_in_time += w * p_answer * (incomplete > 0 ? incomplete : 0);
        s.wait_time += w * p_answer * mean_wait;
        s.queue += w * (double)j;
        /* Next incomplete beta: I(m+1) = I(m) - T_m, T_{m+1} = T_m y (m+b)/(m+1). */
        if (t > 0) {
            incomplete -= exp(log_term);
            log_term += log_y + log(m + beta_b) - log(m + 1.0);
        }
        /* Past the mode the weights fall geometrically: stop once the rest is negligible. */
        double ratio = lambda / (mu_n + (j + 1) * theta);
        if (ratio < 1.0 && w / (1.0 - ratio) < 1e-17 * s.z) break;
    }
    r->p_wait = s.waiting / s.z;
    double answered = (s.immediate + s.answered) / s.z;
    r->p_abandon = 1.0 - answered;
    r->service_level = (s.immediate + s.answered_in_time) / s.z;
    r->asa_s = answered > 0 ? (s.wait_time / s.z) / answered : INFINITY;
    r->occupancy = lambda * answered * aht / n;
    if (r->occupancy > 1) r->occupancy = 1;
}

void wfm_evaluate(const struct wfm_queue *q, int agents, double answer_s, struct wfm_result *out)
{
    memset(out, 0, sizeof(*out));
    double lambda = q->calls_per_hour / 3600.0;
    out->agents = agents;
    out->servers = agents * q->concurrency;
    out->traffic = lambda * q->aht_s;
    if (lambda <= 0) {
        out->service_level = 1;
        return;
    }
    if (out->servers <= 0) {
        out->p_wait = 1;
        out->p_abandon = q->patience_s > 0 ? 1 : 0;
        out->asa_s = INFINITY;
        return;
    }
    if (q->patience_s > 0)
        erlang_a_metrics(out->servers, lambda, q->aht_s, q->patience_s, answer_s, out);
    else
        erlang_c_metrics(out->servers, out->traffic, q->aht_s, answer_s, out);
}

int wfm_queue_check(const struct wfm_queue *q, const struct wfm_target *t, struct parley_err *err)
{
    if (!(q->calls_per_hour >= 0 && q->calls_per_hour <= WFM_MAX_CALLS_PER_HOUR))
        return parley_fail(err, PARLEY_EINVAL, "calls_per_hour",
                           "calls per hour must be between 0 and %.0f", WFM_MAX_CALLS_PER_HOUR);
    if (!(q->aht_s >= 1 && q->aht_s <= WFM_MAX_AHT_S))
        return parley_fail(err, PARLEY_EINVAL, "aht",
                           "the average handling time must be between 1 and %.0f seconds",
                           WFM_MAX_AHT_S);
    if (!(q->patience_s == 0 || (q->patience_s >= 1 && q->patience_s <= WFM_MAX_PATIENCE_S)))
        return parley_fail(err, PARLEY_EINVAL, "patience",
                           "patience must be between 1 and %.0f seconds (or absent: nobody "
                           "abandons)",
                           WFM_MAX_PATIENCE_S);
    if (q->concurrency < 1 || q->concurrency > WFM_MAX_CONCURRENCY)
        return parley_fail(err, PARLEY_EINVAL, "concurrency",
                           "concurrency must be between 1 and %d", WFM_MAX_CONCURRENCY);
    if (t != NULL && !(t->service_level > 0 && t->service_level < 1 && t->answer_s >= 0 &&
                       t->answer_s <= WFM_MAX_PATIENCE_S))
        return parley_fail(err, PARLEY_EINVAL, "target",
                           "the target must be a percentage below 100 and a time in seconds, "
                           "such as 80/20");
    if (q->calls_per_hour / 3600.0 * q->aht_s > WFM_MAX_SERVERS / 2.0)
        return parley_fail(err, PARLEY_EINVAL, "calls_per_hour",
                           "that is over %d Erlangs of work for one queue; split it",
                           WFM_MAX_SERVERS / 2);
    return 0;
}

static bool meets(const struct wfm_queue *q, const struct wfm_target *t, int agents,
                  struct wfm_result *r)
{
    wfm_evaluate(q, agents, t->answer_s, r);
    return r->service_level >= t->service_level;
}

int wfm_staff(const struct wfm_queue *q, const struct wfm_target *t, struct wfm_result *out,
              struct parley_err *err)
{
    int rc = wfm_queue_check(q, t, err);
    if (rc != 0) return rc;
    if (q->calls_per_hour == 0) {
        wfm_evaluate(q, 0, t->answer_s, out);
        return 0;
    }
    /* The service level grows with the number of agents: bracket, then bisect. */
    int max_agents = WFM_MAX_SERVERS / q->concurrency;
    int lo = 0, hi = (int)ceil(q->calls_per_hour / 3600.0 * q->aht_s / q->concurrency);
    if (hi < 1) hi = 1;
    struct wfm_result r;
    while (!meets(q, t, hi, &r)) {
        if (hi >= max_agents)
            return parley_fail(err, PARLEY_EINVAL, "target", "the target needs more than %d agents",
                               max_agents);
        lo = hi;
        hi = hi * 2 < max_agents ? hi * 2 : max_agents;
    }
    while (hi - lo > 1) { /* lo fails (or is 0), hi meets */
        int mid = lo + (hi - lo) / 2;
        if (meets(q, t, mid, &r))
            hi = mid;
        else
            lo = mid;
    }
    wfm_evaluate(q, hi, t->answer_s, out);
    return 0;
}

int wfm_scheduled(int agents, double shrinkage_pct)
{
    if (shrinkage_pct <= 0) return agents;
    if (shrinkage_pct > WFM_MAX_SHRINKAGE_PCT) shrinkage_pct = WFM_MAX_SHRINKAGE_PCT;
    /* The epsilon keeps exact quotients exact: 7 / 0.7 is 10.000000000000002 in binary. */
    return (int)ceil(agents / (1.0 - shrinkage_pct / 100.0) - 1e-9);
}

int wfm_parse_target(const char *s, const char *field, struct wfm_target *t, struct parley_err *err)
{
    char *end = NULL;
    double pct = s != NULL ? strtod(s, &end) : 0, secs = 0;
    bool ok = s != NULL && end != s && *end == '/';
    if (ok) {
        const char *p = end + 1;
        secs = strtod(p, &end);
        ok = end != p && *end == '\0' && pct > 0 && pct < 100 && secs >= 0 &&
             secs <= WFM_MAX_PATIENCE_S;
    }
    if (!ok)
        return parley_fail(err, PARLEY_EINVAL, field,
                           "%s must be PERCENT/SECONDS, such as 80/20 (80%% answered within "
                           "20 seconds)",
                           field);
    t->service_level = pct / 100.0;
    t->answer_s = secs;
    return 0;
}
