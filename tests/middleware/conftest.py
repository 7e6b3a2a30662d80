"""Fixtures for the middleware tests: no thread a test started outlives it."""

from tests.thread_check import no_threads_left_behind  # noqa: F401  (autouse)
