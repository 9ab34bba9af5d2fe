/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RDB format layer: CRC64 and LZF, the exact bytes of each string
 * encoding (as Redis 7.0 writes them), round trips through the loader in
 * every read size, files Redis writes that we never do (old versions,
 * other types, opcodes), and hostile input.
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

#include "storage/rdb.h"
#include "storage/rdb_fmt.h"

/* --- helpers --- */

struct mem_out {
	uint8_t *p;
	size_t len, cap;
	size_t fail_after;   /* 0: never fail */
};

static int mem_out(void *ctx, const void *buf, size_t len)
{
	struct mem_out *m = ctx;

	if (m->fail_after && m->len + len > m->fail_after)
		return -ENOSPC;
	if (m->len + len > m->cap) {
		m->cap = (m->len + len) * 2;
		m->p = realloc(m->p, m->cap);
		assert_non_null(m->p);
	}
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	return 0;
}

/* Input in reads of at most `step` bytes: the loader must not care. */
struct step_in {
	struct rdb_mem_in m;
	size_t step;
};

static long step_in(void *ctx, void *buf, size_t len)
{
	struct step_in *s = ctx;

	return rdb_in_mem(&s->m, buf, len < s->step ? len : s->step);
}

#define MAXK 64

struct got {
	size_t n;
	struct {
		uint8_t *key, *val;
		size_t key_len, val_len;
		int64_t expire_ms;
		uint32_t flags;
		uint64_t cas;
		uint32_t db;
	} k[MAXK];
	int stop_at;   /* return -ECANCELED at this key (1-based); 0: never */
};

static int collect(void *ctx, const struct rdb_key *k)
{
	struct got *g = ctx;

	if (g->stop_at && (int)g->n + 1 == g->stop_at)
		return -ECANCELED;
	assert_true(g->n < MAXK);
	assert_non_null(k->key);   /* even when empty: callers memcpy from it */
	assert_non_null(k->val);
	g->k[g->n].key = malloc(k->key_len + 1);
	g->k[g->n].val = malloc(k->val_len + 1);
	memcpy(g->k[g->n].key, k->key, k->key_len);
	memcpy(g->k[g->n].val, k->val, k->val_len);
	g->k[g->n].key_len = k->key_len;
	g->k[g->n].val_len = k->val_len;
	g->k[g->n].expire_ms = k->expire_ms;
	g->k[g->n].flags = k->flags;
	g->k[g->n].cas = k->cas;
	g->k[g->n].db = k->db;
	g->n++;
	return 0;
}

static void got_free(struct got *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->k[i].key);
		free(g->k[i].val);
	}
	g->n = 0;
}

static const struct rdb_aux fixed_aux = { .ctime = 1700000000, .used_mem = 0 };

