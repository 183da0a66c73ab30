/*
 * Get Campaign Forensics: the forensics of comma-separated campaign ids
 * (GET /v2/forensics?campaignId=): one report per member threat, evidence
 * filtered by type and capped per campaign. Unknown campaigns are reported
 * while the others are returned.
 */
#include <stdlib.h>
#include <string.h>

#include "action_impl.h"

static const char *const cols[] = {"Campaign ID", "Threat ID", ACT_EVIDENCE_COLUMNS, NULL};

static int run(action_ctx *ctx)
{
    pptap_client *c = act_client(ctx);
    if (c == NULL) {
        return -1;
    }
    json_t *ids = act_split_csv(act_str(ctx, "Campaign ID"));
    json_t *filter = act_split_csv(act_str(ctx, "Forensic Evidence Type Filter"));
    json_t *result = json_array(), *found = json_array(), *empty = json_array(),
           *missing = json_array();
    long max = act_int(ctx, "Max Results To Return");
    int rc = 0;
    if (json_array_size(ids) == 0) {
        rc = act_fail(ctx, 64, "Missing mandatory parameter \"Campaign ID\".");
        goto out;
    }
    if (act_check_evidence_filter(ctx, "Forensic Evidence Type Filter", filter) != 0) {
        rc = -1;
        goto out;
    }
    json_t *rows = act_table(ctx, "Campaign Forensics", cols);
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        const char *id = json_string_value(v);
        pptap_forensics *f = NULL;
        pptap_forensics_query q = {.campaign_id = id};
        int err = pptap_forensics_get(c, &f, &q);
        if (err == PPTAP_ENOTFOUND || err == PPTAP_EINVAL) {
            json_array_append(missing, v);
            continue;
        }
        if (err != 0) {
            char what[400];
            snprintf(what, sizeof what, "forensics of campaign \"%.300s\"", id);
            rc = act_api_fail(ctx, err, what);
            goto out;
        }
        long kept = 0;
        size_t k;
        json_t *rep;
        json_array_foreach(json_object_get(f->raw, "reports"), k, rep)
        {
            json_t *copy = json_deep_copy(rep);
            json_t *ev = json_array();
            size_t j;
            json_t *e;
            json_array_foreach(json_object_get(rep, "forensics"), j, e)
            {
                if (kept >= max) {
                    break;
                }
                if (!act_evidence_wanted(filter, json_string_value(json_object_get(e, "type")))) {
                    continue;
                }
                const char *cells[2 + ACT_EVIDENCE_COLS];
                pptap_buf plat = PPTAP_BUF_INIT;
                cells[0] = id;
                cells[1] = json_string_value(json_object_get(rep, "id"));
                act_evidence_cells(e, cells + 2, &plat);
                act_row(rows, 2 + ACT_EVIDENCE_COLS, cells);
                pptap_buf_dispose(&plat);
                json_array_append(ev, e);
                kept++;
            }
            if (json_array_size(ev) == 0) {
                json_decref(ev); /* nothing of this member passes: leave its report out */
                json_decref(copy);
                continue;
            }
            json_object_set_new(copy, "forensics", ev);
            json_object_set_new(copy, "campaignId", json_string(id));
            json_array_append_new(result, copy);
        }
        json_array_append(kept > 0 ? found : empty, v);
        pptap_forensics_free(f);
    }
    act_set_json(ctx, json_incref(result));
    act_message_list(
        ctx, "Successfully returned forensics for the following campaigns in Proofpoint TAP",
        found);
    act_message_list(ctx, "No forensics were found for the following campaigns in Proofpoint TAP",
                     empty);
    act_message_list(ctx, "Action wasn't able to find the following campaigns in Proofpoint TAP",
                     missing);
    if (json_array_size(found) > 0) {
        act_set_value(ctx, 1);
    } else {
        act_message(ctx, "No forensics were found for the provided campaigns in Proofpoint TAP.");
        act_set_value(ctx, 0);
    }
out:
    json_decref(ids);
    json_decref(filter);
    json_decref(result);
    json_decref(found);
    json_decref(empty);
    json_decref(missing);
    return rc;
}

static const action_param params[] = {
    {.name = "Campaign ID",
     .tool_name = "campaign_id",
     .type = AP_STRING,
     .mandatory = 1,
     .description = "comma-separated campaign IDs"},
    {.name = "Forensic Evidence Type Filter",
     .tool_name = "forensic_evidence_type_filter",
     .type = AP_STRING,
     .description = "comma-separated evidence types to keep (empty: all), among attachment, "
                    "cookie, dns, dropper, file, ids, mutex, network, process, registry, "
                    "screenshot, url, redirect_chain, behavior"},
    {.name = "Max Results To Return",
     .tool_name = "max_results_to_return",
     .type = AP_INT,
     .mandatory = 1,
     .def = "50",
     .lo = 1,
     .hi = 1000,
     .description = "evidence kept per campaign, over all its reports"},
};

const action_def action_get_campaign_forensics = {
    .name = "Get Campaign Forensics",
    .cli_name = "get-campaign-forensics",
    .tool_name = "proof_point_tap_get_campaign_forensics",
    .description = "Returns the forensics of comma-separated campaign IDs: one report per "
                   "member threat, evidence filtered by type and capped per campaign. Unknown "
                   "campaigns are reported while the others are returned.",
    .result_name = "is_success",
    .params = params,
    .n_params = sizeof params / sizeof params[0],
    .needs = ACTION_NEEDS_CLIENT,
    .err_style = ACTION_ERR_QUOTED,
    .cost = "1 request to GET /v2/forensics (pool forensics) per campaign",
    .outputs =
        "{\"json_result\": [{\"scope\": \"CAMPAIGN\", \"id\": \"member threat id\", \"name\": "
        "\"...\", \"campaignId\": \"...\", \"forensics\": [\"evidence passing the filter; at "
        "most Max Results To Return per campaign; reports left with none are left out\"]}], "
        "\"data_tables\": [\"Campaign "
        "Forensics: Campaign ID, Threat ID, Type, Description, Malicious, URL, Path, SHA256, "
        "IP Address, Platforms\"], \"messages\": [\"Successfully returned forensics for the "
        "following campaigns in Proofpoint TAP: ...\", \"No forensics were found for the "
        "following campaigns in Proofpoint TAP: ...\", \"Action wasn't able to find the "
        "following campaigns in Proofpoint TAP: ...\", \"No forensics were found for the "
        "provided campaigns in Proofpoint TAP.\"]}",
    .run = run,
};
