"""Tasks (2025-11-25, SEP-1686) from the requestor's side, and the client as receiver.

Requestor: :class:`RemoteTask` is the handle of a task running on the peer;
:class:`Task` is the client's (``client.call_tool_as_task(...)``), and the
server's ``ctx.elicit_as_task(...)`` / ``ctx.sample_as_task(...)`` return the
same kind of handle for a task running on the client::

    task = client.call_tool_as_task("build", {"target": "all"}, ttl_ms=600_000)
    for status in task.watch():          # tasks/get, honouring the server's pollInterval
        print(status.status, status.status_message)
    result = task.result()               # tasks/result: the CallToolResult

* ``status()``: ``tasks/get`` (a :class:`~mcp_sync.types.GetTaskResult`).
* ``result(timeout)``: ``tasks/result``, blocking until the task is terminal;
  the original result, or the original JSON-RPC error raised as
  :class:`~mcp_sync.errors.McpError` (a cancelled task has no result: -32602).
  A receiver answering -32602 at once for a task still running (FastMCP 3.x)
  is polled with ``tasks/get`` until terminal, then asked again.
* ``wait(timeout, poll=False)``: block until terminal (in ``tasks/result``, or
  with ``poll=True`` by ``tasks/get`` every ``pollInterval``) and return the
  final status.
* ``watch()``: iterate over status changes until terminal. Between two
  ``tasks/get`` it waits the server's ``pollInterval`` (the protocol's own
  polling), woken early by a ``notifications/tasks/status`` for the task. When
  the task needs input it starts ``tasks/result`` in the background, as the
  specification asks, so the server can send its questions on that stream.
* ``cancel()``: ``tasks/cancel``.

No method sleeps except to honour ``pollInterval``; a closed connection wakes
every wait.

On 2026-07-28 (the ``io.modelcontextprotocol/tasks`` extension, SEP-2663) the
same calls return a :class:`ModernTask`, a :class:`Task` whose methods speak the
extension: ``tasks/get`` polled at the server's ``pollIntervalMs`` (there is
no ``tasks/result``), ``input_required`` answered by the client's handlers
with ``tasks/update``, ``tasks/cancel`` acknowledged without a status. The
extension is declared under ``capabilities.extensions`` of the requests that
want a task (every request with ``Client(tasks=...)``), never as the
2025-11-25 ``tasks`` capability; see :func:`modern_call_tool`.

Receiver: :class:`ClientTaskReceiver` (``Client(tasks=True)``) declares
``tasks.requests.sampling.createMessage`` / ``tasks.requests.elicitation.create``
(for the handlers the client has) plus ``tasks.list`` and ``tasks.cancel``,
runs a task-augmented request's handler as a task in its own
:class:`~mcp_sync.tasks.InMemoryTaskStore`, and answers ``tasks/get``,
``tasks/result``, ``tasks/list`` and ``tasks/cancel`` from the server.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any, Callable, Generic, Iterator, Mapping, TypeVar

from ..errors import INTERNAL_ERROR, INVALID_PARAMS, McpError, RequestTimeout
from ..tasks import extension, legacy
from ..tasks.errors import TaskWaitCancelled
from ..tasks.limits import TaskLimits
from ..tasks.memory import InMemoryTaskStore
from ..tasks.runner import TaskRunner
from ..tasks.status import TERMINAL_STATUSES
from ..tasks.store import TaskStore
from ..types import GetTaskResult, from_wire

if TYPE_CHECKING:
    from ..session import IncomingRequest
    from ..types import CallToolResult
    from .futures import McpFuture

__all__ = ["ClientTaskReceiver", "ModernTask", "RemoteTask", "Task", "TaskPeer"]

log = logging.getLogger("mcp_sync.client")

R = TypeVar("R")

#: Seconds between two ``tasks/get`` when the peer suggests no ``pollInterval``.
DEFAULT_POLL_INTERVAL = 1.0
#: Never poll faster than this (seconds), whatever the peer suggests.
MIN_POLL_INTERVAL = 0.01
#: 2026-07-28 tasks a client remembers for ``list_tasks()`` (the extension has no ``tasks/list``).
MAX_TRACKED_TASKS = 1000


class TaskPeer:
    """How a :class:`RemoteTask` talks to the receiver (the client's or the server's side)."""

    #: Set when the connection ends (wakes every wait).
    closed: threading.Event

    def send(self, method: str, params: dict[str, Any], timeout: float | None,
             convert: Callable[[Any], Any]) -> Future[Any]:  # pragma: no cover - interface
        """Send a request; a future of ``convert(raw result)``."""
        raise NotImplementedError

    def default_timeout(self) -> float | None:  # pragma: no cover - interface
        return None

    def watch_status(self, task_id: str, callback: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        """Call ``callback(params)`` for each ``notifications/tasks/status`` of the task; returns a remover."""
        return lambda: None

    def task_finished(self, task: "RemoteTask[Any]") -> None:
        """The handle saw its task terminal (release per-task state)."""


_DEFAULT: Any = object()


class RemoteTask(Generic[R]):
    """A task the peer runs for us (see the module docstring).

    ``task_id``; ``ttl_ms`` (None = unlimited; ``ttl`` is the same value under
    its old name) and ``poll_interval`` (ms or None) as the receiver set them; ``created_at``; ``immediate_response``
    (the ``io.modelcontextprotocol/model-immediate-response`` the receiver sent
    with the task, or None); ``last``: the most recent status seen.
    """

    @property
    def ttl_ms(self) -> int | None:
        """The retention the receiver chose, in milliseconds (None: unlimited)."""
        return self.ttl

    def __init__(self, peer: TaskPeer, created: Mapping[str, Any], convert: Callable[[Any], R], *,
                 method: str) -> None:
        task = created.get("task") if isinstance(created, Mapping) else None
        if not isinstance(task, Mapping):
            raise McpError(INTERNAL_ERROR, f"the receiver answered a task-augmented {method!r} without a task "
                                   f"(expected a CreateTaskResult): {created!r}")
        self._peer = peer
        self._convert = self._payload(convert)
        self.method = method
        self.last: GetTaskResult = from_wire(GetTaskResult, task_wire(task))
        self.task_id: str = self.last.task_id
        self.ttl: int | None = self.last.ttl
        self.poll_interval: int | None = self.last.poll_interval
        self.created_at: str = self.last.created_at
        meta = created.get("_meta")
        immediate = meta.get(legacy.MODEL_IMMEDIATE_RESPONSE_META) if isinstance(meta, Mapping) else None
        self.immediate_response: str | None = immediate if isinstance(immediate, str) else None
        self._lock = threading.Lock()
        self._result: Future[Any] | None = None
        self._finished = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.task_id} {self.last.status}>"

    @property
    def status_value(self) -> str:
        """The last status seen (no request)."""
        return self.last.status

    @property
    def done(self) -> bool:
        """Whether the last status seen is terminal (no request)."""
        return self.last.status in TERMINAL_STATUSES

    # -- requests --------------------------------------------------------------

    def status(self, *, timeout: float | None = _DEFAULT) -> GetTaskResult:
        """``tasks/get``: the task's current status."""
        snapshot: GetTaskResult = self._wait(self._peer.send("tasks/get", {"taskId": self.task_id},
                                                             self._timeout(timeout), self._snapshot))
        return snapshot

    def cancel(self, *, timeout: float | None = _DEFAULT) -> GetTaskResult:
        """``tasks/cancel``: the task is ``cancelled`` when this returns (-32602 if it had finished)."""
        snapshot: GetTaskResult = self._wait(self._peer.send("tasks/cancel", {"taskId": self.task_id},
                                                             self._timeout(timeout), self._snapshot))
        return snapshot

    def result_future(self) -> Future[Any]:
        """``tasks/result`` without blocking (one request shared by every caller)."""
        with self._lock:
            future = self._result
            if future is not None and not _retry_needed(future):
                return future
            future = self._peer.send("tasks/result", {"taskId": self.task_id}, None, self._convert)
            self._result = future
        future.add_done_callback(self._result_done)
        return future

    def result(self, timeout: float | None = None) -> R:
        """The original request's result, once the task is terminal (``tasks/result``).

        Raises the original :class:`~mcp_sync.errors.McpError` if the request
        failed, -32602 if the task was cancelled, :class:`RequestTimeout` after
        ``timeout`` seconds (the request stays pending for the next call).

        A receiver that answers ``tasks/result`` at once with -32602 while the
        task is still running (instead of blocking, as 2025-11-25 requires;
        FastMCP 3.x does) is accepted: the task is then polled with
        ``tasks/get`` until terminal and its result fetched.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        asked_when_terminal = False
        while True:
            future = self.result_future()
            try:
                value: R = future.result(None if deadline is None else max(0.0, deadline - time.monotonic()))
                return value
            except FutureTimeout:
                raise RequestTimeout(f"task {self.task_id} did not finish within {timeout} s") from None
            except McpError as exc:
                if asked_when_terminal or exc.code != INVALID_PARAMS:
                    raise
                try:
                    snapshot = self.status()
                except McpError:  # unknown, expired...: the first answer stands
                    raise exc from None
                if snapshot.status in TERMINAL_STATUSES:
                    # Terminal now: the answer stands if it was given for the terminal task (a cancelled one
                    # has no result), but it may predate the end: ask once more.
                    asked_when_terminal = True
                self._forget_result(future)
            if not asked_when_terminal:
                log.info("the receiver answered tasks/result for task %s before the task was terminal; polling "
                         "tasks/get until it is", self.task_id)
                for _status in self.watch(timeout=None if deadline is None else max(0.0,
                                                                                     deadline - time.monotonic())):
                    pass
                asked_when_terminal = True

    def _forget_result(self, future: Future[Any]) -> None:
        """Drop a failed ``tasks/result`` answer so that the next result_future() asks again."""
        with self._lock:
            if self._result is future:
                self._result = None

    def wait(self, timeout: float | None = None, *, poll: bool = False) -> GetTaskResult:
        """Block until the task is terminal; return its final status.

        By default this blocks in ``tasks/result``; ``poll=True`` polls
        ``tasks/get`` at the server's ``pollInterval`` instead.
        """
        if poll:
            last = None
            for last in self.watch(timeout=timeout):
                pass
            assert last is not None
            return last
        try:
            self.result(timeout)
        except (McpError, ValueError):
            pass  # failed or cancelled (or a result we cannot read): the status says which
        return self.status()

    def watch(self, *, timeout: float | None = None, interval: float | None = None) -> Iterator[GetTaskResult]:
        """Yield the task's status each time it (or its message) changes, until terminal.

        ``interval`` overrides the receiver's ``pollInterval`` (seconds).
        Raises :class:`RequestTimeout` after ``timeout`` seconds.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        wake = threading.Event()
        remove = self._peer.watch_status(self.task_id, lambda _params: wake.set())
        closed = self._peer.closed
        seen: tuple[Any, ...] | None = None
        asked = False
        try:
            while True:
                wake.clear()
                snapshot = self.status()
                key = (snapshot.status, snapshot.status_message)
                if key != seen:
                    seen = key
                    yield snapshot
                if snapshot.status in TERMINAL_STATUSES:
                    return
                if snapshot.status == "input_required" and not asked:  # let the receiver ask on a tasks/result stream
                    asked = True
                    self.result_future().add_done_callback(lambda _f: wake.set())
                pause = interval
                if pause is None:
                    ms = snapshot.poll_interval if snapshot.poll_interval is not None else self.poll_interval
                    pause = ms / 1000.0 if ms is not None else DEFAULT_POLL_INTERVAL
                pause = max(pause, MIN_POLL_INTERVAL)
                if deadline is not None:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise RequestTimeout(f"task {self.task_id} did not finish within {timeout} s")
                    pause = min(pause, remaining)
                if closed.is_set():
                    self.status()  # raises the connection's error
                wake.wait(pause)  # the peer's pollInterval; a status notification or the close wakes it
        finally:
            remove()

    # -- internals -------------------------------------------------------------

    def _payload(self, convert: Callable[[Any], R]) -> Callable[[Any], R]:
        def checked(raw: Any) -> R:
            if isinstance(raw, Mapping) and not (set(raw) - {"_meta"}):  # some receivers' answer for a
                raise McpError(INVALID_PARAMS, f"the receiver sent no result for task {self.task_id} "  # cancelled task
                                               f"(it was probably cancelled)")
            return convert(raw)
        return checked

    def _timeout(self, timeout: Any) -> float | None:
        return self._peer.default_timeout() if timeout is _DEFAULT else timeout

    @staticmethod
    def _wait(future: Future[Any]) -> Any:
        try:
            return future.result()
        except BaseException:
            if not future.done():
                future.cancel()
            raise

    def _snapshot(self, raw: Any) -> GetTaskResult:
        snapshot = from_wire(GetTaskResult, task_wire(raw))
        self._seen(snapshot)
        return snapshot

    def _seen(self, snapshot: GetTaskResult) -> None:
        self.last = snapshot
        if snapshot.status in TERMINAL_STATUSES:
            self._finish()

    def _result_done(self, future: Future[Any]) -> None:
        if future.cancelled():
            return
        exc = future.exception()
        if isinstance(exc, McpError) and exc.code == INVALID_PARAMS and self.last.status not in TERMINAL_STATUSES:
            return  # maybe a receiver answering before the task ended (see result()): tasks/get will tell
        if exc is None or isinstance(exc, (McpError, ValueError)):
            self._finish()

    def _finish(self) -> None:
        with self._lock:
            if self._finished:
                return
            self._finished = True
        self._peer.task_finished(self)


