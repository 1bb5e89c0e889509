/* HTTP actions of flows (libcurl): one JSON request to the organisation's own system, with a
 * timeout per attempt, a few retries with backoff for network failures and 5xx answers, and a
 * bounded response read as a JSON object. Runs on the bot thread, so it is kept short: the
 * loader caps one attempt at 10 s and retries at 3, and all attempts of one action together at
 * BOT_ACTION_BUDGET_MS. */
#include "bot_int.h"
#include "../common/log.h"
#include "../common/util.h"

#include <curl/curl.h>
#include <pthread.h>
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

/* One attempt: the HTTP status, or 0 when the request did not complete. */
static long attempt(const char *method, const char *url, const char *body, int timeout_ms,
                    struct buf *out)
{
    CURL *c = curl_easy_init();
    if (c == NULL) return 0;
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, "Accept: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "parley-bot/" PARLEY_VERSION);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body != NULL ? body : "{}");
    }
    long status = 0;
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    else
        log_msg(LOG_WARN, "bot", "event=action_failed method=%s error=\"%s\"", method,
                curl_easy_strerror(rc));
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

int bot_action_call(const char *method, const char *url, const char *body, int timeout_ms,
                    int retries, json_t **response)
{
    pthread_once(&curl_once, curl_init_once);
    *response = NULL;
    int backoff = 200;
    int64_t start = util_mono_ns() / 1000000;
    for (int i = 0; i <= retries; i++) {
        if (i > 0) {
            /* no retry that could not finish inside the budget */
            int64_t spent = util_mono_ns() / 1000000 - start;
            if (spent + backoff + timeout_ms > BOT_ACTION_BUDGET_MS) break;
            sleep_ms(backoff);
            backoff *= 2;
        }
        struct buf b = {0};
        long status = attempt(method, url, body, timeout_ms, &b);
        if (status >= 200 && status < 300) {
            json_t *j = b.len > 0 ? json_loadb(b.data, b.len, 0, NULL) : NULL;
            free(b.data);
            if (j != NULL && !json_is_object(j)) {
                json_decref(j);
                j = NULL;
            }
            *response = j;
            return 0;
        }
        free(b.data);
        log_msg(LOG_INFO, "bot", "event=action_status status=%ld attempt=%d", status, i + 1);
        if (status >= 400 && status < 500) break; /* the request itself is wrong: no retry */
    }
    return PARLEY_EIO;
}
