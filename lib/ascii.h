/*
 * ASCII character helpers shared by the decoder, the scanner and the HTML
 * reference decoder. Locale-independent, inline.
 */
#ifndef PPTAP_ASCII_H
#define PPTAP_ASCII_H

#include <stddef.h>

/* The value of a hex digit, or -1. */
static inline int ascii_hexval(unsigned char c)
{
    if ((unsigned)(c - '0') < 10u) {
        return c - '0';
    }
    c |= 0x20;
    if ((unsigned)(c - 'a') < 6u) {
        return c - 'a' + 10;
    }
    return -1;
}

static inline unsigned char ascii_lower(unsigned char c)
{
    return (unsigned)(c - 'A') < 26u ? (unsigned char)(c | 0x20) : c;
}

static inline int ascii_isalnum(int c)
{
    return (unsigned)(c - '0') < 10u || (unsigned)((c | 0x20) - 'a') < 26u;
}

/* 1 when s[0..n) equals the lower-case word w, ignoring ASCII case. */
static inline int ascii_ieq(const unsigned char *s, const char *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (ascii_lower(s[i]) != (unsigned char)w[i]) {
            return 0;
        }
    }
    return 1;
}

#endif
