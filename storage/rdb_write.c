/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RDB writer: Redis 7.0's byte layout for string keys (see rdb.h).
 * Output goes through a 64 KiB buffer; the CRC64 runs over bytes as they
 * leave it, so every byte is hashed exactly once.
 */
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "platform/fmt.h"
#include "storage/rdb.h"
#include "storage/rdb_fmt.h"

#define WBUF_SIZE (64 * 1024)
#define REDIS_VER_DEFAULT "7.0.15"

struct rdb_writer {
	rdb_out_fn *out;
	void *ctx;
	uint64_t crc;
	uint64_t bytes;     /* handed to out */
	int err;            /* sticky: after a failed write nothing more is written */
	size_t used;
	bool no_lzf;        /* rdbcompression no */
	uint8_t *lzf;       /* scratch for compressed strings */
	size_t lzf_cap;
	uint8_t buf[WBUF_SIZE];
};

static int emit(struct rdb_writer *w, const void *p, size_t n)
{
	int rc;

	if (n == 0)
		return 0;
	w->crc = rdb_crc64(w->crc, p, n);
	rc = w->out(w->ctx, p, n);
	if (rc < 0)
		return w->err = rc;
	w->bytes += n;
	return 0;
}

static int flush(struct rdb_writer *w)
{
	int rc = emit(w, w->buf, w->used);

	w->used = 0;
	return rc;
}

static int put(struct rdb_writer *w, const void *p, size_t n)
{
	if (w->err)
		return w->err;
	if (n == 0)
		return 0;
	if (n > WBUF_SIZE - w->used) {
		if (flush(w) < 0)
			return w->err;
		if (n >= WBUF_SIZE)   /* large values skip the copy */
			return emit(w, p, n);
	}
	memcpy(w->buf + w->used, p, n);
	w->used += n;
	return 0;
}

static int put_byte(struct rdb_writer *w, uint8_t b)
{
	return put(w, &b, 1);
}

/* Redis's length prefix: 6, 14, 32 or 64 bits, big-endian beyond 6. */
static int put_len(struct rdb_writer *w, uint64_t len)
{
	uint8_t b[9];
	size_t n;

	if (len < (1 << 6)) {
		b[0] = (uint8_t)len;
		n = 1;
	} else if (len < (1 << 14)) {
		b[0] = (uint8_t)(RDB_LEN_14BIT << 6 | len >> 8);
		b[1] = (uint8_t)len;
		n = 2;
	} else if (len <= UINT32_MAX) {
		b[0] = RDB_LEN_32BIT;
		for (int i = 0; i < 4; i++)
			b[1 + i] = (uint8_t)(len >> (24 - 8 * i));
		n = 5;
	} else {
		b[0] = RDB_LEN_64BIT;
		for (int i = 0; i < 8; i++)
			b[1 + i] = (uint8_t)(len >> (56 - 8 * i));
		n = 9;
	}
	return put(w, b, n);
}

/*
 * Whether s is a decimal integer Redis would store as INT8/16/32: what
 * string2ll accepts (no sign but '-', no leading zeros, not "-0", no
 * spaces) and within int32. Returns the encoded size (2, 3 or 5) in enc.
 */
static size_t int_encode(const uint8_t *s, size_t len, uint8_t enc[5])
{
	size_t i = 0;
	int neg = 0;
	long long v = 0;

	if (len == 0 || len > 11)
		return 0;
	if (s[0] == '-') {
		neg = 1;
		i = 1;
		if (len == 1)
			return 0;
	}
	if (s[i] == '0' && (len - i > 1 || neg))
		return 0;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');   /* at most 11 digits: no overflow */
	}
	if (neg)
		v = -v;
	if (v >= INT8_MIN && v <= INT8_MAX) {
		enc[0] = RDB_LEN_ENCVAL << 6 | RDB_ENC_INT8;
		enc[1] = (uint8_t)v;
		return 2;
	}
	if (v >= INT16_MIN && v <= INT16_MAX) {
		enc[0] = RDB_LEN_ENCVAL << 6 | RDB_ENC_INT16;
		enc[1] = (uint8_t)v;
		enc[2] = (uint8_t)((uint64_t)v >> 8);
		return 3;
	}
	if (v >= INT32_MIN && v <= INT32_MAX) {
		enc[0] = RDB_LEN_ENCVAL << 6 | RDB_ENC_INT32;
		for (int b = 0; b < 4; b++)
			enc[1 + b] = (uint8_t)((uint64_t)v >> (8 * b));
		return 5;
	}
	return 0;
}

/* 1 if written compressed, 0 if it did not pay, < 0 on error. */
static int put_lzf(struct rdb_writer *w, const uint8_t *s, size_t len)
{
	size_t cap = len - RDB_LZF_MIN_GAIN, clen;
	int rc;

	if (cap > w->lzf_cap) {
		uint8_t *p = realloc(w->lzf, cap);

		if (p == NULL)
			return 0;   /* no memory for the scratch: store it plain */
		w->lzf = p;
		w->lzf_cap = cap;
	}
	clen = rdb_lzf_compress(s, len, w->lzf, cap);
	if (clen == 0)
		return 0;
	if ((rc = put_byte(w, RDB_LEN_ENCVAL << 6 | RDB_ENC_LZF)) < 0 ||
	    (rc = put_len(w, clen)) < 0 || (rc = put_len(w, len)) < 0 ||
	    (rc = put(w, w->lzf, clen)) < 0)
		return rc;
	return 1;
}

