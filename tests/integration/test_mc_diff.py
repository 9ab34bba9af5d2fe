# SPDX-License-Identifier: BSD-3-Clause
"""memcached text and meta protocols: Slipstream against Debian's memcached 1.6.

The same scripted steps go over raw sockets to both servers and the replies
must be the same bytes. Each step is followed by "mn\\r\\n", a meta no-op
both answer "MN\\r\\n" after everything before it: that is how a reader knows
a step's replies are complete without parsing them (a step's own mn
commands are counted). Slipstream runs with 3
workers, so keys are served by their owner worker and by steering.

Normalized, because they must differ (and nothing else is):
  - CAS uniques: each server numbers its own. Every CAS in a reply
    ("VALUE k f n CAS", a meta " c<cas>", me's "cas=") becomes C<i>, i the
    order in which that server first showed the value, so equal and unequal
    CAS still compare. Steps may send "{cas}" (the last CAS the server
    showed) or "{cas0}", "{cas1}" ... (the i-th distinct one).
  - the version string of "version".
  - seconds left ("t" flag, me's exp) are rounded to tens: memcached's clock
    ticks once a second, ours is in milliseconds, so 1000 and 999 are the
    same answer a moment apart.
  - seconds since last access ("l" flag, me's la): same clock reason; both
    are shown as L. The unit tests check their values.
  - me's cls and size: memcached's slab class and slab item size; we have
    no slabs (see cmd_mc_meta.c).
  - spaces after a number in a value: when incr/decr makes a number shorter,
    memcached writes it over the old one padded with spaces, but only if no
    other thread holds the item at that moment (refcount 2); else it stores
    it unpadded. Its background threads make that a race, so a value of
    digits and spaces is compared without the spaces. We always pad: the
    engine tests (tests/unit/test_conn.c) check that exactly.
stats replies are compared by name, not value (test_stats_names).
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import time

import pytest

from conftest import Server, free_port, wait_port

MEMCACHED = shutil.which("memcached") or "/usr/sbin/memcached"
if not os.path.exists(MEMCACHED) and os.path.exists("/usr/bin/memcached"):
    MEMCACHED = "/usr/bin/memcached"
IO_TIMEOUT = 5.0
SENTINEL = b"mn\r\n"

pytestmark = pytest.mark.skipif(not os.path.exists(MEMCACHED),
                                reason="memcached not installed (make deps-test)")


class Memcached:
    """A real memcached 1.6 on a free port, one worker thread, stopped by PID."""

    def __init__(self):
        self.port = free_port()
        args = [MEMCACHED, "-U", "0", "-p", str(self.port), "-l", "127.0.0.1", "-t", "1"]
        if os.getuid() == 0:
            args += ["-u", "nobody"]   # memcached refuses to run as root otherwise
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


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """(memcached port, slipstream memcache port), shared by the module."""
    m = Memcached()
    try:
        s = Server(tmp_path_factory.mktemp("mc"))
    except Exception:
        m.stop()
        raise
    yield m.port, s.mc_port
    s.stop()
    m.stop()


CAS_RE = [
    re.compile(rb"^(VALUE \S+ \d+ \d+ )(\d+)$"),
]
META_CODES = (b"HD", b"VA", b"EN", b"NF", b"NS", b"EX")


class Client:
    """One connection; remembers the CAS values the server showed."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
        self.cas = []          # distinct CAS values in order of first sight
        self.last_cas = None

    def close(self):
        self.sock.close()

    def _see(self, v):
        if v not in self.cas:
            self.cas.append(v)
        self.last_cas = v
        return b"C%d" % self.cas.index(v)

    def fill(self, step):
        def sub(m):
            name = m.group(1).decode()
            if name == "cas":
                return self.last_cas or b"0"
            return self.cas[int(name[3:])]
        return re.sub(rb"\{(cas\d*)\}", sub, step)

    def exchange(self, step, closes=False):
        """Send step (then the sentinel unless it closes); the replies."""
        # The step's own mn commands answer MN too: wait for one more.
        want = len(re.findall(rb"(?m)^mn(?: [^\r\n]*)?\r?\n", step)) + 1
        self.sock.sendall(self.fill(step) + (b"" if closes else SENTINEL))
        buf = b""
        deadline = time.monotonic() + IO_TIMEOUT
        while True:
            if (not closes and buf.endswith(b"MN\r\n") and
                    len(re.findall(rb"(?m)^MN\r\n", buf)) >= want):
                return buf[:-4]
            if time.monotonic() > deadline:
                raise TimeoutError(f"no complete reply to {step!r}: {buf!r}")
            try:
                d = self.sock.recv(1 << 20)
            except ConnectionResetError:
                d = b""
            except socket.timeout:
                raise TimeoutError(f"no complete reply to {step[:200]!r}: {buf[:500]!r}")
            if not d:
                if closes:
                    return buf + b"<closed>"
                raise EOFError(f"closed after {step!r}: {buf!r}")
            buf += d

    def normalize(self, reply):
        out = []
        lines = reply.split(b"\r\n")
        for i in range(len(lines) - 1):
            head = re.match(rb"^(VALUE \S+ \d+ |VA )(\d+)(.*)$", lines[i])
            if head and re.fullmatch(rb"\d+ +", lines[i + 1]):
                lines[i + 1] = lines[i + 1].rstrip(b" ")
                lines[i] = head.group(1) + b"%d" % len(lines[i + 1]) + head.group(3)
        for line in lines:
            m = CAS_RE[0].match(line)
            if m:
                line = m.group(1) + self._see(m.group(2))
            elif line[:2] in META_CODES:
                toks = line.split(b" ")
                for i, t in enumerate(toks[1:], 1):
                    if re.fullmatch(rb"c\d+", t):
                        toks[i] = b"c" + self._see(t[1:])
                    elif re.fullmatch(rb"t\d+", t):
                        toks[i] = b"t%d" % (round(int(t[1:]) / 10) * 10)
                    elif re.fullmatch(rb"l\d+", t):
                        toks[i] = b"lL"
                line = b" ".join(toks)
            elif line.startswith(b"ME "):
                def me(m):
                    k, v = m.group(1), m.group(2)
                    if k == b"cas":
                        v = self._see(v)
                    elif k == b"exp" and v != b"-1":
                        v = b"%d" % (round(int(v) / 10) * 10)
                    elif k in (b"la", b"cls", b"size"):
                        v = b"*"
                    return k + b"=" + v
                line = re.sub(rb"(\w+)=(\S+)", me, line)
            elif line.startswith(b"VERSION "):
                line = b"VERSION <v>"
            out.append(line)
        return b"\r\n".join(out)


