/*
 * pptap — every TAP v2 endpoint: queries with validation before sending,
 * typed results tolerant of the documented quirks (reference §10, §13.1),
 * the raw JSON always at hand, and a streaming SIEM reader whose memory does
 * not grow with the window.
 *
 * Typed results borrow their strings from the jansson document they were
 * built from (`raw`), which they own; everything is released by the result's
 * _free function. A field the response does not carry (absent or null) is
 * NULL for strings, an empty list for lists, PPTAP_TIME_NONE for times,
 * PPTAP_INT_NONE for integers, NAN for numbers, and -1 for booleans.
 */
#ifndef PPTAP_TAP_H
#define PPTAP_TAP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <pptap/client.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Marks an absent integer. */
#define PPTAP_INT_NONE INT64_MIN

/** Bounds the API enforces (checked before sending). */
#define PPTAP_INTERVAL_MIN_MS (30 * 1000LL)
#define PPTAP_INTERVAL_MAX_MS (3600 * 1000LL)
#define PPTAP_CAMPAIGN_INTERVAL_MAX_MS (24 * 3600 * 1000LL)
#define PPTAP_LOOKBACK_MAX_MS (7 * 24 * 3600 * 1000LL)
#define PPTAP_CAMPAIGN_SIZE_MAX 200
#define PPTAP_VAP_SIZE_MAX 1000
#define PPTAP_TOP_CLICKERS_SIZE_MAX 200

/* ------------------------------------------------------------------------ */
/* Common value types                                                        */

/** A list of borrowed strings. */
typedef struct {
    const char **v;
    size_t n;
} pptap_strlist;

/** An {id, name} pair (actors, families, malware, techniques, brands). */
typedef struct {
    const char *id;
    const char *name;
} pptap_named;

typedef struct {
    const pptap_named *v;
    size_t n;
} pptap_namedlist;

/* ------------------------------------------------------------------------ */
/* SIEM                                                                      */

/** The four kinds of SIEM event. */
typedef enum {
    PPTAP_EVENT_CLICKS_BLOCKED = 0,
    PPTAP_EVENT_CLICKS_PERMITTED,
    PPTAP_EVENT_MESSAGES_BLOCKED,
    PPTAP_EVENT_MESSAGES_DELIVERED,
    PPTAP_EVENT_COUNT_
} pptap_event_type;

/** The JSON key of an event type: "clicksBlocked", "clicksPermitted", … */
PPTAP_EXTERN const char *pptap_event_type_name(pptap_event_type t);

/** Parses a JSON key into an event type. Returns 0 or PPTAP_EINVAL. */
PPTAP_EXTERN int pptap_event_type_parse(pptap_event_type *out, const char *name);

/** Response format of the SIEM API. */
typedef enum {
    PPTAP_FORMAT_JSON = 0, /* the client always sends format=json by default */
    PPTAP_FORMAT_SYSLOG,
} pptap_format;

/* threatType filter bits */
enum {
    PPTAP_THREAT_TYPE_URL = 1u << 0,
    PPTAP_THREAT_TYPE_ATTACHMENT = 1u << 1,
    PPTAP_THREAT_TYPE_MESSAGE_TEXT = 1u << 2,
};
/* threatStatus filter bits */
enum {
    PPTAP_THREAT_STATUS_ACTIVE = 1u << 0,
    PPTAP_THREAT_STATUS_CLEARED = 1u << 1,
    PPTAP_THREAT_STATUS_FALSE_POSITIVE = 1u << 2,
};

/**
 * The PPTAP_THREAT_TYPE_* bit of a threatType string, compared without case
 * ("url", "attachment", "messageText"; also "message" as some data has it),
 * or 0 when unknown. For filters given as text and for event values.
 */
PPTAP_EXTERN unsigned pptap_threat_type_bit(const char *s);

/**
 * The PPTAP_THREAT_STATUS_* bit of a threatStatus string, compared without
 * case ("active", "cleared", "falsePositive" or "falsepositive"), or 0.
 */
