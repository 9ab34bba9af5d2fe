/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The load generator's reply parsers (tests/bench/loadgen/lg_proto*.c). A
 * case is a list of requests and the bytes a server answers them with; the
 * result lines are first taken with all bytes in one read, then again with
 * the bytes arriving k per read for every k, and must be the same. Each
 * parse sees exactly the bytes received, copied into a heap block of that
 * size, so ASan catches any look past them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lg_conn.h"
#include "lg_proto.h"
#include "lg_value.h"
#include "lg_workload.h"
#include "platform/status.h"

struct req {
	enum lg_op op;
	const char *key;
};

/* Appends to out (NUL-terminated, room checked) one line per result. */
static void put(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void put(char *out, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(out);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out + n, cap - n, fmt, ap);
	va_end(ap);
	assert_true(strlen(out) < cap - 1);
}

static void describe(char *out, size_t cap, const struct lg_reply *r)
{
	switch (r->kind) {
	case LG_R_STORED:
		put(out, cap, "STORED %zu\n", r->used);
		break;
	case LG_R_MISS:
		put(out, cap, "MISS %zu\n", r->used);
		break;
	case LG_R_HIT:
		put(out, cap, "HIT %zu [%.*s]\n", r->used, (int)r->vlen, r->val);
		break;
	case LG_R_ERROR:
		put(out, cap, "%s %zu %s\n", r->fatal ? "FATAL" : "ERR", r->used, r->why);
		break;
	}
}

/* Feeds in[0..len) k bytes per read; returns the result lines (malloc'd). */
static char *feed(const struct lg_proto *p, const struct req *reqs, size_t nreq,
		  const char *in, size_t len, size_t k)
{
	size_t cap = 8192, off = 0, avail = 0, ri = 0;
	char *out = calloc(1, cap);
	int fatal = 0;

	assert_non_null(out);
	while (!fatal && ri < nreq) {
		size_t before = avail;

		avail += len - avail < k ? len - avail : k;
		while (ri < nreq && off < avail) {
			size_t have = avail - off;
			char *blk = malloc(have);
			struct lg_reply r;
			int rc;

			assert_non_null(blk);
			memcpy(blk, in + off, have);
			memset(&r, 0xa5, sizeof(r));
			rc = p->parse(reqs[ri].op, reqs[ri].key, strlen(reqs[ri].key), blk, have, &r);
			if (rc == SS_NEED_MORE) {
				free(blk);
				break;
			}
			assert_int_equal(rc, SS_OK);
			if (r.kind == LG_R_HIT)   /* the value lies inside the input */
				assert_true(r.val >= blk && r.val + r.vlen <= blk + have);
			/* describe() reads val: before the block goes */
			describe(out, cap, &r);
			free(blk);
			if (r.kind == LG_R_ERROR && r.fatal) {
				fatal = 1;
				break;
			}
			assert_true(r.used > 0 && r.used <= have);
			off += r.used;
			ri++;
		}
		if (avail == len || avail == before)
			break;
	}
	put(out, cap, "END rest=%zu\n", len - off);
	return out;
}

static void check(const struct lg_proto *p, const struct req *reqs, size_t nreq,
		  const char *in, size_t len, const char *want)
{
	char *one = feed(p, reqs, nreq, in, len, len ? len : 1);

	if (strcmp(one, want) != 0)
		fail_msg("%s, one read:\n got: %s\nwant: %s", p->name, one, want);
	for (size_t k = 1; k <= len; k++) {
		char *got = feed(p, reqs, nreq, in, len, k);

		if (strcmp(got, one) != 0)
			fail_msg("%s, %zu bytes per read:\n got: %s\nwant: %s", p->name, k, got, one);
		free(got);
	}
	free(one);
}

#define CHECK(p, reqs, in, want) \
	check(p, reqs, sizeof(reqs) / sizeof(reqs[0]), in, sizeof(in) - 1, want)

