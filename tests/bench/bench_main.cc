// SPDX-License-Identifier: BSD-3-Clause
// Micro-benchmarks: Google Benchmark over the C modules through their public
// headers (which is why every public header must compile from C++).
//   make bench                      all of them
//   make bench ARGS=--benchmark_filter=parse --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include "tests/bench/bench_engine.h"
#include "tests/bench/bench_iters.h"

#include <cstdio>
#include <ctime>
#include <cstring>
#include <string>
#include <vector>

#include "dataplane/conn.h"
#include "dataplane/kop.h"
#include "dataplane/kop_string.h"
#include "dataplane/proto/mc_parse.h"
#include "dataplane/proto/resp_parse.h"
#include "dataplane/steer.h"
#include "platform/clock.h"
#include "platform/fmt.h"
#include "platform/mem.h"
#include "storage/rdb.h"
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
BENCHMARK(BM_resp_parse_set)->Apply(ss_fixed_iterations);

// mc_parse() of the one request req[0..len), again and again.
void mc_parse_loop(benchmark::State &state, const char *req, size_t len)
{
	mc_req r;
	mc_req_init(&r);
	for (auto _ : state) {
		size_t used;
		const char *err;
		benchmark::DoNotOptimize(mc_parse(&r, req, len, &used, &err));
	}
	mc_req_fini(&r);
}

void BM_mc_parse_get(benchmark::State &state)
{
	const char req[] = "get key:000042\r\n";
	mc_parse_loop(state, req, sizeof(req) - 1);
}
BENCHMARK(BM_mc_parse_get)->Apply(ss_fixed_iterations);

void BM_mc_parse_set(benchmark::State &state)
{
	const char req[] = "set key:000042 0 0 32\r\n0123456789abcdef0123456789abcdef\r\n";
	mc_parse_loop(state, req, sizeof(req) - 1);
}
BENCHMARK(BM_mc_parse_set)->Apply(ss_fixed_iterations);

// The meta protocol: a get asking for the value, client flags and TTL.
void BM_mc_parse_meta_get(benchmark::State &state)
{
	const char req[] = "mg key:000042 v f t\r\n";
	mc_parse_loop(state, req, sizeof(req) - 1);
}
BENCHMARK(BM_mc_parse_meta_get)->Apply(ss_fixed_iterations);

void BM_slot_of_key(benchmark::State &state)
{
	const char key[] = "user:1000:profile";
	for (auto _ : state)
		benchmark::DoNotOptimize(slot_of_key(key, sizeof(key) - 1));
}
BENCHMARK(BM_slot_of_key)->Apply(ss_fixed_iterations);

// Shard operations at 1M and 10M keys: 14-byte keys ("key:" + 10 digits),
// 32-byte values, keys visited in a scattered order (i * 1000003 mod n) so
// neither the index nor the items are walked in allocation order. One
// shard per size, built once and kept for all repetitions.
//   make bench ARGS="--benchmark_filter=shard --benchmark_repetitions=5
//                    --benchmark_report_aggregates_only=true"
constexpr size_t KLEN = 14, VLEN = 32;
const char VAL[] = "0123456789abcdef0123456789abcdef";

inline void make_key(char *k, char p, uint64_t i)
{
	k[0] = p; k[1] = 'e'; k[2] = 'y'; k[3] = ':';
	for (int d = 13; d >= 4; d--, i /= 10)
		k[d] = char('0' + i % 10);
}

inline uint64_t scatter(uint64_t i, uint64_t n) { return i * 1000003ULL % n; }

// One core's arena for the storage benchmarks, set up once.
void storage_mem_once()
{
	static bool once = [] { mem_setup(1); mem_thread_init(0); return true; }();
	(void)once;
}

