/*
 * Enrich Entities: what TAP knows about the entities in scope.
 *
 * Users (USERUNIQNAME holding an e-mail address): whether they are Very
 * Attacked People and top clickers (one People API call of each kind per
 * run, not per entity), and their clicks and messages in the local store.
 * URLs (rewritten ones decoded first) and file hashes (SHA-256): the events
 * of the store that carry them, the threats and campaigns found there, who
 * received and who clicked, and the threat summary of each threat found
 * (not throttled; at most MAX_SUMMARIES per run).
 *
 * Each entity gets enrichment properties (ProofPointTAP_*) in the JSON
 * result, and an insight when TAP knows something about it; entities TAP
 * knows nothing about are reported as not found.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "action_impl.h"
#include "store_events.h"

#define MAX_SUMMARIES 20
#define MAX_SCAN 1000 /* events read per URL or hash */
#define PREFIX "ProofPointTAP_"

static const action_param params[] = {
    {"People Window", "people_window", AP_CHOICE, 0, "30", act_people_windows, 0, 0,
     "Days of the People API window for VAP and top-clicker status: 14, 30 or 90."},
    {"Check People", "check_people", AP_BOOL, 0, "true", NULL, 0, 0,
     "Ask the People API (one VAP and one top-clickers request per run) about user entities."},
    {"Fetch Threat Summary", "fetch_threat_summary", AP_BOOL, 0, "true", NULL, 0, 0,
     "Ask the threat summary of the threats found for URLs and hashes (not throttled)."},
    {"Max Events Per Entity", "max_events_per_entity", AP_INT, 0, "10", NULL, 1, 100,
     "Recent clicks and messages listed per entity."},
    {"Create Insight", "create_insight", AP_BOOL, 0, "true", NULL, 0, 0,
     "One insight per entity TAP knows something about."},
};

static const char *const entity_types[] = {"USERUNIQNAME", "URL", "FILEHASH", NULL};

typedef struct {
    action_ctx *ctx;
    const actions_env *env;
    size_t max_events;
    /* the People API, asked at most once each */
    int people_asked;
    pptap_people *vap, *top;
    char vap_err[640], top_err[640];
    /* threat summaries by threat id (object or an error string) */
    json_t *summaries;
    int n_summaries;
    int fetch_summaries;
    char err[PPTAP_ERRMSG_LEN];
} enrich;

