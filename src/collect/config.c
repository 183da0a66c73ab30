/*
 * pptap.conf: the key table, the INI reader and the reference generator.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <pptap/time.h>

#include "config.h"
#include "output.h"
#include "out_syslog.h"

typedef enum {
    K_STRING,   /* any text */
    K_PATH,     /* a file path */
    K_DURATION, /* 90s, 5m, 1h30m, 7d, or ISO 8601 */
    K_SIZE,     /* bytes with k/M/G suffixes */
    K_BOOL,     /* true/false, yes/no, on/off, 1/0 */
    K_INT,      /* a non-negative integer */
    K_PERCENT,  /* 1..100 */
    K_ENUM,     /* one of `choices` */
    K_LIST,     /* comma-separated words, each one of `choices` when given */
    K_ADDRESS,  /* host:port on loopback, or empty */
} ktype;

enum { SEC_SERVICE, SEC_TENANT, SEC_OUTPUT, SEC_SKIP = 99 };

typedef struct {
    int section;
    const char *key;
    ktype type;
    const char *dflt;    /* as it would be written in the file; NULL = unset */
    const char *choices; /* K_ENUM, K_LIST: comma list */
    size_t off;          /* field in conf_service / conf_tenant / conf_output */
    int64_t min, max;    /* K_DURATION (ms), K_INT, K_SIZE bounds; 0,0 = none */
    const char *desc;
} keydef;

#define SV(f) offsetof(conf_service, f)
#define TN(f) offsetof(conf_tenant, f)
#define OU(f) offsetof(conf_output, f)
#define MIN_MS(m) ((int64_t)(m)*60000)

