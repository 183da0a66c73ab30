/*
 * Building the API client for a command: settings layered as defaults <
 * config file < environment < flags, request traces for -v, the test clock
 * ($PPTAP_NOW), and the report of a failed call.
 */
#include <stdlib.h>
#include <string.h>

#include <pptap/store.h>

#include "cmd.h"

cli_globals cli_g = {.retries = -1};

static char base_url[1024] = PPTAP_DEFAULT_BASE_URL;
static int now_parsed;
static pptap_time_ms now_fixed = PPTAP_TIME_NONE;

/* $PPTAP_NOW: a fixed "now" so that runs against a simulator with a frozen
 * clock are deterministic. */
static pptap_time_ms fixed_now(void)
{
    if (!now_parsed) {
        now_parsed = 1;
        const char *v = getenv("PPTAP_NOW");
        pptap_time_ms t;
        if (v != NULL && *v != '\0') {
            if (pptap_time_parse(&t, v, strlen(v)) == 0) {
                now_fixed = t;
            } else {
                cli_err("ignoring PPTAP_NOW=\"%s\": not an ISO 8601 date-time", v);
            }
        }
    }
    return now_fixed;
}

const char *cli_base_url(void)
{
    return base_url;
}

pptap_time_ms cli_now(void)
{
    pptap_time_ms t = fixed_now();
    return t != PPTAP_TIME_NONE ? t : pptap_time_now();
}

static pptap_time_ms clock_cb(void *payload)
{
    (void)payload;
    return cli_now();
}

/* Prints the lines of a header block as "pptap: <prefix> line". */
static void trace_lines(const char *prefix, const char *text)
{
    while (text != NULL && *text != '\0') {
        const char *nl = strchr(text, '\n');
        size_t n = nl != NULL ? (size_t)(nl - text) : strlen(text);
        if (n > 0) {
            fprintf(stderr, "pptap: %s %.*s\n", prefix, (int)n, text);
        }
        text += n + (nl != NULL);
    }
}

/* --ledger: the collector's store, opened on the first request. */
static pptap_store *ledger_store;
static int ledger_failed;

static void ledger_close(void)
{
    pptap_store_close(ledger_store);
    ledger_store = NULL;
}

static const char *ledger_path(void)
{
    if (cli_g.ledger != NULL) {
        return cli_g.ledger;
    }
    const char *e = getenv("PPTAP_LEDGER");
    return e != NULL && *e != '\0' ? e : NULL;
}

/* Records one attempt in the ledger of the pool its path belongs to. */
static void ledger_record(const char *url)
{
    const char *path = url != NULL ? strstr(url, "/v2/") : NULL;
    const char *state = ledger_path();
    if (path == NULL || state == NULL || ledger_failed) {
        return;
    }
    pptap_pool pool = pptap_path_pool(path);
    if (pool == PPTAP_POOL_NONE) {
        return;
    }
    if (ledger_store == NULL) {
        char err[PPTAP_ERRMSG_LEN] = "";
        if (pptap_store_open(&ledger_store, state, NULL, err) != 0) {
            cli_err("--ledger %s: %s; requests are not recorded", state, err);
            ledger_failed = 1;
            return;
        }
        atexit(ledger_close);
    }
    const char *tenant = cli_g.tenant != NULL ? cli_g.tenant : "default";
    pptap_time_ms now = fixed_now() != PPTAP_TIME_NONE ? fixed_now() : pptap_time_now();
    if (pptap_store_ledger_add(ledger_store, tenant, pptap_pool_name(pool), now, 0) != 0) {
        cli_err("--ledger %s: %s", state, pptap_store_last_error(ledger_store));
    }
}

/* -v: one block per request and response; the library has already replaced
 * the credentials with "<redacted>". --ledger: every attempt is recorded. */
static void trace_cb(const pptap_trace *t, void *payload)
{
    (void)payload;
    if (t->kind == PPTAP_TRACE_REQUEST) {
        ledger_record(t->url);
    }
    if (!cli_g.verbose) {
        return;
    }
    switch (t->kind) {
    case PPTAP_TRACE_REQUEST:
        fprintf(stderr, "pptap: > %s %s (attempt %d)\n", t->method, t->url, t->attempt);
        trace_lines(">", t->headers);
        break;
    case PPTAP_TRACE_RESPONSE:
        fprintf(stderr, "pptap: < HTTP %ld after %lld ms\n", t->status, (long long)t->elapsed_ms);
        trace_lines("<", t->headers);
        break;
    case PPTAP_TRACE_RETRY:
        fprintf(stderr, "pptap: attempt %d failed after %lld ms: %s; retrying in %lld ms\n",
                t->attempt, (long long)t->elapsed_ms, t->message, (long long)t->retry_in_ms);
        break;
    case PPTAP_TRACE_ERROR:
        fprintf(stderr, "pptap: attempt %d failed after %lld ms: %s; giving up\n", t->attempt,
                (long long)t->elapsed_ms, t->message);
        break;
    }
}

