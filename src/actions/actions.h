/*
 * SOAR actions: one implementation per action of soar-actions.md, two
 * front doors (`pptap action NAME`, `pptap mcp`). Everything a front door
 * needs is here; the actions themselves live in action_<name>.c files and
 * are listed in one static table.
 *
 * A request is the JSON object `pptap action` reads:
 *   {"case_id": "...", "alert_group_identifiers": [...],
 *    "parameters": {"Campaign ID": "...", "Create Insight": true, ...},
 *    "target_entities": [{"Identifier": "...", "EntityType": "URL"}, ...],
 *    "scope": "All entities"}
 * with the Google SecOps parameter names. An MCP tool call carries the same
 * content with snake_case argument names (campaign_id, create_insight,
 * encoded_ur_ls...); actions_request_from_tool() maps one to the other.
 *
 * A result is the JSON object `pptap action` writes and MCP returns as
 * structured content:
 *   {"action": "Get Campaign", "result_name": "campaign_info",
 *    "result_value": true, "execution_state": "completed"|"failed",
 *    "output_message": "...", "json_result": ..., "insights": [...],
 *    "entities": [...], "data_tables": [...]}
 */
#ifndef PPTAP_ACTIONS_H
#define PPTAP_ACTIONS_H

#include <stddef.h>

#include <jansson.h>

#include <pptap/pptap.h>

typedef struct action_def action_def;

/* What an action may use. Every member may be NULL when not configured;
 * an action that needs a missing one fails with a clear message. */
typedef struct {
    pptap_client *client;     /* the TAP API (credentials, base URL, TLS, ledger) */
    pptap_store *store;       /* collected events, cases (insights, entities) */
    const char *tenant;       /* the store tenant whose events are searched (NULL: all) and whose
                                 request ledger a 429 message reads (NULL: "default") */
    int64_t budget_ceiling;   /* Search Events: API requests it may spend without asking */
    const char *client_error; /* why `client` is NULL (no credentials...), for the message */
} actions_env;

/* The scopes a request may name ("All entities", "URL entities", ...), a
 * NULL-terminated list; docs/actions.md describes each. */
extern const char *const actions_scopes[];

/* Writes the canonical form of an entity type into out (n bytes): upper
 * case, aliases resolved (DestinationURL → URL, EMAIL → USERUNIQNAME, HASH →
 * FILEHASH, IP → ADDRESS, HOST → HOSTNAME). */
void actions_canon_type(char *out, size_t n, const char *type);

/* The catalogue, in a stable order. */
size_t actions_count(void);
const action_def *actions_at(size_t i);

/* Finds an action by its CLI name ("get-campaign"), display name ("Get
 * Campaign", case-insensitive) or MCP tool name
 * ("proof_point_tap_get_campaign"). NULL when unknown. */
const action_def *actions_find(const char *name);

const char *action_name(const action_def *a);        /* "Get Campaign" */
const char *action_cli_name(const action_def *a);    /* "get-campaign" */
const char *action_tool_name(const action_def *a);   /* "proof_point_tap_get_campaign" */
const char *action_description(const action_def *a); /* one paragraph */

/* `pptap action NAME --describe`: parameters with SecOps names, types,
 * defaults, whether mandatory, allowed values; entity types; outputs. New
 * reference. */
json_t *action_describe(const action_def *a);

/* The JSON Schema (draft 2020-12) of the MCP tool's arguments. New reference. */
json_t *action_tool_schema(const action_def *a);

/* Maps MCP tool arguments to a request. Returns 0 with *request set (new
 * reference), or -1 with a message in err (an unknown argument, a wrong
 * type, a missing required one) for a JSON-RPC "invalid params" error. */
int actions_request_from_tool(const action_def *a, json_t *arguments, json_t **request, char *err,
                              size_t errlen);

/* Runs an action on a request. Always returns a result object (new
 * reference; execution_state "failed" with the reason in output_message
 * when the action failed), or NULL only when out of memory. The exit
 * status for `pptap action` is set in *exit_code (0 completed, sysexits
 * otherwise: 64 bad parameters or request, 69 API unreachable or 5xx,
 * 74 the store failed, 75 429/timeout, 76 an API answer that does not
 * parse, 77 credentials refused, 78 no client for an action that needs
 * one).
 * With env->store and a case_id, the insights and entities the action
 * created are kept in the case (each reported with "new"), and a scope
 * takes the case's entities; `env` may be NULL (nothing configured). */
json_t *actions_run(const action_def *a, json_t *request, const actions_env *env, int *exit_code);

#endif
