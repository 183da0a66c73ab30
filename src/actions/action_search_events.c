/*
 * Search Events: SIEM events of a type and threat status in a time frame.
 *
 * The time frame is cut into segments, newest first: what the collector's
 * checkpoints say the store holds completely is read from the store; the
 * rest is asked of the API in 1-hour slices, one request per slice with
 * every wanted status in it (never status x hour). The number of requests is
 * known before the first one is sent: it is announced, checked against
 * Max API Requests and the request ledger of the pool, and nothing is spent
 * when it is over. Segments are read until Max Results To Return events are
 * in, so the result is the newest events of the time frame by creation time
 * (what the API's interval selects on), whichever source served them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action_impl.h"
#include "store_events.h"

#define DEFAULT_CEILING 24
#define MAX_SEGMENTS 400 /* a week of 1-hour slices plus store spans */
#define LOOKBACK_MARGIN_MS (60 * SE_SECOND)

static const char *const event_types[] = {
    "All", "Clicks Blocked", "Clicks Permitted", "Messages Delivered", "Messages Blocked", "Issues",
    NULL};
static const char *const threat_statuses[] = {"Select One", "Active", "Cleared", "False Positive",
                                              NULL};

static const action_param params[] = {
    {"Event Type", "event_type", AP_CHOICE, 0, "All", event_types, 0, 0,
     "Which events: All, Clicks Blocked, Clicks Permitted, Messages Delivered, Messages Blocked "
     "or Issues (permitted clicks and delivered messages)."},
    {"Threat Status", "threat_status", AP_CHOICE, 0, "Select One", threat_statuses, 0, 0,
     "Events with a threat in this status; Select One means active and cleared."},
    {"Time Frame", "time_frame", AP_CHOICE, 0, "Last Hour", act_time_frames, 0, 0,
     "The time frame; Last Week is 167 hours; Custom uses Start Time and End Time."},
    {"Start Time", "start_time", AP_TIME, 0, NULL, NULL, 0, 0,
     "Start of a custom time frame (required with Custom, refused otherwise); older than 7 days "
     "only where the local store has it."},
    {"End Time", "end_time", AP_TIME, 0, NULL, NULL, 0, 0,
     "End of a custom time frame (default now; a later time is taken as now)."},
    {"Max Results To Return", "max_results_to_return", AP_INT, 1, "50", NULL, 1, 1000,
     "At most this many events, the newest first."},
    {"Max API Requests", "max_api_requests", AP_INT, 0, NULL, NULL, 1, 168,
     "The most API requests the search may spend; over it, nothing is requested and the cost is "
     "reported. Default and upper bound: the ceiling the front door sets (none: default 24)."},
};

/* Event Type choices: the endpoint asked and the event types it returns. */
static const struct {
    const char *name;
    pptap_endpoint ep;
    unsigned types;
} type_map[] = {
    {"All", PPTAP_EP_SIEM_ALL, SE_ALL_TYPES},
    {"Clicks Blocked", PPTAP_EP_SIEM_CLICKS_BLOCKED, 1u << PPTAP_EVENT_CLICKS_BLOCKED},
    {"Clicks Permitted", PPTAP_EP_SIEM_CLICKS_PERMITTED, 1u << PPTAP_EVENT_CLICKS_PERMITTED},
    {"Messages Delivered", PPTAP_EP_SIEM_MESSAGES_DELIVERED, 1u << PPTAP_EVENT_MESSAGES_DELIVERED},
    {"Messages Blocked", PPTAP_EP_SIEM_MESSAGES_BLOCKED, 1u << PPTAP_EVENT_MESSAGES_BLOCKED},
    {"Issues", PPTAP_EP_SIEM_ISSUES,
     (1u << PPTAP_EVENT_CLICKS_PERMITTED) | (1u << PPTAP_EVENT_MESSAGES_DELIVERED)},
};

typedef enum { SEG_STORE, SEG_API, SEG_NONE } seg_kind;

/* A part of the time frame and where it is read from. For API slices,
 * [qfrom, to) is the interval sent (at least 30 s) and [from, to) the part
 * kept. */
typedef struct {
    seg_kind kind;
    pptap_time_ms from, to, qfrom;
    int read; /* 1 once read (reading stops at Max Results To Return) */
} segment;

