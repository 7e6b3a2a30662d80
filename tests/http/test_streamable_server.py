"""The Streamable HTTP server (WSGI app), driven with raw HTTP under our server and werkzeug."""

from __future__ import annotations

import json
import re
import threading

import requests

from mcp_sync.http.session_manager import HttpSession
from tests.http.raw import INIT_PARAMS, RawSession, SseReader, is_response


def test_initialize_answers_json_and_issues_a_visible_ascii_session_id(serve):
    served = serve()
    with RawSession(served.url) as raw:
        assert raw.init_response.headers["Content-Type"] == "application/json"
        assert re.fullmatch(r"[\x21-\x7e]{16,}", raw.session_id)
        assert raw.init_response.json()["result"]["serverInfo"]["name"] == "http-test"
        assert [s.id for s in served.app.sessions()] == [raw.session_id]
        with RawSession(served.url) as other:
            assert other.session_id != raw.session_id


def test_failed_initialize_creates_no_session(serve):
    served = serve()
    with RawSession(served.url, initialize=False) as raw:
        response = raw.post({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": 5}})
        assert response.status_code == 200
        assert response.json()["error"]["code"] == -32602
        assert "Mcp-Session-Id" not in response.headers
    assert served.app.sessions() == []


def test_request_gets_sse_with_priming_event_progress_then_the_response(serve):
    served = serve(sse_retry_ms=1234)
    with RawSession(served.url) as raw:
        rid, response = raw.call_tool("progress", {"n": 3}, progress=True)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/event-stream"
        reader = SseReader(response)
        priming = reader.next()
        assert priming.data == "" and priming.id and reader.parser.retry_ms == 1234
        messages = reader.messages()  # the stream ends after the response
        assert [m.get("method") for m in messages] == ["notifications/progress"] * 3 + [None]
        assert [m["params"]["progress"] for m in messages[:3]] == [1, 2, 3]
        assert messages[-1]["id"] == rid and messages[-1]["result"]["content"][0]["text"] == "3 steps"


def test_clients_before_2025_11_25_get_no_priming_event(serve):
    served = serve()
    with RawSession(served.url, version="2025-06-18") as raw:
        rid, response = raw.call_tool("echo", {"x": 1})
        reader = SseReader(response)
        first = reader.next()
        assert first.data and json.loads(first.data)["id"] == rid
        assert first.id  # events still carry ids


def test_notification_and_response_posts_get_202_and_no_body(serve):
    served = serve()
    with RawSession(served.url) as raw:
        response = raw.post({"jsonrpc": "2.0", "method": "notifications/roots/list_changed"})
        assert response.status_code == 202 and response.content == b""
        response = raw.post({"jsonrpc": "2.0", "id": 12345, "result": {}})  # answers nothing: still accepted
        assert response.status_code == 202 and response.content == b""


def test_json_response_mode(serve):
    served = serve(json_response=True)
    with RawSession(served.url) as raw:
        rid, response = raw.call_tool("progress", {"n": 2}, progress=True)
        assert response.headers["Content-Type"] == "application/json"
        assert response.json()["id"] == rid and response.json()["result"]["content"][0]["text"] == "2 steps"


def test_server_request_travels_on_the_post_stream_and_its_answer_is_posted(serve):
    served = serve()
    with RawSession(served.url) as raw:
        rid, response = raw.call_tool("sample", {"prompt": "ping?"})
        reader = SseReader(response)
        sampling = reader.until(lambda m: m.get("method") == "sampling/createMessage")[-1]
        assert sampling["params"]["messages"][0]["content"]["text"] == "ping?"
        answer = raw.post({"jsonrpc": "2.0", "id": sampling["id"], "result": {
            "role": "assistant", "content": {"type": "text", "text": "pong"}, "model": "m"}})
        assert answer.status_code == 202
        result = reader.until(is_response(rid))[-1]
        assert result["result"]["content"][0]["text"] == "sampled: pong"


def test_standalone_get_stream_carries_unrelated_messages(serve):
    served = serve()
    with RawSession(served.url) as raw:
        stream = raw.get()
        assert stream.status_code == 200 and stream.headers["Content-Type"] == "text/event-stream"
        reader = SseReader(stream)
        assert reader.next().data == ""  # priming
        rid, response = raw.call_tool("broadcast")
        post_messages = SseReader(response).messages()
        assert [m.get("id") for m in post_messages] == [rid]  # the notification is not on the POST stream
        notification = reader.next()
        assert json.loads(notification.data)["method"] == "notifications/tools/list_changed"
        stream.close()


def test_messages_sent_before_the_get_stream_opens_wait_for_it(serve):
    served = serve()
    with RawSession(served.url) as raw:
        _, response = raw.call_tool("broadcast")
        SseReader(response).messages()
        reader = SseReader(raw.get())
        reader.next()  # priming
        assert json.loads(reader.next().data)["method"] == "notifications/tools/list_changed"
        reader.close()


def test_delete_ends_the_session_and_its_engine_session(serve):
    served = serve()
    with RawSession(served.url) as raw:
        (session,) = served.app.sessions()
        engine = session.connection.session
        assert raw.delete().status_code == 200
        assert engine.closed.is_set()
        assert served.app.sessions() == []
        assert session.connection not in served.server.connections()
        response = raw.post({"jsonrpc": "2.0", "id": 5, "method": "ping"})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == -32001
        assert raw.delete().status_code == 404


def test_server_closes_the_stream_mid_call_and_the_client_resumes_exactly_once(serve):
    served = serve()
    with RawSession(served.url) as raw:
        rid, response = raw.call_tool("reconnect", {"retry_ms": 321}, progress=True)
        reader = SseReader(response)
        first = reader.messages()  # ends when the server closes the connection
        assert [m["params"]["progress"] for m in first] == [1]
        assert reader.parser.retry_ms == 321
        resumed = SseReader(raw.get(last_event_id=reader.last_event_id))
        rest = resumed.messages()  # ends after the response
        assert [m.get("params", {}).get("progress") for m in rest] == [2, 3, None]
        assert rest[-1]["id"] == rid and rest[-1]["result"]["content"][0]["text"] == "reconnected (closed=True)"
        # Resuming again from the same point replays the same events, never others.
        again = SseReader(raw.get(last_event_id=reader.last_event_id)).messages()
        assert again == rest


def test_client_disconnect_releases_the_worker_and_loses_nothing(serve, monkeypatch):
    served = serve(keepalive=0.1)
    released = threading.Event()
    original = HttpSession.release

    def release(self):
        original(self)
        released.set()

    monkeypatch.setattr(HttpSession, "release", release)
    with RawSession(served.url) as raw:
        rid, response = raw.call_tool("wait", {"gate": "g1"}, progress=True)
        reader = SseReader(response)
        reader.next()  # priming
        assert json.loads(reader.next().data)["params"]["progress"] == 1
        last = reader.last_event_id
        reader.close()  # the client goes away mid-call
        assert released.wait(10), "the SSE response was never released after the client left"
        served.server.gate("g1").set()
        rest = SseReader(raw.get(last_event_id=last)).messages()
        assert [m.get("params", {}).get("progress") for m in rest] == [2, None]
        assert rest[-1]["id"] == rid
        assert raw.ping() == {"jsonrpc": "2.0", "id": raw._ids, "result": {}}


def test_last_event_id_of_another_session_replays_nothing(serve):
    served = serve()
    with RawSession(served.url) as alice, RawSession(served.url) as bob:
        _, response = alice.call_tool("progress", {"n": 2}, progress=True)
        reader = SseReader(response)
        reader.next()
        alice_id = reader.last_event_id
        reader.messages()
        stream = bob.get(last_event_id=alice_id)
        bob_reader = SseReader(stream)
        assert bob_reader.next().data == ""  # a fresh standalone stream for bob
        _, response = bob.call_tool("broadcast")
        SseReader(response).messages()
        event = bob_reader.next()
        assert json.loads(event.data)["method"] == "notifications/tools/list_changed"  # not alice's progress
        stream.close()


def test_concurrent_requests_get_their_own_streams(serve):
    served = serve()
    with RawSession(served.url) as raw:
        calls = [raw.call_tool("progress", {"n": 2}, progress=True) for _ in range(4)]
        for rid, response in calls:
            messages = SseReader(response).messages()
            assert messages[-1]["id"] == rid
            assert all(m.get("id") in (None, rid) for m in messages)


def test_cancellation_ends_the_request_stream_without_a_response(serve):
    served = serve()
    with RawSession(served.url) as raw:
        rid, response = raw.call_tool("slow")
        reader = SseReader(response)
        reader.next()  # priming: the handler runs
        cancel = raw.post({"jsonrpc": "2.0", "method": "notifications/cancelled",
                           "params": {"requestId": rid, "reason": "test"}})
        assert cancel.status_code == 202
        assert reader.messages() == []
        assert raw.ping()["result"] == {}


def test_a_cancellation_that_overtakes_its_request_still_cancels_it(serve):
    served = serve()
    with RawSession(served.url) as raw:
        cancel = raw.post({"jsonrpc": "2.0", "method": "notifications/cancelled",
                           "params": {"requestId": "early", "reason": "changed my mind"}})
        assert cancel.status_code == 202
        rid, response = raw.call_tool("slow", request_id="early")
        assert response.status_code in (200, 202)
        assert served.server.gate("cancelled-early").wait(10)  # the handler saw the cancellation
        if response.status_code == 200:
            assert SseReader(response).messages() == []  # and no response is sent
        assert raw.ping()["result"] == {}


def test_batches_are_accepted_from_2025_03_26_clients_only(serve):
    served = serve()
    with RawSession(served.url, version="2025-03-26") as old:
        response = old.post([{"jsonrpc": "2.0", "id": 7, "method": "ping"},
                             {"jsonrpc": "2.0", "id": 8, "method": "tools/list"}], stream=True)
        (batch,) = SseReader(response).messages()
        assert sorted(m["id"] for m in batch) == [7, 8]
    with RawSession(served.url) as new:
        response = new.post([{"jsonrpc": "2.0", "id": 7, "method": "ping"}])
        assert response.status_code == 400
        assert "batch" in response.json()["error"]["message"]


def test_stateless_mode(serve):
    served = serve(stateless=True)
    with RawSession(served.url) as raw:
        assert raw.session_id is None
        rid, response = raw.call_tool("echo", {"a": 1})
        assert SseReader(response).messages()[-1]["result"]["content"][0]["text"] == '{"a": 1}'
        rid, response = raw.call_tool("sample")
        result = SseReader(response).messages()[-1]["result"]
        assert result["isError"] and "stateless" in result["content"][0]["text"]
        assert raw.get().status_code == 405
        assert raw.delete().status_code == 405
    assert served.app.sessions() == []
    assert served.server.connections() == []


def test_idle_sessions_are_reaped_and_busy_ones_kept(serve):
    served = serve(session_idle_timeout=0.3)
    with RawSession(served.url) as idle, RawSession(served.url) as busy:
        sessions = {s.id: s for s in served.app.sessions()}
        stream = busy.get()  # an open GET stream keeps a session alive
        SseReader(stream).next()
        assert sessions[idle.session_id].connection.session.closed.wait(10)
        assert idle.post({"jsonrpc": "2.0", "id": 3, "method": "ping"}).status_code == 404
        assert not sessions[busy.session_id].closed
        stream.close()


def test_app_close_ends_sessions_and_open_streams(builtin):
    served = builtin()
    with RawSession(served.url) as raw:
        reader = SseReader(raw.get())
        reader.next()
        (session,) = served.app.sessions()
        served.app.close()
        assert reader.messages() == []  # the stream ended
        assert session.connection.session.closed.is_set()


def test_cors_when_enabled(serve):
    served = serve(cors_origins=["https://app.example"])
    preflight = requests.options(served.url, headers={"Origin": "https://app.example",
                                                      "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert "Mcp-Session-Id" in preflight.headers["Access-Control-Allow-Headers"]
    response = requests.post(served.url, json={"jsonrpc": "2.0", "id": 1, "method": "initialize",
                                               "params": INIT_PARAMS},
                             headers={"Origin": "https://app.example", "Accept": "application/json, text/event-stream"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert "Mcp-Session-Id" in response.headers["Access-Control-Expose-Headers"]
    other = requests.post(served.url, json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": INIT_PARAMS},
                          headers={"Origin": "https://other.example", "Accept": "application/json, text/event-stream"})
    assert other.status_code == 403


def test_legacy_http_sse_transport_beside_the_new_endpoint(serve):
    served = serve(legacy_sse=True)
    base = served.url.rsplit("/", 1)[0]
    stream = requests.get(base + "/sse", headers={"Accept": "text/event-stream"}, stream=True, timeout=30)
    reader = SseReader(stream)
    endpoint = reader.next()
    assert endpoint.event == "endpoint" and endpoint.data.startswith("/messages?session_id=")
    post = requests.post(base + endpoint.data, json={"jsonrpc": "2.0", "id": 1, "method": "initialize",
                                                     "params": dict(INIT_PARAMS, protocolVersion="2024-11-05")})
    assert post.status_code == 202
    message = reader.next()
    assert message.event == "message" and json.loads(message.data)["result"]["protocolVersion"] == "2024-11-05"
    assert requests.post(base + "/messages?session_id=nope", json={"jsonrpc": "2.0", "method": "x"}).status_code == 404
    stream.close()
    # The new endpoint still works beside it.
    with RawSession(served.url) as raw:
        assert raw.ping()["result"] == {}
