/*
 * pptap-sim — HTTP plumbing on libmicrohttpd: routing, Basic auth, throttle
 * pools, fault injection, the request log and streamed response bodies.
 *
 * Order of checks for an API request: unknown path → 404, wrong method → 405,
 * credentials → 401, injected fault (5xx, 429, reset), throttle pool → 429,
 * then the endpoint (400s, 404s, 200/204), then body faults (slow, truncated,
 * malformed). Admin requests (/admin/...) skip auth, faults, pools and the log.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "sim.h"

volatile int sim_stopping;

static struct MHD_Daemon *daemon_handle;
static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---------------------------------------------------------------------- */
/* Small helpers */

int sim_strcaseeq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        int ca = (unsigned char)*a, cb = (unsigned char)*b;
        if (ca >= 'A' && ca <= 'Z') {
            ca += 32;
        }
        if (cb >= 'A' && cb <= 'Z') {
            cb += 32;
        }
        if (ca != cb) {
            return 0;
        }
    }
    return *a == *b;
}

int sim_parse_int(const char *s, int64_t *out)
{
    int64_t v = 0;
    int neg = 0;
    if (s == NULL || *s == '\0') {
        return -1;
    }
    if (*s == '-') {
        neg = 1;
        s++;
    }
    if (*s == '\0') {
        return -1;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > 100000000000LL) {
            return -1;
        }
        v = v * 10 + (*s - '0');
    }
    *out = neg ? -v : v;
    return 0;
}

static int hexdig(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Percent-decodes in place; `plus` turns '+' into a space (query strings). */
static void unescape(char *s, int plus)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p == '%' && hexdig((unsigned char)p[1]) >= 0 && hexdig((unsigned char)p[2]) >= 0) {
            *o++ = (char)(hexdig((unsigned char)p[1]) * 16 + hexdig((unsigned char)p[2]));
            p += 2;
        } else if (*p == '+' && plus) {
            *o++ = ' ';
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
}

/* Splits a query string (modified in place) into parameters. */
static void parse_query(sim_params *p, char *q)
{
    p->n = 0;
    while (q && *q && p->n < SIM_MAX_PARAMS) {
        char *amp = strchr(q, '&');
        if (amp) {
            *amp = '\0';
        }
        if (*q) {
            char *eq = strchr(q, '=');
            char *val = "";
            if (eq) {
                *eq = '\0';
                val = eq + 1;
            }
            unescape(q, 1);
            unescape(val, 1);
            p->name[p->n] = q;
            p->value[p->n] = val;
            p->n++;
        }
        q = amp ? amp + 1 : NULL;
    }
}

const char *sim_param(const sim_params *p, const char *name)
{
    for (int i = 0; i < p->n; i++) {
        if (strcmp(p->name[i], name) == 0) {
            return p->value[i];
        }
    }
    return NULL;
}

int sim_param_count(const sim_params *p, const char *name)
{
    int n = 0;
    for (int i = 0; i < p->n; i++) {
        n += strcmp(p->name[i], name) == 0;
    }
    return n;
}

/* ---------------------------------------------------------------------- */
/* Throttle pools: rolling 24 h of simulated time. */

const char *const sim_pool_name[SIM_POOL_COUNT] = {
    "siem-clicks-permitted", "siem", "campaign-ids", "vap", "url-decode", "campaign", "forensics",
    "top-clickers"};

typedef struct {
    int size;
    pptap_time_ms *ring; /* the last `size` accepted requests, oldest at head */
    int head;
    int fill;
    uint64_t requests; /* all requests that reached the pool */
    uint64_t accepted;
    uint64_t throttled;
} pool;

static pool pools[SIM_POOL_COUNT];

static int pool_in_window(const pool *p, pptap_time_ms now, pptap_time_ms *oldest)
{
    int n = 0;
    pptap_time_ms old = INT64_MAX;
    for (int i = 0; i < p->fill; i++) {
        pptap_time_ms t = p->ring[i];
        if (t > now - SIM_DAY_MS && t <= now) {
            n++;
            if (t < old) {
                old = t;
            }
        }
    }
    if (oldest) {
        *oldest = old;
    }
    return n;
}

