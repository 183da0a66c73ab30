/*
 * pptap — event identity and the local store (SQLite).
 *
 * Identity: every SIEM event gets a stable `event_id` and a `content_hash`
 * (docs/store.md gives the exact definitions). The store keeps events with
 * their indexed fields, per-tenant checkpoints, the request ledger of the
 * rate-limit pools, gap records and a quarantine for events that could not be
 * read. Every call works inside a transaction the caller opened with
 * pptap_store_begin(), so a collector can commit a window's events, its
 * checkpoint and its output offset together.
 *
 * A store handle is not thread safe; use one handle per thread. Strings
 * given to the store are copied; strings the store hands to a callback are
 * valid during that callback only.
 */
#ifndef PPTAP_STORE_H
#define PPTAP_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <pptap/common.h>
#include <pptap/tap.h>
#include <pptap/time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Identity                                                                  */

/** Size of an event id buffer (NUL included): API ids longer than this are refused. */
#define PPTAP_EVENT_ID_MAX 160
/** Size of a hex SHA-256 (NUL included). */
#define PPTAP_HASH_HEX_LEN 65

/** The identity of one event. */
typedef struct {
    char event_id[PPTAP_EVENT_ID_MAX];     /* the API's `id`, or "h:" + hex SHA-256 */
    char content_hash[PPTAP_HASH_HEX_LEN]; /* hex SHA-256 of the canonical form */
    int from_api;                          /* 1 when event_id is the API's `id` */
} pptap_event_identity;

/**
 * Appends the canonical form of `event` to `out`: compact JSON with object
 * keys sorted, `messageParts` sorted by sha256 then md5, `threatsInfoMap`
 * sorted by threat id, and the string lists recipient, fromAddress,
 * toAddresses, ccAddresses, replyToAddress, modulesRun and policyRoutes
 * sorted (ties and other elements broken by their canonical text). `event`
 * is not modified. Returns 0, PPTAP_EINVAL (not an object) or PPTAP_ENOMEM.
 */
PPTAP_EXTERN int pptap_event_canonical(pptap_buf *out, json_t *event);

/**
 * Computes the identity of an event of type `type` (see docs/store.md).
 * Returns 0; PPTAP_EINVAL when `event` is not an object, its `id` is not a
 * string, longer than PPTAP_EVENT_ID_MAX - 1 or holds control characters, or
 * it has neither an `id` nor a GUID; PPTAP_ENOMEM. `out` is untouched on failure.
 */
PPTAP_EXTERN int pptap_event_identify(pptap_event_identity *out, pptap_event_type type,
                                      json_t *event);

/* ------------------------------------------------------------------------ */
/* Store                                                                     */

typedef struct pptap_store pptap_store;

/** The schema version this library writes (PRAGMA user_version). */
#define PPTAP_STORE_SCHEMA_VERSION 4

/* Caps on what users and servers control. */
#define PPTAP_STORE_TENANT_MAX 128       /* bytes of a tenant name */
#define PPTAP_STORE_NAME_MAX 256         /* bytes of a checkpoint or pool name */
#define PPTAP_STORE_TEXT_MAX (1u << 20)  /* bytes of a checkpoint text value */
#define PPTAP_STORE_EVENT_MAX (4u << 20) /* bytes of one event's JSON */
#define PPTAP_STORE_FIELD_MAX 65536      /* bytes of one indexed field (URL, address…) */
#define PPTAP_STORE_LIST_MAX 10000       /* recipients, threats or parts of one event */
#define PPTAP_STORE_REASON_MAX 1024      /* bytes of a gap or quarantine reason (truncated) */
#define PPTAP_STORE_SEARCH_DEFAULT 1000  /* results when the query gives no limit */
#define PPTAP_STORE_SEARCH_MAX 1000000   /* largest limit */
#define PPTAP_STORE_TOP_MAX 1000         /* largest "top N" in stats */
#define PPTAP_STORE_RETENTION_DEFAULT_DAYS 90
#define PPTAP_STORE_DEDUPE_KEEP_DAYS 8 /* ids seen this recently are never purged */
#define PPTAP_STORE_LEDGER_KEEP_MS (24 * 3600 * 1000LL)
#define PPTAP_STORE_CASE_FIELD_MAX 65536     /* bytes of a case id, type, identifier, title */
#define PPTAP_STORE_CASE_BODY_MAX (1u << 20) /* bytes of an insight body or entity properties */

