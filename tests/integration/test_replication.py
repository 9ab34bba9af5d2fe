# SPDX-License-Identifier: BSD-3-Clause
"""Slipstream as a replica of a real redis-server 7.0: full sync (RDB on
disk and diskless), the command stream (SET with TTLs, overwrites, DEL,
EXPIRE, INCR), read-only refusals on both protocols, ROLE, INFO
replication, /metrics, REPLICAOF at run time and NO ONE, masterauth, and a
primary killed with kill -9. Every wait is bounded; every server is
stopped by its PID."""
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request

import pytest
import redis

from conftest import Server, free_port, wait_port
from test_resp_diff import REDIS

TIMEOUT = 10
N = 10_000

pytestmark = pytest.mark.skipif(not os.path.exists(REDIS),
                                reason="redis-server not installed (make deps-test)")


class Primary:
    """A real redis-server 7.0 on 127.0.0.1, stopped by PID."""

    def __init__(self, tmp_path, diskless=False, requirepass=None, port=None):
        self.port = port or free_port()
        args = [REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", str(tmp_path),
                "--repl-diskless-sync", "yes" if diskless else "no",
                "--repl-diskless-sync-delay", "0"]
        if requirepass:
            args += ["--requirepass", requirepass]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        try:
            wait_port(self.port, self.proc)
        except BaseException:
            self.stop(sig=signal.SIGKILL)   # one that never came up is stopped too
            raise
        self.r = redis.Redis(host="127.0.0.1", port=self.port, password=requirepass,
                             socket_timeout=TIMEOUT)

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def client(s):
    return redis.Redis(host="127.0.0.1", port=s.port, socket_timeout=TIMEOUT)


