/*
 * Events of the local store for the store-backed actions (Search Events,
 * Enrich Entities, Get Message Details, Get Click Forensics): searches that
 * hand back JSON events, the facts every action reads from an event, and
 * what the collector's checkpoints say the store holds completely.
 */
#ifndef PPTAP_ACTIONS_STORE_EVENTS_H
#define PPTAP_ACTIONS_STORE_EVENTS_H

#include <stddef.h>

#include <jansson.h>

#include <pptap/pptap.h>
#include <pptap/store.h>

#define SE_SECOND 1000LL
#define SE_HOUR (3600 * SE_SECOND)
#define SE_DAY (24 * SE_HOUR)

/* Bits of the event types (1u << pptap_event_type). */
#define SE_CLICKS ((1u << PPTAP_EVENT_CLICKS_BLOCKED) | (1u << PPTAP_EVENT_CLICKS_PERMITTED))
#define SE_MESSAGES ((1u << PPTAP_EVENT_MESSAGES_BLOCKED) | (1u << PPTAP_EVENT_MESSAGES_DELIVERED))
#define SE_ALL_TYPES (SE_CLICKS | SE_MESSAGES)

/* 1 for clicksPermitted and clicksBlocked. */
int se_is_click(pptap_event_type t);

/* The creation time of an event: the later of its messageTime/clickTime and
 * its threat times, the time a SIEM interval selects on. PPTAP_TIME_NONE
 * when the event carries no time. */
pptap_time_ms se_creation_time(json_t *ev, pptap_event_type t);

/* The PPTAP_THREAT_STATUS_* bits of an event's threats. */
unsigned se_status_bits(json_t *ev, pptap_event_type t);

/* A string member, or NULL when absent, null or not a string. */
const char *se_str(json_t *obj, const char *key);
/* The first of two spellings of a string member ("threatID", "threatId"). */
const char *se_str2(json_t *obj, const char *a, const char *b);

/* The decoded target of a URL Defense link into `out` (`n` bytes, NUL
 * terminated); 0, or -1 when `url` is not a link that decodes. */
int se_decode_link(const char *url, char *out, size_t n);

/* What a search keeps. */
typedef struct {
    unsigned statuses; /* events with a threat in these (PPTAP_THREAT_STATUS_*); 0 = all */
    size_t max;        /* stop once this many are kept; 0 = no cap */
    /* 1: each event also gets "pptapStore": {eventId, firstSeen, lastSeen,
     * updates} (the store's record of it) */
    int meta;
    /* Filled: the events (each the raw event plus "eventType"), newest first. */
    json_t *events;
    size_t kept;
} se_result;

/* Runs `q` on the store and appends the matching events to r->events (an
 * array the caller created). Returns 0, or a PPTAP_E* code with the
 * store's message in `err`. */
int se_search(pptap_store *st, const pptap_store_query *q, se_result *r, char *err, size_t errlen);

/* What the collector's checkpoints say about a tenant. */
typedef struct {
    int known;              /* 1 when start, final, endpoint and statuses were found */
    pptap_time_ms from, to; /* complete for [start, final) */
    unsigned types;         /* event type bits the collected endpoint returns */
    unsigned statuses;      /* PPTAP_THREAT_STATUS_* collected */
    char endpoint[40];
    char why[200]; /* when not known: why */
} se_coverage;

/* Reads the coverage of `tenant`. Returns 0 (c->known tells whether the
 * checkpoints are there) or a PPTAP_E* code of the store. */
int se_coverage_get(pptap_store *st, const char *tenant, se_coverage *c);

#endif
