/*
 * http output: batches of events POSTed with libcurl's multi interface, in
 * one of three flavours.
 *
 *   json           NDJSON body (the formatted lines), Authorization: Bearer.
 *   splunk-hec     HEC event envelopes to /services/collector/event,
 *                  Authorization: Splunk, a channel; with hec_ack a batch is
 *                  delivered only once /services/collector/ack says so.
 *   elasticsearch  _bulk with "create" actions, _id = event_id,
 *                  Authorization: ApiKey.
 *
 * write() adds an event to the open batch and hands full batches (by
 * batch_events or batch_size) to the transfer loop; with max_in_flight
 * requests outstanding it drives the loop until one finishes, so the
 * collector's polling waits and memory stays bounded. flush() sends the
 * open batch and returns 0 only when every event written since the last
 * flush is accepted (or refused for good and quarantined): the engine's
 * acknowledgement. A failed flush fails the window, which is collected
 * again: at least once, with the event_id for dedupe.
 *
 * Retried, with capped exponential backoff and jitter (Retry-After
 * honoured): connection errors and timeouts, 408, 429, 5xx; for
 * Elasticsearch the items of a bulk answer with 429, 5xx or
 * es_rejected_execution_exception, resent alone. Refused for good: any
 * other 4xx fails the flush with the server's text, except refusals of a
 * single event, which go to the store's quarantine through o->reject():
 * Elasticsearch items with any other error (mapper_parsing_exception…), a
 * 409 on create counting as already delivered; HEC's per-batch data errors
 * (codes 6, 12, 13, 15), which name no event reliably: the batch is split
 * around invalid-event-number when HEC gives it, in halves otherwise, until
 * the bad event is alone; and a 413 for a single event.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <zlib.h>

#include <pptap/settings.h>

#include "out_http.h"

#define RESPONSE_MAX (64u << 20) /* bytes of an answer kept */
#define BACKOFF_BASE_MS 500
#define BACKOFF_CAP_MS 30000
#define RETRY_AFTER_CAP_MS (5 * 60 * 1000)
#define ACK_POLL_FIRST_MS 200
#define ACK_POLL_MAX_MS 5000
#define ACK_IDS_PER_POLL 1000
#define TEXT_MAX 200 /* bytes of a server's text quoted in an error */

typedef enum { FL_JSON, FL_HEC, FL_ES } flavour;

/* One event held until its receiver accepts it: the record and copies of
 * its strings, in one allocation. */
typedef struct {
    collect_record r;
} item;

typedef struct req {
    struct req *next;
    int ack_poll; /* 1: a HEC ack poll; 0: a batch */
    item **items;
    size_t n;
    int attempt;        /* sends made, the current one included */
    int64_t not_before; /* monotonic ms */
    pptap_buf body;     /* as posted */
    pptap_buf resp;
    char retry_after[64];
    int64_t *ack_ids; /* ack poll: the ids asked about */
    size_t n_ack_ids;
    CURL *easy;
    char curl_err[CURL_ERROR_SIZE];
} req;

typedef struct ack {
    struct ack *next;
    int64_t id;
    size_t events;
    int64_t deadline; /* monotonic ms */
} ack;

typedef struct {
    flavour fl;
    char *url;     /* where batches go */
    char *ack_url; /* HEC: where acks are asked for */
    char *token;   /* wiped on close */
    char channel[40];
    char host[256];
    const char *index;
    out_http_hec_opts hec;
    struct curl_slist *hdrs, *ack_hdrs;
    CURLM *multi;
    int global_init;
    item **batch; /* the open batch */
    size_t n, cap, bytes;
    req *waiting; /* to send (new, or a retry after its backoff) */
    req *active;  /* in the multi handle */
    size_t n_waiting, n_active;
    ack *acks;    /* HEC: accepted, not yet acknowledged */
    req *ack_req; /* the ack poll under way */
    int64_t next_poll, poll_every;
    int64_t unacked; /* events written, not yet accepted */
    int failed;
    uint32_t rng;
} http_state;

/* ------------------------------------------------------------------------- */
/* Helpers */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t next_random(http_state *h)
{
    /* xorshift32: jitter only, never secrets */
    uint32_t x = h->rng ? h->rng : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    h->rng = x;
    return x;
}

static int put(pptap_buf *b, const char *s)
{
    return pptap_buf_put(b, s, strlen(s));
}

/* Appends s (n bytes) as a JSON string. */
static int put_json_string(pptap_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (pptap_buf_put(b, "\"", 1) != 0) {
        return PPTAP_ENOMEM;
    }
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        if (pptap_buf_put(b, s + run, i - run) != 0) {
            return PPTAP_ENOMEM;
        }
        char esc[7] = {'\\', (char)c, 0, 0, 0, 0, 0};
        size_t el = 2;
        switch (c) {
        case '"':
        case '\\':
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            el = 6;
        }
        if (pptap_buf_put(b, esc, el) != 0) {
            return PPTAP_ENOMEM;
        }
        run = i + 1;
    }
    if (pptap_buf_put(b, s + run, n - run) != 0 || pptap_buf_put(b, "\"", 1) != 0) {
        return PPTAP_ENOMEM;
    }
    return 0;
}

static int put_json_cstr(pptap_buf *b, const char *s)
{
    return put_json_string(b, s, strlen(s));
}

/* The line without its '\n'. */
static size_t line_len(const collect_record *r)
{
    return r->len > 0 && r->line[r->len - 1] == '\n' ? r->len - 1 : r->len;
}

static const char *type_name(const collect_record *r)
{
    return (unsigned)r->type < PPTAP_EVENT_COUNT_ ? pptap_event_type_name(r->type) : "gap";
}

