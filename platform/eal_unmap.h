/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * io=dpdk: the guard that keeps a memif disconnect from unmapping rings
 * under a worker's burst (why and how: eal_unmap.c). Workers must be QSBR
 * readers (rcu_register_thread) whose quiescent states fall between bursts.
 */
#ifndef SS_PLATFORM_EAL_UNMAP_H
#define SS_PLATFORM_EAL_UNMAP_H

#ifdef __cplusplus
extern "C" {
#endif

/* From here on, the memif PMD's unmaps on the interrupt thread wait for a grace period. */
void eal_unmap_guard_arm(void);

/* How many unmaps waited for a grace period (tests, the shutdown log). */
unsigned long eal_unmap_guard_waits(void);

#ifdef __cplusplus
}
#endif

#endif