PPTAP_EXTERN unsigned pptap_threat_status_bit(const char *s);

/**
 * A SIEM query. Exactly one time selector: `interval` (text in one of the
 * three ISO 8601 forms), or `start`+`end` (formatted as start/end), or
 * `since_seconds`, or `since_time` (ISO 8601 date-time). Unused selectors
 * stay 0/NULL. Filters are bit sets (0 = no filter; several values are sent
 * as repeated parameters).
 */
typedef struct {
    pptap_endpoint endpoint; /* one of PPTAP_EP_SIEM_* */
    const char *interval;
    pptap_time_ms start; /* with `end`: the interval as times (0 = unused) */
    pptap_time_ms end;
    int64_t since_seconds; /* 30..3600 (0 = unused) */
    const char *since_time;
    pptap_format format;
    unsigned threat_types;    /* PPTAP_THREAT_TYPE_* */
    unsigned threat_statuses; /* PPTAP_THREAT_STATUS_* */
} pptap_siem_query;

/**
 * Checks `q` against the API's rules at time `now`: exactly one time
 * selector; an interval parses, lasts 30 s to 1 h, ends in the past and
 * starts at most 7 days ago; since_seconds is 30..3600; since_time parses,
 * is at least 30 s and at most 1 h in the past; the endpoint is a SIEM one.
 * Returns 0 or PPTAP_EINVAL with the rule broken in `err` (may be NULL).
 */
PPTAP_EXTERN int pptap_siem_query_validate(const pptap_siem_query *q, pptap_time_ms now,
                                           char err[PPTAP_ERRMSG_LEN]);

/** One threatsInfoMap[] entry of a message event. */
typedef struct {
    const char *threat_id; /* threatID | threatId */
    const char *threat_status;
    const char *classification;
    const char *threat_url; /* threatUrl | threatURL */
    const char *threat;
    const char *campaign_id; /* campaignID | campaignId; NULL when null */
    const char *threat_type;
    const char *threat_time_str;
    pptap_time_ms threat_time;
    const char *detection_type; /* undocumented, optional */
    pptap_strlist actors;       /* undocumented, optional (strings or {name}) */
    json_t *raw;                /* borrowed */
} pptap_threat_info;

/** One messageParts[] entry. */
typedef struct {
    const char *content_type;   /* contentType */
    const char *o_content_type; /* oContentType */
    const char *disposition;
    const char *filename;
    const char *md5;
    const char *sha256;
    const char *sandbox_status; /* NULL when null/absent */
    json_t *raw;                /* borrowed */
} pptap_message_part;

/** A messagesDelivered / messagesBlocked event. */
typedef struct {
    const char *guid; /* GUID */
    const char *id;
    const char *qid; /* QID */
    const char *message_id;
    const char *message_time_str;
    pptap_time_ms message_time;
    int64_t message_size;
    const char *subject;
    const char *sender;
    const char *sender_ip;
    pptap_strlist recipient;    /* array, or a single string */
    pptap_strlist from_address; /* array, or a single string */
    pptap_strlist to_addresses;
    pptap_strlist cc_addresses;
    pptap_strlist reply_to_address;
    const char *header_from;
    const char *header_reply_to;
    const char *header_to; /* doc example only */
    const char *header_cc; /* doc example only */
    const char *xmailer;
    const char *cluster;                  /* cluster | clusterId */
    int completely_rewritten;             /* 1, 0, or -1 for "na"/absent */
    const char *completely_rewritten_str; /* the string form when sent as a string */
    int64_t spam_score, phish_score, malware_score;
    double impostor_score;
    pptap_strlist modules_run;
    pptap_strlist policy_routes;
    const char *quarantine_folder;
    const char *quarantine_rule;
    const pptap_message_part *parts;
    size_t n_parts;
    const pptap_threat_info *threats;
    size_t n_threats;
    json_t *raw; /* owned by the result holding this event */
} pptap_message;

