/*
 * pptap search: events in the local store by recipient, sender, URL (raw or
 * decoded), attachment hash, threat, campaign, GUID, message id, type,
 * classification, status and time; NDJSON or a table.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd_store.h"

void cmd_search_usage(FILE *out)
{
    fputs("usage: pptap search --state PATH [filters] [--limit N] [--table | --json]\n"
          "\n"
          "Finds events in the local store the collector fills, newest first. Every\n"
          "filter given must match. Addresses, hashes, threat and campaign ids,\n"
          "classification and status compare without case.\n"
          "\n"
          "Output is one JSON object per event: the event as TAP sent it plus a \"pptap\"\n"
          "object (event_id, event_type, tenant, first_seen, last_seen, updates). On a\n"
          "terminal, or with --table, a readable table instead.\n"
          "\n"
          "Options:\n"
          "  -S, --state PATH         the store (SQLite file) to read\n"
          "      --tenant NAME        events of this tenant only\n"
          "      --recipient ADDR     a recipient of the message, or the clicker\n"
          "      --sender ADDR        the envelope sender\n"
          "      --url URL            a threat URL or clicked URL, whole; matches the\n"
          "                           rewritten link and its decoded target (a URL\n"
          "                           Defense link given here is decoded too)\n"
          "      --url-contains TEXT  a threat or clicked URL containing TEXT (raw or\n"
          "                           decoded)\n"
          "      --sha256 HASH        an attachment (messageParts) or attachment threat\n"
          "      --threat-id ID       a threat of the event\n"
          "      --campaign-id ID     a campaign of the event\n"
          "      --guid GUID          the PPS message GUID\n"
          "      --message-id ID      the Message-ID header (angle brackets optional)\n"
          "      --type TYPE          clicksPermitted, clicksBlocked, messagesDelivered or\n"
          "                           messagesBlocked; repeat or separate with commas\n"
          "      --classification C   malware, phish, spam, impostor, toad…\n"
          "      --status S           threat status: active, cleared, falsePositive\n"
          "      --from TIME          event time at or after TIME\n"
          "      --to TIME            event time before TIME\n"
          "                           TIME: ISO 8601 date-time, a date (UTC midnight),\n"
          "                           or a duration before now (\"7d\", \"36h\")\n"
          "  -n, --limit N            at most N events (default 1000, at most 1000000)\n"
          "  -t, --table              print a table, even when not on a terminal\n"
          "  -j, --json               print NDJSON, even on a terminal\n"
          "  -h, --help               show this help and exit\n"
          "\n"
          "Exit status: 0 ok (also when nothing matches), 64 bad arguments, 66 no store\n"
          "at PATH, 74 the store cannot be read, 78 the store's mode or schema refused.\n",
          out);
}

int cli_store_open(pptap_store **out, const char *path)
{
    pptap_store_opts o = {0};
    o.flags = PPTAP_STORE_NOCREATE;
    char err[PPTAP_ERRMSG_LEN];
    int rc = pptap_store_open(out, path, &o, err);
    if (rc == 0) {
        return 0;
    }
    switch (rc) {
    case PPTAP_ENOTFOUND:
        cli_err("no store at '%s' (run 'pptap collect' first, or check --state)", path);
        return EXIT_NOINPUT;
    case PPTAP_ECONFIG:
        cli_err("%s", err);
        return EXIT_CONFIG;
    case PPTAP_ENOMEM:
        cli_err("out of memory");
        return EXIT_SOFTWARE;
    default:
        cli_err("cannot open the store '%s': %s", path, err);
        return EXIT_IOERR;
    }
}

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }
    return 1;
}

int cli_store_time(pptap_time_ms *out, const char *s)
{
    size_t n = strlen(s);
    if (n == 10 && digits(s, 4) && s[4] == '-' && digits(s + 5, 2) && s[7] == '-' &&
        digits(s + 8, 2)) {
        char full[32];
        snprintf(full, sizeof full, "%sT00:00:00Z", s);
        return pptap_time_parse(out, full, strlen(full)) == 0 ? 0 : -1;
    }
    if (pptap_time_parse(out, s, n) == 0) {
        return 0;
    }
    int64_t d;
    if (pptap_duration_parse_human(&d, s) == 0 && d >= 0) {
        pptap_time_ms now = pptap_time_now();
        const char *env = getenv("PPTAP_NOW");
        if (env != NULL && env[0] != '\0' && pptap_time_parse(&now, env, strlen(env)) != 0) {
            return -1;
        }
        *out = now - d;
        return 0;
    }
    return -1;
}

/* Parses a comma list of event type names (any case) into bits. */
static int parse_types(const char *arg, unsigned *bits)
{
    const char *p = arg;
    while (*p != '\0') {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        int found = 0;
        for (int t = 0; t < PPTAP_EVENT_COUNT_; t++) {
            const char *name = pptap_event_type_name((pptap_event_type)t);
            if (strlen(name) == n && strncasecmp(name, p, n) == 0) {
                *bits |= 1u << t;
                found = 1;
            }
        }
        if (!found) {
            cli_err("unknown event type '%.*s' (clicksPermitted, clicksBlocked, "
                    "messagesDelivered, messagesBlocked)",
                    (int)n, p);
            return -1;
        }
        p = e ? e + 1 : p + n;
    }
    return 0;
}

