/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A shard: the part of the keyspace one worker core owns. Written and read
 * only by its owner (functions marked _local); other cores reach it through
 * the owner (dataplane steering). Items are allocated on the owner's arena.
 *
 * This is the foundation's table (chained buckets, grown by a full rehash);
 * the storage engine with RCU-protected buckets replaces it behind the same
 * calls.
 */
#ifndef SS_STORAGE_SHARD_H
#define SS_STORAGE_SHARD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct shard;
struct item;

/* Expiry times are absolute Unix milliseconds; 0 = never. */
#define SHARD_NO_EXPIRY 0

/* Call on the owner core (the table lives on its arena). NULL on failure. */
struct shard *shard_create(unsigned owner);
void shard_destroy(struct shard *s);

/* The live item for key, or NULL (expired items are removed on the way). */
struct item *shard_get_local(struct shard *s, const void *key, size_t klen, int64_t now_ms);

/* Like shard_get_local but without counting an access (LRU/LFU clock,
 * fetched bit): for callers that must read the previous access first
 * (memcached mg's h/l/t flags), then call shard_access_local. */
struct item *shard_peek_local(struct shard *s, const void *key, size_t klen, int64_t now_ms);
void shard_access_local(struct shard *s, struct item *it, int64_t now_ms);

/* Set key's expiry (0 = persist) without changing its value or CAS.
 * Returns 1 if the key exists, 0 if not. */
int shard_touch_local(struct shard *s, const void *key, size_t klen, int64_t expire_ms,
		      int64_t now_ms);

/* Insert or replace. Returns SS_OK or -ENOMEM. */
int shard_set_local(struct shard *s, const void *key, size_t klen,
		    const void *val, size_t vlen, uint32_t flags, int64_t expire_ms);

/* Returns 1 if the key existed (and is now gone), 0 if not. */
int shard_del_local(struct shard *s, const void *key, size_t klen, int64_t now_ms);

/*
 * memcached flush_all: at at_ms every item that exists then is dropped.
 * at_ms <= now_ms drops them now; a later time is remembered (one pending
 * flush, the latest call wins) and applied by the first operation at or
 * after it.
 */
void shard_flush_local(struct shard *s, int64_t at_ms, int64_t now_ms);

/*
 * Incremental iteration (SCAN, KEYS): calls fn on live items from `cursor`
 * (0 = start) until about `count` buckets were visited; returns the cursor
 * to continue from, 0 when done. Keys present for the whole scan are seen
 * at least once, even across a resize (Redis's reverse-binary cursor).
 */
typedef void (*shard_visit_fn)(const struct item *it, void *arg);
uint64_t shard_scan_local(struct shard *s, uint64_t cursor, unsigned count,
			  shard_visit_fn fn, void *arg, int64_t now_ms);

/* A live item picked at random, or NULL when the shard is empty. */
struct item *shard_random_local(struct shard *s, int64_t now_ms);

/* Readable from any core (relaxed loads of owner-written counters). */
uint64_t shard_count(const struct shard *s);
uint64_t shard_used_memory(const struct shard *s);
/* Items with an expiry set. */
uint64_t shard_volatile_count(const struct shard *s);

const void *item_key(const struct item *it);
size_t item_klen(const struct item *it);
const void *item_value(const struct item *it);
size_t item_vlen(const struct item *it);
uint32_t item_flags(const struct item *it);
uint64_t item_cas(const struct item *it);
int64_t item_expire_ms(const struct item *it);
/* Unix seconds of the last counted access (coarse) */
int64_t item_atime_s(const struct item *it);

/* Protocol-owned bits on an item (memcached meta state), 0 on a new item. */
#define ITEM_FETCHED 0x01u   /* read at least once (mg h flag) */
#define ITEM_STALE   0x02u   /* marked stale by md/mg invalidation (mg X flag) */
#define ITEM_WIN     0x04u   /* a client already holds the recache token (mg Z flag) */
unsigned item_meta(const struct item *it);
/* Only on the owner core. */
void item_meta_set_local(struct item *it, unsigned bits);

#ifdef __cplusplus
}
#endif

#endif
