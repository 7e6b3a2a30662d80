"""The :class:`TaskStore` interface: the task table, independent of where it lives.

The in-memory store (:mod:`mcp_sync.tasks.memory`) is the default; durable or
shared stores (SQLite, Redis) implement the same methods. The interface is
deliberately narrow: records in, records out, no wire format (the adapters in
:mod:`~mcp_sync.tasks.legacy` and :mod:`~mcp_sync.tasks.extension` render
records), no execution (that is :class:`~mcp_sync.tasks.runner.TaskRunner`).

Owner binding: wire-facing reads and writes take an ``owner``; a task is only
visible to the owner that created it, and any other owner gets exactly the same
:class:`~mcp_sync.tasks.errors.TaskNotFound` as for an id that never existed.
The receiver's own code (the runner) passes :data:`ANY_OWNER`.

Change listeners (``add_listener``) are called after every committed change, in
the thread that made it, never while the store's lock is held.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from typing import Any, Callable, Final, Mapping, NamedTuple

from .limits import TaskLimits
from .model import Owner, TaskRecord

__all__ = ["ANY_OWNER", "KEEP", "Listener", "TaskEvent", "TaskPage", "TaskStore"]

log = logging.getLogger("mcp_sync.tasks")


class _Sentinel:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


#: Pass as ``owner`` to skip the owner check (the receiver's own code only).
ANY_OWNER: Final[Any] = _Sentinel("ANY_OWNER")
#: Default for optional update arguments: leave the field as it is.
KEEP: Final[Any] = _Sentinel("KEEP")


class TaskEvent:
    """What a listener is told happened to a task."""

    CREATED: Final = "created"
    #: The status changed (the record carries the new one).
    STATUS: Final = "status"
    #: Something else changed (status message, input answers).
    UPDATED: Final = "updated"
    #: Deleted or expired; the record is the last state.
    REMOVED: Final = "removed"


Listener = Callable[[TaskRecord, str], None]


class TaskPage(NamedTuple):
    tasks: list[TaskRecord]
    #: Opaque cursor for the next page, ``None`` on the last page.
    next_cursor: str | None


class TaskStore(ABC):
    """Abstract task table. All methods are thread-safe.

    Raises (from :mod:`mcp_sync.tasks.errors`): ``TaskNotFound`` for unknown,
    expired, deleted or other-owner ids; ``InvalidTransition`` for illegal status
    changes; ``TaskLimitError`` from ``create``; ``InvalidCursor`` from
    ``list_page``; ``TaskStoreClosed`` from ``create`` and waits after ``close``.
    """

    def __init__(self, limits: TaskLimits | None = None) -> None:
        self.limits = limits if limits is not None else TaskLimits()
        self._listeners: tuple[Listener, ...] = ()
        #: ``(listener, on_removed or None)``, in the order of ``_listeners``.
        self._removal_listeners: tuple[tuple[Listener, Callable[[list[TaskRecord]], None] | None], ...] = ()
        self._listeners_lock = threading.Lock()

    # -- writes --------------------------------------------------------------

    @abstractmethod
    def create(self, owner: Owner, method: str, *, ttl_ms: int | None = None,
               poll_interval_ms: int | None = None,
               status_message: str | None = None) -> TaskRecord:
        """A new ``working`` task. ``ttl_ms`` is the *requested* TTL (``None`` = none
        requested); ``limits.resolve_ttl`` decides the real one."""

    def create_detached(self, owner: Owner, method: str, *, ttl_ms: int | None = None,
                        poll_interval_ms: int | None = None,
                        status_message: str | None = None) -> TaskRecord:
        """Like :meth:`create`, for a task whose work does not run in this process (a Celery
        worker, another service): a store that ties tasks to the process that created them
        (the Redis store's worker leases) does not tie this one, so it outlives this process.
        Every other store: the same as :meth:`create`."""
        return self.create(owner, method, ttl_ms=ttl_ms, poll_interval_ms=poll_interval_ms,
                           status_message=status_message)

    @abstractmethod
    def update_status(self, task_id: str, status: str, *, status_message: Any = KEEP,
                      input_requests: Any = KEEP) -> TaskRecord:
        """Move a task to ``working`` or ``input_required`` (completion goes through
        :meth:`set_result`, cancellation through :meth:`cancel`).

        Same-status updates of a non-terminal task are allowed (message changes).
        Entering ``input_required`` sets ``input_requests`` (key -> request);
        entering ``working`` clears the input maps. Receiver-side: no owner check.
        """

    @abstractmethod
    def set_result(self, task_id: str, status: str, *, result: Mapping[str, Any] | None = None,
                   error: Mapping[str, Any] | None = None,
                   status_message: Any = KEEP) -> TaskRecord:
        """Finish a task: ``completed`` with ``result``, or ``failed`` with ``error``
        (or with an ``isError`` ``result`` on the 2025-11-25 wire).

        A ``cancelled`` task stays cancelled: the outcome is dropped and the
        current record returned. Any other terminal task raises ``InvalidTransition``.
        """

    @abstractmethod
    def cancel(self, task_id: str, owner: Owner, *,
               status_message: str | None = None) -> TaskRecord:
        """Set ``cancelled`` (committed before this returns). Terminal tasks raise
        ``InvalidTransition`` (``current`` tells which terminal status)."""

    @abstractmethod
    def submit_input(self, task_id: str, owner: Owner,
                     responses: Mapping[str, Any]) -> list[str]:
        """Record answers to outstanding input requests; returns the accepted keys.

        Keys that are not outstanding (unknown, or already answered) are ignored;
        partial answers keep the task ``input_required``.
        """

    @abstractmethod
    def delete(self, task_id: str, owner: Owner = ANY_OWNER) -> bool:
        """Remove a task now; False if it was not there (or not the owner's)."""

    @abstractmethod
    def expire(self, now: float | None = None) -> int:
        """Remove every task whose TTL has run out; returns how many were removed."""

    # -- reads ---------------------------------------------------------------

    @abstractmethod
    def get(self, task_id: str, owner: Owner) -> TaskRecord:
        """The task's current record."""

    @abstractmethod
    def list_page(self, owner: Owner, cursor: str | None = None,
                  limit: int | None = None) -> TaskPage:
        """One page of the owner's tasks, oldest first (``limit`` defaults to
        ``limits.page_size``)."""

    @abstractmethod
    def wait_for(self, task_id: str, owner: Owner, predicate: Callable[[TaskRecord], bool], *,
                 timeout: float | None = None, cancel: Any = None) -> TaskRecord:
        """Block until ``predicate(record)`` holds and return that record.

        Raises ``TaskNotFound`` if the task is (or becomes) missing,
        ``TaskWaitTimeout`` after ``timeout`` seconds, ``TaskWaitCancelled`` once
        ``cancel`` is set. ``cancel`` may be a :class:`~mcp_sync.signals.Signal`
        or a ``Future`` (both wake the waiter at once), or a plain
        ``threading.Event`` (seen at the next change of the task, its removal, the
        timeout, or ``close``). ``predicate`` runs outside the store's lock.
        """

    def wait_terminal(self, task_id: str, owner: Owner, *, timeout: float | None = None,
                      cancel: Any = None) -> TaskRecord:
        """Block until the task is completed, failed or cancelled."""
        return self.wait_for(task_id, owner, _is_terminal, timeout=timeout, cancel=cancel)

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> "TaskStore":
        """Start background work (if any) now rather than on first use."""
        return self

    @abstractmethod
    def close(self) -> None:
        """Stop background threads (joined), wake every waiter; idempotent."""

    def __enter__(self) -> "TaskStore":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- listeners -----------------------------------------------------------

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(record, event)`` after every change; returns a remover."""
        with self._listeners_lock:
            self._listeners = self._listeners + (listener,)
            self._removal_listeners = self._removal_listeners + ((listener, None),)
        return lambda: self.remove_listener(listener)

    def on_removed_together(self, listener: Listener, on_removed: Callable[[list[TaskRecord]], None]) -> None:
        """Tell ``listener`` (added already) of tasks removed together (the reaper's batches) with one
        ``on_removed(records)`` call instead of one ``listener(record, REMOVED)`` per task."""
        with self._listeners_lock:
            self._removal_listeners = tuple((lst, on_removed if lst == listener else bulk)
                                            for lst, bulk in self._removal_listeners)

    def remove_listener(self, listener: Listener) -> None:
        with self._listeners_lock:
            listeners = list(self._listeners)
            try:
                at = listeners.index(listener)
            except ValueError:
                return
            del listeners[at]
            self._listeners = tuple(listeners)
            pairs = list(self._removal_listeners)
            del pairs[at]
            self._removal_listeners = tuple(pairs)

    def _emit(self, record: TaskRecord, event: str) -> None:
        """Call the listeners. Implementations call this with no lock held."""
        for listener in self._listeners:
            try:
                listener(record, event)
            except Exception:
                log.exception("task listener %r failed on %s", listener, event)

    def _emit_removed(self, records: list[TaskRecord]) -> None:
        """Tell the listeners ``records`` were removed (no lock held): in one call where they can take it."""
        if not records:
            return
        for listener, on_removed in self._removal_listeners:
            if on_removed is not None:
                try:
                    on_removed(records)
                except Exception:
                    log.exception("task listener %r failed on %s", on_removed, TaskEvent.REMOVED)
                continue
            for record in records:
                try:
                    listener(record, TaskEvent.REMOVED)
                except Exception:
                    log.exception("task listener %r failed on %s", listener, TaskEvent.REMOVED)


def _is_terminal(record: TaskRecord) -> bool:
    return record.is_terminal
