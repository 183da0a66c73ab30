/*
 * The pptap command: shared declarations of the command table and helpers.
 */
#ifndef PPTAP_CLI_CMD_H
#define PPTAP_CLI_CMD_H

#include <stdio.h>

#include <stdint.h>

#include <jansson.h>

#include <pptap/pptap.h>

/* sysexits(3) codes, the only exit statuses pptap uses besides 0. */
enum {
    EX_OK_ = 0,
    EXIT_USAGE = 64,
    EXIT_DATAERR = 65,
    EXIT_NOINPUT = 66,
    EXIT_UNAVAILABLE = 69,
    EXIT_SOFTWARE = 70,
    EXIT_IOERR = 74,
    EXIT_TEMPFAIL = 75,
    EXIT_PROTOCOL = 76,
    EXIT_NOPERM = 77,
    EXIT_CONFIG = 78,
};

typedef struct {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
    void (*usage)(FILE *out);
} pptap_cli_cmd;

/* Maps a PPTAP_E* code to its sysexits status (the single mapping). */
int cli_exit_code(int err);

/* Reports a getopt failure ('?' or ':' from an optstring starting with ':',
 * opterr = 0) for command cmd; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, char **argv, int opt);

/* Prints "pptap: <message>" on stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Buffered writer on a file descriptor, for bulk output. */
typedef struct {
    int fd;
    char *buf;
    size_t len, cap;
    int failed;
} cli_out;

int cli_out_init(cli_out *o, int fd, size_t cap);
void cli_out_put(cli_out *o, const void *d, size_t n);
void cli_out_puts(cli_out *o, const char *s);
void cli_out_putc(cli_out *o, char c);
/* Writes s as a JSON string (quoted, escaped); invalid UTF-8 becomes U+FFFD. */
void cli_out_json_str(cli_out *o, const char *s, size_t n);
int cli_out_flush(cli_out *o);
void cli_out_dispose(cli_out *o);

/* Reads a file (or stdin for "-") through a callback, in blocks. Returns 0,
 * or EXIT_NOINPUT / EXIT_IOERR after printing the reason. */
typedef int (*cli_block_fn)(const char *data, size_t len, void *payload);
int cli_read_blocks(const char *path, cli_block_fn fn, void *payload);

/* Global options (main.c), read by the commands. Strings point into argv. */
typedef struct {
    const char *base_url;    /* --base-url */
    const char *config;      /* --config */
    const char *secret_file; /* --secret-file */
    const char *proxy;       /* --proxy */
    const char *cacert;      /* --cacert */
    int insecure;            /* --insecure */
    long timeout_ms;         /* --timeout; 0 = settings/default */
    int retries;             /* --retries; -1 = default */
    int verbose;             /* -v */
    int json;                /* --json */
    const char *ledger;      /* --ledger: the store whose request ledger records requests */
    const char *tenant;      /* --tenant: the ledger's tenant name (default "default") */
} cli_globals;

extern cli_globals cli_g;

/* Builds a client from defaults < config file < environment < flags. On
 * failure prints why and returns the exit status (78 without credentials). */
int cli_client_open(pptap_client **out);

/* As cli_client_open() but silent: on failure the reason is in msg. */
int cli_client_open_msg(pptap_client **out, char *msg, size_t msglen);

/* The base URL of the client cli_client_open() built. */
const char *cli_base_url(void);

/* "Now" for relative windows: $PPTAP_NOW when set (tests), else the clock. */
pptap_time_ms cli_now(void);

/* Reports a failed API call (the client's message) and returns its exit status. */
int cli_api_error(const pptap_client *c, int err);

/* Parses a positive duration ("90s", "6h", "1h30m", ISO 8601, or plain
 * seconds). Returns 0 or -1. */
int cli_parse_duration(const char *s, int64_t *out_ms);

/* Parses a decimal integer in [lo, hi]. Returns 0 or -1. */
int cli_parse_int(const char *s, long lo, long hi, long *out);

/* Writes a JSON value compactly (jansson) to o. */
void cli_out_json(cli_out *o, const json_t *v);

/* Resolves --since DURATION or --from TIME [--to TIME] against `now` into
 * [start, end): end not in the future, at least 30 s, within the API's 7
 * days (a start at the very limit is moved 5 min inside it, with a note).
 * Returns 0 or EXIT_USAGE after printing why. */
int cli_parse_range(const char *since, const char *from, const char *to, pptap_time_ms now,
                    pptap_time_ms *start, pptap_time_ms *end);

/* Cuts [start, end) into consecutive windows of at most max_ms and at least
 * 30 s: w[0..n] are the n+1 boundaries. Returns n, or -1 under 30 s. `cap`
 * must be at least (end - start) / max_ms + 3. */
long cli_plan_windows(pptap_time_ms start, pptap_time_ms end, int64_t max_ms, pptap_time_ms *w,
                      size_t cap);

/* "START/END" in seconds, or in milliseconds when either has a fraction. */
void cli_format_window(char *buf, size_t cap, pptap_time_ms a, pptap_time_ms b);

/* Writes server text for humans: control characters become '?'. */
void cli_out_text(cli_out *o, const char *s);

/* Text output helpers: "label value\n" ("-" when NULL) and "label a, b\n". */
void cli_put_field(cli_out *o, const char *label, const char *value);
void cli_put_named(cli_out *o, const char *label, const pptap_namedlist *l);

/* Exit status of several results: the first failure wins. */
static inline int cli_worse(int a, int b)
{
    return a != 0 ? a : b;
}

int cmd_decode(int argc, char **argv);
void cmd_decode_usage(FILE *out);
int cmd_siem(int argc, char **argv);
void cmd_siem_usage(FILE *out);
int cmd_campaign(int argc, char **argv);
void cmd_campaign_usage(FILE *out);
int cmd_forensics(int argc, char **argv);
void cmd_forensics_usage(FILE *out);
int cmd_threat(int argc, char **argv);
void cmd_threat_usage(FILE *out);
int cmd_people(int argc, char **argv);
void cmd_people_usage(FILE *out);
int cmd_ping(int argc, char **argv);
void cmd_ping_usage(FILE *out);
int cmd_collect(int argc, char **argv);
void cmd_collect_usage(FILE *out);
int cmd_mcp(int argc, char **argv);
void cmd_mcp_usage(FILE *out);
int cmd_normalize(int argc, char **argv);
void cmd_normalize_usage(FILE *out);

#endif
