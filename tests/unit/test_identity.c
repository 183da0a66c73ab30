/*
 * Unit tests: event identity (docs/store.md "Identity"). Table cases for the
 * content hash (reordering is the same event, a verdict change or a new
 * threat is not) and the event_id (API id, multi-recipient messages sharing a
 * GUID, stable "h:" ids), and the sample payloads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <pptap/store.h>

static json_t *J(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (j == NULL) {
        fail_msg("bad JSON in test: %s: %s", je.text, text);
    }
    return j;
}

static pptap_event_identity ident(pptap_event_type t, const char *text)
{
    json_t *j = J(text);
    pptap_event_identity id;
    assert_int_equal(pptap_event_identify(&id, t, j), 0);
    json_decref(j);
    return id;
}

#define MD PPTAP_EVENT_MESSAGES_DELIVERED
#define CP PPTAP_EVENT_CLICKS_PERMITTED

/* A message with two parts and two threats, in a given order. */
#define MSG_A                                                                                      \
    "{\"id\":\"m-1\",\"GUID\":\"G1\",\"messageTime\":\"2025-03-04T10:15:27.000Z\","                \
    "\"recipient\":[\"a@x.com\",\"b@x.com\"],\"modulesRun\":[\"av\",\"spam\"],"                    \
    "\"messageParts\":[{\"md5\":\"m1\",\"sha256\":\"s1\",\"filename\":\"a.txt\"},"                 \
    "{\"md5\":\"m2\",\"sha256\":\"s2\",\"filename\":\"b.pdf\"}],"                                  \
    "\"threatsInfoMap\":[{\"threatID\":\"t1\",\"threatStatus\":\"active\","                        \
    "\"classification\":\"phish\",\"threat\":\"https://bad.example/\",\"threatType\":\"url\"},"    \
    "{\"threatID\":\"t2\",\"threatStatus\":\"active\",\"classification\":\"malware\","             \
    "\"threat\":\"s2\",\"threatType\":\"attachment\"}]}"

typedef struct {
    const char *name;
    const char *a, *b;
    int same_hash;
} hash_case;

