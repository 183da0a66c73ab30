/*
 * Scanner tests: table-driven {text, links expected, rewritten text}, each
 * run with the input fed whole, byte by byte and in uneven pieces, which must
 * all give the same result.
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

#define V3A                                                                                        \
    "https://urldefense.com/v3/__https://example.com/a?b=1&c=2*x__;Iw!!ABCDEFG!Hijklmnop123$"
#define V3A_DEC "https://example.com/a?b=1&c=2#x"
#define V2A                                                                                        \
    "https://urldefense.proofpoint.com/v2/url?u=http-3A__links.example.com_ctt-3Fkn-3D3-26ms-"     \
    "3DabcD&d=DwMFaQ&c=abc&r=def&m=ghi&s=jkl&e="
#define V2A_AMP                                                                                    \
    "https://urldefense.proofpoint.com/v2/url?u=http-3A__links.example.com_ctt-3Fkn-3D3-26ms-"     \
    "3DabcD&amp;d=DwMFaQ&amp;c=abc&amp;r=def&amp;m=ghi&amp;s=jkl&amp;e="
#define V2A_DEC "http://links.example.com/ctt?kn=3&ms=abcD"
#define V1A                                                                                        \
    "https://urldefense.proofpoint.com/v1/url?u=http://www.bouncycastle.org/"                      \
    "&amp;k=oIvRg1%2BdGAgOoM1BIlLLqw%3D%3D%0A&amp;r=IKM5u8%3D%0A&amp;s=d3583cfa"
#define V1A_DEC "http://www.bouncycastle.org/"
#define ZWSP "\xE2\x80\x8B"

typedef struct {
    const char *name;
    const char *text;
    unsigned flags;
    int nlinks;
    const char *decoded[4]; /* NULL entry: the link failed */
    int qp[4];
    pptap_scan_context ctx[4];
    const char *rewritten; /* NULL: not checked */
} scan_case;

