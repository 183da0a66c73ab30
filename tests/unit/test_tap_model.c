/*
 * Unit tests: typed views of TAP responses. One test per documented quirk
 * (tap-api.md §10, §13.1), and the sample payloads of tests/data/tap-samples
 * parse without loss: every key of every object in them maps to a typed
 * field holding the same value.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <pptap/tap.h>

#include "internal.h"

static char *slurp(const char *name, size_t *len)
{
    char path[4200];
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    char *slash = strrchr(dir, '/');
    if (slash != NULL) {
        *slash = '\0';
    }
    snprintf(path, sizeof path, "%s/../data/tap-samples/%s", dir, name);
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

static pptap_time_ms T(const char *s)
{
    pptap_time_ms t = 0;
    assert_int_equal(pptap_time_parse(&t, s, strlen(s)), 0);
    return t;
}

/* Parses one event object and returns its typed message view. */
static pptap_message_obj *msg(const char *json)
{
    json_error_t je;
    json_t *j = json_loads(json, 0, &je);
    if (j == NULL) {
        fail_msg("bad test JSON: %s", je.text);
    }
    pptap_message_obj *m;
    assert_int_equal(pptap_message_parse(&m, j), 0);
    json_decref(j);
    return m;
}

static pptap_click_obj *click(const char *json)
{
    json_error_t je;
    json_t *j = json_loads(json, 0, &je);
    assert_non_null(j);
    pptap_click_obj *c;
    assert_int_equal(pptap_click_parse(&c, j), 0);
    json_decref(j);
    return c;
}

/* ---- one test per quirk ---- */

static void test_quirk_cluster_spellings(void **state)
{
    (void)state;
    pptap_message_obj *a = msg("{\"cluster\":\"c1\"}");
    pptap_message_obj *b = msg("{\"clusterId\":\"c2\"}");
    pptap_message_obj *c = msg("{\"cluster\":null,\"clusterId\":\"c3\"}");
    assert_string_equal(pptap_message_get(a)->cluster, "c1");
    assert_string_equal(pptap_message_get(b)->cluster, "c2");
    assert_string_equal(pptap_message_get(c)->cluster, "c3");
    pptap_message_free(a);
    pptap_message_free(b);
    pptap_message_free(c);
}

static void test_quirk_threat_id_spellings(void **state)
{
    (void)state;
    pptap_message_obj *m =
        msg("{\"threatsInfoMap\":[{\"threatID\":\"t1\"},{\"threatId\":\"t2\"},{\"threatID\":null,"
            "\"threatId\":\"t3\"}]}");
    const pptap_message *v = pptap_message_get(m);
    assert_int_equal(v->n_threats, 3);
    assert_string_equal(v->threats[0].threat_id, "t1");
    assert_string_equal(v->threats[1].threat_id, "t2");
    assert_string_equal(v->threats[2].threat_id, "t3");
    pptap_message_free(m);
    pptap_click_obj *c1 = click("{\"threatID\":\"a\"}");
    pptap_click_obj *c2 = click("{\"threatId\":\"b\"}");
    assert_string_equal(pptap_click_get(c1)->threat_id, "a");
    assert_string_equal(pptap_click_get(c2)->threat_id, "b");
    pptap_click_free(c1);
    pptap_click_free(c2);
}

static void test_quirk_campaign_id_spellings(void **state)
{
    (void)state;
    pptap_message_obj *m = msg("{\"threatsInfoMap\":[{\"campaignID\":\"c1\"},{\"campaignId\":"
                               "\"c2\"},{\"campaignID\":null}]}");
    const pptap_message *v = pptap_message_get(m);
    assert_string_equal(v->threats[0].campaign_id, "c1");
    assert_string_equal(v->threats[1].campaign_id, "c2");
    assert_null(v->threats[2].campaign_id);
    pptap_message_free(m);
    pptap_click_obj *c1 = click("{\"campaignId\":\"a\"}");
    pptap_click_obj *c2 = click("{\"campaignID\":\"b\"}");
    pptap_click_obj *c3 = click("{}");
    assert_string_equal(pptap_click_get(c1)->campaign_id, "a");
    assert_string_equal(pptap_click_get(c2)->campaign_id, "b");
    assert_null(pptap_click_get(c3)->campaign_id);
    pptap_click_free(c1);
    pptap_click_free(c2);
    pptap_click_free(c3);
}

static void test_quirk_threat_url_spellings(void **state)
{
    (void)state;
    pptap_message_obj *m =
        msg("{\"threatsInfoMap\":[{\"threatUrl\":\"u1\"},{\"threatURL\":\"u2\"}]}");
    assert_string_equal(pptap_message_get(m)->threats[0].threat_url, "u1");
    assert_string_equal(pptap_message_get(m)->threats[1].threat_url, "u2");
    pptap_message_free(m);
    pptap_click_obj *c1 = click("{\"threatURL\":\"a\"}");
    pptap_click_obj *c2 = click("{\"threatUrl\":\"b\"}");
    assert_string_equal(pptap_click_get(c1)->threat_url, "a");
    assert_string_equal(pptap_click_get(c2)->threat_url, "b");
    pptap_click_free(c1);
    pptap_click_free(c2);
}

