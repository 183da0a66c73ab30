/*
 * Decode URL: URL entities in scope plus the "Encoded URLs" parameter. The
 * offline decoder (libpptap, no request) runs first; the URL Decoder API
 * (POST /v2/url/decode, batched by the client) gets only the links it could
 * not decode, or every URL when "Use API" is set. Each URL gets its own
 * success or error in the JSON result; records from the API keep what the
 * API added (messageGuid, recipientEmail, clusterName). URL entities are
 * created for decoded parameter URLs only.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <pptap/urldefense.h>

#include "action_impl.h"

#define MAX_URLS 10000

typedef struct {
    const char *url; /* borrowed from the request or the entity */
    int from_entity; /* 1: a URL entity in scope; 0: the parameter */
    int to_api;      /* 1: the API decodes it */
    json_t *record;  /* the JSON result's record, once known */
} url_item;

/* Appends `n` decoded bytes as a JSON-safe string: bytes that are not valid
 * UTF-8 become %XX escapes. Returns a new string. */
static json_t *utf8_string(const char *s, size_t n)
{
    pptap_buf b = PPTAP_BUF_INIT;
    static const char hex[] = "0123456789ABCDEF";
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80             ? 1
                     : (c & 0xE0) == 0xC0 ? 2
                     : (c & 0xF0) == 0xE0 ? 3
                     : (c & 0xF8) == 0xF0 ? 4
                                          : 0;
        int ok = len > 0 && i + len <= n && c != 0;
        for (size_t k = 1; ok && k < len; k++) {
            ok = ((unsigned char)s[i + k] & 0xC0) == 0x80;
        }
        if (ok && len == 2) {
            ok = c >= 0xC2;
        } else if (ok && len == 3) {
            unsigned cp = ((c & 0x0Fu) << 12) | (((unsigned char)s[i + 1] & 0x3Fu) << 6) |
                          ((unsigned char)s[i + 2] & 0x3Fu);
            ok = cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF);
        } else if (ok && len == 4) {
            unsigned cp = ((c & 0x07u) << 18) | (((unsigned char)s[i + 1] & 0x3Fu) << 12) |
                          (((unsigned char)s[i + 2] & 0x3Fu) << 6) |
                          ((unsigned char)s[i + 3] & 0x3Fu);
            ok = cp >= 0x10000 && cp <= 0x10FFFF;
        }
        if (ok) {
            pptap_buf_put(&b, s + i, len);
            i += len;
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            pptap_buf_put(&b, esc, 3);
            i++;
        }
    }
    json_t *j = json_stringn(b.ptr != NULL ? b.ptr : "", b.len);
    pptap_buf_dispose(&b);
    return j;
}

/* 1 when `s` starts with a URL scheme ("x:" with x = letter (letter|digit|+|-|.)*). */
static int starts_with_scheme(const char *s, size_t n)
{
    size_t i = 0;
    if (n == 0 || !isalpha((unsigned char)s[0])) {
        return 0;
    }
    while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')) {
        i++;
    }
    return i < n && s[i] == ':';
}

/* Splits "Encoded URLs" on commas, except that a comma inside a URL (a piece
 * that does not start with a scheme continues the previous URL) is kept:
 * URL Defense v3 links may hold commas. Items are trimmed and de-duplicated. */
static json_t *split_urls(const char *s)
{
    json_t *out = json_array();
    pptap_buf cur = PPTAP_BUF_INIT;
    while (out != NULL && s != NULL) {
        const char *e = strchr(s, ',');
        size_t n = e != NULL ? (size_t)(e - s) : strlen(s);
        const char *a = s;
        const char *z = s + n;
        while (a < z && isspace((unsigned char)*a)) {
            a++;
        }
        if (cur.len > 0 && !starts_with_scheme(a, (size_t)(z - a))) {
            pptap_buf_put(&cur, ",", 1);
            pptap_buf_put(&cur, s, n); /* continues the URL, spaces and all */
        } else {
            if (cur.len > 0) {
                json_array_append_new(out, json_stringn(cur.ptr, cur.len));
            }
            cur.len = 0;
            pptap_buf_put(&cur, a, (size_t)(z - a));
        }
        if (e == NULL) {
            break;
        }
        s = e + 1;
    }
    if (out != NULL && cur.len > 0) {
        json_array_append_new(out, json_stringn(cur.ptr, cur.len));
    }
    pptap_buf_dispose(&cur);
    /* trim the ends and drop empty items and duplicates */
    json_t *clean = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(out, i, v)
    {
        const char *p = json_string_value(v);
        size_t n = strlen(p);
        while (n > 0 && isspace((unsigned char)p[n - 1])) {
            n--;
        }
        while (n > 0 && isspace((unsigned char)*p)) {
            p++;
            n--;
        }
        int dup = n == 0;
        size_t k;
        json_t *w;
        json_array_foreach(clean, k, w)
        {
            dup |= json_string_length(w) == n && memcmp(json_string_value(w), p, n) == 0;
        }
        if (!dup) {
            json_array_append_new(clean, json_stringn(p, n));
        }
    }
    json_decref(out);
    return clean;
}

