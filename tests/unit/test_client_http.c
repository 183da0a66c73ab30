/*
 * Unit tests: the client over HTTP against a scripted server on 127.0.0.1
 * (a thread in this test, nothing else is contacted): retries, status
 * mapping with the server's text, the 429 pool, the Date header, Basic auth
 * and redacted traces, streaming across chunks, truncated bodies, 204, 404
 * meaning "none", URL-decode batching, timeouts and refused connections.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <pptap/client.h>
#include <pptap/tap.h>

#define MAX_ITEMS 16
#define REQ_CAP 16384

typedef struct {
    const char *resp; /* raw HTTP response bytes */
    int hang;         /* never answer (for timeouts) */
} item;

typedef struct {
    int fd;
    int port;
    pthread_t th;
    pthread_mutex_t mu;
    item items[MAX_ITEMS];
    size_t n_items, next;
    char reqs[MAX_ITEMS][REQ_CAP];
    size_t n_reqs;
    volatile int stop;
} server;

static void read_request(int c, char *out)
{
    size_t len = 0;
    size_t need = 0;
    for (;;) {
        struct pollfd p = {c, POLLIN, 0};
        if (poll(&p, 1, 2000) <= 0) {
            break;
        }
        ssize_t n = read(c, out + len, REQ_CAP - 1 - len);
        if (n <= 0) {
            break;
        }
        len += (size_t)n;
        out[len] = '\0';
        char *end = strstr(out, "\r\n\r\n");
        if (end != NULL) {
            if (need == 0) {
                const char *cl = strcasestr(out, "\r\nContent-Length:");
                need = (size_t)(end - out) + 4 + (cl != NULL ? strtoul(cl + 17, NULL, 10) : 0);
            }
            if (len >= need) {
                break;
            }
        }
        if (len >= REQ_CAP - 1) {
            break;
        }
    }
    out[len] = '\0';
}

static void *serve(void *arg)
{
    server *s = arg;
    while (!s->stop) {
        struct pollfd p = {s->fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) {
            continue;
        }
        int c = accept(s->fd, NULL, NULL);
        if (c < 0) {
            continue;
        }
        pthread_mutex_lock(&s->mu);
        size_t slot = s->n_reqs < MAX_ITEMS ? s->n_reqs++ : MAX_ITEMS - 1;
        pthread_mutex_unlock(&s->mu);
        read_request(c, s->reqs[slot]);
        pthread_mutex_lock(&s->mu);
        item it = {"HTTP/1.1 500 No Script\r\nContent-Length: 9\r\nConnection: close\r\n\r\n"
                   "no script",
                   0};
        if (s->next < s->n_items) {
            it = s->items[s->next++];
        }
        pthread_mutex_unlock(&s->mu);
        if (it.hang) {
            for (int k = 0; k < 100 && !s->stop; k++) {
                usleep(10000); /* 1 s of silence, then hang up */
            }
        } else {
            size_t off = 0, len = strlen(it.resp);
            while (off < len) {
                ssize_t n = write(c, it.resp + off, len - off);
                if (n <= 0) {
                    break;
                }
                off += (size_t)n;
            }
            shutdown(c, SHUT_WR);
            char tmp[256];
            struct pollfd q = {c, POLLIN, 0};
            while (poll(&q, 1, 200) > 0 && read(c, tmp, sizeof tmp) > 0) {
            }
        }
        close(c);
    }
    return NULL;
}

static server *srv;

