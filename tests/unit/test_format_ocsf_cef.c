/*
 * Unit tests: the OCSF and CEF event formats (docs/formats.md). The four
 * test inputs in tests/formats/events/ rendered byte for byte against
 * tests/formats/expected/; OCSF lines checked as JSON with the required
 * attributes typed and every TAP field either mapped or kept in "unmapped";
 * CEF lines parsed back with an unescaping parser and compared with the TAP
 * fields; CEF escaping cases; severities; gap records; allocation failures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <pptap/format.h>
#include <pptap/time.h>

#include "format_internal.h"
#include "internal.h"

#define CB PPTAP_EVENT_CLICKS_BLOCKED
#define CP PPTAP_EVENT_CLICKS_PERMITTED
#define MB PPTAP_EVENT_MESSAGES_BLOCKED
#define MD PPTAP_EVENT_MESSAGES_DELIVERED

static const pptap_event_type all_types[] = {CB, CP, MB, MD};

/* ------------------------------------------------------------------------- */
/* Files */

static char *slurp(const char *rel, size_t *len)
{
    char path[4200], dir[4096];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    char *slash = strrchr(dir, '/');
    if (slash != NULL) {
        *slash = '\0';
    }
    snprintf(path, sizeof path, "%s/../formats/%s", dir, rel);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fail_msg("cannot open %s", path);
    }
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

/* The events of tests/formats/events/<type>.ndjson, NULL-terminated. */
static json_t **load_events(pptap_event_type type, size_t *count)
{
    char rel[256];
    size_t len;
    snprintf(rel, sizeof rel, "events/%s.ndjson", pptap_event_type_name(type));
    char *text = slurp(rel, &len);
    json_t **ev = calloc(64, sizeof(*ev));
    size_t n = 0;
    for (char *line = text, *nl; *line != '\0'; line = nl + 1) {
        nl = strchr(line, '\n');
        assert_non_null(nl);
        *nl = '\0';
        json_error_t e;
        ev[n] = json_loads(line, 0, &e);
        if (ev[n] == NULL) {
            fail_msg("%s line %zu: %s", rel, n + 1, e.text);
        }
        n++;
        assert_true(n < 64);
    }
    free(text);
    *count = n;
    return ev;
}

static void free_events(json_t **ev)
{
    for (size_t i = 0; ev[i] != NULL; i++) {
        json_decref(ev[i]);
    }
    free(ev);
}

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (j == NULL) {
        fail_msg("bad JSON in test: %s: %s", e.text, text);
    }
    return j;
}

/* Renders one event; fails the test on an error. Returns a malloc'd line. */
static char *render(pptap_eventfmt f, pptap_event_type type, json_t *event,
                    const pptap_event_meta *meta)
{
    pptap_buf b = PPTAP_BUF_INIT;
    int rc = pptap_format_event(&b, f, type, event, meta);
    if (rc != 0) {
        fail_msg("pptap_format_event: %s", pptap_strerror(rc));
    }
    assert_true(b.len > 0 && b.ptr[b.len - 1] == '\n');
    assert_null(memchr(b.ptr, '\n', b.len - 1)); /* one line */
    return b.ptr;
}

static pptap_time_ms T(const char *s)
{
    pptap_time_ms t = 0;
    assert_int_equal(pptap_time_parse(&t, s, strlen(s)), 0);
    return t;
}

/* ------------------------------------------------------------------------- */
/* Expected files: byte for byte, event unchanged */

static void test_expected_files(void **state)
{
    (void)state;
    static const struct {
        pptap_eventfmt f;
        const char *dir, *ext;
    } fmts[] = {{PPTAP_EVENTFMT_OCSF, "ocsf", "ndjson"}, {PPTAP_EVENTFMT_CEF, "cef", "cef"}};
    for (size_t k = 0; k < 2; k++) {
        for (size_t t = 0; t < 4; t++) {
            size_t n, elen;
            json_t **ev = load_events(all_types[t], &n);
            char rel[256];
            snprintf(rel, sizeof rel, "expected/%s/%s.%s", fmts[k].dir,
                     pptap_event_type_name(all_types[t]), fmts[k].ext);
            char *expected = slurp(rel, &elen);
            pptap_buf out = PPTAP_BUF_INIT;
            for (size_t i = 0; i < n; i++) {
                char *before = json_dumps(ev[i], JSON_COMPACT | JSON_PRESERVE_ORDER);
                assert_int_equal(pptap_format_event(&out, fmts[k].f, all_types[t], ev[i], NULL), 0);
                char *after = json_dumps(ev[i], JSON_COMPACT | JSON_PRESERVE_ORDER);
                assert_string_equal(before, after); /* the event is left as it was */
                free(before);
                free(after);
            }
            if (out.len != elen || memcmp(out.ptr, expected, elen) != 0) {
                size_t line = 1, i = 0;
                while (i < out.len && i < elen && out.ptr[i] == expected[i]) {
                    line += out.ptr[i] == '\n';
                    i++;
                }
                fail_msg("%s differs from the output at line %zu, byte %zu", rel, line, i);
            }
            pptap_buf_dispose(&out);
            free(expected);
            free_events(ev);
        }
    }
}

/* ------------------------------------------------------------------------- */
/* OCSF */

/* The value at a path such as "email.files[0].name"; NULL when absent. */
static json_t *at(json_t *doc, const char *path)
{
    char key[128];
    const char *p = path;
    json_t *v = doc;
    while (*p != '\0' && v != NULL) {
        size_t n = strcspn(p, ".[");
        assert_true(n < sizeof key);
        memcpy(key, p, n);
        key[n] = '\0';
        if (n > 0) {
            v = json_object_get(v, key);
        }
        p += n;
        if (*p == '[') {
            v = json_array_get(v, strtoul(p + 1, NULL, 10));
            p = strchr(p, ']') + 1;
        }
        if (*p == '.') {
            p++;
        }
    }
    return v;
}

static void no_nulls(json_t *v, const char *where)
{
    const char *k;
    json_t *e;
    size_t i;
    if (json_is_null(v)) {
        fail_msg("null at %s", where);
    }
    if (json_is_object(v)) {
        json_object_foreach(v, k, e)
        {
            if (strcmp(k, "unmapped") != 0) { /* free-form: TAP values as sent */
                no_nulls(e, k);
            }
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, e)
        {
            no_nulls(e, where);
        }
    }
}

