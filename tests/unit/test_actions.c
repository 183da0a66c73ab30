/*
 * Unit tests: the SOAR actions framework without a network. The catalogue
 * and lookup, the MCP tool surface of the contract (tool and argument
 * names, required arguments), mapping tool arguments to a request, typing
 * of parameters (booleans and integers as SecOps sends them, ranges,
 * choices), request errors, scopes over a case in a real store, target
 * entities, the result's shape, and re-runs that create nothing twice —
 * through Decode URL (offline) and the parameter checks that run before any
 * request.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <pptap/store.h>

#include "action_impl.h"

#define V3                                                                                         \
    "https://urldefense.com/v3/__http://docs-share-portal.net/MJ7vimdX__;!KhYFNrJBOdJz!"           \
    "C31qOQwH9xp_bf25VTZh1fIu3Geh7AfKnIPFOwnGNlayjUd6NEMAxQ3XmlaE$"
#define V2                                                                                         \
    "https://urldefense.proofpoint.com/v2/url?u=https-3A__example.com_a-3Fb-3D1-2C2&d=DwMF&c=x&"   \
    "r=y&m=z&s=w&e="

static json_t *J(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (j == NULL) {
        fail_msg("bad JSON in test: %s: %s", je.text, text);
    }
    return j;
}

/* Runs action `name` on the request text; returns the result, sets *code. */
static json_t *run(const char *name, const char *request, const actions_env *env, int *code)
{
    const action_def *a = actions_find(name);
    assert_non_null(a);
    json_t *req = J(request);
    json_t *res = actions_run(a, req, env, code);
    json_decref(req);
    assert_non_null(res);
    return res;
}

static const char *S(json_t *res, const char *key)
{
    const char *s = json_string_value(json_object_get(res, key));
    assert_non_null(s);
    return s;
}

static void test_find(void **state)
{
    (void)state;
    const action_def *a = actions_find("get-campaign");
    assert_non_null(a);
    assert_ptr_equal(actions_find("Get Campaign"), a);
    assert_ptr_equal(actions_find("get campaign"), a);
    assert_ptr_equal(actions_find("proof_point_tap_get_campaign"), a);
    assert_ptr_equal(actions_find("ProofPointTAP - Get Campaign"), a);
    assert_string_equal(action_name(a), "Get Campaign");
    assert_string_equal(action_cli_name(a), "get-campaign");
    assert_string_equal(action_tool_name(a), "proof_point_tap_get_campaign");
    assert_null(actions_find("get-campaigns"));
    assert_null(actions_find("PROOF_POINT_TAP_GET_CAMPAIGN")); /* tool names are exact */
    assert_null(actions_find(NULL));
    /* every action: unique names, the tool prefix, a description */
    assert_true(actions_count() >= 9);
    for (size_t i = 0; i < actions_count(); i++) {
        const action_def *x = actions_at(i);
        assert_ptr_equal(actions_find(action_cli_name(x)), x);
        assert_ptr_equal(actions_find(action_tool_name(x)), x);
        assert_ptr_equal(actions_find(action_name(x)), x);
        assert_int_equal(strncmp(action_tool_name(x), "proof_point_tap_", 16), 0);
        assert_true(strlen(action_description(x)) > 20);
        json_t *d = action_describe(x);
        assert_non_null(d);
        assert_true(json_is_array(json_object_get(d, "parameters")));
        assert_true(json_is_object(json_object_get(d, "outputs")));
        json_decref(d);
    }
    assert_null(actions_at(actions_count()));
}

/* The property names of a tool schema, sorted, joined with ','. */
static char *props(const char *tool, char *req, size_t reqlen)
{
    json_t *s = action_tool_schema(actions_find(tool));
    assert_non_null(s);
    assert_string_equal(json_string_value(json_object_get(s, "type")), "object");
    assert_true(json_is_false(json_object_get(s, "additionalProperties")));
    json_t *keys = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(s, "properties"), k, v)
    {
        json_array_append_new(keys, json_string(k));
    }
    /* sort */
    size_t n = json_array_size(keys);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            if (strcmp(json_string_value(json_array_get(keys, i)),
                       json_string_value(json_array_get(keys, j))) > 0) {
                json_t *t = json_incref(json_array_get(keys, i));
                json_array_set(keys, i, json_array_get(keys, j));
                json_array_set_new(keys, j, t);
            }
        }
    }
    char *out = act_join(keys, ",");
    char *r = act_join(json_object_get(s, "required"), ",");
    snprintf(req, reqlen, "%s", r);
    free(r);
    json_decref(keys);
    json_decref(s);
    return out;
}

