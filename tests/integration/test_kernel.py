# SPDX-License-Identifier: BSD-3-Clause
"""io=kernel end to end with real clients: redis-cli, python3-redis,
python3-pymemcache and libmemcached's tools, across both protocols."""
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest
import redis
from pymemcache.client.base import Client as Memcache

from conftest import BIN, Server, free_port

N = 10_000
TIMEOUT = 120


def rcli(server, *args, stdin=None):
    return subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(server.port), *args],
                          input=stdin, capture_output=True, timeout=TIMEOUT)


def resp_cmd(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def talk(port, data, want, timeout=10):
    """Send raw bytes; read until as many bytes as `want` came (or the peer
    closed, or timeout); assert they are `want`."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        got = b""
        deadline = time.monotonic() + timeout
        while len(got) < len(want) and time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            got += chunk
        assert got == want
        return got


def closed_by_peer(port, data, want, timeout=10):
    """Like talk, then the server must close the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        got = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        assert got == want


def test_redis_cli_pipe_10k_then_read_everywhere(server):
    payload = b"".join(resp_cmd("SET", f"cli:{i}", f"value-{i}") for i in range(N))
    r = rcli(server, "--pipe", stdin=payload)
    assert r.returncode == 0, r.stderr
    assert b"errors: 0, replies: %d" % N in r.stdout
    # Every key through python3-redis (RESP) and pymemcache (memcached).
    rc = redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=TIMEOUT)
    p = rc.pipeline(transaction=False)
    for i in range(N):
        p.get(f"cli:{i}")
    assert p.execute() == [f"value-{i}".encode() for i in range(N)]
    mc = Memcache(("127.0.0.1", server.mc_port), timeout=TIMEOUT)
    keys = [f"cli:{i}" for i in range(N)]
    for start in range(0, N, 500):
        got = mc.get_many(keys[start:start + 500])
        assert got == {k: f"value-{k[4:]}".encode() for k in keys[start:start + 500]}
    # And a sample through redis-cli itself, one process each.
    for i in range(0, N, 1000):
        r = rcli(server, "GET", f"cli:{i}")
        assert r.stdout.decode().strip() == f"value-{i}"


def test_python_redis_writes_memcached_reads(server):
    rc = redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=TIMEOUT)
    p = rc.pipeline(transaction=False)
    for i in range(N):
        p.set(f"py:{i}", f"v{i}" * (1 + i % 7))
    assert all(x is True for x in p.execute())
    mc = Memcache(("127.0.0.1", server.mc_port), timeout=TIMEOUT)
    for i in range(0, N, 1):
        if i % 97 == 0:
            assert mc.get(f"py:{i}") == (f"v{i}" * (1 + i % 7)).encode()
    keys = [f"py:{i}" for i in range(N)]
    got = {}
    for start in range(0, N, 1000):
        got.update(mc.get_many(keys[start:start + 1000]))
    assert len(got) == N
    # DEL through RESP is seen by memcached.
    assert rc.delete(*keys[:100]) == 100
    assert rc.delete(*keys[:100]) == 0
    assert mc.get_many(keys[:100]) == {}
    assert mc.get(keys[100]) is not None


def test_pymemcache_writes_redis_reads(server):
    mc = Memcache(("127.0.0.1", server.mc_port), timeout=TIMEOUT)
    # pymemcache sends noreply by default; then a replied set, with flags.
    items = {f"mc:{i}": f"m{i}".encode() for i in range(N)}
    keys = list(items)
    for start in range(0, N, 1000):
        failed = mc.set_many({k: items[k] for k in keys[start:start + 1000]})
        assert failed == []
    assert mc.set("mc:flagged", b"x", noreply=False) is True
    rc = redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=TIMEOUT)
    p = rc.pipeline(transaction=False)
    for k in keys:
        p.get(k)
    assert p.execute() == [items[k] for k in keys]
    # Deletes both ways.
    assert mc.delete("mc:0", noreply=False) is True
    assert mc.delete("mc:0", noreply=False) is False
    assert rc.get("mc:0") is None
    assert rc.delete("mc:1") == 1
    assert mc.get("mc:1") is None
    # RESP SET is a string for memcached with flags 0; the value is binary-safe.
    blob = bytes(range(256)) * 40
    assert rc.set("bin", blob) is True
    assert mc.get("bin") == blob
    with socket.create_connection(("127.0.0.1", server.mc_port), timeout=10) as s:
        s.sendall(b"gets bin\r\n")
        raw = b""
        while not raw.endswith(b"\r\nEND\r\n"):
            chunk = s.recv(65536)
            assert chunk
            raw += chunk
    head, _, rest = raw.partition(b"\r\n")
    assert head.startswith(b"VALUE bin 0 %d " % len(blob)) and int(head.split()[4]) > 0
    assert rest == blob + b"\r\nEND\r\n"


