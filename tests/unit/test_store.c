/*
 * Unit tests: the store. Opening (mode 0600, WAL, refusal of open files,
 * versions), dedupe outcomes and updates, quarantine, transactions,
 * checkpoints, the request ledger, gaps, cases, migration from schema 1, retention,
 * search by every filter (a v3 URL Defense link found by its decoded URL) and
 * stats, on the sample payloads and on constructed events.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include <pptap/store.h>
#include <pptap/urldefense.h>

static pptap_time_ms clock_now;

static pptap_time_ms test_clock(void *payload)
{
    (void)payload;
    return clock_now;
}

static pptap_time_ms T(const char *s)
{
    pptap_time_ms t = 0;
    assert_int_equal(pptap_time_parse(&t, s, strlen(s)), 0);
    return t;
}

static json_t *J(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (j == NULL) {
        fail_msg("bad JSON in test: %s: %s", je.text, text);
    }
    return j;
}

typedef struct {
    char dir[64];
    char path[128];
    pptap_store *st;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/pptap-store-XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/state.db", f->dir);
    clock_now = T("2025-03-05T00:00:00Z");
    pptap_store_opts o = {0};
    o.clock = test_clock;
    char err[PPTAP_ERRMSG_LEN];
    if (pptap_store_open(&f->st, f->path, &o, err) != 0) {
        fprintf(stderr, "open: %s\n", err);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    pptap_store_close(f->st);
    char p[200];
    static const char *sfx[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", f->path, sfx[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static FILE *sample(const char *name)
{
    char path[4200], dir[4096];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    char *slash = strrchr(dir, '/');
    if (slash != NULL) {
        *slash = '\0';
    }
    snprintf(path, sizeof path, "%s/../data/tap-samples/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fail_msg("cannot open %s", path);
    }
    return f;
}

/* Loads the sample NDJSON events (12) and the doc example (2); counts outcomes. */
static void load_samples(pptap_store *st, const char *tenant, size_t counts[4])
{
    static const struct {
        const char *file;
        pptap_event_type type;
    } files[] = {{"siem_messages_delivered_events.ndjson", PPTAP_EVENT_MESSAGES_DELIVERED},
                 {"siem_clicks_permitted_events.ndjson", PPTAP_EVENT_CLICKS_PERMITTED}};
    memset(counts, 0, 4 * sizeof counts[0]);
    for (size_t f = 0; f < 2; f++) {
        FILE *fp = sample(files[f].file);
        char line[65536];
        while (fgets(line, sizeof line, fp) != NULL) {
            json_t *j = J(line);
            if (json_object_get(j, "queryEndTime") == NULL) {
                pptap_store_put_result r;
                assert_int_equal(pptap_store_put_event(st, tenant, files[f].type, j, &r), 0);
                counts[r.outcome]++;
            }
            json_decref(j);
        }
        fclose(fp);
    }
    FILE *fp = sample("siem_all_doc_example.json");
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    json_t *doc = J(buf);
    static const char *keys[] = {"clicksPermitted", "messagesBlocked"};
    for (size_t k = 0; k < 2; k++) {
        pptap_event_type t;
        assert_int_equal(pptap_event_type_parse(&t, keys[k]), 0);
        json_t *arr = json_object_get(doc, keys[k]);
        for (size_t i = 0; i < json_array_size(arr); i++) {
            pptap_store_put_result r;
            assert_int_equal(pptap_store_put_event(st, tenant, t, json_array_get(arr, i), &r), 0);
            counts[r.outcome]++;
        }
    }
    json_decref(doc);
}

typedef struct {
    size_t n;
    char ids[64][PPTAP_EVENT_ID_MAX];
    int64_t updates[64];
    pptap_time_ms last_seen[64];
    pptap_time_ms times[64];
} hits;

static int collect(const pptap_store_event *ev, void *payload)
{
    hits *h = payload;
    if (h->n < 64) {
        snprintf(h->ids[h->n], PPTAP_EVENT_ID_MAX, "%s", ev->event_id);
        h->updates[h->n] = ev->updates;
        h->last_seen[h->n] = ev->last_seen;
        h->times[h->n] = ev->event_time;
        json_error_t je;
        json_t *j = json_loadb(ev->raw, ev->raw_len, 0, &je);
        assert_non_null(j);
        json_decref(j);
    }
    h->n++;
    return 0;
}

static hits search(pptap_store *st, const pptap_store_query *q)
{
    hits h;
    memset(&h, 0, sizeof h);
    int rc = pptap_store_search(st, q, collect, &h);
    if (rc != 0) {
        fail_msg("search: %s", pptap_store_last_error(st));
    }
    return h;
}

