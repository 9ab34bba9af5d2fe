/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * io=kernel: the same engine over kernel sockets. Each worker runs an epoll
 * loop on its own SO_REUSEPORT listening sockets (the kernel spreads new
 * connections across workers) plus its steering mailbox.
 */
#ifndef SS_DATAPLANE_IO_KERNEL_H
#define SS_DATAPLANE_IO_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Open nworkers listening sockets on each enabled port (options bind, port,
 * memcache-port), on the calling thread, so that a busy port fails start-up
 * before any worker runs. Returns SS_OK or -errno; err says which address.
 */
int io_kernel_setup(unsigned nworkers, char *err, size_t errlen);
void io_kernel_teardown(void);

/* The worker loop (an lcore_fn). Returns 0 after io_kernel_stop(). */
int io_kernel_worker(unsigned w, void *arg);
/* Any thread: make every worker loop return. */
void io_kernel_stop(void);
/* Wait until every worker serves (true) or one failed to start (false). */
bool io_kernel_wait_ready(void);

#ifdef __cplusplus
}
#endif

#endif
