/* SPDX-License-Identifier: BSD-3-Clause */
#include "storage/shard.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <urcu-qsbr.h>

#include "platform/clock.h"
#include "platform/mem.h"
#include "platform/metric.h"
#include "platform/status.h"
#include "storage/hash.h"

/*
 * Item, one allocation, immutable once published except for the access
 * clock, the LFU counter, the protocol meta bits and the expiry (each one
 * aligned word or byte, so a reader on another core never sees it torn):
 *
 *   0          4      6    7    8             11   12       16
 *   +----------+------+----+----+-------------+----+--------+-------+-------+--------+-----+-------+
 *   | cas low  | high | kl | mt | atime (24)  | lf | vlen   | exp   | flags | klen32 | key | value |
 *   +----------+------+----+----+-------------+----+--------+-------+-------+--------+-----+-------+
 *                                                            optional, present by mt bits:
 *                                                            exp     8 B if IT_EXP (8-aligned at 16)
 *                                                            flags   4 B if IT_FLAGS or IT_EXP
 *                                                            klen32  4 B if IT_LONGKEY (kl 0xff)
 *
 * A small item without memcached flags and expiry has 16 bytes of header.
 * 16, not 20: a 14-byte key and a 32-byte value then take jemalloc's 64-byte
 * class instead of 80. The CAS is 48 bits, the owner's id in as few low bits
 * as the shard count needs (one bit for two workers) and a sequence above:
 * with two workers a shard wraps after 2^47 writes, 325 days at 5 million a
 * second. The access clock is 24 bits of seconds, as Redis's LRU clock: idle
 * times are read modulo its 194 days.
 */
struct item {
	uint32_t cas_lo;
	uint16_t cas_hi;
	uint8_t klen;           /* IT_LONGKEY: the real length is in klen32 */
	uint8_t meta;           /* low nibble: ITEM_* protocol bits; high: IT_* layout */
	uint32_t clock;         /* low 24 bits: seconds of the last counted access;
				 * high 8: the LFU log counter (Redis evict.c) */
	uint32_t vlen;
	char data[];
};
_Static_assert(offsetof(struct item, data) == 16, "item header grew: per-item overhead is tracked");
_Static_assert(sizeof(struct item) == 16, "item alignment changed");

#define CAS_BITS   48
#define CAS_MASK   ((1ULL << CAS_BITS) - 1)
#define CLOCK_MASK 0xffffffu
#define KLEN_LONG  0xffu

#define IT_PROTO   0x0fu
#define IT_FLAGS   0x10u    /* a 32-bit flags word follows the header */
#define IT_EXP     0x20u    /* a 64-bit expiry and the flags word follow */
#define IT_LONGKEY 0x40u    /* key length >= 0xff, kept in a 32-bit word */
#define IT_POOL    0x80u    /* in the eviction pool (so retiring it removes it) */
#define HDR        offsetof(struct item, data)

/*
 * Bucket: a pair of cache lines (the pair the CPU's adjacent-line
 * prefetcher fetches together). A slot is the item pointer with a 16-bit
 * tag (the hash's top bits) in the pointer's unused top bits, so no item
 * is touched unless the tag matches. 0 = empty.
 *
 *   +----------------------------------------------+--------+
 *   | slot[0] ... slot[14]  (tag:16 | pointer:48)  | next   |  128 B
 *   +----------------------------------------------+--------+
 *
 * 15 slots, not 7 in one line: at a given load far fewer buckets overflow
 * (a Poisson tail of a bigger bin), and overflow buckets are most of what
 * the index costs beyond its array. At 10M keys the index takes 13.9 bytes
 * per key against 14.9 with 64-byte buckets, at the same lookup speed.
 */
#define SLOTS 15
#define PTR_BITS 48
#define PTR_MASK ((1ULL << PTR_BITS) - 1)
struct bucket {
	uint64_t slot[SLOTS];
	struct bucket *next;    /* overflow chain, allocated when all are full */
};
_Static_assert(sizeof(struct bucket) == 128, "a bucket is a pair of cache lines");

/* The bucket array is its own allocation of exactly one of jemalloc's size
 * classes (table_next_size): with the header in front it took the next class
 * up, up to a quarter of the table in memory nothing used. */
struct table {
	uint64_t n;             /* buckets */
	size_t bytes;           /* the bucket array's size */
	struct bucket *b;
};

/*
 * A key's bucket: the low 32 bits of its hash (its position) scaled to the
 * bucket count by a multiply and a shift (Lemire's fastrange), not masked,
 * so a table may have any size. Buckets then cover consecutive ranges of
 * positions in order, whatever the size: SCAN's cursor is a position. The
 * tag takes the hash's top bits, independent of these.
 */
#define POS_END (1ULL << 32)
static inline uint64_t pos_of(uint64_t h) { return h & (POS_END - 1); }
static inline uint64_t bucket_of(const struct table *t, uint64_t h) { return (pos_of(h) * t->n) >> 32; }
/* The first position of bucket b + 1 (POS_END after the last). */
static inline uint64_t bucket_end(const struct table *t, uint64_t b)
{
	return (((b + 1) << 32) + t->n - 1) / t->n;
}

/*
 * Table sizes are the bucket counts whose arrays fill a jemalloc size class
 * exactly: 4, 5, 6 and 7 times a power of two. Growing one class at a time
 * (x1.14 to x1.25) at 80% of the slots keeps the load between 64% and 80%,
 * so the index costs 12 to 14 bytes per key at every key count; doubling
 * let it swing between 12 and 20 bytes with where the count fell. Fuller
 * than 80%, more buckets overflow into chains and lookups slow down
 * (measured: pipelined GETs at 10M keys about 15% slower at 85%).
 */
static uint64_t table_next_size(uint64_t n)
{
	unsigned k = 61u - (unsigned)__builtin_clzll(n);   /* n = m << k, m in 4..7 */
	uint64_t m = n >> k;

	return m == 7 ? 8ULL << k : (m + 1) << k;
}

/*
 * Deferred frees. Unlinked memory goes into the open batch; a closed batch
 * is handed to call_rcu, whose callback (on liburcu's thread) only marks it
 * done; the owner frees its pointers on its own thread and arena later.
 * Pointers are tagged in their low bits with what they are.
 */
#define RT_ITEM   0u
#define RT_BUCKET 1u
#define RT_TABLE  2u
struct gp_batch {
	struct rcu_head head;
	int done;
	uint32_t n, cap;
	struct gp_batch *next;  /* in flight, oldest first */
	uintptr_t *v;
};
/* Grace periods are few and large: each one wakes liburcu's callback
 * thread, several context switches on a core that may be a worker's. The
 * expiry step hands the open batch over when none is in flight and the
 * last went BATCH_AGE_MS ago; a batch of BATCH_MAX pointers goes at once,
 * which bounds the memory waiting. */
#define BATCH_AGE_MS 50
#define BATCH_MAX 16384
#define RECLAIM_STEP 256    /* pointers freed per step (about 25 us) */

#define POOL_SIZE 16        /* eviction pool, as Redis's EVPOOL_SIZE */
struct pool_entry {
	struct item *it;
	uint64_t score;         /* higher = better to evict */
};

struct shard {
	/* Read by other cores (shard_get_rcu and the counters). */
	struct table *cur;      /* inserts go here */
	struct table *old;      /* being drained into cur during a resize, or NULL */
	uint64_t seq;           /* odd while items move between tables */
	int64_t flush_at_ms;    /* pending delayed flush, 0 = none */
	uint64_t count;
	uint64_t used;          /* bytes: items plus index */
	uint64_t volatile_n;
	int64_t avg_ttl_ms;       /* Redis's avg_ttl: an average of TTLs the expiry walk sees */
	uint64_t dirty;            /* writes since creation (Redis's server.dirty) */
	uint64_t evicted;
	uint64_t expired;
	uint64_t index_bytes;

