"""A 2026-07-28 tool that asks for input is resumed by the retry; when it cannot be, it is re-run.

Raw modern requests over HTTP (the ``requestState`` handling is the server's;
the client's side is in ``test_client.py``): the resumed run, the fallback to
re-running with the sealed answers when the retry reaches another worker, the
bound on parked tools and their release when the server closes.
"""

from __future__ import annotations

import threading

import pytest

from mcp_sync import Context, Server
from tests.modern_server.support import HttpPeer

SECRET = "parity-continuation-secret-0123456789"
GO = {"type": "object", "properties": {"go": {"type": "boolean"}}}
YES = {"action": "accept", "content": {"go": True}}


def worker(**options) -> Server:
    server = Server("continued", request_state_secret=SECRET, **options)
    server.starts = []  # type: ignore[attr-defined]

    @server.tool()
    def two_questions(ctx: Context, key: str) -> str:
        """Asks twice; records each start."""
        server.starts.append(key)  # type: ignore[attr-defined]
        first = ctx.elicit("First?", GO, key="first")
        second = ctx.elicit("Second?", GO, key="second")
        return f"{first.action}/{second.action} thread={threading.current_thread().name.split('-')[2]}"

    return server


@pytest.fixture
def workers():
    started = []

    def start(**options):
        server = worker(**options)
        handle = server.start_http(port=0)
        peer = HttpPeer(handle.url)
        started.append((server, handle, peer))
        return server, peer

    yield start
    for server, handle, peer in started:
        peer.close()
        handle.stop()
        server.close()
    assert [t.name for t in threading.enumerate() if t.name.startswith("mcp-server-continuation")] == []


def call(peer, key, answers=None, state=None):
    params = {"name": "two_questions", "arguments": {"key": key}}
    if answers is not None:
        params["inputResponses"] = answers
    if state is not None:
        params["requestState"] = state
    return peer.post("tools/call", params).result


def test_resumed_across_rounds(workers):
    server, peer = workers()
    first = call(peer, "a")
    assert first["resultType"] == "input_required" and list(first["inputRequests"]) == ["first"]
    second = call(peer, "a", {"first": YES}, first["requestState"])
    assert list(second["inputRequests"]) == ["second"]
    final = call(peer, "a", {"second": YES}, second["requestState"])
    assert final["content"][0]["text"] == "accept/accept thread=continuation"
    assert server.starts == ["a"]  # one run


def test_a_retry_on_another_worker_reruns_with_the_sealed_answers(workers):
    one, peer_one = workers()
    two, peer_two = workers()
    first = call(peer_one, "b")
    second = call(peer_two, "b", {"first": YES}, first["requestState"])  # worker two: no continuation there
    assert list(second["inputRequests"]) == ["second"]
    final = call(peer_one, "b", {"second": YES}, second["requestState"])  # worker one: its parked run is stale
    assert final["content"][0]["text"] == "accept/accept thread=continuation"
    assert (one.starts, two.starts) == (["b", "b"], ["b"])  # re-run where the continuation was missing
    # worker one's first run is still parked at "first": closing the server releases it (fixture checks)


def test_a_second_retry_with_the_same_state_reruns(workers):
    server, peer = workers()
    first = call(peer, "c")
    assert call(peer, "c", {"first": YES}, first["requestState"])["inputRequests"].keys() == {"second"}
    again = call(peer, "c", {"first": YES}, first["requestState"])  # the continuation was claimed already
    assert again["inputRequests"].keys() == {"second"}
    assert server.starts == ["c", "c"]


def test_parked_tools_are_bounded(workers):
    server, peer = workers()
    server._modern.continuations.max_parked = 1  # noqa: SLF001 (the bound, made small for the test)
    first = call(peer, "d1")
    other = call(peer, "d2")  # no room to park: its round ends the old way, the tool unwinds
    assert other["resultType"] == "input_required"
    final = call(peer, "d2", {"first": YES}, other["requestState"])
    final = call(peer, "d2", {"second": YES}, final["requestState"])
    assert final["content"][0]["text"].startswith("accept/accept")
    assert server.starts.count("d2") == 3  # re-run on each retry (the bound stayed full)
    resumed = call(peer, "d1", {"first": YES}, first["requestState"])
    assert list(resumed["inputRequests"]) == ["second"] and server.starts.count("d1") == 1


def test_closing_the_server_releases_parked_tools(workers):
    server, peer = workers()
    call(peer, "e")
    assert [t for t in threading.enumerate() if t.name.startswith("mcp-server-continuation")]
    server.close()
    assert [t.name for t in threading.enumerate() if t.name.startswith("mcp-server-continuation")] == []


def test_a_parked_tool_whose_retry_never_comes_is_abandoned(workers):
    server, peer = workers()
    server._modern.continuations.park_timeout = 0.2  # noqa: SLF001 (made short for the test)
    first = call(peer, "f")
    [parked] = [t for t in threading.enumerate() if t.name.startswith("mcp-server-continuation")]
    parked.join(10)
    assert not parked.is_alive()  # unwound with Abandoned after park_timeout
    again = call(peer, "f", {"first": YES}, first["requestState"])  # too late: re-run with the sealed answer
    assert list(again["inputRequests"]) == ["second"] and server.starts == ["f", "f"]
    call(peer, "f", {"second": YES}, again["requestState"])