static void test_open(void **state)
{
    fixture *f = *state;
    struct stat sb;
    assert_int_equal(stat(f->path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(pptap_store_schema_version(f->st), PPTAP_STORE_SCHEMA_VERSION);

    /* WAL and user_version as seen by SQLite itself */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
    sqlite3_finalize(s);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(s, 0), PPTAP_STORE_SCHEMA_VERSION);
    sqlite3_finalize(s);
    sqlite3_close(db);

    /* reopening keeps everything */
    pptap_store *st2;
    assert_int_equal(pptap_store_open(&st2, f->path, NULL, NULL), 0);
    pptap_store_close(st2);

    /* missing file with NOCREATE */
    char p[200], err[PPTAP_ERRMSG_LEN];
    snprintf(p, sizeof p, "%s/missing.db", f->dir);
    pptap_store_opts o = {PPTAP_STORE_NOCREATE};
    assert_int_equal(pptap_store_open(&st2, p, &o, err), PPTAP_ENOTFOUND);
    assert_null(st2);
    assert_non_null(strstr(err, "no store"));
    o.flags = PPTAP_STORE_READONLY;
    assert_int_equal(pptap_store_open(&st2, p, &o, err), PPTAP_ENOTFOUND);

    /* a file others can read is refused unless allowed */
    snprintf(p, sizeof p, "%s/open.db", f->dir);
    FILE *fp = fopen(p, "w");
    fclose(fp);
    chmod(p, 0644);
    assert_int_equal(pptap_store_open(&st2, p, NULL, err), PPTAP_ECONFIG);
    assert_non_null(strstr(err, "chmod 600"));
    o.flags = PPTAP_STORE_ALLOW_OPEN_MODE;
    assert_int_equal(pptap_store_open(&st2, p, &o, err), 0);
    pptap_store_close(st2);
    unlink(p);

    /* not a database */
    fp = fopen(p, "w");
    fputs("this is not a database, not at all, and it is long enough to tell\n", fp);
    fclose(fp);
    chmod(p, 0600);
    assert_int_equal(pptap_store_open(&st2, p, NULL, err), PPTAP_EIO);
    unlink(p);

    /* a newer schema is refused */
    snprintf(p, sizeof p, "%s/newer.db", f->dir);
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    chmod(p, 0600);
    assert_int_equal(pptap_store_open(&st2, p, NULL, err), PPTAP_ECONFIG);
    assert_non_null(strstr(err, "newer"));
    unlink(p);
}

static void test_dedupe_outcomes(void **state)
{
    fixture *f = *state;
    size_t c[4];
    load_samples(f->st, "t1", c);
    assert_int_equal(c[PPTAP_STORE_NEW], 14);
    assert_int_equal(c[PPTAP_STORE_DUPLICATE], 0);
    clock_now += 60000;
    load_samples(f->st, "t1", c);
    assert_int_equal(c[PPTAP_STORE_DUPLICATE], 14);
    assert_int_equal(c[PPTAP_STORE_NEW], 0);
    /* the same events for another tenant are new there */
    load_samples(f->st, "t2", c);
    assert_int_equal(c[PPTAP_STORE_NEW], 14);

    pptap_store_query q = {0};
    q.tenant = "t1";
    hits h = search(f->st, &q);
    assert_int_equal(h.n, 14);
    for (size_t i = 0; i < h.n; i++) {
        assert_int_equal(h.last_seen[i], clock_now); /* touched by the duplicate */
        assert_int_equal(h.updates[i], 0);
        if (i > 0) {
            assert_true(h.times[i - 1] >= h.times[i]); /* newest first */
        }
    }
}

#define CLICK(status)                                                                              \
    "{\"id\":\"ck-1\",\"GUID\":\"G1\",\"clickTime\":\"2025-03-04T10:31:09.000Z\","                 \
    "\"recipient\":\"dana@example.com\",\"url\":\"https://login.invalid/verify\","                 \
    "\"classification\":\"phish\",\"threatID\":\"T1\",\"threatStatus\":\"" status "\","            \
    "\"campaignId\":\"C1\",\"clickIP\":\"203.0.113.40\",\"sender\":\"s@bad.example\"}"

static void test_updates(void **state)
{
    fixture *f = *state;
    pptap_store_put_result r;
    json_t *a = J(CLICK("active")), *b = J(CLICK("cleared"));
    assert_int_equal(pptap_store_put_event(f->st, "t", PPTAP_EVENT_CLICKS_PERMITTED, a, &r), 0);
    assert_int_equal(r.outcome, PPTAP_STORE_NEW);
    assert_string_equal(r.identity.event_id, "ck-1");
    char first_hash[PPTAP_HASH_HEX_LEN];
    memcpy(first_hash, r.identity.content_hash, sizeof first_hash);
    assert_int_equal(pptap_store_put_event(f->st, "t", PPTAP_EVENT_CLICKS_PERMITTED, b, &r), 0);
    assert_int_equal(r.outcome, PPTAP_STORE_UPDATED);
    assert_int_equal(r.updates, 1);
    assert_string_not_equal(r.identity.content_hash, first_hash);
    assert_int_equal(pptap_store_put_event(f->st, "t", PPTAP_EVENT_CLICKS_PERMITTED, b, &r), 0);
    assert_int_equal(r.outcome, PPTAP_STORE_DUPLICATE);
    assert_int_equal(r.updates, 1);
    assert_int_equal(pptap_store_put_event(f->st, "t", PPTAP_EVENT_CLICKS_PERMITTED, a, &r), 0);
    assert_int_equal(r.outcome, PPTAP_STORE_UPDATED);
    assert_int_equal(r.updates, 2);

    /* the row holds the latest content, its children were replaced */
    pptap_store_query q = {0};
    q.threat_status = "active";
    assert_int_equal(search(f->st, &q).n, 1);
    q.threat_status = "cleared";
    assert_int_equal(search(f->st, &q).n, 0);
    q.threat_status = NULL;
    q.recipient = "DANA@example.com";
    hits h = search(f->st, &q);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.updates[0], 2);
    json_decref(a);
    json_decref(b);
}

typedef struct {
    size_t n, len;
} qbig;

static int on_big(const pptap_store_quarantined *q, void *payload)
{
    qbig *b = payload;
    b->n++;
    b->len = q->raw_len;
    return 0;
}

static void test_quarantine(void **state)
{
    fixture *f = *state;
    static const struct {
        pptap_event_type type;
        const char *json;
        const char *reason;
    } bad[] = {
        {PPTAP_EVENT_CLICKS_BLOCKED, "[1,2]", "not a JSON object"},
        {PPTAP_EVENT_CLICKS_BLOCKED, "{\"id\":\"x\",\"GUID\":\"g\"}", "clickTime"},
        {PPTAP_EVENT_MESSAGES_BLOCKED, "{\"id\":\"x\",\"messageTime\":\"yesterday\"}",
         "messageTime"},
        {PPTAP_EVENT_MESSAGES_BLOCKED, "{\"messageTime\":\"2025-01-01T00:00:00Z\"}", "identity"},
        {PPTAP_EVENT_MESSAGES_BLOCKED,
         "{\"id\":7,\"GUID\":\"g\",\"messageTime\":\"2025-01-01T00:00:00Z\"}", "identity"},
    };
    size_t nbad = sizeof bad / sizeof bad[0];
    assert_int_equal(pptap_store_begin(f->st), 0);
    for (size_t i = 0; i < nbad; i++) {
        json_t *j = J(bad[i].json);
        pptap_store_put_result r;
        assert_int_equal(pptap_store_put_event(f->st, "t", bad[i].type, j, &r), 0);
        assert_int_equal(r.outcome, PPTAP_STORE_QUARANTINED);
        if (strstr(r.reason, bad[i].reason) == NULL) {
            fail_msg("case %zu: reason '%s' lacks '%s'", i, r.reason, bad[i].reason);
        }
        json_decref(j);
        /* a good event after a bad one in the same batch still goes in */
        json_t *g = J(CLICK("active"));
        assert_int_equal(pptap_store_put_event(f->st, "t", PPTAP_EVENT_CLICKS_PERMITTED, g, &r), 0);
        assert_int_not_equal(r.outcome, PPTAP_STORE_QUARANTINED);
        json_decref(g);
    }
    /* a field over the cap */
    char *big = malloc(PPTAP_STORE_FIELD_MAX + 2);
    memset(big, 'a', PPTAP_STORE_FIELD_MAX + 1);
    big[PPTAP_STORE_FIELD_MAX + 1] = '\0';
    json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "id", "long", "GUID", "g", "clickTime",
                          "2025-01-01T00:00:00Z", "url", big);
    free(big);
    pptap_store_put_result r;
    assert_int_equal(pptap_store_put_event(f->st, "t", PPTAP_EVENT_CLICKS_BLOCKED, j, &r), 0);
    assert_int_equal(r.outcome, PPTAP_STORE_QUARANTINED);
    assert_non_null(strstr(r.reason, "'url'"));
    json_decref(j);
    /* an event over the size cap: quarantined with its raw text truncated */
    size_t huge = PPTAP_STORE_EVENT_MAX + 1000;
    char *subj = malloc(huge + 1);
    memset(subj, 's', huge);
    subj[huge] = '\0';
    j = json_pack("{s:s, s:s, s:s, s:s}", "id", "huge", "GUID", "g", "messageTime",
                  "2025-01-01T00:00:00Z", "subject", subj);
    free(subj);
    assert_int_equal(pptap_store_put_event(f->st, "big", PPTAP_EVENT_MESSAGES_BLOCKED, j, &r), 0);
    assert_int_equal(r.outcome, PPTAP_STORE_QUARANTINED);
    assert_non_null(strstr(r.reason, "larger than"));
    json_decref(j);
    /* raw input that is not JSON at all */
    assert_int_equal(pptap_store_quarantine_add(f->st, "u", NULL, "not JSON", "{oops", 5), 0);
    assert_int_equal(pptap_store_commit(f->st), 0);

    int64_t n = 0;
    assert_int_equal(pptap_store_quarantine_count(f->st, &n, "t"), 0);
    assert_int_equal(n, (int64_t)nbad + 1);
    assert_int_equal(pptap_store_quarantine_count(f->st, &n, NULL), 0);
    assert_int_equal(n, (int64_t)nbad + 3);
    qbig qb;
    memset(&qb, 0, sizeof qb);
    assert_int_equal(pptap_store_quarantine_list(f->st, "big", on_big, &qb), 0);
    assert_int_equal(qb.n, 1);
    assert_int_equal(qb.len, PPTAP_STORE_EVENT_MAX);
    pptap_store_query q = {0};
    assert_int_equal(search(f->st, &q).n, 1);
}

