/*
 * kafka-mock: a Kafka cluster for tests, librdkafka's mock cluster in a
 * process of its own, so that it outlives the producers (collector restarts)
 * that use it. Every listener is on 127.0.0.1, on a port the system picks.
 *
 * usage: kafka-mock [--brokers N] [--partitions N] [--replication N]
 *                   --bootstrap-file PATH [--control FIFO] TOPIC...
 *
 * Creates the topics (partition P led by broker P % N + 1, so a test knows
 * the leaders), writes the bootstrap servers to PATH (complete when it
 * appears) and serves until SIGTERM, SIGINT, `stop` or the end of standard
 * input (without --control). Commands, one a line, come from the FIFO
 * (created if missing) or standard input; each is answered on standard
 * output with "ok LINE" or "error LINE: why":
 *
 *   down ID                   broker ID (-1: all) closes its connections and
 *                             refuses new ones (the leaders stay where they are)
 *   up ID                     accepts connections again
 *   leader TOPIC PART ID      moves the leadership of a partition
 *   rtt ID MS                 delays broker ID's responses
 *   errors API ERR...         the next requests of API (produce, fetch,
 *                             metadata, initproducerid or a number) fail with
 *                             ERR (NOT_ENOUGH_REPLICAS, _TRANSPORT…), in order,
 *                             on whichever broker receives them
 *   broker-errors ID API ERR:MS...
 *                             the same on broker ID, each answer delayed MS
 *                             (ERR may be NO_ERROR: a slow success)
 *   stop
 *
 * Limits of librdkafka 2.0.2's mock brokers a test must know: a partition
 * keeps at most 5 MiB (older batches are dropped: kafka-consume reports a
 * log that does not start at 0), and produce requests are only checked for
 * duplicate sequence numbers when the producer is transactional.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define CMD_MAX 4096 /* bytes of a command line */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int parse_int(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0') {
        return -1;
    }
    *out = v;
    return 0;
}

static int api_key(const char *s)
{
    static const struct {
        const char *name;
        int key;
    } apis[] = {
        {"produce", 0}, {"fetch", 1}, {"listoffsets", 2}, {"metadata", 3}, {"initproducerid", 22},
    };
    for (size_t i = 0; i < sizeof(apis) / sizeof(apis[0]); i++) {
        if (strcasecmp(s, apis[i].name) == 0) {
            return apis[i].key;
        }
    }
    long v;
    return parse_int(s, &v) == 0 && v >= 0 && v < 100 ? (int)v : -1;
}

/* An error code by name (NOT_ENOUGH_REPLICAS, _TRANSPORT) or number. */
static int error_code(const char *s, rd_kafka_resp_err_t *out)
{
    const struct rd_kafka_err_desc *descs;
    size_t n;
    rd_kafka_get_err_descs(&descs, &n);
    for (size_t i = 0; i < n; i++) {
        if (descs[i].name != NULL && strcmp(descs[i].name, s) == 0) {
            *out = descs[i].code;
            return 0;
        }
    }
    long v;
    if (parse_int(s, &v) == 0) {
        *out = (rd_kafka_resp_err_t)v;
        return 0;
    }
    return -1;
}

/* Runs one command; returns NULL or why it failed. */
static const char *command(rd_kafka_mock_cluster_t *mc, char *line)
{
    char *argv[64];
    int argc = 0;
    char *p = line;
    while (argc < 64) {
        p += strspn(p, " \t\r");
        if (*p == '\0') {
            break;
        }
        argv[argc++] = p;
        p += strcspn(p, " \t\r");
        if (*p != '\0') {
            *p++ = '\0';
        }
    }
    if (argc == 0) {
        return "empty command";
    }
    long id, v;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (strcmp(argv[0], "stop") == 0) {
        stop = 1;
    } else if ((strcmp(argv[0], "down") == 0 || strcmp(argv[0], "up") == 0) && argc == 2 &&
               parse_int(argv[1], &id) == 0) {
        err = argv[0][0] == 'd' ? rd_kafka_mock_broker_set_down(mc, (int32_t)id)
                                : rd_kafka_mock_broker_set_up(mc, (int32_t)id);
    } else if (strcmp(argv[0], "leader") == 0 && argc == 4 && parse_int(argv[2], &v) == 0 &&
               parse_int(argv[3], &id) == 0) {
        err = rd_kafka_mock_partition_set_leader(mc, argv[1], (int32_t)v, (int32_t)id);
    } else if (strcmp(argv[0], "rtt") == 0 && argc == 3 && parse_int(argv[1], &id) == 0 &&
               parse_int(argv[2], &v) == 0) {
        err = rd_kafka_mock_broker_set_rtt(mc, (int32_t)id, (int)v);
    } else if (strcmp(argv[0], "errors") == 0 && argc >= 3) {
        int key = api_key(argv[1]);
        rd_kafka_resp_err_t errs[62];
        if (key < 0) {
            return "unknown API";
        }
        for (int i = 2; i < argc; i++) {
            if (error_code(argv[i], &errs[i - 2]) != 0) {
                return "unknown error name";
            }
        }
        rd_kafka_mock_push_request_errors_array(mc, (int16_t)key, (size_t)(argc - 2), errs);
    } else if (strcmp(argv[0], "broker-errors") == 0 && argc >= 4 && parse_int(argv[1], &id) == 0) {
        int key = api_key(argv[2]);
        if (key < 0) {
            return "unknown API";
        }
        for (int i = 3; i < argc && err == RD_KAFKA_RESP_ERR_NO_ERROR; i++) {
            char *colon = strchr(argv[i], ':');
            long ms = 0;
            rd_kafka_resp_err_t e;
            if (colon != NULL) {
                *colon = '\0';
                if (parse_int(colon + 1, &ms) != 0) {
                    return "ERR:MS expected";
                }
            }
            if (error_code(argv[i], &e) != 0) {
                return "unknown error name";
            }
            err = rd_kafka_mock_broker_push_request_error_rtts(mc, (int32_t)id, (int16_t)key, 1, e,
                                                               (int)ms);
        }
    } else {
        return "unknown command or wrong arguments";
    }
    return err == RD_KAFKA_RESP_ERR_NO_ERROR ? NULL : rd_kafka_err2str(err);
}