static void write_keys(struct mem_out *o, const struct rdb_key *ks, size_t n)
{
	struct rdb_writer *w;

	memset(o, 0, sizeof(*o));
	assert_int_equal(rdb_writer_begin(&w, mem_out, o, &fixed_aux), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(rdb_writer_key(w, &ks[i]), 0);
	assert_int_equal(rdb_writer_end(w), 0);
	assert_int_equal(rdb_writer_bytes(w), o->len);
	rdb_writer_destroy(w);
}

static int load_buf(const uint8_t *p, size_t len, size_t step, enum rdb_type_policy pol,
		    struct got *g, struct rdb_load_info *info)
{
	struct step_in in = { { p, len, 0 }, step };
	struct rdb_load_opts o = { .other_types = pol };

	return rdb_load(step_in, &in, &o, collect, g, info);
}

static struct rdb_key skey(const char *k, const void *v, size_t vlen)
{
	return (struct rdb_key){ .key = k, .key_len = strlen(k), .val = v, .val_len = vlen,
				 .expire_ms = RDB_NO_EXPIRE };
}

/* The bytes of one value as written after the key "k". */
static size_t value_bytes(const void *v, size_t vlen, uint8_t *out, size_t cap)
{
	struct mem_out empty, one;
	struct rdb_key k = skey("k", v, vlen);
	size_t hdr, n;

	write_keys(&empty, NULL, 0);
	write_keys(&one, &k, 1);
	hdr = empty.len - 9;   /* everything before EOF and CRC */
	assert_memory_equal(one.p + hdr, "\x00\x01k", 3);
	n = one.len - 9 - hdr - 3;
	assert_true(n <= cap);
	memcpy(out, one.p + hdr + 3, n);
	free(empty.p);
	free(one.p);
	return n;
}

/* A hand-made file: header, body, EOF and (for version >= 5) the CRC. */
static size_t craft(uint8_t *out, int version, const void *body, size_t blen, int crc_kind)
{
	uint64_t crc;
	size_t n = 0;

	n += (size_t)sprintf((char *)out, "REDIS%04d", version);
	memcpy(out + n, body, blen);
	n += blen;
	out[n++] = RDB_OP_EOF;
	if (version >= 5) {
		crc = crc_kind == 0 ? rdb_crc64(0, out, n) : crc_kind == 1 ? 0 : 0x1234;
		for (int i = 0; i < 8; i++)
			out[n++] = (uint8_t)(crc >> (8 * i));
	}
	return n;
}

/* --- CRC64 and LZF --- */

static void test_crc64(void **state)
{
	(void)state;
	assert_true(rdb_crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9caULL);
	assert_true(rdb_crc64(rdb_crc64(0, "1234", 4), "56789", 5) == 0xe9c6d914c4b8d9caULL);
	assert_true(rdb_crc64(0, "", 0) == 0);
}

static void lzf_round(const uint8_t *in, size_t len)
{
	uint8_t *c = malloc(len + 64), *d = malloc(len + 1);
	size_t cl = rdb_lzf_compress(in, len, c, len + 64);

	assert_true(cl > 0);
	assert_int_equal(rdb_lzf_decompress(c, cl, d, len), len);
	assert_memory_equal(in, d, len);
	/* An output buffer one byte short is refused, not overrun. */
	assert_int_equal(rdb_lzf_decompress(c, cl, d, len - 1), 0);
	free(c);
	free(d);
}

static void test_lzf(void **state)
{
	static uint8_t buf[70000];
	uint64_t x = 88172645463325252ULL;
	uint8_t c[64], d[64];

	(void)state;
	memset(buf, 'a', sizeof(buf));
	lzf_round(buf, 1);
	lzf_round(buf, 3);
	lzf_round(buf, 300);            /* one long run: chained 264-byte references */
	lzf_round(buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		buf[i] = (uint8_t)x;
	}
	lzf_round(buf, 1000);           /* incompressible: literal runs only */
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)("the quick brown fox "[i % 20] ^ (i % 9000 == 0));
	lzf_round(buf, sizeof(buf));    /* repeats at every distance up to 8192 */
	memcpy(buf + 20000, buf, 9000); /* a copy just out of reach */
	lzf_round(buf, sizeof(buf));

	/* Incompressible input does not fit in less room than itself. */
	for (size_t i = 0; i < 64; i++)
		buf[i] = (uint8_t)(i * 151 + 7);
	assert_int_equal(rdb_lzf_compress(buf, 40, c, 36), 0);

	/* Corrupt streams: a literal run past the end, a reference before the
	 * start, a reference missing its offset byte. */
	assert_int_equal(rdb_lzf_decompress("\x05" "ab", 3, d, sizeof(d)), 0);
	assert_int_equal(rdb_lzf_decompress("\x00" "a" "\x20\x05", 4, d, sizeof(d)), 0);
	assert_int_equal(rdb_lzf_decompress("\x00" "a" "\x20", 3, d, sizeof(d)), 0);
	assert_int_equal(rdb_lzf_decompress("\x00" "a" "\xe0", 3, d, sizeof(d)), 0);
	/* A valid reference: 'a' then copy 3 from 1 back. */
	assert_int_equal(rdb_lzf_decompress("\x00" "a" "\x20\x00", 4, d, sizeof(d)), 4);
	assert_memory_equal(d, "aaaa", 4);
}

/* --- the bytes Redis 7.0 writes --- */

