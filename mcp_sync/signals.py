"""A :class:`threading.Event` that can also call back when it is set.

Python cannot block on two events at once, so a thread waiting for a task while
also honouring a cancel event needs the cancel event to *wake* it. A
:class:`Signal` is a drop-in ``threading.Event`` (``set``/``is_set``/``wait``/
``clear``) whose ``add_callback`` lets a waiter hook its own wake-up without any
polling. The session engine uses one as each incoming request's cancel event, and the
task runner hands one to each piece of work as its cancel signal.

Most signals are never set nor waited on (a task that simply finishes), so a
Signal is one lock and a flag: the Condition a waiter sleeps on (over that same
lock) is made by the first :meth:`wait` that has to block.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

__all__ = ["Signal"]

log = logging.getLogger("mcp_sync.tasks")


class Signal(threading.Event):
    """An Event with one-shot callbacks run (in the setting thread) when it is set."""

    # threading.Event.__init__ is not called: it would make a Condition (and its lock) per
    # Signal. Every Event method is overridden below on one lock, ``_lock``.

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flag = False
        self._callbacks: list[Callable[[], None]] | None = None
        self._cond: threading.Condition | None = None  # made by the first wait() that blocks

    def is_set(self) -> bool:
        return self._flag

    isSet = is_set

    def set(self) -> None:
        with self._lock:
            if self._flag:
                return
            self._flag = True
            callbacks, self._callbacks = self._callbacks, None
            if self._cond is not None:
                self._cond.notify_all()
        if callbacks:
            for callback in callbacks:  # outside the lock: callbacks are user code
                try:
                    callback()
                except Exception:
                    log.exception("signal callback %r failed", callback)

    def clear(self) -> None:
        with self._lock:
            self._flag = False

    def wait(self, timeout: float | None = None) -> bool:
        if self._flag:
            return True
        with self._lock:
            if self._flag:
                return True
            cond = self._cond
            if cond is None:
                cond = self._cond = threading.Condition(self._lock)
            return cond.wait(timeout)  # notified only by set(), as threading.Event

    def _at_fork_reinit(self) -> None:  # threading's fork handling (Event API)
        self._lock = threading.Lock()
        self._cond = None

    def add_callback(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` once when the signal is set (now, if it already is)."""
        with self._lock:
            if not self._flag:
                if self._callbacks is None:
                    self._callbacks = [callback]
                else:
                    self._callbacks.append(callback)
                return
        callback()

    def remove_callback(self, callback: Callable[[], None]) -> None:
        """Forget a callback that has not run yet (no error if it is unknown)."""
        with self._lock:
            try:
                if self._callbacks is not None:
                    self._callbacks.remove(callback)
            except ValueError:
                pass

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {'set' if self._flag else 'unset'}>"
