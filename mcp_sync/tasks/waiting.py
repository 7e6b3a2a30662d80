"""What every task store's ``wait_for`` shares: its waiter lists, the cancel hook, one bounded wait.

A store keeps ``waiters: dict[task id, list[threading.Event]]`` under its own
lock; :func:`add_waiter` / :func:`remove_waiter` are called with that lock held,
:func:`wake_all` after it is released, and :func:`block` (which never holds a
lock) between two reads of the task.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from .errors import TaskWaitCancelled, TaskWaitTimeout

__all__ = ["add_waiter", "block", "hook_cancel", "is_cancel_set", "remove_waiter", "wake_all"]

Waiters = dict[str, list[threading.Event]]


def add_waiter(waiters: Waiters, task_id: str, wake: threading.Event) -> None:
    """Clear ``wake`` and register it for ``task_id`` (lock held): a change from now on sets it."""
    wake.clear()
    waiting = waiters.get(task_id)
    if waiting is None:
        waiters[task_id] = [wake]
    elif wake not in waiting:
        waiting.append(wake)


def remove_waiter(waiters: Waiters, task_id: str, wake: threading.Event) -> None:
    """Forget ``wake`` (lock held)."""
    waiting = waiters.get(task_id)
    if waiting is not None and wake in waiting:
        waiting.remove(wake)
        if not waiting:
            del waiters[task_id]


def wake_all(waiting: list[threading.Event] | None) -> None:
    """Set every event of a waiter list taken out of the table (call without the lock)."""
    if waiting:
        for waiter in waiting:
            waiter.set()


def hook_cancel(cancel: Any, callback: Callable[[], None]) -> Callable[[], None] | None:
    """Make ``cancel`` call ``callback`` when set; returns an un-hook function if possible.

    ``cancel`` is a :class:`mcp_sync.signals.Signal`, a ``concurrent.futures.Future``
    or None.
    """
    if cancel is None:
        return None
    add_callback = getattr(cancel, "add_callback", None)
    if add_callback is not None:  # mcp_sync.signals.Signal
        add_callback(callback)
        return lambda: cancel.remove_callback(callback)
    add_done_callback = getattr(cancel, "add_done_callback", None)
    if add_done_callback is not None:  # concurrent.futures.Future
        add_done_callback(lambda _future: callback())
    return None


def is_cancel_set(cancel: Any) -> bool:
    is_set = getattr(cancel, "is_set", None)
    if is_set is not None:
        return bool(is_set())
    done = getattr(cancel, "done", None)
    return bool(done()) if done is not None else False


def block(wake: threading.Event, task_id: str, cancel: Any, deadline: float | None, timeout: float | None) -> None:
    """Wait for ``wake`` (a change, or ``cancel``) until ``deadline`` (``time.monotonic()``).

    Raises :class:`TaskWaitCancelled` if ``cancel`` is set, :class:`TaskWaitTimeout`
    once the deadline passed.
    """
    if cancel is not None and is_cancel_set(cancel):
        raise TaskWaitCancelled(f"stopped waiting for task {task_id!r}")
    if deadline is None:
        wake.wait()
        return
    remaining = deadline - time.monotonic()
    if remaining <= 0 or not wake.wait(remaining):
        raise TaskWaitTimeout(f"task {task_id!r} did not reach the awaited state within {timeout} s")
