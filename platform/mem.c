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
static __thread int local_flags = MALLOCX_TCACHE_NONE;
static __thread unsigned local_tcache;
static __thread int local_has_tcache;
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
	size_t sz = sizeof(unsigned);

	if (lcore >= n_arenas)
		return -EINVAL;
	if (mallctl("tcache.create", &local_tcache, &sz, NULL, 0) != 0)
		return -ENOMEM;
	local_has_tcache = 1;
	local_arena = arenas[lcore];
	local_flags = MALLOCX_ARENA(arenas[lcore]) | MALLOCX_TCACHE(local_tcache);
	return SS_OK;
}

void mem_thread_fini(void)
{
	if (local_has_tcache)
		mallctl("tcache.destroy", NULL, NULL, &local_tcache, sizeof(unsigned));
	local_has_tcache = 0;
	local_flags = MALLOCX_TCACHE_NONE;
}

void *mem_alloc_local(size_t size)
{
	return mallocx(size ? size : 1, local_flags);
}

void mem_free_local(void *p, size_t size)
{
	if (p != NULL)
		sdallocx(p, size ? size : 1, local_flags);
}

size_t mem_alloc_size(size_t size)
{
	return nallocx(size ? size : 1, 0);
}

const char *mem_allocator_name(void) { return "jemalloc-" JEMALLOC_VERSION; }

size_t mem_local_allocated(void)
{
	char name[64];
	size_t small = 0, large = 0, sz = sizeof(size_t);
	uint64_t epoch = 1;

	if (!local_has_tcache)
		return 0;
	mallctl("tcache.flush", NULL, NULL, &local_tcache, sizeof(local_tcache));
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

	if (!local_has_tcache)
		return;
	mallctl("tcache.flush", NULL, NULL, &local_tcache, sizeof(local_tcache));
	snprintf(name, sizeof(name), "arena.%u.purge", local_arena);
	mallctl(name, NULL, NULL, NULL, 0);
}
#endif
