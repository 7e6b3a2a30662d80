"""The blocking client."""

from __future__ import annotations

import os
import threading
from typing import Any, Sequence

from .. import __version__
from ..errors import METHOD_NOT_FOUND, ConnectionClosed, McpError, ProtocolVersionError
from ..protocol import capabilities as caps
from ..protocol.versions import LATEST_LEGACY, LEGACY_VERSIONS
from ..session import IncomingRequest, RequestFuture, Session
from ..transports.base import Transport

#: Seconds a call waits for its response unless told otherwise.
DEFAULT_TIMEOUT = 60.0
_DEFAULT: Any = object()


class Client:
    """An MCP client. Use it as a context manager::

        with Client.stdio(["python", "server.py"]) as client:
            print(client.call_tool("add", {"a": 1, "b": 2}))
    """

    def __init__(
        self,
        transport: Transport,
        *,
        name: str = "mcp-sync",
        version: str = __version__,
        protocol_version: str = LATEST_LEGACY,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_workers: int = 8,
    ) -> None:
        self.transport = transport
        self.client_info: dict[str, Any] = {"name": name, "version": version}
        self.requested_version = protocol_version
        self.timeout = timeout
        self.session = Session(transport, on_request=self._on_request, on_notification=self._on_notification,
                               name=f"mcp-client-{name}", max_workers=max_workers)
        self.protocol_version: str | None = None
        self.server_info: dict[str, Any] | None = None
        self.server_capabilities: dict[str, Any] = {}
        self.instructions: str | None = None
        self._owned: list[Any] = []  # things closed with the client (an in-memory server connection)
        self._open_lock = threading.Lock()
        self._opened = False

    # -- construction ----------------------------------------------------------

    @classmethod
    def stdio(cls, command: str | Sequence[str], args: Sequence[str] = (), *, env: dict[str, str] | None = None,
              cwd: str | os.PathLike | None = None, stderr: Any = _DEFAULT, **kwargs: Any) -> "Client":
        """A client for a server started as a subprocess speaking stdio."""
        from ..transports.stdio import StdioClientTransport

        extra = {} if stderr is _DEFAULT else {"stderr": stderr}
        return cls(StdioClientTransport(command, args, env=env, cwd=cwd, **extra), **kwargs)

    @classmethod
    def connect(cls, server: Any, **kwargs: Any) -> "Client":
        """A client connected in memory to ``server`` (a :class:`~mcp_sync.Server`)."""
        from ..transports.memory import MemoryTransport

        ours, theirs = MemoryTransport.pair()
        connection = server.serve(theirs)
        client = cls(ours, **kwargs)
        client._owned.append(connection)
        return client

    # -- lifecycle ---------------------------------------------------------------

    def open(self) -> "Client":
        """Start the session and run the ``initialize`` handshake (idempotent)."""
        with self._open_lock:
            if self._opened:
                return self
            self._opened = True
        self.session.start()
        try:
            self._initialize()
        except BaseException:
            self.close()
            raise
        return self

    def _initialize(self) -> None:
        result = self.session.call("initialize", {
            "protocolVersion": self.requested_version,
            "capabilities": self.capabilities(),
            "clientInfo": self.client_info,
        }, timeout=self.timeout)
        version = result.get("protocolVersion")
        if version not in LEGACY_VERSIONS:
            raise ProtocolVersionError(
                f"the server chose protocol version {version!r}, which this client does not support "
                f"(supported: {', '.join(LEGACY_VERSIONS)})")
        self.protocol_version = version
        self.session.protocol_version = version
        self.server_info = result.get("serverInfo")
        self.server_capabilities = result.get("capabilities") or {}
        self.instructions = result.get("instructions")
        self.session.notify("notifications/initialized")

    def capabilities(self) -> dict[str, Any]:
        """What this client declares: only what it is configured to handle."""
        return {}

    def close(self) -> None:
        """End the session (and the server process or in-memory server connection)."""
        self.session.close("client closed")
        for owned in self._owned:
            owned.close()

    def __enter__(self) -> "Client":
        return self.open()

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # -- requests ----------------------------------------------------------------

    def request(self, method: str, params: dict | None = None, *, timeout: float | None = _DEFAULT,
                on_progress: Any = None) -> RequestFuture:
        """Send any request; return a future for its raw result.

        Raises :class:`~mcp_sync.errors.CapabilityError` before sending when the
        server did not declare what ``method`` needs.
        """
        if self.session.close_error is not None:
            raise self.session.close_error
        caps.check(method, self.server_capabilities, "server")
        return self.session.request(method, params, timeout=self.timeout if timeout is _DEFAULT else timeout,
                                    on_progress=on_progress)

    def ping(self, *, timeout: float | None = _DEFAULT) -> None:
        self.request("ping", timeout=timeout).result()

    # -- requests from the server ------------------------------------------------

    def _on_request(self, request: IncomingRequest) -> Any:
        raise McpError(METHOD_NOT_FOUND, f"Method not found: {request.method}")

    def _on_notification(self, method: str, params: dict | None) -> None:
        pass
