/*
 * pptap campaign ids: every campaign id of a time range (all pages, in day
 * slices); pptap campaign get ID...: campaign details.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

#define DAY_MS PPTAP_CAMPAIGN_INTERVAL_MAX_MS

void cmd_campaign_usage(FILE *out)
{
    fputs("usage: pptap campaign ids (--since DURATION | --from TIME [--to TIME] |\n"
          "                           --interval ISO) [--size N] [--json] [--dry-run]\n"
          "       pptap campaign get [--json] ID...\n"
          "\n"
          "ids: lists the campaigns active in a time range (started before its end, updated\n"
          "after its start), newest update first within each day, each id once. The range\n"
          "is cut into consecutive requests of at most one day and every page is read;\n"
          "a day without campaigns (HTTP 404) is empty. The campaign ids pool allows 50\n"
          "requests a day: how many the range needs is said on stderr before sending.\n"
          "get: prints the details of each campaign: name, description, start date,\n"
          "actors, families, malware, techniques, brands and member threats.\n"
          "\n"
          "Options:\n"
          "  --since DURATION   ids: the last DURATION (e.g. 6h, 2d; at most 7d)\n"
          "  --from TIME        ids: from TIME (ISO 8601) ...\n"
          "  --to TIME          ... to TIME (default now)\n"
          "  --interval ISO     ids: one interval of at most one day (START/END, ...)\n"
          "  --size N           ids: campaigns per page, 1 to 200 (default 200)\n"
          "  -n, --dry-run      ids: print the day windows that would be requested and exit\n"
          "  -j, --json         one JSON object per line: {\"id\", \"lastUpdatedAt\"} for ids,\n"
          "                     the API's campaign object for get\n"
          "  -h, --help         show this help and exit\n"
          "\n"
          "Exit status: 0 ok, 64 bad arguments, 66 a campaign id is unknown, 69 API\n"
          "unreachable, 75 rate limit or timeout, 77 credentials refused, 78 no credentials.\n",
          out);
}

/* A tiny set of owned strings (campaigns are few). */
typedef struct {
    char **v;
    size_t n, cap;
} strset;

static int strset_add(strset *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->v[i], id) == 0) {
            return 0;
        }
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        char **v = realloc(s->v, cap * sizeof *v);
        if (v == NULL) {
            return -1;
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n] = strdup(id);
    if (s->v[s->n] == NULL) {
        return -1;
    }
    s->n++;
    return 1;
}

static void strset_free(strset *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i]);
    }
    free(s->v);
}

/* Reads every page of one window; writes the ids not seen before. */
static int ids_window(pptap_client *cl, pptap_campaign_ids_query *q, int size, int json,
                      strset *seen, cli_out *o, int *requests)
{
    for (int page = 1;; page++) {
        q->page = page;
        q->size = size;
        pptap_campaign_ids *r = NULL;
        (*requests)++;
        int err = pptap_campaign_ids_get(cl, &r, q);
        if (err != 0) {
            return cli_api_error(cl, err);
        }
        for (size_t i = 0; i < r->n_campaigns; i++) {
            const pptap_campaign_ref *c = &r->campaigns[i];
            if (c->id == NULL) {
                continue;
            }
            int added = strset_add(seen, c->id);
            if (added < 0) {
                pptap_campaign_ids_free(r);
                cli_err("out of memory");
                return EXIT_SOFTWARE;
            }
            if (added == 0) {
                continue;
            }
            if (json) {
                json_t *j =
                    json_pack("{s:s, s:s?}", "id", c->id, "lastUpdatedAt", c->last_updated_at_str);
                cli_out_json(o, j);
                json_decref(j);
            } else {
                cli_out_text(o, c->id);
                if (c->last_updated_at_str != NULL) {
                    cli_out_puts(o, "  ");
                    cli_out_text(o, c->last_updated_at_str);
                }
            }
            cli_out_putc(o, '\n');
        }
        size_t n = r->n_campaigns;
        pptap_campaign_ids_free(r);
        if (cli_out_flush(o) != 0) {
            cli_err("cannot write output: %s", strerror(o->failed));
            return EXIT_IOERR;
        }
        if (n < (size_t)size) {
            return 0;
        }
    }
}

enum { O_SINCE = 256, O_FROM, O_TO, O_INTERVAL, O_SIZE };