static int is_hex(const char *s, size_t n)
{
    if (strlen(s) != n) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isxdigit((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

/* Adds a string to a set (array), without case. */
static void set_add(json_t *set, const char *s)
{
    if (s == NULL || s[0] == '\0') {
        return;
    }
    size_t i;
    json_t *x;
    json_array_foreach(set, i, x)
    {
        if (strcasecmp(json_string_value(x), s) == 0) {
            return;
        }
    }
    json_array_append_new(set, json_string(s));
}

/* --- People ------------------------------------------------------------- */

static void ask_people(enrich *e)
{
    if (e->people_asked) {
        return;
    }
    e->people_asked = 1;
    pptap_client *c = e->env->client;
    if (c == NULL) {
        snprintf(e->vap_err, sizeof e->vap_err, "no TAP API client: %s",
                 e->env->client_error != NULL ? e->env->client_error : "not configured");
        snprintf(e->top_err, sizeof e->top_err, "%s", e->vap_err);
        return;
    }
    pptap_people_query q;
    memset(&q, 0, sizeof q);
    q.window = atoi(act_str(e->ctx, "People Window"));
    q.size = PPTAP_VAP_SIZE_MAX;
    int rc = pptap_people_vap_get(c, &e->vap, &q);
    if (rc != 0) {
        act_api_reason(e->ctx, rc, e->vap_err, sizeof e->vap_err);
        e->vap = NULL;
    }
    q.size = PPTAP_TOP_CLICKERS_SIZE_MAX;
    rc = pptap_people_top_clickers_get(c, &e->top, &q);
    if (rc != 0) {
        act_api_reason(e->ctx, rc, e->top_err, sizeof e->top_err);
        e->top = NULL;
    }
}

static const pptap_person *person(const pptap_people *p, const char *addr)
{
    for (size_t i = 0; p != NULL && i < p->n_users; i++) {
        for (size_t k = 0; k < p->users[i].emails.n; k++) {
            if (strcasecmp(p->users[i].emails.v[k], addr) == 0) {
                return &p->users[i];
            }
        }
    }
    return NULL;
}

/* --- the store ----------------------------------------------------------- */

typedef struct {
    size_t n;
} counter;

static int count_one(const pptap_store_event *ev, void *payload)
{
    (void)ev;
    ((counter *)payload)->n++;
    return 0;
}

static int store_count(enrich *e, pptap_store_query q, unsigned types, size_t *out)
{
    counter c = {0};
    q.types = types;
    q.limit = PPTAP_STORE_SEARCH_MAX;
    int rc = pptap_store_search(e->env->store, &q, count_one, &c);
    if (rc != 0) {
        snprintf(e->err, sizeof e->err, "the store: %s", pptap_store_last_error(e->env->store));
        return rc;
    }
    *out = c.n;
    return 0;
}

static int store_events(enrich *e, pptap_store_query q, unsigned types, size_t max, json_t **out)
{
    se_result r;
    memset(&r, 0, sizeof r);
    r.max = max;
    r.events = json_array();
    if (r.events == NULL) {
        return PPTAP_ENOMEM;
    }
    q.types = types;
    int rc = se_search(e->env->store, &q, &r, e->err, sizeof e->err);
    if (rc != 0) {
        json_decref(r.events);
        return rc;
    }
    *out = r.events;
    return 0;
}

/* A short view of an event for the result. */
static json_t *brief(json_t *ev)
{
    const char *type = se_str(ev, "eventType");
    pptap_event_type t = PPTAP_EVENT_MESSAGES_DELIVERED;
    if (type != NULL) {
        pptap_event_type_parse(&t, type);
    }
    if (se_is_click(t)) {
        return json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?}", "eventType", type,
                         "clickTime", se_str(ev, "clickTime"), "url", se_str(ev, "url"),
                         "classification", se_str(ev, "classification"), "threatStatus",
                         se_str(ev, "threatStatus"), "threatID",
                         se_str2(ev, "threatID", "threatId"), "GUID", se_str(ev, "GUID"));
    }
    json_t *cls = json_array();
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(ev, "threatsInfoMap"), i, x)
    {
        set_add(cls, se_str(x, "classification"));
    }
    return json_pack("{s:s?, s:s?, s:s?, s:s?, s:o, s:s?}", "eventType", type, "messageTime",
                     se_str(ev, "messageTime"), "subject", se_str(ev, "subject"), "sender",
                     se_str(ev, "sender"), "classifications", cls, "GUID", se_str(ev, "GUID"));
}

static json_t *briefs(json_t *events)
{
    json_t *out = json_array();
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev)
    {
        json_array_append_new(out, brief(ev));
    }
    return out;
}

/* --- one entity of each kind --------------------------------------------- */

/* Fills `props` (enrichment) and `detail` for a user; *known set when TAP
 * knows the user. */
static int enrich_user(enrich *e, const char *addr, json_t *props, json_t *detail, int *known)
{
    pptap_store_query q;
    memset(&q, 0, sizeof q);
    q.tenant = e->env->tenant;
    q.recipient = addr;
    size_t permitted = 0, blocked = 0, delivered = 0, blocked_msgs = 0;
    int rc = store_count(e, q, 1u << PPTAP_EVENT_CLICKS_PERMITTED, &permitted);
    rc = rc != 0 ? rc : store_count(e, q, 1u << PPTAP_EVENT_CLICKS_BLOCKED, &blocked);
    rc = rc != 0 ? rc : store_count(e, q, 1u << PPTAP_EVENT_MESSAGES_DELIVERED, &delivered);
    rc = rc != 0 ? rc : store_count(e, q, 1u << PPTAP_EVENT_MESSAGES_BLOCKED, &blocked_msgs);
    json_t *clicks = NULL, *messages = NULL;
    rc = rc != 0 ? rc : store_events(e, q, SE_CLICKS, e->max_events, &clicks);
    rc = rc != 0 ? rc : store_events(e, q, SE_MESSAGES, e->max_events, &messages);
    if (rc != 0) {
        json_decref(clicks);
        return rc;
    }
    json_object_set_new(props, PREFIX "clicks_permitted", json_integer((json_int_t)permitted));
    json_object_set_new(props, PREFIX "clicks_blocked", json_integer((json_int_t)blocked));
    json_object_set_new(props, PREFIX "messages_delivered", json_integer((json_int_t)delivered));
    json_object_set_new(props, PREFIX "messages_blocked", json_integer((json_int_t)blocked_msgs));
    json_t *last = json_object_get(json_array_get(clicks, 0), "clickTime");
    if (last != NULL) {
        json_object_set(props, PREFIX "last_click_time", last);
    }
    json_object_set_new(detail, "recent_clicks", briefs(clicks));
    json_object_set_new(detail, "recent_messages", briefs(messages));
    json_decref(clicks);
    json_decref(messages);
    *known = permitted + blocked + delivered + blocked_msgs > 0;

    if (act_bool(e->ctx, "Check People")) {
        ask_people(e);
        const pptap_person *v = person(e->vap, addr);
        const pptap_person *t = person(e->top, addr);
        if (e->vap != NULL) {
            json_object_set_new(props, PREFIX "is_vap", json_boolean(v != NULL));
            if (v != NULL) {
                json_object_set_new(props, PREFIX "attack_index",
                                    json_integer((json_int_t)v->attack_index));
                json_object_set(detail, "vap", v->raw);
                *known = 1;
            }
        } else {
            json_object_set_new(detail, "vap_error", json_string(e->vap_err));
        }
        if (e->top != NULL) {
            json_object_set_new(props, PREFIX "is_top_clicker", json_boolean(t != NULL));
            if (t != NULL) {
                json_object_set_new(props, PREFIX "click_count",
                                    json_integer((json_int_t)t->click_count));
                json_object_set(detail, "top_clicker", t->raw);
                *known = 1;
            }
        } else {
            json_object_set_new(detail, "top_clicker_error", json_string(e->top_err));
        }
    }
    return 0;
}

