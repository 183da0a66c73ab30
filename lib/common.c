/*
 * Error strings, version, owned buffers and the allocation wrapper.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sqlite3.h>

#include "internal.h"

static unsigned long alloc_count;
static unsigned long alloc_fail;

unsigned long pptap__alloc_fail_at(unsigned long n)
{
    unsigned long c = alloc_count;
    alloc_count = 0;
    alloc_fail = n;
    return c;
}

static int alloc_should_fail(void)
{
    alloc_count++;
    return alloc_fail != 0 && alloc_count == alloc_fail;
}

void *pptap__malloc(size_t n)
{
    if (alloc_should_fail()) {
        return NULL;
    }
    return malloc(n ? n : 1);
}

void *pptap__calloc(size_t n, size_t size)
{
    if (alloc_should_fail()) {
        return NULL;
    }
    return calloc(n ? n : 1, size ? size : 1);
}

void *pptap__realloc(void *p, size_t n)
{
    if (alloc_should_fail()) {
        return NULL;
    }
    return realloc(p, n ? n : 1);
}

char *pptap__strndup(const char *s, size_t n)
{
    char *d = pptap__malloc(n + 1);
    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

void pptap__free(void *p)
{
    free(p);
}

const char *pptap_strerror(int err)
{
    switch (err) {
    case PPTAP_OK:
        return "success";
    case PPTAP_EINVAL:
        return "invalid argument";
    case PPTAP_ENOMEM:
        return "out of memory";
    case PPTAP_EIO:
        return "input/output error";
    case PPTAP_ETIMEOUT:
        return "timed out";
    case PPTAP_EAUTH:
        return "credentials refused";
    case PPTAP_ERATELIMIT:
        return "rate limit reached";
    case PPTAP_ESERVER:
        return "server error";
    case PPTAP_EPROTO:
        return "protocol error";
    case PPTAP_EBUFS:
        return "buffer too small";
    case PPTAP_ENOTFOUND:
        return "not found";
    case PPTAP_EDECODE:
        return "not a decodable URL Defense link";
    case PPTAP_EUNAVAIL:
        return "service unavailable";
    case PPTAP_ECONFIG:
        return "invalid configuration";
    case PPTAP_ECANCELED:
        return "canceled";
    default:
        return "unknown error";
    }
}

const char *pptap_version(void)
{
    return PPTAP_VERSION;
}

size_t pptap_version_details(char *buf, size_t n)
{
    const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
    int w = snprintf(buf, n, "pptap %s (libcurl %s, %s; jansson %s; SQLite %s)", PPTAP_VERSION,
                     cv->version, cv->ssl_version ? cv->ssl_version : "no TLS",
                     jansson_version_str(), sqlite3_libversion());
    return w < 0 ? 0 : (size_t)w;
}

int pptap_buf_put(pptap_buf *b, const void *data, size_t len)
{
    if (len == 0 && b->ptr != NULL) {
        return 0;
    }
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + len + 1) {
            if (cap > SIZE_MAX / 2) {
                return PPTAP_ENOMEM;
            }
            cap *= 2;
        }
        char *p = pptap__realloc(b->ptr, cap);
        if (p == NULL) {
            return PPTAP_ENOMEM;
        }
        b->ptr = p;
        b->cap = cap;
    }
    if (len > 0) {
        memcpy(b->ptr + b->len, data, len);
    }
    b->len += len;
    b->ptr[b->len] = '\0';
    return 0;
}

void pptap_buf_dispose(pptap_buf *b)
{
    if (b == NULL) {
        return;
    }
    pptap__free(b->ptr);
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
}