static const keydef keys[] = {
    {SEC_SERVICE, "state", K_PATH, "pptap.db", NULL, SV(state), 0, 0,
     "The SQLite store: events, checkpoints, request ledger, gap records. Created 0600."},
    {SEC_SERVICE, "metrics", K_ADDRESS, NULL, NULL, SV(metrics), 0, 0,
     "Loopback address and port of the Prometheus metrics endpoint (e.g. 127.0.0.1:9464); "
     "unset for none."},
    {SEC_SERVICE, "retention", K_DURATION, "90d", NULL, SV(retention_ms), MIN_MS(60 * 24 * 8), 0,
     "How long events stay in the store (at least 8 days, the dedupe horizon)."},
    {SEC_SERVICE, "early_interval", K_DURATION, "5m", NULL, SV(early_every_ms), MIN_MS(1),
     MIN_MS(60), "How often the early pass polls the recent window, for low latency."},
    {SEC_SERVICE, "final_horizon", K_DURATION, "35m", NULL, SV(final_after_ms), MIN_MS(1),
     MIN_MS(24 * 60),
     "Age after which a window is queried once more, completely (the late-indexing horizon)."},
    {SEC_SERVICE, "window", K_DURATION, "1h", NULL, SV(window_ms), 30000, MIN_MS(60),
     "Length of the final-pass windows (the API allows 30 s to 1 h)."},
    {SEC_SERVICE, "budget_share", K_PERCENT, "90", NULL, SV(budget_share), 1, 100,
     "Share of each throttle pool (rolling 24 h) the scheduler may plan to spend."},
    {SEC_SERVICE, "auth_retry", K_DURATION, "15m", NULL, SV(auth_retry_ms), MIN_MS(1), 0,
     "After the API refuses a tenant's credentials (401/403), wait this long before trying "
     "again."},
    {SEC_SERVICE, "log_level", K_ENUM, "info", "error,warn,info,debug", SV(log_level), 0, 0,
     "Messages written to standard error."},

    {SEC_TENANT, "base_url", K_STRING, "https://tap-api-v2.proofpoint.com", NULL, TN(base_url), 0,
     0, "The TAP API endpoint."},
    {SEC_TENANT, "principal", K_STRING, NULL, NULL, TN(principal), 0, 0,
     "The service principal of the TAP credential."},
    {SEC_TENANT, "secret_file", K_PATH, NULL, NULL, TN(secret_file), 0, 0,
     "File holding the service secret (mode 0600). Secrets are never written in this file."},
    {SEC_TENANT, "secret_env", K_STRING, NULL, NULL, TN(secret_env), 0, 0,
     "Name of the environment variable holding the service secret, instead of secret_file."},
    {SEC_TENANT, "cacert", K_PATH, NULL, NULL, TN(cacert), 0, 0,
     "CA bundle to verify the API's certificate with (default: the system's)."},
    {SEC_TENANT, "proxy", K_STRING, NULL, NULL, TN(proxy), 0, 0,
     "Proxy URL (default: libcurl's https_proxy and related variables)."},
    {SEC_TENANT, "insecure", K_BOOL, "false", NULL, TN(insecure), 0, 0,
     "Do not verify the API's TLS certificate. Unsafe; for tests only."},
    {SEC_TENANT, "timeout", K_DURATION, "5m", NULL, TN(timeout_ms), 1000, MIN_MS(60),
     "Longest time one request may take, body included."},
    {SEC_TENANT, "since", K_DURATION, "1d", NULL, TN(since_ms), 30000, MIN_MS(7 * 24 * 60),
     "How far back a new state starts collecting (at most 7 days, the API's limit)."},
    {SEC_TENANT, "endpoint", K_ENUM, "all",
     "all,issues,clicks-blocked,clicks-permitted,messages-blocked,messages-delivered", TN(endpoint),
     0, 0, "The SIEM endpoint collected."},
    {SEC_TENANT, "threat_status", K_LIST, "active,cleared,falsePositive",
     "active,cleared,falsePositive", TN(threat_status), 0, 0,
     "Threat statuses collected (the API's default omits falsePositive; collecting it lets "
     "a status change show as an update)."},
    {SEC_TENANT, "outputs", K_LIST, NULL, NULL, TN(outputs), 0, 0,
     "Names of the [output] sections this tenant's events go to (default: all)."},

    {SEC_OUTPUT, "type", K_ENUM, NULL, "file,stdout,syslog,http,kafka", OU(type), 0, 0,
     "Where events go: file (exactly once), stdout, syslog (RFC 5424), http (NDJSON, Splunk "
     "HEC, Elasticsearch bulk) or kafka; the network outputs are at least once, with the "
     "event_id for downstream dedupe."},
    {SEC_OUTPUT, "path", K_PATH, NULL, NULL, OU(path), 0, 0, "file: the NDJSON file."},
    {SEC_OUTPUT, "format", K_ENUM, "raw", "raw,ecs,ocsf,cef", OU(format), 0, 0,
     "raw: the TAP event unchanged, plus a \"pptap\" object (event_id, event_type, tenant, "
     "collected_at, update); ecs: Elastic Common Schema as Elastic's proofpoint_tap "
     "integration writes it; ocsf: OCSF Email Activity / Email URL Activity; cef: ArcSight "
     "CEF (see docs/formats.md)."},
    {SEC_OUTPUT, "rotate_size", K_SIZE, "0", NULL, OU(rotate_size), 0, 0,
     "file: rotate the file once it is larger than this (0: never)."},
    {SEC_OUTPUT, "rotate_keep", K_INT, "5", NULL, OU(rotate_keep), 0, 1000,
     "file: rotated files kept (FILE.1 is the newest)."},
    {SEC_OUTPUT, "address", K_STRING, NULL, NULL, OU(address), 0, 0,
     "syslog: HOST:PORT of the receiver ([v6]:port for IPv6; without a port, 514, or 6514 "
     "for tls). Every address the name resolves to is tried in turn."},
    {SEC_OUTPUT, "transport", K_ENUM, "tcp", "udp,tcp,tls", OU(transport), 0, 0,
     "syslog: udp (one datagram per event, at most 65507 bytes; no delivery guarantee), tcp "
     "(octet-counted framing, RFC 6587) or tls (RFC 5425, octet counting, the receiver's "
     "certificate verified)."},
    {SEC_OUTPUT, "facility", K_ENUM, "local0",
     "kern,user,mail,daemon,auth,syslog,lpr,news,uucp,cron,authpriv,ftp,ntp,audit,alert,clock,"
     "local0,local1,local2,local3,local4,local5,local6,local7",
     OU(facility), 0, 0, "syslog: the facility of every message."},
    {SEC_OUTPUT, "app_name", K_STRING, "pptap", NULL, OU(app_name), 0, 0,
     "syslog: the APP-NAME field."},
    {SEC_OUTPUT, "hostname", K_STRING, NULL, NULL, OU(hostname), 0, 0,
     "syslog: the HOSTNAME field; http (splunk-hec): the envelope's host (default: this "
     "machine's name)."},
    {SEC_OUTPUT, "url", K_STRING, NULL, NULL, OU(url), 0, 0,
     "http: where batches are POSTed (for elasticsearch the cluster's base URL, for splunk-hec "
     "the collector's base URL)."},
    {SEC_OUTPUT, "flavour", K_ENUM, "json", "json,splunk-hec,elasticsearch", OU(flavour), 0, 0,
     "http: json (NDJSON body), splunk-hec (HEC event envelope) or elasticsearch (bulk API, "
     "_id = event_id)."},
    {SEC_OUTPUT, "token_file", K_PATH, NULL, NULL, OU(token_file), 0, 0,
     "http: file (mode 0600) holding the token: the HEC token (Authorization: Splunk), the "
     "encoded Elasticsearch API key (Authorization: ApiKey) or the bearer token of json."},
    {SEC_OUTPUT, "token_env", K_STRING, NULL, NULL, OU(token_env), 0, 0,
     "http: or the name of the environment variable holding it."},
    {SEC_OUTPUT, "index", K_STRING, NULL, NULL, OU(index), 0, 0,
     "http: the Elasticsearch index or data stream (default logs-proofpoint_tap-default, a "
     "data stream under the logs-*-* template), or the HEC index (default: the token's)."},
    {SEC_OUTPUT, "sourcetype", K_STRING, NULL, NULL, OU(sourcetype), 0, 0,
     "http: the HEC sourcetype (default: the token's)."},
    {SEC_OUTPUT, "channel", K_STRING, NULL, NULL, OU(channel), 0, 0,
     "http: the HEC channel, a GUID (default: a random one per run)."},
    {SEC_OUTPUT, "hec_ack", K_BOOL, "false", NULL, OU(hec_ack), 0, 0,
     "http: with splunk-hec, a batch counts as delivered only once HEC's indexer "
     "acknowledgement says so (polled on /services/collector/ack; none within timeout fails "
     "the window)."},
    {SEC_OUTPUT, "gzip", K_BOOL, "true", NULL, OU(gzip), 0, 0,
     "http: gzip request bodies (Content-Encoding: gzip)."},
    {SEC_OUTPUT, "batch_events", K_INT, "500", NULL, OU(batch_events), 1, 100000,
     "http: events per request at most."},
    {SEC_OUTPUT, "batch_size", K_SIZE, "4M", NULL, OU(batch_size), 1024, 1LL << 30,
     "http: bytes per request at most (before compression)."},
    {SEC_OUTPUT, "max_in_flight", K_INT, "4", NULL, OU(max_in_flight), 1, 64,
     "http: requests outstanding at once; more events wait (and so does polling)."},
    {SEC_OUTPUT, "retries", K_INT, "5", NULL, OU(retries), 0, 1000,
     "syslog, http: attempts after a failed delivery (capped exponential backoff with jitter; "
     "syslog reconnects and sends the window again, http honours Retry-After) before the "
     "window fails and is collected again later."},
    {SEC_OUTPUT, "timeout", K_DURATION, "30s", NULL, OU(timeout_ms), 1000, MIN_MS(60),
     "syslog, http, kafka: how long one delivery may take (syslog: a connection with its TLS "
     "handshake, and a send or the receiver's acknowledgement that makes no progress; http: "
     "one request, with hec_ack also the wait for its acknowledgement)."},
    {SEC_OUTPUT, "cacert", K_PATH, NULL, NULL, OU(cacert), 0, 0,
     "syslog (tls), http: CA bundle to verify the receiver with (default: the system's)."},
    {SEC_OUTPUT, "insecure", K_BOOL, "false", NULL, OU(insecure), 0, 0,
     "syslog (tls), http: do not verify the receiver's certificate (warned at start)."},
    {SEC_OUTPUT, "brokers", K_STRING, NULL, NULL, OU(brokers), 0, 0,
     "kafka: bootstrap servers, HOST:PORT[,HOST:PORT…]."},
    {SEC_OUTPUT, "topic", K_STRING, "proofpoint-tap", NULL, OU(topic), 0, 0,
     "kafka: the topic, or the prefix of the per-type topics."},
    {SEC_OUTPUT, "topic_per_type", K_BOOL, "false", NULL, OU(topic_per_type), 0, 0,
     "kafka: one topic per event type, TOPIC.clicksBlocked, TOPIC.clicksPermitted, "
     "TOPIC.messagesBlocked, TOPIC.messagesDelivered, and TOPIC.gap for gap records (off: all "
     "of them in TOPIC)."},
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static const char *const section_names[] = {"service", "tenant", "output"};

static void set_error(conf *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_error(conf *c, const char *fmt, ...)
{
    if (c->error[0] != '\0') {
        return; /* keep the first */
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->error, sizeof(c->error), fmt, ap);
    va_end(ap);
}

int conf_parse_size(int64_t *out, const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno != 0 || s[0] == '-') {
        return -1;
    }
    int shift = 0;
    switch (*end) {
    case '\0':
        break;
    case 'k':
    case 'K':
        shift = 10;
        end++;
        break;
    case 'M':
        shift = 20;
        end++;
        break;
    case 'G':
        shift = 30;
        end++;
        break;
    default:
        return -1;
    }
    if ((*end == 'B' || *end == 'b') && shift > 0) {
        end++;
    }
    if (*end != '\0' || v > (unsigned long long)(INT64_MAX >> shift)) {
        return -1;
    }
    *out = (int64_t)(v << shift);
    return 0;
}

static int parse_bool(int *out, const char *s)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

/* 1 when `word` (length n) is one of the comma-separated `choices`. */
static int in_choices(const char *choices, const char *word, size_t n)
{
    const char *p = choices;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        if (l == n && strncmp(p, word, n) == 0) {
            return 1;
        }
        if (comma == NULL) {
            break;
        }
        p = comma + 1;
    }
    return 0;
}

