/*
 * The local store: SQLite (WAL, synchronous=FULL) holding events with their
 * indexed fields, checkpoints, the request ledger, gaps and the quarantine.
 * docs/store.md describes the schema and its versions.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include <pptap/store.h>
#include <pptap/urldefense.h>

#include "internal.h"
#include "store_internal.h"

/* ------------------------------------------------------------------------ */
/* Schema                                                                    */

/* Version 1: events and their child tables, checkpoints, ledger, gaps. */
static const char schema_v1[] = "CREATE TABLE events("
                                " id INTEGER PRIMARY KEY,"
                                " tenant TEXT NOT NULL,"
                                " event_id TEXT NOT NULL,"
                                " type TEXT NOT NULL,"
                                " event_time INTEGER NOT NULL,"
                                " guid TEXT,"
                                " message_id TEXT,"
                                " sender TEXT COLLATE NOCASE,"
                                " sender_ip TEXT,"
                                " click_ip TEXT,"
                                " url TEXT,"
                                " classification TEXT COLLATE NOCASE,"
                                " threat_status TEXT COLLATE NOCASE,"
                                " content_hash TEXT NOT NULL,"
                                " first_seen INTEGER NOT NULL,"
                                " last_seen INTEGER NOT NULL,"
                                " update_count INTEGER NOT NULL DEFAULT 0,"
                                " raw TEXT NOT NULL,"
                                " UNIQUE(tenant, event_id));"
                                "CREATE INDEX events_time ON events(event_time);"
                                "CREATE INDEX events_guid ON events(guid);"
                                "CREATE INDEX events_message_id ON events(message_id);"
                                "CREATE INDEX events_sender ON events(sender);"
                                "CREATE TABLE recipients("
                                " ev INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,"
                                " addr TEXT NOT NULL COLLATE NOCASE,"
                                " PRIMARY KEY(ev, addr)) WITHOUT ROWID;"
                                "CREATE INDEX recipients_addr ON recipients(addr);"
                                "CREATE TABLE threats("
                                " ev INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,"
                                " threat_id TEXT COLLATE NOCASE,"
                                " campaign_id TEXT COLLATE NOCASE,"
                                " classification TEXT COLLATE NOCASE,"
                                " status TEXT COLLATE NOCASE,"
                                " threat_url TEXT,"
                                " threat TEXT COLLATE NOCASE,"
                                " threat_type TEXT,"
                                " threat_time INTEGER);"
                                "CREATE INDEX threats_ev ON threats(ev);"
                                "CREATE INDEX threats_threat_id ON threats(threat_id);"
                                "CREATE INDEX threats_campaign_id ON threats(campaign_id);"
                                "CREATE INDEX threats_threat ON threats(threat);"
                                "CREATE TABLE attachments("
                                " ev INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,"
                                " sha256 TEXT NOT NULL COLLATE NOCASE,"
                                " md5 TEXT,"
                                " filename TEXT,"
                                " PRIMARY KEY(ev, sha256)) WITHOUT ROWID;"
                                "CREATE INDEX attachments_sha256 ON attachments(sha256);"
                                "CREATE TABLE urls("
                                " ev INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,"
                                " kind TEXT NOT NULL,"
                                " url TEXT NOT NULL,"
                                " PRIMARY KEY(ev, kind, url)) WITHOUT ROWID;"
                                "CREATE INDEX urls_url ON urls(url);"
                                "CREATE TABLE checkpoints("
                                " tenant TEXT NOT NULL,"
                                " name TEXT NOT NULL,"
                                " ival INTEGER,"
                                " tval TEXT,"
                                " updated_at INTEGER NOT NULL,"
                                " PRIMARY KEY(tenant, name));"
                                "CREATE TABLE ledger("
                                " id INTEGER PRIMARY KEY,"
                                " tenant TEXT NOT NULL,"
                                " pool TEXT NOT NULL,"
                                " at INTEGER NOT NULL,"
                                " status INTEGER NOT NULL);"
                                "CREATE INDEX ledger_pool_at ON ledger(tenant, pool, at);"
                                "CREATE INDEX ledger_at ON ledger(at);"
                                "CREATE TABLE gaps("
                                " id INTEGER PRIMARY KEY,"
                                " tenant TEXT NOT NULL,"
                                " from_ms INTEGER NOT NULL,"
                                " to_ms INTEGER NOT NULL,"
                                " reason TEXT NOT NULL,"
                                " recorded_at INTEGER NOT NULL);"
                                "CREATE INDEX gaps_tenant ON gaps(tenant, from_ms);";

/* Version 2: creation time, decoded URL Defense links, the quarantine. The
 * decoded column is filled in C by migrate_v2_urls() between the two halves. */
static const char schema_v2_a[] =
    "ALTER TABLE events ADD COLUMN creation_time INTEGER;"
    "UPDATE events SET creation_time = max(event_time, coalesce("
    " (SELECT max(threat_time) FROM threats WHERE threats.ev = events.id), event_time));"
    "CREATE INDEX events_last_seen ON events(last_seen);"
    "ALTER TABLE urls ADD COLUMN decoded TEXT;";
static const char schema_v2_b[] =
    "CREATE INDEX urls_decoded ON urls(decoded) WHERE decoded IS NOT NULL;"
    "CREATE TABLE quarantine("
    " id INTEGER PRIMARY KEY,"
    " tenant TEXT NOT NULL,"
    " type TEXT NOT NULL,"
    " received_at INTEGER NOT NULL,"
    " reason TEXT NOT NULL,"
    " raw TEXT NOT NULL);"
    "CREATE INDEX quarantine_tenant ON quarantine(tenant, received_at);";

/* Version 3: cases — entities and insights that SOAR actions create. */
static const char schema_v3[] = "CREATE TABLE case_entities("
                                " id INTEGER PRIMARY KEY,"
                                " case_id TEXT NOT NULL,"
                                " entity_type TEXT NOT NULL,"
                                " identifier TEXT NOT NULL COLLATE NOCASE,"
                                " properties TEXT NOT NULL,"
                                " created_by TEXT NOT NULL,"
                                " created_at INTEGER NOT NULL,"
                                " UNIQUE(case_id, entity_type, identifier));"
                                "CREATE TABLE case_insights("
                                " id INTEGER PRIMARY KEY,"
                                " case_id TEXT NOT NULL,"
                                " action TEXT NOT NULL,"
                                " title TEXT NOT NULL,"
                                " severity TEXT NOT NULL,"
                                " type TEXT NOT NULL,"
                                " body TEXT NOT NULL,"
                                " body_hash TEXT NOT NULL,"
                                " entity TEXT NOT NULL,"
                                " created_at INTEGER NOT NULL,"
                                " UNIQUE(case_id, action, title, entity, body_hash));";

/* Version 4: searches by creation time (the time SIEM intervals select on). */
static const char schema_v4[] = "CREATE INDEX events_creation ON events(tenant, creation_time);";

/* Prepared statements kept for the life of the handle. */
enum {
    ST_SP_BEGIN,
    ST_SP_RELEASE,
    ST_SP_ROLLBACK,
    ST_EV_FIND,
    ST_EV_TOUCH,
    ST_EV_INSERT,
    ST_EV_REPLACE,
    ST_DEL_RCPT,
    ST_DEL_THREAT,
    ST_DEL_ATT,
    ST_DEL_URL,
    ST_INS_RCPT,
    ST_INS_THREAT,
    ST_INS_ATT,
    ST_INS_URL,
    ST_QUAR_ADD,
    ST_CP_SET_INT,
    ST_CP_SET_TEXT,
    ST_CP_GET,
    ST_LEDGER_ADD,
    ST_LEDGER_COUNT,
    ST_COUNT_
};

static const char *const stmt_sql[ST_COUNT_] = {
    [ST_SP_BEGIN] = "SAVEPOINT pptap_put",
    [ST_SP_RELEASE] = "RELEASE pptap_put",
    [ST_SP_ROLLBACK] = "ROLLBACK TO pptap_put",
    [ST_EV_FIND] = "SELECT id, content_hash, update_count FROM events"
                   " WHERE tenant = ?1 AND event_id = ?2",
    [ST_EV_TOUCH] = "UPDATE events SET last_seen = max(last_seen, ?2) WHERE id = ?1",
    [ST_EV_INSERT] = "INSERT INTO events(tenant, event_id, type, event_time, creation_time, guid,"
                     " message_id, sender, sender_ip, click_ip, url, classification,"
                     " threat_status, content_hash, raw, first_seen, last_seen, update_count)"
                     " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
                     " ?16, ?16, 0)",
    [ST_EV_REPLACE] = "UPDATE events SET type = ?3, event_time = ?4, creation_time = ?5,"
                      " guid = ?6, message_id = ?7, sender = ?8, sender_ip = ?9, click_ip = ?10,"
                      " url = ?11, classification = ?12, threat_status = ?13,"
                      " content_hash = ?14, raw = ?15, last_seen = max(last_seen, ?16),"
                      " update_count = update_count + 1 WHERE id = ?17",
    [ST_DEL_RCPT] = "DELETE FROM recipients WHERE ev = ?1",
    [ST_DEL_THREAT] = "DELETE FROM threats WHERE ev = ?1",
    [ST_DEL_ATT] = "DELETE FROM attachments WHERE ev = ?1",
    [ST_DEL_URL] = "DELETE FROM urls WHERE ev = ?1",
    [ST_INS_RCPT] = "INSERT OR IGNORE INTO recipients(ev, addr) VALUES(?1, ?2)",
    [ST_INS_THREAT] = "INSERT INTO threats(ev, threat_id, campaign_id, classification, status,"
                      " threat_url, threat, threat_type, threat_time)"
                      " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [ST_INS_ATT] = "INSERT OR IGNORE INTO attachments(ev, sha256, md5, filename)"
                   " VALUES(?1, ?2, ?3, ?4)",
    [ST_INS_URL] = "INSERT OR IGNORE INTO urls(ev, kind, url, decoded) VALUES(?1, ?2, ?3, ?4)",
    [ST_QUAR_ADD] = "INSERT INTO quarantine(tenant, type, received_at, reason, raw)"
                    " VALUES(?1, ?2, ?3, ?4, ?5)",
    [ST_CP_SET_INT] = "INSERT INTO checkpoints(tenant, name, ival, tval, updated_at)"
                      " VALUES(?1, ?2, ?3, NULL, ?4) ON CONFLICT(tenant, name) DO UPDATE SET"
                      " ival = excluded.ival, tval = NULL, updated_at = excluded.updated_at",
    [ST_CP_SET_TEXT] = "INSERT INTO checkpoints(tenant, name, ival, tval, updated_at)"
                       " VALUES(?1, ?2, NULL, ?3, ?4) ON CONFLICT(tenant, name) DO UPDATE SET"
                       " ival = NULL, tval = excluded.tval, updated_at = excluded.updated_at",
    [ST_CP_GET] = "SELECT ival, tval FROM checkpoints WHERE tenant = ?1 AND name = ?2",
    [ST_LEDGER_ADD] = "INSERT INTO ledger(tenant, pool, at, status) VALUES(?1, ?2, ?3, ?4)",
    [ST_LEDGER_COUNT] = "SELECT count(*), min(at) FROM ledger"
                        " WHERE tenant = ?1 AND pool = ?2 AND at > ?3 AND at <= ?4",
};

