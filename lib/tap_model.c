/*
 * Typed views of TAP API responses, tolerant of the documented quirks
 * (reference §10, §13.1): both spellings of renamed keys, nulls, arrays
 * where the docs say strings (and strings where we expect arrays), string or
 * boolean completelyRewritten, integer blacklisted, both threat-summary
 * spellings. Strings are borrowed from the jansson document the result owns.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tap_internal.h"

/* ------------------------------------------------------------------------ */
/* Arena                                                                     */

typedef struct arena_node {
    struct arena_node *next;
    max_align_t data[];
} arena_node;

void *pptap__arena_alloc(pptap__arena *a, size_t n)
{
    if (n > SIZE_MAX - sizeof(arena_node)) {
        return NULL;
    }
    arena_node *nd = pptap__calloc(1, sizeof *nd + n);
    if (nd == NULL) {
        return NULL;
    }
    nd->next = a->head;
    a->head = nd;
    return nd->data;
}

void pptap__arena_free(pptap__arena *a)
{
    arena_node *nd = a->head;
    while (nd != NULL) {
        arena_node *next = nd->next;
        pptap__free(nd);
        nd = next;
    }
    a->head = NULL;
}

/* Allocates `count` elements of `size` (NULL and success for zero). */
static int arena_array(pptap__arena *a, void **out, size_t count, size_t size)
{
    *out = NULL;
    if (count == 0) {
        return 0;
    }
    if (count > SIZE_MAX / size) {
        return PPTAP_ENOMEM;
    }
    *out = pptap__arena_alloc(a, count * size);
    return *out != NULL ? 0 : PPTAP_ENOMEM;
}

int pptap__load_object(json_t **out, const char *body, size_t len, char *err, size_t errlen)
{
    json_error_t je;
    json_t *j = json_loadb(body != NULL ? body : "", len, 0, &je);
    if (j == NULL) {
        if (err != NULL) {
            snprintf(err, errlen, "response is not JSON: %s", je.text);
        }
        return PPTAP_EPROTO;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        if (err != NULL) {
            snprintf(err, errlen, "response is not a JSON object");
        }
        return PPTAP_EPROTO;
    }
    *out = j;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Field readers                                                             */

static json_t *get2(json_t *o, const char *a, const char *b)
{
    json_t *v = json_object_get(o, a);
    if ((v == NULL || json_is_null(v)) && b != NULL) {
        json_t *w = json_object_get(o, b);
        if (w != NULL) {
            v = w;
        }
    }
    return v;
}

static const char *str2(json_t *o, const char *a, const char *b)
{
    json_t *v = get2(o, a, b);
    if (json_is_array(v) && json_array_size(v) > 0) {
        v = json_array_get(v, 0); /* a list where one string was expected */
    }
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static const char *str(json_t *o, const char *k)
{
    return str2(o, k, NULL);
}

static int64_t int_of(json_t *v)
{
    if (json_is_integer(v)) {
        return (int64_t)json_integer_value(v);
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d >= -9.2e18 && d <= 9.2e18) {
            return (int64_t)d;
        }
        return PPTAP_INT_NONE;
    }
    if (json_is_boolean(v)) {
        return json_is_true(v) ? 1 : 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        long long x = strtoll(s, &end, 10);
        if (*s != '\0' && *end == '\0') {
            return (int64_t)x;
        }
    }
    return PPTAP_INT_NONE;
}

static int64_t int2(json_t *o, const char *a, const char *b)
{
    return int_of(get2(o, a, b));
}

static double num(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (json_is_number(v)) {
        return json_number_value(v);
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        double d = strtod(s, &end);
        if (*s != '\0' && *end == '\0') {
            return d;
        }
    }
    return NAN;
}

/* Booleans as the API sends them: true/false, 1/0, "true"/"false"; else -1. */
static int bool_of(json_t *v)
{
    if (json_is_boolean(v)) {
        return json_is_true(v) ? 1 : 0;
    }
    if (json_is_integer(v)) {
        return json_integer_value(v) != 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0 || strcasecmp(s, "yes") == 0) {
            return 1;
        }
        if (strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0 || strcasecmp(s, "no") == 0) {
            return 0;
        }
    }
    return -1;
}

