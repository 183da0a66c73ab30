/*
 * The TAP v2 endpoints: validation of queries before sending (with the rule
 * broken in the message), request paths with percent-encoded values and
 * segments, and the calls that tie them to the client and the typed model.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tap_internal.h"

#define ID_MAX_LEN 1024

static int verr(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int verr(char *err, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, PPTAP_ERRMSG_LEN, fmt, ap);
        va_end(ap);
    }
    return PPTAP_EINVAL;
}

int pptap_url_encode(pptap_buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        int rc;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '.' || ch == '_' || ch == '~') {
            rc = pptap_buf_put(out, &s[i], 1);
        } else {
            char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            rc = pptap_buf_put(out, e, 3);
        }
        if (rc != 0) {
            return PPTAP_ENOMEM;
        }
    }
    return 0;
}

unsigned pptap_threat_type_bit(const char *s)
{
    if (s == NULL) {
        return 0;
    }
    if (strcasecmp(s, "url") == 0) {
        return PPTAP_THREAT_TYPE_URL;
    }
    if (strcasecmp(s, "attachment") == 0) {
        return PPTAP_THREAT_TYPE_ATTACHMENT;
    }
    if (strcasecmp(s, "messageText") == 0 || strcasecmp(s, "message") == 0) {
        return PPTAP_THREAT_TYPE_MESSAGE_TEXT;
    }
    return 0;
}

unsigned pptap_threat_status_bit(const char *s)
{
    if (s == NULL) {
        return 0;
    }
    if (strcasecmp(s, "active") == 0) {
        return PPTAP_THREAT_STATUS_ACTIVE;
    }
    if (strcasecmp(s, "cleared") == 0) {
        return PPTAP_THREAT_STATUS_CLEARED;
    }
    if (strcasecmp(s, "falsePositive") == 0) {
        return PPTAP_THREAT_STATUS_FALSE_POSITIVE;
    }
    return 0;
}

/* Writes a duration for messages: "45 s", "1.5 s", "2 h 5 min 3 s". */
static void fmt_duration(char *out, size_t cap, int64_t ms)
{
    const char *sign = ms < 0 ? "-" : "";
    uint64_t m = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    uint64_t s = m / 1000, frac = m % 1000;
    if (s < 60) {
        if (frac != 0) {
            snprintf(out, cap, "%s%" PRIu64 ".%03" PRIu64 " s", sign, s, frac);
        } else {
            snprintf(out, cap, "%s%" PRIu64 " s", sign, s);
        }
        return;
    }
    uint64_t d = s / 86400, h = s % 86400 / 3600, mi = s % 3600 / 60, se = s % 60;
    size_t o = 0;
    o += (size_t)snprintf(out + o, cap - o, "%s", sign);
    if (d && o < cap) {
        o += (size_t)snprintf(out + o, cap - o, "%" PRIu64 " d ", d);
    }
    if (h && o < cap) {
        o += (size_t)snprintf(out + o, cap - o, "%" PRIu64 " h ", h);
    }
    if (mi && o < cap) {
        o += (size_t)snprintf(out + o, cap - o, "%" PRIu64 " min ", mi);
    }
    if (se && o < cap) {
        o += (size_t)snprintf(out + o, cap - o, "%" PRIu64 " s ", se);
    }
    if (o > 0 && o <= cap && out[o - 1] == ' ') {
        out[o - 1] = '\0';
    }
}

/*
 * Resolves and checks an interval given as text or as start/end times.
 * `max_ms` is 1 h for SIEM, 1 day for campaign ids. On success *start and
 * *end hold the times.
 */
