/*
 * pptap-sim — the SIEM endpoints: time selectors and the window rules with the
 * API's 400 texts, threatType/threatStatus filters, JSON and syslog formats,
 * and bodies streamed a few items at a time so that an hour of 200,000 events
 * never sits in memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define TXT_TOO_OLD                                                                                \
    "The requested start time is too far into the past. Requests for information up to 7.00d "     \
    "are accepted"
#define TXT_TOO_SHORT                                                                              \
    "The requested interval is too short. Requests must be for at least 30.00s of data"
#define TXT_STILL_CURRENT "The requested interval is still current."
/* Simulator choices (texts not captured from the real API): */
#define TXT_TOO_LONG                                                                               \
    "The requested interval is too long. Requests must be for at most 1.00h of data"
#define TXT_SELECTOR "Exactly one of the interval, sinceSeconds or sinceTime parameters is required"
#define TXT_BAD_INTERVAL "The interval parameter is not a valid ISO 8601 interval"
#define TXT_BAD_SINCE_SECONDS "The sinceSeconds parameter must be an integer"
#define TXT_BAD_SINCE_TIME "The sinceTime parameter is not a valid ISO 8601 date-time"
#define TXT_BAD_FORMAT "The format parameter must be json or syslog"
#define TXT_BAD_TYPE "The threatType parameter must be url, attachment or messageText"
#define TXT_BAD_STATUS "The threatStatus parameter must be active, cleared or falsePositive"

/* ---------------------------------------------------------------------- */
/* Walking the items of a window */

void sim_walk_init(sim_walk *w, pptap_time_ms start, pptap_time_ms end, unsigned mask)
{
    w->start = start;
    w->end = end;
    w->minute = start / SIM_MINUTE_MS;
    w->last = (end - 1) / SIM_MINUTE_MS;
    w->idx = 0;
    w->n = sim_gen_items_in_minute(w->minute);
    w->mask = mask;
}

int sim_walk_next(sim_walk *w, sim_item *it, int *budget)
{
    while (w->minute <= w->last) {
        while (w->idx < w->n) {
            uint32_t j = w->idx++;
            if (budget && --*budget < 0) {
                w->idx--;
                return -1;
            }
            if (!(w->mask & (1u << sim_gen_item_kind(w->minute, j)))) {
                continue;
            }
            sim_gen_item(it, w->minute, j);
            if (it->created < w->start || it->created >= w->end) {
                continue;
            }
            return 1;
        }
        if (budget && --*budget < 0) {
            return -1; /* empty minutes count too, so a long empty range yields */
        }
        w->minute++;
        w->idx = 0;
        w->n = w->minute <= w->last ? sim_gen_items_in_minute(w->minute) : 0;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Parameters */

static int split_values(const sim_params *p, const char *name, const char *const *names, int n,
                        unsigned *mask)
{
    *mask = 0;
    for (int i = 0; i < p->n; i++) {
        if (strcmp(p->name[i], name) != 0) {
            continue;
        }
        char buf[256];
        snprintf(buf, sizeof buf, "%s", p->value[i]);
        char *s = buf;
        while (s) {
            char *comma = strchr(s, ',');
            if (comma) {
                *comma = '\0';
            }
            /* tolerate "[a,b]" and blanks */
            while (*s == ' ' || *s == '[') {
                s++;
            }
            size_t len = strlen(s);
            while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == ']')) {
                s[--len] = '\0';
            }
            if (*s) {
                int found = -1;
                for (int k = 0; k < n; k++) {
                    if (sim_strcaseeq(s, names[k])) {
                        found = k;
                    }
                }
                if (found < 0) {
                    return -1;
                }
                *mask |= 1u << found;
            }
            s = comma ? comma + 1 : NULL;
        }
    }
    return 0;
}

static pptap_time_ms round_minute(pptap_time_ms t)
{
    return (t + SIM_MINUTE_MS / 2) / SIM_MINUTE_MS * SIM_MINUTE_MS;
}

