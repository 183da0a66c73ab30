/*
 * Unit tests: the incremental SIEM splitter — events split across arbitrary
 * chunk boundaries, strings holding brackets and escaped quotes, nested
 * objects, escaped keys, truncated and malformed bodies, the per-event cap,
 * cancellation, and a large document under a small event cap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <pptap/tap.h>

#include "tap_internal.h"

static char *test_dir(void)
{
    static char dir[4096];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    char *slash = strrchr(dir, '/');
    if (slash != NULL) {
        *slash = '\0';
    }
    return dir;
}

static char *slurp(const char *name, size_t *len)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/../data/tap-samples/%s", test_dir(), name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    p[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* Collects events as "type:compact-sorted-json" lines. */
typedef struct {
    pptap_buf out;
    size_t count;
    size_t stop_at; /* cancel when count reaches this (0 = never) */
} collector;

static int collect(pptap_event_type type, json_t *event, void *payload)
{
    collector *c = payload;
    char *s = json_dumps(event, JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(s);
    const char *tn = pptap_event_type_name(type);
    assert_int_equal(pptap_buf_put(&c->out, tn, strlen(tn)), 0);
    assert_int_equal(pptap_buf_put(&c->out, ":", 1), 0);
    assert_int_equal(pptap_buf_put(&c->out, s, strlen(s)), 0);
    assert_int_equal(pptap_buf_put(&c->out, "\n", 1), 0);
    free(s);
    c->count++;
    return c->stop_at != 0 && c->count >= c->stop_at;
}

/* The reference: the same lines from jansson over the whole document. */
static void expected_lines(const char *doc, size_t len, pptap_buf *out, size_t *count)
{
    json_error_t je;
    json_t *j = json_loadb(doc, len, 0, &je);
    assert_non_null(j);
    *count = 0;
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
    {
        pptap_event_type t;
        if (pptap_event_type_parse(&t, key) != 0 || !json_is_array(v)) {
            continue;
        }
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            char *s = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
            pptap_buf_put(out, key, strlen(key));
            pptap_buf_put(out, ":", 1);
            pptap_buf_put(out, s, strlen(s));
            pptap_buf_put(out, "\n", 1);
            free(s);
            (*count)++;
        }
    }
    json_decref(j);
}

/* Feeds `doc` in chunks of `chunk` bytes (0 = two chunks split at `split`). */
static int run(const char *doc, size_t len, size_t chunk, size_t split, size_t max_event,
               collector *c, char *qet, size_t qetcap)
{
    pptap_splitter *s;
    assert_int_equal(pptap_splitter_new(&s, max_event, collect, c), 0);
    int rc = 0;
    if (chunk == 0) {
        rc = pptap_splitter_feed(s, doc, split);
        if (rc == 0) {
            rc = pptap_splitter_feed(s, doc + split, len - split);
        }
    } else {
        for (size_t i = 0; i < len && rc == 0; i += chunk) {
            rc = pptap_splitter_feed(s, doc + i, len - i < chunk ? len - i : chunk);
        }
    }
    if (rc == 0) {
        rc = pptap_splitter_finish(s);
    }
    assert_int_equal(pptap_splitter_delivered(s), c->count);
    if (qet != NULL) {
        snprintf(qet, qetcap, "%s", pptap_splitter_query_end_time(s, NULL));
    }
    pptap_splitter_free(s);
    return rc;
}

static const char doc1[] =
    "{\"queryEndTime\" : \"2025-03-04T11:00:00Z\",\n"
    " \"clicksBlocked\" : [ {\"a\":\"]}[{\\\"x\\\\\", \"b\": [1, 2.5e3, -0, true, null]},\n"
    "   {\"n\":{\"m\":[1,2,{\"k\":\"}\"}]}, \"u\": \"\\u005d\\ud83d\\ude00\"} ],\n"
    " \"\\u006dessagesDelivered\" : [{\"escaped\":\"key\"}],\n"
    " \"unknownKey\" : {\"big\":[1,2,3,{\"x\":\"[\"}]}, \"n\": 12, \"t\": true, \"z\": null,\n"
    " \"clicksPermitted\" : [{\"url\":\"http://x/?a=[b]&c={d}\",\"e\":\"\\\\\"}],\n"
    " \"messagesBlocked\" : null\n"
    "}\n";

