/*
 * pptap-bench-gen: deterministic inputs for `make bench`.
 *
 *   pptap-bench-gen urls N SEED [TARGETS]   N URL Defense links, one per line, on stdout;
 *                                           their decoded targets, one per line, in TARGETS
 *   pptap-bench-gen text BYTES SEED         at least BYTES of mail-like text on stdout
 *   pptap-bench-gen events N SEED           N TAP SIEM events as NDJSON on stdout, each with
 *                                           its "eventType" first (as `pptap siem` prints)
 *
 * The same arguments always give the same bytes (for the same libpptap encoder). The
 * links are a realistic mix: 10% v1 (composed here in the documented v1 shape), 30% v2
 * and 60% v3 (both from pptap_urldef_encode()), over random target URLs with paths,
 * query strings, fragments and some non-ASCII. The text is a stream of MIME messages
 * (headers, text/plain and text/html parts, a third of them quoted-printable, quoted
 * replies) with one rewritten link every few KB. The events are the four SIEM types in the
 * API's shapes: half clicks (about 0.9 KB), half messages (about 1.75 KB: one or two
 * parts, one or two threats, 5% late-condemned with null fields), 1.3 KB on average, with
 * the target URLs above. A summary goes to stderr.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pptap/urldefense.h>

/* --- helpers --------------------------------------------------------------- */

typedef struct {
    char *p;
    size_t len, cap;
} dbuf;

static void die(const char *msg)
{
    fprintf(stderr, "pptap-bench-gen: %s\n", msg);
    exit(70);
}

static void db_reserve(dbuf *b, size_t n)
{
    if (b->len + n <= b->cap) {
        return;
    }
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n) {
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (p == NULL) {
        die("out of memory");
    }
    b->p = p;
    b->cap = cap;
}

static void db_put(dbuf *b, const char *s, size_t n)
{
    db_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void db_puts(dbuf *b, const char *s)
{
    db_put(b, s, strlen(s));
}

static void db_putc(dbuf *b, char c)
{
    db_reserve(b, 1);
    b->p[b->len++] = c;
}

static void db_flush(dbuf *b, FILE *f)
{
    if (b->len > 0 && fwrite(b->p, 1, b->len, f) != b->len) {
        die("write error");
    }
    b->len = 0;
}

static uint64_t rng_state;

/* splitmix64 */
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static unsigned below(unsigned n)
{
    return (unsigned)(((rnd() >> 32) * n) >> 32);
}

static int chance(unsigned percent)
{
    return below(100) < percent;
}

/* Uniform in [lo, hi]. */
static unsigned range(unsigned lo, unsigned hi)
{
    return lo + below(hi - lo + 1);
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define PICK(a) ((a)[below(NELEM(a))])

static const char hexl[] = "0123456789abcdef";
static const char hexu[] = "0123456789ABCDEF";
static const char b64std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void put_num(dbuf *b, unsigned digits)
{
    db_putc(b, (char)('1' + below(9)));
    for (unsigned i = 1; i < digits; i++) {
        db_putc(b, (char)('0' + below(10)));
    }
}

static void put_hex(dbuf *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        db_putc(b, hexl[below(16)]);
    }
}

static void put_token(dbuf *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        db_putc(b, b64url[below(64)]);
    }
}

/* --- words ----------------------------------------------------------------- */

static const char *const words[] = {
    "the",      "of",        "and",         "to",
    "in",       "for",       "is",          "on",
    "that",     "by",        "this",        "with",
    "you",      "it",        "not",         "or",
    "be",       "are",       "from",        "at",
    "as",       "your",      "all",         "have",
    "new",      "more",      "an",          "was",
    "we",       "will",      "home",        "can",
    "us",       "about",     "if",          "page",
    "my",       "has",       "search",      "free",
    "but",      "our",       "one",         "other",
    "do",       "no",        "information", "time",
    "they",     "site",      "he",          "up",
    "may",      "what",      "which",       "their",
    "news",     "out",       "use",         "any",
    "there",    "see",       "only",        "so",
    "his",      "when",      "contact",     "here",
    "business", "who",       "web",         "also",
    "now",      "help",      "get",         "view",
    "online",   "first",     "been",        "would",
    "how",      "were",      "me",          "services",
    "some",     "these",     "click",       "its",
    "like",     "service",   "than",        "find",
    "price",    "date",      "back",        "top",
    "people",   "had",       "list",        "name",
    "just",     "over",      "state",       "year",
    "day",      "into",      "email",       "two",
    "health",   "world",     "next",        "used",
    "go",       "work",      "last",        "most",
    "products", "music",     "buy",         "data",
    "make",     "them",      "should",      "product",
    "system",   "post",      "her",         "city",
    "add",      "policy",    "number",      "such",
    "please",   "available", "copyright",   "support",
    "message",  "after",     "best",        "software",
    "then",     "jan",       "good",        "video",
    "well",     "where",     "info",        "rights",
    "public",   "books",     "high",        "school",
    "through",  "each",      "links",       "she",
    "review",   "years",     "order",       "very",
    "privacy",  "book",      "items",       "company",
    "read",     "group",     "need",        "many",
    "user",     "said",      "does",        "set",
    "under",    "general",   "research",    "university",
    "january",  "mail",      "full",        "map",
    "reviews",  "program",   "life",        "know",
    "games",    "way",       "days",        "management",
    "part",     "could",     "great",       "united",
    "hotel",    "real",      "item",        "international",
    "center",   "ebay",      "must",        "store",
    "travel",   "comments",  "made",        "development",
    "report",   "off",       "member",      "details",
    "line",     "terms",     "before",      "hotels",
    "did",      "send",      "right",       "type",
    "because",  "local",     "those",       "using",
    "results",  "office",    "education",   "national",
    "invoice",  "meeting",   "agenda",      "quarterly",
    "budget",   "approval",  "deadline",    "account",
    "password", "security",  "update",      "review",
    "document", "shared",    "calendar",    "invitation",
    "webinar",  "register",  "unsubscribe", "preferences",
    "team",
};

