/*
 * Event identity: the canonical form of a SIEM event, its content hash and
 * its event_id (docs/store.md "Identity").
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <pptap/store.h>

#include "internal.h"
#include "store_internal.h"

/* String lists whose order carries no meaning. */
static const char *const unordered_lists[] = {
    "recipient",      "fromAddress", "toAddresses",  "ccAddresses",
    "replyToAddress", "modulesRun",  "policyRoutes",
};

/* Fields a re-judgement of the threat changes; left out of the content an
 * id-less event's event_id is computed from, so a changed verdict is an
 * update of the same event. */
static const char *const verdict_fields[] = {"threatStatus", "threatTime", "classification"};

#define CANON_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)

typedef struct {
    json_t *v;
    const char *k1, *k2;
    char *text; /* canonical text, made only when k1 and k2 tie */
    int *oom;
} sort_item;

static const char *str_or_empty(json_t *o, const char *a, const char *b)
{
    if (!json_is_object(o)) {
        return "";
    }
    json_t *v = json_object_get(o, a);
    if (!json_is_string(v) && b != NULL) {
        v = json_object_get(o, b);
    }
    return json_is_string(v) ? json_string_value(v) : "";
}

static const char *item_text(sort_item *it)
{
    if (it->text == NULL) {
        it->text = json_dumps(it->v, CANON_FLAGS);
        if (it->text == NULL) {
            *it->oom = 1;
            return "";
        }
    }
    return it->text;
}

static int item_cmp(const void *pa, const void *pb)
{
    /* the items are ours: the comparator fills their text cache */
    sort_item *a = (sort_item *)pa, *b = (sort_item *)pb;
    int c = strcmp(a->k1, b->k1);
    if (c == 0) {
        c = strcmp(a->k2, b->k2);
    }
    if (c == 0) {
        c = strcmp(item_text(a), item_text(b));
    }
    return c;
}

/* Sorts the array under `key` of `o` in place by (k1, k2, canonical text),
 * k1/k2 read from object elements under the given key names. */
static int sort_array(json_t *o, const char *key, const char *k1a, const char *k1b, const char *k2a,
                      const char *k2b)
{
    json_t *arr = json_object_get(o, key);
    size_t n = json_array_size(arr);
    if (n < 2) {
        return 0;
    }
    sort_item *items = pptap__calloc(n, sizeof *items);
    if (items == NULL) {
        return PPTAP_ENOMEM;
    }
    int rc = 0, oom = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(arr, i);
        items[i].v = json_incref(v);
        items[i].oom = &oom;
        /* a string sorts by its value; NULs inside it are settled by the text */
        items[i].k1 = json_is_string(v) ? json_string_value(v)
                      : k1a             ? str_or_empty(v, k1a, k1b)
                                        : "";
        items[i].k2 = k2a ? str_or_empty(v, k2a, k2b) : "";
    }
    qsort(items, n, sizeof *items, item_cmp);
    if (oom) {
        rc = PPTAP_ENOMEM;
    }
    if (rc == 0) {
        json_array_clear(arr);
        for (size_t i = 0; i < n; i++) {
            if (json_array_append(arr, items[i].v) != 0) {
                rc = PPTAP_ENOMEM;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        json_decref(items[i].v);
        free(items[i].text); /* allocated by jansson */
    }
    pptap__free(items);
    return rc;
}

/* A deep copy of `event` with its unordered arrays sorted. */
static int canonical_copy(json_t **out, json_t *event)
{
    if (!json_is_object(event)) {
        return PPTAP_EINVAL;
    }
    json_t *c = json_deep_copy(event);
    if (c == NULL) {
        return PPTAP_ENOMEM;
    }
    int rc = 0;
    for (size_t i = 0; i < sizeof unordered_lists / sizeof unordered_lists[0] && rc == 0; i++) {
        rc = sort_array(c, unordered_lists[i], NULL, NULL, NULL, NULL);
    }
    if (rc == 0) {
        rc = sort_array(c, "messageParts", "sha256", NULL, "md5", NULL);
    }
    if (rc == 0) {
        rc = sort_array(c, "threatsInfoMap", "threatID", "threatId", NULL, NULL);
    }
    if (rc != 0) {
        json_decref(c);
        return rc;
    }
    *out = c;
    return 0;
}

static int dump_to(pptap_buf *out, json_t *v)
{
    char *s = json_dumps(v, CANON_FLAGS);
    if (s == NULL) {
        return PPTAP_ENOMEM;
    }
    int rc = pptap_buf_put(out, s, strlen(s));
    free(s); /* allocated by jansson */
    return rc;
}

int pptap_event_canonical(pptap_buf *out, json_t *event)
{
    if (out == NULL) {
        return PPTAP_EINVAL;
    }
    json_t *c;
    int rc = canonical_copy(&c, event);
    if (rc != 0) {
        return rc;
    }
    rc = dump_to(out, c);
    json_decref(c);
    return rc;
}

static void to_hex(char out[PPTAP_HASH_HEX_LEN], const unsigned char md[32])
{
    static const char hexdig[] = "0123456789abcdef";
    for (size_t i = 0; i < 32; i++) {
        out[2 * i] = hexdig[md[i] >> 4];
        out[2 * i + 1] = hexdig[md[i] & 15];
    }
    out[64] = '\0';
}

int pptap__sha256_hex(char out[PPTAP_HASH_HEX_LEN], const pptap__bytes *parts, size_t n)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        return PPTAP_ENOMEM;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    for (size_t i = 0; i < n && ok; i++) {
        ok = EVP_DigestUpdate(ctx, parts[i].p, parts[i].n);
    }
    if (ok) {
        ok = EVP_DigestFinal_ex(ctx, md, &mdlen);
    }
    EVP_MD_CTX_free(ctx);
    if (!ok || mdlen != 32) {
        return PPTAP_ENOMEM;
    }
    to_hex(out, md);
    return 0;
}