/* Counts a request against a pool: 0, or -1 when the pool is exhausted. */
static int pool_take(int idx, pptap_time_ms now)
{
    if (idx < 0) {
        return 0;
    }
    pthread_mutex_lock(&state_lock);
    pool *p = &pools[idx];
    p->requests++;
    if (p->size <= 0) {
        p->accepted++;
        pthread_mutex_unlock(&state_lock);
        return 0;
    }
    if (pool_in_window(p, now, NULL) >= p->size) {
        p->throttled++;
        pthread_mutex_unlock(&state_lock);
        return -1;
    }
    if (p->fill < p->size) {
        p->ring[p->fill++] = now;
    } else {
        /* replace the oldest entry */
        int oi = 0;
        for (int i = 1; i < p->fill; i++) {
            if (p->ring[i] < p->ring[oi]) {
                oi = i;
            }
        }
        p->ring[oi] = now;
    }
    p->accepted++;
    pthread_mutex_unlock(&state_lock);
    return 0;
}

static int newest_first(const void *a, const void *b)
{
    pptap_time_ms x = *(const pptap_time_ms *)a, y = *(const pptap_time_ms *)b;
    return (x < y) - (x > y);
}

void sim_pools_resize(int idx, int size)
{
    pthread_mutex_lock(&state_lock);
    pool *p = &pools[idx];
    pptap_time_ms *ring = NULL;
    int fill = 0;
    if (size > 0) {
        ring = calloc((size_t)size, sizeof *ring);
        if (ring == NULL) {
            abort();
        }
        /* keep the newest entries (the ring is not in time order once
         * entries were replaced) */
        if (p->fill > 0) {
            qsort(p->ring, (size_t)p->fill, sizeof *p->ring, newest_first);
        }
        for (int i = 0; i < p->fill && fill < size; i++) {
            ring[fill++] = p->ring[i];
        }
    }
    free(p->ring);
    p->ring = ring;
    p->fill = fill;
    p->size = size;
    pthread_mutex_unlock(&state_lock);
}

void sim_pools_reset(void)
{
    pthread_mutex_lock(&state_lock);
    for (int i = 0; i < SIM_POOL_COUNT; i++) {
        pools[i].fill = 0;
        pools[i].requests = pools[i].accepted = pools[i].throttled = 0;
    }
    pthread_mutex_unlock(&state_lock);
}

void sim_pools_write(sim_jw *w, pptap_time_ms now)
{
    pthread_mutex_lock(&state_lock);
    sim_jw_obj(w);
    for (int i = 0; i < SIM_POOL_COUNT; i++) {
        pool *p = &pools[i];
        pptap_time_ms oldest;
        int used = pool_in_window(p, now, &oldest);
        sim_jw_key(w, sim_pool_name[i]);
        sim_jw_obj(w);
        sim_jw_kint(w, "size", p->size);
        sim_jw_kint(w, "used24h", used);
        sim_jw_key(w, "remaining");
        if (p->size > 0) {
            sim_jw_int(w, p->size - used > 0 ? p->size - used : 0);
        } else {
            sim_jw_null(w);
        }
        sim_jw_kint(w, "requests", (int64_t)p->requests);
        sim_jw_kint(w, "accepted", (int64_t)p->accepted);
        sim_jw_kint(w, "throttled", (int64_t)p->throttled);
        sim_jw_key(w, "freeAt");
        if (p->size > 0 && used >= p->size) {
            sim_jw_time_s(w, oldest + SIM_DAY_MS);
        } else {
            sim_jw_null(w);
        }
        sim_jw_obj_end(w);
    }
    sim_jw_obj_end(w);
    pthread_mutex_unlock(&state_lock);
}

/* ---------------------------------------------------------------------- */
/* Request log */

typedef struct {
    uint64_t seq;
    pptap_time_ms real, sim;
    char method[8];
    char path[160];
    char query[512];
    int auth; /* 0 absent, 1 valid, 2 invalid */
    int status;
    int pool;
    const char *fault;
} log_entry;

