/*
 * HTML character reference tests: table-driven {input, expected bytes} for
 * pptap__html_unescape() (HTML5 attribute-value rules of docs/urldefense.md
 * D3), {input, reference length} for pptap__html_ref_len(), and {bytes,
 * valid} for pptap__utf8_valid(). Expected values come from the WHATWG
 * tokenizer rules and the entity list, not from the code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

/* A string literal and its length (embedded NULs allowed). */
#define S(x) x, sizeof(x) - 1

#define FFFD "\xEF\xBF\xBD"

typedef struct {
    const char *in;
    size_t inlen;
    const char *out;
    size_t outlen;
} unescape_case;

static const unescape_case unescape_cases[] = {
    /* No references */
    {S(""), S("")},
    {S("plain text"), S("plain text")},
    {S("a\0b"), S("a\0b")},
    {S("&"), S("&")},
    {S("&&"), S("&&")},
    {S("a & b"), S("a & b")},
    {S("&;"), S("&;")},
    {S("& amp;"), S("& amp;")},
    {S("&foo;"), S("&foo;")},
    {S("&Amp;"), S("&Amp;")},
    {S("&=x"), S("&=x")},

    /* Named references with ';' */
    {S("&amp;"), S("&")},
    {S("&AMP;"), S("&")},
    {S("&lt;&gt;&quot;"), S("<>\"")},
    {S("&apos;"), S("'")},
    {S("&copy;"), S("\xC2\xA9")},
    {S("&reg;ion=us"), S("\xC2\xAEion=us")},
    {S("&amp;amp;"), S("&amp;")},
    {S("&&amp;"), S("&&")},
    {S("a&b&amp;c"), S("a&b&c")},
    {S("&amp;="), S("&=")},
    {S("&amp;x"), S("&x")},
    {S("&notin;"), S("\xE2\x88\x89")},
    {S("&eacute;"), S("\xC3\xA9")},
    {S("&hellip;"), S("\xE2\x80\xA6")},
    {S("&Afr;"), S("\xF0\x9D\x94\x84")},
    {S("&CounterClockwiseContourIntegral;"), S("\xE2\x88\xB3")},
    /* 32 letters: longer than any name, so never a reference */
    {S("&CounterClockwiseContourIntegralx;"), S("&CounterClockwiseContourIntegralx;")},
    {S("&ampamp;"), S("&ampamp;")},
    {S("&notit;"), S("&notit;")},
    {S("&nGtv;"), S("\xE2\x89\xAB\xCC\xB8")},

    /* The two references that decode longer than they are written */
    {S("&nGt;"), S("\xE2\x89\xAB\xE2\x83\x92")},
    {S("&nLt;"), S("\xE2\x89\xAA\xE2\x83\x92")},
    {S("a&nGt;b&nLt;c"), S("a\xE2\x89\xAB\xE2\x83\x92"
                           "b\xE2\x89\xAA\xE2\x83\x92"
                           "c")},
    {S("&nGt"), S("&nGt")},
    {S("&nGt;&amp;&nLt;"), S("\xE2\x89\xAB\xE2\x83\x92&\xE2\x89\xAA\xE2\x83\x92")},

    /* Legacy names without ';': only when the next byte is neither '=' nor
     * an ASCII letter or digit */
    {S("&amp"), S("&")},
    {S("&AMP"), S("&")},
    {S("&amp&amp"), S("&&")},
    {S("&amp-"), S("&-")},
    {S("&amp="), S("&amp=")},
    {S("&ampx"), S("&ampx")},
    {S("&amp5"), S("&amp5")},
    {S("&copy"), S("\xC2\xA9")},
    {S("&copy=2"), S("&copy=2")},
    {S("&copy2"), S("&copy2")},
    {S("&copy-2"), S("\xC2\xA9-2")},
    {S("&copy 2"), S("\xC2\xA9 2")},
    {S("&copy_"), S("\xC2\xA9_")},
    {S("&region=us"), S("&region=us")},
    {S("?a=1&region=us&lang=en"), S("?a=1&region=us&lang=en")},
    {S("&reg=us"), S("&reg=us")},
    {S("&reg."), S("\xC2\xAE.")},
    {S("&regx"), S("&regx")},
    {S("&lt="), S("&lt=")},
    {S("&lt_"), S("<_")},
    {S("&gt5"), S("&gt5")},
    {S("&gt/"), S(">/")},
    {S("&notin"), S("&notin")},
    {S("&not"), S("\xC2\xAC")},
    {S("&not/"), S("\xC2\xAC/")},
    {S("&not=1"), S("&not=1")},
    {S("&para=1&sect=2"), S("&para=1&sect=2")},
    {S("&times;&times"), S("\xC3\x97\xC3\x97")},
    {S("&middot"), S("\xC2\xB7")},
    {S("&frac12 "), S("\xC2\xBD ")},
    {S("&frac12x"), S("&frac12x")},
    {S("&Eacute"), S("\xC3\x89")},
    {S("&nbsp&shy"), S("\xC2\xA0\xC2\xAD")},
    /* Names with digits */
    {S("&sup2;"), S("\xC2\xB2")},
    {S("&sup2."), S("\xC2\xB2.")},
    {S("&sup23"), S("&sup23")},
    {S("&sup2=1"), S("&sup2=1")},
    {S("&frac34;"), S("\xC2\xBE")},
    {S("&there4;"), S("\xE2\x88\xB4")},
    {S("&there4"), S("&there4")},
    {S("&sup"), S("&sup")},
    {S("&sup;"), S("\xE2\x8A\x83")},
    {S("&\xC3\xA9;"), S("&\xC3\xA9;")},
    /* Not legacy: needs its ';' */
    {S("&hellip"), S("&hellip")},
    {S("&apos"), S("&apos")},

    /* Numeric references: decimal and hex, ';' optional */
    {S("&#65;"), S("A")},
    {S("&#65"), S("A")},
    {S("&#65x"), S("Ax")},
    {S("&#65;&#66;"), S("AB")},
    {S("&#x41;"), S("A")},
    {S("&#X41"), S("A")},
    {S("&#x4a;"), S("J")},
    {S("&#x4A"), S("J")},
    {S("&#x00000041;"), S("A")},
    {S("&#38;"), S("&")},
    {S("&#38;amp;"), S("&amp;")},
    {S("&#x26;"), S("&")},
    {S("&#233;"), S("\xC3\xA9")},
    {S("&#x20AC;"), S("\xE2\x82\xAC")},
    {S("&#x1F600;"), S("\xF0\x9F\x98\x80")},
    {S("&#128512;"), S("\xF0\x9F\x98\x80")},
    {S("&#65 "), S("A ")},
    {S("&#65=1"), S("A=1")},
    /* No digits: literal */
    {S("&#"), S("&#")},
    {S("&#;"), S("&#;")},
    {S("&#x"), S("&#x")},
    {S("&#x;"), S("&#x;")},
    {S("&#xg"), S("&#xg")},
    {S("&#a"), S("&#a")},
    /* 0, surrogates, past U+10FFFF: U+FFFD */
    {S("&#0;"), S(FFFD)},
    {S("&#x0;"), S(FFFD)},
    {S("&#00000;"), S(FFFD)},
    {S("&#xD800;"), S(FFFD)},
    {S("&#xDFFF;"), S(FFFD)},
    {S("&#55296;"), S(FFFD)},
    {S("&#57343"), S(FFFD)},
    {S("&#xD7FF;"), S("\xED\x9F\xBF")},
    {S("&#xE000;"), S("\xEE\x80\x80")},
    {S("&#x10FFFF;"), S("\xF4\x8F\xBF\xBF")},
    {S("&#1114111;"), S("\xF4\x8F\xBF\xBF")},
    {S("&#x110000;"), S(FFFD)},
    {S("&#1114112;"), S(FFFD)},
    /* 2^32 + 65 and 2^64 + 65 must not wrap around to 'A' */
    {S("&#4294967361;"), S(FFFD)},
    {S("&#x100000041;"), S(FFFD)},
    {S("&#18446744073709551681;"), S(FFFD)},
    {S("&#x10000000000000041;"), S(FFFD)},
    /* Controls and noncharacters are kept as they are */
    {S("&#1;"), S("\x01")},
    {S("&#9;"), S("\t")},
    {S("&#10;"), S("\n")},
    {S("&#x0D;"), S("\r")},
    {S("&#x1F;"), S("\x1F")},
    {S("&#x7F;"), S("\x7F")},
    {S("&#xA0;"), S("\xC2\xA0")},
    {S("&#xFDD0;"), S("\xEF\xB7\x90")},
    {S("&#xFFFE;"), S("\xEF\xBF\xBE")},
    {S("&#xFFFF;"), S("\xEF\xBF\xBF")},
    {S("&#x1FFFF;"), S("\xF0\x9F\xBF\xBF")},
    {S("&#x10FFFE;"), S("\xF4\x8F\xBF\xBE")},
    /* 0x80-0x9F: Windows-1252 (more in test_windows1252) */
    {S("&#128;"), S("\xE2\x82\xAC")},
    {S("&#x80;"), S("\xE2\x82\xAC")},
    {S("&#x81;"), S("\xC2\x81")},
    {S("&#150;"), S("\xE2\x80\x93")},
    {S("&#x9F"), S("\xC5\xB8")},
};

