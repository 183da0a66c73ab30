/*
 * ArcSight Common Event Format:
 *   CEF:0|Proofpoint|TAP|v2|<event type>|<summary>|<severity>|<extensions>
 * docs/formats.md "CEF" gives the dictionary keys used for each TAP field and
 * the escaping rules.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <pptap/time.h>

#include "format_internal.h"
#include "internal.h"

#define CEF_VENDOR "Proofpoint"
#define CEF_PRODUCT "TAP"
#define CEF_DEVICE_VERSION "v2" /* the TAP SIEM API the events come from */

#define CEF_NAME_MAX 512 /* bytes of the Name header field (the spec's length) */

/* CEF severity (0-10) of each OCSF-numbered severity. */
static const int cef_severity[] = {
    [PPTAP__SEV_INFO] = 1,
    [PPTAP__SEV_LOW] = 3,
    [PPTAP__SEV_MEDIUM] = 5,
    [PPTAP__SEV_HIGH] = 8,
};

/* Appends s[0..n) escaped for the header (header = 1) or an extension value. */
static int put_escaped(pptap_buf *out, const char *s, size_t n, int header)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t run = 0, i = 0;
    while (i < n) {
        unsigned char ch = p[i];
        const char *rep;
        if (ch >= 0x80) {
            size_t need = ch >= 0xF0 ? 4 : ch >= 0xE0 ? 3 : ch >= 0xC0 ? 2 : 1;
            if (need > 1 && n - i >= need && pptap__utf8_valid(p + i, need)) {
                i += need;
                continue;
            }
            rep = "\xEF\xBF\xBD"; /* U+FFFD for a byte that is not UTF-8 */
        } else if (ch == '\\') {
            rep = "\\\\";
        } else if (header && ch == '|') {
            rep = "\\|";
        } else if (!header && ch == '=') {
            rep = "\\=";
        } else if (!header && ch == '\r') {
            rep = "\\r";
        } else if (!header && ch == '\n') {
            rep = "\\n";
        } else if ((ch < 0x20 && !(ch == '\t' && !header)) || ch == 0x7F) {
            rep = " ";
        } else {
            i++;
            continue;
        }
        if (pptap_buf_put(out, p + run, i - run) != 0 ||
            pptap_buf_put(out, rep, strlen(rep)) != 0) {
            return PPTAP_ENOMEM;
        }
        i++;
        run = i;
    }
    return pptap_buf_put(out, p + run, n - run) == 0 ? 0 : PPTAP_ENOMEM;
}

int pptap__cef_put_header(pptap_buf *out, const char *s, size_t n)
{
    return put_escaped(out, s, n, 1);
}

int pptap__cef_put_value(pptap_buf *out, const char *s, size_t n)
{
    return put_escaped(out, s, n, 0);
}

/* ------------------------------------------------------------------------- */
/* The line */

typedef struct {
    pptap_buf *out;
    pptap_buf tmp; /* a list being joined */
    int err;
    int first; /* no extension written yet */
} writer;

/* Appends " key=value" (no space before the first), value escaped. */
static void ext(writer *w, const char *key, const char *val, size_t n)
{
    if (w->err) {
        return;
    }
    if ((!w->first && pptap_buf_put(w->out, " ", 1) != 0) ||
        pptap_buf_put(w->out, key, strlen(key)) != 0 || pptap_buf_put(w->out, "=", 1) != 0 ||
        pptap__cef_put_value(w->out, val, n) != 0) {
        w->err = PPTAP_ENOMEM;
    }
    w->first = 0;
}

static void ext_str(writer *w, const char *key, const char *val)
{
    ext(w, key, val, strlen(val));
}

/* key=v when v is a string that is not empty. */
static void ext_json(writer *w, const char *key, json_t *v)
{
    if (json_is_string(v) && json_string_length(v) > 0) {
        ext(w, key, json_string_value(v), json_string_length(v));
    }
}

static void ext_int(writer *w, const char *key, long long v)
{
    char num[32];
    int len = snprintf(num, sizeof(num), "%lld", v);
    ext(w, key, num, (size_t)len);
}

/* labelKey=label key=v, for a custom field, when v is not empty. */
static void ext_custom(writer *w, const char *key, const char *label, json_t *v)
{
    if (json_is_string(v) && json_string_length(v) > 0) {
        char lk[48];
        snprintf(lk, sizeof(lk), "%sLabel", key);
        ext_str(w, lk, label);
        ext_json(w, key, v);
    }
}

