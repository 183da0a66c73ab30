/*
 * Integration tests of pptap-sim: each group starts the simulator on port 0
 * (reading its URL from the first line of its stdout) with a frozen clock, and
 * checks answers with libcurl and jansson: auth, the window rules' 400 texts,
 * 404s, JSON and syslog bodies, the event model's quirks, throttle pools, late
 * indexing against the ground truth, the URL decoder, faults and TLS.
 *
 * Usage: test_sim PPTAP_SIM MANPAGE CERT KEY
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

static const char *sim_path, *man_path, *cert_path, *key_path;

#define AUTH "pptap-sim:test-secret"
#define NOW "2026-01-10T12:00:00Z"

typedef struct {
    pid_t pid;
    char url[128];
} sim;

/* Starts pptap-sim with the given extra arguments (NULL-terminated). */
static int sim_start(sim *s, const char *first, ...)
{
    const char *argv[64];
    int n = 0;
    argv[n++] = sim_path;
    argv[n++] = "--port";
    argv[n++] = "0";
    argv[n++] = "--start";
    argv[n++] = NOW;
    argv[n++] = "--speed";
    argv[n++] = "0";
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && n < 62; a = va_arg(ap, const char *)) {
        argv[n++] = a;
    }
    va_end(ap);
    argv[n] = NULL;
    int fd[2];
    if (pipe(fd) != 0) {
        return -1;
    }
    s->pid = fork();
    if (s->pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        setenv("PPTAP_SIM_SECRET", "test-secret", 1);
        execv(sim_path, (char *const *)argv);
        _exit(127);
    }
    close(fd[1]);
    FILE *f = fdopen(fd[0], "r");
    if (f == NULL || fgets(s->url, sizeof s->url, f) == NULL) {
        if (f) {
            fclose(f);
        }
        return -1;
    }
    fclose(f);
    s->url[strcspn(s->url, "\n")] = '\0';
    return 0;
}

