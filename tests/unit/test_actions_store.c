/*
 * Unit tests: the store-backed actions without a network. Search Events
 * plans from the collector's checkpoints (coverage, endpoint, statuses, gap
 * records) and the front door's ceiling; the store answers what it covers
 * with no client at all; what it does not cover needs the API. The event
 * helpers: creation time and threat statuses of messages and clicks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <pptap/store.h>

#include "action_impl.h"
#include "store_events.h"

#define HOUR (3600 * 1000LL)

typedef struct {
    char dir[64];
    char path[128];
    pptap_store *st;
    pptap_time_ms t0; /* an hour boundary two days ago */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/pptap-actions-store-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/state.db", f->dir);
    char err[PPTAP_ERRMSG_LEN];
    assert_int_equal(pptap_store_open(&f->st, f->path, NULL, err), 0);
    f->t0 = (pptap_time_now() / HOUR - 48) * HOUR;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    pptap_store_close(f->st);
    char p[160];
    snprintf(p, sizeof p, "%s-wal", f->path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", f->path);
    unlink(p);
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void iso(char out[PPTAP_TIME_STRLEN], pptap_time_ms t)
{
    pptap_time_format(out, t);
}

/* The collector's checkpoints: complete for [from, to) of an endpoint. */
static void cover(fixture *f, pptap_time_ms from, pptap_time_ms to, const char *endpoint,
                  const char *statuses)
{
    assert_int_equal(pptap_store_checkpoint_set_int(f->st, "default", "start", from), 0);
    assert_int_equal(pptap_store_checkpoint_set_int(f->st, "default", "final", to), 0);
    assert_int_equal(pptap_store_checkpoint_set_text(f->st, "default", "endpoint", endpoint), 0);
    assert_int_equal(pptap_store_checkpoint_set_text(f->st, "default", "statuses", statuses), 0);
}

/* A delivered message at `at` with one threat of `status` identified at `threat_at`. */
static void message(fixture *f, const char *id, pptap_time_ms at, pptap_time_ms threat_at,
                    const char *status)
{
    char t[PPTAP_TIME_STRLEN], tt[PPTAP_TIME_STRLEN], text[1024];
    iso(t, at);
    iso(tt, threat_at);
    snprintf(text, sizeof text,
             "{\"id\":\"%s\",\"GUID\":\"G-%s\",\"messageTime\":\"%s\",\"recipient\":[\"a@x.test\"],"
             "\"threatsInfoMap\":[{\"threatID\":\"T1\",\"threatStatus\":\"%s\","
             "\"classification\":\"phish\",\"threatTime\":\"%s\",\"threatType\":\"url\","
             "\"threat\":\"https://bad.test/\"}]}",
             id, id, t, status, tt);
    json_error_t je;
    json_t *ev = json_loads(text, 0, &je);
    assert_non_null(ev);
    pptap_store_put_result r;
    assert_int_equal(
        pptap_store_put_event(f->st, "default", PPTAP_EVENT_MESSAGES_DELIVERED, ev, &r), 0);
    assert_int_equal(r.outcome, PPTAP_STORE_NEW);
    json_decref(ev);
}

static json_t *search(fixture *f, const actions_env *env, pptap_time_ms from, pptap_time_ms to,
                      const char *extra, int *code)
{
    char a[PPTAP_TIME_STRLEN], b[PPTAP_TIME_STRLEN], text[1024];
    iso(a, from);
    iso(b, to);
    snprintf(text, sizeof text,
             "{\"parameters\": {\"Time Frame\": \"Custom\", \"Start Time\": \"%s\", "
             "\"End Time\": \"%s\", \"Max Results To Return\": 1000%s}}",
             a, b, extra);
    (void)f;
    json_error_t je;
    json_t *req = json_loads(text, 0, &je);
    assert_non_null(req);
    json_t *res = actions_run(actions_find("search-events"), req, env, code);
    json_decref(req);
    assert_non_null(res);
    return res;
}

static const char *message_of(json_t *res)
{
    return json_string_value(json_object_get(res, "output_message"));
}

static void test_from_the_store_without_a_client(void **state)
{
    fixture *f = *state;
    cover(f, f->t0, f->t0 + 10 * HOUR, "all", "active,cleared,falsePositive");
    /* created in the frame by its threat time, though sent before it */
    message(f, "m-late", f->t0 - 20 * HOUR, f->t0 + 2 * HOUR + 5, "active");
    message(f, "m-in", f->t0 + 3 * HOUR, f->t0 + 3 * HOUR, "cleared");
    message(f, "m-fp", f->t0 + 3 * HOUR, f->t0 + 3 * HOUR, "falsePositive");
    message(f, "m-out", f->t0 + 5 * HOUR, f->t0 + 5 * HOUR, "active");
    actions_env env = {.store = f->st, .client_error = "no credentials in this test"};
    int code = -1;
    json_t *res = search(f, &env, f->t0 + 2 * HOUR, f->t0 + 4 * HOUR, "", &code);
    assert_int_equal(code, 0);
    json_t *jr = json_object_get(res, "json_result");
    assert_string_equal(json_string_value(json_object_get(jr, "source")), "store");
    json_t *events = json_object_get(jr, "events");
    assert_int_equal(json_array_size(events), 2); /* not the false positive, not m-out */
    /* newest creation time first */
    assert_string_equal(json_string_value(json_object_get(json_array_get(events, 0), "id")),
                        "m-in");
    assert_string_equal(json_string_value(json_object_get(json_array_get(events, 1), "id")),
                        "m-late");
    assert_string_equal(json_string_value(json_object_get(json_array_get(events, 0), "eventType")),
                        "messagesDelivered");
    json_decref(res);

    res = search(f, &env, f->t0 + 2 * HOUR, f->t0 + 4 * HOUR,
                 ", \"Threat Status\": \"False Positive\"", &code);
    events = json_object_get(json_object_get(res, "json_result"), "events");
    assert_int_equal(json_array_size(events), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(events, 0), "id")),
                        "m-fp");
    json_decref(res);
}

