"""Streamable HTTP header checks of modern requests (SEP-2243): 400 + -32020, with the request's id."""

from __future__ import annotations

import http.client
import json
import urllib.parse

import pytest

from tests.modern_server.support import WAIT, V, meta

ROUTED = {"type": "object",
          "properties": {"region": {"type": "string", "x-mcp-header": "Region"},
                         "priority": {"type": "integer", "x-mcp-header": "Priority"},
                         "dry": {"type": "boolean", "x-mcp-header": "Dry"}},
          "required": ["region"]}


def rejected(reply, request_id):
    assert reply.status == 400, (reply.status, reply.response)
    assert reply.response["id"] == request_id
    assert reply.error["code"] == -32020
    return reply.error


@pytest.mark.parametrize("method, params, headers, drop", [
    ("tools/list", {}, {"Mcp-Method": "prompts/list"}, ()),
    ("tools/list", {}, {"Mcp-Method": "TOOLS/LIST"}, ()),
    ("tools/list", {}, {}, ("Mcp-Method",)),
    ("tools/call", {"name": "plain", "arguments": {}}, {"Mcp-Name": "other"}, ()),
    ("tools/call", {"name": "plain", "arguments": {}}, {}, ("Mcp-Name",)),
    ("resources/read", {"uri": "test://static"}, {"Mcp-Name": "test://other"}, ()),
    ("prompts/get", {"name": "briefing", "arguments": {"topic": "x"}}, {"Mcp-Name": "=?base64?YnJpZWZpbmc?="}, ()),
    ("tools/list", {}, {}, ("MCP-Protocol-Version",)),
    ("tools/list", {}, {"MCP-Protocol-Version": "2025-11-25"}, ()),
])
def test_standard_header_mismatches(http_server, method, params, headers, drop):
    reply = http_server.peer.post(method, params, id=9, headers=headers, drop=drop)
    rejected(reply, 9)


def test_header_version_mismatch_beats_unsupported_version(http_server):
    reply = http_server.peer.post("server/discover", id=302, meta_=meta(version="v999.0.0"),
                                  headers={"MCP-Protocol-Version": V})
    rejected(reply, 302)


@pytest.mark.parametrize("headers", [
    {"mcp-method": "tools/call", "MCP-NAME": "plain"},
    {"Mcp-Name": "plain \t "},
    {"Mcp-Name": "=?base64?cGxhaW4=?="},
])
def test_accepted_header_spellings(http_server, headers):
    reply = http_server.peer.post("tools/call", {"name": "plain", "arguments": {}}, headers=headers)
    assert reply.status == 200 and reply.result["content"][0]["text"] == "plain: hi"


def test_whitespace_around_header_values_is_ignored(http_server):
    body = {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
            "params": {"name": "plain", "arguments": {}, "_meta": meta()}}
    url = urllib.parse.urlsplit(http_server.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=WAIT)
    try:
        connection.putrequest("POST", url.path)
        for name, value in (("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream"),
                            ("MCP-Protocol-Version", V), ("Mcp-Method", "  tools/call"), ("Mcp-Name", "  plain  ")):
            connection.putheader(name, value)
        data = json.dumps(body).encode()
        connection.putheader("Content-Length", str(len(data)))
        connection.endheaders(data)
        response = connection.getresponse()
        answer = json.loads(response.read())
    finally:
        connection.close()
    assert response.status == 200 and answer["result"]["content"][0]["text"] == "plain: hi"


def test_non_ascii_names_travel_base64(http_server):
    reply = http_server.peer.post("resources/read", {"uri": "test://doc/é"})
    assert reply.status == 200 and reply.result["resultType"] == "input_required"


def call_routed(peer, arguments, headers=None, drop=(), id=5):
    return peer.post("tools/call", {"name": "routed", "arguments": arguments}, id=id, tool_schema=ROUTED,
                     headers=headers, drop=drop)


def test_param_headers_mirrored_correctly(http_server):
    reply = call_routed(http_server.peer, {"region": "eu west", "priority": 7, "dry": False})
    assert reply.status == 200
    assert reply.result["content"][0]["text"] == '{"dry": false, "priority": 7, "region": "eu west"}'
    encoded = call_routed(http_server.peer, {"region": "Zürich"})
    assert encoded.status == 200
    numeric = call_routed(http_server.peer, {"region": "x", "priority": 7}, headers={"Mcp-Param-Priority": "7.0"})
    assert numeric.status == 200
    literal = call_routed(http_server.peer, {"region": "SGVsbG8="}, headers={"Mcp-Param-Region": "SGVsbG8="})
    assert literal.status == 200


@pytest.mark.parametrize("arguments, headers, drop", [
    ({"region": "Hello"}, {"Mcp-Param-Region": "=?base64?SGVsbG8?="}, ()),
    ({"region": "Hello"}, {"Mcp-Param-Region": "=?base64?SGVs!!!bG8=?="}, ()),
    ({"region": "Hello"}, {"Mcp-Param-Region": "Goodbye"}, ()),
    ({"region": "Hello"}, {}, ("Mcp-Param-Region",)),
    ({"region": "x", "priority": 7}, {"Mcp-Param-Priority": "8"}, ()),
    ({"region": "x", "dry": True}, {"Mcp-Param-Dry": "yes"}, ()),
    ({"region": "x"}, {"Mcp-Param-Priority": "1"}, ()),  # a header for an absent argument
])
def test_param_header_problems(http_server, arguments, headers, drop):
    error = rejected(call_routed(http_server.peer, arguments, headers=headers, drop=drop), 5)
    assert error["data"]["header"].lower().startswith("mcp-param-")


def test_tools_list_shows_the_annotations(http_server):
    tools = {t["name"]: t for t in http_server.peer.post("tools/list").result["tools"]}
    assert tools["routed"]["inputSchema"] == ROUTED
