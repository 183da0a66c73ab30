/*
 * pptap-sim — admin endpoints under /admin/: status, request log, pools, the
 * clock, faults, and the ground truth (every event created in a range).
 * They are not authenticated (the simulator listens on loopback), never count
 * against a pool and are not written to the request log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define TXT_POST_ONLY "This admin endpoint changes state: use POST"

static int is_post(sim_req *r)
{
    if (strcmp(r->method, "POST") != 0) {
        sim_reply_text(r, 405, TXT_POST_ONLY);
        snprintf(r->extra_header[0], sizeof r->extra_header[0], "Allow: POST");
        return 0;
    }
    return 1;
}

static int parse_prob(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || v < 0 || v > 1) {
        return -1;
    }
    *out = v;
    return 0;
}

static void write_faults(sim_jw *w)
{
    sim_fault_cfg f;
    sim_faults_get(&f);
    sim_jw_obj(w);
    sim_jw_key(w, "5xx");
    sim_jw_double(w, f.p_5xx, 4);
    sim_jw_key(w, "429");
    sim_jw_double(w, f.p_429, 4);
    sim_jw_key(w, "slow");
    sim_jw_double(w, f.p_slow, 4);
    sim_jw_kint(w, "slowMs", f.slow_ms);
    sim_jw_key(w, "truncate");
    sim_jw_double(w, f.p_truncate, 4);
    sim_jw_key(w, "reset");
    sim_jw_double(w, f.p_reset, 4);
    sim_jw_key(w, "badjson");
    sim_jw_double(w, f.p_badjson, 4);
    sim_jw_kint(w, "seed", (int64_t)f.seed);
    sim_jw_obj_end(w);
}

static void write_clock(sim_jw *w)
{
    sim_jw_obj(w);
    sim_jw_key(w, "now");
    sim_jw_time_ms(w, sim_clock_now());
    sim_jw_key(w, "speed");
    sim_jw_double(w, sim_clock_speed(), 3);
    sim_jw_obj_end(w);
}

static void start_json(sim_req *r, sim_jw *w)
{
    r->status = 200;
    r->content_type = "application/json";
    sim_buf_reset(&r->body_out);
    sim_jw_init(w, &r->body_out, 0);
}

static void handle_faults(sim_req *r)
{
    if (strcmp(r->method, "POST") == 0) {
        sim_fault_cfg f;
        sim_faults_get(&f);
        if (sim_param(&r->params, "clear")) {
            f.p_5xx = f.p_429 = f.p_slow = f.p_truncate = f.p_reset = f.p_badjson = 0;
        }
        static const char *const names[] = {"5xx", "429", "slow", "truncate", "reset", "badjson"};
        double *slots[] = {&f.p_5xx, &f.p_429, &f.p_slow, &f.p_truncate, &f.p_reset, &f.p_badjson};
        for (int i = 0; i < 6; i++) {
            const char *v = sim_param(&r->params, names[i]);
            if (v && parse_prob(v, slots[i]) != 0) {
                sim_reply_text(r, 400, "fault probabilities are numbers from 0 to 1");
                return;
            }
        }
        const char *ms = sim_param(&r->params, "slow-ms");
        int64_t v;
        if (ms) {
            if (sim_parse_int(ms, &v) != 0 || v < 0) {
                sim_reply_text(r, 400, "slow-ms must be a non-negative integer");
                return;
            }
            f.slow_ms = v;
        }
        const char *seed = sim_param(&r->params, "seed");
        if (seed) {
            if (sim_parse_int(seed, &v) != 0) {
                sim_reply_text(r, 400, "seed must be an integer");
                return;
            }
            f.seed = (uint64_t)v;
        }
        sim_faults_set(&f);
    }
    sim_jw w;
    start_json(r, &w);
    write_faults(&w);
}

static void handle_clock(sim_req *r)
{
    if (strcmp(r->method, "POST") == 0) {
        const char *set = sim_param(&r->params, "set");
        const char *adv = sim_param(&r->params, "advance");
        const char *spd = sim_param(&r->params, "speed");
        if (set) {
            pptap_time_ms t;
            if (pptap_time_parse(&t, set, strlen(set)) != 0) {
                sim_reply_text(r, 400, "set must be an ISO 8601 date-time");
                return;
            }
            sim_clock_set(t);
        }
        if (adv) {
            int64_t ms;
            int neg = adv[0] == '-';
            if (pptap_duration_parse_human(&ms, adv + (neg || adv[0] == '+')) != 0) {
                sim_reply_text(r, 400, "advance must be a duration such as 90s, 1h30m or PT1H");
                return;
            }
            sim_clock_advance(neg ? -ms : ms);
        }
        if (spd) {
            char *end;
            double v = strtod(spd, &end);
            if (end == spd || *end != '\0' || v < 0) {
                sim_reply_text(r, 400, "speed must be a non-negative number");
                return;
            }
            sim_clock_set_speed(v);
        }
    }
    sim_jw w;
    start_json(r, &w);
    write_clock(&w);
}

static void handle_pools(sim_req *r)
{
    if (strcmp(r->method, "POST") == 0) {
        for (int i = 0; i < SIM_POOL_COUNT; i++) {
            const char *v = sim_param(&r->params, sim_pool_name[i]);
            int64_t n;
            if (v == NULL) {
                continue;
            }
            if (sim_parse_int(v, &n) != 0 || n < 0 || n > 10000000) {
                sim_reply_text(r, 400, "pool sizes are non-negative integers (0 = unlimited)");
                return;
            }
            sim_pools_resize(i, (int)n);
        }
        if (sim_param(&r->params, "reset")) {
            sim_pools_reset();
        }
    }
    sim_jw w;
    start_json(r, &w);
    sim_pools_write(&w, sim_clock_now());
}

/* Ground truth: streamed NDJSON, one line per event created in the range. */
typedef struct {
    sim_walk walk;
    sim_item item;
    pptap_time_ms now;
} truth_ctx;