struct pptap_store {
    sqlite3 *db;
    int schema;
    unsigned flags;
    pptap_time_ms (*clock)(void *payload);
    void *clock_payload;
    sqlite3_stmt *stmt[ST_COUNT_];
    char *dec; /* URL Defense decode buffer */
    size_t dec_cap;
    char err[PPTAP_ERRMSG_LEN];
};

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */

static void set_err(pptap_store *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_err(pptap_store *st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->err, sizeof st->err, fmt, ap);
    va_end(ap);
}

/* The PPTAP_E* code of the handle's last SQLite error. */
static int db_code(pptap_store *st)
{
    switch (sqlite3_errcode(st->db)) {
    case SQLITE_NOMEM:
        return PPTAP_ENOMEM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return PPTAP_ETIMEOUT;
    default:
        return PPTAP_EIO;
    }
}

/* Records the SQLite error of `what` on the handle and returns its code. */
static int db_err(pptap_store *st, const char *what)
{
    set_err(st, "%s: %s", what, sqlite3_errmsg(st->db));
    return db_code(st);
}

static pptap_time_ms now_ms(const pptap_store *st)
{
    return st->clock ? st->clock(st->clock_payload) : pptap_time_now();
}

static sqlite3_stmt *stmt(pptap_store *st, int which)
{
    sqlite3_stmt *s = st->stmt[which];
    if (s != NULL) {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
    return s;
}

static int bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v == NULL) {
        return sqlite3_bind_null(s, i);
    }
    return sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

static int bind_textn(sqlite3_stmt *s, int i, const char *v, size_t n)
{
    if (v == NULL) {
        return sqlite3_bind_null(s, i);
    }
    return sqlite3_bind_text64(s, i, v, n, SQLITE_TRANSIENT, SQLITE_UTF8);
}

static int bind_time(sqlite3_stmt *s, int i, pptap_time_ms t)
{
    if (t == PPTAP_TIME_NONE) {
        return sqlite3_bind_null(s, i);
    }
    return sqlite3_bind_int64(s, i, t);
}

/* Runs a statement that returns no rows. */
static int step_done(pptap_store *st, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        int e = db_err(st, what);
        sqlite3_reset(s);
        return e;
    }
    sqlite3_reset(s);
    return 0;
}

static int exec(pptap_store *st, const char *sql, const char *what)
{
    char *msg = NULL;
    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        set_err(st, "%s: %s", what, msg ? msg : sqlite3_errmsg(st->db));
        sqlite3_free(msg);
        return db_code(st);
    }
    return 0;
}

/* A name argument: non-NULL, non-empty, at most `max` bytes. */
static int name_ok(const char *s, size_t max)
{
    return s != NULL && s[0] != '\0' && strlen(s) <= max;
}

static int column_is_null(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL;
}

/* Decodes `url` when it is a URL Defense link; *out points into st->dec
 * (not NUL-terminated, *outlen bytes), or NULL when it does not decode. */
static int urldef(pptap_store *st, const char **out, size_t *outlen, const char *url, size_t n)
{
    *out = NULL;
    *outlen = 0;
    if (url == NULL || n == 0 || n > PPTAP_STORE_FIELD_MAX) {
        return 0;
    }
    size_t need = PPTAP_URLDEF_DECODE_MAX(n);
    if (need > st->dec_cap) {
        char *p = pptap__realloc(st->dec, need);
        if (p == NULL) {
            return PPTAP_ENOMEM;
        }
        st->dec = p;
        st->dec_cap = need;
    }
    pptap_urldef_result r;
    if (pptap_urldef_decode(&r, st->dec, st->dec_cap, url, n) == 0 && r.start == 0) {
        *out = st->dec;
        *outlen = r.len;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Open, migrate, close                                                      */

static int migrate_v2_urls(pptap_store *st)
{
    sqlite3_stmt *sel = NULL, *upd = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(st->db, "SELECT ev, kind, url FROM urls", -1, &sel, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db,
                           "UPDATE urls SET decoded = ?4 WHERE ev = ?1 AND kind = ?2 AND url = ?3",
                           -1, &upd, NULL) != SQLITE_OK) {
        rc = db_err(st, "migrating to schema 2");
        goto out;
    }
    int s;
    while ((s = sqlite3_step(sel)) == SQLITE_ROW) {
        const char *url = (const char *)sqlite3_column_text(sel, 2);
        size_t n = (size_t)sqlite3_column_bytes(sel, 2);
        const char *d;
        size_t dn;
        if ((rc = urldef(st, &d, &dn, url, n)) != 0) {
            goto out;
        }
        if (d == NULL) {
            continue;
        }
        sqlite3_reset(upd);
        sqlite3_bind_int64(upd, 1, sqlite3_column_int64(sel, 0));
        sqlite3_bind_value(upd, 2, sqlite3_column_value(sel, 1));
        sqlite3_bind_value(upd, 3, sqlite3_column_value(sel, 2));
        bind_textn(upd, 4, d, dn);
        if ((rc = step_done(st, upd, "migrating to schema 2")) != 0) {
            goto out;
        }
    }
    if (s != SQLITE_DONE) {
        rc = db_err(st, "migrating to schema 2");
    }
out:
    sqlite3_finalize(sel);
    sqlite3_finalize(upd);
    return rc;
}

/* Runs one forward migration from version v - 1 to v in its own transaction. */
static int migrate_to(pptap_store *st, int v)
{
    int rc = exec(st, "BEGIN IMMEDIATE", "starting a migration");
    if (rc != 0) {
        return rc;
    }
    char what[64];
    snprintf(what, sizeof what, "migrating to schema %d", v);
    if (v == 1) {
        rc = exec(st, schema_v1, what);
    } else if (v == 2) {
        rc = exec(st, schema_v2_a, what);
        if (rc == 0) {
            rc = migrate_v2_urls(st);
        }
        if (rc == 0) {
            rc = exec(st, schema_v2_b, what);
        }
    } else if (v == 3) {
        rc = exec(st, schema_v3, what);
    } else if (v == 4) {
        rc = exec(st, schema_v4, what);
    }
    if (rc == 0) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v);
        rc = exec(st, sql, what);
    }
    if (rc == 0) {
        rc = exec(st, "COMMIT", what);
    }
    if (rc != 0) {
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    st->schema = v;
    return 0;
}

static int read_user_version(pptap_store *st, int *v)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK) {
        return db_err(st, "reading the schema version");
    }
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        int e = db_err(st, "reading the schema version");
        sqlite3_finalize(s);
        return e;
    }
    *v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return 0;
}

/* Checks or creates the file: a regular file, created 0600, not open to others. */
static int prepare_file(pptap_store *st, const char *path, unsigned flags)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (errno != ENOENT) {
            set_err(st, "cannot access '%s': %s", path, strerror(errno));
            return PPTAP_EIO;
        }
        if (flags & (PPTAP_STORE_NOCREATE | PPTAP_STORE_READONLY)) {
            set_err(st, "no store at '%s'", path);
            return PPTAP_ENOTFOUND;
        }
        int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0 && errno != EEXIST) {
            set_err(st, "cannot create '%s': %s", path, strerror(errno));
            return PPTAP_EIO;
        }
        if (fd >= 0) {
            close(fd);
        }
        if (stat(path, &sb) != 0) {
            set_err(st, "cannot access '%s': %s", path, strerror(errno));
            return PPTAP_EIO;
        }
    }
    if (!S_ISREG(sb.st_mode)) {
        set_err(st, "'%s' is not a regular file", path);
        return PPTAP_EIO;
    }
    if ((sb.st_mode & 0006) != 0 && !(flags & PPTAP_STORE_ALLOW_OPEN_MODE)) {
        set_err(st, "'%s' is readable or writable by others (mode %04o); run 'chmod 600 %s'", path,
                (unsigned)(sb.st_mode & 07777), path);
        return PPTAP_ECONFIG;
    }
    return 0;
}

static int setup(pptap_store *st, const char *path, const pptap_store_opts *o)
{
    unsigned flags = o->flags;
    int rc = prepare_file(st, path, flags);
    if (rc != 0) {
        return rc;
    }
    int oflags = (flags & PPTAP_STORE_READONLY) ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (sqlite3_open_v2(path, &st->db, oflags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        if (st->db == NULL) {
            return PPTAP_ENOMEM;
        }
        return db_err(st, "opening the store");
    }
    sqlite3_extended_result_codes(st->db, 0);
    sqlite3_busy_timeout(st->db, o->busy_timeout_ms > 0 ? o->busy_timeout_ms : 5000);
    int v = 0;
    if ((rc = read_user_version(st, &v)) != 0) {
        return rc;
    }
    if (v > PPTAP_STORE_SCHEMA_VERSION) {
        set_err(st, "the store has schema version %d, newer than this pptap's %d", v,
                PPTAP_STORE_SCHEMA_VERSION);
        return PPTAP_ECONFIG;
    }
    st->schema = v;
    if (flags & PPTAP_STORE_READONLY) {
        if (v < PPTAP_STORE_SCHEMA_VERSION) {
            set_err(st, "the store has schema version %d; open it once read-write to migrate it",
                    v);
            return PPTAP_ECONFIG;
        }
        rc = exec(st, "PRAGMA foreign_keys = ON", "configuring the store");
    } else {
        rc = exec(st,
                  "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -8192;"
                  " PRAGMA foreign_keys = ON;",
                  "configuring the store");
        for (int n = v + 1; rc == 0 && n <= PPTAP_STORE_SCHEMA_VERSION; n++) {
            rc = migrate_to(st, n);
        }
    }
    if (rc != 0) {
        return rc;
    }
    for (int i = 0; i < ST_COUNT_; i++) {
        if ((flags & PPTAP_STORE_READONLY) && i != ST_CP_GET && i != ST_LEDGER_COUNT &&
            i != ST_EV_FIND) {
            continue;
        }
        if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[i],
                               NULL) != SQLITE_OK) {
            return db_err(st, "preparing statements");
        }
    }
    return 0;
}