static void test_quirk_completely_rewritten(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        int value;
        const char *str;
    } cases[] = {
        {"{\"completelyRewritten\":true}", 1, NULL},
        {"{\"completelyRewritten\":false}", 0, NULL},
        {"{\"completelyRewritten\":\"true\"}", 1, "true"},
        {"{\"completelyRewritten\":\"false\"}", 0, "false"},
        {"{\"completelyRewritten\":\"na\"}", -1, "na"},
        {"{\"completelyRewritten\":null}", -1, NULL},
        {"{}", -1, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pptap_message_obj *m = msg(cases[i].json);
        const pptap_message *v = pptap_message_get(m);
        assert_int_equal(v->completely_rewritten, cases[i].value);
        if (cases[i].str == NULL) {
            assert_null(v->completely_rewritten_str);
        } else {
            assert_string_equal(v->completely_rewritten_str, cases[i].str);
        }
        pptap_message_free(m);
    }
}

static void test_quirk_arrays_or_strings(void **state)
{
    (void)state;
    pptap_message_obj *a =
        msg("{\"fromAddress\":[\"a@x\",\"b@x\"],\"recipient\":[\"r@y\"],\"toAddresses\":\"t@y\"}");
    const pptap_message *v = pptap_message_get(a);
    assert_int_equal(v->from_address.n, 2);
    assert_string_equal(v->from_address.v[1], "b@x");
    assert_int_equal(v->recipient.n, 1);
    assert_string_equal(v->recipient.v[0], "r@y");
    assert_int_equal(v->to_addresses.n, 1);
    assert_string_equal(v->to_addresses.v[0], "t@y");
    pptap_message_free(a);
    pptap_message_obj *b = msg("{\"fromAddress\":\"a@x\",\"recipient\":\"r@y\"}");
    v = pptap_message_get(b);
    assert_int_equal(v->from_address.n, 1);
    assert_string_equal(v->from_address.v[0], "a@x");
    assert_int_equal(v->recipient.n, 1);
    assert_string_equal(v->recipient.v[0], "r@y");
    pptap_message_free(b);
    /* click recipient is a string; an array gives its first element */
    pptap_click_obj *c1 = click("{\"recipient\":\"r@y\"}");
    pptap_click_obj *c2 = click("{\"recipient\":[\"q@y\",\"z@y\"]}");
    assert_string_equal(pptap_click_get(c1)->recipient, "r@y");
    assert_string_equal(pptap_click_get(c2)->recipient, "q@y");
    pptap_click_free(c1);
    pptap_click_free(c2);
}

static void test_quirk_nulls_in_late_events(void **state)
{
    (void)state;
    /* the first event of the sample is a late condemnation */
    size_t len;
    char *all = slurp("siem_messages_delivered_events.ndjson", &len);
    char *nl = strchr(all, '\n');
    *nl = '\0';
    pptap_message_obj *m = msg(all);
    const pptap_message *v = pptap_message_get(m);
    assert_null(v->subject);
    assert_null(v->qid);
    assert_null(v->header_from);
    assert_null(v->header_reply_to);
    assert_null(v->xmailer);
    assert_null(v->quarantine_folder);
    assert_int_equal(v->from_address.n, 0);
    assert_int_equal(v->to_addresses.n, 0);
    assert_int_equal(v->cc_addresses.n, 0);
    assert_int_equal(v->reply_to_address.n, 0);
    assert_int_equal(v->modules_run.n, 0);
    assert_int_equal(v->policy_routes.n, 0);
    assert_int_equal(v->n_parts, 0);
    assert_string_equal(v->sender, "");
    assert_string_equal(v->message_id, "");
    assert_int_equal(v->message_size, 0);
    assert_int_equal(v->n_threats, 2);
    assert_null(v->threats[0].campaign_id);
    assert_true(v->impostor_score == 0.0);
    assert_true(v->message_time == T("2022-01-05T10:05:56.020Z"));
    pptap_message_free(m);
    free(all);
    /* absent numbers and times are marked, not zero */
    m = msg("{\"spamScore\":null}");
    v = pptap_message_get(m);
    assert_true(v->spam_score == PPTAP_INT_NONE);
    assert_true(v->message_time == PPTAP_TIME_NONE);
    assert_true(isnan(v->impostor_score));
    pptap_message_free(m);
}

static void test_quirk_impostor_score_and_sandbox(void **state)
{
    (void)state;
    pptap_message_obj *m = msg("{\"impostorScore\":12.5,\"messageParts\":[{\"sandboxStatus\":"
                               "null},{\"sandboxStatus\":\"CLEAN\"},{}]}");
    const pptap_message *v = pptap_message_get(m);
    assert_true(v->impostor_score == 12.5);
    assert_int_equal(v->n_parts, 3);
    assert_null(v->parts[0].sandbox_status);
    assert_string_equal(v->parts[1].sandbox_status, "CLEAN");
    assert_null(v->parts[2].sandbox_status);
    pptap_message_free(m);
    m = msg("{\"impostorScore\":7}");
    assert_true(pptap_message_get(m)->impostor_score == 7.0);
    pptap_message_free(m);
}

