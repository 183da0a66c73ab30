/*
 * URL Defense decoder and encoder (docs/urldefense.md).
 *
 * The decoder follows Proofpoint's reference grammar (urldecoder.py) with the
 * regular expressions replaced by equivalent forward searches, and reads v3
 * tokens as bytes. One pass, no allocation: percent escapes and base64 are
 * decoded on the fly into the caller's buffer.
 */
#include <string.h>

#include <pptap/urldefense.h>

#include "ascii.h"
#include "internal.h"
#include "span.h"

/* ------------------------------------------------------------------------- */
/* Output sink: stores while there is room, always counts. */

typedef struct {
    unsigned char *p;
    size_t cap;
    size_t len;
} sink;

static inline void put(sink *s, unsigned char c)
{
    if (s->len < s->cap) {
        s->p[s->len] = c;
    }
    s->len++;
}

static inline void put_mem(sink *s, const unsigned char *d, size_t n)
{
    if (s->len + n <= s->cap) {
        memcpy(s->p + s->len, d, n);
    } else if (s->len < s->cap) {
        memcpy(s->p + s->len, d, s->cap - s->len);
    }
    s->len += n;
}

/* Flags of the decoded bytes: PPTAP_URLDEF_F_CONTROL when one is <= 0x20 or
 * 0x7F, and bit 31 when one is >= 0x80 (then UTF-8 must be checked). One
 * pass, eight bytes at a time. */
#define HAS_HIGH (1u << 31)
static unsigned byte_flags(const unsigned char *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t acc = 0, ctl = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        acc |= w;
        uint64_t d = w ^ (ones * 0x7F);
        ctl |= ((w - ones * 0x21) & ~w) | ((d - ones) & ~d);
    }
    unsigned f = 0;
    for (; i < n; i++) {
        acc |= s[i];
        if (s[i] <= 0x20 || s[i] == 0x7F) {
            f |= PPTAP_URLDEF_F_CONTROL;
        }
    }
    if ((ctl & highs) != 0) {
        /* Exact as a test of existence: a borrow only starts at a byte below
         * 0x21 (or equal to 0x7F, for the second term). */
        f |= PPTAP_URLDEF_F_CONTROL;
    }
    if (acc & highs) {
        f |= HAS_HIGH;
    }
    return f;
}

static const unsigned char *find2(const unsigned char *s, const unsigned char *end, unsigned char a,
                                  unsigned char b)
{
    while (s + 1 < end) {
        const unsigned char *p = memchr(s, a, (size_t)(end - s - 1));
        if (p == NULL) {
            return NULL;
        }
        if (p[1] == b) {
            return p;
        }
        s = p + 1;
    }
    return NULL;
}

/* ------------------------------------------------------------------------- */
/* Status names */

static const char *const status_codes[PPTAP_URLDEF_STATUS_COUNT_] = {
    "ok",          "not-urldefense",  "unknown-version", "v1-no-match",   "v2-no-match",
    "v3-no-match", "base64-nonascii", "base64-invalid",  "token-overrun", "bad-run-code",
    "lowercased",
};

static const char *const status_messages[PPTAP_URLDEF_STATUS_COUNT_] = {
    "decoded",
    "does not appear to be a URL Defense URL",
    "unrecognized URL Defense version (only v1, v2 and v3 exist)",
    "v1 link without a \"u=\" parameter followed by \"&k=\"",
    "v2 link without a \"u=\" parameter followed by \"&d=\" or \"&c=\"",
    "v3 link without the \"__<url>__;<bytes>!\" layout",
    "v3 replacement bytes are not ASCII",
    "v3 replacement bytes are not valid base64",
    "v3 link has more \"*\" tokens than replacement bytes",
    "v3 link has a \"**\" run whose length code is not in A-Z a-z 0-9 - _",
    "v3 link was lower-cased in transit, which destroys its base64 bytes",
};

const char *pptap_urldef_status_code(pptap_urldef_status st)
{
    if ((unsigned)st >= PPTAP_URLDEF_STATUS_COUNT_) {
        return "unknown";
    }
    return status_codes[st];
}

const char *pptap_urldef_status_message(pptap_urldef_status st)
{
    if ((unsigned)st >= PPTAP_URLDEF_STATUS_COUNT_) {
        return "unknown status";
    }
    return status_messages[st];
}

/* ------------------------------------------------------------------------- */
/* Dispatch */

