"""Streamable HTTP, client side (2025-03-26 ... 2025-11-25), with the 2024-11-05 HTTP+SSE fallback.

:class:`HttpClientTransport` is a transport with a reader: everything the
server sends, whichever HTTP response it arrives on, goes into one queue that
the session's reader thread pops with :meth:`~HttpClientTransport.receive`.

* Each request is POSTed from its own named thread, which then reads the
  answer: plain JSON, or an SSE stream carrying notifications, requests from
  the server, and finally the response. If that stream ends before the
  response, the thread waits the server's ``retry`` delay and GETs the
  endpoint with ``Last-Event-ID`` to resume it (the server may close streams
  on purpose so clients poll), until the response arrives.
* Notifications and responses (answers to the server's sampling, elicitation,
  roots requests) are POSTed at once by the sending thread (``202``).
* After ``notifications/initialized``, a named thread keeps the standalone
  GET stream open (reconnecting after ``retry``; a ``405`` means the server
  has none).
* ``Mcp-Session-Id`` (from the ``initialize`` answer) and
  ``MCP-Protocol-Version`` (the negotiated one, read from the ``initialize``
  result) go on every later request; ``close()`` DELETEs the session.
  A ``404`` for a request carrying the session id ends the connection with
  :class:`SessionExpired`.
* If the ``initialize`` POST fails with 400, 404 or 405, the transport GETs
  the URL expecting an ``endpoint`` event (the old HTTP+SSE transport) and
  goes on with that.

``close()`` aborts the connections its threads are blocked on and joins them.
Giving up on one request (cancelled, timed out) stops its thread reading, but
never cuts a POST still being written: a request cancelled right after it was
issued still reaches the server whole, and only then is its stream closed, so
the server always sees the request and its cancellation.

2026-07-28 (modern) requests -- those whose ``params._meta`` carries
``io.modelcontextprotocol/protocolVersion`` -- are sent statelessly: no
session id, ``MCP-Protocol-Version`` from the ``_meta``, ``Mcp-Method`` and
``Mcp-Name`` mirrored from the body (base64 sentinel where needed), plus what
:attr:`HttpClientTransport.header_hook` returns (the client's ``Mcp-Param-*``
headers). Their SSE streams are never resumed (a broken stream loses the
request), cancelling one closes its stream instead of POSTing
``notifications/cancelled``, and a JSON-RPC error body with an HTTP error
status fails the request with a :class:`~mcp_sync.protocol.modern.RejectedRequest`
carrying that status (what era detection reads).
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import queue
import socket
import threading
import weakref
from typing import Any, Callable, Iterator, Mapping
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ClosedPoolError
from urllib3.util.retry import Retry

from ..errors import ConnectionClosed, HttpStatusError, ServerUnreachable
from ..protocol.sse import SseParser
from ..protocol import headers as _mcp_headers
from ..protocol.jsonrpc import dumps
from ..protocol.modern import RejectedRequest, is_modern_request
from .base import Transport

log = logging.getLogger("mcp_sync.http.client")

#: Reconnection delay when the server sent no ``retry`` field (milliseconds).
DEFAULT_RETRY_MS = 1000
#: Consecutive reconnections that bring nothing before a request stream is given up.
MAX_RECONNECTS = 5
#: Longest pause between attempts to reopen the standalone GET stream (seconds).
MAX_BACKOFF = 30.0
#: How long close() waits for each of its threads.
JOIN_TIMEOUT = 5.0
#: Longest wait for the server to answer the standalone GET before the first request goes out (seconds).
GET_READY_WAIT = 5.0
#: Ids remembered per stream to drop events a server replays twice.
SEEN_IDS = 1024


def post_failed(url: str, exc: requests.RequestException) -> ConnectionClosed:
    """The error for a POST that got no HTTP answer: :class:`ServerUnreachable` when nothing listens at ``url``."""
    if isinstance(exc, requests.ConnectionError) and not isinstance(exc, requests.ConnectTimeout):
        text = str(exc)
        for marker, detail in (("Connection refused", "connection refused"),
                               ("Name or service not known", "unknown host"),
                               ("nodename nor servname", "unknown host"),
                               ("No route to host", "no route to host"),
                               ("Failed to resolve", "unknown host")):
            if marker in text:
                return ServerUnreachable(url, detail)
    reason = getattr(exc, "args", None)
    return ConnectionClosed(f"POST to {url} failed: {type(exc).__name__}" + (f" ({reason[0]})" if reason else ""))


class SessionExpired(ConnectionClosed):
    """The server no longer knows our session (HTTP 404): start a new client."""


# -- aborting blocked HTTP calls -------------------------------------------------------


class _ConnectionTracker:
    """What each of our threads is blocked on, so close() can shut it down.

    While a request waits for its response headers, the urllib3 connection
    (bound by the pool when the thread takes it); while a body streams, the
    response (held by the transport). A thread may hold several at once (the
    HTTP+SSE reader POSTs while its GET stream stays open). Once ``closed``,
    no new connection is handed out.

    With our own pool (``pooled``), aborting a thread shuts down the sockets of
    the connections it holds, and only those: a connection it already gave
    back (a response read to its end returns it) may be another thread's by
    then. An aborted connection is never handed out again (``doomed``: the
    pool closes it when it comes back). With a caller's ``requests.Session``
    (not pooled here), the responses the thread reads are shut down instead.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conns: "weakref.WeakKeyDictionary[threading.Thread, list[Any]]" = weakref.WeakKeyDictionary()
        self._responses: "weakref.WeakKeyDictionary[threading.Thread, list[Any]]" = weakref.WeakKeyDictionary()
        #: Threads whose request went out whole (they are waiting for, or reading, the answer).
        self._sent: "weakref.WeakSet[threading.Thread]" = weakref.WeakSet()
        #: Threads to abort as soon as their request has gone out whole (see abort_when_sent).
        self._deferred: "weakref.WeakSet[threading.Thread]" = weakref.WeakSet()
        #: Connections an abort shut down: closed instead of going back to the pool.
        self._doomed: "weakref.WeakSet[Any]" = weakref.WeakSet()
        #: The connections go through our tracking pool (False with a caller's requests.Session).
        self.pooled = False
        self.closed = False

    def bind(self, conn: Any) -> None:
        with self._lock:
            held = self._conns.setdefault(threading.current_thread(), [])
            if not any(c is conn for c in held):
                held.append(conn)

    def unbind(self, conn: Any) -> bool:
        """``conn`` goes back to the pool; True when an abort doomed it (close it instead)."""
        if conn is None:
            return False
        with self._lock:
            for held in self._conns.values():
                held[:] = [c for c in held if c is not conn]
            doomed = conn in self._doomed
            self._doomed.discard(conn)
        return doomed

    def hold(self, response: requests.Response) -> None:
        thread = threading.current_thread()
        with self._lock:
            self._responses.setdefault(thread, []).append(response)
            self._sent.add(thread)  # an answer is here, so the request went out (also with a caller's session)
            deferred = thread in self._deferred
            self._deferred.discard(thread)
        if deferred:
            _shutdown_response(response)

    def release(self, response: requests.Response) -> None:
        with self._lock:
            held = self._responses.get(threading.current_thread())
            if held is not None:
                held[:] = [r for r in held if r is not response]

    def close(self) -> None:
        with self._lock:
            self.closed = True

    def request_sent(self, conn: Any) -> None:
        """Called on the sending thread once ``conn`` wrote a whole request (before reading the answer)."""
        thread = threading.current_thread()
        with self._lock:
            self._sent.add(thread)
            deferred = thread in self._deferred
            self._deferred.discard(thread)
        if deferred:
            with self._lock:
                self._doomed.add(conn)
            _shutdown(getattr(conn, "sock", None))

    def abort_when_sent(self, thread: threading.Thread) -> None:
        """Abort what ``thread`` is blocked on, but never a request it is still writing.

        Cutting a request short loses it (the server never sees it, so a
        cancellation could not reach its handler): a thread that has not yet
        written its whole request is aborted right after it has.
        """
        with self._lock:
            if thread not in self._sent:
                self._deferred.add(thread)
                return
        self.abort(thread)

    def abort(self, thread: threading.Thread) -> None:
        with self._lock:
            conns = list(self._conns.get(thread, ()))
            socks = []
            for conn in conns:  # still ``thread``'s: doomed before anyone else can take it
                self._doomed.add(conn)
                socks.append(getattr(conn, "sock", None))
            responses = [] if self.pooled else list(self._responses.get(thread, ()))
        for sock in socks:
            _shutdown(sock)
        for response in responses:
            _shutdown_response(response)