static const scan_case cases[] = {
    {"plain text with sentence punctuation",
     "Hello, see " V3A ". And also (" V2A "), ok?\n",
     0,
     2,
     {V3A_DEC, V2A_DEC},
     {0, 0},
     {PPTAP_SCAN_CTX_TEXT, PPTAP_SCAN_CTX_TEXT},
     "Hello, see " V3A_DEC ". And also (" V2A_DEC "), ok?\n"},
    {"html attributes with entities",
     "<a href=\"" V2A_AMP "\">click</a> <a href='" V3A "'>x</a>",
     0,
     2,
     {V2A_DEC, V3A_DEC},
     {0, 0},
     {PPTAP_SCAN_CTX_ATTR_DQ, PPTAP_SCAN_CTX_ATTR_SQ},
     "<a href=\"http://links.example.com/ctt?kn=3&amp;ms=abcD\">click</a> <a "
     "href='https://example.com/a?b=1&amp;c=2#x'>x</a>"},
    {"unquoted attribute",
     "<a href=" V3A ">x</a>",
     0,
     1,
     {V3A_DEC},
     {0},
     {PPTAP_SCAN_CTX_ATTR_BARE},
     "<a href=https://example.com/a?b=1&amp;c=2#x>x</a>"},
    {"v1 with &amp; separators from HTML",
     "<a href=\"" V1A "\">",
     0,
     1,
     {V1A_DEC},
     {0},
     {PPTAP_SCAN_CTX_ATTR_DQ},
     NULL},
    {"angle brackets with a line break inside",
     "Outlook: <https://urldefense.com/v3/__https://example.com/\n long/path__;!!ABC!def$> end",
     0,
     1,
     {"https://example.com/long/path"},
     {0},
     {PPTAP_SCAN_CTX_ANGLE},
     "Outlook: <https://example.com/long/path> end"},
    {"quoted-printable soft breaks and =3D",
     "click https://urldefense.proofpoint.com/v2/url?u=3Dhttp-3A__links.ex=\n"
     "ample.com_ctt-3Fkn-3D3-26ms-3DabcD&d=3DDwMFaQ&c=3Dabc&r=3Ddef&m=3Dghi&s=3Dj=\n"
     "kl&e=3D now.\n",
     0,
     1,
     {V2A_DEC},
     {1},
     {PPTAP_SCAN_CTX_TEXT},
     "click http://links.example.com/ctt?kn=3D3&ms=3DabcD now.\n"},
    {"quoted-printable v3 with a soft break before the bytes",
     "Or: https://urldefense.com/v3/__https://example.com/a?b=3D1&c=3D2*x__;=\n"
     "Iw!!ABCDEFG!Hijklmnop123$\n",
     0,
     1,
     {V3A_DEC},
     {1},
     {PPTAP_SCAN_CTX_TEXT},
     "Or: https://example.com/a?b=3D1&c=3D2#x\n"},
    {"entity split by a soft break",
     "<a href=3D\"https://urldefense.proofpoint.com/v2/url?u=3Dhttp-3A__a.example.com&amp=\n"
     ";d=3DDwMFaQ&amp;c=3Dx\">",
     0,
     1,
     {"http://a.example.com"},
     {1},
     {PPTAP_SCAN_CTX_ATTR_DQ},
     NULL},
    {"SafeLinks around v3",
     "see https://nam02.safelinks.protection.outlook.com/"
     "?url=https%3A%2F%2Furldefense.com%2Fv3%2F__https%3A%2F%2Fexample.com%2Fx%3Fa%3D1__%3B!!"
     "ABC!def%24&data=05%7C01&reserved=0 end",
     0,
     1,
     {"https://example.com/x?a=1"},
     {0},
     {PPTAP_SCAN_CTX_TEXT},
     "see https://example.com/x?a=1 end"},
    {"v3 around v2",
     "n: https://urldefense.com/v3/__https://urldefense.proofpoint.com/v2/"
     "url?u=http-3A__inner.example.com_p&d=DwMFaQ&c=a&r=b&m=c&s=d&e=__;!!ABC!def$ done",
     0,
     1,
     {"http://inner.example.com/p"},
     {0},
     {PPTAP_SCAN_CTX_TEXT},
     "n: http://inner.example.com/p done"},
    {"zero-width spaces between every character",
     "h" ZWSP "t" ZWSP "t" ZWSP "p" ZWSP "s" ZWSP ":" ZWSP "/" ZWSP "/" ZWSP "u" ZWSP "r" ZWSP
     "l" ZWSP "d" ZWSP "e" ZWSP "f" ZWSP "e" ZWSP "n" ZWSP "s" ZWSP "e" ZWSP ".com/v3/"
     "__https://zw.example.com/__;!!ABC!def$",
     0,
     1,
     {"https://zw.example.com/"},
     {0},
     {PPTAP_SCAN_CTX_TEXT},
     NULL},
    {"upper-case host, several links on one line",
     "HTTPS://URLDEFENSE.COM/v3/__https://up.example.com/__;!!ABC!def$ "
     "https://urldefense.com/v3/__https://a.com/__;!!A!b$,https://urldefense.com/v3/"
     "__https://b.com/__;!!A!b$",
     0,
     3,
     {"https://up.example.com/", "https://a.com/", "https://b.com/"},
     {0, 0, 0},
     {PPTAP_SCAN_CTX_TEXT, PPTAP_SCAN_CTX_TEXT, PPTAP_SCAN_CTX_TEXT},
     "https://up.example.com/ https://a.com/,https://b.com/"},
    {"broken link is reported and left alone",
     "x https://urldefense.com/v3/__broken y",
     0,
     1,
     {NULL},
     {0},
     {PPTAP_SCAN_CTX_TEXT},
     "x https://urldefense.com/v3/__broken y"},
    {"mentions of urldefense without a link",
     "urldefense is Proofpoint's; see urldefense.com or URLDefense docs.\n",
     0,
     0,
     {NULL},
     {0},
     {PPTAP_SCAN_CTX_TEXT},
     "urldefense is Proofpoint's; see urldefense.com or URLDefense docs.\n"},
    {"decoded control characters and quotes are escaped",
     "<a href=\"https://urldefense.com/v3/__https://e.com/*a*__;CiI!!A!b$\">",
     0,
     1,
     {"https://e.com/\na\""},
     {0},
     {PPTAP_SCAN_CTX_ATTR_DQ},
     "<a href=\"https://e.com/%0Aa&quot;\">"},
    {"a literal =3D in 8-bit text does not make the link quoted-printable",
     "x https://urldefense.com/v3/__https://e.com/?lang=13298&t=3DBK2Q__;!!A!b$ y",
     0,
     1,
     {"https://e.com/?lang=13298&t=3DBK2Q"},
     {0},
     {PPTAP_SCAN_CTX_TEXT},
     "x https://e.com/?lang=13298&t=3DBK2Q y"},
    {"soft line breaks inside the scheme and the host",
     "a htt=\nps://urlde=\nfense.com/v3/__https://e.com/x__;!!ABC!def$ b "
     "https://url=\r\ndefense.c=\n"
     "om/v3/__https://f.com/__;!!A!b$ c",
     0,
     2,
     {"https://e.com/x", "https://f.com/"},
     {1, 1},
     {PPTAP_SCAN_CTX_TEXT, PPTAP_SCAN_CTX_TEXT},
     "a https://e.com/x b https://f.com/ c"},
    {"a zero-width space in the middle of the host",
     "z https://urldef" ZWSP "ense.com/v3/__https://g.com/__;!!A!b$",
     0,
     1,
     {"https://g.com/"},
     {0},
     {PPTAP_SCAN_CTX_TEXT},
     "z https://g.com/"},
    {"v1 whose signature starts with 3d is not quoted-printable",
     "x https://urldefense.proofpoint.com/v1/url?u=https://forms.office.com/one/"
     "?ts=1&k=8cuI%3D%0A&r=%2FLw9%3D%0A&m=JxAa%3D%0A&s=3dabf6ccd63f53dd4cf04e8382bd378125ac y",
     0,
     1,
     {"https://forms.office.com/one/?ts=1"},
     {0},
     {PPTAP_SCAN_CTX_TEXT},
     "x https://forms.office.com/one/?ts=1 y"},
    {"no qp flag keeps =3D",
     "q https://urldefense.com/v3/__https://e.com/?a=3D1__;!!A!b$",
     PPTAP_SCAN_NO_QP,
     1,
     {"https://e.com/?a=3D1"},
     {0},
     {PPTAP_SCAN_CTX_TEXT},
     NULL},
};