/*
 * Finds the leftmost "(https?)://urldefense(.proofpoint)?.(com|us)/vD/"
 * (scheme and host case-insensitive). Sets *start, *digit and, when the
 * match is outside Proofpoint's reference pattern, *nonref.
 */
static int find_wrapper(const unsigned char *s, size_t n, size_t *start, unsigned char *digit,
                        int *nonref, size_t *vpos)
{
    const unsigned char *end = s + n;
    const unsigned char *p = s;
    while ((p = memchr(p, ':', (size_t)(end - p))) != NULL) {
        size_t c = (size_t)(p - s);
        const unsigned char *h = p + 3;
        size_t st;
        int exact;
        if ((size_t)(end - p) < 3 + 10 + 4 + 3 || p[1] != '/' || p[2] != '/') {
            p++;
            continue;
        }
        if (c >= 5 && memcmp(p - 5, "https", 5) == 0) {
            st = c - 5;
            exact = 1;
        } else if (c >= 5 && ascii_ieq(p - 5, "https", 5)) {
            st = c - 5;
            exact = 0;
        } else if (c >= 4 && ascii_ieq(p - 4, "http", 4)) {
            st = c - 4;
            exact = 0;
        } else {
            p++;
            continue;
        }
        if (memcmp(h, "urldefense", 10) != 0) {
            if (!ascii_ieq(h, "urldefense", 10)) {
                p++;
                continue;
            }
            exact = 0;
        }
        const unsigned char *t = h + 10;
        if ((size_t)(end - t) >= 11 && (t[1] | 0x20) == 'p' && ascii_ieq(t, ".proofpoint", 11)) {
            exact = exact && memcmp(t, ".proofpoint", 11) == 0;
            t += 11;
        }
        if ((size_t)(end - t) >= 4 && memcmp(t, ".com", 4) == 0) {
            t += 4;
        } else if ((size_t)(end - t) >= 4 && ascii_ieq(t, ".com", 4)) {
            exact = 0;
            t += 4;
        } else if ((size_t)(end - t) >= 3 && ascii_ieq(t, ".us", 3)) {
            exact = 0;
            t += 3;
        } else {
            p++;
            continue;
        }
        if ((size_t)(end - t) >= 4 && t[0] == '/' && t[1] == 'v' && (unsigned)(t[2] - '0') < 10u &&
            t[3] == '/') {
            *start = st;
            *digit = t[2];
            *nonref = !exact;
            *vpos = (size_t)(t + 1 - s);
            return 1;
        }
        p++;
    }
    return 0;
}

/*
 * v1/v2: the reference's `u=(?P<url>.+?)&k=` (or `&[dc]=`) searched in the
 * whole input; '.' does not match LF. Sets [*ub, *ue) to the url group.
 */
static int find_u(const unsigned char *s, size_t n, int v2, size_t *ub, size_t *ue)
{
    const unsigned char *end = s + n;
    const unsigned char *p = s;
    const unsigned char *q = NULL; /* first terminator at or after the last search start */
    while ((p = find2(p, end, 'u', '=')) != NULL) {
        const unsigned char *lo = p + 2;
        /* A terminator found for an earlier "u=" is still the first one
         * for this one while it lies ahead: search again only past it. */
        if (q == NULL || q < lo + 1) {
            q = lo + 1;
            while (q < end && (q = memchr(q, '&', (size_t)(end - q))) != NULL) {
                if (end - q >= 3 && q[2] == '=' &&
                    (v2 ? (q[1] == 'd' || q[1] == 'c') : q[1] == 'k')) {
                    break;
                }
                q++;
            }
            if (q == NULL || q >= end) {
                return 0; /* no terminator after any later "u=" either */
            }
        }
        /* The url group may not span a LF; the first terminator is the
         * only candidate, so a LF before it moves the search past the LF. */
        const unsigned char *lf = memchr(lo, '\n', (size_t)(q - lo));
        if (lf == NULL) {
            *ub = (size_t)(lo - s);
            *ue = (size_t)(q - s);
            return 1;
        }
        p = lf + 1;
    }
    return 0;
}

/* The first "v3/__" at or after p, or NULL. `hint` is where the wrapper's own
 * "v3/" stands: when no "v3/__" comes before it, it is the answer. */