/* Decodes one URL offline. Returns 1 with *rec set (success or a final
 * failure), or 0 when the API should try it. */
static int decode_offline(const char *url, json_t **rec)
{
    size_t n = strlen(url);
    size_t cap = PPTAP_URLDEF_DECODE_MAX(n);
    char *out = malloc(cap);
    if (out == NULL) {
        *rec = NULL;
        return 1;
    }
    pptap_urldef_result r;
    int rc = pptap_urldef_decode(&r, out, cap, url, n);
    if (rc == 0 && r.start == 0) {
        *rec = json_pack("{s:s, s:o, s:b, s:s, s:i}", "encodedUrl", url, "decodedUrl",
                         utf8_string(out, r.len), "success", 1, "source", "offline", "version",
                         r.version);
        free(out);
        return 1;
    }
    free(out);
    if (rc == 0 || r.status == PPTAP_URLDEF_NOT_URLDEFENSE) {
        *rec = json_pack("{s:s, s:b, s:s, s:s}", "encodedUrl", url, "success", 0, "error",
                         rc == 0 ? "text before the URL Defense link"
                                 : "not a URL Defense link (nothing to decode)",
                         "source", "offline");
        return 1;
    }
    return 0; /* a URL Defense link this decoder cannot read: ask the API */
}

static int run(action_ctx *ctx)
{
    int use_api = act_bool(ctx, "Use API");
    int create = act_bool(ctx, "Create URL Entities");
    json_t *params = split_urls(act_str(ctx, "Encoded URLs"));
    size_t n_ent = act_entity_count(ctx);
    url_item *items = calloc(n_ent + json_array_size(params) + 1, sizeof *items);
    size_t n = 0;
    int rc = 0;
    if (params == NULL || items == NULL) {
        rc = act_fail(ctx, 70, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n_ent + json_array_size(params); i++) {
        const char *u;
        int from_entity = i < n_ent;
        if (from_entity) {
            const act_entity *e = act_entity_at(ctx, i);
            if (strcmp(e->entity_type, "URL") != 0) {
                continue;
            }
            u = e->original;
        } else {
            u = json_string_value(json_array_get(params, i - n_ent));
        }
        int dup = 0;
        for (size_t k = 0; k < n && !dup; k++) {
            dup = strcmp(items[k].url, u) == 0;
        }
        if (!dup) {
            items[n].url = u;
            items[n].from_entity = from_entity;
            n++;
        }
    }
    if (n == 0) {
        act_set_json(ctx, json_array());
        act_set_value(ctx, 0);
        act_message(ctx, "None of the provided URLs were decoded in ProofPoint TAP.");
        act_message(ctx, "There were no URLs to decode: \"Encoded URLs\" is empty and no URL "
                         "entity is in scope.");
        goto out;
    }
    if (n > MAX_URLS) {
        rc = act_fail(ctx, 64, "too many URLs (%zu; at most %d per run).", n, MAX_URLS);
        goto out;
    }
    size_t n_api = 0;
    for (size_t i = 0; i < n; i++) {
        if (use_api || !decode_offline(items[i].url, &items[i].record)) {
            items[i].to_api = 1;
            n_api++;
        } else if (items[i].record == NULL) {
            rc = act_fail(ctx, 70, "out of memory");
            goto out;
        }
    }
    char api_problem[1536] = "";
    if (n_api > 0) {
        pptap_client *c = act_env(ctx)->client;
        if (c == NULL && use_api) {
            act_client(ctx); /* fails the action with the reason */
            rc = -1;
            goto out;
        }
        const char **urls = calloc(n_api, sizeof *urls);
        pptap_url_decode_result *res = NULL;
        int err = PPTAP_ENOMEM;
        size_t k = 0;
        for (size_t i = 0; urls != NULL && i < n; i++) {
            if (items[i].to_api) {
                urls[k++] = items[i].url;
            }
        }
        if (c == NULL) {
            snprintf(api_problem, sizeof api_problem, "no TAP API client: %s",
                     act_env(ctx)->client_error != NULL ? act_env(ctx)->client_error
                                                        : "no credentials or base URL");
        } else if (urls != NULL && (err = pptap_url_decode(c, &res, urls, n_api)) != 0) {
            if (use_api) {
                free(urls);
                rc = act_api_fail(ctx, err, "the URL Decoder API");
                goto out;
            }
            act_api_reason(ctx, err, api_problem, sizeof api_problem);
        }
        json_t *raw = res != NULL ? json_object_get(res->raw, "urls") : NULL;
        k = 0;
        for (size_t i = 0; i < n; i++) {
            if (!items[i].to_api) {
                continue;
            }
            json_t *r = NULL;
            /* the API answers in order; look the URL up when it did not */
            json_t *cand = json_array_get(raw, k);
            if (cand != NULL && json_is_string(json_object_get(cand, "encodedUrl")) &&
                strcmp(json_string_value(json_object_get(cand, "encodedUrl")), items[i].url) == 0) {
                r = cand;
            }
            for (size_t j = 0; r == NULL && j < json_array_size(raw); j++) {
                json_t *x = json_array_get(raw, j);
                const char *eu = json_string_value(json_object_get(x, "encodedUrl"));
                if (eu != NULL && strcmp(eu, items[i].url) == 0) {
                    r = x;
                }
            }
            k++;
            if (r != NULL) {
                items[i].record = json_deep_copy(r);
                json_object_set_new(items[i].record, "source", json_string("api"));
            } else {
                items[i].record = json_pack(
                    "{s:s, s:b, s:s, s:s}", "encodedUrl", items[i].url, "success", 0, "error",
                    api_problem[0] ? api_problem : "the URL Decoder API did not return this URL",
                    "source", "api");
            }
        }
        free(urls);
        pptap_url_decode_result_free(res);
    }
    json_t *result = json_array();
    json_t *ok = json_array(), *bad = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *r = items[i].record;
        if (r == NULL) {
            continue;
        }
        json_object_set_new(r, "fromEntity", json_boolean(items[i].from_entity));
        const char *dec = json_string_value(json_object_get(r, "decodedUrl"));
        if (json_is_true(json_object_get(r, "success")) && dec != NULL) {
            json_array_append_new(ok, json_string(items[i].url));
            if (create && !items[i].from_entity) {
                act_entity_create(ctx, dec, "URL",
                                  json_pack("{s:b, s:b, s:b, s:b, s:b, s:s}", "is_new_entity", 1,
                                            "is_internal", 0, "is_suspicious", 0, "is_enriched", 0,
                                            "is_vulnerable", 1, "encodedUrl", items[i].url));
            }
        } else {
            json_object_set(r, "success", json_false());
            json_array_append_new(bad, json_string(items[i].url));
        }
        json_array_append(result, r);
    }
    act_set_json(ctx, result);
    act_outcome(ctx, ok, "Successfully decoded the following URLs in ProofPoint TAP", bad,
                "Action wasn't able to decode the following URLs in ProofPoint TAP",
                "None of the provided URLs were decoded in ProofPoint TAP.");
    if (api_problem[0] != '\0') {
        act_message(ctx,
                    "The URL Decoder API could not be used for the links the offline "
                    "decoder could not read: %s",
                    api_problem);
    }
    json_decref(ok);
    json_decref(bad);
out:
    for (size_t i = 0; items != NULL && i < n; i++) {
        json_decref(items[i].record);
    }
    free(items);
    json_decref(params);
    return rc;
}