static void ext_time(writer *w, const char *key, json_t *v)
{
    pptap_time_ms t;
    if (json_is_string(v) &&
        pptap_time_parse(&t, json_string_value(v), json_string_length(v)) == 0) {
        ext_int(w, key, t);
    }
}

/* src for an IPv4 address, c6a2 (Source IPv6 Address) for IPv6. */
static void ext_source_ip(writer *w, json_t *v)
{
    const char *s = json_string_value(v);
    unsigned char addr[16];
    if (s == NULL) {
        return;
    }
    if (inet_pton(AF_INET, s, addr) == 1) {
        ext_str(w, "src", s);
    } else if (inet_pton(AF_INET6, s, addr) == 1) {
        ext_str(w, "c6a2Label", "Source IPv6 Address");
        ext_str(w, "c6a2", s);
    }
}

/* Adds item to w->tmp, comma-separated; `unique` skips an item already in. */
static void join(writer *w, json_t *item, int unique)
{
    const char *s = json_string_value(item);
    size_t n = json_string_length(item);
    if (w->err || s == NULL || n == 0) {
        return;
    }
    if (unique && w->tmp.len > 0) {
        const char *p = w->tmp.ptr, *end = w->tmp.ptr + w->tmp.len;
        while (p <= end) {
            const char *comma = memchr(p, ',', (size_t)(end - p));
            const char *stop = comma != NULL ? comma : end;
            if ((size_t)(stop - p) == n && memcmp(p, s, n) == 0) {
                return;
            }
            p = stop + 1;
        }
    }
    if ((w->tmp.len > 0 && pptap_buf_put(&w->tmp, ",", 1) != 0) ||
        pptap_buf_put(&w->tmp, s, n) != 0) {
        w->err = PPTAP_ENOMEM;
    }
}

/* Writes the joined list as key (after its label for a custom field) and
 * empties it. */
static void flush(writer *w, const char *key, const char *label)
{
    if (w->tmp.len > 0) {
        if (label != NULL) {
            char lk[48];
            snprintf(lk, sizeof(lk), "%sLabel", key);
            ext_str(w, lk, label);
        }
        ext(w, key, w->tmp.ptr, w->tmp.len);
    }
    w->tmp.len = 0;
}

/* A per-threat list: one entry per threat, empty when the threat has no
 * value, so that cs1, cs2, cs3, cs4 and flexString2 line up. Written only
 * when one entry is not empty. */
enum { T_ID, T_URL, T_STATUS, T_CAMPAIGN, T_VALUE };

static json_t *member(const pptap__threat *t, int which)
{
    switch (which) {
    case T_ID:
        return t->id;
    case T_URL:
        return t->url;
    case T_STATUS:
        return t->status;
    case T_CAMPAIGN:
        return t->campaign;
    default:
        return t->value;
    }
}

static void threat_list(writer *w, pptap_event_type type, json_t *event, int which, const char *key,
                        const char *label)
{
    size_t n = pptap__threat_count(type, event);
    int any = 0;
    for (size_t i = 0; i < n && !w->err; i++) {
        pptap__threat t;
        pptap__threat_get(&t, type, event, i);
        json_t *v = member(&t, which);
        if (i > 0 && pptap_buf_put(&w->tmp, ",", 1) != 0) {
            w->err = PPTAP_ENOMEM;
        }
        if (v != NULL && json_string_length(v) > 0) {
            any = 1;
            if (pptap_buf_put(&w->tmp, json_string_value(v), json_string_length(v)) != 0) {
                w->err = PPTAP_ENOMEM;
            }
        }
    }
    if (!any) {
        w->tmp.len = 0;
    }
    flush(w, key, label);
}

/* The header up to and including the '|' after the severity. */
static int header(pptap_buf *out, const char *sig, const char *name, size_t name_len, int sev)
{
    if (name_len > CEF_NAME_MAX) {
        name_len = CEF_NAME_MAX;
        while (name_len > 0 && ((unsigned char)name[name_len] & 0xC0) == 0x80) {
            name_len--; /* not inside a UTF-8 character */
        }
    }
    char tail[16];
    int tl = snprintf(tail, sizeof(tail), "|%d|", sev);
    static const char head[] = "CEF:0|" CEF_VENDOR "|" CEF_PRODUCT "|" CEF_DEVICE_VERSION "|";
    if (pptap_buf_put(out, head, sizeof(head) - 1) != 0 ||
        pptap__cef_put_header(out, sig, strlen(sig)) != 0 || pptap_buf_put(out, "|", 1) != 0 ||
        pptap__cef_put_header(out, name, name_len) != 0 ||
        pptap_buf_put(out, tail, (size_t)tl) != 0) {
        return PPTAP_ENOMEM;
    }
    return 0;
}

