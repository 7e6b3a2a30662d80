"""Fixtures of the OAuth tests: mock servers on 127.0.0.1 and client factories."""

from __future__ import annotations

import threading
from typing import Any, Callable, Iterator
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from socketserver import ThreadingMixIn

import pytest
import requests

from mcp_sync.client.auth import AuthorizationCodeGrant, HeadlessRedirectHandler, OAuthClientAuth
from tests.auth.mock_servers import MockAuthServer, MockResourceServer

REDIRECT_URI = "http://127.0.0.1:5599/callback"


@pytest.fixture
def servers() -> Iterator[Callable[..., tuple[MockAuthServer, MockResourceServer]]]:
    """``servers(as_options..., rs=dict(rs_options...))`` -> started (auth_server, resource_server)."""
    started: list[Any] = []

    def make(rs: dict[str, Any] | None = None, **as_options: Any) -> tuple[MockAuthServer, MockResourceServer]:
        auth_server = MockAuthServer(**as_options).start()
        started.append(auth_server)
        resource_server = MockResourceServer(auth_server, **(rs or {})).start()
        started.append(resource_server)
        return auth_server, resource_server

    yield make
    for server in reversed(started):
        server.stop()


@pytest.fixture
def make_auth() -> Iterator[Callable[..., OAuthClientAuth]]:
    """``make_auth(server_url, **options)``: an OAuthClientAuth with a headless redirect handler."""
    made: list[OAuthClientAuth] = []

    def make(server_url: str | None = None, **options: Any) -> OAuthClientAuth:
        if "grant" not in options:
            options["grant"] = AuthorizationCodeGrant(HeadlessRedirectHandler(REDIRECT_URI, timeout=10))
        options.setdefault("timeout", 10.0)
        auth = OAuthClientAuth(server_url, **options)
        made.append(auth)
        return auth

    yield make
    for auth in made:
        auth.close()


def rpc(url: str, auth: Any, method: str = "tools/list", *, session: requests.Session | None = None,
        **kwargs: Any) -> requests.Response:
    """POST one JSON-RPC request with ``auth``."""
    http = session or requests
    return http.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": {}}, auth=auth,
                     timeout=10, **kwargs)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class WsgiServer:
    """A WSGI app served on 127.0.0.1:<ephemeral> in a named thread."""

    def __init__(self, app: Any) -> None:
        self._httpd = make_server("127.0.0.1", 0, app, server_class=_ThreadingWSGIServer,
                                  handler_class=_QuietHandler)
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=f"wsgi-test-{self.port}",
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)


@pytest.fixture
def serve_wsgi() -> Iterator[Callable[[Any], WsgiServer]]:
    started: list[WsgiServer] = []

    def serve(app: Any) -> WsgiServer:
        server = WsgiServer(app)
        started.append(server)
        return server

    yield serve
    for server in started:
        server.stop()
