/*
 * Internals of the TAP client modules (client.c, tap.c, tap_model.c,
 * siem_stream.c, settings.c). Not installed.
 */
#ifndef PPTAP_TAP_INTERNAL_H
#define PPTAP_TAP_INTERNAL_H

#include <stdarg.h>

#include <pptap/client.h>
#include <pptap/tap.h>

#include "internal.h"

/* ---- client.c ---- */

/* Where a 2xx response body goes. `write` returns 0 or a PPTAP_E* code (the
 * transfer stops); `reset` prepares for a retry and returns 0 when a retry
 * is allowed (nothing irrevocable was delivered yet). */
typedef struct {
    int (*write)(void *ctx, const char *data, size_t len);
    int (*reset)(void *ctx);
    void *ctx;
} pptap__sink;

/* Performs one API request with the retry rule. `path_query` starts with "/".
 * Returns 0 on 2xx or a PPTAP_E* code with the message set on `c`. */
int pptap_client__request(pptap_client *c, pptap_endpoint ep, const char *method,
                          const char *path_query, const char *post, size_t post_len,
                          pptap__sink *sink);

/* Sets the handle's error message (printf-style) and returns `err`. */
int pptap_client__fail(pptap_client *c, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears the handle's error message. */
void pptap_client__clear_error(pptap_client *c);

size_t pptap_client__max_body(const pptap_client *c);
size_t pptap_client__max_event(const pptap_client *c);
size_t pptap_client__decode_batch(const pptap_client *c);

/* A sink into a pptap_buf with a cap; reset empties it back to `base`. */
typedef struct {
    pptap_buf *buf;
    size_t base;
    size_t cap;
} pptap__bufsink;
void pptap__bufsink_init(pptap__sink *sink, pptap__bufsink *bs, pptap_buf *buf, size_t cap);

/* Base64 (standard alphabet, padded) of `len` bytes, appended to `out`. */
int pptap__base64(pptap_buf *out, const unsigned char *in, size_t len);

/* ---- tap.c: request paths (for tests) ---- */

int pptap_tap__siem_path(pptap_buf *out, const pptap_siem_query *q, pptap_time_ms now,
                         char err[PPTAP_ERRMSG_LEN]);
int pptap_tap__campaign_ids_path(pptap_buf *out, const pptap_campaign_ids_query *q,
                                 pptap_time_ms now, char err[PPTAP_ERRMSG_LEN]);
int pptap_tap__forensics_path(pptap_buf *out, const pptap_forensics_query *q,
                              char err[PPTAP_ERRMSG_LEN]);
int pptap_tap__id_path(pptap_buf *out, const char *prefix, const char *what, const char *id,
                       char err[PPTAP_ERRMSG_LEN]);
int pptap_tap__people_path(pptap_buf *out, pptap_endpoint ep, const pptap_people_query *q,
                           char err[PPTAP_ERRMSG_LEN]);
const char *pptap_tap__endpoint_path(pptap_endpoint ep);

/* ---- tap_model.c ---- */

/* A list of zeroed allocations freed together. */
typedef struct pptap__arena {
    void *head;
} pptap__arena;

void *pptap__arena_alloc(pptap__arena *a, size_t n);
void pptap__arena_free(pptap__arena *a);

/* Parses `body` into a JSON object (PPTAP_EPROTO when it is not one). */
int pptap__load_object(json_t **out, const char *body, size_t len, char *err, size_t errlen);

/* Builders from an already parsed document (which the result takes). */
int pptap__siem_from_json(pptap_siem_result **out, json_t *doc);
int pptap__url_decode_from_json(pptap_url_decode_result **out, json_t *doc);

#endif
