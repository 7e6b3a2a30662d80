"""server/discover, per-request _meta validation, routing, and what every modern result carries.

Each test runs over stdio (a subprocess) and HTTP (127.0.0.1:0); every message
the server sends is schema-checked against 2026-07-28 by the peers.
"""

from __future__ import annotations

import pytest

from tests.modern_server.support import CAPS, INFO, LEVEL, PV, SERVER_INFO, V, meta

ALL_VERSIONS = ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]


def test_discover(wire):
    reply = wire.request("server/discover")
    wire.status(reply, 200)
    result = reply.result
    assert result["resultType"] == "complete"
    assert result["supportedVersions"] == ALL_VERSIONS
    assert result["instructions"] == "Test instructions."
    caps = result["capabilities"]
    assert caps["tools"] == {"listChanged": True}
    assert caps["prompts"] == {"listChanged": True}
    assert caps["resources"] == {"subscribe": True, "listChanged": True}
    assert caps["extensions"] == {"com.example/demo": {"level": 1}}
    assert "tasks" not in caps and "completions" not in caps
    assert (result["ttlMs"], result["cacheScope"]) == (60_000, "public")
    assert result["_meta"][SERVER_INFO] == {"name": "modern-test", "version": "2.0.0", "title": "Modern test server"}
    assert "serverInfo" not in result and "protocolVersion" not in result


def test_client_info_is_optional(wire):
    reply = wire.request("server/discover", meta_=meta(info=False))
    wire.status(reply, 200)
    assert reply.result["supportedVersions"]


@pytest.mark.parametrize("params, missing", [
    ({}, [PV, CAPS]),
    ({"_meta": {CAPS: {}, INFO: {"name": "c", "version": "1"}}}, [PV]),
    ({"_meta": {PV: V, INFO: {"name": "c", "version": "1"}}}, [CAPS]),
])
def test_missing_meta_fields_are_invalid_params(wire, params, missing):
    headers = {"MCP-Protocol-Version": V} if wire.kind == "http" else None
    options = {"headers": headers} if headers else {}
    reply = wire.request("server/discover", params, id=77, with_meta=False, **options)
    wire.status(reply, 400)
    assert reply.response["id"] == 77
    assert reply.error["code"] == -32602
    assert reply.error["data"]["missing"] == missing


@pytest.mark.parametrize("bad, field", [
    ({CAPS: []}, "clientCapabilities"),
    ({INFO: "me"}, "clientInfo"),
    ({LEVEL: "loud"}, "logLevel"),
    ({"progressToken": 1.5}, "progressToken"),
])
def test_malformed_meta_fields(wire, bad, field):
    reply = wire.request("tools/list", meta_={**meta(), **bad})
    wire.status(reply, 400)
    assert reply.error["code"] == -32602 and field in reply.error["message"]


def test_unsupported_version_lists_every_supported_one(wire):
    headers = {"MCP-Protocol-Version": "v999.0.0"} if wire.kind == "http" else None
    reply = wire.request("server/discover", id="v", meta_=meta(version="v999.0.0"),
                         **({"headers": headers} if headers else {}))
    wire.status(reply, 400)
    assert reply.response["id"] == "v"
    assert reply.error["code"] == -32022
    assert reply.error["data"] == {"supported": ALL_VERSIONS, "requested": "v999.0.0"}


def test_legacy_version_in_the_modern_envelope_is_unsupported(wire):
    headers = {"MCP-Protocol-Version": "2025-11-25"} if wire.kind == "http" else None
    reply = wire.request("tools/list", meta_=meta(version="2025-11-25"), **({"headers": headers} if headers else {}))
    wire.status(reply, 400)
    assert reply.error["code"] == -32022 and reply.error["data"]["requested"] == "2025-11-25"


@pytest.mark.parametrize("method", ["initialize", "logging/setLevel", "resources/subscribe", "resources/unsubscribe",
                                    "tasks/list", "tasks/result", "tasks/get", "unknown/method"])