	/* Owner only. */
	uint64_t move_pos __attribute__((aligned(64)));    /* next old bucket to move */
	uint64_t cas_seq;
	unsigned cas_bits;      /* low CAS bits that hold the owner's id */
	uint64_t rng;
	uint64_t expire_pos;
	bool expire_backlog;    /* the last walk's rounds all found over a quarter expired */
	uint64_t vol_pos;       /* where volatile sampling walks on */
	uint64_t used_high;     /* used_memory's high-water mark since the last purge */
	uint64_t purge_ms;      /* monotonic ms of the last purge */
	struct shard_limits lim;
	unsigned owner;
	unsigned pool_n;
	struct pool_entry pool[POOL_SIZE];
	struct gp_batch *open;
	struct gp_batch *inflight, *inflight_tail;
	int64_t batch_ms;       /* Unix ms when the last batch was handed over */

	/* A running snapshot: snap_done[i] = bucket i of cur already given. */
	uint8_t *snap_done;
	uint64_t snap_pos;
	int64_t snap_now;
	shard_visit_fn snap_fn;
	void *snap_arg;

	shard_change_fn change_fn;   /* replication's view of every write, or NULL */
	void *change_arg;
};

#define MIN_BUCKETS 32     /* 4 KiB */
#define LFU_INIT_VAL 5

