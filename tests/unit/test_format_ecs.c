/*
 * Unit tests: the ECS format (docs/formats.md). Table cases for url.* as
 * Elasticsearch's uri_parts and urldecode compute them (java.net.URI, its
 * fallback to java.net.URL, URLDecoder), then ECS fields of events that
 * Elastic's own test logs do not cover: nulls, numbers sent as strings,
 * single strings for lists, both spellings of campaign and threat ids, the
 * related.hash script's quirks, @timestamp fallbacks, bad IPs and escapes,
 * the pptap object, gap records, and allocation failures.
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

#include "internal.h"
#include "uriparts.h"

/* ------------------------------------------------------------------------ */
/* uri_parts                                                                 */

/* Expected pieces; NULL: absent (or empty, which the ECS writer drops). */
typedef struct {
    const char *url;
    int ok;
    const char *scheme, *domain, *path, *extension, *query, *fragment, *user_info, *username,
        *password;
    long port;
} uri_case;

static const uri_case uri_cases[] = {
    {"https://www.example.com/?name=john", 1, "https", "www.example.com", "/", NULL, "name=john",
     NULL, NULL, NULL, NULL, -1},
    {"https://www.example.org", 1, "https", "www.example.org", NULL, NULL, NULL, NULL, NULL, NULL,
     NULL, -1},
    /* Elastic's clicks_permitted line 4: everything after '#' is the fragment */
    {"https://xyz123456789.support.com#xyz@example.com", 1, "https", "xyz123456789.support.com",
     NULL, NULL, NULL, "xyz@example.com", NULL, NULL, NULL, -1},
    /* URI decodes path, query, fragment and user info; '+' stays */
    {"http://user:pa%20ss@host.example:8080/a/b.tar.gz?x=%41+1#f%C3%A9", 1, "http", "host.example",
     "/a/b.tar.gz", "gz", "x=A+1", "f\xC3\xA9", "user:pa ss", "user", "pa ss", 8080},
    /* an underscore makes the authority registry-based: no host */
    {"https://host_name.example.com/path", 1, "https", NULL, "/path", NULL, NULL, NULL, NULL, NULL,
     NULL, -1},
    {"https://1.2.3.4:443/x", 1, "https", "1.2.3.4", "/x", NULL, NULL, NULL, NULL, NULL, NULL, 443},
    {"https://[2001:db8::1]:8443/p", 1, "https", "[2001:db8::1]", "/p", NULL, NULL, NULL, NULL,
     NULL, NULL, 8443},
    /* a dotted name whose last label starts with a digit is no host name */
    {"https://1.2.3/x", 1, "https", NULL, "/x", NULL, NULL, NULL, NULL, NULL, NULL, -1},
    {"https://a.b-/x", 1, "https", NULL, "/x", NULL, NULL, NULL, NULL, NULL, NULL, -1},
    {"https://example.com./x", 1, "https", "example.com.", "/x", NULL, NULL, NULL, NULL, NULL, NULL,
     -1},
    /* opaque */
    {"mailto:someone@example.com", 1, "mailto", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, -1},
    /* URI refuses a space: URL's pieces, as written */
    {"https://e.com/a b?q=%41", 1, "https", "e.com", "/a b", NULL, "q=%41", NULL, NULL, NULL, NULL,
     -1},
    /* a malformed escape: URL */
    {"https://e.com/%zz.html", 1, "https", "e.com", "/%zz.html", "html", NULL, NULL, NULL, NULL,
     NULL, -1},
    /* URL needs a protocol Java knows */
    {"hxxp://evil.example/x|y", 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, -1},
    {"not a url", 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, -1},
    /* a relative reference: only a path */
    {"example.com/xyz/", 1, NULL, NULL, "example.com/xyz/", NULL, NULL, NULL, NULL, NULL, NULL, -1},
    /* the extension comes from the last segment only */
    {"https://e.com/dir.d/file", 1, "https", "e.com", "/dir.d/file", NULL, NULL, NULL, NULL, NULL,
     NULL, -1},
    {"https://e.com/file.", 1, "https", "e.com", "/file.", NULL, NULL, NULL, NULL, NULL, NULL, -1},
    /* a port over 2^31 - 1: registry-based */
    {"https://e.com:99999999999/", 1, "https", NULL, "/", NULL, NULL, NULL, NULL, NULL, NULL, -1},
    {"https://e.com:/p", 1, "https", "e.com", "/p", NULL, NULL, NULL, NULL, NULL, NULL, -1},
    {"//host.example/path", 1, NULL, "host.example", "/path", NULL, NULL, NULL, NULL, NULL, NULL,
     -1},
    /* non-ASCII host: registry-based for URI; the path is fine */
    {"https://\xE4\xBE\x8B\xE3\x81\x88.jp/\xE3\x83\x91", 1, "https", NULL, "/\xE3\x83\x91", NULL,
     NULL, NULL, NULL, NULL, NULL, -1},
    /* '|' is not allowed by URI: URL keeps the host and the raw query */
    {"https://\xE4\xBE\x8B.jp/p?q=a|b", 1, "https", "\xE4\xBE\x8B.jp", "/p", NULL, "q=a|b", NULL,
     NULL, NULL, NULL, -1},
    /* a '#' in the fragment: URL splits at the first one */
    {"https://e.com/p#a#b", 1, "https", "e.com", "/p", NULL, NULL, "a#b", NULL, NULL, NULL, -1},
    /* two '@': no host for either class */
    {"http://a@b@c/p", 1, "http", NULL, "/p", NULL, NULL, NULL, NULL, NULL, NULL, -1},
    {"file:///etc/x.conf", 1, "file", NULL, "/etc/x.conf", "conf", NULL, NULL, NULL, NULL, NULL,
     -1},
    {"HTTPS://E.COM/", 1, "HTTPS", "E.COM", "/", NULL, NULL, NULL, NULL, NULL, NULL, -1},
    /* a no-break space is not an "other" character: URL */
    {"https://e.com/a\xC2\xA0"
     "b",
     1, "https", "e.com",
     "/a\xC2\xA0"
     "b",
     NULL, NULL, NULL, NULL, NULL, NULL, -1},
    /* invalid UTF-8 from an escape becomes U+FFFD */
    {"https://e.com/%FF", 1, "https", "e.com", "/\xEF\xBF\xBD", NULL, NULL, NULL, NULL, NULL, NULL,
     -1},
    /* IPv6 with a scope */
    {"http://[fe80::1%25eth0]/", 1, "http", "[fe80::1%25eth0]", "/", NULL, NULL, NULL, NULL, NULL,
     NULL, -1},
};

