/*
 * URL pieces as Elasticsearch computes them (lib/uriparts.h).
 *
 * Elastic's proofpoint_tap pipeline gives a click's URL to `uri_parts`,
 * which asks java.net.URI first and java.net.URL when URI refuses the text,
 * and to `urldecode` for url.full. This file follows those classes' rules
 * closely enough that the ECS documents pptap writes carry the same url.*
 * values for the URLs TAP reports: the grammar of RFC 2396 with Java's
 * deviations (IPv6 literals, empty paths and authorities, non-ASCII visible
 * characters allowed as "other"), server-based authorities when the host is
 * a valid host name or address and registry-based ones (no host) otherwise,
 * and URL's looser split when URI fails.
 */
#include <arpa/inet.h>
#include <string.h>

#include "ascii.h"
#include "uriparts.h"

/* Character classes of java.net.URI.Parser, for ASCII bytes. */
enum {
    K_ALPHA = 1u << 0,
    K_DIGIT = 1u << 1,
    K_MARK = 1u << 2,    /* - _ . ! ~ * ' ( ) */
    K_RESV = 1u << 3,    /* ; / ? : @ & = + $ , [ ] */
    K_PATHX = 1u << 4,   /* : @ & = + $ , ; / */
    K_UINFOX = 1u << 5,  /* ; : & = + $ , */
    K_REGX = 1u << 6,    /* $ , ; : @ & = + */
    K_SRVX = 1u << 7,    /* . : @ [ ] - */
    K_SCHX = 1u << 8,    /* + - . */
    K_DASH = 1u << 9,    /* - */
    K_SCOPEX = 1u << 10, /* _ . */
    K_PCT = 1u << 11     /* % taken literally (an IPv6 scope) */
};

#define K_ALNUM (K_ALPHA | K_DIGIT)
#define K_UNRESERVED (K_ALNUM | K_MARK)
#define K_URIC (K_UNRESERVED | K_RESV)
#define K_PATH (K_UNRESERVED | K_PATHX)
#define K_USERINFO (K_UNRESERVED | K_UINFOX)
#define K_REGNAME (K_UNRESERVED | K_REGX)
#define K_SERVER (K_USERINFO | K_SRVX)
#define K_SCHEME (K_ALNUM | K_SCHX)
#define K_SCOPE (K_ALNUM | K_SCOPEX)
#define K_SERVER_PERCENT (K_SERVER | K_PCT)

static unsigned char_class(unsigned char c)
{
    if ((unsigned)((c | 0x20) - 'a') < 26u) {
        return K_ALPHA;
    }
    if ((unsigned)(c - '0') < 10u) {
        return K_DIGIT;
    }
    switch (c) {
    case '-':
        return K_MARK | K_SRVX | K_SCHX | K_DASH;
    case '.':
        return K_MARK | K_SRVX | K_SCHX | K_SCOPEX;
    case '_':
        return K_MARK | K_SCOPEX;
    case '!':
    case '~':
    case '*':
    case '\'':
    case '(':
    case ')':
        return K_MARK;
    case ';':
    case '&':
    case '=':
    case '$':
    case ',':
        return K_RESV | K_PATHX | K_UINFOX | K_REGX;
    case '+':
        return K_RESV | K_PATHX | K_UINFOX | K_REGX | K_SCHX;
    case ':':
        return K_RESV | K_PATHX | K_UINFOX | K_REGX | K_SRVX;
    case '@':
        return K_RESV | K_PATHX | K_REGX | K_SRVX;
    case '/':
        return K_RESV | K_PATHX;
    case '?':
        return K_RESV;
    case '[':
    case ']':
        return K_RESV | K_SRVX;
    case '%':
        return K_PCT;
    default:
        return 0;
    }
}

/* Length of the UTF-8 sequence at s (1 for an invalid byte) and its code
 * point in *cp (0xFFFD when invalid). */
