"""Each limit of :class:`mcp_sync.limits.Limits`: hit it, see the documented error, keep using the session."""

from __future__ import annotations

import json
import os
import threading

import pytest

from mcp_sync.errors import McpError
from mcp_sync.limits import (
    DEFAULT_LIMITS,
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_MAX_MESSAGE_SIZE,
    SERVER_BUSY,
    Limits,
)
from mcp_sync.session import Session
from mcp_sync.transports.memory import MemoryTransport
from mcp_sync.transports.stream import DEFAULT_MAX_LINE, StreamTransport
from tests.hardening.rawpeer import RawPeer
from tests.hardening.strategies import nested

WAIT = 20.0
HERE = os.path.dirname(os.path.abspath(__file__))


def line(message: dict) -> bytes:
    return json.dumps(message).encode() + b"\n"


def request(id_, method="echo", params=None) -> bytes:
    message = {"jsonrpc": "2.0", "id": id_, "method": method}
    if params is not None:
        message["params"] = params
    return line(message)


@pytest.fixture
def spawn():
    peers = []

    def spawn(**env):
        peers.append(RawPeer(**{k: str(v) for k, v in env.items()}))
        return peers[-1]

    yield spawn
    for peer in peers:
        assert peer.close() == 0, peer.stderr()
        assert not peer.bugs(), peer.stderr()


# -- the values --------------------------------------------------------------------

def test_defaults_are_documented_values():
    assert Limits() == DEFAULT_LIMITS
    assert (DEFAULT_LIMITS.max_message_size, DEFAULT_LIMITS.max_depth, DEFAULT_LIMITS.max_in_flight) == (
        16 * 1024 * 1024, 64, 4096)
    assert DEFAULT_MAX_LINE == DEFAULT_MAX_MESSAGE_SIZE  # stdio's default comes from Limits
    assert (DEFAULT_MAX_DEPTH, DEFAULT_MAX_IN_FLIGHT, SERVER_BUSY) == (64, 4096, -32000)


@pytest.mark.parametrize("field", ["max_message_size", "max_depth", "max_in_flight"])
@pytest.mark.parametrize("bad", [0, -1, 1.5, "10", None, True])
def test_limits_must_be_positive_integers(field, bad):
    with pytest.raises(ValueError, match=f"Limits.{field} must be a positive integer"):
        Limits(**{field: bad})


def test_the_limits_table_matches_the_code():
    with open(os.path.join(HERE, "..", "..", "README.rst"), encoding="utf-8") as f:
        table = f.read()
    for text in ("max_message_size", "16 MiB", "-32600", "max_depth", "64", "-32700", "max_in_flight",
                 "4096", "-32000"):
        assert text in table


# -- max_message_size -----------------------------------------------------------------

def test_message_size_limit_over_stdio(spawn):
    peer = spawn(HARDENING_MAX_MESSAGE_SIZE=1024)
    head, tail = b'{"jsonrpc":"2.0","id":1,"method":"echo","params":{"x":"', b'"}}'
    exact = head + b"a" * (1024 - len(head) - len(tail)) + tail
    assert len(exact) == 1024
    [reply] = peer.exchange(exact, 1)  # at the limit: fine
    assert reply["result"] == {"x": "a" * (1024 - len(head) - len(tail))}
    [reply] = peer.exchange(head + b"a" * (1025 - len(head) - len(tail)) + tail, 1)  # one byte over
    assert reply == {"jsonrpc": "2.0", "id": None, "error": {
        "code": -32600, "message": "Invalid request: message too large (the limit is 1024 bytes)"}}
    [reply] = peer.exchange(head + b"a" * 200_000 + tail, 1)  # far over: skipped without buffering it
    assert reply["error"]["code"] == -32600
    assert peer.exchange(request(2, params={"still": "ok"}).rstrip(b"\n"), 1) == [
        {"jsonrpc": "2.0", "id": 2, "result": {"still": "ok"}}]


def test_stream_transport_takes_the_limit_from_limits():
    r, w = os.pipe()
    with open(r, "rb") as reader, open(w, "wb") as writer:
        transport = StreamTransport(reader, writer, limits=Limits(max_message_size=10))
        assert transport.max_message_size == 10
        assert StreamTransport(reader, writer).max_message_size == DEFAULT_MAX_MESSAGE_SIZE
        assert StreamTransport(reader, writer, max_line=5).max_message_size == 5


# -- max_depth -------------------------------------------------------------------------

