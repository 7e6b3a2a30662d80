"""The autouse fixture every test package imports into its conftest: no thread a test started outlives it.

``from tests.thread_check import no_threads_left_behind  # noqa: F401`` in a
``conftest.py`` applies it to that package.
"""

from __future__ import annotations

import threading

import pytest


@pytest.fixture(autouse=True)
def no_threads_left_behind():
    """Every thread a test started (sessions, workers, readers, pools) is gone when it ends."""
    before = set(threading.enumerate())
    yield
    left = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
    assert left == [], f"threads still running after the test: {left}"