static void is_str(json_t *doc, const char *path)
{
    json_t *v = at(doc, path);
    if (!json_is_string(v) || json_string_length(v) == 0) {
        fail_msg("%s is not a string that is not empty", path);
    }
}

static void is_int(json_t *doc, const char *path)
{
    if (!json_is_integer(at(doc, path))) {
        fail_msg("%s is not an integer", path);
    }
}

static void str_array(json_t *doc, const char *path)
{
    json_t *v = at(doc, path), *e;
    size_t i;
    if (v == NULL) {
        return;
    }
    assert_true(json_is_array(v));
    json_array_foreach(v, i, e)
    {
        assert_true(json_is_string(e) && json_string_length(e) > 0);
    }
}

/* Where each mapped TAP field is found in the OCSF event. */
static const struct {
    int click;
    const char *tap, *ocsf;
} homes[] = {
    {0, "GUID", "email.uid"},
    {0, "messageID", "email.message_uid"},
    {0, "subject", "email.subject"},
    {0, "fromAddress", "email.from_list"},
    {0, "headerFrom", "email.from_mailbox"},
    {0, "toAddresses", "email.to"},
    {0, "ccAddresses", "email.cc"},
    {0, "replyToAddress", "email.reply_to_list"},
    {0, "headerReplyTo", "email.reply_to_mailboxes[0]"},
    {0, "sender", "email.smtp_from"},
    {0, "recipient", "email.smtp_to"},
    {0, "messageSize", "email.size"},
    {0, "QID", "message_trace_uid"},
    {0, "senderIP", "src_endpoint.ip"},
    {0, "id", "metadata.original_event_uid"},
    {0, "messageTime", "metadata.original_time"},
    {1, "GUID", "email_uid"},
    {1, "url", "url.url_string"},
    {1, "recipient", "actor.user.email_addr"},
    {1, "clickIP", "device.ip"},
    {1, "id", "metadata.original_event_uid"},
    {1, "clickTime", "metadata.original_time"},
    {1, "threatID", "osint[0].uid"},
    {1, "threatURL", "osint[0].src_url"},
    {1, "classification", "osint[0].category"},
};

/* Every TAP field that is not null is in exactly one place: its home, or
 * "unmapped" with its TAP name; nothing else is in "unmapped". */
static void check_lossless(json_t *doc, pptap_event_type type, json_t *event)
{
    int click = pptap__is_click(type);
    json_t *unmapped = json_object_get(doc, "unmapped");
    const char *k;
    json_t *v;
    json_object_foreach(event, k, v)
    {
        if (json_is_null(v)) {
            assert_null(json_object_get(unmapped, k));
            continue;
        }
        json_t *home = NULL;
        int mapped = 0;
        for (size_t i = 0; i < sizeof homes / sizeof homes[0]; i++) {
            if (homes[i].click == click && strcmp(homes[i].tap, k) == 0) {
                home = at(doc, homes[i].ocsf);
                mapped = 1;
            }
        }
        if (click && strcmp(k, "threatTime") == 0) {
            mapped = 1;
            home = at(doc, "osint[0].modified_time");
            if (home != NULL) {
                assert_int_equal(json_integer_value(home), T(json_string_value(v)));
                assert_null(json_object_get(unmapped, k));
                continue;
            }
        }
        json_t *kept = json_object_get(unmapped, k);
        if (mapped && home != NULL && json_equal(home, v)) {
            assert_null(kept);
        } else if (kept == NULL || !json_equal(kept, v)) {
            fail_msg("TAP field %s is neither mapped nor in unmapped", k);
        }
    }
    json_object_foreach(unmapped, k, v)
    {
        assert_true(json_equal(v, json_object_get(event, k)));
    }
}

static void check_ocsf(const char *line, pptap_event_type type, json_t *event)
{
    json_error_t e;
    json_t *doc = json_loads(line, 0, &e);
    if (doc == NULL) {
        fail_msg("not JSON: %s", e.text);
    }
    no_nulls(doc, "event");
    int click = pptap__is_click(type);
    is_int(doc, "class_uid");
    is_int(doc, "category_uid");
    is_int(doc, "activity_id");
    is_int(doc, "type_uid");
    is_int(doc, "time");
    is_int(doc, "severity_id");
    is_str(doc, "metadata.version");
    is_str(doc, "metadata.product.name");
    is_str(doc, "metadata.product.vendor_name");
    is_str(doc, "metadata.uid");
    json_int_t class_uid = json_integer_value(at(doc, "class_uid"));
    json_int_t activity = json_integer_value(at(doc, "activity_id"));
    assert_int_equal(class_uid, click ? 4012 : 4009);
    assert_int_equal(json_integer_value(at(doc, "category_uid")), 4);
    assert_int_equal(json_integer_value(at(doc, "type_uid")), class_uid * 100 + activity);
    assert_string_equal(json_string_value(at(doc, "metadata.version")), "1.7.0");
    json_int_t sev = json_integer_value(at(doc, "severity_id"));
    assert_true(sev >= 1 && sev <= 4);
    assert_int_equal(sev, pptap__threat_severity(type, event));
    is_int(doc, "action_id");
    is_int(doc, "disposition_id");
    assert_true(json_is_boolean(at(doc, "is_alert")));
    const char *tk = click ? "clickTime" : "messageTime";
    assert_int_equal(json_integer_value(at(doc, "time")),
                     T(json_string_value(json_object_get(event, tk))));
    assert_string_equal(json_string_value(at(doc, "metadata.log_name")),
                        pptap_event_type_name(type));
    if (click) {
        is_str(doc, "email_uid");
        is_str(doc, "url.url_string");
        assert_int_equal(json_integer_value(at(doc, "activity_id")), 99);
    } else {
        assert_true(json_is_object(at(doc, "email")));
        is_int(doc, "direction_id");
        str_array(doc, "email.to");
        str_array(doc, "email.cc");
        str_array(doc, "email.smtp_to");
        str_array(doc, "email.from_list");
        json_t *size = at(doc, "email.size");
        assert_true(size == NULL || (json_is_integer(size) && json_integer_value(size) > 0));
    }
    size_t i;
    json_t *o;
    json_array_foreach(at(doc, "observables"), i, o)
    {
        is_str(o, "name");
        is_int(o, "type_id");
        is_str(o, "value");
    }
    json_array_foreach(at(doc, "osint"), i, o)
    {
        is_int(o, "type_id");
        is_str(o, "value");
    }
    json_array_foreach(at(doc, "email.files"), i, o)
    {
        is_str(o, "name");
        is_int(o, "type_id");
        json_t *h;
        size_t j;
        json_array_foreach(json_object_get(o, "hashes"), j, h)
        {
            is_int(h, "algorithm_id");
            is_str(h, "value");
        }
    }
    check_lossless(doc, type, event);
    json_decref(doc);
}