static void expect_piece(const char *url, const char *what, pptap__piece got, const char *want)
{
    if (want == NULL) {
        if (got.p != NULL && got.n != 0) {
            fail_msg("%s: %s is \"%.*s\", want none", url, what, (int)got.n, got.p);
        }
        return;
    }
    if (got.p == NULL || got.n != strlen(want) || memcmp(got.p, want, got.n) != 0) {
        fail_msg("%s: %s is \"%.*s\", want \"%s\"", url, what, got.p ? (int)got.n : 6,
                 got.p ? got.p : "(none)", want);
    }
}

static void test_uri_parts(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof uri_cases / sizeof uri_cases[0]; i++) {
        const uri_case *c = &uri_cases[i];
        size_t n = strlen(c->url);
        char *scratch = malloc(n + 1);
        pptap__uri_parts p;
        int rc = pptap__uri_parts_parse(&p, c->url, n, scratch);
        if (!c->ok) {
            if (rc != PPTAP_EINVAL) {
                fail_msg("%s: parsed, want refused", c->url);
            }
            free(scratch);
            continue;
        }
        if (rc != 0) {
            fail_msg("%s: refused", c->url);
        }
        expect_piece(c->url, "scheme", p.scheme, c->scheme);
        expect_piece(c->url, "domain", p.domain, c->domain);
        expect_piece(c->url, "path", p.path, c->path);
        expect_piece(c->url, "extension", p.extension, c->extension);
        expect_piece(c->url, "query", p.query, c->query);
        expect_piece(c->url, "fragment", p.fragment, c->fragment);
        expect_piece(c->url, "user_info", p.user_info, c->user_info);
        expect_piece(c->url, "username", p.username, c->username);
        expect_piece(c->url, "password", p.password, c->password);
        if (p.port != c->port) {
            fail_msg("%s: port %ld, want %ld", c->url, p.port, c->port);
        }
        free(scratch);
    }
}

