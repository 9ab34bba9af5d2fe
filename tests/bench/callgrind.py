#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Instructions per operation of the micro-benchmarks, counted by valgrind's
callgrind: repeatable where timings on a shared machine are not.

Each benchmark runs twice under callgrind for a fixed number of iterations
(SS_BENCH_ITERATIONS: no calibration runs); the instructions per iteration
are the difference of the two runs' totals over the difference of their
iteration counts, so start-up and set-up cancel out.
Benchmarks whose set-up is millions of keys are left out (minutes under
valgrind, and their cost is cache misses, which instructions do not show).

    make bench-callgrind      (or: tests/bench/callgrind.py BUILD_DIR [OUT_DIR])

Writes OUT_DIR/callgrind.md and .json.
"""
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile

BENCHMARKS = [
    ("BM_resp_parse_set", "RESP parser: one SET with a 32 B value"),
    ("BM_mc_parse_get", "memcached parser: one get"),
    ("BM_mc_parse_set", "memcached parser: one set with a 32 B value"),
    ("BM_mc_parse_meta_get", "memcached parser: one meta get (mg with v f t)"),
    ("BM_slot_of_key", "key to slot (hash)"),
    ("BM_shard_get_hit/1000", "shard GET hit, 1k keys"),
    ("BM_shard_get_miss/1000", "shard GET miss, 1k keys"),
    ("BM_engine_resp_get", "engine: RESP GET request bytes to reply bytes, one core"),
    ("BM_engine_get_pipeline16/0/1000", "engine: 16 pipelined RESP GETs in one read (per iteration: 16 requests)"),
    ("BM_engine_get_pipeline16/1/1000", "engine: 16 pipelined memcached gets in one read (per iteration: 16 requests)"),
    ("BM_engine_mixed_pipeline16/0/1000", "engine: 16 pipelined RESP requests, every other one a SET (per iteration: 16 requests)"),
    ("BM_engine_mixed_pipeline16/1/1000", "engine: 16 pipelined memcached requests, every other one a set (per iteration: 16 requests)"),
    ("BM_engine_set/0", "engine: RESP SET, 32 B value, overwriting a key"),
    ("BM_engine_set/1", "engine: memcached set, 32 B value, overwriting a key"),
    ("BM_steer_engine_get/0", "engine GET, key on this worker"),
    ("BM_steer_engine_get/1", "engine GET, another worker's key read under RCU"),
    ("BM_steer_engine_get/2", "engine GET, another worker's key by message"),
    ("BM_rdb_writer_key/0", "snapshot: RDB encoding of one key (CAS AUX, LZF)"),
    ("BM_packet_get", "request path, packet in to packet out: TCP segment with a GET to the reply segment"),
]
ITERATIONS = (2000, 22000)


def run(bench_bin, name, iters, tmp):
    out = os.path.join(tmp, "cg.out")
    js = os.path.join(tmp, "bm.json")
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", bench_bin,
           f"--benchmark_filter=^{re.escape(name)}(/iterations:[0-9]+)?$",
           "--benchmark_format=json", f"--benchmark_out={js}"]
    subprocess.run(cmd, capture_output=True, timeout=1800, check=True,
                   env={**os.environ, "SS_BENCH_ITERATIONS": str(iters)})
    with open(js) as f:
        runs = json.load(f)["benchmarks"]
    if not runs:
        raise RuntimeError(f"{name}: not found")
    iters = runs[0]["iterations"]
    with open(out) as f:
        total = next(int(line.split()[1]) for line in f if line.startswith("summary:"))
    return iters, total


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    out_dir = sys.argv[2] if len(sys.argv) > 2 else "docs/bench"
    bench_bin = os.path.join(build, "tests/bench/slipstream_bench")
    listed = subprocess.run([bench_bin, "--benchmark_list_tests"], capture_output=True,
                            text=True, check=True).stdout.split()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, what in BENCHMARKS:
            if name not in listed:
                print(f"{name}: not built, left out", flush=True)
                continue
            (i0, t0), (i1, t1) = (run(bench_bin, name, n, tmp) for n in ITERATIONS)
            per = (t1 - t0) / (i1 - i0)
            rows.append({"benchmark": name, "what": what, "instructions": round(per),
                         "iterations": [i0, i1]})
            print(f"{name}: {per:.0f} instructions per iteration ({i0} and {i1} iterations)",
                  flush=True)
    res = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "method": "valgrind --tool=callgrind, two runs of "
                     f"{' and '.join(map(str, ITERATIONS))} iterations, "
                     "(Ir1 - Ir0) / (iterations1 - iterations0)",
           "rows": rows}
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "callgrind.json"), "w") as f:
        json.dump(res, f, indent=1)
    md = [f"Instructions per operation, {res['date']} ({res['method']}):", "",
          "| benchmark | what | instructions |", "|---|---|---|"]
    md += [f"| `{r['benchmark']}` | {r['what']} | {r['instructions']:,} |" for r in rows]
    with open(os.path.join(out_dir, "callgrind.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
