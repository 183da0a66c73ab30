/*
 * pptap-sim — growable buffers and a small streaming JSON writer.
 *
 * The writer reproduces the TAP API's spacing ({"key" : value, "key2" : value}),
 * which jansson cannot, and in key=value mode flattens the same calls into the
 * ` path="value"` pairs of the simulator's syslog lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

void sim_buf_put(sim_buf *b, const void *data, size_t len)
{
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len + 1) {
            cap *= 2;
        }
        char *p = realloc(b->ptr, cap);
        if (p == NULL) {
            fprintf(stderr, "pptap-sim: out of memory\n");
            abort();
        }
        b->ptr = p;
        b->cap = cap;
    }
    if (len > 0) {
        memcpy(b->ptr + b->len, data, len);
    }
    b->len += len;
    b->ptr[b->len] = '\0';
}

void sim_buf_puts(sim_buf *b, const char *s)
{
    sim_buf_put(b, s, strlen(s));
}

void sim_buf_printf(sim_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    if ((size_t)n < sizeof small) {
        sim_buf_put(b, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (big == NULL) {
        abort();
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sim_buf_put(b, big, (size_t)n);
    free(big);
}

void sim_buf_reset(sim_buf *b)
{
    b->len = 0;
    if (b->ptr) {
        b->ptr[0] = '\0';
    }
}

void sim_buf_dispose(sim_buf *b)
{
    free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
}

/* ---------------------------------------------------------------------- */

void sim_jw_init(sim_jw *w, sim_buf *b, int kv)
{
    memset(w, 0, sizeof *w);
    w->b = b;
    w->kv = kv;
}

/* Writes the separator before a value, and in kv mode the path of the value. */
static void before_value(sim_jw *w)
{
    if (w->kv) {
        if (w->depth > 0 && w->is_arr[w->depth - 1]) {
            snprintf(w->key, sizeof w->key, "%d", w->index[w->depth - 1]++);
        }
        return;
    }
    if (w->pending_key) {
        w->pending_key = 0;
        return;
    }
    if (w->depth > 0 && w->is_arr[w->depth - 1]) {
        if (!w->first[w->depth - 1]) {
            sim_buf_put(w->b, ", ", 2);
        }
        w->first[w->depth - 1] = 0;
    }
}

/* In kv mode, writes " path=" for the current scalar. */
static void kv_name(sim_jw *w)
{
    sim_buf_put(w->b, " ", 1);
    for (int i = 1; i < w->depth; i++) {
        sim_buf_puts(w->b, w->path[i]);
        sim_buf_put(w->b, ".", 1);
    }
    sim_buf_puts(w->b, w->key);
    sim_buf_put(w->b, "=", 1);
}

static void push(sim_jw *w, int arr)
{
    if (w->depth >= SIM_JW_DEPTH) {
        abort();
    }
    w->first[w->depth] = 1;
    w->is_arr[w->depth] = arr;
    w->index[w->depth] = 0;
    snprintf(w->path[w->depth], sizeof w->path[0], "%s", w->key);
    w->depth++;
}

void sim_jw_obj(sim_jw *w)
{
    before_value(w);
    if (!w->kv) {
        sim_buf_put(w->b, "{", 1);
    }
    push(w, 0);
}

void sim_jw_obj_end(sim_jw *w)
{
    w->depth--;
    if (!w->kv) {
        sim_buf_put(w->b, "}", 1);
    }
}

void sim_jw_arr(sim_jw *w)
{
    before_value(w);
    if (!w->kv) {
        sim_buf_put(w->b, "[", 1);
    }
    push(w, 1);
}

void sim_jw_arr_end(sim_jw *w)
{
    w->depth--;
    if (!w->kv) {
        sim_buf_put(w->b, "]", 1);
    }
}

void sim_jw_key(sim_jw *w, const char *key)
{
    if (w->kv) {
        snprintf(w->key, sizeof w->key, "%s", key);
        return;
    }
    if (!w->first[w->depth - 1]) {
        sim_buf_put(w->b, ", ", 2);
    }
    w->first[w->depth - 1] = 0;
    sim_buf_put(w->b, "\"", 1);
    sim_buf_puts(w->b, key);
    sim_buf_put(w->b, "\" : ", 4);
    w->pending_key = 1;
}

/* 1 for the bytes JSON strings (and kv values) escape; 2 for those escaped in HTML-safe mode. */
static const unsigned char must_escape[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,         1,          1,         1,         1,        1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, ['"'] = 1, ['\\'] = 1, ['&'] = 2, ['<'] = 2, ['>'] = 2};

static void escaped(sim_buf *b, const char *s, size_t n, int kv, int html)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        unsigned e = must_escape[c];
        if (e == 0 || (e == 2 && !html)) {
            continue;
        }
        const char *rep;
        char tmp[8];
        if (c == '"') {
            rep = "\\\"";
        } else if (c == '\\') {
            rep = "\\\\";
        } else if (c == '\n') {
            rep = "\\n";
        } else if (c == '\r') {
            rep = "\\r";
        } else if (c == '\t') {
            rep = "\\t";
        } else {
            snprintf(tmp, sizeof tmp, (kv && c < 0x20) ? "\\x%02x" : "\\u%04x", c);
            rep = tmp;
        }
        sim_buf_put(b, s + run, i - run);
        sim_buf_puts(b, rep);
        run = i + 1;
    }
    sim_buf_put(b, s + run, n - run);
}

void sim_jw_strn(sim_jw *w, const char *s, size_t n)
{
    before_value(w);
    if (w->kv) {
        kv_name(w);
    }
    sim_buf_put(w->b, "\"", 1);
    escaped(w->b, s, n, w->kv, w->html_escape);
    sim_buf_put(w->b, "\"", 1);
}

void sim_jw_str(sim_jw *w, const char *s)
{
    sim_jw_strn(w, s, strlen(s));
}

void sim_jw_str_or_null(sim_jw *w, const char *s)
{
    if (s == NULL) {
        sim_jw_null(w);
    } else {
        sim_jw_str(w, s);
    }
}

static void raw_scalar(sim_jw *w, const char *text)
{
    before_value(w);
    if (w->kv) {
        kv_name(w);
    }
    sim_buf_puts(w->b, text);
}

void sim_jw_int(sim_jw *w, int64_t v)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    raw_scalar(w, tmp);
}

void sim_jw_double(sim_jw *w, double v, int decimals)
{
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.*f", decimals, v);
    raw_scalar(w, tmp);
}

void sim_jw_bool(sim_jw *w, int v)
{
    raw_scalar(w, v ? "true" : "false");
}

void sim_jw_null(sim_jw *w)
{
    if (w->kv) {
        /* Nulls are left out of key=value lines. */
        before_value(w);
        return;
    }
    raw_scalar(w, "null");
}

void sim_jw_time_ms(sim_jw *w, pptap_time_ms t)
{
    char tmp[PPTAP_TIME_STRLEN];
    pptap_time_format_ms(tmp, t);
    sim_jw_str(w, tmp);
}

void sim_jw_time_s(sim_jw *w, pptap_time_ms t)
{
    char tmp[PPTAP_TIME_STRLEN];
    pptap_time_format(tmp, t);
    sim_jw_str(w, tmp);
}

void sim_jw_kstr(sim_jw *w, const char *key, const char *s)
{
    sim_jw_key(w, key);
    sim_jw_str_or_null(w, s);
}

void sim_jw_kint(sim_jw *w, const char *key, int64_t v)
{
    sim_jw_key(w, key);
    sim_jw_int(w, v);
}