/* A server's text, fit to quote on one log line. */
static void quote_text(char *out, size_t n, const char *s, size_t len)
{
    size_t k = 0;
    for (size_t i = 0; i < len && k + 4 < n && i < TEXT_MAX; i++) {
        unsigned char c = (unsigned char)s[i];
        out[k++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
    }
    if (len > TEXT_MAX && k + 4 < n) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = '\0';
}

/* ------------------------------------------------------------------------- */
/* Bodies */

int out_http__hec_event(pptap_buf *b, const collect_record *r, const out_http_hec_opts *o)
{
    char num[64];
    int rc = put(b, "{");
    if (r->time != PPTAP_TIME_NONE && r->time >= 0) {
        snprintf(num, sizeof(num), "\"time\":%lld.%03lld,", (long long)(r->time / 1000),
                 (long long)(r->time % 1000));
        rc |= put(b, num);
    }
    rc |= put(b, "\"host\":");
    rc |= put_json_cstr(b, o->host ? o->host : "");
    rc |= put(b, ",\"source\":\"pptap\"");
    if (o->sourcetype != NULL) {
        rc |= put(b, ",\"sourcetype\":");
        rc |= put_json_cstr(b, o->sourcetype);
    }
    if (o->index != NULL) {
        rc |= put(b, ",\"index\":");
        rc |= put_json_cstr(b, o->index);
    }
    rc |= put(b, ",\"event\":");
    if (o->event_is_json) {
        rc |= pptap_buf_put(b, r->line, line_len(r));
    } else {
        rc |= put_json_string(b, r->line, line_len(r));
    }
    rc |= put(b, ",\"fields\":{\"event_id\":");
    rc |= put_json_cstr(b, r->event_id);
    rc |= put(b, ",\"event_type\":");
    rc |= put_json_cstr(b, type_name(r));
    if (r->tenant != NULL) {
        rc |= put(b, ",\"tenant\":");
        rc |= put_json_cstr(b, r->tenant);
    }
    rc |= put(b, "}}\n");
    return rc != 0 ? PPTAP_ENOMEM : 0;
}

int out_http__es_id(char *out, size_t n, const collect_record *r)
{
    int k = r->version > 0 ? snprintf(out, n, "%s:u%lld", r->event_id, (long long)r->version)
                           : snprintf(out, n, "%s", r->event_id);
    return k < 0 || (size_t)k >= n ? -1 : 0;
}

int out_http__es_doc(pptap_buf *b, const collect_record *r, const char *index)
{
    char id[OUT_HTTP_ID_MAX];
    if (out_http__es_id(id, sizeof(id), r) != 0) {
        /* An event_id is at most 159 bytes: cannot happen; keep the id whole. */
        snprintf(id, sizeof(id), "%.200s", r->event_id);
    }
    int rc = put(b, "{\"create\":{\"_index\":");
    rc |= put_json_cstr(b, index);
    rc |= put(b, ",\"_id\":");
    rc |= put_json_cstr(b, id);
    rc |= put(b, "}}\n");
    size_t len = line_len(r);
    size_t i = 0;
    while (i < len && isspace((unsigned char)r->line[i])) {
        i++;
    }
    char ts[PPTAP_TIME_STRLEN] = "";
    if (r->time != PPTAP_TIME_NONE) {
        pptap_time_format_ms(ts, r->time);
    }
    if (i < len && r->line[i] == '{') {
        /* A data stream needs @timestamp; the ecs format has one. */
        if (ts[0] != '\0' && memmem(r->line, len, "\"@timestamp\"", 12) == NULL) {
            size_t j = i + 1;
            while (j < len && isspace((unsigned char)r->line[j])) {
                j++;
            }
            rc |= put(b, "{\"@timestamp\":\"");
            rc |= put(b, ts);
            rc |= put(b, j < len && r->line[j] == '}' ? "\"" : "\",");
            rc |= pptap_buf_put(b, r->line + i + 1, len - i - 1);
        } else {
            rc |= pptap_buf_put(b, r->line, len);
        }
    } else {
        /* cef: the line as the message */
        rc |= put(b, "{");
        if (ts[0] != '\0') {
            rc |= put(b, "\"@timestamp\":\"");
            rc |= put(b, ts);
            rc |= put(b, "\",");
        }
        rc |= put(b, "\"message\":");
        rc |= put_json_string(b, r->line, len);
        rc |= put(b, "}");
    }
    rc |= put(b, "\n");
    return rc != 0 ? PPTAP_ENOMEM : 0;
}

int out_http__gzip(pptap_buf *out, const char *data, size_t len)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        return PPTAP_ENOMEM;
    }
    size_t bound = deflateBound(&zs, (uLong)len);
    size_t start = out->len;
    /* Grow once to the bound, then let deflate write in place. */
    char *tmp = malloc(bound + 1);
    if (tmp == NULL) {
        deflateEnd(&zs);
        return PPTAP_ENOMEM;
    }
    zs.next_in = (Bytef *)(uintptr_t)data;
    zs.avail_in = (uInt)len;
    zs.next_out = (Bytef *)tmp;
    zs.avail_out = (uInt)bound;
    int zrc = deflate(&zs, Z_FINISH);
    size_t produced = bound - zs.avail_out;
    deflateEnd(&zs);
    int rc = 0;
    if (zrc != Z_STREAM_END) {
        rc = PPTAP_EIO;
    } else if (pptap_buf_put(out, tmp, produced) != 0) {
        out->len = start;
        rc = PPTAP_ENOMEM;
    }
    free(tmp);
    return rc;
}

/* ------------------------------------------------------------------------- */
/* Answers */

