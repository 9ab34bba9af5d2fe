/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The loader's input cursor: a 64 KiB buffer over rdb_in_fn, CRC64 over
 * bytes as they are consumed, and Redis's length and string encodings.
 * Strings grow their buffer only as their bytes arrive, so a hostile
 * length prefix costs at most one bounded chunk, and LZF output is bounded
 * by what the format can expand to (88x: a 3-byte reference yields at most
 * 264 bytes).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/rdb_fmt.h"
#include "storage/rdb_reader.h"

#define GROW_MIN    (64 * 1024)
#define LZF_MAX_RATIO 88

int rdr_fail(struct rdr *r, int rc, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->info->err[0] != '\0')
		return rc;   /* keep the first, innermost reason */
	n = snprintf(r->info->err, sizeof(r->info->err), "offset %" PRIu64 ": ", r->off);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(r->info->err))
		vsnprintf(r->info->err + n, sizeof(r->info->err) - (size_t)n, fmt, ap);
	va_end(ap);
	return rc;
}

static int refill(struct rdr *r)
{
	long n = r->in(r->ctx, r->buf, sizeof(r->buf));

	if (n < 0)
		return rdr_fail(r, (int)n, "read error: %s", strerror((int)-n));
	if (n == 0)
		return rdr_fail(r, -EINVAL, "file truncated");
	r->pos = 0;
	r->have = (size_t)n;
	return 0;
}

/* Consumes n bytes into dst (or discards them when dst is NULL). */
int rdr_read(struct rdr *r, void *dst, uint64_t n)
{
	uint8_t *d = dst;
	int rc;

	while (n > 0) {
		size_t m;

		if (r->pos == r->have && (rc = refill(r)) < 0)
			return rc;
		m = r->have - r->pos;
		if (m > n)
			m = (size_t)n;
		r->crc = rdb_crc64(r->crc, r->buf + r->pos, m);
		if (d != NULL) {
			memcpy(d, r->buf + r->pos, m);
			d += m;
		}
		r->pos += m;
		r->off += m;
		n -= m;
	}
	return 0;
}

int rdr_u8(struct rdr *r, uint8_t *b)
{
	return rdr_read(r, b, 1);
}

