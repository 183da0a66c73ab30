/*
 * pptap decode: URL Defense links from arguments, from lines on stdin, or
 * found anywhere in text (--scan).
 */
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

void cmd_decode_usage(FILE *out)
{
    fputs("usage: pptap decode [--json] [URL...]\n"
          "       pptap decode --scan FILE|- [--json | --rewrite] [--qp | --no-qp]\n"
          "\n"
          "Decodes Proofpoint URL Defense links (v1, v2, v3; urldefense.proofpoint.com,\n"
          "urldefense.com, urldefense.us) offline. Without URL arguments, reads one link\n"
          "per line from standard input (blank lines are skipped).\n"
          "\n"
          "Output is the decoded URL per input line; a link that does not decode is\n"
          "printed unchanged, with the reason on standard error. Control characters and\n"
          "spaces in a decoded URL are written as %XX so that every input gives one line.\n"
          "\n"
          "Options:\n"
          "  -j, --json       one JSON object per input: encodedUrl, decodedUrl, success,\n"
          "                   error, errorCode, version (and offset, length, context,\n"
          "                   layers, quotedPrintable with --scan)\n"
          "  -s, --scan FILE  find every rewritten link in free text (plain, HTML,\n"
          "                   quoted-printable mail) in FILE, or standard input for '-'\n"
          "  -r, --rewrite    with --scan: print the text with every link decoded in place\n"
          "      --qp         with --scan: read the whole input as quoted-printable\n"
          "      --no-qp      with --scan: never read links as quoted-printable\n"
          "  -h, --help       show this help and exit\n"
          "\n"
          "Exit status: 0 when every link decoded, 65 when some did not (the output still\n"
          "covers all of them), 64 on usage errors, 66 when FILE cannot be read.\n",
          out);
}

typedef struct {
    int json;
    cli_out out;
    char *dec;
    size_t dec_cap;
    unsigned long long n_in;
    unsigned long long n_failed;
    /* line assembly for stdin */
    char *line;
    size_t line_len, line_cap;
    int rewrite;
} decode_ctx;

static const char hexdig[] = "0123456789ABCDEF";

/* Index of the first byte of s[0..n) that is <= 0x20 or 0x7F, or n; eight
 * bytes at a time (a word has such a byte when one of its bytes, less 0x21,
 * borrows, or XOR 0x7F is zero). */
static size_t span_printable(const unsigned char *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t low = (w - ones * 0x21) & ~w & highs;
        uint64_t d = w ^ (ones * 0x7F);
        uint64_t del = (d - ones) & ~d & highs;
        if ((low | del) != 0) {
            break;
        }
    }
    for (; i < n; i++) {
        if (s[i] <= 0x20 || s[i] == 0x7F) {
            return i;
        }
    }
    return n;
}

/* Writes a decoded URL on one line: control bytes and spaces as %XX. */
static void put_line_safe(cli_out *o, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i + span_printable((const unsigned char *)s + i, n - i);
        cli_out_put(o, s + i, j - i);
        if (j == n) {
            break;
        }
        unsigned char c = (unsigned char)s[j];
        char esc[3] = {'%', hexdig[c >> 4], hexdig[c & 15]};
        cli_out_put(o, esc, 3);
        i = j + 1;
    }
}

static void put_json_result(cli_out *o, const char *enc, size_t enclen, int rc,
                            const pptap_urldef_result *r, const char *dec, size_t declen)
{
    cli_out_puts(o, "\"encodedUrl\":");
    cli_out_json_str(o, enc, enclen);
    cli_out_puts(o, ",\"decodedUrl\":");
    if (rc == 0) {
        cli_out_json_str(o, dec, declen);
    } else {
        cli_out_puts(o, "null");
    }
    cli_out_puts(o, rc == 0 ? ",\"success\":true" : ",\"success\":false");
    cli_out_puts(o, ",\"error\":");
    if (rc == 0) {
        cli_out_puts(o, "null,\"errorCode\":null");
    } else {
        cli_out_json_str(o, pptap_urldef_status_message(r->status),
                         strlen(pptap_urldef_status_message(r->status)));
        cli_out_puts(o, ",\"errorCode\":");
        cli_out_json_str(o, pptap_urldef_status_code(r->status),
                         strlen(pptap_urldef_status_code(r->status)));
    }
    cli_out_puts(o, ",\"version\":");
    if (r->version > 0) {
        char v[2] = {(char)('0' + r->version), 0};
        cli_out_puts(o, v);
    } else {
        cli_out_puts(o, "null");
    }
    if (rc == 0 && (r->flags & PPTAP_URLDEF_F_INVALID_UTF8)) {
        /* JSON strings are UTF-8: give the exact bytes percent-escaped too. */
        cli_out_puts(o, ",\"invalidUtf8\":true,\"decodedUrlPercent\":\"");
        for (size_t i = 0; i < declen; i++) {
            unsigned char c = (unsigned char)dec[i];
            if (c >= 0x80 || c < 0x20 || c == '%' || c == '"' || c == '\\' || c == 0x7F) {
                char esc[3] = {'%', hexdig[c >> 4], hexdig[c & 15]};
                cli_out_put(o, esc, 3);
            } else {
                cli_out_putc(o, (char)c);
            }
        }
        cli_out_putc(o, '"');
    }
}

