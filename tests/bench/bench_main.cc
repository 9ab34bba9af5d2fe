// SPDX-License-Identifier: BSD-3-Clause
// Micro-benchmarks: Google Benchmark over the C modules through their public
// headers (which is why every public header must compile from C++).
//   make bench                      all of them
//   make bench ARGS=--benchmark_filter=parse --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "dataplane/conn.h"
#include "dataplane/proto/mc_parse.h"
#include "dataplane/proto/resp_parse.h"
#include "dataplane/steer.h"
#include "platform/clock.h"
#include "platform/mem.h"
#include "storage/shard.h"
#include "storage/slot.h"
#include "storage/storage.h"

namespace {

void BM_resp_parse_set(benchmark::State &state)
{
	const char req[] = "*3\r\n$3\r\nSET\r\n$10\r\nkey:000042\r\n$32\r\n"
			   "0123456789abcdef0123456789abcdef\r\n";
	resp_req r;
	resp_req_init(&r);
	for (auto _ : state) {
		size_t used;
		const char *err;
		benchmark::DoNotOptimize(resp_parse(&r, req, sizeof(req) - 1, &used, &err));
	}
	resp_req_fini(&r);
	state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(sizeof(req) - 1));
}
BENCHMARK(BM_resp_parse_set);

void BM_mc_parse_get(benchmark::State &state)
{
	const char req[] = "get key:000042\r\n";
	mc_req r;
	mc_req_init(&r);
	for (auto _ : state) {
		size_t used;
		const char *err;
		benchmark::DoNotOptimize(mc_parse(&r, req, sizeof(req) - 1, &used, &err));
	}
	mc_req_fini(&r);
}
BENCHMARK(BM_mc_parse_get);

void BM_slot_of_key(benchmark::State &state)
{
	const char key[] = "user:1000:profile";
	for (auto _ : state)
		benchmark::DoNotOptimize(slot_of_key(key, sizeof(key) - 1));
}
BENCHMARK(BM_slot_of_key);

// Shard get/set over `range(0)` keys of 10 bytes with 32-byte values.
struct ShardFixture {
	shard *s;
	std::vector<std::string> keys;
	explicit ShardFixture(size_t n)
	{
		mem_setup(1);
		mem_thread_init(0);
		s = shard_create(0);
		char k[32];
		for (size_t i = 0; i < n; i++) {
			snprintf(k, sizeof(k), "key:%06zu", i);
			keys.emplace_back(k);
			shard_set_local(s, k, strlen(k), "0123456789abcdef0123456789abcdef", 32, 0, 0);
		}
	}
	~ShardFixture()
	{
		shard_destroy(s);
		mem_thread_fini();
	}
};

void BM_shard_get(benchmark::State &state)
{
	ShardFixture f(size_t(state.range(0)));
	size_t i = 0;
	for (auto _ : state) {
		const std::string &k = f.keys[i++ % f.keys.size()];
		benchmark::DoNotOptimize(shard_get_local(f.s, k.data(), k.size(), 0));
	}
}
BENCHMARK(BM_shard_get)->Arg(1000)->Arg(1000000);

void BM_shard_set(benchmark::State &state)
{
	ShardFixture f(size_t(state.range(0)));
	size_t i = 0;
	for (auto _ : state) {
		const std::string &k = f.keys[i++ % f.keys.size()];
		benchmark::DoNotOptimize(shard_set_local(f.s, k.data(), k.size(),
			"0123456789abcdef0123456789abcdef", 32, 0, 0));
	}
}
BENCHMARK(BM_shard_set)->Arg(1000)->Arg(1000000);

void kick(conn *, void *) {}

// The engine on one core, one worker: bytes in, reply bytes out (no I/O).
void BM_engine_resp_get(benchmark::State &state)
{
	clock_setup();
	mem_setup(1);
	mem_thread_init(0);
	storage_setup(1);
	steer_setup(1);
	storage_start_local(0);
	conn *c = conn_create(PROTO_RESP, 0, kick, nullptr);
	const char set[] = "*3\r\n$3\r\nSET\r\n$10\r\nkey:000042\r\n$32\r\n"
			   "0123456789abcdef0123456789abcdef\r\n";
	const char get[] = "*2\r\n$3\r\nGET\r\n$10\r\nkey:000042\r\n";
	buf_append(conn_in(c), set, sizeof(set) - 1);
	conn_process_local(c);
	for (auto _ : state) {
		buf_append(conn_in(c), get, sizeof(get) - 1);
		conn_process_local(c);
		buf_consume(conn_out(c), buf_len(conn_out(c)));
	}
	conn_release(c);
	storage_stop_local(0);
	steer_teardown();
	storage_teardown();
	mem_thread_fini();
}
BENCHMARK(BM_engine_resp_get);

}  // namespace

BENCHMARK_MAIN();