struct BigShard {
	shard *s = nullptr;
	size_t n = 0;
	std::vector<char> keys;           // n keys of KLEN bytes, in scattered order
	size_t added = 0;                 // keys n.. set by BM_shard_set_new
	std::vector<uint64_t> deleted;    // keys removed by BM_shard_del
	std::vector<std::vector<char>> mget_ops;   // BM_kop_mget's batches
	double overhead = 0, item_overhead = 0;
};

BigShard *big_shard(size_t n)
{
	static std::vector<BigShard *> all;
	for (BigShard *b : all)
		if (b->n == n)
			return b;
	storage_mem_once();
	BigShard *b = new BigShard;
	char k[KLEN];
	b->s = shard_create(0);
	b->n = n;
	for (size_t i = 0; i < n; i++) {
		make_key(k, 'k', i);
		shard_set_local(b->s, k, KLEN, VAL, VLEN, 0, 0);
	}
	// The timed loops read keys from here sequentially: generating them
	// in the loop would cost as much as a cached lookup.
	b->keys.resize(n * KLEN);
	for (size_t i = 0; i < n; i++)
		make_key(&b->keys[i * KLEN], 'k', scatter(i, n));
	// finish any resize in progress so every size starts alike
	for (int i = 0; i < 100000; i++)
		shard_expire_step_local(b->s, 0, 1024);
	double payload = double(n) * (KLEN + VLEN);
	b->overhead = (double(shard_used_memory(b->s)) - payload) / double(n);
	b->item_overhead = (double(shard_used_memory(b->s) - shard_index_memory(b->s)) - payload) /
			   double(n);
	all.push_back(b);
	return b;
}

// Undo what the write benchmarks did, outside the timed loop.
void restore(BigShard *b)
{
	char k[KLEN];
	for (; b->added > 0; b->added--) {
		make_key(k, 'k', b->n + b->added - 1);
		shard_del_local(b->s, k, KLEN, 0);
	}
	for (uint64_t i : b->deleted)
		shard_set_local(b->s, &b->keys[i * KLEN], KLEN, VAL, VLEN, 0, 0);
	b->deleted.clear();
}

void report(benchmark::State &state, BigShard *b)
{
	state.counters["overhead_B"] = b->overhead;
	state.counters["item_hdr_B"] = b->item_overhead;
}

void BM_shard_get_hit(benchmark::State &state)
{
	BigShard *b = big_shard(size_t(state.range(0)));
	const char *keys = b->keys.data();
	size_t i = 0;
	restore(b);
	for (auto _ : state) {
		const char *k = keys + i * KLEN;
		i = i + 1 == b->n ? 0 : i + 1;
		benchmark::DoNotOptimize(shard_get_local(b->s, k, KLEN, 0));
	}
	report(state, b);
}
BENCHMARK(BM_shard_get_hit)->Arg(1000)->Arg(1000000)->Arg(10000000)->Apply(ss_fixed_iterations);

// A pipeline: before each GET, the bucket of the key 16 requests ahead
// and the item of the key 8 ahead are prefetched, so the misses overlap.
void BM_shard_get_hit_prefetch(benchmark::State &state)
{
	BigShard *b = big_shard(size_t(state.range(0)));
	const char *keys = b->keys.data();
	size_t i = 0, ahead = 16 % b->n, mid = 8 % b->n;
	restore(b);
	for (auto _ : state) {
		shard_prefetch(b->s, keys + ahead * KLEN, KLEN);
		shard_prefetch_item(b->s, keys + mid * KLEN, KLEN);
		ahead = ahead + 1 == b->n ? 0 : ahead + 1;
		mid = mid + 1 == b->n ? 0 : mid + 1;
		const char *k = keys + i * KLEN;
		i = i + 1 == b->n ? 0 : i + 1;
		benchmark::DoNotOptimize(shard_get_local(b->s, k, KLEN, 0));
	}
	report(state, b);
}
BENCHMARK(BM_shard_get_hit_prefetch)->Arg(1000000)->Arg(10000000);

