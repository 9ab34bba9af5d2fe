/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-core metrics. Each core writes only its own cache-aligned block (no
 * atomics on the request path: a relaxed store of its own value); the
 * management core reads every block with relaxed loads and aggregates.
 *
 *   lcore 0 (mgmt)  [ v0 v1 ... vN ]  64-byte aligned
 *   lcore 1         [ v0 v1 ... vN ]
 *   ...
 */
#ifndef SS_PLATFORM_METRIC_H
#define SS_PLATFORM_METRIC_H

#include <stdint.h>
#include "platform/metric_table.h"

#ifdef __cplusplus
extern "C" {
#endif

enum metric_type { METRIC_COUNTER, METRIC_GAUGE };

enum metric_id {
#define METRIC_ID_(id, ...) METRIC_##id,
	SS_METRICS(METRIC_ID_)
#undef METRIC_ID_
	METRIC__COUNT
};

struct metric_block {
	uint64_t v[METRIC__COUNT];
} __attribute__((aligned(64)));

/* Blocks for lcores 0..ncores-1. Returns SS_OK or -ENOMEM. */
int metric_setup(unsigned ncores);
void metric_teardown(void);
unsigned metric_cores(void);

/* The calling thread writes lcore's block from now on (called by the lcore
 * launcher on each worker and by main for lcore 0). */
void metric_thread_init(unsigned lcore);

extern __thread struct metric_block *metric_local_block;

/* _local: only the calling core's block; single writer, so load+store. */
static inline void metric_add_local(enum metric_id id, int64_t n)
{
	uint64_t *v = &metric_local_block->v[id];
	__atomic_store_n(v, *v + (uint64_t)n, __ATOMIC_RELAXED);
}

/* Any thread. A gauge may be transiently negative on one core (a connection
 * counted where it closed): sum across cores for the meaningful value. */
uint64_t metric_read(unsigned lcore, enum metric_id id);
uint64_t metric_total(enum metric_id id);

/* CONFIG RESETSTAT: counters read through metric_total_since_reset()
 * start again from 0 (gauges are not affected). Any thread. */
void metric_reset_counters(void);
uint64_t metric_total_since_reset(enum metric_id id);

const char *metric_name(enum metric_id id);
const char *metric_help(enum metric_id id);
enum metric_type metric_type_of(enum metric_id id);
/* Values kept in ns and shown in seconds (name ends in _seconds_total). */
int metric_is_ns(enum metric_id id);

#ifdef __cplusplus
}
#endif

#endif
