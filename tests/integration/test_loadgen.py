# SPDX-License-Identifier: BSD-3-Clause
"""slipstream-loadgen against the real binary in all three protocols with
--verify, against Debian's memcached for the meta protocol, and against tiny
fake servers in this file: a faithful one (the control) and ones that answer
wrongly, which --verify must catch with a non-zero exit."""
import json
import os
import shutil
import signal
import socket
import socketserver
import subprocess
import threading
import time

import pytest
import redis

from conftest import Server, free_port, wait_port

LOADGEN = os.path.abspath(os.environ.get("SLIPSTREAM_LOADGEN",
                                         "build/tests/bench/loadgen/slipstream-loadgen"))


def loadgen(port, protocol, *args, timeout=60):
    argv = [LOADGEN, "--server", "127.0.0.1", "--port", str(port), "--protocol", protocol,
            "--json", *args]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    res = json.loads(out.stdout) if out.stdout.startswith("{") else None
    return out.returncode, res, out


SHORT = ["--connections", "4", "--pipeline", "8", "--ratio", "1:1", "--key-count", "500",
         "--test-time", "1", "--warmup", "0.2"]


def check_report(res, protocol):
    assert res["config"]["protocol"] == protocol
    assert res["ops"] == res["gets"] + res["sets"] > 100
    assert res["hits"] + res["misses"] == res["gets"]
    assert res["hits"] > 0, "GETs of keys this run SET must hit"
    assert res["errors"] == res["verify_errors"] == res["connection_errors"] == 0
    assert res["ops_per_sec"] > 0 and 0.9 < res["seconds"] < 1.5
    lat = res["latency_us"]
    assert lat["count"] == res["ops"]
    assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["p99.9"] <= lat["max"]


@pytest.fixture
def slip(tmp_path):
    s = Server(tmp_path, workers=2)
    yield s
    s.stop()


def speaks_meta(port):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
        c.sendall(b"mn\r\n")
        return c.recv(64).startswith(b"MN\r\n")


@pytest.mark.parametrize("protocol", ["redis", "memcache_text", "memcache_meta"])
def test_verify_against_slipstream(slip, protocol):
    port = slip.port if protocol == "redis" else slip.mc_port
    if protocol == "memcache_meta" and not speaks_meta(port):
        pytest.skip("this Slipstream build does not serve the memcached meta commands")
    rc, res, out = loadgen(port, protocol, "--verify", *SHORT)
    assert rc == 0, out.stdout + out.stderr
    check_report(res, protocol)
    assert res["config"]["verify"] is True


def test_meta_against_memcached(tmp_path):
    port = free_port()
    user = ["-u", "root"] if os.geteuid() == 0 else []
    proc = subprocess.Popen([shutil.which("memcached") or "memcached", "-t", "1", "-U", "0",
                             "-l", "127.0.0.1", "-p", str(port), *user],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc)
        for protocol in ("memcache_meta", "memcache_text"):
            rc, res, out = loadgen(port, protocol, "--verify", *SHORT)
            assert rc == 0, out.stdout + out.stderr
            check_report(res, protocol)
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


def test_requests_and_open_loop(slip):
    rc, res, out = loadgen(slip.port, "redis", "--connections", "4", "--requests", "250",
                           "--pipeline", "4", "--key-pattern", "zipf", "--verify")
    assert rc == 0, out.stderr
    assert res["ops"] == 1000 and res["config"]["key_pattern"] == "zipf"
    # Open loop: the rate is what is offered, whatever the server could do.
    rc, res, out = loadgen(slip.mc_port, "memcache_text", "--connections", "8", "--rate", "4000",
                           "--test-time", "1.5", "--data-size-range", "16-200", "--verify")
    assert rc == 0, out.stderr
    assert res["config"]["mode"] == "open loop"
    assert 3400 < res["ops_per_sec"] < 4600, res