static void expect_enc(const char *v, const void *want, size_t wlen)
{
	uint8_t got[128];
	size_t n = value_bytes(v, strlen(v), got, sizeof(got));

	if (n != wlen || memcmp(got, want, n) != 0)
		fail_msg("value '%s': %zu bytes, first 0x%02x; want %zu, 0x%02x", v, n, got[0], wlen,
			 ((const uint8_t *)want)[0]);
}

static void test_int_encodings(void **state)
{
	(void)state;
	expect_enc("0", "\xc0\x00", 2);
	expect_enc("12", "\xc0\x0c", 2);
	expect_enc("127", "\xc0\x7f", 2);
	expect_enc("-128", "\xc0\x80", 2);
	expect_enc("128", "\xc1\x80\x00", 3);
	expect_enc("-129", "\xc1\x7f\xff", 3);
	expect_enc("32767", "\xc1\xff\x7f", 3);
	expect_enc("-32768", "\xc1\x00\x80", 3);
	expect_enc("32768", "\xc2\x00\x80\x00\x00", 5);
	expect_enc("2147483647", "\xc2\xff\xff\xff\x7f", 5);
	expect_enc("-2147483648", "\xc2\x00\x00\x00\x80", 5);
	/* Beyond int32, or not what string2ll accepts: plain strings. */
	expect_enc("2147483648", "\x0a" "2147483648", 11);
	expect_enc("-2147483649", "\x0b" "-2147483649", 12);
	expect_enc("007", "\x03" "007", 4);
	expect_enc("-0", "\x02" "-0", 3);
	expect_enc("+1", "\x02" "+1", 3);
	expect_enc(" 1", "\x02" " 1", 3);
	expect_enc("1 ", "\x02" "1 ", 3);
	expect_enc("-", "\x01" "-", 2);
	expect_enc("", "\x00", 1);
	expect_enc("12345678901", "\x0b" "12345678901", 12);
}

static void test_length_and_lzf_encodings(void **state)
{
	static uint8_t v[70000], got[70100];
	uint64_t x = 2463534242ULL;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(v); i++) {   /* incompressible */
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		v[i] = (uint8_t)x;
	}
	n = value_bytes(v, 63, got, sizeof(got));
	assert_int_equal(n, 1 + 63);
	assert_int_equal(got[0], 63);
	n = value_bytes(v, 64, got, sizeof(got));
	assert_int_equal(n, 2 + 64);
	assert_memory_equal(got, "\x40\x40", 2);
	n = value_bytes(v, 16383, got, sizeof(got));
	assert_memory_equal(got, "\x7f\xff", 2);
	n = value_bytes(v, 16384, got, sizeof(got));
	assert_int_equal(n, 5 + 16384);
	assert_memory_equal(got, "\x80\x00\x00\x40\x00", 5);
	assert_memory_equal(got + 5, v, 16384);

	/* 20 bytes are never compressed; 21 compressible ones are. */
	memset(v, 'x', 64);
	n = value_bytes(v, 20, got, sizeof(got));
	assert_int_equal(n, 21);
	n = value_bytes(v, 21, got, sizeof(got));
	assert_int_equal(got[0], 0xc3);
	assert_int_equal(got[2], 21);   /* then the uncompressed length */
	assert_int_equal(n, 3 + got[1]);
}

/* --- round trips --- */

static void roundtrip(const struct rdb_key *ks, size_t n)
{
	static const size_t steps[] = { 1, 2, 3, 7, 64, 1 << 20 };
	struct mem_out o;

	write_keys(&o, ks, n);
	for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		struct got g = { 0 };
		struct rdb_load_info info;

		if (steps[s] < 7 && o.len > 200000)
			continue;   /* keep it quick */
		assert_int_equal(load_buf(o.p, o.len, steps[s], RDB_TYPES_FAIL, &g, &info), 0);
		assert_string_equal(info.err, "");
		assert_int_equal(info.version, 10);
		assert_int_equal(info.checksum, 1);
		assert_int_equal(info.bytes, o.len);
		assert_int_equal(g.n, n);
		assert_int_equal(info.keys, n);
		for (size_t i = 0; i < n; i++) {
			assert_int_equal(g.k[i].key_len, ks[i].key_len);
			assert_memory_equal(g.k[i].key, ks[i].key, ks[i].key_len);
			assert_int_equal(g.k[i].val_len, ks[i].val_len);
			assert_memory_equal(g.k[i].val, ks[i].val, ks[i].val_len);
			assert_true(g.k[i].expire_ms == ks[i].expire_ms);
			assert_int_equal(g.k[i].flags, ks[i].flags);
			assert_true(g.k[i].cas == ks[i].cas);
			assert_int_equal(g.k[i].db, 0);
		}
		got_free(&g);
	}
	free(o.p);
}

