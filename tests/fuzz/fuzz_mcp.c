/*
 * The MCP server on arbitrary input: the bytes are the client's side of the
 * stdio stream (lines of JSON-RPC, batches, garbage, over-long lines). The
 * server runs without an API client or store, with a 1 KiB message cap and
 * two tools a page. Oracle: it returns, and everything it wrote is lines of
 * JSON-RPC 2.0 responses (objects with an id and exactly one of result and
 * error, or arrays of them).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <jansson.h>

#include "mcp.h"

static int is_response(const json_t *m)
{
    if (!json_is_object(m) || json_object_get(m, "id") == NULL) {
        return 0;
    }
    const char *v = json_string_value(json_object_get(m, "jsonrpc"));
    int has_result = json_object_get(m, "result") != NULL;
    int has_error = json_object_get(m, "error") != NULL;
    return v != NULL && strcmp(v, "2.0") == 0 && has_result != has_error;
}

static void check_output(int fd)
{
    off_t n = lseek(fd, 0, SEEK_END);
    if (n <= 0) {
        return;
    }
    char *buf = malloc((size_t)n);
    if (buf == NULL || pread(fd, buf, (size_t)n, 0) != n) {
        abort();
    }
    if (buf[n - 1] != '\n') {
        abort(); /* every message ends its line */
    }
    char *p = buf, *end = buf + n;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        json_t *m = json_loadb(p, (size_t)(nl - p), 0, NULL);
        if (m == NULL) {
            abort();
        }
        if (json_is_array(m)) {
            size_t i;
            json_t *it;
            if (json_array_size(m) == 0) {
                abort();
            }
            json_array_foreach(m, i, it)
            {
                if (!is_response(it)) {
                    abort();
                }
            }
        } else if (!is_response(m)) {
            abort();
        }
        json_decref(m);
        p = nl + 1;
    }
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 60000) {
        return 0; /* the whole input must fit in the pipe before serving */
    }
    int in[2];
    if (pipe(in) != 0) {
        abort();
    }
    if (size > 0 && write(in[1], data, size) != (ssize_t)size) {
        abort();
    }
    close(in[1]);
    int out = memfd_create("mcp-out", MFD_CLOEXEC);
    if (out < 0) {
        abort();
    }
    actions_env env = {0};
    env.client_error = "no API client in the fuzzer";
    mcp_opts o = {.in_fd = in[0], .out_fd = out, .max_message = 1024, .page_size = 2, .env = &env};
    if (mcp_serve(&o) != 0) {
        abort();
    }
    check_output(out);
    close(in[0]);
    close(out);
    return 0;
}
