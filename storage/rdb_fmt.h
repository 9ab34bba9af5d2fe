/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RDB constants shared by the writer and the loader: Redis 7.0's opcodes,
 * value types and string encodings (src/rdb.h), and our metadata AUX name.
 */
#ifndef SS_STORAGE_RDB_FMT_H
#define SS_STORAGE_RDB_FMT_H

/* Top-level opcodes. */
#define RDB_OP_FUNCTION2      245
#define RDB_OP_FUNCTION_PRE_GA 246
#define RDB_OP_MODULE_AUX     247
#define RDB_OP_IDLE           248
#define RDB_OP_FREQ           249
#define RDB_OP_AUX            250
#define RDB_OP_RESIZEDB       251
#define RDB_OP_EXPIRETIME_MS  252
#define RDB_OP_EXPIRETIME     253
#define RDB_OP_SELECTDB       254
#define RDB_OP_EOF            255

/* Value types (RDB 10). */
#define RDB_TYPE_STRING           0
#define RDB_TYPE_LIST             1
#define RDB_TYPE_SET              2
#define RDB_TYPE_ZSET             3
#define RDB_TYPE_HASH             4
#define RDB_TYPE_ZSET_2           5
#define RDB_TYPE_MODULE_PRE_GA    6
#define RDB_TYPE_MODULE_2         7
#define RDB_TYPE_HASH_ZIPMAP      9
#define RDB_TYPE_LIST_ZIPLIST     10
#define RDB_TYPE_SET_INTSET       11
#define RDB_TYPE_ZSET_ZIPLIST     12
#define RDB_TYPE_HASH_ZIPLIST     13
#define RDB_TYPE_LIST_QUICKLIST   14
#define RDB_TYPE_STREAM_LISTPACKS 15
#define RDB_TYPE_HASH_LISTPACK    16
#define RDB_TYPE_ZSET_LISTPACK    17
#define RDB_TYPE_LIST_QUICKLIST_2 18
#define RDB_TYPE_STREAM_LISTPACKS_2 19

/* Length prefix: the top two bits of the first byte. */
#define RDB_LEN_6BIT   0
#define RDB_LEN_14BIT  1
#define RDB_LEN_32BIT  0x80
#define RDB_LEN_64BIT  0x81
#define RDB_LEN_ENCVAL 3
/* Special string encodings, after 11xxxxxx. */
#define RDB_ENC_INT8   0
#define RDB_ENC_INT16  1
#define RDB_ENC_INT32  2
#define RDB_ENC_LZF    3

/* Module value opcodes (MODULE_2 values and MODULE_AUX payloads). */
#define RDB_MODULE_OP_EOF    0
#define RDB_MODULE_OP_SINT   1
#define RDB_MODULE_OP_UINT   2
#define RDB_MODULE_OP_FLOAT  3
#define RDB_MODULE_OP_DOUBLE 4
#define RDB_MODULE_OP_STRING 5

/* Redis tries LZF only above this length, and keeps it only when it saves
 * at least 4 bytes (rdbSaveLzfStringObject). */
#define RDB_LZF_MIN_LEN 21
#define RDB_LZF_MIN_GAIN 4

/* Our per-key memcached metadata: AUX "slip-mc" = "<flags> <cas>". */
#define RDB_AUX_SLIP_MC "slip-mc"

#endif
