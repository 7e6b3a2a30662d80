from tests.thread_check import no_threads_left_behind  # noqa: F401
