# SPDX-License-Identifier: BSD-3-Clause
"""Prometheus /metrics on metrics-port, scraped from a live server."""
import re
import socket
import time
import urllib.error
import urllib.request

import pytest
import redis

from conftest import Server, free_port

TIMEOUT = 30


@pytest.fixture
def mserver(tmp_path):
    port = free_port()
    s = Server(tmp_path, workers=3, extra=("--metrics-port", str(port)))
    s.metrics_port = port
    yield s
    s.stop()


def scrape(port, path="/metrics"):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=TIMEOUT) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return r.read().decode()


def total(text, name):
    """Sum of a metric over its samples (all cores)."""
    vals = re.findall(rf"^slipstream_{name}(?:{{[^}}]*}})? (\S+)$", text, re.M)
    assert vals, f"{name} missing"
    return sum(float(v) for v in vals)


def settled(port, deadline_s=10):
    """A scrape once the start-up port probes are accepted and closed."""
    deadline = time.monotonic() + deadline_s
    while True:
        text = scrape(port)
        if total(text, "connections_received_total") >= 2 and \
                total(text, "connected_clients") == 0:
            return text
        assert time.monotonic() < deadline, "start-up probes never settled"
        time.sleep(0.05)


def test_counters_follow_traffic(mserver):
    before = settled(mserver.metrics_port)
    rc = [redis.Redis(host="127.0.0.1", port=mserver.port, socket_timeout=TIMEOUT)
          for _ in range(8)]
    for i, r in enumerate(rc):
        p = r.pipeline(transaction=False)
        for j in range(100):
            p.set(f"m:{i}:{j}", "x" * 10)
        p.execute()
    # A worker counts bytes just after send() returns, so a client can read
    # its reply before the count moves: wait (bounded) for the totals.
    deadline = time.monotonic() + 10
    while True:
        after = scrape(mserver.metrics_port)
        if total(after, "net_output_bytes_total") >= 800 * 5 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert total(after, "connections_received_total") - \
        total(before, "connections_received_total") == 8
    assert total(after, "connected_clients") == 8
    assert total(after, "keys") == 800
    assert total(after, "net_input_bytes_total") > 800 * 30
    assert total(after, "net_output_bytes_total") >= 800 * 5     # "+OK\r\n" each
    # With 3 workers most keys live on another worker than the connection.
    assert total(after, "steer_sent_total") == total(after, "steer_executed_total") > 0
    assert total(after, "used_memory_bytes") > 800 * 20
    for r in rc:
        r.close()
    # Busy and idle time per worker core, as CPUUtilization needs.
    busy = re.findall(r'^slipstream_loop_busy_seconds_total\{core="(\d+)"\} (\S+)$', after, re.M)
    assert {c for c, _ in busy} == {"0", "1", "2", "3"}
    assert total(after, "loop_idle_seconds_total") > 0


def test_back_to_back_scrapes(mserver):
    # Regression: a connection accepted in the same pass as the stale-client
    # sweep was closed at once (an unsigned subtraction wrapped).
    for _ in range(1000):
        assert "slipstream_uptime_seconds" in scrape(mserver.metrics_port)


def test_not_found_and_method(mserver):
    with pytest.raises(urllib.error.HTTPError) as e:
        scrape(mserver.metrics_port, "/")
    assert e.value.code == 404
    req = urllib.request.Request(f"http://127.0.0.1:{mserver.metrics_port}/metrics",
                                 data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=TIMEOUT)
    assert e.value.code == 405
    assert "slipstream_uptime_seconds" in scrape(mserver.metrics_port, "/metrics?x=1")


def test_stalled_client_does_not_block_scrapes(mserver):
    # Connections that send nothing (or half a request) hold a slot, not the loop.
    idle = [socket.create_connection(("127.0.0.1", mserver.metrics_port), timeout=5)
            for _ in range(4)]
    idle[0].sendall(b"GET /metr")
    try:
        for _ in range(3):
            assert "slipstream_keys" in scrape(mserver.metrics_port)
        # The data plane keeps serving meanwhile.
        r = redis.Redis(host="127.0.0.1", port=mserver.port, socket_timeout=TIMEOUT)
        assert r.ping()
    finally:
        for s in idle:
            s.close()