static void test_every_split_point(void **state)
{
    (void)state;
    size_t len = sizeof doc1 - 1;
    pptap_buf want = PPTAP_BUF_INIT;
    size_t nwant;
    expected_lines(doc1, len, &want, &nwant);
    assert_int_equal(nwant, 4);
    for (size_t split = 0; split <= len; split++) {
        collector c = {PPTAP_BUF_INIT, 0, 0};
        char qet[64];
        int rc = run(doc1, len, 0, split, 0, &c, qet, sizeof qet);
        if (rc != 0) {
            fail_msg("split at %zu: rc %d", split, rc);
        }
        assert_int_equal(c.count, 4);
        assert_string_equal(qet, "2025-03-04T11:00:00Z");
        /* jansson's object order may differ from document order: compare as sets of lines
         * by checking the sorted-key dumps appear in the expected text */
        char *line = c.out.ptr;
        while (line != NULL && *line) {
            char *nl = strchr(line, '\n');
            *nl = '\0';
            assert_non_null(strstr(want.ptr, line));
            line = nl + 1;
        }
        pptap_buf_dispose(&c.out);
    }
    pptap_buf_dispose(&want);
}

static void test_chunk_sizes_sample(void **state)
{
    (void)state;
    size_t len;
    char *doc = slurp("siem_all_doc_example.json", &len);
    pptap_buf want = PPTAP_BUF_INIT;
    size_t nwant;
    expected_lines(doc, len, &want, &nwant);
    assert_int_equal(nwant, 2);
    static const size_t chunks[] = {1, 2, 3, 7, 13, 64, 1000, 1 << 20};
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        collector c = {PPTAP_BUF_INIT, 0, 0};
        char qet[64];
        assert_int_equal(run(doc, len, chunks[i], 0, 0, &c, qet, sizeof qet), 0);
        assert_int_equal(c.count, nwant);
        assert_string_equal(qet, "2016-06-24T21:36:00Z");
        /* same document order here: clicksPermitted before messagesBlocked */
        assert_string_equal(c.out.ptr, want.ptr);
        pptap_buf_dispose(&c.out);
    }
    pptap_buf_dispose(&want);
    free(doc);
}

static void test_truncated_prefixes(void **state)
{
    (void)state;
    size_t len = sizeof doc1 - 1;
    /* the document ends with "}\n": every prefix shorter than len-1 is incomplete */
    for (size_t cut = 0; cut < len - 1; cut++) {
        collector c = {PPTAP_BUF_INIT, 0, 0};
        int rc = run(doc1, cut, 5, 0, 0, &c, NULL, 0);
        if (rc != PPTAP_EPROTO) {
            fail_msg("prefix of %zu bytes: rc %d, want PPTAP_EPROTO", cut, rc);
        }
        assert_true(c.count <= 4);
        pptap_buf_dispose(&c.out);
    }
    /* the delivered count tells which events got out before the failure */
    collector c = {PPTAP_BUF_INIT, 0, 0};
    const char *cut = strstr(doc1, "\"unknownKey\"");
    assert_non_null(cut);
    assert_int_equal(run(doc1, (size_t)(cut - doc1), 4, 0, 0, &c, NULL, 0), PPTAP_EPROTO);
    assert_int_equal(c.count, 3);
    pptap_buf_dispose(&c.out);
}