// MGET's part on the owner (kop_str_mget): 16 keys per kop, which loads
// buckets and items a few keys ahead. Time per key (the counter), beside
// BM_shard_get_hit's one lookup after another. 65536 batches of keys in the
// scattered order are built once per size.
void BM_kop_mget(benchmark::State &state)
{
	constexpr size_t BATCH = 16, NBATCH = 65536;
	BigShard *b = big_shard(size_t(state.range(0)));
	std::vector<std::vector<char>> &v = b->mget_ops;
	restore(b);
	if (v.empty()) {
		v.resize(NBATCH);
		for (size_t i = 0; i < NBATCH; i++) {
			for (size_t j = 0; j < BATCH; j++) {
				uint32_t kl = KLEN, vl = 0;
				const char *k = &b->keys[((i * BATCH + j) % b->n) * KLEN];
				v[i].insert(v[i].end(), (const char *)&kl, (const char *)&kl + 4);
				v[i].insert(v[i].end(), k, k + KLEN);
				v[i].insert(v[i].end(), (const char *)&vl, (const char *)&vl + 4);
			}
		}
	}
	size_t i = 0;
	for (auto _ : state) {
		kop op{};
		kop_result res{};
		op.val.p = v[i].data();
		op.val.len = v[i].size();
		i = i + 1 == NBATCH ? 0 : i + 1;
		kop_str_mget(b->s, &op, &res, 0);
		benchmark::DoNotOptimize(res.val.p);
	}
	state.counters["ns_per_key"] = ss_time_per_item(BATCH);
	report(state, b);
}
BENCHMARK(BM_kop_mget)->Arg(1000000)->Arg(10000000);

void BM_shard_get_miss(benchmark::State &state)
{
	BigShard *b = big_shard(size_t(state.range(0)));
	char k[KLEN];
	const char *keys = b->keys.data();
	size_t i = 0;
	restore(b);
	for (auto _ : state) {
		memcpy(k, keys + i * KLEN, KLEN);
		k[0] = 'm';
		i = i + 1 == b->n ? 0 : i + 1;
		benchmark::DoNotOptimize(shard_get_local(b->s, k, KLEN, 0));
	}
	report(state, b);
}
BENCHMARK(BM_shard_get_miss)->Arg(1000)->Arg(1000000)->Arg(10000000)->Apply(ss_fixed_iterations);

// The read path other cores use (no access counted).
void BM_shard_get_rcu_hit(benchmark::State &state)
{
	BigShard *b = big_shard(size_t(state.range(0)));
	const char *keys = b->keys.data();
	size_t i = 0;
	restore(b);
	for (auto _ : state) {
		const char *k = keys + i * KLEN;
		i = i + 1 == b->n ? 0 : i + 1;
		benchmark::DoNotOptimize(shard_get_rcu(b->s, k, KLEN, 0));
	}
	report(state, b);
}
BENCHMARK(BM_shard_get_rcu_hit)->Arg(1000000)->Arg(10000000);

void BM_shard_set_overwrite(benchmark::State &state)
{
	BigShard *b = big_shard(size_t(state.range(0)));
	const char *keys = b->keys.data();
	size_t i = 0;
	restore(b);
	for (auto _ : state) {
		const char *k = keys + i * KLEN;
		i = i + 1 == b->n ? 0 : i + 1;
		benchmark::DoNotOptimize(shard_set_local(b->s, k, KLEN, VAL, VLEN, 0, 0));
	}
	report(state, b);
}
BENCHMARK(BM_shard_set_overwrite)->Arg(1000000)->Arg(10000000);

void BM_shard_set_new(benchmark::State &state)
{
	BigShard *b = big_shard(size_t(state.range(0)));
	char k[KLEN];
	restore(b);
	for (auto _ : state) {
		make_key(k, 'k', b->n + b->added++);
		benchmark::DoNotOptimize(shard_set_local(b->s, k, KLEN, VAL, VLEN, 0, 0));
	}
	report(state, b);
}
BENCHMARK(BM_shard_set_new)->Arg(1000000)->Arg(10000000);

