"""``ping`` does not exist in 2026-07-28 (removed with the sessions): a modern ping is -32601 on every transport,
while legacy sessions on the same endpoint or process keep their ping."""

from __future__ import annotations

import json

import requests


def test_a_modern_ping_is_method_not_found(wire):
    reply = wire.request("ping")
    assert reply.error["code"] == -32601
    wire.status(reply, 404)


def test_a_legacy_ping_on_the_same_stdio_process_still_works(stdio_peer):
    stdio_peer.send({"jsonrpc": "2.0", "id": "p1", "method": "ping"})  # before initialize: allowed
    assert stdio_peer.receive(modern=False) == {"jsonrpc": "2.0", "id": "p1", "result": {}}
    assert stdio_peer.request("ping").error["code"] == -32601  # modern _meta: removed
    stdio_peer.send({"jsonrpc": "2.0", "id": "p2", "method": "ping"})
    assert stdio_peer.receive(modern=False) == {"jsonrpc": "2.0", "id": "p2", "result": {}}


def test_a_legacy_ping_over_http_still_works(http_server):
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    init = requests.post(http_server.url, headers=headers, timeout=20, data=json.dumps({
        "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}))
    session = init.headers["Mcp-Session-Id"]
    headers.update({"Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-11-25"})
    ping = requests.post(http_server.url, headers=headers, timeout=20,
                         data=json.dumps({"jsonrpc": "2.0", "id": 2, "method": "ping"}))
    body = ping.json() if ping.headers["Content-Type"].startswith("application/json") else json.loads(
        [line[5:] for line in ping.text.splitlines() if line.startswith("data:") and line[5:].strip()][-1])
    assert body == {"jsonrpc": "2.0", "id": 2, "result": {}}
    requests.delete(http_server.url, headers=headers, timeout=20)


def test_a_legacy_ping_is_answered_even_when_every_request_slot_is_busy():
    """The engine answers legacy pings itself on a dual-era server: a full session still answers them."""
    import threading

    from mcp_sync import Client, Server
    from mcp_sync.limits import Limits

    server = Server("busy", limits=Limits(max_in_flight=1))
    release = threading.Event()
    entered = threading.Event()

    @server.tool()
    def hold() -> str:
        entered.set()
        release.wait(30)
        return "released"

    with Client.connect(server, protocol_version="2025-11-25") as client:
        held = client.nowait.call_tool("hold")
        assert entered.wait(10)
        try:
            client.ping(timeout=5)  # not queued behind hold(), not refused as "server busy"
        finally:
            release.set()
        assert held.result(10).content[0].text == "released"
