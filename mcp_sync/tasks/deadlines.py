"""Execution time limits of task work: one named thread fires each task's deadline.

:class:`Deadlines` is what :class:`~mcp_sync.tasks.runner.TaskRunner` uses for
``submit(..., time_limit=...)``: ``add(key, seconds)`` arms a deadline,
``discard(key)`` disarms it (the work finished first), and once a deadline
passes ``on_expiry(key)`` runs on the deadline thread (never under a lock).
The thread, named ``<name>``, starts with the first deadline, waits on a
condition for the earliest one (nothing polls) and is stopped and joined by
:meth:`close`. Arming and disarming cost O(log n).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from typing import Callable, Hashable

__all__ = ["Deadlines"]

log = logging.getLogger("mcp_sync.tasks")

#: How long close() waits for the deadline thread (it only ever waits on a condition).
JOIN_TIMEOUT = 5.0


class Deadlines:
    """Calls ``on_expiry(key)`` ``seconds`` after ``add(key, seconds)`` unless ``discard(key)`` came first."""

    def __init__(self, name: str, on_expiry: Callable[[Hashable], None]) -> None:
        self._name = name
        self._on_expiry = on_expiry
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Hashable]] = []
        self._armed: dict[Hashable, int] = {}  # key -> seq of its live heap entry (others are stale)
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._closed = False

    def __len__(self) -> int:
        with self._cond:
            return len(self._armed)

    def add(self, key: Hashable, seconds: float) -> bool:
        """Arm (or re-arm) ``key``'s deadline ``seconds`` from now; False once closed."""
        due = time.monotonic() + max(0.0, seconds)
        with self._cond:
            if self._closed:
                return False
            seq = next(self._seq)
            self._armed[key] = seq
            heapq.heappush(self._heap, (due, seq, key))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            elif self._heap[0][1] == seq:  # the new earliest deadline: re-arm the wait
                self._cond.notify()
        return True

    def discard(self, key: Hashable) -> None:
        """Disarm ``key`` (its heap entry is dropped when it comes up)."""
        with self._cond:
            self._armed.pop(key, None)
            if not self._armed:
                self._heap.clear()

    def close(self) -> None:
        """Disarm everything and stop (and join) the deadline thread. Idempotent."""
        with self._cond:
            self._closed = True
            self._armed.clear()
            self._heap.clear()
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(JOIN_TIMEOUT)

    def _run(self) -> None:
        while True:
            with self._cond:
                key = None
                while key is None:
                    if self._closed:
                        return
                    heap = self._heap
                    while heap and self._armed.get(heap[0][2]) != heap[0][1]:
                        heapq.heappop(heap)  # disarmed or re-armed since
                    if not heap:
                        self._cond.wait()
                        continue
                    wait = heap[0][0] - time.monotonic()
                    if wait > 0:
                        self._cond.wait(wait)
                        continue
                    _, _, key = heapq.heappop(heap)
                    del self._armed[key]
            try:
                self._on_expiry(key)
            except Exception:  # never let one failure stop every later deadline
                log.exception("the execution deadline handler failed for %r", key)
