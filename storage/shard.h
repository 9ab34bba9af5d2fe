/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A shard: the part of the keyspace one worker core owns. Written only by
 * its owner (functions marked _local); other cores read it under QSBR
 * (shard_get_rcu) or reach it through the owner (dataplane steering). Items
 * are allocated on the owner's arena.
 *
 * The index is a table of 64-byte buckets (7 tagged item pointers and an
 * overflow link), resized online in bounded steps; an item unlinked by the
 * owner is freed only after an RCU (QSBR) grace period, so an item pointer
 * stays readable until the reading thread's next quiescent state.
 * Eviction (maxmemory, the 8 Redis policies) and active expiry live here
 * too; see shard.c for the layouts.
 */
#ifndef SS_STORAGE_SHARD_H
#define SS_STORAGE_SHARD_H

#include <stdbool.h>
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
/* The shards are 0..nshards-1: their CAS values stay unique across them
 * with the owner's id in as few low bits as that count needs (up to 128
 * shards are assumed until this is called), so more remain for the
 * sequence. Call before the shard's first write. */
void shard_set_cas_owners_local(struct shard *s, unsigned nshards);
void shard_destroy(struct shard *s);

/* The live item for key, or NULL (expired items are removed on the way). */
struct item *shard_get_local(struct shard *s, const void *key, size_t klen, int64_t now_ms);

/* Like shard_get_local but without counting an access (LRU/LFU clock,
 * fetched bit): for callers that must read the previous access first
 * (memcached mg's h/l/t flags), then call shard_access_local. */
struct item *shard_peek_local(struct shard *s, const void *key, size_t klen, int64_t now_ms);
void shard_access_local(struct shard *s, struct item *it, int64_t now_ms);

/* Set key's expiry (0 = persist) without changing its value or CAS.
 * Returns 1 if the key exists, 0 if not (-ENOMEM in the rare case that
 * giving an item its first expiry needs memory there is none of). */
int shard_touch_local(struct shard *s, const void *key, size_t klen, int64_t expire_ms,
		      int64_t now_ms);

/* Insert or replace. Returns SS_OK or -ENOMEM (out of memory, or
 * maxmemory reached and the policy finds nothing to evict: noeviction, or
 * a volatile-* policy with no key that has an expiry). */
int shard_set_local(struct shard *s, const void *key, size_t klen,
		    const void *val, size_t vlen, uint32_t flags, int64_t expire_ms);
/* The same, and *stored is the new item (for its CAS or meta bits without
 * a second lookup; valid until this shard's next write). */
int shard_put_local(struct shard *s, const void *key, size_t klen, const void *val,
		    size_t vlen, uint32_t flags, int64_t expire_ms, struct item **stored);

/* Loading a snapshot: key (just set) gets back the CAS unique it had, and
 * this shard never hands out a CAS at or below `cas` again (call it for
 * every key in the file, the other workers' too: a restart with another
 * worker count moves keys between shards). Returns 1, or 0 if no key. */
int shard_restore_cas_local(struct shard *s, const void *key, size_t klen, uint64_t cas);
void shard_cas_floor_local(struct shard *s, uint64_t cas);

/*
 * Every change of the keyspace, in the order it happens on this shard, for
 * replication: SET, the item as it now is (value, flags, expiry); TTL, its
 * expiry changed alone; DEL, the item about to go (deleted, expired,
 * evicted, flushed). Called on the owner, inside the write; the item is
 * valid for the call only. NULL turns it off (the default: no cost but a
 * predicted branch per write).
 */
enum shard_change { SHARD_CHANGE_SET, SHARD_CHANGE_TTL, SHARD_CHANGE_DEL };
typedef void (*shard_change_fn)(void *arg, enum shard_change kind, const struct item *it);
void shard_on_change_local(struct shard *s, shard_change_fn fn, void *arg);

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
/* Keys that carry an expiry; keys removed by eviction / by expiry (lazy
 * and active) since creation. */
uint64_t shard_volatile_count(const struct shard *s);
uint64_t shard_evicted(const struct shard *s);
/* Writes since creation: stores, deletes, expiries, evictions, flushed keys,
 * expiry changes (Redis's dirty counter, for the snapshot schedule). */
uint64_t shard_dirty(const struct shard *s);
/* Move up to `buckets` buckets of a resize in progress (a snapshot waits for
 * one to end). Returns whether one is still in progress. Owner only. */
bool shard_resize_step_local(struct shard *s, unsigned buckets);
/* Redis's avg_ttl: a running average of the remaining TTLs (ms) the active
 * expiry walk sees; 0 without volatile keys. */
int64_t shard_avg_ttl_ms(const struct shard *s);
uint64_t shard_expired(const struct shard *s);
/* Bytes of the index (bucket arrays, overflow buckets): the part of
 * used_memory that is not items. */
uint64_t shard_index_memory(const struct shard *s);

