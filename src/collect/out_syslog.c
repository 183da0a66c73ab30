/*
 * syslog output: RFC 5424 messages over UDP (one datagram per event), TCP
 * with octet-counting framing (RFC 6587 3.4.1) or TLS (RFC 5425), at least
 * once.
 *
 *   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID
 *       [pptap@32473 event_id="…" type="…" tenant="…"] MSG
 *
 * PRI is the facility and a severity from the event's type and
 * classification (collect_syslog__severity), TIMESTAMP the event's time,
 * MSGID its type, MSG the event in the output's format. The event_id in
 * the structured data lets a receiver drop the repeats of at-least-once
 * delivery.
 *
 * Delivery (TCP, TLS). Syslog has no acknowledgement, so flush() takes as
 * delivered what the receiver's TCP stack acknowledged (the socket's send
 * queue is empty) over a connection that is still open. Until then the
 * window's messages stay in a buffer (at most WIN_MAX bytes): when the
 * connection breaks, the output reconnects (retries, capped exponential
 * backoff with jitter) and sends the window again from its start. A window
 * larger than the buffer is sent as it goes; if its connection breaks after
 * the buffer was reused, flush() fails and the engine collects the window
 * again. Either way an event arrives at least once, and repeats carry the
 * same event_id.
 *
 * UDP has no delivery guarantee at all: flush() fails only when the kernel
 * reported the receiver unreachable (ICMP port unreachable). A message
 * larger than the largest datagram is not sent: it goes to the store's
 * quarantine (o->reject) and counts as rejected.
 *
 * TLS uses OpenSSL directly rather than libcurl's CONNECT_ONLY mode: the
 * output needs non-blocking writes under its own deadlines, the socket's
 * send queue and peer-close checks, which curl_easy_send() hides. The
 * receiver's certificate is verified against cacert (default: the system's
 * store) and its name or IP address against the host of `address`.
 *
 * The collector ignores SIGPIPE (cmd_collect.c); plain sends also use
 * MSG_NOSIGNAL.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "out_syslog.h"

#define WIN_MAX (4u * 1024u * 1024u) /* window bytes kept for a resend */
#define SEND_BATCH (64u * 1024u)     /* unsent bytes that trigger a send */
#define BACKOFF_FIRST_MS 250
#define BACKOFF_MAX_MS 30000

enum { T_UDP, T_TCP, T_TLS };

typedef struct {
    int transport;
    char host[256];
    char port[32];
    char where[300]; /* "host:port" for messages */
    char hostname[256];
    char procid[16];
    collect_syslog_header hdr;
    int64_t timeout_ms;
    int retries;
    SSL_CTX *ctx;
    /* the connection */
    int fd;
    SSL *ssl;
    /* the window: framed messages written since the last flush */
    pptap_buf win;
    size_t sent;    /* bytes of win sent on the current connection */
    int64_t events; /* events written since the last flush */
    int replayable; /* win holds every message since the last flush */
    int lost;       /* a connection broke after part of this window was sent */
    pptap_buf msg;  /* the message being formatted */
} syslog_state;

/* ------------------------------------------------------------------------- */
/* Messages */

int collect_syslog__facility(const char *name)
{
    static const char *const names[] = {
        "kern",   "user",   "mail",     "daemon", "auth",   "syslog", "lpr",    "news",
        "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "audit",  "alert",  "clock",
        "local0", "local1", "local2",   "local3", "local4", "local5", "local6", "local7",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (name != NULL && strcmp(name, names[i]) == 0) {
            return (int)i;
        }
    }
    return -1;
}

