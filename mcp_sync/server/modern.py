"""Serving 2026-07-28 ("modern") requests statelessly, beside legacy sessions.

One :class:`ModernDispatcher` per :class:`~mcp_sync.server.Server`
(``server._modern``). Transports hand it each request that
:meth:`ModernDispatcher.routes` calls modern; everything else stays on the
legacy path (``initialize`` + a :class:`~mcp_sync.server.ServerConnection`).

**Which era a message is** (decided per message, on every transport): a
request is modern when its ``params._meta`` carries one of the modern keys
(``io.modelcontextprotocol/protocolVersion``, ``.../clientCapabilities``,
``.../clientInfo``), when the HTTP ``MCP-Protocol-Version`` header names a
modern revision, or when the method exists only in the modern era
(``server/discover``, ``subscriptions/listen``). ``initialize`` is legacy
unless it carries a modern version (then it is a removed method: -32601).
So one stdio process serves a legacy session (after ``initialize``) and
modern requests side by side; a legacy request before ``initialize`` still
gets -32600. Over HTTP the same rule runs before any session lookup
(``Mcp-Session-Id`` and ``Last-Event-ID`` are ignored on modern requests).

**A modern request** is validated (``_meta``: -32602 when the version or the
client capabilities are missing, -32022 with ``data: {supported, requested}``
for an unsupported version), routed (removed and unknown methods, and methods
whose capability this server does not offer: -32601, HTTP 404), and run by
the same handlers as legacy requests. Those take a *request view* where a
legacy session passes its :class:`~mcp_sync.server.ServerConnection`: a
:class:`ModernView` carries this request's protocol version, client
capabilities, client info and log level (all from its ``_meta``), and sends
notifications on the request's own stream. So a :class:`~mcp_sync.server.Context`
works unchanged: progress and logs go with the request (logs only when the
request set ``io.modelcontextprotocol/logLevel``), and ``ctx.elicit``,
``ctx.sample``, ``ctx.list_roots`` and ``ctx.gather`` use multi round-trip
requests (:mod:`mcp_sync.server.modern_inputs`).

**Results** always carry ``resultType``, ``_meta["io.modelcontextprotocol/serverInfo"]``
and, for ``server/discover``, the lists and ``resources/read``, ``ttlMs`` and
``cacheScope`` (``Server(cache_ttl_ms=..., cache_scope=...)``; retried MRTR
results get 0/private).

**MRTR** (``tools/call``, ``prompts/get``, ``resources/read``): a tool taking a
Context runs on a continuation thread that waits at its input call and is
resumed by the retry (:mod:`mcp_sync.server.continuations`); otherwise (and
when the retry finds no continuation here) the handler is re-executed on
every retry with the answers the client sent plus those of earlier rounds,
which travel in ``requestState`` sealed with
:class:`~mcp_sync.protocol.request_state.RequestStateSealer`
(``Server(request_state_secret=...)``: give every worker behind one endpoint
the same secret). The token is bound to the method, the tool/prompt name or
URI, the arguments and the authenticated subject; a tampered, expired or
rebound token answers -32602.

**Tasks extension** (``io.modelcontextprotocol/tasks``): declared under
``capabilities.extensions`` when the server's tasks are enabled; ``tasks/get``,
``tasks/update`` and ``tasks/cancel`` are served from the server's task table
(see :mod:`mcp_sync.server.tasks`); a ``tools/call`` may answer
``CreateTaskResult`` (``resultType: "task"``), also after MRTR rounds when the
handler calls ``ctx.start_task()``. ``ping``, ``tasks/result`` and
``tasks/list`` do not exist in this era (-32601).

**Subscriptions** (``subscriptions/listen``): the first message is
``notifications/subscriptions/acknowledged`` listing the notification types
this server honours (list changes it declares ``listChanged`` for, and
resource updates when it declares ``resources.subscribe``); then every
requested ``notifications/*/list_changed`` and ``notifications/resources/updated``
(from :meth:`Server.notify_list_changed` / :meth:`Server.notify_resource_updated`,
which registration changes call) and ``notifications/tasks`` for the
``taskIds`` asked for (the caller's own tasks; the extension is needed: -32021) tagged with
``_meta["io.modelcontextprotocol/subscriptionId"]`` = the listen request's id.
Over stdio the client ends one with ``notifications/cancelled``; each open
subscription holds one of the session's worker threads. Over HTTP it is an
SSE stream the client closes.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ..errors import INTERNAL_ERROR, INVALID_PARAMS, UNSUPPORTED_PROTOCOL_VERSION, ConnectionClosed, McpError
from ..protocol import capabilities as caps
from ..protocol import modern as mp
from ..protocol.caching import CachePolicy, apply_cache_hints
from ..protocol.request_state import RequestStateSealer, request_binding
from ..protocol.versions import MODERN_VERSIONS
from .continuations import Continuation, Continuations
from .logs import SEVERITY
from .middleware import Call, identity_of
from .modern_inputs import InputRequired, InputRound, MissingClientCapability, StartTask
from ..tasks.extension import EXTENSION_ID as TASKS_EXTENSION
from ..tasks.extension import task_notification_params
from .schema import to_jsonable
from .tasks import CONNECTION_KEY
from .wire_view import view as wire_view

if TYPE_CHECKING:
    from ..session import IncomingRequest
    from .server import Server

log = logging.getLogger("mcp_sync.server")

__all__ = ["ModernDispatcher", "ModernView", "Subscription", "TaskView"]

ModernHandler = Callable[[Any, "IncomingRequest"], Any]

#: Listen filter key -> the notification it lets through.
_FILTERS = {
    "notifications/tools/list_changed": ("toolsListChanged", "tools"),
    "notifications/prompts/list_changed": ("promptsListChanged", "prompts"),
    "notifications/resources/list_changed": ("resourcesListChanged", "resources"),
}
_UPDATED = "notifications/resources/updated"
_ACKNOWLEDGED = "notifications/subscriptions/acknowledged"
_TASKS = "notifications/tasks"  # tasks extension: a DetailedTask, for the taskIds a listen asked for


class ModernView:
    """What a handler sees of the client for one modern request (a legacy session passes its connection).

    Same surface as :class:`~mcp_sync.server.ServerConnection` where the
    handlers and :class:`~mcp_sync.server.Context` use it:
    ``protocol_version``, ``client_capabilities``, ``client_info``,
    ``log_level``, ``notify``, ``send_log``, ``declared``, ``client_supports``.
    Everything comes from this request's ``_meta``: nothing is remembered.
    ``inputs`` is the MRTR round of a ``tools/call``/``prompts/get``/``resources/read``.
    """

    __slots__ = ("server", "request", "meta", "protocol_version", "client_capabilities", "client_info",
                 "log_level", "inputs")

    def __init__(self, server: "Server", request: "IncomingRequest", meta: mp.RequestMeta) -> None:
        self.server = server
        self.request = request
        self.meta = meta
        self.protocol_version: str = meta.protocol_version
        self.client_capabilities: dict[str, Any] = meta.client_capabilities
        self.client_info: dict[str, Any] | None = meta.client_info
        self.log_level: str | None = meta.log_level
        self.inputs: InputRound | None = None

    def __repr__(self) -> str:
        return f"<ModernView {self.request.method} id={self.request.id!r} {self.protocol_version}>"

    @property
    def server_capabilities(self) -> dict[str, Any]:
        return self.server._modern.capabilities()

    def declared(self, *path: str) -> bool:
        """Whether the server offers the capability at ``path`` (to every client: nothing is negotiated)."""
        return caps.has_capability(self.server.capabilities(), *path)

    def client_supports(self, *path: str) -> bool:
        return caps.has_capability(self.client_capabilities, *path)

    def subscribed(self, uri: str) -> bool:  # resources/subscribe does not exist in this era
        return False

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        """Send a notification on this request's stream (dropped once the request is gone)."""
        try:
            self.request.notify(method, params)
        except ConnectionClosed:
            pass

    def send_log(self, level: str, data: Any, logger: str | None = None, *, related_id: Any = None,
                 threshold: str | None = None) -> bool:
        """``notifications/message`` on this request's stream, only if the request set a log level it passes."""
        minimum = threshold if threshold is not None else self.log_level
        if minimum is None or SEVERITY[level] < SEVERITY.get(minimum, 0) or not self.declared("logging"):
            return False
        params: dict[str, Any] = {"level": level, "data": data if isinstance(data, str) else to_jsonable(data)}
        if logger is not None:
            params["logger"] = logger
        try:
            self.request.notify("notifications/message", params)
        except ConnectionClosed:
            return False
        return True


