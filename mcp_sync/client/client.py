"""The blocking client.

Every request exists in two forms with the same name and arguments:

* ``client.call_tool(...)`` blocks and returns the typed result (or raises);
* ``client.nowait.call_tool(...)`` returns at once a :class:`McpFuture` of that
  result; ``future.cancel()`` (from any thread) tells the server to stop.

The blocking methods are thin wrappers over the ``nowait`` ones.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Mapping, Sequence

from ..version import __version__
from ..errors import (
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    CapabilityError,
    ConnectionClosed,
    McpError,
    McpSyncError,
    ProtocolError,
    ProtocolVersionError,
)
from ..protocol import capabilities as caps
from ..protocol.modern import REMOVED_METHODS as _REMOVED_IN_MODERN
from ..tasks.legacy import RELATED_TASK_META
from ..protocol.versions import LATEST_LEGACY, LEGACY_VERSIONS, V2025_06_18, V2025_11_25
from ..session import IncomingRequest, ProgressCallback, Session
from ..transports.base import Transport
from ..types import (
    LOGGING_LEVELS,
    UNSET,
    CallToolResult,
    CancelTaskResult,
    ClientCapabilities,
    CompleteResult,
    CreateMessageRequestParams,
    ElicitRequestFormParams,
    ElicitRequestURLParams,
    GetPromptResult,
    GetTaskResult,
    Implementation,
    InitializeResult,
    ListPromptsResult,
    ListResourcesResult,
    ListResourceTemplatesResult,
    ListTasksResult,
    ListToolsResult,
    LoggingMessageNotificationParams,
    Prompt,
    PromptReference,
    ReadResourceResult,
    Resource,
    ResourceTemplate,
    ResourceTemplateReference,
    Root,
    ServerCapabilities,
    Tool,
    from_wire,
    to_wire,
)
from ..types import Task as TaskInfo
from .futures import MORE, McpFuture, failed, wait_for
from .tasks import (
    NOT_HANDLED,
    ClientTaskPeer,
    ClientTaskReceiver,
    Task,
    call_tool_as_task,
    call_tool_learning_support,
    call_tool_via_task,
    legacy_task_result,
    modern_call_tool,
    modern_cancel_task,
    modern_get_task,
    modern_get_task_result,
    modern_list_tasks,
)
from .tasks import lenient as _lenient
from .handlers import (
    RootsSource,
    elicitation_result,
    parse_params,
    sampling_result,
    to_roots,
)

log = logging.getLogger("mcp_sync.client")

#: Seconds a call waits for its response unless told otherwise.
DEFAULT_TIMEOUT = 60.0
#: Seconds a stdio era probe (``server/discover``) waits before assuming a legacy server.
DEFAULT_PROBE_TIMEOUT = 2.0
#: How many ``input_required`` rounds (2026-07-28 MRTR) one call may take.
DEFAULT_MAX_INPUT_ROUNDS = 10
#: Seconds ``open()`` waits for a 2026-07-28 server to acknowledge the list-changed hooks' subscription.
HOOK_LISTEN_TIMEOUT = 10.0
#: How long a call that found the connection broken waits for the reason (exit code, stderr).
CLOSE_REASON_WAIT = 1.0
_DEFAULT: Any = object()
#: Requests of the 2026-07-28 tasks extension (they declare it, and need the server to have declared it).
_EXTENSION_TASK_METHODS = frozenset({"tasks/get", "tasks/update", "tasks/cancel"})

SamplingHandler = Callable[[CreateMessageRequestParams], Any]
ElicitationHandler = Callable[[ElicitRequestFormParams], Any]
UrlElicitationHandler = Callable[[ElicitRequestURLParams], Any]


def _refuse_retrieval(uri: str) -> Any:
    import referencing.exceptions

    raise referencing.exceptions.NoSuchResource(ref=uri)  # type: ignore[call-arg]  # attrs field; referencing's own frozen wrapper hides the attrs __init__ from mypy


_offline_registry: Any = None


def _get_offline_registry() -> Any:
    """``OFFLINE_REGISTRY``, built on first use: jsonschema and its stack load only when a tool
    declares an ``outputSchema`` (importing them costs ~50 ms)."""
    global _offline_registry
    if _offline_registry is None:
        import referencing
        from jsonschema_specifications import REGISTRY as metaschemas  # type: ignore[import-untyped]  # ships no py.typed

        _offline_registry = metaschemas.combine(referencing.Registry(retrieve=_refuse_retrieval))  # type: ignore[call-arg]
    return _offline_registry


def __getattr__(name: str) -> Any:
    #: ``OFFLINE_REGISTRY`` resolves ``$ref`` within a schema and to the JSON Schema metaschemas
    #: only: a network ``$ref`` in a server's schema is never fetched (SEP-2106).
    if name == "OFFLINE_REGISTRY":
        return _get_offline_registry()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class OutputValidationError(McpSyncError, ValueError):
    """A tool's ``structuredContent`` does not match the ``outputSchema`` it declared.

    A local error (the server answered; its answer is wrong). ``result`` is the
    :class:`~mcp_sync.types.CallToolResult` as received, ``errors`` the
    jsonschema messages.
    """

    def __init__(self, tool: str, result: CallToolResult, errors: list[str]) -> None:
        super().__init__(f"the result of tool {tool!r} does not match its outputSchema: {'; '.join(errors)}")
        self.tool = tool
        self.result = result
        self.errors = errors


class Client:
    """An MCP client. Use it as a context manager::

        with Client.stdio(["python", "server.py"]) as client:
            print(client.call_tool("add", {"a": 1, "b": 2}))

    Handlers for what the server may ask (each runs on a worker thread; raise
    :class:`~mcp_sync.errors.McpError` to answer with that error):

    * ``sampling=fn(CreateMessageRequestParams) -> CreateMessageResult | dict``;
      ``sampling_tools=True`` if it handles ``tools``/``toolChoice``.
    * ``elicitation=fn(ElicitRequestFormParams) -> ElicitResult | dict`` (form
      mode). On ``accept``, every requested field the handler left out gets the
      schema's ``default`` (SEP-1034).
    * ``elicitation_url=fn(ElicitRequestURLParams) -> ElicitResult | dict`` (URL
      mode: ``accept`` means the user agreed to open the URL).
    * ``roots=[...]`` (roots, ``file://`` URIs or paths) or a callable returning
      them; change them with :meth:`set_roots` / :meth:`notify_roots_changed`.

    Hooks for what the server tells (run in order on one notification thread,
    the same in both eras: on 2026-07-28 a list-changed hook makes the client
    hold a ``subscriptions/listen`` stream, and ``on_log`` asks every request
    for logs): ``on_log(LoggingMessageNotificationParams)``, ``on_tools_changed()``,
    ``on_prompts_changed()``, ``on_resources_changed()``,
    ``on_resource_updated(uri)``, ``on_elicitation_complete(elicitation_id)``,
    and ``on_notification(method, params)`` which sees every notification raw.

    ``tasks=True`` (or a :class:`~mcp_sync.tasks.TaskLimits` / ``TaskStore``):
    on 2025-11-25, accept task-augmented sampling and elicitation requests
    (for the handlers given) and run the handler as a task the server polls
    (:mod:`mcp_sync.client.tasks`); on 2026-07-28, declare the
    ``io.modelcontextprotocol/tasks`` extension (``capabilities.extensions``,
    never the 2025-11-25 ``tasks`` capability) on every request, so the
    server may answer any ``tools/call`` with a task, which :meth:`call_tool`
    polls to its end. Calling tools as tasks needs no option:
    :meth:`call_tool_as_task` (on 2026-07-28 it declares the extension on
    its own requests only).

    ``cache=``: a :class:`~mcp_sync.client.cache.ClientCache` (opt-in; may be
    shared by clients) keeps the lists, ``server/discover`` and
    ``resources/read`` results of 2026-07-28 servers for their ``ttlMs``,
    honouring ``cacheScope``.

    The client declares exactly the capabilities it was given handlers for.
    ``timeout`` (seconds, None for no limit) applies to every call that does
    not pass its own ``timeout=``.

    Protocol eras (see :mod:`mcp_sync.client.era`): ``protocol="auto"``
    (the default, unless the ``MCP_SYNC_PROTOCOL`` environment variable names
    another mode, e.g. ``legacy``) asks the server with ``server/discover`` and speaks 2026-07-28
    to a modern server, or falls back to ``initialize`` (stdio: after
    ``probe_timeout`` seconds without an answer); ``"legacy"``, ``"modern"`` or
    a version string pins it (``protocol_version=`` alone pins that version,
    as before). The answer is remembered per server in ``era_cache`` (the
    process-wide :data:`~mcp_sync.client.era.ERA_CACHE` by default; None: no
    cache). Once open, ``client.era`` is ``"legacy"`` or ``"modern"`` and
    ``client.protocol_version`` the version in use. Against a modern server
    the same handlers answer the ``input_required`` rounds of ``call_tool``,
    ``get_prompt`` and ``read_resource`` (at most ``max_input_rounds``), and
    :meth:`subscribe` holds a ``subscriptions/listen`` stream.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        name: str = "mcp-sync",
        version: str = __version__,
        title: str | None = None,
        protocol: str | None = None,
        protocol_version: str | None = None,
        probe_timeout: float = DEFAULT_PROBE_TIMEOUT,
        max_input_rounds: int = DEFAULT_MAX_INPUT_ROUNDS,
        era_cache: Any = _DEFAULT,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_workers: int = 8,
        sampling: SamplingHandler | None = None,
        sampling_tools: bool = False,
        elicitation: ElicitationHandler | None = None,
        elicitation_url: UrlElicitationHandler | None = None,
        roots: RootsSource | None = None,
        on_log: Callable[[LoggingMessageNotificationParams], Any] | None = None,
        on_tools_changed: Callable[[], Any] | None = None,
        on_prompts_changed: Callable[[], Any] | None = None,
        on_resources_changed: Callable[[], Any] | None = None,
        on_resource_updated: Callable[[str], Any] | None = None,
        on_elicitation_complete: Callable[[str], Any] | None = None,
        on_notification: Callable[[str, dict[str, Any] | None], Any] | None = None,
        tasks: Any = False,
        extensions: Mapping[str, Mapping[str, Any]] | None = None,
        request_handlers: Mapping[str, Callable[[dict[str, Any]], Any]] | None = None,
        cache: Any = None,
    ) -> None:
        from .era import ERA_CACHE, resolve_protocol
        from .extensions import check_client_extensions, check_request_handlers

        #: Extensions this client declares (``capabilities.extensions``: ``initialize`` and every 2026-07-28 request).
        self.extensions: dict[str, dict[str, Any]] = check_client_extensions(extensions)
        #: Handlers ``fn(params) -> result dict`` of requests an extension lets the server send (legacy sessions).
        self._request_handlers = check_request_handlers(request_handlers)

        #: ``"auto"``, ``"legacy"`` or ``"modern"``; and the one version to speak, if pinned.
        if protocol is None:  # not given: the environment may pin an era for every client
            protocol = (os.environ.get("MCP_SYNC_PROTOCOL") if protocol_version is None else None) or "auto"
        self._era_mode, self._pinned_version = resolve_protocol(protocol, protocol_version)
        self._era_cache = ERA_CACHE if era_cache is _DEFAULT else era_cache
        self.probe_timeout = probe_timeout
        if max_input_rounds < 1:
            raise ValueError("max_input_rounds must be at least 1")
        self.max_input_rounds = max_input_rounds
        #: ``"legacy"`` or ``"modern"`` once open (None before).
        self.era: str | None = None
        #: Modern-era state (:class:`~mcp_sync.client.modern.ModernSupport`), once the server is known to be modern.
        self._modern: Any = None
        if sampling_tools and sampling is None:
            raise ValueError("sampling_tools=True needs a sampling handler")
        self.transport = transport
        self.client_info = Implementation(name=name, version=version, title=title)
        pinned = self._pinned_version
        self.requested_version = pinned if pinned in LEGACY_VERSIONS else LATEST_LEGACY
        self.timeout = timeout
        self._sampling = sampling
        self._sampling_tools = sampling_tools
        self._elicitation = elicitation
        self._elicitation_url = elicitation_url
        self._roots_lock = threading.Lock()
        self._roots: Any = None if roots is None else (roots if callable(roots) else to_roots(roots))
        self._roots_enabled = roots is not None
        self._tasks_config = tasks
        #: Opt-in result cache (:class:`~mcp_sync.client.cache.ClientCache`): ttlMs/cacheScope of 2026-07-28.
        self.cache = cache
        self._hooks = {
            "log": on_log, "tools": on_tools_changed, "prompts": on_prompts_changed,
            "resources": on_resources_changed, "updated": on_resource_updated,
            "elicitation": on_elicitation_complete, "any": on_notification,
        }
        #: What this client declares in ``initialize`` (from the handlers it was given).
        self.client_capabilities: ClientCapabilities = self._declare()
        self._declared = to_wire(self.client_capabilities)
        self.session = Session(transport, on_request=self._on_request, on_notification=self._on_notification,
                               name=f"mcp-client-{name}", max_workers=max_workers)
        #: Requestor side of tasks (handles' status notifications, progress of task calls).
        self._task_peer = ClientTaskPeer(self)
        #: Receiver side of tasks (``tasks=``), when declared.
        self._task_receiver: ClientTaskReceiver | None = (
            ClientTaskReceiver(self, tasks) if "tasks" in self._declared else None)
        self._task_support: dict[str, str | None] = {}
        #: Runs the follow-up requests of multi-page listings (never user code).
        self._pager = ThreadPoolExecutor(1, thread_name_prefix=f"mcp-client-{name}-pager")
        #: Set once the handshake is done (from ``open()``).
        self.protocol_version: str | None = None
        self.initialize_result: InitializeResult | None = None
        self._server_info: Implementation | None = None
        self.server_capabilities: ServerCapabilities = ServerCapabilities()
        self.instructions: str | None = None
        self._server_caps: dict[str, Any] = {}
        self._schemas_lock = threading.Lock()
        self._output_validators: dict[str, Any] = {}
        self._owned: list[Any] = []  # closed with the client (an in-memory server connection)
        self._open_lock = threading.Lock()
        self._opened = False
        self._ready = threading.Event()
        #: ``depth`` > 0 while this thread runs the client's callbacks (hooks, progress, results).
        self._in_callback = threading.local()
        #: The non-blocking twin of every request method (returns :class:`McpFuture`).
        self.nowait = NoWait(self)
        from .subscriptions import Router

        self._router = Router()
        self._middleware: Any = None  # a MiddlewareChain once add_middleware is used
        #: The listen stream feeding the list-changed hooks on 2026-07-28 (None: no such hook, or legacy).
        self._hook_subscription: Any = None

    # -- construction ----------------------------------------------------------

    @property
    def server_info(self) -> Implementation:
        """The server's ``Implementation`` (name, version, title...), once connected.

        Raises :class:`~mcp_sync.errors.McpSyncError` before the client is
        open; a server that sent no ``serverInfo`` reads as an empty name and
        version.
        """
        info = self._server_info
        if info is not None:
            return info
        if self.protocol_version is None:
            raise McpSyncError("the client is not connected yet: use it in a 'with' block (or call open()) "
                               "before reading server_info")
        return Implementation(name="", version="")

    @server_info.setter
    def server_info(self, value: Implementation | None) -> None:
        self._server_info = value

    @classmethod
    def stdio(cls, command: str | Sequence[str], args: Sequence[str] = (), *, env: dict[str, str] | None = None,
              cwd: str | os.PathLike[str] | None = None, stderr: Any = _DEFAULT, **kwargs: Any) -> "Client":
        """A client for a server started as a subprocess speaking stdio.

        ``stderr``: where the server's stderr lines go (default ``sys.stderr``,
        written with ``write()``: works without a real file descriptor); a
        callable taking one line; or None to keep only the tail for errors.
        """
        from ..transports.stdio import StdioClientTransport

        extra = {} if stderr is _DEFAULT else {"stderr": stderr}
        return cls._owning(StdioClientTransport(command, args, env=env, cwd=cwd, **extra), **kwargs)

    @classmethod
    def http(cls, url: str, *, headers: Mapping[str, str] | None = None, auth: Any = None,
             timeout: float | None = DEFAULT_TIMEOUT, **kwargs: Any) -> "Client":
        """A client for a Streamable HTTP server at ``url``."""
        from ..transports.http_client import HttpClientTransport

        transport = HttpClientTransport(url, headers=dict(headers or {}), auth=auth)
        return cls._owning(transport, timeout=timeout, **kwargs)

    @classmethod
    def connect(cls, server: Any, **kwargs: Any) -> "Client":
        """A client connected in memory to ``server`` (a :class:`~mcp_sync.Server`)."""
        from ..transports.memory import MemoryTransport

        ours, theirs = MemoryTransport.pair()
        client = cls._owning(ours, **kwargs)
        try:
            client._owned.append(server.serve(theirs))
        except BaseException:
            ours.close()
            raise
        return client

    @classmethod
    def _owning(cls, transport: Transport, **kwargs: Any) -> "Client":
        """``cls(transport, ...)``, closing the transport (a child process...) if that fails."""
        try:
            return cls(transport, **kwargs)
        except BaseException:
            transport.close()
            raise

    # -- lifecycle ---------------------------------------------------------------

    def open(self) -> "Client":
        """Start the session and find out which era the server speaks (idempotent).

        Legacy servers get the ``initialize`` handshake; modern (2026-07-28)
        ones a ``server/discover`` (see :mod:`mcp_sync.client.era`).
        """
        with self._open_lock:
            if self._opened:
                if self.session.closed.is_set() and not self._ready.is_set():
                    raise self.session.close_error or ConnectionClosed("client closed")
                return self
            self._opened = True
        self.session.start()
        try:
            from .era import establish

            establish(self)
            if self.era == "modern":  # list changes come only on a subscription in 2026-07-28
                from .subscriptions import listen_for_hooks

                wait = HOOK_LISTEN_TIMEOUT if self.timeout is None else min(self.timeout, HOOK_LISTEN_TIMEOUT)
                self._hook_subscription = listen_for_hooks(self, wait)
        except BaseException:
            self.close()
            raise
        return self

    def _initialize(self) -> None:
        raw = self.session.call("initialize", {
            "protocolVersion": self.requested_version,
            "capabilities": self._declared,
            "clientInfo": to_wire(self.client_info),
        }, timeout=self.timeout)
        version = raw.get("protocolVersion") if isinstance(raw, dict) else None
        if version not in LEGACY_VERSIONS:
            raise ProtocolVersionError(
                f"the server chose protocol version {version!r}, which this client does not support "
                f"(supported: {', '.join(LEGACY_VERSIONS)})")
        result = from_wire(InitializeResult, raw)
        self.protocol_version = version
        self.session.protocol_version = version
        setter = getattr(self.transport, "set_protocol_version", None)
        if setter is not None:  # HTTP sends it as a header on every later request
            setter(version)
        self.initialize_result = result
        self._server_info = result.server_info
        self.server_capabilities = result.capabilities
        self._server_caps = raw.get("capabilities") or {}
        self.instructions = result.instructions
        self.session.notify("notifications/initialized")
        self._ready.set()

    def _declare(self) -> ClientCapabilities:
        declared: dict[str, Any] = {}
        version = self.requested_version
        if self._roots_enabled:
            declared["roots"] = {"listChanged": True}
        if self._sampling is not None:
            declared["sampling"] = {"tools": {}} if self._sampling_tools and version >= V2025_11_25 else {}
        if version >= V2025_11_25:
            modes: dict[str, Any] = {}
            if self._elicitation is not None:
                modes["form"] = {}
            if self._elicitation_url is not None:
                modes["url"] = {}
            if modes:
                declared["elicitation"] = modes
        elif version >= V2025_06_18 and self._elicitation is not None:
            declared["elicitation"] = {}  # form only, the one mode of that revision
        if self._tasks_config and version == V2025_11_25 and ("sampling" in declared or "elicitation" in declared):
            declared["tasks"] = ClientTaskReceiver.capability(declared)
        if self.extensions:
            declared["extensions"] = {key: dict(value) for key, value in self.extensions.items()}
        return from_wire(ClientCapabilities, declared)

    @property
    def closed(self) -> bool:
        """True once the connection has ended (closed by us, or the server went away)."""
        return self.session.input_closed

    def close(self) -> None:
        """End the session (and the server process or in-memory server connection).

        Every pending call fails with :class:`~mcp_sync.errors.ConnectionClosed`;
        every thread the client started is joined.
        """
        if self._hook_subscription is not None:
            self._hook_subscription.close()
        for subscription in self._router.all():  # ends listen streams while the connection is up
            subscription.close()
        self.session.close("client closed")
        if self._modern is not None:
            self._modern.close()
        if self._task_receiver is not None:
            self._task_receiver.close()
        self._pager.shutdown(wait=False)
        me = threading.current_thread()
        for thread in list(getattr(self._pager, "_threads", ())):
            if thread is not me:
                thread.join()
        for owned in self._owned:
            owned.close()

    def __enter__(self) -> "Client":
        return self.open()

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # -- requests (blocking: each waits for its ``nowait`` twin) -----------------

    def request(self, method: str, params: dict[str, Any] | None = None, *, timeout: float | None = _DEFAULT,
                progress: ProgressCallback | None = None, meta: dict[str, Any] | None = None) -> Any:
        """Send any request and return its raw ``result`` (a dict)."""
        return wait_for(self.nowait.request(method, params, timeout=timeout, progress=progress, meta=meta))

    def add_middleware(self, middleware: Callable[[Any, Callable[[Any], Future[Any]]], Future[Any]], *,
                       methods: Sequence[str] | None = None) -> Callable[..., Any]:
        """Add ``middleware(call, call_next) -> Future`` around every request this client sends.

        ``call`` is a :class:`mcp_sync.server.Call` (``method``, ``params``,
        ``era``, ``protocol_version``, ``connection`` = this client, ``state``);
        ``call_next(call)`` sends it and returns the request's future (its result
        is the raw result object). A middleware may change the params
        (``call.replace(params=...)``), watch the future, return another one, or
        refuse by raising (the call then fails with that exception). The first
        added is the outermost; ``methods`` limits it to those methods. The
        ``initialize`` handshake and the era probe are not passed through it.
        """
        if self._middleware is None:
            from ..middleware import MiddlewareChain

            self._middleware = MiddlewareChain()
        self._middleware.add(middleware, methods)
        return middleware

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        """Send any notification."""
        self.session.notify(method, params)

    def ping(self, *, timeout: float | None = _DEFAULT) -> None:
        """Check the server is alive.

        2026-07-28 removed ``ping``: against a modern server nothing is sent
        and this only fails if the connection is closed (stateless HTTP has no
        connection to keep alive); :meth:`discover` makes a real round trip.
        """
        wait_for(self.nowait.ping(timeout=timeout))

    def list_tools(self, *, timeout: float | None = _DEFAULT) -> list[Tool]:
        """Every tool, following all pages (``timeout`` applies to each page)."""
        return wait_for(self.nowait.list_tools(timeout=timeout))

    def list_tools_page(self, cursor: str | None = None, *, timeout: float | None = _DEFAULT) -> ListToolsResult:
        return wait_for(self.nowait.list_tools_page(cursor, timeout=timeout))

    def call_tool(self, name: str | Tool, arguments: Mapping[str, Any] | None = None, *,
                  timeout: float | None = _DEFAULT, progress: ProgressCallback | None = None,
                  meta: dict[str, Any] | None = None) -> CallToolResult:
        """Call a tool. A tool failure is a result with ``is_error`` True, not an exception.

        A tool a listing marked ``execution.taskSupport: "required"`` is run as a
        task behind the scenes (created, then awaited with ``tasks/result``).
        On 2026-07-28 a task the server answers with (the tasks extension) is
        polled with ``tasks/get`` until it ends; a tool that needs the
        extension (-32021) is asked again declaring it.

        ``progress(progress, total, message)`` is called for each progress
        notification. If a previous listing gave the tool an ``outputSchema``,
        ``structuredContent`` is checked against it
        (:class:`OutputValidationError` when it does not match).
        """
        return wait_for(self.nowait.call_tool(name, arguments, timeout=timeout, progress=progress, meta=meta))

    # -- tasks (2025-11-25, SEP-1686) ---------------------------------------------

    def call_tool_as_task(self, name: str | Tool, arguments: Mapping[str, Any] | None = None, *,
                          ttl_ms: int | None = None, timeout: float | None = _DEFAULT,
                          progress: ProgressCallback | None = None, meta: dict[str, Any] | None = None,
                          ttl: int | None = None) -> Task:
        """Call a tool as a task; returns a :class:`~mcp_sync.client.tasks.Task` handle at once.

        ``ttl_ms``: requested retention in milliseconds (the server may change
        it: see ``task.ttl_ms``); ``ttl=`` is its old name, still accepted
        with a DeprecationWarning. ``progress`` keeps receiving the tool's progress for
        the task's whole life. Raises :class:`~mcp_sync.errors.CapabilityError`
        if the server did not declare ``tasks.requests.tools.call``.

        On 2026-07-28 (the ``io.modelcontextprotocol/tasks`` extension, which
        the server must declare in ``server/discover``) the request declares
        the extension and the server decides: the handle
        (:class:`~mcp_sync.client.tasks.ModernTask`) polls ``tasks/get`` at the
        server's ``pollIntervalMs`` and answers ``input_required`` with the
        client's handlers (``tasks/update``); ``ttl`` is not sent (the
        extension has no requested TTL). A server answering at once gives an
        already completed handle with ``task_id`` None.
        """
        ttl_ms = _ttl_ms(ttl_ms, ttl)
        return wait_for(self.nowait.call_tool_as_task(name, arguments, ttl_ms=ttl_ms, timeout=timeout,
                                                      progress=progress, meta=meta))

    def get_task(self, task_id: str, *, timeout: float | None = _DEFAULT) -> GetTaskResult:
        """``tasks/get``."""
        return wait_for(self.nowait.get_task(task_id, timeout=timeout))

    def get_task_result(self, task_id: str, *, timeout: float | None = None) -> CallToolResult:
        """Block until the task is terminal; its :class:`~mcp_sync.types.CallToolResult` (McpError for
        its error, -32602 for a cancelled task).

        2025-11-25: ``tasks/result``. 2026-07-28 (no ``tasks/result``): ``tasks/get``
        polled at the server's interval. ``timeout`` defaults to None (no limit): tasks may run long.
        """
        return wait_for(self.nowait.get_task_result(task_id, timeout=timeout))

    def list_tasks(self, *, timeout: float | None = _DEFAULT) -> list[TaskInfo]:
        """``tasks/list``, following all pages.

        2026-07-28 has no ``tasks/list``: the tasks this client created (and the
        server still knows), each refreshed with ``tasks/get``, oldest first.
        """
        return wait_for(self.nowait.list_tasks(timeout=timeout))

    def list_tasks_page(self, cursor: str | None = None, *, timeout: float | None = _DEFAULT) -> ListTasksResult:
        return wait_for(self.nowait.list_tasks_page(cursor, timeout=timeout))

    def cancel_task(self, task_id: str, *, timeout: float | None = _DEFAULT) -> CancelTaskResult:
        """``tasks/cancel`` (-32602 if the task already finished), in both eras.

        2026-07-28 acknowledges with an empty result: the status comes from a ``tasks/get``.
        """
        return wait_for(self.nowait.cancel_task(task_id, timeout=timeout))

    def list_resources(self, *, timeout: float | None = _DEFAULT) -> list[Resource]:
        return wait_for(self.nowait.list_resources(timeout=timeout))

    def list_resources_page(self, cursor: str | None = None, *,
                            timeout: float | None = _DEFAULT) -> ListResourcesResult:
        return wait_for(self.nowait.list_resources_page(cursor, timeout=timeout))

    def list_resource_templates(self, *, timeout: float | None = _DEFAULT) -> list[ResourceTemplate]:
        return wait_for(self.nowait.list_resource_templates(timeout=timeout))

    def list_resource_templates_page(self, cursor: str | None = None, *,
                                     timeout: float | None = _DEFAULT) -> ListResourceTemplatesResult:
        return wait_for(self.nowait.list_resource_templates_page(cursor, timeout=timeout))

    def read_resource(self, uri: str | Resource, *, timeout: float | None = _DEFAULT) -> ReadResourceResult:
        return wait_for(self.nowait.read_resource(uri, timeout=timeout))

    def subscribe_resource(self, uri: str | Resource, *, timeout: float | None = _DEFAULT) -> None:
        """Ask for ``notifications/resources/updated`` (see ``on_resource_updated``)."""
        wait_for(self.nowait.subscribe_resource(uri, timeout=timeout))

    def unsubscribe_resource(self, uri: str | Resource, *, timeout: float | None = _DEFAULT) -> None:
        wait_for(self.nowait.unsubscribe_resource(uri, timeout=timeout))

    def list_prompts(self, *, timeout: float | None = _DEFAULT) -> list[Prompt]:
        return wait_for(self.nowait.list_prompts(timeout=timeout))

    def list_prompts_page(self, cursor: str | None = None, *, timeout: float | None = _DEFAULT) -> ListPromptsResult:
        return wait_for(self.nowait.list_prompts_page(cursor, timeout=timeout))

    def get_prompt(self, name: str | Prompt, arguments: Mapping[str, str] | None = None, *,
                   timeout: float | None = _DEFAULT) -> GetPromptResult:
        return wait_for(self.nowait.get_prompt(name, arguments, timeout=timeout))

    def complete(self, ref: Any, argument_name: str, value: str, context_arguments: Mapping[str, str] | None = None,
                 *, timeout: float | None = _DEFAULT) -> CompleteResult:
        """Completions for one argument.

        ``ref``: a :class:`~mcp_sync.types.PromptReference` or
        :class:`~mcp_sync.types.ResourceTemplateReference`, a ``Prompt`` or
        ``ResourceTemplate`` from a listing, or a wire dict.
        """
        return wait_for(self.nowait.complete(ref, argument_name, value, context_arguments, timeout=timeout))

    def set_log_level(self, level: str, *, timeout: float | None = _DEFAULT) -> None:
        """Ask the server to send log messages at ``level`` and above (see ``on_log``).

        Modern servers (2026-07-28) have no ``logging/setLevel``: the level is
        recorded and sent in the ``_meta`` of every later request.
        """
        wait_for(self.nowait.set_log_level(level, timeout=timeout))

    # -- 2026-07-28 ----------------------------------------------------------------

    def discover(self, *, timeout: float | None = _DEFAULT) -> Any:
        """Send ``server/discover`` again (modern servers); refreshes ``server_info``,
        ``server_capabilities`` and ``instructions`` and returns the
        :class:`~mcp_sync.types.DiscoverResult`. Raises
        :class:`~mcp_sync.errors.CapabilityError` for a legacy server."""
        self._require_open()
        if self.era != "modern":
            raise CapabilityError("server/discover is a 2026-07-28 request; this server speaks "
                                  f"{self.protocol_version}")
        raw = wait_for(self._send("server/discover", None, timeout, None, None))
        self._modern.apply_discover(raw)
        return self._modern.discover_result

    def subscribe(self, *, tools: bool = False, prompts: bool = False, resources: bool = False,
                  resource_uris: Sequence[str] = (), timeout: float | None = _DEFAULT) -> Any:
        """Subscribe to list changes and resource updates; returns a :class:`~mcp_sync.client.Subscription`.

        Returns once the server acknowledged it (``subscription.acknowledged``
        is the part it honours). Notifications go to the usual hooks
        (``on_tools_changed``...) and can be iterated on the subscription;
        ``close()`` (or leaving its ``with`` block) ends it. Modern servers:
        one ``subscriptions/listen`` stream held by a named thread; legacy
        servers: ``resources/subscribe`` for ``resource_uris`` (list changes
        arrive anyway).
        """
        from .subscriptions import LegacySubscription, ListenSubscription, build_filter

        wanted = build_filter(tools, prompts, resources, resource_uris)
        self._require_open()
        wait = self.timeout if timeout is _DEFAULT else timeout
        if self.era == "modern":
            subscription: Any = ListenSubscription(self, wanted)
        else:
            subscription = LegacySubscription(self, wanted)
            self._router.add_legacy(subscription)
        subscription._open(wait)
        return subscription

    # -- extensions ----------------------------------------------------------------

    def server_extension(self, extension_id: str) -> dict[str, Any] | None:
        """The settings the server declared for ``extension_id`` under ``capabilities.extensions``
        (``initialize`` or ``server/discover``), or None when it did not declare it."""
        from ..protocol.extensions import declared_extension

        return declared_extension(self._server_caps, extension_id)

    @property
    def skills(self) -> Any:
        """The host side of the Skills extension (:class:`~mcp_sync.skills.SkillsClient`)."""
        skills = self.__dict__.get("_skills")
        if skills is None:
            from .skills import SkillsClient

            skills = self.__dict__.setdefault("_skills", SkillsClient(self))
        return skills

    # -- roots -------------------------------------------------------------------

    def set_roots(self, roots: RootsSource) -> None:
        """Replace the roots and tell the server (``notifications/roots/list_changed``)."""
        if not self._roots_enabled:
            raise CapabilityError("this client was created without roots=..., so it did not declare the "
                                  "'roots' capability; pass roots=[] to declare it")
        new = roots if callable(roots) else to_roots(roots)
        with self._roots_lock:
            self._roots = new
        if self._ready.is_set() and self.era != "modern":  # modern servers ask for roots with each request
            self.notify_roots_changed()

    def notify_roots_changed(self) -> None:
        """Tell the server the roots changed (for a ``roots=`` callable whose answer changed)."""
        if not self._roots_enabled:
            raise CapabilityError("this client did not declare the 'roots' capability")
        if self.era == "modern":
            return  # no such notification in 2026-07-28: the next request that needs roots gets the new ones
        self.session.notify("notifications/roots/list_changed")

    def roots(self) -> list[Root]:
        """The roots as the server would get them now."""
        with self._roots_lock:
            source = self._roots
        if source is None:
            return []
        return to_roots(source()) if callable(source) else list(source)

    # -- internals used by NoWait ------------------------------------------------

    def _call(self, method: str, params: dict[str, Any] | None, convert: Callable[[Any], Any], timeout: Any,
              progress: ProgressCallback | None = None, meta: dict[str, Any] | None = None, *,
              with_tasks: bool = False) -> McpFuture[Any]:
        self._require_open()
        schedule = self._scheduler()
        if progress is not None:
            progress = self._progress_hook(progress)
        future: McpFuture[Any] = McpFuture(method)
        inner = self._send(method, params, timeout, progress, meta, with_tasks=with_tasks)
        future.follow(inner, convert, schedule)
        return future

    def _scheduler(self) -> Callable[[Callable[[], None]], None] | None:
        """Results are delivered after the notifications the server sent before them
        (so every ``on_log``/``progress`` call has happened when a call returns) --
        except for calls made from a callback, which must not wait behind themselves."""
        if getattr(self._in_callback, "depth", 0):
            return None
        return lambda settle: self.session.run_after_notifications(lambda: self._as_callback(settle))

    def _as_callback(self, fn: Callable[..., Any], *args: Any) -> Any:
        local = self._in_callback
        local.depth = getattr(local, "depth", 0) + 1
        try:
            return fn(*args)
        finally:
            local.depth -= 1

    def _task_log_hook(self) -> Callable[[dict[str, Any]], None] | None:
        """What a 2026-07-28 task handle calls with each log message an mcp_sync server carries for the task
        (as if it had come as ``notifications/message``); None without an ``on_log``/``on_notification`` hook."""
        if self._hooks["log"] is None and self._hooks["any"] is None:
            return None
        return lambda params: self._as_callback(self._dispatch_notification, "notifications/message", params)

    def _progress_hook(self, callback: ProgressCallback) -> ProgressCallback:
        return lambda progress, total, message: self._as_callback(callback, progress, total, message)

    def _paginate(self, method: str, convert_page: Callable[[Any], Any], attribute: str, timeout: Any) -> McpFuture[Any]:
        self._require_open()
        schedule = self._scheduler()
        outer: McpFuture[Any] = McpFuture(method)
        items: list[Any] = []
        seen: set[Any] = set()

        def fetch(cursor: str | None) -> None:
            try:
                inner = self._send(method, None if cursor is None else {"cursor": cursor}, timeout, None, None)
            except BaseException as exc:
                outer.fail(exc)
                return
            outer.follow(inner, on_page, schedule)

        def on_page(raw: Any) -> Any:
            page = convert_page(raw)
            items.extend(getattr(page, attribute))
            cursor = page.next_cursor
            if cursor is None:
                return items
            if cursor in seen:
                raise McpProtocolError(f"the server sent the cursor {cursor!r} twice while listing {method}")
            seen.add(cursor)
            try:
                self._pager.submit(fetch, cursor)
            except RuntimeError:  # closing
                raise self.session.close_error or ConnectionClosed("client closed") from None
            return MORE

        fetch(None)
        return outer

    def _require_open(self) -> None:
        if not self._ready.is_set() and not self.session.closed.is_set():
            raise RuntimeError("the client is not open: use `with client:` or call client.open() first")

    def _send(self, method: str, params: dict[str, Any] | None, timeout: Any, progress: ProgressCallback | None,
              meta: dict[str, Any] | None, *, with_tasks: bool = False) -> Future[Any]:
        modern = self._modern if self.era == "modern" else None
        try:
            if modern is not None and method in _EXTENSION_TASK_METHODS:  # io.modelcontextprotocol/tasks
                if not modern.server_has_tasks():
                    raise CapabilityError(f"the server did not declare the 'io.modelcontextprotocol/tasks' "
                                          f"extension, so {method!r} cannot be sent to it")
                with_tasks = True
            elif modern is None or method not in _REMOVED_IN_MODERN:
                caps.check(method, self._server_caps, "server")
        except CapabilityError as exc:
            return failed(exc)
        cache = self.cache if not meta and progress is None else None
        if cache is not None:
            hit = cache.lookup(self, method, params)
            if hit is not None:
                done: Future[Any] = Future()
                done.set_result(hit)
                return done
        if meta:
            params = dict(params or {})
            params["_meta"] = {**(params.get("_meta") or {}), **meta}
        chain = self._middleware
        if chain:
            from ..middleware import Call

            call = Call(method, params, era=self.era or "legacy", protocol_version=self.protocol_version,
                        client_info=None, connection=self)
            try:
                chained: Future[Any] = chain.run(call, lambda c: self._send_now(c.method, c.params or None, timeout,
                                                                                progress, with_tasks, cache))
                return chained
            except Exception as exc:  # refused by a middleware: nothing was sent
                return failed(exc)
        return self._send_now(method, params, timeout, progress, with_tasks, cache)

    def _send_now(self, method: str, params: dict[str, Any] | None, timeout: Any, progress: ProgressCallback | None,
                  with_tasks: bool, cache: Any = None) -> Future[Any]:
        modern = self._modern if self.era == "modern" else None
        if modern is not None:  # per-request _meta, MRTR rounds, version/header retries
            sent: Future[Any] = modern.send(method, params, self.timeout if timeout is _DEFAULT else timeout, progress,
                                            with_tasks=with_tasks)
            if cache is not None:
                cache.watch(self, method, params, sent)
            return sent
        future = self.session.request(method, params, timeout=self.timeout if timeout is _DEFAULT else timeout,
                                      on_progress=progress)
        if future.done() and not future.cancelled():
            exc = future.exception()
            if isinstance(exc, ConnectionClosed) and exc is not self.session.close_error:
                # The write failed before the reader saw the end: wait briefly for the
                # real reason (a stdio server's exit code and stderr).
                self.session.closed.wait(CLOSE_REASON_WAIT)
                if self.session.close_error is not None:
                    return failed(self.session.close_error)
        return future

    def _page(self, cls: type) -> Callable[[Any], Any]:
        return lambda raw: from_wire(cls, raw)

    def _tools_page(self, raw: Any) -> ListToolsResult:
        page = from_wire(ListToolsResult, raw)
        if self._modern is not None:  # remember x-mcp-header schemas; HTTP: drop tools with invalid ones
            page.tools = self._modern.filter_tools(page.tools)
        for tool in page.tools:
            self._remember_output_schema(tool)
            execution = tool.execution
            self._task_support[tool.name] = execution.task_support if execution is not None else None
        return page

    def _remember_output_schema(self, tool: Tool) -> None:
        validator = None
        if tool.output_schema is not None:
            from jsonschema import validators as _jsonschema_validators  # type: ignore[import-untyped]  # no stubs installed
            from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped]  # no stubs installed

            cls = _jsonschema_validators.validator_for(tool.output_schema,
                                                       default=_jsonschema_validators.Draft202012Validator)
            try:
                cls.check_schema(tool.output_schema)
                validator = cls(tool.output_schema, registry=_get_offline_registry())
            except SchemaError as exc:
                log.warning("tool %r has an invalid outputSchema; its results will not be checked: %s",
                            tool.name, exc.message)
        with self._schemas_lock:
            if validator is None:
                self._output_validators.pop(tool.name, None)
            else:
                self._output_validators[tool.name] = validator

    def _tool_result(self, name: str, raw: Any) -> CallToolResult:
        result = from_wire(CallToolResult, raw)
        if result.is_error is None:  # one rule: a result the client returns says True or False
            result.is_error = False
        with self._schemas_lock:
            validator = self._output_validators.get(name)
        if validator is None or result.is_error:
            return result
        if result.structured_content is UNSET:
            raise OutputValidationError(name, result, ["the tool declares an outputSchema but the result has no "
                                                       "structuredContent"])
        import referencing.exceptions  # loaded with the validator's jsonschema

        try:
            errors = [f"{e.message} (at {'/'.join(map(str, e.absolute_path)) or 'the top level'})"
                      for e in validator.iter_errors(result.structured_content)]
        except referencing.exceptions.Unresolvable as exc:  # e.g. a network $ref: never fetched
            log.warning("tool %r has an outputSchema with a $ref that cannot be resolved offline (%s); its "
                        "results are not checked", name, exc)
            with self._schemas_lock:
                if self._output_validators.get(name) is validator:
                    del self._output_validators[name]
            return result
        if errors:
            raise OutputValidationError(name, result, errors)
        return result

    # -- requests from the server ------------------------------------------------

    def _on_request(self, request: IncomingRequest) -> Any:
        receiver = self._task_receiver
        if receiver is not None:
            handled = receiver.handle(request, self._answer_request)
            if handled is not NOT_HANDLED:
                return handled
        result = self._answer_request(request)
        related = request.meta.get(RELATED_TASK_META)
        if related is not None and isinstance(result, dict):  # an input request of a server task
            result = {**result, "_meta": {**(result.get("_meta") or {}), RELATED_TASK_META: related}}
        return result

    def _answer_request(self, request: IncomingRequest) -> Any:
        method = request.method
        if method == "sampling/createMessage" and "sampling" in self._declared:
            return self._answer_sampling(request)
        if method == "elicitation/create" and "elicitation" in self._declared:
            return self._answer_elicitation(request)
        if method == "roots/list" and "roots" in self._declared:
            return self._answer_roots()
        handler = self._request_handlers.get(method)
        if handler is not None:  # an extension's request (Client(request_handlers=...))
            return handler(dict(request.params or {}))
        if caps.required_capability(method) is not None:
            raise McpError(METHOD_NOT_FOUND, f"Method not found: {method} (this client did not declare the "
                                             f"{'.'.join(caps.required_capability(method) or ())!r} capability)")
        raise McpError(METHOD_NOT_FOUND, f"Method not found: {method}")

    def _answer_sampling(self, request: IncomingRequest) -> dict[str, Any]:
        params = parse_params(CreateMessageRequestParams, request.params, request.method)
        if (params.tools is not None or params.tool_choice is not None) and not caps.has_capability(
                self._declared, "sampling", "tools"):
            raise McpError(INVALID_PARAMS, "Invalid params: this client did not declare sampling.tools, so a "
                                           "sampling request must not carry tools or toolChoice")
        assert self._sampling is not None
        return sampling_result(self._sampling(params))

    def _answer_elicitation(self, request: IncomingRequest) -> dict[str, Any]:
        mode = request.params.get("mode", "form")
        if not isinstance(mode, str) or mode not in caps.elicitation_modes(self._declared):
            raise McpError(INVALID_PARAMS, f"Invalid params: this client does not support elicitation mode "
                                           f"{mode!r}")
        if mode == "form":
            form = parse_params(ElicitRequestFormParams, request.params, request.method)
            assert self._elicitation is not None
            return elicitation_result(self._elicitation(form), "form", form.requested_schema)
        url = parse_params(ElicitRequestURLParams, request.params, request.method)
        assert self._elicitation_url is not None
        return elicitation_result(self._elicitation_url(url), "url", None)

    def _answer_roots(self) -> dict[str, Any]:
        return {"roots": [to_wire(root) for root in self.roots()]}

    # -- notifications from the server -------------------------------------------

    def _on_notification(self, method: str, params: dict[str, Any] | None) -> None:
        if self.cache is not None:
            self.cache.on_notification(self, method, params)
        self._router.route(method, params, self.session)  # subscriptions (queues only; no user code)
        hooked = self._hook_subscription
        if hooked is not None and hooked.duplicate(method, params):
            return  # the same list change also comes on the hooks' own stream: the hooks run once
        self._as_callback(self._dispatch_notification, method, params)

    def _dispatch_notification(self, method: str, params: dict[str, Any] | None) -> None:
        hooks = self._hooks
        if method in ("notifications/progress", "notifications/tasks/status", "notifications/tasks") and \
                self._task_peer.on_notification(method, params):
            self._run_hook("any", method, params)
            return
        if method == "notifications/tools/list_changed":
            with self._schemas_lock:
                self._output_validators.clear()  # the schemas may be stale: list again to check results
            self._run_hook("tools")
        elif method == "notifications/prompts/list_changed":
            self._run_hook("prompts")
        elif method == "notifications/resources/list_changed":
            self._run_hook("resources")
        elif method == "notifications/resources/updated" and hooks["updated"] is not None:
            uri = (params or {}).get("uri")
            if isinstance(uri, str):
                self._run_hook("updated", uri)
        elif method == "notifications/elicitation/complete" and hooks["elicitation"] is not None:
            elicitation_id = (params or {}).get("elicitationId")
            if isinstance(elicitation_id, str):
                self._run_hook("elicitation", elicitation_id)
        elif method == "notifications/message" and hooks["log"] is not None:
            try:
                message = from_wire(LoggingMessageNotificationParams, params or {})
            except ValueError as exc:
                log.debug("malformed log message from the server: %s", exc)
            else:
                self._run_hook("log", message)
        self._run_hook("any", method, params)

    def _run_hook(self, which: str, *args: Any) -> None:
        hook = self._hooks[which]
        if hook is None:
            return
        try:
            hook(*args)
        except Exception:
            log.exception("the client's %s hook failed", which)


