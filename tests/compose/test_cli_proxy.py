"""``mcp-sync proxy`` as real processes: a stdio client reaching an HTTP server, an HTTP client reaching a
stdio server, with a bearer token on the served side, headers and OAuth on the upstream side."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from mcp_sync import Client
from mcp_sync.cli.cmd_proxy import TOKEN_ENV
from tests.auth.conftest import serve_wsgi  # noqa: F401  (fixture)
from tests.auth.mock_servers import MockAuthServer
from tests.compose.support import HANDLERS, ROOT, UPSTREAM, child_env

PROXY = [sys.executable, "-m", "mcp_sync", "proxy"]


class HttpProxy:
    """``mcp-sync proxy --http 0 ARGS`` running; ``url`` read from its first stderr line."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen([*PROXY, "--http", "0", *args], cwd=ROOT, env=env or child_env(),
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True)
        line = self.process.stderr.readline()
        assert "listening on " in line, line + self.process.stderr.read()
        self.url = line.rsplit("listening on ", 1)[1].strip()

    def stop(self) -> None:
        self.process.terminate()  # SIGTERM: a clean shutdown (the upstream process is closed too)
        try:
            assert self.process.wait(30) == 0
        finally:
            self.process.stderr.close()


@pytest.fixture
def http_proxy() -> Iterator:
    started: list[HttpProxy] = []

    def start(*args: str, **kwargs) -> HttpProxy:
        proxy = HttpProxy(*args, **kwargs)
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()


def round_trip(client: Client) -> None:
    assert client.server_info.name == "upstream"
    assert "ask_name" in [tool.name for tool in client.list_tools()]
    assert client.call_tool("add", {"a": 20, "b": 22}).structured_content == {"result": 42}
    assert client.call_tool("ask_name", {}).content[0].text == "Hello, Ada!"
    assert client.read_resource("data://readme").contents[0].text == "upstream readme"
    assert client.get_prompt("review", {"code": "pass"}).messages[0].content.text == "Please review this python: pass"


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_an_http_client_reaches_a_stdio_server(http_proxy, era):
    proxy = http_proxy("--", sys.executable, UPSTREAM)
    with Client.http(proxy.url, protocol=era, **HANDLERS) as client:
        assert client.era == era
        round_trip(client)


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_a_stdio_client_reaches_an_http_server_with_a_header(http_proxy, era):
    # the HTTP server: the upstream published by a second proxy that wants a bearer token
    server = http_proxy("--require-token", "--", sys.executable, UPSTREAM, env=child_env(**{TOKEN_ENV: "s3cret"}))
    bridge = [*PROXY, server.url, "--header", "Authorization: Bearer s3cret"]
    with Client.stdio(bridge, env=child_env(), cwd=ROOT, protocol=era, stderr=None, **HANDLERS) as client:
        assert client.era == era
        round_trip(client)


def test_the_served_side_refuses_requests_without_the_token(http_proxy):
    server = http_proxy("--require-token", "--", sys.executable, UPSTREAM, env=child_env(**{TOKEN_ENV: "s3cret"}))
    with pytest.raises(Exception) as caught:
        with Client.http(server.url, protocol="legacy"):
            pass
    assert "401" in str(caught.value)
    with Client.http(server.url, headers={"Authorization": "Bearer s3cret"}, protocol="legacy") as client:
        assert client.call_tool("add", {"a": 1, "b": 2}).structured_content == {"result": 3}


def test_a_wrong_header_fails_the_bridge_with_the_reason(http_proxy):
    server = http_proxy("--require-token", "--", sys.executable, UPSTREAM, env=child_env(**{TOKEN_ENV: "s3cret"}))
    done = subprocess.run([*PROXY, server.url, "-H", "Authorization: Bearer wrong"], cwd=ROOT, env=child_env(),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3
    assert "401" in done.stderr and "--header" in done.stderr


def test_a_stdio_client_reaches_an_oauth_protected_server(serve_wsgi):  # noqa: F811
    from mcp_sync.server.auth import JwtVerifier, protect
    from tests.compose.upstream_server import build

    upstream = build()
    with MockAuthServer(registration=False, clients={"svc": "s3"}, auth_methods=["client_secret_basic"]) as auth:
        site = serve_wsgi(None)
        resource = site.url + "/mcp"
        app = upstream.wsgi_app(json_response=True)
        verifier = JwtVerifier(issuer=auth.issuer, audience=resource, jwks_uri=auth.url + "/jwks")
        site._httpd.set_app(protect(app, verifier, resource=resource, authorization_servers=[auth.issuer]))
        try:
            bridge = [*PROXY, resource, "--oauth-client-id", "svc", "--oauth-client-secret", "s3"]
            with Client.stdio(bridge, env=child_env(), cwd=ROOT, protocol="legacy", stderr=None,
                              **HANDLERS) as client:
                round_trip(client)
            grants = [request.form["grant_type"] for request in auth.token_requests]
            assert grants and set(grants) == {"client_credentials"}
        finally:
            app.close()


def test_a_stdio_client_reaches_a_server_with_the_oauth_browser_flow(serve_wsgi, tmp_path):  # noqa: F811
    from mcp_sync.server.auth import JwtVerifier, protect
    from tests.compose.upstream_server import build

    upstream = build()
    browser = f"{sys.executable} {Path(__file__).with_name('fake_browser.py')} %s"
    with MockAuthServer() as auth:  # dynamic client registration, authorization code + PKCE
        site = serve_wsgi(None)
        resource = site.url + "/mcp"
        app = upstream.wsgi_app(json_response=True)
        verifier = JwtVerifier(issuer=auth.issuer, audience=resource, jwks_uri=auth.url + "/jwks")
        site._httpd.set_app(protect(app, verifier, resource=resource, authorization_servers=[auth.issuer]))
        tokens = tmp_path / "tokens.json"
        try:
            bridge = [*PROXY, resource, "--oauth", "--oauth-token-file", str(tokens)]
            for _ in range(2):  # the second run uses the stored tokens: no browser
                with Client.stdio(bridge, env=child_env(BROWSER=browser), cwd=ROOT, protocol="legacy",
                                  stderr=None, **HANDLERS) as client:
                    round_trip(client)
                assert len(auth.authorization_requests) == 1
            assert tokens.is_file()
        finally:
            app.close()


@pytest.mark.parametrize("args, message", [
    (["proxy"], "no server given"),
    (["proxy", "http://127.0.0.1:1/mcp", "--require-token"], "only apply with --http"),
    (["proxy", "--http", "0", "--require-token", "http://127.0.0.1:1/mcp"], TOKEN_ENV),
    (["proxy", "http://127.0.0.1:1/mcp", "--oauth-client-secret", "x"], "needs --oauth-client-id"),
    (["proxy", "-H", "A: b", "--", "python", "s.py"], "apply to a URL target"),
    (["proxy", "http://127.0.0.1:1/mcp", "-e", "A=b"], "applies to a command target"),
    (["proxy", "--http", "70000", "http://127.0.0.1:1/mcp"], "not a port number"),
])
def test_usage_errors(args, message, monkeypatch, capsys):
    from mcp_sync.cli import main

    monkeypatch.delenv(TOKEN_ENV, raising=False)
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_an_unreachable_upstream_is_a_connection_error(capsys):
    from mcp_sync.cli import main

    assert main(["proxy", "http://127.0.0.1:1/mcp", "--timeout", "5"]) == 3
    assert "connection failed" in capsys.readouterr().err