int collect_syslog__severity(pptap_event_type type, const char *classification)
{
    int base;
    switch (type) {
    case PPTAP_EVENT_CLICKS_PERMITTED:
        base = 2; /* crit: a user reached a threat */
        break;
    case PPTAP_EVENT_MESSAGES_DELIVERED:
        base = 3; /* err: a threat reached a mailbox */
        break;
    case PPTAP_EVENT_CLICKS_BLOCKED:
        base = 4; /* warning: a user tried, TAP stopped it */
        break;
    case PPTAP_EVENT_MESSAGES_BLOCKED:
        base = 5; /* notice: stopped before delivery */
        break;
    default:
        return 4; /* warning: a gap record, time that cannot be collected */
    }
    /* Spam is one step less severe than malware, phishing or impostors. */
    if (classification != NULL && strcasecmp(classification, "spam") == 0) {
        base++;
    }
    return base;
}

int collect_syslog__valid_field(const char *s, size_t max)
{
    size_t n = 0;
    if (s == NULL || s[0] == '\0') {
        return 0;
    }
    for (; s[n] != '\0'; n++) {
        unsigned char c = (unsigned char)s[n];
        if (c < 33 || c > 126 || n >= max) {
            return 0;
        }
    }
    return 1;
}

static int put(pptap_buf *b, const char *s)
{
    return pptap_buf_put(b, s, strlen(s));
}

/* A header field, or "-" when there is none. */
static int put_field(pptap_buf *b, const char *s)
{
    return put(b, s != NULL && s[0] != '\0' ? s : "-");
}

/* An SD-PARAM: NAME="VALUE" with '"', '\' and ']' escaped by '\'. */
static int put_param(pptap_buf *b, const char *name, const char *value)
{
    if (put(b, " ") != 0 || put(b, name) != 0 || put(b, "=\"") != 0) {
        return PPTAP_ENOMEM;
    }
    const char *p = value != NULL ? value : "";
    while (*p != '\0') {
        size_t run = strcspn(p, "\"\\]");
        if (pptap_buf_put(b, p, run) != 0) {
            return PPTAP_ENOMEM;
        }
        p += run;
        if (*p != '\0') {
            char esc[2] = {'\\', *p};
            if (pptap_buf_put(b, esc, 2) != 0) {
                return PPTAP_ENOMEM;
            }
            p++;
        }
    }
    return put(b, "\"");
}

int collect_syslog__format(pptap_buf *b, const collect_syslog_header *h, const collect_record *r,
                           pptap_time_ms now)
{
    int sev = collect_syslog__severity(r->type, r->classification);
    char head[16];
    snprintf(head, sizeof(head), "<%d>1 ", h->facility * 8 + sev);
    char ts[PPTAP_TIME_STRLEN];
    pptap_time_format_ms(ts, r->time != PPTAP_TIME_NONE ? r->time : now);
    const char *type =
        (unsigned)r->type < PPTAP_EVENT_COUNT_ ? pptap_event_type_name(r->type) : "gap";
    size_t len = r->len;
    if (len > 0 && r->line[len - 1] == '\n') {
        len--;
    }
    int utf8 = 0;
    for (size_t i = 0; i < len && !utf8; i++) {
        utf8 = (unsigned char)r->line[i] > 127;
    }
    if (put(b, head) != 0 || put(b, ts) != 0 || put(b, " ") != 0 || put_field(b, h->hostname) ||
        put(b, " ") != 0 || put_field(b, h->app_name) != 0 || put(b, " ") != 0 ||
        put_field(b, h->procid) != 0 || put(b, " ") != 0 || put(b, type) != 0 ||
        put(b, " [" COLLECT_SYSLOG_SD_ID) != 0 || put_param(b, "event_id", r->event_id) != 0 ||
        put_param(b, "type", type) != 0 || put_param(b, "tenant", r->tenant) != 0 ||
        put(b, "]") != 0) {
        return PPTAP_ENOMEM;
    }
    if (len > 0 && (put(b, " ") != 0 || (utf8 && put(b, "\xEF\xBB\xBF") != 0) ||
                    pptap_buf_put(b, r->line, len) != 0)) {
        return PPTAP_ENOMEM;
    }
    return 0;
}

