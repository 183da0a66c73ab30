/*
 * pptap — common definitions: error codes, version, owned buffers.
 */
#ifndef PPTAP_COMMON_H
#define PPTAP_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PPTAP_VERSION_MAJOR 0
#define PPTAP_VERSION_MINOR 1
#define PPTAP_VERSION_PATCH 0
#define PPTAP_VERSION "0.1.0"

#if defined(__GNUC__)
#define PPTAP_EXTERN __attribute__((visibility("default")))
#else
#define PPTAP_EXTERN
#endif

/*
 * Error codes. Every library function that can fail returns 0 or one of these
 * negative values. The set is append-only: values never change meaning.
 */
enum {
    PPTAP_OK = 0,
    PPTAP_EINVAL = -1,     /* invalid argument or input */
    PPTAP_ENOMEM = -2,     /* out of memory */
    PPTAP_EIO = -3,        /* local I/O error */
    PPTAP_ETIMEOUT = -4,   /* operation timed out */
    PPTAP_EAUTH = -5,      /* credentials refused (401/403) */
    PPTAP_ERATELIMIT = -6, /* throttle pool exhausted (429) */
    PPTAP_ESERVER = -7,    /* server error (5xx) */
    PPTAP_EPROTO = -8,     /* response does not parse or breaks the protocol */
    PPTAP_EBUFS = -9,      /* caller's buffer too small; the needed size is reported */
    PPTAP_ENOTFOUND = -10, /* no such object */
    PPTAP_EDECODE = -11,   /* input is not a decodable URL Defense link */
    PPTAP_EUNAVAIL = -12,  /* service unreachable (DNS, connect, TLS) */
    PPTAP_ECONFIG = -13,   /* invalid configuration */
    PPTAP_ECANCELED = -14, /* stopped by the caller (a callback returned non-zero) */
};

/** Returns a static, human-readable description of a PPTAP_E* code. */
PPTAP_EXTERN const char *pptap_strerror(int err);

/** Returns the library version string ("0.1.0"). */
PPTAP_EXTERN const char *pptap_version(void);

/**
 * Writes "pptap VERSION (libcurl V, TLS; jansson V; SQLite V)" with the
 * versions of the libraries in use, NUL-terminated and truncated to n bytes.
 * Returns the length it needed (as snprintf).
 */
PPTAP_EXTERN size_t pptap_version_details(char *buf, size_t n);

/**
 * A growable byte buffer owned by the library user. Initialise with
 * PPTAP_BUF_INIT; release the contents with pptap_buf_dispose(). `ptr` is
 * always NUL-terminated when non-NULL (the NUL is not counted in `len`).
 */
typedef struct {
    char *ptr;
    size_t len;
    size_t cap;
} pptap_buf;

#define PPTAP_BUF_INIT                                                                             \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/** Appends `len` bytes. Returns 0 or PPTAP_ENOMEM (the buffer is unchanged then). */
PPTAP_EXTERN int pptap_buf_put(pptap_buf *b, const void *data, size_t len);

/** Frees the contents of `b` and resets it to empty. Accepts NULL. */
PPTAP_EXTERN void pptap_buf_dispose(pptap_buf *b);

#ifdef __cplusplus
}
#endif

#endif
