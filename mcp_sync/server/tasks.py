"""The server as receiver of task-augmented ``tools/call`` (2025-11-25 tasks, SEP-1686).

:class:`ServerTasks` is the part of a :class:`~mcp_sync.server.Server` that
runs tools as tasks. Configuration (``Server(tasks=..., task_executor=...,
task_status_notifications=...)``):

* ``tasks=None`` (default): tasks are enabled once a tool has
  ``task_support="optional"`` or ``"required"``; ``True``: always, with the
  default :class:`~mcp_sync.tasks.TaskLimits`; a ``TaskLimits``: always, with
  those limits; a :class:`~mcp_sync.tasks.TaskStore`: always, in that table;
  ``False``: never (``task_support`` is then only advertised, and every call
  runs normally).
* ``task_executor``: where task work runs (default: a bounded, named thread
  pool the server owns; :meth:`Server.close` shuts it down). Any
  ``concurrent.futures.Executor``: a ``ThreadPoolExecutor`` keeps everything
  below (the tool gets its full Context); one that runs work in other
  processes (``ProcessPoolExecutor``, dask's ``client.get_executor()``) gets
  only the tool's function and converted arguments, which must pickle; a tool
  taking a Context is then refused as a task (-32603). See
  :mod:`mcp_sync.server.remote_tools` and :mod:`mcp_sync.tasks.executors`.
* ``task_status_notifications``: push ``notifications/tasks/status`` to the
  requestor on every status change (requestors must not rely on them).

Only 2025-11-25 sessions see tasks: the ``tasks`` capability is declared in
their ``initialize`` result only, and for other revisions the ``task`` field
of a request is ignored. On a 2025-11-25 session:

* a task-augmented call of an ``optional``/``required`` tool creates a task and
  answers ``CreateTaskResult`` at once (with
  ``_meta["io.modelcontextprotocol/model-immediate-response"]`` when the tool
  has an ``immediate_response``); the tool runs on the task executor;
* a ``required`` tool called without ``task``, or a ``forbidden`` (or
  unmarked) tool called with it: -32601;
* ``tasks/get``, ``tasks/result`` (blocks a session worker until the task is
  terminal; the request's own cancellation stops the wait), ``tasks/list``,
  ``tasks/cancel`` answer from the task table (:mod:`mcp_sync.tasks.legacy`).

**Owner binding.** A task belongs to the authenticated subject of the request
that created it (``request.extra["auth"]``, an
:class:`~mcp_sync.server.auth.AccessInfo`, set by the HTTP layer behind
:class:`~mcp_sync.server.auth.BearerAuthMiddleware`), else to the connection
(one stdio process, one HTTP session). Another owner gets "Task not found" for
it, exactly as for an id that never existed, and never sees it in
``tasks/list``. Tasks bound to a connection are cancelled and deleted when that
connection ends; tasks bound to a subject outlive the connection (another
session of the same subject can fetch them) until their TTL.

**Inside a task** the tool's :class:`~mcp_sync.server.Context` is bound to the
task: ``ctx.cancelled`` is set by ``tasks/cancel``, expiry or shutdown;
``ctx.report_progress`` keeps using the original request's progress token for
the task's whole life (and stops once it is terminal); ``ctx.elicit``,
``ctx.sample`` and ``ctx.list_roots`` move the task to ``input_required``, send
the request tagged with ``_meta["io.modelcontextprotocol/related-task"]`` and
move it back to ``working`` once answered. Routing of those requests: on the
stream of a pending ``tasks/result`` for the task when there is one (over HTTP,
its SSE response); otherwise directly where the transport can deliver now
(stdio; over HTTP the session's GET stream when a client is listening on it);
otherwise they wait, queued, for the next ``tasks/result`` of the task.
A tool whose result has ``isError: true`` makes its task ``failed``; a tool
raising :class:`~mcp_sync.errors.McpError` makes it ``failed`` and
``tasks/result`` answers that error.

A stateless HTTP server (``wsgi_app(stateless=True)``) has no session to bind
a task to: it creates tasks only for authenticated requests (-32600 otherwise).

**The 2026-07-28 tasks extension** (``io.modelcontextprotocol/tasks``, SEP-2663)
runs on the same task table. The modern dispatcher declares it in
``server/discover`` whenever tasks are enabled, and the server decides which
calls become tasks: a tool with ``task_support`` ``"optional"``/``"required"``
is a task from the start when the request declares the extension (``required``
without it: -32021 naming the extension); any tool may turn into one part way
with ``ctx.start_task()`` (MRTR rounds first, then ``CreateTaskResult``; the
handler then runs again from the start as the task, reusing the answers). A
task's later input calls park it in ``input_required`` (``inputRequests`` on
``tasks/get``) until ``tasks/update`` answers them; a tool result with
``isError`` completes the task, a JSON-RPC error fails it. ``tasks/get``,
``tasks/update``, ``tasks/cancel`` need the extension on the request (-32021);
``tasks/result`` and ``tasks/list`` do not exist there (-32601). Owners: the
auth subject, else the session connection (stdio), else none: an anonymous
stateless HTTP request's task is reachable by its id alone (128 random bits).
Status changes go out as ``notifications/tasks`` on ``subscriptions/listen``
streams that asked for the task (``notifications.taskIds``).

Note: each pending ``tasks/result`` holds one of the session's worker threads
(``Server(max_workers=...)``) until its task finishes.
"""

from __future__ import annotations

