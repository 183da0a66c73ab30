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
    case PPTAP_EPROTO:
        return EXIT_DATAERR;
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
    const char *arg = argv[optind - 1];
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
                rc = fn((const char *)map + off, size - off < piece ? size - off : piece, payload);
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
