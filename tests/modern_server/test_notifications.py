"""Progress, logs and cancellation of modern requests: only on the request's own stream."""

from __future__ import annotations

from tests.modern_server.support import meta, next_id


def test_progress_goes_with_the_request(wire):
    reply = wire.request("tools/call", {"name": "progress", "arguments": {"steps": 3}},
                         meta_=meta(progressToken="p-1"))
    wire.status(reply, 200)
    assert [n["params"] for n in reply.notifications] == [
        {"progressToken": "p-1", "progress": i, "total": 3, "message": f"step {i}"} for i in (1, 2, 3)]
    assert reply.result["content"][0]["text"] == "progressed"
    if wire.kind == "http":
        assert reply.content_type.startswith("text/event-stream")
        assert reply.headers["x-accel-buffering"] == "no"


def test_no_progress_without_a_token(wire):
    reply = wire.request("tools/call", {"name": "progress", "arguments": {"steps": 2}})
    assert reply.notifications == []
    if wire.kind == "http":
        assert reply.content_type == "application/json"  # nothing was streamed: a plain JSON answer


def test_logs_only_with_a_log_level(wire):
    silent = wire.request("tools/call", {"name": "chatty", "arguments": {}})
    assert silent.notifications == [] and silent.result["content"][0]["text"] == "logged"
    everything = wire.request("tools/call", {"name": "chatty", "arguments": {}}, meta_=meta(level="debug"))
    assert [(n["method"], n["params"]["level"], n["params"]["data"]) for n in everything.notifications] == [
        ("notifications/message", "debug", "debug line"), ("notifications/message", "info", "info line"),
        ("notifications/message", "warning", "warning line")]
    warnings = wire.request("tools/call", {"name": "chatty", "arguments": {}}, meta_=meta(level="warning"))
    assert [n["params"]["level"] for n in warnings.notifications] == ["warning"]


def test_http_closing_the_stream_cancels_the_request(make_http_server):
    running = make_http_server(keepalive=0.05)  # the server notices a closed stream on its next write
    stream = running.peer.stream("tools/call", {"name": "wait_for_cancel", "arguments": {"tag": "http"}},
                                 meta_=meta(progressToken=1))
    assert stream.status == 200 and stream.headers["content-type"].startswith("text/event-stream")
    first = stream.next()
    assert first["method"] == "notifications/progress"
    assert running.server.started.wait(10)
    stream.close()  # the cancellation
    assert running.peer.post("tools/call", {"name": "await_cancelled", "arguments": {"tag": "http"}}
                             ).result["structuredContent"] == {"result": True}


def test_stdio_notifications_cancelled_cancels_the_request(stdio_peer):
    request_id = next_id()
    stdio_peer.send({"jsonrpc": "2.0", "id": request_id, "method": "tools/call",
                     "params": {"name": "wait_for_cancel", "arguments": {"tag": "stdio"},
                                "_meta": meta(progressToken="w")}})
    progress = stdio_peer.receive()
    assert progress["method"] == "notifications/progress" and progress["params"]["progressToken"] == "w"
    stdio_peer.send({"jsonrpc": "2.0", "method": "notifications/cancelled",
                     "params": {"requestId": request_id, "reason": "changed my mind"}})
    reply = stdio_peer.request("tools/call", {"name": "await_cancelled", "arguments": {"tag": "stdio"}})
    assert reply.result["structuredContent"] == {"result": True}
    # nothing more is sent for the cancelled request: the next message answers the next request
    assert stdio_peer.request("tools/list").response["id"] != request_id


def test_http_error_inside_a_tool_keeps_its_status(http_server):
    """-32021 raised by a tool after it started is still a plain 400 JSON answer (no stream committed)."""
    reply = http_server.peer.post("tools/call", {"name": "needs_elicitation", "arguments": {}},
                                  meta_=meta({}))
    assert reply.status == 400 and reply.content_type == "application/json"
    assert reply.error["code"] == -32021


def test_http_silent_handler_gets_a_committed_stream(make_http_server):
    running = make_http_server(keepalive=0.1)
    done = running.peer.post("tools/call", {"name": "slow_silence", "arguments": {"seconds": 0.4}})
    assert done.status == 200 and done.content_type.startswith("text/event-stream")
    assert done.result["content"][0]["text"] == "done"
    late = running.peer.post("tools/call", {"name": "fails_late", "arguments": {"seconds": 0.4}})
    assert late.status == 200 and late.error["code"] == -32602  # the stream was committed before the error


def test_http_json_response_mode_answers_plain_json(make_http_server):
    running = make_http_server(json_response=True)
    reply = running.peer.post("tools/call", {"name": "progress", "arguments": {"steps": 2}},
                              meta_=meta(progressToken=3))
    assert reply.content_type == "application/json" and reply.notifications == []
    assert reply.result["content"][0]["text"] == "progressed"