/*
 * pptap__html_unescape works in place and may need room beyond the longer
 * of input and output (it shifts the text right for "&nGt;"/"&nLt;"); its
 * contract is only that PPTAP_EBUFS reports a size that suffices.
 */
static void unescape_check(const char *in, size_t inlen, const char *out, size_t outlen, size_t i)
{
    size_t cap = inlen > outlen ? inlen : outlen;
    for (int attempt = 0; attempt < 2; attempt++) {
        /* An exactly sized heap buffer, so ASan sees any overrun. */
        char *buf = malloc(cap ? cap : 1);
        assert_non_null(buf);
        memcpy(buf, in, inlen);
        size_t len = inlen;
        int rc = pptap__html_unescape(buf, &len, cap);
        if (rc == PPTAP_EBUFS && attempt == 0) {
            assert_true(len > cap);
            cap = len;
            free(buf);
            continue;
        }
        if (rc != 0 || len != outlen || memcmp(buf, out, len) != 0) {
            print_error("case %zu (\"%s\"): rc %d, len %zu, expected %zu\n", i, in, rc, len,
                        outlen);
        }
        assert_int_equal(rc, 0);
        assert_int_equal(len, outlen);
        assert_memory_equal(buf, out, len);
        free(buf);
        break;
    }
}

static void test_unescape_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(unescape_cases) / sizeof(unescape_cases[0]); i++) {
        const unescape_case *c = &unescape_cases[i];
        unescape_check(c->in, c->inlen, c->out, c->outlen, i);
    }
}

