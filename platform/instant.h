/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Instantaneous rates (INFO instantaneous_ops_per_sec and the kbps fields),
 * as Redis computes them: the management core samples a counter every
 * 100 ms into a ring of 16 samples; the rate is the mean of the per-sample
 * rates. Readers on any thread.
 */
#ifndef SS_PLATFORM_INSTANT_H
#define SS_PLATFORM_INSTANT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum instant_metric { INSTANT_OPS, INSTANT_NET_IN, INSTANT_NET_OUT, INSTANT__COUNT };

#define INSTANT_PERIOD_MS 100
#define INSTANT_SAMPLES   16

/* Management core: record the counter's current value at now_ms (ignored
 * when under INSTANT_PERIOD_MS after the previous sample). */
void instant_track(enum instant_metric m, uint64_t value, uint64_t now_ms);
/* Per second. */
double instant_rate(enum instant_metric m);

/* Management core, about once a second: each core's latency over every
 * command since the previous call (histogram deltas, from cmdstat). */
#define INSTANT_LATENCY_PERIOD_MS 1000
void instant_latency_tick(uint64_t now_ms);
/* That window's p99 and call count for core c (0 when no calls). */
uint64_t instant_p99_ns(unsigned core);
uint64_t instant_calls(unsigned core);

#ifdef __cplusplus
}
#endif

#endif