static const hash_case hash_cases[] = {
    {"identical", MSG_A, MSG_A, 1},
    {"keys reordered",
     "{\"GUID\":\"G1\",\"id\":\"m-1\",\"messageTime\":\"2025-03-04T10:15:27.000Z\","
     "\"recipient\":[\"a@x.com\",\"b@x.com\"],\"modulesRun\":[\"av\",\"spam\"],"
     "\"threatsInfoMap\":[{\"threatStatus\":\"active\",\"threatID\":\"t1\","
     "\"threatType\":\"url\",\"threat\":\"https://bad.example/\",\"classification\":\"phish\"},"
     "{\"threatID\":\"t2\",\"threatStatus\":\"active\",\"classification\":\"malware\","
     "\"threat\":\"s2\",\"threatType\":\"attachment\"}],"
     "\"messageParts\":[{\"sha256\":\"s1\",\"md5\":\"m1\",\"filename\":\"a.txt\"},"
     "{\"filename\":\"b.pdf\",\"md5\":\"m2\",\"sha256\":\"s2\"}]}",
     MSG_A, 1},
    {"messageParts and threats reordered, lists reordered",
     "{\"id\":\"m-1\",\"GUID\":\"G1\",\"messageTime\":\"2025-03-04T10:15:27.000Z\","
     "\"recipient\":[\"b@x.com\",\"a@x.com\"],\"modulesRun\":[\"spam\",\"av\"],"
     "\"messageParts\":[{\"md5\":\"m2\",\"sha256\":\"s2\",\"filename\":\"b.pdf\"},"
     "{\"md5\":\"m1\",\"sha256\":\"s1\",\"filename\":\"a.txt\"}],"
     "\"threatsInfoMap\":[{\"threatID\":\"t2\",\"threatStatus\":\"active\","
     "\"classification\":\"malware\",\"threat\":\"s2\",\"threatType\":\"attachment\"},"
     "{\"threatID\":\"t1\",\"threatStatus\":\"active\",\"classification\":\"phish\","
     "\"threat\":\"https://bad.example/\",\"threatType\":\"url\"}]}",
     MSG_A, 1},
    {"threat status cleared",
     "{\"id\":\"m-1\",\"GUID\":\"G1\",\"messageTime\":\"2025-03-04T10:15:27.000Z\","
     "\"recipient\":[\"a@x.com\",\"b@x.com\"],\"modulesRun\":[\"av\",\"spam\"],"
     "\"messageParts\":[{\"md5\":\"m1\",\"sha256\":\"s1\",\"filename\":\"a.txt\"},"
     "{\"md5\":\"m2\",\"sha256\":\"s2\",\"filename\":\"b.pdf\"}],"
     "\"threatsInfoMap\":[{\"threatID\":\"t1\",\"threatStatus\":\"cleared\","
     "\"classification\":\"phish\",\"threat\":\"https://bad.example/\",\"threatType\":\"url\"},"
     "{\"threatID\":\"t2\",\"threatStatus\":\"active\",\"classification\":\"malware\","
     "\"threat\":\"s2\",\"threatType\":\"attachment\"}]}",
     MSG_A, 0},
    {"a threat added",
     "{\"id\":\"m-1\",\"GUID\":\"G1\",\"messageTime\":\"2025-03-04T10:15:27.000Z\","
     "\"recipient\":[\"a@x.com\",\"b@x.com\"],\"modulesRun\":[\"av\",\"spam\"],"
     "\"messageParts\":[{\"md5\":\"m1\",\"sha256\":\"s1\",\"filename\":\"a.txt\"},"
     "{\"md5\":\"m2\",\"sha256\":\"s2\",\"filename\":\"b.pdf\"}],"
     "\"threatsInfoMap\":[{\"threatID\":\"t1\",\"threatStatus\":\"active\","
     "\"classification\":\"phish\",\"threat\":\"https://bad.example/\",\"threatType\":\"url\"},"
     "{\"threatID\":\"t2\",\"threatStatus\":\"active\",\"classification\":\"malware\","
     "\"threat\":\"s2\",\"threatType\":\"attachment\"},"
     "{\"threatID\":\"t3\",\"threatStatus\":\"active\",\"classification\":\"spam\","
     "\"threat\":\"x.example\",\"threatType\":\"url\"}]}",
     MSG_A, 0},
    {"a part's sandbox status changed",
     "{\"id\":\"m-1\",\"GUID\":\"G1\",\"messageTime\":\"2025-03-04T10:15:27.000Z\","
     "\"recipient\":[\"a@x.com\",\"b@x.com\"],\"modulesRun\":[\"av\",\"spam\"],"
     "\"messageParts\":[{\"md5\":\"m1\",\"sha256\":\"s1\",\"filename\":\"a.txt\"},"
     "{\"md5\":\"m2\",\"sha256\":\"s2\",\"filename\":\"b.pdf\",\"sandboxStatus\":\"threat\"}],"
     "\"threatsInfoMap\":[{\"threatID\":\"t1\",\"threatStatus\":\"active\","
     "\"classification\":\"phish\",\"threat\":\"https://bad.example/\",\"threatType\":\"url\"},"
     "{\"threatID\":\"t2\",\"threatStatus\":\"active\",\"classification\":\"malware\","
     "\"threat\":\"s2\",\"threatType\":\"attachment\"}]}",
     MSG_A, 0},
    {"parts with null md5 in either order",
     "{\"GUID\":\"G\",\"messageParts\":[{\"md5\":null,\"sha256\":\"b\"},"
     "{\"md5\":null,\"sha256\":\"a\"}]}",
     "{\"GUID\":\"G\",\"messageParts\":[{\"sha256\":\"a\",\"md5\":null},"
     "{\"sha256\":\"b\",\"md5\":null}]}",
     1},
    {"parts with equal hashes and different names in either order",
     "{\"GUID\":\"G\",\"messageParts\":[{\"sha256\":\"a\",\"filename\":\"2\"},"
     "{\"sha256\":\"a\",\"filename\":\"1\"}]}",
     "{\"GUID\":\"G\",\"messageParts\":[{\"sha256\":\"a\",\"filename\":\"1\"},"
     "{\"sha256\":\"a\",\"filename\":\"2\"}]}",
     1},
    {"ordered array elsewhere keeps its order", "{\"GUID\":\"G\",\"other\":[1,2]}",
     "{\"GUID\":\"G\",\"other\":[2,1]}", 0},
    {"number type matters (0 vs 0.0)", "{\"GUID\":\"G\",\"impostorScore\":0}",
     "{\"GUID\":\"G\",\"impostorScore\":0.0}", 0},
};

