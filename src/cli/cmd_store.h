/*
 * The pptap commands that read the local store: search and stats.
 */
#ifndef PPTAP_CLI_CMD_STORE_H
#define PPTAP_CLI_CMD_STORE_H

#include <stdio.h>

#include <pptap/store.h>

int cmd_search(int argc, char **argv);
void cmd_search_usage(FILE *out);

int cmd_stats(int argc, char **argv);
void cmd_stats_usage(FILE *out);

/* Opens the store at `path` for reading (never creates it). On failure
 * prints why and returns the exit status: 66 when there is no store, 78 when
 * its mode or schema is refused, 74 otherwise. */
int cli_store_open(pptap_store **out, const char *path);

/* Parses a --from/--to value: an ISO 8601 date-time, a date (YYYY-MM-DD, at
 * 00:00 UTC), or a duration ("7d", "36h") meaning that long before now
 * ($PPTAP_NOW when set). Returns 0 or -1. */
int cli_store_time(pptap_time_ms *out, const char *s);

#endif
