/* The audit trail for admins: newest first, filtered by exact action, object or actor. */
#include "api_handlers.h"

#include "../core/core_json.h"

static json_t *encode_audit(const void *item, const struct json_view *view)
{
    return core_json_audit(item);
}

static const struct api_encoder audit_json = {sizeof(struct audit_entry), encode_audit, NULL};

void api_audit_list(struct api_req *r)
{
    struct audit_filter f = {0};
    struct store_page page;
    if (api_page(r, &page) != 0 || api_query_text(r, "action", CORE_MAX_SHORT, &f.action) < 0 ||
        api_query_text(r, "object", CORE_MAX_SHORT, &f.object) < 0 ||
        api_query_text(r, "actor", CORE_MAX_SHORT, &f.actor) < 0)
        return;
    struct audit_entry *list = NULL;
    size_t n = 0;
    int64_t next = 0;
    struct parley_err err = {0};
    int rc =
        store_list_audit(r->reader, r->who.tenant_id, &f, &page, &list, &n, &next, &r->arena, &err);
    api_reply_page(r, rc, &err, &audit_json, list, n, next);
}