/* Numeric references 0x80..0x9F map through Windows-1252; the five
 * undefined positions (0x81, 0x8D, 0x8F, 0x90, 0x9D) keep their value. */
static void test_windows1252(void **state)
{
    (void)state;
    static const unsigned cp1252[32] = {
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
        0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    };
    for (unsigned v = 0x80; v <= 0x9F; v++) {
        unsigned cp = cp1252[v - 0x80];
        char exp[4];
        size_t explen;
        if (cp < 0x800) {
            exp[0] = (char)(0xC0 | (cp >> 6));
            exp[1] = (char)(0x80 | (cp & 0x3F));
            explen = 2;
        } else {
            exp[0] = (char)(0xE0 | (cp >> 12));
            exp[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
            exp[2] = (char)(0x80 | (cp & 0x3F));
            explen = 3;
        }
        char forms[3][16];
        snprintf(forms[0], sizeof(forms[0]), "&#%u;", v);
        snprintf(forms[1], sizeof(forms[1]), "&#x%X", v);
        snprintf(forms[2], sizeof(forms[2]), "&#X%x;", v);
        for (int f = 0; f < 3; f++) {
            char buf[16];
            size_t len = strlen(forms[f]);
            memcpy(buf, forms[f], len);
            assert_int_equal(pptap__html_unescape(buf, &len, sizeof(buf)), 0);
            assert_int_equal(len, explen);
            assert_memory_equal(buf, exp, explen);
        }
    }
}

/* Digit strings of any length decode without error (Python's int limit of
 * 4300 digits does not apply). */
static void test_long_digit_strings(void **state)
{
    (void)state;
    static const struct {
        const char *prefix;
        char fill;
        size_t nfill;
        const char *suffix;
        const char *out;
    } cases[] = {
        {"&#", '0', 5000, "65;", "A"},
        {"&#", '0', 4301, "65", "A"},
        {"&#", '1', 4301, ";", FFFD},
        {"&#", '9', 100000, "", FFFD},
        {"&#x", '0', 10000, "41", "A"},
        {"&#x", 'F', 1000, ";", FFFD},
        {"&#x", '0', 1000000, "1F600;", "\xF0\x9F\x98\x80"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t pl = strlen(cases[i].prefix), sl = strlen(cases[i].suffix);
        size_t n = pl + cases[i].nfill + sl + 2;
        char *buf = malloc(n);
        assert_non_null(buf);
        memcpy(buf, cases[i].prefix, pl);
        memset(buf + pl, cases[i].fill, cases[i].nfill);
        memcpy(buf + pl + cases[i].nfill, cases[i].suffix, sl);
        buf[n - 2] = '&'; /* a literal '&' after it */
        buf[n - 1] = 'x';
        size_t len = n;
        size_t reflen = pptap__html_ref_len(buf, n);
        assert_int_equal(reflen, n - 2);
        assert_int_equal(pptap__html_unescape(buf, &len, n), 0);
        size_t ol = strlen(cases[i].out);
        assert_int_equal(len, ol + 2);
        assert_memory_equal(buf, cases[i].out, ol);
        assert_memory_equal(buf + ol, "&x", 2);
        free(buf);
    }
}

/* Many references in a large buffer; guards against quadratic work. */
static void test_large_inputs(void **state)
{
    (void)state;
    static const struct {
        const char *unit;
        const char *out;
    } cases[] = {
        {"&amp;", "&"},       {"&amp", "&"}, {"&", "&"},
        {"&#", "&#"},         {"&#65", "A"}, {"&nGt;", "\xE2\x89\xAB\xE2\x83\x92"},
        {"&copy=", "&copy="},
    };
    const size_t reps = 200000;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t ul = strlen(cases[i].unit), ol = strlen(cases[i].out);
        size_t n = ul * reps;
        size_t cap = (ul > ol ? ul : ol) * reps;
        char *buf = malloc(cap);
        assert_non_null(buf);
        for (size_t k = 0; k < reps; k++) {
            memcpy(buf + k * ul, cases[i].unit, ul);
        }
        size_t len = n;
        assert_int_equal(pptap__html_unescape(buf, &len, cap), 0);
        assert_int_equal(len, ol * reps);
        for (size_t k = 0; k < reps; k++) {
            assert_memory_equal(buf + k * ol, cases[i].out, ol);
        }
        free(buf);
    }
}

/* Growth: with the input in a buffer without room for what "&nGt;"/"&nLt;"
 * add, PPTAP_EBUFS reports a size that suffices, and that size works. */
static void test_growth_needs_room(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t outlen;
    } cases[] = {
        {"&nGt;", 6}, {"&nLt;", 6}, {"a&nGt;b", 8}, {"&nGt;&nLt;", 12}, {"x&nLt;&nGt;&nLt;", 19},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = strlen(cases[i].in);
        for (size_t cap = n; cap < cases[i].outlen; cap++) {
            char *buf = malloc(cap);
            assert_non_null(buf);
            memcpy(buf, cases[i].in, n);
            size_t len = n;
            assert_int_equal(pptap__html_unescape(buf, &len, cap), PPTAP_EBUFS);
            assert_true(len >= cases[i].outlen);
            free(buf);
        }
        char *buf = malloc(cases[i].outlen);
        assert_non_null(buf);
        memcpy(buf, cases[i].in, n);
        size_t len = n;
        assert_int_equal(pptap__html_unescape(buf, &len, cases[i].outlen), 0);
        assert_int_equal(len, cases[i].outlen);
        free(buf);
    }
}