static void test_resp_replies(void **state)
{
	static const struct req r[] = {
		{ LG_SET, "k" }, { LG_GET, "k" }, { LG_GET, "x" }, { LG_GET, "y" },
		{ LG_GET, "z" }, { LG_SET, "k" }, { LG_GET, "k" },
	};
	/* a binary-safe value with CR, LF and NUL inside; a RESP3 null; errors */
	static const char in[] = "+OK\r\n$5\r\nhello\r\n$-1\r\n$4\r\n\r\n\0\n\r\n_\r\n"
				 "-ERR wrong\r\n-WRONGTYPE x\r\n";

	(void)state;
	CHECK(&lg_proto_resp, r, in,
	      "STORED 5\nHIT 11 [hello]\nMISS 5\nHIT 10 [\r\n]\nMISS 3\n"
	      "ERR 12 resp: error reply\nERR 14 resp: error reply\nEND rest=0\n");
}

static void test_resp_unexpected(void **state)
{
	static const struct req r[] = {
		{ LG_GET, "k" }, { LG_SET, "k" }, { LG_SET, "k" }, { LG_SET, "k" }, { LG_GET, "k" },
		{ LG_GET, "k" },
	};
	/* framed but wrong for the request: counted, the stream goes on */
	static const char in[] = "+OK\r\n$1\r\nv\r\n$-1\r\n+QUEUED\r\n:1\r\n*1\r\n$1\r\na\r\n";

	(void)state;
	CHECK(&lg_proto_resp, r, in,
	      "ERR 5 resp: unexpected status reply\nERR 7 resp: bulk reply to SET\n"
	      "ERR 5 resp: null reply to SET\nERR 9 resp: unexpected status reply\n"
	      "ERR 4 resp: unexpected integer reply\nFATAL 0 resp: unexpected reply type\n"
	      "END rest=11\n");
}

static void test_resp_hostile(void **state)
{
	static const struct req g[] = { { LG_GET, "k" } };
	static const char neg[] = "$-5\r\nxx\r\n", big[] = "$999999999999\r\n",
			  sign[] = "$+3\r\nabc\r\n", noend[] = "$3\r\nabcXY", bare[] = "$3\nabc\r\n",
			  lf[] = "+OK\n", empty_len[] = "$\r\n", badnull[] = "_x\r\n";
	char *lng = malloc(LG_LINE_MAX + 10);

	(void)state;
	CHECK(&lg_proto_resp, g, neg, "FATAL 0 resp: bad bulk length\nEND rest=9\n");
	CHECK(&lg_proto_resp, g, big, "FATAL 0 resp: bad bulk length\nEND rest=15\n");
	CHECK(&lg_proto_resp, g, sign, "FATAL 0 resp: bad bulk length\nEND rest=10\n");
	CHECK(&lg_proto_resp, g, noend, "FATAL 0 resp: bulk string not ended by CRLF\nEND rest=9\n");
	CHECK(&lg_proto_resp, g, bare, "FATAL 0 resp: line too long or bare LF\nEND rest=8\n");
	CHECK(&lg_proto_resp, g, lf, "FATAL 0 resp: line too long or bare LF\nEND rest=4\n");
	CHECK(&lg_proto_resp, g, empty_len, "FATAL 0 resp: bad bulk length\nEND rest=3\n");
	CHECK(&lg_proto_resp, g, badnull, "FATAL 0 resp: bad null\nEND rest=4\n");
	/* a header line that never ends: refused once LG_LINE_MAX bytes are in */
	assert_non_null(lng);
	lng[0] = '+';
	memset(lng + 1, 'a', LG_LINE_MAX + 8);
	lng[LG_LINE_MAX + 9] = '\0';
	check(&lg_proto_resp, g, 1, lng, LG_LINE_MAX + 9,
	      "FATAL 0 resp: line too long or bare LF\nEND rest=1033\n");
	/* and the same with nothing but the incomplete line: only more is needed */
	check(&lg_proto_resp, g, 1, lng, LG_LINE_MAX - 1, "END rest=1023\n");
	free(lng);
}