def task_wire(raw: Any) -> dict[str, Any]:
    """A received Task object, tolerating a missing ``ttl`` (some peers drop a null one): ``None``."""
    task = dict(raw)
    task.setdefault("ttl", None)
    return task


def lenient(cls: type) -> Callable[[Any], Any]:
    """A converter of a task result (``GetTaskResult``, ``ListTasksResult``...) tolerating a missing ``ttl``."""
    def convert(raw: Any) -> Any:
        if isinstance(raw, Mapping):
            raw = task_wire(raw) if "taskId" in raw else dict(raw)
            if isinstance(raw.get("tasks"), list):
                raw["tasks"] = [task_wire(t) if isinstance(t, Mapping) else t for t in raw["tasks"]]
        return from_wire(cls, raw)
    return convert


def _retry_needed(future: Future[Any]) -> bool:
    """A ``tasks/result`` future that ended without an answer from the receiver."""
    if not future.done():
        return False
    if future.cancelled():
        return True
    exc = future.exception()
    return exc is not None and not isinstance(exc, (McpError, ValueError))


class Task(RemoteTask["CallToolResult"]):
    """A tool call the server runs as a task (``client.call_tool_as_task``).

    ``result()`` is the :class:`~mcp_sync.types.CallToolResult` (a tool failure
    is a result with ``is_error``, and its task's status is ``failed``).
    """