def until(what, fn, timeout=TIMEOUT, step=0.02):
    """Poll fn() until it is truthy; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(step)


def link_up(r):
    return r.info("replication").get("master_link_status") == "up"


def fill(r, lo, hi, prefix="k"):
    """SET prefix:lo .. prefix:hi-1; every 5th with EX, every 7th with PX."""
    p = r.pipeline(transaction=False)
    for i in range(lo, hi):
        k, v = f"{prefix}:{i}", f"value-{i}-" + "x" * (i % 50)
        if i % 5 == 0:
            p.set(k, v, ex=1000 + i)
        elif i % 7 == 0:
            p.set(k, v, px=2_000_000 + i)
        else:
            p.set(k, v)
    p.execute()


def dump(r):
    """{key: (value, absolute expiry in ms or -1)} of every key."""
    keys = sorted(r.keys("*"))
    p = r.pipeline(transaction=False)
    for k in keys:
        p.get(k)
        p.execute_command("PEXPIRETIME", k)
    out = p.execute()
    return {k: (out[2 * i], out[2 * i + 1]) for i, k in enumerate(keys)}


def same_data(pr, rr, slack_ms=0):
    """The replica holds exactly the primary's keys and values, and their
    expiry times (absolute: the RDB and the stream's PXAT/PEXPIREAT carry
    the primary's own)."""
    want, got = dump(pr), dump(rr)
    assert sorted(got) == sorted(want), (len(got), len(want),
                                         sorted(set(got) ^ set(want))[:10])
    for k, (v, ttl) in want.items():
        gv, gttl = got[k]
        assert gv == v, k
        if ttl < 0:
            assert gttl == ttl, (k, ttl, gttl)
        else:
            assert abs(gttl - ttl) <= slack_ms, (k, ttl, gttl)


def caught_up(pr, rr):
    """The replica applied everything the primary has sent so far."""
    off = pr.info("replication")["master_repl_offset"]
    return rr.info("replication")["slave_repl_offset"] >= off


def replica(tmp_path, p, extra=()):
    return Server(tmp_path, extra=["--replicaof", f"127.0.0.1 {p.port}", *extra])


@pytest.fixture
def dirs(tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "s").mkdir()
    return tmp_path / "p", tmp_path / "s"


@pytest.mark.parametrize("diskless", [False, True], ids=["rdb-on-disk", "diskless"])
def test_sync_then_stream(dirs, diskless):
    p = Primary(dirs[0], diskless=diskless)
    s = None
    try:
        fill(p.r, 0, N)
        s = replica(dirs[1], p)
        rr = client(s)
        until("link up", lambda: link_up(rr))
        until("initial sync", lambda: caught_up(p.r, rr))
        assert rr.dbsize() == N
        same_data(p.r, rr)
        # the stream: new keys, overwrites, deletes, expiries, counters
        fill(p.r, N, 2 * N)
        pipe = p.r.pipeline(transaction=False)
        for i in range(0, 2 * N, 11):
            pipe.set(f"k:{i}", f"new-{i}")              # overwrite (drops a TTL)
        for i in range(1, 2 * N, 13):
            pipe.delete(f"k:{i}")
        for i in range(2, 2 * N, 17):
            pipe.expire(f"k:{i}", 500 + i % 100)       # -> PEXPIREAT
        for i in range(3, 2 * N, 19):
            pipe.persist(f"k:{i}")
        pipe.set("keep", "v1", px=900_000)
        pipe.set("keep", "v2", keepttl=True)
        pipe.incr("n")
        pipe.incrby("n", 41)
        pipe.incrbyfloat("f", 1.5)
        pipe.append("keep2", "ab")
        pipe.append("keep2", "cd")
        pipe.set("short", "x", px=50)                  # expires on the primary: a DEL
        pipe.getdel("k:4")
        pipe.mset({"m1": "a", "m2": "b"})
        pipe.rename("m1", "m3")
        pipe.execute()
        tx = p.r.pipeline(transaction=True)            # MULTI ... EXEC in the stream
        tx.set("tx1", "a")
        tx.incr("n")
        tx.execute()
        t0 = time.monotonic()
        until("the primary's own expiry of 'short'", lambda: p.r.get("short") is None, timeout=1)
        # everything applied within a second of the last write
        until("stream applied", lambda: caught_up(p.r, rr), timeout=1.0 - (time.monotonic() - t0))
        print(f"replica caught up {time.monotonic() - t0:.3f} s after the last write")
        same_data(p.r, rr)
        assert rr.get("n") == b"43" and rr.get("keep") == b"v2" and rr.get("tx1") == b"a"
        assert 0 < rr.pttl("keep") <= 900_000
        # the primary sees our ACKs: the replica's offset is its own
        def acked():
            info = p.r.info("replication")
            sl = info.get("slave0")
            return sl and sl["offset"] == info["master_repl_offset"] and sl["state"] == "online"
        until("REPLCONF ACK at the primary's offset", acked, timeout=5)
        # WAIT makes the primary send REPLCONF GETACK: we answer it
        p.r.set("w", "1")
        assert p.r.execute_command("WAIT", 1, 5000) == 1
        # the link drops (the primary kills it): writes meanwhile come back
        # through a partial resync from its backlog, no new RDB
        assert p.r.info("stats")["sync_full"] == 1
        p.r.execute_command("CLIENT", "KILL", "TYPE", "replica")
        p.r.set("during-gap", "1")
        p.r.delete("k:5")
        until("link down", lambda: not link_up(rr), timeout=2)
        until("link up again", lambda: link_up(rr))
        until("gap applied", lambda: caught_up(p.r, rr))
        stats = p.r.info("stats")
        assert stats["sync_partial_ok"] == 1 and stats["sync_full"] == 1, stats
        assert "Successful partial resynchronization with master." in s.log_text()
        same_data(p.r, rr)
    finally:
        if s:
            s.stop()
        p.stop()


def test_read_only_role_info_promote_and_kill(dirs):
    p = Primary(dirs[0])
    s = None
    try:
        p.r.set("a", "1")
        p.r.set("t", "x", ex=500)
        s = replica(dirs[1], p, extra=["--metrics-port", str(free_port())])
        rr = client(s)
        until("link up", lambda: link_up(rr))
        until("synced", lambda: rr.get("a") == b"1")
        # writes are refused on both protocols; reads are served
        for cmd in (["SET", "a", "2"], ["DEL", "a"], ["INCR", "n"], ["FLUSHALL"],
                    ["EXPIRE", "a", "10"], ["MSET", "x", "1"]):
            with pytest.raises(redis.ResponseError,
                               match="^You can't write against a read only replica.$"):
                rr.execute_command(*cmd)
        with socket.create_connection(("127.0.0.1", s.mc_port), timeout=TIMEOUT) as c:
            c.sendall(b"set mk 0 0 1\r\nx\r\ndelete a\r\nset q 0 0 1 noreply\r\ny\r\n"
                      b"get a\r\n")
            got = b""
            while not got.endswith(b"END\r\n"):
                chunk = c.recv(4096)
                assert chunk
                got += chunk
            ro = b"SERVER_ERROR write refused: this node is a read-only replica\r\n"
            assert got == ro + ro + b"VALUE a 0 1\r\n1\r\nEND\r\n"
        assert rr.get("a") == b"1" and rr.get("mk") is None
        # ROLE and INFO replication as Redis words them
        off = rr.info("replication")["slave_repl_offset"]
        role = rr.execute_command("ROLE")
        assert role[:4] == [b"slave", b"127.0.0.1", p.port, b"connected"]
        assert role[4] == off
        info = rr.info("replication")
        assert info["role"] == "slave"
        assert info["master_host"] == "127.0.0.1" and info["master_port"] == p.port
        assert info["master_link_status"] == "up"
        assert 0 <= info["master_last_io_seconds_ago"] <= 11
        assert info["master_sync_in_progress"] == 0
        assert info["slave_read_repl_offset"] >= info["slave_repl_offset"] >= 0
        assert info["slave_priority"] == 100 and info["slave_read_only"] == 1
        assert info["replica_announced"] == 1 and info["connected_slaves"] == 0
        pinfo = p.r.info("replication")
        assert info["master_replid"] == pinfo["master_replid"]
        # the stream's pseudo-client: listed as a master, not killed with the rest
        masters = rr.execute_command("CLIENT", "LIST", "TYPE", "master").decode().splitlines()
        assert len(masters) == 1 and " flags=M " in masters[0]
        normal = rr.execute_command("CLIENT", "LIST", "TYPE", "normal").decode()
        assert " flags=M " not in normal
        assert rr.execute_command("CLIENT", "KILL", "SKIPME", "yes") == 0
        p.r.set("after-kill", "1")
        until("stream after CLIENT KILL", lambda: rr.get("after-kill") == b"1", timeout=2)
        assert rr.execute_command("REPLICAOF", "127.0.0.1", str(p.port)) == \
            b"OK Already connected to specified master"
        # /metrics
        mport = int(s.args[s.args.index("--metrics-port", 8) + 1])
        body = urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics",
                                      timeout=TIMEOUT).read().decode()
        assert 'slipstream_replication_link_up{core="0"} 1' in body
        assert "slipstream_replication_lag_seconds" in body
        # a command not served here (a hash): counted and logged, the link stays up
        p.r.hset("h", "f", "v")
        p.r.set("after-hset", "1")
        until("stream after HSET", lambda: rr.get("after-hset") == b"1", timeout=2)
        assert "the master sent 'HSET', which is not served here" in s.log_text()
        body = urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics",
                                      timeout=TIMEOUT).read().decode()
        assert sum(int(line.rsplit(" ", 1)[1]) for line in body.splitlines()
                   if line.startswith("slipstream_replication_unapplied_total{")) == 1
        assert link_up(rr)
        # replica-read-only no: writes accepted (and not sent anywhere)
        assert rr.config_set("replica-read-only", "no")
        assert rr.set("local", "1")
        assert rr.config_set("replica-read-only", "yes")
        # kill -9 the primary: reads go on, the link is down
        p.r.set("last", "z")
        until("last write", lambda: rr.get("last") == b"z")
        p.stop(sig=signal.SIGKILL)
        until("link down", lambda: rr.info("replication")["master_link_status"] == "down")
        info = rr.info("replication")
        assert info["master_last_io_seconds_ago"] == -1
        assert info["master_link_down_since_seconds"] >= 0
        assert rr.get("a") == b"1" and rr.get("last") == b"z"
        assert 0 < rr.ttl("t") <= 500
        assert rr.execute_command("ROLE")[3] in (b"connect", b"connecting")
        body = urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics",
                                      timeout=TIMEOUT).read().decode()
        assert 'slipstream_replication_link_up{core="0"} 0' in body
        with pytest.raises(redis.ResponseError, match="read only replica"):
            rr.set("a", "2")
        # REPLICAOF NO ONE: a primary again, data kept, writes accepted
        assert rr.execute_command("REPLICAOF", "NO", "ONE") == b"OK"
        assert rr.set("a", "2") and rr.get("a") == b"2" and rr.get("last") == b"z"
        assert rr.execute_command("ROLE")[0] == b"master"
        info = rr.info("replication")
        assert info["role"] == "master" and info["master_replid2"] == pinfo["master_replid"]
        assert info["second_repl_offset"] == info["master_repl_offset"] + 1
        with socket.create_connection(("127.0.0.1", s.mc_port), timeout=TIMEOUT) as c:
            c.sendall(b"set mk 0 0 1\r\nx\r\n")
            assert c.recv(100) == b"STORED\r\n"
        assert "Connection with master lost" in s.log_text()
    finally:
        if s:
            s.stop()
        p.stop()


