"""The parity suite: every test runs once per (era, transport) and expects the same observable result.

``served`` opens clients pinned to one era (``protocol="legacy"``, i.e.
2025-11-25, or ``"modern"``, 2026-07-28) against the dual-era server of
:mod:`tests.parity.parity_server`, over one transport: ``memory``
(``Client.connect``), ``stdio`` (a subprocess per client) or ``http`` (one
server per test module on 127.0.0.1, port 0). One server object per module
serves the memory and HTTP legs, so the suite stays fast.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from mcp_sync import Client
from tests.parity.parity_server import build

ROOT = Path(__file__).resolve().parents[2]
ERAS = ("legacy", "modern")
TRANSPORTS = ("memory", "stdio", "http")
#: Threads the client side starts: none may outlive a test. (The server's continuation threads are checked
#: when the module's servers close: a tool parked at a question whose client gave up waits for that.)
THREAD_PREFIXES = ("mcp-client", "mcp-http-client", "mcp-stdio")


@pytest.fixture(autouse=True)
def no_era_pin(monkeypatch):
    """The era comes from each client's ``protocol=``, never from the environment."""
    monkeypatch.delenv("MCP_SYNC_PROTOCOL", raising=False)


def _threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith(THREAD_PREFIXES) and t.is_alive()}


@pytest.fixture(autouse=True)
def no_threads_left_behind():
    before = _threads()
    yield
    left = sorted(t.name for t in _threads() - before)
    assert left == [], f"threads still running after the test: {left}"


@pytest.fixture(scope="module")
def servers():
    """One in-memory server and one HTTP server for the module (stdio clients start their own)."""
    memory = build()
    http = build()
    handle = http.start_http(port=0, keepalive=1.0)  # a closed stream (a 2026-07-28 cancel) is seen within 1 s
    yield {"memory": memory, "http": http, "url": handle.url}
    handle.stop()
    http.close()
    memory.close()
    leftover = [t.name for t in threading.enumerate() if t.name.startswith("mcp-server-continuation")]
    assert leftover == [], leftover


class Served:
    """Opens clients of one era over one transport; closes them at the end of the test."""

    def __init__(self, era: str, transport: str, servers: dict[str, Any]) -> None:
        self.era = era
        self.transport = transport
        self._servers = servers
        self._clients: list[Client] = []

    def __repr__(self) -> str:
        return f"<{self.era} over {self.transport}>"

    @property
    def server(self) -> Any:
        """The server object (memory and HTTP legs; None over stdio, where it is another process)."""
        return self._servers.get(self.transport)

    def client(self, **options: Any) -> Client:
        options.setdefault("timeout", 20.0)
        options.update(protocol=self.era, era_cache=None)
        if self.transport == "memory":
            client = Client.connect(self._servers["memory"], **options)
        elif self.transport == "http":
            client = Client.http(self._servers["url"], **options)
        else:
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
            client = Client.stdio([sys.executable, "-m", "tests.parity.parity_server"], cwd=ROOT, env=env,
                                  stderr=None, **options)
        self._clients.append(client)
        client.open()
        assert client.era == self.era
        return client

    def close(self) -> None:
        for client in reversed(self._clients):
            client.close()


@pytest.fixture(params=[(era, transport) for transport in TRANSPORTS for era in ERAS],
                ids=lambda p: f"{p[0]}-{p[1]}")
def served(request, servers):
    era, transport = request.param
    opened = Served(era, transport, servers)
    yield opened
    opened.close()