static log_entry *log_ring;
static int log_cap, log_fill, log_head;
static uint64_t log_total;
static uint64_t seq_counter;

static void log_add(const log_entry *e)
{
    pthread_mutex_lock(&state_lock);
    log_total++;
    if (log_cap > 0) {
        log_ring[log_head] = *e;
        log_head = (log_head + 1) % log_cap;
        if (log_fill < log_cap) {
            log_fill++;
        }
    }
    pthread_mutex_unlock(&state_lock);
}

void sim_log_reset(void)
{
    pthread_mutex_lock(&state_lock);
    log_fill = log_head = 0;
    log_total = 0;
    pthread_mutex_unlock(&state_lock);
}

void sim_log_write(sim_jw *w, int last)
{
    static const char *const auth_name[] = {"absent", "valid", "invalid"};
    pthread_mutex_lock(&state_lock);
    sim_jw_obj(w);
    sim_jw_kint(w, "total", (int64_t)log_total);
    sim_jw_key(w, "pools");
    sim_jw_obj(w);
    for (int i = 0; i < SIM_POOL_COUNT; i++) {
        sim_jw_kint(w, sim_pool_name[i], (int64_t)pools[i].requests);
    }
    sim_jw_obj_end(w);
    int n = last < log_fill ? last : log_fill;
    sim_jw_key(w, "requests");
    sim_jw_arr(w);
    for (int k = n; k > 0; k--) {
        const log_entry *e = &log_ring[((log_head - k) % log_cap + log_cap) % log_cap];
        sim_jw_obj(w);
        sim_jw_kint(w, "seq", (int64_t)e->seq);
        sim_jw_key(w, "time");
        sim_jw_time_ms(w, e->real);
        sim_jw_key(w, "simTime");
        sim_jw_time_ms(w, e->sim);
        sim_jw_kstr(w, "method", e->method);
        sim_jw_kstr(w, "path", e->path);
        sim_jw_kstr(w, "query", e->query);
        sim_jw_key(w, "authorization");
        sim_jw_bool(w, e->auth != 0);
        sim_jw_kstr(w, "auth", auth_name[e->auth]);
        sim_jw_kint(w, "status", e->status);
        sim_jw_kstr(w, "pool", e->pool >= 0 ? sim_pool_name[e->pool] : NULL);
        sim_jw_kstr(w, "fault", e->fault);
        sim_jw_obj_end(w);
    }
    sim_jw_arr_end(w);
    sim_jw_obj_end(w);
    pthread_mutex_unlock(&state_lock);
}

/* ---------------------------------------------------------------------- */
/* Faults */

enum { F_NONE = 0, F_5XX, F_429, F_SLOW, F_TRUNC, F_RESET, F_BADJSON };
static const char *const fault_name[] = {NULL,        "5xx",   "429",    "slow",
                                         "truncated", "reset", "badjson"};
static sim_fault_cfg faults;
static sim_rng fault_rng;

void sim_faults_get(sim_fault_cfg *out)
{
    pthread_mutex_lock(&state_lock);
    *out = faults;
    pthread_mutex_unlock(&state_lock);
}

void sim_faults_set(const sim_fault_cfg *in)
{
    pthread_mutex_lock(&state_lock);
    int reseed = in->seed != faults.seed;
    faults = *in;
    if (reseed) {
        fault_rng.s = sim_mix(faults.seed ^ 0xfa17);
    }
    pthread_mutex_unlock(&state_lock);
}

/* Draws the fault for the next API request (deterministic per fault seed). */
static int fault_pick(uint32_t *extra)
{
    pthread_mutex_lock(&state_lock);
    double u = sim_rng_unit(&fault_rng);
    *extra = (uint32_t)sim_rng_next(&fault_rng);
    double p[] = {0,
                  faults.p_5xx,
                  faults.p_429,
                  faults.p_slow,
                  faults.p_truncate,
                  faults.p_reset,
                  faults.p_badjson};
    pthread_mutex_unlock(&state_lock);
    double acc = 0;
    for (int i = 1; i <= F_BADJSON; i++) {
        acc += p[i];
        if (u < acc) {
            return i;
        }
    }
    return F_NONE;
}

