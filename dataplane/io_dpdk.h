/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * io=dpdk: one DPDK port, one RX/TX queue pair per worker lcore, a
 * run-to-completion poll loop per worker. The loop answers ARP and ICMP
 * echo on the option `ip` (dataplane/net) and terminates TCP on `port`
 * (RESP) and `memcache-port` (memcached) with its own per-core stack
 * (dataplane/net/tcp.h), feeding the same conn engine as io=kernel.
 */
#ifndef SS_DATAPLANE_IO_DPDK_H
#define SS_DATAPLANE_IO_DPDK_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* After eal_setup: the mbuf pool and port 0 with nworkers queue pairs,
 * started. err says what failed. */
int io_dpdk_setup(unsigned nworkers, char *err, size_t errlen);
void io_dpdk_teardown(void);

/* The worker loop (an lcore_fn). Returns 0 after io_dpdk_stop(). */
int io_dpdk_worker(unsigned w, void *arg);
void io_dpdk_stop(void);
bool io_dpdk_wait_ready(void);

#ifdef __cplusplus
}
#endif

#endif