static int check_interval(const char *text, pptap_time_ms qs, pptap_time_ms qe, int64_t max_ms,
                          pptap_time_ms now, pptap_time_ms *start, pptap_time_ms *end, char *err)
{
    char a[64], b[64];
    if (text != NULL) {
        if (pptap_interval_parse(start, end, text, strlen(text)) != 0) {
            return verr(err,
                        "interval \"%.200s\" is not an ISO 8601 interval "
                        "(start/end, duration/end or start/duration, end after start)",
                        text);
        }
    } else {
        if (qs == 0 || qe == 0) {
            return verr(err, "interval start and end must both be set");
        }
        if (qe < qs) {
            return verr(err, "interval end is before its start");
        }
        *start = qs;
        *end = qe;
    }
    int64_t len = *end - *start;
    if (len < PPTAP_INTERVAL_MIN_MS) {
        fmt_duration(a, sizeof a, len);
        return verr(err, "interval is too short (%s): the API requires at least 30 s", a);
    }
    if (len > max_ms) {
        fmt_duration(a, sizeof a, len);
        return verr(err, "interval is too long (%s): the API allows at most %s", a,
                    max_ms == PPTAP_INTERVAL_MAX_MS ? "1 h" : "1 day");
    }
    if (*end > now) {
        pptap_time_format(a, *end);
        fmt_duration(b, sizeof b, *end - now);
        return verr(err, "interval end %s is not in the past (%s ahead of now)", a, b);
    }
    if (*start < now - PPTAP_LOOKBACK_MAX_MS) {
        pptap_time_format(a, *start);
        return verr(err,
                    "interval start %s is more than 7 days in the past: the API serves only the "
                    "last 7 days",
                    a);
    }
    return 0;
}

static int is_siem(pptap_endpoint ep)
{
    return ep >= PPTAP_EP_SIEM_ALL && ep <= PPTAP_EP_SIEM_MESSAGES_DELIVERED;
}

int pptap_siem_query_validate(const pptap_siem_query *q, pptap_time_ms now,
                              char err[PPTAP_ERRMSG_LEN])
{
    if (q == NULL) {
        return verr(err, "no query");
    }
    if (!is_siem(q->endpoint)) {
        return verr(err, "endpoint %s is not a SIEM endpoint", pptap_endpoint_name(q->endpoint));
    }
    if (q->format != PPTAP_FORMAT_JSON && q->format != PPTAP_FORMAT_SYSLOG) {
        return verr(err, "format must be json or syslog");
    }
    if (q->threat_types & ~7u) {
        return verr(err, "unknown threatType filter bits 0x%x", q->threat_types & ~7u);
    }
    if (q->threat_statuses & ~7u) {
        return verr(err, "unknown threatStatus filter bits 0x%x", q->threat_statuses & ~7u);
    }
    int text = q->interval != NULL;
    int times = q->start != 0 || q->end != 0;
    int n = text + times + (q->since_seconds != 0) + (q->since_time != NULL);
    if (n == 0) {
        return verr(err, "a time selector is required: interval, sinceSeconds or sinceTime");
    }
    if (n > 1) {
        if (text && times) {
            return verr(err, "give the interval either as text or as start/end times, not both");
        }
        return verr(err, "give exactly one time selector (interval, sinceSeconds or sinceTime), "
                         "not several");
    }
    if (text || times) {
        pptap_time_ms s, e;
        return check_interval(q->interval, q->start, q->end, PPTAP_INTERVAL_MAX_MS, now, &s, &e,
                              err);
    }
    if (q->since_seconds != 0) {
        if (q->since_seconds < 30 || q->since_seconds > 3600) {
            return verr(err, "sinceSeconds must be between 30 and 3600, not %" PRId64,
                        q->since_seconds);
        }
        return 0;
    }
    pptap_time_ms t;
    if (pptap_time_parse(&t, q->since_time, strlen(q->since_time)) != 0) {
        return verr(err, "sinceTime \"%.200s\" is not an ISO 8601 date-time", q->since_time);
    }
    char a[PPTAP_TIME_STRLEN];
    pptap_time_format(a, t);
    if (t > now - PPTAP_INTERVAL_MIN_MS) {
        return verr(err, "sinceTime %s is less than 30 s in the past", a);
    }
    if (t < now - PPTAP_INTERVAL_MAX_MS) {
        return verr(err,
                    "sinceTime %s is more than 1 h in the past: the API returns at most 1 h; "
                    "use intervals",
                    a);
    }
    return 0;
}

static int put(pptap_buf *b, const char *s)
{
    return pptap_buf_put(b, s, strlen(s));
}

/* Appends "&name=value" (or "?name=value" for the first parameter). */
static int param(pptap_buf *b, const char *name, const char *value)
{
    int rc = put(b, memchr(b->ptr, '?', b->len) != NULL ? "&" : "?");
    rc |= put(b, name);
    rc |= put(b, "=");
    rc |= pptap_url_encode(b, value, strlen(value));
    return rc ? PPTAP_ENOMEM : 0;
}