/* ---------------------------------------------------------------------- */
/* Replies */

void sim_reply_text(sim_req *r, int status, const char *text)
{
    r->status = status;
    r->content_type = "text/plain;charset=UTF-8";
    sim_buf_reset(&r->body_out);
    sim_buf_puts(&r->body_out, text);
}

void sim_reply_json(sim_req *r, int status)
{
    r->status = status;
    sim_buf_reset(&r->body_out);
    r->content_type = "application/json";
    if (sim_cfg.text_plain > 0) {
        sim_rng g = {sim_mix(r->seq ^ 0x7e47)};
        if (sim_rng_unit(&g) < sim_cfg.text_plain) {
            /* The real API sometimes labels JSON as text/plain. */
            r->content_type = "text/plain;charset=UTF-8";
        }
    }
}

/* ---------------------------------------------------------------------- */
/* Auth */

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

static int const_eq(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    unsigned diff = (unsigned)(alen ^ blen);
    for (size_t i = 0; i < alen; i++) {
        diff |= (unsigned char)a[i] ^ (unsigned char)b[i % (blen ? blen : 1)];
    }
    return diff == 0;
}

/* 0 = no Authorization header, 1 = valid credentials, 2 = invalid. */
static int check_auth(struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (h == NULL) {
        return 0;
    }
    if (strncasecmp(h, "Basic ", 6) != 0) {
        return 2;
    }
    h += 6;
    while (*h == ' ') {
        h++;
    }
    char dec[512];
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    for (; *h && *h != '='; h++) {
        int v = b64val((unsigned char)*h);
        if (v < 0 || n + 1 >= sizeof dec) {
            return 2;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            dec[n++] = (char)((acc >> bits) & 0xff);
        }
    }
    char *colon = memchr(dec, ':', n);
    if (colon == NULL) {
        explicit_bzero(dec, sizeof dec);
        return 2;
    }
    if (sim_cfg.auth_disabled) {
        explicit_bzero(dec, sizeof dec);
        return 1;
    }
    size_t ulen = (size_t)(colon - dec);
    int ok =
        const_eq(dec, ulen, sim_cfg.principal) & const_eq(colon + 1, n - ulen - 1, sim_cfg.secret);
    explicit_bzero(dec, sizeof dec);
    return ok ? 1 : 2;
}

/* ---------------------------------------------------------------------- */
/* Response bodies */

typedef struct {
    sim_stream *s;
    int64_t truncate_at; /* -1 = never */
    int badjson;
    uint64_t sent;
} out_ctx;

static int fixed_fill(sim_stream *s)
{
    (void)s;
    return 1;
}

static ssize_t out_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    out_ctx *o = cls;
    sim_stream *s = o->s;
    (void)pos;
    if (o->truncate_at >= 0 && o->sent >= (uint64_t)o->truncate_at) {
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    if (o->badjson && o->sent == 1) {
        static const char junk[] = "\"oops\" : ,, <html>";
        size_t n = sizeof junk - 1 < max ? sizeof junk - 1 : max;
        memcpy(buf, junk, n);
        o->badjson = 0;
        o->sent += n;
        return (ssize_t)n;
    }
    while (s->pos >= s->out.len) {
        if (s->done || sim_stopping) {
            return s->done ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
        }
        sim_buf_reset(&s->out);
        s->pos = 0;
        s->done = s->fill(s);
    }
    size_t n = s->out.len - s->pos;
    if (n > max) {
        n = max;
    }
    if (o->badjson && o->sent == 0) {
        n = 1;
    }
    if (o->truncate_at >= 0 && o->sent + n > (uint64_t)o->truncate_at) {
        n = (size_t)((uint64_t)o->truncate_at - o->sent);
    }
    memcpy(buf, s->out.ptr + s->pos, n);
    s->pos += n;
    o->sent += n;
    return (ssize_t)n;
}

