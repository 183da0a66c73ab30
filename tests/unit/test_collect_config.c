/*
 * pptap.conf: defaults, parsing, and every kind of refusal with the
 * offending file, line and key in the message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

static char path[64];

static void write_conf(const char *text)
{
    snprintf(path, sizeof(path), "/tmp/pptap-conf-test-%d.conf", (int)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_defaults_and_values(void **state)
{
    (void)state;
    conf c;
    conf_init(&c);
    assert_string_equal(c.service.state, "pptap.db");
    assert_int_equal(c.service.early_every_ms, 5 * 60000);
    assert_int_equal(c.service.final_after_ms, 35 * 60000);
    assert_int_equal(c.service.window_ms, 3600000);
    assert_int_equal(c.service.budget_share, 90);
    assert_null(c.service.metrics);
    write_conf("# a comment\n"
               "[service]\n"
               "state = /var/lib/pptap/pptap.db\n"
               "metrics = 127.0.0.1:9464\n"
               "budget_share = 50\n"
               "early_interval = 2m30s\n"
               "\n"
               "[tenant acme]\n"
               "principal = svc-acme\n"
               "secret_env = ACME_SECRET\n"
               "since = 7d\n"
               "threat_status = active,cleared\n"
               "outputs = archive\n"
               "[tenant \"beta\"]\n"
               "principal = svc-beta\n"
               "secret_file = /etc/pptap/beta.secret\n"
               "[output archive]\n"
               "type = file\n"
               "path = /var/lib/pptap/events.ndjson\n"
               "rotate_size = 100M\n"
               "[output out]\n"
               "type = stdout\n");
    assert_int_equal(conf_load_file(&c, path), 0);
    assert_int_equal(conf_validate(&c), 0);
    assert_string_equal(c.service.state, "/var/lib/pptap/pptap.db");
    assert_string_equal(c.service.metrics, "127.0.0.1:9464");
    assert_int_equal(c.service.budget_share, 50);
    assert_int_equal(c.service.early_every_ms, 150000);
    assert_int_equal(c.n_tenants, 2);
    assert_string_equal(c.tenants[0].name, "acme");
    assert_string_equal(c.tenants[0].secret_env, "ACME_SECRET");
    assert_int_equal(c.tenants[0].since_ms, 7LL * 86400000);
    assert_string_equal(c.tenants[0].outputs, "archive");
    assert_string_equal(c.tenants[1].name, "beta");
    assert_string_equal(c.tenants[1].endpoint, "all");
    assert_string_equal(c.tenants[1].threat_status, "active,cleared,falsePositive");
    assert_string_equal(c.tenants[1].base_url, "https://tap-api-v2.proofpoint.com");
    assert_int_equal(c.n_outputs, 2);
    assert_int_equal(c.outputs[0].rotate_size, 100LL << 20);
    assert_int_equal(c.outputs[0].rotate_keep, 5);
    conf_dispose(&c);
    unlink(path);
}

typedef struct {
    const char *text;
    const char *error; /* substring of the message */
} bad_case;