static size_t utf8_next(const unsigned char *s, size_t n, unsigned long *cp)
{
    unsigned char c = s[0];
    size_t need;
    unsigned long v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        v = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        v = c & 0x07;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    if (n <= need) {
        *cp = 0xFFFD;
        return 1;
    }
    for (size_t k = 1; k <= need; k++) {
        if ((s[k] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        v = (v << 6) | (s[k] & 0x3F);
    }
    if ((need == 2 && (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))) ||
        (need == 3 && (v < 0x10000 || v > 0x10FFFF))) {
        *cp = 0xFFFD;
        return 1;
    }
    *cp = v;
    return need + 1;
}

/* java.net.URI admits a non-ASCII character anywhere escapes may stand when
 * it is neither a space separator (Zs, Zl, Zp) nor an ISO control. */
static int other_ok(unsigned long cp)
{
    if (cp <= 0xA0) {
        return 0;
    }
    return cp != 0x1680 && !(cp >= 0x2000 && cp <= 0x200A) && cp != 0x2028 && cp != 0x2029 &&
           cp != 0x202F && cp != 0x205F && cp != 0x3000;
}

/* Scans s[p..n) while bytes are in `mask` (and escapes or "other"
 * characters when `esc`). Returns the stop index, or -1 for a '%' without
 * two hex digits (java.net.URI fails there). */
static long scan_mask(const unsigned char *s, size_t p, size_t n, unsigned mask, int esc)
{
    while (p < n) {
        unsigned char c = s[p];
        if (c < 0x80 && (char_class(c) & mask) != 0) {
            p++;
            continue;
        }
        if (!esc) {
            break;
        }
        if (c == '%') {
            if (p + 3 <= n && ascii_hexval(s[p + 1]) >= 0 && ascii_hexval(s[p + 2]) >= 0) {
                p += 3;
                continue;
            }
            return -1;
        }
        if (c >= 0x80) {
            unsigned long cp;
            size_t k = utf8_next(s + p, n - p, &cp);
            if (other_ok(cp)) {
                p += k;
                continue;
            }
        }
        break;
    }
    return (long)p;
}

/* 1 when every byte of s[p..q) is in the class (escapes allowed when esc);
 * -1 on a malformed escape. */
static int check_chars(const unsigned char *s, size_t p, size_t q, unsigned mask, int esc)
{
    long r = scan_mask(s, p, q, mask, esc);
    if (r < 0) {
        return -1;
    }
    return (size_t)r == q;
}

/* Index of the first byte of s[p..n) in `stop`, or n. */
static size_t scan_stop(const unsigned char *s, size_t p, size_t n, const char *stop)
{
    while (p < n && (s[p] == '\0' || strchr(stop, s[p]) == NULL)) {
        p++;
    }
    return p;
}

/* ---------------------------------------------------------------------- */
/* java.net.URI                                                           */

typedef struct {
    const unsigned char *s;
    size_t n;
    int has_scheme, has_path, has_query, has_fragment, has_userinfo, has_host;
    size_t scheme_e;       /* scheme = s[0..scheme_e) */
    size_t path_b, path_e; /* raw pieces */
    size_t query_b, query_e;
    size_t frag_b;
    size_t ui_b, ui_e;
    size_t host_b, host_e;
    long port;
} jparse;

/* A decimal byte at s[p..e) (any number of digits, value at most 255), as
 * URI.scanByte: returns its end, or p. */
static size_t scan_byte(const unsigned char *s, size_t p, size_t e)
{
    size_t q = p;
    unsigned v = 0;
    while (q < e && (unsigned)(s[q] - '0') < 10u) {
        v = v > 1000 ? v : v * 10 + (unsigned)(s[q] - '0');
        q++;
    }
    return q > p && v <= 255 ? q : p;
}

/* parseIPv4Address: the end of an IPv4 address at s[p..n) that is followed
 * by nothing or ':', else 0. The run of digits and dots must be exactly
 * the four bytes. */
static size_t parse_ipv4(const unsigned char *s, size_t p, size_t n)
{
    size_t e = p;
    while (e < n && ((unsigned)(s[e] - '0') < 10u || s[e] == '.')) {
        e++;
    }
    if (e <= p) {
        return 0;
    }
    size_t q = p;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (q >= e || s[q] != '.') {
                return 0;
            }
            q++;
        }
        size_t r = scan_byte(s, q, e);
        if (r <= q) {
            return 0;
        }
        q = r;
    }
    if (q != e || (q < n && s[q] != ':')) {
        return 0;
    }
    return q;
}

