/*
 * OCSF, schema 1.7.0: messagesDelivered and messagesBlocked as Email Activity
 * (4009), clicksPermitted and clicksBlocked as Email URL Activity (4012),
 * gap records as Base Event (0). docs/formats.md "OCSF" gives the mapping
 * field by field.
 *
 * Every TAP field that is not null is either given its OCSF home or copied
 * under "unmapped" with its TAP name, so nothing is lost; a value that does
 * not fit its home (an empty sender, a size of 0) stays in "unmapped" too.
 */
#include <string.h>

#include <pptap/time.h>

#include "format_internal.h"
#include "internal.h"

#define OCSF_VERSION "1.7.0"
#define OCSF_PRODUCT "Proofpoint TAP"
#define OCSF_VENDOR "Proofpoint"

#define USED_MAX 48

typedef struct {
    int oom;                    /* an allocation failed */
    int bad;                    /* a caller's string is not UTF-8 */
    const char *used[USED_MAX]; /* TAP fields given their OCSF home */
    size_t n_used;
    json_t *observables;
} ctx;

/* Marks the TAP field `key` as mapped. */
static void use(ctx *c, const char *key)
{
    if (c->n_used < USED_MAX) {
        c->used[c->n_used++] = key;
    }
}

static int is_used(const ctx *c, const char *key)
{
    for (size_t i = 0; i < c->n_used; i++) {
        if (strcmp(c->used[i], key) == 0) {
            return 1;
        }
    }
    return 0;
}

/* obj[key] = v, stealing the reference to v; NULL records a failure. */
static void set(ctx *c, json_t *obj, const char *key, json_t *v)
{
    if (v == NULL || obj == NULL) {
        json_decref(v);
        c->oom = 1;
        return;
    }
    if (json_object_set_new(obj, key, v) != 0) {
        c->oom = 1;
    }
}

static void set_str(ctx *c, json_t *obj, const char *key, const char *s)
{
    if (!pptap__utf8_valid((const unsigned char *)s, strlen(s))) {
        c->bad = 1;
        return;
    }
    set(c, obj, key, json_string(s));
}

static void set_int(ctx *c, json_t *obj, const char *key, json_int_t v)
{
    set(c, obj, key, json_integer(v));
}

/* obj[key] = v, a value borrowed from the event. */
static void set_ref(ctx *c, json_t *obj, const char *key, json_t *v)
{
    set(c, obj, key, json_incref(v));
}

static void append(ctx *c, json_t *arr, json_t *v)
{
    if (v == NULL || arr == NULL) {
        json_decref(v);
        c->oom = 1;
        return;
    }
    if (json_array_append_new(arr, v) != 0) {
        c->oom = 1;
    }
}

/* Stores a new object or array in obj[key] when it is not empty. */
static void set_nonempty(ctx *c, json_t *obj, const char *key, json_t *v)
{
    if (v == NULL) {
        c->oom = 1;
    } else if ((json_is_object(v) && json_object_size(v) == 0) ||
               (json_is_array(v) && json_array_size(v) == 0)) {
        json_decref(v);
    } else {
        set(c, obj, key, v);
    }
}

/* o[key] when it is a string that is not empty, else NULL. */
static json_t *text(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) && json_string_length(v) > 0 ? v : NULL;
}

/* 1 when v is an array of strings that are not empty. */
static int address_list(json_t *v)
{
    size_t i;
    json_t *e;
    if (!json_is_array(v)) {
        return 0;
    }
    json_array_foreach(v, i, e)
    {
        if (!json_is_string(e) || json_string_length(e) == 0) {
            return 0;
        }
    }
    return 1;
}

static int parse_time(pptap_time_ms *t, json_t *v)
{
    return json_is_string(v) &&
           pptap_time_parse(t, json_string_value(v), json_string_length(v)) == 0;
}

/* ------------------------------------------------------------------------- */
/* Observables */

static const char *observable_type(int id)
{
    switch (id) {
    case 2:
        return "IP Address";
    case 5:
        return "Email Address";
    case 6:
        return "URL String";
    case 7:
        return "File Name";
    case 8:
        return "Hash";
    default:
        return "Other";
    }
}

