/* Reads for tenants, staff and customers through a reader's read-only connection: token
 * resolution, tenants, users, customers, identities and consents. Every query is scoped by
 * tenant, so another tenant's id reads exactly like a missing one. */
#include "store_int.h"
#include "../common/util.h"

#include <string.h>

int store_auth_token(struct store_reader *r, const char *token_hash, struct principal *out,
                     struct parley_err *err)
{
    STORE_ERR(err);
    memset(out, 0, sizeof(*out));
    static const char *const lookups[] = {
        "SELECT s.tenant_id, s.user_id, s.expires_at, u.role, u.active FROM sessions s"
        " JOIN users u ON u.id = s.user_id AND u.tenant_id = s.tenant_id"
        " WHERE s.token_hash = ?1",
        "SELECT t.tenant_id, t.user_id, t.expires_at, u.role, u.active FROM api_tokens t"
        " JOIN users u ON u.id = t.user_id AND u.tenant_id = t.tenant_id"
        " WHERE t.token_hash = ?1",
    };
    if (token_hash == NULL)
        return parley_fail(err, PARLEY_EAUTH, NULL, "a bearer token is required");
    for (size_t i = 0; i < 2; i++) {
        sqlite3_stmt *st = stmt_get(&r->cache, lookups[i], err);
        if (st == NULL) return err->code;
        bind_text(st, 1, token_hash);
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE) {
            sqlite3_reset(st);
            continue;
        }
        if (step != SQLITE_ROW) {
            sqlite3_reset(st);
            return db_fail(err, r->db, "checking a token");
        }
        int64_t expires = sqlite3_column_int64(st, 2);
        int role = role_parse((const char *)sqlite3_column_text(st, 3));
        bool active = sqlite3_column_int(st, 4) != 0;
        out->kind = PRINCIPAL_USER;
        out->tenant_id = sqlite3_column_int64(st, 0);
        out->user_id = sqlite3_column_int64(st, 1);
        out->role = role < 0 ? ROLE_EXPERT : (enum role)role; /* least privilege if unknown */
        sqlite3_reset(st);
        /* API tokens may never expire (0); sessions always carry an expiry. */
        if ((expires != 0 || i == 0) && expires <= util_now_ms()) {
            memset(out, 0, sizeof(*out));
            return parley_fail(err, PARLEY_EAUTH, NULL, "the token has expired; log in again");
        }
        if (!active) {
            memset(out, 0, sizeof(*out));
            return parley_fail(err, PARLEY_EAUTH, NULL, "this account is deactivated");
        }
        return 0;
    }
    return parley_fail(err, PARLEY_EAUTH, NULL, "the token is not valid; log in again");
}

int store_get_tenant_by_slug(struct store_reader *r, const char *slug, struct tenant *out,
                             struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    sqlite3_stmt *st =
        stmt_get(&r->cache, "SELECT " TENANT_COLS " FROM tenants WHERE slug = ?1", err);
    if (st == NULL) return err->code;
    bind_text(st, 1, slug);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) row_tenant(st, out, a);
    sqlite3_reset(st);
    if (step == SQLITE_ROW) return 0;
    if (step != SQLITE_DONE) return db_fail(err, r->db, "reading a tenant");
    return parley_fail(err, PARLEY_ENOTFOUND, "tenant", "there is no organisation with this slug");
}

int store_get_tenant(struct store_reader *r, int64_t id, struct tenant *out, struct arena *a,
                     struct parley_err *err)
{
    STORE_ERR(err);
    return load_tenant(&r->cache, id, out, a, err);
}

int store_get_user_login(struct store_reader *r, int64_t tenant_id, const char *email,
                         struct user *out, const char **hash_out, struct arena *a,
                         struct parley_err *err)
{
    STORE_ERR(err);
    *hash_out = NULL;
    char *lower = arena_strdup(a, email != NULL ? email : "");
    if (lower == NULL) return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
    util_ascii_lower(lower);
    sqlite3_stmt *st = stmt_get(&r->cache,
                                "SELECT " USER_COLS ", u.password_hash FROM users u"
                                " WHERE u.tenant_id = ?1 AND u.email = ?2",
                                err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, tenant_id);
    bind_text(st, 2, lower);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        row_user(st, out, a);
        *hash_out = col_text(st, 10, a);
    }
    sqlite3_reset(st);
    if (step == SQLITE_ROW) return 0;
    if (step != SQLITE_DONE) return db_fail(err, r->db, "reading a user");
    return parley_fail(err, PARLEY_ENOTFOUND, "email", "no user with this email");
}

int store_get_user(struct store_reader *r, int64_t tenant_id, int64_t id, struct user *out,
                   struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    return load_user(&r->cache, tenant_id, id, out, a, err);
}

int store_list_users(struct store_reader *r, int64_t tenant_id, const struct store_page *page,
                     struct user **out, size_t *n, int64_t *next, struct arena *a,
                     struct parley_err *err)
{
    STORE_ERR(err);
    *out = NULL;
    *n = 0;
    *next = 0;
    int limit = page_limit(page);
    sqlite3_stmt *st = stmt_get(&r->cache,
                                "SELECT " USER_COLS " FROM users u WHERE u.tenant_id = ?1"
                                " AND u.id > ?2 ORDER BY u.id LIMIT ?3",
                                err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, page != NULL ? page->after : 0);
    sqlite3_bind_int(st, 3, limit + 1); /* one more tells whether a next page exists */
    struct rows it = rows_begin(st, sizeof(**out), limit, 0 /* id */);
    for (struct user *u; (u = rows_next(&it, a)) != NULL;) row_user(st, u, a);
    int rc = rows_end(&it, r->db, "listing users", err);
    *out = it.items;
    *n = it.n;
    *next = it.next;
    return rc;
}