def _shutdown(sock: Any) -> None:
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except (OSError, AttributeError):
            pass


def _shutdown_response(response: requests.Response) -> None:
    """Wake a thread blocked reading ``response`` (the connection may belong to the response only)."""
    raw = response.raw
    try:
        raw.shutdown()  # urllib3 >= 2.3
        return
    except Exception:
        pass
    fp = getattr(getattr(raw, "_fp", None), "fp", None)
    _shutdown(getattr(getattr(fp, "raw", None), "_sock", None))


def _tracking_pool(base: type, tracker: _ConnectionTracker) -> type:
    class TrackingPool(base):  # type: ignore[misc]
        def _get_conn(self, timeout: float | None = None) -> Any:
            if tracker.closed:
                raise ClosedPoolError(self, "the MCP transport is closed")
            conn = super()._get_conn(timeout)
            tracker.bind(conn)
            if tracker.closed:  # close() ran meanwhile and may have missed this connection
                tracker.unbind(conn)
                super()._put_conn(conn)
                raise ClosedPoolError(self, "the MCP transport is closed")
            return conn

        def _put_conn(self, conn: Any) -> None:
            if tracker.unbind(conn):  # an abort shut it down: never hand it out again
                conn.close()
                conn = None
            super()._put_conn(conn)

    class TrackingConnection(base.ConnectionCls):  # type: ignore[misc, name-defined]
        def getresponse(self, *args: Any, **kwargs: Any) -> Any:
            tracker.request_sent(self)  # the request is out whole: an abort may cut the answer now
            return super().getresponse(*args, **kwargs)

    TrackingPool.ConnectionCls = TrackingConnection
    TrackingPool.__name__ = f"Tracking{base.__name__}"
    return TrackingPool


