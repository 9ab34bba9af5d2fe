/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The owner-side functions of the RESP string and key commands, called
 * directly on one shard with a chosen clock: every status, result field and
 * stored effect (value, memcached flags, expiry, CAS) they promise; and the
 * number rules they read values with (strnum.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/kop_keys.h"
#include "dataplane/kop_scratch.h"
#include "dataplane/kop_string.h"
#include "dataplane/strnum.h"
#include "platform/clock.h"
#include "platform/mem.h"
#include "platform/status.h"
#include "storage/shard.h"

#define NOW 1700000000000LL   /* the clock the kops are given */
#define ARG(s) ((struct ss_arg){ (s), sizeof(s) - 1 })

static struct shard *sh;

static int setup(void **state)
{
	(void)state;
	clock_setup();
	if (mem_setup(1) != 0 || mem_thread_init(0) != 0)
		return -1;
	return (sh = shard_create(0)) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	shard_destroy(sh);
	mem_thread_fini();
	mem_teardown();
	return 0;
}

/* Each test starts from an empty shard. */
static int empty(void **state)
{
	(void)state;
	shard_flush_local(sh, 0, 1);
	return 0;
}

static struct kop_result run(kop_fn fn, struct kop op)
{
	struct kop_result r;

	memset(&r, 0, sizeof(r));
	op.fn = fn;
	fn(sh, &op, &r, NOW);
	return r;
}

static struct item *item(const char *k)
{
	return shard_peek_local(sh, k, strlen(k), NOW);
}

static void put(const char *k, const char *v, uint32_t flags, int64_t exp)
{
	assert_int_equal(shard_set_local(sh, k, strlen(k), v, strlen(v), flags, exp), 0);
}

static void assert_value(const char *k, const char *v)
{
	struct item *it = item(k);

	assert_non_null(it);
	assert_int_equal(item_vlen(it), strlen(v));
	assert_memory_equal(item_value(it), v, strlen(v));
}

static void assert_val(const struct kop_result *r, const char *v)
{
	assert_int_equal(r->val.len, strlen(v));
	assert_memory_equal(r->val.p, v, strlen(v));
}

static void test_set_modes(void **state)
{
	struct kop_result r;

	(void)state;
	r = run(kop_str_set, (struct kop){ .key = ARG("k"), .val = ARG("a"), .mode = KSET_GET });
	assert_int_equal(r.status, 1);
	assert_int_equal(r.num, 0);            /* did not exist */
	assert_null(r.val.p);
	r = run(kop_str_set, (struct kop){ .key = ARG("k"), .val = ARG("b"),
					   .mode = KSET_NX | KSET_GET });
	assert_int_equal(r.status, 0);         /* NX said no, old value still returned */
	assert_int_equal(r.num, 1);
	assert_val(&r, "a");
	assert_value("k", "a");
	r = run(kop_str_set, (struct kop){ .key = ARG("x"), .val = ARG("b"), .mode = KSET_XX });
	assert_int_equal(r.status, 0);
	assert_null(item("x"));
	/* An overwrite with GET returns the old bytes although the item is gone. */
	r = run(kop_str_set, (struct kop){ .key = ARG("k"), .val = ARG("bb"),
					   .mode = KSET_XX | KSET_GET, .flags = 7,
					   .expire_ms = NOW + 5000 });
	assert_int_equal(r.status, 1);
	assert_val(&r, "a");
	assert_value("k", "bb");
	assert_int_equal(item_flags(item("k")), 7);
	assert_int_equal(item_expire_ms(item("k")), NOW + 5000);
	/* KEEPTTL keeps the expiry; without it op->expire_ms (0) replaces it. */
	run(kop_str_set, (struct kop){ .key = ARG("k"), .val = ARG("c"), .mode = KSET_KEEPTTL });
	assert_int_equal(item_expire_ms(item("k")), NOW + 5000);
	assert_int_equal(item_flags(item("k")), 0);
	run(kop_str_set, (struct kop){ .key = ARG("k"), .val = ARG("d") });
	assert_int_equal(item_expire_ms(item("k")), 0);
	/* RETCAS: the CAS of the item stored. */
	r = run(kop_str_set, (struct kop){ .key = ARG("k"), .val = ARG("e"), .mode = KSET_RETCAS });
	assert_int_equal(r.cas, item_cas(item("k")));
	/* A time already past stores a key that reads as missing. */
	r = run(kop_str_set, (struct kop){ .key = ARG("p"), .val = ARG("v"), .expire_ms = NOW });
	assert_int_equal(r.status, 1);
	assert_null(item("p"));
	put("p", "old", 0, 0);
	r = run(kop_str_set, (struct kop){ .key = ARG("p"), .val = ARG("v"), .expire_ms = 1,
					   .mode = KSET_GET });
	assert_int_equal(r.status, 1);
	assert_val(&r, "old");
	assert_null(item("p"));
	assert_int_equal(shard_count(sh), 1);            /* only "k": nothing expired kept */
}

static void test_getdel_getex(void **state)
{
	struct kop_result r;

	(void)state;
	assert_int_equal(run(kop_str_getdel, (struct kop){ .key = ARG("k") }).status, 0);
	put("k", "v", 3, 0);
	r = run(kop_str_getdel, (struct kop){ .key = ARG("k") });
	assert_int_equal(r.status, 1);
	assert_val(&r, "v");
	assert_null(item("k"));

	/* A bad expiry is reported only for a key that exists. */
	r = run(kop_str_getex, (struct kop){ .key = ARG("k"), .num2 = KARG_BAD_TIME });
	assert_int_equal(r.status, 0);
	put("k", "v", 3, NOW + 1000);
	r = run(kop_str_getex, (struct kop){ .key = ARG("k"), .num2 = KARG_NOT_INT });
	assert_int_equal(r.status, -EINVAL);
	assert_int_equal(r.num, KARG_NOT_INT);
	r = run(kop_str_getex, (struct kop){ .key = ARG("k"), .mode = KGETEX_EXPIRE,
					     .expire_ms = NOW + 9000 });
	assert_int_equal(r.status, 1);
	assert_val(&r, "v");
	assert_int_equal(item_expire_ms(item("k")), NOW + 9000);
	uint64_t cas = item_cas(item("k"));
	run(kop_str_getex, (struct kop){ .key = ARG("k"), .mode = KGETEX_PERSIST });
	assert_int_equal(item_expire_ms(item("k")), 0);
	assert_int_equal(item_cas(item("k")), cas);      /* expiry changes keep CAS */
	assert_int_equal(item_flags(item("k")), 3);
	/* EXAT/PXAT in the past: the value, then the key is gone. */
	r = run(kop_str_getex, (struct kop){ .key = ARG("k"), .mode = KGETEX_EXPIRE | KGETEX_ABS,
					     .expire_ms = NOW });
	assert_int_equal(r.status, 1);
	assert_val(&r, "v");
	assert_null(item("k"));
}

static void test_append_setrange(void **state)
{
	struct kop_result r;

	(void)state;
	r = run(kop_str_append, (struct kop){ .key = ARG("k"), .val = ARG("ab"), .num2 = 3 });
	assert_int_equal(r.status, 1);
	assert_int_equal(r.num, 2);
	/* The limit counts the whole result. */
	r = run(kop_str_append, (struct kop){ .key = ARG("k"), .val = ARG("cd"), .num2 = 3 });
	assert_int_equal(r.status, -E2BIG);
	assert_value("k", "ab");
	put("k", "ab", 9, NOW + 100);
	r = run(kop_str_append, (struct kop){ .key = ARG("k"), .val = ARG("c"), .num2 = 3 });
	assert_int_equal(r.num, 3);
	assert_value("k", "abc");
	assert_int_equal(item_flags(item("k")), 9);      /* memcached flags survive */
	assert_int_equal(item_expire_ms(item("k")), NOW + 100);

	r = run(kop_str_setrange, (struct kop){ .key = ARG("k"), .val = ARG("XY"), .num = 5,
						.num2 = 100 });
	assert_int_equal(r.status, 1);
	assert_int_equal(r.num, 7);
	assert_memory_equal(item_value(item("k")), "abc\0\0XY", 7);
	assert_int_equal(item_flags(item("k")), 9);
	r = run(kop_str_setrange, (struct kop){ .key = ARG("k"), .val = ARG("Z"), .num = 1,
						.num2 = 100 });
	assert_int_equal(r.num, 7);
	assert_memory_equal(item_value(item("k")), "aZc\0\0XY", 7);
	/* Nothing to write: the length, no key made. */
	r = run(kop_str_setrange, (struct kop){ .key = ARG("n"), .val = ARG(""), .num = 9 });
	assert_int_equal(r.num, 0);
	assert_null(item("n"));
	/* Over the limit, also when offset + length overflows. */
	r = run(kop_str_setrange, (struct kop){ .key = ARG("n"), .val = ARG("x"), .num = 100,
						.num2 = 100 });
	assert_int_equal(r.status, -E2BIG);
	r = run(kop_str_setrange, (struct kop){ .key = ARG("n"), .val = ARG("x"),
						.num = LLONG_MAX, .num2 = 100 });
	assert_int_equal(r.status, -E2BIG);
	r = run(kop_str_setrange, (struct kop){ .key = ARG("n"), .val = ARG("x"), .num = 99,
						.num2 = 100 });
	assert_int_equal(r.num, 100);
	assert_non_null(item("n"));
	assert_int_equal(item_flags(item("n")), 0);
}

static void getrange(const char *v, long long a, long long b, const char *want)
{
	struct kop_result r = run(kop_str_getrange, (struct kop){ .key = ARG("g"), .num = a,
								 .num2 = b });

	(void)v;
	assert_int_equal(r.status, 1);
	assert_val(&r, want);
}

static void test_getrange_strlen(void **state)
{
	(void)state;
	getrange(NULL, 0, -1, "");                       /* missing: empty */
	assert_int_equal(run(kop_str_strlen, (struct kop){ .key = ARG("g") }).num, 0);
	put("g", "hello world", 0, 0);
	assert_int_equal(run(kop_str_strlen, (struct kop){ .key = ARG("g") }).num, 11);
	getrange(NULL, 0, 4, "hello");
	getrange(NULL, -5, -1, "world");
	getrange(NULL, 6, 100, "world");
	getrange(NULL, -100, 1, "he");
	getrange(NULL, 5, 2, "");
	getrange(NULL, -1, -5, "");                      /* both negative, start > end */
	getrange(NULL, 0, -100, "h");                    /* end clamps to 0 */
	getrange(NULL, 20, 30, "");
	getrange(NULL, LLONG_MAX, LLONG_MIN, "");
	getrange(NULL, LLONG_MIN, LLONG_MAX, "hello world");
	put("g", "", 0, 0);
	getrange(NULL, 0, -1, "");
	getrange(NULL, -1, 0, "");
}

static void test_incr(void **state)
{
	struct kop_result r;
	char big[32];

	(void)state;
	r = run(kop_str_incrby, (struct kop){ .key = ARG("n"), .num = 5 });
	assert_int_equal(r.status, 1);
	assert_int_equal(r.num, 5);
	put("n", "10", 4, NOW + 100);
	r = run(kop_str_incrby, (struct kop){ .key = ARG("n"), .num = -11 });
	assert_int_equal(r.num, -1);
	assert_value("n", "-1");
	assert_int_equal(item_flags(item("n")), 4);
	assert_int_equal(item_expire_ms(item("n")), NOW + 100);
	snprintf(big, sizeof(big), "%lld", LLONG_MAX);
	put("n", big, 0, 0);
	assert_int_equal(run(kop_str_incrby, (struct kop){ .key = ARG("n"), .num = 1 }).status,
			 -ERANGE);
	assert_int_equal(run(kop_str_incrby, (struct kop){ .key = ARG("n"), .num = LLONG_MIN })
			 .num, -1);
	put("n", "-9223372036854775808", 0, 0);
	assert_int_equal(run(kop_str_incrby, (struct kop){ .key = ARG("n"), .num = -1 }).status,
			 -ERANGE);
	for (const char *bad = "01\0 1\0+1\0-0\0abc\0\0"; ; bad += strlen(bad) + 1) {
		put("n", bad, 0, 0);
		assert_int_equal(run(kop_str_incrby, (struct kop){ .key = ARG("n"), .num = 1 })
				 .status, -EINVAL);
		if (*bad == '\0')
			break;
	}
}

static void incrbyfloat(const char *from, const char *by, int status, const char *want)
{
	struct kop_result r;

	if (from != NULL)
		put("f", from, 0, 0);
	r = run(kop_str_incrbyfloat, (struct kop){ .key = ARG("f"),
						   .val = { by, strlen(by) } });
	assert_int_equal(r.status, status);
	if (want != NULL) {
		assert_val(&r, want);
		assert_value("f", want);
	}
}

static void test_incrbyfloat(void **state)
{
	(void)state;
	incrbyfloat(NULL, "10.5", 1, "10.5");
	incrbyfloat(NULL, "0.1", 1, "10.6");
	incrbyfloat(NULL, "-5", 1, "5.6");
	incrbyfloat("5.0e3", "2.0e2", 1, "5200");
	incrbyfloat("1.1", "2.2", 1, "3.3");
	incrbyfloat("3", "-3", 1, "0");
	incrbyfloat("0", "-0.0", 1, "0");                /* never "-0" */
	incrbyfloat("1", "0x10", 1, "17");
	incrbyfloat("1", "abc", -EINVAL, NULL);
	incrbyfloat("1", " 1", -EINVAL, NULL);
	incrbyfloat("1", "", -EINVAL, NULL);
	incrbyfloat("1", "nan", -EINVAL, NULL);
	incrbyfloat("1", "1e5000", -EINVAL, NULL);      /* out of long double range */
	incrbyfloat("1", "inf", -EDOM, NULL);
	incrbyfloat("abc", "1", -EINVAL, NULL);
	incrbyfloat("1e5", "1", 1, "100001");
}

static void test_msetnx_pairs(void **state)
{
	struct buf b;
	struct kop_result r;

	(void)state;
	buf_init(&b);
	kop_pairs_put(&b, &ARG("a"), &ARG("1"));
	kop_pairs_put(&b, &ARG("b"), &ARG(""));
	kop_pairs_put(&b, &ARG("a"), &ARG("3"));
	r = run(kop_str_msetnx, (struct kop){ .key = ARG("a"),
					      .val = { buf_rptr(&b), buf_len(&b) } });
	assert_int_equal(r.status, 1);
	assert_value("a", "3");
	assert_value("b", "");
	shard_del_local(sh, "a", 1, NOW);
	/* One exists: nothing stored. */
	r = run(kop_str_msetnx, (struct kop){ .key = ARG("a"),
					      .val = { buf_rptr(&b), buf_len(&b) } });
	assert_int_equal(r.status, 0);
	assert_null(item("a"));
	buf_fini(&b);
}

static void test_mset_count(void **state)
{
	static const struct ss_arg none = { "", 0 };
	struct buf b;
	struct kop_result r;

	(void)state;
	buf_init(&b);
	kop_pairs_put(&b, &ARG("a"), &ARG("1"));
	kop_pairs_put(&b, &ARG("b"), &ARG("2"));
	kop_pairs_put(&b, &ARG("a"), &ARG("3"));
	put("b", "old", 5, NOW + 10);
	r = run(kop_str_mset, (struct kop){ .key = ARG("a"), .val = { buf_rptr(&b), buf_len(&b) } });
	assert_int_equal(r.status, 1);
	assert_value("a", "3");
	assert_value("b", "2");
	assert_int_equal(item_flags(item("b")), 0);      /* a whole new value */
	assert_int_equal(item_expire_ms(item("b")), 0);
	buf_consume(&b, buf_len(&b));
	kop_pairs_put(&b, &ARG("a"), &none);
	kop_pairs_put(&b, &ARG("x"), &none);
	kop_pairs_put(&b, &ARG("a"), &none);
	kop_pairs_put(&b, &ARG("b"), &none);
	r = run(kop_key_count, (struct kop){ .mode = KCOUNT_EXISTS,
					     .val = { buf_rptr(&b), buf_len(&b) } });
	assert_int_equal(r.num, 3);                      /* "a" twice */
	r = run(kop_key_count, (struct kop){ .mode = KCOUNT_TOUCH,
					     .val = { buf_rptr(&b), buf_len(&b) } });
	assert_int_equal(r.num, 3);
	r = run(kop_str_mget, (struct kop){ .val = { buf_rptr(&b), buf_len(&b) } });
	assert_int_equal(r.status, 1);
	assert_int_equal(r.num, 4);
	assert_int_equal(r.val.len, 4 * 5 + 1 + 1 + 1);
	assert_memory_equal(r.val.p, "\1\1\0\0\0" "3" "\0\0\0\0\0" "\1\1\0\0\0" "3"
			    "\1\1\0\0\0" "2", r.val.len);
	r = run(kop_key_count, (struct kop){ .mode = KCOUNT_DEL,
					     .val = { buf_rptr(&b), buf_len(&b) } });
	assert_int_equal(r.num, 2);                      /* "a" deleted once */
	assert_null(item("a"));
	assert_null(item("b"));
	buf_fini(&b);
}

/* MGET's part on an owner reads ahead (KOP_PREFETCH_AHEAD): every count
 * of keys around and past that distance comes back whole and in order,
 * hits and misses mixed, a key asked twice given twice. */
static void test_mget_reads_ahead_in_order(void **state)
{
	struct buf b, want;
	struct ss_arg none = { "", 0 };
	char k[16], v[16];

	(void)state;
	for (int i = 0; i < 60; i += 2) {
		snprintf(k, sizeof(k), "m%d", i);
		snprintf(v, sizeof(v), "val%d", i * 7);
		put(k, v, 0, 0);
	}
	buf_init(&b);
	buf_init(&want);
	for (int n = 0; n <= 3 * KOP_PREFETCH_AHEAD + 1; n++) {
		struct kop_result r;

		buf_consume(&b, buf_len(&b));
		buf_consume(&want, buf_len(&want));
		for (int j = 0; j < n; j++) {
			int key = ((j % 11) * 7 + n) % 61;   /* 60: never set; odd: missing */
			struct ss_arg ka;
			uint8_t found = key % 2 == 0 && key < 60;
			uint32_t len = 0;

			ka.p = k;
			ka.len = (size_t)snprintf(k, sizeof(k), "m%d", key);
			kop_pairs_put(&b, &ka, &none);
			if (found)
				len = (uint32_t)snprintf(v, sizeof(v), "val%d", key * 7);
			buf_append(&want, &found, 1);
			buf_append(&want, &len, 4);
			buf_append(&want, v, found ? len : 0);
		}
		r = run(kop_str_mget, (struct kop){ .val = { buf_rptr(&b), buf_len(&b) } });
		assert_int_equal(r.status, 1);
		assert_int_equal(r.num, n);
		assert_int_equal(r.val.len, buf_len(&want));
		assert_memory_equal(r.val.p, buf_rptr(&want), buf_len(&want));
	}
	buf_fini(&b);
	buf_fini(&want);
}

static void test_exists_touch_ttl(void **state)
{
	struct kop_result r;

	(void)state;
	assert_int_equal(run(kop_key_exists, (struct kop){ .key = ARG("k") }).status, 0);
	assert_int_equal(run(kop_key_ttl, (struct kop){ .key = ARG("k") }).num, -2);
	put("k", "v", 0, 0);
	assert_int_equal(run(kop_key_exists, (struct kop){ .key = ARG("k") }).status, 1);
	assert_int_equal(run(kop_key_touch, (struct kop){ .key = ARG("k") }).status, 1);
	assert_int_equal(run(kop_key_ttl, (struct kop){ .key = ARG("k"), .mode = KTTL_MS }).num, -1);
	put("k", "v", 0, NOW + 1499);
	/* Seconds round to nearest: 1499 ms -> 1, 1500 -> 2. */
	assert_int_equal(run(kop_key_ttl, (struct kop){ .key = ARG("k") }).num, 1);
	put("k", "v", 0, NOW + 1500);
	assert_int_equal(run(kop_key_ttl, (struct kop){ .key = ARG("k") }).num, 2);
	r = run(kop_key_ttl, (struct kop){ .key = ARG("k"), .mode = KTTL_MS });
	assert_int_equal(r.num, 1500);
	r = run(kop_key_ttl, (struct kop){ .key = ARG("k"), .mode = KTTL_MS | KTTL_ABS });
	assert_int_equal(r.num, NOW + 1500);
	r = run(kop_key_ttl, (struct kop){ .key = ARG("k"), .mode = KTTL_ABS });
	assert_int_equal(r.num, (NOW + 1500 + 500) / 1000);
}

static int expire(unsigned mode, int64_t when)
{
	return run(kop_key_expire, (struct kop){ .key = ARG("k"), .mode = mode,
						 .expire_ms = when }).status;
}

static void test_expire_options(void **state)
{
	uint64_t cas;

	(void)state;
	assert_int_equal(expire(0, NOW + 10), 0);        /* missing */
	put("k", "v", 5, 0);
	cas = item_cas(item("k"));
	assert_int_equal(expire(KEXP_XX, NOW + 10), 0);  /* no expiry yet */
	assert_int_equal(expire(KEXP_GT, NOW + 10), 0);  /* none is infinite */
	assert_int_equal(expire(KEXP_NX, NOW + 10), 1);
	assert_int_equal(expire(KEXP_NX, NOW + 20), 0);
	assert_int_equal(expire(KEXP_GT, NOW + 10), 0);
	assert_int_equal(expire(KEXP_GT, NOW + 20), 1);
	assert_int_equal(expire(KEXP_LT, NOW + 30), 0);
	assert_int_equal(expire(KEXP_LT, NOW + 15), 1);
	assert_int_equal(expire(KEXP_XX | KEXP_GT, NOW + 16), 1);
	assert_int_equal(item_expire_ms(item("k")), NOW + 16);
	assert_int_equal(item_cas(item("k")), cas);      /* value, flags, CAS unchanged */
	assert_int_equal(item_flags(item("k")), 5);
	assert_int_equal(run(kop_key_persist, (struct kop){ .key = ARG("k") }).status, 1);
	assert_int_equal(run(kop_key_persist, (struct kop){ .key = ARG("k") }).status, 0);
	assert_int_equal(expire(KEXP_LT, NOW + 10), 1);  /* infinite: LT succeeds */
	/* A time not in the future deletes (NOW itself included). */
	assert_int_equal(expire(0, NOW), 1);
	assert_null(item("k"));
	put("k", "v", 0, 0);
	assert_int_equal(expire(0, -5000), 1);
	assert_null(item("k"));
}

static void test_del_cas_rename(void **state)
{
	struct kop_result r;
	uint64_t cas;

	(void)state;
	put("k", "v", 0, 0);
	cas = item_cas(item("k"));
	assert_int_equal(run(kop_key_del_cas, (struct kop){ .key = ARG("k"), .cas = cas + 1 })
			 .status, 0);
	assert_non_null(item("k"));
	assert_int_equal(run(kop_key_del_cas, (struct kop){ .key = ARG("k"), .cas = cas }).status,
			 1);
	assert_null(item("k"));

	r = run(kop_key_rename, (struct kop){ .key = ARG("s"), .val = ARG("d") });
	assert_int_equal(r.status, -ENOENT);
	put("s", "src", 8, NOW + 777);
	put("d", "dst", 0, NOW + 5);
	r = run(kop_key_rename, (struct kop){ .key = ARG("s"), .val = ARG("d"), .mode = KSET_NX });
	assert_int_equal(r.status, 0);
	assert_value("s", "src");
	r = run(kop_key_rename, (struct kop){ .key = ARG("s"), .val = ARG("d") });
	assert_int_equal(r.status, 1);
	assert_null(item("s"));
	assert_value("d", "src");
	assert_int_equal(item_flags(item("d")), 8);
	assert_int_equal(item_expire_ms(item("d")), NOW + 777);
}

/* The bulk strings of an iteration result, sorted, joined by ','. */
static void keys_of(const struct kop_result *r, char *out, size_t cap)
{
	char names[64][32];
	int n = 0;
	const char *p = r->val.p, *end = p + r->val.len;

	while (p < end) {
		unsigned len;
		assert_int_equal(sscanf(p, "$%u\r\n", &len), 1);
		p = strchr(p, '\n') + 1;
		snprintf(names[n++], sizeof(names[0]), "%.*s", (int)len, p);
		p += len + 2;
	}
	assert_int_equal(n, r->num);
	qsort(names, (size_t)n, sizeof(names[0]), (int (*)(const void *, const void *))strcmp);
	out[0] = '\0';
	for (int i = 0; i < n; i++)
		snprintf(out + strlen(out), cap - strlen(out), "%s%s", i ? "," : "", names[i]);
}

static void test_keys_scan_random(void **state)
{
	struct kop_result r;
	char got[512];
	uint64_t cursor = 0;
	int seen = 0;

	(void)state;
	assert_int_equal(run(kop_key_random, (struct kop){ 0 }).status, 0);
	r = run(kop_key_keys, (struct kop){ 0 });
	assert_int_equal(r.num, 0);
	put("hello", "v", 0, 0);
	put("hallo", "v", 0, 0);
	put("world", "v", 0, 0);
	put("dead", "v", 0, NOW - 1);                    /* expired: never listed */
	r = run(kop_key_keys, (struct kop){ 0 });
	keys_of(&r, got, sizeof(got));
	assert_string_equal(got, "hallo,hello,world");
	r = run(kop_key_keys, (struct kop){ .mode = KSCAN_MATCH, .val = ARG("h?llo") });
	keys_of(&r, got, sizeof(got));
	assert_string_equal(got, "hallo,hello");
	r = run(kop_key_keys, (struct kop){ .mode = KSCAN_TYPE, .key = ARG("STRING") });
	assert_int_equal(r.num, 3);
	r = run(kop_key_keys, (struct kop){ .mode = KSCAN_TYPE, .key = ARG("list") });
	assert_int_equal(r.num, 0);
	/* SCAN one bucket at a time: every key once, then cursor 0. */
	do {
		r = run(kop_key_scan, (struct kop){ .num = (int64_t)cursor, .num2 = 1 });
		seen += (int)r.num;
		cursor = r.cas;
	} while (cursor != 0);
	assert_int_equal(seen, 3);
	/* COUNT 200 may visit 2000 buckets: this (1024-bucket) table in one call. */
	r = run(kop_key_scan, (struct kop){ .num = 0, .num2 = 200 });
	assert_int_equal(r.cas, 0);
	assert_int_equal(r.num, 3);
	/* COUNT 2 stops after two keys were seen (a filter does not count). */
	r = run(kop_key_scan, (struct kop){ .num = 0, .num2 = 2, .mode = KSCAN_MATCH,
					    .val = ARG("nomatch") });
	assert_int_equal(r.num, 0);
	assert_true(r.cas != 0);
	for (int i = 0; i < 20; i++) {
		r = run(kop_key_random, (struct kop){ 0 });
		assert_int_equal(r.status, 1);
		assert_true(r.val.len == 5 && memcmp(r.val.p, "dead", 4) != 0);
	}
}

static void test_scratch(void **state)
{
	struct buf *b = kop_scratch();

	(void)state;
	buf_append(b, "x", 1);
	b = kop_scratch();                               /* emptied for the next kop */
	assert_int_equal(buf_len(b), 0);
	assert_int_equal(b->enomem, 0);
	/* A big result is let go of on the next ask. */
	assert_int_equal(buf_reserve(b, 1 << 20), 0);
	b = kop_scratch();
	assert_true(b->cap <= 256 * 1024);
}

static void test_strnum(void **state)
{
	long long v;
	long double d;
	char buf[64];

	(void)state;
	assert_true(ss_string2ll("0", 1, &v) && v == 0);
	assert_true(ss_string2ll("-1", 2, &v) && v == -1);
	assert_true(ss_string2ll("9223372036854775807", 19, &v) && v == LLONG_MAX);
	assert_true(ss_string2ll("-9223372036854775808", 20, &v) && v == LLONG_MIN);
	assert_false(ss_string2ll("9223372036854775808", 19, &v));
	assert_false(ss_string2ll("-9223372036854775809", 20, &v));
	assert_false(ss_string2ll("18446744073709551616", 20, &v));
	assert_false(ss_string2ll("", 0, &v));
	assert_false(ss_string2ll("-", 1, &v));
	assert_false(ss_string2ll("-0", 2, &v));
	assert_false(ss_string2ll("01", 2, &v));
	assert_false(ss_string2ll("+1", 2, &v));
	assert_false(ss_string2ll(" 1", 2, &v));
	assert_false(ss_string2ll("1 ", 2, &v));
	assert_false(ss_string2ll("1\0", 2, &v));
	assert_false(ss_string2ll("000000000000000000001", 21, &v));
	assert_true(ss_string2ld("1.5", 3, &d) && d == 1.5L);
	assert_true(ss_string2ld("-inf", 4, &d) && d < 0);
	assert_false(ss_string2ld("nan", 3, &d));
	assert_false(ss_string2ld("1e-5000", 7, &d));    /* underflow to 0 */
	/* strtold stops at the NUL, and so does Redis's end check. */
	assert_true(ss_string2ld("1.5\0", 4, &d) && d == 1.5L);
	assert_int_equal(ss_ld2string_human(buf, sizeof(buf), 3.0L), 1);
	assert_string_equal(buf, "3");
	ss_ld2string_human(buf, sizeof(buf), -0.0L);
	assert_string_equal(buf, "0");
	ss_ld2string_human(buf, sizeof(buf), 1.0L / 0.0L);
	assert_string_equal(buf, "inf");
	ss_ld2string_human(buf, sizeof(buf), 0.1L);
	assert_string_equal(buf, "0.1");
	assert_int_equal(ss_ld2string_human(buf, 3, 1234.5L), 0);   /* no room */
}

#define T(f) cmocka_unit_test_setup(f, empty)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_set_modes), T(test_getdel_getex), T(test_append_setrange),
		T(test_getrange_strlen), T(test_incr), T(test_incrbyfloat), T(test_msetnx_pairs), T(test_mset_count),
		T(test_mget_reads_ahead_in_order), T(test_exists_touch_ttl), T(test_expire_options), T(test_del_cas_rename),
		T(test_keys_scan_random), T(test_scratch), T(test_strnum),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
