/*
 * store-load: a test helper that fills a pptap store through the library.
 *
 *   store-load STORE TENANT TYPE FILE [TYPE FILE]...
 *       loads every JSON value of FILE (NDJSON or pretty-printed, one after
 *       another) in one transaction. TYPE is an event type name
 *       (clicksPermitted…) for files of events, or "siem" for files of SIEM
 *       responses, whose arrays give the types. Prints the outcome counts.
 *   store-load --bench N STORE
 *       times N synthetic events (half messages, half clicks) put in one
 *       transaction and prints events per second.
 *
 * First/last seen come from $PPTAP_NOW when it is set, so outputs are stable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pptap/store.h>

static pptap_time_ms fixed_now;

static pptap_time_ms env_clock(void *payload)
{
    (void)payload;
    return fixed_now != 0 ? fixed_now : pptap_time_now();
}

static size_t counts[4];

static int put(pptap_store *st, const char *tenant, pptap_event_type t, json_t *ev)
{
    pptap_store_put_result r;
    int rc = pptap_store_put_event(st, tenant, t, ev, &r);
    if (rc != 0) {
        fprintf(stderr, "store-load: %s: %s\n", pptap_strerror(rc), pptap_store_last_error(st));
        return 1;
    }
    counts[r.outcome]++;
    return 0;
}

static int load_file(pptap_store *st, const char *tenant, const char *type, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return 1;
    }
    static char buf[16 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    size_t off = 0;
    pptap_event_type et = PPTAP_EVENT_CLICKS_PERMITTED;
    int siem = strcmp(type, "siem") == 0;
    if (!siem && pptap_event_type_parse(&et, type) != 0) {
        fprintf(stderr, "store-load: unknown type '%s'\n", type);
        return 1;
    }
    while (off < n) {
        while (off < n &&
               (buf[off] == ' ' || buf[off] == '\n' || buf[off] == '\r' || buf[off] == '\t')) {
            off++;
        }
        if (off >= n) {
            break;
        }
        json_error_t je;
        json_t *v = json_loadb(buf + off, n - off, JSON_DISABLE_EOF_CHECK, &je);
        if (v == NULL) {
            /* not JSON: quarantine the line */
            char *nl = memchr(buf + off, '\n', n - off);
            size_t len = nl ? (size_t)(nl - (buf + off)) : n - off;
            if (pptap_store_quarantine_add(st, tenant, siem ? NULL : type, "not JSON", buf + off,
                                           len) != 0) {
                return 1;
            }
            counts[PPTAP_STORE_QUARANTINED]++;
            off += len;
            continue;
        }
        off += je.position;
        int rc = 0;
        if (siem) {
            for (int t = 0; t < PPTAP_EVENT_COUNT_ && rc == 0; t++) {
                json_t *arr = json_object_get(v, pptap_event_type_name((pptap_event_type)t));
                for (size_t i = 0; i < json_array_size(arr) && rc == 0; i++) {
                    rc = put(st, tenant, (pptap_event_type)t, json_array_get(arr, i));
                }
            }
        } else if (json_object_get(v, "queryEndTime") == NULL) {
            rc = put(st, tenant, et, v);
        }
        json_decref(v);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench(pptap_store *st, long n)
{
    char buf[4096];
    json_t **evs = malloc((size_t)n * sizeof *evs);
    if (evs == NULL) {
        return 1;
    }
    pptap_time_ms t0 = 1741082400000LL; /* 2025-03-04T10:00:00Z */
    for (long i = 0; i < n; i++) {
        char ts[PPTAP_TIME_STRLEN];
        pptap_time_format_ms(ts, t0 + i * 17);
        if (i % 2 == 0) {
            snprintf(buf, sizeof buf,
                     "{\"id\":\"m-%ld\",\"GUID\":\"G%ld\",\"messageTime\":\"%s\","
                     "\"messageID\":\"<%ld@mailer.example>\",\"sender\":\"s%ld@bad.example\","
                     "\"senderIP\":\"198.51.100.%ld\",\"recipient\":[\"user%ld@example.com\"],"
                     "\"subject\":\"Invoice %ld\",\"spamScore\":12,\"phishScore\":87,"
                     "\"messageParts\":[{\"md5\":\"%032ld\",\"sha256\":\"%064ld\","
                     "\"filename\":\"text.html\",\"contentType\":\"text/html\"}],"
                     "\"threatsInfoMap\":[{\"threatID\":\"%064ld\",\"threatStatus\":\"active\","
                     "\"classification\":\"phish\",\"threatType\":\"url\","
                     "\"threat\":\"https://bad%ld.example/login\",\"campaignID\":\"c-%ld\","
                     "\"threatTime\":\"%s\",\"threatUrl\":\"https://threatinsight.proofpoint.com"
                     "/x/threat/email/%ld\"}]}",
                     i, i / 4, ts, i, i % 500, i % 250, i % 5000, i, i, i, i % 1000, i % 1000,
                     i % 50, ts, i % 1000);
        } else {
            snprintf(
                buf, sizeof buf,
                "{\"id\":\"c-%ld\",\"GUID\":\"G%ld\",\"clickTime\":\"%s\","
                "\"recipient\":\"user%ld@example.com\",\"url\":\"https://bad%ld.example/login\","
                "\"classification\":\"phish\",\"threatID\":\"%064ld\","
                "\"threatStatus\":\"active\",\"campaignId\":\"c-%ld\","
                "\"clickIP\":\"203.0.113.%ld\",\"sender\":\"s%ld@bad.example\","
                "\"userAgent\":\"Mozilla/5.0\",\"threatTime\":\"%s\"}",
                i, i / 4, ts, i % 5000, i % 1000, i % 1000, i % 50, i % 250, i % 500, ts);
        }
        json_error_t je;
        evs[i] = json_loads(buf, 0, &je);
        if (evs[i] == NULL) {
            fprintf(stderr, "store-load: bench event: %s\n", je.text);
            return 1;
        }
    }
    double a = seconds();
    int rc = pptap_store_begin(st);
    for (long i = 0; i < n && rc == 0; i++) {
        rc =
            put(st, "bench",
                i % 2 == 0 ? PPTAP_EVENT_MESSAGES_DELIVERED : PPTAP_EVENT_CLICKS_PERMITTED, evs[i]);
    }
    if (rc == 0) {
        rc = pptap_store_commit(st);
    }
    double b = seconds();
    for (long i = 0; i < n; i++) {
        json_decref(evs[i]);
    }
    free(evs);
    if (rc != 0) {
        return 1;
    }
    printf("%ld events in one transaction: %.2f s, %.0f events/s\n", n, b - a, (double)n / (b - a));
    return 0;
}