static void *field_of(conf *c, const keydef *k, int idx)
{
    switch (k->section) {
    case SEC_SERVICE:
        return (char *)&c->service + k->off;
    case SEC_TENANT:
        return (char *)&c->tenants[idx] + k->off;
    default:
        return (char *)&c->outputs[idx] + k->off;
    }
}

static int set_string(conf *c, char **field, const char *v)
{
    char *d = strdup(v);
    if (d == NULL) {
        set_error(c, "out of memory");
        return -1;
    }
    free(*field);
    *field = d;
    return 0;
}

/* Parses `value` for key k into its field; `where` prefixes error messages. */
static int apply(conf *c, const keydef *k, int idx, const char *value, const char *where)
{
    void *f = field_of(c, k, idx);
    const char *sec = section_names[k->section];
    switch (k->type) {
    case K_STRING:
    case K_PATH:
        if (value[0] == '\0') {
            free(*(char **)f);
            *(char **)f = NULL;
            return 0;
        }
        return set_string(c, f, value);
    case K_ADDRESS: {
        if (value[0] == '\0') {
            free(*(char **)f);
            *(char **)f = NULL;
            return 0;
        }
        const char *colon = strrchr(value, ':');
        char *end;
        long port = colon ? strtol(colon + 1, &end, 10) : -1;
        if (colon == NULL || *end != '\0' || port < 0 || port > 65535 ||
            !(strncmp(value, "127.", 4) == 0 || strncmp(value, "localhost:", 10) == 0 ||
              strncmp(value, "[::1]:", 6) == 0)) {
            set_error(c, "%s: %s.%s: '%s' is not a loopback host:port (e.g. 127.0.0.1:9464)", where,
                      sec, k->key, value);
            return -1;
        }
        return set_string(c, f, value);
    }
    case K_DURATION: {
        int64_t ms;
        if (pptap_duration_parse_human(&ms, value) != 0) {
            set_error(c, "%s: %s.%s: '%s' is not a duration (e.g. 90s, 5m, 1h, 7d)", where, sec,
                      k->key, value);
            return -1;
        }
        if ((k->min && ms < k->min) || (k->max && ms > k->max)) {
            set_error(c, "%s: %s.%s: %s is out of range (%lld s to %lld s)", where, sec, k->key,
                      value, (long long)(k->min / 1000), (long long)(k->max / 1000));
            return -1;
        }
        *(int64_t *)f = ms;
        return 0;
    }
    case K_SIZE: {
        int64_t v;
        if (conf_parse_size(&v, value) != 0) {
            set_error(c, "%s: %s.%s: '%s' is not a size (e.g. 100M)", where, sec, k->key, value);
            return -1;
        }
        *(int64_t *)f = v;
        return 0;
    }
    case K_BOOL:
        if (parse_bool(f, value) != 0) {
            set_error(c, "%s: %s.%s: '%s' is not true or false", where, sec, k->key, value);
            return -1;
        }
        return 0;
    case K_INT:
    case K_PERCENT: {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (end == value || *end != '\0' || errno != 0 || v < k->min || (k->max && v > k->max)) {
            set_error(c, "%s: %s.%s: '%s' is not a whole number from %lld to %lld", where, sec,
                      k->key, value, (long long)k->min, (long long)k->max);
            return -1;
        }
        *(int *)f = (int)v;
        return 0;
    }
    case K_ENUM:
        if (!in_choices(k->choices, value, strlen(value))) {
            set_error(c, "%s: %s.%s: '%s' is not one of %s", where, sec, k->key, value, k->choices);
            return -1;
        }
        return set_string(c, f, value);
    case K_LIST: {
        if (value[0] == '\0') {
            free(*(char **)f);
            *(char **)f = NULL;
            return 0;
        }
        /* "a, b" is "a,b": spaces around the commas are not part of a word. */
        char norm[4096];
        size_t nl = 0;
        if (strlen(value) >= sizeof(norm)) {
            set_error(c, "%s: %s.%s: list too long", where, sec, k->key);
            return -1;
        }
        for (const char *q = value; *q; q++) {
            if (*q == ' ' || *q == '\t') {
                const char *r = q;
                while (*r == ' ' || *r == '\t') {
                    r++;
                }
                if (nl == 0 || norm[nl - 1] == ',' || *r == ',' || *r == '\0') {
                    q = r - 1;
                    continue;
                }
            }
            norm[nl++] = *q;
        }
        norm[nl] = '\0';
        value = norm;
        const char *p = value;
        while (k->choices != NULL && *p) {
            const char *comma = strchr(p, ',');
            size_t l = comma ? (size_t)(comma - p) : strlen(p);
            if (!in_choices(k->choices, p, l)) {
                set_error(c, "%s: %s.%s: '%.*s' is not one of %s", where, sec, k->key, (int)l, p,
                          k->choices);
                return -1;
            }
            p = comma ? comma + 1 : p + l;
        }
        return set_string(c, f, value);
    }
    }
    return -1;
}

