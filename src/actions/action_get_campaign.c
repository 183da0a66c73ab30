/*
 * Get Campaign: details of comma-separated campaign ids, optionally with
 * their forensics filtered by evidence type and capped; a data table, an
 * insight per campaign and a THREATACTOR entity named after it. "Related
 * Actors" are the campaign's actors (brands have their own row), every
 * member threat's forensics report is read (not only the first), and server
 * text is HTML-escaped in insights.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "action_impl.h"

/* Every report's evidence of the wanted types, at most `max`, each tagged
 * with the threat it belongs to. New reference. */
static json_t *campaign_evidence(json_t *reports, json_t *filter, long max, size_t *matched)
{
    json_t *out = json_array();
    size_t i, j;
    json_t *rep, *ev;
    *matched = 0;
    json_array_foreach(reports, i, rep)
    {
        json_array_foreach(json_object_get(rep, "forensics"), j, ev)
        {
            if (!act_evidence_wanted(filter, json_string_value(json_object_get(ev, "type")))) {
                continue;
            }
            (*matched)++;
            if ((long)json_array_size(out) < max) {
                json_t *c = json_deep_copy(ev);
                json_t *tid = json_object_get(rep, "id");
                if (json_is_string(tid)) {
                    json_object_set(c, "threatId", tid);
                }
                json_array_append_new(out, c);
            }
        }
    }
    return out;
}

static const char *const evidence_cols[] = {ACT_EVIDENCE_COLUMNS, NULL};

/* Adds the "Campaign {id} Evidence" table. */
static void evidence_table(action_ctx *ctx, const char *id, json_t *evidence)
{
    char title[512];
    snprintf(title, sizeof title, "Campaign %s Evidence", id);
    json_t *rows = act_table(ctx, title, evidence_cols);
    size_t i;
    json_t *ev;
    json_array_foreach(evidence, i, ev)
    {
        const char *cells[ACT_EVIDENCE_COLS];
        pptap_buf plat = PPTAP_BUF_INIT;
        act_evidence_cells(ev, cells, &plat);
        act_row(rows, ACT_EVIDENCE_COLS, cells);
        pptap_buf_dispose(&plat);
    }
}

/* The insight's HTML body: every server string escaped. */
static char *insight_body(json_t *camp)
{
    pptap_buf b = PPTAP_BUF_INIT;
    static const struct {
        const char *label, *key;
    } rows[] = {
        {"Related Families", "families"},     {"Related Malware", "malware"},
        {"Related Techniques", "techniques"}, {"Related Actors", "actors"},
        {"Related Brands", "brands"},
    };
    const char *name = json_string_value(json_object_get(camp, "name"));
    const char *start = json_string_value(json_object_get(camp, "startDate"));
    act_put(&b, "<h2><strong>");
    act_html(&b, name != NULL ? name : json_string_value(json_object_get(camp, "id")));
    act_put(&b, "</strong></h2><p><strong>Start Date:</strong> ");
    act_html(&b, start != NULL ? start : "N/A");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char *v = act_json_names(json_object_get(camp, rows[i].key));
        act_put(&b, "<br><strong>");
        act_put(&b, rows[i].label);
        act_put(&b, ":</strong> ");
        act_html(&b, v);
        free(v);
    }
    act_put(&b, "</p>");
    const char *desc = json_string_value(json_object_get(camp, "description"));
    if (desc != NULL && *desc != '\0') {
        act_put(&b, "<p>");
        for (const char *p = desc; *p != '\0'; p++) {
            if (*p == '\r') {
                if (p[1] != '\n') {
                    act_put(&b, "<br>");
                }
            } else if (*p == '\n') {
                act_put(&b, "<br>");
            } else {
                char one[2] = {*p, '\0'};
                act_html(&b, one);
            }
        }
        act_put(&b, "</p>");
    }
    return b.ptr;
}

static const char *const details_cols[] = {"ID",
                                           "Name",
                                           "Description",
                                           "Start Date",
                                           "Related Families",
                                           "Related Malware",
                                           "Related Techniques",
                                           "Related Actors",
                                           "Related Brands",
                                           NULL};

