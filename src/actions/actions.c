/*
 * The actions framework: the catalogue, lookup, describing an action and
 * its MCP schema, reading and validating a request (typed parameters,
 * entities and scope), running an action, keeping what it created in the
 * case, and the result builder the action_<name>.c files use.
 *
 * The catalogue is ACTIONS_LIST in action_impl.h: adding an action is one
 * X(name) line there plus its action_<name>.c file.
 */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pptap/store.h>

#include "action_impl.h"

#define ROW_(n) &action_##n,
static const action_def *const catalogue[] = {ACTIONS_LIST(ROW_)};
#undef ROW_

#define N_ACTIONS (sizeof(catalogue) / sizeof(catalogue[0]))

/* Caps on what a request may hold. */
#define MAX_ENTITIES 10000
#define MAX_TEXT 65536

const char *const act_evidence_types[] = {
    "attachment",     "cookie",   "dns",     "dropper",  "file",       "ids",
    "mutex",          "network",  "process", "registry", "screenshot", "url",
    "redirect_chain", "behavior", NULL,
};

/* ------------------------------------------------------------------------ */
/* Scopes                                                                    */

const char *const actions_scopes[] = {
    "All entities",    "URL entities",        "User entities",
    "Hash entities",   "IP entities",         "Host entities",
    "Threat entities", "Suspicious entities", NULL,
};

/* Entity types of each scope (NULL-terminated); NULL: every type. */
static const char *const scope_url[] = {"URL", NULL};
static const char *const scope_user[] = {"USERUNIQNAME", NULL};
static const char *const scope_hash[] = {"FILEHASH", NULL};
static const char *const scope_ip[] = {"ADDRESS", NULL};
static const char *const scope_host[] = {"HOSTNAME", NULL};
static const char *const scope_threat[] = {"THREATACTOR", "THREATCAMPAIGN", "THREATSIGNATURE",
                                           NULL};
static const char *const *const scope_types[] = {
    NULL, scope_url, scope_user, scope_hash, scope_ip, scope_host, scope_threat, NULL,
};
#define SCOPE_SUSPICIOUS 7

/* Entity type spellings taken as another type. */
static const struct {
    const char *alias, *type;
} type_aliases[] = {
    {"DESTINATIONURL", "URL"}, {"EMAIL", "USERUNIQNAME"}, {"EMAILADDRESS", "USERUNIQNAME"},
    {"USER", "USERUNIQNAME"},  {"HASH", "FILEHASH"},      {"IP", "ADDRESS"},
    {"IPADDRESS", "ADDRESS"},  {"HOST", "HOSTNAME"},
};

void actions_canon_type(char *out, size_t n, const char *t)
{
    size_t i = 0;
    for (; t[i] != '\0' && i + 1 < n; i++) {
        out[i] = (char)toupper((unsigned char)t[i]);
    }
    out[i] = '\0';
    for (size_t k = 0; k < sizeof type_aliases / sizeof type_aliases[0]; k++) {
        if (strcmp(out, type_aliases[k].alias) == 0) {
            snprintf(out, n, "%s", type_aliases[k].type);
            return;
        }
    }
}

static int find_scope(const char *name)
{
    for (int i = 0; actions_scopes[i] != NULL; i++) {
        if (strcasecmp(actions_scopes[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

/* ------------------------------------------------------------------------ */
/* Catalogue                                                                 */

size_t actions_count(void)
{
    return N_ACTIONS;
}

const action_def *actions_at(size_t i)
{
    return i < N_ACTIONS ? catalogue[i] : NULL;
}

const action_def *actions_find(const char *name)
{
    if (name == NULL) {
        return NULL;
    }
    static const char prefix[] = ACTIONS_INTEGRATION " - ";
    const char *bare =
        strncasecmp(name, prefix, sizeof prefix - 1) == 0 ? name + sizeof prefix - 1 : name;
    for (size_t i = 0; i < N_ACTIONS; i++) {
        const action_def *a = catalogue[i];
        if (strcasecmp(a->cli_name, name) == 0 || strcasecmp(a->name, bare) == 0 ||
            strcmp(a->tool_name, name) == 0) {
            return a;
        }
    }
    return NULL;
}

const char *action_name(const action_def *a)
{
    return a->name;
}

const char *action_cli_name(const action_def *a)
{
    return a->cli_name;
}

const char *action_tool_name(const action_def *a)
{
    return a->tool_name;
}

const char *action_description(const action_def *a)
{
    return a->description;
}

static const char *type_name(action_param_type t)
{
    switch (t) {
    case AP_BOOL:
        return "boolean";
    case AP_INT:
        return "integer";
    case AP_CHOICE:
        return "choice";
    case AP_TIME:
        return "datetime";
    case AP_STRING:
    default:
        return "string";
    }
}

/* The typed JSON value of a parameter's default text. */
static json_t *default_value(const action_param *p)
{
    if (p->def == NULL) {
        return json_null();
    }
    if (p->type == AP_BOOL) {
        return json_boolean(strcmp(p->def, "true") == 0);
    }
    return json_string(p->def);
}

static json_t *string_list(const char *const *v)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && v != NULL && v[i] != NULL; i++) {
        json_array_append_new(a, json_string(v[i]));
    }
    return a;
}

json_t *action_describe(const action_def *a)
{
    json_t *params = json_array();
    for (size_t i = 0; params != NULL && i < a->n_params; i++) {
        const action_param *p = &a->params[i];
        json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:o, s:s}", "name", p->name, "tool_name",
                              p->tool_name, "type", type_name(p->type), "mandatory", p->mandatory,
                              "default", default_value(p), "description", p->description);
        if (o == NULL) {
            json_decref(params);
            return NULL;
        }
        if (p->type == AP_CHOICE) {
            json_object_set_new(o, "allowed", string_list(p->allowed));
        }
        if (p->type == AP_INT) {
            json_object_set_new(o, "minimum", json_integer(p->lo));
            json_object_set_new(o, "maximum", json_integer(p->hi));
        }
        json_array_append_new(params, o);
    }
    char script[128];
    snprintf(script, sizeof script, "%s - %s", ACTIONS_INTEGRATION, a->name);
    json_t *outputs = a->outputs != NULL ? json_loads(a->outputs, 0, NULL) : NULL;
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:o}", "name", a->name,
                     "cli_name", a->cli_name, "tool_name", a->tool_name, "script_name", script,
                     "description", a->description, "result_name", a->result_name, "parameters",
                     params, "entity_types", string_list(a->entity_types), "scopes",
                     string_list(actions_scopes), "cost", a->cost ? a->cost : "", "outputs",
                     outputs != NULL ? outputs : json_object());
}

