"""Fixtures of the Skills and extension API tests."""

from __future__ import annotations

from tests.thread_check import no_threads_left_behind  # noqa: F401  (autouse)
