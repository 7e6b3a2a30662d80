"""Slow and broken peers: each is cut off within a bound, and everyone else goes on being served.

* slowloris on the built-in server (a request head or body trickled in), idle keep-alive;
* a client that never reads its SSE stream (bounded queue, connection dropped, events kept
  in the event store for resumption);
* a peer that dies mid-message (half a JSON message then EOF), over stdio and HTTP, both ways;
* a server that never answers (the client's timeouts fire; the client stays usable);
* a handler that ignores cancellation (cancel returns at once; its worker is freed when it
  returns; close is bounded).

Bounds here are correctness bounds (a few times the configured timeout), never performance.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import textwrap
import threading
import time
from concurrent.futures import CancelledError

import pytest

from mcp_sync import Client
from mcp_sync.errors import ConnectionClosed, RequestTimeout
from tests.hardening.rawpeer import RawPeer
from tests.hardening.test_http_support import (  # noqa: F401 - fixtures
    WAIT,
    LogTrap,
    build_request,
    no_sdk_threads_left,
    raw_http,
    served,
    wait_until,
)
from tests.http.app_server import build_server
from tests.http.raw import RawSession, SseReader, is_response

pytestmark = pytest.mark.usefixtures("no_sdk_threads_left")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ACCEPT = ("Accept", "application/json, text/event-stream")
JSON = ("Content-Type", "application/json")


def closed_by_server(sock: socket.socket, within: float) -> float:
    """Seconds until the server closed ``sock`` (reading and discarding what it sends); fail after ``within``."""
    started = time.monotonic()
    sock.settimeout(within)
    try:
        while sock.recv(65536):
            pass
    except (ConnectionResetError, BrokenPipeError):
        pass
    except socket.timeout:
        raise AssertionError(f"the server kept the connection open for more than {within} s") from None
    return time.monotonic() - started


# -- slowloris and idle connections on the built-in server ---------------------------------------------

def test_slowloris_request_head_is_cut_off(served):
    s = served()
    s.httpd.header_timeout = 1.0
    with RawSession(s.url) as good:
        socks = [socket.create_connection(("127.0.0.1", s.port)) for _ in range(8)]
        try:
            for sock in socks:
                sock.sendall(b"POST /mcp HTTP/1.1\r\nHost: ")
            started = time.monotonic()
            alive = list(socks)
            while alive and time.monotonic() - started < 10:  # one byte per socket every 0.2 s
                for sock in list(alive):
                    try:
                        sock.sendall(b"1")
                    except OSError:  # cut off
                        alive.remove(sock)
                assert good.ping()["result"] == {}  # everyone else is served meanwhile
                time.sleep(0.2)
            assert alive == [], "a client trickling its request head was never cut off"
            assert time.monotonic() - started < 5.0  # header_timeout 1 s (+ the time to notice)
            wait_until(lambda: s.connections() <= 1, timeout=5.0)
        finally:
            for sock in socks:
                sock.close()


def test_idle_keep_alive_connection_is_closed(served):
    s = served()
    s.httpd.socket_timeout = 1.0
    with socket.create_connection(("127.0.0.1", s.port)) as silent:  # connects and says nothing
        assert closed_by_server(silent, within=10.0) < 5.0
    with socket.create_connection(("127.0.0.1", s.port)) as sock:  # one request, then idle
        sock.sendall(build_request("GET", "/mcp", [("Host", s.host)]))
        assert closed_by_server(sock, within=10.0) < 5.0
    with RawSession(s.url) as good:  # and the server serves as before
        assert good.ping()["result"] == {}


def test_slow_request_body_gets_408(served):
    s = served()
    s.httpd.body_timeout = 1.0
    s.httpd.body_min_rate = 10**9  # no allowance for what arrives: the 1 s is all there is
    with RawSession(s.url) as good, socket.create_connection(("127.0.0.1", s.port)) as sock:
        body = json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}).encode()
        sock.sendall(build_request("POST", "/mcp", [("Host", s.host), ACCEPT, JSON,
                                                    ("Content-Length", str(len(body)))], content_length=False))
        started = time.monotonic()
        sock.settimeout(WAIT)
        answer = b""
        for byte in body:  # one byte every 0.2 s: about 10 s in all if nobody stopped it
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break
            time.sleep(0.2)
            if time.monotonic() - started > 3.0:
                break
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except OSError:
            pass
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b'"code":-32600' in answer and b"did not arrive in time" in answer
        assert good.ping()["result"] == {}


# -- a client that never reads its SSE stream ----------------------------------------------------------------

def _flood_server():
    server = build_server()

    @server.method("flood")
    def flood(connection, request):
        n, size = request.params["n"], request.params["size"]
        for i in range(n):
            request.notify("notifications/message", {"level": "info", "data": f"{i:06d}" + "x" * size})
        return {"sent": n}

    return server


def test_client_that_never_reads_its_stream(served):
    n, size = 2000, 4000  # 8 MB: more than the socket buffers hold
    s = served(_flood_server(), max_backlog=20)
    s.httpd.socket_timeout = 1.0  # how long a write may stay blocked
    with LogTrap(level=30) as trap, RawSession(s.url) as good, socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", s.port))
        body = json.dumps({"jsonrpc": "2.0", "id": "flood-1", "method": "flood",
                           "params": {"n": n, "size": size}}).encode()
        sock.sendall(build_request("POST", "/mcp", [("Host", s.host), ACCEPT, JSON,
                                                    ("Mcp-Session-Id", good.session_id),
                                                    ("MCP-Protocol-Version", good.version)], body))
        head = b""
        while b"\n\n" not in head.partition(b"\r\n\r\n")[2]:  # the headers and the priming event, no more
            head += sock.recv(1)
        priming = [line for line in head.decode().splitlines() if line.startswith("id:")][0][3:].strip()
        assert priming.endswith("-0")
        # the handler is not held back by the stalled client, and the connection is let go
        wait_until(lambda: any("the client is not reading" in r.getMessage() for r in trap.snapshot()))
        wait_until(lambda: s.connections() <= 1, timeout=10.0)  # the blocked write timed out: thread freed
        assert good.ping()["result"] == {}
        # nothing was lost: everything is in the event store, and a new connection replays it all
        replay = good.get(last_event_id=priming)
        assert replay.status_code == 200
        messages = SseReader(replay).until(is_response("flood-1"))
        notes = [m for m in messages if m.get("method") == "notifications/message"]
        assert [int(m["params"]["data"][:6]) for m in notes] == list(range(n))
        assert messages[-1] == {"jsonrpc": "2.0", "id": "flood-1", "result": {"sent": n}}
        replay.close()


# -- a peer that dies mid-message ----------------------------------------------------------------------------

def test_stdio_server_side_half_a_message_then_eof():
    peer = RawPeer()
    peer.send(b'{"jsonrpc":"2.0","id":1,"method":"ec')
    assert peer.close() == 0  # EOF: the session ends cleanly (the peer checks its own threads)
    assert not peer.bugs(), peer.stderr()


STDIO_HALF = textwrap.dedent("""
    import json, sys
    for line in sys.stdin:
        message = json.loads(line)
        if message.get("method") == "initialize":
            answer = {"jsonrpc": "2.0", "id": message["id"], "result": {"protocolVersion": "2025-11-25",
                      "capabilities": {"tools": {}}, "serverInfo": {"name": "half", "version": "1"}}}
            sys.stdout.write(json.dumps(answer) + "\\n")
            sys.stdout.flush()
        elif message.get("method") == "tools/call":
            sys.stdout.write('{"jsonrpc": "2.0", "id": %s, "result": {"cont' % json.dumps(message["id"]))
            sys.stdout.flush()
            sys.exit(3)
