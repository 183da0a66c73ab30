/*
 * pptap-test-receiver: an HTTP receiver for the collector's http output
 * tests. It speaks three protocols on one loopback port (0: any; the URL
 * is written to --port-file):
 *
 *   POST /services/collector/event   Splunk HEC events (Authorization: Splunk T,
 *                                    channel, codes 2-14 as HEC answers them)
 *   POST /services/collector/ack     HEC indexer acknowledgement polls
 *   POST /_bulk, /INDEX/_bulk        Elasticsearch bulk (Authorization: ApiKey T),
 *                                    per-item results, create/409, data streams
 *   POST any other path              NDJSON (Authorization: Bearer T)
 *   GET  /admin/stats                counters (requests, gzip, faults, documents…)
 *   POST /admin/faults?NAME=VALUE…   changes the fault settings below
 *
 * Bodies with Content-Encoding: gzip are decompressed. Every accepted
 * document is appended to --records as one JSON line {"flavour", "id",
 * "index"?, "doc" | "envelope"}, with its id: the ES _id, HEC
 * fields.event_id, or the NDJSON document's pptap.event_id (event.id).
 *
 * Faults (fractions drawn from a PRNG seeded by --seed, so runs repeat):
 * 503 answers, connection resets before or after the documents were
 * taken ("lost" answers), 429 with Retry-After, slow answers; for ES a
 * fraction of items answered 429 es_rejected_execution_exception and
 * listed ids refused with 400 mapper_parsing_exception; for HEC listed
 * ids refused with code 6 (invalid data format, invalid-event-number) and
 * a fraction of acknowledged requests lost (their ack never comes).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>
#include <zlib.h>

#define BODY_MAX (64u << 20)
#define MAX_IDS 4096
#define MAX_CHANNELS 64
#define MAX_ACKS 100000

typedef struct {
    double p_503, p_reset, p_lost, p_429, p_slow, p_item_429, p_ack_lose;
    int64_t first_503; /* the first N data requests are answered 503 */
    int64_t slow_ms, retry_after, ack_delay_ms;
} faults;

typedef struct {
    char *uri;
    char *body;
    size_t len, cap;
    int too_big;
    int started;
    int counted; /* in S.in_flight */
} conn;

typedef struct {
    int64_t id;
    int64_t ready_at;
    int lost;
    int done;
} pending_ack;

typedef struct {
    char name[128];
    int64_t next_id;
    pending_ack *acks;
    size_t n, cap;
} channel;

/* An open-addressing set of strings (the ES index: _index + "\x1f" + _id). */
typedef struct {
    char **slots;
    size_t cap, n;
} strset;

static struct {
    pthread_mutex_t lock;
    faults f;
    uint64_t rng;
    char *token;
    int hec_ack;
    FILE *records;
    strset index;
    char *es_reject[MAX_IDS];
    size_t n_es_reject;
    char *hec_bad[MAX_IDS];
    size_t n_hec_bad;
    channel channels[MAX_CHANNELS];
    size_t n_channels;
    /* counters */
    int64_t requests, data_requests, gzip, plain, auth_failures, docs;
    int64_t f503, freset, flost, f429, fslow, fitem429, frejected, fhec_bad, fack_lost;
    int64_t es_created, es_conflicts, es_items, hec_events, json_docs;
    int64_t acks_issued, acks_true, ack_polls;
    int64_t in_flight, max_in_flight; /* requests open at once (admin ones excluded) */
    char user_agent[128];
} S = {.lock = PTHREAD_MUTEX_INITIALIZER};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* splitmix64; called with the lock held. */
static double draw(void)
{
    uint64_t z = (S.rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    }
    return h;
}

/* Adds s; returns 1 when it was new, 0 when present, -1 on no memory. */
static int strset_add(strset *t, const char *s)
{
    if (t->n * 2 >= t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        char **slots = calloc(cap, sizeof(*slots));
        if (slots == NULL) {
            return -1;
        }
        for (size_t i = 0; i < t->cap; i++) {
            if (t->slots[i] != NULL) {
                size_t k = hash(t->slots[i]) & (cap - 1);
                while (slots[k] != NULL) {
                    k = (k + 1) & (cap - 1);
                }
                slots[k] = t->slots[i];
            }
        }
        free(t->slots);
        t->slots = slots;
        t->cap = cap;
    }
    size_t k = hash(s) & (t->cap - 1);
    while (t->slots[k] != NULL) {
        if (strcmp(t->slots[k], s) == 0) {
            return 0;
        }
        k = (k + 1) & (t->cap - 1);
    }
    t->slots[k] = strdup(s);
    if (t->slots[k] == NULL) {
        return -1;
    }
    t->n++;
    return 1;
}

static int strset_has(const strset *t, const char *s)
{
    if (t->cap == 0) {
        return 0;
    }
    size_t k = hash(s) & (t->cap - 1);
    while (t->slots[k] != NULL) {
        if (strcmp(t->slots[k], s) == 0) {
            return 1;
        }
        k = (k + 1) & (t->cap - 1);
    }
    return 0;
}

