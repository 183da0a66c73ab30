/*
 * pptap-sim — command line, credentials, start-up and clean shutdown.
 *
 * The first line on stdout is the base URL (http://127.0.0.1:PORT), so a test
 * fixture can start the simulator on --port 0 and read where it listens.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim.h"

sim_config sim_cfg;

enum { EX_OK_ = 0, EX_USAGE_ = 64, EX_NOINPUT_ = 66, EX_UNAVAILABLE_ = 69, EX_IOERR_ = 74 };

static void usage(FILE *f)
{
    fputs("Usage: pptap-sim [options]\n"
          "A faithful simulator of the Proofpoint TAP v2 API with a deterministic synthetic\n"
          "tenant. Prints its base URL as the first line on stdout.\n"
          "\n"
          "Listening:\n"
          "  --port N               TCP port; 0 picks a free one (default 0)\n"
          "  --bind ADDR            address to listen on (default 127.0.0.1)\n"
          "  --port-file FILE       also write the base URL to FILE once listening\n"
          "  --tls-cert FILE        serve HTTPS with this PEM certificate (needs --tls-key)\n"
          "  --tls-key FILE         PEM private key of --tls-cert\n"
          "\n"
          "Tenant:\n"
          "  --seed N               seed of the synthetic tenant (default 1)\n"
          "  --rate N               SIEM events per hour, approximately (default 600)\n"
          "  --users N              mailboxes in the tenant (default 500)\n"
          "  --domain DOMAIN        the tenant's mail domain (default example.com)\n"
          "  --cluster NAME         PPS cluster name (default example_hosted)\n"
          "  --max-delay SECONDS    late-indexing horizon: events become visible up to this\n"
          "                         long after their creation (default 1800)\n"
          "  --late-ratio R         share of delivered messages that are late condemnations\n"
          "                         (default 0.05)\n"
          "  --text-plain P         probability of labelling JSON as text/plain (default 0)\n"
          "  --shuffle-keys P       probability of a SIEM JSON body with queryEndTime last or\n"
          "                         its arrays in another order (default 0)\n"
          "\n"
          "Clock:\n"
          "  --start TIME|OFFSET    simulated start time: ISO 8601 date-time, or an offset from\n"
          "                         now such as -7d or +1h (default now)\n"
          "  --speed N              simulated seconds per real second (default 1)\n"
          "\n"
          "Credentials (HTTP Basic; never printed):\n"
          "  --principal NAME       service principal (default $PPTAP_SIM_PRINCIPAL or\n"
          "                         \"pptap-sim\")\n"
          "  --secret-file FILE     file holding the service secret (default\n"
          "                         $PPTAP_SIM_SECRET or \"pptap-sim-secret\")\n"
          "  --no-auth              accept requests without (valid) credentials\n"
          "\n"
          "Throttling and logging:\n"
          "  --pool NAME=SIZE       size of a rolling 24 h pool; 0 = unlimited. Names:\n"
          "                         siem-clicks-permitted (1800), siem (1800),\n"
          "                         campaign-ids (50), vap (50), url-decode (1800),\n"
          "                         campaign (0), forensics (0), top-clickers (0)\n"
          "  --log-size N           requests kept for /admin/requests (default 1000)\n"
          "\n"
          "Fault injection (probabilities per API request, 0..1):\n"
          "  --fault-5xx P          answer 500/502/503/504\n"
          "  --fault-429 P          answer 429 without counting the request\n"
          "  --fault-slow P         delay the answer by --fault-slow-ms\n"
          "  --fault-slow-ms MS     delay of slow answers (default 5000)\n"
          "  --fault-truncate P     cut a successful body short and close the connection\n"
          "  --fault-reset P        reset the connection without an answer\n"
          "  --fault-badjson P      corrupt a successful body\n"
          "  --fault-seed N         seed of the fault draws (default 1)\n"
          "\n"
          "  -v, --verbose          log every API request (never credentials) to stderr\n"
          "  -h, --help             show this help and exit\n"
          "  --version              show the version and exit\n"
          "\n"
          "Admin endpoints (no auth): /admin/status, /admin/requests, /admin/pools,\n"
          "/admin/clock, /admin/faults, /admin/truth, /admin/reset. See pptap-sim(1).\n",
          f);
}

enum {
    O_PORT = 256,
    O_BIND,
    O_PORT_FILE,
    O_TLS_CERT,
    O_TLS_KEY,
    O_SEED,
    O_RATE,
    O_USERS,
    O_DOMAIN,
    O_CLUSTER,
    O_MAX_DELAY,
    O_LATE,
    O_TEXT_PLAIN,
    O_SHUFFLE,
    O_START,
    O_SPEED,
    O_PRINCIPAL,
    O_SECRET_FILE,
    O_NO_AUTH,
    O_POOL,
    O_LOG_SIZE,
    O_F5XX,
    O_F429,
    O_FSLOW,
    O_FSLOW_MS,
    O_FTRUNC,
    O_FRESET,
    O_FBADJSON,
    O_FSEED,
    O_VERSION,
    O_VERBOSE,
};

static const struct option long_opts[] = {
    {"port", required_argument, NULL, O_PORT},
    {"bind", required_argument, NULL, O_BIND},
    {"port-file", required_argument, NULL, O_PORT_FILE},
    {"tls-cert", required_argument, NULL, O_TLS_CERT},
    {"tls-key", required_argument, NULL, O_TLS_KEY},
    {"seed", required_argument, NULL, O_SEED},
    {"rate", required_argument, NULL, O_RATE},
    {"users", required_argument, NULL, O_USERS},
    {"domain", required_argument, NULL, O_DOMAIN},
    {"cluster", required_argument, NULL, O_CLUSTER},
    {"max-delay", required_argument, NULL, O_MAX_DELAY},
    {"late-ratio", required_argument, NULL, O_LATE},
    {"text-plain", required_argument, NULL, O_TEXT_PLAIN},
    {"shuffle-keys", required_argument, NULL, O_SHUFFLE},
    {"start", required_argument, NULL, O_START},
    {"speed", required_argument, NULL, O_SPEED},
    {"principal", required_argument, NULL, O_PRINCIPAL},
    {"secret-file", required_argument, NULL, O_SECRET_FILE},
    {"no-auth", no_argument, NULL, O_NO_AUTH},
    {"pool", required_argument, NULL, O_POOL},
    {"log-size", required_argument, NULL, O_LOG_SIZE},
    {"fault-5xx", required_argument, NULL, O_F5XX},
    {"fault-429", required_argument, NULL, O_F429},
    {"fault-slow", required_argument, NULL, O_FSLOW},
    {"fault-slow-ms", required_argument, NULL, O_FSLOW_MS},
    {"fault-truncate", required_argument, NULL, O_FTRUNC},
    {"fault-reset", required_argument, NULL, O_FRESET},
    {"fault-badjson", required_argument, NULL, O_FBADJSON},
    {"fault-seed", required_argument, NULL, O_FSEED},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, O_VERSION},
    {NULL, 0, NULL, 0},
};

static int parse_num(const char *opt, const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "pptap-sim: --%s: '%s' is not a number from %g to %g\n", opt, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_u64(const char *opt, const char *s, uint64_t *out)
{
    int64_t v;
    if (sim_parse_int(s, &v) != 0 || v < 0) {
        fprintf(stderr, "pptap-sim: --%s: '%s' is not a non-negative integer\n", opt, s);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

static int read_secret(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "pptap-sim: cannot open secret file '%s': %s\n", path, strerror(errno));
        return -1;
    }
    size_t n = fread(sim_cfg.secret, 1, sizeof sim_cfg.secret - 1, f);
    fclose(f);
    sim_cfg.secret[n] = '\0';
    while (n > 0 && (sim_cfg.secret[n - 1] == '\n' || sim_cfg.secret[n - 1] == '\r')) {
        sim_cfg.secret[--n] = '\0';
    }
    return 0;
}

static int parse_start(const char *s, pptap_time_ms *out)
{
    if (s[0] == '-' || s[0] == '+') {
        int64_t ms;
        if (pptap_duration_parse_human(&ms, s + 1) != 0) {
            return -1;
        }
        *out = pptap_time_now() + (s[0] == '-' ? -ms : ms);
        return 0;
    }
    return pptap_time_parse(out, s, strlen(s));
}

int main(int argc, char **argv)
{
    double v;
    uint64_t u;
    int port = 0;
    const char *bind = "127.0.0.1", *port_file = NULL, *cert = NULL, *key = NULL;
    const char *secret_file = NULL;
    pptap_time_ms start = pptap_time_now();
    double speed = 1.0;

    sim_cfg.seed = 1;
    sim_cfg.rate = 600;
    sim_cfg.users = 500;
    sim_cfg.max_delay_s = 1800;
    sim_cfg.late_permille = 50;
    snprintf(sim_cfg.domain, sizeof sim_cfg.domain, "example.com");
    snprintf(sim_cfg.cluster, sizeof sim_cfg.cluster, "example_hosted");
    const char *envp = getenv("PPTAP_SIM_PRINCIPAL");
    snprintf(sim_cfg.principal, sizeof sim_cfg.principal, "%s", envp ? envp : "pptap-sim");
    const int default_pools[SIM_POOL_COUNT] = {1800, 1800, 50, 50, 1800, 0, 0, 0};
    memcpy(sim_cfg.pool_size, default_pools, sizeof default_pools);
    sim_cfg.log_size = 1000;
    sim_cfg.faults.slow_ms = 5000;
    sim_cfg.faults.seed = 1;

    int c;
    while ((c = getopt_long(argc, argv, "hv", long_opts, NULL)) != -1) {
        const char *name = NULL;
        for (const struct option *o = long_opts; o->name; o++) {
            if (o->val == c) {
                name = o->name;
            }
        }
        switch (c) {
        case 'v':
            sim_cfg.verbose = 1;
            break;
        case 'h':
            usage(stdout);
            return EX_OK_;
        case O_VERSION:
            printf("pptap-sim %s (libpptap %s)\n", PPTAP_VERSION, pptap_version());
            return EX_OK_;
        case O_PORT:
            if (parse_num(name, optarg, 0, 65535, &v) != 0) {
                return EX_USAGE_;
            }
            port = (int)v;
            break;
        case O_BIND:
            bind = optarg;
            break;
        case O_PORT_FILE:
            port_file = optarg;
            break;
        case O_TLS_CERT:
            cert = optarg;
            break;
        case O_TLS_KEY:
            key = optarg;
            break;
        case O_SEED:
            if (parse_u64(name, optarg, &sim_cfg.seed) != 0) {
                return EX_USAGE_;
            }
            break;
        case O_RATE:
            if (parse_num(name, optarg, 0, 10000000, &sim_cfg.rate) != 0) {
                return EX_USAGE_;
            }
            break;
        case O_USERS:
            if (parse_num(name, optarg, 1, 1000000, &v) != 0) {
                return EX_USAGE_;
            }
            sim_cfg.users = (int)v;
            break;
        case O_DOMAIN:
            snprintf(sim_cfg.domain, sizeof sim_cfg.domain, "%s", optarg);
            break;
        case O_CLUSTER:
            snprintf(sim_cfg.cluster, sizeof sim_cfg.cluster, "%s", optarg);
            break;
        case O_MAX_DELAY:
            if (parse_num(name, optarg, 0, 86400, &v) != 0) {
                return EX_USAGE_;
            }
            sim_cfg.max_delay_s = (int)v;
            break;
        case O_LATE:
            if (parse_num(name, optarg, 0, 1, &v) != 0) {
                return EX_USAGE_;
            }
            sim_cfg.late_permille = (int)(v * 1000 + 0.5);
            break;
        case O_TEXT_PLAIN:
            if (parse_num(name, optarg, 0, 1, &sim_cfg.text_plain) != 0) {
                return EX_USAGE_;
            }
            break;
        case O_SHUFFLE:
            if (parse_num(name, optarg, 0, 1, &sim_cfg.shuffle) != 0) {
                return EX_USAGE_;
            }
            break;
        case O_START:
            if (parse_start(optarg, &start) != 0) {
                fprintf(stderr, "pptap-sim: --start: '%s' is not a date-time or offset\n", optarg);
                return EX_USAGE_;
            }
            break;
        case O_SPEED:
            if (parse_num(name, optarg, 0, 1e7, &speed) != 0) {
                return EX_USAGE_;
            }
            break;
        case O_PRINCIPAL:
            snprintf(sim_cfg.principal, sizeof sim_cfg.principal, "%s", optarg);
            break;
        case O_SECRET_FILE:
            secret_file = optarg;
            break;
        case O_NO_AUTH:
            sim_cfg.auth_disabled = 1;
            break;
        case O_POOL: {
            const char *eq = strchr(optarg, '=');
            int found = -1;
            for (int i = 0; eq && i < SIM_POOL_COUNT; i++) {
                if (strlen(sim_pool_name[i]) == (size_t)(eq - optarg) &&
                    strncmp(optarg, sim_pool_name[i], (size_t)(eq - optarg)) == 0) {
                    found = i;
                }
            }
            if (found < 0 || parse_num(name, eq + 1, 0, 10000000, &v) != 0) {
                fprintf(stderr,
                        "pptap-sim: --pool: expected NAME=SIZE with a known pool, got '%s'\n",
                        optarg);
                return EX_USAGE_;
            }
            sim_cfg.pool_size[found] = (int)v;
            break;
        }
        case O_LOG_SIZE:
            if (parse_num(name, optarg, 0, 1000000, &v) != 0) {
                return EX_USAGE_;
            }
            sim_cfg.log_size = (int)v;
            break;
        case O_F5XX:
        case O_F429:
        case O_FSLOW:
        case O_FTRUNC:
        case O_FRESET:
        case O_FBADJSON: {
            double *slot = c == O_F5XX     ? &sim_cfg.faults.p_5xx
                           : c == O_F429   ? &sim_cfg.faults.p_429
                           : c == O_FSLOW  ? &sim_cfg.faults.p_slow
                           : c == O_FTRUNC ? &sim_cfg.faults.p_truncate
                           : c == O_FRESET ? &sim_cfg.faults.p_reset
                                           : &sim_cfg.faults.p_badjson;
            if (parse_num(name, optarg, 0, 1, slot) != 0) {
                return EX_USAGE_;
            }
            break;
        }
        case O_FSLOW_MS:
            if (parse_u64(name, optarg, &u) != 0) {
                return EX_USAGE_;
            }
            sim_cfg.faults.slow_ms = (int64_t)u;
            break;
        case O_FSEED:
            if (parse_u64(name, optarg, &sim_cfg.faults.seed) != 0) {
                return EX_USAGE_;
            }
            break;
        default:
            fputs("Try 'pptap-sim --help'.\n", stderr);
            return EX_USAGE_;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pptap-sim: unexpected argument '%s'\n", argv[optind]);
        return EX_USAGE_;
    }
    if (secret_file) {
        if (read_secret(secret_file) != 0) {
            return EX_NOINPUT_;
        }
    } else {
        const char *env = getenv("PPTAP_SIM_SECRET");
        snprintf(sim_cfg.secret, sizeof sim_cfg.secret, "%s", env ? env : "pptap-sim-secret");
    }
    sim_clock_init(start, speed);
    sim_gen_init();

    /* Block the stop signals in every thread; the main thread waits for them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    int bound = 0;
    int err = sim_server_start(bind, port, cert, key, &bound);
    if (err != 0) {
        return err == -2 ? EX_NOINPUT_ : err == -3 ? EX_USAGE_ : EX_UNAVAILABLE_;
    }
    char url[128];
    snprintf(url, sizeof url, "%s://%s%s%s:%d", cert ? "https" : "http",
             strchr(bind, ':') ? "[" : "", bind, strchr(bind, ':') ? "]" : "", bound);
    printf("%s\n", url);
    fflush(stdout);
    if (port_file) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
        FILE *f = fopen(tmp, "w");
        if (f == NULL || fprintf(f, "%s\n", url) < 0 || fclose(f) != 0 ||
            rename(tmp, port_file) != 0) {
            fprintf(stderr, "pptap-sim: cannot write port file '%s': %s\n", port_file,
                    strerror(errno));
            sim_server_stop();
            return EX_IOERR_;
        }
    }
    char now[PPTAP_TIME_STRLEN];
    pptap_time_format(now, sim_clock_now());
    fprintf(stderr, "pptap-sim: listening on %s (seed %llu, %.0f events/h, clock %s x%g)\n", url,
            (unsigned long long)sim_cfg.seed, sim_cfg.rate, now, speed);

    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "pptap-sim: %s received, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    sim_stopping = 1;
    sim_server_stop();
    if (port_file) {
        unlink(port_file);
    }
    explicit_bzero(sim_cfg.secret, sizeof sim_cfg.secret);
    return EX_OK_;
}
