/*
 * Helpers shared by the commands: exit codes, messages, buffered output,
 * block input.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"

int cli_exit_code(int err)
{
    switch (err) {
    case PPTAP_OK:
        return 0;
    case PPTAP_EINVAL:
        return EXIT_USAGE;
    case PPTAP_EDECODE:
    case PPTAP_EBUFS: /* a response or an event over its size cap */
        return EXIT_DATAERR;
    case PPTAP_EPROTO: /* the API's answer does not parse or breaks the protocol */
        return EXIT_PROTOCOL;
    case PPTAP_ENOTFOUND:
        return EXIT_NOINPUT;
    case PPTAP_EUNAVAIL:
    case PPTAP_ESERVER:
        return EXIT_UNAVAILABLE;
    case PPTAP_EIO:
        return EXIT_IOERR;
    case PPTAP_ETIMEOUT:
    case PPTAP_ERATELIMIT:
        return EXIT_TEMPFAIL;
    case PPTAP_EAUTH:
        return EXIT_NOPERM;
    case PPTAP_ECONFIG:
        return EXIT_CONFIG;
    default:
        return EXIT_SOFTWARE;
    }
}

int cli_usage_error(const char *cmd, char **argv, int opt)
{
    static const char *const globals[] = {"--base-url", "--config",   "--secret-file", "--proxy",
                                          "--cacert",   "--insecure", "--timeout",     "--retries",
                                          "-v",         "--verbose"};
    const char *arg = argv[optind - 1];
    for (size_t i = 0; i < sizeof globals / sizeof globals[0]; i++) {
        size_t n = strlen(globals[i]);
        if (strncmp(arg, globals[i], n) == 0 && (arg[n] == '\0' || arg[n] == '=')) {
            cli_err("'%s' is a global option: give it before the command, as in 'pptap "
                    "[global options] %s ...'",
                    globals[i], cmd);
            return EXIT_USAGE;
        }
    }
    if (opt == ':') {
        cli_err("option '%s' needs a value (see 'pptap %s --help')", arg, cmd);
    } else {
        cli_err("unknown option '%s' (see 'pptap %s --help')", arg, cmd);
    }
    return EXIT_USAGE;
}

void cli_err(const char *fmt, ...)
{
    va_list ap;
    fputs("pptap: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_out_init(cli_out *o, int fd, size_t cap)
{
    o->fd = fd;
    o->len = 0;
    o->cap = cap;
    o->failed = 0;
    o->buf = malloc(cap);
    return o->buf ? 0 : PPTAP_ENOMEM;
}

static void out_drain(cli_out *o)
{
    size_t off = 0;
    while (off < o->len && !o->failed) {
        ssize_t w = write(o->fd, o->buf + off, o->len - off);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            o->failed = errno ? errno : EIO;
            break;
        }
        off += (size_t)w;
    }
    o->len = 0;
}

void cli_out_put(cli_out *o, const void *d, size_t n)
{
    const char *p = d;
    while (n > 0) {
        if (o->len == o->cap) {
            out_drain(o);
        }
        size_t k = o->cap - o->len;
        if (k > n) {
            k = n;
        }
        memcpy(o->buf + o->len, p, k);
        o->len += k;
        p += k;
        n -= k;
    }
}

void cli_out_puts(cli_out *o, const char *s)
{
    cli_out_put(o, s, strlen(s));
}

void cli_out_putc(cli_out *o, char c)
{
    if (o->len == o->cap) {
        out_drain(o);
    }
    o->buf[o->len++] = c;
}

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t need;
    unsigned long cp;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n <= need) {
        return 0;
    }
    for (size_t k = 1; k <= need; k++) {
        if ((s[k] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    if ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (need == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
        return 0;
    }
    return need + 1;
}

void cli_out_json_str(cli_out *o, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    cli_out_putc(o, '"');
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] >= 0x20 && s[j] < 0x7F && s[j] != '"' && s[j] != '\\') {
            j++;
        }
        if (j > i) {
            cli_out_put(o, s + i, j - i);
            i = j;
            if (i == n) {
                break;
            }
        }
        unsigned char c = s[i];
        if (c == '"' || c == '\\') {
            cli_out_putc(o, '\\');
            cli_out_putc(o, (char)c);
            i++;
        } else if (c == '\n') {
            cli_out_puts(o, "\\n");
            i++;
        } else if (c == '\r') {
            cli_out_puts(o, "\\r");
            i++;
        } else if (c == '\t') {
            cli_out_puts(o, "\\t");
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            cli_out_put(o, u, 6);
            i++;
        } else {
            size_t k = utf8_seq(s + i, n - i);
            if (k == 0) {
                cli_out_puts(o, "\xEF\xBF\xBD");
                i++;
            } else {
                cli_out_put(o, s + i, k);
                i += k;
            }
        }
    }
    cli_out_putc(o, '"');
}

