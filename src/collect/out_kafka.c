/*
 * kafka output: one Kafka message per event, through librdkafka, at least
 * once.
 *
 * The producer is idempotent (enable.idempotence = true, hence acks = all):
 * the retries librdkafka makes on its own (a broker restarting, a leader
 * moving, a request timing out) never write a message twice. Both are
 * forced; a kafka.* line that would weaken them is a configuration error.
 *
 * A message's key is the event_id, its value the formatted line without the
 * newline, its timestamp the event's time (clickTime, messageTime), its
 * headers event_type, tenant and format. It goes to `topic`, or with
 * topic_per_type to TOPIC.clicksBlocked, TOPIC.clicksPermitted,
 * TOPIC.messagesBlocked, TOPIC.messagesDelivered and TOPIC.gap (gap
 * records). The key also picks the partition, so an update follows the
 * first delivery of its event in the same partition.
 *
 * Acknowledgement: write() hands a message to librdkafka and returns;
 * flush() waits until every message written since the last flush has its
 * delivery report, and succeeds only when all of them succeeded. Messages
 * carry the number of the window (flush interval) they belong to, so a late
 * report of a failed window is not counted for the next one. When a window
 * fails, its events are collected and produced again: Kafka may then hold
 * an event twice (the key identifies the repeat); the idempotent producer
 * never adds a copy of its own.
 *
 * Backpressure: librdkafka's queue is bounded (queue.buffering.max.messages
 * and .kbytes); when it is full, write() serves delivery reports and waits,
 * which pauses the TAP download, for at most `timeout`.
 *
 * A fatal error (the idempotent producer cannot guarantee its ordering any
 * more, e.g. the broker refused its producer id) fails the window; the
 * producer is destroyed and created again before the next write.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "output.h"

#define N_TOPICS (PPTAP_EVENT_COUNT_ + 1) /* the event types, then gap records */
#define QUEUE_KBYTES_DEFAULT "32768"      /* librdkafka's default is 1 GiB */
#define FLUSH_GRACE_MS 2000               /* for the reports of timed-out messages */

typedef struct {
    rd_kafka_t *rk;
    rd_kafka_topic_t *topics[N_TOPICS];
    int64_t message_timeout_ms; /* librdkafka's message.timeout.ms, as configured */
    int verbose;                /* kafka.debug is set: librdkafka's debug logs too */
    uintptr_t window;           /* number of the current window, in each message */
    int64_t sent;               /* messages of this window handed to librdkafka */
    int64_t pending;            /* of which without a delivery report */
    int64_t failed;             /* of which failed */
    int64_t outstanding;        /* every message without a report, all windows */
    char first_failure[256];
    int in_call;   /* in write() or flush(): reject() may be called */
    int said_full; /* the queue was full once (logged) */
    int fatal;     /* a fatal error was raised: recreate before the next write */
    char fatal_error[256];
    int64_t retries_base; /* retries counted by earlier producers */
    int64_t retries;      /* of the current producer (statistics) */
} kafka_state;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Logs like the engine: "pptap: collect: LEVEL: output NAME: message". */
static void say(const collect_output *o, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(const collect_output *o, const char *level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "pptap: collect: %s: output %s: %s\n", level, o->conf->name, msg);
}

static const char *type_name(pptap_event_type t)
{
    return (unsigned)t < PPTAP_EVENT_COUNT_ ? pptap_event_type_name(t) : "gap";
}

/* ------------------------------------------------------------------------- */
/* Configuration */

/* Whether a property may be passed through; *why says why not. */
static int allowed(const char *key, const char *value, const char **why)
{
    if (strcmp(key, "enable.idempotence") == 0) {
        if (strcmp(value, "true") == 0) {
            return 1;
        }
        *why = "pptap always produces with enable.idempotence = true (a retried request "
               "must not write an event twice); remove the line";
        return 0;
    }
    if (strcmp(key, "acks") == 0 || strcmp(key, "request.required.acks") == 0) {
        if (strcmp(value, "all") == 0 || strcmp(value, "-1") == 0) {
            return 1;
        }
        *why = "pptap always produces with acks = all (an event is acknowledged once every "
               "in-sync replica has it); remove the line";
        return 0;
    }
    if (strcmp(key, "bootstrap.servers") == 0 || strcmp(key, "metadata.broker.list") == 0) {
        *why = "set the brokers key of the output instead";
        return 0;
    }
    if (strcmp(key, "transactional.id") == 0) {
        *why = "the kafka output does not use transactions (delivery reports acknowledge "
               "each window)";
        return 0;
    }
    return 1;
}