static int apply_defaults(conf *c, int section, int idx)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        if (keys[i].section == section && keys[i].dflt != NULL &&
            apply(c, &keys[i], idx, keys[i].dflt, "default") != 0) {
            return -1;
        }
    }
    return 0;
}

void conf_init(conf *c)
{
    memset(c, 0, sizeof(*c));
    apply_defaults(c, SEC_SERVICE, 0);
}

/* The index of instance `name` of a tenant/output section, created when new. */
static int instance(conf *c, int section, const char *name, const char *where)
{
    int *n = section == SEC_TENANT ? &c->n_tenants : &c->n_outputs;
    int max = section == SEC_TENANT ? CONF_MAX_TENANTS : CONF_MAX_OUTPUTS;
    size_t len = strlen(name);
    if (len == 0 || len >= CONF_NAME_MAX) {
        set_error(c, "%s: [%s NAME] needs a name of 1 to %d characters", where,
                  section_names[section], CONF_NAME_MAX - 1);
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        if (!(isalnum((unsigned char)name[i]) || name[i] == '-' || name[i] == '_' ||
              name[i] == '.')) {
            set_error(c, "%s: [%s %s]: names use letters, digits, '-', '_' and '.'", where,
                      section_names[section], name);
            return -1;
        }
    }
    for (int i = 0; i < *n; i++) {
        const char *have = section == SEC_TENANT ? c->tenants[i].name : c->outputs[i].name;
        if (strcmp(have, name) == 0) {
            return i;
        }
    }
    if (*n >= max) {
        set_error(c, "%s: more than %d [%s] sections", where, max, section_names[section]);
        return -1;
    }
    int idx = (*n)++;
    char *dst = section == SEC_TENANT ? c->tenants[idx].name : c->outputs[idx].name;
    memcpy(dst, name, len + 1);
    if (apply_defaults(c, section, idx) != 0) {
        return -1;
    }
    return idx;
}

