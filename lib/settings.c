/*
 * Client settings from a config file (INI, mode checked with fstat on the
 * opened descriptor), the PPTAP_* environment and a secret file. Secrets
 * are wiped when replaced or disposed and never appear in messages.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pptap/settings.h>

#include "internal.h"

#define FILE_CAP (1024 * 1024)
#define SECRET_CAP 4096

static void wipe_str(char **p)
{
    if (*p != NULL) {
        explicit_bzero(*p, strlen(*p));
        pptap__free(*p);
        *p = NULL;
    }
}

int pptap_settings_set(pptap_settings *s, char **field, const char *value)
{
    char *d = NULL;
    if (value != NULL) {
        d = pptap__strndup(value, strlen(value));
        if (d == NULL) {
            return PPTAP_ENOMEM;
        }
    }
    (void)s;
    wipe_str(field);
    *field = d;
    return 0;
}

void pptap_settings_dispose(pptap_settings *s)
{
    if (s == NULL) {
        return;
    }
    wipe_str(&s->base_url);
    wipe_str(&s->principal);
    wipe_str(&s->secret);
    wipe_str(&s->proxy);
    wipe_str(&s->noproxy);
    wipe_str(&s->cacert);
    memset(s, 0, sizeof *s);
}

int pptap_settings_has_credentials(const pptap_settings *s)
{
    return s->principal != NULL && *s->principal && s->secret != NULL && *s->secret;
}

void pptap_settings_apply(const pptap_settings *s, pptap_client_opts *o)
{
    o->base_url = s->base_url;
    o->principal = s->principal;
    o->secret = s->secret;
    o->proxy = s->proxy;
    o->noproxy = s->noproxy;
    o->cacert = s->cacert;
    o->insecure = s->insecure;
    if (s->timeout_ms > 0) {
        o->timeout_ms = s->timeout_ms;
    }
    if (s->connect_timeout_ms > 0) {
        o->connect_timeout_ms = s->connect_timeout_ms;
    }
}

static int seterr(pptap_settings *s, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int seterr(pptap_settings *s, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->error, sizeof s->error, fmt, ap);
    va_end(ap);
    return err;
}

/* Reads a private file (no group/other access) of at most `cap` bytes. */
static int read_private(pptap_settings *s, const char *path, const char *what, size_t cap,
                        pptap_buf *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        int e = errno;
        return seterr(s, e == ENOENT ? PPTAP_ENOTFOUND : PPTAP_EIO, "cannot open %s \"%s\": %s",
                      what, path, strerror(e));
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0) {
        rc = seterr(s, PPTAP_EIO, "cannot stat %s \"%s\": %s", what, path, strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        rc = seterr(s, PPTAP_ECONFIG, "%s \"%s\" is not a regular file", what, path);
    } else if (st.st_mode & 077) {
        rc = seterr(s, PPTAP_ECONFIG,
                    "%s \"%s\" is accessible by group or others (mode %04o); "
                    "run: chmod 600 \"%s\"",
                    what, path, (unsigned)(st.st_mode & 07777), path);
    } else if ((size_t)st.st_size > cap) {
        rc = seterr(s, PPTAP_ECONFIG, "%s \"%s\" is larger than %zu bytes", what, path, cap);
    }
    if (rc == 0 && out->ptr == NULL) {
        /* size the buffer once so no partial copy of a secret is left behind by a
         * reallocation */
        out->cap = (size_t)st.st_size + 4097;
        out->ptr = pptap__malloc(out->cap);
        if (out->ptr == NULL) {
            out->cap = 0;
            rc = seterr(s, PPTAP_ENOMEM, "out of memory");
        } else {
            out->ptr[0] = '\0';
        }
    }
    while (rc == 0) {
        char tmp[4096];
        ssize_t n = read(fd, tmp, sizeof tmp);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            rc = seterr(s, PPTAP_EIO, "cannot read %s \"%s\": %s", what, path, strerror(errno));
        } else if (n == 0) {
            break;
        } else if (out->len + (size_t)n > cap) {
            rc = seterr(s, PPTAP_ECONFIG, "%s \"%s\" is larger than %zu bytes", what, path, cap);
        } else if (pptap_buf_put(out, tmp, (size_t)n) != 0) {
            rc = seterr(s, PPTAP_ENOMEM, "out of memory");
        }
        explicit_bzero(tmp, sizeof tmp);
    }
    close(fd);
    if (rc == 0 && out->ptr == NULL && pptap_buf_put(out, "", 0) != 0) {
        rc = seterr(s, PPTAP_ENOMEM, "out of memory");
    }
    return rc;
}

