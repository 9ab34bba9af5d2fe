# SPDX-License-Identifier: BSD-3-Clause
"""INFO, commandstats/latencystats, SLOWLOG, LATENCY, CLIENT LIST/INFO/KILL,
FLUSHALL/FLUSHDB and CONFIG RESETSTAT against the real binary with several
workers, so fan-outs cross cores. Exact counters after a known workload."""
import socket
import time

import pytest
import redis

from conftest import Server


@pytest.fixture
def srv(tmp_path):
    s = Server(tmp_path, workers=3, extra=("--slowlog-log-slower-than", "0",
                                           "--slowlog-max-len", "5"))
    yield s
    s.stop()


def client(srv, **kw):
    return redis.Redis(host="127.0.0.1", port=srv.port, socket_timeout=5, **kw)


def info(r, *sections):
    return r.info(*sections) if sections else r.info()


def test_info_sections_and_exact_counters(srv):
    r = client(srv)
    r.config_resetstat()
    for i in range(100):
        r.set(f"key:{i}", "v" * i)
    hits = sum(1 for i in range(150) if r.get(f"key:{i}") is not None)
    assert hits == 100
    with pytest.raises(redis.ResponseError):
        r.execute_command("GET")                 # arity: a rejected call
    stats = info(r, "stats")
    assert stats["keyspace_hits"] == 100
    assert stats["keyspace_misses"] == 50
    cs = info(r, "commandstats")
    assert cs["cmdstat_set"]["calls"] == 100
    assert cs["cmdstat_get"]["calls"] == 150
    assert cs["cmdstat_get"]["rejected_calls"] == 1
    assert cs["cmdstat_get"]["failed_calls"] == 0
    assert stats["total_error_replies"] == 1
    with pytest.raises(redis.ResponseError):
        r.execute_command("NOSUCHCMD")
    with pytest.raises(redis.ResponseError):
        r.execute_command("AUTH", "x")              # no password set: ERR AUTH <password> ...
    es = info(r, "errorstats")
    assert es["errorstat_ERR"] in ({"count": 3}, "count=3")   # redis-py versions differ
    assert info(r, "stats")["total_error_replies"] == 3
    ls = info(r, "latencystats")
    p = ls["latency_percentiles_usec_get"]
    assert 0 < p["p50"] <= p["p99"] <= p["p99.9"]
    ks = info(r, "keyspace")
    assert ks["db0"]["keys"] == 100 and ks["db0"]["expires"] == 0
    m = socket.create_connection(("127.0.0.1", srv.mc_port), timeout=5)
    m.sendall(b"set ttl1 0 100 1\r\nx\r\nset ttl2 0 100 1\r\nx\r\n")
    got = b""
    while got.count(b"STORED\r\n") < 2:
        got += m.recv(100)
    m.close()
    assert info(r, "keyspace")["db0"]["expires"] == 2
    default = info(r)
    for field in ("redis_version", "uptime_in_seconds", "connected_clients", "used_memory",
                  "maxmemory_policy", "total_connections_received", "role",
                  "used_cpu_sys", "instantaneous_ops_per_sec"):
        assert field in default, field
    assert "cmdstat_get" not in default           # commandstats only with "all"
    everything = r.info("all")
    assert "cmdstat_get" in everything and "latency_percentiles_usec_get" in everything
    assert default["role"] == "master" and default["worker_cores"] == 3
    # a subcommand's arity is checked before it runs (as Redis): rejected;
    # an error from a command that ran: failed
    with pytest.raises(redis.ResponseError):
        r.execute_command("CONFIG", "GET")
    with pytest.raises(redis.ResponseError):
        r.execute_command("CONFIG", "SET", "nosuch-option", "1")
    cs = info(r, "commandstats")["cmdstat_config"]
    assert cs["rejected_calls"] == 1 and cs["failed_calls"] == 1


def test_instantaneous_ops(srv):
    r = client(srv)
    pipe = r.pipeline(transaction=False)
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        for i in range(200):
            pipe.get("x")
        pipe.execute()
    assert info(r, "stats")["instantaneous_ops_per_sec"] > 100


