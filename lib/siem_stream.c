/*
 * Incremental splitter of a SIEM JSON document. It tracks the top-level
 * object byte by byte (keys, nesting, strings and escapes) and hands every
 * element of the four event arrays to jansson's json_loadb as soon as its
 * last byte arrives, so memory is bounded by the largest event, not by the
 * window. queryEndTime is kept; other keys are validated when small and
 * skipped otherwise.
 */
#include <stdio.h>
#include <string.h>

#include "tap_internal.h"

#define KEY_CAP 1024
#define VALUE_CAPTURE_CAP (64 * 1024)
#define DEPTH_CAP 512
#define DEFAULT_MAX_EVENT ((size_t)8 << 20)

enum {
    ST_START,       /* before the top-level '{' */
    ST_KEY_OR_END,  /* after '{': '"' or '}' */
    ST_KEY_REQ,     /* after ',': '"' */
    ST_KEY,         /* inside a key */
    ST_COLON,       /* after a key */
    ST_VALUE,       /* before a member value */
    ST_VALUE_BODY,  /* inside a generic member value */
    ST_AFTER_VALUE, /* after a member value: ',' or '}' */
    ST_ARR_FIRST,   /* after '[' of an event array: element or ']' */
    ST_ARR_ELEM,    /* after ',' in an event array: element */
    ST_ELEM_BODY,   /* inside an event */
    ST_ARR_AFTER,   /* after an event: ',' or ']' */
    ST_DONE,        /* after the top-level '}' */
};

struct pptap_splitter {
    int state;
    int err;
    char errmsg[256];
    size_t max_event;
    pptap_event_cb cb;
    void *payload;

    pptap_buf key; /* raw key bytes */
    int key_esc;   /* previous key byte was a backslash */
    int cur_type;  /* event type of the current array, or -1 */
    int is_qet;    /* the current generic value is queryEndTime */
    size_t elem_index;

    /* value scanner */
    pptap_buf val;
    int capture; /* generic value still being captured */
    unsigned depth;
    int in_str;
    int esc;
    int scalar;

    size_t delivered;
    uint64_t offset;
    int seen_any;
    char qet[PPTAP_TIME_STRLEN];
    pptap_time_ms qet_t;
};

static const char *const type_keys[PPTAP_EVENT_COUNT_] = {"clicksBlocked", "clicksPermitted",
                                                          "messagesBlocked", "messagesDelivered"};

const char *pptap_event_type_name(pptap_event_type t)
{
    return (unsigned)t < PPTAP_EVENT_COUNT_ ? type_keys[t] : "unknown";
}

int pptap_event_type_parse(pptap_event_type *out, const char *name)
{
    for (int i = 0; name != NULL && i < PPTAP_EVENT_COUNT_; i++) {
        if (strcmp(name, type_keys[i]) == 0) {
            *out = (pptap_event_type)i;
            return 0;
        }
    }
    return PPTAP_EINVAL;
}

int pptap_splitter_new(pptap_splitter **out, size_t max_event, pptap_event_cb cb, void *payload)
{
    if (out == NULL) {
        return PPTAP_EINVAL;
    }
    pptap_splitter *s = pptap__calloc(1, sizeof *s);
    if (s == NULL) {
        return PPTAP_ENOMEM;
    }
    s->max_event = max_event ? max_event : DEFAULT_MAX_EVENT;
    s->cb = cb;
    s->payload = payload;
    s->cur_type = -1;
    s->qet_t = PPTAP_TIME_NONE;
    *out = s;
    return 0;
}

void pptap_splitter_free(pptap_splitter *s)
{
    if (s == NULL) {
        return;
    }
    pptap_buf_dispose(&s->key);
    pptap_buf_dispose(&s->val);
    pptap__free(s);
}

size_t pptap_splitter_delivered(const pptap_splitter *s)
{
    return s->delivered;
}

const char *pptap_splitter_query_end_time(const pptap_splitter *s, pptap_time_ms *out)
{
    if (out != NULL) {
        *out = s->qet_t;
    }
    return s->qet;
}

const char *pptap_splitter_error(const pptap_splitter *s)
{
    return s->errmsg;
}