static int param_int(pptap_buf *b, const char *name, int64_t v)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%" PRId64, v);
    return param(b, name, tmp);
}

/* Appends the interval parameter from text or times. */
static int param_interval(pptap_buf *b, const char *text, pptap_time_ms s, pptap_time_ms e)
{
    if (text != NULL) {
        return param(b, "interval", text);
    }
    char v[2 * PPTAP_TIME_STRLEN + 1];
    size_t n;
    if (s % 1000 == 0 && e % 1000 == 0) {
        n = pptap_time_format(v, s);
        v[n++] = '/';
        pptap_time_format(v + n, e);
    } else {
        n = pptap_time_format_ms(v, s);
        v[n++] = '/';
        pptap_time_format_ms(v + n, e);
    }
    return param(b, "interval", v);
}

int pptap_tap__siem_path(pptap_buf *out, const pptap_siem_query *q, pptap_time_ms now,
                         char err[PPTAP_ERRMSG_LEN])
{
    int rc = pptap_siem_query_validate(q, now, err);
    if (rc != 0) {
        return rc;
    }
    pptap_buf b = PPTAP_BUF_INIT;
    rc = put(&b, pptap_tap__endpoint_path(q->endpoint));
    rc |= param(&b, "format", q->format == PPTAP_FORMAT_SYSLOG ? "syslog" : "json");
    if (q->interval != NULL || q->start != 0) {
        rc |= param_interval(&b, q->interval, q->start, q->end);
    } else if (q->since_seconds != 0) {
        rc |= param_int(&b, "sinceSeconds", q->since_seconds);
    } else {
        rc |= param(&b, "sinceTime", q->since_time);
    }
    static const char *const types[] = {"url", "attachment", "messageText"};
    static const char *const statuses[] = {"active", "cleared", "falsePositive"};
    for (int i = 0; i < 3; i++) {
        if (q->threat_types & (1u << i)) {
            rc |= param(&b, "threatType", types[i]);
        }
    }
    for (int i = 0; i < 3; i++) {
        if (q->threat_statuses & (1u << i)) {
            rc |= param(&b, "threatStatus", statuses[i]);
        }
    }
    if (rc != 0) {
        pptap_buf_dispose(&b);
        return PPTAP_ENOMEM;
    }
    rc = pptap_buf_put(out, b.ptr, b.len);
    pptap_buf_dispose(&b);
    return rc;
}

int pptap_campaign_ids_query_validate(const pptap_campaign_ids_query *q, pptap_time_ms now,
                                      char err[PPTAP_ERRMSG_LEN])
{
    if (q == NULL) {
        return verr(err, "no query");
    }
    int text = q->interval != NULL;
    int times = q->start != 0 || q->end != 0;
    if (!text && !times) {
        return verr(err, "an interval is required");
    }
    if (text && times) {
        return verr(err, "give the interval either as text or as start/end times, not both");
    }
    pptap_time_ms s, e;
    int rc = check_interval(q->interval, q->start, q->end, PPTAP_CAMPAIGN_INTERVAL_MAX_MS, now, &s,
                            &e, err);
    if (rc != 0) {
        return rc;
    }
    if (q->page < 0) {
        return verr(err, "page must be 1 or more, not %d", q->page);
    }
    if (q->size < 0 || q->size > PPTAP_CAMPAIGN_SIZE_MAX) {
        return verr(err, "size must be between 1 and %d, not %d", PPTAP_CAMPAIGN_SIZE_MAX, q->size);
    }
    return 0;
}

int pptap_tap__campaign_ids_path(pptap_buf *out, const pptap_campaign_ids_query *q,
                                 pptap_time_ms now, char err[PPTAP_ERRMSG_LEN])
{
    int rc = pptap_campaign_ids_query_validate(q, now, err);
    if (rc != 0) {
        return rc;
    }
    pptap_buf b = PPTAP_BUF_INIT;
    rc = put(&b, "/v2/campaign/ids");
    rc |= param_interval(&b, q->interval, q->start, q->end);
    if (q->size > 0) {
        rc |= param_int(&b, "size", q->size);
    }
    if (q->page > 0) {
        rc |= param_int(&b, "page", q->page);
    }
    if (rc == 0) {
        rc = pptap_buf_put(out, b.ptr, b.len);
    }
    pptap_buf_dispose(&b);
    return rc ? PPTAP_ENOMEM : 0;
}

