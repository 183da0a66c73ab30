/*
 * pptap — entry point: global options and the command table.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "cmd_action.h"
#include "cmd_store.h"

static const pptap_cli_cmd commands[] = {
    {"decode", "decode URL Defense links (arguments, lines, or links found in text)", cmd_decode,
     cmd_decode_usage},
    {"siem", "SIEM events of a time range as NDJSON or syslog lines", cmd_siem, cmd_siem_usage},
    {"campaign", "campaign ids of a time range, campaign details", cmd_campaign,
     cmd_campaign_usage},
    {"forensics", "forensics of a threat or a campaign", cmd_forensics, cmd_forensics_usage},
    {"threat", "threat summaries", cmd_threat, cmd_threat_usage},
    {"people", "very attacked people and top clickers", cmd_people, cmd_people_usage},
    {"ping", "check reachability, credentials and clock skew (no throttled budget spent)", cmd_ping,
     cmd_ping_usage},
    {"collect", "collect SIEM events into the store and the outputs, gap- and duplicate-free",
     cmd_collect, cmd_collect_usage},
    {"normalize", "convert raw TAP SIEM JSON to ECS, OCSF, CEF or raw lines, without the API",
     cmd_normalize, cmd_normalize_usage},
    {"search", "find events in the local store (recipient, URL, hash, threat, campaign...)",
     cmd_search, cmd_search_usage},
    {"stats", "summarise the local store: types, classifications, top threats, clickers", cmd_stats,
     cmd_stats_usage},
    {"action", "run a SOAR action on a JSON request and write its JSON result", cmd_action,
     cmd_action_usage},
    {"case", "cases in the store: entities and insights actions created, entities to scope",
     cmd_case, cmd_case_usage},
    {"mcp", "serve the SOAR actions as MCP tools to AI agents (JSON-RPC over stdio)", cmd_mcp,
     cmd_mcp_usage},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
    fputs("usage: pptap [global options] <command> [options] [args]\n"
          "\n"
          "Proofpoint TAP toolkit.\n"
          "\n"
          "Commands:\n",
          out);
    for (size_t i = 0; i < N_COMMANDS; i++) {
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    }
    fputs("  help CMD     show the help of CMD (same as 'pptap CMD --help')\n"
          "\n"
          "Global options:\n"
          "  --base-url URL      API base URL (default https://tap-api-v2.proofpoint.com;\n"
          "                      also PPTAP_BASE_URL)\n"
          "  --config FILE       config file with the [tap] settings (also PPTAP_CONFIG)\n"
          "  --secret-file FILE  read the service secret from FILE (mode 0600)\n"
          "  --proxy URL         proxy for API requests (also PPTAP_PROXY)\n"
          "  --cacert FILE       CA bundle that verifies the server (also PPTAP_CACERT)\n"
          "  --insecure          do not verify the server's certificate (unsafe)\n"
          "  --timeout DURATION  whole-request timeout, e.g. 30s or 5m (default 5m)\n"
          "  --retries N         retries of a failed request (network, 408, 5xx; default 3)\n"
          "  -v, --verbose       trace requests and responses on stderr (secret redacted)\n"
          "  --json              JSON output (one object per line) where text is the default\n"
          "  --ledger STATE      record every API request in the request ledger of the\n"
          "                      collector's store STATE (also PPTAP_LEDGER), so that its\n"
          "                      budget counts them\n"
          "  --tenant NAME       the collector tenant whose ledger that is (default: default)\n"
          "  -h, --help          show this help and exit\n"
          "  --version           show the versions of pptap and its libraries and exit\n"
          "\n"
          "Credentials come only from the environment (PPTAP_PRINCIPAL, PPTAP_SECRET,\n"
          "PPTAP_SECRET_FILE), the config file or --secret-file; never from arguments.\n"
          "Precedence: defaults < config file < environment < flags.\n"
          "\n"
          "Exit status follows sysexits(3): 0 ok, 64 usage, 65 bad data, 66 no input,\n"
          "69 unavailable, 70 internal, 74 I/O, 75 temporary, 76 protocol, 77 auth,\n"
          "78 configuration. See pptap(1).\n",
          out);
}

static void version(void)
{
    char v[256];
    pptap_version_details(v, sizeof(v));
    printf("%s\n", v);
}

static const pptap_cli_cmd *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(commands[i].name, name) == 0) {
            return &commands[i];
        }
    }
    return NULL;
}

enum {
    G_BASE_URL = 256,
    G_CONFIG,
    G_SECRET_FILE,
    G_PROXY,
    G_CACERT,
    G_INSECURE,
    G_TIMEOUT,
    G_RETRIES,
    G_JSON,
    G_VERSION,
    G_LEDGER,
    G_TENANT,
};

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"base-url", required_argument, NULL, G_BASE_URL},
        {"config", required_argument, NULL, G_CONFIG},
        {"secret-file", required_argument, NULL, G_SECRET_FILE},
        {"proxy", required_argument, NULL, G_PROXY},
        {"cacert", required_argument, NULL, G_CACERT},
        {"insecure", no_argument, NULL, G_INSECURE},
        {"timeout", required_argument, NULL, G_TIMEOUT},
        {"retries", required_argument, NULL, G_RETRIES},
        {"verbose", no_argument, NULL, 'v'},
        {"json", no_argument, NULL, G_JSON},
        {"ledger", required_argument, NULL, G_LEDGER},
        {"tenant", required_argument, NULL, G_TENANT},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, G_VERSION},
        {NULL, 0, NULL, 0},
    };
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+:vh", longopts, NULL)) != -1) {
        switch (opt) {
        case G_BASE_URL:
            cli_g.base_url = optarg;
            break;
        case G_CONFIG:
            cli_g.config = optarg;
            break;
        case G_SECRET_FILE:
            cli_g.secret_file = optarg;
            break;
        case G_LEDGER:
            cli_g.ledger = optarg;
            break;
        case G_TENANT:
            cli_g.tenant = optarg;
            break;
        case G_PROXY:
            cli_g.proxy = optarg;
            break;
        case G_CACERT:
            cli_g.cacert = optarg;
            break;
        case G_INSECURE:
            cli_g.insecure = 1;
            break;
        case G_TIMEOUT: {
            int64_t ms;
            if (cli_parse_duration(optarg, &ms) != 0 || ms > 86400000) {
                cli_err("--timeout needs a duration such as 30s or 5m (at most 1 day), not "
                        "\"%s\"",
                        optarg);
                return EXIT_USAGE;
            }
            cli_g.timeout_ms = (long)ms;
            break;
        }
        case G_RETRIES: {
            long n;
            if (cli_parse_int(optarg, 0, 19, &n) != 0) {
                cli_err("--retries needs a number from 0 to 19, not \"%s\"", optarg);
                return EXIT_USAGE;
            }
            cli_g.retries = (int)n;
            break;
        }
        case 'v':
            cli_g.verbose = 1;
            break;
        case G_JSON:
            cli_g.json = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case G_VERSION:
            version();
            return 0;
        default:
            if (opt == ':') {
                cli_err("option '%s' needs a value (see 'pptap --help')", argv[optind - 1]);
            } else {
                cli_err("unknown option '%s' (see 'pptap --help')", argv[optind - 1]);
            }
            return EXIT_USAGE;
        }
    }
    int i = optind;
    if (i >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[i];
    if (strcmp(name, "help") == 0) {
        if (i + 1 >= argc) {
            usage(stdout);
            return 0;
        }
        const pptap_cli_cmd *c = find_command(argv[i + 1]);
        if (c == NULL) {
            cli_err("unknown command '%s' (see 'pptap --help')", argv[i + 1]);
            return EXIT_USAGE;
        }
        c->usage(stdout);
        return 0;
    }
    const pptap_cli_cmd *c = find_command(name);
    if (c == NULL) {
        cli_err("unknown command '%s' (see 'pptap --help')", name);
        return EXIT_USAGE;
    }
    optind = 0; /* a fresh getopt scan for the command's options */
    return c->run(argc - i, argv + i);
}
