#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Side by side on this machine, in one run: Slipstream (io=kernel, one
worker), memcached -t 1 and redis-server (Debian's), under the same
slipstream-loadgen workloads; as root also Slipstream io=dpdk (one worker) on
a net_memif in server role, loaded by slipstream-loadgen --transport dpdk (its
own TCP stack on a memif client: no kernel on the path). Every server is
pinned to one CPU and the load generator (one thread) to the other. Each cell is run RUNS times, the runs of
all servers interleaved so that noise on this shared machine spreads over all
of them, and the medians are reported with their ratio to memcached and to
Redis from the same run. An open-loop sweep then measures latency against
offered load. Writes docs/bench/{results.md,results.json,throughput.png,latency.png}.

    make compare            (or: tests/bench/compare.py BUILD_DIR [OUT_DIR])

Environment: RUNS (3), TEST_TIME (4 s), WARMUP (1 s), SWEEP_TIME (3 s),
SERVER_CPU (1), CLIENT_CPU (0).
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

RUNS = int(os.environ.get("RUNS", "3"))
TEST_TIME = float(os.environ.get("TEST_TIME", "4"))
WARMUP = float(os.environ.get("WARMUP", "1"))
SWEEP_TIME = float(os.environ.get("SWEEP_TIME", "3"))
SERVER_CPU = os.environ.get("SERVER_CPU", "1")
CLIENT_CPU = os.environ.get("CLIENT_CPU", "0")
KEYS, CONNS, SIZE = 100000, 64, 32
WORKLOADS = [("95/5", "1:19"), ("50/50", "1:1")]   # GET/SET share, loadgen's --ratio SET:GET
PIPELINES = [1, 16]
SWEEP_FRACTIONS = [0.2, 0.4, 0.6, 0.8, 0.9]
DPDK_NOTE = "needs root (the DPDK EAL)"
DPDK_IP = "198.18.0.2"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"port {port}")