static int set(rd_kafka_conf_t *kc, const char *key, const char *value, char *err, size_t n,
               const char *shown_as)
{
    char why[512];
    if (rd_kafka_conf_set(kc, key, value, why, sizeof(why)) != RD_KAFKA_CONF_OK) {
        size_t len = strlen(why);
        while (len > 0 && (why[len - 1] == '\n' || why[len - 1] == ' ')) {
            why[--len] = '\0'; /* some of librdkafka's messages end in a newline */
        }
        snprintf(err, n, "%s: %s", shown_as, why);
        return -1;
    }
    return 0;
}

/* Builds the producer's configuration: pptap's defaults, then the kafka.*
 * lines, then what pptap forces. Returns 0 and *out, or -1 with err. */
static int build_conf(rd_kafka_conf_t **out, const conf_output *oc, char *err, size_t n)
{
    rd_kafka_conf_t *kc = rd_kafka_conf_new();
    char timeout[32];
    snprintf(timeout, sizeof(timeout), "%lld", (long long)oc->timeout_ms);
    /* Defaults a kafka.* line may change. */
    if (set(kc, "client.id", "pptap", err, n, "client.id") != 0 ||
        set(kc, "message.timeout.ms", timeout, err, n, "timeout") != 0 ||
        set(kc, "queue.buffering.max.kbytes", QUEUE_KBYTES_DEFAULT, err, n,
            "queue.buffering.max.kbytes") != 0 ||
        set(kc, "statistics.interval.ms", "1000", err, n, "statistics.interval.ms") != 0 ||
        set(kc, "bootstrap.servers", oc->brokers, err, n, "brokers") != 0) {
        rd_kafka_conf_destroy(kc);
        return -1;
    }
    for (int i = 0; i < oc->n_passthrough; i++) {
        const conf_pair *p = &oc->passthrough[i];
        char shown[300];
        snprintf(shown, sizeof(shown), "kafka.%s", p->key);
        const char *why = NULL;
        if (!allowed(p->key, p->value, &why)) {
            snprintf(err, n, "%s = %s: %s", shown, p->value, why);
            rd_kafka_conf_destroy(kc);
            return -1;
        }
        if (set(kc, p->key, p->value, err, n, shown) != 0) {
            rd_kafka_conf_destroy(kc);
            return -1;
        }
    }
    if (set(kc, "enable.idempotence", "true", err, n, "enable.idempotence") != 0 ||
        set(kc, "acks", "all", err, n, "acks") != 0) {
        rd_kafka_conf_destroy(kc);
        return -1;
    }
    *out = kc;
    return 0;
}

int collect_out_kafka_check(const conf_output *oc, char *err, size_t errlen)
{
    rd_kafka_conf_t *kc = NULL;
    if (build_conf(&kc, oc, err, errlen) != 0) {
        return -1;
    }
    rd_kafka_conf_destroy(kc);
    return 0;
}

/* ------------------------------------------------------------------------- */
/* Callbacks (served by rd_kafka_poll/flush on the collector's thread, but for
 * the log callback) */

/* librdkafka's logs: warnings and worse, everything with kafka.debug. */
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    const collect_output *o = rd_kafka_opaque(rk);
    const kafka_state *st = o->state;
    /* (CONFWARN: a property that does not apply to a producer.) */
    if (level > LOG_WARNING && strcmp(fac, "CONFWARN") != 0 && !(st != NULL && st->verbose)) {
        return;
    }
    if (strcmp(fac, "FATAL") == 0) {
        return; /* said by note_fatal() */
    }
    const char *name = level <= LOG_NOTICE ? "warning" : level <= LOG_INFO ? "info" : "debug";
    fprintf(stderr, "pptap: collect: %s: output %s: librdkafka %s: %s\n", name, o->conf->name, fac,
            buf);
}

/* Records a fatal error once: the producer is created again before the next
 * write. */
static void note_fatal(collect_output *o, kafka_state *st)
{
    if (st->fatal) {
        return;
    }
    char why[256];
    rd_kafka_resp_err_t orig = rd_kafka_fatal_error(st->rk, why, sizeof(why));
    st->fatal = 1;
    snprintf(st->fatal_error, sizeof(st->fatal_error), "%.200s (%.40s)", why,
             rd_kafka_err2name(orig));
    say(o, "error", "fatal producer error: %s; the producer is created again", st->fatal_error);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)rk;
    collect_output *o = opaque;
    kafka_state *st = o->state;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        note_fatal(o, st);
        return;
    }
    /* Broker connections failing are logged by librdkafka itself. */
    if (err == RD_KAFKA_RESP_ERR__TRANSPORT) {
        return;
    }
    say(o, "warning", "%s", reason);
}

