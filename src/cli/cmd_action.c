/*
 * pptap action NAME: runs one SOAR action on a JSON request (a file or
 * standard input) and writes its JSON result; --list shows the catalogue,
 * --describe an action's parameters and outputs, --schema its MCP input
 * schema. Also the setup every front door of the actions shares: the store
 * that holds cases, the client, the environment.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pptap/store.h>

#include "cmd.h"
#include "cmd_action.h"

#define REQUEST_MAX (16u << 20)

void cmd_action_usage(FILE *out)
{
    fputs("usage: pptap action NAME [--input FILE] [--state PATH]\n"
          "       pptap action NAME --describe | --schema\n"
          "       pptap action --list [--json]\n"
          "\n"
          "Runs the SOAR action NAME (its CLI name such as get-campaign, its display name\n"
          "such as \"Get Campaign\", or its MCP tool name) on one JSON request and writes\n"
          "one JSON result on standard output. The request:\n"
          "  {\"case_id\": \"42\", \"alert_group_identifiers\": [],\n"
          "   \"parameters\": {\"Campaign ID\": \"...\", \"Create Insight\": true},\n"
          "   \"target_entities\": [{\"Identifier\": \"...\", \"EntityType\": \"URL\"}],\n"
          "   \"scope\": \"All entities\"}\n"
          "The result: action, result_name, result_value, execution_state (completed or\n"
          "failed), output_message, json_result, insights, entities, data_tables, case_id,\n"
          "case. With a store, the insights and entities an action creates are kept in\n"
          "the case (a re-run adds nothing twice: each says whether it is new) and a\n"
          "scope takes the case's entities. See docs/actions.md.\n"
          "\n"
          "Options:\n"
          "  -i, --input FILE  the request (default: standard input; - is standard input)\n"
          "  -S, --state PATH  the store holding cases (created when missing); default\n"
          "                    $PPTAP_STATE, else the --ledger store. Its request ledger\n"
          "                    also records the action's API requests\n"
          "  -l, --list        list the actions: CLI name, name, MCP tool name, summary\n"
          "                    (--json: one object per line)\n"
          "  -d, --describe    print the action's parameters (names, types, defaults,\n"
          "                    allowed values), entity types, outputs and cost as JSON\n"
          "      --schema      print the JSON Schema of the action's MCP tool arguments\n"
          "  -h, --help        show this help and exit\n"
          "\n"
          "The API client comes from the global options, the environment and the config\n"
          "file as for every command; an action that does not need it (Decode URL with\n"
          "links the offline decoder reads) runs without credentials.\n"
          "\n"
          "Exit status: 0 completed (also when nothing was found: see result_value),\n"
          "64 bad parameters, unknown scope or action, 65 the request is not JSON, 66 no\n"
          "input (no such file, or an empty request), 69 API unreachable, 74 the store\n"
          "failed, 75 rate limit (429) or timeout, 76 the API's answer does not parse,\n"
          "77 credentials refused, 78 no credentials or the store refused.\n",
          out);
}

/* ------------------------------------------------------------------------ */
/* What the front doors share                                                */

static pptap_time_ms store_clock(void *payload)
{
    (void)payload;
    return cli_now();
}

const char *cli_state_path(const char *flag)
{
    if (flag != NULL && *flag != '\0') {
        return flag;
    }
    const char *e = getenv("PPTAP_STATE");
    if (e != NULL && *e != '\0') {
        return e;
    }
    if (cli_g.ledger != NULL && *cli_g.ledger != '\0') {
        return cli_g.ledger;
    }
    e = getenv("PPTAP_LEDGER");
    return e != NULL && *e != '\0' ? e : NULL;
}