/* parseHostname: returns the end of a host name at s[p..n) followed by
 * nothing or ':', or 0 when the text is not one. */
static size_t parse_hostname(const unsigned char *s, size_t p, size_t n)
{
    size_t start = p;
    long last = -1;
    do {
        long q = scan_mask(s, p, n, K_ALNUM, 0);
        if ((size_t)q <= p) {
            break;
        }
        last = (long)p;
        p = (size_t)q;
        q = scan_mask(s, p, n, K_ALNUM | K_DASH, 0);
        if ((size_t)q > p) {
            if (s[q - 1] == '-') {
                return 0;
            }
            p = (size_t)q;
        }
        if (p < n && s[p] == '.') {
            p++;
        } else {
            break;
        }
    } while (p < n);
    if (p < n && s[p] != ':') {
        return 0;
    }
    if (last < 0) {
        return 0;
    }
    /* the rightmost label of a dotted name starts with a letter */
    if ((size_t)last > start && (char_class(s[last]) & K_ALPHA) == 0) {
        return 0;
    }
    return p;
}

static int ipv6_ok(const unsigned char *s, size_t b, size_t e)
{
    char tmp[64];
    unsigned char addr[16];
    if (e - b == 0 || e - b >= sizeof tmp || memchr(s + b, '\0', e - b) != NULL) {
        return 0;
    }
    memcpy(tmp, s + b, e - b);
    tmp[e - b] = '\0';
    return inet_pton(AF_INET6, tmp, addr) == 1;
}

/* parseServer over s[p..n): 1 on success (userinfo, host, port set), 0 when
 * the authority is not server-based, -1 on a malformed escape. */
static int parse_server(jparse *j, size_t p, size_t n)
{
    const unsigned char *s = j->s;
    size_t q = scan_stop(s, p, n, "@");
    if (q < n) {
        int ok = check_chars(s, p, q, K_USERINFO, 1);
        if (ok <= 0) {
            return ok;
        }
        j->has_userinfo = 1;
        j->ui_b = p;
        j->ui_e = q;
        p = q + 1;
    }
    if (p < n && s[p] == '[') {
        p++;
        q = scan_stop(s, p, n, "]");
        if (q <= p || q >= n) {
            return 0;
        }
        size_t r = scan_stop(s, p, q, "%");
        if (r > p && r < q) {
            if (!ipv6_ok(s, p, r) || r + 1 == q) {
                return 0;
            }
            int ok = check_chars(s, r + 1, q, K_SCOPE, 0);
            if (ok <= 0) {
                return ok;
            }
        } else if (!ipv6_ok(s, p, q)) {
            return 0;
        }
        j->host_b = p - 1;
        j->host_e = q + 1;
        p = q + 1;
    } else {
        q = parse_ipv4(s, p, n);
        if (q <= p) {
            q = parse_hostname(s, p, n);
        }
        if (q <= p) {
            return 0;
        }
        j->host_b = p;
        j->host_e = q;
        p = q;
    }
    j->has_host = 1;
    if (p < n && s[p] == ':') {
        p++;
        q = scan_stop(s, p, n, "/");
        if (q > p) {
            long port = 0;
            for (size_t k = p; k < q; k++) {
                if ((unsigned)(s[k] - '0') >= 10u) {
                    return 0;
                }
                port = port * 10 + (s[k] - '0');
                if (port > 2147483647L) {
                    return 0;
                }
            }
            j->port = port;
            p = q;
        }
    }
    return p < n ? 0 : 1;
}

