/*
 * Get Click Forensics: clicks on a URL or by a user, from the local store,
 * each with the threat as it stood at click time.
 *
 * A click event carries the threat of its URL (threatID, classification,
 * threatStatus, threatTime); the message it came in (same GUID) carries the
 * threatsInfoMap entry of that threat. "At click time" compares threatTime
 * with clickTime: a threat identified before the click was known when the
 * user clicked (a permitted click then is a policy question); one identified
 * after it was not (the usual case for permitted clicks). The store keeps
 * each event as last collected, so the status shown is the latest one
 * collected; an event whose verdict changed since its first collection says
 * so (statusChangedSinceFirstSeen).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "action_impl.h"
#include "store_events.h"

static const char *const click_types[] = {"All", "Clicks Permitted", "Clicks Blocked", NULL};

static const action_param params[] = {
    {"URL", "url", AP_STRING, 0, NULL, NULL, 0, 0,
     "Comma-separated URLs (rewritten URL Defense links are decoded) whose clicks to return."},
    {"User", "user", AP_STRING, 0, NULL, NULL, 0, 0,
     "Comma-separated e-mail addresses whose clicks to return."},
    {"Click Type", "click_type", AP_CHOICE, 0, "All", click_types, 0, 0,
     "All clicks, or only permitted or blocked ones."},
    {"Max Results To Return", "max_results_to_return", AP_INT, 1, "50", NULL, 1, 1000,
     "At most this many clicks per URL or user, the newest first."},
    {"Create Insight", "create_insight", AP_BOOL, 0, "true", NULL, 0, 0,
     "One insight per URL or user with clicks."},
};

static const char *const entity_types[] = {"URL", "USERUNIQNAME", NULL};

typedef struct {
    action_ctx *ctx;
    pptap_store *st;
    const char *tenant;
    unsigned types;
    size_t max;
    json_t *messages; /* GUID -> threatsInfoMap of its message (or null) */
    char err[PPTAP_ERRMSG_LEN];
} forensics;

static pptap_time_ms time_field(json_t *o, const char *key)
{
    const char *s = se_str(o, key);
    pptap_time_ms t;
    return s != NULL && pptap_time_parse(&t, s, strlen(s)) == 0 ? t : PPTAP_TIME_NONE;
}

/* The message of a GUID in the store: {subject, sender, messageTime,
 * threatsInfoMap} of its first message event, or null. */
static json_t *message_of(forensics *f, const char *guid)
{
    json_t *have = json_object_get(f->messages, guid);
    if (have != NULL) {
        return have;
    }
    pptap_store_query q;
    memset(&q, 0, sizeof q);
    q.tenant = f->tenant;
    q.guid = guid;
    q.types = SE_MESSAGES;
    se_result r;
    memset(&r, 0, sizeof r);
    r.max = 1;
    r.events = json_array();
    if (r.events == NULL || se_search(f->st, &q, &r, f->err, sizeof f->err) != 0) {
        json_decref(r.events);
        return NULL;
    }
    json_t *ev = json_array_get(r.events, 0);
    json_t *m = json_null();
    if (ev != NULL) {
        m = json_object();
        const char *keys[] = {"subject", "sender", "messageTime", "eventType", "threatsInfoMap"};
        for (size_t i = 0; m != NULL && i < sizeof keys / sizeof keys[0]; i++) {
            json_t *v = json_object_get(ev, keys[i]);
            json_object_set(m, keys[i], v != NULL ? v : json_null());
        }
    }
    json_decref(r.events);
    if (m == NULL || json_object_set_new(f->messages, guid, m) != 0) {
        snprintf(f->err, sizeof f->err, "out of memory");
        return NULL;
    }
    return m;
}

/* The threatsInfoMap entry of threat `id` in a message, or NULL. */
static json_t *threat_in(json_t *message, const char *id)
{
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(message, "threatsInfoMap"), i, x)
    {
        const char *tid = se_str2(x, "threatID", "threatId");
        if (id != NULL && tid != NULL && strcasecmp(tid, id) == 0) {
            return x;
        }
    }
    return NULL;
}