int collect_syslog__frame(pptap_buf *b, const char *msg, size_t len)
{
    char prefix[32];
    int n = snprintf(prefix, sizeof(prefix), "%zu ", len);
    if (pptap_buf_put(b, prefix, (size_t)n) != 0 || pptap_buf_put(b, msg, len) != 0) {
        return PPTAP_ENOMEM;
    }
    return 0;
}

int collect_syslog__split_address(char *host, size_t host_size, char *port, size_t port_size,
                                  const char *address, const char *default_port, char *err,
                                  size_t err_size)
{
    const char *h = address, *p = NULL;
    size_t hl;
    if (address == NULL || address[0] == '\0') {
        snprintf(err, err_size, "address is empty (HOST:PORT or [IPV6]:PORT)");
        return -1;
    }
    if (address[0] == '[') {
        const char *close = strchr(address, ']');
        if (close == NULL || close == address + 1 || (close[1] != '\0' && close[1] != ':')) {
            snprintf(err, err_size, "address \"%s\": write IPv6 addresses as [ADDRESS]:PORT",
                     address);
            return -1;
        }
        h = address + 1;
        hl = (size_t)(close - h);
        p = close[1] == ':' ? close + 2 : NULL;
    } else {
        const char *colon = strchr(address, ':');
        if (colon != NULL && strchr(colon + 1, ':') != NULL) {
            snprintf(err, err_size, "address \"%s\": write IPv6 addresses as [ADDRESS]:PORT",
                     address);
            return -1;
        }
        hl = colon != NULL ? (size_t)(colon - address) : strlen(address);
        p = colon != NULL ? colon + 1 : NULL;
    }
    if (p == NULL) {
        p = default_port;
    }
    char *end = NULL;
    long pn = strtol(p, &end, 10);
    if (hl == 0 || hl >= host_size || p[0] == '\0' || *end != '\0' || pn < 1 || pn > 65535 ||
        strlen(p) >= port_size) {
        snprintf(err, err_size, "address \"%s\": expected HOST:PORT or [IPV6]:PORT", address);
        return -1;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    snprintf(port, port_size, "%ld", pn);
    return 0;
}

/* ------------------------------------------------------------------------- */
/* Errors and time */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail(collect_output *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sets o->error; returns -1. */
static int fail(collect_output *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->error, sizeof(o->error), fmt, ap);
    va_end(ap);
    return -1;
}

/* The first OpenSSL error, or the system's. */
static const char *tls_reason(char *buf, size_t n, int sys_errno)
{
    unsigned long e = ERR_get_error();
    if (e != 0) {
        ERR_error_string_n(e, buf, n);
        ERR_clear_error();
    } else if (sys_errno != 0) {
        snprintf(buf, n, "%s", strerror(sys_errno));
    } else {
        snprintf(buf, n, "connection closed by the receiver");
    }
    return buf;
}

/* Sleeps before attempt number `attempt` (1, 2, …): BACKOFF_FIRST_MS
 * doubling up to BACKOFF_MAX_MS, of which a random half. Returns -1 when a
 * signal interrupted it (the collector is stopping). */
static int backoff(int attempt)
{
    int64_t d = BACKOFF_FIRST_MS;
    for (int i = 1; i < attempt && d < BACKOFF_MAX_MS; i++) {
        d *= 2;
    }
    if (d > BACKOFF_MAX_MS) {
        d = BACKOFF_MAX_MS;
    }
    d = d / 2 + rand() % (d / 2 + 1);
    struct timespec ts = {(time_t)(d / 1000), (long)(d % 1000) * 1000000L};
    return nanosleep(&ts, NULL) == 0 ? 0 : -1;
}

/* Waits until fd is ready for events or deadline (monotonic ms) passes.
 * Returns the revents, 0 on timeout, -1 on a poll error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - mono_ms();
        if (left <= 0) {
            return 0;
        }
        struct pollfd pfd = {fd, events, 0};
        int n = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
        if (n > 0) {
            return pfd.revents;
        }
        if (n < 0 && errno != EINTR) {
            return -1;
        }
    }
}

/* ------------------------------------------------------------------------- */
/* Connections */

/* Closes the connection; graceful: with TLS's close_notify first (not
 * waiting for the answer), which a broken connection does not get. */
static void conn_close(syslog_state *s, int graceful)
{
    if (s->ssl != NULL) {
        if (graceful) {
            (void)SSL_shutdown(s->ssl);
        }
        SSL_free(s->ssl);
        s->ssl = NULL;
        ERR_clear_error();
    }
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
}

/* A connection broke: the window's bytes on it are in doubt. */
static void conn_lost(syslog_state *s)
{
    conn_close(s, 0);
    if (s->events > 0 && (s->sent > 0 || !s->replayable)) {
        s->lost = 1;
    }
    s->sent = 0;
}

/* 1 when the receiver closed or reset the connection. Receivers send
 * nothing, so anything but TLS records (session tickets) means a close. */
static int peer_closed(syslog_state *s)
{
    struct pollfd pfd = {s->fd, POLLIN | POLLRDHUP, 0};
    if (poll(&pfd, 1, 0) <= 0) {
        return 0;
    }
    if (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) {
        return 1;
    }
    if (s->ssl == NULL) {
        char c;
        ssize_t n = recv(s->fd, &c, 1, MSG_DONTWAIT | MSG_PEEK);
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
    }
    char buf[256];
    ERR_clear_error();
    int n = SSL_read(s->ssl, buf, sizeof(buf));
    if (n > 0) {
        return 0; /* unexpected data: ignored */
    }
    int e = SSL_get_error(s->ssl, n);
    ERR_clear_error();
    return e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE;
}

static int is_ip_literal(const char *host)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* The TLS handshake on s->fd, verifying the receiver unless insecure. */
static int tls_handshake(collect_output *o, syslog_state *s, int64_t deadline)
{
    char why[256];
    ERR_clear_error();
    s->ssl = SSL_new(s->ctx);
    if (s->ssl == NULL || SSL_set_fd(s->ssl, s->fd) != 1) {
        return fail(o, "%s: TLS: %s", s->where, tls_reason(why, sizeof(why), 0));
    }
    if (is_ip_literal(s->host)) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl), s->host);
    } else {
        SSL_set_tlsext_host_name(s->ssl, s->host);
        SSL_set1_host(s->ssl, s->host);
    }
    for (;;) {
        ERR_clear_error();
        int rc = SSL_connect(s->ssl);
        if (rc == 1) {
            return 0;
        }
        int e = SSL_get_error(s->ssl, rc);
        short want = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
        if (want == 0) {
            long v = SSL_get_verify_result(s->ssl);
            if (v != X509_V_OK) {
                ERR_clear_error();
                return fail(o, "%s: TLS handshake: certificate verification failed: %s", s->where,
                            X509_verify_cert_error_string(v));
            }
            return fail(o, "%s: TLS handshake: %s", s->where,
                        tls_reason(why, sizeof(why), e == SSL_ERROR_SYSCALL ? errno : 0));
        }
        int ready = wait_fd(s->fd, want, deadline);
        if (ready == 0) {
            return fail(o, "%s: TLS handshake: no answer within %lld s", s->where,
                        (long long)(s->timeout_ms / 1000));
        }
        if (ready < 0) {
            return fail(o, "%s: TLS handshake: %s", s->where, strerror(errno));
        }
    }
}

