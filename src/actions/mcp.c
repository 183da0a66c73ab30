/*
 * MCP server over stdio (see mcp.h).
 *
 * Two threads. The reader (the caller's thread) splits standard input into
 * lines, parses each as JSON, answers what needs no action at once (parse
 * and envelope errors, ping, notifications/cancelled, notifications) and
 * queues the rest. The worker takes queued messages in order and answers
 * them; only the worker runs actions, so the action code stays single
 * threaded. A cancelled request still in the queue is dropped unanswered;
 * one already running finishes (actions cannot be interrupted) but its
 * response is not sent, as the cancellation utility asks.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mcp.h"

const char *const mcp_protocol_versions[] = {
    "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", NULL,
};

/* Revisions that changed what the server sends. */
#define V_STRUCTURED "2025-06-18"  /* structuredContent, title, outputSchema; no batches */
#define V_TOOL_ERRORS "2025-11-25" /* invalid arguments are tool execution errors */
#define MAX_QUEUE 256              /* queued messages before the reader waits */
#define READ_CHUNK (64u << 10)

static const char instructions[] =
    "Tools for Proofpoint TAP (Targeted Attack Protection): campaigns, threat forensics, "
    "SIEM events, URL Defense link decoding, very attacked people and top clickers. Each "
    "tool is a SOAR action; the arguments case_id and alert_group_identifiers name the case "
    "the action works for, and insights and entities it creates are stored with that case. "
    "The result carries the action's structured result (execution_state, output_message, "
    "json_result, insights, entities, data_tables). Credentials are configured where the "
    "server runs; tools never take them as arguments.";

typedef struct qitem {
    json_t *msg; /* an object (request) or an array (batch) */
    struct qitem *next;
} qitem;

typedef struct {
    const mcp_opts *o;
    size_t max_message, page_size;

    pthread_mutex_t mu; /* guards the queue and the flags below */
    pthread_cond_t cv;
    qitem *head, *tail;
    size_t queued;
    int eof;               /* the reader has finished */
    int stop;              /* signal or output failure: drop what is queued */
    json_t *current_id;    /* the request the worker is running */
    int current_cancelled; /* ... and a cancellation arrived for it */

    pthread_mutex_t out_mu; /* one message at a time on out_fd */
    int out_failed;
    int wake[2];        /* the worker wakes the reader's poll() on failure */
    sigset_t poll_mask; /* the signal mask while the reader waits */

    /* Worker-only session state. */
    int initialized;
    const char *version; /* the negotiated revision (a static string) */
} server;

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
}

static void mcp_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void mcp_log(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "pptap: mcp: %s\n", line);
}

static int at_least(const char *version, const char *rev)
{
    return version != NULL && strcmp(version, rev) >= 0;
}

/* ------------------------------------------------------------------ */
/* Output */

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Writes one message as a line. JSON_COMPACT output has no newline: jansson
 * escapes control characters inside strings. */
static void send_msg(server *s, json_t *msg)
{
    if (msg == NULL) {
        return;
    }
    char *text = json_dumps(msg, JSON_COMPACT);
    size_t n = text != NULL ? strlen(text) : 0;
    char *line = text != NULL ? realloc(text, n + 1) : NULL;
    if (line == NULL) {
        free(text);
        mcp_log("out of memory writing a response; it was dropped");
        return;
    }
    line[n] = '\n'; /* replaces the terminating NUL: one write per message */
    pthread_mutex_lock(&s->out_mu);
    int failed = s->out_failed;
    if (!failed && write_all(s->o->out_fd, line, n + 1) != 0) {
        mcp_log("cannot write to standard output: %s; stopping", strerror(errno));
        s->out_failed = failed = 1;
    }
    pthread_mutex_unlock(&s->out_mu);
    free(line);
    if (failed) {
        pthread_mutex_lock(&s->mu);
        s->stop = 1;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        ssize_t w = write(s->wake[1], "x", 1);
        (void)w;
    }
}

/* A response to id (borrowed; NULL means JSON null). Takes `result`. */
static json_t *response(json_t *id, json_t *result)
{
    return json_pack("{s:s, s:O?, s:o}", "jsonrpc", "2.0", "id", id, "result",
                     result != NULL ? result : json_object());
}