static const char *const utf8_words[] = {
    "café",   "straße", "über",   "日本語",   "документы", "niño",
    "résumé", "zürich", "añadir", "façade",   "crème",     "smörgåsbord",
    "naïve",  "中文",   "привет", "ελληνικά", "köln",      "élève",
};

static const char *const pct_words[] = {
    "caf%C3%A9",     "stra%C3%9Fe", "%C3%BCber",        "%E6%97%A5%E6%9C%AC",
    "Z%C3%BCrich",   "ni%C3%B1o",   "r%C3%A9sum%C3%A9", "%D0%B4%D0%BE%D0%BA",
    "hello%20world", "a%2Fb",       "100%25",           "%5Bdraft%5D",
};

/* --- target URLs ----------------------------------------------------------- */

static const char *const hosts[] = {
    "www.example.com",
    "links.mkt3337.com",
    "click.e.shopmail.com",
    "docs.google.com",
    "github.com",
    "contoso.sharepoint.com",
    "www.linkedin.com",
    "t.co",
    "mailchi.mp",
    "www.amazon.com",
    "us02web.zoom.us",
    "login.microsoftonline.com",
    "www.dropbox.com",
    "drive.google.com",
    "news.ycombinator.com",
    "www.nytimes.com",
    "email.mg.shop.example.net",
    "app.hubspot.com",
    "bit.ly",
    "www.youtube.com",
    "en.wikipedia.org",
    "de.wikipedia.org",
    "www.bund.de",
    "www.lemonde.fr",
    "track.customer.io",
    "go.pardot.com",
    "portal.office.com",
    "www.irs.gov",
    "status.aws.amazon.com",
    "support.apple.com",
    "bücher.de",
    "www.müller-shop.de",
    "s3.eu-west-1.amazonaws.com",
    "cdn.jsdelivr.net",
    "forms.office.com",
    "www.eventbrite.com",
};

static const char *const qkeys[] = {
    "utm_source", "utm_medium", "utm_campaign", "utm_content", "id", "lang", "page", "q",
    "token",      "mkt_tok",    "source",       "v",           "s",  "e",    "uid",  "sessionid",
    "redirect",   "ref",        "campaign",     "list",        "ts", "sig",  "tab",  "view",
};

static void put_segment(dbuf *b)
{
    unsigned k = below(100);
    if (k < 48) {
        db_puts(b, PICK(words));
    } else if (k < 63) {
        db_puts(b, PICK(words));
        db_putc(b, '-');
        db_puts(b, PICK(words));
    } else if (k < 68) {
        db_puts(b, PICK(words));
        db_putc(b, '_');
        db_puts(b, PICK(words));
    } else if (k < 78) {
        put_num(b, range(3, 9));
    } else if (k < 86) {
        put_hex(b, range(8, 32));
    } else if (k < 91) {
        db_puts(b, PICK(utf8_words));
    } else if (k < 95) {
        db_puts(b, PICK(pct_words));
    } else {
        static const char *const ext[] = {".html", ".php", ".aspx", ".pdf", ".htm", ".jsp"};
        db_puts(b, PICK(words));
        db_puts(b, PICK(ext));
    }
}

static void put_qvalue(dbuf *b)
{
    unsigned k = below(100);
    if (k < 30) {
        db_puts(b, PICK(words));
    } else if (k < 45) {
        put_num(b, range(1, 10));
    } else if (k < 60) {
        put_token(b, range(12, 40));
    } else if (k < 67) {
        db_puts(b, PICK(words));
        db_puts(b, "%40");
        db_puts(b, PICK(words));
        db_puts(b, ".com");
    } else if (k < 77) {
        db_puts(b, PICK(words));
        db_putc(b, '+');
        db_puts(b, PICK(words));
        db_putc(b, '+');
        db_puts(b, PICK(words));
    } else if (k < 83) {
        db_puts(b, "https%3A%2F%2F");
        db_puts(b, PICK(hosts));
        db_puts(b, "%2F");
        db_puts(b, PICK(words));
    } else if (k < 88) {
        db_puts(b, PICK(words));
        db_putc(b, ',');
        db_puts(b, PICK(words));
    } else if (k < 92) {
        db_puts(b, PICK(utf8_words));
    } else if (k < 96) {
        db_puts(b, PICK(pct_words));
    } else {
        db_putc(b, '[');
        put_num(b, range(1, 3));
        db_putc(b, ']');
    }
}

/* Appends a random target URL (no spaces or control bytes). */
static void gen_target(dbuf *b)
{
    db_puts(b, chance(85) ? "https://" : "http://");
    db_puts(b, PICK(hosts));
    if (chance(3)) {
        db_puts(b, chance(50) ? ":8443" : ":8080");
    }
    unsigned nseg = below(100) < 8 ? 0 : range(1, 5);
    for (unsigned i = 0; i < nseg; i++) {
        db_putc(b, '/');
        put_segment(b);
    }
    if (nseg == 0 || chance(15)) {
        db_putc(b, '/');
    }
    if (chance(72)) {
        unsigned nq = range(1, 5);
        for (unsigned i = 0; i < nq; i++) {
            db_putc(b, i == 0 ? '?' : '&');
            db_puts(b, PICK(qkeys));
            db_putc(b, '=');
            put_qvalue(b);
        }
    }
    if (chance(20)) {
        unsigned k = below(3);
        db_putc(b, '#');
        if (k == 0) {
            db_puts(b, PICK(words));
        } else if (k == 1) {
            db_puts(b, "section-");
            put_num(b, 1);
        } else {
            db_puts(b, "/app/");
            db_puts(b, PICK(words));
        }
    }
}

