/*
 * The ECS format: one TAP SIEM event as the document Elastic's
 * proofpoint_tap integration (ingest pipelines of package 1.19 to 1.22,
 * ecs.version 8.11.0) makes of it, so that Elastic's dashboards and queries
 * written for that integration work on pptap's output. docs/formats.md
 * lists every field, the few places pptap deliberately differs, and what
 * Elastic adds that pptap does not (GeoIP, AS and user-agent enrichment,
 * agent metadata, event.ingested).
 *
 * The document is written straight into the output buffer, in one pass
 * over the event, with the pipeline's final rule applied as it goes: null,
 * "", {} and [] are left out at every depth (an object or array that ends
 * up empty is cut back).
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format_internal.h"
#include "internal.h"
#include "uriparts.h"

#define ECS_VERSION "8.11.0"
#define NEST_MAX 32

/* ------------------------------------------------------------------------ */
/* A JSON writer that drops empty containers                                */

typedef struct {
    pptap_buf *b;
    int err;
    int depth;                /* open containers */
    size_t mark[NEST_MAX];    /* where each open container's member began */
    unsigned n[NEST_MAX + 1]; /* members written at each depth */
} jw;

/* Appends n bytes. The buffer's terminating NUL is written by the slow
 * path and at the end of a document (pptap__format_ecs), not per append. */
static inline void put(jw *w, const void *s, size_t n)
{
    pptap_buf *b = w->b;
    if (b->len + n < b->cap) {
        memcpy(b->ptr + b->len, s, n);
        b->len += n;
    } else if (w->err == 0 && pptap_buf_put(b, s, n) != 0) {
        w->err = PPTAP_ENOMEM;
    }
}

#define PUTS(w, lit) put((w), (lit), sizeof(lit) - 1)

static int plain_byte(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* Whether the 8 bytes at s are all plain (ASCII, not a control character,
 * '"' or '\\'), tested at once. */
static inline int plain_word(const unsigned char *s)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t x;
    memcpy(&x, s, 8);
    uint64_t q = x ^ (ones * '"'), bs = x ^ (ones * '\\');
    uint64_t special = ((x - ones * 0x20) | (q - ones) | (bs - ones)) & ~x;
    return ((special | x) & high) == 0;
}

/* The JSON escape of an ASCII byte that needs one, into e (at most 6). */
static size_t escape1(unsigned char c, char *e)
{
    static const char hex[] = "0123456789abcdef";
    e[0] = '\\';
    switch (c) {
    case '"':
    case '\\':
        e[1] = (char)c;
        return 2;
    case '\n':
        e[1] = 'n';
        return 2;
    case '\r':
        e[1] = 'r';
        return 2;
    case '\t':
        e[1] = 't';
        return 2;
    case '\b':
        e[1] = 'b';
        return 2;
    case '\f':
        e[1] = 'f';
        return 2;
    default:
        e[1] = 'u';
        e[2] = '0';
        e[3] = '0';
        e[4] = hex[c >> 4];
        e[5] = hex[c & 15];
        return 6;
    }
}

/* Writes the text of a JSON string (no quotes): escaped once (level 1), or
 * escaped and then escaped again (level 2, for JSON held in a JSON string).
 * Invalid UTF-8 becomes U+FFFD. */
static void put_text(jw *w, const char *str, size_t n, int level)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j + 8 <= n && plain_word(s + j)) {
            j += 8;
        }
        while (j < n && plain_byte(s[j])) {
            j++;
        }
        if (j > i) {
            put(w, s + i, j - i);
            i = j;
            if (i == n) {
                break;
            }
        }
        unsigned char c = s[i];
        if (c >= 0x80) {
            size_t k = pptap__utf8_len(s + i, n - i);
            if (k == 0) {
                PUTS(w, "\xEF\xBF\xBD");
                i++;
            } else {
                put(w, s + i, k);
                i += k;
            }
            continue;
        }
        char e[6];
        size_t k = escape1(c, e);
        if (level == 1) {
            put(w, e, k);
        } else {
            for (size_t m = 0; m < k; m++) {
                if (e[m] == '\\' || e[m] == '"') {
                    char ee[2] = {'\\', e[m]};
                    put(w, ee, 2);
                } else {
                    put(w, &e[m], 1);
                }
            }
        }
        i++;
    }
}

static void put_quoted(jw *w, const char *s, size_t n)
{
    PUTS(w, "\"");
    put_text(w, s, n, 1);
    PUTS(w, "\"");
}

/* The shortest text that reads back as d, with a decimal point or an
 * exponent (as a double is written by Java). */
static size_t fmt_real(char *buf, size_t cap, double d)
{
    int len = 0;
    for (int prec = 1; prec <= 17; prec++) {
        len = snprintf(buf, cap, "%.*g", prec, d);
        for (int k = 0; k < len; k++) {
            if (buf[k] == ',') {
                buf[k] = '.'; /* a locale's decimal comma */
            }
        }
        if (strtod(buf, NULL) == d) {
            break;
        }
    }
    if (len > 0 && (size_t)len + 2 < cap && strpbrk(buf, ".e") == NULL) {
        memcpy(buf + len, ".0", 3);
        len += 2;
    }
    return len > 0 ? (size_t)len : 0;
}

/* Starts a member: the comma and the key (a literal that needs no escape,
 * or any text when esc), or only the comma in an array (key NULL). */