/* Adds {name, type_id, type, value} unless the same name and value are in. */
static void observe(ctx *c, const char *name, int type_id, json_t *value)
{
    size_t i;
    json_t *o;
    if (value == NULL || c->observables == NULL) {
        return;
    }
    json_array_foreach(c->observables, i, o)
    {
        if (strcmp(json_string_value(json_object_get(o, "name")), name) == 0 &&
            json_equal(json_object_get(o, "value"), value)) {
            return;
        }
    }
    o = json_object();
    set_str(c, o, "name", name);
    set_int(c, o, "type_id", type_id);
    set_str(c, o, "type", observable_type(type_id));
    set_ref(c, o, "value", value);
    append(c, c->observables, o);
}

static void observe_list(ctx *c, const char *name, int type_id, json_t *list)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        observe(c, name, type_id, e);
    }
}

/* ------------------------------------------------------------------------- */
/* Common parts */

/* class, category, activity and type_uid = class_uid * 100 + activity_id;
 * type_name is "<class>: <caption of the activity_id>". */
static void classify(ctx *c, json_t *doc, int category_uid, const char *category, int class_uid,
                     const char *class_name, int activity_id, const char *activity,
                     const char *activity_caption)
{
    set_int(c, doc, "activity_id", activity_id);
    set_str(c, doc, "activity_name", activity);
    set_int(c, doc, "category_uid", category_uid);
    set_str(c, doc, "category_name", category);
    set_int(c, doc, "class_uid", class_uid);
    set_str(c, doc, "class_name", class_name);
    set_int(c, doc, "type_uid", (json_int_t)class_uid * 100 + activity_id);
    pptap_buf b = PPTAP_BUF_INIT;
    if (pptap_buf_put(&b, class_name, strlen(class_name)) != 0 || pptap_buf_put(&b, ": ", 2) != 0 ||
        pptap_buf_put(&b, activity_caption, strlen(activity_caption)) != 0) {
        c->oom = 1;
    } else {
        set(c, doc, "type_name", json_stringn(b.ptr, b.len));
    }
    pptap_buf_dispose(&b);
}

/* metadata: version, product, uid, log_name, tenant_uid, logged_time; the
 * caller adds the rest. Returns the object, owned by doc. */
static json_t *metadata(ctx *c, json_t *doc, const char *uid, const char *log_name,
                        const char *tenant, const char *collected_at)
{
    json_t *md = json_object();
    json_t *product = json_object();
    set_str(c, product, "name", OCSF_PRODUCT);
    set_str(c, product, "vendor_name", OCSF_VENDOR);
    set_str(c, md, "version", OCSF_VERSION);
    set(c, md, "product", product);
    set_str(c, md, "uid", uid);
    set_str(c, md, "log_name", log_name);
    if (tenant != NULL) {
        set_str(c, md, "tenant_uid", tenant);
    }
    pptap_time_ms at;
    if (collected_at != NULL && pptap_time_parse(&at, collected_at, strlen(collected_at)) == 0) {
        set_int(c, md, "logged_time", at);
    }
    set(c, doc, "metadata", json_incref(md));
    json_decref(md);
    return c->oom ? NULL : md;
}

/* The url object: url_string, and scheme, hostname, port, path and
 * query_string when the URL has a scheme followed by "://". */