// SETs of new keys from an empty shard to n keys, every resize on the way
// included: what growing costs per key, amortized. BM_shard_set_new sees
// only the resizes (if any) that fall within its own iterations.
void BM_shard_fill(benchmark::State &state)
{
	size_t n = size_t(state.range(0));
	char k[KLEN];

	storage_mem_once();
	for (auto _ : state) {
		shard *s = shard_create(0);
		for (size_t i = 0; i < n; i++) {
			make_key(k, 'f', i);
			shard_set_local(s, k, KLEN, VAL, VLEN, 0, 0);
		}
		state.PauseTiming();
		shard_destroy(s);
		state.ResumeTiming();
	}
	state.counters["ns_per_key"] = ss_time_per_item(double(n));
}
BENCHMARK(BM_shard_fill)->Arg(1000000)->Arg(10000000)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_shard_del(benchmark::State &state)
{
	BigShard *b = big_shard(size_t(state.range(0)));
	size_t i = 0;
	restore(b);
	b->deleted.reserve(size_t(state.max_iterations));
	for (auto _ : state) {
		const char *k = &b->keys[i++ * KLEN];
		benchmark::DoNotOptimize(shard_del_local(b->s, k, KLEN, 0));
		b->deleted.push_back(i - 1);
	}
	report(state, b);
}
// a fixed count, at most a fifth of the keys, so every delete hits
BENCHMARK(BM_shard_del)->Arg(1000000)->Iterations(200000);
BENCHMARK(BM_shard_del)->Arg(10000000)->Iterations(2000000);

// Memory back to the OS: resident size with 1M items, right after deleting
// them all, after the housekeeping steps that follow (which purge the arena
// after a mass delete, up to 2 s), and after an explicit purge. Run it
// alone: other benchmarks' shards stay resident.
long rss_bytes()
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f != nullptr) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * 4096;
}

void BM_shard_rss_after_delete(benchmark::State &state)
{
	storage_mem_once();
	char k[KLEN];
	for (auto _ : state) {
		long before = rss_bytes();
		shard *s = shard_create(0);
		for (uint64_t i = 0; i < 1000000; i++) {
			make_key(k, 'r', i);
			shard_set_local(s, k, KLEN, VAL, VLEN, 0, 0);
		}
		long full = rss_bytes();
		for (uint64_t i = 0; i < 1000000; i++) {
			make_key(k, 'r', i);
			shard_del_local(s, k, KLEN, 0);
		}
		for (int i = 0; i < 20000; i++)
			shard_expire_step_local(s, 0, 1024);
		long deleted = rss_bytes();
		// the housekeeping steps purge once retired memory is freed
		for (int i = 0; i < 2000 && rss_bytes() > before + (32 << 20); i++) {
			shard_expire_step_local(s, 0, 1024);
			struct timespec ts = { 0, 1000 * 1000 };
			nanosleep(&ts, nullptr);
		}
		long stepped = rss_bytes();
		mem_purge_local();
		long purged = rss_bytes();
		shard_destroy(s);
		state.counters["rss_before_MB"] = double(before) / 1e6;
		state.counters["rss_full_MB"] = double(full) / 1e6;
		state.counters["rss_deleted_MB"] = double(deleted) / 1e6;
		state.counters["rss_after_steps_MB"] = double(stepped) / 1e6;
		state.counters["rss_purged_MB"] = double(purged) / 1e6;
	}
}
BENCHMARK(BM_shard_rss_after_delete)->Iterations(1);

void kick(conn *, void *) {}

// The engine on one core, one worker: bytes in, reply bytes out (no I/O).
void BM_engine_resp_get(benchmark::State &state)
{
	ss_engine_start();
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
	ss_engine_stop();
}
BENCHMARK(BM_engine_resp_get)->Apply(ss_fixed_iterations);