typedef struct {
    size_t n;
    char first_reason[128];
    char first_raw[64];
    char first_type[32];
} qlist;

static int on_quarantined(const pptap_store_quarantined *q, void *payload)
{
    qlist *l = payload;
    if (l->n++ == 0) {
        snprintf(l->first_reason, sizeof l->first_reason, "%s", q->reason);
        snprintf(l->first_raw, sizeof l->first_raw, "%.*s", (int)q->raw_len, q->raw);
        snprintf(l->first_type, sizeof l->first_type, "%s", q->type);
    }
    return 0;
}

static void test_quarantine_list(void **state)
{
    fixture *f = *state;
    json_t *j = J("{\"GUID\":\"g\"}");
    pptap_store_put_result r;
    assert_int_equal(pptap_store_put_event(f->st, "t", PPTAP_EVENT_MESSAGES_DELIVERED, j, &r), 0);
    json_decref(j);
    clock_now += 1000;
    assert_int_equal(pptap_store_quarantine_add(f->st, "t", "x", "later", "zz", 2), 0);
    qlist l;
    memset(&l, 0, sizeof l);
    assert_int_equal(pptap_store_quarantine_list(f->st, "t", on_quarantined, &l), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.first_reason, "no valid messageTime");
    assert_string_equal(l.first_raw, "{\"GUID\":\"g\"}");
    assert_string_equal(l.first_type, "messagesDelivered");
    memset(&l, 0, sizeof l);
    assert_int_equal(pptap_store_quarantine_list(f->st, "nobody", on_quarantined, &l), 0);
    assert_int_equal(l.n, 0);
}

static void test_transactions(void **state)
{
    fixture *f = *state;
    size_t c[4];
    int64_t v;
    assert_int_equal(pptap_store_commit(f->st), PPTAP_EINVAL);
    assert_int_equal(pptap_store_rollback(f->st), PPTAP_EINVAL);
    assert_int_equal(pptap_store_begin(f->st), 0);
    assert_int_equal(pptap_store_begin(f->st), PPTAP_EINVAL);
    load_samples(f->st, "t", c);
    assert_int_equal(pptap_store_checkpoint_set_int(f->st, "t", "cursor", 42), 0);
    assert_int_equal(pptap_store_ledger_add(f->st, "t", "siem", clock_now, 200), 0);
    assert_int_equal(pptap_store_gap_add(f->st, "t", 1, 2, "x"), 0);
    /* visible inside the transaction */
    assert_int_equal(pptap_store_checkpoint_get_int(f->st, &v, "t", "cursor"), 0);
    pptap_store_query q = {0};
    assert_int_equal(search(f->st, &q).n, 14);
    assert_int_equal(pptap_store_rollback(f->st), 0);
    /* rollback leaves nothing */
    assert_int_equal(search(f->st, &q).n, 0);
    assert_int_equal(pptap_store_checkpoint_get_int(f->st, &v, "t", "cursor"), PPTAP_ENOTFOUND);
    int64_t n = -1;
    assert_int_equal(pptap_store_ledger_count(f->st, &n, NULL, "t", "siem", clock_now, 1000), 0);
    assert_int_equal(n, 0);

    /* commit keeps events, checkpoint and offset together */
    assert_int_equal(pptap_store_begin(f->st), 0);
    load_samples(f->st, "t", c);
    assert_int_equal(c[PPTAP_STORE_NEW], 14);
    assert_int_equal(pptap_store_checkpoint_set_int(f->st, "t", "cursor", 43), 0);
    assert_int_equal(pptap_store_checkpoint_set_int(f->st, "t", "file.offset", 12345), 0);
    assert_int_equal(pptap_store_commit(f->st), 0);
    pptap_store_close(f->st);
    assert_int_equal(pptap_store_open(&f->st, f->path, NULL, NULL), 0);
    assert_int_equal(search(f->st, &q).n, 14);
    assert_int_equal(pptap_store_checkpoint_get_int(f->st, &v, "t", "cursor"), 0);
    assert_int_equal(v, 43);
    assert_int_equal(pptap_store_checkpoint_get_int(f->st, &v, "t", "file.offset"), 0);
    assert_int_equal(v, 12345);
}

/* A second writer waits for the busy timeout, then gets PPTAP_ETIMEOUT;
 * readers still see the last committed state. */
static void test_concurrent_writer(void **state)
{
    fixture *f = *state;
    pptap_store_opts o = {0};
    o.busy_timeout_ms = 50;
    pptap_store *other;
    assert_int_equal(pptap_store_open(&other, f->path, &o, NULL), 0);
    assert_int_equal(pptap_store_checkpoint_set_int(f->st, "t", "x", 1), 0);
    assert_int_equal(pptap_store_begin(f->st), 0);
    assert_int_equal(pptap_store_checkpoint_set_int(f->st, "t", "x", 2), 0);
    assert_int_equal(pptap_store_begin(other), PPTAP_ETIMEOUT);
    assert_non_null(strstr(pptap_store_last_error(other), "locked"));
    assert_int_equal(pptap_store_checkpoint_set_int(other, "t", "x", 3), PPTAP_ETIMEOUT);
    int64_t v = 0;
    assert_int_equal(pptap_store_checkpoint_get_int(other, &v, "t", "x"), 0);
    assert_int_equal(v, 1);
    assert_int_equal(pptap_store_commit(f->st), 0);
    assert_int_equal(pptap_store_checkpoint_get_int(other, &v, "t", "x"), 0);
    assert_int_equal(v, 2);
    pptap_store_close(other);
}

static void test_checkpoints(void **state)
{
    fixture *f = *state;
    int64_t v = 0;
    pptap_buf b = PPTAP_BUF_INIT;
    assert_int_equal(pptap_store_checkpoint_get_int(f->st, &v, "t", "x"), PPTAP_ENOTFOUND);
    assert_int_equal(pptap_store_checkpoint_set_int(f->st, "t", "x", -5), 0);
    assert_int_equal(pptap_store_checkpoint_set_int(f->st, "t", "x", INT64_MAX), 0);
    assert_int_equal(pptap_store_checkpoint_get_int(f->st, &v, "t", "x"), 0);
    assert_int_equal(v, INT64_MAX);
    assert_int_equal(pptap_store_checkpoint_get_int(f->st, &v, "other", "x"), PPTAP_ENOTFOUND);
    assert_int_equal(pptap_store_checkpoint_get_text(f->st, &b, "t", "x"), PPTAP_ENOTFOUND);
    assert_int_equal(pptap_store_checkpoint_set_text(f->st, "t", "x", "2025-03-04T10:00:00Z"), 0);
    assert_int_equal(pptap_store_checkpoint_get_int(f->st, &v, "t", "x"), PPTAP_ENOTFOUND);
    assert_int_equal(pptap_store_checkpoint_get_text(f->st, &b, "t", "x"), 0);
    assert_string_equal(b.ptr, "2025-03-04T10:00:00Z");
    pptap_buf_dispose(&b);
    assert_int_equal(pptap_store_checkpoint_set_text(f->st, "t", "empty", ""), 0);
    assert_int_equal(pptap_store_checkpoint_get_text(f->st, &b, "t", "empty"), 0);
    assert_string_equal(b.ptr, "");
    pptap_buf_dispose(&b);
    assert_int_equal(pptap_store_checkpoint_set_int(f->st, "", "x", 1), PPTAP_EINVAL);
    assert_int_equal(pptap_store_checkpoint_set_int(f->st, "t", "", 1), PPTAP_EINVAL);
    assert_int_equal(pptap_store_checkpoint_set_text(f->st, "t", "x", NULL), PPTAP_EINVAL);
}

