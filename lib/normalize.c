/*
 * The normalizer (pptap/normalize.h): a byte-level scanner that cuts the
 * input into top-level objects, sends responses through the SIEM splitter
 * as they stream and event records through pptap__json_parse() (jansson
 * values, built faster than json_loadb() does), and formats every
 * event with pptap_format_event(), the code the collector uses.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <pptap/normalize.h>

#include "internal.h"
#include "jsonparse.h"

#define DEFAULT_MAX_RECORD ((size_t)8 << 20)
#define FIRST_KEY_CAP 32

enum { S_TOP, S_RECORD, S_SKIP_LINE };

enum {
    K_UNDECIDED, /* before the first key */
    K_EVENT,     /* buffered, then parsed whole */
    K_RESPONSE,  /* streamed through a splitter */
    K_SKIP,      /* over max_record: scanned to its end, then refused */
};

static const char *const response_keys[] = {"queryEndTime", "clicksBlocked", "clicksPermitted",
                                            "messagesBlocked", "messagesDelivered"};

struct pptap_normalizer {
    pptap_normalize_opts o;
    int err;
    int state;
    uint64_t line;   /* 1-based line of the byte being read */
    int col0;        /* that byte starts a line */
    uint64_t offset; /* bytes read before the current chunk */
    unsigned bom;    /* bytes of a byte order mark read at the start */
    pptap_normalize_stats st;

    /* the record being read */
    uint64_t rec_line;
    int kind;
    unsigned depth;
    uint64_t arrays;    /* bit d-1: the container at depth d is an array */
    unsigned char last; /* the last byte outside strings that was not a space */
    int in_str, esc;
    int key_phase; /* 0: before the first key, 1: inside it, 2: after */
    char first_key[FIRST_KEY_CAP];
    size_t first_key_len;
    pptap_buf rec;    /* bytes of an event record from earlier chunks */
    size_t rec_bytes; /* its length so far (also when not kept) */

    pptap_splitter *sp;
    int sp_failed;
    size_t sp_index[PPTAP_EVENT_COUNT_];

    pptap_buf out; /* the line being formatted */
};

int pptap_normalize_type_parse(pptap_event_type *out, const char *name)
{
    static const char *const cli[PPTAP_EVENT_COUNT_] = {"clicks-blocked", "clicks-permitted",
                                                        "messages-blocked", "messages-delivered"};
    if (name == NULL) {
        return PPTAP_EINVAL;
    }
    if (pptap_event_type_parse(out, name) == 0) {
        return 0;
    }
    for (int i = 0; i < PPTAP_EVENT_COUNT_; i++) {
        if (strcmp(name, cli[i]) == 0) {
            *out = (pptap_event_type)i;
            return 0;
        }
    }
    return PPTAP_EINVAL;
}

int pptap_normalizer_new(pptap_normalizer **out, const pptap_normalize_opts *opts)
{
    pptap_eventfmt f;
    if (out == NULL || opts == NULL || opts->on_line == NULL ||
        pptap_eventfmt_name(opts->format) == NULL ||
        pptap_eventfmt_parse(&f, pptap_eventfmt_name(opts->format)) != 0 ||
        (opts->type_given && (unsigned)opts->type >= PPTAP_EVENT_COUNT_)) {
        return PPTAP_EINVAL;
    }
    pptap_normalizer *n = pptap__calloc(1, sizeof *n);
    if (n == NULL) {
        return PPTAP_ENOMEM;
    }
    n->o = *opts;
    if (n->o.max_record == 0) {
        n->o.max_record = DEFAULT_MAX_RECORD;
    }
    n->line = 1;
    n->col0 = 1;
    *out = n;
    return 0;
}

void pptap_normalizer_free(pptap_normalizer *n)
{
    if (n == NULL) {
        return;
    }
    pptap_splitter_free(n->sp);
    pptap_buf_dispose(&n->rec);
    pptap_buf_dispose(&n->out);
    pptap__free(n);
}

void pptap_normalizer_stats(const pptap_normalizer *n, pptap_normalize_stats *out)
{
    *out = n->st;
}

