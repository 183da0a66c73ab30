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
    fputs("usage: pptap decode [--json] [--online [--compare]] [URL...]\n"
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
          "      --online     send the links that do not decode offline to the API's URL\n"
          "                   decoder (POST /v2/url/decode, batched; pool url-decode);\n"
          "                   JSON objects then also say \"source\" (offline or api) and\n"
          "                   the API's answer (apiSuccess, apiDecodedUrl, apiError)\n"
          "      --compare    with --online: send every link to the API too and report\n"
          "                   each disagreement with the offline decoder on stderr (and\n"
          "                   \"agree\" in JSON); exit 65 when there is one\n"
          "  -h, --help       show this help and exit\n"
          "\n"
          "Exit status: 0 when every link decoded, 65 when some did not (the output still\n"
          "covers all of them), 64 on usage errors, 66 when FILE cannot be read; with\n"
          "--online also the API's statuses (69, 75, 77, 78; see pptap(1)).\n",
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
    /* --online: inputs held until the API has answered for their chunk */
    int online, compare;
    pptap_client *cl;
    struct pending *pend;
    size_t npend;
    unsigned long long n_disagree;
} decode_ctx;

/* One input of the current --online chunk. */
struct pending {
    char *in;
    size_t len;
    int rc;
    pptap_urldef_result r;
    char *dec; /* offline result when rc == 0 */
    const char *where;
    unsigned long long n;
};

#define ONLINE_CHUNK 1000

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

/* --- --online ------------------------------------------------------------- */

static int flush_online(decode_ctx *c);

static int hold_online(decode_ctx *c, const char *in, size_t len, int rc,
                       const pptap_urldef_result *r, const char *where, unsigned long long n)
{
    struct pending *p = &c->pend[c->npend];
    memset(p, 0, sizeof *p);
    p->in = malloc(len + 1);
    p->dec = rc == 0 ? malloc(r->len + 1) : NULL;
    if (p->in == NULL || (rc == 0 && p->dec == NULL)) {
        free(p->in);
        free(p->dec);
        cli_err("out of memory");
        return EXIT_SOFTWARE;
    }
    memcpy(p->in, in, len);
    p->in[len] = '\0';
    p->len = len;
    if (rc == 0) {
        memcpy(p->dec, c->dec, r->len);
        p->dec[r->len] = '\0';
    }
    p->rc = rc;
    p->r = *r;
    p->where = where;
    p->n = n;
    c->npend++;
    return c->npend == ONLINE_CHUNK ? flush_online(c) : 0;
}

static void put_opt_str(cli_out *o, const char *key, const char *v)
{
    cli_out_puts(o, key);
    if (v != NULL) {
        cli_out_json_str(o, v, strlen(v));
    } else {
        cli_out_puts(o, "null");
    }
}

/* Writes one held input with the API's answer `a` (NULL when not asked). */
static void put_online(decode_ctx *c, const struct pending *p, const pptap_decoded_url *a)
{
    int api_ok = a != NULL && a->success && a->decoded_url != NULL;
    int agree = 1;
    if (a != NULL && c->compare) {
        agree = p->rc == 0 ? api_ok && strlen(a->decoded_url) == p->r.len &&
                                 memcmp(a->decoded_url, p->dec, p->r.len) == 0
                           : !api_ok;
        if (!agree) {
            c->n_disagree++;
            cli_err("%s %llu: offline and API disagree: offline %s%s%s, API %s%s%s", p->where, p->n,
                    p->rc == 0 ? "\"" : "",
                    p->rc == 0 ? p->dec : pptap_urldef_status_code(p->r.status),
                    p->rc == 0 ? "\"" : "", api_ok ? "\"" : "",
                    api_ok ? a->decoded_url : (a->error != NULL ? a->error : "failed"),
                    api_ok ? "\"" : "");
        }
    }
    int use_api = p->rc != 0 && api_ok;
    if (p->rc != 0 && !api_ok) {
        c->n_failed++;
        if (!c->json) {
            cli_err("%s %llu: %s: %s%s%s", p->where, p->n, pptap_urldef_status_code(p->r.status),
                    pptap_urldef_status_message(p->r.status), a != NULL ? "; API: " : "",
                    a != NULL ? (a->error != NULL ? a->error : "failed") : "");
        }
    }
    if (!c->json) {
        if (p->rc == 0) {
            put_line_safe(&c->out, p->dec, p->r.len);
        } else if (use_api) {
            put_line_safe(&c->out, a->decoded_url, strlen(a->decoded_url));
        } else {
            cli_out_put(&c->out, p->in, p->len);
        }
        cli_out_putc(&c->out, '\n');
        return;
    }
    cli_out_putc(&c->out, '{');
    if (use_api) {
        cli_out_puts(&c->out, "\"encodedUrl\":");
        cli_out_json_str(&c->out, p->in, p->len);
        cli_out_puts(&c->out, ",\"decodedUrl\":");
        cli_out_json_str(&c->out, a->decoded_url, strlen(a->decoded_url));
        cli_out_puts(&c->out, ",\"success\":true,\"error\":null,\"errorCode\":null,\"version\":");
        if (p->r.version > 0) {
            cli_out_putc(&c->out, (char)('0' + p->r.version));
        } else {
            cli_out_puts(&c->out, "null");
        }
    } else {
        put_json_result(&c->out, p->in, p->len, p->rc, &p->r, p->dec, p->rc == 0 ? p->r.len : 0);
    }
    cli_out_puts(&c->out, p->rc == 0 ? ",\"source\":\"offline\""
                          : use_api  ? ",\"source\":\"api\""
                                     : ",\"source\":null");
    if (a != NULL) {
        cli_out_puts(&c->out, a->success ? ",\"apiSuccess\":true" : ",\"apiSuccess\":false");
        put_opt_str(&c->out, ",\"apiDecodedUrl\":", a->decoded_url);
        put_opt_str(&c->out, ",\"apiError\":", a->error);
        if (a->message_guid != NULL) {
            put_opt_str(&c->out, ",\"messageGuid\":", a->message_guid);
        }
        if (a->cluster_name != NULL) {
            put_opt_str(&c->out, ",\"clusterName\":", a->cluster_name);
        }
        if (a->recipient_email != NULL) {
            put_opt_str(&c->out, ",\"recipientEmail\":", a->recipient_email);
        }
        if (c->compare) {
            cli_out_puts(&c->out, agree ? ",\"agree\":true" : ",\"agree\":false");
        }
    }
    cli_out_puts(&c->out, "}\n");
}