static void test_quirk_blacklisted_as_int(void **state)
{
    (void)state;
    const char *doc = "{\"reports\":[{\"forensics\":[{\"what\":{\"blacklisted\":1}},{\"what\":{"
                      "\"blacklisted\":true}},{\"what\":{\"blacklisted\":false}},{\"what\":{"
                      "\"blacklisted\":0}},{\"what\":{}},{\"what\":{\"port\":\"443\"}},{\"what\":{"
                      "\"port\":443}}]}]}";
    pptap_forensics *f;
    assert_int_equal(pptap_forensics_parse(&f, doc, strlen(doc)), 0);
    const pptap_evidence *e = f->reports[0].forensics;
    assert_int_equal(f->reports[0].n_forensics, 7);
    assert_int_equal(e[0].what.blacklisted, 1);
    assert_int_equal(e[1].what.blacklisted, 1);
    assert_int_equal(e[2].what.blacklisted, 0);
    assert_int_equal(e[3].what.blacklisted, 0);
    assert_int_equal(e[4].what.blacklisted, -1);
    assert_int_equal(e[5].what.port, 443); /* port as a string */
    assert_int_equal(e[6].what.port, 443);
    assert_true(e[0].time == PPTAP_INT_NONE); /* time absent */
    pptap_forensics_free(f);
}

static void test_quirk_threat_summary_spellings(void **state)
{
    (void)state;
    const char *doc_names = "{\"id\":\"t\",\"severityScore\":720,\"verticallyTargeted\":true,"
                            "\"geoTargeted\":false,\"attackSpread\":14}";
    const char *alt_names = "{\"id\":\"t\",\"severity\":650,\"verticals\":[\"finance\"],"
                            "\"geographies\":[]}";
    pptap_threat_summary *a, *b;
    assert_int_equal(pptap_threat_summary_parse(&a, doc_names, strlen(doc_names)), 0);
    assert_int_equal(pptap_threat_summary_parse(&b, alt_names, strlen(alt_names)), 0);
    assert_int_equal(a->severity_score, 720);
    assert_int_equal(a->vertically_targeted, 1);
    assert_int_equal(a->geo_targeted, 0);
    assert_int_equal(a->attack_spread, 14);
    assert_null(a->verticals);
    assert_int_equal(b->severity_score, 650);
    assert_int_equal(b->vertically_targeted, 1);
    assert_int_equal(b->geo_targeted, 0);
    assert_non_null(b->verticals);
    assert_string_equal(json_string_value(json_array_get(b->verticals, 0)), "finance");
    assert_true(json_is_array(b->geographies));
    pptap_threat_summary_free(a);
    pptap_threat_summary_free(b);
}

static void test_quirk_empty_and_204(void **state)
{
    (void)state;
    pptap_siem_result *r;
    /* 204: no body */
    assert_int_equal(pptap_siem_parse(&r, "", 0), 0);
    assert_int_equal(r->status, 204);
    assert_null(r->raw);
    assert_true(r->query_end_time == PPTAP_TIME_NONE);
    assert_int_equal(r->n_clicks_blocked + r->n_messages_delivered, 0);
    pptap_siem_result_free(r);
    /* 200 with the structure and empty arrays; absent keys are empty */
    const char *body = "{\"queryEndTime\" : \"2020-11-23T00:19:00Z\", \"clicksPermitted\" : [], "
                       "\"messagesDelivered\" : []}";
    assert_int_equal(pptap_siem_parse(&r, body, strlen(body)), 0);
    assert_int_equal(r->status, 200);
    assert_string_equal(r->query_end_time_str, "2020-11-23T00:19:00Z");
    assert_true(r->query_end_time == T("2020-11-23T00:19:00Z"));
    assert_int_equal(r->n_clicks_permitted + r->n_messages_delivered + r->n_clicks_blocked +
                         r->n_messages_blocked,
                     0);
    pptap_siem_result_free(r);
    /* malformed and wrong shapes are protocol errors */
    assert_int_equal(pptap_siem_parse(&r, "{\"clicksBlocked\":[1]}", 21), PPTAP_EPROTO);
    assert_int_equal(pptap_siem_parse(&r, "{\"clicksBlocked\":{}}", 20), PPTAP_EPROTO);
    assert_int_equal(pptap_siem_parse(&r, "[]", 2), PPTAP_EPROTO);
    assert_int_equal(pptap_siem_parse(&r, "{\"a\":", 5), PPTAP_EPROTO);
    /* a URL-decode response labelled text/plain is still JSON: parsing ignores the type */
    pptap_url_decode_result *u;
    assert_int_equal(pptap_url_decode_parse(&u, "{\"urls\":[]}", 11), 0);
    assert_int_equal(u->n_urls, 0);
    pptap_url_decode_result_free(u);
}

static void test_quirk_campaign_member_name(void **state)
{
    (void)state;
    const char *doc =
        "{\"campaignMembers\":[{\"id\":\"t1\",\"threat\":\"h\",\"type\":\"attachment\","
        "\"subType\":\"ATTACHMENT\",\"threatTime\":\"2021-03-25T08:14:03.000Z\"},"
        "{\"id\":\"t2\",\"name\":\"n\"}],\"notable\":true}";
    pptap_campaign *c;
    assert_int_equal(pptap_campaign_parse(&c, doc, strlen(doc)), 0);
    assert_int_equal(c->n_members, 2);
    assert_string_equal(c->members[0].threat, "h");
    assert_string_equal(c->members[0].sub_type, "ATTACHMENT");
    assert_true(c->members[0].threat_time == T("2021-03-25T08:14:03.000Z"));
    assert_null(c->members[1].threat);
    assert_string_equal(c->members[1].name, "n");
    assert_int_equal(c->notable, 1);
    pptap_campaign_free(c);
}

/* ---- the samples, field by field ---- */