int out_http__bulk_parse(out_http_item *items, size_t n, const char *body, size_t len, char *err,
                         size_t errlen)
{
    json_error_t je;
    json_t *root = json_loadb(body, len, 0, &je);
    int rc = -1;
    if (!json_is_object(root)) {
        snprintf(err, errlen, "the answer is not a JSON object");
        goto out;
    }
    json_t *errors = json_object_get(root, "errors");
    json_t *arr = json_object_get(root, "items");
    if (!json_is_boolean(errors)) {
        snprintf(err, errlen, "the answer has no \"errors\": not a bulk response");
        goto out;
    }
    if (json_is_false(errors) && !json_is_array(arr)) {
        for (size_t i = 0; i < n; i++) {
            items[i].verdict = OUT_HTTP_ITEM_OK;
            items[i].status = 200;
            items[i].reason[0] = '\0';
        }
        rc = 0;
        goto out;
    }
    if (!json_is_array(arr) || json_array_size(arr) != n) {
        snprintf(err, errlen, "the answer has %zu items for %zu documents",
                 json_is_array(arr) ? json_array_size(arr) : 0, n);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *it = json_array_get(arr, i);
        void *iter = json_is_object(it) ? json_object_iter(it) : NULL;
        json_t *v = iter ? json_object_iter_value(iter) : NULL;
        json_t *st = json_object_get(v, "status");
        if (!json_is_integer(st)) {
            snprintf(err, errlen, "item %zu has no status", i);
            goto out;
        }
        out_http_item *o = &items[i];
        o->status = (int)json_integer_value(st);
        o->reason[0] = '\0';
        json_t *e = json_object_get(v, "error");
        const char *type = json_string_value(json_object_get(e, "type"));
        const char *reason = json_is_string(e) ? json_string_value(e)
                                               : json_string_value(json_object_get(e, "reason"));
        json_t *cause = json_object_get(e, "caused_by");
        const char *cause_reason = json_string_value(json_object_get(cause, "reason"));
        if (o->status >= 200 && o->status < 300) {
            o->verdict = OUT_HTTP_ITEM_OK;
        } else if (o->status == 409) {
            o->verdict = OUT_HTTP_ITEM_OK; /* create: a document with this _id is there */
        } else if (o->status == 429 || o->status >= 500 ||
                   (type != NULL && strcmp(type, "es_rejected_execution_exception") == 0)) {
            o->verdict = OUT_HTTP_ITEM_RETRY;
        } else {
            o->verdict = OUT_HTTP_ITEM_REJECT;
        }
        if (o->verdict != OUT_HTTP_ITEM_OK) {
            snprintf(o->reason, sizeof(o->reason), "%d %s: %s%s%s", o->status,
                     type ? type : "error", reason ? reason : "(no reason given)",
                     cause_reason ? "; caused by: " : "", cause_reason ? cause_reason : "");
        }
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}

int out_http__hec_reply(out_http_hec_reply *r, const char *body, size_t len)
{
    r->code = -1;
    r->ack_id = -1;
    r->invalid_event = -1;
    r->text[0] = '\0';
    json_error_t je;
    json_t *root = json_loadb(body, len, 0, &je);
    if (!json_is_object(root)) {
        json_decref(root);
        return -1;
    }
    json_t *v = json_object_get(root, "code");
    if (json_is_integer(v)) {
        r->code = (int)json_integer_value(v);
    }
    v = json_object_get(root, "ackId");
    if (json_is_integer(v)) {
        r->ack_id = json_integer_value(v);
    }
    v = json_object_get(root, "invalid-event-number");
    if (json_is_integer(v)) {
        r->invalid_event = json_integer_value(v);
    }
    const char *t = json_string_value(json_object_get(root, "text"));
    snprintf(r->text, sizeof(r->text), "%s", t ? t : "");
    json_decref(root);
    return 0;
}

int out_http__hec_acks(int *acked, const int64_t *ids, size_t n, const char *body, size_t len)
{
    json_error_t je;
    json_t *root = json_loadb(body, len, 0, &je);
    json_t *acks = json_object_get(root, "acks");
    if (!json_is_object(acks)) {
        json_decref(root);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof(key), "%lld", (long long)ids[i]);
        acked[i] = json_is_true(json_object_get(acks, key));
    }
    json_decref(root);
    return 0;
}

int64_t out_http__backoff_ms(int attempt, uint32_t random)
{
    int64_t d = BACKOFF_BASE_MS;
    for (int i = 1; i < attempt && d < BACKOFF_CAP_MS; i++) {
        d *= 2;
    }
    if (d > BACKOFF_CAP_MS) {
        d = BACKOFF_CAP_MS;
    }
    return d / 2 + (int64_t)(random % (uint32_t)(d / 2 + 1));
}

int64_t out_http__retry_after_ms(const char *value, pptap_time_ms now)
{
    while (*value == ' ' || *value == '\t') {
        value++;
    }
    if (*value == '\0') {
        return -1;
    }
    int64_t ms;
    if (isdigit((unsigned char)*value)) {
        int64_t s = 0;
        const char *p = value;
        for (; isdigit((unsigned char)*p); p++) {
            s = s < 1000000 ? s * 10 + (*p - '0') : s;
        }
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
            p++;
        }
        if (*p != '\0') {
            return -1;
        }
        ms = s * 1000;
    } else {
        time_t t = curl_getdate(value, NULL);
        if (t == (time_t)-1) {
            return -1;
        }
        ms = (int64_t)t * 1000 - now;
        if (ms < 0) {
            ms = 0;
        }
    }
    return ms > RETRY_AFTER_CAP_MS ? RETRY_AFTER_CAP_MS : ms;
}

/* ------------------------------------------------------------------------- */
/* Items and requests */

static item *item_new(const collect_record *r)
{
    size_t idl = strlen(r->event_id) + 1;
    size_t tl = r->tenant ? strlen(r->tenant) + 1 : 0;
    item *it = malloc(sizeof(*it) + r->len + 1 + idl + tl);
    if (it == NULL) {
        return NULL;
    }
    char *p = (char *)(it + 1);
    it->r = *r;
    memcpy(p, r->line, r->len);
    p[r->len] = '\0';
    it->r.line = p;
    p += r->len + 1;
    memcpy(p, r->event_id, idl);
    it->r.event_id = p;
    p += idl;
    if (r->tenant != NULL) {
        memcpy(p, r->tenant, tl);
        it->r.tenant = p;
    }
    return it;
}

static void items_free(item **items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(items[i]);
    }
    free(items);
}

static void req_free(http_state *h, req *q)
{
    if (q == NULL) {
        return;
    }
    if (q->easy != NULL) {
        curl_multi_remove_handle(h->multi, q->easy);
        curl_easy_cleanup(q->easy);
    }
    items_free(q->items, q->n);
    free(q->ack_ids);
    pptap_buf_dispose(&q->body);
    pptap_buf_dispose(&q->resp);
    free(q);
}

static void list_append(req **list, req *q)
{
    q->next = NULL;
    while (*list != NULL) {
        list = &(*list)->next;
    }
    *list = q;
}

static void list_remove(req **list, req *q)
{
    for (; *list != NULL; list = &(*list)->next) {
        if (*list == q) {
            *list = q->next;
            q->next = NULL;
            return;
        }
    }
}

static void warn(collect_output *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(collect_output *o, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "pptap: collect: warning: output %s: %s\n", o->conf->name, msg);
}

static void fail(collect_output *o, http_state *h, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Marks the window's delivery failed; the first reason stays. */
static void fail(collect_output *o, http_state *h, const char *fmt, ...)
{
    if (h->failed) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->error, sizeof(o->error), fmt, ap);
    va_end(ap);
    h->failed = 1;
    o->errors++;
}