static int boolk(json_t *o, const char *k)
{
    return bool_of(json_object_get(o, k));
}

static pptap_time_ms timek(json_t *o, const char *k, const char **s_out)
{
    const char *s = str(o, k);
    pptap_time_ms t;
    if (s_out != NULL) {
        *s_out = s;
    }
    if (s == NULL || pptap_time_parse(&t, s, strlen(s)) != 0) {
        return PPTAP_TIME_NONE;
    }
    return t;
}

/* A list of strings from an array (strings kept, objects' "name" taken), a
 * single string, or null/absent (empty). */
static int strlist(pptap__arena *a, pptap_strlist *out, json_t *v)
{
    out->v = NULL;
    out->n = 0;
    if (json_is_string(v)) {
        const char **p = pptap__arena_alloc(a, sizeof *p);
        if (p == NULL) {
            return PPTAP_ENOMEM;
        }
        p[0] = json_string_value(v);
        out->v = p;
        out->n = 1;
        return 0;
    }
    if (!json_is_array(v)) {
        return 0;
    }
    size_t n = json_array_size(v);
    const char **p;
    if (arena_array(a, (void **)&p, n, sizeof *p) != 0) {
        return PPTAP_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(v, i);
        if (json_is_object(e)) {
            e = json_object_get(e, "name");
        }
        if (json_is_string(e)) {
            p[k++] = json_string_value(e);
        }
    }
    out->v = p;
    out->n = k;
    return 0;
}

static int strlistk(pptap__arena *a, pptap_strlist *out, json_t *o, const char *k)
{
    return strlist(a, out, json_object_get(o, k));
}

static int namedlist(pptap__arena *a, pptap_namedlist *out, json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    out->v = NULL;
    out->n = 0;
    if (!json_is_array(v)) {
        return 0;
    }
    size_t n = json_array_size(v);
    pptap_named *p;
    if (arena_array(a, (void **)&p, n, sizeof *p) != 0) {
        return PPTAP_ENOMEM;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(v, i);
        if (json_is_object(e)) {
            p[m].id = str(e, "id");
            p[m].name = str(e, "name");
            m++;
        } else if (json_is_string(e)) {
            p[m].id = NULL;
            p[m].name = json_string_value(e);
            m++;
        }
    }
    out->v = p;
    out->n = m;
    return 0;
}

/* The object elements of array member `k` (non-objects are skipped). */
static size_t objects_of(json_t *o, const char *k, json_t **arr)
{
    json_t *v = json_object_get(o, k);
    *arr = json_is_array(v) ? v : NULL;
    return *arr != NULL ? json_array_size(v) : 0;
}

/* ------------------------------------------------------------------------ */
/* SIEM events                                                               */

static int parse_threat_info(pptap__arena *a, pptap_threat_info *t, json_t *o)
{
    t->raw = o;
    t->threat_id = str2(o, "threatID", "threatId");
    t->threat_status = str(o, "threatStatus");
    t->classification = str(o, "classification");
    t->threat_url = str2(o, "threatUrl", "threatURL");
    t->threat = str(o, "threat");
    t->campaign_id = str2(o, "campaignID", "campaignId");
    t->threat_type = str(o, "threatType");
    t->threat_time = timek(o, "threatTime", &t->threat_time_str);
    t->detection_type = str(o, "detectionType");
    return strlistk(a, &t->actors, o, "actors");
}

static void parse_part(pptap_message_part *p, json_t *o)
{
    p->raw = o;
    p->content_type = str(o, "contentType");
    p->o_content_type = str(o, "oContentType");
    p->disposition = str(o, "disposition");
    p->filename = str(o, "filename");
    p->md5 = str(o, "md5");
    p->sha256 = str(o, "sha256");
    p->sandbox_status = str(o, "sandboxStatus");
}