/* Removes the verdict fields from a canonical copy (top level and threats). */
static void strip_verdict(json_t *c)
{
    json_t *threats = json_object_get(c, "threatsInfoMap");
    for (size_t f = 0; f < sizeof verdict_fields / sizeof verdict_fields[0]; f++) {
        json_object_del(c, verdict_fields[f]);
        for (size_t i = 0; i < json_array_size(threats); i++) {
            json_t *t = json_array_get(threats, i);
            if (json_is_object(t)) {
                json_object_del(t, verdict_fields[f]);
            }
        }
    }
}

/* The recipient part of the identity: the click's recipient, or the sorted
 * message recipients joined by ",". */
static int recipient_key(pptap_buf *out, json_t *canon)
{
    json_t *r = json_object_get(canon, "recipient");
    if (json_is_string(r)) {
        return pptap_buf_put(out, json_string_value(r), json_string_length(r));
    }
    for (size_t i = 0; i < json_array_size(r); i++) {
        json_t *e = json_array_get(r, i);
        if (!json_is_string(e)) {
            continue;
        }
        if ((out->len > 0 && pptap_buf_put(out, ",", 1) != 0) ||
            pptap_buf_put(out, json_string_value(e), json_string_length(e)) != 0) {
            return PPTAP_ENOMEM;
        }
    }
    return 0;
}

int pptap_event_identify(pptap_event_identity *out, pptap_event_type type, json_t *event)
{
    if (out == NULL || !json_is_object(event) || (int)type < 0 || type >= PPTAP_EVENT_COUNT_) {
        return PPTAP_EINVAL;
    }
    json_t *id = json_object_get(event, "id");
    const char *idv = NULL;
    if (id != NULL && !json_is_null(id)) {
        if (!json_is_string(id)) {
            return PPTAP_EINVAL;
        }
        size_t n = json_string_length(id);
        if (n >= PPTAP_EVENT_ID_MAX) {
            return PPTAP_EINVAL;
        }
        idv = json_string_value(id);
        for (size_t i = 0; i < n; i++) {
            unsigned char ch = (unsigned char)idv[i];
            if (ch < 0x20 || ch == 0x7F) {
                return PPTAP_EINVAL;
            }
        }
        if (n == 0) {
            idv = NULL;
        }
    }
    json_t *guid = json_object_get(event, "GUID");
    if (!json_is_string(guid)) {
        guid = json_object_get(event, "guid");
    }
    if (idv == NULL && (!json_is_string(guid) || json_string_length(guid) == 0)) {
        return PPTAP_EINVAL;
    }

    pptap_event_identity r;
    memset(&r, 0, sizeof r);
    json_t *c;
    int rc = canonical_copy(&c, event);
    if (rc != 0) {
        return rc;
    }
    pptap_buf canon = PPTAP_BUF_INIT, rcpt = PPTAP_BUF_INIT, ident = PPTAP_BUF_INIT;
    rc = dump_to(&canon, c);
    if (rc == 0) {
        pptap__bytes p = {canon.ptr, canon.len};
        rc = pptap__sha256_hex(r.content_hash, &p, 1);
    }
    if (rc == 0 && idv != NULL) {
        memcpy(r.event_id, idv, strlen(idv) + 1);
        r.from_api = 1;
    } else if (rc == 0) {
        rc = recipient_key(&rcpt, c);
        if (rc == 0) {
            strip_verdict(c);
            rc = dump_to(&ident, c);
        }
        if (rc == 0) {
            const char *tn = pptap_event_type_name(type);
            pptap__bytes p[] = {
                {tn, strlen(tn)},
                {"\n", 1},
                {json_string_value(guid), json_string_length(guid)},
                {"\n", 1},
                {rcpt.ptr ? rcpt.ptr : "", rcpt.len},
                {"\n", 1},
                {ident.ptr, ident.len},
            };
            char hex[PPTAP_HASH_HEX_LEN];
            rc = pptap__sha256_hex(hex, p, sizeof p / sizeof p[0]);
            if (rc == 0) {
                r.event_id[0] = 'h';
                r.event_id[1] = ':';
                memcpy(r.event_id + 2, hex, PPTAP_HASH_HEX_LEN);
            }
        }
    }
    json_decref(c);
    pptap_buf_dispose(&canon);
    pptap_buf_dispose(&rcpt);
    pptap_buf_dispose(&ident);
    if (rc == 0) {
        *out = r;
    }
    return rc;
}