def test_resetstat(srv):
    r = client(srv)
    for _ in range(10):
        r.get("a")
    r.config_resetstat()
    r.get("a")
    cs = info(r, "commandstats")
    assert cs["cmdstat_get"]["calls"] == 1
    assert info(r, "stats")["keyspace_misses"] == 1


def test_slowlog(srv):
    r = client(srv)
    r.slowlog_reset()
    assert r.slowlog_len() == 1          # SLOWLOG RESET itself, as Redis logs it
    r.set("k", "v")
    long_args = ["x"] * 40
    r.execute_command("DEL", *long_args)
    r.execute_command("ECHO", "y" * 200)
    entries = r.execute_command("SLOWLOG", "GET", "-1")
    # newest first; SLOWLOG GET itself is logged after it runs
    assert entries[0][3] == [b"ECHO", b"y" * 128 + b"... (72 more bytes)"]
    dl = entries[1][3]
    assert len(dl) == 32 and dl[0] == b"DEL" and dl[31] == b"... (10 more arguments)"
    assert entries[2][3] == [b"SET", b"k", b"v"]
    e = entries[0]
    assert len(e) == 6 and e[4].startswith(b"127.0.0.1:") and e[5] == b""
    assert entries[0][0] > entries[1][0] > entries[2][0]       # ids
    for _ in range(10):
        r.ping()
    assert r.slowlog_len() == 5                                  # slowlog-max-len
    assert len(r.execute_command("SLOWLOG", "GET", "2")) == 2
    with pytest.raises(redis.ResponseError, match="count should be greater than or equal to -1"):
        r.execute_command("SLOWLOG", "GET", "-2")
    r.config_set("slowlog-log-slower-than", "-1")
    r.slowlog_reset()
    r.ping()
    assert r.slowlog_len() == 0
    r.client_setname("named")
    r.config_set("slowlog-log-slower-than", "0")
    r.ping()
    assert r.execute_command("SLOWLOG", "GET", "1")[0][5] == b"named"


def test_latency_monitor(srv):
    r = client(srv)
    assert r.execute_command("LATENCY", "LATEST") == []
    assert r.execute_command("LATENCY", "HISTORY", "command") == []
    assert r.execute_command("LATENCY", "RESET") == 0
    with pytest.raises(redis.ResponseError, match="unknown subcommand"):
        r.execute_command("LATENCY", "NOPE")


def raw(srv, name):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    s.sendall(b"CLIENT SETNAME %s\r\nCLIENT ID\r\n" % name.encode())
    data = b""
    while data.count(b"\r\n") < 2:
        data += s.recv(100)
    assert data.startswith(b"+OK\r\n:")
    return s, int(data.split(b"\r\n")[1][1:])


def closed(s):
    """True when the server closed s (EOF), within the socket timeout."""
    try:
        return s.recv(100) == b""
    except ConnectionResetError:
        return True


def test_client_list_info_kill_across_workers(srv):
    conns = [raw(srv, f"c{i}") for i in range(8)]     # spread over 3 workers
    me = client(srv)
    me.ping()
    lst = me.client_list()
    names = {c["name"] for c in lst}
    assert {f"c{i}" for i in range(8)} <= names
    assert all(c["addr"].startswith("127.0.0.1:") for c in lst)
    my = me.client_info()
    assert int(my["id"]) == me.client_id() and my["cmd"] == "client"
    ids = [cid for _, cid in conns[:2]]
    only = me.execute_command("CLIENT", "LIST", "ID", *ids).decode().strip().split("\n")
    assert sorted(int(line.split()[0][3:]) for line in only) == sorted(ids)
    assert me.execute_command("CLIENT", "LIST", "TYPE", "pubsub") == b""
    with pytest.raises(redis.ResponseError, match="Unknown client type 'x'"):
        me.execute_command("CLIENT", "LIST", "TYPE", "x")
    # one by id, one by address (the old form), then every other client
    assert me.execute_command("CLIENT", "KILL", "ID", ids[0]) == 1
    assert closed(conns[0][0])
    addr = [c for c in lst if c["name"] == "c1"][0]["addr"]
    assert me.execute_command("CLIENT", "KILL", addr) == b"OK"
    assert closed(conns[1][0])
    with pytest.raises(redis.ResponseError, match="No such client"):
        me.execute_command("CLIENT", "KILL", addr)
    assert me.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes") == 6
    for s, _ in conns[2:]:
        assert closed(s)
    assert me.ping()
    assert [c["name"] for c in me.client_list()] == [""]
    for s, _ in conns:
        s.close()


