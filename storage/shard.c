/* SPDX-License-Identifier: BSD-3-Clause */
#include "storage/shard.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "platform/clock.h"
#include "platform/mem.h"
#include "platform/status.h"
#include "storage/hash.h"

/*
 * Item layout, one allocation:
 *   +------+------+-----+-------+------+------+-------------+-------------+
 *   | next | hash | cas | exp   | klen | vlen | flags       | key | value |
 *   +------+------+-----+-------+------+------+-------------+-------------+
 */
struct item {
	struct item *next;
	uint64_t hash;
	uint64_t cas;
	int64_t expire_ms;
	uint32_t klen;
	uint32_t vlen;
	uint32_t flags;
	uint8_t meta;           /* ITEM_* protocol bits */
	uint8_t pad_[3];
	int64_t atime_s;
	char data[];
};
_Static_assert(sizeof(struct item) == 56, "item header grew: per-item overhead is tracked");

struct shard {
	struct item **buckets;
	uint64_t mask;          /* buckets - 1, a power of two minus one */
	uint64_t count;         /* written by the owner, read relaxed by others */
	uint64_t used;          /* bytes: items plus bucket array */
	uint64_t volatile_n;    /* items with an expiry (INFO keyspace expires=) */
	uint64_t cas_seq;
	int64_t flush_at_ms;    /* pending delayed flush, 0 = none */
	unsigned owner;
};

#define SHARD_MIN_BUCKETS 1024

static size_t item_size(size_t klen, size_t vlen)
{
	return sizeof(struct item) + klen + vlen;
}

static void add_used(struct shard *s, int64_t delta)
{
	__atomic_store_n(&s->used, s->used + (uint64_t)delta, __ATOMIC_RELAXED);
}

static void add_volatile(struct shard *s, const struct item *it, int64_t sign)
{
	if (it->expire_ms != SHARD_NO_EXPIRY)
		__atomic_store_n(&s->volatile_n, s->volatile_n + (uint64_t)sign, __ATOMIC_RELAXED);
}

static void set_count(struct shard *s, uint64_t n)
{
	__atomic_store_n(&s->count, n, __ATOMIC_RELAXED);
}

struct shard *shard_create(unsigned owner)
{
	struct shard *s = mem_alloc_local(sizeof(*s));

	if (s == NULL)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->owner = owner;
	s->buckets = mem_alloc_local(SHARD_MIN_BUCKETS * sizeof(*s->buckets));
	if (s->buckets == NULL) {
		mem_free_local(s, sizeof(*s));
		return NULL;
	}
	memset(s->buckets, 0, SHARD_MIN_BUCKETS * sizeof(*s->buckets));
	s->mask = SHARD_MIN_BUCKETS - 1;
	s->used = mem_alloc_size(SHARD_MIN_BUCKETS * sizeof(*s->buckets));
	return s;
}

static void free_item(struct shard *s, struct item *it)
{
	size_t sz = item_size(it->klen, it->vlen);

	add_volatile(s, it, -1);
	add_used(s, -(int64_t)mem_alloc_size(sz));
	mem_free_local(it, sz);
}

static void drop_all(struct shard *s)
{
	for (uint64_t b = 0; b <= s->mask; b++) {
		for (struct item *it = s->buckets[b], *next; it != NULL; it = next) {
			next = it->next;
			free_item(s, it);
		}
		s->buckets[b] = NULL;
	}
	set_count(s, 0);
}

void shard_destroy(struct shard *s)
{
	if (s == NULL)
		return;
	drop_all(s);
	mem_free_local(s->buckets, (s->mask + 1) * sizeof(*s->buckets));
	mem_free_local(s, sizeof(*s));
}