json_t *action_tool_schema(const action_def *a)
{
    json_t *props = json_object();
    json_t *required = json_array();
    if (props == NULL || required == NULL) {
        goto fail;
    }
    json_object_set_new(props, "case_id",
                        json_pack("{s:s, s:s}", "type", "string", "description",
                                  "the case the action runs in; insights and entities it "
                                  "creates are kept in this case"));
    json_object_set_new(props, "alert_group_identifiers",
                        json_pack("{s:s, s:{s:s}, s:s}", "type", "array", "items", "type", "string",
                                  "description", "the alert groups of the case"));
    json_array_append_new(required, json_string("case_id"));
    json_array_append_new(required, json_string("alert_group_identifiers"));
    for (size_t i = 0; i < a->n_params; i++) {
        const action_param *p = &a->params[i];
        json_t *o;
        char desc[1024];
        switch (p->type) {
        case AP_BOOL:
            o = json_pack("{s:s}", "type", "boolean");
            snprintf(desc, sizeof desc, "%s", p->description);
            break;
        case AP_INT:
            o = json_pack("{s:s, s:s}", "type", "string", "pattern", "^\\s*[0-9]+\\s*$");
            snprintf(desc, sizeof desc, "%s (an integer from %ld to %ld, as a string)",
                     p->description, p->lo, p->hi);
            break;
        case AP_CHOICE:
            o = json_pack("{s:s, s:o}", "type", "string", "enum", string_list(p->allowed));
            snprintf(desc, sizeof desc, "%s", p->description);
            break;
        case AP_TIME:
            o = json_pack("{s:s, s:s}", "type", "string", "format", "date-time");
            snprintf(desc, sizeof desc, "%s (ISO 8601)", p->description);
            break;
        case AP_STRING:
        default:
            o = json_pack("{s:s}", "type", "string");
            snprintf(desc, sizeof desc, "%s", p->description);
            break;
        }
        if (o == NULL) {
            goto fail;
        }
        json_object_set_new(o, "description", json_string(desc));
        if (p->def != NULL) {
            json_object_set_new(o, "default", default_value(p));
        }
        json_object_set_new(props, p->tool_name, o);
        if (p->mandatory && p->def == NULL) {
            json_array_append_new(required, json_string(p->tool_name));
        }
    }
    json_object_set_new(props, "target_entities",
                        json_pack("{s:s, s:{s:s, s:{s:{s:s}, s:{s:s}}, s:[s, s]}, s:[], s:s}",
                                  "type", "array", "items", "type", "object", "properties",
                                  "Identifier", "type", "string", "EntityType", "type", "string",
                                  "required", "Identifier", "EntityType", "default", "description",
                                  "entities to run on; when non-empty, scope is ignored"));
    char *scopes = NULL;
    json_t *sl = string_list(actions_scopes);
    scopes = act_join(sl, ", ");
    json_decref(sl);
    char sdesc[512];
    snprintf(sdesc, sizeof sdesc, "the case's entities to run on when target_entities is empty: %s",
             scopes != NULL ? scopes : "");
    free(scopes);
    json_object_set_new(props, "scope",
                        json_pack("{s:s, s:s, s:s}", "type", "string", "default", "All entities",
                                  "description", sdesc));
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:b}", "$schema",
                     "https://json-schema.org/draft/2020-12/schema", "type", "object",
                     "description", a->description, "properties", props, "required", required,
                     "additionalProperties", 0);
fail:
    json_decref(props);
    json_decref(required);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Typing parameter values                                                   */

