/*
 * The pptap command: shared declarations of the command table and helpers.
 */
#ifndef PPTAP_CLI_CMD_H
#define PPTAP_CLI_CMD_H

#include <stdio.h>

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

int cmd_decode(int argc, char **argv);
void cmd_decode_usage(FILE *out);

#endif
