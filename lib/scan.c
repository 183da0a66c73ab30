/*
 * Scanner: finds URL Defense links in text of any size (plain text, HTML,
 * quoted-printable mail) and lists them or rewrites the text with the links
 * decoded. Memory is fixed at creation: a window of the stream plus scratch
 * buffers for one link.
 *
 * Candidates are found by a case-insensitive search for "urldefense"; each
 * one is grown backwards to its scheme (or to an enclosing SafeLinks URL)
 * and forwards by the grammar of its version, reading through HTML character
 * references, quoted-printable soft breaks and escapes, zero-width
 * characters, and the white space RFC 3986 allows inside <…>.
 */
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <pptap/urldefense.h>

#include "ascii.h"
#include "internal.h"

#define BLOCK (256u * 1024u)
#define LOOKBACK 512u /* bytes kept before a candidate: scheme, SafeLinks prefix */
#define MAX_LINK PPTAP_SCAN_MAX_LINK
#define MAX_LAYERS 4

struct pptap_scanner {
    pptap_scan_opts o;
    unsigned char *buf;
    size_t len, cap;
    size_t scan;     /* next position to search for a candidate */
    size_t emitted;  /* rewrite: bytes of buf already written out */
    size_t last_end; /* end of the last link reported, in buf */
    uint64_t base;   /* stream offset of buf[0] */
    unsigned char *norm;
    size_t norm_len;
    unsigned char *dec[2];
    size_t dec_cap;
    unsigned char *esc;
    size_t esc_cap;
    uint64_t links, failed;
    int finished;
    int stopped;
};

/* Length of a zero-width character (U+200B..U+200D, U+2060, U+FEFF, soft
 * hyphen) at s, or 0. Such characters are skipped inside links. */
static int zero_width_at(const unsigned char *s, size_t n)
{
    if (n >= 3 && s[0] == 0xE2 && s[1] == 0x80 && (s[2] >= 0x8B && s[2] <= 0x8D)) {
        return 3;
    }
    if (n >= 3 && s[0] == 0xE2 && s[1] == 0x81 && s[2] == 0xA0) {
        return 3;
    }
    if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
        return 3;
    }
    if (n >= 2 && s[0] == 0xC2 && s[1] == 0xAD) {
        return 2;
    }
    return 0;
}

/* Length of an invisible sequence at s[i..n) (a zero-width character or a
 * quoted-printable soft line break), 0 when there is none, -1 when the
 * window ends where one may be starting. */
static int invisible_at(const unsigned char *s, size_t i, size_t n)
{
    if (i >= n) {
        return 0;
    }
    unsigned char c = s[i];
    if (c == '=') {
        if (i + 1 >= n) {
            return -1;
        }
        if (s[i + 1] == '\n') {
            return 2;
        }
        if (s[i + 1] == '\r') {
            return i + 2 >= n ? -1 : s[i + 2] == '\n' ? 3 : 0;
        }
        return 0;
    }
    if (c >= 0xC2) {
        int z = zero_width_at(s + i, n - i);
        if (z > 0) {
            return z;
        }
        if (n - i < 3 && (c == 0xE2 || c == 0xEF || c == 0xC2)) {
            return -1;
        }
    }
    return 0;
}

/* 1 when "urldefense" (any case, zero-width characters and soft line breaks
 * allowed between the letters) starts at s[i]; -1 when the window ends
 * inside a partial match. */
static int word_at(const unsigned char *s, size_t i, size_t n)
{
    static const char w[] = "urldefense";
    if (i + 10 <= n && ascii_ieq(s + i, w, 10)) {
        return 1;
    }
    for (size_t k = 0; k < 10; k++) {
        if (i >= n) {
            return -1;
        }
        if (ascii_lower(s[i]) != (unsigned char)w[k]) {
            return 0;
        }
        i++;
        if (k < 9) {
            int z;
            while ((z = invisible_at(s, i, n)) > 0) {
                i += (size_t)z;
            }
            if (z < 0) {
                return -1;
            }
        }
    }
    return 1;
}

/* Checks the starts of a match interrupted at `pos` (the nine bytes before
 * it), keeping the smallest in *best and a partial one in *partial. */
static void interrupted_at(const unsigned char *s, size_t from, size_t pos, size_t n, size_t *best,
                           size_t *partial)
{
    size_t u = pos >= from + 9 ? pos - 9 : from;
    for (; u < pos && u < *best; u++) {
        if ((s[u] | 0x20) == 'u') {
            int w = word_at(s, u, n);
            if (w > 0) {
                *best = u;
                return;
            }
            if (w < 0 && u < *partial) {
                *partial = u;
            }
        }
    }
}

/* Position of the next case-insensitive "urldefense" in s[from..n), or n;
 * *partial is set to where a match may continue past n (else n). */