static void test_roundtrip_all_encodings(void **state)
{
	static const char *const nums[] = {
		"0", "1", "-1", "127", "128", "-128", "-129", "255", "256", "32767", "32768",
		"-32768", "-32769", "65535", "65536", "2147483647", "2147483648", "-2147483648",
		"-2147483649", "4294967296", "9223372036854775807", "-9223372036854775808",
		"007", "-0", "+5", "1e3", "0x10", "12345678901",
	};
	static uint8_t big[300000], rnd[5000];
	struct rdb_key ks[MAXK];
	uint64_t x = 1;
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		ks[n] = skey(nums[i], nums[i], strlen(nums[i]));   /* key encoded too */
		ks[n].key = nums[i];
		n++;
	}
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)("slipstream rdb "[i % 15]);
	for (size_t i = 0; i < sizeof(rnd); i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		rnd[i] = (uint8_t)(x >> 56);
	}
	ks[n++] = skey("empty", "", 0);
	ks[n++] = skey("nul", "a\0b\0\0c", 6);
	ks[n++] = (struct rdb_key){ .key = "bin\0key", .key_len = 7, .val = rnd, .val_len = 30,
				    .expire_ms = RDB_NO_EXPIRE };
	ks[n++] = skey("compressible", big, sizeof(big));
	ks[n++] = skey("incompressible", rnd, sizeof(rnd));
	ks[n++] = skey("short-compressible", big, 21);
	ks[n] = skey("ttl", "v", 1);
	ks[n++].expire_ms = 1700000000123LL;
	ks[n] = skey("past-ttl", "v", 1);
	ks[n++].expire_ms = 1;   /* the loader reports; the caller decides */
	ks[n] = skey("mc", "memcached value", 15);
	ks[n].flags = 0xdeadbeef;
	ks[n++].cas = UINT64_MAX;
	ks[n] = skey("mc-ttl", "x", 1);
	ks[n].flags = 1;
	ks[n].expire_ms = 4102444800000LL;
	ks[n++].cas = 0;
	ks[n] = skey("cas-only", "y", 1);
	ks[n++].cas = 42;
	assert_true(n <= MAXK);
	roundtrip(ks, n);
	roundtrip(ks, 0);
}

/* --- what Redis writes and we do not --- */

