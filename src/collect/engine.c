/*
 * The collector engine (engine.h).
 *
 * One thread, tenants served in turn, one request at a time. A window is
 * delivered like this:
 *
 *   1. the request is written to the ledger (its own transaction), so the
 *      budget counts it whatever happens next;
 *   2. a store transaction opens; the response streams in; each event is
 *      stored (new, duplicate, update or quarantined) and the new and updated
 *      ones are written to the tenant's outputs;
 *   3. every output flushes (the file fsyncs): its acknowledgement;
 *   4. the cursors and the outputs' positions are committed in that same
 *      transaction.
 *
 * A failure at any step rolls back the transaction and the outputs; the
 * window is fetched again later and its events dedupe against the store.
 * API failures and an output's transient failure (a receiver down, see
 * collect_output.transient) hold the tenant for a backoff; a store failure
 * or any other output failure stops the collector. A kill -9 anywhere
 * leaves the last commit: the file output is cut back to its committed
 * position on the next start.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <pptap/pptap.h>
#include <pptap/store.h>

#include "engine.h"
#include "metrics.h"
#include "output.h"
#include "planner.h"

#define OUTPUTS_TENANT "*"
#define SECOND 1000LL
#define MINUTE (60 * SECOND)
#define DAY (24 * 60 * MINUTE)
#define SYNC_THREAT_ID "0000000000000000000000000000000000000000000000000000000000000000"

typedef struct {
    const conf_tenant *ct;
    pptap_settings set;
    pptap_client *client;
    int64_t skew_ms; /* server clock - local clock */
    int synced;
    pptap_time_ms final, early; /* cursors, -1 until loaded */
    /* Where complete coverage of the configured endpoint and statuses
     * begins, to be written with the next checkpoint (PPTAP_TIME_NONE: the
     * store already says so). */
    pptap_time_ms start_pending;
    char statuses_text[64];   /* the statuses collected, canonical order */
    pptap_time_ms hold_until; /* local time before which nothing is tried */
    int failures;             /* consecutive failed windows */
    int held_by;              /* why it is held: 0, PPTAP_EAUTH, PPTAP_ERATELIMIT, other error */
    int outs[CONF_MAX_OUTPUTS];
    int n_outs;
    pptap_endpoint ep;
    pptap_pool pool;
    unsigned statuses;
    collect_tenant_metrics *m;
} tenant_rt;

typedef struct {
    const conf *cf;
    const collect_run_opts *o;
    pptap_store *st;
    collect_output outs[CONF_MAX_OUTPUTS];
    int n_outs;
    tenant_rt t[CONF_MAX_TENANTS];
    int n_t;
    planner_params pp;
    collect_metrics *m;
    /* the window in progress */
    tenant_rt *cur;
    int window_failed;
    int output_transient; /* the window failed on an output's transient error */
    char collected_at[PPTAP_TIME_STRLEN];
    char window_error[512];
    pptap_buf lines[PPTAP_EVENTFMT_COUNT_]; /* the event in progress, per format */
    int have_line[PPTAP_EVENTFMT_COUNT_];
} engine;

/* ------------------------------------------------------------------------- */
/* Logging: "pptap: collect: [tenant] message" on stderr. */