/* --- links ----------------------------------------------------------------- */

/* Appends standard base64 of n random bytes, percent-encoded, then "%0A" (v1 k/r/m). */
static void put_v1_b64(dbuf *b, unsigned nbytes)
{
    unsigned char raw[64];
    for (unsigned i = 0; i < nbytes; i++) {
        raw[i] = (unsigned char)rnd();
    }
    for (unsigned i = 0; i < nbytes; i += 3) {
        unsigned v = (unsigned)raw[i] << 16;
        unsigned have = nbytes - i >= 3 ? 3 : nbytes - i;
        if (have > 1) {
            v |= (unsigned)raw[i + 1] << 8;
        }
        if (have > 2) {
            v |= raw[i + 2];
        }
        for (unsigned j = 0; j < 4; j++) {
            if (j > have) {
                db_puts(b, "%3D");
                continue;
            }
            char c = b64std[(v >> (18 - 6 * j)) & 63];
            if (c == '+') {
                db_puts(b, "%2B");
            } else if (c == '/') {
                db_puts(b, "%2F");
            } else {
                db_putc(b, c);
            }
        }
    }
    db_puts(b, "%0A");
}

/* Appends a v1 link: the target lightly percent-encoded (':' and '/' stay). */
static void gen_v1(dbuf *b, const char *t, size_t n)
{
    db_puts(b, "https://urldefense.proofpoint.com/v1/url?u=");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c >= 0x80 || strchr("%&#+ \"<>[]{}|\\^`", c) != NULL) {
            db_putc(b, '%');
            db_putc(b, hexu[c >> 4]);
            db_putc(b, hexu[c & 15]);
        } else {
            db_putc(b, (char)c);
        }
    }
    db_puts(b, "&k=");
    put_v1_b64(b, 16);
    db_puts(b, "&r=");
    put_v1_b64(b, 32);
    db_puts(b, "&m=");
    put_v1_b64(b, 32);
    db_puts(b, "&s=");
    put_hex(b, 64);
}

typedef struct {
    unsigned long long n[4];
} mix_counts;

/* Appends one link for target t (version mix 10/30/60). */
static void gen_link(dbuf *b, const char *t, size_t n, mix_counts *mc)
{
    unsigned k = below(100);
    if (k < 10) {
        gen_v1(b, t, n);
        mc->n[1]++;
        return;
    }
    int version = k < 40 ? 2 : 3;
    pptap_urldef_encode_opts o = {PPTAP_URLDEF_HOST_DEFAULT, rnd()};
    unsigned h = below(100);
    if (version == 2) {
        o.host = h < 90 ? PPTAP_URLDEF_HOST_PROOFPOINT
                        : (h < 95 ? PPTAP_URLDEF_HOST_COM : PPTAP_URLDEF_HOST_US);
    } else {
        o.host = h < 92 ? PPTAP_URLDEF_HOST_COM : PPTAP_URLDEF_HOST_US;
    }
    size_t need = PPTAP_URLDEF_ENCODE_MAX(n);
    db_reserve(b, need);
    size_t len = 0;
    if (pptap_urldef_encode(&len, b->p + b->len, need, version, t, n, &o) != 0) {
        die("pptap_urldef_encode failed");
    }
    b->len += len;
    mc->n[version]++;
}

/* --- mode: urls ------------------------------------------------------------ */

static int gen_urls(unsigned long long count, FILE *targets)
{
    dbuf out = {0}, tb = {0}, tout = {0};
    mix_counts mc = {{0}};
    unsigned long long bytes = 0;
    for (unsigned long long i = 0; i < count; i++) {
        tb.len = 0;
        gen_target(&tb);
        size_t before = out.len;
        gen_link(&out, tb.p, tb.len, &mc);
        db_putc(&out, '\n');
        bytes += out.len - before;
        if (targets != NULL) {
            db_put(&tout, tb.p, tb.len);
            db_putc(&tout, '\n');
            if (tout.len >= (1u << 20)) {
                db_flush(&tout, targets);
            }
        }
        if (out.len >= (1u << 20)) {
            db_flush(&out, stdout);
        }
    }
    db_flush(&out, stdout);
    if (targets != NULL) {
        db_flush(&tout, targets);
    }
    fprintf(stderr, "lines=%llu bytes=%llu avg_line=%.1f v1=%llu v2=%llu v3=%llu\n", count, bytes,
            count ? (double)bytes / (double)count : 0.0, mc.n[1], mc.n[2], mc.n[3]);
    free(out.p);
    free(tb.p);
    free(tout.p);
    return 0;
}

/* --- mode: text ------------------------------------------------------------ */

/* Roughly one link per LINK_EVERY bytes of text. */
#define LINK_EVERY 4096

typedef struct {
    dbuf link;   /* scratch: the current link */
    dbuf target; /* scratch: its target */
    mix_counts mc;
    unsigned long long links;
    unsigned long long budget; /* bytes written since the last link */
} textgen;

static void make_link(textgen *g)
{
    g->target.len = 0;
    g->link.len = 0;
    gen_target(&g->target);
    gen_link(&g->link, g->target.p, g->target.len, &g->mc);
    g->links++;
}