/* The statistics (every second, with rd_kafka_poll): retries are the
 * messages librdkafka sent again after an error (per partition, sent beyond
 * produced) plus the requests it sent again (per broker). */
static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
    (void)rk;
    collect_output *o = opaque;
    kafka_state *st = o->state;
    json_t *root = json_loadb(json, len, 0, NULL);
    const char *name;
    json_t *v;
    int64_t retries = 0;
    json_object_foreach(json_object_get(root, "brokers"), name, v)
    {
        retries += json_integer_value(json_object_get(v, "txretries"));
    }
    json_t *topic;
    json_object_foreach(json_object_get(root, "topics"), name, topic)
    {
        const char *p;
        json_object_foreach(json_object_get(topic, "partitions"), p, v)
        {
            int64_t again = json_integer_value(json_object_get(v, "txmsgs")) -
                            json_integer_value(json_object_get(v, "msgs"));
            retries += again > 0 ? again : 0;
        }
    }
    json_decref(root);
    if (retries > st->retries) {
        st->retries = retries;
        collect_metrics_set(&o->m->retries, st->retries_base + st->retries);
    }
    return 0;
}

static int header(const rd_kafka_message_t *m, const char *name, char *out, size_t n)
{
    rd_kafka_headers_t *h = NULL;
    const void *v = NULL;
    size_t len = 0;
    out[0] = '\0';
    if (rd_kafka_message_headers(m, &h) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        rd_kafka_header_get_last(h, name, &v, &len) != RD_KAFKA_RESP_ERR_NO_ERROR || len >= n) {
        return -1;
    }
    memcpy(out, v, len);
    out[len] = '\0';
    return 0;
}

/* Errors for which the broker refuses this message whatever the retries. */
static int refused_for_good(rd_kafka_resp_err_t err)
{
    return err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE || err == RD_KAFKA_RESP_ERR_INVALID_RECORD;
}

/* Quarantines the event of a refused message (the record rebuilt from the
 * message: key, value, headers). Returns 0 or -1. */
static int reject_message(collect_output *o, const rd_kafka_message_t *m)
{
    char id[512], tenant[128], type[32];
    if (m->key_len >= sizeof(id)) {
        return -1;
    }
    memcpy(id, m->key, m->key_len);
    id[m->key_len] = '\0';
    (void)header(m, "tenant", tenant, sizeof(tenant));
    (void)header(m, "event_type", type, sizeof(type));
    collect_record r = {m->payload, m->len, id, PPTAP_EVENT_COUNT_, tenant, PPTAP_TIME_NONE};
    for (int t = 0; t < PPTAP_EVENT_COUNT_; t++) {
        if (strcmp(type, pptap_event_type_name((pptap_event_type)t)) == 0) {
            r.type = (pptap_event_type)t;
        }
    }
    return o->reject(o, &r, rd_kafka_err2str(m->err));
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    collect_output *o = opaque;
    kafka_state *st = o->state;
    st->outstanding--;
    collect_metrics_set(&o->m->queued, st->outstanding);
    if ((uintptr_t)m->_private != st->window) {
        return; /* a window that failed already: it is delivered again anyway */
    }
    st->pending--;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        return;
    }
    if (refused_for_good(m->err) && st->in_call && reject_message(o, m) == 0) {
        return;
    }
    if (st->failed++ == 0) {
        snprintf(st->first_failure, sizeof(st->first_failure), "%s [%d]: %s",
                 rd_kafka_topic_name(m->rkt), (int)m->partition, rd_kafka_err2str(m->err));
    }
}

/* ------------------------------------------------------------------------- */
/* The producer */

static const char *topic_of(const collect_output *o, int idx, char *buf, size_t n)
{
    if (!o->conf->topic_per_type) {
        return o->conf->topic;
    }
    snprintf(buf, n, "%s.%s", o->conf->topic, type_name((pptap_event_type)idx));
    return buf;
}

static void destroy_producer(collect_output *o, kafka_state *st)
{
    if (st->rk == NULL) {
        return;
    }
    for (int i = 0; i < N_TOPICS; i++) {
        if (st->topics[i] != NULL) {
            rd_kafka_topic_destroy(st->topics[i]);
            st->topics[i] = NULL;
        }
    }
    rd_kafka_destroy(st->rk);
    st->rk = NULL;
    st->retries_base += st->retries;
    st->retries = 0;
    st->outstanding = 0;
    collect_metrics_set(&o->m->queued, 0);
}

/* Creates the producer. Returns 0, PPTAP_ECONFIG for settings librdkafka
 * refuses, or -1, with o->error. */