static void begin(jw *w, const char *key, size_t klen, int esc)
{
    if (w->n[w->depth] > 0) {
        PUTS(w, ",");
    }
    if (key != NULL) {
        PUTS(w, "\"");
        if (esc) {
            put_text(w, key, klen, 1);
        } else {
            put(w, key, klen);
        }
        PUTS(w, "\":");
    }
}

static void done(jw *w)
{
    w->n[w->depth]++;
}

/* Opens an object or array member; returns 0 when too deep (nothing is
 * written then and the caller skips the value). */
static int open_c(jw *w, const char *key, size_t klen, int esc, char brace)
{
    if (w->depth >= NEST_MAX) {
        return 0;
    }
    w->mark[w->depth] = w->b->len;
    begin(w, key, klen, esc);
    put(w, &brace, 1);
    w->depth++;
    w->n[w->depth] = 0;
    return 1;
}

/* Closes the innermost container, or cuts it back when it stayed empty. */
static void close_c(jw *w, char brace)
{
    unsigned members = w->n[w->depth];
    w->depth--;
    if (members == 0) {
        if (w->err == 0) {
            w->b->len = w->mark[w->depth];
            w->b->ptr[w->b->len] = '\0';
        }
        return;
    }
    put(w, &brace, 1);
    done(w);
}

#define OBJ(w, key) open_c((w), (key), sizeof(key) - 1, 0, '{')
#define ARR(w, key) open_c((w), (key), sizeof(key) - 1, 0, '[')
#define END_OBJ(w) close_c((w), '}')
#define END_ARR(w) close_c((w), ']')

/* A string member; left out when empty. key NULL: an array element. */
static void m_strn(jw *w, const char *key, const char *s, size_t n)
{
    if (s == NULL || n == 0) {
        return;
    }
    begin(w, key, key ? strlen(key) : 0, 0);
    put_quoted(w, s, n);
    done(w);
}

static void m_str(jw *w, const char *key, const char *s)
{
    if (s != NULL) {
        m_strn(w, key, s, strlen(s));
    }
}

static void m_lit(jw *w, const char *key, const char *raw)
{
    begin(w, key, key ? strlen(key) : 0, 0);
    put(w, raw, strlen(raw));
    done(w);
}

static void m_real(jw *w, const char *key, double d)
{
    char num[40];
    if (!isfinite(d)) {
        return;
    }
    size_t n = fmt_real(num, sizeof num, d);
    begin(w, key, strlen(key), 0);
    put(w, num, n);
    done(w);
}

static void m_int(jw *w, const char *key, json_int_t v)
{
    char num[32];
    int n = snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, v);
    begin(w, key, strlen(key), 0);
    put(w, num, (size_t)n);
    done(w);
}

static void m_time(jw *w, const char *key, pptap_time_ms t)
{
    char s[PPTAP_TIME_STRLEN];
    size_t n = pptap_time_format_ms(s, t);
    m_strn(w, key, s, n);
}

/* A member with the value as TAP sent it (the pipeline's `rename`), empty
 * values dropped at every depth. key NULL: an array element; kesc: the key
 * is event data and needs escaping. */
static void value_kn(jw *w, const char *key, size_t klen, int kesc, json_t *v)
{
    char num[40];
    size_t n;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *x;
        if (json_object_size(v) == 0 || !open_c(w, key, klen, kesc, '{')) {
            return;
        }
        json_object_foreach(v, k, x)
        {
            value_kn(w, k, strlen(k), 1, x);
        }
        END_OBJ(w);
        return;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *x;
        if (json_array_size(v) == 0 || !open_c(w, key, klen, kesc, '[')) {
            return;
        }
        json_array_foreach(v, i, x)
        {
            value_kn(w, NULL, 0, 0, x);
        }
        END_ARR(w);
        return;
    }
    case JSON_STRING:
        if (json_string_length(v) == 0) {
            return;
        }
        begin(w, key, klen, kesc);
        put_quoted(w, json_string_value(v), json_string_length(v));
        done(w);
        return;
    case JSON_INTEGER:
        n = (size_t)snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        if (!isfinite(json_real_value(v))) {
            return;
        }
        n = fmt_real(num, sizeof num, json_real_value(v));
        break;
    case JSON_TRUE:
        n = 4;
        memcpy(num, "true", 4);
        break;
    case JSON_FALSE:
        n = 5;
        memcpy(num, "false", 5);
        break;
    default:
        return; /* null */
    }
    begin(w, key, klen, kesc);
    put(w, num, n);
    done(w);
}

static void m_val(jw *w, const char *key, json_t *v)
{
    if (v != NULL) {
        value_kn(w, key, key ? strlen(key) : 0, 0, v);
    }
}

/* A list member: an array as sent, a single value as a one-element list. */
static void m_list(jw *w, const char *key, json_t *v)
{
    if (v == NULL || json_is_null(v) || json_is_array(v)) {
        m_val(w, key, v);
        return;
    }
    if (ARR(w, key) == 0) {
        return;
    }
    value_kn(w, NULL, 0, 0, v);
    END_ARR(w);
}

/* The event as TAP sent it, compact, written as the text of a JSON string
 * (level 2). Keys in the event's order; numbers as jansson holds them. */