enum kind { K_STR, K_INT, K_NUM, K_BOOL, K_TIME, K_LIST, K_NAMED, K_NESTED };

typedef struct {
    const char *key;
    enum kind kind;
    size_t off;  /* of the value in the typed struct */
    size_t off2; /* K_TIME: offset of the string */
} field;

#define F(T, key, kind, member)                                                                    \
    {                                                                                              \
        key, kind, offsetof(T, member), 0                                                          \
    }
#define FT(T, key, member, member_str)                                                             \
    {                                                                                              \
        key, K_TIME, offsetof(T, member), offsetof(T, member_str)                                  \
    }
#define FN(key)                                                                                    \
    {                                                                                              \
        key, K_NESTED, 0, 0                                                                        \
    }

static const field message_fields[] = {
    F(pptap_message, "GUID", K_STR, guid),
    F(pptap_message, "id", K_STR, id),
    F(pptap_message, "QID", K_STR, qid),
    F(pptap_message, "messageID", K_STR, message_id),
    FT(pptap_message, "messageTime", message_time, message_time_str),
    F(pptap_message, "messageSize", K_INT, message_size),
    F(pptap_message, "subject", K_STR, subject),
    F(pptap_message, "sender", K_STR, sender),
    F(pptap_message, "senderIP", K_STR, sender_ip),
    F(pptap_message, "recipient", K_LIST, recipient),
    F(pptap_message, "fromAddress", K_LIST, from_address),
    F(pptap_message, "toAddresses", K_LIST, to_addresses),
    F(pptap_message, "ccAddresses", K_LIST, cc_addresses),
    F(pptap_message, "replyToAddress", K_LIST, reply_to_address),
    F(pptap_message, "headerFrom", K_STR, header_from),
    F(pptap_message, "headerReplyTo", K_STR, header_reply_to),
    F(pptap_message, "headerTo", K_STR, header_to),
    F(pptap_message, "headerCC", K_STR, header_cc),
    F(pptap_message, "xmailer", K_STR, xmailer),
    F(pptap_message, "cluster", K_STR, cluster),
    F(pptap_message, "clusterId", K_STR, cluster),
    F(pptap_message, "completelyRewritten", K_BOOL, completely_rewritten),
    F(pptap_message, "spamScore", K_INT, spam_score),
    F(pptap_message, "phishScore", K_INT, phish_score),
    F(pptap_message, "malwareScore", K_INT, malware_score),
    F(pptap_message, "impostorScore", K_NUM, impostor_score),
    F(pptap_message, "modulesRun", K_LIST, modules_run),
    F(pptap_message, "policyRoutes", K_LIST, policy_routes),
    F(pptap_message, "quarantineFolder", K_STR, quarantine_folder),
    F(pptap_message, "quarantineRule", K_STR, quarantine_rule),
    FN("messageParts"),
    FN("threatsInfoMap"),
    {NULL},
};

static const field threat_fields[] = {
    F(pptap_threat_info, "threatID", K_STR, threat_id),
    F(pptap_threat_info, "threatId", K_STR, threat_id),
    F(pptap_threat_info, "threatStatus", K_STR, threat_status),
    F(pptap_threat_info, "classification", K_STR, classification),
    F(pptap_threat_info, "threatUrl", K_STR, threat_url),
    F(pptap_threat_info, "threatURL", K_STR, threat_url),
    F(pptap_threat_info, "threat", K_STR, threat),
    F(pptap_threat_info, "campaignID", K_STR, campaign_id),
    F(pptap_threat_info, "campaignId", K_STR, campaign_id),
    F(pptap_threat_info, "threatType", K_STR, threat_type),
    FT(pptap_threat_info, "threatTime", threat_time, threat_time_str),
    F(pptap_threat_info, "detectionType", K_STR, detection_type),
    F(pptap_threat_info, "actors", K_LIST, actors),
    {NULL},
};

static const field part_fields[] = {
    F(pptap_message_part, "contentType", K_STR, content_type),
    F(pptap_message_part, "oContentType", K_STR, o_content_type),
    F(pptap_message_part, "disposition", K_STR, disposition),
    F(pptap_message_part, "filename", K_STR, filename),
    F(pptap_message_part, "md5", K_STR, md5),
    F(pptap_message_part, "sha256", K_STR, sha256),
    F(pptap_message_part, "sandboxStatus", K_STR, sandbox_status),
    {NULL},
};

static const field click_fields[] = {
    F(pptap_click, "id", K_STR, id),
    F(pptap_click, "GUID", K_STR, guid),
    F(pptap_click, "messageID", K_STR, message_id),
    F(pptap_click, "url", K_STR, url),
    F(pptap_click, "classification", K_STR, classification),
    FT(pptap_click, "clickTime", click_time, click_time_str),
    FT(pptap_click, "threatTime", threat_time, threat_time_str),
    F(pptap_click, "clickIP", K_STR, click_ip),
    F(pptap_click, "userAgent", K_STR, user_agent),
    F(pptap_click, "sender", K_STR, sender),
    F(pptap_click, "senderIP", K_STR, sender_ip),
    F(pptap_click, "recipient", K_STR, recipient),
    F(pptap_click, "threatID", K_STR, threat_id),
    F(pptap_click, "threatURL", K_STR, threat_url),
    F(pptap_click, "threatUrl", K_STR, threat_url),
    F(pptap_click, "threatStatus", K_STR, threat_status),
    F(pptap_click, "campaignId", K_STR, campaign_id),
    F(pptap_click, "campaignID", K_STR, campaign_id),
    {NULL},
};

