/* SPDX-License-Identifier: BSD-3-Clause */
#include "platform/mem.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "platform/status.h"

#include <string.h>

#define MEM_LINE 64

void *mem_calloc_lines(size_t n, size_t size)
{
	size_t bytes;
	void *p;

	if (size % MEM_LINE != 0 || __builtin_mul_overflow(n, size, &bytes))
		return NULL;
	if ((p = aligned_alloc(MEM_LINE, bytes ? bytes : MEM_LINE)) != NULL)
		memset(p, 0, bytes);
	return p;
}

#ifdef SS_MEM_LIBC
#include <malloc.h>

int mem_setup(unsigned ncores) { (void)ncores; return SS_OK; }
void mem_teardown(void) {}
int mem_thread_init(unsigned lcore) { (void)lcore; return SS_OK; }
void mem_thread_fini(void) {}
void *mem_alloc_local(size_t size) { return malloc(size); }
void mem_free_local(void *p, size_t size) { (void)size; free(p); }
const char *mem_allocator_name(void) { return "libc"; }
size_t mem_local_allocated(void) { return 0; }
void mem_purge_local(void) { malloc_trim(0); }

size_t mem_alloc_size(size_t size)
{
	/* glibc: 8 bytes of header, 16-byte granules, 32 bytes at least. */
	size_t n = (size + 8 + 15) & ~(size_t)15;
	return n < 32 ? 32 : n;
}

#else
#include <jemalloc/jemalloc.h>

#define MEM_MAX_CORES 256

static unsigned arenas[MEM_MAX_CORES];
static unsigned n_arenas;
/* A thread of lcore n is bound to arena n and keeps jemalloc's own thread
 * cache: malloc() and sdallocx(.., 0) then take jemalloc's fast paths,
 * where mallocx() and sdallocx() with an explicit arena and tcache go
 * through the general ones (callgrind: about 130 instructions each). */
static __thread int local_bound;
static __thread unsigned local_arena;

int mem_setup(unsigned ncores)
{
	if (ncores > MEM_MAX_CORES)
		return -EINVAL;
	/* Background threads purge dirty pages as they decay (dirty_decay_ms),
	 * so memory goes back to the OS after mass deletes even when a core
	 * stops allocating. Not fatal where unsupported. */
	bool on = true;
	mallctl("background_thread", NULL, NULL, &on, sizeof(on));
	for (n_arenas = 0; n_arenas < ncores; n_arenas++) {
		size_t sz = sizeof(unsigned);
		if (mallctl("arenas.create", &arenas[n_arenas], &sz, NULL, 0) != 0)
			return -ENOMEM;
	}
	return SS_OK;
}

void mem_teardown(void)
{
	/* Arenas live as long as the process; jemalloc cannot destroy one that
	 * may still hold live extents, and the process is about to exit. */
	n_arenas = 0;
}

int mem_thread_init(unsigned lcore)
{
	if (lcore >= n_arenas)
		return -EINVAL;
	if (mallctl("thread.arena", NULL, NULL, &arenas[lcore], sizeof(unsigned)) != 0)
		return -ENOMEM;
	local_bound = 1;
	local_arena = arenas[lcore];
	return SS_OK;
}

void mem_thread_fini(void)
{
	/* What the thread cache holds goes back to the arena now, not at
	 * thread exit. */
	if (local_bound)
		mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
	local_bound = 0;
}

void *mem_alloc_local(size_t size)
{
	return malloc(size ? size : 1);
}

void mem_free_local(void *p, size_t size)
{
	if (p != NULL)
		sdallocx(p, size ? size : 1, 0);
}

/* jemalloc's size class of every size up to SIZE_TAB_MAX, by multiples of
 * 8 (every class is one, so all sizes in (8k-8, 8k] share 8k's class):
 * an item's size is looked up on every write and free, and nallocx()
 * costs about 35 instructions where this costs a load. */
#define SIZE_TAB_MAX 4096
static uint16_t size_tab[SIZE_TAB_MAX / 8 + 1];

__attribute__((constructor)) static void size_tab_init(void)
{
	for (size_t i = 0; i <= SIZE_TAB_MAX / 8; i++)
		size_tab[i] = (uint16_t)nallocx(i ? i * 8 : 1, 0);
}

size_t mem_alloc_size(size_t size)
{
	if (size <= SIZE_TAB_MAX)
		return size_tab[(size + 7) / 8];
	return nallocx(size, 0);
}

const char *mem_allocator_name(void) { return "jemalloc-" JEMALLOC_VERSION; }

size_t mem_local_allocated(void)
{
	char name[64];
	size_t small = 0, large = 0, sz = sizeof(size_t);
	uint64_t epoch = 1;

	if (!local_bound)
		return 0;
	mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
	mallctl("epoch", NULL, NULL, &epoch, sizeof(epoch));
	snprintf(name, sizeof(name), "stats.arenas.%u.small.allocated", local_arena);
	if (mallctl(name, &small, &sz, NULL, 0) != 0)
		return 0;
	snprintf(name, sizeof(name), "stats.arenas.%u.large.allocated", local_arena);
	if (mallctl(name, &large, &sz, NULL, 0) != 0)
		return 0;
	return small + large;
}

void mem_purge_local(void)
{
	char name[64];

	if (!local_bound)
		return;
	mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
	snprintf(name, sizeof(name), "arena.%u.purge", local_arena);
	mallctl(name, NULL, NULL, NULL, 0);
}
#endif