typedef struct {
    pptap_time_ms from, to;
} span;

typedef struct {
    action_ctx *ctx;
    const actions_env *env;
    const char *tenant;
    pptap_endpoint ep;
    unsigned types, statuses;
    size_t max;
    pptap_time_ms from, to, now;
    segment seg[MAX_SEGMENTS];
    int n_seg;
    int overflow;
    se_coverage cov;
    int store_used;
    /* the API */
    pptap_pool pool;
    int64_t cost, made;
    json_t *events;
    char err[PPTAP_ERRMSG_LEN];
} search;

static int add_seg(search *s, seg_kind kind, pptap_time_ms from, pptap_time_ms to,
                   pptap_time_ms qfrom)
{
    if (s->n_seg >= MAX_SEGMENTS) {
        s->overflow = 1;
        return -1;
    }
    s->seg[s->n_seg++] = (segment){kind, from, to, qfrom, 0};
    return 0;
}

/* Plans [from, to) for the API, newest slice first: 1-hour slices from the
 * end; a last piece shorter than the API's 30 s minimum is asked as 30 s and
 * cut back locally. What is older than the API's 7 days cannot be asked. */
static void plan_api(search *s, pptap_time_ms from, pptap_time_ms to)
{
    pptap_time_ms oldest = s->now - PPTAP_LOOKBACK_MAX_MS + LOOKBACK_MARGIN_MS;
    pptap_time_ms e = to;
    while (e > from && e > oldest) {
        pptap_time_ms b = e - SE_HOUR > from ? e - SE_HOUR : from;
        if (b < oldest) {
            b = oldest;
        }
        pptap_time_ms qb = e - b < PPTAP_INTERVAL_MIN_MS ? e - PPTAP_INTERVAL_MIN_MS : b;
        if (add_seg(s, SEG_API, b, e, qb) != 0) {
            return;
        }
        s->cost++;
        e = b;
    }
    if (e > from) {
        add_seg(s, SEG_NONE, from, e, from);
    }
}

#define MAX_SPANS 64

typedef struct {
    span v[MAX_SPANS];
    int n;
    pptap_time_ms from, to;
} gap_list;

static int on_gap(const pptap_store_gap *g, void *payload)
{
    gap_list *gl = payload;
    if (g->to > gl->from && g->from < gl->to && gl->n < MAX_SPANS) {
        gl->v[gl->n++] = (span){g->from, g->to};
    }
    return 0;
}

/* Plans the whole frame, newest first: the store where it is complete,
 * the API elsewhere. Returns 0 or a PPTAP_E* code with s->err set. */
static int plan(search *s)
{
    span covered[MAX_SPANS + 1];
    int n_cov = 0;
    const actions_env *env = s->env;
    if (env->store != NULL) {
        int rc = se_coverage_get(env->store, s->tenant, &s->cov);
        if (rc != 0) {
            snprintf(s->err, sizeof s->err, "the store: %s", pptap_store_last_error(env->store));
            return rc;
        }
        if (s->cov.known && (s->types & ~s->cov.types) != 0) {
            s->cov.known = 0;
            snprintf(s->cov.why, sizeof s->cov.why,
                     "the collector stores the '%s' endpoint, not every event of this type",
                     s->cov.endpoint);
        } else if (s->cov.known && (s->statuses & ~s->cov.statuses) != 0) {
            s->cov.known = 0;
            snprintf(s->cov.why, sizeof s->cov.why,
                     "the collector does not store every threat status asked for");
        }
        pptap_time_ms a = s->cov.from > s->from ? s->cov.from : s->from;
        pptap_time_ms b = s->cov.to < s->to ? s->cov.to : s->to;
        if (s->cov.known && a < b) {
            /* gap records inside: time the store will never have */
            gap_list gl;
            memset(&gl, 0, sizeof gl);
            gl.from = a;
            gl.to = b;
            rc = pptap_store_gap_list(env->store, s->tenant, on_gap, &gl);
            if (rc != 0) {
                snprintf(s->err, sizeof s->err, "the store: %s",
                         pptap_store_last_error(env->store));
                return rc;
            }
            /* gaps come oldest first; cut them out of [a, b) */
            pptap_time_ms cur = a;
            for (int i = 0; i < gl.n; i++) {
                if (gl.v[i].from > cur) {
                    covered[n_cov++] = (span){cur, gl.v[i].from < b ? gl.v[i].from : b};
                }
                if (gl.v[i].to > cur) {
                    cur = gl.v[i].to;
                }
            }
            if (cur < b) {
                covered[n_cov++] = (span){cur, b};
            }
        }
    }
    /* newest first: the uncovered piece above each covered span, the span */
    pptap_time_ms e = s->to;
    for (int i = n_cov - 1; i >= 0; i--) {
        if (covered[i].to < e) {
            plan_api(s, covered[i].to, e);
        }
        add_seg(s, SEG_STORE, covered[i].from, covered[i].to, covered[i].from);
        e = covered[i].from;
    }
    if (e > s->from) {
        plan_api(s, s->from, e);
    }
    if (s->overflow) {
        snprintf(s->err, sizeof s->err, "the time frame needs more than %d parts", MAX_SEGMENTS);
        return PPTAP_EINVAL;
    }
    return 0;
}

