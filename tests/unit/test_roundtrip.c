/*
 * Round trip: random target URLs, encoded by pptap_urldef_encode() as v2 and
 * as v3 with every host option, must decode back to exactly the same bytes
 * (reference/urldefense.md §4: for every URL a correct encoder writes, the
 * byte reading returns the original exactly).
 *
 * The targets mix query strings, fragments, percent escapes, 2/3/4-byte
 * UTF-8, raw bytes >= 0x80, long runs of replaced bytes (several 65-byte
 * chunks, split characters), '&' before entity-like names, "__;", targets the
 * single-slash repair would touch, '*', '%', '#', '+', '[', ']', spaces and
 * control bytes. The PRNG seed is fixed, so every run tests the same URLs.
 *
 * PPTAP_ROUNDTRIP_N sets the number of URLs (at least 1,000,000 except in
 * sanitizer builds, where the default is lower).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <pptap/urldefense.h>

#include "internal.h"

#if defined(__SANITIZE_ADDRESS__)
#define RT_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RT_SANITIZED 1
#endif
#endif
#ifndef RT_SANITIZED
#define RT_SANITIZED 0
#endif

#define RT_MIN 1000000ul
#define RT_SANITIZED_DEFAULT 1000000ul
#define MAX_URL 4096

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static unsigned below(unsigned n)
{
    return (unsigned)(rnd() % n);
}

typedef struct {
    unsigned char b[MAX_URL];
    size_t n;
} ubuf;

static void add(ubuf *u, const void *d, size_t n)
{
    if (u->n + n <= MAX_URL) {
        memcpy(u->b + u->n, d, n);
        u->n += n;
    }
}

static void adds(ubuf *u, const char *s)
{
    add(u, s, strlen(s));
}

static void addc(ubuf *u, unsigned c)
{
    unsigned char b = (unsigned char)c;
    add(u, &b, 1);
}

/* A random valid UTF-8 character of `len` bytes (2, 3 or 4). */
static void add_utf8(ubuf *u, int len)
{
    unsigned long cp;
    if (len == 2) {
        cp = 0x80 + below(0x800 - 0x80);
    } else if (len == 3) {
        do {
            cp = 0x800 + below(0x10000 - 0x800);
        } while (cp >= 0xD800 && cp <= 0xDFFF);
    } else {
        cp = 0x10000 + below(0x110000 - 0x10000);
    }
    unsigned char o[4];
    if (len == 2) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
    } else if (len == 3) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        o[0] = (unsigned char)(0xF0 | (cp >> 18));
        o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    }
    add(u, o, (size_t)len);
}