static void out_free(void *cls)
{
    out_ctx *o = cls;
    if (o->s) {
        if (o->s->dispose) {
            o->s->dispose(o->s);
        }
        sim_buf_dispose(&o->s->out);
        free(o->s);
    }
    free(o);
}

/* ---------------------------------------------------------------------- */
/* Routing */

typedef struct {
    int started;
    char *uri;
    sim_buf body;
    int too_big;
} conn_ctx;

static void *uri_logger(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    (void)c;
    conn_ctx *ctx = calloc(1, sizeof *ctx);
    if (ctx) {
        ctx->uri = strdup(uri ? uri : "/");
    }
    return ctx;
}

static void completed(void *cls, struct MHD_Connection *c, void **req_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    conn_ctx *ctx = *req_cls;
    if (ctx) {
        free(ctx->uri);
        sim_buf_dispose(&ctx->body);
        free(ctx);
        *req_cls = NULL;
    }
}

typedef enum {
    EP_NONE = 0,
    EP_SIEM,
    EP_CAMPAIGN_IDS,
    EP_CAMPAIGN,
    EP_FORENSICS,
    EP_THREAT,
    EP_VAP,
    EP_TOP_CLICKERS,
    EP_DECODE,
    EP_ADMIN
} endpoint;

typedef struct {
    endpoint ep;
    int pool;
    int kinds; /* SIEM: mask of SIM_K_* */
    const char *arg;
    int post;
} route;

static int route_path(route *rt, const char *path)
{
    static const struct {
        const char *path;
        int kinds;
        int pool;
    } siem[] = {
        {"/v2/siem/all", 15, SIM_POOL_SIEM},
        {"/v2/siem/issues", (1 << SIM_K_CLICKS_PERMITTED) | (1 << SIM_K_MESSAGES_DELIVERED),
         SIM_POOL_SIEM},
        {"/v2/siem/clicks/blocked", 1 << SIM_K_CLICKS_BLOCKED, SIM_POOL_SIEM},
        {"/v2/siem/clicks/permitted", 1 << SIM_K_CLICKS_PERMITTED, SIM_POOL_CLICKS_PERMITTED},
        {"/v2/siem/messages/blocked", 1 << SIM_K_MESSAGES_BLOCKED, SIM_POOL_SIEM},
        {"/v2/siem/messages/delivered", 1 << SIM_K_MESSAGES_DELIVERED, SIM_POOL_SIEM},
    };
    memset(rt, 0, sizeof *rt);
    rt->pool = SIM_POOL_NONE;
    for (size_t i = 0; i < sizeof siem / sizeof siem[0]; i++) {
        if (strcmp(path, siem[i].path) == 0) {
            rt->ep = EP_SIEM;
            rt->kinds = siem[i].kinds;
            rt->pool = siem[i].pool;
            return 0;
        }
    }
    if (strcmp(path, "/v2/campaign/ids") == 0) {
        rt->ep = EP_CAMPAIGN_IDS;
        rt->pool = SIM_POOL_CAMPAIGN_IDS;
    } else if (strncmp(path, "/v2/campaign/", 13) == 0 && path[13] && !strchr(path + 13, '/')) {
        rt->ep = EP_CAMPAIGN;
        rt->pool = SIM_POOL_CAMPAIGN;
        rt->arg = path + 13;
    } else if (strcmp(path, "/v2/forensics") == 0) {
        rt->ep = EP_FORENSICS;
        rt->pool = SIM_POOL_FORENSICS;
    } else if (strncmp(path, "/v2/threat/summary/", 19) == 0 && path[19] &&
               !strchr(path + 19, '/')) {
        rt->ep = EP_THREAT;
        rt->arg = path + 19;
    } else if (strcmp(path, "/v2/people/vap") == 0) {
        rt->ep = EP_VAP;
        rt->pool = SIM_POOL_VAP;
    } else if (strcmp(path, "/v2/people/top-clickers") == 0) {
        rt->ep = EP_TOP_CLICKERS;
        rt->pool = SIM_POOL_TOP_CLICKERS;
    } else if (strcmp(path, "/v2/url/decode") == 0) {
        rt->ep = EP_DECODE;
        rt->pool = SIM_POOL_URL_DECODE;
        rt->post = 1;
    } else if (strncmp(path, "/admin/", 7) == 0) {
        rt->ep = EP_ADMIN;
    } else {
        return -1;
    }
    return 0;
}