static int in_list(char *const *list, size_t n, const char *id)
{
    for (size_t i = 0; id != NULL && i < n; i++) {
        if (strcmp(list[i], id) == 0) {
            return 1;
        }
    }
    return 0;
}

static size_t load_ids(const char *path, char **out)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "pptap-test-receiver: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    char line[512];
    size_t n = 0;
    while (n < MAX_IDS && fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] != '\0') {
            out[n++] = strdup(line);
        }
    }
    fclose(f);
    return n;
}

/* ------------------------------------------------------------------------- */
/* Answers */

typedef struct {
    int status;
    char *body; /* malloc'd */
    const char *content_type;
    char retry_after[16];
    int reset;     /* close the connection with a RST instead of answering */
    int64_t delay; /* ms to wait before answering */
} answer;

static void set_json(answer *a, int status, json_t *j)
{
    a->status = status;
    a->body = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    a->content_type = "application/json; charset=UTF-8";
    json_decref(j);
}

static void hec_answer(answer *a, int status, const char *text, int code, int64_t invalid)
{
    json_t *j = json_pack("{s:s, s:i}", "text", text, "code", code);
    if (invalid >= 0) {
        json_object_set_new(j, "invalid-event-number", json_integer(invalid));
    }
    set_json(a, status, j);
}

static void es_error(answer *a, int status, const char *type, const char *reason)
{
    json_t *cause = json_pack("{s:s, s:s}", "type", type, "reason", reason);
    set_json(a, status,
             json_pack("{s:{s:[o], s:s, s:s}, s:i}", "error", "root_cause", cause, "type", type,
                       "reason", reason, "status", status));
}

static void record(json_t *line)
{
    char *s = json_dumps(line, JSON_COMPACT);
    if (s != NULL) {
        fprintf(S.records, "%s\n", s);
        free(s);
    }
    json_decref(line);
    S.docs++;
}

/* The token after "SCHEME " in Authorization; 0 ok, 1 missing, 2 wrong
 * scheme, 3 wrong token. */
static int check_auth(struct MHD_Connection *c, const char *scheme)
{
    if (S.token == NULL) {
        return 0;
    }
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (v == NULL) {
        return 1;
    }
    size_t sl = strlen(scheme);
    if (strncasecmp(v, scheme, sl) != 0 || v[sl] != ' ') {
        return 2;
    }
    return strcmp(v + sl + 1, S.token) == 0 ? 0 : 3;
}

/* ---- NDJSON ---- */

static const char *doc_id(json_t *doc)
{
    const char *id = json_string_value(json_object_get(json_object_get(doc, "pptap"), "event_id"));
    if (id == NULL) {
        id = json_string_value(json_object_get(json_object_get(doc, "event"), "id"));
    }
    if (id == NULL) {
        id = json_string_value(json_object_get(doc, "id"));
    }
    return id;
}

static void handle_json(struct MHD_Connection *c, const char *body, size_t len, answer *a)
{
    int au = check_auth(c, "Bearer");
    if (au != 0) {
        S.auth_failures++;
        set_json(a, 401, json_pack("{s:s}", "error", au == 1 ? "missing token" : "invalid token"));
        return;
    }
    /* Validate every line before taking any: one request, one outcome. */
    json_t *docs = json_array();
    size_t line = 0;
    const char *p = body, *end = body + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        line++;
        if (e > p) {
            json_error_t je;
            json_t *d = json_loadb(p, (size_t)(e - p), 0, &je);
            if (!json_is_object(d)) {
                json_decref(d);
                json_decref(docs);
                char msg[96];
                snprintf(msg, sizeof(msg), "line %zu is not a JSON object", line);
                set_json(a, 400, json_pack("{s:s}", "error", msg));
                return;
            }
            json_array_append_new(docs, d);
        }
        p = nl ? nl + 1 : end;
    }
    size_t i;
    json_t *d;
    json_array_foreach(docs, i, d)
    {
        const char *id = doc_id(d);
        record(json_pack("{s:s, s:s?, s:O}", "flavour", "json", "id", id, "doc", d));
        S.json_docs++;
    }
    set_json(a, 200, json_pack("{s:I}", "accepted", (json_int_t)json_array_size(docs)));
    json_decref(docs);
}

/* ---- Elasticsearch ---- */

static int is_data_stream(const char *index)
{
    /* the logs-*-* template of a default Elasticsearch makes data streams */
    if (strncmp(index, "logs-", 5) != 0) {
        return 0;
    }
    const char *dash = strchr(index + 5, '-');
    return dash != NULL && dash[1] != '\0';
}

static json_t *es_item_error(const char *op, const char *index, const char *id, int status,
                             const char *type, const char *reason, json_t *cause)
{
    json_t *err = json_pack("{s:s, s:s}", "type", type, "reason", reason);
    if (cause != NULL) {
        json_object_set_new(err, "caused_by", cause);
    }
    json_object_set_new(err, "index", json_string(index));
    return json_pack("{s:{s:s, s:s?, s:i, s:o}}", op, "_index", index, "_id", id, "status", status,
                     "error", err);
}