static void add_alnum(ubuf *u, unsigned n)
{
    static const char al[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for (unsigned i = 0; i < n; i++) {
        addc(u, (unsigned char)al[below(sizeof(al) - 1)]);
    }
}

static const char *const schemes[] = {
    "https://", "http://",   "https:/",  "HTTPS:/", "hTtP:/",      "https:///", "ftp://",
    "mailto:",  "x+y.z-1:/", "a:/",      "",        "javascript:", "https:",    "//",
    "https:/",  "https://",  "https://", "http://", "https://",    "https://",
};

static const char *const hosts[] = {
    "example.com",
    "a.b.c.example.co.uk",
    "xn--bcher-kva.de",
    "b\xC3\xBC"
    "cher.de",
    "[::1]",
    "[2001:db8::1]:8443",
    "user:pass@host:8080",
    "10.0.0.1",
    "",
    "urldefense.com",
    "h_st-1.example",
    "x",
    "\xE4\xBE\x8B\xE5\xAD\x90.\xE6\xB5\x8B\xE8\xAF\x95",
    "www.linkedin.com",
};

/* Bytes the v3 encoder keeps and bytes it replaces, and other specials. */
static const char *const specials[] = {
    "*",   "%",    "#",   "+",   "[",    "]",   " ",   "~",   "!",   "$",     "'",  "(",
    ")",   ",",    ";",   "=",   ":",    "@",   "/",   "?",   "-",   ".",     "_",  "__",
    "__;", "___;", "_;",  "&",   "\"",   "<",   ">",   "\\",  "^",   "`",     "{",  "|",
    "}",   "**",   "***", "**A", "*%2A", "!!",  "$!",  "//",  ":/",  "v3/__", "u=", "&d=",
    "&c=", "&k=",  "-2D", "-5F", "%2F",  "%41", "%zz", "%2A", "%0A", "%25",   "%%", "%4",
};

static const char *const entityish[] = {
    "&amp;",
    "&amp",
    "&copy",
    "&copy;",
    "&copy=",
    "&lt;",
    "&lt",
    "&gt",
    "&region=us",
    "&reg",
    "&not",
    "&notin;",
    "&nGt;",
    "&nLt;",
    "&#65;",
    "&#x41",
    "&#",
    "&#x",
    "&#0;",
    "&#128;",
    "&#xD800;",
    "&ampx",
    "&amp=",
    "&quot;",
    "&Eacute",
    "&frac12",
    "&CounterClockwiseContourIntegral;",
    "&#0000000000065",
    "&&",
    "&;",
};

/* A run of bytes the v3 encoder replaces: non-ASCII (valid or not),
 * '*', '%', '#', '+', brackets, controls. */
static void add_replaced_run(ubuf *u, unsigned n)
{
    static const char repl[] = "*%#+[] \"<>\\^`{|}";
    size_t target = u->n + n;
    while (u->n < target && u->n < MAX_URL - 4) {
        switch (below(6)) {
        case 0:
            add_utf8(u, 2);
            break;
        case 1:
            add_utf8(u, 3);
            break;
        case 2:
            add_utf8(u, 4);
            break;
        case 3:
            addc(u, 0x80 + below(0x80));
            break;
        case 4:
            addc(u, below(0x20));
            break;
        default:
            addc(u, (unsigned char)repl[below(sizeof(repl) - 1)]);
            break;
        }
    }
}

static void add_atom(ubuf *u)
{
    unsigned k = below(100);
    if (k < 35) {
        add_alnum(u, 1 + below(12));
    } else if (k < 55) {
        adds(u, specials[below(sizeof(specials) / sizeof(specials[0]))]);
    } else if (k < 65) {
        adds(u, entityish[below(sizeof(entityish) / sizeof(entityish[0]))]);
    } else if (k < 80) {
        add_utf8(u, 2 + (int)below(3));
    } else if (k < 85) {
        addc(u, below(4) == 0 ? 0x7F : below(0x20));
    } else if (k < 88) {
        addc(u, 0x80 + below(0x80));
    } else if (k < 96) {
        add_replaced_run(u, 2 + below(30));
    } else {
        /* Long: several 65-byte chunks */
        add_replaced_run(u, 60 + below(300));
    }
}

static void gen_url(ubuf *u)
{
    u->n = 0;
    unsigned shape = below(20);
    if (shape == 0) {
        /* Anything at all */
        unsigned n = 1 + below(40);
        for (unsigned i = 0; i < n; i++) {
            addc(u, below(256));
        }
        return;
    }
    if (shape == 1) {
        /* Only atoms */
        unsigned n = 1 + below(8);
        for (unsigned i = 0; i < n; i++) {
            add_atom(u);
        }
        return;
    }
    adds(u, schemes[below(sizeof(schemes) / sizeof(schemes[0]))]);
    adds(u, hosts[below(sizeof(hosts) / sizeof(hosts[0]))]);
    unsigned segs = below(5);
    for (unsigned i = 0; i < segs; i++) {
        addc(u, '/');
        unsigned atoms = 1 + below(3);
        for (unsigned a = 0; a < atoms; a++) {
            add_atom(u);
        }
    }
    if (below(2)) {
        addc(u, '?');
        unsigned params = 1 + below(4);
        for (unsigned i = 0; i < params; i++) {
            if (i > 0) {
                if (below(3) == 0) {
                    adds(u, entityish[below(sizeof(entityish) / sizeof(entityish[0]))]);
                } else {
                    addc(u, '&');
                }
            }
            add_alnum(u, 1 + below(6));
            addc(u, '=');
            add_atom(u);
        }
    }
    if (below(4) == 0) {
        addc(u, '#');
        add_atom(u);
    }
    if (u->n == 0) {
        addc(u, 'x');
    }
}

static unsigned long rt_count(void)
{
    unsigned long n = RT_SANITIZED ? RT_SANITIZED_DEFAULT : RT_MIN;
    const char *env = getenv("PPTAP_ROUNDTRIP_N");
    if (env != NULL && *env != '\0') {
        char *end;
        unsigned long v = strtoul(env, &end, 10);
        if (*end == '\0' && v > 0) {
            n = v;
        }
    }
    if (!RT_SANITIZED && n < RT_MIN) {
        n = RT_MIN;
    }
    return n;
}

static void dump(const char *what, const unsigned char *s, size_t n)
{
    char line[1024];
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < sizeof(line); i++) {
        if (s[i] >= 0x20 && s[i] < 0x7F && s[i] != '\\') {
            line[o++] = (char)s[i];
        } else {
            o += (size_t)snprintf(line + o, sizeof(line) - o, "\\x%02X", s[i]);
        }
    }
    line[o] = '\0';
    print_message("  %s: %s\n", what, line);
}