static void test_mc_text_replies(void **state)
{
	static const struct req r[] = {
		{ LG_SET, "k1" }, { LG_GET, "k1" }, { LG_GET, "k2" }, { LG_GET, "k3" },
		{ LG_SET, "k1" }, { LG_GET, "k1" }, { LG_GET, "k1" }, { LG_SET, "k1" },
	};
	static const char in[] = "STORED\r\nVALUE k1 0 5\r\nhe\r\no\r\nEND\r\nEND\r\n"
				 "VALUE k3 4294967295 2 77\r\nab\r\nEND\r\n"
				 "SERVER_ERROR out of memory\r\nCLIENT_ERROR bad\r\nERROR\r\nNOT_STORED\r\n";

	(void)state;
	CHECK(&lg_proto_mc_text, r, in,
	      "STORED 8\nHIT 26 [he\r\no]\nMISS 5\nHIT 35 [ab]\n"
	      "ERR 28 memcache: error reply\nERR 18 memcache: error reply\n"
	      "ERR 7 memcache: error reply\nERR 12 memcache: set not stored\nEND rest=0\n");
}

static void test_mc_text_unexpected(void **state)
{
	static const struct req r[] = {
		{ LG_GET, "k1" }, { LG_GET, "k1" }, { LG_SET, "k1" }, { LG_SET, "k1" },
		{ LG_GET, "k1" },
	};
	/* STORED to a get, another key's value, END and VALUE to a set, then two
	 * VALUEs for one get: that is not one reply, and cannot be framed */
	static const char in[] = "STORED\r\nVALUE k2 0 1\r\nx\r\nEND\r\nEND\r\n"
				 "VALUE k1 0 1\r\nx\r\nEND\r\n"
				 "VALUE k1 0 1\r\nx\r\nVALUE k1 0 1\r\nx\r\nEND\r\n";

	(void)state;
	CHECK(&lg_proto_mc_text, r, in,
	      "ERR 8 memcache: STORED to a get\nERR 22 memcache: VALUE for another key\n"
	      "ERR 5 memcache: END to a set\nERR 22 memcache: VALUE to a set\n"
	      "FATAL 0 memcache: VALUE not followed by END\nEND rest=39\n");
}

static void test_mc_text_hostile(void **state)
{
	static const struct req g[] = { { LG_GET, "k" } };
	static const char neg[] = "VALUE k 0 -1\r\n", noflags[] = "VALUE k 0\r\n",
			  many[] = "VALUE k 0 1 2 3\r\nx\r\nEND\r\n", twosp[] = "VALUE k  0 1\r\n",
			  noend[] = "VALUE k 0 2\r\nabcEND\r\n", bigflags[] = "VALUE k 4294967296 1\r\n",
			  huge[] = "VALUE k 0 99999999999\r\n", junk[] = "HELLO\r\n",
			  storedx[] = "STOREDX\r\n", valuex[] = "VALUEX k 0 1\r\n", badcas[] = "VALUE k 0 1 x\r\n";

	(void)state;
	CHECK(&lg_proto_mc_text, g, neg, "FATAL 0 memcache: bad VALUE line\nEND rest=14\n");
	CHECK(&lg_proto_mc_text, g, noflags, "FATAL 0 memcache: bad VALUE line\nEND rest=11\n");
	CHECK(&lg_proto_mc_text, g, many, "FATAL 0 memcache: bad VALUE line\nEND rest=25\n");
	CHECK(&lg_proto_mc_text, g, twosp, "FATAL 0 memcache: bad VALUE line\nEND rest=14\n");
	CHECK(&lg_proto_mc_text, g, noend,
	      "FATAL 0 memcache: data block not ended by CRLF\nEND rest=21\n");
	CHECK(&lg_proto_mc_text, g, bigflags, "FATAL 0 memcache: bad VALUE line\nEND rest=22\n");
	CHECK(&lg_proto_mc_text, g, huge, "FATAL 0 memcache: bad VALUE line\nEND rest=23\n");
	CHECK(&lg_proto_mc_text, g, junk, "FATAL 0 memcache: unknown reply line\nEND rest=7\n");
	CHECK(&lg_proto_mc_text, g, storedx, "FATAL 0 memcache: unknown reply line\nEND rest=9\n");
	CHECK(&lg_proto_mc_text, g, valuex, "FATAL 0 memcache: unknown reply line\nEND rest=14\n");
	CHECK(&lg_proto_mc_text, g, badcas, "FATAL 0 memcache: bad VALUE line\nEND rest=15\n");
}

