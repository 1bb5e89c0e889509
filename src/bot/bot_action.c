/* HTTP actions of flows (libcurl): one JSON request to the organisation's own system, with a
 * timeout per attempt, a few retries with backoff for network failures and 5xx answers, an
 * Idempotency-Key header, and a bounded response read as a JSON object. Runs on the action
 * workers (bot_pool.c), each with its own easy handle (reset per request, so connections to the
 * organisation's system are reused); the loader caps one attempt at 10 s and retries at 3, and
 * all attempts of one action together at BOT_ACTION_BUDGET_MS. A stopping pool aborts the
 * transfer and the backoff. */
#include "bot_int.h"
#include "bot_pool.h"
#include "../common/log.h"
#include "../common/util.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct buf {
    char *data;
    size_t len;
    bool too_big;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct buf *b = ud;
    size_t n = size * nmemb;
    if (b->len + n > BOT_ACTION_MAX_RESPONSE) {
        b->too_big = true;
        return 0; /* aborts the transfer */
    }
    char *grown = realloc(b->data, b->len + n + 1);
    if (grown == NULL) return 0;
    b->data = grown;
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return ud != NULL && bot_pool_stopping(ud) ? 1 : 0; /* non-zero aborts the transfer */
}

/* One attempt on the worker's handle: the HTTP status, or 0 when the request did not complete. */
static long attempt(CURL *c, struct bot_pool *pool, const struct bot_job *j, struct buf *out)
{
    curl_easy_reset(c); /* keeps the connection cache: the organisation's system is reused */
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, "Accept: application/json");
    char key[200];
    if (j->idempotency_key != NULL) {
        snprintf(key, sizeof(key), "Idempotency-Key: %s", j->idempotency_key);
        h = curl_slist_append(h, key);
    }
    curl_easy_setopt(c, CURLOPT_URL, j->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)j->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)j->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "parley-bot/" PARLEY_VERSION);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, pool);
    if (strcmp(j->method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, j->method);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, j->body != NULL ? j->body : "{}");
    }
    long status = 0;
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    else
        log_msg(LOG_WARN, "bot", "event=action_failed conversation_id=%lld method=%s error=\"%s\"",
                (long long)j->conversation_id, j->method, curl_easy_strerror(rc));
    curl_slist_free_all(h);
    return status;
}

void bot_action_local_free(void *local)
{
    curl_easy_cleanup(local);
}

void bot_action_run(void *ud, struct bot_pool *pool, void **local, struct bot_job *j)
{
    (void)ud;
    pthread_once(&curl_once, curl_init_once);
    j->rc = PARLEY_EIO;
    j->response = NULL;
    if (*local == NULL) *local = curl_easy_init();
    CURL *c = *local;
    if (c == NULL) return;
    int backoff = 200;
    int64_t start = util_mono_ns() / 1000000;
    for (int i = 0; i <= j->retries; i++) {
        if (i > 0) {
            /* no retry that could not finish inside the budget */
            int64_t spent = util_mono_ns() / 1000000 - start;
            if (spent + backoff + j->timeout_ms > BOT_ACTION_BUDGET_MS) break;
            if (pool == NULL)
                sleep_ms(backoff);
            else if (!bot_pool_sleep_ms(pool, backoff))
                break; /* stopping */
            backoff *= 2;
        }
        struct buf b = {0};
        long status = attempt(c, pool, j, &b);
        if (status >= 200 && status < 300) {
            json_t *r = b.len > 0 ? json_loadb(b.data, b.len, 0, NULL) : NULL;
            free(b.data);
            if (r != NULL && !json_is_object(r)) {
                json_decref(r);
                r = NULL;
            }
            j->response = r;
            j->rc = 0;
            return;
        }
        free(b.data);
        log_msg(LOG_INFO, "bot", "event=action_status conversation_id=%lld status=%ld attempt=%d",
                (long long)j->conversation_id, status, i + 1);
        if (status >= 400 && status < 500) break; /* the request itself is wrong: no retry */
        if (pool != NULL && bot_pool_stopping(pool)) break;
    }
}

void bot_action_key(int64_t conversation_id, int64_t seq, const char *step_id, char *out,
                    size_t outsize)
{
    int n = snprintf(out, outsize, "parley-%lld-%lld-", (long long)conversation_id, (long long)seq);
    if (n < 0 || (size_t)n >= outsize) return;
    size_t k = (size_t)n;
    for (const char *p = step_id != NULL ? step_id : ""; *p != '\0' && k + 1 < outsize; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
        out[k++] = ok ? c : '_';
    }
    out[k] = '\0';
}
