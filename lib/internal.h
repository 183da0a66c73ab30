/*
 * libpptap internals shared between modules. Not installed.
 */
#ifndef PPTAP_INTERNAL_H
#define PPTAP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <pptap/common.h>

/* All allocation goes through these so tests can fail the Nth call. */
void *pptap__malloc(size_t n);
void *pptap__calloc(size_t n, size_t size);
void *pptap__realloc(void *p, size_t n);
char *pptap__strndup(const char *s, size_t n);
void pptap__free(void *p);

/*
 * Test hook: make the Nth allocation from now fail (1 = the next one); 0
 * turns failures off. Returns the number of allocations since the last call.
 */
PPTAP_EXTERN unsigned long pptap__alloc_fail_at(unsigned long n);

/* HTML5 character reference decoding, in place, on buf[0..*len) with room
 * for `cap` bytes. Returns 0, or PPTAP_EBUFS with *len a size that suffices. */
int pptap__html_unescape(char *buf, size_t *len, size_t cap);

/* Length of the character reference at s[0] == '&' that pptap__html_unescape
 * would replace, or 0 when the '&' stays literal. */
size_t pptap__html_ref_len(const char *s, size_t n);

/* Matches the character reference at s[0] == '&': returns the bytes it
 * covers (0 when the '&' stays literal) and its UTF-8 value in val[0..*vlen)
 * (at most 8 bytes). */
size_t pptap__html_match(const unsigned char *s, size_t n, unsigned char *val, size_t *vlen);

/* The UTF-8 (at most 4 bytes) a numeric reference of value cp (saturated at
 * 0x110000) decodes to: U+FFFD for 0, surrogates and values past U+10FFFF,
 * the Windows-1252 character for 0x80..0x9F. */
size_t pptap__html_numeric_utf8(unsigned char *out, unsigned long cp);

/* 1 when s[0..n) is valid UTF-8. */
int pptap__utf8_valid(const unsigned char *s, size_t n);

#endif