static void set_queued(collect_output *o, http_state *h)
{
    collect_metrics_set(&o->m->queued, h->unacked);
}

/* Events accepted: no longer queued. */
static void accepted(collect_output *o, http_state *h, size_t n)
{
    h->unacked -= (int64_t)n;
    set_queued(o, h);
}

static int reject_item(collect_output *o, http_state *h, item *it, const char *reason)
{
    if (o->reject(o, &it->r, reason) != 0) {
        char why[256];
        snprintf(why, sizeof(why), "%s", o->error);
        h->failed = 0;
        fail(o, h, "cannot quarantine a refused event: %s", why);
        return -1;
    }
    accepted(o, h, 1);
    return 0;
}

static int build_body(collect_output *o, http_state *h, req *q)
{
    pptap_buf raw = PPTAP_BUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < q->n && rc == 0; i++) {
        const collect_record *r = &q->items[i]->r;
        switch (h->fl) {
        case FL_JSON:
            rc = pptap_buf_put(&raw, r->line, r->len);
            if (rc == 0 && (r->len == 0 || r->line[r->len - 1] != '\n')) {
                rc = pptap_buf_put(&raw, "\n", 1);
            }
            break;
        case FL_HEC:
            rc = out_http__hec_event(&raw, r, &h->hec);
            break;
        case FL_ES:
            rc = out_http__es_doc(&raw, r, h->index);
            break;
        }
    }
    if (rc == 0 && o->conf->gzip) {
        rc = out_http__gzip(&q->body, raw.ptr ? raw.ptr : "", raw.len);
        pptap_buf_dispose(&raw);
    } else if (rc == 0) {
        q->body = raw;
    } else {
        pptap_buf_dispose(&raw);
    }
    return rc;
}

/* A batch request for items[n] (taken over), sent once it is due. */
static req *new_batch(collect_output *o, http_state *h, item **items, size_t n, int attempt)
{
    req *q = calloc(1, sizeof(*q));
    if (q == NULL) {
        items_free(items, n);
        fail(o, h, "out of memory");
        return NULL;
    }
    q->items = items;
    q->n = n;
    q->attempt = attempt;
    if (build_body(o, h, q) != 0) {
        req_free(h, q);
        fail(o, h, "out of memory building a request of %zu events", n);
        return NULL;
    }
    list_append(&h->waiting, q);
    h->n_waiting++;
    return q;
}

/* A copy of items[from, to) as a new array. */
static item **take(item **items, size_t from, size_t to)
{
    item **a = malloc((to - from + 1) * sizeof(*a));
    if (a != NULL) {
        memcpy(a, items + from, (to - from) * sizeof(*a));
    }
    return a;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *userdata)
{
    req *q = userdata;
    size_t n = size * nmemb;
    if (q->resp.len + n > RESPONSE_MAX || pptap_buf_put(&q->resp, p, n) != 0) {
        return 0;
    }
    return n;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *userdata)
{
    req *q = userdata;
    size_t n = size * nmemb;
    if (n > 12 && strncasecmp(p, "retry-after:", 12) == 0) {
        size_t l = n - 12;
        if (l >= sizeof(q->retry_after)) {
            l = sizeof(q->retry_after) - 1;
        }
        memcpy(q->retry_after, p + 12, l);
        q->retry_after[l] = '\0';
        char *e = q->retry_after + strlen(q->retry_after);
        while (e > q->retry_after && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' ')) {
            *--e = '\0';
        }
    }
    return n;
}

static int start(collect_output *o, http_state *h, req *q)
{
    const conf_output *c = o->conf;
    CURL *e = curl_easy_init();
    if (e == NULL) {
        fail(o, h, "cannot create a transfer");
        return -1;
    }
    q->easy = e;
    q->resp.len = 0;
    q->retry_after[0] = '\0';
    q->curl_err[0] = '\0';
    curl_easy_setopt(e, CURLOPT_URL, q->ack_poll ? h->ack_url : h->url);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, q->body.ptr ? q->body.ptr : "");
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body.len);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, q->ack_poll ? h->ack_hdrs : h->hdrs);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, q);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, q);
    curl_easy_setopt(e, CURLOPT_PRIVATE, q);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, q->curl_err);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(c->timeout_ms < 10000 ? c->timeout_ms : 10000));
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_USERAGENT, "pptap/" PPTAP_VERSION);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    if (c->cacert != NULL) {
        curl_easy_setopt(e, CURLOPT_CAINFO, c->cacert);
    }
    if (c->insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
        fail(o, h, "cannot start a transfer");
        return -1;
    }
    if (q->ack_poll) {
        h->ack_req = q;
    } else {
        list_append(&h->active, q);
        h->n_active++;
    }
    return 0;
}

/* Sends q again after a backoff, or fails the window when its attempts are
 * spent. `why` names the failure. */
static void retry(collect_output *o, http_state *h, req *q, const char *why)
{
    if (q->easy != NULL) {
        curl_multi_remove_handle(h->multi, q->easy);
        curl_easy_cleanup(q->easy);
        q->easy = NULL;
    }
    if (q->attempt > o->conf->retries) {
        fail(o, h, "%s: %s; gave up after %d attempt%s", h->url, why, q->attempt,
             q->attempt == 1 ? "" : "s");
        req_free(h, q);
        return;
    }
    int64_t delay = -1;
    if (q->retry_after[0] != '\0') {
        delay = out_http__retry_after_ms(q->retry_after, pptap_time_now());
    }
    if (delay < 0) {
        delay = out_http__backoff_ms(q->attempt, next_random(h));
    }
    warn(o, "%s (%zu events): %s; retrying in %.1f s (attempt %d of %d)", h->url, q->n, why,
         (double)delay / 1000.0, q->attempt + 1, o->conf->retries + 1);
    q->attempt++;
    q->not_before = mono_ms() + delay;
    collect_metrics_add(&o->m->retries, 1);
    list_append(&h->waiting, q);
    h->n_waiting++;
}