static const keydef *find_key(int section, const char *key)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        if (keys[i].section == section && strcmp(keys[i].key, key) == 0) {
            return &keys[i];
        }
    }
    return NULL;
}

#define PASSTHROUGH_PREFIX "kafka."

/* Stores "kafka.NAME = VALUE" of an output section for librdkafka. */
static int set_passthrough(conf *c, int idx, const char *key, const char *value, const char *where)
{
    conf_output *o = &c->outputs[idx];
    const char *name = key + strlen(PASSTHROUGH_PREFIX);
    if (*name == '\0') {
        set_error(c, "%s: output.%s: a librdkafka property name follows \"kafka.\"", where, key);
        return -1;
    }
    for (int i = 0; i < o->n_passthrough; i++) {
        if (strcmp(o->passthrough[i].key, name) == 0) {
            char *v = strdup(value);
            if (v == NULL) {
                set_error(c, "out of memory");
                return -1;
            }
            free(o->passthrough[i].value);
            o->passthrough[i].value = v;
            return 0;
        }
    }
    if (o->n_passthrough == CONF_MAX_PASSTHROUGH) {
        set_error(c, "%s: output.%s: more than %d kafka.* properties", where, key,
                  CONF_MAX_PASSTHROUGH);
        return -1;
    }
    conf_pair *p = &o->passthrough[o->n_passthrough];
    p->key = strdup(name);
    p->value = strdup(value);
    if (p->key == NULL || p->value == NULL) {
        free(p->key);
        free(p->value);
        p->key = p->value = NULL;
        set_error(c, "out of memory");
        return -1;
    }
    o->n_passthrough++;
    return 0;
}

