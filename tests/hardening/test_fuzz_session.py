"""Fuzzing live sessions: random frames in, exactly the right answers out, and the session survives.

Two setups: a pair of Sessions over the memory transport (frames injected into
the server's inbox, the answers tapped on the client's side), and a real
subprocess (``tests.hardening.peer``) written to over its stdin pipe. After
every example a correct request must still be answered correctly; no
exception may escape a thread; after close no thread may be left.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from mcp_sync.errors import McpError
from mcp_sync.protocol import jsonrpc
from mcp_sync.session import Session
from mcp_sync.transports.memory import MemoryTransport
from tests.hardening.rawpeer import RawPeer
from tests.hardening.strategies import frames, fuzz_settings, safe_methods

WAIT = 20.0


# -- what the session must answer -------------------------------------------------------

def _outcomes_for_request(message: jsonrpc.Request) -> set[tuple]:
    if message.method == "ping":
        return {("result", "{}")}
    if message.method != "echo":
        return {("error", -32601)}
    params = message.params if message.params is not None else {}
    try:
        jsonrpc.encode(params)
    except ValueError:  # e.g. 1e999 parsed as infinity: the handler's result cannot be sent
        return {("error", -32603)}
    return {("result", json.dumps(params, sort_keys=True))}


def expected_answers(messages: list[Any]) -> tuple[list[tuple], int, int]:
    """(slots, single replies, batch replies) for a sequence of parsed frames.

    A slot is ``(id, allowed outcomes)``. A request id used more than once may
    meet its twin still in flight and get -32600 instead (timing decides).
    """
    slots: list[tuple] = []
    singles = batches = 0
    requests = []
    for message in messages:
        items = message.items if type(message) is jsonrpc.Batch else [message]
        answered = 0
        for item in items:
            if type(item) is jsonrpc.Notification:
                assume(item.method != "notifications/cancelled")  # would make answers timing-dependent
            if type(item) is jsonrpc.Invalid and item.answer:
                slots.append((item.id, {("error", item.error["code"])}))
                answered += 1
            elif type(item) is jsonrpc.Request:
                slots.append((item.id, _outcomes_for_request(item)))
                requests.append(item.id)
                answered += 1
        if type(message) is jsonrpc.Batch:
            batches += answered > 0
        else:
            singles += answered
    twice = {json.dumps(i) for i in requests if requests.count(i) > 1}
    slots = [(id_, allowed | {("error", -32600)} if json.dumps(id_) in twice else allowed) for id_, allowed in slots]
    return slots, singles, batches


def check_answers(slots: list[tuple], singles: int, batches: int, replies: list[Any]) -> None:
    assert sum(1 for r in replies if isinstance(r, dict)) == singles, replies
    assert sum(1 for r in replies if isinstance(r, list)) == batches, replies
    items = [item for r in replies for item in (r if isinstance(r, list) else [r])]
    got: dict[str, list[tuple]] = {}
    for item in items:
        assert item.get("jsonrpc") == "2.0", item
        if "error" in item:
            assert "result" not in item and isinstance(item["error"]["message"], str), item
            outcome = ("error", item["error"]["code"])
        else:
            outcome = ("result", json.dumps(item["result"], sort_keys=True))
        got.setdefault(json.dumps(item.get("id")), []).append(outcome)
    want: dict[str, list[set]] = {}
    for id_, allowed in slots:
        want.setdefault(json.dumps(id_), []).append(allowed)
    assert sorted(got) == sorted(want), (got, want)
    for key, outcomes in got.items():
        options = want[key]
        assert len(outcomes) == len(options), (key, outcomes, options)
        assert any(all(o in a for o, a in zip(outcomes, perm)) for perm in itertools.permutations(options)), (
            key, outcomes, options)


# -- watching threads and logs ----------------------------------------------------------

class Watch(logging.Handler):
    """Collects what must never happen: thread exceptions and engine error logs that lose answers."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.problems: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "reader thread failed" in message or "dropping a message" in message:
            self.problems.append(message)

    def excepthook(self, args: Any) -> None:
        self.problems.append(f"exception in thread {args.thread.name}: {args.exc_type.__name__}: {args.exc_value}")


