/*
 * The http output's pieces that do not need a network: request bodies per
 * flavour, the receivers' answers, backoff. out_http.c uses them; the unit
 * tests (tests/unit/test_collect_http.c) check them on their own.
 */
#ifndef PPTAP_COLLECT_OUT_HTTP_H
#define PPTAP_COLLECT_OUT_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <pptap/common.h>
#include <pptap/time.h>

#include "output.h"

/* The Elasticsearch target when `index` is not set: logs-DATASET-NAMESPACE
 * in Elastic's data stream naming, a data stream under the default logs-*-*
 * index template. */
#define OUT_HTTP_DEFAULT_INDEX "logs-proofpoint_tap-default"
#define OUT_HTTP_REASON_MAX 512
#define OUT_HTTP_ID_MAX 256 /* bytes of an Elasticsearch _id we build (ES allows 512) */

/* What a HEC envelope carries besides the event. */
typedef struct {
    const char *host;       /* "host" */
    const char *sourcetype; /* NULL: omitted (the token's default applies) */
    const char *index;      /* NULL: omitted (the token's default index) */
    int event_is_json;      /* 1: the line is a JSON value; 0: it goes in as a string (CEF) */
} out_http_hec_opts;

/* Appends one HEC event envelope for r, ending in '\n':
 * {"time":S.mmm,"host":…,"source":"pptap","sourcetype":…,"index":…,
 *  "event":…,"fields":{"event_id":…,"event_type":…,"tenant":…}}.
 * Returns 0 or PPTAP_ENOMEM. */
int out_http__hec_event(pptap_buf *b, const collect_record *r, const out_http_hec_opts *o);

/* The Elasticsearch _id of r: the event_id, or "<event_id>:u<n>" for its
 * nth update (so an update is a document of its own, and a retry of the
 * same update finds it again). Returns 0, or -1 when out is too small. */
int out_http__es_id(char *out, size_t n, const collect_record *r);

/* Appends the bulk action line {"create":{"_index":…,"_id":…}} and the
 * document: the line itself when it is a JSON object (with "@timestamp"
 * added from r->time when it has none), otherwise {"@timestamp":…,
 * "message":<the line as a string>}. Returns 0 or PPTAP_ENOMEM. */
int out_http__es_doc(pptap_buf *b, const collect_record *r, const char *index);

/* What to do with one document of a bulk request. */
typedef enum {
    OUT_HTTP_ITEM_OK,     /* indexed, or already there (409 on create) */
    OUT_HTTP_ITEM_RETRY,  /* 429, 5xx, es_rejected_execution_exception */
    OUT_HTTP_ITEM_REJECT, /* any other refusal: quarantine it */
} out_http_verdict;

typedef struct {
    out_http_verdict verdict;
    int status;                       /* the item's HTTP status */
    char reason[OUT_HTTP_REASON_MAX]; /* "TYPE: reason" of a refusal */
} out_http_item;

/* Reads a 2xx bulk response for a request of n documents into items[n].
 * Returns 0, or -1 when it is not a bulk response for n documents (err
 * says why). */
int out_http__bulk_parse(out_http_item *items, size_t n, const char *body, size_t len, char *err,
                         size_t errlen);

/* A HEC answer: {"text":…,"code":…,"ackId":…,"invalid-event-number":…}. */
typedef struct {
    int code;              /* -1 when absent */
    int64_t ack_id;        /* -1 when absent */
    int64_t invalid_event; /* -1 when absent */
    char text[256];
} out_http_hec_reply;

/* Returns 0 (fields absent from body are -1 / ""), or -1 when body is not a
 * JSON object. */
int out_http__hec_reply(out_http_hec_reply *r, const char *body, size_t len);

/* Reads an ack poll answer {"acks":{"ID":true|false,…}}: acked[i] = 1 when
 * ids[i] is true. Returns 0 or -1 when it does not parse. */
int out_http__hec_acks(int *acked, const int64_t *ids, size_t n, const char *body, size_t len);

/* Delay before attempt `attempt` + 1 (attempt >= 1): 500 ms doubled per
 * attempt, at most 30 s, the upper half chosen by `random` (jitter). */
int64_t out_http__backoff_ms(int attempt, uint32_t random);

/* A Retry-After value (delta-seconds or an HTTP date) as a delay from now,
 * at most 5 min; -1 when it does not parse. */
int64_t out_http__retry_after_ms(const char *value, pptap_time_ms now);

/* Appends data gzip-compressed. Returns 0, PPTAP_ENOMEM or PPTAP_EIO. */
int out_http__gzip(pptap_buf *out, const char *data, size_t len);

#endif