static void test_contract_tools(void **state)
{
    (void)state;
    char req[512];
    char *p = props("proof_point_tap_get_campaign", req, sizeof req);
    assert_string_equal(p, "alert_group_identifiers,campaign_id,case_id,create_insight,"
                           "create_threat_campaign_entity,fetch_forensics_info,"
                           "forensic_evidence_type_filter,max_forensics_evidence_to_return,"
                           "scope,target_entities");
    assert_string_equal(req, "case_id,alert_group_identifiers,campaign_id");
    free(p);
    p = props("proof_point_tap_decode_url", req, sizeof req);
    assert_string_equal(p, "alert_group_identifiers,case_id,create_url_entities,encoded_ur_ls,"
                           "scope,target_entities,use_api");
    assert_string_equal(req, "case_id,alert_group_identifiers");
    free(p);
    p = props("proof_point_tap_ping", req, sizeof req);
    assert_string_equal(p, "alert_group_identifiers,case_id,scope,target_entities");
    free(p);

    json_t *s = action_tool_schema(actions_find("get-campaign"));
    json_t *pr = json_object_get(s, "properties");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(pr, "max_forensics_evidence_to_return"), "type")),
                        "string");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(pr, "max_forensics_evidence_to_return"), "default")),
                        "50");
    assert_true(json_is_true(json_object_get(json_object_get(pr, "create_insight"), "default")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(pr, "scope"), "default")),
                        "All entities");
    assert_int_equal(
        json_array_size(json_object_get(json_object_get(pr, "target_entities"), "default")), 0);
    json_decref(s);
}