static int want_link(textgen *g, size_t upcoming)
{
    g->budget += upcoming;
    if (g->budget >= LINK_EVERY / 2 && below(LINK_EVERY) < (unsigned)g->budget / 2) {
        g->budget = 0;
        return 1;
    }
    return 0;
}

static void put_sentence(dbuf *b, int html)
{
    unsigned n = range(5, 18);
    for (unsigned i = 0; i < n; i++) {
        const char *w = below(100) < 2 ? PICK(utf8_words) : PICK(words);
        if (i == 0) {
            db_putc(b, (char)(w[0] >= 'a' && w[0] <= 'z' ? w[0] - 32 : w[0]));
            db_puts(b, w + 1);
        } else {
            db_putc(b, ' ');
            if (html && below(100) < 2) {
                db_puts(b, below(2) ? "&nbsp;" : "&#8217;");
            }
            db_puts(b, w);
        }
        if (i + 1 < n && below(100) < 6) {
            db_putc(b, ',');
        }
    }
    db_puts(b, below(100) < 10 ? "?" : ".");
}

/* Appends a plain-text paragraph wrapped at 72 columns, maybe with a link. */
static void put_plain_para(textgen *g, dbuf *b, const char *prefix)
{
    dbuf para = {0};
    unsigned ns = range(2, 7);
    for (unsigned i = 0; i < ns; i++) {
        if (i > 0) {
            db_putc(&para, ' ');
        }
        put_sentence(&para, 0);
    }
    int link = want_link(g, para.len);
    size_t col = 0, start = 0, link_at = link ? below((unsigned)para.len) : (size_t)-1;
    db_puts(b, prefix);
    col = strlen(prefix);
    for (size_t i = 0; i <= para.len; i++) {
        if (i < para.len && para.p[i] != ' ') {
            continue;
        }
        size_t wl = i - start;
        if (col + wl > 72 && col > strlen(prefix)) {
            db_putc(b, '\n');
            db_puts(b, prefix);
            col = strlen(prefix);
        } else if (col > strlen(prefix)) {
            db_putc(b, ' ');
            col++;
        }
        db_put(b, para.p + start, wl);
        col += wl;
        if (link_at != (size_t)-1 && i >= link_at) {
            make_link(g);
            unsigned k = below(4);
            db_putc(b, '\n');
            db_puts(b, prefix);
            if (k == 0) {
                db_putc(b, '<');
                db_put(b, g->link.p, g->link.len);
                db_putc(b, '>');
            } else if (k == 1) {
                db_puts(b, "Link: ");
                db_put(b, g->link.p, g->link.len);
            } else {
                db_put(b, g->link.p, g->link.len);
            }
            db_putc(b, '\n');
            db_puts(b, prefix);
            col = strlen(prefix);
            link_at = (size_t)-1;
        }
        start = i + 1;
    }
    db_puts(b, "\n\n");
    free(para.p);
}

/* Appends s with &, <, >, " escaped. */
static void put_html_escaped(dbuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '&':
            db_puts(b, "&amp;");
            break;
        case '<':
            db_puts(b, "&lt;");
            break;
        case '>':
            db_puts(b, "&gt;");
            break;
        case '"':
            db_puts(b, "&quot;");
            break;
        default:
            db_putc(b, s[i]);
        }
    }
}

static void put_html_para(textgen *g, dbuf *b)
{
    static const char *const opens[] = {
        "<p>",
        "<p style=\"margin:0 0 12px 0;font-family:Arial,sans-serif\">",
        "<div class=\"MsoNormal\">",
        "<td style=\"padding:8px\">",
        "<p class=\"MsoNormal\">",
    };
    static const char *const closes[] = {"</p>", "</p>", "</div>", "</td>", "</p>"};
    unsigned k = below(NELEM(opens));
    size_t before = b->len;
    db_puts(b, opens[k]);
    unsigned ns = range(2, 6);
    unsigned at = below(ns);
    int link = -1;
    for (unsigned i = 0; i < ns; i++) {
        if (i > 0) {
            db_putc(b, ' ');
        }
        put_sentence(b, 1);
        if (i == at && link < 0) {
            link = want_link(g, b->len - before + 300);
            if (link) {
                make_link(g);
                if (below(100) < 85) {
                    db_puts(b, " <a href=\"");
                    put_html_escaped(b, g->link.p, g->link.len);
                    db_puts(b, "\" target=\"_blank\">");
                    db_puts(b, PICK(words));
                    db_putc(b, ' ');
                    db_puts(b, PICK(words));
                    db_puts(b, "</a>");
                } else {
                    db_putc(b, ' ');
                    put_html_escaped(b, g->link.p, g->link.len);
                    db_putc(b, ' ');
                }
            }
        }
    }
    db_puts(b, closes[k]);
    db_putc(b, '\n');
}

/* Appends src quoted-printable encoded (soft breaks at 76 columns). */
static void put_qp(dbuf *b, const char *s, size_t n)
{
    size_t col = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') {
            db_putc(b, '\n');
            col = 0;
            continue;
        }
        int enc = c == '=' || c >= 0x7F || c < 0x20 ||
                  ((c == ' ' || c == '\t') && (i + 1 == n || s[i + 1] == '\n'));
        size_t w = enc ? 3 : 1;
        if (col + w > 75) {
            db_puts(b, "=\n");
            col = 0;
        }
        if (enc) {
            db_putc(b, '=');
            db_putc(b, hexu[c >> 4]);
            db_putc(b, hexu[c & 15]);
        } else {
            db_putc(b, (char)c);
        }
        col += w;
    }
}

static const char *const first_names[] = {
    "Alice",   "Bob",  "Carol",  "Dave",  "Eve",    "Frank", "Grace", "Heidi",  "Ivan",   "Judy",
    "Mallory", "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter", "Zoë"};
