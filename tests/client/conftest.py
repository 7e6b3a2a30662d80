"""Fixtures: clients connected to the low-level test server in memory and over stdio."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from mcp_sync.client import Client
from tests.client.lowlevel_server import TOOLS_ONLY, build_server

ROOT = Path(__file__).resolve().parents[2]
SERVER_COMMAND = [sys.executable, "-m", "tests.client.lowlevel_server"]


from tests.thread_check import no_threads_left_behind  # noqa: E402,F401  (autouse)


def start_stdio(*, tools_only: bool = False, **kwargs) -> Client:
    env = {"TEST_SERVER_CAPS": "tools-only"} if tools_only else None
    kwargs.setdefault("stderr", None)
    return Client.stdio(SERVER_COMMAND, cwd=ROOT, env=env, **kwargs)


@pytest.fixture(params=["memory", "stdio", "http"])
def connect(request):
    """``connect(**client_kwargs)`` -> an open client; closed (and checked) after the test.

    memory: the server in this process; stdio: the server as a real subprocess;
    http: the server behind the built-in Streamable HTTP server on 127.0.0.1.
    """
    clients: list[Client] = []
    http_servers: list = []

    def make(*, tools_only: bool = False, open: bool = True, **kwargs) -> Client:
        if request.param == "memory":
            client = Client.connect(build_server(TOOLS_ONLY if tools_only else None), **kwargs)
        elif request.param == "stdio":
            client = start_stdio(tools_only=tools_only, **kwargs)
        else:
            from mcp_sync.http.builtin_server import start_http

            handle = start_http(build_server(TOOLS_ONLY if tools_only else None))
            http_servers.append(handle)
            client = Client.http(handle.url, **kwargs)
        clients.append(client)
        return client.open() if open else client

    make.kind = request.param  # type: ignore[attr-defined]
    yield make
    for client in clients:
        client.close()
        if request.param == "stdio":
            assert client.transport.process.poll() is not None, "the server process is still running"
    for handle in http_servers:
        handle.stop()


class Recorder:
    """Collects hook calls; ``wait(n)`` blocks until ``n`` calls arrived (or fails after 10 s)."""

    def __init__(self) -> None:
        self.calls: list = []
        self._cond = threading.Condition()

    def __call__(self, *args):
        with self._cond:
            self.calls.append(args[0] if len(args) == 1 else args)
            self._cond.notify_all()

    def wait(self, count: int = 1, timeout: float = 10.0) -> list:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.calls) >= count, timeout), \
                f"expected {count} calls, got {self.calls}"
            return list(self.calls)

from tests.legacy_era import legacy_era  # noqa: E402,F401  (pins the legacy wire)