static int create_producer(collect_output *o, kafka_state *st)
{
    char err[512];
    rd_kafka_conf_t *kc = NULL;
    if (build_conf(&kc, o->conf, o->error, sizeof(o->error)) != 0) {
        return PPTAP_ECONFIG;
    }
    char v[64];
    size_t vn = sizeof(v);
    if (rd_kafka_conf_get(kc, "message.timeout.ms", v, &vn) == RD_KAFKA_CONF_OK) {
        st->message_timeout_ms = strtoll(v, NULL, 10);
    }
    vn = sizeof(v);
    st->verbose = rd_kafka_conf_get(kc, "debug", v, &vn) == RD_KAFKA_CONF_OK && v[0] != '\0';
    rd_kafka_conf_set_opaque(kc, o);
    rd_kafka_conf_set_dr_msg_cb(kc, on_delivery);
    rd_kafka_conf_set_error_cb(kc, on_error);
    rd_kafka_conf_set_log_cb(kc, on_log);
    rd_kafka_conf_set_stats_cb(kc, on_stats);
    /* rd_kafka_new() takes kc only when it succeeds. */
    st->rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, err, sizeof(err));
    if (st->rk == NULL) {
        rd_kafka_conf_destroy(kc);
        snprintf(o->error, sizeof(o->error), "cannot create the producer: %.220s", err);
        return PPTAP_ECONFIG;
    }
    for (int i = 0; i < N_TOPICS; i++) {
        char name[512];
        const char *t = topic_of(o, i, name, sizeof(name));
        st->topics[i] = rd_kafka_topic_new(st->rk, t, NULL);
        if (st->topics[i] == NULL) {
            snprintf(o->error, sizeof(o->error), "topic %.150s: %.90s", t,
                     rd_kafka_err2str(rd_kafka_last_error()));
            destroy_producer(o, st);
            return PPTAP_ECONFIG;
        }
    }
    st->fatal = 0;
    st->fatal_error[0] = '\0';
    return 0;
}

/* A new window: reports of the previous ones no longer count. */
static void next_window(kafka_state *st)
{
    st->window++;
    st->sent = 0;
    st->pending = 0;
    st->failed = 0;
    st->first_failure[0] = '\0';
}

/* ------------------------------------------------------------------------- */
/* The output */

static int kafka_open(collect_output *o, int64_t committed)
{
    (void)committed;
    kafka_state *st = calloc(1, sizeof(*st));
    if (st == NULL) {
        snprintf(o->error, sizeof(o->error), "out of memory");
        return -1;
    }
    o->state = st;
    st->window = 1;
    return create_producer(o, st);
}

static int produce(collect_output *o, kafka_state *st, const collect_record *r)
{
    int idx = (unsigned)r->type < PPTAP_EVENT_COUNT_ ? (int)r->type : PPTAP_EVENT_COUNT_;
    rd_kafka_topic_t *topic = st->topics[idx];
    size_t len = r->len > 0 && r->line[r->len - 1] == '\n' ? r->len - 1 : r->len;
    const char *type = type_name(r->type);
    const char *format = pptap_eventfmt_name(o->format);
    rd_kafka_headers_t *h = rd_kafka_headers_new(3);
    rd_kafka_header_add(h, "event_type", -1, type, -1);
    rd_kafka_header_add(h, "tenant", -1, r->tenant != NULL ? r->tenant : "", -1);
    rd_kafka_header_add(h, "format", -1, format, -1);
    int64_t ts = r->time == PPTAP_TIME_NONE || r->time < 0 ? 0 : r->time;
    int64_t give_up = 0;
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            st->rk, RD_KAFKA_V_RKT(topic), RD_KAFKA_V_KEY(r->event_id, strlen(r->event_id)),
            RD_KAFKA_V_VALUE((void *)r->line, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_OPAQUE((void *)st->window),
            RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            break; /* the headers are the message's now */
        }
        if (err == RD_KAFKA_RESP_ERR__FATAL) {
            note_fatal(o, st);
        }
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && !st->fatal) {
            /* Backpressure: wait for deliveries to make room. */
            if (give_up == 0) {
                give_up = now_ms() + o->conf->timeout_ms;
                if (!st->said_full) {
                    say(o, "info",
                        "the producer's queue is full (%lld messages): waiting for the brokers "
                        "(said once)",
                        (long long)st->outstanding);
                    st->said_full = 1;
                }
            } else if (now_ms() > give_up) {
                rd_kafka_headers_destroy(h);
                snprintf(o->error, sizeof(o->error),
                         "the producer's queue stayed full for %lld s (%lld messages waiting "
                         "for the brokers)",
                         (long long)(o->conf->timeout_ms / 1000), (long long)st->outstanding);
                o->errors++;
                return -1;
            }
            rd_kafka_poll(st->rk, 50);
            continue;
        }
        rd_kafka_headers_destroy(h);
        if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
            char why[160];
            snprintf(why, sizeof(why),
                     "%s (a value of %zu bytes: with key and headers, more than "
                     "message.max.bytes)",
                     rd_kafka_err2str(err), len);
            if (o->reject(o, r, why) != 0) {
                o->errors++;
                return -1;
            }
            return 0;
        }
        snprintf(o->error, sizeof(o->error), "cannot produce to %.100s: %.120s",
                 rd_kafka_topic_name(topic), st->fatal ? st->fatal_error : rd_kafka_err2str(err));
        o->errors++;
        return -1;
    }
    st->sent++;
    st->pending++;
    st->outstanding++;
    collect_metrics_set(&o->m->queued, st->outstanding);
    o->written++;
    return 0;
}