/* Parses a boolean as SecOps sends it: true/false or "true"/"false". */
static int parse_bool(const json_t *v, int *out)
{
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        while (isspace((unsigned char)*s)) {
            s++;
        }
        size_t n = strlen(s);
        while (n > 0 && isspace((unsigned char)s[n - 1])) {
            n--;
        }
        if (n == 4 && strncasecmp(s, "true", 4) == 0) {
            *out = 1;
            return 0;
        }
        if (n == 5 && strncasecmp(s, "false", 5) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

/* Parses an integer given as a number or a decimal string. */
static int parse_int(const json_t *v, long long *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 0;
    }
    if (!json_is_string(v)) {
        return -1;
    }
    const char *s = json_string_value(v);
    while (isspace((unsigned char)*s)) {
        s++;
    }
    const char *p = s;
    if (*p == '+' || *p == '-') {
        p++;
    }
    if (!isdigit((unsigned char)*p)) {
        return -1;
    }
    long long n = 0;
    int neg = *s == '-';
    for (; isdigit((unsigned char)*p); p++) {
        if (n > (LLONG_MAX - 9) / 10) {
            n = LLONG_MAX / 2; /* out of any range we check */
        } else {
            n = n * 10 + (*p - '0');
        }
    }
    while (isspace((unsigned char)*p)) {
        p++;
    }
    if (*p != '\0') {
        return -1;
    }
    *out = neg ? -n : n;
    return 0;
}

/* Quotes a JSON value for a message: strings in double quotes, others as JSON. */
static void describe_value(char *buf, size_t n, const json_t *v)
{
    if (json_is_string(v)) {
        snprintf(buf, n, "\"%.200s\"", json_string_value(v));
        return;
    }
    char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    snprintf(buf, n, "%.200s", t != NULL ? t : "?");
    free(t);
}

/* ------------------------------------------------------------------------ */
/* The run context                                                           */

struct action_ctx {
    const action_def *def;
    const actions_env *env;
    char *case_id;
    json_t *values; /* parameter name → typed value (string, boolean, integer) */
    act_entity *ents;
    size_t n_ents;
    json_t *ent_hold; /* keeps the entities' strings and properties alive */
    json_t *json_result;
    int value;
    pptap_buf msg;
    json_t *insights, *entities, *tables;
    int failed, exit_code;
};

const action_def *act_def(const action_ctx *ctx)
{
    return ctx->def;
}

const actions_env *act_env(const action_ctx *ctx)
{
    return ctx->env;
}

const char *act_case_id(const action_ctx *ctx)
{
    return ctx->case_id;
}

static const action_param *param_def(const action_def *a, const char *name)
{
    for (size_t i = 0; i < a->n_params; i++) {
        if (strcmp(a->params[i].name, name) == 0) {
            return &a->params[i];
        }
    }
    return NULL;
}

/* A parameter the action asked for must exist with that type. */
static json_t *param_value(const action_ctx *ctx, const char *name, action_param_type t)
{
    const action_param *p = param_def(ctx->def, name);
    if (p == NULL || (p->type != t && !(t == AP_STRING && p->type == AP_CHOICE))) {
        fprintf(stderr, "pptap: internal error: action '%s' has no %s parameter '%s'\n",
                ctx->def->name, type_name(t), name);
        abort();
    }
    return json_object_get(ctx->values, name);
}

const char *act_str(const action_ctx *ctx, const char *name)
{
    json_t *v = param_value(ctx, name, AP_STRING);
    const char *s = json_string_value(v);
    return s != NULL && s[0] != '\0' ? s : NULL;
}

int act_bool(const action_ctx *ctx, const char *name)
{
    return json_is_true(param_value(ctx, name, AP_BOOL));
}

long act_int(const action_ctx *ctx, const char *name)
{
    return (long)json_integer_value(param_value(ctx, name, AP_INT));
}

pptap_time_ms act_time(const action_ctx *ctx, const char *name)
{
    json_t *v = param_value(ctx, name, AP_TIME);
    return json_is_integer(v) ? (pptap_time_ms)json_integer_value(v) : PPTAP_TIME_NONE;
}

size_t act_entity_count(const action_ctx *ctx)
{
    return ctx->n_ents;
}

const act_entity *act_entity_at(const action_ctx *ctx, size_t i)
{
    return i < ctx->n_ents ? &ctx->ents[i] : NULL;
}

json_t *act_split_csv(const char *s)
{
    json_t *out = json_array();
    if (out == NULL || s == NULL) {
        return out;
    }
    while (*s != '\0') {
        const char *e = strchr(s, ',');
        size_t n = e != NULL ? (size_t)(e - s) : strlen(s);
        const char *a = s;
        const char *b = s + n;
        while (a < b && isspace((unsigned char)*a)) {
            a++;
        }
        while (b > a && isspace((unsigned char)b[-1])) {
            b--;
        }
        if (b > a) {
            int dup = 0;
            size_t i;
            json_t *v;
            json_array_foreach(out, i, v)
            {
                const char *t = json_string_value(v);
                if (strlen(t) == (size_t)(b - a) && memcmp(t, a, (size_t)(b - a)) == 0) {
                    dup = 1;
                    break;
                }
            }
            if (!dup && json_array_append_new(out, json_stringn(a, (size_t)(b - a))) != 0) {
                json_decref(out);
                return NULL;
            }
        }
        s += n + (e != NULL);
    }
    return out;
}

char *act_join(const json_t *list, const char *sep)
{
    pptap_buf b = PPTAP_BUF_INIT;
    size_t i;
    json_t *v;
    pptap_buf_put(&b, "", 0);
    json_array_foreach(list, i, v)
    {
        if (i > 0) {
            pptap_buf_put(&b, sep, strlen(sep));
        }
        const char *s = json_string_value(v);
        if (s != NULL) {
            pptap_buf_put(&b, s, strlen(s));
        }
    }
    return b.ptr;
}

void act_message_list(action_ctx *ctx, const char *text, const json_t *items)
{
    if (json_array_size(items) == 0) {
        return;
    }
    char *list = act_join(items, ", ");
    act_message(ctx, "%s: %s", text, list != NULL ? list : "");
    free(list);
}

void act_outcome(action_ctx *ctx, const json_t *found, const char *found_text,
                 const json_t *missing, const char *missing_text, const char *none_text)
{
    if (json_array_size(found) > 0) {
        act_message_list(ctx, found_text, found);
        act_message_list(ctx, missing_text, missing);
        act_set_value(ctx, 1);
    } else {
        act_message(ctx, "%s", none_text);
        act_set_value(ctx, 0);
    }
}

void act_set_json(action_ctx *ctx, json_t *json_result)
{
    json_decref(ctx->json_result);
    ctx->json_result = json_result;
}

void act_set_value(action_ctx *ctx, int value)
{
    ctx->value = value != 0;
}

static void vmessage(action_ctx *ctx, const char *fmt, va_list ap)
{
    char *line = NULL;
    if (vasprintf(&line, fmt, ap) < 0) {
        return;
    }
    if (ctx->msg.len > 0) {
        pptap_buf_put(&ctx->msg, "\n", 1);
    }
    pptap_buf_put(&ctx->msg, line, strlen(line));
    free(line);
}

void act_message(action_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(ctx, fmt, ap);
    va_end(ap);
}

int act_insight(action_ctx *ctx, const char *title, const char *severity, const char *type,
                const char *body_html, const char *entity)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "title", title, "severity", severity, "type",
                          type, "triggered_by", ACTIONS_INTEGRATION, "body_html",
                          body_html != NULL ? body_html : "");
    if (o == NULL) {
        return -1;
    }
    if (entity != NULL) {
        json_object_set_new(o, "entity", json_string(entity));
    }
    return json_array_append_new(ctx->insights, o) == 0 ? 0 : -1;
}

int act_entity_create(action_ctx *ctx, const char *identifier, const char *entity_type,
                      json_t *properties)
{
    char t[64];
    actions_canon_type(t, sizeof t, entity_type);
    size_t i;
    json_t *e;
    json_array_foreach(ctx->entities, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "entity_type")), t) == 0 &&
            strcasecmp(json_string_value(json_object_get(e, "identifier")), identifier) == 0) {
            json_decref(properties);
            return 0;
        }
    }
    json_t *o = json_pack("{s:s, s:s, s:o}", "identifier", identifier, "entity_type", t,
                          "properties", properties != NULL ? properties : json_object());
    if (o == NULL) {
        return -1;
    }
    return json_array_append_new(ctx->entities, o) == 0 ? 0 : -1;
}

json_t *act_table(action_ctx *ctx, const char *title, const char *const *columns)
{
    json_t *rows = json_array();
    json_t *t =
        json_pack("{s:s, s:o, s:o}", "title", title, "columns", string_list(columns), "rows", rows);
    if (t == NULL || json_array_append_new(ctx->tables, t) != 0) {
        return NULL;
    }
    return rows;
}

int act_row(json_t *rows, size_t n, const char *const *cells)
{
    json_t *r = json_array();
    for (size_t i = 0; r != NULL && i < n; i++) {
        json_array_append_new(r, json_string(cells[i] != NULL ? cells[i] : ""));
    }
    return r != NULL && json_array_append_new(rows, r) == 0 ? 0 : -1;
}

static void set_failed(action_ctx *ctx, int exit_code)
{
    ctx->failed = 1;
    ctx->value = 0;
    ctx->exit_code = exit_code != 0 ? exit_code : 70;
}

static void fail_prefix(action_ctx *ctx)
{
    char p[160];
    if (ctx->def->err_style == ACTION_ERR_PLAIN) {
        snprintf(p, sizeof p, "Error executing action %s - %s. Reason: ", ACTIONS_INTEGRATION,
                 ctx->def->name);
    } else {
        snprintf(p, sizeof p, "Error executing action \"%s - %s\". Reason: ", ACTIONS_INTEGRATION,
                 ctx->def->name);
    }
    ctx->msg.len = 0;
    pptap_buf_put(&ctx->msg, p, strlen(p));
}

int act_fail(action_ctx *ctx, int exit_code, const char *fmt, ...)
{
    set_failed(ctx, exit_code);
    fail_prefix(ctx);
    char *reason = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&reason, fmt, ap) >= 0) {
        pptap_buf_put(&ctx->msg, reason, strlen(reason));
        free(reason);
    }
    va_end(ap);
    return -1;
}

