# SPDX-License-Identifier: BSD-3-Clause
"""Slipstream as a replication primary, with a real redis-server 7.0 as its
replica: full resync (snapshot, then the write stream from the cut) under
writes on both protocols, then partial resync (+CONTINUE from the backlog)
after a short disconnect and a full one when the gap is bigger than the
backlog. The replica must end equal: keys, values, TTLs within a second."""
import os
import signal
import socket
import subprocess
import threading
import time

import pytest
import redis

from conftest import Server, free_port, wait_port
from test_resp_diff import REDIS

TIMEOUT = 60
pytestmark = pytest.mark.skipif(not os.path.exists(REDIS), reason="redis-server missing")


class Replica:
    """redis-server --replicaof the Slipstream under test, stopped by PID."""

    def __init__(self, tmp_path, primary_port):
        self.port = free_port()
        self.log = tmp_path / "replica.log"
        self.proc = subprocess.Popen(
            [REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(tmp_path), "--logfile", str(self.log),
             "--replicaof", "127.0.0.1", str(primary_port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, self.proc)
        self.r = redis.Redis(port=self.port, socket_timeout=TIMEOUT)

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)

    def log_text(self):
        return self.log.read_text(errors="replace")


def wait_for(cond, what, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, what()
        time.sleep(0.05)


def caught_up(p, rep):
    """The replica has applied everything the primary streamed so far."""
    def cond():
        pi = p.info("replication")
        ri = rep.r.info("replication")
        return (ri.get("master_link_status") == "up" and
                ri["slave_repl_offset"] == pi["master_repl_offset"])
    wait_for(cond, lambda: (p.info("replication"), rep.r.info("replication")))


def state(r):
    """Every key: (value, expiry as Unix ms or -1). Absolute: the two
    servers are read one after the other."""
    keys = sorted(r.keys("*"))
    pipe = r.pipeline(transaction=False)
    for k in keys:
        pipe.get(k)
        pipe.execute_command("PEXPIRETIME", k)
    out = pipe.execute()
    return {k: (out[2 * i], out[2 * i + 1]) for i, k in enumerate(keys)}


def assert_same(p, rep):
    caught_up(p, rep)
    a, b = state(p), state(rep.r)
    assert a.keys() == b.keys(), (len(a), len(b), sorted(set(a) ^ set(b))[:10])
    for k in a:
        va, ta = a[k]
        vb, tb = b[k]
        assert va == vb, k
        assert (ta == -1) == (tb == -1) and abs(ta - tb) <= 1000, (k, ta, tb)


def metrics(s):
    with socket.create_connection(("127.0.0.1", s.metrics_port), timeout=TIMEOUT) as c:
        c.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
        got = b""
        while True:
            chunk = c.recv(1 << 16)
            if not chunk:
                return got.decode()
            got += chunk


def mc_writes(port, n, prefix):
    """n memcached writes (set, delete, touch) over one pipelined socket."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as c:
        for lo in range(0, n, 1000):
            req, want = [], 0
            for i in range(lo, min(n, lo + 1000)):
                k = b"%s:%d" % (prefix, i % 3000)
                if i % 10 == 3:
                    req.append(b"delete " + k + b"\r\n")
                elif i % 10 == 5:
                    req.append(b"touch " + k + b" 500\r\n")
                else:
                    req.append(b"set " + k + b" 7 0 6\r\nm%05d\r\n" % (i % 100000))
                want += 1
            c.sendall(b"".join(req))
            got = b""
            while got.count(b"\r\n") < want:
                chunk = c.recv(1 << 16)
                assert chunk
                got += chunk


def resp_writes(r, n, prefix):
    """n RESP writes of every kind the stream carries."""
    pipe = r.pipeline(transaction=False)
    for i in range(n):
        k = f"{prefix}:{i % 5000}"
        m = i % 9
        if m == 0:
            pipe.set(k, f"v{i}")
        elif m == 1:
            pipe.set(k, f"t{i}", ex=300)
        elif m == 2:
            pipe.delete(k)
        elif m == 3:
            pipe.incr(f"{prefix}:n{i % 100}")
        elif m == 4:
            pipe.append(k, "+")
        elif m == 5:
            pipe.expire(k, 200)
        elif m == 6:
            pipe.persist(k)
        elif m == 7:
            pipe.set(k, f"p{i}", px=1)          # expires on the primary: a DEL follows
        else:
            pipe.getdel(k)
        if i % 2000 == 1999:
            pipe.execute()
    pipe.execute()


def test_redis_replica_full_sync_under_writes(tmp_path):
    mport = free_port()
    s = Server(tmp_path, workers=2, extra=("--save", "", "--metrics-port", str(mport)))
    s.metrics_port = mport
    rep = None
    try:
        p = redis.Redis(port=s.port, socket_timeout=TIMEOUT)
        pipe = p.pipeline(transaction=False)
        for i in range(10_000):
            pipe.set(f"pre:{i}", f"x{i}", ex=1000 if i % 3 == 0 else None)
        pipe.execute()
        mc_writes(s.mc_port, 2_000, b"mcpre")
        (tmp_path / "r").mkdir()
        rep = Replica(tmp_path / "r", s.port)
        # writes while the replica syncs and after: both protocols at once
        t = threading.Thread(target=mc_writes, args=(s.mc_port, 40_000, b"mc"))
        t.start()
        resp_writes(redis.Redis(port=s.port, socket_timeout=TIMEOUT), 60_000, "rs")
        t.join(TIMEOUT)
        assert not t.is_alive()
        wait_for(lambda: rep.r.info("replication")["master_link_status"] == "up",
                 lambda: rep.log_text()[-2000:])
        time.sleep(0.1)   # the px=1 keys expire on the primary (DELs in the stream)
        for i in range(0, 5000, 7):
            p.get(f"rs:{i}")
        assert_same(p, rep)
        info = p.info("replication")
        assert info["role"] == "master" and info["connected_slaves"] == 1
        assert info["slave0"]["state"] == "online" and info["slave0"]["port"] == rep.port
        assert info["repl_backlog_active"] == 1
        # the metrics say the same
        m = metrics(s)
        assert "slipstream_replication_connected_replicas 1" in m
        assert f'replica_lag_bytes{{replica="127.0.0.1:{rep.port}",state="online"}}' in m
        assert "MASTER <-> REPLICA sync: Finished with success" in rep.log_text()
        # the replica's reads
        assert rep.r.get("pre:5") == b"x5"
        # WAIT: this client's writes reached the replica; the replica is
        # asked for its ACK (REPLCONF GETACK) rather than waited for
        p.set("w1", "1")
        p.set("w2", "2")          # another worker's key, likely
        t0 = time.monotonic()
        assert p.execute_command("WAIT", 1, 10_000) == 1
        assert time.monotonic() - t0 < 0.9
        assert rep.r.get("w1") == b"1" and rep.r.get("w2") == b"2"
        t0 = time.monotonic()
        assert p.execute_command("WAIT", 2, 300) == 1      # only one replica: the timeout
        assert time.monotonic() - t0 >= 0.29
        # no waiting: the replicas known to have everything logged so far
        assert p.execute_command("WAIT", 0, 0) in (0, 1)
        with pytest.raises(redis.ResponseError, match="timeout is negative"):
            p.execute_command("WAIT", 1, -1)
    finally:
        if rep:
            rep.stop()
        s.stop()
    assert "Synchronization with replica" in s.log_text()


def test_partial_then_full_resync(tmp_path):
    s = Server(tmp_path, workers=2, extra=("--save", "", "--repl-backlog-size", "256kb"))
    rep = None
    try:
        p = redis.Redis(port=s.port, socket_timeout=TIMEOUT)
        for i in range(100):
            p.set(f"a{i}", i)
        (tmp_path / "r").mkdir()
        rep = Replica(tmp_path / "r", s.port)
        assert_same(p, rep)
        dead = free_port()

        # a short disconnect: the gap is in the backlog
        rep.r.replicaof("127.0.0.1", dead)
        wait_for(lambda: p.info("replication")["connected_slaves"] == 0,
                 lambda: p.info("replication"))
        for i in range(200):
            p.set(f"b{i}", "y" * 100)
        p.delete("a1")
        rep.r.replicaof("127.0.0.1", s.port)
        assert_same(p, rep)
        assert "Successful partial resynchronization with master" in rep.log_text()
        assert "partial resync" in s.log_text()

        # a longer one: more than the backlog was written meanwhile
        rep.r.replicaof("127.0.0.1", dead)
        wait_for(lambda: p.info("replication")["connected_slaves"] == 0,
                 lambda: p.info("replication"))
        pipe = p.pipeline(transaction=False)
        for i in range(1000):
            pipe.set(f"c{i}", "z" * 1000)
        pipe.execute()
        # merged into the stream (each management tick, 100 ms without
        # replicas): the backlog has moved past where the replica stopped
        wait_for(lambda: p.info("replication")["master_repl_offset"] > 1_000_000,
                 lambda: p.info("replication"))
        rep.r.replicaof("127.0.0.1", s.port)
        assert_same(p, rep)
        assert s.log_text().count("full resync") == 2
        assert rep.r.dbsize() == 1299
    finally:
        if rep:
            rep.stop()
        s.stop()


def test_replication_commands_on_a_client_connection(tmp_path):
    """REPLCONF as Redis answers it; SYNC/PSYNC under io=dpdk are refused
    (tested in the dpdk suite); a client that hangs up mid-sync leaves the
    primary serving."""
    s = Server(tmp_path, workers=1, extra=("--save", ""))
    try:
        with socket.create_connection(("127.0.0.1", s.port), timeout=TIMEOUT) as c:
            c.sendall(b"REPLCONF listening-port 7\r\nREPLCONF capa eof capa psync2\r\n"
                      b"REPLCONF foo bar\r\nREPLCONF x\r\nREPLCONF listening-port z\r\nPING\r\n")
            got = b""
            while not got.endswith(b"+PONG\r\n"):
                got += c.recv(4096)
            assert got == (b"+OK\r\n+OK\r\n-ERR Unrecognized REPLCONF option: foo\r\n"
                           b"-ERR syntax error\r\n"
                           b"-ERR value is not an integer or out of range\r\n+PONG\r\n")
        with socket.create_connection(("127.0.0.1", s.port), timeout=TIMEOUT) as c:
            # no "capa eof": the snapshot as a file, "$<len>\r\n" and its bytes
            c.sendall(b"PSYNC ? -1\r\n")
            got = b""
            while got.count(b"\r\n") < 2:
                got += c.recv(4096)
            assert got.startswith(b"+FULLRESYNC ")
            line, rest = got.split(b"\r\n", 1)
            replid, off = line.split()[1:]
            assert len(replid) == 40 and off == b"0"
            rest = rest.lstrip(b"\n")              # keepalives while it is taken
            n = int(rest[1:rest.index(b"\r\n")])
            rest = rest[rest.index(b"\r\n") + 2:]
            while len(rest) < n:
                rest += c.recv(65536)
            assert rest[:9] == b"REDIS0010" and len(rest) >= n   # the stream may follow
        with socket.create_connection(("127.0.0.1", s.port), timeout=TIMEOUT) as c:
            # diskless: "$EOF:<mark>\r\n", the RDB, the mark; the stream after
            # the replica's first ACK
            c.sendall(b"REPLCONF capa eof capa psync2\r\nPSYNC ? -1\r\n")
            got = b""
            while b"$EOF:" not in got or len(got) < got.index(b"$EOF:") + 47:
                got += c.recv(4096)
            assert got.startswith(b"+OK\r\n+FULLRESYNC ")
            i = got.index(b"$EOF:")
            mark = got[i + 5:i + 45]
            body = got[i + 47:]
            while not body.endswith(mark):
                body += c.recv(65536)
            assert body[:9] == b"REDIS0010"
            redis.Redis(port=s.port, socket_timeout=TIMEOUT).set("after", "sync")
            time.sleep(0.2)
            c.settimeout(0.3)
            with pytest.raises(socket.timeout):
                c.recv(100)                         # nothing before the ACK
            c.settimeout(TIMEOUT)
            c.sendall(b"*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$1\r\n0\r\n")
            want = b"*3\r\n$3\r\nSET\r\n$5\r\nafter\r\n$4\r\nsync\r\n"
            got = b""
            while want not in got:
                got += c.recv(4096)
        # hung up before the snapshot arrived: dropped, the primary goes on
        r = redis.Redis(port=s.port, socket_timeout=TIMEOUT)
        wait_for(lambda: r.info("replication")["connected_slaves"] == 0,
                 lambda: r.info("replication"))
        assert r.set("k", "v") and r.get("k") == b"v"
        got_id = r.info("replication")["master_replid"]
        assert got_id == replid.decode(), (got_id, r.info("server")["run_id"], s.log_text())
    finally:
        s.stop()


# io=dpdk: the dataplane's connections cannot hand their socket over, so
# replicas attach to the management core on the kernel side (bind:port).
from test_dpdk_tcp import APPLIANCE_IP, dpdk  # noqa: E402,F401  (the fixture)

WRITES = r"""
import sys, redis
r = redis.Redis(host=sys.argv[1], port=int(sys.argv[4]), socket_timeout=30)
lo, hi = int(sys.argv[2]), int(sys.argv[3])
p = r.pipeline(transaction=False)
for i in range(lo, hi):
    p.set(f"d{i}", f"v{i}", ex=900 if i % 2 else None)
    if i % 10 == 0:
        p.delete(f"d{i - 5}")
p.execute()
print(r.dbsize())
"""


def test_replica_of_a_dpdk_primary(dpdk, tmp_path):
    port = free_port()   # the dataplane's in its netns, the management core's here
    srv = dpdk("--save", "", "--port", str(port))
    out = srv.run(WRITES, APPLIANCE_IP, 0, 2000, port)
    assert out.returncode == 0, out.stderr
    (tmp_path / "r").mkdir()
    rep = Replica(tmp_path / "r", port)      # 127.0.0.1:port: the management core
    try:
        wait_for(lambda: rep.r.info("replication")["master_link_status"] == "up",
                 lambda: rep.log_text()[-2000:] + srv.log.read_text()[-2000:])
        out = srv.run(WRITES, APPLIANCE_IP, 2000, 4000, port)
        assert out.returncode == 0, out.stderr
        n = int(out.stdout.split()[-1])
        wait_for(lambda: rep.r.dbsize() == n and rep.r.get("d3999") == b"v3999",
                 lambda: (rep.r.dbsize(), n))
        want = {f"d{i}" for i in range(4000)} - {f"d{i - 5}" for i in range(0, 4000, 10)}
        assert {k.decode() for k in rep.r.keys("*")} == want
        assert rep.r.get("d1234") == b"v1234"
        assert 890 <= rep.r.ttl("d1237") <= 900 and rep.r.ttl("d1234") == -1
        # the management port serves replicas only
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as c:
            c.sendall(b"PING\r\nGET d1\r\n")
            got = b""
            while got.count(b"\r\n") < 2:
                got += c.recv(4096)
            assert got.startswith(b"+PONG\r\n-ERR 'GET': under io=dpdk this port only serves")
        # a PSYNC on the dataplane says where to go
        out = srv.run("import sys,socket; c=socket.create_connection((sys.argv[1],int(sys.argv[2]))); "
                      "c.sendall(b'PSYNC ? -1\\r\\n'); print(c.recv(200))", APPLIANCE_IP, port)
        assert "replicas connect to the management core" in out.stdout, out
    finally:
        rep.stop()


def test_partial_resync_across_the_ring_edge(tmp_path):
    """A 16 KB backlog that has wrapped many times: what a replica missed is
    copied out across the ring's end, byte for byte (the replica's data
    must match after +CONTINUE)."""
    s = Server(tmp_path, workers=2, extra=("--save", "", "--repl-backlog-size", "16kb"))
    rep = None
    try:
        p = redis.Redis(port=s.port, socket_timeout=TIMEOUT)
        (tmp_path / "r").mkdir()
        rep = Replica(tmp_path / "r", s.port)
        dead = free_port()
        for rnd in range(6):
            for i in range(400):                  # ~50 KB: the ring wraps
                p.set(f"w{rnd}:{i}", f"{rnd}-{i}-" + "q" * (i % 97))
            assert_same(p, rep)
            rep.r.replicaof("127.0.0.1", dead)
            wait_for(lambda: p.info("replication")["connected_slaves"] == 0,
                     lambda: p.info("replication"))
            for i in range(60 + 13 * rnd):        # 6-14 KB: still in the ring
                p.set(f"gap{rnd}:{i}", "g" * (i % 101))
            wait_for(lambda: p.info("replication")["master_repl_offset"] >
                     rep.r.info("replication")["slave_repl_offset"],
                     lambda: p.info("replication"))
            time.sleep(0.15)                      # merged (a tick without replicas)
            rep.r.replicaof("127.0.0.1", s.port)
            assert_same(p, rep)
        assert rep.log_text().count("Successful partial resynchronization with master") == 6, \
            (rep.log_text()[-3000:], s.log_text()[-3000:])
        assert p.info("replication")["repl_backlog_histlen"] == 16384
    finally:
        if rep:
            rep.stop()
        s.stop()