static const field campaign_fields[] = {
    F(pptap_campaign, "id", K_STR, id),
    F(pptap_campaign, "name", K_STR, name),
    F(pptap_campaign, "description", K_STR, description),
    FT(pptap_campaign, "startDate", start_date, start_date_str),
    F(pptap_campaign, "notable", K_BOOL, notable),
    F(pptap_campaign, "actors", K_NAMED, actors),
    F(pptap_campaign, "families", K_NAMED, families),
    F(pptap_campaign, "malware", K_NAMED, malware),
    F(pptap_campaign, "techniques", K_NAMED, techniques),
    F(pptap_campaign, "brands", K_NAMED, brands),
    FN("campaignMembers"),
    {NULL},
};

static const field forensics_fields[] = {
    FT(pptap_forensics, "generated", generated, generated_str),
    FN("reports"),
    {NULL},
};

static const field report_fields[] = {
    F(pptap_forensics_report, "scope", K_STR, scope),
    F(pptap_forensics_report, "id", K_STR, id),
    F(pptap_forensics_report, "name", K_STR, name),
    F(pptap_forensics_report, "threatStatus", K_STR, threat_status),
    F(pptap_forensics_report, "type", K_STR, type),
    FN("forensics"),
    {NULL},
};

static const field evidence_fields[] = {
    F(pptap_evidence, "type", K_STR, type),
    F(pptap_evidence, "display", K_STR, display),
    F(pptap_evidence, "engine", K_STR, engine),
    F(pptap_evidence, "malicious", K_BOOL, malicious),
    F(pptap_evidence, "note", K_STR, note),
    F(pptap_evidence, "time", K_INT, time),
    FN("what"),
    FN("platforms"),
    {NULL},
};

static const field what_fields[] = {
    F(pptap_evidence_what, "sha256", K_STR, sha256),
    F(pptap_evidence_what, "md5", K_STR, md5),
    F(pptap_evidence_what, "rule", K_STR, rule),
    F(pptap_evidence_what, "url", K_STR, url),
    F(pptap_evidence_what, "path", K_STR, path),
    F(pptap_evidence_what, "blacklisted", K_BOOL, blacklisted),
    F(pptap_evidence_what, "offset", K_INT, offset),
    F(pptap_evidence_what, "size", K_INT, size),
    F(pptap_evidence_what, "ip", K_STR, ip),
    F(pptap_evidence_what, "port", K_INT, port),
    F(pptap_evidence_what, "httpStatus", K_INT, http_status),
    F(pptap_evidence_what, "host", K_STR, host),
    F(pptap_evidence_what, "ips", K_LIST, ips),
    F(pptap_evidence_what, "cnames", K_LIST, cnames),
    {NULL},
};

static const field platform_fields[] = {
    F(pptap_platform, "name", K_STR, name),
    F(pptap_platform, "os", K_STR, os),
    F(pptap_platform, "version", K_STR, version),
    {NULL},
};

static const field url_fields[] = {
    F(pptap_decoded_url, "encodedUrl", K_STR, encoded_url),
    F(pptap_decoded_url, "decodedUrl", K_STR, decoded_url),
    F(pptap_decoded_url, "success", K_BOOL, success),
    F(pptap_decoded_url, "error", K_STR, error),
    F(pptap_decoded_url, "messageGuid", K_STR, message_guid),
    F(pptap_decoded_url, "clusterName", K_STR, cluster_name),
    F(pptap_decoded_url, "recipientEmail", K_STR, recipient_email),
    {NULL},
};

static size_t checked_values;

/* Every key of `o` is in `fields` and its typed value equals the JSON value. */
static void check_object(const char *what, json_t *o, const void *typed, const field *fields)
{
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        const field *f = fields;
        while (f->key != NULL && strcmp(f->key, key) != 0) {
            f++;
        }
        if (f->key == NULL) {
            fail_msg("%s: key \"%s\" has no typed field", what, key);
        }
        const char *base = typed;
        switch (f->kind) {
        case K_STR: {
            const char *s = *(const char *const *)(base + f->off);
            if (json_is_null(v)) {
                assert_null(s);
            } else {
                if (!json_is_string(v) || s == NULL || strcmp(s, json_string_value(v)) != 0) {
                    fail_msg("%s.%s: typed \"%s\"", what, key, s ? s : "(null)");
                }
            }
            break;
        }
        case K_INT:
            if (json_is_integer(v)) {
                assert_true(*(const int64_t *)(base + f->off) == json_integer_value(v));
            } else {
                assert_true(json_is_null(v));
            }
            break;
        case K_NUM:
            assert_true(*(const double *)(base + f->off) == json_number_value(v));
            break;
        case K_BOOL: {
            int b = *(const int *)(base + f->off);
            if (json_is_boolean(v)) {
                assert_int_equal(b, json_is_true(v) ? 1 : 0);
            } else if (json_is_integer(v)) {
                assert_int_equal(b, json_integer_value(v) != 0);
            } else {
                assert_true(json_is_string(v) || json_is_null(v));
            }
            break;
        }
        case K_TIME: {
            pptap_time_ms t = *(const pptap_time_ms *)(base + f->off);
            const char *s = *(const char *const *)(base + f->off2);
            assert_string_equal(s, json_string_value(v));
            assert_true(t == T(json_string_value(v)));
            break;
        }
        case K_LIST: {
            const pptap_strlist *l = (const pptap_strlist *)(base + f->off);
            if (json_is_null(v)) {
                assert_int_equal(l->n, 0);
            } else if (json_is_string(v)) {
                assert_int_equal(l->n, 1);
                assert_string_equal(l->v[0], json_string_value(v));
            } else {
                assert_int_equal(l->n, json_array_size(v));
                for (size_t i = 0; i < l->n; i++) {
                    assert_string_equal(l->v[i], json_string_value(json_array_get(v, i)));
                }
            }
            break;
        }
        case K_NAMED: {
            const pptap_namedlist *l = (const pptap_namedlist *)(base + f->off);
            assert_int_equal(l->n, json_array_size(v));
            for (size_t i = 0; i < l->n; i++) {
                json_t *e = json_array_get(v, i);
                assert_string_equal(l->v[i].id, json_string_value(json_object_get(e, "id")));
                assert_string_equal(l->v[i].name, json_string_value(json_object_get(e, "name")));
                assert_int_equal(json_object_size(e), 2);
            }
            break;
        }
        case K_NESTED:
            break; /* checked by the caller */
        }
        checked_values++;
    }
}