static void test_roundtrip(void **state)
{
    (void)state;
    const unsigned long n = rt_count();
    static ubuf u;
    size_t enccap = PPTAP_URLDEF_ENCODE_MAX(MAX_URL);
    size_t deccap = PPTAP_URLDEF_DECODE_MAX(enccap);
    char *enc = malloc(enccap);
    char *dec = malloc(deccap);
    assert_non_null(enc);
    assert_non_null(dec);
    unsigned long failures = 0, decodes = 0, per_version[4] = {0}, per_host[4] = {0};
    unsigned long utf8_invalid = 0, long_targets = 0, bytes = 0;

    rng_state = 0x5EEDC0FFEE123457ull;
    for (unsigned long i = 0; i < n; i++) {
        gen_url(&u);
        bytes += u.n;
        long_targets += u.n > 130;
        int valid = pptap__utf8_valid(u.b, u.n);
        utf8_invalid += !valid;
        for (int version = 2; version <= 3; version++) {
            pptap_urldef_encode_opts opts = {(pptap_urldef_host)((i + (unsigned long)version) % 4),
                                             i};
            size_t enclen = 0;
            int rc =
                pptap_urldef_encode(&enclen, enc, enccap, version, (const char *)u.b, u.n, &opts);
            pptap_urldef_result res;
            /* Decode from the end of the allocation: reads past the link's
             * end are caught by ASan. */
            char *link = enc + enccap - enclen;
            if (rc == 0) {
                memmove(link, enc, enclen);
            }
            int drc = rc == 0 ? pptap_urldef_decode(&res, dec, deccap, link, enclen) : -100;
            decodes++;
            per_version[version]++;
            per_host[opts.host]++;
            unsigned want_flags =
                (opts.host == PPTAP_URLDEF_HOST_US ? PPTAP_URLDEF_F_NONREF_HOST : 0u) |
                (valid ? 0u : PPTAP_URLDEF_F_INVALID_UTF8);
            for (size_t k = 0; k < u.n; k++) {
                if ((unsigned char)u.b[k] <= 0x20 || (unsigned char)u.b[k] == 0x7F) {
                    want_flags |= PPTAP_URLDEF_F_CONTROL;
                    break;
                }
            }
            int ok = rc == 0 && drc == 0 && res.status == PPTAP_URLDEF_OK &&
                     res.version == version && res.len == u.n && memcmp(dec, u.b, u.n) == 0 &&
                     res.flags == want_flags && res.start == 0;
            if (!ok) {
                failures++;
                if (failures <= 10) {
                    print_message("round trip failure #%lu (url %lu, v%d, host %d): encode %d, "
                                  "decode %d, status %s, version %d, flags %u (want %u), len "
                                  "%zu (want %zu)\n",
                                  failures, i, version, (int)opts.host, rc, drc,
                                  drc == -100 ? "-" : pptap_urldef_status_code(res.status),
                                  drc == -100 ? 0 : res.version, drc == -100 ? 0 : res.flags,
                                  want_flags, drc == 0 ? res.len : 0, u.n);
                    dump("target ", u.b, u.n);
                    if (rc == 0) {
                        dump("encoded", (const unsigned char *)link, enclen);
                    }
                    if (drc == 0) {
                        dump("decoded", (const unsigned char *)dec, res.len);
                    }
                }
            }
        }
    }
    print_message("round trip: %lu URLs (%lu bytes, %lu longer than 130 bytes, %lu not UTF-8), "
                  "%lu encode+decode (v2 %lu, v3 %lu; hosts default %lu, com %lu, proofpoint "
                  "%lu, us %lu), %lu failures%s\n",
                  n, bytes, long_targets, utf8_invalid, decodes, per_version[2], per_version[3],
                  per_host[0], per_host[1], per_host[2], per_host[3], failures,
                  RT_SANITIZED ? " (sanitizer build)" : "");
    free(enc);
    free(dec);
    assert_int_equal(failures, 0);
    if (!RT_SANITIZED) {
        assert_true(n >= RT_MIN);
    }
}