static void test_old_versions_and_opcodes(void **state)
{
	/* RDB 3: EXPIRETIME in seconds, no checksum. */
	static const uint8_t v3[] = { RDB_OP_SELECTDB, 0, RDB_OP_EXPIRETIME, 0x10, 0, 0, 0,
				      0, 1, 'a', 1, 'b' };
	/* RDB 10 with FREQ, IDLE, FUNCTION2, MODULE_AUX, SELECTDB 3, an AUX. */
	static const uint8_t v10[] = {
		RDB_OP_AUX, 2, 'l', 'u', 0xc0, 1,
		RDB_OP_FUNCTION2, 3, 'f', 'n', 'x',
		RDB_OP_MODULE_AUX, 0x81, 1, 2, 3, 4, 5, 6, 7, 8, RDB_MODULE_OP_UINT, 2,
		RDB_MODULE_OP_SINT, 5, RDB_MODULE_OP_STRING, 1, 'z', RDB_MODULE_OP_DOUBLE,
		1, 2, 3, 4, 5, 6, 7, 8, RDB_MODULE_OP_FLOAT, 1, 2, 3, 4, RDB_MODULE_OP_EOF,
		RDB_OP_SELECTDB, 3, RDB_OP_RESIZEDB, 1, 0,
		RDB_OP_FREQ, 9, 0, 1, 'k', 1, 'v',
		RDB_OP_IDLE, 0x40, 0x80, 0, 1, 'i', 1, 'w',
	};
	uint8_t f[256];
	struct got g = { 0 };
	struct rdb_load_info info;
	size_t n;

	(void)state;
	n = craft(f, 3, v3, sizeof(v3), 0);
	assert_int_equal(load_buf(f, n, 1, RDB_TYPES_FAIL, &g, &info), 0);
	assert_int_equal(g.n, 1);
	assert_true(g.k[0].expire_ms == 16000);
	assert_int_equal(info.checksum, 0);
	got_free(&g);

	for (int crc_kind = 0; crc_kind < 2; crc_kind++) {
		n = craft(f, 10, v10, sizeof(v10), crc_kind);
		assert_int_equal(load_buf(f, n, 3, RDB_TYPES_FAIL, &g, &info), 0);
		assert_int_equal(g.n, 2);
		assert_int_equal(g.k[0].db, 3);
		assert_memory_equal(g.k[1].key, "i", 1);
		assert_true(g.k[1].expire_ms == RDB_NO_EXPIRE);
		assert_int_equal(info.functions, 1);
		assert_int_equal(info.module_aux, 1);
		assert_int_equal(info.checksum, crc_kind == 0);   /* zero: disabled, as Redis */
		got_free(&g);
	}
}

static void test_other_types(void **state)
{
	/* A listpack hash, a quicklist-2 list, a zset_2, an intset, a stream
	 * (v2) with one group, one PEL entry and one consumer, then a string. */
	static const uint8_t body[] = {
		RDB_TYPE_HASH_LISTPACK, 1, 'h', 3, 1, 2, 3,
		RDB_TYPE_LIST_QUICKLIST_2, 1, 'l', 2, 2, 1, 'x', 1, 0xc0, 5,
		RDB_TYPE_ZSET_2, 1, 'z', 1, 1, 'm', 0, 0, 0, 0, 0, 0, 0xf0, 0x3f,
		RDB_TYPE_SET_INTSET, 1, 's', 2, 0xaa, 0xbb,
		RDB_TYPE_STREAM_LISTPACKS_2, 2, 's', 't', 1, 1, 'n', 1, 'p',
		1, 2, 3, 4, 5, 6, 7, 8,
		1, 1, 'g', 1, 2, 3,
		1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 1, 2, 3, 4, 5, 6, 7, 8, 1,
		1, 1, 'c', 1, 2, 3, 4, 5, 6, 7, 8,
		1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
		RDB_OP_EXPIRETIME_MS, 1, 0, 0, 0, 0, 0, 0, 0, RDB_TYPE_STRING, 1, 'k', 1, 'v',
	};
	uint8_t f[512];
	struct got g = { 0 };
	struct rdb_load_info info;
	size_t n = craft(f, 10, body, sizeof(body), 0);

	(void)state;
	assert_int_equal(load_buf(f, n, 1, RDB_TYPES_SKIP, &g, &info), 0);
	assert_int_equal(info.skipped, 5);
	assert_int_equal(g.n, 1);
	assert_true(g.k[0].expire_ms == 1);
	got_free(&g);

	assert_int_equal(load_buf(f, n, 1, RDB_TYPES_FAIL, &g, &info), -ENOTSUP);
	assert_non_null(strstr(info.err, "key 'h' is a hash (listpack)"));
	assert_int_equal(g.n, 0);
}

/* --- hostile input --- */

