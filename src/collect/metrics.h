/*
 * Collector metrics, served in the Prometheus text format on a loopback
 * port. The engine updates counters with atomic operations; the server
 * thread reads them.
 */
#ifndef PPTAP_COLLECT_METRICS_H
#define PPTAP_COLLECT_METRICS_H

#include <stdint.h>

#include <pptap/tap.h>

typedef struct {
    char tenant[64];
    char pool[32];                      /* the throttle pool the tenant's requests spend */
    int64_t events[PPTAP_EVENT_COUNT_]; /* delivered, by type */
    int64_t updates;                    /* delivered again because they changed */
    int64_t duplicates;                 /* dropped: seen before, unchanged */
    int64_t quarantined;
    int64_t requests;      /* SIEM requests (attempts) */
    int64_t throttled;     /* 429 answers */
    int64_t auth_failures; /* 401/403 answers */
    int64_t bad_responses; /* truncated or malformed bodies */
    int64_t output_errors;
    int64_t gaps, gap_seconds;
    int64_t budget_left;  /* requests left in the pool's planned share */
    int64_t final_cursor; /* seconds since the epoch */
    int64_t early_cursor;
    int64_t lag_seconds; /* server now - final cursor */
} collect_tenant_metrics;

/* The counters of one output; the output's code updates them. */
typedef struct {
    char output[64];
    char type[16];
    int64_t events;   /* events accepted by write() */
    int64_t failures; /* deliveries that failed (after the output's own retries) */
    int64_t retries;  /* attempts made again (connection, 5xx, 429, broker down…) */
    int64_t rejected; /* events the receiver refused for good (quarantined) */
    int64_t queued;   /* gauge: events written, not yet acknowledged */
} collect_output_metrics;

typedef struct collect_metrics collect_metrics;

int collect_metrics_new(collect_metrics **out);
/* The counters of one tenant (created on first use; at most 64). */
collect_tenant_metrics *collect_metrics_tenant(collect_metrics *m, const char *tenant);
/* The counters of one output (created on first use; at most 16). */
collect_output_metrics *collect_metrics_output(collect_metrics *m, const char *output,
                                               const char *type);
/* Starts the HTTP endpoint on "host:port" (loopback). Returns 0 or -1. */
int collect_metrics_serve(collect_metrics *m, const char *addr);
void collect_metrics_stop(collect_metrics *m);
void collect_metrics_free(collect_metrics *m);

static inline void collect_metrics_add(int64_t *counter, int64_t v)
{
    __atomic_add_fetch(counter, v, __ATOMIC_RELAXED);
}

static inline void collect_metrics_set(int64_t *gauge, int64_t v)
{
    __atomic_store_n(gauge, v, __ATOMIC_RELAXED);
}

#endif
