/*
 * pptap siem: SIEM events of one endpoint for a time range, as NDJSON (each
 * event with its "eventType") or the API's syslog lines. Long ranges are cut
 * into consecutive windows of at most one hour, [start, end) each, with no
 * overlap, no gap and none shorter than 30 s.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"

#define HOUR_MS PPTAP_INTERVAL_MAX_MS
#define MIN_MS PPTAP_INTERVAL_MIN_MS
/* Attempts of one window when a stream fails after delivering events. */
#define WINDOW_ATTEMPTS 4

void cmd_siem_usage(FILE *out)
{
    fputs("usage: pptap siem [TYPE] (--since DURATION | --from TIME [--to TIME] |\n"
          "                         --interval ISO | --since-seconds N | --since-time TIME)\n"
          "                  [--threat-type LIST] [--threat-status LIST]\n"
          "                  [--format json|syslog] [--dry-run]\n"
          "\n"
          "Prints the SIEM events of TYPE: all (the default), issues, clicks-blocked,\n"
          "clicks-permitted, messages-blocked or messages-delivered.\n"
          "\n"
          "Time range (exactly one):\n"
          "  --since DURATION      the last DURATION (90s, 30m, 6h, 2d, 1h30m; at most 7d)\n"
          "  --from TIME           from TIME (ISO 8601) ...\n"
          "  --to TIME             ... to TIME (default now); with --from\n"
          "                        --since and --from are cut into consecutive requests of at\n"
          "                        most 1 h; how many is said on stderr before they are sent\n"
          "  --interval ISO        one request for START/END, DURATION/END or START/DURATION\n"
          "                        (30 s to 1 h, within the last 7 days)\n"
          "  --since-seconds N     one request for the last N seconds (30 to 3600)\n"
          "  --since-time TIME     one request from TIME (30 s to 1 h ago) to the server's now\n"
          "\n"
          "Filters (repeatable or comma lists; case does not matter):\n"
          "  --threat-type LIST    url, attachment, messageText\n"
          "  --threat-status LIST  active, cleared, falsePositive (API default: active,cleared)\n"
          "\n"
          "Output:\n"
          "  --format FORMAT       json (default): one event per line, the API's object with\n"
          "                        an \"eventType\" key first (clicksBlocked, clicksPermitted,\n"
          "                        messagesBlocked, messagesDelivered); syslog: the API's lines\n"
          "  -n, --dry-run         print the windows that would be requested and exit\n"
          "  -h, --help            show this help and exit\n"
          "\n"
          "Exit status: 0 ok, 64 bad arguments, 65 a response that does not parse, 69 API\n"
          "unreachable, 75 rate limit or timeout, 77 credentials refused, 78 no credentials.\n",
          out);
}

static const struct {
    const char *name;
    pptap_endpoint ep;
} types[] = {
    {"all", PPTAP_EP_SIEM_ALL},
    {"issues", PPTAP_EP_SIEM_ISSUES},
    {"clicks-blocked", PPTAP_EP_SIEM_CLICKS_BLOCKED},
    {"clicks-permitted", PPTAP_EP_SIEM_CLICKS_PERMITTED},
    {"messages-blocked", PPTAP_EP_SIEM_MESSAGES_BLOCKED},
    {"messages-delivered", PPTAP_EP_SIEM_MESSAGES_DELIVERED},
};

static const char *const endpoint_paths[] = {
    "/v2/siem/all",
    "/v2/siem/issues",
    "/v2/siem/clicks/blocked",
    "/v2/siem/clicks/permitted",
    "/v2/siem/messages/blocked",
    "/v2/siem/messages/delivered",
};

/* A set of 64-bit event hashes (open addressing; 0 marks an empty slot). */
typedef struct {
    uint64_t *v;
    size_t cap, n;
} hset;

static int hset_add(hset *s, uint64_t h)
{
    if (h == 0) {
        h = 1;
    }
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        uint64_t *v = calloc(cap, sizeof *v);
        if (v == NULL) {
            return -1;
        }
        for (size_t i = 0; i < s->cap; i++) {
            if (s->v[i] != 0) {
                size_t j = s->v[i] & (cap - 1);
                while (v[j] != 0) {
                    j = (j + 1) & (cap - 1);
                }
                v[j] = s->v[i];
            }
        }
        free(s->v);
        s->v = v;
        s->cap = cap;
    }
    size_t j = h & (s->cap - 1);
    while (s->v[j] != 0) {
        if (s->v[j] == h) {
            return 0;
        }
        j = (j + 1) & (s->cap - 1);
    }
    s->v[j] = h;
    s->n++;
    return 1;
}