static int run(action_ctx *ctx)
{
    pptap_client *c = act_client(ctx);
    if (c == NULL) {
        return -1;
    }
    json_t *ids = act_split_csv(act_str(ctx, "Campaign ID"));
    json_t *filter = act_split_csv(act_str(ctx, "Forensic Evidence Type Filter"));
    json_t *result = json_array(), *found = json_array(), *missing = json_array();
    int rc = 0;
    int want_forensics = act_bool(ctx, "Fetch Forensics Info");
    long max = act_int(ctx, "Max Forensics Evidence To Return");
    if (json_array_size(ids) == 0) {
        rc = act_fail(ctx, 64, "Missing mandatory parameter \"Campaign ID\".");
        goto out;
    }
    if (act_check_evidence_filter(ctx, "Forensic Evidence Type Filter", filter) != 0) {
        rc = -1;
        goto out;
    }
    size_t i;
    json_t *v;
    json_t *details = act_table(ctx, "Campaign Details", details_cols);
    json_array_foreach(ids, i, v)
    {
        const char *id = json_string_value(v);
        pptap_campaign *camp = NULL;
        int err = pptap_campaign_get(c, &camp, id);
        if (err == PPTAP_ENOTFOUND || err == PPTAP_EINVAL) {
            json_array_append(missing, v);
            continue;
        }
        if (err != 0) {
            char what[400];
            snprintf(what, sizeof what, "campaign \"%.300s\"", id);
            rc = act_api_fail(ctx, err, what);
            goto out;
        }
        json_t *obj = json_deep_copy(camp->raw);
        pptap_campaign_free(camp);
        json_t *evidence = NULL;
        if (want_forensics) {
            pptap_forensics *f = NULL;
            pptap_forensics_query q = {.campaign_id = id};
            err = pptap_forensics_get(c, &f, &q);
            if (err != 0 && err != PPTAP_ENOTFOUND) {
                char what[400];
                snprintf(what, sizeof what, "forensics of campaign \"%.300s\"", id);
                json_decref(obj);
                rc = act_api_fail(ctx, err, what);
                goto out;
            }
            size_t matched = 0;
            json_t *reports = f != NULL ? json_object_get(f->raw, "reports") : NULL;
            evidence = campaign_evidence(reports, filter, max, &matched);
            json_object_set_new(
                obj, "forensics",
                json_pack("{s:s, s:s, s:O, s:O, s:I, s:I}", "scope", "CAMPAIGN", "id", id, "name",
                          json_object_get(obj, "name") ? json_object_get(obj, "name") : json_null(),
                          "forensics", evidence, "reports", (json_int_t)json_array_size(reports),
                          "matched", (json_int_t)matched));
            pptap_forensics_free(f);
        }
        const char *name = json_string_value(json_object_get(obj, "name"));
        char *fam = act_json_names(json_object_get(obj, "families"));
        char *mal = act_json_names(json_object_get(obj, "malware"));
        char *tech = act_json_names(json_object_get(obj, "techniques"));
        char *act = act_json_names(json_object_get(obj, "actors"));
        char *brand = act_json_names(json_object_get(obj, "brands"));
        const char *cells[] = {id,
                               name,
                               json_string_value(json_object_get(obj, "description")),
                               json_string_value(json_object_get(obj, "startDate")),
                               fam,
                               mal,
                               tech,
                               act,
                               brand};
        act_row(details, sizeof cells / sizeof cells[0], cells);
        free(fam);
        free(mal);
        free(tech);
        free(act);
        free(brand);
        if (evidence != NULL) {
            evidence_table(ctx, id, evidence);
            json_decref(evidence);
        }
        if (act_bool(ctx, "Create Insight")) {
            char *body = insight_body(obj);
            act_insight(ctx, id, "Informational", "General", body, NULL);
            free(body);
        }
        if (act_bool(ctx, "Create Threat Campaign Entity")) {
            act_entity_create(ctx, name != NULL && *name ? name : id, "THREATACTOR",
                              json_pack("{s:b, s:b, s:b, s:b, s:b, s:s}", "is_new_entity", 1,
                                        "is_internal", 0, "is_suspicious", 0, "is_enriched", 0,
                                        "is_vulnerable", 1, "campaignId", id));
        }
        json_array_append_new(result, obj);
        json_array_append(found, v);
    }
    act_set_json(ctx, json_incref(result));
    act_outcome(ctx, found,
                "Successfully found information for the following campaigns in ProofPoint TAP",
                missing,
                "Action wasn't able to find information for the following campaigns in "
                "ProofPoint TAP",
                "No information about provided campaigns was found.");
out:
    json_decref(ids);
    json_decref(filter);
    json_decref(result);
    json_decref(found);
    json_decref(missing);
    return rc;
}