static void orig_value(jw *w, json_t *v, int depth)
{
    char num[40];
    size_t n;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *x;
        int first = 1;
        PUTS(w, "{");
        json_object_foreach(v, k, x)
        {
            if (!first) {
                PUTS(w, ",");
            }
            first = 0;
            PUTS(w, "\\\"");
            put_text(w, k, strlen(k), 2);
            PUTS(w, "\\\":");
            orig_value(w, x, depth + 1);
        }
        PUTS(w, "}");
        return;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *x;
        PUTS(w, "[");
        json_array_foreach(v, i, x)
        {
            if (i > 0) {
                PUTS(w, ",");
            }
            orig_value(w, x, depth + 1);
        }
        PUTS(w, "]");
        return;
    }
    case JSON_STRING:
        PUTS(w, "\\\"");
        put_text(w, json_string_value(v), json_string_length(v), 2);
        PUTS(w, "\\\"");
        return;
    case JSON_INTEGER:
        n = (size_t)snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        put(w, num, n);
        return;
    case JSON_REAL:
        if (isfinite(json_real_value(v))) {
            n = fmt_real(num, sizeof num, json_real_value(v));
            put(w, num, n);
        } else {
            PUTS(w, "null");
        }
        return;
    case JSON_TRUE:
        PUTS(w, "true");
        return;
    case JSON_FALSE:
        PUTS(w, "false");
        return;
    default:
        PUTS(w, "null");
        return;
    }
}

/* ------------------------------------------------------------------------ */
/* Values                                                                    */

typedef struct {
    jw w;
    pptap_buf tmp; /* scratch for decoded URLs and edited strings */
    pptap_event_type type;
    const char *ds; /* the data stream: clicks_blocked, ..., message_delivered */
    const pptap_event_meta *meta;
} ecs;

static const char *const datasets[PPTAP_EVENT_COUNT_] = {"clicks_blocked", "clicks_permitted",
                                                         "message_blocked", "message_delivered"};
static const char *const dataset_names[PPTAP_EVENT_COUNT_] = {
    "proofpoint_tap.clicks_blocked", "proofpoint_tap.clicks_permitted",
    "proofpoint_tap.message_blocked", "proofpoint_tap.message_delivered"};
static const char *const stream_tags[PPTAP_EVENT_COUNT_] = {
    "proofpoint_tap-clicks_blocked", "proofpoint_tap-clicks_permitted",
    "proofpoint_tap-message_blocked", "proofpoint_tap-message_delivered"};

static json_t *get(json_t *o, const char *k)
{
    return json_is_object(o) ? json_object_get(o, k) : NULL;
}

static int is_empty(json_t *v)
{
    return v == NULL || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0);
}

/* The first of two spellings that holds a value (campaignId/campaignID…). */
static json_t *get2(json_t *o, const char *a, const char *b)
{
    json_t *v = get(o, a);
    return is_empty(v) ? get(o, b) : v;
}

static int str_of(json_t *v, const char **s, size_t *n)
{
    if (!json_is_string(v) || json_string_length(v) == 0) {
        return 0;
    }
    *s = json_string_value(v);
    *n = json_string_length(v);
    return 1;
}

/* An ISO 8601 time (the date processor); 0 or -1. */
static int time_of(json_t *v, pptap_time_ms *t)
{
    const char *s;
    size_t n;
    return str_of(v, &s, &n) && pptap_time_parse(t, s, n) == 0 ? 0 : -1;
}

/* An IP address as the `convert` processor accepts it. */
static int ip_of(json_t *v, const char **s)
{
    const char *p;
    size_t n;
    char tmp[64];
    unsigned char addr[16];
    if (!str_of(v, &p, &n) || n >= sizeof tmp || memchr(p, '\0', n) != NULL) {
        return 0;
    }
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    if (inet_pton(AF_INET, tmp, addr) != 1 && inet_pton(AF_INET6, tmp, addr) != 1) {
        return 0;
    }
    *s = p;
    return 1;
}

/* A number for a `long` field: an integer, a real with an integral value,
 * or a decimal string. */
static int long_of(json_t *v, json_int_t *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 1;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d > -9.2e18 && d < 9.2e18 && d == (double)(json_int_t)d) {
            *out = (json_int_t)d;
            return 1;
        }
        return 0;
    }
    const char *s;
    size_t n;
    if (!str_of(v, &s, &n)) {
        return 0;
    }
    size_t i = 0;
    int neg = 0;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n || n - i > 18) {
        return 0;
    }
    json_int_t x = 0;
    for (; i < n; i++) {
        if ((unsigned)(s[i] - '0') >= 10u) {
            return 0;
        }
        x = x * 10 + (s[i] - '0');
    }
    *out = neg ? -x : x;
    return 1;
}

/* A number for a `double` field: a number, or a string that is one. */
static int double_of(json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return isfinite(*out);
    }
    const char *s;
    size_t n;
    char tmp[64];
    if (!str_of(v, &s, &n) || n >= sizeof tmp) {
        return 0;
    }
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *end;
    double d = strtod(tmp, &end);
    while (*end == ' ' || *end == '\t') {
        end++;
    }
    if (end == tmp || *end != '\0' || !isfinite(d)) {
        return 0;
    }
    *out = d;
    return 1;
}