static void refuse(pptap_normalizer *n, uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void refuse(pptap_normalizer *n, uint64_t line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    n->st.refused++;
    if (n->o.on_error != NULL) {
        n->o.on_error(line, msg, n->o.payload);
    }
}

/* Formats one event and hands the line over. Returns 0, or a sticky error. */
static int emit_event(pptap_normalizer *n, uint64_t line, const char *where, pptap_event_type type,
                      json_t *ev, const pptap_event_meta *meta)
{
    n->out.len = 0;
    int rc = pptap_format_event(&n->out, n->o.format, type, ev, meta);
    if (rc == PPTAP_ENOMEM) {
        return n->err = PPTAP_ENOMEM;
    }
    if (rc != 0) {
        refuse(n, line, "%s%sthe event has no identity (no usable \"id\" and no \"GUID\")",
               where ? where : "", where ? ": " : "");
        return 0;
    }
    if (n->o.on_line(n->out.ptr, n->out.len, n->o.payload) != 0) {
        return n->err = PPTAP_ECANCELED;
    }
    n->st.events++;
    return 0;
}

/* ---- responses -------------------------------------------------------- */

static int on_split_event(pptap_event_type type, json_t *ev, void *payload)
{
    pptap_normalizer *n = payload;
    char where[48];
    snprintf(where, sizeof where, "%s[%zu]", pptap_event_type_name(type), n->sp_index[type]++);
    return emit_event(n, n->line, where, type, ev, NULL) != 0;
}

static int response_start(pptap_normalizer *n)
{
    memset(n->sp_index, 0, sizeof n->sp_index);
    n->sp_failed = 0;
    if (pptap_splitter_new(&n->sp, n->o.max_record, on_split_event, n) != 0) {
        return n->err = PPTAP_ENOMEM;
    }
    return 0;
}

static int splitter_fail(pptap_normalizer *n, int rc)
{
    if (n->err != 0) {
        return n->err; /* our callback stopped it */
    }
    if (rc == PPTAP_ENOMEM) {
        return n->err = PPTAP_ENOMEM;
    }
    n->sp_failed = 1;
    refuse(n, n->line, "SIEM response from line %llu: %s", (unsigned long long)n->rec_line,
           pptap_splitter_error(n->sp));
    return 0;
}

static int response_feed(pptap_normalizer *n, const char *p, size_t len)
{
    if (n->sp_failed || len == 0) {
        return 0;
    }
    int rc = pptap_splitter_feed(n->sp, p, len);
    return rc == 0 ? 0 : splitter_fail(n, rc);
}

static int response_end(pptap_normalizer *n)
{
    int rc = 0;
    if (!n->sp_failed) {
        int r = pptap_splitter_finish(n->sp);
        if (r != 0) {
            rc = splitter_fail(n, r);
        }
    }
    pptap_splitter_free(n->sp);
    n->sp = NULL;
    return rc;
}

/* ---- event records ---------------------------------------------------- */

static const char *str_member(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* A raw-format line's gap record, rendered again in the output format. */
static int emit_gap(pptap_normalizer *n, json_t *env)
{
    pptap_gap_record g = {str_member(env, "event_id"),     str_member(env, "tenant"),
                          str_member(env, "collected_at"), str_member(env, "from"),
                          str_member(env, "to"),           str_member(env, "reason")};
    n->out.len = 0;
    int rc = pptap_format_gap(&n->out, n->o.format, &g);
    if (rc == PPTAP_ENOMEM) {
        return n->err = PPTAP_ENOMEM;
    }
    if (rc != 0) {
        refuse(n, n->rec_line, "a gap record needs \"event_id\", \"from\" and \"to\" strings");
        return 0;
    }
    if (n->o.on_line(n->out.ptr, n->out.len, n->o.payload) != 0) {
        return n->err = PPTAP_ECANCELED;
    }
    n->st.events++;
    return 0;
}

/* A response that fitted in one record: its event arrays, in order. */
static int emit_arrays(pptap_normalizer *n, json_t *doc)
{
    const char *k;
    json_t *v;
    json_object_foreach(doc, k, v)
    {
        pptap_event_type t;
        if (pptap_event_type_parse(&t, k) != 0 || json_is_null(v)) {
            continue;
        }
        if (!json_is_array(v)) {
            refuse(n, n->rec_line, "SIEM response: \"%s\" is not an array", k);
            continue;
        }
        size_t i;
        json_t *ev;
        json_array_foreach(v, i, ev)
        {
            char where[48];
            snprintf(where, sizeof where, "%s[%zu]", k, i);
            if (!json_is_object(ev)) {
                refuse(n, n->rec_line, "%s: an event is not a JSON object", where);
            } else if (emit_event(n, n->rec_line, where, t, ev, NULL) != 0) {
                return n->err;
            }
        }
    }
    return 0;
}

static int is_response(json_t *doc)
{
    for (size_t i = 0; i < sizeof response_keys / sizeof response_keys[0]; i++) {
        if (json_object_get(doc, response_keys[i]) != NULL) {
            return 1;
        }
    }
    return 0;
}

/* What a parsed event record is, and its events written. Takes `doc`. */
static int event_doc(pptap_normalizer *n, json_t *doc)
{
    int rc = 0;
    json_t *env = json_object_get(doc, "pptap");
    const char *env_type = json_is_object(env) ? str_member(env, "event_type") : NULL;
    json_t *et = json_object_get(doc, "eventType");
    pptap_event_type type;
    if (et != NULL) {
        if (!json_is_string(et) || pptap_normalize_type_parse(&type, json_string_value(et)) != 0) {
            refuse(n, n->rec_line,
                   "unknown \"eventType\" (not clicksBlocked, clicksPermitted, "
                   "messagesBlocked or messagesDelivered)");
            goto out;
        }
    } else if (env_type != NULL && strcmp(env_type, "gap") == 0) {
        rc = emit_gap(n, env);
        goto out;
    } else if (env_type != NULL) {
        if (pptap_normalize_type_parse(&type, env_type) != 0) {
            refuse(n, n->rec_line, "unknown \"pptap\".\"event_type\"");
            goto out;
        }
    } else if (is_response(doc)) {
        rc = emit_arrays(n, doc);
        goto out;
    } else if (n->o.type_given) {
        type = n->o.type;
    } else {
        refuse(n, n->rec_line,
               "cannot tell the event type: no \"eventType\" key, no \"pptap\" envelope, and no "
               "type given for bare events");
        goto out;
    }
    pptap_event_meta meta = {NULL, NULL, NULL, 0};
    const pptap_event_meta *mp = NULL;
    if (env_type != NULL) {
        meta.event_id = str_member(env, "event_id");
        meta.tenant = str_member(env, "tenant");
        meta.collected_at = str_member(env, "collected_at");
        meta.update = json_is_true(json_object_get(env, "update"));
        mp = &meta;
    }
    /* the keys pptap added are not part of the TAP event; the strings the
     * meta points to stay alive while `env` is held */
    json_incref(env);
    json_object_del(doc, "eventType");
    if (env_type != NULL) {
        json_object_del(doc, "pptap");
    }
    rc = emit_event(n, n->rec_line, NULL, type, doc, mp);
    json_decref(env);
out:
    json_decref(doc);
    return rc;
}

static int event_record(pptap_normalizer *n, const char *p, size_t len)
{
    json_t *doc;
    char why[PPTAP__JSON_ERR_LEN];
    size_t at;
    int prc = pptap__json_parse(&doc, p, len, why, &at);
    if (prc == PPTAP_ENOMEM) {
        return n->err = PPTAP_ENOMEM;
    }
    if (prc != 0) {
        refuse(n, n->rec_line + (at > 1 ? at - 1 : 0), "not valid JSON: %s", why);
        return 0;
    }
    return event_doc(n, doc);
}

/* ---- the scanner ------------------------------------------------------ */

static void record_start(pptap_normalizer *n)
{
    n->st.records++;
    n->rec_line = n->line;
    n->kind = K_UNDECIDED;
    n->depth = 1;
    n->arrays = 0;
    n->last = '{';
    n->in_str = 0;
    n->esc = 0;
    n->key_phase = 0;
    n->first_key_len = 0;
    n->rec.len = 0;
    n->rec_bytes = 0;
}

/* Decides what the record is once its first key is known (or it has none). */
static int decide(pptap_normalizer *n, int has_key)
{
    n->kind = K_EVENT;
    for (size_t i = 0; has_key && i < sizeof response_keys / sizeof response_keys[0]; i++) {
        if (strlen(response_keys[i]) == n->first_key_len &&
            memcmp(response_keys[i], n->first_key, n->first_key_len) == 0) {
            n->kind = K_RESPONSE;
        }
    }
    if (n->kind != K_RESPONSE) {
        return 0;
    }
    if (response_start(n) != 0) {
        return n->err;
    }
    /* what was kept of the record so far goes to the splitter first */
    int rc = response_feed(n, n->rec.ptr, n->rec.len);
    n->rec.len = 0;
    return rc;
}

/* Keeps s[0..len) of the current record for later (event records and the
 * head of an undecided one), or refuses the record when it grows too big. */
static int keep(pptap_normalizer *n, const char *s, size_t len)
{
    if (n->kind == K_RESPONSE) {
        return response_feed(n, s, len);
    }
    if (n->kind == K_SKIP) {
        return 0;
    }
    n->rec_bytes += len;
    if (n->rec_bytes > n->o.max_record) {
        /* refused where it ends (or is cut), as when it is read in one piece */
        n->kind = K_SKIP;
        n->rec.len = 0;
        return 0;
    }
    if (pptap_buf_put(&n->rec, s, len) != 0) {
        return n->err = PPTAP_ENOMEM;
    }
    return 0;
}

/* The record ended at its closing brace; s[0..len) is its last piece. */
static int record_end(pptap_normalizer *n, const char *s, size_t len)
{
    int rc = 0;
    switch (n->kind) {
    case K_RESPONSE:
        rc = response_feed(n, s, len);
        if (rc == 0) {
            rc = response_end(n);
        }
        break;
    case K_SKIP:
        refuse(n, n->rec_line, "record over %zu bytes", n->o.max_record);
        break;
    default:
        if (n->rec_bytes == 0 && len > n->o.max_record) {
            refuse(n, n->rec_line, "record over %zu bytes", n->o.max_record);
        } else if (n->rec_bytes == 0) {
            rc = event_record(n, s, len); /* all in this chunk: read in place */
        } else {
            rc = keep(n, s, len);
            if (rc == 0 && n->kind == K_SKIP) {
                refuse(n, n->rec_line, "record over %zu bytes", n->o.max_record);
            } else if (rc == 0) {
                rc = event_record(n, n->rec.ptr, n->rec.len);
            }
        }
        break;
    }
    n->rec.len = 0;
    n->state = S_TOP;
    return rc;
}

/* The record cannot end: a line break inside a string, a '{' at the start
 * of a line, or the end of the input. */
static void record_cut(pptap_normalizer *n, const char *why, const char *pending, size_t plen)
{
    if (n->kind == K_RESPONSE) {
        /* the splitter reads what came before the cut first, so that the
         * report does not depend on where the input was split */
        if (response_feed(n, pending, plen) != 0) {
            return;
        }
        if (!n->sp_failed) {
            refuse(n, n->rec_line, "SIEM response cut: %s", why);
        }
        pptap_splitter_free(n->sp);
        n->sp = NULL;
    } else {
        refuse(n, n->rec_line, "record cut: %s", why);
    }
    n->rec.len = 0;
    n->state = S_TOP;
}

/* Whether the scanner is where an array element may start, so that a '{'
 * at the start of a line continues the record (a hand-formatted list)
 * instead of starting the next one. */
static int element_expected(const pptap_normalizer *n)
{
    unsigned d = n->depth - 1; /* bit of the innermost container */
    return (n->last == '[' || n->last == ',') && d < 64 && (n->arrays >> d & 1) != 0;
}

static int is_string_stop(unsigned char c)
{
    return c == '"' || c == '\\' || c < 0x20;
}

/* Whether none of the 8 bytes at s stops a string ('"', '\\', a control
 * character), tested at once; non-ASCII bytes do not stop it. */
static inline int string_word(const unsigned char *s)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t x;
    memcpy(&x, s, 8);
    uint64_t q = x ^ (ones * '"'), bs = x ^ (ones * '\\');
    return (((x - ones * 0x20) | (q - ones) | (bs - ones)) & ~x & high) == 0;
}

/* Whether the object at s[0..n) starts with a SIEM response key. */
static int response_head(const char *s, size_t n)
{
    size_t i = 1;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) {
        i++;
    }
    if (i >= n || s[i] != '"') {
        return 0;
    }
    i++;
    for (size_t k = 0; k < sizeof response_keys / sizeof response_keys[0]; k++) {
        size_t kl = strlen(response_keys[k]);
        if (n - i > kl && memcmp(s + i, response_keys[k], kl) == 0 && s[i + kl] == '"') {
            return 1;
        }
    }
    return 0;
}

