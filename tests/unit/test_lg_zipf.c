/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The load generator's key distributions (tests/bench/loadgen/lg_zipf.c,
 * lg_workload.h): zipf ranks against theory, uniform keys, the op ratio and
 * the sequential walk. Seeds are fixed, so a failure repeats; tolerances are
 * many standard errors wide, so a correct generator does not fail by chance.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lg_workload.h"
#include "lg_zipf.h"

#define DRAWS 2000000

static void check_zipf(uint64_t n, double theta)
{
	struct lg_zipf z;
	struct lg_rand r;
	uint64_t *cnt = calloc(n, sizeof(*cnt));
	double p0, p1, zeta;

	assert_non_null(cnt);
	assert_int_equal(lg_zipf_init(&z, n, theta), 0);
	lg_rand_seed(&r, 42);
	for (int i = 0; i < DRAWS; i++) {
		uint64_t k = lg_zipf_next(&z, &r);

		assert_true(k < n);
		cnt[k]++;
	}
	zeta = lg_zeta(n, theta);
	/* rank 1 (index 0) and 2: exact in Gray's method, within 2% of theory
	 * (the standard error is about 0.2% at these sample sizes) */
	p0 = (double)cnt[0] / DRAWS;
	p1 = (double)cnt[1] / DRAWS;
	if (fabs(p0 * zeta - 1.0) > 0.02)
		fail_msg("n=%llu theta=%.2f: rank 1 frequency %.5f, theory %.5f",
			 (unsigned long long)n, theta, p0, 1.0 / zeta);
	if (fabs(p1 * zeta * pow(2, theta) - 1.0) > 0.02)
		fail_msg("n=%llu theta=%.2f: rank 2 frequency %.5f, theory %.5f",
			 (unsigned long long)n, theta, p1, pow(2, -theta) / zeta);
	/* The head of the tail is approximate: ranks 3..10 together within 15%. */
	{
		double got = 0, want = 0;

		for (int k = 2; k < 10; k++) {
			got += (double)cnt[k] / DRAWS;
			want += pow(k + 1, -theta) / zeta;
		}
		if (fabs(got / want - 1.0) > 0.15)
			fail_msg("ranks 3..10: %.4f, theory %.4f", got, want);
	}
	/* Skewed (theta >= 0.9): the top 1% of keys draw over 30% of requests. */
	if (theta >= 0.9) {
		uint64_t top = 0;

		for (uint64_t k = 0; k < n / 100; k++)
			top += cnt[k];
		assert_true((double)top / DRAWS > 0.3);
	}
	free(cnt);
}

static void test_zipf_099(void **state)
{
	(void)state;
	check_zipf(1000, 0.99);
	check_zipf(100000, 0.99);
}

static void test_zipf_other_theta(void **state)
{
	(void)state;
	check_zipf(10000, 0.5);
	check_zipf(10000, 0.9);
}

static void test_zipf_bad_args(void **state)
{
	struct lg_zipf z;

	(void)state;
	assert_int_equal(lg_zipf_init(&z, 0, 0.99), -EINVAL);
	assert_int_equal(lg_zipf_init(&z, 10, 0), -EINVAL);
	assert_int_equal(lg_zipf_init(&z, 10, 1.0), -EINVAL);
	assert_int_equal(lg_zipf_init(&z, 10, NAN), -EINVAL);
	assert_true(fabs(lg_zeta(2, 0.5) - (1 + 1 / sqrt(2))) < 1e-12);
	assert_true(fabs(lg_zeta(1, 0.99) - 1) < 1e-12);
}

static void test_uniform_and_ratio(void **state)
{
	struct lg_workload w;
	struct lg_draw d;
	uint64_t cnt[10] = { 0 }, sets = 0;

	(void)state;
	assert_int_equal(lg_workload_init(&w, 1, 19, 10, LG_KEYS_UNIFORM, 0.99, "key:"), 0);
	lg_draw_init(&d, 7, 0, 1);
	for (int i = 0; i < DRAWS; i++) {
		uint64_t k = lg_next_key(&w, &d);

		assert_true(k < 10);
		cnt[k]++;
		sets += lg_next_op(&w, &d) == LG_SET;
	}
	for (int k = 0; k < 10; k++)
		assert_true(fabs((double)cnt[k] / DRAWS - 0.1) < 0.003);
	/* 1:19 is 5% SET */
	assert_true(fabs((double)sets / DRAWS - 0.05) < 0.002);
	assert_int_equal(lg_workload_init(&w, 0, 1, 10, LG_KEYS_UNIFORM, 0.99, "k"), 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(lg_next_op(&w, &d), LG_GET);
	assert_int_equal(lg_workload_init(&w, 0, 0, 10, LG_KEYS_UNIFORM, 0.99, "k"), -EINVAL);
	assert_int_equal(lg_workload_init(&w, 1, 1, 10, LG_KEYS_ZIPF, 1.5, "k"), -EINVAL);
}

/* Three connections walking sequentially cover every key once. */
static void test_sequential_covers(void **state)
{
	struct lg_workload w;
	struct lg_draw d[3];
	int seen[31] = { 0 };
	char name[96];

	(void)state;
	assert_int_equal(lg_workload_init(&w, 1, 0, 31, LG_KEYS_SEQUENTIAL, 0.99, "pre-"), 0);
	for (int c = 0; c < 3; c++)
		lg_draw_init(&d[c], 1, (uint64_t)c, 3);
	for (int i = 0; i < 11; i++)
		for (int c = 0; c < 3; c++)
			seen[lg_next_key(&w, &d[c])]++;
	for (int k = 0; k < 31; k++)
		assert_true(seen[k] >= 1);
	name[lg_key_name(&w, 30, name)] = '\0';
	assert_string_equal(name, "pre-30");
	name[lg_key_name(&w, 0, name)] = '\0';
	assert_string_equal(name, "pre-0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zipf_099),
		cmocka_unit_test(test_zipf_other_theta),
		cmocka_unit_test(test_zipf_bad_args),
		cmocka_unit_test(test_uniform_and_ratio),
		cmocka_unit_test(test_sequential_covers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