static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *doc;
        int rc;
        size_t delivered;
    } cases[] = {
        {"", PPTAP_EPROTO, 0},
        {"   \n", PPTAP_EPROTO, 0},
        {"{}", 0, 0},
        {" { } \r\n", 0, 0},
        {"[]", PPTAP_EPROTO, 0},
        {"\xef\xbb\xbf{}", PPTAP_EPROTO, 0},
        {"{\"clicksBlocked\": null}", 0, 0},
        {"{\"clicksBlocked\": [1]}", PPTAP_EPROTO, 0},
        {"{\"clicksBlocked\": [\"x\"]}", PPTAP_EPROTO, 0},
        {"{\"clicksBlocked\": {}}", PPTAP_EPROTO, 0},
        {"{\"clicksBlocked\": 5}", PPTAP_EPROTO, 0},
        {"{\"clicksBlocked\": [{\"a\":1}] x}", PPTAP_EPROTO, 1},
        {"{\"clicksBlocked\": [{\"a\":1},]}", PPTAP_EPROTO, 1},
        {"{\"clicksBlocked\": [{\"a\":1} {\"a\":2}]}", PPTAP_EPROTO, 1},
        {"{\"clicksBlocked\": [{\"a\":tru}]}", PPTAP_EPROTO, 0},
        {"{\"clicksBlocked\": [{\"a\":1]}]}", PPTAP_EPROTO, 0},
        {"{\"clicksBlocked\": [{\"a\":\"b\x01\"}]}", PPTAP_EPROTO, 0},
        {"{\"a\" 1}", PPTAP_EPROTO, 0},
        {"{\"a\": }", PPTAP_EPROTO, 0},
        {"{\"a\": 1,}", PPTAP_EPROTO, 0},
        {"{\"a\": 1 \"b\": 2}", PPTAP_EPROTO, 0},
        {"{\"a\": tru}", PPTAP_EPROTO, 0},
        {"{\"a\": [1,}", PPTAP_EPROTO, 0},
        {"{} x", PPTAP_EPROTO, 0},
        {"{}{}", PPTAP_EPROTO, 0},
        {"{\"queryEndTime\": \"not a time\"}", PPTAP_EPROTO, 0},
        {"{\"queryEndTime\": null}", 0, 0},
        {"{\"messagesDelivered\": [{\"a\":1}], \"queryEndTime\": \"2025-03-04T11:00:00Z\"}", 0, 1},
        {"{\"messagesDelivered\": [{\"a\":1}]", PPTAP_EPROTO, 1},
        {"{\"messagesDelivered\": [{\"a\":1}", PPTAP_EPROTO, 1},
        {"{\"messagesDelivered\": [{\"a\":1", PPTAP_EPROTO, 0},
        {"{\"messagesDelivered\": [{\"a\":\"}", PPTAP_EPROTO, 0},
        {"{\"x\": 12", PPTAP_EPROTO, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (size_t chunk = 1; chunk <= 3; chunk += 2) {
            collector c = {PPTAP_BUF_INIT, 0, 0};
            int rc = run(cases[i].doc, strlen(cases[i].doc), chunk, 0, 0, &c, NULL, 0);
            if (rc != cases[i].rc || c.count != cases[i].delivered) {
                fail_msg("case %zu (%s): rc %d delivered %zu, want rc %d delivered %zu", i,
                         cases[i].doc, rc, c.count, cases[i].rc, cases[i].delivered);
            }
            pptap_buf_dispose(&c.out);
        }
    }
}

static void test_depth_cap(void **state)
{
    (void)state;
    pptap_buf b = PPTAP_BUF_INIT;
    pptap_buf_put(&b, "{\"clicksBlocked\":[", 18);
    for (int i = 0; i < 600; i++) {
        pptap_buf_put(&b, "{\"a\":", 5);
    }
    pptap_buf_put(&b, "1", 1);
    for (int i = 0; i < 600; i++) {
        pptap_buf_put(&b, "}", 1);
    }
    pptap_buf_put(&b, "]}", 2);
    collector c = {PPTAP_BUF_INIT, 0, 0};
    assert_int_equal(run(b.ptr, b.len, 4096, 0, 0, &c, NULL, 0), PPTAP_EPROTO);
    pptap_buf_dispose(&b);
}