static size_t find_candidate(const unsigned char *s, size_t from, size_t n, size_t *partial)
{
    size_t i = from;
    *partial = n;
    if (n < 10) {
        return n;
    }
#if defined(__SSE2__)
    const __m128i fold = _mm_set1_epi8(0x20);
    const __m128i first = _mm_set1_epi8('u');
    const __m128i last = _mm_set1_epi8('e');
    const __m128i eq = _mm_set1_epi8('=');
    const __m128i lf = _mm_set1_epi8('\n');
    const __m128i cr = _mm_set1_epi8('\r');
    const __m128i e2 = _mm_set1_epi8((char)0xE2);
    const __m128i ef = _mm_set1_epi8((char)0xEF);
    while (i + 9 + 16 <= n) {
        __m128i raw = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i next = _mm_loadu_si128((const __m128i *)(s + i + 1));
        __m128i a = _mm_cmpeq_epi8(_mm_or_si128(raw, fold), first);
        __m128i b = _mm_or_si128(_mm_loadu_si128((const __m128i *)(s + i + 9)), fold);
        unsigned mask = (unsigned)_mm_movemask_epi8(_mm_and_si128(a, _mm_cmpeq_epi8(b, last)));
        /* Where a match could be interrupted: a soft line break ("=" then
         * CR or LF) or the first byte of a zero-width character. */
        __m128i soft =
            _mm_and_si128(_mm_cmpeq_epi8(raw, eq),
                          _mm_or_si128(_mm_cmpeq_epi8(next, lf), _mm_cmpeq_epi8(next, cr)));
        unsigned stops = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(soft, _mm_or_si128(_mm_cmpeq_epi8(raw, e2), _mm_cmpeq_epi8(raw, ef))));
        if ((mask | stops) == 0) {
            i += 16;
            continue;
        }
        size_t best = n;
        while (mask != 0) {
            unsigned bit = (unsigned)__builtin_ctz(mask);
            if (word_at(s, i + bit, n) > 0) {
                best = i + bit;
                break;
            }
            mask &= mask - 1;
        }
        while (stops != 0) {
            unsigned bit = (unsigned)__builtin_ctz(stops);
            if (i + bit >= best) {
                break;
            }
            interrupted_at(s, from, i + bit, n, &best, partial);
            stops &= stops - 1;
        }
        if (best < n) {
            return best;
        }
        i += 16;
    }
#endif
    for (; i < n; i++) {
        if ((s[i] | 0x20) == 'u') {
            int w = word_at(s, i, n);
            if (w > 0) {
                return i;
            }
            if (w < 0 && *partial == n) {
                *partial = i;
            }
        }
    }
    return n;
}

/* ------------------------------------------------------------------------- */
/* Logical reader over the raw bytes of a link */

typedef struct {
    const unsigned char *s;
    size_t i, n;
    int qp;         /* decode =XX and soft breaks */
    int softbreaks; /* accept soft breaks even without qp (v3 before '$') */
    int angle;      /* skip white space (inside <…>) */
    int saw_soft;   /* a soft break was read */
    int no_ent;     /* do not decode character references */
    int more;       /* the window is not the end of the stream */
    int starved;    /* stopped near the window end: more input needed */
    unsigned char pend[8];
    size_t npend, ipend;
} reader;

/* Returns the next logical byte, or -1 at the end of the window. */
static inline int rd_next(reader *r);

static int rd_next_slow(reader *r)
{
    if (r->ipend < r->npend) {
        return r->pend[r->ipend++];
    }
    while (r->i < r->n) {
        const unsigned char *s = r->s;
        unsigned char c = s[r->i];
        if (r->more && r->n - r->i < 48) {
            /* Lookahead (soft breaks, references, zero-width characters)
             * needs the bytes that have not arrived yet. */
            r->starved = 1;
            return -1;
        }
        if (c == '=' && (r->qp || r->softbreaks)) {
            size_t k = r->i + 1;
            if (k < r->n && s[k] == '\r') {
                k++;
            }
            if (k < r->n && s[k] == '\n') {
                r->i = k + 1;
                r->saw_soft = 1;
                continue;
            }
            int h1, h2;
            if (r->qp && r->i + 2 < r->n && (h1 = ascii_hexval(s[r->i + 1])) >= 0 &&
                (h2 = ascii_hexval(s[r->i + 2])) >= 0) {
                r->i += 3;
                return h1 << 4 | h2;
            }
        }
        if (r->angle && (c == ' ' || c == '\t' || c == '\r' || c == '\n')) {
            r->i++;
            continue;
        }
        if (c >= 0xC2) {
            int z = zero_width_at(s + r->i, r->n - r->i);
            if (z > 0) {
                r->i += (size_t)z;
                continue;
            }
        }
        if (c == '&' && !r->no_ent) {
            /* Match the reference on logical bytes, so that a soft break
             * inside "&amp;" does not hide it. */
            reader t = *r;
            unsigned char tmp[48];
            size_t tl = 0;
            t.no_ent = 1;
            t.i++;
            tmp[tl++] = '&';
            while (tl < 40) {
                int d = rd_next(&t);
                if (d < 0) {
                    break;
                }
                tmp[tl++] = (unsigned char)d;
                if (d == ';' || !(ascii_isalnum(d) || d == '#')) {
                    break;
                }
            }
            size_t m = pptap__html_ref_len((const char *)tmp, tl);
            if (m > 0) {
                size_t vl = m;
                if (pptap__html_unescape((char *)tmp, &vl, sizeof(tmp)) == 0 && vl > 0 &&
                    vl <= sizeof(r->pend)) {
                    /* Advance past the m logical bytes of the reference. */
                    unsigned char val[8];
                    memcpy(val, tmp, vl);
                    r->no_ent = 1;
                    r->i++;
                    for (size_t k = 1; k < m; k++) {
                        (void)rd_next(r);
                    }
                    r->no_ent = 0;
                    memcpy(r->pend, val, vl);
                    r->npend = vl;
                    r->ipend = 1;
                    return r->pend[0];
                }
            }
        }
        r->i++;
        return c;
    }
    return -1;
}

