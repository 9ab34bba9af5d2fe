/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Room for a kop result's bytes that are not an item's value as stored: an
 * old value about to be overwritten or deleted (SET GET, GETDEL), a number
 * printed (INCRBYFLOAT), keys gathered (KEYS, SCAN). One buffer per thread:
 * a result's val is read (locally) or copied (steering) before the thread
 * runs its next kop, which is all kop_result.val promises.
 */
#ifndef SS_DATAPLANE_KOP_SCRATCH_H
#define SS_DATAPLANE_KOP_SCRATCH_H

#include "dataplane/buf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* This thread's scratch buffer, emptied. Its enomem flag tells whether an
 * append failed. Freed when the thread exits. */
struct buf *kop_scratch(void);

#ifdef __cplusplus
}
#endif

#endif
