/*
 * stdout output: NDJSON on standard output, at least once (a window that
 * fails after its events were printed prints them again; the event_id in
 * each identifies the repeats).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "output.h"

static int stdout_open(collect_output *o, int64_t committed)
{
    (void)o;
    (void)committed;
    return 0;
}

static int stdout_write(collect_output *o, const collect_record *r)
{
    const char *line = r->line;
    size_t n = r->len;
    if (fwrite(line, 1, n, stdout) != n) {
        snprintf(o->error, sizeof(o->error), "standard output: %s", strerror(errno));
        o->errors++;
        return -1;
    }
    o->written++;
    return 0;
}

static int stdout_flush(collect_output *o, int64_t *position)
{
    *position = 0;
    if (fflush(stdout) != 0) {
        snprintf(o->error, sizeof(o->error), "standard output: %s", strerror(errno));
        o->errors++;
        return -1;
    }
    return 0;
}

static int stdout_committed(collect_output *o, int64_t *position, int *changed)
{
    (void)o;
    (void)position;
    *changed = 0;
    return 0;
}

static int stdout_rollback(collect_output *o)
{
    (void)o;
    return 0;
}

static void stdout_close(collect_output *o)
{
    (void)o;
    fflush(stdout);
}

const collect_output_type collect_out_stdout = {
    "stdout",
    "NDJSON on standard output, at least once",
    0,
    stdout_open,
    stdout_write,
    stdout_flush,
    stdout_committed,
    stdout_rollback,
    stdout_close,
};
