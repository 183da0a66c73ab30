/*
 * pptap-sim — Campaign, Forensics and Threat endpoints: /v2/campaign/ids,
 * /v2/campaign/{id}, /v2/forensics and /v2/threat/summary/{id}.
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define TXT_NOT_EXIST "The campaign ID or threat ID does not exist"
/* Simulator choices: */
#define TXT_IV_REQUIRED "The interval parameter is required"
#define TXT_BAD_INTERVAL "The interval parameter is not a valid ISO 8601 interval"
#define TXT_TOO_SHORT                                                                              \
    "The requested interval is too short. Requests must be for at least 30.00s of data"
#define TXT_TOO_LONG_DAY                                                                           \
    "The requested interval is too long. Requests must be for at most 1.00d of data"
#define TXT_BAD_SIZE "The size parameter must be an integer between 1 and 200"
#define TXT_BAD_PAGE "The page parameter must be a positive integer"
#define TXT_FOR_ONE "Exactly one of the threatId or campaignId parameters is required"
#define TXT_FOR_INCLUDE "includeCampaignForensics cannot be used with the campaignId parameter"
#define TXT_FOR_BOOL "includeCampaignForensics must be true or false"

static int int_param(sim_req *r, const char *name, int64_t dflt, int64_t lo, int64_t hi,
                     const char *err, int64_t *out)
{
    const char *v = sim_param(&r->params, name);
    if (v == NULL) {
        *out = dflt;
        return 0;
    }
    if (sim_parse_int(v, out) != 0 || *out < lo || *out > hi) {
        sim_reply_text(r, 400, err);
        return -1;
    }
    return 0;
}

static int cmp_campaign(const void *a, const void *b)
{
    const sim_campaign *x = a, *y = b;
    if (x->last_updated != y->last_updated) {
        return x->last_updated < y->last_updated ? 1 : -1;
    }
    return strcmp(x->id, y->id);
}

void sim_campaign_ids_handle(sim_req *r)
{
    const char *iv = sim_param(&r->params, "interval");
    pptap_time_ms start, end;
    int64_t size, page;
    if (iv == NULL) {
        sim_reply_text(r, 400, TXT_IV_REQUIRED);
        return;
    }
    if (pptap_interval_parse(&start, &end, iv, strlen(iv)) != 0) {
        const char *slash = strchr(iv, '/');
        pptap_time_ms a, b;
        if (slash && pptap_time_parse(&a, iv, (size_t)(slash - iv)) == 0 &&
            pptap_time_parse(&b, slash + 1, strlen(slash + 1)) == 0 && b < a) {
            sim_reply_text(r, 400, "");
        } else {
            sim_reply_text(r, 400, TXT_BAD_INTERVAL);
        }
        return;
    }
    if (end - start < 30000) {
        sim_reply_text(r, 400, TXT_TOO_SHORT);
        return;
    }
    if (end - start > SIM_DAY_MS) {
        sim_reply_text(r, 400, TXT_TOO_LONG_DAY);
        return;
    }
    if (int_param(r, "size", 100, 1, 200, TXT_BAD_SIZE, &size) != 0 ||
        int_param(r, "page", 1, 1, 1000000, TXT_BAD_PAGE, &page) != 0) {
        return;
    }
    /* Campaigns that started before the end and were updated after the start. */
    sim_campaign list[64];
    int n = 0;
    int64_t d0 = (start - SIM_CAMPAIGN_SPAN_MS) / SIM_DAY_MS - 1;
    int64_t d1 = end / SIM_DAY_MS;
    for (int64_t d = d0; d <= d1 && n < 64; d++) {
        for (int k = 0; k < SIM_CAMPAIGNS_PER_DAY && n < 64; k++) {
            sim_campaign c;
            sim_gen_campaign(&c, d, k, r->now);
            if (c.start >= end || c.start > r->now || c.last_updated < start) {
                continue;
            }
            list[n++] = c;
        }
    }
    qsort(list, (size_t)n, sizeof list[0], cmp_campaign);
    int64_t from = (page - 1) * size;
    if (from >= n) {
        /* No campaign in the interval (or past the last page): 404, as the API does. */
        sim_reply_text(r, 404, "");
        return;
    }
    sim_reply_json(r, 200);
    sim_jw w;
    sim_jw_init(&w, &r->body_out, 0);
    sim_jw_obj(&w);
    sim_jw_key(&w, "campaigns");
    sim_jw_arr(&w);
    for (int64_t i = from; i < n && i < from + size; i++) {
        sim_jw_obj(&w);
        sim_jw_kstr(&w, "id", list[i].id);
        sim_jw_key(&w, "lastUpdatedAt");
        sim_jw_time_ms(&w, list[i].last_updated);
        sim_jw_obj_end(&w);
    }
    sim_jw_arr_end(&w);
    sim_jw_obj_end(&w);
}

