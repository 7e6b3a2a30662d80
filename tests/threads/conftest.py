"""The thread budget tests: every thread a test starts is gone when it ends."""

from tests.thread_check import no_threads_left_behind  # noqa: F401  (autouse)
