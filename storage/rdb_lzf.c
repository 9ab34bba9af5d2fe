/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * LZF, the compression format of Redis's RDB strings. Written from the
 * format, not from liblzf. A compressed stream is a sequence of:
 *
 *   000LLLLL <L+1 literal bytes>                 literal run, 1..32 bytes
 *   LLLOOOOO OOOOOOOO                            back-reference, L in 1..6
 *   111OOOOO LLLLLLLL OOOOOOOO                   back-reference, L = 7 + byte
 *
 * A back-reference copies L+2 bytes (3..264) starting O+1 bytes (1..8192)
 * before the current output position; the copy may overlap its own output.
 * The 13 offset bits are the ctrl byte's low 5 and the last byte.
 */
#include <stdint.h>
#include <string.h>

#include "storage/rdb.h"

#define LIT_MAX  32
#define OFF_MAX  8192
#define REF_MAX  264
#define HLOG_MAX 13

static inline uint32_t hash3(const uint8_t *p, unsigned hlog)
{
	uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];

	return (v * 2654435761u) >> (32 - hlog);
}

/* Emits in[from..to) as literal runs. Returns the new op, or 0 if out of room. */
static size_t put_literals(const uint8_t *in, size_t from, size_t to, uint8_t *out,
			   size_t op, size_t cap)
{
	while (from < to) {
		size_t n = to - from < LIT_MAX ? to - from : LIT_MAX;

		if (cap - op < n + 1)
			return 0;
		out[op++] = (uint8_t)(n - 1);
		memcpy(out + op, in + from, n);
		op += n;
		from += n;
	}
	return op;
}

size_t rdb_lzf_compress(const void *src, size_t len, void *dst, size_t cap)
{
	/* Positions + 1 (0 = empty), sized to the input so that short strings
	 * do not pay for clearing a large table. */
	uint32_t tab[1u << HLOG_MAX];
	const uint8_t *in = src;
	uint8_t *out = dst;
	unsigned hlog = 4;
	size_t ip = 0, lit = 0, op = 0;

	if (len == 0 || len > UINT32_MAX - 1)
		return 0;
	while (hlog < HLOG_MAX && ((size_t)1 << hlog) < len)
		hlog++;
	memset(tab, 0, sizeof(tab[0]) << hlog);
	while (ip + 3 <= len) {
		uint32_t h = hash3(in + ip, hlog);
		size_t cand = tab[h];

		tab[h] = (uint32_t)(ip + 1);
		if (cand != 0 && ip - (cand - 1) <= OFF_MAX &&
		    memcmp(in + cand - 1, in + ip, 3) == 0) {
			size_t ref = cand - 1, n = 3, max = len - ip < REF_MAX ? len - ip : REF_MAX;
			size_t off = ip - ref - 1, l;

			while (n < max && in[ref + n] == in[ip + n])
				n++;
			if (lit < ip && (op = put_literals(in, lit, ip, out, op, cap)) == 0)
				return 0;
			l = n - 2;
			if (l < 7) {
				if (cap - op < 2)
					return 0;
				out[op++] = (uint8_t)(l << 5 | off >> 8);
			} else {
				if (cap - op < 3)
					return 0;
				out[op++] = (uint8_t)(7 << 5 | off >> 8);
				out[op++] = (uint8_t)(l - 7);
			}
			out[op++] = (uint8_t)off;
			/* Index the matched bytes too: later repeats find nearer copies. */
			for (size_t i = ip + 1; i < ip + n && i + 3 <= len; i++)
				tab[hash3(in + i, hlog)] = (uint32_t)(i + 1);
			ip += n;
			lit = ip;
		} else {
			ip++;
		}
	}
	if (lit < len && (op = put_literals(in, lit, len, out, op, cap)) == 0)
		return 0;
	return op;
}

size_t rdb_lzf_decompress(const void *src, size_t len, void *dst, size_t cap)
{
	const uint8_t *in = src;
	uint8_t *out = dst;
	size_t ip = 0, op = 0;

	while (ip < len) {
		unsigned ctrl = in[ip++];

		if (ctrl < LIT_MAX) {
			size_t n = ctrl + 1;

			if (len - ip < n || cap - op < n)
				return 0;
			memcpy(out + op, in + ip, n);
			ip += n;
			op += n;
		} else {
			size_t n = ctrl >> 5, off;

			if (n == 7) {
				if (ip >= len)
					return 0;
				n += in[ip++];
			}
			n += 2;
			if (ip >= len)
				return 0;
			off = ((size_t)(ctrl & 0x1f) << 8 | in[ip++]) + 1;
			if (off > op || cap - op < n)
				return 0;
			/* Byte by byte: the source may overlap what this copy writes. */
			for (size_t i = 0; i < n; i++, op++)
				out[op] = out[op - off];
		}
	}
	return op;
}