/* A string member with every '<' and '>' removed (the pipeline's gsub). */
static void m_strip_angles(ecs *c, const char *key, json_t *v)
{
    const char *s;
    size_t n;
    if (!str_of(v, &s, &n)) {
        m_val(&c->w, key, v); /* a non-string is kept as sent */
        return;
    }
    c->tmp.len = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '<' && s[i] != '>' && pptap_buf_put(&c->tmp, s + i, 1) != 0) {
            c->w.err = PPTAP_ENOMEM;
            return;
        }
    }
    m_strn(&c->w, key, c->tmp.ptr, c->tmp.len);
}

/* The `@timestamp` rule: the activity time raised to any later threat
 * time; without an activity time, the collection time stands in for the
 * time Elastic would have read the event; else the latest threat time. */
static int timestamp(const ecs *c, int have_act, pptap_time_ms act, int have_threat,
                     pptap_time_ms threat, pptap_time_ms *ts)
{
    pptap_time_ms base;
    int have_base = have_act;
    base = act;
    if (!have_base && c->meta->collected_at != NULL &&
        pptap_time_parse(&base, c->meta->collected_at, strlen(c->meta->collected_at)) == 0) {
        have_base = 1;
    }
    if (have_base) {
        *ts = have_threat && threat > base ? threat : base;
        return 1;
    }
    if (have_threat) {
        *ts = threat;
        return 1;
    }
    return 0;
}

/* A set of strings (related.ip, related.hash, email.to.address), kept in
 * insertion order in a buffer of entries. */
typedef struct {
    const char *p;
    size_t n;
    int lower; /* compare and write p lower-cased (an ASCII hex hash) */
} sref;

typedef struct {
    pptap_buf v;
    size_t n;
} sset;

static int sref_eq(const sref *a, const sref *b)
{
    if (a->n != b->n) {
        return 0;
    }
    for (size_t i = 0; i < a->n; i++) {
        unsigned char x = (unsigned char)a->p[i], y = (unsigned char)b->p[i];
        if (a->lower && x >= 'A' && x <= 'Z') {
            x = (unsigned char)(x | 0x20);
        }
        if (b->lower && y >= 'A' && y <= 'Z') {
            y = (unsigned char)(y | 0x20);
        }
        if (x != y) {
            return 0;
        }
    }
    return 1;
}

static const sref *sset_at(const sset *s, size_t i)
{
    return (const sref *)(const void *)s->v.ptr + i;
}

/* Adds unless present (when dedupe). Returns 0 or PPTAP_ENOMEM. */
static int sset_add(sset *s, const char *p, size_t n, int lower, int dedupe)
{
    sref r = {p, n, lower};
    for (size_t i = 0; dedupe && i < s->n; i++) {
        if (sref_eq(sset_at(s, i), &r)) {
            return 0;
        }
    }
    if (pptap_buf_put(&s->v, &r, sizeof r) != 0) {
        return PPTAP_ENOMEM;
    }
    s->n++;
    return 0;
}

static void m_sset(ecs *c, const char *key, const sset *s)
{
    jw *w = &c->w;
    if (s->n == 0 || !open_c(w, key, strlen(key), 0, '[')) {
        return;
    }
    for (size_t i = 0; i < s->n; i++) {
        const sref *r = sset_at(s, i);
        if (!r->lower) {
            m_strn(w, NULL, r->p, r->n);
            continue;
        }
        char low[64];
        for (size_t k = 0; k < r->n && k < sizeof low; k++) {
            unsigned char x = (unsigned char)r->p[k];
            low[k] = (char)(x >= 'A' && x <= 'Z' ? x | 0x20 : x);
        }
        m_strn(w, NULL, low, r->n < sizeof low ? r->n : sizeof low);
    }
    END_ARR(w);
}

/* ------------------------------------------------------------------------ */
/* The parts every document has                                            */

static void m_head(ecs *c, int have_ts, pptap_time_ms ts)
{
    jw *w = &c->w;
    if (have_ts) {
        m_time(w, "@timestamp", ts);
    }
    if (OBJ(w, "ecs")) {
        m_str(w, "version", ECS_VERSION);
        END_OBJ(w);
    }
    if (OBJ(w, "data_stream")) {
        m_str(w, "type", "logs");
        m_str(w, "dataset", dataset_names[c->type]);
        m_str(w, "namespace", "default");
        END_OBJ(w);
    }
}

/* The event object: the pipeline's categorisation plus the dataset, the
 * collection time and the original event. */
static void m_event(ecs *c, json_t *ev)
{
    jw *w = &c->w;
    if (!OBJ(w, "event")) {
        return;
    }
    m_str(w, "kind", "event");
    if (ARR(w, "category")) {
        m_str(w, NULL, "email");
        END_ARR(w);
    }
    if (ARR(w, "type")) {
        m_str(w, NULL, "info");
        END_ARR(w);
    }
    const char *action = c->type == PPTAP_EVENT_CLICKS_PERMITTED     ? "allowed"
                         : c->type == PPTAP_EVENT_MESSAGES_DELIVERED ? NULL
                                                                     : "denied";
    if (action != NULL && ARR(w, "action")) {
        m_str(w, NULL, action);
        END_ARR(w);
    }
    m_val(w, "id", get(ev, "id"));
    m_str(w, "dataset", dataset_names[c->type]);
    m_str(w, "module", "proofpoint_tap");
    pptap_time_ms t;
    const char *ca = c->meta->collected_at;
    if (ca != NULL && pptap_time_parse(&t, ca, strlen(ca)) == 0) {
        m_time(w, "created", t);
    }
    begin(w, "original", 8, 0);
    PUTS(w, "\"");
    orig_value(w, ev, 0);
    PUTS(w, "\"");
    done(w);
    END_OBJ(w);
}

