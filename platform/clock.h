/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Time: the TSC for cheap cycle counts on the request path, calibrated once
 * against CLOCK_MONOTONIC; coarse wall and monotonic milliseconds for
 * expiry. Safe on any thread after clock_setup().
 */
#ifndef SS_PLATFORM_CLOCK_H
#define SS_PLATFORM_CLOCK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Calibrates the TSC (about 10 ms). Returns SS_OK. */
int clock_setup(void);

static inline uint64_t clock_tsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	extern uint64_t clock_tsc_fallback(void);
	return clock_tsc_fallback();
#endif
}

uint64_t clock_tsc_hz(void);

/* ns per TSC cycle, set once by clock_setup(): a multiply per conversion,
 * inline, as every request converts its timings. */
extern double clock_ns_per_cycle;

static inline uint64_t clock_tsc_to_ns(uint64_t cycles)
{
	return (uint64_t)((double)cycles * clock_ns_per_cycle);
}

uint64_t clock_mono_ns(void);
uint64_t clock_mono_ms(void);
/* Milliseconds since clock_setup() (process start). */
uint64_t clock_uptime_ms(void);
/* Unix time in milliseconds (expiry times are absolute Unix ms): the system
 * clock read at most every 100 ms per thread, the TSC in between; not
 * backwards on one thread but by a step of the wall clock itself. */
int64_t clock_unix_ms(void);
/* Tests: what clock_unix_ms reads as the system clock (ns), NULL = the real
 * one. Set it before threads read the clock. */
void clock_wall_source_set(uint64_t (*fn)(void));

#ifdef __cplusplus
}
#endif

#endif
