/*
 * Get Message Details: everything TAP recorded about a message, from the
 * local store, by PPS GUID or Message-ID (parameters and GENERICENTITY
 * entities). A message is one GUID: each recipient's delivered or blocked
 * event, its parts and their hashes, its threats, and the clicks on its
 * URLs (click events carry the message's GUID). A Message-ID leads to every
 * GUID that carries it (a message sent twice has two).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "action_impl.h"
#include "store_events.h"

#define MAX_EVENTS_PER_MESSAGE 10000

static const action_param params[] = {
    {"Message GUID", "message_guid", AP_STRING, 0, NULL, NULL, 0, 0,
     "Comma-separated PPS message GUIDs."},
    {"Message ID", "message_id", AP_STRING, 0, NULL, NULL, 0, 0,
     "Comma-separated Message-ID header values (angle brackets optional)."},
};

static const char *const entity_types[] = {"GENERICENTITY", NULL};

/* Header fields of a message, taken from the first event that has them
 * (a late-condemned event has most of them null). */
static const char *const header_fields[] = {
    "messageID",   "subject",        "sender",      "senderIP",
    "headerFrom",  "headerReplyTo",  "fromAddress", "toAddresses",
    "ccAddresses", "replyToAddress", "messageTime", "messageSize",
    "QID",         "cluster",        "xmailer",     NULL,
};

/* Per-recipient fields of a message event. */
static const char *const recipient_fields[] = {
    "id",           "messageTime",  "quarantineFolder",    "quarantineRule",
    "policyRoutes", "modulesRun",   "completelyRewritten", "spamScore",
    "phishScore",   "malwareScore", "impostorScore",       NULL,
};

static int is_empty(json_t *v)
{
    return v == NULL || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0) ||
           (json_is_array(v) && json_array_size(v) == 0);
}

/* A Message-ID as a user might paste it: with or without brackets. */
static int looks_like_message_id(const char *s)
{
    return strchr(s, '@') != NULL || s[0] == '<';
}

typedef struct {
    action_ctx *ctx;
    pptap_store *st;
    const char *tenant;
    json_t *messages; /* GUID -> message object, in order of discovery */
    json_t *order;    /* GUIDs */
    char err[PPTAP_ERRMSG_LEN];
} details;

static int search_events(details *d, const char *guid, const char *message_id, json_t **out)
{
    pptap_store_query q;
    memset(&q, 0, sizeof q);
    q.tenant = d->tenant;
    q.guid = guid;
    q.message_id = message_id;
    q.limit = MAX_EVENTS_PER_MESSAGE;
    se_result r;
    memset(&r, 0, sizeof r);
    r.events = json_array();
    if (r.events == NULL) {
        return PPTAP_ENOMEM;
    }
    int rc = se_search(d->st, &q, &r, d->err, sizeof d->err);
    if (rc != 0) {
        json_decref(r.events);
        return rc;
    }
    *out = r.events;
    return 0;
}

/* Appends `v` to `list` unless an element has the same value of `key`
 * (compared without case), or is equal when key is NULL. */
static int add_unique(json_t *list, json_t *v, const char *key)
{
    size_t i;
    json_t *x;
    const char *kv = key != NULL ? se_str(v, key) : NULL;
    json_array_foreach(list, i, x)
    {
        if (key == NULL
                ? json_equal(x, v)
                : kv != NULL && se_str(x, key) != NULL && strcasecmp(se_str(x, key), kv) == 0) {
            return 0;
        }
    }
    return json_array_append(list, v);
}