int pptap_store_open(pptap_store **out, const char *path, const pptap_store_opts *opts,
                     char err[PPTAP_ERRMSG_LEN])
{
    static const pptap_store_opts defaults;
    if (err != NULL) {
        err[0] = '\0';
    }
    if (out == NULL || path == NULL || path[0] == '\0') {
        if (err != NULL) {
            snprintf(err, PPTAP_ERRMSG_LEN, "no store path given");
        }
        return PPTAP_EINVAL;
    }
    *out = NULL;
    if (opts == NULL) {
        opts = &defaults;
    }
    pptap_store *st = pptap__calloc(1, sizeof *st);
    if (st == NULL) {
        return PPTAP_ENOMEM;
    }
    st->flags = opts->flags;
    st->clock = opts->clock;
    st->clock_payload = opts->clock_payload;
    int rc = setup(st, path, opts);
    if (rc != 0) {
        if (err != NULL) {
            snprintf(err, PPTAP_ERRMSG_LEN, "%s", st->err[0] ? st->err : pptap_strerror(rc));
        }
        pptap_store_close(st);
        return rc;
    }
    *out = st;
    return 0;
}

void pptap_store_close(pptap_store *st)
{
    if (st == NULL) {
        return;
    }
    for (int i = 0; i < ST_COUNT_; i++) {
        sqlite3_finalize(st->stmt[i]);
    }
    if (st->db != NULL) {
        if (!sqlite3_get_autocommit(st->db)) {
            sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        }
        sqlite3_close(st->db);
    }
    pptap__free(st->dec);
    pptap__free(st);
}

const char *pptap_store_last_error(const pptap_store *st)
{
    return st ? st->err : "";
}

int pptap_store_schema_version(const pptap_store *st)
{
    return st ? st->schema : 0;
}

/* ------------------------------------------------------------------------ */
/* Transactions                                                              */

int pptap_store_begin(pptap_store *st)
{
    if (st == NULL) {
        return PPTAP_EINVAL;
    }
    if (!sqlite3_get_autocommit(st->db)) {
        set_err(st, "a transaction is already open");
        return PPTAP_EINVAL;
    }
    return exec(st, "BEGIN IMMEDIATE", "starting a transaction");
}

int pptap_store_commit(pptap_store *st)
{
    if (st == NULL) {
        return PPTAP_EINVAL;
    }
    if (sqlite3_get_autocommit(st->db)) {
        set_err(st, "no transaction is open");
        return PPTAP_EINVAL;
    }
    return exec(st, "COMMIT", "committing");
}

int pptap_store_rollback(pptap_store *st)
{
    if (st == NULL) {
        return PPTAP_EINVAL;
    }
    if (sqlite3_get_autocommit(st->db)) {
        set_err(st, "no transaction is open");
        return PPTAP_EINVAL;
    }
    return exec(st, "ROLLBACK", "rolling back");
}

/* ------------------------------------------------------------------------ */
/* Events                                                                    */

const char *pptap_store_outcome_name(pptap_store_outcome o)
{
    switch (o) {
    case PPTAP_STORE_NEW:
        return "new";
    case PPTAP_STORE_DUPLICATE:
        return "duplicate";
    case PPTAP_STORE_UPDATED:
        return "updated";
    case PPTAP_STORE_QUARANTINED:
        return "quarantined";
    }
    return "unknown";
}

/* The indexed fields of one event, borrowed from its typed view. */
typedef struct {
    pptap_event_type type;
    pptap_time_ms event_time, creation_time;
    const char *guid, *sender, *sender_ip, *click_ip, *url;
    const char *message_id;
    size_t message_id_len;
    pptap_buf classification, status; /* distinct values, lower case, joined by "," */
    const pptap_message *m;
    const pptap_click *c;
} extracted;

/* Adds `v` (lower-cased) to the comma-joined set in `b` unless present. */
static int set_add(pptap_buf *b, const char *v)
{
    if (v == NULL || v[0] == '\0') {
        return 0;
    }
    size_t n = strlen(v);
    char low[64];
    if (n >= sizeof low) {
        n = sizeof low - 1;
    }
    for (size_t i = 0; i < n; i++) {
        low[i] = (char)tolower((unsigned char)v[i]);
    }
    low[n] = '\0';
    if (b->ptr != NULL) {
        const char *p = b->ptr;
        while (p != NULL) {
            const char *e = strchr(p, ',');
            size_t k = e ? (size_t)(e - p) : strlen(p);
            if (k == n && memcmp(p, low, n) == 0) {
                return 0;
            }
            p = e ? e + 1 : NULL;
        }
    }
    if (b->len > 0 && pptap_buf_put(b, ",", 1) != 0) {
        return PPTAP_ENOMEM;
    }
    return pptap_buf_put(b, low, n);
}

/* Fills `why` and returns 1 when a string field is over the cap. */
static int too_long(char *why, const char *name, const char *v)
{
    if (v != NULL && strlen(v) > PPTAP_STORE_FIELD_MAX) {
        snprintf(why, PPTAP_STORE_REASON_MAX, "field '%s' is longer than %d bytes", name,
                 PPTAP_STORE_FIELD_MAX);
        return 1;
    }
    return 0;
}

/* Extracts the indexed fields. Returns 0, PPTAP_ENOMEM, or PPTAP_EINVAL
 * with the reason in `why` (the event goes to the quarantine). */
static int extract(extracted *x, char *why)
{
    if (x->m != NULL) {
        const pptap_message *m = x->m;
        if (m->message_time == PPTAP_TIME_NONE) {
            snprintf(why, PPTAP_STORE_REASON_MAX, "no valid messageTime");
            return PPTAP_EINVAL;
        }
        if (m->recipient.n > PPTAP_STORE_LIST_MAX || m->n_threats > PPTAP_STORE_LIST_MAX ||
            m->n_parts > PPTAP_STORE_LIST_MAX) {
            snprintf(why, PPTAP_STORE_REASON_MAX,
                     "more than %d recipients, threats or message parts", PPTAP_STORE_LIST_MAX);
            return PPTAP_EINVAL;
        }
        x->event_time = m->message_time;
        x->guid = m->guid;
        x->message_id = m->message_id;
        x->sender = m->sender;
        x->sender_ip = m->sender_ip;
        if (too_long(why, "GUID", m->guid) || too_long(why, "messageID", m->message_id) ||
            too_long(why, "sender", m->sender) || too_long(why, "senderIP", m->sender_ip)) {
            return PPTAP_EINVAL;
        }
        for (size_t i = 0; i < m->recipient.n; i++) {
            if (too_long(why, "recipient", m->recipient.v[i])) {
                return PPTAP_EINVAL;
            }
        }
        x->creation_time = x->event_time;
        for (size_t i = 0; i < m->n_threats; i++) {
            const pptap_threat_info *t = &m->threats[i];
            if (too_long(why, "threatID", t->threat_id) ||
                too_long(why, "campaignID", t->campaign_id) ||
                too_long(why, "classification", t->classification) ||
                too_long(why, "threatStatus", t->threat_status) ||
                too_long(why, "threatUrl", t->threat_url) || too_long(why, "threat", t->threat) ||
                too_long(why, "threatType", t->threat_type)) {
                return PPTAP_EINVAL;
            }
            if (t->threat_time != PPTAP_TIME_NONE && t->threat_time > x->creation_time) {
                x->creation_time = t->threat_time;
            }
            if (set_add(&x->classification, t->classification) != 0 ||
                set_add(&x->status, t->threat_status) != 0) {
                return PPTAP_ENOMEM;
            }
        }
        for (size_t i = 0; i < m->n_parts; i++) {
            const pptap_message_part *p = &m->parts[i];
            if (too_long(why, "sha256", p->sha256) || too_long(why, "md5", p->md5) ||
                too_long(why, "filename", p->filename)) {
                return PPTAP_EINVAL;
            }
        }
    } else {
        const pptap_click *c = x->c;
        if (c->click_time == PPTAP_TIME_NONE) {
            snprintf(why, PPTAP_STORE_REASON_MAX, "no valid clickTime");
            return PPTAP_EINVAL;
        }
        if (too_long(why, "GUID", c->guid) || too_long(why, "messageID", c->message_id) ||
            too_long(why, "sender", c->sender) || too_long(why, "senderIP", c->sender_ip) ||
            too_long(why, "clickIP", c->click_ip) || too_long(why, "url", c->url) ||
            too_long(why, "recipient", c->recipient) || too_long(why, "threatID", c->threat_id) ||
            too_long(why, "campaignId", c->campaign_id) ||
            too_long(why, "threatURL", c->threat_url) ||
            too_long(why, "classification", c->classification) ||
            too_long(why, "threatStatus", c->threat_status)) {
            return PPTAP_EINVAL;
        }
        x->event_time = c->click_time;
        x->creation_time = c->click_time;
        if (c->threat_time != PPTAP_TIME_NONE && c->threat_time > x->creation_time) {
            x->creation_time = c->threat_time;
        }
        x->guid = c->guid;
        x->message_id = c->message_id;
        x->sender = c->sender;
        x->sender_ip = c->sender_ip;
        x->click_ip = c->click_ip;
        x->url = c->url;
        if (set_add(&x->classification, c->classification) != 0 ||
            set_add(&x->status, c->threat_status) != 0) {
            return PPTAP_ENOMEM;
        }
    }
    if (x->message_id != NULL) {
        size_t n = strlen(x->message_id);
        if (n >= 2 && x->message_id[0] == '<' && x->message_id[n - 1] == '>') {
            x->message_id++;
            n -= 2;
        }
        x->message_id_len = n;
        if (n == 0) {
            x->message_id = NULL;
        }
    }
    if (x->guid != NULL && x->guid[0] == '\0') {
        x->guid = NULL;
    }
    if (x->sender != NULL && x->sender[0] == '\0') {
        x->sender = NULL;
    }
    return 0;
}

static int bind_event(sqlite3_stmt *s, const extracted *x, const pptap_event_identity *id,
                      const char *raw, size_t raw_len, pptap_time_ms now)
{
    int rc = 0;
    rc |= bind_text(s, 2, id->event_id);
    rc |= bind_text(s, 3, pptap_event_type_name(x->type));
    rc |= sqlite3_bind_int64(s, 4, x->event_time);
    rc |= sqlite3_bind_int64(s, 5, x->creation_time);
    rc |= bind_text(s, 6, x->guid);
    rc |= bind_textn(s, 7, x->message_id, x->message_id_len);
    rc |= bind_text(s, 8, x->sender);
    rc |= bind_text(s, 9, x->sender_ip);
    rc |= bind_text(s, 10, x->click_ip);
    rc |= bind_text(s, 11, x->url);
    rc |= bind_textn(s, 12, x->classification.ptr, x->classification.len);
    rc |= bind_textn(s, 13, x->status.ptr, x->status.len);
    rc |= bind_text(s, 14, id->content_hash);
    rc |= bind_textn(s, 15, raw, raw_len);
    rc |= sqlite3_bind_int64(s, 16, now);
    return rc == SQLITE_OK ? 0 : PPTAP_ENOMEM;
}

