/*
 * pptap — Proofpoint URL Defense links: decoder, encoder and text scanner.
 *
 * The decoder implements docs/urldefense.md: Proofpoint's reference grammar
 * with byte-counted v3 tokens, raw-byte percent-decoding, HTML5 character
 * references, the four URL Defense hosts over http or https, and stable error
 * codes. It never allocates: the caller passes the output buffer.
 */
#ifndef PPTAP_URLDEFENSE_H
#define PPTAP_URLDEFENSE_H

#include <pptap/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Why a link did not decode. The codes (see pptap_urldef_status_code()) are stable. */
typedef enum {
    PPTAP_URLDEF_OK = 0,
    PPTAP_URLDEF_NOT_URLDEFENSE,  /* "not-urldefense" */
    PPTAP_URLDEF_UNKNOWN_VERSION, /* "unknown-version" */
    PPTAP_URLDEF_V1_NO_MATCH,     /* "v1-no-match" */
    PPTAP_URLDEF_V2_NO_MATCH,     /* "v2-no-match" */
    PPTAP_URLDEF_V3_NO_MATCH,     /* "v3-no-match" */
    PPTAP_URLDEF_BASE64_NONASCII, /* "base64-nonascii" */
    PPTAP_URLDEF_BASE64_INVALID,  /* "base64-invalid" */
    PPTAP_URLDEF_TOKEN_OVERRUN,   /* "token-overrun" */
    PPTAP_URLDEF_BAD_RUN_CODE,    /* "bad-run-code" */
    PPTAP_URLDEF_LOWERCASED,      /* "lowercased" */
    PPTAP_URLDEF_STATUS_COUNT_
} pptap_urldef_status;

/* Flags describing a decoded link. */
enum {
    /* The wrapper uses a scheme or host Proofpoint's reference decoder rejects
     * (http, urldefense.us, urldefense.proofpoint.us, upper case). */
    PPTAP_URLDEF_F_NONREF_HOST = 1u << 0,
    /* The v3 single-slash repair ("https:/x…" → "https://x…") was applied. */
    PPTAP_URLDEF_F_SLASH_REPAIRED = 1u << 1,
    /* The decoded bytes are not valid UTF-8 (percent escapes or v3 bytes). */
    PPTAP_URLDEF_F_INVALID_UTF8 = 1u << 2,
    /* The decoded bytes hold a control character, a space or DEL (bytes up
     * to 0x20 and 0x7F): escape them before printing on a line. */
    PPTAP_URLDEF_F_CONTROL = 1u << 3,
};

/** The outcome of pptap_urldef_decode(). */
typedef struct {
    pptap_urldef_status status;
    int version;    /* 1, 2 or 3; 0 when no version was found */
    unsigned flags; /* PPTAP_URLDEF_F_* */
    size_t len;     /* decoded length; on PPTAP_EBUFS, a size that suffices */
    size_t start;   /* offset in the input of the wrapper's scheme */
} pptap_urldef_result;

/** An output buffer of this size never gives PPTAP_EBUFS for an input of n bytes. */
#define PPTAP_URLDEF_DECODE_MAX(n) ((n) + (n) / 5 + 16)

/**
 * Decodes the first URL Defense link found in `in` (`inlen` bytes, any
 * content, need not be NUL-terminated) into `out`.
 *
 * Returns 0 with res->len bytes written (not NUL-terminated); PPTAP_EDECODE
 * with res->status saying why; PPTAP_EBUFS when `outsz` is too small, with
 * res->len a size that suffices (out's contents are then unspecified). Never
 * allocates; safe for any input length and content.
 */
PPTAP_EXTERN int pptap_urldef_decode(pptap_urldef_result *res, char *out, size_t outsz,
                                     const char *in, size_t inlen);

/** The stable code of a status ("v3-no-match"…), or "ok". */
PPTAP_EXTERN const char *pptap_urldef_status_code(pptap_urldef_status st);

/** A one-sentence human-readable explanation of a status. */
PPTAP_EXTERN const char *pptap_urldef_status_message(pptap_urldef_status st);

/* Hosts the encoder can write. */
typedef enum {
    PPTAP_URLDEF_HOST_DEFAULT = 0, /* urldefense.proofpoint.com (v2), urldefense.com (v3) */
    PPTAP_URLDEF_HOST_COM,         /* urldefense.com */
    PPTAP_URLDEF_HOST_PROOFPOINT,  /* urldefense.proofpoint.com */
    PPTAP_URLDEF_HOST_US,          /* urldefense.us */
} pptap_urldef_host;

/** Encoder options; zero-initialise for defaults. */
typedef struct {
    pptap_urldef_host host;
    /* Seed for the synthetic tracking fields (d/c/r/m/s for v2, the org and
     * signature after "!" for v3). The same seed gives the same link. */
    uint64_t seed;
} pptap_urldef_encode_opts;