uint64_t rdr_le(const uint8_t *b, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

/* Redis's length prefix; *enc is set for 11xxxxxx (special encodings). */
int rdr_len_enc(struct rdr *r, uint64_t *len, int *enc)
{
	uint8_t b, x[8];
	int rc;

	*enc = 0;
	*len = 0;
	if ((rc = rdr_u8(r, &b)) < 0)
		return rc;
	switch (b >> 6) {
	case RDB_LEN_6BIT:
		*len = b & 0x3f;
		return 0;
	case RDB_LEN_14BIT:
		if ((rc = rdr_u8(r, x)) < 0)
			return rc;
		*len = (uint64_t)(b & 0x3f) << 8 | x[0];
		return 0;
	case RDB_LEN_ENCVAL:
		*enc = 1;
		*len = b & 0x3f;
		return 0;
	}
	if (b != RDB_LEN_32BIT && b != RDB_LEN_64BIT)
		return rdr_fail(r, -EINVAL, "bad length prefix 0x%02x", b);
	if ((rc = rdr_read(r, x, b == RDB_LEN_32BIT ? 4 : 8)) < 0)
		return rc;
	for (int i = 0; i < (b == RDB_LEN_32BIT ? 4 : 8); i++)
		*len = *len << 8 | x[i];
	return 0;
}

int rdr_len(struct rdr *r, uint64_t *len)
{
	int enc, rc = rdr_len_enc(r, len, &enc);

	if (rc == 0 && enc)
		return rdr_fail(r, -EINVAL, "encoded value where a length belongs");
	return rc;
}

static int sbuf_reserve(struct rdr *r, struct rdr_buf *s, size_t cap)
{
	uint8_t *p;

	if (cap <= s->cap)
		return 0;
	if ((p = realloc(s->p, cap + 1)) == NULL)
		return rdr_fail(r, -ENOMEM, "out of memory for a %zu-byte string", cap);
	s->p = p;
	s->cap = cap;
	return 0;
}

/* Reads n raw bytes into s, growing s only as bytes arrive. */
static int sbuf_read(struct rdr *r, struct rdr_buf *s, uint64_t n)
{
	int rc;

	/* Never hand out a NULL buffer, even for an empty string: callers do
	 * pointer arithmetic and memcpy on it (a fuzzer-found UB). */
	if (s->p == NULL && (rc = sbuf_reserve(r, s, 16)) < 0)
		return rc;
	s->len = 0;
	while (s->len < n) {
		if (s->len == s->cap) {
			uint64_t want = s->cap * 2 > GROW_MIN ? s->cap * 2 : GROW_MIN;

			if ((rc = sbuf_reserve(r, s, (size_t)(want < n ? want : n))) < 0)
				return rc;
		}
		size_t m = s->cap - s->len < n - s->len ? s->cap - s->len : (size_t)(n - s->len);

		if ((rc = rdr_read(r, s->p + s->len, m)) < 0)
			return rc;
		s->len += m;
	}
	s->p[s->len] = '\0';
	return 0;
}

static int rd_int_enc(struct rdr *r, uint64_t kind, int64_t *v)
{
	static const int size[] = { 1, 2, 4 };
	uint8_t b[4];
	int rc;

	if ((rc = rdr_read(r, b, (uint64_t)size[kind])) < 0)
		return rc;
	if (kind == RDB_ENC_INT8)
		*v = (int8_t)b[0];
	else if (kind == RDB_ENC_INT16)
		*v = (int16_t)rdr_le(b, 2);
	else
		*v = (int32_t)rdr_le(b, 4);
	return 0;
}

static int rd_lzf_lens(struct rdr *r, uint64_t *clen, uint64_t *ulen)
{
	int rc;

	if ((rc = rdr_len(r, clen)) < 0 || (rc = rdr_len(r, ulen)) < 0)
		return rc;
	if (*ulen == 0 || *clen == 0 || *ulen / LZF_MAX_RATIO > *clen)
		return rdr_fail(r, -EINVAL, "bad LZF lengths %" PRIu64 "/%" PRIu64, *clen, *ulen);
	return 0;
}

/* A string in any encoding, into s (NUL-terminated for convenience). */
int rdr_string(struct rdr *r, struct rdr_buf *s)
{
	uint64_t len = 0, clen = 0;
	int enc = 0, rc;

	if ((rc = rdr_len_enc(r, &len, &enc)) < 0)
		return rc;
	if (!enc) {
		if (len > r->max_string)
			return rdr_fail(r, -EFBIG, "string of %" PRIu64 " bytes over the limit", len);
		return sbuf_read(r, s, len);
	}
	if (len <= RDB_ENC_INT32) {
		int64_t v;

		if ((rc = rd_int_enc(r, len, &v)) < 0 || (rc = sbuf_reserve(r, s, 24)) < 0)
			return rc;
		s->len = (size_t)snprintf((char *)s->p, 24, "%" PRId64, v);
		return 0;
	}
	if (len != RDB_ENC_LZF)
		return rdr_fail(r, -EINVAL, "unknown string encoding %" PRIu64, len);
	if ((rc = rd_lzf_lens(r, &clen, &len)) < 0)
		return rc;
	if (len > r->max_string || clen > r->max_string)
		return rdr_fail(r, -EFBIG, "string of %" PRIu64 " bytes over the limit", len);
	if ((rc = sbuf_read(r, &r->tmp, clen)) < 0 || (rc = sbuf_reserve(r, s, (size_t)len)) < 0)
		return rc;
	if (rdb_lzf_decompress(r->tmp.p, r->tmp.len, s->p, (size_t)len) != len)
		return rdr_fail(r, -EINVAL, "corrupt LZF string");
	s->len = (size_t)len;
	s->p[len] = '\0';
	return 0;
}

int rdr_skip_string(struct rdr *r)
{
	static const uint64_t int_size[] = { 1, 2, 4 };
	uint64_t len = 0, ulen = 0;
	int enc = 0, rc;

	if ((rc = rdr_len_enc(r, &len, &enc)) < 0)
		return rc;
	if (!enc)
		return rdr_read(r, NULL, len);
	if (len <= RDB_ENC_INT32)
		return rdr_read(r, NULL, int_size[len]);
	if (len != RDB_ENC_LZF)
		return rdr_fail(r, -EINVAL, "unknown string encoding %" PRIu64, len);
	if ((rc = rd_lzf_lens(r, &len, &ulen)) < 0)
		return rc;
	return rdr_read(r, NULL, len);
}

int rdr_skip_lens(struct rdr *r, int n)
{
	uint64_t v;
	int rc;

	while (n-- > 0)
		if ((rc = rdr_len(r, &v)) < 0)
			return rc;
	return 0;
}

