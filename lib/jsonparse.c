/*
 * A JSON reader that builds jansson values (lib/jsonparse.h).
 *
 * json_loadb() reads its input a byte at a time through a stream callback
 * and copies every string byte by byte into a growing buffer; on TAP events
 * that is most of the normalizer's time. This reader works on the buffer
 * directly: strings without escapes are validated eight bytes at a time and
 * handed to jansson in one piece (json_stringn_nocheck, keys by length), so
 * that what remains is jansson's own allocation and hashing.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "jsonparse.h"

typedef struct {
    const unsigned char *start, *p, *end;
    int depth;
    int oom;
    const unsigned char *err_at;
    char *err;
    pptap_buf sb; /* a string with escapes, decoded */
} reader;

static json_t *fail(reader *r, const unsigned char *at, const char *what)
{
    if (r->err_at == NULL && !r->oom) {
        r->err_at = at;
        size_t ctx = 0;
        while (at + ctx < r->end && ctx < 16 && at[ctx] != '\n') {
            ctx++;
        }
        if (at < r->end) {
            snprintf(r->err, PPTAP__JSON_ERR_LEN, "%s near '%.*s'", what, (int)ctx,
                     (const char *)at);
        } else {
            snprintf(r->err, PPTAP__JSON_ERR_LEN, "%s at the end of the input", what);
        }
    }
    return NULL;
}

static json_t *oom(reader *r)
{
    r->oom = 1;
    return NULL;
}

static void skip_ws(reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t')) {
        r->p++;
    }
}

/* Whether none of the 8 bytes at s is '"', '\\', a control character or
 * non-ASCII. */
static inline int plain_word(const unsigned char *s)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t x;
    memcpy(&x, s, 8);
    uint64_t q = x ^ (ones * '"'), bs = x ^ (ones * '\\');
    uint64_t special = ((x - ones * 0x20) | (q - ones) | (bs - ones)) & ~x;
    return ((special | x) & high) == 0;
}

static int hex4(const unsigned char *s, unsigned *v)
{
    unsigned x = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = s[i];
        x <<= 4;
        if (c >= '0' && c <= '9') {
            x |= (unsigned)(c - '0');
        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
            x |= (unsigned)((c | 0x20) - 'a' + 10);
        } else {
            return -1;
        }
    }
    *v = x;
    return 0;
}

