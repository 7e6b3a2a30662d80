"""An event store that fails for a while (Redis down, say): no stream slot or request id leaks, the log stays short.

The store below raises from every method while ``down`` is set. Streamed calls
made during the outage are answered (their events are simply not stored) or
refused with a clear JSON-RPC error, never a bare 500; either way they give back
their stream slot and their request id, so calls after the store recovers are
served: no 429 "Too many streams", no 409, no 503. The outage is reported in a
bounded number of log lines: one WARNING that events are not being stored, one
when storing recovers, and summaries in between.
"""

from __future__ import annotations

import logging
import threading

import pytest

from mcp_sync.http import InMemoryEventStore
from mcp_sync.http.store_guard import GuardedEventStore
from mcp_sync.http.streams import KEPT_FINISHED_STREAMS
from tests.hardening.test_http_support import LogTrap, no_sdk_threads_left, served, wait_until  # noqa: F401
from tests.http.raw import RawSession, SseReader, is_response

pytestmark = pytest.mark.usefixtures("no_sdk_threads_left")

OUTAGE_CALLS = 12


class FlakyStore(InMemoryEventStore):
    """An in-memory event store whose every method raises while ``down`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.down = threading.Event()
        self.raised = 0

    def _check(self) -> None:
        if self.down.is_set():
            self.raised += 1
            raise ConnectionError("the event store is down")

    def store_event(self, stream_id: str, seq: int, data: str) -> None:
        self._check()
        super().store_event(stream_id, seq, data)

    def events_after(self, stream_id: str, seq: int):
        self._check()
        return super().events_after(stream_id, seq)

    def forget_stream(self, stream_id: str) -> None:
        self._check()
        super().forget_stream(stream_id)


def echo(session: RawSession, value: int) -> tuple[int, dict | None]:
    """A streamed echo call: (HTTP status, the JSON-RPC answer or None)."""
    rid, response = session.call_tool("echo", {"n": value})
    if response.headers.get("Content-Type", "").startswith("text/event-stream"):
        answer = SseReader(response).until(is_response(rid))[-1]
        response.close()
        return response.status_code, answer
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, None


def check_outage_answer(status: int, answer: dict | None) -> None:
    """Answered, or refused with a clear JSON-RPC error (never a bare 500 nor a 'too many' refusal)."""
    assert answer is not None, f"HTTP {status} without a JSON-RPC answer"
    if status == 200 and "result" in answer:
        return
    assert status not in (409, 429, 503), answer
    assert "error" in answer and answer["error"]["message"], answer


def fill_finished_streams(session: RawSession) -> None:
    """Past KEPT_FINISHED_STREAMS finished streams, every new stream makes the session forget an old one."""
    for n in range(KEPT_FINISHED_STREAMS + 2):
        status, answer = echo(session, n)
        assert status == 200 and answer["result"]["content"][0]["text"] == f'{{"n": {n}}}', answer


def test_an_outage_returns_every_slot_and_id_of_its_session(served):
    store = FlakyStore()
    s = served(event_store=store, max_streams_per_session=10)
    with RawSession(s.url) as session, LogTrap(["mcp_sync"], logging.WARNING) as trap:
        fill_finished_streams(session)
        store.down.set()
        outage_ids = []
        for n in range(OUTAGE_CALLS):  # more than the session's 10 slots
            check_outage_answer(*echo(session, 1000 + n))
            outage_ids.append(session._ids)
        assert store.raised >= OUTAGE_CALLS  # the store really failed, under every call
        wait_until(lambda: s.app.streams.open == 0)
        store.down.clear()
        for n in range(OUTAGE_CALLS):
            status, answer = echo(session, 2000 + n)
            assert status == 200 and answer["result"]["content"][0]["text"] == f'{{"n": {2000 + n}}}', answer
        # a request id used during the outage is free again (no 409)
        rid, response = session.call_tool("echo", {"again": True}, request_id=outage_ids[-1])
        assert response.status_code == 200
        assert SseReader(response).until(is_response(rid))[-1]["result"]["content"][0]["text"] == '{"again": true}'
        response.close()
        assert s.app.stream_store.healthy
        records = [r for r in trap.snapshot() if r.name.startswith("mcp_sync")]
    texts = [r.getMessage() for r in records]
    assert sum("NOT being stored" in t for t in texts) == 1, texts
    assert sum("recovered" in t for t in texts) == 1, texts
    assert len(records) <= 4, texts  # dozens of failures, a bounded report
    assert sum(r.exc_info is not None for r in records) <= 1  # one traceback, not one per push


def test_an_outage_returns_every_slot_of_the_server(served):
    store = FlakyStore()
    s = served(event_store=store, max_streams=10, max_streams_per_session=None)
    with RawSession(s.url) as session:
        fill_finished_streams(session)
        store.down.set()
        for n in range(OUTAGE_CALLS):  # more than the server's 10 slots
            check_outage_answer(*echo(session, 1000 + n))
        wait_until(lambda: s.app.streams.open == 0)
        store.down.clear()
        with RawSession(s.url) as fresh:  # another session: the server-wide budget is whole again
            for n in range(OUTAGE_CALLS):
                status, answer = echo(fresh, 3000 + n)
                assert status == 200 and answer["result"]["content"][0]["text"] == f'{{"n": {3000 + n}}}', answer
        status, answer = echo(session, 4000)
        assert status == 200 and "result" in answer


def test_a_resume_during_the_outage_falls_back_to_memory(served):
    """events_after failing is 'cannot tell': the stream resumes from what the server still holds."""
    store = FlakyStore()
    s = served(event_store=store)
    with RawSession(s.url) as session, LogTrap(["mcp_sync"], logging.WARNING):
        listener = session.get()
        assert listener.status_code == 200
        reader = SseReader(listener)
        reader.next()  # the priming event
        primed = reader.last_event_id
        listener.close()
        wait_until(lambda: s.app.streams.open == 0)
        store.down.set()
        resumed = session.get(last_event_id=primed)
        assert resumed.status_code == 200
        resumed.close()
        wait_until(lambda: s.app.streams.open == 0)
        store.down.clear()


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_the_guard_summarises_a_long_outage():
    logger = logging.getLogger("test.store_guard")
    handler = _Records()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        store = FlakyStore()
        guard = GuardedEventStore(store, summary_interval=1.0, logger=logger)
        guard.store_event("s", 1, "a")
        assert guard.healthy and not handler.records
        store.down.set()
        stop = threading.Event()
        for n in range(2, 2000):  # far more failures than lines
            guard.store_event("s", n, "x")
            assert guard.events_after("s", 0) is None
            guard.forget_stream("other")
            if n == 1000:
                stop.wait(1.1)  # let a summary window pass
        assert not guard.healthy and guard.failures == 3 * 1998
        store.down.clear()
        assert guard.events_after("s", 0) == [(1, "a")]
        assert guard.healthy
    finally:
        logger.removeHandler(handler)
    texts = [r.getMessage() for r in handler.records]
    assert all(r.levelno == logging.WARNING for r in handler.records)
    assert "NOT being stored" in texts[0] and handler.records[0].exc_info is not None
    assert "recovered" in texts[-1] and "5994 operations failed" in texts[-1]
    assert 3 <= len(texts) <= 4, texts  # first failure, one summary (at most two), recovery
    assert "still failing" in texts[1]
    assert GuardedEventStore(guard).inner is store  # never wrapped twice
    with pytest.raises(ValueError):
        GuardedEventStore(store, summary_interval=0)


def test_events_the_store_lost_are_resumed_from_memory():
    """Pushed while the store was down, then the store recovered without them: the backlog still has them."""
    from mcp_sync.http.streams import Stream

    store = FlakyStore()
    guard = GuardedEventStore(store, logger=logging.getLogger("test.store_guard.quiet"))
    stream = Stream("s1", kind="request", store=guard)
    first = stream.attach()
    assert first is not None
    assert stream.push('{"n": 1}', False)
    assert stream.close_connection(retry_ms=100)  # the server lets the client go: it will resume
    store.down.set()
    assert stream.push('{"n": 2}', False) and stream.push('{"n": 3}', True)
    store.down.clear()  # back, but events 2 and 3 were never stored
    assert store.events_after("s1", 1) == []
    resumed = stream.attach(resume_after=1)
    assert resumed is not None
    assert [(item.seq, item.data, item.final) for item in resumed.initial] == [(2, '{"n": 2}', False),
                                                                               (3, '{"n": 3}', True)]
    assert resumed.end_after_initial
