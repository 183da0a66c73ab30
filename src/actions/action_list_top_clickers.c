/*
 * List Top Clickers: the users who clicked the most malicious links (GET
 * /v2/people/top-clickers) with the People API's window, page size and
 * page; act_people_run() (action_list_vaps.c) does the work.
 */
#include "action_impl.h"

static int run_tc(action_ctx *ctx)
{
    return act_people_run(ctx, 0);
}

static const action_param tc_params[] = {
    {.name = "Window",
     .tool_name = "window",
     .type = AP_CHOICE,
     .mandatory = 1,
     .def = "30",
     .allowed = act_people_windows,
     .description = "the period in days: 14, 30 or 90"},
    {.name = "Size",
     .tool_name = "size",
     .type = AP_INT,
     .def = "50",
     .lo = 1,
     .hi = PPTAP_TOP_CLICKERS_SIZE_MAX,
     .description = "people per page"},
    {.name = "Page",
     .tool_name = "page",
     .type = AP_INT,
     .def = "1",
     .lo = 1,
     .hi = 1000000,
     .description = "the page to return, from 1"},
};

const action_def action_list_top_clickers = {
    .name = "List Top Clickers",
    .cli_name = "list-top-clickers",
    .tool_name = "proof_point_tap_list_top_clickers",
    .description = "Lists the users who clicked the most malicious links in a 14, 30 or 90 "
                   "day window: identity, click count and the threat families clicked, one "
                   "page at a time.",
    .result_name = "is_success",
    .params = tc_params,
    .n_params = sizeof tc_params / sizeof tc_params[0],
    .needs = ACTION_NEEDS_CLIENT,
    .err_style = ACTION_ERR_QUOTED,
    .cost = "1 request to GET /v2/people/top-clickers (pool top-clickers)",
    .outputs = "{\"json_result\": \"the API's response: totalTopClickers, interval, users "
               "[{identity, clickStatistics}]\", \"data_tables\": [\"Top Clickers: Name, Email, "
               "Department, Location, Title, VIP, Click Count, Families\"], \"messages\": "
               "[\"Successfully returned N of TOTAL top clickers from Proofpoint TAP (window W "
               "days, page P).\", \"No top clickers were found in Proofpoint TAP for the "
               "provided criteria.\"]}",
    .run = run_tc,
};