def test_memcached_flags_and_expiry(server):
    talk(server.mc_port, b"set f 123 0 2\r\nab\r\nget f\r\n",
         b"STORED\r\nVALUE f 123 2\r\nab\r\nEND\r\n")
    talk(server.mc_port, b"set t 0 1 1\r\nx\r\nget t\r\n",
         b"STORED\r\nVALUE t 0 1\r\nx\r\nEND\r\n")
    # An absolute Unix time beyond 30 days; and a negative exptime.
    talk(server.mc_port, b"set abs 0 %d 1\r\ny\r\nget abs\r\n" % (time.time() + 3600),
         b"STORED\r\nVALUE abs 0 1\r\ny\r\nEND\r\n")
    talk(server.mc_port, b"set neg 0 -1 1\r\ny\r\nget neg\r\n", b"STORED\r\nEND\r\n")
    time.sleep(2.1)
    talk(server.mc_port, b"get t abs\r\n", b"VALUE abs 0 1\r\ny\r\nEND\r\n")


def test_libmemcached_tools(server, tmp_path):
    if shutil.which("memccp") is None:
        pytest.fail("libmemcached-tools (memccp, memccat) are not installed: `make deps`")
    f = tmp_path / "tool-key"
    f.write_bytes(b"written by memccp")
    servers = f"--servers=127.0.0.1:{server.mc_port}"
    r = subprocess.run(["memccp", servers, str(f)], capture_output=True, timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(["memccat", servers, "tool-key"], capture_output=True, timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"written by memccp\n"   # memccat ends what it prints with "\n"
    assert rcli(server, "GET", "tool-key").stdout.strip() == b"written by memccp"


def test_bad_input_keeps_connection_and_data(server):
    rc = redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=TIMEOUT)
    rc.set("keep", "me")
    # redis-cli shows the standard error for an unknown command.
    r = rcli(server, "NOSUCHCMD", "a")
    assert r.stdout.decode().strip() == \
        "ERR unknown command 'NOSUCHCMD', with args beginning with: 'a'"
    # Unknown command and wrong arity: answered, the connection goes on.
    talk(server.port, b"NOSUCHCMD x\r\nGET\r\n" + resp_cmd("GET", "keep") + b"PING\r\n",
         b"-ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' \r\n"
         b"-ERR wrong number of arguments for 'get' command\r\n"
         b"$2\r\nme\r\n+PONG\r\n")
    # A malformed multibulk: Redis's protocol error, then the server closes.
    closed_by_peer(server.port, b"*1\r\n$abc\r\n", b"-ERR Protocol error: invalid bulk length\r\n")
    # memcached: unknown command, malformed line, bad data chunk; connection lives.
    # (After a bad data chunk memcached has read <bytes> + 2, "y\r"; the "\n"
    # left over is an empty command line, which it answers "ERROR".)
    talk(server.mc_port, b"bogus\r\nset k 0 0 abc\r\nset k 0 0 1\r\nxy\r\nget keep\r\n",
         b"ERROR\r\nCLIENT_ERROR bad command line format\r\n"
         b"CLIENT_ERROR bad data chunk\r\nERROR\r\n"
         b"VALUE keep 0 2\r\nme\r\nEND\r\n")
    # A key over 250 bytes is refused, the next request is served.
    talk(server.mc_port, b"get " + b"k" * 251 + b"\r\nget keep\r\n",
         b"CLIENT_ERROR bad command line format\r\nVALUE keep 0 2\r\nme\r\nEND\r\n")
    # Oversized value: memcached's error, the data is swallowed, not stored.
    big = b"v" * (1024 * 1024 + 1)
    talk(server.mc_port, b"set big 0 0 %d\r\n%s\r\nget keep\r\n" % (len(big), big),
         b"SERVER_ERROR object too large for cache\r\nVALUE keep 0 2\r\nme\r\nEND\r\n",
         timeout=30)
    assert rc.get("keep") == b"me"
    assert rc.get("big") is None


def test_pipelined_mixed_owners_keep_order(server):
    # With 3 workers most keys belong to another worker than the connection's.
    cmds = []
    for i in range(1000):
        cmds.append(resp_cmd("SET", f"order:{i}", f"{i}"))
        cmds.append(resp_cmd("GET", f"order:{i}"))
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        s.sendall(b"".join(cmds))
        want = b"".join(b"+OK\r\n$%d\r\n%d\r\n" % (len(str(i)), i) for i in range(1000))
        got = b""
        while len(got) < len(want):
            chunk = s.recv(65536)
            assert chunk, "connection closed early"
            got += chunk
    assert got == want


def test_many_connections(server):
    socks = [socket.create_connection(("127.0.0.1", server.port), timeout=10)
             for _ in range(200)]
    try:
        for i, s in enumerate(socks):
            s.sendall(resp_cmd("SET", f"c{i}", i))
        for s in socks:
            assert s.recv(16) == b"+OK\r\n"
    finally:
        for s in socks:
            s.close()
    rc = redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=TIMEOUT)
    assert rc.get("c199") == b"199"