int act_fail_raw(action_ctx *ctx, int exit_code, const char *fmt, ...)
{
    set_failed(ctx, exit_code);
    ctx->msg.len = 0;
    va_list ap;
    va_start(ap, fmt);
    vmessage(ctx, fmt, ap);
    va_end(ap);
    return -1;
}

int act_exit_code(int err)
{
    switch (err) {
    case PPTAP_OK:
        return 0;
    case PPTAP_EINVAL:
        return 64;
    case PPTAP_EDECODE:
    case PPTAP_EBUFS:
        return 65;
    case PPTAP_EPROTO:
        return 76;
    case PPTAP_ENOTFOUND:
        return 66;
    case PPTAP_EUNAVAIL:
    case PPTAP_ESERVER:
        return 69;
    case PPTAP_EIO:
        return 74;
    case PPTAP_ETIMEOUT:
    case PPTAP_ERATELIMIT:
        return 75;
    case PPTAP_EAUTH:
        return 77;
    case PPTAP_ECONFIG:
        return 78;
    default:
        return 70;
    }
}

pptap_time_ms act_now(const action_ctx *ctx)
{
    return ctx->env->client != NULL ? pptap_client_now(ctx->env->client) : pptap_time_now();
}

void act_api_reason(action_ctx *ctx, int err, char *buf, size_t n)
{
    pptap_client *c = ctx->env->client;
    const char *m = c != NULL ? pptap_client_last_error(c) : "";
    if (m[0] == '\0') {
        m = pptap_strerror(err);
    }
    if (err != PPTAP_ERATELIMIT || c == NULL) {
        snprintf(buf, n, "%s", m);
        return;
    }
    pptap_pool pool = pptap_client_last_response(c)->pool;
    const char *pname = pptap_pool_name(pool);
    char size[64] = "an undocumented number of requests";
    if (pptap_pool_limit(pool) > 0) {
        snprintf(size, sizeof size, "%d requests", pptap_pool_limit(pool));
    }
    char when[256] = "";
    int64_t count = 0;
    pptap_time_ms free_at = PPTAP_TIME_NONE;
    const char *tenant = ctx->env->tenant != NULL ? ctx->env->tenant : "default";
    if (ctx->env->store != NULL &&
        pptap_store_ledger_count(ctx->env->store, &count, &free_at, tenant, pname,
                                 pptap_client_now(c), PPTAP_STORE_LEDGER_KEEP_MS) == 0 &&
        free_at != PPTAP_TIME_NONE) {
        char t[PPTAP_TIME_STRLEN];
        pptap_time_format(t, free_at);
        snprintf(when, sizeof when,
                 "the request ledger holds %lld requests in this pool in the last 24 hours; the "
                 "oldest ages out, freeing a request, at %s",
                 (long long)count, t);
    } else {
        snprintf(when, sizeof when,
                 "when a request frees up is unknown (the API does not say, and no request "
                 "ledger records this pool)");
    }
    snprintf(buf, n,
             "The user has made too many requests over the past 24 hours and has been throttled. "
             "The %s pool (%s per rolling 24 hours) is exhausted; %s. (%s)",
             pname, size, when, m);
}

int act_api_fail(action_ctx *ctx, int err, const char *what)
{
    char reason[1536];
    act_api_reason(ctx, err, reason, sizeof reason);
    return act_fail(ctx, act_exit_code(err), "%s: %s", what, reason);
}

pptap_client *act_client(action_ctx *ctx)
{
    if (ctx->env->client == NULL) {
        act_fail(ctx, 78, "no TAP API client: %s",
                 ctx->env->client_error != NULL ? ctx->env->client_error
                                                : "no credentials or base URL configured");
        return NULL;
    }
    return ctx->env->client;
}

void act_put(pptap_buf *b, const char *s)
{
    if (s != NULL) {
        pptap_buf_put(b, s, strlen(s));
    }
}

void act_html(pptap_buf *b, const char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        switch (*s) {
        case '&':
            act_put(b, "&amp;");
            break;
        case '<':
            act_put(b, "&lt;");
            break;
        case '>':
            act_put(b, "&gt;");
            break;
        case '"':
            act_put(b, "&quot;");
            break;
        case '\'':
            act_put(b, "&#39;");
            break;
        default:
            pptap_buf_put(b, s, 1);
        }
    }
}

char *act_names(const pptap_namedlist *l)
{
    pptap_buf b = PPTAP_BUF_INIT;
    size_t k = 0;
    pptap_buf_put(&b, "", 0);
    for (size_t i = 0; l != NULL && i < l->n; i++) {
        const char *name = l->v[i].name != NULL ? l->v[i].name : l->v[i].id;
        if (name == NULL) {
            continue;
        }
        if (k++ > 0) {
            act_put(&b, ", ");
        }
        act_put(&b, name);
    }
    if (k == 0) {
        act_put(&b, "N/A");
    }
    return b.ptr;
}

const char *act_time_str(char *buf, pptap_time_ms t)
{
    buf[0] = '\0';
    if (t != PPTAP_TIME_NONE) {
        pptap_time_format(buf, t);
    }
    return buf;
}

static void list_allowed(const char *const *v, char *buf, size_t n)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; v[i] != NULL && off < n; i++) {
        int w = snprintf(buf + off, n - off, "%s%s", i ? ", " : "", v[i]);
        if (w < 0) {
            break;
        }
        off += (size_t)w;
    }
}

int act_check_evidence_filter(action_ctx *ctx, const char *param, json_t *filter)
{
    size_t i;
    json_t *v;
    json_array_foreach(filter, i, v)
    {
        int known = 0;
        for (size_t k = 0; act_evidence_types[k] != NULL; k++) {
            known |= strcasecmp(act_evidence_types[k], json_string_value(v)) == 0;
        }
        if (!known) {
            char allowed[512];
            list_allowed(act_evidence_types, allowed, sizeof allowed);
            return act_fail(ctx, 64,
                            "Invalid value provided in \"%s\": \"%.200s\". Possible values: %s.",
                            param, json_string_value(v), allowed);
        }
    }
    return 0;
}

int act_evidence_wanted(json_t *filter, const char *type)
{
    size_t i;
    json_t *v;
    if (json_array_size(filter) == 0) {
        return 1;
    }
    if (type == NULL) {
        return 0;
    }
    json_array_foreach(filter, i, v)
    {
        if (strcasecmp(json_string_value(v), type) == 0) {
            return 1;
        }
    }
    return 0;
}