static void test_uncovered_needs_the_api(void **state)
{
    fixture *f = *state;
    cover(f, f->t0, f->t0 + 10 * HOUR, "all", "active,cleared,falsePositive");
    actions_env env = {.store = f->st, .client_error = "no credentials in this test"};
    int code = -1;
    /* two hours after the final cursor */
    json_t *res = search(f, &env, f->t0 + 9 * HOUR, f->t0 + 12 * HOUR, "", &code);
    assert_int_equal(code, 78);
    assert_non_null(strstr(message_of(res), "no TAP API client: no credentials in this test"));
    json_decref(res);
}

static void test_ceiling(void **state)
{
    fixture *f = *state;
    cover(f, f->t0, f->t0 + 10 * HOUR, "all", "active,cleared,falsePositive");
    /* a gap record inside the coverage: two hours the store will never have */
    assert_int_equal(
        pptap_store_gap_add(f->st, "default", f->t0 + 2 * HOUR, f->t0 + 4 * HOUR, "test"), 0);
    actions_env env = {.store = f->st, .budget_ceiling = 1};
    int code = -1;
    json_t *res = search(f, &env, f->t0 + HOUR, f->t0 + 5 * HOUR, "", &code);
    assert_int_equal(code, 64);
    assert_non_null(strstr(message_of(res), "needs 2 TAP API requests"));
    assert_non_null(strstr(message_of(res), "more than Max API Requests (1), so nothing"));
    json_decref(res);
    /* the parameter cannot go over the front door's ceiling */
    res = search(f, &env, f->t0 + HOUR, f->t0 + 5 * HOUR, ", \"Max API Requests\": 10", &code);
    assert_int_equal(code, 64);
    assert_non_null(
        strstr(message_of(res), "Max API Requests (1, capped by the configured ceiling of 1)"));
    json_decref(res);
    /* without a ceiling the default is 24 */
    env.budget_ceiling = 0;
    res = search(f, &env, f->t0 - 30 * HOUR, f->t0 - 2 * HOUR, "", &code);
    assert_int_equal(code, 64);
    assert_non_null(strstr(message_of(res), "needs 28 TAP API requests"));
    assert_non_null(strstr(message_of(res), "Max API Requests (24)"));
    json_decref(res);
}

