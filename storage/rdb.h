/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Redis RDB file format: a streaming writer and a streaming loader, with
 * no knowledge of shards. Snapshot orchestration feeds keys to the writer
 * and takes keys from the loader's callback.
 *
 * What we write is what Redis 7.0 writes for string keys (RDB version 10):
 *
 *   "REDIS0010"
 *   AUX redis-ver, redis-bits, ctime, used-mem, aof-base   (0xFA key value)
 *   SELECTDB 0  RESIZEDB <keys> <keys with expiry>         (0xFE, 0xFB)
 *   per key: [AUX slip-mc "<flags> <cas>"] [EXPIRETIME_MS <u64 LE>] 0x00 key value
 *   EOF (0xFF)  CRC64 of everything before it, little-endian
 *
 * Strings use Redis's encodings: 6/14/32/64-bit lengths, INT8/16/32 for
 * canonical decimal integers, LZF for strings over 20 bytes when that saves
 * at least 4 bytes (rdbcompression yes).
 *
 * memcached flags and CAS. RDB 10 has no per-key metadata, and a module
 * value (MODULE_AUX or type MODULE_2) makes redis-server refuse the file
 * unless the module is loaded. AUX fields, however, may appear anywhere at
 * the top level, and both redis-server and redis-check-rdb accept AUX names
 * they do not know (redis-server ignores them, as the AUX contract says). So
 * a key with non-zero flags or CAS is preceded by an AUX field named
 * "slip-mc" whose value is the decimal text "<flags> <cas>"; our loader
 * attaches it to the key that follows. One file, written and renamed once,
 * so metadata and data can never disagree after a crash (a sidecar file
 * could), and it stays streaming (one blob for all keys would not). Text
 * rather than binary so that redis-check-rdb prints it legibly. Cost: about
 * 20 bytes per key that has metadata; keys set over RESP have none.
 * redis-server drops the fields when it loads our file and saves again.
 *
 * Loading accepts RDB versions 1..10 as Redis 7.0 does, EXPIRETIME and
 * EXPIRETIME_MS, skips FREQ/IDLE, FUNCTION2 and MODULE_AUX (counted), and
 * strings in every encoding. Keys of other types (lists, sets, sorted sets,
 * hashes, streams, module values, in any encoding) either fail the load
 * with an error that names the type and the key, or are skipped and
 * counted (rdb_load_opts.other_types). Hostile input yields an error, never
 * a crash; memory grows only with bytes actually read (a length prefix
 * alone allocates nothing beyond a bounded chunk).
 *
 * Status: 0 ok, negative errno (see each function). Not thread-safe per
 * object; separate objects may be used from separate threads.
 */
#ifndef SS_STORAGE_RDB_H
#define SS_STORAGE_RDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RDB_VERSION      10
#define RDB_NO_EXPIRE    (-1LL)
/* Largest string we load unless told otherwise: Redis's proto-max-bulk-len. */
#define RDB_MAX_STRING_DEFAULT (512ULL * 1024 * 1024)

/* Output: write all len bytes or fail. Returns 0 or a negative errno. */
typedef int rdb_out_fn(void *ctx, const void *buf, size_t len);
/* Input: read up to len bytes. Returns the count, 0 at end, or a negative errno. */
typedef long rdb_in_fn(void *ctx, void *buf, size_t len);

/* Ready-made adapters. For the fd ones ctx points to an int file descriptor. */
int rdb_out_fd(void *ctx, const void *buf, size_t len);
long rdb_in_fd(void *ctx, void *buf, size_t len);
struct rdb_mem_in {
	const uint8_t *p;
	size_t len;
	size_t off;
};
long rdb_in_mem(void *ctx, void *buf, size_t len);   /* ctx: struct rdb_mem_in * */

/* One string key, as written or as loaded. */
struct rdb_key {
	const void *key;
	size_t key_len;
	const void *val;
	size_t val_len;
	int64_t expire_ms;   /* absolute unix time in ms, or RDB_NO_EXPIRE */
	uint32_t flags;      /* memcached client flags */
	uint64_t cas;        /* memcached CAS unique */
	uint32_t db;         /* the SELECTDB in force (loader); writer: ignored, db 0 */
};

/* --- writer --- */