/* Resolves the address and connects (TLS: and handshakes) within the
 * timeout, trying each address the name resolves to. */
static int conn_open(collect_output *o, syslog_state *s)
{
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = s->transport == T_UDP ? SOCK_DGRAM : SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    int g = getaddrinfo(s->host, s->port, &hints, &ai);
    if (g != 0) {
        return fail(o, "%s: cannot resolve %s: %s", s->where, s->host, gai_strerror(g));
    }
    int64_t deadline = mono_ms() + s->timeout_ms;
    int err = 0;
    for (struct addrinfo *a = ai; a != NULL; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int rc = connect(fd, a->ai_addr, a->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
            int ready = wait_fd(fd, POLLOUT, deadline);
            socklen_t sl = sizeof(err);
            if (ready <= 0) {
                err = ready == 0 ? ETIMEDOUT : errno;
            } else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) != 0) {
                err = errno;
            }
            rc = err == 0 ? 0 : -1;
        } else if (rc != 0) {
            err = errno;
        }
        if (rc == 0) {
            s->fd = fd;
            break;
        }
        close(fd);
    }
    freeaddrinfo(ai);
    if (s->fd < 0) {
        return fail(o, "%s: connect: %s", s->where, strerror(err != 0 ? err : ECONNREFUSED));
    }
    if (s->transport == T_TLS && tls_handshake(o, s, deadline) != 0) {
        conn_close(s, 0);
        return -1;
    }
    return 0;
}