static int fail(pptap_splitter *s, int err, const char *msg, const char *detail)
{
    s->err = err;
    snprintf(s->errmsg, sizeof s->errmsg, "%s%s%s (at byte %llu)", msg, detail ? ": " : "",
             detail ? detail : "", (unsigned long long)s->offset);
    return err;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_scalar_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '+' || c == '.';
}

/* Starts scanning a value whose first byte is `c`. */
static void scan_start(pptap_splitter *s, char c)
{
    s->depth = 0;
    s->in_str = 0;
    s->esc = 0;
    s->scalar = 0;
    if (c == '{' || c == '[') {
        s->depth = 1;
    } else if (c == '"') {
        s->in_str = 1;
    } else {
        s->scalar = 1;
    }
}

/* Advances the scanner over `c` (not the first byte). Returns 1 when `c` ends
 * the value, 2 when the value ended just before `c` (scalars), 0 to go on,
 * or a negative error. */
static int scan_byte(pptap_splitter *s, char c)
{
    if (s->scalar) {
        return is_scalar_char(c) ? 0 : 2;
    }
    if (s->in_str) {
        if (s->esc) {
            s->esc = 0;
        } else if (c == '\\') {
            s->esc = 1;
        } else if (c == '"') {
            s->in_str = 0;
            if (s->depth == 0) {
                return 1;
            }
        } else if ((unsigned char)c < 0x20) {
            return fail(s, PPTAP_EPROTO, "malformed JSON", "control character in a string");
        }
        return 0;
    }
    switch (c) {
    case '"':
        s->in_str = 1;
        return 0;
    case '{':
    case '[':
        if (++s->depth > DEPTH_CAP) {
            return fail(s, PPTAP_EPROTO, "malformed JSON", "nesting too deep");
        }
        return 0;
    case '}':
    case ']':
        if (--s->depth == 0) {
            return 1;
        }
        return 0;
    default:
        return 0;
    }
}

static int key_is(const pptap_splitter *s, const char *name)
{
    return s->key.len == strlen(name) && memcmp(s->key.ptr, name, s->key.len) == 0;
}

/* Decides what the current key means once it is complete. */
static int key_done(pptap_splitter *s)
{
    {
        /* validate (UTF-8) and decode ("\u0063licksBlocked") through jansson */
        pptap_buf q = PPTAP_BUF_INIT;
        json_error_t je;
        if (pptap_buf_put(&q, "\"", 1) != 0 || pptap_buf_put(&q, s->key.ptr, s->key.len) != 0 ||
            pptap_buf_put(&q, "\"", 1) != 0) {
            pptap_buf_dispose(&q);
            return fail(s, PPTAP_ENOMEM, "out of memory", NULL);
        }
        json_t *j = json_loadb(q.ptr, q.len, JSON_DECODE_ANY, &je);
        pptap_buf_dispose(&q);
        if (j == NULL || !json_is_string(j)) {
            json_decref(j);
            return fail(s, PPTAP_EPROTO, "malformed JSON", "invalid key");
        }
        s->key.len = 0;
        int rc = pptap_buf_put(&s->key, json_string_value(j), json_string_length(j));
        json_decref(j);
        if (rc != 0) {
            return fail(s, PPTAP_ENOMEM, "out of memory", NULL);
        }
    }
    s->cur_type = -1;
    for (int i = 0; i < PPTAP_EVENT_COUNT_; i++) {
        if (key_is(s, type_keys[i])) {
            s->cur_type = i;
        }
    }
    s->is_qet = key_is(s, "queryEndTime");
    return 0;
}

static int generic_value_done(pptap_splitter *s)
{
    if (!s->capture) {
        return 0;
    }
    json_error_t je;
    json_t *j = json_loadb(s->val.ptr, s->val.len, JSON_DECODE_ANY, &je);
    if (j == NULL) {
        return fail(s, PPTAP_EPROTO, "malformed JSON", je.text);
    }
    if (s->cur_type >= 0 && !json_is_null(j)) {
        json_decref(j);
        return fail(s, PPTAP_EPROTO, "an event list is not an array", type_keys[s->cur_type]);
    }
    if (s->is_qet && json_is_string(j)) {
        const char *v = json_string_value(j);
        size_t n = json_string_length(j);
        pptap_time_ms t;
        if (n >= sizeof s->qet || pptap_time_parse(&t, v, n) != 0) {
            json_decref(j);
            return fail(s, PPTAP_EPROTO, "queryEndTime is not a date-time", NULL);
        }
        memcpy(s->qet, v, n);
        s->qet[n] = '\0';
        s->qet_t = t;
    }
    json_decref(j);
    return 0;
}

