/*
 * The TAP API client handle over libcurl: options, Basic auth, the one
 * retry rule (connection errors, 408 and 5xx with capped exponential backoff
 * and full jitter), status mapping, traces with the credentials redacted,
 * and per-response facts (status, Date header, pool).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "tap_internal.h"

#define ERRBODY_CAP 4096
#define TRACE_HEADERS_CAP 8192

struct pptap_client {
    CURL *curl;
    char *base_url;    /* without trailing '/' */
    char *auth_header; /* "Authorization: Basic …", wiped on free */
    size_t auth_header_len;
    char *proxy;
    char *noproxy;
    char *cacert;
    char *user_agent;
    int insecure;
    long connect_timeout_ms;
    long timeout_ms;
    long low_speed_secs;
    int max_attempts;
    int64_t retry_base_ms;
    int64_t retry_cap_ms;
    int64_t retry_total_ms;
    size_t max_body_bytes;
    size_t max_event_bytes;
    size_t decode_batch;
    pptap_trace_cb trace;
    void *trace_payload;
    pptap_clock_cb clock;
    void *clock_payload;
    uint64_t rng;

    char err[PPTAP_ERRMSG_LEN];
    pptap_response_info info;

    /* per attempt */
    pptap__sink *sink;
    int sink_err;
    pptap_buf errbody;
    pptap_buf resp_headers;
    int64_t attempt_start_ms;
};

/* ------------------------------------------------------------------------ */
/* Endpoints and pools                                                       */

static const struct {
    const char *name;
    const char *path;
    pptap_pool pool;
} endpoints[PPTAP_EP_COUNT_] = {
    [PPTAP_EP_SIEM_ALL] = {"siem-all", "/v2/siem/all", PPTAP_POOL_SIEM_OTHER},
    [PPTAP_EP_SIEM_ISSUES] = {"siem-issues", "/v2/siem/issues", PPTAP_POOL_SIEM_OTHER},
    [PPTAP_EP_SIEM_CLICKS_BLOCKED] = {"siem-clicks-blocked", "/v2/siem/clicks/blocked",
                                      PPTAP_POOL_SIEM_OTHER},
    [PPTAP_EP_SIEM_CLICKS_PERMITTED] = {"siem-clicks-permitted", "/v2/siem/clicks/permitted",
                                        PPTAP_POOL_SIEM_CLICKS_PERMITTED},
    [PPTAP_EP_SIEM_MESSAGES_BLOCKED] = {"siem-messages-blocked", "/v2/siem/messages/blocked",
                                        PPTAP_POOL_SIEM_OTHER},
    [PPTAP_EP_SIEM_MESSAGES_DELIVERED] = {"siem-messages-delivered", "/v2/siem/messages/delivered",
                                          PPTAP_POOL_SIEM_OTHER},
    [PPTAP_EP_CAMPAIGN_IDS] = {"campaign-ids", "/v2/campaign/ids", PPTAP_POOL_CAMPAIGN_IDS},
    [PPTAP_EP_CAMPAIGN] = {"campaign", "/v2/campaign/", PPTAP_POOL_CAMPAIGN},
    [PPTAP_EP_FORENSICS] = {"forensics", "/v2/forensics", PPTAP_POOL_FORENSICS},
    [PPTAP_EP_THREAT_SUMMARY] = {"threat-summary", "/v2/threat/summary/", PPTAP_POOL_NONE},
    [PPTAP_EP_PEOPLE_VAP] = {"people-vap", "/v2/people/vap", PPTAP_POOL_VAP},
    [PPTAP_EP_PEOPLE_TOP_CLICKERS] = {"people-top-clickers", "/v2/people/top-clickers",
                                      PPTAP_POOL_TOP_CLICKERS},
    [PPTAP_EP_URL_DECODE] = {"url-decode", "/v2/url/decode", PPTAP_POOL_URL_DECODE},
};

