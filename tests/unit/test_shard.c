/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shard: set/get/delete, replace, expiry (lazy and active), growth and
 * shrink, exact accounting, the eight eviction policies (statistical
 * checks), and readers on other threads under QSBR while the owner writes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <malloc.h>

#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <urcu-qsbr.h>

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
	assert_int_equal(item_idle_s(it, 1000), 0);
	assert_int_equal(item_idle_s(it, 3999), 2);
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
/* Every layout the 16-byte header has: key lengths around the one-byte
 * length's limit (255 takes the long form), memcached flags, an expiry,
 * an expiry added later (a copy of the item), and all read back whole. */
static void test_item_layouts(void **state)
{
	struct shard *s = *state;
	static const size_t klens[] = { 1, 14, 254, 255, 256, 1000, 70000 };
	static char key[70000], val[300];

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (char)('a' + i % 26);
	for (size_t i = 0; i < sizeof(val); i++)
		val[i] = (char)('0' + i % 10);
	for (size_t k = 0; k < sizeof(klens) / sizeof(klens[0]); k++) {
		for (int form = 0; form < 4; form++) {
			size_t kl = klens[k], vl = (kl * 7 + (size_t)form) % sizeof(val);
			uint32_t flags = (form & 1) ? 0xdeadbeefu : 0;
			int64_t exp = (form & 2) ? 1700000000123LL : SHARD_NO_EXPIRY;
			struct item *it;

			key[0] = (char)('A' + form);
			assert_int_equal(shard_set_local(s, key, kl, val, vl, flags, exp), 0);
			it = shard_peek_local(s, key, kl, 1000);
			assert_non_null(it);
			assert_int_equal(item_klen(it), kl);
			assert_memory_equal(item_key(it), key, kl);
			assert_int_equal(item_vlen(it), vl);
			assert_memory_equal(item_value(it), val, vl);
			assert_int_equal(item_flags(it), flags);
			assert_int_equal(item_expire_ms(it), exp);
			assert_true(item_cas(it) != 0);
			if (exp == SHARD_NO_EXPIRY) {
				uint64_t cas = item_cas(it);
				assert_int_equal(shard_touch_local(s, key, kl, 1800000000000LL, 1000), 1);
				it = shard_peek_local(s, key, kl, 1000);
				assert_int_equal(item_expire_ms(it), 1800000000000LL);
				assert_int_equal(item_flags(it), flags);
				assert_int_equal(item_klen(it), kl);
				assert_memory_equal(item_key(it), key, kl);
				assert_memory_equal(item_value(it), val, vl);
				assert_int_equal(item_cas(it), cas);
			}
		}
	}
}

/* CAS values are unique across shards (the owner in the low bits); the
 * 48-bit CAS wraps past 0 (memcached's "no CAS"), and a restored CAS
 * wider than 48 bits keeps its low bits; the 24-bit access clock reads
 * idle times across its wrap, and an access after now as idle 0. */
static void test_cas_and_clock_wrap(void **state)
{
	struct shard *s = *state;
	const int64_t wrap_ms = (int64_t)(1 << 24) * 1000;
	struct item *it;

	struct shard *s1 = shard_create(1);
	char key[16];

	/* two shards: one owner bit, and no CAS value is handed out twice */
	shard_set_cas_owners_local(s, 2);
	shard_set_cas_owners_local(s1, 2);
	for (unsigned i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "u%u", i);
		assert_int_equal(shard_set_local(s, KEY(key), KEY("v"), 0, 0), 0);
		assert_int_equal(shard_set_local(s1, KEY(key), KEY("v"), 0, 0), 0);
		assert_int_equal(item_cas(shard_peek_local(s, KEY(key), 0)) & 1, 0);
		assert_int_equal(item_cas(shard_peek_local(s1, KEY(key), 0)) & 1, 1);
	}
	shard_destroy(s1);

	shard_cas_floor_local(s, (1ULL << 48) - 1);
	assert_int_equal(shard_set_local(s, KEY("c"), KEY("v"), 0, 0), 0);
	assert_int_equal(item_cas(shard_peek_local(s, KEY("c"), 0)), 2);   /* 1 << 1 | 0 */
	assert_int_equal(shard_restore_cas_local(s, KEY("c"), (5ULL << 48) | 77), 1);
	assert_int_equal(item_cas(shard_peek_local(s, KEY("c"), 0)), 77);
	/* later writes stay above a restored CAS */
	assert_int_equal(shard_set_local(s, KEY("c"), KEY("w"), 0, 0), 0);
	assert_int_equal(item_cas(shard_peek_local(s, KEY("c"), 0)), 78);

	it = shard_get_local(s, KEY("c"), wrap_ms - 2000);    /* counted access */
	assert_int_equal(item_idle_s(it, wrap_ms - 2000), 0);
	assert_int_equal(item_idle_s(it, wrap_ms + 5000), 7);
	/* an access after now (the clock stepped back) reads as idle 0 */
	assert_int_equal(item_idle_s(it, wrap_ms - 60000), 0);
}

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


