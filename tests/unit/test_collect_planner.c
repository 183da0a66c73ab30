/*
 * The collector's window planner: table-driven steps, and whole simulated
 * days and outages checked for coverage (every minute queried by a final
 * pass exactly once, no window in the future or past the API's limits) and
 * for cost.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "planner.h"

#define SEC 1000LL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
#define T0 1795000000000LL /* 2026-11-18T09:46:40Z */

typedef struct {
    const char *name;
    pptap_time_ms final, early, now;
    plan_kind kind;
    pptap_time_ms from, to;
} step_case;

static void test_steps(void **state)
{
    (void)state;
    planner_params p;
    planner_defaults(&p);
    const pptap_time_ms F = T0 - (T0 % MIN); /* a whole minute */
    const step_case cases[] = {
        {"caught up, early pass due", F, F, F + 6 * MIN, PLAN_EARLY, F, F + 5 * MIN},
        {"early pass not due yet", F, F + 3 * MIN, F + 6 * MIN, PLAN_WAIT, 0, 0},
        {"final due once a whole window is past the horizon", F, F + 95 * MIN, F + 96 * MIN,
         PLAN_FINAL, F, F + HOUR},
        {"final not due inside the horizon", F, F + 90 * MIN, F + 94 * MIN, PLAN_WAIT, 0, 0},
        {"early pass comes before a due final", F, F + 80 * MIN, F + 96 * MIN, PLAN_EARLY,
         F + 80 * MIN, F + 95 * MIN},
        {"beyond the 7-day limit: gap to the oldest minute", F - 8 * DAY, F - 8 * DAY, F, PLAN_GAP,
         F - 8 * DAY, F - 7 * DAY + 10 * MIN},
        {"backfill: early pass looks at the recent, not the old", F - 3 * DAY, F - 3 * DAY, F,
         PLAN_EARLY, F - 40 * MIN, F - MIN},
        {"backfill: finals from the oldest", F - 3 * DAY, F - MIN, F, PLAN_FINAL, F - 3 * DAY,
         F - 3 * DAY + HOUR},
        {"early windows stay within 1 h", F, F, F + 3 * HOUR, PLAN_EARLY, F + 3 * HOUR - 40 * MIN,
         F + 3 * HOUR - MIN},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const step_case *c = &cases[i];
        plan got = planner_next(&p, c->final, c->early, c->now);
        if (got.kind != c->kind ||
            (c->kind != PLAN_WAIT && (got.from != c->from || got.to != c->to))) {
            fail_msg("%s: got kind %d [%lld, %lld), want %d [%lld, %lld)", c->name, got.kind,
                     (long long)(got.from - F) / MIN, (long long)(got.to - F) / MIN, c->kind,
                     (long long)(c->from - F) / MIN, (long long)(c->to - F) / MIN);
        }
        if (got.kind == PLAN_WAIT) {
            assert_true(got.wake_at > c->now);
        }
    }
}

static void test_start(void **state)
{
    (void)state;
    planner_params p;
    planner_defaults(&p);
    pptap_time_ms s = planner_start(&p, T0, DAY);
    assert_int_equal(s % MIN, 0);
    assert_true(s <= T0 - DAY && s > T0 - DAY - MIN);
    /* Never older than the API accepts. */
    s = planner_start(&p, T0, 30 * DAY);
    assert_true(s >= T0 - p.lookback_ms);
    assert_int_equal(s % MIN, 0);
}

typedef struct {
    int64_t requests, early, final, gaps;
    pptap_time_ms final_cursor, early_cursor;
    pptap_time_ms covered_to; /* final windows are contiguous up to here */
    pptap_time_ms gap_to;
} run_state;

/* Advances a simulated collector from `from` to `to`, taking one step every
 * `tick` of server time (as a real collector wakes when due). */