import collections
import itertools
import logging
import os
import threading
from concurrent.futures import Executor, Future
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ..errors import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    ConnectionClosed,
    McpError,
    RequestCancelled,
    RequestTimeout,
)
from ..protocol import modern as mp
from ..protocol.versions import V2025_11_25, is_modern
from ..session import progress_params, progress_token_of, request_meta
from ..signals import Signal
from ..tasks import extension, legacy
from ..tasks.errors import TaskWaitCancelled, TaskWaitTimeout
from ..tasks.limits import TaskLimits
from ..tasks.memory import InMemoryTaskStore
from ..tasks.model import TaskRecord
from ..tasks.runner import TaskContext, TaskRunner
from ..tasks.status import EXTENSION_WIRE, INPUT_REQUIRED, LEGACY_WIRE, TERMINAL_STATUSES
from ..tasks.store import ANY_OWNER, TaskEvent, TaskStore
from .handoff import TaskHandoff, handoff_of
from .modern_inputs import MissingClientCapability, StartTask, TaskInputRound

if TYPE_CHECKING:
    from ..session import IncomingRequest
    from .connection import ServerConnection
    from .server import Server
    from .tools import ToolDef

__all__ = ["CONNECTION_KEY", "ExtensionTaskRequest", "ServerTasks", "TaskRequest", "TASKS_VERSION",
           "tasks_capability"]

log = logging.getLogger("mcp_sync.server.tasks")

#: The one protocol revision whose core defines these tasks.
TASKS_VERSION = V2025_11_25
_TASK_CAPABLE = ("optional", "required")
#: ``request.extra`` key of the session connection a modern request arrived on (stdio, memory).
CONNECTION_KEY = "mcp_sync.connection"
#: ``requiredCapabilities`` of a -32021 for a client that did not declare the tasks extension.
_NEEDS_EXTENSION: dict[str, Any] = {"extensions": {extension.EXTENSION_ID: {}}}


def tasks_capability() -> dict[str, Any]:
    """The ``tasks`` server capability this server declares on 2025-11-25 sessions."""
    return {"list": {}, "cancel": {}, "requests": {"tools": {"call": {}}}}


def _subject_of(auth: Any) -> str | None:
    """The identity of an authorization context (an AccessInfo, or a mapping with sub/subject)."""
    if auth is None:
        return None
    if isinstance(auth, Mapping):
        subject = auth.get("subject") or auth.get("sub")
        client_id = auth.get("client_id")
    else:
        subject = getattr(auth, "subject", None)
        client_id = getattr(auth, "client_id", None)
    if isinstance(subject, str) and subject:
        return "auth-sub:" + subject
    if isinstance(client_id, str) and client_id:
        return "auth-client:" + client_id
    return None


class _Connection:
    """What the task layer keeps per connection: its owner token and the tasks bound to it."""

    __slots__ = ("owner", "tasks", "closed")

    def __init__(self) -> None:
        self.owner = "conn:" + os.urandom(12).hex()  # secrets.token_hex(12), without loading hmac/OpenSSL
        self.tasks: set[str] = set()
        self.closed = False


class _Live:
    """A task whose work has not finished: where its messages go, and its open input requests.

    ``waiters``: ``(connection, request id)`` of pending ``tasks/result`` calls,
    newest last. ``queued``: input requests not sent yet (key -> (method,
    params)). ``sent``: keys handed to a connection. ``futures``: key -> the
    request future. ``failures``: key -> a local exception that answered it.
    """

    __slots__ = ("task_id", "connection", "bound", "waiters", "queued", "sent", "futures", "failures")

    def __init__(self, task_id: str, connection: "ServerConnection", bound: bool) -> None:
        self.task_id = task_id
        self.connection = connection
        self.bound = bound
        self.waiters: list[tuple["ServerConnection", Any]] = []
        self.queued: dict[str, tuple[str, dict[str, Any]]] = {}
        self.sent: set[str] = set()
        self.futures: dict[str, Future[Any]] = {}
        self.failures: dict[str, BaseException] = {}


class TaskRequest:
    """The original ``tools/call`` request, as the work of its task sees it.

    Duck-types :class:`~mcp_sync.session.IncomingRequest` for
    :class:`~mcp_sync.server.Context`: same id, params and extra; ``cancelled``
    is the task's cancel signal; ``send_request`` goes through the task's
    ``input_required`` flow; notifications follow the task's routing.
    """

    __slots__ = ("session", "id", "method", "params", "cancelled", "cancel_reason", "in_batch", "extra",
                 "task_id", "_tasks", "_connection", "_context", "_finished")

    def __init__(self, tasks: "ServerTasks", connection: "ServerConnection", original: "IncomingRequest") -> None:
        self.session = original.session
        self.id = original.id
        self.method = original.method
        self.params = original.params
        self.cancelled: Signal = Signal()
        self.cancel_reason: str | None = None
        self.in_batch = False
        self.extra = original.extra
        self.task_id: str | None = None
        self._tasks = tasks
        self._connection = connection
        self._context: TaskContext | None = None
        self._finished = False

    def bind(self, context: TaskContext) -> None:
        self._context = context
        self.task_id = context.task_id
        self.cancelled = context.cancelled
        self.cancel_reason = "the task was cancelled"

    def finish(self) -> None:
        self._finished = True

    @property
    def meta(self) -> dict[str, Any]:
        return request_meta(self.params)

    @property
    def progress_token(self) -> str | int | None:
        return progress_token_of(self.params)

    def report_progress(self, progress: float, total: float | None = None, message: str | None = None) -> bool:
        """Progress with the original token, while the task is not terminal.

        A ``message`` also becomes the task's ``statusMessage`` (as on the 2026-07-28 wire).
        """
        if message is not None and not self._finished and not self.cancelled.is_set():
            self.set_status_message(message)
        token = self.progress_token
        if token is None or self._finished or self.cancelled.is_set():
            return False
        params = progress_params(token, progress, total, message)
        params["_meta"] = legacy.related_task_meta(self.task_id) if self.task_id else {}
        return self._tasks.notify_for(self.task_id, self._connection, "notifications/progress", params)

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        self._tasks.notify_for(self.task_id, self._connection, method, params)

    def send_request(self, method: str, params: dict[str, Any] | None = None, *, timeout: float | None = None,
                     **_ignored: Any) -> Future[Any]:
        """Ask the requestor (the task goes ``input_required`` meanwhile); returns a settled future."""
        future: Future[Any] = Future()
        try:
            future.set_result(self._tasks.ask(self, method, params, timeout))
        except BaseException as exc:
            future.set_exception(exc)
        return future

    def set_status_message(self, message: str | None) -> None:
        if self._context is not None:
            self._context.set_status_message(message)