typedef struct {
    cli_out out;
    int table;
    size_t n;
} search_ctx;

static void put_time(cli_out *o, pptap_time_ms t)
{
    char ts[PPTAP_TIME_STRLEN];
    pptap_time_format_ms(ts, t);
    cli_out_putc(o, '"');
    cli_out_puts(o, ts);
    cli_out_putc(o, '"');
}

static void put_ndjson(search_ctx *c, const pptap_store_event *ev)
{
    cli_out *o = &c->out;
    size_t n = ev->raw_len;
    while (n > 0 && ev->raw[n - 1] != '}') {
        n--;
    }
    if (n == 0) {
        return;
    }
    n--; /* the closing brace */
    cli_out_put(o, ev->raw, n);
    size_t k = n;
    while (k > 0 && (ev->raw[k - 1] == ' ' || ev->raw[k - 1] == '\n')) {
        k--;
    }
    if (k > 0 && ev->raw[k - 1] != '{') {
        cli_out_putc(o, ',');
    }
    char num[32];
    cli_out_puts(o, "\"pptap\":{\"event_id\":");
    cli_out_json_str(o, ev->event_id, strlen(ev->event_id));
    cli_out_puts(o, ",\"event_type\":\"");
    cli_out_puts(o, pptap_event_type_name(ev->type));
    cli_out_puts(o, "\",\"tenant\":");
    cli_out_json_str(o, ev->tenant, strlen(ev->tenant));
    cli_out_puts(o, ",\"first_seen\":");
    put_time(o, ev->first_seen);
    cli_out_puts(o, ",\"last_seen\":");
    put_time(o, ev->last_seen);
    snprintf(num, sizeof num, ",\"updates\":%lld}}\n", (long long)ev->updates);
    cli_out_puts(o, num);
}

/* Writes s padded or cut to `width` columns (bytes; control bytes as '?'). */
static void put_cell(cli_out *o, const char *s, size_t width, int last)
{
    if (s == NULL || s[0] == '\0') {
        s = "-";
    }
    size_t n = strlen(s);
    size_t shown = n > width && !last ? width - 3 : n;
    for (size_t i = 0; i < shown; i++) {
        unsigned char ch = (unsigned char)s[i];
        cli_out_putc(o, ch < 0x20 || ch == 0x7F ? '?' : (char)ch);
    }
    if (last) {
        cli_out_putc(o, '\n');
        return;
    }
    if (shown < n) {
        cli_out_puts(o, "...");
        shown = width;
    }
    for (size_t i = shown; i < width + 2; i++) {
        cli_out_putc(o, ' ');
    }
}

