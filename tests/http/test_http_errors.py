"""Bad HTTP input gets the right status and a JSON-RPC error body, and the server keeps serving."""

from __future__ import annotations

import json

import pytest
import requests

from tests.http.raw import INIT_PARAMS, RawSession

PING = {"jsonrpc": "2.0", "id": 77, "method": "ping"}


def rpc_error(response: requests.Response) -> dict:
    assert response.headers["Content-Type"] == "application/json", response.text
    body = response.json()
    assert body["jsonrpc"] == "2.0" and isinstance(body["error"]["code"], int) and body["error"]["message"]
    return body


@pytest.fixture
def session(serve):
    served = serve(max_body_bytes=2048)
    with RawSession(served.url) as raw:
        yield raw
        # Whatever the test sent, the server still serves this session and new ones.
        assert raw.ping()["result"] == {}
        with RawSession(served.url) as fresh:
            assert fresh.ping()["result"] == {}


def test_wrong_content_type(session):
    response = session.post(None, raw=b'{"jsonrpc":"2.0","id":1,"method":"ping"}', headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert rpc_error(response)["error"]["code"] == -32600


def test_malformed_json(session):
    response = session.post(None, raw=b'{"jsonrpc": "2.0", "id": 1, "method": ')
    assert response.status_code == 400
    body = rpc_error(response)
    assert body["error"]["code"] == -32700
    assert "id" not in body  # 2025-11-25: no id when it could not be read


def test_not_a_jsonrpc_message(session):
    response = session.post({"jsonrpc": "2.0", "id": 9, "method": 42})
    assert response.status_code == 400
    body = rpc_error(response)
    assert body["error"]["code"] == -32600 and body["id"] == 9
    response = session.post("just a string")
    assert response.status_code == 400 and rpc_error(response)["error"]["code"] == -32600


def test_oversized_body(session):
    big = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "echo", "arguments": {"x": "y" * 5000}}}
    response = session.post(big)
    assert response.status_code == 413
    assert "limit" in rpc_error(response)["error"]["message"]


def test_unknown_session(session):
    response = session.post(PING, headers={"Mcp-Session-Id": "not-a-session"})
    assert response.status_code == 404
    assert rpc_error(response)["error"]["code"] == -32001
    assert session.get().status_code == 200  # the real session is untouched
    get = requests.get(session.url, headers={"Accept": "text/event-stream", "Mcp-Session-Id": "nope"})
    assert get.status_code == 404


def test_missing_session_id(session):
    response = session.post(PING, session=False)
    assert response.status_code == 400
    assert "Mcp-Session-Id" in rpc_error(response)["error"]["message"]
    assert requests.get(session.url, headers={"Accept": "text/event-stream"}).status_code == 400
    assert requests.delete(session.url).status_code == 400


def test_foreign_origin(session):
    response = session.post(PING, headers={"Origin": "http://evil.example.com"})
    assert response.status_code == 403
    body = rpc_error(response)
    assert "Origin" in body["error"]["message"] and "id" not in body
    # Loopback origins and same-origin pages are fine.
    port = session.url.split(":")[2].split("/")[0]
    for origin in (f"http://localhost:{port}", "http://127.0.0.1:3000", f"http://127.0.0.1:{port}"):
        assert session.post(PING, headers={"Origin": origin}).status_code == 200, origin


def test_foreign_host(session):
    response = session.post(PING, headers={"Host": "evil.example.com"})
    assert response.status_code == 403
    assert "Host" in rpc_error(response)["error"]["message"]
    port = session.url.split(":")[2].split("/")[0]
    assert session.post(PING, headers={"Host": "127.0.0.1:1"}).status_code == 403  # another port
    assert session.post(PING, headers={"Host": f"localhost:{port}"}).status_code == 200


def test_dns_rebinding_initialize_is_refused(session):
    response = requests.post(session.url, json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": INIT_PARAMS},
                             headers={"Host": "evil.example.com", "Origin": "http://evil.example.com",
                                      "Accept": "application/json, text/event-stream"})
    assert response.status_code == 403


def test_wrong_method(session):
    response = session.http.put(session.url, data=b"{}", headers=session.headers())
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST, DELETE"
    assert rpc_error(response)["error"]["code"] == -32600
    assert session.http.patch(session.url, headers=session.headers()).status_code == 405


def test_accept_must_list_both_types(session):
    response = session.post(PING, headers={"Accept": "application/json"})
    assert response.status_code == 406
    rpc_error(response)
    get = session.http.get(session.url, headers=session.headers(Accept="application/json"))
    assert get.status_code == 406


def test_protocol_version_header(session):
    response = session.post(PING, headers={"MCP-Protocol-Version": "1999-01-01"})
    assert response.status_code == 400
    assert "unsupported" in rpc_error(response)["error"]["message"]
    response = session.post(PING, headers={"MCP-Protocol-Version": "2025-06-18"})  # not what was negotiated
    assert response.status_code == 400
    assert "negotiated" in rpc_error(response)["error"]["message"]
    headers = session.headers()
    del headers["MCP-Protocol-Version"]  # absent: the negotiated version is assumed
    assert requests.post(session.url, json=PING, headers=headers).status_code == 200


def test_duplicate_request_id_in_flight(session):
    rid, slow = session.call_tool("slow", request_id="dup")
    assert slow.status_code == 200
    response = session.post({"jsonrpc": "2.0", "id": "dup", "method": "ping"})
    assert response.status_code == 409
    assert rpc_error(response)["id"] == "dup"
    session.post({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": "dup"}})
    slow.close()


def test_unknown_path(session):
    response = requests.post(session.url.rsplit("/", 1)[0] + "/other", json=PING)
    assert response.status_code == 404


def test_session_survives_a_server_side_handler_error(session):
    rid, response = session.call_tool("no-such-tool")
    assert response.status_code == 200
    text = response.text
    assert '"code":-32602' in text and "Unknown tool" in text


def test_a_lone_surrogate_id_is_echoed_back(session):
    # "\ud800" is valid JSON text but cannot be encoded as UTF-8 as is: the
    # answer must carry the same id (escaped) and the server must keep serving.
    response = session.post(None, raw=b'{"jsonrpc":"2.0","id":"\\ud800","method":"ping"}',
                            headers={"Accept": "application/json, text/event-stream"})
    assert response.status_code == 200, response.text
    text = response.text
    body = json.loads(text[text.index("{"):text.rindex("}") + 1])
    assert body["id"] == "\ud800" and body["result"] == {}
