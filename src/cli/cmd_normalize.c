/*
 * pptap normalize: raw TAP SIEM JSON from files or standard input to one
 * line per event in an event format (raw, ECS, OCSF, CEF), without the API,
 * through the same code the collector's outputs use.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pptap/normalize.h>

#include "cmd.h"

void cmd_normalize_usage(FILE *out)
{
    fputs("usage: pptap normalize [--format FORMAT] [--type TYPE] [FILE...|-]\n"
          "\n"
          "Converts raw TAP SIEM events to one line per event in FORMAT, without the API,\n"
          "exactly as the collector's outputs write them. Reads each FILE in turn, or\n"
          "standard input (\"-\", or no FILE). Accepted, and mixed freely:\n"
          "  - whole SIEM responses ({\"queryEndTime\": ..., \"clicksPermitted\": [...]}),\n"
          "    streamed, however large;\n"
          "  - events with an \"eventType\" key, as 'pptap siem' prints them;\n"
          "  - lines of the raw format (an event with a \"pptap\" envelope, or a gap\n"
          "    record): their event_id, tenant, collection time and update flag are kept;\n"
          "  - bare events, with --type.\n"
          "Objects may be one per line or pretty-printed.\n"
          "\n"
          "Options:\n"
          "  -f, --format FORMAT   ecs (default): Elastic Common Schema, as Elastic's\n"
          "                        proofpoint_tap integration; raw: the event plus a\n"
          "                        \"pptap\" object; ocsf; cef (see docs/formats.md)\n"
          "  -t, --type TYPE       the type of bare events: clicks-blocked,\n"
          "                        clicks-permitted, messages-blocked, messages-delivered\n"
          "                        (or clicksBlocked, ...); records that carry their type\n"
          "                        keep it\n"
          "  -h, --help            show this help and exit\n"
          "\n"
          "A record that cannot be read is reported as FILE:LINE: REASON on stderr and\n"
          "skipped; the others are still written.\n"
          "\n"
          "Exit status: 0 ok, 64 bad arguments or a format this build does not have,\n"
          "65 some records were refused, 66 a FILE cannot be read, 74 output error.\n",
          out);
}

typedef struct {
    cli_out out;
    const char *name; /* the input, for messages */
} norm_ctx;

static int on_line(const char *line, size_t len, void *payload)
{
    norm_ctx *c = payload;
    cli_out_put(&c->out, line, len);
    return c->out.failed != 0;
}

static void on_error(uint64_t line, const char *msg, void *payload)
{
    norm_ctx *c = payload;
    cli_err("%s:%llu: %s", c->name, (unsigned long long)line, msg);
}

static int on_block(const char *data, size_t len, void *payload)
{
    pptap_normalizer *n = payload;
    int rc = pptap_normalizer_feed(n, data, len);
    if (rc == PPTAP_ECANCELED) {
        return EXIT_IOERR; /* the output failed; said once, below */
    }
    if (rc != 0) {
        cli_err("%s", pptap_strerror(rc));
        return EXIT_SOFTWARE;
    }
    return 0;
}

/* Parses --format: 0, or EXIT_USAGE after saying why. */
static int parse_format(const char *name, pptap_eventfmt *f)
{
    if (pptap_eventfmt_parse(f, name) == 0) {
        return 0;
    }
    for (int i = 0; i < PPTAP_EVENTFMT_COUNT_; i++) {
        if (strcmp(name, pptap_eventfmt_name((pptap_eventfmt)i)) == 0) {
            cli_err("the %s format is not available in this build of pptap", name);
            return EXIT_USAGE;
        }
    }
    cli_err("unknown format \"%s\" (raw, ecs, ocsf or cef)", name);
    return EXIT_USAGE;
}

int cmd_normalize(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
        {"type", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    pptap_normalize_opts opts;
    memset(&opts, 0, sizeof opts);
    const char *format = "ecs";
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":f:t:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'f':
            format = optarg;
            break;
        case 't':
            if (pptap_normalize_type_parse(&opts.type, optarg) != 0) {
                cli_err("--type needs clicks-blocked, clicks-permitted, messages-blocked or "
                        "messages-delivered, not \"%s\"",
                        optarg);
                return EXIT_USAGE;
            }
            opts.type_given = 1;
            break;
        case 'h':
            cmd_normalize_usage(stdout);
            return 0;
        default:
            return cli_usage_error("normalize", argv, opt);
        }
    }
    int rc = parse_format(format, &opts.format);
    if (rc != 0) {
        return rc;
    }
    norm_ctx c;
    if (cli_out_init(&c.out, STDOUT_FILENO, 1u << 20) != 0) {
        cli_err("out of memory");
        return EXIT_SOFTWARE;
    }
    opts.on_line = on_line;
    opts.on_error = on_error;
    opts.payload = &c;
    char *stdin_only[] = {"-"};
    char **files = optind < argc ? argv + optind : stdin_only;
    int n_files = optind < argc ? argc - optind : 1;
    int status = 0;
    uint64_t refused = 0;
    for (int i = 0; i < n_files && status != EXIT_IOERR && status != EXIT_SOFTWARE; i++) {
        c.name = strcmp(files[i], "-") == 0 ? "<stdin>" : files[i];
        pptap_normalizer *n;
        int nrc = pptap_normalizer_new(&n, &opts);
        if (nrc != 0) {
            cli_err("%s", pptap_strerror(nrc));
            status = EXIT_SOFTWARE;
            break;
        }
        int r = cli_read_blocks(files[i], on_block, n);
        if (r == 0) {
            nrc = pptap_normalizer_finish(n);
            r = nrc == PPTAP_ECANCELED ? EXIT_IOERR : nrc != 0 ? EXIT_SOFTWARE : 0;
        }
        pptap_normalize_stats st;
        pptap_normalizer_stats(n, &st);
        refused += st.refused;
        pptap_normalizer_free(n);
        status = cli_worse(status, r);
    }
    if (cli_out_flush(&c.out) != 0 && status != EXIT_SOFTWARE) {
        cli_err("cannot write output: %s", strerror(c.out.failed));
        status = EXIT_IOERR;
    }
    cli_out_dispose(&c.out);
    if (status == 0 && refused > 0) {
        status = EXIT_DATAERR;
    }
    return status;
}