/* One click with its threat at click time. */
static json_t *click_record(forensics *f, json_t *ev, const char *target, const char *by)
{
    const char *url = se_str(ev, "url");
    char decoded[4096];
    int rewritten = se_decode_link(url, decoded, sizeof decoded) == 0;
    pptap_time_ms clicked = time_field(ev, "clickTime");
    pptap_time_ms identified = time_field(ev, "threatTime");
    int known =
        clicked != PPTAP_TIME_NONE && identified != PPTAP_TIME_NONE && identified <= clicked;
    const char *threat_id = se_str2(ev, "threatID", "threatId");
    json_t *at = json_pack("{s:b, s:s?, s:s?, s:s?, s:s?}", "threatKnown", known, "verdict",
                           known ? se_str(ev, "classification") : "not yet identified", "threatID",
                           threat_id, "threatTime", se_str(ev, "threatTime"), "threatStatusNow",
                           se_str(ev, "threatStatus"));
    if (at == NULL) {
        return NULL;
    }
    if (clicked != PPTAP_TIME_NONE && identified != PPTAP_TIME_NONE) {
        json_object_set_new(at, "identifiedAfterClickSeconds",
                            json_integer((json_int_t)((identified - clicked) / 1000)));
    }
    const char *guid = se_str(ev, "GUID");
    json_t *msg = guid != NULL ? message_of(f, guid) : json_null();
    if (msg == NULL) {
        json_decref(at);
        return NULL;
    }
    json_t *entry = threat_in(msg, threat_id);
    json_object_set(at, "threatsInfoMap", entry != NULL ? entry : json_null());
    json_t *meta = json_object_get(ev, "pptapStore");
    json_object_set_new(at, "statusChangedSinceFirstSeen",
                        json_boolean(json_integer_value(json_object_get(meta, "updates")) > 0));
    json_object_set(at, "firstSeen",
                    json_object_get(meta, "firstSeen") != NULL ? json_object_get(meta, "firstSeen")
                                                               : json_null());
    json_t *rec = json_pack(
        "{s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:o, s:O}",
        "target", target, "by", by, "clickTime", se_str(ev, "clickTime"), "url", url, "decodedUrl",
        rewritten ? decoded : NULL, "recipient", se_str(ev, "recipient"), "clickIP",
        se_str(ev, "clickIP"), "userAgent", se_str(ev, "userAgent"), "eventType",
        se_str(ev, "eventType"), "GUID", guid, "messageID", se_str(ev, "messageID"),
        "classification", se_str(ev, "classification"), "campaignId",
        se_str2(ev, "campaignId", "campaignID"), "threatAtClickTime", at, "message",
        json_is_object(msg)
            ? json_pack("{s:O, s:O, s:O, s:O}", "subject", json_object_get(msg, "subject"),
                        "sender", json_object_get(msg, "sender"), "messageTime",
                        json_object_get(msg, "messageTime"), "eventType",
                        json_object_get(msg, "eventType"))
            : json_null());
    if (rec != NULL) {
        json_object_del(ev, "pptapStore");
        json_object_set(rec, "event", ev);
    }
    return rec;
}

/* Clicks of one target; appends records to `out`. Returns the number of
 * clicks or a negative PPTAP_E* code. */
static int clicks_of(forensics *f, const char *target, int by_user, json_t *out)
{
    pptap_store_query q;
    memset(&q, 0, sizeof q);
    q.tenant = f->tenant;
    q.types = f->types;
    if (by_user) {
        q.recipient = target;
    } else {
        q.url = target;
    }
    se_result r;
    memset(&r, 0, sizeof r);
    r.max = f->max;
    r.meta = 1;
    r.events = json_array();
    if (r.events == NULL) {
        return PPTAP_ENOMEM;
    }
    int rc = se_search(f->st, &q, &r, f->err, sizeof f->err);
    size_t i;
    json_t *ev;
    json_array_foreach(r.events, i, ev)
    {
        if (rc != 0) {
            break;
        }
        json_t *rec = click_record(f, ev, target, by_user ? "user" : "url");
        if (rec == NULL || json_array_append_new(out, rec) != 0) {
            rc = PPTAP_ENOMEM;
            if (f->err[0] == '\0') {
                snprintf(f->err, sizeof f->err, "out of memory");
            }
        }
    }
    json_decref(r.events);
    return rc != 0 ? rc : (int)i;
}

