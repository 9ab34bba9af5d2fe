// SPDX-License-Identifier: BSD-3-Clause
// Steering: the cost of a GET whose key is local against one whose key is
// owned by another worker, and the round trip through the rings between
// two threads.
//   make bench ARGS=--benchmark_filter=steer
#include <benchmark/benchmark.h>

#include "tests/bench/bench_iters.h"

#include <atomic>
#include <cstdio>
#include <cstring>
#include <thread>

#include "dataplane/conn.h"
#include "dataplane/kop.h"
#include "dataplane/steer.h"
#include "platform/clock.h"
#include "platform/mem.h"
#include "platform/metric.h"
#include "platform/opt.h"
#include "storage/shard.h"
#include "storage/slot.h"
#include "storage/storage.h"

namespace {

void nokick(conn *, void *) {}

// A key of 10 bytes owned by worker `owner` of 2.
std::string key_owned_by(unsigned owner)
{
	char k[32];
	for (int i = 0;; i++) {
		snprintf(k, sizeof(k), "key:%06d", i);
		if (slot_owner_of_key(k, strlen(k)) == owner)
			return k;
	}
}

struct TwoWorkers {
	TwoWorkers()
	{
		clock_setup();
		mem_setup(2);
		mem_thread_init(0);
		metric_setup(3);
		storage_setup(2);
		steer_setup(2);
		storage_start_local(0);
		storage_start_local(1);
	}
	~TwoWorkers()
	{
		storage_stop_local(0);
		storage_stop_local(1);
		steer_teardown();
		storage_teardown();
		metric_teardown();
		mem_thread_fini();
		mem_teardown();
	}
};

// A RESP GET on worker 0 for a key of worker 0 (arg 0), or of worker 1
// read under RCU here (arg 1) or sent to it as a message (arg 2), rings
// pumped by this thread: the instructions of each path without the
// cross-core wait.
void BM_steer_engine_get(benchmark::State &state)
{
	TwoWorkers w;
	char err[128];
	opt_setup();
	opt_set(OPT_steer_reads, state.range(0) == 2 ? "message" : "rcu", err, sizeof(err));
	std::string k = key_owned_by(state.range(0) == 0 ? 0 : 1);
	std::string set = "*3\r\n$3\r\nSET\r\n$10\r\n" + k + "\r\n$32\r\n"
			  "0123456789abcdef0123456789abcdef\r\n";
	std::string get = "*2\r\n$3\r\nGET\r\n$10\r\n" + k + "\r\n";
	conn *c = conn_create(PROTO_RESP, 0, nokick, nullptr);

	buf_append(conn_in(c), set.data(), set.size());
	conn_process_local(c);
	while (steer_drain_local(1) + steer_drain_local(0) > 0) {
	}
	buf_consume(conn_out(c), buf_len(conn_out(c)));   // +OK
	for (auto _ : state) {
		buf_append(conn_in(c), get.data(), get.size());
		conn_process_local(c);
		while (steer_drain_local(1) + steer_drain_local(0) > 0) {
		}
		if (buf_len(conn_out(c)) != 39)   // "$32\r\n" value "\r\n"
			state.SkipWithError("bad reply");
		buf_consume(conn_out(c), buf_len(conn_out(c)));
	}
	conn_release(c);
	opt_teardown();
}
BENCHMARK(BM_steer_engine_get)->Arg(0)->Arg(1)->Arg(2)->Apply(ss_fixed_iterations);

std::atomic<long> replies;

void on_reply(conn *, const kop_result *)
{
	replies.fetch_add(1, std::memory_order_relaxed);
}

// Round trips through the rings between two threads, `range(0)` kops in
// flight: the owner thread busy-drains; time per completed kop.
void BM_steer_roundtrip_threads(benchmark::State &state)
{
	TwoWorkers w;
	std::string k = key_owned_by(1);
	std::atomic<bool> stop{false};
	std::thread owner([&] {
		mem_thread_init(1);
		while (!stop.load(std::memory_order_relaxed))
			steer_drain_local(1);
		mem_thread_fini();
	});
	kop op{};
	op.fn = kop_get;
	op.target = -1;
	op.key.p = k.data();
	op.key.len = k.size();
	long inflight = state.range(0), sent = 0;

	replies = 0;
	for (auto _ : state) {
		while (sent - replies.load(std::memory_order_relaxed) < inflight) {
			steer_send(0, 1, nullptr, &op, on_reply);
			sent++;
		}
		steer_drain_local(0);
	}
	while (replies.load() < sent)
		steer_drain_local(0);
	stop = true;
	owner.join();
	state.SetItemsProcessed(replies.load());
}
BENCHMARK(BM_steer_roundtrip_threads)->Arg(1)->Arg(16)->Arg(256)->UseRealTime();

}  // namespace