static void m_tail(ecs *c)
{
    jw *w = &c->w;
    if (ARR(w, "tags")) {
        m_str(w, NULL, "preserve_original_event");
        m_str(w, NULL, "forwarded");
        m_str(w, NULL, stream_tags[c->type]);
        END_ARR(w);
    }
    if (OBJ(w, "pptap")) {
        m_str(w, "event_id", c->meta->event_id);
        m_str(w, "event_type", pptap_event_type_name(c->type));
        m_str(w, "tenant", c->meta->tenant);
        m_str(w, "collected_at", c->meta->collected_at);
        m_lit(w, "update", c->meta->update ? "true" : "false");
        END_OBJ(w);
    }
}

/* ------------------------------------------------------------------------ */
/* Clicks                                                                    */

static void m_url(ecs *c, json_t *url)
{
    jw *w = &c->w;
    const char *s;
    size_t n;
    if (!str_of(url, &s, &n) || !OBJ(w, "url")) {
        return;
    }
    /* url.full: percent-decoded; a malformed escape (where Elastic's
     * pipeline stops with an error) leaves the URL as sent */
    c->tmp.len = 0;
    if (pptap__url_decode_form(&c->tmp, s, n) == 0) {
        m_strn(w, "full", c->tmp.ptr, c->tmp.len);
    } else {
        m_strn(w, "full", s, n);
    }
    /* the pieces, decoded into tmp (which needs n bytes) */
    c->tmp.len = 0;
    if (pptap_buf_put(&c->tmp, s, n) != 0) {
        w->err = PPTAP_ENOMEM;
        return;
    }
    pptap__uri_parts p;
    if (pptap__uri_parts_parse(&p, s, n, c->tmp.ptr) == 0) {
        m_strn(w, "scheme", p.scheme.p, p.scheme.n);
        m_strn(w, "domain", p.domain.p, p.domain.n);
        if (p.port >= 0) {
            m_int(w, "port", p.port);
        }
        m_strn(w, "path", p.path.p, p.path.n);
        m_strn(w, "extension", p.extension.p, p.extension.n);
        m_strn(w, "query", p.query.p, p.query.n);
        m_strn(w, "fragment", p.fragment.p, p.fragment.n);
        m_strn(w, "user_info", p.user_info.p, p.user_info.n);
        m_strn(w, "username", p.username.p, p.username.n);
        m_strn(w, "password", p.password.p, p.password.n);
    }
    END_OBJ(w);
}

static void ecs_click(ecs *c, json_t *ev)
{
    jw *w = &c->w;
    pptap_time_ms ct = 0, tt = 0, ts = 0;
    int have_ct = time_of(get(ev, "clickTime"), &ct) == 0;
    int have_tt = time_of(get(ev, "threatTime"), &tt) == 0;
    int have_ts = timestamp(c, have_ct, ct, have_tt, tt, &ts);
    const char *sip = NULL, *cip = NULL;
    int have_sip = ip_of(get(ev, "senderIP"), &sip);
    int have_cip = ip_of(get(ev, "clickIP"), &cip);

    m_head(c, have_ts, ts);
    m_event(c, ev);
    if (OBJ(w, "email")) {
        if (OBJ(w, "from")) {
            m_list(w, "address", get(ev, "sender"));
            END_OBJ(w);
        }
        if (OBJ(w, "to")) {
            m_list(w, "address", get(ev, "recipient"));
            END_OBJ(w);
        }
        m_val(w, "message_id", get(ev, "messageID"));
        END_OBJ(w);
    }
    if (have_sip && OBJ(w, "source")) {
        m_str(w, "ip", sip);
        END_OBJ(w);
    }
    if (have_cip && OBJ(w, "destination")) {
        m_str(w, "ip", cip);
        END_OBJ(w);
    }
    if ((have_sip || have_cip) && OBJ(w, "related")) {
        if (ARR(w, "ip")) {
            m_str(w, NULL, sip);
            if (!have_sip || strcmp(sip, cip != NULL ? cip : "") != 0) {
                m_str(w, NULL, cip);
            }
            END_ARR(w);
        }
        END_OBJ(w);
    }
    m_url(c, get(ev, "url"));
    const char *ua;
    size_t ua_n;
    if (str_of(get(ev, "userAgent"), &ua, &ua_n) && OBJ(w, "user_agent")) {
        m_strn(w, "original", ua, ua_n);
        END_OBJ(w);
    }
    if (OBJ(w, "proofpoint_tap")) {
        m_val(w, "guid", get(ev, "GUID"));
        if (open_c(w, c->ds, strlen(c->ds), 0, '{')) {
            m_val(w, "campaign_id", get2(ev, "campaignId", "campaignID"));
            m_val(w, "classification", get(ev, "classification"));
            if (have_ct) {
                m_time(w, "click_time", ct);
            }
            if (OBJ(w, "threat")) {
                m_val(w, "id", get2(ev, "threatID", "threatId"));
                m_val(w, "status", get(ev, "threatStatus"));
                if (have_tt) {
                    m_time(w, "time", tt);
                }
                m_val(w, "url", get2(ev, "threatURL", "threatUrl"));
                END_OBJ(w);
            }
            END_OBJ(w);
        }
        END_OBJ(w);
    }
    m_tail(c);
}

