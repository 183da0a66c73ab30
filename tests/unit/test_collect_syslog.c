/*
 * The syslog output's messages, byte for byte: PRI from facility and
 * severity, TIMESTAMP, structured data and its escaping, MSG with and
 * without a BOM, octet-counting frames, addresses; and the output itself
 * over loopback sockets (a TCP stream of frames, UDP's size limit).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "out_syslog.h"

#define T_EVENT 1780311771100LL /* 2026-06-01T11:02:51.100Z */
#define T_NOW 1780315200000LL   /* 2026-06-01T12:00:00.000Z */
#define BOM "\xEF\xBB\xBF"

typedef struct {
    const char *facility;
    pptap_event_type type;
    const char *classification;
    int pri;
} pri_case;

static void test_pri(void **state)
{
    (void)state;
    const pri_case cases[] = {
        {"local0", PPTAP_EVENT_CLICKS_PERMITTED, "phish", 16 * 8 + 2},
        {"local0", PPTAP_EVENT_CLICKS_PERMITTED, "spam", 16 * 8 + 3},
        {"kern", PPTAP_EVENT_MESSAGES_DELIVERED, "malware", 3},
        {"user", PPTAP_EVENT_MESSAGES_DELIVERED, "Spam", 8 + 4},
        {"auth", PPTAP_EVENT_CLICKS_BLOCKED, "MALWARE", 4 * 8 + 4},
        {"local4", PPTAP_EVENT_CLICKS_BLOCKED, "SPAM", 20 * 8 + 5},
        {"local7", PPTAP_EVENT_MESSAGES_BLOCKED, "impostor", 23 * 8 + 5},
        {"mail", PPTAP_EVENT_MESSAGES_BLOCKED, "spam", 2 * 8 + 6},
        {"daemon", PPTAP_EVENT_MESSAGES_DELIVERED, NULL, 3 * 8 + 3},
        {"clock", PPTAP_EVENT_COUNT_, NULL, 15 * 8 + 4}, /* a gap record */
        {"authpriv", PPTAP_EVENT_CLICKS_PERMITTED, "toad", 10 * 8 + 2},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const pri_case *c = &cases[i];
        collect_syslog_header h = {collect_syslog__facility(c->facility), "h", "a", "1"};
        collect_record r = {"x\n", 2, "id", c->type, "t", T_EVENT, c->classification};
        pptap_buf b = PPTAP_BUF_INIT;
        assert_int_equal(collect_syslog__format(&b, &h, &r, T_NOW), 0);
        char want[16];
        snprintf(want, sizeof(want), "<%d>1 ", c->pri);
        if (strncmp(b.ptr, want, strlen(want)) != 0) {
            fail_msg("case %zu (%s): got %.12s, want %s", i, c->facility, b.ptr, want);
        }
        pptap_buf_dispose(&b);
    }
    assert_int_equal(collect_syslog__facility("nope"), -1);
    assert_int_equal(collect_syslog__facility(NULL), -1);
    assert_int_equal(collect_syslog__facility("local7"), 23);
}

typedef struct {
    const char *name;
    collect_syslog_header h;
    collect_record r;
    const char *want;
} msg_case;