class ExtensionTaskRequest:
    """The original modern ``tools/call``, as the work of its task (tasks extension) sees it.

    Duck-types :class:`~mcp_sync.session.IncomingRequest` for
    :class:`~mcp_sync.server.Context`: same id, params and extra; ``cancelled``
    is the task's cancel signal. The response stream is gone, and the extension
    carries no progress or log notifications for tasks: ``notify`` drops them;
    ``report_progress`` records the report for ``tasks/get`` to carry in
    ``_meta["dev.mcp-sync/progress"]`` (read by mcp_sync clients) and makes its
    message the task's ``statusMessage``. Input calls go through the task
    (:class:`~mcp_sync.server.modern_inputs.TaskInputRound`).
    """

    __slots__ = ("session", "id", "method", "params", "cancelled", "cancel_reason", "in_batch", "extra",
                 "task_id", "_context", "_tasks")

    def __init__(self, original: "IncomingRequest", context: TaskContext, tasks: "ServerTasks | None" = None) -> None:
        self._tasks = tasks
        self.session = None
        self.id = original.id
        self.method = original.method
        self.params = original.params
        self.cancelled: Signal = context.cancelled
        self.cancel_reason: str | None = "the task was cancelled"
        self.in_batch = False
        self.extra = original.extra
        self.task_id = context.task_id
        self._context = context

    def __repr__(self) -> str:
        return f"<ExtensionTaskRequest {self.method} task={self.task_id!r}>"

    @property
    def meta(self) -> dict[str, Any]:
        meta = self.params.get("_meta")
        return meta if isinstance(meta, dict) else {}

    @property
    def progress_token(self) -> None:
        return None

    def report_progress(self, progress: float, total: float | None = None, message: str | None = None) -> bool:
        if self._tasks is None or self.cancelled.is_set():
            return False
        if message is not None:
            self._context.set_status_message(message)
        return self._tasks.record_progress(self.task_id, progress, total, message)

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        return None

    def send_request(self, method: str, params: dict[str, Any] | None = None, **_options: Any) -> Future[Any]:
        raise McpError(INTERNAL_ERROR, "Internal error: servers send no requests in protocol 2026-07-28")

    def set_status_message(self, message: str | None) -> None:
        self._context.set_status_message(message)


def _declares_extension(capabilities: Any) -> bool:
    extensions = capabilities.get("extensions") if isinstance(capabilities, Mapping) else None
    return isinstance(extensions, Mapping) and isinstance(extensions.get(extension.EXTENSION_ID), Mapping)