static int parse_message_into(pptap__arena *a, pptap_message *m, json_t *o)
{
    int rc = 0;
    m->raw = o;
    m->guid = str2(o, "GUID", "guid");
    m->id = str(o, "id");
    m->qid = str(o, "QID");
    m->message_id = str(o, "messageID");
    m->message_time = timek(o, "messageTime", &m->message_time_str);
    m->message_size = int2(o, "messageSize", NULL);
    m->subject = str(o, "subject");
    m->sender = str(o, "sender");
    m->sender_ip = str(o, "senderIP");
    rc |= strlistk(a, &m->recipient, o, "recipient");
    rc |= strlistk(a, &m->from_address, o, "fromAddress");
    rc |= strlistk(a, &m->to_addresses, o, "toAddresses");
    rc |= strlistk(a, &m->cc_addresses, o, "ccAddresses");
    rc |= strlistk(a, &m->reply_to_address, o, "replyToAddress");
    m->header_from = str(o, "headerFrom");
    m->header_reply_to = str(o, "headerReplyTo");
    m->header_to = str(o, "headerTo");
    m->header_cc = str(o, "headerCC");
    m->xmailer = str(o, "xmailer");
    m->cluster = str2(o, "cluster", "clusterId");
    json_t *cr = json_object_get(o, "completelyRewritten");
    m->completely_rewritten = bool_of(cr);
    m->completely_rewritten_str = json_is_string(cr) ? json_string_value(cr) : NULL;
    m->spam_score = int2(o, "spamScore", NULL);
    m->phish_score = int2(o, "phishScore", NULL);
    m->malware_score = int2(o, "malwareScore", NULL);
    m->impostor_score = num(o, "impostorScore");
    rc |= strlistk(a, &m->modules_run, o, "modulesRun");
    rc |= strlistk(a, &m->policy_routes, o, "policyRoutes");
    m->quarantine_folder = str(o, "quarantineFolder");
    m->quarantine_rule = str(o, "quarantineRule");
    if (rc != 0) {
        return PPTAP_ENOMEM;
    }

    json_t *arr;
    size_t n = objects_of(o, "messageParts", &arr);
    pptap_message_part *parts;
    if (arena_array(a, (void **)&parts, n, sizeof *parts) != 0) {
        return PPTAP_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(arr, i);
        if (json_is_object(e)) {
            parse_part(&parts[k++], e);
        }
    }
    m->parts = parts;
    m->n_parts = k;

    n = objects_of(o, "threatsInfoMap", &arr);
    pptap_threat_info *ti;
    if (arena_array(a, (void **)&ti, n, sizeof *ti) != 0) {
        return PPTAP_ENOMEM;
    }
    k = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(arr, i);
        if (json_is_object(e)) {
            if (parse_threat_info(a, &ti[k++], e) != 0) {
                return PPTAP_ENOMEM;
            }
        }
    }
    m->threats = ti;
    m->n_threats = k;
    return 0;
}

static void parse_click_into(pptap_click *c, json_t *o)
{
    c->raw = o;
    c->id = str(o, "id");
    c->guid = str2(o, "GUID", "guid");
    c->message_id = str(o, "messageID");
    c->url = str(o, "url");
    c->classification = str(o, "classification");
    c->click_time = timek(o, "clickTime", &c->click_time_str);
    c->threat_time = timek(o, "threatTime", &c->threat_time_str);
    c->click_ip = str(o, "clickIP");
    c->user_agent = str(o, "userAgent");
    c->sender = str(o, "sender");
    c->sender_ip = str(o, "senderIP");
    c->recipient = str(o, "recipient");
    c->threat_id = str2(o, "threatID", "threatId");
    c->threat_url = str2(o, "threatURL", "threatUrl");
    c->threat_status = str(o, "threatStatus");
    c->campaign_id = str2(o, "campaignId", "campaignID");
}

struct pptap_message_obj {
    pptap__arena arena;
    pptap_message m;
};

struct pptap_click_obj {
    pptap_click c;
};

int pptap_message_parse(pptap_message_obj **out, json_t *event)
{
    if (out == NULL || !json_is_object(event)) {
        return PPTAP_EPROTO;
    }
    pptap_message_obj *m = pptap__calloc(1, sizeof *m);
    if (m == NULL) {
        return PPTAP_ENOMEM;
    }
    json_incref(event);
    if (parse_message_into(&m->arena, &m->m, event) != 0) {
        pptap_message_free(m);
        return PPTAP_ENOMEM;
    }
    *out = m;
    return 0;
}