static void test_event_cap(void **state)
{
    (void)state;
    /* {"a":"xxxx…"} of exactly 64 bytes passes a 64-byte cap; 65 does not */
    char ev[128];
    memset(ev, 'x', sizeof ev);
    for (size_t size = 63; size <= 66; size++) {
        memcpy(ev, "{\"a\":\"", 6);
        ev[size - 2] = '"';
        ev[size - 1] = '}';
        char doc[256];
        int n = snprintf(doc, sizeof doc, "{\"clicksPermitted\": [%.*s]}", (int)size, ev);
        collector c = {PPTAP_BUF_INIT, 0, 0};
        int rc = run(doc, (size_t)n, 7, 0, 64, &c, NULL, 0);
        assert_int_equal(rc, size <= 64 ? 0 : PPTAP_EBUFS);
        assert_int_equal(c.count, size <= 64 ? 1 : 0);
        pptap_buf_dispose(&c.out);
        memset(ev, 'x', sizeof ev);
    }
}

static void test_cancel(void **state)
{
    (void)state;
    collector c = {PPTAP_BUF_INIT, 0, 2};
    assert_int_equal(run(doc1, sizeof doc1 - 1, 9, 0, 0, &c, NULL, 0), PPTAP_ECANCELED);
    assert_int_equal(c.count, 2);
    pptap_buf_dispose(&c.out);
}

static int count_only(pptap_event_type type, json_t *event, void *payload)
{
    (void)type;
    assert_true(json_is_object(event));
    (*(size_t *)payload)++;
    return 0;
}

/* 20,000 events (~2.4 MB) through a 1 KiB event cap: the splitter never
 * holds more than one event, whatever the window size. */
static void test_large_document_small_cap(void **state)
{
    (void)state;
    pptap_splitter *s;
    size_t n = 0;
    assert_int_equal(pptap_splitter_new(&s, 1024, count_only, &n), 0);
    const char *head = "{\"queryEndTime\":\"2025-03-04T11:00:00Z\",\"messagesDelivered\":[";
    assert_int_equal(pptap_splitter_feed(s, head, strlen(head)), 0);
    char ev[200];
    for (int i = 0; i < 20000; i++) {
        int len = snprintf(ev, sizeof ev,
                           "%s{\"GUID\":\"g%d\",\"recipient\":[\"r%d@example.com\"],\"subject\":"
                           "\"[x] {y} \\\"z\\\"\",\"threatsInfoMap\":[{\"threatID\":\"%d\"}]}",
                           i ? "," : "", i, i, i);
        assert_int_equal(pptap_splitter_feed(s, ev, (size_t)len), 0);
    }
    assert_int_equal(pptap_splitter_feed(s, "]}", 2), 0);
    assert_int_equal(pptap_splitter_finish(s), 0);
    assert_int_equal(n, 20000);
    pptap_time_ms t;
    assert_string_equal(pptap_splitter_query_end_time(s, &t), "2025-03-04T11:00:00Z");
    pptap_time_ms want;
    pptap_time_parse(&want, "2025-03-04T11:00:00Z", 20);
    assert_true(t == want);
    pptap_splitter_free(s);
}

static void test_errors_stick(void **state)
{
    (void)state;
    pptap_splitter *s;
    size_t n = 0;
    assert_int_equal(pptap_splitter_new(&s, 0, count_only, &n), 0);
    assert_int_equal(pptap_splitter_feed(s, "[", 1), PPTAP_EPROTO);
    assert_int_equal(pptap_splitter_feed(s, "{}", 2), PPTAP_EPROTO);
    assert_int_equal(pptap_splitter_finish(s), PPTAP_EPROTO);
    assert_true(strlen(pptap_splitter_error(s)) > 0);
    pptap_splitter_free(s);
    pptap_splitter_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_split_point),
        cmocka_unit_test(test_chunk_sizes_sample),
        cmocka_unit_test(test_truncated_prefixes),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_depth_cap),
        cmocka_unit_test(test_event_cap),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_large_document_small_cap),
        cmocka_unit_test(test_errors_stick),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