static void check_message(const pptap_message *m)
{
    check_object("message", m->raw, m, message_fields);
    json_t *parts = json_object_get(m->raw, "messageParts");
    assert_int_equal(m->n_parts, json_is_array(parts) ? json_array_size(parts) : 0);
    for (size_t i = 0; i < m->n_parts; i++) {
        assert_ptr_equal(m->parts[i].raw, json_array_get(parts, i));
        check_object("messagePart", m->parts[i].raw, &m->parts[i], part_fields);
    }
    json_t *tim = json_object_get(m->raw, "threatsInfoMap");
    assert_int_equal(m->n_threats, json_array_size(tim));
    for (size_t i = 0; i < m->n_threats; i++) {
        check_object("threatInfo", m->threats[i].raw, &m->threats[i], threat_fields);
    }
}

static void check_click(const pptap_click *c)
{
    check_object("click", c->raw, c, click_fields);
}

static void test_sample_siem_all(void **state)
{
    (void)state;
    size_t len;
    char *body = slurp("siem_all_doc_example.json", &len);
    pptap_siem_result *r;
    assert_int_equal(pptap_siem_parse(&r, body, len), 0);
    assert_int_equal(r->n_clicks_permitted, 1);
    assert_int_equal(r->n_messages_blocked, 1);
    assert_int_equal(r->n_clicks_blocked, 0);
    assert_int_equal(r->n_messages_delivered, 0);
    assert_string_equal(r->query_end_time_str, "2016-06-24T21:36:00Z");
    check_click(&r->clicks_permitted[0]);
    check_message(&r->messages_blocked[0]);
    const pptap_message *m = &r->messages_blocked[0];
    assert_string_equal(m->cluster, "pharmtech_hosted");
    assert_int_equal(m->completely_rewritten, 1);
    assert_string_equal(m->header_cc, "\"Bruce Wayne\" <bruce.wayne@university-of-education.zz>");
    assert_string_equal(r->clicks_permitted[0].campaign_id,
                        "46e01b8a-c899-404d-bcd9-189bb393d1a7"); /* campaignID on a click */
    pptap_siem_result_free(r);
    free(body);
}

static void for_each_line(const char *name, void (*fn)(json_t *))
{
    size_t len;
    char *all = slurp(name, &len);
    char *line = all;
    while (line != NULL && *line != '\0') {
        char *nl = strchr(line, '\n');
        if (nl != NULL) {
            *nl = '\0';
        }
        if (*line != '\0') {
            json_error_t je;
            json_t *j = json_loads(line, 0, &je);
            assert_non_null(j);
            fn(j);
            json_decref(j);
        }
        line = nl != NULL ? nl + 1 : NULL;
    }
    free(all);
}

static size_t lines_seen;

static void message_line(json_t *j)
{
    pptap_message_obj *m;
    assert_int_equal(pptap_message_parse(&m, j), 0);
    check_message(pptap_message_get(m));
    pptap_message_free(m);
    lines_seen++;
}

static void click_line(json_t *j)
{
    if (json_object_get(j, "queryEndTime") != NULL) {
        /* the last line is a whole empty response */
        char *s = json_dumps(j, 0);
        pptap_siem_result *r;
        assert_int_equal(pptap_siem_parse(&r, s, strlen(s)), 0);
        assert_int_equal(r->n_clicks_permitted, 0);
        assert_true(r->query_end_time != PPTAP_TIME_NONE);
        pptap_siem_result_free(r);
        free(s);
        return;
    }
    pptap_click_obj *c;
    assert_int_equal(pptap_click_parse(&c, j), 0);
    check_click(pptap_click_get(c));
    assert_non_null(pptap_click_get(c)->campaign_id);
    pptap_click_free(c);
    lines_seen++;
}

static void test_sample_messages_delivered(void **state)
{
    (void)state;
    lines_seen = 0;
    for_each_line("siem_messages_delivered_events.ndjson", message_line);
    assert_int_equal(lines_seen, 8);
}

static void test_sample_clicks_permitted(void **state)
{
    (void)state;
    lines_seen = 0;
    for_each_line("siem_clicks_permitted_events.ndjson", click_line);
    assert_int_equal(lines_seen, 4);
}

