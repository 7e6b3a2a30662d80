"""``Server(eras=...)`` on the wire: what a legacy-only and a modern-only server answer, over stdio and HTTP."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from mcp_sync import Server
from mcp_sync.client import Client
from mcp_sync.errors import McpError, ProtocolVersionError
from mcp_sync.protocol.era import EraCache
from tests.eras.server_app import build

ROOT = Path(__file__).resolve().parents[2]
LEGACY_NEWEST_FIRST = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]
MODERN_META = {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
               "io.modelcontextprotocol/clientCapabilities": {},
               "io.modelcontextprotocol/clientInfo": {"name": "raw", "version": "0"}}
INITIALIZE = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}


def test_eras_option_is_validated():
    assert Server("a").eras == {"legacy", "modern"}
    assert Server("a", eras="legacy").eras == {"legacy"}
    assert Server("a", eras=["modern"]).legacy_versions == ()
    for bad in ((), ("legacy", "ancient"), "both"):
        with pytest.raises(ValueError, match="eras"):
            Server("a", eras=bad)


# -- stdio ------------------------------------------------------------------------------------------


def stdio_exchange(mode: str, messages: list[dict]) -> dict:
    """Send ``messages`` to ``server_app MODE`` over stdio, close stdin; the responses by id."""
    text = "".join(json.dumps(m) + "\n" for m in messages)
    proc = subprocess.run([sys.executable, "-m", "tests.eras.server_app", mode], input=text, capture_output=True,
                          text=True, cwd=ROOT, timeout=30)
    responses = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    return {r["id"]: r for r in responses if "id" in r}


def test_stdio_legacy_only_refuses_modern_requests_listing_legacy_versions():
    answers = stdio_exchange("legacy", [
        {"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {"_meta": MODERN_META}},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {"_meta": MODERN_META}},
    ])
    for request_id in (1, 2):
        error = answers[request_id]["error"]
        assert error["code"] == -32022
        assert error["data"] == {"supported": LEGACY_NEWEST_FIRST, "requested": "2026-07-28"}
    # and the legacy handshake still works on the same kind of process
    answers = stdio_exchange("legacy", [{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": INITIALIZE}])
    assert answers[1]["result"]["protocolVersion"] == "2025-11-25"


def test_stdio_modern_only_refuses_initialize_listing_modern_versions():
    answers = stdio_exchange("modern", [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": INITIALIZE},
        {"jsonrpc": "2.0", "id": 2, "method": "server/discover", "params": {"_meta": MODERN_META}},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/list"},  # a legacy request: no _meta
    ])
    error = answers[1]["error"]
    assert error["code"] == -32022
    assert error["data"] == {"supported": ["2026-07-28"], "requested": "2025-11-25"}
    assert answers[2]["result"]["supportedVersions"] == ["2026-07-28"]
    assert answers[3]["error"]["code"] == -32602  # served as a modern request missing its _meta


# -- HTTP -------------------------------------------------------------------------------------------


@pytest.fixture
def http_server():
    handles = []

    def start(mode: str) -> str:
        handle = build(mode).start_http(port=0)
        handles.append(handle)
        return handle.url

    yield start
    for handle in handles:
        handle.stop()


def http_post(url: str, message: dict, headers: dict | None = None, method: str = "POST"):
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=15)
    try:
        body = json.dumps(message).encode() if method == "POST" else None
        connection.request(method, parts.path, body=body, headers={
            "Accept": "application/json, text/event-stream", "Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        raw = response.read()
        return response.status, dict(response.getheaders()), (json.loads(raw) if raw.strip() else None)
    finally:
        connection.close()


MODERN_HEADERS = {"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "server/discover"}


def test_http_legacy_only_answers_modern_requests_400_with_legacy_versions(http_server):
    url = http_server("legacy")
    status, _, body = http_post(url, {"jsonrpc": "2.0", "id": 7, "method": "server/discover",
                                      "params": {"_meta": MODERN_META}}, MODERN_HEADERS)
    assert status == 400
    assert body["id"] == 7
    assert body["error"]["code"] == -32022
    assert body["error"]["data"] == {"supported": LEGACY_NEWEST_FIRST, "requested": "2026-07-28"}
    status, headers, body = http_post(url, {"jsonrpc": "2.0", "id": 8, "method": "initialize", "params": INITIALIZE})
    assert status == 200 and body["result"]["protocolVersion"] == "2025-11-25"
    assert any(k.lower() == "mcp-session-id" for k in headers)


def test_http_modern_only_answers_initialize_400_with_modern_versions(http_server):
    url = http_server("modern")
    status, headers, body = http_post(url, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": INITIALIZE})
    assert status == 400
    assert not any(k.lower() == "mcp-session-id" for k in headers)
    assert body["id"] == 1 and body["error"]["code"] == -32022
    assert body["error"]["data"] == {"supported": ["2026-07-28"], "requested": "2025-11-25"}
    status, _, body = http_post(url, {"jsonrpc": "2.0", "id": 2, "method": "server/discover",
                                      "params": {"_meta": MODERN_META}}, MODERN_HEADERS)
    assert status == 200 and body["result"]["supportedVersions"] == ["2026-07-28"]
    status, _, _ = http_post(url, {}, method="GET")  # no legacy GET stream, whatever the headers say
    assert status == 405


def test_http_dual_serves_both(http_server):
    url = http_server("dual")
    status, _, body = http_post(url, {"jsonrpc": "2.0", "id": 1, "method": "server/discover",
                                      "params": {"_meta": MODERN_META}}, MODERN_HEADERS)
    assert status == 200 and body["result"]["supportedVersions"] == ["2026-07-28"] + LEGACY_NEWEST_FIRST
    status, _, body = http_post(url, {"jsonrpc": "2.0", "id": 2, "method": "initialize", "params": INITIALIZE})
    assert status == 200 and body["result"]["protocolVersion"] == "2025-11-25"


# -- clients pinned to the era the server does not serve ---------------------------------------------


@pytest.mark.parametrize("kind", ["stdio", "http"])
def test_pinned_clients_get_a_clear_refusal(kind, http_server):
    def client(mode: str, protocol: str) -> Client:
        options = dict(protocol=protocol, era_cache=EraCache(), timeout=15.0)
        if kind == "stdio":
            return Client.stdio([sys.executable, "-m", "tests.eras.server_app", mode], cwd=ROOT, stderr=None,
                                **options)
        return Client.http(http_server(mode), **options)

    with pytest.raises(McpError) as refused:
        client("modern", "legacy").open()
    assert refused.value.code == -32022 and refused.value.data["supported"] == ["2026-07-28"]
    with pytest.raises(ProtocolVersionError, match="only legacy versions"):
        client("legacy", "modern").open()