typedef struct {
    const char *in;
    size_t inlen;
    size_t reflen;
} reflen_case;

static const reflen_case reflen_cases[] = {
    {S("&"), 0},       {S("&x"), 0},         {S("&;"), 0},      {S("& "), 0},
    {S("&amp;"), 5},   {S("&amp;x"), 5},     {S("&amp"), 4},    {S("&amp-"), 4},
    {S("&ampx"), 0},   {S("&amp="), 0},      {S("&amp5"), 0},   {S("&copy-"), 5},
    {S("&copy=2"), 0}, {S("&region=us"), 0}, {S("&notin;"), 7}, {S("&notit;"), 0},
    {S("&notin"), 0},  {S("&not;"), 5},      {S("&nGt;"), 5},   {S("&nGt"), 0},
    {S("&hellip"), 0}, {S("&#"), 0},         {S("&#;"), 0},     {S("&#x"), 0},
    {S("&#x;"), 0},    {S("&#65"), 4},       {S("&#65;"), 5},   {S("&#65;;"), 5},
    {S("&#x41;"), 6},  {S("&#X41z"), 5},     {S("&#0;"), 4},    {S("&#xD800"), 7},
};

static void test_ref_len_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(reflen_cases) / sizeof(reflen_cases[0]); i++) {
        const reflen_case *c = &reflen_cases[i];
        size_t got = pptap__html_ref_len(c->in, c->inlen);
        if (got != c->reflen) {
            print_error("ref_len(\"%s\") = %zu, expected %zu\n", c->in, got, c->reflen);
        }
        assert_int_equal(got, c->reflen);
    }
}