static int decode_one(decode_ctx *c, const char *in, size_t len, const char *where,
                      unsigned long long n)
{
    size_t need = PPTAP_URLDEF_DECODE_MAX(len);
    if (need > c->dec_cap) {
        char *p = realloc(c->dec, need);
        if (p == NULL) {
            cli_err("out of memory");
            return EXIT_SOFTWARE;
        }
        c->dec = p;
        c->dec_cap = need;
    }
    pptap_urldef_result r;
    int rc = pptap_urldef_decode(&r, c->dec, c->dec_cap, in, len);
    c->n_in++;
    if (rc != 0) {
        c->n_failed++;
        if (!c->json) {
            cli_err("%s %llu: %s: %s", where, n, pptap_urldef_status_code(r.status),
                    pptap_urldef_status_message(r.status));
        }
    }
    if (c->json) {
        cli_out_putc(&c->out, '{');
        put_json_result(&c->out, in, len, rc, &r, c->dec, r.len);
        cli_out_puts(&c->out, "}\n");
    } else {
        if (rc == 0) {
            put_line_safe(&c->out, c->dec, r.len);
        } else {
            cli_out_put(&c->out, in, len);
        }
        cli_out_putc(&c->out, '\n');
    }
    return 0;
}

static int decode_line(decode_ctx *c, const char *s, size_t n)
{
    while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t')) {
        n--;
    }
    while (n > 0 && (s[0] == ' ' || s[0] == '\t')) {
        s++;
        n--;
    }
    if (n == 0) {
        return 0;
    }
    return decode_one(c, s, n, "input", c->n_in + 1);
}

/* Appends to the pending partial line. Returns 0 or EXIT_SOFTWARE. */
static int line_append(decode_ctx *c, const char *p, size_t k)
{
    if (c->line_len + k > c->line_cap) {
        size_t cap = c->line_cap ? c->line_cap : 4096;
        while (cap < c->line_len + k) {
            cap *= 2;
        }
        char *q = realloc(c->line, cap);
        if (q == NULL) {
            cli_err("out of memory");
            return EXIT_SOFTWARE;
        }
        c->line = q;
        c->line_cap = cap;
    }
    memcpy(c->line + c->line_len, p, k);
    c->line_len += k;
    return 0;
}

static int line_block(const char *data, size_t len, void *payload)
{
    decode_ctx *c = payload;
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL) {
            return line_append(c, p, (size_t)(end - p));
        }
        int rc;
        if (c->line_len > 0) {
            /* The line began in an earlier block. */
            rc = line_append(c, p, (size_t)(nl - p));
            if (rc == 0) {
                rc = decode_line(c, c->line, c->line_len);
            }
            c->line_len = 0;
        } else {
            rc = decode_line(c, p, (size_t)(nl - p));
        }
        if (rc != 0) {
            return rc;
        }
        p = nl + 1;
    }
    return 0;
}

/* --- scan mode ------------------------------------------------------------ */

static const char *context_name(pptap_scan_context ctx)
{
    switch (ctx) {
    case PPTAP_SCAN_CTX_ANGLE:
        return "angle";
    case PPTAP_SCAN_CTX_ATTR_DQ:
    case PPTAP_SCAN_CTX_ATTR_SQ:
    case PPTAP_SCAN_CTX_ATTR_BARE:
        return "attribute";
    default:
        return "text";
    }
}