struct rdb_aux {
	const char *redis_ver;   /* NULL: "7.0.15", the Redis whose format we follow */
	int64_t ctime;           /* unix seconds the snapshot began; 0: now */
	uint64_t used_mem;       /* bytes */
	uint64_t db_size;        /* RESIZEDB hints: keys, and keys with expiry */
	uint64_t expires_size;
	/* A replica's snapshot: the primary's replication ID and the stream
	 * offset the data is exactly at (repl-stream-db, repl-id, repl-offset,
	 * as a Redis replica writes them). NULL: none. */
	const char *repl_id;
	int64_t repl_offset;
};

struct rdb_writer;

/* Writes the header, aux fields, SELECTDB 0 and RESIZEDB. *wp is NULL on
 * failure. Returns 0, -ENOMEM, or the output's error. */
int rdb_writer_begin(struct rdb_writer **wp, rdb_out_fn *out, void *ctx,
		     const struct rdb_aux *aux);
/* rdbcompression: LZF for strings over 20 bytes (on by default, as Redis). */
void rdb_writer_compress(struct rdb_writer *w, bool on);
/* One key; metadata (AUX slip-mc) only when flags or cas is non-zero. */
int rdb_writer_key(struct rdb_writer *w, const struct rdb_key *k);
/* EOF opcode and CRC64, then flushes. Does not free. */
int rdb_writer_end(struct rdb_writer *w);
/* Frees; flushes nothing (an abandoned file is left to the caller). */
void rdb_writer_destroy(struct rdb_writer *w);
/* Bytes handed to the output so far. */
uint64_t rdb_writer_bytes(const struct rdb_writer *w);

/* --- loader --- */

enum rdb_type_policy {
	RDB_TYPES_FAIL = 0,   /* a non-string key fails the load (-ENOTSUP) */
	RDB_TYPES_SKIP = 1,   /* a non-string key is skipped and counted */
};

/* Per key; return 0 to go on, a negative errno to stop the load with it. */
typedef int rdb_key_fn(void *ctx, const struct rdb_key *k);
/* Per AUX field other than slip-mc (optional). */
typedef void rdb_aux_fn(void *ctx, const void *name, size_t name_len,
			const void *val, size_t val_len);

struct rdb_load_opts {
	enum rdb_type_policy other_types;
	uint64_t max_string;     /* 0: RDB_MAX_STRING_DEFAULT */
	rdb_aux_fn *aux;
	void *aux_ctx;
};

struct rdb_load_info {
	int version;              /* the file's RDB version */
	uint64_t keys;            /* string keys handed to the callback */
	uint64_t expires;         /* of which with an expiry */
	uint64_t skipped;         /* non-string keys skipped */
	uint64_t module_aux;      /* MODULE_AUX records skipped */
	uint64_t functions;       /* FUNCTION2 libraries skipped */
	uint64_t bytes;           /* bytes read */
	int checksum;             /* 1 verified, 0 absent or disabled (zero) */
	char err[192];            /* why the load failed; "" on success */
};

/*
 * Reads a whole RDB from in, calling key_fn per string key. Returns 0, or
 * -EINVAL (malformed or truncated file, bad checksum), -ENOTSUP (a version,
 * type or opcode we cannot read, or a non-string key under RDB_TYPES_FAIL),
 * -EFBIG (a string over max_string), -ENOMEM, the input's error, or
 * key_fn's. info (optional) says why. Keys already handed out stay handed
 * out: a caller that needs all-or-nothing loads into a staging area.
 */
int rdb_load(rdb_in_fn *in, void *in_ctx, const struct rdb_load_opts *opts,
	     rdb_key_fn *key_fn, void *key_ctx, struct rdb_load_info *info);

/* --- building blocks, exposed for tests and tools --- */

/* Redis's CRC-64 (Jones polynomial, reflected, init 0): crc64(0, "123456789")
 * is 0xe9c6d914c4b8d9ca. Chain by passing the previous value. */
uint64_t rdb_crc64(uint64_t crc, const void *buf, size_t len);

/* LZF, the format Redis uses. Compress returns the compressed length, or 0
 * when the result would not fit in cap bytes. */
size_t rdb_lzf_compress(const void *in, size_t len, void *out, size_t cap);
/* Returns the decompressed length, or 0 on malformed input or when the
 * output would exceed cap. */
size_t rdb_lzf_decompress(const void *in, size_t len, void *out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