typedef struct {
    const scan_case *c;
    int n;
    pptap_buf out;
    char decoded[4][256];
    int failed[4];
    int qp[4];
    pptap_scan_context ctx[4];
    uint64_t offsets[4];
} result;

static int on_link(const pptap_scan_link *l, void *payload)
{
    result *r = payload;
    if (r->n < 4) {
        if (l->decoded != NULL) {
            assert_true(l->decoded_len < sizeof(r->decoded[0]));
            memcpy(r->decoded[r->n], l->decoded, l->decoded_len);
            r->decoded[r->n][l->decoded_len] = '\0';
        }
        r->failed[r->n] = l->decoded == NULL;
        r->qp[r->n] = l->qp;
        r->ctx[r->n] = l->context;
        r->offsets[r->n] = l->offset;
    }
    r->n++;
    return 0;
}

static int on_write(const char *data, size_t len, void *payload)
{
    result *r = payload;
    return pptap_buf_put(&r->out, data, len);
}

static void run(const scan_case *c, unsigned extra, size_t piece, result *r)
{
    memset(r, 0, sizeof(*r));
    r->c = c;
    pptap_scan_opts o = {c->flags | extra, on_link, on_write, r};
    pptap_scanner *s;
    assert_int_equal(pptap_scanner_new(&s, &o), 0);
    size_t len = strlen(c->text), off = 0;
    while (off < len) {
        size_t k = piece == 0 ? len - off : (len - off < piece ? len - off : piece);
        assert_int_equal(pptap_scanner_feed(s, c->text + off, k), 0);
        off += k;
        if (piece > 1) {
            piece = piece % 13 + 1;
        }
    }
    assert_int_equal(pptap_scanner_finish(s), 0);
    uint64_t links, failed;
    pptap_scanner_counts(s, &links, &failed);
    assert_int_equal(links, (uint64_t)r->n);
    pptap_scanner_free(s);
}

