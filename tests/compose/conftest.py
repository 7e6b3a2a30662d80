"""Fixtures of the composition tests (mount, proxy, ``mcp-sync proxy``, client group and cache)."""

from __future__ import annotations

import pytest

from tests.thread_check import no_threads_left_behind  # noqa: F401  (autouse)


@pytest.fixture(autouse=True)
def no_era_pin(monkeypatch):
    """Clients here choose their era explicitly (``protocol=``); child processes detect it."""
    monkeypatch.delenv("MCP_SYNC_PROTOCOL", raising=False)
