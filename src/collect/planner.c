/*
 * The window planner (planner.h).
 */
#include "planner.h"

#define MINUTE 60000LL
#define DAY (24 * 60 * MINUTE)

void planner_defaults(planner_params *p)
{
    p->window_ms = 60 * MINUTE;
    p->horizon_ms = 35 * MINUTE;
    p->early_ms = 5 * MINUTE;
    p->lookback_ms = 7 * DAY - 10 * MINUTE;
    p->margin_ms = MINUTE;
    p->min_window_ms = 30000;
}

static pptap_time_ms ceil_minute(pptap_time_ms t)
{
    pptap_time_ms r = t % MINUTE;
    if (r < 0) {
        r += MINUTE;
    }
    return r == 0 ? t : t + (MINUTE - r);
}

static pptap_time_ms floor_minute(pptap_time_ms t)
{
    pptap_time_ms r = t % MINUTE;
    if (r < 0) {
        r += MINUTE;
    }
    return t - r;
}

pptap_time_ms planner_start(const planner_params *p, pptap_time_ms now, int64_t since_ms)
{
    pptap_time_ms oldest = ceil_minute(now - p->lookback_ms);
    pptap_time_ms start = floor_minute(now - since_ms);
    return start < oldest ? oldest : start;
}

plan planner_next(const planner_params *p, pptap_time_ms final, pptap_time_ms early,
                  pptap_time_ms now)
{
    plan out = {PLAN_WAIT, 0, 0, 0};
    pptap_time_ms oldest = ceil_minute(now - p->lookback_ms);
    if (final < oldest) {
        out.kind = PLAN_GAP;
        out.from = final;
        out.to = oldest;
        return out;
    }
    if (early < final) {
        early = final;
    }
    pptap_time_ms last_end = now - p->margin_ms; /* windows end before this */

    /* Early pass: the recent part that no final pass covers yet. */
    pptap_time_ms efrom = early;
    if (efrom < now - p->horizon_ms - p->window_ms) {
        /* Older time will be completed by final passes; look at the recent. */
        efrom = floor_minute(now - p->horizon_ms - p->early_ms);
        if (efrom < final) {
            efrom = final;
        }
    }
    pptap_time_ms early_due = efrom + p->early_ms;
    if (last_end >= early_due && last_end - efrom >= p->min_window_ms) {
        out.kind = PLAN_EARLY;
        out.from = efrom;
        out.to = last_end - efrom > p->window_ms ? efrom + p->window_ms : last_end;
        out.to = floor_minute(out.to) > out.from + p->min_window_ms ? floor_minute(out.to) : out.to;
        return out;
    }

    /* Final pass: a whole window older than the horizon. */
    pptap_time_ms final_due = final + p->window_ms + p->horizon_ms;
    if (now >= final_due) {
        out.kind = PLAN_FINAL;
        out.from = final;
        out.to = final + p->window_ms;
        return out;
    }
    out.wake_at = early_due + p->margin_ms < final_due ? early_due + p->margin_ms : final_due;
    return out;
}

int64_t planner_daily_requests(const planner_params *p)
{
    return DAY / p->early_ms + DAY / p->window_ms;
}