static void put_row(search_ctx *c, const pptap_store_event *ev)
{
    char ts[PPTAP_TIME_STRLEN];
    pptap_time_format(ts, ev->event_time);
    json_error_t je;
    json_t *j = json_loadb(ev->raw, ev->raw_len, 0, &je);
    const char *rcpt = NULL, *sender = NULL, *cls = NULL, *status = NULL, *what = NULL;
    pptap_message_obj *mo = NULL;
    pptap_click_obj *co = NULL;
    char more[256] = "";
    if (j != NULL &&
        (ev->type == PPTAP_EVENT_MESSAGES_DELIVERED || ev->type == PPTAP_EVENT_MESSAGES_BLOCKED)) {
        if (pptap_message_parse(&mo, j) == 0) {
            const pptap_message *m = pptap_message_get(mo);
            rcpt = m->recipient.n > 0 ? m->recipient.v[0] : NULL;
            if (m->recipient.n > 1) {
                snprintf(more, sizeof more, "%s (+%zu)", rcpt, m->recipient.n - 1);
                rcpt = more;
            }
            sender = m->sender;
            if (m->n_threats > 0) {
                cls = m->threats[0].classification;
                status = m->threats[0].threat_status;
                what = m->threats[0].threat;
            }
            if (m->subject != NULL && what == NULL) {
                what = m->subject;
            }
        }
    } else if (j != NULL) {
        if (pptap_click_parse(&co, j) == 0) {
            const pptap_click *k = pptap_click_get(co);
            rcpt = k->recipient;
            sender = k->sender;
            cls = k->classification;
            status = k->threat_status;
            what = k->url;
        }
    }
    put_cell(&c->out, ts, 20, 0);
    put_cell(&c->out, pptap_event_type_name(ev->type), 17, 0);
    put_cell(&c->out, rcpt, 32, 0);
    put_cell(&c->out, sender, 28, 0);
    put_cell(&c->out, cls, 10, 0);
    put_cell(&c->out, status, 9, 0);
    put_cell(&c->out, what, 0, 1);
    pptap_message_free(mo);
    pptap_click_free(co);
    json_decref(j);
}

static int on_event(const pptap_store_event *ev, void *payload)
{
    search_ctx *c = payload;
    if (c->table) {
        put_row(c, ev);
    } else {
        put_ndjson(c, ev);
    }
    c->n++;
    return c->out.failed ? 1 : 0;
}

enum {
    O_TENANT = 256,
    O_RECIPIENT,
    O_SENDER,
    O_URL,
    O_URL_CONTAINS,
    O_SHA256,
    O_THREAT_ID,
    O_CAMPAIGN_ID,
    O_GUID,
    O_MESSAGE_ID,
    O_TYPE,
    O_CLASSIFICATION,
    O_STATUS,
    O_FROM,
    O_TO,
};

