/*
 * pptap collect: streams TAP SIEM events into the local store and on to the
 * outputs, without gaps or duplicates (src/collect/).
 */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "../collect/config.h"
#include "../collect/engine.h"
#include "cmd.h"

void cmd_collect_usage(FILE *out)
{
    fputs("usage: pptap collect --config FILE [--once | --check | --plan] [-v]\n"
          "       pptap collect --base-url URL --state PATH --output SPEC [--since DURATION]\n"
          "                     [--format raw] [--metrics HOST:PORT] [--once] [-v]\n"
          "       pptap collect --config-reference\n"
          "\n"
          "Collects TAP SIEM events continuously: an early pass polls the recent window\n"
          "often, a final pass queries each window once it is past the late-indexing\n"
          "horizon; every event is stored once (by event_id) and delivered once to the\n"
          "outputs, a changed one again as an update; checkpoints are committed only\n"
          "after every output acknowledged. Runs in the foreground until SIGTERM or\n"
          "SIGINT, which finish the window in progress and exit 0. See pptap.conf(5).\n"
          "\n"
          "Options:\n"
          "  -c, --config FILE        the configuration (pptap.conf(5))\n"
          "      --once               catch up to the present (final passes included) and exit\n"
          "      --check              validate the configuration and exit (78 when invalid)\n"
          "      --plan               print the daily request cost of the configuration\n"
          "      --config-reference   print the reference of every configuration key (roff)\n"
          "  -v, --verbose            log every window\n"
          "\n"
          "Without a configuration file, one tenant from flags and the environment\n"
          "(PPTAP_PRINCIPAL, PPTAP_SECRET or PPTAP_SECRET_FILE, PPTAP_BASE_URL):\n"
          "      --base-url URL       the TAP API (default https://tap-api-v2.proofpoint.com)\n"
          "      --state PATH         the SQLite store (default pptap.db)\n"
          "      --output SPEC        file:PATH, or - for standard output (repeatable)\n"
          "      --format FORMAT      raw (the TAP event plus a \"pptap\" object)\n"
          "      --since DURATION     how far back a new state starts (default 1d, at most 7d)\n"
          "      --metrics HOST:PORT  serve Prometheus metrics on a loopback port\n"
          "  -h, --help               show this help and exit\n"
          "\n"
          "Exit status: 0 done (or stopped by a signal), 64 usage, 66 a file cannot be\n"
          "read, 69 the API cannot be reached, 74 the store or an output failed,\n"
          "75 throttled or out of budget (--once), 77 credentials refused, 78 invalid\n"
          "configuration.\n",
          out);
}

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

/* Adds an output section from a --output SPEC. */
static int add_output(conf *c, const char *spec, int n, const char *format)
{
    char name[32];
    snprintf(name, sizeof(name), "out%d", n);
    if (strcmp(spec, "-") == 0 || strcmp(spec, "stdout") == 0) {
        return conf_set(c, "output", name, "type", "stdout") ||
               conf_set(c, "output", name, "format", format);
    }
    if (strncmp(spec, "file:", 5) == 0 && spec[5] != '\0') {
        return conf_set(c, "output", name, "type", "file") ||
               conf_set(c, "output", name, "path", spec + 5) ||
               conf_set(c, "output", name, "format", format);
    }
    snprintf(c->error, sizeof(c->error), "--output %s: use file:PATH or - (standard output)", spec);
    return -1;
}