static const char *const last_names[] = {"Smith", "Jones",     "Garcia",  "Müller", "Martin",
                                         "Rossi", "Nowak",     "Kim",     "Tanaka", "Dubois",
                                         "Silva", "Johansson", "O'Brien", "Novak"};
static const char *const domains[] = {"example.com", "corp.example.net",  "mail.example.org",
                                      "contoso.com", "fabrikam.co.uk",    "university.edu",
                                      "agency.gov",  "partner.example.de"};
static const char *const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static void put_address(dbuf *b)
{
    const char *f = PICK(first_names), *l = PICK(last_names);
    db_puts(b, f);
    db_putc(b, ' ');
    db_puts(b, l);
    db_puts(b, " <");
    for (const char *p = f; *p; p++) {
        db_putc(b, (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p));
    }
    db_putc(b, '.');
    db_puts(b, PICK(words));
    db_putc(b, '@');
    db_puts(b, PICK(domains));
    db_putc(b, '>');
}

static void put_date(dbuf *b)
{
    char s[64];
    snprintf(s, sizeof(s), "%s, %02u %s 2025 %02u:%02u:%02u +0000", PICK(days), range(1, 28),
             PICK(months), below(24), below(60), below(60));
    db_puts(b, s);
}

static void put_headers(dbuf *b, const char *boundary)
{
    db_puts(b, "Received: from mx0a-00000000.pphosted.com (mx0a-00000000.pphosted.com "
               "[148.163.");
    put_num(b, 2);
    db_puts(b, ".");
    put_num(b, 2);
    db_puts(b, "])\n\tby mail.example.com with ESMTPS id ");
    put_hex(b, 12);
    db_puts(b, "\n\tfor <");
    db_puts(b, PICK(words));
    db_puts(b, "@example.com>; ");
    put_date(b);
    db_puts(b, "\nDKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=");
    db_puts(b, PICK(domains));
    db_puts(b, "; s=selector1;\n\th=From:Date:Subject:Message-ID; bh=");
    put_token(b, 43);
    db_puts(b, "=;\n\tb=");
    put_token(b, 70);
    db_puts(b, "\n\t ");
    put_token(b, 70);
    db_puts(b, "\n\t ");
    put_token(b, 30);
    db_puts(b, "==\nX-Proofpoint-Virus-Version: vendor=baseguard\n"
               " engine=ICAP:2.0.293,Aquarius:18.0.1039,Hydra:6.0.680,FMLib:17.12.28.16\n"
               " definitions=2025-11-0");
    put_num(b, 1);
    db_puts(b, "_01,2025-11-01_01,2025-10-31_01 signatures=0\n"
               "X-Proofpoint-Spam-Details: rule=outbound_notspam policy=outbound score=0\n"
               "From: ");
    put_address(b);
    db_puts(b, "\nTo: ");
    put_address(b);
    if (chance(40)) {
        db_puts(b, "\nCc: ");
        put_address(b);
    }
    db_puts(b, "\nSubject: ");
    if (chance(30)) {
        db_puts(b, "RE: ");
    }
    unsigned n = range(3, 9);
    for (unsigned i = 0; i < n; i++) {
        if (i > 0) {
            db_putc(b, ' ');
        }
        db_puts(b, PICK(words));
    }
    db_puts(b, "\nDate: ");
    put_date(b);
    db_puts(b, "\nMessage-ID: <");
    put_hex(b, 24);
    db_putc(b, '@');
    db_puts(b, PICK(domains));
    db_puts(b, ">\nMIME-Version: 1.0\nContent-Type: multipart/alternative;\n\tboundary=\"");
    db_puts(b, boundary);
    db_puts(b, "\"\n\n");
}

static void put_part_header(dbuf *b, const char *boundary, const char *type, int qp)
{
    db_puts(b, "--");
    db_puts(b, boundary);
    db_puts(b, "\nContent-Type: ");
    db_puts(b, type);
    db_puts(b, "; charset=\"utf-8\"\nContent-Transfer-Encoding: ");
    db_puts(b, qp ? "quoted-printable" : "8bit");
    db_puts(b, "\n\n");
}

static void put_message(textgen *g, dbuf *out)
{
    char boundary[40];
    dbuf part = {0};
    snprintf(boundary, sizeof(boundary), "_000_%016" PRIx64 "_", rnd());
    put_headers(out, boundary);

    /* text/plain, with a quoted reply now and then */
    int qp = chance(33);
    put_part_header(out, boundary, "text/plain", qp);
    db_puts(&part, "Hi ");
    db_puts(&part, PICK(first_names));
    db_puts(&part, ",\n\n");
    unsigned np = range(2, 8);
    for (unsigned i = 0; i < np; i++) {
        put_plain_para(g, &part, "");
    }
    db_puts(&part, "Regards,\n");
    db_puts(&part, PICK(first_names));
    db_puts(&part, "\n\n");
    if (chance(40)) {
        db_puts(&part, "On ");
        put_date(&part);
        db_puts(&part, ", ");
        put_address(&part);
        db_puts(&part, " wrote:\n");
        unsigned nq = range(1, 5);
        for (unsigned i = 0; i < nq; i++) {
            put_plain_para(g, &part, "> ");
        }
    }
    if (qp) {
        put_qp(out, part.p, part.len);
    } else {
        db_put(out, part.p, part.len);
    }
    db_putc(out, '\n');

    /* text/html */
    part.len = 0;
    qp = chance(33);
    put_part_header(out, boundary, "text/html", qp);
    db_puts(&part, "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; "
                   "charset=utf-8\"></head>\n<body lang=\"EN-US\" link=\"#0563C1\">\n"
                   "<div class=\"WordSection1\">\n");
    np = range(3, 10);
    for (unsigned i = 0; i < np; i++) {
        put_html_para(g, &part);
    }
    db_puts(&part, "</div>\n</body></html>\n");
    if (qp) {
        put_qp(out, part.p, part.len);
    } else {
        db_put(out, part.p, part.len);
    }
    db_puts(out, "\n--");
    db_puts(out, boundary);
    db_puts(out, "--\n\n");
    free(part.p);
}