/* Asks the API about the held inputs that need it, then writes them all in order. */
static int flush_online(decode_ctx *c)
{
    int rc = 0;
    const char **urls = NULL;
    size_t *slot = NULL, nurl = 0;
    pptap_url_decode_result *res = NULL;
    if (c->npend == 0) {
        return 0;
    }
    urls = malloc(c->npend * sizeof *urls);
    slot = malloc(c->npend * sizeof *slot);
    if (urls == NULL || slot == NULL) {
        cli_err("out of memory");
        rc = EXIT_SOFTWARE;
        goto out;
    }
    for (size_t i = 0; i < c->npend; i++) {
        slot[i] = (size_t)-1;
        if (c->pend[i].rc != 0 || c->compare) {
            slot[i] = nurl;
            urls[nurl++] = c->pend[i].in;
        }
    }
    if (nurl > 0) {
        int err = pptap_url_decode(c->cl, &res, urls, nurl);
        if (err != 0) {
            rc = cli_api_error(c->cl, err);
            goto out;
        }
        if (res->n_urls != nurl) {
            cli_err("the API's URL decoder answered %zu results for %zu URLs", res->n_urls, nurl);
            rc = EXIT_DATAERR;
            goto out;
        }
    }
    for (size_t i = 0; i < c->npend; i++) {
        put_online(c, &c->pend[i], slot[i] != (size_t)-1 ? &res->urls[slot[i]] : NULL);
    }
out:
    for (size_t i = 0; i < c->npend; i++) {
        free(c->pend[i].in);
        free(c->pend[i].dec);
    }
    c->npend = 0;
    pptap_url_decode_result_free(res);
    free(urls);
    free(slot);
    return rc;
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
    if (c->online) {
        return hold_online(c, in, len, rc, &r, where, n);
    }
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
        if (rc == 0 && !(r.flags & PPTAP_URLDEF_F_CONTROL)) {
            cli_out_put(&c->out, c->dec, r.len);
        } else if (rc == 0) {
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
        {"online", no_argument, NULL, 'O'},
        {"compare", no_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    decode_ctx c;
    memset(&c, 0, sizeof(c));
    c.json = cli_g.json;
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
        case 'O':
            c.online = 1;
            break;
        case 'C':
            c.compare = 1;
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
    if (c.compare && !c.online) {
        cli_err("--compare checks the offline decoder against the API: use it with --online");
        return EXIT_USAGE;
    }
    if (c.online && scan != NULL) {
        cli_err("--online decodes URL arguments or lines; it cannot be combined with --scan");
        return EXIT_USAGE;
    }
    if (c.online) {
        int orc = cli_client_open(&c.cl);
        if (orc != 0) {
            return orc;
        }
        c.pend = calloc(ONLINE_CHUNK, sizeof *c.pend);
        if (c.pend == NULL) {
            cli_err("out of memory");
            pptap_client_free(c.cl);
            return EXIT_SOFTWARE;
        }
    }
    if (cli_out_init(&c.out, STDOUT_FILENO, 1u << 16) != 0) {
        cli_err("out of memory");
        pptap_client_free(c.cl);
        free(c.pend);
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
    if (rc == 0 && c.online) {
        rc = flush_online(&c);
    }
out:
    if (c.online) {
        for (size_t i = 0; i < c.npend; i++) {
            free(c.pend[i].in);
            free(c.pend[i].dec);
        }
        free(c.pend);
        pptap_client_free(c.cl);
    }
    if (cli_out_flush(&c.out) != 0 && rc == 0) {
        cli_err("cannot write output: %s", strerror(c.out.failed));
        rc = EXIT_IOERR;
    }
    cli_out_dispose(&c.out);
    free(c.dec);
    free(c.line);
    if (rc == 0 && (c.n_failed > 0 || c.n_disagree > 0)) {
        rc = EXIT_DATAERR;
    }
    return rc;
}