const pptap_message *pptap_message_get(const pptap_message_obj *m)
{
    return &m->m;
}

void pptap_message_free(pptap_message_obj *m)
{
    if (m == NULL) {
        return;
    }
    json_decref(m->m.raw);
    pptap__arena_free(&m->arena);
    pptap__free(m);
}

int pptap_click_parse(pptap_click_obj **out, json_t *event)
{
    if (out == NULL || !json_is_object(event)) {
        return PPTAP_EPROTO;
    }
    pptap_click_obj *c = pptap__calloc(1, sizeof *c);
    if (c == NULL) {
        return PPTAP_ENOMEM;
    }
    json_incref(event);
    parse_click_into(&c->c, event);
    *out = c;
    return 0;
}

const pptap_click *pptap_click_get(const pptap_click_obj *c)
{
    return &c->c;
}

void pptap_click_free(pptap_click_obj *c)
{
    if (c == NULL) {
        return;
    }
    json_decref(c->c.raw);
    pptap__free(c);
}

/* ------------------------------------------------------------------------ */
/* Results: one arena each; the result struct is its first allocation        */

#define RESULT_NEW(type, out_ptr, arena_ptr)                                                       \
    do {                                                                                           \
        arena_ptr = pptap__calloc(1, sizeof(pptap__arena));                                        \
        out_ptr = arena_ptr != NULL ? pptap__arena_alloc(arena_ptr, sizeof(type)) : NULL;          \
        if (out_ptr == NULL) {                                                                     \
            pptap__free(arena_ptr);                                                                \
            arena_ptr = NULL;                                                                      \
        } else {                                                                                   \
            out_ptr->priv_ = arena_ptr;                                                            \
        }                                                                                          \
    } while (0)

static void result_free(json_t *raw, void *priv)
{
    json_decref(raw);
    if (priv != NULL) {
        pptap__arena *a = priv;
        pptap__arena_free(a);
        pptap__free(a);
    }
}

/* SIEM ------------------------------------------------------------------- */

void pptap_siem_result_free(pptap_siem_result *r)
{
    if (r != NULL) {
        result_free(r->raw, r->priv_);
    }
}

static int event_array(json_t *doc, const char *key, json_t **arr)
{
    json_t *v = json_object_get(doc, key);
    *arr = NULL;
    if (v == NULL || json_is_null(v)) {
        return 0;
    }
    if (!json_is_array(v)) {
        return PPTAP_EPROTO;
    }
    for (size_t i = 0; i < json_array_size(v); i++) {
        if (!json_is_object(json_array_get(v, i))) {
            return PPTAP_EPROTO;
        }
    }
    *arr = v;
    return 0;
}

