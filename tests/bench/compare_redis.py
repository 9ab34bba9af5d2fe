#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Side by side on this machine, in one run: Slipstream (io=kernel) and
Debian's redis-server under the same redis-benchmark workloads. The server is
pinned to one core and the client to the other; each case runs RUNS times
and the median is reported with its ratio to Redis measured in the same run.

    make compare            (or: tests/bench/compare_redis.py BUILD_DIR)
"""
import csv
import io
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = int(os.environ.get("RUNS", "3"))
REQUESTS = int(os.environ.get("REQUESTS", "200000"))
CASES = [  # (name, redis-benchmark test, pipeline)
    ("SET P1", "set", 1), ("GET P1", "get", 1),
    ("SET P16", "set", 16), ("GET P16", "get", 16),
]
SERVER_CPU, CLIENT_CPU = "1", "0"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "server exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(port)


def bench(port, test, pipeline):
    out = subprocess.run(
        ["taskset", "-c", CLIENT_CPU, "redis-benchmark", "-h", "127.0.0.1", "-p", str(port),
         "-t", test, "-n", str(REQUESTS), "-c", "64", "-P", str(pipeline), "-d", "32",
         "-r", "100000", "--csv"], capture_output=True, text=True, timeout=600, check=True).stdout
    row = next(r for r in csv.DictReader(io.StringIO(out)))
    return float(row["rps"]), float(row["p50_latency_ms"]), float(row["p99_latency_ms"])


def run_server(argv, port):
    proc = subprocess.Popen(["taskset", "-c", SERVER_CPU, *argv],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, proc)
    return proc


def stop(proc):
    os.kill(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    tmp = tempfile.mkdtemp(prefix="ss-compare-")
    servers = {
        "redis": lambda p: ["redis-server", "--port", str(p), "--bind", "127.0.0.1",
                            "--save", "", "--appendonly", "no", "--dir", tmp],
        "slipstream": lambda p: [os.path.join(build, "slipstream"), "--port", str(p),
                                 "--memcache-port", "0", "--metrics-port", "0",
                                 "--workers", "1", "--dir", tmp, "--loglevel", "warning"],
    }
    results = {}
    for name, argv in servers.items():
        port = free_port()
        proc = run_server(argv(port), port)
        try:
            for case, test, pipeline in CASES:
                runs = [bench(port, test, pipeline) for _ in range(RUNS)]
                results[(name, case)] = tuple(statistics.median(r[i] for r in runs)
                                              for i in range(3))
        finally:
            stop(proc)
    print(f"redis-benchmark -c 64 -d 32 -r 100000 -n {REQUESTS}; server on CPU {SERVER_CPU}, "
          f"client on CPU {CLIENT_CPU}; median of {RUNS} runs")
    print(f"{'case':<9} {'server':<11} {'ops/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'vs redis':>8}")
    for case, _, _ in CASES:
        base = results[("redis", case)][0]
        for name in servers:
            rps, p50, p99 = results[(name, case)]
            print(f"{case:<9} {name:<11} {rps:>10.0f} {p50:>7.3f} {p99:>7.3f} {rps / base:>8.2f}")


if __name__ == "__main__":
    main()
