/*
 * The message side of the syslog output (out_syslog.c), apart from the
 * network so that unit tests can check it byte for byte.
 */
#ifndef PPTAP_COLLECT_OUT_SYSLOG_H
#define PPTAP_COLLECT_OUT_SYSLOG_H

#include <stddef.h>

#include <pptap/common.h>

#include "output.h"

/* The private enterprise number of the structured data's SD-ID
 * "pptap@32473": 32473 is the number RFC 5612 reserves for documentation,
 * used because pptap has none of its own. */
#define COLLECT_SYSLOG_SD_ID "pptap@32473"

/* The largest datagram sent over UDP: the most an IPv4 datagram carries
 * (65535 - 20 IP - 8 UDP). Bigger messages are quarantined. */
#define COLLECT_SYSLOG_UDP_MAX 65507u

/* The fixed fields of every message. */
typedef struct {
    int facility;         /* 0 (kern) .. 23 (local7) */
    const char *hostname; /* HOSTNAME, or NULL for the NILVALUE "-" */
    const char *app_name; /* APP-NAME, or NULL for "-" */
    const char *procid;   /* PROCID, or NULL for "-" */
} collect_syslog_header;

/* The facility code of a name (kern … local7), or -1. */
int collect_syslog__facility(const char *name);

/* The severity (0 emerg .. 7 debug) of an event of this type and
 * classification (a gap record: type PPTAP_EVENT_COUNT_). */
int collect_syslog__severity(pptap_event_type type, const char *classification);

/* 1 when s may stand in a header field of at most max characters: 1 to max
 * printable US-ASCII characters (33..126), as RFC 5424 requires. */
int collect_syslog__valid_field(const char *s, size_t max);

/* Appends the RFC 5424 message of r to b, without framing or newline:
 * <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG. TIMESTAMP is
 * r->time, or now when it has none; MSG is r->line without its trailing
 * newline, after a UTF-8 BOM when it holds any byte above 127. Returns 0 or
 * PPTAP_ENOMEM (b may hold part of the message then). */
int collect_syslog__format(pptap_buf *b, const collect_syslog_header *h, const collect_record *r,
                           pptap_time_ms now);

/* Appends the octet-counting frame of a message (RFC 6587 3.4.1):
 * "MSG-LEN SP" and the message. Returns 0 or PPTAP_ENOMEM. */
int collect_syslog__frame(pptap_buf *b, const char *msg, size_t len);

/* Splits "host:port", "[v6]:port", "host" or "[v6]" into host and port
 * (default_port when it has none). A bare IPv6 address without brackets
 * is an error. Returns 0, or -1 with a message in err. */
int collect_syslog__split_address(char *host, size_t host_size, char *port, size_t port_size,
                                  const char *address, const char *default_port, char *err,
                                  size_t err_size);

#endif
