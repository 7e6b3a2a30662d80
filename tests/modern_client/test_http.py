"""The modern client over Streamable HTTP: era detection from HTTP answers, mirrored headers, x-mcp-header tools."""

from __future__ import annotations

import logging
import threading

import pytest
import requests

from mcp_sync.client import Client
from mcp_sync.http.builtin_server import HttpServerHandle
from mcp_sync.protocol.era import EraCache
from mcp_sync.transports.http_client import HttpClientTransport, HttpStatusError
from tests.client.lowlevel_server import build_server
from tests.modern_client.fake_http import start_legacy_only_http


def posts(fake, method=None):
    """(headers, message) of every POST the fake received (optionally only ``method``)."""
    return [(e["headers"], e["message"]) for e in fake.core.log
            if e["headers"] is not None and (method is None or e["message"].get("method") == method)]


class Recording(requests.Session):
    """A requests session that remembers (HTTP method, headers, JSON-RPC method, status) of every exchange."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, dict, str | None, int]] = []
        self.hooks["response"].append(self._record)

    def _record(self, response, *args, **kwargs):
        request = response.request
        body = request.body
        method = None
        if body:
            import json

            try:
                method = json.loads(body).get("method")
            except ValueError:
                pass
        self.seen.append((request.method, dict(request.headers), method, response.status_code))


def test_modern_server_over_http_is_stateless(http_fake):
    fake = http_fake()
    client = http_fake.connect(fake.url, name="http-test", version="3")
    assert client.era == "modern" and client.protocol_version == "2026-07-28"
    assert client.server_info.name == "fake-modern"
    client.list_tools()
    client.call_tool("echo", {"text": "x"})
    client.close()
    assert set(fake.app.methods()) == {"POST"}  # no GET stream, no DELETE
    for headers, message in posts(fake):
        assert "mcp-session-id" not in headers
        assert headers["mcp-protocol-version"] == message["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"]
        assert headers["mcp-method"] == message["method"]
        assert headers["accept"] == "application/json, text/event-stream"
    (headers, message), = posts(fake, "tools/call")
    assert headers["mcp-name"] == "echo"


def test_first_request_refused_with_32022_is_retried(http_fake):
    fake = http_fake(reject_first=True)
    client = http_fake.connect(fake.url)
    assert client.era == "modern"
    first, second = posts(fake, "server/discover")
    assert first[1]["id"] != second[1]["id"]
    assert second[0]["mcp-protocol-version"] == "2026-07-28"


def test_legacy_server_over_http_is_detected_from_its_400():
    handle = start_legacy_only_http(build_server())
    session = Recording()
    client = Client(HttpClientTransport(handle.url, http=session), era_cache=None, timeout=10.0)
    try:
        client.open()
        assert client.era == "legacy" and client.protocol_version == "2025-11-25"
        assert client.list_tools()
    finally:
        client.close()
        handle.stop()
    probe = session.seen[0]
    assert probe[0] == "POST" and probe[2] == "server/discover" and probe[3] == 400
    assert probe[1]["MCP-Protocol-Version"] == "2026-07-28" and probe[1]["Mcp-Method"] == "server/discover"
    assert session.seen[1][2] == "initialize"


def test_http_era_is_cached_per_endpoint():
    cache = EraCache()
    handle = start_legacy_only_http(build_server())
    try:
        probes = []
        for _ in range(2):
            session = Recording()
            client = Client(HttpClientTransport(handle.url, http=session), era_cache=cache, timeout=10.0)
            client.open()
            assert client.era == "legacy"
            client.close()
            probes.append([method for _, _, method, _ in session.seen].count("server/discover"))
        assert probes == [1, 0]
        assert cache.get(f"http:{handle.url}").era == "legacy"
    finally:
        handle.stop()


def test_server_errors_are_not_era_signals():
    def broken(environ, start_response):
        start_response("500 Internal Server Error", [("Content-Length", "4")])
        return [b"oops"]

    broken.path = "/mcp"  # type: ignore[attr-defined]
    broken.close = lambda: None  # type: ignore[attr-defined]
    handle = HttpServerHandle(broken, "127.0.0.1", 0, name="fake-broken")  # type: ignore[arg-type]
    try:
        client = Client.http(handle.url, era_cache=None, timeout=10.0)
        with pytest.raises(HttpStatusError) as info:
            client.open()
        assert info.value.status == 500
    finally:
        handle.stop()


def test_mcp_name_uses_the_base64_sentinel_when_needed(http_fake):
    fake = http_fake()
    client = http_fake.connect(fake.url)
    with pytest.raises(Exception, match="Unknown tool"):  # the headers passed the fake's -32020 checks
        client.call_tool("h\u00e9llo tool", {})
    (headers, message), = posts(fake, "tools/call")
    assert headers["mcp-name"] == "=?base64?aMOpbGxvIHRvb2w=?="


def test_x_mcp_header_arguments_are_mirrored(http_fake):
    fake = http_fake()
    client = http_fake.connect(fake.url)
    client.list_tools()
    client.call_tool("headers_tool", {"region": "eu west", "count": 5, "flag": False, "free": "no"})
    client.call_tool("headers_tool", {"region": " edge\u00e9", "count": None})
    (h1, _), (h2, _) = posts(fake, "tools/call")
    assert (h1["mcp-param-region"], h1["mcp-param-count"], h1["mcp-param-flag"]) == ("eu west", "5", "false")
    assert "mcp-param-free" not in h1
    assert h2["mcp-param-region"] == "=?base64?IGVkZ2XDqQ==?="
    assert "mcp-param-count" not in h2 and "mcp-param-flag" not in h2  # null and absent: no header


def test_an_argument_that_cannot_be_mirrored_fails_locally(http_fake):
    fake = http_fake()
    client = http_fake.connect(fake.url)
    client.list_tools()
    with pytest.raises(ValueError, match="2\\^53"):
        client.call_tool("headers_tool", {"count": 2 ** 60})
    assert posts(fake, "tools/call") == []


def test_tools_with_invalid_header_annotations_are_dropped_over_http(http_fake, caplog):
    fake = http_fake(with_bad_tool=True)
    client = http_fake.connect(fake.url)
    with caplog.at_level(logging.WARNING, logger="mcp_sync.client"):
        names = [tool.name for tool in client.list_tools()]
    assert "bad_header_tool" not in names and "headers_tool" in names
    assert any("bad_header_tool" in r.getMessage() and "x-mcp-header" in r.getMessage() for r in caplog.records)


def test_header_mismatch_refreshes_the_tool_list_and_retries(http_fake):
    fake = http_fake()
    client = http_fake.connect(fake.url)
    client.list_tools()
    fake.core.moving_header = "New"  # the server changed the annotation since we listed
    result = client.call_tool("moving_header", {"where": "here"})
    assert result.content[0].text == '{"where": "here"}'
    calls = posts(fake, "tools/call")
    assert [h.get("mcp-param-old") for h, _ in calls] == ["here", None]
    assert calls[1][0]["mcp-param-new"] == "here"
    assert len(posts(fake, "tools/list")) == 2
    assert calls[0][1]["id"] != calls[1][1]["id"]


def test_calling_an_unlisted_annotated_tool_lists_then_retries(http_fake):
    fake = http_fake()
    client = http_fake.connect(fake.url)
    client.call_tool("headers_tool", {"region": "r"})
    assert [h.get("mcp-param-region") for h, _ in posts(fake, "tools/call")] == [None, "r"]


def test_progress_and_log_notifications_of_a_request(http_fake):
    fake = http_fake()
    logs = []
    done = threading.Event()
    client = http_fake.connect(fake.url, on_log=lambda params: (logs.append(params.data), done.set()))
    progress = []
    text = client.call_tool("log_and_progress", progress=lambda p, t, m: progress.append((p, t))).content[0].text
    # on_log alone asks every request for every level (as a legacy session gets logs without logging/setLevel)
    assert text == "logLevel=debug" and logs == ["logged at debug"] and progress == [(1, 2)]
    client.set_log_level("warning")
    assert client.call_tool("log_and_progress").content[0].text == "logLevel=warning"
    plain = http_fake.connect(fake.url)  # no on_log: no logs asked for
    assert plain.call_tool("log_and_progress").content[0].text == "logLevel=None"
