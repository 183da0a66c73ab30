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

/* Length (2 to 4) of the valid UTF-8 sequence that starts with the lead
 * byte s[0] >= 0x80 in s[0..n), n >= 1; 0 when it is not one (a stray
 * continuation byte, an overlong form, a surrogate, past U+10FFFF or cut
 * short). Inline: the JSON reader and writers call it per character. */
static inline size_t pptap__utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t need;
    unsigned long cp;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n <= need) {
        return 0;
    }
    for (size_t k = 1; k <= need; k++) {
        if ((s[k] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    if ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (need == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
        return 0;
    }
    return need + 1;
}

/* 1 when s[0..n) is valid UTF-8. */
int pptap__utf8_valid(const unsigned char *s, size_t n);

#endif
