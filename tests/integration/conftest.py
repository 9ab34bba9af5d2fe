# SPDX-License-Identifier: BSD-3-Clause
"""Start the real slipstream binary on 127.0.0.1 with free ports; stop it by PID."""
import os
import signal
import socket
import subprocess
import time

import pytest

BIN = os.path.abspath(os.environ.get("SLIPSTREAM_BIN", "build/slipstream"))
START_TIMEOUT = 20.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=START_TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"slipstream exited early with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"port {port} not open after {timeout}s")


class Server:
    def __init__(self, tmp_path, workers=3, extra=()):
        self.port = free_port()
        self.mc_port = free_port()
        while self.mc_port == self.port:
            self.mc_port = free_port()
        self.log = tmp_path / "slipstream.log"
        self.args = [BIN, "--bind", "127.0.0.1", "--port", str(self.port),
                     "--memcache-port", str(self.mc_port), "--metrics-port", "0",
                     "--workers", str(workers), "--dir", str(tmp_path),
                     "--loglevel", "verbose", *extra]
        self.proc = subprocess.Popen(self.args, stdout=open(self.log, "w"),
                                     stderr=subprocess.STDOUT)
        try:
            wait_port(self.port, self.proc)
            # With a password the memcached port stays closed unless asked
            # for (memcached's protocol has no password).
            opts = dict(zip(extra[::2], extra[1::2]))
            if not opts.get("--requirepass") or opts.get("--memcache-with-requirepass") == "yes":
                wait_port(self.mc_port, self.proc)
        except BaseException:
            # a server that never came up is still stopped by its PID
            self.stop(sig=signal.SIGKILL)
            raise

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Stop by PID; returns the exit status."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
                raise
        return self.proc.returncode

    def log_text(self):
        return self.log.read_text(errors="replace")


@pytest.fixture
def server(tmp_path):
    s = Server(tmp_path)
    yield s
    s.stop()