/* --- reading the segments ------------------------------------------------ */

static int read_store(search *s, const segment *g)
{
    pptap_store_query q;
    memset(&q, 0, sizeof q);
    q.tenant = s->tenant;
    q.types = s->types;
    q.from = g->from;
    q.to = g->to;
    q.by_creation = 1;
    se_result r;
    memset(&r, 0, sizeof r);
    r.statuses = s->statuses;
    r.max = s->max - json_array_size(s->events);
    r.events = s->events;
    s->store_used = 1;
    return se_search(s->env->store, &q, &r, s->err, sizeof s->err);
}

typedef struct {
    json_t *ev;
    pptap_time_ms created;
} slice_event;

typedef struct {
    search *s;
    const segment *g;
    slice_event *v;
    size_t n, cap;
    int oom;
} slice_ctx;

static int on_api_event(pptap_event_type type, json_t *event, void *payload)
{
    slice_ctx *c = payload;
    search *s = c->s;
    if ((s->types & (1u << type)) == 0) {
        return 0;
    }
    pptap_time_ms created = se_creation_time(event, type);
    if (created != PPTAP_TIME_NONE && (created < c->g->from || created >= c->g->to)) {
        return 0; /* asked only to meet the API's 30 s minimum */
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        slice_event *v = realloc(c->v, cap * sizeof *v);
        if (v == NULL) {
            c->oom = 1;
            return 1;
        }
        c->v = v;
        c->cap = cap;
    }
    json_t *copy = json_deep_copy(event);
    if (copy == NULL ||
        json_object_set_new(copy, "eventType", json_string(pptap_event_type_name(type))) != 0) {
        json_decref(copy);
        c->oom = 1;
        return 1;
    }
    c->v[c->n].ev = copy;
    c->v[c->n].created = created;
    c->n++;
    return 0;
}

static int newest_first(const void *a, const void *b)
{
    const slice_event *x = a, *y = b;
    return x->created < y->created ? 1 : x->created > y->created ? -1 : 0;
}

/* One request for one slice. Returns 0 or the client's error. */
static int read_api(search *s, const segment *g)
{
    pptap_client *client = act_client(s->ctx);
    if (client == NULL) {
        return PPTAP_ECONFIG;
    }
    pptap_siem_query q;
    memset(&q, 0, sizeof q);
    q.endpoint = s->ep;
    q.start = g->qfrom;
    q.end = g->to;
    q.format = PPTAP_FORMAT_JSON;
    q.threat_statuses = s->statuses;
    slice_ctx c;
    memset(&c, 0, sizeof c);
    c.s = s;
    c.g = g;
    int rc = pptap_siem_stream(client, &q, on_api_event, &c, NULL);
    const pptap_response_info *ri = pptap_client_last_response(client);
    s->made += ri->attempts > 0 ? ri->attempts : 1;
    if (c.oom) {
        rc = PPTAP_ENOMEM;
    }
    if (rc == 0) {
        qsort(c.v, c.n, sizeof *c.v, newest_first);
    }
    for (size_t i = 0; i < c.n; i++) {
        if (rc == 0 && json_array_size(s->events) < s->max) {
            if (json_array_append_new(s->events, c.v[i].ev) != 0) {
                rc = PPTAP_ENOMEM;
            }
        } else {
            json_decref(c.v[i].ev);
        }
    }
    free(c.v);
    return rc;
}