static const unsigned char *find_v3_start(const unsigned char *p, const unsigned char *end,
                                          const unsigned char *hint)
{
    while (p + 5 <= end) {
        if (hint != NULL && p <= hint && hint + 5 <= end && hint[3] == '_' && hint[4] == '_') {
            const unsigned char *v = memchr(p, 'v', (size_t)(hint - p));
            while (v != NULL) {
                if (end - v >= 5 && v[1] == '3' && v[2] == '/' && v[3] == '_' && v[4] == '_') {
                    return v;
                }
                v = memchr(v + 1, 'v', (size_t)(hint - v - 1));
            }
            return hint;
        }
        const unsigned char *v = memchr(p, 'v', (size_t)(end - p));
        if (v == NULL || end - v < 5) {
            return NULL;
        }
        if (v[1] == '3' && v[2] == '/' && v[3] == '_' && v[4] == '_') {
            return v;
        }
        p = v + 1;
    }
    return NULL;
}

/* v3: `v3/__(?P<url>.+?)__;(?P<enc_bytes>.*?)!`. Sets url [ub,ue), enc [ee..bang). */
static int find_v3(const unsigned char *s, size_t n, size_t hint, size_t *ub, size_t *ue,
                   size_t *bang)
{
    const unsigned char *end = s + n;
    const unsigned char *p = s;
    const unsigned char *q = NULL, *r = NULL;
    while (p + 5 <= end) {
        const unsigned char *v = find_v3_start(p, end, s + hint);
        if (v == NULL) {
            return 0;
        }
        const unsigned char *lo = v + 5;
        /* The "__;" and '!' found for an earlier start are still the first
         * ones for this start while they lie ahead (linear time). */
        if (q == NULL || q < lo + 1) {
            if (end - lo < 4) {
                return 0; /* no room for a url byte and "__;" after this start */
            }
            q = lo + 1;
            if (q >= end) {
                return 0;
            }
            q += find_v3_delim(q, (size_t)(end - q));
            if (q >= end) {
                return 0;
            }
        }
        if (r == NULL || r < q + 3) {
            r = memchr(q + 3, '!', (size_t)(end - (q + 3)));
            if (r == NULL) {
                return 0; /* no later match can find a '!' either */
            }
        }
        /* Neither group may span a LF: with one before the '!', the first
         * "__;" and '!' after this start are the only candidates, so the
         * search resumes after the LF. */
        const unsigned char *lf = memchr(lo, '\n', (size_t)(r - lo));
        if (lf == NULL) {
            *ub = (size_t)(lo - s);
            *ue = (size_t)(q - s);
            *bang = (size_t)(r - s);
            return 1;
        }
        p = lf + 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------- */
/* v1, v2 */

/* Hex digit values, -1 for other bytes. */
static const signed char hexv[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9,  ['9'] = 10, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
    ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
}; /* value + 1; 0 = not a hex digit */

/* Bytes percent_decode() must look at: 1 '%' (v1 and v2), 2 '-' and 3 '_' (v2). */
static const unsigned char pct_class[256] = {['%'] = 1, ['-'] = 2, ['_'] = 3};

/* unquote() of the v1 url group, or of the v2 one after its '-' to '%' and '_'
 * to '/' translation, in one pass. */
/* Bit 7 of each byte of the result is set where w has a zero byte; the
 * lowest set bit marks the first one exactly. */
static inline uint64_t zero_bytes(uint64_t w)
{
    return (w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull;
}

static void percent_decode(sink *o, const unsigned char *s, size_t n, int v2)
{
    const uint64_t ones = 0x0101010101010101ull;
    unsigned char *w = o->p + o->len; /* the caller made room for n bytes */
    size_t i = 0;
    for (;;) {
        /* Copy eight bytes at a time up to the next byte that needs work.
         * The output never runs ahead of the input, so the whole eight
         * bytes fit. */
        while (i + 8 <= n) {
            uint64_t x;
            memcpy(&x, s + i, 8);
            memcpy(w, &x, 8);
            uint64_t m = zero_bytes(x ^ (ones * '%'));
            if (v2) {
                m |= zero_bytes(x ^ (ones * '-')) | zero_bytes(x ^ (ones * '_'));
            }
            if (m != 0) {
                size_t k = (size_t)__builtin_ctzll(m) >> 3;
                i += k;
                w += k;
                break;
            }
            i += 8;
            w += 8;
        }
        if (i >= n) {
            break;
        }
        unsigned char c = s[i];
        unsigned cls = pct_class[c];
        if (cls == 3 && v2) {
            c = '/';
        } else if (cls == 1 || (cls == 2 && v2)) {
            if (i + 2 < n && hexv[s[i + 1]] && hexv[s[i + 2]]) {
                c = (unsigned char)((hexv[s[i + 1]] - 1) << 4 | (hexv[s[i + 2]] - 1));
                i += 2;
            } else {
                c = '%';
            }
        }
        *w++ = c;
        i++;
    }
    o->len = (size_t)(w - o->p);
}

/* Reader of the url group's bytes after unquote (and the v2 translation). */
typedef struct {
    const unsigned char *s;
    size_t i, n;
    int v2;
} pdreader;

static int pd_next(pdreader *r)
{
    if (r->i >= r->n) {
        return -1;
    }
    const unsigned char *s = r->s;
    unsigned char c = s[r->i];
    unsigned cls = pct_class[c];
    r->i++;
    if (cls == 3 && r->v2) {
        return '/';
    }
    if (cls == 1 || (cls == 2 && r->v2)) {
        if (r->i + 1 < r->n && hexv[s[r->i]] && hexv[s[r->i + 1]]) {
            r->i += 2;
            return (hexv[s[r->i - 2]] - 1) << 4 | (hexv[s[r->i - 1]] - 1);
        }
        return '%';
    }
    return c;
}

/*
 * v1/v2 into a buffer smaller than the url group: unquote and HTML-unescape
 * in one pass (the same rules as percent_decode() and pptap__html_unescape()),
 * so that the exact length is known without an intermediate copy.
 */
static void decode_v12_exact(sink *o, const unsigned char *s, size_t n, int v2)
{
    pdreader r = {s, 0, n, v2};
    unsigned char val[8];
    size_t vlen;
    int c;
    while ((c = pd_next(&r)) >= 0) {
        if (c != '&') {
            put(o, (unsigned char)c);
            continue;
        }
        pdreader t = r;
        if (pd_next(&t) == '#') {
            /* Numeric: any number of digits, value saturated. */
            pdreader u = t;
            int x = pd_next(&u);
            int hex = x == 'x' || x == 'X';
            if (!hex) {
                u = t;
            }
            unsigned long cp = 0;
            size_t nd = 0;
            for (;;) {
                pdreader w = u;
                int e = pd_next(&w);
                int dv = e < 0                       ? -1
                         : hex                       ? ascii_hexval((unsigned char)e)
                         : (unsigned)(e - '0') < 10u ? e - '0'
                                                     : -1;
                if (dv < 0) {
                    break;
                }
                cp = cp * (hex ? 16 : 10) + (unsigned long)dv;
                if (cp > 0x10FFFF) {
                    cp = 0x110000;
                }
                nd++;
                u = w;
            }
            if (nd == 0) {
                put(o, '&');
                continue;
            }
            pdreader w = u;
            if (pd_next(&w) == ';') {
                u = w;
            }
            vlen = pptap__html_numeric_utf8(val, cp);
            put_mem(o, val, vlen);
            r = u;
            continue;
        }
        /* Named: at most 32 letters and digits, then one more byte. */
        unsigned char tmp[40];
        size_t tl = 0;
        tmp[tl++] = '&';
        pdreader u = r;
        while (tl < sizeof(tmp)) {
            int e = pd_next(&u);
            if (e < 0) {
                break;
            }
            tmp[tl++] = (unsigned char)e;
            if (!ascii_isalnum(e)) {
                break;
            }
        }
        size_t m = pptap__html_match(tmp, tl, val, &vlen);
        if (m == 0) {
            put(o, '&');
            continue;
        }
        put_mem(o, val, vlen);
        for (size_t k = 1; k < m; k++) {
            (void)pd_next(&r);
        }
    }
}

static int finish_v12(pptap_urldef_result *res, sink *o)
{
    if (memchr(o->p, '&', o->len) != NULL) {
        size_t len = o->len;
        if (pptap__html_unescape((char *)o->p, &len, o->cap) != 0) {
            res->len = len;
            return PPTAP_EBUFS;
        }
        o->len = len;
    }
    return 0;
}

/* ------------------------------------------------------------------------- */
/* v3 */

static const signed char b64val[256] = {
    ['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,  ['H'] = 8,
    ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,
    ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
    ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
    ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
    ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
    ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
    ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['-'] = 63,
    ['/'] = 64, ['_'] = 64,
}; /* value + 1; 0 = not a base64 character */

/*
 * CPython's binascii.a2b_base64 (non-strict) over enc + "==", as a
 * byte-at-a-time reader: unknown characters are skipped, "=" ends the data
 * at group position 2 (two of them) or 3 (one).
 */
typedef struct {
    const unsigned char *s;
    size_t i, n;
    int extra; /* appended '=' consumed */
    int pos, pads, done;
    unsigned left;
} b64rd;

static int b64_next(b64rd *r, unsigned char *out)
{
    while (!r->done) {
        unsigned c;
        if (r->i < r->n) {
            c = r->s[r->i++];
        } else if (r->extra < 2) {
            r->extra++;
            c = '=';
        } else {
            return 0;
        }
        if (c == '=') {
            if (r->pos >= 2 && r->pos + ++r->pads >= 4) {
                r->done = 1;
            }
            continue;
        }
        int v = b64val[c] - 1;
        if (v < 0) {
            continue;
        }
        r->pads = 0;
        switch (r->pos) {
        case 0:
            r->left = (unsigned)v;
            r->pos = 1;
            break;
        case 1:
            *out = (unsigned char)((r->left << 2) | ((unsigned)v >> 4));
            r->left = (unsigned)v & 0x0F;
            r->pos = 2;
            return 1;
        case 2:
            *out = (unsigned char)((r->left << 4) | ((unsigned)v >> 2));
            r->left = (unsigned)v & 0x03;
            r->pos = 3;
            return 1;
        default:
            *out = (unsigned char)((r->left << 6) | (unsigned)v);
            r->left = 0;
            r->pos = 0;
            return 1;
        }
    }
    return 0;
}

/* Validates the replacement field as the reference does before substituting. */
static pptap_urldef_status b64_check(const unsigned char *s, size_t n)
{
    /* The usual field: base64url characters only, valid unless its length
     * is 1 more than a multiple of 4. */
    size_t k = 0;
    while (k < n && b64val[s[k]] != 0) {
        k++;
    }
    if (k == n) {
        return n % 4 == 1 ? PPTAP_URLDEF_BASE64_INVALID : PPTAP_URLDEF_OK;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= 0x80) {
            return PPTAP_URLDEF_BASE64_NONASCII;
        }
    }
    b64rd r = {s, 0, n, 0, 0, 0, 0, 0};
    unsigned char b;
    while (b64_next(&r, &b)) {
    }
    if (!r.done && r.pos != 0) {
        return PPTAP_URLDEF_BASE64_INVALID;
    }
    return PPTAP_URLDEF_OK;
}

static int run_length(unsigned char c)
{
    if ((unsigned)(c - 'A') < 26u) {
        return c - 'A' + 2;
    }
    if ((unsigned)(c - 'a') < 26u) {
        return c - 'a' + 28;
    }
    if ((unsigned)(c - '0') < 10u) {
        return c - '0' + 54;
    }
    if (c == '-') {
        return 64;
    }
    if (c == '_') {
        return 65;
    }
    return -1;
}

/* Next byte of the url part after percent-decoding (unquote runs first). */
static inline unsigned char unq_next(const unsigned char *s, size_t *i, size_t e)
{
    unsigned char c = s[*i];
    int h1, h2;
    if (c == '%' && *i + 2 < e && (h1 = ascii_hexval(s[*i + 1])) >= 0 &&
        (h2 = ascii_hexval(s[*i + 2])) >= 0) {
        *i += 3;
        return (unsigned char)(h1 << 4 | h2);
    }
    *i += 1;
    return c;
}

static int is_lower_b64(unsigned char c)
{
    return (unsigned)(c - 'a') < 26u || (unsigned)(c - '0') < 10u || c == '_' || c == '-';
}

static int has_upper(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if ((unsigned)(s[i] - 'A') < 26u) {
            return 1;
        }
    }
    return 0;
}

/* The lower-casing test of docs/urldefense.md D6. */
static int looks_lowercased(const unsigned char *s, size_t n, size_t ub, size_t ue, size_t bang)
{
    const unsigned char *e = s + ue + 3;
    size_t elen = bang - (ue + 3);
    if (elen == 0) {
        return 0;
    }
    int letter = 0;
    for (size_t i = 0; i < elen; i++) {
        if (!is_lower_b64(e[i])) {
            return 0;
        }
        letter |= (unsigned)(e[i] - 'a') < 26u;
    }
    if (!letter) {
        return 0;
    }
    size_t t = bang + 1, nonbang = 0;
    while (t < n) {
        unsigned char c = s[t];
        if ((unsigned)(c - 'A') < 26u) {
            return 0;
        }
        if (!(is_lower_b64(c) || c == '!')) {
            break;
        }
        nonbang += c != '!';
        t++;
    }
    if (nonbang < 32) {
        return 0;
    }
    return !has_upper(s + ub, ue - ub);
}

/* The single-slash repair's `^([a-z0-9+.-]+:/)([^/].+)`: returns the length
 * of group 1, or 0. */
static size_t slash_repair_at(const unsigned char *u, size_t n)
{
    size_t j = 0;
    while (j < n) {
        unsigned char c = ascii_lower(u[j]);
        if ((unsigned)(c - 'a') < 26u || (unsigned)(c - '0') < 10u || c == '+' || c == '.' ||
            c == '-') {
            j++;
        } else {
            break;
        }
    }
    if (j == 0 || j + 3 >= n || u[j] != ':' || u[j + 1] != '/' || u[j + 2] == '/') {
        return 0;
    }
    /* "[^/].+" takes two characters: a UTF-8 character after ":/" counts as
     * one, as in the reference, which reads text. */
    unsigned char c0 = u[j + 2];
    size_t first = c0 >= 0xF0 ? 4 : c0 >= 0xE0 ? 3 : c0 >= 0xC2 ? 2 : 1;
    if (first > 1 && (j + 2 + first > n || !pptap__utf8_valid(u + j + 2, first))) {
        first = 1;
    }
    if (j + 2 + first >= n) {
        return 0;
    }
    return j + 2;
}

static int decode_v3(pptap_urldef_result *res, sink *o, const unsigned char *s, size_t n,
                     size_t hint)
{
    size_t ub, ue, bang;
    if (!find_v3(s, n, hint, &ub, &ue, &bang)) {
        res->status = PPTAP_URLDEF_V3_NO_MATCH;
        return PPTAP_EDECODE;
    }
    if (looks_lowercased(s, n, ub, ue, bang)) {
        res->status = PPTAP_URLDEF_LOWERCASED;
        return PPTAP_EDECODE;
    }
    const unsigned char *enc = s + ue + 3;
    size_t enclen = bang - (ue + 3);
    pptap_urldef_status st = b64_check(enc, enclen);
    if (st != PPTAP_URLDEF_OK) {
        res->status = st;
        return PPTAP_EDECODE;
    }
    size_t i = ub;
    size_t rep = slash_repair_at(s + ub, ue - ub);
    if (rep > 0) {
        put_mem(o, s + ub, rep);
        put(o, '/');
        i += rep;
        res->flags |= PPTAP_URLDEF_F_SLASH_REPAIRED;
    }
    b64rd rd = {enc, 0, enclen, 0, 0, 0, 0, 0};
    while (i < ue) {
        size_t stop = i + span_until2(s + i, ue - i, '*', '%');
        if (stop > i) {
            put_mem(o, s + i, stop - i);
            i = stop;
            if (i == ue) {
                break;
            }
        }
        unsigned char c = unq_next(s, &i, ue);
        if (c != '*') {
            put(o, c);
            continue;
        }
        size_t k = i;
        if (k < ue && unq_next(s, &k, ue) == '*' && k < ue) {
            unsigned char code = unq_next(s, &k, ue);
            if (code != '\n') {
                int len = run_length(code);
                if (len < 0) {
                    res->status = PPTAP_URLDEF_BAD_RUN_CODE;
                    return PPTAP_EDECODE;
                }
                unsigned char b;
                while (len-- > 0 && b64_next(&rd, &b)) {
                    put(o, b);
                }
                i = k;
                continue;
            }
        }
        unsigned char b;
        if (!b64_next(&rd, &b)) {
            res->status = PPTAP_URLDEF_TOKEN_OVERRUN;
            return PPTAP_EDECODE;
        }
        put(o, b);
    }
    if (o->len > o->cap) {
        res->len = o->len;
        return PPTAP_EBUFS;
    }
    return 0;
}

int pptap_urldef_decode(pptap_urldef_result *res, char *out, size_t outsz, const char *in,
                        size_t inlen)
{
    const unsigned char *s = (const unsigned char *)in;
    pptap_urldef_result r = {PPTAP_URLDEF_OK, 0, 0, 0, 0};
    sink o = {(unsigned char *)out, out ? outsz : 0, 0};
    unsigned char digit = 0;
    int nonref = 0;
    size_t vpos = 0;
    int rc;

    if (in == NULL) {
        s = (const unsigned char *)""; /* no searches on a null pointer */
        inlen = 0;
    }
    if (!find_wrapper(s, inlen, &r.start, &digit, &nonref, &vpos)) {
        r.status = PPTAP_URLDEF_NOT_URLDEFENSE;
        rc = PPTAP_EDECODE;
        goto out;
    }
    if (nonref) {
        r.flags |= PPTAP_URLDEF_F_NONREF_HOST;
    }
    if (digit < '1' || digit > '3') {
        r.status = PPTAP_URLDEF_UNKNOWN_VERSION;
        rc = PPTAP_EDECODE;
        goto out;
    }
    r.version = digit - '0';
    if (r.version == 3) {
        rc = decode_v3(&r, &o, s, inlen, vpos);
    } else {
        size_t ub, ue;
        if (!find_u(s, inlen, r.version == 2, &ub, &ue)) {
            r.status = r.version == 2 ? PPTAP_URLDEF_V2_NO_MATCH : PPTAP_URLDEF_V1_NO_MATCH;
            rc = PPTAP_EDECODE;
            goto out;
        }
        rc = PPTAP_EBUFS;
        if (o.cap >= ue - ub) {
            /* Room for the url group: unquote, then unescape in place. */
            percent_decode(&o, s + ub, ue - ub, r.version == 2);
            rc = finish_v12(&r, &o);
        }
        if (rc == PPTAP_EBUFS) {
            /* No room for the url group or for the in-place unescape (which
             * needs the group's length plus what "&nGt;" adds): decode in
             * one pass, which gives the exact length. */
            o.len = 0;
            decode_v12_exact(&o, s + ub, ue - ub, r.version == 2);
            rc = o.len > o.cap ? PPTAP_EBUFS : 0;
            r.len = o.len;
        }
    }
    if (rc == 0) {
        r.len = o.len;
        unsigned bf = byte_flags(o.p, o.len);
        r.flags |= bf & PPTAP_URLDEF_F_CONTROL;
        if ((bf & HAS_HIGH) && !pptap__utf8_valid(o.p, o.len)) {
            r.flags |= PPTAP_URLDEF_F_INVALID_UTF8;
        }
    }
out:
    if (res != NULL) {
        *res = r;
    }
    return rc;
}

/* ------------------------------------------------------------------------- */
/* Encoder */

static const char b64url_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char upper_hex[] = "0123456789ABCDEF";

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void put_str(sink *o, const char *str)
{
    put_mem(o, (const unsigned char *)str, strlen(str));
}

static void put_random_b64(sink *o, uint64_t *rng, size_t n, int force_upper)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v = (unsigned)(splitmix(rng) >> 58);
        if (force_upper && i == 0) {
            v %= 26;
        }
        put(o, (unsigned char)b64url_chars[v]);
    }
}