static void test_ledger(void **state)
{
    fixture *f = *state;
    const int64_t H = 3600 * 1000LL, W = 24 * H;
    pptap_time_ms t0 = T("2025-03-01T00:00:00Z");
    /* one request every hour for 30 hours; the 10th got a 429 */
    for (int i = 0; i < 30; i++) {
        assert_int_equal(pptap_store_ledger_add(f->st, "t", "siem", t0 + i * H, i == 9 ? 429 : 200),
                         0);
    }
    assert_int_equal(pptap_store_ledger_add(f->st, "t", "clicks", t0, 200), 0);
    assert_int_equal(pptap_store_ledger_add(f->st, "u", "siem", t0 + 29 * H, 200), 0);
    int64_t n;
    pptap_time_ms free_at;
    /* at t0 + 29 h the window (t0 + 5 h, t0 + 29 h] holds requests 6..29 */
    assert_int_equal(pptap_store_ledger_count(f->st, &n, &free_at, "t", "siem", t0 + 29 * H, W), 0);
    assert_int_equal(n, 24);
    assert_int_equal(free_at, t0 + 6 * H + W);
    /* one millisecond later the oldest has aged out */
    assert_int_equal(pptap_store_ledger_count(f->st, &n, &free_at, "t", "siem", t0 + 30 * H, W), 0);
    assert_int_equal(n, 24 - 1 + 0);
    assert_int_equal(free_at, t0 + 7 * H + W);
    /* a short window */
    assert_int_equal(
        pptap_store_ledger_count(f->st, &n, &free_at, "t", "siem", t0 + 2 * H, 90 * 60 * 1000LL),
        0);
    assert_int_equal(n, 2);
    assert_int_equal(free_at, t0 + 1 * H + 90 * 60 * 1000LL);
    /* an empty window */
    assert_int_equal(pptap_store_ledger_count(f->st, &n, &free_at, "t", "vap", t0 + 29 * H, W), 0);
    assert_int_equal(n, 0);
    assert_int_equal(free_at, PPTAP_TIME_NONE);
    /* pools and tenants are separate */
    assert_int_equal(pptap_store_ledger_count(f->st, &n, NULL, "u", "siem", t0 + 29 * H, W), 0);
    assert_int_equal(n, 1);
    /* pruning removes entries older than 24 h only */
    int64_t pruned;
    assert_int_equal(pptap_store_ledger_prune(f->st, &pruned, t0 + 29 * H), 0);
    assert_int_equal(pruned, 6 + 1); /* siem 0..5 and the clicks entry */
    assert_int_equal(pptap_store_ledger_count(f->st, &n, NULL, "t", "siem", t0 + 29 * H, 1000 * W),
                     0);
    assert_int_equal(n, 24);
    assert_int_equal(pptap_store_ledger_count(f->st, &n, NULL, "t", "siem", t0, 0), PPTAP_EINVAL);
}

typedef struct {
    size_t n;
    pptap_time_ms from[8], to[8];
    char reason[8][64];
    char tenant[8][16];
    pptap_time_ms at[8];
} gaplist;

static int on_gap(const pptap_store_gap *g, void *payload)
{
    gaplist *l = payload;
    if (l->n < 8) {
        l->from[l->n] = g->from;
        l->to[l->n] = g->to;
        l->at[l->n] = g->recorded_at;
        snprintf(l->reason[l->n], 64, "%s", g->reason);
        snprintf(l->tenant[l->n], 16, "%s", g->tenant);
    }
    l->n++;
    return 0;
}

static int stop_at_first(const pptap_store_gap *g, void *payload)
{
    (void)g;
    (void)payload;
    return 1;
}

static void test_gaps(void **state)
{
    fixture *f = *state;
    pptap_time_ms a = T("2025-02-01T00:00:00Z"), b = T("2025-02-20T00:00:00Z");
    assert_int_equal(pptap_store_gap_add(f->st, "t", b, b + 1000, "window failed: HTTP 400"), 0);
    assert_int_equal(pptap_store_gap_add(f->st, "t", a, b, "older than 7 days after an outage"), 0);
    assert_int_equal(pptap_store_gap_add(f->st, "u", a, a, "x"), 0);
    assert_int_equal(pptap_store_gap_add(f->st, "t", b, a, "backwards"), PPTAP_EINVAL);
    gaplist l;
    memset(&l, 0, sizeof l);
    assert_int_equal(pptap_store_gap_list(f->st, "t", on_gap, &l), 0);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.from[0], a); /* oldest first */
    assert_int_equal(l.to[0], b);
    assert_string_equal(l.reason[0], "older than 7 days after an outage");
    assert_int_equal(l.at[0], clock_now);
    assert_string_equal(l.tenant[1], "t");
    memset(&l, 0, sizeof l);
    assert_int_equal(pptap_store_gap_list(f->st, NULL, on_gap, &l), 0);
    assert_int_equal(l.n, 3);
    assert_int_equal(pptap_store_gap_list(f->st, NULL, stop_at_first, NULL), PPTAP_ECANCELED);
}

/* The schema 1 layout, as pptap wrote it before version 2. */
static const char schema_v1[] =
    "CREATE TABLE events(id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, event_id TEXT NOT NULL,"
    " type TEXT NOT NULL, event_time INTEGER NOT NULL, guid TEXT, message_id TEXT,"
    " sender TEXT COLLATE NOCASE, sender_ip TEXT, click_ip TEXT, url TEXT,"
    " classification TEXT COLLATE NOCASE, threat_status TEXT COLLATE NOCASE,"
    " content_hash TEXT NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
    " update_count INTEGER NOT NULL DEFAULT 0, raw TEXT NOT NULL, UNIQUE(tenant, event_id));"
    "CREATE INDEX events_time ON events(event_time);"
    "CREATE INDEX events_guid ON events(guid);"
    "CREATE INDEX events_message_id ON events(message_id);"
    "CREATE INDEX events_sender ON events(sender);"
    "CREATE TABLE recipients(ev INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,"
    " addr TEXT NOT NULL COLLATE NOCASE, PRIMARY KEY(ev, addr)) WITHOUT ROWID;"
    "CREATE INDEX recipients_addr ON recipients(addr);"
    "CREATE TABLE threats(ev INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,"
    " threat_id TEXT COLLATE NOCASE, campaign_id TEXT COLLATE NOCASE,"
    " classification TEXT COLLATE NOCASE, status TEXT COLLATE NOCASE, threat_url TEXT,"
    " threat TEXT COLLATE NOCASE, threat_type TEXT, threat_time INTEGER);"
    "CREATE INDEX threats_ev ON threats(ev);"
    "CREATE INDEX threats_threat_id ON threats(threat_id);"
    "CREATE INDEX threats_campaign_id ON threats(campaign_id);"
    "CREATE INDEX threats_threat ON threats(threat);"
    "CREATE TABLE attachments(ev INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,"
    " sha256 TEXT NOT NULL COLLATE NOCASE, md5 TEXT, filename TEXT,"
    " PRIMARY KEY(ev, sha256)) WITHOUT ROWID;"
    "CREATE INDEX attachments_sha256 ON attachments(sha256);"
    "CREATE TABLE urls(ev INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,"
    " kind TEXT NOT NULL, url TEXT NOT NULL, PRIMARY KEY(ev, kind, url)) WITHOUT ROWID;"
    "CREATE INDEX urls_url ON urls(url);"
    "CREATE TABLE checkpoints(tenant TEXT NOT NULL, name TEXT NOT NULL, ival INTEGER,"
    " tval TEXT, updated_at INTEGER NOT NULL, PRIMARY KEY(tenant, name));"
    "CREATE TABLE ledger(id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, pool TEXT NOT NULL,"
    " at INTEGER NOT NULL, status INTEGER NOT NULL);"
    "CREATE INDEX ledger_pool_at ON ledger(tenant, pool, at);"
    "CREATE INDEX ledger_at ON ledger(at);"
    "CREATE TABLE gaps(id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, from_ms INTEGER NOT NULL,"
    " to_ms INTEGER NOT NULL, reason TEXT NOT NULL, recorded_at INTEGER NOT NULL);"
    "CREATE INDEX gaps_tenant ON gaps(tenant, from_ms);"
    "PRAGMA user_version = 1;";

