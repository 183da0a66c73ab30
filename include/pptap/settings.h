/*
 * pptap — client settings and credentials from the environment, a config
 * file and a secret file, layered as defaults < config file < environment
 * < flags (the caller applies flags last by assigning fields).
 *
 * Secrets are never read from argv, never printed, and wiped with
 * explicit_bzero when replaced or disposed.
 *
 * Config file (INI; docs/configuration.md): keys outside any section or in
 * the [tap] section; other sections are ignored (they belong to other
 * parts of pptap). Keys: base_url, principal, secret, secret_file, proxy,
 * noproxy, cacert, insecure, timeout, connect_timeout. A file that holds a
 * secret (or any config file given here) must not be readable or writable
 * by group or others: it is refused otherwise (checked with fstat on the
 * opened descriptor).
 *
 * Environment: PPTAP_BASE_URL, PPTAP_PRINCIPAL, PPTAP_SECRET,
 * PPTAP_SECRET_FILE, PPTAP_PROXY, PPTAP_CACERT, PPTAP_INSECURE,
 * PPTAP_TIMEOUT, PPTAP_CONNECT_TIMEOUT. libcurl's own proxy variables
 * (https_proxy, no_proxy…) also work when no proxy is set.
 */
#ifndef PPTAP_SETTINGS_H
#define PPTAP_SETTINGS_H

#include <pptap/client.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Client settings with owned strings. Initialise with PPTAP_SETTINGS_INIT. */
typedef struct {
    char *base_url;               /* NULL = default */
    char *principal;              /* service principal */
    char *secret;                 /* service secret (wiped on dispose) */
    char *proxy;                  /* NULL = libcurl's environment */
    char *noproxy;                /* hosts bypassing the proxy */
    char *cacert;                 /* CA bundle path */
    int insecure;                 /* 1 = skip TLS verification */
    long timeout_ms;              /* 0 = default */
    long connect_timeout_ms;      /* 0 = default */
    char error[PPTAP_ERRMSG_LEN]; /* detail of the last failed call, "" otherwise */
} pptap_settings;

#define PPTAP_SETTINGS_INIT                                                                        \
    {                                                                                              \
        0                                                                                          \
    }

/**
 * Overlays the settings of the config file at `path`. Refuses (PPTAP_ECONFIG)
 * a file readable or writable by group or others, an unknown key in [tap],
 * or a bad value; PPTAP_EIO when it cannot be read (PPTAP_ENOTFOUND when it
 * does not exist). The detail is in s->error. `s` is unchanged on error.
 */
PPTAP_EXTERN int pptap_settings_load_file(pptap_settings *s, const char *path);

/**
 * Overlays the PPTAP_* environment variables listed above (PPTAP_SECRET_FILE
 * reads the secret file). Returns 0, PPTAP_ECONFIG on a bad value, or an error
 * of pptap_settings_load_secret_file(); detail in s->error.
 */
PPTAP_EXTERN int pptap_settings_load_env(pptap_settings *s);

/**
 * Sets the secret from a file holding only the secret (one trailing newline
 * is dropped). The file must not be accessible by group or others
 * (PPTAP_ECONFIG). Returns 0, PPTAP_ENOTFOUND, PPTAP_EIO, PPTAP_ECONFIG
 * (empty, too long, bad mode) or PPTAP_ENOMEM.
 */
PPTAP_EXTERN int pptap_settings_load_secret_file(pptap_settings *s, const char *path);

/**
 * Replaces one string setting (`*field` is a member of `s`) with a copy of
 * `value` (NULL clears it), wiping the old value. Use for flags. Returns 0
 * or PPTAP_ENOMEM.
 */
PPTAP_EXTERN int pptap_settings_set(pptap_settings *s, char **field, const char *value);

/**
 * Fills the transport and credential fields of `opts` from `s` (borrowed
 * pointers: `s` must outlive the pptap_client_new() call). Other fields of
 * `opts` are left as they are.
 */
PPTAP_EXTERN void pptap_settings_apply(const pptap_settings *s, pptap_client_opts *opts);

/** 1 when both a principal and a secret are set. */
PPTAP_EXTERN int pptap_settings_has_credentials(const pptap_settings *s);

/** Frees the strings of `s`, wiping the secret, and resets it. Accepts NULL. */
PPTAP_EXTERN void pptap_settings_dispose(pptap_settings *s);

#ifdef __cplusplus
}
#endif

#endif
