/* SPDX-License-Identifier: BSD-3-Clause */
/* clock_unix_ms: the TSC between reads of the system clock must stay with
 * the system clock, and never go back on a thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <time.h>
#include <cmocka.h>

#include "platform/clock.h"

static int64_t real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 300 ms of reads (three refreshes of the base), each within 2 ms of the
 * system clock read around it, none smaller than the one before. Returns
 * NULL, or what went wrong (no cmocka assertion off the main thread). */
static void *follow(void *arg)
{
	int64_t last = 0, t_end = real_ms() + 300;
	unsigned long n = 0;

	(void)arg;
	for (int64_t before; (before = real_ms()) < t_end; n++) {
		int64_t v = clock_unix_ms(), after = real_ms();
		if (v < before - 2 || v > after + 2)
			return "off the system clock";
		if (v < last)
			return "backwards";
		last = v;
	}
	return n > 1000 ? NULL : "too few reads";
}

static void test_unix_ms_follows_the_system_clock(void **state)
{
	pthread_t th;
	void *why;

	(void)state;
	assert_null(follow(NULL));
	/* another thread keeps a base of its own */
	assert_int_equal(pthread_create(&th, NULL, follow, NULL), 0);
	assert_null(follow(NULL));
	assert_int_equal(pthread_join(th, &why), 0);
	assert_null(why);
}

static uint64_t fake_ns;
static uint64_t fake_wall(void) { return fake_ns; }

/* Re-read at the next call: the base is at most 100 ms old. */
static void next_refresh(void)
{
	struct timespec nap = { 0, 110 * 1000 * 1000 };

	nanosleep(&nap, NULL);
}

/* A wall clock set back is followed (TTLs do not stall for the step); the
 * TSC running a few ms ahead of a re-read system clock is held. */
static void test_unix_ms_takes_a_step_back(void **state)
{
	const uint64_t t = 1800000000000ULL * 1000000ULL;   /* 2027, in ns */
	int64_t a, b;

	(void)state;
	clock_wall_source_set(fake_wall);
	fake_ns = t;
	next_refresh();
	a = clock_unix_ms();
	assert_true(a >= (int64_t)(t / 1000000) && a <= (int64_t)(t / 1000000) + 1);
	fake_ns = t - 3600ULL * 1000000000ULL;      /* set back an hour */
	next_refresh();
	b = clock_unix_ms();
	assert_true(b <= a - 3600 * 1000 + 1);
	fake_ns -= 20ULL * 1000000ULL;               /* 20 ms behind what was read */
	next_refresh();
	assert_true(clock_unix_ms() >= b);
	clock_wall_source_set(NULL);
	next_refresh();
	assert_true(clock_unix_ms() - real_ms() <= 2 && real_ms() - clock_unix_ms() <= 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unix_ms_follows_the_system_clock),
		cmocka_unit_test(test_unix_ms_takes_a_step_back),
	};

	clock_setup();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