static void wipe_buf(pptap_buf *b)
{
    if (b->ptr != NULL) {
        explicit_bzero(b->ptr, b->cap);
    }
    pptap_buf_dispose(b);
}

int pptap_settings_load_secret_file(pptap_settings *s, const char *path)
{
    pptap_buf b = PPTAP_BUF_INIT;
    s->error[0] = '\0';
    int rc = read_private(s, path, "secret file", SECRET_CAP, &b);
    if (rc == 0) {
        size_t n = b.len;
        if (n > 0 && b.ptr[n - 1] == '\n') {
            n--;
        }
        if (n > 0 && b.ptr[n - 1] == '\r') {
            n--;
        }
        b.ptr[n] = '\0';
        if (n == 0) {
            rc = seterr(s, PPTAP_ECONFIG, "secret file \"%s\" is empty", path);
        } else if (memchr(b.ptr, '\n', n) != NULL || strlen(b.ptr) != n) {
            rc = seterr(s, PPTAP_ECONFIG, "secret file \"%s\" must hold only the secret", path);
        } else {
            rc = pptap_settings_set(s, &s->secret, b.ptr);
        }
    }
    wipe_buf(&b);
    return rc;
}

static int parse_bool(const char *v, int *out)
{
    if (!strcasecmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
        !strcasecmp(v, "on")) {
        *out = 1;
        return 0;
    }
    if (!strcasecmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no") ||
        !strcasecmp(v, "off")) {
        *out = 0;
        return 0;
    }
    return -1;
}

/* A timeout: plain seconds ("30") or a human duration ("90s", "2m"). */
static int parse_timeout(const char *v, long *out)
{
    int64_t ms;
    char *end;
    long long secs = strtoll(v, &end, 10);
    if (*v != '\0' && *end == '\0') {
        ms = secs * 1000;
    } else if (pptap_duration_parse_human(&ms, v) != 0) {
        return -1;
    }
    if (ms <= 0 || ms > 24LL * 3600 * 1000) {
        return -1;
    }
    *out = (long)ms;
    return 0;
}

/* Settings loaded into a scratch copy: fields set are non-NULL / >= 0. */
typedef struct {
    pptap_settings v;
    int insecure_set;
} scratch;

static int set_key(pptap_settings *dst, scratch *t, const char *origin, const char *key,
                   const char *val)
{
    char **field = NULL;
    if (!strcmp(key, "base_url")) {
        field = &t->v.base_url;
    } else if (!strcmp(key, "principal")) {
        field = &t->v.principal;
    } else if (!strcmp(key, "secret")) {
        field = &t->v.secret;
    } else if (!strcmp(key, "proxy")) {
        field = &t->v.proxy;
    } else if (!strcmp(key, "noproxy")) {
        field = &t->v.noproxy;
    } else if (!strcmp(key, "cacert")) {
        field = &t->v.cacert;
    } else if (!strcmp(key, "secret_file")) {
        int rc = pptap_settings_load_secret_file(&t->v, val);
        if (rc != 0) {
            return seterr(dst, rc, "%s", t->v.error);
        }
        return 0;
    } else if (!strcmp(key, "insecure")) {
        if (parse_bool(val, &t->v.insecure) != 0) {
            return seterr(dst, PPTAP_ECONFIG, "%s: insecure must be true or false, not \"%s\"",
                          origin, val);
        }
        t->insecure_set = 1;
        return 0;
    } else if (!strcmp(key, "timeout") || !strcmp(key, "connect_timeout")) {
        long *f = key[0] == 't' ? &t->v.timeout_ms : &t->v.connect_timeout_ms;
        if (parse_timeout(val, f) != 0) {
            return seterr(dst, PPTAP_ECONFIG,
                          "%s: %s must be a duration such as 30 or 90s (at most 1 d), not \"%s\"",
                          origin, key, val);
        }
        return 0;
    } else {
        return seterr(dst, PPTAP_ECONFIG, "%s: unknown key \"%s\"", origin, key);
    }
    if (!strcmp(key, "base_url") && strncmp(val, "https://", 8) != 0 &&
        strncmp(val, "http://", 7) != 0) {
        return seterr(dst, PPTAP_ECONFIG, "%s: base_url must start with https:// or http://",
                      origin);
    }
    if (pptap_settings_set(&t->v, field, *val ? val : NULL) != 0) {
        return seterr(dst, PPTAP_ENOMEM, "out of memory");
    }
    return 0;
}