typedef struct {
    const char *in;
    size_t inlen;
    int valid;
} utf8_case;

static const utf8_case utf8_cases[] = {
    {S(""), 1},
    {S("abc"), 1},
    {S("a\0b"), 1},
    {S("\x7F"), 1},
    {S("\xC3\xA9"), 1},
    {S("x\xC3\xA9"), 1},
    {S("\xC2\x80"), 1},
    {S("\xDF\xBF"), 1},
    {S("\xE0\xA0\x80"), 1},
    {S("\xED\x9F\xBF"), 1},
    {S("\xEE\x80\x80"), 1},
    {S("\xEF\xBF\xBF"), 1},
    {S("\xF0\x90\x80\x80"), 1},
    {S("\xF0\x9F\x98\x80"), 1},
    {S("\xF4\x8F\xBF\xBF"), 1},
    {S("\xE4\xBD\xA0\xE5\xA5\xBD"), 1},
    /* Invalid */
    {S("\x80"), 0},
    {S("\xBF"), 0},
    {S("a\x80"), 0},
    {S("\xC3"), 0},
    {S("\xC3"
       "a"),
     0},
    {S("\xC3\xA9\xC3"), 0},
    {S("\xC0\x80"), 0},
    {S("\xC1\xBF"), 0},
    {S("\xE0\x80\x80"), 0},
    {S("\xE0\x9F\xBF"), 0},
    {S("\xE2\x82"), 0},
    {S("\xE2\x82"
       "A"),
     0},
    {S("\xED\xA0\x80"), 0},
    {S("\xED\xBF\xBF"), 0},
    {S("\xF0\x8F\xBF\xBF"), 0},
    {S("\xF0\x9F\x98"), 0},
    {S("\xF4\x90\x80\x80"), 0},
    {S("\xF5\x80\x80\x80"), 0},
    {S("\xF8\x88\x80\x80\x80"), 0},
    {S("\xFE"), 0},
    {S("\xFF"), 0},
    {S("\xE9"), 0},
    {S("\xE9\xC3\xA9\xC3"), 0},
};

static void test_utf8_valid_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
        const utf8_case *c = &utf8_cases[i];
        /* Copy to an exact heap buffer so reads past the end are caught. */
        unsigned char *b = malloc(c->inlen ? c->inlen : 1);
        assert_non_null(b);
        memcpy(b, c->in, c->inlen);
        int got = pptap__utf8_valid(b, c->inlen);
        if (got != c->valid) {
            print_error("utf8 case %zu: got %d, expected %d\n", i, got, c->valid);
        }
        assert_int_equal(got, c->valid);
        free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unescape_table),     cmocka_unit_test(test_windows1252),
        cmocka_unit_test(test_long_digit_strings), cmocka_unit_test(test_large_inputs),
        cmocka_unit_test(test_growth_needs_room),  cmocka_unit_test(test_ref_len_table),
        cmocka_unit_test(test_utf8_valid_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