// n keys of KLEN bytes with VLEN-byte values in worker 0's shard, aged past
// the expiry walk's first pass (as after a preload).
void fill_shard(size_t n)
{
	shard *s = storage_shard(0);
	char k[KLEN];
	for (size_t i = 0; i < n; i++) {
		make_key(k, 'k', i);
		shard_set_local(s, k, KLEN, VAL, VLEN, 0, 0);
	}
	for (int i = 0; i < 100000; i++)
		shard_expire_step_local(s, 0, 1024);
}

// Each iteration, the next of reqs as one read through the engine, its
// replies dropped; per_iteration items give the counter its unit.
void run_reads(benchmark::State &state, proto p, const std::vector<std::string> &reqs,
	       const char *counter, double per_iteration)
{
	conn *c = conn_create(p, 0, kick, nullptr);
	size_t r = 0;
	for (auto _ : state) {
		buf_append(conn_in(c), reqs[r].data(), reqs[r].size());
		r = r + 1 == reqs.size() ? 0 : r + 1;
		conn_process_local(c);
		buf_consume(conn_out(c), buf_len(conn_out(c)));
	}
	state.counters[counter] = ss_time_per_item(per_iteration);
	conn_release(c);
}

// 16 pipelined requests in one read, keys scattered over a keyspace of
// nkeys (32-byte values), every `set_every`-th a SET of the same size (0:
// GETs only). Time per request is the benchmark's counter.
std::vector<std::string> pipeline_reqs(bool resp, size_t n, size_t set_every)
{
	constexpr size_t DEPTH = 16, NREQ = 4096;
	std::vector<std::string> reqs(NREQ);
	char k[KLEN];
	for (size_t r = 0; r < NREQ; r++)
		for (size_t j = 0; j < DEPTH; j++) {
			size_t q = r * DEPTH + j;
			bool set = set_every != 0 && q % set_every == 0;
			make_key(k, 'k', scatter(q, n));
			if (resp)
				reqs[r] += std::string(set ? "*3\r\n$3\r\nSET" : "*2\r\n$3\r\nGET") +
					   "\r\n$" + std::to_string(KLEN) + "\r\n";
			else
				reqs[r] += set ? "set " : "get ";
			reqs[r].append(k, KLEN);
			if (set && resp)
				reqs[r] += "\r\n$" + std::to_string(VLEN) + "\r\n" + VAL;
			else if (set)
				reqs[r] += " 0 0 " + std::to_string(VLEN) + "\r\n" + VAL;
			reqs[r] += "\r\n";
		}
	return reqs;
}

// Args: protocol (0 RESP, 1 memcached text), keyspace; a fresh engine.
void run_pipeline16(benchmark::State &state, size_t set_every)
{
	const bool resp = state.range(0) == 0;
	const size_t n = size_t(state.range(1));
	ss_engine_start();
	fill_shard(n);
	run_reads(state, resp ? PROTO_RESP : PROTO_MEMCACHE, pipeline_reqs(resp, n, set_every),
		  "ns_per_request", 16);
	ss_engine_stop();
}

// A pipeline of 16 GETs in one read through the engine, keys scattered over
// a keyspace of Arg 1 keys (32-byte values); Arg 0: 0 RESP, 1 memcached
// text. Time per request (the counter): what pipeline 16 costs the engine
// once TCP is amortized. With 1M keys the requests cycle through 65,536 of
// them (4096 requests of 16), about 12 MB of buckets and items: past the
// L2, so a key waits on the L3 or DRAM unless the pipeline's keys are
// loaded ahead (conn_prefetch.c).
void BM_engine_get_pipeline16(benchmark::State &state)
{
	run_pipeline16(state, 0);
}
BENCHMARK(BM_engine_get_pipeline16)->Args({0, 1000})->Args({1, 1000})
	->Args({0, 1000000})->Args({1, 1000000})->Apply(ss_fixed_iterations);