static void handle_bulk(struct MHD_Connection *c, const char *path, const char *body, size_t len,
                        answer *a)
{
    int au = check_auth(c, "ApiKey");
    if (au != 0) {
        S.auth_failures++;
        es_error(a, 401, "security_exception",
                 au == 1 ? "missing authentication credentials for REST request [/_bulk]"
                         : "unable to authenticate with provided credentials and anonymous "
                           "access is not allowed for this request");
        return;
    }
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    if (ct == NULL || (strncmp(ct, "application/x-ndjson", 20) != 0 &&
                       strncmp(ct, "application/json", 16) != 0)) {
        char msg[160];
        snprintf(msg, sizeof(msg), "Content-Type header [%.60s] is not supported", ct ? ct : "");
        set_json(a, 406, json_pack("{s:s, s:i}", "error", msg, "status", 406));
        return;
    }
    char path_index[256] = "";
    if (strcmp(path, "/_bulk") != 0) {
        snprintf(path_index, sizeof(path_index), "%.*s", (int)(strlen(path) - 7), path + 1);
    }
    int64_t t0 = now_ms();
    json_t *items = json_array();
    int errors = 0;
    const char *p = body, *end = body + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        if (e == p) {
            p = nl ? nl + 1 : end;
            continue;
        }
        json_error_t je;
        json_t *action = json_loadb(p, (size_t)(e - p), 0, &je);
        p = nl ? nl + 1 : end;
        void *it = json_is_object(action) ? json_object_iter(action) : NULL;
        if (it == NULL) {
            json_decref(action);
            json_decref(items);
            es_error(a, 400, "illegal_argument_exception", "Malformed action/metadata line");
            return;
        }
        const char *op = json_object_iter_key(it);
        json_t *meta = json_object_iter_value(it);
        if (strcmp(op, "create") != 0 && strcmp(op, "index") != 0) {
            json_decref(action);
            json_decref(items);
            es_error(a, 400, "illegal_argument_exception",
                     "this receiver takes create and index actions only");
            return;
        }
        /* the document line */
        const char *dnl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
        const char *de = dnl ? dnl : end;
        if (p >= end) {
            json_decref(action);
            json_decref(items);
            es_error(a, 400, "illegal_argument_exception",
                     "The bulk request must be terminated by a newline [\\n]");
            return;
        }
        json_t *doc = json_loadb(p, (size_t)(de - p), 0, &je);
        p = dnl ? dnl + 1 : end;
        const char *index = json_string_value(json_object_get(meta, "_index"));
        if (index == NULL) {
            index = path_index[0] ? path_index : NULL;
        }
        const char *id = json_string_value(json_object_get(meta, "_id"));
        S.es_items++;
        json_t *res;
        char key[1024];
        char backing[300];
        if (index != NULL && is_data_stream(index)) {
            snprintf(backing, sizeof(backing), ".ds-%s-2026.06.01-000001", index);
        } else {
            snprintf(backing, sizeof(backing), "%s", index ? index : "");
        }
        snprintf(key, sizeof(key), "%s\x1f%s", index ? index : "", id ? id : "");
        if (index == NULL) {
            res = es_item_error(op, "", id, 400, "action_request_validation_exception",
                                "Validation Failed: 1: index is missing;", NULL);
        } else if (is_data_stream(index) && strcmp(op, "create") != 0) {
            res = es_item_error(op, backing, id, 400, "illegal_argument_exception",
                                "only write ops with an op_type of create are allowed in data "
                                "streams",
                                NULL);
        } else if (S.f.p_item_429 > 0 && draw() < S.f.p_item_429) {
            S.fitem429++;
            res = es_item_error(op, backing, id, 429, "es_rejected_execution_exception",
                                "rejected execution of coordinating operation [coordinating_and_"
                                "primary_bytes=0, replica_bytes=0, all_bytes=0, "
                                "coordinating_operation_bytes=1048576, "
                                "max_coordinating_and_primary_bytes=1024]",
                                NULL);
        } else if (!json_is_object(doc)) {
            res = es_item_error(op, backing, id, 400, "document_parsing_exception",
                                "[1:1] failed to parse: the document is not a JSON object", NULL);
        } else if (in_list(S.es_reject, S.n_es_reject, id)) {
            S.frejected++;
            char reason[600];
            snprintf(reason, sizeof(reason),
                     "failed to parse field [source.ip] of type [ip] in document with id '%s'. "
                     "Preview of field's value: 'not-an-ip'",
                     id);
            res = es_item_error(op, backing, id, 400, "mapper_parsing_exception", reason,
                                json_pack("{s:s, s:s}", "type", "illegal_argument_exception",
                                          "reason", "'not-an-ip' is not an IP string literal."));
        } else if (is_data_stream(index) && json_object_get(doc, "@timestamp") == NULL) {
            res = es_item_error(op, backing, id, 400, "document_parsing_exception",
                                "[1:1] failed to parse: data stream timestamp field "
                                "[@timestamp] is missing",
                                NULL);
        } else {
            int fresh = strset_has(&S.index, key) ? 0 : 1;
            if (!fresh && strcmp(op, "create") == 0) {
                S.es_conflicts++;
                char reason[400];
                snprintf(reason, sizeof(reason),
                         "[%s]: version conflict, document already exists (current version [1])",
                         id ? id : "");
                res = es_item_error(op, backing, id, 409, "version_conflict_engine_exception",
                                    reason, NULL);
            } else {
                strset_add(&S.index, key);
                S.es_created += fresh;
                res = json_pack("{s:{s:s, s:s?, s:i, s:s, s:{s:i, s:i, s:i}, s:i, s:i, s:i}}", op,
                                "_index", backing, "_id", id, "_version", 1, "result",
                                fresh ? "created" : "updated", "_shards", "total", 2, "successful",
                                1, "failed", 0, "_seq_no", (int)S.es_items, "_primary_term", 1,
                                "status", fresh ? 201 : 200);
                record(json_pack("{s:s, s:s?, s:s, s:s, s:O}", "flavour", "elasticsearch", "id", id,
                                 "index", index, "op", op, "doc", doc));
            }
        }
        json_t *st = json_object_get(json_object_iter_value(json_object_iter(res)), "status");
        int status = (int)json_integer_value(st);
        errors |= status >= 300;
        json_array_append_new(items, res);
        json_decref(action);
        json_decref(doc);
    }
    set_json(a, 200,
             json_pack("{s:I, s:b, s:o}", "took", (json_int_t)(now_ms() - t0), "errors", errors,
                       "items", items));
}