static int truth_fill(sim_stream *s)
{
    truth_ctx *c = s->ctx;
    int budget = 512;
    for (;;) {
        int got = sim_walk_next(&c->walk, &c->item, &budget);
        if (got < 0) {
            return 0;
        }
        if (got == 0) {
            return 1;
        }
        sim_item_status_at(&c->item, c->now); /* statuses as the API shows them now */
        for (int rr = 0; rr < sim_item_events(&c->item); rr++) {
            sim_event ev = {&c->item, rr};
            sim_jw w;
            sim_jw_init(&w, &s->out, 0);
            sim_jw_obj(&w);
            sim_jw_kstr(&w, "id", sim_event_id(&ev));
            sim_jw_kstr(&w, "type", sim_kind_name[c->item.kind]);
            sim_jw_kstr(&w, "GUID", c->item.guid);
            sim_jw_key(&w, "created");
            sim_jw_time_ms(&w, sim_event_created(&ev));
            sim_jw_key(&w, "visible");
            sim_jw_time_ms(&w, sim_event_visible(&ev));
            sim_jw_key(&w, "visibleNow");
            sim_jw_bool(&w, sim_event_visible(&ev) <= c->now);
            sim_jw_key(&w, "late");
            sim_jw_bool(&w, c->item.late);
            sim_jw_key(&w, "threats");
            sim_jw_arr(&w);
            for (int i = 0; i < c->item.nthreats; i++) {
                sim_jw_obj(&w);
                sim_jw_kstr(&w, "threatID", c->item.threats[i].id);
                sim_jw_kstr(&w, "threatType", sim_tt_name[c->item.threats[i].type]);
                sim_jw_kstr(&w, "threatStatus", sim_ts_name[c->item.threats[i].status]);
                sim_jw_kstr(&w, "classification", sim_cl_name[c->item.threats[i].cls]);
                sim_jw_kstr(&w, "campaignID",
                            c->item.threats[i].has_campaign ? c->item.threats[i].campaign : NULL);
                sim_jw_obj_end(&w);
            }
            sim_jw_arr_end(&w);
            sim_jw_obj_end(&w);
            sim_buf_put(&s->out, "\n", 1);
        }
        if (s->out.len > 64 * 1024) {
            return 0;
        }
    }
}

static void truth_dispose(sim_stream *s)
{
    free(s->ctx);
}

