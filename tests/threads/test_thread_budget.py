"""The thread budget (issue #21): idle sessions cost no thread of their own.

* N idle legacy HTTP sessions (no GET stream) opened against the WSGI app on the
  built-in server add no per-session server threads: only a small constant.
* A ``Client`` holds at most two threads of its own (named after it) once idle,
  after calls with timeouts, notifications and progress: its deadlines are on
  the one process-wide timer thread and notifications need no thread of theirs.

Nothing here is timed: idle workers leave after ``WORKER_IDLE_TIMEOUT``, and the
tests wait for that by joining the threads that must go.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
from pathlib import Path

from mcp_sync import Client, Context, Server
from mcp_sync import session as engine
from mcp_sync.scheduling import shared_timer

ROOT = Path(__file__).resolve().parents[2]
SESSIONS = 200
#: Threads the server may add whatever the number of sessions (the timer, a reaper, a closer...).
CONSTANT = 6
#: Events the ``hold`` tool waits on, by key.
GATES: dict[str, threading.Event] = {}
JSON = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


def build_server() -> Server:
    server = Server("budget", version="1.0")

    @server.tool()
    def echo(text: str) -> str:
        """Echo the text."""
        return text

    @server.tool()
    def hold(key: str) -> str:
        """Block until the test releases ``key``."""
        assert GATES[key].wait(30), "the test never released the handler"
        return key

    @server.tool()
    def chatty(ctx: Context, n: int) -> int:
        """Log and report progress n times."""
        for i in range(n):
            ctx.log("info", f"step {i}")
            ctx.report_progress(i + 1, n)
        return n

    return server


def _join_leaving(prefix: str, keep: set[threading.Thread]) -> None:
    """Join the worker threads named ``prefix...-worker_N`` not in ``keep``: idle ones exit."""
    timeout = engine.WORKER_IDLE_TIMEOUT + 10.0
    for thread in threading.enumerate():
        if thread not in keep and thread.name.startswith(prefix) and "-worker_" in thread.name:
            thread.join(timeout)
            assert not thread.is_alive(), f"idle worker {thread.name} did not exit"


def _open_session(conn: http.client.HTTPConnection, request_id: int) -> str:
    """initialize + notifications/initialized + one tools/call on a legacy session; its id."""
    init = {"jsonrpc": "2.0", "id": request_id, "method": "initialize",
            "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                       "clientInfo": {"name": "budget", "version": "1"}}}
    conn.request("POST", "/mcp", json.dumps(init), JSON)
    response = conn.getresponse()
    body = response.read()
    assert response.status == 200, body
    session_id = response.getheader("Mcp-Session-Id")
    assert session_id
    headers = dict(JSON, **{"Mcp-Session-Id": session_id, "MCP-Protocol-Version": "2025-11-25"})
    conn.request("POST", "/mcp", '{"jsonrpc":"2.0","method":"notifications/initialized"}', headers)
    ack = conn.getresponse()
    assert ack.status == 202 and ack.read() == b""
    call = {"jsonrpc": "2.0", "id": request_id + 1, "method": "tools/call",
            "params": {"name": "echo", "arguments": {"text": "hi"}}}
    conn.request("POST", "/mcp", json.dumps(call), headers)
    answer = conn.getresponse()
    text = answer.read().decode()
    assert answer.status == 200 and '"text":"hi"' in text.replace(" ", ""), text
    return session_id


def test_idle_legacy_sessions_add_no_per_session_server_threads():
    server = build_server()
    handle = server.start_http(port=0)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", handle.port, timeout=30)
        _open_session(conn, 1)  # the first session starts what every session shares
        before = set(threading.enumerate())
        ids = {_open_session(conn, 10 + 2 * i) for i in range(SESSIONS)}
        assert len(ids) == SESSIONS
        # Every session ran a request on a worker of its own pool; idle workers exit.
        _join_leaving("", before)
        added = [t.name for t in threading.enumerate() if t not in before]
        assert len(added) <= CONSTANT, f"{SESSIONS} idle sessions left {len(added)} threads: {sorted(added)}"
        # The sessions are still open and answer, with threads again only while they work.
        headers = dict(JSON, **{"Mcp-Session-Id": ids.pop(), "MCP-Protocol-Version": "2025-11-25"})
        conn.request("POST", "/mcp", '{"jsonrpc":"2.0","id":"p","method":"ping"}', headers)
        pong = conn.getresponse()
        assert pong.status == 200 and b'"result":{}' in pong.read().replace(b" ", b"")
        conn.close()
    finally:
        handle.stop()


def _own_threads(name: str) -> list[str]:
    return sorted(t.name for t in threading.enumerate() if name in t.name and t.is_alive())


def _exercise(client: Client, logs: list) -> None:
    """Calls with timeouts, notifications (logs) and progress: what used to cost threads."""
    client.set_log_level("debug")
    for i in range(5):
        assert client.call_tool("echo", {"text": str(i)}, timeout=30).structured_content == {"result": str(i)}
    seen: list = []
    result = client.call_tool("chatty", {"n": 3}, timeout=30, progress=lambda p, total, msg: seen.append(p))
    assert result.structured_content == {"result": 3}
    assert seen == [1, 2, 3]
    client.ping(timeout=30)  # the logs arrived before the result; the callbacks ran in order
    assert [entry.data for entry in logs] == ["step 0", "step 1", "step 2"], logs


def _added_threads(before: set[threading.Thread]) -> list[str]:
    """Threads started since ``before``, but the process-wide timer (shared by every session)."""
    timer = shared_timer().thread()
    return sorted(t.name for t in threading.enumerate() if t not in before and t is not timer and t.is_alive())


def test_a_stdio_client_holds_at_most_two_threads_of_its_own():
    before = set(threading.enumerate())
    logs: list = []
    with Client.stdio([sys.executable, "-m", "tests.threads.budget_server"], cwd=ROOT,
                      name="budget-stdio", stderr=None, on_log=logs.append) as client:
        _exercise(client, logs)
        _join_leaving("mcp-client-budget-stdio", before)
        own = _own_threads("budget-stdio")
        assert len(own) <= 2, own
        added = _added_threads(before)
        assert len(added) <= 2, added  # the reader, and the pump of the server's stderr
        # Deadlines are kept by the process-wide timer, not a thread of this client.
        assert shared_timer().thread() is None or "budget" not in shared_timer().thread().name
        assert client.call_tool("echo", {"text": "again"}, timeout=30).structured_content == {"result": "again"}


def test_an_http_client_holds_at_most_two_threads_of_its_own():
    handle = build_server().start_http(port=0)
    try:
        before = set(threading.enumerate())
        logs: list = []
        with Client.http(handle.url, name="budget-http", protocol="legacy", on_log=logs.append) as client:
            _exercise(client, logs)
            _join_leaving("mcp-client-budget-http", before)
            own = _own_threads("budget-http")
            assert len(own) <= 2, own  # the reader and the GET stream
            assert client.call_tool("echo", {"text": "again"}, timeout=30).structured_content == {"result": "again"}
    finally:
        handle.stop()


def test_the_timer_thread_is_released_when_the_last_session_closes():
    server = build_server()
    with Client.connect(server, name="budget-mem") as client:
        future = client.nowait.call_tool("echo", {"text": "x"}, timeout=30)
        assert future.result().structured_content == {"result": "x"}
    # Nothing is scheduled any more: closing released the shared timer's thread.
    assert shared_timer().scheduled() == 0
    assert shared_timer().thread() is None


def test_sessions_share_the_app_pool_and_a_slow_handler_blocks_no_other():
    """Every session of an app runs on its one pool: a blocked handler does not stall the others."""
    handle = build_server().start_http(port=0)
    GATES["slow"] = threading.Event()
    try:
        with Client.http(handle.url, name="budget-a", protocol="legacy") as a, \
                Client.http(handle.url, name="budget-b", protocol="legacy") as b:
            slow = a.nowait.call_tool("hold", {"key": "slow"}, timeout=30)
            # Another session, and the same one, still get answers while that handler blocks.
            assert b.call_tool("echo", {"text": "b"}, timeout=30).structured_content == {"result": "b"}
            assert a.call_tool("echo", {"text": "a"}, timeout=30).structured_content == {"result": "a"}
            a.ping(timeout=30)
            assert not slow.done()
            workers = {t.name for t in threading.enumerate() if "-worker_" in t.name and "budget" not in t.name}
            assert workers and all(name.startswith(handle.app.name) for name in workers), workers
            GATES["slow"].set()
            assert slow.result(30).structured_content == {"result": "slow"}
    finally:
        GATES["slow"].set()
        handle.stop()
