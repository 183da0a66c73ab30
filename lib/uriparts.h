/*
 * URL pieces as Elasticsearch's ingest processors compute them, for the ECS
 * format: `uri_parts` (java.net.URI, falling back to java.net.URL) and
 * `urldecode` (java.net.URLDecoder). Not installed.
 */
#ifndef PPTAP_URIPARTS_H
#define PPTAP_URIPARTS_H

#include <stddef.h>

#include <pptap/common.h>

/* A piece of a URL; p == NULL when absent. */
typedef struct {
    const char *p;
    size_t n;
} pptap__piece;

typedef struct {
    pptap__piece scheme, domain, path, extension, query, fragment, user_info, username, password;
    long port; /* -1 when absent */
} pptap__uri_parts;

/*
 * Splits s[0..n) as uri_parts does: with java.net.URI's grammar (RFC 2396
 * with Java's deviations; path, query, fragment and user info
 * percent-decoded, invalid UTF-8 as U+FFFD; no host for a registry-based
 * authority), or, when that refuses the text, java.net.URL's (pieces as
 * written; known protocols only). Pieces point into s or into `scratch`,
 * which needs n bytes. Returns 0, or PPTAP_EINVAL when neither parses.
 */
int pptap__uri_parts_parse(pptap__uri_parts *out, const char *s, size_t n, char *scratch);

/*
 * Appends s[0..n) decoded as URLDecoder.decode(s, UTF_8) does: '+' is a
 * space, runs of %XX are UTF-8 bytes (a malformed sequence becomes U+FFFD).
 * Returns 0, PPTAP_EINVAL for a '%' without two hex digits (out is then as
 * it was), or PPTAP_ENOMEM.
 */
int pptap__url_decode_form(pptap_buf *out, const char *s, size_t n);

#endif
