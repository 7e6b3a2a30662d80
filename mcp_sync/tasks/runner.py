"""Run the work behind tasks on an executor and record what it produced.

:meth:`TaskRunner.submit` creates a task in a :class:`~mcp_sync.tasks.store.TaskStore`
and runs ``work(ctx)`` on a ``concurrent.futures.Executor`` (the caller's, or a
bounded named ``ThreadPoolExecutor`` the runner owns and shuts down). The work
returns the request's result object (a dict), or raises
:class:`~mcp_sync.errors.McpError` for a JSON-RPC error; any other exception is
recorded as -32603. Which status a result gives is the wire's rule
(:func:`~mcp_sync.tasks.status.outcome_status`).

Cancellation is cooperative: ``ctx.cancelled`` is a
:class:`~mcp_sync.signals.Signal` set when the task is cancelled (by
``tasks/cancel`` through the store, or :meth:`close`), expires or is deleted. The
runner learns of those through a store listener, so it works with any store.

Input: ``ctx.request_input({key: {"method": ..., "params": ...}})`` moves the task
to ``input_required`` with those requests outstanding, blocks until every key is
answered (``store.submit_input``, from ``tasks/update`` on the extension wire or
the server relaying the requestor's responses on the 2025-11-25 wire), moves the
task back to ``working`` and returns the answers.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from typing import Any, Callable, Mapping

from ..errors import INTERNAL_ERROR, McpError
from .errors import (
    InvalidTransition,
    TaskCancelled,
    TaskNotFound,
    TaskWaitCancelled,
    TaskWaitTimeout,
)
from .memory import InMemoryTaskStore
from .model import Owner, TaskRecord
from ..signals import Signal
from .status import CANCELLED, INPUT_REQUIRED, LEGACY_WIRE, WORKING, outcome_status
from .store import ANY_OWNER, TaskEvent, TaskStore

__all__ = ["DEFAULT_TASK_WORKERS", "TaskContext", "TaskRunner", "TaskWork"]

log = logging.getLogger("mcp_sync.tasks")

DEFAULT_TASK_WORKERS = 16


class TaskContext:
    """What a piece of task work gets: its task's identity, cancel signal and input channel."""

    __slots__ = ("task_id", "owner", "method", "cancelled", "_runner", "_used_keys",
                 "_asking")

    def __init__(self, runner: "TaskRunner", record: TaskRecord) -> None:
        self.task_id = record.task_id
        self.owner = record.owner
        self.method = record.method
        #: Set when the task is cancelled, expires or is deleted; stop soon after.
        self.cancelled = Signal()
        self._runner = runner
        self._used_keys: set[str] = set()
        self._asking = threading.Lock()  # held while request_input() waits

    def is_cancelled(self) -> bool:
        return self.cancelled.is_set()

    def check_cancelled(self) -> None:
        """Raise :class:`~mcp_sync.tasks.errors.TaskCancelled` if the task was cancelled."""
        if self.cancelled.is_set():
            raise TaskCancelled(self.task_id)

    def set_status_message(self, message: str | None) -> None:
        """Change the task's ``statusMessage`` (ignored once the task is terminal)."""
        store = self._runner.store
        try:
            record = store.get(self.task_id, ANY_OWNER)
            if not record.is_terminal:
                store.update_status(self.task_id, record.status, status_message=message)
        except (TaskNotFound, InvalidTransition):
            pass

    def request_input(self, requests: Mapping[str, Mapping[str, Any]], *,
                      timeout: float | None = None) -> dict[str, Any]:
        """Ask the requestor for input and block until every request is answered.

        ``requests`` maps a key (unique for the task's lifetime) to an input request
        ``{"method": "elicitation/create" | "sampling/createMessage" | "roots/list",
        "params": {...}}``. Returns key -> response. Raises ``TaskCancelled`` if the
        task is cancelled/expired meanwhile, ``TaskWaitTimeout`` after ``timeout``
        seconds (the task is then back to ``working``).
        """
        if not requests:
            raise ValueError("request_input() needs at least one request")
        keys = list(requests)
        if not self._asking.acquire(blocking=False):
            raise RuntimeError("request_input() is already waiting for this task")
        store = self._runner.store
        try:
            for key in keys:
                if not isinstance(key, str):
                    raise TypeError("input request keys must be strings")
                if key in self._used_keys:
                    raise ValueError(f"input request key {key!r} was already used by this task")
            self._used_keys.update(keys)
            try:
                store.update_status(self.task_id, INPUT_REQUIRED,
                                    input_requests={k: dict(v) for k, v in requests.items()})
                record = store.wait_for(
                    self.task_id, ANY_OWNER,
                    lambda r: r.status != INPUT_REQUIRED
                    or all(k in (r.input_responses or ()) for k in keys),
                    timeout=timeout, cancel=self.cancelled)
            except TaskWaitTimeout:
                self._resume()
                raise
            except (TaskNotFound, InvalidTransition, TaskWaitCancelled):
                raise TaskCancelled(self.task_id) from None
            if record.status != INPUT_REQUIRED:
                raise TaskCancelled(self.task_id)
            answers = {k: record.input_responses[k] for k in keys}  # type: ignore[index]
            self._resume()
            return answers
        finally:
            self._asking.release()

    def _resume(self) -> None:
        try:
            self._runner.store.update_status(self.task_id, WORKING)
        except (TaskNotFound, InvalidTransition):
            raise TaskCancelled(self.task_id) from None


TaskWork = Callable[[TaskContext], Mapping[str, Any]]


class _Running:
    __slots__ = ("context", "future")

    def __init__(self, context: TaskContext) -> None:
        self.context = context
        self.future: Future | None = None