/* ------------------------------------------------------------------------ */
/* Messages                                                                  */

static int key_in(const char *k, const char *const *set)
{
    for (; *set != NULL; set++) {
        if (strcmp(k, *set) == 0) {
            return 1;
        }
    }
    return 0;
}

/* email.attachments[]: one per message part, inline bodies included. */
static void m_attachments(ecs *c, json_t *parts)
{
    static const char *const mapped[] = {"contentType", "md5",          "sha256",        "filename",
                                         "disposition", "oContentType", "sandboxStatus", NULL};
    jw *w = &c->w;
    size_t i;
    json_t *p;
    if (!json_is_array(parts) || !ARR(w, "attachments")) {
        return;
    }
    json_array_foreach(parts, i, p)
    {
        if (!json_is_object(p)) {
            value_kn(w, NULL, 0, 0, p);
            continue;
        }
        if (!open_c(w, NULL, 0, 0, '{')) {
            continue;
        }
        if (OBJ(w, "file")) {
            m_val(w, "mime_type", get(p, "contentType"));
            if (OBJ(w, "hash")) {
                m_val(w, "md5", get(p, "md5"));
                m_val(w, "sha256", get(p, "sha256"));
                END_OBJ(w);
            }
            m_val(w, "name", get(p, "filename"));
            END_OBJ(w);
        }
        const char *k;
        json_t *x;
        json_object_foreach(p, k, x)
        {
            if (!key_in(k, mapped)) {
                value_kn(w, k, strlen(k), 1, x);
            }
        }
        END_OBJ(w);
    }
    END_ARR(w);
}

/* proofpoint_tap.<stream>.message_parts[]: what the attachment copy left. */
static void m_message_parts(ecs *c, json_t *parts)
{
    static const char *const mapped[] = {"contentType", "md5",          "sha256",        "filename",
                                         "disposition", "oContentType", "sandboxStatus", NULL};
    jw *w = &c->w;
    size_t i;
    json_t *p;
    if (!json_is_array(parts) || !ARR(w, "message_parts")) {
        return;
    }
    json_array_foreach(parts, i, p)
    {
        if (!json_is_object(p)) {
            value_kn(w, NULL, 0, 0, p);
            continue;
        }
        if (!open_c(w, NULL, 0, 0, '{')) {
            continue;
        }
        m_val(w, "disposition", get(p, "disposition"));
        m_val(w, "o_content_type", get(p, "oContentType"));
        m_val(w, "sandbox_status", get(p, "sandboxStatus"));
        const char *k;
        json_t *x;
        json_object_foreach(p, k, x)
        {
            if (!key_in(k, mapped)) {
                value_kn(w, k, strlen(k), 1, x);
            }
        }
        END_OBJ(w);
    }
    END_ARR(w);
}

/* proofpoint_tap.<stream>.threat_info_map[] */
static void m_threat_info_map(ecs *c, json_t *threats)
{
    static const char *const mapped[] = {"campaignId", "campaignID", "classification", "threat",
                                         "threatID",   "threatId",   "threatStatus",   "threatTime",
                                         "threatType", "threatUrl",  "threatURL",      NULL};
    jw *w = &c->w;
    size_t i;
    json_t *t;
    if (!json_is_array(threats) || !ARR(w, "threat_info_map")) {
        return;
    }
    json_array_foreach(threats, i, t)
    {
        if (!json_is_object(t)) {
            value_kn(w, NULL, 0, 0, t);
            continue;
        }
        if (!open_c(w, NULL, 0, 0, '{')) {
            continue;
        }
        m_val(w, "campaign_id", get2(t, "campaignId", "campaignID"));
        m_val(w, "classification", get(t, "classification"));
        if (OBJ(w, "threat")) {
            pptap_time_ms tt;
            m_val(w, "artifact", get(t, "threat"));
            m_val(w, "id", get2(t, "threatID", "threatId"));
            m_val(w, "status", get(t, "threatStatus"));
            if (time_of(get(t, "threatTime"), &tt) == 0) {
                m_time(w, "time", tt);
            }
            m_val(w, "type", get(t, "threatType"));
            m_val(w, "url", get2(t, "threatUrl", "threatURL"));
            END_OBJ(w);
        }
        const char *k;
        json_t *x;
        json_object_foreach(t, k, x)
        {
            if (!key_in(k, mapped)) {
                value_kn(w, k, strlen(k), 1, x);
            }
        }
        END_OBJ(w);
    }
    END_ARR(w);
}

/* Adds the strings of a list value (a single string counts as a list). */
static int sset_add_list(sset *s, json_t *v, int dedupe)
{
    const char *p;
    size_t n;
    if (str_of(v, &p, &n)) {
        return sset_add(s, p, n, 0, dedupe);
    }
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        if (str_of(x, &p, &n) && sset_add(s, p, n, 0, dedupe) != 0) {
            return PPTAP_ENOMEM;
        }
    }
    return 0;
}