def test_threads_share_the_shadow_table(slip):
    # Two epoll loops writing and reading the same 50 keys through both ports
    # of one keyspace: every GET is checked against SETs from either thread.
    rc, res, out = loadgen(slip.port, "redis", "--verify", "--threads", "2", "--connections", "6",
                           "--pipeline", "4", "--ratio", "1:1", "--key-count", "50",
                           "--test-time", "1", "--key-prefix", "thr:")
    assert rc == 0, out.stdout + out.stderr
    check_report(res, "redis")
    assert res["config"]["threads"] == 2
    rc, res, out = loadgen(slip.mc_port, "memcache_text", "--verify", "--ratio", "0:1",
                           "--key-count", "50", "--requests", "100", "--key-prefix", "thr:")
    assert rc == 0, out.stdout + out.stderr
    # keys another run (the one above) wrote are accepted but counted apart
    assert res["hits"] == res["foreign_values"] > 0 and res["verify_errors"] == 0


@pytest.mark.parametrize("protocol", ["redis", "memcache_text", "memcache_meta"])
def test_expiry_range(slip, protocol):
    # --ratio is SET:GET, so 1:0 is SETs only; each carries a TTL of 100..200 s
    # (EX, the exptime, T), read back through RESP: both ports share one keyspace.
    port = slip.port if protocol == "redis" else slip.mc_port
    if protocol == "memcache_meta" and not speaks_meta(port):
        pytest.skip("this Slipstream build does not serve the memcached meta commands")
    keys = [f"ttl:{i}" for i in range(50)]
    t0 = time.monotonic()
    rc, res, out = loadgen(port, protocol, "--ratio", "1:0", "--expiry-range", "100-200",
                           "--connections", "2", "--pipeline", "4", "--key-count", "50",
                           "--key-prefix", "ttl:", "--requests", "200")
    assert rc == 0, out.stdout + out.stderr
    assert res["sets"] == 400 and res["gets"] == 0 and res["errors"] == 0, res
    assert (res["config"]["expiry_min"], res["config"]["expiry_max"]) == (100, 200)
    r = redis.Redis(port=slip.port, socket_timeout=10)
    ttls = [t for t in (r.ttl(k) for k in keys) if t != -2]
    # TTL counts down (and may round down) from the SET: allow for the time since
    low = 100 - int(time.monotonic() - t0) - 1
    assert len(ttls) > 40 and all(low <= t <= 200 for t in ttls), ttls
    assert min(ttls) < 150 < max(ttls), ttls   # drawn over the range, not one value
    # Without the option: plain SETs, no TTL (and 0 in the report).
    rc, res, out = loadgen(port, protocol, "--ratio", "1:0", "--connections", "2",
                           "--key-count", "50", "--key-prefix", "nottl:", "--requests", "100")
    assert rc == 0 and res["errors"] == 0, out.stdout + out.stderr
    assert (res["config"]["expiry_min"], res["config"]["expiry_max"]) == (0, 0)
    ttls = [t for t in (r.ttl(f"nottl:{i}") for i in range(50)) if t != -2]
    assert len(ttls) > 40 and set(ttls) == {-1}, ttls


