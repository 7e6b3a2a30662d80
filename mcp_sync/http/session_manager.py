"""One Streamable HTTP session on the server side: the transport its engine session sends through.

:class:`HttpSession` is a push transport (``has_reader = False``): the WSGI
app feeds it what clients POST, and :meth:`HttpSession.send` routes what the
server sends by ``related_id``:

* a response goes on the stream of the request it answers (and ends it);
* a request or notification sent while handling a request goes on that
  request's stream (unless that POST is answered with plain JSON);
* everything else goes on the standalone stream (the GET stream).
"""

from __future__ import annotations

import collections
import logging
import secrets
import threading
import time
from typing import TYPE_CHECKING, Any, Mapping

from ..errors import INVALID_REQUEST, ConnectionClosed, McpError
from ..protocol.jsonrpc import dumps
from ..transports.base import Transport
from .streams import KEPT_FINISHED_STREAMS, Stream

if TYPE_CHECKING:
    from ..server.connection import ServerConnection
    from .wsgi_app import McpWsgiApp

log = logging.getLogger("mcp_sync.http")

#: Cancellations remembered for requests that have not arrived yet (per session).
EARLY_CANCELS = 256

STATELESS_REQUEST_ERROR = (
    "This server runs in stateless mode (no sessions): it cannot send requests to the client "
    "(sampling, elicitation, roots, ping), because the client's answer could not be routed back")


def new_token() -> str:
    """A cryptographically random id of visible ASCII characters (URL-safe base64)."""
    return secrets.token_urlsafe(24)


class HttpRequestContext:
    """What a handler learns about the HTTP request that carried its JSON-RPC request.

    Found in ``request.extra["http"]``. ``headers`` maps lower-case header
    names to values. :meth:`close_sse_stream` ends the SSE connection of this
    request now (the stream goes on: the client reconnects with
    ``Last-Event-ID`` after the ``retry`` delay and gets the rest).
    """

    __slots__ = ("method", "path", "query_string", "headers", "remote_addr", "session_id", "_session", "_stream",
                 "_retry_ms")

    def __init__(self, *, method: str, path: str, query_string: str, headers: Mapping[str, str],
                 remote_addr: str | None, session: "HttpSession", stream: Stream | None, retry_ms: int | None) -> None:
        self.method = method
        self.path = path
        self.query_string = query_string
        self.headers = dict(headers)
        self.remote_addr = remote_addr
        self.session_id = session.id
        self._session = session
        self._stream = stream
        self._retry_ms = retry_ms

    def close_sse_stream(self, retry_ms: int | None = None) -> bool:
        """Close this request's SSE connection so the client polls for the rest.

        Returns False (and does nothing) when the answer is plain JSON or the
        server keeps no event store (the client could not resume).
        """
        stream = self._stream
        if stream is None or stream.json_mode or stream.store is None:
            return False
        return stream.close_connection(self._retry_ms if retry_ms is None else retry_ms)

    def close_standalone_sse_stream(self, retry_ms: int | None = None) -> bool:
        """Close the session's GET stream connection (the client reconnects)."""
        stream = self._session.standalone
        if stream is None or stream.store is None:
            return False
        return stream.close_connection(self._retry_ms if retry_ms is None else retry_ms)


class StreamBudget:
    """Counts the SSE responses open on each session and on the whole app, against their limits.

    :meth:`acquire` returns None (the stream may open; :meth:`release` it when
    its response ends) or ``(http_status, message)`` refusing it: 429 past
    ``per_session`` (this client has too many), 503 past ``total`` (the
    server has too many). None disables a limit.
    """

    def __init__(self, per_session: int | None, total: int | None) -> None:
        for name, value in (("max_streams_per_session", per_session), ("max_streams", total)):
            if value is not None and (type(value) is not int or value < 1):
                raise ValueError(f"{name} must be a positive integer or None, not {value!r}")
        self.per_session = per_session
        self.total = total
        self._lock = threading.Lock()
        #: SSE responses open now, all sessions together.
        self.open = 0

    def acquire(self, session: "HttpSession") -> tuple[int, str] | None:
        with self._lock:
            if self.per_session is not None and session.open_streams >= self.per_session:
                return 429, (f"Too many streams: {self.per_session} SSE streams are already open on this session "
                             f"(the server's max_streams_per_session); retry after one ends")
            if self.total is not None and self.open >= self.total:
                return 503, (f"Server busy: {self.total} SSE streams are open on this server (the server's "
                             f"max_streams); retry later")
            self.open += 1
            session.open_streams += 1
        return None

    def release(self, session: "HttpSession") -> None:
        with self._lock:
            self.open -= 1
            session.open_streams -= 1