static int gen_text(unsigned long long target_bytes)
{
    textgen g;
    memset(&g, 0, sizeof(g));
    dbuf out = {0};
    unsigned long long bytes = 0, msgs = 0;
    while (bytes < target_bytes) {
        put_message(&g, &out);
        msgs++;
        if (out.len >= (1u << 20)) {
            bytes += out.len;
            db_flush(&out, stdout);
        }
    }
    bytes += out.len;
    db_flush(&out, stdout);
    fprintf(stderr, "bytes=%llu messages=%llu links=%llu v1=%llu v2=%llu v3=%llu\n", bytes, msgs,
            g.links, g.mc.n[1], g.mc.n[2], g.mc.n[3]);
    free(out.p);
    free(g.link.p);
    free(g.target.p);
    return 0;
}

/* --- SIEM events ------------------------------------------------------------ */

/* Appends s as a JSON string. */
static void put_jstr(dbuf *b, const char *s)
{
    db_putc(b, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            db_putc(b, '\\');
            db_putc(b, (char)c);
        } else if (c < 0x20) {
            char e[8];
            snprintf(e, sizeof e, "\\u%04x", c);
            db_puts(b, e);
        } else {
            db_putc(b, (char)c);
        }
    }
    db_putc(b, '"');
}

/* ,"key": */
static void put_jkey(dbuf *b, const char *k)
{
    if (b->len > 0 && b->p[b->len - 1] != '{') {
        db_putc(b, ',');
    }
    db_putc(b, '"');
    db_puts(b, k);
    db_puts(b, "\":");
}

static void put_uuid(dbuf *b)
{
    put_hex(b, 8);
    db_putc(b, '-');
    put_hex(b, 4);
    db_putc(b, '-');
    put_hex(b, 4);
    db_putc(b, '-');
    put_hex(b, 4);
    db_putc(b, '-');
    put_hex(b, 12);
}

static void put_quoted(dbuf *b, void (*f)(dbuf *, unsigned), unsigned n)
{
    db_putc(b, '"');
    f(b, n);
    db_putc(b, '"');
}

static void put_juuid(dbuf *b)
{
    db_putc(b, '"');
    put_uuid(b);
    db_putc(b, '"');
}

/* A time in March 2026 as the API writes it, "2026-03-DDTHH:MM:SS.mmmZ". */
static void put_jtime(dbuf *b, uint64_t t)
{
    char s[40];
    unsigned ms = (unsigned)(t % 1000), sec = (unsigned)(t / 1000 % 60),
             min = (unsigned)(t / 60000 % 60), h = (unsigned)(t / 3600000 % 24),
             d = (unsigned)(t / 86400000 % 28) + 1;
    snprintf(s, sizeof s, "\"2026-03-%02uT%02u:%02u:%02u.%03uZ\"", d, h, min, sec, ms);
    db_puts(b, s);
}

static void put_jip(dbuf *b)
{
    char s[24];
    snprintf(s, sizeof s, "\"%u.%u.%u.%u\"", range(1, 223), below(256), below(256), range(1, 254));
    db_puts(b, s);
}

static void put_email(dbuf *b)
{
    const char *f = PICK(first_names);
    for (const char *p = f; *p; p++) {
        db_putc(b, (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p));
    }
    db_putc(b, '.');
    db_puts(b, PICK(words));
    db_putc(b, '@');
    db_puts(b, PICK(domains));
}

static void put_jemail(dbuf *b)
{
    db_putc(b, '"');
    put_email(b);
    db_putc(b, '"');
}

static void put_jemails(dbuf *b, unsigned n)
{
    db_putc(b, '[');
    for (unsigned i = 0; i < n; i++) {
        if (i > 0) {
            db_putc(b, ',');
        }
        put_jemail(b);
    }
    db_putc(b, ']');
}

static void put_threat_url(dbuf *b, const char *threat_id)
{
    db_puts(b, "\"https://threatinsight.proofpoint.com/");
    put_uuid(b);
    db_puts(b, "/threat/email/");
    db_puts(b, threat_id);
    db_putc(b, '"');
}

static const char *const classifications[] = {"malware", "phish", "spam", "MALWARE", "PHISH"};
static const char *const user_agents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.66",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.3 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)",
};