int cmd_search(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"state", required_argument, NULL, 'S'},
        {"tenant", required_argument, NULL, O_TENANT},
        {"recipient", required_argument, NULL, O_RECIPIENT},
        {"sender", required_argument, NULL, O_SENDER},
        {"url", required_argument, NULL, O_URL},
        {"url-contains", required_argument, NULL, O_URL_CONTAINS},
        {"sha256", required_argument, NULL, O_SHA256},
        {"threat-id", required_argument, NULL, O_THREAT_ID},
        {"campaign-id", required_argument, NULL, O_CAMPAIGN_ID},
        {"guid", required_argument, NULL, O_GUID},
        {"message-id", required_argument, NULL, O_MESSAGE_ID},
        {"type", required_argument, NULL, O_TYPE},
        {"classification", required_argument, NULL, O_CLASSIFICATION},
        {"status", required_argument, NULL, O_STATUS},
        {"from", required_argument, NULL, O_FROM},
        {"to", required_argument, NULL, O_TO},
        {"limit", required_argument, NULL, 'n'},
        {"table", no_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    pptap_store_query q;
    memset(&q, 0, sizeof q);
    const char *state = NULL;
    int table = -1;
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+:S:n:tjh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'S':
            state = optarg;
            break;
        case O_TENANT:
            q.tenant = optarg;
            break;
        case O_RECIPIENT:
            q.recipient = optarg;
            break;
        case O_SENDER:
            q.sender = optarg;
            break;
        case O_URL:
        case O_URL_CONTAINS:
            if (q.url != NULL) {
                cli_err("give one of --url and --url-contains, once");
                return EXIT_USAGE;
            }
            q.url = optarg;
            q.url_match = opt == O_URL ? PPTAP_STORE_URL_EXACT : PPTAP_STORE_URL_SUBSTRING;
            break;
        case O_SHA256:
            q.sha256 = optarg;
            break;
        case O_THREAT_ID:
            q.threat_id = optarg;
            break;
        case O_CAMPAIGN_ID:
            q.campaign_id = optarg;
            break;
        case O_GUID:
            q.guid = optarg;
            break;
        case O_MESSAGE_ID:
            q.message_id = optarg;
            break;
        case O_TYPE:
            if (parse_types(optarg, &q.types) != 0) {
                return EXIT_USAGE;
            }
            break;
        case O_CLASSIFICATION:
            q.classification = optarg;
            break;
        case O_STATUS:
            q.threat_status = optarg;
            break;
        case O_FROM:
        case O_TO:
            if (cli_store_time(opt == O_FROM ? &q.from : &q.to, optarg) != 0) {
                cli_err("%s: '%s' is not a date-time, a date or a duration",
                        opt == O_FROM ? "--from" : "--to", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'n': {
            char *end;
            errno = 0;
            long long v = strtoll(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0' || v < 1 ||
                v > PPTAP_STORE_SEARCH_MAX) {
                cli_err("--limit: '%s' is not a number from 1 to %d", optarg,
                        PPTAP_STORE_SEARCH_MAX);
                return EXIT_USAGE;
            }
            q.limit = (size_t)v;
            break;
        }
        case 't':
            table = 1;
            break;
        case 'j':
            table = 0;
            break;
        case 'h':
            cmd_search_usage(stdout);
            return 0;
        default:
            return cli_usage_error("search", argv, opt);
        }
    }
    if (optind < argc) {
        cli_err("unexpected argument '%s' (filters are options; see 'pptap search --help')",
                argv[optind]);
        return EXIT_USAGE;
    }
    if (state == NULL) {
        cli_err("give the store with --state PATH");
        return EXIT_USAGE;
    }
    if (q.from != 0 && q.to != 0 && q.to <= q.from) {
        cli_err("--to must be after --from");
        return EXIT_USAGE;
    }
    pptap_store *st;
    int rc = cli_store_open(&st, state);
    if (rc != 0) {
        return rc;
    }
    search_ctx c;
    memset(&c, 0, sizeof c);
    c.table = table >= 0 ? table : isatty(STDOUT_FILENO);
    if (cli_out_init(&c.out, STDOUT_FILENO, 1u << 16) != 0) {
        pptap_store_close(st);
        cli_err("out of memory");
        return EXIT_SOFTWARE;
    }
    if (c.table) {
        put_cell(&c.out, "TIME", 20, 0);
        put_cell(&c.out, "TYPE", 17, 0);
        put_cell(&c.out, "RECIPIENT", 32, 0);
        put_cell(&c.out, "SENDER", 28, 0);
        put_cell(&c.out, "CLASS", 10, 0);
        put_cell(&c.out, "STATUS", 9, 0);
        put_cell(&c.out, "URL / THREAT / SUBJECT", 0, 1);
    }
    int src = pptap_store_search(st, &q, on_event, &c);
    if (src != 0 && src != PPTAP_ECANCELED) {
        cli_err("search failed: %s", pptap_store_last_error(st));
        rc = src == PPTAP_EINVAL ? EXIT_USAGE : EXIT_IOERR;
    }
    if (cli_out_flush(&c.out) != 0 || c.out.failed) {
        if (rc == 0) {
            cli_err("cannot write the output");
            rc = EXIT_IOERR;
        }
    }
    if (rc == 0 && c.table) {
        fprintf(stderr, "%zu event%s\n", c.n, c.n == 1 ? "" : "s");
    }
    cli_out_dispose(&c.out);
    pptap_store_close(st);
    return rc;
}