static json_t *url_object(ctx *c, json_t *v)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    json_t *u = json_object();
    set_ref(c, u, "url_string", v);
    size_t i = 0;
    if (n > 0 && ((unsigned)((s[0] | 0x20) - 'a') < 26u)) {
        i = 1;
        while (i < n && ((unsigned)((s[i] | 0x20) - 'a') < 26u || (unsigned)(s[i] - '0') < 10u ||
                         s[i] == '+' || s[i] == '-' || s[i] == '.')) {
            i++;
        }
    }
    if (i == 0 || n - i < 3 || memcmp(s + i, "://", 3) != 0) {
        return u;
    }
    set(c, u, "scheme", json_stringn(s, i));
    /* authority: up to the first '/', '?' or '#'; userinfo ends at its last '@' */
    size_t a = i + 3, e = a;
    while (e < n && s[e] != '/' && s[e] != '?' && s[e] != '#') {
        e++;
    }
    size_t h = a;
    for (size_t k = a; k < e; k++) {
        if (s[k] == '@') {
            h = k + 1;
        }
    }
    size_t host = h, host_end, after;
    if (h < e && s[h] == '[') {
        const char *close = memchr(s + h, ']', e - h);
        host = h + 1;
        host_end = close != NULL ? (size_t)(close - s) : e;
        after = close != NULL ? host_end + 1 : e;
    } else {
        host_end = h;
        while (host_end < e && s[host_end] != ':') {
            host_end++;
        }
        after = host_end;
    }
    if (host_end > host) {
        set(c, u, "hostname", json_stringn(s + host, host_end - host));
    }
    if (after < e && s[after] == ':' && e - after >= 2 && e - after <= 6) {
        long port = 0;
        size_t k = after + 1;
        while (k < e && (unsigned)(s[k] - '0') < 10u) {
            port = port * 10 + (s[k] - '0');
            k++;
        }
        if (k == e && port > 0 && port <= 65535) {
            set_int(c, u, "port", port);
        }
    }
    size_t q = e;
    while (q < n && s[q] != '?' && s[q] != '#') {
        q++;
    }
    if (q > e) {
        set(c, u, "path", json_stringn(s + e, q - e));
    }
    if (q < n && s[q] == '?') {
        size_t f = q + 1;
        while (f < n && s[f] != '#') {
            f++;
        }
        if (f > q + 1) {
            set(c, u, "query_string", json_stringn(s + q + 1, f - q - 1));
        }
    }
    return u;
}

/* osint[]: one indicator per threat that names its artifact. */
static json_t *osint(ctx *c, pptap_event_type type, json_t *event)
{
    json_t *list = json_array();
    int click = pptap__is_click(type);
    size_t n = pptap__threat_count(type, event);
    for (size_t i = 0; i < n; i++) {
        pptap__threat t;
        pptap__threat_get(&t, type, event, i);
        if (t.value == NULL || json_string_length(t.value) == 0) {
            continue;
        }
        int type_id = 0, obs = 0;
        const char *caption = "Unknown";
        if (click || pptap__threat_is_type(&t, "url")) {
            type_id = 5, caption = "URL", obs = 6;
        } else if (pptap__threat_is_type(&t, "attachment")) {
            type_id = 4, caption = "Hash", obs = 8;
        } else if (pptap__threat_is_type(&t, "message")) {
            type_id = 8, caption = "Email";
        } else if (t.type != NULL) {
            type_id = 99, caption = json_string_value(t.type);
        }
        json_t *o = json_object();
        if (click) {
            set_str(c, o, "name", "url.url_string");
        }
        set_int(c, o, "type_id", type_id);
        set_str(c, o, "type", caption);
        set_ref(c, o, "value", t.value);
        if (t.id != NULL) {
            set_ref(c, o, "uid", t.id);
        }
        if (t.url != NULL) {
            set_ref(c, o, "src_url", t.url);
        }
        if (t.classification != NULL) {
            set_ref(c, o, "category", t.classification);
        }
        pptap_time_ms at;
        if (parse_time(&at, t.time)) {
            set_int(c, o, "modified_time", at);
        }
        set_str(c, o, "vendor_name", OCSF_VENDOR);
        append(c, list, o);
        if (obs != 0 && !click) { /* a click's is url.url_string */
            observe(c, "osint.value", obs, t.value);
        }
    }
    return list;
}

/* ------------------------------------------------------------------------- */
/* Messages: Email Activity */

static json_t *fingerprint(ctx *c, int algorithm_id, const char *algorithm, json_t *value)
{
    json_t *f = json_object();
    set_int(c, f, "algorithm_id", algorithm_id);
    set_str(c, f, "algorithm", algorithm);
    set_ref(c, f, "value", value);
    return f;
}