static void test_sample_campaign(void **state)
{
    (void)state;
    size_t len;
    char *body = slurp("campaign_detail.json", &len);
    pptap_campaign *c;
    assert_int_equal(pptap_campaign_parse(&c, body, len), 0);
    check_object("campaign", c->raw, c, campaign_fields);
    assert_int_equal(c->n_members, 0);
    assert_int_equal(c->notable, 0);
    assert_int_equal(c->families.n, 2);
    assert_string_equal(c->brands.v[0].name, "DocuSign");
    assert_non_null(strstr(c->description, "\r\n"));
    pptap_campaign_free(c);
    free(body);
}

static void test_sample_forensics(void **state)
{
    (void)state;
    size_t len;
    char *body = slurp("forensics_threat_report.json", &len);
    pptap_forensics *f;
    assert_int_equal(pptap_forensics_parse(&f, body, len), 0);
    check_object("forensics", f->raw, f, forensics_fields);
    assert_int_equal(f->n_reports, 1);
    for (size_t i = 0; i < f->n_reports; i++) {
        const pptap_forensics_report *r = &f->reports[i];
        check_object("report", r->raw, r, report_fields);
        assert_int_equal(r->n_forensics, 2);
        for (size_t j = 0; j < r->n_forensics; j++) {
            const pptap_evidence *e = &r->forensics[j];
            check_object("evidence", e->raw, e, evidence_fields);
            check_object("what", e->what.raw, &e->what, what_fields);
            assert_int_equal(e->what.blacklisted, 1);
            json_t *pl = json_object_get(e->raw, "platforms");
            assert_int_equal(e->n_platforms, json_array_size(pl));
            for (size_t k = 0; k < e->n_platforms; k++) {
                check_object("platform", json_array_get(pl, k), &e->platforms[k], platform_fields);
                assert_null(e->platforms[k].version);
            }
        }
    }
    assert_string_equal(f->reports[0].scope, "THREAT");
    pptap_forensics_free(f);
    free(body);
}

static void test_sample_url_decode(void **state)
{
    (void)state;
    size_t len;
    char *body = slurp("url_decode.json", &len);
    pptap_url_decode_result *u;
    assert_int_equal(pptap_url_decode_parse(&u, body, len), 0);
    assert_int_equal(u->n_urls, 2);
    json_t *arr = json_object_get(u->raw, "urls");
    for (size_t i = 0; i < u->n_urls; i++) {
        check_object("url", json_array_get(arr, i), &u->urls[i], url_fields);
        assert_int_equal(u->urls[i].success, 1);
    }
    assert_string_equal(u->urls[0].decoded_url, "https://example.com:443/search?q=a+test&gs=ps");
    pptap_url_decode_result_free(u);
    free(body);
}

/* Reference §10 examples (ours) for the endpoints without a sample file. */
static void test_reference_people_and_threat(void **state)
{
    (void)state;
    const char *vap =
        "{\"totalVapUsers\": 1, \"interval\": \"2025-02-18T11:00:07Z/2025-03-04T11:00:07Z\", "
        "\"averageAttackIndex\": 307.05145, \"vapAttackIndexThreshold\": 965.9637, \"users\": "
        "[{\"identity\": {\"guid\": \"g\", \"customerUserId\": null, \"emails\": "
        "[\"dana.lee@example.com\"], \"name\": null, \"department\": null, \"location\": null, "
        "\"title\": null, \"vip\": false}, \"threatStatistics\": {\"attackIndex\": 4576, "
        "\"families\": [{\"name\": \"credential phishing\", \"score\": 4200}, {\"name\": "
        "\"Malware\", \"score\": 376}]}}]}";
    pptap_people *p;
    assert_int_equal(pptap_people_parse(&p, vap, strlen(vap)), 0);
    assert_int_equal(p->total, 1);
    assert_true(p->average_attack_index == 307.05145);
    assert_true(p->vap_attack_index_threshold == 965.9637);
    assert_int_equal(p->n_users, 1);
    assert_string_equal(p->users[0].guid, "g");
    assert_null(p->users[0].customer_user_id);
    assert_string_equal(p->users[0].emails.v[0], "dana.lee@example.com");
    assert_int_equal(p->users[0].vip, 0);
    assert_int_equal(p->users[0].attack_index, 4576);
    assert_true(p->users[0].click_count == PPTAP_INT_NONE);
    assert_int_equal(p->users[0].n_families, 2);
    assert_int_equal(p->users[0].families[1].score, 376);
    pptap_people_free(p);

    const char *tc = "{\"interval\": \"x\", \"totalTopClickers\": 1, \"users\": [{\"identity\": "
                     "{\"guid\": \"h\", \"emails\": [\"pat.kim@example.com\"], \"vip\": true}, "
                     "\"clickStatistics\": {\"clickCount\": 3, \"families\": [{\"name\": "
                     "\"Malware\", \"clicks\": 2}, {\"name\": \"Phish\", \"clicks\": 1}]}}]}";
    assert_int_equal(pptap_people_parse(&p, tc, strlen(tc)), 0);
    assert_int_equal(p->total, 1);
    assert_int_equal(p->users[0].click_count, 3);
    assert_int_equal(p->users[0].vip, 1);
    assert_int_equal(p->users[0].families[0].clicks, 2);
    assert_true(isnan(p->average_attack_index));
    pptap_people_free(p);

    const char *ids = "{\"campaigns\": [{\"id\": \"f3ff\", \"lastUpdatedAt\": "
                      "\"2021-06-03T13:01:57.000Z\"}, {\"id\": \"aa9b\"}]}";
    pptap_campaign_ids *ci;
    assert_int_equal(pptap_campaign_ids_parse(&ci, ids, strlen(ids)), 0);
    assert_int_equal(ci->n_campaigns, 2);
    assert_string_equal(ci->campaigns[0].id, "f3ff");
    assert_true(ci->campaigns[0].last_updated_at == T("2021-06-03T13:01:57.000Z"));
    assert_true(ci->campaigns[1].last_updated_at == PPTAP_TIME_NONE);
    pptap_campaign_ids_free(ci);

    const char *ts =
        "{\"id\": \"9f86\", \"identifiedAt\": \"2025-03-04T10:20:02.000Z\", \"name\": \"n\", "
        "\"type\": \"url\", \"category\": \"phish\", \"status\": \"active\", \"detectionType\": "
        "\"sandbox\", \"severityScore\": 720, \"attackSpread\": 14, \"notable\": false, "
        "\"actors\": [{\"id\": \"6e3b\", \"name\": \"TA505\"}], \"families\": [], \"malware\": [], "
        "\"techniques\": [{\"id\": \"accc\", \"name\": \"Lookalike Domain\"}], \"brands\": []}";
    pptap_threat_summary *t;
    assert_int_equal(pptap_threat_summary_parse(&t, ts, strlen(ts)), 0);
    assert_string_equal(t->category, "phish");
    assert_string_equal(t->detection_type, "sandbox");
    assert_true(t->identified_at == T("2025-03-04T10:20:02.000Z"));
    assert_int_equal(t->actors.n, 1);
    assert_string_equal(t->actors.v[0].name, "TA505");
    assert_string_equal(t->techniques.v[0].id, "accc");
    assert_int_equal(t->notable, 0);
    assert_int_equal(t->vertically_targeted, -1);
    pptap_threat_summary_free(t);
}