static const struct {
    const char *name;
    int limit;
} pools[PPTAP_POOL_COUNT_] = {
    [PPTAP_POOL_NONE] = {"none", 0},
    [PPTAP_POOL_SIEM_CLICKS_PERMITTED] = {"siem-clicks-permitted", 1800},
    [PPTAP_POOL_SIEM_OTHER] = {"siem-other", 1800},
    [PPTAP_POOL_CAMPAIGN_IDS] = {"campaign-ids", 50},
    [PPTAP_POOL_CAMPAIGN] = {"campaign", 0},
    [PPTAP_POOL_FORENSICS] = {"forensics", 0},
    [PPTAP_POOL_VAP] = {"vap", 50},
    [PPTAP_POOL_TOP_CLICKERS] = {"top-clickers", 0},
    [PPTAP_POOL_URL_DECODE] = {"url-decode", 1800},
};

pptap_pool pptap_endpoint_pool(pptap_endpoint ep)
{
    if ((unsigned)ep >= PPTAP_EP_COUNT_) {
        return PPTAP_POOL_NONE;
    }
    return endpoints[ep].pool;
}

const char *pptap_endpoint_name(pptap_endpoint ep)
{
    if ((unsigned)ep >= PPTAP_EP_COUNT_) {
        return "unknown";
    }
    return endpoints[ep].name;
}

const char *pptap_tap__endpoint_path(pptap_endpoint ep)
{
    if ((unsigned)ep >= PPTAP_EP_COUNT_) {
        return NULL;
    }
    return endpoints[ep].path;
}

pptap_pool pptap_path_pool(const char *path)
{
    if (path == NULL) {
        return PPTAP_POOL_NONE;
    }
    size_t n = strcspn(path, "?#");
    while (n > 1 && path[n - 1] == '/') {
        n--;
    }
    for (int i = 0; i < PPTAP_EP_COUNT_; i++) {
        const char *p = endpoints[i].path;
        size_t pl = strlen(p);
        if (p[pl - 1] == '/') {
            /* "/v2/campaign/{id}": a non-empty segment after the prefix */
            if (n > pl && strncmp(path, p, pl) == 0 && memchr(path + pl, '/', n - pl) == NULL) {
                if (i == PPTAP_EP_CAMPAIGN && n - pl == 3 && strncmp(path + pl, "ids", 3) == 0) {
                    continue;
                }
                return endpoints[i].pool;
            }
        } else if (n == pl && strncmp(path, p, pl) == 0) {
            return endpoints[i].pool;
        }
    }
    return PPTAP_POOL_NONE;
}

const char *pptap_pool_name(pptap_pool pool)
{
    if ((unsigned)pool >= PPTAP_POOL_COUNT_) {
        return "unknown";
    }
    return pools[pool].name;
}

int pptap_pool_limit(pptap_pool pool)
{
    if ((unsigned)pool >= PPTAP_POOL_COUNT_) {
        return 0;
    }
    return pools[pool].limit;
}

/* ------------------------------------------------------------------------ */
/* Status mapping and backoff                                                */

int pptap_http_status_error(long status)
{
    if (status >= 200 && status < 300) {
        return 0;
    }
    if (status == 401 || status == 403) {
        return PPTAP_EAUTH;
    }
    if (status == 404) {
        return PPTAP_ENOTFOUND;
    }
    if (status == 408) {
        return PPTAP_ETIMEOUT;
    }
    if (status == 429) {
        return PPTAP_ERATELIMIT;
    }
    if (status >= 400 && status < 500) {
        return PPTAP_EINVAL;
    }
    if (status >= 500 && status < 600) {
        return PPTAP_ESERVER;
    }
    return PPTAP_EPROTO;
}

int pptap_http_status_retryable(long status)
{
    return status == 408 || (status >= 500 && status < 600);
}

int64_t pptap_backoff_delay_ms(int retry, int64_t base_ms, int64_t cap_ms, uint64_t rnd)
{
    if (base_ms <= 0 || cap_ms <= 0) {
        return 0;
    }
    if (retry < 1) {
        retry = 1;
    }
    int64_t ceiling = base_ms;
    for (int i = 1; i < retry && ceiling < cap_ms; i++) {
        ceiling = ceiling > INT64_MAX / 2 ? INT64_MAX : ceiling * 2;
    }
    if (ceiling > cap_ms) {
        ceiling = cap_ms;
    }
    return (int64_t)(rnd % ((uint64_t)ceiling + 1));
}