static int event_done(pptap_splitter *s)
{
    json_error_t je;
    json_t *j = json_loadb(s->val.ptr, s->val.len, 0, &je);
    if (j == NULL) {
        char d[200];
        snprintf(d, sizeof d, "%s[%zu]: %s", type_keys[s->cur_type], s->elem_index, je.text);
        return fail(s, PPTAP_EPROTO, "malformed event", d);
    }
    s->delivered++;
    int rc = s->cb != NULL ? s->cb((pptap_event_type)s->cur_type, j, s->payload) : 0;
    json_decref(j);
    if (rc != 0) {
        return fail(s, PPTAP_ECANCELED, "stopped by the callback", NULL);
    }
    s->elem_index++;
    return 0;
}

static int put_val(pptap_splitter *s, const char *p, size_t n)
{
    if (pptap_buf_put(&s->val, p, n) != 0) {
        return fail(s, PPTAP_ENOMEM, "out of memory", NULL);
    }
    return 0;
}

int pptap_splitter_feed(pptap_splitter *s, const char *data, size_t len)
{
    if (s->err != 0) {
        return s->err;
    }
    if (len > 0) {
        s->seen_any = 1;
    }
    size_t i = 0;
    while (i < len) {
        char c = data[i];
        int rc;
        switch (s->state) {
        case ST_START:
            if (is_ws(c)) {
                break;
            }
            if (c != '{') {
                return fail(s, PPTAP_EPROTO, "the body is not a JSON object", NULL);
            }
            s->state = ST_KEY_OR_END;
            break;
        case ST_KEY_OR_END:
        case ST_KEY_REQ:
            if (is_ws(c)) {
                break;
            }
            if (c == '}' && s->state == ST_KEY_OR_END) {
                s->state = ST_DONE;
                break;
            }
            if (c != '"') {
                return fail(s, PPTAP_EPROTO, "malformed JSON", "expected a key");
            }
            s->key.len = 0;
            s->key_esc = 0;
            s->state = ST_KEY;
            break;
        case ST_KEY:
            if (!s->key_esc && c == '"') {
                rc = key_done(s);
                if (rc != 0) {
                    return rc;
                }
                s->state = ST_COLON;
                break;
            }
            if ((unsigned char)c < 0x20) {
                return fail(s, PPTAP_EPROTO, "malformed JSON", "control character in a key");
            }
            if (s->key_esc) {
                s->key_esc = 0;
            } else if (c == '\\') {
                s->key_esc = 1;
            }
            if (s->key.len >= KEY_CAP) {
                return fail(s, PPTAP_EPROTO, "malformed JSON", "key too long");
            }
            if (pptap_buf_put(&s->key, &c, 1) != 0) {
                return fail(s, PPTAP_ENOMEM, "out of memory", NULL);
            }
            break;
        case ST_COLON:
            if (is_ws(c)) {
                break;
            }
            if (c != ':') {
                return fail(s, PPTAP_EPROTO, "malformed JSON", "expected ':'");
            }
            s->state = ST_VALUE;
            break;
        case ST_VALUE:
            if (is_ws(c)) {
                break;
            }
            if (s->cur_type >= 0 && c == '[') {
                s->elem_index = 0;
                s->state = ST_ARR_FIRST;
                break;
            }
            if (c == ',' || c == '}' || c == ']' || c == ':') {
                return fail(s, PPTAP_EPROTO, "malformed JSON", "expected a value");
            }
            scan_start(s, c);
            s->val.len = 0;
            s->capture = 1;
            rc = put_val(s, &c, 1);
            if (rc != 0) {
                return rc;
            }
            s->state = ST_VALUE_BODY;
            break;
        case ST_VALUE_BODY: {
            int sr = scan_byte(s, c);
            if (sr < 0) {
                return sr;
            }
            if (sr == 2) {
                rc = generic_value_done(s);
                if (rc != 0) {
                    return rc;
                }
                s->state = ST_AFTER_VALUE;
                continue; /* reprocess c */
            }
            if (s->capture) {
                if (s->val.len >= VALUE_CAPTURE_CAP) {
                    if (s->cur_type >= 0 || s->is_qet) {
                        return fail(s, PPTAP_EPROTO, "malformed JSON", "oversized value");
                    }
                    s->capture = 0; /* an unknown big member: skip it */
                    s->val.len = 0;
                } else {
                    rc = put_val(s, &c, 1);
                    if (rc != 0) {
                        return rc;
                    }
                }
            }
            if (sr == 1) {
                rc = generic_value_done(s);
                if (rc != 0) {
                    return rc;
                }
                s->state = ST_AFTER_VALUE;
            }
            break;
        }
        case ST_AFTER_VALUE:
            if (is_ws(c)) {
                break;
            }
            if (c == ',') {
                s->state = ST_KEY_REQ;
            } else if (c == '}') {
                s->state = ST_DONE;
            } else {
                return fail(s, PPTAP_EPROTO, "malformed JSON", "expected ',' or '}'");
            }
            break;
        case ST_ARR_FIRST:
        case ST_ARR_ELEM:
            if (is_ws(c)) {
                break;
            }
            if (c == ']' && s->state == ST_ARR_FIRST) {
                s->state = ST_AFTER_VALUE;
                break;
            }
            if (c != '{') {
                char d[64];
                snprintf(d, sizeof d, "%s[%zu]", type_keys[s->cur_type], s->elem_index);
                return fail(s, PPTAP_EPROTO, "an event is not a JSON object", d);
            }
            scan_start(s, c);
            s->val.len = 0;
            rc = put_val(s, &c, 1);
            if (rc != 0) {
                return rc;
            }
            s->state = ST_ELEM_BODY;
            break;
        case ST_ELEM_BODY: {
            /* copy a run of bytes in one go; scan at most one byte past the cap so
             * the outcome does not depend on how the input was chunked */
            size_t room = s->max_event - s->val.len;
            size_t end = len - i <= room ? len : i + room + 1;
            size_t j = i;
            int done = 0;
            while (j < end) {
                rc = scan_byte(s, data[j]);
                if (rc < 0) {
                    return rc;
                }
                j++;
                s->offset++;
                if (rc == 1) {
                    done = 1;
                    break;
                }
            }
            if (s->val.len + (j - i) > s->max_event) {
                char d[96];
                snprintf(d, sizeof d, "%s[%zu] is over %zu bytes", type_keys[s->cur_type],
                         s->elem_index, s->max_event);
                return fail(s, PPTAP_EBUFS, "event too large", d);
            }
            rc = put_val(s, data + i, j - i);
            if (rc != 0) {
                return rc;
            }
            i = j;
            if (done) {
                rc = event_done(s);
                if (rc != 0) {
                    return rc;
                }
                s->state = ST_ARR_AFTER;
            }
            continue;
        }
        case ST_ARR_AFTER:
            if (is_ws(c)) {
                break;
            }
            if (c == ',') {
                s->state = ST_ARR_ELEM;
            } else if (c == ']') {
                s->state = ST_AFTER_VALUE;
            } else {
                return fail(s, PPTAP_EPROTO, "malformed JSON", "expected ',' or ']'");
            }
            break;
        case ST_DONE:
            if (!is_ws(c)) {
                return fail(s, PPTAP_EPROTO, "malformed JSON", "data after the document");
            }
            break;
        default:
            return fail(s, PPTAP_EPROTO, "internal state error", NULL);
        }
        i++;
        s->offset++;
    }
    return 0;
}

int pptap_splitter_finish(pptap_splitter *s)
{
    if (s->err != 0) {
        return s->err;
    }
    if (s->state == ST_DONE) {
        return 0;
    }
    if (!s->seen_any) {
        return fail(s, PPTAP_EPROTO, "empty body", NULL);
    }
    if (s->state == ST_VALUE_BODY && s->scalar) {
        /* "…": 1 at the very end cannot complete a document either */
        return fail(s, PPTAP_EPROTO, "truncated body", "the document is not closed");
    }
    return fail(s, PPTAP_EPROTO, "truncated body",
                s->state == ST_ELEM_BODY ? "inside an event" : "the document is not closed");
}
