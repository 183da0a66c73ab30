/*
 * pptap decode: URL Defense links from arguments, from lines on stdin, or
 * found anywhere in text (--scan).
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
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
          "--online also the API's statuses (69, 75, 77, 78; see pptap(1)).\n"
          "\n"
          "Lines from a regular file are decoded with one thread per CPU (at most 8), or\n"
          "PPTAP_THREADS (1 to 8) in the environment; the output is the same with any.\n",
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
    /* lines decoded in parallel (large blocks) */
    int nthreads;
    struct par_part *parts;
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

/* --- lines in parallel ------------------------------------------------------
 *
 * A large block (PAR_MIN_BLOCK or more) is cut at line ends into one part per
 * thread. Each part is decoded into its own buffer (the main thread does the
 * first), then the buffers are written in order with the warnings put back at
 * their places and numbered from the inputs before them: the output, the
 * warnings and the points where stdout is written are those of one thread.
 */

#define PAR_MIN_BLOCK (1u << 20)
#define PAR_MAX_THREADS 8

/* A failed input of a part, reported when the part is written. */
struct par_warn {
    unsigned long long idx; /* inputs of the part before it */
    size_t off;             /* where its output begins in the part's buffer */
    pptap_urldef_status status;
};

struct par_part {
    const char *data; /* whole lines */
    size_t len;
    int json;
    cli_out out; /* in memory only: grown before every write, never drained */
    char *dec;
    size_t dec_cap;
    unsigned long long n_in, n_failed;
    struct par_warn *warn;
    size_t nwarn, warn_cap;
    int oom;
};

/* Makes room for `need` more bytes in p->out. */
static int par_room(struct par_part *p, size_t need)
{
    cli_out *o = &p->out;
    if (o->cap - o->len >= need) {
        return 0;
    }
    size_t cap = o->cap * 2;
    if (cap < o->len + need) {
        cap = o->len + need;
    }
    char *b = realloc(o->buf, cap);
    if (b == NULL) {
        return -1;
    }
    o->buf = b;
    o->cap = cap;
    return 0;
}

static int par_dec_room(struct par_part *p, size_t need)
{
    if (need > p->dec_cap) {
        char *d = realloc(p->dec, need);
        if (d == NULL) {
            return -1;
        }
        p->dec = d;
        p->dec_cap = need;
    }
    return 0;
}

/* decode_one() for a part, without --online. */
static int par_one(struct par_part *p, const char *in, size_t len)
{
    pptap_urldef_result r;
    size_t start = p->out.len;
    size_t max = PPTAP_URLDEF_DECODE_MAX(len);
    int rc;
    if (p->json) {
        if (par_dec_room(p, max) != 0) {
            return -1;
        }
        rc = pptap_urldef_decode(&r, p->dec, p->dec_cap, in, len);
        size_t dl = rc == 0 ? r.len : 0;
        const char *msg = pptap_urldef_status_message(r.status);
        const char *code = pptap_urldef_status_code(r.status);
        /* JSON escapes take at most 6 bytes a byte; decodedUrlPercent 3. */
        if (par_room(p, 6 * len + 9 * dl + 6 * (strlen(msg) + strlen(code)) + 256) != 0) {
            return -1;
        }
        cli_out_putc(&p->out, '{');
        put_json_result(&p->out, in, len, rc, &r, p->dec, r.len);
        cli_out_puts(&p->out, "}\n");
    } else {
        /* Straight into the output; max >= len covers an input printed back. */
        if (par_room(p, max + 1) != 0) {
            return -1;
        }
        rc = pptap_urldef_decode(&r, p->out.buf + start, max, in, len);
        if (rc == 0 && !(r.flags & PPTAP_URLDEF_F_CONTROL)) {
            p->out.len += r.len;
        } else if (rc == 0) {
            if (par_dec_room(p, r.len) != 0 || par_room(p, 3 * r.len + 1) != 0) {
                return -1;
            }
            memcpy(p->dec, p->out.buf + start, r.len);
            put_line_safe(&p->out, p->dec, r.len);
        } else {
            cli_out_put(&p->out, in, len);
        }
        cli_out_putc(&p->out, '\n');
    }
    if (rc != 0) {
        p->n_failed++;
        if (!p->json) {
            if (p->nwarn == p->warn_cap) {
                size_t cap = p->warn_cap ? 2 * p->warn_cap : 64;
                struct par_warn *w = realloc(p->warn, cap * sizeof *w);
                if (w == NULL) {
                    p->out.len = start;
                    return -1;
                }
                p->warn = w;
                p->warn_cap = cap;
            }
            p->warn[p->nwarn++] = (struct par_warn){p->n_in, start, r.status};
        }
    }
    p->n_in++;
    return 0;
}

