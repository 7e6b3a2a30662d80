"""Fixtures: the task test server over stdio (a real subprocess) and Streamable HTTP (127.0.0.1:0)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from mcp_sync import Client
from tests.tasks_wire.task_server import build_server, options

ROOT = Path(__file__).resolve().parents[2]
SERVER_COMMAND = [sys.executable, "-m", "tests.tasks_wire.task_server"]


from tests.thread_check import no_threads_left_behind  # noqa: E402,F401  (autouse)


class Harness:
    """Runs the test server on one transport and connects clients to it.

    ``kind`` is ``"stdio"`` (each client spawns its own server process) or
    ``"http"`` (one in-process server, ``self.server``, many sessions).
    """

    def __init__(self, kind: str, *, notify: bool = False, server_factory: Any = None,
                 args: tuple[str, ...] = ()) -> None:
        self.kind = kind
        self.notify = notify
        self.args = list(args) + (["--notify"] if notify else [])
        self.clients: list[Client] = []
        self.server = None
        self.handle = None
        if kind == "http":
            if server_factory is not None:
                self.server = server_factory(notify=notify)
            else:
                self.server = build_server(**options(self.args))
            self.handle = self.server.start_http()

    @property
    def url(self) -> str:
        assert self.handle is not None
        return self.handle.url

    def client(self, **kwargs: Any) -> Client:
        kwargs.setdefault("protocol_version", "2025-11-25")  # core tasks are a 2025-11-25 feature
        if self.kind == "stdio":
            command = SERVER_COMMAND + self.args
            kwargs.setdefault("stderr", None)
            client = Client.stdio(command, cwd=ROOT, **kwargs)
        else:
            client = Client.http(self.url, **kwargs)
        self.clients.append(client)
        return client.open()

    def close(self) -> None:
        for client in self.clients:
            client.close()
        if self.handle is not None:
            self.handle.stop()
        if self.server is not None:
            self.server.close()


@pytest.fixture(params=["stdio", "http"])
def harness(request):
    """A :class:`Harness` for each transport (``harness.client(**client_kwargs)``)."""
    made: list[Harness] = []

    def make(**options: Any) -> Harness:
        h = Harness(request.param, **options)
        made.append(h)
        return h

    yield make
    for h in made:
        h.close()


@pytest.fixture
def http_harness():
    made: list[Harness] = []

    def make(**options: Any) -> Harness:
        h = Harness("http", **options)
        made.append(h)
        return h

    yield make
    for h in made:
        h.close()

from tests.legacy_era import legacy_era  # noqa: E402,F401  (pins the legacy wire)