static void test_refusals(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"[service]\nstat = x\n", ":2: unknown key 'stat' in [service]"},
        {"[tenant a]\nsecret = hunter2\n", ":2: tenant.secret: secrets are not written"},
        {"[service]\nbudget_share = 0\n", ":2: service.budget_share: '0' is not a whole number"},
        {"[service]\nbudget_share = 101\n", "from 1 to 100"},
        {"[service]\nwindow = 2h\n", ":2: service.window: 2h is out of range"},
        {"[service]\nwindow = 10s\n", "out of range"},
        {"[service]\nearly_interval = soon\n", "is not a duration"},
        {"[service]\nmetrics = 0.0.0.0:9464\n", "is not a loopback host:port"},
        {"[tenant a]\nsince = 8d\n", ":2: tenant.since: 8d is out of range"},
        {"[tenant a]\nendpoint = everything\n", "'everything' is not one of all,issues"},
        {"[tenant a]\nthreat_status = active,bogus\n", "'bogus' is not one of"},
        {"[tenant a]\ninsecure = maybe\n", "is not true or false"},
        {"[output o]\nrotate_size = lots\n", "is not a size"},
        {"[output o]\ntype = carrier-pigeon\n",
         "'carrier-pigeon' is not one of file,stdout,syslog,http,kafka"},
        {"[output o]\nkafka. = x\n", "a librdkafka property name follows"},
        {"[output o]\nformat = xml\n", "'xml' is not one of raw,ecs,ocsf,cef"},
        {"[tenant]\n", ":1: unknown section [tenant]"},
        {"[service x]\n", "unknown section [service x]"},
        {"[tenant a/b]\n", "names use letters"},
        {"[bogus]\n", "unknown section [bogus]"},
        {"key = value\n", ":1: key = … outside a section"},
        {"[service]\njust words\n", ":2: expected KEY = VALUE"},
        {"[service\n", ":1: a section header is"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        conf c;
        conf_init(&c);
        write_conf(cases[i].text);
        int rc = conf_load_file(&c, path);
        if (rc == 0 || strstr(c.error, cases[i].error) == NULL) {
            fail_msg("case %zu: rc %d, error \"%s\", want \"%s\"", i, rc, c.error, cases[i].error);
        }
        conf_dispose(&c);
    }
    unlink(path);
}

static void test_validate(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"[output o]\ntype = stdout\n", "no [tenant NAME] section"},
        {"[tenant a]\nprincipal = p\n", "no [output NAME] section"},
        {"[tenant a]\n[output o]\n", "[output o]: type is required"},
        {"[tenant a]\n[output o]\ntype = file\n", "a file output needs a path"},
        {"[tenant a]\noutputs = x\n[output o]\ntype = stdout\n", "outputs: no [output x]"},
        {"[tenant a]\nsecret_env = A\nsecret_file = /f\n[output o]\ntype = stdout\n", "not both"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        conf c;
        conf_init(&c);
        write_conf(cases[i].text);
        assert_int_equal(conf_load_file(&c, path), 0);
        int rc = conf_validate(&c);
        if (rc == 0 || strstr(c.error, cases[i].error) == NULL) {
            fail_msg("case %zu: rc %d, error \"%s\", want \"%s\"", i, rc, c.error, cases[i].error);
        }
        conf_dispose(&c);
    }
    unlink(path);
}

/* Lists: spaces around the commas are not part of the words. */
static void test_lists(void **state)
{
    (void)state;
    conf c;
    conf_init(&c);
    write_conf("[tenant a]\nthreat_status = active, cleared\noutputs = o , p\n"
               "principal = x\nsecret_env = S\n"
               "[output o]\ntype = stdout\n[output p]\ntype = stdout\n");
    assert_int_equal(conf_load_file(&c, path), 0);
    assert_string_equal(c.tenants[0].threat_status, "active,cleared");
    assert_string_equal(c.tenants[0].outputs, "o,p");
    assert_int_equal(conf_validate(&c), 0);
    assert_int_equal(conf_validate_credentials(&c), 0);
    conf_dispose(&c);
    unlink(path);
}

/* Network outputs: their keys, defaults, kafka.* properties kept in order
 * (a repeated one replaced), and per-type requirements. */