class HttpSession(Transport):
    """The transport of one HTTP session (or of one request, in stateless mode)."""

    has_reader = False

    def __init__(self, app: "McpWsgiApp", session_id: str | None, *, stateless: bool = False) -> None:
        self.app = app
        self.id = session_id
        self.stateless = stateless
        self.store = None if stateless else app.event_store
        self._lock = threading.Lock()
        self._by_request: dict[Any, Stream] = {}
        self._early_cancels: collections.OrderedDict[Any, Any] = collections.OrderedDict()
        self._streams: collections.OrderedDict[str, Stream] = collections.OrderedDict()
        self._closed = False
        self._busy = 0
        #: SSE responses of this session open now (counted by the app's StreamBudget).
        self.open_streams = 0
        self.last_active = time.monotonic()
        #: The engine connection serving this session (set by the app).
        self.connection: "ServerConnection | None" = None
        self.standalone: Stream | None = None
        if not stateless:
            self.standalone = self._make_stream("standalone")

    # -- bookkeeping ---------------------------------------------------------

    def _make_stream(self, kind: str, request_ids: tuple = (), json_mode: bool = False) -> Stream:
        stream = Stream(secrets.token_hex(8), kind=kind, request_ids=request_ids, json_mode=json_mode,
                        store=self.store, backlog=self.app.max_backlog)
        self._streams[stream.id] = stream
        return stream

    @property
    def protocol_version(self) -> str | None:
        connection = self.connection
        return None if connection is None else connection.protocol_version

    def acquire(self) -> None:
        """An HTTP request of this session is being served."""
        with self._lock:
            self._busy += 1
            self.last_active = time.monotonic()

    def release(self) -> None:
        with self._lock:
            self._busy -= 1
            self.last_active = time.monotonic()

    def idle_deadline(self, timeout: float) -> float | None:
        """When this session expires if nothing happens, or None while it is in use."""
        with self._lock:
            if self._busy or self._closed:
                return None
            last = self.last_active
        connection = self.connection
        if connection is not None and (connection.session.in_flight() or connection.session.pending()):
            return None
        return last + timeout

    @property
    def closed(self) -> bool:
        return self._closed

    def standalone_listening(self) -> bool:
        """Whether a client is connected to the GET stream now (a message sent there arrives at once)."""
        standalone = self.standalone
        return standalone is not None and standalone.attached and not self._closed

    def open_request_stream(self, request_ids: tuple, json_mode: bool) -> Stream | None:
        """A new stream for the request(s) of one POST; None if an id is already in flight."""
        dropped: list[Stream] = []
        with self._lock:
            if self._closed:
                return None
            if any(rid in self._by_request for rid in request_ids):
                return None
            stream = self._make_stream("request", request_ids, json_mode)
            for rid in request_ids:
                self._by_request[rid] = stream
            finished = [s for s in self._streams.values() if s.kind == "request" and s.finished and not s.attached]
            for old in finished[:max(0, len(finished) - KEPT_FINISHED_STREAMS)]:
                del self._streams[old.id]
                dropped.append(old)
        if self.store is not None:
            for old in dropped:
                self.store.forget_stream(old.id)
        return stream

    def find_stream(self, stream_id: str) -> Stream | None:
        with self._lock:
            return self._streams.get(stream_id)

    def cancel_request(self, request_id: Any, notification: Any = None) -> None:
        """The client cancelled ``request_id``: end its stream (no response will come).

        Each message is its own POST, so a cancellation can overtake the
        request it cancels: one for a request not seen yet is remembered
        (``notification``, bounded) and applied when the request arrives.
        """
        with self._lock:
            stream = self._by_request.get(request_id)
            if stream is None:
                if notification is not None:
                    self._early_cancels[request_id] = notification
                    while len(self._early_cancels) > EARLY_CANCELS:
                        self._early_cancels.popitem(last=False)
                return
            for rid in stream.request_ids:
                self._by_request.pop(rid, None)
        stream.end("cancelled")

    def take_early_cancels(self, request_ids: tuple) -> list[tuple[Any, Any]]:
        """Cancellations that arrived before these requests: ``[(request_id, notification)]``."""
        with self._lock:
            return [(rid, self._early_cancels.pop(rid)) for rid in request_ids if rid in self._early_cancels]

    # -- Transport -------------------------------------------------------------

    def receive(self) -> None:  # pragma: no cover - push transport, never read
        raise ConnectionClosed("the HTTP transport is fed by the WSGI app")

    def send(self, message: Any, related_id: Any = None) -> None:
        if self._closed:
            raise ConnectionClosed("the HTTP session has ended")
        data = dumps(message)
        stream, final = self._route(message, related_id)
        if stream is not None and stream.push(data, final):
            return
        if final:
            log.debug("dropping a response nobody waits for (its request stream ended)")
            return
        standalone = self.standalone
        if standalone is None or stream is standalone or not standalone.push(data, False):
            log.debug("dropping a message: no stream can carry it")

    def _route(self, message: Any, related_id: Any) -> tuple[Stream | None, bool]:
        with self._lock:
            if isinstance(message, list):  # the responses to a batch
                for item in message:
                    rid = item.get("id") if isinstance(item, dict) else None
                    stream = self._by_request.get(rid) if type(rid) in (str, int) else None
                    if stream is not None:
                        for other in stream.request_ids:
                            self._by_request.pop(other, None)
                        return stream, True
                return None, True
            if "method" not in message:  # a response: only ever on its request's stream
                rid = message.get("id")
                stream = self._by_request.get(rid) if type(rid) in (str, int) else None
                if stream is not None:
                    for other in stream.request_ids:
                        self._by_request.pop(other, None)
                return stream, True
            if "id" in message and self.stateless:
                raise McpError(INVALID_REQUEST, STATELESS_REQUEST_ERROR)
            stream = self._by_request.get(related_id) if related_id is not None else None
            if stream is not None and not stream.json_mode:
                return stream, False
            return self.standalone, False

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            streams = list(self._streams.values())
            self._streams.clear()
            self._by_request.clear()
        for stream in streams:
            stream.end("session closed")
        if self.store is not None:
            for stream in streams:
                try:
                    self.store.forget_stream(stream.id)
                except Exception:
                    log.exception("event store failed to forget stream %s", stream.id)
        self.app._forget_session(self)