/* --- parameters ---------------------------------------------------------- */

static int time_frame(action_ctx *ctx, search *s)
{
    const char *frame = act_str(ctx, "Time Frame");
    pptap_time_ms start = act_time(ctx, "Start Time");
    pptap_time_ms end = act_time(ctx, "End Time");
    static const struct {
        const char *name;
        int64_t hours;
    } frames[] = {{"Last Hour", 1}, {"Last 6 Hours", 6}, {"Last 24 Hours", 24}, {"Last Week", 167}};
    s->to = s->now;
    if (strcmp(frame, "Custom") != 0) {
        if (start != PPTAP_TIME_NONE || end != PPTAP_TIME_NONE) {
            return act_fail(ctx, 64,
                            "\"Start Time\" and \"End Time\" are used only with a custom time "
                            "frame. Please select \"Custom\" in \"Time Frame\".");
        }
        for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
            if (strcmp(frames[i].name, frame) == 0) {
                s->from = s->now - frames[i].hours * SE_HOUR;
            }
        }
        return 0;
    }
    if (start == PPTAP_TIME_NONE) {
        return act_fail(ctx, 64, "Start Time is required for custom time frame.");
    }
    if (end != PPTAP_TIME_NONE && end < s->now) {
        s->to = end;
    }
    if (start >= s->to) {
        return act_fail(ctx, 64, "Start Time must be before End Time.");
    }
    s->from = start;
    return 0;
}

static int choose(action_ctx *ctx, search *s)
{
    const char *type = act_str(ctx, "Event Type");
    for (size_t i = 0; i < sizeof type_map / sizeof type_map[0]; i++) {
        if (strcmp(type_map[i].name, type) == 0) {
            s->ep = type_map[i].ep;
            s->types = type_map[i].types;
        }
    }
    const char *status = act_str(ctx, "Threat Status");
    if (strcmp(status, "Active") == 0) {
        s->statuses = PPTAP_THREAT_STATUS_ACTIVE;
    } else if (strcmp(status, "Cleared") == 0) {
        s->statuses = PPTAP_THREAT_STATUS_CLEARED;
    } else if (strcmp(status, "False Positive") == 0) {
        s->statuses = PPTAP_THREAT_STATUS_FALSE_POSITIVE;
    } else {
        s->statuses = PPTAP_THREAT_STATUS_ACTIVE | PPTAP_THREAT_STATUS_CLEARED;
    }
    s->max = (size_t)act_int(ctx, "Max Results To Return");
    return time_frame(ctx, s);
}

/* --- the run ------------------------------------------------------------- */

static json_t *time_json(pptap_time_ms t)
{
    char buf[PPTAP_TIME_STRLEN];
    return json_string(act_time_str(buf, t));
}

static json_t *span_json(pptap_time_ms from, pptap_time_ms to)
{
    return json_pack("{s:o, s:o}", "from", time_json(from), "to", time_json(to));
}

/* Adds to `res` where the events came from: the source, the parts of the
 * time frame each source served, and the API requests. */