/* Open flags. */
enum {
    /* Fail with PPTAP_ENOTFOUND when the file does not exist. */
    PPTAP_STORE_NOCREATE = 1u << 0,
    /* Open read-only (implies NOCREATE); an older schema is PPTAP_ECONFIG. */
    PPTAP_STORE_READONLY = 1u << 1,
    /* Accept a file that others may read or write (mode & 0006). */
    PPTAP_STORE_ALLOW_OPEN_MODE = 1u << 2,
};

/** Store options; zero-initialise for defaults. */
typedef struct {
    unsigned flags;      /* PPTAP_STORE_* */
    int busy_timeout_ms; /* waiting on another writer; 0 = 5000 */
    /* Clock for first/last seen and record times; NULL = pptap_time_now(). */
    pptap_time_ms (*clock)(void *payload);
    void *clock_payload;
} pptap_store_opts;

/**
 * Opens (and creates, mode 0600) the store at `path`: WAL journal,
 * synchronous=FULL, foreign keys on, busy timeout, and the schema migrated
 * forward to PPTAP_STORE_SCHEMA_VERSION. `opts` may be NULL. Returns 0;
 * PPTAP_ENOTFOUND (no such file with NOCREATE/READONLY); PPTAP_ECONFIG (the
 * file is readable or writable by others, a newer schema, or an older one
 * when read-only); PPTAP_EIO (not an SQLite database, cannot open);
 * PPTAP_EINVAL; PPTAP_ENOMEM. On failure the reason is in `err` (may be
 * NULL) and *out is NULL. Close with pptap_store_close().
 */
PPTAP_EXTERN int pptap_store_open(pptap_store **out, const char *path, const pptap_store_opts *opts,
                                  char err[PPTAP_ERRMSG_LEN]);

/** Closes the store; an open transaction is rolled back. Accepts NULL. */
PPTAP_EXTERN void pptap_store_close(pptap_store *st);

/** Describes the last failed call on `st` ("" when none). */
PPTAP_EXTERN const char *pptap_store_last_error(const pptap_store *st);

/** The schema version of the open store. */
PPTAP_EXTERN int pptap_store_schema_version(const pptap_store *st);

/**
 * Starts a write transaction (BEGIN IMMEDIATE). Transactions do not nest:
 * PPTAP_EINVAL when one is open. Returns 0, PPTAP_EINVAL, PPTAP_ETIMEOUT
 * (another writer held the store past the busy timeout) or PPTAP_EIO. Any
 * call that writes may return PPTAP_ETIMEOUT the same way.
 */
PPTAP_EXTERN int pptap_store_begin(pptap_store *st);
/** Commits the open transaction. 0, PPTAP_EINVAL (none open) or PPTAP_EIO. */
PPTAP_EXTERN int pptap_store_commit(pptap_store *st);
/** Rolls back the open transaction. 0, PPTAP_EINVAL (none open) or PPTAP_EIO. */
PPTAP_EXTERN int pptap_store_rollback(pptap_store *st);

/* --- events -------------------------------------------------------------- */

/** What pptap_store_put_event() did. */
typedef enum {
    PPTAP_STORE_NEW = 0,     /* first time this event_id was seen */
    PPTAP_STORE_DUPLICATE,   /* same id, same content: only last_seen was written */
    PPTAP_STORE_UPDATED,     /* same id, new content: row replaced, updates + 1 */
    PPTAP_STORE_QUARANTINED, /* unreadable: kept in the quarantine with the reason */
} pptap_store_outcome;

/** The name of an outcome: "new", "duplicate", "updated", "quarantined". */
PPTAP_EXTERN const char *pptap_store_outcome_name(pptap_store_outcome o);

typedef struct {
    pptap_store_outcome outcome;
    pptap_event_identity identity;       /* empty strings when quarantined */
    int64_t updates;                     /* update count after this call */
    char reason[PPTAP_STORE_REASON_MAX]; /* why it was quarantined, "" otherwise */
} pptap_store_put_result;

/**
 * Stores one event of `type` for `tenant` (borrowed; not modified). An event
 * whose fields cannot be extracted (not an object, no event time, neither id
 * nor GUID, a field over the caps) goes to the quarantine and the call still
 * returns 0 with outcome PPTAP_STORE_QUARANTINED. Each call is atomic (a
 * savepoint) and works inside or outside the caller's transaction. `res` may
 * be NULL. Returns 0, PPTAP_EINVAL (bad arguments), PPTAP_EIO, PPTAP_ENOMEM.
 */
PPTAP_EXTERN int pptap_store_put_event(pptap_store *st, const char *tenant, pptap_event_type type,
                                       json_t *event, pptap_store_put_result *res);