/* ---- Splunk HEC ---- */

static channel *find_channel(const char *name, int create)
{
    for (size_t i = 0; i < S.n_channels; i++) {
        if (strcmp(S.channels[i].name, name) == 0) {
            return &S.channels[i];
        }
    }
    if (!create || S.n_channels == MAX_CHANNELS) {
        return NULL;
    }
    channel *ch = &S.channels[S.n_channels++];
    snprintf(ch->name, sizeof(ch->name), "%s", name);
    return ch;
}

static const char *hec_channel(struct MHD_Connection *c)
{
    const char *ch = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Splunk-Request-Channel");
    if (ch == NULL) {
        ch = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "channel");
    }
    return ch;
}

/* 0 when the request may go on; otherwise the answer is set. */
static int hec_auth(struct MHD_Connection *c, answer *a)
{
    int au = check_auth(c, "Splunk");
    if (au == 0) {
        return 0;
    }
    S.auth_failures++;
    if (au == 1) {
        hec_answer(a, 401, "Token is required", 2, -1);
    } else if (au == 2) {
        hec_answer(a, 401, "Invalid authorization", 3, -1);
    } else {
        hec_answer(a, 403, "Invalid token", 4, -1);
    }
    return -1;
}

static void handle_hec_event(struct MHD_Connection *c, const char *body, size_t len, answer *a)
{
    if (hec_auth(c, a) != 0) {
        return;
    }
    const char *chname = hec_channel(c);
    if (S.hec_ack && (chname == NULL || chname[0] == '\0')) {
        hec_answer(a, 400, "Data channel is missing", 10, -1);
        return;
    }
    size_t off = 0;
    int64_t k = 0;
    json_t *events = json_array();
    while (off < len) {
        while (off < len &&
               (body[off] == ' ' || body[off] == '\n' || body[off] == '\r' || body[off] == '\t')) {
            off++;
        }
        if (off >= len) {
            break;
        }
        json_error_t je;
        json_t *ev = json_loadb(body + off, len - off, JSON_DISABLE_EOF_CHECK, &je);
        const char *id =
            json_string_value(json_object_get(json_object_get(ev, "fields"), "event_id"));
        json_t *event = json_object_get(ev, "event");
        int code = 0;
        const char *text = NULL;
        if (!json_is_object(ev)) {
            code = 6;
            text = "Invalid data format";
        } else if (event == NULL) {
            code = 12;
            text = "Event field is required";
        } else if (json_is_string(event) && json_string_length(event) == 0) {
            code = 13;
            text = "Event field cannot be blank";
        } else if (in_list(S.hec_bad, S.n_hec_bad, id)) {
            S.fhec_bad++;
            code = 6;
            text = "Invalid data format";
        }
        if (code != 0) {
            /* HEC indexes a batch as it reads it: the events before the bad
             * one are in, the rest is not. */
            json_decref(ev);
            size_t i;
            json_t *e;
            json_array_foreach(events, i, e)
            {
                const char *eid =
                    json_string_value(json_object_get(json_object_get(e, "fields"), "event_id"));
                record(json_pack("{s:s, s:s?, s:O}", "flavour", "splunk-hec", "id", eid, "envelope",
                                 e));
                S.hec_events++;
            }
            json_decref(events);
            hec_answer(a, 400, text, code, k);
            return;
        }
        off += je.position;
        json_array_append_new(events, ev);
        k++;
    }
    if (k == 0) {
        json_decref(events);
        hec_answer(a, 400, "No data", 5, -1);
        return;
    }
    int lost = 0;
    json_t *reply = json_pack("{s:s, s:i}", "text", "Success", "code", 0);
    if (S.hec_ack) {
        channel *ch = find_channel(chname, 1);
        if (ch == NULL || ch->n >= MAX_ACKS) {
            json_decref(reply);
            json_decref(events);
            hec_answer(a, 503, "Server is busy", 9, -1);
            return;
        }
        if (ch->n == ch->cap) {
            size_t cap = ch->cap ? ch->cap * 2 : 64;
            pending_ack *na = realloc(ch->acks, cap * sizeof(*na));
            if (na == NULL) {
                json_decref(reply);
                json_decref(events);
                hec_answer(a, 500, "Internal server error", 8, -1);
                return;
            }
            ch->acks = na;
            ch->cap = cap;
        }
        lost = S.f.p_ack_lose > 0 && draw() < S.f.p_ack_lose;
        S.fack_lost += lost;
        pending_ack *pa = &ch->acks[ch->n++];
        pa->id = ch->next_id++;
        pa->ready_at = now_ms() + S.f.ack_delay_ms;
        pa->lost = lost;
        pa->done = 0;
        S.acks_issued++;
        json_object_set_new(reply, "ackId", json_integer(pa->id));
    }
    if (!lost) {
        size_t i;
        json_t *e;
        json_array_foreach(events, i, e)
        {
            const char *eid =
                json_string_value(json_object_get(json_object_get(e, "fields"), "event_id"));
            record(
                json_pack("{s:s, s:s?, s:O}", "flavour", "splunk-hec", "id", eid, "envelope", e));
            S.hec_events++;
        }
    }
    json_decref(events);
    set_json(a, 200, reply);
}