static void message_ext(writer *w, pptap_event_type type, json_t *event)
{
    size_t i;
    json_t *v, *e;
    ext_source_ip(w, json_object_get(event, "senderIP"));
    ext_json(w, "suser", json_object_get(event, "sender"));
    v = json_object_get(event, "recipient");
    if (json_is_array(v)) {
        json_array_foreach(v, i, e)
        {
            join(w, e, 0);
        }
        flush(w, "duser", NULL);
    } else {
        ext_json(w, "duser", v);
    }
    ext_json(w, "msg", json_object_get(event, "subject"));
    json_t *parts = json_object_get(event, "messageParts");
    json_array_foreach(parts, i, e)
    {
        join(w, json_object_get(e, "filename"), 1);
    }
    flush(w, "fname", NULL);
    json_array_foreach(parts, i, e)
    {
        join(w, json_object_get(e, "sha256"), 1);
    }
    flush(w, "fileHash", NULL);
    v = json_object_get(event, "messageSize");
    if (json_is_integer(v) && json_integer_value(v) > 0) {
        ext_int(w, "in", json_integer_value(v));
    }
    int d = pptap__route_direction(event);
    if (d != PPTAP__DIR_UNKNOWN) {
        ext_int(w, "deviceDirection", d == PPTAP__DIR_INBOUND ? 0 : 1);
    }
    threat_list(w, type, event, T_ID, "cs1", "threatId");
    threat_list(w, type, event, T_URL, "cs2", "threatUrl");
    threat_list(w, type, event, T_STATUS, "cs3", "threatStatus");
    threat_list(w, type, event, T_CAMPAIGN, "cs4", "campaignId");
    ext_custom(w, "cs5", "guid", json_object_get(event, "GUID"));
    ext_custom(w, "cs6", "messageId", json_object_get(event, "messageID"));
    static const char *const scores[][2] = {
        {"cn1", "spamScore"}, {"cn2", "phishScore"}, {"cn3", "malwareScore"}};
    for (size_t k = 0; k < 3; k++) {
        v = json_object_get(event, scores[k][1]);
        if (json_is_number(v) && json_number_value(v) == (double)(long long)json_number_value(v)) {
            char lk[16];
            snprintf(lk, sizeof(lk), "%sLabel", scores[k][0]);
            ext_str(w, lk, scores[k][1]);
            ext_int(w, scores[k][0], (long long)json_number_value(v));
        }
    }
    v = json_object_get(event, "impostorScore");
    if (json_is_number(v)) {
        char num[32];
        int len = snprintf(num, sizeof(num), "%.15g", json_number_value(v));
        ext_str(w, "cfp1Label", "impostorScore");
        ext(w, "cfp1", num, (size_t)len);
    }
    ext_custom(w, "flexString1", "qid", json_object_get(event, "QID"));
    threat_list(w, type, event, T_VALUE, "flexString2", "threat");
}

static void click_ext(writer *w, pptap_event_type type, json_t *event)
{
    ext_source_ip(w, json_object_get(event, "clickIP"));
    ext_json(w, "suser", json_object_get(event, "sender"));
    ext_json(w, "duser", json_object_get(event, "recipient"));
    ext_json(w, "request", json_object_get(event, "url"));
    ext_json(w, "requestClientApplication", json_object_get(event, "userAgent"));
    threat_list(w, type, event, T_ID, "cs1", "threatId");
    threat_list(w, type, event, T_URL, "cs2", "threatUrl");
    threat_list(w, type, event, T_STATUS, "cs3", "threatStatus");
    threat_list(w, type, event, T_CAMPAIGN, "cs4", "campaignId");
    ext_custom(w, "cs5", "guid", json_object_get(event, "GUID"));
    ext_custom(w, "cs6", "messageId", json_object_get(event, "messageID"));
    json_t *v = json_object_get(event, "threatTime");
    pptap_time_ms t;
    if (json_is_string(v) &&
        pptap_time_parse(&t, json_string_value(v), json_string_length(v)) == 0) {
        ext_str(w, "deviceCustomDate1Label", "threatTime");
        ext_int(w, "deviceCustomDate1", t);
    }
}