/* Splits q in two around position k (excluded when `drop`), or in halves. */
static void split(collect_output *o, http_state *h, req *q, size_t k, int drop)
{
    size_t n = q->n;
    item **a = take(q->items, 0, k);
    item **b = take(q->items, drop ? k + 1 : k, n);
    if (a == NULL || b == NULL) {
        free(a);
        free(b);
        fail(o, h, "out of memory");
        req_free(h, q);
        return;
    }
    if (drop) {
        free(q->items[k]);
    }
    free(q->items);
    q->items = NULL;
    q->n = 0;
    int attempt = q->attempt;
    req_free(h, q);
    size_t nb = n - k - (drop ? 1 : 0);
    if (k > 0) {
        new_batch(o, h, a, k, attempt);
    } else {
        free(a);
    }
    if (nb > 0) {
        new_batch(o, h, b, nb, attempt);
    } else {
        free(b);
    }
}

/* A refusal of one event that HEC (or a 413) pins on a batch: quarantine it
 * when the batch is that event alone, or when HEC names it; otherwise split
 * the batch and try the halves. */
static void isolate(collect_output *o, http_state *h, req *q, int64_t bad, const char *reason)
{
    if (q->n == 1) {
        reject_item(o, h, q->items[0], reason);
        req_free(h, q);
        return;
    }
    if (bad >= 0 && (size_t)bad < q->n) {
        /* HEC may have indexed the events before it: they are sent again
         * (at least once; fields.event_id identifies the repeats). */
        if (reject_item(o, h, q->items[bad], reason) != 0) {
            req_free(h, q);
            return;
        }
        split(o, h, q, (size_t)bad, 1);
        return;
    }
    split(o, h, q, q->n / 2, 0);
}

static void schedule_poll(http_state *h, int64_t now)
{
    h->next_poll = now + h->poll_every;
}

static void hec_accepted(collect_output *o, http_state *h, req *q)
{
    out_http_hec_reply rep;
    int parsed = out_http__hec_reply(&rep, q->resp.ptr ? q->resp.ptr : "", q->resp.len) == 0;
    if (!o->conf->hec_ack) {
        accepted(o, h, q->n);
        req_free(h, q);
        return;
    }
    if (!parsed || rep.ack_id < 0) {
        fail(o, h,
             "%s accepted a batch without an ackId: with hec_ack = true the token needs indexer "
             "acknowledgement turned on",
             h->url);
        req_free(h, q);
        return;
    }
    ack *a = calloc(1, sizeof(*a));
    if (a == NULL) {
        fail(o, h, "out of memory");
        req_free(h, q);
        return;
    }
    int64_t now = mono_ms();
    a->id = rep.ack_id;
    a->events = q->n;
    a->deadline = now + o->conf->timeout_ms;
    if (h->acks == NULL) {
        h->poll_every = ACK_POLL_FIRST_MS;
        schedule_poll(h, now);
    }
    a->next = h->acks;
    h->acks = a;
    req_free(h, q);
}

static void es_answered(collect_output *o, http_state *h, req *q)
{
    out_http_item *res = calloc(q->n ? q->n : 1, sizeof(*res));
    char err[256];
    if (res == NULL) {
        fail(o, h, "out of memory");
        req_free(h, q);
        return;
    }
    if (out_http__bulk_parse(res, q->n, q->resp.ptr ? q->resp.ptr : "", q->resp.len, err,
                             sizeof(err)) != 0) {
        fail(o, h, "%s: %s", h->url, err);
        free(res);
        req_free(h, q);
        return;
    }
    size_t n_retry = 0, n_ok = 0;
    const char *why = NULL;
    for (size_t i = 0; i < q->n; i++) {
        if (res[i].verdict == OUT_HTTP_ITEM_RETRY) {
            n_retry++;
            why = why ? why : res[i].reason;
        }
    }
    item **again = n_retry ? malloc(n_retry * sizeof(*again)) : NULL;
    if (n_retry > 0 && again == NULL) {
        fail(o, h, "out of memory");
        free(res);
        req_free(h, q);
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < q->n; i++) {
        switch (res[i].verdict) {
        case OUT_HTTP_ITEM_OK:
            n_ok++;
            free(q->items[i]);
            break;
        case OUT_HTTP_ITEM_RETRY:
            again[k++] = q->items[i];
            break;
        case OUT_HTTP_ITEM_REJECT:
            if (!h->failed) {
                reject_item(o, h, q->items[i], res[i].reason);
            }
            free(q->items[i]);
            break;
        }
        q->items[i] = NULL;
    }
    accepted(o, h, n_ok);
    int attempt = q->attempt;
    char reason[OUT_HTTP_REASON_MAX + 64] = "";
    if (n_retry > 0) {
        snprintf(reason, sizeof(reason), "%zu of %zu documents not indexed for now (%s)", n_retry,
                 q->n, why);
    }
    free(res);
    req_free(h, q);
    if (n_retry > 0) {
        req *r = calloc(1, sizeof(*r));
        if (r == NULL) {
            items_free(again, n_retry);
            fail(o, h, "out of memory");
            return;
        }
        r->items = again;
        r->n = n_retry;
        r->attempt = attempt;
        if (build_body(o, h, r) != 0) {
            req_free(h, r);
            fail(o, h, "out of memory");
            return;
        }
        retry(o, h, r, reason);
    }
}

static void ack_answered(collect_output *o, http_state *h, req *q, CURLcode cc, long status)
{
    int64_t now = mono_ms();
    h->ack_req = NULL;
    if (cc == CURLE_OK && status >= 200 && status < 300) {
        int *acked = calloc(q->n_ack_ids ? q->n_ack_ids : 1, sizeof(*acked));
        if (acked == NULL || out_http__hec_acks(acked, q->ack_ids, q->n_ack_ids,
                                                q->resp.ptr ? q->resp.ptr : "", q->resp.len) != 0) {
            free(acked);
            fail(o, h, "%s: the answer is not {\"acks\":{…}}", h->ack_url);
            req_free(h, q);
            return;
        }
        size_t done = 0;
        for (size_t i = 0; i < q->n_ack_ids; i++) {
            if (!acked[i]) {
                continue;
            }
            for (ack **pa = &h->acks; *pa != NULL; pa = &(*pa)->next) {
                if ((*pa)->id == q->ack_ids[i]) {
                    ack *a = *pa;
                    *pa = a->next;
                    accepted(o, h, a->events);
                    free(a);
                    done++;
                    break;
                }
            }
        }
        free(acked);
        h->poll_every = done > 0 ? ACK_POLL_FIRST_MS : h->poll_every * 2;
    } else if (cc != CURLE_OK || status == 408 || status == 429 || status >= 500) {
        /* Asked again later; the acks' deadlines bound the wait. */
        h->poll_every *= 2;
    } else {
        char text[TEXT_MAX + 8];
        quote_text(text, sizeof(text), q->resp.ptr ? q->resp.ptr : "", q->resp.len);
        fail(o, h, "%s answered HTTP %ld: %s", h->ack_url, status, text);
    }
    if (h->poll_every > ACK_POLL_MAX_MS) {
        h->poll_every = ACK_POLL_MAX_MS;
    }
    schedule_poll(h, now);
    req_free(h, q);
}

