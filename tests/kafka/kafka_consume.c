/*
 * kafka-consume: prints every message of the given topics, from the
 * beginning of each partition to its end, as NDJSON on standard output:
 *
 *   {"topic": …, "partition": …, "offset": …, "timestamp": …, "key": …,
 *    "value": …, "headers": {NAME: VALUE, …}}
 *
 * usage: kafka-consume --brokers LIST [--idle-ms N] [--timeout-ms N] TOPIC...
 *
 * It reads until every partition has reached the end it had at the start
 * and nothing more came for --idle-ms (default 1000). Exit status 0; 65 when
 * a partition's log does not start at offset 0 (messages were dropped
 * before they could be read); 75 when the end was not reached within
 * --timeout-ms (default 60000); 69 when the brokers do not answer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#define MAX_PARTS 1024

typedef struct {
    const char *topic;
    int32_t partition;
    int64_t end; /* high watermark at the start */
    int64_t next;
} part;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static json_t *bytes(const void *p, size_t n)
{
    return p == NULL ? json_null() : json_stringn(p, n);
}

static int print_message(const rd_kafka_message_t *m)
{
    json_t *o = json_object();
    json_t *h = json_object();
    rd_kafka_headers_t *hdrs = NULL;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char *name;
        const void *v;
        size_t n;
        for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &v, &n) == 0; i++) {
            json_object_set_new(h, name, bytes(v, n));
        }
    }
    json_t *key = bytes(m->key, m->key_len);
    json_t *value = bytes(m->payload, m->len);
    if (key == NULL || value == NULL) {
        fprintf(stderr, "kafka-consume: %s [%d] offset %lld: key or value is not UTF-8\n",
                rd_kafka_topic_name(m->rkt), (int)m->partition, (long long)m->offset);
        json_decref(key);
        json_decref(value);
        json_decref(h);
        json_decref(o);
        return -1;
    }
    json_object_set_new(o, "topic", json_string(rd_kafka_topic_name(m->rkt)));
    json_object_set_new(o, "partition", json_integer(m->partition));
    json_object_set_new(o, "offset", json_integer(m->offset));
    json_object_set_new(o, "timestamp", json_integer(rd_kafka_message_timestamp(m, NULL)));
    json_object_set_new(o, "key", key);
    json_object_set_new(o, "value", value);
    json_object_set_new(o, "headers", h);
    char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(o);
    if (s == NULL) {
        return -1;
    }
    puts(s);
    free(s);
    return 0;
}

int main(int argc, char **argv)
{
    const char *brokers = NULL;
    long idle_ms = 1000, timeout_ms = 60000;
    int first = argc;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--brokers") == 0 && i + 1 < argc) {
            brokers = argv[++i];
        } else if (strcmp(argv[i], "--idle-ms") == 0 && i + 1 < argc) {
            idle_ms = strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--timeout-ms") == 0 && i + 1 < argc) {
            timeout_ms = strtol(argv[++i], NULL, 10);
        } else if (argv[i][0] == '-') {
            first = argc;
            break;
        } else {
            first = i;
            break;
        }
    }
    if (brokers == NULL || first == argc) {
        fputs("usage: kafka-consume --brokers LIST [--idle-ms N] [--timeout-ms N] TOPIC...\n",
              stderr);
        return 64;
    }
    char err[512];
    rd_kafka_conf_t *kc = rd_kafka_conf_new();
    if (rd_kafka_conf_set(kc, "bootstrap.servers", brokers, err, sizeof(err)) ||
        rd_kafka_conf_set(kc, "group.id", "kafka-consume", err, sizeof(err)) ||
        rd_kafka_conf_set(kc, "enable.auto.commit", "false", err, sizeof(err)) ||
        rd_kafka_conf_set(kc, "enable.partition.eof", "true", err, sizeof(err))) {
        fprintf(stderr, "kafka-consume: %s\n", err);
        rd_kafka_conf_destroy(kc);
        return 64;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, err, sizeof(err));
    if (rk == NULL) {
        fprintf(stderr, "kafka-consume: %s\n", err);
        rd_kafka_conf_destroy(kc);
        return 70;
    }
    static part parts[MAX_PARTS];
    int n_parts = 0, rc = 0;
    rd_kafka_topic_partition_list_t *assign = rd_kafka_topic_partition_list_new(16);
    for (int i = first; i < argc && rc == 0; i++) {
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, argv[i], NULL);
        const rd_kafka_metadata_t *md = NULL;
        rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1 && md->topics[0].err != 0) {
            e = md->topics[0].err;
        }
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
            fprintf(stderr, "kafka-consume: %s: %s\n", argv[i], rd_kafka_err2str(e));
            rc = 69;
        }
        for (int p = 0; rc == 0 && p < md->topics[0].partition_cnt && n_parts < MAX_PARTS; p++) {
            part *pt = &parts[n_parts++];
            pt->topic = argv[i];
            pt->partition = md->topics[0].partitions[p].id;
            int64_t lo = 0, hi = 0;
            e = rd_kafka_query_watermark_offsets(rk, argv[i], pt->partition, &lo, &hi, 10000);
            if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
                fprintf(stderr, "kafka-consume: %s [%d]: %s\n", argv[i], (int)pt->partition,
                        rd_kafka_err2str(e));
                rc = 69;
                break;
            }
            if (lo != 0) {
                fprintf(stderr,
                        "kafka-consume: %s [%d]: the log starts at offset %lld: older messages "
                        "were dropped\n",
                        argv[i], (int)pt->partition, (long long)lo);
                rc = 65;
            }
            pt->end = hi;
            pt->next = lo;
            rd_kafka_topic_partition_list_add(assign, argv[i], pt->partition)->offset =
                RD_KAFKA_OFFSET_BEGINNING;
        }
        if (md != NULL) {
            rd_kafka_metadata_destroy(md);
        }
        rd_kafka_topic_destroy(rkt);
    }
    if (rc == 0 || rc == 65) {
        rd_kafka_resp_err_t e = rd_kafka_assign(rk, assign);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
            fprintf(stderr, "kafka-consume: assign: %s\n", rd_kafka_err2str(e));
            rc = 70;
        }
    }
    rd_kafka_topic_partition_list_destroy(assign);
    int64_t deadline = now_ms() + timeout_ms, last = now_ms();
    long count = 0;
    while (rc == 0 || rc == 65) {
        int done = 1;
        for (int i = 0; i < n_parts; i++) {
            done &= parts[i].next >= parts[i].end;
        }
        if (done && now_ms() - last >= idle_ms) {
            break;
        }
        if (now_ms() > deadline) {
            fprintf(stderr, "kafka-consume: the end of every partition not reached in %ld ms\n",
                    timeout_ms);
            rc = 75;
            break;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (m == NULL) {
            continue;
        }
        part *pt = NULL;
        for (int i = 0; i < n_parts; i++) {
            if (parts[i].partition == m->partition &&
                strcmp(parts[i].topic, rd_kafka_topic_name(m->rkt)) == 0) {
                pt = &parts[i];
            }
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (pt != NULL && m->offset > pt->next) {
                pt->next = m->offset;
            }
        } else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            fprintf(stderr, "kafka-consume: %s\n", rd_kafka_message_errstr(m));
        } else {
            last = now_ms();
            if (print_message(m) != 0) {
                rc = 65;
            }
            count++;
            if (pt != NULL) {
                pt->next = m->offset + 1;
            }
        }
        rd_kafka_message_destroy(m);
    }
    fflush(stdout);
    fprintf(stderr, "kafka-consume: %ld messages from %d partitions\n", count, n_parts);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}