static void test_network_outputs(void **state)
{
    (void)state;
    conf c;
    conf_init(&c);
    write_conf("[tenant a]\nprincipal = x\nsecret_env = S\n"
               "[output k]\ntype = kafka\nbrokers = 127.0.0.1:9092\ntopic_per_type = yes\n"
               "kafka.compression.type = zstd\nkafka.linger.ms = 5\nkafka.compression.type = lz4\n"
               "[output s]\ntype = syslog\naddress = 127.0.0.1:514\ntransport = udp\n"
               "[output h]\ntype = http\nurl = http://127.0.0.1:9200\nflavour = elasticsearch\n"
               "format = ecs\n");
    assert_int_equal(conf_load_file(&c, path), 0);
    assert_int_equal(conf_validate(&c), 0);
    const conf_output *k = &c.outputs[0], *s = &c.outputs[1], *h = &c.outputs[2];
    assert_string_equal(k->topic, "proofpoint-tap");
    assert_int_equal(k->topic_per_type, 1);
    assert_int_equal(k->n_passthrough, 2);
    assert_string_equal(k->passthrough[0].key, "compression.type");
    assert_string_equal(k->passthrough[0].value, "lz4");
    assert_string_equal(k->passthrough[1].key, "linger.ms");
    assert_string_equal(s->transport, "udp");
    assert_string_equal(s->facility, "local0");
    assert_string_equal(s->app_name, "pptap");
    assert_string_equal(h->flavour, "elasticsearch");
    assert_string_equal(h->format, "ecs");
    assert_int_equal(h->gzip, 1);
    assert_int_equal(h->batch_events, 500);
    assert_int_equal(h->max_in_flight, 4);
    assert_int_equal(h->timeout_ms, 30000);
    conf_dispose(&c);

    static const bad_case cases[] = {
        {"[tenant a]\n[output o]\ntype = syslog\n", "a syslog output needs an address"},
        {"[tenant a]\n[output o]\ntype = syslog\naddress = fe80::1:514\n",
         "write IPv6 addresses as [ADDRESS]:PORT"},
        {"[tenant a]\n[output o]\ntype = syslog\naddress = siem:99999\n",
         "expected HOST:PORT or [IPV6]:PORT"},
        {"[tenant a]\n[output o]\ntype = syslog\naddress = siem:514\napp_name = a b\n",
         "app_name: 1 to 48 printable ASCII characters"},
        {"[tenant a]\n[output o]\ntype = syslog\naddress = siem:514\nhostname = h\xC3\xA9\n",
         "hostname: 1 to 255 printable ASCII characters"},
        {"[tenant a]\n[output o]\ntype = http\n", "an http output needs a url"},
        {"[tenant a]\n[output o]\ntype = kafka\n", "a kafka output needs brokers"},
        {"[tenant a]\n[output o]\ntype = stdout\nkafka.acks = 1\n",
         "kafka.acks applies to kafka outputs only"},
        {"[tenant a]\n[output o]\ntype = http\nurl = http://127.0.0.1/\ntoken_file = f\n"
         "token_env = T\n",
         "give token_file or token_env, not both"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        conf_init(&c);
        write_conf(cases[i].text);
        assert_int_equal(conf_load_file(&c, path), 0);
        assert_int_equal(conf_validate(&c), -1);
        if (strstr(c.error, cases[i].error) == NULL) {
            print_error("case %zu: error \"%s\", want \"%s\"\n", i, c.error, cases[i].error);
            fail();
        }
        conf_dispose(&c);
    }
    unlink(path);
}

/* kafka.* lines are checked by librdkafka when the file is validated; lines
 * that would weaken idempotence or acks are refused. */
static void test_kafka_properties(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        /* error "" : accepted */
        {"kafka.compression.type = lz4\nkafka.linger.ms = 20\n", ""},
        {"kafka.enable.idempotence = true\nkafka.acks = all\n", ""},
        {"kafka.acks = -1\nkafka.message.timeout.ms = 5000\n", ""},
        {"kafka.security.protocol = ssl\nkafka.enable.gapless.guarantee = true\n", ""},
        {"kafka.no.such.property = 1\n",
         "[output k]: kafka.no.such.property: No such configuration property: "
         "\"no.such.property\""},
        {"kafka.compression.type = bogus\n",
         "kafka.compression.type: Invalid value \"bogus\" for configuration property "
         "\"compression.codec\""},
        {"kafka.linger.ms = -5\n",
         "kafka.linger.ms: Configuration property \"queue.buffering.max.ms\" value -5 is outside "
         "allowed range 0..900000"},
        {"kafka.enable.idempotence = false\n",
         "kafka.enable.idempotence = false: pptap always produces with enable.idempotence = true"},
        {"kafka.acks = 1\n", "kafka.acks = 1: pptap always produces with acks = all"},
        {"kafka.request.required.acks = 0\n", "pptap always produces with acks = all"},
        {"kafka.bootstrap.servers = 127.0.0.1:1\n", "set the brokers key of the output instead"},
        {"kafka.transactional.id = x\n", "does not use transactions"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        conf c;
        conf_init(&c);
        char text[1024];
        snprintf(text, sizeof(text),
                 "[tenant a]\n[output k]\ntype = kafka\nbrokers = 127.0.0.1:9092\n%s",
                 cases[i].text);
        write_conf(text);
        assert_int_equal(conf_load_file(&c, path), 0);
        int rc = conf_validate(&c);
        if (cases[i].error[0] == '\0' ? rc != 0
                                      : rc != -1 || strstr(c.error, cases[i].error) == NULL) {
            print_error("case %zu: rc %d, error \"%s\", want \"%s\"\n", i, rc, c.error,
                        cases[i].error);
            fail();
        }
        size_t len = strlen(c.error);
        assert_false(len > 0 && c.error[len - 1] == '\n');
        conf_dispose(&c);
    }
    unlink(path);
}

/* A tenant needs a principal and a secret source to run. */
static void test_credentials(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"[tenant a]\nsecret_env = S\n[output o]\ntype = stdout\n",
         "[tenant a]: principal is required"},
        {"[tenant a]\nprincipal = p\n[output o]\ntype = stdout\n",
         "[tenant a]: secret_file or secret_env is required"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        conf c;
        conf_init(&c);
        write_conf(cases[i].text);
        assert_int_equal(conf_load_file(&c, path), 0);
        assert_int_equal(conf_validate(&c), 0);
        int rc = conf_validate_credentials(&c);
        if (rc == 0 || strstr(c.error, cases[i].error) == NULL) {
            fail_msg("case %zu: rc %d, error \"%s\", want \"%s\"", i, rc, c.error, cases[i].error);
        }
        conf_dispose(&c);
    }
    unlink(path);
}

