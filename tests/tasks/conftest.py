"""Fixtures for the task-table tests; every test must leave no thread behind."""

from __future__ import annotations

import threading

import pytest

from mcp_sync.tasks import InMemoryTaskStore, TaskLimits

#: Limits for tests: small TTLs allowed, no per-owner cap unless a test sets one.
TEST_LIMITS = TaskLimits(max_tasks=None, max_active_per_owner=None, default_ttl_ms=60_000,
                         max_ttl_ms=600_000, min_ttl_ms=0, poll_interval_ms=250, page_size=10)


@pytest.fixture(autouse=True)
def no_thread_left():
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not leaked, f"threads left running: {[t.name for t in leaked]}"


@pytest.fixture
def store():
    s = InMemoryTaskStore(TEST_LIMITS)
    try:
        yield s
    finally:
        s.close()


def call_tool_result(text: str, *, is_error: bool = False) -> dict:
    result: dict = {"content": [{"type": "text", "text": text}]}
    if is_error:
        result["isError"] = True
    return result