int cli_out_flush(cli_out *o)
{
    out_drain(o);
    return o->failed ? PPTAP_EIO : 0;
}

void cli_out_dispose(cli_out *o)
{
    free(o->buf);
    o->buf = NULL;
}

int cli_read_blocks(const char *path, cli_block_fn fn, void *payload)
{
    int fd = 0;
    if (strcmp(path, "-") != 0) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            cli_err("cannot open '%s': %s", path, strerror(errno));
            return EXIT_NOINPUT;
        }
    }
    int rc = 0;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        /* A regular file is mapped: no copy through read(). */
        size_t size = (size_t)st.st_size;
        void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map != MAP_FAILED) {
            (void)madvise(map, size, MADV_SEQUENTIAL);
            const size_t piece = 16u << 20;
            for (size_t off = 0; off < size && rc == 0; off += piece) {
                size_t n = size - off < piece ? size - off : piece;
                rc = fn((const char *)map + off, n, payload);
                /* a read piece leaves the resident set, so that memory does
                 * not grow with the file (read again, it faults back in) */
                (void)madvise((char *)map + off, n, MADV_DONTNEED);
            }
            munmap(map, size);
            if (fd != 0) {
                close(fd);
            }
            return rc;
        }
    }
    size_t cap = 1u << 20;
    char *buf = malloc(cap);
    if (buf == NULL) {
        cli_err("out of memory");
        rc = EXIT_SOFTWARE;
        goto out;
    }
    for (;;) {
        ssize_t r = read(fd, buf, cap);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            cli_err("cannot read '%s': %s", path, strerror(errno));
            rc = errno == EISDIR ? EXIT_NOINPUT : EXIT_IOERR;
            break;
        }
        if (r == 0) {
            break;
        }
        rc = fn(buf, (size_t)r, payload);
        if (rc != 0) {
            break;
        }
    }
out:
    free(buf);
    if (fd != 0) {
        close(fd);
    }
    return rc;
}

int cli_parse_duration(const char *s, int64_t *out_ms)
{
    long secs;
    int64_t ms;
    if (cli_parse_int(s, 1, 100L * 365 * 86400, &secs) == 0) {
        *out_ms = (int64_t)secs * 1000;
        return 0;
    }
    if (pptap_duration_parse_human(&ms, s) != 0 || ms <= 0) {
        return -1;
    }
    *out_ms = ms;
    return 0;
}

int cli_parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    if (s == NULL || *s == '\0' || *s == ' ' || *s == '+') {
        return -1;
    }
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi) {
        return -1;
    }
    *out = v;
    return 0;
}

static int json_put_cb(const char *buffer, size_t size, void *data)
{
    cli_out_put(data, buffer, size);
    return 0;
}

