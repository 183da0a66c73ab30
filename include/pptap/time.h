/*
 * pptap — ISO 8601 times and intervals as the TAP API writes and accepts them.
 */
#ifndef PPTAP_TIME_H
#define PPTAP_TIME_H

#include <stdint.h>

#include <pptap/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Times are milliseconds since the Unix epoch, UTC. */
typedef int64_t pptap_time_ms;

/**
 * Parses an ISO 8601 date-time: YYYY-MM-DDTHH:MM:SS with optional fraction
 * (any number of digits; kept to the millisecond) and zone "Z", "+HH:MM",
 * "+HHMM" or "+HH" (or "-"). A value without a zone is taken as UTC. A space
 * may stand for the "T". Returns 0 or PPTAP_EINVAL.
 */
PPTAP_EXTERN int pptap_time_parse(pptap_time_ms *out, const char *s, size_t len);

/**
 * Parses an ISO 8601 duration "PnW", "PnDTnHnMnS" (fractions allowed on the
 * last component; no years or months). Returns 0 or PPTAP_EINVAL.
 */
PPTAP_EXTERN int pptap_duration_parse(int64_t *out_ms, const char *s, size_t len);

/**
 * Parses an ISO 8601 interval in the three forms the TAP API documents:
 * start/end, duration/end and start/duration. Returns 0 or PPTAP_EINVAL
 * (also when end is before start).
 */
PPTAP_EXTERN int pptap_interval_parse(pptap_time_ms *start, pptap_time_ms *end, const char *s,
                                      size_t len);

/**
 * Parses a human duration for command lines: "90s", "30m", "6h", "7d", "1w",
 * combinations ("1h30m"), or an ISO 8601 duration. Returns 0 or PPTAP_EINVAL.
 */
PPTAP_EXTERN int pptap_duration_parse_human(int64_t *out_ms, const char *s);

/* Buffer sizes for the formatters (NUL included). */
#define PPTAP_TIME_STRLEN 32

/** Formats "YYYY-MM-DDTHH:MM:SSZ" (seconds, truncated). Returns the length. */
PPTAP_EXTERN size_t pptap_time_format(char out[PPTAP_TIME_STRLEN], pptap_time_ms t);

/** Formats "YYYY-MM-DDTHH:MM:SS.mmmZ". Returns the length. */
PPTAP_EXTERN size_t pptap_time_format_ms(char out[PPTAP_TIME_STRLEN], pptap_time_ms t);

/** Current wall-clock time. */
PPTAP_EXTERN pptap_time_ms pptap_time_now(void);

#ifdef __cplusplus
}
#endif

#endif