def test_replicaof_at_run_time_and_masterauth(dirs):
    pw = "primary-pw"
    p = Primary(dirs[0], requirepass=pw)
    s = None
    try:
        fill(p.r, 0, 1000)
        # started as a primary, with data of its own that the sync replaces
        s = Server(dirs[1], extra=["--masterauth", pw])
        rr = client(s)
        rr.set("mine", "1")
        assert rr.execute_command("ROLE") == [b"master", 0, []]
        info = rr.info("replication")
        assert info["role"] == "master" and len(info["master_replid"]) == 40
        assert str(info["master_replid2"]).strip("0") == "" and info["second_repl_offset"] == -1
        for bad, err in ((["127.0.0.1", "x"], "Invalid master port"),
                         (["127.0.0.1", "70000"], "Invalid master port"),
                         (["no", "two"], "Invalid master port")):
            with pytest.raises(redis.ResponseError, match=err):
                rr.execute_command("REPLICAOF", *bad)
        assert rr.config_get("replicaof") == {"replicaof": ""}
        assert rr.execute_command("SLAVEOF", "127.0.0.1", str(p.port)) in (True, b"OK")
        assert rr.config_get("replicaof") == {"replicaof": f"127.0.0.1 {p.port}"}
        until("link up", lambda: link_up(rr))
        until("synced", lambda: caught_up(p.r, rr))
        assert rr.get("mine") is None and rr.dbsize() == 1000
        same_data(p.r, rr)
        p.r.set("after", "1")
        until("stream", lambda: rr.get("after") == b"1", timeout=1)
        assert rr.execute_command("REPLICAOF", "NO", "ONE") == b"OK"
        assert rr.execute_command("REPLICAOF", "NO", "ONE") == b"OK"
        assert rr.config_get("replicaof") == {"replicaof": ""}
        s.stop()
        s = None
        # a wrong masterauth: the link never comes up, and says why
        (dirs[1] / "w").mkdir()
        s = replica(dirs[1] / "w", p, extra=["--masterauth", "wrong"])
        rr = client(s)
        until("AUTH refused", lambda: "Unable to AUTH to MASTER" in s.log_text())
        info = rr.info("replication")
        assert info["master_link_status"] == "down" and info["slave_repl_offset"] == 1
        assert rr.execute_command("ROLE")[4] == -1
        # CONFIG SET masterauth, as in Redis: the next attempt uses it
        assert rr.config_set("masterauth", pw)
        until("link up with the new masterauth", lambda: link_up(rr))
        until("synced", lambda: caught_up(p.r, rr))
        same_data(p.r, rr)
    finally:
        if s:
            s.stop()
        p.stop()