static void handle_hec_ack(struct MHD_Connection *c, const char *body, size_t len, answer *a)
{
    if (hec_auth(c, a) != 0) {
        return;
    }
    if (!S.hec_ack) {
        hec_answer(a, 400, "ACK is disabled", 14, -1);
        return;
    }
    const char *chname = hec_channel(c);
    if (chname == NULL || chname[0] == '\0') {
        hec_answer(a, 400, "Data channel is missing", 10, -1);
        return;
    }
    json_error_t je;
    json_t *req = json_loadb(body, len, 0, &je);
    json_t *ids = json_object_get(req, "acks");
    if (!json_is_array(ids)) {
        json_decref(req);
        hec_answer(a, 400, "Invalid data format", 6, -1);
        return;
    }
    S.ack_polls++;
    channel *ch = find_channel(chname, 0);
    json_t *out = json_object();
    int64_t now = now_ms();
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        int64_t id = json_integer_value(v);
        int ok = 0;
        for (size_t k = 0; ch != NULL && k < ch->n; k++) {
            pending_ack *pa = &ch->acks[k];
            if (pa->id == id && !pa->done && !pa->lost && pa->ready_at <= now) {
                ok = 1;
                pa->done = 1; /* an ackId answers true once */
                S.acks_true++;
            }
        }
        char key[32];
        snprintf(key, sizeof(key), "%lld", (long long)id);
        json_object_set_new(out, key, json_boolean(ok));
    }
    json_decref(req);
    set_json(a, 200, json_pack("{s:o}", "acks", out));
}

/* ---- admin ---- */

static void handle_stats(answer *a)
{
    json_t *j =
        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:s}", "requests", (json_int_t)S.requests,
                  "data_requests", (json_int_t)S.data_requests, "gzip", (json_int_t)S.gzip, "plain",
                  (json_int_t)S.plain, "auth_failures", (json_int_t)S.auth_failures, "docs",
                  (json_int_t)S.docs, "user_agent", S.user_agent);
    json_object_set_new(j, "max_in_flight", json_integer(S.max_in_flight));
    json_object_set_new(j, "faults",
                        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "503",
                                  (json_int_t)S.f503, "reset", (json_int_t)S.freset, "lost",
                                  (json_int_t)S.flost, "429", (json_int_t)S.f429, "slow",
                                  (json_int_t)S.fslow, "item_429", (json_int_t)S.fitem429,
                                  "rejected", (json_int_t)S.frejected, "hec_bad",
                                  (json_int_t)S.fhec_bad, "ack_lost", (json_int_t)S.fack_lost));
    json_object_set_new(j, "elasticsearch",
                        json_pack("{s:I, s:I, s:I, s:I}", "items", (json_int_t)S.es_items,
                                  "created", (json_int_t)S.es_created, "conflicts",
                                  (json_int_t)S.es_conflicts, "indexed", (json_int_t)S.index.n));
    json_object_set_new(j, "hec",
                        json_pack("{s:I, s:I, s:I, s:I}", "events", (json_int_t)S.hec_events,
                                  "acks_issued", (json_int_t)S.acks_issued, "acks_true",
                                  (json_int_t)S.acks_true, "ack_polls", (json_int_t)S.ack_polls));
    json_object_set_new(j, "json", json_pack("{s:I}", "docs", (json_int_t)S.json_docs));
    set_json(a, 200, j);
}