static int is_passthrough(int section, const char *key)
{
    return section == SEC_OUTPUT &&
           strncmp(key, PASSTHROUGH_PREFIX, strlen(PASSTHROUGH_PREFIX)) == 0;
}

static int section_of(const char *s)
{
    for (int i = 0; i < 3; i++) {
        if (strcmp(section_names[i], s) == 0) {
            return i;
        }
    }
    return -1;
}

int conf_set(conf *c, const char *section, const char *name, const char *key, const char *value)
{
    int sec = section_of(section);
    if (sec < 0) {
        set_error(c, "unknown section [%s]", section);
        return -1;
    }
    const keydef *k = find_key(sec, key);
    if (k == NULL && !is_passthrough(sec, key)) {
        set_error(c, "unknown key %s.%s", section, key);
        return -1;
    }
    int idx = sec == SEC_SERVICE ? 0 : instance(c, sec, name, "flag");
    if (idx < 0) {
        return -1;
    }
    if (k == NULL) {
        return set_passthrough(c, idx, key, value, "flag");
    }
    return apply(c, k, idx, value, "flag");
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) {
        s[--n] = '\0';
    }
    return s;
}

int conf_load_file(conf *c, const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        set_error(c, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char line[4096];
    char where[600];
    int lineno = 0, sec = -1, idx = 0, rc = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        snprintf(where, sizeof(where), "%s:%d", path, lineno);
        if (strchr(line, '\n') == NULL && !feof(f)) {
            set_error(c, "%s: line longer than %zu bytes", where, sizeof(line) - 2);
            rc = -1;
            break;
        }
        char *s = trim(line);
        if (*s == '\0' || *s == '#' || *s == ';') {
            continue;
        }
        if (*s == '[') {
            char *close = strchr(s, ']');
            if (close == NULL || close[1] != '\0') {
                set_error(c, "%s: a section header is [service], [tenant NAME] or [output NAME]",
                          where);
                rc = -1;
                break;
            }
            *close = '\0';
            char *head = trim(s + 1);
            char *sp = strpbrk(head, " \t");
            char *name = NULL;
            if (sp != NULL) {
                *sp = '\0';
                name = trim(sp + 1);
                if (name[0] == '"') {
                    size_t nl = strlen(name);
                    if (nl >= 2 && name[nl - 1] == '"') {
                        name[nl - 1] = '\0';
                        name++;
                    }
                }
            }
            if (strcmp(head, "tap") == 0 && name == NULL) {
                /* The command line's client settings (docs/configuration.md),
                 * validated by their own loader: one file can hold both. */
                sec = SEC_SKIP;
                continue;
            }
            sec = section_of(head);
            if (sec < 0 || (sec == SEC_SERVICE) != (name == NULL)) {
                set_error(c,
                          "%s: unknown section [%s%s%s] (sections: [service], [tenant NAME], "
                          "[output NAME])",
                          where, head, name ? " " : "", name ? name : "");
                rc = -1;
                break;
            }
            idx = sec == SEC_SERVICE ? 0 : instance(c, sec, name, where);
            if (idx < 0) {
                rc = -1;
                break;
            }
            continue;
        }
        char *eq = strchr(s, '=');
        if (eq == NULL) {
            set_error(c, "%s: expected KEY = VALUE", where);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *key = trim(s);
        char *value = trim(eq + 1);
        size_t vl = strlen(value);
        if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') {
            value[vl - 1] = '\0';
            value++;
        }
        if (sec == SEC_SKIP) {
            continue;
        }
        if (sec < 0) {
            set_error(c, "%s: %s = … outside a section", where, key);
            rc = -1;
            break;
        }
        if (strcmp(key, "secret") == 0) {
            set_error(c,
                      "%s: %s.secret: secrets are not written in the configuration; use "
                      "secret_file or secret_env",
                      where, section_names[sec]);
            rc = -1;
            break;
        }
        if (is_passthrough(sec, key)) {
            if (set_passthrough(c, idx, key, value, where) != 0) {
                rc = -1;
                break;
            }
            continue;
        }
        const keydef *k = find_key(sec, key);
        if (k == NULL) {
            set_error(c, "%s: unknown key '%s' in [%s] (see pptap.conf(5))", where, key,
                      section_names[sec]);
            rc = -1;
            break;
        }
        if (apply(c, k, idx, value, where) != 0) {
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        set_error(c, "%s: read error", path);
        rc = -1;
    }
    fclose(f);
    return rc;
}

int conf_validate(conf *c)
{
    if (c->n_tenants == 0) {
        set_error(c, "no [tenant NAME] section: nothing to collect");
        return -1;
    }
    if (c->n_outputs == 0) {
        set_error(c, "no [output NAME] section: collected events would go nowhere");
        return -1;
    }
    for (int i = 0; i < c->n_outputs; i++) {
        conf_output *o = &c->outputs[i];
        if (o->type == NULL) {
            set_error(c, "[output %s]: type is required (file, stdout, syslog, http or kafka)",
                      o->name);
            return -1;
        }
        if (strcmp(o->type, "file") == 0 && o->path == NULL) {
            set_error(c, "[output %s]: a file output needs a path", o->name);
            return -1;
        }
        if (strcmp(o->type, "syslog") == 0 && o->address == NULL) {
            set_error(c, "[output %s]: a syslog output needs an address (HOST:PORT)", o->name);
            return -1;
        }
        if (strcmp(o->type, "syslog") == 0) {
            char host[256], port[32], err[200];
            if (collect_syslog__split_address(host, sizeof(host), port, sizeof(port), o->address,
                                              "514", err, sizeof(err)) != 0) {
                set_error(c, "[output %s]: %s", o->name, err);
                return -1;
            }
            if (o->app_name != NULL && !collect_syslog__valid_field(o->app_name, 48)) {
                set_error(c,
                          "[output %s]: app_name: 1 to 48 printable ASCII characters, no "
                          "spaces",
                          o->name);
                return -1;
            }
            if (o->hostname != NULL && !collect_syslog__valid_field(o->hostname, 255)) {
                set_error(c,
                          "[output %s]: hostname: 1 to 255 printable ASCII characters, no "
                          "spaces",
                          o->name);
                return -1;
            }
        }
        if (strcmp(o->type, "http") == 0 && o->url == NULL) {
            set_error(c, "[output %s]: an http output needs a url", o->name);
            return -1;
        }
        if (strcmp(o->type, "kafka") == 0 && o->brokers == NULL) {
            set_error(c, "[output %s]: a kafka output needs brokers (HOST:PORT,…)", o->name);
            return -1;
        }
        char why[512];
        if (strcmp(o->type, "kafka") == 0 && collect_out_kafka_check(o, why, sizeof(why)) != 0) {
            set_error(c, "[output %s]: %s", o->name, why);
            return -1;
        }
        if (o->token_file != NULL && o->token_env != NULL) {
            set_error(c, "[output %s]: give token_file or token_env, not both", o->name);
            return -1;
        }
        if (o->n_passthrough > 0 && strcmp(o->type, "kafka") != 0) {
            set_error(c, "[output %s]: kafka.%s applies to kafka outputs only", o->name,
                      o->passthrough[0].key);
            return -1;
        }
    }
    for (int i = 0; i < c->n_tenants; i++) {
        conf_tenant *t = &c->tenants[i];
        if (t->secret_file != NULL && t->secret_env != NULL) {
            set_error(c, "[tenant %s]: give secret_file or secret_env, not both", t->name);
            return -1;
        }
        const char *p = t->outputs;
        while (p != NULL && *p) {
            const char *comma = strchr(p, ',');
            size_t l = comma ? (size_t)(comma - p) : strlen(p);
            int found = 0;
            for (int k = 0; k < c->n_outputs; k++) {
                found |= strlen(c->outputs[k].name) == l && strncmp(c->outputs[k].name, p, l) == 0;
            }
            if (!found) {
                set_error(c, "[tenant %s]: outputs: no [output %.*s] section", t->name, (int)l, p);
                return -1;
            }
            p = comma ? comma + 1 : p + l;
        }
    }
    return 0;
}

int conf_validate_credentials(conf *c)
{
    for (int i = 0; i < c->n_tenants; i++) {
        conf_tenant *t = &c->tenants[i];
        if (t->principal == NULL) {
            set_error(c, "[tenant %s]: principal is required", t->name);
            return -1;
        }
        if (t->secret_file == NULL && t->secret_env == NULL) {
            set_error(c, "[tenant %s]: secret_file or secret_env is required", t->name);
            return -1;
        }
    }
    return 0;
}

static void free_fields(void *base, int section)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        const keydef *k = &keys[i];
        if (k->section == section &&
            (k->type == K_STRING || k->type == K_PATH || k->type == K_ADDRESS ||
             k->type == K_ENUM || k->type == K_LIST)) {
            char **f = (char **)((char *)base + k->off);
            free(*f);
            *f = NULL;
        }
    }
}

