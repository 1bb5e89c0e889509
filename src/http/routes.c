/* The route table: every /api/v1 endpoint of docs/api.md, one line each. server.c matches the
 * method and pattern, authenticates, checks the role mask, then calls the handler. */
#include "api_handlers.h"

/* clang-format off */
const struct api_route api_routes[] = {
    /* method   pattern                                        auth          roles              handler */
    {"POST",  "/api/v1/auth/login",                          AUTH_NONE,    0,                 api_auth_login},
    {"POST",  "/api/v1/auth/logout",                         AUTH_STAFF,   ROLES_ALL,         api_auth_logout},
    {"GET",   "/api/v1/me",                                  AUTH_STAFF,   ROLES_ALL,         api_me_get},

    {"GET",   "/api/v1/users",                               AUTH_STAFF,   ROLES_SUPERVISORS, api_users_list},
    {"POST",  "/api/v1/users",                               AUTH_STAFF,   ROLES_ADMIN,       api_users_create},

    {"GET",   "/api/v1/customers",                           AUTH_STAFF,   ROLES_ALL,         api_customers_list},
    {"POST",  "/api/v1/customers",                           AUTH_STAFF,   ROLES_ADVISERS,    api_customers_create},
    {"GET",   "/api/v1/customers/{id}",                      AUTH_STAFF,   ROLES_ALL,         api_customers_get},
    {"PATCH", "/api/v1/customers/{id}",                      AUTH_STAFF,   ROLES_ADVISERS,    api_customers_update},
    /* experts never get identities or consents (redacted customer data) */
    {"GET",   "/api/v1/customers/{id}/identities",           AUTH_STAFF,   ROLES_ADVISERS,    api_identities_list},
    {"POST",  "/api/v1/customers/{id}/identities",           AUTH_STAFF,   ROLES_ADVISERS,    api_identities_add},
    {"GET",   "/api/v1/customers/{id}/consents",             AUTH_STAFF,   ROLES_ADVISERS,    api_consents_list},
    {"POST",  "/api/v1/customers/{id}/consents",             AUTH_STAFF,   ROLES_ADVISERS,    api_consents_set},

    /* experts: only conversations they are assigned to (checked per object), notes only */
    {"GET",   "/api/v1/conversations",                       AUTH_STAFF,   ROLES_ALL,         api_conversations_list},
    {"POST",  "/api/v1/conversations",                       AUTH_STAFF,   ROLES_ADVISERS,    api_conversations_create},
    {"GET",   "/api/v1/conversations/{id}",                  AUTH_STAFF,   ROLES_ALL,         api_conversations_get},
    {"PATCH", "/api/v1/conversations/{id}",                  AUTH_STAFF,   ROLES_ADVISERS,    api_conversations_update},
    {"GET",   "/api/v1/conversations/{id}/messages",         AUTH_STAFF,   ROLES_ALL,         api_messages_list},
    {"POST",  "/api/v1/conversations/{id}/messages",         AUTH_STAFF,   ROLES_ALL,         api_messages_create},
    {"GET",   "/api/v1/conversations/{id}/receipts",         AUTH_STAFF,   ROLES_ALL,         api_receipts_list},
    {"POST",  "/api/v1/conversations/{id}/receipts",         AUTH_STAFF,   ROLES_ADVISERS,    api_receipts_update},
    {"POST",  "/api/v1/conversations/{id}/typing",           AUTH_STAFF,   ROLES_ADVISERS,    api_typing_post},

    /* swarming: the owner or a supervisor invites and grants; a participant may leave */
    {"POST",  "/api/v1/conversations/{id}/invitations",      AUTH_STAFF,   ROLES_ADVISERS,    api_invitations_create},
    {"GET",   "/api/v1/conversations/{id}/participants",     AUTH_STAFF,   ROLES_ALL,         api_participants_list},
    {"DELETE","/api/v1/conversations/{id}/participants/{id}", AUTH_STAFF,  ROLES_ALL,         api_participants_delete},
    {"PATCH", "/api/v1/conversations/{id}/participants/{id}", AUTH_STAFF,  ROLES_ADVISERS,    api_participants_update},

    {"GET",   "/api/v1/audit",                               AUTH_STAFF,   ROLES_ADMIN,       api_audit_list},

    {"POST",  "/api/v1/widget/sessions",                     AUTH_NONE,    0,                 api_widget_session},
    {"POST",  "/api/v1/widget/messages",                     AUTH_VISITOR, 0,                 api_widget_message},
    {"GET",   "/api/v1/widget/conversations",                AUTH_VISITOR, 0,                 api_widget_conversations},
    {"GET",   "/api/v1/widget/conversations/{id}/messages",  AUTH_VISITOR, 0,                 api_widget_messages},
    {"POST",  "/api/v1/widget/conversations/{id}/receipts",  AUTH_VISITOR, 0,                 api_widget_receipt},

    /* NLU (intent detection): training is admin-only; staff may try the model */
    {"POST",  "/api/v1/bot/nlu/train",                       AUTH_STAFF,   ROLES_ADMIN,       api_nlu_train},
    {"GET",   "/api/v1/bot/nlu/model",                       AUTH_STAFF,   ROLES_ALL,         api_nlu_model_get},
    {"POST",  "/api/v1/bot/nlu/predict",                     AUTH_STAFF,   ROLES_ALL,         api_nlu_predict},
    /* staffing (wfm) */
    {"GET",   "/api/v1/wfm/forecast",                        AUTH_STAFF,   ROLES_SUPERVISORS, api_wfm_forecast},
    /* routing (issue 4): queues, profiles, presence, SLA, transfers, call-backs */
    {"GET",   "/api/v1/queues",                              AUTH_STAFF,   ROLES_ADVISERS,    api_queues_list},
    {"POST",  "/api/v1/queues",                              AUTH_STAFF,   ROLES_SUPERVISORS, api_queues_create},
    {"GET",   "/api/v1/queues/{id}",                         AUTH_STAFF,   ROLES_ADVISERS,    api_queues_get},
    {"PUT",   "/api/v1/queues/{id}",                         AUTH_STAFF,   ROLES_SUPERVISORS, api_queues_put},
    {"DELETE","/api/v1/queues/{id}",                         AUTH_STAFF,   ROLES_SUPERVISORS, api_queues_delete},
    {"GET",   "/api/v1/queues/{id}/waiting",                 AUTH_STAFF,   ROLES_SUPERVISORS, api_queue_waiting},
    /* advisers read their own profile; others' need a supervisor (checked per object) */
    {"GET",   "/api/v1/users/{id}/routing",                  AUTH_STAFF,   ROLES_ADVISERS,    api_routing_get},
    {"PUT",   "/api/v1/users/{id}/routing",                  AUTH_STAFF,   ROLES_SUPERVISORS, api_routing_put},
    {"PUT",   "/api/v1/me/presence",                         AUTH_STAFF,   ROLES_ADVISERS,    api_presence_put},
    {"GET",   "/api/v1/presence",                            AUTH_STAFF,   ROLES_SUPERVISORS, api_presence_list},
    {"GET",   "/api/v1/sla/policies",                        AUTH_STAFF,   ROLES_ADVISERS,    api_sla_policies_get},
    {"PUT",   "/api/v1/sla/policies",                        AUTH_STAFF,   ROLES_SUPERVISORS, api_sla_policies_put},
    {"GET",   "/api/v1/sla/calendar",                        AUTH_STAFF,   ROLES_ADVISERS,    api_sla_calendar_get},
    {"PUT",   "/api/v1/sla/calendar",                        AUTH_STAFF,   ROLES_SUPERVISORS, api_sla_calendar_put},
    {"GET",   "/api/v1/routing/settings",                    AUTH_STAFF,   ROLES_SUPERVISORS, api_routing_settings_get},
    {"PUT",   "/api/v1/routing/settings",                    AUTH_STAFF,   ROLES_SUPERVISORS, api_routing_settings_put},
    /* accept/decline: the adviser it is offered to; transfer: its owner or a supervisor */
    {"POST",  "/api/v1/conversations/{id}/accept",           AUTH_STAFF,   ROLES_ADVISERS,    api_conversation_accept},
    {"POST",  "/api/v1/conversations/{id}/decline",          AUTH_STAFF,   ROLES_ADVISERS,    api_conversation_decline},
    {"POST",  "/api/v1/conversations/{id}/transfer",         AUTH_STAFF,   ROLES_ADVISERS,    api_conversation_transfer},
    {"GET",   "/api/v1/callbacks",                           AUTH_STAFF,   ROLES_ADVISERS,    api_callbacks_list},
    {"POST",  "/api/v1/callbacks",                           AUTH_STAFF,   ROLES_ADVISERS,    api_callbacks_create},
    {"POST",  "/api/v1/widget/callbacks",                    AUTH_VISITOR, 0,                 api_widget_callbacks_create},
    /* knowledge base (kb helper): agents and experts read, supervisors and admins write */
    {"GET",   "/api/v1/kb/search",                           AUTH_STAFF,   ROLES_ALL,         api_kb_search},
    {"GET",   "/api/v1/kb/articles",                         AUTH_STAFF,   ROLES_ALL,         api_kb_articles_list},
    {"POST",  "/api/v1/kb/articles",                         AUTH_STAFF,   ROLES_SUPERVISORS, api_kb_articles_create},
    {"GET",   "/api/v1/kb/articles/{id}",                    AUTH_STAFF,   ROLES_ALL,         api_kb_articles_get},
    {"PATCH", "/api/v1/kb/articles/{id}",                    AUTH_STAFF,   ROLES_SUPERVISORS, api_kb_articles_update},
    {"DELETE","/api/v1/kb/articles/{id}",                    AUTH_STAFF,   ROLES_SUPERVISORS, api_kb_articles_delete},
    {"GET",   "/api/v1/widget/kb/search",                    AUTH_VISITOR, 0,                 api_widget_kb_search},

    {"GET",   "/api/v1/stream",                              AUTH_STAFF,   ROLES_ALL,         api_stream_open},
    {"GET",   "/api/v1/widget/stream",                       AUTH_VISITOR, 0,                 api_stream_open},

    /* virtual agent (issue 3) */
    {"GET",   "/api/v1/bot/policy",                          AUTH_STAFF,   ROLES_SUPERVISORS, api_bot_policy_get},
    {"PUT",   "/api/v1/bot/policy",                          AUTH_STAFF,   ROLES_ADMIN,       api_bot_policy_put},
    {"GET",   "/api/v1/bot/stats",                           AUTH_STAFF,   ROLES_SUPERVISORS, api_bot_stats},
    /* the demo organisation's stand-in back office, called by its flows (docs/bot.md) */
    {"POST",  "/demo/actions/meter-readings",                AUTH_NONE,    0,                 api_demo_meter_reading},
    {"POST",  "/demo/actions/power-cuts",                    AUTH_NONE,    0,                 api_demo_power_cut},
    /* routing hot path (routehot): cancelling a scheduled call-back */
    {"POST",  "/api/v1/callbacks/{id}/cancel",               AUTH_STAFF,   ROLES_ADVISERS,    api_callbacks_cancel},
};
/* clang-format on */

const size_t api_routes_count = sizeof(api_routes) / sizeof(api_routes[0]);
