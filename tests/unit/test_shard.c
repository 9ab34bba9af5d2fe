/* SPDX-License-Identifier: BSD-3-Clause */
/* The foundation's shard table: set/get/delete, replace, expiry, growth, accounting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <time.h>

#include "platform/clock.h"
#include "platform/mem.h"
#include "storage/shard.h"

#define KEY(s) (s), strlen(s)

static int setup(void **state)
{
	*state = NULL;
	if (mem_setup(1) != 0 || mem_thread_init(0) != 0)
		return -1;
	*state = shard_create(0);
	return *state == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	shard_destroy(*state);
	mem_thread_fini();
	mem_teardown();
	return 0;
}

static void test_set_get_del(void **state)
{
	struct shard *s = *state;
	struct item *it;

	assert_null(shard_get_local(s, KEY("a"), 0));
	assert_int_equal(shard_set_local(s, KEY("a"), KEY("hello"), 42, 0), 0);
	it = shard_get_local(s, KEY("a"), 0);
	assert_non_null(it);
	assert_int_equal(item_vlen(it), 5);
	assert_memory_equal(item_value(it), "hello", 5);
	assert_memory_equal(item_key(it), "a", 1);
	assert_int_equal(item_klen(it), 1);
	assert_int_equal(item_flags(it), 42);
	assert_int_equal(shard_count(s), 1);
	uint64_t cas1 = item_cas(it);

	/* Replace: new value, new CAS, same count. */
	assert_int_equal(shard_set_local(s, KEY("a"), KEY("x"), 0, 0), 0);
	it = shard_get_local(s, KEY("a"), 0);
	assert_int_equal(item_vlen(it), 1);
	assert_true(item_cas(it) != cas1);
	assert_int_equal(shard_count(s), 1);

	/* Binary keys and values, empty value. */
	assert_int_equal(shard_set_local(s, "k\0\r\n", 4, "", 0, 0, 0), 0);
	it = shard_get_local(s, "k\0\r\n", 4, 0);
	assert_non_null(it);
	assert_int_equal(item_vlen(it), 0);
	assert_null(shard_get_local(s, "k\0\r", 3, 0));

	assert_int_equal(shard_del_local(s, KEY("a"), 0), 1);
	assert_int_equal(shard_del_local(s, KEY("a"), 0), 0);
	assert_null(shard_get_local(s, KEY("a"), 0));
	assert_int_equal(shard_count(s), 1);
}

static void test_expiry(void **state)
{
	struct shard *s = *state;

	assert_int_equal(shard_set_local(s, KEY("t"), KEY("v"), 0, 1000), 0);
	assert_non_null(shard_get_local(s, KEY("t"), 999));
	assert_int_equal(item_expire_ms(shard_get_local(s, KEY("t"), 999)), 1000);
	assert_null(shard_get_local(s, KEY("t"), 1000));   /* lazily removed */
	assert_int_equal(shard_count(s), 0);
	assert_int_equal(shard_set_local(s, KEY("t"), KEY("v"), 0, 1000), 0);
	assert_int_equal(shard_del_local(s, KEY("t"), 2000), 0);   /* expired: not "deleted" */
	assert_int_equal(shard_count(s), 0);
}