/* email.files[] from messageParts: the parts that have a file name. */
static json_t *files(ctx *c, json_t *parts)
{
    json_t *list = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(parts, i, p)
    {
        json_t *name = text(p, "filename");
        if (name == NULL) {
            continue;
        }
        json_t *f = json_object();
        set_ref(c, f, "name", name);
        set_int(c, f, "type_id", 1);
        set_str(c, f, "type", "Regular File");
        json_t *v = text(p, "contentType");
        if (v != NULL) {
            set_ref(c, f, "mime_type", v);
        }
        json_t *hashes = json_array();
        json_t *md5 = text(p, "md5"), *sha256 = text(p, "sha256");
        if (md5 != NULL) {
            append(c, hashes, fingerprint(c, 1, "MD5", md5));
        }
        if (sha256 != NULL) {
            append(c, hashes, fingerprint(c, 3, "SHA-256", sha256));
        }
        set_nonempty(c, f, "hashes", hashes);
        append(c, list, f);
        observe(c, "email.files.name", 7, name);
        observe(c, "email.files.hashes.value", 8, md5);
        observe(c, "email.files.hashes.value", 8, sha256);
    }
    return list;
}

static void map_message(ctx *c, json_t *doc, json_t *event)
{
    json_t *email = json_object();
    json_t *v;
    if ((v = text(event, "GUID")) != NULL) {
        set_ref(c, email, "uid", v);
        use(c, "GUID");
    }
    if ((v = text(event, "messageID")) != NULL) {
        set_ref(c, email, "message_uid", v);
        use(c, "messageID");
    }
    if (json_is_string(v = json_object_get(event, "subject"))) {
        set_ref(c, email, "subject", v);
        use(c, "subject");
    }
    if (address_list(v = json_object_get(event, "fromAddress"))) {
        if (json_array_size(v) > 0) {
            set_ref(c, email, "from", json_array_get(v, 0));
            observe(c, "email.from", 5, json_array_get(v, 0));
        }
        set_ref(c, email, "from_list", v);
        use(c, "fromAddress");
    }
    if (json_is_string(v = json_object_get(event, "headerFrom"))) {
        set_ref(c, email, "from_mailbox", v);
        use(c, "headerFrom");
    }
    if (address_list(v = json_object_get(event, "toAddresses"))) {
        set_ref(c, email, "to", v);
        use(c, "toAddresses");
    }
    if (address_list(v = json_object_get(event, "ccAddresses"))) {
        set_ref(c, email, "cc", v);
        use(c, "ccAddresses");
    }
    if (address_list(v = json_object_get(event, "replyToAddress"))) {
        if (json_array_size(v) > 0) {
            set_ref(c, email, "reply_to", json_array_get(v, 0));
        }
        set_ref(c, email, "reply_to_list", v);
        use(c, "replyToAddress");
    }
    if (json_is_string(v = json_object_get(event, "headerReplyTo"))) {
        set(c, email, "reply_to_mailboxes", json_pack("[O]", v));
        use(c, "headerReplyTo");
    }
    if ((v = text(event, "sender")) != NULL) {
        set_ref(c, email, "smtp_from", v);
        observe(c, "email.smtp_from", 5, v);
        use(c, "sender");
    }
    v = json_object_get(event, "recipient");
    if (address_list(v)) {
        set_ref(c, email, "smtp_to", v);
        observe_list(c, "email.smtp_to", 5, v);
        use(c, "recipient");
    } else if ((v = text(event, "recipient")) != NULL) {
        set(c, email, "smtp_to", json_pack("[O]", v));
        observe(c, "email.smtp_to", 5, v);
        use(c, "recipient");
    }
    v = json_object_get(event, "messageSize");
    if (json_is_integer(v) && json_integer_value(v) > 0) {
        set_ref(c, email, "size", v);
        use(c, "messageSize");
    }
    set_nonempty(c, email, "files", files(c, json_object_get(event, "messageParts")));
    set(c, doc, "email", email);

    if ((v = text(event, "senderIP")) != NULL) {
        set(c, doc, "src_endpoint", json_pack("{s:O}", "ip", v));
        observe(c, "src_endpoint.ip", 2, v);
        use(c, "senderIP");
    }
    if ((v = text(event, "QID")) != NULL) {
        set_ref(c, doc, "message_trace_uid", v);
        use(c, "QID");
    }
}

/* ------------------------------------------------------------------------- */
/* Clicks: Email URL Activity */

