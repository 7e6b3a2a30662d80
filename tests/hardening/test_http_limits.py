"""The limits of the Streamable HTTP server: hit each one, read the documented error, keep going.

Body size (413), SSE streams per session (429) and overall (503), sessions
(503), the optional per-client request rate (429 + Retry-After), and the task
limits (active tasks per owner, maximum TTL) through the wire. After every
refusal the same session (or a new one) is still served.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time

import pytest

from mcp_sync import Client, Context, Server
from mcp_sync.errors import McpError
from mcp_sync.http.security import RateLimiter, default_rate_key
from mcp_sync.limits import DEFAULT_MAX_SESSIONS, DEFAULT_MAX_STREAMS, DEFAULT_MAX_STREAMS_PER_SESSION, SERVER_BUSY
from mcp_sync.tasks import TaskLimits
from tests.hardening.test_http_support import (  # noqa: F401 - fixtures
    WAIT,
    build_request,
    no_sdk_threads_left,
    raw_http,
    served,
    wait_until,
)
from tests.http.raw import RawSession, SseReader, is_response

pytestmark = pytest.mark.usefixtures("no_sdk_threads_left")


def rpc_error(response) -> dict:
    body = response.json() if hasattr(response, "json") else json.loads(response.body)
    return body


def test_the_http_limits_have_their_documented_defaults(served):
    s = served()
    assert (s.app.max_body_bytes, s.app.max_sessions, s.app.streams.per_session, s.app.streams.total,
            s.app.rate_limiter) == (4 * 1024 * 1024, 1000, 100, 1000, None)
    assert (DEFAULT_MAX_SESSIONS, DEFAULT_MAX_STREAMS_PER_SESSION, DEFAULT_MAX_STREAMS) == (1000, 100, 1000)
    assert SERVER_BUSY == -32000


@pytest.mark.parametrize("option,value", [("max_sessions", 0), ("max_streams", 0), ("max_streams_per_session", -1),
                                          ("max_sessions", 1.5), ("rate_limit", (0, 1)), ("rate_limit", (1, 0.5))])
def test_limits_must_be_positive(served, option, value):
    from tests.http.app_server import build_server

    with pytest.raises(ValueError):
        build_server().wsgi_app(**{option: value})


# -- body size ---------------------------------------------------------------------------------

def test_body_size_limit(served):
    s = served(max_body_bytes=1000)
    with RawSession(s.url) as session:
        head = b'{"jsonrpc":"2.0","id":7,"method":"ping","params":{"p":"'
        fits = head + b"a" * (1000 - len(head) - 3) + b'"}}'
        assert len(fits) == 1000
        assert session.post(None, raw=fits).status_code == 200
        over = session.post(None, raw=fits[:-3] + b'a"}}')
        assert over.status_code == 413
        assert over.json() == {"jsonrpc": "2.0", "error": {  # no id: 2025-11-25 leaves out a null one
            "code": -32600, "message": "Request body too large (the limit is 1000 bytes)"}}
        # chunked (no Content-Length): counted as it is read
        chunked = build_request("POST", "/mcp", [("Host", s.host), ("Content-Type", "application/json"),
                                                  ("Accept", "application/json, text/event-stream"),
                                                  ("Mcp-Session-Id", session.session_id)], b"x" * 5000, chunked=True)
        assert raw_http(s.port, chunked, method="POST").status == 413
        assert session.ping()["result"] == {}


def test_huge_announced_body_is_refused_without_waiting_for_it(served):
    """413 at once, and the connection is closed rather than held open draining a body that never comes."""
    s = served(max_body_bytes=1000)
    with RawSession(s.url) as session:
        head = build_request("POST", "/mcp", [("Host", s.host), ("Content-Type", "application/json"),
                                              ("Accept", "application/json, text/event-stream"),
                                              ("Content-Length", str(10**12))], content_length=False)
        started = time.monotonic()
        assert raw_http(s.port, head, method="POST").status == 413
        assert time.monotonic() - started < WAIT
        wait_until(lambda: s.connections() <= 1, timeout=5.0)  # at most the good session's keep-alive one
        assert session.ping()["result"] == {}


def test_a_body_cut_short_is_never_acted_on(served):
    """Content-Length promises more than arrives before EOF: 400, and the message is not processed."""
    s = served()
    message = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "x", "version": "1"}}}).encode()
    data = build_request("POST", "/mcp", [("Host", s.host), ("Content-Type", "application/json"),
                                          ("Accept", "application/json, text/event-stream"),
                                          ("Content-Length", str(len(message) + 10))], content_length=False)
    response = raw_http(s.port, data + message, method="POST", half_close=True)
    assert response is not None and response.status == 400
    assert json.loads(response.body)["error"]["code"] == -32600
    assert s.app.sessions() == []  # the complete-looking initialize inside was not run


def test_malformed_chunked_body_is_a_400_not_a_500(served):
    s = served()
    data = build_request("POST", "/mcp", [("Host", s.host), ("Content-Type", "application/json"),
                                          ("Accept", "application/json, text/event-stream"),
                                          ("Transfer-Encoding", "chunked")], content_length=False)
    response = raw_http(s.port, data + b"zz\r\nabc\r\n0\r\n\r\n", method="POST", half_close=True)
    assert response is not None and response.status == 400
    assert json.loads(response.body)["error"]["code"] == -32600


# -- SSE streams ----------------------------------------------------------------------------------

@contextlib.contextmanager
def opened(gate: threading.Event):
    """Open ``gate`` when the block ends, however it ends (no handler is left waiting on it)."""
    try:
        yield gate
    finally:
        gate.set()


def _hold(session: RawSession, gate: str):
    """Start the ``wait`` tool on an SSE stream; return (request id, reader) once the tool is running."""
    rid, response = session.call_tool("wait", {"gate": gate}, progress=True)
    assert response.status_code == 200, response.text
    reader = SseReader(response)
    reader.until(lambda m: m.get("method") == "notifications/progress")
    return rid, reader


def test_streams_per_session_limit(served):
    s = served(max_streams_per_session=2)
    with RawSession(s.url) as session, RawSession(s.url) as other, opened(s.server.gate("g")):
        held = [_hold(session, "g") for _ in range(2)]
        rid, refused = session.call_tool("echo", {"x": 1})
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "1"
        assert refused.json() == {"jsonrpc": "2.0", "id": rid, "error": {"code": -32000, "message": (
            "Too many streams: 2 SSE streams are already open on this session (the server's "
            "max_streams_per_session); retry after one ends")}}
        assert session.get().status_code == 429  # the GET stream counts too
        assert s.server.calls.get("echo") is None  # the refused request never ran
        other_rid, answer = other.call_tool("echo", {"x": 2})  # per session: other sessions are not affected
        assert SseReader(answer).until(is_response(other_rid))[-1]["result"]["content"][0]["text"] == '{"x": 2}'
        s.server.gate("g").set()
        for hrid, reader in held:
            assert reader.until(is_response(hrid))[-1]["result"]["content"][0]["text"] == "opened"
            reader.close()
        wait_until(lambda: s.app.streams.open == 0)
        rid, response = session.call_tool("echo", {"x": 3})
        assert SseReader(response).until(is_response(rid))[-1]["result"]["content"][0]["text"] == '{"x": 3}'


def test_the_ping_at_the_limit_is_refused_too(served):
    """A request answered on an SSE stream needs a slot, whatever its method (it is only a request)."""
    s = served(max_streams_per_session=1)
    with RawSession(s.url) as session, opened(s.server.gate("p")):
        rid, reader = _hold(session, "p")
        response = session.request("ping")
        assert response.status_code == 429 and response.json()["error"]["code"] == SERVER_BUSY
        s.server.gate("p").set()
        reader.until(is_response(rid))
        reader.close()
        wait_until(lambda: s.app.streams.open == 0)
        assert session.ping()["result"] == {}


def test_streams_overall_limit(served):
    s = served(max_streams=2, max_streams_per_session=None)
    with RawSession(s.url) as a, RawSession(s.url) as b, RawSession(s.url) as c, opened(s.server.gate("o")):
        held = [_hold(a, "o"), _hold(b, "o")]
        rid, refused = c.call_tool("echo", {})
        assert refused.status_code == 503
        assert refused.json()["id"] == rid and refused.json()["error"] == {"code": -32000, "message": (
            "Server busy: 2 SSE streams are open on this server (the server's max_streams); retry later")}
        s.server.gate("o").set()
        for hrid, reader in held:
            reader.until(is_response(hrid))
            reader.close()
        wait_until(lambda: s.app.streams.open == 0)
        assert c.ping()["result"] == {}


def test_the_client_reports_a_refused_stream_as_a_json_rpc_error(served):
    s = served(max_streams_per_session=1)
    with Client.http(s.url, timeout=WAIT, protocol="legacy") as client:
        # the client's GET stream holds the one slot of its session: every call is refused, clearly
        wait_until(lambda: s.app.streams.open == 1)
        with pytest.raises(McpError) as info:
            client.call_tool("echo", {"a": 1})
        assert info.value.code == SERVER_BUSY and "max_streams_per_session" in info.value.message


# -- sessions ---------------------------------------------------------------------------------------

def test_sessions_limit(served):
    s = served(max_sessions=2)
    first, second = RawSession(s.url), RawSession(s.url)
    try:
        third = RawSession(s.url, initialize=False)
        response = third.post({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "x", "version": "1"}}},
            session=False)
        assert response.status_code == 503 and response.headers["Retry-After"] == "1"
        assert response.json() == {"jsonrpc": "2.0", "id": 1, "error": {"code": -32000, "message": (
            "Server busy: 2 sessions are open (the server's max_sessions); retry later")}}
        assert "Mcp-Session-Id" not in response.headers
        assert first.ping()["result"] == {} and second.ping()["result"] == {}
        assert first.delete().status_code == 200
        with RawSession(s.url) as fourth:  # a freed place is taken at once
            assert fourth.ping()["result"] == {}
        third.close()
    finally:
        first.close()
        second.close()


def test_the_client_reports_a_full_server(served):
    s = served(max_sessions=1)
    with RawSession(s.url):
        with pytest.raises(McpError) as info:
            Client.http(s.url, timeout=WAIT, protocol="legacy").open()
        assert info.value.code == SERVER_BUSY and "max_sessions" in info.value.message


# -- request rate -----------------------------------------------------------------------------------

def test_rate_limit_is_off_by_default(served):
    s = served()
    with RawSession(s.url) as session:
        for _ in range(50):
            assert session.ping()["result"] == {}


def test_rate_limit_per_client(served):
    s = served(rate_limit=(2.0, 3), rate_limit_key=lambda environ: environ.get("HTTP_X_CLIENT", "anonymous"))
    with RawSession(s.url) as session:  # its initialize and notifications/initialized took 2 of 3 tokens
        session.http.headers["X-Client"] = "alice"  # from now on, alice's own bucket
        for _ in range(3):
            assert session.ping()["result"] == {}
        refused = session.request("ping")
        assert refused.status_code == 429
        retry_after = int(refused.headers["Retry-After"])
        assert retry_after == 1
        error = refused.json()["error"]
        assert error["code"] == -32000
        assert error["message"].startswith("Too many requests: the limit is 2 per second (bursts of 3) per client;")
        session.http.headers["X-Client"] = "bob"  # another client is not affected
        assert session.ping()["result"] == {}
        session.http.headers["X-Client"] = "alice"
        time.sleep(0.6)  # half a second gives alice a token again
        assert session.ping()["result"] == {}


def test_the_default_rate_key_is_the_subject_then_the_address():
    class Info:
        subject = "user-1"

    assert default_rate_key({"mcp_sync.auth": Info(), "REMOTE_ADDR": "10.0.0.1"}) == "subject:user-1"
    assert default_rate_key({"REMOTE_ADDR": "10.0.0.1"}) == "addr:10.0.0.1"


def test_token_bucket_arithmetic_and_bounded_memory():
    now = [0.0]
    limiter = RateLimiter(10.0, 2, max_keys=4, clock=lambda: now[0])
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, pytest.approx(0.1)]
    now[0] += 0.05
    assert limiter.take("a") == pytest.approx(0.05)  # half a token refilled; the refusal spends nothing
    now[0] += 0.05
    assert limiter.take("a") == 0.0
    for key in "bcdefgh":  # more keys than max_keys: the table is pruned, never grows past it
        limiter.take(key)
        assert len(limiter._buckets) <= 4


# -- tasks (through the wire) ------------------------------------------------------------------------

def _task_server(limits: TaskLimits, release: threading.Event) -> Server:
    server = Server("task-limits", tasks=limits)

    @server.tool(task_support="optional")
    def hold(ctx: Context) -> str:
        """Holds its task open until released (or cancelled)."""
        release.wait(WAIT)
        return "released"

    return server


def _task_call(session: RawSession, ttl: int | None = None) -> dict:
    task = {} if ttl is None else {"ttl": ttl}
    response = session.request("tools/call", {"name": "hold", "arguments": {}, "task": task})
    assert response.status_code == 200, response.text
    if response.headers["Content-Type"].startswith("application/json"):
        return response.json()
    return SseReader(response).until(lambda m: "result" in m or "error" in m)[-1]


def test_task_limits_through_the_wire(served):
    release = threading.Event()
    server = _task_server(TaskLimits(max_active_per_owner=2, max_ttl_ms=60_000, default_ttl_ms=30_000), release)
    try:
        s = served(server)
        with RawSession(s.url) as session, RawSession(s.url) as other:
            assert "tasks" in session.init_response.json()["result"]["capabilities"]
            first = _task_call(session, ttl=10**9)["result"]["task"]
            assert first["status"] == "working" and first["ttl"] == 60_000  # capped to max_ttl_ms
            assert _task_call(session)["result"]["task"]["ttl"] == 30_000  # default_ttl_ms
            refused = _task_call(session, ttl=1000)
            assert refused["error"] == {"code": -32600, "message": (
                "Too many active tasks: at most 2 unfinished tasks per requestor"),
                "data": {"limit": "max_active_per_owner", "max": 2}}
            assert _task_call(other)["result"]["task"]["status"] == "working"  # per owner (its own session)
            assert session.ping()["result"] == {}
            release.set()

            def finished() -> bool:
                answer = SseReader(session.request("tasks/get", {"taskId": first["taskId"]})).until(
                    lambda m: "result" in m or "error" in m)[-1]
                return answer["result"]["status"] == "completed"

            wait_until(finished)
            wait_until(lambda: "result" in _task_call(session, ttl=1000) or None)  # a freed place is taken
    finally:
        release.set()
        server.close()
