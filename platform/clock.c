/* SPDX-License-Identifier: BSD-3-Clause */
#include "platform/clock.h"

#include <time.h>

#include "platform/status.h"

static uint64_t tsc_hz = 1000000000ULL;
double clock_ns_per_cycle = 1.0;   /* set with tsc_hz */
static uint64_t started_ms;   /* CLOCK_MONOTONIC at clock_setup() */

static uint64_t ts_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t clock_mono_ns(void) { return ts_ns(CLOCK_MONOTONIC); }
uint64_t clock_mono_ms(void) { return ts_ns(CLOCK_MONOTONIC) / 1000000ULL; }
int64_t clock_unix_ms(void) { return (int64_t)(ts_ns(CLOCK_REALTIME) / 1000000ULL); }

uint64_t clock_tsc_fallback(void);
uint64_t clock_tsc_fallback(void) { return clock_mono_ns(); }

int clock_setup(void)
{
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	uint64_t t0 = clock_mono_ns(), c0 = clock_tsc();

	started_ms = t0 / 1000000ULL;

	nanosleep(&nap, NULL);
	uint64_t dt = clock_mono_ns() - t0, dc = clock_tsc() - c0;
	if (dt > 0 && dc > 0)
		tsc_hz = (uint64_t)((double)dc * 1e9 / (double)dt);
	clock_ns_per_cycle = 1e9 / (double)tsc_hz;
	return SS_OK;
}

uint64_t clock_tsc_hz(void) { return tsc_hz; }
uint64_t clock_uptime_ms(void) { return clock_mono_ms() - started_ms; }