def test_big_values_and_a_new_primary_on_the_same_port(dirs):
    """Values larger than every buffer on the way (socket reads, the feed's
    pops), in the RDB and in the stream, on a replica whose maxmemory they
    exceed; then the primary restarts empty with other data: the replica
    reconnects by itself and syncs again."""
    p = Primary(dirs[0])
    s = None
    port = p.port
    try:
        big = bytes(range(256)) * 20_000                # 5 MB, every byte value
        p.r.set("big-rdb", big)
        fill(p.r, 0, 2000)
        # maxmemory far below the data: a read-only replica ignores it
        s = replica(dirs[1], p, extra=["--maxmemory", "1mb", "--maxmemory-policy", "noeviction"])
        rr = client(s)
        until("link up", lambda: link_up(rr))
        until("synced", lambda: caught_up(p.r, rr))
        assert rr.get("big-rdb") == big
        p.r.set("big-stream", big[::-1])
        p.r.append("big-stream", b"\r\n*1\r\n$4\r\nPING\r\n")   # RESP inside a value
        until("big value in the stream", lambda: caught_up(p.r, rr))
        assert rr.get("big-stream") == big[::-1] + b"\r\n*1\r\n$4\r\nPING\r\n"
        same_data(p.r, rr)
        # the primary goes away and another one comes up on its port
        p.stop()
        until("link down", lambda: not link_up(rr))
        (dirs[0] / "again").mkdir()
        p2 = None
        for _ in range(50):       # the port was free a moment ago; retry if taken
            try:
                p2 = Primary(dirs[0] / "again", port=port)
                break
            except RuntimeError:
                time.sleep(0.1)
        assert p2 is not None
        p = p2
        p.r.set("only", "this")
        until("resync with the new primary",
              lambda: link_up(rr) and rr.dbsize() == 1 and rr.get("only") == b"this")
        same_data(p.r, rr)
    finally:
        if s:
            s.stop()
        p.stop()


