"""The session engine over a real subprocess pipe (issue: foundation)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import wait

import pytest

from mcp_sync.errors import ConnectionClosed, McpError, RequestTimeout
from mcp_sync.session import Session
from mcp_sync.transports.stdio import StdioClientTransport

PEER = [sys.executable, "-m", "tests.peers.session_peer"]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def spawn_raw(**env):
    """The peer with raw pipes: the test speaks bytes itself."""
    proc = subprocess.Popen(PEER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=ROOT, env={**os.environ, **env})
    return proc


def exchange(proc, data: bytes):
    proc.stdin.write(data)
    proc.stdin.flush()
    return json.loads(proc.stdout.readline())


@pytest.fixture
def raw_peer():
    proc = spawn_raw(PEER_MAX_LINE=str(64 * 1024))
    yield proc
    proc.stdin.close()
    assert proc.wait(10) == 0
    stderr = proc.stderr.read().decode()
    proc.stderr.close()
    proc.stdout.close()
    assert "threads left" not in stderr


def new_session(on_request=None, on_notification=None, **transport_kwargs):
    transport = StdioClientTransport(PEER, cwd=ROOT, **transport_kwargs)
    session = Session(transport, on_request=on_request or (lambda r: r.params),
                      on_notification=on_notification, name="test-client")
    return session.start(), transport


ECHO = b'{"jsonrpc":"2.0","id":"ok","method":"echo","params":{"x":1}}\n'


@pytest.mark.parametrize("frame, code, id_", [
    (b"this is not json\n", -32700, None),
    (b'{"jsonrpc":"2.0","id":1,"method":\n', -32700, None),
    (b"\xff\xfe\x00\x01binary\x80\n", -32700, None),
    (b'{"jsonrpc":"2.0","id":7,"method":5}\n', -32600, 7),
    (b'{"jsonrpc":"1.0","id":8,"method":"echo"}\n', -32600, 8),
    (b'{"jsonrpc":"2.0","id":{"a":1},"method":"echo"}\n', -32600, None),
    (b'{"jsonrpc":"2.0","id":true,"method":"echo"}\n', -32600, None),
    (b'{"jsonrpc":"2.0","id":9,"method":"echo","params":[1,2]}\n', -32602, 9),
    (b'"just a string"\n', -32600, None),
    (b"[]\n", -32600, None),
    (b'{"jsonrpc":"2.0","id":10}\n', -32600, 10),
])
def test_garbage_gets_the_right_error_and_the_session_keeps_working(raw_peer, frame, code, id_):
    reply = exchange(raw_peer, frame)
    assert reply["error"]["code"] == code, reply
    assert reply["id"] == id_
    assert reply["jsonrpc"] == "2.0"
    assert exchange(raw_peer, ECHO) == {"jsonrpc": "2.0", "id": "ok", "result": {"x": 1}}


def test_huge_line_is_refused_without_ending_the_session(raw_peer):
    big = b'{"jsonrpc":"2.0","id":1,"method":"echo","params":{"x":"' + b"a" * (256 * 1024) + b'"}}\n'
    reply = exchange(raw_peer, big)
    assert reply["error"]["code"] == -32600
    assert "too large" in reply["error"]["message"]
    assert exchange(raw_peer, ECHO)["result"] == {"x": 1}


def test_unanswerable_garbage_is_dropped(raw_peer):
    # a response to nothing, an invalid response, a notification with bad params: no reply expected
    raw_peer.stdin.write(b'{"jsonrpc":"2.0","id":99,"result":{}}\n'
                         b'{"jsonrpc":"2.0","id":98,"result":{},"error":{"code":1,"message":"x"}}\n'
                         b'{"jsonrpc":"2.0","method":"notifications/x","params":[1]}\n')
    assert exchange(raw_peer, ECHO)["id"] == "ok"


def test_handler_errors_are_answered_without_tracebacks(raw_peer):
    reply = exchange(raw_peer, b'{"jsonrpc":"2.0","id":1,"method":"fail"}\n')
    assert reply["error"] == {"code": -32099, "message": "custom failure", "data": {"detail": 1}}
    reply = exchange(raw_peer, b'{"jsonrpc":"2.0","id":2,"method":"explode"}\n')
    assert reply["error"]["code"] == -32603
    assert "secret internal detail" not in reply["error"]["message"]
    assert "Traceback" not in json.dumps(reply)
    assert exchange(raw_peer, ECHO)["id"] == "ok"


def test_batches_before_negotiation_are_answered_as_one_array(raw_peer):
    raw_peer.stdin.write(b'[{"jsonrpc":"2.0","id":1,"method":"echo","params":{"a":1}},'
                         b'{"jsonrpc":"2.0","method":"notifications/whatever"},'
                         b'{"jsonrpc":"2.0","id":2,"method":"echo","params":{"a":2}}]\n')
    raw_peer.stdin.flush()
    reply = json.loads(raw_peer.stdout.readline())
    assert isinstance(reply, list)
    assert sorted((r["id"], r["result"]["a"]) for r in reply) == [(1, 1), (2, 2)]


def test_batches_are_refused_after_a_version_without_them():
    proc = spawn_raw(PEER_VERSION="2025-06-18")
    try:
        reply = exchange(proc, b'[{"jsonrpc":"2.0","id":1,"method":"echo"}]\n')
        assert reply["error"]["code"] == -32600
        assert "batch" in reply["error"]["message"]
        assert exchange(proc, ECHO)["id"] == "ok"
    finally:
        proc.stdin.close()
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()


def test_100_concurrent_requests_each_way_pair_correctly():
    session, _ = new_session(on_request=lambda r: {"i": r.params["i"]})
    try:
        fanout = session.request("fanout", {"n": 100}, timeout=30)
        echoes = [session.request("echo", {"n": n}, timeout=30) for n in range(100)]
        done, not_done = wait(echoes + [fanout], timeout=30)
        assert not not_done
        assert [f.result()["n"] for f in echoes] == list(range(100))
        assert fanout.result()["results"] == list(range(100))
    finally:
        session.close()


def test_a_blocked_handler_does_not_delay_ping():
    transport = StdioClientTransport(PEER, cwd=ROOT, env={"PEER_WORKERS": "2"})
    session = Session(transport, on_request=lambda r: {}, name="test-client").start()
    try:
        blockers = [session.request("block") for _ in range(4)]  # more than the peer's workers
        assert session.call("ping", timeout=5) == {}
        for f in blockers:
            f.cancel()
    finally:
        session.close()


def test_cancelling_a_call_reaches_the_handlers_cancel_event():
    seen = threading.Event()
    got = {}

    def on_notification(method, params):
        if method == "peer/cancelled":
            got.update(params)
            seen.set()

    session, _ = new_session(on_notification=on_notification)
    try:
        future = session.request("block")
        assert session.call("echo", {}, timeout=5) == {}  # the block request is surely in flight
        assert future.cancel("user pressed stop")
        assert seen.wait(5)
        assert got == {"id": future.request_id, "reason": "user pressed stop"}
        assert future.cancelled()
    finally:
        session.close()


def test_timeout_fails_the_call_and_tells_the_peer():
    seen = threading.Event()
    session, _ = new_session(on_notification=lambda m, p: seen.set() if m == "peer/cancelled" else None)
    try:
        with pytest.raises(RequestTimeout):
            session.call("block", timeout=0.2)
        assert seen.wait(5)
        assert session.call("echo", {"still": "alive"}, timeout=5) == {"still": "alive"}
    finally:
        session.close()


def test_close_fails_pending_calls_and_leaves_no_thread_or_child():
    before = {t.ident for t in threading.enumerate()}
    session, transport = new_session()
    future = session.request("block")
    session.call("echo", {}, timeout=5)
    session.close()
    with pytest.raises(ConnectionClosed):
        future.result(timeout=1)
    assert transport.process.poll() is not None
    left = [t.name for t in threading.enumerate() if t.ident not in before]
    assert left == []
    with pytest.raises(ConnectionClosed):
        session.call("echo", {})


def test_a_dead_server_fails_pending_calls_within_a_second_with_exit_code_and_stderr():
    session, transport = new_session(stderr=None)
    try:
        pending = session.request("block")
        session.call("echo", {}, timeout=5)
        started = time.monotonic()
        crash = session.request("crash")
        with pytest.raises(ConnectionClosed) as info:
            pending.result(timeout=5)
        assert time.monotonic() - started < 1.0
        assert info.value.exit_code == 3
        assert "crashing on purpose" in info.value.stderr_tail
        with pytest.raises(ConnectionClosed):
            crash.result(timeout=1)
        with pytest.raises(ConnectionClosed):
            session.call("echo", {})
    finally:
        session.close()


class NoFilenoStream(io.TextIOBase):
    """Like a notebook's sys.stderr: writable, but no real file descriptor."""

    def __init__(self):
        self.lines = []

    def write(self, text):
        self.lines.append(text)
        return len(text)

    def fileno(self):
        raise io.UnsupportedOperation("fileno")


