"""Fixtures: real process pools (spawn: no fork of a threaded test process) and FIFO gates."""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

WAIT = 60  # seconds: generous bounds, never reached unless something is broken


from tests.thread_check import no_threads_left_behind  # noqa: E402,F401  (autouse)


def spawn_pool(workers: int = 1) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


@pytest.fixture
def pool():
    """A one-worker process pool, shut down (and its manager thread joined) after the test."""
    executor = spawn_pool(1)
    try:
        yield executor
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


class Gate:
    """A FIFO the ``gate`` tool blocks on in its worker.

    :meth:`wait_entered` returns once the tool has opened the FIFO (so it is
    running); :meth:`release` writes and closes, and the tool returns.
    """

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        os.mkfifo(self.path)
        self._writer: int | None = None
        self._opened = threading.Event()
        self._opener = threading.Thread(target=self._open, name="test-gate-opener")
        self._opener.start()

    def _open(self) -> None:
        self._writer = os.open(self.path, os.O_WRONLY)  # blocks until the tool opens the read end
        self._opened.set()

    def wait_entered(self, timeout: float = WAIT) -> bool:
        return self._opened.wait(timeout)

    def release(self, data: bytes = b"go") -> None:
        """Let the tool return (idempotent); if it never came, just unblock our opener."""
        if self._opener.ident is None:
            return
        reader = None
        if not self._opened.is_set():  # the tool never came: open the read end ourselves
            reader = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        self._opener.join(WAIT)
        writer, self._writer = self._writer, None
        if writer is not None:
            if reader is None:
                os.write(writer, data)
            os.close(writer)
        if reader is not None:
            os.close(reader)


@pytest.fixture
def gates(tmp_path):
    """``gates(name)`` makes a :class:`Gate`; every gate is released after the test."""
    made: list[Gate] = []

    def make(name: str = "gate") -> Gate:
        made.append(Gate(tmp_path / name))
        return made[-1]

    yield make
    for gate in made:
        gate.release()