/* Writes a v3 link to `target` into out (NUL-terminated). */
static void v3_link(char *out, size_t cap, const char *target)
{
    size_t n = 0;
    pptap_urldef_encode_opts o = {PPTAP_URLDEF_HOST_DEFAULT, 7};
    assert_int_equal(pptap_urldef_encode(&n, out, cap - 1, 3, target, strlen(target), &o), 0);
    out[n] = '\0';
}

static void test_migration_from_v1(void **state)
{
    fixture *f = *state;
    char p[200], link[1024], sql[4096];
    snprintf(p, sizeof p, "%s/v1.db", f->dir);
    v3_link(link, sizeof link, "https://evil.example/p?a=1&b=2");
    sqlite3 *db;
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, schema_v1, NULL, NULL, NULL), SQLITE_OK);
    snprintf(sql, sizeof sql,
             "INSERT INTO events(id, tenant, event_id, type, event_time, guid, content_hash,"
             " first_seen, last_seen, raw) VALUES(1, 't', 'ck-9', 'clicksPermitted', 1000, 'G',"
             " 'h', 1, 1, '{\"id\":\"ck-9\"}');"
             "INSERT INTO threats(ev, threat_id, threat_time) VALUES(1, 'T9', 5000);"
             "INSERT INTO urls(ev, kind, url) VALUES(1, 'click', '%s');"
             "INSERT INTO urls(ev, kind, url) VALUES(1, 'threat', 'https://plain.example/');"
             "INSERT INTO checkpoints VALUES('t', 'cursor', 7, NULL, 1);",
             link);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    chmod(p, 0600);

    pptap_store_opts ro = {PPTAP_STORE_READONLY};
    pptap_store *st;
    char err[PPTAP_ERRMSG_LEN];
    assert_int_equal(pptap_store_open(&st, p, &ro, err), PPTAP_ECONFIG);
    assert_non_null(strstr(err, "read-write"));

    assert_int_equal(pptap_store_open(&st, p, NULL, err), 0);
    assert_int_equal(pptap_store_schema_version(st), PPTAP_STORE_SCHEMA_VERSION);
    /* old data is still there and the new columns are filled */
    int64_t v;
    assert_int_equal(pptap_store_checkpoint_get_int(st, &v, "t", "cursor"), 0);
    assert_int_equal(v, 7);
    pptap_store_query q = {0};
    q.url = "https://evil.example/p?a=1&b=2";
    hits h = search(st, &q);
    assert_int_equal(h.n, 1);
    assert_string_equal(h.ids[0], "ck-9");
    /* the new tables exist */
    assert_int_equal(pptap_store_quarantine_add(st, "t", NULL, "r", "x", 1), 0);
    pptap_store_case_entity ce = {
        .case_id = "1", .entity_type = "URL", .identifier = "u", .created_by = "t"};
    assert_int_equal(pptap_store_case_entity_add(st, &ce, NULL), 0);
    pptap_store_close(st);

    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT creation_time, (SELECT count(*) FROM urls"
                                        " WHERE decoded IS NOT NULL) FROM events",
                                        -1, &s, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(s, 0), 5000);
    assert_int_equal(sqlite3_column_int64(s, 1), 1);
    sqlite3_finalize(s);
    sqlite3_close(db);

    /* read-only now works */
    assert_int_equal(pptap_store_open(&st, p, &ro, err), 0);
    assert_int_equal(search(st, &q).n, 1);
    pptap_store_close(st);
    char w[220];
    unlink(p);
    snprintf(w, sizeof w, "%s-wal", p);
    unlink(w);
    snprintf(w, sizeof w, "%s-shm", p);
    unlink(w);
}

static void put(pptap_store *st, pptap_event_type t, const char *json)
{
    json_t *j = J(json);
    pptap_store_put_result r;
    assert_int_equal(pptap_store_put_event(st, "t", t, j, &r), 0);
    assert_int_equal(r.outcome, PPTAP_STORE_NEW);
    json_decref(j);
}

static void test_retention(void **state)
{
    fixture *f = *state;
    const int64_t D = 24 * 3600 * 1000LL;
    clock_now = T("2025-03-05T00:00:00Z");
    /* old event seen long ago: purged */
    put(f->st, PPTAP_EVENT_CLICKS_PERMITTED,
        "{\"id\":\"old\",\"GUID\":\"g\",\"clickTime\":\"2024-11-01T00:00:00Z\"}");
    /* recent event: kept */
    put(f->st, PPTAP_EVENT_CLICKS_PERMITTED,
        "{\"id\":\"new\",\"GUID\":\"g\",\"clickTime\":\"2025-03-01T00:00:00Z\"}");
    /* old event time but re-emitted recently: kept for dedupe */
    put(f->st, PPTAP_EVENT_CLICKS_PERMITTED,
        "{\"id\":\"seen\",\"GUID\":\"g\",\"clickTime\":\"2024-11-02T00:00:00Z\"}");
    assert_int_equal(pptap_store_quarantine_add(f->st, "t", NULL, "r", "x", 1), 0);
    pptap_time_ms later = clock_now + 30 * D;
    clock_now = later - 3 * D;
    json_t *j = J("{\"id\":\"seen\",\"GUID\":\"g\",\"clickTime\":\"2024-11-02T00:00:00Z\"}");
    pptap_store_put_result r;
    assert_int_equal(pptap_store_put_event(f->st, "t", PPTAP_EVENT_CLICKS_PERMITTED, j, &r), 0);
    assert_int_equal(r.outcome, PPTAP_STORE_DUPLICATE);
    json_decref(j);
    int64_t purged = -1;
    assert_int_equal(pptap_store_purge(f->st, &purged, later, 0), 0);
    assert_int_equal(purged, 1);
    pptap_store_query q = {0};
    hits h = search(f->st, &q);
    assert_int_equal(h.n, 2);
    assert_string_equal(h.ids[0], "new");
    assert_string_equal(h.ids[1], "seen");
    int64_t n;
    assert_int_equal(pptap_store_quarantine_count(f->st, &n, NULL), 0);
    assert_int_equal(n, 1);
    /* a short retention still keeps ids seen within 8 days */
    assert_int_equal(pptap_store_purge(f->st, &purged, later, 1), 0);
    assert_int_equal(purged, 1); /* "new" (last seen 30 days ago) */
    assert_int_equal(pptap_store_quarantine_count(f->st, &n, NULL), 0);
    assert_int_equal(n, 0);
    h = search(f->st, &q);
    assert_int_equal(h.n, 1);
    assert_string_equal(h.ids[0], "seen");
    /* children went with their events (foreign keys) */
    q.recipient = NULL;
    q.threat_id = NULL;
}