@pytest.fixture
def watch(monkeypatch):
    watch = Watch()
    logger = logging.getLogger("mcp_sync")
    logger.addHandler(watch)
    monkeypatch.setattr(threading, "excepthook", watch.excepthook)
    before = set(threading.enumerate())
    yield watch
    logger.removeHandler(watch)
    assert not watch.problems
    left = [t.name for t in threading.enumerate() if t not in before]
    assert not left, left


# -- over the memory transport ----------------------------------------------------------

class TapTransport(MemoryTransport):
    """A client end that records every frame it receives and can inject raw frames to its peer."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []
        self.cond = threading.Condition()

    def receive(self):
        frame = super().receive()
        if frame is not None:
            with self.cond:
                self.seen.append(frame)
                self.cond.notify_all()
        return frame

    def inject(self, frame: str) -> None:
        assert self._peer is not None
        self._peer._deliver(frame)

    def wait_for(self, count: int) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.seen) >= count, WAIT), (count, self.seen[-5:])


def echo(request):
    if request.method == "echo":
        return request.params
    raise McpError(-32601, f"Method not found: {request.method}")


def test_memory_session_pair_survives_random_frames(watch):
    tap = TapTransport()
    server_end = MemoryTransport()
    tap._peer, server_end._peer = server_end, tap
    server = Session(server_end, on_request=echo, name="fuzz-server").start()
    client = Session(tap, on_request=lambda r: r.params, name="fuzz-client").start()
    counter = itertools.count()

    @fuzz_settings(200)
    @given(st.lists(frames(safe_methods), min_size=1, max_size=4))
    def run(raw_frames):
        texts = [raw.decode("utf-8", "surrogateescape") for raw in raw_frames]  # str frames may hold surrogates
        slots, singles, batches = expected_answers([jsonrpc.parse(t) for t in texts])
        start = len(tap.seen)
        for text in texts:
            tap.inject(text)
        tap.wait_for(start + singles + batches)
        check_answers(slots, singles, batches, [json.loads(f) for f in tap.seen[start:]])
        n = next(counter)
        assert client.call("echo", {"n": n}, timeout=WAIT) == {"n": n}
        assert server.call("client/echo", {"n": n}, timeout=WAIT) == {"n": n}
        assert len(tap.seen) == start + singles + batches + 2  # nothing else was sent
        assert server.close_error is None and client.close_error is None

    try:
        run()
    finally:
        client.close()
        server.close()


# -- over a real subprocess pipe --------------------------------------------------------

@pytest.fixture
def peer():
    peer = RawPeer()
    yield peer
    assert peer.close() == 0, peer.stderr()
    assert not peer.bugs(), peer.stderr()


def _lines(payload: bytes) -> list[bytes]:
    """The frames the stdio framing makes of ``payload`` (blank lines are skipped)."""
    return [line + b"\n" for line in payload.split(b"\n") if (line + b"\n").strip()]


def test_subprocess_session_survives_random_frames(peer):
    @fuzz_settings(200)
    @given(st.lists(frames(safe_methods), min_size=1, max_size=4))
    def run(raw_frames):
        payload = b"\n".join(raw_frames)
        slots, singles, batches = expected_answers([jsonrpc.parse(line) for line in _lines(payload)])
        replies = peer.exchange(payload, singles + batches)
        check_answers(slots, singles, batches, replies)
        assert not peer.bugs(), peer.stderr()

    run()


def test_no_thread_is_left_after_closing_a_fuzzed_memory_pair(watch):
    # the watch fixture checks the threads; this drives the pair through garbage first
    a, b = MemoryTransport.pair()
    server = Session(a, on_request=echo, name="leak-server").start()
    client = Session(b, on_request=echo, name="leak-client").start()
    try:
        for frame in ['{"jsonrpc":"2.0","id":"\\ud800","method":"ping"}', "[" * 10_000, "\x00", "[]", "[1]",
                      '{"jsonrpc":"2.0","id":"inf","method":"echo","params":{"x":1e999}}']:
            b._peer._deliver(frame)  # type: ignore[union-attr]
        assert client.call("echo", {"ok": True}, timeout=WAIT) == {"ok": True}
        assert server.call("echo", {"ok": 2}, timeout=WAIT) == {"ok": 2}
    finally:
        client.close()
        server.close()
