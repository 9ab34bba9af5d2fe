/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The connection buffer: formatted appends that fit the free room (one
 * pass) and that do not (grow, format again), at every length around the
 * room's edge; decimal appends at their extremes; room reclaimed from
 * consumed bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/buf.h"
#include "platform/fmt.h"
#include "platform/status.h"

static void test_appendf_at_every_edge(void **state)
{
	char want[600], fill[600];

	(void)state;
	memset(fill, 'x', sizeof(fill));
	for (size_t pre = 0; pre < 300; pre += 7) {
		for (size_t n = 0; n < 300; n++) {
			struct buf b;

			buf_init(&b);                      /* no allocation yet at first */
			assert_int_equal(buf_append(&b, fill, pre), SS_OK);
			assert_int_equal(buf_appendf(&b, "%.*s|%zu", (int)n, fill, n), SS_OK);
			int wl = snprintf(want, sizeof(want), "%.*s%.*s|%zu", (int)pre, fill, (int)n,
					  fill, n);
			assert_int_equal(buf_len(&b), (size_t)wl);
			assert_memory_equal(buf_rptr(&b), want, (size_t)wl);
			assert_true(b.wpos <= b.cap);
			buf_fini(&b);
		}
	}
}

static void test_append_numbers(void **state)
{
	struct buf b;
	const char want[] = "VA 0 c18446744073709551615 t-1 l-9223372036854775808 9223372036854775807 $42";

	(void)state;
	buf_init(&b);
	assert_int_equal(buf_append_u64(&b, "VA ", 0), SS_OK);
	assert_int_equal(buf_append_u64(&b, " c", UINT64_MAX), SS_OK);
	assert_int_equal(buf_append_i64(&b, " t", -1), SS_OK);
	assert_int_equal(buf_append_i64(&b, " l", INT64_MIN), SS_OK);
	assert_int_equal(buf_append_i64(&b, " ", INT64_MAX), SS_OK);
	assert_int_equal(buf_append_u64(&b, " $", 42), SS_OK);
	assert_int_equal(buf_len(&b), sizeof(want) - 1);
	assert_memory_equal(buf_rptr(&b), want, sizeof(want) - 1);
	buf_fini(&b);
}

/* Consumed bytes make room again: the unread part moves to the front. */
/* fmt_u64/fmt_i64 against printf: every value to 200,000, each power of
 * ten and its neighbours, the extremes, and random 64-bit values; nothing
 * is written past the digits. */
static void check_u64(uint64_t v)
{
	char got[FMT_U64_MAX + 2], want[32];
	int n = snprintf(want, sizeof(want), "%llu", (unsigned long long)v);

	memset(got, '#', sizeof(got));
	assert_int_equal(fmt_u64(got, v), (size_t)n);
	assert_memory_equal(got, want, (size_t)n);
	assert_int_equal(got[n], '#');
}

static void test_fmt_matches_printf(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL, p = 1;
	char got[FMT_U64_MAX + 2], want[32];

	(void)state;
	for (uint64_t v = 0; v <= 200000; v++)
		check_u64(v);
	for (int i = 0; i < 20; i++, p *= 10) {
		check_u64(p - 1);
		check_u64(p);
		check_u64(p + 1);
	}
	check_u64(UINT64_MAX);
	check_u64(UINT64_MAX - 1);
	for (int i = 0; i < 100000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		check_u64(x >> (x & 63));
	}
	const int64_t signed_cases[] = { 0, -1, 1, -9, -10, -99, -100, INT64_MIN, INT64_MAX };
	for (size_t i = 0; i < sizeof(signed_cases) / sizeof(signed_cases[0]); i++) {
		int n = snprintf(want, sizeof(want), "%lld", (long long)signed_cases[i]);
		assert_int_equal(fmt_i64(got, signed_cases[i]), (size_t)n);
		assert_memory_equal(got, want, (size_t)n);
	}
}

static void test_room_from_consumed(void **state)
{
	struct buf b;
	char big[100];

	(void)state;
	memset(big, 'a', sizeof(big));
	buf_init(&b);
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(buf_append(&b, big, sizeof(big)), SS_OK);
		assert_int_equal(buf_appendf(&b, "%d", i % 10), SS_OK);
		buf_consume(&b, sizeof(big));
		assert_int_equal(buf_len(&b), 1);
		assert_int_equal(buf_rptr(&b)[0], '0' + i % 10);
		buf_consume(&b, 1);
	}
	assert_true(b.cap <= 4096);
	buf_fini(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_appendf_at_every_edge),
		cmocka_unit_test(test_append_numbers),
		cmocka_unit_test(test_room_from_consumed),
		cmocka_unit_test(test_fmt_matches_printf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
