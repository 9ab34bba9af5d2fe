/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RDB loader (see rdb.h). One pass over a byte stream pulled through a
 * 64 KiB buffer; CRC64 over bytes as they are consumed. Strings grow their
 * buffer only as their bytes arrive, so a hostile length prefix costs at
 * most one bounded chunk, and LZF output is bounded by what the format can
 * expand to (88x: a 3-byte reference yields at most 264 bytes).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/rdb.h"
#include "storage/rdb_fmt.h"

#define RBUF_SIZE   (64 * 1024)
#define GROW_MIN    (64 * 1024)
#define LZF_MAX_RATIO 88

struct sbuf {
	uint8_t *p;
	size_t len;
	size_t cap;   /* bytes usable; one more is allocated for a NUL */
};

struct reader {
	rdb_in_fn *in;
	void *ctx;
	struct rdb_load_info *info;
	uint64_t max_string;
	uint64_t crc;
	uint64_t off;       /* bytes consumed */
	size_t pos;
	size_t have;
	int eof;
	struct sbuf key, val, tmp;
	uint8_t buf[RBUF_SIZE];
};

static int fail(struct reader *r, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct reader *r, int rc, const char *fmt, ...)
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

static int refill(struct reader *r)
{
	long n = r->in(r->ctx, r->buf, sizeof(r->buf));

	if (n < 0)
		return fail(r, (int)n, "read error: %s", strerror((int)-n));
	if (n == 0)
		return fail(r, -EINVAL, "file truncated");
	r->pos = 0;
	r->have = (size_t)n;
	return 0;
}

/* Consumes n bytes into dst (or discards them when dst is NULL). */
static int rd(struct reader *r, void *dst, uint64_t n)
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

static int rd_u8(struct reader *r, uint8_t *b)
{
	return rd(r, b, 1);
}