/* Bytes the reader must look at: '=' (quoted-printable), '&' (references),
 * white space (inside <…>) and lead bytes of zero-width characters. */
static const unsigned char rd_special[256] = {
    ['='] = 1,  ['&'] = 1,  [' '] = 1,  ['\t'] = 1, ['\r'] = 1,
    ['\n'] = 1, [0xC2] = 1, [0xE2] = 1, [0xEF] = 1,
};

/* The next logical byte of the link, or -1 at the end of the window. */
static inline int rd_next(reader *r)
{
    if (r->ipend >= r->npend && r->i < r->n && !rd_special[r->s[r->i]] &&
        (!r->more || r->n - r->i >= 48)) {
        return r->s[r->i++];
    }
    return rd_next_slow(r);
}

/* ------------------------------------------------------------------------- */

/* Character classes of link parts. */
enum {
    CC_V3 = 1 << 0,    /* v3 url part (kept bytes, '*' tokens, '%' re-encodings, '+', '#') */
    CC_V12 = 1 << 1,   /* v1/v2 query */
    CC_B64 = 1 << 2,   /* v3 replacement field (base64url and '=') */
    CC_TRAIL = 1 << 3, /* sentence punctuation that ends a v1/v2 link: . , ; : ! ? */
};

#define CC_ALNUM_RANGE(lo, hi) [lo... hi] = CC_V3 | CC_V12 | CC_B64

static const unsigned char cclass[256] = {
    CC_ALNUM_RANGE('0', '9'),
    CC_ALNUM_RANGE('A', 'Z'),
    CC_ALNUM_RANGE('a', 'z'),
    ['-'] = CC_V3 | CC_V12 | CC_B64,
    ['_'] = CC_V3 | CC_V12 | CC_B64,
    ['='] = CC_V3 | CC_V12 | CC_B64,
    ['.'] = CC_V3 | CC_V12 | CC_TRAIL,
    ['~'] = CC_V3 | CC_V12,
    ['%'] = CC_V3 | CC_V12,
    [':'] = CC_V3 | CC_V12 | CC_TRAIL,
    ['/'] = CC_V3 | CC_V12,
    ['?'] = CC_V3 | CC_V12 | CC_TRAIL,
    ['&'] = CC_V3 | CC_V12,
    ['+'] = CC_V3 | CC_V12,
    [','] = CC_V3 | CC_V12 | CC_TRAIL,
    [';'] = CC_V3 | CC_V12 | CC_TRAIL,
    ['@'] = CC_V3 | CC_V12,
    ['!'] = CC_V3 | CC_TRAIL,
    ['$'] = CC_V3,
    ['\''] = CC_V3,
    ['('] = CC_V3,
    [')'] = CC_V3,
    ['*'] = CC_V3,
    ['#'] = CC_V3,
};

/* Bytes read_link() may take in bulk, per part of a link: no decision
 * depends on them one by one. */
enum {
    FC_V3URL = 1 << 0, /* v3 url part, less ';' (delimiter), '=' '&' (reader), '\'' (quote) */
    FC_V3ENC = 1 << 1, /* v3 replacement field, less '=' and '!' */
    FC_V3TRK = 1 << 2, /* v3 tracking field, less '$' */
    FC_V12 = 1 << 3,   /* v1/v2, less '=' and '&' (reader) */
};

#define FC_ALNUM_RANGE(lo, hi) [lo... hi] = FC_V3URL | FC_V3ENC | FC_V3TRK | FC_V12

static const unsigned char fastc[256] = {
    FC_ALNUM_RANGE('0', '9'),
    FC_ALNUM_RANGE('A', 'Z'),
    FC_ALNUM_RANGE('a', 'z'),
    ['-'] = FC_V3URL | FC_V3ENC | FC_V3TRK | FC_V12,
    ['_'] = FC_V3URL | FC_V3ENC | FC_V3TRK | FC_V12,
    ['.'] = FC_V3URL | FC_V12,
    ['~'] = FC_V3URL | FC_V12,
    ['%'] = FC_V3URL | FC_V12,
    [':'] = FC_V3URL | FC_V12,
    ['/'] = FC_V3URL | FC_V12,
    ['?'] = FC_V3URL | FC_V12,
    ['+'] = FC_V3URL | FC_V12,
    [','] = FC_V3URL | FC_V12,
    ['@'] = FC_V3URL | FC_V12,
    [';'] = FC_V12,
    ['!'] = FC_V3URL | FC_V3TRK,
    ['$'] = FC_V3URL,
    ['('] = FC_V3URL,
    [')'] = FC_V3URL,
    ['*'] = FC_V3URL,
    ['#'] = FC_V3URL,
};