static void test_endpoint_and_statuses(void **state)
{
    fixture *f = *state;
    cover(f, f->t0, f->t0 + 10 * HOUR, "messages-delivered", "active,cleared");
    actions_env env = {.store = f->st, .budget_ceiling = 1};
    int code = -1;
    /* All is more than the collected endpoint: the API is needed */
    json_t *res = search(f, &env, f->t0 + HOUR, f->t0 + 3 * HOUR, "", &code);
    assert_int_equal(code, 64);
    assert_non_null(strstr(message_of(res), "the collector stores the 'messages-delivered' "
                                            "endpoint"));
    json_decref(res);
    /* delivered messages, active or cleared: the store */
    res = search(f, &env, f->t0 + HOUR, f->t0 + 3 * HOUR,
                 ", \"Event Type\": \"Messages Delivered\"", &code);
    assert_int_equal(code, 0);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(res, "json_result"), "source")), "store");
    json_decref(res);
    /* false positives were not collected */
    res = search(f, &env, f->t0 + HOUR, f->t0 + 3 * HOUR,
                 ", \"Event Type\": \"Messages Delivered\", \"Threat Status\": \"False Positive\"",
                 &code);
    assert_int_equal(code, 64);
    assert_non_null(strstr(message_of(res), "does not store every threat status"));
    json_decref(res);
}

static void test_no_checkpoints(void **state)
{
    fixture *f = *state;
    actions_env env = {.store = f->st, .budget_ceiling = 1};
    int code = -1;
    json_t *res = search(f, &env, f->t0, f->t0 + 2 * HOUR, "", &code);
    assert_int_equal(code, 64);
    assert_non_null(strstr(message_of(res), "the collector has not stored tenant 'default'"));
    json_decref(res);
}

static void test_event_helpers(void **state)
{
    (void)state;
    json_error_t je;
    json_t *m = json_loads("{\"messageTime\":\"2026-01-01T10:00:00Z\",\"threatsInfoMap\":["
                           "{\"threatTime\":\"2026-01-01T12:00:00Z\",\"threatStatus\":\"active\"},"
                           "{\"threatTime\":\"2026-01-01T11:00:00Z\",\"threatStatus\":"
                           "\"falsePositive\"}]}",
                           0, &je);
    json_t *c = json_loads("{\"clickTime\":\"2026-01-01T10:00:00Z\",\"threatTime\":"
                           "\"2025-12-31T10:00:00Z\",\"threatStatus\":\"cleared\"}",
                           0, &je);
    assert_non_null(m);
    assert_non_null(c);
    pptap_time_ms t;
    pptap_time_parse(&t, "2026-01-01T12:00:00Z", 20);
    assert_int_equal(se_creation_time(m, PPTAP_EVENT_MESSAGES_DELIVERED), t);
    pptap_time_parse(&t, "2026-01-01T10:00:00Z", 20);
    assert_int_equal(se_creation_time(c, PPTAP_EVENT_CLICKS_PERMITTED), t);
    assert_int_equal(se_status_bits(m, PPTAP_EVENT_MESSAGES_BLOCKED),
                     PPTAP_THREAT_STATUS_ACTIVE | PPTAP_THREAT_STATUS_FALSE_POSITIVE);
    assert_int_equal(se_status_bits(c, PPTAP_EVENT_CLICKS_BLOCKED), PPTAP_THREAT_STATUS_CLEARED);
    json_decref(m);
    json_decref(c);
    char out[256];
    assert_int_equal(
        se_decode_link("https://urldefense.com/v3/__https://a.test/x__;!!k$", out, sizeof out), 0);
    assert_string_equal(out, "https://a.test/x");
    assert_int_equal(se_decode_link("https://a.test/x", out, sizeof out), -1);
    assert_int_equal(
        se_decode_link("see https://urldefense.com/v3/__https://a.test/x__;!!k$", out, sizeof out),
        -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_from_the_store_without_a_client, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uncovered_needs_the_api, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ceiling, setup, teardown),
        cmocka_unit_test_setup_teardown(test_endpoint_and_statuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_checkpoints, setup, teardown),
        cmocka_unit_test(test_event_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