/* Doubling rehash; on allocation failure the table just stays denser. */
static void grow(struct shard *s)
{
	uint64_t n = (s->mask + 1) * 2;
	struct item **nb = mem_alloc_local(n * sizeof(*nb));

	if (nb == NULL)
		return;
	memset(nb, 0, n * sizeof(*nb));
	for (uint64_t b = 0; b <= s->mask; b++) {
		for (struct item *it = s->buckets[b], *next; it != NULL; it = next) {
			next = it->next;
			it->next = nb[it->hash & (n - 1)];
			nb[it->hash & (n - 1)] = it;
		}
	}
	add_used(s, (int64_t)mem_alloc_size(n * sizeof(*nb)) -
		    (int64_t)mem_alloc_size((s->mask + 1) * sizeof(*nb)));
	mem_free_local(s->buckets, (s->mask + 1) * sizeof(*nb));
	s->buckets = nb;
	s->mask = n - 1;
}

static int expired(const struct item *it, int64_t now_ms)
{
	return it->expire_ms != SHARD_NO_EXPIRY && it->expire_ms <= now_ms;
}

/* The link that points at key's item (or at the NULL ending its chain). */
static struct item **find_link(struct shard *s, const void *key, size_t klen, uint64_t h)
{
	struct item **link = &s->buckets[h & s->mask];

	for (; *link != NULL; link = &(*link)->next) {
		struct item *it = *link;
		if (it->hash == h && it->klen == klen && memcmp(it->data, key, klen) == 0)
			break;
	}
	return link;
}

static void unlink_free(struct shard *s, struct item **link)
{
	struct item *it = *link;

	*link = it->next;
	free_item(s, it);
	set_count(s, s->count - 1);
}

void shard_flush_local(struct shard *s, int64_t at_ms, int64_t now_ms)
{
	if (at_ms <= now_ms) {
		drop_all(s);
		s->flush_at_ms = 0;
	} else {
		s->flush_at_ms = at_ms;
	}
}

/* A delayed flush whose time has come. One compare on every operation. */
static void flush_due(struct shard *s, int64_t now_ms)
{
	if (s->flush_at_ms != 0 && now_ms >= s->flush_at_ms) {
		drop_all(s);
		s->flush_at_ms = 0;
	}
}

struct item *shard_peek_local(struct shard *s, const void *key, size_t klen, int64_t now_ms)
{
	flush_due(s, now_ms);
	struct item **link = find_link(s, key, klen, hash64(key, klen));

	if (*link != NULL && expired(*link, now_ms)) {
		unlink_free(s, link);
		return NULL;
	}
	return *link;
}

void shard_access_local(struct shard *s, struct item *it, int64_t now_ms)
{
	(void)s;
	it->atime_s = now_ms / 1000;
}

struct item *shard_get_local(struct shard *s, const void *key, size_t klen, int64_t now_ms)
{
	struct item *it = shard_peek_local(s, key, klen, now_ms);

	if (it != NULL)
		shard_access_local(s, it, now_ms);
	return it;
}

int shard_touch_local(struct shard *s, const void *key, size_t klen, int64_t expire_ms,
		      int64_t now_ms)
{
	struct item *it = shard_peek_local(s, key, klen, now_ms);

	if (it == NULL)
		return 0;
	add_volatile(s, it, -1);
	it->expire_ms = expire_ms;
	add_volatile(s, it, 1);
	return 1;
}

int shard_set_local(struct shard *s, const void *key, size_t klen,
		    const void *val, size_t vlen, uint32_t flags, int64_t expire_ms)
{
	uint64_t h = hash64(key, klen);
	size_t sz = item_size(klen, vlen);
	struct item *it, **link;

	if (klen > UINT32_MAX || vlen > UINT32_MAX)
		return -EINVAL;
	/* A due flush goes first, or it would drop this newer item later. */
	if (s->flush_at_ms != 0)
		flush_due(s, clock_unix_ms());
	if ((it = mem_alloc_local(sz)) == NULL)
		return -ENOMEM;
	it->hash = h;
	/* CAS values are unique across shards: the owner id in the low bits. */
	it->cas = (++s->cas_seq << 7) | (s->owner & 0x7f);
	it->expire_ms = expire_ms;
	it->klen = (uint32_t)klen;
	it->vlen = (uint32_t)vlen;
	it->flags = flags;
	it->meta = 0;
	it->atime_s = clock_unix_ms() / 1000;
	memcpy(it->data, key, klen);
	memcpy(it->data + klen, val, vlen);
	add_used(s, (int64_t)mem_alloc_size(sz));
	add_volatile(s, it, 1);

	link = find_link(s, key, klen, h);
	if (*link != NULL) {
		it->next = (*link)->next;
		free_item(s, *link);
		*link = it;
		return SS_OK;
	}
	it->next = NULL;
	*link = it;
	set_count(s, s->count + 1);
	if (s->count > s->mask + 1)
		grow(s);
	return SS_OK;
}

