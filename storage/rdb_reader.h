/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inside the RDB loader: the input cursor and the primitives that read
 * Redis's encodings from it (rdb_reader.c), shared by the key loop
 * (rdb_read.c) and the skipping of types we do not load (rdb_skip.c).
 * Every primitive returns 0 or a negative errno, having recorded why in
 * info->err (the first, innermost reason wins).
 */
#ifndef SS_STORAGE_RDB_READER_H
#define SS_STORAGE_RDB_READER_H

#include <stddef.h>
#include <stdint.h>

#include "storage/rdb.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RDR_BUF_SIZE   (64 * 1024)

struct rdr_buf {
	uint8_t *p;
	size_t len;
	size_t cap;   /* bytes usable; one more is allocated for a NUL */
};

struct rdr {
	rdb_in_fn *in;
	void *ctx;
	struct rdb_load_info *info;
	uint64_t max_string;
	uint64_t crc;
	uint64_t off;       /* bytes consumed */
	size_t pos;
	size_t have;
	struct rdr_buf key, val, tmp;
	uint8_t buf[RDR_BUF_SIZE];
};

int rdr_fail(struct rdr *r, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Consumes n bytes into dst, or discards them when dst is NULL. */
int rdr_read(struct rdr *r, void *dst, uint64_t n);
int rdr_u8(struct rdr *r, uint8_t *b);
uint64_t rdr_le(const uint8_t *b, int n);
/* Redis's length prefix; *enc is set for 11xxxxxx (special encodings). */
int rdr_len_enc(struct rdr *r, uint64_t *len, int *enc);
/* A length where an encoded value would be corruption. */
int rdr_len(struct rdr *r, uint64_t *len);
int rdr_skip_lens(struct rdr *r, int n);
/* A string in any encoding, into s (NUL-terminated for convenience). */
int rdr_string(struct rdr *r, struct rdr_buf *s);
int rdr_skip_string(struct rdr *r);

/* rdb_skip.c: a value of a type we do not load, and the types' names
 * (NULL for an unknown type). */
int rdr_skip_value(struct rdr *r, uint8_t type);
int rdr_skip_module_value(struct rdr *r);
const char *rdr_type_name(uint8_t type);

#ifdef __cplusplus
}
#endif

#endif