static int check_id(const char *what, const char *id, char *err)
{
    if (id == NULL || *id == '\0') {
        return verr(err, "%s is required", what);
    }
    if (strlen(id) > ID_MAX_LEN) {
        return verr(err, "%s is too long (more than %d bytes)", what, ID_MAX_LEN);
    }
    return 0;
}

int pptap_forensics_query_validate(const pptap_forensics_query *q, char err[PPTAP_ERRMSG_LEN])
{
    if (q == NULL) {
        return verr(err, "no query");
    }
    int t = q->threat_id != NULL && *q->threat_id;
    int c = q->campaign_id != NULL && *q->campaign_id;
    if (t && c) {
        return verr(err, "give either threatId or campaignId, not both");
    }
    if (!t && !c) {
        return verr(err, "threatId or campaignId is required");
    }
    if (c && q->include_campaign_forensics) {
        return verr(err, "includeCampaignForensics can only be used with threatId");
    }
    return check_id(t ? "threatId" : "campaignId", t ? q->threat_id : q->campaign_id, err);
}

int pptap_tap__forensics_path(pptap_buf *out, const pptap_forensics_query *q,
                              char err[PPTAP_ERRMSG_LEN])
{
    int rc = pptap_forensics_query_validate(q, err);
    if (rc != 0) {
        return rc;
    }
    pptap_buf b = PPTAP_BUF_INIT;
    rc = put(&b, "/v2/forensics");
    if (q->threat_id != NULL && *q->threat_id) {
        rc |= param(&b, "threatId", q->threat_id);
        if (q->include_campaign_forensics) {
            rc |= param(&b, "includeCampaignForensics", "true");
        }
    } else {
        rc |= param(&b, "campaignId", q->campaign_id);
    }
    if (rc == 0) {
        rc = pptap_buf_put(out, b.ptr, b.len);
    }
    pptap_buf_dispose(&b);
    return rc ? PPTAP_ENOMEM : 0;
}

int pptap_tap__id_path(pptap_buf *out, const char *prefix, const char *what, const char *id,
                       char err[PPTAP_ERRMSG_LEN])
{
    int rc = check_id(what, id, err);
    if (rc != 0) {
        return rc;
    }
    size_t len0 = out->len;
    rc = put(out, prefix);
    rc |= pptap_url_encode(out, id, strlen(id));
    if (rc != 0) {
        out->len = len0;
        return PPTAP_ENOMEM;
    }
    return 0;
}

int pptap_people_query_validate(pptap_endpoint ep, const pptap_people_query *q,
                                char err[PPTAP_ERRMSG_LEN])
{
    if (q == NULL) {
        return verr(err, "no query");
    }
    if (ep != PPTAP_EP_PEOPLE_VAP && ep != PPTAP_EP_PEOPLE_TOP_CLICKERS) {
        return verr(err, "endpoint %s is not a People endpoint", pptap_endpoint_name(ep));
    }
    if (q->window != 14 && q->window != 30 && q->window != 90) {
        return verr(err, "window must be 14, 30 or 90 days, not %d", q->window);
    }
    int max = ep == PPTAP_EP_PEOPLE_VAP ? PPTAP_VAP_SIZE_MAX : PPTAP_TOP_CLICKERS_SIZE_MAX;
    if (q->size < 0 || q->size > max) {
        return verr(err, "size must be between 1 and %d, not %d", max, q->size);
    }
    if (q->page < 0) {
        return verr(err, "page must be 1 or more, not %d", q->page);
    }
    return 0;
}

int pptap_tap__people_path(pptap_buf *out, pptap_endpoint ep, const pptap_people_query *q,
                           char err[PPTAP_ERRMSG_LEN])
{
    int rc = pptap_people_query_validate(ep, q, err);
    if (rc != 0) {
        return rc;
    }
    pptap_buf b = PPTAP_BUF_INIT;
    rc = put(&b, pptap_tap__endpoint_path(ep));
    rc |= param_int(&b, "window", q->window);
    if (q->size > 0) {
        rc |= param_int(&b, "size", q->size);
    }
    if (q->page > 0) {
        rc |= param_int(&b, "page", q->page);
    }
    if (rc == 0) {
        rc = pptap_buf_put(out, b.ptr, b.len);
    }
    pptap_buf_dispose(&b);
    return rc ? PPTAP_ENOMEM : 0;
}