static const char *host_name(pptap_urldef_host h, int version)
{
    switch (h) {
    case PPTAP_URLDEF_HOST_COM:
        return "urldefense.com";
    case PPTAP_URLDEF_HOST_PROOFPOINT:
        return "urldefense.proofpoint.com";
    case PPTAP_URLDEF_HOST_US:
        return "urldefense.us";
    default:
        return version == 2 ? "urldefense.proofpoint.com" : "urldefense.com";
    }
}

static void encode_v2(sink *o, const unsigned char *u, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = u[i];
        if ((unsigned)(c - '0') < 10u || (unsigned)((c | 0x20) - 'a') < 26u || c == '.') {
            put(o, c);
        } else if (c == '/') {
            put(o, '_');
        } else if (c == '&' && pptap__html_ref_len((const char *)u + i, n - i) > 0) {
            /* The decoder HTML-unescapes; keep this '&' literal as "&amp;". */
            put_str(o, "-26amp-3B");
        } else {
            put(o, '-');
            put(o, (unsigned char)upper_hex[c >> 4]);
            put(o, (unsigned char)upper_hex[c & 15]);
        }
    }
}

/* Bytes the v3 encoder keeps as they are. */
static int v3_kept(unsigned char c)
{
    if ((unsigned)(c - '0') < 10u || (unsigned)((c | 0x20) - 'a') < 26u) {
        return 1;
    }
    return c != 0 && strchr("-._~!$&'(),;=:@/?", c) != NULL;
}

