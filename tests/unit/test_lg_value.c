/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --verify's logic (tests/bench/loadgen/lg_value.c): values derived from
 * (run nonce, key, version), the shadow table's issued/acknowledged
 * versions, and every way a GET reply can be wrong. Then the connection
 * engine (lg_conn.c) with a reply stream written here in place of a server:
 * right replies pass, a wrong value counts as a verify error.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lg_conn.h"
#include "lg_value.h"

static void test_fill_and_check(void **state)
{
	struct lg_values v;
	char buf[64];
	uint32_t ver;

	(void)state;
	assert_int_equal(lg_values_init(&v, 0xabcdef01u, 32, 32, 100, 1), 0);
	/* nothing stored yet: a miss is right */
	assert_int_equal(lg_values_check(&v, 5, lg_values_floor(&v, 5), NULL, 0), LG_V_OK);
	ver = lg_values_issue(&v, 5);
	assert_int_equal(ver, 1);
	lg_value_fill(&v, 5, ver, buf);
	assert_memory_equal(buf, "abcdef0100000001", 16);
	/* in flight, not yet acknowledged: the old (none) and the new are both right */
	assert_int_equal(lg_values_check(&v, 5, 0, NULL, 0), LG_V_OK);
	assert_int_equal(lg_values_check(&v, 5, 0, buf, 32), LG_V_OK);
	lg_values_ack(&v, 5, ver);
	assert_int_equal(lg_values_floor(&v, 5), 1);
	assert_int_equal(lg_values_check(&v, 5, 1, buf, 32), LG_V_OK);
	/* acknowledged, then missing */
	assert_int_equal(lg_values_check(&v, 5, 1, NULL, 0), LG_V_ERR_LOST);
	/* another key's value of the same version */
	{
		char other[64];

		assert_int_equal(lg_values_issue(&v, 6), 1);
		lg_value_fill(&v, 6, 1, other);
		assert_int_equal(lg_values_check(&v, 5, 1, other, 32), LG_V_ERR_CONTENT);
	}
	/* one byte changed anywhere in the filler */
	for (int i = 16; i < 32; i++) {
		char bad[64];

		memcpy(bad, buf, 32);
		bad[i] ^= 1;
		assert_int_equal(lg_values_check(&v, 5, 1, bad, 32), LG_V_ERR_CONTENT);
	}
	/* truncated, or with a version never issued */
	assert_int_equal(lg_values_check(&v, 5, 1, buf, 31), LG_V_ERR_LENGTH);
	memcpy(buf + 8, "00000002", 8);
	assert_int_equal(lg_values_check(&v, 5, 1, buf, 32), LG_V_ERR_VERSION);
	memcpy(buf + 8, "00000000", 8);
	assert_int_equal(lg_values_check(&v, 5, 1, buf, 32), LG_V_ERR_VERSION);
	/* not a value of ours at all */
	assert_int_equal(lg_values_check(&v, 5, 1, "hello", 5), LG_V_ERR_FORMAT);
	assert_int_equal(lg_values_check(&v, 7, 0, "hello", 5), LG_V_FOREIGN);
	memcpy(buf, "ABCDEF01", 8);   /* upper-case hex is not what we write */
	assert_int_equal(lg_values_check(&v, 5, 1, buf, 32), LG_V_ERR_FORMAT);
	lg_values_fini(&v);
}

static void test_versions_and_other_runs(void **state)
{
	struct lg_values v, old;
	char b1[64], b2[64], b0[64];

	(void)state;
	assert_int_equal(lg_values_init(&v, 7, 20, 40, 10, 1), 0);
	assert_int_equal(lg_values_init(&old, 8, 20, 40, 10, 1), 0);
	/* another run's value: acceptable until this run stored the key */
	lg_values_issue(&old, 3);
	lg_value_fill(&old, 3, 1, b0);
	assert_int_equal(lg_values_check(&v, 3, 0, b0, lg_value_size(&old, 3, 1)), LG_V_FOREIGN);
	lg_values_issue(&v, 3);
	lg_values_issue(&v, 3);
	lg_value_fill(&v, 3, 1, b1);
	lg_value_fill(&v, 3, 2, b2);
	lg_values_ack(&v, 3, 2);
	lg_values_ack(&v, 3, 1);   /* acknowledgements out of order: the floor stays 2 */
	assert_int_equal(lg_values_floor(&v, 3), 2);
	assert_int_equal(lg_values_check(&v, 3, 2, b2, lg_value_size(&v, 3, 2)), LG_V_OK);
	/* version 1 after version 2 was acknowledged: a lost write */
	assert_int_equal(lg_values_check(&v, 3, 2, b1, lg_value_size(&v, 3, 1)), LG_V_ERR_STALE);
	/* but right for a GET sent when only version 1 was acknowledged */
	assert_int_equal(lg_values_check(&v, 3, 1, b1, lg_value_size(&v, 3, 1)), LG_V_OK);
	assert_int_equal(lg_values_check(&v, 3, 2, b0, lg_value_size(&old, 3, 1)), LG_V_ERR_STALE);
	lg_values_fini(&v);
	lg_values_fini(&old);
}