/* ------------------------------------------------------------------------ */
/* urldecode                                                                 */

typedef struct {
    const char *in;
    const char *out; /* NULL: refused */
} decode_case;

static const decode_case decode_cases[] = {
    {"a+b%20c", "a b c"},
    {"https://e.com/x?q=a%2Bb+c", "https://e.com/x?q=a+b c"},
    {"%E2%82%AC", "\xE2\x82\xAC"},
    {"%E2%82", "\xEF\xBF\xBD"}, /* a cut sequence: one U+FFFD */
    {"%FF%41", "\xEF\xBF\xBD"
               "A"},                                       /* an invalid byte */
    {"%ED%A0%80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"}, /* a surrogate: three */
    {"%F0%9F%98%80!", "\xF0\x9F\x98\x80!"},
    {"\xC3\xA9t\xC3\xA9", "\xC3\xA9t\xC3\xA9"}, /* text as it is */
    {"%", NULL},
    {"%4", NULL},
    {"%zz", NULL},
    {"ok%2", NULL},
};

static void test_url_decode(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof decode_cases / sizeof decode_cases[0]; i++) {
        const decode_case *c = &decode_cases[i];
        pptap_buf b = PPTAP_BUF_INIT;
        assert_int_equal(pptap_buf_put(&b, "x", 1), 0);
        int rc = pptap__url_decode_form(&b, c->in, strlen(c->in));
        if (c->out == NULL) {
            assert_int_equal(rc, PPTAP_EINVAL);
            assert_int_equal(b.len, 1); /* untouched */
        } else {
            assert_int_equal(rc, 0);
            if (b.len != strlen(c->out) + 1 || memcmp(b.ptr + 1, c->out, b.len - 1) != 0) {
                fail_msg("decode \"%s\": got \"%s\"", c->in, b.ptr + 1);
            }
        }
        pptap_buf_dispose(&b);
    }
    /* a long run of escapes crosses the decoder's 256-byte block with a
     * two-byte sequence cut in the middle: still whole characters */
    pptap_buf in = PPTAP_BUF_INIT, want = PPTAP_BUF_INIT, got = PPTAP_BUF_INIT;
    assert_int_equal(pptap_buf_put(&in, "%41", 3), 0);
    assert_int_equal(pptap_buf_put(&want, "A", 1), 0);
    for (int k = 0; k < 200; k++) {
        assert_int_equal(pptap_buf_put(&in, "%C3%A9", 6), 0);
        assert_int_equal(pptap_buf_put(&want, "\xC3\xA9", 2), 0);
    }
    assert_int_equal(pptap__url_decode_form(&got, in.ptr, in.len), 0);
    assert_int_equal(got.len, want.len);
    assert_memory_equal(got.ptr, want.ptr, want.len);
    pptap_buf_dispose(&in);
    pptap_buf_dispose(&want);
    pptap_buf_dispose(&got);
}

/* ------------------------------------------------------------------------ */
/* ECS documents                                                             */

static json_t *J(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (j == NULL) {
        fail_msg("bad JSON in test: %s: %s", je.text, text);
    }
    return j;
}

/* The value at a dotted path ("email.to.address"), or NULL. */
static json_t *at(json_t *doc, const char *path)
{
    char key[128];
    while (doc != NULL && *path != '\0') {
        size_t n = strcspn(path, ".");
        snprintf(key, sizeof key, "%.*s", (int)n, path);
        doc = json_object_get(doc, key);
        path += n + (path[n] == '.');
    }
    return doc;
}