static int v3_url_char(int c)
{
    return c >= 0 && (cclass[c & 0xFF] & CC_V3);
}

static int v12_char(int c)
{
    return c >= 0 && (cclass[c & 0xFF] & CC_V12);
}

static int b64_char(int c)
{
    return c >= 0 && (cclass[c & 0xFF] & CC_B64);
}

enum { EXT_OK = 0, EXT_MORE = 1 };

/*
 * Reads the link starting at raw position st of the window [0, n), the
 * scheme's "urldefense" at c. Fills s->norm, sets *end. Returns EXT_MORE when
 * the window ends before the link does and more input may come.
 */
static int read_link(pptap_scanner *s, size_t st, size_t n, pptap_scan_context ctx, int qp,
                     int may_switch, int *qp_used, size_t *end)
{
    reader r = {s->buf, st, n, qp, 0, ctx == PPTAP_SCAN_CTX_ANGLE, 0, 0, 0, 0, {0}, 0, 0};
    int term = -1;
    if (ctx == PPTAP_SCAN_CTX_ATTR_DQ) {
        term = '"';
    } else if (ctx == PPTAP_SCAN_CTX_ATTR_SQ) {
        term = '\'';
    } else if (ctx == PPTAP_SCAN_CTX_ANGLE) {
        term = '>';
    }
    size_t limit = n - st > MAX_LINK ? st + MAX_LINK : n;
    r.n = limit;
    r.more = limit == n && !s->finished;
    size_t nl = 0;
    int version = 0;
    int phase = 0; /* v3: 0 url, 1 enc, 2 tracking; v1/v2: 0 */
    size_t last_good = st;
    size_t last_good_norm = 0;
    int slashes = 0;
    int done = 0;
    /* Scheme and host up to "/vD/" are read with the same reader. */
    while (!done) {
        if (version != 0 && r.ipend >= r.npend) {
            /* Take runs of bytes that need no decision one by one. */
            unsigned char fm = version != 3 ? FC_V12
                               : phase == 0 ? FC_V3URL
                               : phase == 1 ? FC_V3ENC
                                            : FC_V3TRK;
            size_t lim = r.more ? (r.n >= 48 ? r.n - 48 : 0) : r.n;
            if (lim > r.i + (MAX_LINK - nl)) {
                lim = r.i + (MAX_LINK - nl);
            }
            const unsigned char *b = s->buf;
            size_t i = r.i;
            if (fm == FC_V12) {
                while (i < lim && (fastc[b[i]] & fm)) {
                    unsigned char ch = b[i++];
                    s->norm[nl++] = ch;
                    if (!(cclass[ch] & CC_TRAIL)) {
                        last_good = i;
                        last_good_norm = nl;
                    }
                }
            } else {
                size_t i0 = i;
                while (i < lim && (fastc[b[i]] & fm)) {
                    i++;
                }
                if (i > i0) {
                    memcpy(s->norm + nl, b + i0, i - i0);
                    nl += i - i0;
                    last_good = i;
                    last_good_norm = nl;
                }
            }
            r.i = i;
            if (nl >= MAX_LINK) {
                break;
            }
        }
        size_t at = r.i;
        int from_pend = r.ipend < r.npend;
        int c = rd_next(&r);
        if (c < 0) {
            break;
        }
        if (!from_pend && c == term && s->buf[at] == (unsigned char)term) {
            r.i = at;
            break;
        }
        if (version == 0) {
            /* Still in "scheme://host/vD/". */
            if (c == '/') {
                slashes++;
                if (slashes == 4) {
                    version = nl >= 2 ? s->norm[nl - 1] - '0' : 0;
                    if (version == 3) {
                        r.softbreaks = may_switch;
                    }
                    if (version < 1 || version > 3) {
                        version = 9;
                    }
                }
            } else if (c <= ' ' || c >= 0x7F || c == '"' || c == '<' || c == '>') {
                r.i = at;
                break;
            }
            s->norm[nl++] = (unsigned char)c;
            last_good = r.i;
            last_good_norm = nl;
            continue;
        }
        if (version == 3) {
            if (phase == 0) {
                if (!v3_url_char(c)) {
                    r.i = at;
                    break;
                }
                s->norm[nl++] = (unsigned char)c;
                if (c == ';' && nl >= 3 && s->norm[nl - 2] == '_' && s->norm[nl - 3] == '_') {
                    phase = 1;
                }
            } else if (phase == 1) {
                if (c == '!') {
                    phase = 2;
                } else if (!b64_char(c)) {
                    r.i = at;
                    break;
                }
                s->norm[nl++] = (unsigned char)c;
            } else {
                if (c == '$') {
                    s->norm[nl++] = '$';
                    last_good = r.i;
                    last_good_norm = nl;
                    done = 1;
                    break;
                }
                if (!(b64_char(c) && c != '=') && c != '!') {
                    r.i = at;
                    break;
                }
                s->norm[nl++] = (unsigned char)c;
            }
            last_good = r.i;
            last_good_norm = nl;
        } else {
            if (!v12_char(c)) {
                r.i = at;
                break;
            }
            if (!r.qp && may_switch && c == '=' && nl >= 1 && s->norm[nl - 1] == 'u' &&
                r.i + 1 < r.n && s->buf[r.i] == '3' && (s->buf[r.i + 1] | 0x20) == 'd') {
                /* "u=3D": the link is quoted-printable. */
                *qp_used = 1;
                return read_link(s, st, n, ctx, 1, 0, qp_used, end);
            }
            s->norm[nl++] = (unsigned char)c;
            /* Trailing sentence punctuation is not part of the link. */
            if (!(cclass[c] & CC_TRAIL)) {
                last_good = r.i;
                last_good_norm = nl;
            }
        }
        if (nl >= MAX_LINK) {
            break;
        }
    }
    if (r.saw_soft && !r.qp && may_switch) {
        /* A soft break inside a v3 link: read it again as quoted-printable. */
        *qp_used = 1;
        return read_link(s, st, n, ctx, 1, 0, qp_used, end);
    }
    if (!done && r.starved) {
        return EXT_MORE;
    }
    s->norm_len = last_good_norm;
    *end = last_good;
    *qp_used = r.qp;
    return EXT_OK;
}