static void start_ack_poll(collect_output *o, http_state *h)
{
    req *q = calloc(1, sizeof(*q));
    size_t n = 0;
    for (ack *a = h->acks; a != NULL; a = a->next) {
        n++;
    }
    n = n > ACK_IDS_PER_POLL ? ACK_IDS_PER_POLL : n;
    if (q == NULL || (q->ack_ids = calloc(n, sizeof(int64_t))) == NULL) {
        free(q);
        fail(o, h, "out of memory");
        return;
    }
    q->ack_poll = 1;
    int rc = put(&q->body, "{\"acks\":[");
    size_t i = 0;
    for (ack *a = h->acks; a != NULL && i < n; a = a->next, i++) {
        char num[32];
        snprintf(num, sizeof(num), "%s%lld", i ? "," : "", (long long)a->id);
        rc |= put(&q->body, num);
        q->ack_ids[i] = a->id;
    }
    q->n_ack_ids = n;
    rc |= put(&q->body, "]}");
    if (rc != 0) {
        req_free(h, q);
        fail(o, h, "out of memory");
        return;
    }
    if (start(o, h, q) != 0) {
        req_free(h, q);
    }
}

static void done(collect_output *o, http_state *h, req *q, CURLcode cc)
{
    long status = 0;
    curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &status);
    if (q->ack_poll) {
        ack_answered(o, h, q, cc, status);
        return;
    }
    list_remove(&h->active, q);
    h->n_active--;
    char text[TEXT_MAX + 8];
    quote_text(text, sizeof(text), q->resp.ptr ? q->resp.ptr : "", q->resp.len);
    char why[CURL_ERROR_SIZE + TEXT_MAX + 32];
    if (cc != CURLE_OK) {
        snprintf(why, sizeof(why), "%s", q->curl_err[0] ? q->curl_err : curl_easy_strerror(cc));
        if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE ||
            cc == CURLE_SSL_CERTPROBLEM || cc == CURLE_UNSUPPORTED_PROTOCOL ||
            cc == CURLE_URL_MALFORMAT) {
            /* Trying again would not change the answer. */
            fail(o, h, "%s: %s", h->url, why);
            req_free(h, q);
            return;
        }
        retry(o, h, q, why);
        return;
    }
    if (status == 408 || status == 429 || status >= 500) {
        snprintf(why, sizeof(why), "HTTP %ld %s", status, text);
        retry(o, h, q, why);
        return;
    }
    if (status >= 200 && status < 300) {
        switch (h->fl) {
        case FL_JSON:
            accepted(o, h, q->n);
            req_free(h, q);
            break;
        case FL_HEC:
            hec_accepted(o, h, q);
            break;
        case FL_ES:
            es_answered(o, h, q);
            break;
        }
        return;
    }
    if (status == 413) {
        snprintf(why, sizeof(why), "HTTP 413: the receiver refuses an event of %zu bytes",
                 q->n ? q->items[0]->r.len : (size_t)0);
        isolate(o, h, q, -1, why);
        return;
    }
    if (h->fl == FL_HEC && status == 400) {
        out_http_hec_reply rep;
        if (out_http__hec_reply(&rep, q->resp.ptr ? q->resp.ptr : "", q->resp.len) == 0 &&
            (rep.code == 6 || rep.code == 12 || rep.code == 13 || rep.code == 15)) {
            snprintf(why, sizeof(why), "HEC code %d: %s", rep.code, rep.text);
            isolate(o, h, q, rep.invalid_event, why);
            return;
        }
    }
    fail(o, h, "%s answered HTTP %ld: %s", h->url, status, text[0] ? text : "(no text)");
    req_free(h, q);
}

/* ------------------------------------------------------------------------- */
/* The transfer loop */

static void start_due(collect_output *o, http_state *h, int64_t now)
{
    req **pq = &h->waiting;
    while (*pq != NULL && !h->failed && h->n_active < (size_t)o->conf->max_in_flight) {
        req *q = *pq;
        if (q->not_before > now) {
            pq = &q->next;
            continue;
        }
        *pq = q->next;
        h->n_waiting--;
        if (start(o, h, q) != 0) {
            req_free(h, q);
        }
    }
    if (!h->failed && h->acks != NULL && h->ack_req == NULL && now >= h->next_poll) {
        start_ack_poll(o, h);
    }
}

/* Moves transfers on; with `block`, waits for one to progress (or for the
 * next due retry or ack poll, at most 1 s). */
static void pump(collect_output *o, http_state *h, int block)
{
    int64_t now = mono_ms();
    start_due(o, h, now);
    int running = 0;
    curl_multi_perform(h->multi, &running);
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE) {
            continue;
        }
        req *q = NULL;
        CURL *e = m->easy_handle;
        CURLcode cc = m->data.result;
        curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&q);
        done(o, h, q, cc);
    }
    now = mono_ms();
    for (ack *a = h->acks; a != NULL && !h->failed; a = a->next) {
        if (now > a->deadline) {
            fail(o, h,
                 "%s: HEC did not acknowledge ackId %lld (%zu events) within %lld s; the window "
                 "is collected again",
                 h->ack_url, (long long)a->id, a->events, (long long)(o->conf->timeout_ms / 1000));
        }
    }
    if (h->failed) {
        return;
    }
    start_due(o, h, now);
    if (!block) {
        return;
    }
    int64_t wait = 1000;
    for (req *q = h->waiting; q != NULL; q = q->next) {
        if (h->n_active < (size_t)o->conf->max_in_flight && q->not_before - now < wait) {
            wait = q->not_before - now;
        }
    }
    if (h->acks != NULL && h->ack_req == NULL && h->next_poll - now < wait) {
        wait = h->next_poll - now;
    }
    if (wait > 0) {
        curl_multi_poll(h->multi, NULL, 0, (int)wait, NULL);
    }
}

