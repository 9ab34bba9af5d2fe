// SPDX-License-Identifier: BSD-3-Clause
// The engine of one worker in the benchmark's thread (clock, arena,
// storage with its shard, steering), for the benchmarks that run requests
// through it; and a counter of time per item for those that do several
// items per iteration.
#ifndef SS_BENCH_ENGINE_H
#define SS_BENCH_ENGINE_H

#include <benchmark/benchmark.h>

#include "dataplane/steer.h"
#include "platform/clock.h"
#include "platform/mem.h"
#include "storage/storage.h"

inline void ss_engine_start()
{
	clock_setup();
	mem_setup(1);
	mem_thread_init(0);
	storage_setup(1);
	steer_setup(1);
	storage_start_local(0);
}

inline void ss_engine_stop()
{
	storage_stop_local(0);
	steer_teardown();
	storage_teardown();
	mem_thread_fini();
}

// Time per item, with `per_iteration` items each iteration. The value is
// in seconds, so the console shows it with its unit ("476.6ns").
inline benchmark::Counter ss_time_per_item(double per_iteration)
{
	return benchmark::Counter(per_iteration,
				  benchmark::Counter::kIsIterationInvariantRate |
				  benchmark::Counter::kInvert);
}

#endif
