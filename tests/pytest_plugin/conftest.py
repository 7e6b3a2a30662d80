"""The pytest plugin's own tests run throwaway suites with pytester (enabled in test_plugin.py)."""

from tests.thread_check import no_threads_left_behind  # noqa: F401  (autouse)
