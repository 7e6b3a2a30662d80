"""MCP tasks whose work runs on Celery: a tool that is a Celery task, a user's existing ``@app.task`` included.

Needs the ``celery`` extra (``pip install 'mcp-sync[celery]'``: Celery with its
Redis transport) and a Celery app whose **result backend is Redis**
(``result_backend="redis://..."``): the web side learns of every state change
through the backend's publish on ``celery-task-meta-<id>``. The broker can be
anything Celery supports. Celery workers need nothing from ``mcp_sync``.

:class:`CeleryTasks` ties a :class:`~mcp_sync.server.Server` to a Celery app::

    bridge = CeleryTasks(server, celery_app)

    @bridge.tool()
    @celery_app.task(bind=True, acks_late=True)
    def render(self, scene: str, frames: int = 10) -> dict: ...

    bridge.tool(existing_task, name="thumbnail")   # an @app.task defined elsewhere

The tool's schema comes from the task function's signature (without a bound
task's ``self``). Every call of it is a task (``task_support="required"``): a
2025-11-25 ``tools/call`` with a ``task`` parameter, or a 2026-07-28 request
declaring the ``io.modelcontextprotocol/tasks`` extension. The server creates the
MCP task (not tied to the web worker: see
:meth:`~mcp_sync.tasks.TaskStore.create_detached`), then sends the Celery task
with ``apply_async(kwargs=..., task_id="mcp-task-<MCP task id>")``.

How an MCP task follows its Celery task:

=================================  =================================================================
Celery                             MCP task
=================================  =================================================================
``PENDING``                        ``working``
``STARTED`` (``track_started``)    ``working``, statusMessage ``Running on <worker hostname>``
``RETRY``                          ``working``, statusMessage ``Retrying after <Type>: <message>``
other (``update_state``)           ``working``; statusMessage ``meta["message"]`` (else
                                   ``progress/total``); ``notifications/progress`` (below)
``SUCCESS``                        ``completed``, the return value converted as an in-process
                                   tool's (structured content, outputSchema)
``FAILURE``                        an ``isError`` result ``<Type>: <message>`` (``failed`` on the
                                   2025-11-25 wire, ``completed`` on the extension wire); an
                                   :class:`~mcp_sync.errors.McpError` the task raised: ``failed``
                                   with that JSON-RPC error
``REVOKED``                        ``cancelled``
=================================  =================================================================

Progress: ``self.update_state(state="PROGRESS", meta={"progress": 3, "total":
10, "message": "..."})`` in a bound task (or :func:`report_progress`) sends
``notifications/progress`` with the call's progress token (2025-11-25), from
the web worker that created the task, on the stream of the requestor's
``tasks/result`` when it has one.

``tasks/cancel`` (either wire, on any web worker) cancels the MCP task and
revokes the Celery task: ``revoke(terminate=True)`` by default, which stops a
running task in a prefork worker (a task not started yet never runs). Revokes
live in the memory of the workers that heard them, and Celery redelivers the
message of a terminated ``acks_late`` task: a run of a task that starts after
its MCP task ended is revoked again.

**Where the state lives.** The Celery worker writes the task's state to the
result backend; every web worker runs one named thread
(``mcp-sync-celery-watch``) subscribed to the states of MCP tasks and mirrors
them into the server's task table, so ``tasks/get``, ``tasks/result`` and
``tasks/cancel`` give the same answer on every worker sharing the table (a
:class:`~mcp_sync.tasks.RedisTaskStore`). Nothing about the work lives in the
web worker: kill it mid-task and the task goes on, and the other workers record
its outcome. A web worker that starts (or reconnects) catches up with tasks
that changed while no watcher listened. With ``acks_late=True`` (and, for a
killed prefork child, ``task_reject_on_worker_lost=True``) a task whose Celery
worker dies goes back to the queue and another worker runs it; the MCP task
stays ``working`` meanwhile. Which MCP tasks are Celery's, and how to convert
their results, is kept in one Redis hash (``<prefix>:meta``) in the result
backend's database until the task is terminal.

"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import threading
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from ..errors import McpError
from ..server.handoff import HANDOFF_ATTRIBUTE, TaskHandoff, finish_task, tool_outcome
from ..server.results import error_result
from ..server.tools import ToolDef, adapt
from ..tasks.errors import InvalidTransition, TaskNotFound
from ..tasks.ids import new_task_id
from ..tasks.redis_store import stop_subscriber
from ..tasks.status import CANCELLED, EXTENSION_WIRE
from ..tasks.store import ANY_OWNER, TaskEvent

if TYPE_CHECKING:
    from ..server import Server
    from ..tasks.model import TaskRecord

__all__ = ["CELERY_ID_PREFIX", "CeleryTasks", "PROGRESS", "celery_task_id", "describe_state", "mcp_task_id",
           "report_progress"]

log = logging.getLogger("mcp_sync.integrations.celery")

#: Celery task ids of MCP tasks: this prefix, then the MCP task id.
CELERY_ID_PREFIX = "mcp-task-"
#: The custom state :func:`report_progress` sets.
PROGRESS = "PROGRESS"
DEFAULT_PREFIX = "mcp_sync:celery"

_SUCCESS, _FAILURE, _REVOKED, _STARTED, _RETRY, _PENDING = (
    "SUCCESS", "FAILURE", "REVOKED", "STARTED", "RETRY", "PENDING")


def celery_task_id(task_id: str) -> str:
    """The Celery task id of an MCP task."""
    return CELERY_ID_PREFIX + task_id


def mcp_task_id(celery_id: str) -> str | None:
    """The MCP task id behind a Celery task id, or None for a Celery task that is not an MCP task."""
    if celery_id.startswith(CELERY_ID_PREFIX) and len(celery_id) > len(CELERY_ID_PREFIX):
        return celery_id[len(CELERY_ID_PREFIX):]
    return None


def report_progress(task: Any, progress: float, total: float | None = None, message: str | None = None) -> None:
    """In a bound Celery task (``bind=True``): report progress to the MCP requestor.

    ``task.update_state(state="PROGRESS", meta={"progress", "total", "message"})``;
    the MCP task's statusMessage becomes ``message`` (or ``progress/total``).
    """
    meta: dict[str, Any] = {"progress": progress}
    if total is not None:
        meta["total"] = total
    if message is not None:
        meta["message"] = message
    task.update_state(state=PROGRESS, meta=meta)


def _number(value: Any) -> float | int | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def describe_state(state: str, info: Any) -> tuple[str | None, tuple[Any, Any, str | None] | None]:
    """The statusMessage and the ``(progress, total, message)`` of a non-terminal Celery state."""
    if state == _PENDING:
        return None, None
    if state == _STARTED:
        host = info.get("hostname") if isinstance(info, Mapping) else None
        return (f"Running on {host}" if host else "Running"), None
    if state == _RETRY:
        if isinstance(info, BaseException):
            text = str(info)
            return f"Retrying after {type(info).__name__}" + (f": {text}" if text else ""), None
        return "Retrying", None
    if isinstance(info, Mapping):
        message = info.get("message")
        message = message if isinstance(message, str) else None
        progress, total = _number(info.get("progress")), _number(info.get("total"))
        if message is None and progress is not None:
            message = f"{progress:g}/{total:g}" if total is not None else f"{progress:g}"
        return (message if message is not None else state), ((progress, total, message)
                                                              if progress is not None else None)
    return state, None


class CeleryTasks:
    """Tools of ``server`` whose task work runs as Celery tasks of ``app`` (see the module docstring).

    ``terminate`` and ``signal``: how ``tasks/cancel`` revokes a running Celery
    task (``revoke(terminate=True, signal="SIGTERM")``; ``terminate=False``
    only stops tasks that have not started); a Celery task that starts again after its
    MCP task ended (Celery redelivers the message of a terminated ``acks_late`` task;
    a worker started later never heard the revoke) is revoked again, for
    ``done_ttl`` seconds after the end. ``prefix``: the Redis keys and
    channels of this bridge in the result backend's database (one per server
    deployment). The watcher starts with :meth:`start` (call it in every web
    worker, after the fork: a worker's watcher also revokes what is cancelled
    through it) or the first call; :meth:`close` stops it (``Server.close`` does
    not).
    """

    def __init__(self, server: "Server", app: Any, *, prefix: str = DEFAULT_PREFIX, terminate: bool = True,
                 signal: str = "SIGTERM", subscribe_timeout: float = 10.0, done_ttl: int = 86_400) -> None:
        backend = app.backend
        client = getattr(backend, "client", None)
        if client is None or not hasattr(client, "pubsub") or not hasattr(backend, "get_key_for_task"):
            raise TypeError(f"CeleryTasks needs a Celery app whose result backend is Redis "
                            f"(result_backend='redis://...'), not {type(backend).__name__}: the web workers follow "
                            "task states through its publish/subscribe")
        if not isinstance(prefix, str) or not prefix:
            raise ValueError("prefix must be a non-empty string")
        self.server = server
        self.app = app
        self.prefix = prefix
        self.terminate = terminate
        self.signal = signal
        #: Seconds a finished task is remembered, to revoke a Celery run of it that starts again.
        self.done_ttl = done_ttl
        self._backend = backend
        self._redis = client
        self._subscribe_timeout = subscribe_timeout
        self._meta_key = f"{prefix}:meta"
        self._ctl_channel = f"{prefix}:ctl:{new_task_id()}"
        probe = backend.get_key_for_task("x")  # the backend's key (and channel) of task "x"
        probe = probe if isinstance(probe, bytes) else str(probe).encode()
        self._keyprefix = probe[:-1]
        self._pattern = self._keyprefix + CELERY_ID_PREFIX.encode() + b"*"
        self._tools: dict[str, ToolDef] = {}
        self._lock = threading.Lock()  # guards the fields below
        self._local: dict[str, TaskHandoff] = {}  # tasks created here: where their progress goes
        self._thread: threading.Thread | None = None
        self._subscribed = threading.Event()
        self._stop = threading.Event()
        self._closed = False
        self._remove_listener: Callable[[], None] | None = None
        self._pubsub: Any = None

    # -- registration ----------------------------------------------------------

    def tool(self, task: Any = None, /, *, name: str | None = None, title: str | None = None,
             description: str | None = None, annotations: Any = None, icons: Sequence[Any] | None = None,
             meta: Mapping[str, Any] | None = None, output_schema: Mapping[str, Any] | None = None,
             structured_output: bool | None = None, immediate_response: str | Callable[[dict[str, Any]], str] | None = None,
             options: Mapping[str, Any] | None = None, replace: bool = False) -> Any:
        """Register a Celery task as a tool: ``bridge.tool(task, ...)`` or ``@bridge.tool(...)`` above ``@app.task``.

        The tool is named after the task function unless ``name`` is given; its
        schemas come from the function (``self`` of a bound task left out).
        ``options`` are passed to ``apply_async`` (``queue``, ``priority``...).
        Returns the Celery task unchanged.
        """
        def register(celery_task: Any) -> Any:
            self._register(celery_task, dict(name=name, title=title, description=description,
                                             annotations=annotations, icons=icons, meta=meta,
                                             output_schema=output_schema, structured_output=structured_output,
                                             immediate_response=immediate_response),
                           dict(options or {}), replace)
            return celery_task

        return register(task) if task is not None else register

    def _register(self, celery_task: Any, tool_options: dict[str, Any], apply_options: dict[str, Any], replace: bool) -> None:
        run = getattr(celery_task, "run", None)
        if not callable(run) or not callable(getattr(celery_task, "apply_async", None)):
            raise TypeError(f"expected a Celery task (an @app.task), not {type(celery_task).__name__}")
        task_name = celery_task.name

        def call(**_kwargs: Any) -> Any:  # a session without tasks (before 2025-11-25) calling it plainly
            raise RuntimeError(f"tool {task_name!r} runs on Celery and can only be called as a task "
                               "(protocol 2025-11-25 or later)")

        functools.update_wrapper(call, run)
        call.__signature__ = inspect.signature(run)  # type: ignore[attr-defined]
        setattr(call, HANDOFF_ATTRIBUTE, lambda handoff: self._dispatch(celery_task, apply_options, handoff))
        options = dict(tool_options, task_support="required")
        tool = ToolDef(call, **options)  # this bridge's copy, to convert results whichever worker created the task
        self.server.add_tool(call, replace=replace, **options)
        with self._lock:
            self._tools[tool.name] = tool

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> "CeleryTasks":
        """Start the watcher and wait until it listens (raises ``TimeoutError`` after ``subscribe_timeout``)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("this CeleryTasks is closed")
            thread = self._thread
            if thread is None:
                self._remove_listener = self.server.tasks.store.add_listener(self._on_change)
                thread = self._thread = threading.Thread(target=self._watch, name="mcp-sync-celery-watch",
                                                         daemon=True)
                thread.start()
        if not self._subscribed.wait(self._subscribe_timeout):
            raise TimeoutError(f"the Celery watcher did not subscribe within {self._subscribe_timeout} s")
        return self

    def close(self) -> None:
        """Stop the watcher (joined) and stop revoking on cancel; Celery tasks keep running. Idempotent."""
        with self._lock:
            self._closed = True
            thread, self._thread = self._thread, None
            remove, self._remove_listener = self._remove_listener, None
            self._local.clear()
        self._stop.set()
        if remove is not None:
            remove()
        if thread is not None and thread is not threading.current_thread():
            def pubsub() -> Any:
                with self._lock:
                    return self._pubsub

            stop_subscriber(self._redis, self._ctl_channel, thread, pubsub)

    def __enter__(self) -> "CeleryTasks":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sending ---------------------------------------------------------------

    def _dispatch(self, celery_task: Any, apply_options: dict[str, Any], handoff: TaskHandoff) -> None:
        """The hand-off: record the task as Celery's, then send it."""
        kwargs = handoff.check_arguments()
        if kwargs is None:
            return  # invalid arguments: the task already failed with an isError result
        self.start()
        task_id = handoff.task_id
        entry = json.dumps({"tool": handoff.tool.name, "wire": handoff.wire, "version": handoff.protocol_version})
        self._redis.hset(self._meta_key, task_id, entry)
        if handoff.reports_progress:
            with self._lock:
                self._local[task_id] = handoff
        try:
            celery_task.apply_async(kwargs=kwargs, task_id=celery_task_id(task_id), **apply_options)
        except BaseException:
            with self._lock:
                self._local.pop(task_id, None)
            self._redis.hdel(self._meta_key, task_id)
            raise

    # -- cancellation ----------------------------------------------------------

    def _on_change(self, record: "TaskRecord", event: str) -> None:
        """A store listener: a cancelled (or removed) Celery task is revoked, once across all workers."""
        if not (event == TaskEvent.REMOVED or (event == TaskEvent.STATUS and record.status == CANCELLED)):
            return
        with self._lock:
            self._local.pop(record.task_id, None)
        try:
            claimed = self._finished(record.task_id)
        except Exception:
            log.warning("could not check whether task %s runs on Celery", record.task_id, exc_info=True)
            return
        if claimed:
            self._revoke(record.task_id)

    def _finished(self, task_id: str) -> bool:
        """The MCP task is over: forget how to convert its result, remember it was ours (for
        :meth:`_zombie`). True for the one caller, across all workers, that did it."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.hdel(self._meta_key, task_id)
        pipe.set(f"{self.prefix}:done:{task_id}", b"1", ex=self.done_ttl)
        claimed, _ = pipe.execute()
        return bool(claimed)

    def _zombie(self, task_id: str, info: Any) -> None:
        """A Celery task started again after its MCP task ended (a redelivered message: acks_late after a
        terminate, a broker visibility timeout, a worker that never heard the revoke): revoke it again,
        once per run (one web worker does it)."""
        if not self._redis.exists(f"{self.prefix}:done:{task_id}"):
            return  # not an MCP task of this deployment
        run = f"{info.get('hostname')}:{info.get('pid')}" if isinstance(info, Mapping) else "?"
        if self._redis.set(f"{self.prefix}:rerun:{task_id}:{run}", b"1", nx=True, ex=self.done_ttl):
            log.info("the Celery task of finished MCP task %s started again on %s: revoking it", task_id, run)
            self._revoke(task_id)

    def _revoke(self, task_id: str) -> None:
        try:
            self.app.control.revoke(celery_task_id(task_id), terminate=self.terminate, signal=self.signal)
        except Exception:
            log.warning("could not revoke the Celery task of MCP task %s", task_id, exc_info=True)

    # -- following Celery ------------------------------------------------------

    def _watch(self) -> None:
        """The watcher: (re)subscribe, catch up, then mirror every published state; ends on close."""
        import redis

        delay = 0.1
        while not self._stop.is_set():
            pubsub = self._redis.pubsub()
            with self._lock:
                self._pubsub = pubsub
            try:
                pubsub.subscribe(self._ctl_channel)
                pubsub.psubscribe(self._pattern)
                confirmed = 0
                for message in pubsub.listen():
                    kind = message.get("type")
                    if kind in ("subscribe", "psubscribe"):
                        confirmed += 1
                        if confirmed == 2:
                            self._catch_up()
                            self._subscribed.set()
                            delay = 0.1
                    elif kind == "message":
                        if self._stop.is_set():
                            return
                    elif kind == "pmessage":
                        self._received(message.get("channel"), message.get("data"))
                if self._stop.is_set():
                    return
            except redis.TimeoutError:  # the backend client's socket_timeout on a quiet channel
                if self._stop.is_set():
                    return
                log.debug("Celery watcher: no message within the socket timeout; resubscribing")
                delay = 0.0
            except (redis.RedisError, OSError) as exc:
                if self._stop.is_set():
                    return
                log.warning("Celery watcher lost Redis (%s); reconnecting", exc)
            except Exception:
                if self._stop.is_set():
                    return
                log.exception("Celery watcher failed; resubscribing")
            finally:
                self._subscribed.clear()
                with self._lock:
                    self._pubsub = None
                try:
                    pubsub.close()
                except Exception:
                    pass
            if self._stop.wait(delay):  # back off before reconnecting
                return
            delay = min(max(delay * 2, 0.1), 5.0)

    def _received(self, channel: Any, data: Any) -> None:
        if not isinstance(channel, bytes) or not channel.startswith(self._keyprefix):
            return
        task_id = mcp_task_id(channel[len(self._keyprefix):].decode("utf-8", "replace"))
        if task_id is None:
            return
        try:
            meta = self._backend.decode_result(data)
            self._forward_progress(task_id, meta)
            self._apply(task_id, meta)
        except Exception:
            log.exception("mirroring the Celery state of task %s failed", task_id)

    def _forward_progress(self, task_id: str, meta: Mapping[str, Any]) -> None:
        """Progress of a task created here goes to its requestor first, before any table write: another
        web worker may record the outcome meanwhile, and progress must not come after the result."""
        with self._lock:
            handoff = self._local.get(task_id)
        if handoff is None:
            return
        state = meta.get("status")
        if state in (_SUCCESS, _FAILURE, _REVOKED):
            return
        _message, progress = describe_state(state if isinstance(state, str) else "", meta.get("result"))
        if progress is not None:
            handoff.report_progress(*progress)

    def _catch_up(self) -> None:
        """Mirror the current state of every unfinished Celery-backed task (missed while nobody listened)."""
        ids = [i.decode() if isinstance(i, bytes) else i for i in self._redis.hkeys(self._meta_key)]
        if not ids:
            return
        values = self._redis.mget([self._keyprefix + celery_task_id(i).encode() for i in ids])
        for task_id, value in zip(ids, values):
            try:
                if value is None:  # not started, or its state expired: still check the MCP task exists
                    self._apply(task_id, {"status": _PENDING, "result": None})
                else:
                    self._apply(task_id, self._backend.decode_result(value))
            except Exception:
                log.exception("mirroring the Celery state of task %s failed", task_id)

    def sync(self, task_id: str) -> None:
        """Mirror the Celery state of MCP task ``task_id`` now (the watcher does this on every change)."""
        value = self._redis.get(self._keyprefix + celery_task_id(task_id).encode())
        self._apply(task_id, self._backend.decode_result(value) if value is not None
                    else {"status": _PENDING, "result": None})

    def _entry(self, task_id: str) -> dict[str, Any] | None:
        raw = self._redis.hget(self._meta_key, task_id)
        if raw is None:
            return None
        try:
            entry = json.loads(raw)
        except ValueError:
            return None
        return entry if isinstance(entry, dict) else None

    def _apply(self, task_id: str, meta: Mapping[str, Any]) -> None:
        """Mirror one Celery state (a decoded backend meta) into the MCP task."""
        state = meta.get("status")
        info = meta.get("result")
        store = self.server.tasks.store
        entry = self._entry(task_id)
        if entry is None:  # finished (or cancelled) already, or not an MCP task of this deployment
            if state == _STARTED:
                self._zombie(task_id, info)
            return
        wire = entry.get("wire")
        if state in (_SUCCESS, _FAILURE, _REVOKED):
            if state == _REVOKED:
                try:
                    store.cancel(task_id, ANY_OWNER, status_message="Cancelled: the Celery task was revoked")
                except (TaskNotFound, InvalidTransition):
                    pass
            else:
                result, error = self._outcome(entry, state, info)
                finish_task(store, task_id, wire or "", result, error)
            self._finished(task_id)
            with self._lock:
                self._local.pop(task_id, None)
            return
        try:
            record = store.get(task_id, ANY_OWNER)
        except TaskNotFound:  # expired or deleted while Celery still has it
            if self._finished(task_id):
                self._revoke(task_id)
            return
        if record.is_terminal:
            return
        message, _progress = describe_state(state if isinstance(state, str) else "", info)
        if message is not None and message != record.status_message:
            try:
                store.update_status(task_id, record.status, status_message=message)
            except (TaskNotFound, InvalidTransition):
                return

    def _outcome(self, entry: Mapping[str, Any], state: str,
                 info: Any) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        name = entry.get("tool")
        wire = entry.get("wire") or ""
        version = entry.get("version")
        with self._lock:
            tool = self._tools.get(name) if isinstance(name, str) else None
        if state == _SUCCESS:
            if tool is None:
                return None, {"code": -32603, "message": f"Internal error: tool {name!r} is not a Celery tool "
                                                         "of this server any more"}
            return tool_outcome(self.server, tool, info, wire=wire, protocol_version=version), None
        if isinstance(info, McpError):
            return None, info.to_error()
        if isinstance(info, BaseException):
            text = self.server.error_result(info, f"tool {name!r}")
        else:
            text = error_result(f"Celery task of tool {name!r} failed: {info!r}")
        result = adapt(text, version)
        if wire == EXTENSION_WIRE:
            from ..protocol import modern as mp
            result = mp.with_result_type(result)
        return result, None
