/* Staffing data: imported interval counts (STORE_RECORD_ARRIVALS) and the arrivals read the
 * forecast needs, per 30-minute interval and channel. Both range queries walk an index in
 * (tenant_id, time) order: arrival_counts' primary key and conversations_created. */
#include "store_int.h"

#include <string.h>

int cmd_record_arrivals(struct store *s, struct store_cmd *cmd)
{
    const struct arrival_count *rows = cmd->in.record_arrivals.rows;
    size_t n = cmd->in.record_arrivals.n;
    if (n > STORE_MAX_ARRIVAL_ROWS)
        return parley_fail(&cmd->err, PARLEY_ETOOBIG, "rows", "at most %d interval rows at once",
                           STORE_MAX_ARRIVAL_ROWS);
    sqlite3_stmt *st = stmt_get(&s->cache,
                                "INSERT INTO arrival_counts (tenant_id, interval_start, channel,"
                                " arrivals, handle_s) VALUES (?1, ?2, ?3, ?4, ?5)"
                                " ON CONFLICT (tenant_id, interval_start, channel) DO UPDATE SET"
                                " arrivals = excluded.arrivals, handle_s = excluded.handle_s",
                                &cmd->err);
    if (st == NULL) return cmd->err.code;
    for (size_t i = 0; i < n; i++) {
        const struct arrival_count *a = &rows[i];
        if (a->interval_start % STORE_ARRIVAL_INTERVAL_MS != 0 || a->arrivals < 0 ||
            !(a->handle_s >= 0) || (unsigned)a->channel >= CHANNEL__COUNT)
            return parley_fail(&cmd->err, PARLEY_EINVAL, "rows",
                               "row %zu: intervals start on a half hour, counts and handling "
                               "time are not negative, the channel is known",
                               i);
        sqlite3_bind_int64(st, 1, cmd->tenant_id);
        sqlite3_bind_int64(st, 2, a->interval_start);
        bind_text(st, 3, channel_name(a->channel));
        sqlite3_bind_int64(st, 4, a->arrivals);
        sqlite3_bind_double(st, 5, a->handle_s);
        if (stmt_run(st) != SQLITE_DONE) return db_fail(&cmd->err, s->db, "recording arrivals");
    }
    cmd->result_id = (int64_t)n;
    return 0;
}

/* What one arrivals query adds up: the window, the channel, and where the sums go. */
struct arrival_sums {
    int64_t tenant_id, from_ms, to_ms;
    const char *channel; /* NULL: all */
    size_t n;
    int64_t *counts;
    double handle_s;
    int64_t handled;
};

/* Runs sql (a literal; ?1 tenant, ?2 from, ?3 to) whose rows are (interval start, channel,
 * count[, handling seconds]): each count goes into its interval's slot; rows of other channels
 * are skipped unless all are asked for. */
static int accumulate(struct store_reader *r, const char *sql, struct arrival_sums *a,
                      struct parley_err *err)
{
    sqlite3_stmt *st = stmt_get(&r->cache, sql, err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, a->tenant_id);
    sqlite3_bind_int64(st, 2, a->from_ms);
    sqlite3_bind_int64(st, 3, a->to_ms);
    bool has_handle = sqlite3_column_count(st) > 3;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t slot = (sqlite3_column_int64(st, 0) - a->from_ms) / STORE_ARRIVAL_INTERVAL_MS;
        const char *ch = (const char *)sqlite3_column_text(st, 1);
        if (slot < 0 || (size_t)slot >= a->n ||
            (a->channel != NULL && (ch == NULL || strcmp(ch, a->channel) != 0)))
            continue;
        int64_t count = sqlite3_column_int64(st, 2);
        a->counts[slot] += count;
        if (has_handle && sqlite3_column_double(st, 3) > 0) {
            a->handle_s += sqlite3_column_double(st, 3);
            a->handled += count;
        }
    }
    sqlite3_reset(st);
    return step == SQLITE_DONE ? 0 : db_fail(err, r->db, "counting arrivals");
}

int store_count_arrivals(struct store_reader *r, int64_t tenant_id, int channel, int64_t from_ms,
                         size_t n, int64_t *counts, double *handle_s, int64_t *handled,
                         struct parley_err *err)
{
    STORE_ERR(err);
    double scratch_s = 0;
    int64_t scratch_n = 0;
    if (handle_s == NULL) handle_s = &scratch_s;
    if (handled == NULL) handled = &scratch_n;
    *handle_s = 0;
    *handled = 0;
    if (from_ms % STORE_ARRIVAL_INTERVAL_MS != 0 || n > STORE_MAX_ARRIVAL_INTERVALS ||
        channel >= CHANNEL__COUNT)
        return parley_fail(err, PARLEY_EINVAL, "from",
                           "arrivals are counted from a half hour over at most %d intervals",
                           STORE_MAX_ARRIVAL_INTERVALS);
    memset(counts, 0, n * sizeof(*counts));
    struct arrival_sums a = {tenant_id,
                             from_ms,
                             from_ms + (int64_t)n * STORE_ARRIVAL_INTERVAL_MS,
                             channel >= 0 ? channel_name((enum channel)channel) : NULL,
                             n,
                             counts,
                             0,
                             0};
    /* Conversations: grouped per interval and channel inside SQLite, over the index range. */
    int rc = accumulate(r,
                        "SELECT ?2 + ((created_at - ?2) / 1800000) * 1800000 AS slot,"
                        " channel, COUNT(*) FROM conversations"
                        " WHERE tenant_id = ?1 AND created_at >= ?2 AND created_at < ?3"
                        " GROUP BY slot, channel",
                        &a, err);
    if (rc == 0)
        rc = accumulate(r,
                        "SELECT interval_start, channel, arrivals, handle_s FROM arrival_counts"
                        " WHERE tenant_id = ?1 AND interval_start >= ?2 AND interval_start < ?3",
                        &a, err);
    *handle_s = a.handle_s;
    *handled = a.handled;
    return rc;
}
