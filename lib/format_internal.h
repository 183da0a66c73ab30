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

#endif
