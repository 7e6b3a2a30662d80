"""RedisEventStore (mcp_sync.http.shared_sessions): SSE events kept in Redis so any worker resumes a stream."""

from __future__ import annotations

import json
import secrets
import threading

import pytest

from mcp_sync.http.shared_sessions import (
    RedisEventStore,
    response_ends_stream,
    shared_stream_id,
    stream_of_session,
)


@pytest.fixture
def events(redis_client):
    return RedisEventStore(redis_client, prefix="ev-test:" + secrets.token_hex(4), ttl_s=60, max_events=5)


def _note(n: int) -> str:
    return json.dumps({"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progress": n}})


RESPONSE = json.dumps({"jsonrpc": "2.0", "id": 1, "result": {}})


def test_events_after_sorts_and_detects_trimming(events, redis_client):
    for seq in (2, 1, 3):  # stored out of order (two producing threads)
        events.store_event("s1", seq, _note(seq))
    assert events.events_after("s1", 1) == [(2, _note(2)), (3, _note(3))]
    assert events.events_after("never", 0) == [] and not events.known("never") and events.known("s1")
    assert 0 < redis_client.pttl(events._key("s1")) <= 60_000  # expires with the session
    for seq in range(4, 9):  # max_events=5: 1..3 are trimmed
        events.store_event("s1", seq, _note(seq))
    assert events.events_after("s1", 1) is None  # 2 is gone: the replay would have a hole
    assert [s for s, _ in events.events_after("s1", 3)] == [4, 5, 6, 7, 8]
    events.forget_stream("s1")
    assert events.events_after("s1", 0) == [] and not events.known("s1")


def test_follow_replays_then_blocks_for_new_events_in_order_until_the_response(events):
    events.store_event("r1", 1, _note(1))
    events.store_event("r1", 3, _note(3))  # 2 is late: 3 waits for it
    follower = events.follow("r1", 0, is_final=response_ends_stream, block_s=0.2, alive=lambda: True)
    got: list = []
    ticks = threading.Event()
    done = threading.Event()

    def run() -> None:
        for item in follower:
            if item is None:
                ticks.set()  # nothing new: the caller writes a keep-alive
            else:
                got.append(item[0])
        done.set()

    thread = threading.Thread(target=run, name="test-follow")
    thread.start()
    try:
        assert ticks.wait(10)
        assert got == [1]
        events.store_event("r1", 2, _note(2))
        events.store_event("r1", 4, RESPONSE)
        events.store_event("r1", 5, _note(5))  # after the response: never delivered
        assert done.wait(10)
    finally:
        thread.join(10)
    assert got == [1, 2, 3, 4]


def test_follow_stops_when_the_session_ends(events):
    alive = threading.Event()
    alive.set()
    follower = events.follow("r2", 0, is_final=response_ends_stream, block_s=0.05, alive=alive.is_set)
    assert next(follower) is None
    alive.clear()
    assert list(follower) == []


def test_stream_ids_are_bound_to_their_session():
    one, two = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    request, listen = shared_stream_id(one, "request"), shared_stream_id(one, "standalone")
    assert request[0] == "r" and listen[0] == "g" and request != shared_stream_id(one, "request")
    assert stream_of_session(one, request) and stream_of_session(one, listen)
    assert not stream_of_session(two, request)
    assert not stream_of_session(one, request[:-1] + ("0" if request[-1] != "0" else "1"))
    assert not stream_of_session(one, "r" + "0" * 32) and not stream_of_session(one, "x" + request[1:])


def test_response_ends_stream():
    assert response_ends_stream(RESPONSE) and response_ends_stream("[]")
    assert not response_ends_stream(_note(1)) and not response_ends_stream("not json")