/* The encoder's own contract: PPTAP_EBUFS with a size that suffices,
 * PPTAP_URLDEF_ENCODE_MAX always enough, PPTAP_EINVAL for bad arguments. */
static void test_encode_contract(void **state)
{
    (void)state;
    static ubuf u;
    char *enc = malloc(PPTAP_URLDEF_ENCODE_MAX(MAX_URL));
    assert_non_null(enc);
    rng_state = 42;
    for (int i = 0; i < 2000; i++) {
        gen_url(&u);
        for (int version = 2; version <= 3; version++) {
            pptap_urldef_encode_opts opts = {(pptap_urldef_host)(i % 4), (uint64_t)i};
            size_t need = 0, len = 0;
            assert_int_equal(
                pptap_urldef_encode(&need, NULL, 0, version, (const char *)u.b, u.n, &opts),
                PPTAP_EBUFS);
            assert_true(need <= PPTAP_URLDEF_ENCODE_MAX(u.n));
            size_t sizes[3] = {need - 1, need / 2, 0};
            for (int k = 0; k < 3; k++) {
                char *b = malloc(sizes[k] ? sizes[k] : 1);
                assert_non_null(b);
                size_t got = 0;
                assert_int_equal(
                    pptap_urldef_encode(&got, b, sizes[k], version, (const char *)u.b, u.n, &opts),
                    PPTAP_EBUFS);
                assert_true(got >= need);
                free(b);
            }
            char *b = malloc(need);
            assert_non_null(b);
            assert_int_equal(
                pptap_urldef_encode(&len, b, need, version, (const char *)u.b, u.n, &opts), 0);
            assert_int_equal(len, need);
            /* Same seed, same link */
            size_t len2 = 0;
            assert_int_equal(pptap_urldef_encode(&len2, enc, PPTAP_URLDEF_ENCODE_MAX(u.n), version,
                                                 (const char *)u.b, u.n, &opts),
                             0);
            assert_int_equal(len2, len);
            assert_memory_equal(enc, b, len);
            free(b);
        }
    }
    size_t len = 0;
    assert_int_equal(pptap_urldef_encode(&len, enc, 100, 1, "x", 1, NULL), PPTAP_EINVAL);
    assert_int_equal(pptap_urldef_encode(&len, enc, 100, 4, "x", 1, NULL), PPTAP_EINVAL);
    assert_int_equal(pptap_urldef_encode(&len, enc, 100, 2, "x", 0, NULL), PPTAP_EINVAL);
    assert_int_equal(pptap_urldef_encode(&len, enc, 100, 3, NULL, 1, NULL), PPTAP_EINVAL);
    free(enc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_contract),
        cmocka_unit_test(test_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
