/*
 * A JSON reader that builds jansson values faster than json_loadb() for the
 * normalizer's event records. Not installed.
 */
#ifndef PPTAP_JSONPARSE_H
#define PPTAP_JSONPARSE_H

#include <stddef.h>

#include <jansson.h>

#include <pptap/common.h>

#define PPTAP__JSON_ERR_LEN 160

/*
 * Parses s[0..n) as one JSON object or array followed only by white space,
 * accepting and refusing what json_loadb(s, n, 0, ...) does and building
 * equal values: strings must be valid UTF-8 without control characters or
 * \u0000, surrogate escapes must pair, integers must fit a json_int_t and
 * reals a double, nesting stops at JSON_PARSER_MAX_DEPTH, a repeated key
 * keeps its last value. Returns 0 with *out set, PPTAP_EPROTO with the reason
 * in err and its 1-based line in *line, or PPTAP_ENOMEM.
 */
int pptap__json_parse(json_t **out, const char *s, size_t n, char err[PPTAP__JSON_ERR_LEN],
                      size_t *line);

#endif