static void handle_truth(sim_req *r)
{
    pptap_time_ms start, end;
    const char *iv = sim_param(&r->params, "interval");
    const char *a = sim_param(&r->params, "start");
    const char *b = sim_param(&r->params, "end");
    if (iv) {
        if (pptap_interval_parse(&start, &end, iv, strlen(iv)) != 0) {
            sim_reply_text(r, 400, "interval must be an ISO 8601 interval");
            return;
        }
    } else if (a && b) {
        if (pptap_time_parse(&start, a, strlen(a)) != 0 ||
            pptap_time_parse(&end, b, strlen(b)) != 0 || end < start) {
            sim_reply_text(r, 400, "start and end must be ISO 8601 date-times, start <= end");
            return;
        }
    } else {
        sim_reply_text(r, 400, "give interval=START/END or start=...&end=...");
        return;
    }
    unsigned mask = 0;
    const char *types = sim_param(&r->params, "type");
    if (types) {
        for (int k = 0; k < SIM_K_COUNT; k++) {
            if (strstr(types, sim_kind_name[k])) {
                mask |= 1u << k;
            }
        }
    }
    if (mask == 0) {
        mask = (1u << SIM_K_COUNT) - 1;
    }
    truth_ctx *c = calloc(1, sizeof *c);
    sim_stream *s = calloc(1, sizeof *s);
    if (c == NULL || s == NULL) {
        free(c);
        free(s);
        sim_reply_text(r, 500, "out of memory");
        return;
    }
    c->now = r->now;
    sim_walk_init(&c->walk, start, end, mask);
    s->ctx = c;
    s->fill = truth_fill;
    s->dispose = truth_dispose;
    r->status = 200;
    r->content_type = "application/x-ndjson";
    r->stream = s;
}

static void handle_status(sim_req *r)
{
    sim_jw w;
    start_json(r, &w);
    sim_jw_obj(&w);
    sim_jw_kstr(&w, "simulator", "pptap-sim " PPTAP_VERSION);
    sim_jw_kint(&w, "seed", (int64_t)sim_cfg.seed);
    sim_jw_key(&w, "eventsPerHour");
    sim_jw_double(&w, sim_cfg.rate, 1);
    sim_jw_kint(&w, "users", sim_cfg.users);
    sim_jw_kstr(&w, "domain", sim_cfg.domain);
    sim_jw_kstr(&w, "cluster", sim_cfg.cluster);
    sim_jw_kint(&w, "maxIndexDelaySeconds", sim_cfg.max_delay_s);
    sim_jw_kstr(&w, "principal", sim_cfg.principal);
    sim_jw_key(&w, "authRequired");
    sim_jw_bool(&w, !sim_cfg.auth_disabled);
    sim_jw_key(&w, "clock");
    write_clock(&w);
    sim_jw_key(&w, "pools");
    sim_pools_write(&w, sim_clock_now());
    sim_jw_key(&w, "faults");
    write_faults(&w);
    sim_jw_obj_end(&w);
}

void sim_admin_handle(sim_req *r)
{
    const char *p = r->path + strlen("/admin/");
    if (strcmp(p, "status") == 0) {
        handle_status(r);
    } else if (strcmp(p, "requests") == 0) {
        int64_t last = 100;
        const char *v = sim_param(&r->params, "last");
        if (v && (sim_parse_int(v, &last) != 0 || last < 0)) {
            sim_reply_text(r, 400, "last must be a non-negative integer");
            return;
        }
        sim_jw w;
        start_json(r, &w);
        sim_log_write(&w, last > 1000000 ? 1000000 : (int)last);
    } else if (strcmp(p, "reset") == 0) {
        if (!is_post(r)) {
            return;
        }
        sim_log_reset();
        sim_pools_reset();
        sim_reply_text(r, 200, "ok\n");
    } else if (strcmp(p, "pools") == 0) {
        handle_pools(r);
    } else if (strcmp(p, "clock") == 0) {
        handle_clock(r);
    } else if (strcmp(p, "faults") == 0) {
        handle_faults(r);
    } else if (strcmp(p, "truth") == 0) {
        handle_truth(r);
    } else {
        sim_reply_text(r, 404, "");
    }
}