static inline uint64_t ld(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void st(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline void st_relaxed(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }

static inline uint64_t rnd(struct shard *s)
{
	/* xorshift64*: eviction sampling needs cheap, not strong, randomness */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 0x2545f4914f6cdd1dULL;
}

/* ---- item layout ---- */

static inline size_t ext_size(unsigned meta)
{
	size_t n = (meta & IT_EXP) ? 12 : (meta & IT_FLAGS) ? 4 : 0;
	return n + ((meta & IT_LONGKEY) ? 4 : 0);
}

static inline const char *key_of(const struct item *it)
{
	return it->data + ext_size(it->meta);
}

static inline size_t klen_of(const struct item *it)
{
	uint32_t k;

	if (__builtin_expect(it->klen != KLEN_LONG, 1))
		return it->klen;
	memcpy(&k, it->data + ext_size(it->meta) - 4, 4);
	return k;
}

static inline int64_t *exp_ptr(const struct item *it)
{
	return (int64_t *)(uintptr_t)it->data;
}

static inline char *flags_ptr(const struct item *it)
{
	return (char *)(uintptr_t)it->data + ((it->meta & IT_EXP) ? 8 : 0);
}

static inline uint64_t cas_of(const struct item *it)
{
	return (uint64_t)it->cas_hi << 32 | it->cas_lo;
}

static inline void cas_set(struct item *it, uint64_t cas)
{
	it->cas_lo = (uint32_t)cas;
	it->cas_hi = (uint16_t)(cas >> 32);
}

static inline uint32_t clock_of(const struct item *it)
{
	return __atomic_load_n(&it->clock, __ATOMIC_RELAXED);
}

static inline unsigned lfu_of(const struct item *it) { return clock_of(it) >> 24; }

/* Seconds since the last counted access. The clock wraps after 194 days;
 * a difference past half of that is read as an access after now (the wall
 * clock stepped back, or a caller's now is behind): idle 0, not 194 days,
 * so a step back never makes the hottest keys look the coldest. */
static inline int64_t idle_signed_s(const struct item *it, int64_t now_ms)
{
	uint32_t d = ((uint32_t)(now_ms / 1000) - clock_of(it)) & CLOCK_MASK;

	return d < (CLOCK_MASK + 1) / 2 ? (int64_t)d : (int64_t)d - (CLOCK_MASK + 1);
}

static inline int64_t idle_s(const struct item *it, int64_t now_ms)
{
	int64_t d = idle_signed_s(it, now_ms);

	return d > 0 ? d : 0;
}

/* The clock word for an access at now_ms with LFU counter lfu. */
static inline uint32_t clock_word(int64_t now_ms, unsigned lfu)
{
	return ((uint32_t)(now_ms / 1000) & CLOCK_MASK) | (uint32_t)lfu << 24;
}

/* Owner only: one store, so a reader sees the old word or the new. */
static inline void clock_set(struct item *it, uint32_t word)
{
	__atomic_store_n(&it->clock, word, __ATOMIC_RELAXED);
}

static inline int64_t exp_of(const struct item *it)
{
	return (it->meta & IT_EXP) ? __atomic_load_n(exp_ptr(it), __ATOMIC_RELAXED) : 0;
}

static size_t alloc_len(size_t klen, size_t vlen, unsigned meta)
{
	return HDR + ext_size(meta) + klen + vlen;
}

static size_t item_len(const struct item *it)
{
	return alloc_len(klen_of(it), it->vlen, it->meta);
}

static inline int expired(const struct item *it, int64_t now_ms)
{
	int64_t e = exp_of(it);

	return e != SHARD_NO_EXPIRY && e <= now_ms;
}

/* ---- accounting ---- */

static void add_used(struct shard *s, int64_t delta)
{
	st_relaxed(&s->used, s->used + (uint64_t)delta);
	if (s->used > s->used_high)
		s->used_high = s->used;
}

static void add_index(struct shard *s, int64_t delta)
{
	st_relaxed(&s->index_bytes, s->index_bytes + (uint64_t)delta);
	add_used(s, delta);
}

static void set_count(struct shard *s, uint64_t n) { st_relaxed(&s->count, n); }
/* Writes for the snapshot schedule (rdb_changes_since_last_save). */
static inline void dirty_add(struct shard *s, uint64_t n)
{
	__atomic_store_n(&s->dirty, s->dirty + n, __ATOMIC_RELAXED);
}

static void add_volatile(struct shard *s, int64_t d)
{
	st_relaxed(&s->volatile_n, s->volatile_n + (uint64_t)d);
}

/* ---- deferred frees ---- */

static void table_free(struct table *t)
{
	mem_free_local(t->b, t->bytes);
	mem_free_local(t, sizeof(*t));
}

/* What a table takes, as accounted in used_memory. */
static size_t table_mem(size_t bucket_bytes)
{
	return mem_alloc_size(sizeof(struct table)) + mem_alloc_size(bucket_bytes);
}

static void free_now(uintptr_t p)
{
	void *ptr = (void *)(p & ~(uintptr_t)7);

	switch (p & 7) {
	case RT_ITEM:
		mem_free_local(ptr, item_len(ptr));
		break;
	case RT_BUCKET:
		mem_free_local(ptr, sizeof(struct bucket));
		break;
	case RT_TABLE:
		table_free(ptr);
		break;
	}
}

static void batch_done(struct rcu_head *head)
{
	struct gp_batch *b = caa_container_of(head, struct gp_batch, head);

	/* The last access to b on this thread: the owner frees b. */
	__atomic_store_n(&b->done, 1, __ATOMIC_RELEASE);
}

/* Wait out a grace period on the owner (rare: only when memory for the
 * batch bookkeeping itself is missing, and at destroy). QSBR: an online
 * caller must not wait for itself, so it goes offline meanwhile. */
static void wait_grace_period(void)
{
	int online = rcu_read_ongoing();

	if (online)
		rcu_thread_offline();
	synchronize_rcu();
	if (online)
		rcu_thread_online();
}

static struct gp_batch *batch_new(void)
{
	struct gp_batch *b = mem_alloc_local(sizeof(*b));

	if (b != NULL)
		memset(b, 0, sizeof(*b));
	return b;
}

static void batch_free(struct gp_batch *b)
{
	for (uint32_t i = 0; i < b->n; i++)
		free_now(b->v[i]);
	mem_free_local(b->v, b->cap * sizeof(*b->v));
	mem_free_local(b, sizeof(*b));
}

bool shard_expire_backlog_local(const struct shard *s) { return s->expire_backlog; }

bool shard_reclaim_due_local(const struct shard *s)
{
	return s->inflight != NULL && __atomic_load_n(&s->inflight->done, __ATOMIC_ACQUIRE);
}

/* Free what in-flight batches whose grace period has ended hold, oldest
 * first, at most `budget` pointers: a batch of thousands is freed over
 * several loop turns, not in one stall of the worker (about 100 ns each). */
static void reclaim(struct shard *s, unsigned budget)
{
	while (shard_reclaim_due_local(s)) {
		struct gp_batch *b = s->inflight;

		for (; b->n > 0 && budget > 0; budget--)
			free_now(b->v[--b->n]);
		if (b->n > 0)
			return;
		s->inflight = b->next;
		if (s->inflight == NULL)
			s->inflight_tail = NULL;
		batch_free(b);
	}
}

static void batch_close(struct shard *s)
{
	struct gp_batch *b = s->open, *nb;

	if (b == NULL || b->n == 0 || (nb = batch_new()) == NULL)
		return;
	s->open = nb;
	if (s->inflight_tail != NULL)
		s->inflight_tail->next = b;
	else
		s->inflight = b;
	s->inflight_tail = b;
	s->batch_ms = clock_unix_ms();
	call_rcu(&b->head, batch_done);
}

static void retire(struct shard *s, void *p, unsigned kind)
{
	struct gp_batch *b = s->open;

	if (b != NULL && b->n == b->cap) {
		uint32_t cap = b->cap ? b->cap * 2 : 64;
		uintptr_t *v = mem_alloc_local(cap * sizeof(*v));

		if (v != NULL) {
			if (b->n)
				memcpy(v, b->v, b->n * sizeof(*v));
			mem_free_local(b->v, b->cap * sizeof(*v));
			b->v = v;
			b->cap = cap;
		}
	}
	if (b == NULL || b->n == b->cap) {
		/* No memory to remember it: wait for readers, free it now. */
		wait_grace_period();
		free_now((uintptr_t)p | kind);
		return;
	}
	b->v[b->n++] = (uintptr_t)p | kind;
	if (b->n >= BATCH_MAX) {
		/* A long run of writes without the loop's steps (one big
		 * command or pipeline) frees as much as it retires, so memory
		 * past its grace period does not pile up. */
		reclaim(s, BATCH_MAX);
		batch_close(s);
	}
}

/* ---- eviction pool membership ---- */

static void pool_remove(struct shard *s, struct item *it)
{
	for (unsigned i = 0; i < s->pool_n; i++) {
		if (s->pool[i].it == it) {
			memmove(&s->pool[i], &s->pool[i + 1], (s->pool_n - i - 1) * sizeof(s->pool[0]));
			s->pool_n--;
			break;
		}
	}
	it->meta &= (uint8_t)~IT_POOL;
}

/* An item leaves the index: uncount it, free it after a grace period. */
static void retire_item(struct shard *s, struct item *it)
{
	if (it->meta & IT_POOL)
		pool_remove(s, it);
	if (exp_of(it) != 0)
		add_volatile(s, -1);
	add_used(s, -(int64_t)mem_alloc_size(item_len(it)));
	retire(s, it, RT_ITEM);
}

/* ---- tables ---- */

static struct table *table_new(uint64_t nbuckets)
{
	size_t bytes = nbuckets * sizeof(struct bucket);
	struct table *t;
	struct bucket *b;

	if (nbuckets > POS_END / 2)
		return NULL;   /* bucket_end's arithmetic stays in 64 bits */
	t = mem_alloc_local(sizeof(*t));
	b = mem_alloc_local(bytes);

	if (t == NULL || b == NULL) {
		if (t != NULL)
			mem_free_local(t, sizeof(*t));
		if (b != NULL)
			mem_free_local(b, bytes);
		return NULL;
	}
	/* Every lookup lands on a random bucket: on a big table a TLB miss
	 * per lookup unless it sits on huge pages (where THP allows). */
	if (bytes >= (8u << 20)) {
		uintptr_t a = ((uintptr_t)b + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1);
		uintptr_t e = ((uintptr_t)b + bytes) & ~(uintptr_t)((2u << 20) - 1);
		if (e > a)
			madvise((void *)a, e - a, MADV_HUGEPAGE);
	}
	memset(b, 0, bytes);
	t->n = nbuckets;
	t->bytes = bytes;
	t->b = b;
	return t;
}

/* The tag's low bit is always set, so an empty slot (0) never matches a
 * tag: one well-predicted compare per slot, no separate emptiness test. */
static inline uint64_t tag_of(uint64_t h) { return (h | (1ULL << PTR_BITS)) & ~PTR_MASK; }

static inline struct item *slot_item(uint64_t v) { return (struct item *)(uintptr_t)(v & PTR_MASK); }

static inline int key_eq(const struct item *it, const void *key, size_t klen)
{
	return klen_of(it) == klen && memcmp(key_of(it), key, klen) == 0;
}

/* The slot holding key in t, or NULL. Safe for readers (acquire loads). */
static uint64_t *table_find(const struct table *t, uint64_t h, const void *key, size_t klen)
{
	const uint64_t tag = tag_of(h);
	struct bucket *b = (struct bucket *)&t->b[bucket_of(t, h)];

	do {
		for (int i = 0; i < SLOTS; i++) {
			uint64_t v = ld(&b->slot[i]);
			if (__builtin_expect((v ^ tag) < (1ULL << PTR_BITS), 0) &&
			    key_eq(slot_item(v), key, klen))
				return &b->slot[i];
		}
		b = __atomic_load_n(&b->next, __ATOMIC_ACQUIRE);
	} while (b != NULL);
	return NULL;
}

/* Put it into a free slot of its bucket chain in t (the key is not there). */
static int table_insert(struct shard *s, struct table *t, uint64_t h, struct item *it)
{
	struct bucket *b = &t->b[bucket_of(t, h)], *last;
	uint64_t v = tag_of(h) | (uint64_t)(uintptr_t)it;

	do {
		for (int i = 0; i < SLOTS; i++) {
			if (b->slot[i] == 0) {
				st(&b->slot[i], v);
				return SS_OK;
			}
		}
		last = b;
		b = b->next;
	} while (b != NULL);
	if ((b = mem_alloc_local(sizeof(*b))) == NULL)
		return -ENOMEM;
	memset(b, 0, sizeof(*b));
	b->slot[0] = v;
	add_index(s, (int64_t)mem_alloc_size(sizeof(*b)));
	/* Published whole: a reader that sees the link sees the slot. */
	__atomic_store_n(&last->next, b, __ATOMIC_RELEASE);
	return SS_OK;
}

/* Seqcount around moves, so a reader that misses during one retries. */
static void seq_begin(struct shard *s)
{
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static void seq_end(struct shard *s)
{
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELEASE);
}

static uint64_t target_buckets(uint64_t count)
{
	/* about 70% full */
	uint64_t n = MIN_BUCKETS;

	while (n * SLOTS * 7 < count * 10)
		n = table_next_size(n);
	return n;
}

static void resize_start(struct shard *s, uint64_t n)
{
	size_t mem = table_mem(n * sizeof(struct bucket));
	struct table *t;

	if (s->old != NULL || n == s->cur->n)
		return;
	/* Growth that would break maxmemory is skipped: a denser table is
	 * slower, running out of memory is an outage. */
	if (s->lim.maxmemory != 0 && n > s->cur->n &&
	    s->used + mem > s->lim.maxmemory)
		return;
	if ((t = table_new(n)) == NULL)
		return;
	add_index(s, (int64_t)mem);
	seq_begin(s);
	__atomic_store_n(&s->old, s->cur, __ATOMIC_RELEASE);
	__atomic_store_n(&s->cur, t, __ATOMIC_RELEASE);
	seq_end(s);
	s->move_pos = 0;
}

/* Start loading the items of bucket chain b (a resize reads each one's key). */
static void prefetch_items(const struct bucket *b)
{
	for (; b != NULL; b = b->next)
		for (int i = 0; i < SLOTS; i++)
			if (b->slot[i] != 0)
				__builtin_prefetch(slot_item(b->slot[i]));
}

/* Move one old bucket chain into cur; its overflow buckets, unlinked but
 * still intact for readers on them, are returned in *ov. Returns SS_OK or
 * -ENOMEM (nothing lost: what could not move stays in the old bucket).
 * A table grows by x1.14 to x1.25, so an item moves about five times on
 * the way to a count (once when tables doubled): moves overlap their
 * misses. The caller has asked for this bucket's items (prefetch_items);
 * all hashes come first, so the loads of their new buckets overlap too. */
static int move_bucket(struct shard *s, struct bucket *head, struct bucket **ov)
{
	uint64_t h[SLOTS];

	*ov = NULL;
	for (struct bucket *b = head; b != NULL; b = b->next) {
		for (int i = 0; i < SLOTS; i++) {
			if (b->slot[i] == 0)
				continue;
			const struct item *it = slot_item(b->slot[i]);
			h[i] = hash64(key_of(it), klen_of(it));
			__builtin_prefetch(&s->cur->b[bucket_of(s->cur, h[i])]);
		}
		for (int i = 0; i < SLOTS; i++) {
			uint64_t v = b->slot[i];
			if (v == 0)
				continue;
			if (table_insert(s, s->cur, h[i], slot_item(v)) != SS_OK)
				return -ENOMEM;
			st(&b->slot[i], 0);
		}
	}
	*ov = head->next;
	__atomic_store_n(&head->next, NULL, __ATOMIC_RELEASE);
	return SS_OK;
}

/*
 * Move up to n old buckets; retire the old table when it is empty. At most
 * 64 buckets per odd-sequence section, and nothing is retired inside one:
 * retiring may (out of memory) wait for a grace period, which a reader
 * retrying a miss on the odd sequence would never let end.
 */
static void resize_step(struct shard *s, unsigned n)
{
	struct table *o = s->old;
	struct bucket *ov[64];

	while (o != NULL && n > 0) {
		unsigned k = 0, moved = 0;
		int rc = SS_OK;

		seq_begin(s);
		if (s->move_pos < o->n)
			prefetch_items(&o->b[s->move_pos]);
		for (; n > 0 && moved < 64 && s->move_pos < o->n; n--, s->move_pos++, moved++) {
			if (s->move_pos + 1 < o->n)
				prefetch_items(&o->b[s->move_pos + 1]);
			if ((rc = move_bucket(s, &o->b[s->move_pos], &ov[k])) != SS_OK)
				break;
			if (ov[k] != NULL)
				k++;
		}
		if (s->move_pos >= o->n)
			__atomic_store_n(&s->old, NULL, __ATOMIC_RELEASE);
		seq_end(s);
		for (unsigned i = 0; i < k; i++) {
			for (struct bucket *b = ov[i], *next; b != NULL; b = next) {
				next = b->next;
				add_index(s, -(int64_t)mem_alloc_size(sizeof(*b)));
				retire(s, b, RT_BUCKET);
			}
		}
		if (s->old == NULL) {
			add_index(s, -(int64_t)table_mem(o->bytes));
			retire(s, o, RT_TABLE);
			break;
		}
		if (rc != SS_OK)
			break;
	}
}

/* Inlined: the loop's every step asks, and nearly always the answer is no. */
static inline __attribute__((always_inline)) void maybe_resize(struct shard *s)
{
	uint64_t n = s->cur->n;

	/* a snapshot's per-bucket bookkeeping holds the table's shape */
	if (s->old != NULL || s->snap_done != NULL)
		return;
	/* grow at 4/5 of the slots taken, shrink at 1/8 */
	if (s->count * 5 > n * SLOTS * 4)
		resize_start(s, table_next_size(n));
	else if (n > MIN_BUCKETS && s->count * 8 < n * SLOTS)
		resize_start(s, target_buckets(s->count));
}

/* The slot holding key (owner: no seqcount needed), or NULL. */
static uint64_t *find_slot(struct shard *s, uint64_t h, const void *key, size_t klen)
{
	uint64_t *p = table_find(s->cur, h, key, klen);

	if (p == NULL && s->old != NULL)
		p = table_find(s->old, h, key, klen);
	return p;
}

/* ---- lifecycle ---- */

struct shard *shard_create(unsigned owner)
{
	struct shard *s = mem_alloc_local(sizeof(*s));

	if (s == NULL)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->owner = owner;
	s->cas_bits = 7;         /* room for 128 owners until told the count */
	s->rng = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)owner + 1) * 0xbf58476d1ce4e5b9ULL ^
		 (uint64_t)clock_mono_ns();
	if (s->rng == 0)
		s->rng = 1;
	s->lim.samples = 5;
	s->lim.lfu_log_factor = 10;
	s->lim.lfu_decay_time = 1;
	if ((s->cur = table_new(MIN_BUCKETS)) == NULL || (s->open = batch_new()) == NULL) {
		if (s->cur != NULL)
			table_free(s->cur);
		mem_free_local(s, sizeof(*s));
		return NULL;
	}
	add_index(s, (int64_t)table_mem(s->cur->bytes));
	return s;
}