static int hset_has(const hset *s, uint64_t h)
{
    if (h == 0) {
        h = 1;
    }
    if (s->cap == 0) {
        return 0;
    }
    size_t j = h & (s->cap - 1);
    while (s->v[j] != 0) {
        if (s->v[j] == h) {
            return 1;
        }
        j = (j + 1) & (s->cap - 1);
    }
    return 0;
}

static void hset_clear(hset *s)
{
    if (s->v != NULL) {
        memset(s->v, 0, s->cap * sizeof *s->v);
    }
    s->n = 0;
}

static uint64_t fnv(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

typedef struct {
    cli_out out;
    hset seen;    /* events written in the current window */
    int retrying; /* the window is being fetched again: skip what was written */
    size_t written;
    size_t skipped;
    int oom;
} siem_ctx;

/* Identity of an event within a window: its type and id (or its content). */
static uint64_t event_hash(pptap_event_type type, json_t *ev)
{
    const char *tn = pptap_event_type_name(type);
    uint64_t h = fnv(0xcbf29ce484222325ull, tn, strlen(tn) + 1);
    const char *id = json_string_value(json_object_get(ev, "id"));
    if (id != NULL) {
        return fnv(h, id, strlen(id));
    }
    char *dump = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (dump != NULL) {
        h = fnv(h, dump, strlen(dump));
        free(dump);
    }
    return h;
}

typedef struct {
    cli_out *o;
    int skip; /* bytes still to skip (the object's opening brace) */
} tail_writer;

static int put_tail(const char *buffer, size_t size, void *data)
{
    tail_writer *w = data;
    while (w->skip > 0 && size > 0) {
        buffer++;
        size--;
        w->skip--;
    }
    cli_out_put(w->o, buffer, size);
    return 0;
}

static int on_event(pptap_event_type type, json_t *ev, void *payload)
{
    siem_ctx *c = payload;
    uint64_t h = event_hash(type, ev);
    if (c->retrying && hset_has(&c->seen, h)) {
        c->skipped++;
        return 0;
    }
    if (hset_add(&c->seen, h) < 0) {
        c->oom = 1;
        return 1;
    }
    cli_out_puts(&c->out, "{\"eventType\":\"");
    cli_out_puts(&c->out, pptap_event_type_name(type));
    cli_out_putc(&c->out, '"');
    if (json_is_object(ev) && json_object_size(ev) > 0) {
        tail_writer w = {&c->out, 1};
        cli_out_putc(&c->out, ',');
        json_dump_callback(ev, put_tail, &w, JSON_COMPACT);
    } else {
        cli_out_putc(&c->out, '}');
    }
    cli_out_putc(&c->out, '\n');
    c->written++;
    return c->out.failed ? 1 : 0;
}

/* Parses a comma list of threat types or statuses into bits. */
static int parse_filter(const char *arg, unsigned (*bit)(const char *), unsigned *bits,
                        const char *what, const char *allowed)
{
    char item[64];
    const char *p = arg;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (n == 0 || n >= sizeof item) {
            cli_err("%s: empty or overlong value in \"%s\" (allowed: %s)", what, arg, allowed);
            return -1;
        }
        memcpy(item, p, n);
        item[n] = '\0';
        unsigned b = bit(item);
        if (b == 0) {
            cli_err("%s: unknown value \"%s\" (allowed: %s)", what, item, allowed);
            return -1;
        }
        *bits |= b;
        if (comma == NULL) {
            return 0;
        }
        p = comma + 1;
    }
}

static int is_retryable_after_events(int rc)
{
    return rc == PPTAP_EPROTO || rc == PPTAP_EUNAVAIL || rc == PPTAP_ETIMEOUT ||
           rc == PPTAP_ESERVER;
}

/* Fetches one query as JSON, retrying the window when the stream broke after
 * events were written (the library retries only before the first one). */
static int fetch_json(pptap_client *cl, const pptap_siem_query *q, siem_ctx *c, const char *label)
{
    hset_clear(&c->seen);
    c->retrying = 0;
    for (int attempt = 1;; attempt++) {
        pptap_stream_result res;
        int rc = pptap_siem_stream(cl, q, on_event, c, &res);
        if (rc == 0) {
            if (cli_out_flush(&c->out) != 0) {
                cli_err("cannot write output: %s", strerror(c->out.failed));
                return EXIT_IOERR;
            }
            return 0;
        }
        if (c->oom) {
            cli_err("out of memory");
            return EXIT_SOFTWARE;
        }
        if (rc == PPTAP_ECANCELED && c->out.failed) {
            cli_err("cannot write output: %s", strerror(c->out.failed));
            return EXIT_IOERR;
        }
        if (res.delivered > 0 && is_retryable_after_events(rc) && attempt < WINDOW_ATTEMPTS) {
            cli_err("%s: %s after %zu events; fetching the window again (attempt %d of %d), "
                    "events already written are skipped",
                    label, pptap_client_last_error(cl), res.delivered, attempt + 1,
                    WINDOW_ATTEMPTS);
            (void)cli_out_flush(&c->out);
            c->retrying = 1;
            struct timespec ts = {0, 200 * 1000 * 1000L * attempt};
            nanosleep(&ts, NULL);
            continue;
        }
        (void)cli_out_flush(&c->out);
        return cli_api_error(cl, rc);
    }
}