/* Stops it with SIGTERM; returns its exit status. */
static int sim_stop(sim *s)
{
    int st = 0;
    kill(s->pid, SIGTERM);
    waitpid(s->pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

typedef struct {
    long status;
    CURLcode rc;
    char *body;
    size_t len;
    char ctype[128];
    char www_auth[128];
} resp;

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    resp *r = ud;
    char *nb = realloc(r->body, r->len + sz * n + 1);
    if (nb == NULL) {
        return 0;
    }
    r->body = nb;
    memcpy(r->body + r->len, p, sz * n);
    r->len += sz * n;
    r->body[r->len] = '\0';
    return sz * n;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    resp *r = ud;
    size_t len = sz * n;
    if (len > 14 && strncasecmp(p, "Content-Type: ", 14) == 0) {
        snprintf(r->ctype, sizeof r->ctype, "%.*s", (int)(len - 16), p + 14);
    }
    if (len > 18 && strncasecmp(p, "WWW-Authenticate: ", 18) == 0) {
        snprintf(r->www_auth, sizeof r->www_auth, "%.*s", (int)(len - 20), p + 18);
    }
    return len;
}

/* Performs a request; `auth` NULL sends no credentials; `cainfo` enables TLS checks. */
static void http(resp *r, const sim *s, const char *method, const char *path, const char *body,
                 const char *auth, const char *cainfo)
{
    char url[2048];
    memset(r, 0, sizeof *r);
    snprintf(url, sizeof url, "%s%s", s->url, path);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    if (auth) {
        curl_easy_setopt(c, CURLOPT_USERPWD, auth);
    }
    if (cainfo) {
        curl_easy_setopt(c, CURLOPT_CAINFO, cainfo);
    }
    struct curl_slist *h = NULL;
    if (body) {
        h = curl_slist_append(h, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    }
    if (method && strcmp(method, "POST") == 0 && !body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    }
    r->rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (r->body == NULL) {
        r->body = calloc(1, 1);
    }
}

static void resp_free(resp *r)
{
    free(r->body);
    r->body = NULL;
}

static json_t *get_json(const sim *s, const char *path)
{
    resp r;
    http(&r, s, "GET", path, NULL, AUTH, NULL);
    assert_int_equal(r.status, 200);
    json_error_t err;
    json_t *j = json_loads(r.body, 0, &err);
    if (j == NULL) {
        fail_msg("bad JSON from %s: %s", path, err.text);
    }
    resp_free(&r);
    return j;
}

static void expect(const sim *s, const char *path, long status, const char *text)
{
    resp r;
    http(&r, s, "GET", path, NULL, AUTH, NULL);
    if (r.status != status || (text && strcmp(r.body, text) != 0)) {
        fail_msg("%s: want %ld '%s', got %ld '%s'", path, status, text ? text : "*", r.status,
                 r.body);
    }
    resp_free(&r);
}

/* ---------------------------------------------------------------------- */

static sim S; /* the default simulator of most tests */

static int setup_default(void **state)
{
    (void)state;
    return sim_start(&S, "--rate", "3000", "--seed", "7", NULL);
}

static int teardown_default(void **state)
{
    (void)state;
    return sim_stop(&S) == 0 ? 0 : -1;
}

static void test_url_line(void **state)
{
    (void)state;
    assert_true(strncmp(S.url, "http://127.0.0.1:", 17) == 0);
    assert_true(strtol(S.url + 17, NULL, 10) > 0);
}

static void test_auth(void **state)
{
    (void)state;
    resp r;
    http(&r, &S, "GET", "/v2/people/vap?window=14", NULL, NULL, NULL);
    assert_int_equal(r.status, 401);
    assert_string_equal(r.www_auth, "Basic realm=\"tap-api\"");
    resp_free(&r);
    http(&r, &S, "GET", "/v2/people/vap?window=14", NULL, "pptap-sim:wrong", NULL);
    assert_int_equal(r.status, 401);
    resp_free(&r);
    http(&r, &S, "GET", "/v2/people/vap?window=14", NULL, AUTH, NULL);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    /* the request log shows whether a header was present, never the secret */
    json_t *log = get_json(&S, "/admin/requests?last=3");
    json_t *reqs = json_object_get(log, "requests");
    assert_int_equal(json_array_size(reqs), 3);
    assert_false(json_is_true(json_object_get(json_array_get(reqs, 0), "authorization")));
    assert_string_equal(json_string_value(json_object_get(json_array_get(reqs, 1), "auth")),
                        "invalid");
    assert_string_equal(json_string_value(json_object_get(json_array_get(reqs, 2), "auth")),
                        "valid");
    char *dump = json_dumps(log, 0);
    assert_null(strstr(dump, "test-secret"));
    free(dump);
    json_decref(log);
}

static void test_window_rules(void **state)
{
    (void)state;
    const char *p = "/v2/siem/clicks/blocked?format=json&";
    char path[512];
    struct {
        const char *q;
        const char *text;
    } cases[] = {
        {"interval=2026-01-02T12:00:00Z/2026-01-02T12:30:00Z",
         "The requested start time is too far into the past. Requests for information up to "
         "7.00d are accepted"},
        {"interval=2026-01-10T10:00:00Z/2026-01-10T10:00:29Z",
         "The requested interval is too short. Requests must be for at least 30.00s of data"},
        {"sinceSeconds=29",
         "The requested interval is too short. Requests must be for at least 30.00s of data"},
        {"interval=2026-01-10T11:45:00Z/PT30M", "The requested interval is still current."},
        {"interval=2026-01-10T11:00:00Z/2026-01-10T10:00:00Z", ""},
        {"interval=PT61M/2026-01-10T11:00:00Z",
         "The requested interval is too long. Requests must be for at most 1.00h of data"},
        {"sinceSeconds=3601",
         "The requested interval is too long. Requests must be for at most 1.00h of data"},
        {"sinceSeconds=60&sinceTime=2026-01-10T11:30:00Z",
         "Exactly one of the interval, sinceSeconds or sinceTime parameters is required"},
        {"threatStatus=active",
         "Exactly one of the interval, sinceSeconds or sinceTime parameters is required"},
        /* a raw '+' is a space: the offset must be sent as %2B */
        {"sinceTime=2026-01-10T11:30:00+00:00",
         "The sinceTime parameter is not a valid ISO 8601 date-time"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(path, sizeof path, "%s%s", p, cases[i].q);
        expect(&S, path, 400, cases[i].text);
    }
    expect(&S, "/v2/siem/clicks/blocked?format=json&sinceTime=2026-01-10T11:30:00%2B00:00", 200,
           NULL);
    expect(&S, "/v2/siem/clicks/blocked?format=xml&sinceSeconds=60", 400,
           "The format parameter must be json or syslog");
}

static void test_not_found(void **state)
{
    (void)state;
    expect(&S, "/v2/siem/everything?sinceSeconds=60", 404, "");
    expect(&S, "/v3/siem/all", 404, "");
    expect(&S, "/v2/campaign/aa9b3d62-4d72-4ebc-8f39-3da3833e7038", 404,
           "The campaign ID or threat ID does not exist");
    expect(&S, "/v2/forensics?threatId=0123456789abcdef", 404, "threatId not found");
    expect(&S, "/v2/threat/summary/nothing", 404, "The campaign ID or threat ID does not exist");
    /* no campaign can exist after the simulated clock */
    expect(&S, "/v2/campaign/ids?interval=2026-02-01T00:00:00Z/2026-02-02T00:00:00Z", 404, "");
}

/* Checks the quirks of every event of a /v2/siem/all body; returns the event count. */
static size_t check_events(json_t *d)
{
    size_t total = 0, shared_guid = 0;
    json_t *md = json_object_get(d, "messagesDelivered");
    json_t *cp = json_object_get(d, "clicksPermitted");
    assert_true(json_is_array(md) && json_is_array(cp));
    assert_true(json_is_array(json_object_get(d, "messagesBlocked")));
    assert_true(json_is_array(json_object_get(d, "clicksBlocked")));
    size_t i, j;
    json_t *e;
    json_array_foreach(md, i, e)
    {
        json_t *rc = json_object_get(e, "recipient");
        assert_true(json_is_array(rc) && json_array_size(rc) == 1);
        assert_non_null(json_object_get(e, "cluster"));
        assert_null(json_object_get(e, "clusterId"));
        json_t *t = json_array_get(json_object_get(e, "threatsInfoMap"), 0);
        assert_non_null(json_object_get(t, "threatID"));
        assert_non_null(json_object_get(t, "threatUrl"));
        assert_true(json_object_get(t, "campaignID") != NULL);
        assert_null(json_object_get(t, "campaignId"));
        if (json_is_null(json_object_get(e, "QID"))) {
            /* late condemnation */
            assert_true(json_is_null(json_object_get(e, "messageParts")));
            assert_string_equal(json_string_value(json_object_get(e, "sender")), "");
            assert_int_equal(json_integer_value(json_object_get(e, "messageSize")), 0);
        } else {
            assert_true(json_is_array(json_object_get(e, "fromAddress")));
        }
        for (j = i + 1; j < json_array_size(md) && j < i + 4; j++) {
            json_t *f = json_array_get(md, j);
            if (strcmp(json_string_value(json_object_get(e, "GUID")),
                       json_string_value(json_object_get(f, "GUID"))) == 0) {
                shared_guid++;
                assert_string_not_equal(json_string_value(json_object_get(e, "id")),
                                        json_string_value(json_object_get(f, "id")));
            }
        }
        total++;
    }
    assert_true(shared_guid > 0);
    json_array_foreach(cp, i, e)
    {
        assert_true(json_is_string(json_object_get(e, "recipient")));
        assert_non_null(json_object_get(e, "threatURL"));
        assert_null(json_object_get(e, "threatUrl"));
        assert_null(json_object_get(e, "campaignID"));
        total++;
    }
    return total + json_array_size(json_object_get(d, "messagesBlocked")) +
           json_array_size(json_object_get(d, "clicksBlocked"));
}

static void test_json_body(void **state)
{
    (void)state;
    resp r;
    http(&r, &S, "GET",
         "/v2/siem/clicks/blocked?format=JSON&interval=2026-01-10T10:00:00Z/2026-01-10T10:05:00Z",
         NULL, AUTH, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.ctype, "application/json");
    const char *head = "{\"queryEndTime\" : \"2026-01-10T10:05:00Z\", \"clicksBlocked\" : [";
    assert_true(strncmp(r.body, head, strlen(head)) == 0);
    resp_free(&r);

    json_t *d =
        get_json(&S, "/v2/siem/all?format=json&interval=2026-01-10T10:00:00Z/2026-01-10T11:00:00Z");
    assert_string_equal(json_string_value(json_object_get(d, "queryEndTime")),
                        "2026-01-10T11:00:00Z");
    size_t n = check_events(d);
    assert_in_range(n, 2500, 3100); /* 3000 events/h minus falsePositive-only ones */
    json_decref(d);

    /* since* windows end on the (rounded) minute of the simulated clock */
    d = get_json(&S, "/v2/siem/issues?format=json&sinceSeconds=600");
    assert_string_equal(json_string_value(json_object_get(d, "queryEndTime")), NOW);
    assert_int_equal(json_object_size(d), 3);
    assert_null(json_object_get(d, "messagesBlocked"));
    json_decref(d);
}

static void test_filters(void **state)
{
    (void)state;
    json_t *d = get_json(&S, "/v2/siem/messages/delivered?format=json&interval=2026-01-10T10:00:"
                             "00Z/2026-01-10T11:00:00Z&threatType=attachment,messageText"
                             "&threatStatus=falsePositive&threatStatus=cleared");
    size_t i, j;
    json_t *e, *t;
    json_t *md = json_object_get(d, "messagesDelivered");
    assert_true(json_array_size(md) > 0);
    json_array_foreach(md, i, e)
    {
        int ok = 0;
        json_array_foreach(json_object_get(e, "threatsInfoMap"), j, t)
        {
            const char *ty = json_string_value(json_object_get(t, "threatType"));
            const char *st = json_string_value(json_object_get(t, "threatStatus"));
            ok |= strcmp(ty, "url") != 0 && strcmp(st, "active") != 0;
        }
        assert_true(ok);
    }
    json_decref(d);
    expect(&S, "/v2/siem/all?format=json&sinceSeconds=60&threatType=virus", 400,
           "The threatType parameter must be url, attachment or messageText");
}

static void test_syslog(void **state)
{
    (void)state;
    resp r;
    http(&r, &S, "GET", "/v2/siem/clicks/permitted?interval=2026-01-10T10:00:00Z/PT1H", NULL, AUTH,
         NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.ctype, "text/plain;charset=UTF-8");
    assert_true(strncmp(r.body, "2026-01-10T10:", 14) == 0);
    assert_non_null(strstr(r.body, " tap-api-v2.proofpoint.com tap: type=clicksPermitted url=\""));
    assert_true(r.body[r.len - 1] == '\n');
    resp_free(&r);
    /* nothing matches: 204 with an empty body */
    http(&r, &S, "GET",
         "/v2/siem/clicks/permitted?interval=2026-01-10T10:00:00Z/PT1H&threatType=messageText",
         NULL, AUTH, NULL);
    assert_int_equal(r.status, 204);
    assert_int_equal(r.len, 0);
    resp_free(&r);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Late indexing: a window returns exactly the truth's visible events, and all
 * of them once the clock passed the late-indexing horizon. */
static void test_late_indexing(void **state)
{
    (void)state;
    const char *iv = "2026-01-10T11:40:00Z/2026-01-10T11:50:00Z";
    char path[256];
    for (int round = 0; round < 2; round++) {
        snprintf(path, sizeof path, "/admin/truth?interval=%s", iv);
        resp r;
        http(&r, &S, "GET", path, NULL, NULL, NULL);
        assert_int_equal(r.status, 200);
        char *want[4096];
        size_t nwant = 0, ntruth = 0, nvisible = 0;
        char *next = r.body;
        for (char *line = next; *line; line = next) {
            next = strchr(line, '\n');
            if (next == NULL) {
                next = line + strlen(line);
            } else {
                *next++ = '\0';
            }
            json_t *t = json_loads(line, 0, NULL);
            assert_non_null(t);
            ntruth++;
            int vis = json_is_true(json_object_get(t, "visibleNow"));
            nvisible += vis;
            int st = 0;
            size_t k;
            json_t *th;
            json_array_foreach(json_object_get(t, "threats"), k, th)
            {
                st |= strcmp(json_string_value(json_object_get(th, "threatStatus")),
                             "falsePositive") != 0;
            }
            if (vis && st && nwant < 4096) {
                want[nwant++] = strdup(json_string_value(json_object_get(t, "id")));
            }
            json_decref(t);
        }
        resp_free(&r);
        assert_in_range(ntruth, 400, 600); /* 3000 events/h for 10 minutes */
        if (round == 0) {
            assert_true(nvisible < ntruth); /* some are not indexed yet */
        } else {
            assert_int_equal(nvisible, ntruth);
        }
        snprintf(path, sizeof path, "/v2/siem/all?format=json&interval=%s", iv);
        json_t *d = get_json(&S, path);
        char *got[4096];
        size_t ngot = 0;
        const char *key;
        json_t *arr;
        json_object_foreach(d, key, arr)
        {
            size_t k;
            json_t *e;
            json_array_foreach(arr, k, e)
            {
                got[ngot++] = strdup(json_string_value(json_object_get(e, "id")));
            }
        }
        json_decref(d);
        assert_int_equal(ngot, nwant);
        qsort(want, nwant, sizeof *want, cmp_str);
        qsort(got, ngot, sizeof *got, cmp_str);
        for (size_t k = 0; k < ngot; k++) {
            assert_string_equal(got[k], want[k]);
            free(got[k]);
            free(want[k]);
        }
        /* move past the 30-minute horizon */
        http(&r, &S, "POST", "/admin/clock?advance=31m", NULL, NULL, NULL);
        assert_int_equal(r.status, 200);
        resp_free(&r);
    }
    resp r;
    http(&r, &S, "POST", "/admin/clock?set=" NOW, NULL, NULL, NULL);
    resp_free(&r);
}

static void test_pools(void **state)
{
    (void)state;
    resp r;
    http(&r, &S, "POST", "/admin/pools?reset=1&siem=3&vap=1", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    const char *q = "/v2/siem/messages/blocked?format=json&sinceSeconds=60";
    for (int i = 0; i < 3; i++) {
        expect(&S, q, 200, NULL);
    }
    const char *t429 =
        "The user has made too many requests over the past 24 hours and has been throttled.";
    expect(&S, q, 429, t429);
    expect(&S, "/v2/siem/all?format=json&sinceSeconds=60", 429, t429);
    /* clicks/permitted has its own pool; the threat summary none */
    expect(&S, "/v2/siem/clicks/permitted?format=json&sinceSeconds=60", 200, NULL);
    expect(&S, "/v2/people/vap?window=14", 200, NULL);
    expect(&S, "/v2/people/vap?window=14", 429, t429);
    json_t *p = get_json(&S, "/admin/pools");
    json_t *siem = json_object_get(p, "siem");
    assert_int_equal(json_integer_value(json_object_get(siem, "used24h")), 3);
    assert_int_equal(json_integer_value(json_object_get(siem, "throttled")), 2);
    assert_string_equal(json_string_value(json_object_get(siem, "freeAt")), "2026-01-11T12:00:00Z");
    json_decref(p);
    /* a rolling 24 h: free again a day later */
    http(&r, &S, "POST", "/admin/clock?advance=24h1s", NULL, NULL, NULL);
    resp_free(&r);
    expect(&S, q, 200, NULL);
    http(&r, &S, "POST", "/admin/clock?set=" NOW, NULL, NULL, NULL);
    resp_free(&r);
    http(&r, &S, "POST", "/admin/pools?reset=1&siem=1800&vap=50", NULL, NULL, NULL);
    resp_free(&r);
}

static void test_campaign_forensics_threat(void **state)
{
    (void)state;
    json_t *ids =
        get_json(&S, "/v2/campaign/ids?interval=2026-01-09T00:00:00Z/2026-01-10T00:00:00Z");
    json_t *list = json_object_get(ids, "campaigns");
    assert_true(json_array_size(list) >= 3);
    char path[256];
    snprintf(path, sizeof path, "/v2/campaign/%s",
             json_string_value(json_object_get(json_array_get(list, 0), "id")));
    json_t *c = get_json(&S, path);
    assert_string_equal(json_string_value(json_object_get(c, "id")),
                        json_string_value(json_object_get(json_array_get(list, 0), "id")));
    json_t *members = json_object_get(c, "campaignMembers");
    assert_true(json_array_size(members) > 0);
    const char *tid = json_string_value(json_object_get(json_array_get(members, 0), "id"));
    snprintf(path, sizeof path, "/v2/forensics?threatId=%s&includeCampaignForensics=true", tid);
    json_t *f = get_json(&S, path);
    json_t *reports = json_object_get(f, "reports");
    assert_true(json_array_size(reports) >= 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(reports, 0), "scope")),
                        "THREAT");
    assert_string_equal(json_string_value(json_object_get(json_array_get(reports, 1), "scope")),
                        "CAMPAIGN");
    json_decref(f);
    snprintf(path, sizeof path, "/v2/threat/summary/%s", tid);
    json_t *t = get_json(&S, path);
    assert_string_equal(json_string_value(json_object_get(t, "id")), tid);
    assert_true(json_is_integer(json_object_get(t, "severityScore")));
    json_decref(t);
    snprintf(path, sizeof path, "/v2/forensics?threatId=%s&campaignId=x", tid);
    expect(&S, path, 400, "Exactly one of the threatId or campaignId parameters is required");
    json_decref(c);
    json_decref(ids);
    expect(&S, "/v2/campaign/ids?interval=2026-01-08T00:00:00Z/2026-01-10T00:00:00Z", 400,
           "The requested interval is too long. Requests must be for at most 1.00d of data");
}

static void test_people(void **state)
{
    (void)state;
    json_t *v = get_json(&S, "/v2/people/vap?window=30&size=2");
    assert_string_equal(json_string_value(json_object_get(v, "interval")),
                        "2025-12-11T12:00:00Z/2026-01-10T12:00:00Z");
    assert_int_equal(json_array_size(json_object_get(v, "users")), 2);
    json_decref(v);
    v = get_json(&S, "/v2/people/top-clickers?window=90&size=200&page=1000");
    assert_int_equal(json_array_size(json_object_get(v, "users")), 0);
    assert_true(json_integer_value(json_object_get(v, "totalTopClickers")) > 0);
    json_decref(v);
    expect(&S, "/v2/people/vap?window=7", 400,
           "The window parameter is required and must be 14, 30 or 90");
    expect(&S, "/v2/people/top-clickers?window=14&size=201", 400,
           "The size parameter must be an integer between 1 and 200");
}

static void test_decode(void **state)
{
    (void)state;
    const char *body =
        "{\"urls\": [\"https://urldefense.proofpoint.com/v2/url?u=http-3A__www.example.com&d="
        "DwMFAg&c=euGZstcaTDllvimEN8b7jXrwqOf-v5A_CdpgnVfiiMM&r=qz5Nye49FfyB5hGQyu28CmCl4j-JuT-"
        "5fRrqkD5GgOM&m=QyWbhzT6tTSmG0PkgURbBDFXWsffEz6VJtOFlHPGs5A&s=rK9Hy_NPWtw6vwc7yG4zoBSWS_"
        "nOtkzg4pbYpJGfFb0&e=\", \"invalid_url\"]}";
    for (int authed = 0; authed < 2; authed++) {
        resp r;
        http(&r, &S, "POST", "/v2/url/decode", body, authed ? AUTH : NULL, NULL);
        assert_int_equal(r.status, 200);
        json_t *d = json_loads(r.body, 0, NULL);
        assert_non_null(d);
        json_t *u0 = json_array_get(json_object_get(d, "urls"), 0);
        json_t *u1 = json_array_get(json_object_get(d, "urls"), 1);
        assert_string_equal(json_string_value(json_object_get(u0, "decodedUrl")),
                            "http://www.example.com");
        assert_true(json_is_true(json_object_get(u0, "success")));
        if (authed) {
            assert_string_equal(json_string_value(json_object_get(u0, "clusterName")),
                                "example_hosted");
            assert_non_null(json_object_get(u0, "messageGuid"));
        } else {
            assert_null(json_object_get(u0, "messageGuid"));
        }
        assert_true(json_is_false(json_object_get(u1, "success")));
        assert_string_equal(json_string_value(json_object_get(u1, "error")),
                            "Invalid URL - encoded URL is not a URL Defense URL");
        json_decref(d);
        resp_free(&r);
    }
    resp r;
    http(&r, &S, "POST", "/v2/url/decode", body, "pptap-sim:wrong", NULL);
    assert_int_equal(r.status, 401);
    resp_free(&r);
    http(&r, &S, "GET", "/v2/url/decode", NULL, AUTH, NULL);
    assert_int_equal(r.status, 405);
    resp_free(&r);
}

static void test_clicks_rewritten(void **state)
{
    (void)state;
    /* rewritten click URLs come from libpptap's encoder and decode back */
    json_t *d = get_json(&S, "/v2/siem/clicks/permitted?format=json&interval=2026-01-10T09:00:"
                             "00Z/2026-01-10T10:00:00Z");
    size_t i, rewritten = 0;
    json_t *e;
    json_array_foreach(json_object_get(d, "clicksPermitted"), i, e)
    {
        const char *u = json_string_value(json_object_get(e, "url"));
        if (strstr(u, "urldefense") == NULL) {
            continue;
        }
        rewritten++;
        json_t *req = json_pack("{s:[s]}", "urls", u);
        char *body = json_dumps(req, 0);
        resp r;
        http(&r, &S, "POST", "/v2/url/decode", body, AUTH, NULL);
        json_t *out = json_loads(r.body, 0, NULL);
        assert_true(json_is_true(
            json_object_get(json_array_get(json_object_get(out, "urls"), 0), "success")));
        json_decref(out);
        resp_free(&r);
        free(body);
        json_decref(req);
        if (rewritten >= 5) {
            break;
        }
    }
    assert_true(rewritten > 0);
    json_decref(d);
}

static void test_faults(void **state)
{
    (void)state;
    resp r;
    const char *q = "/v2/siem/clicks/permitted?format=json&sinceSeconds=3600";
    http(&r, &S, "POST", "/admin/faults?5xx=1", NULL, NULL, NULL);
    resp_free(&r);
    http(&r, &S, "GET", q, NULL, AUTH, NULL);
    assert_in_range(r.status, 500, 504);
    resp_free(&r);
    http(&r, &S, "POST", "/admin/faults?clear=1&truncate=1", NULL, NULL, NULL);
    resp_free(&r);
    http(&r, &S, "GET", "/v2/people/vap?window=90", NULL, AUTH, NULL);
    assert_int_equal(r.rc, CURLE_PARTIAL_FILE);
    resp_free(&r);
    http(&r, &S, "POST", "/admin/faults?clear=1&badjson=1", NULL, NULL, NULL);
    resp_free(&r);
    http(&r, &S, "GET", q, NULL, AUTH, NULL);
    assert_int_equal(r.status, 200);
    assert_null(json_loads(r.body, 0, NULL));
    resp_free(&r);
    http(&r, &S, "POST", "/admin/faults?clear=1&reset=1", NULL, NULL, NULL);
    resp_free(&r);
    http(&r, &S, "GET", q, NULL, AUTH, NULL);
    assert_int_not_equal(r.rc, CURLE_OK);
    resp_free(&r);
    http(&r, &S, "POST", "/admin/faults?clear=1", NULL, NULL, NULL);
    resp_free(&r);
    expect(&S, q, 200, NULL);
    json_t *log = get_json(&S, "/admin/requests?last=5");
    json_t *reqs = json_object_get(log, "requests");
    assert_string_equal(json_string_value(json_object_get(json_array_get(reqs, 3), "fault")),
                        "reset");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(reqs, 3), "status")), 0);
    json_decref(log);
}

