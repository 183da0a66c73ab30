/*
 * The http output's request bodies and answers, without a network: HEC
 * envelopes, Elasticsearch bulk lines and _ids, bulk responses with
 * per-item outcomes, HEC replies and ack polls, backoff, Retry-After and
 * gzip. The transfers themselves are tested against pptap-test-receiver
 * (tests/http).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "out_http.h"

#define T_MSG 1780315200123LL /* 2026-06-01T12:00:00.123Z */

static collect_record rec(const char *line, const char *id, pptap_event_type type, pptap_time_ms t,
                          int64_t version)
{
    collect_record r = {line, strlen(line), id, type, "acme", t, NULL, version};
    return r;
}

typedef struct {
    const char *name;
    const char *line;
    pptap_event_type type;
    pptap_time_ms time;
    out_http_hec_opts opts;
    const char *want;
} hec_case;

static void test_hec_envelope(void **state)
{
    (void)state;
    const hec_case cases[] = {
        {"a JSON event with sourcetype and index",
         "{\"id\":\"e1\",\"x\":1}\n",
         PPTAP_EVENT_MESSAGES_DELIVERED,
         T_MSG,
         {"host-1", "proofpoint:tap", "security", 1},
         "{\"time\":1780315200.123,\"host\":\"host-1\",\"source\":\"pptap\","
         "\"sourcetype\":\"proofpoint:tap\",\"index\":\"security\",\"event\":{\"id\":\"e1\","
         "\"x\":1},\"fields\":{\"event_id\":\"e1\",\"event_type\":\"messagesDelivered\","
         "\"tenant\":\"acme\"}}\n"},
        {"no sourcetype or index: left to the token",
         "{\"id\":\"e1\"}\n",
         PPTAP_EVENT_CLICKS_BLOCKED,
         1000,
         {"h", NULL, NULL, 1},
         "{\"time\":1.000,\"host\":\"h\",\"source\":\"pptap\",\"event\":{\"id\":\"e1\"},"
         "\"fields\":{\"event_id\":\"e1\",\"event_type\":\"clicksBlocked\",\"tenant\":\"acme\"}}"
         "\n"},
        {"CEF goes in as a string, escaped",
         "CEF:0|Proofpoint|TAP|1|\"q\"\\x\t|\x01\n",
         PPTAP_EVENT_CLICKS_PERMITTED,
         T_MSG,
         {"h", NULL, NULL, 0},
         "{\"time\":1780315200.123,\"host\":\"h\",\"source\":\"pptap\",\"event\":\"CEF:0|"
         "Proofpoint|TAP|1|\\\"q\\\"\\\\x\\t|\\u0001\",\"fields\":{\"event_id\":\"e1\","
         "\"event_type\":\"clicksPermitted\",\"tenant\":\"acme\"}}\n"},
        {"no time: HEC stamps it",
         "{}\n",
         PPTAP_EVENT_COUNT_,
         PPTAP_TIME_NONE,
         {"h", NULL, NULL, 1},
         "{\"host\":\"h\",\"source\":\"pptap\",\"event\":{},\"fields\":{\"event_id\":\"e1\","
         "\"event_type\":\"gap\",\"tenant\":\"acme\"}}\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const hec_case *c = &cases[i];
        collect_record r = rec(c->line, "e1", c->type, c->time, 0);
        pptap_buf b = PPTAP_BUF_INIT;
        assert_int_equal(out_http__hec_event(&b, &r, &c->opts), 0);
        if (strcmp(b.ptr, c->want) != 0) {
            fail_msg("%s:\n got  %s want %s", c->name, b.ptr, c->want);
        }
        pptap_buf_dispose(&b);
    }
}

typedef struct {
    const char *name;
    const char *line;
    const char *id;
    pptap_time_ms time;
    int64_t version;
    const char *want;
} es_case;

static void test_es_doc(void **state)
{
    (void)state;
    const es_case cases[] = {
        {"@timestamp added to a raw event", "{\"id\":\"e1\",\"pptap\":{}}\n", "e1", T_MSG, 0,
         "{\"create\":{\"_index\":\"logs-proofpoint_tap-default\",\"_id\":\"e1\"}}\n"
         "{\"@timestamp\":\"2026-06-01T12:00:00.123Z\",\"id\":\"e1\",\"pptap\":{}}\n"},
        {"an ecs event keeps its own", "{\"@timestamp\":\"2026-01-01T00:00:00Z\",\"a\":1}\n", "e1",
         T_MSG, 0,
         "{\"create\":{\"_index\":\"logs-proofpoint_tap-default\",\"_id\":\"e1\"}}\n"
         "{\"@timestamp\":\"2026-01-01T00:00:00Z\",\"a\":1}\n"},
        {"an empty object", "{ }\n", "e1", T_MSG, 0,
         "{\"create\":{\"_index\":\"logs-proofpoint_tap-default\",\"_id\":\"e1\"}}\n"
         "{\"@timestamp\":\"2026-06-01T12:00:00.123Z\" }\n"},
        {"the 2nd update is a document of its own", "{\"a\":1}\n", "h:ab\"c", T_MSG, 2,
         "{\"create\":{\"_index\":\"logs-proofpoint_tap-default\",\"_id\":\"h:ab\\\"c:u2\"}}\n"
         "{\"@timestamp\":\"2026-06-01T12:00:00.123Z\",\"a\":1}\n"},
        {"cef as the message", "CEF:0|a\"b\n", "e1", T_MSG, 0,
         "{\"create\":{\"_index\":\"logs-proofpoint_tap-default\",\"_id\":\"e1\"}}\n"
         "{\"@timestamp\":\"2026-06-01T12:00:00.123Z\",\"message\":\"CEF:0|a\\\"b\"}\n"},
        {"no time: no @timestamp", "{\"a\":1}\n", "e1", PPTAP_TIME_NONE, 0,
         "{\"create\":{\"_index\":\"logs-proofpoint_tap-default\",\"_id\":\"e1\"}}\n"
         "{\"a\":1}\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const es_case *c = &cases[i];
        collect_record r = rec(c->line, c->id, PPTAP_EVENT_CLICKS_BLOCKED, c->time, c->version);
        pptap_buf b = PPTAP_BUF_INIT;
        assert_int_equal(out_http__es_doc(&b, &r, OUT_HTTP_DEFAULT_INDEX), 0);
        if (strcmp(b.ptr, c->want) != 0) {
            fail_msg("%s:\n got  %s want %s", c->name, b.ptr, c->want);
        }
        pptap_buf_dispose(&b);
    }
    char id[8];
    collect_record r = rec("{}", "abcdef", PPTAP_EVENT_CLICKS_BLOCKED, 0, 12);
    assert_int_equal(out_http__es_id(id, sizeof(id), &r), -1); /* "abcdef:u12" is too long */
}

typedef struct {
    const char *name;
    const char *body;
    size_t n;
    int rc;
    const char *verdicts; /* per item: o(k), r(etry), x (reject) */
    const char *reason0;  /* reason of the first refused item, when any */
} bulk_case;

static void test_bulk_parse(void **state)
{
    (void)state;
    const bulk_case cases[] = {
        {"errors false, items left out (filter_path)", "{\"took\":3,\"errors\":false}", 2, 0, "oo",
         NULL},
        {"all created",
         "{\"took\":3,\"errors\":false,\"items\":[{\"create\":{\"_id\":\"a\","
         "\"status\":201}},{\"create\":{\"_id\":\"b\",\"status\":201}}]}",
         2, 0, "oo", NULL},
        {"409 on create is delivered, 429 and 5xx are retried, 400 is refused",
         "{\"took\":3,\"errors\":true,\"items\":["
         "{\"create\":{\"_id\":\"a\",\"status\":409,\"error\":{\"type\":"
         "\"version_conflict_engine_exception\",\"reason\":\"[a]: version conflict\"}}},"
         "{\"create\":{\"_id\":\"b\",\"status\":429,\"error\":{\"type\":"
         "\"es_rejected_execution_exception\",\"reason\":\"rejected execution\"}}},"
         "{\"create\":{\"_id\":\"c\",\"status\":503,\"error\":{\"type\":"
         "\"unavailable_shards_exception\",\"reason\":\"primary shard is not active\"}}},"
         "{\"create\":{\"_id\":\"d\",\"status\":400,\"error\":{\"type\":"
         "\"mapper_parsing_exception\",\"reason\":\"failed to parse field [x]\",\"caused_by\":"
         "{\"type\":\"illegal_argument_exception\",\"reason\":\"not an IP\"}}}},"
         "{\"create\":{\"_id\":\"e\",\"status\":201}}]}",
         5, 0, "orrxo",
         "400 mapper_parsing_exception: failed to parse field [x]; caused by: not an IP"},
        {"es_rejected_execution_exception is retried whatever its status",
         "{\"errors\":true,\"items\":[{\"index\":{\"status\":400,\"error\":{\"type\":"
         "\"es_rejected_execution_exception\",\"reason\":\"queue full\"}}}]}",
         1, 0, "r", NULL},
        {"an error given as a string",
         "{\"errors\":true,\"items\":[{\"create\":{\"status\":400,"
         "\"error\":\"MapperParsingException[failed]\"}}]}",
         1, 0, "x", "400 error: MapperParsingException[failed]"},
        {"fewer items than documents",
         "{\"errors\":true,\"items\":[{\"create\":{\"status\":201}}]}", 2, -1, NULL, NULL},
        {"an item without status", "{\"errors\":true,\"items\":[{\"create\":{}}]}", 1, -1, NULL,
         NULL},
        {"no errors member", "{\"took\":1,\"items\":[]}", 0, -1, NULL, NULL},
        {"not JSON", "<html>502 Bad Gateway</html>", 1, -1, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const bulk_case *c = &cases[i];
        out_http_item items[8];
        char err[256] = "";
        int rc = out_http__bulk_parse(items, c->n, c->body, strlen(c->body), err, sizeof(err));
        if (rc != c->rc) {
            fail_msg("%s: rc %d, want %d (%s)", c->name, rc, c->rc, err);
        }
        if (rc != 0) {
            assert_true(err[0] != '\0');
            continue;
        }
        const char *first = NULL;
        for (size_t k = 0; k < c->n; k++) {
            char v = items[k].verdict == OUT_HTTP_ITEM_OK      ? 'o'
                     : items[k].verdict == OUT_HTTP_ITEM_RETRY ? 'r'
                                                               : 'x';
            if (v != c->verdicts[k]) {
                fail_msg("%s: item %zu is %c, want %c", c->name, k, v, c->verdicts[k]);
            }
            if (v == 'x' && first == NULL) {
                first = items[k].reason;
            }
        }
        if (c->reason0 != NULL) {
            assert_non_null(first);
            assert_string_equal(first, c->reason0);
        }
    }
}

static void test_hec_answers(void **state)
{
    (void)state;
    out_http_hec_reply r;
    const char *ok = "{\"text\":\"Success\",\"code\":0,\"ackId\":7}";
    assert_int_equal(out_http__hec_reply(&r, ok, strlen(ok)), 0);
    assert_int_equal(r.code, 0);
    assert_int_equal(r.ack_id, 7);
    assert_int_equal(r.invalid_event, -1);
    assert_string_equal(r.text, "Success");
    const char *bad = "{\"text\":\"Invalid data format\",\"code\":6,\"invalid-event-number\":3}";
    assert_int_equal(out_http__hec_reply(&r, bad, strlen(bad)), 0);
    assert_int_equal(r.code, 6);
    assert_int_equal(r.ack_id, -1);
    assert_int_equal(r.invalid_event, 3);
    assert_int_equal(out_http__hec_reply(&r, "busy", 4), -1);
    assert_int_equal(out_http__hec_reply(&r, "", 0), -1);

    const int64_t ids[] = {0, 1, 2, 10};
    int acked[4];
    const char *acks = "{\"acks\":{\"0\":true,\"1\":false,\"10\":true}}";
    assert_int_equal(out_http__hec_acks(acked, ids, 4, acks, strlen(acks)), 0);
    assert_int_equal(acked[0], 1);
    assert_int_equal(acked[1], 0);
    assert_int_equal(acked[2], 0); /* not in the answer: not acknowledged */
    assert_int_equal(acked[3], 1);
    assert_int_equal(out_http__hec_acks(acked, ids, 4, "{\"text\":\"x\"}", 12), -1);
}

static void test_backoff(void **state)
{
    (void)state;
    const struct {
        int attempt;
        int64_t lo, hi;
    } cases[] = {
        {1, 250, 500},     {2, 500, 1000},    {3, 1000, 2000},    {5, 4000, 8000},
        {7, 15000, 30000}, {8, 15000, 30000}, {60, 15000, 30000},
    };
    const uint32_t randoms[] = {0, 1, 12345, 0x7fffffff, 0xffffffff};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t lo = INT64_MAX, hi = 0;
        for (size_t k = 0; k < sizeof(randoms) / sizeof(randoms[0]); k++) {
            int64_t d = out_http__backoff_ms(cases[i].attempt, randoms[k]);
            if (d < cases[i].lo || d > cases[i].hi) {
                fail_msg("attempt %d: %lld ms outside [%lld, %lld]", cases[i].attempt, (long long)d,
                         (long long)cases[i].lo, (long long)cases[i].hi);
            }
            lo = d < lo ? d : lo;
            hi = d > hi ? d : hi;
        }
        assert_true(hi > lo); /* jitter */
    }
}

static void test_retry_after(void **state)
{
    (void)state;
    const pptap_time_ms now = 1780315200000LL; /* Mon, 01 Jun 2026 12:00:00 GMT */
    const struct {
        const char *value;
        int64_t want;
    } cases[] = {
        {"3", 3000},
        {" 10 ", 10000},
        {"0", 0},
        {"99999", 300000},
        {"Mon, 01 Jun 2026 12:00:42 GMT", 42000},
        {"Mon, 01 Jun 2026 11:00:00 GMT", 0},
        {"soon", -1},
        {"3s", -1},
        {"", -1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t got = out_http__retry_after_ms(cases[i].value, now);
        if (got != cases[i].want) {
            fail_msg("Retry-After '%s': %lld, want %lld", cases[i].value, (long long)got,
                     (long long)cases[i].want);
        }
    }
}

static void test_gzip(void **state)
{
    (void)state;
    pptap_buf in = PPTAP_BUF_INIT, z = PPTAP_BUF_INIT;
    for (int i = 0; i < 2000; i++) {
        char line[64];
        int n = snprintf(line, sizeof(line), "{\"id\":\"event-%d\",\"n\":%d}\n", i, i * 7);
        assert_int_equal(pptap_buf_put(&in, line, (size_t)n), 0);
    }
    assert_int_equal(out_http__gzip(&z, in.ptr, in.len), 0);
    assert_true(z.len > 18 && z.len < in.len / 3);
    assert_int_equal((unsigned char)z.ptr[0], 0x1f); /* the gzip magic */
    assert_int_equal((unsigned char)z.ptr[1], 0x8b);
    char *out = malloc(in.len + 1);
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
    zs.next_in = (Bytef *)z.ptr;
    zs.avail_in = (uInt)z.len;
    zs.next_out = (Bytef *)out;
    zs.avail_out = (uInt)in.len + 1;
    assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
    assert_int_equal(zs.total_out, in.len);
    assert_memory_equal(out, in.ptr, in.len);
    inflateEnd(&zs);
    pptap_buf empty = PPTAP_BUF_INIT;
    assert_int_equal(out_http__gzip(&empty, "", 0), 0);
    assert_true(empty.len >= 18);
    free(out);
    pptap_buf_dispose(&in);
    pptap_buf_dispose(&z);
    pptap_buf_dispose(&empty);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hec_envelope), cmocka_unit_test(test_es_doc),
        cmocka_unit_test(test_bulk_parse),   cmocka_unit_test(test_hec_answers),
        cmocka_unit_test(test_backoff),      cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_gzip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