void act_evidence_cells(json_t *ev, const char *cells[ACT_EVIDENCE_COLS], pptap_buf *plat)
{
    json_t *what = json_object_get(ev, "what");
    json_t *mal = json_object_get(ev, "malicious");
    size_t k;
    json_t *p;
    pptap_buf_put(plat, "", 0);
    json_array_foreach(json_object_get(ev, "platforms"), k, p)
    {
        const char *name = json_string_value(json_object_get(p, "name"));
        if (name != NULL) {
            act_put(plat, plat->len ? ", " : "");
            act_put(plat, name);
        }
    }
    cells[0] = json_string_value(json_object_get(ev, "type"));
    cells[1] = json_string_value(json_object_get(ev, "display"));
    cells[2] = json_is_boolean(mal) ? (json_is_true(mal) ? "true" : "false") : "";
    cells[3] = json_string_value(json_object_get(what, "url"));
    cells[4] = json_string_value(json_object_get(what, "path"));
    cells[5] = json_string_value(json_object_get(what, "sha256"));
    cells[6] = json_string_value(json_object_get(what, "ip"));
    cells[7] = plat->ptr;
}

char *act_json_names(json_t *list)
{
    pptap_buf b = PPTAP_BUF_INIT;
    size_t i, k = 0;
    json_t *v;
    pptap_buf_put(&b, "", 0);
    json_array_foreach(list, i, v)
    {
        const char *name = json_string_value(json_object_get(v, "name"));
        if (name == NULL) {
            name = json_string_value(v);
        }
        if (name != NULL) {
            act_put(&b, k++ ? ", " : "");
            act_put(&b, name);
        }
    }
    if (k == 0) {
        act_put(&b, "N/A");
    }
    return b.ptr;
}

const char *const act_time_frames[] = {"Last Hour", "Last 6 Hours", "Last 24 Hours",
                                       "Last Week", "Custom",       NULL};

int act_time_frame(action_ctx *ctx, pptap_time_ms *start, pptap_time_ms *end)
{
    const char *frame = act_str(ctx, "Time Frame");
    pptap_time_ms s = act_time(ctx, "Start Time");
    pptap_time_ms e = act_time(ctx, "End Time");
    pptap_time_ms now = act_now(ctx);
    if (strcmp(frame, "Custom") == 0) {
        if (s == PPTAP_TIME_NONE) {
            return act_fail(ctx, 64, "Start Time is required for custom time frame.");
        }
        if (e == PPTAP_TIME_NONE || e > now) {
            e = now;
        }
    } else {
        if (s != PPTAP_TIME_NONE || e != PPTAP_TIME_NONE) {
            return act_fail(ctx, 64,
                            "\"Start Time\" and \"End Time\" are used only with a custom time "
                            "frame. Please select \"Custom\" in \"Time Frame\".");
        }
        e = now;
        s = strcmp(frame, "Last Hour") == 0       ? now - (3600 * 1000LL)
            : strcmp(frame, "Last 6 Hours") == 0  ? now - 6 * (3600 * 1000LL)
            : strcmp(frame, "Last 24 Hours") == 0 ? now - 24 * (3600 * 1000LL)
                                                  : now - 167 * (3600 * 1000LL);
    }
    if (s >= e) {
        return act_fail(ctx, 64, "Start Time must be before End Time.");
    }
    if (e - s < PPTAP_INTERVAL_MIN_MS) {
        return act_fail(ctx, 64, "The time frame must last at least 30 seconds.");
    }
    if (s < now - PPTAP_LOOKBACK_MAX_MS) {
        return act_fail(ctx, 64,
                        "Start Time must be within the last 7 days: the API serves no older "
                        "data.");
    }
    if (s < now - PPTAP_LOOKBACK_MAX_MS + 60000) {
        s = now - PPTAP_LOOKBACK_MAX_MS + 60000; /* not past the limit when the request is sent */
    }
    *start = s;
    *end = e;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Reading a request                                                         */

static const char *const request_keys[] = {
    "case_id", "alert_group_identifiers", "parameters", "target_entities", "scope", NULL};

/* Finds the parameter a request key names: its SecOps name (any case) or
 * its tool name. */
static const action_param *param_by_key(const action_def *a, const char *key)
{
    for (size_t i = 0; i < a->n_params; i++) {
        if (strcasecmp(a->params[i].name, key) == 0 || strcmp(a->params[i].tool_name, key) == 0) {
            return &a->params[i];
        }
    }
    return NULL;
}

/* Lists the parameter names of `a` ("\"A\", \"B\"") into buf. */
static void param_names(const action_def *a, char *buf, size_t n)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < a->n_params && off < n; i++) {
        int w = snprintf(buf + off, n - off, "%s\"%s\"", i ? ", " : "", a->params[i].name);
        if (w < 0) {
            break;
        }
        off += (size_t)w;
    }
}

/* Types one given value; fails the action (64) when it does not fit. */
static int type_value(action_ctx *ctx, const action_param *p, json_t *v, json_t **out)
{
    char shown[256];
    describe_value(shown, sizeof shown, v);
    *out = NULL;
    if (json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0)) {
        return 0; /* absent */
    }
    switch (p->type) {
    case AP_BOOL: {
        int b;
        if (parse_bool(v, &b) != 0) {
            return act_fail(ctx, 64,
                            "Invalid value provided for the parameter \"%s\": %s. It should be "
                            "true or false.",
                            p->name, shown);
        }
        *out = json_boolean(b);
        return 0;
    }
    case AP_INT: {
        long long n;
        if (parse_int(v, &n) != 0) {
            return act_fail(ctx, 64,
                            "Invalid value provided for the parameter \"%s\": %s. It should be "
                            "an integer from %ld to %ld.",
                            p->name, shown, p->lo, p->hi);
        }
        if (n < p->lo || n > p->hi) {
            return act_fail(ctx, 64,
                            "Invalid value provided for the parameter \"%s\": %lld. It should "
                            "be in range from %ld to %ld.",
                            p->name, n, p->lo, p->hi);
        }
        *out = json_integer(n);
        return 0;
    }
    case AP_CHOICE: {
        char num[32];
        const char *given = json_string_value(v);
        if (json_is_integer(v)) {
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
            given = num;
        }
        if (given != NULL) {
            for (size_t i = 0; p->allowed[i] != NULL; i++) {
                if (strcasecmp(p->allowed[i], given) == 0) {
                    *out = json_string(p->allowed[i]);
                    return 0;
                }
            }
        }
        char allowed[1024];
        list_allowed(p->allowed, allowed, sizeof allowed);
        return act_fail(ctx, 64,
                        "Invalid value provided for the parameter \"%s\": %s. Possible values: "
                        "%s.",
                        p->name, shown, allowed);
    }
    case AP_TIME: {
        pptap_time_ms t;
        const char *s = json_string_value(v);
        if (s == NULL || pptap_time_parse(&t, s, strlen(s)) != 0) {
            return act_fail(ctx, 64,
                            "Invalid value provided for the parameter \"%s\": %s. It should be "
                            "an ISO 8601 date-time such as 2026-03-04T12:00:00Z.",
                            p->name, shown);
        }
        *out = json_integer(t);
        return 0;
    }
    case AP_STRING:
    default:
        if (json_is_string(v)) {
            if (json_string_length(v) > MAX_TEXT) {
                return act_fail(ctx, 64, "The parameter \"%s\" is longer than %d bytes.", p->name,
                                MAX_TEXT);
            }
            *out = json_incref(v);
        } else if (json_is_integer(v) || json_is_real(v)) {
            char *t = json_dumps(v, JSON_ENCODE_ANY);
            *out = json_string(t != NULL ? t : "");
            free(t);
        } else {
            return act_fail(ctx, 64,
                            "Invalid value provided for the parameter \"%s\": %s. It should be "
                            "a string.",
                            p->name, shown);
        }
        return 0;
    }
}