static void test_messages(void **state)
{
    (void)state;
    const char *ascii = "{\"a\":1}\n";
    const char *utf8 = "{\"to\":\"m\xC3\xBCller@b\xC3\xBC"
                       "cher.example\",\"subj\":\"\xE6\x97\xA5\xE6\x9C\xAC\"}\n";
    const msg_case cases[] = {
        {"all fields",
         {16, "collector-1", "pptap", "4242"},
         {ascii, strlen(ascii), "0f1e", PPTAP_EVENT_MESSAGES_DELIVERED, "acme", T_EVENT, "phish"},
         "<131>1 2026-06-01T11:02:51.100Z collector-1 pptap 4242 messagesDelivered "
         "[pptap@32473 event_id=\"0f1e\" type=\"messagesDelivered\" tenant=\"acme\"] {\"a\":1}"},
        {"no time: now",
         {16, "h", "pptap", "1"},
         {ascii, strlen(ascii), "x", PPTAP_EVENT_CLICKS_BLOCKED, "t", PPTAP_TIME_NONE, NULL},
         "<132>1 2026-06-01T12:00:00.000Z h pptap 1 clicksBlocked "
         "[pptap@32473 event_id=\"x\" type=\"clicksBlocked\" tenant=\"t\"] {\"a\":1}"},
        {"nil header fields",
         {1, NULL, "", NULL},
         {ascii, strlen(ascii), "x", PPTAP_EVENT_CLICKS_PERMITTED, "t", 0, "spam"},
         "<11>1 1970-01-01T00:00:00.000Z - - - clicksPermitted "
         "[pptap@32473 event_id=\"x\" type=\"clicksPermitted\" tenant=\"t\"] {\"a\":1}"},
        {"SD-PARAM escaping of \" \\ ]",
         {16, "h", "a", "1"},
         {ascii, strlen(ascii), "a\"b\\c]d", PPTAP_EVENT_MESSAGES_BLOCKED, "x]\"\\", T_EVENT,
          "spam"},
         "<134>1 2026-06-01T11:02:51.100Z h a 1 messagesBlocked "
         "[pptap@32473 event_id=\"a\\\"b\\\\c\\]d\" type=\"messagesBlocked\" "
         "tenant=\"x\\]\\\"\\\\\"] {\"a\":1}"},
        {"non-ASCII MSG: BOM first",
         {16, "h", "a", "1"},
         {utf8, strlen(utf8), "u", PPTAP_EVENT_MESSAGES_DELIVERED, "t", T_EVENT, "malware"},
         "<131>1 2026-06-01T11:02:51.100Z h a 1 messagesDelivered "
         "[pptap@32473 event_id=\"u\" type=\"messagesDelivered\" tenant=\"t\"] " BOM
         "{\"to\":\"m\xC3\xBCller@b\xC3\xBC"
         "cher.example\",\"subj\":\"\xE6\x97\xA5\xE6\x9C\xAC\"}"},
        {"non-ASCII in the SD only: no BOM",
         {16, "h", "a", "1"},
         {ascii, strlen(ascii), "\xC3\xBC", PPTAP_EVENT_MESSAGES_DELIVERED, "t", T_EVENT, NULL},
         "<131>1 2026-06-01T11:02:51.100Z h a 1 messagesDelivered "
         "[pptap@32473 event_id=\"\xC3\xBC\" type=\"messagesDelivered\" tenant=\"t\"] "
         "{\"a\":1}"},
        {"line without newline",
         {16, "h", "a", "1"},
         {"CEF:0|Proofpoint|TAP", 20, "c", PPTAP_EVENT_CLICKS_BLOCKED, "t", T_EVENT, "phish"},
         "<132>1 2026-06-01T11:02:51.100Z h a 1 clicksBlocked "
         "[pptap@32473 event_id=\"c\" type=\"clicksBlocked\" tenant=\"t\"] CEF:0|Proofpoint|TAP"},
        {"gap record",
         {23, "h", "a", "1"},
         {ascii, strlen(ascii), "gap:t:1:2", PPTAP_EVENT_COUNT_, "t", T_EVENT, NULL},
         "<188>1 2026-06-01T11:02:51.100Z h a 1 gap "
         "[pptap@32473 event_id=\"gap:t:1:2\" type=\"gap\" tenant=\"t\"] {\"a\":1}"},
        {"empty MSG: none",
         {16, "h", "a", "1"},
         {"\n", 1, "e", PPTAP_EVENT_CLICKS_BLOCKED, "t", T_EVENT, NULL},
         "<132>1 2026-06-01T11:02:51.100Z h a 1 clicksBlocked "
         "[pptap@32473 event_id=\"e\" type=\"clicksBlocked\" tenant=\"t\"]"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const msg_case *c = &cases[i];
        pptap_buf b = PPTAP_BUF_INIT;
        assert_int_equal(collect_syslog__format(&b, &c->h, &c->r, T_NOW), 0);
        if (b.len != strlen(c->want) || memcmp(b.ptr, c->want, b.len) != 0) {
            fail_msg("%s:\n got  %s\n want %s", c->name, b.ptr, c->want);
        }
        pptap_buf_dispose(&b);
    }
}

static void test_octet_counting(void **state)
{
    (void)state;
    pptap_buf b = PPTAP_BUF_INIT;
    assert_int_equal(collect_syslog__frame(&b, "hello", 5), 0);
    assert_int_equal(collect_syslog__frame(&b, "", 0), 0);
    /* MSG-LEN counts octets, not characters: a BOM and two 2-byte letters. */
    const char *u = "<1>1 - - - - - - " BOM "\xC3\xBC\xC3\xBC";
    assert_int_equal(collect_syslog__frame(&b, u, strlen(u)), 0);
    const char *want = "5 hello0 24 <1>1 - - - - - - " BOM "\xC3\xBC\xC3\xBC";
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.ptr, want, b.len);
    /* A long message: several digits, no leading zeros. */
    b.len = 0;
    char big[12345];
    memset(big, 'x', sizeof(big));
    assert_int_equal(collect_syslog__frame(&b, big, sizeof(big)), 0);
    assert_int_equal(b.len, 6 + sizeof(big));
    assert_memory_equal(b.ptr, "12345 x", 7);
    pptap_buf_dispose(&b);
}