static void *par_run(void *arg)
{
    struct par_part *p = arg;
    const char *s = p->data, *end = p->data + p->len;
    p->out.len = 0;
    p->n_in = p->n_failed = 0;
    p->nwarn = 0;
    p->oom = 0;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *next = nl + 1;
        /* as decode_line() */
        while (nl > s && (nl[-1] == '\r' || nl[-1] == ' ' || nl[-1] == '\t')) {
            nl--;
        }
        while (s < nl && (*s == ' ' || *s == '\t')) {
            s++;
        }
        if (s < nl && par_one(p, s, (size_t)(nl - s)) != 0) {
            p->oom = 1;
            break;
        }
        s = next;
    }
    return NULL;
}

/* Writes all of a in c->out's fd, as cli_out does. */
static void par_write(cli_out *o, const char *a, size_t n)
{
    while (n > 0 && !o->failed) {
        ssize_t w = write(o->fd, a, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            o->failed = errno ? errno : EIO;
            break;
        }
        a += w;
        n -= (size_t)w;
    }
}

/* cli_out_put() of a large buffer without copying it through o->buf: the
 * writes are the same (o->cap bytes each, when o->buf is full and more come). */
static void par_put(cli_out *o, const char *a, size_t n)
{
    if (n == 0) {
        return;
    }
    if (o->len > 0 || n <= o->cap) {
        size_t k = o->cap - o->len < n ? o->cap - o->len : n;
        cli_out_put(o, a, k);
        a += k;
        n -= k;
        if (n == 0) {
            return;
        }
        (void)cli_out_flush(o); /* o->buf is full and more comes */
    }
    while (n > o->cap) {
        if (!o->failed) {
            par_write(o, a, o->cap);
        }
        a += o->cap;
        n -= o->cap;
    }
    cli_out_put(o, a, n);
}

/* Writes a decoded part, its warnings in place, and counts its inputs. */
static void par_emit(decode_ctx *c, const struct par_part *p)
{
    size_t at = 0;
    for (size_t i = 0; i < p->nwarn; i++) {
        const struct par_warn *w = &p->warn[i];
        par_put(&c->out, p->out.buf + at, w->off - at);
        at = w->off;
        cli_err("input %llu: %s: %s", c->n_in + w->idx + 1, pptap_urldef_status_code(w->status),
                pptap_urldef_status_message(w->status));
    }
    par_put(&c->out, p->out.buf + at, p->out.len - at);
    c->n_in += p->n_in;
    c->n_failed += p->n_failed;
}

