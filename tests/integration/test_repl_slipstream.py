# SPDX-License-Identifier: BSD-3-Clause
"""Slipstream replicating from Slipstream: a primary and two replicas under
writes on both protocols; a replica that goes away and comes back, stalled,
stopped or killed with kill -9 and restarted from its snapshot (partial
resync within the backlog, full resync past it); promotion with REPLICAOF
NO ONE and the old primary re-pointed as its replica; a primary killed with
kill -9 while replicas keep serving reads."""
import os
import signal
import threading
import time

import pytest
import redis

from conftest import Server
from test_repl_primary import mc_writes, resp_writes, state
from test_replication import client, link_up, until

TIMEOUT = 60


def caught_up(p, r):
    off = p.info("replication")["master_repl_offset"]
    return link_up(r) and r.info("replication")["slave_repl_offset"] >= off


def assert_same(p, r):
    until("the replica to catch up", lambda: caught_up(p, r))
    a, b = state(p), state(r)
    assert a.keys() == b.keys(), (len(a), len(b), sorted(set(a) ^ set(b))[:10])
    for k in a:
        assert a[k][0] == b[k][0], k
        ta, tb = a[k][1], b[k][1]
        assert (ta == -1) == (tb == -1) and abs(ta - tb) <= 1000, (k, ta, tb)


def test_two_replicas_under_writes_then_gone_and_back(tmp_path):
    for d in ("p", "a", "b"):
        (tmp_path / d).mkdir()
    p = Server(tmp_path / "p", workers=2,
               extra=("--save", "", "--repl-backlog-size", "1mb", "--repl-timeout", "2"))
    reps = []
    try:
        pr = client(p)
        resp_writes(pr, 20_000, "pre")
        for d in ("a", "b"):
            reps.append(Server(tmp_path / d, workers=2,
                               extra=("--save", "", "--replicaof", f"127.0.0.1 {p.port}")))
        # 100k writes while they sync and stream: both protocols at once
        t = threading.Thread(target=mc_writes, args=(p.mc_port, 40_000, b"mc"))
        t.start()
        resp_writes(client(p), 60_000, "rs")
        t.join(TIMEOUT)
        assert not t.is_alive()
        for s in reps:
            assert_same(pr, client(s))
        info = pr.info("replication")
        assert info["connected_slaves"] == 2
        # replicas serve reads and refuse writes
        ra = client(reps[0])
        assert ra.get("pre:9") == pr.get("pre:9")
        with pytest.raises(redis.ReadOnlyError):
            ra.set("x", "y")

        # b stalls past repl-timeout: the primary drops it, and when it comes
        # back what it missed is in the backlog
        rb = client(reps[1])
        os.kill(reps[1].proc.pid, signal.SIGSTOP)
        try:
            for i in range(300):
                pr.set(f"gap:{i}", i)
            until("b dropped", lambda: pr.info("replication")["connected_slaves"] == 1)
        finally:
            os.kill(reps[1].proc.pid, signal.SIGCONT)
        assert_same(pr, rb)
        assert "partial resync" in p.log_text()

        # b goes away for longer: more than the backlog is written meanwhile
        reps[1].stop(sig=signal.SIGKILL)
        pipe = pr.pipeline(transaction=False)
        for i in range(1500):
            pipe.set(f"big:{i}", "z" * 1000)
        pipe.execute()
        reps[1] = Server(tmp_path / "b", workers=2,
                         extra=("--save", "", "--replicaof", f"127.0.0.1 {p.port}"))
        assert_same(pr, client(reps[1]))
        assert_same(pr, ra)
    finally:
        for s in reps:
            s.stop()
        p.stop()