/* parseAuthority over s[p..n). Returns 0, or -1 when URI refuses it. */
static int parse_authority(jparse *j, size_t p, size_t n)
{
    const unsigned char *s = j->s;
    int server_chars =
        check_chars(s, p, n, scan_stop(s, p, n, "]") < n ? K_SERVER_PERCENT : K_SERVER, 1);
    if (server_chars < 0) {
        return -1;
    }
    int reg_chars = check_chars(s, p, n, K_REGNAME, 1);
    if (reg_chars < 0) {
        return -1;
    }
    if (reg_chars && !server_chars) {
        return 0; /* registry-based: no host */
    }
    if (server_chars) {
        int rc = parse_server(j, p, n);
        if (rc < 0) {
            return -1;
        }
        if (rc == 1) {
            return 0;
        }
        j->has_userinfo = 0;
        j->has_host = 0;
        j->port = -1;
    }
    return reg_chars ? 0 : -1;
}

static int parse_hierarchical(jparse *j, size_t p, size_t *endp)
{
    const unsigned char *s = j->s;
    size_t n = j->n;
    if (p + 1 < n && s[p] == '/' && s[p + 1] == '/') {
        p += 2;
        size_t q = scan_stop(s, p, n, "/?#");
        if (q > p) {
            if (parse_authority(j, p, q) != 0) {
                return -1;
            }
            p = q;
        } else if (q >= n) {
            return -1; /* "//" and nothing else: an authority was expected */
        }
    }
    size_t q = scan_stop(s, p, n, "?#");
    if (check_chars(s, p, q, K_PATH, 1) != 1) {
        return -1;
    }
    j->has_path = 1;
    j->path_b = p;
    j->path_e = q;
    p = q;
    if (p < n && s[p] == '?') {
        p++;
        q = scan_stop(s, p, n, "#");
        if (check_chars(s, p, q, K_URIC, 1) != 1) {
            return -1;
        }
        j->has_query = 1;
        j->query_b = p;
        j->query_e = q;
        p = q;
    }
    *endp = p;
    return 0;
}

/* new URI(s): 0 or -1 (URISyntaxException). */
static int java_uri(jparse *j)
{
    const unsigned char *s = j->s;
    size_t n = j->n;
    size_t p = 0;
    j->port = -1;
    /* a scheme: text before ':' with none of "/?#" before it */
    size_t c = 0;
    while (c < n && s[c] != ':' && s[c] != '/' && s[c] != '?' && s[c] != '#') {
        c++;
    }
    if (c < n && s[c] == ':') {
        if (c == 0 || (char_class(s[0]) & K_ALPHA) == 0 || check_chars(s, 1, c, K_SCHEME, 0) != 1) {
            return -1;
        }
        j->has_scheme = 1;
        j->scheme_e = c;
        p = c + 1;
        if (p < n && s[p] == '/') {
            if (parse_hierarchical(j, p, &p) != 0) {
                return -1;
            }
        } else {
            /* opaque: no path, query or host */
            size_t q = scan_stop(s, p, n, "#");
            if (q <= p || check_chars(s, p, q, K_URIC, 1) != 1) {
                return -1;
            }
            p = q;
        }
    } else if (parse_hierarchical(j, 0, &p) != 0) {
        return -1;
    }
    if (p < n && s[p] == '#') {
        if (check_chars(s, p + 1, n, K_URIC, 1) != 1) {
            return -1;
        }
        j->has_fragment = 1;
        j->frag_b = p + 1;
        p = n;
    }
    return p == n ? 0 : -1;
}

/* Writes b[0..n) into dst with every maximal ill-formed UTF-8 subpart
 * replaced by U+FFFD (Unicode's recommendation, which Java's decoder
 * follows); dst needs 3n bytes. When `more` (the bytes go on), a sequence
 * cut by the end is left out and its length put in *left. Returns the
 * length written. */