/* The summary of a threat, asked once per run. */
static json_t *summary(enrich *e, const char *id)
{
    json_t *have = json_object_get(e->summaries, id);
    if (have != NULL) {
        return have;
    }
    json_t *v;
    if (e->env->client == NULL) {
        v = json_pack("{s:s}", "error", "no TAP API client");
    } else if (e->n_summaries >= MAX_SUMMARIES) {
        char why[80];
        snprintf(why, sizeof why, "not asked: at most %d threat summaries per run", MAX_SUMMARIES);
        v = json_pack("{s:s}", "error", why);
    } else {
        pptap_threat_summary *ts = NULL;
        int rc = pptap_threat_summary_get(e->env->client, &ts, id);
        e->n_summaries++;
        if (rc == 0) {
            v = json_incref(ts->raw);
        } else if (rc == PPTAP_ENOTFOUND) {
            v = json_pack("{s:s}", "error", "the threat summary API does not know this threat");
        } else {
            char why[640];
            act_api_reason(e->ctx, rc, why, sizeof why);
            v = json_pack("{s:s}", "error", why);
        }
        pptap_threat_summary_free(ts);
    }
    if (v == NULL || json_object_set_new(e->summaries, id, v) != 0) {
        return NULL;
    }
    return v;
}

/* Whether threat entry `th` is about the artifact (decoded URL or hash). */
static int threat_matches(json_t *th, const char *artifact, const char *raw)
{
    const char *t = se_str(th, "threat");
    const char *id = se_str2(th, "threatID", "threatId");
    if (t != NULL && (strcasecmp(t, artifact) == 0 || (raw != NULL && strcmp(t, raw) == 0))) {
        return 1;
    }
    return id != NULL && strcasecmp(id, artifact) == 0; /* an attachment's id is its hash */
}