/**
 * Deletes events whose event time is more than `days` (0 = 90) days before
 * `now` and that were not seen within the last PPTAP_STORE_DEDUPE_KEEP_DAYS
 * days (so re-emissions are still recognised), quarantine and gap records
 * older than `days`, and ledger entries older than 24 h. `purged` (may be
 * NULL) gets the number of events deleted. Returns 0, PPTAP_EINVAL or PPTAP_EIO.
 */
PPTAP_EXTERN int pptap_store_purge(pptap_store *st, int64_t *purged, pptap_time_ms now, int days);

/* --- search -------------------------------------------------------------- */

/* How the url filter matches. */
typedef enum {
    PPTAP_STORE_URL_EXACT = 0, /* the whole URL, raw or decoded, byte for byte */
    PPTAP_STORE_URL_SUBSTRING, /* a substring of the raw or decoded URL */
} pptap_store_url_match;

/**
 * A search. NULL/0 fields do not filter; all given filters must hold.
 * Addresses, hashes, threat and campaign ids, classification and status
 * compare without case; GUID, message id and URL exactly (message ids
 * without their angle brackets). A url that is itself a URL Defense link is
 * decoded and both forms are looked for. Times bound the event time
 * (or the creation time with by_creation): from ≤ t < to (0 = unbounded).
 */
typedef struct {
    const char *tenant;
    const char *recipient; /* message recipients, click recipient */
    const char *sender;
    const char *url; /* threat URLs of messages, clicked URLs */
    pptap_store_url_match url_match;
    const char *sha256; /* attachment (messageParts) or attachment threat */
    const char *threat_id;
    const char *campaign_id;
    const char *guid;
    const char *message_id;
    unsigned types; /* bits 1u << pptap_event_type; 0 = all */
    const char *classification;
    const char *threat_status;
    pptap_time_ms from, to;
    size_t limit; /* 0 = PPTAP_STORE_SEARCH_DEFAULT; at most PPTAP_STORE_SEARCH_MAX */
    /* 1: from/to bound the creation time (the later of the event time and
     * its threat times: what a SIEM interval selects on) and results come
     * newest creation time first. */
    int by_creation;
} pptap_store_query;

/** One search result; valid during the callback only. */
typedef struct {
    const char *tenant;
    const char *event_id;
    pptap_event_type type;
    const char *content_hash;
    pptap_time_ms event_time;
    pptap_time_ms first_seen, last_seen;
    pptap_time_ms creation_time; /* the later of event_time and the threat times */
    int64_t updates;
    const char *raw; /* the event's JSON as received */
    size_t raw_len;
} pptap_store_event;

/** Receives one result; a non-zero return stops the search (PPTAP_ECANCELED). */
typedef int (*pptap_store_event_cb)(const pptap_store_event *ev, void *payload);

/**
 * Finds events matching `q`, newest event time (or creation time) first, and calls `cb` for
 * each. Returns 0, PPTAP_EINVAL (a filter over PPTAP_STORE_FIELD_MAX, a limit
 * over the cap), PPTAP_ECANCELED, PPTAP_EIO or PPTAP_ENOMEM.
 */
PPTAP_EXTERN int pptap_store_search(pptap_store *st, const pptap_store_query *q,
                                    pptap_store_event_cb cb, void *payload);

/** Stats options; zero-initialise for all tenants, all time, top 10. */
typedef struct {
    const char *tenant;
    pptap_time_ms from, to; /* on the event time, from ≤ t < to; 0 = unbounded */
    int top;                /* rows in each top list; 0 = 10, at most PPTAP_STORE_TOP_MAX */
} pptap_store_stats_query;

/**
 * Summarises the events: a new JSON object (caller owns it, json_decref) with
 * "events" (total), "by_type" {type: n}, "by_classification" {class: n}
 * (lower case; a message counts once per distinct classification of its
 * threats), "top_threats" [{threat_id, classification, threat, events}],
 * "top_campaigns" [{campaign_id, events}], "top_clickers" [{recipient,
 * clicks}] (permitted clicks), "per_day" [{day, events, by_type}], and
 * "from"/"to" when given. Returns 0, PPTAP_EINVAL, PPTAP_EIO or PPTAP_ENOMEM.
 */
PPTAP_EXTERN int pptap_store_stats(pptap_store *st, json_t **out, const pptap_store_stats_query *q);

/* --- checkpoints --------------------------------------------------------- */

/**
 * Sets the named integer checkpoint of `tenant` (replacing any value).
 * Returns 0, PPTAP_EINVAL (empty or over-long names) or PPTAP_EIO.
 */
