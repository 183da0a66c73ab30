/*
 * The formats behind pptap_format_event(): one function per format, in
 * format_<name>.c, each appending one line ending in '\n'. `event_id` is
 * always set (computed by the dispatcher when the caller gave none); `meta`
 * is never NULL (its other fields may be). On failure a function may leave
 * partial output: the dispatcher cuts `out` back.
 */
#ifndef PPTAP_FORMAT_INTERNAL_H
#define PPTAP_FORMAT_INTERNAL_H

#include <pptap/format.h>

typedef int (*pptap__format_fn)(pptap_buf *out, pptap_event_type type, json_t *event,
                                const pptap_event_meta *meta);

typedef int (*pptap__gap_fn)(pptap_buf *out, const pptap_gap_record *g);

int pptap__format_raw(pptap_buf *out, pptap_event_type type, json_t *event,
                      const pptap_event_meta *meta);

int pptap__gap_raw(pptap_buf *out, const pptap_gap_record *g);

/* ECS, as Elastic's proofpoint_tap integration (format_ecs.c). */
int pptap__format_ecs(pptap_buf *out, pptap_event_type type, json_t *event,
                      const pptap_event_meta *meta);

int pptap__gap_ecs(pptap_buf *out, const pptap_gap_record *g);

/* Appends `v` serialised compactly, keys in insertion order. */
int pptap__dump_json(pptap_buf *out, const json_t *v);

/* OCSF 1.7.0: messages as Email Activity, clicks as Email URL Activity, gaps
 * as Base Event (format_ocsf.c). */
int pptap__format_ocsf(pptap_buf *out, pptap_event_type type, json_t *event,
                       const pptap_event_meta *meta);

int pptap__gap_ocsf(pptap_buf *out, const pptap_gap_record *g);

/* ArcSight CEF (format_cef.c). */
int pptap__format_cef(pptap_buf *out, pptap_event_type type, json_t *event,
                      const pptap_event_meta *meta);

int pptap__gap_cef(pptap_buf *out, const pptap_gap_record *g);

/* Appends s[0..n) escaped for a CEF header field: '\' and '|' get a
 * backslash, control characters become spaces, bytes that are not UTF-8
 * become U+FFFD. Returns 0 or PPTAP_ENOMEM. */
int pptap__cef_put_header(pptap_buf *out, const char *s, size_t n);

/* Appends s[0..n) escaped for a CEF extension value: '\' and '=' get a
 * backslash, CR and LF become "\r" and "\n", tab stays, other control
 * characters become spaces, bytes that are not UTF-8 become U+FFFD. Returns
 * 0 or PPTAP_ENOMEM. */
int pptap__cef_put_value(pptap_buf *out, const char *s, size_t n);

/* ------------------------------------------------------------------------- */
/* Threats, as the OCSF and CEF formats see them (format_threat.c). */

/* 1 for clicksBlocked and clicksPermitted. */
int pptap__is_click(pptap_event_type type);

/* One threat of an event: an element of a message's threatsInfoMap, or a
 * click itself. Each member is the JSON string (borrowed from the event) or
 * NULL when absent or not a string. */
typedef struct {
    json_t *id, *status, *classification, *time;
    json_t *url;      /* threatUrl (messages), threatURL (clicks) */
    json_t *campaign; /* campaignID (messages), campaignId (clicks) */
    json_t *value;    /* the condemned artifact: threat (messages), url (clicks) */
    json_t *type;     /* threatType (messages only) */
} pptap__threat;

/* The number of threats of an event: the length of threatsInfoMap, 1 for a
 * click. */
size_t pptap__threat_count(pptap_event_type type, json_t *event);

/* Fills `t` with threat `i` (< pptap__threat_count()). */
void pptap__threat_get(pptap__threat *t, pptap_event_type type, json_t *event, size_t i);

/* 1 when the threat's threatType is the lower-case word `w`, any case. */
int pptap__threat_is_type(const pptap__threat *t, const char *w);

/* Severities, numbered as OCSF severity_id. */
enum {
    PPTAP__SEV_INFO = 1,
    PPTAP__SEV_LOW = 2,
    PPTAP__SEV_MEDIUM = 3,
    PPTAP__SEV_HIGH = 4,
};

/* The severity of an event: Informational when every threat is cleared or a
 * false positive; otherwise High (delivered, permitted) or Medium (blocked)
 * when an active threat is not spam, Low (delivered, permitted) or
 * Informational (blocked) when every active threat is spam. */
int pptap__threat_severity(pptap_event_type type, json_t *event);

/* The caption of a severity ("High"). */
const char *pptap__severity_name(int sev);

/* Appends the event's classifications, lower-case, each once, in threat
 * order, separated by `sep`. Returns 0 or PPTAP_ENOMEM. */
int pptap__threat_classes(pptap_buf *out, pptap_event_type type, json_t *event, const char *sep);

/* Appends a one-line summary: "Delivered message with threat: spam, phish",
 * "Blocked click with a threat" when no classification is known. Returns 0
 * or PPTAP_ENOMEM. */
int pptap__threat_summary(pptap_buf *out, pptap_event_type type, json_t *event);

/* Direction of a message from its policyRoutes: a route naming "inbound"
 * (and none "outbound") is inbound, and the reverse; else unknown. */
enum { PPTAP__DIR_UNKNOWN = 0, PPTAP__DIR_INBOUND = 1, PPTAP__DIR_OUTBOUND = 2 };
int pptap__route_direction(json_t *event);

#endif