/* URL or hash: what the store's events say, and threat summaries. */
static int enrich_artifact(enrich *e, const char *value, int is_hash, json_t *props, json_t *detail,
                           int *known)
{
    char decoded[8192];
    const char *artifact = value;
    if (!is_hash && se_decode_link(value, decoded, sizeof decoded) == 0) {
        artifact = decoded;
        json_object_set_new(props, PREFIX "decoded_url", json_string(decoded));
    }
    pptap_store_query q;
    memset(&q, 0, sizeof q);
    q.tenant = e->env->tenant;
    if (is_hash) {
        q.sha256 = value;
    } else {
        q.url = value;
    }
    json_t *events = NULL;
    int rc = store_events(e, q, 0, MAX_SCAN, &events);
    if (rc != 0) {
        return rc;
    }
    json_t *threat_ids = json_array(), *classes = json_array(), *statuses = json_array(),
           *campaigns = json_array(), *recipients = json_array(), *clickers = json_array();
    size_t by_type[PPTAP_EVENT_COUNT_] = {0};
    const char *first = NULL, *last = NULL;
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev)
    {
        pptap_event_type t;
        if (pptap_event_type_parse(&t, se_str(ev, "eventType")) != 0) {
            continue;
        }
        by_type[t]++;
        const char *when = se_str(ev, se_is_click(t) ? "clickTime" : "messageTime");
        if (when != NULL) {
            last = last == NULL || strcmp(when, last) > 0 ? when : last;
            first = first == NULL || strcmp(when, first) < 0 ? when : first;
        }
        if (se_is_click(t)) {
            set_add(clickers, se_str(ev, "recipient"));
            set_add(threat_ids, se_str2(ev, "threatID", "threatId"));
            set_add(classes, se_str(ev, "classification"));
            set_add(statuses, se_str(ev, "threatStatus"));
            set_add(campaigns, se_str2(ev, "campaignId", "campaignID"));
            continue;
        }
        json_t *r = json_object_get(ev, "recipient");
        if (json_is_string(r)) {
            set_add(recipients, json_string_value(r));
        }
        size_t k;
        json_t *x;
        json_array_foreach(r, k, x)
        {
            set_add(recipients, json_string_value(x));
        }
        json_array_foreach(json_object_get(ev, "threatsInfoMap"), k, x)
        {
            if (!threat_matches(x, artifact, value)) {
                continue;
            }
            set_add(threat_ids, se_str2(x, "threatID", "threatId"));
            set_add(classes, se_str(x, "classification"));
            set_add(statuses, se_str(x, "threatStatus"));
            set_add(campaigns, se_str2(x, "campaignID", "campaignId"));
        }
    }
    size_t n = json_array_size(events);
    *known = n > 0;
    if (n > 0) {
        json_object_set_new(props, PREFIX "events", json_integer((json_int_t)n));
        json_object_set_new(props, PREFIX "messages_delivered",
                            json_integer((json_int_t)by_type[PPTAP_EVENT_MESSAGES_DELIVERED]));
        json_object_set_new(props, PREFIX "messages_blocked",
                            json_integer((json_int_t)by_type[PPTAP_EVENT_MESSAGES_BLOCKED]));
        json_object_set_new(props, PREFIX "clicks_permitted",
                            json_integer((json_int_t)by_type[PPTAP_EVENT_CLICKS_PERMITTED]));
        json_object_set_new(props, PREFIX "clicks_blocked",
                            json_integer((json_int_t)by_type[PPTAP_EVENT_CLICKS_BLOCKED]));
        json_object_set_new(props, PREFIX "recipients",
                            json_integer((json_int_t)json_array_size(recipients)));
        json_object_set_new(props, PREFIX "clickers",
                            json_integer((json_int_t)json_array_size(clickers)));
        char *s;
        const struct {
            const char *key;
            json_t *set;
        } lists[] = {{PREFIX "threat_ids", threat_ids},
                     {PREFIX "classifications", classes},
                     {PREFIX "threat_statuses", statuses},
                     {PREFIX "campaign_ids", campaigns}};
        for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
            if (json_array_size(lists[l].set) > 0 && (s = act_join(lists[l].set, ",")) != NULL) {
                json_object_set_new(props, lists[l].key, json_string(s));
                free(s);
            }
        }
        json_object_set_new(props, PREFIX "first_event_time",
                            json_string(first != NULL ? first : ""));
        json_object_set_new(props, PREFIX "last_event_time", json_string(last != NULL ? last : ""));
    }
    if (n >= MAX_SCAN) {
        json_object_set_new(detail, "truncated_at", json_integer(MAX_SCAN));
    }
    json_t *tid;
    json_array_foreach(threat_ids, i, tid)
    {
        if (!e->fetch_summaries) {
            break;
        }
        if (summary(e, json_string_value(tid)) == NULL) {
            json_decref(events);
            json_decref(threat_ids);
            json_decref(classes);
            json_decref(statuses);
            json_decref(campaigns);
            json_decref(recipients);
            json_decref(clickers);
            snprintf(e->err, sizeof e->err, "out of memory");
            return PPTAP_ENOMEM;
        }
    }
    json_t *recent = json_array();
    for (i = 0; i < n && i < e->max_events; i++) {
        json_array_append_new(recent, brief(json_array_get(events, i)));
    }
    json_object_set_new(detail, "threat_ids", threat_ids);
    json_object_set_new(detail, "campaign_ids", campaigns);
    json_object_set_new(detail, "recipients", recipients);
    json_object_set_new(detail, "clickers", clickers);
    json_object_set_new(detail, "recent_events", recent);
    json_decref(classes);
    json_decref(statuses);
    json_decref(events);
    return 0;
}