static int map_click(ctx *c, json_t *doc, json_t *event)
{
    json_t *v;
    int host = 0;
    if ((v = text(event, "GUID")) != NULL) {
        set_ref(c, doc, "email_uid", v);
        use(c, "GUID");
    }
    if ((v = text(event, "url")) != NULL) {
        set(c, doc, "url", url_object(c, v));
        observe(c, "url.url_string", 6, v);
        use(c, "url");
        /* the url is the click's indicator: osint[0] holds these */
        static const char *const keys[] = {"classification", "threatID", "threatURL"};
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
            if (json_is_string(json_object_get(event, keys[i]))) {
                use(c, keys[i]);
            }
        }
        if (!json_is_string(json_object_get(event, "threatURL")) &&
            json_is_string(json_object_get(event, "threatUrl"))) {
            use(c, "threatUrl");
        }
        pptap_time_ms t;
        if (parse_time(&t, json_object_get(event, "threatTime"))) {
            use(c, "threatTime");
        }
    }
    if ((v = text(event, "recipient")) != NULL) {
        set(c, doc, "actor", json_pack("{s:{s:O}}", "user", "email_addr", v));
        observe(c, "actor.user.email_addr", 5, v);
        use(c, "recipient");
        host = 1;
    }
    if ((v = text(event, "clickIP")) != NULL) {
        set(c, doc, "device",
            json_pack("{s:i, s:s, s:O}", "type_id", 0, "type", "Unknown", "ip", v));
        observe(c, "device.ip", 2, v);
        use(c, "clickIP");
        host = 1;
    }
    return host;
}

/* ------------------------------------------------------------------------- */

int pptap__format_ocsf(pptap_buf *out, pptap_event_type type, json_t *event,
                       const pptap_event_meta *meta)
{
    int click = pptap__is_click(type);
    const char *time_key = click ? "clickTime" : "messageTime";
    json_t *time_v = json_object_get(event, time_key);
    pptap_time_ms t;
    int have_time = parse_time(&t, time_v);
    if (!have_time && (meta->collected_at == NULL ||
                       pptap_time_parse(&t, meta->collected_at, strlen(meta->collected_at)) != 0)) {
        return PPTAP_EINVAL; /* time is required */
    }
    ctx c = {0};
    json_t *doc = json_object();
    c.observables = json_array();
    if (click) {
        classify(&c, doc, 4, "Network Activity", 4012, "Email URL Activity", 99, "Click", "Other");
    } else {
        classify(&c, doc, 4, "Network Activity", 4009, "Email Activity", 3, "Scan", "Scan");
    }
    set_int(&c, doc, "time", t);
    set_int(&c, doc, "timezone_offset", 0);
    int sev = pptap__threat_severity(type, event);
    set_int(&c, doc, "severity_id", sev);
    set_str(&c, doc, "severity", pptap__severity_name(sev));

    int blocked = type == PPTAP_EVENT_CLICKS_BLOCKED || type == PPTAP_EVENT_MESSAGES_BLOCKED;
    set_int(&c, doc, "action_id", blocked ? 2 : 1);
    set_str(&c, doc, "action", blocked ? "Denied" : "Allowed");
    if (!blocked) {
        set_int(&c, doc, "disposition_id", 1);
        set_str(&c, doc, "disposition", "Allowed");
    } else if (!click && text(event, "quarantineFolder") != NULL) {
        set_int(&c, doc, "disposition_id", 3);
        set_str(&c, doc, "disposition", "Quarantined");
    } else {
        set_int(&c, doc, "disposition_id", 2);
        set_str(&c, doc, "disposition", "Blocked");
    }
    set(&c, doc, "is_alert", json_boolean(sev >= PPTAP__SEV_HIGH));
    pptap_buf summary = PPTAP_BUF_INIT;
    if (pptap__threat_summary(&summary, type, event) != 0) {
        c.oom = 1;
    } else {
        set(&c, doc, "message", json_stringn(summary.ptr, summary.len));
    }
    pptap_buf_dispose(&summary);
    if (!click) {
        static const char *const dir[] = {"Unknown", "Inbound", "Outbound"};
        int d = pptap__route_direction(event);
        set_int(&c, doc, "direction_id", d);
        set_str(&c, doc, "direction", dir[d]);
    }

    json_t *md = metadata(&c, doc, meta->event_id, pptap_event_type_name(type), meta->tenant,
                          meta->collected_at);
    json_t *v;
    if (md != NULL && json_is_string(v = json_object_get(event, "id"))) {
        set_ref(&c, md, "original_event_uid", v);
        use(&c, "id");
    }
    if (md != NULL && (v = text(event, "GUID")) != NULL) {
        set_ref(&c, md, "correlation_uid", v);
    }
    if (md != NULL && have_time) {
        set_ref(&c, md, "original_time", time_v);
        use(&c, time_key);
    }
    if (md != NULL && meta->update) {
        set(&c, md, "labels", json_pack("[s]", "update"));
    }

    int host = 0;
    if (click) {
        host = map_click(&c, doc, event);
    } else {
        map_message(&c, doc, event);
    }
    json_t *indicators = osint(&c, type, event);
    int have_osint = json_array_size(indicators) > 0;
    set_nonempty(&c, doc, "osint", indicators);
    json_t *profiles = json_pack("[s]", "security_control");
    if (have_osint) {
        append(&c, profiles, json_string("osint"));
    }
    if (host) {
        append(&c, profiles, json_string("host"));
    }
    set(&c, md, "profiles", profiles);
    set_nonempty(&c, doc, "observables", c.observables);

    json_t *unmapped = json_object();
    const char *k;
    json_object_foreach(event, k, v)
    {
        if (!json_is_null(v) && !is_used(&c, k)) {
            set_ref(&c, unmapped, k, v);
        }
    }
    set_nonempty(&c, doc, "unmapped", unmapped);

    int rc = c.bad ? PPTAP_EINVAL : c.oom ? PPTAP_ENOMEM : pptap__dump_json(out, doc);
    if (rc == 0) {
        rc = pptap_buf_put(out, "\n", 1);
    }
    json_decref(doc);
    return rc;
}