static void test_mc_meta_replies(void **state)
{
	static const struct req r[] = {
		{ LG_SET, "k" }, { LG_GET, "k" }, { LG_GET, "k" }, { LG_SET, "k" }, { LG_GET, "k" },
		{ LG_GET, "k" }, { LG_SET, "k" }, { LG_GET, "k" },
	};
	static const char in[] = "HD\r\nVA 3 f0\r\na\rb\r\nEN\r\nHD c5\r\nVA 0\r\n\r\n"
				 "CLIENT_ERROR bad\r\nNS\r\nHD\r\n";

	(void)state;
	CHECK(&lg_proto_mc_meta, r, in,
	      "STORED 4\nHIT 14 [a\rb]\nMISS 4\nSTORED 7\nHIT 8 []\n"
	      "ERR 18 memcache: error reply\nERR 4 memcache: unexpected meta status\n"
	      "ERR 4 memcache: HD to mg v\nEND rest=0\n");
}

static void test_mc_meta_hostile(void **state)
{
	static const struct req g[] = { { LG_GET, "k" } };
	static const struct req s[] = { { LG_SET, "k" } };
	static const char nolen[] = "VA\r\n", badlen[] = "VA x\r\n", neg[] = "VA -1\r\n",
			  noend[] = "VA 1\r\nab\r\n", junk[] = "OK\r\n", va[] = "VA 1\r\nx\r\n",
			  en[] = "EN\r\n", hdx[] = "HDX\r\n";

	(void)state;
	CHECK(&lg_proto_mc_meta, g, nolen, "FATAL 0 memcache: bad VA line\nEND rest=4\n");
	CHECK(&lg_proto_mc_meta, g, badlen, "FATAL 0 memcache: bad VA line\nEND rest=6\n");
	CHECK(&lg_proto_mc_meta, g, neg, "FATAL 0 memcache: bad VA line\nEND rest=7\n");
	CHECK(&lg_proto_mc_meta, g, noend,
	      "FATAL 0 memcache: data block not ended by CRLF\nEND rest=10\n");
	CHECK(&lg_proto_mc_meta, g, junk, "FATAL 0 memcache: unknown reply line\nEND rest=4\n");
	CHECK(&lg_proto_mc_meta, s, va, "ERR 9 memcache: VA to ms\nEND rest=0\n");
	CHECK(&lg_proto_mc_meta, s, en, "ERR 4 memcache: EN to ms\nEND rest=0\n");
	CHECK(&lg_proto_mc_meta, s, hdx, "FATAL 0 memcache: unknown reply line\nEND rest=5\n");
}

/* n bytes at b are the literal s, all of it and no more */
#define BYTES(b, n, s) do { \
		assert_int_equal((n), sizeof(s) - 1); \
		assert_memory_equal((b), (s), sizeof(s) - 1); \
	} while (0)

