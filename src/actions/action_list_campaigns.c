/*
 * List Campaigns: the campaigns active in a time frame, from GET
 * /v2/campaign/ids in slices of at most one day (the API's limit), newest
 * slice first, every page of a slice while more results are wanted; a slice
 * without campaigns (HTTP 404) is empty. Each campaign is listed once.
 */
#include <stdlib.h>
#include <string.h>

#include "action_impl.h"

#define DAY_MS PPTAP_CAMPAIGN_INTERVAL_MAX_MS
#define PAGE_SIZE PPTAP_CAMPAIGN_SIZE_MAX

static int run(action_ctx *ctx)
{
    pptap_client *c = act_client(ctx);
    pptap_time_ms start, end;
    if (c == NULL || act_time_frame(ctx, &start, &end) != 0) {
        return -1;
    }
    long max = act_int(ctx, "Max Results To Return");
    json_t *list = json_array();
    json_t *seen = json_object();
    int rc = 0;
    json_t *rows =
        act_table(ctx, "Campaigns", (const char *const[]){"ID", "Last Updated At", NULL});
    /* newest slice first: [max(start, hi - 1 day), hi) */
    for (pptap_time_ms hi = end; hi > start && (long)json_array_size(list) < max;) {
        pptap_time_ms lo = hi - DAY_MS > start ? hi - DAY_MS : start;
        if (hi - lo < PPTAP_INTERVAL_MIN_MS) {
            hi = lo + PPTAP_INTERVAL_MIN_MS; /* the oldest piece, widened into the newer one */
        }
        for (int page = 1; (long)json_array_size(list) < max; page++) {
            pptap_campaign_ids *ids = NULL;
            pptap_campaign_ids_query q = {.start = lo, .end = hi, .page = page, .size = PAGE_SIZE};
            int err = pptap_campaign_ids_get(c, &ids, &q);
            if (err != 0) {
                char a[PPTAP_TIME_STRLEN], b[PPTAP_TIME_STRLEN], what[128];
                snprintf(what, sizeof what, "campaigns of %s/%s", act_time_str(a, lo),
                         act_time_str(b, hi));
                rc = act_api_fail(ctx, err, what);
                goto out;
            }
            size_t i;
            json_t *v;
            json_t *arr = json_object_get(ids->raw, "campaigns");
            json_array_foreach(arr, i, v)
            {
                const char *id = json_string_value(json_object_get(v, "id"));
                if (id == NULL || json_object_get(seen, id) != NULL ||
                    (long)json_array_size(list) >= max) {
                    continue;
                }
                json_object_set_new(seen, id, json_true());
                json_array_append(list, v);
                const char *cells[] = {id, json_string_value(json_object_get(v, "lastUpdatedAt"))};
                act_row(rows, 2, cells);
            }
            size_t got = json_array_size(arr);
            pptap_campaign_ids_free(ids);
            if (got < PAGE_SIZE) {
                break;
            }
        }
        hi = lo;
    }
    act_set_json(ctx, json_pack("{s:O}", "campaigns", list));
    if (json_array_size(list) > 0) {
        act_message(ctx, "Successfully returned campaigns from Proofpoint TAP.");
        act_set_value(ctx, 1);
    } else {
        act_message(ctx, "No campaigns were found in Proofpoint TAP for the provided criteria.");
        act_set_value(ctx, 0);
    }
out:
    json_decref(list);
    json_decref(seen);
    return rc;
}

static const action_param params[] = {
    {.name = "Time Frame",
     .tool_name = "time_frame",
     .type = AP_CHOICE,
     .def = "Last Hour",
     .allowed = act_time_frames,
     .description = "the time frame (\"Last Week\" is 167 hours); Custom takes Start Time and "
                    "End Time"},
    {.name = "Start Time",
     .tool_name = "start_time",
     .type = AP_TIME,
     .description = "start of a custom time frame (required with Custom, refused otherwise)"},
    {.name = "End Time",
     .tool_name = "end_time",
     .type = AP_TIME,
     .description = "end of a custom time frame (default now; a later time is taken as now)"},
    {.name = "Max Results To Return",
     .tool_name = "max_results_to_return",
     .type = AP_INT,
     .mandatory = 1,
     .def = "50",
     .lo = 1,
     .hi = 1000,
     .description = "campaigns to return"},
};

const action_def action_list_campaigns = {
    .name = "List Campaigns",
    .cli_name = "list-campaigns",
    .tool_name = "proof_point_tap_list_campaigns",
    .description = "Lists the campaigns active in a time frame (started before its end, updated "
                   "after its start), newest first, each once. The frame is read in slices of "
                   "at most one day, newest first, stopping once enough campaigns are found.",
    .result_name = "is_success",
    .params = params,
    .n_params = sizeof params / sizeof params[0],
    .needs = ACTION_NEEDS_CLIENT,
    .err_style = ACTION_ERR_QUOTED,
    .cost = "1 request to GET /v2/campaign/ids (pool campaign-ids, 50 a day) per day of the "
            "frame started (Last Week: 7), plus one per further page of 200 campaigns",
    .outputs = "{\"json_result\": {\"campaigns\": [{\"id\": \"...\", \"lastUpdatedAt\": "
               "\"...\"}]}, \"data_tables\": [\"Campaigns: ID, Last Updated At\"], "
               "\"messages\": [\"Successfully returned campaigns from Proofpoint TAP.\", \"No "
               "campaigns were found in Proofpoint TAP for the provided criteria.\", \"Start "
               "Time is required for custom time frame.\"]}",
    .run = run,
};
