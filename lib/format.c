/*
 * Event formats: the dispatcher and the raw format.
 */
#include <string.h>

#include <pptap/store.h>

#include "format_internal.h"

static const struct {
    const char *name;
    pptap__format_fn fn;
    pptap__gap_fn gap;
} formats[PPTAP_EVENTFMT_COUNT_] = {
    [PPTAP_EVENTFMT_RAW] = {"raw", pptap__format_raw, pptap__gap_raw},
    [PPTAP_EVENTFMT_ECS] = {"ecs", pptap__format_ecs, pptap__gap_ecs},
    [PPTAP_EVENTFMT_OCSF] = {"ocsf", pptap__format_ocsf, pptap__gap_ocsf},
    [PPTAP_EVENTFMT_CEF] = {"cef", pptap__format_cef, pptap__gap_cef},
};

const char *pptap_eventfmt_name(pptap_eventfmt f)
{
    return (unsigned)f < PPTAP_EVENTFMT_COUNT_ ? formats[f].name : NULL;
}

int pptap_eventfmt_parse(pptap_eventfmt *out, const char *name)
{
    for (int i = 0; i < PPTAP_EVENTFMT_COUNT_; i++) {
        if (name != NULL && strcmp(name, formats[i].name) == 0 && formats[i].fn != NULL) {
            *out = (pptap_eventfmt)i;
            return 0;
        }
    }
    return PPTAP_EINVAL;
}

/* The event's `id` when it is its event_id (docs/store.md: a non-empty
 * string shorter than PPTAP_EVENT_ID_MAX without control characters), so
 * that the common case skips the canonical form and its hash; NULL when the
 * identity must be computed (or refused) by pptap_event_identify(). */
static const char *api_event_id(json_t *event)
{
    json_t *id = json_object_get(event, "id");
    size_t n = json_string_length(id);
    if (!json_is_string(id) || n == 0 || n >= PPTAP_EVENT_ID_MAX) {
        return NULL;
    }
    const char *s = json_string_value(id);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7F) {
            return NULL;
        }
    }
    return s;
}

int pptap_format_event(pptap_buf *out, pptap_eventfmt f, pptap_event_type type, json_t *event,
                       const pptap_event_meta *meta)
{
    if ((unsigned)f >= PPTAP_EVENTFMT_COUNT_ || formats[f].fn == NULL || !json_is_object(event) ||
        (unsigned)type >= PPTAP_EVENT_COUNT_) {
        return PPTAP_EINVAL;
    }
    pptap_event_meta m = {NULL, NULL, NULL, 0};
    if (meta != NULL) {
        m = *meta;
    }
    pptap_event_identity id;
    if (m.event_id == NULL) {
        m.event_id = api_event_id(event);
    }
    if (m.event_id == NULL) {
        int rc = pptap_event_identify(&id, type, event);
        if (rc != 0) {
            return rc;
        }
        m.event_id = id.event_id;
    }
    size_t mark = out->len;
    int rc = formats[f].fn(out, type, event, &m);
    if (rc != 0) {
        out->len = mark;
        if (out->ptr != NULL) {
            out->ptr[mark] = '\0';
        }
    }
    return rc;
}

int pptap_format_gap(pptap_buf *out, pptap_eventfmt f, const pptap_gap_record *g)
{
    if ((unsigned)f >= PPTAP_EVENTFMT_COUNT_ || formats[f].gap == NULL || g == NULL ||
        g->event_id == NULL || g->from == NULL || g->to == NULL) {
        return PPTAP_EINVAL;
    }
    size_t mark = out->len;
    int rc = formats[f].gap(out, g);
    if (rc != 0) {
        out->len = mark;
        if (out->ptr != NULL) {
            out->ptr[mark] = '\0';
        }
    }
    return rc;
}

/* ------------------------------------------------------------------------- */
/* raw: the event as TAP sent it, plus {"pptap": {event_id, event_type, tenant,
 * collected_at, update}}; tenant and collected_at only when known. */

typedef struct {
    pptap_buf *out;
    int failed;
} dump_state;

/* jansson does not check the callback's result for object keys, so a failed
 * append is remembered and every later one refused: the output is never
 * taken with a key missing. */
static int dump_cb(const char *buffer, size_t size, void *data)
{
    dump_state *st = data;
    if (st->failed || pptap_buf_put(st->out, buffer, size) != 0) {
        st->failed = 1;
        return -1;
    }
    return 0;
}

int pptap__dump_json(pptap_buf *out, const json_t *v)
{
    dump_state st = {out, 0};
    int rc = json_dump_callback(v, dump_cb, &st, JSON_COMPACT | JSON_PRESERVE_ORDER);
    return rc == 0 && !st.failed ? 0 : PPTAP_ENOMEM;
}

int pptap__format_raw(pptap_buf *out, pptap_event_type type, json_t *event,
                      const pptap_event_meta *meta)
{
    json_t *env = json_object();
    if (env == NULL || json_object_set_new(env, "event_id", json_string(meta->event_id)) != 0 ||
        json_object_set_new(env, "event_type", json_string(pptap_event_type_name(type))) != 0 ||
        (meta->tenant != NULL &&
         json_object_set_new(env, "tenant", json_string(meta->tenant)) != 0) ||
        (meta->collected_at != NULL &&
         json_object_set_new(env, "collected_at", json_string(meta->collected_at)) != 0) ||
        json_object_set_new(env, "update", json_boolean(meta->update)) != 0) {
        json_decref(env);
        return PPTAP_ENOMEM;
    }
    /* The envelope goes last, after the event's own keys; an event carrying
     * a "pptap" key of its own keeps it only in the store. */
    json_t *saved = json_object_get(event, "pptap");
    json_incref(saved);
    if (json_object_set_new(event, "pptap", env) != 0) {
        json_decref(saved);
        return PPTAP_ENOMEM;
    }
    int rc = pptap__dump_json(out, event);
    if (rc == 0) {
        rc = pptap_buf_put(out, "\n", 1);
    }
    if (saved != NULL) {
        json_object_set_new(event, "pptap", saved);
    } else {
        json_object_del(event, "pptap");
    }
    return rc;
}

/* raw gap: {"pptap": {event_id, event_type: "gap", tenant, collected_at,
 * update: false, from, to, reason}} */
int pptap__gap_raw(pptap_buf *out, const pptap_gap_record *g)
{
    json_t *env =
        json_pack("{s:s, s:s, s:s*, s:s*, s:b, s:s, s:s, s:s*}", "event_id", g->event_id,
                  "event_type", "gap", "tenant", g->tenant, "collected_at", g->collected_at,
                  "update", 0, "from", g->from, "to", g->to, "reason", g->reason);
    json_t *doc = env != NULL ? json_pack("{s:o}", "pptap", env) : NULL;
    int rc = doc != NULL ? pptap__dump_json(out, doc) : PPTAP_ENOMEM;
    if (rc == 0) {
        rc = pptap_buf_put(out, "\n", 1);
    }
    json_decref(doc);
    return rc;
}