/* The logical byte before position *k (zero-width characters and soft line
 * breaks skipped), or -1. */
static int back_char(const unsigned char *b, size_t lo, size_t *k)
{
    while (*k > lo) {
        size_t j = *k - 1;
        if (b[j] == '\n' && j > lo && b[j - 1] == '=') {
            *k -= 2;
            continue;
        }
        if (b[j] == '\n' && j > lo + 1 && b[j - 1] == '\r' && b[j - 2] == '=') {
            *k -= 3;
            continue;
        }
        if (b[j] >= 0x80) {
            /* Step over a whole zero-width character ending here. */
            size_t t;
            for (t = 2; t <= 3; t++) {
                if (*k >= lo + t && zero_width_at(b + *k - t, t) == (int)t) {
                    break;
                }
            }
            if (t <= 3) {
                *k -= t;
                continue;
            }
        }
        *k = j;
        return b[j];
    }
    return -1;
}

/* 1 when s[i..n) starts with a quoted-printable soft break or "=3D". */
static int qp_mark_at(const unsigned char *s, size_t i, size_t n)
{
    if (s[i] != '=' || i + 1 >= n) {
        return 0;
    }
    if (s[i + 1] == '\n' || (s[i + 1] == '\r' && i + 2 < n && s[i + 2] == '\n')) {
        return 1;
    }
    return i + 2 < n && s[i + 1] == '3' && (s[i + 2] | 0x20) == 'd';
}

/*
 * Whether the link at st reads as quoted-printable: a soft line break or an
 * "=3D" in the 256 bytes before it (its MIME part), or in the link itself
 * (its first 512 bytes, up to white space that is not a soft break).
 */
static int qp_evidence(const unsigned char *b, size_t lo, size_t st, size_t n)
{
    size_t from = st > lo + 256 ? st - 256 : lo;
    const unsigned char *p = b + from;
    while ((p = memchr(p, '=', (size_t)(b + st - p))) != NULL) {
        if (qp_mark_at(b, (size_t)(p - b), st)) {
            return 1;
        }
        p++;
    }
    size_t lim = n - st > 512 ? st + 512 : n;
    for (size_t i = st; i < lim; i++) {
        unsigned char c = b[i];
        if (c == '=' && qp_mark_at(b, i, n)) {
            return 1;
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '"' || c == '<' || c == '>') {
            return 0;
        }
    }
    return 0;
}

/* 1 when the link read into s->norm decodes. */
static int decodable(const pptap_scanner *s)
{
    pptap_urldef_result r;
    return pptap_urldef_decode(&r, NULL, 0, (const char *)s->norm, s->norm_len) != PPTAP_EDECODE;
}