/* Formats `event` in ECS and returns the parsed document (the line must be
 * one JSON object ending in '\n'). */
static json_t *ecs(pptap_event_type t, const char *event, const pptap_event_meta *meta)
{
    json_t *ev = J(event);
    pptap_buf out = PPTAP_BUF_INIT;
    assert_int_equal(pptap_format_event(&out, PPTAP_EVENTFMT_ECS, t, ev, meta), 0);
    json_decref(ev);
    assert_true(out.len > 0 && out.ptr[out.len - 1] == '\n');
    assert_null(memchr(out.ptr, '\n', out.len - 1));
    json_error_t je;
    json_t *doc = json_loadb(out.ptr, out.len, 0, &je);
    if (doc == NULL) {
        fail_msg("not JSON: %s: %s", je.text, out.ptr);
    }
    pptap_buf_dispose(&out);
    return doc;
}

typedef struct {
    const char *name;
    pptap_event_type type;
    const char *event;
    const char *path;
    const char *want; /* JSON of the value; NULL: absent */
} field_case;

#define CB PPTAP_EVENT_CLICKS_BLOCKED
#define CP PPTAP_EVENT_CLICKS_PERMITTED
#define MB PPTAP_EVENT_MESSAGES_BLOCKED
#define MD PPTAP_EVENT_MESSAGES_DELIVERED