# -- the client's side of the requestor role ------------------------------------------


class ClientTaskPeer(TaskPeer):
    """The client as requestor: requests go through the client; status notifications wake watchers."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.closed = client.session.closed
        self._lock = threading.Lock()
        self._watchers: dict[str, list[Callable[[dict[str, Any]], None]]] = {}
        #: Result futures of modern tasks being polled (failed when the connection ends).
        self._pending: set[Future[Any]] = set()
        self._progress: dict[str, tuple[str | None, Callable[..., Any]]] = {}  # token -> (task id, callback)
        #: 2026-07-28 tasks this client created, oldest first (``list_tasks()`` answers from them).
        self._modern_tasks: dict[str, "ModernTask"] = {}
        self._tokens = itertools.count(1)
        client.session.on_close(self._closed)

    def _closed(self, _error: Any) -> None:
        with self._lock:
            callbacks = [c for cs in self._watchers.values() for c in cs]
            self._progress.clear()
            self._modern_tasks.clear()
            pending, self._pending = self._pending, set()
        for callback in callbacks:  # wake every watch() now
            callback({})
        error = self.close_error()
        for future in pending:  # modern tasks being polled: no more answers will come
            _fail(future, error)

    def remember(self, task: "ModernTask") -> None:
        """Track a 2026-07-28 task this client created (the extension has no ``tasks/list``)."""
        if task.task_id is None:
            return
        with self._lock:
            if not self.closed.is_set():
                self._modern_tasks[task.task_id] = task
                while len(self._modern_tasks) > MAX_TRACKED_TASKS:  # the oldest go first
                    del self._modern_tasks[next(iter(self._modern_tasks))]

    def forget(self, task_id: str) -> None:
        with self._lock:
            self._modern_tasks.pop(task_id, None)

    def tracked(self, task_id: str | None = None) -> Any:
        """Every tracked 2026-07-28 task (oldest first), or the one with ``task_id`` (None if unknown)."""
        with self._lock:
            if task_id is None:
                return list(self._modern_tasks.values())
            return self._modern_tasks.get(task_id)

    def close_error(self) -> BaseException:
        from ..errors import ConnectionClosed

        return self._client.session.close_error or ConnectionClosed("client closed")

    def track(self, future: Future[Any]) -> None:
        """Fail ``future`` (a modern task's result) if the connection ends before it is done."""
        with self._lock:
            tracked = not self.closed.is_set()
            if tracked:
                self._pending.add(future)
        if tracked:
            future.add_done_callback(self._untrack)
        else:
            _fail(future, self.close_error())

    def _untrack(self, future: Future[Any]) -> None:
        with self._lock:
            self._pending.discard(future)

    def send(self, method: str, params: dict[str, Any], timeout: float | None, convert: Callable[[Any], Any],
             *, with_tasks: bool = False) -> Future[Any]:
        future: Future[Any] = self._client._call(method, params, convert, timeout, with_tasks=with_tasks)
        return future

    def default_timeout(self) -> float | None:
        timeout: float | None = self._client.timeout
        return timeout

    def watch_status(self, task_id: str, callback: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        with self._lock:
            self._watchers.setdefault(task_id, []).append(callback)

        def remove() -> None:
            with self._lock:
                callbacks = self._watchers.get(task_id)
                if callbacks is not None and callback in callbacks:
                    callbacks.remove(callback)
                    if not callbacks:
                        del self._watchers[task_id]
        return remove

    def task_finished(self, task: RemoteTask[Any]) -> None:
        with self._lock:
            for token in [t for t, (tid, _) in self._progress.items() if tid == task.task_id]:
                del self._progress[token]

    # -- progress of task-augmented calls ------------------------------------------

    def progress_token(self, callback: Callable[..., Any]) -> str:
        token = f"mcp-sync-task-progress-{next(self._tokens)}"
        with self._lock:
            self._progress[token] = (None, callback)
        return token

    def bind_progress(self, token: str, task_id: str) -> None:
        with self._lock:
            entry = self._progress.get(token)
            if entry is not None:
                self._progress[token] = (task_id, entry[1])

    def drop_progress(self, token: str) -> None:
        with self._lock:
            self._progress.pop(token, None)

    # -- notifications (called on the client's notification thread) -----------------

    def on_notification(self, method: str, params: dict[str, Any] | None) -> bool:
        """Handle task-related notifications; True when consumed."""
        if not isinstance(params, dict):
            return False
        if method == "notifications/progress":
            token = params.get("progressToken")
            with self._lock:
                entry = self._progress.get(token) if isinstance(token, str) else None
            if entry is None:
                return False
            progress = params.get("progress")
            if isinstance(progress, (int, float)):
                entry[1](progress, params.get("total"), params.get("message"))
            return True
        if method in ("notifications/tasks/status", "notifications/tasks"):  # 2025-11-25 / the extension
            task_id = params.get("taskId")
            with self._lock:
                callbacks = list(self._watchers.get(task_id, ())) if isinstance(task_id, str) else []
            for callback in callbacks:
                callback(params)
        return False


# -- the client as receiver ----------------------------------------------------------------


class ClientTaskReceiver:
    """Runs the client's sampling/elicitation handlers as tasks when the server asks for it.

    ``config``: True (default :class:`~mcp_sync.tasks.TaskLimits`), a
    ``TaskLimits``, or a :class:`~mcp_sync.tasks.TaskStore`. The client has a
    single requestor (its server), so tasks are not bound to owners.
    """

    def __init__(self, client: Any, config: Any = True) -> None:
        if isinstance(config, TaskStore):
            store, self._owned = config, None
        elif config is True or isinstance(config, TaskLimits):
            store = InMemoryTaskStore(config if isinstance(config, TaskLimits) else None)
            self._owned = store
        else:
            raise TypeError(f"tasks must be True, a TaskLimits or a TaskStore, not {type(config).__name__}")
        self._client = client
        self.store: TaskStore = store
        self.runner = TaskRunner(store, max_workers=8)

    @staticmethod
    def capability(declared: Mapping[str, Any]) -> dict[str, Any]:
        """The ``tasks`` client capability for the handlers ``declared``."""
        requests: dict[str, Any] = {}
        if "sampling" in declared:
            requests["sampling"] = {"createMessage": {}}
        if "elicitation" in declared:
            requests["elicitation"] = {"create": {}}
        return {"list": {}, "cancel": {}, "requests": requests}

    def handle(self, request: "IncomingRequest", answer: Callable[["IncomingRequest"], Any]) -> Any:
        """Answer a ``tasks/*`` request, or run a task-augmented request as a task.

        ``answer(request)`` runs the request normally. Returns the result, or
        :data:`NOT_HANDLED` for a request that is not the receiver's business.
        """
        method = request.method
        params = request.params
        if method == "tasks/get":
            return legacy.get_task(self.store, None, params)
        if method == "tasks/result":
            try:
                return legacy.get_task_result(self.store, None, params, cancel=request.cancelled)
            except TaskWaitCancelled:
                raise McpError(INTERNAL_ERROR, "tasks/result was cancelled") from None
        if method == "tasks/list":
            return legacy.list_tasks(self.store, None, params)
        if method == "tasks/cancel":
            return legacy.cancel_task(self.store, None, params)
        if method in ("sampling/createMessage", "elicitation/create") and legacy.is_task_augmented(params):
            ttl = legacy.requested_ttl(params)
            record = self.runner.submit(lambda _context: answer(request), owner=None, method=method, ttl_ms=ttl)
            return legacy.create_task_result(record)
        return NOT_HANDLED

    def close(self) -> None:
        self.runner.close(cancel_running=True)
        if self._owned is not None:
            self._owned.close()


#: Returned by :meth:`ClientTaskReceiver.handle` for requests it does not answer.
NOT_HANDLED: Any = object()


# -- client requests (used by Client and its nowait twin) --------------------------------------


def call_tool_as_task(client: Any, name: str, arguments: Mapping[str, Any] | None, *, ttl: int | None,
                      timeout: Any, progress: Callable[..., Any] | None, meta: dict[str, Any] | None) -> McpFuture[Any]:
    """``tools/call`` with ``task``: an :class:`~mcp_sync.client.McpFuture` of a :class:`Task`."""
    from ..errors import CapabilityError
    from ..protocol import capabilities as caps
    from .futures import McpFuture

    if ttl is not None and (not isinstance(ttl, int) or isinstance(ttl, bool) or ttl < 0):
        raise ValueError("ttl must be a non-negative number of milliseconds (or None)")
    client._require_open()
    if not caps.has_capability(client._server_caps, "tasks", "requests", "tools", "call"):
        future: McpFuture[Any] = McpFuture("tools/call")
        version = client.protocol_version
        if version is not None and version > "2025-11-25":
            why = (f"this session speaks {version}, which has no core tasks (they are a 2025-11-25 feature; "
                   f"open the client with protocol_version='2025-11-25')")
        else:
            why = "the server did not declare the 'tasks.requests.tools.call' capability"
        future.fail(CapabilityError(f"{why}, so tools cannot be called as tasks"))
        return future
    params: dict[str, Any] = {"name": name, "task": {} if ttl is None else {"ttl": ttl}}
    if arguments is not None:
        if not isinstance(arguments, Mapping):
            raise TypeError(f"tool arguments must be a mapping, not {type(arguments).__name__}")
        params["arguments"] = dict(arguments)
    peer: ClientTaskPeer = client._task_peer
    token = None
    if progress is not None:
        token = peer.progress_token(client._progress_hook(progress))
        meta = {**(meta or {}), "progressToken": token}

    def make(raw: Any) -> Task:
        try:
            task = Task(peer, raw, lambda result: client._tool_result(name, result), method="tools/call")
        except BaseException:
            if token is not None:
                peer.drop_progress(token)
            raise
        if token is not None:
            peer.bind_progress(token, task.task_id)
        return task

    outer: McpFuture[Any] = client._call("tools/call", params, make, timeout, None, meta)
    if token is not None:
        outer.add_done_callback(lambda f: peer.drop_progress(token) if f.cancelled() or f.exception() else None)
    return outer


def call_tool_via_task(client: Any, name: str, arguments: Mapping[str, Any] | None, *, timeout: Any,
                       progress: Callable[..., Any] | None, meta: dict[str, Any] | None) -> McpFuture[Any]:
    """A plain call of a tool that requires tasks: create the task, then ``tasks/result``.

    The future's ``cancel()`` also cancels the task on the server.
    """
    from .futures import McpFuture

    outer: McpFuture[Any] = McpFuture("tools/call")
    created = call_tool_as_task(client, name, arguments, ttl=None, timeout=timeout, progress=progress, meta=meta)
    # Cancelling ``outer`` must cancel the task, even when the CreateTaskResult is still on its
    # way: the creating request is left to finish (cancelling it would lose the task id) and
    # whichever of the two callbacks runs second sends tasks/cancel.
    lock = threading.Lock()
    state: dict[str, Any] = {"task": None, "cancelled": False}

    def cancel_on_server(task: Task) -> None:
        if task.done:
            return
        try:
            task._peer.send("tasks/cancel", {"taskId": task.task_id}, client.timeout, lambda raw: raw)
        except Exception:  # closing: nothing to cancel any more
            pass

    def on_created(done: Future[Any]) -> None:
        if done.cancelled():
            outer.cancel()
            return
        exc = done.exception()
        if exc is not None:
            outer.fail(exc)
            return
        task: Task = done.result()
        with lock:
            state["task"] = task
            cancelled = state["cancelled"]
        if cancelled:
            cancel_on_server(task)
            return
        outer.follow(task.result_future(), lambda result: result)

    def on_outer(done: Future[Any]) -> None:
        if not done.cancelled():
            return
        with lock:
            state["cancelled"] = True
            task = state["task"]
        if task is not None:
            cancel_on_server(task)

    outer.add_done_callback(on_outer)
    created.add_done_callback(on_created)
    return outer


def call_tool_learning_support(client: Any, name: str, params: dict[str, Any], *, timeout: Any, progress: Callable[..., Any] | None,
                               meta: dict[str, Any] | None) -> McpFuture[Any]:
    """A legacy ``tools/call`` of a tool no listing has described yet, on a server with task tools.

    Sent plainly; if the server refuses it with -32601 (what 2025-11-25 answers
    for a ``taskSupport: "required"`` tool called without ``task``), the tools
    are listed once and a ``required`` tool is run as a task
    (:func:`call_tool_via_task`), as it would have been after a ``list_tools()``.
    Any other error is raised as it came.
    """
    from ..errors import METHOD_NOT_FOUND
    from .futures import McpFuture

    outer: McpFuture[Any] = McpFuture("tools/call")
    first = client._call("tools/call", params, _identity, timeout, progress, meta)

    def on_outer(done: Future[Any]) -> None:
        if done.cancelled() and not first.done():
            first.cancel()

    def on_first(done: Future[Any]) -> None:
        if outer.done():
            return
        if done.cancelled():
            outer.cancel()
            return
        exc = done.exception()
        if exc is None:
            try:
                outer.set_result(client._tool_result(name, done.result()))
            except BaseException as error:
                outer.fail(error)
            return
        if not isinstance(exc, McpError) or exc.code != METHOD_NOT_FOUND or name in client._task_support:
            outer.fail(exc)
            return
        try:
            listing = client.nowait.list_tools(timeout=timeout)
        except BaseException:
            outer.fail(exc)
            return

        def on_listing(listed: Future[Any]) -> None:
            if outer.done():
                return
            if listed.cancelled() or listed.exception() is not None or \
                    client._task_support.get(name) != "required":
                outer.fail(exc)
                return
            outer.follow(call_tool_via_task(client, name, params.get("arguments"), timeout=timeout,
                                            progress=progress, meta=meta), _identity)

        listing.add_done_callback(on_listing)

    outer.add_done_callback(on_outer)
    first.add_done_callback(on_first)
    return outer


# -- 2026-07-28: the io.modelcontextprotocol/tasks extension (SEP-2663) -------------------------------


def _identity(raw: Any) -> Any:
    return raw


def modern_snapshot(raw: Mapping[str, Any]) -> GetTaskResult:
    """A ``CreateTaskResult`` / ``DetailedTask`` of the extension as the :class:`GetTaskResult` handles show.

    ``ttlMs`` becomes ``ttl`` and ``pollIntervalMs`` ``poll_interval`` (both
    milliseconds, as in 2025-11-25); what the status carries (``result``,
    ``error``, ``inputRequests``) stays in the raw object.
    """
    task = _legacy_shape(raw)
    if isinstance(raw.get("_meta"), Mapping):
        task["_meta"] = dict(raw["_meta"])
    return from_wire(GetTaskResult, task)


def _legacy_shape(raw: Any) -> dict[str, Any]:
    """The Task fields of an extension task, named as on the 2025-11-25 wire (``ttlMs`` -> ``ttl``...)."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("taskId"), str):
        raise McpError(INTERNAL_ERROR, f"the server sent a task without a taskId: {raw!r}")
    task: dict[str, Any] = {k: raw[k] for k in ("taskId", "status", "statusMessage", "createdAt", "lastUpdatedAt")
                            if k in raw}
    ttl = raw.get("ttlMs")
    task["ttl"] = ttl if isinstance(ttl, int) and not isinstance(ttl, bool) else None
    poll = raw.get("pollIntervalMs")
    if isinstance(poll, int) and not isinstance(poll, bool):
        task["pollInterval"] = poll
    return task


def is_task_result(raw: Any) -> bool:
    """Whether a modern result is a task handle (``resultType: "task"``)."""
    return isinstance(raw, Mapping) and raw.get("resultType") == "task"


class ModernTask(Task):
    """A :class:`Task` on the 2026-07-28 wire (the ``io.modelcontextprotocol/tasks`` extension).

    Same methods as in the legacy era; underneath:

    * ``status()``: ``tasks/get`` (a ``DetailedTask``); when it shows
      ``input_required``, the client's handlers answer the new
      ``inputRequests`` on a worker thread and send them with ``tasks/update``
      (each key once for the task's life);
    * ``result()`` / ``wait()`` / ``result_future()``: there is no
      ``tasks/result``: ``tasks/get`` every ``pollIntervalMs`` (1 s when the
      server suggests none) until the task is terminal, answering inputs on
      the way; ``completed`` gives the inlined result (a tool result with
      ``isError`` is a *completed* task here), ``failed`` raises its JSON-RPC
      error as :class:`~mcp_sync.errors.McpError`, ``cancelled`` raises
      McpError -32602 (no result);
    * ``cancel()``: ``tasks/cancel`` (an empty acknowledgement: cancellation is
      cooperative), then the status as ``tasks/get`` shows it (``cancelled``
      when the server already forgot the task);
    * ``watch()``: as in the legacy era, paced by ``pollIntervalMs``.

    A server may answer a tools/call at once instead of creating a task: then
    ``task_id`` is None and the handle is already ``completed`` (nothing is
    sent for it).
    """

    _peer: ClientTaskPeer  # the client's peer (track, close_error, send with_tasks)

    def __init__(self, peer: "ClientTaskPeer", created: Mapping[str, Any], convert: Callable[[Any], Any], *,
                 support: Any, method: str = "tools/call", progress: Callable[..., Any] | None = None,
                 log: Callable[[dict[str, Any]], None] | None = None) -> None:
        self._peer = peer
        self._support = support
        #: ``progress(progress, total, message)`` for the progress an mcp_sync server carries in ``_meta``.
        self._on_progress = progress
        #: ``log(params)`` for the log messages an mcp_sync server carries in ``_meta``.
        self._on_log = log
        self._seen_counts: dict[str, int] = {}
        self._convert = convert
        self.method = method
        self._lock = threading.Lock()
        self._result: Future[Any] | None = None
        self._finished = False
        self._answered: set[str] = set()
        #: The last ``DetailedTask`` received (what ``last`` shows, plus result/error/inputRequests).
        self._detail: dict[str, Any] = {}
        self._local_result: Any = None
        if is_task_result(created):
            self.last = modern_snapshot(created)
            self._detail = dict(created)
        else:  # answered at once: a completed handle that asks the server nothing
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            self.last = from_wire(GetTaskResult, {"taskId": "", "status": "completed", "createdAt": now,
                                                  "lastUpdatedAt": now, "ttl": None})
            self._detail = {"status": "completed", "result": dict(created)}
        self.task_id = self.last.task_id if is_task_result(created) else None  # type: ignore[assignment]
        self.ttl = self.last.ttl
        self.poll_interval = self.last.poll_interval
        self.created_at = self.last.created_at
        meta = created.get("_meta") if isinstance(created, Mapping) else None
        immediate = meta.get(legacy.MODEL_IMMEDIATE_RESPONSE_META) if isinstance(meta, Mapping) else None
        self.immediate_response = immediate if isinstance(immediate, str) else None
        if self.task_id is None:
            self._finished = True

    # -- requests --------------------------------------------------------------

    def _send(self, method: str, timeout: float | None, params: Mapping[str, Any] | None = None) -> Future[Any]:
        return self._peer.send(method, {"taskId": self.task_id, **(params or {})}, timeout, _identity,
                               with_tasks=True)

    def status(self, *, timeout: float | None = _DEFAULT) -> GetTaskResult:
        """``tasks/get``: the task's current status (inputs it asks for are answered in the background)."""
        if self.task_id is None:
            return self.last
        raw = self._wait(self._send("tasks/get", self._timeout(timeout)))
        snapshot = self._absorb(raw)
        if snapshot.status == "input_required" and self._new_inputs(raw):
            self._support.submit(self._answer_logged, raw)
        return snapshot

    def cancel(self, *, timeout: float | None = _DEFAULT) -> GetTaskResult:
        """``tasks/cancel``, then the status the server shows (cancellation is cooperative)."""
        if self.task_id is None:
            return self.last
        wait = self._timeout(timeout)
        finished = self.last.status in TERMINAL_STATUSES and self.last.status != "cancelled"
        self._wait(self._send("tasks/cancel", wait))
        try:
            snapshot = self.status(timeout=wait)
        except McpError as exc:
            if exc.code != INVALID_PARAMS:
                raise
        else:
            if finished or snapshot.status in ("completed", "failed"):  # what 2025-11-25 answers
                raise McpError(INVALID_PARAMS, f"Cannot cancel task: already in terminal status "
                                               f"'{snapshot.status}'")
            return snapshot
        snapshot = from_wire(GetTaskResult, {**task_wire(_wire_of(self.last)), "status": "cancelled"})
        self._seen(snapshot)  # the server dropped it already
        return snapshot

    def result_future(self) -> Future[Any]:
        """The result without blocking: ``tasks/get`` every ``pollIntervalMs`` until terminal (one poller)."""
        with self._lock:
            future = self._result
            if future is not None and not _retry_needed(future):
                return future
            future = Future()
            self._result = future
        future.add_done_callback(self._result_done)
        if self.task_id is None:
            self._settle(future, self._detail)
            return future
        if self.last.status in TERMINAL_STATUSES and self._terminal_detail(self._detail):
            self._settle(future, self._detail)
            return future
        self._peer.track(future)
        self._poll(future)
        return future

    def wait(self, timeout: float | None = None, *, poll: bool = True) -> GetTaskResult:
        """Block until the task is terminal (polling ``tasks/get``); return its final status."""
        try:
            self.result(timeout)
        except (McpError, ValueError):
            pass  # failed or cancelled (or a result we cannot read): the status says which
        return self.last

    # -- the poller ------------------------------------------------------------

    def _poll(self, future: Future[Any]) -> None:
        if future.done():
            return
        try:
            inner = self._send("tasks/get", self._peer.default_timeout())
        except BaseException as exc:
            _fail(future, exc)
            return
        inner.add_done_callback(lambda done: self._polled(future, done))

    def _polled(self, future: Future[Any], done: Future[Any]) -> None:
        if future.done():
            return
        if done.cancelled():
            _fail(future, self._peer.close_error())
            return
        exc = done.exception()
        if exc is not None:
            _fail(future, exc)
            return
        raw = done.result()
        try:
            snapshot = self._absorb(raw)
        except BaseException as error:
            _fail(future, error)
            return
        if snapshot.status in TERMINAL_STATUSES:
            self._settle(future, raw)
            return
        if snapshot.status == "input_required" and self._new_inputs(raw):
            if not self._support.submit(self._answer_then_poll, future, raw):
                _fail(future, self._peer.close_error())
            return
        if not self._support.after(self._pause(snapshot), self._poll, future):
            _fail(future, self._peer.close_error())

    def _answer_then_poll(self, future: Future[Any], raw: Mapping[str, Any]) -> None:
        try:
            self._answer(raw)
        except BaseException as exc:
            _fail(future, exc)
            return
        self._poll(future)  # at once: the answers may have moved the task on

    def _pause(self, snapshot: GetTaskResult) -> float:
        ms = snapshot.poll_interval if snapshot.poll_interval is not None else self.poll_interval
        return max(ms / 1000.0 if ms is not None else DEFAULT_POLL_INTERVAL, MIN_POLL_INTERVAL)

    def _settle(self, future: Future[Any], raw: Mapping[str, Any]) -> None:
        status = raw.get("status")
        try:
            if status == "completed":
                result = raw.get("result")
                if not isinstance(result, Mapping):
                    raise McpError(INTERNAL_ERROR, f"the server sent completed task {self.task_id} without its "
                                                   "result")
                value = self._convert(dict(result))
            elif status == "failed":
                error = raw.get("error")
                raise McpError.from_error(dict(error) if isinstance(error, Mapping) else
                                          {"code": INTERNAL_ERROR, "message": f"task {self.task_id} failed"})
            else:
                raise McpError(INVALID_PARAMS, f"task {self.task_id} was cancelled: it has no result")
        except BaseException as exc:
            _fail(future, exc)
            return
        try:
            future.set_result(value)
        except Exception:  # cancelled meanwhile
            pass

    # -- inputs ---------------------------------------------------------------

    def _new_inputs(self, raw: Mapping[str, Any]) -> bool:
        requests = raw.get("inputRequests")
        if not isinstance(requests, Mapping):
            return False
        with self._lock:
            return any(key not in self._answered for key in requests)

    def _answer(self, raw: Mapping[str, Any]) -> None:
        """Answer the ``inputRequests`` not answered yet and send them with ``tasks/update``."""
        requests = raw.get("inputRequests")
        if not isinstance(requests, Mapping):
            return
        with self._lock:  # claim the keys: a concurrent status()/watch() must not answer them again
            keys = [key for key in requests if key not in self._answered]
            self._answered.update(keys)
        if not keys:
            return
        responses = {key: self._support.answer(key, requests[key]) for key in keys}
        self._wait(self._send("tasks/update", self._peer.default_timeout(), {"inputResponses": responses}))

    def _answer_logged(self, raw: Mapping[str, Any]) -> None:
        try:
            self._answer(raw)
        except Exception:
            log.exception("answering the input requests of task %s failed", self.task_id)

    # -- bookkeeping -----------------------------------------------------------

    def _absorb(self, raw: Any) -> GetTaskResult:
        if not isinstance(raw, Mapping):
            raise McpError(INTERNAL_ERROR, f"the server answered tasks/get with {raw!r}")
        snapshot = modern_snapshot(raw)
        with self._lock:
            self._detail = dict(raw)
            events = self._new_progress(raw)
            logs = self._new_carried(raw, extension.LOGS_META) if self._on_log is not None else []
        for event in events:  # before the status is seen: a result never overtakes its progress
            self._on_progress(*event)  # type: ignore[misc]
        for params in logs:
            if isinstance(params, Mapping):
                self._on_log(dict(params))  # type: ignore[misc]
        if snapshot.poll_interval is not None:
            self.poll_interval = snapshot.poll_interval
        if "ttlMs" in raw:
            self.ttl = snapshot.ttl
        self._seen(snapshot)
        return snapshot

    def _new_progress(self, raw: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """The progress events in ``raw``'s ``_meta`` not reported yet (under the lock)."""
        if self._on_progress is None:
            return []
        events = []
        for event in self._new_carried(raw, extension.PROGRESS_META):
            if isinstance(event, Mapping) and isinstance(event.get("progress"), (int, float)):
                events.append((event["progress"], event.get("total"), event.get("message")))
        return events

    def _new_carried(self, raw: Mapping[str, Any], key: str) -> list[Any]:
        """The items of ``raw``'s ``_meta[key]`` (``{"count", "recent"}``) not seen yet (under the lock)."""
        meta = raw.get("_meta")
        carried = meta.get(key) if isinstance(meta, Mapping) else None
        if not isinstance(carried, Mapping):
            return []
        count, recent = carried.get("count"), carried.get("recent")
        seen = self._seen_counts.get(key, 0)
        if not isinstance(count, int) or not isinstance(recent, list) or count <= seen:
            return []
        self._seen_counts[key] = count
        return recent[-(count - seen):]

    @staticmethod
    def _terminal_detail(raw: Mapping[str, Any]) -> bool:
        status = raw.get("status")
        return (status == "completed" and "result" in raw) or (status == "failed" and "error" in raw) or \
            status == "cancelled"


def _wire_of(snapshot: GetTaskResult) -> dict[str, Any]:
    from ..types import to_wire

    return to_wire(snapshot)


def _fail(future: Future[Any], exc: BaseException) -> None:
    if not future.done():
        try:
            future.set_exception(exc)
        except Exception:  # finished meanwhile
            pass


def modern_call_tool(client: Any, name: str, arguments: Mapping[str, Any] | None, *, as_task: bool,
                     timeout: Any, progress: Callable[..., Any] | None, meta: dict[str, Any] | None) -> McpFuture[Any]:
    """``tools/call`` on the 2026-07-28 wire: a future of the CallToolResult, or (``as_task``) of a Task.

    The request declares the tasks extension when the client was configured
    with ``tasks=`` or ``as_task``; a task the server answers with is polled
    to its end for a plain call (its result is the call's result). A tool that
    can only run as a task (-32021 naming the extension) is asked again
    declaring it (:class:`~mcp_sync.client.modern.ModernCall`).
    """
    from ..errors import CapabilityError
    from .futures import MORE, McpFuture

    support = client._modern
    outer: McpFuture[Any] = McpFuture("tools/call")
    if as_task and not support.server_has_tasks():
        outer.fail(CapabilityError("the server did not declare the 'io.modelcontextprotocol/tasks' extension "
                                   "(2026-07-28 has no core tasks as 2025-11-25 had), so tools cannot be called "
                                   "as tasks"))
        return outer
    params: dict[str, Any] = {"name": name}
    if arguments is not None:
        if not isinstance(arguments, Mapping):
            raise TypeError(f"tool arguments must be a mapping, not {type(arguments).__name__}")
        params["arguments"] = dict(arguments)
    peer: ClientTaskPeer = client._task_peer
    state: dict[str, Any] = {}
    hook = client._progress_hook(progress) if progress is not None else None
    log = client._task_log_hook()

    def convert(result: Any) -> Any:
        return client._tool_result(name, result)

    def on_raw(raw: Any) -> Any:
        if as_task:
            task = ModernTask(peer, raw, convert, support=support, progress=hook, log=log)
            peer.remember(task)
            return task
        if not is_task_result(raw):
            return convert(raw)
        task = ModernTask(peer, raw, convert, support=support, progress=hook, log=log)
        peer.remember(task)
        state["task"] = task
        outer.follow(task.result_future(), _identity)
        return MORE

    def on_outer(done: Future[Any]) -> None:
        task = state.get("task")
        if done.cancelled() and task is not None and not task.done:
            try:
                task._send("tasks/cancel", client.timeout)
            except Exception:  # closing: nothing to cancel any more
                pass

    inner = client._call("tools/call", params, _identity, timeout, progress, meta, with_tasks=as_task)
    outer.add_done_callback(on_outer)
    outer.follow(inner, on_raw)
    return outer


def modern_get_task(client: Any, task_id: str, timeout: Any) -> McpFuture[Any]:
    """``tasks/get`` of the extension as a :class:`GetTaskResult` (``ttlMs`` -> ``ttl``...)."""
    future: McpFuture[Any] = client._call("tasks/get", {"taskId": task_id}, modern_snapshot, timeout, with_tasks=True)
    return future


def _call_tool_result(raw: Any) -> Any:
    from ..types import CallToolResult

    return from_wire(CallToolResult, raw)


def legacy_task_result(task_id: str) -> Callable[[Any], Any]:
    """The converter of a 2025-11-25 ``tasks/result`` of a tool call: a CallToolResult
    (-32602 when the receiver sent no result, i.e. the task was cancelled)."""
    def convert(raw: Any) -> Any:
        if isinstance(raw, Mapping) and not (set(raw) - {"_meta"}):
            raise McpError(INVALID_PARAMS, f"the receiver sent no result for task {task_id} "
                                           f"(it was probably cancelled)")
        return _call_tool_result(raw)
    return convert


def modern_get_task_result(client: Any, task_id: str, timeout: float | None) -> McpFuture[Any]:
    """``get_task_result`` on 2026-07-28 (no ``tasks/result``): poll ``tasks/get`` to the end, as
    :meth:`ModernTask.result` does; a CallToolResult, as in 2025-11-25."""
    from .futures import McpFuture

    peer: ClientTaskPeer = client._task_peer
    outer: McpFuture[Any] = McpFuture("tasks/get")
    task = peer.tracked(task_id)
    if task is not None:
        inner = task.result_future()
    else:  # a task this client did not create (or forgot): its handle from a first tasks/get
        inner = Future()

        def on_get(done: Future[Any]) -> None:
            error = None if done.cancelled() else done.exception()
            if done.cancelled() or error is not None:
                _fail(inner, error if error is not None else peer.close_error())
                return
            raw = done.result()
            try:
                handle = ModernTask(peer, {**raw, "resultType": "task"}, _call_tool_result,
                                    support=client._modern)
                handle.result_future().add_done_callback(lambda f: _copy(f, inner))
            except BaseException as exc:
                _fail(inner, exc)

        client._call("tasks/get", {"taskId": task_id}, _identity, client.timeout,
                     with_tasks=True).add_done_callback(on_get)
    outer.follow(inner, _identity)
    if timeout is not None:
        def expire() -> None:
            if not outer.done():
                outer.fail(RequestTimeout(f"task {task_id} did not finish within {timeout} s"))
        if not client._modern.after(timeout, expire):
            outer.fail(peer.close_error())
    return outer


def _copy(source: Future[Any], target: Future[Any]) -> None:
    error = None if source.cancelled() else source.exception()
    if source.cancelled():
        target.cancel()
    elif error is not None:
        _fail(target, error)
    else:
        try:
            target.set_result(source.result())
        except Exception:
            pass


def modern_list_tasks(client: Any, timeout: Any) -> McpFuture[Any]:
    """``list_tasks`` on 2026-07-28 (the extension has no ``tasks/list``): the tasks this client created
    and still tracks, each refreshed with ``tasks/get``; a task the server no longer knows (-32602) is
    dropped. The same ``list[Task]`` as in 2025-11-25, oldest first."""
    from ..types import Task as TaskInfo
    from .futures import McpFuture

    peer: ClientTaskPeer = client._task_peer
    outer: McpFuture[Any] = McpFuture("tasks/list")
    tasks = peer.tracked()
    if not tasks:
        outer.set_result([])
        return outer
    lock = threading.Lock()
    answers: dict[str, Any] = {}

    def on_get(task_id: str, done: Future[Any]) -> None:
        if done.cancelled():
            outer.cancel()
            return
        exc = done.exception()
        if exc is not None and not (isinstance(exc, McpError) and exc.code == INVALID_PARAMS):
            outer.fail(exc)
            return
        if exc is not None:
            peer.forget(task_id)
        with lock:
            answers[task_id] = None if exc is not None else done.result()
            complete = len(answers) == len(tasks)
        if complete and not outer.done():
            try:
                listing = [from_wire(TaskInfo, _legacy_shape(answers[t.task_id])) for t in tasks
                           if answers[t.task_id] is not None]
            except BaseException as error:
                outer.fail(error)
                return
            try:
                outer.set_result(listing)
            except Exception:
                pass

    for task in tasks:
        task_id = task.task_id
        inner = client._call("tasks/get", {"taskId": task_id}, _identity, timeout, with_tasks=True)
        inner.add_done_callback(lambda done, task_id=task_id: on_get(task_id, done))
    return outer


def modern_cancel_task(client: Any, task_id: str, timeout: Any) -> McpFuture[Any]:
    """``cancel_task`` on 2026-07-28: ``tasks/cancel`` (an empty acknowledgement), then ``tasks/get``;
    a ``CancelTaskResult`` as in 2025-11-25, and its -32602 for a task that had already finished."""
    from ..types import CancelTaskResult
    from .futures import MORE, McpFuture

    outer: McpFuture[Any] = McpFuture("tasks/cancel")
    state: dict[str, Any] = {}

    def before(raw: Any) -> Any:  # the status before cancelling: a finished task is an error, as in 2025-11-25
        state["before"] = raw.get("status") if isinstance(raw, Mapping) else None
        if state["before"] in ("completed", "failed"):
            raise McpError(INVALID_PARAMS, f"Cannot cancel task: already in terminal status '{state['before']}'")
        outer.follow(client._call("tasks/cancel", {"taskId": task_id}, _identity, timeout, with_tasks=True),
                     after_cancel)
        return MORE

    def after_cancel(_raw: Any) -> Any:
        outer.follow(client._call("tasks/get", {"taskId": task_id}, _identity, timeout, with_tasks=True),
                     final)
        return MORE

    def final(raw: Any) -> Any:
        return from_wire(CancelTaskResult, _legacy_shape(raw))

    outer.follow(client._call("tasks/get", {"taskId": task_id}, _identity, timeout, with_tasks=True), before)
    return outer