/* Decodes the whole lines data[0..len) with c->nthreads threads. */
static int par_lines(decode_ctx *c, const char *data, size_t len)
{
    int k = c->nthreads;
    if (c->parts == NULL) {
        c->parts = calloc((size_t)k, sizeof *c->parts);
        if (c->parts == NULL) {
            cli_err("out of memory");
            return EXIT_SOFTWARE;
        }
    }
    pthread_t tid[PAR_MAX_THREADS];
    int started[PAR_MAX_THREADS] = {0};
    const char *s = data, *end = data + len;
    for (int i = 0; i < k; i++) {
        struct par_part *p = &c->parts[i];
        const char *e = end;
        if (i < k - 1) {
            const char *cut = data + len / (size_t)k * (size_t)(i + 1);
            if (cut < s) {
                cut = s;
            }
            const char *nl = memchr(cut, '\n', (size_t)(end - cut));
            e = nl != NULL ? nl + 1 : end;
        }
        p->data = s;
        p->len = (size_t)(e - s);
        p->json = c->json;
        s = e;
        /* Room for the usual output: decoded URLs are shorter than links. */
        size_t want = c->json ? 2 * p->len + p->len / 2 : p->len / 2 + p->len / 8;
        if (p->out.buf == NULL || p->out.cap < want + 65536) {
            free(p->out.buf);
            p->out.buf = NULL;
            if (cli_out_init(&p->out, -1, want + 65536) != 0) {
                cli_err("out of memory");
                return EXIT_SOFTWARE;
            }
        }
    }
    for (int i = 1; i < k; i++) {
        started[i] =
            c->parts[i].len > 0 && pthread_create(&tid[i], NULL, par_run, &c->parts[i]) == 0;
    }
    par_run(&c->parts[0]);
    for (int i = 1; i < k; i++) {
        if (started[i]) {
            pthread_join(tid[i], NULL);
        } else {
            par_run(&c->parts[i]);
        }
    }
    for (int i = 0; i < k; i++) {
        struct par_part *p = &c->parts[i];
        par_emit(c, p);
        if (p->oom || p->out.failed) {
            cli_err("out of memory");
            return EXIT_SOFTWARE;
        }
    }
    return 0;
}

static void par_free(decode_ctx *c)
{
    if (c->parts == NULL) {
        return;
    }
    for (int i = 0; i < c->nthreads; i++) {
        cli_out_dispose(&c->parts[i].out);
        free(c->parts[i].dec);
        free(c->parts[i].warn);
    }
    free(c->parts);
    c->parts = NULL;
}

static int line_block(const char *data, size_t len, void *payload)
{
    decode_ctx *c = payload;
    const char *p = data, *end = data + len;
    if (c->nthreads > 1 && !c->online && len >= PAR_MIN_BLOCK) {
        if (c->line_len > 0) {
            /* Finish the line that began in an earlier block. */
            const char *nl = memchr(p, '\n', len);
            if (nl == NULL) {
                return line_append(c, p, len);
            }
            int rc = line_append(c, p, (size_t)(nl - p));
            if (rc == 0) {
                rc = decode_line(c, c->line, c->line_len);
            }
            c->line_len = 0;
            if (rc != 0) {
                return rc;
            }
            p = nl + 1;
        }
        const char *last = p;
        for (const char *q = end; q > p; q--) {
            if (q[-1] == '\n') {
                last = q;
                break;
            }
        }
        if (last > p) {
            int rc = par_lines(c, p, (size_t)(last - p));
            if (rc != 0) {
                return rc;
            }
        }
        return last < end ? line_append(c, last, (size_t)(end - last)) : 0;
    }
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

/* The number of threads for lines: PPTAP_THREADS, else the online CPUs (at
 * most PAR_MAX_THREADS). */
static int thread_count(int *n)
{
    const char *v = getenv("PPTAP_THREADS");
    if (v != NULL && *v != '\0') {
        char *e;
        errno = 0;
        long t = strtol(v, &e, 10);
        if (errno != 0 || *e != '\0' || t < 1 || t > PAR_MAX_THREADS) {
            cli_err("PPTAP_THREADS needs a number of threads from 1 to %d, not \"%s\"",
                    PAR_MAX_THREADS, v);
            return -1;
        }
        *n = (int)t;
        return 0;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    *n = cpus < 1 ? 1 : cpus > PAR_MAX_THREADS ? PAR_MAX_THREADS : (int)cpus;
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
    if (thread_count(&c.nthreads) != 0) {
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
    par_free(&c);
    free(c.dec);
    free(c.line);
    if (rc == 0 && (c.n_failed > 0 || c.n_disagree > 0)) {
        rc = EXIT_DATAERR;
    }
    return rc;
}