static void test_deterministic(void **state)
{
    (void)state;
    sim other;
    assert_int_equal(sim_start(&other, "--rate", "3000", "--seed", "7", NULL), 0);
    /* clicks: messages vary the order of their parts between requests */
    const char *q = "/v2/siem/clicks/blocked?format=json&interval=2026-01-10T08:00:00Z/PT1H";
    resp a, b;
    http(&a, &S, "GET", q, NULL, AUTH, NULL);
    http(&b, &other, "GET", q, NULL, AUTH, NULL);
    int stopped = sim_stop(&other); /* before any assertion can leave the test */
    assert_int_equal(stopped, 0);
    assert_int_equal(a.status, 200);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.body, b.body, a.len);
    resp_free(&a);
    resp_free(&b);
}

static void test_tls(void **state)
{
    (void)state;
    sim t;
    assert_int_equal(sim_start(&t, "--tls-cert", cert_path, "--tls-key", key_path, NULL), 0);
    resp untrusted, trusted;
    http(&untrusted, &t, "GET", "/v2/people/vap?window=14", NULL, AUTH, NULL);
    http(&trusted, &t, "GET", "/v2/people/vap?window=14", NULL, AUTH, cert_path);
    int stopped = sim_stop(&t);
    assert_int_equal(stopped, 0);
    assert_true(strncmp(t.url, "https://127.0.0.1:", 18) == 0);
    assert_int_equal(untrusted.rc, CURLE_PEER_FAILED_VERIFICATION);
    assert_int_equal(trusted.rc, CURLE_OK);
    assert_int_equal(trusted.status, 200);
    resp_free(&untrusted);
    resp_free(&trusted);
}

