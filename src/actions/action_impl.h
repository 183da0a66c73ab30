/*
 * What an action implementation sees: its definition (parameters, outputs),
 * the run context with typed parameters and the entities in scope, and the
 * result builder. One action_<name>.c file per action defines one
 * `const action_def action_<name>` and is listed in ACTIONS_LIST below.
 */
#ifndef PPTAP_ACTION_IMPL_H
#define PPTAP_ACTION_IMPL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <pptap/pptap.h>

#include "actions.h"

/* The catalogue, in its stable order. Adding an action is one X(name) line
 * here (the file action_<name>.c defines `const action_def action_<name>`;
 * src/actions/CMakeLists.txt picks up every action_*.c). */
#define ACTIONS_LIST(X)                                                                            \
    X(ping)                                                                                        \
    X(decode_url)                                                                                  \
    X(get_campaign)                                                                                \
    X(get_threat_forensics)                                                                        \
    X(get_campaign_forensics)                                                                      \
    X(list_campaigns)                                                                              \
    X(get_threat_summary)                                                                          \
    X(list_vaps)                                                                                   \
    X(list_top_clickers)                                                                           \
    ACTIONS_LIST_STORE(X)

/* The store-backed actions (Search Events, Enrich Entities, Get Message
 * Details, Get Click Forensics) are listed here, one X(name) line each. */
#define ACTIONS_LIST_STORE(X)                                                                      \
    X(search_events)                                                                               \
    X(enrich_entities)                                                                             \
    X(get_message_details)                                                                         \
    X(get_click_forensics)

/* The integration's identifier, prefix of script names and insights' trigger. */
#define ACTIONS_INTEGRATION "ProofPointTAP"

/* Parameter types. Booleans accept true/false and the strings "true"/"false"
 * (any case), as Google SecOps sends them; integers accept numbers and
 * decimal strings; choices one of `allowed` (compared without case, stored
 * in the table's spelling); times an ISO 8601 date-time. */
typedef enum {
    AP_STRING = 0,
    AP_BOOL,
    AP_INT,
    AP_CHOICE,
    AP_TIME,
} action_param_type;

typedef struct {
    const char *name;      /* Google SecOps name: "Campaign ID" */
    const char *tool_name; /* MCP argument name: "campaign_id" */
    action_param_type type;
    int mandatory;              /* SecOps "mandatory"; with a default, absence takes it */
    const char *def;            /* default as text ("true", "50", "Last Hour"); NULL: none */
    const char *const *allowed; /* AP_CHOICE: NULL-terminated list */
    long lo, hi;                /* AP_INT: inclusive range */
    const char *description;    /* one sentence */
} action_param;

/* What an action needs from actions_env. */
enum {
    ACTION_NEEDS_CLIENT = 1u << 0, /* always calls the API */
    ACTION_NEEDS_STORE = 1u << 1,  /* always reads the store */
};

/* Error message styles of the SecOps integration. */
typedef enum {
    ACTION_ERR_QUOTED = 0, /* TIPCommon: Error executing action "ProofPointTAP - X". Reason: … */
    ACTION_ERR_PLAIN, /* SiemplifyAction: Error executing action ProofPointTAP - X. Reason: … */
} action_err_style;

typedef struct action_ctx action_ctx;

struct action_def {
    const char *name;        /* "Get Campaign" */
    const char *cli_name;    /* "get-campaign" */
    const char *tool_name;   /* "proof_point_tap_get_campaign" */
    const char *description; /* one paragraph */
    const char *result_name; /* "campaign_info" */
    const action_param *params;
    size_t n_params;
    const char *const *entity_types; /* entity types it works on (NULL-terminated); NULL: none */
    unsigned needs;                  /* ACTION_NEEDS_* */
    action_err_style err_style;
    const char *cost;    /* API requests and pools, one sentence */
    const char *outputs; /* JSON text: json_result, data_tables, insights, entities, messages */
    /* Runs the action: reads parameters and entities from ctx, fills the
     * result through the act_* builders, returns 0 (completed) or the value
     * of act_fail()/act_api_fail(). */
    int (*run)(action_ctx *ctx);
};

