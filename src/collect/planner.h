/*
 * The window planner: given a tenant's cursors and the server's time, the
 * next thing to do. Pure: no I/O, no clock of its own.
 *
 *   final cursor F  every window ending at or before F was queried once it
 *                   was older than the late-indexing horizon: complete.
 *   early cursor E  the early pass has seen (F, E] already (E >= F).
 *
 * Order of business: time older than the API's 7-day limit becomes a gap
 * record; an early pass when one is due (low latency, even during a
 * backfill); then final passes of every whole window older than the
 * horizon, oldest first (backfill after an outage is just this).
 */
#ifndef PPTAP_COLLECT_PLANNER_H
#define PPTAP_COLLECT_PLANNER_H

#include <stdint.h>

#include <pptap/time.h>

typedef struct {
    int64_t window_ms;     /* final-pass window (30 s .. 1 h) */
    int64_t horizon_ms;    /* late-indexing horizon (final pass once older) */
    int64_t early_ms;      /* early pass period */
    int64_t lookback_ms;   /* oldest start the API accepts, less a margin */
    int64_t margin_ms;     /* how far behind the server's now a window ends */
    int64_t min_window_ms; /* the API's minimum (30 s) */
} planner_params;

typedef enum {
    PLAN_WAIT = 0, /* nothing due before `wake_at` */
    PLAN_GAP,      /* [from, to) is past the API's reach: record a gap */
    PLAN_EARLY,    /* query [from, to) for latency; E becomes to */
    PLAN_FINAL,    /* query [from, to) to complete it; F becomes to */
} plan_kind;

typedef struct {
    plan_kind kind;
    pptap_time_ms from, to;
    pptap_time_ms wake_at; /* PLAN_WAIT: when something is next due */
} plan;

/* The defaults: 1 h windows, 35 min horizon, 5 min early pass, 7 days less
 * 10 minutes of lookback, 1 min margin, 30 s minimum. */
void planner_defaults(planner_params *p);

/* Where a new state starts: `since` before now, within the lookback, on a
 * whole minute. */
pptap_time_ms planner_start(const planner_params *p, pptap_time_ms now, int64_t since_ms);

/* The next step for cursors (final, early) at server time `now`. */
plan planner_next(const planner_params *p, pptap_time_ms final, pptap_time_ms early,
                  pptap_time_ms now);

/* Requests a day the plan costs in steady state (early passes + finals). */
int64_t planner_daily_requests(const planner_params *p);

#endif