static int set_fault(const char *name, const char *value)
{
    char *end;
    double d = strtod(value, &end);
    if (end == value || *end != '\0' || d < 0) {
        return -1;
    }
    static const struct {
        const char *name;
        size_t off;
        int is_int;
    } map[] = {
        {"503", offsetof(faults, p_503), 0},
        {"reset", offsetof(faults, p_reset), 0},
        {"lost", offsetof(faults, p_lost), 0},
        {"429", offsetof(faults, p_429), 0},
        {"slow", offsetof(faults, p_slow), 0},
        {"item-429", offsetof(faults, p_item_429), 0},
        {"ack-lose", offsetof(faults, p_ack_lose), 0},
        {"first-503", offsetof(faults, first_503), 1},
        {"slow-ms", offsetof(faults, slow_ms), 1},
        {"retry-after", offsetof(faults, retry_after), 1},
        {"ack-delay-ms", offsetof(faults, ack_delay_ms), 1},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(map[i].name, name) == 0) {
            char *p = (char *)&S.f + map[i].off;
            if (map[i].is_int) {
                *(int64_t *)(void *)p = (int64_t)d;
            } else {
                if (d > 1) {
                    return -1;
                }
                *(double *)(void *)p = d;
            }
            return 0;
        }
    }
    return -1;
}

static enum MHD_Result fault_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    (void)kind;
    int *bad = cls;
    if (value == NULL || set_fault(key, value) != 0) {
        *bad = 1;
    }
    return MHD_YES;
}

/* ------------------------------------------------------------------------- */
/* Plumbing */

static int gunzip(const char *in, size_t len, char **out, size_t *outlen)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 15 + 32) != Z_OK) {
        return -1;
    }
    size_t cap = len * 4 + 1024, n = 0;
    char *buf = malloc(cap);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    int rc = Z_OK;
    while (buf != NULL && rc != Z_STREAM_END) {
        if (n == cap) {
            if (cap >= BODY_MAX) {
                break;
            }
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (nb == NULL) {
                break;
            }
            buf = nb;
        }
        zs.next_out = (Bytef *)buf + n;
        zs.avail_out = (uInt)(cap - n);
        rc = inflate(&zs, Z_NO_FLUSH);
        n = cap - zs.avail_out;
        if (rc != Z_OK && rc != Z_STREAM_END) {
            break;
        }
        if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
            break; /* truncated */
        }
    }
    inflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(buf);
        return -1;
    }
    *out = buf;
    *outlen = n;
    return 0;
}

static void sleep_ms(int64_t ms)
{
    while (ms > 0 && !stopping) {
        int64_t step = ms > 50 ? 50 : ms;
        struct timespec ts = {(time_t)(step / 1000), (long)(step % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

static void reset_connection(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci != NULL) {
        struct linger lg = {1, 0};
        setsockopt(ci->connect_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    }
}

static enum MHD_Result send_answer(struct MHD_Connection *c, answer *a)
{
    const char *body = a->body ? a->body : "";
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body,
                                                             MHD_RESPMEM_MUST_COPY);
    free(a->body);
    if (r == NULL) {
        return MHD_NO;
    }
    if (a->content_type != NULL) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, a->content_type);
    }
    if (a->retry_after[0] != '\0') {
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, a->retry_after);
    }
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)a->status, r);
    MHD_destroy_response(r);
    return ret;
}

/* A request stops counting as open once it is answered, or once a slow
 * answer is only waiting (the client may have given up on it). */