/* Finds the start of the link whose "urldefense" is at c; 0 when none. */
static int link_start(const unsigned char *b, size_t lo, size_t c, size_t *st, int *safelinks)
{
    *safelinks = 0;
    size_t k = c;
    if (back_char(b, lo, &k) == '/' && back_char(b, lo, &k) == '/' && back_char(b, lo, &k) == ':') {
        static const char rev[] = "sptth";
        size_t at = k;
        int ch = back_char(b, lo, &k);
        if (ch == 's' || ch == 'S') {
            ch = back_char(b, lo, &k);
        }
        for (int i = 1; i < 5; i++) {
            if (ch < 0 || ascii_lower((unsigned char)ch) != (unsigned char)rev[i]) {
                return 0;
            }
            at = k;
            if (i < 4) {
                ch = back_char(b, lo, &k);
            }
        }
        *st = at;
        return 1;
    }
    /* SafeLinks: "https://…safelinks.protection.outlook.com/?url=https%3A%2F%2Furldefense…" */
    if (c >= lo + 6 && ascii_ieq(b + c - 6, "%2f%2f", 6)) {
        k = c - 6;
        while (k > lo) {
            unsigned char ch = b[k - 1];
            if (ch <= ' ' || ch == '"' || ch == '\'' || ch == '<' || ch == '>' || ch >= 0x7F) {
                break;
            }
            k--;
        }
        for (size_t p = k; p + 8 < c; p++) {
            if ((b[p] | 0x20) == 'h' &&
                (ascii_ieq(b + p, "https://", 8) || ascii_ieq(b + p, "http://", 7))) {
                /* Must be SafeLinks. */
                for (size_t q = p; q + 10 < c; q++) {
                    if ((b[q] | 0x20) == 's' && c - q >= 32 &&
                        ascii_ieq(b + q, "safelinks.protection.outlook.com", 32)) {
                        *st = p;
                        *safelinks = 1;
                        return 1;
                    }
                }
                return 0;
            }
        }
    }
    return 0;
}

static pptap_scan_context context_of(const unsigned char *b, size_t lo, size_t st)
{
    if (st <= lo) {
        return PPTAP_SCAN_CTX_TEXT;
    }
    switch (b[st - 1]) {
    case '"':
        return PPTAP_SCAN_CTX_ATTR_DQ;
    case '\'':
        return PPTAP_SCAN_CTX_ATTR_SQ;
    case '<':
        return PPTAP_SCAN_CTX_ANGLE;
    case '=':
        return PPTAP_SCAN_CTX_ATTR_BARE;
    default:
        return PPTAP_SCAN_CTX_TEXT;
    }
}

/* Reads a SafeLinks URL from st: extent and its percent-decoded url= value. */
static int read_safelinks(pptap_scanner *s, size_t st, size_t n, pptap_scan_context ctx,
                          size_t *end)
{
    size_t limit = n - st > MAX_LINK ? st + MAX_LINK : n;
    size_t i = st;
    while (i < limit) {
        unsigned char ch = s->buf[i];
        if (ch <= ' ' || ch == '"' || ch == '\'' || ch == '<' || ch == '>' || ch >= 0x7F) {
            break;
        }
        i++;
    }
    if (i == limit && limit == n && !s->finished) {
        return EXT_MORE;
    }
    while (i > st && ((cclass[s->buf[i - 1]] & CC_TRAIL) || s->buf[i - 1] == ')')) {
        i--;
    }
    (void)ctx;
    *end = i;
    /* The url= parameter, entities (&amp;) undone, then percent-decoded. */
    const unsigned char *b = s->buf;
    size_t p = st;
    size_t nl = 0;
    for (; p + 4 < i; p++) {
        if ((b[p] == '?' || b[p] == '&' || b[p] == ';') && ascii_ieq(b + p + 1, "url=", 4)) {
            break;
        }
    }
    if (p + 4 >= i) {
        s->norm_len = 0;
        return EXT_OK;
    }
    p += 5;
    while (p < i && b[p] != '&') {
        int h1, h2;
        if (b[p] == '%' && p + 2 < i && (h1 = ascii_hexval(b[p + 1])) >= 0 &&
            (h2 = ascii_hexval(b[p + 2])) >= 0) {
            s->norm[nl++] = (unsigned char)(h1 << 4 | h2);
            p += 3;
        } else {
            s->norm[nl++] = b[p++];
        }
    }
    s->norm_len = nl;
    return EXT_OK;
}

/* ------------------------------------------------------------------------- */
/* Output */

static int emit(pptap_scanner *s, const unsigned char *d, size_t n)
{
    if (n == 0 || s->stopped) {
        return s->stopped ? PPTAP_ECANCELED : 0;
    }
    if (s->o.on_write((const char *)d, n, s->o.payload) != 0) {
        s->stopped = 1;
        return PPTAP_ECANCELED;
    }
    return 0;
}