/* Events built for the search tests. */
static void load_search_events(pptap_store *st, char *link, size_t cap)
{
    v3_link(link, cap, "https://phish.example/login?user=dana");
    char click[2048];
    snprintf(click, sizeof click,
             "{\"id\":\"click-v3\",\"GUID\":\"GM\",\"clickTime\":\"2025-03-04T12:00:00.000Z\","
             "\"recipient\":\"Dana.Lee@example.com\",\"url\":\"%s\",\"classification\":\"PHISH\","
             "\"threatID\":\"TID-1\",\"threatStatus\":\"active\",\"campaignId\":\"CAMP-1\","
             "\"clickIP\":\"203.0.113.40\",\"sender\":\"billing@bad.example\","
             "\"messageID\":\"<m1@bad.example>\"}",
             link);
    put(st, PPTAP_EVENT_CLICKS_PERMITTED, click);
    put(st, PPTAP_EVENT_MESSAGES_DELIVERED,
        "{\"id\":\"msg-1\",\"GUID\":\"GM\",\"messageTime\":\"2025-03-04T11:00:00.000Z\","
        "\"messageID\":\"<m1@bad.example>\",\"sender\":\"billing@bad.example\","
        "\"recipient\":[\"dana.lee@example.com\",\"sam@example.com\"],"
        "\"messageParts\":[{\"sha256\":\"AAAA1111\",\"md5\":\"m\",\"filename\":\"x.pdf\"}],"
        "\"threatsInfoMap\":[{\"threatID\":\"TID-1\",\"threatStatus\":\"active\","
        "\"classification\":\"phish\",\"threat\":\"https://phish.example/login?user=dana\","
        "\"threatType\":\"url\",\"campaignID\":\"CAMP-1\","
        "\"threatTime\":\"2025-03-04T11:30:00.000Z\"},"
        "{\"threatID\":\"TID-2\",\"threatStatus\":\"cleared\",\"classification\":\"malware\","
        "\"threat\":\"bbbb2222\",\"threatType\":\"attachment\"}]}");
    put(st, PPTAP_EVENT_MESSAGES_BLOCKED,
        "{\"id\":\"msg-2\",\"GUID\":\"GX\",\"messageTime\":\"2025-03-01T09:00:00.000Z\","
        "\"messageID\":\"other@x\",\"sender\":\"spam@else.example\","
        "\"recipient\":[\"sam@example.com\"],"
        "\"threatsInfoMap\":[{\"threatID\":\"TID-3\",\"threatStatus\":\"active\","
        "\"classification\":\"spam\",\"threat\":\"spam.example\",\"threatType\":\"url\"}]}");
    put(st, PPTAP_EVENT_CLICKS_BLOCKED,
        "{\"id\":\"click-2\",\"GUID\":\"GX\",\"clickTime\":\"2025-03-02T09:00:00.000Z\","
        "\"recipient\":\"sam@example.com\",\"url\":\"http://spam.example/x\","
        "\"classification\":\"spam\",\"threatID\":\"TID-3\",\"threatStatus\":\"active\"}");
}

typedef struct {
    const char *name;
    pptap_store_query q;
    const char *want; /* expected ids, newest first, joined by "," */
} search_case;