static size_t utf8_repair_into(char *dst, const unsigned char *b, size_t n, int more, size_t *left)
{
    size_t o = 0, i = 0;
    *left = 0;
    while (i < n) {
        unsigned char c = b[i];
        if (c < 0x80) {
            dst[o++] = (char)c;
            i++;
            continue;
        }
        size_t need = 0;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            lo = c == 0xE0 ? 0xA0 : 0x80;
            hi = c == 0xED ? 0x9F : 0xBF;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            lo = c == 0xF0 ? 0x90 : 0x80;
            hi = c == 0xF4 ? 0x8F : 0xBF;
        }
        size_t k = 1;
        if (need > 0 && i + 1 < n && b[i + 1] >= lo && b[i + 1] <= hi) {
            k = 2;
            while (k <= need && i + k < n && (b[i + k] & 0xC0) == 0x80) {
                k++;
            }
        }
        if (need > 0 && k <= need && i + k == n && more) {
            *left = k; /* a sequence the next bytes may complete */
            break;
        }
        if (need > 0 && k == need + 1) {
            memcpy(dst + o, b + i, k);
            o += k;
        } else {
            memcpy(dst + o, "\xEF\xBF\xBD", 3);
            o += 3;
        }
        i += k;
    }
    return o;
}

/* Decodes the run of %XX escapes at s[*i..n) (each followed by two hex
 * digits, which the caller checked) as UTF-8 into dst, which needs three
 * bytes per escape. Advances *i past the run. Returns the length written. */
static size_t decode_run(char *dst, const unsigned char *s, size_t n, size_t *i)
{
    unsigned char raw[256];
    size_t r = 0, o = 0, left;
    for (;;) {
        int more = *i + 3 <= n && s[*i] == '%';
        if (more && r < sizeof raw) {
            raw[r++] = (unsigned char)(ascii_hexval(s[*i + 1]) << 4 | ascii_hexval(s[*i + 2]));
            *i += 3;
            continue;
        }
        o += utf8_repair_into(dst + o, raw, r, more, &left);
        if (!more) {
            return o;
        }
        memmove(raw, raw + r - left, left);
        r = left;
    }
}

/* URI.decode(): the escapes of s[0..n), already checked by the parser, as
 * UTF-8 into dst (n bytes suffice). */
static size_t uri_decode_into(char *dst, const unsigned char *s, size_t n)
{
    size_t o = 0, i = 0;
    while (i < n) {
        if (s[i] != '%') {
            dst[o++] = (char)s[i++];
            continue;
        }
        o += decode_run(dst + o, s, n, &i);
    }
    return o;
}

static pptap__piece piece(const char *p, size_t n)
{
    pptap__piece x = {p, n};
    return x;
}

/* The decoded piece s[b..e) (copied to *scratch only when it has an escape). */
static pptap__piece decoded(const unsigned char *s, size_t b, size_t e, char **scratch)
{
    if (memchr(s + b, '%', e - b) == NULL) {
        return piece((const char *)s + b, e - b);
    }
    size_t k = uri_decode_into(*scratch, s + b, e - b);
    pptap__piece x = piece(*scratch, k);
    *scratch += k;
    return x;
}

/* ---------------------------------------------------------------------- */
/* java.net.URL                                                           */

static int known_protocol(const unsigned char *s, size_t n)
{
    static const char *const protocols[] = {"http", "https", "ftp", "file", "jar", "mailto", "jrt"};
    for (size_t i = 0; i < sizeof protocols / sizeof protocols[0]; i++) {
        if (strlen(protocols[i]) == n && ascii_ieq(s, protocols[i], n)) {
            return 1;
        }
    }
    return 0;
}

static size_t find_byte(const unsigned char *s, size_t from, size_t to, unsigned char c)
{
    const unsigned char *q = from < to ? memchr(s + from, c, to - from) : NULL;
    return q != NULL ? (size_t)(q - s) : to;
}