static int insight(forensics *f, const char *target, json_t *recs, size_t from)
{
    size_t permitted = 0, blocked = 0, before = 0, n = json_array_size(recs) - from;
    json_t *users = json_array();
    for (size_t i = from; i < json_array_size(recs); i++) {
        json_t *r = json_array_get(recs, i);
        const char *type = se_str(r, "eventType");
        int p = type != NULL && strcmp(type, "clicksPermitted") == 0;
        permitted += p;
        blocked += !p;
        before += p && !json_is_true(
                           json_object_get(json_object_get(r, "threatAtClickTime"), "threatKnown"));
        json_t *u = json_object_get(r, "recipient");
        size_t k;
        json_t *x;
        int seen = !json_is_string(u);
        json_array_foreach(users, k, x)
        {
            seen |= json_equal(x, u);
        }
        if (!seen) {
            json_array_append(users, u);
        }
    }
    pptap_buf b = PPTAP_BUF_INIT;
    char line[256];
    snprintf(line, sizeof line,
             "<p>%zu click%s in the local TAP event store: %zu permitted, %zu blocked; %zu "
             "permitted before the threat was identified.</p><p>Users: ",
             n, n == 1 ? "" : "s", permitted, blocked, before);
    act_put(&b, line);
    char *who = act_join(users, ", ");
    act_html(&b, who);
    free(who);
    act_put(&b, "</p><ul>");
    for (size_t i = from; i < json_array_size(recs) && i < from + 10; i++) {
        json_t *r = json_array_get(recs, i);
        json_t *at = json_object_get(r, "threatAtClickTime");
        act_put(&b, "<li>");
        act_html(&b, se_str(r, "clickTime"));
        act_put(&b, " ");
        act_html(&b, se_str(r, "recipient"));
        act_put(&b, ": ");
        act_html(&b, se_str(r, "eventType"));
        act_put(&b, ", ");
        act_html(&b, json_is_true(json_object_get(at, "threatKnown"))
                         ? "threat known"
                         : "threat not yet identified");
        act_put(&b, " (");
        act_html(&b, se_str(r, "classification"));
        act_put(&b, ", now ");
        act_html(&b, se_str(at, "threatStatusNow"));
        act_put(&b, ")</li>");
    }
    act_put(&b, "</ul>");
    char title[300];
    snprintf(title, sizeof title, "Clicks: %.250s", target);
    int rc = b.ptr != NULL ? act_insight(f->ctx, title, before > 0 ? "Warning" : "Informational",
                                         "Entity", b.ptr, target)
                           : -1;
    pptap_buf_dispose(&b);
    json_decref(users);
    return rc;
}

static int table(action_ctx *ctx, json_t *recs)
{
    static const char *const cols[] = {"Click Time",
                                       "Recipient",
                                       "URL",
                                       "Event Type",
                                       "Classification",
                                       "Threat Known At Click",
                                       "Threat Time",
                                       "Threat Status",
                                       "Click IP",
                                       "Message GUID",
                                       NULL};
    json_t *rows = act_table(ctx, "Click Forensics", cols);
    if (rows == NULL) {
        return -1;
    }
    size_t i;
    json_t *r;
    json_array_foreach(recs, i, r)
    {
        json_t *at = json_object_get(r, "threatAtClickTime");
        const char *cells[] = {se_str(r, "clickTime"),
                               se_str(r, "recipient"),
                               se_str(r, "decodedUrl") ? se_str(r, "decodedUrl") : se_str(r, "url"),
                               se_str(r, "eventType"),
                               se_str(r, "classification"),
                               json_is_true(json_object_get(at, "threatKnown")) ? "true" : "false",
                               se_str(at, "threatTime"),
                               se_str(at, "threatStatusNow"),
                               se_str(r, "clickIP"),
                               se_str(r, "GUID")};
        if (act_row(rows, 10, cells) != 0) {
            return -1;
        }
    }
    return 0;
}

