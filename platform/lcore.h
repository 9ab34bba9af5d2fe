/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lcore roles: lcore 0 is the management core (the main thread), lcores
 * 1..N are the workers. With io=kernel each worker is a thread; with
 * io=dpdk each is an EAL lcore. Worker w runs on lcore w + 1.
 */
#ifndef SS_PLATFORM_LCORE_H
#define SS_PLATFORM_LCORE_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LCORE_MAX 129   /* management + up to 128 workers */

typedef int (*lcore_fn)(unsigned worker, void *arg);

/* This thread's lcore: 0 on the management thread. */
unsigned lcore_self(void);
/* Number of worker lcores launched (0 before lcore_launch_workers). */
unsigned lcore_workers(void);
/* The default worker count: online CPUs but one, at least one. */
unsigned lcore_default_workers(void);

/*
 * Start n worker threads running fn(w, arg). With pin, worker w is pinned to
 * CPU (w + 1) mod ncpu, leaving CPU 0 to the management thread. Each worker
 * sets its log role, its memory arena, then calls fn. Returns SS_OK or
 * -errno (workers already started are joined first).
 */
int lcore_launch_workers(unsigned n, lcore_fn fn, void *arg, bool pin);
/* Join all workers; returns the first non-zero worker return value. */
int lcore_wait_workers(void);

/* Run fn as worker w on the calling thread (an EAL lcore, or a thread of
 * lcore_launch_workers): lcore index, log role, arena and metric block
 * first, the arena released after. Returns fn's value. */
int lcore_run_worker(unsigned w, lcore_fn fn, void *arg);

#ifdef __cplusplus
}
#endif

#endif