int cli_case_store_open(pptap_store **out, const char *path)
{
    pptap_store_opts o = {0};
    o.clock = store_clock;
    char err[PPTAP_ERRMSG_LEN];
    int rc = pptap_store_open(out, path, &o, err);
    if (rc == 0) {
        return 0;
    }
    switch (rc) {
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

static char client_error[1024];

int cli_actions_env_open(actions_env *env, const char *state)
{
    memset(env, 0, sizeof *env);
    if (state != NULL) {
        int rc = cli_case_store_open(&env->store, state);
        if (rc != 0) {
            return rc;
        }
        if (cli_g.ledger == NULL && getenv("PPTAP_LEDGER") == NULL) {
            cli_g.ledger = state; /* the actions' requests count in its ledger */
        }
    }
    env->tenant = cli_g.tenant;
    const char *ceiling = getenv("PPTAP_ACTION_MAX_REQUESTS");
    if (ceiling != NULL && *ceiling != '\0') {
        char *end;
        errno = 0;
        long v = strtol(ceiling, &end, 10);
        if (errno != 0 || *end != '\0' || v < 1 || v > 1800) {
            cli_err("PPTAP_ACTION_MAX_REQUESTS: '%s' is not a number of requests from 1 to 1800",
                    ceiling);
            cli_actions_env_close(env);
            return EXIT_CONFIG;
        }
        env->budget_ceiling = v;
    }
    if (cli_client_open_msg(&env->client, client_error, sizeof client_error) != 0) {
        env->client = NULL;
        env->client_error = client_error;
    }
    return 0;
}

void cli_actions_env_close(actions_env *env)
{
    pptap_client_free(env->client);
    pptap_store_close(env->store);
    memset(env, 0, sizeof *env);
}

/* ------------------------------------------------------------------------ */
/* The command                                                               */

typedef struct {
    pptap_buf buf;
    int too_big;
} reader;

static int on_block(const char *data, size_t len, void *payload)
{
    reader *r = payload;
    if (r->buf.len + len > REQUEST_MAX) {
        r->too_big = 1;
        return EXIT_DATAERR;
    }
    if (pptap_buf_put(&r->buf, data, len) != 0) {
        cli_err("out of memory");
        return EXIT_SOFTWARE;
    }
    return 0;
}

/* The first sentence of a description. */
static void summary(char *out, size_t n, const char *d)
{
    const char *e = strstr(d, ". ");
    size_t len = e != NULL ? (size_t)(e - d) : strlen(d);
    if (len > 0 && d[len - 1] == '.') {
        len--;
    }
    snprintf(out, n, "%.*s", (int)len, d);
}

static int list_actions(int json)
{
    cli_out o;
    if (cli_out_init(&o, STDOUT_FILENO, 8192) != 0) {
        return EXIT_SOFTWARE;
    }
    for (size_t i = 0; i < actions_count(); i++) {
        const action_def *a = actions_at(i);
        char sum[512];
        summary(sum, sizeof sum, action_description(a));
        if (json) {
            json_t *j =
                json_pack("{s:s, s:s, s:s, s:s}", "name", action_name(a), "cli_name",
                          action_cli_name(a), "tool_name", action_tool_name(a), "summary", sum);
            cli_out_json(&o, j);
            cli_out_putc(&o, '\n');
            json_decref(j);
        } else {
            char line[1024];
            snprintf(line, sizeof line, "%-24s %-24s %s\n    %s\n", action_cli_name(a),
                     action_name(a), action_tool_name(a), sum);
            cli_out_puts(&o, line);
        }
    }
    int rc = cli_out_flush(&o) == 0 ? 0 : EXIT_IOERR;
    cli_out_dispose(&o);
    return rc;
}

static int print_json(json_t *j)
{
    if (j == NULL) {
        cli_err("out of memory");
        return EXIT_SOFTWARE;
    }
    cli_out o;
    if (cli_out_init(&o, STDOUT_FILENO, 1u << 16) != 0) {
        json_decref(j);
        return EXIT_SOFTWARE;
    }
    cli_out_json(&o, j);
    cli_out_putc(&o, '\n');
    json_decref(j);
    int rc = cli_out_flush(&o) == 0 ? 0 : EXIT_IOERR;
    cli_out_dispose(&o);
    return rc;
}

enum { O_SCHEMA = 256 };

int cmd_action(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"input", required_argument, NULL, 'i'}, {"state", required_argument, NULL, 'S'},
        {"list", no_argument, NULL, 'l'},        {"describe", no_argument, NULL, 'd'},
        {"schema", no_argument, NULL, O_SCHEMA}, {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    const char *input = "-";
    const char *state = NULL;
    int list = 0, describe = 0, schema = 0, json = cli_g.json;
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":i:S:ldjh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'i':
            input = optarg;
            break;
        case 'S':
            state = optarg;
            break;
        case 'l':
            list = 1;
            break;
        case 'd':
            describe = 1;
            break;
        case O_SCHEMA:
            schema = 1;
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            cmd_action_usage(stdout);
            return 0;
        default:
            return cli_usage_error("action", argv, opt);
        }
    }
    if (list) {
        if (optind < argc) {
            cli_err("--list takes no action name (see 'pptap action --help')");
            return EXIT_USAGE;
        }
        return list_actions(json);
    }
    if (optind >= argc) {
        cli_err("give the action to run (see 'pptap action --list')");
        return EXIT_USAGE;
    }
    if (optind + 1 < argc) {
        cli_err("unexpected argument '%s' (see 'pptap action --help')", argv[optind + 1]);
        return EXIT_USAGE;
    }
    const action_def *a = actions_find(argv[optind]);
    if (a == NULL) {
        cli_err("unknown action '%s' (see 'pptap action --list')", argv[optind]);
        return EXIT_USAGE;
    }
    if (describe && schema) {
        cli_err("give --describe or --schema, not both");
        return EXIT_USAGE;
    }
    if (describe) {
        return print_json(action_describe(a));
    }
    if (schema) {
        return print_json(action_tool_schema(a));
    }
    reader r = {PPTAP_BUF_INIT, 0};
    int rc = cli_read_blocks(input, on_block, &r);
    if (r.too_big) {
        cli_err("the request is larger than %u MiB", REQUEST_MAX >> 20);
        pptap_buf_dispose(&r.buf);
        return EXIT_DATAERR;
    }
    if (rc != 0) {
        pptap_buf_dispose(&r.buf);
        return rc;
    }
    size_t blank = 0;
    while (blank < r.buf.len && strchr(" \t\r\n", r.buf.ptr[blank]) != NULL) {
        blank++;
    }
    if (blank == r.buf.len) {
        /* nothing to run: no input, not a malformed one */
        if (strcmp(input, "-") == 0) {
            cli_err("no request: standard input is empty");
        } else {
            cli_err("no request: '%s' is empty", input);
        }
        pptap_buf_dispose(&r.buf);
        return EXIT_NOINPUT;
    }
    json_error_t jerr;
    json_t *request = json_loadb(r.buf.ptr, r.buf.len, JSON_REJECT_DUPLICATES, &jerr);
    pptap_buf_dispose(&r.buf);
    if (request == NULL) {
        cli_err("the request is not valid JSON: %s (line %d, column %d)", jerr.text, jerr.line,
                jerr.column);
        return EXIT_DATAERR;
    }
    actions_env env;
    rc = cli_actions_env_open(&env, cli_state_path(state));
    if (rc != 0) {
        json_decref(request);
        return rc;
    }
    int code = 0;
    json_t *result = actions_run(a, request, &env, &code);
    json_decref(request);
    cli_actions_env_close(&env);
    if (result == NULL) {
        cli_err("out of memory");
        return EXIT_SOFTWARE;
    }
    if (code != 0) {
        cli_err("%s", json_string_value(json_object_get(result, "output_message")));
    }
    rc = print_json(result);
    return rc != 0 ? rc : code;
}