/** An output buffer of this size is always enough to encode n bytes. */
#define PPTAP_URLDEF_ENCODE_MAX(n) (3 * (n) + 320)

/**
 * Rewrites `url` as a URL Defense link of `version` (2 or 3) the way
 * Proofpoint's encoder does, such that pptap_urldef_decode() returns `url`
 * exactly. `url` must be non-empty. Writes *outlen bytes (not NUL-terminated).
 *
 * Returns 0, PPTAP_EINVAL (bad version or empty url), or PPTAP_EBUFS with
 * *outlen a size that suffices.
 */
PPTAP_EXTERN int pptap_urldef_encode(size_t *outlen, char *out, size_t outsz, int version,
                                     const char *url, size_t len,
                                     const pptap_urldef_encode_opts *opts);

/* ---------------------------------------------------------------------------
 * Scanner: finds every rewritten link in text of any size, in bounded memory.
 */

/* Where a link was found; reported in pptap_scan_link.context. */
typedef enum {
    PPTAP_SCAN_CTX_TEXT = 0,  /* plain text */
    PPTAP_SCAN_CTX_ANGLE,     /* <https://…> */
    PPTAP_SCAN_CTX_ATTR_DQ,   /* HTML attribute value in double quotes */
    PPTAP_SCAN_CTX_ATTR_SQ,   /* HTML attribute value in single quotes */
    PPTAP_SCAN_CTX_ATTR_BARE, /* unquoted HTML attribute value */
} pptap_scan_context;

/* Scanner option flags. */
enum {
    /* Call write() with the input text, every link replaced by its decoded
     * form (escaped for its context). Links that fail stay as they were. */
    PPTAP_SCAN_REWRITE = 1u << 0,
    /* Treat the input as quoted-printable throughout (soft breaks and =XX
     * inside links). Without it, a link is read as quoted-printable when it
     * shows QP escapes or the stream declared QP in a MIME header. */
    PPTAP_SCAN_QP = 1u << 1,
    /* Never read links as quoted-printable. */
    PPTAP_SCAN_NO_QP = 1u << 2,
};

/** One link found by the scanner. Pointers are valid during the callback only. */
typedef struct {
    uint64_t offset;     /* offset of the link's first byte in the stream */
    size_t raw_len;      /* bytes the link spans in the stream */
    const char *encoded; /* the link as decoded (QP, entities, breaks undone) */
    size_t encoded_len;
    const char *decoded; /* the target URL (NULL when result.status != OK) */
    size_t decoded_len;
    pptap_urldef_result result; /* of the outermost wrapper */
    pptap_scan_context context;
    int layers; /* wrappers removed (SafeLinks and nested URL Defense) */
    int qp;     /* 1 when the link was read as quoted-printable */
} pptap_scan_link;

/** Called for every link; a non-zero return stops the scan (PPTAP_ECANCELED). */
typedef int (*pptap_scan_link_fn)(const pptap_scan_link *link, void *payload);
/** Receives rewritten text (PPTAP_SCAN_REWRITE); non-zero stops the scan. */
typedef int (*pptap_scan_write_fn)(const char *data, size_t len, void *payload);

typedef struct {
    unsigned flags;               /* PPTAP_SCAN_* */
    pptap_scan_link_fn on_link;   /* may be NULL */
    pptap_scan_write_fn on_write; /* required with PPTAP_SCAN_REWRITE */
    void *payload;
} pptap_scan_opts;

typedef struct pptap_scanner pptap_scanner;

/** The longest link (bytes in the stream) the scanner follows; longer ones are cut. */
#define PPTAP_SCAN_MAX_LINK 65536

/** Creates a scanner. Returns 0, PPTAP_EINVAL or PPTAP_ENOMEM. */
PPTAP_EXTERN int pptap_scanner_new(pptap_scanner **out, const pptap_scan_opts *opts);

/**
 * Feeds the next `len` bytes of the stream. Links are reported as soon as
 * their end is known. Returns 0, PPTAP_ECANCELED (a callback stopped it) or
 * PPTAP_ENOMEM.
 */
PPTAP_EXTERN int pptap_scanner_feed(pptap_scanner *s, const char *data, size_t len);

/** Ends the stream: reports the remaining links and flushes rewritten text. */
PPTAP_EXTERN int pptap_scanner_finish(pptap_scanner *s);

/** Number of links reported so far, and of those that failed to decode. */
PPTAP_EXTERN void pptap_scanner_counts(const pptap_scanner *s, uint64_t *links, uint64_t *failed);

/** Frees a scanner. Accepts NULL. */
PPTAP_EXTERN void pptap_scanner_free(pptap_scanner *s);

#ifdef __cplusplus
}
#endif

#endif