static void test_content_hash_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof hash_cases / sizeof hash_cases[0]; i++) {
        const hash_case *c = &hash_cases[i];
        pptap_event_identity a = ident(MD, c->a), b = ident(MD, c->b);
        int same = strcmp(a.content_hash, b.content_hash) == 0;
        if (same != c->same_hash) {
            fail_msg("case '%s': hashes %s, want %s", c->name, same ? "equal" : "differ",
                     c->same_hash ? "equal" : "different");
        }
        assert_int_equal(strlen(a.content_hash), 64);
    }
}

static void test_canonical_form(void **state)
{
    (void)state;
    json_t *j = J("{\"b\":1,\"a\":{\"y\":[\"q\",\"p\"],\"x\":2},"
                  "\"recipient\":[\"z@x\",\"a@x\"],"
                  "\"messageParts\":[{\"sha256\":\"2\"},{\"sha256\":\"1\"}]}");
    pptap_buf b = PPTAP_BUF_INIT;
    assert_int_equal(pptap_event_canonical(&b, j), 0);
    assert_string_equal(b.ptr, "{\"a\":{\"x\":2,\"y\":[\"q\",\"p\"]},\"b\":1,"
                               "\"messageParts\":[{\"sha256\":\"1\"},{\"sha256\":\"2\"}],"
                               "\"recipient\":[\"a@x\",\"z@x\"]}");
    /* the input is not modified */
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "recipient"), 0)),
                        "z@x");
    pptap_buf_dispose(&b);
    json_t *arr = J("[1]");
    assert_int_equal(pptap_event_canonical(&b, arr), PPTAP_EINVAL);
    json_decref(arr);
    json_decref(j);
}

static void test_api_id(void **state)
{
    (void)state;
    pptap_event_identity a = ident(MD, MSG_A);
    assert_string_equal(a.event_id, "m-1");
    assert_int_equal(a.from_api, 1);
    /* the API id wins even when the content changes */
    pptap_event_identity c =
        ident(CP, "{\"id\":\"c-1\",\"GUID\":\"G\",\"clickTime\":\"2025-01-01T00:00:00Z\","
                  "\"threatStatus\":\"active\"}");
    pptap_event_identity d =
        ident(CP, "{\"id\":\"c-1\",\"GUID\":\"G\",\"clickTime\":\"2025-01-01T00:00:00Z\","
                  "\"threatStatus\":\"cleared\"}");
    assert_string_equal(c.event_id, "c-1");
    assert_string_equal(c.event_id, d.event_id);
    assert_string_not_equal(c.content_hash, d.content_hash);
}

/* Multi-recipient messages share GUID and messageTime and differ in recipient/id. */
static void test_multi_recipient(void **state)
{
    (void)state;
    pptap_event_identity a = ident(MD, "{\"id\":\"u-1\",\"GUID\":\"SAME\","
                                       "\"messageTime\":\"2025-01-01T00:00:00Z\","
                                       "\"recipient\":[\"a@x.com\"]}");
    pptap_event_identity b = ident(MD, "{\"id\":\"u-2\",\"GUID\":\"SAME\","
                                       "\"messageTime\":\"2025-01-01T00:00:00Z\","
                                       "\"recipient\":[\"b@x.com\"]}");
    assert_string_not_equal(a.event_id, b.event_id);
    /* and without ids */
    pptap_event_identity c = ident(MD, "{\"GUID\":\"SAME\","
                                       "\"messageTime\":\"2025-01-01T00:00:00Z\","
                                       "\"recipient\":[\"a@x.com\"]}");
    pptap_event_identity d = ident(MD, "{\"GUID\":\"SAME\","
                                       "\"messageTime\":\"2025-01-01T00:00:00Z\","
                                       "\"recipient\":[\"b@x.com\"]}");
    assert_string_not_equal(c.event_id, d.event_id);
    assert_memory_equal(c.event_id, "h:", 2);
    assert_memory_equal(d.event_id, "h:", 2);
}