static void gen_click(dbuf *b, int blocked, uint64_t t)
{
    char tid[65];
    for (int i = 0; i < 64; i++) {
        tid[i] = hexl[below(16)];
    }
    tid[64] = '\0';
    db_puts(b, blocked ? "{\"eventType\":\"clicksBlocked\"" : "{\"eventType\":\"clicksPermitted\"");
    put_jkey(b, "campaignId");
    if (chance(30)) {
        put_juuid(b);
    } else {
        db_puts(b, "null");
    }
    put_jkey(b, "classification");
    put_jstr(b, PICK(classifications));
    put_jkey(b, "clickIP");
    put_jip(b);
    put_jkey(b, "clickTime");
    put_jtime(b, t);
    put_jkey(b, "GUID");
    put_quoted(b, put_token, 28);
    put_jkey(b, "id");
    put_juuid(b);
    put_jkey(b, "messageID");
    db_puts(b, "\"<");
    put_num(b, 14);
    db_putc(b, '.');
    put_num(b, 5);
    db_puts(b, ".mail@");
    db_puts(b, PICK(domains));
    db_puts(b, ">\"");
    put_jkey(b, "recipient");
    put_jemail(b);
    put_jkey(b, "sender");
    put_jemail(b);
    put_jkey(b, "senderIP");
    put_jip(b);
    put_jkey(b, "threatID");
    put_jstr(b, tid);
    put_jkey(b, "threatTime");
    put_jtime(b, chance(20) ? t + range(60000, 86400000) : t - range(1000, 3600000));
    put_jkey(b, "threatURL");
    put_threat_url(b, tid);
    put_jkey(b, "threatStatus");
    db_puts(b, chance(90) ? "\"active\"" : "\"cleared\"");
    put_jkey(b, "url");
    dbuf u = {0};
    gen_target(&u);
    db_putc(&u, '\0');
    put_jstr(b, u.p);
    free(u.p);
    put_jkey(b, "userAgent");
    put_jstr(b, PICK(user_agents));
    db_puts(b, "}\n");
}

static void put_subject(dbuf *b)
{
    dbuf s = {0};
    unsigned n = range(3, 9);
    for (unsigned i = 0; i < n; i++) {
        if (i > 0) {
            db_putc(&s, ' ');
        }
        db_puts(&s, chance(8) ? PICK(utf8_words) : PICK(words));
    }
    if (chance(10)) {
        db_puts(&s, " \"urgent\"");
    }
    db_putc(&s, '\0');
    put_jstr(b, s.p);
    free(s.p);
}

static void gen_message(dbuf *b, int blocked, uint64_t t)
{
    static const char *const parts[][3] = {
        {"text/plain", "text.txt", "inline"},
        {"text/html", "text.html", "inline"},
        {"application/pdf", "invoice.pdf", "attached"},
        {"image/png", "image001.png", "inline"},
        {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Report.docx",
         "attached"},
    };
    static const char *const modules[] = {"av",    "zerohour", "spf",        "dkimv",  "spam",
                                          "dmarc", "pdr",      "urldefense", "sandbox"};
    int late = chance(5);
    db_puts(b, blocked ? "{\"eventType\":\"messagesBlocked\""
                       : "{\"eventType\":\"messagesDelivered\"");
    put_jkey(b, "GUID");
    put_quoted(b, put_token, 32);
    put_jkey(b, "QID");
    if (late) {
        db_puts(b, "null");
    } else {
        put_quoted(b, put_token, 14);
    }
    put_jkey(b, "ccAddresses");
    if (late) {
        db_puts(b, "null");
    } else {
        put_jemails(b, chance(20) ? 1 : 0);
    }
    put_jkey(b, "cluster");
    db_puts(b, "\"pharmtech_hosted\"");
    put_jkey(b, "completelyRewritten");
    db_puts(b, chance(70) ? "true" : chance(50) ? "false" : "\"na\"");
    put_jkey(b, "fromAddress");
    if (late) {
        db_puts(b, "null");
    } else {
        put_jemails(b, 1);
    }
    put_jkey(b, "headerFrom");
    if (late) {
        db_puts(b, "null");
    } else {
        dbuf h = {0};
        db_puts(&h, PICK(first_names));
        db_putc(&h, ' ');
        db_puts(&h, PICK(last_names));
        db_puts(&h, " <");
        put_email(&h);
        db_puts(&h, ">");
        db_putc(&h, '\0');
        put_jstr(b, h.p);
        free(h.p);
    }
    put_jkey(b, "headerReplyTo");
    db_puts(b, "null");
    put_jkey(b, "id");
    put_juuid(b);
    put_jkey(b, "impostorScore");
    db_puts(b, chance(90) ? "0.0" : "42.5");
    put_jkey(b, "malwareScore");
    put_num(b, 1);
    put_jkey(b, "messageID");
    if (late) {
        db_puts(b, "\"\"");
    } else {
        db_puts(b, "\"<");
        put_token(b, 20);
        db_putc(b, '@');
        db_puts(b, PICK(domains));
        db_puts(b, ">\"");
    }
    char sha[65];
    put_jkey(b, "messageParts");
    if (late) {
        db_puts(b, "null");
        sha[0] = '\0';
    } else {
        unsigned np = chance(80) ? 1 : 2;
        db_putc(b, '[');
        for (unsigned i = 0; i < np; i++) {
            const char *const *pt = parts[i == 0 ? below(2) : below(NELEM(parts))];
            for (int k = 0; k < 64; k++) {
                sha[k] = hexl[below(16)];
            }
            sha[64] = '\0';
            db_puts(b, i > 0 ? ",{" : "{");
            put_jkey(b, "contentType");
            put_jstr(b, pt[0]);
            put_jkey(b, "disposition");
            put_jstr(b, pt[2]);
            put_jkey(b, "filename");
            put_jstr(b, pt[1]);
            put_jkey(b, "md5");
            put_quoted(b, put_hex, 32);
            put_jkey(b, "oContentType");
            put_jstr(b, pt[0]);
            put_jkey(b, "sandboxStatus");
            db_puts(b, chance(70) ? "null" : "\"clean\"");
            put_jkey(b, "sha256");
            put_jstr(b, sha);
            db_putc(b, '}');
        }
        db_putc(b, ']');
    }
    put_jkey(b, "messageSize");
    put_num(b, range(4, 7));
    put_jkey(b, "messageTime");
    put_jtime(b, t);
    put_jkey(b, "modulesRun");
    if (late) {
        db_puts(b, "null");
    } else {
        db_putc(b, '[');
        unsigned nm = range(3, 5);
        for (unsigned i = 0; i < nm; i++) {
            if (i > 0) {
                db_putc(b, ',');
            }
            put_jstr(b, modules[i]);
        }
        db_putc(b, ']');
    }
    put_jkey(b, "phishScore");
    put_num(b, range(1, 2));
    put_jkey(b, "policyRoutes");
    db_puts(b, late ? "null" : "[\"default_inbound\"]");
    put_jkey(b, "quarantineFolder");
    db_puts(b, blocked ? "\"Attachment Defense\"" : "null");
    put_jkey(b, "quarantineRule");
    db_puts(b, blocked ? "\"module.sandbox.threat\"" : "null");
    unsigned nr = chance(15) ? 2 : 1;
    put_jkey(b, "recipient");
    put_jemails(b, nr);
    put_jkey(b, "replyToAddress");
    db_puts(b, late ? "null" : "[]");
    put_jkey(b, "sender");
    if (late) {
        db_puts(b, "\"\"");
    } else {
        put_jemail(b);
    }
    put_jkey(b, "senderIP");
    put_jip(b);
    put_jkey(b, "spamScore");
    put_num(b, range(1, 2));
    put_jkey(b, "subject");
    if (late) {
        db_puts(b, "null");
    } else {
        put_subject(b);
    }
    put_jkey(b, "threatsInfoMap");
    db_putc(b, '[');
    unsigned nt = chance(10) ? 2 : 1;
    for (unsigned i = 0; i < nt; i++) {
        char tid[65];
        for (int k = 0; k < 64; k++) {
            tid[k] = hexl[below(16)];
        }
        tid[64] = '\0';
        int attachment = sha[0] != '\0' && chance(30);
        db_puts(b, i > 0 ? ",{" : "{");
        put_jkey(b, "campaignID");
        if (chance(30)) {
            put_juuid(b);
        } else {
            db_puts(b, "null");
        }
        put_jkey(b, "classification");
        put_jstr(b, PICK(classifications));
        put_jkey(b, "threat");
        if (attachment) {
            put_jstr(b, sha);
        } else {
            dbuf u = {0};
            gen_target(&u);
            db_putc(&u, '\0');
            put_jstr(b, u.p);
            free(u.p);
        }
        put_jkey(b, "threatID");
        put_jstr(b, tid);
        put_jkey(b, "threatStatus");
        db_puts(b, "\"active\"");
        put_jkey(b, "threatTime");
        put_jtime(b, late ? t + range(3600000, 5 * 86400000u) : t + range(1000, 60000));
        put_jkey(b, "threatType");
        db_puts(b, attachment ? "\"attachment\"" : "\"url\"");
        put_jkey(b, "threatUrl");
        put_threat_url(b, tid);
        db_putc(b, '}');
    }
    db_putc(b, ']');
    put_jkey(b, "toAddresses");
    if (late) {
        db_puts(b, "null");
    } else {
        put_jemails(b, nr);
    }
    put_jkey(b, "xmailer");
    db_puts(b, late || chance(50) ? "null" : "\"Microsoft Outlook 16.0\"");
    db_puts(b, "}\n");
}