static int on_link(const pptap_scan_link *l, void *payload)
{
    decode_ctx *c = payload;
    int rc = l->decoded ? 0 : PPTAP_EDECODE;
    c->n_in++;
    if (rc != 0) {
        c->n_failed++;
        if (!c->json) {
            cli_err("offset %llu: %s: %s", (unsigned long long)l->offset,
                    pptap_urldef_status_code(l->result.status),
                    pptap_urldef_status_message(l->result.status));
        }
    }
    if (c->rewrite) {
        return 0;
    }
    if (c->json) {
        char num[64];
        snprintf(num, sizeof(num), "{\"offset\":%llu,\"length\":%zu,",
                 (unsigned long long)l->offset, l->raw_len);
        cli_out_puts(&c->out, num);
        put_json_result(&c->out, l->encoded, l->encoded_len, rc, &l->result, l->decoded,
                        l->decoded_len);
        snprintf(num, sizeof(num), ",\"layers\":%d", l->layers);
        cli_out_puts(&c->out, ",\"context\":\"");
        cli_out_puts(&c->out, context_name(l->context));
        cli_out_puts(&c->out, "\"");
        cli_out_puts(&c->out, num);
        cli_out_puts(&c->out,
                     l->qp ? ",\"quotedPrintable\":true}\n" : ",\"quotedPrintable\":false}\n");
    } else {
        if (rc == 0) {
            put_line_safe(&c->out, l->decoded, l->decoded_len);
        } else {
            put_line_safe(&c->out, l->encoded, l->encoded_len);
        }
        cli_out_putc(&c->out, '\n');
    }
    return c->out.failed ? 1 : 0;
}

static int on_write(const char *data, size_t len, void *payload)
{
    decode_ctx *c = payload;
    cli_out_put(&c->out, data, len);
    return c->out.failed ? 1 : 0;
}

static int scan_block(const char *data, size_t len, void *payload)
{
    pptap_scanner *s = payload;
    int rc = pptap_scanner_feed(s, data, len);
    if (rc != 0) {
        return rc == PPTAP_ECANCELED ? EXIT_IOERR : EXIT_SOFTWARE;
    }
    return 0;
}

int cmd_decode(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"scan", required_argument, NULL, 's'},
        {"rewrite", no_argument, NULL, 'r'},
        {"qp", no_argument, NULL, 'Q'},
        {"no-qp", no_argument, NULL, 'N'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    decode_ctx c;
    memset(&c, 0, sizeof(c));
    const char *scan = NULL;
    int rewrite = 0;
    unsigned qpflags = 0;
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+:js:rh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'j':
            c.json = 1;
            break;
        case 's':
            scan = optarg;
            break;
        case 'r':
            rewrite = 1;
            break;
        case 'Q':
            qpflags = PPTAP_SCAN_QP;
            break;
        case 'N':
            qpflags = PPTAP_SCAN_NO_QP;
            break;
        case 'h':
            cmd_decode_usage(stdout);
            return 0;
        default:
            return cli_usage_error("decode", argv, opt);
        }
    }
    if (rewrite && scan == NULL) {
        cli_err("--rewrite works on text: give it with --scan FILE|-");
        return EXIT_USAGE;
    }
    if (rewrite && c.json) {
        cli_err("--rewrite prints text; it cannot be combined with --json");
        return EXIT_USAGE;
    }
    if (qpflags && scan == NULL) {
        cli_err("--qp and --no-qp apply to --scan only");
        return EXIT_USAGE;
    }
    if (scan != NULL && optind < argc) {
        cli_err("--scan reads FILE; unexpected argument '%s'", argv[optind]);
        return EXIT_USAGE;
    }
    if (cli_out_init(&c.out, STDOUT_FILENO, 1u << 16) != 0) {
        cli_err("out of memory");
        return EXIT_SOFTWARE;
    }
    int rc = 0;
    if (scan != NULL) {
        c.rewrite = rewrite;
        pptap_scan_opts so = {qpflags | (rewrite ? PPTAP_SCAN_REWRITE : 0), on_link,
                              rewrite ? on_write : NULL, &c};
        pptap_scanner *s;
        if (pptap_scanner_new(&s, &so) != 0) {
            cli_err("out of memory");
            rc = EXIT_SOFTWARE;
            goto out;
        }
        rc = cli_read_blocks(scan, scan_block, s);
        if (rc == 0 && pptap_scanner_finish(s) != 0) {
            rc = EXIT_IOERR;
        }
        pptap_scanner_free(s);
    } else if (optind < argc) {
        for (int i = optind; i < argc && rc == 0; i++) {
            rc = decode_one(&c, argv[i], strlen(argv[i]), "argument",
                            (unsigned long long)(i - optind + 1));
        }
    } else {
        rc = cli_read_blocks("-", line_block, &c);
        if (rc == 0 && c.line_len > 0) {
            rc = decode_line(&c, c.line, c.line_len);
        }
    }
out:
    if (cli_out_flush(&c.out) != 0 && rc == 0) {
        cli_err("cannot write output: %s", strerror(c.out.failed));
        rc = EXIT_IOERR;
    }
    cli_out_dispose(&c.out);
    free(c.dec);
    free(c.line);
    if (rc == 0 && c.n_failed > 0) {
        rc = EXIT_DATAERR;
    }
    return rc;
}