/** A clicksPermitted / clicksBlocked event. */
typedef struct {
    const char *id;
    const char *guid; /* GUID */
    const char *message_id;
    const char *url;
    const char *classification;
    const char *click_time_str;
    pptap_time_ms click_time;
    const char *threat_time_str;
    pptap_time_ms threat_time;
    const char *click_ip;
    const char *user_agent;
    const char *sender;
    const char *sender_ip;
    const char *recipient;  /* a string; the first element if an array came */
    const char *threat_id;  /* threatID | threatId */
    const char *threat_url; /* threatURL | threatUrl */
    const char *threat_status;
    const char *campaign_id; /* campaignId | campaignID; NULL when absent */
    json_t *raw;
} pptap_click;

/** A typed message event with its own lifetime (from the stream callback). */
typedef struct pptap_message_obj pptap_message_obj;

/**
 * Builds a typed view of a message event object (takes a reference on
 * `event`). Returns 0, PPTAP_EPROTO when `event` is not an object, or
 * PPTAP_ENOMEM. Release with pptap_message_free(); read with pptap_message_get().
 */
PPTAP_EXTERN int pptap_message_parse(pptap_message_obj **out, json_t *event);
/** The typed view; valid until pptap_message_free(). */
PPTAP_EXTERN const pptap_message *pptap_message_get(const pptap_message_obj *m);
/** Releases the view and its reference on the event. Accepts NULL. */
PPTAP_EXTERN void pptap_message_free(pptap_message_obj *m);

/** A typed click event with its own lifetime (see pptap_click_parse()). */
typedef struct pptap_click_obj pptap_click_obj;
/** Builds a typed view of a click event (takes a reference). 0, PPTAP_EPROTO or PPTAP_ENOMEM. */
PPTAP_EXTERN int pptap_click_parse(pptap_click_obj **out, json_t *event);
/** The typed view; valid until pptap_click_free(). */
PPTAP_EXTERN const pptap_click *pptap_click_get(const pptap_click_obj *c);
/** Releases the view and its reference on the event. Accepts NULL. */
PPTAP_EXTERN void pptap_click_free(pptap_click_obj *c);

/** A whole SIEM response, typed. Keys the endpoint does not return are empty. */
typedef struct {
    const char *query_end_time_str; /* NULL for 204 */
    pptap_time_ms query_end_time;
    const pptap_click *clicks_blocked;
    size_t n_clicks_blocked;
    const pptap_click *clicks_permitted;
    size_t n_clicks_permitted;
    const pptap_message *messages_blocked;
    size_t n_messages_blocked;
    const pptap_message *messages_delivered;
    size_t n_messages_delivered;
    long status; /* 200, or 204 (no content) */
    json_t *raw; /* the whole document; NULL for 204 */
    void *priv_;
} pptap_siem_result;

/**
 * Parses a whole SIEM JSON body (an empty body means "no content"). Returns 0,
 * PPTAP_EPROTO (not JSON, not an object, an event array that is not an array
 * of objects), or PPTAP_ENOMEM. Free with pptap_siem_result_free().
 */
PPTAP_EXTERN int pptap_siem_parse(pptap_siem_result **out, const char *body, size_t len);
/** Frees a SIEM result and its document. Accepts NULL. */
PPTAP_EXTERN void pptap_siem_result_free(pptap_siem_result *r);

/**
 * Runs a SIEM query and returns the raw body (JSON or syslog) in `body`
 * (appended; empty for 204). The response status is in
 * pptap_client_last_response(). Returns 0, PPTAP_EINVAL (validation or 4xx),
 * PPTAP_EAUTH, PPTAP_ERATELIMIT, PPTAP_ESERVER, PPTAP_ETIMEOUT, PPTAP_EUNAVAIL,
 * PPTAP_EPROTO, PPTAP_EBUFS (body over max_body_bytes), PPTAP_ENOMEM.
 */
PPTAP_EXTERN int pptap_siem_fetch(pptap_client *c, pptap_buf *body, const pptap_siem_query *q);