static void test_flush(void **state)
{
	struct shard *s = *state;
	int64_t now = clock_unix_ms();

	assert_int_equal(shard_set_local(s, KEY("a"), KEY("1"), 0, 0), 0);
	assert_int_equal(shard_set_local(s, KEY("b"), KEY("2"), 0, 0), 0);
	shard_flush_local(s, now, now);               /* now: all gone */
	assert_int_equal(shard_count(s), 0);
	assert_null(shard_get_local(s, KEY("a"), now));

	/* Delayed: items exist until the time, then everything that exists
	 * at that time goes; an item written after the time stays. */
	assert_int_equal(shard_set_local(s, KEY("a"), KEY("1"), 0, 0), 0);
	shard_flush_local(s, now + 1000, now);
	assert_non_null(shard_get_local(s, KEY("a"), now + 999));
	assert_int_equal(shard_set_local(s, KEY("c"), KEY("3"), 0, 0), 0);
	assert_null(shard_get_local(s, KEY("a"), now + 1000));
	assert_null(shard_get_local(s, KEY("c"), now + 1000));
	assert_int_equal(shard_count(s), 0);
	/* The pending flush was applied once, not again. */
	assert_int_equal(shard_set_local(s, KEY("d"), KEY("4"), 0, 0), 0);
	assert_non_null(shard_get_local(s, KEY("d"), now + 5000));

	/* A set after a due flush is not dropped by it (set reads the clock). */
	shard_flush_local(s, clock_unix_ms() + 20, clock_unix_ms());
	struct timespec ts = { 0, 40 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	assert_int_equal(shard_set_local(s, KEY("e"), KEY("5"), 0, 0), 0);
	assert_non_null(shard_get_local(s, KEY("e"), clock_unix_ms()));
	assert_null(shard_get_local(s, KEY("d"), clock_unix_ms()));
}

static void test_growth_and_accounting(void **state)
{
	struct shard *s = *state;
	char key[32], val[64];
	uint64_t empty = shard_used_memory(s);

	for (int i = 0; i < 50000; i++) {
		int kl = snprintf(key, sizeof(key), "key:%d", i);
		int vl = snprintf(val, sizeof(val), "value-%d", i * 7);
		assert_int_equal(shard_set_local(s, key, (size_t)kl, val, (size_t)vl, (uint32_t)i, 0), 0);
	}
	assert_int_equal(shard_count(s), 50000);
	assert_true(shard_used_memory(s) > empty + 50000 * 48);
	for (int i = 0; i < 50000; i++) {
		int kl = snprintf(key, sizeof(key), "key:%d", i);
		int vl = snprintf(val, sizeof(val), "value-%d", i * 7);
		struct item *it = shard_get_local(s, key, (size_t)kl, 0);
		assert_non_null(it);
		assert_int_equal(item_vlen(it), vl);
		assert_memory_equal(item_value(it), val, (size_t)vl);
		assert_int_equal(item_flags(it), i);
	}
	for (int i = 0; i < 50000; i++) {
		int kl = snprintf(key, sizeof(key), "key:%d", i);
		assert_int_equal(shard_del_local(s, key, (size_t)kl, 0), 1);
	}
	assert_int_equal(shard_count(s), 0);
	/* All item memory is given back; only the (grown) bucket array stays. */
	assert_true(shard_used_memory(s) < empty + 64 * 1024 * 8);
}

static void test_touch_peek_meta(void **state)
{
	struct shard *s = *state;
	struct item *it;

	assert_int_equal(shard_touch_local(s, KEY("t"), 5000, 1000), 0);
	assert_int_equal(shard_set_local(s, KEY("t"), "v", 1, 7, 0), 0);
	it = shard_peek_local(s, KEY("t"), 1000);
	assert_non_null(it);
	uint64_t cas = item_cas(it);
	assert_int_equal(item_meta(it), 0);
	item_meta_set_local(it, ITEM_FETCHED | ITEM_STALE);
	assert_int_equal(shard_touch_local(s, KEY("t"), 5000, 1000), 1);
	it = shard_get_local(s, KEY("t"), 1000);
	assert_int_equal(item_expire_ms(it), 5000);
	assert_int_equal(item_cas(it), cas);        /* touch keeps the CAS */
	assert_int_equal(item_meta(it), ITEM_FETCHED | ITEM_STALE);
	assert_int_equal(item_atime_s(it), 1);
	assert_null(shard_get_local(s, KEY("t"), 5000));   /* expired at 5000 */
	/* A new value clears the protocol bits. */
	assert_int_equal(shard_set_local(s, KEY("t"), "w", 1, 7, 0), 0);
	assert_int_equal(item_meta(shard_peek_local(s, KEY("t"), 0)), 0);
}

static void count_visit(const struct item *it, void *arg)
{
	unsigned *seen = arg;
	unsigned k;

	assert_int_equal(sscanf(item_key(it), "k%u", &k), 1);
	seen[k]++;
}

/* Every key present for the whole scan is visited, even when the table
 * doubles between calls. */
static void test_scan_across_growth(void **state)
{
	struct shard *s = *state;
	static unsigned seen[20000];
	char key[32];
	uint64_t cursor = 0;
	unsigned calls = 0;

	memset(seen, 0, sizeof(seen));
	for (unsigned i = 0; i < 1000; i++) {
		int n = snprintf(key, sizeof(key), "k%u", i);
		assert_int_equal(shard_set_local(s, key, (size_t)n, "v", 1, 0, 0), 0);
	}
	do {
		cursor = shard_scan_local(s, cursor, 10, count_visit, seen, 0);
		/* grow the table while the scan is in progress */
		for (unsigned i = 1000 + calls * 100; i < 1000 + (calls + 1) * 100 && i < 20000; i++) {
			int n = snprintf(key, sizeof(key), "k%u", i);
			assert_int_equal(shard_set_local(s, key, (size_t)n, "v", 1, 0, 0), 0);
		}
		calls++;
	} while (cursor != 0 && calls < 100000);
	assert_int_equal(cursor, 0);
	for (unsigned i = 0; i < 1000; i++)
		assert_true(seen[i] >= 1);
	assert_true(shard_count(s) > 2000);   /* it did grow during the scan */
}

static void test_random(void **state)
{
	struct shard *s = *state;
	struct item *it;
	int hit_a = 0, hit_b = 0;

	assert_null(shard_random_local(s, 0));
	assert_int_equal(shard_set_local(s, KEY("a"), "1", 1, 0, 0), 0);
	assert_int_equal(shard_set_local(s, KEY("b"), "2", 1, 0, 0), 0);
	assert_int_equal(shard_set_local(s, KEY("gone"), "3", 1, 0, 10), 0);
	for (int i = 0; i < 200; i++) {
		it = shard_random_local(s, 100);
		assert_non_null(it);
		assert_int_equal(item_klen(it), 1);   /* never the expired key */
		if (*(const char *)item_key(it) == 'a')
			hit_a++;
		else
			hit_b++;
	}
	assert_true(hit_a > 0 && hit_b > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_set_get_del, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_growth_and_accounting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_touch_peek_meta, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_across_growth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
