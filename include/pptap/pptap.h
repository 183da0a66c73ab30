/*
 * pptap — Proofpoint TAP toolkit. Umbrella header of libpptap.
 */
#ifndef PPTAP_PPTAP_H
#define PPTAP_PPTAP_H

#include <pptap/client.h>
#include <pptap/common.h>
#include <pptap/format.h>
#include <pptap/normalize.h>
#include <pptap/settings.h>
#include <pptap/store.h>
#include <pptap/tap.h>
#include <pptap/time.h>
#include <pptap/urldefense.h>

#endif
