/*
 * Unit tests: pptap__json_parse(), the normalizer's JSON reader. Each case
 * is read by it and by jansson's json_loadb(): both accept with the same
 * value and key order, or both refuse (with a line number for pptap's).
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
#include "jsonparse.h"

typedef struct {
    const char *text;
    size_t len; /* 0: strlen */
    int ok;
    size_t line; /* of the error */
} parse_case;

static const parse_case cases[] = {
    {"{}", 0, 1, 0},
    {" \n\t[ ]\r\n", 0, 1, 0},
    {"{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}", 0, 1, 0},
    {"{\"b\":1,\"a\":2,\"b\":3}", 0, 1, 0}, /* the last value, first position */
    {"[0,-0,1,-1,9223372036854775807,-9223372036854775808]", 0, 1, 0},
    {"[0.0,-0.0,1.5,2e3,2E+3,2e-3,1e-400,123456789.123456789]", 0, 1, 0},
    {"[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]", 0, 1, 0},
    {"[\"\\u00e9\\u65e5\\ud83d\\ude00 caf\xC3\xA9 \xF0\x9F\x93\x8E\"]", 0, 1, 0},
    {"{\"k\\u00e9y\":{\"k\\u00e9y\":\"v\"}}", 0, 1, 0}, /* escaped keys, nested */
    {"[\"a long string of more than eight plain bytes, several times over......\"]", 0, 1, 0},
    {"[9223372036854775808]", 0, 0, 1},
    {"[-9223372036854775809]", 0, 0, 1},
    {"[1e400]", 0, 0, 1},
    {"[01]", 0, 0, 1},
    {"[1.]", 0, 0, 1},
    {"[.5]", 0, 0, 1},
    {"[1e]", 0, 0, 1},
    {"[-]", 0, 0, 1},
    {"[+1]", 0, 0, 1},
    {"[tru]", 0, 0, 1},
    {"[nul]", 0, 0, 1},
    {"[\"\\ud800\"]", 0, 0, 1},
    {"[\"\\udc00\"]", 0, 0, 1},
    {"[\"\\ud800\\u0041\"]", 0, 0, 1},
    {"[\"\\u0000\"]", 0, 0, 1},
    {"[\"\\x\"]", 0, 0, 1},
    {"[\"\\u12\"]", 0, 0, 1},
    {"[\"a\tb\"]", 0, 0, 1},
    {"[\"\xED\xA0\x80\"]", 0, 0, 1}, /* an encoded surrogate */
    {"[\"\xC0\xAF\"]", 0, 0, 1},     /* overlong */
    {"[\"\xF4\x90\x80\x80\"]", 0, 0, 1},
    {"[\"abc", 0, 0, 1},
    {"{\"a\" 1}", 0, 0, 1},
    {"{\"a\":1,}", 0, 0, 1},
    {"{1:2}", 0, 0, 1},
    {"[1,]", 0, 0, 1},
    {"[1 2]", 0, 0, 1},
    {"{\"a\":1}\n{\"b\":2}", 0, 0, 2},
    {"\"just a string\"", 0, 0, 1},
    {"", 0, 0, 1},
    {"{\n\"a\":\n[1,\n2,\nx]}", 0, 0, 5},
    {"[1]\0", 4, 0, 1},
};

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const parse_case *c = &cases[i];
        size_t len = c->len ? c->len : strlen(c->text);
        json_error_t je;
        json_t *want = json_loadb(c->text, len, 0, &je);
        json_t *got = NULL;
        char err[PPTAP__JSON_ERR_LEN];
        size_t line;
        int rc = pptap__json_parse(&got, c->text, len, err, &line);
        if (c->ok) {
            if (rc != 0) {
                fail_msg("case %zu refused: %s", i, err);
            }
            assert_non_null(want);
            char *a = json_dumps(want, JSON_COMPACT);
            char *b = json_dumps(got, JSON_COMPACT);
            if (strcmp(a, b) != 0) {
                fail_msg("case %zu: jansson %s, pptap %s", i, a, b);
            }
            free(a);
            free(b);
        } else {
            if (rc != PPTAP_EPROTO) {
                fail_msg("case %zu accepted: %s", i, c->text);
            }
            assert_null(want);
            assert_true(err[0] != '\0');
            if (line != c->line) {
                fail_msg("case %zu: error on line %zu, want %zu (%s)", i, line, c->line, err);
            }
        }
        json_decref(want);
        json_decref(got);
    }
}

static void test_depth(void **state)
{
    (void)state;
    char *deep = malloc(2 * 3000 + 1);
    for (int n = 2040; n <= 2060; n += 20) {
        size_t len = 0;
        for (int i = 0; i < n; i++) {
            deep[len++] = '[';
        }
        for (int i = 0; i < n; i++) {
            deep[len++] = ']';
        }
        json_error_t je;
        json_t *want = json_loadb(deep, len, 0, &je);
        json_t *got = NULL;
        char err[PPTAP__JSON_ERR_LEN];
        size_t line;
        int rc = pptap__json_parse(&got, deep, len, err, &line);
        assert_int_equal(rc == 0, want != NULL);
        json_decref(want);
        json_decref(got);
    }
    free(deep);
}

static void test_alloc_failures(void **state)
{
    (void)state;
    /* escaped strings and keys go through pptap's allocator */
    static const char text[] = "{\"k\\u00e9\":[\"\\n\\u00e9\",{\"x\\t\":\"y\\r\"}]}";
    int failed = 0;
    for (unsigned long n = 1; n < 20; n++) {
        json_t *got = NULL;
        char err[PPTAP__JSON_ERR_LEN];
        size_t line;
        pptap__alloc_fail_at(n);
        int rc = pptap__json_parse(&got, text, sizeof text - 1, err, &line);
        pptap__alloc_fail_at(0);
        assert_true(rc == 0 || rc == PPTAP_ENOMEM);
        failed += rc != 0;
        json_decref(got);
    }
    assert_true(failed > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
