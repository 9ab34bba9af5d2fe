/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Error reply statistics (Redis INFO errorstats, total_error_replies):
 * counts per error code, the first word of the message ("ERR",
 * "WRONGPASS", "NOAUTH" ...). At most ERRSTAT_MAX codes, as Redis stops
 * tracking new codes past 128. Error replies are off the fast path, so the
 * counters are shared atomics.
 */
#ifndef SS_PLATFORM_ERRSTAT_H
#define SS_PLATFORM_ERRSTAT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ERRSTAT_MAX     128
#define ERRSTAT_CODELEN 32

/* Count an error reply whose message (without the '-') is msg. Any thread. */
void errstat_add(const char *msg, size_t len);
/* Every error reply since start or the last reset, tracked code or not. */
uint64_t errstat_total(void);
/* Codes 0..n-1 with their counts; returns n. */
unsigned errstat_snapshot(char codes[][ERRSTAT_CODELEN], uint64_t *counts, unsigned max);
/* CONFIG RESETSTAT. */
void errstat_reset(void);

#ifdef __cplusplus
}
#endif

#endif