static const char how_to_credentials[] =
    "no TAP credentials: set PPTAP_PRINCIPAL and PPTAP_SECRET (or PPTAP_SECRET_FILE) in the "
    "environment, or give a config file with 'principal' and 'secret' or 'secret_file' "
    "(--config FILE or PPTAP_CONFIG); create the credential in the TAP dashboard under "
    "Settings > Connected Applications. See docs/configuration.md and pptap(1). To talk to a "
    "simulator without credentials, give its URL with --base-url or PPTAP_BASE_URL";

int cli_client_open_msg(pptap_client **out, char *msg, size_t msglen)
{
    pptap_settings s = PPTAP_SETTINGS_INIT;
    int rc = 0;
    if (msglen > 0) {
        msg[0] = '\0';
    }
    const char *config = cli_g.config;
    if (config == NULL) {
        const char *e = getenv("PPTAP_CONFIG");
        config = e != NULL && *e != '\0' ? e : NULL;
    }
    if (config != NULL && (rc = pptap_settings_load_file(&s, config)) != 0) {
        snprintf(msg, msglen, "%s", s.error);
        rc = rc == PPTAP_ENOMEM ? EXIT_SOFTWARE : cli_exit_code(PPTAP_ECONFIG);
        goto out;
    }
    if ((rc = pptap_settings_load_env(&s)) != 0) {
        snprintf(msg, msglen, "%s", s.error);
        rc = rc == PPTAP_ENOMEM ? EXIT_SOFTWARE : cli_exit_code(PPTAP_ECONFIG);
        goto out;
    }
    if (cli_g.secret_file != NULL &&
        (rc = pptap_settings_load_secret_file(&s, cli_g.secret_file)) != 0) {
        snprintf(msg, msglen, "%s", s.error);
        rc = rc == PPTAP_ENOMEM ? EXIT_SOFTWARE : cli_exit_code(PPTAP_ECONFIG);
        goto out;
    }
    if ((cli_g.base_url != NULL && pptap_settings_set(&s, &s.base_url, cli_g.base_url) != 0) ||
        (cli_g.proxy != NULL && pptap_settings_set(&s, &s.proxy, cli_g.proxy) != 0) ||
        (cli_g.cacert != NULL && pptap_settings_set(&s, &s.cacert, cli_g.cacert) != 0)) {
        snprintf(msg, msglen, "out of memory");
        rc = EXIT_SOFTWARE;
        goto out;
    }
    if (cli_g.insecure) {
        s.insecure = 1;
    }
    if (cli_g.timeout_ms > 0) {
        s.timeout_ms = cli_g.timeout_ms;
    }
    int has_principal = s.principal != NULL && *s.principal;
    int has_secret = s.secret != NULL && *s.secret;
    if (has_principal != has_secret) {
        snprintf(msg, msglen, "%s is set but not the %s: give both (see docs/configuration.md)",
                 has_principal ? "the service principal" : "the service secret",
                 has_principal ? "secret" : "principal");
        rc = cli_exit_code(PPTAP_ECONFIG);
        goto out;
    }
    if (!has_principal && s.base_url == NULL) {
        snprintf(msg, msglen, "%s", how_to_credentials);
        rc = cli_exit_code(PPTAP_ECONFIG);
        goto out;
    }
    if (s.insecure) {
        cli_err("WARNING: TLS certificate verification is OFF (--insecure / insecure): anyone on "
                "the path can read the credentials and forge answers; use --cacert instead");
    }
    if (s.base_url != NULL) {
        snprintf(base_url, sizeof base_url, "%s", s.base_url);
    }
    pptap_client_opts o = PPTAP_CLIENT_OPTS_INIT;
    pptap_settings_apply(&s, &o);
    if (cli_g.retries >= 0) {
        o.max_attempts = cli_g.retries + 1;
    }
    if (cli_g.verbose || ledger_path() != NULL) {
        o.trace = trace_cb;
    }
    if (fixed_now() != PPTAP_TIME_NONE) {
        o.clock = clock_cb;
    }
    rc = pptap_client_new(out, &o);
    if (rc != 0) {
        snprintf(msg, msglen, "cannot set up the API client: %s", pptap_strerror(rc));
        rc = rc == PPTAP_ENOMEM ? EXIT_SOFTWARE : cli_exit_code(PPTAP_ECONFIG);
    }
out:
    pptap_settings_dispose(&s);
    return rc;
}

int cli_client_open(pptap_client **out)
{
    char msg[1024];
    int rc = cli_client_open_msg(out, msg, sizeof msg);
    if (rc != 0) {
        cli_err("%s", msg);
    }
    return rc;
}

int cli_api_error(const pptap_client *c, int err)
{
    const char *m = pptap_client_last_error(c);
    cli_err("%s", m[0] != '\0' ? m : pptap_strerror(err));
    return cli_exit_code(err);
}