static uint64_t rng_next(uint64_t *state)
{
    /* splitmix64 */
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ------------------------------------------------------------------------ */
/* Handle                                                                    */

int pptap__base64(pptap_buf *out, const unsigned char *in, size_t len)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < len) {
            v |= (unsigned)in[i + 1] << 8;
        }
        if (i + 2 < len) {
            v |= in[i + 2];
        }
        char q[4] = {tab[(v >> 18) & 63], tab[(v >> 12) & 63],
                     i + 1 < len ? tab[(v >> 6) & 63] : '=', i + 2 < len ? tab[v & 63] : '='};
        if (pptap_buf_put(out, q, 4) != 0) {
            return PPTAP_ENOMEM;
        }
    }
    return 0;
}

static void wipe_free(char *s, size_t n)
{
    if (s != NULL) {
        explicit_bzero(s, n);
        pptap__free(s);
    }
}

static void wipe_buf(pptap_buf *b)
{
    if (b->ptr != NULL) {
        explicit_bzero(b->ptr, b->cap);
    }
    pptap_buf_dispose(b);
}

static char *dup_opt(const char *s, int *failed)
{
    if (s == NULL || *s == '\0') {
        return NULL;
    }
    char *d = pptap__strndup(s, strlen(s));
    if (d == NULL) {
        *failed = 1;
    }
    return d;
}

void pptap_client_free(pptap_client *c)
{
    if (c == NULL) {
        return;
    }
    if (c->curl != NULL) {
        curl_easy_cleanup(c->curl);
    }
    wipe_free(c->auth_header, c->auth_header_len);
    pptap__free(c->base_url);
    pptap__free(c->proxy);
    pptap__free(c->noproxy);
    pptap__free(c->cacert);
    pptap__free(c->user_agent);
    pptap_buf_dispose(&c->errbody);
    pptap_buf_dispose(&c->resp_headers);
    explicit_bzero(c, sizeof *c);
    pptap__free(c);
}

static int check_header_value(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f) {
            return -1;
        }
    }
    return 0;
}

