/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RDB loader's top level (see rdb.h): header, opcodes, string keys to
 * the caller, other types to rdb_skip.c or to an error, the CRC64 trailer.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/rdb.h"
#include "storage/rdb_fmt.h"
#include "storage/rdb_reader.h"

/* The key, printable and short, for error messages. */
static void key_text(const struct rdr_buf *k, char *out, size_t cap)
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
static int parse_meta(const struct rdr_buf *v, uint32_t *flags, uint64_t *cas)
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

static int rd_header(struct rdr *r)
{
	uint8_t h[9];
	int rc, v = 0;

	if ((rc = rdr_read(r, h, sizeof(h))) < 0)
		return rc;
	if (memcmp(h, "REDIS", 5) != 0)
		return rdr_fail(r, -EINVAL, "not an RDB file (no REDIS signature)");
	for (int i = 5; i < 9; i++) {
		if (h[i] < '0' || h[i] > '9')
			return rdr_fail(r, -EINVAL, "bad RDB version field");
		v = v * 10 + (h[i] - '0');
	}
	r->info->version = v;
	if (v < 1 || v > RDB_VERSION)
		return rdr_fail(r, -ENOTSUP, "can't handle RDB format version %d", v);
	return 0;
}

struct pending {
	int64_t expire_ms;
	uint32_t flags;
	uint64_t cas;
	uint32_t db;
};

static int rd_key(struct rdr *r, uint8_t type, const struct pending *pd,
		  const struct rdb_load_opts *o, rdb_key_fn *fn, void *ctx)
{
	struct rdb_key k;
	char name[200];
	int rc;

	if (rdr_type_name(type) == NULL || type == RDB_TYPE_MODULE_PRE_GA)
		return rdr_fail(r, rdr_type_name(type) ? -ENOTSUP : -EINVAL,
			    "unknown or unsupported value type %u", type);
	if ((rc = rdr_string(r, &r->key)) < 0)
		return rc;
	if (type != RDB_TYPE_STRING) {
		if (o->other_types != RDB_TYPES_SKIP) {
			key_text(&r->key, name, sizeof(name));
			return rdr_fail(r, -ENOTSUP, "key '%s' is a %s, which is not supported",
				    name, rdr_type_name(type));
		}
		if ((rc = rdr_skip_value(r, type)) < 0)
			return rc;
		r->info->skipped++;
		return 0;
	}
	if ((rc = rdr_string(r, &r->val)) < 0)
		return rc;
	k = (struct rdb_key){
		.key = r->key.p, .key_len = r->key.len, .val = r->val.p, .val_len = r->val.len,
		.expire_ms = pd->expire_ms, .flags = pd->flags, .cas = pd->cas, .db = pd->db,
	};
	if ((rc = fn(ctx, &k)) < 0) {
		key_text(&r->key, name, sizeof(name));
		return rdr_fail(r, rc, "load of key '%s' stopped by the caller", name);
	}
	r->info->keys++;
	if (pd->expire_ms != RDB_NO_EXPIRE)
		r->info->expires++;
	return 0;
}

static int rd_aux(struct rdr *r, const struct rdb_load_opts *o, struct pending *pd)
{
	int rc;

	if ((rc = rdr_string(r, &r->key)) < 0 || (rc = rdr_string(r, &r->val)) < 0)
		return rc;
	if (r->key.len == strlen(RDB_AUX_SLIP_MC) &&
	    memcmp(r->key.p, RDB_AUX_SLIP_MC, r->key.len) == 0) {
		if (parse_meta(&r->val, &pd->flags, &pd->cas) < 0)
			return rdr_fail(r, -EINVAL, "malformed " RDB_AUX_SLIP_MC " field");
		return 0;
	}
	if (o->aux != NULL)
		o->aux(o->aux_ctx, r->key.p, r->key.len, r->val.p, r->val.len);
	return 0;
}

static int rd_body(struct rdr *r, const struct rdb_load_opts *o, rdb_key_fn *fn, void *ctx)
{
	struct pending pd = { RDB_NO_EXPIRE, 0, 0, 0 };
	uint8_t t, b[8];
	uint64_t v;
	int rc;

	if ((rc = rd_header(r)) < 0)
		return rc;
	for (;;) {
		if ((rc = rdr_u8(r, &t)) < 0)
			return rc;
		switch (t) {
		case RDB_OP_EXPIRETIME:   /* seconds, int32 LE (RDB < 3 era) */
			if ((rc = rdr_read(r, b, 4)) < 0)
				return rc;
			pd.expire_ms = (int64_t)(int32_t)rdr_le(b, 4) * 1000;
			continue;
		case RDB_OP_EXPIRETIME_MS:
			if ((rc = rdr_read(r, b, 8)) < 0)
				return rc;
			pd.expire_ms = (int64_t)rdr_le(b, 8);
			continue;
		case RDB_OP_FREQ:
			if ((rc = rdr_read(r, NULL, 1)) < 0)
				return rc;
			continue;
		case RDB_OP_IDLE:
			if ((rc = rdr_skip_lens(r, 1)) < 0)
				return rc;
			continue;
		case RDB_OP_SELECTDB:
			if ((rc = rdr_len(r, &v)) < 0)
				return rc;
			if (v > UINT32_MAX)
				return rdr_fail(r, -EINVAL, "bad database number %" PRIu64, v);
			pd.db = (uint32_t)v;
			continue;
		case RDB_OP_RESIZEDB:
			if ((rc = rdr_skip_lens(r, 2)) < 0)
				return rc;
			continue;
		case RDB_OP_AUX:
			if ((rc = rd_aux(r, o, &pd)) < 0)
				return rc;
			continue;
		case RDB_OP_MODULE_AUX:   /* module id, when-opcode (UINT), when, value */
			if ((rc = rdr_skip_lens(r, 1)) < 0 || (rc = rdr_len(r, &v)) < 0)
				return rc;
			if (v != RDB_MODULE_OP_UINT)
				return rdr_fail(r, -EINVAL, "bad MODULE_AUX when-opcode");
			if ((rc = rdr_skip_lens(r, 1)) < 0 || (rc = rdr_skip_module_value(r)) < 0)
				return rc;
			r->info->module_aux++;
			continue;
		case RDB_OP_FUNCTION2:
			if ((rc = rdr_skip_string(r)) < 0)
				return rc;
			r->info->functions++;
			continue;
		case RDB_OP_FUNCTION_PRE_GA:
			return rdr_fail(r, -ENOTSUP, "pre-release function format not supported");
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

static int rd_trailer(struct rdr *r)
{
	uint64_t want = r->crc, got;
	uint8_t b[8];
	int rc;

	if (r->info->version < 5)   /* no checksum before RDB 5 */
		return 0;
	if ((rc = rdr_read(r, b, 8)) < 0)
		return rc;
	got = rdr_le(b, 8);
	if (got == 0)   /* saved with rdbchecksum no */
		return 0;
	if (got != want)
		return rdr_fail(r, -EINVAL, "wrong checksum: file says %016" PRIx64 ", data gives %016" PRIx64,
			    got, want);
	r->info->checksum = 1;
	return 0;
}

int rdb_load(rdb_in_fn *in, void *in_ctx, const struct rdb_load_opts *opts,
	     rdb_key_fn *key_fn, void *key_ctx, struct rdb_load_info *info)
{
	struct rdb_load_opts none = { 0 };
	struct rdb_load_info scratch;
	struct rdr *r;
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
