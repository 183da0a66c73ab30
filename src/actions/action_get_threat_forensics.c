/*
 * Get Threat Forensics: the forensics reports of comma-separated threat ids
 * (GET /v2/forensics?threatId=, with includeCampaignForensics=true when
 * asked: booleans are sent as true/false), each report's evidence capped.
 * An id the API does not know fails the action, naming every such id.
 *
 * Requests: one per id, never more. After an invalid id the action is bound
 * to fail, so the reports of the ids after it are not kept; they are still
 * asked, only to name every invalid id in one run (as SecOps does): fixing
 * one spelling at a time would ask the valid ids again on every re-run. Any
 * other failure (429, 5xx, credentials, an answer that does not parse)
 * stops at once, since it would repeat for the remaining ids; its message
 * also names the invalid ids found before it.
 */
#include <stdlib.h>
#include <string.h>

#include "action_impl.h"

static const char *const cols[] = {"Threat ID", "Scope", ACT_EVIDENCE_COLUMNS, NULL};

static int run(action_ctx *ctx)
{
    pptap_client *c = act_client(ctx);
    if (c == NULL) {
        return -1;
    }
    json_t *ids = act_split_csv(act_str(ctx, "Threat ID"));
    json_t *result = json_array(), *found = json_array(), *empty = json_array(),
           *invalid = json_array();
    int include = act_bool(ctx, "Include Campaign Forensics");
    long max = act_int(ctx, "Max Results To Return");
    int rc = 0;
    if (json_array_size(ids) == 0) {
        rc = act_fail(ctx, 64, "Missing mandatory parameter \"Threat ID\".");
        goto out;
    }
    json_t *rows = act_table(ctx, "Threat Forensics", cols);
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        const char *id = json_string_value(v);
        pptap_forensics *f = NULL;
        pptap_forensics_query q = {.threat_id = id, .include_campaign_forensics = include};
        int err = pptap_forensics_get(c, &f, &q);
        if (err == PPTAP_ENOTFOUND || err == PPTAP_EINVAL) {
            json_array_append(invalid, v);
            continue;
        }
        if (err != 0) {
            char what[400];
            snprintf(what, sizeof what, "forensics of threat \"%.300s\"", id);
            if (json_array_size(invalid) == 0) {
                rc = act_api_fail(ctx, err, what);
                goto out;
            }
            char reason[1536];
            char *list = act_join(invalid, ", ");
            act_api_reason(ctx, err, reason, sizeof reason);
            rc = act_fail(ctx, act_exit_code(err),
                          "%s: %s; the following threat IDs are invalid as well: %s. Please "
                          "check the spelling.",
                          what, reason, list ? list : "");
            free(list);
            goto out;
        }
        if (json_array_size(invalid) > 0) {
            /* the action fails: this id was asked only to know it is valid */
            pptap_forensics_free(f);
            continue;
        }
        json_t *reports = json_object_get(f->raw, "reports");
        size_t k;
        json_t *rep;
        json_array_foreach(reports, k, rep)
        {
            json_t *copy = json_deep_copy(rep);
            json_t *ev = json_object_get(copy, "forensics");
            while (json_array_size(ev) > (size_t)max) {
                json_array_remove(ev, json_array_size(ev) - 1);
            }
            size_t j;
            json_t *e;
            json_array_foreach(ev, j, e)
            {
                const char *cells[2 + ACT_EVIDENCE_COLS];
                pptap_buf plat = PPTAP_BUF_INIT;
                cells[0] = json_string_value(json_object_get(copy, "id"));
                cells[1] = json_string_value(json_object_get(copy, "scope"));
                act_evidence_cells(e, cells + 2, &plat);
                act_row(rows, 2 + ACT_EVIDENCE_COLS, cells);
                pptap_buf_dispose(&plat);
            }
            json_array_append_new(result, copy);
        }
        json_array_append(json_array_size(reports) > 0 ? found : empty, v);
        pptap_forensics_free(f);
    }
    if (json_array_size(invalid) > 0) {
        char *list = act_join(invalid, ", ");
        rc = act_fail(ctx, 64,
                      "the following threat IDs are invalid: %s. Please check the spelling.",
                      list ? list : "");
        free(list);
        goto out;
    }
    act_set_json(ctx, json_incref(result));
    act_outcome(ctx, found,
                "Successfully returned forensics for the following threats in Proofpoint TAP",
                empty, "No forensics were found for the following threats in Proofpoint TAP",
                "No forensics were found for the provided threats in Proofpoint TAP.");
out:
    json_decref(ids);
    json_decref(result);
    json_decref(found);
    json_decref(empty);
    json_decref(invalid);
    return rc;
}

static const action_param params[] = {
    {.name = "Threat ID",
     .tool_name = "threat_id",
     .type = AP_STRING,
     .mandatory = 1,
     .description = "comma-separated threat IDs"},
    {.name = "Include Campaign Forensics",
     .tool_name = "include_campaign_forensics",
     .type = AP_BOOL,
     .def = "false",
     .description = "also return the forensics of the threat's campaign (CAMPAIGN-scope reports)"},
    {.name = "Max Results To Return",
     .tool_name = "max_results_to_return",
     .type = AP_INT,
     .mandatory = 1,
     .def = "50",
     .lo = 1,
     .hi = 1000,
     .description = "evidence kept per report"},
};

const action_def action_get_threat_forensics = {
    .name = "Get Threat Forensics",
    .cli_name = "get-threat-forensics",
    .tool_name = "proof_point_tap_get_threat_forensics",
    .description = "Returns the forensics reports of comma-separated threat IDs, optionally with "
                   "the forensics of their campaigns, each report's evidence capped. A threat ID "
                   "the API does not know fails the action, naming every such ID.",
    .result_name = "is_success",
    .params = params,
    .n_params = sizeof params / sizeof params[0],
    .needs = ACTION_NEEDS_CLIENT,
    .err_style = ACTION_ERR_QUOTED,
    .cost = "1 request to GET /v2/forensics (pool forensics) per threat, also after an invalid "
            "ID (to name every invalid ID); any other failure stops at once",
    .outputs =
        "{\"json_result\": [{\"scope\": \"THREAT|CAMPAIGN\", \"id\": \"...\", \"name\": \"...\", "
        "\"threatStatus\": \"...\", \"forensics\": [\"evidence: type, display, engine, "
        "malicious, note, time, what, platforms (at most Max Results To Return)\"]}], "
        "\"data_tables\": [\"Threat Forensics: Threat ID, Scope, Type, Description, Malicious, "
        "URL, Path, SHA256, IP Address, Platforms\"], \"messages\": [\"Successfully returned "
        "forensics for the following threats in Proofpoint TAP: ...\", \"No forensics were "
        "found for the following threats in Proofpoint TAP: ...\", \"No forensics were found "
        "for the provided threats in Proofpoint TAP.\", \"Error executing action "
        "\\\"ProofPointTAP - Get Threat Forensics\\\". Reason: the following threat IDs are "
        "invalid: .... Please check the spelling.\"]}",
    .run = run,
};