static void test_sizes_and_flags(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(conf_parse_size(&v, "0"), 0);
    assert_int_equal(v, 0);
    assert_int_equal(conf_parse_size(&v, "10k"), 0);
    assert_int_equal(v, 10240);
    assert_int_equal(conf_parse_size(&v, "3MB"), 0);
    assert_int_equal(v, 3 << 20);
    assert_int_equal(conf_parse_size(&v, "1G"), 0);
    assert_int_equal(v, 1LL << 30);
    assert_int_equal(conf_parse_size(&v, "-1"), -1);
    assert_int_equal(conf_parse_size(&v, "5T"), -1);
    assert_int_equal(conf_parse_size(&v, ""), -1);

    conf c;
    conf_init(&c);
    assert_int_equal(conf_set(&c, "service", NULL, "state", "/tmp/x.db"), 0);
    assert_string_equal(c.service.state, "/tmp/x.db");
    assert_int_equal(conf_set(&c, "tenant", "t1", "since", "2h"), 0);
    assert_int_equal(c.n_tenants, 1);
    assert_int_equal(c.tenants[0].since_ms, 2 * 3600000LL);
    assert_int_equal(conf_set(&c, "tenant", "t1", "nope", "x"), -1);
    assert_non_null(strstr(c.error, "unknown key tenant.nope"));
    conf_dispose(&c);
}

static void test_reference_lists_every_key(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    conf_write_reference(f);
    fclose(f);
    static const char *const keys[] = {
        "state",      "metrics",      "retention",  "early_interval", "final_horizon",
        "window",     "budget_share", "auth_retry", "log_level",      "base_url",
        "principal",  "secret_file",  "secret_env", "cacert",         "proxy",
        "insecure",   "timeout",      "since",      "endpoint",       "threat_status",
        "outputs",    "type",         "path",       "format",         "rotate_size",
        "rotate_keep"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char needle[64];
        snprintf(needle, sizeof(needle), ".B %s\n", keys[i]);
        if (strstr(text, needle) == NULL) {
            fail_msg("reference misses %s", keys[i]);
        }
    }
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_values),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_network_outputs),
        cmocka_unit_test(test_kafka_properties),
        cmocka_unit_test(test_credentials),
        cmocka_unit_test(test_sizes_and_flags),
        cmocka_unit_test(test_reference_lists_every_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