/* ------------------------------------------------------------------------ */
/* Calls                                                                     */

/* GET `path` into a whole body buffer. */
static int get_body(pptap_client *c, pptap_endpoint ep, const char *path, pptap_buf *body)
{
    pptap__sink sink;
    pptap__bufsink bs;
    pptap__bufsink_init(&sink, &bs, body, pptap_client__max_body(c));
    int rc = pptap_client__request(c, ep, "GET", path, NULL, 0, &sink);
    if (rc != 0 && body->ptr != NULL) {
        body->len = bs.base; /* output untouched on failure */
        body->ptr[body->len] = '\0';
    }
    return rc;
}

static int bad_args(pptap_client *c)
{
    return c != NULL ? pptap_client__fail(c, PPTAP_EINVAL, "missing argument") : PPTAP_EINVAL;
}

static int invalid(pptap_client *c, int rc, const char *err)
{
    return pptap_client__fail(c, rc, "%s", err);
}

static int proto(pptap_client *c, int rc, pptap_endpoint ep)
{
    if (rc == PPTAP_EPROTO) {
        return pptap_client__fail(c, rc, "%s: the response is not the expected JSON object",
                                  pptap_endpoint_name(ep));
    }
    return pptap_client__fail(c, rc, "%s: %s", pptap_endpoint_name(ep), pptap_strerror(rc));
}

int pptap_siem_fetch(pptap_client *c, pptap_buf *body, const pptap_siem_query *q)
{
    if (c == NULL || body == NULL || q == NULL) {
        return bad_args(c);
    }
    char err[PPTAP_ERRMSG_LEN];
    pptap_buf path = PPTAP_BUF_INIT;
    int rc = pptap_tap__siem_path(&path, q, pptap_client_now(c), err);
    if (rc != 0) {
        return invalid(c, rc, rc == PPTAP_ENOMEM ? "out of memory" : err);
    }
    rc = get_body(c, q->endpoint, path.ptr, body);
    pptap_buf_dispose(&path);
    return rc;
}

int pptap_siem_get(pptap_client *c, pptap_siem_result **out, const pptap_siem_query *q)
{
    if (out == NULL || q == NULL) {
        return bad_args(c);
    }
    if (q->format != PPTAP_FORMAT_JSON) {
        return pptap_client__fail(c, PPTAP_EINVAL, "typed SIEM results need format=json");
    }
    pptap_buf body = PPTAP_BUF_INIT;
    int rc = pptap_siem_fetch(c, &body, q);
    if (rc == 0) {
        long st = pptap_client_last_response(c)->status;
        json_t *doc = NULL;
        char err[200];
        if (st != 204 || body.len > 0) {
            rc = pptap__load_object(&doc, body.ptr, body.len, err, sizeof err);
            if (rc != 0) {
                pptap_client__fail(c, rc, "%s: %s", pptap_endpoint_name(q->endpoint), err);
            }
        }
        if (rc == 0) {
            rc = pptap__siem_from_json(out, doc);
            if (rc != 0) {
                proto(c, rc, q->endpoint);
            }
        }
    }
    pptap_buf_dispose(&body);
    return rc;
}

/* Streaming ----------------------------------------------------------------- */

typedef struct {
    pptap_splitter *sp;
    size_t max_event;
    pptap_event_cb cb;
    void *payload;
    pptap_stream_result *res;
} stream_ctx;

static int stream_cb(pptap_event_type type, json_t *event, void *payload)
{
    stream_ctx *sc = payload;
    sc->res->delivered++;
    sc->res->delivered_by_type[type]++;
    return sc->cb(type, event, sc->payload);
}

static int stream_write(void *ctx, const char *data, size_t len)
{
    stream_ctx *sc = ctx;
    return pptap_splitter_feed(sc->sp, data, len);
}

static int stream_reset(void *ctx)
{
    stream_ctx *sc = ctx;
    if (sc->res->delivered > 0) {
        return -1; /* events are out: the caller must retry and dedupe */
    }
    pptap_splitter *fresh;
    if (pptap_splitter_new(&fresh, sc->max_event, stream_cb, sc) != 0) {
        return -1;
    }
    pptap_splitter_free(sc->sp);
    sc->sp = fresh;
    return 0;
}

