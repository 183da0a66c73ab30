/*
 * The collector engine: runs the planner for every tenant, fetches windows,
 * stores and delivers their events, and commits each window's checkpoint
 * after every output acknowledged it.
 */
#ifndef PPTAP_COLLECT_ENGINE_H
#define PPTAP_COLLECT_ENGINE_H

#include <signal.h>
#include <stdio.h>

#include "config.h"

typedef struct {
    int once;                    /* catch up to the present, then return */
    int verbose;                 /* debug log lines */
    volatile sig_atomic_t *stop; /* set by SIGTERM/SIGINT: finish the window, then return */
} collect_run_opts;

/* Runs the collector on a validated configuration. Returns 0, or a PPTAP_E*
 * code after logging why (ECONFIG: bad secret reference; EIO: the store or an
 * output failed; EAUTH/ERATELIMIT with --once when a tenant could not catch
 * up). */
int collect_run(const conf *cf, const collect_run_opts *o);

/* Prints what the configuration costs a day per tenant and throttle pool. */
void collect_print_plan(const conf *cf, FILE *out);

#endif