int main(int argc, char **argv)
{
    const char *now = getenv("PPTAP_NOW");
    if (now != NULL && pptap_time_parse(&fixed_now, now, strlen(now)) != 0) {
        fprintf(stderr, "store-load: bad PPTAP_NOW\n");
        return 2;
    }
    int is_bench = argc == 4 && strcmp(argv[1], "--bench") == 0;
    if (!is_bench && (argc < 5 || (argc - 3) % 2 != 0)) {
        fprintf(stderr, "usage: store-load STORE TENANT TYPE FILE [TYPE FILE]...\n"
                        "       store-load --bench N STORE\n");
        return 2;
    }
    pptap_store_opts o = {0};
    o.clock = env_clock;
    pptap_store *st;
    char err[PPTAP_ERRMSG_LEN];
    if (pptap_store_open(&st, is_bench ? argv[3] : argv[1], &o, err) != 0) {
        fprintf(stderr, "store-load: %s\n", err);
        return 1;
    }
    int rc;
    if (is_bench) {
        rc = bench(st, strtol(argv[2], NULL, 10));
    } else {
        rc = pptap_store_begin(st);
        for (int i = 3; i + 1 < argc && rc == 0; i += 2) {
            rc = load_file(st, argv[2], argv[i], argv[i + 1]);
        }
        if (rc == 0) {
            rc = pptap_store_commit(st);
        }
        if (rc == 0) {
            printf("new %zu duplicate %zu updated %zu quarantined %zu\n", counts[PPTAP_STORE_NEW],
                   counts[PPTAP_STORE_DUPLICATE], counts[PPTAP_STORE_UPDATED],
                   counts[PPTAP_STORE_QUARANTINED]);
        }
    }
    pptap_store_close(st);
    return rc == 0 ? 0 : 1;
}