def test_client_kill_self(srv):
    """The caller gets its reply, then is closed, on whichever worker it
    lives (regression: a caller on the first worker was closed while the
    fan-out to the others was still away, and its reply was lost)."""
    for _ in range(6):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        s.sendall(b"CLIENT KILL ID 999999\r\n")
        assert s.recv(100) == b":0\r\n"
        s.sendall(b"CLIENT KILL SKIPME no TYPE normal\r\n")
        data = b""
        while True:
            d = s.recv(100)
            if not d:
                break
            data += d
        assert data == b":1\r\n"                # replied, then closed
        s.close()


def test_flushall_flushdb_across_workers(srv):
    r = client(srv)
    for i in range(300):
        r.set(f"f{i}", i)
    assert r.dbsize() == 300
    assert r.flushall() is True
    assert r.dbsize() == 0
    for i in range(50):
        r.set(f"g{i}", i)
    assert r.execute_command("FLUSHDB", "ASYNC") is True
    assert r.dbsize() == 0
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("FLUSHALL", "NOW")
    r.set("kept", 1)
    with pytest.raises(redis.ResponseError):
        r.execute_command("FLUSHALL", "SYNC", "ASYNC")
    assert r.get("kept") == b"1"


def test_info_resp3_is_verbatim(srv):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    s.sendall(b"HELLO 3\r\n")
    time.sleep(0.2)
    s.recv(65536)
    s.sendall(b"INFO server\r\n")
    time.sleep(0.2)
    d = s.recv(65536)
    assert d.startswith(b"=") and b"\r\ntxt:# Server\r\n" in d
    s.close()


def test_slipstream_top(srv):
    """Two frames: the second has per-core rates from the difference of two
    INFO readings, one row per worker."""
    import os
    import re
    import subprocess
    import threading
    top = os.path.join(os.path.dirname(os.environ.get("SLIPSTREAM_BIN", "build/slipstream")),
                       "slipstream-top")
    r = client(srv)
    stop = threading.Event()

    def load():
        c = client(srv)
        p = c.pipeline(transaction=False)
        while not stop.is_set():
            for i in range(100):
                p.set(f"t{i}", "v")
                p.get(f"t{i}")
            p.execute()
    t = threading.Thread(target=load)
    t.start()
    try:
        out = subprocess.run([top, "-n", "2", "-i", "0.5", "127.0.0.1", str(srv.port)],
                             capture_output=True, timeout=30, text=True)
    finally:
        stop.set()
        t.join(timeout=30)
    assert out.returncode == 0, out.stderr
    frames = out.stdout.split("slipstream-top 127.0.0.1:")
    assert len(frames) == 3
    rows = [l for l in frames[2].splitlines()[1:] if re.match(r"^\d+\s+(\d+|-)\s", l)]
    assert len(rows) == 3                                   # 3 workers
    total = re.search(r"^total\s+(\d+) ops/s$", frames[2], re.M)
    assert total and int(total.group(1)) > 0
    hit = [float(row.split()[3]) for row in rows if row.split()[3] != "-"]
    assert hit and all(h == 100.0 for h in hit)            # every GET finds its key
    bad = subprocess.run([top, "127.0.0.1"], capture_output=True, timeout=10, text=True)
    assert bad.returncode == 2 and "usage" in bad.stderr
    r.config_set("requirepass", "pw")
    try:
        denied = subprocess.run([top, "-n", "1", "127.0.0.1", str(srv.port)],
                                capture_output=True, timeout=10, text=True)
        assert denied.returncode == 1 and "NOAUTH" in denied.stderr
        ok = subprocess.run([top, "-a", "pw", "-n", "1", "127.0.0.1", str(srv.port)],
                            capture_output=True, timeout=10, text=True)
        assert ok.returncode == 0 and "core" in ok.stdout
    finally:
        c = client(srv, password="pw")
        c.config_set("requirepass", "")


