"""A :class:`threading.Event` that can also call back when it is set.

Python cannot block on two events at once, so a thread waiting for a task while
also honouring a cancel event needs the cancel event to *wake* it. A
:class:`Signal` is a drop-in ``threading.Event`` (``set``/``is_set``/``wait``/
``clear``) whose ``add_callback`` lets a waiter hook its own wake-up without any
polling. The session engine uses one as each incoming request's cancel event, and the
task runner hands one to each piece of work as its cancel signal.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

__all__ = ["Signal"]

log = logging.getLogger("mcp_sync.tasks")


class Signal(threading.Event):
    """An Event with one-shot callbacks run (in the setting thread) when it is set."""

    def __init__(self) -> None:
        super().__init__()
        self._callbacks_lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    def set(self) -> None:
        with self._callbacks_lock:
            if self.is_set():
                return
            super().set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:  # outside the lock: callbacks are user code
            try:
                callback()
            except Exception:
                log.exception("signal callback %r failed", callback)

    def add_callback(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` once when the signal is set (now, if it already is)."""
        with self._callbacks_lock:
            if not self.is_set():
                self._callbacks.append(callback)
                return
        callback()

    def remove_callback(self, callback: Callable[[], None]) -> None:
        """Forget a callback that has not run yet (no error if it is unknown)."""
        with self._callbacks_lock:
            try:
                self._callbacks.remove(callback)
            except ValueError:
                pass