int pptap__format_cef(pptap_buf *out, pptap_event_type type, json_t *event,
                      const pptap_event_meta *meta)
{
    int click = pptap__is_click(type);
    int sev = pptap__threat_severity(type, event);
    pptap_buf name = PPTAP_BUF_INIT;
    int rc = pptap__threat_summary(&name, type, event);
    if (rc == 0) {
        rc = header(out, pptap_event_type_name(type), name.ptr, name.len, cef_severity[sev]);
    }
    pptap_buf_dispose(&name);
    if (rc != 0) {
        return rc;
    }
    writer w = {out, PPTAP_BUF_INIT, 0, 1};
    ext_time(&w, "rt", json_object_get(event, click ? "clickTime" : "messageTime"));
    ext_str(&w, "externalId", meta->event_id);
    static const char *const act[PPTAP_EVENT_COUNT_] = {
        [PPTAP_EVENT_CLICKS_BLOCKED] = "blocked",
        [PPTAP_EVENT_CLICKS_PERMITTED] = "permitted",
        [PPTAP_EVENT_MESSAGES_BLOCKED] = "blocked",
        [PPTAP_EVENT_MESSAGES_DELIVERED] = "delivered",
    };
    json_t *folder = json_object_get(event, "quarantineFolder");
    ext_str(&w, "act",
            type == PPTAP_EVENT_MESSAGES_BLOCKED && json_is_string(folder) &&
                    json_string_length(folder) > 0
                ? "quarantined"
                : act[type]);
    if (!w.err && pptap__threat_classes(&w.tmp, type, event, ",") != 0) {
        w.err = PPTAP_ENOMEM;
    }
    flush(&w, "cat", NULL);
    if (click) {
        click_ext(&w, type, event);
    } else {
        message_ext(&w, type, event);
    }
    if (meta->tenant != NULL) {
        ext_str(&w, "deviceExternalId", meta->tenant);
    }
    pptap_buf_dispose(&w.tmp);
    if (w.err) {
        return w.err;
    }
    return pptap_buf_put(out, "\n", 1) == 0 ? 0 : PPTAP_ENOMEM;
}

/* CEF:0|Proofpoint|TAP|v2|gap|Collection gap|5|rt start end reason msg */
int pptap__gap_cef(pptap_buf *out, const pptap_gap_record *g)
{
    pptap_time_ms from, to, at;
    if (pptap_time_parse(&from, g->from, strlen(g->from)) != 0 ||
        pptap_time_parse(&to, g->to, strlen(g->to)) != 0) {
        return PPTAP_EINVAL;
    }
    if (g->collected_at == NULL ||
        pptap_time_parse(&at, g->collected_at, strlen(g->collected_at)) != 0) {
        at = to;
    }
    static const char name[] = "Collection gap";
    int rc = header(out, "gap", name, sizeof(name) - 1, cef_severity[PPTAP__SEV_MEDIUM]);
    if (rc != 0) {
        return rc;
    }
    writer w = {out, PPTAP_BUF_INIT, 0, 1};
    ext_int(&w, "rt", at);
    ext_str(&w, "externalId", g->event_id);
    ext_int(&w, "start", from);
    ext_int(&w, "end", to);
    ext_str(&w, "outcome", "failure");
    if (g->reason != NULL) {
        ext_str(&w, "reason", g->reason);
    }
    static const char head[] = "No events were collected from ";
    if (pptap_buf_put(&w.tmp, head, sizeof(head) - 1) != 0 ||
        pptap_buf_put(&w.tmp, g->from, strlen(g->from)) != 0 ||
        pptap_buf_put(&w.tmp, " to ", 4) != 0 || pptap_buf_put(&w.tmp, g->to, strlen(g->to)) != 0) {
        w.err = PPTAP_ENOMEM;
    }
    flush(&w, "msg", NULL);
    if (g->tenant != NULL) {
        ext_str(&w, "deviceExternalId", g->tenant);
    }
    pptap_buf_dispose(&w.tmp);
    if (w.err) {
        return w.err;
    }
    return pptap_buf_put(out, "\n", 1) == 0 ? 0 : PPTAP_ENOMEM;
}