""")


def test_stdio_client_side_server_dies_mid_message():
    client = Client.stdio([sys.executable, "-c", STDIO_HALF], timeout=WAIT, protocol="legacy", stderr=None)
    with client:
        started = time.monotonic()
        with pytest.raises(ConnectionClosed) as info:
            client.call_tool("anything", {})
        assert time.monotonic() - started < 10.0
        assert info.value.exit_code == 3
        assert client.closed


class FakeHttpServer:
    """A loopback HTTP/1.1 server answering with ``answer(method, message) -> bytes`` (raw response bytes).

    An answer ending with ``CLOSE`` is sent without it, then the connection is
    closed (a server dying mid-message). Threads are named ``test-fake-http-*``
    and joined by :meth:`close`.
    """

    def __init__(self, answer) -> None:
        self.answer = answer
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/mcp"
        self.threads: list[threading.Thread] = []
        self.conns: list[socket.socket] = []
        self.lock = threading.Lock()
        accept = threading.Thread(target=self._accept, name="test-fake-http-accept", daemon=True)
        self.threads.append(accept)
        accept.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), name="test-fake-http-conn", daemon=True)
            with self.lock:
                self.conns.append(conn)
                self.threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as f:
            while True:
                line = f.readline()
                if not line:
                    return
                headers = {}
                while (h := f.readline()) not in (b"\r\n", b""):
                    name, _, value = h.decode().partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = f.read(int(headers.get("content-length", 0) or 0))
                method = line.split()[0].decode()
                out = self.answer(method, json.loads(body) if body else None)
                try:
                    conn.sendall(out.removesuffix(CLOSE))
                    if out.endswith(CLOSE):
                        conn.shutdown(socket.SHUT_RDWR)
                        return
                except OSError:
                    return

    def close(self) -> None:
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() (close alone does not)
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            conns = list(self.conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in list(self.threads):
            thread.join(WAIT)


CLOSE = b"<close>"


def http_json(obj: dict, extra: bytes = b"", status: bytes = b"200 OK", length: int | None = None) -> bytes:
    data = json.dumps(obj).encode()
    n = len(data) if length is None else length
    return b"HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s" % (
        status, n, extra, data)


INIT_RESULT = {"protocolVersion": "2025-11-25", "capabilities": {"tools": {}},
               "serverInfo": {"name": "fake", "version": "1"}}


@pytest.mark.parametrize("how", ["body cut short", "half a JSON body", "half an SSE event"])
def test_http_client_side_server_dies_mid_message(how):
    def answer(method, message):
        if method == "GET":
            return b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n"
        if method == "DELETE":
            return b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
        if message.get("method") == "initialize":
            return http_json({"jsonrpc": "2.0", "id": message["id"], "result": INIT_RESULT},
                             extra=b"Mcp-Session-Id: s1\r\n")
        if "id" not in message:
            return b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
        full = json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": {"content": []}}).encode()
        if how == "body cut short":  # Content-Length promises more, then the connection ends
            return http_json({"jsonrpc": "2.0", "id": message["id"], "result": {}}, length=len(full) + 50) + CLOSE
        if how == "half a JSON body":  # a complete HTTP response whose JSON is cut
            half = full[: len(full) // 2]
            return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
                len(half), half)
        return (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
                b"id: e1\ndata: " + full[: len(full) // 2] + CLOSE)

    fake = FakeHttpServer(answer)
    try:
        with Client.http(fake.url, timeout=WAIT, protocol="legacy") as client:
            started = time.monotonic()
            with pytest.raises(ConnectionClosed):
                client.call_tool("anything", {})
            assert time.monotonic() - started < 5.0  # at once, not after the 20 s timeout
    finally:
        fake.close()


def test_http_server_side_client_resets_mid_body(served):
    s = served()
    with LogTrap() as trap, RawSession(s.url) as good:
        for _ in range(5):
            sock = socket.create_connection(("127.0.0.1", s.port))
            sock.sendall(build_request("POST", "/mcp", [("Host", s.host), ACCEPT, JSON,
                                                        ("Mcp-Session-Id", good.session_id),
                                                        ("Content-Length", "1000")], content_length=False)
                         + b'{"jsonrpc":"2.0","id":5,"method":"pi')
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            sock.close()  # RST
        assert good.ping()["result"] == {}
        wait_until(lambda: s.connections() <= 1, timeout=5.0)
        assert trap.problems() == []


# -- a server that never answers --------------------------------------------------------------------------------

def _stuck_server(release: threading.Event):
    server = build_server()

    @server.method("stuck")
    def stuck(connection, request):
        release.wait(WAIT)  # ignores cancellation
        return {"done": True}

    return server


def test_http_request_timeout_then_the_client_goes_on(served):
    release = threading.Event()
    s = served(_stuck_server(release))
    try:
        with Client.http(s.url, timeout=WAIT, protocol="legacy") as client:
            started = time.monotonic()
            with pytest.raises(RequestTimeout):
                client.request("stuck", timeout=1.0)
            assert time.monotonic() - started < 5.0
            client.ping()
            assert client.call_tool("echo", {"after": "timeout"}).content[0].text == '{"after": "timeout"}'
            release.set()  # (else ending the session waits JOIN_TIMEOUT for the stuck handler)
    finally:
        release.set()


def test_http_black_hole_server():
    """A server that accepts connections and never says a word: open() times out; nothing hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/mcp"
        client = Client.http(url, timeout=1.0, protocol="legacy")
        started = time.monotonic()
        with pytest.raises(RequestTimeout):
            client.open()
        client.close()
        assert time.monotonic() - started < 10.0
    finally:
        listener.close()