static const field_case field_cases[] = {
    /* numbers sent as strings, and values that are not numbers */
    {"score as string", MD, "{\"id\":\"1\",\"malwareScore\":\"100\"}",
     "proofpoint_tap.message_delivered.malware_score", "100"},
    {"impostor as string", MD, "{\"id\":\"1\",\"impostorScore\":\"0.5\"}",
     "proofpoint_tap.message_delivered.impostor_score", "0.5"},
    {"impostor integer is a double", MB, "{\"id\":\"1\",\"impostorScore\":45}",
     "proofpoint_tap.message_blocked.impostor_score", "45.0"},
    {"not a number", MD, "{\"id\":\"1\",\"messageSize\":\"big\"}",
     "proofpoint_tap.message_delivered.message_size", NULL},
    {"integral real", MD, "{\"id\":\"1\",\"spamScore\":12.0}",
     "proofpoint_tap.message_delivered.spam_score", "12"},
    {"zero survives", MD, "{\"id\":\"1\",\"phishScore\":0}",
     "proofpoint_tap.message_delivered.phish_score", "0"},
    /* lists: a single string is a one-element list */
    {"fromAddress string", MD, "{\"id\":\"1\",\"fromAddress\":\"a@x.com\"}", "email.from.address",
     "[\"a@x.com\"]"},
    {"fromAddress array", MD, "{\"id\":\"1\",\"fromAddress\":[\"a@x.com\",\"\",null]}",
     "email.from.address", "[\"a@x.com\"]"},
    {"empty list", MD, "{\"id\":\"1\",\"ccAddresses\":[]}", "email.cc", NULL},
    {"to: toAddresses then new recipients", MB,
     "{\"id\":\"1\",\"toAddresses\":[\"a@x\",\"b@x\"],\"recipient\":[\"b@x\",\"c@x\"]}",
     "email.to.address", "[\"a@x\",\"b@x\",\"c@x\"]"},
    {"to: late-condemned, no toAddresses", MD,
     "{\"id\":\"1\",\"toAddresses\":null,\"recipient\":[\"r@x\"]}", "email.to.address",
     "[\"r@x\"]"},
    {"to: a single recipient string", MD, "{\"id\":\"1\",\"recipient\":\"r@x\"}",
     "email.to.address", "[\"r@x\"]"},
    /* the two spellings */
    {"click campaignID", CB, "{\"id\":\"1\",\"campaignID\":\"c-9\"}",
     "proofpoint_tap.clicks_blocked.campaign_id", "\"c-9\""},
    {"click campaignId wins", CB, "{\"id\":\"1\",\"campaignId\":\"c-1\",\"campaignID\":\"c-9\"}",
     "proofpoint_tap.clicks_blocked.campaign_id", "\"c-1\""},
    {"click campaignId null", CB, "{\"id\":\"1\",\"campaignId\":null,\"campaignID\":\"c-9\"}",
     "proofpoint_tap.clicks_blocked.campaign_id", "\"c-9\""},
    {"click threatUrl", CP, "{\"id\":\"1\",\"threatUrl\":\"https://t/\"}",
     "proofpoint_tap.clicks_permitted.threat.url", "\"https://t/\""},
    {"threat map spellings", MD,
     "{\"id\":\"1\",\"threatsInfoMap\":[{\"campaignID\":\"c\",\"threatId\":\"t\","
     "\"threatURL\":\"u\",\"actors\":[\"x\"],\"detectionType\":null}]}",
     "proofpoint_tap.message_delivered.threat_info_map",
     "[{\"campaign_id\":\"c\",\"threat\":{\"id\":\"t\",\"url\":\"u\"},\"actors\":[\"x\"]}]"},
    {"cluster from clusterId", MB, "{\"id\":\"1\",\"clusterId\":\"h\"}",
     "proofpoint_tap.message_blocked.cluster", "\"h\""},
    /* message parts: attachments and what is left */
    {"attachment copy", MD,
     "{\"id\":\"1\",\"messageParts\":[{\"contentType\":\"text/plain\",\"md5\":\"m\","
     "\"filename\":\"a.txt\",\"disposition\":\"inline\",\"sandboxStatus\":null,\"extra\":1}]}",
     "email.attachments",
     "[{\"file\":{\"mime_type\":\"text/plain\",\"hash\":{\"md5\":\"m\"},\"name\":\"a.txt\"},"
     "\"extra\":1}]"},
    {"parts keep the rest", MD,
     "{\"id\":\"1\",\"messageParts\":[{\"contentType\":\"text/plain\",\"md5\":\"m\","
     "\"oContentType\":\"text/html\",\"disposition\":\"inline\",\"sandboxStatus\":\"clean\"}]}",
     "proofpoint_tap.message_delivered.message_parts",
     "[{\"disposition\":\"inline\",\"o_content_type\":\"text/"
     "html\",\"sandbox_status\":\"clean\"}]"},
    /* related.hash and the pipeline script's rules */
    {"hash threat lower-cased", MB,
     "{\"id\":\"1\",\"messageParts\":[{\"md5\":\"m\"}],\"threatsInfoMap\":[{\"threat\":"
     "\"A591A6D40BF420404A011733CFB7B190D62C65BF0BCDA32B57B277D9AD9F146E\"}]}",
     "related.hash",
     "[\"m\",\"a591a6d40bf420404a011733cfb7b190d62c65bf0bcda32b57b277d9ad9f146e\"]"},
    {"hash threat without parts", MB,
     "{\"id\":\"1\",\"threatsInfoMap\":[{\"threat\":"
     "\"a591a6d40bf420404a011733cfb7b190d62c65bf0bcda32b57b277d9ad9f146e\"}]}",
     "related.hash", NULL},
    {"hash script stops at a null threat", MB,
     "{\"id\":\"1\",\"messageParts\":[{\"sha256\":\"s\"}],\"threatsInfoMap\":[{\"threat\":null},"
     "{\"threat\":\"a591a6d40bf420404a011733cfb7b190d62c65bf0bcda32b57b277d9ad9f146e\"}]}",
     "related.hash", "[\"s\"]"},
    {"hash parts dedupe", MB,
     "{\"id\":\"1\",\"messageParts\":[{\"md5\":\"m\",\"sha256\":\"s\"},{\"md5\":\"m\","
     "\"sha256\":\"s\"}]}",
     "related.hash", "[\"m\",\"s\"]"},
    /* strings as sent, edited where the pipeline edits them */
    {"message id brackets", MD, "{\"id\":\"1\",\"messageID\":\"<a<b>c@x>\"}", "email.message_id",
     "\"abc@x\""},
    {"click message id kept", CB, "{\"id\":\"1\",\"messageID\":\"<a@x>\"}", "email.message_id",
     "\"<a@x>\""},
    {"header from", MB, "{\"id\":\"1\",\"headerFrom\":\"\\\"A. Bc\\\" <a@x>\"}",
     "proofpoint_tap.message_blocked.header.from", "\"\\\"A. Bc\\\" a@x\""},
    {"completelyRewritten string", MD, "{\"id\":\"1\",\"completelyRewritten\":\"na\"}",
     "proofpoint_tap.message_delivered.completely_rewritten", "\"na\""},
    {"completelyRewritten false", MD, "{\"id\":\"1\",\"completelyRewritten\":false}",
     "proofpoint_tap.message_delivered.completely_rewritten", "\"false\""},
    {"non-ASCII and controls", MD, "{\"id\":\"1\",\"subject\":\"\\u00e9\\t\\u0001\\ud83d\\ude00\"}",
     "email.subject", "\"\\u00e9\\t\\u0001\\ud83d\\ude00\""},
    /* addresses and URLs that do not parse */
    {"bad sender IP", CB, "{\"id\":\"1\",\"senderIP\":\"999.1.1.1\",\"clickIP\":\"::1\"}",
     "related.ip", "[\"::1\"]"},
    {"bad IP: no source", CB, "{\"id\":\"1\",\"senderIP\":\"x\"}", "source", NULL},
    {"url with a bad escape", CP, "{\"id\":\"1\",\"url\":\"https://e.com/a%zz+b\"}", "url.full",
     "\"https://e.com/a%zz+b\""},
    {"url decoded", CP, "{\"id\":\"1\",\"url\":\"https://e.com/a%20b+c?d=%C3%A9\"}", "url.full",
     "\"https://e.com/a b c?d=\\u00e9\""},
    {"url port", CP, "{\"id\":\"1\",\"url\":\"http://h.example:81/\"}", "url.port", "81"},
    /* times */
    {"late threat raises @timestamp", CB,
     "{\"id\":\"1\",\"clickTime\":\"2022-03-21T20:39:37Z\",\"threatTime\":"
     "\"2022-03-30T10:05:57Z\"}",
     "@timestamp", "\"2022-03-30T10:05:57.000Z\""},
    {"tie keeps activity", MD,
     "{\"id\":\"1\",\"messageTime\":\"2022-01-01T00:00:00.000Z\",\"threatsInfoMap\":[{"
     "\"threatTime\":\"2022-01-01T00:00:00Z\"}]}",
     "email.delivery_timestamp", "\"2022-01-01T00:00:00.000Z\""},
    {"offset times are UTC", MD, "{\"id\":\"1\",\"messageTime\":\"2022-01-01T02:00:00+02:00\"}",
     "@timestamp", "\"2022-01-01T00:00:00.000Z\""},
    {"no times: no @timestamp", MD, "{\"id\":\"1\"}", "@timestamp", NULL},
    {"no activity time: latest threat", MD,
     "{\"id\":\"1\",\"threatsInfoMap\":[{\"threatTime\":\"2022-01-01T00:00:00Z\"},{"
     "\"threatTime\":\"2022-02-01T00:00:00Z\"},{\"threatTime\":\"bad\"}]}",
     "@timestamp", "\"2022-02-01T00:00:00.000Z\""},
    {"delivered has no action", MD, "{\"id\":\"1\"}", "event.action", NULL},
    {"permitted action", CP, "{\"id\":\"1\"}", "event.action", "[\"allowed\"]"},
    {"original kept", CB, "{\"id\":\"1\",\"x\":[1,2.5,null,true,{}],\"s\":\"\\\"\\n\"}",
     "event.original",
     "\"{\\\"id\\\":\\\"1\\\",\\\"x\\\":[1,2.5,null,true,{}],"
     "\\\"s\\\":\\\"\\\\\\\"\\\\n\\\"}\""},
    {"no id: no event.id", MD, "{\"GUID\":\"g\"}", "event.id", NULL},
    {"computed event_id", MD, "{\"GUID\":\"g\"}", "pptap.event_id", NULL /* checked below */},
};

