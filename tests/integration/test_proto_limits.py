# SPDX-License-Identifier: BSD-3-Clause
"""proto-max-bulk-len: CONFIG SET on both Slipstream and Debian's redis-server
7.0, then the same over-long requests; the replies (and the close) match."""
import socket

import pytest

from conftest import Server
from test_resp_diff import Redis, REDIS
import os

pytestmark = pytest.mark.skipif(not os.path.exists(REDIS), reason="redis-server missing")


def exchange(port, payload, want_close):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"CONFIG SET proto-max-bulk-len 1048576\r\n")
    assert s.recv(100) == b"+OK\r\n"
    s.sendall(payload)
    got = b""
    while True:
        try:
            d = s.recv(65536)
        except ConnectionResetError:
            break
        if not d:
            break
        got += d
        if not want_close and got.endswith(b"\r\n"):
            break
    s.close()
    return got


@pytest.fixture
def both(tmp_path):
    (tmp_path / "r").mkdir()
    (tmp_path / "s").mkdir()
    r = Redis(tmp_path / "r")
    s = Server(tmp_path / "s", workers=2)
    yield r.port, s.port
    s.stop()
    r.stop()


def test_bulk_over_the_limit_closes(both):
    req = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n"
    want = exchange(both[0], req, True)
    assert want.startswith(b"-ERR Protocol error")
    assert exchange(both[1], req, True) == want


def test_append_over_the_limit(both):
    big = b"x" * 1048000
    req = (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n%s\r\n" % (len(big), big) +
           b"*3\r\n$6\r\nAPPEND\r\n$1\r\nk\r\n$1000\r\n" + b"y" * 1000 + b"\r\n")
    out = []
    for port in both:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"CONFIG SET proto-max-bulk-len 1048576\r\n")
        assert s.recv(100) == b"+OK\r\n"
        s.sendall(req)
        got = b""
        while got.count(b"\r\n") < 2:
            got += s.recv(65536)
        out.append(got)
        s.close()
    assert out[0] == b"+OK\r\n-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
    assert out[1] == out[0]
