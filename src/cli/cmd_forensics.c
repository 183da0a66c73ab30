/*
 * pptap forensics: the forensics reports of a threat or a campaign, one JSON
 * report per line, evidence filtered by type and capped per report.
 */
#include <getopt.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd.h"

static const char *const evidence_types[] = {
    "attachment", "behavior",       "cookie",  "dns",     "dropper",  "file",
    "ids",        "mutex",          "network", "process", "registry", "screenshot",
    "url",        "redirect_chain", "rule",
};
#define N_EVIDENCE_TYPES (sizeof evidence_types / sizeof evidence_types[0])

void cmd_forensics_usage(FILE *out)
{
    fputs("usage: pptap forensics (--threat-id ID [--include-campaign] | --campaign-id ID)\n"
          "                       [--evidence-type LIST] [--max N]\n"
          "\n"
          "Prints the forensics reports of a threat or of a campaign (GET /v2/forensics),\n"
          "one JSON object per report and line: scope (THREAT or CAMPAIGN), id, name,\n"
          "threatStatus and its forensics (the evidence) as the API gives them.\n"
          "\n"
          "Options:\n"
          "  --threat-id ID          the reports of a threat ...\n"
          "  --include-campaign      ... and of the threats of its campaign\n"
          "  --campaign-id ID        the reports of a campaign's threats\n"
          "  --evidence-type LIST    keep only evidence of these types (repeatable or comma\n"
          "                          list): attachment, behavior, cookie, dns, dropper, file,\n"
          "                          ids, mutex, network, process, registry, screenshot, url,\n"
          "                          redirect_chain, rule\n"
          "  --max N                 keep at most N evidence per report (1 to 100000)\n"
          "  -h, --help              show this help and exit\n"
          "\n"
          "Exit status: 0 ok, 64 bad arguments, 66 unknown threat or campaign, 69 API\n"
          "unreachable, 75 rate limit or timeout, 77 credentials refused, 78 no credentials.\n",
          out);
}

static int add_types(const char *arg, unsigned *mask)
{
    const char *p = arg;
    for (;;) {
        size_t n = strcspn(p, ",");
        size_t k = 0;
        for (; k < N_EVIDENCE_TYPES; k++) {
            if (strlen(evidence_types[k]) == n && strncasecmp(evidence_types[k], p, n) == 0) {
                break;
            }
        }
        if (k == N_EVIDENCE_TYPES) {
            cli_err("--evidence-type: unknown type \"%.*s\" (allowed: attachment, behavior, "
                    "cookie, dns, dropper, file, ids, mutex, network, process, registry, "
                    "screenshot, url, redirect_chain, rule)",
                    (int)n, p);
            return -1;
        }
        *mask |= 1u << k;
        if (p[n] == '\0') {
            return 0;
        }
        p += n + 1;
    }
}

static int type_kept(const char *type, unsigned mask)
{
    if (mask == 0) {
        return 1;
    }
    for (size_t k = 0; type != NULL && k < N_EVIDENCE_TYPES; k++) {
        if ((mask & (1u << k)) && strcasecmp(evidence_types[k], type) == 0) {
            return 1;
        }
    }
    /* the API may spell the IDS type "idsrule" */
    return type != NULL && (mask & (1u << 6)) && strcasecmp(type, "idsrule") == 0;
}

enum { O_THREAT = 256, O_CAMPAIGN, O_INCLUDE, O_TYPE, O_MAX };

int cmd_forensics(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"threat-id", required_argument, NULL, O_THREAT},
        {"campaign-id", required_argument, NULL, O_CAMPAIGN},
        {"include-campaign", no_argument, NULL, O_INCLUDE},
        {"evidence-type", required_argument, NULL, O_TYPE},
        {"max", required_argument, NULL, O_MAX},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    pptap_forensics_query q = {0};
    unsigned mask = 0;
    long max = 0;
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (opt) {
        case O_THREAT:
            q.threat_id = optarg;
            break;
        case O_CAMPAIGN:
            q.campaign_id = optarg;
            break;
        case O_INCLUDE:
            q.include_campaign_forensics = 1;
            break;
        case O_TYPE:
            if (add_types(optarg, &mask) != 0) {
                return EXIT_USAGE;
            }
            break;
        case O_MAX:
            if (cli_parse_int(optarg, 1, 100000, &max) != 0) {
                cli_err("--max must be a number from 1 to 100000, not \"%s\"", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'h':
            cmd_forensics_usage(stdout);
            return 0;
        default:
            return cli_usage_error("forensics", argv, opt);
        }
    }
    if (optind < argc) {
        cli_err("unexpected argument '%s' (see 'pptap forensics --help')", argv[optind]);
        return EXIT_USAGE;
    }
    char err[PPTAP_ERRMSG_LEN];
    if (pptap_forensics_query_validate(&q, err) != 0) {
        cli_err("%s", err);
        return EXIT_USAGE;
    }
    pptap_client *cl = NULL;
    int rc = cli_client_open(&cl);
    if (rc != 0) {
        return rc;
    }
    pptap_forensics *f = NULL;
    int e = pptap_forensics_get(cl, &f, &q);
    if (e != 0) {
        rc = cli_api_error(cl, e);
        pptap_client_free(cl);
        return rc;
    }
    cli_out o;
    if (cli_out_init(&o, STDOUT_FILENO, 1u << 16) != 0) {
        pptap_forensics_free(f);
        pptap_client_free(cl);
        return EXIT_SOFTWARE;
    }
    for (size_t i = 0; i < f->n_reports; i++) {
        const pptap_forensics_report *r = &f->reports[i];
        json_t *copy = json_copy(r->raw);
        json_t *kept = json_array();
        if (copy == NULL || kept == NULL) {
            json_decref(copy);
            json_decref(kept);
            cli_err("out of memory");
            rc = EXIT_SOFTWARE;
            break;
        }
        for (size_t k = 0; k < r->n_forensics; k++) {
            if (max > 0 && json_array_size(kept) >= (size_t)max) {
                break;
            }
            const pptap_evidence *ev = &r->forensics[k];
            if (type_kept(ev->type, mask)) {
                json_array_append(kept, ev->raw);
            }
        }
        json_object_set_new(copy, "forensics", kept);
        cli_out_json(&o, copy);
        cli_out_putc(&o, '\n');
        json_decref(copy);
    }
    if (cli_out_flush(&o) != 0 && rc == 0) {
        cli_err("cannot write output: %s", strerror(o.failed));
        rc = EXIT_IOERR;
    }
    cli_out_dispose(&o);
    pptap_forensics_free(f);
    pptap_client_free(cl);
    return rc;
}