void conf_dispose(conf *c)
{
    free_fields(&c->service, SEC_SERVICE);
    for (int i = 0; i < c->n_tenants; i++) {
        free_fields(&c->tenants[i], SEC_TENANT);
    }
    for (int i = 0; i < c->n_outputs; i++) {
        free_fields(&c->outputs[i], SEC_OUTPUT);
        for (int k = 0; k < c->outputs[i].n_passthrough; k++) {
            free(c->outputs[i].passthrough[k].key);
            free(c->outputs[i].passthrough[k].value);
        }
        c->outputs[i].n_passthrough = 0;
    }
}

static const char *type_name(ktype t)
{
    static const char *const names[] = {"string",  "path",    "duration", "size", "boolean",
                                        "integer", "percent", "choice",   "list", "address"};
    return names[t];
}

/* Writes s with roff's special characters escaped. */
static void roff(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\') {
            fputs("\\e", out);
        } else if (*s == '-') {
            fputs("\\-", out);
        } else {
            fputc(*s, out);
        }
    }
}

void conf_write_reference(FILE *out)
{
    static const char *const headings[] = {"[service]", "[tenant NAME]", "[output NAME]"};
    for (int sec = 0; sec < 3; sec++) {
        fprintf(out, ".SS %s\n", headings[sec]);
        for (size_t i = 0; i < N_KEYS; i++) {
            const keydef *k = &keys[i];
            if (k->section != sec) {
                continue;
            }
            fputs(".TP\n.B ", out);
            roff(out, k->key);
            fprintf(out, "\n(%s", type_name(k->type));
            if (k->choices != NULL) {
                fputs(": ", out);
                roff(out, k->choices);
            }
            if (k->dflt != NULL) {
                fputs("; default ", out);
                roff(out, k->dflt);
            }
            fputs(")\n", out);
            roff(out, k->desc);
            fputc('\n', out);
        }
        if (sec == SEC_OUTPUT) {
            fputs(".TP\n.B kafka.NAME\n(string)\n", out);
            roff(out, "kafka: any librdkafka configuration property, passed as is (e.g. "
                      "kafka.security.protocol = ssl, kafka.compression.type = zstd) and "
                      "checked by librdkafka when the file is read (combinations of properties "
                      "when the collector starts). The producer always runs "
                      "with enable.idempotence = true and acks = all: a line that would change "
                      "them is an error, and so are transactional.id and bootstrap.servers "
                      "(use brokers).");
            fputc('\n', out);
        }
    }
}
