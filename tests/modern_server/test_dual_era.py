"""Legacy sessions and modern requests side by side on one endpoint (one stdio process, one HTTP URL)."""

from __future__ import annotations

import json

import requests

from tests.modern_server.support import WAIT, V, meta, next_id
from tests.wire_schema import validate

LEGACY = "2025-11-25"
INIT = {"protocolVersion": LEGACY, "capabilities": {"elicitation": {}, "sampling": {}, "roots": {}},
        "clientInfo": {"name": "legacy", "version": "1"}}


def legacy_call(peer, method, params=None):
    """A legacy request over the stdio peer; answers the server's own requests like a 2025 client would."""
    request_id = next_id()
    peer.send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or {}})
    asked = []
    while True:
        message = peer.receive(modern=False)
        if "method" in message and "id" in message:  # the server asks (legacy only)
            validate(LEGACY, "JSONRPCRequest", message)
            asked.append(message["method"])
            answer = {"elicitation/create": {"action": "accept", "content": {"name": "Bob", "ok": True}},
                      "sampling/createMessage": {"role": "assistant", "content": {"type": "text", "text": "hey"},
                                                 "model": "m"},
                      "roots/list": {"roots": [{"uri": "file:///legacy"}]}}[message["method"]]
            peer.send({"jsonrpc": "2.0", "id": message["id"], "result": answer})
        elif message.get("id") == request_id:
            return message, asked


def test_stdio_serves_both_eras_in_one_process(stdio_peer):
    # modern requests work before any initialize ...
    assert stdio_peer.request("tools/list").result["resultType"] == "complete"
    # ... while legacy ones still need it
    early, _ = legacy_call(stdio_peer, "tools/list")
    assert early["error"]["code"] == -32600
    init, _ = legacy_call(stdio_peer, "initialize", INIT)
    assert init["result"]["protocolVersion"] == LEGACY
    stdio_peer.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    legacy_list, _ = legacy_call(stdio_peer, "tools/list")
    assert "resultType" not in legacy_list["result"] and "ttlMs" not in legacy_list["result"]
    validate(LEGACY, "ListToolsResult", legacy_list["result"])
    modern_list = stdio_peer.request("tools/list").result
    assert modern_list["resultType"] == "complete" and modern_list["ttlMs"] == 60_000
    assert [t["name"] for t in legacy_list["result"]["tools"]] == [t["name"] for t in modern_list["tools"]]

    # the same handler: a request to the client in the legacy session, MRTR in the modern request
    legacy_answer, asked = legacy_call(stdio_peer, "tools/call", {"name": "interview", "arguments": {}})
    assert asked == ["elicitation/create", "sampling/createMessage", "roots/list"]
    assert legacy_answer["result"]["content"][0]["text"] == "Bob / hey / ['file:///legacy']"
    modern_first = stdio_peer.request("tools/call", {"name": "interview", "arguments": {}}).result
    assert modern_first["resultType"] == "input_required"

    # the context sees each era's facts
    legacy_who, _ = legacy_call(stdio_peer, "tools/call", {"name": "whoami", "arguments": {}})
    assert legacy_who["result"]["structuredContent"]["version"] == LEGACY
    assert legacy_who["result"]["structuredContent"]["client"] == {"name": "legacy", "version": "1"}
    modern_who = stdio_peer.request("tools/call", {"name": "whoami", "arguments": {}}, meta_=meta({})).result
    assert modern_who["structuredContent"]["version"] == V
    assert modern_who["structuredContent"]["capabilities"] == {}

    # gather sends every request of the round in a legacy session
    survey, asked = legacy_call(stdio_peer, "tools/call", {"name": "survey", "arguments": {}})
    assert sorted(asked) == ["elicitation/create", "roots/list", "sampling/createMessage"]
    assert survey["result"]["content"][0]["text"] == "accept:{'name': 'Bob', 'ok': True} / hey / 1"