static int outstanding(const http_state *h)
{
    return (int)(h->n_waiting + h->n_active);
}

static int submit(collect_output *o, http_state *h)
{
    if (h->n == 0) {
        return 0;
    }
    item **items = h->batch;
    size_t n = h->n;
    h->batch = NULL;
    h->n = h->cap = h->bytes = 0;
    if (new_batch(o, h, items, n, 1) == NULL) {
        return -1;
    }
    pump(o, h, 0);
    return h->failed ? -1 : 0;
}

/* Drops every batch, transfer and pending ack (after a failed window). */
static void drop_all(collect_output *o, http_state *h)
{
    req *q;
    while ((q = h->waiting) != NULL) {
        h->waiting = q->next;
        req_free(h, q);
    }
    while ((q = h->active) != NULL) {
        h->active = q->next;
        req_free(h, q);
    }
    req_free(h, h->ack_req);
    h->ack_req = NULL;
    h->n_waiting = h->n_active = 0;
    ack *a;
    while ((a = h->acks) != NULL) {
        h->acks = a->next;
        free(a);
    }
    items_free(h->batch, h->n);
    h->batch = NULL;
    h->n = h->cap = h->bytes = 0;
    h->unacked = 0;
    if (o->m != NULL) {
        set_queued(o, h);
    }
}

/* ------------------------------------------------------------------------- */
/* The output type */

static int parse_flavour(flavour *fl, const char *s)
{
    if (s == NULL || strcmp(s, "json") == 0) {
        *fl = FL_JSON;
    } else if (strcmp(s, "splunk-hec") == 0) {
        *fl = FL_HEC;
    } else if (strcmp(s, "elasticsearch") == 0) {
        *fl = FL_ES;
    } else {
        return -1;
    }
    return 0;
}

/* base + suffix, unless base already ends with suffix's last segment. */
static char *join_url(const char *base, const char *suffix, const char *already)
{
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/') {
        bl--;
    }
    size_t al = strlen(already);
    int has = bl >= al && strncmp(base + bl - al, already, al) == 0;
    size_t n = bl + strlen(suffix) + 1;
    char *u = malloc(n);
    if (u != NULL) {
        snprintf(u, n, "%.*s%s", (int)bl, base, has ? "" : suffix);
    }
    return u;
}

static int add_header(struct curl_slist **l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int add_header(struct curl_slist **l, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(line)) {
        explicit_bzero(line, sizeof(line));
        return -1;
    }
    struct curl_slist *nl = curl_slist_append(*l, line);
    explicit_bzero(line, sizeof(line));
    if (nl == NULL) {
        return -1;
    }
    *l = nl;
    return 0;
}

static void wipe_headers(struct curl_slist *l)
{
    for (struct curl_slist *p = l; p != NULL; p = p->next) {
        explicit_bzero(p->data, strlen(p->data));
    }
    curl_slist_free_all(l);
}

static int load_token(collect_output *o, http_state *h)
{
    const conf_output *c = o->conf;
    if (c->token_file != NULL) {
        pptap_settings s;
        memset(&s, 0, sizeof(s));
        int rc = pptap_settings_load_secret_file(&s, c->token_file);
        if (rc == 0) {
            h->token = strdup(s.secret);
        }
        pptap_settings_dispose(&s);
        if (rc != 0) {
            snprintf(o->error, sizeof(o->error), "token_file %s: %s", c->token_file,
                     rc == PPTAP_ECONFIG ? "empty, too long, or readable by group or others"
                                         : pptap_strerror(rc));
            return -1;
        }
    } else if (c->token_env != NULL) {
        const char *v = getenv(c->token_env);
        if (v == NULL || v[0] == '\0') {
            snprintf(o->error, sizeof(o->error),
                     "token_env: the environment variable %s is not set", c->token_env);
            return -1;
        }
        h->token = strdup(v);
    } else {
        return 0;
    }
    if (h->token == NULL) {
        snprintf(o->error, sizeof(o->error), "out of memory");
        return -1;
    }
    for (const char *p = h->token; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            snprintf(o->error, sizeof(o->error), "the token holds a control character");
            return -1;
        }
    }
    return 0;
}

