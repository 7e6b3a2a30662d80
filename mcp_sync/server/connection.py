"""One client connected to a :class:`~mcp_sync.server.Server`: lifecycle and dispatch."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from ..errors import INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, McpError
from ..protocol import capabilities as caps
from ..protocol.versions import negotiate
from ..session import IncomingRequest, Session
from ..transports.base import Transport

if TYPE_CHECKING:
    from .server import Server

log = logging.getLogger("mcp_sync.server")

#: Methods a client may send before the session is initialized.
_BEFORE_INIT = frozenset({"initialize", "ping"})


class ServerConnection:
    """A legacy-era session with one client (a stdio process, an HTTP session, a memory pair).

    Holds what ``initialize`` negotiated (``protocol_version``,
    ``client_capabilities``, ``client_info``) and routes each request to the
    server's method handlers.
    """

    def __init__(self, server: "Server", transport: Transport, *, name: str = "mcp-server") -> None:
        self.server = server
        self.session = Session(transport, on_request=self._on_request, on_notification=self._on_notification,
                               name=name, max_workers=server.max_workers)
        self.protocol_version: str | None = None
        self.client_info: dict[str, Any] | None = None
        self.client_capabilities: dict[str, Any] = {}
        #: Set when the client sends ``notifications/initialized``.
        self.initialized = threading.Event()
        #: Minimum level set with ``logging/setLevel`` (None: the server decides).
        self.log_level: str | None = None
        #: URIs this client subscribed to with ``resources/subscribe``.
        self.subscriptions: set[str] = set()
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

    def _on_notification(self, method: str, params: dict | None) -> None:
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
        return self.server._initialize_result(version)

    # -- sending to the client -------------------------------------------------

    def notify(self, method: str, params: dict | None = None) -> None:
        """Send a notification to this client (dropped silently if it has gone)."""
        from ..errors import ConnectionClosed

        try:
            self.session.notify(method, params)
        except ConnectionClosed:
            pass

    def client_supports(self, *path: str) -> bool:
        """Whether the client declared the capability at ``path`` (e.g. ``"sampling", "tools"``)."""
        return caps.has_capability(self.client_capabilities, *path)
