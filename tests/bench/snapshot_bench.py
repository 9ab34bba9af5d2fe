#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A snapshot of a large dataset (10 M keys by default) under load: how long
it takes, how fast it goes to disk, and what it does to the request path's
p99 latency, measured against the same load without a snapshot in the same
run.

Slipstream (io=kernel, one worker) runs pinned to SERVER_CPU, all its
threads there: the worker, the management thread that writes the file, and
the kernel's TCP. slipstream-loadgen runs on CLIENT_CPU, open loop at RATE
requests/s (95/5 GET/SET, 32 B values, uniform over every key), so latency
is measured from each request's intended send time and a stall cannot hide
as a lower rate. Each round measures one window without a snapshot and one
from just before a BGSAVE until the snapshot has ended (the load generator
is stopped with SIGINT then, and reports that window), so the whole window
is "during"; a baseline window is as long as the last snapshot took.
Rounds alternate the two, and the medians over ROUNDS are reported with
their ratio.

    make bench-snapshot        (or: tests/bench/snapshot_bench.py BUILD_DIR [OUT_DIR])

Environment: KEYS (10000000), RATE (50000), ROUNDS (5), SERVER_CPU (1),
CLIENT_CPU (0), DATA_SIZE (32), SERVERS ("slipstream redis"). Writes
OUT_DIR/snapshot.{md,json}.
"""
import datetime
import json
import os
import platform
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import free_port, stop, wait_port  # noqa: E402

KEYS = int(os.environ.get("KEYS", "10000000"))
RATE = int(os.environ.get("RATE", "50000"))
ROUNDS = int(os.environ.get("ROUNDS", "5"))
SERVER_CPU = os.environ.get("SERVER_CPU", "1")
CLIENT_CPU = os.environ.get("CLIENT_CPU", "0")
DATA_SIZE = int(os.environ.get("DATA_SIZE", "32"))
SERVERS = os.environ.get("SERVERS", "slipstream redis").split()
CONNS = 16


def call(port, *args):
    """One RESP command over a fresh socket; the reply's first line (and,
    for a bulk string, its body)."""
    req = b"*%d\r\n" % len(args) + b"".join(
        b"$%d\r\n%s\r\n" % (len(a), a) for a in (x.encode() for x in args))
    with socket.create_connection(("127.0.0.1", port), timeout=60) as c:
        c.sendall(req)
        got = b""
        while b"\r\n" not in got:
            got += c.recv(65536)
        head = got[:got.index(b"\r\n")]
        if head.startswith(b"$"):
            n = int(head[1:])
            while len(got) < len(head) + 2 + n + 2:
                got += c.recv(65536)
            return got[len(head) + 2:len(head) + 2 + n].decode()
        return head.decode()


def info(port):
    return dict(line.split(":", 1) for line in call(port, "INFO", "persistence").split("\r\n")
                if ":" in line)


def loadgen(lg, port, argv_extra, timeout):
    argv = ["taskset", "-c", CLIENT_CPU, lg, "--server", "127.0.0.1", "--port", str(port),
            "--protocol", "redis", "--threads", "1", "--key-count", str(KEYS),
            "--data-size", str(DATA_SIZE), "--json", *argv_extra]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0 or not out.stdout.startswith("{"):
        raise RuntimeError(f"{shlex.join(argv)}: exit {out.returncode}: {out.stderr.strip()}")
    return json.loads(out.stdout), shlex.join(argv)


def open_loop(lg, port, seconds):
    return loadgen(lg, port, ["--connections", str(CONNS), "--pipeline", "1",
                              "--ratio", "1:19", "--rate", str(RATE),
                              "--test-time", f"{seconds:.2f}", "--warmup", "0"],
                   timeout=seconds + 120)


def snapshot_window(lg, port):
    """The load from just before a BGSAVE until the snapshot has ended (the
    load generator is stopped with SIGINT then, and reports that window);
    returns its report and the snapshot's length, measured by polling."""
    before = info(port)["rdb_last_save_time"]
    proc = subprocess.Popen(
        ["taskset", "-c", CLIENT_CPU, lg, "--server", "127.0.0.1", "--port", str(port),
         "--protocol", "redis", "--threads", "1", "--key-count", str(KEYS),
         "--data-size", str(DATA_SIZE), "--json", "--connections", str(CONNS),
         "--pipeline", "1", "--ratio", "1:19", "--rate", str(RATE),
         "--test-time", "3600", "--warmup", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.2)   # the load is on before the snapshot begins
        t0 = time.monotonic()
        assert call(port, "BGSAVE") == "+Background saving started"
        # Ended: not in progress after having been, or a new LASTSAVE (Redis
        # counts rdb_saves at the fork, Slipstream at the end: not usable).
        seen = False
        while True:
            st = info(port)
            if st["rdb_bgsave_in_progress"] == "1":
                seen = True
            elif seen or st["rdb_last_save_time"] != before:
                break
            if time.monotonic() - t0 > 600:
                raise TimeoutError("snapshot")
            time.sleep(0.01)
        took = time.monotonic() - t0
        proc.send_signal(signal.SIGINT)   # the window ends with the snapshot
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode not in (0, 130) or not out.startswith("{"):
        raise RuntimeError(f"loadgen exit {proc.returncode}: {err.strip()}")
    st = info(port)
    if st["rdb_last_bgsave_status"] != "ok":
        raise RuntimeError(f"snapshot failed: {st}")
    return json.loads(out), took


def measure(lg, name, port, tmp, log):
    """Preload, one snapshot to size the window, then ROUNDS rounds of
    (without, during). Returns the server's results."""
    t0 = time.monotonic()
    # sequential: every key once, KEYS/16 requests per connection
    _, pre_cmd = loadgen(lg, port, ["--connections", "16", "--pipeline", "64",
                                    "--ratio", "1:0", "--key-pattern", "sequential",
                                    "--requests", str(-(-KEYS // 16))],
                         timeout=3600)
    log(f"{name}: loaded {KEYS} keys in {time.monotonic() - t0:.1f} s")
    dbsize = int(call(port, "DBSIZE")[1:])
    assert dbsize == KEYS, dbsize
    used = int(dict(line.split(":", 1) for line in call(port, "INFO", "memory").split("\r\n")
                    if ":" in line)["used_memory"])
    _, first = snapshot_window(lg, port)
    window = max(2.0, first)   # the first baseline's length; then each snapshot's
    size = os.path.getsize(os.path.join(tmp, "dump.rdb"))
    log(f"{name}: first snapshot {first:.2f} s, {size} bytes; window {window:.2f} s")
    return {"pre_cmd": pre_cmd, "used_memory": used, "rdb_bytes": size, "window_s": window,
            "rounds": []}


def cpu_ticks():
    """(steal, total) jiffies of all CPUs, from /proc/stat: on a virtual
    machine, time the hypervisor gave our CPUs to someone else."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return v[7] if len(v) > 7 else 0, sum(v)


def steal_pct(a, b):
    return 100.0 * (b[0] - a[0]) / max(1, b[1] - a[1])


def round_of(lg, name, port, res, log):
    t0 = cpu_ticks()
    base, base_cmd = open_loop(lg, port, res["window_s"])
    t1 = cpu_ticks()
    during, took = snapshot_window(lg, port)
    t2 = cpu_ticks()
    res["window_s"] = max(2.0, took)   # the next baseline as long as this snapshot
    res["load_cmd"] = base_cmd
    res["rounds"].append({"without": base, "during": during, "snapshot_s": took,
                          "steal_without_pct": steal_pct(t0, t1),
                          "steal_during_pct": steal_pct(t1, t2)})
    log(f"{name}: p99 without {base['latency_us']['p99']:.0f} us, during "
        f"{during['latency_us']['p99']:.0f} us; snapshot {took:.2f} s; steal "
        f"{steal_pct(t0, t1):.1f} / {steal_pct(t1, t2):.1f} %")


def summary(res):
    med = statistics.median
    rounds = res["rounds"]
    out = {k: res[k] for k in ("used_memory", "rdb_bytes", "window_s")}
    out["snapshot_s"] = med(r["snapshot_s"] for r in rounds)
    out["bytes_per_s"] = res["rdb_bytes"] / out["snapshot_s"]
    for q in ("p50", "p99", "p99.9", "max"):
        out[f"{q}_without_us"] = med(r["without"]["latency_us"][q] for r in rounds)
        out[f"{q}_during_us"] = med(r["during"]["latency_us"][q] for r in rounds)
    out["ops_without"] = med(r["without"]["ops_per_sec"] for r in rounds)
    out["ops_during"] = med(r["during"]["ops_per_sec"] for r in rounds)
    out["errors"] = sum(r[k]["errors"] + r[k]["connection_errors"]
                        for r in rounds for k in ("without", "during"))
    out["p99_ratio"] = out["p99_during_us"] / out["p99_without_us"]
    out["runs"] = [{"snapshot_s": r["snapshot_s"],
                    "p99_without_us": r["without"]["latency_us"]["p99"],
                    "p99_during_us": r["during"]["latency_us"]["p99"],
                    "steal_without_pct": r["steal_without_pct"],
                    "steal_during_pct": r["steal_during_pct"]} for r in rounds]
    return out


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    out_dir = sys.argv[2] if len(sys.argv) > 2 else "docs/bench"
    lg = os.path.join(build, "tests/bench/loadgen/slipstream-loadgen")
    servers = []   # name, argv, port, dir, proc

    def log(msg):
        print(msg, flush=True)

    try:
        for name in SERVERS:
            tmp = tempfile.mkdtemp(prefix=f"ss-snap-{name}-")
            port = free_port()
            if name == "slipstream":
                argv = [os.path.join(build, "slipstream"), "--io", "kernel", "--workers", "1",
                        "--bind", "127.0.0.1", "--port", str(port), "--memcache-port", "0",
                        "--metrics-port", "0", "--dir", tmp, "--save", "",
                        "--loglevel", "warning"]
            else:
                argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                        "--save", "", "--appendonly", "no", "--dir", tmp,
                        "--loglevel", "warning"]
            proc = subprocess.Popen(["taskset", "-c", SERVER_CPU, *argv],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            servers.append({"name": name, "argv": argv, "port": port, "dir": tmp,
                            "proc": proc})
            wait_port(port, proc)
        for sv in servers:
            sv["res"] = measure(lg, sv["name"], sv["port"], sv["dir"], log)
        for _ in range(ROUNDS):   # interleaved: noise spreads over both
            for sv in servers:
                round_of(lg, sv["name"], sv["port"], sv["res"], log)
    finally:
        for sv in servers:
            stop(sv["proc"])
            for f in os.listdir(sv["dir"]):
                os.unlink(os.path.join(sv["dir"], f))
            os.rmdir(sv["dir"])

    res = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} CPUs, {platform.platform()}",
        "keys": KEYS, "data_size": DATA_SIZE, "rate": RATE, "rounds": ROUNDS,
        "servers": {sv["name"]: summary(sv["res"]) for sv in servers},
        "commands": {**{sv["name"]: f"taskset -c {SERVER_CPU} {shlex.join(sv['argv'])}"
                        for sv in servers},
                     "preload": servers[0]["res"]["pre_cmd"],
                     "load": servers[0]["res"]["load_cmd"] + "  (during: the same with --test-time 3600, BGSAVE, SIGINT when the snapshot has ended)"},
    }
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "snapshot.json"), "w") as f:
        json.dump(res, f, indent=1)
    md = [f"Snapshot (BGSAVE) of {KEYS:,} keys ({DATA_SIZE} B values) under {RATE:,} "
          f"requests/s open loop, 95/5 GET/SET, {CONNS} connections; medians of {ROUNDS} "
          f"rounds, {res['date']}, {res['machine']}. Each server on CPU {SERVER_CPU} "
          f"(all its threads, and Redis's fork child), the load on CPU {CLIENT_CPU}.", "",
          "| server | used_memory | snapshot | RDB file | to disk | p50 without / during "
          "| p99 without / during | p99 ratio | p99.9 without / during | errors |",
          "|---|---|---|---|---|---|---|---|---|---|"]
    for name, x in res["servers"].items():
        md.append(f"| {name} | {x['used_memory'] / 2**20:.0f} MiB | {x['snapshot_s']:.2f} s "
                  f"| {x['rdb_bytes'] / 2**20:.0f} MiB | {x['bytes_per_s'] / 2**20:.0f} MiB/s "
                  f"| {x['p50_without_us']:.0f} / {x['p50_during_us']:.0f} µs "
                  f"| {x['p99_without_us']:.0f} / {x['p99_during_us']:.0f} µs "
                  f"| **{x['p99_ratio']:.2f}x** "
                  f"| {x['p99.9_without_us']:.0f} / {x['p99.9_during_us']:.0f} µs "
                  f"| {x['errors']} |")
    md += ["", "Per round (snapshot s, p99 µs without, during, CPU steal % without, during: "
           "time the hypervisor took from this virtual machine's CPUs):", ""]
    md += [f"- {name}: " + "; ".join(f"{r['snapshot_s']:.2f}, {r['p99_without_us']:.0f}, "
                                     f"{r['p99_during_us']:.0f}, {r['steal_without_pct']:.1f}, "
                                     f"{r['steal_during_pct']:.1f}" for r in x["runs"])
           for name, x in res["servers"].items()]
    md += ["", "Commands:", ""]
    md += [f"- {k}: `{v}`" for k, v in res["commands"].items()]
    with open(os.path.join(out_dir, "snapshot.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
