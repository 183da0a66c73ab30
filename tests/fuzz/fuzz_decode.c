/*
 * Fuzz target: the URL Defense decoder, with a tight and a roomy output
 * buffer; checks the documented size contract and re-encoding round trips.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pptap/urldefense.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t cap = PPTAP_URLDEF_DECODE_MAX(size);
    char *out = malloc(cap);
    if (out == NULL) {
        return 0;
    }
    pptap_urldef_result r;
    int rc = pptap_urldef_decode(&r, out, cap, (const char *)data, size);
    if (rc == PPTAP_EBUFS) {
        abort(); /* DECODE_MAX must always suffice */
    }
    if (rc == 0) {
        if (r.len > cap) {
            abort();
        }
        /* A short buffer must give EBUFS with a size that suffices. */
        if (r.len > 0) {
            char *small = malloc(r.len - 1 ? r.len - 1 : 1);
            pptap_urldef_result r2;
            if (small != NULL) {
                int rc2 = pptap_urldef_decode(&r2, small, r.len - 1, (const char *)data, size);
                if (rc2 != PPTAP_EBUFS || r2.len < r.len) {
                    abort();
                }
                free(small);
            }
        }
        /* Whatever decoded re-encodes and decodes back to the same bytes. */
        size_t ecap = PPTAP_URLDEF_ENCODE_MAX(r.len);
        char *enc = malloc(ecap);
        char *back = malloc(PPTAP_URLDEF_DECODE_MAX(ecap));
        for (int v = 2; enc && back && r.len > 0 && v <= 3; v++) {
            size_t elen;
            if (pptap_urldef_encode(&elen, enc, ecap, v, out, r.len, NULL) != 0) {
                abort();
            }
            pptap_urldef_result r3;
            if (pptap_urldef_decode(&r3, back, PPTAP_URLDEF_DECODE_MAX(ecap), enc, elen) != 0 ||
                r3.len != r.len || memcmp(back, out, r.len) != 0) {
                abort();
            }
        }
        free(enc);
        free(back);
    } else if (rc != PPTAP_EDECODE) {
        abort();
    }
    free(out);
    return 0;
}