int pptap_client_new(pptap_client **out, const pptap_client_opts *opts)
{
    pptap_client_opts defaults = PPTAP_CLIENT_OPTS_INIT;
    if (out == NULL) {
        return PPTAP_EINVAL;
    }
    if (opts == NULL) {
        opts = &defaults;
    }
    const char *base =
        opts->base_url != NULL && *opts->base_url ? opts->base_url : PPTAP_DEFAULT_BASE_URL;
    if (strncmp(base, "https://", 8) != 0 && strncmp(base, "http://", 7) != 0) {
        return PPTAP_ECONFIG;
    }
    if (check_header_value(base) != 0 || strlen(base) > 2048) {
        return PPTAP_ECONFIG;
    }
    int has_p = opts->principal != NULL && *opts->principal;
    int has_s = opts->secret != NULL && *opts->secret;
    if (has_p != has_s) {
        return PPTAP_ECONFIG;
    }
    if (has_p && (strchr(opts->principal, ':') != NULL || strlen(opts->principal) > 4096 ||
                  strlen(opts->secret) > 4096)) {
        return PPTAP_ECONFIG;
    }
    if (opts->user_agent != NULL && check_header_value(opts->user_agent) != 0) {
        return PPTAP_ECONFIG;
    }

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        return PPTAP_ENOMEM;
    }
    pptap_client *c = pptap__calloc(1, sizeof *c);
    if (c == NULL) {
        return PPTAP_ENOMEM;
    }
    int failed = 0;
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/') {
        bl--;
    }
    c->base_url = pptap__strndup(base, bl);
    failed |= c->base_url == NULL;
    c->proxy = dup_opt(opts->proxy, &failed);
    c->noproxy = dup_opt(opts->noproxy, &failed);
    c->cacert = dup_opt(opts->cacert, &failed);
    if (opts->user_agent != NULL && *opts->user_agent) {
        c->user_agent = dup_opt(opts->user_agent, &failed);
    } else {
        char ua[128];
        curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);
        snprintf(ua, sizeof ua, "pptap/%s libcurl/%s", PPTAP_VERSION,
                 vi != NULL ? vi->version : "?");
        c->user_agent = dup_opt(ua, &failed);
    }
    if (has_p && !failed) {
        pptap_buf cred = PPTAP_BUF_INIT;
        pptap_buf hdr = PPTAP_BUF_INIT;
        static const char prefix[] = "Authorization: Basic ";
        if (pptap_buf_put(&cred, opts->principal, strlen(opts->principal)) != 0 ||
            pptap_buf_put(&cred, ":", 1) != 0 ||
            pptap_buf_put(&cred, opts->secret, strlen(opts->secret)) != 0 ||
            pptap_buf_put(&hdr, prefix, sizeof prefix - 1) != 0 ||
            pptap__base64(&hdr, (const unsigned char *)cred.ptr, cred.len) != 0) {
            failed = 1;
            wipe_buf(&hdr);
        } else {
            c->auth_header = hdr.ptr;
            c->auth_header_len = hdr.cap;
        }
        wipe_buf(&cred);
    }
    c->curl = failed ? NULL : curl_easy_init();
    if (failed || c->curl == NULL) {
        pptap_client_free(c);
        return PPTAP_ENOMEM;
    }
    c->insecure = opts->insecure != 0;
    c->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 10000;
    c->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 300000;
    c->low_speed_secs = opts->low_speed_secs > 0 ? opts->low_speed_secs : 60;
    c->max_attempts = opts->max_attempts > 0 ? opts->max_attempts : 4;
    if (c->max_attempts > 20) {
        c->max_attempts = 20;
    }
    c->retry_base_ms = opts->retry_base_ms > 0 ? opts->retry_base_ms : 1000;
    c->retry_cap_ms = opts->retry_cap_ms > 0 ? opts->retry_cap_ms : 30000;
    c->retry_total_ms = opts->retry_total_ms > 0 ? opts->retry_total_ms : 120000;
    c->max_body_bytes = opts->max_body_bytes > 0 ? opts->max_body_bytes : (size_t)256 << 20;
    c->max_event_bytes = opts->max_event_bytes > 0 ? opts->max_event_bytes : (size_t)8 << 20;
    c->decode_batch = opts->decode_batch > 0 ? opts->decode_batch : 100;
    if (c->decode_batch > 1000) {
        c->decode_batch = 1000;
    }
    c->trace = opts->trace;
    c->trace_payload = opts->trace_payload;
    c->clock = opts->clock;
    c->clock_payload = opts->clock_payload;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    c->rng = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid() ^
             (uint64_t)(uintptr_t)c;
    c->info.server_date = PPTAP_TIME_NONE;
    c->info.local_time = PPTAP_TIME_NONE;
    *out = c;
    return 0;
}

const char *pptap_client_last_error(const pptap_client *c)
{
    return c != NULL ? c->err : "no client";
}

const pptap_response_info *pptap_client_last_response(const pptap_client *c)
{
    static const pptap_response_info none = {0, PPTAP_TIME_NONE, PPTAP_TIME_NONE};
    return c != NULL ? &c->info : &none;
}

pptap_time_ms pptap_client_now(const pptap_client *c)
{
    if (c != NULL && c->clock != NULL) {
        return c->clock(c->clock_payload);
    }
    return pptap_time_now();
}

int pptap_client__fail(pptap_client *c, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    return err;
}

void pptap_client__clear_error(pptap_client *c)
{
    c->err[0] = '\0';
}

size_t pptap_client__max_body(const pptap_client *c)
{
    return c->max_body_bytes;
}

size_t pptap_client__max_event(const pptap_client *c)
{
    return c->max_event_bytes;
}

