/*
 * pptap ping: reachability, credentials and clock skew, checked with the
 * threat summary endpoint (the API documents it as not throttled) and an id
 * that is well formed but belongs to no threat: 404 means "reachable,
 * credentials accepted". No throttled pool is spent.
 */
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

/* 64 hex digits like a real threat id (a SHA-256); no threat has it. */
#define PING_THREAT_ID "0000000000000000000000000000000000000000000000000000000000000000"

void cmd_ping_usage(FILE *out)
{
    fputs("usage: pptap ping [--json]\n"
          "\n"
          "Checks that the API is reachable and accepts the credentials, without spending\n"
          "any throttled budget: it asks for the summary of a threat that does not exist\n"
          "(GET /v2/threat/summary/" PING_THREAT_ID "),\n"
          "which the API does not throttle; 404 means reachable with the credentials\n"
          "accepted. Prints what it checked, the latency and the server's clock skew\n"
          "(from its Date header, to the second).\n"
          "\n"
          "Options:\n"
          "  -j, --json   one JSON object: baseUrl, request, status, reachable,\n"
          "               credentialsAccepted, latencyMs, serverDate, clockSkewMs\n"
          "  -h, --help   show this help and exit\n"
          "\n"
          "Exit status: 0 reachable with credentials accepted, 69 unreachable, 75 timeout,\n"
          "77 credentials refused, 78 no credentials.\n",
          out);
}

int cmd_ping(int argc, char **argv)
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
            cmd_ping_usage(stdout);
            return 0;
        default:
            return cli_usage_error("ping", argv, opt);
        }
    }
    if (optind < argc) {
        cli_err("unexpected argument '%s' (see 'pptap ping --help')", argv[optind]);
        return EXIT_USAGE;
    }
    pptap_client *cl = NULL;
    int rc = cli_client_open(&cl);
    if (rc != 0) {
        return rc;
    }
    pptap_threat_summary *ts = NULL;
    int err = pptap_threat_summary_get(cl, &ts, PING_THREAT_ID);
    pptap_threat_summary_free(ts);
    const pptap_response_info *info = pptap_client_last_response(cl);
    int ok = err == 0 || err == PPTAP_ENOTFOUND;
    if (!ok) {
        rc = cli_api_error(cl, err);
        pptap_client_free(cl);
        return rc;
    }
    int have_skew = info->server_date != PPTAP_TIME_NONE && info->local_time != PPTAP_TIME_NONE;
    long long skew = have_skew ? (long long)(info->server_date - info->local_time) : 0;
    char date[PPTAP_TIME_STRLEN] = "";
    if (info->server_date != PPTAP_TIME_NONE) {
        pptap_time_format(date, info->server_date);
    }
    cli_out o;
    if (cli_out_init(&o, STDOUT_FILENO, 4096) != 0) {
        pptap_client_free(cl);
        return EXIT_SOFTWARE;
    }
    char line[512];
    const char *req = "GET /v2/threat/summary/" PING_THREAT_ID;
    if (json) {
        json_t *j = json_pack(
            "{s:s, s:s, s:s, s:i, s:b, s:b, s:I, s:s?, s:o}", "baseUrl", cli_base_url(), "request",
            req, "pool", "none", "status", (int)info->status, "reachable", 1, "credentialsAccepted",
            1, "latencyMs", (json_int_t)info->elapsed_ms, "serverDate", date[0] ? date : NULL,
            "clockSkewMs", have_skew ? json_integer(skew) : json_null());
        cli_out_json(&o, j);
        cli_out_putc(&o, '\n');
        json_decref(j);
    } else {
        snprintf(line, sizeof line,
                 "base URL:    %s\n"
                 "request:     %s\n"
                 "             (threat summary: not throttled, no budget spent)\n"
                 "status:      HTTP %ld: reachable, credentials accepted\n"
                 "latency:     %lld ms\n",
                 cli_base_url(), req, info->status, (long long)info->elapsed_ms);
        cli_out_puts(&o, line);
        if (have_skew) {
            snprintf(line, sizeof line,
                     "server time: %s (clock skew %+.1f s, to the second: server minus local)\n",
                     date, (double)skew / 1000.0);
        } else {
            snprintf(line, sizeof line, "server time: unknown (no Date header)\n");
        }
        cli_out_puts(&o, line);
    }
    rc = cli_out_flush(&o) == 0 ? 0 : EXIT_IOERR;
    cli_out_dispose(&o);
    pptap_client_free(cl);
    return rc;
}