def test_stdio_legacy_capability_errors_are_the_modern_error(stdio_peer):
    init = dict(INIT, capabilities={})
    legacy_call(stdio_peer, "initialize", init)
    stdio_peer.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    reply, asked = legacy_call(stdio_peer, "tools/call", {"name": "needs_elicitation", "arguments": {}})
    assert asked == [] and reply["error"]["code"] == -32021  # the same error as a 2026-07-28 request gets
    assert reply["error"]["data"] == {"requiredCapabilities": {"elicitation": {"form": {}}}}
    # a modern request with the capability in its _meta is not affected by the session's capabilities
    modern = stdio_peer.request("tools/call", {"name": "needs_elicitation", "arguments": {}}).result
    assert modern["resultType"] == "input_required"


def test_http_serves_both_eras_on_one_url(http_server):
    url = http_server.url
    accept = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    init = requests.post(url, data=json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": INIT}),
                         headers=accept, timeout=WAIT)
    assert init.status_code == 200
    session_id = init.headers["Mcp-Session-Id"]
    legacy_headers = {**accept, "Mcp-Session-Id": session_id, "MCP-Protocol-Version": LEGACY}
    requests.post(url, data=json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}),
                  headers=legacy_headers, timeout=WAIT)
    listed = requests.post(url, data=json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
                           headers=legacy_headers, timeout=WAIT)
    assert listed.status_code == 200 and "resultType" not in listed.text

    modern = http_server.peer.post("tools/list")
    assert modern.status == 200 and modern.result["resultType"] == "complete"
    assert "mcp-session-id" not in modern.headers  # never mints sessions

    # Mcp-Session-Id and Last-Event-ID mean nothing to a modern request
    ignored = http_server.peer.post("tools/list", headers={"Mcp-Session-Id": "no-such-session",
                                                           "Last-Event-ID": "x-1"})
    assert ignored.status == 200 and ignored.result["tools"]
    with_session = http_server.peer.post("tools/list", headers={"Mcp-Session-Id": session_id})
    assert with_session.status == 200 and with_session.result["resultType"] == "complete"
    assert len(http_server.handle.app.sessions()) == 1

    # GET/DELETE: 405 for modern clients; legacy ones keep their GET stream and DELETE
    for verb in ("GET", "DELETE"):
        refused = requests.request(verb, url, headers={"MCP-Protocol-Version": V, "Accept": "text/event-stream"},
                                   timeout=WAIT)
        assert refused.status_code == 405 and refused.headers["Allow"] == "POST"
    no_session = requests.get(url, headers={"Accept": "text/event-stream"}, timeout=WAIT)
    assert no_session.status_code == 400
    deleted = requests.delete(url, headers={"Mcp-Session-Id": session_id, "MCP-Protocol-Version": LEGACY},
                              timeout=WAIT)
    assert deleted.status_code == 200 and http_server.handle.app.sessions() == []


def test_http_modern_initialize_is_not_a_session(http_server):
    reply = http_server.peer.post("initialize", {"protocolVersion": V, "capabilities": {}})
    assert reply.status == 404 and reply.error["code"] == -32601
    assert http_server.handle.app.sessions() == []


def test_http_refuses_batches_and_responses_from_modern_clients(http_server):
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json",
               "MCP-Protocol-Version": V, "Mcp-Method": "tools/list"}
    batch = requests.post(http_server.url, data=json.dumps([{"jsonrpc": "2.0", "id": 1, "method": "tools/list",
                                                             "params": {"_meta": meta()}}]),
                          headers=headers, timeout=WAIT)
    assert batch.status_code == 400 and batch.json()["error"]["code"] == -32600
    validate(V, "JSONRPCErrorResponse", batch.json())
    response = requests.post(http_server.url, data=json.dumps({"jsonrpc": "2.0", "id": 1, "result": {}}),
                             headers=headers, timeout=WAIT)
    assert response.status_code == 400 and response.json()["error"]["code"] == -32600


def test_http_modern_notifications_are_accepted(http_server):
    reply = http_server.peer.post("notifications/cancelled", {"requestId": 5}, notification=True)
    assert reply.status == 202 and reply.response is None
