/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * io=dpdk: the DPDK EAL and its lcores. lcore 0 (the EAL main lcore) is the
 * management core; the worker lcores run the dataplane loops. Built as its
 * own library so that code without DPDK (unit tests) does not link it.
 */
#ifndef SS_PLATFORM_EAL_H
#define SS_PLATFORM_EAL_H

#include <stddef.h>
#include "platform/lcore.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * rte_eal_init with the dpdk-args option split like a redis.conf value. When
 * the args name no lcores (-l, -c, --lcores), "-l 0-N" is added for N
 * workers. Fails (err says why) when EAL has fewer than workers + 1 lcores.
 */
int eal_setup(const char *dpdk_args, unsigned workers, char *err, size_t errlen);
void eal_teardown(void);

/* Run fn(w, arg) on each worker lcore; wait for them to return. */
int eal_launch_workers(unsigned workers, lcore_fn fn, void *arg);
int eal_wait_workers(void);

#ifdef __cplusplus
}
#endif

#endif
