/*
 * pptap-sim — People endpoints (/v2/people/vap, /v2/people/top-clickers) and
 * the URL decoder (POST /v2/url/decode, decoding with libpptap).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sim.h"

/* Simulator choices: */
#define TXT_BAD_WINDOW "The window parameter is required and must be 14, 30 or 90"
#define TXT_BAD_SIZE "The size parameter must be a positive integer"
#define TXT_BAD_SIZE_200 "The size parameter must be an integer between 1 and 200"
#define TXT_BAD_PAGE "The page parameter must be a positive integer"
#define TXT_BAD_BODY "The request body must be a JSON object with a \"urls\" array of strings"
#define TXT_TOO_MANY "Too many URLs in one request (at most 1000)"
#define MAX_DECODE_URLS 1000

static const char *const vap_families[] = {
    "credential phishing", "Malware", "Corporate Credential Phishing", "Impostor",
    "Downloader",          "Banking"};

typedef struct {
    int user;
    int64_t score;
} scored;

static int cmp_scored(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    if (x->score != y->score) {
        return x->score < y->score ? 1 : -1;
    }
    return x->user - y->user;
}

static int64_t user_score(int user, int window, int vap)
{
    uint64_t h = sim_hash(sim_cfg.seed, 0x9e09u + (unsigned)vap, (uint64_t)user, 0);
    uint64_t hw = sim_hash(sim_cfg.seed, 0x9e19u + (unsigned)vap, (uint64_t)user, (uint64_t)window);
    if (vap) {
        if (h % 1000 < 50) {
            return 1000 + (int64_t)(hw % 9000) * window / 14;
        }
        return (int64_t)(hw % 250);
    }
    if (h % 1000 < 80) {
        return 1 + (int64_t)(hw % 12) * window / 14;
    }
    return 0;
}

static void write_families(sim_jw *w, int user, int window, int64_t total, const char *unit)
{
    sim_rng r;
    sim_rng_init(&r, 0xfa, (uint64_t)user, (uint64_t)window, 0);
    int nf = 1 + (int)sim_rng_below(&r, 3);
    if (total < nf) {
        nf = total > 0 ? (int)total : 1;
    }
    int start = (int)sim_rng_below(&r, 6);
    sim_jw_key(w, "families");
    sim_jw_arr(w);
    int64_t left = total;
    for (int i = 0; i < nf; i++) {
        int64_t part =
            i == nf - 1 ? left : left / 2 + (left > 1 ? (int64_t)sim_rng_below(&r, 2) : 0);
        if (part > left) {
            part = left;
        }
        left -= part;
        sim_jw_obj(w);
        sim_jw_kstr(w, "name", vap_families[(start + i) % 6]);
        sim_jw_kint(w, unit, part);
        sim_jw_obj_end(w);
    }
    sim_jw_arr_end(w);
}

void sim_people_handle(sim_req *r, int vap)
{
    const char *win = sim_param(&r->params, "window");
    int64_t window = 0, size, page;
    if (win == NULL || sim_parse_int(win, &window) != 0 ||
        (window != 14 && window != 30 && window != 90)) {
        sim_reply_text(r, 400, TXT_BAD_WINDOW);
        return;
    }
    const char *sz = sim_param(&r->params, "size");
    size = vap ? 1000 : 100;
    if (sz && (sim_parse_int(sz, &size) != 0 || size < 1 || (!vap && size > 200))) {
        sim_reply_text(r, 400, vap ? TXT_BAD_SIZE : TXT_BAD_SIZE_200);
        return;
    }
    const char *pg = sim_param(&r->params, "page");
    page = 1;
    if (pg && (sim_parse_int(pg, &page) != 0 || page < 1)) {
        sim_reply_text(r, 400, TXT_BAD_PAGE);
        return;
    }
    int users = sim_cfg.users > 0 ? sim_cfg.users : 1;
    scored *list = calloc((size_t)users, sizeof *list);
    if (list == NULL) {
        sim_reply_text(r, 500, "out of memory");
        return;
    }
    int n = 0;
    double sum = 0;
    const double threshold = 965.9637;
    for (int u = 0; u < users; u++) {
        int64_t s = user_score(u, (int)window, vap);
        sum += (double)s;
        if ((vap && (double)s >= threshold) || (!vap && s > 0)) {
            list[n].user = u;
            list[n].score = s;
            n++;
        }
    }
    qsort(list, (size_t)n, sizeof *list, cmp_scored);
    pptap_time_ms end = r->now - r->now % 1000;
    char iv[2 * PPTAP_TIME_STRLEN + 2], a[PPTAP_TIME_STRLEN], b[PPTAP_TIME_STRLEN];
    pptap_time_format(a, end - window * SIM_DAY_MS);
    pptap_time_format(b, end);
    snprintf(iv, sizeof iv, "%s/%s", a, b);

    sim_reply_json(r, 200);
    sim_jw w;
    sim_jw_init(&w, &r->body_out, 0);
    sim_jw_obj(&w);
    if (vap) {
        sim_jw_kint(&w, "totalVapUsers", n);
        sim_jw_kstr(&w, "interval", iv);
        sim_jw_key(&w, "averageAttackIndex");
        sim_jw_double(&w, sum / users, 5);
        sim_jw_key(&w, "vapAttackIndexThreshold");
        sim_jw_double(&w, threshold, 4);
    } else {
        sim_jw_kstr(&w, "interval", iv);
        sim_jw_kint(&w, "totalTopClickers", n);
    }
    sim_jw_key(&w, "users");
    sim_jw_arr(&w);
    int64_t from = (page - 1) * size;
    for (int64_t i = from; i < n && i < from + size; i++) {
        sim_jw_obj(&w);
        sim_user_write_identity(&w, list[i].user);
        sim_jw_key(&w, vap ? "threatStatistics" : "clickStatistics");
        sim_jw_obj(&w);
        sim_jw_kint(&w, vap ? "attackIndex" : "clickCount", list[i].score);
        write_families(&w, list[i].user, (int)window, list[i].score, vap ? "score" : "clicks");
        sim_jw_obj_end(&w);
        sim_jw_obj_end(&w);
    }
    sim_jw_arr_end(&w);
    sim_jw_obj_end(&w);
    free(list);
}

