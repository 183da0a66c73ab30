/*
 * pptap mcp: the SOAR actions as MCP tools for AI agents, over stdio
 * (src/actions/mcp.c does the protocol). The API client is built from the
 * global options and the environment like every command; without
 * credentials the server still starts, and the tools that need the API
 * answer with a failed result that says why.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd_action.h"
#include "mcp.h"

void cmd_mcp_usage(FILE *out)
{
    fprintf(out,
            "usage: pptap mcp [--state PATH] [--max-message BYTES] [--page-size N]\n"
            "\n"
            "Serves the SOAR actions as tools of the Model Context Protocol (MCP) on\n"
            "standard input and output: JSON-RPC 2.0, one message per line. An MCP client\n"
            "(an AI agent) starts it as a subprocess. Tools are named proof_point_tap_<action>\n"
            "(proof_point_tap_ping, proof_point_tap_decode_url, proof_point_tap_get_campaign,\n"
            "...); each result carries the action's result as structured content. Protocol\n"
            "revisions 2025-11-25, 2025-06-18, 2025-03-26 and 2024-11-05. Standard output\n"
            "carries protocol messages only; diagnostics go to standard error. Give the\n"
            "credentials in the environment (PPTAP_PRINCIPAL, PPTAP_SECRET), never as\n"
            "arguments. See docs/mcp.md.\n"
            "\n"
            "Options:\n"
            "  -S, --state PATH     the store holding cases (created when missing): the\n"
            "                       insights and entities tools create; default\n"
            "                       $PPTAP_STATE, else the --ledger store. Its request\n"
            "                       ledger also records the tools' API requests\n"
            "  --max-message BYTES  longest accepted message (default %u, at most %u);\n"
            "                       a longer one is refused with an error\n"
            "  --page-size N        tools per tools/list page (default %u)\n"
            "  -h, --help           show this help and exit\n"
            "\n"
            "Without credentials the server still starts; the tools that need the API\n"
            "then fail with the reason.\n"
            "\n"
            "Exit status: 0 at end of input or on SIGTERM/SIGINT, 64 usage, 74 when the\n"
            "output cannot be written or the store failed, 78 the store refused.\n",
            MCP_DEFAULT_MAX_MESSAGE, MCP_MAX_MAX_MESSAGE, MCP_DEFAULT_PAGE_SIZE);
}

enum {
    O_MAX_MESSAGE = 256,
    O_PAGE_SIZE,
};

int cmd_mcp(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"state", required_argument, NULL, 'S'},
        {"max-message", required_argument, NULL, O_MAX_MESSAGE},
        {"page-size", required_argument, NULL, O_PAGE_SIZE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    mcp_opts o = {.in_fd = STDIN_FILENO, .verbose = cli_g.verbose};
    const char *state = NULL;
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":S:h", longopts, NULL)) != -1) {
        switch (opt) {
        case O_MAX_MESSAGE: {
            long n;
            if (cli_parse_int(optarg, MCP_MIN_MAX_MESSAGE, MCP_MAX_MAX_MESSAGE, &n) != 0) {
                cli_err("--max-message needs a number of bytes from %u to %u, not \"%s\"",
                        MCP_MIN_MAX_MESSAGE, MCP_MAX_MAX_MESSAGE, optarg);
                return EXIT_USAGE;
            }
            o.max_message = (size_t)n;
            break;
        }
        case O_PAGE_SIZE: {
            long n;
            if (cli_parse_int(optarg, 1, 1000, &n) != 0) {
                cli_err("--page-size needs a number from 1 to 1000, not \"%s\"", optarg);
                return EXIT_USAGE;
            }
            o.page_size = (size_t)n;
            break;
        }
        case 'S':
            state = optarg;
            break;
        case 'h':
            cmd_mcp_usage(stdout);
            return 0;
        default:
            return cli_usage_error("mcp", argv, opt);
        }
    }
    if (optind < argc) {
        cli_err("unexpected argument '%s' (see 'pptap mcp --help')", argv[optind]);
        return EXIT_USAGE;
    }

    actions_env env;
    int rc = cli_actions_env_open(&env, cli_state_path(state));
    if (rc != 0) {
        return rc;
    }
    if (env.client == NULL) {
        cli_err("mcp: no API client (%s); the tools that need the API will fail with this "
                "reason",
                env.client_error != NULL ? env.client_error : "not configured");
    }

    /* From here on descriptor 1 is stderr: only mcp_serve() writes to the
     * real standard output, whatever else the actions or libraries print. */
    int out = mcp_protect_stdout();
    if (out < 0) {
        cli_err("cannot set up standard output: %s", strerror(errno));
        cli_actions_env_close(&env);
        return EXIT_IOERR;
    }
    o.out_fd = out;
    o.env = &env;
    rc = mcp_serve(&o);
    cli_actions_env_close(&env);
    close(out);
    if (rc == PPTAP_EIO) {
        return EXIT_IOERR;
    }
    return rc == 0 ? 0 : cli_exit_code(rc);
}