/* --- insight ------------------------------------------------------------- */

static int insight(enrich *e, const act_entity *ent, json_t *props)
{
    pptap_buf b = PPTAP_BUF_INIT;
    act_put(&b, "<table>");
    const char *key;
    json_t *v;
    int warn = 0;
    json_object_foreach(props, key, v)
    {
        char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        const char *shown = json_is_string(v) ? json_string_value(v) : text;
        act_put(&b, "<tr><td>");
        act_html(&b, key + strlen(PREFIX));
        act_put(&b, "</td><td>");
        act_html(&b, shown);
        act_put(&b, "</td></tr>");
        free(text);
    }
    act_put(&b, "</table>");
    json_t *st = json_object_get(props, PREFIX "threat_statuses");
    warn = json_is_true(json_object_get(props, PREFIX "is_vap")) ||
           json_is_true(json_object_get(props, PREFIX "is_top_clicker")) ||
           (json_is_string(st) && strstr(json_string_value(st), "active") != NULL) ||
           json_integer_value(json_object_get(props, PREFIX "clicks_permitted")) > 0;
    char title[300];
    snprintf(title, sizeof title, "ProofPoint TAP: %.250s", ent->identifier);
    int rc = b.ptr != NULL ? act_insight(e->ctx, title, warn ? "Warning" : "Informational",
                                         "Entity", b.ptr, ent->identifier)
                           : -1;
    pptap_buf_dispose(&b);
    return rc;
}

/* --- the run ------------------------------------------------------------- */

static int run(action_ctx *ctx)
{
    enrich e;
    memset(&e, 0, sizeof e);
    e.ctx = ctx;
    e.env = act_env(ctx);
    e.max_events = (size_t)act_int(ctx, "Max Events Per Entity");
    e.fetch_summaries = act_bool(ctx, "Fetch Threat Summary");
    e.summaries = json_object();
    json_t *results = json_array(), *found = json_array(), *missing = json_array();
    int rc = 0;
    if (e.summaries == NULL || results == NULL || found == NULL || missing == NULL) {
        rc = act_fail(ctx, 70, "out of memory");
        goto out;
    }
    int create_insight = act_bool(ctx, "Create Insight");
    for (size_t i = 0; i < act_entity_count(ctx); i++) {
        const act_entity *ent = act_entity_at(ctx, i);
        const char *value = ent->original;
        json_t *props = json_object(), *detail = json_object();
        int known = 0, err = 0;
        const char *why = NULL;
        if (strcmp(ent->entity_type, "USERUNIQNAME") == 0) {
            if (strchr(value, '@') == NULL) {
                why = "not an e-mail address";
            } else {
                err = enrich_user(&e, value, props, detail, &known);
            }
        } else if (strcmp(ent->entity_type, "URL") == 0) {
            err = enrich_artifact(&e, value, 0, props, detail, &known);
        } else if (strcmp(ent->entity_type, "FILEHASH") == 0) {
            if (is_hex(value, 64)) {
                err = enrich_artifact(&e, value, 1, props, detail, &known);
            } else {
                why = "only SHA-256 hashes are searched (TAP events index them)";
            }
        } else {
            json_decref(props);
            json_decref(detail);
            continue; /* not an entity type of this action */
        }
        if (err != 0) {
            json_decref(props);
            json_decref(detail);
            rc = act_fail(ctx, act_exit_code(err), "%s", e.err[0] ? e.err : pptap_strerror(err));
            goto out;
        }
        json_t *r = json_pack("{s:s, s:s, s:b, s:o, s:o}", "Entity", ent->identifier, "EntityType",
                              ent->entity_type, "found", known, "enrichment", props, "EntityResult",
                              detail);
        if (r == NULL) {
            rc = act_fail(ctx, 70, "out of memory");
            goto out;
        }
        if (why != NULL) {
            json_object_set_new(r, "reason", json_string(why));
        }
        json_array_append_new(results, r);
        json_array_append_new(known ? found : missing, json_string(ent->identifier));
        if (known && create_insight && insight(&e, ent, props) != 0) {
            rc = act_fail(ctx, 70, "out of memory");
            goto out;
        }
    }
    act_set_json(ctx, json_pack("{s:O, s:O, s:O}", "results", results, "not_found", missing,
                                "threat_summaries", e.summaries));
    act_set_value(ctx, json_array_size(found) > 0);
    if (json_array_size(results) == 0) {
        act_message(ctx, "No entities to enrich: the scope holds no USERUNIQNAME, URL or FILEHASH "
                         "entity.");
    } else if (json_array_size(found) > 0) {
        act_message_list(ctx, "Successfully enriched the following entities using ProofPoint TAP",
                         found);
        act_message_list(ctx,
                         "Action wasn't able to find information in ProofPoint TAP for the "
                         "following entities",
                         missing);
    } else {
        act_message(ctx, "None of the provided entities were found in ProofPoint TAP.");
    }
    if (e.people_asked && (e.vap == NULL || e.top == NULL)) {
        act_message(ctx, "VAP and top-clicker status is incomplete: %s",
                    e.vap == NULL ? e.vap_err : e.top_err);
    }
out:
    pptap_people_free(e.vap);
    pptap_people_free(e.top);
    json_decref(e.summaries);
    json_decref(results);
    json_decref(found);
    json_decref(missing);
    return rc;
}