/* A string as rdbSaveRawString does: integer, else LZF, else raw. */
static int put_string(struct rdb_writer *w, const void *p, size_t len)
{
	uint8_t enc[5];
	size_t n;
	int rc;

	if ((n = int_encode(p, len, enc)) > 0)
		return put(w, enc, n);
	if (len >= RDB_LZF_MIN_LEN && !w->no_lzf && (rc = put_lzf(w, p, len)) != 0)
		return rc < 0 ? rc : 0;
	if ((rc = put_len(w, len)) < 0)
		return rc;
	return put(w, p, len);
}

static int put_cstr(struct rdb_writer *w, const char *s)
{
	return put_string(w, s, strlen(s));
}

static int put_aux(struct rdb_writer *w, const char *name, const char *val)
{
	int rc;

	if ((rc = put_byte(w, RDB_OP_AUX)) < 0 || (rc = put_cstr(w, name)) < 0)
		return rc;
	return put_cstr(w, val);
}

static int put_aux_int(struct rdb_writer *w, const char *name, long long v)
{
	char num[24];

	snprintf(num, sizeof(num), "%lld", v);
	return put_aux(w, name, num);
}

int rdb_writer_begin(struct rdb_writer **wp, rdb_out_fn *out, void *ctx,
		     const struct rdb_aux *aux)
{
	struct rdb_aux none = { 0 };
	struct rdb_writer *w;
	char magic[16];
	int rc;

	*wp = NULL;
	if (aux == NULL)
		aux = &none;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -ENOMEM;
	w->out = out;
	w->ctx = ctx;
	snprintf(magic, sizeof(magic), "REDIS%04d", RDB_VERSION);
	/* The fields and order of rdbSaveInfoAuxFields in Redis 7.0; the
	 * replication ones only where a replica's restart can use them. */
	if ((rc = put(w, magic, 9)) < 0 ||
	    (rc = put_aux(w, "redis-ver", aux->redis_ver ? aux->redis_ver : REDIS_VER_DEFAULT)) < 0 ||
	    (rc = put_aux_int(w, "redis-bits", sizeof(void *) == 8 ? 64 : 32)) < 0 ||
	    (rc = put_aux_int(w, "ctime", aux->ctime ? aux->ctime : (long long)time(NULL))) < 0 ||
	    (rc = put_aux_int(w, "used-mem", (long long)aux->used_mem)) < 0 ||
	    (aux->repl_id != NULL &&
	     ((rc = put_aux_int(w, "repl-stream-db", 0)) < 0 ||
	      (rc = put_aux(w, "repl-id", aux->repl_id)) < 0 ||
	      (rc = put_aux_int(w, "repl-offset", (long long)aux->repl_offset)) < 0)) ||
	    (rc = put_aux_int(w, "aof-base", 0)) < 0 ||
	    (rc = put_byte(w, RDB_OP_SELECTDB)) < 0 || (rc = put_len(w, 0)) < 0 ||
	    (rc = put_byte(w, RDB_OP_RESIZEDB)) < 0 || (rc = put_len(w, aux->db_size)) < 0 ||
	    (rc = put_len(w, aux->expires_size)) < 0) {
		rdb_writer_destroy(w);
		return rc;
	}
	*wp = w;
	return 0;
}

int rdb_writer_key(struct rdb_writer *w, const struct rdb_key *k)
{
	int rc;

	if (w->err)
		return w->err;
	if (k->flags != 0 || k->cas != 0) {
		char meta[2 * FMT_U64_MAX + 2];
		size_t n = fmt_u64(meta, k->flags);

		meta[n++] = ' ';
		n += fmt_u64(meta + n, k->cas);
		meta[n] = '\0';
		if ((rc = put_aux(w, RDB_AUX_SLIP_MC, meta)) < 0)
			return rc;
	}
	if (k->expire_ms != RDB_NO_EXPIRE) {
		uint8_t b[9];

		b[0] = RDB_OP_EXPIRETIME_MS;
		for (int i = 0; i < 8; i++)
			b[1 + i] = (uint8_t)((uint64_t)k->expire_ms >> (8 * i));
		if ((rc = put(w, b, sizeof(b))) < 0)
			return rc;
	}
	if ((rc = put_byte(w, RDB_TYPE_STRING)) < 0 ||
	    (rc = put_string(w, k->key, k->key_len)) < 0)
		return rc;
	return put_string(w, k->val, k->val_len);
}

int rdb_writer_end(struct rdb_writer *w)
{
	uint8_t b[8];
	uint64_t crc;
	int rc;

	if ((rc = put_byte(w, RDB_OP_EOF)) < 0 || (rc = flush(w)) < 0)
		return rc;
	crc = w->crc;   /* the checksum covers everything up to and with EOF */
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(crc >> (8 * i));
	if ((rc = put(w, b, sizeof(b))) < 0)
		return rc;
	return flush(w);
}

void rdb_writer_destroy(struct rdb_writer *w)
{
	if (w == NULL)
		return;
	free(w->lzf);
	free(w);
}

void rdb_writer_compress(struct rdb_writer *w, bool on)
{
	w->no_lzf = !on;
}

uint64_t rdb_writer_bytes(const struct rdb_writer *w)
{
	return w->bytes;
}