/* Sends win[sent..len] on the connection; no progress for the timeout is
 * a failure. Returns 0, or -1 with o->error (the connection is then
 * unusable). */
static int send_window(collect_output *o, syslog_state *s)
{
    char why[256];
    int64_t deadline = mono_ms() + s->timeout_ms;
    while (s->sent < s->win.len) {
        const char *p = s->win.ptr + s->sent;
        size_t n = s->win.len - s->sent;
        short want;
        if (s->ssl != NULL) {
            ERR_clear_error();
            int w = SSL_write(s->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
            if (w > 0) {
                s->sent += (size_t)w;
                deadline = mono_ms() + s->timeout_ms;
                continue;
            }
            int e = SSL_get_error(s->ssl, w);
            if (e != SSL_ERROR_WANT_WRITE && e != SSL_ERROR_WANT_READ) {
                return fail(o, "%s: TLS write: %s", s->where,
                            tls_reason(why, sizeof(why), e == SSL_ERROR_SYSCALL ? errno : 0));
            }
            want = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
        } else {
            ssize_t w = send(s->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w > 0) {
                s->sent += (size_t)w;
                deadline = mono_ms() + s->timeout_ms;
                continue;
            }
            if (w < 0 && errno == EINTR) {
                continue;
            }
            if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
                return fail(o, "%s: send: %s", s->where, strerror(errno));
            }
            want = POLLOUT;
        }
        int ready = wait_fd(s->fd, want, deadline);
        if (ready == 0) {
            return fail(o, "%s: the receiver took nothing for %lld s", s->where,
                        (long long)(s->timeout_ms / 1000));
        }
        if (ready < 0) {
            return fail(o, "%s: %s", s->where, strerror(errno));
        }
    }
    return 0;
}

/* Gets the window's unsent bytes onto a live connection: connects when
 * there is none, sends the whole window again after a connection broke,
 * retries with backoff. Fails when the retries are spent, or when a
 * connection broke after the buffer no longer held the whole window. */
static int send_pending(collect_output *o, syslog_state *s)
{
    int64_t t0 = mono_ms();
    if (s->fd >= 0 && s->sent == 0 && peer_closed(s)) {
        conn_lost(s); /* closed while idle (the receiver restarted) */
    }
    for (int attempt = 0;; attempt++) {
        if (s->lost && !s->replayable) {
            o->transient = 1;
            return fail(o,
                        "%s: the connection broke after part of a window larger than %u "
                        "bytes was sent; it will be delivered again",
                        s->where, WIN_MAX);
        }
        if ((s->fd >= 0 || conn_open(o, s) == 0) && send_window(o, s) == 0) {
            s->lost = 0;
            return 0;
        }
        if (s->fd >= 0) {
            conn_lost(s);
        }
        if (attempt >= s->retries) {
            size_t l = strlen(o->error);
            snprintf(o->error + l, sizeof(o->error) - l, " (%d attempt%s in %.1f s)", attempt + 1,
                     attempt == 0 ? "" : "s", (double)(mono_ms() - t0) / 1000.0);
            o->transient = 1;
            return -1;
        }
        collect_metrics_add(&o->m->retries, 1);
        if (backoff(attempt + 1) != 0) {
            size_t l = strlen(o->error);
            snprintf(o->error + l, sizeof(o->error) - l, "; retries interrupted");
            o->transient = 1;
            return -1;
        }
    }
}