static void test_truncation_and_flips(void **state)
{
	struct rdb_key ks[3] = { skey("a", "1", 1), skey("bb", "hello hello hello hello hello", 29),
				 skey("c", "x", 1) };
	struct mem_out o;

	(void)state;
	ks[1].flags = 7;
	ks[2].expire_ms = 99;
	write_keys(&o, ks, 3);
	for (size_t cut = 0; cut < o.len; cut++) {
		struct got g = { 0 };
		struct rdb_load_info info;

		assert_int_equal(load_buf(o.p, cut, 5, RDB_TYPES_FAIL, &g, &info), -EINVAL);
		assert_true(info.err[0] != '\0');
		got_free(&g);
	}
	/* Any single flipped bit is an error (often the checksum's). */
	for (size_t i = 0; i < o.len; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			struct got g = { 0 };
			struct rdb_load_info info;
			int rc;

			o.p[i] ^= (uint8_t)(1 << bit);
			rc = load_buf(o.p, o.len, 4096, RDB_TYPES_SKIP, &g, &info);
			o.p[i] ^= (uint8_t)(1 << bit);
			if (rc == 0)
				fail_msg("flip of bit %d at %zu accepted", bit, i);
			got_free(&g);
		}
	}
	free(o.p);
}

static void expect_error(const void *body, size_t blen, int want, const char *why)
{
	uint8_t f[256];
	struct got g = { 0 };
	struct rdb_load_info info;
	size_t n = craft(f, 10, body, blen, 0);

	assert_int_equal(load_buf(f, n, 1 << 20, RDB_TYPES_SKIP, &g, &info), want);
	if (strstr(info.err, why) == NULL)
		fail_msg("error '%s' lacks '%s'", info.err, why);
	got_free(&g);
}

