/*
 * Unit tests: query validation (every rule, exact messages), request paths
 * and percent-encoding, throttle pools, status mapping and backoff.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <pptap/client.h>
#include <pptap/tap.h>

#include "tap_internal.h"

static pptap_time_ms T(const char *s)
{
    pptap_time_ms t = 0;
    assert_int_equal(pptap_time_parse(&t, s, strlen(s)), 0);
    return t;
}

#define NOW "2025-03-04T12:00:00Z"

/* ---- SIEM validation ---- */

typedef struct {
    const char *name;
    pptap_siem_query q;
    const char *start, *end; /* times for q.start/q.end */
    const char *expect;      /* NULL = valid */
} siem_case;

static const siem_case siem_cases[] = {
    {"none",
     {PPTAP_EP_SIEM_ALL},
     NULL,
     NULL,
     "a time selector is required: interval, sinceSeconds or sinceTime"},
    {"two selectors",
     {PPTAP_EP_SIEM_ALL, "2025-03-04T11:00:00Z/2025-03-04T11:30:00Z", 0, 0, 300},
     NULL,
     NULL,
     "give exactly one time selector (interval, sinceSeconds or sinceTime), not several"},
    {"since both",
     {PPTAP_EP_SIEM_ALL, NULL, 0, 0, 300, "2025-03-04T11:30:00Z"},
     NULL,
     NULL,
     "give exactly one time selector (interval, sinceSeconds or sinceTime), not several"},
    {"text and times",
     {PPTAP_EP_SIEM_ALL, "2025-03-04T11:00:00Z/2025-03-04T11:30:00Z"},
     "2025-03-04T11:00:00Z",
     "2025-03-04T11:30:00Z",
     "give the interval either as text or as start/end times, not both"},
    {"garbage",
     {PPTAP_EP_SIEM_ALL, "garbage"},
     NULL,
     NULL,
     "interval \"garbage\" is not an ISO 8601 interval (start/end, duration/end or "
     "start/duration, end after start)"},
    {"end before start",
     {PPTAP_EP_SIEM_ALL, "2025-03-04T11:30:00Z/2025-03-04T11:00:00Z"},
     NULL,
     NULL,
     "interval \"2025-03-04T11:30:00Z/2025-03-04T11:00:00Z\" is not an ISO 8601 interval "
     "(start/end, duration/end or start/duration, end after start)"},
    {"too short",
     {PPTAP_EP_SIEM_ALL, "2025-03-04T11:00:00Z/2025-03-04T11:00:20Z"},
     NULL,
     NULL,
     "interval is too short (20 s): the API requires at least 30 s"},
    {"too short ms",
     {PPTAP_EP_SIEM_ALL, "2025-03-04T11:00:00Z/2025-03-04T11:00:29.999Z"},
     NULL,
     NULL,
     "interval is too short (29.999 s): the API requires at least 30 s"},
    {"too long",
     {PPTAP_EP_SIEM_ALL, "2025-03-04T10:00:00Z/2025-03-04T11:00:01Z"},
     NULL,
     NULL,
     "interval is too long (1 h 1 s): the API allows at most 1 h"},
    {"future",
     {PPTAP_EP_SIEM_ALL, "2025-03-04T11:30:00Z/2025-03-04T12:05:00Z"},
     NULL,
     NULL,
     "interval end 2025-03-04T12:05:00Z is not in the past (5 min ahead of now)"},
    {"too old",
     {PPTAP_EP_SIEM_ALL, "2025-02-25T11:00:00Z/2025-02-25T11:30:00Z"},
     NULL,
     NULL,
     "interval start 2025-02-25T11:00:00Z is more than 7 days in the past: the API serves only "
     "the last 7 days"},
    {"exactly 30 s",
     {PPTAP_EP_SIEM_ALL, "2025-03-04T11:00:00Z/2025-03-04T11:00:30Z"},
     NULL,
     NULL,
     NULL},
    {"exactly 1 h",
     {PPTAP_EP_SIEM_ALL, "2025-03-04T10:00:00Z/2025-03-04T11:00:00Z"},
     NULL,
     NULL,
     NULL},
    {"ends now", {PPTAP_EP_SIEM_ALL, "PT1H/2025-03-04T12:00:00Z"}, NULL, NULL, NULL},
    {"7 days exactly", {PPTAP_EP_SIEM_ALL, "2025-02-25T12:00:00Z/PT1H"}, NULL, NULL, NULL},
    {"duration/end", {PPTAP_EP_SIEM_ALL, "PT30M/2025-03-04T11:00:00Z"}, NULL, NULL, NULL},
    {"start/duration offset",
     {PPTAP_EP_SIEM_ALL, "2025-03-04T04:00:00-0700/PT30M"},
     NULL,
     NULL,
     NULL},
    {"colon offset fraction",
     {PPTAP_EP_SIEM_ALL, "2025-03-04T11:00:00.224683+00:00/2025-03-04T11:30:00+00:00"},
     NULL,
     NULL,
     NULL},
    {"times ok", {PPTAP_EP_SIEM_ALL}, "2025-03-04T11:00:00Z", "2025-03-04T11:30:00Z", NULL},
    {"times one missing",
     {PPTAP_EP_SIEM_ALL},
     "2025-03-04T11:00:00Z",
     NULL,
     "interval start and end must both be set"},
    {"times reversed",
     {PPTAP_EP_SIEM_ALL},
     "2025-03-04T11:30:00Z",
     "2025-03-04T11:00:00Z",
     "interval end is before its start"},
    {"times too long",
     {PPTAP_EP_SIEM_ALL},
     "2025-03-04T09:00:00Z",
     "2025-03-04T11:00:00Z",
     "interval is too long (2 h): the API allows at most 1 h"},
    {"since 29",
     {PPTAP_EP_SIEM_ALL, NULL, 0, 0, 29},
     NULL,
     NULL,
     "sinceSeconds must be between 30 and 3600, not 29"},
    {"since 3601",
     {PPTAP_EP_SIEM_ALL, NULL, 0, 0, 3601},
     NULL,
     NULL,
     "sinceSeconds must be between 30 and 3600, not 3601"},
    {"since -5",
     {PPTAP_EP_SIEM_ALL, NULL, 0, 0, -5},
     NULL,
     NULL,
     "sinceSeconds must be between 30 and 3600, not -5"},
    {"since 30", {PPTAP_EP_SIEM_ALL, NULL, 0, 0, 30}, NULL, NULL, NULL},
    {"since 3600", {PPTAP_EP_SIEM_CLICKS_PERMITTED, NULL, 0, 0, 3600}, NULL, NULL, NULL},
    {"sinceTime bad",
     {PPTAP_EP_SIEM_ALL, NULL, 0, 0, 0, "yesterday"},
     NULL,
     NULL,
     "sinceTime \"yesterday\" is not an ISO 8601 date-time"},
    {"sinceTime recent",
     {PPTAP_EP_SIEM_ALL, NULL, 0, 0, 0, "2025-03-04T11:59:50Z"},
     NULL,
     NULL,
     "sinceTime 2025-03-04T11:59:50Z is less than 30 s in the past"},
    {"sinceTime old",
     {PPTAP_EP_SIEM_ALL, NULL, 0, 0, 0, "2025-03-04T10:00:00Z"},
     NULL,
     NULL,
     "sinceTime 2025-03-04T10:00:00Z is more than 1 h in the past: the API returns at most 1 h; "
     "use intervals"},
    {"sinceTime offset",
     {PPTAP_EP_SIEM_ALL, NULL, 0, 0, 0, "2025-03-04T12:30:00+01:00"},
     NULL,
     NULL,
     NULL},
    {"not siem",
     {PPTAP_EP_CAMPAIGN_IDS, NULL, 0, 0, 300},
     NULL,
     NULL,
     "endpoint campaign-ids is not a SIEM endpoint"},
    {"bad filter",
     {PPTAP_EP_SIEM_ALL, NULL, 0, 0, 300, NULL, PPTAP_FORMAT_JSON, 8},
     NULL,
     NULL,
     "unknown threatType filter bits 0x8"},
    {"bad status filter",
     {PPTAP_EP_SIEM_ALL, NULL, 0, 0, 300, NULL, PPTAP_FORMAT_JSON, 0, 16},
     NULL,
     NULL,
     "unknown threatStatus filter bits 0x10"},
};