def test_replica_restarted_resyncs_partially_within_the_backlog(tmp_path):
    """A replica stopped (SIGTERM: its last snapshot records the primary's
    replid and offset) or killed with kill -9 after a snapshot taken under
    writes comes back with a partial resync while what it missed is in the
    backlog, and with a full one when more than the backlog was written."""
    for d in ("p", "r"):
        (tmp_path / d).mkdir()
    p = Server(tmp_path / "p", workers=2,
               extra=("--save", "", "--repl-backlog-size", "1mb"))
    rep = f"127.0.0.1 {p.port}"
    r = None
    try:
        pr = client(p)
        resp_writes(pr, 20_000, "pre")
        r = Server(tmp_path / "r", workers=2, extra=("--save", "3600 1", "--replicaof", rep))
        assert_same(pr, client(r))
        partial = p.log_text().count("partial resync from")

        # stopped: the shutdown snapshot, then writes on both protocols
        r.stop()
        assert "DB saved on disk" in r.log_text()
        resp_writes(pr, 3000, "gap")
        mc_writes(p.mc_port, 3000, b"gapmc")
        r = Server(tmp_path / "r", workers=2, extra=("--save", "3600 1", "--replicaof", rep))
        assert_same(pr, client(r))
        assert p.log_text().count("partial resync from") == partial + 1
        assert "Successful partial resynchronization" in r.log_text()

        # killed with kill -9 after a snapshot taken while writes stream in
        rr = client(r)
        stop = threading.Event()

        def writer():
            w = client(p)
            i = 0
            while not stop.is_set() and i < 400:
                resp_writes(w, 500, f"live{i}")
                i += 1

        t = threading.Thread(target=writer)
        t.start()
        try:
            until("writes flowing", lambda: rr.exists("live3:0") or rr.exists("live3:1"))
            saves = rr.info("persistence")["rdb_saves"]
            rr.bgsave()
            until("the snapshot", lambda: rr.info("persistence")["rdb_saves"] > saves)
        finally:
            # The writes stop once the snapshot is taken, not after the kill:
            # what the primary writes while the replica is away must stay
            # within its 1 MB backlog, and how much that is depended on how
            # fast writes go (more than 1 MB once a SET got cheaper).
            stop.set()
            t.join(TIMEOUT)
        assert not t.is_alive()
        r.stop(sig=signal.SIGKILL)
        r = Server(tmp_path / "r", workers=2, extra=("--save", "3600 1", "--replicaof", rep))
        assert_same(pr, client(r))
        assert p.log_text().count("partial resync from") == partial + 2

        # away while more than the backlog is written: a full resync
        r.stop()
        pipe = pr.pipeline(transaction=False)
        for i in range(1500):
            pipe.set(f"big:{i}", "z" * 1000)
        pipe.execute()
        r = Server(tmp_path / "r", workers=2, extra=("--save", "3600 1", "--replicaof", rep))
        assert_same(pr, client(r))
        assert p.log_text().count("partial resync from") == partial + 2
        assert "Trying a partial resynchronization" in r.log_text()
        assert "Full resync from master" in r.log_text()
    finally:
        if r:
            r.stop()
        p.stop()


def test_promotion_and_the_old_primary_follows(tmp_path):
    for d in ("p", "r"):
        (tmp_path / d).mkdir()
    p = Server(tmp_path / "p", workers=2, extra=("--save", ""))
    r = None
    try:
        pr = client(p)
        for i in range(2000):
            pr.set(f"k{i}", i, ex=3000 if i % 3 == 0 else None)
        r = Server(tmp_path / "r", workers=2,
                   extra=("--save", "", "--replicaof", f"127.0.0.1 {p.port}"))
        rr = client(r)
        assert_same(pr, rr)
        # promote the replica: it takes writes and keeps the data
        assert rr.execute_command("REPLICAOF", "NO", "ONE") in (b"OK", "OK", True)
        assert rr.info("replication")["role"] == "master"
        rr.set("after", "promotion")
        rr.delete("k1")
        # the old primary follows the new one and catches up
        assert pr.execute_command("REPLICAOF", "127.0.0.1", str(r.port)) in (b"OK", "OK", True)
        assert_same(rr, pr)
        assert pr.get("after") == b"promotion" and pr.get("k1") is None
        with pytest.raises(redis.ReadOnlyError):
            pr.set("x", "y")
    finally:
        if r:
            r.stop()
        p.stop()


def test_primary_killed_replica_serves_reads(tmp_path):
    for d in ("p", "r"):
        (tmp_path / d).mkdir()
    p = Server(tmp_path / "p", workers=2, extra=("--save", ""))
    r = None
    try:
        pr = client(p)
        for i in range(1000):
            pr.set(f"k{i}", i)
        r = Server(tmp_path / "r", workers=2,
                   extra=("--save", "", "--replicaof", f"127.0.0.1 {p.port}"))
        rr = client(r)
        assert_same(pr, rr)
        # mid-stream: a writer is going when the primary dies
        def writer():
            try:
                for i in range(100_000):
                    pr.set(f"w{i}", i)
            except redis.ConnectionError:
                pass   # the primary is gone
        t = threading.Thread(target=writer, daemon=True)
        t.start()
        time.sleep(0.2)
        os.kill(p.proc.pid, signal.SIGKILL)
        p.proc.wait(timeout=TIMEOUT)
        until("link down", lambda: rr.info("replication")["master_link_status"] == "down")
        assert rr.get("k5") == b"5" and rr.dbsize() >= 1000
    finally:
        if r:
            r.stop()
        p.stop()