/*
 * Any core; the calling thread must be a registered QSBR reader and online
 * (rcu_register_thread, not between rcu_thread_offline/online). The item
 * and its bytes stay valid until the caller's next rcu_quiescent_state() or
 * rcu_thread_offline(). Counts no access, removes nothing: an expired item
 * (or one a due delayed flush covers) reads as missing. Never misses a key
 * that is present for the whole call, even while the owner resizes.
 */
const struct item *shard_get_rcu(const struct shard *s, const void *key, size_t klen,
				 int64_t now_ms);

/* The owner, or a core in QSBR online state as for shard_get_rcu (it
 * reads the table's size): starts loading the bucket key would be looked
 * up in, nothing else. A pipeline of requests prefetches the next keys'
 * buckets before running the current one, hiding a DRAM miss each. */
void shard_prefetch(const struct shard *s, const void *key, size_t klen);
/* Same rules: are s's items and index bigger than a core's share of the
 * caches, so that lookups go to DRAM and prefetching ahead pays? (On a
 * small shard it would only add work.) */
bool shard_is_large(const struct shard *s);
/* The second stage, a few requests later (the bucket is loaded by then):
 * starts loading the items whose tag matches key's. Same rules. */
void shard_prefetch_item(const struct shard *s, const void *key, size_t klen);

/* Eviction policies, in the order of SS_MAXMEMORY_POLICIES (opt_table.h). */
enum shard_policy {
	SHARD_NOEVICTION, SHARD_ALLKEYS_LRU, SHARD_ALLKEYS_LFU, SHARD_ALLKEYS_RANDOM,
	SHARD_VOLATILE_LRU, SHARD_VOLATILE_LFU, SHARD_VOLATILE_RANDOM, SHARD_VOLATILE_TTL,
};

struct shard_limits {
	uint64_t maxmemory;         /* bytes for this shard, 0 = no limit */
	enum shard_policy policy;
	unsigned samples;           /* maxmemory-samples, keys sampled per eviction */
	unsigned lfu_log_factor;    /* lfu-log-factor */
	unsigned lfu_decay_time;    /* lfu-decay-time, minutes, 0 = never decay */
};

/* Only on the owner core. A lower maxmemory is enforced by the next
 * writes and shard_expire_step_local calls (bounded work each). */
void shard_set_limits_local(struct shard *s, const struct shard_limits *l);

/*
 * Housekeeping, bounded: call from the owner's loop every iteration.
 * Examines about `budget` buckets for expired keys (more rounds while over
 * a quarter of the keys with a TTL it sees have expired, at most 4 x
 * budget; 0 = no expiry walk this time), advances a resize in progress,
 * evicts down to a lowered maxmemory (at most 64 keys), and frees memory
 * whose grace period ended. Returns the number of keys expired.
 */
unsigned shard_expire_step_local(struct shard *s, int64_t now_ms, unsigned budget);
/* The last expiry walk ended with its rounds still finding over a quarter
 * expired: a backlog, worth walking again on the next iteration. */
bool shard_expire_backlog_local(const struct shard *s);
/* Memory whose grace period has ended is waiting to be freed: more
 * expiry steps are due soon (the loop should not sleep meanwhile). */
bool shard_reclaim_due_local(const struct shard *s);

/*
 * Point-in-time snapshots without fork (for persistence), owner core only.
 * After shard_snapshot_begin_local every item live at that moment is given
 * to fn exactly once, as it was at that moment, and no item written later
 * is: shard_snapshot_step_local walks the buckets in order, and a write to
 * a bucket the walk has not reached first hands that bucket's items to fn
 * (copy before write, one "done" byte per bucket while a snapshot runs).
 * No resize starts while a snapshot runs. fn runs on the owner, inside the
 * writing call; it copies what it keeps.
 * begin returns SS_OK, -EBUSY (a snapshot runs, or a resize is finishing:
 * call shard_expire_step_local and retry) or -ENOMEM.
 */
int shard_snapshot_begin_local(struct shard *s, shard_visit_fn fn, void *arg, int64_t now_ms);
/* Walks up to budget buckets. Returns 1 while more remains, 0 when the
 * snapshot is complete (fn is not called again). */
int shard_snapshot_step_local(struct shard *s, unsigned budget);

/* Bytes an item takes in used_memory (its allocation, with the
 * allocator's size-class rounding). */
size_t shard_item_bytes(const struct item *it);

const void *item_key(const struct item *it);
size_t item_klen(const struct item *it);
const void *item_value(const struct item *it);
size_t item_vlen(const struct item *it);
uint32_t item_flags(const struct item *it);
uint64_t item_cas(const struct item *it);
int64_t item_expire_ms(const struct item *it);
/* Seconds since the last counted access (coarse; modulo 194 days, as
 * Redis's OBJECT IDLETIME) */
int64_t item_idle_s(const struct item *it, int64_t now_ms);

/* Protocol-owned bits on an item (memcached meta state), 0 on a new item.
 * Four bits are the protocol's (0x0f); the storage keeps the rest. */
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