void sim_campaign_handle(sim_req *r, const char *id)
{
    sim_campaign c;
    if (sim_gen_campaign_lookup(&c, id, r->now) != 0) {
        sim_reply_text(r, 404, TXT_NOT_EXIST);
        return;
    }
    sim_reply_json(r, 200);
    sim_jw w;
    sim_jw_init(&w, &r->body_out, 0);
    sim_campaign_write(&w, &c, r->now);
}

typedef struct {
    sim_jw *w;
} report_ctx;

static void campaign_report(const sim_threat *t, void *payload)
{
    report_ctx *rc = payload;
    sim_forensics_report_write(rc->w, t, "CAMPAIGN");
}

void sim_forensics_handle(sim_req *r)
{
    const char *tid = sim_param(&r->params, "threatId");
    const char *cid = sim_param(&r->params, "campaignId");
    const char *inc = sim_param(&r->params, "includeCampaignForensics");
    int include = 0;
    if ((tid == NULL) == (cid == NULL)) {
        sim_reply_text(r, 400, TXT_FOR_ONE);
        return;
    }
    if (inc) {
        if (cid) {
            sim_reply_text(r, 400, TXT_FOR_INCLUDE);
            return;
        }
        if (sim_strcaseeq(inc, "true")) {
            include = 1;
        } else if (!sim_strcaseeq(inc, "false")) {
            sim_reply_text(r, 400, TXT_FOR_BOOL);
            return;
        }
    }
    sim_jw w;
    if (tid) {
        sim_threat t;
        if (sim_gen_threat_lookup(&t, tid) != 0 || t.ident > r->now) {
            sim_reply_text(r, 404, "threatId not found");
            return;
        }
        sim_reply_json(r, 200);
        sim_jw_init(&w, &r->body_out, 0);
        sim_jw_obj(&w);
        sim_jw_key(&w, "generated");
        sim_jw_time_ms(&w, r->now);
        sim_jw_key(&w, "reports");
        sim_jw_arr(&w);
        sim_forensics_report_write(&w, &t, "THREAT");
        if (include && t.has_campaign) {
            sim_campaign c;
            sim_gen_campaign(&c, t.camp_day, t.camp_k, r->now);
            report_ctx rc = {&w};
            sim_gen_campaign_members(&c, r->now, 10, campaign_report, &rc);
        }
        sim_jw_arr_end(&w);
        sim_jw_obj_end(&w);
        return;
    }
    sim_campaign c;
    if (sim_gen_campaign_lookup(&c, cid, r->now) != 0) {
        sim_reply_text(r, 404, "campaignId not found");
        return;
    }
    sim_reply_json(r, 200);
    sim_jw_init(&w, &r->body_out, 0);
    sim_jw_obj(&w);
    sim_jw_key(&w, "generated");
    sim_jw_time_ms(&w, r->now);
    sim_jw_key(&w, "reports");
    sim_jw_arr(&w);
    report_ctx rc = {&w};
    sim_gen_campaign_members(&c, r->now, 20, campaign_report, &rc);
    sim_jw_arr_end(&w);
    sim_jw_obj_end(&w);
}

void sim_threat_handle(sim_req *r, const char *id)
{
    sim_threat t;
    if (sim_gen_threat_lookup(&t, id) != 0 || t.ident > r->now) {
        sim_reply_text(r, 404, TXT_NOT_EXIST);
        return;
    }
    sim_reply_json(r, 200);
    sim_jw w;
    sim_jw_init(&w, &r->body_out, 0);
    sim_threat_summary_write(&w, &t);
}