static void simulate(const planner_params *p, run_state *r, pptap_time_ms from, pptap_time_ms to,
                     int64_t tick)
{
    for (pptap_time_ms now = from; now <= to; now += tick) {
        for (int guard = 0; guard < 100000; guard++) {
            plan pl = planner_next(p, r->final_cursor, r->early_cursor, now);
            if (pl.kind == PLAN_WAIT) {
                assert_true(pl.wake_at > now);
                break;
            }
            if (pl.kind == PLAN_GAP) {
                assert_int_equal(pl.from, r->final_cursor);
                r->gaps++;
                r->gap_to = pl.to;
                r->final_cursor = pl.to;
                r->covered_to = pl.to;
                if (r->early_cursor < pl.to) {
                    r->early_cursor = pl.to;
                }
                continue;
            }
            /* The API's window rules, by the server's clock. */
            assert_true(pl.to - pl.from >= p->min_window_ms);
            assert_true(pl.to - pl.from <= HOUR);
            assert_true(pl.to <= now - p->margin_ms);
            assert_true(pl.from >= now - 7 * DAY);
            r->requests++;
            if (pl.kind == PLAN_FINAL) {
                /* Contiguous, each minute once, only after the horizon. */
                assert_int_equal(pl.from, r->covered_to);
                assert_true(pl.to <= now - p->horizon_ms);
                r->covered_to = pl.to;
                r->final_cursor = pl.to;
                if (r->early_cursor < pl.to) {
                    r->early_cursor = pl.to;
                }
                r->final++;
            } else {
                assert_true(pl.from >= r->final_cursor);
                r->early_cursor = pl.to;
                r->early++;
            }
        }
    }
}

static void test_live_day_cost(void **state)
{
    (void)state;
    planner_params p;
    planner_defaults(&p);
    run_state r = {0};
    r.final_cursor = r.early_cursor = r.covered_to = planner_start(&p, T0, HOUR);
    simulate(&p, &r, T0, T0 + 2 * DAY, 20 * SEC); /* settle in */
    run_state day = r;
    day.requests = day.early = day.final = 0;
    simulate(&p, &day, T0 + 2 * DAY + 20 * SEC, T0 + 3 * DAY, 20 * SEC);
    print_message("one live day: %lld requests (%lld early, %lld final)\n", (long long)day.requests,
                  (long long)day.early, (long long)day.final);
    assert_true(day.requests < 400);
    assert_true(day.final >= 23 && day.final <= 25);
    assert_int_equal(planner_daily_requests(&p), 288 + 24);
    /* Lag of the final cursor stays within a window plus the horizon. */
    assert_true(T0 + 3 * DAY - day.final_cursor <= HOUR + p.horizon_ms + 20 * SEC);
    /* Latency: the early cursor is never more than one period behind. */
    assert_true(T0 + 3 * DAY - day.early_cursor <= p.early_ms + p.margin_ms + 20 * SEC);
}

static void test_outage_backfill_and_gap(void **state)
{
    (void)state;
    planner_params p;
    planner_defaults(&p);
    run_state r = {0};
    r.final_cursor = r.early_cursor = r.covered_to = planner_start(&p, T0, HOUR);
    simulate(&p, &r, T0, T0 + DAY, MIN);
    pptap_time_ms down_from = r.final_cursor;
    /* A 10-day outage: one gap for what is past the API's reach, then a
     * backfill of the last 7 days, with early passes beside it. */
    run_state after = r;
    after.requests = after.early = after.final = 0;
    pptap_time_ms back = T0 + 11 * DAY;
    simulate(&p, &after, back, back + 2 * HOUR, SEC);
    assert_int_equal(after.gaps, 1);
    assert_true(after.gap_to >= back - 7 * DAY && after.gap_to <= back - 7 * DAY + HOUR);
    assert_true(down_from < after.gap_to);
    /* 7 days of finals in 1-hour windows, plus the early passes. */
    assert_true(after.final >= 7 * 24 - 2 && after.final <= 7 * 24 + 2);
    assert_true(after.early >= 1);
    print_message("10-day outage: 1 gap, %lld final windows, %lld early passes\n",
                  (long long)after.final, (long long)after.early);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steps),
        cmocka_unit_test(test_start),
        cmocka_unit_test(test_live_day_cost),
        cmocka_unit_test(test_outage_backfill_and_gap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