static void check_case(const scan_case *c)
{
    static const size_t pieces[] = {0, 1, 5};
    for (size_t p = 0; p < sizeof(pieces) / sizeof(pieces[0]); p++) {
        for (int mode = 0; mode < 2; mode++) {
            result r;
            run(c, mode ? PPTAP_SCAN_REWRITE : 0, pieces[p], &r);
            if (r.n != c->nlinks) {
                fail_msg("%s (piece %zu): %d links, want %d", c->name, pieces[p], r.n, c->nlinks);
            }
            for (int i = 0; i < c->nlinks && i < 4; i++) {
                if (c->decoded[i] == NULL) {
                    assert_true(r.failed[i]);
                } else {
                    assert_false(r.failed[i]);
                    assert_string_equal(r.decoded[i], c->decoded[i]);
                }
                assert_int_equal(r.qp[i], c->qp[i]);
                assert_int_equal(r.ctx[i], c->ctx[i]);
            }
            if (mode == 1 && c->rewritten != NULL) {
                assert_non_null(r.out.ptr);
                assert_string_equal(r.out.ptr, c->rewritten);
            }
            if (mode == 1 && c->nlinks == 0) {
                assert_int_equal(r.out.len, strlen(c->text));
            }
            pptap_buf_dispose(&r.out);
        }
    }
}

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        check_case(&cases[i]);
    }
}

/* Offsets are stream offsets, also across window compactions. */
static void test_offsets_in_large_stream(void **state)
{
    (void)state;
    size_t filler = 3u << 20; /* larger than the scanner's window */
    size_t link = strlen(V3A);
    size_t total = filler + link + 1 + filler + link;
    char *text = malloc(total + 1);
    assert_non_null(text);
    for (size_t i = 0; i < filler; i++) {
        text[i] = (char)("abcdefghij klmnopqrstuvw\n"[i % 25]);
    }
    memcpy(text + filler, V3A, link);
    text[filler + link] = ' ';
    memcpy(text + filler + link + 1, text, filler);
    memcpy(text + 2 * filler + link + 1, V3A, link);
    text[total] = '\0';

    size_t pieces[] = {0, 4093, 65536};
    for (size_t p = 0; p < 3; p++) {
        result r;
        memset(&r, 0, sizeof(r));
        pptap_scan_opts o = {PPTAP_SCAN_REWRITE, on_link, on_write, &r};
        pptap_scanner *s;
        assert_int_equal(pptap_scanner_new(&s, &o), 0);
        size_t off = 0;
        while (off < total) {
            size_t k = pieces[p] == 0 ? total - off : pieces[p];
            if (k > total - off) {
                k = total - off;
            }
            assert_int_equal(pptap_scanner_feed(s, text + off, k), 0);
            off += k;
        }
        assert_int_equal(pptap_scanner_finish(s), 0);
        pptap_scanner_free(s);
        assert_int_equal(r.n, 2);
        assert_int_equal(r.offsets[0], filler);
        assert_int_equal(r.offsets[1], 2 * filler + link + 1);
        assert_string_equal(r.decoded[1], V3A_DEC);
        size_t dl = strlen(V3A_DEC);
        assert_int_equal(r.out.len, total - 2 * link + 2 * dl);
        assert_memory_equal(r.out.ptr, text, filler);
        assert_memory_equal(r.out.ptr + filler, V3A_DEC, dl);
        pptap_buf_dispose(&r.out);
    }
    free(text);
}