/* Escapes a decoded URL for the place it goes back into. */
static size_t escape_for(pptap_scanner *s, const unsigned char *d, size_t n, pptap_scan_context ctx,
                         int qp, int utf8_ok)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = d[i];
        const char *rep = NULL;
        char tmp[8];
        int html = ctx == PPTAP_SCAN_CTX_ATTR_DQ || ctx == PPTAP_SCAN_CTX_ATTR_SQ ||
                   ctx == PPTAP_SCAN_CTX_ATTR_BARE;
        if (html && c == '&') {
            rep = "&amp;";
        } else if (html && c == '"') {
            rep = "&quot;";
        } else if (html && c == '\'') {
            rep = "&#39;";
        } else if (html && c == '<') {
            rep = "&lt;";
        } else if (html && c == '>') {
            rep = "&gt;";
        } else if (c <= ' ' || c == 0x7F || (!html && (c == '"' || c == '<' || c == '>')) ||
                   (c >= 0x80 && !utf8_ok) || (ctx == PPTAP_SCAN_CTX_ATTR_BARE && c == '`')) {
            tmp[0] = '%';
            tmp[1] = hex[c >> 4];
            tmp[2] = hex[c & 15];
            tmp[3] = 0;
            rep = tmp;
        }
        if (qp && (c == '=' || c >= 0x80) && rep == NULL) {
            tmp[0] = '=';
            tmp[1] = hex[c >> 4];
            tmp[2] = hex[c & 15];
            tmp[3] = 0;
            rep = tmp;
        }
        if (rep != NULL) {
            size_t l = strlen(rep);
            if (w + l > s->esc_cap) {
                break;
            }
            memcpy(s->esc + w, rep, l);
            w += l;
        } else {
            if (w + 1 > s->esc_cap) {
                break;
            }
            s->esc[w++] = c;
        }
    }
    return w;
}

/* Decodes s->norm, unwrapping nested wrappers; reports and rewrites. */
static int handle_link(pptap_scanner *s, size_t st, size_t end, pptap_scan_context ctx, int qp,
                       int safelinks)
{
    pptap_scan_link L;
    memset(&L, 0, sizeof(L));
    L.offset = s->base + st;
    L.raw_len = end - st;
    L.encoded = (const char *)s->norm;
    L.encoded_len = s->norm_len;
    L.context = ctx;
    L.qp = qp;
    L.layers = safelinks;

    const unsigned char *in = s->norm;
    size_t inlen = s->norm_len;
    int which = 0;
    int ok = 0;
    pptap_urldef_result res;
    for (int layer = 0; layer < MAX_LAYERS; layer++) {
        int rc =
            pptap_urldef_decode(&res, (char *)s->dec[which], s->dec_cap, (const char *)in, inlen);
        if (layer == 0) {
            L.result = res;
        }
        if (rc != 0) {
            break;
        }
        ok = 1;
        L.decoded = (const char *)s->dec[which];
        L.decoded_len = res.len;
        if (layer > 0) {
            L.layers++;
        }
        /* Another wrapper inside (v3 around v2, forwarded mail)? */
        pptap_urldef_result probe;
        if (pptap_urldef_decode(&probe, NULL, 0, (const char *)s->dec[which], res.len) ==
                PPTAP_EDECODE &&
            probe.status == PPTAP_URLDEF_NOT_URLDEFENSE) {
            break;
        }
        if (res.len == inlen && memcmp(in, s->dec[which], inlen) == 0) {
            break;
        }
        in = s->dec[which];
        inlen = res.len;
        which ^= 1;
    }
    if (!ok) {
        L.decoded = NULL;
        L.decoded_len = 0;
    }
    s->links++;
    if (!ok) {
        s->failed++;
    }
    if (s->o.on_link != NULL && s->o.on_link(&L, s->o.payload) != 0) {
        s->stopped = 1;
        return PPTAP_ECANCELED;
    }
    if (s->o.flags & PPTAP_SCAN_REWRITE) {
        int rc = emit(s, s->buf + s->emitted, st - s->emitted);
        if (rc != 0) {
            return rc;
        }
        if (ok) {
            int utf8_ok = !(L.result.flags & PPTAP_URLDEF_F_INVALID_UTF8) &&
                          pptap__utf8_valid((const unsigned char *)L.decoded, L.decoded_len);
            size_t w =
                escape_for(s, (const unsigned char *)L.decoded, L.decoded_len, ctx, qp, utf8_ok);
            rc = emit(s, s->esc, w);
        } else {
            rc = emit(s, s->buf + st, end - st);
        }
        if (rc != 0) {
            return rc;
        }
        s->emitted = end;
    }
    return 0;
}

