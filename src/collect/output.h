/*
 * Collector outputs. Each output type is one file (out_<type>.c) that
 * declares a `collect_output_type` in the table of output.c.
 *
 * The engine writes a window's events with write(), then calls flush(),
 * which returns only when the output holds them durably (its
 * acknowledgement). Only then is the window's checkpoint committed, in the
 * same SQLite transaction as the position flush() reported. When a window
 * fails, rollback() returns the output to its last flushed position, where
 * the output can (the file: exactly once); others deliver again
 * (at least once, the event_id identifies duplicates).
 */
#ifndef PPTAP_COLLECT_OUTPUT_H
#define PPTAP_COLLECT_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include <pptap/format.h>
#include <pptap/tap.h>
#include <pptap/time.h>

#include "config.h"
#include "metrics.h"

typedef struct collect_output collect_output;

/* One event as an output receives it. */
typedef struct {
    const char *line;      /* the event in the output's format, ending in '\n' */
    size_t len;            /* bytes of line, the '\n' included */
    const char *event_id;  /* its identity: syslog SD, Kafka key, Elasticsearch _id */
    pptap_event_type type; /* clicksBlocked … (Kafka topic per type) */
    const char *tenant;    /* the collector tenant it came from */
    pptap_time_ms time;    /* clickTime / messageTime, or PPTAP_TIME_NONE */
    /* The event's most severe classification as the API wrote it (malware,
     * phish, impostor, toad, spam, in that order; case varies), or NULL
     * (none, or a gap record). Valid during write() only. */
    const char *classification;
    int64_t version; /* 0: first delivery; n: the nth changed re-emission (update) */
} collect_record;

typedef struct {
    const char *name;
    const char *description;
    int exactly_once; /* 1: rollback() undoes unflushed writes, position is committed */
    /* Opens with the position committed by the last checkpoint (-1: none).
     * Returns 0, -1, or PPTAP_ECONFIG when the settings are refused (the
     * collector then exits with status 78). */
    int (*open)(collect_output *o, int64_t committed);
    /* Takes one event; may block while the output is full (backpressure),
     * never grows without bound. */
    int (*write)(collect_output *o, const collect_record *r);
    /* Makes everything written durable; *position is what to commit. */
    int (*flush)(collect_output *o, int64_t *position);
    /* Called after the checkpoint with *position committed (rotation point). */
    int (*committed)(collect_output *o, int64_t *position, int *changed);
    int (*rollback)(collect_output *o);
    void (*close)(collect_output *o);
} collect_output_type;

struct collect_output {
    const collect_output_type *type;
    const conf_output *conf;
    pptap_eventfmt format;     /* what write() receives */
    void *state;               /* the type's own */
    collect_output_metrics *m; /* counters the type updates (retries, rejected, queued) */
    /* Set by the engine before open(): keeps an event the receiver refused
     * for good (an Elasticsearch mapping error, a 400 for one item) in the
     * store's quarantine, in the window's transaction, so it is not lost and
     * does not block the window. Call it from write() or flush() only.
     * Returns 0 or -1. */
    int (*reject)(collect_output *o, const collect_record *r, const char *reason);
    void *engine;     /* the engine's, for reject() */
    uint64_t written; /* events written since start */
    uint64_t errors;  /* failed writes/flushes */
    char error[256];  /* last error, for the log */
    /* Set with a failure that may pass by itself (a receiver down or
     * unreachable): the engine holds the tenant and collects the window
     * again after a backoff instead of stopping. Cleared by the engine. */
    int transient;
};

/* The type called `name`, or NULL. */
const collect_output_type *collect_output_find(const char *name);

extern const collect_output_type collect_out_file;
extern const collect_output_type collect_out_stdout;
extern const collect_output_type collect_out_syslog;
extern const collect_output_type collect_out_http;
extern const collect_output_type collect_out_kafka;

/* Checks the producer settings of a kafka output (kafka.* lines included)
 * as librdkafka will take them. Returns 0, or -1 with librdkafka's message
 * in err. */
int collect_out_kafka_check(const conf_output *oc, char *err, size_t errlen);

#endif
