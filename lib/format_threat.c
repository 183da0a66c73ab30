/*
 * What the OCSF and CEF formats derive from an event's threats: one view of
 * a threat for messages (threatsInfoMap[]) and clicks (the event itself), the
 * event's classifications, a one-line summary and a severity (docs/formats.md).
 */
#include <string.h>

#include "ascii.h"
#include "format_internal.h"

int pptap__is_click(pptap_event_type type)
{
    return type == PPTAP_EVENT_CLICKS_BLOCKED || type == PPTAP_EVENT_CLICKS_PERMITTED;
}

/* The string value of o[a], else of o[b]; NULL when neither is a string. */
static json_t *str2(json_t *o, const char *a, const char *b)
{
    json_t *v = json_object_get(o, a);
    if (!json_is_string(v) && b != NULL) {
        v = json_object_get(o, b);
    }
    return json_is_string(v) ? v : NULL;
}

size_t pptap__threat_count(pptap_event_type type, json_t *event)
{
    if (pptap__is_click(type)) {
        return 1;
    }
    json_t *m = json_object_get(event, "threatsInfoMap");
    return json_is_array(m) ? json_array_size(m) : 0;
}

void pptap__threat_get(pptap__threat *t, pptap_event_type type, json_t *event, size_t i)
{
    int click = pptap__is_click(type);
    json_t *o = click ? event : json_array_get(json_object_get(event, "threatsInfoMap"), i);
    memset(t, 0, sizeof(*t));
    if (!json_is_object(o)) {
        return;
    }
    t->id = str2(o, "threatID", NULL);
    t->status = str2(o, "threatStatus", NULL);
    t->classification = str2(o, "classification", NULL);
    t->time = str2(o, "threatTime", NULL);
    /* clicks spell threatURL and campaignId, messages threatUrl and
     * campaignID; either spelling is accepted */
    t->url = click ? str2(o, "threatURL", "threatUrl") : str2(o, "threatUrl", "threatURL");
    t->campaign = click ? str2(o, "campaignId", "campaignID") : str2(o, "campaignID", "campaignId");
    t->value = str2(o, click ? "url" : "threat", NULL);
    t->type = click ? NULL : str2(o, "threatType", NULL);
}

/* 1 when the string v equals the lower-case word w, ignoring ASCII case. */
static int word_is(json_t *v, const char *w)
{
    size_t n = strlen(w);
    return v != NULL && json_string_length(v) == n &&
           ascii_ieq((const unsigned char *)json_string_value(v), w, n);
}

/* 1 when the strings a and b are equal, ignoring ASCII case. */
static int same_word(json_t *a, json_t *b)
{
    size_t n = json_string_length(b);
    if (a == NULL || json_string_length(a) != n) {
        return 0;
    }
    const unsigned char *x = (const unsigned char *)json_string_value(a);
    const unsigned char *y = (const unsigned char *)json_string_value(b);
    for (size_t i = 0; i < n; i++) {
        if (ascii_lower(x[i]) != ascii_lower(y[i])) {
            return 0;
        }
    }
    return 1;
}

int pptap__threat_is_type(const pptap__threat *t, const char *w)
{
    return word_is(t->type, w);
}

int pptap__threat_severity(pptap_event_type type, json_t *event)
{
    int reached = type == PPTAP_EVENT_CLICKS_PERMITTED || type == PPTAP_EVENT_MESSAGES_DELIVERED;
    int active = 0, serious = 0;
    size_t n = pptap__threat_count(type, event);
    for (size_t i = 0; i < n; i++) {
        pptap__threat t;
        pptap__threat_get(&t, type, event, i);
        if (word_is(t.status, "cleared") || word_is(t.status, "falsepositive")) {
            continue;
        }
        active = 1;
        if (!word_is(t.classification, "spam")) {
            serious = 1; /* malware, phish, impostor, toad, or unknown */
        }
    }
    if (!active) {
        return PPTAP__SEV_INFO;
    }
    if (serious) {
        return reached ? PPTAP__SEV_HIGH : PPTAP__SEV_MEDIUM;
    }
    return reached ? PPTAP__SEV_LOW : PPTAP__SEV_INFO;
}

int pptap__threat_classes(pptap_buf *out, pptap_event_type type, json_t *event, const char *sep)
{
    size_t n = pptap__threat_count(type, event);
    size_t start = out->len;
    for (size_t i = 0; i < n; i++) {
        pptap__threat t;
        pptap__threat_get(&t, type, event, i);
        if (t.classification == NULL || json_string_length(t.classification) == 0) {
            continue;
        }
        /* earlier threats with the same classification (any case) */
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++) {
            pptap__threat u;
            pptap__threat_get(&u, type, event, j);
            seen = same_word(u.classification, t.classification);
        }
        if (seen) {
            continue;
        }
        if (out->len > start && pptap_buf_put(out, sep, strlen(sep)) != 0) {
            return PPTAP_ENOMEM;
        }
        const char *s = json_string_value(t.classification);
        size_t len = json_string_length(t.classification);
        for (size_t k = 0; k < len; k++) {
            char c = (char)ascii_lower((unsigned char)s[k]);
            if (pptap_buf_put(out, &c, 1) != 0) {
                return PPTAP_ENOMEM;
            }
        }
    }
    return 0;
}

int pptap__threat_summary(pptap_buf *out, pptap_event_type type, json_t *event)
{
    static const char *const what[PPTAP_EVENT_COUNT_] = {
        [PPTAP_EVENT_CLICKS_BLOCKED] = "Blocked click",
        [PPTAP_EVENT_CLICKS_PERMITTED] = "Permitted click",
        [PPTAP_EVENT_MESSAGES_BLOCKED] = "Blocked message",
        [PPTAP_EVENT_MESSAGES_DELIVERED] = "Delivered message",
    };
    if (pptap_buf_put(out, what[type], strlen(what[type])) != 0 ||
        pptap_buf_put(out, " with ", 6) != 0) {
        return PPTAP_ENOMEM;
    }
    size_t with = out->len;
    if (pptap_buf_put(out, "threat: ", 8) != 0) {
        return PPTAP_ENOMEM;
    }
    size_t mark = out->len;
    if (pptap__threat_classes(out, type, event, ", ") != 0) {
        return PPTAP_ENOMEM;
    }
    if (out->len == mark) {
        /* no classification: "... with a threat" */
        out->len = with;
        out->ptr[out->len] = '\0';
        return pptap_buf_put(out, "a threat", 8) == 0 ? 0 : PPTAP_ENOMEM;
    }
    return 0;
}

const char *pptap__severity_name(int sev)
{
    switch (sev) {
    case PPTAP__SEV_INFO:
        return "Informational";
    case PPTAP__SEV_LOW:
        return "Low";
    case PPTAP__SEV_MEDIUM:
        return "Medium";
    case PPTAP__SEV_HIGH:
        return "High";
    default:
        return "Unknown";
    }
}

int pptap__route_direction(json_t *event)
{
    json_t *routes = json_object_get(event, "policyRoutes");
    int in = 0, out = 0;
    size_t i;
    json_t *r;
    json_array_foreach(routes, i, r)
    {
        const char *s = json_string_value(r);
        if (s == NULL) {
            continue;
        }
        /* route names are lower-case in TAP ("default_inbound") */
        if (strstr(s, "inbound") != NULL) {
            in = 1;
        } else if (strstr(s, "outbound") != NULL) {
            out = 1;
        }
    }
    return in && !out ? PPTAP__DIR_INBOUND : out && !in ? PPTAP__DIR_OUTBOUND : PPTAP__DIR_UNKNOWN;
}