void cli_out_json(cli_out *o, const json_t *v)
{
    json_dump_callback(v, json_put_cb, o, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* A range that starts this close to the 7-day limit is moved inside it, so
 * that the first request is not refused while it is being sent or retried. */
#define LOOKBACK_MARGIN_MS (5 * 60 * 1000LL)

int cli_parse_range(const char *since, const char *from, const char *to, pptap_time_ms now,
                    pptap_time_ms *start, pptap_time_ms *end)
{
    if (since != NULL) {
        int64_t d;
        if (cli_parse_duration(since, &d) != 0) {
            cli_err("--since needs a duration such as 90s, 30m, 6h or 2d, not \"%s\"", since);
            return EXIT_USAGE;
        }
        *end = now - now % 1000;
        *start = *end - d;
    } else {
        if (pptap_time_parse(start, from, strlen(from)) != 0) {
            cli_err("--from needs an ISO 8601 date-time such as 2026-01-10T06:00:00Z, not "
                    "\"%s\"",
                    from);
            return EXIT_USAGE;
        }
        if (to == NULL) {
            *end = now - now % 1000;
        } else if (pptap_time_parse(end, to, strlen(to)) != 0) {
            cli_err("--to needs an ISO 8601 date-time such as 2026-01-10T12:00:00Z, not "
                    "\"%s\"",
                    to);
            return EXIT_USAGE;
        }
    }
    char a[PPTAP_TIME_STRLEN], b[PPTAP_TIME_STRLEN];
    pptap_time_format(a, *start);
    pptap_time_format(b, *end);
    if (*end <= *start) {
        cli_err("the range %s/%s is empty: its end must be after its start", a, b);
        return EXIT_USAGE;
    }
    if (*end > now) {
        cli_err("the range ends at %s, in the future: the API serves only past events", b);
        return EXIT_USAGE;
    }
    if (*start < now - PPTAP_LOOKBACK_MAX_MS) {
        cli_err("the range starts at %s, more than 7 days ago: the API serves only the last "
                "7 days (--since 7d at most)",
                a);
        return EXIT_USAGE;
    }
    if (*start < now - PPTAP_LOOKBACK_MAX_MS + LOOKBACK_MARGIN_MS) {
        *start = (now - PPTAP_LOOKBACK_MAX_MS + LOOKBACK_MARGIN_MS + 999) / 1000 * 1000;
        pptap_time_format(a, *start);
        cli_err("the range starts at the 7-day limit; starting at %s instead, 5 minutes "
                "inside it, so that no request is refused",
                a);
    }
    if (*end - *start < PPTAP_INTERVAL_MIN_MS) {
        pptap_time_format(a, *start);
        cli_err("the range %s/%s is shorter than 30 s, the API's minimum", a, b);
        return EXIT_USAGE;
    }
    return 0;
}

/* The windows of [start, end): whole maxima, then the rest; a rest under 30 s
 * is merged with the last one and the two are split in halves. Returns the
 * number of windows written to w (at most cap), or -1 when the range is
 * shorter than 30 s. */
long cli_plan_windows(pptap_time_ms start, pptap_time_ms end, int64_t max_ms, pptap_time_ms *w,
                      size_t cap)
{
    int64_t total = end - start;
    if (total < PPTAP_INTERVAL_MIN_MS) {
        return -1;
    }
    int64_t full = total / max_ms, tail = total % max_ms;
    size_t n = 0;
    pptap_time_ms t = start;
    w[n++] = t;
    int64_t hours = tail != 0 && tail < PPTAP_INTERVAL_MIN_MS ? full - 1 : full;
    for (int64_t i = 0; i < hours && n < cap; i++) {
        t += max_ms;
        w[n++] = t;
    }
    if (tail != 0 && tail < PPTAP_INTERVAL_MIN_MS) {
        int64_t rest = max_ms + tail;
        int64_t half = rest / 2 / 1000 * 1000;
        w[n++] = t + half;
        w[n++] = end;
    } else if (tail != 0) {
        w[n++] = end;
    }
    return (long)n - 1;
}

void cli_format_window(char *buf, size_t cap, pptap_time_ms a, pptap_time_ms b)
{
    char x[PPTAP_TIME_STRLEN], y[PPTAP_TIME_STRLEN];
    if (a % 1000 == 0 && b % 1000 == 0) {
        pptap_time_format(x, a);
        pptap_time_format(y, b);
    } else {
        pptap_time_format_ms(x, a);
        pptap_time_format_ms(y, b);
    }
    snprintf(buf, cap, "%s/%s", x, y);
}

void cli_out_text(cli_out *o, const char *s)
{
    /* server text in a terminal: no control characters (escape sequences) */
    for (const char *p = s; *p != '\0';) {
        size_t n = 0;
        while (p[n] != '\0' && (unsigned char)p[n] >= 0x20 && p[n] != 0x7f) {
            n++;
        }
        cli_out_put(o, p, n);
        p += n;
        if (*p != '\0') {
            cli_out_putc(o, '?');
            p++;
        }
    }
}