static void test_fields(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof field_cases / sizeof field_cases[0]; i++) {
        const field_case *c = &field_cases[i];
        json_t *doc = ecs(c->type, c->event, NULL);
        json_t *got = at(doc, c->path);
        if (strcmp(c->name, "computed event_id") == 0) {
            const char *id = json_string_value(got);
            assert_non_null(id);
            assert_int_equal(strncmp(id, "h:", 2), 0);
        } else if (c->want == NULL) {
            if (got != NULL) {
                char *t = json_dumps(got, JSON_ENCODE_ANY);
                fail_msg("%s: %s is %s, want absent", c->name, c->path, t);
            }
        } else {
            json_error_t je;
            json_t *want = json_loads(c->want, JSON_DECODE_ANY, &je);
            assert_non_null(want);
            if (got == NULL || !json_equal(got, want)) {
                char *t = got ? json_dumps(got, JSON_ENCODE_ANY) : NULL;
                fail_msg("%s: %s is %s, want %s", c->name, c->path, t ? t : "absent", c->want);
            }
            json_decref(want);
        }
        json_decref(doc);
    }
}

/* No null, "", {} or [] anywhere in a document of an all-null event. */
static void no_empty(json_t *v)
{
    const char *k;
    json_t *x;
    size_t i;
    assert_false(json_is_null(v));
    if (json_is_string(v)) {
        assert_true(json_string_length(v) > 0);
    } else if (json_is_object(v)) {
        assert_true(json_object_size(v) > 0);
        json_object_foreach(v, k, x)
        {
            no_empty(x);
        }
    } else if (json_is_array(v)) {
        assert_true(json_array_size(v) > 0);
        json_array_foreach(v, i, x)
        {
            no_empty(x);
        }
    }
}

