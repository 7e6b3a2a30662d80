"""Fixtures: the test server over HTTP (in process, 127.0.0.1:0) and over stdio (a subprocess)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.modern_server.app import build_server
from tests.modern_server.support import HttpPeer, Reply, StdioPeer


from tests.thread_check import no_threads_left_behind  # noqa: E402,F401  (autouse)


class HttpServer:
    def __init__(self, **app_options: Any) -> None:
        server_options = app_options.pop("server_options", {})
        self.server = build_server(**server_options)
        self.handle = self.server.start_http(port=0, **app_options)
        self.url = self.handle.url
        self.peer = HttpPeer(self.url)

    def stop(self) -> None:
        self.peer.close()
        self.handle.stop()
        self.server.close()


@pytest.fixture
def http_server():
    running = HttpServer()
    yield running
    running.stop()


@pytest.fixture
def make_http_server():
    started: list[HttpServer] = []

    def make(**options: Any) -> HttpServer:
        running = HttpServer(**options)
        started.append(running)
        return running

    yield make
    for running in started:
        running.stop()


@pytest.fixture
def stdio_peer():
    peer = StdioPeer()
    yield peer
    assert peer.close() == 0, "".join(peer.stderr)


class Wire:
    """One request interface over either transport (``status`` is None over stdio)."""

    def __init__(self, kind: str, peer: Any) -> None:
        self.kind = kind
        self.peer = peer

    def request(self, method: str, params: dict | None = None, **options: Any) -> Reply:
        if self.kind == "http":
            return self.peer.post(method, params, **options)
        return self.peer.request(method, params, **options)

    def status(self, reply: Reply, http_status: int) -> None:
        """Over HTTP the status must be ``http_status``; stdio has none."""
        if self.kind == "http":
            assert reply.status == http_status, (reply.status, reply.response)


@pytest.fixture(params=["stdio", "http"])
def wire(request):
    if request.param == "http":
        running = HttpServer()
        yield Wire("http", running.peer)
        running.stop()
    else:
        peer = StdioPeer()
        yield Wire("stdio", peer)
        assert peer.close() == 0, "".join(peer.stderr)