def test_command_histograms(mserver):
    r = redis.Redis(host="127.0.0.1", port=mserver.port, socket_timeout=TIMEOUT)
    for i in range(300):
        r.set(f"h{i}", "x")
    for i in range(200):
        r.get(f"h{i}")
    text = scrape(mserver.metrics_port)
    assert re.search(r'^slipstream_command_calls_total\{cmd="get"\} 200$', text, re.M)
    assert re.search(r'^slipstream_command_calls_total\{cmd="set"\} 300$', text, re.M)
    buckets = re.findall(r'^slipstream_command_duration_seconds_bucket\{cmd="get",le="([^"]+)"\} (\d+)$',
                         text, re.M)
    assert buckets[-1] == ("+Inf", "200")
    counts = [int(c) for _, c in buckets]
    assert counts == sorted(counts)                 # cumulative
    assert re.search(r'^slipstream_command_duration_seconds_count\{cmd="get"\} 200$', text, re.M)
    s = float(re.search(r'^slipstream_command_duration_seconds_sum\{cmd="get"\} (\S+)$',
                        text, re.M).group(1))
    assert 0 < s < 200 * 0.1
    assert "# TYPE slipstream_command_duration_seconds histogram" in text


def test_health(mserver):
    with urllib.request.urlopen(f"http://127.0.0.1:{mserver.metrics_port}/health",
                                timeout=TIMEOUT) as r:
        assert r.status == 200
        assert r.read() == b"OK 3/3 workers serving\n"
    for path in ("/healthz", "/health/x", "/metricsx"):
        with pytest.raises(urllib.error.HTTPError) as e:
            scrape(mserver.metrics_port, path)
        assert e.value.code == 404


def test_malformed_requests_survive(mserver):
    """Junk, binary, a huge request line and a slowloris each get an answer
    or a close; scrapes keep working after every one."""
    for junk in (b"\x00\xff\x10garbage\r\n\r\n", b"GET\r\n\r\n", b"GET  HTTP/1.1\r\n\r\n",
                 b"G" * 70000, b"DELETE /metrics HTTP/1.1\r\n\r\n"):
        s = socket.create_connection(("127.0.0.1", mserver.metrics_port), timeout=10)
        try:
            s.sendall(junk)
            data = s.recv(200)
            assert data == b"" or data.startswith(b"HTTP/1.1 4"), (junk[:20], data)
        except (ConnectionResetError, BrokenPipeError):
            pass
        finally:
            s.close()
        assert "slipstream_uptime_seconds" in scrape(mserver.metrics_port)


def test_promtool_accepts_exposition(mserver):
    import shutil
    import subprocess
    promtool = shutil.which("promtool")
    assert promtool, "promtool missing (Debian package prometheus: make deps-test)"
    r = redis.Redis(host="127.0.0.1", port=mserver.port, socket_timeout=TIMEOUT)
    r.set("a", "b")
    r.get("a")
    text = scrape(mserver.metrics_port)
    p = subprocess.run([promtool, "check", "metrics"], input=text.encode(),
                       capture_output=True, timeout=60)
    # promtool prints lint hints (e.g. counter naming) on stdout; errors fail
    assert p.returncode == 0, p.stdout.decode() + p.stderr.decode()


def test_steer_ring_metrics(mserver):
    r = redis.Redis(host="127.0.0.1", port=mserver.port, socket_timeout=TIMEOUT)
    for i in range(500):                  # keys on every worker, from one connection
        r.set(f"ring{i}", i)
    text = scrape(mserver.metrics_port)
    sent = re.findall(r'^slipstream_steer_ring_messages_total\{from="(\d)",to="(\d)"\} (\d+)$',
                      text, re.M)
    assert len(sent) == 6                 # 3 workers: every ordered pair but self
    # the connection's worker sent requests to the two others, which replied
    assert sum(int(n) for _, _, n in sent) >= 2 * (500 * 2 // 3) * 0.8
    depth = re.findall(r'^slipstream_steer_ring_depth\{from="\d",to="\d"\} (\d+)$', text, re.M)
    assert len(depth) == 6 and all(d == "0" for d in depth)


def test_request_e2e_histogram(mserver):
    """Receive-to-reply time per core: present for the cores that served,
    and never below the command's own parse-to-reply time."""
    r = redis.Redis(host="127.0.0.1", port=mserver.port, socket_timeout=TIMEOUT)
    pipe = r.pipeline(transaction=False)
    for i in range(1000):
        pipe.get(f"e2e{i}")
    pipe.execute()
    text = scrape(mserver.metrics_port)
    counts = re.findall(r'^slipstream_request_e2e_seconds_count\{core="(\d+)"\} (\d+)$', text, re.M)
    assert counts and sum(int(n) for _, n in counts) >= 1000
    e2e_sum = sum(float(v) for v in re.findall(
        r'^slipstream_request_e2e_seconds_sum\{core="\d+"\} (\S+)$', text, re.M))
    cmd_sum = float(re.search(r'^slipstream_command_duration_seconds_sum\{cmd="get"\} (\S+)$',
                              text, re.M).group(1))
    assert e2e_sum >= cmd_sum > 0
