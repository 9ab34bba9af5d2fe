/* SPDX-License-Identifier: BSD-3-Clause */
#include "lg_value.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lg_rand.h"

static const char hexd[] = "0123456789abcdef";
/* 64 printable characters: one per 6 bits, and no spaces or CR/LF, so that a
 * value is easy to read in a packet dump. */
static const char fill_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int lg_values_init(struct lg_values *v, uint32_t nonce, size_t size_min, size_t size_max,
		   uint64_t nkeys, int verify)
{
	memset(v, 0, sizeof(*v));
	if (size_min == 0 || size_max < size_min || nkeys == 0)
		return -EINVAL;
	if (verify && size_min < LG_VALUE_HDR)
		return -EINVAL;
	v->nonce = nonce;
	v->size_min = size_min;
	v->size_max = size_max;
	v->nkeys = nkeys;
	if (verify) {
		v->issued = calloc(nkeys, sizeof(*v->issued));
		v->acked = calloc(nkeys, sizeof(*v->acked));
		if (v->issued == NULL || v->acked == NULL) {
			lg_values_fini(v);
			return -ENOMEM;
		}
	}
	return 0;
}

void lg_values_fini(struct lg_values *v)
{
	free(v->issued);
	free(v->acked);
	v->issued = v->acked = NULL;
}

uint64_t lg_values_own(uint64_t key, uint64_t conn, uint64_t nconns, uint64_t nkeys)
{
	uint64_t k;

	if (conn >= nkeys)
		return UINT64_MAX;
	k = key - key % nconns + conn;
	/* Past the end only if key's group is the last, partial one: then
	 * key >= nconns, and the group before has the key. */
	return k < nkeys ? k : k - nconns;
}

static uint64_t seed_of(const struct lg_values *v, uint64_t key, uint32_t version)
{
	uint64_t x = ((uint64_t)v->nonce << 32 | version) ^ (key * 0x9e3779b97f4a7c15ull);

	return lg_splitmix64(&x);
}

size_t lg_value_size(const struct lg_values *v, uint64_t key, uint32_t version)
{
	uint64_t x;

	if (v->size_min == v->size_max)
		return v->size_min;
	x = seed_of(v, key, version) ^ 0x5bd1e995ull;
	return v->size_min + lg_splitmix64(&x) % (v->size_max - v->size_min + 1);
}

static void put_hex32(char *o, uint32_t x)
{
	for (int i = 7; i >= 0; i--, x >>= 4)
		o[i] = hexd[x & 15];
}

static int get_hex32(const char *p, uint32_t *x)
{
	uint32_t r = 0;

	for (int i = 0; i < 8; i++) {
		char c = p[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return -1;
		r = r << 4 | d;
	}
	*x = r;
	return 0;
}

/* The filler from byte `from` to n: 8 PRNG bytes at a time, 6 bits each. */
static void filler(const struct lg_values *v, uint64_t key, uint32_t version, char *out,
		   size_t from, size_t n)
{
	uint64_t s = seed_of(v, key, version), r = 0;

	for (size_t i = from, k = 0; i < n; i++, k++) {
		if (k % 8 == 0)
			r = lg_splitmix64(&s);
		out[i] = fill_chars[r & 63];
		r >>= 8;
	}
}

void lg_value_fill(const struct lg_values *v, uint64_t key, uint32_t version, char *out)
{
	size_t n = lg_value_size(v, key, version);
	size_t from = 0;

	if (n >= LG_VALUE_HDR) {
		put_hex32(out, v->nonce);
		put_hex32(out + 8, version);
		from = LG_VALUE_HDR;
	}
	filler(v, key, version, out, from, n);
}

uint32_t lg_values_issue(struct lg_values *v, uint64_t key)
{
	if (v->issued == NULL)
		return 1;
	return __atomic_add_fetch(&v->issued[key], 1, __ATOMIC_RELAXED);
}

uint32_t lg_values_floor(const struct lg_values *v, uint64_t key)
{
	if (v->acked == NULL)
		return 0;
	return __atomic_load_n(&v->acked[key], __ATOMIC_ACQUIRE);
}

void lg_values_ack(struct lg_values *v, uint64_t key, uint32_t version)
{
	uint32_t cur;

	if (v->acked == NULL)
		return;
	cur = __atomic_load_n(&v->acked[key], __ATOMIC_RELAXED);
	/* max(): acknowledgements of one key can come back on several connections. */
	while (cur < version &&
	       !__atomic_compare_exchange_n(&v->acked[key], &cur, version, 1,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
}

enum lg_check lg_values_check(const struct lg_values *v, uint64_t key, uint32_t floor,
			      const char *val, size_t vlen)
{
	uint32_t nonce, version, issued;
	char buf[256];

	if (val == NULL)
		return floor > 0 ? LG_V_ERR_LOST : LG_V_OK;
	if (vlen < LG_VALUE_HDR || get_hex32(val, &nonce) < 0 || get_hex32(val + 8, &version) < 0)
		return floor > 0 ? LG_V_ERR_FORMAT : LG_V_FOREIGN;
	if (nonce != v->nonce)
		return floor > 0 ? LG_V_ERR_STALE : LG_V_FOREIGN;
	issued = v->issued ? __atomic_load_n(&v->issued[key], __ATOMIC_RELAXED) : 0;
	if (version == 0 || version > issued)
		return LG_V_ERR_VERSION;
	if (version < floor)
		return LG_V_ERR_STALE;
	if (vlen != lg_value_size(v, key, version))
		return LG_V_ERR_LENGTH;
	/* The expected filler, on the stack for the usual small values. */
	{
		char *want = vlen <= sizeof(buf) ? buf : malloc(vlen);
		int bad;

		if (want == NULL)
			return LG_V_ERR_CONTENT;
		filler(v, key, version, want, LG_VALUE_HDR, vlen);
		bad = memcmp(want + LG_VALUE_HDR, val + LG_VALUE_HDR, vlen - LG_VALUE_HDR) != 0;
		if (want != buf)
			free(want);
		if (bad)
			return LG_V_ERR_CONTENT;
	}
	return LG_V_OK;
}

const char *lg_check_str(enum lg_check c)
{
	switch (c) {
	case LG_V_OK: return "ok";
	case LG_V_FOREIGN: return "value of another run";
	case LG_V_ERR_FORMAT: return "value without nonce/version header";
	case LG_V_ERR_VERSION: return "version never issued for the key";
	case LG_V_ERR_STALE: return "older than the last acknowledged SET";
	case LG_V_ERR_LENGTH: return "wrong length for the key and version";
	case LG_V_ERR_CONTENT: return "bytes differ from the key and version";
	case LG_V_ERR_LOST: return "miss after an acknowledged SET";
	}
	return "?";
}