def test_bad_options():
    for args in (["--protocol", "memcache"], ["--ratio", "1"], ["--zipf-theta", "1"],
                 # TTLs: A <= B <= 30 days; an expired key would fail --verify
                 ["--expiry-range", "100"], ["--expiry-range", "200-100"],
                 ["--expiry-range", "0-2592001"], ["--expiry-range", "-1-5"],
                 ["--verify", "--expiry-range", "1-2"],
                 ["--requests", "5", "--test-time", "1"], ["--verify", "--data-size", "8"],
                 ["--transport", "tap"], ["--connections", "2", "--threads", "3"],
                 # the DPDK transport: one thread, IPv4 addresses, A.B.C.D/N for itself
                 ["--transport", "dpdk", "--connections", "4", "--threads", "2"],
                 ["--transport", "dpdk", "--server", "localhost"],
                 ["--dpdk-ip", "198.18.0.1"], ["--dpdk-ip", "198.18.0.1/31"],
                 ["--dpdk-idle-sleep-us", "x"]):
        out = subprocess.run([LOADGEN, *args], capture_output=True, text=True, timeout=10)
        assert out.returncode == 2 and "slipstream-loadgen:" in out.stderr, args
        assert out.stdout == ""
    # Nobody listening: exit 1, said on stderr.
    out = subprocess.run([LOADGEN, "--port", str(free_port()), "--test-time", "0.2"],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode == 1 and "Connection refused" in out.stderr


class FakeStore(socketserver.ThreadingTCPServer):
    """A key-value server in a few lines, memcached text or RESP, with a
    `fault` that decides how it lies: None (faithful), "flip" (one byte of
    each value returned changed), "old" (GETs return the first value ever
    SET for the key), "status" (+OK / STORED to GETs)."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, proto, fault):
        self.proto, self.fault, self.data, self.first = proto, fault, {}, {}
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), FakeHandler)

    def get(self, key):
        with self.lock:
            v = (self.first if self.fault == "old" else self.data).get(key)
        if v is not None and self.fault == "flip":
            v = v[:-1] + bytes([v[-1] ^ 1])
        return v

    def set(self, key, val):
        with self.lock:
            self.data[key] = val
            self.first.setdefault(key, val)


class FakeHandler(socketserver.BaseRequestHandler):
    def handle(self):
        buf = bytearray()
        srv = self.server
        while True:
            try:
                chunk = self.request.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            out = bytearray()
            while True:
                n = (self.mc if srv.proto == "mc" else self.resp)(buf, out)
                if n == 0:
                    break
                del buf[:n]
            if out:
                self.request.sendall(out)

    def mc(self, buf, out):
        end = buf.find(b"\r\n")
        if end < 0:
            return 0
        words = bytes(buf[:end]).split()
        srv = self.server
        if words[0] == b"get":
            if srv.fault == "status":
                out += b"STORED\r\n"
                return end + 2
            v = srv.get(words[1])
            if v is not None:
                out += b"VALUE %s 0 %d\r\n%s\r\n" % (words[1], len(v), v)
            out += b"END\r\n"
            return end + 2
        n = int(words[4])
        if len(buf) < end + 2 + n + 2:
            return 0
        srv.set(words[1], bytes(buf[end + 2:end + 2 + n]))
        out += b"STORED\r\n"
        return end + 2 + n + 2

    def resp(self, buf, out):
        args, pos = [], 0
        end = buf.find(b"\r\n")
        if end < 0:
            return 0
        count, pos = int(buf[1:end]), end + 2
        for _ in range(count):
            end = buf.find(b"\r\n", pos)
            if end < 0:
                return 0
            n = int(buf[pos + 1:end])
            if len(buf) < end + 2 + n + 2:
                return 0
            args.append(bytes(buf[end + 2:end + 2 + n]))
            pos = end + 2 + n + 2
        srv = self.server
        if args[0] == b"GET":
            v = srv.get(args[1])
            if srv.fault == "status":
                out += b"+OK\r\n"
            else:
                out += b"$-1\r\n" if v is None else b"$%d\r\n%s\r\n" % (len(v), v)
        else:
            srv.set(args[1], args[2])
            out += b"+OK\r\n"
        return pos


@pytest.fixture
def fake():
    servers = []

    def start(proto, fault):
        s = FakeStore(proto, fault)
        threading.Thread(target=s.serve_forever, daemon=True).start()
        servers.append(s)
        return s.server_address[1]
    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


@pytest.mark.parametrize("proto,protocol", [("mc", "memcache_text"), ("resp", "redis")])
def test_verify_catches_a_lying_server(fake, proto, protocol):
    args = ["--connections", "2", "--pipeline", "4", "--ratio", "1:1", "--key-count", "50",
            "--test-time", "0.5"]
    # The control: the same fake, faithful, passes.
    rc, res, out = loadgen(fake(proto, None), protocol, "--verify", *args)
    assert rc == 0, out.stdout + out.stderr
    assert res["verify_errors"] == 0 and res["hits"] > 0
    for fault, what in (("flip", "bytes differ"), ("old", "older than the last acknowledged")):
        rc, res, out = loadgen(fake(proto, fault), protocol, "--verify", *args)
        assert rc == 1, (fault, out.stdout)
        assert res["verify_errors"] > 0 and what in res["first_error"], (fault, res)
    # An unexpected reply is an error: reported always, exit 1 with --verify only.
    port = fake(proto, "status")
    rc, res, out = loadgen(port, protocol, *args)
    assert rc == 0 and res["errors"] > 0 and res["first_error"]
    rc, res, out = loadgen(port, protocol, "--verify", *args)
    assert rc == 1 and res["errors"] > 0
