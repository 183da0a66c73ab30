/*
 * List VAPs: the Very Attacked People of the People API (GET
 * /v2/people/vap) with its window (14, 30 or 90 days), page size and page.
 * act_people_run() also serves List Top Clickers, which differs only in
 * endpoint, size limit and the statistic shown.
 */
#include <stdlib.h>
#include <string.h>

#include "action_impl.h"

const char *const act_people_windows[] = {"14", "30", "90", NULL};

int act_people_run(action_ctx *ctx, int vap)
{
    pptap_client *c = act_client(ctx);
    if (c == NULL) {
        return -1;
    }
    pptap_people_query q = {
        .window = (int)strtol(act_str(ctx, "Window"), NULL, 10),
        .size = (int)act_int(ctx, "Size"),
        .page = (int)act_int(ctx, "Page"),
    };
    pptap_people *p = NULL;
    int err = vap ? pptap_people_vap_get(c, &p, &q) : pptap_people_top_clickers_get(c, &p, &q);
    if (err != 0) {
        return act_api_fail(ctx, err, vap ? "very attacked people" : "top clickers");
    }
    static const char *const vap_cols[] = {"Name",         "Email",    "Department",
                                           "Location",     "Title",    "VIP",
                                           "Attack Index", "Families", NULL};
    static const char *const tc_cols[] = {"Name", "Email",       "Department", "Location", "Title",
                                          "VIP",  "Click Count", "Families",   NULL};
    json_t *rows =
        act_table(ctx, vap ? "Very Attacked People" : "Top Clickers", vap ? vap_cols : tc_cols);
    for (size_t i = 0; i < p->n_users; i++) {
        const pptap_person *u = &p->users[i];
        pptap_buf emails = PPTAP_BUF_INIT, fams = PPTAP_BUF_INIT;
        pptap_buf_put(&emails, "", 0);
        pptap_buf_put(&fams, "", 0);
        for (size_t k = 0; k < u->emails.n; k++) {
            act_put(&emails, k ? ", " : "");
            act_put(&emails, u->emails.v[k]);
        }
        for (size_t k = 0; k < u->n_families; k++) {
            char one[64];
            int64_t n = vap ? u->families[k].score : u->families[k].clicks;
            snprintf(one, sizeof one, " (%lld)", (long long)(n == PPTAP_INT_NONE ? 0 : n));
            act_put(&fams, k ? ", " : "");
            act_put(&fams, u->families[k].name);
            act_put(&fams, one);
        }
        char stat[32] = "";
        int64_t s = vap ? u->attack_index : u->click_count;
        if (s != PPTAP_INT_NONE) {
            snprintf(stat, sizeof stat, "%lld", (long long)s);
        }
        const char *cells[] = {u->name,     emails.ptr, u->department,
                               u->location, u->title,   u->vip < 0 ? "" : u->vip ? "true" : "false",
                               stat,        fams.ptr};
        act_row(rows, sizeof cells / sizeof cells[0], cells);
        pptap_buf_dispose(&emails);
        pptap_buf_dispose(&fams);
    }
    act_set_json(ctx, json_incref(p->raw));
    const char *what = vap ? "very attacked people" : "top clickers";
    if (p->n_users > 0) {
        char total[64] = "";
        if (p->total != PPTAP_INT_NONE) {
            snprintf(total, sizeof total, " of %lld", (long long)p->total);
        }
        act_message(ctx,
                    "Successfully returned %zu%s %s from Proofpoint TAP (window %d days, page "
                    "%d).",
                    p->n_users, total, what, q.window, q.page);
        act_set_value(ctx, 1);
    } else {
        act_message(ctx, "No %s were found in Proofpoint TAP for the provided criteria.", what);
        act_set_value(ctx, 0);
    }
    pptap_people_free(p);
    return 0;
}

static int run_vap(action_ctx *ctx)
{
    return act_people_run(ctx, 1);
}

static const action_param vap_params[] = {
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
     .hi = PPTAP_VAP_SIZE_MAX,
     .description = "people per page"},
    {.name = "Page",
     .tool_name = "page",
     .type = AP_INT,
     .def = "1",
     .lo = 1,
     .hi = 1000000,
     .description = "the page to return, from 1"},
};

const action_def action_list_vaps = {
    .name = "List VAPs",
    .cli_name = "list-vaps",
    .tool_name = "proof_point_tap_list_vaps",
    .description = "Lists the Very Attacked People of a 14, 30 or 90 day window: identity, "
                   "attack index and the threat families behind it, one page at a time.",
    .result_name = "is_success",
    .params = vap_params,
    .n_params = sizeof vap_params / sizeof vap_params[0],
    .needs = ACTION_NEEDS_CLIENT,
    .err_style = ACTION_ERR_QUOTED,
    .cost = "1 request to GET /v2/people/vap (pool vap, 50 a day)",
    .outputs = "{\"json_result\": \"the API's response: totalVapUsers, interval, "
               "averageAttackIndex, vapAttackIndexThreshold, users [{identity, "
               "threatStatistics}]\", \"data_tables\": [\"Very Attacked People: Name, Email, "
               "Department, Location, Title, VIP, Attack Index, Families\"], \"messages\": "
               "[\"Successfully returned N of TOTAL very attacked people from Proofpoint TAP "
               "(window W days, page P).\", \"No very attacked people were found in Proofpoint "
               "TAP for the provided criteria.\"]}",
    .run = run_vap,
};
