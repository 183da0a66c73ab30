/*
 * pptap — the TAP API client handle: transport (libcurl), credentials,
 * retries, throttle pools, request traces and per-response facts.
 *
 * One pptap_client is one set of credentials talking to one base URL. A
 * handle is not thread-safe: use one per thread (they are cheap). The
 * endpoint functions live in <pptap/tap.h>.
 *
 * Errors: every function returns 0 or a negative PPTAP_E* code. After a
 * failed call on a handle, pptap_client_last_error() describes it (the
 * server's text for a 4xx, the curl error for a transport failure, the rule
 * broken for a validation error) and pptap_client_last_response() gives the
 * HTTP status, the pool and the server's Date header.
 */
#ifndef PPTAP_CLIENT_H
#define PPTAP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <pptap/common.h>
#include <pptap/time.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The API's default base URL. */
#define PPTAP_DEFAULT_BASE_URL "https://tap-api-v2.proofpoint.com"

/** Size of the buffers that hold one error message (NUL included). */
#define PPTAP_ERRMSG_LEN 512

/* ------------------------------------------------------------------------ */
/* Endpoints and throttle pools                                              */

/** Every TAP v2 endpoint the client knows. */
typedef enum {
    PPTAP_EP_SIEM_ALL = 0,            /* GET /v2/siem/all */
    PPTAP_EP_SIEM_ISSUES,             /* GET /v2/siem/issues */
    PPTAP_EP_SIEM_CLICKS_BLOCKED,     /* GET /v2/siem/clicks/blocked */
    PPTAP_EP_SIEM_CLICKS_PERMITTED,   /* GET /v2/siem/clicks/permitted */
    PPTAP_EP_SIEM_MESSAGES_BLOCKED,   /* GET /v2/siem/messages/blocked */
    PPTAP_EP_SIEM_MESSAGES_DELIVERED, /* GET /v2/siem/messages/delivered */
    PPTAP_EP_CAMPAIGN_IDS,            /* GET /v2/campaign/ids */
    PPTAP_EP_CAMPAIGN,                /* GET /v2/campaign/{id} */
    PPTAP_EP_FORENSICS,               /* GET /v2/forensics */
    PPTAP_EP_THREAT_SUMMARY,          /* GET /v2/threat/summary/{id} */
    PPTAP_EP_PEOPLE_VAP,              /* GET /v2/people/vap */
    PPTAP_EP_PEOPLE_TOP_CLICKERS,     /* GET /v2/people/top-clickers */
    PPTAP_EP_URL_DECODE,              /* POST /v2/url/decode */
    PPTAP_EP_COUNT_
} pptap_endpoint;

/**
 * The rolling-24 h throttle pools of the API (reference §12). Requests in the
 * same pool share one quota. Pools whose limit is not documented are still
 * separate pools so a ledger can count them.
 */
typedef enum {
    PPTAP_POOL_NONE = 0,              /* not throttled (threat summary) */
    PPTAP_POOL_SIEM_CLICKS_PERMITTED, /* /v2/siem/clicks/permitted: 1800 */
    PPTAP_POOL_SIEM_OTHER,            /* every other SIEM endpoint: 1800 */
    PPTAP_POOL_CAMPAIGN_IDS,          /* /v2/campaign/ids: 50 */
    PPTAP_POOL_CAMPAIGN,              /* /v2/campaign/{id}: undocumented */
    PPTAP_POOL_FORENSICS,             /* /v2/forensics: undocumented */
    PPTAP_POOL_VAP,                   /* /v2/people/vap: 50 */
    PPTAP_POOL_TOP_CLICKERS,          /* /v2/people/top-clickers: undocumented */
    PPTAP_POOL_URL_DECODE,            /* /v2/url/decode: 1800 */
    PPTAP_POOL_COUNT_
} pptap_pool;

/** The throttle pool a request to `ep` counts against. */
PPTAP_EXTERN pptap_pool pptap_endpoint_pool(pptap_endpoint ep);