static int kset(struct shard *s, const char *prefix, unsigned i, size_t vlen, int64_t exp)
{
	char key[48], val[256];
	int kl = snprintf(key, sizeof(key), "%s%u", prefix, i);

	memset(val, 'a' + (int)(i % 26), vlen);
	return shard_set_local(s, key, (size_t)kl, val, vlen, 0, exp);
}

static struct item *kget(struct shard *s, const char *prefix, unsigned i, int64_t now)
{
	char key[48];
	int kl = snprintf(key, sizeof(key), "%s%u", prefix, i);

	return shard_get_local(s, key, (size_t)kl, now);
}

/* The table grows one allocator size class at a time (x1.14 to x1.25), so
 * once a resize has finished the index costs at most 14 bytes per key at
 * every count, not up to 20 as it did while it doubled: issue 4's goal is
 * 32 bytes per small item in all, of which the item takes 18. The keys and
 * the hash are fixed, so the figure is exact, not a sample. */
static void test_index_stays_dense(void **state)
{
	struct shard *s = *state;
	double worst = 0, best = 1e9;

	for (unsigned i = 0; i < 300000; i++) {
		assert_int_equal(kset(s, "d", i, 1, 0), 0);
		if (i < 3000 || i % 997 != 0)
			continue;
		while (shard_resize_step_local(s, 1u << 20))
			;
		double per = (double)shard_index_memory(s) / (double)shard_count(s);
		worst = per > worst ? per : worst;
		best = per < best ? per : best;
	}
	printf("index bytes per key from 3,000 to 300,000 keys: %.2f to %.2f\n", best, worst);
	assert_true(worst <= 14.0);
}

static struct item *kpeek(struct shard *s, const char *prefix, unsigned i)
{
	char key[48];
	int kl = snprintf(key, sizeof(key), "%s%u", prefix, i);

	return shard_peek_local(s, key, (size_t)kl, 0);
}

static void count_k_only(const struct item *it, void *arg)
{
	unsigned *seen = arg;
	unsigned k;

	if (sscanf(item_key(it), "k%u", &k) == 1)
		seen[k]++;
}

/* The same while the table shrinks under the scan (others' keys deleted). */
static void test_scan_across_shrink(void **state)
{
	struct shard *s = *state;
	static unsigned seen[1000];
	char key[32];
	uint64_t cursor = 0, index_before;
	unsigned calls = 0, next_del = 0;

	memset(seen, 0, sizeof(seen));
	for (unsigned i = 0; i < 1000; i++) {
		int n = snprintf(key, sizeof(key), "k%u", i);
		assert_int_equal(shard_set_local(s, key, (size_t)n, "v", 1, 0, 0), 0);
	}
	for (unsigned i = 0; i < 60000; i++)
		assert_int_equal(kset(s, "x", i, 1, 0), 0);
	index_before = shard_index_memory(s);
	do {
		cursor = shard_scan_local(s, cursor, 4, count_k_only, seen, 0);
		for (unsigned j = 0; j < 400 && next_del < 60000; j++, next_del++) {
			char k2[32];
			int n = snprintf(k2, sizeof(k2), "x%u", next_del);
			assert_int_equal(shard_del_local(s, k2, (size_t)n, 0), 1);
		}
		calls++;
	} while (cursor != 0 && calls < 100000);
	assert_int_equal(cursor, 0);
	for (unsigned i = 0; i < 1000; i++)
		assert_true(seen[i] >= 1);
	assert_true(shard_index_memory(s) < index_before / 4);   /* it did shrink */
}


/* Expiry boundaries: expired at exactly expire_ms, 0 never expires, a past
 * time is already expired; touch persists and re-arms; flags and expiry
 * live in optional fields that must read back right in every layout. */