static int describe(search *s, json_t *res, int64_t used)
{
    json_t *parts[3] = {json_array(), json_array(), json_array()}; /* store, api, none */
    int fail = parts[0] == NULL || parts[1] == NULL || parts[2] == NULL;
    for (int i = 0; i < s->n_seg && !fail; i++) {
        const segment *g = &s->seg[i];
        json_t *list = parts[g->kind];
        /* adjacent parts (the API's slices) are shown as one */
        json_t *last = json_array_get(list, json_array_size(list) - 1);
        char end[PPTAP_TIME_STRLEN];
        const char *last_from = last != NULL ? se_str(last, "from") : NULL;
        if (last_from != NULL && strcmp(last_from, act_time_str(end, g->to)) == 0 &&
            json_is_true(json_object_get(last, "read")) == (g->read != 0)) {
            fail = json_object_set_new(last, "from", time_json(g->from)) != 0;
        } else {
            json_t *part = span_json(g->from, g->to);
            fail = part == NULL || json_array_append_new(list, part) != 0;
            if (!fail && g->kind != SEG_NONE) {
                fail = json_object_set_new(part, "read", json_boolean(g->read)) != 0;
            }
        }
    }
    const char *source = s->store_used && s->made > 0 ? "store+api"
                         : s->made > 0                ? "api"
                         : s->store_used              ? "store"
                                                      : "none";
    json_t *cov = json_null();
    if (s->cov.known) {
        cov = json_pack("{s:s, s:o, s:o, s:s}", "tenant", s->tenant, "from", time_json(s->cov.from),
                        "to", time_json(s->cov.to), "endpoint", s->cov.endpoint);
    } else if (s->env->store != NULL) {
        cov = json_pack("{s:s, s:s}", "tenant", s->tenant, "not_used_because", s->cov.why);
    }
    fail = fail || cov == NULL || json_object_set_new(res, "source", json_string(source)) != 0 ||
           json_object_set_new(res, "time_frame", span_json(s->from, s->to)) != 0 ||
           json_object_set_new(res, "store_coverage", cov) != 0 ||
           json_object_set_new(res, "store_parts", parts[SEG_STORE]) != 0 ||
           json_object_set_new(res, "api_parts", parts[SEG_API]) != 0 ||
           json_object_set_new(res, "unavailable_parts", parts[SEG_NONE]) != 0 ||
           json_object_set_new(res, "api_requests",
                               json_pack("{s:s, s:I, s:I, s:o, s:I}", "pool",
                                         pptap_pool_name(s->pool), "planned", (json_int_t)s->cost,
                                         "made", (json_int_t)s->made, "pool_used_before",
                                         used >= 0 ? json_integer((json_int_t)used) : json_null(),
                                         "pool_limit", (json_int_t)pptap_pool_limit(s->pool))) != 0;
    return fail ? -1 : 0;
}

static void say_range(char *buf, size_t n, pptap_time_ms from, pptap_time_ms to)
{
    char a[PPTAP_TIME_STRLEN], b[PPTAP_TIME_STRLEN];
    snprintf(buf, n, "%s to %s", act_time_str(a, from), act_time_str(b, to));
}