static void new_channel(char out[40])
{
    unsigned char b[16];
    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
        uint64_t t = (uint64_t)mono_ms() ^ ((uint64_t)getpid() << 32);
        for (size_t i = 0; i < sizeof(b); i++) {
            b[i] = (unsigned char)(t >> ((i % 8) * 8)) ^ (unsigned char)(i * 37);
        }
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

static void http_close(collect_output *o);

/* Frees what open() made (the engine closes only outputs that opened). */
static int open_failed(collect_output *o)
{
    http_close(o);
    return -1;
}

static int http_open(collect_output *o, int64_t committed)
{
    (void)committed;
    const conf_output *c = o->conf;
    http_state *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        snprintf(o->error, sizeof(o->error), "out of memory");
        return open_failed(o);
    }
    o->state = h;
    if (parse_flavour(&h->fl, c->flavour) != 0) {
        snprintf(o->error, sizeof(o->error), "unknown flavour %s", c->flavour);
        return open_failed(o);
    }
    if (c->url == NULL ||
        (strncasecmp(c->url, "http://", 7) != 0 && strncasecmp(c->url, "https://", 8) != 0)) {
        snprintf(o->error, sizeof(o->error), "url must start with http:// or https://");
        return open_failed(o);
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(o->error, sizeof(o->error), "cannot initialise libcurl");
        return open_failed(o);
    }
    h->global_init = 1;
    if (load_token(o, h) != 0) {
        return open_failed(o);
    }
    uint32_t seed = 0;
    if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
        seed = (uint32_t)mono_ms();
    }
    h->rng = seed | 1;
    int rc = 0;
    const char *auth = NULL;
    switch (h->fl) {
    case FL_JSON:
        h->url = strdup(c->url);
        auth = "Bearer";
        rc |= add_header(&h->hdrs, "Content-Type: %s",
                         o->format == PPTAP_EVENTFMT_CEF ? "text/plain; charset=utf-8"
                                                         : "application/x-ndjson");
        break;
    case FL_HEC: {
        /* url is the collector's base URL; a full .../services/collector/...
         * URL is accepted too. */
        char *base = join_url(c->url, "", "");
        char *p = base ? strstr(base, "/services/collector") : NULL;
        if (p != NULL) {
            *p = '\0';
        }
        if (c->channel != NULL && strlen(c->channel) >= sizeof(h->channel)) {
            free(base);
            snprintf(o->error, sizeof(o->error), "channel: at most %zu characters (a GUID)",
                     sizeof(h->channel) - 1);
            return open_failed(o);
        }
        if (c->channel != NULL) {
            snprintf(h->channel, sizeof(h->channel), "%s", c->channel);
        } else {
            new_channel(h->channel);
        }
        if (base != NULL) {
            size_t n = strlen(base) + 96;
            h->url = malloc(n);
            h->ack_url = malloc(n);
            if (h->url != NULL && h->ack_url != NULL) {
                snprintf(h->url, n, "%s/services/collector/event", base);
                snprintf(h->ack_url, n, "%s/services/collector/ack?channel=%s", base, h->channel);
            }
            free(base);
        }
        auth = "Splunk";
        rc |= add_header(&h->hdrs, "Content-Type: application/json");
        rc |= add_header(&h->hdrs, "X-Splunk-Request-Channel: %s", h->channel);
        if (c->hostname != NULL) {
            snprintf(h->host, sizeof(h->host), "%s", c->hostname);
        } else if (gethostname(h->host, sizeof(h->host) - 1) != 0) {
            snprintf(h->host, sizeof(h->host), "localhost");
        }
        h->hec.host = h->host;
        h->hec.sourcetype = c->sourcetype;
        h->hec.index = c->index;
        h->hec.event_is_json = o->format != PPTAP_EVENTFMT_CEF;
        break;
    }
    case FL_ES:
        h->url = join_url(c->url, "/_bulk", "/_bulk");
        h->index = c->index != NULL ? c->index : OUT_HTTP_DEFAULT_INDEX;
        auth = "ApiKey";
        rc |= add_header(&h->hdrs, "Content-Type: application/x-ndjson");
        break;
    }
    if (h->url == NULL || (h->fl == FL_HEC && h->ack_url == NULL)) {
        snprintf(o->error, sizeof(o->error), "out of memory");
        return open_failed(o);
    }
    for (int k = 0; k < 2; k++) {
        struct curl_slist **l = k == 0 ? &h->hdrs : &h->ack_hdrs;
        if (k == 1) {
            if (h->fl != FL_HEC) {
                break;
            }
            rc |= add_header(l, "Content-Type: application/json");
            rc |= add_header(l, "X-Splunk-Request-Channel: %s", h->channel);
        } else if (c->gzip) {
            rc |= add_header(l, "Content-Encoding: gzip");
        }
        rc |= add_header(l, "Expect:");
        if (h->token != NULL) {
            rc |= add_header(l, "Authorization: %s %s", auth, h->token);
        }
    }
    if (rc != 0) {
        snprintf(o->error, sizeof(o->error), "cannot build the request headers (token too long?)");
        return open_failed(o);
    }
    h->multi = curl_multi_init();
    if (h->multi == NULL) {
        snprintf(o->error, sizeof(o->error), "cannot initialise libcurl");
        return open_failed(o);
    }
    o->error[0] = '\0';
    if (c->insecure) {
        snprintf(o->error, sizeof(o->error),
                 "TLS certificate verification is OFF (insecure = true)");
    }
    return 0;
}

static int http_write(collect_output *o, const collect_record *r)
{
    http_state *h = o->state;
    const conf_output *c = o->conf;
    /* A batch the receiver did not take fails the window, which is
     * collected again later. */
    o->transient = 1;
    if (h->failed) {
        return -1;
    }
    if (h->n > 0 && h->bytes + r->len > (size_t)c->batch_size && submit(o, h) != 0) {
        return -1;
    }
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        if (cap > (size_t)c->batch_events) {
            cap = (size_t)c->batch_events;
        }
        item **nb = realloc(h->batch, cap * sizeof(*nb));
        if (nb == NULL) {
            fail(o, h, "out of memory");
            return -1;
        }
        h->batch = nb;
        h->cap = cap;
    }
    item *it = item_new(r);
    if (it == NULL) {
        fail(o, h, "out of memory");
        return -1;
    }
    h->batch[h->n++] = it;
    h->bytes += r->len;
    h->unacked++;
    set_queued(o, h);
    if ((h->n >= (size_t)c->batch_events || h->bytes >= (size_t)c->batch_size) &&
        submit(o, h) != 0) {
        return -1;
    }
    /* Backpressure: the caller (and so the polling) waits for a slot. */
    while (!h->failed && outstanding(h) >= c->max_in_flight) {
        pump(o, h, 1);
    }
    if (h->failed) {
        return -1;
    }
    o->written++;
    return 0;
}

static int http_flush(collect_output *o, int64_t *position)
{
    http_state *h = o->state;
    *position = 0;
    if (h->failed || submit(o, h) != 0) {
        return -1;
    }
    while (!h->failed && (h->waiting != NULL || h->active != NULL || h->acks != NULL)) {
        pump(o, h, 1);
    }
    return h->failed ? -1 : 0;
}

static int http_committed(collect_output *o, int64_t *position, int *changed)
{
    (void)o;
    (void)position;
    *changed = 0;
    return 0;
}

static int http_rollback(collect_output *o)
{
    http_state *h = o->state;
    if (h != NULL) {
        drop_all(o, h);
        h->failed = 0;
    }
    return 0;
}

static void http_close(collect_output *o)
{
    http_state *h = o->state;
    if (h == NULL) {
        return;
    }
    if (h->multi != NULL) {
        drop_all(o, h);
        curl_multi_cleanup(h->multi);
    } else {
        items_free(h->batch, h->n);
    }
    wipe_headers(h->hdrs);
    wipe_headers(h->ack_hdrs);
    if (h->token != NULL) {
        explicit_bzero(h->token, strlen(h->token));
        free(h->token);
    }
    free(h->url);
    free(h->ack_url);
    if (h->global_init) {
        curl_global_cleanup();
    }
    free(h);
    o->state = NULL;
}

const collect_output_type collect_out_http = {
    "http",
    "batches POSTed as NDJSON, Splunk HEC events or Elasticsearch bulk requests, at least once",
    0,
    http_open,
    http_write,
    http_flush,
    http_committed,
    http_rollback,
    http_close,
};