int pptap__siem_from_json(pptap_siem_result **out, json_t *doc)
{
    pptap_siem_result *r;
    pptap__arena *a;
    RESULT_NEW(pptap_siem_result, r, a);
    if (r == NULL) {
        json_decref(doc);
        return PPTAP_ENOMEM;
    }
    r->raw = doc;
    r->status = doc != NULL ? 200 : 204;
    r->query_end_time = PPTAP_TIME_NONE;
    if (doc == NULL) {
        *out = r;
        return 0;
    }
    int rc = 0;
    r->query_end_time = timek(doc, "queryEndTime", &r->query_end_time_str);
    for (int t = 0; t < PPTAP_EVENT_COUNT_ && rc == 0; t++) {
        json_t *arr;
        rc = event_array(doc, pptap_event_type_name((pptap_event_type)t), &arr);
        if (rc != 0 || arr == NULL) {
            continue;
        }
        size_t n = json_array_size(arr);
        if (t == PPTAP_EVENT_CLICKS_BLOCKED || t == PPTAP_EVENT_CLICKS_PERMITTED) {
            pptap_click *cl;
            rc = arena_array(a, (void **)&cl, n, sizeof *cl);
            for (size_t i = 0; rc == 0 && i < n; i++) {
                parse_click_into(&cl[i], json_array_get(arr, i));
            }
            if (t == PPTAP_EVENT_CLICKS_BLOCKED) {
                r->clicks_blocked = cl;
                r->n_clicks_blocked = rc == 0 ? n : 0;
            } else {
                r->clicks_permitted = cl;
                r->n_clicks_permitted = rc == 0 ? n : 0;
            }
        } else {
            pptap_message *ms;
            rc = arena_array(a, (void **)&ms, n, sizeof *ms);
            for (size_t i = 0; rc == 0 && i < n; i++) {
                rc = parse_message_into(a, &ms[i], json_array_get(arr, i));
            }
            if (t == PPTAP_EVENT_MESSAGES_BLOCKED) {
                r->messages_blocked = ms;
                r->n_messages_blocked = rc == 0 ? n : 0;
            } else {
                r->messages_delivered = ms;
                r->n_messages_delivered = rc == 0 ? n : 0;
            }
        }
    }
    if (rc != 0) {
        pptap_siem_result_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int pptap_siem_parse(pptap_siem_result **out, const char *body, size_t len)
{
    if (out == NULL) {
        return PPTAP_EINVAL;
    }
    json_t *doc = NULL;
    if (len > 0) {
        int rc = pptap__load_object(&doc, body, len, NULL, 0);
        if (rc != 0) {
            return rc;
        }
    }
    return pptap__siem_from_json(out, doc);
}

/* Campaign ids ------------------------------------------------------------ */

void pptap_campaign_ids_free(pptap_campaign_ids *r)
{
    if (r != NULL) {
        result_free(r->raw, r->priv_);
    }
}

static int campaign_ids_from_json(pptap_campaign_ids **out, json_t *doc)
{
    pptap_campaign_ids *r;
    pptap__arena *a;
    RESULT_NEW(pptap_campaign_ids, r, a);
    if (r == NULL) {
        json_decref(doc);
        return PPTAP_ENOMEM;
    }
    r->raw = doc;
    json_t *arr;
    size_t n = doc != NULL ? objects_of(doc, "campaigns", &arr) : 0;
    pptap_campaign_ref *v;
    if (arena_array(a, (void **)&v, n, sizeof *v) != 0) {
        pptap_campaign_ids_free(r);
        return PPTAP_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(arr, i);
        if (json_is_object(e)) {
            v[k].id = str(e, "id");
            v[k].last_updated_at = timek(e, "lastUpdatedAt", &v[k].last_updated_at_str);
            k++;
        }
    }
    r->campaigns = v;
    r->n_campaigns = k;
    *out = r;
    return 0;
}

int pptap_campaign_ids_parse(pptap_campaign_ids **out, const char *body, size_t len)
{
    json_t *doc;
    int rc = pptap__load_object(&doc, body, len, NULL, 0);
    return rc != 0 ? rc : campaign_ids_from_json(out, doc);
}

/* Campaign ---------------------------------------------------------------- */

void pptap_campaign_free(pptap_campaign *r)
{
    if (r != NULL) {
        result_free(r->raw, r->priv_);
    }
}

int pptap_campaign_parse(pptap_campaign **out, const char *body, size_t len)
{
    json_t *doc;
    int rc = pptap__load_object(&doc, body, len, NULL, 0);
    if (rc != 0) {
        return rc;
    }
    pptap_campaign *r;
    pptap__arena *a;
    RESULT_NEW(pptap_campaign, r, a);
    if (r == NULL) {
        json_decref(doc);
        return PPTAP_ENOMEM;
    }
    r->raw = doc;
    r->id = str(doc, "id");
    r->name = str(doc, "name");
    r->description = str(doc, "description");
    r->start_date = timek(doc, "startDate", &r->start_date_str);
    r->notable = boolk(doc, "notable");
    rc |= namedlist(a, &r->actors, doc, "actors");
    rc |= namedlist(a, &r->families, doc, "families");
    rc |= namedlist(a, &r->malware, doc, "malware");
    rc |= namedlist(a, &r->techniques, doc, "techniques");
    rc |= namedlist(a, &r->brands, doc, "brands");
    json_t *arr;
    size_t n = objects_of(doc, "campaignMembers", &arr);
    pptap_campaign_member *m;
    rc |= arena_array(a, (void **)&m, n, sizeof *m);
    if (rc != 0) {
        pptap_campaign_free(r);
        return PPTAP_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(arr, i);
        if (!json_is_object(e)) {
            continue;
        }
        m[k].id = str(e, "id");
        m[k].threat = str(e, "threat");
        m[k].name = str(e, "name");
        m[k].threat_status = str(e, "threatStatus");
        m[k].type = str(e, "type");
        m[k].sub_type = str(e, "subType");
        m[k].threat_time = timek(e, "threatTime", &m[k].threat_time_str);
        k++;
    }
    r->members = m;
    r->n_members = k;
    *out = r;
    return 0;
}

/* Forensics --------------------------------------------------------------- */

void pptap_forensics_free(pptap_forensics *r)
{
    if (r != NULL) {
        result_free(r->raw, r->priv_);
    }
}

static int parse_what(pptap__arena *a, pptap_evidence_what *w, json_t *o)
{
    w->raw = o;
    w->sha256 = str(o, "sha256");
    w->md5 = str(o, "md5");
    w->rule = str(o, "rule");
    w->url = str(o, "url");
    w->path = str(o, "path");
    w->note = str(o, "note");
    w->action = str(o, "action");
    w->domain = str(o, "domain");
    w->key = str(o, "key");
    w->value = str(o, "value");
    w->host = str(o, "host");
    w->name = str(o, "name");
    w->ip = str(o, "ip");
    w->type = str(o, "type");
    w->blacklisted = boolk(o, "blacklisted");
    w->malicious = boolk(o, "malicious");
    w->offset = int2(o, "offset", NULL);
    w->size = int2(o, "size", NULL);
    w->signature_id = int2(o, "signatureId", NULL);
    w->port = int2(o, "port", NULL);
    w->http_status = int2(o, "httpStatus", NULL);
    int rc = 0;
    rc |= strlistk(a, &w->cnames, o, "cnames");
    rc |= strlistk(a, &w->ips, o, "ips");
    rc |= strlistk(a, &w->nameservers, o, "nameservers");
    rc |= strlistk(a, &w->nameservers_list, o, "nameserversList");
    return rc ? PPTAP_ENOMEM : 0;
}

static int parse_evidence(pptap__arena *a, pptap_evidence *e, json_t *o)
{
    e->raw = o;
    e->type = str(o, "type");
    e->display = str(o, "display");
    e->engine = str(o, "engine");
    e->malicious = boolk(o, "malicious");
    e->note = str(o, "note");
    e->time = int2(o, "time", NULL);
    json_t *what = json_object_get(o, "what");
    int rc = parse_what(a, &e->what, json_is_object(what) ? what : NULL);
    json_t *arr;
    size_t n = objects_of(o, "platforms", &arr);
    pptap_platform *p;
    rc |= arena_array(a, (void **)&p, n, sizeof *p);
    if (rc != 0) {
        return PPTAP_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(arr, i);
        if (json_is_object(x)) {
            p[k].name = str(x, "name");
            p[k].os = str(x, "os");
            p[k].version = str(x, "version");
            k++;
        }
    }
    e->platforms = p;
    e->n_platforms = k;
    return 0;
}

int pptap_forensics_parse(pptap_forensics **out, const char *body, size_t len)
{
    json_t *doc;
    int rc = pptap__load_object(&doc, body, len, NULL, 0);
    if (rc != 0) {
        return rc;
    }
    pptap_forensics *r;
    pptap__arena *a;
    RESULT_NEW(pptap_forensics, r, a);
    if (r == NULL) {
        json_decref(doc);
        return PPTAP_ENOMEM;
    }
    r->raw = doc;
    r->generated = timek(doc, "generated", &r->generated_str);
    json_t *arr;
    size_t n = objects_of(doc, "reports", &arr);
    pptap_forensics_report *rep;
    if (arena_array(a, (void **)&rep, n, sizeof *rep) != 0) {
        goto nomem;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(arr, i);
        if (!json_is_object(o)) {
            continue;
        }
        pptap_forensics_report *p = &rep[k++];
        p->raw = o;
        p->scope = str(o, "scope");
        p->id = str(o, "id");
        p->name = str(o, "name");
        p->threat_status = str(o, "threatStatus");
        p->type = str(o, "type");
        json_t *ev;
        size_t m = objects_of(o, "forensics", &ev);
        pptap_evidence *e;
        if (arena_array(a, (void **)&e, m, sizeof *e) != 0) {
            goto nomem;
        }
        size_t q = 0;
        for (size_t j = 0; j < m; j++) {
            json_t *x = json_array_get(ev, j);
            if (json_is_object(x) && parse_evidence(a, &e[q++], x) != 0) {
                goto nomem;
            }
        }
        p->forensics = e;
        p->n_forensics = q;
    }
    r->reports = rep;
    r->n_reports = k;
    *out = r;
    return 0;
nomem:
    pptap_forensics_free(r);
    return PPTAP_ENOMEM;
}

/* Threat summary ---------------------------------------------------------- */

void pptap_threat_summary_free(pptap_threat_summary *r)
{
    if (r != NULL) {
        result_free(r->raw, r->priv_);
    }
}

/* A flag sent as a boolean (doc) or as a list/string of values (fixtures). */
static int flag_of(json_t *v)
{
    if (json_is_array(v)) {
        return json_array_size(v) > 0;
    }
    if (json_is_string(v) && bool_of(v) < 0) {
        return json_string_length(v) > 0;
    }
    return bool_of(v);
}

int pptap_threat_summary_parse(pptap_threat_summary **out, const char *body, size_t len)
{
    json_t *doc;
    int rc = pptap__load_object(&doc, body, len, NULL, 0);
    if (rc != 0) {
        return rc;
    }
    pptap_threat_summary *r;
    pptap__arena *a;
    RESULT_NEW(pptap_threat_summary, r, a);
    if (r == NULL) {
        json_decref(doc);
        return PPTAP_ENOMEM;
    }
    r->raw = doc;
    r->id = str(doc, "id");
    r->identified_at = timek(doc, "identifiedAt", &r->identified_at_str);
    r->name = str(doc, "name");
    r->type = str(doc, "type");
    r->category = str(doc, "category");
    r->status = str(doc, "status");
    r->detection_type = str(doc, "detectionType");
    r->severity_score = int2(doc, "severityScore", "severity");
    r->attack_spread = int2(doc, "attackSpread", NULL);
    r->notable = boolk(doc, "notable");
    r->verticals = json_object_get(doc, "verticals");
    r->geographies = json_object_get(doc, "geographies");
    json_t *vt = json_object_get(doc, "verticallyTargeted");
    r->vertically_targeted = flag_of(vt != NULL && !json_is_null(vt) ? vt : r->verticals);
    json_t *gt = json_object_get(doc, "geoTargeted");
    r->geo_targeted = flag_of(gt != NULL && !json_is_null(gt) ? gt : r->geographies);
    rc |= namedlist(a, &r->actors, doc, "actors");
    rc |= namedlist(a, &r->families, doc, "families");
    rc |= namedlist(a, &r->malware, doc, "malware");
    rc |= namedlist(a, &r->techniques, doc, "techniques");
    rc |= namedlist(a, &r->brands, doc, "brands");
    if (rc != 0) {
        pptap_threat_summary_free(r);
        return PPTAP_ENOMEM;
    }
    *out = r;
    return 0;
}

/* People ------------------------------------------------------------------ */

void pptap_people_free(pptap_people *r)
{
    if (r != NULL) {
        result_free(r->raw, r->priv_);
    }
}

static int parse_person(pptap__arena *a, pptap_person *p, json_t *o)
{
    p->raw = o;
    json_t *id = json_object_get(o, "identity");
    if (!json_is_object(id)) {
        id = o; /* flattened shape */
    }
    p->guid = str(id, "guid");
    p->customer_user_id = str(id, "customerUserId");
    p->name = str(id, "name");
    p->department = str(id, "department");
    p->location = str(id, "location");
    p->title = str(id, "title");
    p->vip = boolk(id, "vip");
    if (strlistk(a, &p->emails, id, "emails") != 0) {
        return PPTAP_ENOMEM;
    }
    json_t *ts = json_object_get(o, "threatStatistics");
    json_t *cs = json_object_get(o, "clickStatistics");
    p->attack_index = json_is_object(ts) ? int2(ts, "attackIndex", NULL) : PPTAP_INT_NONE;
    p->click_count = json_is_object(cs) ? int2(cs, "clickCount", NULL) : PPTAP_INT_NONE;
    json_t *stats = json_is_object(ts) ? ts : cs;
    json_t *arr = NULL;
    size_t n = json_is_object(stats) ? objects_of(stats, "families", &arr) : 0;
    pptap_family_stat *f;
    if (arena_array(a, (void **)&f, n, sizeof *f) != 0) {
        return PPTAP_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(arr, i);
        if (json_is_object(e)) {
            f[k].name = str(e, "name");
            f[k].score = int2(e, "score", NULL);
            f[k].clicks = int2(e, "clicks", NULL);
            k++;
        }
    }
    p->families = f;
    p->n_families = k;
    return 0;
}

int pptap_people_parse(pptap_people **out, const char *body, size_t len)
{
    json_t *doc;
    int rc = pptap__load_object(&doc, body, len, NULL, 0);
    if (rc != 0) {
        return rc;
    }
    pptap_people *r;
    pptap__arena *a;
    RESULT_NEW(pptap_people, r, a);
    if (r == NULL) {
        json_decref(doc);
        return PPTAP_ENOMEM;
    }
    r->raw = doc;
    r->interval = str(doc, "interval");
    r->total = int2(doc, "totalVapUsers", "totalTopClickers");
    r->average_attack_index = num(doc, "averageAttackIndex");
    r->vap_attack_index_threshold = num(doc, "vapAttackIndexThreshold");
    json_t *arr;
    size_t n = objects_of(doc, "users", &arr);
    pptap_person *p;
    if (arena_array(a, (void **)&p, n, sizeof *p) != 0) {
        pptap_people_free(r);
        return PPTAP_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(arr, i);
        if (json_is_object(e) && parse_person(a, &p[k++], e) != 0) {
            pptap_people_free(r);
            return PPTAP_ENOMEM;
        }
    }
    r->users = p;
    r->n_users = k;
    *out = r;
    return 0;
}

/* URL decode -------------------------------------------------------------- */

void pptap_url_decode_result_free(pptap_url_decode_result *r)
{
    if (r != NULL) {
        result_free(r->raw, r->priv_);
    }
}

int pptap__url_decode_from_json(pptap_url_decode_result **out, json_t *doc)
{
    pptap_url_decode_result *r;
    pptap__arena *a;
    RESULT_NEW(pptap_url_decode_result, r, a);
    if (r == NULL) {
        json_decref(doc);
        return PPTAP_ENOMEM;
    }
    r->raw = doc;
    json_t *arr;
    size_t n = objects_of(doc, "urls", &arr);
    pptap_decoded_url *u;
    if (arena_array(a, (void **)&u, n, sizeof *u) != 0) {
        pptap_url_decode_result_free(r);
        return PPTAP_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(arr, i);
        if (!json_is_object(e)) {
            continue;
        }
        u[k].encoded_url = str(e, "encodedUrl");
        u[k].decoded_url = str(e, "decodedUrl");
        u[k].success = boolk(e, "success") == 1;
        u[k].error = str(e, "error");
        u[k].message_guid = str(e, "messageGuid");
        u[k].cluster_name = str(e, "clusterName");
        u[k].recipient_email = str(e, "recipientEmail");
        k++;
    }
    r->urls = u;
    r->n_urls = k;
    *out = r;
    return 0;
}

int pptap_url_decode_parse(pptap_url_decode_result **out, const char *body, size_t len)
{
    json_t *doc;
    int rc = pptap__load_object(&doc, body, len, NULL, 0);
    return rc != 0 ? rc : pptap__url_decode_from_json(out, doc);
}
