/*
 * pptap — Proofpoint TAP toolkit. Umbrella header of libpptap.
 */
#ifndef PPTAP_PPTAP_H
#define PPTAP_PPTAP_H

#include <pptap/common.h>
#include <pptap/time.h>
#include <pptap/urldefense.h>

#endif