/* Runs the complete lines of buf[0..*len) and keeps the rest. */
static void run_lines(rd_kafka_mock_cluster_t *mc, char *buf, size_t *len)
{
    char *start = buf;
    char *nl;
    while ((nl = memchr(start, '\n', *len - (size_t)(start - buf))) != NULL) {
        *nl = '\0';
        char copy[CMD_MAX];
        snprintf(copy, sizeof(copy), "%s", start);
        const char *why = command(mc, start);
        if (why == NULL) {
            printf("ok %s\n", copy);
        } else {
            printf("error %s: %s\n", copy, why);
        }
        fflush(stdout);
        start = nl + 1;
    }
    size_t rest = *len - (size_t)(start - buf);
    memmove(buf, start, rest);
    *len = rest;
}

static void usage(void)
{
    fputs("usage: kafka-mock [--brokers N] [--partitions N] [--replication N] "
          "--bootstrap-file PATH [--control FIFO] TOPIC...\n",
          stderr);
}

int main(int argc, char **argv)
{
    long brokers = 3, partitions = 4, replication = 3;
    const char *bootstrap_file = NULL, *control = NULL;
    int first_topic = argc;
    for (int i = 1; i < argc; i++) {
        long *num = NULL;
        if (strcmp(argv[i], "--brokers") == 0) {
            num = &brokers;
        } else if (strcmp(argv[i], "--partitions") == 0) {
            num = &partitions;
        } else if (strcmp(argv[i], "--replication") == 0) {
            num = &replication;
        } else if (strcmp(argv[i], "--bootstrap-file") == 0 && i + 1 < argc) {
            bootstrap_file = argv[++i];
            continue;
        } else if (strcmp(argv[i], "--control") == 0 && i + 1 < argc) {
            control = argv[++i];
            continue;
        } else if (argv[i][0] == '-') {
            usage();
            return 64;
        } else {
            first_topic = i;
            break;
        }
        if (i + 1 >= argc || parse_int(argv[++i], num) != 0 || *num < 1) {
            usage();
            return 64;
        }
    }
    if (bootstrap_file == NULL || first_topic == argc || replication > brokers) {
        usage();
        return 64;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    char err[512];
    rd_kafka_conf_t *kc = rd_kafka_conf_new();
    /* This handle only owns the cluster: no notice that it has no brokers. */
    (void)rd_kafka_conf_set(kc, "log_level", "4", err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, err, sizeof(err));
    if (rk == NULL) {
        fprintf(stderr, "kafka-mock: %s\n", err);
        return 70;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, (int)brokers);
    if (mc == NULL) {
        fprintf(stderr, "kafka-mock: cannot create the mock cluster\n");
        rd_kafka_destroy(rk);
        return 70;
    }
    int rc = 0;
    for (int i = first_topic; i < argc && rc == 0; i++) {
        rd_kafka_resp_err_t e =
            rd_kafka_mock_topic_create(mc, argv[i], (int)partitions, (int)replication);
        for (int p = 0; p < partitions && e == RD_KAFKA_RESP_ERR_NO_ERROR; p++) {
            e = rd_kafka_mock_partition_set_leader(mc, argv[i], p, (int32_t)(p % brokers + 1));
        }
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
            fprintf(stderr, "kafka-mock: topic %s: %s\n", argv[i], rd_kafka_err2str(e));
            rc = 70;
        }
    }
    int fd = 0;
    if (rc == 0 && control != NULL) {
        if (mkfifo(control, 0600) != 0 && errno != EEXIST) {
            fprintf(stderr, "kafka-mock: %s: %s\n", control, strerror(errno));
            rc = 74;
        } else if ((fd = open(control, O_RDWR | O_CLOEXEC)) < 0) {
            /* Read and write: the FIFO never reports an end when a writer
             * closes it. */
            fprintf(stderr, "kafka-mock: %s: %s\n", control, strerror(errno));
            rc = 74;
        }
    }
    if (rc == 0) {
        char tmp[4096];
        snprintf(tmp, sizeof(tmp), "%s.tmp", bootstrap_file);
        FILE *f = fopen(tmp, "w");
        if (f == NULL || fprintf(f, "%s\n", rd_kafka_mock_cluster_bootstraps(mc)) < 0 ||
            fclose(f) != 0 || rename(tmp, bootstrap_file) != 0) {
            fprintf(stderr, "kafka-mock: %s: %s\n", bootstrap_file, strerror(errno));
            rc = 74;
        }
    }
    char buf[CMD_MAX];
    size_t len = 0;
    while (rc == 0 && !stop) {
        struct pollfd pfd = {fd, POLLIN, 0};
        int n = poll(&pfd, 1, 200);
        if (n <= 0) {
            continue;
        }
        ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);
        if (r == 0) {
            break; /* standard input ended */
        }
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            fprintf(stderr, "kafka-mock: read: %s\n", strerror(errno));
            rc = 74;
            break;
        }
        len += (size_t)r;
        run_lines(mc, buf, &len);
        if (len == sizeof(buf) - 1) {
            len = 0; /* a line that long is no command */
        }
    }
    if (fd > 0) {
        close(fd);
    }
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return rc;
}
