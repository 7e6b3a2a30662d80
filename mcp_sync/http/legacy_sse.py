"""The 2024-11-05 HTTP+SSE transport, server side (for old clients).

``GET <sse_path>`` opens a session: the first event is ``endpoint`` whose data
is the URI to POST messages to (``<messages_path>?session_id=<id>``); every
server message then follows as a ``message`` event on that one stream. The
session ends when the SSE connection does.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import TYPE_CHECKING, Any, Iterator

from ..errors import ConnectionClosed
from ..protocol.jsonrpc import dumps
from ..transports.base import Transport
from .body import StreamingBody
from ..protocol.sse import KEEPALIVE, encode_event

if TYPE_CHECKING:
    from ..server.connection import ServerConnection
    from .wsgi_app import McpWsgiApp

log = logging.getLogger("mcp_sync.http")

_CLOSE = object()


class LegacySseSession(Transport):
    has_reader = False

    @property
    def handler_pool(self) -> Any:
        """The app-wide worker pool this session's handlers run on (see mcp_sync.http.handler_pool)."""
        return self.app.handler_pool.get()

    def __init__(self, app: "McpWsgiApp", session_id: str) -> None:
        self.app = app
        self.id = session_id
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self.connection: "ServerConnection | None" = None

    def receive(self) -> None:  # pragma: no cover - push transport
        raise ConnectionClosed("the HTTP+SSE transport is fed by the WSGI app")

    def send(self, message: Any, related_id: Any = None) -> None:
        data = dumps(message)
        with self._lock:
            if self._closed:
                raise ConnectionClosed("the SSE connection has ended")
            self.queue.put(data)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.queue.put(_CLOSE)
        self.app._forget_legacy(self)


class LegacySseBody(StreamingBody):
    """The body of ``GET /sse``: the endpoint event, then messages until either side ends."""

    def __init__(self, session: LegacySseSession, endpoint: str, keepalive: float) -> None:
        self._session = session
        self._endpoint = endpoint
        self._keepalive = keepalive
        super().__init__()

    def _events(self) -> Iterator[bytes]:
        yield encode_event(self._endpoint, event="endpoint")
        q = self._session.queue
        while True:
            try:
                item = q.get(timeout=self._keepalive)
            except queue.Empty:
                yield KEEPALIVE
                continue
            if item is _CLOSE:
                return
            yield encode_event(item, event="message")

    def _finish(self) -> None:
        connection = self._session.connection
        if connection is not None:
            connection.close()
        else:
            self._session.close()