/* Every option in --help is in the man page. */
static void test_help_and_man(void **state)
{
    (void)state;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' --help", sim_path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char help[16384];
    size_t n = fread(help, 1, sizeof help - 1, p);
    help[n] = '\0';
    assert_int_equal(pclose(p), 0);
    FILE *m = fopen(man_path, "r");
    assert_non_null(m);
    static char man[131072];
    size_t k = 0;
    int c;
    while ((c = fgetc(m)) != EOF && k < sizeof man - 1) {
        if (c == '\\' && k + 1 < sizeof man) {
            int d = fgetc(m);
            if (d == '-') {
                man[k++] = '-';
                continue;
            }
            man[k++] = (char)c;
            if (d != EOF) {
                man[k++] = (char)d;
            }
            continue;
        }
        man[k++] = (char)c;
    }
    man[k] = '\0';
    fclose(m);
    int options = 0;
    for (char *s = strstr(help, "--"); s; s = strstr(s + 2, "--")) {
        char opt[64];
        size_t len = strspn(s, "-abcdefghijklmnopqrstuvwxyz0123456789");
        snprintf(opt, sizeof opt, "%.*s", (int)len, s);
        if (len > 3 && strstr(man, opt) == NULL) {
            fail_msg("option %s is not in %s", opt, man_path);
        }
        options++;
    }
    assert_true(options > 25);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: test_sim PPTAP_SIM MANPAGE CERT KEY\n");
        return 2;
    }
    sim_path = argv[1];
    man_path = argv[2];
    cert_path = argv[3];
    key_path = argv[4];
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_line),
        cmocka_unit_test(test_auth),
        cmocka_unit_test(test_window_rules),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_json_body),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_syslog),
        cmocka_unit_test(test_late_indexing),
        cmocka_unit_test(test_pools),
        cmocka_unit_test(test_campaign_forensics_threat),
        cmocka_unit_test(test_people),
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_clicks_rewritten),
        cmocka_unit_test(test_faults),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_help_and_man),
    };
    int rc = cmocka_run_group_tests(tests, setup_default, teardown_default);
    curl_global_cleanup();
    return rc;
}
