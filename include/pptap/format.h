/*
 * Event formats: one TAP SIEM event rendered as one line for an output.
 *
 * The collector and `pptap normalize` share this code, so what a file,
 * syslog, HTTP or Kafka output carries is what `pptap normalize` prints for
 * the same raw event. docs/formats.md describes every format field by field.
 */
#ifndef PPTAP_FORMAT_H
#define PPTAP_FORMAT_H

#include <jansson.h>

#include <pptap/common.h>
#include <pptap/tap.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The formats of an event line. */
typedef enum {
    PPTAP_EVENTFMT_RAW = 0, /* the TAP event plus a "pptap" object */
    PPTAP_EVENTFMT_ECS,     /* Elastic Common Schema, as Elastic's proofpoint_tap integration */
    PPTAP_EVENTFMT_OCSF,    /* OCSF Email Activity / Email URL Activity */
    PPTAP_EVENTFMT_CEF,     /* ArcSight Common Event Format */
    PPTAP_EVENTFMT_COUNT_
} pptap_eventfmt;

/** What pptap knows about an event beyond its TAP fields. */
typedef struct {
    const char *event_id;     /* the event's identity (see docs/store.md); NULL: computed */
    const char *tenant;       /* the collector tenant; NULL: omitted */
    const char *collected_at; /* ISO 8601 time the collector received it; NULL: omitted */
    int update;               /* 1 when this is a changed re-emission of an event */
} pptap_event_meta;

/** The name of a format ("raw", "ecs", "ocsf", "cef"), or NULL. */
PPTAP_EXTERN const char *pptap_eventfmt_name(pptap_eventfmt f);

/** Parses a format name. Returns 0, or PPTAP_EINVAL for an unknown name. */
PPTAP_EXTERN int pptap_eventfmt_parse(pptap_eventfmt *out, const char *name);

/**
 * Appends `event` (a TAP SIEM event of type `type`) rendered in format `f`
 * to `out`, as one line ending in '\n'. `meta` may be NULL: the event_id is
 * then computed and tenant and collection time are omitted. `event` is left
 * as it was. Returns 0; PPTAP_EINVAL when the event is not an object or has
 * no identity; PPTAP_ENOMEM (out is then as it was).
 */
PPTAP_EXTERN int pptap_format_event(pptap_buf *out, pptap_eventfmt f, pptap_event_type type,
                                    json_t *event, const pptap_event_meta *meta);

/** A stretch of time the collector could not collect (older than the API serves). */
typedef struct {
    const char *event_id; /* "gap:TENANT:FROM_MS:TO_MS" */
    const char *tenant;
    const char *collected_at; /* when the gap was recorded */
    const char *from, *to;    /* ISO 8601 */
    const char *reason;
} pptap_gap_record;

/**
 * Appends a gap record rendered in format `f` to `out`, as one line ending
 * in '\n', so that a SIEM sees missing time explicitly. Returns 0,
 * PPTAP_EINVAL or PPTAP_ENOMEM (out is then as it was).
 */
PPTAP_EXTERN int pptap_format_gap(pptap_buf *out, pptap_eventfmt f, const pptap_gap_record *g);

#ifdef __cplusplus
}
#endif

#endif