/* Waits until the receiver's TCP stack acknowledged every byte sent.
 * Returns 0, -1 when the connection closed, -2 on timeout. */
static int wait_acked(syslog_state *s)
{
    int64_t deadline = mono_ms() + s->timeout_ms;
    long pause_us = 200;
    for (;;) {
        if (peer_closed(s)) {
            return -1;
        }
        int q = 0;
        if (ioctl(s->fd, SIOCOUTQ, &q) != 0) {
            return -1;
        }
        if (q == 0) {
            return 0;
        }
        if (mono_ms() >= deadline) {
            return -2;
        }
        struct timespec ts = {0, pause_us * 1000L};
        nanosleep(&ts, NULL);
        pause_us = pause_us < 20000 ? pause_us * 2 : pause_us;
    }
}

/* ------------------------------------------------------------------------- */
/* The output */

static int syslog_open(collect_output *o, int64_t committed)
{
    (void)committed;
    const conf_output *c = o->conf;
    syslog_state *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return fail(o, "out of memory");
    }
    o->state = s;
    s->fd = -1;
    s->replayable = 1;
    const char *tr = c->transport != NULL ? c->transport : "tcp";
    s->transport = strcmp(tr, "udp") == 0 ? T_UDP : strcmp(tr, "tls") == 0 ? T_TLS : T_TCP;
    char err[200];
    if (collect_syslog__split_address(s->host, sizeof(s->host), s->port, sizeof(s->port),
                                      c->address, s->transport == T_TLS ? "6514" : "514", err,
                                      sizeof(err)) != 0) {
        return fail(o, "%s", err);
    }
    snprintf(s->where, sizeof(s->where), strchr(s->host, ':') ? "[%s]:%s" : "%s:%s", s->host,
             s->port);
    s->hdr.facility = collect_syslog__facility(c->facility != NULL ? c->facility : "local0");
    if (s->hdr.facility < 0) {
        return fail(o, "unknown facility \"%s\"", c->facility);
    }
    if (c->hostname != NULL) {
        if (!collect_syslog__valid_field(c->hostname, 255)) {
            return fail(o, "hostname \"%s\": 1 to 255 printable ASCII characters, no spaces",
                        c->hostname);
        }
        snprintf(s->hostname, sizeof(s->hostname), "%s", c->hostname);
    } else if (gethostname(s->hostname, sizeof(s->hostname) - 1) != 0 ||
               !collect_syslog__valid_field(s->hostname, 255)) {
        s->hostname[0] = '\0'; /* sent as "-" */
    }
    const char *app = c->app_name != NULL ? c->app_name : "pptap";
    if (!collect_syslog__valid_field(app, 48)) {
        return fail(o, "app_name \"%s\": 1 to 48 printable ASCII characters, no spaces", app);
    }
    snprintf(s->procid, sizeof(s->procid), "%ld", (long)getpid());
    s->hdr.hostname = s->hostname;
    s->hdr.app_name = app;
    s->hdr.procid = s->procid;
    s->timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : 30000;
    s->retries = c->retries >= 0 ? c->retries : 0;

    if (s->transport == T_TLS) {
        char why[256];
        s->ctx = SSL_CTX_new(TLS_client_method());
        if (s->ctx == NULL || SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION) != 1) {
            return fail(o, "TLS: %s", tls_reason(why, sizeof(why), 0));
        }
        SSL_CTX_set_mode(s->ctx,
                         SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        if (c->insecure) {
            SSL_CTX_set_verify(s->ctx, SSL_VERIFY_NONE, NULL);
        } else {
            SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER, NULL);
            int ok = c->cacert != NULL ? SSL_CTX_load_verify_locations(s->ctx, c->cacert, NULL)
                                       : SSL_CTX_set_default_verify_paths(s->ctx);
            if (ok != 1) {
                return fail(o, "cacert %s: %s", c->cacert ? c->cacert : "(system store)",
                            tls_reason(why, sizeof(why), 0));
            }
        }
    }
    /* Connect now to report a wrong address early; a receiver that is
     * down is only a warning (o->error after a success): delivery retries
     * later. */
    char warning[sizeof(o->error)] = "";
    if (conn_open(o, s) != 0) {
        snprintf(warning, sizeof(warning), "%.200s; connecting again when events come", o->error);
    }
    if (s->transport == T_TLS && c->insecure) {
        (void)fail(o, "TLS certificate verification is OFF (insecure = true)%s%.200s",
                   warning[0] ? "; " : "", warning);
    } else {
        snprintf(o->error, sizeof(o->error), "%s", warning);
    }
    return 0;
}

