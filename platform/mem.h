/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memory for data: one jemalloc arena per core, each core's thread bound
 * to its own (with jemalloc's thread cache in front of it), so
 * a core's allocations never contend with another's. Builds configured with
 * -Dallocator=libc (the sanitizer build) use malloc instead so ASan sees
 * every item.
 */
#ifndef SS_PLATFORM_MEM_H
#define SS_PLATFORM_MEM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Creates arenas for lcores 0..ncores-1. Returns SS_OK or -errno. */
int mem_setup(unsigned ncores);
void mem_teardown(void);

/* Binds the calling thread to lcore's arena and a fresh tcache. */
int mem_thread_init(unsigned lcore);
void mem_thread_fini(void);

/* _local: the calling thread's arena; free on the same thread. */
void *mem_alloc_local(size_t size);
void mem_free_local(void *p, size_t size);
/*
 * A zeroed array of n cache-line-aligned elements for per-core state
 * (calloc only guarantees 16-byte alignment, and a per-core block that
 * shares a line with its neighbour defeats its purpose). Free with free().
 */
void *mem_calloc_lines(size_t n, size_t size);

/*
 * _local: bytes the calling thread's arena has handed out and not taken
 * back (its thread cache flushed first), from the allocator's own
 * statistics; 0 where the allocator has none (libc builds).
 */
size_t mem_local_allocated(void);
/* _local: give the calling thread's arena's unused dirty pages back to the
 * OS now (jemalloc also does it in the background over dirty_decay_ms). */
void mem_purge_local(void);

/* Bytes an allocation of `size` really takes (for used_memory accounting). */
size_t mem_alloc_size(size_t size);
const char *mem_allocator_name(void);

#ifdef __cplusplus
}
#endif

#endif