int store_get_customer(struct store_reader *r, int64_t tenant_id, int64_t id, struct customer *out,
                       struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    return load_customer(&r->cache, tenant_id, id, "id", out, a, err);
}

/* q matches a name prefix, or an identity value exactly (as typed, lower-cased for emails, or
 * as an E.164 phone). */
int store_list_customers(struct store_reader *r, int64_t tenant_id, const struct customer_filter *f,
                         const struct store_page *page, struct customer **out, size_t *n,
                         int64_t *next, struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    *out = NULL;
    *n = 0;
    *next = 0;
    int limit = page_limit(page);
    const char *q = f != NULL && f->q != NULL && f->q[0] != '\0' ? f->q : NULL;
    char *prefix = NULL, *lower = NULL, *phone = NULL;
    if (q != NULL) {
        size_t len = strlen(q);
        prefix = arena_alloc(a, 2 * len + 2);
        lower = arena_strdup(a, q);
        phone = arena_strdup(a, q);
        if (prefix == NULL || lower == NULL || phone == NULL)
            return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory");
        size_t k = 0;
        for (size_t i = 0; i < len; i++) { /* LIKE wildcards typed by a person are literal */
            if (q[i] == '%' || q[i] == '_' || q[i] == '\\') prefix[k++] = '\\';
            prefix[k++] = q[i];
        }
        prefix[k++] = '%';
        prefix[k] = '\0';
        util_ascii_lower(lower);
        if (core_normalise_identity(IDENTITY_PHONE, phone, NULL) != 0) phone = NULL;
    }
    sqlite3_stmt *st = stmt_get(
        &r->cache,
        "SELECT " CUSTOMER_COLS " FROM customers WHERE tenant_id = ?1 AND merged_into IS NULL"
        " AND (?2 = 0 OR id < ?2) AND (?3 = 0 OR updated_at >= ?3)"
        " AND (?4 IS NULL OR name LIKE ?4 ESCAPE '\\' OR id IN (SELECT customer_id FROM"
        " identities WHERE tenant_id = ?1 AND value IN (?5, ?6, ?7)))"
        " AND (?9 = 0 OR id IN (SELECT c.customer_id FROM conversation_assignees a"
        " JOIN conversations c ON c.id = a.conversation_id WHERE a.tenant_id = ?1"
        " AND a.user_id = ?9))"
        " ORDER BY id DESC LIMIT ?8",
        err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, page != NULL ? page->after : 0);
    sqlite3_bind_int64(st, 3, f != NULL ? f->updated_since : 0);
    bind_text(st, 4, prefix);
    bind_text(st, 5, q);
    bind_text(st, 6, lower);
    bind_text(st, 7, phone);
    sqlite3_bind_int(st, 8, limit + 1);
    sqlite3_bind_int64(st, 9, f != NULL ? f->assignee_id : 0);
    struct rows it = rows_begin(st, sizeof(**out), limit, 0 /* id */);
    for (struct customer *c; (c = rows_next(&it, a)) != NULL;) row_customer(st, c, a);
    int rc = rows_end(&it, r->db, "listing customers", err);
    *out = it.items;
    *n = it.n;
    *next = it.next;
    return rc;
}

int store_list_identities(struct store_reader *r, int64_t tenant_id, int64_t customer_id,
                          struct identity **out, size_t *n, struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    struct customer c;
    int rc = load_customer(&r->cache, tenant_id, customer_id, "id", &c, a, err);
    if (rc != 0) return rc;
    return load_identities(&r->cache, tenant_id, customer_id, out, n, a, err);
}

int store_list_consents(struct store_reader *r, int64_t tenant_id, int64_t customer_id,
                        struct consent **out, size_t *n, struct arena *a, struct parley_err *err)
{
    STORE_ERR(err);
    *out = NULL;
    *n = 0;
    struct customer cust;
    int rc = load_customer(&r->cache, tenant_id, customer_id, "id", &cust, a, err);
    if (rc != 0) return rc;
    /* The latest record per purpose and channel is the customer's current choice. */
    sqlite3_stmt *st =
        stmt_get(&r->cache,
                 "SELECT " CONSENT_COLS " FROM consents c"
                 " WHERE c.customer_id = ?1 AND c.tenant_id = ?2 AND c.id ="
                 " (SELECT c2.id FROM consents c2 WHERE c2.customer_id = c.customer_id"
                 " AND c2.purpose = c.purpose AND c2.channel = c.channel"
                 " ORDER BY c2.at DESC, c2.id DESC LIMIT 1)"
                 " ORDER BY c.purpose, c.channel",
                 err);
    if (st == NULL) return err->code;
    sqlite3_bind_int64(st, 1, customer_id);
    sqlite3_bind_int64(st, 2, tenant_id);
    struct rows it = rows_begin(st, sizeof(**out), 0, 0);
    for (struct consent *c; (c = rows_next(&it, a)) != NULL;) row_consent(st, c, a);
    rc = rows_end(&it, r->db, "listing consents", err);
    if (rc != 0) return rc;
    *out = it.items != NULL ? it.items : arena_alloc(a, sizeof(**out)); /* empty is "[]" */
    *n = it.n;
    return 0;
}
