"""One client connected to a :class:`~mcp_sync.server.Server`: lifecycle and dispatch."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from ..errors import (
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    UNSUPPORTED_PROTOCOL_VERSION,
    ConnectionClosed,
    McpError,
)
from ..protocol import capabilities as caps
from ..protocol import modern as mp
from ..protocol.versions import MODERN_VERSIONS, negotiate
from ..session import IncomingRequest, Session
from ..transports.base import Transport
from .logs import SEVERITY
from .middleware import NOTIFICATION, Call, identity_of
from .schema import to_jsonable

if TYPE_CHECKING:
    from .server import Server

log = logging.getLogger("mcp_sync.server")

#: Methods a client may send before the session is initialized.
_BEFORE_INIT = frozenset({"initialize", "ping"})

#: The eras a server can serve (``Server(eras=...)``): ``initialize`` sessions, and stateless 2026-07-28 requests.
LEGACY_ERA = "legacy"
MODERN_ERA = "modern"
ALL_ERAS: tuple[str, ...] = (LEGACY_ERA, MODERN_ERA)


def check_eras(eras: str | Iterable[str]) -> frozenset[str]:
    """``Server(eras=...)`` validated: a non-empty subset of ``("legacy", "modern")``."""
    chosen = frozenset((eras,) if isinstance(eras, str) else eras)
    unknown = sorted(e for e in chosen if e not in ALL_ERAS)
    if unknown or not chosen:
        raise ValueError(f"eras must name 'legacy', 'modern' or both, not {sorted(chosen) or unknown!r}")
    return chosen


def refuse_modern(server: "Server", params: Any, header_version: str | None = None) -> mp.RejectedRequest:
    """The answer of a legacy-only server to a 2026-07-28 request: -32022 (HTTP 400) listing its versions.

    A dual-era client reads it as "this server speaks only these (legacy)
    versions" and falls back to ``initialize`` (DIGEST 1.3).
    """
    meta = mp.get_meta(params)
    requested = meta.get(mp.META_PROTOCOL_VERSION) if meta is not None else None
    if not isinstance(requested, str):
        requested = header_version.strip() if header_version and header_version.strip() else MODERN_VERSIONS[-1]
    supported = sorted(server.legacy_versions, reverse=True)
    return mp.RejectedRequest(UNSUPPORTED_PROTOCOL_VERSION,
                              f"Unsupported protocol version {requested}: this server speaks only "
                              f"{', '.join(supported)} (send initialize)",
                              {"supported": supported, "requested": requested})


def refuse_legacy(server: "Server", params: Any) -> mp.RejectedRequest:
    """The answer of a modern-only server to ``initialize``: -32022 (HTTP 400) listing the versions it speaks.

    (DIGEST 1.3: a modern-only server SHOULD list its supported versions in
    whatever error it returns to ``initialize``; a dual-era client then
    speaks 2026-07-28 to it.)
    """
    requested = params.get("protocolVersion") if isinstance(params, Mapping) else None
    if not isinstance(requested, str):
        requested = ""
    supported = server._modern.supported_versions()
    return mp.RejectedRequest(UNSUPPORTED_PROTOCOL_VERSION,
                              f"Unsupported protocol version {requested or '(none)'}: this server speaks only "
                              f"{', '.join(supported)}, without initialize",
                              {"supported": supported, "requested": requested})


class ServerConnection:
    """A legacy-era session with one client (a stdio process, an HTTP session, a memory pair).

    Holds what ``initialize`` negotiated (``protocol_version``,
    ``client_capabilities``, ``client_info``) and routes each request to the
    server's method handlers, passing itself as their request view. A
    request carrying the 2026-07-28 ``_meta`` is handed to the server's
    :class:`~mcp_sync.server.modern.ModernDispatcher` instead (decided per
    message, before or after ``initialize``), which passes a
    :class:`~mcp_sync.server.modern.ModernView`.
    """

    def __init__(self, server: "Server", transport: Transport, *, name: str = "mcp-server") -> None:
        self.server = server
        self.session = Session(transport, on_request=self._on_request, on_notification=self._on_notification,
                               name=name, max_workers=server.max_workers, limits=server.limits)
        self.protocol_version: str | None = None
        self.client_info: dict[str, Any] | None = None
        self.client_capabilities: dict[str, Any] = {}
        #: Set when the client sends ``notifications/initialized``.
        self.initialized = threading.Event()
        #: Minimum level set with ``logging/setLevel`` (None: the server decides).
        self.log_level: str | None = None
        #: URIs this client subscribed to with ``resources/subscribe`` (read it with :meth:`subscribed`).
        self.subscriptions: set[str] = set()
        #: The server capabilities sent in this client's ``initialize`` result.
        self.server_capabilities: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self.session.on_close(lambda _error: server._forget(self))

    def start(self) -> "ServerConnection":
        self.session.start()
        return self

    def close(self) -> None:
        self.session.close()

    def wait_closed(self, timeout: float | None = None) -> bool:
        return self.session.closed.wait(timeout)

    # -- dispatch ----------------------------------------------------------

    def _on_request(self, request: IncomingRequest) -> Any:
        method = request.method
        server = self.server
        modern = server._modern
        eras = server.eras
        if MODERN_ERA not in eras:  # legacy-only: a modern request is told which versions we speak
            if method != "initialize" and modern.routes(method, request.params):
                raise refuse_modern(server, request.params)
        elif LEGACY_ERA not in eras:  # modern-only: every request is served statelessly
            if method == "initialize":
                raise refuse_legacy(server, request.params)
            return modern.serve(self, request)
        elif modern.routes(method, request.params):  # decided per message: served statelessly
            return modern.serve(self, request)
        chain = server.middleware
        if not chain:
            return self._serve(request)
        call = Call(method, request.params, era=LEGACY_ERA, protocol_version=self.protocol_version,
                    identity=identity_of(request), client_info=self.client_info, request=request, connection=self)
        return chain.run(call, self._serve_call)

    def _serve_call(self, call: Call) -> Any:
        request = call.request
        assert request is not None
        request.params = call.params
        return self._serve(request)

    def _serve(self, request: IncomingRequest) -> Any:
        """A legacy request past the middleware chain: ``initialize``, lookup, capability check, handler."""
        method = request.method
        if method == "initialize":
            return self._initialize(request)
        if self.protocol_version is None and method not in _BEFORE_INIT:
            raise McpError(INVALID_REQUEST,
                           f"Invalid request: {method!r} before initialization; send 'initialize' first")
        handler = self.server._methods.get(method)
        if handler is None:
            raise McpError(METHOD_NOT_FOUND, f"Method not found: {method}")
        path = caps.required_capability(method)
        if path is not None and not caps.has_capability(self.server.capabilities(), *path):
            raise McpError(METHOD_NOT_FOUND, f"Method not found: {method} (capability {'.'.join(path)!r} "
                                             f"is not offered by this server)")
        return handler(self, request)

    def _on_notification(self, method: str, params: dict[str, Any] | None) -> None:
        chain = self.server.middleware
        if not chain:
            return self._notified(method, params)
        # no initialize (yet) on a server that speaks 2026-07-28: a modern client's (e.g. notifications/cancelled)
        legacy = self.protocol_version is not None or MODERN_ERA not in self.server.eras
        call = Call(method, params, kind=NOTIFICATION, era=LEGACY_ERA if legacy else MODERN_ERA,
                    protocol_version=self.protocol_version, client_info=self.client_info, connection=self)
        try:
            chain.run(call, lambda c: self._notified(c.method, c.params))
        except McpError as exc:  # a middleware refused it: dropped, as documented
            log.debug("notification %r dropped by a middleware: %s", method, exc.message)
        return None

    def _notified(self, method: str, params: dict[str, Any] | None) -> None:
        if method == "notifications/initialized":
            self.initialized.set()
            return
        handler = self.server._notification_handlers.get(method)
        if handler is not None:
            handler(self, params or {})

    def _initialize(self, request: IncomingRequest) -> dict[str, Any]:
        if request.in_batch:
            raise McpError(INVALID_REQUEST, "Invalid request: 'initialize' must not be part of a batch")
        params = request.params
        requested = params.get("protocolVersion")
        if not isinstance(requested, str):
            raise McpError(INVALID_PARAMS, "Invalid params: 'protocolVersion' must be a string")
        client_caps = params.get("capabilities", {})
        if not isinstance(client_caps, dict):
            raise McpError(INVALID_PARAMS, "Invalid params: 'capabilities' must be an object")
        client_info = params.get("clientInfo")
        with self._lock:
            if self.protocol_version is not None:
                raise McpError(INVALID_REQUEST, "Invalid request: the session is already initialized")
            version = negotiate(requested, self.server.legacy_versions)
            self.protocol_version = version
            self.session.protocol_version = version
            self.client_capabilities = client_caps
            self.client_info = client_info if isinstance(client_info, dict) else None
            result = self.server._initialize_result(version)
            self.server_capabilities = result["capabilities"]
        return result

    # -- sending to the client -------------------------------------------------

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        """Send a notification to this client (dropped silently if it has gone)."""
        try:
            self.session.notify(method, params)
        except ConnectionClosed:
            pass

    def declared(self, *path: str) -> bool:
        """Whether the server declared the capability at ``path`` to this client."""
        declared = self.server_capabilities
        return caps.has_capability(declared if declared is not None else self.server.capabilities(), *path)

    def send_log(self, level: str, data: Any, logger: str | None = None, *, related_id: Any = None,
                 threshold: str | None = None) -> bool:
        """Send ``notifications/message`` if logging is declared and ``level`` passes the client's level.

        ``threshold`` overrides the level set with ``logging/setLevel``.
        Returns whether the message was sent.
        """
        minimum = threshold if threshold is not None else self.log_level
        if minimum is not None and SEVERITY[level] < SEVERITY.get(minimum, 0):
            return False
        if not self.declared("logging"):
            return False
        params: dict[str, Any] = {"level": level, "data": data if isinstance(data, str) else to_jsonable(data)}
        if logger is not None:
            params["logger"] = logger
        try:
            self.session.notify("notifications/message", params, related_id=related_id)
        except ConnectionClosed:
            return False
        return True

    # -- resource subscriptions ----------------------------------------------------

    def subscribe(self, uri: str) -> None:
        with self._lock:
            self.subscriptions = self.subscriptions | {uri}

    def unsubscribe(self, uri: str) -> None:
        with self._lock:
            self.subscriptions = self.subscriptions - {uri}

    def subscribed(self, uri: str) -> bool:
        return uri in self.subscriptions

    def client_supports(self, *path: str) -> bool:
        """Whether the client declared the capability at ``path`` (e.g. ``"sampling", "tools"``)."""
        return caps.has_capability(self.client_capabilities, *path)
