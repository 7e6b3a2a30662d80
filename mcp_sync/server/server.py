"""The high-level server: register tools, resources and prompts; serve them on any transport."""

from __future__ import annotations

import logging
import threading
import traceback
from typing import Any, Callable, Mapping, Sequence, TypeVar, overload

from ..limits import Limits
from ..protocol.caching import PRIVATE, CachePolicy
from ..protocol.versions import LEGACY_VERSIONS
from ..session import DEFAULT_MAX_WORKERS, IncomingRequest
from ..transports.base import Transport
from .completions import CompletionTable, Provider, completion_key
from .connection import ALL_ERAS, LEGACY_ERA, MODERN_ERA, ServerConnection, check_eras, refuse_legacy, refuse_modern
from .extensions import Extension, Extensions, ExtensionSetup, with_extensions
from .logs import McpLogHandler, check_level, set_level
from .middleware import Middleware, MiddlewareChain
from .modern import ModernDispatcher
from .prompts import PromptDef, PromptTable
from .resources import ResourceDef, ResourceTable, TemplateDef
from .results import error_result
from .tasks import TASKS_VERSION, ServerTasks
from .tasks_extension import TasksExtension
from .tools import ToolDef, ToolTable

MethodHandler = Callable[[ServerConnection, IncomingRequest], Any]
#: A decorated function: the decorators return it unchanged, with its own type.
F = TypeVar("F", bound=Callable[..., Any])
_E = TypeVar("_E", bound=Extension)

log = logging.getLogger("mcp_sync.server")

_LIST_CHANGED = {
    "tools": "notifications/tools/list_changed",
    "prompts": "notifications/prompts/list_changed",
    "resources": "notifications/resources/list_changed",
}


def _ping(connection: Any, request: Any) -> dict[str, Any]:
    """``ping`` of a legacy session: an empty result."""
    return {}


def _not_in_modern(view: Any, request: Any) -> Any:
    from ..protocol.modern import method_not_found_error

    raise method_not_found_error(request.method)


def _deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = dict(value) if isinstance(value, Mapping) else value
    return out