static void test_ttl_boundaries(void **state)
{
	struct shard *s = *state;
	struct item *it;

	assert_int_equal(shard_set_local(s, KEY("never"), KEY("v"), 0, SHARD_NO_EXPIRY), 0);
	assert_non_null(shard_get_local(s, KEY("never"), INT64_MAX - 1));
	assert_int_equal(item_expire_ms(shard_get_local(s, KEY("never"), 0)), 0);

	assert_int_equal(shard_set_local(s, KEY("b"), KEY("v"), 7, 5000), 0);
	assert_int_equal(shard_volatile_count(s), 1);
	it = shard_get_local(s, KEY("b"), 4999);
	assert_non_null(it);
	assert_int_equal(item_flags(it), 7);
	assert_null(shard_get_local(s, KEY("b"), 5000));
	assert_int_equal(shard_expired(s), 1);
	assert_int_equal(shard_volatile_count(s), 0);

	/* a time in the past: stored, but reads as missing */
	assert_int_equal(shard_set_local(s, KEY("past"), KEY("v"), 0, 1), 0);
	assert_null(shard_get_local(s, KEY("past"), 2));

	/* touch: give an expiry to a key that had none (the item is copied,
	 * value, flags and CAS kept), move it, then persist it */
	assert_int_equal(shard_set_local(s, KEY("t"), KEY("value"), 99, 0), 0);
	uint64_t cas = item_cas(shard_get_local(s, KEY("t"), 0));
	assert_int_equal(shard_touch_local(s, KEY("t"), 3000, 0), 1);
	it = shard_get_local(s, KEY("t"), 2999);
	assert_non_null(it);
	assert_int_equal(item_expire_ms(it), 3000);
	assert_int_equal(item_flags(it), 99);
	assert_int_equal(item_cas(it), cas);
	assert_memory_equal(item_value(it), "value", 5);
	assert_int_equal(shard_volatile_count(s), 1);
	assert_int_equal(shard_touch_local(s, KEY("t"), 0, 2999), 1);
	assert_int_equal(shard_volatile_count(s), 0);
	assert_non_null(shard_get_local(s, KEY("t"), 10000));
	assert_int_equal(shard_touch_local(s, KEY("t"), 4000, 0), 1);
	assert_null(shard_get_local(s, KEY("t"), 4000));

	/* A key longer than the 16-bit length field, with flags and expiry. */
	static char big[70000];
	memset(big, 'k', sizeof(big));
	assert_int_equal(shard_set_local(s, big, sizeof(big), KEY("v"), 5, 9000), 0);
	it = shard_get_local(s, big, sizeof(big), 0);
	assert_non_null(it);
	assert_int_equal(item_klen(it), sizeof(big));
	assert_memory_equal(item_key(it), big, sizeof(big));
	assert_int_equal(item_flags(it), 5);
	assert_int_equal(item_expire_ms(it), 9000);
	assert_null(shard_get_local(s, big, sizeof(big) - 1, 0));
	assert_int_equal(shard_touch_local(s, KEY("nokey"), 1, 0), 0);
}

/* Writing over a key that is past its expiry expires it first, with no
 * lookup before the write (a plain SET makes none): counted in
 * expired_keys as Redis counts it, the volatile count back to 0, and the
 * new value is what reads back. */
static void test_set_over_expired_key(void **state)
{
	struct shard *s = *state;
	struct item *it;

	assert_int_equal(shard_set_local(s, KEY("k"), KEY("old"), 0, 1), 0);   /* expired at 1 ms */
	assert_int_equal(shard_volatile_count(s), 1);
	assert_int_equal(shard_expired(s), 0);
	assert_int_equal(shard_set_local(s, KEY("k"), KEY("new"), 0, SHARD_NO_EXPIRY), 0);
	assert_int_equal(shard_expired(s), 1);
	assert_int_equal(shard_volatile_count(s), 0);
	assert_int_equal(shard_count(s), 1);
	it = shard_get_local(s, KEY("k"), clock_unix_ms());
	assert_non_null(it);
	assert_memory_equal(item_value(it), "new", 3);
	/* A live key is overwritten, not expired. */
	assert_int_equal(shard_set_local(s, KEY("k"), KEY("newer"), 0, SHARD_NO_EXPIRY), 0);
	assert_int_equal(shard_expired(s), 1);
	assert_int_equal(shard_count(s), 1);
}

/* Steps the shard until nothing has been waiting to be freed for 200 steps
 * in a row (sleeping between those: grace periods end on liburcu's
 * thread). Returns the steps that found memory to free. */