/* A link longer than the scanner follows is cut, never overflows. */
static void test_overlong_link(void **state)
{
    (void)state;
    size_t n = PPTAP_SCAN_MAX_LINK * 3;
    char *text = malloc(n + 1);
    assert_non_null(text);
    const char *head = "https://urldefense.com/v3/__https://e.com/";
    memcpy(text, head, strlen(head));
    memset(text + strlen(head), 'a', n - strlen(head));
    text[n] = '\0';
    result r;
    memset(&r, 0, sizeof(r));
    pptap_scan_opts o = {PPTAP_SCAN_REWRITE, on_link, on_write, &r};
    pptap_scanner *s;
    assert_int_equal(pptap_scanner_new(&s, &o), 0);
    assert_int_equal(pptap_scanner_feed(s, text, n), 0);
    assert_int_equal(pptap_scanner_finish(s), 0);
    pptap_scanner_free(s);
    assert_int_equal(r.n, 1);
    assert_true(r.failed[0]);
    assert_int_equal(r.out.len, n); /* failed links are written back unchanged */
    assert_memory_equal(r.out.ptr, text, n);
    pptap_buf_dispose(&r.out);
    free(text);
}

static int stop_on_link(const pptap_scan_link *l, void *payload)
{
    (void)l;
    (*(int *)payload)++;
    return 1;
}

static void test_callback_stops_scan(void **state)
{
    (void)state;
    int calls = 0;
    pptap_scan_opts o = {0, stop_on_link, NULL, &calls};
    pptap_scanner *s;
    assert_int_equal(pptap_scanner_new(&s, &o), 0);
    const char *t = V3A " " V3A;
    assert_int_equal(pptap_scanner_feed(s, t, strlen(t)), PPTAP_ECANCELED);
    assert_int_equal(pptap_scanner_finish(s), PPTAP_ECANCELED);
    assert_int_equal(calls, 1);
    pptap_scanner_free(s);
}

static void test_bad_options_and_alloc_failure(void **state)
{
    (void)state;
    pptap_scanner *s = (pptap_scanner *)1;
    pptap_scan_opts rewrite_without_writer = {PPTAP_SCAN_REWRITE, NULL, NULL, NULL};
    assert_int_equal(pptap_scanner_new(&s, &rewrite_without_writer), PPTAP_EINVAL);
    assert_null(s);
    pptap_scan_opts both_qp = {PPTAP_SCAN_QP | PPTAP_SCAN_NO_QP, NULL, NULL, NULL};
    assert_int_equal(pptap_scanner_new(&s, &both_qp), PPTAP_EINVAL);
    assert_int_equal(pptap_scanner_new(&s, NULL), PPTAP_EINVAL);

    /* Every allocation of pptap_scanner_new failing in turn gives ENOMEM, no leak. */
    pptap_scan_opts ok = {0, NULL, NULL, NULL};
    for (unsigned long n = 1; n <= 6; n++) {
        pptap__alloc_fail_at(n);
        assert_int_equal(pptap_scanner_new(&s, &ok), PPTAP_ENOMEM);
        assert_null(s);
    }
    pptap__alloc_fail_at(0);
    assert_int_equal(pptap_scanner_new(&s, &ok), 0);
    pptap_scanner_free(s);
    pptap_scanner_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_offsets_in_large_stream),
        cmocka_unit_test(test_overlong_link),
        cmocka_unit_test(test_callback_stops_scan),
        cmocka_unit_test(test_bad_options_and_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