static void test_siem_validation(void **state)
{
    (void)state;
    pptap_time_ms now = T(NOW);
    for (size_t i = 0; i < sizeof siem_cases / sizeof siem_cases[0]; i++) {
        const siem_case *c = &siem_cases[i];
        pptap_siem_query q = c->q;
        if (c->start != NULL) {
            q.start = T(c->start);
        }
        if (c->end != NULL) {
            q.end = T(c->end);
        }
        char err[PPTAP_ERRMSG_LEN] = "";
        int rc = pptap_siem_query_validate(&q, now, err);
        if (c->expect == NULL) {
            if (rc != 0) {
                fail_msg("case %s: unexpected error: %s", c->name, err);
            }
        } else {
            if (rc != PPTAP_EINVAL || strcmp(err, c->expect) != 0) {
                fail_msg("case %s: rc %d, message\n  got:  %s\n  want: %s", c->name, rc, err,
                         c->expect);
            }
        }
    }
}

/* ---- other validations ---- */

static void test_campaign_ids_validation(void **state)
{
    (void)state;
    pptap_time_ms now = T(NOW);
    static const struct {
        pptap_campaign_ids_query q;
        const char *expect;
    } cases[] = {
        {{NULL}, "an interval is required"},
        {{"2025-03-03T13:00:00Z/2025-03-04T12:00:00Z"}, NULL},
        {{"2025-03-03T12:00:00Z/2025-03-04T12:00:00Z", 0, 0, 1, 200}, NULL},
        {{"2025-03-02T12:00:00Z/2025-03-04T12:00:00Z"},
         "interval is too long (2 d): the API allows at most 1 day"},
        {{"2025-03-03T11:59:59Z/2025-03-04T12:00:00Z"},
         "interval is too long (1 d 1 s): the API allows at most 1 day"},
        {{"2025-03-04T11:00:00Z/2025-03-04T11:00:10Z"},
         "interval is too short (10 s): the API requires at least 30 s"},
        {{"2025-02-20T00:00:00Z/2025-02-20T12:00:00Z"},
         "interval start 2025-02-20T00:00:00Z is more than 7 days in the past: the API serves "
         "only the last 7 days"},
        {{"PT1H/2025-03-04T13:00:00Z"},
         "interval end 2025-03-04T13:00:00Z is not in the past (1 h ahead of now)"},
        {{"PT1H/2025-03-04T11:00:00Z", 0, 0, 0, 201}, "size must be between 1 and 200, not 201"},
        {{"PT1H/2025-03-04T11:00:00Z", 0, 0, 0, -1}, "size must be between 1 and 200, not -1"},
        {{"PT1H/2025-03-04T11:00:00Z", 0, 0, -1, 0}, "page must be 1 or more, not -1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[PPTAP_ERRMSG_LEN] = "";
        int rc = pptap_campaign_ids_query_validate(&cases[i].q, now, err);
        if (cases[i].expect == NULL) {
            if (rc != 0) {
                fail_msg("campaign case %zu: %s", i, err);
            }
        } else if (rc != PPTAP_EINVAL || strcmp(err, cases[i].expect) != 0) {
            fail_msg("campaign case %zu:\n  got:  %s\n  want: %s", i, err, cases[i].expect);
        }
    }
}

static void test_people_forensics_validation(void **state)
{
    (void)state;
    static const struct {
        pptap_endpoint ep;
        pptap_people_query q;
        const char *expect;
    } pc[] = {
        {PPTAP_EP_PEOPLE_VAP, {14}, NULL},
        {PPTAP_EP_PEOPLE_VAP, {30, 1000, 1}, NULL},
        {PPTAP_EP_PEOPLE_VAP, {90}, NULL},
        {PPTAP_EP_PEOPLE_VAP, {7}, "window must be 14, 30 or 90 days, not 7"},
        {PPTAP_EP_PEOPLE_VAP, {0}, "window must be 14, 30 or 90 days, not 0"},
        {PPTAP_EP_PEOPLE_VAP, {30, 1001}, "size must be between 1 and 1000, not 1001"},
        {PPTAP_EP_PEOPLE_TOP_CLICKERS, {30, 200}, NULL},
        {PPTAP_EP_PEOPLE_TOP_CLICKERS, {30, 201}, "size must be between 1 and 200, not 201"},
        {PPTAP_EP_PEOPLE_TOP_CLICKERS, {30, 10, -2}, "page must be 1 or more, not -2"},
        {PPTAP_EP_SIEM_ALL, {30}, "endpoint siem-all is not a People endpoint"},
    };
    for (size_t i = 0; i < sizeof pc / sizeof pc[0]; i++) {
        char err[PPTAP_ERRMSG_LEN] = "";
        int rc = pptap_people_query_validate(pc[i].ep, &pc[i].q, err);
        if (pc[i].expect == NULL) {
            assert_int_equal(rc, 0);
        } else if (rc != PPTAP_EINVAL || strcmp(err, pc[i].expect) != 0) {
            fail_msg("people case %zu:\n  got:  %s\n  want: %s", i, err, pc[i].expect);
        }
    }
    static const struct {
        pptap_forensics_query q;
        const char *expect;
    } fc[] = {
        {{"abc"}, NULL},
        {{"abc", NULL, 1}, NULL},
        {{NULL, "camp"}, NULL},
        {{"abc", "camp"}, "give either threatId or campaignId, not both"},
        {{NULL, NULL}, "threatId or campaignId is required"},
        {{"", ""}, "threatId or campaignId is required"},
        {{NULL, "camp", 1}, "includeCampaignForensics can only be used with threatId"},
    };
    for (size_t i = 0; i < sizeof fc / sizeof fc[0]; i++) {
        char err[PPTAP_ERRMSG_LEN] = "";
        int rc = pptap_forensics_query_validate(&fc[i].q, err);
        if (fc[i].expect == NULL) {
            assert_int_equal(rc, 0);
        } else if (rc != PPTAP_EINVAL || strcmp(err, fc[i].expect) != 0) {
            fail_msg("forensics case %zu:\n  got:  %s\n  want: %s", i, err, fc[i].expect);
        }
    }
}

/* ---- paths and encoding ---- */

static void test_url_encode(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"", ""},
        {"abcXYZ019-._~", "abcXYZ019-._~"},
        {"+", "%2B"},
        {"2025-03-04T12:00:00+01:00", "2025-03-04T12%3A00%3A00%2B01%3A00"},
        {"a/b c", "a%2Fb%20c"},
        {"\xc3\xa9&=?#%", "%C3%A9%26%3D%3F%23%25"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pptap_buf b = PPTAP_BUF_INIT;
        assert_int_equal(pptap_url_encode(&b, cases[i].in, strlen(cases[i].in)), 0);
        assert_string_equal(b.ptr != NULL ? b.ptr : "", cases[i].out);
        pptap_buf_dispose(&b);
    }
}

