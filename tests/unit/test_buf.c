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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
