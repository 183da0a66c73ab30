/*
 * Fuzz target: the text scanner in list and rewrite modes, fed in uneven
 * pieces; every reported link must lie inside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pptap/urldefense.h>

typedef struct {
    size_t size;
    size_t written;
    uint64_t last_end;
} state;

static int on_link(const pptap_scan_link *l, void *payload)
{
    state *st = payload;
    if (l->offset + l->raw_len > st->size || l->offset < st->last_end) {
        abort();
    }
    st->last_end = l->offset + l->raw_len;
    if ((l->decoded == NULL) != (l->result.status != PPTAP_URLDEF_OK)) {
        abort();
    }
    return 0;
}

static int on_write(const char *data, size_t len, void *payload)
{
    state *st = payload;
    (void)data;
    st->written += len;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (unsigned mode = 0; mode < 3; mode++) {
        state st = {size, 0, 0};
        unsigned flags = mode == 1 ? PPTAP_SCAN_REWRITE : mode == 2 ? PPTAP_SCAN_QP : 0;
        pptap_scan_opts o = {flags, on_link, on_write, &st};
        pptap_scanner *s;
        if (pptap_scanner_new(&s, &o) != 0) {
            return 0;
        }
        size_t off = 0, piece = 1;
        while (off < size) {
            size_t k = size - off < piece ? size - off : piece;
            if (pptap_scanner_feed(s, (const char *)data + off, k) != 0) {
                abort();
            }
            off += k;
            piece = piece * 3 + 1;
        }
        if (pptap_scanner_finish(s) != 0) {
            abort();
        }
        /* Rewriting with nothing found must give the input back unchanged. */
        uint64_t links;
        pptap_scanner_counts(s, &links, NULL);
        if (mode == 1 && links == 0 && st.written != size) {
            abort();
        }
        pptap_scanner_free(s);
    }
    return 0;
}
