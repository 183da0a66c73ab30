/*
 * Ping: reachability and credentials, checked as `pptap ping` does with the
 * threat summary endpoint, which the API does not throttle, and a well-formed
 * threat id that belongs to no threat: 404 (or 200) means reachable with the
 * credentials accepted. No throttled pool is spent and no campaign has to
 * exist (the SecOps integration asked for a fixed campaign id).
 */
#include <stdio.h>

#include "action_impl.h"

#define PING_THREAT_ID "0000000000000000000000000000000000000000000000000000000000000000"

static int run(action_ctx *ctx)
{
    const actions_env *env = act_env(ctx);
    pptap_client *c = env->client;
    if (c == NULL) {
        /* Ping says so in its own words: no client is a failed connection
         * check, with the configuration's exit status */
        return act_fail_raw(ctx, 78,
                            "Failed to connect to the ProofPoint TAP server! Error is no TAP API "
                            "client: %s",
                            env->client_error != NULL ? env->client_error
                                                      : "no credentials or base URL configured");
    }
    pptap_threat_summary *ts = NULL;
    int err = pptap_threat_summary_get(c, &ts, PING_THREAT_ID);
    pptap_threat_summary_free(ts);
    const pptap_response_info *info = pptap_client_last_response(c);
    if (err != 0 && err != PPTAP_ENOTFOUND) {
        char reason[1536];
        act_api_reason(ctx, err, reason, sizeof reason);
        return act_fail_raw(ctx, act_exit_code(err),
                            "Failed to connect to the ProofPoint TAP server! Error is %s", reason);
    }
    char date[PPTAP_TIME_STRLEN];
    int have_skew = info->server_date != PPTAP_TIME_NONE && info->local_time != PPTAP_TIME_NONE;
    act_set_json(
        ctx,
        json_pack("{s:s, s:s, s:i, s:b, s:b, s:I, s:s?, s:o}", "request",
                  "GET /v2/threat/summary/" PING_THREAT_ID, "pool", "none", "status",
                  (int)info->status, "reachable", 1, "credentialsAccepted", 1, "latencyMs",
                  (json_int_t)info->elapsed_ms, "serverDate",
                  info->server_date != PPTAP_TIME_NONE ? act_time_str(date, info->server_date)
                                                       : NULL,
                  "clockSkewMs",
                  have_skew ? json_integer(info->server_date - info->local_time) : json_null()));
    act_set_value(ctx, 1);
    act_message(ctx, "Successfully connected to the ProofPoint TAP server with the provided "
                     "connection parameters!");
    return 0;
}

const action_def action_ping = {
    .name = "Ping",
    .cli_name = "ping",
    .tool_name = "proof_point_tap_ping",
    .description = "Checks that the TAP API is reachable and accepts the credentials, without "
                   "spending any throttled pool. It asks for the summary of a threat that does "
                   "not exist (the threat summary endpoint is not throttled); 404 means "
                   "reachable with the credentials accepted.",
    .result_name = "is_success",
    .params = NULL,
    .n_params = 0,
    .needs = 0, /* run() reports a missing client in Ping's own message */
    .err_style = ACTION_ERR_QUOTED,
    .cost = "1 request to GET /v2/threat/summary/{id} (pool none: not throttled)",
    .outputs = "{\"json_result\": {\"request\": \"the request made\", \"pool\": \"none\", "
               "\"status\": \"HTTP status (404 expected)\", \"reachable\": true, "
               "\"credentialsAccepted\": true, \"latencyMs\": 0, \"serverDate\": \"ISO 8601\", "
               "\"clockSkewMs\": \"server minus local, to the second\"}, "
               "\"result_value\": \"true when reachable with the credentials accepted\", "
               "\"messages\": [\"Successfully connected to the ProofPoint TAP server with the "
               "provided connection parameters!\", \"Failed to connect to the ProofPoint TAP "
               "server! Error is <reason>\"]}",
    .run = run,
};