/* What the encoders write is what the servers' own parsers expect. */
static void test_encoders(void **state)
{
	char b[256];
	size_t n;

	(void)state;
	n = lg_proto_resp.enc_get(b, "key:7", 5);
	assert_true(n <= lg_req_max(5, 0));
	assert_memory_equal(b, "*2\r\n$3\r\nGET\r\n$5\r\nkey:7\r\n", n);
	n = lg_proto_mc_text.enc_get(b, "k", 1);
	assert_memory_equal(b, "get k\r\n", n);
	n = lg_proto_mc_meta.enc_get(b, "k", 1);
	assert_memory_equal(b, "mg k v\r\n", n);
	/* SETs without a TTL: the bytes from before --expiry-range, exactly */
	n = lg_proto_resp.enc_set(b, "k", 1, "v\r\n", 3, 0);
	assert_true(n <= lg_req_max(1, 3));
	BYTES(b, n, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nv\r\n\r\n");
	n = lg_proto_mc_text.enc_set(b, "k", 1, "0123456789", 10, 0);
	BYTES(b, n, "set k 0 0 10\r\n0123456789\r\n");
	n = lg_proto_mc_meta.enc_set(b, "k", 1, "ab", 2, 0);
	BYTES(b, n, "ms k 2\r\nab\r\n");
	/* With one: EX, exptime, T */
	n = lg_proto_resp.enc_set(b, "k", 1, "v\r\n", 3, 150);
	BYTES(b, n, "*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nv\r\n\r\n"
	      "$2\r\nEX\r\n$3\r\n150\r\n");
	n = lg_proto_mc_text.enc_set(b, "k", 1, "0123456789", 10, 150);
	BYTES(b, n, "set k 0 150 10\r\n0123456789\r\n");
	n = lg_proto_mc_meta.enc_set(b, "k", 1, "ab", 2, 150);
	BYTES(b, n, "ms k 2 T150\r\nab\r\n");
	n = lg_proto_mc_meta.enc_set(b, "k", 1, "ab", 2, 1);
	BYTES(b, n, "ms k 2 T1\r\nab\r\n");
	/* The longest TTL still fits lg_req_max(), in each protocol. */
	n = lg_proto_resp.enc_set(b, "key:99", 6, "0123456789", 10, LG_TTL_MAX);
	assert_true(n <= lg_req_max(6, 10));
	BYTES(b, n, "*5\r\n$3\r\nSET\r\n$6\r\nkey:99\r\n$10\r\n0123456789\r\n"
	      "$2\r\nEX\r\n$7\r\n2592000\r\n");
	n = lg_proto_mc_text.enc_set(b, "key:99", 6, "0123456789", 10, LG_TTL_MAX);
	assert_true(n <= lg_req_max(6, 10));
	BYTES(b, n, "set key:99 0 2592000 10\r\n0123456789\r\n");
	n = lg_proto_mc_meta.enc_set(b, "key:99", 6, "0123456789", 10, LG_TTL_MAX);
	assert_true(n <= lg_req_max(6, 10));
	BYTES(b, n, "ms key:99 10 T2592000\r\n0123456789\r\n");
	assert_ptr_equal(lg_proto_find("redis"), &lg_proto_resp);
	assert_ptr_equal(lg_proto_find("memcache_meta"), &lg_proto_mc_meta);
	assert_null(lg_proto_find("memcache"));
}

#define NSETS 256

/* One connection's first NSETS requests (all SETs, memcached text, 8-byte
 * values) as lg_conn_fill() writes them with TTLs in lo..hi: their keys and
 * exptimes, and a copy of the bytes (freed by the caller). */
static char *fill_sets(unsigned lo, unsigned hi, uint64_t seed, unsigned long *keys,
		       unsigned *ttls, size_t *len)
{
	struct lg_workload wl;
	struct lg_values v;
	struct lg_shared sh;
	struct lg_conn c;
	const char *p;
	char *copy;

	assert_int_equal(lg_workload_init(&wl, 1, 0, 1000, LG_KEYS_UNIFORM, 0.99, "k"), 0);
	assert_int_equal(lg_values_init(&v, 7, 8, 8, 1000, 0), 0);
	sh = (struct lg_shared){
		.proto = &lg_proto_mc_text, .wl = &wl, .values = &v, .pipeline = NSETS,
		.ttl_min = lo, .ttl_max = hi, .t_measure = 0, .t_end = UINT64_MAX,
	};
	assert_int_equal(lg_conn_init(&c, &sh, 0, 1, seed, 0), 0);
	lg_conn_fill(&c, &sh, 1);
	assert_int_equal(c.qn, NSETS);
	p = c.out;
	for (unsigned i = 0; i < NSETS; i++) {
		int used = 0;

		assert_true(p < c.out + c.out_len);
		assert_int_equal(sscanf(p, "set k%lu 0 %u 8\r\n%n", &keys[i], &ttls[i], &used), 2);
		assert_true(used > 0);
		assert_memory_equal(p + used + 8, "\r\n", 2);
		p += used + 10;
	}
	assert_ptr_equal(p, c.out + c.out_len);
	*len = c.out_len;
	copy = malloc(c.out_len);
	assert_non_null(copy);
	memcpy(copy, c.out, c.out_len);
	lg_conn_fini(&c);
	lg_values_fini(&v);
	return copy;
}

/* --expiry-range: lg_conn_fill() draws each SET's TTL uniformly in lo..hi
 * from the connection's PRNG, the same for the same seed; with no range to
 * draw from (0-0, or A-A) the ops and keys of a seed are those of before. */
static void test_set_ttl_draw(void **state)
{
	unsigned long keys[NSETS], keys2[NSETS];
	unsigned ttls[NSETS], ttls2[NSETS], seen[4] = { 0 };
	size_t len, len2;
	char *a, *b;

	(void)state;
	a = fill_sets(0, 0, 1, keys, ttls, &len);
	b = fill_sets(5, 5, 1, keys2, ttls2, &len2);
	assert_memory_equal(keys, keys2, sizeof(keys));
	for (unsigned i = 0; i < NSETS; i++) {
		assert_int_equal(ttls[i], 0);
		assert_int_equal(ttls2[i], 5);
	}
	free(a);
	free(b);

	a = fill_sets(3, 6, 1, keys, ttls, &len);
	b = fill_sets(3, 6, 1, keys2, ttls2, &len2);
	assert_int_equal(len, len2);
	assert_memory_equal(a, b, len);
	for (unsigned i = 0; i < NSETS; i++) {
		assert_in_range(ttls[i], 3, 6);
		seen[ttls[i] - 3]++;
	}
	for (unsigned i = 0; i < 4; i++)   /* both ends included */
		assert_true(seen[i] > NSETS / 8);
	free(b);
	b = fill_sets(3, 6, 2, keys2, ttls2, &len2);
	assert_false(len == len2 && memcmp(a, b, len) == 0);
	free(a);
	free(b);

	/* 0-1: a drawn 0 goes out as no TTL, as without the option */
	a = fill_sets(0, 1, 1, keys, ttls, &len);
	memset(seen, 0, sizeof(seen));
	for (unsigned i = 0; i < NSETS; i++) {
		assert_in_range(ttls[i], 0, 1);
		seen[ttls[i]]++;
	}
	assert_true(seen[0] > 0 && seen[1] > 0);
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resp_replies),
		cmocka_unit_test(test_resp_unexpected),
		cmocka_unit_test(test_resp_hostile),
		cmocka_unit_test(test_mc_text_replies),
		cmocka_unit_test(test_mc_text_unexpected),
		cmocka_unit_test(test_mc_text_hostile),
		cmocka_unit_test(test_mc_meta_replies),
		cmocka_unit_test(test_mc_meta_hostile),
		cmocka_unit_test(test_encoders),
		cmocka_unit_test(test_set_ttl_draw),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