/* related.hash: the parts' md5 values, then their sha256 values, then each
 * threat that is a SHA-256, lower-cased, as the pipeline's script adds them
 * (only when a part added something, and stopping at the first threat that
 * is not a string, as the script does when it fails). */
static int related_hashes(sset *h, json_t *ev)
{
    json_t *parts = get(ev, "messageParts");
    size_t i;
    json_t *p;
    const char *s;
    size_t n;
    for (int pass = 0; pass < 2; pass++) {
        json_array_foreach(parts, i, p)
        {
            if (str_of(get(p, pass == 0 ? "md5" : "sha256"), &s, &n) &&
                sset_add(h, s, n, 0, 1) != 0) {
                return PPTAP_ENOMEM;
            }
        }
    }
    if (json_array_size(parts) == 0) {
        return 0;
    }
    json_array_foreach(get(ev, "threatsInfoMap"), i, p)
    {
        json_t *t = get(p, "threat");
        if (!json_is_string(t)) {
            break;
        }
        s = json_string_value(t);
        n = json_string_length(t);
        int hex = n == 64;
        for (size_t k = 0; hex && k < n; k++) {
            unsigned char ch = (unsigned char)s[k];
            hex = (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f');
        }
        if (hex && sset_add(h, s, n, 1, 1) != 0) {
            return PPTAP_ENOMEM;
        }
    }
    return 0;
}

static void m_completely_rewritten(jw *w, json_t *v)
{
    char num[40];
    if (json_is_boolean(v)) {
        m_str(w, "completely_rewritten", json_is_true(v) ? "true" : "false");
    } else if (json_is_integer(v)) {
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        m_str(w, "completely_rewritten", num);
    } else if (json_is_real(v) && isfinite(json_real_value(v))) {
        fmt_real(num, sizeof num, json_real_value(v));
        m_str(w, "completely_rewritten", num);
    } else if (json_is_string(v)) {
        m_val(w, "completely_rewritten", v);
    }
}

static void ecs_message(ecs *c, json_t *ev)
{
    jw *w = &c->w;
    pptap_time_ms mt = 0, tt = 0, ts = 0, t;
    int have_mt = time_of(get(ev, "messageTime"), &mt) == 0;
    int have_tt = 0;
    size_t i;
    json_t *x;
    json_array_foreach(get(ev, "threatsInfoMap"), i, x)
    {
        if (time_of(get(x, "threatTime"), &t) == 0 && (!have_tt || t > tt)) {
            tt = t;
            have_tt = 1;
        }
    }
    int have_ts = timestamp(c, have_mt, mt, have_tt, tt, &ts);
    const char *sip = NULL;
    int have_sip = ip_of(get(ev, "senderIP"), &sip);
    sset to = {PPTAP_BUF_INIT, 0}, hashes = {PPTAP_BUF_INIT, 0};
    json_t *to_addresses = get(ev, "toAddresses");
    json_t *recipient = get(ev, "recipient");
    if (sset_add_list(&to, to_addresses, 0) != 0 || sset_add_list(&to, recipient, 1) != 0 ||
        related_hashes(&hashes, ev) != 0) {
        w->err = PPTAP_ENOMEM;
        goto out;
    }

    m_head(c, have_ts, ts);
    m_event(c, ev);
    if (OBJ(w, "email")) {
        m_attachments(c, get(ev, "messageParts"));
        if (OBJ(w, "cc")) {
            m_list(w, "address", get(ev, "ccAddresses"));
            END_OBJ(w);
        }
        if (have_mt) {
            m_time(w, "delivery_timestamp", mt);
        }
        if (OBJ(w, "from")) {
            m_list(w, "address", get(ev, "fromAddress"));
            END_OBJ(w);
        }
        m_strip_angles(c, "message_id", get(ev, "messageID"));
        if (OBJ(w, "reply_to")) {
            m_list(w, "address", get(ev, "replyToAddress"));
            END_OBJ(w);
        }
        if (OBJ(w, "sender")) {
            m_val(w, "address", get(ev, "sender"));
            END_OBJ(w);
        }
        m_val(w, "subject", get(ev, "subject"));
        if (OBJ(w, "to")) {
            m_sset(c, "address", &to);
            END_OBJ(w);
        }
        m_val(w, "x_mailer", get(ev, "xmailer"));
        END_OBJ(w);
    }
    if (have_sip && OBJ(w, "source")) {
        m_str(w, "ip", sip);
        END_OBJ(w);
    }
    if (OBJ(w, "related")) {
        m_sset(c, "hash", &hashes);
        if (have_sip && ARR(w, "ip")) {
            m_str(w, NULL, sip);
            END_ARR(w);
        }
        END_OBJ(w);
    }
    if (OBJ(w, "proofpoint_tap")) {
        m_val(w, "guid", get(ev, "GUID"));
        if (open_c(w, c->ds, strlen(c->ds), 0, '{')) {
            json_int_t l;
            double d;
            m_val(w, "cluster", get2(ev, "cluster", "clusterId"));
            m_completely_rewritten(w, get(ev, "completelyRewritten"));
            if (OBJ(w, "header")) {
                m_strip_angles(c, "from", get(ev, "headerFrom"));
                m_val(w, "replyto", get(ev, "headerReplyTo"));
                m_val(w, "cc", get(ev, "headerCC"));
                m_val(w, "to", get(ev, "headerTo"));
                END_OBJ(w);
            }
            if (double_of(get(ev, "impostorScore"), &d)) {
                m_real(w, "impostor_score", d);
            }
            if (long_of(get(ev, "malwareScore"), &l)) {
                m_int(w, "malware_score", l);
            }
            m_message_parts(c, get(ev, "messageParts"));
            if (long_of(get(ev, "messageSize"), &l)) {
                m_int(w, "message_size", l);
            }
            m_list(w, "modules_run", get(ev, "modulesRun"));
            if (long_of(get(ev, "phishScore"), &l)) {
                m_int(w, "phish_score", l);
            }
            m_list(w, "policy_routes", get(ev, "policyRoutes"));
            m_val(w, "qid", get(ev, "QID"));
            if (OBJ(w, "quarantine")) {
                m_val(w, "folder", get(ev, "quarantineFolder"));
                m_val(w, "rule", get(ev, "quarantineRule"));
                END_OBJ(w);
            }
            m_list(w, "recipient", recipient);
            if (long_of(get(ev, "spamScore"), &l)) {
                m_int(w, "spam_score", l);
            }
            m_threat_info_map(c, get(ev, "threatsInfoMap"));
            m_list(w, "to_addresses", to_addresses);
            END_OBJ(w);
        }
        END_OBJ(w);
    }
    m_tail(c);
out:
    pptap_buf_dispose(&to.v);
    pptap_buf_dispose(&hashes.v);
}

int pptap__format_ecs(pptap_buf *out, pptap_event_type type, json_t *event,
                      const pptap_event_meta *meta)
{
    ecs c;
    memset(&c, 0, sizeof c);
    c.w.b = out;
    c.type = type;
    c.ds = datasets[type];
    c.meta = meta;
    c.w.mark[0] = out->len;
    PUTS(&c.w, "{");
    c.w.depth = 0;
    c.w.n[0] = 0;
    if (type == PPTAP_EVENT_CLICKS_BLOCKED || type == PPTAP_EVENT_CLICKS_PERMITTED) {
        ecs_click(&c, event);
    } else {
        ecs_message(&c, event);
    }
    PUTS(&c.w, "}\n");
    if (c.w.err == 0) {
        out->ptr[out->len] = '\0';
    }
    pptap_buf_dispose(&c.tmp);
    return c.w.err;
}

/* ------------------------------------------------------------------------ */
/* Gap records                                                               */

/* A time given as text, re-printed with milliseconds when it parses. */
static void m_time_text(jw *w, const char *key, const char *s)
{
    pptap_time_ms t;
    if (s != NULL && pptap_time_parse(&t, s, strlen(s)) == 0) {
        m_time(w, key, t);
    }
}

int pptap__gap_ecs(pptap_buf *out, const pptap_gap_record *g)
{
    jw w;
    memset(&w, 0, sizeof w);
    w.b = out;
    pptap_buf msg = PPTAP_BUF_INIT;
    char head[512];
    int n = snprintf(head, sizeof head, "no TAP events were collected from %s to %s%s%s", g->from,
                     g->to, g->tenant ? " for tenant " : "", g->tenant ? g->tenant : "");
    if (n < 0 || pptap_buf_put(&msg, head, (size_t)n < sizeof head ? (size_t)n : sizeof head - 1) ||
        (g->reason != NULL && (pptap_buf_put(&msg, ": ", 2) != 0 ||
                               pptap_buf_put(&msg, g->reason, strlen(g->reason)) != 0))) {
        pptap_buf_dispose(&msg);
        return PPTAP_ENOMEM;
    }
    PUTS(&w, "{");
    m_time_text(&w, "@timestamp", g->from);
    if (OBJ(&w, "ecs")) {
        m_str(&w, "version", ECS_VERSION);
        END_OBJ(&w);
    }
    if (OBJ(&w, "data_stream")) {
        m_str(&w, "type", "logs");
        m_str(&w, "dataset", "pptap.gap");
        m_str(&w, "namespace", "default");
        END_OBJ(&w);
    }
    if (OBJ(&w, "event")) {
        m_str(&w, "kind", "pipeline_error");
        m_str(&w, "action", "collection-gap");
        m_str(&w, "dataset", "pptap.gap");
        m_str(&w, "module", "pptap");
        m_time_text(&w, "start", g->from);
        m_time_text(&w, "end", g->to);
        m_time_text(&w, "created", g->collected_at);
        m_str(&w, "reason", g->reason);
        END_OBJ(&w);
    }
    m_strn(&w, "message", msg.ptr, msg.len);
    if (OBJ(&w, "error")) {
        m_strn(&w, "message", msg.ptr, msg.len);
        END_OBJ(&w);
    }
    if (OBJ(&w, "pptap")) {
        m_str(&w, "event_id", g->event_id);
        m_str(&w, "event_type", "gap");
        m_str(&w, "tenant", g->tenant);
        m_str(&w, "collected_at", g->collected_at);
        m_lit(&w, "update", "false");
        m_str(&w, "from", g->from);
        m_str(&w, "to", g->to);
        m_str(&w, "reason", g->reason);
        END_OBJ(&w);
    }
    PUTS(&w, "}\n");
    if (w.err == 0) {
        out->ptr[out->len] = '\0';
    }
    pptap_buf_dispose(&msg);
    return w.err;
}