static void test_ocsf_valid(void **state)
{
    (void)state;
    for (size_t t = 0; t < 4; t++) {
        size_t n;
        json_t **ev = load_events(all_types[t], &n);
        for (size_t i = 0; i < n; i++) {
            char *line = render(PPTAP_EVENTFMT_OCSF, all_types[t], ev[i], NULL);
            check_ocsf(line, all_types[t], ev[i]);
            assert_true(pptap__utf8_valid((const unsigned char *)line, strlen(line)));
            free(line);
        }
        free_events(ev);
    }
}

/* Late-condemned messages: null subject, QID, addresses, parts; "" sender
 * and messageID; size 0. Nothing null or empty is emitted in a typed place;
 * the values that do not fit stay in unmapped. */
static void test_ocsf_late_condemned(void **state)
{
    (void)state;
    size_t n;
    json_t **ev = load_events(MD, &n);
    char *line = render(PPTAP_EVENTFMT_OCSF, MD, ev[0], NULL);
    json_t *doc = J(line);
    assert_null(at(doc, "email.subject"));
    assert_null(at(doc, "email.from"));
    assert_null(at(doc, "email.to"));
    assert_null(at(doc, "email.smtp_from"));
    assert_null(at(doc, "email.message_uid"));
    assert_null(at(doc, "email.size"));
    assert_null(at(doc, "email.files"));
    assert_null(at(doc, "message_trace_uid"));
    assert_string_equal(json_string_value(at(doc, "email.uid")),
                        "Nhxxsxvxixcxx2x5xxxx6xWxBxOxxxxxxj");
    assert_string_equal(json_string_value(at(doc, "unmapped.sender")), "");
    assert_string_equal(json_string_value(at(doc, "unmapped.messageID")), "");
    assert_int_equal(json_integer_value(at(doc, "unmapped.messageSize")), 0);
    assert_null(at(doc, "unmapped.subject"));
    assert_int_equal(json_integer_value(at(doc, "direction_id")), 0); /* no policyRoutes */
    assert_int_equal(json_integer_value(at(doc, "severity_id")), 4);  /* delivered phish */
    assert_true(json_is_true(at(doc, "is_alert")));
    json_decref(doc);
    free(line);
    free_events(ev);
}

static void test_ocsf_non_ascii(void **state)
{
    (void)state;
    size_t n;
    json_t **ev = load_events(MB, &n);
    json_t *msg = ev[n - 1];
    char *line = render(PPTAP_EVENTFMT_OCSF, MB, msg, NULL);
    /* UTF-8 as is, not \u escapes */
    assert_non_null(strstr(line, "請求書 📎"));
    assert_non_null(strstr(line, "\"Überweisung_März.pdf\""));
    json_t *doc = J(line);
    assert_true(json_equal(at(doc, "email.subject"), json_object_get(msg, "subject")));
    assert_string_equal(json_string_value(at(doc, "email.from_mailbox")),
                        "\"Jürgen Ößer\" <jurgen@example.de>");
    json_decref(doc);
    free(line);
    free_events(ev);

    ev = load_events(CP, &n);
    line = render(PPTAP_EVENTFMT_OCSF, CP, ev[n - 1], NULL);
    doc = J(line);
    assert_string_equal(json_string_value(at(doc, "url.hostname")), "例え.jp");
    assert_string_equal(json_string_value(at(doc, "url.path")), "/パス");
    assert_string_equal(json_string_value(at(doc, "url.query_string")), "q=ü&r=a|b");
    assert_string_equal(json_string_value(at(doc, "actor.user.email_addr")), "zoë@example.com");
    assert_string_equal(json_string_value(at(doc, "unmapped.userAgent")),
                        "Mozilla/5.0 (X11; Linux x86_64)\tTab\nNewline");
    assert_non_null(strstr(line, "\\tTab\\nNewline")); /* JSON escapes */
    json_decref(doc);
    free(line);
    free_events(ev);
}

/* The url object of a click: the authority ends at the first '/', '?' or
 * '#', userinfo at its last '@'. */
