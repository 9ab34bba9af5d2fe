/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Skipping the values of types we do not load (lists, sets, sorted sets,
 * hashes, streams, module values, in every RDB 10 encoding), as Redis 7.0's
 * rdbLoadObject lays them out. Each item consumes at least one byte, so a
 * hostile count is bounded by the file's length, and nothing is allocated.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>

#include "storage/rdb_fmt.h"
#include "storage/rdb_reader.h"

static int skip_strings(struct rdr *r, unsigned per_item)
{
	uint64_t n;
	int rc;

	if ((rc = rdr_len(r, &n)) < 0)
		return rc;
	/* Each item consumes at least a byte, so the file bounds the loop. */
	for (uint64_t i = 0; i < n; i++)
		for (unsigned j = 0; j < per_item; j++)
			if ((rc = rdr_skip_string(r)) < 0)
				return rc;
	return 0;
}

/* The self-describing opcodes of MODULE_2 values and MODULE_AUX payloads. */
int rdr_skip_module_value(struct rdr *r)
{
	for (;;) {
		uint64_t op = 0;
		int rc;

		if ((rc = rdr_len(r, &op)) < 0)
			return rc;
		switch (op) {
		case RDB_MODULE_OP_EOF:
			return 0;
		case RDB_MODULE_OP_SINT:
		case RDB_MODULE_OP_UINT:
			rc = rdr_skip_lens(r, 1);
			break;
		case RDB_MODULE_OP_FLOAT:
			rc = rdr_read(r, NULL, 4);
			break;
		case RDB_MODULE_OP_DOUBLE:
			rc = rdr_read(r, NULL, 8);
			break;
		case RDB_MODULE_OP_STRING:
			rc = rdr_skip_string(r);
			break;
		default:
			return rdr_fail(r, -EINVAL, "unknown module opcode %" PRIu64, op);
		}
		if (rc < 0)
			return rc;
	}
}

/* Old ZSET scores: a length byte, 253..255 for nan/+inf/-inf, else text. */
static int skip_old_double(struct rdr *r)
{
	uint8_t n;
	int rc;

	if ((rc = rdr_u8(r, &n)) < 0)
		return rc;
	return n >= 253 ? 0 : rdr_read(r, NULL, n);
}

/* STREAM_LISTPACKS(_2), as rdbLoadObject reads them in Redis 7.0. */
static int skip_stream(struct rdr *r, int v2)
{
	uint64_t n, m;
	int rc;

	if ((rc = skip_strings(r, 2)) < 0 || (rc = rdr_skip_lens(r, 3 + (v2 ? 5 : 0))) < 0 ||
	    (rc = rdr_len(r, &n)) < 0)
		return rc;
	for (uint64_t g = 0; g < n; g++) {
		if ((rc = rdr_skip_string(r)) < 0 || (rc = rdr_skip_lens(r, 2 + (v2 ? 1 : 0))) < 0 ||
		    (rc = rdr_len(r, &m)) < 0)
			return rc;
		for (uint64_t i = 0; i < m; i++)   /* group PEL: id, delivery time, count */
			if ((rc = rdr_read(r, NULL, 16 + 8)) < 0 || (rc = rdr_skip_lens(r, 1)) < 0)
				return rc;
		if ((rc = rdr_len(r, &m)) < 0)
			return rc;
		for (uint64_t c = 0; c < m; c++) {   /* consumers: name, seen time, PEL ids */
			uint64_t p;

			if ((rc = rdr_skip_string(r)) < 0 || (rc = rdr_read(r, NULL, 8)) < 0 ||
			    (rc = rdr_len(r, &p)) < 0)
				return rc;
			for (uint64_t i = 0; i < p; i++)
				if ((rc = rdr_read(r, NULL, 16)) < 0)
					return rc;
		}
	}
	return 0;
}

int rdr_skip_value(struct rdr *r, uint8_t type)
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
		if ((rc = rdr_len(r, &n)) < 0)
			return rc;
		for (uint64_t i = 0; i < n; i++)
			if ((rc = rdr_skip_string(r)) < 0 ||
			    (rc = type == RDB_TYPE_ZSET ? skip_old_double(r) : rdr_read(r, NULL, 8)) < 0)
				return rc;
		return 0;
	case RDB_TYPE_HASH_ZIPMAP:
	case RDB_TYPE_LIST_ZIPLIST:
	case RDB_TYPE_SET_INTSET:
	case RDB_TYPE_ZSET_ZIPLIST:
	case RDB_TYPE_HASH_ZIPLIST:
	case RDB_TYPE_HASH_LISTPACK:
	case RDB_TYPE_ZSET_LISTPACK:
		return rdr_skip_string(r);
	case RDB_TYPE_LIST_QUICKLIST_2:
		if ((rc = rdr_len(r, &n)) < 0)
			return rc;
		for (uint64_t i = 0; i < n; i++)   /* container kind, then the node */
			if ((rc = rdr_skip_lens(r, 1)) < 0 || (rc = rdr_skip_string(r)) < 0)
				return rc;
		return 0;
	case RDB_TYPE_MODULE_2:
		if ((rc = rdr_skip_lens(r, 1)) < 0)   /* module id */
			return rc;
		return rdr_skip_module_value(r);
	case RDB_TYPE_STREAM_LISTPACKS:
	case RDB_TYPE_STREAM_LISTPACKS_2:
		return skip_stream(r, type == RDB_TYPE_STREAM_LISTPACKS_2);
	}
	return rdr_fail(r, -ENOTSUP, "value type %u cannot be skipped", type);
}

const char *rdr_type_name(uint8_t t)
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