typedef struct {
    sink *munged; /* receives the url part, or NULL */
    sink *b64;    /* receives base64url of the replaced bytes, or NULL */
    unsigned char last[2];
    size_t run;
    unsigned acc;
    int nacc;
} v3enc;

static void v3_emit(v3enc *e, unsigned char c)
{
    if (e->munged != NULL) {
        put(e->munged, c);
    }
    e->last[0] = e->last[1];
    e->last[1] = c;
}

static void v3_flush_run(v3enc *e)
{
    while (e->run > 0) {
        size_t k = e->run > 65 ? 65 : e->run;
        v3_emit(e, '*');
        if (k > 1) {
            v3_emit(e, '*');
            v3_emit(e, (unsigned char)b64url_chars[k - 2]);
        }
        e->run -= k;
    }
}

static void v3_replace(v3enc *e, unsigned char c)
{
    e->run++;
    if (e->b64 != NULL) {
        e->acc = (e->acc << 8) | c;
        e->nacc += 8;
        while (e->nacc >= 6) {
            e->nacc -= 6;
            put(e->b64, (unsigned char)b64url_chars[(e->acc >> e->nacc) & 63]);
        }
    }
}

static void v3_munge(v3enc *e, const unsigned char *u, size_t n)
{
    /* A target that itself looks like "scheme:/x…" would be "repaired" by
     * the decoder; replacing that '/' keeps it exact. */
    size_t protect = (size_t)-1;
    size_t j = 0;
    while (j < n && ((unsigned)((u[j] | 0x20) - 'a') < 26u || (unsigned)(u[j] - '0') < 10u ||
                     u[j] == '+' || u[j] == '.' || u[j] == '-')) {
        j++;
    }
    if (j > 0 && j + 2 < n && u[j] == ':' && u[j + 1] == '/' && u[j + 2] != '/') {
        protect = j + 1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = u[i];
        if (v3_kept(c) && i != protect) {
            v3_flush_run(e);
            /* Never write "__;" inside the url part. */
            if (!(c == ';' && e->last[0] == '_' && e->last[1] == '_')) {
                v3_emit(e, c);
                continue;
            }
        }
        v3_replace(e, c);
    }
    v3_flush_run(e);
    if (e->b64 != NULL && e->nacc > 0) {
        put(e->b64, (unsigned char)b64url_chars[(e->acc << (6 - e->nacc)) & 63]);
        e->nacc = 0;
    }
}