static void test_ocsf_url(void **state)
{
    (void)state;
    static const struct {
        const char *url, *scheme, *host, *path, *query;
        int port;
    } cases[] = {
        {"https://user@host.example:8443/p/q?x=1&y=2#frag", "https", "host.example", "/p/q",
         "x=1&y=2", 8443},
        {"https://xyz123456789.support.com#xyz@example.com", "https", "xyz123456789.support.com",
         NULL, NULL, 0},
        {"http://[2001:db8::1]:80/x", "http", "2001:db8::1", "/x", NULL, 80},
        {"HTTP://Example.COM?only=query", "HTTP", "Example.COM", NULL, "only=query", 0},
        {"https://host:99999/", "https", "host", "/", NULL, 0},
        {"example.com/xyz/", NULL, NULL, NULL, NULL, 0},
        {"mailto:a@example.com", NULL, NULL, NULL, NULL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *ev = json_pack("{s:s, s:s, s:s, s:s}", "id", "u1", "GUID", "G", "clickTime",
                               "2024-01-01T00:00:00.000Z", "url", cases[i].url);
        char *line = render(PPTAP_EVENTFMT_OCSF, CB, ev, NULL);
        json_t *doc = J(line);
        assert_string_equal(json_string_value(at(doc, "url.url_string")), cases[i].url);
#define CHECK(field, want)                                                                         \
    if ((want) == NULL) {                                                                          \
        assert_null(at(doc, "url." field));                                                        \
    } else {                                                                                       \
        assert_string_equal(json_string_value(at(doc, "url." field)), (want));                     \
    }
        CHECK("scheme", cases[i].scheme);
        CHECK("hostname", cases[i].host);
        CHECK("path", cases[i].path);
        CHECK("query_string", cases[i].query);
#undef CHECK
        if (cases[i].port) {
            assert_int_equal(json_integer_value(at(doc, "url.port")), cases[i].port);
        } else {
            assert_null(at(doc, "url.port"));
        }
        json_decref(doc);
        free(line);
        json_decref(ev);
    }
}

/* What pptap knows beyond the TAP fields. */
static void test_ocsf_meta(void **state)
{
    (void)state;
    json_t *ev = J("{\"GUID\":\"G\",\"messageTime\":\"2024-01-01T00:00:00Z\","
                   "\"threatsInfoMap\":[]}");
    pptap_event_meta meta = {"E-1", "acme", "2024-05-01T12:00:00Z", 1};
    char *line = render(PPTAP_EVENTFMT_OCSF, MD, ev, &meta);
    json_t *doc = J(line);
    assert_string_equal(json_string_value(at(doc, "metadata.uid")), "E-1");
    assert_null(at(doc, "metadata.original_event_uid")); /* no TAP id */
    assert_string_equal(json_string_value(at(doc, "metadata.tenant_uid")), "acme");
    assert_int_equal(json_integer_value(at(doc, "metadata.logged_time")),
                     T("2024-05-01T12:00:00Z"));
    assert_string_equal(json_string_value(at(doc, "metadata.labels[0]")), "update");
    assert_int_equal(json_integer_value(at(doc, "severity_id")), 1); /* no threat */
    assert_string_equal(json_string_value(at(doc, "message")), "Delivered message with a threat");
    assert_null(at(doc, "osint"));
    assert_string_equal(json_string_value(at(doc, "metadata.profiles[0]")), "security_control");
    assert_null(at(doc, "metadata.profiles[1]"));
    assert_null(at(doc, "unmapped.threatsInfoMap[0]"));
    json_decref(doc);
    free(line);

    /* no event time: the collection time, or EINVAL with the buffer as it was */
    json_object_del(ev, "messageTime");
    line = render(PPTAP_EVENTFMT_OCSF, MD, ev, &meta);
    doc = J(line);
    assert_int_equal(json_integer_value(at(doc, "time")), T("2024-05-01T12:00:00Z"));
    json_decref(doc);
    free(line);
    pptap_buf b = PPTAP_BUF_INIT;
    assert_int_equal(pptap_buf_put(&b, "keep\n", 5), 0);
    meta.collected_at = NULL;
    assert_int_equal(pptap_format_event(&b, PPTAP_EVENTFMT_OCSF, MD, ev, &meta), PPTAP_EINVAL);
    assert_string_equal(b.ptr, "keep\n");
    /* a tenant that is not UTF-8 */
    json_object_set_new(ev, "messageTime", json_string("2024-01-01T00:00:00Z"));
    meta.tenant = "\xff";
    assert_int_equal(pptap_format_event(&b, PPTAP_EVENTFMT_OCSF, MD, ev, &meta), PPTAP_EINVAL);
    assert_string_equal(b.ptr, "keep\n");
    pptap_buf_dispose(&b);
    json_decref(ev);
}

/* ------------------------------------------------------------------------- */
/* CEF: a parser that unescapes */

typedef struct {
    char *hdr[7]; /* version, vendor, product, device version, signature, name, severity */
    char *key[80], *val[80];
    size_t n;
} cef_rec;

static char *unescape(const char *s, size_t n, int header)
{
    char *o = malloc(n + 1);
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\') {
            o[w++] = s[i];
            continue;
        }
        assert_true(i + 1 < n); /* a lone trailing backslash */
        char c = s[++i];
        if (c == '\\') {
            o[w++] = '\\';
        } else if (header && c == '|') {
            o[w++] = '|';
        } else if (!header && c == '=') {
            o[w++] = '=';
        } else if (!header && c == 'n') {
            o[w++] = '\n';
        } else if (!header && c == 'r') {
            o[w++] = '\r';
        } else {
            fail_msg("invalid escape \\%c", c);
        }
    }
    o[w] = '\0';
    return o;
}

static int key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Length of a key starting at s (letters and digits) followed by '=', else 0. */
static size_t key_at(const char *s, const char *end)
{
    size_t n = 0;
    while (s + n < end && key_char(s[n])) {
        n++;
    }
    return n > 0 && s + n < end && s[n] == '=' ? n : 0;
}

static void cef_parse(cef_rec *r, const char *line)
{
    memset(r, 0, sizeof(*r));
    size_t len = strlen(line);
    assert_true(len > 0 && line[len - 1] == '\n');
    const char *end = line + len - 1;
    assert_null(memchr(line, '\r', len));
    assert_true(strncmp(line, "CEF:", 4) == 0);
    const char *p = line + 4;
    for (int f = 0; f < 7; f++) {
        const char *start = p;
        while (p < end && *p != '|') {
            p += *p == '\\' ? 2 : 1;
        }
        assert_true(p < end);
        r->hdr[f] = unescape(start, (size_t)(p - start), 1);
        p++;
    }
    while (p < end) {
        size_t kl = key_at(p, end);
        if (kl == 0) {
            fail_msg("no key at: %.40s", p);
        }
        const char *v = p + kl + 1, *q = v;
        /* the value ends at a space followed by the next key and '=' */
        while (q < end && !(q[0] == ' ' && key_at(q + 1, end) > 0)) {
            q += *q == '\\' ? 2 : 1;
        }
        assert_true(r->n < 80);
        r->key[r->n] = strndup(p, kl);
        r->val[r->n] = unescape(v, (size_t)(q - v), 0);
        for (size_t i = 0; i < r->n; i++) {
            if (strcmp(r->key[i], r->key[r->n]) == 0) {
                fail_msg("key %s twice", r->key[i]);
            }
        }
        r->n++;
        p = q < end ? q + 1 : q;
    }
}

static void cef_free(cef_rec *r)
{
    for (int f = 0; f < 7; f++) {
        free(r->hdr[f]);
    }
    for (size_t i = 0; i < r->n; i++) {
        free(r->key[i]);
        free(r->val[i]);
    }
}

static const char *cef_get(const cef_rec *r, const char *key)
{
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->key[i], key) == 0) {
            return r->val[i];
        }
    }
    return NULL;
}