// The same with every other request a SET (50/50): writes on a keyspace
// past the caches allocate, replace and free items as well as look up.
void BM_engine_mixed_pipeline16(benchmark::State &state)
{
	run_pipeline16(state, 2);
}
BENCHMARK(BM_engine_mixed_pipeline16)->Args({0, 1000})->Args({1, 1000})
	->Args({0, 1000000})->Args({1, 1000000})->Apply(ss_fixed_iterations);

// Writes through the engine, one worker: overwrites of one key by a
// 32-byte value, the write half of a 95/5 or 50/50 workload. Arg: 0 RESP
// SET, 1 memcached text set.
void BM_engine_set(benchmark::State &state)
{
	static const std::string reqs[] = {
		"*3\r\n$3\r\nSET\r\n$10\r\nkey:000042\r\n$32\r\n"
		"0123456789abcdef0123456789abcdef\r\n",
		"set key:000042 0 0 32\r\n0123456789abcdef0123456789abcdef\r\n",
	};
	ss_engine_start();
	run_reads(state, state.range(0) == 0 ? PROTO_RESP : PROTO_MEMCACHE,
		  {reqs[state.range(0)]}, "ns_per_request", 1);
	ss_engine_stop();
}
BENCHMARK(BM_engine_set)->Arg(0)->Arg(1)->Apply(ss_fixed_iterations);

// memcached's multi-key get through the engine, one worker: "get" with 16
// keys (14 bytes, 32-byte values) of a keyspace of Arg keys, scattered as
// above; time per key (the counter). With 10M keys the shard is far bigger
// than the caches and run_plan prefetches the keys ahead (CMD_PREFETCH).
void BM_engine_mc_multiget(benchmark::State &state)
{
	constexpr size_t BATCH = 16, NREQ = 65536;
	const size_t n = size_t(state.range(0));
	ss_engine_start();
	fill_shard(n);
	std::vector<std::string> reqs(NREQ);
	char k[KLEN];
	for (size_t r = 0; r < NREQ; r++) {
		reqs[r] = "get";
		for (size_t j = 0; j < BATCH; j++) {
			make_key(k, 'k', scatter(r * BATCH + j, n));
			reqs[r] += ' ';
			reqs[r].append(k, KLEN);
		}
		reqs[r] += "\r\n";
	}
	run_reads(state, PROTO_MEMCACHE, reqs, "ns_per_key", BATCH);
	ss_engine_stop();
}
BENCHMARK(BM_engine_mc_multiget)->Arg(1000)->Arg(10000000)->Apply(ss_fixed_iterations);

int discard(void *, const void *, size_t) { return 0; }

// The management core's share of a snapshot, per key: RDB encoding (the
// slip-mc AUX for flags and CAS, LZF over a 32 B value, CRC-64), output
// discarded. Arg 0: a RESP key (CAS only), 1: with memcached flags and a TTL.
void BM_rdb_writer_key(benchmark::State &state)
{
	rdb_writer *w = nullptr;
	rdb_aux aux;
	memset(&aux, 0, sizeof(aux));
	rdb_writer_begin(&w, discard, nullptr, &aux);
	char key[32] = "key:";
	const char val[] = "0123456789abcdef0123456789abcdef";
	rdb_key k;
	memset(&k, 0, sizeof(k));
	k.key = key;
	k.val = val;
	k.val_len = 32;
	k.expire_ms = state.range(0) ? 1900000000000LL : RDB_NO_EXPIRE;
	k.flags = state.range(0) ? 42 : 0;
	uint64_t i = 0;
	for (auto _ : state) {
		k.key_len = 4 + fmt_u64(key + 4, 1000000 + i % 1000000);
		k.cas = (++i << 7) | 1;
		benchmark::DoNotOptimize(rdb_writer_key(w, &k));
	}
	rdb_writer_end(w);
	rdb_writer_destroy(w);
}
BENCHMARK(BM_rdb_writer_key)->Arg(0)->Arg(1)->Apply(ss_fixed_iterations);

}  // namespace

BENCHMARK_MAIN();