/* The common case, one event record per line: when the object starting at
 * s[0] and the rest of its line are one valid JSON object (and not a
 * response, and not too large), reads it as a record without the byte
 * scanner. Returns the bytes used (up to the line break), or 0 to let the
 * scanner read it (which gives the same result for a valid line, and the
 * scanner's reports for any other). */
static size_t whole_line(pptap_normalizer *n, const char *s, size_t avail)
{
    const char *nl = memchr(s, '\n', avail);
    if (nl == NULL || (size_t)(nl - s) > n->o.max_record || response_head(s, (size_t)(nl - s))) {
        return 0;
    }
    json_t *doc;
    char why[PPTAP__JSON_ERR_LEN];
    size_t at;
    int rc = pptap__json_parse(&doc, s, (size_t)(nl - s), why, &at);
    if (rc == PPTAP_ENOMEM) {
        n->err = PPTAP_ENOMEM;
        return 0;
    }
    if (rc != 0) {
        return 0;
    }
    record_start(n);
    event_doc(n, doc);
    return (size_t)(nl - s);
}

int pptap_normalizer_feed(pptap_normalizer *n, const char *data, size_t len)
{
    if (n->err != 0) {
        return n->err;
    }
    size_t i = 0;
    size_t from = 0; /* start of the current record's bytes in this chunk */
    /* a UTF-8 byte order mark at the very start is skipped; its first bytes
     * followed by something else are not JSON */
    while (n->bom < 3 && n->offset + i == n->bom && i < len &&
           (unsigned char)data[i] == (unsigned char)"\xEF\xBB\xBF"[n->bom]) {
        n->bom++;
        i++;
    }
    if (n->bom > 0 && n->bom < 3 && n->offset + i == n->bom && i < len) {
        refuse(n, 1, "not a JSON object");
        n->state = S_SKIP_LINE;
        n->bom = 3;
    }
    while (i < len && n->err == 0) {
        if (n->state == S_SKIP_LINE) {
            const char *nl = memchr(data + i, '\n', len - i);
            i = nl != NULL ? (size_t)(nl - data) : len;
            if (nl != NULL) {
                n->state = S_TOP;
            }
            continue;
        }
        unsigned char c = (unsigned char)data[i];
        if (n->state == S_TOP) {
            if (c == '\n') {
                n->line++;
                n->col0 = 1;
            } else if (c == ' ' || c == '\t' || c == '\r') {
                n->col0 = 0;
            } else if (c == '{') {
                size_t used = whole_line(n, data + i, len - i);
                if (n->err != 0) {
                    break;
                }
                if (used > 0) {
                    i += used; /* the line break is read at the top level */
                    n->col0 = 0;
                    continue;
                }
                record_start(n);
                n->state = S_RECORD;
                from = i;
                n->col0 = 0;
            } else {
                refuse(n, n->line, "not a JSON object");
                n->state = S_SKIP_LINE;
                continue;
            }
            i++;
            continue;
        }
        /* inside a record */
        if (n->in_str) {
            if (n->esc) {
                n->esc = 0;
                if (c == '\n') {
                    goto cut_in_string;
                }
                if (n->key_phase == 1 && n->first_key_len < FIRST_KEY_CAP) {
                    n->first_key[n->first_key_len++] = (char)c;
                }
                i++;
                continue;
            }
            size_t j = i;
            while (j + 8 <= len && string_word((const unsigned char *)data + j)) {
                j += 8;
            }
            while (j < len && !is_string_stop((unsigned char)data[j])) {
                j++;
            }
            if (n->key_phase == 1) {
                for (size_t k = i; k < j && n->first_key_len < FIRST_KEY_CAP; k++) {
                    n->first_key[n->first_key_len++] = data[k];
                }
            }
            i = j;
            if (i == len) {
                break;
            }
            c = (unsigned char)data[i];
            if (c == '"') {
                n->in_str = 0;
                n->last = '"';
                if (n->key_phase == 1) {
                    n->key_phase = 2;
                    if (decide(n, 1) != 0) {
                        break;
                    }
                    if (n->kind == K_RESPONSE) {
                        /* the head up to here goes to the splitter */
                        if (response_feed(n, data + from, i + 1 - from) != 0) {
                            break;
                        }
                        from = i + 1;
                    }
                }
            } else if (c == '\\') {
                n->esc = 1;
                if (n->key_phase == 1 && n->first_key_len < FIRST_KEY_CAP) {
                    n->first_key[n->first_key_len++] = '\\';
                }
            } else if (c == '\n') {
                goto cut_in_string;
            }
            /* other control bytes: jansson or the splitter refuses them */
            i++;
            continue;
        cut_in_string:
            record_cut(n, "a line break inside a string", data + from, i - from);
            continue; /* the newline is read again at the top level */
        }
        switch (c) {
        case '"':
            n->in_str = 1;
            if (n->key_phase == 0 && n->depth == 1) {
                n->key_phase = 1;
            }
            break;
        case '{':
        case '[':
            if (c == '{' && n->col0 && !element_expected(n)) {
                /* a new record at the start of a line: this one was cut
                 * (a response got every line before this one already) */
                char why[80];
                snprintf(why, sizeof why, "line %llu starts another object before it ends",
                         (unsigned long long)n->line);
                record_cut(n, why, data + from, i - from);
                continue;
            }
            if (n->depth < 64) {
                uint64_t bit = (uint64_t)1 << n->depth;
                n->arrays = c == '[' ? n->arrays | bit : n->arrays & ~bit;
            }
            n->depth++;
            break;
        case '}':
        case ']':
            if (n->key_phase == 0 && n->depth == 1 && decide(n, 0) != 0) {
                break;
            }
            if (--n->depth == 0) {
                record_end(n, data + from, i + 1 - from);
                n->col0 = 0;
                i++;
                continue;
            }
            break;
        case '\n':
            if (n->kind == K_RESPONSE) {
                /* the splitter gets whole lines, so its errors name a line */
                if (response_feed(n, data + from, i + 1 - from) != 0) {
                    break;
                }
                from = i + 1;
            }
            n->line++;
            n->col0 = 1;
            i++;
            continue;
        default:
            break;
        }
        if (c != ' ' && c != '\t' && c != '\r') {
            n->last = c;
        }
        n->col0 = 0;
        i++;
    }
    if (n->err == 0 && n->state == S_RECORD && from < len) {
        keep(n, data + from, len - from);
    }
    n->offset += len;
    return n->err;
}

int pptap_normalizer_finish(pptap_normalizer *n)
{
    if (n->err != 0) {
        return n->err;
    }
    if (n->state == S_RECORD) {
        record_cut(n, "the input ends inside it", NULL, 0);
    }
    return n->err;
}