/* Unlink and retire every item of t, keeping its buckets. */
/* Replication sees every change (shard_on_change_local). */
static inline void changed(struct shard *s, enum shard_change kind, const struct item *it)
{
	if (__builtin_expect(s->change_fn != NULL, 0))
		s->change_fn(s->change_arg, kind, it);
}

void shard_on_change_local(struct shard *s, shard_change_fn fn, void *arg)
{
	s->change_arg = arg;
	s->change_fn = fn;
}

static void table_drop_items(struct shard *s, struct table *t)
{
	for (uint64_t i = 0; i < t->n; i++) {
		for (struct bucket *b = &t->b[i]; b != NULL; b = b->next) {
			for (int j = 0; j < SLOTS; j++) {
				if (b->slot[j] != 0) {
					struct item *it = slot_item(b->slot[j]);
					changed(s, SHARD_CHANGE_DEL, it);
					st(&b->slot[j], 0);
					retire_item(s, it);
				}
			}
		}
	}
}

static void snap_finish(struct shard *s);
static void snap_end(struct shard *s);

static void drop_all(struct shard *s)
{
	snap_finish(s);
	if (s->old != NULL) {
		table_drop_items(s, s->old);
		/* moving empty buckets retires their overflow, then the table */
		resize_step(s, UINT32_MAX);
	}
	dirty_add(s, s->count);
	table_drop_items(s, s->cur);
	set_count(s, 0);
	s->pool_n = 0;
	maybe_resize(s);
}

static void table_free_now(struct shard *s, struct table *t)
{
	for (uint64_t i = 0; i < t->n; i++) {
		for (struct bucket *b = t->b[i].next, *next; b != NULL; b = next) {
			next = b->next;
			mem_free_local(b, sizeof(*b));
		}
	}
	(void)s;
	table_free(t);
}