static int put_url(pptap_store *st, sqlite3_int64 ev, const char *kind, const char *url)
{
    if (url == NULL || url[0] == '\0') {
        return 0;
    }
    size_t n = strlen(url);
    const char *d;
    size_t dn;
    int rc = urldef(st, &d, &dn, url, n);
    if (rc != 0) {
        return rc;
    }
    sqlite3_stmt *s = stmt(st, ST_INS_URL);
    sqlite3_bind_int64(s, 1, ev);
    bind_text(s, 2, kind);
    bind_textn(s, 3, url, n);
    bind_textn(s, 4, d, dn);
    return step_done(st, s, "storing a URL");
}

static int put_threat(pptap_store *st, sqlite3_int64 ev, const char *threat_id,
                      const char *campaign_id, const char *cls, const char *status,
                      const char *threat_url, const char *threat, const char *type, pptap_time_ms t)
{
    sqlite3_stmt *s = stmt(st, ST_INS_THREAT);
    sqlite3_bind_int64(s, 1, ev);
    bind_text(s, 2, threat_id);
    bind_text(s, 3, campaign_id);
    bind_text(s, 4, cls);
    bind_text(s, 5, status);
    bind_text(s, 6, threat_url);
    bind_text(s, 7, threat);
    bind_text(s, 8, type);
    bind_time(s, 9, t);
    return step_done(st, s, "storing a threat");
}

static int put_recipient(pptap_store *st, sqlite3_int64 ev, const char *addr)
{
    if (addr == NULL || addr[0] == '\0') {
        return 0;
    }
    sqlite3_stmt *s = stmt(st, ST_INS_RCPT);
    sqlite3_bind_int64(s, 1, ev);
    bind_text(s, 2, addr);
    return step_done(st, s, "storing a recipient");
}

static int put_children(pptap_store *st, sqlite3_int64 ev, const extracted *x)
{
    int rc = 0;
    if (x->m != NULL) {
        const pptap_message *m = x->m;
        for (size_t i = 0; i < m->recipient.n && rc == 0; i++) {
            rc = put_recipient(st, ev, m->recipient.v[i]);
        }
        for (size_t i = 0; i < m->n_threats && rc == 0; i++) {
            const pptap_threat_info *t = &m->threats[i];
            rc = put_threat(st, ev, t->threat_id, t->campaign_id, t->classification,
                            t->threat_status, t->threat_url, t->threat, t->threat_type,
                            t->threat_time);
            if (rc == 0 && t->threat != NULL &&
                pptap_threat_type_bit(t->threat_type) == PPTAP_THREAT_TYPE_URL) {
                rc = put_url(st, ev, "threat", t->threat);
            }
        }
        for (size_t i = 0; i < m->n_parts && rc == 0; i++) {
            const pptap_message_part *p = &m->parts[i];
            if (p->sha256 == NULL || p->sha256[0] == '\0') {
                continue;
            }
            sqlite3_stmt *s = stmt(st, ST_INS_ATT);
            sqlite3_bind_int64(s, 1, ev);
            bind_text(s, 2, p->sha256);
            bind_text(s, 3, p->md5);
            bind_text(s, 4, p->filename);
            rc = step_done(st, s, "storing an attachment");
        }
    } else {
        const pptap_click *c = x->c;
        /* the click's threat is its URL, decoded when it is a URL Defense link */
        char *threat = NULL;
        const char *d = NULL;
        size_t dn = 0;
        rc = put_recipient(st, ev, c->recipient);
        if (rc == 0 && c->url != NULL) {
            rc = urldef(st, &d, &dn, c->url, strlen(c->url));
            if (rc == 0 && d != NULL && (threat = pptap__strndup(d, dn)) == NULL) {
                rc = PPTAP_ENOMEM;
            }
        }
        if (rc == 0) {
            rc = put_threat(st, ev, c->threat_id, c->campaign_id, c->classification,
                            c->threat_status, c->threat_url, threat ? threat : c->url, "url",
                            c->threat_time);
        }
        pptap__free(threat);
        if (rc == 0) {
            rc = put_url(st, ev, "click", c->url);
        }
    }
    return rc;
}