def run_script(servers, steps, key_prefix):
    """Both servers get every step; replies must match after normalizing."""
    clients = [Client(p) for p in servers]
    try:
        for c in clients:
            c.exchange(b"flush_all\r\n")
        for step in steps:
            closes = False
            if isinstance(step, tuple):
                step, closes = step[0], True
            step = step.replace(b"@", key_prefix)
            got = [c.normalize(c.exchange(step, closes)) for c in clients]
            assert got[1] == got[0], (
                f"step {step[:200]!r}\n memcached:  {got[0][:2000]!r}\n slipstream: {got[1][:2000]!r}")
            if closes:
                break
    finally:
        for c in clients:
            c.close()


def big(n, ch=b"v"):
    return ch * n


SCRIPTS = {
    "storage": [
        b"set @a 5 0 3\r\nabc\r\n",
        b"get @a\r\n",
        b"get @a @nokey @a\r\n",
        b"gets @a\r\n",
        b"add @a 0 0 1\r\nx\r\n",
        b"add @b 7 0 1\r\nx\r\n",
        b"replace @c 0 0 1\r\nx\r\n",
        b"replace @b 9 0 2\r\nyy\r\n",
        b"get @b\r\n",
        b"append @b 1 0 3\r\nzzz\r\n",
        b"prepend @b 1 0 2\r\n<<\r\n",
        b"gets @b\r\n",
        b"append @nokey 0 0 1\r\nx\r\n",
        b"prepend @nokey 0 0 1\r\nx\r\n",
        b"set @e 0 0 0\r\n\r\n",
        b"get @e\r\n",
        b"set @f 4294967295 0 1\r\nf\r\n",
        b"get @f\r\n",
        b"set @g 4294967296 0 1\r\ng\r\n",
        b"set @g -1 0 1\r\ng\r\n",
        b"set @h 0 0 2 noreply\r\nhi\r\n",
        b"add @h 0 0 2 noreply\r\nho\r\n",
        b"append @h 0 0 2 noreply\r\n!!\r\n",
        b"get @h\r\n",
    ],
    "cas": [
        b"cas @a 0 0 1 1\r\nx\r\n",
        b"set @a 3 0 1\r\nx\r\n",
        b"gets @a\r\n",
        b"cas @a 4 0 1 {cas}\r\ny\r\n",
        b"gets @a\r\n",
        b"cas @a 4 0 1 {cas0}\r\nz\r\n",
        b"cas @a 4 0 1 0\r\nz\r\n",
        b"cas @a 4 0 1 {cas} noreply\r\nw\r\n",
        b"gets @a\r\n",
        b"cas @a 4 0 1 abc\r\nz\r\n",
        b"cas @a 4 0 1 -5\r\nz\r\n",
        b"touch @a 100\r\n",
        b"gets @a\r\n",
        b"append @a 0 0 1\r\n+\r\n",
        b"gets @a\r\n",
    ],
    "delete_touch_gat": [
        b"set @a 0 0 1\r\na\r\n",
        b"delete @a\r\n",
        b"delete @a\r\n",
        b"set @a 0 0 1\r\na\r\n",
        b"delete @a 0\r\n",
        b"set @a 0 0 1\r\na\r\n",
        b"delete @a 1\r\n",
        b"delete @a 0 noreply\r\n",
        b"delete @a noreply\r\n",
        b"delete @a x y\r\n",
        b"get @a\r\n",
        b"touch @a 10\r\n",
        b"set @a 0 0 1\r\na\r\n",
        b"touch @a 10\r\n",
        b"touch @a x\r\n",
        b"touch @a 10 noreply\r\n",
        b"gat 100 @a @nokey\r\n",
        b"gats 100 @a\r\n",
        b"gat x @a\r\n",
        b"gat 100\r\n",
        b"touch @a -1\r\n",
        b"get @a\r\n",
        b"set @a 0 0 1\r\na\r\n",
        b"gat -1 @a\r\n",
        b"get @a\r\n",
        b"set @a 0 0 1\r\na\r\n",
        b"mg @a T-1 v\r\n",
        b"mg @a v\r\n",
        b"set @a 0 0 1\r\n5\r\n",
        b"ma @a T-1 v\r\n",
        b"mg @a v\r\n",
        b"set @b 0 -1 1\r\nb\r\n",
        b"get @b\r\n",
        b"set @c 0 1000000000 1\r\nc\r\n",
        b"get @c\r\n",
        b"set @d 0 4000000000 1\r\nd\r\n",
        b"get @d\r\n",
        b"set @e 0 2592000 1\r\ne\r\n",
        b"get @e\r\n",
    ],
    "incr_decr": [
        b"incr @a 1\r\n",
        b"set @a 7 0 2\r\n10\r\n",
        b"incr @a 5\r\n",
        b"decr @a 6\r\n",
        b"get @a\r\n",
        b"decr @a 100\r\n",
        b"get @a\r\n",
        b"incr @a 18446744073709551615\r\n",
        b"incr @a 1\r\n",
        b"set @b 0 0 20\r\n18446744073709551615\r\n",
        b"incr @b 2\r\n",
        b"get @b\r\n",
        b"incr @b 18446744073709551616\r\n",
        b"incr @b -1\r\n",
        b"incr @b abc\r\n",
        b"set @c 0 0 3\r\nabc\r\n",
        b"incr @c 1\r\n",
        b"set @c 0 0 3\r\n12a\r\n",
        b"decr @c 1\r\n",
        b"set @c 0 0 4\r\n 12 \r\n",
        b"incr @c 1\r\n",
        b"set @c 0 0 2\r\n-1\r\n",
        b"incr @c 1\r\n",
        b"set @c 0 0 0\r\n\r\n",
        b"incr @c 1\r\n",
        b"set @d 0 0 1\r\n9\r\n",
        b"incr @d 1 noreply\r\n",
        b"gets @d\r\n",
        b"decr @d 1\r\n",
        b"gets @d\r\n",
        b"incr @nokey 1 noreply\r\n",
        b"incr @d\r\n",
    ],
    "misc": [
        b"version\r\n",
        b"verbosity 1\r\n",
        b"verbosity 1 noreply\r\n",
        b"verbosity x\r\n",
        b"verbosity x noreply\r\n",
        b"flush_all noreply 5\r\n",
        b"flush_all 0 noreply\r\n",
        b"touch @a 1 2 3\r\n",
        b"incr @a\r\n",
        b"incr @a 1 2 3\r\n",
        b"verbosity\r\n",
        b"bogus\r\n",
        b"\r\n",
        b"GET @a\r\n",
        b"g\r\n",
        b"get\r\n",
        b"set @a 0 0\r\n",
        b"set @a 0 0 1 2 3\r\n",
        b"flush_all noreply\r\n",
        b"set @a 0 0 1\r\na\r\n",
        b"flush_all 0\r\n",
        b"get @a\r\n",
        b"set @a 0 0 1\r\na\r\n",
        b"flush_all 100\r\n",
        b"get @a\r\n",
        b"flush_all -1\r\n",
        b"get @a\r\n",
        b"flush_all x\r\n",
        b"flush_all 1 2 3\r\n",
        b"stats nosuchgroup\r\n",
        b"stats reset\r\n",
        b"mx @a\r\n",
        b"m\r\n",
    ],
    "bad_input": [
        b"set @a 0 0 -1\r\n",
        b"set @a 0 0 x\r\n",
        b"set @a x 0 1\r\na\r\n",
        b"set @a 0 x 1\r\na\r\n",
        b"set @a 0 0 99999999999999999999\r\n",
        b"set @a 0 0 2147483647\r\n",
        b"set @a 0 0 1\r\nab\r\n",
        b"set @a 0 0 1\r\na\n\r\n",
        b"set @a 0 0 1 noreply\r\nab\r\n",
        b"set " + big(251, b"k") + b" 0 0 1\r\na\r\n",
        b"get " + big(251, b"k") + b"\r\n",
        b"get @a " + big(251, b"k") + b" @a\r\n",
        b"set " + big(250, b"k") + b" 0 0 1\r\na\r\n",
        b"get " + big(250, b"k") + b"\r\n",
        b"delete " + big(251, b"k") + b"\r\n",
        b"incr " + big(251, b"k") + b" 1\r\n",
        b"touch " + big(251, b"k") + b" 1\r\n",
        b"set @a 0 0 1\r\nz\r\n",
        b"set @a 0 0 1048577\r\n" + big(1048577) + b"\r\n",
        b"get @a\r\n",
        b"set @a 0 0 1\r\nz\r\n",
        b"add @a 0 0 1048577\r\n" + big(1048577) + b"\r\n",
        b"get @a\r\n",
        b"set @a 0 0 1048577 noreply\r\n" + big(1048577) + b"\r\n",
        b"get @a\r\n",
        b"set @big 0 0 1048576\r\n" + big(1048576) + b"\r\n",
        b"get @big\r\n",
        b"\x00\x01\x02junk\r\n",
        b"get @a\x00junk\r\n",
        b"get " + b" ".join(b"@k%d" % i for i in range(3000)) + b"\r\n",
        b"get @a\n",
    ],
    "long_line_closes": [
        b"get @a\r\n",
        (b"set " + big(3000, b"a"), True),
    ],
    "quit": [
        b"set @a 0 0 1\r\na\r\n",
        (b"get @a\r\nquit\r\nget @a\r\n", True),
    ],
    "meta_get": [
        b"mg @a v\r\n",
        b"mg @a v q\r\n",
        b"mg @a k O123 q\r\n",
        b"mg @a k O123 v s t f c h l\r\n",
        b"set @a 42 0 5\r\nhello\r\n",
        b"mg @a\r\n",
        b"mg @a q\r\n",
        b"mg @a v\r\n",
        b"mg @a s v t f c h l k Oxyz\r\n",
        b"mg @a h\r\n",
        b"mg @a c f v q k\r\n",
        b"set @b 0 100 1\r\nb\r\n",
        b"mg @b t\r\n",
        b"mg @b t T1000 t\r\n",
        b"mg @b t T1000 s\r\n",
        b"mg @b t\r\n",
        b"mg @b T0 t\r\n",
        b"mg @b u h\r\n",
        b"set @c 0 0 1\r\nc\r\n",
        b"mg @c u h\r\n",
        b"mg @c h\r\n",
        b"mg @c h\r\n",
        b"mg @c T-1\r\n",
        b"mg @c v\r\n",
        b"mg @d N30 v c t s\r\n",
        b"mg @d N30 v t\r\n",
        b"mg @d v\r\n",
        b"ms @d 3 T100\r\nnew\r\n",
        b"mg @d v\r\n",
        b"set @e 0 100 1\r\ne\r\n",
        b"mg @e R30 v\r\n",
        b"mg @e R200 v\r\n",
        b"mg @e R200 v\r\n",
        b"set @f 0 0 1\r\nf\r\n",
        b"mg @f R200 v\r\n",
        b"mg @f k v q Oabc\r\nmg @nokey k v q Oabc\r\nmg @nokey2 v\r\n",
    ],
    "meta_base64": [
        b"ms YWJj 2 b\r\nhi\r\n",
        b"get abc\r\n",
        b"mg YWJj b k v\r\n",
        b"mg YWJj b k v c q\r\n",
        b"mg abc k v\r\n",
        b"mg YWJk b k v\r\n",
        b"mg YWJk b q k\r\n",
        b"ms YWJj 1 b k c\r\nx\r\n",
        b"md YWJj b k q\r\n",
        b"md YWJj b k\r\n",
        b"ma YWJj b k N0 J5\r\n",
        b"ma YWJj b k v\r\n",
        b"mg Y!WJj b v\r\n",
        b"mg YW=c b k\r\n",
        b"mg YWJ b\r\n",
        b"mg k b\r\n",
        b"mg A=== b\r\n",
        b"me YWJj b\r\n",
    ],
    "meta_set": [
        b"ms @a 2\r\nhi\r\n",
        b"mg @a v f t\r\n",
        b"ms @a 2 F7 T100 c k Oop\r\nho\r\n",
        b"mg @a v f t c\r\n",
        b"ms @a 2 q\r\nhq\r\n",
        b"ms @a 2 q ME\r\nhe\r\n",
        b"ms @b 2 ME\r\nhe\r\n",
        b"ms @a 2 MA\r\n++\r\n",
        b"ms @a 2 MP\r\n--\r\n",
        b"mg @a v\r\n",
        b"ms @n 2 MA\r\n++\r\n",
        b"ms @n 2 MP\r\n--\r\n",
        b"ms @n 2 MR\r\n--\r\n",
        b"ms @a 2 MR c\r\nrr\r\n",
        b"ms @a 2 MS\r\nss\r\n",
        b"mg @a c\r\n",
        b"ms @a 2 C{cas} c\r\ncc\r\n",
        b"ms @a 2 C{cas0}\r\nxx\r\n",
        b"ms @a 2 MR C{cas0}\r\nxx\r\n",
        b"ms @a 2 MA C{cas0}\r\nxx\r\n",
        b"mg @a c v\r\n",
        b"ms @a 2 MA C{cas}\r\naa\r\n",
        b"ms @a 2 ME C{cas}\r\naa\r\n",
        b"ms @nokey 2 C5\r\naa\r\n",
        b"ms @a 2 I\r\nii\r\n",
        b"mg @a v\r\n",
        b"ms @a 2 T-1\r\nex\r\n",
        b"mg @a v\r\n",
        b"ms @a 0\r\n\r\n",
        b"mg @a v s\r\n",
        b"ms @a S2\r\nhi\r\n",
        b"ms @a\r\n",
        b"ms\r\n",
        b"ms @a -1\r\n",
        b"ms @a 2 Z\r\nhi\r\n",
        b"ms @a 2 MX\r\nhi\r\n",
        b"ms @a 2 Mxx\r\nhi\r\n",
        b"ms @a 2 F\r\nhi\r\n",
        b"ms @a 2 Tx\r\nhi\r\n",
        b"ms @a 2 O123456789012345678901234567890123\r\nhi\r\n",
        b"ms @a 2 c c\r\nhi\r\n",
        b"ms @a 1 E5\r\nx\r\nmg @a E5 v\r\nmd @a E5\r\n",
        b"ms @a 2\r\nhiX\r\n",
        b"ms @a 2 q\r\nhiX\r\n",
        b"ms @a 1048577 T5\r\n" + big(1048577) + b"\r\n",
        b"mg @a v\r\n",
        b"ms " + big(251, b"k") + b" 1\r\na\r\n",
        b"ms @a 1 a b c d e f g h i j l m n o p r s x\r\na\r\n",
    ],
    "meta_delete": [
        b"md @a\r\n",
        b"md @a q\r\n",
        b"md @a q k Oxy\r\n",
        b"ms @a 1\r\na\r\n",
        b"md @a q\r\n",
        b"mg @a v\r\n",
        b"ms @a 1 c\r\na\r\n",
        b"md @a C{cas0} k\r\n",
        b"md @a C{cas} Oo\r\n",
        b"mg @a\r\n",
        b"ms @a 1 T100\r\na\r\n",
        b"mg @a c\r\n",
        b"md @a I T30\r\n",
        b"mg @a c v t\r\n",
        b"mg @a c v t\r\n",
        b"mg @a c v\r\n",
        b"ms @a 1 C{cas0} I\r\nz\r\n",
        b"ms @a 1 C{cas0} I c\r\nz\r\n",
        b"mg @a v c\r\n",
        b"mg @a v c\r\n",
        b"md @a I\r\n",
        b"mg @a v\r\n",
        b"ms @a 1 C{cas} c\r\nn\r\n",
        b"mg @a v\r\n",
        b"md @a Z\r\n",
        b"md @a C\r\n",
        b"md\r\n",
        b"md @a O123456789012345678901234567890123\r\n",
        b"md " + big(251, b"k") + b"\r\n",
    ],
    "meta_arith": [
        b"ma @a\r\n",
        b"ma @a q\r\n",
        b"ma @a q k Oo\r\n",
        b"ma @a N0 J10 v\r\n",
        b"ma @a v\r\n",
        b"ma @a v D5 MD\r\n",
        b"ma @a v D100 M-\r\n",
        b"ma @a v M+ D3 c t k Ox\r\n",
        b"ma @a q\r\n",
        b"mg @a v\r\n",
        b"ma @a q MD\r\n",
        b"mg @a v c\r\n",
        b"ma @a C{cas} v\r\n",
        b"ma @a C{cas0} v\r\n",
        b"ma @a T100 t\r\n",
        b"ma @a t T0 t\r\n",
        b"ma @b N100 J7 t v\r\n",
        b"ma @c q N0 J5\r\n",
        b"ma @c q N0 J5\r\n",
        b"ma @d v D18446744073709551615 N0 J1\r\n",
        b"ma @d v D18446744073709551615\r\n",
        b"ma @d v D2\r\n",
        b"ms @e 1\r\nx\r\n",
        b"ma @e\r\n",
        b"ma @e Dx\r\n",
        b"ma @e Jx\r\n",
        b"ma @e MX\r\n",
        b"ma @e M\r\n",
        b"ma @e v v\r\n",
        b"ma @a O123456789012345678901234567890123\r\n",
        b"mg @a v\r\n",
        b"ma\r\n",
    ],
    "pipeline": [
        # Many commands in one send, keys on every worker: replies in order.
        b"".join(b"set @k%d 0 0 2\r\nv%d\r\n" % (i, i % 10) for i in range(40)) +
        b"get " + b" ".join(b"@k%d" % i for i in range(45)) + b"\r\n" +
        b"".join(b"mg @k%d v k q\r\nma @n%d N0 J%d v\r\nmd @k%d q\r\n" % (i, i, i, i)
                 for i in range(45)) +
        b"gets @k1 @n1\r\nincr @n2 5\r\nappend @n3 0 0 1\r\n0\r\nget @n3\r\n",
        b"ms tmetaseta 1 b\r\nx\r\n",
        b"ms @a 1 T-1 q\r\nx\r\nmg @a v\r\n",
    ],
    "meta_misc": [
        b"mn\r\n",
        b"mn a b c\r\n",
        b"me @a\r\n",
        b"me\r\n",
        b"me " + big(251, b"k") + b"\r\n",
        b"ms @a 3 T0\r\nabc\r\n",
        b"me @a\r\n",
        b"mg @a v\r\n",
        b"me @a\r\n",
        b"ms @b 3 T100\r\nabc\r\n",
        b"me @b\r\n",
        b"mz @a\r\n",
        b"mg @a k k\r\n",
        b"mg @a Z\r\n",
        b"mg @a \xff\r\n",
        b"mg @a T\r\n",
        b"mg @a Fx\r\n",
        b"mg @a Tx Dx\r\n",
        b"mg @a M\r\n",
        b"mg @a O123456789012345678901234567890123\r\n",
        b"mg @nokey O123456789012345678901234567890123\r\n",
        b"mg @a a b c d e f g h i j l m n o p r s x\r\n",
        b"mg " + big(251, b"k") + b" v\r\n",
        b"mg\r\n",
    ],
}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_diff(servers, name):
    run_script(servers, SCRIPTS[name], b"t_" + name.encode() + b"_")