int cmd_collect(int argc, char **argv)
{
    enum {
        O_ONCE = 256,
        O_CHECK,
        O_PLAN,
        O_REF,
        O_BASE,
        O_STATE,
        O_OUTPUT,
        O_FORMAT,
        O_SINCE,
        O_METRICS
    };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"once", no_argument, NULL, O_ONCE},
        {"check", no_argument, NULL, O_CHECK},
        {"plan", no_argument, NULL, O_PLAN},
        {"config-reference", no_argument, NULL, O_REF},
        {"verbose", no_argument, NULL, 'v'},
        {"base-url", required_argument, NULL, O_BASE},
        {"state", required_argument, NULL, O_STATE},
        {"output", required_argument, NULL, O_OUTPUT},
        {"format", required_argument, NULL, O_FORMAT},
        {"since", required_argument, NULL, O_SINCE},
        {"metrics", required_argument, NULL, O_METRICS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *base = NULL, *state = NULL, *format = "raw", *since = NULL;
    const char *metrics = NULL;
    const char *outputs[CONF_MAX_OUTPUTS];
    int n_outputs = 0, once = 0, check = 0, planonly = 0, verbose = 0;
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+:c:vh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config = optarg;
            break;
        case O_ONCE:
            once = 1;
            break;
        case O_CHECK:
            check = 1;
            break;
        case O_PLAN:
            planonly = 1;
            break;
        case O_REF:
            conf_write_reference(stdout);
            return 0;
        case 'v':
            verbose = 1;
            break;
        case O_BASE:
            base = optarg;
            break;
        case O_STATE:
            state = optarg;
            break;
        case O_OUTPUT:
            if (n_outputs == CONF_MAX_OUTPUTS) {
                cli_err("at most %d --output", CONF_MAX_OUTPUTS);
                return EXIT_USAGE;
            }
            outputs[n_outputs++] = optarg;
            break;
        case O_FORMAT:
            format = optarg;
            break;
        case O_SINCE:
            since = optarg;
            break;
        case O_METRICS:
            metrics = optarg;
            break;
        case 'h':
            cmd_collect_usage(stdout);
            return 0;
        default:
            return cli_usage_error("collect", argv, opt);
        }
    }
    if (optind < argc) {
        cli_err("collect: unexpected argument '%s' (see 'pptap collect --help')", argv[optind]);
        return EXIT_USAGE;
    }
    conf *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        cli_err("out of memory");
        return EXIT_SOFTWARE;
    }
    conf_init(c);
    int bad = 0;
    if (config != NULL) {
        if (conf_load_file(c, config) != 0) {
            cli_err("%s", c->error);
            int ex = strstr(c->error, "cannot open") != NULL ? EXIT_NOINPUT : EXIT_CONFIG;
            conf_dispose(c);
            free(c);
            return ex;
        }
    } else {
        /* One tenant from flags and the environment. */
        const char *principal = getenv("PPTAP_PRINCIPAL");
        const char *base_env = getenv("PPTAP_BASE_URL");
        const char *secret_file = getenv("PPTAP_SECRET_FILE");
        bad |= conf_set(c, "tenant", "default", "endpoint", "all");
        if (base != NULL || base_env != NULL) {
            bad |= conf_set(c, "tenant", "default", "base_url", base ? base : base_env);
        }
        if (principal != NULL) {
            bad |= conf_set(c, "tenant", "default", "principal", principal);
        }
        if (secret_file != NULL) {
            bad |= conf_set(c, "tenant", "default", "secret_file", secret_file);
        } else if (getenv("PPTAP_SECRET") != NULL) {
            bad |= conf_set(c, "tenant", "default", "secret_env", "PPTAP_SECRET");
        }
        if (principal == NULL && !planonly) {
            cli_err("collect: no credentials: set PPTAP_PRINCIPAL and PPTAP_SECRET (or "
                    "PPTAP_SECRET_FILE), or use --config (see docs/configuration.md)");
            conf_dispose(c);
            free(c);
            return EXIT_CONFIG;
        }
        for (int i = 0; i < n_outputs && !bad; i++) {
            bad |= add_output(c, outputs[i], i + 1, format);
        }
        if (!bad && n_outputs == 0) {
            bad |= add_output(c, "-", 1, format);
        }
    }
    if (!bad && state != NULL) {
        bad |= conf_set(c, "service", NULL, "state", state);
    }
    if (!bad && since != NULL) {
        for (int i = 0; i < c->n_tenants && !bad; i++) {
            bad |= conf_set(c, "tenant", c->tenants[i].name, "since", since);
        }
    }
    if (!bad && metrics != NULL) {
        bad |= conf_set(c, "service", NULL, "metrics", metrics);
    }
    if (bad || conf_validate(c) != 0 || (!planonly && conf_validate_credentials(c) != 0)) {
        cli_err("%s", c->error);
        conf_dispose(c);
        free(c);
        return EXIT_CONFIG;
    }
    int rc = 0;
    if (check) {
        printf("configuration valid: %d tenant%s, %d output%s, store %s\n", c->n_tenants,
               c->n_tenants == 1 ? "" : "s", c->n_outputs, c->n_outputs == 1 ? "" : "s",
               c->service.state);
    } else if (planonly) {
        collect_print_plan(c, stdout);
    } else {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGHUP, SIG_IGN); /* logs go to stderr: nothing to reopen */
        signal(SIGPIPE, SIG_IGN);
        collect_run_opts ro = {once, verbose, &stop_flag};
        int r = collect_run(c, &ro);
        rc = r == 0 ? 0 : cli_exit_code(r);
        if (r == PPTAP_ECONFIG) {
            rc = EXIT_CONFIG;
        }
    }
    conf_dispose(c);
    free(c);
    return rc;
}