size_t pptap_client__decode_batch(const pptap_client *c)
{
    return c->decode_batch;
}

/* ------------------------------------------------------------------------ */
/* Buffer sink                                                               */

static int bufsink_write(void *ctx, const char *data, size_t len)
{
    pptap__bufsink *bs = ctx;
    if (bs->buf->len - bs->base + len > bs->cap) {
        return PPTAP_EBUFS;
    }
    return pptap_buf_put(bs->buf, data, len);
}

static int bufsink_reset(void *ctx)
{
    pptap__bufsink *bs = ctx;
    bs->buf->len = bs->base;
    if (bs->buf->ptr != NULL) {
        bs->buf->ptr[bs->base] = '\0';
    }
    return 0;
}

void pptap__bufsink_init(pptap__sink *sink, pptap__bufsink *bs, pptap_buf *buf, size_t cap)
{
    bs->buf = buf;
    bs->base = buf->len;
    bs->cap = cap;
    sink->write = bufsink_write;
    sink->reset = bufsink_reset;
    sink->ctx = bs;
}

/* ------------------------------------------------------------------------ */
/* Transfer                                                                  */

static void trace_emit(pptap_client *c, pptap_trace_kind kind, const char *method, const char *url,
                       int attempt, int64_t retry_in, const char *headers, const char *msg)
{
    if (c->trace == NULL) {
        return;
    }
    pptap_trace t = {0};
    t.kind = kind;
    t.method = method;
    t.url = url;
    t.attempt = attempt;
    t.status = c->info.status;
    t.elapsed_ms = kind == PPTAP_TRACE_REQUEST ? 0 : mono_ms() - c->attempt_start_ms;
    t.retry_in_ms = retry_in;
    t.headers = headers != NULL ? headers : "";
    t.message = msg != NULL ? msg : "";
    c->trace(&t, c->trace_payload);
}

static long current_status(pptap_client *c)
{
    long st = 0;
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &st);
    return st;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    pptap_client *c = ud;
    size_t len = size * nmemb;
    long st = current_status(c);
    c->info.body_bytes += len;
    if (st >= 200 && st < 300) {
        if (c->sink != NULL) {
            int rc = c->sink->write(c->sink->ctx, data, len);
            if (rc != 0) {
                c->sink_err = rc;
                return 0; /* CURLE_WRITE_ERROR */
            }
        }
        return len;
    }
    /* error bodies: keep the start for the message */
    if (c->errbody.len < ERRBODY_CAP) {
        size_t take = ERRBODY_CAP - c->errbody.len;
        if (take > len) {
            take = len;
        }
        if (pptap_buf_put(&c->errbody, data, take) != 0) {
            c->sink_err = PPTAP_ENOMEM;
            return 0;
        }
    }
    return len;
}

static int header_is(const char *line, size_t len, const char *name)
{
    size_t nl = strlen(name);
    return len > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':';
}

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && isspace((unsigned char)(*s)[*len - 1])) {
        (*len)--;
    }
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
    pptap_client *c = ud;
    size_t len = size * nmemb;
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        /* a new response (e.g. after 100 Continue): forget earlier headers */
        c->resp_headers.len = 0;
        c->info.content_type[0] = '\0';
        c->info.server_date = PPTAP_TIME_NONE;
        c->info.local_time = pptap_client_now(c);
    }
    if (header_is(data, len, "Date")) {
        const char *v = data + 5;
        size_t vl = len - 5;
        trim(&v, &vl);
        char tmp[128];
        if (vl < sizeof tmp) {
            memcpy(tmp, v, vl);
            tmp[vl] = '\0';
            time_t t = curl_getdate(tmp, NULL);
            if (t != (time_t)-1) {
                c->info.server_date = (pptap_time_ms)t * 1000;
            }
        }
    } else if (header_is(data, len, "Content-Type")) {
        const char *v = data + 13;
        size_t vl = len - 13;
        trim(&v, &vl);
        if (vl >= sizeof c->info.content_type) {
            vl = sizeof c->info.content_type - 1;
        }
        memcpy(c->info.content_type, v, vl);
        c->info.content_type[vl] = '\0';
    }
    if (c->trace != NULL && c->resp_headers.len < TRACE_HEADERS_CAP) {
        const char *v = data;
        size_t vl = len;
        trim(&v, &vl);
        if (vl > 0) {
            if (header_is(v, vl, "Authorization") || header_is(v, vl, "Proxy-Authorization") ||
                header_is(v, vl, "Set-Cookie")) {
                size_t nl = (size_t)((const char *)memchr(v, ':', vl) - v);
                (void)pptap_buf_put(&c->resp_headers, v, nl);
                (void)pptap_buf_put(&c->resp_headers, ": <redacted>\n", 13);
            } else {
                (void)pptap_buf_put(&c->resp_headers, v, vl);
                (void)pptap_buf_put(&c->resp_headers, "\n", 1);
            }
        }
    }
    return len;
}