const action_def action_enrich_entities = {
    .name = "Enrich Entities",
    .cli_name = "enrich-entities",
    .tool_name = "proof_point_tap_enrich_entities",
    .description =
        "Enriches the entities in scope with what TAP knows: for users (e-mail addresses), "
        "Very Attacked People and top-clicker status and their clicks and messages in the local "
        "store; for URLs (rewritten ones decoded) and SHA-256 file hashes, the threats, "
        "campaigns, recipients and clickers found in the local store and the threat summary of "
        "each threat.",
    .result_name = "is_success",
    .params = ACTION_PARAMS(params),
    .entity_types = entity_types,
    .needs = ACTION_NEEDS_STORE,
    .err_style = ACTION_ERR_QUOTED,
    .cost = "With user entities, one GET /v2/people/vap (pool vap, 50 per 24 hours) and one GET "
            "/v2/people/top-clickers per run; one GET /v2/threat/summary/{id} (not throttled) per "
            "threat found, at most 20 per run; the rest from the local store.",
    .outputs =
        "{\"json_result\": {\"results\": [{\"Entity\": \"\", \"EntityType\": \"\", \"found\":"
        " true, \"enrichment\": {\"ProofPointTAP_is_vap\": false,"
        " \"ProofPointTAP_attack_index\": 0, \"ProofPointTAP_is_top_clicker\": false,"
        " \"ProofPointTAP_click_count\": 0, \"ProofPointTAP_clicks_permitted\": 0,"
        " \"ProofPointTAP_clicks_blocked\": 0, \"ProofPointTAP_messages_delivered\": 0,"
        " \"ProofPointTAP_messages_blocked\": 0, \"ProofPointTAP_last_click_time\": \"\","
        " \"ProofPointTAP_decoded_url\": \"\", \"ProofPointTAP_events\": 0,"
        " \"ProofPointTAP_recipients\": 0, \"ProofPointTAP_clickers\": 0,"
        " \"ProofPointTAP_threat_ids\": \"\", \"ProofPointTAP_classifications\": \"\","
        " \"ProofPointTAP_threat_statuses\": \"\", \"ProofPointTAP_campaign_ids\": \"\","
        " \"ProofPointTAP_first_event_time\": \"\", \"ProofPointTAP_last_event_time\": \"\"},"
        " \"EntityResult\": {\"recent_clicks\": [], \"recent_messages\": [], \"vap\": {},"
        " \"top_clicker\": {}, \"threat_ids\": [], \"campaign_ids\": [], \"recipients\": [],"
        " \"clickers\": [], \"recent_events\": []}, \"reason\": \"why an entity was not"
        " searched\"}], \"not_found\": [], \"threat_summaries\": {\"<threat id>\": \"the API's"
        " summary, or {error}\"}}, \"insights\": \"one per entity found\", \"result_value\":"
        " \"true when an entity was found\", \"messages\": [\"Successfully enriched the"
        " following entities using ProofPoint TAP: ...\", \"Action wasn't able to find"
        " information in ProofPoint TAP for the following entities: ...\", \"None of the"
        " provided entities were found in ProofPoint TAP.\", \"VAP and top-clicker status is"
        " incomplete: <reason>\"]}",
    .run = run,
};