static int setup(void **state)
{
    (void)state;
    unsetenv("http_proxy");
    unsetenv("https_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("HTTPS_PROXY");
    unsetenv("ALL_PROXY");
    unsetenv("all_proxy");
    srv = calloc(1, sizeof *srv);
    srv->fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(srv->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    assert_int_equal(bind(srv->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(srv->fd, 16), 0);
    socklen_t al = sizeof a;
    getsockname(srv->fd, (struct sockaddr *)&a, &al);
    srv->port = ntohs(a.sin_port);
    pthread_mutex_init(&srv->mu, NULL);
    pthread_create(&srv->th, NULL, serve, srv);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    srv->stop = 1;
    pthread_join(srv->th, NULL);
    close(srv->fd);
    pthread_mutex_destroy(&srv->mu);
    free(srv);
    return 0;
}

static void script(const item *items, size_t n)
{
    pthread_mutex_lock(&srv->mu);
    for (size_t i = 0; i < n; i++) {
        srv->items[i] = items[i];
    }
    srv->n_items = n;
    srv->next = 0;
    srv->n_reqs = 0;
    memset(srv->reqs, 0, sizeof srv->reqs);
    pthread_mutex_unlock(&srv->mu);
}

static size_t requests(void)
{
    pthread_mutex_lock(&srv->mu);
    size_t n = srv->n_reqs;
    pthread_mutex_unlock(&srv->mu);
    return n;
}

/* ---- traces ---- */

static pptap_buf trace_log;

static void on_trace(const pptap_trace *t, void *payload)
{
    (void)payload;
    char line[256];
    snprintf(line, sizeof line, "%d %s %s %d %ld\n", (int)t->kind, t->method, t->url, t->attempt,
             t->status);
    pptap_buf_put(&trace_log, line, strlen(line));
    pptap_buf_put(&trace_log, t->headers, strlen(t->headers));
    pptap_buf_put(&trace_log, t->message, strlen(t->message));
    pptap_buf_put(&trace_log, "\n", 1);
}

static pptap_time_ms fixed_now(void *payload)
{
    (void)payload;
    pptap_time_ms t;
    pptap_time_parse(&t, "2025-03-04T12:00:00Z", 20);
    return t;
}

static pptap_client *client(size_t decode_batch)
{
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d/", srv->port);
    pptap_client_opts o = PPTAP_CLIENT_OPTS_INIT;
    o.base_url = base;
    o.principal = "svc-principal";
    o.secret = "s3cr3t-value";
    o.noproxy = "*";
    o.retry_base_ms = 1;
    o.retry_cap_ms = 5;
    o.max_attempts = 3;
    o.timeout_ms = 3000;
    o.decode_batch = decode_batch;
    o.trace = on_trace;
    o.clock = fixed_now;
    pptap_client *c;
    assert_int_equal(pptap_client_new(&c, &o), 0);
    pptap_buf_dispose(&trace_log);
    return c;
}

/* Builds "HTTP/1.1 <status>" with a correct Content-Length for `body`. */
static const char *mkresp(char *buf, size_t cap, const char *status, const char *body)
{
    snprintf(buf, cap, "HTTP/1.1 %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s", status,
             strlen(body), body);
    return buf;
}

/* Builds a chunked 200 response from NULL-terminated pieces, one chunk each. */
static const char *mkchunked(char *buf, size_t cap, const char *const *pieces)
{
    size_t o = (size_t)snprintf(buf, cap,
                                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: "
                                "chunked\r\nConnection: close\r\n\r\n");
    for (; *pieces != NULL; pieces++) {
        o += (size_t)snprintf(buf + o, cap - o, "%zx\r\n%s\r\n", strlen(*pieces), *pieces);
    }
    snprintf(buf + o, cap - o, "0\r\n\r\n");
    return buf;
}

#define OK_JSON(body)                                                                              \
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nDate: Tue, 04 Mar 2025 "  \
    "11:07:00 GMT\r\n\r\n" body

static const pptap_siem_query since300 = {PPTAP_EP_SIEM_CLICKS_PERMITTED, NULL, 0, 0, 300};

static void test_retry_then_success(void **state)
{
    (void)state;
    const item it[] = {
        {"HTTP/1.1 503 Busy\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy"},
        {"HTTP/1.1 408 Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"},
        {OK_JSON("{\"queryEndTime\":\"2025-03-04T11:07:00Z\",\"clicksPermitted\":[]}")},
    };
    script(it, 3);
    pptap_client *c = client(0);
    pptap_buf body = PPTAP_BUF_INIT;
    assert_int_equal(pptap_siem_fetch(c, &body, &since300), 0);
    assert_string_equal(body.ptr,
                        "{\"queryEndTime\":\"2025-03-04T11:07:00Z\",\"clicksPermitted\":[]}");
    const pptap_response_info *ri = pptap_client_last_response(c);
    assert_int_equal(ri->status, 200);
    assert_int_equal(ri->attempts, 3);
    assert_int_equal(requests(), 3);
    assert_string_equal(ri->content_type, "text/plain");
    pptap_time_ms d;
    pptap_time_parse(&d, "2025-03-04T11:07:00Z", 20);
    assert_true(ri->server_date == d);
    assert_int_equal(ri->pool, PPTAP_POOL_SIEM_CLICKS_PERMITTED);
    /* request line, auth and user agent */
    assert_non_null(strstr(srv->reqs[0], "GET /v2/siem/clicks/permitted?format=json&sinceSeconds="
                                         "300 HTTP/1.1\r\n"));
    /* base64("svc-principal:s3cr3t-value") */
    assert_non_null(
        strstr(srv->reqs[0], "Authorization: Basic c3ZjLXByaW5jaXBhbDpzM2NyM3QtdmFsdWU="));
    assert_non_null(strstr(srv->reqs[0], "User-Agent: pptap/" PPTAP_VERSION));
    assert_non_null(strstr(srv->reqs[0], "Accept: application/json"));
    /* the trace shows retries and never the credentials */
    assert_non_null(strstr(trace_log.ptr, "Authorization: Basic <redacted>"));
    assert_null(strstr(trace_log.ptr, "s3cr3t"));
    assert_null(strstr(trace_log.ptr, "c3ZjLXByaW5jaXBhbDpzM2NyM3QtdmFsdWU"));
    assert_non_null(strstr(trace_log.ptr, "\n2 GET ")); /* PPTAP_TRACE_RETRY */
    assert_non_null(strstr(trace_log.ptr, "HTTP 503"));
    pptap_buf_dispose(&body);
    pptap_client_free(c);
}

static void test_retries_bounded(void **state)
{
    (void)state;
    const item it[] = {
        {"HTTP/1.1 500 Oops\r\nContent-Length: 4\r\nConnection: close\r\n\r\noops"},
        {"HTTP/1.1 502 Bad\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"},
        {"HTTP/1.1 500 Oops\r\nContent-Length: 5\r\nConnection: close\r\n\r\nfinal"},
        {OK_JSON("{}")},
    };
    script(it, 4);
    pptap_client *c = client(0);
    pptap_buf body = PPTAP_BUF_INIT;
    assert_int_equal(pptap_siem_fetch(c, &body, &since300), PPTAP_ESERVER);
    assert_int_equal(requests(), 3); /* max_attempts */
    assert_string_equal(pptap_client_last_error(c),
                        "HTTP 500 from GET /v2/siem/clicks/permitted?format=json&sinceSeconds=300: "
                        "final");
    assert_non_null(strstr(trace_log.ptr, "\n3 GET ")); /* PPTAP_TRACE_ERROR */
    pptap_buf_dispose(&body);
    pptap_client_free(c);
}

static void test_status_errors(void **state)
{
    (void)state;
    static const struct {
        const char *status;
        const char *body;
        int rc;
        const char *msg;
    } cases[] = {
        {"429 Too Many",
         "The user has made too many requests over the past 24 hours and has been throttled.",
         PPTAP_ERATELIMIT,
         "HTTP 429 from GET /v2/siem/clicks/permitted?format=json&sinceSeconds=300: rate limit of "
         "pool siem-clicks-permitted reached: The user has made too many requests over the past "
         "24 hours and has been throttled."},
        {"400 Bad",
         "The requested interval is too short. Requests must be for at least 30.00s of "
         "data\n",
         PPTAP_EINVAL,
         "HTTP 400 from GET /v2/siem/clicks/permitted?format=json&sinceSeconds=300: The requested "
         "interval is too short. Requests must be for at least 30.00s of data"},
        {"401 Unauthorized", "", PPTAP_EAUTH,
         "HTTP 401 from GET /v2/siem/clicks/permitted?format=json&sinceSeconds=300: credentials "
         "refused"},
        {"403 Forbidden", "no way", PPTAP_EAUTH,
         "HTTP 403 from GET /v2/siem/clicks/permitted?format=json&sinceSeconds=300: credentials "
         "refused: no way"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[1024];
        item it = {mkresp(buf, sizeof buf, cases[i].status, cases[i].body), 0};
        script(&it, 1);
        pptap_client *c = client(0);
        pptap_buf body = PPTAP_BUF_INIT;
        assert_int_equal(pptap_siem_fetch(c, &body, &since300), cases[i].rc);
        assert_int_equal(requests(), 1); /* never retried */
        assert_string_equal(pptap_client_last_error(c), cases[i].msg);
        assert_int_equal(pptap_client_last_response(c)->pool, PPTAP_POOL_SIEM_CLICKS_PERMITTED);
        assert_int_equal(body.len, 0);
        pptap_buf_dispose(&body);
        pptap_client_free(c);
    }
}

static void test_validation_sends_nothing(void **state)
{
    (void)state;
    script(NULL, 0);
    pptap_client *c = client(0);
    pptap_buf body = PPTAP_BUF_INIT;
    pptap_siem_query q = {PPTAP_EP_SIEM_ALL, "2025-03-04T11:00:00Z/2025-03-04T11:00:10Z"};
    assert_int_equal(pptap_siem_fetch(c, &body, &q), PPTAP_EINVAL);
    assert_string_equal(pptap_client_last_error(c),
                        "interval is too short (10 s): the API requires at least 30 s");
    pptap_siem_query q2 = {PPTAP_EP_SIEM_ALL, "PT30M/2025-03-04T12:10:00Z"}; /* clock: 12:00 */
    assert_int_equal(pptap_siem_fetch(c, &body, &q2), PPTAP_EINVAL);
    assert_string_equal(
        pptap_client_last_error(c),
        "interval end 2025-03-04T12:10:00Z is not in the past (10 min ahead of now)");
    pptap_people_query pq = {7};
    pptap_people *p;
    assert_int_equal(pptap_people_vap_get(c, &p, &pq), PPTAP_EINVAL);
    assert_string_equal(pptap_client_last_error(c), "window must be 14, 30 or 90 days, not 7");
    usleep(100000);
    assert_int_equal(requests(), 0);
    pptap_buf_dispose(&body);
    pptap_client_free(c);
}

/* ---- streaming ---- */

typedef struct {
    size_t n;
    char ids[8][32];
} seen;

static int on_event(pptap_event_type type, json_t *ev, void *payload)
{
    seen *s = payload;
    const char *id = json_string_value(json_object_get(ev, "id"));
    if (s->n < 8) {
        snprintf(s->ids[s->n], sizeof s->ids[0], "%d:%s", (int)type, id ? id : "?");
    }
    s->n++;
    return 0;
}

static void test_stream_chunked(void **state)
{
    (void)state;
    /* events split across HTTP chunks, strings with brackets, JSON labelled text/plain */
    static const char *const pieces[] = {"{\"queryEndTime\" : \"2025-0",
                                         "3-04T11:00:00Z\", \"clicksPermitted\" : [{\"id",
                                         "\":\"a\",\"u\":\"]}\\\"\"}, {\"id\":\"b\"}],",
                                         " \"messagesDelivered\":[{\"id\":\"c\"}]}\n", NULL};
    char buf[2048];
    const item it[] = {{mkchunked(buf, sizeof buf, pieces)}};
    script(it, 1);
    pptap_client *c = client(0);
    pptap_siem_query q = {PPTAP_EP_SIEM_ALL, NULL, 0, 0, 300};
    seen s = {0};
    pptap_stream_result res;
    int rc = pptap_siem_stream(c, &q, on_event, &s, &res);
    if (rc != 0) {
        fail_msg("stream: %s", pptap_client_last_error(c));
    }
    assert_int_equal(s.n, 3);
    assert_string_equal(s.ids[0], "1:a");
    assert_string_equal(s.ids[1], "1:b");
    assert_string_equal(s.ids[2], "3:c");
    assert_int_equal(res.delivered, 3);
    assert_int_equal(res.delivered_by_type[PPTAP_EVENT_CLICKS_PERMITTED], 2);
    assert_int_equal(res.delivered_by_type[PPTAP_EVENT_MESSAGES_DELIVERED], 1);
    assert_int_equal(res.complete, 1);
    assert_int_equal(res.status, 200);
    assert_string_equal(res.query_end_time_str, "2025-03-04T11:00:00Z");
    pptap_client_free(c);
}

static void test_stream_truncated(void **state)
{
    (void)state;
    /* cut after two events: no transparent retry, the caller learns what was delivered */
    const char *body = "{\"clicksBlocked\":[{\"id\":\"a\"},{\"id\":\"b\"},{\"id\":\"c";
    char resp[512];
    snprintf(resp, sizeof resp,
             "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
             strlen(body) + 100, body);
    const item it[] = {{resp}, {OK_JSON("{}")}};
    script(it, 2);
    pptap_client *c = client(0);
    pptap_siem_query q = {PPTAP_EP_SIEM_CLICKS_BLOCKED, NULL, 0, 0, 300};
    seen s = {0};
    pptap_stream_result res;
    assert_int_equal(pptap_siem_stream(c, &q, on_event, &s, &res), PPTAP_EPROTO);
    assert_int_equal(res.delivered, 2);
    assert_int_equal(s.n, 2);
    assert_int_equal(res.complete, 0);
    assert_int_equal(requests(), 1);
    assert_non_null(strstr(pptap_client_last_error(c), "truncated"));
    pptap_client_free(c);

    /* a complete HTTP body whose JSON is cut is a protocol error too */
    const item it2[] = {{OK_JSON("{\"clicksBlocked\":[{\"id\":\"a\"}")}};
    script(it2, 1);
    c = client(0);
    memset(&s, 0, sizeof s);
    assert_int_equal(pptap_siem_stream(c, &q, on_event, &s, &res), PPTAP_EPROTO);
    assert_int_equal(res.delivered, 1);
    assert_non_null(strstr(pptap_client_last_error(c), "truncated body"));
    pptap_client_free(c);

    /* cut before any event: retried transparently */
    snprintf(resp, sizeof resp,
             "HTTP/1.1 200 OK\r\nContent-Length: 500\r\nConnection: close\r\n\r\n{\"clicksBl");
    const item it3[] = {{resp}, {OK_JSON("{\"clicksBlocked\":[{\"id\":\"z\"}]}")}};
    script(it3, 2);
    c = client(0);
    memset(&s, 0, sizeof s);
    assert_int_equal(pptap_siem_stream(c, &q, on_event, &s, &res), 0);
    assert_int_equal(res.delivered, 1);
    assert_string_equal(s.ids[0], "0:z");
    assert_int_equal(requests(), 2);
    pptap_client_free(c);
}

static void test_stream_204_and_whole_body(void **state)
{
    (void)state;
    const item it[] = {
        {"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"},
        {"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"},
        {OK_JSON("{\"queryEndTime\" : \"2025-03-04T11:07:00Z\", \"clicksPermitted\" : [{\"id\":"
                 "\"x\",\"campaignID\":\"k\"}]}")},
    };
    script(it, 3);
    pptap_client *c = client(0);
    seen s = {0};
    pptap_stream_result res;
    assert_int_equal(pptap_siem_stream(c, &since300, on_event, &s, &res), 0);
    assert_int_equal(res.status, 204);
    assert_int_equal(res.delivered, 0);
    assert_int_equal(res.complete, 1);
    assert_true(res.query_end_time == PPTAP_TIME_NONE);
    pptap_siem_result *r;
    assert_int_equal(pptap_siem_get(c, &r, &since300), 0);
    assert_int_equal(r->status, 204);
    assert_null(r->raw);
    pptap_siem_result_free(r);
    assert_int_equal(pptap_siem_get(c, &r, &since300), 0);
    assert_int_equal(r->n_clicks_permitted, 1);
    assert_string_equal(r->clicks_permitted[0].campaign_id, "k");
    assert_string_equal(r->query_end_time_str, "2025-03-04T11:07:00Z");
    pptap_siem_result_free(r);
    pptap_client_free(c);
}

/* ---- other endpoints ---- */

static void test_campaign_ids_404_and_forensics_404(void **state)
{
    (void)state;
    const item it[] = {
        {"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"},
        {"HTTP/1.1 404 Not Found\r\nContent-Length: 18\r\nConnection: close\r\n\r\nthreatId not "
         "found"},
        {OK_JSON(
            "{\"campaigns\":[{\"id\":\"c1\",\"lastUpdatedAt\":\"2021-06-03T13:01:57.000Z\"}]}")},
    };
    script(it, 3);
    pptap_client *c = client(0);
    pptap_campaign_ids_query q = {"PT12H/2025-03-04T11:00:00Z", 0, 0, 1, 50};
    pptap_campaign_ids *ids;
    assert_int_equal(pptap_campaign_ids_get(c, &ids, &q), 0);
    assert_int_equal(ids->n_campaigns, 0);
    assert_int_equal(pptap_client_last_response(c)->status, 404);
    assert_int_equal(pptap_client_last_response(c)->pool, PPTAP_POOL_CAMPAIGN_IDS);
    pptap_campaign_ids_free(ids);
    assert_non_null(strstr(srv->reqs[0], "GET /v2/campaign/ids?interval=PT12H%2F2025-03-04T11%3A00%"
                                         "3A00Z&size=50&page=1 HTTP/1.1"));

    pptap_forensics_query fq = {"abc+/def", NULL, 1};
    pptap_forensics *f;
    assert_int_equal(pptap_forensics_get(c, &f, &fq), PPTAP_ENOTFOUND);
    assert_non_null(strstr(pptap_client_last_error(c), "threatId not found"));
    assert_non_null(strstr(srv->reqs[1], "GET /v2/forensics?threatId=abc%2B%2Fdef&"
                                         "includeCampaignForensics=true HTTP/1.1"));

    assert_int_equal(pptap_campaign_ids_get(c, &ids, &q), 0);
    assert_int_equal(ids->n_campaigns, 1);
    assert_string_equal(ids->campaigns[0].id, "c1");
    pptap_campaign_ids_free(ids);
    pptap_client_free(c);
}

static void test_typed_gets(void **state)
{
    (void)state;
    const item it[] = {
        {OK_JSON("{\"id\":\"c 1\",\"name\":\"n\",\"campaignMembers\":[]}")},
        {OK_JSON("{\"id\":\"t\",\"severity\":9}")},
        {OK_JSON("{\"totalTopClickers\":0,\"users\":[]}")},
        {OK_JSON("{\"totalVapUsers\":0,\"users\":[]}")},
        {OK_JSON("not json")},
    };
    script(it, 5);
    pptap_client *c = client(0);
    pptap_campaign *camp;
    assert_int_equal(pptap_campaign_get(c, &camp, "c 1"), 0);
    assert_string_equal(camp->id, "c 1");
    pptap_campaign_free(camp);
    assert_int_equal(pptap_client_last_response(c)->pool, PPTAP_POOL_CAMPAIGN);
    pptap_threat_summary *t;
    assert_int_equal(pptap_threat_summary_get(c, &t, "t"), 0);
    assert_int_equal(t->severity_score, 9);
    pptap_threat_summary_free(t);
    assert_int_equal(pptap_client_last_response(c)->pool, PPTAP_POOL_NONE);
    pptap_people_query pq = {90, 200, 1};
    pptap_people *p;
    assert_int_equal(pptap_people_top_clickers_get(c, &p, &pq), 0);
    assert_int_equal(p->total, 0);
    pptap_people_free(p);
    pptap_people_query vq = {14};
    assert_int_equal(pptap_people_vap_get(c, &p, &vq), 0);
    pptap_people_free(p);
    assert_int_equal(pptap_campaign_get(c, &camp, "x"), PPTAP_EPROTO);
    assert_non_null(strstr(srv->reqs[0], "GET /v2/campaign/c%201 HTTP/1.1"));
    assert_non_null(strstr(srv->reqs[1], "GET /v2/threat/summary/t HTTP/1.1"));
    assert_non_null(strstr(srv->reqs[2], "GET /v2/people/top-clickers?window=90&size=200&page=1 "));
    assert_non_null(strstr(srv->reqs[3], "GET /v2/people/vap?window=14 HTTP/1.1"));
    pptap_client_free(c);
}

static void test_url_decode_batches(void **state)
{
    (void)state;
    const item it[] = {
        {OK_JSON("{\"urls\":[{\"encodedUrl\":\"u1\",\"decodedUrl\":\"d1\",\"success\":true},"
                 "{\"encodedUrl\":\"u2\",\"success\":false,\"error\":\"Invalid URL - encoded URL "
                 "is not a URL Defense URL\"}]}")},
        {OK_JSON("{\"urls\":[{\"encodedUrl\":\"u3\",\"decodedUrl\":\"d3\",\"success\":true,"
                 "\"messageGuid\":\"g\",\"clusterName\":\"k\",\"recipientEmail\":\"r@x\"}]}")},
    };
    script(it, 2);
    pptap_client *c = client(2);
    const char *urls[] = {"u1", "u2", "u3"};
    pptap_url_decode_result *r;
    int rc = pptap_url_decode(c, &r, urls, 3);
    if (rc != 0) {
        fail_msg("decode: %s", pptap_client_last_error(c));
    }
    assert_int_equal(r->n_urls, 3);
    assert_string_equal(r->urls[0].decoded_url, "d1");
    assert_int_equal(r->urls[1].success, 0);
    assert_string_equal(r->urls[1].error, "Invalid URL - encoded URL is not a URL Defense URL");
    assert_string_equal(r->urls[2].recipient_email, "r@x");
    assert_int_equal(json_array_size(json_object_get(r->raw, "urls")), 3);
    pptap_url_decode_result_free(r);
    assert_int_equal(requests(), 2);
    assert_non_null(strstr(srv->reqs[0], "POST /v2/url/decode HTTP/1.1"));
    assert_non_null(strstr(srv->reqs[0], "Content-Type: application/json"));
    assert_non_null(strstr(srv->reqs[0], "\r\n\r\n{\"urls\":[\"u1\",\"u2\"]}"));
    assert_non_null(strstr(srv->reqs[1], "\r\n\r\n{\"urls\":[\"u3\"]}"));
    assert_int_equal(pptap_client_last_response(c)->pool, PPTAP_POOL_URL_DECODE);
    assert_int_equal(pptap_url_decode(c, &r, urls, 0), PPTAP_EINVAL);
    pptap_client_free(c);
}

static void test_timeout_and_refused(void **state)
{
    (void)state;
    const item it[] = {{NULL, 1}};
    script(it, 1);
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", srv->port);
    pptap_client_opts o = PPTAP_CLIENT_OPTS_INIT;
    o.base_url = base;
    o.noproxy = "*";
    o.timeout_ms = 300;
    o.max_attempts = 1;
    pptap_client *c;
    assert_int_equal(pptap_client_new(&c, &o), 0);
    pptap_buf body = PPTAP_BUF_INIT;
    assert_int_equal(pptap_client_get_raw(c, &body, "/v2/siem/all?format=json&sinceSeconds=60"),
                     PPTAP_ETIMEOUT);
    assert_int_equal(pptap_client_last_response(c)->pool, PPTAP_POOL_SIEM_OTHER);
    pptap_client_free(c);

    /* a closed port: connection refused, retried, then PPTAP_EUNAVAIL */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&a, sizeof a);
    socklen_t al = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &al);
    snprintf(base, sizeof base, "http://127.0.0.1:%d", ntohs(a.sin_port));
    close(fd);
    o.max_attempts = 3;
    o.retry_base_ms = 1;
    o.retry_cap_ms = 2;
    o.trace = on_trace;
    pptap_buf_dispose(&trace_log);
    assert_int_equal(pptap_client_new(&c, &o), 0);
    assert_int_equal(pptap_client_get_raw(c, &body, "/v2/people/vap?window=30"), PPTAP_EUNAVAIL);
    assert_int_equal(pptap_client_last_response(c)->attempts, 3);
    assert_int_equal(pptap_client_last_response(c)->status, 0);
    assert_int_equal(pptap_client_last_response(c)->pool, PPTAP_POOL_VAP);
    pptap_buf_dispose(&body);
    pptap_client_free(c);
}

static void test_body_cap(void **state)
{
    (void)state;
    const item it[] = {
        {OK_JSON("{\"queryEndTime\":\"2025-03-04T11:07:00Z\",\"clicksPermitted\":[]}")}};
    script(it, 1);
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", srv->port);
    pptap_client_opts o = PPTAP_CLIENT_OPTS_INIT;
    o.base_url = base;
    o.noproxy = "*";
    o.max_body_bytes = 16;
    pptap_client *c;
    assert_int_equal(pptap_client_new(&c, &o), 0);
    pptap_buf body = PPTAP_BUF_INIT;
    assert_int_equal(pptap_buf_put(&body, "keep", 4), 0);
    assert_int_equal(pptap_siem_fetch(c, &body, &since300), PPTAP_EBUFS);
    assert_string_equal(body.ptr, "keep"); /* untouched on failure */
    assert_int_equal(requests(), 1);       /* a cap is not retried */
    assert_non_null(strstr(pptap_client_last_error(c), "exceeds the size cap"));
    pptap_buf_dispose(&body);
    pptap_client_free(c);
}

static void test_options(void **state)
{
    (void)state;
    pptap_client *c = NULL;
    pptap_client_opts o = PPTAP_CLIENT_OPTS_INIT;
    o.base_url = "ftp://x";
    assert_int_equal(pptap_client_new(&c, &o), PPTAP_ECONFIG);
    o.base_url = NULL;
    o.principal = "p";
    assert_int_equal(pptap_client_new(&c, &o), PPTAP_ECONFIG); /* principal without secret */
    o.secret = "s";
    o.principal = "a:b";
    assert_int_equal(pptap_client_new(&c, &o), PPTAP_ECONFIG);
    assert_null(c);
    assert_int_equal(pptap_client_new(&c, NULL), 0);
    assert_string_equal(pptap_client_last_error(c), "");
    pptap_client_free(c);
    pptap_client_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_then_success),
        cmocka_unit_test(test_retries_bounded),
        cmocka_unit_test(test_status_errors),
        cmocka_unit_test(test_validation_sends_nothing),
        cmocka_unit_test(test_stream_chunked),
        cmocka_unit_test(test_stream_truncated),
        cmocka_unit_test(test_stream_204_and_whole_body),
        cmocka_unit_test(test_campaign_ids_404_and_forensics_404),
        cmocka_unit_test(test_typed_gets),
        cmocka_unit_test(test_url_decode_batches),
        cmocka_unit_test(test_timeout_and_refused),
        cmocka_unit_test(test_body_cap),
        cmocka_unit_test(test_options),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    pptap_buf_dispose(&trace_log);
    return rc;
}