typedef struct {
    const char *name;
    pptap_event_type ta;
    const char *a;
    pptap_event_type tb;
    const char *b;
    int same_id;
} id_case;

#define NOID_MSG(extra)                                                                            \
    "{\"GUID\":\"G9\",\"messageTime\":\"2025-01-01T00:00:00Z\",\"recipient\":[\"r@x.com\"]," extra \
    "\"threatsInfoMap\":[{\"threatID\":\"t\",\"threatStatus\":\"active\","                         \
    "\"classification\":\"phish\",\"threatTime\":\"2025-01-01T00:01:00Z\"}]}"

static const id_case id_cases[] = {
    {"same event twice", MD, NOID_MSG(""), MD, NOID_MSG(""), 1},
    {"keys reordered", MD, NOID_MSG(""), MD,
     "{\"recipient\":[\"r@x.com\"],\"messageTime\":\"2025-01-01T00:00:00Z\",\"GUID\":\"G9\","
     "\"threatsInfoMap\":[{\"threatTime\":\"2025-01-01T00:01:00Z\",\"threatID\":\"t\","
     "\"classification\":\"phish\",\"threatStatus\":\"active\"}]}",
     1},
    {"verdict changed (status, time, classification)", MD, NOID_MSG(""), MD,
     "{\"GUID\":\"G9\",\"messageTime\":\"2025-01-01T00:00:00Z\",\"recipient\":[\"r@x.com\"],"
     "\"threatsInfoMap\":[{\"threatID\":\"t\",\"threatStatus\":\"cleared\","
     "\"classification\":\"spam\",\"threatTime\":\"2025-01-02T00:00:00Z\"}]}",
     1},
    {"other type", MD, NOID_MSG(""), PPTAP_EVENT_MESSAGES_BLOCKED, NOID_MSG(""), 0},
    {"other content", MD, NOID_MSG(""), MD, NOID_MSG("\"subject\":\"x\","), 0},
    {"other GUID", MD, NOID_MSG(""), MD,
     "{\"GUID\":\"G8\",\"messageTime\":\"2025-01-01T00:00:00Z\",\"recipient\":[\"r@x.com\"],"
     "\"threatsInfoMap\":[{\"threatID\":\"t\",\"threatStatus\":\"active\","
     "\"classification\":\"phish\",\"threatTime\":\"2025-01-01T00:01:00Z\"}]}",
     0},
    {"empty id is no id", MD, NOID_MSG("\"id\":\"\","), MD, NOID_MSG("\"id\":\"\","), 1},
    {"click without id, cleared later", CP,
     "{\"GUID\":\"G\",\"recipient\":\"r@x.com\",\"clickTime\":\"2025-01-01T00:00:00Z\","
     "\"url\":\"https://u/\",\"threatStatus\":\"active\"}",
     CP,
     "{\"GUID\":\"G\",\"recipient\":\"r@x.com\",\"clickTime\":\"2025-01-01T00:00:00Z\","
     "\"url\":\"https://u/\",\"threatStatus\":\"cleared\"}",
     1},
    {"clicks of two recipients", CP,
     "{\"GUID\":\"G\",\"recipient\":\"a@x.com\",\"clickTime\":\"2025-01-01T00:00:00Z\"}", CP,
     "{\"GUID\":\"G\",\"recipient\":\"b@x.com\",\"clickTime\":\"2025-01-01T00:00:00Z\"}", 0},
};

static void test_hash_id_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof id_cases / sizeof id_cases[0]; i++) {
        const id_case *c = &id_cases[i];
        pptap_event_identity a = ident(c->ta, c->a), b = ident(c->tb, c->b);
        assert_int_equal(a.from_api, 0);
        assert_memory_equal(a.event_id, "h:", 2);
        assert_int_equal(strlen(a.event_id), 66);
        int same = strcmp(a.event_id, b.event_id) == 0;
        if (same != c->same_id) {
            fail_msg("case '%s': ids %s, want %s", c->name, same ? "equal" : "differ",
                     c->same_id ? "equal" : "different");
        }
    }
}

