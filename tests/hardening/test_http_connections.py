"""The built-in HTTP server's connections: a cap, no thread for a silent one, shedding, no spinning on EMFILE.

A connection that has sent nothing waits in the accept loop's selector (a
descriptor, no thread) and is closed ``header_timeout`` after its accept. When
the cap (``max_connections``) or the process's descriptors run out, the oldest
silent connection is shed so new clients are still served. The last test runs
the server in a subprocess whose descriptor limit is 256 and opens a thousand
idle sockets to it while real MCP clients connect and call.
"""

from __future__ import annotations

import contextlib
import os
import resource
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mcp_sync import Client
from mcp_sync.http import HttpServerHandle
from mcp_sync.http.wsgi_server import MAX_CONNECTIONS
from tests.hardening.test_http_support import no_sdk_threads_left, served, wait_until  # noqa: F401
from tests.http.app_server import build_server
from tests.http.raw import RawSession

pytestmark = pytest.mark.usefixtures("no_sdk_threads_left")

ROOT = Path(__file__).resolve().parents[2]


def conn_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name.startswith("mcp-http-conn"))


def closed_within(sock: socket.socket, seconds: float) -> float:
    """Seconds until the server closed ``sock`` (EOF or reset); fails past ``seconds``."""
    started = time.monotonic()
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass
    except (ConnectionResetError, BrokenPipeError):
        pass
    except socket.timeout:
        raise AssertionError(f"the server kept the connection open for more than {seconds} s") from None
    return time.monotonic() - started


@contextlib.contextmanager
def silent_sockets(port: int, n: int):
    socks = []
    try:
        for _ in range(n):
            socks.append(socket.create_connection(("127.0.0.1", port)))
        yield socks
    finally:
        for sock in socks:
            sock.close()


@contextlib.contextmanager
def handle(**options):
    server = build_server()
    h = HttpServerHandle(server.wsgi_app(keepalive=0.5), "127.0.0.1", 0, **options)
    try:
        yield h
    finally:
        h.stop()


def test_the_connection_cap_has_a_documented_default():
    assert MAX_CONNECTIONS == 1024
    with handle() as h:
        assert h.max_connections == h._httpd.max_connections == 1024
    for bad in (0, -1, 1.5):
        with pytest.raises(ValueError):
            HttpServerHandle(build_server().wsgi_app(), max_connections=bad)


def test_a_silent_connection_costs_a_descriptor_not_a_thread(served):
    s = served()
    before = conn_threads()
    with silent_sockets(s.port, 50):
        wait_until(lambda: s.httpd.silent_connections() == 50)
        assert conn_threads() == before  # fifty connections, no thread for any of them
        with RawSession(s.url) as good:  # a client that speaks is served on a thread at once
            assert good.ping()["result"] == {}
        assert s.httpd.silent_connections() == 50


def test_a_silent_connection_is_closed_header_timeout_after_its_accept(served):
    s = served()
    s.httpd.header_timeout = 1.0  # socket_timeout stays 60 s: the old limit of a silent connection
    with socket.create_connection(("127.0.0.1", s.port)) as silent:
        assert closed_within(silent, 30.0) < 30.0
    wait_until(lambda: s.httpd.silent_connections() == 0)


def test_the_first_request_head_is_due_header_timeout_after_the_accept(served):
    """Not header_timeout after the first byte: waiting to start does not buy more time."""
    s = served()
    s.httpd.header_timeout = 4.0
    with socket.create_connection(("127.0.0.1", s.port)) as sock:
        accepted = time.monotonic()
        time.sleep(3.5)
        sock.sendall(b"POST /mcp HTTP/1.1\r\nHost: ")  # first bytes late, the head never finished
        closed_within(sock, 30.0)
        # counted from the accept: about 4 s (4.5 with the grace after a late first byte), not 3.5 + 4
        assert time.monotonic() - accepted < 6.5


def test_the_cap_sheds_the_oldest_silent_connection():
    with handle(max_connections=4) as h, silent_sockets(h.port, 4) as socks:
        wait_until(lambda: h._httpd.silent_connections() == 4)
        with RawSession(h.url) as good:  # a fifth connection: the oldest silent one makes room
            assert good.ping()["result"] == {}
        closed_within(socks[0], 20.0)
        assert h._httpd.shed_count >= 1
        socks[-1].sendall(b"")  # the newest silent ones are still open
        assert h._httpd.silent_connections() + len(h._httpd.live_connections()) <= 4


def test_a_full_cap_of_busy_connections_makes_new_clients_wait_without_spinning():
    with handle(max_connections=2) as h, RawSession(h.url) as a, RawSession(h.url) as b:
        # a's and b's keep-alive connections are the two allowed; both now wait in the "wait" tool
        server = h.app.server
        gate = server.gate("busy")
        results: list = []

        def call(session: RawSession) -> None:
            rid, response = session.call_tool("wait", {"gate": "busy"})
            results.append((response.status_code, response.text))

        threads = [threading.Thread(target=call, args=(x,), name=f"test-busy-{i}") for i, x in enumerate((a, b))]
        for t in threads:
            t.start()
        wait_until(lambda: sum(1 for _, st in h._httpd._conns.items() if not st.idle) == 2)
        got: list = []
        waiter = threading.Thread(target=lambda: got.append(RawSession(h.url).ping()), name="test-third")
        waiter.start()
        wait_until(lambda: h._httpd.pause_count >= 1)  # accepting paused: the third client waits
        time.sleep(0.5)
        assert got == [] and h._httpd.pause_count == 1  # it waited, and the loop did not spin
        gate.set()
        for t in threads:
            t.join(20)
        waiter.join(30)
        assert got and got[0]["result"] == {}
        assert all(code == 200 for code, _ in results)


FLOOD_SERVER = """
import resource, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (256, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
from mcp_sync.http import HttpServerHandle
from tests.http.app_server import build_server
h = HttpServerHandle(build_server().wsgi_app(), "127.0.0.1", 0)
print(h.port, flush=True)
sys.stdin.read()  # until the test closes our stdin
h.stop()
print(h._httpd.shed_count, flush=True)
"""


def proc_threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
def test_a_thousand_idle_sockets_under_a_256_descriptor_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1400:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    proc = subprocess.Popen([sys.executable, "-c", FLOOD_SERVER], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline())  # type: ignore[union-attr]
        url = f"http://127.0.0.1:{port}/mcp"
        peak = proc_threads(proc.pid)
        with silent_sockets(port, 1000):  # far more than the server's 256 descriptors
            for n in range(8):  # real clients on new connections keep being served
                with Client.http(url, protocol="legacy", timeout=30) as client:
                    result = client.call_tool("echo", {"n": n})
                    assert result.content[0].text == f'{{"n": {n}}}'
                peak = max(peak, proc_threads(proc.pid))
            cpu = proc_cpu_seconds(proc.pid)
            time.sleep(2.0)
            idle_cpu = proc_cpu_seconds(proc.pid) - cpu
            peak = max(peak, proc_threads(proc.pid))
        assert peak < 150, f"{peak} threads in the server"  # not one per idle connection
        assert idle_cpu < 1.5, f"the server used {idle_cpu:.1f} s of CPU in 2 s while idle (spinning?)"
        assert proc.poll() is None
    finally:
        proc.stdin.close()  # type: ignore[union-attr]
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shed = proc.stdout.read()  # type: ignore[union-attr]
        proc.stdout.close()  # type: ignore[union-attr]
    assert proc.returncode == 0
    # Out of descriptors (256), the server shed the oldest silent connections to accept newer ones.
    assert int(shed) >= 500, shed