/** Runs a SIEM query (format must be JSON) and parses the whole body. Errors as above. */
PPTAP_EXTERN int pptap_siem_get(pptap_client *c, pptap_siem_result **out,
                                const pptap_siem_query *q);

/**
 * Stream callback: one event as it arrives. `event` is borrowed (incref it to
 * keep it). Return 0 to continue; any other value stops the transfer and the
 * stream returns PPTAP_ECANCELED.
 */
typedef int (*pptap_event_cb)(pptap_event_type type, json_t *event, void *payload);

/** What a stream delivered. Filled on success and on failure. */
typedef struct {
    size_t delivered; /* events passed to the callback, in order */
    size_t delivered_by_type[PPTAP_EVENT_COUNT_];
    pptap_time_ms query_end_time; /* PPTAP_TIME_NONE until seen (and for 204) */
    char query_end_time_str[PPTAP_TIME_STRLEN];
    long status;  /* HTTP status */
    int complete; /* 1 when the whole body was read and valid */
} pptap_stream_result;

/**
 * Runs a SIEM query with format=json and delivers each event to `cb` while
 * the body downloads; memory stays bounded by the largest event (capped by
 * max_event_bytes). On failure (truncated or malformed body: PPTAP_EPROTO;
 * an event over the cap: PPTAP_EBUFS; transport errors…) `res->delivered`
 * tells how many events the callback got before it: retry the whole window
 * and dedupe. Transparent retries happen only before the first event.
 * `res` may be NULL. Returns 0 or the errors of pptap_siem_fetch().
 */
PPTAP_EXTERN int pptap_siem_stream(pptap_client *c, const pptap_siem_query *q, pptap_event_cb cb,
                                   void *payload, pptap_stream_result *res);

/* ------------------------------------------------------------------------ */
/* Incremental splitter (used by pptap_siem_stream; public for other feeds)  */

typedef struct pptap_splitter pptap_splitter;

/**
 * Creates a splitter of a SIEM JSON document: feed it bytes in any chunks;
 * it calls `cb` with every element of the four event arrays and remembers
 * queryEndTime. `max_event` caps one element (0 = 8 MiB). Returns 0 or
 * PPTAP_ENOMEM.
 */
PPTAP_EXTERN int pptap_splitter_new(pptap_splitter **out, size_t max_event, pptap_event_cb cb,
                                    void *payload);

/**
 * Feeds `len` bytes. Returns 0, PPTAP_EPROTO (malformed), PPTAP_EBUFS (an
 * element over the cap), PPTAP_ECANCELED (the callback stopped) or
 * PPTAP_ENOMEM. After an error every further call returns the same error.
 */
PPTAP_EXTERN int pptap_splitter_feed(pptap_splitter *s, const char *data, size_t len);

/** Ends the input. Returns 0 when a complete document was seen, else PPTAP_EPROTO. */
PPTAP_EXTERN int pptap_splitter_finish(pptap_splitter *s);

/** Events delivered so far. */
PPTAP_EXTERN size_t pptap_splitter_delivered(const pptap_splitter *s);

/** queryEndTime as text ("" until seen) and as a time (PPTAP_TIME_NONE). */
PPTAP_EXTERN const char *pptap_splitter_query_end_time(const pptap_splitter *s, pptap_time_ms *out);

/** Describes the last error ("" when none). */
PPTAP_EXTERN const char *pptap_splitter_error(const pptap_splitter *s);

/** Frees a splitter. Accepts NULL. */
PPTAP_EXTERN void pptap_splitter_free(pptap_splitter *s);

/* ------------------------------------------------------------------------ */
/* Campaign API                                                              */

/** /v2/campaign/ids query: interval as text or start/end, page ≥ 1, size 1..200. */
typedef struct {
    const char *interval;
    pptap_time_ms start;
    pptap_time_ms end;
    int page; /* 0 = not sent (server default 1) */
    int size; /* 0 = not sent (server default 100) */
} pptap_campaign_ids_query;