/* Builds the message object of one GUID from its events. */
static json_t *build_message(const char *guid, json_t *events)
{
    json_t *m = json_pack("{s:s, s:[], s:[], s:[], s:[]}", "GUID", guid, "recipients", "parts",
                          "threats", "clicks");
    if (m == NULL) {
        return NULL;
    }
    json_t *recipients = json_object_get(m, "recipients");
    json_t *parts = json_object_get(m, "parts");
    json_t *threats = json_object_get(m, "threats");
    json_t *clicks = json_object_get(m, "clicks");
    int fail = 0;
    /* oldest first reads better for a message's life */
    for (size_t k = json_array_size(events); k-- > 0 && !fail;) {
        json_t *ev = json_array_get(events, k);
        const char *type = se_str(ev, "eventType");
        pptap_event_type t;
        if (type == NULL || pptap_event_type_parse(&t, type) != 0) {
            continue;
        }
        if (se_is_click(t)) {
            fail = json_array_append(clicks, ev) != 0;
            if (json_object_get(m, "messageID") == NULL &&
                !is_empty(json_object_get(ev, "messageID"))) {
                fail = fail || json_object_set(m, "messageID", json_object_get(ev, "messageID"));
            }
            continue;
        }
        for (size_t f = 0; header_fields[f] != NULL; f++) {
            json_t *v = json_object_get(ev, header_fields[f]);
            json_t *have = json_object_get(m, header_fields[f]);
            if (!is_empty(v) && (have == NULL || is_empty(have))) {
                fail = fail || json_object_set(m, header_fields[f], v) != 0;
            }
        }
        json_t *rcpts = json_object_get(ev, "recipient");
        json_t *one = json_is_string(rcpts) ? rcpts : NULL;
        size_t n = json_is_array(rcpts) ? json_array_size(rcpts) : one != NULL;
        for (size_t i = 0; i < n && !fail; i++) {
            json_t *addr = one != NULL ? one : json_array_get(rcpts, i);
            json_t *r = json_pack("{s:O, s:s, s:s}", "recipient", addr, "status",
                                  t == PPTAP_EVENT_MESSAGES_DELIVERED ? "delivered" : "blocked",
                                  "eventType", type);
            for (size_t f = 0; r != NULL && recipient_fields[f] != NULL; f++) {
                json_t *v = json_object_get(ev, recipient_fields[f]);
                if (v != NULL) {
                    json_object_set(r, recipient_fields[f], v);
                }
            }
            fail = r == NULL || json_array_append_new(recipients, r) != 0;
        }
        size_t i;
        json_t *x;
        json_array_foreach(json_object_get(ev, "messageParts"), i, x)
        {
            fail = fail || add_unique(parts, x, json_object_get(x, "sha256") ? "sha256" : NULL);
        }
        json_array_foreach(json_object_get(ev, "threatsInfoMap"), i, x)
        {
            const char *id = se_str2(x, "threatID", "threatId");
            json_t *th = json_deep_copy(x);
            if (th == NULL) {
                fail = 1;
                break;
            }
            if (id != NULL && se_str(th, "threatID") == NULL) {
                json_object_set_new(th, "threatID", json_string(id));
            }
            fail = fail || add_unique(threats, th, "threatID");
            json_decref(th);
        }
    }
    if (fail) {
        json_decref(m);
        return NULL;
    }
    json_object_set_new(m, "events", json_integer((json_int_t)json_array_size(events)));
    /* the same object in reading order: the GUID, the header, the lists */
    json_t *out = json_object();
    const char *lists[] = {"recipients", "parts", "threats", "clicks", "events"};
    fail = out == NULL || json_object_set(out, "GUID", json_object_get(m, "GUID")) != 0;
    for (size_t f = 0; !fail && header_fields[f] != NULL; f++) {
        json_t *v = json_object_get(m, header_fields[f]);
        fail = v != NULL && json_object_set(out, header_fields[f], v) != 0;
    }
    for (size_t l = 0; !fail && l < sizeof lists / sizeof lists[0]; l++) {
        fail = json_object_set(out, lists[l], json_object_get(m, lists[l])) != 0;
    }
    json_decref(m);
    if (fail) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* Finds the GUIDs of a key and adds their messages. Returns the number of
 * messages the key found, or a negative PPTAP_E* code. */
static int find(details *d, const char *key, int by_message_id)
{
    json_t *events = NULL;
    int rc = search_events(d, by_message_id ? NULL : key, by_message_id ? key : NULL, &events);
    if (rc != 0) {
        return rc;
    }
    json_t *guids = json_array();
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev)
    {
        json_t *g = json_object_get(ev, "GUID");
        if (json_is_string(g) && json_string_length(g) > 0) {
            add_unique(guids, g, NULL);
        }
    }
    json_decref(events);
    int found = 0;
    json_t *g;
    json_array_foreach(guids, i, g)
    {
        const char *guid = json_string_value(g);
        found++;
        if (json_object_get(d->messages, guid) != NULL) {
            continue; /* asked twice, by GUID and by Message-ID */
        }
        json_t *all = NULL;
        rc = search_events(d, guid, NULL, &all);
        if (rc != 0) {
            json_decref(guids);
            return rc;
        }
        json_t *m = build_message(guid, all);
        json_decref(all);
        if (m == NULL || json_object_set_new(d->messages, guid, m) != 0 ||
            json_array_append(d->order, g) != 0) {
            json_decref(guids);
            snprintf(d->err, sizeof d->err, "out of memory");
            return PPTAP_ENOMEM;
        }
    }
    json_decref(guids);
    return found;
}