def stop(proc):
    """By PID: SIGTERM, then SIGKILL if it does not go."""
    if proc.poll() is not None:
        return
    os.kill(proc.pid, signal.SIGCONT)   # a paused one must run to see SIGTERM
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def version(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


class Target:
    """One (server, protocol) column: what the load generator connects to,
    and how (transport options). A target with a `paused` server process is
    resumed for its own runs only (see start_servers)."""

    def __init__(self, name, protocol, port, server="127.0.0.1", transport=(), paused=None):
        self.name, self.protocol, self.port = name, protocol, port
        self.server, self.transport, self.paused = server, list(transport), paused


def loadgen(lg, target, ratio, pipeline, extra=(), seconds=TEST_TIME, warmup=WARMUP):
    if target.paused is not None:
        if target.paused.poll() is None:   # gone: the refusal below says so
            os.kill(target.paused.pid, signal.SIGCONT)
        try:
            return _loadgen(lg, target, ratio, pipeline, extra, seconds, warmup)
        except RuntimeError as e:
            # A refused memif connection is usually the appliance gone:
            # DPDK 22.11's memif PMD unmaps the shared regions when a client
            # leaves without stopping the worker's bursts on them, which
            # can crash the worker (a segfault in librte_net_memif).
            if target.paused.poll() is not None:
                raise RuntimeError(f"the io=dpdk appliance exited ({target.paused.returncode}) "
                                   f"after a memif client left: {e}") from None
            raise
        finally:
            # the last FINs and the memif disconnect, then freeze
            time.sleep(0.5)
            if target.paused.poll() is None:
                os.kill(target.paused.pid, signal.SIGSTOP)
    return _loadgen(lg, target, ratio, pipeline, extra, seconds, warmup)


def _loadgen(lg, target, ratio, pipeline, extra, seconds, warmup):
    argv = ["taskset", "-c", CLIENT_CPU, lg, *target.transport, "--server", target.server,
            "--port", str(target.port), "--protocol", target.protocol,
            "--connections", str(CONNS), "--threads", "1", "--pipeline", str(pipeline),
            "--ratio", ratio, "--key-count", str(KEYS), "--data-size", str(SIZE),
            "--json", *extra]
    if "--requests" not in extra:
        argv += ["--test-time", str(seconds), "--warmup", str(warmup)]
    for attempt in range(5):
        out = subprocess.run(argv, capture_output=True, text=True,
                             timeout=seconds + warmup + 60)
        # Refused: the appliance may still be letting the previous memif
        # client go; measured nothing, so try again. Not when it is gone
        # (loadgen() says why): no retry brings it back.
        if out.returncode == 0 or "no memif server on the socket" not in out.stderr:
            break
        if target.paused is not None and target.paused.poll() is not None:
            break
        print(f"  the memif connection was refused (attempt {attempt + 1} of 5), retrying",
              flush=True)
        time.sleep(2)
    if out.returncode != 0 or not out.stdout.startswith("{"):
        raise RuntimeError(f"{shlex.join(argv)}: exit {out.returncode}: {out.stderr.strip()}")
    res = json.loads(out.stdout)
    if res["errors"] or res["connection_errors"]:
        # Kept, and shown in the table: a busy shared machine can stall a
        # server past the drain time; the run's numbers are still what happened.
        print(f"  errors in the run ({res['errors']} replies, {res['connection_errors']} "
              f"connections): {res['first_error']}", flush=True)
    return res


def start_servers(build, tmp):
    procs, targets = [], []
    slip_port, slip_mc = free_port(), free_port()
    mc_port, redis_port = free_port(), free_port()
    user = ["-u", "root"] if os.geteuid() == 0 else []   # memcached refuses root without it
    cmds = [
        ([os.path.join(build, "slipstream"), "--io", "kernel", "--workers", "1",
          "--bind", "127.0.0.1", "--port", str(slip_port), "--memcache-port", str(slip_mc),
          "--metrics-port", "0", "--dir", tmp, "--loglevel", "warning"], [slip_port, slip_mc]),
        (["memcached", "-t", "1", "-l", "127.0.0.1", "-p", str(mc_port), "-U", "0",
          "-m", "1024", "-c", "1024", *user], [mc_port]),
        (["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
          "--appendonly", "no", "--dir", tmp, "--maxclients", "1024"], [redis_port]),
    ]
    dpdk = None
    if os.geteuid() == 0:
        # io=dpdk: both EAL lcores (management, the worker) on the server
        # CPU; the worker busy-polls (idle-sleep-us 0) as on a dedicated
        # core, and the process is stopped (SIGSTOP) whenever another
        # server is measured, so that its polling takes nothing from them.
        tag = f"{os.getpid()}"
        sock = f"/run/slipstream-memif-cmp{tag}.sock"
        dpdk = ([os.path.join(build, "slipstream"), "--io", "dpdk", "--workers", "1",
                 "--idle-sleep-us", "0", "--ip", DPDK_IP, "--netmask", "255.255.255.0",
                 "--port", "6379", "--memcache-port", "11211", "--metrics-port", "0",
                 "--dir", tmp, "--loglevel", "notice",
                 "--dpdk-args", f"--no-huge -m 512 --no-pci --file-prefix sscmp{tag} "
                                f"--log-level=error --lcores=0@{SERVER_CPU},1@{SERVER_CPU} "
                                f"--vdev=net_memif0,role=server,socket={sock}"], sock, tag)
    try:
        for argv, ports in cmds:
            p = subprocess.Popen(["taskset", "-c", SERVER_CPU, *argv],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(p)
            for port in ports:
                wait_port(port, p)
        if dpdk is not None:
            log = os.path.join(tmp, "dpdk.log")
            p = subprocess.Popen(["taskset", "-c", SERVER_CPU, *dpdk[0]],
                                 stdout=open(log, "w"), stderr=subprocess.STDOUT)
            procs.append(p)
            deadline = time.monotonic() + 20
            while "Dataplane ready" not in open(log).read():
                if p.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("io=dpdk on memif did not start: " + open(log).read())
                time.sleep(0.05)
            os.kill(p.pid, signal.SIGSTOP)
    except Exception:
        for p in procs:
            stop(p)
        raise
    targets = [Target("slipstream (memcache)", "memcache_text", slip_mc),
               Target("slipstream (redis)", "redis", slip_port),
               Target("memcached", "memcache_text", mc_port),
               Target("redis", "redis", redis_port)]
    commands = [shlex.join(a) for a, _ in cmds]
    if dpdk is not None:
        argv, sock, tag = dpdk
        lg_dpdk = ["--transport", "dpdk", "--dpdk-ip", "198.18.0.1/24", "--dpdk-args",
                   f"--no-huge -m 512 --no-pci --file-prefix lgcmp{tag} --log-level=error "
                   f"--vdev=net_memif0,role=client,socket={sock},rsize=12"]
        targets += [Target("slipstream io=dpdk memif (memcache)", "memcache_text", 11211,
                           DPDK_IP, lg_dpdk, procs[-1]),
                    Target("slipstream io=dpdk memif (redis)", "redis", 6379,
                           DPDK_IP, lg_dpdk, procs[-1])]
        commands.append(shlex.join(argv) + "  (loadgen: " + shlex.join(lg_dpdk) + ")")
    return procs, targets, commands


def median_of(runs, key):
    return statistics.median(r[key] for r in runs)


def summarize(runs):
    return {"ops_per_sec": median_of(runs, "ops_per_sec"),
            "p50_us": statistics.median(r["latency_us"]["p50"] for r in runs),
            "p99_us": statistics.median(r["latency_us"]["p99"] for r in runs),
            "hit_ratio": statistics.median(r["hits"] / max(1, r["gets"]) for r in runs),
            "errors": sum(r["errors"] + r["connection_errors"] for r in runs),
            "runs": [{"ops_per_sec": r["ops_per_sec"], "p50_us": r["latency_us"]["p50"],
                      "p99_us": r["latency_us"]["p99"]} for r in runs]}


def table(cells, targets):
    lines = ["| workload GET/SET | pipeline | server | ops/s | p50 µs | p99 µs "
             "| vs memcached | vs Redis |", "|---|---|---|---|---|---|---|---|"]
    for wname, _ in WORKLOADS:
        for pipe in PIPELINES:
            base_mc = cells[(wname, pipe, "memcached")]["ops_per_sec"]
            base_rd = cells[(wname, pipe, "redis")]["ops_per_sec"]
            for t in targets:
                c = cells[(wname, pipe, t.name)]
                err = f" ({c['errors']} errors)" if c["errors"] else ""
                lines.append(f"| {wname} | {pipe} | {t.name}{err} | {c['ops_per_sec']:,.0f} "
                             f"| {c['p50_us']:.0f} | {c['p99_us']:.0f} "
                             f"| {c['ops_per_sec'] / base_mc:.2f} "
                             f"| {c['ops_per_sec'] / base_rd:.2f} |")
            if not any("io=dpdk" in t.name for t in targets):
                lines.append(f"| {wname} | {pipe} | slipstream io=dpdk (memif) | {DPDK_NOTE} "
                             "| | | | |")
    return lines


def plots(cells, sweep, targets, out):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("python3-matplotlib is missing: no plots")
        return []
    names = [t.name for t in targets]
    groups = [(w, p) for w, _ in WORKLOADS for p in PIPELINES]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / len(names)
    for i, n in enumerate(names):
        vals = [cells[(w, p, n)]["ops_per_sec"] / 1000 for w, p in groups]
        bars = ax.bar([g + i * width for g in range(len(groups))], vals, width, label=n)
        ax.bar_label(bars, fmt="%.0f", fontsize=7)
    ax.set_xticks([g + width * (len(names) - 1) / 2 for g in range(len(groups))])
    ax.set_xticklabels([f"{w} GET/SET\npipeline {p}" for w, p in groups])
    ax.set_ylabel("k ops/s (median of %d)" % RUNS)
    ax.set_title("Throughput, one server core, 64 connections, 32 B values, 100k keys")
    ax.legend(fontsize=8)
    fig.tight_layout()
    tp = os.path.join(out, "throughput.png")
    fig.savefig(tp, dpi=110)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for n in names:
        pts = sweep[n]
        xs = [p["ops_per_sec"] / 1000 for p in pts]
        line, = ax.plot(xs, [p["p99_us"] for p in pts], marker="o", label=f"{n} p99")
        ax.plot(xs, [p["p50_us"] for p in pts], marker=".", linestyle="--",
                color=line.get_color(), label=f"{n} p50")
    ax.set_yscale("log")
    ax.set_xlabel("achieved k ops/s (open loop at 20..90% of each server's peak)")
    ax.set_ylabel("latency µs, from the intended send time")
    ax.set_title("Latency vs offered load, 95/5 GET/SET, pipeline 1, 64 connections")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    lp = os.path.join(out, "latency.png")
    fig.savefig(lp, dpi=110)
    plt.close(fig)
    return [tp, lp]


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    out = sys.argv[2] if len(sys.argv) > 2 else "docs/bench"
    lg = os.path.join(build, "tests/bench/loadgen/slipstream-loadgen")
    os.makedirs(out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="ss-compare-")
    t_start = time.monotonic()
    procs, targets, server_cmds = start_servers(build, tmp)
    cells, sweep = {}, {}
    try:
        # Preload every key once, so GETs hit (each Slipstream's two ports share
        # one keyspace: its memcache target is skipped).
        for t in targets:
            if t.name.startswith("slipstream") and t.name.endswith("(memcache)"):
                continue
            loadgen(lg, t, "1:0", 16, extra=["--key-pattern", "sequential",
                                             "--requests", str(-(-KEYS // CONNS))])
        runs = {}
        for r in range(RUNS):
            for wname, ratio in WORKLOADS:
                for pipe in PIPELINES:
                    for t in targets:
                        res = loadgen(lg, t, ratio, pipe, extra=["--seed", str(r + 1)])
                        runs.setdefault((wname, pipe, t.name), []).append(res)
                        print(f"run {r + 1}/{RUNS} {wname:>5} P{pipe:<2} {t.name:<36} "
                              f"{res['ops_per_sec']:>11,.0f} ops/s  p99 "
                              f"{res['latency_us']['p99']:>8.0f} µs", flush=True)
        cells = {k: summarize(v) for k, v in runs.items()}
        # Open loop: fractions of each one's own peak (95/5, pipeline 1).
        for t in targets:
            peak = cells[("95/5", 1, t.name)]["ops_per_sec"]
            sweep[t.name] = []
            for f in SWEEP_FRACTIONS:
                res = loadgen(lg, t, "1:19", 1, extra=["--rate", f"{f * peak:.0f}"],
                              seconds=SWEEP_TIME, warmup=0.5)
                sweep[t.name].append({"fraction": f, "offered": f * peak,
                                      "ops_per_sec": res["ops_per_sec"],
                                      "p50_us": res["latency_us"]["p50"],
                                      "p99_us": res["latency_us"]["p99"],
                                      "p999_us": res["latency_us"]["p99.9"],
                                      "errors": res["errors"] + res["connection_errors"]})
                print(f"open loop {t.name:<36} {f:.0%} of peak: {res['ops_per_sec']:>10,.0f} "
                      f"ops/s  p50 {res['latency_us']['p50']:.0f} µs  p99 "
                      f"{res['latency_us']['p99']:.0f} µs", flush=True)
    finally:
        for p in procs:
            stop(p)
    elapsed = time.monotonic() - t_start
    cpu = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    machine = (f"{cpu}, {os.cpu_count()} CPUs, Linux {platform.release()}; "
               f"{version(['memcached', '-V'])}; {version(['redis-server', '--version'])}")
    cmd = (f"slipstream-loadgen --connections {CONNS} --threads 1 --pipeline P --ratio R "
           f"--key-count {KEYS} --data-size {SIZE} --test-time {TEST_TIME:g} "
           f"--warmup {WARMUP:g} --json (taskset -c {CLIENT_CPU}); servers on CPU {SERVER_CPU}")
    lines = [f"Measured {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC by `make compare` "
             f"({elapsed:.0f} s), median of {RUNS} interleaved runs per cell.", "",
             f"Machine: {machine}.", "", f"Load: `{cmd}`.", "", "Servers:", ""]
    lines += [f"- `taskset -c {SERVER_CPU} {c}`" for c in server_cmds]
    lines += ["", *table(cells, targets), "",
              "Open loop (95/5, pipeline 1), latency from the intended send time:", "",
              "| server | offered ops/s | achieved ops/s | p50 µs | p99 µs | p99.9 µs |",
              "|---|---|---|---|---|---|"]
    for t in targets:
        for p in sweep[t.name]:
            err = f" ({p['errors']} errors)" if p["errors"] else ""
            lines.append(f"| {t.name}{err} | {p['offered']:,.0f} ({p['fraction']:.0%}) "
                         f"| {p['ops_per_sec']:,.0f} | {p['p50_us']:.0f} | {p['p99_us']:.0f} "
                         f"| {p['p999_us']:.0f} |")
    text = "\n".join(lines) + "\n"
    print()
    print(text)
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(text)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"machine": machine, "load": cmd, "servers": server_cmds, "runs": RUNS,
                   "cells": [{"workload": w, "pipeline": p, "server": n, **c}
                             for (w, p, n), c in cells.items()],
                   "open_loop": sweep,
                   "dpdk_memif": any("io=dpdk" in t.name for t in targets) or DPDK_NOTE},
                  f, indent=1)
    for p in plots(cells, sweep, targets, out):
        print("wrote", p)


if __name__ == "__main__":
    main()