/**
 * Checks a campaign ids query: interval given once, parses, 30 s ≤ length ≤
 * 1 day, ends in the past, starts at most 7 days ago; page ≥ 1; 1 ≤ size ≤ 200.
 * Returns 0 or PPTAP_EINVAL with the rule in `err` (may be NULL).
 */
PPTAP_EXTERN int pptap_campaign_ids_query_validate(const pptap_campaign_ids_query *q,
                                                   pptap_time_ms now, char err[PPTAP_ERRMSG_LEN]);

typedef struct {
    const char *id;
    const char *last_updated_at_str;
    pptap_time_ms last_updated_at;
} pptap_campaign_ref;

typedef struct {
    const pptap_campaign_ref *campaigns;
    size_t n_campaigns;
    json_t *raw; /* NULL when the server said 404 (no campaigns) */
    void *priv_;
} pptap_campaign_ids;

/**
 * Lists campaign ids (GET /v2/campaign/ids) after validation. A 404 is "no
 * campaigns" (success, empty list, raw NULL). Errors as pptap_siem_fetch().
 */
PPTAP_EXTERN int pptap_campaign_ids_get(pptap_client *c, pptap_campaign_ids **out,
                                        const pptap_campaign_ids_query *q);
/** Parses a campaign ids body. 0, PPTAP_EPROTO (not a JSON object) or PPTAP_ENOMEM. */
PPTAP_EXTERN int pptap_campaign_ids_parse(pptap_campaign_ids **out, const char *body, size_t len);
/** Frees the result. Accepts NULL. */
PPTAP_EXTERN void pptap_campaign_ids_free(pptap_campaign_ids *r);

typedef struct {
    const char *id; /* threat id */
    const char *threat;
    const char *name; /* read by some clients instead of `threat` */
    const char *threat_status;
    const char *type;
    const char *sub_type;
    const char *threat_time_str;
    pptap_time_ms threat_time;
} pptap_campaign_member;

typedef struct {
    const char *id;
    const char *name;
    const char *description;
    const char *start_date_str;
    pptap_time_ms start_date;
    int notable; /* 1, 0, -1 absent */
    pptap_namedlist actors, families, malware, techniques, brands;
    const pptap_campaign_member *members;
    size_t n_members;
    json_t *raw;
    void *priv_;
} pptap_campaign;

/**
 * Campaign details (GET /v2/campaign/{id}, the id percent-encoded).
 * PPTAP_ENOTFOUND for an unknown id (404); other errors as pptap_siem_fetch().
 */
PPTAP_EXTERN int pptap_campaign_get(pptap_client *c, pptap_campaign **out, const char *campaign_id);
/** Parses a campaign body. 0, PPTAP_EPROTO or PPTAP_ENOMEM. */
PPTAP_EXTERN int pptap_campaign_parse(pptap_campaign **out, const char *body, size_t len);
/** Frees the result. Accepts NULL. */
PPTAP_EXTERN void pptap_campaign_free(pptap_campaign *r);

/* ------------------------------------------------------------------------ */
/* Forensics API                                                             */

/** Exactly one of threat_id / campaign_id; include_campaign_forensics only with threat_id. */
typedef struct {
    const char *threat_id;
    const char *campaign_id;
    int include_campaign_forensics;
} pptap_forensics_query;

/** Checks a forensics query. Returns 0 or PPTAP_EINVAL with the rule in `err` (may be NULL). */
PPTAP_EXTERN int pptap_forensics_query_validate(const pptap_forensics_query *q,
                                                char err[PPTAP_ERRMSG_LEN]);

typedef struct {
    const char *name;
    const char *os;
    const char *version; /* sometimes absent */
} pptap_platform;

/**
 * The `what` of an evidence, flattened: every field any evidence type uses.
 * Fields the type does not carry are absent values. `raw` is the object.
 */
typedef struct {
    const char *sha256, *md5, *rule, *url, *path, *note, *action, *domain, *key, *value, *host,
        *name, *ip, *type;
    int blacklisted; /* boolean or integer (1) in the API; -1 absent */
    int malicious;   /* -1 absent */
    int64_t offset, size, signature_id, port, http_status;
    pptap_strlist cnames, ips, nameservers, nameservers_list;
    json_t *raw;
} pptap_evidence_what;

