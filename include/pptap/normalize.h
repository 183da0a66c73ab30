/*
 * pptap — raw TAP SIEM JSON in, one line per event out in an event format
 * (pptap/format.h), without the API: what `pptap normalize` runs.
 *
 * The input is a stream of JSON objects, read in chunks of any size:
 *
 * - whole SIEM responses ({"queryEndTime": ..., "clicksPermitted": [...],
 *   ...}), streamed through the SIEM splitter, so a response of any size
 *   needs memory for one event at a time;
 * - events carrying "eventType" (what `pptap siem` prints);
 * - lines of the raw format ({..., "pptap": {"event_type": ...}}), whose
 *   event_id, tenant, collection time and update flag are kept, and whose
 *   gap records stay gap records;
 * - bare events, of the type given in the options.
 *
 * Objects may span lines (pretty-printed) or share them. A record that
 * cannot be read is reported with its line number and skipped; the rest
 * goes on. An object whose first key is a SIEM response key is a response;
 * any other object is one event record, at most max_record bytes. Inside an
 * unfinished record, a '{' at the start of a line starts the next record
 * (the unfinished one is reported as cut), and a line break inside a string
 * ends the record as cut, so one damaged line of NDJSON costs one record.
 */
#ifndef PPTAP_NORMALIZE_H
#define PPTAP_NORMALIZE_H

#include <stdint.h>

#include <pptap/format.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Receives one output line (ending in '\n'). Return 0 to go on; anything
 * else stops the normalizer, whose calls then return PPTAP_ECANCELED. */
typedef int (*pptap_normalize_line_cb)(const char *line, size_t len, void *payload);

/** Receives one refused record or event: the input line where it starts (or
 * where the fault was found) and why. */
typedef void (*pptap_normalize_error_cb)(uint64_t line, const char *msg, void *payload);

typedef struct {
    pptap_eventfmt format;
    int type_given;        /* 1: bare events are of `type` */
    pptap_event_type type; /* with type_given */
    size_t max_record;     /* bytes of one event record; 0 = 8 MiB */
    pptap_normalize_line_cb on_line;
    pptap_normalize_error_cb on_error; /* may be NULL */
    void *payload;
} pptap_normalize_opts;

typedef struct {
    uint64_t records; /* top-level objects read */
    uint64_t events;  /* lines written (events and gap records) */
    uint64_t refused; /* records and events refused, each reported once */
} pptap_normalize_stats;

typedef struct pptap_normalizer pptap_normalizer;

/**
 * Creates a normalizer. Returns 0, PPTAP_EINVAL (no on_line, or a format
 * pptap_format_event() does not have) or PPTAP_ENOMEM.
 */
PPTAP_EXTERN int pptap_normalizer_new(pptap_normalizer **out, const pptap_normalize_opts *opts);

/**
 * Reads `len` more bytes, calling on_line for every event completed and
 * on_error for every record refused. Returns 0, PPTAP_ECANCELED (on_line
 * stopped it) or PPTAP_ENOMEM; bad input is never an error here. After an
 * error every call returns it again.
 */
PPTAP_EXTERN int pptap_normalizer_feed(pptap_normalizer *n, const char *data, size_t len);

/** Ends the input (a record left open is reported as cut). Returns 0 or the
 * error of pptap_normalizer_feed(). */
PPTAP_EXTERN int pptap_normalizer_finish(pptap_normalizer *n);

/** What was read, written and refused so far. */
PPTAP_EXTERN void pptap_normalizer_stats(const pptap_normalizer *n, pptap_normalize_stats *out);

/** Frees a normalizer. Accepts NULL. */
PPTAP_EXTERN void pptap_normalizer_free(pptap_normalizer *n);

/**
 * Parses an event type written as the API's key ("clicksBlocked") or as
 * the command line writes it ("clicks-blocked"). Returns 0 or PPTAP_EINVAL.
 */
PPTAP_EXTERN int pptap_normalize_type_parse(pptap_event_type *out, const char *name);

#ifdef __cplusplus
}
#endif

#endif