typedef struct {
    const char *in;
    const char *host, *port; /* NULL: an error */
} addr_case;

static void test_addresses(void **state)
{
    (void)state;
    const addr_case cases[] = {
        {"127.0.0.1:514", "127.0.0.1", "514"},
        {"syslog.example.net:6514", "syslog.example.net", "6514"},
        {"[::1]:1514", "::1", "1514"},
        {"[fe80::1%eth0]:514", "fe80::1%eth0", "514"},
        {"[::1]", "::1", "601"},
        {"siem", "siem", "601"},
        {"::1:514", NULL, NULL},
        {"[::1", NULL, NULL},
        {"[::1]x", NULL, NULL},
        {"[]:514", NULL, NULL},
        {"", NULL, NULL},
        {":514", NULL, NULL},
        {"host:", NULL, NULL},
        {"host:0", NULL, NULL},
        {"host:65536", NULL, NULL},
        {"host:51a", NULL, NULL},
        {"host:-1", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const addr_case *c = &cases[i];
        char host[256], port[16], err[200] = "";
        int rc = collect_syslog__split_address(host, sizeof(host), port, sizeof(port), c->in, "601",
                                               err, sizeof(err));
        if (c->host == NULL) {
            if (rc == 0) {
                fail_msg("\"%s\": accepted as %s / %s", c->in, host, port);
            }
            assert_true(strlen(err) > 0);
        } else if (rc != 0 || strcmp(host, c->host) != 0 || strcmp(port, c->port) != 0) {
            fail_msg("\"%s\": got rc %d %s / %s (%s)", c->in, rc, rc ? "" : host, rc ? "" : port,
                     err);
        }
    }
}

static void test_header_fields(void **state)
{
    (void)state;
    char f48[49], f49[50];
    memset(f48, 'a', 48);
    f48[48] = '\0';
    memset(f49, 'a', 49);
    f49[49] = '\0';
    assert_true(collect_syslog__valid_field("pptap", 48));
    assert_true(collect_syslog__valid_field(f48, 48));
    assert_false(collect_syslog__valid_field(f49, 48));
    assert_false(collect_syslog__valid_field("", 48));
    assert_false(collect_syslog__valid_field(NULL, 48));
    assert_false(collect_syslog__valid_field("my app", 48));
    assert_false(collect_syslog__valid_field("caf\xC3\xA9", 48));
    assert_false(collect_syslog__valid_field("tab\there", 48));
}

/* ------------------------------------------------------------------------- */
/* The output over loopback sockets */

typedef struct {
    int calls;
    char reason[128];
} rejects;

static rejects rejected;

static int on_reject(collect_output *o, const collect_record *r, const char *reason)
{
    (void)o;
    (void)r;
    rejected.calls++;
    snprintf(rejected.reason, sizeof(rejected.reason), "%s", reason);
    return 0;
}

/* A socket on 127.0.0.1 port 0; *port gets the port. */
static int listener(int type, int *port)
{
    int fd = socket(AF_INET, type, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t l = sizeof(a);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
    *port = ntohs(a.sin_port);
    if (type == SOCK_STREAM) {
        assert_int_equal(listen(fd, 4), 0);
    }
    return fd;
}

static void setup_output(collect_output *o, conf_output *c, collect_output_metrics *m,
                         const char *transport, char *address, size_t n, int port)
{
    memset(o, 0, sizeof(*o));
    memset(c, 0, sizeof(*c));
    memset(m, 0, sizeof(*m));
    snprintf(address, n, "127.0.0.1:%d", port);
    c->type = "syslog";
    c->address = address;
    c->transport = (char *)transport;
    c->facility = "local4";
    c->app_name = "pptap";
    c->hostname = "unit.example";
    c->retries = 1;
    c->timeout_ms = 2000;
    o->type = &collect_out_syslog;
    o->conf = c;
    o->m = m;
    o->reject = on_reject;
}

static void test_tcp_stream(void **state)
{
    (void)state;
    int port;
    int lfd = listener(SOCK_STREAM, &port);
    collect_output o;
    conf_output c;
    collect_output_metrics m;
    char address[64];
    setup_output(&o, &c, &m, "tcp", address, sizeof(address), port);
    assert_int_equal(o.type->open(&o, -1), 0);
    int afd = accept(lfd, NULL, NULL);
    assert_true(afd >= 0);
    const char *lines[] = {"{\"n\":1}\n", "{\"n\":\"\xC3\xBC\"}\n", "{\"n\":3}\n"};
    for (int i = 0; i < 3; i++) {
        char id[16];
        snprintf(id, sizeof(id), "e%d", i);
        collect_record r = {lines[i], strlen(lines[i]), id,     PPTAP_EVENT_CLICKS_PERMITTED,
                            "t",      T_EVENT,          "phish"};
        assert_int_equal(o.type->write(&o, &r), 0);
    }
    assert_int_equal(m.queued, 3);
    int64_t pos = -1;
    assert_int_equal(o.type->flush(&o, &pos), 0);
    assert_int_equal(m.queued, 0);
    /* Three frames: MSG-LEN SP MSG, each message complete. */
    char got[4096];
    size_t len = 0;
    struct pollfd p = {afd, POLLIN, 0};
    while (poll(&p, 1, 500) > 0) {
        ssize_t n = read(afd, got + len, sizeof(got) - 1 - len);
        if (n <= 0) {
            break;
        }
        len += (size_t)n;
    }
    got[len] = '\0';
    const char *q = got;
    for (int i = 0; i < 3; i++) {
        char *end;
        unsigned long l = strtoul(q, &end, 10);
        assert_true(end > q && *end == ' ');
        q = end + 1;
        char want[256];
        snprintf(want, sizeof(want),
                 "<162>1 2026-06-01T11:02:51.100Z unit.example pptap %ld clicksPermitted "
                 "[pptap@32473 event_id=\"e%d\" type=\"clicksPermitted\" tenant=\"t\"] %s%.*s",
                 (long)getpid(), i, i == 1 ? BOM : "", (int)strlen(lines[i]) - 1, lines[i]);
        assert_int_equal(l, strlen(want));
        assert_memory_equal(q, want, l);
        q += l;
    }
    assert_int_equal((size_t)(q - got), len);
    o.type->close(&o);
    close(afd);
    close(lfd);
}

static void test_udp_size_limit(void **state)
{
    (void)state;
    int port;
    int ufd = listener(SOCK_DGRAM, &port);
    collect_output o;
    conf_output c;
    collect_output_metrics m;
    char address[64];
    setup_output(&o, &c, &m, "udp", address, sizeof(address), port);
    assert_int_equal(o.type->open(&o, -1), 0);
    rejected.calls = 0;
    /* The largest event that fits: the message is exactly the limit. */
    collect_record r = {NULL, 0, "big", PPTAP_EVENT_MESSAGES_BLOCKED, "t", T_EVENT, "spam"};
    pptap_buf head = PPTAP_BUF_INIT;
    collect_record empty = r;
    empty.line = "";
    collect_syslog_header h = {20, "unit.example", "pptap", NULL};
    char pid[16];
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    h.procid = pid;
    assert_int_equal(collect_syslog__format(&head, &h, &empty, T_NOW), 0);
    size_t fits = COLLECT_SYSLOG_UDP_MAX - head.len - 1; /* " " before MSG */
    char *line = malloc(fits + 2);
    memset(line, 'x', fits);
    line[fits] = '\n';
    r.line = line;
    r.len = fits + 1; /* the newline is not sent */
    assert_int_equal(o.type->write(&o, &r), 0);
    char *buf = malloc(70000);
    ssize_t n = recv(ufd, buf, 70000, 0);
    assert_int_equal(n, COLLECT_SYSLOG_UDP_MAX);
    assert_int_equal(rejected.calls, 0);
    /* One byte more: quarantined, nothing sent. */
    line[fits] = 'x';
    r.len = fits + 1;
    assert_int_equal(o.type->write(&o, &r), 0);
    assert_int_equal(rejected.calls, 1);
    assert_non_null(strstr(rejected.reason, "larger than a UDP datagram"));
    n = recv(ufd, buf, 70000, MSG_DONTWAIT);
    assert_int_equal(n, -1);
    int64_t pos;
    assert_int_equal(o.type->flush(&o, &pos), 0);
    o.type->close(&o);
    pptap_buf_dispose(&head);
    free(line);
    free(buf);
    close(ufd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pri),
        cmocka_unit_test(test_messages),
        cmocka_unit_test(test_octet_counting),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_header_fields),
        cmocka_unit_test(test_tcp_stream),
        cmocka_unit_test(test_udp_size_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