STDIO_STUCK = textwrap.dedent("""
    import threading, time
    from mcp_sync import Server
    server = Server("stuck")

    @server.tool()
    def stuck() -> str:
        time.sleep(60)  # ignores cancellation
        return "never"

    @server.tool()
    def echo(text: str) -> str:
        return text

    server.run("stdio")
""")


def test_stdio_request_timeout_cancel_and_bounded_close():
    client = Client.stdio([sys.executable, "-c", STDIO_STUCK], env={"PYTHONPATH": ROOT}, timeout=WAIT,
                          protocol="legacy", stderr=None)
    with client:
        process = client.transport.process
        started = time.monotonic()
        with pytest.raises(RequestTimeout):
            client.call_tool("stuck", {}, timeout=1.0)
        assert time.monotonic() - started < 5.0
        future = client.nowait.call_tool("stuck", {})
        started = time.monotonic()
        assert future.cancel()
        with pytest.raises(CancelledError):
            future.result(1)
        assert time.monotonic() - started < 1.0  # cancel returns at once
        assert client.call_tool("echo", {"text": "still here"}).content[0].text == "still here"
        started = time.monotonic()
    # close: stdin EOF; the stuck handlers keep the process alive, so SIGTERM after EXIT_GRACE (2 s)
    assert time.monotonic() - started < 10.0
    assert process.poll() is not None