static void test_paths(void **state)
{
    (void)state;
    pptap_time_ms now = T(NOW);
    static const struct {
        pptap_siem_query q;
        const char *start, *end;
        const char *path;
    } sc[] = {
        {{PPTAP_EP_SIEM_ALL, "2025-03-04T12:00:00+01:00/PT30M"},
         NULL,
         NULL,
         "/v2/siem/all?format=json&interval=2025-03-04T12%3A00%3A00%2B01%3A00%2FPT30M"},
        {{PPTAP_EP_SIEM_ISSUES, "2025-03-04T04:00:00-0700/PT30M"},
         NULL,
         NULL,
         "/v2/siem/issues?format=json&interval=2025-03-04T04%3A00%3A00-0700%2FPT30M"},
        {{PPTAP_EP_SIEM_CLICKS_PERMITTED, NULL, 0, 0, 300},
         NULL,
         NULL,
         "/v2/siem/clicks/permitted?format=json&sinceSeconds=300"},
        {{PPTAP_EP_SIEM_CLICKS_BLOCKED, NULL, 0, 0, 0, "2025-03-04T11:30:00+00:00"},
         NULL,
         NULL,
         "/v2/siem/clicks/blocked?format=json&sinceTime=2025-03-04T11%3A30%3A00%2B00%3A00"},
        {{PPTAP_EP_SIEM_MESSAGES_BLOCKED, NULL, 0, 0, 60, NULL, PPTAP_FORMAT_SYSLOG},
         NULL,
         NULL,
         "/v2/siem/messages/blocked?format=syslog&sinceSeconds=60"},
        {{PPTAP_EP_SIEM_MESSAGES_DELIVERED, NULL, 0, 0, 60, NULL, PPTAP_FORMAT_JSON,
          PPTAP_THREAT_TYPE_URL | PPTAP_THREAT_TYPE_ATTACHMENT | PPTAP_THREAT_TYPE_MESSAGE_TEXT,
          PPTAP_THREAT_STATUS_ACTIVE | PPTAP_THREAT_STATUS_FALSE_POSITIVE},
         NULL,
         NULL,
         "/v2/siem/messages/delivered?format=json&sinceSeconds=60&threatType=url&threatType="
         "attachment&threatType=messageText&threatStatus=active&threatStatus=falsePositive"},
        {{PPTAP_EP_SIEM_ALL},
         "2025-03-04T11:00:00Z",
         "2025-03-04T11:30:00Z",
         "/v2/siem/all?format=json&interval=2025-03-04T11%3A00%3A00Z%2F2025-03-04T11%3A30%3A00Z"},
        {{PPTAP_EP_SIEM_ALL},
         "2025-03-04T11:00:00.250Z",
         "2025-03-04T11:30:00Z",
         "/v2/siem/all?format=json&interval=2025-03-04T11%3A00%3A00.250Z%2F2025-03-04T11%3A30%3A00."
         "000Z"},
    };
    for (size_t i = 0; i < sizeof sc / sizeof sc[0]; i++) {
        pptap_siem_query q = sc[i].q;
        if (sc[i].start != NULL) {
            q.start = T(sc[i].start);
            q.end = T(sc[i].end);
        }
        pptap_buf b = PPTAP_BUF_INIT;
        char err[PPTAP_ERRMSG_LEN] = "";
        int rc = pptap_tap__siem_path(&b, &q, now, err);
        if (rc != 0) {
            fail_msg("siem path %zu: %s", i, err);
        }
        assert_string_equal(b.ptr, sc[i].path);
        pptap_buf_dispose(&b);
    }

    pptap_buf b = PPTAP_BUF_INIT;
    char err[PPTAP_ERRMSG_LEN];
    pptap_campaign_ids_query cq = {"2025-03-03T12:00:00Z/2025-03-04T12:00:00Z", 0, 0, 2, 200};
    assert_int_equal(pptap_tap__campaign_ids_path(&b, &cq, now, err), 0);
    assert_string_equal(b.ptr, "/v2/campaign/ids?interval=2025-03-03T12%3A00%3A00Z%2F2025-03-"
                               "04T12%3A00%3A00Z&size=200&page=2");
    pptap_buf_dispose(&b);

    pptap_forensics_query fq = {"a+b", NULL, 1};
    assert_int_equal(pptap_tap__forensics_path(&b, &fq, err), 0);
    assert_string_equal(b.ptr, "/v2/forensics?threatId=a%2Bb&includeCampaignForensics=true");
    pptap_buf_dispose(&b);
    pptap_forensics_query fq2 = {NULL, "c1"};
    assert_int_equal(pptap_tap__forensics_path(&b, &fq2, err), 0);
    assert_string_equal(b.ptr, "/v2/forensics?campaignId=c1");
    pptap_buf_dispose(&b);

    assert_int_equal(pptap_tap__id_path(&b, "/v2/campaign/", "campaign id", "a/b c", err), 0);
    assert_string_equal(b.ptr, "/v2/campaign/a%2Fb%20c");
    pptap_buf_dispose(&b);
    assert_int_equal(pptap_tap__id_path(&b, "/v2/threat/summary/", "threat id", "", err),
                     PPTAP_EINVAL);
    assert_string_equal(err, "threat id is required");
    pptap_buf_dispose(&b);

    pptap_people_query pq = {30, 10, 2};
    assert_int_equal(pptap_tap__people_path(&b, PPTAP_EP_PEOPLE_VAP, &pq, err), 0);
    assert_string_equal(b.ptr, "/v2/people/vap?window=30&size=10&page=2");
    pptap_buf_dispose(&b);
    pptap_people_query pq2 = {90};
    assert_int_equal(pptap_tap__people_path(&b, PPTAP_EP_PEOPLE_TOP_CLICKERS, &pq2, err), 0);
    assert_string_equal(b.ptr, "/v2/people/top-clickers?window=90");
    pptap_buf_dispose(&b);
}