def test_depth_limit_over_stdio(spawn):
    peer = spawn(HARDENING_MAX_DEPTH=8)
    ok = {"jsonrpc": "2.0", "id": 1, "method": "echo", "params": nested(7, kinds="oa")}  # 8 levels
    [reply] = peer.exchange(json.dumps(ok).encode(), 1)
    assert reply["result"] == ok["params"]
    deep = {"jsonrpc": "2.0", "id": 2, "method": "echo", "params": nested(8, kinds="ao")}  # 9 levels
    [reply] = peer.exchange(json.dumps(deep).encode(), 1)
    assert reply == {"jsonrpc": "2.0", "id": 2, "error": {
        "code": -32600, "message": "Invalid request: JSON nested too deeply (the limit is 8 levels)"}}
    [reply] = peer.exchange(b"[" * 100_000, 1)  # too deep to parse at all: no id to answer with
    assert reply == {"jsonrpc": "2.0", "id": None, "error": {
        "code": -32700, "message": "Parse error: JSON nested too deeply (the limit is 8 levels)"}}
    assert peer.exchange(json.dumps(ok).encode(), 1)[0]["id"] == 1


def test_depth_limit_fails_the_call_at_once_over_memory():
    a, b = MemoryTransport.pair()
    server = Session(a, on_request=lambda r: r.params, name="depth-server", limits=Limits(max_depth=10)).start()
    client = Session(b, on_request=lambda r: r.params, name="depth-client").start()
    try:
        with pytest.raises(McpError) as info:
            client.call("echo", {"x": nested(9)}, timeout=WAIT)  # 1 + 1 + 9 = 11 levels
        assert info.value.code == -32600
        assert "nested too deeply (the limit is 10 levels)" in info.value.message
        assert client.call("echo", {"x": nested(8)}, timeout=WAIT) == {"x": nested(8)}  # 10 levels
    finally:
        client.close()
        server.close()


# -- max_in_flight ---------------------------------------------------------------------

def test_in_flight_limit_over_memory():
    gate = threading.Event()

    def handler(request):
        if request.method == "block":
            gate.wait(WAIT)
        return {"method": request.method}

    a, b = MemoryTransport.pair()
    # one worker: one request running, two waiting in the queue, all three count
    server = Session(a, on_request=handler, name="busy-server", max_workers=1,
                     limits=Limits(max_in_flight=3)).start()
    client = Session(b, on_request=handler, name="busy-client").start()
    try:
        blocked = [client.request("block") for _ in range(3)]
        assert client.call("ping", timeout=WAIT) == {}  # the server's reader has taken all three
        assert server.in_flight() == 3
        with pytest.raises(McpError) as info:
            client.call("echo", timeout=WAIT)
        assert info.value.code == SERVER_BUSY == -32000
        assert info.value.message == ("Server busy: 3 requests are already in flight on this session "
                                      "(the receiver's Limits.max_in_flight); retry after some complete")
        assert client.call("ping", timeout=WAIT) == {}  # ping is not counted: liveness checks still pass
        gate.set()
        assert [f.result(WAIT) for f in blocked] == [{"method": "block"}] * 3
        assert client.call("echo", timeout=WAIT) == {"method": "echo"}
    finally:
        gate.set()
        client.close()
        server.close()


def test_in_flight_limit_over_stdio_including_batches(spawn):
    peer = spawn(HARDENING_MAX_IN_FLIGHT=2, HARDENING_WORKERS=4)
    # (talking directly: exchange()'s own echo would be refused while the peer is full)
    peer.send(request("b1", "block") + request("b2", "block") + request("p", "ping"))
    assert peer.reply() == {"jsonrpc": "2.0", "id": "p", "result": {}}  # the reader has taken both blocks
    peer.send(request("e1", params={}))
    reply = peer.reply()
    assert (reply["id"], reply["error"]["code"]) == ("e1", -32000)
    assert "Limits.max_in_flight" in reply["error"]["message"]
    peer.send(b'[{"jsonrpc":"2.0","id":"x1","method":"echo"},{"jsonrpc":"2.0","id":"x2","method":"echo"}]\n')
    reply = peer.reply()
    assert sorted((r["id"], r["error"]["code"]) for r in reply) == [("x1", -32000), ("x2", -32000)]
    peer.send(request("p2", "ping"))
    assert peer.reply() == {"jsonrpc": "2.0", "id": "p2", "result": {}}
    peer.send(line({"jsonrpc": "2.0", "method": "peer/release"}))
    released = sorted((peer.reply(), peer.reply()), key=lambda r: r["id"])
    assert released == [{"jsonrpc": "2.0", "id": b, "result": {"released": True}} for b in ("b1", "b2")]
    assert peer.exchange(request("e2", params={"n": 2}).rstrip(b"\n"), 1) == [
        {"jsonrpc": "2.0", "id": "e2", "result": {"n": 2}}]