/* Every allocation failure is reported as PPTAP_ENOMEM and leaks nothing. */
static void test_alloc_failures(void **state)
{
    (void)state;
    static const char *const files[] = {"siem_all_doc_example.json", "campaign_detail.json",
                                        "forensics_threat_report.json", "url_decode.json"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        size_t len;
        char *body = slurp(files[f], &len);
        for (unsigned long n = 1;; n++) {
            pptap__alloc_fail_at(n);
            void *r = NULL;
            int rc;
            switch (f) {
            case 0:
                rc = pptap_siem_parse((pptap_siem_result **)&r, body, len);
                if (rc == 0) {
                    pptap_siem_result_free(r);
                }
                break;
            case 1:
                rc = pptap_campaign_parse((pptap_campaign **)&r, body, len);
                if (rc == 0) {
                    pptap_campaign_free(r);
                }
                break;
            case 2:
                rc = pptap_forensics_parse((pptap_forensics **)&r, body, len);
                if (rc == 0) {
                    pptap_forensics_free(r);
                }
                break;
            default:
                rc = pptap_url_decode_parse((pptap_url_decode_result **)&r, body, len);
                if (rc == 0) {
                    pptap_url_decode_result_free(r);
                }
                break;
            }
            pptap__alloc_fail_at(0);
            if (rc == 0) {
                assert_true(n > 1);
                break;
            }
            assert_int_equal(rc, PPTAP_ENOMEM);
        }
        free(body);
    }
}

static void test_event_type_names(void **state)
{
    (void)state;
    static const char *const names[] = {"clicksBlocked", "clicksPermitted", "messagesBlocked",
                                        "messagesDelivered"};
    for (int i = 0; i < PPTAP_EVENT_COUNT_; i++) {
        pptap_event_type t;
        assert_string_equal(pptap_event_type_name((pptap_event_type)i), names[i]);
        assert_int_equal(pptap_event_type_parse(&t, names[i]), 0);
        assert_int_equal(t, i);
    }
    pptap_event_type t;
    assert_int_equal(pptap_event_type_parse(&t, "clicks"), PPTAP_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quirk_cluster_spellings),
        cmocka_unit_test(test_quirk_threat_id_spellings),
        cmocka_unit_test(test_quirk_campaign_id_spellings),
        cmocka_unit_test(test_quirk_threat_url_spellings),
        cmocka_unit_test(test_quirk_completely_rewritten),
        cmocka_unit_test(test_quirk_arrays_or_strings),
        cmocka_unit_test(test_quirk_nulls_in_late_events),
        cmocka_unit_test(test_quirk_impostor_score_and_sandbox),
        cmocka_unit_test(test_quirk_blacklisted_as_int),
        cmocka_unit_test(test_quirk_threat_summary_spellings),
        cmocka_unit_test(test_quirk_empty_and_204),
        cmocka_unit_test(test_quirk_campaign_member_name),
        cmocka_unit_test(test_sample_siem_all),
        cmocka_unit_test(test_sample_messages_delivered),
        cmocka_unit_test(test_sample_clicks_permitted),
        cmocka_unit_test(test_sample_campaign),
        cmocka_unit_test(test_sample_forensics),
        cmocka_unit_test(test_sample_url_decode),
        cmocka_unit_test(test_reference_people_and_threat),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_event_type_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