/* key holds the TAP string, or is absent when the TAP value is null or "". */
static void same(const cef_rec *r, const char *key, json_t *tap)
{
    const char *got = cef_get(r, key);
    if (!json_is_string(tap) || json_string_length(tap) == 0) {
        if (got != NULL) {
            fail_msg("%s=%s for an empty TAP value", key, got);
        }
        return;
    }
    if (got == NULL || strcmp(got, json_string_value(tap)) != 0) {
        fail_msg("%s: got %s, want %s", key, got ? got : "(absent)", json_string_value(tap));
    }
}

static void same_int(const cef_rec *r, const char *key, long long want)
{
    const char *got = cef_get(r, key);
    if (got == NULL || strtoll(got, NULL, 10) != want) {
        fail_msg("%s: got %s, want %lld", key, got ? got : "(absent)", want);
    }
}

static void custom(const cef_rec *r, const char *key, const char *label, json_t *tap)
{
    char lk[48];
    snprintf(lk, sizeof lk, "%sLabel", key);
    same(r, key, tap);
    if (cef_get(r, key) != NULL) {
        assert_string_equal(cef_get(r, lk), label);
    } else {
        assert_null(cef_get(r, lk));
    }
}

/* The per-threat list of one threat member, as cs1..cs4 and flexString2. */
static json_t *threat_list(pptap_event_type type, json_t *event, const char *member)
{
    size_t n = pptap__threat_count(type, event);
    int any = 0;
    pptap_buf b = PPTAP_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        pptap__threat t;
        pptap__threat_get(&t, type, event, i);
        json_t *v = strcmp(member, "id") == 0       ? t.id
                    : strcmp(member, "url") == 0    ? t.url
                    : strcmp(member, "status") == 0 ? t.status
                    : strcmp(member, "value") == 0  ? t.value
                                                    : t.campaign;
        if (i > 0) {
            pptap_buf_put(&b, ",", 1);
        }
        if (v != NULL && json_string_length(v) > 0) {
            any = 1;
            pptap_buf_put(&b, json_string_value(v), json_string_length(v));
        }
    }
    json_t *s = any ? json_stringn(b.ptr, b.len) : json_null();
    pptap_buf_dispose(&b);
    return s;
}

static void check_cef(const char *line, pptap_event_type type, json_t *ev, const char *event_id)
{
    cef_rec r;
    cef_parse(&r, line);
    assert_true(pptap__utf8_valid((const unsigned char *)line, strlen(line)));
    assert_string_equal(r.hdr[0], "0");
    assert_string_equal(r.hdr[1], "Proofpoint");
    assert_string_equal(r.hdr[2], "TAP");
    assert_string_equal(r.hdr[3], "v2");
    assert_string_equal(r.hdr[4], pptap_event_type_name(type));
    static const int sev[] = {0, 1, 3, 5, 8};
    assert_int_equal(atoi(r.hdr[6]), sev[pptap__threat_severity(type, ev)]);
    pptap_buf name = PPTAP_BUF_INIT;
    assert_int_equal(pptap__threat_summary(&name, type, ev), 0);
    assert_string_equal(r.hdr[5], name.ptr);
    pptap_buf_dispose(&name);

    for (size_t i = 0; i < r.n; i++) {
        if (r.val[i][0] == '\0') {
            fail_msg("%s has an empty value", r.key[i]);
        }
    }
    int click = pptap__is_click(type);
    same_int(&r, "rt",
             T(json_string_value(json_object_get(ev, click ? "clickTime" : "messageTime"))));
    assert_string_equal(cef_get(&r, "externalId"), event_id);
    static const char *const act[] = {"blocked", "permitted", "blocked", "delivered"};
    assert_string_equal(cef_get(&r, "act"), act[type]);
    same(&r, "suser", json_object_get(ev, "sender"));
    same(&r, "src", json_object_get(ev, click ? "clickIP" : "senderIP"));
    custom(&r, "cs5", "guid", json_object_get(ev, "GUID"));
    custom(&r, "cs6", "messageId", json_object_get(ev, "messageID"));
    static const char *const lists[][3] = {{"cs1", "threatId", "id"},
                                           {"cs2", "threatUrl", "url"},
                                           {"cs3", "threatStatus", "status"},
                                           {"cs4", "campaignId", "campaign"}};
    for (size_t i = 0; i < 4; i++) {
        json_t *want = threat_list(type, ev, lists[i][2]);
        custom(&r, lists[i][0], lists[i][1], want);
        json_decref(want);
    }
    if (click) {
        same(&r, "duser", json_object_get(ev, "recipient"));
        same(&r, "request", json_object_get(ev, "url"));
        same(&r, "requestClientApplication", json_object_get(ev, "userAgent"));
        same_int(&r, "deviceCustomDate1", T(json_string_value(json_object_get(ev, "threatTime"))));
        assert_string_equal(cef_get(&r, "deviceCustomDate1Label"), "threatTime");
    } else {
        json_t *rcpt = json_object_get(ev, "recipient");
        pptap_buf b = PPTAP_BUF_INIT;
        size_t i;
        json_t *e;
        json_array_foreach(rcpt, i, e)
        {
            if (i > 0) {
                pptap_buf_put(&b, ",", 1);
            }
            pptap_buf_put(&b, json_string_value(e), json_string_length(e));
        }
        assert_string_equal(cef_get(&r, "duser"), b.ptr);
        pptap_buf_dispose(&b);
        same(&r, "msg", json_object_get(ev, "subject"));
        custom(&r, "flexString1", "qid", json_object_get(ev, "QID"));
        json_t *want = threat_list(type, ev, "value");
        custom(&r, "flexString2", "threat", want);
        json_decref(want);
        same_int(&r, "cn1", json_integer_value(json_object_get(ev, "spamScore")));
        same_int(&r, "cn2", json_integer_value(json_object_get(ev, "phishScore")));
        same_int(&r, "cn3", json_integer_value(json_object_get(ev, "malwareScore")));
        assert_string_equal(cef_get(&r, "cn1Label"), "spamScore");
        json_int_t size = json_integer_value(json_object_get(ev, "messageSize"));
        if (size > 0) {
            same_int(&r, "in", size);
        } else {
            assert_null(cef_get(&r, "in"));
        }
        /* every part's file name and sha256 is listed */
        json_array_foreach(json_object_get(ev, "messageParts"), i, e)
        {
            assert_non_null(
                strstr(cef_get(&r, "fname"), json_string_value(json_object_get(e, "filename"))));
            assert_non_null(
                strstr(cef_get(&r, "fileHash"), json_string_value(json_object_get(e, "sha256"))));
        }
    }
    cef_free(&r);
}