static void sleep_ms(int64_t ms)
{
    while (ms > 0 && !sim_stopping) {
        int64_t step = ms > 50 ? 50 : ms;
        struct timespec ts = {(time_t)(step / 1000), (long)(step % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

static enum MHD_Result send_reply(struct MHD_Connection *c, sim_req *r, int fault, uint32_t extra)
{
    struct MHD_Response *resp;
    int chunk_fault = fault == F_TRUNC || fault == F_BADJSON;
    if (r->stream == NULL && !chunk_fault) {
        resp = MHD_create_response_from_buffer(r->body_out.len, r->body_out.ptr,
                                               MHD_RESPMEM_MUST_COPY);
    } else {
        out_ctx *o = calloc(1, sizeof *o);
        if (o == NULL) {
            return MHD_NO;
        }
        uint64_t size = MHD_SIZE_UNKNOWN;
        o->truncate_at = -1;
        if (r->stream) {
            o->s = r->stream;
            r->stream = NULL;
        } else {
            o->s = calloc(1, sizeof *o->s);
            if (o->s == NULL) {
                free(o);
                return MHD_NO;
            }
            o->s->out = r->body_out;
            memset(&r->body_out, 0, sizeof r->body_out);
            o->s->fill = fixed_fill;
            o->s->done = 1;
            if (fault == F_TRUNC) {
                size = o->s->out.len;
            }
        }
        if (fault == F_TRUNC) {
            /* Cut the body somewhere in its first 64 KiB (or half of a short one). */
            uint64_t lim = size != MHD_SIZE_UNKNOWN ? size / 2 : 1 + extra % 65536;
            o->truncate_at = (int64_t)lim;
        }
        o->badjson = fault == F_BADJSON;
        resp = MHD_create_response_from_callback(size, 32 * 1024, out_reader, o, out_free);
        if (resp == NULL) {
            out_free(o);
        }
    }
    if (resp == NULL) {
        return MHD_NO;
    }
    if (r->content_type && r->status != 204) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    }
    {
        /* The Date header tells the simulated time, as a real server tells
         * its own: clients correct their clock skew with it. */
        char date[64];
        time_t secs = (time_t)(r->now / 1000);
        struct tm tm;
        if (gmtime_r(&secs, &tm) != NULL &&
            strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm) > 0) {
            MHD_add_response_header(resp, MHD_HTTP_HEADER_DATE, date);
        }
    }
    for (int i = 0; i < 2; i++) {
        if (r->extra_header[i][0]) {
            char name[64];
            const char *colon = strchr(r->extra_header[i], ':');
            if (colon) {
                snprintf(name, sizeof name, "%.*s", (int)(colon - r->extra_header[i]),
                         r->extra_header[i]);
                MHD_add_response_header(resp, name, colon + 2);
            }
        }
    }
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void reset_connection(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci) {
        struct linger lg = {1, 0};
        setsockopt(ci->connect_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **req_cls)
{
    (void)cls;
    (void)url; /* the raw URI from uri_logger keeps the query string */
    (void)version;
    conn_ctx *ctx = *req_cls;
    if (ctx == NULL) {
        return MHD_NO;
    }
    if (!ctx->started) {
        ctx->started = 1;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (ctx->body.len + *upload_size > 4u * 1024 * 1024) {
            ctx->too_big = 1;
        } else {
            sim_buf_put(&ctx->body, upload, *upload_size);
        }
        *upload_size = 0;
        return MHD_YES;
    }
    sim_req r;
    memset(&r, 0, sizeof r);
    char *raw = strdup(ctx->uri);
    if (raw == NULL) {
        return MHD_NO;
    }
    char *q = strchr(raw, '?');
    if (q) {
        *q++ = '\0';
    }
    log_entry le;
    memset(&le, 0, sizeof le);
    snprintf(le.query, sizeof le.query, "%s", q ? q : "");
    unescape(raw, 0);
    parse_query(&r.params, q);
    r.method = method;
    r.path = raw;
    r.body = ctx->body.ptr ? ctx->body.ptr : "";
    r.body_len = ctx->body.len;
    r.now = sim_clock_now();
    pthread_mutex_lock(&state_lock);
    r.seq = ++seq_counter;
    pthread_mutex_unlock(&state_lock);

    le.seq = r.seq;
    le.real = pptap_time_now();
    le.sim = r.now;
    snprintf(le.method, sizeof le.method, "%s", method);
    snprintf(le.path, sizeof le.path, "%s", raw);
    le.pool = SIM_POOL_NONE;

    route rt;
    int fault = F_NONE;
    uint32_t extra = 0;
    int is_admin = 0;
    enum MHD_Result ret;
    if (route_path(&rt, raw) != 0) {
        sim_reply_text(&r, 404, "");
    } else if (rt.ep == EP_ADMIN) {
        is_admin = 1;
        sim_admin_handle(&r);
    } else if ((rt.post && strcmp(method, "POST") != 0) ||
               (!rt.post && strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)) {
        sim_reply_text(&r, 405, "Method Not Allowed");
        snprintf(r.extra_header[0], sizeof r.extra_header[0], "Allow: %s",
                 rt.post ? "POST" : "GET");
    } else {
        int auth = check_auth(c);
        le.auth = auth;
        le.pool = rt.pool;
        r.authenticated = auth == 1;
        if (auth == 2 || (auth == 0 && rt.ep != EP_DECODE && !sim_cfg.auth_disabled)) {
            sim_reply_text(&r, 401,
                           "The request requires valid service credentials "
                           "(HTTP Basic: service principal and secret).");
            snprintf(r.extra_header[0], sizeof r.extra_header[0],
                     "WWW-Authenticate: Basic realm=\"tap-api\"");
        } else {
            fault = fault_pick(&extra);
            if (fault == F_5XX) {
                static const int codes[] = {500, 502, 503, 504};
                sim_reply_text(&r, codes[extra % 4], "An unexpected error occurred.");
            } else if (fault == F_429) {
                sim_reply_text(&r, 429,
                               "The user has made too many requests over the past 24 "
                               "hours and has been throttled.");
            } else if (fault == F_RESET) {
                /* nothing to send */
            } else if (pool_take(rt.pool, r.now) != 0) {
                sim_reply_text(&r, 429,
                               "The user has made too many requests over the past 24 "
                               "hours and has been throttled.");
            } else if (ctx->too_big) {
                sim_reply_text(&r, 413, "Request body too large");
            } else {
                switch (rt.ep) {
                case EP_SIEM:
                    sim_siem_handle(&r, rt.kinds);
                    break;
                case EP_CAMPAIGN_IDS:
                    sim_campaign_ids_handle(&r);
                    break;
                case EP_CAMPAIGN:
                    sim_campaign_handle(&r, rt.arg);
                    break;
                case EP_FORENSICS:
                    sim_forensics_handle(&r);
                    break;
                case EP_THREAT:
                    sim_threat_handle(&r, rt.arg);
                    break;
                case EP_VAP:
                    sim_people_handle(&r, 1);
                    break;
                case EP_TOP_CLICKERS:
                    sim_people_handle(&r, 0);
                    break;
                case EP_DECODE:
                    sim_decode_handle(&r);
                    break;
                default:
                    sim_reply_text(&r, 404, "");
                    break;
                }
            }
        }
    }
    if (fault == F_SLOW) {
        sim_fault_cfg fc;
        sim_faults_get(&fc);
        sleep_ms(fc.slow_ms);
    }
    le.status = fault == F_RESET ? 0 : r.status;
    le.fault = fault_name[fault];
    if (!is_admin) {
        log_add(&le);
        if (sim_cfg.verbose) {
            fprintf(stderr, "pptap-sim: %s %s%s%s -> %d%s%s\n", le.method, le.path,
                    le.query[0] ? "?" : "", le.query, le.status, le.fault ? " fault=" : "",
                    le.fault ? le.fault : "");
        }
    }
    if (fault == F_RESET) {
        reset_connection(c);
        ret = MHD_NO;
    } else {
        if ((fault == F_TRUNC || fault == F_BADJSON) && r.status >= 300) {
            fault = F_NONE; /* only successful bodies are damaged */
        }
        ret = send_reply(c, &r, fault, extra);
    }
    if (r.stream) {
        if (r.stream->dispose) {
            r.stream->dispose(r.stream);
        }
        sim_buf_dispose(&r.stream->out);
        free(r.stream);
    }
    sim_buf_dispose(&r.body_out);
    free(raw);
    return ret;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "pptap-sim: cannot open '%s': %s\n", path, strerror(errno));
        return NULL;
    }
    sim_buf b = {0};
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) {
        sim_buf_put(&b, tmp, n);
    }
    fclose(f);
    if (b.ptr == NULL) {
        sim_buf_put(&b, "", 0);
    }
    return b.ptr;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    if (!sim_cfg.verbose) {
        return; /* mostly the expected fallout of injected faults */
    }
    fputs("pptap-sim: ", stderr);
    vfprintf(stderr, fmt, ap);
}

int sim_server_start(const char *bind, int port, const char *cert_file, const char *key_file,
                     int *out_port)
{
    static char *cert, *key;
    struct sockaddr_in sa4;
    struct sockaddr_in6 sa6;
    struct sockaddr *sa;
    unsigned flags =
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

    for (int i = 0; i < SIM_POOL_COUNT; i++) {
        sim_pools_resize(i, sim_cfg.pool_size[i]);
    }
    log_cap = sim_cfg.log_size > 0 ? sim_cfg.log_size : 0;
    if (log_cap > 0) {
        log_ring = calloc((size_t)log_cap, sizeof *log_ring);
        if (log_ring == NULL) {
            return -1;
        }
    }
    faults = sim_cfg.faults;
    fault_rng.s = sim_mix(faults.seed ^ 0xfa17);

    memset(&sa4, 0, sizeof sa4);
    memset(&sa6, 0, sizeof sa6);
    if (strchr(bind, ':')) {
        sa6.sin6_family = AF_INET6;
        sa6.sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, bind, &sa6.sin6_addr) != 1) {
            fprintf(stderr, "pptap-sim: bad --bind address '%s'\n", bind);
            return -3;
        }
        sa = (struct sockaddr *)&sa6;
        flags |= MHD_USE_IPv6;
    } else {
        sa4.sin_family = AF_INET;
        sa4.sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, bind, &sa4.sin_addr) != 1) {
            fprintf(stderr, "pptap-sim: bad --bind address '%s'\n", bind);
            return -3;
        }
        sa = (struct sockaddr *)&sa4;
    }
    if (cert_file || key_file) {
        if (!cert_file || !key_file) {
            fprintf(stderr, "pptap-sim: --tls-cert and --tls-key go together\n");
            return -3;
        }
        cert = read_file(cert_file);
        key = read_file(key_file);
        if (cert == NULL || key == NULL) {
            return -2;
        }
        flags |= MHD_USE_TLS;
    }
    struct MHD_OptionItem tls_opts[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, key},
        {MHD_OPTION_END, 0, NULL},
    };
    daemon_handle = MHD_start_daemon(
        flags, 0, NULL, NULL, handler, NULL, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_URI_LOG_CALLBACK, uri_logger, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)300,
        MHD_OPTION_ARRAY, cert ? tls_opts : tls_opts + 2, MHD_OPTION_END);
    if (daemon_handle == NULL) {
        fprintf(stderr, "pptap-sim: cannot listen on %s port %d\n", bind, port);
        return -1;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(daemon_handle, MHD_DAEMON_INFO_BIND_PORT);
    *out_port = di ? di->port : port;
    return 0;
}

void sim_server_stop(void)
{
    if (daemon_handle) {
        MHD_stop_daemon(daemon_handle);
        daemon_handle = NULL;
    }
}