typedef struct {
    const char *type;
    const char *display;
    const char *engine;
    int malicious; /* -1 absent */
    const char *note;
    int64_t time; /* PPTAP_INT_NONE when absent */
    pptap_evidence_what what;
    const pptap_platform *platforms;
    size_t n_platforms;
    json_t *raw;
} pptap_evidence;

typedef struct {
    const char *scope; /* THREAT | CAMPAIGN */
    const char *id;
    const char *name;
    const char *threat_status;
    const char *type; /* deprecated */
    const pptap_evidence *forensics;
    size_t n_forensics;
    json_t *raw;
} pptap_forensics_report;

typedef struct {
    const char *generated_str;
    pptap_time_ms generated;
    const pptap_forensics_report *reports;
    size_t n_reports;
    json_t *raw;
    void *priv_;
} pptap_forensics;

/**
 * Forensics of a threat or a campaign (GET /v2/forensics) after validation.
 * PPTAP_ENOTFOUND for an unknown id, with the server's text ("threatId not
 * found") in the error; other errors as pptap_siem_fetch().
 */
PPTAP_EXTERN int pptap_forensics_get(pptap_client *c, pptap_forensics **out,
                                     const pptap_forensics_query *q);
/** Parses a forensics body. 0, PPTAP_EPROTO or PPTAP_ENOMEM. */
PPTAP_EXTERN int pptap_forensics_parse(pptap_forensics **out, const char *body, size_t len);
/** Frees the result. Accepts NULL. */
PPTAP_EXTERN void pptap_forensics_free(pptap_forensics *r);

/* ------------------------------------------------------------------------ */
/* Threat API                                                                */

typedef struct {
    const char *id;
    const char *identified_at_str;
    pptap_time_ms identified_at;
    const char *name;
    const char *type;
    const char *category;
    const char *status;
    const char *detection_type;
    int64_t severity_score; /* severityScore | severity */
    int64_t attack_spread;
    int notable;
    int vertically_targeted; /* verticallyTargeted (bool) */
    int geo_targeted;        /* geoTargeted (bool) */
    json_t *verticals;       /* `verticals` when sent instead (borrowed, any JSON) */
    json_t *geographies;     /* `geographies` when sent instead (borrowed, any JSON) */
    pptap_namedlist actors, families, malware, techniques, brands;
    json_t *raw;
    void *priv_;
} pptap_threat_summary;

/**
 * Threat summary (GET /v2/threat/summary/{id}, not throttled). PPTAP_ENOTFOUND
 * for an unknown id; other errors as pptap_siem_fetch().
 */
PPTAP_EXTERN int pptap_threat_summary_get(pptap_client *c, pptap_threat_summary **out,
                                          const char *threat_id);
/** Parses a threat summary body (either field spelling). 0, PPTAP_EPROTO or PPTAP_ENOMEM. */
PPTAP_EXTERN int pptap_threat_summary_parse(pptap_threat_summary **out, const char *body,
                                            size_t len);
/** Frees the result. Accepts NULL. */
PPTAP_EXTERN void pptap_threat_summary_free(pptap_threat_summary *r);

/* ------------------------------------------------------------------------ */
/* People API                                                                */

/** VAP / top clickers query: window 14, 30 or 90 days; size and page optional. */
typedef struct {
    int window;
    int size; /* 0 = not sent; VAP 1..1000, top clickers 1..200 */
    int page; /* 0 = not sent; ≥ 1 */
} pptap_people_query;

/** Checks a people query for `ep` (PPTAP_EP_PEOPLE_VAP or _TOP_CLICKERS). */
PPTAP_EXTERN int pptap_people_query_validate(pptap_endpoint ep, const pptap_people_query *q,
                                             char err[PPTAP_ERRMSG_LEN]);