void shard_destroy(struct shard *s)
{
	if (s == NULL)
		return;
	if (s->snap_done != NULL)
		snap_end(s);
	s->change_fn = NULL;   /* going away is not a change to replicate */
	drop_all(s);
	batch_close(s);
	/* Every reader must be done with everything retired. QSBR: an online
	 * caller goes offline, or the grace period would wait for it. */
	int online = rcu_read_ongoing();

	if (online)
		rcu_thread_offline();
	while (s->inflight != NULL) {
		reclaim(s, UINT_MAX);
		if (s->inflight != NULL) {
			struct timespec ts = { 0, 100 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	if (online)
		rcu_thread_online();
	if (s->old != NULL)
		table_free_now(s, s->old);
	table_free_now(s, s->cur);
	if (s->open != NULL)
		batch_free(s->open);    /* empty or its items were not readable */
	mem_free_local(s, sizeof(*s));
}

/* ---- snapshots (copy before write, per bucket) ---- */

static void visit_bucket(struct bucket *b, shard_visit_fn fn, void *arg, int64_t now_ms);
static inline void flush_due(struct shard *s, int64_t now_ms);

static void snap_emit(struct shard *s, uint64_t idx)
{
	s->snap_done[idx] = 1;
	visit_bucket(&s->cur->b[idx], s->snap_fn, s->snap_arg, s->snap_now);
}

/* Before any write to bucket idx of cur. */
static inline void snap_guard_at(struct shard *s, uint64_t idx)
{
	if (__builtin_expect(s->snap_done != NULL, 0) && !s->snap_done[idx])
		snap_emit(s, idx);
}

/* Before any write to the bucket of hash h. */
static inline void snap_guard(struct shard *s, uint64_t h)
{
	if (__builtin_expect(s->snap_done != NULL, 0))
		snap_guard_at(s, bucket_of(s->cur, h));
}

static void snap_end(struct shard *s)
{
	mem_free_local(s->snap_done, s->cur->n);
	s->snap_done = NULL;
}

int shard_snapshot_begin_local(struct shard *s, shard_visit_fn fn, void *arg, int64_t now_ms)
{
	if (s->snap_done != NULL || s->old != NULL)
		return -EBUSY;
	flush_due(s, now_ms);
	if ((s->snap_done = mem_alloc_local(s->cur->n)) == NULL)
		return -ENOMEM;
	memset(s->snap_done, 0, s->cur->n);
	s->snap_pos = 0;
	s->snap_now = now_ms;
	s->snap_fn = fn;
	s->snap_arg = arg;
	return SS_OK;
}

/* The walk reads buckets in order (the hardware prefetcher follows) but
 * each item is a miss of its own: ask for the items a few buckets ahead,
 * so their misses overlap with this bucket's copying. */
#define SNAP_PREFETCH 4

static inline void snap_prefetch(const struct shard *s, uint64_t idx)
{
	if (idx >= s->cur->n)
		return;
	const struct bucket *b = &s->cur->b[idx];
	for (int j = 0; j < SLOTS; j++)
		if (b->slot[j] != 0)
			__builtin_prefetch(slot_item(b->slot[j]));
}

int shard_snapshot_step_local(struct shard *s, unsigned budget)
{
	if (s->snap_done == NULL)
		return 0;
	for (; budget > 0 && s->snap_pos < s->cur->n; budget--, s->snap_pos++) {
		snap_prefetch(s, s->snap_pos + SNAP_PREFETCH);
		if (!s->snap_done[s->snap_pos])
			snap_emit(s, s->snap_pos);
	}
	if (s->snap_pos < s->cur->n)
		return 1;
	snap_end(s);
	return 0;
}

/* A running snapshot taken to its end (before everything is dropped). */
static void snap_finish(struct shard *s)
{
	while (shard_snapshot_step_local(s, UINT32_MAX))
		;
}

/* ---- flush ---- */

void shard_flush_local(struct shard *s, int64_t at_ms, int64_t now_ms)
{
	if (at_ms <= now_ms) {
		drop_all(s);
		__atomic_store_n(&s->flush_at_ms, 0, __ATOMIC_RELEASE);
	} else {
		__atomic_store_n(&s->flush_at_ms, at_ms, __ATOMIC_RELEASE);
	}
}

/* A delayed flush whose time has come. One compare on every operation. */
static inline void flush_due(struct shard *s, int64_t now_ms)
{
	if (__builtin_expect(s->flush_at_ms != 0, 0) && now_ms >= s->flush_at_ms) {
		drop_all(s);
		__atomic_store_n(&s->flush_at_ms, 0, __ATOMIC_RELEASE);
	}
}

/* ---- removal ---- */

static void unlink_slot(struct shard *s, uint64_t *slot)
{
	struct item *it = slot_item(*slot);

	changed(s, SHARD_CHANGE_DEL, it);
	st(slot, 0);
	retire_item(s, it);
	set_count(s, s->count - 1);
}

static void expire_slot(struct shard *s, uint64_t *slot)
{
	dirty_add(s, 1);
	unlink_slot(s, slot);
	st_relaxed(&s->expired, s->expired + 1);
	metric_add_local(METRIC_expired_keys, 1);
}

/* ---- LFU (Redis evict.c: logarithmic counter, decay per idle period) ---- */

static unsigned lfu_decayed(const struct shard *s, const struct item *it, int64_t now_ms)
{
	unsigned c = lfu_of(it);
	int64_t idle_min = idle_s(it, now_ms) / 60;

	if (s->lim.lfu_decay_time == 0 || idle_min <= 0)
		return c;
	uint64_t periods = (uint64_t)idle_min / s->lim.lfu_decay_time;
	return periods > c ? 0 : c - (unsigned)periods;
}

static unsigned lfu_incr(struct shard *s, unsigned c)
{
	if (c == 255)
		return 255;
	double r = (double)(rnd(s) >> 11) / (double)(1ULL << 53);
	double base = c > LFU_INIT_VAL ? c - LFU_INIT_VAL : 0;
	double p = 1.0 / (base * s->lim.lfu_log_factor + 1);
	return r < p ? c + 1 : c;
}

static int policy_lfu(const struct shard *s)
{
	return s->lim.policy == SHARD_ALLKEYS_LFU || s->lim.policy == SHARD_VOLATILE_LFU;
}

/* ---- lookups ---- */

struct item *shard_peek_local(struct shard *s, const void *key, size_t klen, int64_t now_ms)
{
	flush_due(s, now_ms);
	uint64_t h = hash64(key, klen);
	uint64_t *slot = find_slot(s, h, key, klen);

	if (slot == NULL)
		return NULL;
	if (expired(slot_item(*slot), now_ms)) {
		snap_guard(s, h);
		expire_slot(s, slot);
		return NULL;
	}
	return slot_item(*slot);
}

void shard_access_local(struct shard *s, struct item *it, int64_t now_ms)
{
	unsigned c = policy_lfu(s) ? lfu_incr(s, lfu_decayed(s, it, now_ms)) : lfu_of(it);
	uint32_t w = clock_word(now_ms, c);

	/* most reads of a hot key fall in the same second: leave its line clean */
	if (w != clock_of(it))
		clock_set(it, w);
}

struct item *shard_get_local(struct shard *s, const void *key, size_t klen, int64_t now_ms)
{
	struct item *it = shard_peek_local(s, key, klen, now_ms);

	if (it != NULL)
		shard_access_local(s, it, now_ms);
	return it;
}

const struct item *shard_get_rcu(const struct shard *s, const void *key, size_t klen,
				 int64_t now_ms)
{
	uint64_t h = hash64(key, klen);

	for (;;) {
		uint64_t seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		struct table *cur = __atomic_load_n(&s->cur, __ATOMIC_ACQUIRE);
		struct table *old = __atomic_load_n(&s->old, __ATOMIC_ACQUIRE);
		uint64_t *slot = table_find(cur, h, key, klen);

		if (slot == NULL && old != NULL)
			slot = table_find(old, h, key, klen);
		if (slot != NULL) {
			uint64_t v = ld(slot);
			/* A hit is a hit even if the owner moved or replaced it
			 * meanwhile: the item stays valid for the grace period. */
			if (v != 0) {
				const struct item *it = slot_item(v);
				int64_t f = __atomic_load_n(&s->flush_at_ms, __ATOMIC_ACQUIRE);
				if (expired(it, now_ms) || (f != 0 && now_ms >= f))
					return NULL;
				if (key_eq(it, key, klen))
					return it;
			}
		}
		/* A miss counts only if no move ran meanwhile. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if ((seq & 1) == 0 && __atomic_load_n(&s->seq, __ATOMIC_RELAXED) == seq)
			return NULL;
		caa_cpu_relax();
	}
}

void shard_prefetch(const struct shard *s, const void *key, size_t klen)
{
	const struct table *t = __atomic_load_n(&s->cur, __ATOMIC_RELAXED);

	const struct bucket *b = &t->b[bucket_of(t, hash64(key, klen))];

	__builtin_prefetch(b);
	__builtin_prefetch((const char *)b + 64);
}

bool shard_is_large(const struct shard *s)
{
	return s->used >= (4u << 20);
}

void shard_prefetch_item(const struct shard *s, const void *key, size_t klen)
{
	const struct table *t = __atomic_load_n(&s->cur, __ATOMIC_RELAXED);
	uint64_t h = hash64(key, klen), tag = tag_of(h);
	const struct bucket *b = &t->b[bucket_of(t, h)];

	for (int i = 0; i < SLOTS; i++) {
		uint64_t v = __atomic_load_n(&b->slot[i], __ATOMIC_RELAXED);
		if ((v ^ tag) < (1ULL << PTR_BITS))
			__builtin_prefetch(slot_item(v));
	}
}

int shard_touch_local(struct shard *s, const void *key, size_t klen, int64_t expire_ms,
		      int64_t now_ms)
{
	struct item *it = shard_peek_local(s, key, klen, now_ms);
	uint64_t *slot;

	if (it == NULL)
		return 0;
	snap_guard(s, hash64(key, klen));
	dirty_add(s, 1);
	if (it->meta & IT_EXP) {
		int64_t was = exp_of(it);
		add_volatile(s, (expire_ms != 0) - (was != 0));
		__atomic_store_n(exp_ptr(it), expire_ms, __ATOMIC_RELAXED);
		changed(s, SHARD_CHANGE_TTL, it);
		return 1;
	}
	if (expire_ms == 0)
		return 1;
	/* No room for an expiry in this item: publish a copy that has one
	 * (readers see the old or the new, both whole). */
	size_t k = klen_of(it);
	unsigned meta = (it->meta & (IT_PROTO | IT_LONGKEY)) | IT_EXP;
	size_t len = alloc_len(k, it->vlen, meta);
	struct item *n = mem_alloc_local(len);

	if (n != NULL && ((uintptr_t)n & ~PTR_MASK)) {
		mem_free_local(n, len);
		n = NULL;
	}
	if (n == NULL)
		return -ENOMEM;
	memcpy(n, it, HDR);
	n->meta = (uint8_t)meta;
	uint32_t fl = item_flags(it);
	memcpy(flags_ptr(n), &fl, 4);
	*exp_ptr(n) = expire_ms;
	memcpy((char *)key_of(n) - ((meta & IT_LONGKEY) ? 4 : 0),
	       key_of(it) - ((meta & IT_LONGKEY) ? 4 : 0),
	       ((meta & IT_LONGKEY) ? 4 : 0) + k + it->vlen);
	slot = find_slot(s, hash64(key, klen), key, klen);
	add_used(s, (int64_t)mem_alloc_size(len));
	add_volatile(s, 1);
	st(slot, (*slot & ~PTR_MASK) | (uint64_t)(uintptr_t)n);
	retire_item(s, it);
	changed(s, SHARD_CHANGE_TTL, n);
	return 1;
}

/* ---- eviction ---- */

static int volatile_policy(enum shard_policy p)
{
	return p >= SHARD_VOLATILE_LRU;
}

static uint64_t evict_score(const struct shard *s, const struct item *it, int64_t now_ms)
{
	/* least recent first, also among accesses "after" now */
	uint64_t age = (uint64_t)(idle_signed_s(it, now_ms) + (CLOCK_MASK + 1) / 2);

	switch (s->lim.policy) {
	case SHARD_ALLKEYS_LFU:
	case SHARD_VOLATILE_LFU:
		/* least frequent first; among equals the least recent */
		return (uint64_t)(255 - lfu_decayed(s, it, now_ms)) << 32 | age;
	case SHARD_VOLATILE_TTL:
		return UINT64_MAX - (uint64_t)exp_of(it);
	default:
		return age;
	}
}

/* Up to n items (only ones with an expiry when vol) from t's buckets
 * start, start+1, ... visiting at most max_steps buckets; *pos is left
 * after the last bucket visited. */
static unsigned walk(struct table *t, uint64_t start, uint64_t max_steps, int vol,
		     struct item **out, unsigned n, uint64_t *pos)
{
	unsigned got = 0;
	uint64_t i = start;

	for (uint64_t steps = 0; steps < max_steps && got < n; steps++, i++) {
		for (struct bucket *b = &t->b[i % t->n]; b != NULL && got < n; b = b->next) {
			for (int j = 0; j < SLOTS && got < n; j++) {
				if (b->slot[j] == 0)
					continue;
				struct item *it = slot_item(b->slot[j]);
				if (vol && exp_of(it) == 0)
					continue;
				out[got++] = it;
			}
		}
	}
	*pos = i;
	return got;
}

/*
 * Up to n items from consecutive buckets at a random place (Redis
 * dictGetSomeKeys), only ones with an expiry when vol: at most n * 10
 * buckets, a few tries. With volatile keys too rare for that, a walk that
 * goes on from where the last one stopped, up to the whole table
 * (amortized: each walk covers new buckets). Returns how many it found.
 */
static unsigned sample(struct shard *s, int vol, struct item **out, unsigned n)
{
	unsigned got = 0;
	uint64_t pos;

	for (int tries = 0; tries < 4 && got == 0; tries++) {
		struct table *t = s->cur;
		uint64_t start = rnd(s);

		/* the drained part of the old table is empty: skip it */
		if (s->old != NULL && (rnd(s) & 1) && s->move_pos < s->old->n) {
			t = s->old;
			start = s->move_pos + start % (s->old->n - s->move_pos);
		}
		got = walk(t, start, n * 10, vol, out, n, &pos);
	}
	if (got == 0 && vol) {
		got = walk(s->cur, s->vol_pos % s->cur->n, s->cur->n, vol, out, n, &s->vol_pos);
		if (got == 0 && s->old != NULL)
			got = walk(s->old, 0, s->old->n, vol, out, n, &pos);
	}
	return got;
}

static void pool_insert(struct shard *s, struct item *it, uint64_t score)
{
	unsigned k = 0;

	if (it->meta & IT_POOL)
		return;
	while (k < s->pool_n && s->pool[k].score < score)
		k++;
	if (s->pool_n == POOL_SIZE) {
		if (k == 0)
			return;         /* worse than everything kept */
		s->pool[0].it->meta &= (uint8_t)~IT_POOL;
		memmove(&s->pool[0], &s->pool[1], (k - 1) * sizeof(s->pool[0]));
		k--;
	} else {
		memmove(&s->pool[k + 1], &s->pool[k], (s->pool_n - k) * sizeof(s->pool[0]));
		s->pool_n++;
	}
	s->pool[k].it = it;
	s->pool[k].score = score;
	it->meta |= IT_POOL;
}

/* Remove one key by the policy. Returns SS_OK or -ENOMEM if none fits. */
static int evict_one(struct shard *s, int64_t now_ms)
{
	enum shard_policy p = s->lim.policy;
	int vol = volatile_policy(p);
	struct item *cand[64];
	struct item *victim;
	unsigned n, want = s->lim.samples;

	if (p == SHARD_NOEVICTION || s->count == 0 || (vol && s->volatile_n == 0))
		return -ENOMEM;
	if (want > 64)
		want = 64;
	if (p == SHARD_ALLKEYS_RANDOM || p == SHARD_VOLATILE_RANDOM) {
		if (sample(s, vol, cand, 1) == 0)
			return -ENOMEM;
		victim = cand[0];
	} else {
		n = sample(s, vol, cand, want);
		for (unsigned i = 0; i < n; i++)
			pool_insert(s, cand[i], evict_score(s, cand[i], now_ms));
		if (s->pool_n == 0)
			return -ENOMEM;
		victim = s->pool[s->pool_n - 1].it;
	}
	uint64_t h = hash64(key_of(victim), klen_of(victim));
	uint64_t *slot = find_slot(s, h, key_of(victim), klen_of(victim));

	/* Pool members are always indexed (retiring removes them). */
	if (slot == NULL)
		return -ENOMEM;
	snap_guard(s, h);
	dirty_add(s, 1);
	unlink_slot(s, slot);
	st_relaxed(&s->evicted, s->evicted + 1);
	metric_add_local(METRIC_evicted_keys, 1);
	return SS_OK;
}

/* Evict until `need` more bytes fit under maxmemory. */
static int make_room(struct shard *s, size_t need, int64_t now_ms)
{
	if (s->lim.maxmemory == 0)
		return SS_OK;
	/* and an overflow bucket the insert may need: never above the limit */
	need += sizeof(struct bucket);
	while (s->used + need > s->lim.maxmemory)
		if (evict_one(s, now_ms) != SS_OK)
			return -ENOMEM;
	return SS_OK;
}

void shard_set_limits_local(struct shard *s, const struct shard_limits *l)
{
	if (l->policy != s->lim.policy) {
		/* scores of another policy mean nothing */
		for (unsigned i = 0; i < s->pool_n; i++)
			s->pool[i].it->meta &= (uint8_t)~IT_POOL;
		s->pool_n = 0;
	}
	s->lim = *l;
	if (s->lim.samples == 0)
		s->lim.samples = 1;
}

/* ---- set / delete ---- */

void shard_set_cas_owners_local(struct shard *s, unsigned nshards)
{
	unsigned bits = 0;

	while ((1u << bits) < nshards)
		bits++;
	if (s->owner >> bits)   /* not one of them: keep what is unique */
		return;
	/* the sequence so far keeps its place, so no CAS is handed out twice */
	s->cas_seq = ((s->cas_seq << s->cas_bits) >> bits) + 1;
	s->cas_bits = bits;
}

void shard_cas_floor_local(struct shard *s, uint64_t cas)
{
	uint64_t seq = (cas & CAS_MASK) >> s->cas_bits;

	if (seq > s->cas_seq)
		s->cas_seq = seq;
}

int shard_restore_cas_local(struct shard *s, const void *key, size_t klen, uint64_t cas)
{
	uint64_t h = hash64(key, klen);
	uint64_t *slot = find_slot(s, h, key, klen);

	shard_cas_floor_local(s, cas);
	if (slot == NULL)
		return 0;
	snap_guard(s, h);   /* a running snapshot keeps the CAS it began with */
	/* at load, before clients: the two stores need not be one */
	cas_set(slot_item(*slot), cas & CAS_MASK);
	return 1;
}

int shard_put_local(struct shard *s, const void *key, size_t klen, const void *val,
		    size_t vlen, uint32_t flags, int64_t expire_ms, struct item **stored)
{
	uint64_t h = hash64(key, klen);
	unsigned meta = 0;
	int64_t now_ms = clock_unix_ms();
	struct item *it, *was = NULL;
	uint64_t *slot;

	if (klen > UINT32_MAX || vlen > UINT32_MAX)
		return -EINVAL;
	/* A due flush goes first, or it would drop this newer item later. */
	flush_due(s, now_ms);
	if (expire_ms != SHARD_NO_EXPIRY)
		meta = IT_EXP;
	else if (flags != 0)
		meta = IT_FLAGS;
	if (klen >= KLEN_LONG)
		meta |= IT_LONGKEY;
	size_t len = alloc_len(klen, vlen, meta);
	size_t bytes = mem_alloc_size(len);

	resize_step(s, 2);
	slot = find_slot(s, h, key, klen);
	/* An old item past its expiry expires first, as a lookup would have
	 * expired it (expired_keys; the new item's frequency starts afresh):
	 * callers need not look the key up before writing it. */
	if (slot != NULL && expired(slot_item(*slot), now_ms)) {
		snap_guard(s, h);
		expire_slot(s, slot);
		slot = NULL;
	}
	if (s->lim.maxmemory != 0) {
		size_t old = slot ? mem_alloc_size(item_len(slot_item(*slot))) : 0;
		if (bytes > old) {
			uint64_t c = s->evicted;
			if (make_room(s, bytes - old, now_ms) != SS_OK)
				return -ENOMEM;
			if (s->evicted != c)            /* the old item may be gone */
				slot = find_slot(s, h, key, klen);
		}
	}
	if ((it = mem_alloc_local(len)) == NULL)
		return -ENOMEM;
	/* A slot keeps 48 bits of pointer (x86-64 and arm64 user space, unless
	 * an mmap hint asked for 5-level addresses): refuse what cannot fit. */
	if ((uintptr_t)it & ~PTR_MASK) {
		mem_free_local(it, len);
		return -ENOMEM;
	}
	/* Unique across shards, as memcached's are across the server: the
	 * owner's id in the low bits. Never 0 (memcached's "no CAS"). */
	if (++s->cas_seq > CAS_MASK >> s->cas_bits)
		s->cas_seq = 1;
	cas_set(it, s->cas_seq << s->cas_bits | s->owner);
	it->vlen = (uint32_t)vlen;
	it->klen = klen >= KLEN_LONG ? KLEN_LONG : (uint8_t)klen;
	it->meta = (uint8_t)meta;
	/* Redis keeps the frequency of a key across overwrites. */
	clock_set(it, clock_word(now_ms, slot != NULL ? lfu_of(slot_item(*slot)) : LFU_INIT_VAL));
	if (meta & (IT_FLAGS | IT_EXP))
		memcpy(flags_ptr(it), &flags, 4);
	if (meta & IT_EXP)
		*exp_ptr(it) = expire_ms;
	if (meta & IT_LONGKEY) {
		uint32_t k32 = (uint32_t)klen;
		memcpy(it->data + ext_size(meta) - 4, &k32, 4);
	}
	memcpy((char *)key_of(it), key, klen);
	memcpy((char *)key_of(it) + klen, val, vlen);
	add_used(s, (int64_t)bytes);
	if (expire_ms != SHARD_NO_EXPIRY)
		add_volatile(s, 1);
	snap_guard(s, h);

	if (slot != NULL) {
		was = slot_item(*slot);
		st(slot, (*slot & ~PTR_MASK) | (uint64_t)(uintptr_t)it);
		retire_item(s, was);
		dirty_add(s, 1);
		changed(s, SHARD_CHANGE_SET, it);
		if (stored != NULL)
			*stored = it;
		return SS_OK;
	}
	if (table_insert(s, s->cur, h, it) != SS_OK) {
		add_used(s, -(int64_t)bytes);
		if (expire_ms != SHARD_NO_EXPIRY)
			add_volatile(s, -1);
		mem_free_local(it, len);
		return -ENOMEM;
	}
	set_count(s, s->count + 1);
	dirty_add(s, 1);
	changed(s, SHARD_CHANGE_SET, it);
	maybe_resize(s);
	if (stored != NULL)
		*stored = it;
	return SS_OK;
}

int shard_set_local(struct shard *s, const void *key, size_t klen,
		    const void *val, size_t vlen, uint32_t flags, int64_t expire_ms)
{
	return shard_put_local(s, key, klen, val, vlen, flags, expire_ms, NULL);
}

int shard_del_local(struct shard *s, const void *key, size_t klen, int64_t now_ms)
{
	flush_due(s, now_ms);
	uint64_t h = hash64(key, klen);
	uint64_t *slot = find_slot(s, h, key, klen);
	int existed;

	if (slot == NULL)
		return 0;
	snap_guard(s, h);
	existed = !expired(slot_item(*slot), now_ms);
	if (existed) {
		dirty_add(s, 1);
		unlink_slot(s, slot);
	} else {
		expire_slot(s, slot);
	}
	resize_step(s, 2);
	maybe_resize(s);
	return existed;
}

/* ---- iteration ---- */

static void visit_bucket(struct bucket *b, shard_visit_fn fn, void *arg, int64_t now_ms)
{
	for (; b != NULL; b = b->next)
		for (int j = 0; j < SLOTS; j++)
			if (b->slot[j] != 0 && !expired(slot_item(b->slot[j]), now_ms))
				fn(slot_item(b->slot[j]), arg);
}

/*
 * The cursor is a position (pos_of): every key below it has been visited.
 * Buckets cover consecutive positions in order at any table size, so the
 * cursor keeps its meaning across resizes; during one, a step visits the
 * cursor's bucket in both tables and goes on to the nearer of their ends.
 * Keys present for the whole scan are visited at least once, some twice
 * (as Redis promises). The end, POS_END, is returned as 0.
 */
uint64_t shard_scan_local(struct shard *s, uint64_t cursor, unsigned count,
			  shard_visit_fn fn, void *arg, int64_t now_ms)
{
	flush_due(s, now_ms);
	if (count == 0)
		count = 1;
	if (cursor >= POS_END)
		return 0;   /* no cursor of ours */
	do {
		uint64_t b = bucket_of(s->cur, cursor), next;

		visit_bucket(&s->cur->b[b], fn, arg, now_ms);
		next = bucket_end(s->cur, b);
		if (s->old != NULL) {
			uint64_t ob = bucket_of(s->old, cursor), oe = bucket_end(s->old, ob);

			visit_bucket(&s->old->b[ob], fn, arg, now_ms);
			if (oe < next)
				next = oe;
		}
		cursor = next;
	} while (cursor < POS_END && --count > 0);
	return cursor < POS_END ? cursor : 0;
}

struct item *shard_random_local(struct shard *s, int64_t now_ms)
{
	flush_due(s, now_ms);
	/* Random buckets until one holds a live item, then a random one of
	 * its chain (the table is kept about half full, so this ends fast). */
	for (unsigned tries = 0; s->count > 0 && tries < 1u << 20; tries++) {
		struct table *t = (s->old != NULL && (rnd(s) & 1)) ? s->old : s->cur;
		struct item *live[64];
		unsigned n = 0;

		for (struct bucket *b = &t->b[rnd(s) % t->n]; b != NULL; b = b->next)
			for (int j = 0; j < SLOTS && n < 64; j++)
				if (b->slot[j] != 0 && !expired(slot_item(b->slot[j]), now_ms))
					live[n++] = slot_item(b->slot[j]);
		if (n > 0)
			return live[rnd(s) % n];
	}
	return NULL;
}

/* ---- housekeeping ---- */

/* Expired items of one bucket chain removed; *seen counts items looked at. */
/* TTLs of the live volatile items an expiry round saw (INFO avg_ttl). */
struct ttl_sample {
	int64_t sum_ms;
	unsigned n;
};

static unsigned expire_bucket(struct shard *s, struct bucket *b, int64_t now_ms, unsigned *seen,
			      struct ttl_sample *ts)
{
	unsigned n = 0;

	for (; b != NULL; b = b->next) {
		for (int j = 0; j < SLOTS; j++) {
			if (b->slot[j] == 0)
				continue;
			(*seen)++;
			const struct item *it = slot_item(b->slot[j]);
			if (expired(it, now_ms)) {
				expire_slot(s, &b->slot[j]);
				n++;
			} else if (item_expire_ms(it) != SHARD_NO_EXPIRY) {
				/* saturates: an expiry near INT64_MAX is "forever" */
				if (__builtin_add_overflow(ts->sum_ms, item_expire_ms(it) - now_ms,
							   &ts->sum_ms))
					ts->sum_ms = INT64_MAX;
				ts->n++;
			}
		}
	}
	return n;
}

unsigned shard_expire_step_local(struct shard *s, int64_t now_ms, unsigned budget)
{
	unsigned expired_n = 0;

	flush_due(s, now_ms);
	/* (each step of an idle loop comes here: calls only with work to do) */
	if (shard_reclaim_due_local(s))
		reclaim(s, RECLAIM_STEP);
	if (s->old != NULL)
		resize_step(s, budget ? budget : 1);
	/* Like Redis's active expire cycle: keep going while more than a
	 * quarter of the keys with a TTL that were looked at had expired,
	 * within 4 rounds; still more after those is a backlog the caller
	 * may walk again soon (shard_expire_backlog_local). A round that saw
	 * no key with a TTL says nothing: a backlog goes on through empty
	 * stretches of the table, and none starts in them. */
	if (budget > 0) {
		bool more = s->expire_backlog;

		for (unsigned round = 0; round < 4 && s->volatile_n > 0; round++) {
			unsigned seen = 0, found = 0;
			struct table *t = s->cur;
			struct ttl_sample ts = { 0, 0 };

			for (unsigned i = 0; i < budget; i++) {
				s->expire_pos = (s->expire_pos + 1) % t->n;
				snap_guard_at(s, s->expire_pos);
				found += expire_bucket(s, &t->b[s->expire_pos], now_ms, &seen, &ts);
			}
			if (s->old != NULL)
				for (unsigned i = 0; i < budget; i++)
					found += expire_bucket(s, &s->old->b[(s->expire_pos + i) % s->old->n],
							       now_ms, &seen, &ts);
			expired_n += found;
			if (ts.n > 0) {
				/* Redis's running estimate: avg = avg/50*49 + sample/50 */
				int64_t sample = ts.sum_ms / ts.n, avg = s->avg_ttl_ms;
				__atomic_store_n(&s->avg_ttl_ms, avg ? avg / 50 * 49 + sample / 50 : sample,
						 __ATOMIC_RELAXED);
			}
			/* of the volatile keys seen: found expired, ts.n live */
			if (found + ts.n > 0)
				more = found * 4 > found + ts.n;
			if (!more)
				break;
		}
		s->expire_backlog = more && s->volatile_n > 0;
	}
	/* A lowered maxmemory: evict towards it, a bounded number at a time. */
	for (unsigned i = 0; i < 64 && s->lim.maxmemory != 0 && s->used > s->lim.maxmemory; i++)
		if (evict_one(s, now_ms) != SS_OK)
			break;
	maybe_resize(s);
	/* Hand what was retired to a grace period, one batch in flight. */
	if (s->inflight == NULL && (now_ms - s->batch_ms >= BATCH_AGE_MS || now_ms < s->batch_ms))
		batch_close(s);
	/* After a mass delete, give the freed pages back to the OS now rather
	 * than when jemalloc's decay gets to them: when used_memory fell by a
	 * quarter and 16 MB from its high-water mark, at most once a second,
	 * once nothing is waiting for a grace period. */
	if (s->used_high - s->used > (16u << 20) && s->used < s->used_high / 4 * 3 &&
	    s->inflight == NULL && (s->open == NULL || s->open->n == 0)) {
		uint64_t t = clock_mono_ms();
		if (t >= s->purge_ms + 1000) {
			mem_purge_local();
			s->purge_ms = t;
			s->used_high = s->used;
		}
	}
	return expired_n;
}

/* ---- counters and accessors ---- */

uint64_t shard_count(const struct shard *s) { return __atomic_load_n(&s->count, __ATOMIC_RELAXED); }
uint64_t shard_used_memory(const struct shard *s) { return __atomic_load_n(&s->used, __ATOMIC_RELAXED); }
uint64_t shard_volatile_count(const struct shard *s) { return __atomic_load_n(&s->volatile_n, __ATOMIC_RELAXED); }
int64_t shard_avg_ttl_ms(const struct shard *s)
{
	return __atomic_load_n(&s->volatile_n, __ATOMIC_RELAXED) == 0 ? 0 :
	       __atomic_load_n(&s->avg_ttl_ms, __ATOMIC_RELAXED);
}
bool shard_resize_step_local(struct shard *s, unsigned buckets)
{
	resize_step(s, buckets);
	return s->old != NULL;
}

uint64_t shard_dirty(const struct shard *s)
{
	return __atomic_load_n(&s->dirty, __ATOMIC_RELAXED);
}
uint64_t shard_evicted(const struct shard *s) { return __atomic_load_n(&s->evicted, __ATOMIC_RELAXED); }
uint64_t shard_expired(const struct shard *s) { return __atomic_load_n(&s->expired, __ATOMIC_RELAXED); }
uint64_t shard_index_memory(const struct shard *s) { return __atomic_load_n(&s->index_bytes, __ATOMIC_RELAXED); }

size_t shard_item_bytes(const struct item *it) { return mem_alloc_size(item_len(it)); }

const void *item_key(const struct item *it) { return key_of(it); }
size_t item_klen(const struct item *it) { return klen_of(it); }
const void *item_value(const struct item *it) { return key_of(it) + klen_of(it); }
size_t item_vlen(const struct item *it) { return it->vlen; }
uint64_t item_cas(const struct item *it) { return cas_of(it); }
int64_t item_expire_ms(const struct item *it) { return exp_of(it); }
int64_t item_idle_s(const struct item *it, int64_t now_ms) { return idle_s(it, now_ms); }
unsigned item_meta(const struct item *it) { return it->meta & IT_PROTO; }

uint32_t item_flags(const struct item *it)
{
	uint32_t f = 0;

	if (it->meta & (IT_FLAGS | IT_EXP))
		memcpy(&f, flags_ptr(it), 4);
	return f;
}

void item_meta_set_local(struct item *it, unsigned bits)
{
	it->meta = (uint8_t)((it->meta & ~IT_PROTO) | (bits & IT_PROTO));
}
