/*
 * The collector's configuration: an INI file (pptap.conf(5)) with one
 * [service] section, one [tenant NAME] section per TAP credential and one
 * [output NAME] section per destination. Every key is declared once, in
 * config.c's table, which validates files and generates the documentation.
 */
#ifndef PPTAP_COLLECT_CONFIG_H
#define PPTAP_COLLECT_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONF_MAX_TENANTS 64
#define CONF_MAX_OUTPUTS 16
#define CONF_NAME_MAX 64

typedef struct {
    char *state;            /* SQLite store path */
    char *metrics;          /* "127.0.0.1:9464", or NULL for none */
    int64_t retention_ms;   /* events kept in the store */
    int64_t early_every_ms; /* how often the early pass polls */
    int64_t final_after_ms; /* late-indexing horizon before the final pass */
    int64_t window_ms;      /* final-pass window length (30 s .. 1 h) */
    int budget_share;       /* percent of each throttle pool the scheduler may plan */
    int64_t auth_retry_ms;  /* wait after 401/403 */
    char *log_level;        /* error, warn, info, debug */
} conf_service;

typedef struct {
    char name[CONF_NAME_MAX];
    char *base_url;
    char *principal;
    char *secret_file; /* secret by file reference */
    char *secret_env;  /* or by environment variable name */
    char *cacert;
    char *proxy;
    int insecure;
    int64_t timeout_ms;
    int64_t since_ms;    /* how far back a new state starts (at most 7 days) */
    char *endpoint;      /* SIEM endpoint: all, issues, clicks-blocked… */
    char *threat_status; /* comma list; default active,cleared,falsePositive */
    char *outputs;       /* comma list of output names; default every output */
} conf_tenant;

#define CONF_MAX_PASSTHROUGH 64

/* A "kafka.NAME = VALUE" line of an output section, handed to librdkafka as is. */
typedef struct {
    char *key; /* NAME, without the "kafka." prefix */
    char *value;
} conf_pair;

typedef struct {
    char name[CONF_NAME_MAX];
    char *type;          /* file, stdout, syslog, http, kafka */
    char *path;          /* file: where */
    char *format;        /* raw, ecs, ocsf, cef */
    int64_t rotate_size; /* file: rotate past this many bytes (0 = never) */
    int rotate_keep;     /* file: rotated files kept */
    /* network outputs */
    char *address;      /* syslog: host:port */
    char *transport;    /* syslog: udp, tcp, tls */
    char *facility;     /* syslog: kern … local7 */
    char *app_name;     /* syslog: APP-NAME */
    char *hostname;     /* syslog: HOSTNAME (default: this machine's) */
    char *url;          /* http: where to POST */
    char *flavour;      /* http: json, splunk-hec, elasticsearch */
    char *token_file;   /* http: token (HEC token, ES API key, bearer) by file */
    char *token_env;    /* http: or by environment variable name */
    char *index;        /* http: ES index / HEC index */
    char *sourcetype;   /* http: HEC sourcetype */
    char *channel;      /* http: HEC channel id (default: generated) */
    int hec_ack;        /* http: wait for HEC indexer acknowledgements */
    int gzip;           /* http: compress bodies */
    int batch_events;   /* http: events per request */
    int64_t batch_size; /* http: bytes per request */
    int max_in_flight;  /* http: requests outstanding at once */
    int retries;        /* syslog/http: attempts after a failure before the window fails */
    int64_t timeout_ms; /* syslog/http/kafka: how long one delivery may take */
    char *cacert;       /* syslog tls/http: CA bundle */
    int insecure;       /* syslog tls/http: skip certificate verification */
    char *brokers;      /* kafka: bootstrap servers */
    char *topic;        /* kafka: topic, or prefix when topic_per_type */
    int topic_per_type; /* kafka: one topic per event type: TOPIC.clicksBlocked … */
    conf_pair passthrough[CONF_MAX_PASSTHROUGH];
    int n_passthrough;
} conf_output;

typedef struct {
    conf_service service;
    conf_tenant tenants[CONF_MAX_TENANTS];
    int n_tenants;
    conf_output outputs[CONF_MAX_OUTPUTS];
    int n_outputs;
    char error[512]; /* "FILE:LINE: message" of the first problem */
} conf;

/* Sets every key to its default. */
void conf_init(conf *c);

/* Reads and validates an INI file over the defaults. Returns 0, or -1 with
 * c->error naming the file, line and key. */
int conf_load_file(conf *c, const char *path);

/* Sets one key as if read from a file (for command-line flags). section is
 * "service", "tenant" or "output"; name selects (and creates) the instance. */
int conf_set(conf *c, const char *section, const char *name, const char *key, const char *value);

/* Checks what no single key can: at least one tenant, outputs that exist,
 * per-type required keys. Returns 0 or -1 with c->error. */
int conf_validate(conf *c);

/* Checks that every tenant has credentials to run with: a principal and a
 * secret_file or secret_env. Returns 0 or -1 with c->error. */
int conf_validate_credentials(conf *c);

/* Frees the strings of c. */
void conf_dispose(conf *c);

/* Writes the reference of every key (roff, for pptap.conf(5)). */
void conf_write_reference(FILE *out);

/* Parses "10", "10k", "10M", "1G" (powers of 1024) into bytes. Returns 0 or -1. */
int conf_parse_size(int64_t *out, const char *s);

#endif