static int read_parameters(action_ctx *ctx, json_t *given)
{
    if (given != NULL && !json_is_null(given) && !json_is_object(given)) {
        return act_fail(ctx, 64, "\"parameters\" must be an object of parameter names and values.");
    }
    const char *key;
    json_t *v;
    json_object_foreach(given, key, v)
    {
        const action_param *p = param_by_key(ctx->def, key);
        if (p == NULL) {
            char names[1024];
            param_names(ctx->def, names, sizeof names);
            if (ctx->def->n_params == 0) {
                return act_fail(ctx, 64, "Unknown parameter \"%.200s\": this action takes none.",
                                key);
            }
            return act_fail(ctx, 64, "Unknown parameter \"%.200s\". Parameters of this action: %s.",
                            key, names);
        }
        if (json_object_get(ctx->values, p->name) != NULL) {
            return act_fail(ctx, 64, "The parameter \"%s\" is given twice.", p->name);
        }
        json_t *typed;
        if (type_value(ctx, p, v, &typed) != 0) {
            return -1;
        }
        if (typed != NULL) {
            json_object_set_new(ctx->values, p->name, typed);
        }
    }
    for (size_t i = 0; i < ctx->def->n_params; i++) {
        const action_param *p = &ctx->def->params[i];
        if (json_object_get(ctx->values, p->name) != NULL) {
            continue;
        }
        if (p->def != NULL) {
            json_t *d = p->type == AP_BOOL ? json_boolean(strcmp(p->def, "true") == 0)
                                           : json_string(p->def);
            json_t *typed;
            int rc = type_value(ctx, p, d, &typed);
            json_decref(d);
            if (rc != 0) {
                return -1;
            }
            json_object_set_new(ctx->values, p->name, typed != NULL ? typed : json_null());
        } else if (p->mandatory) {
            return act_fail(ctx, 64, "Missing mandatory parameter \"%s\".", p->name);
        } else {
            json_object_set_new(ctx->values, p->name, json_null());
        }
    }
    return 0;
}

/* Adds one entity to the context; `props` is borrowed. */
static int add_entity(action_ctx *ctx, const char *identifier, const char *type, json_t *props)
{
    if (ctx->n_ents >= MAX_ENTITIES) {
        return act_fail(ctx, 64, "More than %d entities in scope.", MAX_ENTITIES);
    }
    char t[64];
    actions_canon_type(t, sizeof t, type);
    json_t *hold =
        json_pack("{s:s, s:s, s:o}", "identifier", identifier, "entity_type", t, "properties",
                  json_is_object(props) ? json_deep_copy(props) : json_object());
    if (hold == NULL || json_array_append_new(ctx->ent_hold, hold) != 0) {
        return act_fail(ctx, 70, "out of memory");
    }
    act_entity *v = realloc(ctx->ents, (ctx->n_ents + 1) * sizeof *v);
    if (v == NULL) {
        return act_fail(ctx, 70, "out of memory");
    }
    ctx->ents = v;
    act_entity *e = &v[ctx->n_ents++];
    e->identifier = json_string_value(json_object_get(hold, "identifier"));
    e->entity_type = json_string_value(json_object_get(hold, "entity_type"));
    e->properties = json_object_get(hold, "properties");
    const char *orig = json_string_value(json_object_get(e->properties, "OriginalIdentifier"));
    e->original = orig != NULL && orig[0] != '\0' ? orig : e->identifier;
    return 0;
}

static json_t *get_either(json_t *o, const char *a, const char *b, const char *c)
{
    json_t *v = json_object_get(o, a);
    if (v == NULL) {
        v = json_object_get(o, b);
    }
    if (v == NULL && c != NULL) {
        v = json_object_get(o, c);
    }
    return v;
}

static int read_targets(action_ctx *ctx, json_t *targets)
{
    if (!json_is_array(targets)) {
        return act_fail(ctx, 64,
                        "\"target_entities\" must be an array of {\"Identifier\", "
                        "\"EntityType\"} objects.");
    }
    size_t i;
    json_t *t;
    json_array_foreach(targets, i, t)
    {
        json_t *id = get_either(t, "Identifier", "identifier", NULL);
        json_t *type = get_either(t, "EntityType", "entity_type", "Type");
        json_t *props =
            get_either(t, "AdditionalProperties", "additional_properties", "properties");
        if (!json_is_object(t) || !json_is_string(id) || json_string_length(id) == 0 ||
            !json_is_string(type) || json_string_length(type) == 0 ||
            (props != NULL && !json_is_object(props))) {
            return act_fail(ctx, 64,
                            "target_entities[%zu] must be an object with a non-empty string "
                            "\"Identifier\" and \"EntityType\" (and optionally an object "
                            "\"AdditionalProperties\").",
                            i);
        }
        if (json_string_length(id) > MAX_TEXT) {
            return act_fail(ctx, 64, "target_entities[%zu]: the identifier is too long.", i);
        }
        if (add_entity(ctx, json_string_value(id), json_string_value(type), props) != 0) {
            return -1;
        }
    }
    return 0;
}

typedef struct {
    action_ctx *ctx;
    int scope;
    int failed;
} scope_walk;

static int type_in(const char *t, const char *const *types)
{
    for (size_t i = 0; types[i] != NULL; i++) {
        if (strcmp(types[i], t) == 0) {
            return 1;
        }
    }
    return 0;
}

static int on_case_entity(const pptap_store_case_entity *e, void *payload)
{
    scope_walk *w = payload;
    char t[64];
    actions_canon_type(t, sizeof t, e->entity_type);
    const char *const *types = scope_types[w->scope];
    json_t *props = e->properties != NULL ? json_loads(e->properties, 0, NULL) : NULL;
    int take = types == NULL || type_in(t, types);
    if (w->scope == SCOPE_SUSPICIOUS) {
        take = json_is_true(json_object_get(props, "is_suspicious"));
    }
    int rc = 0;
    if (take) {
        rc = add_entity(w->ctx, e->identifier, t, props);
        w->failed = rc != 0;
    }
    json_decref(props);
    return rc;
}

