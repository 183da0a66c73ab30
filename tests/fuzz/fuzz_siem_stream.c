/*
 * Fuzz target: the incremental SIEM splitter. The first byte picks a chunk
 * size; the rest is fed in pieces of that size and again in one piece.
 * Both runs must agree (result and events delivered), and a document the
 * splitter accepts must be a JSON object for jansson too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pptap/tap.h>

static int count(pptap_event_type type, json_t *event, void *payload)
{
    if ((unsigned)type >= PPTAP_EVENT_COUNT_ || !json_is_object(event)) {
        abort();
    }
    (*(size_t *)payload)++;
    return 0;
}

static int run(const char *data, size_t size, size_t chunk, size_t *n)
{
    pptap_splitter *s;
    *n = 0;
    if (pptap_splitter_new(&s, 4096, count, n) != 0) {
        abort();
    }
    int rc = 0;
    for (size_t i = 0; i < size && rc == 0; i += chunk) {
        rc = pptap_splitter_feed(s, data + i, size - i < chunk ? size - i : chunk);
    }
    if (rc == 0) {
        rc = pptap_splitter_finish(s);
    }
    if (pptap_splitter_delivered(s) != *n) {
        abort();
    }
    pptap_splitter_free(s);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    size_t chunk = (size_t)data[0] % 17 + 1;
    const char *doc = (const char *)data + 1;
    size--;
    size_t n1, n2;
    int rc1 = run(doc, size, chunk, &n1);
    int rc2 = run(doc, size, size ? size : 1, &n2);
    if (rc1 != rc2 || n1 != n2) {
        abort();
    }
    if (rc1 == 0 && size < 60000) {
        json_error_t je;
        json_t *j = json_loadb(doc, size, 0, &je);
        if (j == NULL || !json_is_object(j)) {
            abort();
        }
        json_decref(j);
    }
    return 0;
}