int shard_del_local(struct shard *s, const void *key, size_t klen, int64_t now_ms)
{
	flush_due(s, now_ms);
	struct item **link = find_link(s, key, klen, hash64(key, klen));
	int existed;

	if (*link == NULL)
		return 0;
	existed = !expired(*link, now_ms);
	unlink_free(s, link);
	return existed;
}

/* Redis's reverse-binary cursor increment (dict.c rev()): a cursor that
 * walks bucket indexes high bit first keeps its place across a doubling. */
static uint64_t rev64(uint64_t v)
{
	uint64_t r = 0;

	for (int i = 0; i < 64; i++, v >>= 1)
		r = (r << 1) | (v & 1);
	return r;
}

uint64_t shard_scan_local(struct shard *s, uint64_t cursor, unsigned count,
			  shard_visit_fn fn, void *arg, int64_t now_ms)
{
	flush_due(s, now_ms);
	if (count == 0)
		count = 1;
	do {
		for (struct item *it = s->buckets[cursor & s->mask]; it != NULL; it = it->next)
			if (!expired(it, now_ms))
				fn(it, arg);
		cursor |= ~s->mask;
		cursor = rev64(rev64(cursor) + 1);
	} while (cursor != 0 && --count > 0);
	return cursor;
}

struct item *shard_random_local(struct shard *s, int64_t now_ms)
{
	flush_due(s, now_ms);
	if (s->count == 0)
		return NULL;
	/* Random buckets until a non-empty one (the table is kept at most
	 * 1 item per bucket on average, so this ends quickly), then a random
	 * item of its chain; expired items found on the way are skipped. */
	for (unsigned tries = 0; tries < 1u << 20; tries++) {
		struct item *it = s->buckets[(uint64_t)random() & s->mask];
		unsigned n = 0;

		for (struct item *x = it; x != NULL; x = x->next)
			n++;
		if (n == 0)
			continue;
		n = (unsigned)random() % n;
		while (n-- > 0)
			it = it->next;
		if (!expired(it, now_ms))
			return it;
	}
	return NULL;
}

uint64_t shard_count(const struct shard *s)
{
	return __atomic_load_n(&s->count, __ATOMIC_RELAXED);
}

uint64_t shard_volatile_count(const struct shard *s)
{
	return __atomic_load_n(&s->volatile_n, __ATOMIC_RELAXED);
}

uint64_t shard_used_memory(const struct shard *s)
{
	return __atomic_load_n(&s->used, __ATOMIC_RELAXED);
}

const void *item_key(const struct item *it) { return it->data; }
size_t item_klen(const struct item *it) { return it->klen; }
const void *item_value(const struct item *it) { return it->data + it->klen; }
size_t item_vlen(const struct item *it) { return it->vlen; }
uint32_t item_flags(const struct item *it) { return it->flags; }
uint64_t item_cas(const struct item *it) { return it->cas; }
int64_t item_expire_ms(const struct item *it) { return it->expire_ms; }
int64_t item_atime_s(const struct item *it) { return it->atime_s; }
unsigned item_meta(const struct item *it) { return it->meta; }
void item_meta_set_local(struct item *it, unsigned bits) { it->meta = (uint8_t)bits; }