static int campaign_ids(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"since", required_argument, NULL, O_SINCE},
        {"from", required_argument, NULL, O_FROM},
        {"to", required_argument, NULL, O_TO},
        {"interval", required_argument, NULL, O_INTERVAL},
        {"size", required_argument, NULL, O_SIZE},
        {"json", no_argument, NULL, 'j'},
        {"dry-run", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *since = NULL, *from = NULL, *to = NULL, *interval = NULL;
    long size = PPTAP_CAMPAIGN_SIZE_MAX;
    int json = cli_g.json, dry_run = 0, selectors = 0;
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":jnh", longopts, NULL)) != -1) {
        switch (opt) {
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
        case O_INTERVAL:
            interval = optarg;
            selectors++;
            break;
        case O_SIZE:
            if (cli_parse_int(optarg, 1, PPTAP_CAMPAIGN_SIZE_MAX, &size) != 0) {
                cli_err("--size must be a number from 1 to %d, not \"%s\"", PPTAP_CAMPAIGN_SIZE_MAX,
                        optarg);
                return EXIT_USAGE;
            }
            break;
        case 'j':
            json = 1;
            break;
        case 'n':
            dry_run = 1;
            break;
        case 'h':
            cmd_campaign_usage(stdout);
            return 0;
        default:
            return cli_usage_error("campaign", argv, opt);
        }
    }
    if (optind < argc) {
        cli_err("unexpected argument '%s' (see 'pptap campaign --help')", argv[optind]);
        return EXIT_USAGE;
    }
    if (to != NULL && from == NULL) {
        cli_err("--to needs --from");
        return EXIT_USAGE;
    }
    if (selectors != 1) {
        cli_err(selectors == 0 ? "campaign ids: give a time range: --since DURATION, --from TIME "
                                 "[--to TIME] or --interval ISO"
                               : "campaign ids: give one time range only (--since, --from or "
                                 "--interval)");
        return EXIT_USAGE;
    }
    pptap_time_ms now = cli_now();
    char err[PPTAP_ERRMSG_LEN];
    pptap_time_ms *wins = NULL;
    long nwin = 1;
    if (interval != NULL) {
        pptap_campaign_ids_query q = {interval, 0, 0, 0, 0};
        if (pptap_campaign_ids_query_validate(&q, now, err) != 0) {
            cli_err("%s", err);
            return EXIT_USAGE;
        }
    } else {
        pptap_time_ms start, end;
        int urc = cli_parse_range(since, from, to, now, &start, &end);
        if (urc != 0) {
            return urc;
        }
        size_t cap = (size_t)((end - start) / DAY_MS) + 3;
        wins = calloc(cap + 1, sizeof *wins);
        if (wins == NULL) {
            cli_err("out of memory");
            return EXIT_SOFTWARE;
        }
        nwin = cli_plan_windows(start, end, DAY_MS, wins, cap);
        for (long i = 0; i < nwin; i++) {
            pptap_campaign_ids_query q = {NULL, wins[i], wins[i + 1], 1, (int)size};
            if (pptap_campaign_ids_query_validate(&q, now, err) != 0) {
                cli_err("%s", err);
                free(wins);
                return EXIT_USAGE;
            }
        }
    }
    char label[2 * PPTAP_TIME_STRLEN + 8];
    if (dry_run) {
        for (long i = 0; i < nwin; i++) {
            if (wins != NULL) {
                cli_format_window(label, sizeof label, wins[i], wins[i + 1]);
            }
            printf("/v2/campaign/ids %s\n", wins != NULL ? label : interval);
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
    cli_out o;
    if (cli_out_init(&o, STDOUT_FILENO, 1u << 16) != 0) {
        pptap_client_free(cl);
        free(wins);
        return EXIT_SOFTWARE;
    }
    cli_err("%s: %ld day window%s, at least %ld request%s (more when a day has over %ld "
            "campaigns) in pool campaign-ids (%d a day)",
            wins != NULL ? (cli_format_window(label, sizeof label, wins[0], wins[nwin]), label)
                         : interval,
            nwin, nwin == 1 ? "" : "s", nwin, nwin == 1 ? "" : "s", size,
            pptap_pool_limit(PPTAP_POOL_CAMPAIGN_IDS));
    strset seen = {0};
    int requests = 0;
    for (long i = 0; i < nwin && rc == 0; i++) {
        pptap_campaign_ids_query q = {interval, 0, 0, 0, 0};
        if (wins != NULL) {
            q.start = wins[i];
            q.end = wins[i + 1];
        }
        rc = ids_window(cl, &q, (int)size, json, &seen, &o, &requests);
    }
    strset_free(&seen);
    cli_out_dispose(&o);
    pptap_client_free(cl);
    free(wins);
    return rc;
}

static void put_campaign(cli_out *o, const pptap_campaign *c)
{
    cli_put_field(o, "id:          ", c->id);
    cli_put_field(o, "name:        ", c->name);
    cli_put_field(o, "start date:  ", c->start_date_str);
    cli_put_field(o, "notable:     ", c->notable < 0 ? "-" : c->notable ? "yes" : "no");
    cli_put_named(o, "actors:      ", &c->actors);
    cli_put_named(o, "families:    ", &c->families);
    cli_put_named(o, "malware:     ", &c->malware);
    cli_put_named(o, "techniques:  ", &c->techniques);
    cli_put_named(o, "brands:      ", &c->brands);
    cli_out_puts(o, "description: ");
    /* one line per line of the description, indented */
    const char *d = c->description != NULL ? c->description : "-";
    while (*d != '\0') {
        size_t n = strcspn(d, "\r\n");
        char line[4096];
        size_t k = n < sizeof line - 1 ? n : sizeof line - 1;
        memcpy(line, d, k);
        line[k] = '\0';
        cli_out_text(o, line);
        d += n;
        while (*d == '\r' || *d == '\n') {
            d++;
        }
        cli_out_puts(o, *d != '\0' ? "\n             " : "");
    }
    cli_out_putc(o, '\n');
    char num[32];
    snprintf(num, sizeof num, "%zu", c->n_members);
    cli_put_field(o, "members:     ", num);
    for (size_t i = 0; i < c->n_members; i++) {
        const pptap_campaign_member *m = &c->members[i];
        cli_out_puts(o, "  ");
        cli_out_text(o, m->threat_time_str != NULL ? m->threat_time_str : "-");
        cli_out_puts(o, "  ");
        cli_out_text(o, m->type != NULL ? m->type : "-");
        cli_out_puts(o, "  ");
        cli_out_text(o, m->threat_status != NULL ? m->threat_status : "-");
        cli_out_puts(o, "  ");
        cli_out_text(o, m->id != NULL ? m->id : "-");
        cli_out_puts(o, "  ");
        const char *t = m->threat != NULL ? m->threat : m->name;
        cli_out_text(o, t != NULL ? t : "-");
        cli_out_putc(o, '\n');
    }
}

static int campaign_get(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int json = cli_g.json;
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":jh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'j':
            json = 1;
            break;
        case 'h':
            cmd_campaign_usage(stdout);
            return 0;
        default:
            return cli_usage_error("campaign", argv, opt);
        }
    }
    if (optind >= argc) {
        cli_err("campaign get: give at least one campaign ID");
        return EXIT_USAGE;
    }
    for (int i = optind; i < argc; i++) {
        if (argv[i][0] == '\0') {
            cli_err("campaign get: empty campaign ID");
            return EXIT_USAGE;
        }
    }
    pptap_client *cl = NULL;
    int rc = cli_client_open(&cl);
    if (rc != 0) {
        return rc;
    }
    cli_out o;
    if (cli_out_init(&o, STDOUT_FILENO, 1u << 16) != 0) {
        pptap_client_free(cl);
        return EXIT_SOFTWARE;
    }
    int first = 1;
    for (int i = optind; i < argc; i++) {
        pptap_campaign *c = NULL;
        int err = pptap_campaign_get(cl, &c, argv[i]);
        if (err != 0) {
            rc = cli_worse(rc, cli_api_error(cl, err));
            if (err != PPTAP_ENOTFOUND) {
                break;
            }
            continue;
        }
        if (json) {
            cli_out_json(&o, c->raw);
            cli_out_putc(&o, '\n');
        } else {
            if (!first) {
                cli_out_putc(&o, '\n');
            }
            put_campaign(&o, c);
        }
        first = 0;
        pptap_campaign_free(c);
        (void)cli_out_flush(&o);
    }
    if (cli_out_flush(&o) != 0 && rc == 0) {
        cli_err("cannot write output: %s", strerror(o.failed));
        rc = EXIT_IOERR;
    }
    cli_out_dispose(&o);
    pptap_client_free(cl);
    return rc;
}

int cmd_campaign(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "ids") == 0) {
        return campaign_ids(argc - 1, argv + 1);
    }
    if (argc >= 2 && strcmp(argv[1], "get") == 0) {
        return campaign_get(argc - 1, argv + 1);
    }
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        cmd_campaign_usage(stdout);
        return 0;
    }
    if (argc >= 2) {
        cli_err("unknown campaign subcommand \"%s\": use 'ids' or 'get' (see 'pptap campaign "
                "--help')",
                argv[1]);
    } else {
        cli_err("use 'pptap campaign ids ...' or 'pptap campaign get ID...' (see 'pptap campaign "
                "--help')");
    }
    return EXIT_USAGE;
}