/* ---------------------------------------------------------------------- */

void sim_decode_handle(sim_req *r)
{
    json_error_t err;
    json_t *root = json_loadb(r->body, r->body_len, 0, &err);
    json_t *urls = root ? json_object_get(root, "urls") : NULL;
    if (!json_is_array(urls)) {
        json_decref(root);
        sim_reply_text(r, 400, TXT_BAD_BODY);
        return;
    }
    size_t n = json_array_size(urls);
    if (n > MAX_DECODE_URLS) {
        json_decref(root);
        sim_reply_text(r, 400, TXT_TOO_MANY);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (!json_is_string(json_array_get(urls, i))) {
            json_decref(root);
            sim_reply_text(r, 400, TXT_BAD_BODY);
            return;
        }
    }
    sim_reply_json(r, 200);
    sim_jw w;
    sim_jw_init(&w, &r->body_out, 0);
    w.html_escape = 1; /* as in captured decoder responses */
    sim_jw_obj(&w);
    sim_jw_key(&w, "urls");
    sim_jw_arr(&w);
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(urls, i);
        const char *in = json_string_value(s);
        size_t len = json_string_length(s);
        size_t cap = PPTAP_URLDEF_DECODE_MAX(len);
        char *out = malloc(cap);
        pptap_urldef_result res;
        int rc = out ? pptap_urldef_decode(&res, out, cap, in, len) : PPTAP_ENOMEM;
        sim_jw_obj(&w);
        sim_jw_key(&w, "encodedUrl");
        sim_jw_strn(&w, in, len);
        if (rc == 0 && res.start == 0) {
            sim_jw_key(&w, "decodedUrl");
            sim_jw_strn(&w, out, res.len);
            if (r->authenticated && (res.version == 2 || res.version == 3)) {
                /* The message the link was rewritten in (deterministic per link). */
                uint64_t h = 1469598103934665603ull;
                for (size_t k = 0; k < len; k++) {
                    h = (h ^ (unsigned char)in[k]) * 0x100000001b3ull;
                }
                sim_rng g = {sim_mix(h ^ sim_cfg.seed)};
                char guid[33], email[128];
                static const char al[] =
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
                for (int k = 0; k < 32; k++) {
                    guid[k] = al[sim_rng_below(&g, 62)];
                }
                guid[32] = '\0';
                sim_user_email(
                    email, sizeof email,
                    (int)sim_rng_below(&g, (uint32_t)(sim_cfg.users > 0 ? sim_cfg.users : 1)));
                sim_jw_kstr(&w, "messageGuid", guid);
                sim_jw_kstr(&w, "clusterName", sim_cfg.cluster);
                sim_jw_kstr(&w, "recipientEmail", email);
            }
            sim_jw_key(&w, "success");
            sim_jw_bool(&w, 1);
        } else {
            sim_jw_key(&w, "success");
            sim_jw_bool(&w, 0);
            if (rc == PPTAP_EDECODE && res.status == PPTAP_URLDEF_NOT_URLDEFENSE) {
                sim_jw_kstr(&w, "error", "Invalid URL - encoded URL is not a URL Defense URL");
            } else if (rc == 0) {
                sim_jw_kstr(&w, "error", "Invalid URL - encoded URL is not a URL Defense URL");
            } else {
                char msg[256];
                snprintf(msg, sizeof msg, "Invalid URL - %s",
                         rc == PPTAP_EDECODE ? pptap_urldef_status_message(res.status)
                                             : "could not be decoded");
                sim_jw_kstr(&w, "error", msg);
            }
        }
        sim_jw_obj_end(&w);
        free(out);
    }
    sim_jw_arr_end(&w);
    sim_jw_obj_end(&w);
    json_decref(root);
}