static int gen_events(unsigned long long count)
{
    dbuf b = {0};
    unsigned long long n[4] = {0}, bytes = 0;
    uint64_t t = 86400000ull * 2;
    for (unsigned long long i = 0; i < count; i++) {
        unsigned k = below(100);
        t += below(400);
        if (k < 15) {
            gen_click(&b, 1, t);
            n[0]++;
        } else if (k < 50) {
            gen_click(&b, 0, t);
            n[1]++;
        } else if (k < 65) {
            gen_message(&b, 1, t);
            n[2]++;
        } else {
            gen_message(&b, 0, t);
            n[3]++;
        }
        if (b.len >= 1 << 20) {
            bytes += b.len;
            db_flush(&b, stdout);
        }
    }
    bytes += b.len;
    db_flush(&b, stdout);
    free(b.p);
    if (fflush(stdout) != 0) {
        die("write error");
    }
    fprintf(stderr,
            "events=%llu bytes=%llu avg=%.1f clicksBlocked=%llu clicksPermitted=%llu "
            "messagesBlocked=%llu messagesDelivered=%llu\n",
            count, bytes, count ? (double)bytes / (double)count : 0.0, n[0], n[1], n[2], n[3]);
    return 0;
}

/* --- main ------------------------------------------------------------------ */

static unsigned long long parse_num(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*s == '\0' || *end != '\0') {
        die("bad number");
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "urls") == 0 && argc <= 5) {
        rng_state = parse_num(argv[3]) * 0x2545F4914F6CDD1Dull + 1;
        FILE *t = NULL;
        if (argc == 5 && (t = fopen(argv[4], "wb")) == NULL) {
            die("cannot open the targets file");
        }
        int rc = gen_urls(parse_num(argv[2]), t);
        if (t != NULL && fclose(t) != 0) {
            die("write error");
        }
        return rc;
    }
    if (argc == 4 && strcmp(argv[1], "text") == 0) {
        rng_state = parse_num(argv[3]) * 0x2545F4914F6CDD1Dull + 2;
        return gen_text(parse_num(argv[2]));
    }
    if (argc == 4 && strcmp(argv[1], "events") == 0) {
        rng_state = parse_num(argv[3]) * 0x2545F4914F6CDD1Dull + 3;
        return gen_events(parse_num(argv[2]));
    }
    fputs("usage: pptap-bench-gen urls N SEED [TARGETS]\n"
          "       pptap-bench-gen text BYTES SEED\n"
          "       pptap-bench-gen events N SEED\n",
          stderr);
    return 64;
}