/* An error response; data (taken) may be NULL. */
static json_t *error_response(json_t *id, int code, const char *message, json_t *data)
{
    json_t *err = json_pack("{s:i, s:s}", "code", code, "message", message);
    if (err != NULL && data != NULL) {
        json_object_set_new(err, "data", data);
    } else {
        json_decref(data);
    }
    if (err == NULL) {
        return NULL;
    }
    return json_pack("{s:s, s:O?, s:o}", "jsonrpc", "2.0", "id", id, "error", err);
}

static json_t *errorf(json_t *id, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static json_t *errorf(json_t *id, int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return error_response(id, code, msg, NULL);
}

/* ------------------------------------------------------------------ */
/* Envelope */

typedef enum {
    MSG_INVALID,      /* answered with *err */
    MSG_REQUEST,      /* id, method, params */
    MSG_NOTIFICATION, /* method, params */
    MSG_RESPONSE,     /* the client answered something: we never ask */
} msg_kind;

typedef struct {
    msg_kind kind;
    json_t *id;         /* borrowed; NULL for notifications and unreadable ids */
    const char *method; /* borrowed */
    json_t *params;     /* borrowed; NULL when absent */
} envelope;

static int valid_id(const json_t *id)
{
    return json_is_string(id) || json_is_integer(id);
}

/* Classifies a message. On MSG_INVALID returns the error response to send. */
static json_t *classify(const json_t *msg, envelope *e)
{
    memset(e, 0, sizeof(*e));
    e->kind = MSG_INVALID;
    if (!json_is_object(msg)) {
        return error_response(NULL, MCP_INVALID_REQUEST,
                              "Invalid Request: a message must be a JSON object", NULL);
    }
    json_t *id = json_object_get(msg, "id");
    json_t *rid = valid_id(id) ? id : NULL;
    json_t *version = json_object_get(msg, "jsonrpc");
    json_t *method = json_object_get(msg, "method");
    if (!json_is_string(version) || strcmp(json_string_value(version), "2.0") != 0) {
        return error_response(rid, MCP_INVALID_REQUEST,
                              "Invalid Request: \"jsonrpc\" must be \"2.0\"", NULL);
    }
    if (method == NULL) {
        if (id != NULL &&
            (json_object_get(msg, "result") != NULL || json_object_get(msg, "error") != NULL)) {
            e->kind = MSG_RESPONSE;
            e->id = id;
            return NULL;
        }
        return error_response(rid, MCP_INVALID_REQUEST,
                              "Invalid Request: a request needs a \"method\"", NULL);
    }
    if (!json_is_string(method)) {
        return error_response(rid, MCP_INVALID_REQUEST,
                              "Invalid Request: \"method\" must be a string", NULL);
    }
    if (id != NULL && rid == NULL) {
        return error_response(NULL, MCP_INVALID_REQUEST,
                              "Invalid Request: \"id\" must be a string or an integer", NULL);
    }
    json_t *params = json_object_get(msg, "params");
    if (params != NULL && !json_is_object(params)) {
        if (json_is_array(params)) {
            return error_response(rid, MCP_INVALID_PARAMS,
                                  "Invalid params: \"params\" must be an object", NULL);
        }
        return error_response(rid, MCP_INVALID_REQUEST,
                              "Invalid Request: \"params\" must be an object", NULL);
    }
    e->kind = rid != NULL ? MSG_REQUEST : MSG_NOTIFICATION;
    e->id = rid;
    e->method = json_string_value(method);
    e->params = params;
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Tools */

static json_t *output_schema(void)
{
    return json_pack(
        "{s:s, s:{s:{s:s}, s:{s:s}, s:{}, s:{s:s, s:[s,s]}, s:{s:s}, s:{}, s:{s:s}, s:{s:s},"
        " s:{s:s}}, s:[s,s,s]}",
        "type", "object", "properties", "action", "type", "string", "result_name", "type", "string",
        "result_value", "execution_state", "type", "string", "enum", "completed", "failed",
        "output_message", "type", "string", "json_result", "insights", "type", "array", "entities",
        "type", "array", "data_tables", "type", "array", "required", "action", "execution_state",
        "output_message");
}

json_t *mcp_tool_entry(const action_def *a, const char *version)
{
    json_t *schema = action_tool_schema(a);
    if (!json_is_object(schema)) {
        json_decref(schema);
        return NULL;
    }
    json_t *t = json_pack("{s:s, s:s, s:o}", "name", action_tool_name(a), "description",
                          action_description(a), "inputSchema", schema);
    if (t != NULL && at_least(version, V_STRUCTURED)) {
        json_object_set_new(t, "title", json_string(action_name(a)));
        json_object_set_new(t, "outputSchema", output_schema());
    }
    return t;
}

json_t *mcp_tool_result(const json_t *action_result, const char *version)
{
    const char *message = json_string_value(json_object_get(action_result, "output_message"));
    const char *state = json_string_value(json_object_get(action_result, "execution_state"));
    char *serialized = json_dumps(action_result, JSON_COMPACT);
    if (serialized == NULL) {
        return NULL;
    }
    /* The short text first; then, as the tools section of the specification
     * recommends for clients that do not read structuredContent, the
     * serialized result. */
    json_t *r = json_pack("{s:[{s:s, s:s}, {s:s, s:s}], s:b}", "content", "type", "text", "text",
                          message != NULL ? message : "", "type", "text", "text", serialized,
                          "isError", state != NULL && strcmp(state, "failed") == 0);
    free(serialized);
    if (r != NULL && at_least(version, V_STRUCTURED)) {
        json_object_set(r, "structuredContent", (json_t *)action_result);
    }
    return r;
}

static const action_def *find_tool(const char *name)
{
    for (size_t i = 0; i < actions_count(); i++) {
        const action_def *a = actions_at(i);
        if (strcmp(action_tool_name(a), name) == 0) {
            return a;
        }
    }
    return NULL;
}

/* Cursors are "tools:<index>" with 0 < index < count. */
static int parse_cursor(const char *c, size_t *start)
{
    if (strncmp(c, "tools:", 6) != 0 || c[6] < '1' || c[6] > '9') {
        return -1;
    }
    size_t v = 0;
    for (const char *p = c + 6; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || v > 1000000) {
            return -1;
        }
        v = v * 10 + (size_t)(*p - '0');
    }
    if (v >= actions_count()) {
        return -1;
    }
    *start = v;
    return 0;
}

static json_t *tools_list(server *s, json_t *id, json_t *params)
{
    size_t start = 0;
    json_t *cursor = json_object_get(params, "cursor");
    if (cursor != NULL && !json_is_null(cursor)) {
        if (!json_is_string(cursor) || parse_cursor(json_string_value(cursor), &start) != 0) {
            return error_response(id, MCP_INVALID_PARAMS, "Invalid params: unknown cursor", NULL);
        }
    }
    json_t *tools = json_array();
    size_t n = actions_count(), end = start + s->page_size < n ? start + s->page_size : n;
    for (size_t i = start; i < end; i++) {
        json_t *t = mcp_tool_entry(actions_at(i), s->version);
        if (t == NULL) {
            mcp_log("tool %s left out of tools/list: no input schema",
                    action_tool_name(actions_at(i)));
            continue;
        }
        json_array_append_new(tools, t);
    }
    json_t *result = json_pack("{s:o}", "tools", tools);
    if (result != NULL && end < n) {
        char next[32];
        snprintf(next, sizeof(next), "tools:%zu", end);
        json_object_set_new(result, "nextCursor", json_string(next));
    }
    return result != NULL ? response(id, result) : NULL;
}

/* A tool execution error: the message as text, isError true. */
static json_t *tool_error(json_t *id, const char *message)
{
    return response(id, json_pack("{s:[{s:s, s:s}], s:b}", "content", "type", "text", "text",
                                  message, "isError", 1));
}

/* Runs a tool. Returns the response, or NULL when it must not be sent
 * (cancelled, or out of memory after logging). */
static json_t *tools_call(server *s, json_t *id, json_t *params)
{
    json_t *name = json_object_get(params, "name");
    if (!json_is_string(name)) {
        return error_response(id, MCP_INVALID_PARAMS,
                              "Invalid params: tools/call needs the tool \"name\"", NULL);
    }
    const action_def *a = find_tool(json_string_value(name));
    if (a == NULL) {
        return errorf(id, MCP_INVALID_PARAMS, "Unknown tool: %s", json_string_value(name));
    }
    json_t *args = json_object_get(params, "arguments");
    json_t *empty = NULL;
    if (args == NULL || json_is_null(args)) {
        args = empty = json_object();
    } else if (!json_is_object(args)) {
        return error_response(id, MCP_INVALID_PARAMS,
                              "Invalid params: \"arguments\" must be an object", NULL);
    }
    char err[512] = "";
    json_t *request = NULL;
    int rc = actions_request_from_tool(a, args, &request, err, sizeof(err));
    json_decref(empty);
    if (rc != 0) {
        char msg[640];
        snprintf(msg, sizeof(msg), "Invalid arguments for tool %s: %s", action_tool_name(a),
                 err[0] != '\0' ? err : "rejected");
        if (at_least(s->version, V_TOOL_ERRORS)) {
            return tool_error(id, msg);
        }
        return error_response(id, MCP_INVALID_PARAMS, msg, NULL);
    }
    int exit_code = 0;
    json_t *result = actions_run(a, request, s->o->env, &exit_code);
    json_decref(request);
    if (result == NULL) {
        return error_response(id, MCP_INTERNAL_ERROR, "Internal error: out of memory", NULL);
    }
    if (s->o->verbose) {
        const char *st = json_string_value(json_object_get(result, "execution_state"));
        mcp_log("%s: %s (status %d)", action_tool_name(a), st != NULL ? st : "?", exit_code);
    }
    json_t *r = mcp_tool_result(result, s->version);
    json_decref(result);
    if (r == NULL) {
        return error_response(id, MCP_INTERNAL_ERROR, "Internal error: out of memory", NULL);
    }
    return response(id, r);
}

static json_t *initialize(server *s, json_t *id, json_t *params)
{
    if (s->initialized) {
        return error_response(id, MCP_INVALID_REQUEST,
                              "Invalid Request: the session is already initialized", NULL);
    }
    json_t *pv = json_object_get(params, "protocolVersion");
    if (!json_is_string(pv)) {
        return error_response(id, MCP_INVALID_PARAMS,
                              "Invalid params: initialize needs \"protocolVersion\" (a string such "
                              "as \"" V_TOOL_ERRORS "\")",
                              NULL);
    }
    const char *chosen = mcp_protocol_versions[0];
    for (size_t i = 0; mcp_protocol_versions[i] != NULL; i++) {
        if (strcmp(mcp_protocol_versions[i], json_string_value(pv)) == 0) {
            chosen = mcp_protocol_versions[i];
        }
    }
    s->initialized = 1;
    s->version = chosen;
    json_t *info = json_object_get(params, "clientInfo");
    const char *cname = json_string_value(json_object_get(info, "name"));
    const char *cver = json_string_value(json_object_get(info, "version"));
    if (s->o->verbose || strcmp(chosen, json_string_value(pv)) != 0) {
        mcp_log("client %s %s asked for protocol %s; speaking %s", cname != NULL ? cname : "?",
                cver != NULL ? cver : "?", json_string_value(pv), chosen);
    }
    json_t *server_info = json_pack("{s:s, s:s}", "name", "pptap", "version",
                                    s->o->version != NULL ? s->o->version : PPTAP_VERSION);
    if (at_least(chosen, V_STRUCTURED)) {
        json_object_set_new(server_info, "title", json_string("pptap (Proofpoint TAP)"));
    }
    json_t *result = json_pack("{s:s, s:{s:{s:b}}, s:o, s:s}", "protocolVersion", chosen,
                               "capabilities", "tools", "listChanged", 0, "serverInfo", server_info,
                               "instructions", instructions);
    return result != NULL ? response(id, result) : NULL;
}

/* Marks a queued or running request cancelled. The reader and the worker
 * (for a batch) call it. */
static void cancel_request(server *s, json_t *params)
{
    json_t *rid = json_object_get(params, "requestId");
    if (!valid_id(rid)) {
        return;
    }
    pthread_mutex_lock(&s->mu);
    if (s->current_id != NULL && json_equal(s->current_id, rid)) {
        s->current_cancelled = 1;
    } else {
        qitem **pp = &s->head, *prev = NULL;
        while (*pp != NULL) {
            qitem *q = *pp;
            json_t *qid = json_object_get(q->msg, "id");
            const char *m = json_string_value(json_object_get(q->msg, "method"));
            /* initialize cannot be cancelled. */
            if (json_is_object(q->msg) && valid_id(qid) && json_equal(qid, rid) &&
                (m == NULL || strcmp(m, "initialize") != 0)) {
                *pp = q->next;
                if (s->tail == q) {
                    s->tail = prev;
                }
                s->queued--;
                json_decref(q->msg);
                free(q);
                pthread_cond_broadcast(&s->cv);
                break;
            }
            prev = q;
            pp = &q->next;
        }
    }
    pthread_mutex_unlock(&s->mu);
}

static void notification(server *s, const envelope *e)
{
    if (strcmp(e->method, "notifications/cancelled") == 0) {
        cancel_request(s, e->params);
    } else if (s->o->verbose) {
        mcp_log("notification %s", e->method); /* accepted; nothing to do */
    }
}

/* Answers one request of the worker. NULL: nothing to send. */
static json_t *dispatch(server *s, const envelope *e)
{
    json_t *params = e->params;
    json_t *empty = NULL;
    if (params == NULL) {
        params = empty = json_object();
    }
    json_t *r;
    if (strcmp(e->method, "initialize") == 0) {
        r = initialize(s, e->id, params);
    } else if (strcmp(e->method, "ping") == 0) {
        r = response(e->id, json_object());
    } else if (!s->initialized) {
        r = errorf(e->id, MCP_INVALID_REQUEST,
                   "Invalid Request: the session is not initialized; send initialize before %s",
                   e->method);
    } else if (strcmp(e->method, "tools/list") == 0) {
        r = tools_list(s, e->id, params);
    } else if (strcmp(e->method, "tools/call") == 0) {
        r = tools_call(s, e->id, params);
    } else {
        r = errorf(e->id, MCP_METHOD_NOT_FOUND, "Method not found: %s", e->method);
    }
    json_decref(empty);
    return r;
}

/* Runs one request or notification taken from the queue; returns the
 * response or NULL. */
static json_t *handle_one(server *s, json_t *msg)
{
    envelope e;
    json_t *err = classify(msg, &e);
    if (e.kind == MSG_INVALID) {
        return err;
    }
    if (e.kind == MSG_RESPONSE) {
        return NULL;
    }
    if (e.kind == MSG_NOTIFICATION) {
        notification(s, &e);
        return NULL;
    }
    pthread_mutex_lock(&s->mu);
    s->current_id = e.id;
    s->current_cancelled = 0;
    pthread_mutex_unlock(&s->mu);
    if (s->o->verbose) {
        char *idtext = json_dumps(e.id, JSON_ENCODE_ANY);
        mcp_log("request %s %s", idtext != NULL ? idtext : "?", e.method);
        free(idtext);
    }
    json_t *r = dispatch(s, &e);
    pthread_mutex_lock(&s->mu);
    int cancelled = s->current_cancelled;
    s->current_id = NULL;
    s->current_cancelled = 0;
    pthread_mutex_unlock(&s->mu);
    if (cancelled) {
        if (s->o->verbose) {
            mcp_log("request %s was cancelled; its response is not sent", e.method);
        }
        json_decref(r);
        return NULL;
    }
    return r;
}

/* A batch (JSON-RPC 2.0 section 6), accepted in the revisions before
 * 2025-06-18 once the session is initialized. */
static json_t *handle_batch(server *s, json_t *batch)
{
    if (!s->initialized || at_least(s->version, V_STRUCTURED)) {
        return errorf(NULL, MCP_INVALID_REQUEST,
                      "Invalid Request: JSON-RPC batches are not supported %s%s",
                      s->initialized ? "in protocol revision " : "before initialize",
                      s->initialized ? s->version : "");
    }
    if (json_array_size(batch) == 0) {
        return error_response(NULL, MCP_INVALID_REQUEST, "Invalid Request: empty batch", NULL);
    }
    json_t *out = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(batch, i, m)
    {
        json_t *r = handle_one(s, m);
        if (r != NULL) {
            json_array_append_new(out, r);
        }
    }
    if (json_array_size(out) == 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

static void *worker(void *arg)
{
    server *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        while (s->head == NULL && !s->eof && !s->stop) {
            pthread_cond_wait(&s->cv, &s->mu);
        }
        if (s->stop || s->head == NULL) {
            pthread_mutex_unlock(&s->mu);
            break;
        }
        qitem *q = s->head;
        s->head = q->next;
        if (s->head == NULL) {
            s->tail = NULL;
        }
        s->queued--;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);

        json_t *r = json_is_array(q->msg) ? handle_batch(s, q->msg) : handle_one(s, q->msg);
        send_msg(s, r);
        json_decref(r);
        json_decref(q->msg);
        free(q);
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Reader */

static void enqueue(server *s, json_t *msg)
{
    qitem *q = malloc(sizeof(*q));
    if (q == NULL) {
        mcp_log("out of memory; a message was dropped");
        json_decref(msg);
        return;
    }
    q->msg = msg;
    q->next = NULL;
    pthread_mutex_lock(&s->mu);
    while (s->queued >= MAX_QUEUE && !s->stop) {
        pthread_cond_wait(&s->cv, &s->mu);
    }
    if (s->stop) {
        pthread_mutex_unlock(&s->mu);
        json_decref(msg);
        free(q);
        return;
    }
    if (s->tail != NULL) {
        s->tail->next = q;
    } else {
        s->head = q;
    }
    s->tail = q;
    s->queued++;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* One complete line from the client. */
static void handle_line(server *s, const char *line, size_t n)
{
    size_t i = 0;
    while (i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) {
        i++;
    }
    if (i == n) {
        return; /* blank lines are not messages */
    }
    json_error_t jerr;
    json_t *msg = json_loadb(line, n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (msg == NULL) {
        if (s->o->verbose) {
            mcp_log("parse error at byte %d: %s", jerr.position, jerr.text);
        }
        json_t *r =
            errorf(NULL, MCP_PARSE_ERROR, "Parse error: %s (byte %d)", jerr.text, jerr.position);
        send_msg(s, r);
        json_decref(r);
        return;
    }
    if (json_is_array(msg)) {
        enqueue(s, msg); /* the worker knows the negotiated revision */
        return;
    }
    envelope e;
    json_t *err = classify(msg, &e);
    json_t *r = NULL;
    switch (e.kind) {
    case MSG_INVALID:
        r = err;
        break;
    case MSG_RESPONSE:
        if (s->o->verbose) {
            mcp_log("ignoring a response from the client: the server sends no requests");
        }
        break;
    case MSG_NOTIFICATION:
        notification(s, &e);
        break;
    case MSG_REQUEST:
        if (strcmp(e.method, "ping") == 0) {
            r = response(e.id, json_object()); /* answered even while a tool runs */
            break;
        }
        enqueue(s, msg);
        return;
    }
    send_msg(s, r);
    json_decref(r);
    json_decref(msg);
}

/*
 * Finds the top-level "id" of an over-long message as it streams past, so
 * that the error about its size can name it (clients match responses by id,
 * and SDKs often put the id last). A small JSON scanner: strings, escapes,
 * nesting; at depth 1 it follows key, colon, value, comma, and keeps the raw
 * text of the value of the key "id" when it is a short scalar.
 */
enum { K_KEY, K_IN_KEY, K_COLON, K_VALUE };

typedef struct {
    int depth, in_str, esc, str_kept;
    int state;   /* K_* at depth 1 */
    char key[3]; /* the first bytes of the key being read */
    size_t key_len;
    int is_id; /* the key at depth 1 is "id" */
    char val[64];
    size_t val_len;
    int bad;   /* the id's value is not a short scalar */
    int found; /* val holds the whole value */
} id_scan;

static void id_keep(id_scan *sc, char c)
{
    if (sc->val_len < sizeof(sc->val)) {
        sc->val[sc->val_len++] = c;
    } else {
        sc->bad = 1;
    }
}

static void id_scan_feed(id_scan *sc, const char *p, size_t n)
{
    for (size_t i = 0; i < n && !sc->found; i++) {
        char c = p[i];
        if (sc->in_str) {
            if (sc->str_kept) {
                id_keep(sc, c);
            }
            if (sc->esc) {
                sc->esc = 0;
            } else if (c == '\\') {
                sc->esc = 1;
            } else if (c == '"') {
                sc->in_str = 0;
                if (sc->state == K_IN_KEY) {
                    sc->state = K_COLON;
                    sc->is_id = sc->key_len == 2 && memcmp(sc->key, "id", 2) == 0;
                }
            } else if (sc->state == K_IN_KEY) {
                if (sc->key_len < sizeof(sc->key)) {
                    sc->key[sc->key_len] = c;
                }
                sc->key_len++;
            }
            continue;
        }
        int keep = sc->depth == 1 && sc->state == K_VALUE && sc->is_id;
        switch (c) {
        case '"':
            sc->in_str = 1;
            sc->str_kept = keep;
            if (keep) {
                id_keep(sc, c);
            }
            if (sc->depth == 1 && sc->state == K_KEY) {
                sc->state = K_IN_KEY;
                sc->key_len = 0;
            }
            break;
        case '{':
        case '[':
            if (keep) {
                sc->bad = 1;
            }
            sc->depth++;
            if (sc->depth == 1) {
                sc->state = K_KEY;
            }
            break;
        case '}':
        case ']':
        case ',':
            if (keep) {
                sc->found = !sc->bad && sc->val_len > 0;
                sc->is_id = 0;
            }
            if (c != ',') {
                sc->depth--;
            } else if (sc->depth == 1) {
                sc->state = K_KEY;
            }
            break;
        case ':':
            if (sc->depth == 1 && sc->state == K_COLON) {
                sc->state = K_VALUE;
            }
            break;
        case ' ':
        case '\t':
        case '\r':
        case '\n':
            break;
        default:
            if (keep) {
                id_keep(sc, c);
            }
            break;
        }
    }
}

static json_t *id_scan_result(const id_scan *sc)
{
    if (!sc->found || sc->val_len == 0) {
        return NULL;
    }
    json_t *v = json_loadb(sc->val, sc->val_len, JSON_DECODE_ANY, NULL);
    if (!valid_id(v)) {
        json_decref(v);
        return NULL;
    }
    return v;
}

static void report_oversize(server *s, const id_scan *sc)
{
    json_t *id = id_scan_result(sc);
    mcp_log("a message longer than %zu bytes was discarded", s->max_message);
    json_t *r = errorf(id, MCP_INVALID_REQUEST,
                       "Invalid Request: message longer than %zu bytes (the limit; see "
                       "--max-message)",
                       s->max_message);
    send_msg(s, r);
    json_decref(r);
    json_decref(id);
}

/* Reads lines until end of input, a signal or an output failure. */
static int read_loop(server *s)
{
    size_t cap = READ_CHUNK < s->max_message + 1 ? READ_CHUNK : s->max_message + 1;
    char *buf = malloc(cap);
    if (buf == NULL) {
        return PPTAP_ENOMEM;
    }
    size_t len = 0;
    int discarding = 0; /* inside a line over the limit */
    id_scan sc;
    int rc = 0;
    for (;;) {
        if (got_signal) {
            mcp_log("stopping on signal %d", (int)got_signal);
            break;
        }
        pthread_mutex_lock(&s->mu);
        int stop = s->stop;
        pthread_mutex_unlock(&s->mu);
        if (stop) {
            break;
        }
        struct pollfd pf[2] = {{.fd = s->o->in_fd, .events = POLLIN},
                               {.fd = s->wake[0], .events = POLLIN}};
        if (ppoll(pf, 2, NULL, &s->poll_mask) < 0) {
            if (errno == EINTR) {
                continue;
            }
            mcp_log("poll: %s", strerror(errno));
            rc = PPTAP_EIO;
            break;
        }
        if (pf[1].revents != 0) {
            break;
        }
        if (len == cap) {
            size_t ncap = cap * 2 < s->max_message + 1 ? cap * 2 : s->max_message + 1;
            char *nb = realloc(buf, ncap);
            if (nb == NULL) {
                rc = PPTAP_ENOMEM;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t got = read(s->o->in_fd, buf + len, cap - len);
        if (got < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            mcp_log("cannot read standard input: %s", strerror(errno));
            rc = PPTAP_EIO;
            break;
        }
        if (got == 0) {
            if (discarding) {
                report_oversize(s, &sc);
            } else if (len > 0) {
                handle_line(s, buf, len); /* a last line without its newline */
            }
            break;
        }
        size_t scan_from = len;
        len += (size_t)got;
        size_t start = 0;
        for (size_t i = scan_from; i < len; i++) {
            if (buf[i] != '\n') {
                continue;
            }
            if (discarding) {
                id_scan_feed(&sc, buf + start, i - start);
                report_oversize(s, &sc);
                discarding = 0;
            } else {
                handle_line(s, buf + start, i - start);
            }
            start = i + 1;
        }
        if (start > 0) {
            memmove(buf, buf + start, len - start);
            len -= start;
        }
        if (len == s->max_message + 1 || (discarding && len > 0)) {
            /* No newline within the limit: drop the bytes, keep scanning
             * for the id until the line ends. */
            if (!discarding) {
                memset(&sc, 0, sizeof(sc));
                discarding = 1;
            }
            id_scan_feed(&sc, buf, len);
            len = 0;
        }
    }
    free(buf);
    return rc;
}

/* ------------------------------------------------------------------ */

int mcp_protect_stdout(void)
{
    fflush(stdout);
    int fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) {
        return -1;
    }
    if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (null < 0 || dup2(null, STDOUT_FILENO) < 0) {
            int e = errno;
            close(fd);
            if (null >= 0) {
                close(null);
            }
            errno = e;
            return -1;
        }
        close(null);
    }
    return fd;
}

int mcp_serve(const mcp_opts *o)
{
    if (o == NULL || o->in_fd < 0 || o->out_fd < 0) {
        return PPTAP_EINVAL;
    }
    server s = {.o = o};
    s.max_message = o->max_message != 0 ? o->max_message : MCP_DEFAULT_MAX_MESSAGE;
    s.page_size = o->page_size != 0 ? o->page_size : MCP_DEFAULT_PAGE_SIZE;
    if (s.max_message < MCP_MIN_MAX_MESSAGE || s.max_message > MCP_MAX_MAX_MESSAGE) {
        return PPTAP_EINVAL;
    }
    if (pipe2(s.wake, O_CLOEXEC) != 0) {
        return PPTAP_EIO;
    }
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.cv, NULL);
    pthread_mutex_init(&s.out_mu, NULL);

    struct sigaction sa, old_int, old_term, old_pipe;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    got_signal = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, &old_pipe);
    /* SIGINT and SIGTERM stay blocked but while the reader waits in
     * ppoll(), so a signal never slips between the check and the wait. */
    sigset_t block, prev;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &prev);
    s.poll_mask = prev;
    sigdelset(&s.poll_mask, SIGINT);
    sigdelset(&s.poll_mask, SIGTERM);
    pthread_t th;
    int started = pthread_create(&th, NULL, worker, &s) == 0;

    int rc = started ? read_loop(&s) : PPTAP_ENOMEM;

    pthread_mutex_lock(&s.mu);
    s.eof = 1;
    if (got_signal || rc != 0) {
        s.stop = 1;
    }
    pthread_cond_broadcast(&s.cv);
    pthread_mutex_unlock(&s.mu);
    if (started) {
        pthread_join(th, NULL);
    }
    while (s.head != NULL) {
        qitem *q = s.head;
        s.head = q->next;
        json_decref(q->msg);
        free(q);
    }
    if (rc == 0 && s.out_failed) {
        rc = PPTAP_EIO;
    }
    pthread_sigmask(SIG_SETMASK, &prev, NULL);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    pthread_mutex_destroy(&s.mu);
    pthread_cond_destroy(&s.cv);
    pthread_mutex_destroy(&s.out_mu);
    close(s.wake[0]);
    close(s.wake[1]);
    return rc;
}
