# SPDX-License-Identifier: BSD-3-Clause
"""memcached clients against Slipstream: python3-pymemcache, the
libmemcached tools (memccp, memccat, memcstat, memcflush, memcrm, memctouch,
memcexist), one keyspace with RESP, and the memcache port under requirepass."""
import os
import shutil
import signal
import socket
import subprocess

import pytest
from pymemcache.client.base import Client as Memcache
from pymemcache.exceptions import MemcacheClientError, MemcacheIllegalInputError

from conftest import BIN, free_port, wait_port

TIMEOUT = 10


def mc(server, **kw):
    return Memcache(("127.0.0.1", server.mc_port), timeout=TIMEOUT, connect_timeout=TIMEOUT, **kw)


def test_pymemcache_storage(server):
    c = mc(server, default_noreply=False)
    assert c.set("p:a", b"1", expire=100, flags=5) is True
    assert c.get("p:a") == b"1"
    assert c.add("p:a", b"2") is False
    assert c.add("p:b", b"2") is True
    assert c.replace("p:c", b"3") is False
    assert c.replace("p:b", b"22") is True
    assert c.append("p:b", b"+") is True
    assert c.prepend("p:b", b"-") is True
    assert c.get("p:b") == b"-22+"
    value, cas = c.gets("p:b")
    assert value == b"-22+"
    assert c.cas("p:b", b"new", cas) is True
    assert c.cas("p:b", b"newer", cas) is False
    assert c.cas("p:nokey", b"x", b"1") is None
    assert c.get("p:b") == b"new"
    # Keys on every worker come back in one multi-get.
    keys = [f"p:many:{i}" for i in range(200)]
    c.set_many({k: k.encode() for k in keys})
    got = c.get_many(keys + ["p:missing"])
    assert got == {k: k.encode() for k in keys}
    assert c.delete_many(keys) is True
    assert c.get_many(keys) == {}


def test_pymemcache_noreply_default(server):
    c = mc(server)   # pymemcache sends storage commands with noreply by default
    assert c.set("p:nr", b"v") is True
    assert c.add("p:nr", b"w") is True   # noreply: the client cannot know
    assert c.get("p:nr") == b"v"
    assert c.delete("p:nr") is True
    assert c.get("p:nr") is None


def test_pymemcache_counters_touch(server):
    c = mc(server, default_noreply=False)
    assert c.incr("p:n", 1) is None
    c.set("p:n", b"10")
    assert c.incr("p:n", 5) == 15
    assert c.decr("p:n", 100) == 0
    assert c.incr("p:n", 2**64 - 1) == 2**64 - 1
    assert c.incr("p:n", 2) == 1
    c.set("p:s", b"abc")
    with pytest.raises(MemcacheClientError, match="non-numeric"):
        c.incr("p:s", 1)
    assert c.touch("p:n", 100) is True
    assert c.touch("p:nokey", 100) is False
    # A shorter number is written over the old one, padded (memcached).
    assert c.get("p:n") == b"1" + b" " * 19
    c.set("p:gone", b"x")
    assert c.touch("p:gone", -1) is True
    assert c.get("p:gone") is None
    with pytest.raises(MemcacheIllegalInputError):
        c.get("k" * 251)


def test_pymemcache_stats_version_flush(server):
    c = mc(server, default_noreply=False)
    c.set("p:f", b"1")
    st = c.stats()
    assert st[b"curr_items"] >= 1 and st[b"threads"] == 3
    assert c.version().decode().startswith("1.6.18-slipstream-")
    assert c.flush_all(noreply=False) is True
    assert c.get("p:f") is None
    assert c.stats("settings")[b"cas_enabled"] in (True, b"yes")


def test_one_keyspace_with_resp(server):
    """RESP and memcached share keys; RESP writes read with flags 0; every
    write from either side changes the CAS."""
    c = mc(server, default_noreply=False)
    c.set("x:k", b"from-mc", flags=9)
    r = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
    try:
        r.sendall(b"GET x:k\r\n")
        assert r.recv(100) == b"$7\r\nfrom-mc\r\n"
        _, cas1 = c.gets("x:k")
        r.sendall(b"SET x:k from-resp\r\n")
        assert r.recv(100) == b"+OK\r\n"
    finally:
        r.close()
    raw = socket.create_connection(("127.0.0.1", server.mc_port), timeout=TIMEOUT)
    try:
        raw.sendall(b"gets x:k\r\n")
        reply = b""
        while not reply.endswith(b"END\r\n"):
            reply += raw.recv(100)
    finally:
        raw.close()
    head = reply.split(b"\r\n")[0].split()
    assert head[:4] == [b"VALUE", b"x:k", b"0", b"9"]
    assert head[4] != cas1


def tool(name):
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not installed (libmemcached-tools)")
    return path


def run(server, name, *args, **kw):
    return subprocess.run([tool(name), f"--servers=127.0.0.1:{server.mc_port}", *args],
                          capture_output=True, timeout=TIMEOUT, **kw)


def test_libmemcached_tools(server, tmp_path):
    f = tmp_path / "payload.bin"
    data = bytes(range(256)) * 40
    f.write_bytes(data)
    r = run(server, "memccp", str(f))
    assert r.returncode == 0, r.stderr
    r = run(server, "memccat", "payload.bin")
    assert r.returncode == 0 and r.stdout == data + b"\n"   # memccat adds a newline
    r = run(server, "memcexist", "payload.bin")
    assert r.returncode == 0
    r = run(server, "memctouch", "--expire=100", "payload.bin")
    assert r.returncode == 0, r.stderr
    r = run(server, "memcstat")
    assert r.returncode == 0
    out = r.stdout.decode()
    assert "curr_items: 1" in out and f"127.0.0.1 ({server.mc_port})" in out
    r = run(server, "memcrm", "payload.bin")
    assert r.returncode == 0
    assert run(server, "memcexist", "payload.bin").returncode != 0
    assert run(server, "memccp", str(f)).returncode == 0
    assert run(server, "memcflush").returncode == 0
    assert run(server, "memccat", "payload.bin").returncode != 0


def start(tmp_path, extra):
    port, mc_port = free_port(), free_port()
    proc = subprocess.Popen([BIN, "--bind", "127.0.0.1", "--port", str(port),
                             "--memcache-port", str(mc_port), "--metrics-port", "0",
                             "--workers", "1", "--dir", str(tmp_path), "--requirepass", "pw",
                             *extra],
                            stdout=open(tmp_path / "log", "w"), stderr=subprocess.STDOUT)
    wait_port(port, proc)
    return proc, mc_port


def stop(proc):
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=30) == 0


def test_requirepass_keeps_memcache_port_closed(tmp_path):
    proc, mc_port = start(tmp_path, [])
    try:
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", mc_port)) != 0
        assert "stays closed: requirepass is set" in (tmp_path / "log").read_text()
    finally:
        stop(proc)


def test_memcache_with_requirepass_opens_it(tmp_path):
    proc, mc_port = start(tmp_path, ["--memcache-with-requirepass", "yes"])
    try:
        wait_port(mc_port, proc)
        c = Memcache(("127.0.0.1", mc_port), timeout=TIMEOUT)
        c.set("open", b"yes", noreply=False)
        assert c.get("open") == b"yes"
    finally:
        stop(proc)
