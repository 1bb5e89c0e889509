/* Customers, their identities and consents. Experts read redacted customers (initials, no
 * needs, never identities or consents); every single-customer read is audited. */
#include "api_handlers.h"

#include <stdio.h>
#include <string.h>

#include "../core/core_json.h"
#include "decode.h"

/* Reads the customer of the URL in the caller's tenant, or replies 404. A customer merged
 * into another answers 404 too, naming the one that survived. */
static int load_customer(struct api_req *r, struct customer *c)
{
    struct parley_err err = {0};
    int rc = store_get_customer(r->reader, r->who.tenant_id, r->ids[0], c, &r->arena, &err);
    if (rc != 0) {
        api_reply_failure(r, rc, &err);
        return rc;
    }
    if (c->merged_into != 0) {
        api_fail(r, PARLEY_ENOTFOUND, NULL, "customer %lld was merged into customer %lld",
                 (long long)c->id, (long long)c->merged_into);
        return PARLEY_ENOTFOUND;
    }
    return api_swarm_check_customer(r, c->id);
}

static json_t *encode_customer(const void *item, const struct json_view *view)
{
    return core_json_customer(item, NULL, 0, view); /* lists never carry identities */
}

static json_t *encode_identity(const void *item, const struct json_view *view)
{
    return core_json_identity(item);
}

static json_t *encode_consent(const void *item, const struct json_view *view)
{
    return core_json_consent(item);
}

static const struct api_encoder customers_json = {sizeof(struct customer), encode_customer, NULL};
static const struct api_encoder identities_json = {sizeof(struct identity), encode_identity, NULL};
static const struct api_encoder consents_json = {sizeof(struct consent), encode_consent, NULL};

void api_customers_list(struct api_req *r)
{
    struct customer_filter f = {0};
    struct store_page page;
    if (api_page(r, &page) != 0 || api_query_text(r, "q", CORE_MAX_IDENTITY, &f.q) < 0 ||
        api_query_int(r, "updated_since", 0, INT64_MAX, &f.updated_since) < 0)
        return;
    if (r->who.role == ROLE_EXPERT) f.assignee_id = r->who.user_id; /* swarming */
    struct customer *list = NULL;
    size_t n = 0;
    int64_t next = 0;
    struct parley_err err = {0};
    int rc = store_list_customers(r->reader, r->who.tenant_id, &f, &page, &list, &n, &next,
                                  &r->arena, &err);
    api_reply_page(r, rc, &err, &customers_json, list, n, next);
}

void api_customers_create(struct api_req *r)
{
    json_t *body = api_body_object(r);
    if (body == NULL) return;
    struct store_cmd in;
    struct parley_err err = {0};
    api_input_begin(r, &in, STORE_CREATE_CUSTOMER);
    int rc = decode_customer_create(body, &in, &err);
    api_input_end(r, &in);
    json_decref(body);
    if (rc != 0) {
        api_reply_error(r, &err);
        return;
    }
    in.in.create_customer.customer.tenant_id = r->who.tenant_id;
    struct store_cmd *cmd = api_cmd_with(r, &in);
    if (cmd != NULL) api_submit(r, cmd, NULL);
}

void api_customers_get(struct api_req *r)
{
    struct customer c;
    if (load_customer(r, &c) != 0) return;
    struct json_view view = api_view(r);
    static const struct identity no_identities[1];
    const struct identity *ids = NULL; /* NULL leaves "identities" out: experts never get them */
    size_t n = 0;
    if (r->who.role != ROLE_EXPERT) {
        struct identity *list = NULL;
        struct parley_err err = {0};
        int rc =
            store_list_identities(r->reader, r->who.tenant_id, c.id, &list, &n, &r->arena, &err);
        if (rc != 0) {
            api_reply_failure(r, rc, &err);
            return;
        }
        ids = list != NULL ? list : no_identities; /* an empty list is still a list */
    }
    json_t *j = core_json_customer(&c, ids, n, &view);
    if (j != NULL) {
        char object[32];
        snprintf(object, sizeof(object), "customer:%lld", (long long)c.id);
        api_audit(r, "customer.view", object, NULL);
    }
    api_reply_json_or_fail(r, 200, j);
}

void api_customers_update(struct api_req *r)
{
    json_t *body = api_body_object(r);
    if (body == NULL) return;
    struct store_cmd in;
    struct parley_err err = {0};
    api_input_begin(r, &in, STORE_UPDATE_CUSTOMER);
    int rc = decode_customer_update(body, &in, &err);
    api_input_end(r, &in);
    json_decref(body);
    if (rc != 0) {
        api_reply_error(r, &err);
        return;
    }
    in.in.update_customer.customer.id = r->ids[0];
    in.in.update_customer.customer.tenant_id = r->who.tenant_id;
    struct store_cmd *cmd = api_cmd_with(r, &in);
    if (cmd != NULL) api_submit(r, cmd, NULL);
}

void api_identities_list(struct api_req *r)
{
    struct customer c;
    if (load_customer(r, &c) != 0) return;
    struct identity *list = NULL;
    size_t n = 0;
    struct parley_err err = {0};
    int rc = store_list_identities(r->reader, r->who.tenant_id, c.id, &list, &n, &r->arena, &err);
    api_reply_all(r, rc, &err, &identities_json, list, n);
}

void api_identities_add(struct api_req *r)
{
    json_t *body = api_body_object(r);
    if (body == NULL) return;
    struct store_cmd in;
    struct parley_err err = {0};
    api_input_begin(r, &in, STORE_ADD_IDENTITY);
    int rc = decode_identity_add(body, &in, &err);
    api_input_end(r, &in);
    json_decref(body);
    if (rc != 0) {
        api_reply_error(r, &err);
        return;
    }
    in.in.add_identity.customer_id = r->ids[0];
    in.in.add_identity.tenant_id = r->who.tenant_id;
    struct store_cmd *cmd = api_cmd_with(r, &in);
    if (cmd != NULL) api_submit(r, cmd, NULL); /* 201 Identity, or 200 after a merge */
}

void api_consents_list(struct api_req *r)
{
    struct customer c;
    if (load_customer(r, &c) != 0) return;
    struct consent *list = NULL;
    size_t n = 0;
    struct parley_err err = {0};
    int rc = store_list_consents(r->reader, r->who.tenant_id, c.id, &list, &n, &r->arena, &err);
    api_reply_all(r, rc, &err, &consents_json, list, n);
}

void api_consents_set(struct api_req *r)
{
    json_t *body = api_body_object(r);
    if (body == NULL) return;
    struct store_cmd in;
    struct parley_err err = {0};
    api_input_begin(r, &in, STORE_SET_CONSENT);
    int rc = decode_consent_set(body, &in, &err);
    api_input_end(r, &in);
    json_decref(body);
    if (rc != 0) {
        api_reply_error(r, &err);
        return;
    }
    struct consent *c = &in.in.set_consent;
    c->customer_id = r->ids[0];
    c->tenant_id = r->who.tenant_id;
    /* who recorded it, when the caller did not say where it came from */
    if (c->source == NULL) c->source = r->actor;
    struct store_cmd *cmd = api_cmd_with(r, &in);
    if (cmd != NULL) api_submit(r, cmd, NULL);
}