#define ACTION_PARAMS(a) (a), (sizeof(a) / sizeof((a)[0]))

/* --- the run context --------------------------------------------------- */

const action_def *act_def(const action_ctx *ctx);
const actions_env *act_env(const action_ctx *ctx);
const char *act_case_id(const action_ctx *ctx); /* NULL when the request gave none */

/* Typed parameters (already validated): a string (NULL when absent or
 * empty), a boolean (0/1), an integer. Asking for an unknown name or the
 * wrong type aborts (a programming error). */
const char *act_str(const action_ctx *ctx, const char *name);
int act_bool(const action_ctx *ctx, const char *name);
long act_int(const action_ctx *ctx, const char *name);
/* AP_TIME: ms since the epoch, or PPTAP_TIME_NONE when absent. */
pptap_time_ms act_time(const action_ctx *ctx, const char *name);

/* The entities in scope (target_entities, or the scope over the case). */
typedef struct {
    const char *identifier;  /* as given (or stored) */
    const char *entity_type; /* upper case: URL, USERUNIQNAME, FILEHASH... */
    const char *original;    /* additional property OriginalIdentifier, else identifier */
    json_t *properties;      /* object, borrowed; never NULL */
} act_entity;

size_t act_entity_count(const action_ctx *ctx);
const act_entity *act_entity_at(const action_ctx *ctx, size_t i);

/* Splits a comma-separated list: trimmed, empty items dropped, duplicates
 * (exact) dropped, order kept. New reference (array of strings); NULL when
 * out of memory. `s` may be NULL (empty array). */
json_t *act_split_csv(const char *s);

/* Joins an array of strings with ", " into a new string (caller frees). */
char *act_join(const json_t *list, const char *sep);

/* Appends the line "<text>: a, b, c" (the strings of `items` joined with
 * ", ") to the output message; nothing when `items` is empty. */
void act_message_list(action_ctx *ctx, const char *text, const json_t *items);

/* The closing lines of an action over a list of items: with `found` not
 * empty, "<found_text>: ..." and, if `missing` has items, "<missing_text>:
 * ..." and the value true; with `found` empty, the line `none_text` and the
 * value false. */
void act_outcome(action_ctx *ctx, const json_t *found, const char *found_text,
                 const json_t *missing, const char *missing_text, const char *none_text);

/* --- the result ---------------------------------------------------------- */