def test_client_works_when_sys_stderr_has_no_fileno(monkeypatch):
    fake = NoFilenoStream()
    monkeypatch.setattr(sys, "stderr", fake)
    session, transport = new_session()
    try:
        session.call("stderr", {"text": "hello from the server"}, timeout=5)
        assert session.call("echo", {"a": 1}, timeout=5) == {"a": 1}
    finally:
        session.close()
    assert "hello from the server\n" in fake.lines


def test_error_response_from_peer_raises_mcp_error():
    session, _ = new_session()
    try:
        with pytest.raises(McpError) as info:
            session.call("fail", timeout=5)
        assert (info.value.code, info.value.message, info.value.data) == (-32099, "custom failure", {"detail": 1})
    finally:
        session.close()


def test_requests_in_flight_are_answered_when_the_client_closes_stdin():
    proc = spawn_raw()
    try:
        proc.stdin.write(b'{"jsonrpc":"2.0","id":1,"method":"echo","params":{"a":1}}\n'
                         b'{"jsonrpc":"2.0","id":2,"method":"fanout","params":{"n":1}}\n'
                         b'{"jsonrpc":"2.0","id":3,"method":"echo","params":{"a":3}}\n')
        proc.stdin.close()  # end of input right behind the requests
        messages = [json.loads(line) for line in proc.stdout.read().splitlines()]
        replies = {m["id"]: m for m in messages if "method" not in m}
        assert proc.wait(10) == 0
    finally:
        proc.stdout.close()
        proc.stderr.close()
    assert replies[1]["result"] == {"a": 1}
    assert replies[3]["result"] == {"a": 3}
    # the handler's own request back to the client can get no answer: it fails at once
    assert replies[2]["error"]["code"] == -32603
