/* SPDX-License-Identifier: BSD-3-Clause */
#include "storage/storage.h"

#include <errno.h>
#include <stdlib.h>

#include "platform/mem.h"
#include "platform/status.h"
#include "storage/shard.h"

/* One cache line per slot: publishing a shard never dirties a neighbour's. */
struct slot {
	struct shard *shard;
} __attribute__((aligned(64)));

static struct slot *slots;
static unsigned n_slots;

int storage_setup(unsigned nshards)
{
	slots = mem_calloc_lines(nshards, sizeof(*slots));
	if (slots == NULL)
		return -ENOMEM;
	n_slots = nshards;
	return SS_OK;
}

void storage_teardown(void)
{
	free(slots);
	slots = NULL;
	n_slots = 0;
}

unsigned storage_shards(void) { return n_slots; }

int storage_start_local(unsigned w)
{
	struct shard *s = shard_create(w);

	if (s == NULL)
		return -ENOMEM;
	__atomic_store_n(&slots[w].shard, s, __ATOMIC_RELEASE);
	return SS_OK;
}

void storage_stop_local(unsigned w)
{
	struct shard *s = slots[w].shard;

	__atomic_store_n(&slots[w].shard, NULL, __ATOMIC_RELEASE);
	shard_destroy(s);
}

struct shard *storage_shard(unsigned w)
{
	return __atomic_load_n(&slots[w].shard, __ATOMIC_ACQUIRE);
}

uint64_t storage_keys(void)
{
	uint64_t n = 0;

	for (unsigned w = 0; w < n_slots; w++) {
		struct shard *s = storage_shard(w);
		if (s != NULL)
			n += shard_count(s);
	}
	return n;
}

uint64_t storage_used_memory(void)
{
	uint64_t n = 0;

	for (unsigned w = 0; w < n_slots; w++) {
		struct shard *s = storage_shard(w);
		if (s != NULL)
			n += shard_used_memory(s);
	}
	return n;
}

uint64_t storage_volatile_keys(void)
{
	uint64_t n = 0;

	for (unsigned w = 0; w < n_slots; w++) {
		struct shard *s = storage_shard(w);
		if (s != NULL)
			n += shard_volatile_count(s);
	}
	return n;
}