static void test_cef_parse_back(void **state)
{
    (void)state;
    for (size_t t = 0; t < 4; t++) {
        size_t n;
        json_t **ev = load_events(all_types[t], &n);
        for (size_t i = 0; i < n; i++) {
            char *line = render(PPTAP_EVENTFMT_CEF, all_types[t], ev[i], NULL);
            check_cef(line, all_types[t], ev[i], json_string_value(json_object_get(ev[i], "id")));
            free(line);
        }
        free_events(ev);
    }
}

static void test_cef_late_and_non_ascii(void **state)
{
    (void)state;
    size_t n;
    json_t **ev = load_events(MD, &n);
    char *line = render(PPTAP_EVENTFMT_CEF, MD, ev[0], NULL);
    cef_rec r;
    cef_parse(&r, line);
    static const char *const absent[] = {"suser", "msg",      "cs6", "flexString1",    "in",
                                         "fname", "fileHash", "cs4", "deviceDirection"};
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++) {
        if (cef_get(&r, absent[i]) != NULL) {
            fail_msg("%s present in a late-condemned event", absent[i]);
        }
    }
    assert_string_equal(cef_get(&r, "cat"), "spam,phish");
    assert_string_equal(cef_get(&r, "cs3"), "active,active");
    cef_free(&r);
    free(line);
    free_events(ev);

    ev = load_events(MB, &n);
    line = render(PPTAP_EVENTFMT_CEF, MB, ev[n - 1], NULL);
    assert_non_null(
        strstr(line, "msg=Rechnung für März – 請求書 📎 \"urgent\" \\\\ back|slash\\=eq "));
    cef_parse(&r, line);
    assert_string_equal(cef_get(&r, "msg"),
                        json_string_value(json_object_get(ev[n - 1], "subject")));
    assert_string_equal(cef_get(&r, "fname"), "Überweisung_März.pdf");
    cef_free(&r);
    free(line);
    free_events(ev);

    ev = load_events(CP, &n);
    line = render(PPTAP_EVENTFMT_CEF, CP, ev[n - 1], NULL);
    assert_non_null(
        strstr(line, "requestClientApplication=Mozilla/5.0 (X11; Linux x86_64)\tTab\\nNewline "));
    assert_non_null(strstr(line, "request=https://例え.jp/パス?q\\=ü&r\\=a|b "));
    cef_parse(&r, line);
    assert_string_equal(cef_get(&r, "duser"), "zoë@example.com");
    cef_free(&r);
    free(line);
    free_events(ev);
}

/* Escaping, header and extension value, table driven. */
static void test_cef_escape(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t n;
        const char *header, *value;
    } cases[] = {
        {"", 0, "", ""},
        {"plain text", 10, "plain text", "plain text"},
        {"a|b", 3, "a\\|b", "a|b"},
        {"a\\b", 3, "a\\\\b", "a\\\\b"},
        {"k=v", 3, "k=v", "k\\=v"},
        {"l1\r\nl2", 6, "l1  l2", "l1\\r\\nl2"},
        {"\\=\r\n|", 5, "\\\\=  \\|", "\\\\\\=\\r\\n|"}, /* only escapes */
        {"\\\\", 2, "\\\\\\\\", "\\\\\\\\"},
        {"==", 2, "==", "\\=\\="},
        {"tab\there", 8, "tab here", "tab\there"},
        {"bell\x07", 5, "bell ", "bell "},
        {"nul\0x", 5, "nul x", "nul x"},
        {"del\x7f", 4, "del ", "del "},
        {"ü 請 📎", 11, "ü 請 📎", "ü 請 📎"},
        {"bad\xff", 4, "bad\xEF\xBF\xBD", "bad\xEF\xBF\xBD"},
        {"cut\xc3", 4, "cut\xEF\xBF\xBD", "cut\xEF\xBF\xBD"},
        {"\xc0\xaf", 2, "\xEF\xBF\xBD\xEF\xBF\xBD", "\xEF\xBF\xBD\xEF\xBF\xBD"}, /* overlong */
        {"\xed\xa0\x80", 3, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD",
         "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"}, /* surrogate */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pptap_buf h = PPTAP_BUF_INIT, v = PPTAP_BUF_INIT;
        assert_int_equal(pptap__cef_put_header(&h, cases[i].in, cases[i].n), 0);
        assert_int_equal(pptap__cef_put_value(&v, cases[i].in, cases[i].n), 0);
        const char *hs = h.ptr ? h.ptr : "", *vs = v.ptr ? v.ptr : "";
        if (strcmp(hs, cases[i].header) != 0 || strcmp(vs, cases[i].value) != 0) {
            fail_msg("case %zu: header [%s] value [%s]", i, hs, vs);
        }
        /* values without other control characters or bad bytes read back as given */
        if (i <= 9) {
            char *back = unescape(vs, strlen(vs), 0);
            assert_int_equal(strlen(back), cases[i].n);
            assert_memory_equal(back, cases[i].in, cases[i].n);
            free(back);
            back = unescape(hs, strlen(hs), 1);
            if (strpbrk(cases[i].in, "\r\n\t") == NULL) {
                assert_string_equal(back, cases[i].in);
            }
            free(back);
        }
        pptap_buf_dispose(&h);
        pptap_buf_dispose(&v);
    }
}

/* Header escaping through a real event: the classification is in the Name;
 * an IPv6 clickIP goes to c6a2; the tenant to deviceExternalId. */