static int run(action_ctx *ctx)
{
    search *s = calloc(1, sizeof *s);
    if (s == NULL) {
        return act_fail(ctx, 70, "out of memory");
    }
    int rc = -1;
    char cost_line[1024] = ""; /* said after the SecOps message, which comes first */
    s->ctx = ctx;
    s->env = act_env(ctx);
    s->tenant = s->env->tenant != NULL ? s->env->tenant : "default";
    s->now = act_now(ctx);
    s->events = json_array();
    if (s->events == NULL) {
        rc = act_fail(ctx, 70, "out of memory");
        goto out;
    }
    if (choose(ctx, s) != 0) {
        goto out;
    }
    s->pool = pptap_endpoint_pool(s->ep);
    int err = plan(s);
    if (err != 0) {
        rc = act_fail(ctx, act_exit_code(err), "%s", s->err);
        goto out;
    }
    char range[2 * PPTAP_TIME_STRLEN + 8];
    say_range(range, sizeof range, s->from, s->to);

    /* The cost, before anything is spent. */
    int64_t used = -1; /* unknown: no ledger, or no request needed */
    pptap_time_ms free_at = PPTAP_TIME_NONE;
    /* Requests recorded up to an hour ahead of our clock count too: the
     * collector stamps them with the server's clock. */
    if (s->cost > 0 && s->env->store != NULL) {
        if (pptap_store_ledger_count(s->env->store, &used, &free_at, s->tenant,
                                     pptap_pool_name(s->pool), s->now + SE_HOUR,
                                     SE_DAY + SE_HOUR) != 0) {
            rc = act_fail(ctx, 74, "the request ledger: %s", pptap_store_last_error(s->env->store));
            goto out;
        }
    }
    int limit = pptap_pool_limit(s->pool);
    char usage[96]; /* "12 of 1800 used in the last 24 hours" */
    if (used >= 0) {
        snprintf(usage, sizeof usage, "%lld of %d used in the last 24 hours", (long long)used,
                 limit);
    } else {
        snprintf(usage, sizeof usage, "%d a day; no request ledger to count them", limit);
    }
    if (free_at != PPTAP_TIME_NONE) {
        free_at -= SE_HOUR; /* when the oldest leaves the 24 hours */
    }
    if (s->cost > 0) {
        /* Max API Requests (0 when not given) up to the front door's
         * ceiling, which is also the default. */
        long ceiling = act_int(ctx, "Max API Requests");
        long cap = s->env->budget_ceiling > 0 ? (long)s->env->budget_ceiling : 0;
        char capped[96] = "";
        if (ceiling <= 0) {
            ceiling = cap > 0 ? cap : DEFAULT_CEILING;
        } else if (cap > 0 && ceiling > cap) {
            snprintf(capped, sizeof capped, ", capped by the configured ceiling of %ld", cap);
            ceiling = cap;
        }
        char why[300] = "";
        if (s->env->store == NULL) {
            snprintf(why, sizeof why, "no local store is configured");
        } else if (!s->cov.known) {
            snprintf(why, sizeof why, "the local store cannot answer it: %s", s->cov.why);
        } else {
            char c[2 * PPTAP_TIME_STRLEN + 8];
            say_range(c, sizeof c, s->cov.from, s->cov.to);
            snprintf(why, sizeof why, "the local store is complete from %s only", c);
        }
        if (s->cost > ceiling) {
            /* the advice must be one that works: Max API Requests cannot
             * go past the configured ceiling */
            char advice[160];
            if (cap > 0 && s->cost > cap) {
                snprintf(advice, sizeof advice,
                         "Narrow the time frame or raise PPTAP_ACTION_MAX_REQUESTS (now %ld) "
                         "to %lld.",
                         cap, (long long)s->cost);
            } else {
                snprintf(advice, sizeof advice,
                         "Narrow the time frame or set Max API Requests to %lld.",
                         (long long)s->cost);
            }
            rc = act_fail(ctx, 64,
                          "Searching %s needs %lld TAP API requests (one per hour not in the "
                          "store; pool %s, %s), more than Max API Requests (%ld%s), so nothing "
                          "was requested; %s. %s",
                          range, (long long)s->cost, pptap_pool_name(s->pool), usage, ceiling,
                          capped, why, advice);
            goto out;
        }
        if (limit > 0 && used >= 0 && used + s->cost > limit) {
            char when[PPTAP_TIME_STRLEN];
            rc = act_fail(ctx, 75,
                          "Searching %s needs %lld TAP API requests but pool %s has %lld of its "
                          "%d requests per 24 hours left; nothing was requested%s%s.",
                          range, (long long)s->cost, pptap_pool_name(s->pool),
                          (long long)(limit - used > 0 ? limit - used : 0), limit,
                          free_at != PPTAP_TIME_NONE ? "; the oldest request leaves the window at "
                                                     : "",
                          free_at != PPTAP_TIME_NONE ? act_time_str(when, free_at) : "");
            goto out;
        }
        if (act_client(ctx) == NULL) {
            goto out;
        }
        snprintf(cost_line, sizeof cost_line,
                 "Cost: up to %lld TAP API request%s (1-hour slices, pool %s; %s before this "
                 "search), because %s.",
                 (long long)s->cost, s->cost == 1 ? "" : "s", pptap_pool_name(s->pool), usage, why);
    }

    /* Read the segments, newest first, until Max Results are in. */
    for (int i = 0; i < s->n_seg && json_array_size(s->events) < s->max; i++) {
        segment *g = &s->seg[i];
        g->read = g->kind != SEG_NONE;
        if (g->kind == SEG_STORE) {
            err = read_store(s, g);
            if (err != 0) {
                rc = act_fail(ctx, act_exit_code(err), "%s", s->err);
                goto out;
            }
        } else if (g->kind == SEG_API) {
            err = read_api(s, g);
            if (err == PPTAP_ECONFIG) {
                goto out; /* act_client() said why */
            }
            if (err != 0) {
                char slice[2 * PPTAP_TIME_STRLEN + 8], what[160];
                say_range(slice, sizeof slice, g->qfrom, g->to);
                snprintf(what, sizeof what, "request %lld of %lld planned (%s)", (long long)s->made,
                         (long long)s->cost, slice);
                json_t *res = json_pack("{s:O}", "events", s->events);
                if (res != NULL && describe(s, res, used) == 0) {
                    act_set_json(ctx, res);
                } else {
                    json_decref(res);
                }
                rc = act_api_fail(ctx, err, what);
                goto out;
            }
        }
    }

    json_t *res = json_pack("{s:O}", "events", s->events);
    if (res == NULL || describe(s, res, used) != 0) {
        json_decref(res);
        rc = act_fail(ctx, 70, "out of memory");
        goto out;
    }
    size_t n = json_array_size(s->events);
    act_set_json(ctx, res);
    act_set_value(ctx, n > 0);
    if (n > 0) {
        act_message(ctx, "Successfully returned events from Proofpoint TAP.");
    } else {
        act_message(ctx, "No events were found in Proofpoint TAP for the provided criteria.");
    }
    if (cost_line[0] != '\0') {
        act_message(ctx, "%s", cost_line);
    }
    for (int i = 0; i < s->n_seg; i++) {
        if (s->seg[i].kind == SEG_NONE) {
            char what[2 * PPTAP_TIME_STRLEN + 8];
            say_range(what, sizeof what, s->seg[i].from, s->seg[i].to);
            act_message(ctx,
                        "Events from %s were not searched: the local store does not hold them "
                        "and the TAP API serves only the last 7 days.",
                        what);
        }
    }
    if (s->cost == 0 && s->store_used) {
        act_message(ctx, "Source: the local store (complete for %s); no API requests.", range);
    } else if (s->cost > 0) {
        act_message(ctx, "Source: %s; %lld TAP API request%s made.",
                    s->store_used ? "the local store and the TAP API" : "the TAP API",
                    (long long)s->made, s->made == 1 ? "" : "s");
    }
    rc = 0;
out:
    json_decref(s->events);
    free(s);
    return rc;
}

