# SPDX-License-Identifier: BSD-3-Clause
"""RESP connection and server commands: Slipstream against Debian's redis-server 7.0.

The same scripted commands go over raw sockets to both servers; each reply
must be the same bytes. Only what must differ is normalized, and each
normalization says why. Then redis-cli (interactive start-up) and
python3-redis against Slipstream.
"""
import os
import pty
import re
import select
import shutil
import signal
import socket
import subprocess
import time

import pytest

from conftest import Server, free_port, wait_port

REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"
IO_TIMEOUT = 5.0
PASS = "s3cret-pw"

pytestmark = pytest.mark.skipif(not os.path.exists(REDIS),
                                reason="redis-server not installed (make deps-test)")


class Redis:
    """A real redis-server 7.0 on a free port, stopped by PID."""

    def __init__(self, tmp_path, requirepass=None):
        self.port = free_port()
        args = [REDIS, "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(tmp_path)]
        if requirepass:
            args += ["--requirepass", requirepass]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_port(self.port, self.proc)

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


@pytest.fixture
def pair(request, tmp_path):
    """(redis port, slipstream port); the param is the requirepass or None."""
    pw = getattr(request, "param", None)
    (tmp_path / "r").mkdir()
    (tmp_path / "s").mkdir()
    r = Redis(tmp_path / "r", pw)
    try:
        s = Server(tmp_path / "s", extra=["--requirepass", pw] if pw else [])
    except Exception:
        r.stop()
        raise
    yield r.port, s.port
    s.stop()
    r.stop()


def encode(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
        self.buf = b""

    def _fill(self):
        d = self.sock.recv(65536)
        if not d:
            raise EOFError("connection closed")
        self.buf += d

    def _line(self, pos):
        while True:
            end = self.buf.find(b"\r\n", pos)
            if end >= 0:
                return self.buf[pos:end], end + 2
            self._fill()

    def _parse(self, pos):
        """One reply from pos: (python value, next position)."""
        line, pos = self._line(pos)
        t, rest = line[:1], line[1:]
        if t in (b"+", b"-"):
            return (rest.decode() if t == b"+" else ("ERR", rest.decode())), pos
        if t == b":":
            return int(rest), pos
        if t == b"_":
            return None, pos
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None, pos
            while len(self.buf) < pos + n + 2:
                self._fill()
            return self.buf[pos:pos + n].decode(errors="replace"), pos + n + 2
        if t in (b"*", b"~", b"%"):
            n = int(rest)
            if n < 0:
                return None, pos
            items = []
            for _ in range(n * 2 if t == b"%" else n):
                v, pos = self._parse(pos)
                items.append(v)
            if t == b"%":
                return dict(zip(items[0::2], items[1::2])), pos
            return items, pos
        raise AssertionError(f"bad reply line {line!r}")

    def call(self, *args):
        """Send one command; returns (raw reply bytes, parsed value)."""
        self.sock.sendall(encode(args))
        value, end = self._parse(0)
        raw, self.buf = self.buf[:end], self.buf[end:]
        return raw, value

    def closed(self):
        try:
            return self.sock.recv(1) == b""
        except OSError:
            return True

    def close(self):
        self.sock.close()


def bulk(s):
    return b"$%d\r\n%s\r\n" % (len(s), s)


# HELLO's map: the server name ("redis" / "slipstream"), the version and the
# connection id are each server's own; the rest must match.
HELLO_RE = re.compile(rb"(\$6\r\nserver\r\n)\$\d+\r\n[^\r]*\r\n(\$7\r\nversion\r\n)\$\d+\r\n"
                      rb"[^\r]*\r\n(.*\$2\r\nid\r\n):\d+\r\n", re.S)


def norm_hello(raw):
    return HELLO_RE.sub(rb"\1$N\r\nSERVER\r\n\2$N\r\nVERSION\r\n\3:ID\r\n", raw)


def norm_int(raw):
    """Connection ids: each server numbers its connections itself."""
    return re.sub(rb"^:\d+\r\n$", b":ID\r\n", raw)


def norm_time(raw):
    """TIME: the two clocks are read at different instants."""
    return re.sub(rb"^\*2\r\n\$\d+\r\n\d+\r\n\$\d+\r\n\d+\r\n$", b"*2\r\nTIME\r\n", raw)


SERVED = ["get", "set", "del", "ping", "echo", "quit", "hello", "auth", "select",
          "reset", "dbsize", "time", "info", "flushdb", "flushall", "bgsave", "lastsave",
          "save", "shutdown", "replconf", "psync", "sync", "wait", "replicaof", "slaveof",
          "role"]
# The string and key commands; test_resp_keyspace_diff.py compares them.
KEYSPACE_COMMANDS = [
    "setnx", "setex", "psetex", "getset", "getdel", "getex", "mget", "mset", "msetnx",
    "append", "strlen", "incr", "decr", "incrby", "decrby", "incrbyfloat", "getrange",
    "setrange", "unlink", "exists", "type", "expire", "pexpire", "expireat", "pexpireat",
    "ttl", "pttl", "expiretime", "pexpiretime", "persist", "rename", "renamenx", "keys",
    "scan", "randomkey", "touch"]
SUBCOMMANDS = ["client|id", "client|setname", "client|getname", "client|no-evict",
               "client|list", "client|info", "client|kill", "client|help",
               "command|count", "command|list", "command|info", "command|docs", "command|help",
               "config|get", "config|set", "config|resetstat", "config|help",
               "slowlog|get", "slowlog|len", "slowlog|reset", "slowlog|help",
               "latency|latest", "latency|history", "latency|reset", "latency|help"]

# (command, normalizer). Everything Slipstream serves the way Redis 7.0 does.
# Not here, deliberately: SELECT 1..15 (Redis has 16 databases, Slipstream
# one), CONFIG SET of options only one side has, CONFIG SET bad values (the
# option table's message), CLIENT SETINFO (Redis 7.2), COMMAND INFO and DOCS
# of CLIENT/COMMAND/CONFIG themselves (Redis lists all its subcommands,
# Slipstream those it serves), COMMAND COUNT/LIST.
SCRIPT = [
    (["PING"], None),
    (["SLOWLOG", "HELP"], None),
    (["SLOWLOG", "RESET"], None),
    (["SLOWLOG", "LEN"], None),
    (["SLOWLOG", "GET"], None),
    (["SLOWLOG", "GET", "-2"], None),
    (["SLOWLOG", "GET", "x"], None),
    (["SLOWLOG", "NOPE"], None),
    (["SLOWLOG", "LEN", "1"], None),
    (["LATENCY", "LATEST"], None),
    (["LATENCY", "HISTORY", "command"], None),
    (["LATENCY", "RESET"], None),
    (["LATENCY", "RESET", "command", "fast-command"], None),
    (["LATENCY", "NOPE"], None),
    (["FLUSHALL"], None),
    (["FLUSHDB", "ASYNC"], None),
    (["FLUSHALL", "SYNC"], None),
    (["FLUSHALL", "NOW"], None),
    (["FLUSHDB", "SYNC", "ASYNC"], None),
    (["DBSIZE"], None),
    (["CLIENT", "KILL", "ID", "999999"], None),
    (["CLIENT", "KILL", "1.2.3.4:5"], None),
    (["CLIENT", "KILL", "TYPE", "x"], None),
    (["CLIENT", "KILL", "USER", "bob"], None),
    (["CLIENT", "KILL", "SKIPME", "maybe"], None),
    (["CLIENT", "KILL", "ID"], None),
    (["CLIENT", "KILL", "NOPE", "1"], None),
    (["CLIENT", "LIST", "TYPE", "x"], None),
    (["CLIENT", "LIST", "TYPE", "pubsub"], None),
    (["CLIENT", "LIST", "ID", "abc"], None),
    (["CLIENT", "LIST", "ID", "999999"], None),
    (["CLIENT", "LIST", "FOO"], None),
    (["INFO", "nosuchsection"], None),
    (["CONFIG", "RESETSTAT"], None),
    # DEBUG is refused by default on both (enable-debug-command no)
    (["DEBUG", "SLEEP", "0"], None),
    (["SHUTDOWN", "ABORT"], None),
    (["SHUTDOWN", "NOSAVE", "ABORT"], None),
    (["SHUTDOWN", "BOGUS"], None),
    (["PING", "hi"], None),
    (["ECHO", "x y"], None),
    (["HELLO"], norm_hello),
    (["HELLO", "3"], norm_hello),
    (["GET", "nokey"], None),
    (["CLIENT", "GETNAME"], None),
    (["CLIENT", "SETNAME", "conn-1"], None),
    (["CLIENT", "GETNAME"], None),
    (["CLIENT", "SETNAME", "a b"], None),
    (["CLIENT", "SETNAME", "a\nb"], None),
    (["CLIENT", "ID"], norm_int),
    (["COMMAND", "INFO", *SERVED, "nosuch"], None),
    (["COMMAND", "INFO", *SUBCOMMANDS, "client|nosuch"], None),
    (["CONFIG", "GET", "maxmemory-policy"], None),
    (["HELLO", "3", "SETNAME", "bad name"], None),
    (["HELLO", "2", "SETNAME", "n2"], norm_hello),
    (["CLIENT", "GETNAME"], None),
    (["GET", "nokey"], None),
    (["COMMAND", "INFO", *SERVED, "nosuch"], None),
    (["HELLO", "4"], None),
    (["HELLO", "1"], None),
    (["HELLO", "x"], None),
    (["HELLO", "3", "FOO"], None),
    (["HELLO", "3", "AUTH", "default"], None),
    (["HELLO", "2", "AUTH", "bob", "x"], None),
    (["HELLO", "2", "AUTH", "default", "anything"], norm_hello),
    (["AUTH", "x"], None),
    (["AUTH", "default", "x"], None),
    (["AUTH", "bob", "x"], None),
    (["AUTH", "a", "b", "c"], None),
    (["AUTH"], None),
    (["SELECT", "0"], None),
    (["SELECT", "16"], None),
    (["SELECT", "-1"], None),
    (["SELECT", "x"], None),
    (["SELECT"], None),
    (["CLIENT", "NO-EVICT", "on"], None),
    (["CLIENT", "NO-EVICT", "off"], None),
    (["CLIENT", "NO-EVICT", "maybe"], None),
    (["CLIENT"], None),
    (["CLIENT", "FOO"], None),
    (["CLIENT", "SETNAME"], None),
    (["CLIENT", "ID", "x"], None),
    (["COMMAND", "COUNT", "x"], None),
    (["COMMAND", "BOGUS"], None),
    (["COMMAND", "LIST", "x"], None),
    (["COMMAND", "LIST", "FILTERBY", "foo", "x"], None),
    (["COMMAND", "LIST", "FILTERBY", "pattern"], None),
    (["COMMAND", "LIST", "FILTERBY", "module", "x"], None),
    (["COMMAND", "LIST", "FILTERBY", "pattern", "nosuch*"], None),
    (["CONFIG", "GET", "maxmemory"], None),
    (["CONFIG", "SET", "maxmemory", "1048576"], None),
    (["CONFIG", "GET", "maxmemory"], None),
    (["CONFIG", "SET", "maxmemory", "0", "maxmemory-policy", "allkeys-lru"], None),
    (["CONFIG", "GET", "maxmemory-policy"], None),
    (["CONFIG", "SET", "maxmemory-policy", "noeviction"], None),
    (["CONFIG", "SET", "nosuchoption", "1"], None),
    (["CONFIG", "SET", "maxmemory", "1", "MAXMEMORY", "2"], None),
    (["CONFIG", "SET", "maxmemory"], None),
    (["CONFIG", "SET", "maxmemory", "1", "x"], None),
    (["CONFIG", "GET"], None),
    (["CONFIG", "GET", "nosuch*"], None),
    (["CONFIG", "RESETSTAT"], None),
    # DEBUG is refused by default on both (enable-debug-command no)
    (["DEBUG", "SLEEP", "0"], None),
    (["SHUTDOWN", "ABORT"], None),
    (["SHUTDOWN", "NOSAVE", "ABORT"], None),
    (["SHUTDOWN", "BOGUS"], None),
    (["CONFIG", "RESETSTAT", "x"], None),
    (["CONFIG", "BOGUS"], None),
    (["DBSIZE"], None),
    (["SET", "k1", "v"], None),
    (["SET", "k2", "v"], None),
    (["DBSIZE"], None),
    (["DEL", "k1", "k2"], None),
    (["DBSIZE"], None),
    (["DBSIZE", "x"], None),
    (["TIME"], norm_time),
    (["TIME", "x"], None),
    (["FOO", "bar"], None),
    (["GET"], None),
    (["RESET"], None),
    (["GET", "nokey"], None),
    (["CLIENT", "GETNAME"], None),
    (["RESET", "x"], None),
    (["QUIT"], None),
]

# With requirepass: what runs before AUTH and what does not.
AUTH_SCRIPT = [
    (["PING"], None),
    (["SLOWLOG", "HELP"], None),
    (["SLOWLOG", "RESET"], None),
    (["SLOWLOG", "LEN"], None),
    (["SLOWLOG", "GET"], None),
    (["SLOWLOG", "GET", "-2"], None),
    (["SLOWLOG", "GET", "x"], None),
    (["SLOWLOG", "NOPE"], None),
    (["SLOWLOG", "LEN", "1"], None),
    (["LATENCY", "LATEST"], None),
    (["LATENCY", "HISTORY", "command"], None),
    (["LATENCY", "RESET"], None),
    (["LATENCY", "RESET", "command", "fast-command"], None),
    (["LATENCY", "NOPE"], None),
    (["FLUSHALL"], None),
    (["FLUSHDB", "ASYNC"], None),
    (["FLUSHALL", "SYNC"], None),
    (["FLUSHALL", "NOW"], None),
    (["FLUSHDB", "SYNC", "ASYNC"], None),
    (["DBSIZE"], None),
    (["CLIENT", "KILL", "ID", "999999"], None),
    (["CLIENT", "KILL", "1.2.3.4:5"], None),
    (["CLIENT", "KILL", "TYPE", "x"], None),
    (["CLIENT", "KILL", "USER", "bob"], None),
    (["CLIENT", "KILL", "SKIPME", "maybe"], None),
    (["CLIENT", "KILL", "ID"], None),
    (["CLIENT", "KILL", "NOPE", "1"], None),
    (["CLIENT", "LIST", "TYPE", "x"], None),
    (["CLIENT", "LIST", "TYPE", "pubsub"], None),
    (["CLIENT", "LIST", "ID", "abc"], None),
    (["CLIENT", "LIST", "ID", "999999"], None),
    (["CLIENT", "LIST", "FOO"], None),
    (["INFO", "nosuchsection"], None),
    (["CONFIG", "RESETSTAT"], None),
    # DEBUG is refused by default on both (enable-debug-command no)
    (["DEBUG", "SLEEP", "0"], None),
    (["SHUTDOWN", "ABORT"], None),
    (["SHUTDOWN", "NOSAVE", "ABORT"], None),
    (["SHUTDOWN", "BOGUS"], None),
    (["GET", "k"], None),
    (["FOO"], None),                 # unknown command comes before NOAUTH
    (["GET"], None),                 # so does arity
    (["CLIENT", "ID"], None),
    (["CONFIG", "GET", "maxmemory"], None),
    (["DBSIZE"], None),
    (["SELECT", "0"], None),
    (["HELLO"], None),
    (["HELLO", "3"], None),
    (["HELLO", "3", "AUTH", "default", "wrong"], None),
    (["AUTH", "wrong"], None),
    (["AUTH", "default", "wrong"], None),
    (["AUTH", PASS], None),
    (["PING"], None),
    (["RESET"], None),
    (["PING"], None),
    (["HELLO", "3", "AUTH", "default", PASS, "SETNAME", "x"], norm_hello),
    (["GET", "k"], None),
    (["CLIENT", "GETNAME"], None),
    (["RESET"], None),
    (["AUTH", "default", PASS], None),
    (["GET", "k"], None),
    (["RESET"], None),
    (["QUIT"], None),
]


def run_script(port, script):
    c = Conn(port)
    out = []
    try:
        for args, norm in script:
            raw, _ = c.call(*args)
            out.append((args, norm(raw) if norm else raw))
        closed = c.closed()
    finally:
        c.close()
    return out, closed


def diff(pair, script):
    rport, sport = pair
    want, want_closed = run_script(rport, script)
    got, got_closed = run_script(sport, script)
    for (args, w), (_, g) in zip(want, got):
        assert g == w, f"{args}:\n redis:      {w!r}\n slipstream: {g!r}"
    assert got_closed == want_closed


def test_diff_no_password(pair):
    diff(pair, SCRIPT)


@pytest.mark.parametrize("pair", [PASS], indirect=True)
def test_diff_requirepass(pair):
    diff(pair, AUTH_SCRIPT)


def test_command_docs_entries(pair):
    """COMMAND DOCS: summary, since, group and complexity as Redis says them
    (Redis also lists arguments and history, which Slipstream does not)."""
    rport, sport = pair
    names = ["get", "set", "del", "ping", "echo", "quit", "hello", "auth",
             "select", "reset", "dbsize", "time", "command", "client", "config",
             *SUBCOMMANDS]
    want, got = Conn(rport), Conn(sport)
    try:
        for proto in ("2", "3"):
            want.call("HELLO", proto)
            got.call("HELLO", proto)
            _, w = want.call("COMMAND", "DOCS", *names)
            _, g = got.call("COMMAND", "DOCS", *names)
            if proto == "2":   # a flat array of name, docs, ...
                w = dict(zip(w[0::2], [dict(zip(d[0::2], d[1::2])) for d in w[1::2]]))
                g = dict(zip(g[0::2], [dict(zip(d[0::2], d[1::2])) for d in g[1::2]]))
            assert sorted(g) == sorted(names)
            for n in names:
                for field in ("summary", "since", "group", "complexity"):
                    assert g[n][field] == w[n][field], (n, field)
                if n in ("command", "client", "config"):
                    subs = g[n]["subcommands"]
                    if proto == "2":
                        subs = dict(zip(subs[0::2], subs[1::2]))
                    # client|setinfo: Redis 7.2's, so not in SUBCOMMANDS.
                    want_subs = [x for x in SUBCOMMANDS + ["client|setinfo"]
                                 if x.startswith(n + "|")]
                    assert sorted(subs) == sorted(want_subs), n
        # Every command Slipstream serves is one Redis has, with its arity.
        _, names_ss = got.call("COMMAND", "LIST")
        _, count = got.call("COMMAND", "COUNT")
        assert count == len([n for n in names_ss if "|" not in n])
        assert set(names_ss) - set(SERVED) - set(SUBCOMMANDS) - set(KEYSPACE_COMMANDS) == {
            "command", "client", "config", "slowlog", "latency", "client|setinfo", "debug"}
        # Filters pick from what Slipstream serves what Redis picks from all.
        for how, arg in (("pattern", "c*"), ("aclcat", "connection"), ("ACLCAT", "Dangerous")):
            _, w = want.call("COMMAND", "LIST", "FILTERBY", how, arg)
            _, g = got.call("COMMAND", "LIST", "FILTERBY", how, arg)
            # client|setinfo is Redis 7.2's: only Slipstream lists it.
            assert set(g) - {"client|setinfo"} == set(w) & set(names_ss), (how, arg)
        for n in names_ss:
            if n == "client|setinfo":
                continue
            _, wi = want.call("COMMAND", "INFO", n)
            _, gi = got.call("COMMAND", "INFO", n)
            assert gi[0][:8] == wi[0][:8], n
    finally:
        want.close()
        got.close()


def test_redis_cli_interactive(tmp_path):
    """redis-cli on a terminal: interactive start-up calls COMMAND DOCS, whose
    summaries `help` then shows. TERM=dumb keeps linenoise from asking the
    (absent) terminal for its cursor position."""
    s = Server(tmp_path, extra=["--requirepass", PASS])
    master, slave = pty.openpty()
    proc = subprocess.Popen([REDIS_CLI, "-p", str(s.port), "--no-auth-warning", "-a", PASS],
                            stdin=slave, stdout=slave, stderr=slave, close_fds=True,
                            env=dict(os.environ, TERM="dumb"))
    os.close(slave)
    out = b""
    try:
        os.write(master, b"set clikey hello\nget clikey\nclient setname cli\n"
                         b"client getname\ndbsize\nhelp dbsize\nquit\n")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    d = os.read(master, 65536)
                except OSError:   # EIO: the child closed the terminal
                    break
                if not d:
                    break
                out += d
            elif proc.poll() is not None:
                break
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        os.close(master)
        s.stop()
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.decode(errors="replace"))
    assert proc.returncode == 0, text
    assert '"hello"' in text and '"cli"' in text and "(integer) 1" in text, text
    assert "summary: Return the number of keys in the selected database" in text, text
    assert "since: 1.0.0" in text and "group: server" in text, text
    assert "NOAUTH" not in text and "ERR" not in text, text


def test_python_redis(tmp_path):
    """python3-redis (Debian's 4.3.4 speaks RESP2 only)."""
    redis = pytest.importorskip("redis")
    s = Server(tmp_path, extra=["--requirepass", PASS])
    try:
        r = redis.Redis(port=s.port, socket_timeout=IO_TIMEOUT)
        with pytest.raises(redis.exceptions.AuthenticationError):
            r.ping()
        # redis-py 4.3.4 raises WRONGPASS as a plain ResponseError.
        with pytest.raises(redis.exceptions.ResponseError, match="^WRONGPASS"):
            redis.Redis(port=s.port, password="wrong", socket_timeout=IO_TIMEOUT).ping()
        r = redis.Redis(port=s.port, password=PASS, socket_timeout=IO_TIMEOUT,
                        client_name="py")
        assert r.ping() is True
        assert r.client_getname() == "py"
        assert isinstance(r.client_id(), int)
        assert r.client_setname("py2") is True
        assert r.client_getname() == "py2"
        assert r.config_get("maxmemory*") == {"maxmemory": "0",
                                              "maxmemory-policy": "noeviction",
                                              "maxmemory-samples": "5"}
        assert r.config_set("maxmemory-policy", "allkeys-lru") is True
        assert r.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
        with pytest.raises(redis.exceptions.ResponseError, match="immutable"):
            r.config_set("port", "1")
        assert r.config_resetstat() is True
        assert r.set("pk", "v") is True
        assert r.dbsize() == 1
        sec, usec = r.time()
        assert abs(sec - time.time()) < 60 and 0 <= usec < 1000000
        cmds = r.command()   # parsed by redis-py's own COMMAND callback
        assert cmds["get"]["arity"] == 2 and cmds["del"]["last_key_pos"] == -1
        assert r.command_count() == len(cmds)
        assert r.execute_command("SELECT", 0) is True
        with pytest.raises(redis.exceptions.ResponseError, match="DB index is out of range"):
            r.execute_command("SELECT", 1)
        hello = r.execute_command("HELLO", 2)
        assert hello[:2] == [b"server", b"slipstream"]
        r.close()
    finally:
        s.stop()
