"""Shared fixtures for the server tests."""

from __future__ import annotations

import threading

import pytest


@pytest.fixture(autouse=True)
def no_threads_left_behind(request):
    """Every thread a test started (sessions, workers, readers) is gone when it ends."""
    before = set(threading.enumerate())
    yield
    left = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
    assert left == [], f"threads still running after the test: {left}"

from tests.legacy_era import legacy_era  # noqa: E402,F401  (pins the legacy wire)
