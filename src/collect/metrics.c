/*
 * The metrics endpoint (libmicrohttpd): GET /metrics.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <pptap/common.h>

#include "metrics.h"

#define MAX_TENANTS 64

#define MAX_OUTPUTS 16

struct collect_metrics {
    collect_tenant_metrics t[MAX_TENANTS];
    int n;
    collect_output_metrics o[MAX_OUTPUTS];
    int n_o;
    struct MHD_Daemon *d;
};

int collect_metrics_new(collect_metrics **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : PPTAP_ENOMEM;
}

collect_tenant_metrics *collect_metrics_tenant(collect_metrics *m, const char *tenant)
{
    for (int i = 0; i < m->n; i++) {
        if (strcmp(m->t[i].tenant, tenant) == 0) {
            return &m->t[i];
        }
    }
    int i = m->n < MAX_TENANTS ? m->n++ : MAX_TENANTS - 1;
    snprintf(m->t[i].tenant, sizeof(m->t[i].tenant), "%s", tenant);
    return &m->t[i];
}

collect_output_metrics *collect_metrics_output(collect_metrics *m, const char *output,
                                               const char *type)
{
    for (int i = 0; i < m->n_o; i++) {
        if (strcmp(m->o[i].output, output) == 0) {
            return &m->o[i];
        }
    }
    int i = m->n_o < MAX_OUTPUTS ? m->n_o++ : MAX_OUTPUTS - 1;
    snprintf(m->o[i].output, sizeof(m->o[i].output), "%s", output);
    snprintf(m->o[i].type, sizeof(m->o[i].type), "%s", type);
    return &m->o[i];
}

static int64_t get(const int64_t *v)
{
    return __atomic_load_n(v, __ATOMIC_RELAXED);
}

typedef struct {
    char *p;
    size_t len, cap;
} sbuf;

static void put(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            return;
        }
        if (b->p != NULL && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + (size_t)n + 1) {
            cap *= 2;
        }
        char *np = realloc(b->p, cap);
        if (np == NULL) {
            return;
        }
        b->p = np;
        b->cap = cap;
    }
}

typedef struct {
    const char *name, *type, *help;
    size_t off;
    int per_pool; /* labelled with the throttle pool too */
} metric_def;

#define M(f) offsetof(collect_tenant_metrics, f)

static const metric_def defs[] = {
    {"pptap_updates_total", "counter", "Events delivered again because they changed.", M(updates)},
    {"pptap_dedupe_hits_total", "counter", "Events dropped as unchanged repeats.", M(duplicates)},
    {"pptap_quarantined_total", "counter", "Events kept aside because they could not be read.",
     M(quarantined)},
    {"pptap_requests_total", "counter", "SIEM API requests (every attempt), by pool.", M(requests),
     1},
    {"pptap_throttled_total", "counter", "429 answers (throttle pool exhausted), by pool.",
     M(throttled), 1},
    {"pptap_auth_failures_total", "counter", "401/403 answers.", M(auth_failures)},
    {"pptap_bad_responses_total", "counter", "Truncated or malformed responses.", M(bad_responses)},
    {"pptap_output_errors_total", "counter", "Failed writes or flushes of outputs.",
     M(output_errors)},
    {"pptap_gaps_total", "counter", "Gap records: time that could not be collected.", M(gaps)},
    {"pptap_gap_seconds_total", "counter", "Seconds of time in gap records.", M(gap_seconds)},
    {"pptap_budget_left", "gauge", "Requests left in the planned share of the pool (24 h).",
     M(budget_left), 1},
    {"pptap_final_cursor_seconds", "gauge", "End of the last complete window (Unix time).",
     M(final_cursor)},
    {"pptap_early_cursor_seconds", "gauge", "End of the last early-pass window (Unix time).",
     M(early_cursor)},
    {"pptap_lag_seconds", "gauge", "Server time minus the final cursor.", M(lag_seconds)},
};