/**
 * The pool of a request path such as "/v2/siem/all" or "/v2/campaign/abc"
 * (a query string is ignored). PPTAP_POOL_NONE for unknown paths. Meant for
 * ledgers and the simulator.
 */
PPTAP_EXTERN pptap_pool pptap_path_pool(const char *path);

/** Stable name of a pool: "siem-clicks-permitted", "siem-other", "campaign-ids",
 * "campaign", "forensics", "vap", "top-clickers", "url-decode", "none". */
PPTAP_EXTERN const char *pptap_pool_name(pptap_pool pool);

/** The documented number of requests per rolling 24 h, or 0 when none is documented. */
PPTAP_EXTERN int pptap_pool_limit(pptap_pool pool);

/** Stable name of an endpoint ("siem-all", "campaign-ids", "url-decode", …). */
PPTAP_EXTERN const char *pptap_endpoint_name(pptap_endpoint ep);

/* ------------------------------------------------------------------------ */
/* Traces                                                                    */

/** What a trace record reports. */
typedef enum {
    PPTAP_TRACE_REQUEST = 0, /* a request is about to be sent */
    PPTAP_TRACE_RESPONSE,    /* response headers and status are in */
    PPTAP_TRACE_RETRY,       /* the attempt failed and will be retried after `retry_in_ms` */
    PPTAP_TRACE_ERROR,       /* the request failed for good */
} pptap_trace_kind;

/**
 * One trace record. Every pointer is valid only during the callback. The
 * credentials never appear: `headers` shows "Authorization: Basic <redacted>".
 */
typedef struct {
    pptap_trace_kind kind;
    const char *method;  /* "GET" or "POST" */
    const char *url;     /* full URL with query */
    int attempt;         /* 1 for the first try */
    long status;         /* HTTP status, 0 when none */
    int64_t elapsed_ms;  /* since this attempt started (RESPONSE, RETRY, ERROR) */
    int64_t retry_in_ms; /* RETRY only */
    const char *headers; /* REQUEST: request headers; RESPONSE: response headers;
                            "Name: value" lines separated by '\n' */
    const char *message; /* RETRY/ERROR: what went wrong; otherwise "" */
} pptap_trace;

/** Trace callback; `payload` is pptap_client_opts.trace_payload. */
typedef void (*pptap_trace_cb)(const pptap_trace *t, void *payload);

/** A clock for tests and simulators: returns "now" in ms since the epoch. */
typedef pptap_time_ms (*pptap_clock_cb)(void *payload);

/* ------------------------------------------------------------------------ */
/* Options                                                                   */

/**
 * Client options. Zero means "default" for every field; initialise with
 * PPTAP_CLIENT_OPTS_INIT or memset 0. pptap_client_new() copies the strings.
 */
typedef struct {
    const char *base_url;  /* default PPTAP_DEFAULT_BASE_URL; http:// or https:// */
    const char *principal; /* service principal (HTTP Basic user); NULL = no auth */
    const char *secret;    /* service secret; copied and wiped on free */

    long connect_timeout_ms; /* default 10000 */
    long timeout_ms;         /* whole request, body included; default 300000 */
    long low_speed_secs;     /* abort when under 1 byte/s for this long; default 60 */
    const char *proxy;       /* proxy URL; NULL = libcurl's environment (https_proxy…) */
    const char *noproxy;     /* hosts that bypass the proxy (curl syntax) */
    const char *cacert;      /* CA bundle file; NULL = system default */
    int insecure;            /* 1 = do not verify the server's certificate (unsafe) */
    const char *user_agent;  /* default "pptap/<version> libcurl/<version>" */

    int max_attempts;       /* tries per request for retryable failures; default 4 */
    int64_t retry_base_ms;  /* first backoff ceiling; default 1000 */
    int64_t retry_cap_ms;   /* backoff ceiling; default 30000 */
    int64_t retry_total_ms; /* no retry starts past this since the first try; default 120000 */

    size_t max_body_bytes;  /* cap of a whole response body; default 256 MiB */
    size_t max_event_bytes; /* cap of one streamed SIEM event; default 8 MiB */
    size_t decode_batch;    /* URLs per /v2/url/decode request; default 100 */

    pptap_trace_cb trace; /* optional trace callback (the CLI's -v) */
    void *trace_payload;
    pptap_clock_cb clock; /* optional clock for validation; default wall clock */
    void *clock_payload;
} pptap_client_opts;