def test_clean_shutdown(tmp_path):
    s = Server(tmp_path)
    talk(s.port, b"PING\r\n", b"+PONG\r\n")
    assert s.stop(signal.SIGINT) == 0
    log = s.log_text()
    assert "Ready to accept connections" in log
    assert "Received SIGINT scheduling shutdown" in log
    assert "bye bye" in log


def run_bin(*args, timeout=30):
    return subprocess.run([BIN, *args], capture_output=True, timeout=timeout, text=True)


@pytest.mark.parametrize("args,message", [
    (["--port", "abc"], "slipstream: --port: 'abc' is not an integer from 0 to 65535"),
    (["--nosuch", "1"], "slipstream: --nosuch: unknown option (slipstream --help lists them)"),
    (["--maxmemory-policy", "lru"], "slipstream: --maxmemory-policy: 'lru' is not one of "
     "noeviction|allkeys-lru|allkeys-lfu|allkeys-random|volatile-lru|volatile-lfu|"
     "volatile-random|volatile-ttl"),
    (["--dir", "/nonexistent-dir"], "slipstream: dir: cannot use '/nonexistent-dir' as the "
     "working directory: No such file or directory"),
])
def test_bad_options_exit_2_and_start_nothing(args, message):
    port = free_port()
    r = run_bin("--port", str(port), "--memcache-port", "0", *args)
    assert r.returncode == 2
    assert r.stderr.strip() == message
    assert r.stdout == ""
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_config_file_error_names_line(tmp_path):
    conf = tmp_path / "slip.conf"
    conf.write_text("# comment\nport 7000\nmaxmemory 12qb\n")
    r = run_bin(str(conf))
    assert r.returncode == 2
    assert r.stderr.strip() == (f"slipstream: {conf}:3: maxmemory: '12qb' is not a size from 0 "
                                "to 1125899906842624 bytes (a number with an optional k, kb, "
                                "m, mb, g or gb suffix)")


def test_help_lists_every_option():
    r = run_bin("--help")
    assert r.returncode == 0
    for name in ["io", "bind", "port", "memcache-port", "metrics-port", "workers", "maxmemory",
                 "maxmemory-policy", "dir", "dbfilename", "requirepass", "dpdk-args", "ip",
                 "netmask", "gateway", "idle-sleep-us", "loglevel", "logfile"]:
        assert f"  --{name} <" in r.stdout


def test_busy_port_fails_start(server, tmp_path):
    r = run_bin("--port", str(server.port), "--memcache-port", "0", "--dir", str(tmp_path))
    assert r.returncode == 1
    assert f"cannot listen on 127.0.0.1 port {server.port}: Address already in use" in r.stdout


def test_defaults_serve_redis_cli_and_memcached(tmp_path):
    """What `make run` promises: no port options, 127.0.0.1:6379 and :11211."""
    for port in (6379, 11211):
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, \
                f"port {port} is taken by another process; this test needs the defaults free"
    proc = subprocess.Popen([BIN, "--workers", "2"], cwd=tmp_path,
                            stdout=open(tmp_path / "log", "w"), stderr=subprocess.STDOUT)
    try:
        from conftest import wait_port
        wait_port(6379, proc)
        wait_port(11211, proc)
        r = subprocess.run(["redis-cli", "SET", "default-port-key", "ok"],
                           capture_output=True, timeout=TIMEOUT)
        assert r.stdout.strip() == b"OK"
        assert Memcache(("127.0.0.1", 11211), timeout=10).get("default-port-key") == b"ok"
        log = (tmp_path / "log").read_text()
        assert "redis-cli -h 127.0.0.1 -p 6379" in log
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
