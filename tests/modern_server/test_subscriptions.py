"""subscriptions/listen: acknowledgement first, tagged notifications, filters, the end of a subscription."""

from __future__ import annotations

import json
import threading

from tests.modern_server.support import SERVER_INFO, SUB_ID, meta, next_id


def open_http(peer, notifications, id=None):
    stream = peer.stream("subscriptions/listen", {"notifications": notifications}, id=id)
    assert stream.status == 200 and stream.headers["content-type"].startswith("text/event-stream")
    assert stream.headers["x-accel-buffering"] == "no"
    return stream


def test_http_listen_acknowledges_then_forwards_tagged_changes(http_server):
    peer = http_server.peer
    tools = open_http(peer, {"toolsListChanged": True, "promptsListChanged": False,
                             "resourceSubscriptions": ["test://watched"]}, id="sub-1")
    ack = tools.next()
    assert ack["method"] == "notifications/subscriptions/acknowledged"
    assert ack["params"] == {"notifications": {"toolsListChanged": True,
                                               "resourceSubscriptions": ["test://watched"]},
                             "_meta": {SUB_ID: "sub-1"}}
    prompts = open_http(peer, {"promptsListChanged": True}, id=2)
    assert prompts.next()["params"]["_meta"] == {SUB_ID: 2}

    # changes made through other requests reach the listeners that asked for them
    assert peer.post("tools/call", {"name": "toggle_tool", "arguments": {}}).text() == "added"
    assert tools.next() == {"jsonrpc": "2.0", "method": "notifications/tools/list_changed",
                            "params": {"_meta": {SUB_ID: "sub-1"}}}
    touched = peer.post("tools/call", {"name": "touch", "arguments": {"uri": "test://static"}})
    assert touched.result["structuredContent"] == {"result": 0}  # nobody subscribed to that one
    touched = peer.post("tools/call", {"name": "touch", "arguments": {"uri": "test://watched"}})
    assert touched.result["structuredContent"] == {"result": 1}
    assert tools.next()["params"] == {"uri": "test://watched", "_meta": {SUB_ID: "sub-1"}}
    assert peer.post("tools/call", {"name": "toggle_prompt", "arguments": {}}).text() == "added"
    # the prompts listener got the prompt change and nothing about tools
    assert prompts.next() == {"jsonrpc": "2.0", "method": "notifications/prompts/list_changed",
                              "params": {"_meta": {SUB_ID: 2}}}
    assert json.loads(peer.post("tools/call", {"name": "probe", "arguments": {}}).text())["subscriptions"] == 2
    tools.close()
    prompts.close()


def test_http_closing_the_stream_ends_the_subscription(make_http_server):
    running = make_http_server(keepalive=0.05)  # the server notices a closed stream on its next write
    dispatcher = running.server._modern
    closed = threading.Event()
    forget = dispatcher.close_subscription

    def spy(subscription):
        forget(subscription)
        closed.set()

    dispatcher.close_subscription = spy
    stream = open_http(running.peer, {"toolsListChanged": True})
    stream.next()
    assert len(dispatcher.subscriptions()) == 1
    stream.close()
    assert closed.wait(10)
    assert dispatcher.subscriptions() == []
    assert running.peer.post("tools/call", {"name": "toggle_tool", "arguments": {}}).text() == "added"


def test_http_server_shutdown_ends_listen_streams_with_their_result(make_http_server):
    running = make_http_server()
    stream = open_http(running.peer, {"toolsListChanged": True}, id="bye")
    stream.next()
    running.handle.app._modern_http.close()
    final = stream.next()
    assert final["id"] == "bye" and final["result"]["resultType"] == "complete"
    assert final["result"]["_meta"][SUB_ID] == "bye" and SERVER_INFO in final["result"]["_meta"]
    stream.close()


def test_unhonoured_filters_are_not_acknowledged(make_http_server):
    running = make_http_server(server_options={"capabilities": {"resources": {"subscribe": False}}})
    stream = open_http(running.peer, {"toolsListChanged": True, "resourcesListChanged": True,
                                      "resourceSubscriptions": ["test://watched"], "taskIds": ["t"]})
    ack = stream.next()
    assert ack["params"]["notifications"] == {"toolsListChanged": True, "resourcesListChanged": True}
    stream.close()


def test_listen_needs_a_filter(wire):
    reply = wire.request("subscriptions/listen", {})
    wire.status(reply, 200)
    assert reply.error["code"] == -32602
    bad = wire.request("subscriptions/listen", {"notifications": {"resourceSubscriptions": "test://watched"}})
    assert bad.error["code"] == -32602


def test_stdio_subscriptions_are_demultiplexed_and_cancelled(stdio_peer):
    a, b = next_id(), next_id()
    for listen_id, filters in ((a, {"toolsListChanged": True}), (b, {"toolsListChanged": True,
                                                                     "promptsListChanged": True})):
        stdio_peer.send({"jsonrpc": "2.0", "id": listen_id, "method": "subscriptions/listen",
                         "params": {"notifications": filters, "_meta": meta()}})
    # acknowledgements arrive (in either order) before anything else for each subscription
    acks = {}
    while len(acks) < 2:
        message = stdio_peer.receive()
        assert message["method"] == "notifications/subscriptions/acknowledged"
        acks[message["params"]["_meta"][SUB_ID]] = message["params"]["notifications"]
    assert acks == {a: {"toolsListChanged": True}, b: {"toolsListChanged": True, "promptsListChanged": True}}

    reply = stdio_peer.request("tools/call", {"name": "toggle_tool", "arguments": {}})
    assert reply.notifications == []  # list changes are not part of the call's own traffic
    stdio_peer.request("tools/call", {"name": "toggle_prompt", "arguments": {}})
    stdio_peer.await_subscription(a, 1)
    stdio_peer.await_subscription(b, 2)
    assert [m["method"] for m in stdio_peer.subscriptions[a]] == ["notifications/tools/list_changed"]
    assert sorted(m["method"] for m in stdio_peer.subscriptions[b]) == ["notifications/prompts/list_changed",
                                                                        "notifications/tools/list_changed"]
    assert all(m["params"]["_meta"] == {SUB_ID: b} for m in stdio_peer.subscriptions[b])

    # cancel a: it hears nothing more and gets no response (collect() fails on a stray one); b goes on.
    # The cancel is read before the next request, so a's end is queued before any later change.
    stdio_peer.send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": a}})
    stdio_peer.request("tools/call", {"name": "toggle_tool", "arguments": {}})
    stdio_peer.await_subscription(b, 3)
    stdio_peer.request("tools/list")
    assert len(stdio_peer.subscriptions[a]) == 1
    assert len(stdio_peer.subscriptions[b]) == 3


def test_stdio_open_subscription_does_not_hold_the_exit(stdio_peer):
    """At stdin EOF an open listen ends at once: the process exits without waiting for the drain timeout."""
    import time

    stdio_peer.send({"jsonrpc": "2.0", "id": 1, "method": "subscriptions/listen",
                     "params": {"notifications": {"toolsListChanged": True}, "_meta": meta()}})
    assert stdio_peer.receive()["method"] == "notifications/subscriptions/acknowledged"
    started = time.monotonic()
    assert stdio_peer.close() == 0
    assert time.monotonic() - started < 3.0  # the engine's drain timeout is 5 s