static char *render(collect_metrics *m, size_t *len)
{
    sbuf b = {NULL, 0, 0};
    put(&b, "# HELP pptap_events_total Events delivered to the outputs.\n"
            "# TYPE pptap_events_total counter\n");
    for (int i = 0; i < m->n; i++) {
        for (int k = 0; k < PPTAP_EVENT_COUNT_; k++) {
            put(&b, "pptap_events_total{tenant=\"%s\",type=\"%s\"} %lld\n", m->t[i].tenant,
                pptap_event_type_name((pptap_event_type)k), (long long)get(&m->t[i].events[k]));
        }
    }
    for (size_t d = 0; d < sizeof(defs) / sizeof(defs[0]); d++) {
        put(&b, "# HELP %s %s\n# TYPE %s %s\n", defs[d].name, defs[d].help, defs[d].name,
            defs[d].type);
        for (int i = 0; i < m->n; i++) {
            const int64_t *v = (const int64_t *)((const char *)&m->t[i] + defs[d].off);
            if (defs[d].per_pool) {
                put(&b, "%s{tenant=\"%s\",pool=\"%s\"} %lld\n", defs[d].name, m->t[i].tenant,
                    m->t[i].pool, (long long)get(v));
            } else {
                put(&b, "%s{tenant=\"%s\"} %lld\n", defs[d].name, m->t[i].tenant,
                    (long long)get(v));
            }
        }
    }
    static const struct {
        const char *name, *type, *help;
        size_t off;
    } odefs[] = {
        {"pptap_output_events_total", "counter", "Events written to an output.",
         offsetof(collect_output_metrics, events)},
        {"pptap_output_failures_total", "counter",
         "Deliveries that failed after the output's own retries (the window is collected again).",
         offsetof(collect_output_metrics, failures)},
        {"pptap_output_retries_total", "counter", "Deliveries an output attempted again.",
         offsetof(collect_output_metrics, retries)},
        {"pptap_output_rejected_total", "counter",
         "Events a receiver refused for good (kept in the store's quarantine).",
         offsetof(collect_output_metrics, rejected)},
        {"pptap_output_queued", "gauge", "Events written to an output, not yet acknowledged.",
         offsetof(collect_output_metrics, queued)},
    };
    for (size_t d = 0; d < sizeof(odefs) / sizeof(odefs[0]); d++) {
        put(&b, "# HELP %s %s\n# TYPE %s %s\n", odefs[d].name, odefs[d].help, odefs[d].name,
            odefs[d].type);
        for (int i = 0; i < m->n_o; i++) {
            const int64_t *v = (const int64_t *)((const char *)&m->o[i] + odefs[d].off);
            put(&b, "%s{output=\"%s\",type=\"%s\"} %lld\n", odefs[d].name, m->o[i].output,
                m->o[i].type, (long long)get(v));
        }
    }
    *len = b.len;
    return b.p;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)version;
    (void)upload;
    (void)upload_size;
    (void)con_cls;
    collect_metrics *m = cls;
    struct MHD_Response *r;
    unsigned status = MHD_HTTP_OK;
    if (strcmp(method, "GET") != 0 || strcmp(url, "/metrics") != 0) {
        static const char nf[] = "not found: GET /metrics\n";
        status = MHD_HTTP_NOT_FOUND;
        r = MHD_create_response_from_buffer(sizeof(nf) - 1, (void *)nf, MHD_RESPMEM_PERSISTENT);
    } else {
        size_t len = 0;
        char *text = render(m, &len);
        r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
        MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4");
    }
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

int collect_metrics_serve(collect_metrics *m, const char *addr)
{
    const char *colon = strrchr(addr, ':');
    if (colon == NULL) {
        return -1;
    }
    char host[64];
    size_t hl = (size_t)(colon - addr);
    if (hl >= sizeof(host)) {
        return -1;
    }
    memcpy(host, addr, hl);
    host[hl] = '\0';
    if (strcmp(host, "localhost") == 0) {
        snprintf(host, sizeof(host), "127.0.0.1");
    }
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        return -1;
    }
    m->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handle, m,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_END);
    return m->d ? 0 : -1;
}

void collect_metrics_stop(collect_metrics *m)
{
    if (m != NULL && m->d != NULL) {
        MHD_stop_daemon(m->d);
        m->d = NULL;
    }
}

void collect_metrics_free(collect_metrics *m)
{
    collect_metrics_stop(m);
    free(m);
}
