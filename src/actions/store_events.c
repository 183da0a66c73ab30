/*
 * Store events as JSON for the store-backed actions (store_events.h).
 */
#include <stdio.h>
#include <string.h>

#include "store_events.h"

int se_is_click(pptap_event_type t)
{
    return t == PPTAP_EVENT_CLICKS_BLOCKED || t == PPTAP_EVENT_CLICKS_PERMITTED;
}

const char *se_str(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *se_str2(json_t *obj, const char *a, const char *b)
{
    const char *s = se_str(obj, a);
    return s != NULL ? s : se_str(obj, b);
}

static pptap_time_ms time_of(json_t *obj, const char *key)
{
    const char *s = se_str(obj, key);
    pptap_time_ms t;
    if (s == NULL || pptap_time_parse(&t, s, strlen(s)) != 0) {
        return PPTAP_TIME_NONE;
    }
    return t;
}

static pptap_time_ms later(pptap_time_ms a, pptap_time_ms b)
{
    if (a == PPTAP_TIME_NONE) {
        return b;
    }
    return b != PPTAP_TIME_NONE && b > a ? b : a;
}

pptap_time_ms se_creation_time(json_t *ev, pptap_event_type t)
{
    if (se_is_click(t)) {
        return later(time_of(ev, "clickTime"), time_of(ev, "threatTime"));
    }
    pptap_time_ms c = time_of(ev, "messageTime");
    json_t *threats = json_object_get(ev, "threatsInfoMap");
    size_t i;
    json_t *th;
    json_array_foreach(threats, i, th)
    {
        c = later(c, time_of(th, "threatTime"));
    }
    return c;
}

unsigned se_status_bits(json_t *ev, pptap_event_type t)
{
    if (se_is_click(t)) {
        const char *s = se_str(ev, "threatStatus");
        return s != NULL ? pptap_threat_status_bit(s) : 0;
    }
    unsigned bits = 0;
    json_t *threats = json_object_get(ev, "threatsInfoMap");
    size_t i;
    json_t *th;
    json_array_foreach(threats, i, th)
    {
        const char *s = se_str(th, "threatStatus");
        if (s != NULL) {
            bits |= pptap_threat_status_bit(s);
        }
    }
    return bits;
}

int se_decode_link(const char *url, char *out, size_t n)
{
    if (url == NULL || n == 0) {
        return -1;
    }
    pptap_urldef_result res;
    size_t len = strlen(url);
    if (pptap_urldef_decode(&res, out, n - 1, url, len) != 0 || res.start != 0) {
        return -1;
    }
    out[res.len] = '\0';
    return 0;
}

typedef struct {
    se_result *r;
    int failed;
} search_ctx;

static int on_event(const pptap_store_event *sev, void *payload)
{
    search_ctx *c = payload;
    se_result *r = c->r;
    json_error_t je;
    json_t *ev = json_loadb(sev->raw, sev->raw_len, 0, &je);
    if (!json_is_object(ev)) {
        json_decref(ev); /* the store keeps only objects; skip anything else */
        return 0;
    }
    if (r->statuses != 0 && (se_status_bits(ev, sev->type) & r->statuses) == 0) {
        json_decref(ev);
        return 0;
    }
    if (r->meta) {
        char first[PPTAP_TIME_STRLEN], last[PPTAP_TIME_STRLEN];
        pptap_time_format(first, sev->first_seen);
        pptap_time_format(last, sev->last_seen);
        if (json_object_set_new(ev, "pptapStore",
                                json_pack("{s:s, s:s, s:s, s:I}", "eventId", sev->event_id,
                                          "firstSeen", first, "lastSeen", last, "updates",
                                          (json_int_t)sev->updates)) != 0) {
            json_decref(ev);
            c->failed = 1;
            return 1;
        }
    }
    if (json_object_set_new(ev, "eventType", json_string(pptap_event_type_name(sev->type))) != 0 ||
        json_array_append_new(r->events, ev) != 0) {
        c->failed = 1;
        return 1;
    }
    r->kept++;
    return r->max != 0 && r->kept >= r->max ? 1 : 0;
}

int se_search(pptap_store *st, const pptap_store_query *q, se_result *r, char *err, size_t errlen)
{
    search_ctx c = {r, 0};
    pptap_store_query qq = *q;
    if (r->statuses == 0 && r->max != 0) {
        /* every match is kept: the store can stop at the cap itself */
        size_t left = r->max > r->kept ? r->max - r->kept : 0;
        if (left == 0) {
            return 0;
        }
        qq.limit = left;
    } else if (qq.limit == 0) {
        qq.limit = PPTAP_STORE_SEARCH_MAX;
    }
    int rc = pptap_store_search(st, &qq, on_event, &c);
    if (c.failed) {
        snprintf(err, errlen, "out of memory");
        return PPTAP_ENOMEM;
    }
    if (rc == PPTAP_ECANCELED) {
        return 0;
    }
    if (rc != 0) {
        snprintf(err, errlen, "the store: %s", pptap_store_last_error(st));
    }
    return rc;
}

static unsigned endpoint_types(const char *endpoint)
{
    static const struct {
        const char *name;
        unsigned types;
    } map[] = {
        {"all", SE_ALL_TYPES},
        {"issues", (1u << PPTAP_EVENT_CLICKS_PERMITTED) | (1u << PPTAP_EVENT_MESSAGES_DELIVERED)},
        {"clicks-blocked", 1u << PPTAP_EVENT_CLICKS_BLOCKED},
        {"clicks-permitted", 1u << PPTAP_EVENT_CLICKS_PERMITTED},
        {"messages-blocked", 1u << PPTAP_EVENT_MESSAGES_BLOCKED},
        {"messages-delivered", 1u << PPTAP_EVENT_MESSAGES_DELIVERED},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (strcmp(map[i].name, endpoint) == 0) {
            return map[i].types;
        }
    }
    return 0;
}

static unsigned statuses_of(const char *list)
{
    unsigned bits = 0;
    char word[32];
    const char *p = list;
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        size_t l = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (l < sizeof word) {
            memcpy(word, p, l);
            word[l] = '\0';
            bits |= pptap_threat_status_bit(word);
        }
        p += l + (comma != NULL);
    }
    return bits;
}

