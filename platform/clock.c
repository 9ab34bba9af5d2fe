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

/*
 * Wall-clock ms without a system call per read: CLOCK_REALTIME at most every
 * 100 ms per thread (a step of the wall clock shows within that), the TSC
 * in between (a multiply). Not backwards on one thread by the small
 * differences of the two clocks. Every request and
 * loop step reads it; clock_gettime cost about 35 instructions a read.
 */
static uint64_t wall_refresh_cycles;   /* 0 before clock_setup: always the system clock */
static uint64_t realtime_ns(void) { return ts_ns(CLOCK_REALTIME); }
static uint64_t (*wall_source)(void) = realtime_ns;
static __thread uint64_t wall_tsc, wall_ns;
static __thread int64_t wall_last_ms;

int64_t clock_unix_ms(void)
{
	uint64_t t = clock_tsc(), ns;
	int64_t ms;

	if (t - wall_tsc >= wall_refresh_cycles || t < wall_tsc) {
		wall_ns = wall_source();
		wall_tsc = t;
		ns = wall_ns;
	} else {
		ns = wall_ns + clock_tsc_to_ns(t - wall_tsc);
	}
	ms = (int64_t)(ns / 1000000ULL);
	/* The TSC ran a little ahead of a re-read system clock: hold. A wall
	 * clock set back (by hand, an NTP step) is taken as it is, as Redis
	 * does, not waited out. */
	if (ms < wall_last_ms && wall_last_ms - ms < 100)
		ms = wall_last_ms;
	return wall_last_ms = ms;
}

void clock_wall_source_set(uint64_t (*fn)(void)) { wall_source = fn != NULL ? fn : realtime_ns; }

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
	wall_refresh_cycles = tsc_hz / 10;
	return SS_OK;
}

uint64_t clock_tsc_hz(void) { return tsc_hz; }
uint64_t clock_uptime_ms(void) { return clock_mono_ms() - started_ms; }

