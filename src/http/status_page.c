/* The service pages outside the API: GET / (a plain HTML status page for people), GET
 * /healthz (for load balancers and tests) and GET /api/openapi.yaml (embedded at build
 * time by assets.S). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../common/util.h"
#include "server_int.h"

extern const char parley_openapi_yaml[];
extern const char parley_openapi_yaml_end[];

void http_openapi(struct http_req *hr)
{
    /* two assembler symbols, not one C object: subtract addresses, not pointers */
    size_t len = (size_t)((uintptr_t)parley_openapi_yaml_end - (uintptr_t)parley_openapi_yaml);
    http_add_header(hr, "cache-control", "no-cache");
    http_send(hr, 200, "application/yaml", parley_openapi_yaml, len, true);
}

void http_healthz(struct http_req *hr)
{
    struct http_thread *t = hr->api.thread;
    /* A stopping node says so, so a load balancer drains it before it goes. */
    int status = t->stopping ? 503 : 200;
    json_t *body = json_pack("{s:s,s:s,s:i}", "status", t->stopping ? "stopping" : "ok", "version",
                             PARLEY_VERSION, "schema_version", store_schema_version(hr->api.store));
    api_reply_json(&hr->api, status, body);
}

static void format_uptime(int64_t seconds, char *out, size_t size)
{
    long long d = seconds / 86400, h = seconds / 3600 % 24, m = seconds / 60 % 60, s = seconds % 60;
    if (d > 0)
        snprintf(out, size, "%lldd %lldh %lldm", d, h, m);
    else if (h > 0)
        snprintf(out, size, "%lldh %lldm", h, m);
    else
        snprintf(out, size, "%lldm %llds", m, s);
}

#define STATS_TTL_MS 5000

/* Counting rows takes time on a big database and runs on the event loop, so each loop keeps
 * the last counts for a few seconds: reloading the page cannot stall a loop. */
static __thread struct {
    int64_t at;
    bool ok;
    struct store_stats st;
} stats_cache;

void http_status_page(struct http_req *hr)
{
    struct http_thread *t = hr->api.thread;
    struct http_server *srv = t->srv;
    int64_t now = util_now_ms();
    if (stats_cache.at == 0 || now - stats_cache.at >= STATS_TTL_MS) {
        struct parley_err err;
        stats_cache.ok = store_stats(t->reader, &stats_cache.st, &err) == 0;
        stats_cache.at = now;
    }
    struct store_stats st = stats_cache.st;
    bool have_stats = stats_cache.ok;
    char uptime[48];
    format_uptime((now - srv->started_ms) / 1000, uptime, sizeof(uptime));

    char counts[512];
    if (have_stats)
        snprintf(counts, sizeof(counts),
                 "<tr><th>tenants</th><td>%lld</td></tr>\n"
                 "<tr><th>customers</th><td>%lld</td></tr>\n"
                 "<tr><th>conversations</th><td>%lld</td></tr>\n"
                 "<tr><th>messages</th><td>%lld</td></tr>\n"
                 "<tr><th>events</th><td>%lld</td></tr>\n",
                 (long long)st.tenants, (long long)st.customers, (long long)st.conversations,
                 (long long)st.messages, (long long)st.events);
    else
        snprintf(counts, sizeof(counts), "<tr><th>store</th><td>unavailable</td></tr>\n");

    char *page = arena_printf(
        &hr->api.arena,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<title>Parley %s</title>\n"
        "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:2em auto;"
        "padding:0 1em}th{text-align:left;padding-right:2em;font-weight:normal;color:#555}"
        "</style></head><body>\n"
        "<h1>Parley</h1>\n<p>Omnichannel customer service engine, version %s.</p>\n"
        "<h2>Server</h2>\n<table>\n"
        "<tr><th>status</th><td>%s</td></tr>\n"
        "<tr><th>uptime</th><td>%s</td></tr>\n"
        "<tr><th>event loops</th><td>%d</td></tr>\n"
        "<tr><th>open connections</th><td>%ld</td></tr>\n"
        "<tr><th>live streams</th><td>%ld</td></tr>\n"
        "<tr><th>requests served</th><td>%ld</td></tr>\n"
        "<tr><th>schema version</th><td>%d</td></tr>\n"
        "</table>\n<h2>Store</h2>\n<table>\n%s</table>\n"
        "<h2>Links</h2>\n<ul>\n"
        "<li><a href=\"/healthz\">/healthz</a> &mdash; health check (JSON)</li>\n"
        "<li><a href=\"/api/openapi.yaml\">/api/openapi.yaml</a> &mdash; the REST API "
        "description</li>\n"
        "<li>Documentation: <code>docs/api.md</code> (REST API v1 under "
        "<code>/api/v1/</code>), <code>docs/streams.md</code> (live streams), "
        "<code>docs/configuration.md</code> in the distribution</li>\n"
        "</ul>\n</body></html>\n",
        PARLEY_VERSION, PARLEY_VERSION, t->stopping ? "stopping" : "running", uptime, srv->nthreads,
        atomic_load(&srv->connections), atomic_load(&srv->streams), atomic_load(&srv->requests),
        store_schema_version(hr->api.store), counts);
    if (page == NULL) {
        api_fail(&hr->api, PARLEY_ENOMEM, NULL, "out of memory");
        return;
    }
    http_add_header(hr, "cache-control", "no-store");
    http_send(hr, 200, "text/html; charset=utf-8", page, strlen(page), false);
}