/* ---- pools ---- */

static void test_pools(void **state)
{
    (void)state;
    static const struct {
        pptap_endpoint ep;
        pptap_pool pool;
    } ep[] = {
        {PPTAP_EP_SIEM_ALL, PPTAP_POOL_SIEM_OTHER},
        {PPTAP_EP_SIEM_ISSUES, PPTAP_POOL_SIEM_OTHER},
        {PPTAP_EP_SIEM_CLICKS_BLOCKED, PPTAP_POOL_SIEM_OTHER},
        {PPTAP_EP_SIEM_CLICKS_PERMITTED, PPTAP_POOL_SIEM_CLICKS_PERMITTED},
        {PPTAP_EP_SIEM_MESSAGES_BLOCKED, PPTAP_POOL_SIEM_OTHER},
        {PPTAP_EP_SIEM_MESSAGES_DELIVERED, PPTAP_POOL_SIEM_OTHER},
        {PPTAP_EP_CAMPAIGN_IDS, PPTAP_POOL_CAMPAIGN_IDS},
        {PPTAP_EP_CAMPAIGN, PPTAP_POOL_CAMPAIGN},
        {PPTAP_EP_FORENSICS, PPTAP_POOL_FORENSICS},
        {PPTAP_EP_THREAT_SUMMARY, PPTAP_POOL_NONE},
        {PPTAP_EP_PEOPLE_VAP, PPTAP_POOL_VAP},
        {PPTAP_EP_PEOPLE_TOP_CLICKERS, PPTAP_POOL_TOP_CLICKERS},
        {PPTAP_EP_URL_DECODE, PPTAP_POOL_URL_DECODE},
    };
    assert_int_equal(sizeof ep / sizeof ep[0], PPTAP_EP_COUNT_);
    for (size_t i = 0; i < sizeof ep / sizeof ep[0]; i++) {
        assert_int_equal(pptap_endpoint_pool(ep[i].ep), ep[i].pool);
    }
    static const struct {
        const char *path;
        pptap_pool pool;
    } pp[] = {
        {"/v2/siem/all?format=json", PPTAP_POOL_SIEM_OTHER},
        {"/v2/siem/clicks/permitted", PPTAP_POOL_SIEM_CLICKS_PERMITTED},
        {"/v2/siem/clicks/permitted/", PPTAP_POOL_SIEM_CLICKS_PERMITTED},
        {"/v2/siem/issues", PPTAP_POOL_SIEM_OTHER},
        {"/v2/campaign/ids?interval=x", PPTAP_POOL_CAMPAIGN_IDS},
        {"/v2/campaign/f3ff0874", PPTAP_POOL_CAMPAIGN},
        {"/v2/campaign/", PPTAP_POOL_NONE},
        {"/v2/forensics?threatId=x", PPTAP_POOL_FORENSICS},
        {"/v2/threat/summary/abc", PPTAP_POOL_NONE},
        {"/v2/people/vap?window=30", PPTAP_POOL_VAP},
        {"/v2/people/top-clickers", PPTAP_POOL_TOP_CLICKERS},
        {"/v2/url/decode", PPTAP_POOL_URL_DECODE},
        {"/nope", PPTAP_POOL_NONE},
    };
    for (size_t i = 0; i < sizeof pp / sizeof pp[0]; i++) {
        if (pptap_path_pool(pp[i].path) != pp[i].pool) {
            fail_msg("path %s: pool %d, want %d", pp[i].path, pptap_path_pool(pp[i].path),
                     pp[i].pool);
        }
    }
    static const struct {
        pptap_pool pool;
        const char *name;
        int limit;
    } pn[] = {
        {PPTAP_POOL_NONE, "none", 0},
        {PPTAP_POOL_SIEM_CLICKS_PERMITTED, "siem-clicks-permitted", 1800},
        {PPTAP_POOL_SIEM_OTHER, "siem-other", 1800},
        {PPTAP_POOL_CAMPAIGN_IDS, "campaign-ids", 50},
        {PPTAP_POOL_CAMPAIGN, "campaign", 0},
        {PPTAP_POOL_FORENSICS, "forensics", 0},
        {PPTAP_POOL_VAP, "vap", 50},
        {PPTAP_POOL_TOP_CLICKERS, "top-clickers", 0},
        {PPTAP_POOL_URL_DECODE, "url-decode", 1800},
    };
    assert_int_equal(sizeof pn / sizeof pn[0], PPTAP_POOL_COUNT_);
    for (size_t i = 0; i < sizeof pn / sizeof pn[0]; i++) {
        assert_string_equal(pptap_pool_name(pn[i].pool), pn[i].name);
        assert_int_equal(pptap_pool_limit(pn[i].pool), pn[i].limit);
    }
}