static void test_request_from_tool(void **state)
{
    (void)state;
    const action_def *a = actions_find("proof_point_tap_decode_url");
    char err[256];
    json_t *req = NULL;
    json_t *args = J("{\"case_id\": \"5\", \"alert_group_identifiers\": [\"g\"], "
                     "\"encoded_ur_ls\": \"u1, u2\", \"create_url_entities\": \"false\", "
                     "\"target_entities\": [], \"scope\": \"URL entities\"}");
    assert_int_equal(actions_request_from_tool(a, args, &req, err, sizeof err), 0);
    json_t *want = J("{\"parameters\": {\"Encoded URLs\": \"u1, u2\", \"Create URL Entities\": "
                     "\"false\"}, \"case_id\": \"5\", \"alert_group_identifiers\": [\"g\"], "
                     "\"target_entities\": [], \"scope\": \"URL entities\"}");
    assert_true(json_equal(req, want));
    json_decref(want);
    json_decref(req);
    json_decref(args);

    static const struct {
        const char *args, *err;
    } bad[] = {
        {"{\"alert_group_identifiers\": []}", "missing required argument 'case_id'"},
        {"{\"case_id\": \"1\"}", "missing required argument 'alert_group_identifiers'"},
        {"{\"case_id\": \"1\", \"alert_group_identifiers\": [], \"encoded_urls\": \"x\"}",
         "unknown argument 'encoded_urls'"},
        {"{\"case_id\": \"1\", \"alert_group_identifiers\": [], \"create_url_entities\": 3}",
         "argument 'create_url_entities' must be a boolean"},
        {"{\"case_id\": [1], \"alert_group_identifiers\": []}",
         "argument 'case_id' must be a string"},
        {"{\"case_id\": \"1\", \"alert_group_identifiers\": [1]}",
         "argument 'alert_group_identifiers' must be an array of strings"},
        {"[]", "the arguments must be an object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        args = J(bad[i].args);
        req = NULL;
        assert_int_equal(actions_request_from_tool(a, args, &req, err, sizeof err), -1);
        assert_null(req);
        if (strstr(err, bad[i].err) == NULL) {
            fail_msg("%s: error '%s' lacks '%s'", bad[i].args, err, bad[i].err);
        }
        json_decref(args);
    }
    /* a mandatory parameter without default is a required argument */
    a = actions_find("proof_point_tap_get_campaign");
    args = J("{\"case_id\": \"1\", \"alert_group_identifiers\": [], "
             "\"max_forensics_evidence_to_return\": 7}");
    assert_int_equal(actions_request_from_tool(a, args, &req, err, sizeof err), -1);
    assert_string_equal(err, "missing required argument 'campaign_id'");
    json_decref(args);
}

static void test_split_csv(void **state)
{
    (void)state;
    json_t *l = act_split_csv(" a, b,,a , c ,");
    json_t *want = J("[\"a\", \"b\", \"c\"]");
    assert_true(json_equal(l, want));
    json_decref(l);
    json_decref(want);
    l = act_split_csv(NULL);
    assert_int_equal(json_array_size(l), 0);
    json_decref(l);
}

/* Parameter typing through Decode URL (offline) and Get Campaign, whose
 * checks run before the missing client is noticed (78). */
static void test_parameters(void **state)
{
    (void)state;
    static const struct {
        const char *action, *params;
        int code;
        const char *message; /* prefix, or NULL */
    } cases[] = {
        {"decode-url", "{\"Encoded URLs\": \"" V3 "\", \"Create URL Entities\": \"FALSE\"}", 0,
         "Successfully decoded the following URLs in ProofPoint TAP: " V3},
        {"decode-url", "{\"Encoded URLs\": \"" V3 "\", \"create url entities\": \" true \"}", 0,
         NULL},
        {"decode-url", "{\"encoded_ur_ls\": \"" V3 "\", \"Create URL Entities\": true}", 0, NULL},
        {"decode-url", "{\"Encoded URLs\": \"" V3 "\", \"Create URL Entities\": \"maybe\"}", 64,
         "Error executing action ProofPointTAP - Decode URL. Reason: Invalid value provided for "
         "the parameter \"Create URL Entities\": \"maybe\". It should be true or false."},
        {"decode-url", "{\"Encoded URLs\": \"x\", \"Encoded URLs \": \"y\"}", 64,
         "Error executing action ProofPointTAP - Decode URL. Reason: Unknown parameter "
         "\"Encoded URLs \". Parameters of this action: \"Encoded URLs\", \"Create URL "
         "Entities\", \"Use API\"."},
        {"get-campaign", "{\"Campaign ID\": \"c\", \"Max Forensics Evidence To Return\": \"50\"}",
         78, "Error executing action ProofPointTAP - Get Campaign. Reason: no TAP API client"},
        {"get-campaign", "{\"Campaign ID\": \"c\", \"Max Forensics Evidence To Return\": 1000}", 78,
         NULL},
        {"get-campaign", "{\"Campaign ID\": \"c\", \"Max Forensics Evidence To Return\": \" 1 \"}",
         78, NULL},
        {"get-campaign", "{\"Campaign ID\": \"c\", \"Max Forensics Evidence To Return\": \"0\"}",
         64,
         "Error executing action ProofPointTAP - Get Campaign. Reason: Invalid value provided "
         "for the parameter \"Max Forensics Evidence To Return\": 0. It should be in range from "
         "1 to 1000."},
        {"get-campaign", "{\"Campaign ID\": \"c\", \"Max Forensics Evidence To Return\": 1001}", 64,
         NULL},
        {"get-campaign", "{\"Campaign ID\": \"c\", \"Max Forensics Evidence To Return\": \"5x\"}",
         64,
         "Error executing action ProofPointTAP - Get Campaign. Reason: Invalid value provided "
         "for the parameter \"Max Forensics Evidence To Return\": \"5x\". It should be an "
         "integer from 1 to 1000."},
        {"get-campaign",
         "{\"Campaign ID\": \"c\", \"Max Forensics Evidence To Return\": "
         "\"99999999999999999999999\"}",
         64, NULL},
        {"get-campaign", "{\"Campaign ID\": \"c\", \"Max Forensics Evidence To Return\": 2.5}", 64,
         NULL},
        {"get-campaign", "{\"Campaign ID\": \"\"}", 64,
         "Error executing action ProofPointTAP - Get Campaign. Reason: Missing mandatory "
         "parameter \"Campaign ID\"."},
        {"get-campaign", "{}", 64, NULL},
        {"list-campaigns", "{\"Time Frame\": \"last week\"}", 78, NULL},
        {"list-campaigns", "{\"Time Frame\": \"Last Month\"}", 64,
         "Error executing action \"ProofPointTAP - List Campaigns\". Reason: Invalid value "
         "provided for the parameter \"Time Frame\": \"Last Month\". Possible values: Last "
         "Hour, Last 6 Hours, Last 24 Hours, Last Week, Custom."},
        {"list-campaigns", "{\"Start Time\": \"yesterday\"}", 64, NULL},
        {"list-vaps", "{\"Window\": 90}", 78, NULL},
        {"list-vaps", "{\"Window\": 7}", 64, NULL},
        {"list-top-clickers", "{\"Size\": \"201\"}", 64, NULL},
        {"list-vaps", "{\"Size\": \"1000\"}", 78, NULL},
        {"ping", "{\"x\": 1}", 64,
         "Error executing action \"ProofPointTAP - Ping\". Reason: Unknown parameter \"x\": "
         "this action takes none."},
        {"ping", "{}", 78,
         "Failed to connect to the ProofPoint TAP server! Error is no TAP API client: no "
         "credentials configured"},
    };
    actions_env env = {0};
    env.client_error = "no credentials configured";
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char req[1024];
        snprintf(req, sizeof req, "{\"parameters\": %s}", cases[i].params);
        int code = -1;
        json_t *res = run(cases[i].action, req, &env, &code);
        if (code != cases[i].code) {
            fail_msg("%s %s: exit %d, want %d: %s", cases[i].action, cases[i].params, code,
                     cases[i].code, S(res, "output_message"));
        }
        assert_string_equal(S(res, "execution_state"), code == 0 ? "completed" : "failed");
        if (cases[i].message != NULL &&
            strncmp(S(res, "output_message"), cases[i].message, strlen(cases[i].message)) != 0) {
            fail_msg("%s: message '%s', want '%s...'", cases[i].params, S(res, "output_message"),
                     cases[i].message);
        }
        json_decref(res);
    }
    /* the booleans took effect: "FALSE" no entity, " true " one */
    int code;
    json_t *res =
        run("decode-url",
            "{\"parameters\": {\"Encoded URLs\": \"" V3 "\", \"Create URL Entities\": \"FALSE\"}}",
            &env, &code);
    assert_int_equal(json_array_size(json_object_get(res, "entities")), 0);
    json_decref(res);
    res =
        run("decode-url",
            "{\"parameters\": {\"Encoded URLs\": \"" V3 "\", \"Create URL Entities\": \" true \"}}",
            &env, &code);
    assert_int_equal(json_array_size(json_object_get(res, "entities")), 1);
    json_decref(res);
}