enum { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

static int log_threshold = LOG_INFO;

static void logm(int level, const tenant_rt *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void logm(int level, const tenant_rt *t, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    if (level > log_threshold) {
        return;
    }
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (t != NULL) {
        fprintf(stderr, "pptap: collect: %s: [%s] %s\n", names[level], t->ct->name, msg);
    } else {
        fprintf(stderr, "pptap: collect: %s: %s\n", names[level], msg);
    }
}

static void fmt_time(char out[PPTAP_TIME_STRLEN], pptap_time_ms t)
{
    pptap_time_format(out, t);
}

/* ------------------------------------------------------------------------- */
/* Clocks */

static pptap_time_ms server_now(const tenant_rt *t)
{
    return pptap_time_now() + t->skew_ms;
}

static pptap_time_ms client_clock(void *payload)
{
    return server_now(payload);
}

/* Corrects the skew from the Date header of the last response. */
static void learn_skew(tenant_rt *t)
{
    const pptap_response_info *ri = pptap_client_last_response(t->client);
    if (ri->server_date == PPTAP_TIME_NONE || ri->local_time == PPTAP_TIME_NONE) {
        return;
    }
    /* local_time was read on the skewed clock; Date has whole seconds. */
    int64_t local = ri->local_time - t->skew_ms;
    int64_t skew = ri->server_date + 500 - local;
    if (!t->synced || llabs(skew - t->skew_ms) > 1500) {
        if (llabs(skew) > 2 * SECOND) {
            logm(LOG_DEBUG, t, "server clock is %+.1f s from the local clock",
                 (double)skew / 1000.0);
        }
        t->skew_ms = skew;
    }
    t->synced = 1;
}

static void sleep_ms(int64_t ms, volatile sig_atomic_t *stop)
{
    while (ms > 0 && !(stop && *stop)) {
        int64_t step = ms > 500 ? 500 : ms;
        struct timespec ts = {(time_t)(step / 1000), (long)(step % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

/* ------------------------------------------------------------------------- */
/* Setup */

static int endpoint_of(const char *name, pptap_endpoint *ep)
{
    static const struct {
        const char *name;
        pptap_endpoint ep;
    } map[] = {
        {"all", PPTAP_EP_SIEM_ALL},
        {"issues", PPTAP_EP_SIEM_ISSUES},
        {"clicks-blocked", PPTAP_EP_SIEM_CLICKS_BLOCKED},
        {"clicks-permitted", PPTAP_EP_SIEM_CLICKS_PERMITTED},
        {"messages-blocked", PPTAP_EP_SIEM_MESSAGES_BLOCKED},
        {"messages-delivered", PPTAP_EP_SIEM_MESSAGES_DELIVERED},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(map[i].name, name) == 0) {
            *ep = map[i].ep;
            return 0;
        }
    }
    return -1;
}

static unsigned statuses_of(const char *list)
{
    unsigned bits = 0;
    char word[64];
    const char *p = list;
    while (p != NULL && *p) {
        const char *comma = strchr(p, ',');
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        if (l < sizeof(word)) {
            memcpy(word, p, l);
            word[l] = '\0';
            bits |= pptap_threat_status_bit(word);
        }
        p = comma ? comma + 1 : p + l;
    }
    return bits;
}

/* The statuses of `bits` as the "statuses" checkpoint holds them. */
static void statuses_text(unsigned bits, char *out, size_t n)
{
    snprintf(out, n, "%s%s%s%s%s", bits & PPTAP_THREAT_STATUS_ACTIVE ? "active" : "",
             (bits & PPTAP_THREAT_STATUS_ACTIVE) && (bits & ~PPTAP_THREAT_STATUS_ACTIVE) ? "," : "",
             bits & PPTAP_THREAT_STATUS_CLEARED ? "cleared" : "",
             (bits & PPTAP_THREAT_STATUS_CLEARED) && (bits & PPTAP_THREAT_STATUS_FALSE_POSITIVE)
                 ? ","
                 : "",
             bits & PPTAP_THREAT_STATUS_FALSE_POSITIVE ? "falsePositive" : "");
}

static int in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    const char *p = list;
    while (p != NULL && *p) {
        const char *comma = strchr(p, ',');
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        if (l == n && strncmp(p, name, n) == 0) {
            return 1;
        }
        p = comma ? comma + 1 : p + l;
    }
    return 0;
}

static int setup_tenant(engine *e, tenant_rt *t, const conf_tenant *ct)
{
    memset(t, 0, sizeof(*t));
    t->ct = ct;
    t->final = -1;
    t->early = -1;
    t->start_pending = PPTAP_TIME_NONE;
    t->m = collect_metrics_tenant(e->m, ct->name);
    if (endpoint_of(ct->endpoint, &t->ep) != 0) {
        logm(LOG_ERROR, t, "unknown endpoint '%s'", ct->endpoint);
        return PPTAP_ECONFIG;
    }
    t->pool = pptap_endpoint_pool(t->ep);
    snprintf(t->m->pool, sizeof(t->m->pool), "%s", pptap_pool_name(t->pool));
    t->statuses = statuses_of(ct->threat_status);
    statuses_text(t->statuses, t->statuses_text, sizeof(t->statuses_text));
    for (int i = 0; i < e->n_outs; i++) {
        if (ct->outputs == NULL || in_list(ct->outputs, e->cf->outputs[i].name)) {
            t->outs[t->n_outs++] = i;
        }
    }
    pptap_settings *s = &t->set;
    int rc = 0;
    if (ct->secret_file != NULL) {
        rc = pptap_settings_load_secret_file(s, ct->secret_file);
    } else if (ct->secret_env != NULL) {
        const char *v = getenv(ct->secret_env);
        if (v == NULL || v[0] == '\0') {
            logm(LOG_ERROR, t, "secret_env: the environment variable %s is not set",
                 ct->secret_env);
            return PPTAP_ECONFIG;
        }
        rc = pptap_settings_set(s, &s->secret, v);
    }
    if (rc != 0) {
        logm(LOG_ERROR, t, "secret: %s", s->error[0] ? s->error : pptap_strerror(rc));
        return rc == PPTAP_ENOMEM ? rc : PPTAP_ECONFIG;
    }
    if (pptap_settings_set(s, &s->base_url, ct->base_url) != 0 ||
        pptap_settings_set(s, &s->principal, ct->principal) != 0 ||
        pptap_settings_set(s, &s->cacert, ct->cacert) != 0 ||
        pptap_settings_set(s, &s->proxy, ct->proxy) != 0) {
        return PPTAP_ENOMEM;
    }
    s->insecure = ct->insecure;
    s->timeout_ms = (long)ct->timeout_ms;
    if (s->insecure) {
        logm(LOG_WARN, t, "TLS certificate verification is OFF (insecure = true)");
    }
    pptap_client_opts co = PPTAP_CLIENT_OPTS_INIT;
    pptap_settings_apply(s, &co);
    co.clock = client_clock;
    co.clock_payload = t;
    rc = pptap_client_new(&t->client, &co);
    if (rc != 0) {
        logm(LOG_ERROR, t, "cannot create the API client: %s", pptap_strerror(rc));
        return rc == PPTAP_EINVAL ? PPTAP_ECONFIG : rc;
    }
    return 0;
}

/* ------------------------------------------------------------------------- */
/* Checkpoints */

static int load_cursors(engine *e, tenant_rt *t)
{
    if (t->final >= 0) {
        return 0;
    }
    int64_t f, ea;
    int rc = pptap_store_checkpoint_get_int(e->st, &f, t->ct->name, "final");
    if (rc == PPTAP_ENOTFOUND) {
        pptap_time_ms start = planner_start(&e->pp, server_now(t), t->ct->since_ms);
        char when[PPTAP_TIME_STRLEN];
        fmt_time(when, start);
        logm(LOG_INFO, t, "new state: collecting from %s", when);
        t->final = t->early = start;
        t->start_pending = start;
        return 0;
    }
    if (rc == 0) {
        rc = pptap_store_checkpoint_get_int(e->st, &ea, t->ct->name, "early");
        if (rc == PPTAP_ENOTFOUND) {
            ea = f;
            rc = 0;
        }
    }
    if (rc != 0) {
        logm(LOG_ERROR, t, "store: %s", pptap_store_last_error(e->st));
        return rc;
    }
    t->final = f;
    t->early = ea < f ? f : ea;
    /* The store covers [start, final) completely for the endpoint and
     * statuses it names; with another configuration coverage starts again
     * at the final cursor. */
    int same = 1;
    pptap_buf v = PPTAP_BUF_INIT;
    const char *names[2] = {"endpoint", "statuses"};
    const char *want[2] = {t->ct->endpoint, t->statuses_text};
    for (int i = 0; i < 2 && same; i++) {
        v.len = 0;
        rc = pptap_store_checkpoint_get_text(e->st, &v, t->ct->name, names[i]);
        if (rc != 0 && rc != PPTAP_ENOTFOUND) {
            pptap_buf_dispose(&v);
            logm(LOG_ERROR, t, "store: %s", pptap_store_last_error(e->st));
            return rc;
        }
        same = rc == 0 && v.ptr != NULL && strcmp(v.ptr, want[i]) == 0;
    }
    pptap_buf_dispose(&v);
    if (!same) {
        char when[PPTAP_TIME_STRLEN];
        fmt_time(when, f);
        logm(LOG_INFO, t, "endpoint %s, statuses %s: complete in the store from %s on",
             t->ct->endpoint, t->statuses_text, when);
        t->start_pending = f;
    }
    return 0;
}

static void output_key(char *key, size_t n, const collect_output *o)
{
    snprintf(key, n, "output:%s", o->conf->name);
}

/* Commits positions the outputs moved to after a checkpoint (rotation). */
static int after_commit(engine *e, tenant_rt *t)
{
    t->start_pending = PPTAP_TIME_NONE; /* written with the checkpoint */
    for (int k = 0; k < t->n_outs; k++) {
        collect_output *o = &e->outs[t->outs[k]];
        int64_t pos = 0;
        int changed = 0;
        if (o->type->flush(o, &pos) != 0 || o->type->committed(o, &pos, &changed) != 0) {
            logm(LOG_ERROR, t, "output %s: %s", o->conf->name, o->error);
            continue;
        }
        if (changed) {
            char key[CONF_NAME_MAX + 16];
            output_key(key, sizeof(key), o);
            if (pptap_store_begin(e->st) != 0 ||
                pptap_store_checkpoint_set_int(e->st, OUTPUTS_TENANT, key, pos) != 0 ||
                pptap_store_commit(e->st) != 0) {
                logm(LOG_ERROR, t, "store: %s", pptap_store_last_error(e->st));
                (void)pptap_store_rollback(e->st);
                return PPTAP_EIO;
            }
            logm(LOG_INFO, t, "output %s: rotated", o->conf->name);
        }
    }
    return 0;
}

/* Flushes the tenant's outputs and writes cursors and positions; the caller
 * holds the transaction and commits it. An output that does not acknowledge
 * (PPTAP_EUNAVAIL, e->window_error says why) fails the window, which is
 * tried again later; other errors are the store's. */
static int acknowledge(engine *e, tenant_rt *t, pptap_time_ms final, pptap_time_ms early)
{
    for (int k = 0; k < t->n_outs; k++) {
        collect_output *o = &e->outs[t->outs[k]];
        int64_t pos;
        o->transient = 0;
        if (o->type->flush(o, &pos) != 0) {
            /* The receiver did not take the window (the caller logs why):
             * it is collected again later. */
            snprintf(e->window_error, sizeof(e->window_error), "output %s: %s", o->conf->name,
                     o->error);
            e->output_transient = 1;
            collect_metrics_add(&t->m->output_errors, 1);
            collect_metrics_add(&o->m->failures, 1);
            return PPTAP_EUNAVAIL;
        }
        if (o->type->exactly_once) {
            char key[CONF_NAME_MAX + 16];
            output_key(key, sizeof(key), o);
            if (pptap_store_checkpoint_set_int(e->st, OUTPUTS_TENANT, key, pos) != 0) {
                return PPTAP_EIO;
            }
        }
    }
    if (pptap_store_checkpoint_set_int(e->st, t->ct->name, "final", final) != 0 ||
        pptap_store_checkpoint_set_int(e->st, t->ct->name, "early", early) != 0) {
        return PPTAP_EIO;
    }
    if (t->start_pending != PPTAP_TIME_NONE &&
        (pptap_store_checkpoint_set_int(e->st, t->ct->name, "start", t->start_pending) != 0 ||
         pptap_store_checkpoint_set_text(e->st, t->ct->name, "endpoint", t->ct->endpoint) != 0 ||
         pptap_store_checkpoint_set_text(e->st, t->ct->name, "statuses", t->statuses_text) != 0)) {
        return PPTAP_EIO;
    }
    return 0;
}

static void rollback_all(engine *e, tenant_rt *t)
{
    (void)pptap_store_rollback(e->st);
    for (int k = 0; k < t->n_outs; k++) {
        collect_output *o = &e->outs[t->outs[k]];
        if (o->type->rollback(o) != 0) {
            logm(LOG_ERROR, t, "output %s: %s", o->conf->name, o->error);
        }
    }
}

/* ------------------------------------------------------------------------- */
/* Delivery */

/* The time of an event (clickTime, messageTime), or PPTAP_TIME_NONE. */
static pptap_time_ms event_time(pptap_event_type type, json_t *event)
{
    int click = type == PPTAP_EVENT_CLICKS_BLOCKED || type == PPTAP_EVENT_CLICKS_PERMITTED;
    const char *s = json_string_value(json_object_get(event, click ? "clickTime" : "messageTime"));
    pptap_time_ms t;
    if (s == NULL || pptap_time_parse(&t, s, strlen(s)) != 0) {
        return PPTAP_TIME_NONE;
    }
    return t;
}

/* The rank of a classification, most severe first; unknown ones last. */
static int classification_rank(const char *c)
{
    static const char *const order[] = {"malware", "phish", "impostor", "toad", "spam"};
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        if (strcasecmp(c, order[i]) == 0) {
            return (int)i;
        }
    }
    return (int)(sizeof(order) / sizeof(order[0]));
}

/* A click's classification, or the most severe of a message's threats; NULL
 * when there is none. The string belongs to event. */
static const char *event_classification(pptap_event_type type, json_t *event)
{
    const char *c = json_string_value(json_object_get(event, "classification"));
    if (type == PPTAP_EVENT_CLICKS_BLOCKED || type == PPTAP_EVENT_CLICKS_PERMITTED) {
        return c;
    }
    size_t i;
    json_t *threat;
    json_array_foreach(json_object_get(event, "threatsInfoMap"), i, threat)
    {
        const char *tc = json_string_value(json_object_get(threat, "classification"));
        if (tc != NULL && (c == NULL || classification_rank(tc) < classification_rank(c))) {
            c = tc;
        }
    }
    return c;
}

/* What write_record() renders: an event, or a gap record. */
typedef struct {
    pptap_event_type type; /* PPTAP_EVENT_COUNT_ for a gap */
    json_t *event;
    const pptap_event_meta *meta;
    const pptap_gap_record *gap;
} rendition;

/* Renders once per format the tenant's outputs use and writes to each. */
static int write_record(engine *e, tenant_rt *t, const rendition *rd, collect_record *r)
{
    memset(e->have_line, 0, sizeof(e->have_line));
    for (int k = 0; k < t->n_outs; k++) {
        collect_output *o = &e->outs[t->outs[k]];
        pptap_buf *b = &e->lines[o->format];
        if (!e->have_line[o->format]) {
            b->len = 0;
            int rc = rd->gap != NULL
                         ? pptap_format_gap(b, o->format, rd->gap)
                         : pptap_format_event(b, o->format, rd->type, rd->event, rd->meta);
            if (rc != 0) {
                snprintf(e->window_error, sizeof(e->window_error), "cannot format a %s as %s: %s",
                         rd->gap ? "gap record" : "event", pptap_eventfmt_name(o->format),
                         pptap_strerror(rc));
                return -1;
            }
            e->have_line[o->format] = 1;
        }
        r->line = b->ptr;
        r->len = b->len;
        o->transient = 0;
        if (o->type->write(o, r) != 0) {
            snprintf(e->window_error, sizeof(e->window_error), "output %s: %s", o->conf->name,
                     o->error);
            e->output_transient = o->transient;
            collect_metrics_add(&t->m->output_errors, 1);
            collect_metrics_add(&o->m->failures, 1);
            return -1;
        }
        collect_metrics_add(&o->m->events, 1);
    }
    return 0;
}

static int write_event(engine *e, tenant_rt *t, pptap_event_type type, json_t *event,
                       const char *event_id, int64_t version)
{
    pptap_event_meta meta = {event_id, t->ct->name, e->collected_at, version > 0};
    rendition rd = {type, event, &meta, NULL};
    collect_record r = {NULL,
                        0,
                        event_id,
                        type,
                        t->ct->name,
                        event_time(type, event),
                        event_classification(type, event),
                        version};
    return write_record(e, t, &rd, &r);
}

static int on_event(pptap_event_type type, json_t *event, void *payload)
{
    engine *e = payload;
    tenant_rt *t = e->cur;
    pptap_store_put_result pr;
    if (pptap_store_put_event(e->st, t->ct->name, type, event, &pr) != 0) {
        snprintf(e->window_error, sizeof(e->window_error), "store: %s",
                 pptap_store_last_error(e->st));
        e->window_failed = 1;
        return 1;
    }
    switch (pr.outcome) {
    case PPTAP_STORE_QUARANTINED:
        collect_metrics_add(&t->m->quarantined, 1);
        logm(LOG_WARN, t, "quarantined a %s event: %s", pptap_event_type_name(type), pr.reason);
        return 0;
    case PPTAP_STORE_DUPLICATE:
        collect_metrics_add(&t->m->duplicates, 1);
        return 0;
    default:
        break;
    }
    int update = pr.outcome == PPTAP_STORE_UPDATED;
    if (write_event(e, t, type, event, pr.identity.event_id, update ? pr.updates : 0) != 0) {
        e->window_failed = 1;
        return 1;
    }
    collect_metrics_add(&t->m->events[type], 1);
    if (update) {
        collect_metrics_add(&t->m->updates, 1);
    }
    return 0;
}

/* ------------------------------------------------------------------------- */
/* Steps */

/* A request that failed: when to try again, and what to say. */
static void failed(engine *e, tenant_rt *t, int rc, const char *what)
{
    const char *detail = e->window_error[0] ? e->window_error : pptap_client_last_error(t->client);
    pptap_time_ms now = pptap_time_now();
    t->failures++;
    t->held_by = rc;
    if (rc == PPTAP_EAUTH) {
        int64_t wait = e->cf->service.auth_retry_ms;
        logm(LOG_ERROR, t, "%s: the API refused the credentials (%s); retrying in %lld min", what,
             detail, (long long)(wait / MINUTE));
        collect_metrics_add(&t->m->auth_failures, 1);
        t->hold_until = now + wait;
        return;
    }
    if (rc == PPTAP_ERATELIMIT) {
        pptap_time_ms free_at = PPTAP_TIME_NONE;
        int64_t count = 0;
        (void)pptap_store_ledger_count(e->st, &count, &free_at, t->ct->name,
                                       pptap_pool_name(t->pool), server_now(t), DAY);
        int64_t wait = free_at != PPTAP_TIME_NONE ? free_at - server_now(t) : 0;
        if (wait < 15 * MINUTE) {
            wait = 15 * MINUTE;
        }
        logm(LOG_ERROR, t,
             "%s: throttled by the API (429, pool %s, %lld requests in 24 h); "
             "pool parked for %lld min",
             what, pptap_pool_name(t->pool), (long long)count, (long long)(wait / MINUTE));
        collect_metrics_add(&t->m->throttled, 1);
        t->hold_until = now + wait;
        return;
    }
    if (rc == PPTAP_EINVAL && t->failures <= 2) {
        /* A 400 about time: the clocks drifted; resynchronise. */
        t->synced = 0;
    }
    int64_t wait = SECOND << (t->failures < 9 ? t->failures : 9);
    if (wait > 5 * MINUTE) {
        wait = 5 * MINUTE;
    }
    wait = wait / 2 + (int64_t)(rand() % (int)(wait / 2 + 1));
    logm(LOG_WARN, t, "%s: %s; retrying in %lld s", what, detail, (long long)(wait / SECOND));
    t->hold_until = now + wait;
}

static int sync_clock(engine *e, tenant_rt *t)
{
    pptap_threat_summary *ts = NULL;
    int rc = pptap_threat_summary_get(t->client, &ts, SYNC_THREAT_ID);
    pptap_threat_summary_free(ts);
    if (rc == PPTAP_ENOTFOUND || rc == 0) {
        learn_skew(t);
        return 0;
    }
    e->window_error[0] = '\0';
    failed(e, t, rc, "clock check");
    return rc;
}

/* The ledger: every attempt counts against the pool. */
static void ledger(engine *e, tenant_rt *t, int status)
{
    if (pptap_store_ledger_add(e->st, t->ct->name, pptap_pool_name(t->pool), server_now(t),
                               status) != 0) {
        logm(LOG_WARN, t, "store: ledger: %s", pptap_store_last_error(e->st));
    }
    collect_metrics_add(&t->m->requests, 1);
}

/* 1 when the budget allows another request of the tenant's pool now. */
static int budget_allows(engine *e, tenant_rt *t)
{
    int limit = pptap_pool_limit(t->pool);
    if (limit <= 0) {
        return 1;
    }
    int64_t allowed = (int64_t)limit * e->cf->service.budget_share / 100;
    int64_t count = 0;
    pptap_time_ms free_at = PPTAP_TIME_NONE;
    if (pptap_store_ledger_count(e->st, &count, &free_at, t->ct->name, pptap_pool_name(t->pool),
                                 server_now(t), DAY) != 0) {
        return 1;
    }
    collect_metrics_set(&t->m->budget_left, allowed - count);
    if (count < allowed) {
        return 1;
    }
    int64_t wait = free_at != PPTAP_TIME_NONE ? free_at - server_now(t) : MINUTE;
    logm(LOG_WARN, t, "budget: %lld of %lld requests of pool %s used in 24 h; waiting %lld min",
         (long long)count, (long long)allowed, pptap_pool_name(t->pool),
         (long long)(wait / MINUTE + 1));
    t->hold_until = pptap_time_now() + (wait > SECOND ? wait : SECOND);
    t->held_by = PPTAP_ERATELIMIT;
    return 0;
}

static int do_gap(engine *e, tenant_rt *t, const plan *p)
{
    char from[PPTAP_TIME_STRLEN], to[PPTAP_TIME_STRLEN];
    fmt_time(from, p->from);
    fmt_time(to, p->to);
    fmt_time(e->collected_at, server_now(t));
    const char *reason = "older than the 7 days the TAP API serves";
    logm(LOG_WARN, t, "gap: %s to %s cannot be collected any more (%s)", from, to, reason);
    e->window_error[0] = '\0';
    e->output_transient = 0;
    if (pptap_store_begin(e->st) != 0) {
        return PPTAP_EIO;
    }
    char id[PPTAP_STORE_TENANT_MAX + 80];
    snprintf(id, sizeof(id), "gap:%s:%lld:%lld", t->ct->name, (long long)p->from, (long long)p->to);
    pptap_gap_record g = {id, t->ct->name, e->collected_at, from, to, reason};
    rendition rd = {PPTAP_EVENT_COUNT_, NULL, NULL, &g};
    collect_record r = {NULL, 0, id, PPTAP_EVENT_COUNT_, t->ct->name, p->from, NULL, 0};
    int rc = pptap_store_gap_add(e->st, t->ct->name, p->from, p->to, reason);
    if (rc == 0 && write_record(e, t, &rd, &r) != 0) {
        rc = PPTAP_EIO;
    }
    if (rc == 0) {
        rc = acknowledge(e, t, p->to, t->early > p->to ? t->early : p->to);
    }
    if (rc == 0) {
        rc = pptap_store_commit(e->st);
    }
    if (rc == PPTAP_EUNAVAIL || (rc != 0 && e->output_transient)) {
        rollback_all(e, t);
        failed(e, t, PPTAP_EUNAVAIL, "gap record");
        return 0; /* handled: the gap record is written again later */
    }
    if (rc != 0) {
        logm(LOG_ERROR, t, "gap record: %s",
             e->window_error[0] ? e->window_error : pptap_store_last_error(e->st));
        rollback_all(e, t);
        return rc;
    }
    collect_metrics_add(&t->m->gaps, 1);
    collect_metrics_add(&t->m->gap_seconds, (p->to - p->from) / 1000);
    t->early = t->early > p->to ? t->early : p->to;
    t->final = p->to;
    return after_commit(e, t);
}

static int do_window(engine *e, tenant_rt *t, const plan *p)
{
    char from[PPTAP_TIME_STRLEN], to[PPTAP_TIME_STRLEN];
    fmt_time(from, p->from);
    fmt_time(to, p->to);
    const char *pass = p->kind == PLAN_FINAL ? "final" : "early";
    fmt_time(e->collected_at, server_now(t));
    e->cur = t;
    e->window_failed = 0;
    e->output_transient = 0;
    e->window_error[0] = '\0';

    ledger(e, t, 0);
    if (pptap_store_begin(e->st) != 0) {
        logm(LOG_ERROR, t, "store: %s", pptap_store_last_error(e->st));
        return PPTAP_EIO;
    }
    pptap_siem_query q;
    memset(&q, 0, sizeof(q));
    q.endpoint = t->ep;
    q.start = p->from;
    q.end = p->to;
    q.format = PPTAP_FORMAT_JSON;
    q.threat_statuses = t->statuses;
    pptap_stream_result res;
    memset(&res, 0, sizeof(res));
    int rc = pptap_siem_stream(t->client, &q, on_event, e, &res);
    learn_skew(t);
    const pptap_response_info *ri = pptap_client_last_response(t->client);
    for (int a = 1; a < ri->attempts; a++) {
        ledger(e, t, 0); /* retried attempts spend the pool too */
    }
    if (rc == 0 && e->window_failed) {
        rc = PPTAP_EIO;
    }
    if (rc == 0) {
        pptap_time_ms nf = p->kind == PLAN_FINAL ? p->to : t->final;
        pptap_time_ms ne = p->to > t->early ? p->to : t->early;
        rc = acknowledge(e, t, nf, ne);
        if (rc == PPTAP_EUNAVAIL) {
            rollback_all(e, t);
            char what[128];
            snprintf(what, sizeof(what), "%s pass %s/%s", pass, from, to);
            failed(e, t, rc, what);
            return 0; /* handled: the window is tried again later */
        }
        if (rc == 0 && pptap_store_commit(e->st) != 0) {
            rc = PPTAP_EIO;
        }
        if (rc == 0) {
            t->final = nf;
            t->early = ne;
            t->failures = 0;
            t->held_by = 0;
            collect_metrics_set(&t->m->final_cursor, nf / 1000);
            collect_metrics_set(&t->m->early_cursor, ne / 1000);
            logm(LOG_DEBUG, t, "%s pass %s/%s: %zu events", pass, from, to, res.delivered);
            return after_commit(e, t);
        }
        if (!e->output_transient) {
            logm(LOG_ERROR, t, "%s pass %s/%s: cannot checkpoint: %s", pass, from, to,
                 e->window_error[0] ? e->window_error : pptap_store_last_error(e->st));
            rollback_all(e, t);
            return rc;
        }
    }
    rollback_all(e, t);
    if (rc == PPTAP_EIO && !e->output_transient) {
        logm(LOG_ERROR, t, "%s pass %s/%s: %s", pass, from, to, e->window_error);
        return rc;
    }
    char what[128];
    snprintf(what, sizeof(what), "%s pass %s/%s", pass, from, to);
    if (rc == PPTAP_EPROTO || rc == PPTAP_EBUFS) {
        collect_metrics_add(&t->m->bad_responses, 1);
    }
    /* An output's transient failure (a receiver down) holds the tenant
     * like an API failure: the window is collected and delivered again. */
    failed(e, t, rc, what);
    return 0; /* handled: the window is tried again later */
}

/* One step for tenant t. Returns 1 when it did something, 0 when nothing
 * is due (with *wake set), or a negative error that stops the collector. */
static int step(engine *e, tenant_rt *t, pptap_time_ms *wake)
{
    pptap_time_ms now = pptap_time_now();
    if (t->hold_until > now) {
        *wake = t->hold_until;
        return 0;
    }
    if (!t->synced && sync_clock(e, t) != 0) {
        *wake = t->hold_until;
        return 0;
    }
    int rc = load_cursors(e, t);
    if (rc != 0) {
        return rc;
    }
    plan p = planner_next(&e->pp, t->final, t->early, server_now(t));
    switch (p.kind) {
    case PLAN_GAP:
        rc = do_gap(e, t, &p);
        return rc == 0 ? 1 : rc;
    case PLAN_EARLY:
    case PLAN_FINAL:
        if (!budget_allows(e, t)) {
            *wake = t->hold_until;
            return 0;
        }
        rc = do_window(e, t, &p);
        return rc == 0 ? 1 : rc;
    default:
        *wake = p.wake_at - t->skew_ms;
        collect_metrics_set(&t->m->lag_seconds, (server_now(t) - t->final) / 1000);
        return 0;
    }
}

/* ------------------------------------------------------------------------- */

/* collect_output.reject: an event a receiver refused for good goes to the
 * quarantine with the receiver's reason. */
static int reject_record(collect_output *o, const collect_record *r, const char *reason)
{
    engine *e = o->engine;
    char why[PPTAP_STORE_REASON_MAX];
    snprintf(why, sizeof(why), "output %s refused it: %s", o->conf->name, reason);
    const char *type =
        (unsigned)r->type < PPTAP_EVENT_COUNT_ ? pptap_event_type_name(r->type) : "gap";
    size_t len = r->len > 0 && r->line[r->len - 1] == '\n' ? r->len - 1 : r->len;
    if (pptap_store_quarantine_add(e->st, r->tenant, type, why, r->line, len) != 0) {
        snprintf(o->error, sizeof(o->error), "store: %s", pptap_store_last_error(e->st));
        return -1;
    }
    collect_metrics_add(&o->m->rejected, 1);
    logm(LOG_WARN, NULL, "output %s: event %s quarantined: %s", o->conf->name, r->event_id, reason);
    return 0;
}

static int open_outputs(engine *e)
{
    for (int i = 0; i < e->cf->n_outputs; i++) {
        collect_output *o = &e->outs[i];
        o->conf = &e->cf->outputs[i];
        o->type = collect_output_find(o->conf->type);
        if (o->type == NULL) {
            logm(LOG_ERROR, NULL, "output %s: unknown type %s", o->conf->name, o->conf->type);
            return PPTAP_ECONFIG;
        }
        o->m = collect_metrics_output(e->m, o->conf->name, o->conf->type);
        o->reject = reject_record;
        o->engine = e;
        if (pptap_eventfmt_parse(&o->format, o->conf->format) != 0) {
            logm(LOG_ERROR, NULL, "output %s: format %s is not available", o->conf->name,
                 o->conf->format);
            return PPTAP_ECONFIG;
        }
        int64_t committed = -1;
        char key[CONF_NAME_MAX + 16];
        output_key(key, sizeof(key), o);
        int rc = pptap_store_checkpoint_get_int(e->st, &committed, OUTPUTS_TENANT, key);
        if (rc != 0 && rc != PPTAP_ENOTFOUND) {
            logm(LOG_ERROR, NULL, "store: %s", pptap_store_last_error(e->st));
            return PPTAP_EIO;
        }
        if (rc == PPTAP_ENOTFOUND) {
            committed = -1;
        }
        o->error[0] = '\0';
        rc = o->type->open(o, committed);
        if (rc != 0) {
            logm(LOG_ERROR, NULL, "output %s: %s", o->conf->name, o->error);
            e->n_outs = i + 1; /* closed with the others */
            return rc == PPTAP_ECONFIG ? PPTAP_ECONFIG : PPTAP_EIO;
        }
        if (o->error[0] != '\0') {
            logm(LOG_WARN, NULL, "output %s: %s", o->conf->name, o->error);
        }
        e->n_outs = i + 1;
        int64_t pos = 0;
        if (o->type->exactly_once && o->type->flush(o, &pos) != 0) {
            logm(LOG_ERROR, NULL, "output %s: %s", o->conf->name, o->error);
            return PPTAP_EIO;
        }
        if (o->type->exactly_once && pos != committed) {
            /* First use, or a position other than the committed one (an
             * interrupted rotation, a file cut outside pptap): commit where
             * the output starts before writing to it, so that a crash before
             * the next checkpoint cuts back to here, not to a stale offset. */
            if (pptap_store_begin(e->st) != 0 ||
                pptap_store_checkpoint_set_int(e->st, OUTPUTS_TENANT, key, pos) != 0 ||
                pptap_store_commit(e->st) != 0) {
                logm(LOG_ERROR, NULL, "output %s: cannot record its start: %s", o->conf->name,
                     o->error[0] ? o->error : pptap_store_last_error(e->st));
                (void)pptap_store_rollback(e->st);
                return PPTAP_EIO;
            }
        }
    }
    return 0;
}

int collect_run(const conf *cf, const collect_run_opts *o)
{
    static const char *const levels[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(cf->service.log_level, levels[i]) == 0) {
            log_threshold = i;
        }
    }
    if (o->verbose) {
        log_threshold = LOG_DEBUG;
    }
    engine *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        return PPTAP_ENOMEM;
    }
    e->cf = cf;
    e->o = o;
    planner_defaults(&e->pp);
    e->pp.window_ms = cf->service.window_ms;
    e->pp.horizon_ms = cf->service.final_after_ms;
    e->pp.early_ms = cf->service.early_every_ms;
    srand((unsigned)pptap_time_now());

    /* One collector per state: a second one would interleave its writes. */
    char lock_path[4096];
    snprintf(lock_path, sizeof(lock_path), "%s.lock", cf->service.state);
    int lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
        logm(LOG_ERROR, NULL, "%s: %s", lock_path,
             lock_fd < 0 ? strerror(errno) : "another pptap collect is running on this state");
        if (lock_fd >= 0) {
            close(lock_fd);
        }
        free(e);
        return lock_fd < 0 ? PPTAP_EIO : PPTAP_ETIMEOUT;
    }
    int rc = collect_metrics_new(&e->m);
    char err[PPTAP_ERRMSG_LEN] = "";
    if (rc == 0) {
        rc = pptap_store_open(&e->st, cf->service.state, NULL, err);
        if (rc != 0) {
            logm(LOG_ERROR, NULL, "store %s: %s", cf->service.state, err);
        }
    }
    if (rc == 0) {
        rc = open_outputs(e);
    }
    for (int i = 0; rc == 0 && i < cf->n_tenants; i++) {
        rc = setup_tenant(e, &e->t[i], &cf->tenants[i]);
        e->n_t = i + 1;
    }
    if (rc == 0 && cf->service.metrics != NULL) {
        rc = collect_metrics_serve(e->m, cf->service.metrics);
        if (rc != 0) {
            logm(LOG_ERROR, NULL, "metrics: cannot listen on %s", cf->service.metrics);
        } else {
            logm(LOG_INFO, NULL, "metrics on http://%s/metrics", cf->service.metrics);
        }
    }
    if (rc == 0) {
        logm(LOG_INFO, NULL, "collecting %d tenant%s into %s", e->n_t, e->n_t == 1 ? "" : "s",
             cf->service.state);
    }
    pptap_time_ms last_purge = 0;
    while (rc == 0 && !(o->stop && *o->stop)) {
        int progressed = 0;
        pptap_time_ms wake = pptap_time_now() + MINUTE;
        int held = 0;
        for (int i = 0; i < e->n_t && rc == 0 && !(o->stop && *o->stop); i++) {
            pptap_time_ms w = wake;
            int r = step(e, &e->t[i], &w);
            if (r < 0) {
                rc = r;
            } else if (r > 0) {
                progressed = 1;
            } else {
                held |= e->t[i].hold_until > pptap_time_now();
                if (w < wake) {
                    wake = w;
                }
            }
        }
        if (rc != 0 || progressed) {
            continue;
        }
        if (o->once) {
            if (held) {
                /* Something keeps a tenant from catching up now. */
                int worst = 0;
                for (int i = 0; i < e->n_t; i++) {
                    if (e->t[i].hold_until > pptap_time_now()) {
                        worst = e->t[i].failures > worst ? e->t[i].failures : worst;
                    }
                }
                int64_t soonest = INT64_MAX;
                for (int i = 0; i < e->n_t; i++) {
                    if (e->t[i].hold_until > pptap_time_now() && e->t[i].hold_until < soonest) {
                        soonest = e->t[i].hold_until;
                    }
                }
                /* Transient failures are waited out a few times; auth and
                 * throttling are not worth waiting for in a one-shot run. */
                if (worst > 0 && worst <= 5 && soonest - pptap_time_now() <= 5 * MINUTE) {
                    sleep_ms(soonest - pptap_time_now(), o->stop);
                    continue;
                }
                logm(LOG_ERROR, NULL,
                     "could not catch up; the next run continues from the "
                     "last checkpoint");
                rc = PPTAP_EUNAVAIL;
                for (int i = 0; i < e->n_t; i++) {
                    if (e->t[i].hold_until > pptap_time_now() &&
                        (e->t[i].held_by == PPTAP_EAUTH || e->t[i].held_by == PPTAP_ERATELIMIT)) {
                        rc = e->t[i].held_by;
                    }
                }
            }
            break;
        }
        /* The store's times (event times, the ledger) are the servers'; purge
         * by the earliest server clock, never by the local one. */
        pptap_time_ms purge_now = PPTAP_TIME_NONE;
        for (int i = 0; i < e->n_t; i++) {
            if (e->t[i].synced &&
                (purge_now == PPTAP_TIME_NONE || server_now(&e->t[i]) < purge_now)) {
                purge_now = server_now(&e->t[i]);
            }
        }
        if (purge_now != PPTAP_TIME_NONE && pptap_time_now() - last_purge > 6 * 60 * MINUTE) {
            int64_t purged = 0;
            int days = (int)(cf->service.retention_ms / DAY);
            if (pptap_store_purge(e->st, &purged, purge_now, days) == 0 && purged > 0) {
                logm(LOG_INFO, NULL, "retention: %lld events older than %d days removed",
                     (long long)purged, days);
            }
            last_purge = pptap_time_now();
        }
        sleep_ms(wake - pptap_time_now(), o->stop);
    }
    if (o->stop && *o->stop) {
        logm(LOG_INFO, NULL, "stopping: every delivered window is checkpointed");
    }
    collect_metrics_stop(e->m);
    for (int i = 0; i < e->n_t; i++) {
        pptap_client_free(e->t[i].client);
        pptap_settings_dispose(&e->t[i].set);
    }
    for (int i = 0; i < e->n_outs; i++) {
        e->outs[i].type->close(&e->outs[i]);
    }
    for (int f = 0; f < PPTAP_EVENTFMT_COUNT_; f++) {
        pptap_buf_dispose(&e->lines[f]);
    }
    pptap_store_close(e->st);
    collect_metrics_free(e->m);
    free(e);
    close(lock_fd); /* releases the lock */
    return rc;
}