class TaskView(ModernView):
    """The request view of a ``tools/call`` running as a task of the tasks extension.

    Same facts as the request's :class:`ModernView` (its ``_meta``), but the
    response stream is gone: the extension carries no progress or log
    notifications for tasks, so nothing is sent. Log messages the request's
    level lets through are kept for ``tasks/get`` to carry in
    ``_meta["dev.mcp-sync/logs"]`` (mcp_sync clients hand them to ``on_log``).
    ``inputs`` is a :class:`~mcp_sync.server.modern_inputs.TaskInputRound`.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<TaskView {self.request.method} task={getattr(self.request, 'task_id', None)!r}>"

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        return None

    def send_log(self, level: str, data: Any, logger: str | None = None, *, related_id: Any = None,
                 threshold: str | None = None) -> bool:
        minimum = threshold if threshold is not None else self.log_level
        if minimum is None or SEVERITY[level] < SEVERITY.get(minimum, 0) or not self.declared("logging"):
            return False
        params: dict[str, Any] = {"level": level, "data": data if isinstance(data, str) else to_jsonable(data)}
        if logger is not None:
            params["logger"] = logger
        return self.server.tasks.record_log(getattr(self.request, "task_id", None), params)


def _declares_tasks(capabilities: Any) -> bool:
    extensions = capabilities.get("extensions") if isinstance(capabilities, Mapping) else None
    return isinstance(extensions, Mapping) and isinstance(extensions.get(TASKS_EXTENSION), Mapping)


class _End:
    __slots__ = ("graceful",)

    def __init__(self, graceful: bool) -> None:
        self.graceful = graceful


class Subscription:
    """One open ``subscriptions/listen``: a queue of tagged notifications, the acknowledgement first.

    The transport drains it with :meth:`next` until it returns an end marker
    (:attr:`ENDED`: the client went away or cancelled; :attr:`CLOSED`: the
    server ends it, answer :meth:`ModernDispatcher.listen_result`).
    """

    ENDED = _End(False)
    CLOSED = _End(True)

    def __init__(self, listen_id: Any, honoured: dict[str, Any]) -> None:
        self.id = listen_id
        self.honoured = honoured
        self._uris = frozenset(honoured.get("resourceSubscriptions", ()))
        self._task_ids = frozenset(honoured.get("taskIds", ()))
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._queue.put(self._tagged(_ACKNOWLEDGED, {"notifications": honoured}))

    def __repr__(self) -> str:
        return f"<Subscription {self.id!r} {sorted(self.honoured)}>"

    def _tagged(self, method: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
        body = dict(params or {})
        meta = dict(body.get("_meta") or {})
        meta[mp.META_SUBSCRIPTION_ID] = self.id
        body["_meta"] = meta
        return {"jsonrpc": "2.0", "method": method, "params": body}

    def wants_task(self, task_id: str) -> bool:
        return task_id in self._task_ids

    def wants(self, method: str, params: Mapping[str, Any] | None) -> bool:
        if method == _UPDATED:
            return isinstance(params, Mapping) and params.get("uri") in self._uris
        if method == _TASKS:
            return isinstance(params, Mapping) and params.get("taskId") in self._task_ids
        entry = _FILTERS.get(method)
        return entry is not None and self.honoured.get(entry[0]) is True

    def offer(self, method: str, params: Mapping[str, Any] | None = None) -> bool:
        """Queue the notification if this subscription asked for it; returns whether it did."""
        if not self.wants(method, params):
            return False
        self._queue.put(self._tagged(method, params))
        return True

    def cancel(self) -> None:
        """The client ended it (stdio ``notifications/cancelled``, or the HTTP stream closed)."""
        self._queue.put(self.ENDED)

    def close(self) -> None:
        """The server ends it (the transport then answers the listen request)."""
        self._queue.put(self.CLOSED)

    def next(self, timeout: float | None = None) -> Any:
        """The next message to send, an end marker, or None when ``timeout`` passed first."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None


