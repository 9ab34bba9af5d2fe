# SPDX-License-Identifier: BSD-3-Clause
"""The storage engine through the real binary: maxmemory with noeviction
answers the standard errors, an eviction policy keeps memory under the
limit and counts evictions, active expiry removes keys nobody reads."""
import re
import socket
import time
import urllib.request

import pytest
import redis
from pymemcache.client.base import Client as Memcache
from pymemcache.exceptions import MemcacheServerError

from conftest import Server, free_port

TIMEOUT = 30
MAXMEM = 4 << 20


def start(tmp_path, *extra):
    port = free_port()
    s = Server(tmp_path, workers=2, extra=("--metrics-port", str(port), *extra))
    s.metrics_port = port
    return s


def metric(s, name):
    with urllib.request.urlopen(f"http://127.0.0.1:{s.metrics_port}/metrics",
                                timeout=TIMEOUT) as r:
        text = r.read().decode()
    vals = re.findall(rf"^slipstream_{name}(?:{{[^}}]*}})? (\S+)$", text, re.M)
    assert vals, f"{name} missing"
    return sum(float(v) for v in vals)


def test_noeviction_refuses_with_standard_errors(tmp_path):
    s = start(tmp_path, "--maxmemory", str(MAXMEM))
    try:
        r = redis.Redis(host="127.0.0.1", port=s.port, socket_timeout=TIMEOUT)
        value = b"x" * 10_000
        with pytest.raises(redis.exceptions.ResponseError) as e:
            for i in range(10_000):
                r.set(f"k{i}", value)
        assert str(e.value) == "OOM command not allowed when used memory > 'maxmemory'."
        assert 100 < i < 10_000
        assert r.get("k0") == value                 # nothing was evicted
        mc = Memcache(("127.0.0.1", s.mc_port), timeout=TIMEOUT)
        with pytest.raises(MemcacheServerError, match="out of memory storing object"):
            mc.set("mc", value, noreply=False)
        assert metric(s, "used_memory_bytes") <= MAXMEM
        assert metric(s, "evicted_keys_total") == 0
        r.delete("k0", "k1", "k2")                  # room again
        assert r.set("again", value) is True
    finally:
        s.stop()


def test_allkeys_lru_evicts_under_the_limit(tmp_path):
    s = start(tmp_path, "--maxmemory", str(MAXMEM), "--maxmemory-policy", "allkeys-lru")
    try:
        r = redis.Redis(host="127.0.0.1", port=s.port, socket_timeout=TIMEOUT)
        value = b"y" * 10_000
        p = r.pipeline(transaction=False)
        for i in range(3000):                       # 30 MB into 4 MB
            p.set(f"k{i}", value)
        assert all(x is True for x in p.execute())
        assert metric(s, "used_memory_bytes") <= MAXMEM
        evicted = metric(s, "evicted_keys_total")
        assert evicted > 2000
        assert r.dbsize() + evicted == 3000
        assert r.get("k2999") == value              # the newest stays
        # the same count in Redis INFO and memcached stats
        assert r.info("stats")["evicted_keys"] == evicted
        m = socket.create_connection(("127.0.0.1", s.mc_port), timeout=TIMEOUT)
        m.sendall(b"stats\r\n")
        got = b""
        while not got.endswith(b"END\r\n"):
            got += m.recv(65536)
        m.close()
        assert b"STAT evictions %d\r\n" % evicted in got
    finally:
        s.stop()


def test_active_expiry_without_access(tmp_path):
    s = start(tmp_path)
    try:
        mc = Memcache(("127.0.0.1", s.mc_port), timeout=TIMEOUT)
        for i in range(2000):
            mc.set(f"e{i}", b"v", expire=1, noreply=False)
            mc.set(f"p{i}", b"v", noreply=False)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and metric(s, "expired_keys_total") < 2000:
            time.sleep(0.2)
        assert metric(s, "expired_keys_total") == 2000
        assert metric(s, "keys") == 2000            # the ones without expiry
    finally:
        s.stop()


def test_config_set_lower_maxmemory_evicts_without_writes(tmp_path):
    s = start(tmp_path, "--maxmemory-policy", "allkeys-random")
    try:
        r = redis.Redis(host="127.0.0.1", port=s.port, socket_timeout=TIMEOUT)
        value = b"z" * 10_000
        p = r.pipeline(transaction=False)
        for i in range(1000):                       # about 10 MB, no limit yet
            p.set(f"k{i}", value)
        p.execute()
        assert r.dbsize() == 1000
        assert r.config_set("maxmemory", str(MAXMEM)) is True
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and metric(s, "used_memory_bytes") > MAXMEM:
            time.sleep(0.1)
        assert metric(s, "used_memory_bytes") <= MAXMEM
        assert 0 < r.dbsize() < 1000
        assert metric(s, "evicted_keys_total") == 1000 - r.dbsize()
    finally:
        s.stop()