static int parse_port_text(const unsigned char *s, size_t b, size_t e, long *port)
{
    /* Integer.parseInt: an optional sign, then decimal digits */
    size_t k = b;
    int neg = 0;
    if (k < e && (s[k] == '+' || s[k] == '-')) {
        neg = s[k] == '-';
        k++;
    }
    if (k == e) {
        return -1;
    }
    long v = 0;
    for (; k < e; k++) {
        if ((unsigned)(s[k] - '0') >= 10u) {
            return -1;
        }
        v = v * 10 + (s[k] - '0');
        if (v > 2147483648L) {
            return -1;
        }
    }
    v = neg ? -v : v;
    if (v > 2147483647L || v < -1) {
        return -1; /* out of range, or "Invalid port number" */
    }
    *port = v;
    return 0;
}

/* new URL(spec) for the pieces uri_parts reads. 0 or -1 (malformed). */
static int java_url(pptap__uri_parts *out, const unsigned char *s, size_t n)
{
    size_t start = 0, limit = n;
    while (limit > 0 && s[limit - 1] <= ' ') {
        limit--;
    }
    while (start < limit && s[start] <= ' ') {
        start++;
    }
    if (limit - start >= 4 && ascii_ieq(s + start, "url:", 4)) {
        start += 4;
    }
    size_t proto_b = start, proto_e = 0;
    if (start < limit && s[start] != '#') {
        for (size_t i = start; i < limit && s[i] != '/'; i++) {
            if (s[i] == ':') {
                int valid = (char_class(s[start]) & K_ALPHA) != 0;
                for (size_t k = start + 1; k < i && valid; k++) {
                    valid = (char_class(s[k]) & (K_ALNUM | K_SCHX)) != 0;
                }
                if (valid && i > start) {
                    proto_e = i;
                    start = i + 1;
                }
                break;
            }
        }
    }
    if (proto_e == 0 || !known_protocol(s + proto_b, proto_e - proto_b)) {
        return -1; /* no protocol, or one Java has no handler for */
    }
    out->scheme = piece((const char *)s + proto_b, proto_e - proto_b);
    size_t hash = find_byte(s, start, limit, '#');
    if (hash < limit) {
        out->fragment = piece((const char *)s + hash + 1, limit - hash - 1);
        limit = hash;
    }
    /* URLStreamHandler.parseURL: the query starts at the first '?' of the
     * whole text */
    size_t qm = find_byte(s, 0, n, '?');
    if (start < limit && qm < limit) {
        out->query = piece((const char *)s + qm + 1, limit - qm - 1);
        limit = qm;
    }
    int unc = start + 4 <= limit && s[start] == '/' && s[start + 1] == '/' && s[start + 2] == '/' &&
              s[start + 3] == '/';
    if (!unc && start + 2 <= limit && s[start] == '/' && s[start + 1] == '/') {
        start += 2;
        size_t i = find_byte(s, start, limit, '/');
        size_t ab = start, ae = i;
        size_t hb = ab, he = ae;
        size_t at = find_byte(s, ab, ae, '@');
        int host_known = 1;
        if (at < ae) {
            size_t at2 = at + 1 < ae ? find_byte(s, at + 1, ae, '@') : ae;
            if (at2 < ae) {
                host_known = 0; /* several '@': not server-based */
            } else {
                out->user_info = piece((const char *)s + ab, at - ab);
                hb = at + 1;
            }
        }
        if (host_known && he > hb && s[hb] == '[') {
            size_t rb = find_byte(s, hb, he, ']');
            if (rb >= he || rb <= hb + 2 || !ipv6_ok(s, hb + 1, rb)) {
                return -1;
            }
            if (rb + 1 < he) {
                if (s[rb + 1] != ':') {
                    return -1;
                }
                if (rb + 2 < he && parse_port_text(s, rb + 2, he, &out->port) != 0) {
                    return -1;
                }
            }
            he = rb + 1;
        } else if (host_known) {
            size_t colon = find_byte(s, hb, he, ':');
            if (colon < he) {
                if (colon + 1 < he && parse_port_text(s, colon + 1, he, &out->port) != 0) {
                    return -1;
                }
                he = colon;
            }
        }
        if (host_known) {
            for (size_t k = hb; k < he; k++) {
                if (s[k] <= ' ' || s[k] == '\\' || s[k] == 0x7F) {
                    return -1; /* IPAddressUtil refuses such a host */
                }
            }
            out->domain = piece((const char *)s + hb, he - hb);
        }
        start = i;
    }
    /* after an authority the path starts at its '/' (the authority ends
     * there or at the query); without one it is the rest as written */
    if (start < limit) {
        out->path = piece((const char *)s + start, limit - start);
    }
    return 0;
}