/* The server's text for an error message: printable, single line, bounded. */
static void server_text(const pptap_buf *b, char *out, size_t cap)
{
    size_t o = 0;
    int space = 0;
    for (size_t i = 0; b->ptr != NULL && i < b->len && o + 4 < cap; i++) {
        unsigned char ch = (unsigned char)b->ptr[i];
        if (ch == '\r' || ch == '\n' || ch == '\t' || ch == ' ') {
            space = o > 0;
            continue;
        }
        if (space) {
            out[o++] = ' ';
            space = 0;
        }
        out[o++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    out[o] = '\0';
}

static int map_curl_error(CURLcode rc, int got_body, int *retryable)
{
    *retryable = 0;
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SSL_CONNECT_ERROR:
        *retryable = 1;
        return PPTAP_EUNAVAIL;
    case CURLE_OPERATION_TIMEDOUT:
        *retryable = 1;
        return PPTAP_ETIMEOUT;
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING:
        *retryable = 1;
        return got_body ? PPTAP_EPROTO : PPTAP_EUNAVAIL;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        return PPTAP_EUNAVAIL;
    case CURLE_OUT_OF_MEMORY:
        return PPTAP_ENOMEM;
    case CURLE_WEIRD_SERVER_REPLY:
        return PPTAP_EPROTO;
    default:
        return PPTAP_EIO;
    }
}

static int setup(pptap_client *c, const char *method, const char *url, const char *post,
                 size_t post_len, struct curl_slist *hdrs, char *curl_err)
{
    CURL *h = c->curl;
    curl_easy_reset(h);
    int bad = 0;
    bad |= curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, c->low_speed_secs) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_WRITEDATA, c) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_HEADERDATA, c) != CURLE_OK;
    if (c->proxy != NULL) {
        bad |= curl_easy_setopt(h, CURLOPT_PROXY, c->proxy) != CURLE_OK;
    }
    if (c->noproxy != NULL) {
        bad |= curl_easy_setopt(h, CURLOPT_NOPROXY, c->noproxy) != CURLE_OK;
    }
    if (c->cacert != NULL) {
        bad |= curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert) != CURLE_OK;
    }
    bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c->insecure ? 0L : 1L) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, c->insecure ? 0L : 2L) != CURLE_OK;
    if (strcmp(method, "POST") == 0) {
        bad |= curl_easy_setopt(h, CURLOPT_POST, 1L) != CURLE_OK;
        bad |= curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)post_len) != CURLE_OK;
        bad |= curl_easy_setopt(h, CURLOPT_POSTFIELDS, post != NULL ? post : "") != CURLE_OK;
    }
    return bad ? PPTAP_ECONFIG : 0;
}

static int request_headers_text(pptap_client *c, const char *method, pptap_buf *out)
{
    int rc = 0;
    if (c->auth_header != NULL) {
        rc |= pptap_buf_put(out, "Authorization: Basic <redacted>\n", 32);
    }
    rc |= pptap_buf_put(out, "Accept: application/json\n", 25);
    if (strcmp(method, "POST") == 0) {
        rc |= pptap_buf_put(out, "Content-Type: application/json\n", 31);
    }
    rc |= pptap_buf_put(out, "User-Agent: ", 12);
    rc |= pptap_buf_put(out, c->user_agent, strlen(c->user_agent));
    rc |= pptap_buf_put(out, "\n", 1);
    return rc ? PPTAP_ENOMEM : 0;
}

