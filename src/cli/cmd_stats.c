/*
 * pptap stats: what the local store holds — events by type and
 * classification, top threats, campaigns and clickers, events per day.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd_store.h"

void cmd_stats_usage(FILE *out)
{
    fputs("usage: pptap stats --state PATH [--tenant NAME] [--from TIME] [--to TIME]\n"
          "                   [--top N] [--json]\n"
          "\n"
          "Summarises the events in the local store: counts by type and by\n"
          "classification (a message counts once for each classification among its\n"
          "threats), the top threats, campaigns and clickers (permitted clicks), and\n"
          "events per day (UTC), over the event times in [--from, --to).\n"
          "\n"
          "Options:\n"
          "  -S, --state PATH   the store (SQLite file) to read\n"
          "      --tenant NAME  events of this tenant only\n"
          "      --from TIME    event time at or after TIME\n"
          "      --to TIME      event time before TIME\n"
          "                     TIME: ISO 8601 date-time, a date (UTC midnight), or a\n"
          "                     duration before now (\"7d\", \"36h\")\n"
          "      --top N        rows in each top list (default 10, at most 1000)\n"
          "  -j, --json         one JSON object instead of text\n"
          "  -h, --help         show this help and exit\n"
          "\n"
          "Exit status: 0 ok, 64 bad arguments, 66 no store at PATH, 74 the store cannot\n"
          "be read, 78 the store's mode or schema refused.\n",
          out);
}

static void put_line(cli_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put_line(cli_out *o, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    /* control bytes from the data never reach the terminal */
    for (char *p = line; *p; p++) {
        if ((unsigned char)*p < 0x20 && *p != '\n') {
            *p = '?';
        }
    }
    cli_out_puts(o, line);
}

static const char *sv(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "-";
}

static long long iv(json_t *o, const char *k)
{
    return (long long)json_integer_value(json_object_get(o, k));
}

static void put_text(cli_out *o, json_t *s)
{
    const char *k;
    json_t *v;
    size_t i;
    put_line(o, "Events: %lld", iv(s, "events"));
    if (json_object_get(s, "from") != NULL || json_object_get(s, "to") != NULL) {
        put_line(o, " (from %s to %s)", sv(s, "from"), sv(s, "to"));
    }
    cli_out_puts(o, "\n\nBy type:\n");
    json_object_foreach(json_object_get(s, "by_type"), k, v)
    {
        put_line(o, "  %-20s %8lld\n", k, (long long)json_integer_value(v));
    }
    cli_out_puts(o, "\nBy classification:\n");
    json_object_foreach(json_object_get(s, "by_classification"), k, v)
    {
        put_line(o, "  %-20s %8lld\n", k, (long long)json_integer_value(v));
    }
    cli_out_puts(o, "\nTop threats:\n");
    json_array_foreach(json_object_get(s, "top_threats"), i, v)
    {
        put_line(o, "  %8lld  %-10.10s %-64.64s %.100s\n", iv(v, "events"), sv(v, "classification"),
                 sv(v, "threat_id"), sv(v, "threat"));
    }
    cli_out_puts(o, "\nTop campaigns:\n");
    json_array_foreach(json_object_get(s, "top_campaigns"), i, v)
    {
        put_line(o, "  %8lld  %.200s\n", iv(v, "events"), sv(v, "campaign_id"));
    }
    cli_out_puts(o, "\nTop clickers (permitted clicks):\n");
    json_array_foreach(json_object_get(s, "top_clickers"), i, v)
    {
        put_line(o, "  %8lld  %.200s\n", iv(v, "clicks"), sv(v, "recipient"));
    }
    cli_out_puts(o, "\nPer day:\n");
    json_array_foreach(json_object_get(s, "per_day"), i, v)
    {
        put_line(o, "  %s %8lld ", sv(v, "day"), iv(v, "events"));
        const char *sep = " (";
        json_t *n;
        json_object_foreach(json_object_get(v, "by_type"), k, n)
        {
            put_line(o, "%s%s %lld", sep, k, (long long)json_integer_value(n));
            sep = ", ";
        }
        cli_out_puts(o, ")\n");
    }
}

int cmd_stats(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"state", required_argument, NULL, 'S'}, {"tenant", required_argument, NULL, 'T'},
        {"from", required_argument, NULL, 'F'},  {"to", required_argument, NULL, 'U'},
        {"top", required_argument, NULL, 'N'},   {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    pptap_store_stats_query q;
    memset(&q, 0, sizeof q);
    const char *state = NULL;
    int json = 0;
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+:S:jh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'S':
            state = optarg;
            break;
        case 'T':
            q.tenant = optarg;
            break;
        case 'F':
        case 'U':
            if (cli_store_time(opt == 'F' ? &q.from : &q.to, optarg) != 0) {
                cli_err("%s: '%s' is not a date-time, a date or a duration",
                        opt == 'F' ? "--from" : "--to", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'N': {
            char *end;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0' || v < 1 || v > PPTAP_STORE_TOP_MAX) {
                cli_err("--top: '%s' is not a number from 1 to %d", optarg, PPTAP_STORE_TOP_MAX);
                return EXIT_USAGE;
            }
            q.top = (int)v;
            break;
        }
        case 'j':
            json = 1;
            break;
        case 'h':
            cmd_stats_usage(stdout);
            return 0;
        default:
            return cli_usage_error("stats", argv, opt);
        }
    }
    if (optind < argc) {
        cli_err("unexpected argument '%s' (see 'pptap stats --help')", argv[optind]);
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
    json_t *s = NULL;
    int src = pptap_store_stats(st, &s, &q);
    if (src != 0) {
        cli_err("stats failed: %s", pptap_store_last_error(st));
        pptap_store_close(st);
        return src == PPTAP_ENOMEM ? EXIT_SOFTWARE : EXIT_IOERR;
    }
    cli_out o;
    if (cli_out_init(&o, STDOUT_FILENO, 1u << 16) != 0) {
        json_decref(s);
        pptap_store_close(st);
        cli_err("out of memory");
        return EXIT_SOFTWARE;
    }
    if (json) {
        char *text = json_dumps(s, JSON_COMPACT);
        if (text == NULL) {
            rc = EXIT_SOFTWARE;
            cli_err("out of memory");
        } else {
            cli_out_puts(&o, text);
            cli_out_putc(&o, '\n');
            free(text);
        }
    } else {
        put_text(&o, s);
    }
    if (cli_out_flush(&o) != 0 && rc == 0) {
        cli_err("cannot write the output");
        rc = EXIT_IOERR;
    }
    cli_out_dispose(&o);
    json_decref(s);
    pptap_store_close(st);
    return rc;
}