def test_removed_and_unknown_methods(wire, method):
    params = {"uri": "test://static", "level": "info", "taskId": "t"}
    reply = wire.request(method, params)
    wire.status(reply, 404)
    assert reply.error["code"] == -32601


def test_ping_is_removed_over_http(http_server):
    reply = http_server.peer.post("ping")
    assert reply.status == 404 and reply.error["code"] == -32601


def test_methods_of_capabilities_not_offered(wire):
    reply = wire.request("completion/complete", {"ref": {"type": "ref/prompt", "name": "briefing"},
                                                 "argument": {"name": "topic", "value": "x"}})
    wire.status(reply, 404)
    assert reply.error["code"] == -32601 and "completions" in reply.error["message"]


def test_custom_methods_are_served_in_both_eras(wire):
    reply = wire.request("custom/echo", {"value": 42})
    wire.status(reply, 200)
    assert reply.result["echo"] == 42 and reply.result["version"] == V
    assert reply.result["resultType"] == "complete" and SERVER_INFO in reply.result["_meta"]


@pytest.mark.parametrize("method, params, key", [
    ("tools/list", {}, "tools"),
    ("prompts/list", {}, "prompts"),
    ("resources/list", {}, "resources"),
    ("resources/templates/list", {}, "resourceTemplates"),
    ("resources/read", {"uri": "test://static"}, "contents"),
])
def test_cacheable_results_carry_hints(wire, method, params, key):
    reply = wire.request(method, params)
    wire.status(reply, 200)
    result = reply.result
    assert key in result
    assert (result["resultType"], result["ttlMs"], result["cacheScope"]) == ("complete", 60_000, "public")
    assert result["_meta"][SERVER_INFO]["name"] == "modern-test"


def test_other_results_carry_result_type_and_server_info_only(wire):
    reply = wire.request("tools/call", {"name": "plain", "arguments": {"text": "yo"}})
    wire.status(reply, 200)
    assert reply.result["resultType"] == "complete"
    assert reply.result["content"] == [{"type": "text", "text": "plain: yo"}]
    assert "ttlMs" not in reply.result and SERVER_INFO in reply.result["_meta"]
    prompt = wire.request("prompts/get", {"name": "briefing", "arguments": {"topic": "x"}})
    assert prompt.result["resultType"] == "input_required"
    assert "ttlMs" not in prompt.result  # an InputRequiredResult is never cacheable


def test_unknown_resource_is_invalid_params_with_the_uri(wire):
    reply = wire.request("resources/read", {"uri": "test://missing"})
    wire.status(reply, 200)
    assert reply.error["code"] == -32602 and reply.error["data"] == {"uri": "test://missing"}


def test_unknown_tool_and_tool_errors(wire):
    unknown = wire.request("tools/call", {"name": "nope", "arguments": {}})
    wire.status(unknown, 200)
    assert unknown.error["code"] == -32602
    bad_args = wire.request("tools/call", {"name": "plain", "arguments": {"text": 5}})
    assert bad_args.result["isError"] is True and bad_args.result["resultType"] == "complete"


def test_the_context_reads_the_request_meta(wire):
    caps = {"sampling": {"tools": {}}}
    reply = wire.request("tools/call", {"name": "whoami", "arguments": {}}, meta_=meta(caps))
    data = reply.result["structuredContent"]
    assert data == {"version": V, "capabilities": caps, "client": {"name": "modern-tests", "version": "1.0"},
                    "sampling": True}
    # nothing is remembered between requests
    again = wire.request("tools/call", {"name": "whoami", "arguments": {}}, meta_=meta({}, info=False))
    assert again.result["structuredContent"] == {"version": V, "capabilities": {}, "client": None,
                                                 "sampling": False}


def test_cache_defaults_are_zero_and_private(make_http_server):
    running = make_http_server(server_options={"cache_ttl_ms": 0, "cache_scope": "private"})
    result = running.peer.post("tools/list").result
    assert (result["ttlMs"], result["cacheScope"]) == (0, "private")