static uint64_t le(const uint8_t *b, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

/* Redis's length prefix; *enc is set for 11xxxxxx (special encodings). */
static int rd_len_enc(struct reader *r, uint64_t *len, int *enc)
{
	uint8_t b, x[8];
	int rc;

	*enc = 0;
	*len = 0;
	if ((rc = rd_u8(r, &b)) < 0)
		return rc;
	switch (b >> 6) {
	case RDB_LEN_6BIT:
		*len = b & 0x3f;
		return 0;
	case RDB_LEN_14BIT:
		if ((rc = rd_u8(r, x)) < 0)
			return rc;
		*len = (uint64_t)(b & 0x3f) << 8 | x[0];
		return 0;
	case RDB_LEN_ENCVAL:
		*enc = 1;
		*len = b & 0x3f;
		return 0;
	}
	if (b != RDB_LEN_32BIT && b != RDB_LEN_64BIT)
		return fail(r, -EINVAL, "bad length prefix 0x%02x", b);
	if ((rc = rd(r, x, b == RDB_LEN_32BIT ? 4 : 8)) < 0)
		return rc;
	for (int i = 0; i < (b == RDB_LEN_32BIT ? 4 : 8); i++)
		*len = *len << 8 | x[i];
	return 0;
}

static int rd_len(struct reader *r, uint64_t *len)
{
	int enc, rc = rd_len_enc(r, len, &enc);

	if (rc == 0 && enc)
		return fail(r, -EINVAL, "encoded value where a length belongs");
	return rc;
}

static int sbuf_reserve(struct reader *r, struct sbuf *s, size_t cap)
{
	uint8_t *p;

	if (cap <= s->cap)
		return 0;
	if ((p = realloc(s->p, cap + 1)) == NULL)
		return fail(r, -ENOMEM, "out of memory for a %zu-byte string", cap);
	s->p = p;
	s->cap = cap;
	return 0;
}

/* Reads n raw bytes into s, growing s only as bytes arrive. */
static int sbuf_read(struct reader *r, struct sbuf *s, uint64_t n)
{
	int rc;

	s->len = 0;
	while (s->len < n) {
		if (s->len == s->cap) {
			uint64_t want = s->cap * 2 > GROW_MIN ? s->cap * 2 : GROW_MIN;

			if ((rc = sbuf_reserve(r, s, (size_t)(want < n ? want : n))) < 0)
				return rc;
		}
		size_t m = s->cap - s->len < n - s->len ? s->cap - s->len : (size_t)(n - s->len);

		if ((rc = rd(r, s->p + s->len, m)) < 0)
			return rc;
		s->len += m;
	}
	if (s->p != NULL)
		s->p[s->len] = '\0';
	return 0;
}

static int rd_int_enc(struct reader *r, uint64_t kind, int64_t *v)
{
	static const int size[] = { 1, 2, 4 };
	uint8_t b[4];
	int rc;

	if ((rc = rd(r, b, (uint64_t)size[kind])) < 0)
		return rc;
	if (kind == RDB_ENC_INT8)
		*v = (int8_t)b[0];
	else if (kind == RDB_ENC_INT16)
		*v = (int16_t)le(b, 2);
	else
		*v = (int32_t)le(b, 4);
	return 0;
}

static int rd_lzf_lens(struct reader *r, uint64_t *clen, uint64_t *ulen)
{
	int rc;

	if ((rc = rd_len(r, clen)) < 0 || (rc = rd_len(r, ulen)) < 0)
		return rc;
	if (*ulen == 0 || *clen == 0 || *ulen / LZF_MAX_RATIO > *clen)
		return fail(r, -EINVAL, "bad LZF lengths %" PRIu64 "/%" PRIu64, *clen, *ulen);
	return 0;
}

/* A string in any encoding, into s (NUL-terminated for convenience). */
static int rd_string(struct reader *r, struct sbuf *s)
{
	uint64_t len = 0, clen = 0;
	int enc = 0, rc;

	if ((rc = rd_len_enc(r, &len, &enc)) < 0)
		return rc;
	if (!enc) {
		if (len > r->max_string)
			return fail(r, -EFBIG, "string of %" PRIu64 " bytes over the limit", len);
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
		return fail(r, -EINVAL, "unknown string encoding %" PRIu64, len);
	if ((rc = rd_lzf_lens(r, &clen, &len)) < 0)
		return rc;
	if (len > r->max_string || clen > r->max_string)
		return fail(r, -EFBIG, "string of %" PRIu64 " bytes over the limit", len);
	if ((rc = sbuf_read(r, &r->tmp, clen)) < 0 || (rc = sbuf_reserve(r, s, (size_t)len)) < 0)
		return rc;
	if (rdb_lzf_decompress(r->tmp.p, r->tmp.len, s->p, (size_t)len) != len)
		return fail(r, -EINVAL, "corrupt LZF string");
	s->len = (size_t)len;
	s->p[len] = '\0';
	return 0;
}

static int skip_string(struct reader *r)
{
	static const uint64_t int_size[] = { 1, 2, 4 };
	uint64_t len = 0, ulen = 0;
	int enc = 0, rc;

	if ((rc = rd_len_enc(r, &len, &enc)) < 0)
		return rc;
	if (!enc)
		return rd(r, NULL, len);
	if (len <= RDB_ENC_INT32)
		return rd(r, NULL, int_size[len]);
	if (len != RDB_ENC_LZF)
		return fail(r, -EINVAL, "unknown string encoding %" PRIu64, len);
	if ((rc = rd_lzf_lens(r, &len, &ulen)) < 0)
		return rc;
	return rd(r, NULL, len);
}

static int skip_strings(struct reader *r, unsigned per_item)
{
	uint64_t n;
	int rc;

	if ((rc = rd_len(r, &n)) < 0)
		return rc;
	/* Each item consumes at least a byte, so the file bounds the loop. */
	for (uint64_t i = 0; i < n; i++)
		for (unsigned j = 0; j < per_item; j++)
			if ((rc = skip_string(r)) < 0)
				return rc;
	return 0;
}

static int skip_lens(struct reader *r, int n)
{
	uint64_t v;
	int rc;

	while (n-- > 0)
		if ((rc = rd_len(r, &v)) < 0)
			return rc;
	return 0;
}

/* The self-describing opcodes of MODULE_2 values and MODULE_AUX payloads. */
static int skip_module_value(struct reader *r)
{
	for (;;) {
		uint64_t op = 0;
		int rc;

		if ((rc = rd_len(r, &op)) < 0)
			return rc;
		switch (op) {
		case RDB_MODULE_OP_EOF:
			return 0;
		case RDB_MODULE_OP_SINT:
		case RDB_MODULE_OP_UINT:
			rc = skip_lens(r, 1);
			break;
		case RDB_MODULE_OP_FLOAT:
			rc = rd(r, NULL, 4);
			break;
		case RDB_MODULE_OP_DOUBLE:
			rc = rd(r, NULL, 8);
			break;
		case RDB_MODULE_OP_STRING:
			rc = skip_string(r);
			break;
		default:
			return fail(r, -EINVAL, "unknown module opcode %" PRIu64, op);
		}
		if (rc < 0)
			return rc;
	}
}

/* Old ZSET scores: a length byte, 253..255 for nan/+inf/-inf, else text. */
static int skip_old_double(struct reader *r)
{
	uint8_t n;
	int rc;

	if ((rc = rd_u8(r, &n)) < 0)
		return rc;
	return n >= 253 ? 0 : rd(r, NULL, n);
}

/* STREAM_LISTPACKS(_2), as rdbLoadObject reads them in Redis 7.0. */
static int skip_stream(struct reader *r, int v2)
{
	uint64_t n, m;
	int rc;

	if ((rc = skip_strings(r, 2)) < 0 || (rc = skip_lens(r, 3 + (v2 ? 5 : 0))) < 0 ||
	    (rc = rd_len(r, &n)) < 0)
		return rc;
	for (uint64_t g = 0; g < n; g++) {
		if ((rc = skip_string(r)) < 0 || (rc = skip_lens(r, 2 + (v2 ? 1 : 0))) < 0 ||
		    (rc = rd_len(r, &m)) < 0)
			return rc;
		for (uint64_t i = 0; i < m; i++)   /* group PEL: id, delivery time, count */
			if ((rc = rd(r, NULL, 16 + 8)) < 0 || (rc = skip_lens(r, 1)) < 0)
				return rc;
		if ((rc = rd_len(r, &m)) < 0)
			return rc;
		for (uint64_t c = 0; c < m; c++) {   /* consumers: name, seen time, PEL ids */
			uint64_t p;

			if ((rc = skip_string(r)) < 0 || (rc = rd(r, NULL, 8)) < 0 ||
			    (rc = rd_len(r, &p)) < 0)
				return rc;
			for (uint64_t i = 0; i < p; i++)
				if ((rc = rd(r, NULL, 16)) < 0)
					return rc;
		}
	}
	return 0;
}

static int skip_value(struct reader *r, uint8_t type)
{
	uint64_t n;
	int rc;

	switch (type) {
	case RDB_TYPE_LIST:
	case RDB_TYPE_SET:
	case RDB_TYPE_LIST_QUICKLIST:
		return skip_strings(r, 1);
	case RDB_TYPE_HASH:
		return skip_strings(r, 2);
	case RDB_TYPE_ZSET:
	case RDB_TYPE_ZSET_2:
		if ((rc = rd_len(r, &n)) < 0)
			return rc;
		for (uint64_t i = 0; i < n; i++)
			if ((rc = skip_string(r)) < 0 ||
			    (rc = type == RDB_TYPE_ZSET ? skip_old_double(r) : rd(r, NULL, 8)) < 0)
				return rc;
		return 0;
	case RDB_TYPE_HASH_ZIPMAP:
	case RDB_TYPE_LIST_ZIPLIST:
	case RDB_TYPE_SET_INTSET:
	case RDB_TYPE_ZSET_ZIPLIST:
	case RDB_TYPE_HASH_ZIPLIST:
	case RDB_TYPE_HASH_LISTPACK:
	case RDB_TYPE_ZSET_LISTPACK:
		return skip_string(r);
	case RDB_TYPE_LIST_QUICKLIST_2:
		if ((rc = rd_len(r, &n)) < 0)
			return rc;
		for (uint64_t i = 0; i < n; i++)   /* container kind, then the node */
			if ((rc = skip_lens(r, 1)) < 0 || (rc = skip_string(r)) < 0)
				return rc;
		return 0;
	case RDB_TYPE_MODULE_2:
		if ((rc = skip_lens(r, 1)) < 0)   /* module id */
			return rc;
		return skip_module_value(r);
	case RDB_TYPE_STREAM_LISTPACKS:
	case RDB_TYPE_STREAM_LISTPACKS_2:
		return skip_stream(r, type == RDB_TYPE_STREAM_LISTPACKS_2);
	}
	return fail(r, -ENOTSUP, "value type %u cannot be skipped", type);
}

static const char *type_name(uint8_t t)
{
	static const char *const names[] = {
		[RDB_TYPE_STRING] = "string", [RDB_TYPE_LIST] = "list (linked list)",
		[RDB_TYPE_SET] = "set", [RDB_TYPE_ZSET] = "zset",
		[RDB_TYPE_HASH] = "hash", [RDB_TYPE_ZSET_2] = "zset",
		[RDB_TYPE_MODULE_PRE_GA] = "module (pre-GA)", [RDB_TYPE_MODULE_2] = "module",
		[RDB_TYPE_HASH_ZIPMAP] = "hash (zipmap)", [RDB_TYPE_LIST_ZIPLIST] = "list (ziplist)",
		[RDB_TYPE_SET_INTSET] = "set (intset)", [RDB_TYPE_ZSET_ZIPLIST] = "zset (ziplist)",
		[RDB_TYPE_HASH_ZIPLIST] = "hash (ziplist)",
		[RDB_TYPE_LIST_QUICKLIST] = "list (quicklist)",
		[RDB_TYPE_STREAM_LISTPACKS] = "stream",
		[RDB_TYPE_HASH_LISTPACK] = "hash (listpack)",
		[RDB_TYPE_ZSET_LISTPACK] = "zset (listpack)",
		[RDB_TYPE_LIST_QUICKLIST_2] = "list (quicklist)",
		[RDB_TYPE_STREAM_LISTPACKS_2] = "stream",
	};

	return t < sizeof(names) / sizeof(names[0]) && names[t] ? names[t] : NULL;
}

/* The key, printable and short, for error messages. */
static void key_text(const struct sbuf *k, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < k->len && o + 5 < cap; i++) {
		uint8_t c = k->p[i];

		if (i == 48) {
			o += (size_t)snprintf(out + o, cap - o, "...");
			break;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
	}
	out[o] = '\0';
}

/* "<flags> <cas>", decimal, one space: anything else is corruption. */
static int parse_meta(const struct sbuf *v, uint32_t *flags, uint64_t *cas)
{
	const char *p = (const char *)v->p, *end = p + v->len;
	uint64_t x[2] = { 0, 0 };

	for (int f = 0; f < 2; f++) {
		const char *start = p;

		for (; p < end && *p >= '0' && *p <= '9'; p++) {
			unsigned d = (unsigned)(*p - '0');

			if (x[f] > (UINT64_MAX - d) / 10)
				return -EINVAL;
			x[f] = x[f] * 10 + d;
		}
		if (p == start)
			return -EINVAL;
		if (f == 0 && (p == end || *p++ != ' '))
			return -EINVAL;
	}
	if (p != end || x[0] > UINT32_MAX)
		return -EINVAL;
	*flags = (uint32_t)x[0];
	*cas = x[1];
	return 0;
}

static int rd_header(struct reader *r)
{
	uint8_t h[9];
	int rc, v = 0;

	if ((rc = rd(r, h, sizeof(h))) < 0)
		return rc;
	if (memcmp(h, "REDIS", 5) != 0)
		return fail(r, -EINVAL, "not an RDB file (no REDIS signature)");
	for (int i = 5; i < 9; i++) {
		if (h[i] < '0' || h[i] > '9')
			return fail(r, -EINVAL, "bad RDB version field");
		v = v * 10 + (h[i] - '0');
	}
	r->info->version = v;
	if (v < 1 || v > RDB_VERSION)
		return fail(r, -ENOTSUP, "can't handle RDB format version %d", v);
	return 0;
}

struct pending {
	int64_t expire_ms;
	uint32_t flags;
	uint64_t cas;
	uint32_t db;
};

static int rd_key(struct reader *r, uint8_t type, const struct pending *pd,
		  const struct rdb_load_opts *o, rdb_key_fn *fn, void *ctx)
{
	struct rdb_key k;
	char name[200];
	int rc;

	if (type_name(type) == NULL || type == RDB_TYPE_MODULE_PRE_GA)
		return fail(r, type_name(type) ? -ENOTSUP : -EINVAL,
			    "unknown or unsupported value type %u", type);
	if ((rc = rd_string(r, &r->key)) < 0)
		return rc;
	if (type != RDB_TYPE_STRING) {
		if (o->other_types != RDB_TYPES_SKIP) {
			key_text(&r->key, name, sizeof(name));
			return fail(r, -ENOTSUP, "key '%s' is a %s, which is not supported",
				    name, type_name(type));
		}
		if ((rc = skip_value(r, type)) < 0)
			return rc;
		r->info->skipped++;
		return 0;
	}
	if ((rc = rd_string(r, &r->val)) < 0)
		return rc;
	k = (struct rdb_key){
		.key = r->key.p, .key_len = r->key.len, .val = r->val.p, .val_len = r->val.len,
		.expire_ms = pd->expire_ms, .flags = pd->flags, .cas = pd->cas, .db = pd->db,
	};
	if ((rc = fn(ctx, &k)) < 0) {
		key_text(&r->key, name, sizeof(name));
		return fail(r, rc, "load of key '%s' stopped by the caller", name);
	}
	r->info->keys++;
	if (pd->expire_ms != RDB_NO_EXPIRE)
		r->info->expires++;
	return 0;
}

static int rd_aux(struct reader *r, const struct rdb_load_opts *o, struct pending *pd)
{
	int rc;

	if ((rc = rd_string(r, &r->key)) < 0 || (rc = rd_string(r, &r->val)) < 0)
		return rc;
	if (r->key.len == strlen(RDB_AUX_SLIP_MC) &&
	    memcmp(r->key.p, RDB_AUX_SLIP_MC, r->key.len) == 0) {
		if (parse_meta(&r->val, &pd->flags, &pd->cas) < 0)
			return fail(r, -EINVAL, "malformed " RDB_AUX_SLIP_MC " field");
		return 0;
	}
	if (o->aux != NULL)
		o->aux(o->aux_ctx, r->key.p, r->key.len, r->val.p, r->val.len);
	return 0;
}

static int rd_body(struct reader *r, const struct rdb_load_opts *o, rdb_key_fn *fn, void *ctx)
{
	struct pending pd = { RDB_NO_EXPIRE, 0, 0, 0 };
	uint8_t t, b[8];
	uint64_t v;
	int rc;

	if ((rc = rd_header(r)) < 0)
		return rc;
	for (;;) {
		if ((rc = rd_u8(r, &t)) < 0)
			return rc;
		switch (t) {
		case RDB_OP_EXPIRETIME:   /* seconds, int32 LE (RDB < 3 era) */
			if ((rc = rd(r, b, 4)) < 0)
				return rc;
			pd.expire_ms = (int64_t)(int32_t)le(b, 4) * 1000;
			continue;
		case RDB_OP_EXPIRETIME_MS:
			if ((rc = rd(r, b, 8)) < 0)
				return rc;
			pd.expire_ms = (int64_t)le(b, 8);
			continue;
		case RDB_OP_FREQ:
			if ((rc = rd(r, NULL, 1)) < 0)
				return rc;
			continue;
		case RDB_OP_IDLE:
			if ((rc = skip_lens(r, 1)) < 0)
				return rc;
			continue;
		case RDB_OP_SELECTDB:
			if ((rc = rd_len(r, &v)) < 0)
				return rc;
			if (v > UINT32_MAX)
				return fail(r, -EINVAL, "bad database number %" PRIu64, v);
			pd.db = (uint32_t)v;
			continue;
		case RDB_OP_RESIZEDB:
			if ((rc = skip_lens(r, 2)) < 0)
				return rc;
			continue;
		case RDB_OP_AUX:
			if ((rc = rd_aux(r, o, &pd)) < 0)
				return rc;
			continue;
		case RDB_OP_MODULE_AUX:   /* module id, when-opcode (UINT), when, value */
			if ((rc = skip_lens(r, 1)) < 0 || (rc = rd_len(r, &v)) < 0)
				return rc;
			if (v != RDB_MODULE_OP_UINT)
				return fail(r, -EINVAL, "bad MODULE_AUX when-opcode");
			if ((rc = skip_lens(r, 1)) < 0 || (rc = skip_module_value(r)) < 0)
				return rc;
			r->info->module_aux++;
			continue;
		case RDB_OP_FUNCTION2:
			if ((rc = skip_string(r)) < 0)
				return rc;
			r->info->functions++;
			continue;
		case RDB_OP_FUNCTION_PRE_GA:
			return fail(r, -ENOTSUP, "pre-release function format not supported");
		case RDB_OP_EOF:
			return 0;
		}
		if ((rc = rd_key(r, t, &pd, o, fn, ctx)) < 0)
			return rc;
		pd.expire_ms = RDB_NO_EXPIRE;   /* these belong to one key */
		pd.flags = 0;
		pd.cas = 0;
	}
}

static int rd_trailer(struct reader *r)
{
	uint64_t want = r->crc, got;
	uint8_t b[8];
	int rc;

	if (r->info->version < 5)   /* no checksum before RDB 5 */
		return 0;
	if ((rc = rd(r, b, 8)) < 0)
		return rc;
	got = le(b, 8);
	if (got == 0)   /* saved with rdbchecksum no */
		return 0;
	if (got != want)
		return fail(r, -EINVAL, "wrong checksum: file says %016" PRIx64 ", data gives %016" PRIx64,
			    got, want);
	r->info->checksum = 1;
	return 0;
}

int rdb_load(rdb_in_fn *in, void *in_ctx, const struct rdb_load_opts *opts,
	     rdb_key_fn *key_fn, void *key_ctx, struct rdb_load_info *info)
{
	struct rdb_load_opts none = { 0 };
	struct rdb_load_info scratch;
	struct reader *r;
	int rc;

	if (info == NULL)
		info = &scratch;
	memset(info, 0, sizeof(*info));
	if (opts == NULL)
		opts = &none;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(info->err, sizeof(info->err), "out of memory");
		return -ENOMEM;
	}
	r->in = in;
	r->ctx = in_ctx;
	r->info = info;
	r->max_string = opts->max_string ? opts->max_string : RDB_MAX_STRING_DEFAULT;
	rc = rd_body(r, opts, key_fn, key_ctx);
	if (rc == 0)
		rc = rd_trailer(r);
	info->bytes = r->off;
	free(r->key.p);
	free(r->val.p);
	free(r->tmp.p);
	free(r);
	return rc;
}