/* Base Event (class 0), activity Other ("Collection Gap"): start_time and
 * end_time bound the stretch; status Failure with the reason. */
int pptap__gap_ocsf(pptap_buf *out, const pptap_gap_record *g)
{
    pptap_time_ms from, to, at;
    if (pptap_time_parse(&from, g->from, strlen(g->from)) != 0 ||
        pptap_time_parse(&to, g->to, strlen(g->to)) != 0) {
        return PPTAP_EINVAL;
    }
    if (g->collected_at == NULL ||
        pptap_time_parse(&at, g->collected_at, strlen(g->collected_at)) != 0) {
        at = to;
    }
    ctx c = {0};
    json_t *doc = json_object();
    classify(&c, doc, 0, "Uncategorized", 0, "Base Event", 99, "Collection Gap", "Other");
    set_int(&c, doc, "time", at);
    set_int(&c, doc, "timezone_offset", 0);
    set_int(&c, doc, "severity_id", PPTAP__SEV_MEDIUM);
    set_str(&c, doc, "severity", pptap__severity_name(PPTAP__SEV_MEDIUM));
    set_int(&c, doc, "status_id", 2);
    set_str(&c, doc, "status", "Failure");
    if (g->reason != NULL) {
        set_str(&c, doc, "status_detail", g->reason);
    }
    pptap_buf msg = PPTAP_BUF_INIT;
    static const char head[] = "No events were collected from ";
    if (pptap_buf_put(&msg, head, sizeof(head) - 1) != 0 ||
        pptap_buf_put(&msg, g->from, strlen(g->from)) != 0 || pptap_buf_put(&msg, " to ", 4) != 0 ||
        pptap_buf_put(&msg, g->to, strlen(g->to)) != 0) {
        c.oom = 1;
    } else {
        set(&c, doc, "message", json_stringn(msg.ptr, msg.len));
    }
    pptap_buf_dispose(&msg);
    set_int(&c, doc, "start_time", from);
    set_int(&c, doc, "end_time", to);
    set_int(&c, doc, "duration", to - from);
    metadata(&c, doc, g->event_id, "gap", g->tenant, g->collected_at);

    int rc = c.bad ? PPTAP_EINVAL : c.oom ? PPTAP_ENOMEM : pptap__dump_json(out, doc);
    if (rc == 0) {
        rc = pptap_buf_put(out, "\n", 1);
    }
    json_decref(doc);
    return rc;
}