class McpProtocolError(ProtocolError):
    """The server broke the protocol in a way the client cannot work around."""


def _ttl_ms(ttl_ms: int | None, ttl: int | None) -> int | None:
    """One rule for time values: milliseconds are ``*_ms``. ``ttl=`` is the old name of ``ttl_ms=``."""
    if ttl is None:
        return ttl_ms
    if ttl_ms is not None:
        raise TypeError("give ttl_ms= only (ttl= is its old name)")
    import warnings

    warnings.warn("call_tool_as_task(ttl=...) is now ttl_ms=... (milliseconds, like every *_ms value)",
                  DeprecationWarning, stacklevel=3)
    return ttl


def _cursor(cursor: str | None) -> dict[str, Any] | None:
    return None if cursor is None else {"cursor": cursor}


def _none(_raw: Any) -> None:
    return None


def _identity(raw: Any) -> Any:
    return raw


def _name_of(value: Any, what: str) -> str:
    name = getattr(value, "name", value)
    if not isinstance(name, str):
        raise TypeError(f"{what} must be a string, not {type(value).__name__}")
    return name


def _task_id(value: Any) -> str:
    task_id = getattr(value, "task_id", value)
    if not isinstance(task_id, str):
        raise TypeError(f"a task id must be a string, not {type(value).__name__}")
    return task_id