static int put_utf8(pptap_buf *b, unsigned long cp)
{
    unsigned char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (unsigned char)(0xC0 | cp >> 6);
        u[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (unsigned char)(0xE0 | cp >> 12);
        u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (unsigned char)(0xF0 | cp >> 18);
        u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        u[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return pptap_buf_put(b, u, n);
}

/* Reads a string whose opening quote is at r->p. On success its text is
 * s[0..*n) (in the input, or in r->sb when it had escapes) and r->p is past
 * the closing quote. Returns 0, or -1 (error set). */
static int read_string(reader *r, const unsigned char **s, size_t *n)
{
    const unsigned char *q = ++r->p, *end = r->end;
    for (;;) {
        while (q + 8 <= end && plain_word(q)) {
            q += 8;
        }
        if (q >= end) {
            fail(r, r->p - 1, "unterminated string");
            return -1;
        }
        unsigned char c = *q;
        if (c == '"') {
            *s = r->p;
            *n = (size_t)(q - r->p);
            r->p = q + 1;
            return 0;
        }
        if (c == '\\') {
            break;
        }
        if (c < 0x20) {
            fail(r, q, "control character in a string");
            return -1;
        }
        if (c >= 0x80) {
            size_t k = pptap__utf8_len(q, (size_t)(end - q));
            if (k == 0) {
                fail(r, q, "invalid UTF-8");
                return -1;
            }
            q += k;
        } else {
            q++;
        }
    }
    /* escapes: decode into sb */
    r->sb.len = 0;
    if (pptap_buf_put(&r->sb, r->p, (size_t)(q - r->p)) != 0) {
        r->oom = 1;
        return -1;
    }
    while (q < end) {
        unsigned char c = *q;
        const unsigned char *run = q;
        if (c == '"') {
            *s = (const unsigned char *)r->sb.ptr;
            *n = r->sb.len;
            r->p = q + 1;
            return 0;
        }
        if (c == '\\') {
            if (q + 1 >= end) {
                break;
            }
            unsigned char e = q[1];
            const char *lit = NULL;
            switch (e) {
            case '"':
                lit = "\"";
                break;
            case '\\':
                lit = "\\";
                break;
            case '/':
                lit = "/";
                break;
            case 'b':
                lit = "\b";
                break;
            case 'f':
                lit = "\f";
                break;
            case 'n':
                lit = "\n";
                break;
            case 'r':
                lit = "\r";
                break;
            case 't':
                lit = "\t";
                break;
            case 'u':
                break;
            default:
                fail(r, q, "invalid escape");
                return -1;
            }
            if (lit != NULL) {
                if (pptap_buf_put(&r->sb, lit, 1) != 0) {
                    r->oom = 1;
                    return -1;
                }
                q += 2;
                continue;
            }
            unsigned u, lo;
            if (q + 6 > end || hex4(q + 2, &u) != 0) {
                fail(r, q, "invalid \\u escape");
                return -1;
            }
            unsigned long cp = u;
            q += 6;
            if (u >= 0xD800 && u <= 0xDBFF) {
                if (q + 6 > end || q[0] != '\\' || q[1] != 'u' || hex4(q + 2, &lo) != 0 ||
                    lo < 0xDC00 || lo > 0xDFFF) {
                    fail(r, run, "invalid Unicode surrogate");
                    return -1;
                }
                cp = 0x10000 + ((unsigned long)(u - 0xD800) << 10) + (lo - 0xDC00);
                q += 6;
            } else if (u >= 0xDC00 && u <= 0xDFFF) {
                fail(r, run, "invalid Unicode surrogate");
                return -1;
            } else if (u == 0) {
                fail(r, run, "\\u0000 is not allowed");
                return -1;
            }
            if (put_utf8(&r->sb, cp) != 0) {
                r->oom = 1;
                return -1;
            }
            continue;
        }
        if (c < 0x20) {
            fail(r, q, "control character in a string");
            return -1;
        }
        if (c >= 0x80) {
            size_t k = pptap__utf8_len(q, (size_t)(end - q));
            if (k == 0) {
                fail(r, q, "invalid UTF-8");
                return -1;
            }
            q += k;
        } else {
            q++;
            while (q < end && *q >= 0x20 && *q < 0x80 && *q != '"' && *q != '\\') {
                q++;
            }
        }
        if (pptap_buf_put(&r->sb, run, (size_t)(q - run)) != 0) {
            r->oom = 1;
            return -1;
        }
    }
    fail(r, r->p - 1, "unterminated string");
    return -1;
}

static json_t *read_number(reader *r)
{
    const unsigned char *s = r->p, *q = s, *end = r->end;
    int neg = 0, real = 0;
    if (q < end && *q == '-') {
        neg = 1;
        q++;
    }
    if (q >= end || (unsigned)(*q - '0') >= 10u) {
        return fail(r, s, "invalid token");
    }
    if (*q == '0') {
        q++;
    } else {
        while (q < end && (unsigned)(*q - '0') < 10u) {
            q++;
        }
    }
    if (q < end && *q == '.') {
        real = 1;
        q++;
        const unsigned char *d = q;
        while (q < end && (unsigned)(*q - '0') < 10u) {
            q++;
        }
        if (q == d) {
            return fail(r, s, "invalid number");
        }
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        real = 1;
        q++;
        if (q < end && (*q == '+' || *q == '-')) {
            q++;
        }
        const unsigned char *d = q;
        while (q < end && (unsigned)(*q - '0') < 10u) {
            q++;
        }
        if (q == d) {
            return fail(r, s, "invalid number");
        }
    }
    if (q < end && (unsigned)(*q - '0') < 10u) {
        return fail(r, s, "invalid number"); /* a leading zero */
    }
    r->p = q;
    if (!real) {
        /* the magnitude in unsigned arithmetic, checked against the range of
         * json_int_t (long long) */
        unsigned long long v = 0, lim = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
        for (const unsigned char *d = s + neg; d < q; d++) {
            unsigned digit = (unsigned)(*d - '0');
            if (v > (lim - digit) / 10) {
                return fail(r, s, neg ? "too big negative integer" : "too big integer");
            }
            v = v * 10 + digit;
        }
        json_int_t i = neg ? (v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(json_int_t)v)
                           : (json_int_t)v;
        json_t *j = json_integer(i);
        return j != NULL ? j : oom(r);
    }
    char tmp[128];
    char *text = tmp;
    size_t len = (size_t)(q - s);
    if (len >= sizeof tmp) {
        text = pptap__strndup((const char *)s, len);
        if (text == NULL) {
            return oom(r);
        }
    } else {
        memcpy(tmp, s, len);
        tmp[len] = '\0';
    }
    errno = 0;
    double d = strtod(text, NULL);
    int overflow = errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL);
    if (text != tmp) {
        pptap__free(text);
    }
    if (overflow) {
        return fail(r, s, "real number overflow");
    }
    json_t *j = json_real(d);
    return j != NULL ? j : oom(r);
}

static json_t *read_value(reader *r);

static json_t *read_object(reader *r)
{
    const unsigned char *open = r->p++;
    json_t *o = json_object();
    if (o == NULL) {
        return oom(r);
    }
    skip_ws(r);
    if (r->p < r->end && *r->p == '}') {
        r->p++;
        return o;
    }
    for (;;) {
        skip_ws(r);
        if (r->p >= r->end || *r->p != '"') {
            json_decref(o);
            return fail(r, r->p, r->p >= r->end ? "unterminated object" : "expected a key");
        }
        const unsigned char *k;
        size_t kn;
        if (read_string(r, &k, &kn) != 0) {
            json_decref(o);
            return NULL;
        }
        char *kcopy = NULL;
        if (k == (const unsigned char *)r->sb.ptr) {
            /* decoded into sb, which the value may reuse */
            kcopy = pptap__strndup((const char *)k, kn);
            if (kcopy == NULL) {
                json_decref(o);
                return oom(r);
            }
            k = (const unsigned char *)kcopy;
        }
        skip_ws(r);
        if (r->p >= r->end || *r->p != ':') {
            pptap__free(kcopy);
            json_decref(o);
            return fail(r, r->p, "expected ':'");
        }
        r->p++;
        skip_ws(r);
        json_t *v = read_value(r);
        if (v == NULL || json_object_setn_new_nocheck(o, (const char *)k, kn, v) != 0) {
            pptap__free(kcopy);
            json_decref(o);
            return v == NULL ? NULL : oom(r);
        }
        pptap__free(kcopy);
        skip_ws(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == '}') {
            r->p++;
            return o;
        }
        json_decref(o);
        return fail(r, r->p < r->end ? r->p : open, "expected ',' or '}'");
    }
}

static json_t *read_array(reader *r)
{
    const unsigned char *open = r->p++;
    json_t *a = json_array();
    if (a == NULL) {
        return oom(r);
    }
    skip_ws(r);
    if (r->p < r->end && *r->p == ']') {
        r->p++;
        return a;
    }
    for (;;) {
        skip_ws(r);
        json_t *v = read_value(r);
        if (v == NULL || json_array_append_new(a, v) != 0) {
            json_decref(a);
            return v == NULL ? NULL : oom(r);
        }
        skip_ws(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == ']') {
            r->p++;
            return a;
        }
        json_decref(a);
        return fail(r, r->p < r->end ? r->p : open, "expected ',' or ']'");
    }
}

static json_t *literal(reader *r, const char *word, json_t *v)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0) {
        return fail(r, r->p, "invalid token");
    }
    r->p += n;
    return v;
}