static void uncount(conn *x)
{
    pthread_mutex_lock(&S.lock);
    if (x->counted) {
        x->counted = 0;
        S.in_flight--;
    }
    pthread_mutex_unlock(&S.lock);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    (void)c;
    conn *x = calloc(1, sizeof(*x));
    if (x != NULL) {
        x->uri = strdup(uri ? uri : "/");
        if (x->uri != NULL && strncmp(x->uri, "/admin/", 7) != 0) {
            pthread_mutex_lock(&S.lock);
            x->counted = 1;
            if (++S.in_flight > S.max_in_flight) {
                S.max_in_flight = S.in_flight;
            }
            pthread_mutex_unlock(&S.lock);
        }
    }
    return x;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    conn *x = *req_cls;
    if (x != NULL) {
        uncount(x);
        free(x->uri);
        free(x->body);
        free(x);
        *req_cls = NULL;
    }
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **req_cls)
{
    (void)cls;
    (void)version;
    conn *x = *req_cls;
    if (x == NULL) {
        return MHD_NO;
    }
    if (!x->started) {
        x->started = 1;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (x->len + *upload_size > BODY_MAX) {
            x->too_big = 1;
        } else {
            if (x->len + *upload_size + 1 > x->cap) {
                size_t cap = (x->len + *upload_size + 1) * 2;
                char *nb = realloc(x->body, cap);
                if (nb == NULL) {
                    return MHD_NO;
                }
                x->body = nb;
                x->cap = cap;
            }
            memcpy(x->body + x->len, upload, *upload_size);
            x->len += *upload_size;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    answer a;
    memset(&a, 0, sizeof(a));
    int admin = strncmp(url, "/admin/", 7) == 0;
    pthread_mutex_lock(&S.lock);
    S.requests++;
    if (admin) {
        if (strcmp(url, "/admin/stats") == 0 && strcmp(method, "GET") == 0) {
            handle_stats(&a);
        } else if (strcmp(url, "/admin/faults") == 0 && strcmp(method, "POST") == 0) {
            int bad = 0;
            MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, fault_arg, &bad);
            if (bad) {
                set_json(&a, 400, json_pack("{s:s}", "error", "unknown fault or bad value"));
            } else {
                set_json(&a, 200, json_pack("{s:b}", "ok", 1));
            }
        } else {
            set_json(&a, 404, json_pack("{s:s}", "error", "no such admin endpoint"));
        }
        pthread_mutex_unlock(&S.lock);
        return send_answer(c, &a);
    }
    S.data_requests++;
    const char *ua = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "User-Agent");
    snprintf(S.user_agent, sizeof(S.user_agent), "%s", ua ? ua : "");
    int is_ack = strcmp(url, "/services/collector/ack") == 0;
    /* Faults, in order: reset before, 503, 429, slow; "lost" after. */
    int lost = 0;
    if (!is_ack) {
        if (S.f.first_503 > 0) {
            S.f.first_503--;
            S.f503++;
            pthread_mutex_unlock(&S.lock);
            hec_answer(&a, 503, "Server is busy", 9, -1);
            return send_answer(c, &a);
        }
        if (S.f.p_reset > 0 && draw() < S.f.p_reset) {
            S.freset++;
            pthread_mutex_unlock(&S.lock);
            reset_connection(c);
            return MHD_NO;
        }
        if (S.f.p_503 > 0 && draw() < S.f.p_503) {
            S.f503++;
            pthread_mutex_unlock(&S.lock);
            hec_answer(&a, 503, "Server is busy", 9, -1);
            return send_answer(c, &a);
        }
        if (S.f.p_429 > 0 && draw() < S.f.p_429) {
            S.f429++;
            snprintf(a.retry_after, sizeof(a.retry_after), "%lld", (long long)S.f.retry_after);
            pthread_mutex_unlock(&S.lock);
            set_json(&a, 429, json_pack("{s:s}", "error", "too many requests"));
            return send_answer(c, &a);
        }
        if (S.f.p_slow > 0 && draw() < S.f.p_slow) {
            S.fslow++;
            a.delay = S.f.slow_ms;
        }
        lost = S.f.p_lost > 0 && draw() < S.f.p_lost;
    }
    if (strcmp(method, "POST") != 0) {
        pthread_mutex_unlock(&S.lock);
        set_json(&a, 405, json_pack("{s:s}", "error", "POST only"));
        return send_answer(c, &a);
    }
    if (x->too_big) {
        pthread_mutex_unlock(&S.lock);
        set_json(&a, 413, json_pack("{s:s}", "error", "request body too large"));
        return send_answer(c, &a);
    }
    const char *body = x->body ? x->body : "";
    size_t len = x->len;
    char *plain = NULL;
    const char *enc = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Encoding");
    if (enc != NULL && strcasecmp(enc, "gzip") == 0) {
        S.gzip++;
        if (gunzip(body, len, &plain, &len) != 0) {
            pthread_mutex_unlock(&S.lock);
            set_json(&a, 400, json_pack("{s:s}", "error", "the gzip body does not inflate"));
            return send_answer(c, &a);
        }
        body = plain;
    } else {
        S.plain++;
    }
    if (strcmp(url, "/services/collector/event") == 0 ||
        strcmp(url, "/services/collector/event/1.0") == 0) {
        handle_hec_event(c, body, len, &a);
    } else if (is_ack) {
        handle_hec_ack(c, body, len, &a);
    } else if (strcmp(url, "/_bulk") == 0 ||
               (strlen(url) > 7 && strcmp(url + strlen(url) - 6, "/_bulk") == 0)) {
        handle_bulk(c, url, body, len, &a);
    } else {
        handle_json(c, body, len, &a);
    }
    fflush(S.records);
    if (lost) {
        S.flost++;
    }
    pthread_mutex_unlock(&S.lock);
    free(plain);
    if (a.delay > 0) {
        uncount(x);
        sleep_ms(a.delay);
    }
    if (lost) {
        free(a.body);
        reset_connection(c);
        return MHD_NO;
    }
    return send_answer(c, &a);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "pptap-test-receiver: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    char *buf = calloc(1, 1 << 20);
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (buf == NULL) {
        exit(2);
    }
    buf[n] = '\0';
    return buf;
}

