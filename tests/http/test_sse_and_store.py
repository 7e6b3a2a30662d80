"""The SSE encoder/parser and the in-memory event store (no HTTP)."""

from __future__ import annotations

import threading

import pytest

from mcp_sync.http.event_store import InMemoryEventStore
from mcp_sync.http.sse import SseParser, encode_event


def parse_all(chunks):
    parser = SseParser()
    events = []
    for chunk in chunks:
        events.extend(parser.feed(chunk))
    events.extend(parser.finish())
    return parser, events


def test_encoded_events_parse_back():
    data = encode_event('{"a":1}', event_id="s-1", event="message") + encode_event("x\ny", event_id="s-2")
    _, events = parse_all([data])
    assert [(e.event, e.data, e.id) for e in events] == [("message", '{"a":1}', "s-1"), ("message", "x\ny", "s-2")]


def test_priming_event_sets_id_and_retry_and_dispatches_empty_data():
    parser, events = parse_all([encode_event("", event_id="s-0", retry_ms=1500)])
    assert [(e.data, e.id) for e in events] == [("", "s-0")]
    assert parser.last_event_id == "s-0" and parser.retry_ms == 1500


def test_id_and_retry_without_data_still_count():
    parser, events = parse_all([b"id: 7\nretry: 250\n\n"])
    assert events == []
    assert parser.last_event_id == "7" and parser.retry_ms == 250


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_every_line_ending_and_any_chunking(newline):
    raw = newline.join([b": comment", b"event: message", b"id: a-1", b"data: one", b"data: two", b"", b"data: x", b"",
                        b""])
    expected = [("message", "one\ntwo", "a-1"), ("message", "x", None)]
    for size in (1, 2, 3, 7, len(raw)):
        chunks = [raw[i:i + size] for i in range(0, len(raw), size)]
        parser, events = parse_all(chunks)
        assert [(e.event, e.data, e.id) for e in events] == expected, (newline, size)
        assert parser.last_event_id == "a-1"


def test_bom_bad_retry_and_nul_id_are_handled():
    parser, events = parse_all([b"\xef\xbb", b"\xbfid: ok\nretry: 12x\ndata: d\n\nid: bad\x00\ndata: e\n\n"])
    assert [e.data for e in events] == ["d", "e"]
    assert parser.last_event_id == "ok"  # the id with NUL is ignored
    assert parser.retry_ms is None


def test_incomplete_event_at_end_of_stream_is_dropped():
    _, events = parse_all([b"data: complete\n\ndata: cut"])
    assert [e.data for e in events] == ["complete"]


def test_store_replays_in_order_and_reports_holes():
    store = InMemoryEventStore(max_events=4)
    for seq in (2, 1, 3):  # stored out of order, as two sending threads may
        store.store_event("a", seq, f"a{seq}")
    store.store_event("b", 1, "b1")
    assert store.events_after("a", 0) == [(1, "a1"), (2, "a2"), (3, "a3")]
    assert store.events_after("a", 2) == [(3, "a3")]
    assert store.events_after("unknown", 0) == []
    store.store_event("b", 2, "b2")  # evicts a/2 (the oldest stored)
    assert store.events_after("a", 0) is None  # a hole: cannot replay from 0
    assert store.events_after("a", 2) == [(3, "a3")]
    store.forget_stream("b")
    assert store.events_after("b", 0) == []
    assert len(store) == 2


def test_store_is_bounded_under_concurrent_writers():
    store = InMemoryEventStore(max_events=100)

    def writer(name):
        for seq in range(1, 501):
            store.store_event(name, seq, "x")
        store.forget_stream(name) if name.endswith("0") else None

    threads = [threading.Thread(target=writer, args=(f"s{i}",), name=f"writer-{i}") for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store) <= 100
