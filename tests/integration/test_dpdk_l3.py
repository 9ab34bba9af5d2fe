# SPDX-License-Identifier: BSD-3-Clause
"""io=dpdk on net_tap: the Linux stack in a network namespace the test makes
resolves the appliance by ARP and pings it. Lab addresses (198.18.0.0/15)
only, inside that namespace."""
import os
import re
import signal
import socket
import struct
import subprocess
import time

import pytest

from conftest import BIN, free_port

TIMEOUT = 30
APPLIANCE_IP = "198.18.0.2"
PEER_CIDR = "198.18.0.1/24"

PING = r"""
import os, socket, struct, sys
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(2)
ident, ok = os.getpid() & 0xffff, 0
for seq in range(int(sys.argv[2])):
    payload = b"slipstream-%d" % seq * (1 + seq % 50)
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    s.sendto(struct.pack("!BBHHH", 8, 0, csum(hdr + payload), ident, seq) + payload,
             (sys.argv[1], 0))
    try:
        while True:
            d, _ = s.recvfrom(4096)
            typ, _, _, rid, rseq = struct.unpack("!BBHHH", d[20:28])
            if typ == 0 and rid == ident and rseq == seq:
                ok += d[28:] == payload
                break
    except socket.timeout:
        pass
print(ok)
"""


def sh(*args, check=True):
    return subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT, check=check)


@pytest.fixture
def dpdk_server(tmp_path):
    if os.geteuid() != 0 or not os.path.exists("/dev/net/tun"):
        pytest.fail("io=dpdk on net_tap needs root and /dev/net/tun (CI and `make test` run as root)")
    tag = f"{os.getpid() % 100000}"
    iface, ns = f"sstap{tag}", f"ssns{tag}"
    mport = free_port()
    log = tmp_path / "dpdk.log"
    proc = subprocess.Popen(
        [BIN, "--io", "dpdk", "--workers", "1", "--metrics-port", str(mport),
         "--ip", APPLIANCE_IP, "--netmask", "255.255.255.0", "--dir", str(tmp_path),
         "--dpdk-args", f"--no-huge -m 256 --no-pci --vdev=net_tap0,iface={iface} "
                        f"--file-prefix=ss{tag} --log-level=error"],
        stdout=open(log, "w"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + TIMEOUT
        while "Dataplane ready" not in log.read_text():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        sh("ip", "netns", "add", ns)
        sh("ip", "link", "set", iface, "netns", ns)
        sh("ip", "-n", ns, "addr", "add", PEER_CIDR, "dev", iface)
        sh("ip", "-n", ns, "link", "set", iface, "up")
        yield proc, ns, iface, mport, log
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        sh("ip", "netns", "del", ns, check=False)


def metrics(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data.decode()


def metric(text, name, core):
    m = re.search(rf'^slipstream_{name}{{core="{core}"}} (\S+)$', text, re.M)
    assert m, name
    return float(m.group(1))


def test_arp_and_ping_from_linux(dpdk_server):
    proc, ns, iface, mport, log = dpdk_server
    r = sh("ip", "netns", "exec", ns, "/usr/bin/python3", "-c", PING, APPLIANCE_IP, "20")
    assert r.stdout.strip() == "20", r.stderr + log.read_text()
    # Linux resolved us by ARP to the port's MAC, which the log printed.
    mac = re.search(r"port 0 \(net_tap\): ([0-9a-f:]{17})", log.read_text()).group(1)
    neigh = sh("ip", "-n", ns, "neigh", "show", APPLIANCE_IP).stdout
    assert mac in neigh and ("REACHABLE" in neigh or "STALE" in neigh or "DELAY" in neigh)
    text = metrics(mport)
    assert metric(text, "net_input_bytes_total", 1) > 20 * 42
    assert metric(text, "net_output_bytes_total", 1) > 20 * 42
    # Idle back-off is on: the worker sleeps most of the time instead of spinning.
    assert metric(text, "loop_idle_seconds_total", 1) > metric(text, "loop_busy_seconds_total", 1)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=TIMEOUT) == 0
    assert "bye bye" in log.read_text()


def test_wrong_address_is_not_answered(dpdk_server):
    proc, ns, iface, mport, log = dpdk_server
    # 198.18.0.3 is on the link but not ours: no ARP answer, no echo reply.
    r = sh("ip", "netns", "exec", ns, "/usr/bin/python3", "-c", PING, "198.18.0.3", "2")
    assert r.stdout.strip() == "0"
    assert proc.poll() is None