static void test_cef_header_event(void **state)
{
    (void)state;
    json_t *ev = J("{\"id\":\"x|y\",\"GUID\":\"G\",\"clickTime\":\"2024-01-01T00:00:00Z\","
                   "\"classification\":\"Ph|sh\\\\\\nX\",\"clickIP\":\"2001:db8::7\","
                   "\"url\":\"https://e.example/a=b\",\"threatStatus\":\"active\"}");
    pptap_event_meta meta = {"x|y", "te=n\\ant", NULL, 0};
    char *line = render(PPTAP_EVENTFMT_CEF, CB, ev, &meta);
    assert_non_null(strstr(line, "|Blocked click with threat: ph\\|sh\\\\ x|5|"));
    cef_rec r;
    cef_parse(&r, line);
    assert_string_equal(r.hdr[5], "Blocked click with threat: ph|sh\\ x");
    assert_string_equal(cef_get(&r, "externalId"), "x|y");
    assert_string_equal(cef_get(&r, "cat"), "ph|sh\\\nx");
    assert_string_equal(cef_get(&r, "c6a2"), "2001:db8::7");
    assert_string_equal(cef_get(&r, "c6a2Label"), "Source IPv6 Address");
    assert_null(cef_get(&r, "src"));
    assert_string_equal(cef_get(&r, "request"), "https://e.example/a=b");
    assert_string_equal(cef_get(&r, "deviceExternalId"), "te=n\\ant");
    for (size_t i = 0; i < r.n; i++) {
        for (const char *k = r.key[i]; *k != '\0'; k++) {
            assert_true(key_char(*k));
        }
    }
    cef_free(&r);
    free(line);

    /* a Name longer than 512 bytes is cut at a character boundary */
    pptap_buf big = PPTAP_BUF_INIT;
    for (int i = 0; i < 300; i++) {
        pptap_buf_put(&big, "ü", 2);
    }
    json_object_set_new(ev, "classification", json_stringn(big.ptr, big.len));
    line = render(PPTAP_EVENTFMT_CEF, CB, ev, &meta);
    cef_parse(&r, line);
    assert_true(strlen(r.hdr[5]) <= 512);
    assert_true(pptap__utf8_valid((const unsigned char *)r.hdr[5], strlen(r.hdr[5])));
    assert_int_equal(strlen(cef_get(&r, "cat")), big.len);
    cef_free(&r);
    free(line);
    pptap_buf_dispose(&big);
    json_decref(ev);
}

/* ------------------------------------------------------------------------- */
/* Severity and disposition */