class Server:
    """An MCP server.

    >>> server = Server("demo", version="1.0")
    >>> @server.tool()
    ... def add(a: int, b: int) -> int:
    ...     "Add two numbers."
    ...     return a + b

    ``server.run()`` serves stdio; ``server.serve(transport)`` serves one
    connection in the background and returns it.

    Capabilities follow what is registered: ``tools``, ``prompts`` and
    ``resources`` (with ``listChanged``; resources also ``subscribe``) once
    one of them exists, ``completions`` once a completion provider exists,
    ``logging`` once a registered function takes a ``Context`` or a log
    handler exists (``logging=True/False`` forces it). ``capabilities`` is
    merged on top (e.g. ``{"tools": {}}`` to declare tools before adding any).

    ``page_size``: items per page of every list (None: one page).
    ``debug``: tool error results include the traceback.

    2026-07-28 requests are served statelessly beside legacy sessions on
    every transport (see :mod:`mcp_sync.server.modern`).
    ``cache_ttl_ms``/``cache_scope``: the ``ttlMs``/``cacheScope`` hints of
    ``server/discover``, the lists and ``resources/read`` (a handler's own
    values win). ``request_state_secret``: the key (16+ bytes) sealing MRTR
    ``requestState``; give every worker serving one endpoint the same one
    (default: random per process).

    ``eras``: which protocol eras this server serves, ``("legacy", "modern")``
    by default (both, side by side on every transport). ``("legacy",)``:
    ``initialize`` sessions only (2024-11-05 ... 2025-11-25); a 2026-07-28
    request (``server/discover``, or any request carrying the modern
    ``_meta``) is answered -32022 ``UnsupportedProtocolVersion`` (HTTP 400)
    listing the legacy versions, so that dual-era clients fall back to
    ``initialize``. ``("modern",)``: stateless 2026-07-28 requests only;
    ``initialize`` is answered -32022 (HTTP 400) listing the modern versions
    (``server/discover`` lists only those too), and HTTP GET/DELETE get 405.
    """

    def __init__(
        self,
        name: str,
        version: str = "0.1.0",
        *,
        instructions: str | None = None,
        title: str | None = None,
        description: str | None = None,
        website_url: str | None = None,
        icons: list[dict[str, Any]] | None = None,
        max_workers: int = DEFAULT_MAX_WORKERS,
        limits: Limits | None = None,
        page_size: int | None = 100,
        debug: bool = False,
        logging: bool | None = None,
        capabilities: Mapping[str, Any] | None = None,
        tasks: Any = None,
        task_executor: Any = None,
        task_status_notifications: bool = False,
        cache_ttl_ms: int = 0,
        cache_scope: str = PRIVATE,
        request_state_secret: bytes | str | None = None,
        eras: str | Sequence[str] = ALL_ERAS,
    ) -> None:
        if page_size is not None and page_size < 1:
            raise ValueError("page_size must be a positive integer or None")
        self.name = name
        self.version = version
        self.instructions = instructions
        self.title = title
        self.description = description
        self.website_url = website_url
        self.icons = icons
        self.max_workers = max_workers
        self.limits = limits
        self.page_size = page_size
        self.debug = debug
        #: The eras served (``"legacy"``, ``"modern"``); see ``eras`` above.
        self.eras: frozenset[str] = check_eras(eras)
        #: Legacy revisions this server negotiates, oldest first (none when modern-only).
        self.legacy_versions: tuple[str, ...] = LEGACY_VERSIONS if LEGACY_ERA in self.eras else ()
        self._logging = logging
        self._extra_capabilities = dict(capabilities or {})
        self._log_bridge = False
        self._notification_handlers: dict[str, Callable[[ServerConnection, dict[str, Any]], None]] = {}
        #: Around every request and notification handled, in both eras (see :meth:`add_middleware`).
        self.middleware = MiddlewareChain()
        #: Extensions added with :meth:`add_extension` (see :mod:`mcp_sync.server.extensions`).
        self.extensions = Extensions()
        self._list_listeners: tuple[Callable[[str], None], ...] = ()
        self._connections: set[ServerConnection] = set()
        self._lock = threading.Lock()
        #: Called with the kind after each change of the tables (mounts watch their server).
        self._watchers: list[Callable[[str | None], None]] = []
        self._tools = ToolTable(self, lambda: self._changed("tools"))
        self._resources = ResourceTable(self, lambda: self._changed("resources"))
        self._prompts = PromptTable(self, lambda: self._changed("prompts"))
        self._completions = CompletionTable(self, lambda: self._changed(None))
        #: Task support (2025-11-25 task-augmented tools/call); see :mod:`mcp_sync.server.tasks`.
        self.tasks = ServerTasks(self, tasks, executor=task_executor,
                                 status_notifications=task_status_notifications)
        self._capabilities: dict[str, Any] = {}
        self._refresh_capabilities()
        self._methods: dict[str, MethodHandler] = {
            "tools/list": self._tools.list,
            "tools/call": self._tools.call,
            "resources/list": self._resources.list,
            "resources/templates/list": self._resources.list_templates,
            "resources/read": self._resources.read,
            "resources/subscribe": self._resources.subscribe,
            "resources/unsubscribe": self._resources.unsubscribe,
            "prompts/list": self._prompts.list,
            "prompts/get": self._prompts.get,
            "completion/complete": self._completions.complete,
            "logging/setLevel": set_level,
            "ping": _ping,  # legacy only: 2026-07-28 removed it (-32601); see serve()
            "tasks/get": self.tasks.handle_get,
            "tasks/result": self.tasks.handle_result,
            "tasks/list": self.tasks.handle_list,
            "tasks/cancel": self.tasks.handle_cancel,
        }
        #: Serves 2026-07-28 requests (built after the method table: it tells legacy-only methods apart).
        self._modern = ModernDispatcher(self, cache_policy=CachePolicy(ttl_ms=cache_ttl_ms, scope=cache_scope),
                                        request_state_secret=request_state_secret)
        #: The 2026-07-28 tasks extension, added like any other (see :mod:`mcp_sync.server.tasks_extension`).
        self.add_extension(TasksExtension(self.tasks))

    # -- identity ------------------------------------------------------------

    def server_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {"name": self.name, "version": self.version}
        for key, value in (("title", self.title), ("description", self.description),
                           ("websiteUrl", self.website_url), ("icons", self.icons)):
            if value is not None:
                info[key] = value
        return info

    def capabilities(self) -> dict[str, Any]:
        """The capabilities this server declares (derived from what is registered)."""
        return self._capabilities

    def _refresh_capabilities(self) -> None:
        with self._lock:  # computed under the lock: the last refresh always sees the latest registrations
            self._capabilities = self._derive_capabilities()

    def _derive_capabilities(self) -> dict[str, Any]:
        derived: dict[str, Any] = {}
        if len(self._tools.registry):
            derived["tools"] = {"listChanged": True}
        if len(self._prompts.registry):
            derived["prompts"] = {"listChanged": True}
        if len(self._resources):
            derived["resources"] = {"subscribe": True, "listChanged": True}
        if len(self._completions.registry):
            derived["completions"] = {}
        logging_on = self._logging
        if logging_on is None:
            logging_on = self._log_bridge or self._uses_context()
        if logging_on:
            derived["logging"] = {}
        tasks = self.tasks.refresh(self._tools.registry.snapshot())
        if tasks is not None:
            derived["tasks"] = tasks
        for extension in self.extensions:  # core capabilities an extension relies on (Skills: resources)
            derived = _deep_merge(derived, extension.core_capabilities())
        merged = _deep_merge(derived, self._extra_capabilities)
        for kind in ("tools", "prompts", "resources"):  # declared explicitly: list changes are still announced
            if kind in merged and isinstance(merged[kind], dict):
                merged[kind].setdefault("listChanged", True)
        return merged

    def _uses_context(self) -> bool:
        defs: list[Any] = [*self._tools.registry.snapshot(), *self._prompts.registry.snapshot(),
                           *self._resources.resources.snapshot(), *self._resources.templates.snapshot()]
        return any(getattr(d, "context_param", None) is not None for d in defs)

    def _initialize_result(self, version: str) -> dict[str, Any]:
        from .wire_view import view

        capabilities = self.capabilities()
        if "tasks" in capabilities and version != TASKS_VERSION:  # core tasks exist in 2025-11-25 only
            capabilities = {k: v for k, v in capabilities.items() if k != "tasks"}
        capabilities = with_extensions(capabilities, self.extensions.declared(LEGACY_ERA))
        result: dict[str, Any] = {
            "protocolVersion": version,
            "capabilities": capabilities,
            "serverInfo": view("implementation", self.server_info(), version),
        }
        if self.instructions:
            result["instructions"] = self.instructions
        return result

    def refusal(self, request_era: str, params: Any, header_version: str | None = None) -> Any:
        """The error answering a request of an era this server does not serve (``Server(eras=...)``).

        ``request_era`` is the era of the refused request: ``"modern"`` (a
        legacy-only server lists its legacy versions) or ``"legacy"`` (an
        ``initialize`` to a modern-only server: it lists the modern ones). Both
        are -32022 (HTTP 400), so that a dual-era client falls back. Transports
        call this instead of reaching into the connection module.
        """
        if request_era == MODERN_ERA:
            return refuse_modern(self, params, header_version)
        return refuse_legacy(self, params)

    # -- errors --------------------------------------------------------------------

    def describe_error(self, exc: BaseException, where: str) -> str:
        """``ExcType: message`` (plus the traceback when ``debug``); logs the failure."""
        log.warning("%s raised %s", where, type(exc).__name__, exc_info=exc)
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if self.debug:
            text += "\n" + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return text

    def error_result(self, exc: BaseException, where: str) -> dict[str, Any]:
        """A CallToolResult with ``isError: true`` describing ``exc``."""
        return error_result(self.describe_error(exc, where))

    # -- tools -----------------------------------------------------------------------

    @overload
    def tool(self, fn: F, /) -> F: ...

    @overload
    def tool(
        self,
        fn: None = None,
        /,
        *,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        annotations: Any = None,
        icons: Sequence[Any] | None = None,
        meta: Mapping[str, Any] | None = None,
        task_support: str | None = None,
        input_schema: Mapping[str, Any] | None = None,
        output_schema: Mapping[str, Any] | None = None,
        structured_output: bool | None = None,
        immediate_response: str | Callable[[dict[str, Any]], str] | None = None,
        task_timeout: float | None = None,
        replace: bool = False,
    ) -> Callable[[F], F]: ...

    def tool(
        self,
        fn: Callable[..., Any] | None = None,
        /,
        *,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        annotations: Any = None,
        icons: Sequence[Any] | None = None,
        meta: Mapping[str, Any] | None = None,
        task_support: str | None = None,
        input_schema: Mapping[str, Any] | None = None,
        output_schema: Mapping[str, Any] | None = None,
        structured_output: bool | None = None,
        immediate_response: str | Callable[[dict[str, Any]], str] | None = None,
        task_timeout: float | None = None,
        replace: bool = False,
    ) -> Any:
        """Register a function as a tool (``@server.tool`` or ``@server.tool(...)``).

        The input schema comes from the parameters' type hints, the
        description from the docstring, the output schema from the return
        annotation (``structured_output=False`` to have none). A parameter
        annotated ``Context`` receives the request context. ``annotations``
        are ToolAnnotations (``readOnlyHint``... or ``read_only_hint``...);
        ``task_support`` is ``"forbidden"``, ``"optional"`` or
        ``"required"`` (sent as ``execution.taskSupport`` on 2025-11-25).
        ``input_schema``/``output_schema`` replace the derived schemas and
        are sent exactly as written. ``immediate_response`` (a string, or a
        function of the arguments returning one) is sent with the
        ``CreateTaskResult`` of a task-augmented call as
        ``_meta["io.modelcontextprotocol/model-immediate-response"]``.
        ``task_timeout`` (seconds) limits how long the tool may run as a task
        (default: ``TaskLimits.task_timeout_ms``); past it the work is cancelled
        and the task ends ``failed`` with a "Task timed out" error.
        """
        options = dict(name=name, title=title, description=description, annotations=annotations, icons=icons,
                       meta=meta, task_support=task_support, input_schema=input_schema,
                       output_schema=output_schema, structured_output=structured_output,
                       immediate_response=immediate_response, task_timeout=task_timeout)

        def register(func: Callable[..., Any]) -> Callable[..., Any]:
            self._tools.add(ToolDef(func, **options), replace=replace)
            return func

        return register(fn) if fn is not None else register

    def add_tool(self, fn: Callable[..., Any], **options: Any) -> None:
        """Register ``fn`` as a tool (same options as :meth:`tool`)."""
        self.tool(**options)(fn)

    def remove_tool(self, name: str) -> None:
        """Remove a tool (KeyError if there is none); clients are told the list changed."""
        self._tools.registry.remove(name)

    def find_tool(self, name: str) -> Any:
        """The registered tool ``name`` (a :class:`~mcp_sync.server.tools.ToolDef`), or None."""
        return self._tools.registry.get(name)

    def _tool_wire(self, name: str) -> dict[str, Any] | None:
        tool = self._tools.registry.get(name)
        return tool.wire if tool is not None else None

    # -- resources -------------------------------------------------------------------

    def resource(
        self,
        uri: str,
        *,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        mime_type: str | None = None,
        size: int | None = None,
        annotations: Any = None,
        icons: Sequence[Any] | None = None,
        meta: Mapping[str, Any] | None = None,
        replace: bool = False,
    ) -> Callable[[F], F]:
        """Register a function serving ``uri``: a fixed URI, or an RFC 6570 template.

        For a template (``"files://{path}"``) the function's parameters are
        the template's variables. The function returns ``str`` (text),
        ``bytes`` (a base64 blob), resource-contents dicts, or any JSON value.
        Raise :class:`~mcp_sync.server.ResourceNotFound` for a URI that names nothing.
        """

        def register(fn: F) -> F:
            self.add_resource(uri, fn, name=name, title=title, description=description, mime_type=mime_type,
                              size=size, annotations=annotations, icons=icons, meta=meta, replace=replace)
            return fn

        return register

    def add_resource(self, uri: str, source: Any, *, replace: bool = False, **options: Any) -> None:
        """Register a resource: ``source`` is a function, or a fixed ``str``/``bytes`` value.

        ``uri`` containing ``{...}`` registers a resource template.
        """
        if "{" in uri or "}" in uri:  # braces cannot appear in a URI: a (maybe malformed) template
            if options.pop("size", None) is not None:
                raise TypeError("a resource template has no size")
            self._resources.templates.add(uri, TemplateDef(uri, source, **options), replace=replace)
        else:
            self._resources.resources.add(uri, ResourceDef(uri, source, **options), replace=replace)

    def remove_resource(self, uri: str) -> None:
        """Remove a resource or a template (by its template string)."""
        if uri in self._resources.templates:
            self._resources.templates.remove(uri)
        else:
            self._resources.resources.remove(uri)

    def notify_resource_updated(self, uri: str) -> int:
        """Send ``notifications/resources/updated`` to every client subscribed to ``uri``.

        Returns how many clients were told.
        """
        for listener in self._list_listeners:
            listener(f"resource:{uri}")
        told = 0
        for connection in self.connections():
            if connection.subscribed(uri):
                connection.notify("notifications/resources/updated", {"uri": uri})
                told += 1
        return told + self._modern.publish("notifications/resources/updated", {"uri": uri})

    # -- prompts ---------------------------------------------------------------------

    @overload
    def prompt(self, fn: F, /) -> F: ...

    @overload
    def prompt(
        self,
        fn: None = None,
        /,
        *,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        icons: Sequence[Any] | None = None,
        meta: Mapping[str, Any] | None = None,
        replace: bool = False,
    ) -> Callable[[F], F]: ...

    def prompt(
        self,
        fn: Callable[..., Any] | None = None,
        /,
        *,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        icons: Sequence[Any] | None = None,
        meta: Mapping[str, Any] | None = None,
        replace: bool = False,
    ) -> Any:
        """Register a function as a prompt (``@server.prompt`` or ``@server.prompt(...)``).

        Its parameters are the prompt's arguments (required unless they have a
        default; descriptions from the docstring). It returns a string, a
        ``{"role", "content"}`` message, a content block, or a list of those.
        """
        def register(func: F) -> F:
            prompt = PromptDef(func, name=name, title=title, description=description, icons=icons, meta=meta)
            self._prompts.registry.add(prompt.name, prompt, replace=replace)
            return func

        return register(fn) if fn is not None else register

    def add_prompt(self, fn: Callable[..., Any], **options: Any) -> None:
        self.prompt(**options)(fn)

    def remove_prompt(self, name: str) -> None:
        self._prompts.registry.remove(name)

    # -- completion ------------------------------------------------------------------

    def completion(self, *, prompt: str | None = None, argument: str | None = None, template: str | None = None,
                   variable: str | None = None, replace: bool = False) -> Callable[[F], F]:
        """Register a completion provider for a prompt argument or a template variable.

        ``@server.completion(prompt="greet", argument="name")`` or
        ``@server.completion(template="files://{path}", variable="path")``;
        the function takes ``(value)`` or ``(value, arguments)`` and returns a
        list of strings.
        """
        key = completion_key(prompt=prompt, argument=argument, template=template, variable=variable)

        def register(fn: F) -> F:
            self._completions.registry.add(key, Provider(fn), replace=replace)
            return fn

        return register

    def add_completion(self, fn: Callable[..., Any], **options: Any) -> None:
        self.completion(**options)(fn)

    def remove_completion(self, *, prompt: str | None = None, argument: str | None = None,
                          template: str | None = None, variable: str | None = None) -> None:
        self._completions.registry.remove(
            completion_key(prompt=prompt, argument=argument, template=template, variable=variable))

    # -- logging ---------------------------------------------------------------------

    def log(self, level: str, data: Any, logger: str | None = None) -> int:
        """Send a log message to every connected client whose level lets it through; returns how many.

        Inside a handler prefer ``ctx.log``: it goes to the requesting client only.
        """
        check_level(level)
        return sum(1 for c in self.connections() if c.protocol_version is not None and c.send_log(level, data, logger))

    def log_handler(self, level: int = logging.NOTSET) -> McpLogHandler:
        """A ``logging.Handler`` forwarding records to clients (declares the ``logging`` capability)."""
        self._log_bridge = True
        self._refresh_capabilities()
        return McpLogHandler(self, level)

    # -- method table ------------------------------------------------------------

    def method(self, name: str) -> Callable[[MethodHandler], MethodHandler]:
        """Register a low-level handler ``fn(connection, request) -> result`` for a method."""

        def register(fn: MethodHandler) -> MethodHandler:
            self._methods[name] = fn
            return fn

        return register

    def add_extension(self, extension: _E) -> _E:
        """Add an extension (:class:`~mcp_sync.server.extensions.Extension`); returns it.

        It is declared under ``capabilities.extensions`` in the eras it
        serves and its :meth:`~mcp_sync.server.extensions.Extension.install`
        registers its methods, notification handlers and middlewares.
        ValueError if one with the same id was added before.
        """
        self.extensions.add(extension)

        def add_method(name: str, fn: MethodHandler, eras: frozenset[str]) -> None:
            if LEGACY_ERA in eras:
                self._methods[name] = fn
            if MODERN_ERA in eras:
                self._modern.method(name)(fn)
            elif name in self._methods:  # legacy only: a 2026-07-28 request for it is an unknown method
                self._modern.method(name)(_not_in_modern)

        extension.install(ExtensionSetup(self, extension, add_method))
        self._refresh_capabilities()
        return extension

    def add_middleware(self, middleware: Middleware, *, methods: Sequence[str] | None = None) -> Middleware:
        """Add ``middleware(call, call_next)`` around every request and notification (or only ``methods``).

        Runs in both eras and on every transport; the first added is the
        outermost. Returns ``middleware`` (so it can decorate). See
        :mod:`mcp_sync.server.middleware`.
        """
        self.middleware.add(middleware, methods)
        return middleware

    def remove_middleware(self, middleware: Middleware) -> None:
        """Take ``middleware`` out of the chain (ValueError if it is not there)."""
        self.middleware.remove(middleware)

    def on_list_changed(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(kind)`` (``"tools"``, ``"prompts"``, ``"resources"``) whenever a list changes,
        and ``listener("resource:<uri>")`` on :meth:`notify_resource_updated`.

        It runs on the thread that made the change, before clients are told; it must not block.
        """
        with self._lock:
            self._list_listeners = self._list_listeners + (listener,)

    def on_notification(self, name: str) -> Callable[..., Any]:
        """Register a handler ``fn(connection, params)`` for a client notification."""

        def register(fn: Callable[[ServerConnection, dict[str, Any]], None]) -> Callable[..., Any]:
            self._notification_handlers[name] = fn
            return fn

        return register

    # -- changes -----------------------------------------------------------------

    def _changed(self, kind: str | None) -> None:
        self._refresh_capabilities()
        if kind is not None:
            self.notify_list_changed(kind)
        with self._lock:
            watchers = list(self._watchers)
        for watcher in watchers:
            watcher(kind)

    # -- composition ---------------------------------------------------------------

    def mount(self, other: "Server", prefix: str | None = None, *, separator: str = "_") -> Any:
        """Serve ``other``'s tools, resources, templates, prompts and completions as this server's own.

        Live: later changes to ``other`` show here too. ``prefix`` namespaces
        them (tools and prompts ``prefix_name``, resources
        ``scheme://prefix/rest``); a name this server already has is a
        ValueError. Returns a :class:`~mcp_sync.server.mount.Mount` (``close()``
        unmounts). See :mod:`mcp_sync.server.mount`.
        """
        from .mount import Mount

        if not isinstance(other, Server):
            raise TypeError(f"mount() takes a Server, not {type(other).__name__} (a remote server: mount "
                            f"mcp_sync.proxy.ProxyServer(...))")
        mount = Mount(self, other, prefix, separator, self._tables(), other._tables(),
                      unwatch=lambda: other._unwatch(mount.sync))
        mount.check_free()
        with other._lock:
            other._watchers.append(mount.sync)
        mount.sync()
        return mount

    def unmount(self, mount: Any) -> None:
        """Undo :meth:`mount` (same as ``mount.close()``)."""
        mount.close()

    def _unwatch(self, watcher: Callable[[str | None], None]) -> None:
        with self._lock:
            if watcher in self._watchers:
                self._watchers.remove(watcher)

    def _tables(self) -> dict[str, Any]:
        return {"tools": self._tools.registry, "prompts": self._prompts.registry,
                "resources": self._resources.resources, "templates": self._resources.templates,
                "completions": self._completions.registry}

    def notify_list_changed(self, kind: str) -> None:
        """Tell initialized clients that the ``kind`` list (tools/prompts/resources) changed.

        Only clients whose ``initialize`` was answered with ``kind.listChanged``
        hear about it, and 2026-07-28 ``subscriptions/listen`` streams that
        asked for it. Registration and removal call this; call it yourself
        when what a list returns changes some other way.
        """
        method = _LIST_CHANGED[kind]
        for listener in self._list_listeners:
            listener(kind)
        for connection in self.connections():
            if connection.protocol_version is not None and connection.declared(kind, "listChanged"):
                connection.notify(method)
        modern = getattr(self, "_modern", None)  # None while __init__ runs
        if modern is not None:
            modern.publish(method)

    # -- connections -------------------------------------------------------------

    def serve(self, transport: Transport, *, name: str | None = None) -> ServerConnection:
        """Serve one connection on ``transport`` in the background; return it."""
        connection = ServerConnection(self, transport, name=name or f"mcp-server-{self.name}")
        chain = self.middleware  # the middleware chain, when there is one, sees pings too
        if MODERN_ERA in self.eras:  # the engine answers pings on its reader thread, but a 2026-07-28 one
            modern = self._modern  # is a removed method (-32601): let those through to the dispatcher
            connection.session.answer_ping = (
                (lambda params: not chain and not modern.routes("ping", params)) if LEGACY_ERA in self.eras else False)
        else:
            connection.session.answer_ping = lambda params: not chain
        with self._lock:
            self._connections.add(connection)
        return connection.start()

    def connections(self) -> list[ServerConnection]:
        with self._lock:
            return list(self._connections)

    def _forget(self, connection: ServerConnection) -> None:
        with self._lock:
            self._connections.discard(connection)

    def broadcast(self, method: str, params: dict[str, Any] | None = None) -> None:
        """Send a notification to every initialized client."""
        for connection in self.connections():
            if connection.protocol_version is not None:
                connection.notify(method, params)

    def wsgi_app(self, path: str = "/mcp", **options: Any) -> Any:
        """A WSGI application serving this server over Streamable HTTP at ``path``.

        Mount it in any threaded WSGI server; ``options`` are those of
        :class:`mcp_sync.http.McpWsgiApp` (``json_response``, ``stateless``,
        ``event_store``, ``allowed_hosts``, ``cors_origins``, ``legacy_sse``...).
        Call ``app.close()`` when done.
        """
        from ..http import McpWsgiApp

        return McpWsgiApp(self, path=path, **options)

    def start_http(self, host: str = "127.0.0.1", port: int = 0, **options: Any) -> Any:
        """Serve Streamable HTTP in the background; returns a handle with ``.url`` and ``.stop()``."""
        from ..http import start_http

        return start_http(self, host=host, port=port, **options)

    def run(self, transport: str = "stdio", **options: Any) -> None:
        """Serve until the client goes away (stdio) or Ctrl-C (``"http"``: ``host``, ``port``, app options)."""
        if transport == "http":
            from ..http import serve_http

            try:
                serve_http(self, **options)
            finally:
                self.close()
            return
        if transport != "stdio":
            raise ValueError(f"unknown transport {transport!r}; use 'stdio' or 'http'")
        from ..transports.stdio import stdio_server_transport

        connection = self.serve(stdio_server_transport(**options), name=f"mcp-server-{self.name}")
        try:
            connection.wait_closed()
        except KeyboardInterrupt:
            pass
        finally:
            connection.close()
            self.close()

    def close(self) -> None:
        """Cancel unfinished tasks and stop the task threads (joined); the server stays usable."""
        self.tasks.close()
        self._modern.close()  # tools parked at an input call of a 2026-07-28 request

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

