# SPDX-License-Identifier: BSD-3-Clause
"""The RDB format layer against the real Redis 7 tools.

Our writer's files (through build/tests/tools/rdb_tool) must pass
redis-check-rdb and load into a real redis-server with the same keys,
values and TTLs; files a real redis-server saves must load through our
reader with the same keys, values and TTLs. Servers run on free loopback
ports in temporary directories, bounded in time, stopped by PID.
"""
import os
import random
import shutil
import signal
import subprocess
import time

import pytest
import redis

from conftest import free_port

HERE = os.path.dirname(os.path.abspath(__file__))
RDB_TOOL = os.path.abspath(os.environ.get(
    "RDB_TOOL", os.path.join(HERE, "..", "..", "build", "tests", "tools", "rdb_tool")))
REDIS_SERVER = shutil.which("redis-server")
CHECK_RDB = shutil.which("redis-check-rdb")

pytestmark = pytest.mark.skipif(
    REDIS_SERVER is None or CHECK_RDB is None or not os.path.exists(RDB_TOOL),
    reason="needs redis-server, redis-check-rdb (redis-tools) and rdb_tool")


class RedisServer:
    """A real redis-server in dir d, with the given dump file name."""

    def __init__(self, d, dbfilename="dump.rdb", extra=()):
        self.port = free_port()
        self.log = os.path.join(d, "redis.log")
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(d), "--dbfilename", dbfilename, "--save", "",
             "--appendonly", "no", "--logfile", self.log, *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self.client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=10)
        deadline = time.monotonic() + 20
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("redis-server exited: " + self.log_text())
            try:
                if self.client.ping():
                    break
            except (redis.ConnectionError, redis.BusyLoadingError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError("redis-server did not start")
            time.sleep(0.05)

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


@pytest.fixture
def servers():
    started = []
    yield started
    for s in started:
        s.stop()


def rdb_write(path, keys):
    """keys: (key bytes, value bytes, expire_ms or -1, flags, cas)."""
    lines = "".join(f"{k.hex() or '-'} {v.hex() or '-'} {e} {f} {c}\n" for k, v, e, f, c in keys)
    subprocess.run([RDB_TOOL, "write", str(path)], input=lines.encode(), check=True, timeout=60)


def rdb_dump(path, skip=False):
    """Returns (returncode, {key: (value, expire_ms, flags, cas)}, summary, stderr)."""
    p = subprocess.run([RDB_TOOL, "dump", str(path)] + (["skip"] if skip else []),
                       capture_output=True, timeout=60)
    keys, summary = {}, {}
    for line in p.stdout.decode().splitlines():
        if line.startswith("# "):
            summary = dict(kv.split("=") for kv in line[2:].split())
            continue
        k, v, e, f, c = line.split()
        unhex = lambda h: b"" if h == "-" else bytes.fromhex(h)
        keys[unhex(k)] = (unhex(v), int(e), int(f), int(c))
    return p.returncode, keys, summary, p.stderr.decode()


def sample_keys(now_ms):
    rng = random.Random(7)
    keys = []
    for n in [0, 1, -1, 127, 128, -128, -129, 32767, 32768, -32768, -32769,
              2147483647, 2147483648, -2147483648, -2147483649, 9223372036854775807]:
        keys.append((f"int:{n}".encode(), str(n).encode(), -1, 0, 0))
    for s in [b"007", b"-0", b"+1", b"1.5", b" 3", b""]:
        keys.append((b"str:" + s, s, -1, 0, 0))
    keys.append((b"12345", b"integer key", -1, 0, 0))
    keys.append((b"bin\x00key\xff", bytes(range(256)) * 3, -1, 0, 0))
    keys.append((b"compressible", b"slipstream snapshot " * 5000, -1, 0, 0))
    keys.append((b"incompressible", bytes(rng.getrandbits(8) for _ in range(20000)), -1, 0, 0))
    keys.append((b"len:64", b"y" * 64, -1, 0, 0))
    keys.append((b"len:16384", bytes(rng.getrandbits(8) for _ in range(16384)), -1, 0, 0))
    keys.append((b"ttl:1h", b"soon", now_ms + 3600_000, 0, 0))
    keys.append((b"ttl:1y", b"later", now_ms + 365 * 86400_000, 0, 0))
    keys.append((b"mc:flags", b"memcached", -1, 0xdeadbeef, 12345678901234))
    keys.append((b"mc:ttl", b"both", now_ms + 7200_000, 3, 1))
    return keys


def test_our_rdb_passes_check_and_loads_into_redis(tmp_path, servers):
    now_ms = int(time.time() * 1000)
    keys = sample_keys(now_ms)
    path = tmp_path / "dump.rdb"
    rdb_write(path, keys)

    check = subprocess.run([CHECK_RDB, str(path)], capture_output=True, timeout=60)
    out = check.stdout.decode(errors="replace")
    assert check.returncode == 0, out
    assert "RDB looks OK" in out and "Checksum OK" in out
    assert f"{len(keys)} keys read" in out
    assert "AUX FIELD slip-mc = '3735928559 12345678901234'" in out

    s = RedisServer(tmp_path)
    servers.append(s)
    r = s.client
    assert r.dbsize() == len(keys), s.log_text()
    for k, v, e, _f, _c in keys:
        assert r.get(k) == v, k
        assert r.pexpiretime(k) == e, k   # -1 = no expiry, as our -1

    # Redis drops our metadata when it saves again, and stays readable by us.
    r.save()
    s.stop()
    rc, got, summary, err = rdb_dump(path)
    assert rc == 0, err
    assert got == {k: (v, e, 0, 0) for k, v, e, _f, _c in keys}
    assert summary["checksum"] == "1"


def test_our_reader_round_trips_flags_and_cas(tmp_path):
    keys = sample_keys(int(time.time() * 1000))
    path = tmp_path / "ours.rdb"
    rdb_write(path, keys)
    rc, got, summary, err = rdb_dump(path)
    assert rc == 0, err
    assert got == {k: (v, e, f, c) for k, v, e, f, c in keys}
    assert summary["keys"] == str(len(keys))


TYPES_SCRIPT = [
    ("RPUSH", "list:small", "a", "1", "b"),                       # quicklist 2 of listpacks
    ("HSET", "hash:small", "f", "v", "n", "1"),                   # listpack
    ("ZADD", "zset:small", "1", "a", "2.5", "b"),                 # listpack
    ("SADD", "set:ints", "1", "2", "300000"),                     # intset
    ("SADD", "set:big", *[f"m{i}" for i in range(300)]),          # hashtable
    ("HSET", "hash:big", *[x for i in range(300) for x in (f"f{i}", "v" * 80)]),
    ("ZADD", "zset:big", *[x for i in range(300) for x in (str(i / 3), f"m{i}")]),
    ("XADD", "stream", "1-1", "f", "v"),
    ("XADD", "stream", "2-1", "g", "w"),
    ("XGROUP", "CREATE", "stream", "grp", "0"),
    ("XREADGROUP", "GROUP", "grp", "alice", "COUNT", "1", "STREAMS", "stream", ">"),
]
N_OTHER = 8


@pytest.mark.parametrize("checksum", ["yes", "no"])
def test_redis_rdb_loads_through_our_reader(tmp_path, servers, checksum):
    s = RedisServer(tmp_path, extra=("--rdbchecksum", checksum))
    servers.append(s)
    r = s.client
    now_ms = int(time.time() * 1000)
    want = {}
    for k, v, e, _f, _c in sample_keys(now_ms):
        if e == -1:
            r.set(k, v)
        else:
            r.set(k, v, pxat=e)
        want[k] = v
    r.set("ex", "seconds", ex=1000)
    r.set("px", "millis", px=500000)
    r.set("persisted", "x", ex=100)
    r.persist("persisted")
    r.set("counter", 10)
    r.incrby("counter", 5)                 # an int-encoded object
    r.append("appended", "abc" * 10)
    for k in ("ex", "px", "persisted", "counter", "appended"):
        want[k.encode()] = r.get(k)
    r.execute_command("FUNCTION", "LOAD",
                      "#!lua name=slip\nredis.register_function('f', function() return 1 end)")
    for cmd in TYPES_SCRIPT:
        r.execute_command(*cmd)
    expiry = {k: r.pexpiretime(k) for k in want}
    r.save()
    s.stop()
    path = tmp_path / "dump.rdb"

    rc, _, _, err = rdb_dump(path)
    assert rc != 0
    assert "is a " in err and "which is not supported" in err, err

    rc, got, summary, err = rdb_dump(path, skip=True)
    assert rc == 0, err
    assert {k: v for k, (v, _e, _f, _c) in got.items()} == want
    assert {k: e for k, (_v, e, _f, _c) in got.items()} == expiry
    assert summary["skipped"] == str(N_OTHER)
    assert summary["functions"] == "1"
    assert summary["version"] == "10"
    assert summary["checksum"] == ("1" if checksum == "yes" else "0")


def test_damaged_file_is_refused(tmp_path):
    path = tmp_path / "dump.rdb"
    rdb_write(path, sample_keys(int(time.time() * 1000)))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x10
    path.write_bytes(bytes(data))
    rc, _, _, err = rdb_dump(path)
    assert rc == 1 and "load failed" in err
    path.write_bytes(bytes(data[: len(data) // 3]))
    rc, _, _, err = rdb_dump(path)
    assert rc == 1 and "load failed" in err
