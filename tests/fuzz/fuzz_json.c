/*
 * Fuzz target: pptap__json_parse() against jansson's json_loadb(). Both must
 * accept or refuse the same input (but for one jansson quirk, below), and an
 * accepted document must be the same value with its keys in the same order
 * (compared as compact JSON).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *want = json_loadb((const char *)data, size, 0, &je);
    json_t *got = NULL;
    char err[PPTAP__JSON_ERR_LEN];
    size_t line;
    int rc = pptap__json_parse(&got, (const char *)data, size, err, &line);
    /* jansson drops a NUL byte that follows a number or a literal ("[1\0]" is
     * [1]: its stream loses an unread NUL); pptap refuses NUL outside strings
     * as JSON does. Only that difference is allowed. */
    int nul_quirk = want != NULL && rc == PPTAP_EPROTO && memchr(data, 0, size) != NULL;
    if (nul_quirk) {
        json_decref(want);
        return 0;
    }
    if ((want == NULL) != (rc != 0)) {
        fprintf(stderr, "jansson: %s; pptap: %s\n", want ? "accepted" : je.text,
                rc ? err : "accepted");
        abort();
    }
    if (rc != 0 && (rc != PPTAP_EPROTO || line == 0 || err[0] == '\0')) {
        abort();
    }
    if (want != NULL) {
        char *a = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
        char *b = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
        if (a == NULL || b == NULL || strcmp(a, b) != 0 || !json_equal(want, got)) {
            fprintf(stderr, "jansson: %s\npptap:   %s\n", a, b);
            abort();
        }
        free(a);
        free(b);
    }
    json_decref(want);
    json_decref(got);
    return 0;
}