class _TrackingAdapter(HTTPAdapter):
    def __init__(self, tracker: _ConnectionTracker, **kwargs: Any) -> None:
        self._tracker = tracker
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        manager = self.poolmanager
        manager.pool_classes_by_scheme = {scheme: _tracking_pool(cls, self._tracker)
                                          for scheme, cls in manager.pool_classes_by_scheme.items()}


# -- per-stream state --------------------------------------------------------------------


class _StreamState:
    """Where a stream stands: the id to resume from, the server's retry delay, ids seen."""

    def __init__(self, retry_ms: int) -> None:
        self.last_event_id: str | None = None
        self.retry_ms = retry_ms
        self.received = 0
        self._seen: set[str] = set()
        self._order: collections.deque[str] = collections.deque()

    def seen(self, event_id: str) -> bool:
        if event_id in self._seen:
            return True
        self._seen.add(event_id)
        self._order.append(event_id)
        if len(self._order) > SEEN_IDS:
            self._seen.discard(self._order.popleft())
        return False


class _Exchange:
    __slots__ = ("request_id", "thread", "cancelled", "answered", "modern_headers")

    def __init__(self, request_id: Any, modern_headers: dict[str, str] | None = None) -> None:
        self.request_id = request_id
        #: A 2026-07-28 request: its mirrored headers (no session, no resumption).
        self.modern_headers = modern_headers
        self.thread: threading.Thread | None = None
        #: The session gave up on the request: stop reading for it.
        self.cancelled = False
        #: Its response arrived (on whichever stream).
        self.answered = False


