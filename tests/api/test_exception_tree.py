"""Acceptance (public API): every failure kind a user meets derives from one exported root, and says what to fix.

Each failure is provoked through the public API only, against real servers:
a port nothing listens on, a wrong HTTP path, a slow tool, a failing tool, a
missing capability, a server process that dies, an unknown tool and a
refused bearer token.
"""

from __future__ import annotations

import socket
import sys
import time

import pytest

import mcp_sync
from mcp_sync import (
    AuthError,
    CapabilityError,
    Client,
    ConnectionClosed,
    HttpStatusError,
    McpError,
    McpSyncError,
    RequestTimeout,
    Server,
    ServerUnreachable,
    ToolError,
    TransportError,
)
from mcp_sync.protocol.era import EraCache

ERAS = ["legacy", "modern"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build() -> Server:
    server = Server("failures")

    @server.tool()
    def slow(seconds: float) -> str:
        """Sleeps."""
        time.sleep(seconds)
        return "done"

    @server.tool()
    def boom() -> str:
        """Always fails."""
        raise RuntimeError("the disk is full")

    return server


@pytest.fixture(scope="module")
def http_server():
    handle = build().start_http(port=0)
    yield handle
    handle.stop()


def test_every_exported_error_class_is_under_the_root():
    for name in mcp_sync.__all__:
        value = getattr(mcp_sync, name)
        if isinstance(value, type) and issubclass(value, BaseException):
            assert issubclass(value, McpSyncError), name
    # the tree is drawn where the classes are defined
    doc = mcp_sync.errors.__doc__
    for name in ("McpSyncError", "McpError", "TransportError", "ServerUnreachable", "HttpStatusError",
                 "RequestTimeout", "CapabilityError", "ToolError", "AuthError", "TaskError", "RegistrationError"):
        assert name in doc


def test_builtin_bases_are_kept_for_existing_except_clauses():
    assert issubclass(RequestTimeout, TimeoutError)
    assert issubclass(mcp_sync.RegistrationError, TypeError)
    from mcp_sync.client.auth.errors import OAuthError
    import requests

    assert issubclass(OAuthError, requests.RequestException) and issubclass(OAuthError, AuthError)


@pytest.mark.parametrize("era", ["auto", *ERAS])
def test_nothing_listening_names_the_url(era):
    url = f"http://127.0.0.1:{free_port()}/mcp"
    with pytest.raises(ServerUnreachable) as caught:
        Client.http(url, protocol=era, timeout=5, era_cache=EraCache()).__enter__()
    assert isinstance(caught.value, (TransportError, McpSyncError, ConnectionClosed))
    assert f"nothing is listening at {url}" in str(caught.value)
    assert "Max retries" not in str(caught.value)


@pytest.mark.parametrize("era", ["auto", *ERAS])
def test_a_wrong_path_names_the_path(http_server, era):
    url = http_server.url.replace("/mcp", "/wrong")
    with pytest.raises(HttpStatusError) as caught:
        Client.http(url, protocol=era, timeout=5, era_cache=EraCache()).__enter__()
    assert caught.value.status == 404 and isinstance(caught.value, McpSyncError)
    assert "/wrong" in str(caught.value) and "path" in str(caught.value)


@pytest.mark.parametrize("era", ERAS)
def test_call_failures_in_both_eras(http_server, era):
    with Client.http(http_server.url, protocol=era, timeout=10, era_cache=EraCache()) as client:
        with pytest.raises(RequestTimeout) as timed_out:
            client.call_tool("slow", {"seconds": 2}, timeout=0.25)
        text = str(timed_out.value)
        assert isinstance(timed_out.value, McpSyncError)
        assert "tools/call" in text and "'slow'" in text and "0.25 s" in text

        with pytest.raises(McpError) as unknown:
            client.call_tool("no-such-tool")
        assert isinstance(unknown.value, McpSyncError) and "no-such-tool" in str(unknown.value)

        result = client.call_tool("boom")
        assert result.is_error
        with pytest.raises(ToolError) as failed:
            result.raise_for_error("boom")
        assert isinstance(failed.value, McpSyncError) and failed.value.result is result
        assert "boom" in str(failed.value) and "the disk is full" in str(failed.value)
        assert client.call_tool("slow", {"seconds": 0}).raise_for_error().content[0].text == "done"

        with pytest.raises(CapabilityError) as missing:
            client.list_prompts()
        assert isinstance(missing.value, McpSyncError) and "prompts" in str(missing.value)


def test_a_server_process_that_dies(tmp_path):
    script = tmp_path / "dies.py"
    script.write_text("import sys\nsys.stdin.readline()\nsys.stderr.write('fatal: out of cheese\\n')\nsys.exit(3)\n")
    client = Client.stdio([sys.executable, str(script)], timeout=10, protocol="legacy")
    with pytest.raises(ConnectionClosed) as died:
        client.__enter__()
    assert isinstance(died.value, McpSyncError)
    assert died.value.exit_code == 3 and "out of cheese" in str(died.value)


@pytest.mark.parametrize("era", ["auto", *ERAS])
def test_auth_refused(era):
    from mcp_sync.server.auth import BearerAuthMiddleware, StaticTokenVerifier
    from tests.auth.conftest import WsgiServer

    app = BearerAuthMiddleware(build().wsgi_app(), StaticTokenVerifier({"good-token": ["mcp"]}))
    served = WsgiServer(app)
    try:
        url = served.url + "/mcp"
        with pytest.raises(McpSyncError) as refused:
            Client.http(url, headers={"Authorization": "Bearer bad-token"}, timeout=5, protocol=era,
                        era_cache=EraCache()).__enter__()
        assert "401" in str(refused.value), str(refused.value)
        with Client.http(url, headers={"Authorization": "Bearer good-token"}, timeout=5, protocol=era,
                         era_cache=EraCache()) as client:
            assert client.call_tool("slow", {"seconds": 0}).content[0].text == "done"
    finally:
        served.stop()