static void test_request_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "[]",
        "{\"parameter\": {}}",
        "{\"parameters\": []}",
        "{\"case_id\": {}}",
        "{\"alert_group_identifiers\": \"g\"}",
        "{\"target_entities\": {}}",
        "{\"target_entities\": [{\"Identifier\": \"x\"}]}",
        "{\"target_entities\": [{\"Identifier\": \"\", \"EntityType\": \"URL\"}]}",
        "{\"scope\": 3}",
        "{\"scope\": \"Some entities\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int code = 0;
        json_t *res = run("decode-url", bad[i], NULL, &code);
        if (code != 64) {
            fail_msg("%s: exit %d: %s", bad[i], code, S(res, "output_message"));
        }
        assert_true(json_is_false(json_object_get(res, "result_value")));
        json_decref(res);
    }
}

typedef struct {
    char dir[64];
    char path[128];
    pptap_store *st;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/pptap-actions-XXXXXX");
    if (f == NULL || mkdtemp(f->dir) == NULL) {
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/state.db", f->dir);
    if (pptap_store_open(&f->st, f->path, NULL, NULL) != 0) {
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    pptap_store_close(f->st);
    static const char *sfx[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char p[200];
        snprintf(p, sizeof p, "%s%s", f->path, sfx[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static void add(pptap_store *st, const char *type, const char *id, const char *props)
{
    pptap_store_case_entity e = {.case_id = "9",
                                 .entity_type = type,
                                 .identifier = id,
                                 .properties = props,
                                 .created_by = "test"};
    assert_int_equal(pptap_store_case_entity_add(st, &e, NULL), 0);
}

/* The encoded URLs of a Decode URL result, joined with ' '. */
static char *decoded_from(json_t *res)
{
    json_t *l = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(res, "json_result"), i, r)
    {
        json_array_append(l, json_object_get(r, "decodedUrl"));
    }
    char *s = act_join(l, " ");
    json_decref(l);
    return s;
}

static void test_scopes(void **state)
{
    fixture *f = *state;
    /* the identifier is upper-cased as SecOps does; OriginalIdentifier keeps the link */
    add(f->st, "DestinationURL", "HTTPS://URLDEFENSE.COM/V3/X",
        "{\"OriginalIdentifier\": \"" V3 "\"}");
    add(f->st, "USERUNIQNAME", "alice@example.com", NULL);
    add(f->st, "URL", V2, "{\"is_suspicious\": true}");
    actions_env env = {0};
    env.store = f->st;
    static const struct {
        const char *request, *decoded;
    } cases[] = {
        {"{\"case_id\": \"9\"}",
         "http://docs-share-portal.net/MJ7vimdX https://example.com/a?b=1,2"},
        {"{\"case_id\": \"9\", \"scope\": \"url entities\"}",
         "http://docs-share-portal.net/MJ7vimdX https://example.com/a?b=1,2"},
        {"{\"case_id\": \"9\", \"scope\": \"Suspicious entities\"}", "https://example.com/a?b=1,2"},
        {"{\"case_id\": \"9\", \"scope\": \"User entities\"}", ""},
        {"{\"case_id\": \"9\", \"scope\": \"Hash entities\"}", ""},
        {"{\"case_id\": \"8\"}", ""}, /* an unknown case has no entities */
        {"{\"case_id\": \"9\", \"scope\": \"User entities\", \"target_entities\": "
         "[{\"Identifier\": \"" V2 "\", \"EntityType\": \"url\"}]}",
         "https://example.com/a?b=1,2"},
        /* a target entity with an unknown scope: the scope is ignored */
        {"{\"case_id\": \"9\", \"scope\": \"Bad\", \"target_entities\": "
         "[{\"identifier\": \"" V2 "\", \"entity_type\": \"DestinationURL\"}]}",
         "https://example.com/a?b=1,2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int code = -1;
        json_t *res = run("decode-url", cases[i].request, &env, &code);
        assert_int_equal(code, 0);
        char *got = decoded_from(res);
        if (strcmp(got, cases[i].decoded) != 0) {
            fail_msg("%s: decoded '%s', want '%s'", cases[i].request, got, cases[i].decoded);
        }
        /* URLs from entities never become new entities */
        assert_int_equal(json_array_size(json_object_get(res, "entities")), 0);
        free(got);
        json_decref(res);
    }
    int code;
    json_t *res = run("decode-url", "{\"case_id\": \"9\", \"scope\": \"Odd\"}", &env, &code);
    assert_int_equal(code, 64);
    assert_string_equal(S(res, "output_message"),
                        "Error executing action ProofPointTAP - Decode URL. Reason: Unknown scope "
                        "\"Odd\". Possible values: All entities, URL entities, User entities, Hash "
                        "entities, IP entities, Host entities, Threat entities, Suspicious "
                        "entities.");
    json_decref(res);
}

static void test_result_and_rerun(void **state)
{
    fixture *f = *state;
    actions_env env = {0};
    env.store = f->st;
    const char *req = "{\"case_id\": \"77\", \"alert_group_identifiers\": [], \"parameters\": "
                      "{\"Encoded URLs\": \"" V2 ", https://not.a.link/, " V3 "\"}}";
    int code = -1;
    json_t *res = run("Decode URL", req, &env, &code);
    assert_int_equal(code, 0);
    /* the keys, in order */
    static const char *const keys[] = {
        "action",         "result_name", "result_value", "execution_state",
        "output_message", "json_result", "insights",     "entities",
        "data_tables",    "case_id",     "case"};
    size_t k = 0;
    const char *key;
    json_t *v;
    json_object_foreach(res, key, v)
    {
        assert_true(k < sizeof keys / sizeof keys[0]);
        assert_string_equal(key, keys[k++]);
    }
    assert_int_equal(k, sizeof keys / sizeof keys[0]);
    assert_string_equal(S(res, "result_name"), "decoded_urls");
    assert_true(json_is_true(json_object_get(res, "result_value")));
    /* the comma inside the v2 link's target did not split it */
    char *got = decoded_from(res);
    assert_string_equal(got, "https://example.com/a?b=1,2 http://docs-share-portal.net/MJ7vimdX");
    free(got);
    json_t *bad = json_array_get(json_object_get(res, "json_result"), 1);
    assert_true(json_is_false(json_object_get(bad, "success")));
    assert_string_equal(S(bad, "error"), "not a URL Defense link (nothing to decode)");
    assert_string_equal(S(res, "output_message"),
                        "Successfully decoded the following URLs in ProofPoint TAP: " V2 ", " V3
                        "\nAction wasn't able to decode the following URLs in ProofPoint TAP: "
                        "https://not.a.link/");
    json_t *want = J("{\"stored\": true, \"new_entities\": 2, \"new_insights\": 0}");
    assert_true(json_equal(json_object_get(res, "case"), want));
    json_decref(want);
    json_t *e = json_array_get(json_object_get(res, "entities"), 0);
    assert_string_equal(S(e, "entity_type"), "URL");
    assert_string_equal(S(e, "identifier"), "https://example.com/a?b=1,2");
    assert_true(json_is_true(json_object_get(e, "new")));
    assert_true(json_is_true(json_object_get(json_object_get(e, "properties"), "is_vulnerable")));
    json_decref(res);

    /* again: the same entities, none new */
    res = run("decode-url", req, &env, &code);
    want = J("{\"stored\": true, \"new_entities\": 0, \"new_insights\": 0}");
    assert_true(json_equal(json_object_get(res, "case"), want));
    json_decref(want);
    assert_int_equal(json_array_size(json_object_get(res, "entities")), 2);
    assert_true(
        json_is_false(json_object_get(json_array_get(json_object_get(res, "entities"), 1), "new")));
    json_decref(res);

    /* without a case id nothing is kept; every entity is reported as new */
    res = run("decode-url", "{\"parameters\": {\"Encoded URLs\": \"" V3 "\"}}", &env, &code);
    assert_true(json_is_false(json_object_get(json_object_get(res, "case"), "stored")));
    assert_true(
        json_is_true(json_object_get(json_array_get(json_object_get(res, "entities"), 0), "new")));
    assert_true(json_is_null(json_object_get(res, "case_id")));
    json_decref(res);

    /* nothing to decode: completed, false; the first line is SecOps' sentence, exactly */
    res = run("decode-url", "{\"case_id\": 78}", &env, &code);
    assert_int_equal(code, 0);
    assert_true(json_is_false(json_object_get(res, "result_value")));
    assert_string_equal(S(res, "case_id"), "78");
    const char *msg = S(res, "output_message");
    const char *nl = strchr(msg, '\n');
    assert_non_null(nl);
    assert_int_equal(nl - msg, strlen("None of the provided URLs were decoded in ProofPoint TAP."));
    assert_memory_equal(msg, "None of the provided URLs were decoded in ProofPoint TAP.", nl - msg);
    json_decref(res);
}

/* The exit status of each error code: the pptap command's mapping, with an
 * API answer that does not parse (76) apart from bad input data (65). */
static void test_exit_codes(void **state)
{
    (void)state;
    static const struct {
        int err, code;
    } cases[] = {
        {PPTAP_OK, 0},         {PPTAP_EINVAL, 64},   {PPTAP_EDECODE, 65},    {PPTAP_EBUFS, 65},
        {PPTAP_ENOTFOUND, 66}, {PPTAP_EUNAVAIL, 69}, {PPTAP_ESERVER, 69},    {PPTAP_ENOMEM, 70},
        {PPTAP_EIO, 74},       {PPTAP_ETIMEOUT, 75}, {PPTAP_ERATELIMIT, 75}, {PPTAP_EPROTO, 76},
        {PPTAP_EAUTH, 77},     {PPTAP_ECONFIG, 78},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (act_exit_code(cases[i].err) != cases[i].code) {
            fail_msg("%s: exit %d, want %d", pptap_strerror(cases[i].err),
                     act_exit_code(cases[i].err), cases[i].code);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_contract_tools),
        cmocka_unit_test(test_request_from_tool),
        cmocka_unit_test(test_split_csv),
        cmocka_unit_test(test_parameters),
        cmocka_unit_test(test_request_errors),
        cmocka_unit_test(test_exit_codes),
        cmocka_unit_test_setup_teardown(test_scopes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_result_and_rerun, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