/* ---- status mapping and backoff ---- */

static void test_status_mapping(void **state)
{
    (void)state;
    static const struct {
        long status;
        int err;
        int retry;
    } cases[] = {
        {200, 0, 0},
        {204, 0, 0},
        {400, PPTAP_EINVAL, 0},
        {401, PPTAP_EAUTH, 0},
        {403, PPTAP_EAUTH, 0},
        {404, PPTAP_ENOTFOUND, 0},
        {405, PPTAP_EINVAL, 0},
        {408, PPTAP_ETIMEOUT, 1},
        {429, PPTAP_ERATELIMIT, 0},
        {500, PPTAP_ESERVER, 1},
        {502, PPTAP_ESERVER, 1},
        {503, PPTAP_ESERVER, 1},
        {504, PPTAP_ESERVER, 1},
        {301, PPTAP_EPROTO, 0},
        {0, PPTAP_EPROTO, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(pptap_http_status_error(cases[i].status), cases[i].err);
        assert_int_equal(pptap_http_status_retryable(cases[i].status), cases[i].retry);
    }
}

static void test_backoff(void **state)
{
    (void)state;
    /* exact values: ceiling = min(cap, base * 2^(retry-1)), value = rnd % (ceiling + 1) */
    assert_int_equal(pptap_backoff_delay_ms(1, 1000, 30000, 1000), 1000);
    assert_int_equal(pptap_backoff_delay_ms(1, 1000, 30000, 1001), 0);
    assert_int_equal(pptap_backoff_delay_ms(2, 1000, 30000, 2000), 2000);
    assert_int_equal(pptap_backoff_delay_ms(3, 1000, 30000, 4000), 4000);
    assert_int_equal(pptap_backoff_delay_ms(6, 1000, 30000, 30000), 30000);
    assert_int_equal(pptap_backoff_delay_ms(6, 1000, 30000, 30001), 0);
    assert_int_equal(pptap_backoff_delay_ms(0, 1000, 30000, 5), 5);
    assert_int_equal(pptap_backoff_delay_ms(1, 0, 30000, 5), 0);

    /* bounded and capped for every retry, even absurd ones; jitter spreads values */
    uint64_t x = 88172645463325252ULL;
    for (int retry = 1; retry <= 200; retry++) {
        int64_t ceiling = 1000;
        for (int k = 1; k < retry && ceiling < 30000; k++) {
            ceiling *= 2;
        }
        if (ceiling > 30000) {
            ceiling = 30000;
        }
        int64_t lo = INT64_MAX, hi = -1;
        for (int k = 0; k < 200; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            int64_t d = pptap_backoff_delay_ms(retry, 1000, 30000, x);
            assert_true(d >= 0);
            assert_true(d <= ceiling);
            lo = d < lo ? d : lo;
            hi = d > hi ? d : hi;
        }
        /* full jitter: values cover most of [0, ceiling] */
        assert_true(lo < ceiling / 4);
        assert_true(hi > ceiling * 3 / 4);
    }
    assert_true(pptap_backoff_delay_ms(1, 1000, 30000, UINT64_MAX) <= 1000);
    assert_true(pptap_backoff_delay_ms(1000, INT64_MAX / 2, INT64_MAX, UINT64_MAX) >= 0);
}

static void test_enum_strings(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        unsigned type, status;
    } cases[] = {
        {"url", PPTAP_THREAT_TYPE_URL, 0},
        {"URL", PPTAP_THREAT_TYPE_URL, 0},
        {"ATTACHMENT", PPTAP_THREAT_TYPE_ATTACHMENT, 0},
        {"messageText", PPTAP_THREAT_TYPE_MESSAGE_TEXT, 0},
        {"message", PPTAP_THREAT_TYPE_MESSAGE_TEXT, 0},
        {"active", 0, PPTAP_THREAT_STATUS_ACTIVE},
        {"Cleared", 0, PPTAP_THREAT_STATUS_CLEARED},
        {"falsePositive", 0, PPTAP_THREAT_STATUS_FALSE_POSITIVE},
        {"falsepositive", 0, PPTAP_THREAT_STATUS_FALSE_POSITIVE},
        {"expired", 0, 0},
        {"", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(pptap_threat_type_bit(cases[i].s), cases[i].type);
        assert_int_equal(pptap_threat_status_bit(cases[i].s), cases[i].status);
    }
    assert_int_equal(pptap_threat_type_bit(NULL), 0);
    assert_int_equal(pptap_threat_status_bit(NULL), 0);
}

static void test_base64(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"user:pass", "dXNlcjpwYXNz"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pptap_buf b = PPTAP_BUF_INIT;
        assert_int_equal(pptap__base64(&b, (const unsigned char *)cases[i].in, strlen(cases[i].in)),
                         0);
        assert_string_equal(b.ptr != NULL ? b.ptr : "", cases[i].out);
        pptap_buf_dispose(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_siem_validation),
        cmocka_unit_test(test_campaign_ids_validation),
        cmocka_unit_test(test_people_forensics_validation),
        cmocka_unit_test(test_url_encode),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_pools),
        cmocka_unit_test(test_status_mapping),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_enum_strings),
        cmocka_unit_test(test_base64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