static unsigned steps_until_settled(struct shard *s)
{
	unsigned busy = 0, quiet = 0;
	/* far enough ahead that every open batch is old enough to go */
	int64_t later = clock_unix_ms() + 1000000;

	for (int i = 0; i < 20000 && quiet < 200; i++) {
		bool due = shard_reclaim_due_local(s);

		shard_expire_step_local(s, later, 16);
		if (due) {
			busy++;
			quiet = 0;
		} else {
			quiet++;
			struct timespec ts = { 0, 200 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	assert_true(quiet >= 200);
	return busy;
}

/* Memory past its grace period is freed a bounded amount per step (256
 * pointers), so a big batch does not stall the worker's loop in one go;
 * shard_reclaim_due_local says more is waiting (the loop must not sleep). */
static void test_reclaim_is_spread_over_steps(void **state)
{
	struct shard *s = *state;
	unsigned busy;

	for (unsigned i = 0; i < 5000; i++)
		assert_int_equal(kset(s, "r", i, 16, 0), 0);
	steps_until_settled(s);
	for (unsigned i = 0; i < 5000; i++)        /* 5000 items retired */
		assert_int_equal(kset(s, "r", i, 24, 0), 0);
	busy = steps_until_settled(s);
	print_message("5000 retired items freed over %u steps\n", busy);
	assert_true(busy >= (5000 + 255) / 256 && busy <= (5000 + 255) / 256 + 3);
}

/* Writes with no expiry steps between them (one long pipeline or command)
 * still give back what they retire once its grace period has ended: the
 * arena holds at most a few batches of old items, not all of them. */
static void test_writes_without_steps_free_as_they_go(void **state)
{
	struct shard *s = *state;
	uint64_t base, grown;

	if (mem_local_allocated() == 0)
		skip();   /* libc builds: no arena statistics */
	assert_int_equal(kset(s, "w", 0, 100, 0), 0);
	steps_until_settled(s);
	base = mem_local_allocated();
	for (int round = 0; round < 20; round++) {
		for (unsigned i = 0; i < 10000; i++)   /* 200k overwrites of one key */
			assert_int_equal(kset(s, "w", 0, 100, 0), 0);
		struct timespec ts = { 0, 5 * 1000 * 1000 };   /* grace periods end */
		nanosleep(&ts, NULL);
	}
	grown = mem_local_allocated() - base;
	print_message("200k overwrites of a 100-byte item, no steps: %llu bytes held\n",
		      (unsigned long long)grown);
	/* 200k items of 128 bytes would be 25.6 MB; four batches 8.4 MB */
	assert_true(grown < 4 * 16384 * 128);
}

/* Active expiry removes expired keys without any access, bounded per
 * call, and never a key without an expiry or one not yet due. */
static void test_active_expiry(void **state)
{
	struct shard *s = *state;
	unsigned first, total = 0, calls = 0;

	for (unsigned i = 0; i < 20000; i++) {
		assert_int_equal(kset(s, "vol", i, 8, 1000), 0);
		assert_int_equal(kset(s, "keep", i, 8, 0), 0);
		assert_int_equal(kset(s, "later", i, 8, 100000), 0);
	}
	assert_int_equal(shard_expire_step_local(s, 999, 16), 0);
	first = shard_expire_step_local(s, 1000, 16);
	assert_true(first > 0);
	assert_true(first < 20000);      /* bounded: not all in one call */
	total = first;
	while (total < 20000 && ++calls < 100000)
		total += shard_expire_step_local(s, 1000, 16);
	assert_int_equal(total, 20000);
	assert_int_equal(shard_expired(s), 20000);
	assert_int_equal(shard_count(s), 40000);
	assert_int_equal(shard_volatile_count(s), 20000);
	for (unsigned i = 0; i < 20000; i++) {
		assert_null(kpeek(s, "vol", i));
		assert_non_null(kpeek(s, "keep", i));
	}
}

struct acct {
	uint64_t bytes, n;
};

static void acct_visit(const struct item *it, void *arg)
{
	struct acct *a = arg;

	a->bytes += shard_item_bytes(it);
	a->n++;
}

static uint64_t scan_all(struct shard *s, struct acct *a)
{
	uint64_t cursor = 0;

	memset(a, 0, sizeof(*a));
	do
		cursor = shard_scan_local(s, cursor, 100, acct_visit, a, 0);
	while (cursor != 0);
	return a->bytes;
}

/* used_memory is exactly the items' allocations plus the index, after
 * inserts, overwrites with other sizes, deletes and resizes; and it agrees
 * with jemalloc's own count for the arena within 1%. */
static void test_accounting_exact(void **state)
{
	struct shard *s = *state;
	struct acct a;
	uint64_t base = mem_local_allocated() - shard_used_memory(s);

	for (unsigned i = 0; i < 100000; i++)
		assert_int_equal(kset(s, "acct:", i, 1 + i % 200, i % 3 ? 0 : INT64_MAX), 0);
	for (unsigned i = 0; i < 100000; i += 2)
		assert_int_equal(kset(s, "acct:", i, 1 + (i * 7) % 150, 0), 0);
	for (unsigned i = 0; i < 100000; i += 5) {
		char key[48];
		int kl = snprintf(key, sizeof(key), "acct:%u", i);
		assert_int_equal(shard_del_local(s, key, (size_t)kl, 0), 1);
	}
	scan_all(s, &a);
	assert_int_equal(a.n, shard_count(s));
	assert_int_equal(shard_used_memory(s), a.bytes + shard_index_memory(s));

	/* The allocator's view: once retired memory is reclaimed (the test
	 * thread is not an RCU reader, so grace periods end promptly). */
	if (mem_local_allocated() != 0) {
		uint64_t alloc = 0, used = shard_used_memory(s);
		for (int i = 0; i < 2000; i++) {
			shard_expire_step_local(s, 0, 16);
			alloc = mem_local_allocated() - base;
			if (alloc <= used + used / 100)
				break;
			struct timespec ts = { 0, 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		print_message("used_memory %llu, arena %llu\n", (unsigned long long)used,
			      (unsigned long long)alloc);
		assert_true(alloc >= used - used / 100 && alloc <= used + used / 100);
	}

	/* Deleting everything shrinks the index back. */
	for (unsigned i = 0; i < 100000; i++) {
		char key[48];
		int kl = snprintf(key, sizeof(key), "acct:%u", i);
		shard_del_local(s, key, (size_t)kl, 0);
	}
	for (int i = 0; i < 10000 && shard_index_memory(s) > 8192; i++)
		shard_expire_step_local(s, 0, 64);
	assert_int_equal(shard_count(s), 0);
	assert_int_equal(shard_used_memory(s), shard_index_memory(s));
	assert_true(shard_index_memory(s) <= 8192);
}

static void limits(struct shard *s, enum shard_policy p, uint64_t maxmem)
{
	struct shard_limits l = { maxmem, p, 5, 10, 0 };

	shard_set_limits_local(s, &l);
}

/* noeviction: refuses with -ENOMEM once full, keeps everything, and memory
 * stays under the limit; deleting makes room again. */
static void test_noeviction(void **state)
{
	struct shard *s = *state;
	unsigned i;
	int rc = 0;

	limits(s, SHARD_NOEVICTION, 1 << 20);
	for (i = 0; i < 100000 && (rc = kset(s, "k", i, 100, 0)) == 0; i++)
		if (shard_used_memory(s) > 1 << 20)
			fail_msg("%u keys: %llu bytes, index %llu", i, (unsigned long long)shard_used_memory(s), (unsigned long long)shard_index_memory(s));
	assert_int_equal(rc, -ENOMEM);
	assert_true(i > 1000);
	assert_int_equal(shard_count(s), i);
	assert_int_equal(shard_evicted(s), 0);
	assert_true(shard_used_memory(s) <= 1 << 20);
	for (unsigned j = 0; j < i; j++)
		assert_non_null(kpeek(s, "k", j));
	/* an overwrite with a value of the same size still fits */
	assert_int_equal(kset(s, "k", 0, 100, 0), 0);
	char key[16];
	int kl = snprintf(key, sizeof(key), "k%u", 1);
	assert_int_equal(shard_del_local(s, key, (size_t)kl, 0), 1);
	assert_int_equal(kset(s, "new", 0, 100, 0), 0);
}

/*
 * Fill a 1 MB shard with far more keys than fit while a hot set of 1000
 * keys is read between writes (at a later clock than the writes, so the
 * hot keys are the most recent); returns how many hot keys survive.
 * Cold keys get an expiry (far away) when vol_cold, hot ones when vol_hot.
 */
static unsigned churn_at(struct shard *s, enum shard_policy p, int vol_hot, int vol_cold,
			 unsigned cold_keys, int64_t hot_offset_ms)
{
	int64_t later = clock_unix_ms() + hot_offset_ms;
	unsigned alive = 0;

	limits(s, p, 1 << 20);
	for (unsigned h = 0; h < 1000; h++)
		assert_int_equal(kset(s, "hot", h, 100, vol_hot ? INT64_MAX / 2 : 0), 0);
	for (unsigned i = 0; i < cold_keys; i++) {
		int rc = kset(s, "cold", i, 100, vol_cold ? INT64_MAX / 2 + i : 0);
		assert_true(rc == 0 || rc == -ENOMEM);
		assert_true(shard_used_memory(s) <= (1 << 20) + 64);
		if (i % 4 == 0)
			for (unsigned h = 0; h < 1000; h += 4)
				kget(s, "hot", h + (i / 4) % 4, later);
	}
	for (unsigned h = 0; h < 1000; h++)
		alive += kpeek(s, "hot", h) != NULL;
	return alive;
}

static unsigned churn(struct shard *s, enum shard_policy p, int vol_hot, int vol_cold,
		      unsigned cold_keys)
{
	return churn_at(s, p, vol_hot, vol_cold, cold_keys, 100000);
}

static void test_allkeys_lru(void **state)
{
	struct shard *s = *state;
	unsigned alive = churn(s, SHARD_ALLKEYS_LRU, 0, 0, 40000);

	print_message("allkeys-lru: %u of 1000 hot keys kept, %llu evicted\n", alive,
		      (unsigned long long)shard_evicted(s));
	assert_true(shard_evicted(s) > 30000);
	assert_true(alive >= 950);
}

/* LFU keeps keys read often even when they were read long ago; the same
 * workload under LRU loses them (so the check tells the two apart). */
static void test_allkeys_lfu(void **state)
{
	struct shard *s = *state;
	unsigned alive = churn_at(s, SHARD_ALLKEYS_LFU, 0, 0, 40000, -100000);

	print_message("allkeys-lfu: %u of 1000 hot keys read 100 s ago kept\n", alive);
	assert_true(shard_evicted(s) > 30000);
	assert_true(alive >= 950);
	shard_flush_local(s, 0, 0);
	alive = churn_at(s, SHARD_ALLKEYS_LRU, 0, 0, 40000, -100000);
	print_message("allkeys-lru: %u of them kept\n", alive);
	assert_true(alive < 200);
}

/* LFU counters decay with idle time (lfu-decay-time minutes per step, as
 * Redis): a key read often long ago loses to one read a little just now;
 * without decay it wins. */
static void check_lfu_decay(struct shard *s, unsigned decay_min, const char *survivor)
{
	int64_t now = clock_unix_ms();
	struct shard_limits l = { 0, SHARD_ALLKEYS_LFU, 64, 0, decay_min };

	shard_flush_local(s, 0, 0);
	shard_set_limits_local(s, &l);
	assert_int_equal(shard_set_local(s, KEY("A"), KEY("0123456789"), 0, 0), 0);
	assert_int_equal(shard_set_local(s, KEY("B"), KEY("0123456789"), 0, 0), 0);
	for (int i = 0; i < 50; i++)       /* log factor 0: every read counts */
		assert_non_null(shard_get_local(s, KEY("A"), now - 100 * 60 * 1000));
	for (int i = 0; i < 10; i++)
		assert_non_null(shard_get_local(s, KEY("B"), now));
	/* room for exactly one more item of the same size (a write also
	 * keeps room for the 128-byte overflow bucket it may need) */
	l.maxmemory = shard_used_memory(s) + shard_item_bytes(shard_peek_local(s, KEY("A"), 0)) + 127;
	shard_set_limits_local(s, &l);
	assert_int_equal(shard_set_local(s, KEY("C"), KEY("0123456789"), 0, 0), 0);
	assert_int_equal(shard_count(s), 2);
	assert_non_null(shard_peek_local(s, survivor, 1, 0));
	assert_non_null(shard_peek_local(s, KEY("C"), 0));
}

static void test_lfu_decay(void **state)
{
	check_lfu_decay(*state, 1, "B");    /* A decayed from 55 to 0 */
	check_lfu_decay(*state, 0, "A");    /* no decay: A's 55 beats B's 15 */
}

/* random: the hot set gets no protection (about the fraction that fits,
 * a few thousand of 41000 keys). */
static void test_allkeys_random(void **state)
{
	struct shard *s = *state;
	unsigned alive = churn(s, SHARD_ALLKEYS_RANDOM, 0, 0, 40000);

	print_message("allkeys-random: %u of 1000 hot keys kept\n", alive);
	assert_true(shard_evicted(s) > 30000);
	assert_true(alive < 500);
}

/* volatile-*: keys without an expiry are never evicted; with only those
 * left, writes are refused. */
static void check_volatile(struct shard *s, enum shard_policy p)
{
	churn(s, p, 0, 1, 40000);
	for (unsigned h = 0; h < 1000; h++)
		assert_non_null(kpeek(s, "hot", h));
	assert_true(shard_evicted(s) > 30000);
	/* fill with persistent keys until refused: only volatile ones go */
	unsigned i;
	for (i = 0; i < 100000 && kset(s, "persist", i, 100, 0) == 0; i++)
		;
	assert_true(i < 100000);
	assert_int_equal(shard_volatile_count(s), 0);
	for (unsigned j = 0; j < i; j++)
		assert_non_null(kpeek(s, "persist", j));
	for (unsigned h = 0; h < 1000; h++)
		assert_non_null(kpeek(s, "hot", h));
}

static void test_volatile_lru(void **state) { check_volatile(*state, SHARD_VOLATILE_LRU); }
static void test_volatile_lfu(void **state) { check_volatile(*state, SHARD_VOLATILE_LFU); }
static void test_volatile_random(void **state) { check_volatile(*state, SHARD_VOLATILE_RANDOM); }
static void test_volatile_ttl(void **state) { check_volatile(*state, SHARD_VOLATILE_TTL); }

/* volatile-lru keeps hot volatile keys; volatile-ttl evicts the soonest
 * expiries first: the latest-expiring cold keys are the ones left. */
static void test_volatile_order(void **state)
{
	struct shard *s = *state;
	unsigned alive = churn(s, SHARD_VOLATILE_LRU, 1, 1, 40000);

	print_message("volatile-lru: %u of 1000 hot keys kept\n", alive);
	assert_true(alive >= 950);
	shard_flush_local(s, 0, 0);
	limits(s, SHARD_VOLATILE_TTL, 1 << 20);
	/* expiry grows with i: the last written expire last */
	unsigned n = 40000, late_alive = 0, early_alive = 0;
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(kset(s, "ttl", i, 100, INT64_MAX / 2 + (int64_t)((i * 7919u) % n)), 0);
	for (unsigned i = 0; i < n; i++) {
		unsigned rank = (i * 7919u) % n;
		if (kpeek(s, "ttl", i) == NULL)
			continue;
		if (rank >= n * 9 / 10)
			late_alive++;
		else if (rank < n / 2)
			early_alive++;
	}
	print_message("volatile-ttl: kept %u of the latest 10%%, %u of the earliest half\n",
		      late_alive, early_alive);
	/* survival rate of the latest tenth at least 4x the earliest half's */
	assert_true(late_alive * 5 > early_alive * 4);
}

/* A lowered maxmemory is reached by housekeeping steps alone. */
static void test_lower_maxmemory(void **state)
{
	struct shard *s = *state;

	for (unsigned i = 0; i < 20000; i++)
		assert_int_equal(kset(s, "k", i, 100, 0), 0);
	limits(s, SHARD_ALLKEYS_LRU, 512 << 10);
	for (int i = 0; i < 10000 && shard_used_memory(s) > 512 << 10; i++)
		shard_expire_step_local(s, 0, 16);
	print_message("lowered: %llu keys, %llu bytes\n", (unsigned long long)shard_count(s),
		      (unsigned long long)shard_used_memory(s));
	assert_true(shard_used_memory(s) <= 512 << 10);
	assert_true(shard_count(s) < 20000 && shard_count(s) > 0);
	assert_int_equal(shard_evicted(s), 20000 - shard_count(s));
}


/* A snapshot sees every key live at its start exactly once with its value
 * then, and no key written after, while the owner overwrites, deletes,
 * inserts, touches and expires keys between bounded walk steps. */
#define SNAP_N 5000
struct snap_seen {
	unsigned count[SNAP_N * 2];
	char first[SNAP_N * 2];
	unsigned others;
};

static void snap_visit(const struct item *it, void *arg)
{
	struct snap_seen *seen = arg;
	unsigned k;

	if (sscanf(item_key(it), "snap%u", &k) != 1 || k >= SNAP_N * 2) {
		seen->others++;
		return;
	}
	seen->count[k]++;
	seen->first[k] = *(const char *)item_value(it);
}

static void test_snapshot(void **state)
{
	struct shard *s = *state;
	static struct snap_seen seen;
	char key[32];

	memset(&seen, 0, sizeof(seen));
	for (unsigned i = 0; i < SNAP_N; i++)
		assert_int_equal(kset(s, "snap", i, 20, i % 10 == 0 ? 5000 : 0), 0);
	while (shard_snapshot_begin_local(s, snap_visit, &seen, 1000) == -EBUSY)
		shard_expire_step_local(s, 1000, 64);
	assert_int_equal(shard_snapshot_begin_local(s, snap_visit, &seen, 1000), -EBUSY);
	unsigned i = 0;
	int more = 1;
	while (more) {
		for (unsigned j = 0; j < 20 && i < SNAP_N; j++, i++) {
			int kl = snprintf(key, sizeof(key), "snap%u", (i * 7) % SNAP_N);
			switch (i % 5) {
			case 0:     /* overwrite with another value */
				assert_int_equal(shard_set_local(s, key, (size_t)kl, "ZZZZ", 4, 0, 0), 0);
				break;
			case 1:
				shard_del_local(s, key, (size_t)kl, 1000);
				break;
			case 2:     /* a new key: never in this snapshot */
				assert_int_equal(kset(s, "snap", SNAP_N + i, 20, 0), 0);
				break;
			case 3:
				shard_touch_local(s, key, (size_t)kl, 1500, 1000);
				break;
			}
		}
		/* keys with expiry 5000 expire (lazily and actively) mid-snapshot */
		shard_expire_step_local(s, i > SNAP_N / 2 ? 6000 : 1000, 2);
		more = shard_snapshot_step_local(s, 8);
	}
	for (unsigned k = 0; k < SNAP_N; k++) {
		assert_int_equal(seen.count[k], 1);
		assert_int_equal(seen.first[k], 'a' + (int)(k % 26));
	}
	for (unsigned k = SNAP_N; k < SNAP_N * 2; k++)
		assert_int_equal(seen.count[k], 0);
	assert_int_equal(seen.others, 0);
	assert_int_equal(shard_snapshot_step_local(s, 8), 0);
	/* resizes are allowed again */
	for (unsigned k = 0; k < 50000; k++)
		assert_int_equal(kset(s, "more", k, 4, 0), 0);
	assert_true(shard_index_memory(s) > 50000 / 7 * 64);
}


static long rss_bytes(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f != NULL) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * 4096;
}

/* What used_memory counts for an allocation is what the allocator really
 * hands out: mem_alloc_size's table of jemalloc's classes agrees with the
 * block mem_alloc_local returns, at every size of the table and past it. */
static void test_alloc_size_is_the_allocators(void **state)
{
	(void)state;
	if (strncmp(mem_allocator_name(), "jemalloc", 8) != 0)
		skip();
	for (size_t size = 0; size <= 20000; size += size < 4200 ? 1 : 97) {
		void *p = mem_alloc_local(size);
		assert_non_null(p);
		if (mem_alloc_size(size) != malloc_usable_size(p))
			fail_msg("size %zu: counted %zu, allocated %zu", size,
				 mem_alloc_size(size), malloc_usable_size(p));
		mem_free_local(p, size);
	}
}

/* After a mass delete the housekeeping steps give the memory back to the
 * OS (jemalloc builds; ASan's allocator keeps its own quarantine). */
static void test_memory_returns_to_os(void **state)
{
	struct shard *s = *state;

	if (mem_local_allocated() == 0)
		skip();
	long before = rss_bytes();
	for (unsigned i = 0; i < 400000; i++)
		assert_int_equal(kset(s, "rss", i, 100, 0), 0);
	long full = rss_bytes();
	assert_true(full > before + (40 << 20));
	for (unsigned i = 0; i < 400000; i++) {
		char key[48];
		int kl = snprintf(key, sizeof(key), "rss%u", i);
		assert_int_equal(shard_del_local(s, key, (size_t)kl, 0), 1);
	}
	long after = rss_bytes();
	for (int i = 0; i < 3000 && after > before + (8 << 20); i++) {
		shard_expire_step_local(s, 0, 64);
		struct timespec ts = { 0, 1000 * 1000 };
		nanosleep(&ts, NULL);
		after = rss_bytes();
	}
	print_message("RSS %ld MB before, %ld MB with 400k items, %ld MB after deleting them\n",
		      before >> 20, full >> 20, after >> 20);
	assert_true(after <= before + (8 << 20));
}

/*
 * Readers on other threads under QSBR while the owner sets, overwrites,
 * deletes and resizes: a stable key is always found (even mid-resize), a
 * value read is never torn (its bytes all match its header byte), and
 * under ASan nothing is read after it was freed.
 */
#define STABLE 2000
static volatile int stop_readers;

static void fill_val(char *v, size_t n, unsigned key, unsigned version)
{
	v[0] = (char)(key * 31 + version);
	memset(v + 1, v[0], n - 1);
}

static void *reader(void *arg)
{
	struct shard *s = arg;
	unsigned long long n = 0, bad = 0, miss = 0;
	unsigned r = 12345;
	char key[48];

	rcu_register_thread();
	while (!__atomic_load_n(&stop_readers, __ATOMIC_ACQUIRE)) {
		for (int i = 0; i < 256; i++, n++) {
			r = r * 1103515245u + 12345u;
			unsigned k = (r >> 8) % (STABLE * 2);
			int kl = snprintf(key, sizeof(key), k < STABLE ? "stable%u" : "churn%u", k);
			const struct item *it = shard_get_rcu(s, key, (size_t)kl, 0);
			if (it == NULL) {
				miss += k < STABLE;
				continue;
			}
			const char *v = item_value(it);
			size_t vl = item_vlen(it);
			if (item_klen(it) != (size_t)kl || memcmp(item_key(it), key, (size_t)kl) != 0 ||
			    vl < 1)
				bad++;
			for (size_t j = 1; j < vl; j++)
				bad += v[j] != v[0];
		}
		rcu_quiescent_state();
	}
	rcu_unregister_thread();
	if (bad || miss)
		fprintf(stderr, "reader: %llu lookups, %llu torn, %llu stable misses\n", n, bad, miss);
	return (void *)(uintptr_t)(bad + miss);
}

static void test_rcu_readers(void **state)
{
	struct shard *s = *state;
	pthread_t th[2];
	char key[48], val[300];
	void *ret;

	rcu_register_thread();
	for (unsigned i = 0; i < STABLE; i++) {
		int kl = snprintf(key, sizeof(key), "stable%u", i);
		fill_val(val, 40, i, 0);
		assert_int_equal(shard_set_local(s, key, (size_t)kl, val, 40, 0, 0), 0);
	}
	stop_readers = 0;
	for (int t = 0; t < 2; t++)
		assert_int_equal(pthread_create(&th[t], NULL, reader, s), 0);
	int64_t end = clock_unix_ms() + 1500;
	unsigned round = 0;
	while (clock_unix_ms() < end) {
		/* grow to ~60000 keys and shrink back: several resizes a round */
		for (unsigned i = 0; i < 60000; i++) {
			int kl = snprintf(key, sizeof(key), "churn%u", i);
			size_t vl = 1 + (i + round) % 250;
			fill_val(val, vl, i, round);
			assert_int_equal(shard_set_local(s, key, (size_t)kl, val, vl, 0,
							  i % 2 ? 0 : INT64_MAX), 0);
			if (i % 64 == 0) {
				unsigned k = i % STABLE;   /* overwrite a stable key */
				kl = snprintf(key, sizeof(key), "stable%u", k);
				fill_val(val, 40 + i % 100, k, round);
				assert_int_equal(shard_set_local(s, key, (size_t)kl, val,
								  40 + i % 100, 0, 0), 0);
				shard_touch_local(s, key, (size_t)kl, i % 128 ? 0 : INT64_MAX, 0);
				shard_expire_step_local(s, 0, 4);
				rcu_quiescent_state();
			}
		}
		for (unsigned i = 0; i < 60000; i++) {
			int kl = snprintf(key, sizeof(key), "churn%u", i);
			assert_int_equal(shard_del_local(s, key, (size_t)kl, 0), 1);
			if (i % 64 == 0) {
				shard_expire_step_local(s, 0, 4);
				rcu_quiescent_state();
			}
		}
		round++;
	}
	__atomic_store_n(&stop_readers, 1, __ATOMIC_RELEASE);
	uintptr_t errors = 0;
	rcu_thread_offline();
	for (int t = 0; t < 2; t++) {
		assert_int_equal(pthread_join(th[t], &ret), 0);
		errors += (uintptr_t)ret;
	}
	rcu_thread_online();
	print_message("%u rounds of 60000 inserts and deletes\n", round);
	assert_true(round >= 1);
	assert_int_equal(errors, 0);
	assert_int_equal(shard_count(s), STABLE);
	rcu_unregister_thread();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_set_get_del, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_growth_and_accounting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_stays_dense, setup, teardown),
		cmocka_unit_test_setup_teardown(test_touch_peek_meta, setup, teardown),
		cmocka_unit_test_setup_teardown(test_item_layouts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cas_and_clock_wrap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_across_growth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_across_shrink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ttl_boundaries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_active_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accounting_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_noeviction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allkeys_lru, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allkeys_lfu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lfu_decay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allkeys_random, setup, teardown),
		cmocka_unit_test_setup_teardown(test_volatile_lru, setup, teardown),
		cmocka_unit_test_setup_teardown(test_volatile_lfu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_volatile_random, setup, teardown),
		cmocka_unit_test_setup_teardown(test_volatile_ttl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_volatile_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lower_maxmemory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_size_is_the_allocators, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_over_expired_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_is_spread_over_steps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writes_without_steps_free_as_they_go, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_returns_to_os, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rcu_readers, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
