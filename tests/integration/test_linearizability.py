# SPDX-License-Identifier: BSD-3-Clause
"""Per-key linearizability under concurrency, across workers (io=kernel).

Many connections, spread over every worker by the kernel's SO_REUSEPORT,
hammer a few shared keys whose owners are different workers: INCR counts
exactly, memcached cas races lose no increment, APPEND keeps every token
once and each client's tokens in order, and SET/GET histories of single
registers are checked for linearizability (Wing & Gong's search, memoized).
"""
import random
import socket
import threading
import time

import pytest
import redis
from pymemcache.client.base import Client as MC

from conftest import Server

THREADS = 8
TIMEOUT = 30


@pytest.fixture
def srv(tmp_path):
    s = Server(tmp_path, workers=3)
    yield s
    s.stop()


def run_threads(fn, n=THREADS):
    errors = []

    def wrap(i):
        try:
            fn(i)
        except Exception as e:   # reported after join
            errors.append(e)
    ts = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in ts), "a client hung"
    assert not errors, errors


def rc(srv):
    return redis.Redis(host="127.0.0.1", port=srv.port, socket_timeout=TIMEOUT)


def test_incr_exact(srv):
    keys = [f"ctr:{i}" for i in range(4)]        # owners differ across workers
    n = 400

    def work(i):
        r = rc(srv)
        p = r.pipeline(transaction=False)
        for j in range(n):
            p.incr(keys[(i + j) % len(keys)])
            if j % 50 == 49:
                p.execute()
        p.execute()
    run_threads(work)
    r = rc(srv)
    assert sum(int(r.get(k)) for k in keys) == THREADS * n
    assert all(int(r.get(k)) == THREADS * n // len(keys) for k in keys)


def test_memcached_cas_races_lose_nothing(srv):
    n = 150

    def work(i):
        mc = MC(("127.0.0.1", srv.mc_port), timeout=TIMEOUT)
        done = 0
        while done < n:
            val, cas = mc.gets("cas:ctr")
            if val is None:
                if mc.add("cas:ctr", b"1", noreply=False):
                    done += 1
                continue
            if mc.cas("cas:ctr", str(int(val) + 1).encode(), cas, noreply=False):
                done += 1
    run_threads(work)
    mc = MC(("127.0.0.1", srv.mc_port), timeout=TIMEOUT)
    assert int(mc.get("cas:ctr")) == THREADS * n


def test_append_keeps_every_token_in_client_order(srv):
    n = 200
    key = "app:log"
    rc(srv).set(key, "")

    def work(i):
        r = rc(srv)
        for j in range(n):
            r.append(key, f"<{i}.{j}>")
    run_threads(work)
    s = rc(srv).get(key).decode()
    toks = [t for t in s.replace("<", " ").replace(">", " ").split()]
    assert len(toks) == THREADS * n and len(set(toks)) == len(toks)
    for i in range(THREADS):
        mine = [int(t.split(".")[1]) for t in toks if t.split(".")[0] == str(i)]
        assert mine == list(range(n))


def linearizable(history):
    """history: [(call_ns, ret_ns, 'w'|'r', value)] for one register that
    starts as None. True if some order consistent with real time explains
    every read (Wing & Gong with a memo of (done set, value))."""
    ops = sorted(history, key=lambda o: o[0])
    n = len(ops)
    full = (1 << n) - 1
    seen = set()
    stack = [(0, None)]
    while stack:
        done, val = stack.pop()
        if done == full:
            return True
        if (done, val) in seen:
            continue
        seen.add((done, val))
        # the earliest return among pending ops bounds which may go next
        min_ret = min(ops[i][1] for i in range(n) if not done >> i & 1)
        for i in range(n):
            if done >> i & 1:
                continue
            call, ret, kind, v = ops[i]
            if call > min_ret:
                break                       # sorted by call: none later can go first
            if kind == "w":
                stack.append((done | 1 << i, v))
            elif v == val:
                stack.append((done | 1 << i, val))
    return False


def test_linearizability_checker_itself():
    # w1 completes, then a read sees nothing: impossible
    assert not linearizable([(0, 1, "w", "a"), (2, 3, "r", None)])
    # overlapping write and read: either outcome is fine
    assert linearizable([(0, 5, "w", "a"), (1, 2, "r", None)])
    assert linearizable([(0, 5, "w", "a"), (1, 2, "r", "a")])
    # reads go back in time after a newer write was seen: not linearizable
    assert not linearizable([(0, 1, "w", "a"), (2, 3, "w", "b"), (4, 5, "r", "b"),
                             (6, 7, "r", "a")])


def test_register_histories_linearizable(srv):
    keys = [f"reg:{i}" for i in range(3)]
    hist = {k: [] for k in keys}
    lock = threading.Lock()
    n = 40

    def work(i):
        r = rc(srv)
        rnd = random.Random(i)
        for j in range(n):
            k = rnd.choice(keys)
            t0 = time.monotonic_ns()
            if rnd.random() < 0.4:
                v = f"{i}.{j}"
                r.set(k, v)
                op = (t0, time.monotonic_ns(), "w", v)
            else:
                got = r.get(k)
                op = (t0, time.monotonic_ns(), "r", got.decode() if got else None)
            with lock:
                hist[k].append(op)
    run_threads(work, n=6)
    for k in keys:
        assert linearizable(hist[k]), k


def test_pipeline_of_1000_mixed_in_order_memcached(srv):
    """memcached: 1,000 pipelined sets and gets over keys of every worker;
    replies come back in request order."""
    s = socket.create_connection(("127.0.0.1", srv.mc_port), timeout=TIMEOUT)
    req = b"".join(b"set pk%d 0 0 %d\r\n%d\r\nget pk%d\r\n" % (i, len(str(i)), i, i)
                   for i in range(500))
    s.sendall(req)
    want = b"".join(b"STORED\r\nVALUE pk%d 0 %d\r\n%d\r\nEND\r\n" % (i, len(str(i)), i)
                    for i in range(500))
    got = b""
    while len(got) < len(want):
        d = s.recv(65536)
        assert d
        got += d
    assert got == want
    s.close()