static int read_scope(action_ctx *ctx, json_t *scope)
{
    const char *name = "All entities";
    if (scope != NULL && !json_is_null(scope)) {
        if (!json_is_string(scope)) {
            return act_fail(ctx, 64, "\"scope\" must be a string.");
        }
        if (json_string_length(scope) > 0) {
            name = json_string_value(scope);
        }
    }
    int s = find_scope(name);
    if (s < 0) {
        char allowed[512];
        list_allowed(actions_scopes, allowed, sizeof allowed);
        return act_fail(ctx, 64, "Unknown scope \"%.200s\". Possible values: %s.", name, allowed);
    }
    if (ctx->env->store == NULL || ctx->case_id == NULL) {
        return 0; /* no case to take entities from */
    }
    scope_walk w = {ctx, s, 0};
    int rc = pptap_store_case_entity_list(ctx->env->store, ctx->case_id, on_case_entity, &w);
    if (w.failed) {
        return -1;
    }
    if (rc != 0) {
        return act_fail(ctx, act_exit_code(rc), "cannot read the entities of case \"%s\": %s",
                        ctx->case_id, pptap_store_last_error(ctx->env->store));
    }
    return 0;
}

static int read_request(action_ctx *ctx, json_t *request)
{
    if (!json_is_object(request)) {
        return act_fail(ctx, 64, "the request must be a JSON object.");
    }
    const char *key;
    json_t *v;
    json_object_foreach(request, key, v)
    {
        int known = 0;
        for (size_t i = 0; request_keys[i] != NULL; i++) {
            known |= strcmp(request_keys[i], key) == 0;
        }
        if (!known) {
            return act_fail(ctx, 64,
                            "Unknown request field \"%.200s\"; a request has case_id, "
                            "alert_group_identifiers, parameters, target_entities and scope.",
                            key);
        }
    }
    json_t *cid = json_object_get(request, "case_id");
    if (json_is_string(cid) && json_string_length(cid) > 0) {
        if (json_string_length(cid) > PPTAP_STORE_NAME_MAX) {
            return act_fail(ctx, 64, "\"case_id\" is longer than %d bytes.", PPTAP_STORE_NAME_MAX);
        }
        ctx->case_id = strdup(json_string_value(cid));
    } else if (json_is_integer(cid)) {
        if (asprintf(&ctx->case_id, "%lld", (long long)json_integer_value(cid)) < 0) {
            ctx->case_id = NULL;
        }
    } else if (cid != NULL && !json_is_null(cid) && !json_is_string(cid)) {
        return act_fail(ctx, 64, "\"case_id\" must be a string.");
    }
    json_t *ag = json_object_get(request, "alert_group_identifiers");
    if (ag != NULL && !json_is_null(ag)) {
        size_t i;
        json_t *x;
        int ok = json_is_array(ag);
        json_array_foreach(ag, i, x)
        {
            ok &= json_is_string(x);
        }
        if (!ok) {
            return act_fail(ctx, 64, "\"alert_group_identifiers\" must be an array of strings.");
        }
    }
    if (read_parameters(ctx, json_object_get(request, "parameters")) != 0) {
        return -1;
    }
    json_t *targets = json_object_get(request, "target_entities");
    json_t *scope = json_object_get(request, "scope");
    if (targets != NULL && !json_is_null(targets)) {
        if (read_targets(ctx, targets) != 0) {
            return -1;
        }
        if (ctx->n_ents > 0) {
            return 0; /* exactly these entities; the scope is ignored */
        }
    }
    return read_scope(ctx, scope);
}

/* ------------------------------------------------------------------------ */
/* Keeping what the action created in the case                               */