typedef struct {
    const char *name;
    int64_t score;  /* VAP families */
    int64_t clicks; /* top clickers families */
} pptap_family_stat;

typedef struct {
    const char *guid;
    const char *customer_user_id;
    pptap_strlist emails;
    const char *name, *department, *location, *title;
    int vip;
    int64_t attack_index; /* VAP: threatStatistics.attackIndex */
    int64_t click_count;  /* top clickers: clickStatistics.clickCount */
    const pptap_family_stat *families;
    size_t n_families;
    json_t *raw;
} pptap_person;

typedef struct {
    const char *interval;
    int64_t total;                     /* totalVapUsers | totalTopClickers */
    double average_attack_index;       /* VAP */
    double vap_attack_index_threshold; /* VAP */
    const pptap_person *users;
    size_t n_users;
    json_t *raw;
    void *priv_;
} pptap_people;

/** Very Attacked People (GET /v2/people/vap) after validation. Errors as pptap_siem_fetch(). */
PPTAP_EXTERN int pptap_people_vap_get(pptap_client *c, pptap_people **out,
                                      const pptap_people_query *q);
/** Top clickers (GET /v2/people/top-clickers) after validation. Errors as pptap_siem_fetch(). */
PPTAP_EXTERN int pptap_people_top_clickers_get(pptap_client *c, pptap_people **out,
                                               const pptap_people_query *q);
/** Parses a VAP or top clickers body. 0, PPTAP_EPROTO or PPTAP_ENOMEM. */
PPTAP_EXTERN int pptap_people_parse(pptap_people **out, const char *body, size_t len);
/** Frees the result. Accepts NULL. */
PPTAP_EXTERN void pptap_people_free(pptap_people *r);

/* ------------------------------------------------------------------------ */
/* URL Decoder API                                                           */

/** Upper bound of URLs per pptap_url_decode() call. */
#define PPTAP_URL_DECODE_MAX_URLS 100000
/** Upper bound of one URL's length. */
#define PPTAP_URL_MAX_LEN 65536

typedef struct {
    const char *encoded_url;
    const char *decoded_url; /* NULL on failure */
    int success;
    const char *error;
    const char *message_guid;    /* authenticated requests only */
    const char *cluster_name;    /* idem */
    const char *recipient_email; /* idem */
} pptap_decoded_url;

typedef struct {
    const pptap_decoded_url *urls;
    size_t n_urls;
    json_t *raw; /* {"urls": [...]} merged over the batches */
    void *priv_;
} pptap_url_decode_result;

/**
 * Decodes `n` rewritten URLs with POST /v2/url/decode, in batches of
 * opts.decode_batch (one request per batch, each counted in the url-decode
 * pool). Per-URL failures are results with success 0, not errors. Returns 0,
 * PPTAP_EINVAL (no URLs, an empty URL, over the caps), or the errors of
 * pptap_siem_fetch(); on error nothing is returned (earlier batches were
 * still sent and counted).
 */
PPTAP_EXTERN int pptap_url_decode(pptap_client *c, pptap_url_decode_result **out,
                                  const char *const *urls, size_t n);
/** Parses a URL decode body. 0, PPTAP_EPROTO or PPTAP_ENOMEM. */
PPTAP_EXTERN int pptap_url_decode_parse(pptap_url_decode_result **out, const char *body,
                                        size_t len);
/** Frees the result. Accepts NULL. */
PPTAP_EXTERN void pptap_url_decode_result_free(pptap_url_decode_result *r);

/* ------------------------------------------------------------------------ */
/* Encoding helpers                                                          */

/**
 * Appends `s` percent-encoded for a query value or path segment: every byte
 * outside A–Z a–z 0–9 - . _ ~ becomes %XX (so "+" is "%2B", "/" "%2F", ":"
 * "%3A"). Returns 0 or PPTAP_ENOMEM.
 */
PPTAP_EXTERN int pptap_url_encode(pptap_buf *out, const char *s, size_t len);

#ifdef __cplusplus
}
#endif

#endif