static const char *threat_line(json_t *threats, char *buf, size_t n)
{
    size_t off = 0, i;
    json_t *x;
    buf[0] = '\0';
    json_array_foreach(threats, i, x)
    {
        const char *cls = se_str(x, "classification");
        const char *st = se_str(x, "threatStatus");
        const char *what = se_str(x, "threat");
        int w = snprintf(buf + off, n - off, "%s%s: %s (%s)", i ? "; " : "", cls ? cls : "?",
                         what ? what : "?", st ? st : "?");
        if (w < 0 || (size_t)w >= n - off) {
            break;
        }
        off += (size_t)w;
    }
    return buf;
}

static int tables(details *d)
{
    static const char *const rcols[] = {"GUID",   "Message ID",   "Recipient",
                                        "Status", "Message Time", "Subject",
                                        "Sender", "Threats",      NULL};
    static const char *const pcols[] = {"GUID",   "File Name", "Content Type",   "Disposition",
                                        "SHA256", "MD5",       "Sandbox Status", NULL};
    static const char *const ccols[] = {"GUID",          "Click Time", "Recipient",
                                        "URL",           "Event Type", "Classification",
                                        "Threat Status", "Click IP",   NULL};
    json_t *rr = act_table(d->ctx, "Message Details", rcols);
    json_t *pr = rr != NULL ? act_table(d->ctx, "Message Parts", pcols) : NULL;
    json_t *cr = pr != NULL ? act_table(d->ctx, "Message Clicks", ccols) : NULL;
    if (cr == NULL) {
        return -1;
    }
    size_t i;
    json_t *g;
    json_array_foreach(d->order, i, g)
    {
        json_t *m = json_object_get(d->messages, json_string_value(g));
        const char *guid = json_string_value(g);
        char th[2048];
        threat_line(json_object_get(m, "threats"), th, sizeof th);
        size_t k;
        json_t *x;
        json_array_foreach(json_object_get(m, "recipients"), k, x)
        {
            const char *cells[] = {guid,
                                   se_str(m, "messageID"),
                                   se_str(x, "recipient"),
                                   se_str(x, "status"),
                                   se_str(x, "messageTime"),
                                   se_str(m, "subject"),
                                   se_str(m, "sender"),
                                   th};
            if (act_row(rr, 8, cells) != 0) {
                return -1;
            }
        }
        json_array_foreach(json_object_get(m, "parts"), k, x)
        {
            const char *cells[] = {guid,
                                   se_str(x, "filename"),
                                   se_str(x, "contentType"),
                                   se_str(x, "disposition"),
                                   se_str(x, "sha256"),
                                   se_str(x, "md5"),
                                   se_str(x, "sandboxStatus")};
            if (act_row(pr, 7, cells) != 0) {
                return -1;
            }
        }
        json_array_foreach(json_object_get(m, "clicks"), k, x)
        {
            const char *cells[] = {guid,
                                   se_str(x, "clickTime"),
                                   se_str(x, "recipient"),
                                   se_str(x, "url"),
                                   se_str(x, "eventType"),
                                   se_str(x, "classification"),
                                   se_str(x, "threatStatus"),
                                   se_str(x, "clickIP")};
            if (act_row(cr, 8, cells) != 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* The keys asked for: {"key", "by": "guid"|"message_id"} in order, once each. */
static json_t *keys_of(action_ctx *ctx)
{
    json_t *keys = json_array();
    json_t *guids = act_split_csv(act_str(ctx, "Message GUID"));
    json_t *mids = act_split_csv(act_str(ctx, "Message ID"));
    if (keys == NULL || guids == NULL || mids == NULL) {
        json_decref(keys);
        json_decref(guids);
        json_decref(mids);
        return NULL;
    }
    json_t *lists[2] = {guids, mids};
    for (int l = 0; l < 2; l++) {
        size_t i;
        json_t *v;
        json_array_foreach(lists[l], i, v)
        {
            json_t *k = json_pack("{s:O, s:s}", "key", v, "by", l == 0 ? "guid" : "message_id");
            if (k != NULL) {
                add_unique(keys, k, NULL);
                json_decref(k);
            }
        }
    }
    for (size_t e = 0; e < act_entity_count(ctx); e++) {
        const act_entity *ent = act_entity_at(ctx, e);
        if (strcmp(ent->entity_type, "GENERICENTITY") != 0) {
            continue;
        }
        json_t *k = json_pack("{s:s, s:s}", "key", ent->original, "by",
                              looks_like_message_id(ent->original) ? "message_id" : "guid");
        if (k != NULL) {
            add_unique(keys, k, NULL);
            json_decref(k);
        }
    }
    json_decref(guids);
    json_decref(mids);
    return keys;
}

static int run(action_ctx *ctx)
{
    const actions_env *env = act_env(ctx);
    details d;
    memset(&d, 0, sizeof d);
    d.ctx = ctx;
    d.st = env->store;
    d.tenant = env->tenant;
    json_t *keys = keys_of(ctx);
    if (keys == NULL) {
        return act_fail(ctx, 70, "out of memory");
    }
    if (json_array_size(keys) == 0) {
        json_decref(keys);
        return act_fail(ctx, 64,
                        "Give \"Message GUID\" or \"Message ID\", or GENERICENTITY entities "
                        "holding GUIDs or Message-IDs.");
    }
    d.messages = json_object();
    d.order = json_array();
    json_t *found = json_array(), *missing = json_array();
    int rc = 0;
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k)
    {
        const char *key = se_str(k, "key");
        int n = find(&d, key, strcmp(se_str(k, "by"), "message_id") == 0);
        if (n < 0) {
            rc = act_fail(ctx, act_exit_code(n), "%s", d.err);
            goto out;
        }
        json_array_append_new(n > 0 ? found : missing, json_string(key));
    }
    json_t *list = json_array();
    json_t *g;
    json_array_foreach(d.order, i, g)
    {
        json_array_append(list, json_object_get(d.messages, json_string_value(g)));
    }
    act_set_json(ctx, json_pack("{s:o, s:O}", "messages", list, "not_found", missing));
    if (tables(&d) != 0) {
        rc = act_fail(ctx, 70, "out of memory");
        goto out;
    }
    act_outcome(ctx, found,
                "Successfully found information for the following messages in the local TAP "
                "event store",
                missing,
                "Action wasn't able to find information for the following messages in the local "
                "TAP event store",
                "No information about the provided messages was found in the local TAP event "
                "store.");
out:
    json_decref(keys);
    json_decref(found);
    json_decref(missing);
    json_decref(d.messages);
    json_decref(d.order);
    return rc;
}

const action_def action_get_message_details = {
    .name = "Get Message Details",
    .cli_name = "get-message-details",
    .tool_name = "proof_point_tap_get_message_details",
    .description =
        "Everything TAP recorded about messages, from the local event store, by PPS GUID or "
        "Message-ID (parameters, or GENERICENTITY entities): each recipient's delivered or "
        "blocked event, the message parts and their hashes, the threats, and the clicks on its "
        "URLs.",
    .result_name = "is_success",
    .params = ACTION_PARAMS(params),
    .entity_types = entity_types,
    .needs = ACTION_NEEDS_STORE,
    .err_style = ACTION_ERR_QUOTED,
    .cost = "No API request: the local store only.",
    .outputs =
        "{\"json_result\": {\"messages\": [{\"GUID\": \"\", \"messageID\": \"\", \"subject\":"
        " \"\", \"sender\": \"\", \"...\": \"header fields from the first event that has them\","
        " \"recipients\": [{\"recipient\": \"\", \"status\": \"delivered | blocked\","
        " \"eventType\": \"\", \"id\": \"\", \"messageTime\": \"\", \"quarantineFolder\":"
        " \"\"}], \"parts\": [\"messageParts, once per sha256\"], \"threats\":"
        " [\"threatsInfoMap, once per threatID\"], \"clicks\": [\"click events with the GUID,"
        " with eventType\"], \"events\": 0}], \"not_found\": [\"keys that found nothing\"]},"
        " \"data_tables\": [\"Message Details\", \"Message Parts\", \"Message Clicks\"],"
        " \"result_value\": \"true when a message was found\", \"messages\": [\"Successfully"
        " found information for the following messages in the local TAP event store: ...\","
        " \"Action wasn't able to find information for the following messages in the local TAP"
        " event store: ...\", \"No information about the provided messages was found in the"
        " local TAP event store.\"]}",
    .run = run,
};
