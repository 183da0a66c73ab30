/*
 * MCP (Model Context Protocol) server over stdio: JSON-RPC 2.0 messages, one
 * per line, that expose every action of actions.h as a tool.
 *
 * Methods: initialize, ping, tools/list, tools/call; notifications
 * notifications/initialized and notifications/cancelled. Protocol revisions
 * 2025-11-25, 2025-06-18, 2025-03-26 and 2024-11-05 are negotiated; the
 * answer to a request follows the revision the client chose (batches only
 * before 2025-06-18, structuredContent, titles and output schemas from
 * 2025-06-18 on, invalid tool arguments as a tool execution error from
 * 2025-11-25 on and as a JSON-RPC -32602 error before).
 *
 * The output descriptor carries protocol messages only; a server moves
 * whatever else the process writes to standard output onto standard error
 * (see mcp_protect_stdout()).
 */
#ifndef PPTAP_MCP_H
#define PPTAP_MCP_H

#include <stddef.h>

#include <jansson.h>

#include "actions.h"

/* JSON-RPC 2.0 error codes. */
enum {
    MCP_PARSE_ERROR = -32700,
    MCP_INVALID_REQUEST = -32600,
    MCP_METHOD_NOT_FOUND = -32601,
    MCP_INVALID_PARAMS = -32602,
    MCP_INTERNAL_ERROR = -32603,
};

#define MCP_DEFAULT_MAX_MESSAGE (4u << 20) /* bytes of one incoming line */
#define MCP_MIN_MAX_MESSAGE 1024u
#define MCP_MAX_MAX_MESSAGE (256u << 20)
#define MCP_DEFAULT_PAGE_SIZE 100u

/* The protocol revisions the server speaks, newest first (NULL-terminated). */
extern const char *const mcp_protocol_versions[];

typedef struct {
    int in_fd;              /* where requests arrive (stdin) */
    int out_fd;             /* where responses go; nothing else is written there */
    size_t max_message;     /* longest accepted line; 0: MCP_DEFAULT_MAX_MESSAGE */
    size_t page_size;       /* tools per tools/list page; 0: MCP_DEFAULT_PAGE_SIZE */
    const actions_env *env; /* what the actions may use; borrowed */
    const char *version;    /* serverInfo.version; NULL: PPTAP_VERSION */
    int verbose;            /* log each message's method and outcome on stderr */
} mcp_opts;

/* Serves until end of input (after answering every request read), SIGINT or
 * SIGTERM (after the request in progress). Requests run one at a time in
 * order; ping and notifications/cancelled are handled while a tool runs.
 * Returns 0, or PPTAP_EIO when the output could not be written, PPTAP_ENOMEM
 * or PPTAP_EINVAL (bad options). Diagnostics go to stderr as "pptap: ...". */
int mcp_serve(const mcp_opts *opts);

/* Makes standard output safe for a protocol stream: returns a new descriptor
 * on the original standard output (for mcp_opts.out_fd) and points
 * descriptor 1 at standard error, so that anything else the process writes
 * to stdout lands on stderr. Returns -1 with errno on failure. */
int mcp_protect_stdout(void);

/* The result of a tools/call for an action result (content, structuredContent,
 * isError) in protocol revision `version`. New reference; NULL when out of
 * memory. */
json_t *mcp_tool_result(const json_t *action_result, const char *version);

/* The tools/list entry of an action in protocol revision `version`. New
 * reference; NULL when out of memory or when the action has no schema. */
json_t *mcp_tool_entry(const action_def *a, const char *version);

#endif