const action_def action_search_events = {
    .name = "Search Events",
    .cli_name = "search-events",
    .tool_name = "proof_point_tap_search_events",
    .description =
        "Returns SIEM events of a type and threat status in a time frame, newest first: from the "
        "local store where the collector's checkpoints say it is complete, otherwise from the TAP "
        "API in 1-hour slices (one request per slice whatever the status), within a request "
        "ceiling and the pool's 24-hour budget.",
    .result_name = "is_success",
    .params = ACTION_PARAMS(params),
    .entity_types = NULL,
    .needs = 0,
    .err_style = ACTION_ERR_QUOTED,
    .cost = "None when the local store covers the time frame; otherwise one SIEM request per "
            "hour not covered (pool siem-clicks-permitted for Clicks Permitted, siem-other "
            "otherwise), announced before, refused over Max API Requests or the pool's budget.",
    .outputs =
        "{\"json_result\": {\"events\": \"raw TAP events, each with eventType\", \"source\":"
        " \"store | api | store+api\", \"time_frame\": {}, \"store_coverage\": {},"
        " \"store_parts\": [], \"api_parts\": [], \"unavailable_parts\": [], \"api_requests\":"
        " {}}, \"result_value\": \"true when events were found\", \"messages\": [\"Successfully"
        " returned events from Proofpoint TAP.\", \"No events were found in Proofpoint TAP for"
        " the provided criteria.\", \"Cost: up to N TAP API requests (1-hour slices, pool P; U"
        " of L used in the last 24 hours before this search), because <why the store does not"
        " cover it>.\", \"Events from X to Y were not searched: the local store does not hold"
        " them and the TAP API serves only the last 7 days.\", \"Source: the local store"
        " (complete for X to Y); no API requests. | Source: the TAP API; N TAP API requests"
        " made.\", \"Searching X to Y needs N TAP API requests (...), more than Max API Requests"
        " (C), so nothing was requested; ... (failed, exit 64)\", \"Searching X to Y needs N TAP"
        " API requests but pool P has R of its L requests per 24 hours left; nothing was"
        " requested. (failed, exit 75)\"]}",
    .run = run,
};