class ServerTasks:
    """Task support of one :class:`~mcp_sync.server.Server` (see the module docstring)."""

    def __init__(self, server: "Server", config: Any = None, *, executor: Executor | None = None,
                 status_notifications: bool = False) -> None:
        if config is not None and not isinstance(config, (bool, TaskLimits, TaskStore)):
            raise TypeError("tasks must be None, True, False, a TaskLimits or a TaskStore, not "
                            f"{type(config).__name__}")
        self.server = server
        self._config = config
        self._executor = executor
        self.status_notifications = status_notifications
        # True, a TaskLimits or a TaskStore turn tasks on (an empty store is falsy: it has __len__).
        self._enabled = config is not None and config is not False
        self._lock = threading.Lock()
        self._runner: TaskRunner | None = None
        self._owned_store: TaskStore | None = None
        self._remove_listener: Callable[[], None] | None = None
        self._connections: dict["ServerConnection", _Connection] = {}
        self._live: dict[str, _Live] = {}
        self._task_conn: dict[str, _Connection] = {}  # bound task id -> its connection's state
        self._keys = itertools.count(1)
        #: What extension tasks reported (task id -> _meta key -> [count, recent items]) for ``tasks/get``
        #: to carry: progress reports and log messages (the extension has no notifications for tasks).
        self._progress: dict[str, dict[str, list[Any]]] = {}

    # -- configuration -------------------------------------------------------

    @property
    def enabled(self) -> bool:
        return self._enabled

    def refresh(self, tools: Any) -> dict[str, Any] | None:
        """Recompute whether tasks are on (auto mode follows the tools); the capability or None."""
        if self._config is None:
            self._enabled = any(getattr(t, "task_support", None) in _TASK_CAPABLE for t in tools)
        return tasks_capability() if self._enabled else None

    def active(self, connection: "ServerConnection") -> bool:
        return self._enabled and connection.protocol_version == TASKS_VERSION

    @property
    def store(self) -> TaskStore:
        """The task table (created on first use)."""
        return self._ensure().store

    @property
    def runner(self) -> TaskRunner:
        return self._ensure()

    def _ensure(self) -> TaskRunner:
        runner = self._runner
        if runner is not None:
            return runner
        with self._lock:
            if self._runner is None:
                config = self._config
                if isinstance(config, TaskStore):
                    store, self._owned_store = config, None
                else:
                    store = InMemoryTaskStore(config if isinstance(config, TaskLimits) else None)
                    self._owned_store = store
                runner = TaskRunner(store, executor=self._executor)
                self._remove_listener = store.add_listener(self._on_change)
                store.on_removed_together(self._on_change, self._on_removed)
                self._runner = runner
            return self._runner

    def close(self) -> None:
        """Cancel unfinished tasks, stop the task threads, close the table the server made.

        The server stays usable: a later task starts a new table.
        """
        with self._lock:
            runner, self._runner = self._runner, None
            remove, self._remove_listener = self._remove_listener, None
            owned, self._owned_store = self._owned_store, None
            live = list(self._live.values())
            self._live.clear()
            self._task_conn.clear()
            self._progress.clear()
        if runner is None:
            return
        runner.close(cancel_running=True)
        if remove is not None:
            remove()
        for entry in live:
            _cancel_futures(entry.futures.values())
        if owned is not None:
            owned.close()

    # -- owners ----------------------------------------------------------------

    def _conn(self, connection: "ServerConnection") -> _Connection:
        state = self._connections.get(connection)
        if state is not None:
            return state
        with self._lock:
            state = self._connections.get(connection)
            if state is None:
                state = self._connections[connection] = _Connection()
                register = True
            else:
                register = False
        if register:
            connection.session.on_close(lambda _error: self._connection_closed(connection))
        return state

    def owner_of(self, connection: "ServerConnection", request: Any) -> str:
        """The owner of tasks ``request`` creates or names: its auth subject, else the connection."""
        subject = _subject_of(request.extra.get("auth"))
        return subject if subject is not None else self._conn(connection).owner

    def share_connection(self, connection: "ServerConnection", owner: str) -> None:
        """Tasks created or named on ``connection`` without an auth subject belong to ``owner``.

        For a session served by several workers (each with its own connection for it):
        every copy gets the same ``owner`` (which must start with ``"conn:"``: such tasks
        are still bound to the connection that created them).
        """
        if not owner.startswith("conn:"):
            raise ValueError("a connection's task owner must start with 'conn:'")
        self._conn(connection).owner = owner

    def runs_tasks(self, connection: "ServerConnection") -> bool:
        """Whether tasks created on ``connection`` are still in the table (closing it would end them)."""
        state = self._connections.get(connection)
        return bool(state is not None and state.tasks)

    def requestor_reachable(self, task_id: str, connection: "ServerConnection") -> None:
        """The requestor of ``task_id``, a task created on ``connection``, can now be reached (e.g. its
        ``tasks/result`` waits on another worker): send the task's queued input requests through it."""
        with self._lock:
            entry = self._live.get(task_id)
            if entry is None or entry.connection is not connection or entry.waiters or not entry.queued:
                return
            flush = [(key, method, p) for key, (method, p) in entry.queued.items()]
            entry.queued.clear()
            entry.sent.update(key for key, _, _ in flush)
            target = (entry.connection, None)
        for key, method, p in flush:
            self._send_input(task_id, key, method, p, target)

    def _connection_closed(self, connection: "ServerConnection") -> None:
        with self._lock:
            state = self._connections.pop(connection, None)
            if state is None:
                return
            state.closed = True
            bound = list(state.tasks)
            for entry in self._live.values():
                entry.waiters = [w for w in entry.waiters if w[0] is not connection]
            for task_id in bound:
                self._task_conn.pop(task_id, None)
        runner = self._runner
        if runner is None:
            return
        store = runner.store
        for task_id in bound:  # nobody can reach these any more
            try:
                store.cancel(task_id, ANY_OWNER, status_message="Cancelled: the requestor's session ended")
            except McpError:  # finished or gone already
                pass
            store.delete(task_id)

    # -- tools/call ------------------------------------------------------------

    def call_tool(self, connection: "ServerConnection", request: "IncomingRequest", tool: "ToolDef",
                  arguments: dict[str, Any], run: Callable[[Any], dict[str, Any]]) -> dict[str, Any] | None:
        """Handle task negotiation for a call; the ``CreateTaskResult``, or None to run normally.

        ``run(request_like)`` runs the tool and returns its (adapted) result.
        A modern request (tasks extension) is decided by :meth:`extension_call`.
        """
        version = connection.protocol_version
        if version is not None and is_modern(version):
            return self.extension_call(connection, request, tool, arguments)
        if not self.active(connection):
            return None
        params = request.params
        augmented = legacy.is_task_augmented(params)
        support = tool.task_support or "forbidden"
        if not augmented:
            if support == "required":
                raise McpError(METHOD_NOT_FOUND, f"Tool '{tool.name}' must be called as a task (its "
                                                 f"execution.taskSupport is 'required'): add a 'task' parameter")
            return None
        if support not in _TASK_CAPABLE:
            raise McpError(METHOD_NOT_FOUND, f"Tool '{tool.name}' does not support task-augmented calls (its "
                                             f"execution.taskSupport is '{support}')")
        ttl = legacy.requested_ttl(params)
        owner = self.owner_of(connection, request)
        bound = owner.startswith("conn:")
        if bound and getattr(connection.session.transport, "stateless", False):
            raise McpError(INVALID_REQUEST, "Invalid request: this server is stateless, so a task could only "
                                            "belong to an authenticated user; send an access token")
        handoff = handoff_of(tool.fn)
        if handoff is not None:  # the work runs outside this process (e.g. on Celery): not ended with
            # this connection, which may only be this worker's copy of the session
            record = self._hand_off(handoff, tool, arguments, owner, ttl, LEGACY_WIRE, version,
                                    lambda task_id: self._track(task_id, connection, False),
                                    progress_token_of(params),
                                    lambda task_id, method, p: self.notify_for(task_id, connection, method, p))
            return legacy.create_task_result(record, _immediate_response(tool, arguments))
        task_request = TaskRequest(self, connection, request)

        def work(context: TaskContext) -> dict[str, Any]:
            task_request.bind(context)
            self._track(context.task_id, connection, bound)
            try:
                return run(task_request)
            finally:
                task_request.finish()

        runner = self._ensure()
        if not runner.in_process:  # another process: the function and its arguments, no Context
            from .remote_tools import remote_tool_work
            work = remote_tool_work(self.server, tool, arguments, version,  # type: ignore[assignment]
                                    executor=self._executor)
        # The tool runs on this worker once the CreateTaskResult is sent (no hand-off to a task thread).
        record = runner.submit(work, owner=owner, method="tools/call", ttl_ms=ttl, wire=LEGACY_WIRE,
                               run_after=getattr(request, "after_response", None),
                               time_limit=self._time_limit(runner, tool))
        self._track(record.task_id, connection, bound)
        return legacy.create_task_result(record, _immediate_response(tool, arguments))

    def _hand_off(self, handoff: Callable[[TaskHandoff], None], tool: "ToolDef", arguments: dict[str, Any], owner: Any,
                  ttl: int | None, wire: str, version: str | None, track: Callable[[str], None] | None,
                  progress_token: Any = None,
                  notify: Callable[[str, str, dict[str, Any]], bool] | None = None) -> TaskRecord:
        """A task whose work ``handoff`` starts outside this process (:mod:`mcp_sync.server.handoff`).

        Not bound to the connection: it outlives it (and this process) until its TTL or a cancel.
        """
        store = self.store
        record = store.create_detached(owner, "tools/call", ttl_ms=ttl)
        task_id = record.task_id
        if track is not None:
            track(task_id)
        send = (lambda method, p: notify(task_id, method, p)) if notify is not None else None
        try:
            handoff(TaskHandoff(self.server, tool, arguments, record, store, wire=wire, protocol_version=version,
                                progress_token=progress_token, notify=send))
        except McpError:
            store.delete(task_id)
            raise
        except Exception as exc:
            log.exception("handing off tool %r failed", tool.name)
            store.delete(task_id)
            raise McpError(INTERNAL_ERROR, f"Internal error: could not start tool {tool.name!r} "
                                           f"({type(exc).__name__}: {exc})") from None
        return record

    @staticmethod
    def _time_limit(runner: TaskRunner, tool: "ToolDef") -> float | None:
        """The execution time limit of ``tool``'s task work: its ``task_timeout``, else the table's default."""
        return runner.store.limits.task_time_limit(getattr(tool, "task_timeout", None))

    def _track(self, task_id: str, connection: "ServerConnection", bound: bool) -> None:
        state = self._conn(connection) if bound else None
        with self._lock:
            if task_id not in self._live and not self._finished_locked(task_id):
                self._live[task_id] = _Live(task_id, connection, bound)
            if state is not None and not state.closed:
                state.tasks.add(task_id)
                self._task_conn[task_id] = state
        if state is not None and state.closed:  # the connection ended while the task was created
            try:
                self.store.cancel(task_id, ANY_OWNER, status_message="Cancelled: the requestor's session ended")
            except McpError:
                pass

    def _finished_locked(self, task_id: str) -> bool:
        runner = self._runner
        if runner is None:
            return True
        try:
            return runner.store.get(task_id, ANY_OWNER).is_terminal
        except McpError:
            return True

    # -- tasks/* ---------------------------------------------------------------

    def _check(self, connection: "ServerConnection", method: str) -> None:
        if not self.active(connection):
            raise McpError(METHOD_NOT_FOUND, f"Method not found: {method} (tasks are offered on protocol "
                                             f"version {TASKS_VERSION} only)")

    def handle_get(self, connection: "ServerConnection", request: "IncomingRequest") -> dict[str, Any]:
        self._check(connection, "tasks/get")
        return legacy.get_task(self.store, self.owner_of(connection, request), request.params)

    def handle_list(self, connection: "ServerConnection", request: "IncomingRequest") -> dict[str, Any]:
        self._check(connection, "tasks/list")
        return legacy.list_tasks(self.store, self.owner_of(connection, request), request.params)

    def handle_cancel(self, connection: "ServerConnection", request: "IncomingRequest") -> dict[str, Any]:
        self._check(connection, "tasks/cancel")
        return legacy.cancel_task(self.store, self.owner_of(connection, request), request.params)

    def handle_result(self, connection: "ServerConnection", request: "IncomingRequest") -> dict[str, Any]:
        self._check(connection, "tasks/result")
        store = self.store
        owner = self.owner_of(connection, request)
        params = request.params
        task_id = params.get("taskId")
        if not isinstance(task_id, str):
            raise McpError(INVALID_PARAMS, "Invalid params: 'taskId' must be a string")
        store.get(task_id, owner)  # "Task not found" before anything else
        waiter = (connection, request.id)
        with self._lock:
            entry = self._live.get(task_id)
            flush: list[tuple[str, str, dict[str, Any]]] = []
            if entry is not None:
                entry.waiters.append(waiter)
                flush = [(key, method, p) for key, (method, p) in entry.queued.items()]
                entry.queued.clear()
                entry.sent.update(key for key, _, _ in flush)
        for key, method, p in flush:
            self._send_input(task_id, key, method, p, waiter)
        try:
            return legacy.get_task_result(store, owner, params, cancel=request.cancelled)
        except TaskWaitCancelled:
            raise RequestCancelled("tasks/result was cancelled") from None
        finally:
            with self._lock:
                entry = self._live.get(task_id)
                if entry is not None and waiter in entry.waiters:
                    entry.waiters.remove(waiter)

    # -- the 2026-07-28 tasks extension (io.modelcontextprotocol/tasks, SEP-2663) ---

    def extension_owner(self, request: Any) -> str | None:
        """The owner of extension tasks ``request`` creates or names.

        Its auth subject; else the session connection it came on (stdio,
        in-memory); else None: an unauthenticated stateless HTTP request has
        nothing to bind to, so such tasks are reachable by whoever holds the id
        (128 random bits, a bearer handle).
        """
        extra = request.extra if isinstance(getattr(request, "extra", None), dict) else {}
        subject = _subject_of(extra.get("auth"))
        if subject is not None:
            return subject
        connection = extra.get(CONNECTION_KEY)
        if connection is not None:
            return self._conn(connection).owner
        return None

    def extension_call(self, view: Any, request: "IncomingRequest", tool: "ToolDef",
                       arguments: dict[str, Any]) -> dict[str, Any] | None:
        """A modern ``tools/call``: the ``CreateTaskResult`` when this call is a task from the start, else None.

        A tool with ``task_support`` ``"optional"`` or ``"required"`` becomes a
        task at once when the request declares the extension; without it an
        ``optional`` tool runs normally and a ``required`` one is -32021 with
        ``requiredCapabilities.extensions["io.modelcontextprotocol/tasks"]``.
        Any other tool runs normally and may turn into a task later with
        ``ctx.start_task()`` (:meth:`start_task`).
        """
        support = tool.task_support
        if support not in _TASK_CAPABLE:
            return None
        if not _declares_extension(view.client_capabilities):
            if support == "required":
                raise MissingClientCapability(_NEEDS_EXTENSION)
            return None
        return self.create_extension_task(view, request, tool, arguments, {})

    def start_task(self, ctx: Any) -> bool:
        """``ctx.start_task()``: continue this call as a task, if it can be one; whether it now is.

        Already a task (either wire): True. A modern ``tools/call`` whose request
        declared the extension, on a server with tasks on: raises
        :class:`~mcp_sync.server.modern_inputs.StartTask`; the dispatcher creates
        the task, answers ``CreateTaskResult`` and runs the handler again from
        the start as the task's work, where this call returns True. Otherwise
        (legacy session, no extension, tasks off, another method): False, and the
        call goes on synchronously.
        """
        request = ctx.request
        if getattr(request, "task_id", None) is not None:
            return True
        version = ctx.protocol_version
        if (version is None or not is_modern(version) or not self._enabled or request.method != "tools/call"
                or not _declares_extension(ctx.client_capabilities)
                or getattr(ctx.connection, "inputs", None) is None):
            return False
        raise StartTask()

    def escalate(self, view: Any, request: "IncomingRequest") -> dict[str, Any]:
        """The handler of a modern ``tools/call`` called ``ctx.start_task()``: create its task."""
        params = request.params
        name = params.get("name")
        tool = self.server._tools.registry.get(name) if isinstance(name, str) else None
        if tool is None:  # removed while the call ran
            raise McpError(INVALID_PARAMS, f"Unknown tool: {name}", {"name": name})
        arguments = params.get("arguments")
        inputs = getattr(view, "inputs", None)
        used = inputs.used if inputs is not None else {}
        return self.create_extension_task(view, request, tool, arguments if isinstance(arguments, dict) else {},
                                          used)

    def create_extension_task(self, view: Any, request: "IncomingRequest", tool: "ToolDef", arguments: dict[str, Any],
                              answers: Mapping[str, Any]) -> dict[str, Any]:
        """Create the task (durably: ``tasks/get`` finds it once this returns) and schedule the tool.

        The tool runs from the start on the task executor, with a fresh
        :class:`~mcp_sync.server.Context` over the same request; ``answers``
        (input gathered in MRTR rounds before the task existed) are reused under
        their keys, later input calls park the task in ``input_required``.
        """
        from .modern import TaskView
        from .tools import adapt

        server = self.server
        owner = self.extension_owner(request)
        meta = view.meta
        capabilities = dict(view.client_capabilities)
        version = view.protocol_version
        known = dict(answers)

        def work(context: TaskContext) -> dict[str, Any]:
            task_request = ExtensionTaskRequest(request, context, self)
            task_view = TaskView(server, task_request, meta)  # type: ignore[arg-type]
            task_view.inputs = TaskInputRound(known, capabilities, context)
            result = adapt(tool.run(server, task_view, task_request, arguments), version)  # type: ignore[arg-type]
            return mp.with_result_type(result)  # inlined by tasks/get: a whole 2026-07-28 CallToolResult

        connection = request.extra.get(CONNECTION_KEY) if isinstance(request.extra, dict) else None
        handoff = handoff_of(tool.fn)
        if handoff is not None:  # the work runs outside this process (e.g. on Celery): not bound
            return extension.create_task_result(self._hand_off(handoff, tool, arguments, owner, None,
                                                               EXTENSION_WIRE, version, None))
        runner = self._ensure()
        if not runner.in_process:  # another process: the function and its arguments, no Context
            from .remote_tools import remote_tool_work
            work = remote_tool_work(server, tool, arguments, version,  # type: ignore[assignment]
                                    executor=self._executor, finalize=mp.with_result_type)
        record = runner.submit(work, owner=owner, method="tools/call", wire=EXTENSION_WIRE,
                               time_limit=self._time_limit(runner, tool))
        if connection is not None and isinstance(owner, str) and owner.startswith("conn:"):
            self._bind(record.task_id, connection)
        return extension.create_task_result(record, _immediate_response(tool, arguments))

    def _bind(self, task_id: str, connection: "ServerConnection") -> None:
        """Tie a task to its connection: cancelled and deleted when the connection ends."""
        state = self._conn(connection)
        with self._lock:
            closed = state.closed
            if not closed:
                state.tasks.add(task_id)
                self._task_conn[task_id] = state
        if closed:
            try:
                self.store.cancel(task_id, ANY_OWNER, status_message="Cancelled: the requestor's session ended")
            except McpError:
                pass

    def _extension_check(self, view: Any, method: str) -> None:
        if not self._enabled:
            raise mp.method_not_found_error(method)
        if not _declares_extension(view.client_capabilities):
            raise MissingClientCapability(_NEEDS_EXTENSION)

    def extension_get(self, view: Any, request: "IncomingRequest") -> dict[str, Any]:
        """``tasks/get`` (extension): the DetailedTask, result/error/inputRequests inlined."""
        self._extension_check(view, "tasks/get")
        result = extension.get_task(self.store, self.extension_owner(request), request.params)
        with self._lock:
            entries = self._progress.get(result["taskId"]) or {}
            carried = {key: {"count": count, "recent": list(recent)} for key, (count, recent) in entries.items()}
        if carried:
            result["_meta"] = {**(result.get("_meta") or {}), **carried}
        return result

    def record_log(self, task_id: str | None, params: dict[str, Any]) -> bool:
        """Keep an extension task's log message (``notifications/message`` params) for ``tasks/get`` to
        carry in ``_meta["dev.mcp-sync/logs"]``; False once the task is gone."""
        return self._carry(task_id, extension.LOGS_META, params)

    def record_progress(self, task_id: str | None, progress: float, total: float | None,
                        message: str | None) -> bool:
        """Keep an extension task's progress report for ``tasks/get`` (the last
        :data:`~mcp_sync.tasks.extension.PROGRESS_KEPT`); False once the task is gone."""
        event: dict[str, Any] = {"progress": progress}
        if total is not None:
            event["total"] = total
        if message is not None:
            event["message"] = message
        return self._carry(task_id, extension.PROGRESS_META, event)

    def _carry(self, task_id: str | None, key: str, item: dict[str, Any]) -> bool:
        if task_id is None or self._finished_locked(task_id):
            return False
        with self._lock:
            entries = self._progress.setdefault(task_id, {})
            entry = entries.get(key)
            if entry is None:
                entry = entries[key] = [0, collections.deque(maxlen=extension.PROGRESS_KEPT)]
            entry[0] += 1
            entry[1].append(item)
        return True

    def extension_update(self, view: Any, request: "IncomingRequest") -> dict[str, Any]:
        """``tasks/update`` (extension): deliver ``inputResponses``; an empty ack."""
        self._extension_check(view, "tasks/update")
        return extension.update_task(self.store, self.extension_owner(request), request.params)

    def extension_cancel(self, view: Any, request: "IncomingRequest") -> dict[str, Any]:
        """``tasks/cancel`` (extension): cancel if still running; an empty ack either way."""
        self._extension_check(view, "tasks/cancel")
        return extension.cancel_task(self.store, self.extension_owner(request), request.params)

    def accessible(self, task_ids: list[str], request: Any) -> list[str]:
        """The ids among ``task_ids`` that ``request``'s owner may see (for ``subscriptions/listen``)."""
        store = self.store
        owner = self.extension_owner(request)
        accepted: list[str] = []
        for task_id in dict.fromkeys(task_ids):
            try:
                store.get(task_id, owner)
            except McpError:
                continue
            accepted.append(task_id)
        return accepted

    # -- messages of a running task ----------------------------------------------

    def _route(self, task_id: str | None, connection: "ServerConnection") -> tuple["ServerConnection", Any]:
        """Where a message of the task goes: the newest ``tasks/result`` waiter, else the origin."""
        with self._lock:
            entry = self._live.get(task_id) if task_id is not None else None
            if entry is not None and entry.waiters:
                return entry.waiters[-1]
        return connection, None

    def notify_for(self, task_id: str | None, connection: "ServerConnection", method: str,
                   params: dict[str, Any] | None) -> bool:
        target, related_id = self._route(task_id, connection)
        try:
            target.session.notify(method, params, related_id=related_id)
        except ConnectionClosed:
            return False
        return True

    def ask(self, request: TaskRequest, method: str, params: dict[str, Any] | None, timeout: float | None) -> Any:
        """Send ``method`` to the requestor as an input request of the task; block for the answer."""
        context = request._context
        if context is None:
            raise RuntimeError("the task has not started")
        key = f"{method}#{next(self._keys)}"
        ask = {"method": method, "params": dict(params or {})}
        try:
            answers = context.request_input({key: ask}, timeout=timeout)
        except TaskWaitTimeout:
            self._abandon(context.task_id, key, "the task stopped waiting for the answer")
            raise RequestTimeout(f"no answer to {method!r} within {timeout} s") from None
        except BaseException:
            self._abandon(context.task_id, key, "the task was cancelled")
            raise
        with self._lock:
            entry = self._live.get(context.task_id)
            failure = entry.failures.pop(key, None) if entry is not None else None
            if entry is not None:
                entry.futures.pop(key, None)
                entry.sent.discard(key)
        answer = answers[key]
        if failure is not None:
            raise failure
        if isinstance(answer, Mapping) and "error" in answer:
            raise McpError.from_error(answer["error"])
        if isinstance(answer, Mapping) and "result" in answer:
            return answer["result"]
        raise McpError(INTERNAL_ERROR, f"the answer to {method!r} was lost")

    def _abandon(self, task_id: str, key: str, reason: str) -> None:
        with self._lock:
            entry = self._live.get(task_id)
            if entry is None:
                return
            entry.queued.pop(key, None)
            entry.sent.discard(key)
            entry.failures.pop(key, None)
            future = entry.futures.pop(key, None)
        if future is not None:
            _cancel_futures([future], reason)

    def _deliver(self, record: TaskRecord) -> None:
        """The task is ``input_required``: send the requests not handled yet (or queue them)."""
        task_id = record.task_id
        messages = legacy.input_request_messages(record)
        if not messages:
            return
        sends: list[tuple[str, str, dict[str, Any], tuple[Any, ...]]] = []
        with self._lock:
            entry = self._live.get(task_id)
            if entry is None:
                return
            for key, method, params in messages:
                if key in entry.sent or key in entry.queued:
                    continue
                if entry.waiters:
                    target = entry.waiters[-1]
                elif _can_push(entry.connection, task_id):
                    target = (entry.connection, None)
                else:
                    entry.queued[key] = (method, params)
                    continue
                entry.sent.add(key)
                sends.append((key, method, params, target))
        for key, method, params, target in sends:
            self._send_input(task_id, key, method, params, target)

    def _send_input(self, task_id: str, key: str, method: str, params: dict[str, Any],
                    target: tuple["ServerConnection", Any]) -> None:
        connection, related_id = target
        try:
            future = connection.session.request(method, params, related_id=related_id)
        except Exception as exc:  # e.g. a stateless HTTP session cannot send requests
            self._answer(task_id, key, None, exc)
            return
        with self._lock:
            entry = self._live.get(task_id)
            if entry is None or key not in entry.sent:  # finished or abandoned meanwhile
                abandoned = True
            else:
                entry.futures[key] = future
                abandoned = False
        if abandoned:
            _cancel_futures([future], "the task no longer needs the answer")
            return
        future.add_done_callback(lambda done: self._answered(task_id, key, done))

    def _answered(self, task_id: str, key: str, future: Future[Any]) -> None:
        if future.cancelled():
            return
        exc = future.exception()
        if isinstance(exc, ConnectionClosed):
            requeue: tuple[Any, ...] | None = None
            with self._lock:
                entry = self._live.get(task_id)
                if entry is not None and not entry.bound and key in entry.sent:
                    record = self._peek(task_id)
                    if record is not None and record.status == INPUT_REQUIRED and key in (record.input_requests or {}):
                        entry.sent.discard(key)
                        entry.futures.pop(key, None)
                        request = record.input_requests[key]  # type: ignore[index]
                        params = dict(request.get("params") or {})
                        params["_meta"] = {**(params.get("_meta") or {}), **legacy.related_task_meta(task_id)}
                        if entry.waiters:
                            requeue = (key, request["method"], params, entry.waiters[-1])
                            entry.sent.add(key)
                        else:
                            entry.queued[key] = (request["method"], params)
                        exc = None
            if requeue is not None:  # another session of the same subject is waiting: ask it
                self._send_input(task_id, *requeue)
            if exc is None:
                return
        self._answer(task_id, key, None if exc is not None else future.result(), exc)

    def _answer(self, task_id: str, key: str, result: Any, exc: BaseException | None) -> None:
        if exc is None:
            answer: dict[str, Any] = {"result": result}
        elif isinstance(exc, McpError):
            answer = {"error": exc.to_error()}
        else:
            with self._lock:
                entry = self._live.get(task_id)
                if entry is not None:
                    entry.failures[key] = exc
            answer = {"failed": True}
        runner = self._runner
        if runner is None:
            return
        try:
            runner.store.submit_input(task_id, ANY_OWNER, {key: answer})
        except McpError:
            pass  # the task is gone

    def _peek(self, task_id: str) -> TaskRecord | None:
        runner = self._runner
        if runner is None:
            return None
        try:
            return runner.store.get(task_id, ANY_OWNER)
        except McpError:
            return None

    # -- store events ---------------------------------------------------------

    def _on_removed(self, records: list[TaskRecord]) -> None:
        """Tasks removed together (the reaper's batches): :meth:`_on_change` of each, one lock hold."""
        with self._lock:
            live, task_conn = self._live, self._task_conn
            entries = [entry for record in records if (entry := live.pop(record.task_id, None)) is not None]
            for record in records:
                self._progress.pop(record.task_id, None)
                state = task_conn.pop(record.task_id, None)
                if state is not None:
                    state.tasks.discard(record.task_id)
        for entry in entries:
            _cancel_futures(entry.futures.values(), "the task finished")

    def _on_change(self, record: TaskRecord, event: str) -> None:
        task_id = record.task_id
        entry: _Live | None = None
        if event == TaskEvent.REMOVED or (event == TaskEvent.STATUS and record.status in TERMINAL_STATUSES):
            with self._lock:
                entry = self._live.pop(task_id, None)
                if event == TaskEvent.REMOVED:
                    self._progress.pop(task_id, None)
                    state = self._task_conn.pop(task_id, None)
                    if state is not None:
                        state.tasks.discard(task_id)
            if entry is not None:
                _cancel_futures(entry.futures.values(), "the task finished")
        elif record.status == INPUT_REQUIRED and event in (TaskEvent.STATUS, TaskEvent.UPDATED):
            self._deliver(record)
        if event == TaskEvent.STATUS or event == TaskEvent.UPDATED:
            modern = getattr(self.server, "_modern", None)
            if modern is not None:  # notifications/tasks on the subscriptions/listen streams asking for it
                modern.publish_task(record)
        if event == TaskEvent.STATUS and self.status_notifications:
            if entry is None:
                with self._lock:
                    entry = self._live.get(task_id)
            if entry is not None:
                try:
                    entry.connection.session.notify("notifications/tasks/status",
                                                    legacy.status_notification_params(record))
                except ConnectionClosed:
                    pass


def _immediate_response(tool: "ToolDef", arguments: dict[str, Any]) -> str | None:
    """The tool's ``immediate_response`` for these arguments (sent with its task handle in both eras)."""
    immediate = getattr(tool, "immediate_response", None)
    if callable(immediate):
        try:
            immediate = immediate(arguments)
        except Exception:
            log.exception("the immediate_response of tool %r failed", tool.name)
            immediate = None
    return immediate if isinstance(immediate, str) else None


def _can_push(connection: "ServerConnection", task_id: str | None = None) -> bool:
    """Whether a message (of ``task_id``) not tied to a request reaches the client now (not just a backlog)."""
    session = connection.session
    if session.input_closed:
        return False
    listening = getattr(session.transport, "standalone_listening", None)
    if listening is None:
        return True
    return bool(listening(task_id))


def _cancel_futures(futures: Any, reason: str = "cancelled") -> None:
    for future in list(futures):
        if future.done():
            continue
        try:
            future.cancel(reason)
        except TypeError:
            future.cancel()