def _media_type(response: requests.Response) -> str:
    return (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()


def _describe(response: requests.Response, text: str) -> str:
    """The reason phrase, and the message of an id-less JSON-RPC error body if there is one."""
    reason = response.reason or "error"
    try:
        body = json.loads(text)
        message = body["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return reason
    return f"{reason}: {message}" if isinstance(message, str) else reason


def _answers(obj: Any, request_id: Any) -> bool:
    """True if ``obj`` (a decoded message or batch) is the response to ``request_id``."""
    if isinstance(obj, list):
        return any(_answers(item, request_id) for item in obj)
    return (isinstance(obj, dict) and "method" not in obj and obj.get("id") == request_id
            and type(obj.get("id")) is type(request_id) and ("result" in obj or "error" in obj))


class HttpClientTransport(Transport):
    """The client end of a Streamable HTTP connection to ``url`` (the MCP endpoint).

    ``headers`` are sent on every request (e.g. ``Authorization``); ``auth`` is
    any ``requests`` authentication (a tuple or an ``AuthBase``); ``timeout``
    (seconds) bounds connecting and each POST of a notification or response
    (streams have no read timeout unless ``sse_read_timeout`` is given: the
    session's request timeouts apply). ``http`` is a ``requests.Session`` to
    use (its connections cannot be aborted by close() while waiting for
    response headers). ``legacy_fallback=False`` disables the HTTP+SSE
    fallback; ``open_get_stream=False`` never opens the standalone stream.
    """

    has_reader = True

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth: Any = None,
        timeout: float | None = 30.0,
        sse_read_timeout: float | None = None,
        http: requests.Session | None = None,
        legacy_fallback: bool = True,
        open_get_stream: bool = True,
        retry_ms: int = DEFAULT_RETRY_MS,
        max_reconnects: int = MAX_RECONNECTS,
        name: str = "mcp-http-client",
    ) -> None:
        self.url = url
        self.name = name
        self.timeout = timeout
        self.sse_read_timeout = sse_read_timeout
        self.legacy_fallback = legacy_fallback
        self.open_get_stream = open_get_stream
        self.retry_ms = retry_ms
        self.max_reconnects = max_reconnects
        self._extra_headers = dict(headers or {})
        self._tracker = _ConnectionTracker()
        self._owns_http = http is None
        if http is None:
            http = requests.Session()
            # Connection failures (nothing was sent) are retried twice; nothing else is.
            retries = Retry(total=2, connect=2, read=0, redirect=0, status=0, other=0, raise_on_status=False)
            adapter = _TrackingAdapter(self._tracker, pool_maxsize=32, max_retries=retries)
            self._tracker.pooled = True
            http.mount("http://", adapter)
            http.mount("https://", adapter)
        if auth is not None:
            http.auth = auth
        self._http = http
        #: The session id the server issued (None before ``initialize``, or if it issues none).
        self.session_id: str | None = None
        #: The negotiated protocol version (read from the ``initialize`` result).
        self.protocol_version: str | None = None
        #: The POST endpoint when talking to an old HTTP+SSE (2024-11-05) server.
        self.legacy_endpoint: str | None = None
        self._engine: Any = None
        self._inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: set[threading.Thread] = set()
        self._exchanges: dict[Any, _Exchange] = {}
        self._init_id: Any = None
        self._get_started = False
        self._get_ready = threading.Event()
        self._stop = threading.Event()
        self._close_called = False
        self._error: ConnectionClosed | None = None
        #: 2026-07-28: ``hook(message) -> headers`` adding to the mirrored headers of a modern request
        #: (the client's ``Mcp-Param-*``); may raise ``ValueError`` for a value that cannot be mirrored.
        self.header_hook: Callable[[dict[str, Any]], Mapping[str, str]] | None = None
        self._modern_seen = False

    @property
    def era_key(self) -> str:
        """Key of this server in an era cache: origin + path of the endpoint."""
        parts = urlsplit(self.url)
        return f"http:{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path or '/'}"

    # -- Transport -------------------------------------------------------------------------

    def attach_session(self, session: Any) -> None:
        """Called by the session that owns this transport."""
        self._engine = session

    def set_protocol_version(self, version: str) -> None:
        """The version ``initialize`` negotiated (sent as ``MCP-Protocol-Version`` from now on)."""
        self.protocol_version = version

    def receive(self) -> str | None:
        item = self._inbox.get()
        if item is None:
            return None
        if isinstance(item, BaseException):
            raise item
        text: str = item
        return text

    def closed_error(self) -> ConnectionClosed:
        return self._error or ConnectionClosed("the HTTP connection was closed")

    def send(self, message: Any, related_id: Any = None) -> None:
        if self._stop.is_set():
            raise self.closed_error()
        data = dumps(message).encode("utf-8")
        is_request = isinstance(message, dict) and "method" in message and "id" in message
        if is_request and message["method"] == "initialize":
            self._init_id = message["id"]
        if self.legacy_endpoint is not None:
            self._post_legacy(data)
            return
        modern = self._modern_headers(message) if is_request else None
        if is_request:
            self._start_exchange(message["id"], data, message["method"] == "initialize", modern)
            return
        if isinstance(message, dict) and message.get("method") == "notifications/cancelled":
            request_id = (message.get("params") or {}).get("requestId")
            with self._lock:
                exchange = self._exchanges.get(request_id) if type(request_id) in (str, int) else None
            if exchange is not None and exchange.modern_headers is not None:
                self._abandon(request_id)  # 2026-07-28: closing the response stream is the cancellation
                return
            if exchange is None and self._modern_seen and self.session_id is None:
                return  # a stateless server has nothing to cancel once the stream is gone
        self._post_oneway(data)
        if isinstance(message, dict):
            method = message.get("method")
            if method == "notifications/initialized":
                self._start_get_stream()
            elif method == "notifications/cancelled":
                self._abandon((message.get("params") or {}).get("requestId"))

    def close(self) -> None:
        with self._lock:
            if self._close_called:
                return
            self._close_called = True
        self._stop.set()
        if self.session_id is not None and self.legacy_endpoint is None and not isinstance(self._error, SessionExpired):
            try:
                self._http.delete(self.url, headers=self._headers("delete"), timeout=min(self.timeout or 5.0, 5.0))
            except requests.RequestException as exc:
                log.debug("DELETE of the session failed: %s", exc)
        self._tracker.close()
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            self._tracker.abort(thread)
        me = threading.current_thread()
        for thread in threads:
            if thread is not me:
                thread.join(JOIN_TIMEOUT)
        self._inbox.put(None)
        if self._owns_http:
            self._http.close()

    # -- helpers ---------------------------------------------------------------------------

    def _modern_headers(self, message: Any) -> dict[str, str] | None:
        """The mirrored headers of a 2026-07-28 request, or None for a legacy message."""
        if not isinstance(message, dict) or not is_modern_request(message.get("params")):
            return None
        headers = _mcp_headers.standard_headers(message)
        hook = self.header_hook
        if hook is not None:
            headers.update(hook(message))
        return headers

    def _headers(self, kind: str, last_event_id: str | None = None,
                 modern: Mapping[str, str] | None = None) -> dict[str, str]:
        if modern is not None:  # 2026-07-28: stateless; the version comes from the request's _meta
            headers = dict(self._extra_headers)
            headers["Content-Type"] = "application/json"
            headers["Accept"] = "application/json, text/event-stream"
            headers["Accept-Encoding"] = "identity"
            headers.update(modern)
            return headers
        headers = dict(self._extra_headers)
        if kind == "post":
            headers["Content-Type"] = "application/json"
            headers["Accept"] = "application/json, text/event-stream"
        elif kind == "sse":
            headers["Accept"] = "text/event-stream"
            headers["Cache-Control"] = "no-cache"
        headers["Accept-Encoding"] = "identity"  # no compression: SSE must not be buffered
        if kind != "init":
            if self.session_id is not None:
                headers["Mcp-Session-Id"] = self.session_id
            version = self.protocol_version or getattr(self._engine, "protocol_version", None)
            if version is not None:
                headers["MCP-Protocol-Version"] = version
        else:
            headers["Content-Type"] = "application/json"
            headers["Accept"] = "application/json, text/event-stream"
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        return headers

    def _spawn(self, target: Any, name: str, *args: Any) -> threading.Thread | None:
        def run() -> None:
            try:
                target(*args)
            except Exception:
                log.exception("%s failed", name)
            finally:
                with self._lock:
                    self._threads.discard(threading.current_thread())

        thread = threading.Thread(target=run, name=name, daemon=True)
        with self._lock:
            if self._stop.is_set():
                return None
            self._threads.add(thread)
        thread.start()
        return thread

    def _fatal(self, error: ConnectionClosed) -> None:
        """The connection is unusable: the session's reader gets ``error``."""
        with self._lock:
            if self._error is not None:
                return
            self._error = error
        self._stop.set()
        self._inbox.put(error)

    def _session_expired(self) -> None:
        self._fatal(SessionExpired(
            f"the server at {self.url} ended the MCP session (HTTP 404 for session {self.session_id}); "
            "start a new client to open a new session"))

    def _fail(self, request_id: Any, error: BaseException) -> None:
        """Fail one request of ours (the session raises ``error`` from its future)."""
        if self._stop.is_set():
            return
        engine = self._engine
        if engine is not None and hasattr(engine, "fail_request"):
            engine.fail_request(request_id, error)
        else:  # no session to tell: answer it with an error the caller can read
            self._inbox.put(dumps({"jsonrpc": "2.0", "id": request_id,
                                   "error": {"code": -32603, "message": f"[local transport error] {error}"}}))

    def _deliver(self, text: str, want: Any = None) -> bool:
        """Queue one message (or batch) for the session; True if it answers ``want``."""
        try:
            obj = json.loads(text)
        except ValueError:
            self._inbox.put(text)  # the session answers it as a parse error
            return False
        if self.protocol_version is None and self._init_id is not None and isinstance(obj, dict) \
                and obj.get("id") == self._init_id and isinstance(obj.get("result"), dict):
            version = obj["result"].get("protocolVersion")
            if isinstance(version, str):
                self.protocol_version = version
        for response in obj if isinstance(obj, list) else (obj,):
            if isinstance(response, dict) and "method" not in response and type(response.get("id")) in (str, int):
                with self._lock:
                    exchange = self._exchanges.get(response["id"])
                if exchange is not None:
                    exchange.answered = True
        self._inbox.put(text)
        return want is not None and _answers(obj, want)

    def _chunks(self, response: requests.Response) -> Iterator[bytes]:
        raw = response.raw
        read1 = getattr(raw, "read1", None)
        if read1 is not None:
            while True:
                data = read1(65536)
                if not data:
                    return
                yield data
        fp = getattr(raw, "_fp", None)
        if fp is not None and hasattr(fp, "read1"):  # urllib3 1.x
            while True:
                data = fp.read1(65536)
                if not data:
                    return
                yield data
        yield from response.iter_content(chunk_size=1)

    def _read_stream(self, response: requests.Response, state: _StreamState, want: Any = None) -> bool:
        """Read SSE events into the inbox until the stream ends; True once ``want`` is answered."""
        parser = SseParser()
        try:
            for chunk in self._chunks(response):
                events = parser.feed(chunk)
                if parser.retry_ms is not None:
                    state.retry_ms = parser.retry_ms
                answered = False
                for event in events:
                    if event.id and state.seen(event.id):
                        continue  # replayed twice
                    if event.event != "message" or not event.data.strip():
                        continue  # a priming event, or an event type MCP does not use
                    state.received += 1
                    answered = self._deliver(event.data, want) or answered
                if parser.last_event_id is not None:
                    state.last_event_id = parser.last_event_id or None
                if answered:
                    return True
        except (requests.RequestException, OSError, ValueError) as exc:
            if not self._stop.is_set():
                log.debug("SSE stream from %s broke: %s", self.url, exc)
        except Exception as exc:  # urllib3 errors that requests does not wrap on raw reads
            if not self._stop.is_set():
                log.debug("SSE stream from %s broke: %r", self.url, exc)
        return False

    @contextlib.contextmanager
    def _holding(self, response: requests.Response) -> Iterator[requests.Response]:
        """Use a streamed response so that close() can interrupt a read blocked on it."""
        self._tracker.hold(response)
        try:
            with response:
                if self._stop.is_set():  # close() may have run before we registered it
                    _shutdown_response(response)
                yield response
        finally:
            self._tracker.release(response)

    def _get(self, headers: dict[str, str]) -> requests.Response:
        return self._http.get(self.url, headers=headers, stream=True,
                              timeout=(self.timeout, self.sse_read_timeout))

    # -- requests ------------------------------------------------------------------------------

    def _start_exchange(self, request_id: Any, data: bytes, is_init: bool,
                        modern_headers: dict[str, str] | None = None) -> None:
        exchange = _Exchange(request_id, modern_headers)
        if modern_headers is not None:
            self._modern_seen = True
        with self._lock:
            self._exchanges[request_id] = exchange
        thread = self._spawn(self._exchange, f"{self.name}-request-{request_id}", exchange, data, is_init)
        if thread is None:
            with self._lock:
                self._exchanges.pop(request_id, None)
            raise self.closed_error()

    def _abandon(self, request_id: Any) -> None:
        """The session gave up on ``request_id`` (cancelled, timed out): stop reading its stream."""
        with self._lock:
            exchange = self._exchanges.get(request_id) if type(request_id) in (str, int) else None
            if exchange is None:
                return
            exchange.cancelled = True
            thread = exchange.thread
        if thread is not None:  # else the thread, starting, sees ``cancelled``
            # Not before the request went out whole: the server must see it to see it cancelled.
            self._tracker.abort_when_sent(thread)

    def _exchange(self, exchange: _Exchange, data: bytes, is_init: bool) -> None:
        me = threading.current_thread()
        with self._lock:
            exchange.thread = me
            cancelled = exchange.cancelled
        if cancelled:  # abandoned before this thread started: send it, then stop reading
            self._tracker.abort_when_sent(me)
        try:
            self._run_exchange(exchange, data, is_init)
        finally:
            with self._lock:
                self._exchanges.pop(exchange.request_id, None)

    def _run_exchange(self, exchange: _Exchange, data: bytes, is_init: bool) -> None:
        rid = exchange.request_id
        try:
            response = self._http.post(self.url, data=data, headers=self._headers(
                "init" if is_init else "post", modern=exchange.modern_headers),
                stream=True, timeout=(self.timeout, self.sse_read_timeout))
        except requests.RequestException as exc:
            if not exchange.cancelled:
                self._fail(rid, post_failed(self.url, exc))
            return
        try:
            with self._holding(response):
                status = response.status_code
                if is_init and response.headers.get("Mcp-Session-Id"):
                    self.session_id = response.headers["Mcp-Session-Id"]
                media = _media_type(response)
                if 200 <= status < 300 and media == "text/event-stream":
                    self._follow(exchange, response)
                    return
                if 200 <= status < 300 and media == "application/json":
                    text = response.content.decode("utf-8", errors="replace")
                    try:
                        json.loads(text)
                    except ValueError:  # e.g. cut short: never hand the session half a message
                        pass
                    else:
                        self._deliver(text)
                    if not exchange.answered and not exchange.cancelled:
                        self._fail(rid, ConnectionClosed(
                            f"the server's JSON answer to request {rid!r} was not its response (cut short or "
                            f"malformed: {text[:200]!r})"))
                    return
                if status in (202, 204):
                    return  # the answer comes on another stream
                text = response.content.decode("utf-8", errors="replace")
        except requests.RequestException as exc:  # the body broke off (connection lost mid-answer)
            if not exchange.cancelled and not exchange.answered:
                self._fail(rid, ConnectionClosed(f"the answer to request {rid!r} broke off: {exc}"))
            return
        if status == 404 and self.session_id is not None and not is_init:
            self._session_expired()
            return
        if exchange.modern_headers is not None:
            error = self._modern_error(text, rid)
            if error is not None:
                if not exchange.cancelled:
                    # _modern_error() checked that code is an int and made message a str
                    self._fail(rid, RejectedRequest(error.get("code"), error.get("message"), error.get("data"),  # type: ignore[arg-type]
                                                    http_status=status))
                return
        rpc_error = self._jsonrpc_error(text, rid)
        if is_init and status in (400, 404, 405) and self.legacy_fallback and rpc_error is None:
            self._fall_back_to_sse(rid, data, status)
            return
        if rpc_error is not None:
            self._deliver(rpc_error)
            return
        if not exchange.cancelled:
            self._fail(rid, HttpStatusError(status, _describe(response, text), text[:2000]))

    @staticmethod
    def _modern_error(text: str, request_id: Any) -> dict[str, Any] | None:
        """The ``error`` of a JSON-RPC error body answering ``request_id`` (or with a null id)."""
        try:
            obj = json.loads(text)
        except ValueError:
            return None
        if not (isinstance(obj, dict) and "method" not in obj and obj.get("id") in (request_id, None)):
            return None
        error = obj.get("error")
        if not isinstance(error, dict) or type(error.get("code")) is not int:
            return None
        message = error.get("message")
        return {"code": error["code"], "message": message if isinstance(message, str) else "Unknown error",
                "data": error.get("data")}

    @staticmethod
    def _jsonrpc_error(text: str, request_id: Any) -> str | None:
        """``text`` if it is a JSON-RPC error response to ``request_id``."""
        try:
            obj = json.loads(text)
        except ValueError:
            return None
        if isinstance(obj, dict) and "error" in obj and obj.get("id") == request_id and "method" not in obj:
            return text
        return None

    def _follow(self, exchange: _Exchange, response: requests.Response) -> None:
        """Read a request's SSE stream; resume it with GET + Last-Event-ID until the response comes."""
        rid = exchange.request_id
        state = _StreamState(self.retry_ms)
        if self._read_stream(response, state, rid):
            return
        if exchange.modern_headers is not None:  # 2026-07-28 streams cannot be resumed
            if not (self._stop.is_set() or exchange.cancelled or exchange.answered):
                self._fail(rid, ConnectionClosed("the server ended the response stream before answering "
                                                 "(2026-07-28 streams cannot be resumed; the request is lost)"))
            return
        fruitless = 0
        while True:
            if self._stop.is_set() or exchange.cancelled or exchange.answered:
                return
            if state.last_event_id is None:
                self._fail(rid, ConnectionClosed(
                    "the server ended the response stream before answering, and sent no event id to "
                    "resume it from"))
                return
            if self._stop.wait(state.retry_ms / 1000.0) or exchange.cancelled or exchange.answered:
                return
            before = state.received
            try:
                resumed = self._get(self._headers("sse", state.last_event_id))
            except requests.RequestException as exc:
                log.debug("resuming the stream of request %r failed: %s", rid, exc)
                resumed = None
            if resumed is not None:
                with self._holding(resumed):
                    status = resumed.status_code
                    if status == 404 and self.session_id is not None:
                        self._session_expired()
                        return
                    if status == 200 and _media_type(resumed) == "text/event-stream":
                        if self._read_stream(resumed, state, rid):
                            return
                    elif 400 <= status < 500 and status != 429:  # 429: a server limit, try again later
                        if not exchange.cancelled:
                            self._fail(rid, HttpStatusError(
                                status, f"the server refused to resume the response stream (GET with "
                                        f"Last-Event-ID {state.last_event_id})",
                                resumed.content.decode("utf-8", errors="replace")[:2000]))
                        return
            fruitless = 0 if state.received > before else fruitless + 1
            if fruitless > self.max_reconnects:
                if not exchange.cancelled:
                    self._fail(rid, ConnectionClosed(
                        f"gave up resuming the response stream after {fruitless} reconnections brought nothing"))
                return

    # -- notifications and responses -----------------------------------------------------------

    def _post_oneway(self, data: bytes) -> None:
        try:
            response = self._http.post(self.url, data=data, headers=self._headers("post"),
                                       timeout=(self.timeout, self.timeout))
        except requests.RequestException as exc:
            raise post_failed(self.url, exc) from None
        with response:
            status = response.status_code
            if status == 404 and self.session_id is not None:
                self._session_expired()
                raise self.closed_error()
            if status >= 400:
                log.warning("the server rejected a message with HTTP %s: %s", status, response.text[:500])

    # -- the standalone GET stream -----------------------------------------------------------------

    def _start_get_stream(self) -> None:
        """Open the standalone stream; return once the server answered the GET (or it failed).

        Waiting makes sure the stream is there before the first request, so a
        server that sends requests on it (not on the request's own stream)
        does not find it missing.
        """
        with self._lock:
            if self._get_started or not self.open_get_stream:
                return
            self._get_started = True
        if self._spawn(self._standalone, f"{self.name}-get") is not None:
            self._get_ready.wait(min(self.timeout or GET_READY_WAIT, GET_READY_WAIT))

    def _standalone(self) -> None:
        try:
            self._standalone_loop()
        finally:
            self._get_ready.set()

    def _standalone_loop(self) -> None:
        state = _StreamState(self.retry_ms)
        failures = 0
        while not self._stop.is_set():
            try:
                response = self._get(self._headers("sse", state.last_event_id))
            except requests.RequestException as exc:
                log.debug("opening the GET stream failed: %s", exc)
                failures += 1
                self._get_ready.set()
            else:
                self._get_ready.set()
                with self._holding(response):
                    status = response.status_code
                    if status == 405:
                        log.debug("the server offers no standalone GET stream")
                        return
                    if status == 404 and self.session_id is not None:
                        self._session_expired()
                        return
                    if status == 200 and _media_type(response) == "text/event-stream":
                        before = state.received, state.last_event_id
                        self._read_stream(response, state)
                        failures = 0 if (state.received, state.last_event_id) != before else failures + 1
                    elif 400 <= status < 500 and status != 429:  # 429 (a server limit): back off, retry
                        log.info("the server refused the GET stream (HTTP %s); not retrying", status)
                        return
                    else:
                        failures += 1
            delay = state.retry_ms / 1000.0 if failures == 0 else min(MAX_BACKOFF, 2.0 ** failures * state.retry_ms
                                                                      / 1000.0)
            if self._stop.wait(delay):
                return

    # -- HTTP+SSE (2024-11-05) --------------------------------------------------------------------------

    def _fall_back_to_sse(self, rid: Any, init_data: bytes, post_status: int) -> None:
        try:
            response = self._http.get(self.url, headers=self._headers("sse"), stream=True,
                                      timeout=(self.timeout, self.sse_read_timeout))
        except requests.RequestException as exc:
            self._fail(rid, HttpStatusError(post_status, f"the server rejected POST initialize, and GET for the "
                                                         f"HTTP+SSE transport failed: {exc}"))
            return
        with self._holding(response):
            if response.status_code != 200 or _media_type(response) != "text/event-stream":
                if post_status == 404 and response.status_code == 404:
                    path = urlsplit(self.url).path or "/"
                    self._fail(rid, HttpStatusError(
                        404, f"nothing serves MCP at path {path!r} of {self.url} (POST and GET both answered 404): "
                             f"check the endpoint path (mcp_sync servers default to '/mcp')"))
                    return
                self._fail(rid, HttpStatusError(
                    post_status, f"the server at {self.url} rejected POST initialize and offers no HTTP+SSE "
                                 f"transport either (GET answered HTTP {response.status_code})"))
                return
            log.info("%s speaks the 2024-11-05 HTTP+SSE transport; using it", self.url)
            parser = SseParser()
            try:
                for chunk in self._chunks(response):
                    for event in parser.feed(chunk):
                        if event.event == "endpoint" and self.legacy_endpoint is None:
                            if not self._use_endpoint(event.data.strip(), rid, init_data):
                                return
                        elif event.event == "message" and event.data.strip():
                            self._deliver(event.data)
            except Exception as exc:
                if not self._stop.is_set():
                    log.debug("the HTTP+SSE stream broke: %r", exc)
        if not self._stop.is_set():
            if self.legacy_endpoint is None:
                self._fail(rid, ConnectionClosed("the HTTP+SSE stream ended before its endpoint event"))
            else:
                self._fatal(ConnectionClosed(f"the server closed the HTTP+SSE stream of {self.url}"))

    def _use_endpoint(self, uri: str, rid: Any, init_data: bytes) -> bool:
        endpoint = urljoin(self.url, uri)
        ours, theirs = urlsplit(self.url), urlsplit(endpoint)
        if (ours.scheme, ours.netloc) != (theirs.scheme, theirs.netloc):
            self._fail(rid, ConnectionClosed(f"the server's endpoint event names another origin ({endpoint}); "
                                             "refusing to send messages there"))
            return False
        self.legacy_endpoint = endpoint
        try:
            self._post_legacy(init_data)
        except ConnectionClosed as exc:
            self._fail(rid, exc)
            return False
        return True

    def _post_legacy(self, data: bytes) -> None:
        assert self.legacy_endpoint is not None
        headers = dict(self._extra_headers)
        headers["Content-Type"] = "application/json"
        try:
            response = self._http.post(self.legacy_endpoint, data=data, headers=headers,
                                       timeout=(self.timeout, self.timeout))
        except requests.RequestException as exc:
            raise post_failed(self.legacy_endpoint, exc) from None
        with response:
            if response.status_code == 404:
                self._fatal(ConnectionClosed("the server no longer knows this HTTP+SSE session (HTTP 404)"))
                raise self.closed_error()
            if response.status_code >= 400:
                log.warning("the server rejected a message with HTTP %s: %s", response.status_code,
                            response.text[:500])