static void test_sizes(void **state)
{
	struct lg_values v;
	int seen_min = 0, seen_max = 0;

	(void)state;
	assert_int_equal(lg_values_init(&v, 1, 16, 24, 1000, 0), 0);
	assert_null(v.issued);   /* no shadow table without --verify */
	for (uint64_t k = 0; k < 1000; k++) {
		size_t n = lg_value_size(&v, k, 1);

		assert_true(n >= 16 && n <= 24);
		assert_int_equal(n, lg_value_size(&v, k, 1));   /* a function of key and version */
		seen_min |= n == 16;
		seen_max |= n == 24;
	}
	assert_true(seen_min && seen_max);
	lg_values_fini(&v);
	/* --verify needs room for the header; sizes must make sense */
	assert_int_equal(lg_values_init(&v, 1, 15, 32, 10, 1), -EINVAL);
	assert_int_equal(lg_values_init(&v, 1, 8, 8, 10, 0), 0);
	lg_values_fini(&v);
	assert_int_equal(lg_values_init(&v, 1, 32, 16, 10, 0), -EINVAL);
	assert_int_equal(lg_values_init(&v, 1, 0, 16, 10, 0), -EINVAL);
}

/* Under --verify each key has one writer: every key a connection may SET
 * is its own, every key is someone's, and the mapping stays near the draw. */
static void test_one_writer_per_key(void **state)
{
	static const uint64_t shapes[][2] = { { 10, 3 }, { 100, 64 }, { 5, 8 }, { 64, 64 }, { 7, 1 } };

	(void)state;
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		uint64_t nkeys = shapes[s][0], n = shapes[s][1];

		for (uint64_t conn = 0; conn < n; conn++)
			for (uint64_t key = 0; key < nkeys; key++) {
				uint64_t k = lg_values_own(key, conn, n, nkeys);

				if (conn >= nkeys) {
					assert_true(k == UINT64_MAX);
					continue;
				}
				assert_true(k < nkeys);
				assert_int_equal(k % n, conn);
				assert_true(k + n > key && k < key + n);
				if (key % n == conn)
					assert_int_equal(k, key);
			}
	}
}

/* The engine: requests from lg_conn_fill(), replies written here as a
 * server would, fed to lg_conn_input() one byte at a time. */
struct engine {
	struct lg_workload wl;
	struct lg_values v;
	struct lg_shared sh;
	struct lg_conn c;
	struct lg_sink sink;
};

static void engine_init(struct engine *e, const struct lg_proto *p, unsigned set_w,
			unsigned get_w)
{
	memset(e, 0, sizeof(*e));
	assert_int_equal(lg_workload_init(&e->wl, set_w, get_w, 1, LG_KEYS_UNIFORM, 0.99, "k"), 0);
	assert_int_equal(lg_values_init(&e->v, 99, 32, 32, 1, 1), 0);
	e->sh = (struct lg_shared){
		.proto = p, .wl = &e->wl, .values = &e->v, .verify = 1, .pipeline = 4,
		.t_measure = 0, .t_end = UINT64_MAX,
	};
	assert_int_equal(lg_conn_init(&e->c, &e->sh, 0, 1, 1, 0), 0);
}

static void engine_fini(struct engine *e)
{
	lg_conn_fini(&e->c);
	lg_values_fini(&e->v);
}

static void engine_feed(struct engine *e, const char *bytes, size_t n, int want_rc)
{
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		size_t room;
		char *p = lg_conn_in_room(&e->c, 1, &room);

		assert_non_null(p);
		*p = bytes[i];
		e->c.in_len++;
		rc = lg_conn_input(&e->c, &e->sh, 1000 + i, &e->sink);
	}
	assert_int_equal(rc, want_rc);
}

