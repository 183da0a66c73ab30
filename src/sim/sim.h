/*
 * pptap-sim — internal declarations shared by the simulator's files.
 *
 * The simulator serves the TAP v2 API (docs/pptap-sim.1). Everything it returns
 * is a pure function of the seed and the simulated clock: events are generated
 * on demand per one-minute bucket of creation time, threats per hour, campaigns
 * per day, so any window of any past week can be served in bounded memory.
 */
#ifndef PPTAP_SIM_H
#define PPTAP_SIM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <pptap/pptap.h>

#define SIM_MINUTE_MS 60000LL
#define SIM_HOUR_MS 3600000LL
#define SIM_DAY_MS 86400000LL

/* ------------------------------------------------------------------------
 * Buffers and the JSON / key=value writer (json.c)
 */

typedef struct {
    char *ptr;
    size_t len;
    size_t cap;
} sim_buf;

void sim_buf_put(sim_buf *b, const void *data, size_t len);
void sim_buf_puts(sim_buf *b, const char *s);
void sim_buf_printf(sim_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sim_buf_reset(sim_buf *b);
void sim_buf_dispose(sim_buf *b);

#define SIM_JW_DEPTH 16

/* The writer emits JSON in the API's spacing ({"k" : v, "k2" : v}) or, in
 * key=value mode, one ` path="value"` pair per scalar (syslog lines). */
typedef struct {
    sim_buf *b;
    int kv;
    int html_escape; /* write & < > as \u0026 \u003c \u003e */
    int depth;
    int pending_key;
    int first[SIM_JW_DEPTH];
    int is_arr[SIM_JW_DEPTH];
    int index[SIM_JW_DEPTH];
    char path[SIM_JW_DEPTH][48];
    char key[48];
} sim_jw;

void sim_jw_init(sim_jw *w, sim_buf *b, int kv);
void sim_jw_obj(sim_jw *w);
void sim_jw_obj_end(sim_jw *w);
void sim_jw_arr(sim_jw *w);
void sim_jw_arr_end(sim_jw *w);
void sim_jw_key(sim_jw *w, const char *key);
void sim_jw_str(sim_jw *w, const char *s);
void sim_jw_strn(sim_jw *w, const char *s, size_t n);
void sim_jw_str_or_null(sim_jw *w, const char *s);
void sim_jw_int(sim_jw *w, int64_t v);
void sim_jw_double(sim_jw *w, double v, int decimals);
void sim_jw_bool(sim_jw *w, int v);
void sim_jw_null(sim_jw *w);
void sim_jw_time_ms(sim_jw *w, pptap_time_ms t);
void sim_jw_time_s(sim_jw *w, pptap_time_ms t);
/* Convenience: key + value. */
void sim_jw_kstr(sim_jw *w, const char *key, const char *s);
void sim_jw_kint(sim_jw *w, const char *key, int64_t v);

/* ------------------------------------------------------------------------
 * Deterministic hashing (gen.c)
 */

uint64_t sim_mix(uint64_t x);
uint64_t sim_hash(uint64_t a, uint64_t b, uint64_t c, uint64_t d);

typedef struct {
    uint64_t s;
} sim_rng;

void sim_rng_init(sim_rng *r, uint64_t a, uint64_t b, uint64_t c, uint64_t d);
uint64_t sim_rng_next(sim_rng *r);
uint32_t sim_rng_below(sim_rng *r, uint32_t n);
/* True with probability permille / 1000. */
int sim_rng_permille(sim_rng *r, uint32_t permille);
double sim_rng_unit(sim_rng *r);

/* ------------------------------------------------------------------------
 * Configuration (main.c) and the simulated clock (clock.c)
 */

enum {
    SIM_POOL_CLICKS_PERMITTED = 0,
    SIM_POOL_SIEM,
    SIM_POOL_CAMPAIGN_IDS,
    SIM_POOL_VAP,
    SIM_POOL_URL_DECODE,
    SIM_POOL_CAMPAIGN,
    SIM_POOL_FORENSICS,
    SIM_POOL_TOP_CLICKERS,
    SIM_POOL_COUNT,
    SIM_POOL_NONE = -1
};

typedef struct {
    double p_5xx, p_429, p_slow, p_truncate, p_reset, p_badjson;
    int64_t slow_ms;
    uint64_t seed;
} sim_fault_cfg;

typedef struct {
    uint64_t seed;
    double rate;       /* events per hour (approximate; see gen.c) */
    int users;         /* tenant mailboxes */
    int max_delay_s;   /* late-indexing horizon */
    int late_permille; /* share of delivered messages that are late condemnations */
    double text_plain; /* probability of labelling JSON text/plain */
    double shuffle;    /* probability of a SIEM JSON body in another key order */
    char domain[64];   /* tenant mail domain */
    char cluster[64];  /* PPS cluster name */
    char principal[128];
    char secret[256];
    int auth_disabled;
    int pool_size[SIM_POOL_COUNT]; /* 0 = unlimited */
    int log_size;
    int verbose; /* log every API request and libmicrohttpd's messages to stderr */
    sim_fault_cfg faults;
} sim_config;

extern sim_config sim_cfg;

void sim_clock_init(pptap_time_ms start, double speed);
pptap_time_ms sim_clock_now(void);
void sim_clock_set(pptap_time_ms t);
void sim_clock_advance(int64_t ms);
void sim_clock_set_speed(double speed);
double sim_clock_speed(void);

/* ------------------------------------------------------------------------
 * Synthetic tenant (gen.c)
 */

enum { SIM_TT_URL = 0, SIM_TT_ATTACHMENT, SIM_TT_MESSAGETEXT, SIM_TT_COUNT };
enum { SIM_CL_MALWARE = 0, SIM_CL_PHISH, SIM_CL_SPAM, SIM_CL_IMPOSTOR, SIM_CL_TOAD, SIM_CL_COUNT };
enum { SIM_TS_ACTIVE = 0, SIM_TS_CLEARED, SIM_TS_FALSEPOSITIVE, SIM_TS_COUNT };
enum {
    SIM_K_CLICKS_PERMITTED = 0,
    SIM_K_CLICKS_BLOCKED,
    SIM_K_MESSAGES_DELIVERED,
    SIM_K_MESSAGES_BLOCKED,
    SIM_K_COUNT
};

extern const char *const sim_kind_name[SIM_K_COUNT];
extern const char *const sim_tt_name[SIM_TT_COUNT];
extern const char *const sim_cl_name[SIM_CL_COUNT];
extern const char *const sim_ts_name[SIM_TS_COUNT];

typedef struct {
    int64_t hour;
    uint32_t idx;
    char id[65];
    int type;
    int cls;
    int status;
    pptap_time_ms ident; /* when Proofpoint identified it */
    /* A cleared or false-positive verdict comes later: before this time the
     * threat shows as active (0 for a threat that stays active). */
    pptap_time_ms status_at;
    char threat[160]; /* URL, attachment SHA-256 or impostor address */
    char md5[33];
    char filename[64];
    int has_campaign;
    int64_t camp_day;
    int camp_k;
    char campaign[37];
} sim_threat;

typedef struct {
    char content_type[48];
    char o_content_type[48];
    char disposition[12];
    char filename[64];
    char md5[33];
    char sha256[65];
    const char *sandbox; /* NULL = JSON null */
} sim_part;

#define SIM_MAX_RCPT 3

typedef struct {
    int64_t minute;
    uint32_t idx;
    int kind;
    pptap_time_ms created;
    uint64_t h; /* item hash: seeds per-request variations */
    /* message items */
    int late;
    pptap_time_ms message_time;
    char guid[33];
    char qid[24];
    char message_id[96];
    const char *subject;
    char sender[96];
    char sender_ip[40];
    char from[96];
    char header_from[160];
    char reply_to[96];
    const char *xmailer;
    int nrcpt;
    char rcpt[SIM_MAX_RCPT][96];
    int rcpt_user[SIM_MAX_RCPT];
    char cc[96];
    int rewritten; /* 0 false, 1 true, 2 "true", 3 "false", 4 "na" */
    int spam, phish, malware, impostor;
    int modules; /* index into the modules table */
    int routes;
    int quarantine; /* -1 none */
    int nparts;
    sim_part parts[3];
    int nthreats;
    sim_threat threats[2];
    pptap_time_ms threat_time[2];
    uint32_t size;
    char ids[SIM_MAX_RCPT][37];
    int64_t delay[SIM_MAX_RCPT]; /* indexing delay, ms */
    /* click items */
    pptap_time_ms click_time;
    pptap_time_ms click_threat_time;
    char click_url[1200];
    char click_ip[40];
    const char *user_agent;
    int cls_upper; /* classification written in upper case (a quirk) */
    int click_user;
} sim_item;

/* One event of an item: message items give one per recipient. */
typedef struct {
    const sim_item *item;
    int r;
} sim_event;

/* Number of items whose creation time falls in the minute bucket. */
uint32_t sim_gen_items_in_minute(int64_t minute);
/* Cheap: the kind of item (minute, idx) without generating it. */
int sim_gen_item_kind(int64_t minute, uint32_t idx);
void sim_gen_item(sim_item *it, int64_t minute, uint32_t idx);
int sim_item_events(const sim_item *it);
pptap_time_ms sim_event_created(const sim_event *ev);
pptap_time_ms sim_event_visible(const sim_event *ev);
const char *sim_event_id(const sim_event *ev);
/* Threat filters: masks of (1 << SIM_TT_*) and (1 << SIM_TS_*). */
int sim_event_matches(const sim_event *ev, unsigned type_mask, unsigned status_mask);
/* Shows each threat of `it` with the status it has at `now` (a later verdict
 * of cleared or false positive reads as active before its time). */
void sim_item_status_at(sim_item *it, pptap_time_ms now);
/* Writes the event object; `variant` varies messageParts order per request. */
void sim_event_write(sim_jw *w, const sim_event *ev, uint64_t variant);

/* Computes the tenant constants; call once after the configuration is set. */
void sim_gen_init(void);
uint32_t sim_gen_threats_in_hour(int64_t hour);
void sim_gen_threat(sim_threat *t, int64_t hour, uint32_t idx);
/* Resolves a threat ID made by the generator; 0 or -1 when unknown. */
int sim_gen_threat_lookup(sim_threat *t, const char *id);
void sim_threat_url(char *out, size_t outsz, const char *threat_id);

typedef struct {
    int64_t day;
    int k;
    char id[37];
    pptap_time_ms start;
    pptap_time_ms last_updated; /* relative to `now` */
} sim_campaign;

#define SIM_CAMPAIGNS_PER_DAY 3
#define SIM_CAMPAIGN_SPAN_MS (36 * SIM_HOUR_MS)

void sim_gen_campaign(sim_campaign *c, int64_t day, int k, pptap_time_ms now);
int sim_gen_campaign_lookup(sim_campaign *c, const char *id, pptap_time_ms now);
/* Calls fn for every member threat identified up to `now` (at most `max`). */
int sim_gen_campaign_members(const sim_campaign *c, pptap_time_ms now, int max,
                             void (*fn)(const sim_threat *t, void *payload), void *payload);
void sim_campaign_write(sim_jw *w, const sim_campaign *c, pptap_time_ms now);
void sim_threat_summary_write(sim_jw *w, const sim_threat *t);
void sim_forensics_report_write(sim_jw *w, const sim_threat *t, const char *scope);

/* Tenant users. */
void sim_user_email(char *out, size_t outsz, int user);
void sim_user_write_identity(sim_jw *w, int user);
uint64_t sim_user_guid_hash(int user);

/* Walks the items of a window, one minute bucket after the other (siem.c). */
typedef struct {
    pptap_time_ms start, end;
    int64_t minute, last;
    uint32_t idx, n;
    unsigned mask; /* of (1 << SIM_K_*) */
} sim_walk;

void sim_walk_init(sim_walk *w, pptap_time_ms start, pptap_time_ms end, unsigned mask);
/* Generates the next item created in [start, end) into `it`: 1, 0 at the end, or
 * -1 when `budget` (items examined, may be NULL) ran out. */
int sim_walk_next(sim_walk *w, sim_item *it, int *budget);

/* ------------------------------------------------------------------------
 * HTTP plumbing (server.c)
 */

typedef struct sim_req sim_req;

/* A response body source: `fill` appends to `out` and returns 1 at the end. */
typedef struct sim_stream sim_stream;
struct sim_stream {
    sim_buf out;
    size_t pos;
    int done;
    int (*fill)(sim_stream *s);
    void (*dispose)(sim_stream *s);
    void *ctx;
};

/* Query parameters, parsed from the raw URI (percent-decoding, '+' = space). */
#define SIM_MAX_PARAMS 32
typedef struct {
    int n;
    char *name[SIM_MAX_PARAMS];
    char *value[SIM_MAX_PARAMS];
} sim_params;

const char *sim_param(const sim_params *p, const char *name);
int sim_param_count(const sim_params *p, const char *name);

struct sim_req {
    const char *method;
    const char *path;
    sim_params params;
    const char *body;
    size_t body_len;
    int authenticated; /* valid credentials were given */
    pptap_time_ms now; /* simulated time when the request arrived */
    uint64_t seq;      /* request sequence number */
    /* the answer */
    int status;
    const char *content_type;
    sim_buf body_out;
    sim_stream *stream; /* set instead of body_out for streamed answers */
    char extra_header[2][128];
};

void sim_reply_text(sim_req *r, int status, const char *text);
/* Starts a JSON reply in body_out (labelled text/plain by probability). */
void sim_reply_json(sim_req *r, int status);

/* Endpoint handlers: fill r->status and the body. */
void sim_siem_handle(sim_req *r, int kinds_mask);
void sim_campaign_ids_handle(sim_req *r);
void sim_campaign_handle(sim_req *r, const char *id);
void sim_forensics_handle(sim_req *r);
void sim_threat_handle(sim_req *r, const char *id);
void sim_people_handle(sim_req *r, int vap);
void sim_decode_handle(sim_req *r);
void sim_admin_handle(sim_req *r);

/* Pools and the request log (server.c), used by admin.c. */
extern const char *const sim_pool_name[SIM_POOL_COUNT];
void sim_pools_write(sim_jw *w, pptap_time_ms now);
void sim_pools_resize(int pool, int size);
void sim_pools_reset(void);
void sim_log_write(sim_jw *w, int last);
void sim_log_reset(void);
void sim_faults_get(sim_fault_cfg *out);
void sim_faults_set(const sim_fault_cfg *in);

/* Starts listening: 0, -1 (cannot listen), -2 (unreadable TLS file), -3 (bad options). */
int sim_server_start(const char *bind, int port, const char *cert_file, const char *key_file,
                     int *out_port);
void sim_server_stop(void);
extern volatile int sim_stopping;

/* Validation helpers shared by endpoints (siem.c). */
int sim_parse_int(const char *s, int64_t *out);
/* Case-insensitive ASCII comparison of NUL-terminated strings. */
int sim_strcaseeq(const char *a, const char *b);

#endif
