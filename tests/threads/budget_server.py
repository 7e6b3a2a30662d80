"""The thread budget tests' server over stdio: ``python -m tests.threads.budget_server``."""

from tests.threads.test_thread_budget import build_server

if __name__ == "__main__":
    build_server().run()