static int fetch_syslog(pptap_client *cl, const pptap_siem_query *q, cli_out *out)
{
    pptap_buf body = PPTAP_BUF_INIT;
    int rc = pptap_siem_fetch(cl, &body, q);
    if (rc != 0) {
        pptap_buf_dispose(&body);
        return cli_api_error(cl, rc);
    }
    if (body.len > 0) {
        cli_out_put(out, body.ptr, body.len);
        if (body.ptr[body.len - 1] != '\n') {
            cli_out_putc(out, '\n');
        }
    }
    pptap_buf_dispose(&body);
    if (cli_out_flush(out) != 0) {
        cli_err("cannot write output: %s", strerror(out->failed));
        return EXIT_IOERR;
    }
    return 0;
}

enum {
    O_INTERVAL = 256,
    O_SINCE_SECONDS,
    O_SINCE_TIME,
    O_SINCE,
    O_FROM,
    O_TO,
    O_THREAT_TYPE,
    O_THREAT_STATUS,
    O_FORMAT,
};

int cmd_siem(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"interval", required_argument, NULL, O_INTERVAL},
        {"since-seconds", required_argument, NULL, O_SINCE_SECONDS},
        {"since-time", required_argument, NULL, O_SINCE_TIME},
        {"since", required_argument, NULL, O_SINCE},
        {"from", required_argument, NULL, O_FROM},
        {"to", required_argument, NULL, O_TO},
        {"threat-type", required_argument, NULL, O_THREAT_TYPE},
        {"threat-status", required_argument, NULL, O_THREAT_STATUS},
        {"format", required_argument, NULL, O_FORMAT},
        {"dry-run", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    pptap_siem_query q = {0};
    const char *since = NULL, *from = NULL, *to = NULL, *since_seconds = NULL;
    int dry_run = 0, selectors = 0;
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":nh", longopts, NULL)) != -1) {
        switch (opt) {
        case O_INTERVAL:
            q.interval = optarg;
            selectors++;
            break;
        case O_SINCE_SECONDS:
            since_seconds = optarg;
            selectors++;
            break;
        case O_SINCE_TIME:
            q.since_time = optarg;
            selectors++;
            break;
        case O_SINCE:
            since = optarg;
            selectors++;
            break;
        case O_FROM:
            from = optarg;
            selectors++;
            break;
        case O_TO:
            to = optarg;
            break;
        case O_THREAT_TYPE:
            if (parse_filter(optarg, pptap_threat_type_bit, &q.threat_types, "--threat-type",
                             "url, attachment, messageText") != 0) {
                return EXIT_USAGE;
            }
            break;
        case O_THREAT_STATUS:
            if (parse_filter(optarg, pptap_threat_status_bit, &q.threat_statuses, "--threat-status",
                             "active, cleared, falsePositive") != 0) {
                return EXIT_USAGE;
            }
            break;
        case O_FORMAT:
            if (strcasecmp(optarg, "json") == 0) {
                q.format = PPTAP_FORMAT_JSON;
            } else if (strcasecmp(optarg, "syslog") == 0) {
                q.format = PPTAP_FORMAT_SYSLOG;
            } else {
                cli_err("--format must be json or syslog, not \"%s\"", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'n':
            dry_run = 1;
            break;
        case 'h':
            cmd_siem_usage(stdout);
            return 0;
        default:
            return cli_usage_error("siem", argv, opt);
        }
    }
    const char *type = optind < argc ? argv[optind] : "all";
    int found = 0;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (strcmp(types[i].name, type) == 0) {
            q.endpoint = types[i].ep;
            found = 1;
        }
    }
    if (!found) {
        cli_err("unknown event type \"%s\": use all, issues, clicks-blocked, clicks-permitted, "
                "messages-blocked or messages-delivered",
                type);
        return EXIT_USAGE;
    }
    if (optind + 1 < argc) {
        cli_err("unexpected argument '%s' (see 'pptap siem --help')", argv[optind + 1]);
        return EXIT_USAGE;
    }
    if (to != NULL && from == NULL) {
        cli_err("--to needs --from");
        return EXIT_USAGE;
    }
    if (selectors == 0) {
        cli_err("give a time range: --since DURATION, --from TIME [--to TIME], --interval ISO, "
                "--since-seconds N or --since-time TIME");
        return EXIT_USAGE;
    }
    if (selectors > 1) {
        cli_err("give one time range only (--since, --from, --interval, --since-seconds or "
                "--since-time)");
        return EXIT_USAGE;
    }
    pptap_time_ms now = cli_now();
    char err[PPTAP_ERRMSG_LEN];
    pptap_time_ms *wins = NULL;
    long nwin = 0;
    if (since != NULL || from != NULL) {
        pptap_time_ms start, end;
        int urc = cli_parse_range(since, from, to, now, &start, &end);
        if (urc != 0) {
            return urc;
        }
        size_t cap = (size_t)((end - start) / HOUR_MS) + 3;
        wins = calloc(cap + 1, sizeof *wins);
        if (wins == NULL) {
            cli_err("out of memory");
            return EXIT_SOFTWARE;
        }
        nwin = cli_plan_windows(start, end, HOUR_MS, wins, cap);
        /* every window must pass the library's rules before anything is sent */
        for (long i = 0; i < nwin; i++) {
            pptap_siem_query w = q;
            w.start = wins[i];
            w.end = wins[i + 1];
            if (pptap_siem_query_validate(&w, now, err) != 0) {
                cli_err("%s", err);
                free(wins);
                return EXIT_USAGE;
            }
        }
    } else {
        if (since_seconds != NULL) {
            long v;
            if (cli_parse_int(since_seconds, -1000000000L, 1000000000L, &v) != 0) {
                cli_err("--since-seconds needs a number of seconds, not \"%s\"", since_seconds);
                return EXIT_USAGE;
            }
            if (v == 0) {
                cli_err("sinceSeconds must be between 30 and 3600, not 0");
                return EXIT_USAGE;
            }
            q.since_seconds = v;
        }
        if (pptap_siem_query_validate(&q, now, err) != 0) {
            cli_err("%s", err);
            return EXIT_USAGE;
        }
    }

    if (dry_run) {
        char line[2 * PPTAP_TIME_STRLEN + 8];
        if (wins != NULL) {
            for (long i = 0; i < nwin; i++) {
                cli_format_window(line, sizeof line, wins[i], wins[i + 1]);
                printf("%s %s\n", endpoint_paths[q.endpoint], line);
            }
        } else if (q.interval != NULL) {
            printf("%s interval=%s\n", endpoint_paths[q.endpoint], q.interval);
        } else if (q.since_seconds != 0) {
            printf("%s sinceSeconds=%lld\n", endpoint_paths[q.endpoint],
                   (long long)q.since_seconds);
        } else {
            printf("%s sinceTime=%s\n", endpoint_paths[q.endpoint], q.since_time);
        }
        free(wins);
        return 0;
    }

    pptap_client *cl = NULL;
    int rc = cli_client_open(&cl);
    if (rc != 0) {
        free(wins);
        return rc;
    }
    siem_ctx c;
    memset(&c, 0, sizeof c);
    if (cli_out_init(&c.out, STDOUT_FILENO, 1u << 16) != 0) {
        cli_err("out of memory");
        pptap_client_free(cl);
        free(wins);
        return EXIT_SOFTWARE;
    }
    pptap_pool pool = pptap_endpoint_pool(q.endpoint);
    if (wins != NULL) {
        char range[2 * PPTAP_TIME_STRLEN + 8];
        cli_format_window(range, sizeof range, wins[0], wins[nwin]);
        cli_err("%s: %ld request%s to %s (pool %s, %d a day)", range, nwin, nwin == 1 ? "" : "s",
                endpoint_paths[q.endpoint], pptap_pool_name(pool), pptap_pool_limit(pool));
        for (long i = 0; i < nwin && rc == 0; i++) {
            pptap_siem_query w = q;
            w.start = wins[i];
            w.end = wins[i + 1];
            char label[2 * PPTAP_TIME_STRLEN + 8];
            cli_format_window(label, sizeof label, w.start, w.end);
            rc = q.format == PPTAP_FORMAT_SYSLOG ? fetch_syslog(cl, &w, &c.out)
                                                 : fetch_json(cl, &w, &c, label);
            if (rc != 0 && i > 0) {
                cli_err("stopped at window %ld of %ld (%s); the events of the windows before it "
                        "were written",
                        i + 1, nwin, label);
            }
        }
    } else {
        rc = q.format == PPTAP_FORMAT_SYSLOG ? fetch_syslog(cl, &q, &c.out)
                                             : fetch_json(cl, &q, &c, "the window");
    }
    cli_out_dispose(&c.out);
    free(c.seen.v);
    pptap_client_free(cl);
    free(wins);
    return rc;
}