/* Sets the JSON result (steals the reference). */
void act_set_json(action_ctx *ctx, json_t *json_result);
/* Sets the result value (true/false). */
void act_set_value(action_ctx *ctx, int value);
/* Appends a line to the output message (lines are joined with "\n"). */
void act_message(action_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Adds an insight: severity "Informational"/"Warning"/..., type "General"
 * or "Entity", the HTML body (the caller escapes what it puts in),
 * `entity` the identifier it is about or NULL. Returns 0 or -1 (memory). */
int act_insight(action_ctx *ctx, const char *title, const char *severity, const char *type,
                const char *body_html, const char *entity);

/* Adds an entity created in the case. `properties` is stolen (may be NULL).
 * Returns 0 or -1 (memory). */
int act_entity_create(action_ctx *ctx, const char *identifier, const char *entity_type,
                      json_t *properties);

/* Adds a data table with `columns` (NULL-terminated) and returns its rows
 * array (borrowed) to append rows to with act_row(), or NULL (memory). */
json_t *act_table(action_ctx *ctx, const char *title, const char *const *columns);
/* Appends a row of `n` cells (strings; NULL is ""). Returns 0 or -1. */
int act_row(json_t *rows, size_t n, const char *const *cells);

/* Fails the action: execution state "failed", result value false, the
 * message "Error executing action ... Reason: <reason>" in the action's
 * style, the exit status `exit_code`. Returns -1 for `return act_fail(...)`. */
int act_fail(action_ctx *ctx, int exit_code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fails the action with exactly this message (no "Error executing action"
 * prefix), as Ping does. Returns -1. */
int act_fail_raw(action_ctx *ctx, int exit_code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fails the action after a failed API call `err` on the client: the
 * client's message (a 429 names its pool, its documented size and, when the
 * request ledger knows, when a request frees up) and the exit status of
 * the error. `what` says what was asked ("campaign 'X'"). Returns -1. */
int act_api_fail(action_ctx *ctx, int err, const char *what);

/* Describes a failed API call in `buf` as act_api_fail() would. */
void act_api_reason(action_ctx *ctx, int err, char *buf, size_t n);

/* The client, or NULL after failing the action with a clear message (78). */
pptap_client *act_client(action_ctx *ctx);

/* The exit status of a PPTAP_E* code: the same mapping as the pptap
 * command's cli_exit_code() (sysexits; PPTAP_EPROTO, an API answer that
 * does not parse, is 76; PPTAP_EDECODE, bad input data, 65). */
int act_exit_code(int err);

/* --- small helpers for actions ------------------------------------------- */

/* Appends `s` HTML-escaped (& < > " ') to `b`. NULL appends nothing. */
void act_html(pptap_buf *b, const char *s);
/* Appends text as is. */
void act_put(pptap_buf *b, const char *s);
/* Joins the names of a list ("a, b"), or "N/A" when empty; caller frees. */
char *act_names(const pptap_namedlist *l);
/* Formats a time as ISO 8601 into buf (PPTAP_TIME_STRLEN), "" when none. */
const char *act_time_str(char *buf, pptap_time_ms t);
/* "Now" for relative windows: the client's clock, else the wall clock. */
pptap_time_ms act_now(const action_ctx *ctx);

/* Evidence type names of the forensics API (NULL-terminated). */
extern const char *const act_evidence_types[];

/* Checks a filter of evidence types (array of strings): 0, or fails the
 * action (64) naming the unknown type and the allowed ones. */
int act_check_evidence_filter(action_ctx *ctx, const char *param, json_t *filter);

/* 1 when evidence of `type` passes `filter` (an empty filter passes all). */
int act_evidence_wanted(json_t *filter, const char *type);

/* The evidence table's columns (ACT_EVIDENCE_COLS of them): Type,
 * Description, Malicious, URL, Path, SHA256, IP Address, Platforms. */
#define ACT_EVIDENCE_COLS 8
#define ACT_EVIDENCE_COLUMNS                                                                       \
    "Type", "Description", "Malicious", "URL", "Path", "SHA256", "IP Address", "Platforms"

/* Fills the evidence columns of one evidence object into cells (borrowed
 * from `ev`, except the platforms, written to `plat`, which the caller
 * disposes). */
void act_evidence_cells(json_t *ev, const char *cells[ACT_EVIDENCE_COLS], pptap_buf *plat);

/* The time frames of "Time Frame" (NULL-terminated): Last Hour, Last 6
 * Hours, Last 24 Hours, Last Week (167 hours), Custom. */
extern const char *const act_time_frames[];

/* Resolves the parameters "Time Frame" (AP_CHOICE of act_time_frames),
 * "Start Time" and "End Time" (AP_TIME) into [start, end) as SecOps does:
 * Custom needs Start Time (End Time defaults to now, a later one is now),
 * the others refuse Start/End Time; start before end, at least 30 s, within
 * the API's 7 days. Returns 0, or fails the action (64) and returns -1. */
int act_time_frame(action_ctx *ctx, pptap_time_ms *start, pptap_time_ms *end);

/* The People API actions: windows "14", "30", "90" and the shared run
 * (vap 1: List VAPs, 0: List Top Clickers). */
extern const char *const act_people_windows[];
int act_people_run(action_ctx *ctx, int vap);

/* The names of a JSON list of {id, name} objects joined with ", ", or
 * "N/A" when empty; caller frees. */
char *act_json_names(json_t *list);

/* Definitions of every action of ACTIONS_LIST. */
#define ACTIONS_DECLARE_(n) extern const action_def action_##n;
ACTIONS_LIST(ACTIONS_DECLARE_)
#undef ACTIONS_DECLARE_

#endif