static void test_search_filters(void **state)
{
    fixture *f = *state;
    char link[1024];
    load_search_events(f->st, link, sizeof link);
    size_t c[4];
    load_samples(f->st, "samples", c);

    pptap_time_ms d4 = T("2025-03-04T00:00:00Z"), d3 = T("2025-03-03T00:00:00Z");
    search_case cases[] = {
        {"recipient, any case",
         {.tenant = "t", .recipient = "DANA.LEE@EXAMPLE.COM"},
         "click-v3,msg-1"},
        {"recipient of several",
         {.tenant = "t", .recipient = "sam@example.com"},
         "msg-1,click-2,msg-2"},
        {"sender", {.tenant = "t", .sender = "Billing@bad.example"}, "click-v3,msg-1"},
        {"decoded URL finds the v3 click and the message threat",
         {.tenant = "t", .url = "https://phish.example/login?user=dana"},
         "click-v3,msg-1"},
        {"the rewritten link itself", {.tenant = "t", .url = link}, "click-v3,msg-1"},
        {"URL substring",
         {.tenant = "t", .url = "phish.example/login", .url_match = PPTAP_STORE_URL_SUBSTRING},
         "click-v3,msg-1"},
        {"URL exact does not match a prefix", {.tenant = "t", .url = "https://phish.example/"}, ""},
        {"URL of a click", {.tenant = "t", .url = "http://spam.example/x"}, "click-2"},
        {"sha256 of a part", {.tenant = "t", .sha256 = "aaaa1111"}, "msg-1"},
        {"sha256 of an attachment threat", {.tenant = "t", .sha256 = "BBBB2222"}, "msg-1"},
        {"threat id", {.tenant = "t", .threat_id = "tid-1"}, "click-v3,msg-1"},
        {"campaign id", {.tenant = "t", .campaign_id = "CAMP-1"}, "click-v3,msg-1"},
        {"guid", {.tenant = "t", .guid = "GX"}, "click-2,msg-2"},
        {"message id without brackets",
         {.tenant = "t", .message_id = "m1@bad.example"},
         "click-v3,msg-1"},
        {"message id with brackets",
         {.tenant = "t", .message_id = "<m1@bad.example>"},
         "click-v3,msg-1"},
        {"type", {.tenant = "t", .types = 1u << PPTAP_EVENT_CLICKS_PERMITTED}, "click-v3"},
        {"two types",
         {.tenant = "t",
          .types = (1u << PPTAP_EVENT_CLICKS_BLOCKED) | (1u << PPTAP_EVENT_MESSAGES_BLOCKED)},
         "click-2,msg-2"},
        {"classification of any threat", {.tenant = "t", .classification = "MALWARE"}, "msg-1"},
        {"classification phish", {.tenant = "t", .classification = "phish"}, "click-v3,msg-1"},
        {"status", {.tenant = "t", .threat_status = "cleared"}, "msg-1"},
        {"from", {.tenant = "t", .from = d4}, "click-v3,msg-1"},
        {"to (exclusive)", {.tenant = "t", .to = T("2025-03-04T11:00:00Z")}, "click-2,msg-2"},
        {"from and to", {.tenant = "t", .from = d3, .to = d4 + 1}, ""},
        /* msg-1: messageTime 11:00, threatTime 11:30; the click at 12:00 */
        {"event time after 11:15", {.tenant = "t", .from = T("2025-03-04T11:15:00Z")}, "click-v3"},
        {"creation time after 11:15",
         {.tenant = "t", .from = T("2025-03-04T11:15:00Z"), .by_creation = 1},
         "click-v3,msg-1"},
        {"creation time in 11:15-11:45",
         {.tenant = "t",
          .from = T("2025-03-04T11:15:00Z"),
          .to = T("2025-03-04T11:45:00Z"),
          .by_creation = 1},
         "msg-1"},
        {"event time in 11:15-11:45",
         {.tenant = "t", .from = T("2025-03-04T11:15:00Z"), .to = T("2025-03-04T11:45:00Z")},
         ""},
        {"creation time before 11:15 (the threat came later)",
         {.tenant = "t", .to = T("2025-03-04T11:15:00Z"), .by_creation = 1},
         "click-2,msg-2"},
        {"limit", {.tenant = "t", .limit = 2}, "click-v3,msg-1"},
        {"combined",
         {.tenant = "t", .recipient = "sam@example.com", .classification = "spam"},
         "click-2,msg-2"},
        {"no match", {.tenant = "t", .recipient = "nobody@example.com"}, ""},
        /* the doc example's message has no id: its h: id is stable */
        {"other tenant",
         {.tenant = "samples", .recipient = "clark.kent@pharmtech.zz"},
         "h:624e40926c63e0813dd9599e952495fec99b874989bec212dbf46a44b50c2456"},
        {"sample sha256 of a part",
         {.sha256 = "2fab740f143fc1aa4c1cd0146d334c5593b1428f6d062b2c406e5efe8abe95ca"},
         "h:624e40926c63e0813dd9599e952495fec99b874989bec212dbf46a44b50c2456"},
        {"sample clicker", {.recipient = "abc@example.com"}, "de7eef56-1234-1234-1234-54xxxxx123"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hits h = search(f->st, &cases[i].q);
        char got[1024] = "";
        size_t len = 0;
        for (size_t k = 0; k < h.n && k < 64; k++) {
            len += (size_t)snprintf(got + len, sizeof got - len, "%s%s", k ? "," : "", h.ids[k]);
        }
        if (strcmp(got, cases[i].want) != 0) {
            fail_msg("case '%s': got '%s', want '%s'", cases[i].name, got, cases[i].want);
        }
    }
    /* the sample with a GUID but the doc example's message id (no brackets in the data) */
    pptap_store_query q = {.message_id = "20160624211145.62086.mail@evil.zz"};
    assert_int_equal(search(f->st, &q).n, 1);
    /* caps */
    pptap_store_query big = {.limit = PPTAP_STORE_SEARCH_MAX + 1};
    hits h;
    assert_int_equal(pptap_store_search(f->st, &big, collect, &h), PPTAP_EINVAL);
}

static int stop_search(const pptap_store_event *ev, void *payload)
{
    (void)ev;
    (*(int *)payload)++;
    return 1;
}

static void test_search_cancel(void **state)
{
    fixture *f = *state;
    char link[1024];
    load_search_events(f->st, link, sizeof link);
    int n = 0;
    pptap_store_query q = {0};
    assert_int_equal(pptap_store_search(f->st, &q, stop_search, &n), PPTAP_ECANCELED);
    assert_int_equal(n, 1);
}

static void test_stats(void **state)
{
    fixture *f = *state;
    char link[1024];
    load_search_events(f->st, link, sizeof link);
    json_t *s = NULL;
    pptap_store_stats_query q = {.tenant = "t"};
    assert_int_equal(pptap_store_stats(f->st, &s, &q), 0);
    char *text = json_dumps(s, JSON_COMPACT);
    const char *want =
        "{\"events\":4,\"by_type\":{\"clicksBlocked\":1,\"clicksPermitted\":1,"
        "\"messagesBlocked\":1,\"messagesDelivered\":1},"
        "\"by_classification\":{\"phish\":2,\"spam\":2,\"malware\":1},"
        "\"top_threats\":[{\"threat_id\":\"TID-1\",\"classification\":\"phish\","
        "\"threat\":\"https://phish.example/login?user=dana\",\"events\":2},"
        "{\"threat_id\":\"TID-3\",\"classification\":\"spam\",\"threat\":\"spam.example\","
        "\"events\":2},{\"threat_id\":\"TID-2\",\"classification\":\"malware\","
        "\"threat\":\"bbbb2222\",\"events\":1}],"
        "\"top_campaigns\":[{\"campaign_id\":\"CAMP-1\",\"events\":2}],"
        "\"top_clickers\":[{\"recipient\":\"dana.lee@example.com\",\"clicks\":1}],"
        "\"per_day\":[{\"day\":\"2025-03-01\",\"events\":1,\"by_type\":{\"messagesBlocked\":1}},"
        "{\"day\":\"2025-03-02\",\"events\":1,\"by_type\":{\"clicksBlocked\":1}},"
        "{\"day\":\"2025-03-04\",\"events\":2,\"by_type\":{\"clicksPermitted\":1,"
        "\"messagesDelivered\":1}}]}";
    if (strcmp(text, want) != 0) {
        fail_msg("stats:\n got %s\nwant %s", text, want);
    }
    free(text);
    json_decref(s);

    /* time range and top */
    q.from = T("2025-03-04T00:00:00Z");
    q.top = 1;
    assert_int_equal(pptap_store_stats(f->st, &s, &q), 0);
    assert_int_equal(json_integer_value(json_object_get(s, "events")), 2);
    assert_string_equal(json_string_value(json_object_get(s, "from")), "2025-03-04T00:00:00Z");
    assert_int_equal(json_array_size(json_object_get(s, "top_threats")), 1);
    json_decref(s);
    q.top = PPTAP_STORE_TOP_MAX + 1;
    assert_int_equal(pptap_store_stats(f->st, &s, &q), PPTAP_EINVAL);

    /* an empty store */
    q.tenant = "nobody";
    q.top = 0;
    q.from = 0;
    assert_int_equal(pptap_store_stats(f->st, &s, &q), 0);
    text = json_dumps(s, JSON_COMPACT);
    assert_string_equal(text, "{\"events\":0,\"by_type\":{},\"by_classification\":{},"
                              "\"top_threats\":[],\"top_campaigns\":[],\"top_clickers\":[],"
                              "\"per_day\":[]}");
    free(text);
    json_decref(s);
}

static void test_bad_args(void **state)
{
    fixture *f = *state;
    json_t *j = J(CLICK("active"));
    assert_int_equal(pptap_store_put_event(f->st, NULL, PPTAP_EVENT_CLICKS_PERMITTED, j, NULL),
                     PPTAP_EINVAL);
    assert_int_equal(pptap_store_put_event(f->st, "t", PPTAP_EVENT_COUNT_, j, NULL), PPTAP_EINVAL);
    char tenant[PPTAP_STORE_TENANT_MAX + 2];
    memset(tenant, 't', sizeof tenant - 1);
    tenant[sizeof tenant - 1] = '\0';
    assert_int_equal(pptap_store_put_event(f->st, tenant, PPTAP_EVENT_CLICKS_PERMITTED, j, NULL),
                     PPTAP_EINVAL);
    assert_int_equal(pptap_store_put_event(f->st, "t", PPTAP_EVENT_CLICKS_PERMITTED, j, NULL), 0);
    json_decref(j);
    pptap_store *st = (pptap_store *)1;
    assert_int_equal(pptap_store_open(&st, "", NULL, NULL), PPTAP_EINVAL);
    pptap_store_close(NULL);
    assert_string_equal(pptap_store_outcome_name(PPTAP_STORE_UPDATED), "updated");
}

/* The library survives allocation failures at every point of a put. */
static void test_alloc_failures(void **state)
{
    fixture *f = *state;
    extern unsigned long pptap__alloc_fail_at(unsigned long n);
    char link[1024];
    v3_link(link, sizeof link, "https://a.example/");
    char click[2048];
    snprintf(click, sizeof click,
             "{\"id\":\"af\",\"GUID\":\"G\",\"clickTime\":\"2025-03-04T12:00:00Z\","
             "\"url\":\"%s\",\"classification\":\"phish\"}",
             link);
    json_t *j = J(click);
    for (unsigned long n = 1; n < 200; n++) {
        pptap__alloc_fail_at(n);
        pptap_store_put_result r;
        int rc = pptap_store_put_event(f->st, "af", PPTAP_EVENT_CLICKS_PERMITTED, j, &r);
        pptap__alloc_fail_at(0);
        assert_true(rc == 0 || rc == PPTAP_ENOMEM);
        if (rc == 0) {
            break;
        }
    }
    json_decref(j);
    pptap_store_query q = {.tenant = "af"};
    assert_int_equal(search(f->st, &q).n, 1);
}

typedef struct {
    char v[8][128];
    size_t n;
} case_rows;

static int on_case_entity(const pptap_store_case_entity *e, void *payload)
{
    case_rows *r = payload;
    snprintf(r->v[r->n++], sizeof r->v[0], "%s|%s|%s|%s|%lld", e->entity_type, e->identifier,
             e->properties, e->created_by, (long long)e->created_at);
    return 0;
}

static int on_case_insight(const pptap_store_case_insight *in, void *payload)
{
    case_rows *r = payload;
    snprintf(r->v[r->n++], sizeof r->v[0], "%s|%s|%s|%s|%s", in->action, in->title, in->severity,
             in->entity != NULL ? in->entity : "-", in->body);
    return 0;
}

static int on_case_summary(const pptap_store_case_summary *c, void *payload)
{
    case_rows *r = payload;
    snprintf(r->v[r->n++], sizeof r->v[0], "%s:%lld:%lld", c->case_id, (long long)c->entities,
             (long long)c->insights);
    return 0;
}

static void test_cases(void **state)
{
    fixture *f = *state;
    pptap_store_case_entity e = {.case_id = "42",
                                 .entity_type = "URL",
                                 .identifier = "https://Example.com/A",
                                 .properties = "{\"is_new_entity\":true}",
                                 .created_by = "Decode URL"};
    int added = -1;
    assert_int_equal(pptap_store_case_entity_add(f->st, &e, &added), 0);
    assert_int_equal(added, 1);
    /* the same type and identifier (any case): nothing changes */
    e.identifier = "https://example.com/a";
    e.properties = "{\"other\":1}";
    assert_int_equal(pptap_store_case_entity_add(f->st, &e, &added), 0);
    assert_int_equal(added, 0);
    /* another type, another case: new */
    e.entity_type = "USERUNIQNAME";
    e.properties = NULL;
    clock_now += 1000;
    assert_int_equal(pptap_store_case_entity_add(f->st, &e, &added), 0);
    assert_int_equal(added, 1);
    e.case_id = "43";
    assert_int_equal(pptap_store_case_entity_add(f->st, &e, &added), 0);
    assert_int_equal(added, 1);
    /* refused: properties that are not an object, empty fields */
    e.properties = "[1]";
    assert_int_equal(pptap_store_case_entity_add(f->st, &e, NULL), PPTAP_EINVAL);
    e.properties = "{";
    assert_int_equal(pptap_store_case_entity_add(f->st, &e, NULL), PPTAP_EINVAL);
    e.properties = NULL;
    e.identifier = "";
    assert_int_equal(pptap_store_case_entity_add(f->st, &e, NULL), PPTAP_EINVAL);

    case_rows r = {0};
    assert_int_equal(pptap_store_case_entity_list(f->st, "42", on_case_entity, &r), 0);
    assert_int_equal(r.n, 2);
    char want[128];
    snprintf(want, sizeof want,
             "URL|https://Example.com/A|{\"is_new_entity\":true}|Decode URL|%lld",
             (long long)T("2025-03-05T00:00:00Z"));
    assert_string_equal(r.v[0], want);
    snprintf(want, sizeof want, "USERUNIQNAME|https://example.com/a|{}|Decode URL|%lld",
             (long long)T("2025-03-05T00:00:01Z"));
    assert_string_equal(r.v[1], want);
    memset(&r, 0, sizeof r);
    assert_int_equal(pptap_store_case_entity_list(f->st, "nope", on_case_entity, &r), 0);
    assert_int_equal(r.n, 0);

    pptap_store_case_insight in = {.case_id = "42",
                                   .action = "Get Campaign",
                                   .title = "c-1",
                                   .severity = "Informational",
                                   .type = "General",
                                   .body = "<h2>x</h2>"};
    assert_int_equal(pptap_store_case_insight_add(f->st, &in, &added), 0);
    assert_int_equal(added, 1);
    assert_int_equal(pptap_store_case_insight_add(f->st, &in, &added), 0);
    assert_int_equal(added, 0);
    in.body = "<h2>y</h2>"; /* new content: a new insight */
    assert_int_equal(pptap_store_case_insight_add(f->st, &in, &added), 0);
    assert_int_equal(added, 1);
    in.entity = "E"; /* about an entity: new */
    assert_int_equal(pptap_store_case_insight_add(f->st, &in, &added), 0);
    assert_int_equal(added, 1);
    in.title = NULL;
    assert_int_equal(pptap_store_case_insight_add(f->st, &in, NULL), PPTAP_EINVAL);
    memset(&r, 0, sizeof r);
    assert_int_equal(pptap_store_case_insight_list(f->st, "42", on_case_insight, &r), 0);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.v[0], "Get Campaign|c-1|Informational|-|<h2>x</h2>");
    assert_string_equal(r.v[2], "Get Campaign|c-1|Informational|E|<h2>y</h2>");

    memset(&r, 0, sizeof r);
    assert_int_equal(pptap_store_case_list(f->st, on_case_summary, &r), 0);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.v[0], "42:2:3");
    assert_string_equal(r.v[1], "43:1:0");

    /* inside a rolled back transaction nothing stays */
    assert_int_equal(pptap_store_begin(f->st), 0);
    e.case_id = "44";
    e.identifier = "z";
    assert_int_equal(pptap_store_case_entity_add(f->st, &e, &added), 0);
    assert_int_equal(pptap_store_rollback(f->st), 0);
    memset(&r, 0, sizeof r);
    assert_int_equal(pptap_store_case_entity_list(f->st, "44", on_case_entity, &r), 0);
    assert_int_equal(r.n, 0);

    /* read-only: listing works, adding is refused */
    pptap_store_opts ro = {PPTAP_STORE_READONLY};
    pptap_store *rst;
    assert_int_equal(pptap_store_open(&rst, f->path, &ro, NULL), 0);
    memset(&r, 0, sizeof r);
    assert_int_equal(pptap_store_case_entity_list(rst, "42", on_case_entity, &r), 0);
    assert_int_equal(r.n, 2);
    e.case_id = "45";
    assert_int_equal(pptap_store_case_entity_add(rst, &e, NULL), PPTAP_EINVAL);
    pptap_store_close(rst);
}

int main(void)
{
#define T_(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T_(test_open),
        T_(test_dedupe_outcomes),
        T_(test_updates),
        T_(test_quarantine),
        T_(test_quarantine_list),
        T_(test_transactions),
        T_(test_checkpoints),
        T_(test_ledger),
        T_(test_gaps),
        T_(test_migration_from_v1),
        T_(test_retention),
        T_(test_search_filters),
        T_(test_search_cancel),
        T_(test_stats),
        T_(test_bad_args),
        T_(test_alloc_failures),
        T_(test_concurrent_writer),
        T_(test_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