static void test_nulls_dropped(void **state)
{
    (void)state;
    static const char *const ev =
        "{\"id\":\"n-1\",\"GUID\":null,\"QID\":null,\"subject\":null,\"sender\":\"\","
        "\"messageID\":\"\",\"toAddresses\":null,\"ccAddresses\":[],\"fromAddress\":[null],"
        "\"messageParts\":[{\"md5\":null,\"sandboxStatus\":null}],\"threatsInfoMap\":[{"
        "\"threat\":null,\"campaignID\":null,\"x\":{\"y\":[]}}],\"headerFrom\":null,"
        "\"completelyRewritten\":null,\"impostorScore\":null,\"url\":null,\"userAgent\":\"\"}";
    for (int t = 0; t < PPTAP_EVENT_COUNT_; t++) {
        json_t *doc = ecs((pptap_event_type)t, ev, NULL);
        no_empty(doc);
        assert_string_equal(json_string_value(at(doc, "pptap.event_id")), "n-1");
        json_decref(doc);
    }
}

static void test_meta(void **state)
{
    (void)state;
    pptap_event_meta meta = {"E-1", "acme", "2026-01-02T03:04:05Z", 1};
    json_t *doc = ecs(CB, "{\"id\":\"1\"}", &meta);
    assert_string_equal(json_string_value(at(doc, "pptap.event_id")), "E-1");
    assert_string_equal(json_string_value(at(doc, "pptap.tenant")), "acme");
    assert_string_equal(json_string_value(at(doc, "pptap.collected_at")), "2026-01-02T03:04:05Z");
    assert_true(json_is_true(at(doc, "pptap.update")));
    assert_string_equal(json_string_value(at(doc, "event.created")), "2026-01-02T03:04:05.000Z");
    /* no click time: the collection time stands in, as Elastic's read time */
    assert_string_equal(json_string_value(at(doc, "@timestamp")), "2026-01-02T03:04:05.000Z");
    assert_string_equal(json_string_value(at(doc, "data_stream.dataset")),
                        "proofpoint_tap.clicks_blocked");
    assert_string_equal(json_string_value(at(doc, "event.dataset")),
                        "proofpoint_tap.clicks_blocked");
    json_decref(doc);
}