static void test_engine_verify(void **state)
{
	struct engine e;
	char val[32], reply[128];
	int n;

	(void)state;
	/* SETs only: four in flight, all of key k0, versions 1..4 */
	engine_init(&e, &lg_proto_resp, 1, 0);
	lg_conn_fill(&e.c, &e.sh, 10);
	assert_int_equal(e.c.qn, 4);
	assert_true(e.c.out_len > 4 * 40);
	assert_memory_equal(e.c.out, "*3\r\n$3\r\nSET\r\n$2\r\nk0\r\n$32\r\n", 26);
	engine_feed(&e, "+OK\r\n+OK\r\n+OK\r\n+OK\r\n", 20, 0);
	assert_int_equal(e.sink.stats.sets, 4);
	assert_int_equal(e.sink.stats.lat.count, 4);
	assert_int_equal(lg_values_floor(&e.v, 0), 4);
	/* now GETs: the right value passes, a stale one and a changed one do not */
	e.wl.set_w = 0;
	e.wl.get_w = 1;
	e.c.out_off = e.c.out_len = 0;
	lg_conn_fill(&e.c, &e.sh, 20);
	assert_int_equal(e.c.qn, 4);
	assert_memory_equal(e.c.out, "*2\r\n$3\r\nGET\r\n$2\r\nk0\r\n", 21);
	lg_value_fill(&e.v, 0, 4, val);
	n = snprintf(reply, sizeof(reply), "$32\r\n%.32s\r\n", val);
	engine_feed(&e, reply, (size_t)n, 0);
	assert_int_equal(e.sink.stats.hits, 1);
	assert_int_equal(e.sink.stats.verify_errors, 0);
	lg_value_fill(&e.v, 0, 3, val);
	n = snprintf(reply, sizeof(reply), "$32\r\n%.32s\r\n", val);
	engine_feed(&e, reply, (size_t)n, 0);
	assert_int_equal(e.sink.stats.verify_errors, 1);
	assert_string_equal(e.sink.first_error, "older than the last acknowledged SET: k0");
	lg_value_fill(&e.v, 0, 4, val);
	val[20] ^= 2;
	n = snprintf(reply, sizeof(reply), "$32\r\n%.32s\r\n", val);
	engine_feed(&e, reply, (size_t)n, 0);
	assert_int_equal(e.sink.stats.verify_errors, 2);
	/* a miss after the acknowledged SETs */
	engine_feed(&e, "$-1\r\n", 5, 0);
	assert_int_equal(e.sink.stats.verify_errors, 3);
	assert_int_equal(e.sink.stats.gets, 4);
	assert_int_equal(e.c.qn, 0);
	/* a reply with nothing in flight cannot be framed */
	engine_feed(&e, "+OK\r\n", 5, -EPROTO);
	assert_int_equal(e.sink.stats.errors, 1);
	engine_fini(&e);
}

static void test_engine_errors(void **state)
{
	struct engine e;

	(void)state;
	engine_init(&e, &lg_proto_mc_text, 1, 0);
	lg_conn_fill(&e.c, &e.sh, 10);
	assert_memory_equal(e.c.out, "set k0 0 0 32\r\n", 15);
	/* an error reply counts and the stream goes on; garbage ends it */
	engine_feed(&e, "STORED\r\nSERVER_ERROR out of memory\r\n", 36, 0);
	assert_int_equal(e.sink.stats.errors, 1);
	assert_int_equal(e.sink.stats.sets, 2);
	assert_int_equal(lg_values_floor(&e.v, 0), 1);   /* only the stored one */
	engine_feed(&e, "HELLO\r\n", 7, -EPROTO);
	assert_int_equal(e.sink.stats.errors, 2);
	assert_string_equal(e.sink.first_error, "memcache: error reply");
	engine_fini(&e);
}

/* --requests after warm-up, and the open loop's intended send times. */
static void test_engine_schedule(void **state)
{
	struct engine e;

	(void)state;
	engine_init(&e, &lg_proto_mc_meta, 1, 0);
	e.sh.requests = 2;
	e.sh.t_measure = 100;
	lg_conn_fill(&e.c, &e.sh, 50);   /* warm-up: not counted */
	assert_int_equal(e.c.qn, 4);
	assert_int_equal(e.c.counted_sent, 0);
	engine_feed(&e, "HD\r\nHD\r\nHD\r\nHD\r\n", 16, 0);
	assert_int_equal(e.sink.stats.sets, 0);
	lg_conn_fill(&e.c, &e.sh, 200);
	assert_int_equal(e.c.qn, 2);     /* --requests 2 */
	assert_false(lg_conn_done(&e.c, &e.sh, 200));
	engine_feed(&e, "HD\r\nHD\r\n", 8, 0);
	assert_int_equal(e.sink.stats.sets, 2);
	assert_true(lg_conn_done(&e.c, &e.sh, 300));
	engine_fini(&e);

	/* open loop, a request every 1000 ns from t0 = 0: at 2500 three are due */
	engine_init(&e, &lg_proto_resp, 1, 0);
	e.sh.interval_ns = 1000;
	e.c.next_at = 0;
	lg_conn_fill(&e.c, &e.sh, 2500);
	assert_int_equal(e.c.qn, 3);
	assert_int_equal(e.c.q[2].t_meant, 2000);
	/* replies at 1000 + i ns (engine_feed): latency counts from the intended time */
	engine_feed(&e, "+OK\r\n", 5, 0);
	assert_int_equal(e.sink.stats.lat.max, 1004);
	engine_fini(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fill_and_check),
		cmocka_unit_test(test_versions_and_other_runs),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_one_writer_per_key),
		cmocka_unit_test(test_engine_verify),
		cmocka_unit_test(test_engine_errors),
		cmocka_unit_test(test_engine_schedule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