/* UDP: one datagram, sent again after ECONNREFUSED (the ICMP answer to an
 * earlier datagram) within the retries. */
static int send_datagram(collect_output *o, syslog_state *s, const collect_record *r)
{
    int64_t t0 = mono_ms();
    for (int attempt = 0;; attempt++) {
        if (s->fd >= 0 || conn_open(o, s) == 0) {
            int64_t deadline = mono_ms() + s->timeout_ms;
            for (;;) {
                ssize_t w = send(s->fd, s->msg.ptr, s->msg.len, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (w >= 0) {
                    return 0;
                }
                if (errno == EMSGSIZE) {
                    char why[96];
                    snprintf(why, sizeof(why), "%zu bytes: too large for a UDP datagram here",
                             s->msg.len);
                    return o->reject(o, r, why) == 0 ? 0 : -1;
                }
                if (errno == EINTR) {
                    continue;
                }
                if (errno == ECONNREFUSED) {
                    /* An earlier datagram met no receiver: the window
                     * is incomplete, and flush() will say so. */
                    s->lost = 1;
                }
                if ((errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) &&
                    wait_fd(s->fd, POLLOUT, deadline) > 0) {
                    continue;
                }
                fail(o, "%s: send: %s", s->where,
                     errno == EAGAIN ? "the socket stayed full" : strerror(errno));
                break;
            }
            conn_close(s, 1);
        }
        if (attempt >= s->retries) {
            size_t l = strlen(o->error);
            snprintf(o->error + l, sizeof(o->error) - l, " (%d attempt%s in %.1f s)", attempt + 1,
                     attempt == 0 ? "" : "s", (double)(mono_ms() - t0) / 1000.0);
            o->transient = 1;
            return -1;
        }
        collect_metrics_add(&o->m->retries, 1);
        if (backoff(attempt + 1) != 0) {
            o->transient = 1;
            return -1;
        }
    }
}

static int syslog_write(collect_output *o, const collect_record *r)
{
    syslog_state *s = o->state;
    s->msg.len = 0;
    if (collect_syslog__format(&s->msg, &s->hdr, r, pptap_time_now()) != 0) {
        o->errors++;
        return fail(o, "out of memory");
    }
    if (s->transport == T_UDP) {
        if (s->msg.len > COLLECT_SYSLOG_UDP_MAX) {
            char why[96];
            snprintf(why, sizeof(why), "%zu bytes: larger than a UDP datagram (%u)", s->msg.len,
                     COLLECT_SYSLOG_UDP_MAX);
            return o->reject(o, r, why) == 0 ? 0 : -1;
        }
        if (send_datagram(o, s, r) != 0) {
            o->errors++;
            return -1;
        }
        o->written++;
        return 0;
    }
    size_t framed = s->msg.len + 24;
    if (s->win.len > 0 && s->win.len + framed > WIN_MAX) {
        /* The buffer is full: send what it holds and reuse it. The window
         * can no longer be sent again from here. */
        if (send_pending(o, s) != 0) {
            o->errors++;
            return -1;
        }
        s->win.len = 0;
        s->sent = 0;
        s->replayable = 0;
    }
    if (collect_syslog__frame(&s->win, s->msg.ptr, s->msg.len) != 0) {
        o->errors++;
        return fail(o, "out of memory");
    }
    s->events++;
    collect_metrics_set(&o->m->queued, s->events);
    if (s->win.len - s->sent >= SEND_BATCH && send_pending(o, s) != 0) {
        o->errors++;
        return -1;
    }
    o->written++;
    return 0;
}

/* Forgets the window: delivered, or to be collected again. */
static void clear_window(collect_output *o, syslog_state *s)
{
    s->win.len = 0;
    s->sent = 0;
    s->events = 0;
    s->replayable = 1;
    s->lost = 0;
    collect_metrics_set(&o->m->queued, 0);
}

static int syslog_flush(collect_output *o, int64_t *position)
{
    syslog_state *s = o->state;
    *position = 0;
    if (s->events == 0) {
        return 0;
    }
    if (s->transport == T_UDP) {
        /* An ICMP port unreachable for the window's datagrams: nobody got
         * them. */
        int err = 0;
        socklen_t sl = sizeof(err);
        if (s->fd >= 0 && getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &sl) == 0 && err != 0) {
            s->lost = 1;
        }
        if (s->lost) {
            conn_close(s, 1);
            o->errors++;
            o->transient = 1;
            return fail(o, "%s: %s: datagrams of this window met no receiver", s->where,
                        strerror(err != 0 ? err : ECONNREFUSED));
        }
        clear_window(o, s);
        return 0;
    }
    for (int round = 0;; round++) {
        if (send_pending(o, s) != 0) {
            o->errors++;
            return -1;
        }
        int rc = wait_acked(s);
        if (rc == 0) {
            break;
        }
        if (rc == -2) {
            fail(o, "%s: the receiver did not acknowledge the window's data within %lld s",
                 s->where, (long long)(s->timeout_ms / 1000));
        } else {
            fail(o, "%s: the receiver closed the connection", s->where);
        }
        conn_lost(s);
        if (!s->replayable || round >= s->retries) {
            o->errors++;
            o->transient = 1;
            return -1;
        }
        collect_metrics_add(&o->m->retries, 1);
    }
    clear_window(o, s);
    return 0;
}

static int syslog_committed(collect_output *o, int64_t *position, int *changed)
{
    (void)o;
    (void)position;
    *changed = 0;
    return 0;
}

static int syslog_rollback(collect_output *o)
{
    syslog_state *s = o->state;
    if (s == NULL) {
        return 0;
    }
    if (s->fd >= 0 && s->sent < s->win.len && s->transport != T_UDP) {
        /* A frame may be cut in the middle: the stream is out of step. */
        conn_close(s, 1);
    }
    clear_window(o, s);
    return 0;
}

static void syslog_close(collect_output *o)
{
    syslog_state *s = o->state;
    if (s == NULL) {
        return;
    }
    conn_close(s, 1);
    SSL_CTX_free(s->ctx);
    pptap_buf_dispose(&s->win);
    pptap_buf_dispose(&s->msg);
    free(s);
    o->state = NULL;
}

const collect_output_type collect_out_syslog = {
    "syslog",
    "RFC 5424 over UDP, TCP (octet counting) or TLS, at least once with the event_id",
    0,
    syslog_open,
    syslog_write,
    syslog_flush,
    syslog_committed,
    syslog_rollback,
    syslog_close,
};