#define PPTAP_CLIENT_OPTS_INIT                                                                     \
    {                                                                                              \
        0                                                                                          \
    }

/** Opaque client handle. */
typedef struct pptap_client pptap_client;

/**
 * Creates a client. `opts` may be NULL for all defaults (no credentials).
 * Strings are copied. Returns 0, PPTAP_ENOMEM, or PPTAP_EINVAL/PPTAP_ECONFIG
 * for bad options (a base URL that is not http(s), a principal without a
 * secret…); on error *out is untouched.
 */
PPTAP_EXTERN int pptap_client_new(pptap_client **out, const pptap_client_opts *opts);

/** Frees the client and wipes its copy of the secret. Accepts NULL. */
PPTAP_EXTERN void pptap_client_free(pptap_client *c);

/**
 * The message describing the last failure on `c` ("" after a success). Owned
 * by the handle, valid until its next call. Never contains the secret.
 */
PPTAP_EXTERN const char *pptap_client_last_error(const pptap_client *c);

/** Facts about the last response received on a handle. */
typedef struct {
    long status;               /* HTTP status of the last attempt; 0 when none arrived */
    pptap_time_ms server_date; /* the server's Date header; PPTAP_TIME_NONE when absent */
    pptap_time_ms local_time;  /* local clock when the response headers arrived */
    pptap_endpoint endpoint;   /* endpoint of the last request */
    pptap_pool pool;           /* its throttle pool (the one a 429 hit) */
    int attempts;              /* attempts made */
    int64_t elapsed_ms;        /* total time including retries */
    size_t body_bytes;         /* body bytes received in the last attempt */
    char content_type[128];    /* Content-Type of the response, "" when none */
} pptap_response_info;

/** Marks an absent time. */
#define PPTAP_TIME_NONE INT64_MIN

/** The facts about the last response on `c`. Never NULL; owned by the handle. */
PPTAP_EXTERN const pptap_response_info *pptap_client_last_response(const pptap_client *c);

/** "Now" as the client's clock sees it (opts.clock or the wall clock). */
PPTAP_EXTERN pptap_time_ms pptap_client_now(const pptap_client *c);

/**
 * GET an arbitrary API path ("/v2/…?…", already encoded) and return the raw
 * body in `body` (appended). The status→error and retry rules apply. For
 * exploring and testing; prefer the typed functions of <pptap/tap.h>.
 * Returns 0 (2xx), or an error as the typed functions do.
 */
PPTAP_EXTERN int pptap_client_get_raw(pptap_client *c, pptap_buf *body, const char *path_and_query);

/* ------------------------------------------------------------------------ */
/* Status mapping and backoff (the one retry rule, exposed for ledgers/tests) */

/**
 * Maps an HTTP status to 0 (2xx) or the PPTAP_E* code the client reports:
 * 401/403 PPTAP_EAUTH, 404 PPTAP_ENOTFOUND, 408 PPTAP_ETIMEOUT, 429
 * PPTAP_ERATELIMIT, other 4xx PPTAP_EINVAL, 5xx PPTAP_ESERVER, anything
 * else PPTAP_EPROTO.
 */
PPTAP_EXTERN int pptap_http_status_error(long status);

/** 1 when a request that got `status` is retried (408 and 5xx), else 0. */
PPTAP_EXTERN int pptap_http_status_retryable(long status);

/**
 * The delay before retry number `retry` (1 = after the first failure):
 * "full jitter", uniformly in [0, min(cap_ms, base_ms * 2^(retry-1))],
 * drawn from the 64-bit random value `rnd`. Never negative, never above cap.
 */
PPTAP_EXTERN int64_t pptap_backoff_delay_ms(int retry, int64_t base_ms, int64_t cap_ms,
                                            uint64_t rnd);

#ifdef __cplusplus
}
#endif

#endif
