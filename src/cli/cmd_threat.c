/*
 * pptap threat summary ID...: threat summaries (not throttled), as text or
 * one JSON object per line.
 */
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

void cmd_threat_usage(FILE *out)
{
    fputs("usage: pptap threat summary [--json] ID...\n"
          "\n"
          "Prints the summary of each threat (GET /v2/threat/summary/ID, not throttled):\n"
          "name, type, category, status, severity, spread, actors, families, malware,\n"
          "techniques and brands. Unknown ids are reported on stderr and the others are\n"
          "still printed.\n"
          "\n"
          "Options:\n"
          "  -j, --json   one JSON object per threat: the API's own object\n"
          "  -h, --help   show this help and exit\n"
          "\n"
          "Exit status: 0 ok, 64 bad arguments, 66 an id is unknown, 69 API unreachable,\n"
          "75 timeout, 77 credentials refused, 78 no credentials.\n",
          out);
}

/* Writes "label: a, b, c" from a list of {id, name}. */
void cli_put_named(cli_out *o, const char *label, const pptap_namedlist *l)
{
    cli_out_puts(o, label);
    if (l->n == 0) {
        cli_out_puts(o, "-");
    }
    for (size_t i = 0; i < l->n; i++) {
        cli_out_puts(o, i ? ", " : "");
        cli_out_text(o, l->v[i].name != NULL ? l->v[i].name : "?");
    }
    cli_out_putc(o, '\n');
}

void cli_put_field(cli_out *o, const char *label, const char *value)
{
    cli_out_puts(o, label);
    cli_out_text(o, value != NULL ? value : "-");
    cli_out_putc(o, '\n');
}

static const char *yes_no(int b)
{
    return b < 0 ? "-" : b ? "yes" : "no";
}

static void put_summary(cli_out *o, const pptap_threat_summary *t)
{
    char num[64];
    cli_put_field(o, "id:                  ", t->id);
    cli_put_field(o, "name:                ", t->name);
    cli_put_field(o, "type:                ", t->type);
    cli_put_field(o, "category:            ", t->category);
    cli_put_field(o, "status:              ", t->status);
    cli_put_field(o, "identified at:       ", t->identified_at_str);
    cli_put_field(o, "detection type:      ", t->detection_type);
    if (t->severity_score != PPTAP_INT_NONE) {
        snprintf(num, sizeof num, "%lld", (long long)t->severity_score);
    } else {
        snprintf(num, sizeof num, "-");
    }
    cli_put_field(o, "severity:            ", num);
    if (t->attack_spread != PPTAP_INT_NONE) {
        snprintf(num, sizeof num, "%lld", (long long)t->attack_spread);
    } else {
        snprintf(num, sizeof num, "-");
    }
    cli_put_field(o, "attack spread:       ", num);
    cli_put_field(o, "notable:             ", yes_no(t->notable));
    cli_put_field(o, "vertically targeted: ", yes_no(t->vertically_targeted));
    cli_put_field(o, "geo targeted:        ", yes_no(t->geo_targeted));
    cli_put_named(o, "actors:              ", &t->actors);
    cli_put_named(o, "families:            ", &t->families);
    cli_put_named(o, "malware:             ", &t->malware);
    cli_put_named(o, "techniques:          ", &t->techniques);
    cli_put_named(o, "brands:              ", &t->brands);
}

int cmd_threat(int argc, char **argv)
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
            cmd_threat_usage(stdout);
            return 0;
        default:
            return cli_usage_error("threat", argv, opt);
        }
    }
    if (optind >= argc || strcmp(argv[optind], "summary") != 0) {
        if (optind < argc) {
            cli_err("unknown threat subcommand \"%s\": use 'pptap threat summary ID...'",
                    argv[optind]);
        } else {
            cli_err("use 'pptap threat summary ID...' (see 'pptap threat --help')");
        }
        return EXIT_USAGE;
    }
    optind++;
    if (optind >= argc) {
        cli_err("threat summary: give at least one threat ID");
        return EXIT_USAGE;
    }
    for (int i = optind; i < argc; i++) {
        if (argv[i][0] == '\0') {
            cli_err("threat summary: empty threat ID");
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
        pptap_threat_summary *t = NULL;
        int err = pptap_threat_summary_get(cl, &t, argv[i]);
        if (err != 0) {
            int ec = cli_api_error(cl, err);
            rc = cli_worse(rc, ec);
            if (err != PPTAP_ENOTFOUND) {
                break; /* the next ones would fail the same way */
            }
            continue;
        }
        if (json) {
            cli_out_json(&o, t->raw);
            cli_out_putc(&o, '\n');
        } else {
            if (!first) {
                cli_out_putc(&o, '\n');
            }
            put_summary(&o, t);
        }
        first = 0;
        pptap_threat_summary_free(t);
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
