"""The high-level server: register tools, resources and prompts; serve them on any transport."""

from __future__ import annotations

import threading
from typing import Any, Callable

from ..protocol.versions import LEGACY_VERSIONS
from ..session import DEFAULT_MAX_WORKERS, IncomingRequest
from ..transports.base import Transport
from .connection import ServerConnection

MethodHandler = Callable[[ServerConnection, IncomingRequest], Any]


class Server:
    """An MCP server.

    >>> server = Server("demo", version="1.0")
    >>> @server.tool()
    ... def add(a: int, b: int) -> int:
    ...     "Add two numbers."
    ...     return a + b

    ``server.run()`` serves stdio; ``server.serve(transport)`` serves one
    connection in the background and returns it.
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
    ) -> None:
        self.name = name
        self.version = version
        self.instructions = instructions
        self.title = title
        self.description = description
        self.website_url = website_url
        self.icons = icons
        self.max_workers = max_workers
        #: Legacy revisions this server negotiates, oldest first.
        self.legacy_versions: tuple[str, ...] = LEGACY_VERSIONS
        self._methods: dict[str, MethodHandler] = {}
        self._notification_handlers: dict[str, Callable[[ServerConnection, dict], None]] = {}
        self._connections: set[ServerConnection] = set()
        self._lock = threading.Lock()
        self._capabilities: dict[str, Any] = {}

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

    def _initialize_result(self, version: str) -> dict[str, Any]:
        result: dict[str, Any] = {
            "protocolVersion": version,
            "capabilities": self.capabilities(),
            "serverInfo": self.server_info(),
        }
        if self.instructions:
            result["instructions"] = self.instructions
        return result

    # -- method table ------------------------------------------------------------

    def method(self, name: str) -> Callable[[MethodHandler], MethodHandler]:
        """Register a low-level handler ``fn(connection, request) -> result`` for a method."""

        def register(fn: MethodHandler) -> MethodHandler:
            self._methods[name] = fn
            return fn

        return register

    def on_notification(self, name: str) -> Callable:
        """Register a handler ``fn(connection, params)`` for a client notification."""

        def register(fn: Callable[[ServerConnection, dict], None]) -> Callable:
            self._notification_handlers[name] = fn
            return fn

        return register

    # -- connections -------------------------------------------------------------

    def serve(self, transport: Transport, *, name: str | None = None) -> ServerConnection:
        """Serve one connection on ``transport`` in the background; return it."""
        connection = ServerConnection(self, transport, name=name or f"mcp-server-{self.name}")
        with self._lock:
            self._connections.add(connection)
        return connection.start()

    def connections(self) -> list[ServerConnection]:
        with self._lock:
            return list(self._connections)

    def _forget(self, connection: ServerConnection) -> None:
        with self._lock:
            self._connections.discard(connection)

    def broadcast(self, method: str, params: dict | None = None) -> None:
        """Send a notification to every initialized client."""
        for connection in self.connections():
            if connection.protocol_version is not None:
                connection.notify(method, params)

    def run(self, transport: str = "stdio", **options: Any) -> None:
        """Serve until the client goes away. ``transport``: ``"stdio"``."""
        if transport != "stdio":
            raise ValueError(f"unknown transport {transport!r}; this build serves 'stdio'")
        from ..transports.stdio import stdio_server_transport

        connection = self.serve(stdio_server_transport(**options), name=f"mcp-server-{self.name}")
        try:
            connection.wait_closed()
        except KeyboardInterrupt:
            pass
        finally:
            connection.close()