static const action_param params[] = {
    {.name = "Encoded URLs",
     .tool_name = "encoded_ur_ls",
     .type = AP_STRING,
     .description = "comma-separated URLs to decode; URL entities in scope are decoded together "
                    "with them"},
    {.name = "Create URL Entities",
     .tool_name = "create_url_entities",
     .type = AP_BOOL,
     .def = "true",
     .description = "create a URL entity in the case for each decoded URL of \"Encoded URLs\""},
    {.name = "Use API",
     .tool_name = "use_api",
     .type = AP_BOOL,
     .def = "false",
     .description = "decode every URL with the URL Decoder API (POST /v2/url/decode), not only "
                    "the links the offline decoder cannot read"},
};

static const char *const types[] = {"URL", NULL};

const action_def action_decode_url = {
    .name = "Decode URL",
    .cli_name = "decode-url",
    .tool_name = "proof_point_tap_decode_url",
    .description = "Decodes URL Defense links (v1, v2, v3) from the URL entities in scope and "
                   "the \"Encoded URLs\" parameter. The offline decoder runs first and costs no "
                   "request; the URL Decoder API is asked only for links it cannot read, or for "
                   "every URL with \"Use API\". Reports each URL's success or error and can "
                   "create URL entities for the decoded parameter URLs.",
    .result_name = "decoded_urls",
    .params = params,
    .n_params = sizeof params / sizeof params[0],
    .entity_types = types,
    .needs = 0,
    .err_style = ACTION_ERR_PLAIN,
    .cost = "none when every link decodes offline; otherwise 1 request to POST /v2/url/decode "
            "(pool url-decode, 1800 a day) per 100 URLs sent to the API",
    .outputs =
        "{\"json_result\": [{\"encodedUrl\": \"...\", \"decodedUrl\": \"...\", \"success\": "
        "true, \"source\": \"offline|api\", \"version\": \"1|2|3 (offline)\", \"error\": \"(on "
        "failure)\", \"messageGuid\": \"(API, authenticated)\", \"recipientEmail\": \"(API)\", "
        "\"clusterName\": \"(API)\", \"fromEntity\": false}], \"result_value\": \"true when at "
        "least one URL was decoded\", \"entities\": \"URL entity per decoded parameter URL "
        "(Create URL Entities)\", \"messages\": [\"Successfully decoded the following URLs in "
        "ProofPoint TAP: ...\", \"Action wasn't able to decode the following URLs in "
        "ProofPoint TAP: ...\", \"None of the provided URLs were decoded in ProofPoint TAP.\"]}",
    .run = run,
};