int pptap_client__request(pptap_client *c, pptap_endpoint ep, const char *method,
                          const char *path_query, const char *post, size_t post_len,
                          pptap__sink *sink)
{
    int err = 0;
    pptap_buf url = PPTAP_BUF_INIT;
    pptap_buf reqhdr = PPTAP_BUF_INIT;
    struct curl_slist *hdrs = NULL;
    char curl_err[CURL_ERROR_SIZE];

    pptap_client__clear_error(c);
    memset(&c->info, 0, sizeof c->info);
    c->info.server_date = PPTAP_TIME_NONE;
    c->info.local_time = PPTAP_TIME_NONE;
    c->info.endpoint = ep;
    c->info.pool =
        (unsigned)ep < PPTAP_EP_COUNT_ ? pptap_endpoint_pool(ep) : pptap_path_pool(path_query);

    if (pptap_buf_put(&url, c->base_url, strlen(c->base_url)) != 0 ||
        pptap_buf_put(&url, path_query, strlen(path_query)) != 0) {
        err = pptap_client__fail(c, PPTAP_ENOMEM, "out of memory");
        goto out;
    }
    {
        struct curl_slist *t;
        if (c->auth_header != NULL) {
            t = curl_slist_append(hdrs, c->auth_header);
            if (t == NULL) {
                goto nomem;
            }
            hdrs = t;
        }
        t = curl_slist_append(hdrs, "Accept: application/json");
        if (t == NULL) {
            goto nomem;
        }
        hdrs = t;
        t = curl_slist_append(hdrs, "Expect:");
        if (t == NULL) {
            goto nomem;
        }
        hdrs = t;
        if (strcmp(method, "POST") == 0) {
            t = curl_slist_append(hdrs, "Content-Type: application/json");
            if (t == NULL) {
                goto nomem;
            }
            hdrs = t;
        }
    }
    if (c->trace != NULL && request_headers_text(c, method, &reqhdr) != 0) {
        goto nomem;
    }

    int64_t t0 = mono_ms();
    for (int attempt = 1;; attempt++) {
        c->info.attempts = attempt;
        c->info.status = 0;
        c->info.body_bytes = 0;
        c->info.content_type[0] = '\0';
        c->info.server_date = PPTAP_TIME_NONE;
        c->errbody.len = 0;
        c->resp_headers.len = 0;
        c->sink = sink;
        c->sink_err = 0;
        curl_err[0] = '\0';
        err = setup(c, method, url.ptr, post, post_len, hdrs, curl_err);
        if (err != 0) {
            pptap_client__fail(c, err, "cannot configure libcurl for %s", url.ptr);
            goto out;
        }
        c->attempt_start_ms = mono_ms();
        trace_emit(c, PPTAP_TRACE_REQUEST, method, url.ptr, attempt, 0, reqhdr.ptr, NULL);
        CURLcode rc = curl_easy_perform(c->curl);
        long st = current_status(c);
        c->info.status = st;
        c->info.elapsed_ms = mono_ms() - t0;
        if (st != 0) {
            trace_emit(c, PPTAP_TRACE_RESPONSE, method, url.ptr, attempt, 0, c->resp_headers.ptr,
                       NULL);
        }
        int retryable = 0;
        if (c->sink_err != 0) {
            /* the sink refused: permanent (malformed, too big, canceled) */
            err = c->sink_err;
            if (c->err[0] == '\0') {
                pptap_client__fail(c, err, "%s %s: %s", method, path_query,
                                   err == PPTAP_EBUFS ? "response body exceeds the size cap"
                                                      : pptap_strerror(err));
            }
        } else if (rc != CURLE_OK && (st < 300 || rc == CURLE_OPERATION_TIMEDOUT)) {
            err = map_curl_error(rc, c->info.body_bytes > 0, &retryable);
            pptap_client__fail(c, err, "%s %s: %s%s%s", method, path_query,
                               err == PPTAP_EPROTO ? "response truncated: " : "",
                               curl_err[0] ? curl_err : curl_easy_strerror(rc),
                               st != 0 ? "" : " (no response)");
        } else if (rc == CURLE_OK && st >= 200 && st < 300) {
            err = 0;
        } else {
            char text[300];
            server_text(&c->errbody, text, sizeof text);
            err = pptap_http_status_error(st);
            retryable = pptap_http_status_retryable(st);
            if (err == PPTAP_ERATELIMIT) {
                pptap_client__fail(c, err, "HTTP 429 from %s %s: rate limit of pool %s reached%s%s",
                                   method, path_query, pptap_pool_name(c->info.pool),
                                   text[0] ? ": " : "", text);
            } else if (err == PPTAP_EAUTH) {
                pptap_client__fail(c, err, "HTTP %ld from %s %s: credentials refused%s%s", st,
                                   method, path_query, text[0] ? ": " : "", text);
            } else {
                pptap_client__fail(c, err, "HTTP %ld from %s %s%s%s", st, method, path_query,
                                   text[0] ? ": " : "", text);
            }
        }
        if (err == 0) {
            goto out;
        }
        if (retryable && attempt < c->max_attempts &&
            (sink == NULL || sink->reset(sink->ctx) == 0)) {
            int64_t delay = pptap_backoff_delay_ms(attempt, c->retry_base_ms, c->retry_cap_ms,
                                                   rng_next(&c->rng));
            if (mono_ms() - t0 + delay <= c->retry_total_ms) {
                trace_emit(c, PPTAP_TRACE_RETRY, method, url.ptr, attempt, delay, NULL, c->err);
                sleep_ms(delay);
                continue;
            }
        }
        trace_emit(c, PPTAP_TRACE_ERROR, method, url.ptr, attempt, 0, NULL, c->err);
        goto out;
    }

nomem:
    err = pptap_client__fail(c, PPTAP_ENOMEM, "out of memory");
out:
    c->sink = NULL;
    if (hdrs != NULL) {
        for (struct curl_slist *p = hdrs; p != NULL; p = p->next) {
            explicit_bzero(p->data, strlen(p->data));
        }
        curl_slist_free_all(hdrs);
    }
    if (c->curl != NULL) {
        /* drop curl's pointers to our buffers and headers */
        curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
        curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, NULL);
    }
    pptap_buf_dispose(&url);
    pptap_buf_dispose(&reqhdr);
    return err;
}

