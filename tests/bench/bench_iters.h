// SPDX-License-Identifier: BSD-3-Clause
// SS_BENCH_ITERATIONS=N runs a benchmark exactly N iterations in one run
// (no calibration runs): tests/bench/callgrind.py counts instructions per
// iteration as the difference of two such runs.
#ifndef SS_BENCH_ITERS_H
#define SS_BENCH_ITERS_H

#include <benchmark/benchmark.h>

#include <cstdlib>

inline void ss_fixed_iterations(benchmark::internal::Benchmark *b)
{
	if (const char *e = std::getenv("SS_BENCH_ITERATIONS"))
		b->Iterations(std::atoll(e));
}

#endif