def test_repl_timeout_silent_primary(dirs):
    """A primary that stops (SIGSTOP: the socket stays open, nothing comes)
    is dropped after repl-timeout seconds; it is taken back when it
    answers again."""
    p = Primary(dirs[0])
    s = None
    try:
        p.r.config_set("repl-ping-replica-period", 1)   # a live primary is never silent 2 s
        p.r.set("a", "1")
        s = replica(dirs[1], p, extra=["--repl-timeout", "2"])
        rr = client(s)
        until("link up", lambda: link_up(rr))
        time.sleep(3)                                   # pings keep it up past the timeout
        assert link_up(rr)
        os.kill(p.proc.pid, signal.SIGSTOP)
        try:
            t0 = time.monotonic()
            until("link down on timeout", lambda: not link_up(rr), timeout=6)
            assert time.monotonic() - t0 >= 1.0
            assert "MASTER timeout" in s.log_text()
            assert rr.get("a") == b"1"
        finally:
            os.kill(p.proc.pid, signal.SIGCONT)
        until("link up again", lambda: link_up(rr), timeout=TIMEOUT)
        p.r.set("b", "2")
        until("stream again", lambda: rr.get("b") == b"2", timeout=2)
    finally:
        if s:
            s.stop()
        p.stop()


class FakePrimary:
    """A scripted primary on 127.0.0.1: the test drives the replication
    protocol by hand (odd splits, exact offsets, garbage)."""

    def __init__(self):
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(4)
        self.ls.settimeout(TIMEOUT)
        self.port = self.ls.getsockname()[1]
        self.c = None
        self.buf = b""

    def accept(self):
        self.c, _ = self.ls.accept()
        self.c.settimeout(TIMEOUT)
        self.c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.c.recv(4096)
            assert chunk, "replica closed the link"
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def command(self):
        """One RESP array command from the replica, as a list of bytes."""
        head = self._line()
        assert head.startswith(b"*"), head
        args = []
        for _ in range(int(head[1:])):
            n = int(self._line()[1:])
            while len(self.buf) < n + 2:
                chunk = self.c.recv(4096)
                assert chunk
                self.buf += chunk
            args.append(self.buf[:n])
            self.buf = self.buf[n + 2:]
        return args

    def send(self, data, pieces=1, pause=0.0):
        step = max(1, -(-len(data) // pieces))
        for i in range(0, len(data), step):
            self.c.sendall(data[i:i + step])
            if pause:
                time.sleep(pause)

    def close(self):
        for x in (self.c, self.ls):
            if x:
                x.close()


def ack_until(fp, offset, most=10):
    """Read the replica's REPLCONF ACKs until one says offset (a periodic
    one may come first with an older offset)."""
    for _ in range(most):
        cmd = fp.command()
        assert cmd[:2] == [b"REPLCONF", b"ACK"] and int(cmd[2]) <= offset, cmd
        if int(cmd[2]) == offset:
            return
    raise AssertionError(f"no ACK at {offset}")


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def test_restart_resumes_from_a_real_primary(dirs):
    """Stopped (its shutdown snapshot records replid and offset) and
    restarted, a replica of a real redis-server gets +CONTINUE: Redis
    agrees with our offset, and only what was missed comes."""
    p = Primary(dirs[0])
    s = None
    try:
        fill(p.r, 0, 5000)
        s = replica(dirs[1], p, extra=("--save", "3600 1"))
        rr = client(s)
        until("synced", lambda: link_up(rr) and caught_up(p.r, rr))
        s.stop()
        s = None
        fill(p.r, 5000, 7000)
        p.r.delete("k:1", "k:2")
        s = replica(dirs[1], p, extra=("--save", "3600 1"))
        rr = client(s)
        until("resumed", lambda: link_up(rr) and caught_up(p.r, rr))
        same_data(p.r, rr)
        stats = p.r.info("stats")
        assert stats["sync_partial_ok"] == 1 and stats["sync_full"] == 1, stats
        assert "Successful partial resynchronization" in s.log_text()
    finally:
        if s:
            s.stop()
        p.stop()


def redis_rdb(d):
    """An RDB from the real thing: from-rdb=1, ttl-rdb=2 with 3000 s to live."""
    r = Primary(d)
    try:
        r.r.set("from-rdb", "1")
        r.r.set("ttl-rdb", "2", px=3_000_000)
        r.r.save()
        return (d / "dump.rdb").read_bytes()
    finally:
        r.stop()


def test_scripted_primary_offsets_continue_and_garbage(dirs):
    """The handshake Redis 7 sends; a diskless payload whose end mark
    arrives in pieces; REPLCONF ACK at the exact offset (every stream byte
    counted, PING and SELECT included, the GETACK itself not); after a drop,
    PSYNC <replid> <offset+1> and +CONTINUE <new id>; a protocol error
    drops the link and the next sync is a full one."""
    # an RDB from the real thing
    rdb = redis_rdb(dirs[0])
    fp = FakePrimary()
    s = None
    try:
        s = replica(dirs[1], fp)
        rr = client(s)
        fp.accept()
        assert fp.command() == [b"PING"]
        fp.send(b"+PONG\r\n")
        assert fp.command() == [b"REPLCONF", b"listening-port", str(s.port).encode()]
        assert fp.command() == [b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"]
        fp.send(b"+OK\r\n+OK\r\n", pieces=7)
        assert fp.command() == [b"PSYNC", b"?", b"-1"]
        replid, base = "ab" * 20, 1000
        assert rr.execute_command("ROLE")[3] == b"handshake"
        fp.send(b"+FULLRESYNC %s %d\r\n\n\n" % (replid.encode(), base), pieces=3, pause=0.01)
        mark = b"0123456789abcdef0123456789abcdef01234567"
        fp.send(b"$EOF:" + mark + b"\r\n" + rdb[:-10])
        until("sync in progress", lambda: rr.execute_command("ROLE")[3] == b"sync")
        info = rr.info("replication")
        assert info["master_sync_in_progress"] == 1 and info["master_link_status"] == "down"
        fp.send(rdb[-10:] + mark, pieces=13, pause=0.01)
        # the first ACK, at the sync's offset, once every worker loaded
        ack_until(fp, base, most=1)
        until("link up", lambda: link_up(rr))
        assert rr.get("from-rdb") == b"1" and 0 < rr.pttl("ttl-rdb") <= 3_000_000
        assert rr.info("replication")["master_replid"] == replid
        stream = (resp("SELECT", 0) + resp("SET", "k", "v\r\nx") + resp("PING") +
                  resp("MULTI") + resp("INCR", "n") + resp("EXEC") + b"\n")
        getack = resp("REPLCONF", "GETACK", "*")
        fp.send(stream + getack + resp("SET", "after", "1"), pieces=len(stream) // 3)
        ack_until(fp, base + len(stream))
        until("applied", lambda: rr.get("after") == b"1")
        assert rr.get("k") == b"v\r\nx" and rr.get("n") == b"1"
        total = base + len(stream) + len(getack) + len(resp("SET", "after", "1"))
        until("offset", lambda: rr.info("replication")["slave_repl_offset"] == total)
        assert rr.execute_command("ROLE")[4] == total
        # the periodic ACK says the same
        ack_until(fp, total)
        # the link drops: the next one asks to go on from the next byte
        fp.c.close()
        fp.accept()
        assert handshake(fp) == [replid.encode(), str(total + 1).encode()]
        newid = "cd" * 20
        fp.send(b"+CONTINUE %s\r\n" % newid.encode() + resp("SET", "k2", "w"), pieces=5)
        until("link up after +CONTINUE", lambda: link_up(rr))
        until("continued", lambda: rr.get("k2") == b"w")
        assert rr.get("from-rdb") == b"1" and rr.get("k") == b"v\r\nx"   # data kept
        total += len(resp("SET", "k2", "w"))
        until("offset", lambda: rr.info("replication")["slave_repl_offset"] == total)
        assert rr.info("replication")["master_replid"] == newid
        fp.send(getack)
        ack_until(fp, total)
        # garbage: the link drops, and a new one starts within seconds
        fp.send(b"+this is not a command\r\n")
        until("link down", lambda: not link_up(rr))
        assert "protocol error in the replication stream" in s.log_text()
        assert rr.get("k") == b"v\r\nx"
        fp.c.close()
        fp.accept()
        # what followed the garbage is unknown: no partial resync
        assert handshake(fp) == [b"?", b"-1"]
    finally:
        if s:
            s.stop()
        fp.close()


def handshake(fp):
    """Answer a replica's handshake; returns its PSYNC arguments."""
    assert fp.command() == [b"PING"]
    fp.send(b"+PONG\r\n")
    assert fp.command()[:2] == [b"REPLCONF", b"listening-port"]
    assert fp.command() == [b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"]
    fp.send(b"+OK\r\n+OK\r\n")
    cmd = fp.command()
    assert cmd[0] == b"PSYNC", cmd
    return cmd[1:]


def test_restart_goes_on_from_the_snapshot_offset(dirs):
    """A replica's snapshot, taken while the stream flows, records the
    primary's replid and the exact offset its data holds: killed with
    kill -9 and restarted, the replica serves exactly the stream up to that
    offset and asks PSYNC <replid> <offset+1>; after +CONTINUE it ends with
    the primary's data. The stream is APPENDs: a command applied twice or
    missed shows. redis-check-rdb accepts the file."""
    rdb = redis_rdb(dirs[0])
    fp = FakePrimary()
    s = None
    try:
        s = replica(dirs[1], fp, extra=("--save", ""))
        rr = client(s)
        fp.accept()
        assert handshake(fp) == [b"?", b"-1"]
        replid, base = "ef" * 20, 5000
        fp.send(b"+FULLRESYNC %s %d\r\n$%d\r\n" % (replid.encode(), base, len(rdb)) + rdb)
        ack_until(fp, base, most=1)
        until("link up", lambda: link_up(rr))

        # 64 keys: one ever-growing value would make every APPEND a long copy
        cmds = [resp("APPEND", f"log:{i % 64}", f"{i},") for i in range(200_000)]

        def logs(n):
            want = [[] for _ in range(64)]
            for i in range(n):
                want[i % 64].append(f"{i},")
            return ["".join(w).encode() or None for w in want]

        def logs_now():
            return rr.mget([f"log:{k}" for k in range(64)])

        ends, off = [], base
        for c in cmds:
            off += len(c)
            ends.append(off)
        saved = threading.Event()
        sent = [0]

        def sender():
            # bursts, so that worker 0 has commands queued when the snapshot
            # is asked for; until it ended, then a little more
            i, extra = 0, 0
            while i < len(cmds) and extra < 3:
                fp.send(b"".join(cmds[i:i + 2000]))
                i += 2000
                extra += saved.is_set()
                time.sleep(0.01)
            sent[0] = i

        t = threading.Thread(target=sender)
        t.start()
        try:
            until("the stream applies", lambda: rr.strlen("log:0") > 100)
            saves = rr.info("persistence")["rdb_saves"]
            rr.bgsave()
            until("the snapshot ends", lambda: rr.info("persistence")["rdb_saves"] > saves,
                  step=0.05)
            assert rr.info("persistence")["rdb_last_bgsave_status"] == "ok"
        finally:
            saved.set()
            t.join(TIMEOUT)
        assert not t.is_alive() and sent[0] < len(cmds)
        s.stop(sig=signal.SIGKILL)
        s = None
        check = subprocess.run(["redis-check-rdb", str(dirs[1] / "dump.rdb")],
                               capture_output=True, text=True, timeout=TIMEOUT)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "repl-offset" in check.stdout, check.stdout

        s = replica(dirs[1], fp, extra=("--save", ""))
        rr = client(s)
        fp.c.close()
        fp.accept()
        psync = handshake(fp)
        assert psync[0] == replid.encode(), psync
        at = int(psync[1]) - 1
        # a command boundary the stream had reached, after some and before all
        assert at in ends[:sent[0]], (at, base, ends[sent[0] - 1])
        n = ends.index(at) + 1
        assert 0 < n < sent[0]
        assert logs_now() == logs(n) and rr.get("from-rdb") == b"1"
        assert rr.info("replication")["slave_repl_offset"] == at
        # the rest, and more written while it was down
        fp.send(b"+CONTINUE %s\r\n" % replid.encode())
        rest = cmds[n:sent[0] + 1000]
        for i in range(0, len(rest), 500):
            fp.send(b"".join(rest[i:i + 500]))
        last = sent[0] + 1000
        until("offset", lambda: rr.info("replication")["slave_repl_offset"] == ends[last - 1])
        assert logs_now() == logs(last)
        assert "partial resynchronization can go on" in s.log_text()
    finally:
        if s:
            s.stop()
        fp.close()


def test_bad_replicaof_option(tmp_path):
    out = subprocess.run([os.path.abspath(os.environ.get("SLIPSTREAM_BIN", "build/slipstream")),
                          "--replicaof", "127.0.0.1", "--port", str(free_port())],
                         capture_output=True, text=True, timeout=TIMEOUT)
    assert out.returncode == 2
    assert "replicaof" in out.stderr