void collect_print_plan(const conf *cf, FILE *out)
{
    planner_params pp;
    planner_defaults(&pp);
    pp.window_ms = cf->service.window_ms;
    pp.horizon_ms = cf->service.final_after_ms;
    pp.early_ms = cf->service.early_every_ms;
    int64_t per_day = planner_daily_requests(&pp);
    fprintf(out,
            "Live collection, per tenant and day (early pass every %lld s, final windows of "
            "%lld min, %lld min after they end):\n",
            (long long)(pp.early_ms / SECOND), (long long)(pp.window_ms / MINUTE),
            (long long)(pp.horizon_ms / MINUTE));
    for (int i = 0; i < cf->n_tenants; i++) {
        const conf_tenant *t = &cf->tenants[i];
        pptap_endpoint ep = PPTAP_EP_SIEM_ALL;
        (void)endpoint_of(t->endpoint, &ep);
        pptap_pool pool = pptap_endpoint_pool(ep);
        int limit = pptap_pool_limit(pool);
        int64_t allowed = (int64_t)limit * cf->service.budget_share / 100;
        fprintf(out,
                "  %-16s /v2/siem/%-18s pool %-22s %4lld requests/day of %lld allowed "
                "(%d%% of %d)\n",
                t->name, t->endpoint, pptap_pool_name(pool), (long long)per_day, (long long)allowed,
                cf->service.budget_share, limit);
        int64_t backfill = t->since_ms / pp.window_ms + (t->since_ms % pp.window_ms != 0);
        fprintf(out,
                "  %-16s first start or after an outage: up to %lld more requests for %lld h "
                "of backfill\n",
                "", (long long)backfill, (long long)(t->since_ms / (60 * MINUTE)));
    }
}