int pptap_urldef_encode(size_t *outlen, char *out, size_t outsz, int version, const char *url,
                        size_t len, const pptap_urldef_encode_opts *opts)
{
    pptap_urldef_encode_opts dflt = {PPTAP_URLDEF_HOST_DEFAULT, 0};
    const unsigned char *u = (const unsigned char *)url;
    sink o = {(unsigned char *)out, out ? outsz : 0, 0};

    if (opts == NULL) {
        opts = &dflt;
    }
    if ((version != 2 && version != 3) || url == NULL || len == 0) {
        return PPTAP_EINVAL;
    }
    uint64_t rng = opts->seed ^ (len * 0x100000001B3ull);
    put_str(&o, "https://");
    put_str(&o, host_name(opts->host, version));
    if (version == 2) {
        put_str(&o, "/v2/url?u=");
        encode_v2(&o, u, len);
        put_str(&o, "&d=DwMFaQ&c=");
        put_random_b64(&o, &rng, 43, 0);
        put_str(&o, "&r=");
        put_random_b64(&o, &rng, 43, 0);
        put_str(&o, "&m=");
        put_random_b64(&o, &rng, 43, 0);
        put_str(&o, "&s=");
        put_random_b64(&o, &rng, 43, 0);
        put_str(&o, "&e=");
    } else {
        put_str(&o, "/v3/__");
        v3enc e1 = {&o, NULL, {0, 0}, 0, 0, 0};
        v3_munge(&e1, u, len);
        put_str(&o, "__;");
        v3enc e2 = {NULL, &o, {0, 0}, 0, 0, 0};
        v3_munge(&e2, u, len);
        put(&o, '!');
        put_random_b64(&o, &rng, 12, 0);
        put(&o, '!');
        put_random_b64(&o, &rng, 60, 1);
        put(&o, '$');
    }
    *outlen = o.len;
    return o.len > o.cap ? PPTAP_EBUFS : 0;
}