/* A fixed event has a fixed id and hash: the definition is a public contract. */
static void test_stable_values(void **state)
{
    (void)state;
    pptap_event_identity a =
        ident(CP, "{\"GUID\":\"G\",\"recipient\":\"r@x.com\","
                  "\"clickTime\":\"2025-01-01T00:00:00.000Z\",\"url\":\"https://u/\"}");
    /* sha256("{\"GUID\":\"G\",\"clickTime\":\"2025-01-01T00:00:00.000Z\","
     *        "\"recipient\":\"r@x.com\",\"url\":\"https://u/\"}") */
    assert_string_equal(a.content_hash,
                        "c54d5bf6f2e05336f2fc745732404dd5834729d453658826c5b0ca43192f7159");
    /* "h:" + sha256("clicksPermitted\nG\nr@x.com\n" + the canonical form above) */
    assert_string_equal(a.event_id,
                        "h:c69cf1c28d473ae77b8a0c9362023d63e192c4eba20f8ee47116dcbb7643dd2a");
}

static void test_refused(void **state)
{
    (void)state;
    static const char *bad[] = {
        "{\"messageTime\":\"2025-01-01T00:00:00Z\"}", /* neither id nor GUID */
        "{\"id\":\"\",\"GUID\":\"\"}",                /* both empty */
        "{\"id\":5,\"GUID\":\"G\"}",                  /* id not a string */
        "{\"id\":\"a\\u0001b\",\"GUID\":\"G\"}",      /* control character */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *j = J(bad[i]);
        pptap_event_identity id;
        assert_int_equal(pptap_event_identify(&id, MD, j), PPTAP_EINVAL);
        json_decref(j);
    }
    char big[400];
    memset(big, 'x', sizeof big);
    json_t *j = json_pack("{s:s%, s:s}", "id", big, sizeof big, "GUID", "G");
    pptap_event_identity id;
    assert_int_equal(pptap_event_identify(&id, MD, j), PPTAP_EINVAL);
    json_decref(j);
    j = J("[]");
    assert_int_equal(pptap_event_identify(&id, MD, j), PPTAP_EINVAL);
    json_decref(j);
}

static FILE *sample(const char *name)
{
    char path[4200], dir[4096];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    char *slash = strrchr(dir, '/');
    if (slash != NULL) {
        *slash = '\0';
    }
    snprintf(path, sizeof path, "%s/../data/tap-samples/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fail_msg("cannot open %s", path);
    }
    return f;
}

/* Every sample event has its API id; reversing every array that is sorted
 * gives the same content hash. */
static void test_samples(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        pptap_event_type type;
    } files[] = {{"siem_messages_delivered_events.ndjson", MD},
                 {"siem_clicks_permitted_events.ndjson", CP}};
    static const char *lists[] = {"messageParts", "threatsInfoMap", "recipient", "modulesRun"};
    size_t n = 0;
    for (size_t f = 0; f < 2; f++) {
        FILE *fp = sample(files[f].file);
        char line[65536];
        while (fgets(line, sizeof line, fp) != NULL) {
            json_t *j = J(line);
            if (json_object_get(j, "queryEndTime") != NULL) {
                json_decref(j);
                continue;
            }
            pptap_event_identity a;
            assert_int_equal(pptap_event_identify(&a, files[f].type, j), 0);
            assert_int_equal(a.from_api, 1);
            assert_string_equal(a.event_id, json_string_value(json_object_get(j, "id")));
            json_t *r = json_deep_copy(j);
            for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
                json_t *arr = json_object_get(r, lists[k]);
                size_t m = json_array_size(arr);
                json_t *rev = json_array();
                for (size_t i = m; i > 0; i--) {
                    json_array_append(rev, json_array_get(arr, i - 1));
                }
                if (m > 0) {
                    json_object_set_new(r, lists[k], rev);
                } else {
                    json_decref(rev);
                }
            }
            pptap_event_identity b;
            assert_int_equal(pptap_event_identify(&b, files[f].type, r), 0);
            assert_string_equal(a.content_hash, b.content_hash);
            json_decref(r);
            json_decref(j);
            n++;
        }
        fclose(fp);
    }
    assert_int_equal(n, 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_hash_table),
        cmocka_unit_test(test_canonical_form),
        cmocka_unit_test(test_api_id),
        cmocka_unit_test(test_multi_recipient),
        cmocka_unit_test(test_hash_id_table),
        cmocka_unit_test(test_stable_values),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_samples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