static void test_bad_input(void **state)
{
	/* 2^63-byte and 4 GiB strings: refused or truncated, never allocated. */
	static const uint8_t huge[] = { 0, 1, 'k', 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t big_trunc[] = { 0, 1, 'k', 0x80, 0x1f, 0xff, 0xff, 0xff, 'x' };
	static const uint8_t lzf_ratio[] = { 0, 1, 'k', 0xc3, 1, 0x80, 0x10, 0, 0, 0, 0 };
	static const uint8_t lzf_short[] = { 0, 1, 'k', 0xc3, 3, 5, 0x01, 'a', 'b' };
	static const uint8_t lzf_bad[] = { 0, 1, 'k', 0xc3, 3, 5, 0x00, 'a', 0x40 };
	static const uint8_t bad_prefix[] = { 0, 0x82, 'k' };
	static const uint8_t bad_enc[] = { 0, 0xc5, 'k' };
	static const uint8_t bad_type[] = { 8, 1, 'k', 1, 'v' };
	static const uint8_t pre_ga_type[] = { 6, 1, 'k' };
	static const uint8_t bad_meta[] = { RDB_OP_AUX, 7, 's', 'l', 'i', 'p', '-', 'm', 'c',
					    3, '1', 'x', '2', 0, 1, 'k', 1, 'v' };
	static const uint8_t meta_ovf[] = { RDB_OP_AUX, 7, 's', 'l', 'i', 'p', '-', 'm', 'c',
					    12, '4', '2', '9', '4', '9', '6', '7', '2', '9', '6',
					    ' ', '1', 0, 1, 'k', 1, 'v' };
	/* Found by fuzz_rdb_read: an empty value must not be a NULL buffer. */
	static const uint8_t empty_meta[] = { RDB_OP_AUX, 7, 's', 'l', 'i', 'p', '-', 'm', 'c',
					      0, 0, 1, 'k', 1, 'v' };
	static const uint8_t pre_ga_fn[] = { RDB_OP_FUNCTION_PRE_GA, 0 };
	static const uint8_t mod_bad[] = { RDB_TYPE_MODULE_2, 1, 'k', 1, 9 };
	uint8_t f[64];
	struct got g = { 0 };
	struct rdb_load_info info;
	struct rdb_load_opts o = { .max_string = 4 };
	struct rdb_mem_in in;
	size_t n;

	(void)state;
	expect_error(huge, sizeof(huge), -EFBIG, "over the limit");
	expect_error(big_trunc, sizeof(big_trunc), -EINVAL, "truncated");
	expect_error(lzf_ratio, sizeof(lzf_ratio), -EINVAL, "bad LZF lengths");
	expect_error(lzf_short, sizeof(lzf_short), -EINVAL, "corrupt LZF");
	expect_error(lzf_bad, sizeof(lzf_bad), -EINVAL, "corrupt LZF");
	expect_error(bad_prefix, sizeof(bad_prefix), -EINVAL, "bad length prefix");
	expect_error(bad_enc, sizeof(bad_enc), -EINVAL, "unknown string encoding");
	expect_error(bad_type, sizeof(bad_type), -EINVAL, "value type 8");
	expect_error(pre_ga_type, sizeof(pre_ga_type), -ENOTSUP, "value type 6");
	expect_error(bad_meta, sizeof(bad_meta), -EINVAL, "malformed slip-mc");
	expect_error(meta_ovf, sizeof(meta_ovf), -EINVAL, "malformed slip-mc");
	expect_error(empty_meta, sizeof(empty_meta), -EINVAL, "malformed slip-mc");
	expect_error(pre_ga_fn, sizeof(pre_ga_fn), -ENOTSUP, "function");
	expect_error(mod_bad, sizeof(mod_bad), -EINVAL, "module opcode");

	/* The limit applies to every encoding. */
	n = craft(f, 10, "\x00\x01k\x05hello", 9, 0);
	in = (struct rdb_mem_in){ f, n, 0 };
	assert_int_equal(rdb_load(rdb_in_mem, &in, &o, collect, &g, &info), -EFBIG);

	n = craft(f, 10, "", 0, 2);
	assert_int_equal(load_buf(f, n, 1, RDB_TYPES_FAIL, &g, &info), -EINVAL);
	assert_non_null(strstr(info.err, "wrong checksum"));
	n = craft(f, 11, "", 0, 0);
	assert_int_equal(load_buf(f, n, 1, RDB_TYPES_FAIL, &g, &info), -ENOTSUP);
	assert_non_null(strstr(info.err, "version 11"));
	n = craft(f, 0, "", 0, 0);
	assert_int_equal(load_buf(f, n, 1, RDB_TYPES_FAIL, &g, &info), -ENOTSUP);
	memcpy(f, "REDIT", 5);
	assert_int_equal(load_buf(f, n, 1, RDB_TYPES_FAIL, &g, &info), -EINVAL);
	memcpy(f, "REDIS00x1", 9);
	assert_int_equal(load_buf(f, n, 1, RDB_TYPES_FAIL, &g, &info), -EINVAL);
	assert_int_equal(g.n, 0);
}

static long failing_in(void *ctx, void *buf, size_t len)
{
	(void)ctx, (void)buf, (void)len;
	return -EIO;
}

static void test_errors_propagate(void **state)
{
	struct rdb_key ks[3] = { skey("a", "1", 1), skey("b", "2", 1), skey("c", "3", 1) };
	struct mem_out o, bad = { .fail_after = 30 };
	struct rdb_writer *w;
	struct got g = { .stop_at = 2 };
	struct rdb_load_info info;

	(void)state;
	write_keys(&o, ks, 3);
	assert_int_equal(load_buf(o.p, o.len, 64, RDB_TYPES_FAIL, &g, &info), -ECANCELED);
	assert_int_equal(g.n, 1);
	assert_non_null(strstr(info.err, "key 'b'"));
	got_free(&g);
	assert_int_equal(rdb_load(failing_in, NULL, NULL, collect, &g, &info), -EIO);
	free(o.p);

	/* The output's error is sticky: nothing more is written after it. */
	assert_int_equal(rdb_writer_begin(&w, mem_out, &bad, &fixed_aux), 0);
	for (int i = 0; i < 5000; i++)
		if (rdb_writer_key(w, &ks[0]) < 0)
			break;
	assert_int_equal(rdb_writer_end(w), -ENOSPC);
	assert_int_equal(rdb_writer_key(w, &ks[0]), -ENOSPC);
	assert_true(rdb_writer_bytes(w) <= 30);
	rdb_writer_destroy(w);
	free(bad.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc64),
		cmocka_unit_test(test_lzf),
		cmocka_unit_test(test_int_encodings),
		cmocka_unit_test(test_length_and_lzf_encodings),
		cmocka_unit_test(test_roundtrip_all_encodings),
		cmocka_unit_test(test_old_versions_and_opcodes),
		cmocka_unit_test(test_other_types),
		cmocka_unit_test(test_truncation_and_flips),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_errors_propagate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
