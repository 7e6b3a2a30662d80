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

Execution time limit: ``submit(..., time_limit=seconds)`` bounds the work's
wall-clock time (from when it starts running; for out-of-process work, from
submission), including time spent waiting for input. Past it the task ends
``failed`` with a -32603 "Task timed out ..." error that ``tasks/result`` and
``tasks/get`` return until the TTL, and ``ctx.cancelled`` is set so the work
stops (its late outcome is dropped). One named thread
(``mcp-sync-task-deadlines``, :class:`~mcp_sync.tasks.deadlines.Deadlines`)
fires the deadlines. When a task's TTL expires (or it is deleted) while its
work still runs, the work is cancelled and a WARNING says so.

Input: ``ctx.request_input({key: {"method": ..., "params": ...}})`` moves the task
to ``input_required`` with those requests outstanding, blocks until every key is
answered (``store.submit_input``, from ``tasks/update`` on the extension wire or
the server relaying the requestor's responses on the 2025-11-25 wire), moves the
task back to ``working`` and returns the answers.

Executors that run work in another process or host (``ProcessPoolExecutor``,
``dask.distributed``'s ``client.get_executor()``...) cannot take a closure or a
live context: :attr:`TaskRunner.in_process` is False for them and
:meth:`TaskRunner.submit` takes a :class:`~mcp_sync.tasks.executors.RemoteWork`
(a picklable function and its arguments) instead; a named results thread
records each outcome. See :mod:`mcp_sync.tasks.executors` for what crosses the
boundary and what is guaranteed.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from typing import Any, Callable, Mapping

from ..errors import INTERNAL_ERROR, McpError
from .executors import (
    MCP_ERROR,
    OK,
    RAISED,
    RemoteError,
    RemoteWork,
    call_remote,
    executor_failure_message,
    runs_in_process,
)
from .errors import (
    InvalidTransition,
    TaskCancelled,
    TaskNotFound,
    TaskWaitCancelled,
    TaskWaitTimeout,
)
from .deadlines import Deadlines
from .memory import InMemoryTaskStore
from .model import Owner, TaskRecord
from ..signals import Signal
from .status import CANCELLED, FAILED, INPUT_REQUIRED, LEGACY_WIRE, WORKING, outcome_status
from .store import ANY_OWNER, TaskEvent, TaskStore

__all__ = ["DEFAULT_TASK_WORKERS", "RemoteWork", "TaskContext", "TaskRunner", "TaskWork", "timed_out_error"]

log = logging.getLogger("mcp_sync.tasks")

DEFAULT_TASK_WORKERS = 16


def timed_out_error(time_limit: float) -> dict[str, Any]:
    """The JSON-RPC error of a task whose work ran past its execution time limit."""
    return {"code": INTERNAL_ERROR,
            "message": f"Task timed out: its work ran longer than its execution time limit of {time_limit:g} s "
                       f"and was cancelled",
            "data": {"reason": "timeout", "timeLimitSeconds": time_limit}}


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
    __slots__ = ("context", "future", "remote", "wire", "time_limit")

    def __init__(self, context: TaskContext, remote: RemoteWork | None = None, wire: str = LEGACY_WIRE,
                 time_limit: float | None = None) -> None:
        self.context = context
        self.future: Future[Any] | None = None
        self.remote = remote  # out-of-process work: its outcome comes back through the results thread
        self.wire = wire
        self.time_limit = time_limit  # seconds of execution before the task fails as timed out


class TaskRunner:
    """Runs task work on an executor; one runner serves any number of owners.

    ``store`` defaults to a new :class:`~mcp_sync.tasks.memory.InMemoryTaskStore`
    that the runner owns (and closes). ``executor`` defaults to a
    ``ThreadPoolExecutor(max_workers, thread_name_prefix="mcp-sync-task")`` the
    runner owns (and shuts down); a caller-supplied executor is left running.

    :attr:`in_process` tells which work :meth:`submit` takes: a
    :data:`TaskWork` closure for an in-process executor (a ``ThreadPoolExecutor``),
    a :class:`~mcp_sync.tasks.executors.RemoteWork` for any other
    (:func:`~mcp_sync.tasks.executors.runs_in_process`).
    """

    def __init__(self, store: TaskStore | None = None, *, executor: Executor | None = None,
                 max_workers: int = DEFAULT_TASK_WORKERS) -> None:
        self._owns_store = store is None
        self.store: TaskStore = store if store is not None else InMemoryTaskStore()
        self._owns_executor = executor is None
        self._executor: Executor = executor if executor is not None else ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix="mcp-sync-task")
        #: True when the executor runs work on threads of this process (closures, live contexts).
        self.in_process = runs_in_process(self._executor)
        self._lock = threading.Lock()
        self._running: dict[str, _Running] = {}
        self._closed = False
        # Work run through submit(run_after=...) rather than on the executor: the thread of each
        # (submitted or running; at most max_workers), and a Condition (on _lock) close() waits on.
        self._max_after = max_workers
        self._after_threads: list[threading.Thread] = []
        self._after_done = threading.Condition(self._lock)
        # Out-of-process outcomes: finished futures, recorded by the results thread (started on first use).
        self._results: "queue.SimpleQueue[tuple[str, _Running, Future[Any]] | None]" = queue.SimpleQueue()
        self._collector: threading.Thread | None = None
        self._deadlines = Deadlines("mcp-sync-task-deadlines", self._timed_out)
        self._remove_listener = self.store.add_listener(self._on_change)
        self.store.on_removed_together(self._on_change, self._on_removed)

    # -- submitting ----------------------------------------------------------

    def submit(self, work: TaskWork | RemoteWork, *, owner: Owner = None, method: str = "tools/call",
               ttl_ms: int | None = None, poll_interval_ms: int | None = None,
               status_message: str | None = None, wire: str = LEGACY_WIRE,
               run_after: Callable[[Callable[[], None]], bool] | None = None,
               time_limit: float | None = None) -> TaskRecord:
        """Create a ``working`` task and schedule ``work``; returns the new record.

        ``work`` is a :data:`TaskWork` closure, called as ``work(ctx)`` (in-process
        executors only: a ``TypeError`` otherwise, before any task exists), or a
        :class:`~mcp_sync.tasks.executors.RemoteWork` (any executor: its
        function runs with its arguments and no context).
        ``ttl_ms`` is the requested TTL (capped by the store's limits). ``wire``
        (``LEGACY_WIRE`` or ``EXTENSION_WIRE``) decides whether an ``isError``
        tool result fails the task. Raises ``TaskLimitError`` when a limit refuses
        the task, -32603 if the runner is closed or the executor rejects the work
        (a shut down executor, or a ``BrokenProcessPool``).

        ``run_after(fn)``, optional, offers to run ``fn()`` on the calling thread
        later (returning True), e.g. a session request's
        :meth:`~mcp_sync.session.IncomingRequest.after_response`: a closure on a
        runner that owns its executor then runs there, right after the answer
        that the task exists, rather than being handed to another thread (at
        most ``max_workers`` at once; beyond that, or if ``run_after`` declines,
        on the executor). :meth:`close` waits for such work as for the executor's.

        ``time_limit`` (seconds, optional): the work's execution time limit
        (see the module docstring); past it the task fails as timed out.
        """
        if time_limit is not None and (isinstance(time_limit, bool) or not isinstance(time_limit, (int, float))
                                       or not time_limit > 0):
            raise ValueError(f"time_limit must be a positive number of seconds or None, not {time_limit!r}")
        if self._closed:
            raise McpError(INTERNAL_ERROR, "Task runner is closed")
        remote = work if isinstance(work, RemoteWork) else None
        if remote is None and not self.in_process:
            raise TypeError(f"this task runner's executor ({type(self._executor).__name__}) runs work outside this "
                            "process: submit a RemoteWork (a picklable function and its arguments), or mark an "
                            "executor that runs work on threads of this process with mcp_sync_in_process = True")
        record = self.store.create(owner, method, ttl_ms=ttl_ms,
                                   poll_interval_ms=poll_interval_ms,
                                   status_message=status_message)
        running = _Running(TaskContext(self, record), remote, wire, time_limit)
        with self._lock:
            self._running[record.task_id] = running
        if remote is not None and time_limit is not None:  # cannot see it start: count from now
            self._deadlines.add(record.task_id, time_limit)
        if remote is not None and remote.outcome is not None:  # known already: nothing to run
            self._settle(record.task_id, running, remote.outcome, None)
            return record
        if run_after is not None and remote is None and self._owns_executor:
            me = threading.current_thread()  # run_after runs the work on this thread
            with self._lock:
                later = not self._closed and len(self._after_threads) < self._max_after
                if later:
                    self._after_threads.append(me)  # its slot, taken until the work has run
            if later:
                context = running.context
                assert not isinstance(work, RemoteWork)  # remote is None
                if run_after(lambda: self._run_after(context, work, wire)):
                    return record
                with self._lock:
                    self._after_threads.remove(me)
                    self._after_done.notify_all()
        try:
            if remote is None:
                assert not isinstance(work, RemoteWork)  # remote is None
                running.future = self._executor.submit(self._run, running.context, work, wire)
            else:
                self._start_collector()
                running.future = self._executor.submit(call_remote, remote.fn, remote.args, remote.kwargs)
        except RuntimeError as exc:  # executor shut down, or broken (BrokenProcessPool is a RuntimeError)
            with self._lock:
                self._running.pop(record.task_id, None)
            self.store.delete(record.task_id)
            detail = "" if type(exc) is RuntimeError else f" ({type(exc).__name__}: {exc})"
            raise McpError(INTERNAL_ERROR, "Task executor is not accepting work" + detail) from None
        future = running.future
        if remote is not None:
            if running.context.cancelled.is_set() or self._cancelled_meanwhile(record.task_id):
                future.cancel()  # a cancel that raced with submit() found no future to cancel
            future.add_done_callback(lambda done: self._collected(record.task_id, running, done))
        else:
            future.add_done_callback(lambda done: self._guard(record.task_id, running, done))
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
            with self._lock:
                running = self._running.get(task_id)
            if running is not None and running.time_limit is not None:
                self._deadlines.add(task_id, running.time_limit)
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
                pass  # expired, deleted or timed out meanwhile: nobody can read the outcome
        finally:
            with self._lock:
                ended = self._running.pop(task_id, None)
            if ended is not None and ended.time_limit is not None:
                self._deadlines.discard(task_id)

    def _run_after(self, context: TaskContext, work: TaskWork, wire: str) -> None:
        """Work submitted with ``run_after``, on the thread that offered to run it."""
        me = threading.current_thread()  # holds the slot submit() took
        try:
            self._run(context, work, wire)
        except BaseException as exc:  # _run catches Exception: this is e.g. a SystemExit in the work
            what = f"the task work of {context.method!r}"
            log.error("running %s failed (task %s)", what, context.task_id, exc_info=exc)
            self._fail(context.task_id, executor_failure_message(what, exc))
        finally:
            with self._lock:
                self._after_threads.remove(me)
                self._after_done.notify_all()

    def _guard(self, task_id: str, running: _Running, future: Future[Any]) -> None:
        """In-process work whose future did not run it to the end: the executor cancelled it
        (``shutdown(cancel_futures=True)``) or failed it. Fail the task rather than leave it working."""
        if not future.cancelled() and future.exception() is None:
            return  # _run recorded the outcome
        with self._lock:
            if self._running.get(task_id) is running:
                del self._running[task_id]
        if running.context.cancelled.is_set():
            return
        what = f"the task work of {running.context.method!r}"
        exc = None if future.cancelled() else future.exception()
        if exc is not None:
            log.error("the task executor failed to run %s (task %s)", what, task_id, exc_info=exc)
        self._fail(task_id, executor_failure_message(what, exc))

    def _on_change(self, record: TaskRecord, event: str) -> None:
        if event == TaskEvent.REMOVED or (event == TaskEvent.STATUS
                                          and record.status == CANCELLED):
            with self._lock:
                running = self._running.get(record.task_id)
            if running is not None:
                if event == TaskEvent.REMOVED:
                    _warn_cut_short(record)
                self._stop(running)

    def _on_removed(self, records: list[TaskRecord]) -> None:
        """Tasks removed together (the reaper's batches): one lock hold for all of them."""
        with self._lock:
            get = self._running.get
            hits = [(record, running) for record in records if (running := get(record.task_id)) is not None]
        for record, running in hits:
            _warn_cut_short(record)
            self._stop(running)

    def _timed_out(self, task_id: Any) -> None:
        """The deadline thread: the work ran past its time limit. Fail the task, then cancel the work."""
        with self._lock:
            running = self._running.get(task_id)
        if running is None or running.time_limit is None:
            return  # finished meanwhile
        error = timed_out_error(running.time_limit)
        try:
            self.store.set_result(task_id, FAILED, error=error, status_message=error["message"])
        except (TaskNotFound, InvalidTransition):
            return  # finished, cancelled or removed meanwhile
        except Exception:  # e.g. the store is down: still stop the work
            log.warning("could not record the timeout of task %s...", str(task_id)[:8], exc_info=True)
        log.info("task %s... (%s) ran past its execution time limit of %g s: it failed as timed out and its "
                 "work was cancelled", str(task_id)[:8], running.context.method, running.time_limit)
        self._stop(running)

    @staticmethod
    def _stop(running: _Running) -> None:
        running.context.cancelled.set()  # outside our lock: runs work's callbacks
        future = running.future
        if running.remote is not None and future is not None:
            future.cancel()  # not started: never runs; running: its outcome is dropped

    # -- out-of-process work -------------------------------------------------

    def _cancelled_meanwhile(self, task_id: str) -> bool:
        try:
            return self.store.get(task_id, ANY_OWNER).status == CANCELLED
        except TaskNotFound:
            return True

    def _start_collector(self) -> None:
        with self._lock:
            if self._collector is not None or self._closed:
                return
            thread = self._collector = threading.Thread(target=self._collect, name="mcp-sync-task-results",
                                                        daemon=True)
        thread.start()

    def _collected(self, task_id: str, running: _Running, future: Future[Any]) -> None:
        """A done callback, on whatever thread finished the future: hand it to the results thread."""
        self._results.put((task_id, running, future))

    def _collect(self) -> None:
        """The results thread: record each finished out-of-process future; ends at the None sentinel."""
        while True:
            item = self._results.get()
            if item is None:
                return
            task_id, running, future = item
            try:
                self._record_remote(task_id, running, future)
            except Exception:  # e.g. the store failed: log it, keep recording the others
                log.exception("recording the outcome of task %s failed", task_id)
            finally:
                with self._lock:
                    if self._running.get(task_id) is running:
                        del self._running[task_id]
                if running.time_limit is not None:
                    self._deadlines.discard(task_id)

    def _record_remote(self, task_id: str, running: _Running, future: Future[Any]) -> None:
        remote = running.remote
        assert remote is not None
        if future.cancelled():
            if running.context.cancelled.is_set():
                return  # cancelled (tasks/cancel, expiry, deletion, close): the task already says so
            self._fail(task_id, executor_failure_message(remote.what, None))
            return
        exc = future.exception()
        if exc is not None:  # never the function's own exception: call_remote catches those
            log.error("the task executor failed to run %s (task %s)", remote.what, task_id, exc_info=exc)
            self._fail(task_id, executor_failure_message(remote.what, exc))
            return
        outcome = future.result()
        result: Mapping[str, Any] | None = None
        error: Mapping[str, Any] | None = None
        try:
            tag = outcome[0] if isinstance(outcome, tuple) and outcome else None
            if tag == OK:
                result = remote.finish(outcome[1]) if remote.finish is not None else outcome[1]
            elif tag == MCP_ERROR:
                error = McpError.from_error(outcome[1]).to_error()
            elif tag == RAISED:
                raised = RemoteError(*outcome[1:4])
                if remote.on_error is not None:
                    result = remote.on_error(raised)
                else:
                    log.error("%s failed in its worker: %s\n%s", remote.what, raised.describe(),
                              raised.remote_traceback)
                    error = {"code": INTERNAL_ERROR,
                             "message": f"Internal error while running {remote.what}: {raised.type_name}"}
            else:
                raise TypeError(f"unexpected outcome {type(outcome).__name__} from the executor")
        except Exception as exc:
            log.exception("finishing %s failed (task %s)", remote.what, task_id)
            result, error = None, {"code": INTERNAL_ERROR,
                                   "message": f"Internal error while finishing {remote.what}: {type(exc).__name__}"}
        self._settle(task_id, running, result, error)

    def _settle(self, task_id: str, running: _Running, result: Mapping[str, Any] | None,
                error: Mapping[str, Any] | None) -> None:
        if result is not None and not isinstance(result, Mapping):
            log.error("task work for %r returned %s, not a result object", running.context.method,
                      type(result).__name__)
            result, error = None, {"code": INTERNAL_ERROR,
                                   "message": "Internal error: task work returned no result object"}
        try:
            self.store.set_result(task_id, outcome_status(result, error, wire=running.wire),
                                  result=result, error=error)
        except (TaskNotFound, InvalidTransition):
            pass  # expired, deleted or cancelled meanwhile: nobody can read the outcome
        finally:
            if running.future is None:  # settled without the executor
                with self._lock:
                    self._running.pop(task_id, None)

    def _fail(self, task_id: str, message: str) -> None:
        try:
            self.store.set_result(task_id, FAILED, error={"code": INTERNAL_ERROR, "message": message},
                                  status_message=message)
        except (TaskNotFound, InvalidTransition):
            pass
        except Exception:  # e.g. the store is closed: nothing more can be done for this task
            log.warning("could not record the failure of task %s: %s", task_id, message, exc_info=True)

    # -- lifecycle -----------------------------------------------------------

    def close(self, *, cancel_running: bool = True, timeout: float | None = None) -> None:
        """Stop accepting work; cancel unfinished tasks (``cancel_running``); wait for
        the work to return (up to ``timeout`` for a caller-supplied executor); shut
        down the owned executor and close the owned store. Idempotent.

        Out-of-process work: with ``cancel_running`` its futures are cancelled and
        work already running is not waited for (it cannot be interrupted; its
        outcome is dropped, the task is ``cancelled``); without, it is waited for
        up to ``timeout`` and recorded. The results thread is joined either way.
        """
        self._deadlines.close()  # no timeout fires during shutdown: unfinished tasks are cancelled or waited for
        with self._lock:
            self._closed = True
            running = list(self._running.items())
            collector = self._collector
        if cancel_running:
            for task_id, entry in running:
                try:
                    self.store.cancel(task_id, ANY_OWNER,
                                      status_message="Cancelled: the server is shutting down")
                except (TaskNotFound, InvalidTransition):
                    pass
                entry.context.cancelled.set()
                if entry.remote is not None and entry.future is not None:
                    entry.future.cancel()
        if self._owns_executor:
            self._executor.shutdown(wait=True, cancel_futures=True)
            me = threading.current_thread()
            with self._lock:  # work run with run_after: wait for it as for the executor's (not for our own)
                while any(t is not me for t in self._after_threads):
                    self._after_done.wait()
            with self._lock:  # work cancelled before it started never cleans up after itself
                self._running.clear()
        else:
            futures = [entry.future for _, entry in running if entry.future is not None
                       and not (cancel_running and entry.remote is not None)]
            if futures:
                wait_futures(futures, timeout=timeout)
        if collector is not None:
            self._results.put(None)
            collector.join()
            # Futures that finished after the results thread stopped (their done callback
            # may not have run yet): record them here; the rest are abandoned.
            with self._lock:
                leftover = [(task_id, entry) for task_id, entry in self._running.items()
                            if entry.remote is not None]
                for task_id, _entry in leftover:
                    del self._running[task_id]
            for task_id, entry in leftover:
                if entry.future is not None and entry.future.done() and not entry.context.cancelled.is_set():
                    try:
                        self._record_remote(task_id, entry, entry.future)
                    except Exception:
                        log.exception("recording the outcome of task %s failed", task_id)
        self._remove_listener()
        if self._owns_store:
            self.store.close()

    def __enter__(self) -> "TaskRunner":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _warn_cut_short(record: TaskRecord) -> None:
    """A task was removed while its work still ran: say so (its requestor only gets "Task not found").

    Like every log line, it shows only the first 8 characters of the task id (a bearer handle).
    """
    if record.is_terminal:
        return  # cancelled or finished first (e.g. its session ended): nothing was cut short unannounced
    ttl = record.ttl_ms
    if ttl is not None and time.time() - record.created_at >= ttl / 1000.0 - 0.001:
        log.warning("task %s... (%s) expired (TTL %d ms) while its work was still running: the work is "
                    "cancelled and its outcome will not be kept; give it a longer TTL or an execution time "
                    "limit (task_timeout) shorter than the TTL", record.task_id[:8], record.method, ttl)
    else:
        log.warning("task %s... (%s) was deleted while its work was still running: the work is cancelled",
                    record.task_id[:8], record.method)
