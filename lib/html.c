/*
 * HTML5 character references as the HTML tokenizer decodes them inside an
 * attribute value, and UTF-8 validation.
 */
#include <string.h>

#include "ascii.h"
#include "internal.h"

typedef struct {
    const char *name; /* without the '&'; ends with ';' when the name does */
    unsigned char name_len;
    const char *value; /* UTF-8 */
    unsigned char value_len;
} entity;

#include "entities.inc"

static const entity entities[] = {ENTITY_TABLE};
static const entity legacy[] = {LEGACY_TABLE};

/* For each first letter, the range of entities[] whose names start with it. */
static const struct {
    unsigned short start, end;
} first_index[128] = {ENTITY_INDEX}, legacy_index[128] = {LEGACY_INDEX};

/* The longest legacy name (no ';') that is a prefix of name[0..len), or NULL. */
static const entity *lookup_legacy(const char *name, size_t len)
{
    unsigned char f = (unsigned char)name[0];
    const entity *best = NULL;
    if (f >= 128) {
        return NULL;
    }
    for (size_t i = legacy_index[f].start; i < legacy_index[f].end; i++) {
        const entity *e = &legacy[i];
        if (e->name_len <= len && (best == NULL || e->name_len > best->name_len) &&
            memcmp(name, e->name, e->name_len) == 0) {
            best = e;
        }
    }
    return best;
}

/* Windows-1252 mapping of numeric references 0x80..0x9F (0 = keep the value). */
static const unsigned short cp1252[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
};

static const entity *lookup(const char *name, size_t len)
{
    unsigned char f = (unsigned char)name[0];
    if (f >= 128 || len == 0) {
        return NULL;
    }
    size_t lo = first_index[f].start, hi = first_index[f].end;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const entity *e = &entities[mid];
        size_t m = len < e->name_len ? len : e->name_len;
        int c = 0;
        for (size_t i = 1; i < m && c == 0; i++) {
            c = (int)(unsigned char)name[i] - (int)(unsigned char)e->name[i];
        }
        if (c == 0) {
            c = (len > e->name_len) - (len < e->name_len);
        }
        if (c == 0) {
            return e;
        }
        if (c < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return NULL;
}

static size_t utf8_put(unsigned char *o, unsigned long cp)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t pptap__html_numeric_utf8(unsigned char *out, unsigned long cp)
{
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        cp = 0xFFFD;
    } else if (cp >= 0x80 && cp <= 0x9F && cp1252[cp - 0x80] != 0) {
        cp = cp1252[cp - 0x80];
    }
    return utf8_put(out, cp);
}

/*
 * Matches a character reference at s[0] == '&'. Returns the number of input
 * bytes it covers (0: the '&' is literal) and writes its UTF-8 value to val
 * (at most 6 bytes), with its length in *vlen.
 */
static size_t match_ref(const unsigned char *s, size_t n, unsigned char *val, size_t *vlen)
{
    if (n < 2) {
        return 0;
    }
    if (s[1] == '#') {
        size_t i = 2;
        int hex = 0;
        if (i < n && (s[i] | 0x20) == 'x') {
            hex = 1;
            i++;
        }
        size_t d0 = i;
        unsigned long cp = 0;
        while (i < n) {
            int v = hex ? ascii_hexval(s[i]) : ((unsigned)(s[i] - '0') < 10u ? s[i] - '0' : -1);
            if (v < 0) {
                break;
            }
            cp = cp * (hex ? 16 : 10) + (unsigned long)v;
            if (cp > 0x10FFFF) {
                cp = 0x110000; /* saturate: the result is U+FFFD either way */
            }
            i++;
        }
        if (i == d0) {
            return 0;
        }
        if (i < n && s[i] == ';') {
            i++;
        }
        *vlen = pptap__html_numeric_utf8(val, cp);
        return i;
    }
    size_t k = 0;
    while (1 + k < n && k < 32 && ascii_isalnum(s[1 + k])) {
        k++;
    }
    if (k == 0) {
        return 0;
    }
    const entity *e = NULL;
    if (1 + k < n && s[1 + k] == ';') {
        e = lookup((const char *)s + 1, k + 1);
        if (e != NULL) {
            memcpy(val, e->value, e->value_len);
            *vlen = e->value_len;
            return k + 2;
        }
    }
    /* Legacy names without ';' (at most 6 letters). */
    e = lookup_legacy((const char *)s + 1, k);
    if (e != NULL) {
        size_t l = e->name_len;
        /* In an attribute value, "&name" followed by '=' or an alphanumeric
         * stays as it is (so "&region=" is not "®ion="). */
        if (1 + l < n && (s[1 + l] == '=' || ascii_isalnum(s[1 + l]))) {
            return 0;
        }
        memcpy(val, e->value, e->value_len);
        *vlen = e->value_len;
        return l + 1;
    }
    return 0;
}

size_t pptap__html_match(const unsigned char *s, size_t n, unsigned char *val, size_t *vlen)
{
    return match_ref(s, n, val, vlen);
}

size_t pptap__html_ref_len(const char *s, size_t n)
{
    unsigned char val[8];
    size_t vlen;
    return match_ref((const unsigned char *)s, n, val, &vlen);
}

/* Bytes that the references in s[0..n) add when decoded (only "&nGt;" and
 * "&nLt;" are longer decoded than encoded, by one byte). */
static size_t growth(const unsigned char *s, size_t n)
{
    unsigned char val[8];
    size_t vlen, grow = 0;
    const unsigned char *p = s, *end = s + n;
    while ((p = memchr(p, '&', (size_t)(end - p))) != NULL) {
        size_t r = match_ref(p, (size_t)(end - p), val, &vlen);
        if (r == 0) {
            p++;
            continue;
        }
        if (vlen > r) {
            grow += vlen - r;
        }
        p += r;
    }
    return grow;
}

int pptap__html_unescape(char *buf, size_t *len, size_t cap)
{
    unsigned char *b = (unsigned char *)buf;
    size_t n = *len;
    unsigned char val[8];
    size_t vlen;
    size_t rd = 0, w = 0; /* the writer never passes the reader */
    while (rd < n) {
        unsigned char *amp = memchr(b + rd, '&', n - rd);
        size_t stop = amp ? (size_t)(amp - b) : n;
        if (w != rd) {
            memmove(b + w, b + rd, stop - rd);
        }
        w += stop - rd;
        rd = stop;
        if (amp == NULL) {
            break;
        }
        size_t r = match_ref(b + rd, n - rd, val, &vlen);
        if (r == 0) {
            b[w++] = '&';
            rd++;
            continue;
        }
        if (w + vlen > rd + r) {
            /* A growing reference without enough slack: move the rest right
             * by the growth still to come (rare; those two names only). */
            size_t shift = growth(b + rd, n - rd) - (rd - w);
            if (n + shift > cap) {
                *len = n + shift;
                return PPTAP_EBUFS;
            }
            memmove(b + rd + shift, b + rd, n - rd);
            rd += shift;
            n += shift;
        }
        memcpy(b + w, val, vlen);
        w += vlen;
        rd += r;
    }
    *len = w;
    return 0;
}

int pptap__utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            /* Skip ASCII eight bytes at a time. */
            uint64_t word;
            while (i + 8 <= n && (memcpy(&word, s + i, 8), (word & 0x8080808080808080ull) == 0)) {
                i += 8;
            }
            while (i < n && s[i] < 0x80) {
                i++;
            }
            continue;
        }
        size_t k = pptap__utf8_len(s + i, n - i);
        if (k == 0) {
            return 0;
        }
        i += k;
    }
    return 1;
}