def stat_names(port, group=b""):
    c = Client(port)
    try:
        reply = c.exchange(b"stats" + (b" " + group if group else b"") + b"\r\n")
    finally:
        c.close()
    lines = reply.split(b"\r\n")
    assert lines[-2:] == [b"END", b""], reply
    return [l.split(b" ")[1] for l in lines[:-2]]


@pytest.mark.parametrize("group", [b"", b"settings"])
def test_stats_names(servers, group):
    """Every name Slipstream reports is one memcached reports, in memcached's
    order; values differ by nature (pids, times, counters of two servers)."""
    mc, ours = stat_names(servers[0], group), stat_names(servers[1], group)
    assert ours, "empty stats"
    assert set(ours) <= set(mc), set(ours) - set(mc)
    assert ours == [n for n in mc if n in ours]


def test_stats_values(servers):
    """The general stats count what the server did."""
    c = Client(servers[1])
    try:
        def stats():
            r = c.exchange(b"stats\r\n").split(b"\r\n")
            return {l.split(b" ")[1].decode(): l.split(b" ")[2].decode() for l in r
                    if l.startswith(b"STAT ")}
        c.exchange(b"flush_all\r\n")
        before = stats()
        c.exchange(b"set sv1 0 0 1\r\na\r\nset sv2 0 0 1\r\nb\r\nget sv1 sv2 svx\r\n"
                   b"delete sv2\r\ndelete sv2\r\nincr sv1 1\r\ntouch sv1 10\r\n")
        after = stats()
        delta = {k: int(after[k]) - int(before[k]) for k in
                 ("cmd_get", "get_hits", "get_misses", "cmd_set", "delete_hits",
                  "delete_misses", "incr_misses", "cmd_touch", "touch_hits", "total_items")}
        assert delta == {"cmd_get": 3, "get_hits": 2, "get_misses": 1, "cmd_set": 2,
                         "delete_hits": 1, "delete_misses": 1, "incr_misses": 0,
                         "cmd_touch": 1, "touch_hits": 1, "total_items": 2}
        assert after["curr_items"] == "1"
        assert int(after["pid"]) > 0 and int(after["threads"]) == 3
        assert abs(int(after["time"]) - time.time()) < 5
        assert c.exchange(b"stats items\r\n") == b"STAT items:1:number 1\r\nEND\r\n"
        assert c.exchange(b"stats reset\r\n") == b"RESET\r\n"
        reset = stats()
        assert reset["cmd_get"] == "0" and reset["total_items"] == "0"
        assert reset["curr_items"] == "1"
        c.exchange(b"flush_all\r\n")
        assert c.exchange(b"stats items\r\n") == b"END\r\n"
        assert re.fullmatch(rb"STAT (\d+):state conn_parse_cmd\r\n"
                            rb"STAT \1:secs_since_last_cmd 0\r\nEND\r\n",
                            c.exchange(b"stats conns\r\n"))
    finally:
        c.close()
