"""The era tests run clients that are *not* told which era a server speaks.

The legacy pin of other suites (``tests/legacy_era.py``, which sets
``MCP_SYNC_PROTOCOL=legacy``) is not imported here, and this fixture removes
the variable in case the environment has it, so every client (and every
server process it starts) detects the era itself.
"""

from __future__ import annotations

import os
import threading

import pytest

#: Threads the SDK's client side starts.
CLIENT_THREAD_PREFIXES = ("mcp-client", "mcp-http-client", "mcp-stdio")


@pytest.fixture(autouse=True)
def no_era_pin(monkeypatch):
    monkeypatch.delenv("MCP_SYNC_PROTOCOL", raising=False)
    yield
    assert "MCP_SYNC_PROTOCOL" not in os.environ


def _client_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith(CLIENT_THREAD_PREFIXES) and t.is_alive()}


@pytest.fixture(autouse=True)
def no_client_threads_left_behind():
    before = _client_threads()
    yield
    left = sorted(t.name for t in _client_threads() - before)
    assert left == [], f"client threads still running after the test: {left}"