def test_stdio_close_is_bounded_with_stuck_handlers():
    client = Client.stdio([sys.executable, "-c", STDIO_STUCK], env={"PYTHONPATH": ROOT}, timeout=WAIT,
                          protocol="legacy", stderr=None)
    client.open()
    futures = [client.nowait.call_tool("stuck", {}) for _ in range(3)]
    time.sleep(0.3)
    started = time.monotonic()
    client.close()
    assert time.monotonic() - started < 10.0  # documented: stdin EOF, EXIT_GRACE, SIGTERM, EXIT_GRACE, SIGKILL
    assert client.transport.process.poll() is not None
    for future in futures:
        with pytest.raises(ConnectionClosed):
            future.result(1)


# -- a handler that ignores cancellation ----------------------------------------------------------------------

def test_http_cancel_of_a_handler_that_ignores_it(served):
    release = threading.Event()
    s = served(_stuck_server(release))
    try:
        with Client.http(s.url, timeout=WAIT, protocol="legacy") as client:
            future = client.nowait.request("stuck")
            session = wait_until(lambda: s.app.sessions() and s.app.sessions()[0])
            engine = session.connection.session
            wait_until(lambda: engine.in_flight() == 1)
            started = time.monotonic()
            assert future.cancel()
            assert time.monotonic() - started < 1.0
            with pytest.raises(CancelledError):
                future.result(1)
            client.ping()  # the session goes on
            time.sleep(0.2)
            assert engine.in_flight() == 1  # the handler still runs: it ignores the cancellation...
            release.set()
            wait_until(lambda: engine.in_flight() == 0)  # ...and its worker is freed when it returns
            client.ping()
    finally:
        release.set()


def test_http_server_stop_is_bounded_with_stuck_handlers():
    """Stopping ends sessions concurrently: about JOIN_TIMEOUT (5 s) in all, not 5 s per stuck session."""
    release = threading.Event()
    server = _stuck_server(release)
    from tests.hardening.test_http_support import Served

    s = Served(server)
    sessions = [RawSession(s.url) for _ in range(4)]
    try:
        responses = [x.request("stuck") for x in sessions]
        wait_until(lambda: sum(c.session.in_flight() for c in server.connections()) == 4)
        started = time.monotonic()
        s.stop()
        assert time.monotonic() - started < 9.0  # was 4 x 5 s before sessions were ended concurrently
        for response in responses:
            response.close()
    finally:
        release.set()
        for x in sessions:
            x.close()
    # the four workers end once their handlers return
    wait_until(lambda: not [t for t in threading.enumerate() if "worker" in t.name and t.name.startswith("mcp-http")])