int pptap_siem_stream(pptap_client *c, const pptap_siem_query *q, pptap_event_cb cb, void *payload,
                      pptap_stream_result *res)
{
    pptap_stream_result local;
    if (res == NULL) {
        res = &local;
    }
    memset(res, 0, sizeof *res);
    res->query_end_time = PPTAP_TIME_NONE;
    if (c == NULL || q == NULL || cb == NULL) {
        return bad_args(c);
    }
    if (q->format != PPTAP_FORMAT_JSON) {
        return pptap_client__fail(c, PPTAP_EINVAL, "streaming needs format=json");
    }
    char err[PPTAP_ERRMSG_LEN];
    pptap_buf path = PPTAP_BUF_INIT;
    int rc = pptap_tap__siem_path(&path, q, pptap_client_now(c), err);
    if (rc != 0) {
        return invalid(c, rc, rc == PPTAP_ENOMEM ? "out of memory" : err);
    }
    stream_ctx sc = {NULL, pptap_client__max_event(c), cb, payload, res};
    rc = pptap_splitter_new(&sc.sp, sc.max_event, stream_cb, &sc);
    if (rc != 0) {
        pptap_buf_dispose(&path);
        return pptap_client__fail(c, rc, "out of memory");
    }
    pptap__sink sink = {stream_write, stream_reset, &sc};
    rc = pptap_client__request(c, q->endpoint, "GET", path.ptr, NULL, 0, &sink);
    res->status = pptap_client_last_response(c)->status;
    if (rc == 0) {
        if (res->status == 204 && pptap_client_last_response(c)->body_bytes == 0) {
            res->complete = 1; /* no content: no events */
        } else {
            rc = pptap_splitter_finish(sc.sp);
            if (rc == 0) {
                res->complete = 1;
            }
        }
    }
    if (rc != 0 && pptap_splitter_error(sc.sp)[0] != '\0') {
        pptap_client__fail(c, rc, "%s %s: %s", pptap_endpoint_name(q->endpoint),
                           rc == PPTAP_ECANCELED ? "stopped" : "response rejected",
                           pptap_splitter_error(sc.sp));
    }
    pptap_time_ms t;
    const char *qet = pptap_splitter_query_end_time(sc.sp, &t);
    snprintf(res->query_end_time_str, sizeof res->query_end_time_str, "%s", qet);
    res->query_end_time = t;
    pptap_splitter_free(sc.sp);
    pptap_buf_dispose(&path);
    return rc;
}

/* Campaign ------------------------------------------------------------------ */

int pptap_campaign_ids_get(pptap_client *c, pptap_campaign_ids **out,
                           const pptap_campaign_ids_query *q)
{
    if (c == NULL || out == NULL || q == NULL) {
        return bad_args(c);
    }
    char err[PPTAP_ERRMSG_LEN];
    pptap_buf path = PPTAP_BUF_INIT;
    pptap_buf body = PPTAP_BUF_INIT;
    int rc = pptap_tap__campaign_ids_path(&path, q, pptap_client_now(c), err);
    if (rc != 0) {
        return invalid(c, rc, rc == PPTAP_ENOMEM ? "out of memory" : err);
    }
    rc = get_body(c, PPTAP_EP_CAMPAIGN_IDS, path.ptr, &body);
    if (rc == PPTAP_ENOTFOUND) {
        /* 404 means "no campaign in this interval" */
        pptap_client__clear_error(c);
        rc = pptap_campaign_ids_parse(out, "{\"campaigns\":[]}", 16);
        if (rc == 0) {
            json_decref((*out)->raw);
            (*out)->raw = NULL;
        }
    } else if (rc == 0) {
        rc = body.len == 0 ? pptap_campaign_ids_parse(out, "{}", 2)
                           : pptap_campaign_ids_parse(out, body.ptr, body.len);
        if (rc != 0) {
            proto(c, rc, PPTAP_EP_CAMPAIGN_IDS);
        }
    }
    pptap_buf_dispose(&path);
    pptap_buf_dispose(&body);
    return rc;
}

typedef int (*parse_fn)(void **out, const char *body, size_t len);

