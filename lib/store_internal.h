/*
 * Internals shared by the store and identity modules. Not installed.
 */
#ifndef PPTAP_STORE_INTERNAL_H
#define PPTAP_STORE_INTERNAL_H

#include <stddef.h>

#include <pptap/store.h>

/* A byte range to hash. */
typedef struct {
    const void *p;
    size_t n;
} pptap__bytes;

/* Hex SHA-256 (EVP) of the concatenation of parts[0..n). 0 or PPTAP_ENOMEM. */
int pptap__sha256_hex(char out[PPTAP_HASH_HEX_LEN], const pptap__bytes *parts, size_t n);

#endif