class ModernDispatcher:
    """Serves modern requests for one server (see the module docstring)."""

    def __init__(self, server: "Server", *, cache_policy: CachePolicy | None = None,
                 request_state_secret: bytes | str | None = None,
                 sealer: RequestStateSealer | None = None) -> None:
        self.server = server
        #: Modern revisions served, oldest first.
        self.versions: tuple[str, ...] = MODERN_VERSIONS
        #: ``ttlMs``/``cacheScope`` defaults of cacheable results.
        self.cache_policy = cache_policy if cache_policy is not None else CachePolicy()
        #: Seals MRTR ``requestState`` (share the secret across workers).
        self.sealer = sealer if sealer is not None else RequestStateSealer(request_state_secret)
        # Methods of the legacy table that are not part of the modern core (tasks/*...): only served
        # in modern requests when re-registered with method() (e.g. by an extension).
        self._legacy_builtins = frozenset(server._methods) - mp.MODERN_REQUESTS
        self._methods: dict[str, ModernHandler] = {}
        self._extensions: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._subscriptions: set[Subscription] = set()
        # Extension methods (the tasks extension's tasks/get, tasks/update, tasks/cancel...) are
        # registered here by Server.add_extension (see mcp_sync.server.tasks_extension).
        #: Tools that ask for input run across their rounds (:mod:`mcp_sync.server.continuations`).
        self.continuations = Continuations()

    # -- configuration ------------------------------------------------------------

    def method(self, name: str) -> Callable[[ModernHandler], ModernHandler]:
        """Register ``fn(view, request) -> result`` for a method of modern requests only.

        For extensions whose methods differ from legacy ones (e.g. the tasks
        extension's ``tasks/get``). Wins over the server's method table.
        """

        def register(fn: ModernHandler) -> ModernHandler:
            self._methods[name] = fn
            return fn

        return register

    def declare_extension(self, extension_id: str, settings: Mapping[str, Any] | None = None) -> None:
        """Advertise ``capabilities.extensions[extension_id]`` in ``server/discover``."""
        self._extensions[extension_id] = dict(settings or {})

    def supported_versions(self) -> list[str]:
        """Every revision this server speaks, newest first (``supportedVersions``, -32022 data)."""
        legacy = tuple(getattr(self.server, "legacy_versions", ()))
        return sorted(set(self.versions) | set(legacy), reverse=True)

    def capabilities(self) -> dict[str, Any]:
        """The server capabilities of the modern era (no core ``tasks``; declared extensions).

        Extensions added with ``Server.add_extension`` for this era are declared (among them
        ``io.modelcontextprotocol/tasks`` whenever the server's tasks are enabled).
        """
        declared = self.server.capabilities()
        out = {k: v for k, v in declared.items() if k != "tasks"}
        added = dict(self._extensions)
        added.update(self.server.extensions.declared("modern"))  # the tasks extension among them
        if added:
            extensions = dict(out.get("extensions") or {})
            extensions.update(added)
            out["extensions"] = extensions
        return out

    def server_info(self, version: str) -> dict[str, Any]:
        return wire_view("implementation", self.server.server_info(), version)

    # -- routing --------------------------------------------------------------------

    @staticmethod
    def routes(method: str, params: Any, header_version: str | None = None) -> bool:
        """Whether this request is served statelessly (see the module docstring)."""
        return mp.looks_modern(method, params, header_version=header_version)

    def read_meta(self, params: Any) -> mp.RequestMeta:
        """The request's ``_meta``, validated: -32602 (missing fields), -32022 (listing every version we speak)."""
        try:
            return mp.read_request_meta(params, self.versions)
        except mp.RejectedRequest as exc:
            if exc.code == UNSUPPORTED_PROTOCOL_VERSION:
                raise mp.unsupported_version_error(exc.data["requested"], self.supported_versions()) from None
            raise

    @staticmethod
    def incoming(channel: Any, request_id: Any, method: str, params: Any) -> "IncomingRequest":
        """A request of the stateless HTTP path, answered on ``channel`` (what the engine's session is to
        a session transport): transports get it here instead of importing the engine."""
        from ..session import IncomingRequest

        return IncomingRequest(channel, request_id, method, params)

    def lookup(self, method: str) -> ModernHandler:
        """The handler of ``method``; -32601 (HTTP 404) for removed, unknown and unoffered methods."""
        handler = self._methods.get(method)
        if handler is not None:
            return handler
        if method in mp.REMOVED_METHODS or method in self._legacy_builtins or method == "subscriptions/listen":
            raise mp.method_not_found_error(method)
        handler = self.server._methods.get(method)
        if handler is None:
            raise mp.method_not_found_error(method)
        path = caps.required_capability(method)
        if path is not None and not caps.has_capability(self.server.capabilities(), *path):
            raise mp.RejectedRequest(-32601, f"Method not found: {method} (capability {'.'.join(path)!r} is not "
                                             f"offered by this server)", http_status=404)
        return handler

    # -- serving ------------------------------------------------------------------------

    def handle(self, request: "IncomingRequest", meta: mp.RequestMeta) -> dict[str, Any]:
        """The result of one modern request (not ``subscriptions/listen``); raises :class:`McpError`."""
        view = ModernView(self.server, request, meta)
        chain = self.server.middleware
        if not chain:
            return self._handle(view, request, meta)
        call = Call(request.method, request.params, era="modern", protocol_version=meta.protocol_version,
                    identity=identity_of(request), client_info=meta.client_info, request=request, connection=view)

        def terminal(c: Call) -> dict[str, Any]:
            request.params = c.params
            return self._handle(view, request, meta)

        result: dict[str, Any] = chain.run(call, terminal)
        return result

    def _handle(self, view: ModernView, request: "IncomingRequest", meta: mp.RequestMeta) -> dict[str, Any]:
        method = request.method
        if method == "server/discover":
            return self.finish(request, self.discover_result(), meta)
        handler = self.lookup(method)
        if method in mp.MRTR_METHODS:
            result = self._run_mrtr(view, request, handler)
        else:
            result = handler(view, request)
        if not isinstance(result, dict):
            log.error("handler of %r returned %s, not a result object", method, type(result).__name__)
            raise McpError(INTERNAL_ERROR, f"Internal error: the handler of {method!r} returned no result object")
        return self.finish(request, result, meta)

    def serve(self, connection: Any, request: "IncomingRequest") -> dict[str, Any]:
        """A modern request arriving on a session transport (stdio, memory): its result, or McpError.

        ``subscriptions/listen`` blocks this worker thread until the client
        cancels it, the transport ends, or :meth:`close_subscriptions`.
        """
        meta = self.read_meta(request.params)
        if isinstance(request.extra, dict):
            request.extra[CONNECTION_KEY] = connection  # what tasks made by this request are bound to
        if request.method == "subscriptions/listen":
            return self._listen_on_session(request, meta)
        return self.handle(request, meta)

    def _principal(self, request: "IncomingRequest") -> str | None:
        auth = request.extra.get("auth") if isinstance(request.extra, dict) else None
        subject = getattr(auth, "subject", None)
        return subject if isinstance(subject, str) else None

    def _run_mrtr(self, view: ModernView, request: "IncomingRequest", handler: ModernHandler) -> Any:
        retry = mp.read_retry(request.params)
        bind = request_binding(request.method, request.params, self._principal(request))
        answers = dict(retry.input_responses)
        sealed: Any = {}
        if retry.request_state is not None:
            sealed = self.sealer.open(retry.request_state, bind=bind)
            if isinstance(sealed.get("answers"), dict):
                answers.update(sealed["answers"])  # answers accepted in earlier rounds stand
        continuation = self.continuations.claim(sealed.get("continuation"))
        if continuation is not None:  # the tool is parked at its input call: carry on there
            continuation.resume(request, view, retry.input_responses)
            return self._follow(continuation, request, bind)
        if request.method == "tools/call" and self._takes_context(request.params.get("name")):
            return self._follow(self.continuations.start(view, request, handler, answers), request, bind)
        view.inputs = InputRound(answers, view.client_capabilities)
        try:
            return handler(view, request)
        except InputRequired as needed:
            state = self.sealer.seal({"answers": view.inputs.used}, bind=bind)
            return mp.input_required_result(needed.requests, state, check_capabilities=False)
        except StartTask:  # ctx.start_task(): the rest runs as a task (the answers so far go with it)
            return self.server.tasks.escalate(view, request)

    def _takes_context(self, name: Any) -> bool:
        """Whether tool ``name`` takes a Context (only those can ask for input: they run as continuations)."""
        tool = self.server.find_tool(name) if isinstance(name, str) else None
        return getattr(tool, "context_param", None) is not None

    def _follow(self, continuation: Continuation, request: "IncomingRequest", bind: Mapping[str, Any]) -> Any:
        """Wait for a continued tool to return or to need input (then answer ``input_required``)."""
        kind, value = continuation.outcome()
        view = continuation.view
        if kind == "input":  # parked: the retry names it in the sealed state
            state = self.sealer.seal({"answers": view.inputs.used, "continuation": continuation.id}, bind=bind)
            return mp.input_required_result(value, state, check_capabilities=False)
        self.continuations.finished(continuation)
        if kind == "done":
            return value
        if isinstance(value, InputRequired):  # could not park: the retry re-runs the tool
            state = self.sealer.seal({"answers": view.inputs.used}, bind=bind)
            return mp.input_required_result(value.requests, state, check_capabilities=False)
        if isinstance(value, StartTask):
            return self.server.tasks.escalate(view, request)
        raise value

    def close(self) -> None:
        """Abandon the tools parked at an input call and join their threads (the dispatcher stays usable)."""
        self.continuations.close()

    def finish(self, request: "IncomingRequest", result: dict[str, Any], meta: mp.RequestMeta) -> dict[str, Any]:
        """``resultType``, caching hints and ``serverInfo`` on a result."""
        out = result if "resultType" in result else mp.with_result_type(result)
        out = apply_cache_hints(request.method, out, request.params, self.cache_policy)
        return mp.with_server_info(out, self.server_info(meta.protocol_version))

    def discover_result(self) -> dict[str, Any]:
        result: dict[str, Any] = {"supportedVersions": self.supported_versions(), "capabilities": self.capabilities()}
        if self.server.instructions:
            result["instructions"] = self.server.instructions
        return result

    # -- subscriptions ------------------------------------------------------------------

    def _honour(self, wanted: Mapping[str, Any], request: "IncomingRequest | None" = None) -> dict[str, Any]:
        declared = self.server.capabilities()
        honoured: dict[str, Any] = {}
        for key, kind in _FILTERS.values():
            if wanted.get(key) is True and caps.has_capability(declared, kind, "listChanged"):
                honoured[key] = True
        uris = wanted.get("resourceSubscriptions")
        if uris is not None:
            if not isinstance(uris, list) or not all(isinstance(u, str) for u in uris):
                raise McpError(INVALID_PARAMS, "Invalid params: notifications.resourceSubscriptions must be an "
                                               "array of URIs")
            if uris and caps.has_capability(declared, "resources", "subscribe"):
                honoured["resourceSubscriptions"] = list(dict.fromkeys(uris))
        task_ids = wanted.get("taskIds")
        if task_ids is not None:
            if not isinstance(task_ids, list) or not all(isinstance(t, str) for t in task_ids):
                raise McpError(INVALID_PARAMS, "Invalid params: notifications.taskIds must be an array of task ids")
            tasks = self.server.tasks
            if task_ids and tasks.enabled and request is not None:
                meta = mp.get_meta(request.params) or {}
                if not _declares_tasks(meta.get(mp.META_CLIENT_CAPABILITIES)):
                    raise MissingClientCapability({"extensions": {TASKS_EXTENSION: {}}})
                honoured["taskIds"] = tasks.accessible(task_ids, request)
        return honoured

    def open_subscription(self, request: "IncomingRequest") -> Subscription:
        """Validate a listen request and register its subscription (acknowledgement queued first).

        The middleware chain sees the request here: ``call_next`` returns once the
        subscription is open (the stream then lives on outside the chain).
        """
        chain = self.server.middleware
        if not chain:
            return self._open_subscription(request)
        meta = mp.get_meta(request.params) or {}
        version = meta.get(mp.META_PROTOCOL_VERSION)
        call = Call(request.method, request.params, era="modern",
                    protocol_version=version if isinstance(version, str) else None, identity=identity_of(request),
                    client_info=meta.get(mp.META_CLIENT_INFO), request=request)

        def terminal(c: Call) -> Subscription:
            request.params = c.params
            return self._open_subscription(request)

        subscription: Subscription = chain.run(call, terminal)
        return subscription

    def _open_subscription(self, request: "IncomingRequest") -> Subscription:
        wanted = request.params.get("notifications")
        if not isinstance(wanted, Mapping):
            raise McpError(INVALID_PARAMS, "Invalid params: subscriptions/listen needs a 'notifications' object")
        subscription = Subscription(request.id, self._honour(wanted, request))
        with self._lock:
            self._subscriptions.add(subscription)
        return subscription

    def close_subscription(self, subscription: Subscription) -> None:
        """Forget a subscription (its transport stopped draining it)."""
        with self._lock:
            self._subscriptions.discard(subscription)

    def subscriptions(self) -> list[Subscription]:
        with self._lock:
            return list(self._subscriptions)

    def close_subscriptions(self) -> None:
        """End every open subscription gracefully (each listen request gets its result)."""
        for subscription in self.subscriptions():
            subscription.close()

    def publish(self, method: str, params: Mapping[str, Any] | None = None) -> int:
        """Offer a notification to every open subscription; returns how many took it."""
        return sum(1 for s in self.subscriptions() if s.offer(method, params))

    def publish_task(self, record: Any) -> int:
        """``notifications/tasks`` (a DetailedTask) to the subscriptions that asked for this task."""
        interested = [s for s in self.subscriptions() if s.wants_task(record.task_id)]
        if not interested:
            return 0
        params = task_notification_params(record)
        return sum(1 for s in interested if s.offer(_TASKS, params))

    def listen_result(self, subscription: Subscription, version: str | None = None) -> dict[str, Any]:
        """The result that ends a listen request gracefully."""
        meta: dict[str, Any] = {mp.META_SUBSCRIPTION_ID: subscription.id}
        meta[mp.META_SERVER_INFO] = self.server_info(version or self.versions[-1])
        return {"resultType": mp.COMPLETE, "_meta": meta}

    def _listen_on_session(self, request: "IncomingRequest", meta: mp.RequestMeta) -> dict[str, Any]:
        subscription = self.open_subscription(request)
        request.cancelled.add_callback(subscription.cancel)
        transport = getattr(request.session, "transport", None)
        on_eof = getattr(transport, "add_eof_callback", None)  # stdio: end at once when stdin closes
        if on_eof is not None:
            on_eof(subscription.cancel)
        try:
            while True:
                item = subscription.next()
                if isinstance(item, _End):
                    if item.graceful:
                        return self.listen_result(subscription, meta.protocol_version)
                    return {"resultType": mp.COMPLETE}  # cancelled: the session sends nothing
                request.session.notify(item["method"], item["params"])
        except ConnectionClosed:
            return {"resultType": mp.COMPLETE}
        finally:
            self.close_subscription(subscription)
            request.cancelled.remove_callback(subscription.cancel)
            remove = getattr(transport, "remove_eof_callback", None)
            if remove is not None:
                remove(subscription.cancel)