static int run(action_ctx *ctx)
{
    const actions_env *env = act_env(ctx);
    forensics f;
    memset(&f, 0, sizeof f);
    f.ctx = ctx;
    f.st = env->store;
    f.tenant = env->tenant;
    f.max = (size_t)act_int(ctx, "Max Results To Return");
    const char *type = act_str(ctx, "Click Type");
    f.types = strcmp(type, "Clicks Permitted") == 0 ? 1u << PPTAP_EVENT_CLICKS_PERMITTED
              : strcmp(type, "Clicks Blocked") == 0 ? 1u << PPTAP_EVENT_CLICKS_BLOCKED
                                                    : SE_CLICKS;
    /* targets: [url or user, by_user] */
    json_t *urls = act_split_csv(act_str(ctx, "URL"));
    json_t *users = act_split_csv(act_str(ctx, "User"));
    f.messages = json_object();
    json_t *recs = json_array(), *found = json_array(), *missing = json_array();
    int rc = 0;
    if (urls == NULL || users == NULL || f.messages == NULL || recs == NULL || found == NULL ||
        missing == NULL) {
        rc = act_fail(ctx, 70, "out of memory");
        goto out;
    }
    for (size_t e = 0; e < act_entity_count(ctx); e++) {
        const act_entity *ent = act_entity_at(ctx, e);
        json_t *to = strcmp(ent->entity_type, "URL") == 0            ? urls
                     : strcmp(ent->entity_type, "USERUNIQNAME") == 0 ? users
                                                                     : NULL;
        if (to != NULL) {
            json_array_append_new(to, json_string(ent->original));
        }
    }
    if (json_array_size(urls) == 0 && json_array_size(users) == 0) {
        rc = act_fail(ctx, 64, "Give \"URL\" or \"User\", or URL or USERUNIQNAME entities.");
        goto out;
    }
    int create_insight = act_bool(ctx, "Create Insight");
    json_t *lists[2] = {urls, users};
    for (int by_user = 0; by_user < 2; by_user++) {
        size_t i;
        json_t *t;
        json_array_foreach(lists[by_user], i, t)
        {
            const char *target = json_string_value(t);
            int dup = 0;
            for (size_t k = 0; k < i; k++) {
                dup |=
                    strcasecmp(json_string_value(json_array_get(lists[by_user], k)), target) == 0;
            }
            if (dup) {
                continue;
            }
            size_t before = json_array_size(recs);
            int n = clicks_of(&f, target, by_user, recs);
            if (n < 0) {
                rc = act_fail(ctx, act_exit_code(n), "%s", f.err);
                goto out;
            }
            json_array_append_new(n > 0 ? found : missing, json_string(target));
            if (n > 0 && create_insight && insight(&f, target, recs, before) != 0) {
                rc = act_fail(ctx, 70, "out of memory");
                goto out;
            }
        }
    }
    if (table(ctx, recs) != 0) {
        rc = act_fail(ctx, 70, "out of memory");
        goto out;
    }
    act_set_json(ctx, json_pack("{s:O, s:O}", "clicks", recs, "not_found", missing));
    act_outcome(ctx, found,
                "Successfully found clicks for the following URLs and users in the local TAP "
                "event store",
                missing,
                "No clicks were found for the following URLs and users in the local TAP event "
                "store",
                "No clicks were found in the local TAP event store for the provided URLs and "
                "users.");
out:
    json_decref(urls);
    json_decref(users);
    json_decref(f.messages);
    json_decref(recs);
    json_decref(found);
    json_decref(missing);
    return rc;
}

const action_def action_get_click_forensics = {
    .name = "Get Click Forensics",
    .cli_name = "get-click-forensics",
    .tool_name = "proof_point_tap_get_click_forensics",
    .description =
        "Clicks on URLs or by users, from the local event store, newest first, each with the "
        "threat as it stood at click time: whether it had been identified before the click, its "
        "classification, its status as last collected and the threatsInfoMap entry of the "
        "message it came in.",
    .result_name = "is_success",
    .params = ACTION_PARAMS(params),
    .entity_types = entity_types,
    .needs = ACTION_NEEDS_STORE,
    .err_style = ACTION_ERR_QUOTED,
    .cost = "No API request: the local store only.",
    .outputs =
        "{\"json_result\": {\"clicks\": [{\"target\": \"the URL or user asked\", \"by\": \"url |"
        " user\", \"clickTime\": \"\", \"url\": \"\", \"decodedUrl\": \"when rewritten\","
        " \"recipient\": \"\", \"clickIP\": \"\", \"userAgent\": \"\", \"eventType\":"
        " \"clicksPermitted | clicksBlocked\", \"GUID\": \"\", \"classification\": \"\","
        " \"threatAtClickTime\": {\"threatKnown\": true, \"verdict\": \"classification, or not"
        " yet identified\", \"threatID\": \"\", \"threatTime\": \"\", \"threatStatusNow\": \"\","
        " \"identifiedAfterClickSeconds\": 0, \"threatsInfoMap\": \"the message's entry\","
        " \"statusChangedSinceFirstSeen\": false, \"firstSeen\": \"first collected\"},"
        " \"message\": {\"subject\": \"\", \"sender\": \"\", \"messageTime\": \"\"}, \"event\":"
        " \"the raw click\"}], \"not_found\": []}, \"data_tables\": [\"Click Forensics\"],"
        " \"insights\": \"one per URL or user with clicks\", \"result_value\": \"true when a"
        " click was found\", \"messages\": [\"Successfully found clicks for the following URLs"
        " and users in the local TAP event store: ...\", \"No clicks were found for the"
        " following URLs and users in the local TAP event store: ...\", \"No clicks were found"
        " in the local TAP event store for the provided URLs and users.\"]}",
    .run = run,
};