static const action_param params[] = {
    {.name = "Campaign ID",
     .tool_name = "campaign_id",
     .type = AP_STRING,
     .mandatory = 1,
     .description = "comma-separated campaign IDs"},
    {.name = "Create Insight",
     .tool_name = "create_insight",
     .type = AP_BOOL,
     .def = "true",
     .description = "create an insight for each campaign found"},
    {.name = "Create Threat Campaign Entity",
     .tool_name = "create_threat_campaign_entity",
     .type = AP_BOOL,
     .def = "true",
     .description = "create a THREATACTOR entity named after each campaign found"},
    {.name = "Fetch Forensics Info",
     .tool_name = "fetch_forensics_info",
     .type = AP_BOOL,
     .def = "true",
     .description = "also read the campaign's forensics (GET /v2/forensics?campaignId=)"},
    {.name = "Forensic Evidence Type Filter",
     .tool_name = "forensic_evidence_type_filter",
     .type = AP_STRING,
     .def = "attachment,dns, dropper, file, network, process, registry, screenshot, url, "
            "redirect_chain",
     .description = "comma-separated evidence types to keep, among attachment, cookie, dns, "
                    "dropper, file, ids, mutex, network, process, registry, screenshot, url, "
                    "redirect_chain, behavior"},
    {.name = "Max Forensics Evidence To Return",
     .tool_name = "max_forensics_evidence_to_return",
     .type = AP_INT,
     .def = "50",
     .lo = 1,
     .hi = 1000,
     .description = "evidence kept per campaign"},
};

const action_def action_get_campaign = {
    .name = "Get Campaign",
    .cli_name = "get-campaign",
    .tool_name = "proof_point_tap_get_campaign",
    .description = "Returns the details of comma-separated campaign IDs (name, description, "
                   "start date, actors, families, malware, techniques, brands, member threats) "
                   "and, optionally, their forensics filtered by evidence type and capped; "
                   "creates an insight per campaign and a THREATACTOR entity named after it. "
                   "Campaigns that do not exist are reported, the others still returned.",
    .result_name = "campaign_info",
    .params = params,
    .n_params = sizeof params / sizeof params[0],
    .needs = ACTION_NEEDS_CLIENT,
    .err_style = ACTION_ERR_PLAIN,
    .cost = "per campaign: 1 request to GET /v2/campaign/{id} (pool campaign) and, with "
            "forensics, 1 to GET /v2/forensics (pool forensics)",
    .outputs =
        "{\"json_result\": [\"the API's campaign object (id, name, description, startDate, "
        "notable, actors, families, malware, techniques, brands, campaignMembers) plus, with "
        "forensics, forensics: {scope: CAMPAIGN, id, name, forensics: [evidence of every "
        "member threat's report, filtered and capped, each with threatId], reports, "
        "matched}\"], \"data_tables\": [\"Campaign Details: ID, Name, Description, Start Date, "
        "Related Families, Related Malware, Related Techniques, Related Actors, Related "
        "Brands\", \"Campaign {id} Evidence: Type, Description, Malicious, URL, Path, SHA256, "
        "IP Address, Platforms\"], \"insights\": \"one per campaign: title = campaign id, "
        "General, Informational, HTML body\", \"entities\": \"THREATACTOR named after each "
        "campaign\", \"messages\": [\"Successfully found information for the following "
        "campaigns in ProofPoint TAP: ...\", \"Action wasn't able to find information for the "
        "following campaigns in ProofPoint TAP: ...\", \"No information about provided "
        "campaigns was found.\"]}",
    .run = run,
};