@pytest.fixture
def dbg(tmp_path):
    s = Server(tmp_path, workers=2, extra=("--enable-debug-command", "local",
                                           "--latency-monitor-threshold", "10"))
    yield s
    s.stop()


def test_known_delay_in_histogram_slowlog_and_latency_monitor(dbg):
    """DEBUG SLEEP 0.05 is a command of a known 50 ms: the histogram's
    percentiles, the slow log and the latency monitor all see it."""
    r = client(dbg)
    r.slowlog_reset()
    for _ in range(5):
        assert r.execute_command("DEBUG", "SLEEP", "0.05") in (b"OK", True)
    p = info(r, "latencystats")["latency_percentiles_usec_debug"]
    # a bucket is at most 1/16 wide; a busy 2-core box may wake the sleeper late
    for q in ("p50", "p99", "p99.9"):
        assert 50000 <= p[q] <= 50000 * 1.0625 + 50000, p
    slow = r.execute_command("SLOWLOG", "GET", "10")
    sleeps = [e for e in slow if e[3][:1] == [b"DEBUG"]]
    assert len(sleeps) == 5 and all(e[2] >= 50000 for e in sleeps)
    latest = r.execute_command("LATENCY", "LATEST")
    ev = {e[0]: e for e in latest}
    assert b"command" in ev and ev[b"command"][2] >= 50 and ev[b"command"][3] >= 50
    hist = r.execute_command("LATENCY", "HISTORY", "command")
    assert hist and all(ms >= 50 for _, ms in hist)
    assert r.execute_command("LATENCY", "RESET", "command") == 1
    assert r.execute_command("LATENCY", "LATEST") == []
    with pytest.raises(redis.ResponseError, match="unknown subcommand or wrong number"):
        r.execute_command("DEBUG", "NOPE")


def test_slipstream_top_in_tmux(srv):
    """The live view on a terminal: tmux runs it, its screen is read back."""
    import os
    import shutil
    import subprocess
    tmux = shutil.which("tmux")
    assert tmux, "tmux missing (make deps-test)"
    top = os.path.join(os.path.dirname(os.environ.get("SLIPSTREAM_BIN", "build/slipstream")),
                       "slipstream-top")
    r = client(srv)
    for i in range(100):
        r.set(f"tm{i}", "v")
    name = f"sstop{os.getpid()}"
    sock = f"/tmp/tmux-{name}"
    subprocess.run([tmux, "-S", sock, "new-session", "-d", "-s", name, "-x", "120", "-y", "30",
                    f"{top} -i 0.3 127.0.0.1 {srv.port}"], check=True, timeout=10)
    try:
        screen = ""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            r.get("tm1")
            screen = subprocess.run([tmux, "-S", sock, "capture-pane", "-p", "-t", name],
                                    capture_output=True, text=True, timeout=10).stdout
            if "ops/s" in screen and screen.count("slipstream-top") == 1 and "total" in screen:
                break
            time.sleep(0.2)
        lines = screen.splitlines()
        # cleared between frames: one frame on screen, header first
        assert lines[0].startswith("slipstream-top 127.0.0.1:"), screen
        assert lines[1].split()[:4] == ["core", "ops/s", "busy%", "hit%"], screen
        assert [l.split()[0] for l in lines[2:5]] == ["0", "1", "2"], screen
        assert "keys" in lines[1] and screen.count("slipstream-top") == 1
    finally:
        subprocess.run([tmux, "-S", sock, "kill-server"], timeout=10)


def test_keyspace_avg_ttl(srv):
    """avg_ttl, as Redis: a running average of the TTLs the active expiry
    walk sees (ms); 0 without volatile keys."""
    r = client(srv)
    r.flushall()
    assert "db0" not in info(r, "keyspace")
    for i in range(300):
        r.set(f"ttl:{i}", "v", ex=1000)
    r.set("forever", "v")
    deadline = time.monotonic() + 10
    db = {}
    while time.monotonic() < deadline:
        db = info(r, "keyspace")["db0"]
        if db["avg_ttl"] > 0:
            break
        time.sleep(0.2)
    assert db["keys"] == 301 and db["expires"] == 300
    assert 900_000 < db["avg_ttl"] <= 1_000_000, db