/* Scans the window; stops when a link runs past its end (more input needed). */
static int process(pptap_scanner *s)
{
    while (!s->stopped) {
        size_t partial;
        size_t c = find_candidate(s->buf, s->scan, s->len, &partial);
        if (c >= s->len) {
            /* Resume where a match could still start once more text comes. */
            if (partial < s->len) {
                s->scan = partial;
            } else if (s->len > 9 && s->len - 9 > s->scan) {
                s->scan = s->len - 9;
            }
            if (s->finished) {
                s->scan = s->len;
            }
            break;
        }
        /* A link starts after the previous one ended. */
        size_t lo = s->emitted > s->last_end ? s->emitted : s->last_end;
        size_t st;
        int safelinks;
        if (!link_start(s->buf, lo, c, &st, &safelinks)) {
            s->scan = c + 1;
            continue;
        }
        pptap_scan_context ctx = context_of(s->buf, lo, st);
        size_t end;
        int qp = 0;
        int rc;
        if (safelinks) {
            rc = read_safelinks(s, st, s->len, ctx, &end);
        } else {
            int forced = (s->o.flags & (PPTAP_SCAN_QP | PPTAP_SCAN_NO_QP)) != 0;
            int qp0 =
                (s->o.flags & PPTAP_SCAN_QP) || (!forced && qp_evidence(s->buf, lo, st, s->len));
            rc = read_link(s, st, s->len, ctx, qp0, !forced, &qp, &end);
            if (rc == EXT_OK && qp && !forced && !decodable(s)) {
                /* The evidence misled (a literal "=3D" in 8-bit text, say):
                 * keep the plain reading when that one decodes. */
                int qp2;
                size_t end2;
                int rc2 = read_link(s, st, s->len, ctx, 0, 0, &qp2, &end2);
                if (rc2 == EXT_MORE) {
                    rc = EXT_MORE; /* decide when the rest of the link is here */
                } else if (end2 > c && decodable(s)) {
                    qp = 0;
                    end = end2;
                } else {
                    rc = read_link(s, st, s->len, ctx, 1, 0, &qp, &end);
                }
            }
        }
        if (rc == EXT_MORE) {
            s->scan = c;
            break;
        }
        if (end <= c) {
            s->scan = c + 1;
            continue;
        }
        rc = handle_link(s, st, end, ctx, qp, safelinks);
        if (rc != 0) {
            return rc;
        }
        s->scan = end;
        s->last_end = end;
    }
    if (s->stopped) {
        return PPTAP_ECANCELED;
    }
    /* Text well before the search point can no longer belong to a link. */
    if (s->o.flags & PPTAP_SCAN_REWRITE) {
        size_t safe = s->finished ? s->len : (s->scan > LOOKBACK ? s->scan - LOOKBACK : 0);
        if (safe > s->emitted) {
            int rc = emit(s, s->buf + s->emitted, safe - s->emitted);
            if (rc != 0) {
                return rc;
            }
            s->emitted = safe;
        }
    } else {
        size_t safe = s->scan > LOOKBACK ? s->scan - LOOKBACK : 0;
        if (safe > s->emitted) {
            s->emitted = safe;
        }
    }
    return 0;
}

static void compact(pptap_scanner *s)
{
    size_t keep = s->emitted;
    if (keep == 0) {
        return;
    }
    memmove(s->buf, s->buf + keep, s->len - keep);
    s->len -= keep;
    s->scan -= keep;
    s->last_end = s->last_end > keep ? s->last_end - keep : 0;
    s->emitted = 0;
    s->base += keep;
}

int pptap_scanner_new(pptap_scanner **out, const pptap_scan_opts *opts)
{
    *out = NULL;
    if (opts == NULL || ((opts->flags & PPTAP_SCAN_REWRITE) && opts->on_write == NULL) ||
        ((opts->flags & PPTAP_SCAN_QP) && (opts->flags & PPTAP_SCAN_NO_QP))) {
        return PPTAP_EINVAL;
    }
    pptap_scanner *s = pptap__calloc(1, sizeof(*s));
    if (s == NULL) {
        return PPTAP_ENOMEM;
    }
    s->o = *opts;
    s->cap = BLOCK + MAX_LINK + LOOKBACK + 64;
    s->buf = pptap__malloc(s->cap);
    s->norm = pptap__malloc(MAX_LINK + 16);
    s->dec_cap = PPTAP_URLDEF_DECODE_MAX(MAX_LINK + 16);
    s->dec[0] = pptap__malloc(s->dec_cap);
    s->dec[1] = pptap__malloc(s->dec_cap);
    s->esc_cap = 6 * s->dec_cap;
    s->esc = pptap__malloc(s->esc_cap);
    if (!s->buf || !s->norm || !s->dec[0] || !s->dec[1] || !s->esc) {
        pptap_scanner_free(s);
        return PPTAP_ENOMEM;
    }
    *out = s;
    return 0;
}

int pptap_scanner_feed(pptap_scanner *s, const char *data, size_t len)
{
    if (s->stopped) {
        return PPTAP_ECANCELED;
    }
    while (len > 0) {
        if (s->len == s->cap) {
            compact(s);
        }
        size_t room = s->cap - s->len;
        if (room == 0) {
            /* Cannot happen: the window keeps at most one link plus LOOKBACK. */
            return PPTAP_ENOMEM;
        }
        size_t take = len < room ? len : room;
        memcpy(s->buf + s->len, data, take);
        s->len += take;
        data += take;
        len -= take;
        int rc = process(s);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

int pptap_scanner_finish(pptap_scanner *s)
{
    if (s->stopped) {
        return PPTAP_ECANCELED;
    }
    s->finished = 1;
    return process(s);
}

void pptap_scanner_counts(const pptap_scanner *s, uint64_t *links, uint64_t *failed)
{
    if (links != NULL) {
        *links = s->links;
    }
    if (failed != NULL) {
        *failed = s->failed;
    }
}

void pptap_scanner_free(pptap_scanner *s)
{
    if (s == NULL) {
        return;
    }
    pptap__free(s->buf);
    pptap__free(s->norm);
    pptap__free(s->dec[0]);
    pptap__free(s->dec[1]);
    pptap__free(s->esc);
    pptap__free(s);
}