static void usage(FILE *out)
{
    fputs("usage: pptap-test-receiver --port-file FILE --records FILE [options]\n"
          "\n"
          "  --port N            port on 127.0.0.1 (default 0: any)\n"
          "  --port-file FILE    write the base URL there once listening\n"
          "  --records FILE      append every accepted document as a JSON line\n"
          "  --token-file FILE   the token every request must carry\n"
          "  --hec-ack           HEC indexer acknowledgement on (ackId, /ack)\n"
          "  --ack-delay-ms MS   an ack turns true this long after its request\n"
          "  --ack-lose P        fraction of acked requests lost (never acked or recorded)\n"
          "  --seed N            fault PRNG seed\n"
          "  --first-503 N       answer the first N data requests 503\n"
          "  --fault-503 P       fraction answered 503\n"
          "  --fault-reset P     fraction reset before the body is taken\n"
          "  --fault-lost P      fraction taken, then reset instead of answered\n"
          "  --fault-429 P       fraction answered 429 with Retry-After\n"
          "  --retry-after S     the Retry-After of those (default 1)\n"
          "  --fault-slow P      fraction answered after --slow-ms (default 1500)\n"
          "  --item-429 P        ES: fraction of items answered 429\n"
          "  --es-reject FILE    ES: ids refused with 400 mapper_parsing_exception\n"
          "  --hec-bad FILE      HEC: ids refused with code 6 (invalid data format)\n"
          "  --tls-cert FILE --tls-key FILE   serve HTTPS\n",
          out);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"port", required_argument, NULL, 'p'},
        {"port-file", required_argument, NULL, 'P'},
        {"records", required_argument, NULL, 'r'},
        {"token-file", required_argument, NULL, 't'},
        {"hec-ack", no_argument, NULL, 'A'},
        {"ack-delay-ms", required_argument, NULL, 1},
        {"ack-lose", required_argument, NULL, 2},
        {"seed", required_argument, NULL, 's'},
        {"first-503", required_argument, NULL, 3},
        {"fault-503", required_argument, NULL, 4},
        {"fault-reset", required_argument, NULL, 5},
        {"fault-lost", required_argument, NULL, 6},
        {"fault-429", required_argument, NULL, 7},
        {"retry-after", required_argument, NULL, 8},
        {"fault-slow", required_argument, NULL, 9},
        {"slow-ms", required_argument, NULL, 10},
        {"item-429", required_argument, NULL, 11},
        {"es-reject", required_argument, NULL, 12},
        {"hec-bad", required_argument, NULL, 13},
        {"tls-cert", required_argument, NULL, 14},
        {"tls-key", required_argument, NULL, 15},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const char *const fault_names[] = {
        [1] = "ack-delay-ms", [2] = "ack-lose", [3] = "first-503", [4] = "503",
        [5] = "reset",        [6] = "lost",     [7] = "429",       [8] = "retry-after",
        [9] = "slow",         [10] = "slow-ms", [11] = "item-429",
    };
    int port = 0;
    const char *port_file = NULL, *records = NULL, *cert_file = NULL, *key_file = NULL;
    S.f.retry_after = 1;
    S.f.slow_ms = 1500;
    S.rng = 1;
    int o;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'p':
            port = atoi(optarg);
            break;
        case 'P':
            port_file = optarg;
            break;
        case 'r':
            records = optarg;
            break;
        case 't': {
            S.token = read_text(optarg);
            S.token[strcspn(S.token, "\r\n")] = '\0';
            break;
        }
        case 'A':
            S.hec_ack = 1;
            break;
        case 's':
            S.rng = strtoull(optarg, NULL, 10);
            break;
        case 12:
            S.n_es_reject = load_ids(optarg, S.es_reject);
            break;
        case 13:
            S.n_hec_bad = load_ids(optarg, S.hec_bad);
            break;
        case 14:
            cert_file = optarg;
            break;
        case 15:
            key_file = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            if (o >= 1 && o <= 11 && set_fault(fault_names[o], optarg) == 0) {
                break;
            }
            usage(stderr);
            return 64;
        }
    }
    if (port_file == NULL || records == NULL) {
        usage(stderr);
        return 64;
    }
    S.records = fopen(records, "a");
    if (S.records == NULL) {
        fprintf(stderr, "pptap-test-receiver: %s: %s\n", records, strerror(errno));
        return 74;
    }
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
    char *cert = NULL, *key = NULL;
    if (cert_file != NULL && key_file != NULL) {
        cert = read_text(cert_file);
        key = read_text(key_file);
        flags |= MHD_USE_TLS;
    }
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, key},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_ARRAY, cert ? tls : tls + 2,
        MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "pptap-test-receiver: cannot listen on 127.0.0.1 port %d\n", port);
        return 69;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
    FILE *pf = fopen(tmp, "w");
    if (pf == NULL) {
        fprintf(stderr, "pptap-test-receiver: %s: %s\n", tmp, strerror(errno));
        MHD_stop_daemon(d);
        return 74;
    }
    fprintf(pf, "%s://127.0.0.1:%u\n", cert ? "https" : "http", di ? di->port : (unsigned)port);
    fclose(pf);
    rename(tmp, port_file);
    while (!stopping) {
        sleep_ms(100);
    }
    MHD_stop_daemon(d);
    fclose(S.records);
    free(cert);
    free(key);
    return 0;
}