static int kafka_write(collect_output *o, const collect_record *r)
{
    kafka_state *st = o->state;
    if (st->fatal && st->sent > 0) {
        /* This window's messages went to the failed producer. */
        snprintf(o->error, sizeof(o->error), "fatal producer error: %.220s", st->fatal_error);
        o->errors++;
        o->transient = 1; /* the window is collected again, with a new producer */
        return -1;
    }
    if (st->rk == NULL || st->fatal) {
        if (st->rk != NULL) {
            say(o, "info", "creating the producer again after: %s", st->fatal_error);
        }
        destroy_producer(o, st);
        if (create_producer(o, st) != 0) {
            o->errors++;
            return -1;
        }
    }
    st->in_call = 1;
    int rc = produce(o, st, r);
    rd_kafka_poll(st->rk, 0); /* serves delivery reports, statistics */
    st->in_call = 0;
    return rc;
}

static int kafka_flush(collect_output *o, int64_t *position)
{
    kafka_state *st = o->state;
    *position = 0;
    if (st->rk == NULL) {
        return 0;
    }
    int64_t wait = (st->message_timeout_ms > 0 ? st->message_timeout_ms : o->conf->timeout_ms) +
                   FLUSH_GRACE_MS;
    int64_t deadline = now_ms() + wait;
    st->in_call = 1;
    while (st->pending > 0 && !st->fatal) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            break;
        }
        /* flush() sends what lingers now and serves the reports. */
        (void)rd_kafka_flush(st->rk, (int)(left < 200 ? left : 200));
    }
    rd_kafka_poll(st->rk, 0);
    st->in_call = 0;
    int rc = 0;
    if (st->fatal) {
        snprintf(o->error, sizeof(o->error),
                 "%lld of %lld events not acknowledged: fatal producer error: %.160s",
                 (long long)(st->pending + st->failed), (long long)st->sent, st->fatal_error);
        rc = -1;
    } else if (st->failed > 0) {
        snprintf(o->error, sizeof(o->error), "%lld of %lld events not delivered: %.190s",
                 (long long)st->failed, (long long)st->sent, st->first_failure);
        rc = -1;
    } else if (st->pending > 0) {
        snprintf(o->error, sizeof(o->error),
                 "%lld of %lld events without a delivery report after %lld s (brokers down "
                 "or unreachable?)",
                 (long long)st->pending, (long long)st->sent, (long long)(wait / 1000));
        rc = -1;
    }
    if (rc != 0) {
        o->errors++;
    }
    next_window(st);
    return rc;
}

static int kafka_committed(collect_output *o, int64_t *position, int *changed)
{
    (void)o;
    (void)position;
    *changed = 0;
    return 0;
}

static int kafka_rollback(collect_output *o)
{
    kafka_state *st = o->state;
    next_window(st);
    return 0;
}

static void kafka_close(collect_output *o)
{
    kafka_state *st = o->state;
    if (st == NULL) {
        return;
    }
    if (st->rk != NULL && !st->fatal) {
        (void)rd_kafka_flush(st->rk, (int)(st->message_timeout_ms + FLUSH_GRACE_MS));
        if (st->outstanding > 0) {
            say(o, "warning",
                "%lld messages of failed windows still undelivered at exit (their windows are "
                "collected again)",
                (long long)st->outstanding);
        }
    }
    destroy_producer(o, st);
    free(st);
    o->state = NULL;
}

const collect_output_type collect_out_kafka = {
    "kafka",
    "one Kafka message per event (key event_id), idempotent producer, at least once",
    0,
    kafka_open,
    kafka_write,
    kafka_flush,
    kafka_committed,
    kafka_rollback,
    kafka_close,
};