int se_coverage_get(pptap_store *st, const char *tenant, se_coverage *c)
{
    memset(c, 0, sizeof *c);
    int64_t start, final;
    int rc = pptap_store_checkpoint_get_int(st, &final, tenant, "final");
    if (rc == PPTAP_ENOTFOUND) {
        snprintf(c->why, sizeof c->why, "the collector has not stored tenant '%s' yet", tenant);
        return 0;
    }
    if (rc == 0) {
        rc = pptap_store_checkpoint_get_int(st, &start, tenant, "start");
        if (rc == PPTAP_ENOTFOUND) {
            snprintf(c->why, sizeof c->why,
                     "the store does not say where complete collection of tenant '%s' began "
                     "(a collector run of this version writes it)",
                     tenant);
            return 0;
        }
    }
    pptap_buf endpoint = PPTAP_BUF_INIT, statuses = PPTAP_BUF_INIT;
    if (rc == 0) {
        rc = pptap_store_checkpoint_get_text(st, &endpoint, tenant, "endpoint");
    }
    if (rc == 0) {
        rc = pptap_store_checkpoint_get_text(st, &statuses, tenant, "statuses");
    }
    if (rc == PPTAP_ENOTFOUND) {
        snprintf(c->why, sizeof c->why, "the store does not say what tenant '%s' collects", tenant);
        rc = 0;
    } else if (rc == 0) {
        c->known = 1;
        c->from = start;
        c->to = final;
        snprintf(c->endpoint, sizeof c->endpoint, "%s", endpoint.ptr != NULL ? endpoint.ptr : "");
        c->types = endpoint_types(c->endpoint);
        c->statuses = statuses.ptr != NULL ? statuses_of(statuses.ptr) : 0;
    }
    pptap_buf_dispose(&endpoint);
    pptap_buf_dispose(&statuses);
    return rc;
}