#define PARSE_WRAPPER(name, type)                                                                  \
    static int name##_void(void **out, const char *body, size_t len)                               \
    {                                                                                              \
        type *r;                                                                                   \
        int rc = name(&r, body, len);                                                              \
        if (rc == 0) {                                                                             \
            *out = r;                                                                              \
        }                                                                                          \
        return rc;                                                                                 \
    }

PARSE_WRAPPER(pptap_campaign_parse, pptap_campaign)
PARSE_WRAPPER(pptap_forensics_parse, pptap_forensics)
PARSE_WRAPPER(pptap_threat_summary_parse, pptap_threat_summary)
PARSE_WRAPPER(pptap_people_parse, pptap_people)

/* GET a path and parse its body with `parse`; 204/empty bodies are EPROTO. */
static int get_typed(pptap_client *c, pptap_endpoint ep, const char *path, void **out,
                     parse_fn parse)
{
    pptap_buf body = PPTAP_BUF_INIT;
    int rc = get_body(c, ep, path, &body);
    if (rc == 0) {
        rc = parse(out, body.ptr, body.len);
        if (rc != 0) {
            proto(c, rc, ep);
        }
    }
    pptap_buf_dispose(&body);
    return rc;
}

int pptap_campaign_get(pptap_client *c, pptap_campaign **out, const char *campaign_id)
{
    if (c == NULL || out == NULL) {
        return bad_args(c);
    }
    char err[PPTAP_ERRMSG_LEN];
    pptap_buf path = PPTAP_BUF_INIT;
    int rc = pptap_tap__id_path(&path, "/v2/campaign/", "campaign id", campaign_id, err);
    if (rc != 0) {
        return invalid(c, rc, rc == PPTAP_ENOMEM ? "out of memory" : err);
    }
    void *tmp = NULL;
    rc = get_typed(c, PPTAP_EP_CAMPAIGN, path.ptr, &tmp, pptap_campaign_parse_void);
    if (rc == 0) {
        *out = tmp;
    }
    pptap_buf_dispose(&path);
    return rc;
}

int pptap_forensics_get(pptap_client *c, pptap_forensics **out, const pptap_forensics_query *q)
{
    if (c == NULL || out == NULL || q == NULL) {
        return bad_args(c);
    }
    char err[PPTAP_ERRMSG_LEN];
    pptap_buf path = PPTAP_BUF_INIT;
    int rc = pptap_tap__forensics_path(&path, q, err);
    if (rc != 0) {
        return invalid(c, rc, rc == PPTAP_ENOMEM ? "out of memory" : err);
    }
    void *tmp = NULL;
    rc = get_typed(c, PPTAP_EP_FORENSICS, path.ptr, &tmp, pptap_forensics_parse_void);
    if (rc == 0) {
        *out = tmp;
    }
    pptap_buf_dispose(&path);
    return rc;
}

int pptap_threat_summary_get(pptap_client *c, pptap_threat_summary **out, const char *threat_id)
{
    if (c == NULL || out == NULL) {
        return bad_args(c);
    }
    char err[PPTAP_ERRMSG_LEN];
    pptap_buf path = PPTAP_BUF_INIT;
    int rc = pptap_tap__id_path(&path, "/v2/threat/summary/", "threat id", threat_id, err);
    if (rc != 0) {
        return invalid(c, rc, rc == PPTAP_ENOMEM ? "out of memory" : err);
    }
    void *tmp = NULL;
    rc = get_typed(c, PPTAP_EP_THREAT_SUMMARY, path.ptr, &tmp, pptap_threat_summary_parse_void);
    if (rc == 0) {
        *out = tmp;
    }
    pptap_buf_dispose(&path);
    return rc;
}

static int people_get(pptap_client *c, pptap_endpoint ep, pptap_people **out,
                      const pptap_people_query *q)
{
    if (c == NULL || out == NULL || q == NULL) {
        return bad_args(c);
    }
    char err[PPTAP_ERRMSG_LEN];
    pptap_buf path = PPTAP_BUF_INIT;
    int rc = pptap_tap__people_path(&path, ep, q, err);
    if (rc != 0) {
        return invalid(c, rc, rc == PPTAP_ENOMEM ? "out of memory" : err);
    }
    void *tmp = NULL;
    rc = get_typed(c, ep, path.ptr, &tmp, pptap_people_parse_void);
    if (rc == 0) {
        *out = tmp;
    }
    pptap_buf_dispose(&path);
    return rc;
}