class TaskRunner:
    """Runs task work on an executor; one runner serves any number of owners.

    ``store`` defaults to a new :class:`~mcp_sync.tasks.memory.InMemoryTaskStore`
    that the runner owns (and closes). ``executor`` defaults to a
    ``ThreadPoolExecutor(max_workers, thread_name_prefix="mcp-sync-task")`` the
    runner owns (and shuts down); a caller-supplied executor is left running.
    """

    def __init__(self, store: TaskStore | None = None, *, executor: Executor | None = None,
                 max_workers: int = DEFAULT_TASK_WORKERS) -> None:
        self._owns_store = store is None
        self.store: TaskStore = store if store is not None else InMemoryTaskStore()
        self._owns_executor = executor is None
        self._executor: Executor = executor if executor is not None else ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix="mcp-sync-task")
        self._lock = threading.Lock()
        self._running: dict[str, _Running] = {}
        self._closed = False
        self._remove_listener = self.store.add_listener(self._on_change)

    # -- submitting ----------------------------------------------------------

    def submit(self, work: TaskWork, *, owner: Owner = None, method: str = "tools/call",
               ttl_ms: int | None = None, poll_interval_ms: int | None = None,
               status_message: str | None = None, wire: str = LEGACY_WIRE) -> TaskRecord:
        """Create a ``working`` task and schedule ``work(ctx)``; returns the new record.

        ``ttl_ms`` is the requested TTL (capped by the store's limits). ``wire``
        (``LEGACY_WIRE`` or ``EXTENSION_WIRE``) decides whether an ``isError``
        tool result fails the task. Raises ``TaskLimitError`` when a limit refuses
        the task, -32603 if the runner is closed or the executor rejects the work.
        """
        if self._closed:
            raise McpError(INTERNAL_ERROR, "Task runner is closed")
        record = self.store.create(owner, method, ttl_ms=ttl_ms,
                                   poll_interval_ms=poll_interval_ms,
                                   status_message=status_message)
        running = _Running(TaskContext(self, record))
        with self._lock:
            self._running[record.task_id] = running
        try:
            running.future = self._executor.submit(self._run, running.context, work, wire)
        except RuntimeError:  # executor shut down
            with self._lock:
                self._running.pop(record.task_id, None)
            self.store.delete(record.task_id)
            raise McpError(INTERNAL_ERROR, "Task executor is not accepting work") from None
        return record

    def add_status_listener(self, listener: Callable[[TaskRecord], None]) -> Callable[[], None]:
        """Call ``listener(record)`` after every status change of any task (outside
        every lock, in the thread that made the change); returns a remover."""
        def on_change(record: TaskRecord, event: str) -> None:
            if event == TaskEvent.STATUS:
                listener(record)
        return self.store.add_listener(on_change)

    def running(self) -> int:
        """How many tasks have work scheduled or running."""
        with self._lock:
            return len(self._running)

    # -- running -------------------------------------------------------------

    def _run(self, context: TaskContext, work: TaskWork, wire: str) -> None:
        task_id = context.task_id
        try:
            try:  # a cancel that raced with submit() found no context to signal
                if self.store.get(task_id, ANY_OWNER).status == CANCELLED:
                    context.cancelled.set()
            except TaskNotFound:
                context.cancelled.set()
            if context.cancelled.is_set():
                return
            result: Mapping[str, Any] | None = None
            error: Mapping[str, Any] | None = None
            try:
                result = work(context)
                if not isinstance(result, Mapping):
                    log.error("task work for %r returned %s, not a result object",
                              context.method, type(result).__name__)
                    result, error = None, {"code": INTERNAL_ERROR,
                                           "message": "Internal error: task work returned "
                                                      "no result object"}
            except TaskCancelled:
                return
            except McpError as exc:
                error = exc.to_error()
            except Exception as exc:
                log.exception("task work for %r failed", context.method)
                error = {"code": INTERNAL_ERROR,
                         "message": f"Internal error while running {context.method!r}: "
                                    f"{type(exc).__name__}"}
            try:
                self.store.set_result(task_id, outcome_status(result, error, wire=wire),
                                      result=result, error=error)
            except (TaskNotFound, InvalidTransition):
                pass  # expired or deleted meanwhile: nobody can read the outcome
        finally:
            with self._lock:
                self._running.pop(task_id, None)

    def _on_change(self, record: TaskRecord, event: str) -> None:
        if event == TaskEvent.REMOVED or (event == TaskEvent.STATUS
                                          and record.status == CANCELLED):
            with self._lock:
                running = self._running.get(record.task_id)
            if running is not None:
                running.context.cancelled.set()  # outside our lock: runs work's callbacks

    # -- lifecycle -----------------------------------------------------------

    def close(self, *, cancel_running: bool = True, timeout: float | None = None) -> None:
        """Stop accepting work; cancel unfinished tasks (``cancel_running``); wait for
        the work to return (up to ``timeout`` for a caller-supplied executor); shut
        down the owned executor and close the owned store. Idempotent."""
        with self._lock:
            self._closed = True
            running = list(self._running.items())
        if cancel_running:
            for task_id, entry in running:
                try:
                    self.store.cancel(task_id, ANY_OWNER,
                                      status_message="Cancelled: the server is shutting down")
                except (TaskNotFound, InvalidTransition):
                    pass
                entry.context.cancelled.set()
        if self._owns_executor:
            self._executor.shutdown(wait=True, cancel_futures=True)
            with self._lock:  # work cancelled before it started never cleans up after itself
                self._running.clear()
        else:
            futures = [entry.future for _, entry in running if entry.future is not None]
            if futures:
                wait_futures(futures, timeout=timeout)
        self._remove_listener()
        if self._owns_store:
            self.store.close()

    def __enter__(self) -> "TaskRunner":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
