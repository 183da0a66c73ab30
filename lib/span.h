/*
 * Short-span searches used on the decoder's hot path: the index of the first
 * byte from a small set, 16 bytes at a time with SSE2 where available.
 * Inline, because the spans are short (tens of bytes) and a call to memchr
 * per span costs more than the search.
 */
#ifndef PPTAP_SPAN_H
#define PPTAP_SPAN_H

#include <stddef.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Index of the first byte in s[0..n) equal to a or b, or n. */
static inline size_t span_until2(const unsigned char *s, size_t n, unsigned char a, unsigned char b)
{
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i va = _mm_set1_epi8((char)a), vb = _mm_set1_epi8((char)b);
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(s + i));
        unsigned m =
            (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)));
        if (m != 0) {
            return i + (unsigned)__builtin_ctz(m);
        }
    }
#endif
    for (; i < n; i++) {
        if (s[i] == a || s[i] == b) {
            return i;
        }
    }
    return n;
}

/* Index of the first byte in s[0..n) equal to a, b or c, or n. */
static inline size_t span_until3(const unsigned char *s, size_t n, unsigned char a, unsigned char b,
                                 unsigned char c)
{
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i va = _mm_set1_epi8((char)a), vb = _mm_set1_epi8((char)b),
                  vc = _mm_set1_epi8((char)c);
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(s + i));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)), _mm_cmpeq_epi8(x, vc)));
        if (m != 0) {
            return i + (unsigned)__builtin_ctz(m);
        }
    }
#endif
    for (; i < n; i++) {
        if (s[i] == a || s[i] == b || s[i] == c) {
            return i;
        }
    }
    return n;
}

/* Index of the first "__;" in s[0..n), or n. */
static inline size_t find_v3_delim(const unsigned char *s, size_t n)
{
    size_t i = 0;
    if (n < 3) {
        return n;
    }
#if defined(__SSE2__)
    const __m128i us = _mm_set1_epi8('_'), sc = _mm_set1_epi8(';');
    for (; i + 2 + 16 <= n; i += 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(s + i + 1));
        __m128i c = _mm_loadu_si128((const __m128i *)(s + i + 2));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_and_si128(
            _mm_and_si128(_mm_cmpeq_epi8(a, us), _mm_cmpeq_epi8(b, us)), _mm_cmpeq_epi8(c, sc)));
        if (m != 0) {
            return i + (unsigned)__builtin_ctz(m);
        }
    }
#endif
    for (; i + 3 <= n; i++) {
        if (s[i] == '_' && s[i + 1] == '_' && s[i + 2] == ';') {
            return i;
        }
    }
    return n;
}

#endif