static int keep_in_case(action_ctx *ctx)
{
    pptap_store *st = ctx->env->store;
    size_t i;
    json_t *x;
    if (st == NULL || ctx->case_id == NULL) {
        json_array_foreach(ctx->entities, i, x)
        {
            json_object_set_new(x, "new", json_true());
        }
        json_array_foreach(ctx->insights, i, x)
        {
            json_object_set_new(x, "new", json_true());
        }
        return 0;
    }
    int rc = pptap_store_begin(st);
    json_array_foreach(ctx->entities, i, x)
    {
        if (rc != 0) {
            break;
        }
        char *props = json_dumps(json_object_get(x, "properties"), JSON_COMPACT | JSON_SORT_KEYS);
        pptap_store_case_entity e = {
            .case_id = ctx->case_id,
            .entity_type = json_string_value(json_object_get(x, "entity_type")),
            .identifier = json_string_value(json_object_get(x, "identifier")),
            .properties = props,
            .created_by = ctx->def->name,
        };
        int added = 0;
        rc = props != NULL ? pptap_store_case_entity_add(st, &e, &added) : PPTAP_ENOMEM;
        free(props);
        json_object_set_new(x, "new", json_boolean(added));
    }
    json_array_foreach(ctx->insights, i, x)
    {
        if (rc != 0) {
            break;
        }
        pptap_store_case_insight in = {
            .case_id = ctx->case_id,
            .action = ctx->def->name,
            .title = json_string_value(json_object_get(x, "title")),
            .severity = json_string_value(json_object_get(x, "severity")),
            .type = json_string_value(json_object_get(x, "type")),
            .body = json_string_value(json_object_get(x, "body_html")),
            .entity = json_string_value(json_object_get(x, "entity")),
        };
        int added = 0;
        rc = pptap_store_case_insight_add(st, &in, &added);
        json_object_set_new(x, "new", json_boolean(added));
    }
    if (rc == 0) {
        rc = pptap_store_commit(st);
    } else {
        char why[PPTAP_ERRMSG_LEN];
        snprintf(why, sizeof why, "%s", pptap_store_last_error(st));
        pptap_store_rollback(st);
        return act_fail(ctx, act_exit_code(rc == PPTAP_EINVAL ? PPTAP_EIO : rc),
                        "the case \"%s\" could not be updated in the store: %s", ctx->case_id,
                        why[0] ? why : pptap_strerror(rc));
    }
    if (rc != 0) {
        return act_fail(ctx, act_exit_code(rc), "the case \"%s\" could not be updated: %s",
                        ctx->case_id, pptap_store_last_error(st));
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Running                                                                   */

static json_t *build_result(action_ctx *ctx)
{
    size_t n_new_ent = 0, n_new_ins = 0, i;
    json_t *x;
    json_array_foreach(ctx->entities, i, x)
    {
        n_new_ent += json_is_true(json_object_get(x, "new"));
    }
    json_array_foreach(ctx->insights, i, x)
    {
        n_new_ins += json_is_true(json_object_get(x, "new"));
    }
    int stored = ctx->env->store != NULL && ctx->case_id != NULL && !ctx->failed;
    return json_pack("{s:s, s:s, s:b, s:s, s:s%, s:O, s:O, s:O, s:O, s:s?, s:{s:b, s:I, s:I}}",
                     "action", ctx->def->name, "result_name", ctx->def->result_name, "result_value",
                     ctx->value, "execution_state", ctx->failed ? "failed" : "completed",
                     "output_message", ctx->msg.ptr != NULL ? ctx->msg.ptr : "", ctx->msg.len,
                     "json_result", ctx->json_result != NULL ? ctx->json_result : json_null(),
                     "insights", ctx->insights, "entities", ctx->entities, "data_tables",
                     ctx->tables, "case_id", ctx->case_id, "case", "stored", stored, "new_entities",
                     (json_int_t)(stored ? n_new_ent : 0), "new_insights",
                     (json_int_t)(stored ? n_new_ins : 0));
}

json_t *actions_run(const action_def *a, json_t *request, const actions_env *env, int *exit_code)
{
    static const actions_env none;
    action_ctx ctx = {0};
    ctx.def = a;
    ctx.env = env != NULL ? env : &none;
    ctx.values = json_object();
    ctx.ent_hold = json_array();
    ctx.insights = json_array();
    ctx.entities = json_array();
    ctx.tables = json_array();
    json_t *result = NULL;
    if (ctx.values == NULL || ctx.ent_hold == NULL || ctx.insights == NULL ||
        ctx.entities == NULL || ctx.tables == NULL) {
        goto out;
    }
    if (read_request(&ctx, request) == 0) {
        if ((a->needs & ACTION_NEEDS_CLIENT) && act_client(&ctx) == NULL) {
            /* failed with the reason */
        } else if ((a->needs & ACTION_NEEDS_STORE) && ctx.env->store == NULL) {
            act_fail(&ctx, 78, "no store: give one with --state PATH (see docs/actions.md).");
        } else if (a->run(&ctx) == 0 && !ctx.failed) {
            keep_in_case(&ctx);
        } else if (!ctx.failed) {
            act_fail(&ctx, 70, "the action failed without saying why");
        }
    }
    if (ctx.failed) {
        /* nothing was kept in the case: report no insight or entity as
         * created; and a failed result carries no partial tables (the rows
         * read before the failure would pass for the whole answer) */
        json_array_clear(ctx.insights);
        json_array_clear(ctx.entities);
        json_array_clear(ctx.tables);
    }
    result = build_result(&ctx);
out:
    if (exit_code != NULL) {
        *exit_code = result == NULL ? 70 : ctx.failed ? ctx.exit_code : 0;
    }
    free(ctx.case_id);
    free(ctx.ents);
    json_decref(ctx.values);
    json_decref(ctx.ent_hold);
    json_decref(ctx.json_result);
    json_decref(ctx.insights);
    json_decref(ctx.entities);
    json_decref(ctx.tables);
    pptap_buf_dispose(&ctx.msg);
    return result;
}

/* ------------------------------------------------------------------------ */
/* MCP arguments → request                                                   */

static int tool_err(char *err, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int tool_err(char *err, size_t n, const char *fmt, ...)
{
    if (err != NULL && n > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int actions_request_from_tool(const action_def *a, json_t *arguments, json_t **request, char *err,
                              size_t errlen)
{
    if (arguments != NULL && !json_is_null(arguments) && !json_is_object(arguments)) {
        return tool_err(err, errlen, "the arguments must be an object");
    }
    json_t *req = json_object();
    json_t *params = json_object();
    if (req == NULL || params == NULL) {
        json_decref(req);
        json_decref(params);
        return tool_err(err, errlen, "out of memory");
    }
    json_object_set_new(req, "parameters", params);
    const char *key;
    json_t *v;
    json_object_foreach(arguments, key, v)
    {
        if (strcmp(key, "case_id") == 0) {
            if (!json_is_string(v) && !json_is_integer(v)) {
                goto bad_type;
            }
        } else if (strcmp(key, "alert_group_identifiers") == 0) {
            size_t i;
            json_t *x;
            if (!json_is_array(v)) {
                goto bad_type;
            }
            json_array_foreach(v, i, x)
            {
                if (!json_is_string(x)) {
                    goto bad_type;
                }
            }
        } else if (strcmp(key, "target_entities") == 0) {
            if (!json_is_array(v)) {
                goto bad_type;
            }
        } else if (strcmp(key, "scope") == 0) {
            if (!json_is_string(v)) {
                goto bad_type;
            }
        } else {
            const action_param *p = NULL;
            for (size_t i = 0; i < a->n_params; i++) {
                if (strcmp(a->params[i].tool_name, key) == 0) {
                    p = &a->params[i];
                }
            }
            if (p == NULL) {
                char names[1024] = "";
                size_t off = 0;
                for (size_t i = 0; i < a->n_params && off < sizeof names; i++) {
                    int w =
                        snprintf(names + off, sizeof names - off, "%s, ", a->params[i].tool_name);
                    off += w > 0 ? (size_t)w : 0;
                }
                json_decref(req);
                return tool_err(err, errlen,
                                "unknown argument '%.100s'; %s takes %scase_id, "
                                "alert_group_identifiers, target_entities and scope",
                                key, a->tool_name, names);
            }
            int b;
            long long n;
            int ok = json_is_null(v) || (p->type == AP_BOOL && parse_bool(v, &b) == 0) ||
                     (p->type == AP_INT && (parse_int(v, &n) == 0 ||
                                            (json_is_string(v) && json_string_length(v) == 0))) ||
                     (p->type != AP_BOOL && p->type != AP_INT && json_is_string(v));
            if (!ok) {
                json_decref(req);
                return tool_err(err, errlen, "argument '%s' must be %s", key,
                                p->type == AP_BOOL  ? "a boolean"
                                : p->type == AP_INT ? "an integer (as a string)"
                                                    : "a string");
            }
            json_object_set(params, p->name, v);
            continue;
        }
        json_object_set(req, key, v);
        continue;
    bad_type:
        json_decref(req);
        return tool_err(err, errlen, "argument '%s' must be %s", key,
                        strcmp(key, "alert_group_identifiers") == 0 ? "an array of strings"
                        : strcmp(key, "target_entities") == 0
                            ? "an array of {Identifier, EntityType} objects"
                            : "a string");
    }
    static const char *const required[] = {"case_id", "alert_group_identifiers"};
    for (size_t i = 0; i < 2; i++) {
        if (json_object_get(arguments, required[i]) == NULL) {
            json_decref(req);
            return tool_err(err, errlen, "missing required argument '%s'", required[i]);
        }
    }
    for (size_t i = 0; i < a->n_params; i++) {
        const action_param *p = &a->params[i];
        if (p->mandatory && p->def == NULL && json_object_get(params, p->name) == NULL) {
            json_decref(req);
            return tool_err(err, errlen, "missing required argument '%s'", p->tool_name);
        }
    }
    *request = req;
    return 0;
}