int pptap_client_get_raw(pptap_client *c, pptap_buf *body, const char *path_query)
{
    if (c == NULL || body == NULL || path_query == NULL) {
        return PPTAP_EINVAL;
    }
    if (path_query[0] != '/' || check_header_value(path_query) != 0 ||
        strchr(path_query, ' ') != NULL) {
        return pptap_client__fail(c, PPTAP_EINVAL, "path must start with '/' and be encoded");
    }
    pptap__sink sink;
    pptap__bufsink bs;
    pptap__bufsink_init(&sink, &bs, body, c->max_body_bytes);
    pptap_endpoint ep = PPTAP_EP_COUNT_;
    pptap_pool pool = pptap_path_pool(path_query);
    for (int i = 0; i < PPTAP_EP_COUNT_; i++) {
        const char *p = endpoints[i].path;
        size_t pl = strlen(p);
        if (strncmp(path_query, p, pl) == 0 && endpoints[i].pool == pool) {
            ep = (pptap_endpoint)i;
            break;
        }
    }
    int rc = pptap_client__request(c, ep, "GET", path_query, NULL, 0, &sink);
    if (rc != 0 && body->ptr != NULL) {
        body->len = bs.base; /* output untouched on failure */
        body->ptr[body->len] = '\0';
    }
    return rc;
}
