"""The 2026-07-28 POST path of the Streamable HTTP endpoint (stateless, no sessions).

:class:`McpWsgiApp` hands a POST here when
:meth:`~mcp_sync.server.modern.ModernDispatcher.routes` calls it modern
(before any session lookup: ``Mcp-Session-Id`` and ``Last-Event-ID`` mean
nothing to a modern request). GET and DELETE from a modern client (a modern
``MCP-Protocol-Version`` header) are answered 405.

A request is checked in the order the spec fixes: the mirrored headers
(``Mcp-Method``, ``Mcp-Name``, ``MCP-Protocol-Version``, ``Mcp-Param-*``:
-32020), then ``_meta`` (-32602 / -32022). Those rejections, -32021 and
-32601 (404) are plain JSON with their HTTP status and the request's id.

The answer:

* ``server/discover``, the lists and ``completion/complete`` run on the
  WSGI thread (no hop): plain JSON, or an SSE stream when the handler sent
  notifications;
* everything else runs on a worker pool (named threads, bounded by
  ``Server(max_workers=...)``) while the WSGI thread waits for the first
  message: the result or an error (plain JSON, with the status an error
  calls for, e.g. 400 for -32021 raised inside a tool), or a notification:
  then a 200 SSE stream (``X-Accel-Buffering: no``) carries it, the later
  notifications (progress, logs when the request set a log level) and
  finally the response. A handler that says nothing for ``keepalive``
  seconds gets the stream committed (with keep-alive comments) so that a
  client going away is noticed. Closing the stream cancels the request
  (``ctx.cancelled``). No event ids, no resumption.
* ``subscriptions/listen``: an SSE stream held by the WSGI thread (no worker):
  the acknowledgement, then the subscribed notifications; the client ends it
  by closing the stream; the server ends it (``app.close()``) with the listen
  result.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from ..errors import INTERNAL_ERROR, INVALID_REQUEST, McpError
from ..protocol import headers as hdr
from ..protocol import jsonrpc
from ..protocol import modern as mp
from ..protocol.jsonrpc import Batch, ErrorResponse, Notification, Request, Response
from ..protocol.versions import is_modern
from .body import StreamingBody
from ..protocol.sse import KEEPALIVE, SSE_HEADERS, encode_event

if TYPE_CHECKING:
    from ..session import IncomingRequest
    from ..server.modern import Subscription
    from .wsgi_app import McpWsgiApp

log = logging.getLogger("mcp_sync.http")

StartResponse = Callable[..., Any]

#: Answered on the WSGI thread (they ask the client nothing and are quick).
INLINE_METHODS = frozenset({"server/discover", "tools/list", "prompts/list", "resources/list",
                            "resources/templates/list", "completion/complete"})
#: How long close() waits for the worker threads.
JOIN_TIMEOUT = 5.0


def header_version(environ: dict[str, Any]) -> str | None:
    value = environ.get("HTTP_MCP_PROTOCOL_VERSION")
    return value.strip() if isinstance(value, str) else None


def is_modern_client(environ: dict[str, Any]) -> bool:
    """True when the ``MCP-Protocol-Version`` header names a modern revision."""
    version = header_version(environ)
    return bool(version) and is_modern(version)  # type: ignore[arg-type]


class ModernRequestContext:
    """``request.extra["http"]`` of a modern request: the HTTP facts, and no stream polling."""

    __slots__ = ("method", "path", "query_string", "headers", "remote_addr", "session_id")

    def __init__(self, environ: dict[str, Any], headers: dict[str, str]) -> None:
        self.method = environ.get("REQUEST_METHOD", "POST")
        self.path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        self.query_string = environ.get("QUERY_STRING", "")
        self.headers = headers
        self.remote_addr = environ.get("REMOTE_ADDR")
        self.session_id = None

    def close_sse_stream(self, retry_ms: int | None = None) -> bool:
        """Always False: 2026-07-28 streams cannot be resumed, so the server never closes one early."""
        return False


class _Final:
    """The response, serialized once (``text``), and the HTTP status it calls for."""

    __slots__ = ("text", "status")

    def __init__(self, text: str, status: int) -> None:
        self.text = text
        self.status = status


class _Channel:
    """The stream of one modern request, as the engine's ``session`` of its :class:`IncomingRequest`.

    ``notify`` queues a notification for the response (dropped once the
    client is gone); servers send no requests in this era.
    """

    __slots__ = ("queue", "closed")

    def __init__(self) -> None:
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.closed = False

    def notify(self, method: str, params: dict[str, Any] | None = None, *, related_id: Any = None) -> None:
        if not self.closed:
            self.queue.put(jsonrpc.notification(method, params))

    def request(self, method: str, params: dict[str, Any] | None = None, **_options: Any) -> Any:
        raise McpError(INTERNAL_ERROR, "Internal error: servers send no requests in protocol 2026-07-28 "
                                       "(ask the client with MRTR: ctx.elicit, ctx.sample, ctx.list_roots)")

    def drain(self) -> list[Any]:
        items = []
        while True:
            try:
                items.append(self.queue.get_nowait())
            except queue.Empty:
                return items


def _event(message: dict[str, Any] | str) -> bytes:
    return encode_event(message if isinstance(message, str) else jsonrpc.dumps(message), event="message")


class _RequestStream(StreamingBody):
    """The SSE body of a request answered while its handler runs (notifications, then the response)."""

    def __init__(self, owner: "ModernHttp", request: IncomingRequest, channel: _Channel, first: list[Any],
                 keepalive: float) -> None:
        self._owner = owner
        self._request = request
        self._channel = channel
        self._first = first
        self._keepalive = keepalive
        self._done = False
        super().__init__()

    def _events(self) -> Iterator[bytes]:
        for item in self._first:
            if isinstance(item, _Final):
                self._done = True
                yield _event(item.text)
                return
            yield _event(item)
        while True:
            try:
                item = self._channel.queue.get(timeout=self._keepalive)
            except queue.Empty:
                yield KEEPALIVE
                continue
            if isinstance(item, _Final):
                self._done = True
                yield _event(item.text)
                return
            yield _event(item)

    def _finish(self) -> None:
        try:
            if not self._done:  # the client closed the stream: that is the cancellation
                self._channel.closed = True
                self._request.cancel_reason = "the client closed the response stream"
                self._request.cancelled.set()
        finally:
            self._owner._untrack(self._request)


class _ListenStream(StreamingBody):
    """The SSE body of ``subscriptions/listen``."""

    def __init__(self, owner: "ModernHttp", subscription: "Subscription", version: str, keepalive: float) -> None:
        self._owner = owner
        self._subscription = subscription
        self._version = version
        self._keepalive = keepalive
        super().__init__()

    def _events(self) -> Iterator[bytes]:
        dispatcher = self._owner.dispatcher
        while True:
            item = self._subscription.next(self._keepalive)
            if item is None:
                yield KEEPALIVE
            elif item is self._subscription.CLOSED:
                yield _event(jsonrpc.result(self._subscription.id,
                                            dispatcher.listen_result(self._subscription, self._version)))
                return
            elif item is self._subscription.ENDED:
                return
            else:
                yield _event(item)

    def _finish(self) -> None:
        try:
            self._owner.dispatcher.close_subscription(self._subscription)
        finally:
            with self._owner._lock:
                self._owner._listening.discard(self._subscription)


class ModernHttp:
    """The modern half of one :class:`McpWsgiApp` (see the module docstring)."""

    def __init__(self, app: "McpWsgiApp") -> None:
        self.app = app
        self.server = app.server
        self.dispatcher = app.server._modern
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._inflight: set[IncomingRequest] = set()
        self._listening: set["Subscription"] = set()
        self._closing = False

    # -- routing -----------------------------------------------------------------

    def wants(self, environ: dict[str, Any], message: Any) -> bool:
        """Whether this parsed POST body is for the modern path."""
        kind = type(message)
        if kind is Request or kind is Notification:
            return self.dispatcher.routes(message.method, message.params, header_version(environ))
        return is_modern_client(environ)  # a batch or a response from a modern client: refused there

    # -- responses -----------------------------------------------------------------

    def _json(self, start_response: StartResponse, status: int, message: Any) -> list[bytes]:
        return self.app._json(start_response, status, message)

    def _error(self, start_response: StartResponse, request_id: Any, error: McpError) -> list[bytes]:
        return self._json(start_response, mp.http_status_for(error), jsonrpc.error(request_id, error.to_error(),
                                                                                   "2026-07-28"))

    # -- POST ----------------------------------------------------------------------

    def post(self, environ: dict[str, Any], start_response: StartResponse, message: Any) -> Iterable[bytes]:
        kind = type(message)
        if kind is Batch:
            return self._error(start_response, None, mp.RejectedRequest(
                INVALID_REQUEST, "Invalid request: JSON-RPC batches are not allowed in protocol 2026-07-28"))
        if kind is Response or kind is ErrorResponse:
            return self._error(start_response, None, mp.RejectedRequest(
                INVALID_REQUEST, "Invalid request: clients send no responses in protocol 2026-07-28"))
        headers = self.app._headers_of(environ)
        body: dict[str, Any] = {"jsonrpc": "2.0", "method": message.method}
        if message.params is not None:
            body["params"] = message.params
        if kind is Request:
            body["id"] = message.id
        request_id = message.id if kind is Request else None
        try:
            hdr.check_request_headers(headers, body, self._tool_schema)
            if kind is Notification:  # nothing to do with one over HTTP (cancelling = closing the stream)
                start_response("202 Accepted", [("Content-Length", "0")])
                return [b""]
            meta = self.dispatcher.read_meta(message.params)
        except mp.RejectedRequest as exc:
            return self._error(start_response, request_id, exc)
        extra: dict[str, Any] = {"http": ModernRequestContext(environ, headers), "headers": headers}
        auth = environ.get("mcp_sync.auth")
        if auth is not None:
            extra["auth"] = auth
        channel = _Channel()
        request = self.dispatcher.incoming(channel, message.id, message.method, message.params)
        request.extra.update(extra)
        if message.method == "subscriptions/listen":
            return self._listen(start_response, request, meta)
        if message.method in INLINE_METHODS:
            final = self._run(request, meta)
            items = channel.drain()
            if not items or self.app.json_response:
                return self._json(start_response, final.status, final.text)
            start_response("200 OK", list(SSE_HEADERS))
            return _RequestStream(self, request, channel, items + [final], self.app.keepalive)
        return self._submit(start_response, request, meta, channel)

    def _tool_schema(self, name: str) -> Any:
        wire = self.server._tool_wire(name)
        return wire.get("inputSchema") if wire is not None else None

    def _run(self, request: IncomingRequest, meta: mp.RequestMeta) -> _Final:
        try:
            result = self.dispatcher.handle(request, meta)
            return _Final(jsonrpc.dumps(jsonrpc.result(request.id, result)), 200)
        except McpError as exc:
            return _Final(jsonrpc.dumps(jsonrpc.error(request.id, exc.to_error())), mp.http_status_for(exc))
        except Exception as exc:  # a handler bug, or a result that is not JSON
            log.exception("handler for %r failed", request.method)
            return _Final(jsonrpc.dumps(jsonrpc.error(request.id, {
                "code": INTERNAL_ERROR,
                "message": f"Internal error while handling {request.method!r}: {type(exc).__name__}"})), 500)

    def _work(self, request: IncomingRequest, meta: mp.RequestMeta, channel: _Channel) -> None:
        channel.queue.put(self._run(request, meta))

    def _submit(self, start_response: StartResponse, request: IncomingRequest, meta: mp.RequestMeta,
                channel: _Channel) -> Iterable[bytes]:
        with self._lock:
            if self._closing:
                return self._error(start_response, request.id,
                                   mp.RejectedRequest(INTERNAL_ERROR, "Service unavailable: the server is closing",
                                                      http_status=503))
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max(1, self.server.max_workers),
                                                thread_name_prefix=f"{self.app.name}-modern")
            pool = self._pool
            self._inflight.add(request)
        try:
            pool.submit(self._work, request, meta, channel)
        except RuntimeError:  # shut down meanwhile
            self._untrack(request)
            return self._error(start_response, request.id, mp.RejectedRequest(
                INTERNAL_ERROR, "Service unavailable: the server is closing", http_status=503))
        if self.app.json_response:  # plain JSON only: notifications are dropped
            while True:
                item = channel.queue.get()
                if isinstance(item, _Final):
                    self._untrack(request)
                    return self._json(start_response, item.status, item.text)
        try:
            first = channel.queue.get(timeout=self.app.keepalive)
        except queue.Empty:
            first = None
        if isinstance(first, _Final):
            self._untrack(request)
            return self._json(start_response, first.status, first.text)
        start_response("200 OK", list(SSE_HEADERS))
        return _RequestStream(self, request, channel, [first] if first is not None else [], self.app.keepalive)

    def _untrack(self, request: IncomingRequest) -> None:
        with self._lock:
            self._inflight.discard(request)

    def _listen(self, start_response: StartResponse, request: IncomingRequest,
                meta: mp.RequestMeta) -> Iterable[bytes]:
        try:
            subscription = self.dispatcher.open_subscription(request)
        except McpError as exc:
            return self._error(start_response, request.id, exc)
        with self._lock:
            self._listening.add(subscription)
            if self._closing:
                subscription.close()
        start_response("200 OK", list(SSE_HEADERS))
        return _ListenStream(self, subscription, meta.protocol_version, self.app.keepalive)

    # -- other HTTP methods ----------------------------------------------------------

    def method_not_allowed(self, start_response: StartResponse) -> list[bytes]:
        """GET/DELETE from a modern client: 405 (there is no GET stream and no session to end)."""
        body = jsonrpc.dumps(jsonrpc.error(None, {
            "code": INVALID_REQUEST,
            "message": "Method not allowed: protocol 2026-07-28 uses POST only"}, "2026-07-28")).encode()
        start_response("405 Method Not Allowed", [("Content-Type", "application/json"),
                                                  ("Content-Length", str(len(body))), ("Allow", "POST")])
        return [body]

    # -- shutdown ----------------------------------------------------------------------

    def close(self) -> None:
        """End listen streams (with their result), cancel running requests, join the worker threads."""
        with self._lock:
            self._closing = True
            pool, self._pool = self._pool, None
            inflight = list(self._inflight)
            listening = list(self._listening)
        for subscription in listening:
            subscription.close()
        for request in inflight:
            request.cancel_reason = "the server is closing"
            request.cancelled.set()
        if pool is None:
            return
        pool.shutdown(wait=False, cancel_futures=True)
        me = threading.current_thread()
        for thread in list(getattr(pool, "_threads", ())):
            if thread is not me:
                thread.join(JOIN_TIMEOUT)


__all__ = ["ModernHttp", "ModernRequestContext", "is_modern_client"]