/* The extension: what follows the last '.' of the last path segment. */
static void set_extension(pptap__uri_parts *out)
{
    const char *p = out->path.p;
    size_t n = out->path.n;
    if (p == NULL) {
        return;
    }
    size_t slash = n;
    while (slash > 0 && p[slash - 1] != '/') {
        slash--;
    }
    if (slash == 0) {
        return; /* no '/' in the path */
    }
    for (size_t k = n; k > slash; k--) {
        if (p[k - 1] == '.') {
            out->extension = piece(p + k, n - k);
            return;
        }
    }
}

static void set_user(pptap__uri_parts *out)
{
    const char *u = out->user_info.p;
    if (u == NULL) {
        return;
    }
    const char *c = memchr(u, ':', out->user_info.n);
    if (c != NULL) {
        out->username = piece(u, (size_t)(c - u));
        out->password = piece(c + 1, out->user_info.n - (size_t)(c - u) - 1);
    }
}

int pptap__uri_parts_parse(pptap__uri_parts *out, const char *str, size_t n, char *scratch)
{
    const unsigned char *s = (const unsigned char *)str;
    memset(out, 0, sizeof *out);
    out->port = -1;
    jparse j;
    memset(&j, 0, sizeof j);
    j.s = s;
    j.n = n;
    if (java_uri(&j) == 0) {
        if (j.has_scheme) {
            out->scheme = piece(str, j.scheme_e);
        }
        if (j.has_host) {
            out->domain = piece(str + j.host_b, j.host_e - j.host_b);
        }
        out->port = j.port;
        if (j.has_userinfo) {
            out->user_info = decoded(s, j.ui_b, j.ui_e, &scratch);
        }
        if (j.has_path) {
            out->path = decoded(s, j.path_b, j.path_e, &scratch);
        }
        if (j.has_query) {
            out->query = decoded(s, j.query_b, j.query_e, &scratch);
        }
        if (j.has_fragment) {
            out->fragment = decoded(s, j.frag_b, n, &scratch);
        }
    } else {
        memset(out, 0, sizeof *out);
        out->port = -1;
        if (java_url(out, s, n) != 0) {
            memset(out, 0, sizeof *out);
            out->port = -1;
            return PPTAP_EINVAL;
        }
    }
    set_extension(out);
    set_user(out);
    return 0;
}

int pptap__url_decode_form(pptap_buf *out, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' &&
            (i + 3 > n || ascii_hexval(s[i + 1]) < 0 || ascii_hexval(s[i + 2]) < 0)) {
            return PPTAP_EINVAL; /* URLDecoder throws: nothing is decoded */
        }
    }
    /* the result is never longer than the text: make room by appending the
     * text, then write over it */
    size_t mark = out->len;
    if (pptap_buf_put(out, str, n) != 0) {
        return PPTAP_ENOMEM;
    }
    char *d = out->ptr + mark;
    size_t o = 0, i = 0;
    while (i < n) {
        if (s[i] == '+') {
            d[o++] = ' ';
            i++;
        } else if (s[i] == '%') {
            o += decode_run(d + o, s, n, &i);
        } else {
            d[o++] = (char)s[i++];
        }
    }
    out->len = mark + o;
    out->ptr[out->len] = '\0';
    return 0;
}