static int take(char **dst, char **src)
{
    if (*src != NULL) {
        wipe_str(dst);
        *dst = *src;
        *src = NULL;
    }
    return 0;
}

static void merge(pptap_settings *s, scratch *t)
{
    take(&s->base_url, &t->v.base_url);
    take(&s->principal, &t->v.principal);
    take(&s->secret, &t->v.secret);
    take(&s->proxy, &t->v.proxy);
    take(&s->noproxy, &t->v.noproxy);
    take(&s->cacert, &t->v.cacert);
    if (t->insecure_set) {
        s->insecure = t->v.insecure;
    }
    if (t->v.timeout_ms > 0) {
        s->timeout_ms = t->v.timeout_ms;
    }
    if (t->v.connect_timeout_ms > 0) {
        s->connect_timeout_ms = t->v.connect_timeout_ms;
    }
}

static char *strip(char *p)
{
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    size_t n = strlen(p);
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r')) {
        p[--n] = '\0';
    }
    return p;
}

int pptap_settings_load_file(pptap_settings *s, const char *path)
{
    pptap_buf b = PPTAP_BUF_INIT;
    scratch t;
    memset(&t, 0, sizeof t);
    s->error[0] = '\0';
    int rc = read_private(s, path, "config file", FILE_CAP, &b);
    if (rc != 0) {
        wipe_buf(&b);
        return rc;
    }
    int in_tap = 1; /* top level counts as [tap] */
    unsigned lineno = 0;
    char *line = b.ptr;
    while (rc == 0 && line != NULL && *line != '\0') {
        char *nl = strchr(line, '\n');
        if (nl != NULL) {
            *nl = '\0';
        }
        lineno++;
        char origin[300];
        snprintf(origin, sizeof origin, "%.250s:%u", path, lineno);
        char *p = strip(line);
        if (*p == '\0' || *p == '#' || *p == ';') {
            /* blank or comment */
        } else if (*p == '[') {
            char *e = strchr(p, ']');
            if (e == NULL || *strip(e + 1) != '\0') {
                rc = seterr(s, PPTAP_ECONFIG, "%s: bad section header", origin);
            } else {
                *e = '\0';
                in_tap = strcmp(strip(p + 1), "tap") == 0;
            }
        } else if (in_tap) {
            char *eq = strchr(p, '=');
            if (eq == NULL) {
                rc = seterr(s, PPTAP_ECONFIG, "%s: expected key = value", origin);
            } else {
                *eq = '\0';
                char *key = strip(p);
                char *val = strip(eq + 1);
                size_t vl = strlen(val);
                if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
                    val[vl - 1] = '\0';
                    val++;
                }
                rc = set_key(s, &t, origin, key, val);
            }
        }
        line = nl != NULL ? nl + 1 : NULL;
    }
    if (rc == 0) {
        merge(s, &t);
    }
    pptap_settings_dispose(&t.v);
    wipe_buf(&b);
    return rc;
}

int pptap_settings_load_env(pptap_settings *s)
{
    static const struct {
        const char *env;
        const char *key;
    } vars[] = {
        {"PPTAP_BASE_URL", "base_url"},
        {"PPTAP_PRINCIPAL", "principal"},
        {"PPTAP_SECRET", "secret"},
        {"PPTAP_SECRET_FILE", "secret_file"},
        {"PPTAP_PROXY", "proxy"},
        {"PPTAP_CACERT", "cacert"},
        {"PPTAP_INSECURE", "insecure"},
        {"PPTAP_TIMEOUT", "timeout"},
        {"PPTAP_CONNECT_TIMEOUT", "connect_timeout"},
    };
    scratch t;
    memset(&t, 0, sizeof t);
    s->error[0] = '\0';
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i].env);
        if (v == NULL || *v == '\0') {
            continue;
        }
        /* PPTAP_SECRET wins over PPTAP_SECRET_FILE when both are set */
        if (!strcmp(vars[i].key, "secret_file") && getenv("PPTAP_SECRET") != NULL &&
            *getenv("PPTAP_SECRET") != '\0') {
            continue;
        }
        rc = set_key(s, &t, vars[i].env, vars[i].key, v);
    }
    if (rc == 0) {
        merge(s, &t);
    }
    pptap_settings_dispose(&t.v);
    return rc;
}