static int delete_children(pptap_store *st, sqlite3_int64 ev)
{
    static const int dels[] = {ST_DEL_RCPT, ST_DEL_THREAT, ST_DEL_ATT, ST_DEL_URL};
    for (size_t i = 0; i < sizeof dels / sizeof dels[0]; i++) {
        sqlite3_stmt *s = stmt(st, dels[i]);
        sqlite3_bind_int64(s, 1, ev);
        int rc = step_done(st, s, "replacing an event");
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* Writes an event whose fields were extracted: NEW, DUPLICATE or UPDATED. */
static int write_event(pptap_store *st, const char *tenant, const extracted *x,
                       const pptap_event_identity *id, const char *raw, size_t raw_len,
                       pptap_store_put_result *res)
{
    pptap_time_ms now = now_ms(st);
    sqlite3_stmt *f = stmt(st, ST_EV_FIND);
    bind_text(f, 1, tenant);
    bind_text(f, 2, id->event_id);
    int s = sqlite3_step(f);
    if (s != SQLITE_ROW && s != SQLITE_DONE) {
        int e = db_err(st, "looking up an event");
        sqlite3_reset(f);
        return e;
    }
    int rc;
    if (s == SQLITE_ROW) {
        sqlite3_int64 ev = sqlite3_column_int64(f, 0);
        const char *stored = (const char *)sqlite3_column_text(f, 1);
        int same = stored != NULL && strcmp(stored, id->content_hash) == 0;
        int64_t updates = sqlite3_column_int64(f, 2);
        sqlite3_reset(f);
        if (same) {
            sqlite3_stmt *t = stmt(st, ST_EV_TOUCH);
            sqlite3_bind_int64(t, 1, ev);
            sqlite3_bind_int64(t, 2, now);
            res->outcome = PPTAP_STORE_DUPLICATE;
            res->updates = updates;
            return step_done(st, t, "updating last_seen");
        }
        sqlite3_stmt *u = stmt(st, ST_EV_REPLACE);
        if ((rc = bind_event(u, x, id, raw, raw_len, now)) != 0) {
            return rc;
        }
        sqlite3_bind_int64(u, 17, ev);
        if ((rc = step_done(st, u, "replacing an event")) != 0 ||
            (rc = delete_children(st, ev)) != 0 || (rc = put_children(st, ev, x)) != 0) {
            return rc;
        }
        res->outcome = PPTAP_STORE_UPDATED;
        res->updates = updates + 1;
        return 0;
    }
    sqlite3_reset(f);
    sqlite3_stmt *i = stmt(st, ST_EV_INSERT);
    bind_text(i, 1, tenant);
    if ((rc = bind_event(i, x, id, raw, raw_len, now)) != 0) {
        return rc;
    }
    if ((rc = step_done(st, i, "inserting an event")) != 0) {
        return rc;
    }
    if ((rc = put_children(st, sqlite3_last_insert_rowid(st->db), x)) != 0) {
        return rc;
    }
    res->outcome = PPTAP_STORE_NEW;
    res->updates = 0;
    return 0;
}

static int quarantine_put(pptap_store *st, const char *tenant, const char *type, const char *reason,
                          const char *raw, size_t len)
{
    if (len > PPTAP_STORE_EVENT_MAX) {
        len = PPTAP_STORE_EVENT_MAX;
    }
    size_t rlen = strlen(reason);
    if (rlen >= PPTAP_STORE_REASON_MAX) {
        rlen = PPTAP_STORE_REASON_MAX - 1;
    }
    sqlite3_stmt *s = stmt(st, ST_QUAR_ADD);
    bind_text(s, 1, tenant);
    bind_text(s, 2, type ? type : "");
    sqlite3_bind_int64(s, 3, now_ms(st));
    bind_textn(s, 4, reason, rlen);
    /* bytes, not text: a truncated event may end inside a UTF-8 sequence */
    bind_textn(s, 5, raw ? raw : "", raw ? len : 0);
    return step_done(st, s, "quarantining an event");
}

int pptap_store_quarantine_add(pptap_store *st, const char *tenant, const char *type,
                               const char *reason, const char *raw, size_t len)
{
    if (st == NULL || !name_ok(tenant, PPTAP_STORE_TENANT_MAX) || reason == NULL ||
        (raw == NULL && len > 0)) {
        return PPTAP_EINVAL;
    }
    if (st->stmt[ST_QUAR_ADD] == NULL) {
        set_err(st, "the store is read-only");
        return PPTAP_EINVAL;
    }
    return quarantine_put(st, tenant, type, reason, raw, len);
}

int pptap_store_put_event(pptap_store *st, const char *tenant, pptap_event_type type, json_t *event,
                          pptap_store_put_result *res)
{
    pptap_store_put_result local;
    if (res == NULL) {
        res = &local;
    }
    if (st == NULL || !name_ok(tenant, PPTAP_STORE_TENANT_MAX) || (int)type < 0 ||
        type >= PPTAP_EVENT_COUNT_ || event == NULL) {
        return PPTAP_EINVAL;
    }
    if (st->stmt[ST_EV_INSERT] == NULL) {
        set_err(st, "the store is read-only");
        return PPTAP_EINVAL;
    }
    memset(res, 0, sizeof *res);
    char *raw = json_dumps(event, JSON_COMPACT | JSON_ENCODE_ANY);
    if (raw == NULL) {
        return PPTAP_ENOMEM;
    }
    size_t raw_len = strlen(raw);
    extracted x;
    memset(&x, 0, sizeof x);
    x.type = type;
    pptap_message_obj *mo = NULL;
    pptap_click_obj *co = NULL;
    pptap_event_identity id;
    int rc = 0, bad = 0;
    int is_msg = type == PPTAP_EVENT_MESSAGES_BLOCKED || type == PPTAP_EVENT_MESSAGES_DELIVERED;

    if (!json_is_object(event)) {
        snprintf(res->reason, sizeof res->reason, "the event is not a JSON object");
        bad = 1;
    } else if (raw_len > PPTAP_STORE_EVENT_MAX) {
        snprintf(res->reason, sizeof res->reason, "the event is larger than %u bytes",
                 PPTAP_STORE_EVENT_MAX);
        bad = 1;
    } else {
        rc = is_msg ? pptap_message_parse(&mo, event) : pptap_click_parse(&co, event);
        if (rc == 0) {
            x.m = mo ? pptap_message_get(mo) : NULL;
            x.c = co ? pptap_click_get(co) : NULL;
            rc = extract(&x, res->reason);
            if (rc == PPTAP_EINVAL) {
                bad = 1;
                rc = 0;
            }
        }
        if (rc == 0 && !bad) {
            rc = pptap_event_identify(&id, type, event);
            if (rc == PPTAP_EINVAL) {
                snprintf(res->reason, sizeof res->reason,
                         "no usable identity: 'id' is not a printable string of at most %d "
                         "bytes, or there is neither 'id' nor 'GUID'",
                         PPTAP_EVENT_ID_MAX - 1);
                bad = 1;
                rc = 0;
            }
        }
    }
    if (rc != 0) {
        goto out;
    }
    if ((rc = step_done(st, stmt(st, ST_SP_BEGIN), "starting a savepoint")) != 0) {
        goto out;
    }
    if (bad) {
        rc = quarantine_put(st, tenant, pptap_event_type_name(type), res->reason, raw, raw_len);
        res->outcome = PPTAP_STORE_QUARANTINED;
    } else {
        res->identity = id;
        rc = write_event(st, tenant, &x, &id, raw, raw_len, res);
    }
    if (rc != 0) {
        char keep[PPTAP_ERRMSG_LEN];
        memcpy(keep, st->err, sizeof keep);
        sqlite3_step(stmt(st, ST_SP_ROLLBACK));
        sqlite3_reset(st->stmt[ST_SP_ROLLBACK]);
        sqlite3_step(stmt(st, ST_SP_RELEASE));
        sqlite3_reset(st->stmt[ST_SP_RELEASE]);
        memcpy(st->err, keep, sizeof keep);
        memset(res, 0, sizeof *res);
        goto out;
    }
    rc = step_done(st, stmt(st, ST_SP_RELEASE), "releasing a savepoint");
out:
    pptap_message_free(mo);
    pptap_click_free(co);
    pptap_buf_dispose(&x.classification);
    pptap_buf_dispose(&x.status);
    free(raw); /* allocated by jansson */
    return rc;
}

int pptap_store_purge(pptap_store *st, int64_t *purged, pptap_time_ms now, int days)
{
    if (st == NULL || days < 0) {
        return PPTAP_EINVAL;
    }
    if (days == 0) {
        days = PPTAP_STORE_RETENTION_DEFAULT_DAYS;
    }
    const int64_t day = 24 * 3600 * 1000LL;
    pptap_time_ms cut = now - (int64_t)days * day;
    pptap_time_ms keep = now - PPTAP_STORE_DEDUPE_KEEP_DAYS * day;
    sqlite3_stmt *s = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(st->db, "DELETE FROM events WHERE event_time < ?1 AND last_seen < ?2",
                           -1, &s, NULL) != SQLITE_OK) {
        return db_err(st, "purging events");
    }
    sqlite3_bind_int64(s, 1, cut);
    sqlite3_bind_int64(s, 2, keep);
    rc = step_done(st, s, "purging events");
    sqlite3_finalize(s);
    if (rc != 0) {
        return rc;
    }
    int64_t n = sqlite3_changes(st->db);
    char sql[256];
    snprintf(sql, sizeof sql,
             "DELETE FROM quarantine WHERE received_at < %lld;"
             " DELETE FROM gaps WHERE recorded_at < %lld;",
             (long long)cut, (long long)cut);
    if ((rc = exec(st, sql, "purging records")) != 0) {
        return rc;
    }
    if ((rc = pptap_store_ledger_prune(st, NULL, now)) != 0) {
        return rc;
    }
    if (purged != NULL) {
        *purged = n;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Checkpoints                                                               */

static int checkpoint_set(pptap_store *st, int which, const char *tenant, const char *name,
                          int64_t iv, const char *tv)
{
    if (st == NULL || !name_ok(tenant, PPTAP_STORE_TENANT_MAX) ||
        !name_ok(name, PPTAP_STORE_NAME_MAX)) {
        return PPTAP_EINVAL;
    }
    if (st->stmt[which] == NULL) {
        set_err(st, "the store is read-only");
        return PPTAP_EINVAL;
    }
    sqlite3_stmt *s = stmt(st, which);
    bind_text(s, 1, tenant);
    bind_text(s, 2, name);
    if (which == ST_CP_SET_INT) {
        sqlite3_bind_int64(s, 3, iv);
    } else {
        bind_text(s, 3, tv);
    }
    sqlite3_bind_int64(s, 4, now_ms(st));
    return step_done(st, s, "writing a checkpoint");
}

int pptap_store_checkpoint_set_int(pptap_store *st, const char *tenant, const char *name,
                                   int64_t value)
{
    return checkpoint_set(st, ST_CP_SET_INT, tenant, name, value, NULL);
}

int pptap_store_checkpoint_set_text(pptap_store *st, const char *tenant, const char *name,
                                    const char *value)
{
    if (value == NULL || strlen(value) > PPTAP_STORE_TEXT_MAX) {
        return PPTAP_EINVAL;
    }
    return checkpoint_set(st, ST_CP_SET_TEXT, tenant, name, 0, value);
}

/* Steps the checkpoint lookup; leaves the row current on success. */
static int checkpoint_find(pptap_store *st, sqlite3_stmt **out, const char *tenant,
                           const char *name, int col)
{
    if (st == NULL || !name_ok(tenant, PPTAP_STORE_TENANT_MAX) ||
        !name_ok(name, PPTAP_STORE_NAME_MAX)) {
        return PPTAP_EINVAL;
    }
    sqlite3_stmt *s = stmt(st, ST_CP_GET);
    bind_text(s, 1, tenant);
    bind_text(s, 2, name);
    int r = sqlite3_step(s);
    if (r == SQLITE_DONE || (r == SQLITE_ROW && column_is_null(s, col))) {
        sqlite3_reset(s);
        set_err(st, "no checkpoint '%s' for tenant '%s'", name, tenant);
        return PPTAP_ENOTFOUND;
    }
    if (r != SQLITE_ROW) {
        int e = db_err(st, "reading a checkpoint");
        sqlite3_reset(s);
        return e;
    }
    *out = s;
    return 0;
}

int pptap_store_checkpoint_get_int(pptap_store *st, int64_t *out, const char *tenant,
                                   const char *name)
{
    sqlite3_stmt *s;
    if (out == NULL) {
        return PPTAP_EINVAL;
    }
    int rc = checkpoint_find(st, &s, tenant, name, 0);
    if (rc == 0) {
        *out = sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
    }
    return rc;
}

int pptap_store_checkpoint_get_text(pptap_store *st, pptap_buf *out, const char *tenant,
                                    const char *name)
{
    sqlite3_stmt *s;
    if (out == NULL) {
        return PPTAP_EINVAL;
    }
    int rc = checkpoint_find(st, &s, tenant, name, 1);
    if (rc == 0) {
        const void *p = sqlite3_column_text(s, 1);
        size_t n = (size_t)sqlite3_column_bytes(s, 1);
        rc = pptap_buf_put(out, p ? p : "", n);
        if (rc == 0 && out->ptr == NULL) {
            rc = pptap_buf_put(out, "", 0);
        }
        sqlite3_reset(s);
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Ledger                                                                    */

int pptap_store_ledger_add(pptap_store *st, const char *tenant, const char *pool, pptap_time_ms at,
                           int http_status)
{
    if (st == NULL || !name_ok(tenant, PPTAP_STORE_TENANT_MAX) ||
        !name_ok(pool, PPTAP_STORE_NAME_MAX)) {
        return PPTAP_EINVAL;
    }
    if (st->stmt[ST_LEDGER_ADD] == NULL) {
        set_err(st, "the store is read-only");
        return PPTAP_EINVAL;
    }
    sqlite3_stmt *s = stmt(st, ST_LEDGER_ADD);
    bind_text(s, 1, tenant);
    bind_text(s, 2, pool);
    sqlite3_bind_int64(s, 3, at);
    sqlite3_bind_int(s, 4, http_status);
    return step_done(st, s, "recording a request");
}

int pptap_store_ledger_count(pptap_store *st, int64_t *count, pptap_time_ms *free_at,
                             const char *tenant, const char *pool, pptap_time_ms now,
                             int64_t window_ms)
{
    if (st == NULL || count == NULL || !name_ok(tenant, PPTAP_STORE_TENANT_MAX) ||
        !name_ok(pool, PPTAP_STORE_NAME_MAX) || window_ms <= 0) {
        return PPTAP_EINVAL;
    }
    sqlite3_stmt *s = stmt(st, ST_LEDGER_COUNT);
    bind_text(s, 1, tenant);
    bind_text(s, 2, pool);
    sqlite3_bind_int64(s, 3, now - window_ms);
    sqlite3_bind_int64(s, 4, now);
    if (sqlite3_step(s) != SQLITE_ROW) {
        int e = db_err(st, "counting requests");
        sqlite3_reset(s);
        return e;
    }
    *count = sqlite3_column_int64(s, 0);
    if (free_at != NULL) {
        *free_at = sqlite3_column_type(s, 1) == SQLITE_NULL
                       ? PPTAP_TIME_NONE
                       : sqlite3_column_int64(s, 1) + window_ms;
    }
    sqlite3_reset(s);
    return 0;
}

int pptap_store_ledger_prune(pptap_store *st, int64_t *pruned, pptap_time_ms now)
{
    if (st == NULL) {
        return PPTAP_EINVAL;
    }
    char sql[96];
    snprintf(sql, sizeof sql, "DELETE FROM ledger WHERE at <= %lld",
             (long long)(now - PPTAP_STORE_LEDGER_KEEP_MS));
    int rc = exec(st, sql, "pruning the ledger");
    if (rc == 0 && pruned != NULL) {
        *pruned = sqlite3_changes(st->db);
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Gaps and quarantine                                                       */

int pptap_store_gap_add(pptap_store *st, const char *tenant, pptap_time_ms from, pptap_time_ms to,
                        const char *reason)
{
    if (st == NULL || !name_ok(tenant, PPTAP_STORE_TENANT_MAX) || reason == NULL || to < from) {
        return PPTAP_EINVAL;
    }
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO gaps(tenant, from_ms, to_ms, reason, recorded_at)"
                           " VALUES(?1, ?2, ?3, ?4, ?5)",
                           -1, &s, NULL) != SQLITE_OK) {
        return db_err(st, "recording a gap");
    }
    size_t rlen = strlen(reason);
    if (rlen >= PPTAP_STORE_REASON_MAX) {
        rlen = PPTAP_STORE_REASON_MAX - 1;
    }
    bind_text(s, 1, tenant);
    sqlite3_bind_int64(s, 2, from);
    sqlite3_bind_int64(s, 3, to);
    bind_textn(s, 4, reason, rlen);
    sqlite3_bind_int64(s, 5, now_ms(st));
    int rc = step_done(st, s, "recording a gap");
    sqlite3_finalize(s);
    return rc;
}

/* Prepares `sql` with ?1 = tenant (or all tenants when NULL, via ?1 IS NULL). */
static int prepare_tenant(pptap_store *st, sqlite3_stmt **s, const char *sql, const char *tenant,
                          const char *what)
{
    if (sqlite3_prepare_v2(st->db, sql, -1, s, NULL) != SQLITE_OK) {
        return db_err(st, what);
    }
    bind_text(*s, 1, tenant);
    return 0;
}

static const char *col_text(sqlite3_stmt *s, int i)
{
    const char *v = (const char *)sqlite3_column_text(s, i);
    return v ? v : "";
}

int pptap_store_gap_list(pptap_store *st, const char *tenant, pptap_store_gap_cb cb, void *payload)
{
    if (st == NULL || cb == NULL) {
        return PPTAP_EINVAL;
    }
    sqlite3_stmt *s;
    int rc = prepare_tenant(st, &s,
                            "SELECT id, tenant, from_ms, to_ms, reason, recorded_at FROM gaps"
                            " WHERE ?1 IS NULL OR tenant = ?1 ORDER BY from_ms, id",
                            tenant, "listing gaps");
    if (rc != 0) {
        return rc;
    }
    int r;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        pptap_store_gap g = {
            sqlite3_column_int64(s, 0), col_text(s, 1), sqlite3_column_int64(s, 2),
            sqlite3_column_int64(s, 3), col_text(s, 4), sqlite3_column_int64(s, 5)};
        if (cb(&g, payload) != 0) {
            rc = PPTAP_ECANCELED;
            break;
        }
    }
    if (rc == 0 && r != SQLITE_DONE) {
        rc = db_err(st, "listing gaps");
    }
    sqlite3_finalize(s);
    return rc;
}

int pptap_store_quarantine_list(pptap_store *st, const char *tenant, pptap_store_quarantine_cb cb,
                                void *payload)
{
    if (st == NULL || cb == NULL) {
        return PPTAP_EINVAL;
    }
    sqlite3_stmt *s;
    int rc = prepare_tenant(st, &s,
                            "SELECT id, tenant, type, received_at, reason, raw FROM quarantine"
                            " WHERE ?1 IS NULL OR tenant = ?1 ORDER BY received_at, id",
                            tenant, "listing the quarantine");
    if (rc != 0) {
        return rc;
    }
    int r;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        pptap_store_quarantined q = {
            sqlite3_column_int64(s, 0),        col_text(s, 1), col_text(s, 2),
            sqlite3_column_int64(s, 3),        col_text(s, 4), col_text(s, 5),
            (size_t)sqlite3_column_bytes(s, 5)};
        if (cb(&q, payload) != 0) {
            rc = PPTAP_ECANCELED;
            break;
        }
    }
    if (rc == 0 && r != SQLITE_DONE) {
        rc = db_err(st, "listing the quarantine");
    }
    sqlite3_finalize(s);
    return rc;
}

int pptap_store_quarantine_count(pptap_store *st, int64_t *count, const char *tenant)
{
    if (st == NULL || count == NULL) {
        return PPTAP_EINVAL;
    }
    sqlite3_stmt *s;
    int rc =
        prepare_tenant(st, &s, "SELECT count(*) FROM quarantine WHERE ?1 IS NULL OR tenant = ?1",
                       tenant, "counting the quarantine");
    if (rc != 0) {
        return rc;
    }
    if (sqlite3_step(s) == SQLITE_ROW) {
        *count = sqlite3_column_int64(s, 0);
    } else {
        rc = db_err(st, "counting the quarantine");
    }
    sqlite3_finalize(s);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Search                                                                    */

#define MAX_BINDS 32

/* A WHERE clause under construction with its text parameters. */
typedef struct {
    pptap_buf sql;
    const char *text[MAX_BINDS];
    size_t text_len[MAX_BINDS];
    int64_t num[MAX_BINDS];
    int is_num[MAX_BINDS];
    int n;
    int oom;
} where_b;

static void w_sql(where_b *w, const char *s)
{
    if (pptap_buf_put(&w->sql, s, strlen(s)) != 0) {
        w->oom = 1;
    }
}

/* Appends `sql` where each "?" takes the next parameter, all `v`. */
static void w_text(where_b *w, const char *sql, const char *v, size_t vlen)
{
    for (const char *p = sql; *p; p++) {
        if (*p == '?' && w->n < MAX_BINDS) {
            char num[16];
            w->text[w->n] = v;
            w->text_len[w->n] = vlen;
            w->is_num[w->n] = 0;
            w->n++;
            snprintf(num, sizeof num, "?%d", w->n);
            w_sql(w, num);
        } else if (pptap_buf_put(&w->sql, p, 1) != 0) {
            w->oom = 1;
        }
    }
}

static void w_num(where_b *w, const char *sql, int64_t v)
{
    if (w->n >= MAX_BINDS) {
        return;
    }
    w->num[w->n] = v;
    w->is_num[w->n] = 1;
    w->n++;
    char num[16];
    snprintf(num, sizeof num, "?%d", w->n);
    w_sql(w, sql);
    w_sql(w, num);
}

static int bind_where(sqlite3_stmt *s, const where_b *w)
{
    for (int i = 0; i < w->n; i++) {
        int rc = w->is_num[i] ? sqlite3_bind_int64(s, i + 1, w->num[i])
                              : bind_textn(s, i + 1, w->text[i], w->text_len[i]);
        if (rc != SQLITE_OK) {
            return PPTAP_ENOMEM;
        }
    }
    return 0;
}

static int filter_ok(const char *v)
{
    return v == NULL || strlen(v) <= PPTAP_STORE_FIELD_MAX;
}

/* Adds the tenant and time filters on alias e. */
static void where_scope(where_b *w, const char *tenant, pptap_time_ms from, pptap_time_ms to)
{
    if (tenant != NULL) {
        w_text(w, " AND e.tenant = ?", tenant, strlen(tenant));
    }
    if (from != 0) {
        w_num(w, " AND e.event_time >= ", from);
    }
    if (to != 0) {
        w_num(w, " AND e.event_time < ", to);
    }
}

int pptap_store_search(pptap_store *st, const pptap_store_query *q, pptap_store_event_cb cb,
                       void *payload)
{
    if (st == NULL || q == NULL || cb == NULL) {
        return PPTAP_EINVAL;
    }
    const char *fs[] = {q->tenant,     q->recipient,      q->sender,       q->url,
                        q->sha256,     q->threat_id,      q->campaign_id,  q->guid,
                        q->message_id, q->classification, q->threat_status};
    for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++) {
        if (!filter_ok(fs[i])) {
            set_err(st, "a search filter is longer than %d bytes", PPTAP_STORE_FIELD_MAX);
            return PPTAP_EINVAL;
        }
    }
    if (q->limit > PPTAP_STORE_SEARCH_MAX) {
        set_err(st, "limit %zu is over the maximum %d", q->limit, PPTAP_STORE_SEARCH_MAX);
        return PPTAP_EINVAL;
    }
    where_b w;
    memset(&w, 0, sizeof w);
    w_sql(&w, "SELECT e.tenant, e.event_id, e.type, e.content_hash, e.event_time, e.first_seen,"
              " e.last_seen, e.update_count, e.raw, e.creation_time FROM events e WHERE 1");
    if (q->by_creation) {
        where_scope(&w, q->tenant, 0, 0);
        if (q->from != 0) {
            w_num(&w, " AND e.creation_time >= ", q->from);
        }
        if (q->to != 0) {
            w_num(&w, " AND e.creation_time < ", q->to);
        }
    } else {
        where_scope(&w, q->tenant, q->from, q->to);
    }
    if (q->recipient != NULL) {
        w_text(&w, " AND e.id IN (SELECT ev FROM recipients WHERE addr = ?)", q->recipient,
               strlen(q->recipient));
    }
    if (q->sender != NULL) {
        w_text(&w, " AND e.sender = ?", q->sender, strlen(q->sender));
    }
    char *decq = NULL;
    if (q->url != NULL) {
        size_t n = strlen(q->url);
        if (q->url_match == PPTAP_STORE_URL_SUBSTRING) {
            w_text(&w,
                   " AND e.id IN (SELECT ev FROM urls WHERE instr(url, ?) > 0"
                   " OR instr(decoded, ?) > 0)",
                   q->url, n);
        } else {
            const char *d;
            size_t dn;
            if (urldef(st, &d, &dn, q->url, n) != 0) {
                pptap_buf_dispose(&w.sql);
                return PPTAP_ENOMEM;
            }
            w_text(&w,
                   " AND e.id IN (SELECT ev FROM urls WHERE url = ?"
                   " UNION SELECT ev FROM urls WHERE decoded = ?",
                   q->url, n);
            if (d != NULL) {
                decq = pptap__strndup(d, dn);
                if (decq == NULL) {
                    pptap_buf_dispose(&w.sql);
                    return PPTAP_ENOMEM;
                }
                w_text(&w,
                       " UNION SELECT ev FROM urls WHERE url = ?"
                       " UNION SELECT ev FROM urls WHERE decoded = ?",
                       decq, dn);
            }
            w_sql(&w, ")");
        }
    }
    if (q->sha256 != NULL) {
        w_text(&w,
               " AND e.id IN (SELECT ev FROM attachments WHERE sha256 = ?"
               " UNION SELECT ev FROM threats WHERE threat = ?)",
               q->sha256, strlen(q->sha256));
    }
    if (q->threat_id != NULL) {
        w_text(&w, " AND e.id IN (SELECT ev FROM threats WHERE threat_id = ?)", q->threat_id,
               strlen(q->threat_id));
    }
    if (q->campaign_id != NULL) {
        w_text(&w, " AND e.id IN (SELECT ev FROM threats WHERE campaign_id = ?)", q->campaign_id,
               strlen(q->campaign_id));
    }
    if (q->guid != NULL) {
        w_text(&w, " AND e.guid = ?", q->guid, strlen(q->guid));
    }
    if (q->message_id != NULL) {
        const char *m = q->message_id;
        size_t n = strlen(m);
        if (n >= 2 && m[0] == '<' && m[n - 1] == '>') {
            m++;
            n -= 2;
        }
        w_text(&w, " AND e.message_id = ?", m, n);
    }
    if (q->types != 0) {
        w_sql(&w, " AND e.type IN (''");
        for (int t = 0; t < PPTAP_EVENT_COUNT_; t++) {
            if (q->types & (1u << t)) {
                const char *name = pptap_event_type_name((pptap_event_type)t);
                w_text(&w, ", ?", name, strlen(name));
            }
        }
        w_sql(&w, ")");
    }
    if (q->classification != NULL) {
        w_text(&w, " AND e.id IN (SELECT ev FROM threats WHERE classification = ?)",
               q->classification, strlen(q->classification));
    }
    if (q->threat_status != NULL) {
        w_text(&w, " AND e.id IN (SELECT ev FROM threats WHERE status = ?)", q->threat_status,
               strlen(q->threat_status));
    }
    w_sql(&w, q->by_creation ? " ORDER BY e.creation_time DESC, e.id DESC LIMIT "
                             : " ORDER BY e.event_time DESC, e.id DESC LIMIT ");
    w_num(&w, "", (int64_t)(q->limit ? q->limit : PPTAP_STORE_SEARCH_DEFAULT));
    int rc = 0;
    sqlite3_stmt *s = NULL;
    if (w.oom || w.n >= MAX_BINDS) {
        rc = PPTAP_ENOMEM;
        goto out;
    }
    if (sqlite3_prepare_v2(st->db, w.sql.ptr, (int)w.sql.len, &s, NULL) != SQLITE_OK) {
        rc = db_err(st, "searching");
        goto out;
    }
    if ((rc = bind_where(s, &w)) != 0) {
        goto out;
    }
    int r;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        pptap_store_event ev;
        memset(&ev, 0, sizeof ev);
        ev.tenant = col_text(s, 0);
        ev.event_id = col_text(s, 1);
        if (pptap_event_type_parse(&ev.type, col_text(s, 2)) != 0) {
            ev.type = PPTAP_EVENT_MESSAGES_DELIVERED;
        }
        ev.content_hash = col_text(s, 3);
        ev.event_time = sqlite3_column_int64(s, 4);
        ev.first_seen = sqlite3_column_int64(s, 5);
        ev.last_seen = sqlite3_column_int64(s, 6);
        ev.updates = sqlite3_column_int64(s, 7);
        ev.raw = col_text(s, 8);
        ev.raw_len = (size_t)sqlite3_column_bytes(s, 8);
        ev.creation_time =
            sqlite3_column_type(s, 9) == SQLITE_NULL ? ev.event_time : sqlite3_column_int64(s, 9);
        if (cb(&ev, payload) != 0) {
            rc = PPTAP_ECANCELED;
            break;
        }
    }
    if (rc == 0 && r != SQLITE_DONE) {
        rc = db_err(st, "searching");
    }
out:
    sqlite3_finalize(s);
    pptap_buf_dispose(&w.sql);
    pptap__free(decq);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Stats                                                                     */

/* Runs `tail` (the part after FROM … WHERE 1 + scope) and hands each row to
 * `row`, which builds JSON into `acc`. */
typedef int (*row_fn)(sqlite3_stmt *s, json_t *acc);

static int stats_query(pptap_store *st, const char *head, const char *mid, const char *tail,
                       const pptap_store_stats_query *q, int top, row_fn row, json_t *acc)
{
    where_b w;
    memset(&w, 0, sizeof w);
    w_sql(&w, head);
    where_scope(&w, q->tenant, q->from, q->to);
    w_sql(&w, mid);
    if (top > 0) {
        w_num(&w, tail, top);
    } else {
        w_sql(&w, tail);
    }
    int rc = 0;
    sqlite3_stmt *s = NULL;
    if (w.oom) {
        rc = PPTAP_ENOMEM;
        goto out;
    }
    if (sqlite3_prepare_v2(st->db, w.sql.ptr, (int)w.sql.len, &s, NULL) != SQLITE_OK) {
        rc = db_err(st, "computing stats");
        goto out;
    }
    if ((rc = bind_where(s, &w)) != 0) {
        goto out;
    }
    int r;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        if ((rc = row(s, acc)) != 0) {
            goto out;
        }
    }
    if (r != SQLITE_DONE) {
        rc = db_err(st, "computing stats");
    }
out:
    sqlite3_finalize(s);
    pptap_buf_dispose(&w.sql);
    return rc;
}

static json_t *jstr(sqlite3_stmt *s, int i)
{
    if (sqlite3_column_type(s, i) == SQLITE_NULL) {
        return json_null();
    }
    return json_stringn((const char *)sqlite3_column_text(s, i),
                        (size_t)sqlite3_column_bytes(s, i));
}

/* Sets acc[col0] = col1 (a count). */
static int row_keyed(sqlite3_stmt *s, json_t *acc)
{
    const char *k = col_text(s, 0);
    return json_object_set_new(acc, k[0] ? k : "unknown", json_integer(sqlite3_column_int64(s, 1)))
               ? PPTAP_ENOMEM
               : 0;
}

static int row_threat(sqlite3_stmt *s, json_t *acc)
{
    json_t *o =
        json_pack("{s:o, s:o, s:o, s:I}", "threat_id", jstr(s, 0), "classification", jstr(s, 1),
                  "threat", jstr(s, 2), "events", (json_int_t)sqlite3_column_int64(s, 3));
    return o == NULL || json_array_append_new(acc, o) ? PPTAP_ENOMEM : 0;
}

static int row_campaign(sqlite3_stmt *s, json_t *acc)
{
    json_t *o = json_pack("{s:o, s:I}", "campaign_id", jstr(s, 0), "events",
                          (json_int_t)sqlite3_column_int64(s, 1));
    return o == NULL || json_array_append_new(acc, o) ? PPTAP_ENOMEM : 0;
}

static int row_clicker(sqlite3_stmt *s, json_t *acc)
{
    json_t *o = json_pack("{s:o, s:I}", "recipient", jstr(s, 0), "clicks",
                          (json_int_t)sqlite3_column_int64(s, 1));
    return o == NULL || json_array_append_new(acc, o) ? PPTAP_ENOMEM : 0;
}

/* Rows (day, type, n) ordered by day, folded into [{day, events, by_type}]. */
static int row_day(sqlite3_stmt *s, json_t *acc)
{
    const char *day = col_text(s, 0);
    json_int_t n = (json_int_t)sqlite3_column_int64(s, 2);
    json_t *last = json_array_get(acc, json_array_size(acc) - 1);
    if (last == NULL || strcmp(json_string_value(json_object_get(last, "day")), day) != 0) {
        last = json_pack("{s:s, s:I, s:{}}", "day", day, "events", (json_int_t)0, "by_type");
        if (last == NULL || json_array_append_new(acc, last) != 0) {
            return PPTAP_ENOMEM;
        }
    }
    json_int_t total = json_integer_value(json_object_get(last, "events")) + n;
    if (json_object_set_new(last, "events", json_integer(total)) != 0 ||
        json_object_set_new(json_object_get(last, "by_type"), col_text(s, 1), json_integer(n)) !=
            0) {
        return PPTAP_ENOMEM;
    }
    return 0;
}

int pptap_store_stats(pptap_store *st, json_t **out, const pptap_store_stats_query *q)
{
    static const pptap_store_stats_query all;
    if (st == NULL || out == NULL) {
        return PPTAP_EINVAL;
    }
    if (q == NULL) {
        q = &all;
    }
    if (q->top < 0 || q->top > PPTAP_STORE_TOP_MAX || !filter_ok(q->tenant)) {
        set_err(st, "top must be 0..%d", PPTAP_STORE_TOP_MAX);
        return PPTAP_EINVAL;
    }
    int top = q->top ? q->top : 10;
    json_t *o = json_object();
    json_t *by_type = json_object(), *by_class = json_object(), *threats = json_array(),
           *campaigns = json_array(), *clickers = json_array(), *days = json_array();
    int rc = 0;
    if (o == NULL || by_type == NULL || by_class == NULL || threats == NULL || campaigns == NULL ||
        clickers == NULL || days == NULL) {
        rc = PPTAP_ENOMEM;
    }
    if (rc == 0) {
        rc = stats_query(st, "SELECT e.type, count(*) FROM events e WHERE 1",
                         " GROUP BY e.type ORDER BY e.type", "", q, 0, row_keyed, by_type);
    }
    if (rc == 0) {
        rc = stats_query(st,
                         "SELECT lower(t.classification), count(DISTINCT t.ev) FROM threats t"
                         " JOIN events e ON e.id = t.ev WHERE t.classification IS NOT NULL",
                         " GROUP BY 1 ORDER BY 2 DESC, 1", "", q, 0, row_keyed, by_class);
    }
    if (rc == 0) {
        rc = stats_query(st,
                         "SELECT t.threat_id, lower(max(t.classification)), max(t.threat),"
                         " count(DISTINCT t.ev) AS n FROM threats t JOIN events e ON e.id = t.ev"
                         " WHERE t.threat_id IS NOT NULL",
                         " GROUP BY t.threat_id", " ORDER BY n DESC, t.threat_id LIMIT ", q, top,
                         row_threat, threats);
    }
    if (rc == 0) {
        rc = stats_query(st,
                         "SELECT t.campaign_id, count(DISTINCT t.ev) AS n FROM threats t"
                         " JOIN events e ON e.id = t.ev WHERE t.campaign_id IS NOT NULL",
                         " GROUP BY t.campaign_id", " ORDER BY n DESC, t.campaign_id LIMIT ", q,
                         top, row_campaign, campaigns);
    }
    if (rc == 0) {
        rc =
            stats_query(st,
                        "SELECT lower(r.addr), count(DISTINCT r.ev) AS n FROM recipients r"
                        " JOIN events e ON e.id = r.ev WHERE e.type = 'clicksPermitted'",
                        " GROUP BY 1", " ORDER BY n DESC, 1 LIMIT ", q, top, row_clicker, clickers);
    }
    if (rc == 0) {
        rc = stats_query(st,
                         "SELECT strftime('%Y-%m-%d', e.event_time / 1000, 'unixepoch') AS d,"
                         " e.type, count(*) FROM events e WHERE 1",
                         " GROUP BY d, e.type ORDER BY d, e.type", "", q, 0, row_day, days);
    }
    if (rc == 0) {
        json_int_t total = 0;
        const char *k;
        json_t *v;
        json_object_foreach(by_type, k, v)
        {
            total += json_integer_value(v);
        }
        char ts[PPTAP_TIME_STRLEN];
        if (q->from != 0) {
            pptap_time_format(ts, q->from);
            rc |= json_object_set_new(o, "from", json_string(ts));
        }
        if (q->to != 0) {
            pptap_time_format(ts, q->to);
            rc |= json_object_set_new(o, "to", json_string(ts));
        }
        rc |= json_object_set_new(o, "events", json_integer(total));
        rc |= json_object_set(o, "by_type", by_type);
        rc |= json_object_set(o, "by_classification", by_class);
        rc |= json_object_set(o, "top_threats", threats);
        rc |= json_object_set(o, "top_campaigns", campaigns);
        rc |= json_object_set(o, "top_clickers", clickers);
        rc |= json_object_set(o, "per_day", days);
        if (rc != 0) {
            rc = PPTAP_ENOMEM;
        }
    }
    json_decref(by_type);
    json_decref(by_class);
    json_decref(threats);
    json_decref(campaigns);
    json_decref(clickers);
    json_decref(days);
    if (rc != 0) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Cases                                                                     */

static int case_field_ok(const char *s)
{
    return name_ok(s, PPTAP_STORE_CASE_FIELD_MAX);
}

/* Prepares a statement for a case call; a read-only store refuses writes. */
static int case_prepare(pptap_store *st, sqlite3_stmt **s, const char *sql, int writes)
{
    if (writes && (st->flags & PPTAP_STORE_READONLY)) {
        set_err(st, "the store is read-only");
        return PPTAP_EINVAL;
    }
    if (sqlite3_prepare_v2(st->db, sql, -1, s, NULL) != SQLITE_OK) {
        return db_err(st, "preparing a case statement");
    }
    return 0;
}

/* Runs a prepared INSERT … ON CONFLICT DO NOTHING; *added (when given) says
 * whether a row was written. Finalizes the statement. */
static int case_insert(pptap_store *st, sqlite3_stmt *s, const char *what, int *added)
{
    int rc = step_done(st, s, what);
    if (rc == 0 && added != NULL) {
        *added = sqlite3_changes(st->db) > 0;
    }
    sqlite3_finalize(s);
    return rc;
}

/* Hands each row of a prepared SELECT to `row`, which returns the caller's
 * callback result (non-zero stops: PPTAP_ECANCELED). Finalizes the statement. */
static int case_rows(pptap_store *st, sqlite3_stmt *s, const char *what,
                     int (*row)(sqlite3_stmt *s, void *ctx), void *ctx)
{
    int r;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        if (row(s, ctx) != 0) {
            sqlite3_finalize(s);
            return PPTAP_ECANCELED;
        }
    }
    int rc = r == SQLITE_DONE ? 0 : db_err(st, what);
    sqlite3_finalize(s);
    return rc;
}

/* The caller's callback of a case listing, called with each row. */
struct case_cb {
    const char *case_id;
    pptap_store_case_entity_cb entity; /* the one set is called */
    pptap_store_case_insight_cb insight;
    pptap_store_case_cb summary;
    void *payload;
};

static int entity_row(sqlite3_stmt *s, void *ctx)
{
    struct case_cb *c = ctx;
    pptap_store_case_entity e = {
        .case_id = c->case_id,
        .entity_type = (const char *)sqlite3_column_text(s, 0),
        .identifier = (const char *)sqlite3_column_text(s, 1),
        .properties = (const char *)sqlite3_column_text(s, 2),
        .created_by = (const char *)sqlite3_column_text(s, 3),
        .created_at = sqlite3_column_int64(s, 4),
    };
    return c->entity(&e, c->payload);
}

static int insight_row(sqlite3_stmt *s, void *ctx)
{
    struct case_cb *c = ctx;
    const char *entity = (const char *)sqlite3_column_text(s, 5);
    pptap_store_case_insight in = {
        .case_id = c->case_id,
        .action = (const char *)sqlite3_column_text(s, 0),
        .title = (const char *)sqlite3_column_text(s, 1),
        .severity = (const char *)sqlite3_column_text(s, 2),
        .type = (const char *)sqlite3_column_text(s, 3),
        .body = (const char *)sqlite3_column_text(s, 4),
        .entity = entity != NULL && entity[0] != '\0' ? entity : NULL,
        .created_at = sqlite3_column_int64(s, 6),
    };
    return c->insight(&in, c->payload);
}

static int summary_row(sqlite3_stmt *s, void *ctx)
{
    struct case_cb *c = ctx;
    pptap_store_case_summary sum = {
        .case_id = (const char *)sqlite3_column_text(s, 0),
        .entities = sqlite3_column_int64(s, 1),
        .insights = sqlite3_column_int64(s, 2),
        .first = sqlite3_column_int64(s, 3),
        .last = sqlite3_column_int64(s, 4),
    };
    return c->summary(&sum, c->payload);
}

int pptap_store_case_entity_add(pptap_store *st, const pptap_store_case_entity *e, int *added)
{
    if (st == NULL || e == NULL || !case_field_ok(e->case_id) || !case_field_ok(e->entity_type) ||
        !case_field_ok(e->identifier) || !case_field_ok(e->created_by)) {
        if (st != NULL) {
            set_err(st, "a case entity needs a case id, a type, an identifier and its creator");
        }
        return PPTAP_EINVAL;
    }
    const char *props = e->properties != NULL ? e->properties : "{}";
    if (strlen(props) > PPTAP_STORE_CASE_BODY_MAX) {
        set_err(st, "entity properties over %u bytes", PPTAP_STORE_CASE_BODY_MAX);
        return PPTAP_EINVAL;
    }
    json_t *j = json_loads(props, JSON_REJECT_DUPLICATES, NULL);
    int is_obj = json_is_object(j);
    json_decref(j);
    if (!is_obj) {
        set_err(st, "entity properties must be a JSON object");
        return PPTAP_EINVAL;
    }
    sqlite3_stmt *s = NULL;
    int rc = case_prepare(st, &s,
                          "INSERT INTO case_entities(case_id, entity_type, identifier, properties,"
                          " created_by, created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"
                          " ON CONFLICT(case_id, entity_type, identifier) DO NOTHING",
                          1);
    if (rc != 0) {
        return rc;
    }
    bind_text(s, 1, e->case_id);
    bind_text(s, 2, e->entity_type);
    bind_text(s, 3, e->identifier);
    bind_text(s, 4, props);
    bind_text(s, 5, e->created_by);
    sqlite3_bind_int64(s, 6, now_ms(st));
    return case_insert(st, s, "adding a case entity", added);
}

int pptap_store_case_entity_list(pptap_store *st, const char *case_id,
                                 pptap_store_case_entity_cb cb, void *payload)
{
    if (st == NULL || cb == NULL || !case_field_ok(case_id)) {
        return PPTAP_EINVAL;
    }
    sqlite3_stmt *s = NULL;
    int rc = case_prepare(st, &s,
                          "SELECT entity_type, identifier, properties, created_by, created_at"
                          " FROM case_entities WHERE case_id = ?1 ORDER BY id",
                          0);
    if (rc != 0) {
        return rc;
    }
    bind_text(s, 1, case_id);
    struct case_cb c = {case_id, cb, NULL, NULL, payload};
    return case_rows(st, s, "listing case entities", entity_row, &c);
}

int pptap_store_case_insight_add(pptap_store *st, const pptap_store_case_insight *in, int *added)
{
    if (st == NULL || in == NULL || !case_field_ok(in->case_id) || !case_field_ok(in->action) ||
        !case_field_ok(in->title) || !case_field_ok(in->severity) || !case_field_ok(in->type) ||
        in->body == NULL || strlen(in->body) > PPTAP_STORE_CASE_BODY_MAX ||
        (in->entity != NULL && strlen(in->entity) > PPTAP_STORE_CASE_FIELD_MAX)) {
        if (st != NULL) {
            set_err(st, "an insight needs a case id, an action, a title, a severity, a type and "
                        "a body within the size caps");
        }
        return PPTAP_EINVAL;
    }
    char hash[PPTAP_HASH_HEX_LEN];
    pptap__bytes part = {in->body, strlen(in->body)};
    if (pptap__sha256_hex(hash, &part, 1) != 0) {
        return PPTAP_ENOMEM;
    }
    sqlite3_stmt *s = NULL;
    int rc = case_prepare(st, &s,
                          "INSERT INTO case_insights(case_id, action, title, severity, type, body,"
                          " body_hash, entity, created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
                          " ?9) ON CONFLICT(case_id, action, title, entity, body_hash) DO NOTHING",
                          1);
    if (rc != 0) {
        return rc;
    }
    bind_text(s, 1, in->case_id);
    bind_text(s, 2, in->action);
    bind_text(s, 3, in->title);
    bind_text(s, 4, in->severity);
    bind_text(s, 5, in->type);
    bind_text(s, 6, in->body);
    bind_text(s, 7, hash);
    bind_text(s, 8, in->entity != NULL ? in->entity : "");
    sqlite3_bind_int64(s, 9, now_ms(st));
    return case_insert(st, s, "adding a case insight", added);
}

int pptap_store_case_insight_list(pptap_store *st, const char *case_id,
                                  pptap_store_case_insight_cb cb, void *payload)
{
    if (st == NULL || cb == NULL || !case_field_ok(case_id)) {
        return PPTAP_EINVAL;
    }
    sqlite3_stmt *s = NULL;
    int rc = case_prepare(st, &s,
                          "SELECT action, title, severity, type, body, entity, created_at"
                          " FROM case_insights WHERE case_id = ?1 ORDER BY id",
                          0);
    if (rc != 0) {
        return rc;
    }
    bind_text(s, 1, case_id);
    struct case_cb c = {case_id, NULL, cb, NULL, payload};
    return case_rows(st, s, "listing case insights", insight_row, &c);
}

int pptap_store_case_list(pptap_store *st, pptap_store_case_cb cb, void *payload)
{
    if (st == NULL || cb == NULL) {
        return PPTAP_EINVAL;
    }
    sqlite3_stmt *s = NULL;
    int rc =
        case_prepare(st, &s,
                     "SELECT case_id, sum(ent), sum(ins), min(created_at), max(created_at) FROM ("
                     " SELECT case_id, 1 AS ent, 0 AS ins, created_at FROM case_entities"
                     " UNION ALL SELECT case_id, 0, 1, created_at FROM case_insights)"
                     " GROUP BY case_id ORDER BY max(created_at) DESC, case_id",
                     0);
    if (rc != 0) {
        return rc;
    }
    struct case_cb c = {NULL, NULL, NULL, cb, payload};
    return case_rows(st, s, "listing cases", summary_row, &c);
}
