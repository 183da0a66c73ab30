/*
 * Fuzz target: the normalizer (pptap normalize's input path) and the
 * formatters behind it. The first byte picks a chunk size, the format (raw
 * or ECS) and whether bare events have a type; the rest is fed in pieces of
 * that size and again in one piece. Both runs must write the same lines,
 * report the same refusals (line and text) and count the same; every line
 * must end in its only '\n' and be one JSON object.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pptap/normalize.h>

typedef struct {
    pptap_buf lines;
    pptap_buf errors;
} sink;

static int on_line(const char *line, size_t len, void *payload)
{
    sink *s = payload;
    if (len == 0 || line[len - 1] != '\n' || memchr(line, '\n', len - 1) != NULL) {
        abort();
    }
    json_error_t je;
    json_t *doc = json_loadb(line, len, 0, &je);
    if (doc == NULL || !json_is_object(doc)) {
        fprintf(stderr, "not a JSON object (%s): %.*s", je.text, (int)len, line);
        abort();
    }
    json_decref(doc);
    if (pptap_buf_put(&s->lines, line, len) != 0) {
        abort();
    }
    return 0;
}

static void on_error(uint64_t line, const char *msg, void *payload)
{
    sink *s = payload;
    char head[32];
    int n = snprintf(head, sizeof head, "%llu: ", (unsigned long long)line);
    if (line == 0 || pptap_buf_put(&s->errors, head, (size_t)n) != 0 ||
        pptap_buf_put(&s->errors, msg, strlen(msg)) != 0 || pptap_buf_put(&s->errors, "\n", 1)) {
        abort();
    }
}

static void run(const char *data, size_t size, size_t chunk, const pptap_normalize_opts *base,
                sink *s, pptap_normalize_stats *st)
{
    pptap_normalize_opts o = *base;
    o.on_line = on_line;
    o.on_error = on_error;
    o.payload = s;
    o.max_record = 4096;
    pptap_normalizer *n;
    if (pptap_normalizer_new(&n, &o) != 0) {
        abort();
    }
    for (size_t i = 0; i < size; i += chunk) {
        if (pptap_normalizer_feed(n, data + i, size - i < chunk ? size - i : chunk) != 0) {
            abort();
        }
    }
    if (pptap_normalizer_finish(n) != 0) {
        abort();
    }
    pptap_normalizer_stats(n, st);
    pptap_normalizer_free(n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    unsigned sel = data[0];
    pptap_normalize_opts o;
    memset(&o, 0, sizeof o);
    o.format = (sel & 0x80) ? PPTAP_EVENTFMT_RAW : PPTAP_EVENTFMT_ECS;
    o.type_given = (sel & 0x40) != 0;
    o.type = (pptap_event_type)((sel >> 4) & 3);
    size_t chunk = (size_t)(sel & 0x0F) + 1;
    const char *in = (const char *)data + 1;
    size--;

    sink a = {PPTAP_BUF_INIT, PPTAP_BUF_INIT}, b = {PPTAP_BUF_INIT, PPTAP_BUF_INIT};
    pptap_normalize_stats sa, sb;
    run(in, size, chunk, &o, &a, &sa);
    run(in, size, size ? size : 1, &o, &b, &sb);
    if (a.lines.len != b.lines.len || a.errors.len != b.errors.len ||
        (a.lines.len && memcmp(a.lines.ptr, b.lines.ptr, a.lines.len) != 0) ||
        (a.errors.len && memcmp(a.errors.ptr, b.errors.ptr, a.errors.len) != 0) ||
        memcmp(&sa, &sb, sizeof sa) != 0) {
        fprintf(stderr, "chunked:\n%s%s\nwhole:\n%s%s\n", a.lines.ptr ? a.lines.ptr : "",
                a.errors.ptr ? a.errors.ptr : "", b.lines.ptr ? b.lines.ptr : "",
                b.errors.ptr ? b.errors.ptr : "");
        abort();
    }
    if (sa.events == 0 && a.lines.len != 0) {
        abort();
    }
    pptap_buf_dispose(&a.lines);
    pptap_buf_dispose(&a.errors);
    pptap_buf_dispose(&b.lines);
    pptap_buf_dispose(&b.errors);
    return 0;
}