/* Reads and checks the time selector; on error fills the 400 and returns -1. */
static int siem_window(sim_req *r, pptap_time_ms *start, pptap_time_ms *end, int *since)
{
    const char *iv = sim_param(&r->params, "interval");
    const char *ss = sim_param(&r->params, "sinceSeconds");
    const char *st = sim_param(&r->params, "sinceTime");
    int nsel = sim_param_count(&r->params, "interval") +
               sim_param_count(&r->params, "sinceSeconds") +
               sim_param_count(&r->params, "sinceTime");
    if (nsel != 1) {
        sim_reply_text(r, 400, TXT_SELECTOR);
        return -1;
    }
    *since = iv == NULL;
    if (iv) {
        if (pptap_interval_parse(start, end, iv, strlen(iv)) != 0) {
            /* end before start gives a 400 without a description */
            const char *slash = strchr(iv, '/');
            pptap_time_ms a, b;
            if (slash && pptap_time_parse(&a, iv, (size_t)(slash - iv)) == 0 &&
                pptap_time_parse(&b, slash + 1, strlen(slash + 1)) == 0 && b < a) {
                sim_reply_text(r, 400, "");
            } else {
                sim_reply_text(r, 400, TXT_BAD_INTERVAL);
            }
            return -1;
        }
    } else if (ss) {
        int64_t n;
        if (sim_parse_int(ss, &n) != 0) {
            sim_reply_text(r, 400, TXT_BAD_SINCE_SECONDS);
            return -1;
        }
        *end = round_minute(r->now);
        *start = *end - n * 1000;
    } else {
        if (pptap_time_parse(start, st, strlen(st)) != 0) {
            sim_reply_text(r, 400, TXT_BAD_SINCE_TIME);
            return -1;
        }
        *end = round_minute(r->now);
    }
    if (*start < r->now - 7 * SIM_DAY_MS) {
        sim_reply_text(r, 400, TXT_TOO_OLD);
        return -1;
    }
    if (*end - *start < 30000) {
        sim_reply_text(r, 400, TXT_TOO_SHORT);
        return -1;
    }
    if (*end - *start > SIM_HOUR_MS) {
        sim_reply_text(r, 400, TXT_TOO_LONG);
        return -1;
    }
    if (!*since && *end > r->now) {
        sim_reply_text(r, 400, TXT_STILL_CURRENT);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Streaming */

#define ITEMS_PER_FILL 64

typedef struct {
    pptap_time_ms start, end, now;
    int kinds[SIM_K_COUNT];
    int nkinds;
    int cur;      /* index into kinds */
    int opened;   /* current kind's array opened */
    int started;  /* envelope opened */
    int end_last; /* queryEndTime written last (key order is not fixed in real bodies) */
    unsigned type_mask, status_mask;
    int syslog;
    uint64_t variant;
    char query_end[PPTAP_TIME_STRLEN];
    sim_walk walk;
    sim_item item;
    uint64_t events;
} siem_ctx;

static void write_event_line(sim_buf *b, const sim_event *ev, int kind, uint64_t variant)
{
    char ts[PPTAP_TIME_STRLEN];
    sim_jw w;
    pptap_time_format_ms(ts, sim_event_created(ev));
    sim_buf_puts(b, ts);
    sim_buf_puts(b, " tap-api-v2.proofpoint.com tap: type=");
    sim_buf_puts(b, sim_kind_name[kind]);
    sim_jw_init(&w, b, 1);
    sim_event_write(&w, ev, variant);
    sim_buf_put(b, "\n", 1);
}

/* Emits the matching events of the next few items; 1 when the body is complete. */
static int siem_fill(sim_stream *s)
{
    siem_ctx *c = s->ctx;
    sim_jw w;
    sim_jw_init(&w, &s->out, 0);
    if (!c->syslog && !c->started) {
        c->started = 1;
        sim_buf_puts(&s->out, "{");
        if (!c->end_last) {
            sim_buf_puts(&s->out, "\"queryEndTime\" : \"");
            sim_buf_puts(&s->out, c->query_end);
            sim_buf_puts(&s->out, "\"");
        }
    }
    int budget = ITEMS_PER_FILL * 8;
    while (c->cur < c->nkinds) {
        int kind = c->kinds[c->cur];
        if (!c->opened) {
            c->opened = 1;
            sim_walk_init(&c->walk, c->start, c->end, 1u << kind);
            if (!c->syslog) {
                sim_buf_puts(&s->out, c->end_last && c->cur == 0 ? "\"" : ", \"");
                sim_buf_puts(&s->out, sim_kind_name[kind]);
                sim_buf_puts(&s->out, "\" : [");
            }
            c->events = 0;
        }
        for (int n = 0; n < ITEMS_PER_FILL;) {
            int got = sim_walk_next(&c->walk, &c->item, &budget);
            if (got < 0) {
                return 0; /* yield; continue on the next call */
            }
            if (got == 0) {
                if (!c->syslog) {
                    sim_buf_puts(&s->out, "]");
                }
                c->opened = 0;
                c->cur++;
                break;
            }
            n++;
            sim_item_status_at(&c->item, c->now);
            for (int rr = 0; rr < sim_item_events(&c->item); rr++) {
                sim_event ev = {&c->item, rr};
                if (sim_event_visible(&ev) > c->now ||
                    !sim_event_matches(&ev, c->type_mask, c->status_mask)) {
                    continue;
                }
                if (c->syslog) {
                    write_event_line(&s->out, &ev, kind, c->variant);
                } else {
                    if (c->events > 0) {
                        sim_buf_puts(&s->out, ", ");
                    }
                    sim_event_write(&w, &ev, c->variant);
                }
                c->events++;
            }
            if (s->out.len > 128 * 1024) {
                return 0;
            }
        }
        if (c->opened) {
            return 0;
        }
    }
    if (!c->syslog) {
        if (c->end_last) {
            sim_buf_puts(&s->out, c->nkinds > 0 ? ", " : "");
            sim_buf_puts(&s->out, "\"queryEndTime\" : \"");
            sim_buf_puts(&s->out, c->query_end);
            sim_buf_puts(&s->out, "\"");
        }
        sim_buf_puts(&s->out, "}");
    }
    return 1;
}

static void siem_dispose(sim_stream *s)
{
    free(s->ctx);
    s->ctx = NULL;
}

/* True when at least one event of the window matches (for the syslog 204). */
static int siem_any(siem_ctx *c)
{
    for (int k = 0; k < c->nkinds; k++) {
        sim_walk_init(&c->walk, c->start, c->end, 1u << c->kinds[k]);
        while (sim_walk_next(&c->walk, &c->item, NULL) == 1) {
            sim_item_status_at(&c->item, c->now);
            for (int rr = 0; rr < sim_item_events(&c->item); rr++) {
                sim_event ev = {&c->item, rr};
                if (sim_event_visible(&ev) <= c->now &&
                    sim_event_matches(&ev, c->type_mask, c->status_mask)) {
                    return 1;
                }
            }
        }
    }
    return 0;
}

void sim_siem_handle(sim_req *r, int kinds_mask)
{
    pptap_time_ms start, end;
    int since;
    const char *fmt = sim_param(&r->params, "format");
    int syslog = 1;
    if (fmt) {
        if (sim_strcaseeq(fmt, "json")) {
            syslog = 0;
        } else if (!sim_strcaseeq(fmt, "syslog")) {
            sim_reply_text(r, 400, TXT_BAD_FORMAT);
            return;
        }
    }
    if (siem_window(r, &start, &end, &since) != 0) {
        return;
    }
    unsigned tmask, smask;
    if (split_values(&r->params, "threatType", sim_tt_name, SIM_TT_COUNT, &tmask) != 0) {
        sim_reply_text(r, 400, TXT_BAD_TYPE);
        return;
    }
    if (split_values(&r->params, "threatStatus", sim_ts_name, SIM_TS_COUNT, &smask) != 0) {
        sim_reply_text(r, 400, TXT_BAD_STATUS);
        return;
    }
    if (tmask == 0) {
        tmask = (1u << SIM_TT_COUNT) - 1;
    }
    if (smask == 0) {
        smask = (1u << SIM_TS_ACTIVE) | (1u << SIM_TS_CLEARED);
    }
    siem_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        sim_reply_text(r, 500, "out of memory");
        return;
    }
    c->start = start;
    c->end = end;
    c->now = r->now;
    c->type_mask = tmask;
    c->status_mask = smask;
    c->syslog = syslog;
    c->variant = r->seq;
    pptap_time_format(c->query_end, end);
    static const int order_all[] = {SIM_K_MESSAGES_DELIVERED, SIM_K_MESSAGES_BLOCKED,
                                    SIM_K_CLICKS_PERMITTED, SIM_K_CLICKS_BLOCKED};
    static const int order_issues[] = {SIM_K_CLICKS_PERMITTED, SIM_K_MESSAGES_DELIVERED};
    int issues = kinds_mask == ((1 << SIM_K_CLICKS_PERMITTED) | (1 << SIM_K_MESSAGES_DELIVERED));
    const int *order = issues ? order_issues : order_all;
    int norder = issues ? 2 : 4;
    for (int i = 0; i < norder; i++) {
        if (kinds_mask & (1 << order[i])) {
            c->kinds[c->nkinds++] = order[i];
        }
    }
    if (sim_cfg.shuffle > 0) {
        sim_rng g = {sim_mix(r->seq ^ 0x5417)};
        if (sim_rng_unit(&g) < sim_cfg.shuffle) {
            /* Real bodies list their keys in no fixed order. */
            c->end_last = sim_rng_permille(&g, 500);
            for (int i = c->nkinds - 1; i > 0; i--) {
                int j = (int)sim_rng_below(&g, (uint32_t)i + 1);
                int t = c->kinds[i];
                c->kinds[i] = c->kinds[j];
                c->kinds[j] = t;
            }
        }
    }
    if (syslog && !siem_any(c)) {
        free(c);
        r->status = 204;
        r->content_type = NULL;
        sim_buf_reset(&r->body_out);
        return;
    }
    sim_stream *s = calloc(1, sizeof *s);
    if (s == NULL) {
        free(c);
        sim_reply_text(r, 500, "out of memory");
        return;
    }
    s->ctx = c;
    s->fill = siem_fill;
    s->dispose = siem_dispose;
    if (syslog) {
        r->status = 200;
        r->content_type = "text/plain;charset=UTF-8";
    } else {
        sim_reply_json(r, 200);
    }
    r->stream = s;
}
