/*
 * Get Threat Summary: GET /v2/threat/summary/{id} for comma-separated
 * threat ids (ids percent-encoded by the client). The endpoint is not
 * throttled. Unknown threats are reported while the others are returned.
 */
#include <stdlib.h>
#include <string.h>

#include "action_impl.h"

static const char *const cols[] = {
    "ID",       "Name",          "Type",          "Category", "Status", "Detection Type",
    "Severity", "Attack Spread", "Identified At", "Notable",  "Actors", "Families",
    "Malware",  "Techniques",    "Brands",        NULL};

static void int_cell(char *buf, size_t n, int64_t v)
{
    if (v == PPTAP_INT_NONE) {
        buf[0] = '\0';
    } else {
        snprintf(buf, n, "%lld", (long long)v);
    }
}

static int run(action_ctx *ctx)
{
    pptap_client *c = act_client(ctx);
    if (c == NULL) {
        return -1;
    }
    json_t *ids = act_split_csv(act_str(ctx, "Threat ID"));
    json_t *result = json_array(), *found = json_array(), *missing = json_array();
    int rc = 0;
    if (json_array_size(ids) == 0) {
        rc = act_fail(ctx, 64, "Missing mandatory parameter \"Threat ID\".");
        goto out;
    }
    json_t *rows = act_table(ctx, "Threat Summary", cols);
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        const char *id = json_string_value(v);
        pptap_threat_summary *t = NULL;
        int err = pptap_threat_summary_get(c, &t, id);
        if (err == PPTAP_ENOTFOUND || err == PPTAP_EINVAL) {
            json_array_append(missing, v);
            continue;
        }
        if (err != 0) {
            char what[400];
            snprintf(what, sizeof what, "summary of threat \"%.300s\"", id);
            rc = act_api_fail(ctx, err, what);
            goto out;
        }
        char sev[32], spread[32];
        int_cell(sev, sizeof sev, t->severity_score);
        int_cell(spread, sizeof spread, t->attack_spread);
        char *names[5] = {act_names(&t->actors), act_names(&t->families), act_names(&t->malware),
                          act_names(&t->techniques), act_names(&t->brands)};
        const char *cells[] = {t->id != NULL ? t->id : id,
                               t->name,
                               t->type,
                               t->category,
                               t->status,
                               t->detection_type,
                               sev,
                               spread,
                               t->identified_at_str,
                               t->notable < 0 ? ""
                               : t->notable   ? "true"
                                              : "false",
                               names[0],
                               names[1],
                               names[2],
                               names[3],
                               names[4]};
        act_row(rows, sizeof cells / sizeof cells[0], cells);
        for (size_t k = 0; k < 5; k++) {
            free(names[k]);
        }
        json_array_append(result, t->raw);
        json_array_append(found, v);
        pptap_threat_summary_free(t);
    }
    act_set_json(ctx, json_incref(result));
    act_outcome(ctx, found,
                "Successfully returned threat summaries for the following threats in "
                "Proofpoint TAP",
                missing, "Action wasn't able to find the following threats in Proofpoint TAP",
                "No threat summaries were found for the provided threats in Proofpoint TAP.");
out:
    json_decref(ids);
    json_decref(result);
    json_decref(found);
    json_decref(missing);
    return rc;
}

static const action_param params[] = {
    {.name = "Threat ID",
     .tool_name = "threat_id",
     .type = AP_STRING,
     .mandatory = 1,
     .description = "comma-separated threat IDs"},
};

const action_def action_get_threat_summary = {
    .name = "Get Threat Summary",
    .cli_name = "get-threat-summary",
    .tool_name = "proof_point_tap_get_threat_summary",
    .description = "Returns the summary of comma-separated threat IDs: name, type, category, "
                   "status, detection type, severity, attack spread, when identified, actors, "
                   "families, malware, techniques, brands. Unknown threats are reported while "
                   "the others are returned. The endpoint is not throttled.",
    .result_name = "is_success",
    .params = params,
    .n_params = sizeof params / sizeof params[0],
    .needs = ACTION_NEEDS_CLIENT,
    .err_style = ACTION_ERR_QUOTED,
    .cost = "1 request to GET /v2/threat/summary/{id} per threat (pool none: not throttled)",
    .outputs = "{\"json_result\": [\"the API's threat summary: id, identifiedAt, name, type, "
               "category, status, detectionType, severityScore, attackSpread, notable, "
               "verticallyTargeted, geoTargeted, actors, families, malware, techniques, "
               "brands\"], \"data_tables\": [\"Threat Summary: ID, Name, Type, Category, Status, "
               "Detection Type, Severity, Attack Spread, Identified At, Notable, Actors, "
               "Families, Malware, Techniques, Brands\"], \"messages\": [\"Successfully "
               "returned threat summaries for the following threats in Proofpoint TAP: ...\", "
               "\"Action wasn't able to find the following threats in Proofpoint TAP: ...\", "
               "\"No threat summaries were found for the provided threats in Proofpoint TAP.\"]}",
    .run = run,
};