PPTAP_EXTERN int pptap_store_checkpoint_set_int(pptap_store *st, const char *tenant,
                                                const char *name, int64_t value);
/** Reads an integer checkpoint. 0, PPTAP_ENOTFOUND (never set, or text), PPTAP_EINVAL, PPTAP_EIO.
 */
PPTAP_EXTERN int pptap_store_checkpoint_get_int(pptap_store *st, int64_t *out, const char *tenant,
                                                const char *name);
/** Sets a text checkpoint (≤ PPTAP_STORE_TEXT_MAX bytes). 0, PPTAP_EINVAL or PPTAP_EIO. */
PPTAP_EXTERN int pptap_store_checkpoint_set_text(pptap_store *st, const char *tenant,
                                                 const char *name, const char *value);
/**
 * Appends a text checkpoint to `out`. 0, PPTAP_ENOTFOUND (never set, or an
 * integer), PPTAP_EINVAL, PPTAP_EIO, PPTAP_ENOMEM.
 */
PPTAP_EXTERN int pptap_store_checkpoint_get_text(pptap_store *st, pptap_buf *out,
                                                 const char *tenant, const char *name);

/* --- request ledger ------------------------------------------------------ */

/**
 * Records one request of `tenant` in rate-limit pool `pool` at time `at`,
 * with its HTTP status (0 when no response came). Returns 0, PPTAP_EINVAL or
 * PPTAP_EIO.
 */
PPTAP_EXTERN int pptap_store_ledger_add(pptap_store *st, const char *tenant, const char *pool,
                                        pptap_time_ms at, int http_status);

/**
 * Counts the requests of (tenant, pool) in the rolling window
 * (now - window_ms, now], every status included. `free_at` (may be NULL)
 * gets the time the oldest of them ages out of the window (its time +
 * window_ms), or PPTAP_TIME_NONE when the window is empty. Returns 0,
 * PPTAP_EINVAL or PPTAP_EIO.
 */
PPTAP_EXTERN int pptap_store_ledger_count(pptap_store *st, int64_t *count, pptap_time_ms *free_at,
                                          const char *tenant, const char *pool, pptap_time_ms now,
                                          int64_t window_ms);

/** Deletes ledger entries older than now - 24 h. `pruned` may be NULL. 0 or PPTAP_EIO. */
PPTAP_EXTERN int pptap_store_ledger_prune(pptap_store *st, int64_t *pruned, pptap_time_ms now);

/* --- gaps ---------------------------------------------------------------- */

/** A gap record: data between `from` and `to` that will never be collected. */
typedef struct {
    int64_t id;
    const char *tenant;
    pptap_time_ms from, to;
    const char *reason;
    pptap_time_ms recorded_at;
} pptap_store_gap;

/**
 * Records a gap [from, to) for `tenant` with a reason (truncated to
 * PPTAP_STORE_REASON_MAX - 1 bytes), stamped with the store's clock.
 * Returns 0, PPTAP_EINVAL (to < from, bad names) or PPTAP_EIO.
 */
PPTAP_EXTERN int pptap_store_gap_add(pptap_store *st, const char *tenant, pptap_time_ms from,
                                     pptap_time_ms to, const char *reason);

/** Receives one gap record; a non-zero return stops the listing (PPTAP_ECANCELED). */
typedef int (*pptap_store_gap_cb)(const pptap_store_gap *gap, void *payload);

/**
 * Calls `cb` for each gap of `tenant` (NULL = every tenant), oldest `from`
 * first. 0, PPTAP_ECANCELED, PPTAP_EIO.
 */
PPTAP_EXTERN int pptap_store_gap_list(pptap_store *st, const char *tenant, pptap_store_gap_cb cb,
                                      void *payload);

/* --- quarantine ---------------------------------------------------------- */

/** A quarantined event. */
typedef struct {
    int64_t id;
    const char *tenant;
    const char *type; /* event type name, "" when unknown */
    pptap_time_ms received_at;
    const char *reason;
    const char *raw; /* the JSON as received (at most PPTAP_STORE_EVENT_MAX bytes) */
    size_t raw_len;
} pptap_store_quarantined;

/**
 * Quarantines raw input `raw` (`len` bytes, truncated to PPTAP_STORE_EVENT_MAX)
 * with a reason; `type` may be NULL. pptap_store_put_event() calls it for
 * unreadable events; collectors use it for lines that are not JSON.
 * Returns 0, PPTAP_EINVAL or PPTAP_EIO.
 */
PPTAP_EXTERN int pptap_store_quarantine_add(pptap_store *st, const char *tenant, const char *type,
                                            const char *reason, const char *raw, size_t len);