static void test_severity(void **state)
{
    (void)state;
    static const struct {
        pptap_event_type type;
        const char *event;
        int ocsf, cef, disposition;
        const char *act;
    } cases[] = {
        {CP, "{\"classification\":\"phish\",\"threatStatus\":\"active\"}", 4, 8, 1, "permitted"},
        {CP, "{\"classification\":\"MALWARE\"}", 4, 8, 1, "permitted"},
        {CB, "{\"classification\":\"phish\",\"threatStatus\":\"active\"}", 3, 5, 2, "blocked"},
        {CP, "{\"classification\":\"spam\",\"threatStatus\":\"active\"}", 2, 3, 1, "permitted"},
        {CB, "{\"classification\":\"Spam\",\"threatStatus\":\"active\"}", 1, 1, 2, "blocked"},
        {CP, "{\"classification\":\"phish\",\"threatStatus\":\"cleared\"}", 1, 1, 1, "permitted"},
        {CP, "{\"classification\":\"phish\",\"threatStatus\":\"falsePositive\"}", 1, 1, 1,
         "permitted"},
        {CP, "{\"threatStatus\":\"active\"}", 4, 8, 1, "permitted"}, /* unknown: not spam */
        {MD,
         "{\"threatsInfoMap\":[{\"classification\":\"spam\",\"threatStatus\":\"active\"},"
         "{\"classification\":\"phish\",\"threatStatus\":\"falsepositive\"}]}",
         2, 3, 1, "delivered"},
        {MD,
         "{\"threatsInfoMap\":[{\"classification\":\"spam\"},{\"classification\":\"impostor\"}]}",
         4, 8, 1, "delivered"},
        {MB, "{\"threatsInfoMap\":[{\"classification\":\"toad\"}]}", 3, 5, 2, "blocked"},
        {MB, "{\"quarantineFolder\":\"Phish\",\"threatsInfoMap\":[{\"classification\":\"phish\"}]}",
         3, 5, 3, "quarantined"},
        {MB, "{\"quarantineFolder\":\"\",\"threatsInfoMap\":[{\"classification\":\"spam\"}]}", 1, 1,
         2, "blocked"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *ev = J(cases[i].event);
        json_object_set_new(ev, "GUID", json_string("G"));
        json_object_set_new(ev, pptap__is_click(cases[i].type) ? "clickTime" : "messageTime",
                            json_string("2024-01-01T00:00:00Z"));
        char *line = render(PPTAP_EVENTFMT_OCSF, cases[i].type, ev, NULL);
        json_t *doc = J(line);
        if (json_integer_value(at(doc, "severity_id")) != cases[i].ocsf ||
            json_integer_value(at(doc, "disposition_id")) != cases[i].disposition) {
            fail_msg("case %zu: severity_id %lld disposition_id %lld", i,
                     (long long)json_integer_value(at(doc, "severity_id")),
                     (long long)json_integer_value(at(doc, "disposition_id")));
        }
        assert_int_equal(json_is_true(at(doc, "is_alert")), cases[i].ocsf >= 4);
        json_decref(doc);
        free(line);
        line = render(PPTAP_EVENTFMT_CEF, cases[i].type, ev, NULL);
        cef_rec r;
        cef_parse(&r, line);
        assert_int_equal(atoi(r.hdr[6]), cases[i].cef);
        assert_string_equal(cef_get(&r, "act"), cases[i].act);
        cef_free(&r);
        free(line);
        json_decref(ev);
    }
}

/* ------------------------------------------------------------------------- */
/* Gap records */

static void test_gap(void **state)
{
    (void)state;
    pptap_gap_record g = {"gap:acme:1700000000000:1700003600000",
                          "acme",
                          "2024-01-01T00:00:00Z",
                          "2023-11-14T22:13:20Z",
                          "2023-11-14T23:13:20Z",
                          "older than the 7 days the TAP API serves"};
    pptap_buf b = PPTAP_BUF_INIT;
    assert_int_equal(pptap_format_gap(&b, PPTAP_EVENTFMT_OCSF, &g), 0);
    assert_true(b.len > 0 && b.ptr[b.len - 1] == '\n');
    json_t *doc = J(b.ptr);
    no_nulls(doc, "gap");
    assert_int_equal(json_integer_value(at(doc, "class_uid")), 0);
    assert_int_equal(json_integer_value(at(doc, "category_uid")), 0);
    assert_int_equal(json_integer_value(at(doc, "activity_id")), 99);
    assert_int_equal(json_integer_value(at(doc, "type_uid")), 99);
    assert_string_equal(json_string_value(at(doc, "activity_name")), "Collection Gap");
    assert_int_equal(json_integer_value(at(doc, "start_time")), 1700000000000LL);
    assert_int_equal(json_integer_value(at(doc, "end_time")), 1700003600000LL);
    assert_int_equal(json_integer_value(at(doc, "duration")), 3600000);
    assert_int_equal(json_integer_value(at(doc, "time")), T("2024-01-01T00:00:00Z"));
    assert_int_equal(json_integer_value(at(doc, "severity_id")), 3);
    assert_int_equal(json_integer_value(at(doc, "status_id")), 2);
    assert_string_equal(json_string_value(at(doc, "status_detail")), g.reason);
    assert_string_equal(json_string_value(at(doc, "metadata.uid")), g.event_id);
    assert_string_equal(json_string_value(at(doc, "metadata.tenant_uid")), "acme");
    assert_string_equal(json_string_value(at(doc, "metadata.log_name")), "gap");
    assert_string_equal(json_string_value(at(doc, "metadata.version")), "1.7.0");
    json_decref(doc);

    b.len = 0;
    assert_int_equal(pptap_format_gap(&b, PPTAP_EVENTFMT_CEF, &g), 0);
    cef_rec r;
    cef_parse(&r, b.ptr);
    assert_string_equal(r.hdr[4], "gap");
    assert_string_equal(r.hdr[5], "Collection gap");
    assert_string_equal(r.hdr[6], "5");
    assert_string_equal(cef_get(&r, "start"), "1700000000000");
    assert_string_equal(cef_get(&r, "end"), "1700003600000");
    assert_string_equal(cef_get(&r, "externalId"), g.event_id);
    assert_string_equal(cef_get(&r, "reason"), g.reason);
    assert_string_equal(cef_get(&r, "deviceExternalId"), "acme");
    assert_string_equal(cef_get(&r, "msg"), "No events were collected from 2023-11-14T22:13:20Z to "
                                            "2023-11-14T23:13:20Z");
    cef_free(&r);

    /* without collection time, tenant and reason; then a bad time */
    pptap_gap_record bare = {
        "gap:x:1:2", NULL, NULL, "2023-11-14T22:13:20Z", "2023-11-14T23:13:20Z", NULL};
    b.len = 0;
    assert_int_equal(pptap_format_gap(&b, PPTAP_EVENTFMT_OCSF, &bare), 0);
    doc = J(b.ptr);
    assert_int_equal(json_integer_value(at(doc, "time")), 1700003600000LL);
    assert_null(at(doc, "status_detail"));
    assert_null(at(doc, "metadata.tenant_uid"));
    json_decref(doc);
    b.len = 0;
    assert_int_equal(pptap_format_gap(&b, PPTAP_EVENTFMT_CEF, &bare), 0);
    cef_parse(&r, b.ptr);
    assert_null(cef_get(&r, "reason"));
    assert_null(cef_get(&r, "deviceExternalId"));
    assert_string_equal(cef_get(&r, "rt"), "1700003600000");
    cef_free(&r);
    pptap_buf_dispose(&b);
    assert_int_equal(pptap_buf_put(&b, "keep\n", 5), 0);
    bare.from = "yesterday";
    assert_int_equal(pptap_format_gap(&b, PPTAP_EVENTFMT_OCSF, &bare), PPTAP_EINVAL);
    assert_int_equal(pptap_format_gap(&b, PPTAP_EVENTFMT_CEF, &bare), PPTAP_EINVAL);
    assert_string_equal(b.ptr, "keep\n");
    pptap_buf_dispose(&b);
}

/* ------------------------------------------------------------------------- */
/* Allocation failures leave the buffer as it was (the raw format too: it
 * shares the JSON writer); names parse */

static void test_failalloc(void **state)
{
    (void)state;
    size_t n;
    json_t **ev = load_events(MB, &n);
    static const pptap_eventfmt fmts[] = {PPTAP_EVENTFMT_RAW, PPTAP_EVENTFMT_OCSF,
                                          PPTAP_EVENTFMT_CEF};
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        pptap_eventfmt f = fmts[i];
        char *want = render(f, MB, ev[n - 1], NULL);
        int failures = 0;
        for (unsigned long k = 1;; k++) {
            pptap_buf b = PPTAP_BUF_INIT;
            assert_int_equal(pptap_buf_put(&b, "keep\n", 5), 0);
            pptap__alloc_fail_at(k);
            int rc = pptap_format_event(&b, f, MB, ev[n - 1], NULL);
            pptap__alloc_fail_at(0);
            if (rc == 0) {
                assert_string_equal(b.ptr + 5, want);
                pptap_buf_dispose(&b);
                break;
            }
            assert_int_equal(rc, PPTAP_ENOMEM);
            assert_string_equal(b.ptr, "keep\n");
            pptap_buf_dispose(&b);
            failures++;
            assert_true(k < 1000);
        }
        assert_true(failures > 0);
        free(want);
    }
    free_events(ev);

    pptap_eventfmt f;
    assert_int_equal(pptap_eventfmt_parse(&f, "ocsf"), 0);
    assert_int_equal(f, PPTAP_EVENTFMT_OCSF);
    assert_int_equal(pptap_eventfmt_parse(&f, "cef"), 0);
    assert_int_equal(f, PPTAP_EVENTFMT_CEF);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expected_files),
        cmocka_unit_test(test_ocsf_valid),
        cmocka_unit_test(test_ocsf_late_condemned),
        cmocka_unit_test(test_ocsf_non_ascii),
        cmocka_unit_test(test_ocsf_url),
        cmocka_unit_test(test_ocsf_meta),
        cmocka_unit_test(test_cef_parse_back),
        cmocka_unit_test(test_cef_late_and_non_ascii),
        cmocka_unit_test(test_cef_escape),
        cmocka_unit_test(test_cef_header_event),
        cmocka_unit_test(test_severity),
        cmocka_unit_test(test_gap),
        cmocka_unit_test(test_failalloc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