int pptap_people_vap_get(pptap_client *c, pptap_people **out, const pptap_people_query *q)
{
    return people_get(c, PPTAP_EP_PEOPLE_VAP, out, q);
}

int pptap_people_top_clickers_get(pptap_client *c, pptap_people **out, const pptap_people_query *q)
{
    return people_get(c, PPTAP_EP_PEOPLE_TOP_CLICKERS, out, q);
}

/* URL decode ---------------------------------------------------------------- */

int pptap_url_decode(pptap_client *c, pptap_url_decode_result **out, const char *const *urls,
                     size_t n)
{
    if (c == NULL || out == NULL || (urls == NULL && n > 0)) {
        return bad_args(c);
    }
    if (n == 0) {
        return pptap_client__fail(c, PPTAP_EINVAL, "no URLs to decode");
    }
    if (n > PPTAP_URL_DECODE_MAX_URLS) {
        return pptap_client__fail(c, PPTAP_EINVAL, "too many URLs to decode: %zu (at most %d)", n,
                                  PPTAP_URL_DECODE_MAX_URLS);
    }
    for (size_t i = 0; i < n; i++) {
        if (urls[i] == NULL || *urls[i] == '\0') {
            return pptap_client__fail(c, PPTAP_EINVAL, "URL %zu is empty", i + 1);
        }
        if (strlen(urls[i]) > PPTAP_URL_MAX_LEN) {
            return pptap_client__fail(c, PPTAP_EINVAL, "URL %zu is longer than %d bytes", i + 1,
                                      PPTAP_URL_MAX_LEN);
        }
    }
    json_t *all = json_array();
    json_t *doc = json_object();
    if (all == NULL || doc == NULL || json_object_set(doc, "urls", all) != 0) {
        json_decref(all);
        json_decref(doc);
        return pptap_client__fail(c, PPTAP_ENOMEM, "out of memory");
    }
    int rc = 0;
    size_t batch = pptap_client__decode_batch(c);
    for (size_t i = 0; i < n && rc == 0; i += batch) {
        size_t m = n - i < batch ? n - i : batch;
        json_t *req = json_object();
        json_t *arr = json_array();
        int bad = req == NULL || arr == NULL || json_object_set(req, "urls", arr) != 0;
        for (size_t k = 0; !bad && k < m; k++) {
            bad = json_array_append_new(arr, json_stringn(urls[i + k], strlen(urls[i + k]))) != 0;
        }
        char *post = bad ? NULL : json_dumps(req, JSON_COMPACT);
        json_decref(arr);
        json_decref(req);
        if (post == NULL) {
            rc = pptap_client__fail(c, PPTAP_ENOMEM, "out of memory");
            break;
        }
        pptap_buf body = PPTAP_BUF_INIT;
        pptap__sink sink;
        pptap__bufsink bs;
        pptap__bufsink_init(&sink, &bs, &body, pptap_client__max_body(c));
        rc = pptap_client__request(c, PPTAP_EP_URL_DECODE, "POST", "/v2/url/decode", post,
                                   strlen(post), &sink);
        free(post);
        json_t *resp = NULL;
        char err[200];
        if (rc == 0) {
            rc = pptap__load_object(&resp, body.ptr, body.len, err, sizeof err);
            if (rc != 0) {
                pptap_client__fail(c, rc, "url-decode: %s", err);
            }
        }
        if (rc == 0) {
            json_t *got = json_object_get(resp, "urls");
            if (!json_is_array(got)) {
                rc = pptap_client__fail(c, PPTAP_EPROTO, "url-decode: no \"urls\" array");
            } else if (json_array_extend(all, got) != 0) {
                rc = pptap_client__fail(c, PPTAP_ENOMEM, "out of memory");
            }
        }
        json_decref(resp);
        pptap_buf_dispose(&body);
    }
    json_decref(all);
    if (rc != 0) {
        json_decref(doc);
        return rc;
    }
    rc = pptap__url_decode_from_json(out, doc);
    if (rc != 0) {
        return pptap_client__fail(c, rc, "out of memory");
    }
    return 0;
}