static void test_gap(void **state)
{
    (void)state;
    pptap_gap_record g = {"gap:acme:1:2",         "acme",
                          "2026-01-09T00:00:00Z", "2026-01-01T00:00:00Z",
                          "2026-01-01T06:00:00Z", "older than the API serves"};
    pptap_buf out = PPTAP_BUF_INIT;
    assert_int_equal(pptap_format_gap(&out, PPTAP_EVENTFMT_ECS, &g), 0);
    json_error_t je;
    json_t *doc = json_loadb(out.ptr, out.len, 0, &je);
    assert_non_null(doc);
    assert_string_equal(json_string_value(at(doc, "event.kind")), "pipeline_error");
    assert_string_equal(json_string_value(at(doc, "@timestamp")), "2026-01-01T00:00:00.000Z");
    assert_string_equal(json_string_value(at(doc, "event.start")), "2026-01-01T00:00:00.000Z");
    assert_string_equal(json_string_value(at(doc, "event.end")), "2026-01-01T06:00:00.000Z");
    assert_string_equal(json_string_value(at(doc, "event.created")), "2026-01-09T00:00:00.000Z");
    assert_string_equal(json_string_value(at(doc, "pptap.event_type")), "gap");
    assert_string_equal(json_string_value(at(doc, "pptap.event_id")), "gap:acme:1:2");
    assert_string_equal(json_string_value(at(doc, "message")),
                        "no TAP events were collected from 2026-01-01T00:00:00Z to "
                        "2026-01-01T06:00:00Z for tenant acme: older than the API serves");
    json_decref(doc);
    pptap_buf_dispose(&out);
}

static void test_alloc_failures(void **state)
{
    (void)state;
    json_t *ev = J("{\"id\":\"a-1\",\"GUID\":\"g\",\"messageTime\":\"2022-01-01T00:00:00Z\","
                   "\"toAddresses\":[\"a@x\"],\"recipient\":[\"b@x\"],\"messageID\":\"<m@x>\","
                   "\"messageParts\":[{\"md5\":\"m\",\"sha256\":\"s\"}],\"threatsInfoMap\":[{"
                   "\"threat\":\"t\",\"threatTime\":\"2022-01-02T00:00:00Z\"}]}");
    json_t *click = J("{\"id\":\"c-1\",\"url\":\"https://e.com/a%20b?c=d\"}");
    int failed = 0, passed = 0;
    for (unsigned long n = 1; n < 200; n++) {
        pptap_buf out = PPTAP_BUF_INIT;
        assert_int_equal(pptap_buf_put(&out, "keep", 4), 0);
        pptap__alloc_fail_at(n);
        int rc1 = pptap_format_event(&out, PPTAP_EVENTFMT_ECS, MD, ev, NULL);
        size_t len1 = out.len;
        pptap__alloc_fail_at(n);
        int rc2 = pptap_format_event(&out, PPTAP_EVENTFMT_ECS, CP, click, NULL);
        pptap__alloc_fail_at(0);
        assert_true(rc1 == 0 || rc1 == PPTAP_ENOMEM);
        assert_true(rc2 == 0 || rc2 == PPTAP_ENOMEM);
        if (rc1 != 0) {
            assert_int_equal(len1, 4); /* cut back */
        }
        failed += (rc1 != 0) + (rc2 != 0);
        passed += (rc1 == 0) + (rc2 == 0);
        assert_memory_equal(out.ptr, "keep", 4);
        pptap_buf_dispose(&out);
    }
    assert_true(failed > 0 && passed > 0);
    json_decref(ev);
    json_decref(click);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uri_parts),      cmocka_unit_test(test_url_decode),
        cmocka_unit_test(test_fields),         cmocka_unit_test(test_nulls_dropped),
        cmocka_unit_test(test_meta),           cmocka_unit_test(test_gap),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