static json_t *read_value(reader *r)
{
    if (r->p >= r->end) {
        return fail(r, r->p, "a value was expected");
    }
    switch (*r->p) {
    case '{':
    case '[': {
        if (++r->depth > JSON_PARSER_MAX_DEPTH) {
            return fail(r, r->p, "maximum parsing depth reached");
        }
        json_t *v = *r->p == '{' ? read_object(r) : read_array(r);
        r->depth--;
        return v;
    }
    case '"': {
        const unsigned char *s;
        size_t n;
        if (read_string(r, &s, &n) != 0) {
            return NULL;
        }
        json_t *v = json_stringn_nocheck((const char *)s, n);
        return v != NULL ? v : oom(r);
    }
    case 't':
        return literal(r, "true", json_true());
    case 'f':
        return literal(r, "false", json_false());
    case 'n':
        return literal(r, "null", json_null());
    default:
        return read_number(r);
    }
}

int pptap__json_parse(json_t **out, const char *s, size_t n, char err[PPTAP__JSON_ERR_LEN],
                      size_t *line)
{
    reader r;
    memset(&r, 0, sizeof r);
    r.start = r.p = (const unsigned char *)s;
    r.end = r.start + n;
    r.err = err;
    err[0] = '\0';
    *line = 0;
    skip_ws(&r);
    json_t *v = NULL;
    if (r.p < r.end && (*r.p == '{' || *r.p == '[')) {
        v = read_value(&r);
    } else {
        fail(&r, r.p, "'[' or '{' expected");
    }
    if (v != NULL) {
        skip_ws(&r);
        if (r.p < r.end) {
            json_decref(v);
            v = fail(&r, r.p, "end of input expected");
        }
    }
    pptap_buf_dispose(&r.sb);
    if (v != NULL) {
        *out = v;
        return 0;
    }
    if (r.oom) {
        return PPTAP_ENOMEM;
    }
    *line = 1;
    for (const unsigned char *c = r.start; c < r.err_at && c < r.end; c++) {
        *line += *c == '\n';
    }
    return PPTAP_EPROTO;
}