def _uri_of(value: Any) -> str:
    uri = getattr(value, "uri", value)
    if not isinstance(uri, str):
        raise TypeError(f"a resource URI must be a string, not {type(value).__name__}")
    return uri


def _reference(ref: Any) -> dict[str, Any]:
    if isinstance(ref, (PromptReference, ResourceTemplateReference)):
        return to_wire(ref)
    if isinstance(ref, Prompt):
        return to_wire(PromptReference(name=ref.name))
    if isinstance(ref, ResourceTemplate):
        return to_wire(ResourceTemplateReference(uri=ref.uri_template))
    if isinstance(ref, Resource):
        return to_wire(ResourceTemplateReference(uri=ref.uri))
    if isinstance(ref, Mapping):
        return dict(ref)
    raise TypeError(f"ref must be a PromptReference, ResourceTemplateReference, Prompt, ResourceTemplate or dict, "
                    f"not {type(ref).__name__}")


def _string_map(values: Mapping[str, Any] | None, what: str) -> dict[str, str] | None:
    if values is None:
        return None
    for key, value in values.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"{what} must map strings to strings; {key!r} is {type(value).__name__}")
    return dict(values)


class NoWait:
    """The client's requests without waiting: every method returns an :class:`McpFuture` at once.

    Same names and arguments as the blocking methods of :class:`Client`.
    ``future.cancel(reason)`` from any thread stops the call and tells the
    server. Mistakes in the arguments raise at once; everything else (server
    errors, timeouts, a missing server capability, a closed connection)
    arrives through the future.
    """

    def __init__(self, client: Client) -> None:
        self._client = client

    def request(self, method: str, params: dict[str, Any] | None = None, *, timeout: float | None = _DEFAULT,
                progress: ProgressCallback | None = None, meta: dict[str, Any] | None = None) -> McpFuture[Any]:
        return self._client._call(method, params, _identity, timeout, progress, meta)

    def ping(self, *, timeout: float | None = _DEFAULT) -> McpFuture[None]:
        return self._client._call("ping", None, _none, timeout)

    def list_tools(self, *, timeout: float | None = _DEFAULT) -> McpFuture[list[Tool]]:
        c = self._client
        return c._paginate("tools/list", c._tools_page, "tools", timeout)

    def list_tools_page(self, cursor: str | None = None, *,
                        timeout: float | None = _DEFAULT) -> McpFuture[ListToolsResult]:
        c = self._client
        return c._call("tools/list", _cursor(cursor), c._tools_page, timeout)

    def call_tool(self, name: str | Tool, arguments: Mapping[str, Any] | None = None, *,
                  timeout: float | None = _DEFAULT, progress: ProgressCallback | None = None,
                  meta: dict[str, Any] | None = None) -> McpFuture[CallToolResult]:
        c = self._client
        tool = _name_of(name, "a tool name")
        if c.era == "modern":  # MRTR rounds; a task the server answers with is polled to its end
            c._require_open()
            return modern_call_tool(c, tool, arguments, as_task=False, timeout=timeout, progress=progress,
                                    meta=meta)
        if c._task_support.get(tool) == "required" and caps.has_capability(
                c._server_caps, "tasks", "requests", "tools", "call"):
            return call_tool_via_task(c, tool, arguments, timeout=timeout, progress=progress, meta=meta)
        params: dict[str, Any] = {"name": tool}
        if arguments is not None:
            if not isinstance(arguments, Mapping):
                raise TypeError(f"tool arguments must be a mapping, not {type(arguments).__name__}")
            params["arguments"] = dict(arguments)
        if tool not in c._task_support and caps.has_capability(c._server_caps, "tasks", "requests", "tools", "call"):
            c._require_open()  # not listed yet: a "required" tool's -32601 is retried as a task
            return call_tool_learning_support(c, tool, params, timeout=timeout, progress=progress, meta=meta)
        return c._call("tools/call", params, lambda raw: c._tool_result(tool, raw), timeout, progress, meta)

    def call_tool_as_task(self, name: str | Tool, arguments: Mapping[str, Any] | None = None, *,
                          ttl_ms: int | None = None, timeout: float | None = _DEFAULT,
                          progress: ProgressCallback | None = None, meta: dict[str, Any] | None = None,
                          ttl: int | None = None) -> McpFuture[Task]:
        c = self._client
        ttl = _ttl_ms(ttl_ms, ttl)
        if c.era == "modern":
            if ttl is not None and (not isinstance(ttl, int) or isinstance(ttl, bool) or ttl < 0):
                raise ValueError("ttl_ms must be a non-negative number of milliseconds (or None)")
            c._require_open()
            return modern_call_tool(c, _name_of(name, "a tool name"), arguments, as_task=True, timeout=timeout,
                                    progress=progress, meta=meta)
        return call_tool_as_task(c, _name_of(name, "a tool name"), arguments, ttl=ttl,
                                 timeout=timeout, progress=progress, meta=meta)

    def get_task(self, task_id: str, *, timeout: float | None = _DEFAULT) -> McpFuture[GetTaskResult]:
        c = self._client
        if c.era == "modern":
            c._require_open()
            return modern_get_task(c, _task_id(task_id), timeout)
        return c._call("tasks/get", {"taskId": _task_id(task_id)}, _lenient(GetTaskResult), timeout)

    def get_task_result(self, task_id: str, *, timeout: float | None = None) -> McpFuture[CallToolResult]:
        c = self._client
        task_id = _task_id(task_id)
        if c.era == "modern":  # no tasks/result: tasks/get polled to the end
            c._require_open()
            return modern_get_task_result(c, task_id, timeout)
        return c._call("tasks/result", {"taskId": task_id}, legacy_task_result(task_id), timeout)

    def list_tasks(self, *, timeout: float | None = _DEFAULT) -> McpFuture[list[TaskInfo]]:
        c = self._client
        if c.era == "modern":  # no tasks/list: the tasks this client created and still tracks
            c._require_open()
            return modern_list_tasks(c, timeout)
        return c._paginate("tasks/list", _lenient(ListTasksResult), "tasks", timeout)

    def list_tasks_page(self, cursor: str | None = None, *,
                        timeout: float | None = _DEFAULT) -> McpFuture[ListTasksResult]:
        c = self._client
        if c.era == "modern":  # one page holding every tracked task
            c._require_open()
            page: McpFuture[ListTasksResult] = McpFuture("tasks/list")
            page.follow(modern_list_tasks(c, timeout), lambda tasks: ListTasksResult(tasks=tasks))
            return page
        return c._call("tasks/list", _cursor(cursor), _lenient(ListTasksResult), timeout)

    def cancel_task(self, task_id: str, *, timeout: float | None = _DEFAULT) -> McpFuture[CancelTaskResult]:
        c = self._client
        if c.era == "modern":  # an empty acknowledgement, then the status as in 2025-11-25
            c._require_open()
            return modern_cancel_task(c, _task_id(task_id), timeout)
        return c._call("tasks/cancel", {"taskId": _task_id(task_id)}, _lenient(CancelTaskResult), timeout)

    def list_resources(self, *, timeout: float | None = _DEFAULT) -> McpFuture[list[Resource]]:
        c = self._client
        return c._paginate("resources/list", c._page(ListResourcesResult), "resources", timeout)

    def list_resources_page(self, cursor: str | None = None, *,
                            timeout: float | None = _DEFAULT) -> McpFuture[ListResourcesResult]:
        c = self._client
        return c._call("resources/list", _cursor(cursor), c._page(ListResourcesResult), timeout)

    def list_resource_templates(self, *, timeout: float | None = _DEFAULT) -> McpFuture[list[ResourceTemplate]]:
        c = self._client
        return c._paginate("resources/templates/list", c._page(ListResourceTemplatesResult), "resource_templates",
                           timeout)

    def list_resource_templates_page(self, cursor: str | None = None, *,
                                     timeout: float | None = _DEFAULT) -> McpFuture[ListResourceTemplatesResult]:
        c = self._client
        return c._call("resources/templates/list", _cursor(cursor), c._page(ListResourceTemplatesResult), timeout)

    def read_resource(self, uri: str | Resource, *, timeout: float | None = _DEFAULT) -> McpFuture[ReadResourceResult]:
        c = self._client
        return c._call("resources/read", {"uri": _uri_of(uri)}, c._page(ReadResourceResult), timeout)

    def subscribe_resource(self, uri: str | Resource, *, timeout: float | None = _DEFAULT) -> McpFuture[None]:
        return self._client._call("resources/subscribe", {"uri": _uri_of(uri)}, _none, timeout)

    def unsubscribe_resource(self, uri: str | Resource, *, timeout: float | None = _DEFAULT) -> McpFuture[None]:
        return self._client._call("resources/unsubscribe", {"uri": _uri_of(uri)}, _none, timeout)

    def list_prompts(self, *, timeout: float | None = _DEFAULT) -> McpFuture[list[Prompt]]:
        c = self._client
        return c._paginate("prompts/list", c._page(ListPromptsResult), "prompts", timeout)

    def list_prompts_page(self, cursor: str | None = None, *,
                          timeout: float | None = _DEFAULT) -> McpFuture[ListPromptsResult]:
        c = self._client
        return c._call("prompts/list", _cursor(cursor), c._page(ListPromptsResult), timeout)

    def get_prompt(self, name: str | Prompt, arguments: Mapping[str, str] | None = None, *,
                   timeout: float | None = _DEFAULT) -> McpFuture[GetPromptResult]:
        c = self._client
        params: dict[str, Any] = {"name": _name_of(name, "a prompt name")}
        checked = _string_map(arguments, "prompt arguments")
        if checked is not None:
            params["arguments"] = checked
        return c._call("prompts/get", params, c._page(GetPromptResult), timeout)

    def complete(self, ref: Any, argument_name: str, value: str, context_arguments: Mapping[str, str] | None = None,
                 *, timeout: float | None = _DEFAULT) -> McpFuture[CompleteResult]:
        c = self._client
        if not isinstance(argument_name, str) or not isinstance(value, str):
            raise TypeError("argument_name and value must be strings")
        params: dict[str, Any] = {"ref": _reference(ref), "argument": {"name": argument_name, "value": value}}
        checked = _string_map(context_arguments, "context_arguments")
        if checked is not None:
            params["context"] = {"arguments": checked}
        return c._call("completion/complete", params, c._page(CompleteResult), timeout)

    def set_log_level(self, level: str, *, timeout: float | None = _DEFAULT) -> McpFuture[None]:
        if level not in LOGGING_LEVELS:
            raise ValueError(f"unknown log level {level!r}; expected one of {', '.join(LOGGING_LEVELS)}")
        c = self._client
        if c.era == "modern":
            c._require_open()
            c._modern.log_level = level
            done: McpFuture[None] = McpFuture("logging/setLevel")
            done.set_result(None)
            return done
        return c._call("logging/setLevel", {"level": level}, _none, timeout)