/** Receives one quarantined event; a non-zero return stops the listing (PPTAP_ECANCELED). */
typedef int (*pptap_store_quarantine_cb)(const pptap_store_quarantined *q, void *payload);

/**
 * Calls `cb` for each quarantined event of `tenant` (NULL = all), oldest
 * first. 0, PPTAP_ECANCELED, PPTAP_EIO.
 */
PPTAP_EXTERN int pptap_store_quarantine_list(pptap_store *st, const char *tenant,
                                             pptap_store_quarantine_cb cb, void *payload);

/** Counts quarantined events of `tenant` (NULL = all). 0, PPTAP_EIO. */
PPTAP_EXTERN int pptap_store_quarantine_count(pptap_store *st, int64_t *count, const char *tenant);

/* --- cases --------------------------------------------------------------- */

/*
 * Cases hold what SOAR actions create: entities (unique per case, type and
 * identifier; identifiers compare without case) and insights (unique per
 * case, action, title, entity and body, so re-running an action on the same
 * data adds nothing). docs/store.md describes the tables.
 */

/** An entity of a case. */
typedef struct {
    const char *case_id;
    const char *entity_type; /* "URL", "USERUNIQNAME", "FILEHASH", "THREATACTOR"... */
    const char *identifier;
    const char *properties;   /* JSON object text; NULL when adding = "{}" */
    const char *created_by;   /* the action, or who added it ("pptap case add-entity") */
    pptap_time_ms created_at; /* set by the store's clock when adding */
} pptap_store_case_entity;

/**
 * Adds an entity to a case unless the case already has one of that type and
 * identifier. `added` (may be NULL) gets 1 when it was added, 0 when it was
 * already there (nothing changes then). Works inside or outside a
 * transaction. Returns 0, PPTAP_EINVAL (empty or over-long fields,
 * properties that are not a JSON object), PPTAP_ETIMEOUT or PPTAP_EIO.
 */
PPTAP_EXTERN int pptap_store_case_entity_add(pptap_store *st, const pptap_store_case_entity *e,
                                             int *added);

/** Receives one case entity; a non-zero return stops the listing (PPTAP_ECANCELED). */
typedef int (*pptap_store_case_entity_cb)(const pptap_store_case_entity *e, void *payload);

/**
 * Calls `cb` for each entity of `case_id`, in the order they were added.
 * Returns 0 (also for an unknown case), PPTAP_EINVAL, PPTAP_ECANCELED or PPTAP_EIO.
 */
PPTAP_EXTERN int pptap_store_case_entity_list(pptap_store *st, const char *case_id,
                                              pptap_store_case_entity_cb cb, void *payload);

/** An insight of a case. */
typedef struct {
    const char *case_id;
    const char *action; /* the action that created it ("Get Campaign") */
    const char *title;
    const char *severity; /* "Informational", "Warning", ... */
    const char *type;     /* "General" or "Entity" */
    const char *body;     /* HTML */
    const char *entity;   /* the entity it is about, NULL for the case */
    pptap_time_ms created_at;
} pptap_store_case_insight;

/**
 * Adds an insight to a case unless the same action already added one with
 * the same title, entity and body. `added` (may be NULL) as for entities.
 * Returns 0, PPTAP_EINVAL, PPTAP_ETIMEOUT, PPTAP_EIO or PPTAP_ENOMEM.
 */
PPTAP_EXTERN int pptap_store_case_insight_add(pptap_store *st, const pptap_store_case_insight *in,
                                              int *added);

/** Receives one insight; a non-zero return stops the listing (PPTAP_ECANCELED). */
typedef int (*pptap_store_case_insight_cb)(const pptap_store_case_insight *in, void *payload);

/** Calls `cb` for each insight of `case_id`, oldest first. Errors as the entity listing. */
PPTAP_EXTERN int pptap_store_case_insight_list(pptap_store *st, const char *case_id,
                                               pptap_store_case_insight_cb cb, void *payload);

/** A case in the listing. */
typedef struct {
    const char *case_id;
    int64_t entities, insights;
    pptap_time_ms first, last; /* oldest and newest creation time of its records */
} pptap_store_case_summary;

typedef int (*pptap_store_case_cb)(const pptap_store_case_summary *c, void *payload);

/**
 * Calls `cb` for every case that has entities or insights, most recently
 * changed first. Returns 0, PPTAP_ECANCELED or PPTAP_EIO.
 */
PPTAP_EXTERN int pptap_store_case_list(pptap_store *st, pptap_store_case_cb cb, void *payload);

#ifdef __cplusplus
}
#endif

#endif
