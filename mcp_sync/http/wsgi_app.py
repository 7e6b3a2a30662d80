"""Streamable HTTP (2025-03-26 ... 2025-11-25) as a plain WSGI application.

``server.wsgi_app()`` returns a :class:`McpWsgiApp`; mount it in any threaded
WSGI server (the built-in one, werkzeug, gunicorn ``-k gthread``, waitress),
or beside other routes (``werkzeug.middleware.dispatcher.DispatcherMiddleware``).

One endpoint (``path``, default ``/mcp``):

* ``POST``: one JSON-RPC message (an array too, for 2025-03-26 peers). A
  notification or response is answered ``202 Accepted``; a request is answered
  with an SSE stream that carries what the server sends while handling it,
  then the response (or with plain JSON: ``json_response=True``, and always
  for ``initialize``, whose answer issues the ``Mcp-Session-Id``).
* ``GET``: the standalone SSE stream for messages unrelated to a request, or
  with ``Last-Event-ID`` the rest of any stream of the session.
* ``DELETE``: ends the session.

SSE events carry ids and are kept in an :class:`~mcp_sync.http.EventStore`
(bounded, in memory by default) so a client resumes a stream after losing the
connection; clients of 2025-11-25 get a priming event (an id and empty data)
with a ``retry`` delay first, so the server may close a connection mid-call and
have the client poll (``request.extra["http"].close_sse_stream()``).

Each request's handler finds :class:`~mcp_sync.http.HttpRequestContext` in
``request.extra["http"]`` and the request headers in ``request.extra["headers"]``.

The same endpoint serves 2026-07-28 clients statelessly: a POST whose body
carries the modern ``_meta`` (or whose ``MCP-Protocol-Version`` header is
modern) goes to :mod:`mcp_sync.http.modern` before any session lookup, and
GET/DELETE with a modern header get 405.
"""

from __future__ import annotations

import json
import logging
import math
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Callable, Iterable, cast
from urllib.parse import parse_qs

from ..errors import INTERNAL_ERROR, INVALID_REQUEST
from ..limits import DEFAULT_MAX_SESSIONS, DEFAULT_MAX_STREAMS, DEFAULT_MAX_STREAMS_PER_SESSION, SERVER_BUSY
from ..protocol import jsonrpc
from ..protocol.jsonrpc import Batch, Invalid, Notification, Request
from ..protocol.versions import HTTP_DEFAULT_VERSION, LEGACY_VERSIONS, allows_batches
from .event_store import EventStore, InMemoryEventStore
from .handler_pool import AppHandlerPool
from .store_guard import GuardedEventStore
from .legacy_sse import LegacySseBody, LegacySseSession
from .modern import ModernHttp, is_modern_client
from .security import CorsPolicy, HostPolicy, RateLimiter, default_rate_key
from .session_manager import (
    HttpRequestContext,
    HttpSession,
    StreamBudget,
    new_token,
    rehydrate,
    resume_elsewhere,
    share_new_session,
)
from ..protocol.sse import SSE_HEADERS
from .streams import SseBody, Stream, _Close

if TYPE_CHECKING:
    from ..server.server import Server

log = logging.getLogger("mcp_sync.http")

StartResponse = Callable[..., Any]

_DEFAULT: Any = object()
#: Error code for "no such session" (implementation-defined range).
SESSION_NOT_FOUND = -32001
#: How many sessions close() ends at once.
CLOSERS = 32
#: Version from which clients get a priming event (older clients may choke on empty data).
PRIMING_SINCE = "2025-11-25"


def _norm_path(path: str) -> str:
    path = path or "/"
    if not path.startswith("/"):
        path = "/" + path
    return path.rstrip("/") or "/"


def _accepts(accept: str, media_type: str) -> bool:
    main = media_type.split("/")[0]
    for part in accept.split(","):
        value = part.split(";")[0].strip().lower()
        if value in (media_type, f"{main}/*", "*/*"):
            return True
    return False


class McpWsgiApp:
    """A WSGI callable serving one :class:`~mcp_sync.Server` over Streamable HTTP.

    Options:

    * ``path``: the MCP endpoint (``"/"`` when mounted under a prefix).
    * ``json_response``: answer every request with plain JSON instead of SSE.
    * ``stateless``: no sessions; each POST is served on its own (no GET
      stream, no DELETE, and no server-to-client requests: those fail with a
      JSON-RPC error).
    * ``event_store``: where SSE events are kept for resumption
      (default: :class:`InMemoryEventStore`; None turns resumption off).
    * ``sse_retry_ms``: the reconnection delay sent to clients.
    * ``keepalive``: seconds between SSE keep-alive comments on an idle stream.
    * ``session_idle_timeout``: seconds after which a session nobody uses
      is closed (None: never).
    * ``max_body_bytes``: larger POST bodies get 413.
    * ``dns_rebinding_protection``, ``allowed_hosts``, ``allowed_origins``: see
      :class:`~mcp_sync.http.security.HostPolicy` (default: loopback only).
    * ``cors_origins``: enable CORS for these origins (``["*"]`` for any).
    * ``legacy_sse``: also serve the 2024-11-05 HTTP+SSE transport at
      ``sse_path`` and ``messages_path``.
    * ``max_backlog``: events a stream holds for a client that is away, and
      the most queued for a connected client that stopped reading (its
      connection is then dropped; it resumes from the event store).
    * ``max_sessions``: sessions open at once (HTTP+SSE ones included); an
      ``initialize`` beyond it gets 503 and JSON-RPC error -32000.
    * ``max_streams_per_session``, ``max_streams``: SSE responses open at once
      on one session (beyond: 429) and on the whole app (beyond: 503), with
      JSON-RPC error -32000 carrying the refused request's id.
    * ``rate_limit``: ``(requests per second, burst)`` allowed per client
      (``rate_limit_key(environ)``, default: the authenticated subject, else
      the client address); beyond it 429 with ``Retry-After`` and JSON-RPC
      error -32000. Off by default.

    * ``shared_sessions``: a :class:`~mcp_sync.http.shared_sessions.RedisSessionStore`
      so that several worker processes behind one port serve every legacy
      session (the app starts it and closes it on ``close()``); the default
      ``event_store`` is then its ``RedisEventStore`` (any worker resumes any stream).

    Every limit takes None to turn it off (see ``mcp_sync.limits`` for the defaults).
    ``close()`` ends every session and joins the session reaper thread.
    """

    def __init__(
        self,
        server: "Server",
        *,
        path: str = "/mcp",
        json_response: bool = False,
        stateless: bool = False,
        event_store: EventStore | None = _DEFAULT,
        sse_retry_ms: int = 1000,
        keepalive: float = 15.0,
        session_idle_timeout: float | None = 1800.0,
        max_body_bytes: int = 4 * 1024 * 1024,
        dns_rebinding_protection: bool = True,
        allowed_hosts: Iterable[str] | None = None,
        allowed_origins: Iterable[str] | None = None,
        cors_origins: Iterable[str] | None = None,
        legacy_sse: bool = False,
        sse_path: str = "/sse",
        messages_path: str = "/messages",
        max_backlog: int = 1000,
        max_sessions: int | None = DEFAULT_MAX_SESSIONS,
        max_streams_per_session: int | None = DEFAULT_MAX_STREAMS_PER_SESSION,
        max_streams: int | None = DEFAULT_MAX_STREAMS,
        rate_limit: tuple[float, float] | None = None,
        rate_limit_key: Callable[[dict[str, Any]], str] = default_rate_key,
        name: str = "mcp-http",
        shared_sessions: Any = None,
    ) -> None:
        self.server = server
        self.path = _norm_path(path)
        self.json_response = json_response
        self.stateless = stateless
        if event_store is _DEFAULT:  # shared sessions: events in Redis, so any worker resumes any stream
            event_store = (shared_sessions.event_store(session_idle_timeout) if shared_sessions is not None
                           else InMemoryEventStore())
        self.event_store: EventStore | None = event_store
        #: What the sessions' streams store events through: the event store, its failures logged (rate-limited)
        #: and never raised, so a store outage cannot fail a request or leak its stream slot.
        self.stream_store = GuardedEventStore(event_store) if event_store is not None else None
        self.sse_retry_ms = sse_retry_ms
        self.keepalive = keepalive
        self.session_idle_timeout = session_idle_timeout
        self.max_body_bytes = max_body_bytes
        self.hosts = HostPolicy(allowed_hosts, allowed_origins, enabled=dns_rebinding_protection)
        self.cors = CorsPolicy(cors_origins) if cors_origins is not None else None
        self.legacy_sse = legacy_sse
        self.sse_path = _norm_path(sse_path)
        self.messages_path = _norm_path(messages_path)
        self.max_backlog = max_backlog
        if max_sessions is not None and (type(max_sessions) is not int or max_sessions < 1):
            raise ValueError(f"max_sessions must be a positive integer or None, not {max_sessions!r}")
        self.max_sessions = max_sessions
        self.streams = StreamBudget(max_streams_per_session, max_streams)
        self.rate_limiter = RateLimiter(*rate_limit) if rate_limit is not None else None
        self.rate_limit_key = rate_limit_key
        self.name = name
        #: The worker threads every session of this app shares (see mcp_sync.http.handler_pool).
        self.handler_pool = AppHandlerPool(f"{name}-worker", 4 * server.max_workers)
        #: A RedisSessionStore: legacy sessions served by every worker (see mcp_sync.http.shared_sessions).
        self.shared_sessions = shared_sessions
        if shared_sessions is not None:
            shared_sessions.local = self._local_session
            shared_sessions.start()
        self._sessions: dict[str, HttpSession] = {}
        self._legacy: dict[str, LegacySseSession] = {}
        self._cond = threading.Condition()
        self._closing = False
        self._reaper: threading.Thread | None = None
        #: The 2026-07-28 POST path (stateless; see :mod:`mcp_sync.http.modern`).
        self._modern_http = ModernHttp(self)

    # -- public ------------------------------------------------------------------

    def sessions(self) -> list[HttpSession]:
        """The live sessions."""
        with self._cond:
            return list(self._sessions.values())

    def close(self) -> None:
        """End every session (their engine sessions too) and join the reaper thread.

        Sessions are ended concurrently (``CLOSERS`` at a time, on named threads
        joined before returning): ending one waits up to the engine's
        ``JOIN_TIMEOUT`` (5 s) for handlers that ignore cancellation, so this
        takes about that long at most, not that long per session.
        Modern (2026-07-28) listen streams end with their result; modern
        requests still running are cancelled and their worker threads joined.
        """
        self._modern_http.close()
        if self.shared_sessions is not None:
            self.shared_sessions.close()
        with self._cond:
            if self._closing:
                reaper = self._reaper
                sessions: list[Any] = []
            else:
                self._closing = True
                self._cond.notify_all()
                reaper = self._reaper
                sessions = list(self._sessions.values()) + list(self._legacy.values())
        if len(sessions) > 1:
            with ThreadPoolExecutor(min(CLOSERS, len(sessions)), thread_name_prefix=f"{self.name}-closer") as pool:
                list(pool.map(self._end, sessions))
        else:
            for session in sessions:
                self._end(session)
        self.handler_pool.close()
        if reaper is not None and reaper is not threading.current_thread():
            reaper.join()

    def __enter__(self) -> "McpWsgiApp":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- WSGI --------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            return self._dispatch(environ, start_response)
        except Exception:
            log.exception("MCP HTTP request failed")
            return self._error(start_response, 500, INTERNAL_ERROR, "Internal error", environ=environ,
                               exc_info=sys.exc_info())

    def _dispatch(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = _norm_path(environ.get("PATH_INFO", ""))
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if path == self.path:
            handler = self._mcp
        elif self.legacy_sse and path == self.sse_path:
            handler = self._legacy_get
        elif self.legacy_sse and path == self.messages_path:
            handler = self._legacy_post
        else:
            return self._plain(start_response, 404, "Not Found")
        if not self.hosts.host_ok(environ):
            return self._error(start_response, 403, INVALID_REQUEST,
                               "Forbidden: the Host header names a host this server does not serve",
                               environ=environ)
        origin = environ.get("HTTP_ORIGIN")
        if not self.hosts.origin_ok(environ) and not (self.cors and origin and self.cors.allows(origin)):
            return self._error(start_response, 403, INVALID_REQUEST, "Forbidden: Origin not allowed",
                               environ=environ)
        if self.cors is not None:
            extra = self.cors.headers(environ)
            if method == "OPTIONS":
                start_response("204 No Content", self.cors.preflight_headers(environ))
                return [b""]
            if extra:
                inner = start_response

                def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                    return inner(status, headers + extra, exc_info)
        if self.rate_limiter is not None:
            wait = self.rate_limiter.take(self.rate_limit_key(environ))
            if wait:
                limiter = self.rate_limiter
                return self._error(start_response, 429, SERVER_BUSY,
                                   f"Too many requests: the limit is {limiter.rate:g} per second (bursts of "
                                   f"{limiter.burst:g}) per client; retry in {wait:.1f} s",
                                   environ=environ, headers=[("Retry-After", str(max(1, math.ceil(wait))))])
        return handler(environ, start_response, method)

    def _mcp(self, environ: dict[str, Any], start_response: StartResponse, method: str) -> Iterable[bytes]:
        if method == "POST":
            return self._post(environ, start_response)
        modern_only = "legacy" not in getattr(self.server, "eras", ("legacy",))
        if method in ("GET", "DELETE") and (modern_only or is_modern_client(environ)):
            # no GET stream and no sessions in 2026-07-28 (nor on a modern-only server)
            return self._modern_http.method_not_allowed(start_response)
        if method == "GET" and not self.stateless:
            return self._get(environ, start_response)
        if method == "DELETE" and not self.stateless:
            return self._delete(environ, start_response)
        allow = "POST" if self.stateless else "GET, POST, DELETE"
        return self._error(start_response, 405, INVALID_REQUEST, f"Method not allowed: use {allow}",
                           environ=environ, headers=[("Allow", allow)])

    # -- responses ---------------------------------------------------------------

    @staticmethod
    def _status(code: int) -> str:
        try:
            return f"{code} {HTTPStatus(code).phrase}"
        except ValueError:
            return f"{code} Error"

    def _plain(self, start_response: StartResponse, code: int, text: str,
               headers: list[tuple[str, str]] | None = None) -> list[bytes]:
        body = text.encode()
        start_response(self._status(code), [("Content-Type", "text/plain; charset=utf-8"),
                                            ("Content-Length", str(len(body)))] + (headers or []))
        return [body]

    def _json(self, start_response: StartResponse, code: int, payload: Any,
              headers: list[tuple[str, str]] | None = None, exc_info: Any = None) -> list[bytes]:
        body = (payload if isinstance(payload, str) else jsonrpc.dumps(payload)).encode("utf-8")
        start_response(self._status(code), [("Content-Type", "application/json"),
                                            ("Content-Length", str(len(body)))] + (headers or []), exc_info)
        return [body]

    def _error(self, start_response: StartResponse, code: int, rpc_code: int, message: str, *,
               environ: dict[str, Any] | None = None, version: str | None = None, request_id: Any = None,
               headers: list[tuple[str, str]] | None = None, exc_info: Any = None) -> list[bytes]:
        if version is None and environ is not None:
            header = environ.get("HTTP_MCP_PROTOCOL_VERSION")
            version = header if header in LEGACY_VERSIONS else None
        payload = jsonrpc.error(request_id, {"code": rpc_code, "message": message}, version)
        return self._json(start_response, code, payload, headers, exc_info)

    # -- request plumbing --------------------------------------------------------

    def _read_body(self, environ: dict[str, Any]) -> bytes | int:
        """The body, or the HTTP status to answer (413 too large, 411 unknown length)."""
        limit = self.max_body_bytes
        length_header = environ.get("CONTENT_LENGTH") or ""
        stream = environ["wsgi.input"]
        try:
            if length_header.strip():
                try:
                    length = int(length_header)
                except ValueError:
                    return 400
                if length < 0:
                    return 400
                if length > limit:
                    return 413
                body = stream.read(length) if length else b""
                # Shorter than announced: the client went away mid-body. Never act on a truncated message.
                return body if len(body) == length else 400
            if environ.get("wsgi.input_terminated"):
                body = stream.read(limit + 1)
                return 413 if len(body) > limit else body
        except TimeoutError:  # the server's body deadline passed (a client trickling bytes)
            return 408
        except (OSError, ValueError):  # the connection broke, or a malformed chunked body
            return 400
        return 411

    @staticmethod
    def _headers_of(environ: dict[str, Any]) -> dict[str, str]:
        headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items()
                   if key.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        if environ.get("CONTENT_LENGTH"):
            headers["content-length"] = environ["CONTENT_LENGTH"]
        return headers

    def _extra(self, environ: dict[str, Any], session: HttpSession, stream: Stream | None) -> dict[str, Any]:
        headers = self._headers_of(environ)
        context = HttpRequestContext(
            method=environ.get("REQUEST_METHOD", "POST"),
            path=environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""),
            query_string=environ.get("QUERY_STRING", ""), headers=headers,
            remote_addr=environ.get("REMOTE_ADDR"), session=session, stream=stream, retry_ms=self.sse_retry_ms)
        extra: dict[str, Any] = {"http": context, "headers": headers}
        auth = environ.get("mcp_sync.auth")  # set by mcp_sync.server.auth.BearerAuthMiddleware
        if auth is not None:
            extra["auth"] = auth
        return extra

    def _version_error(self, environ: dict[str, Any], session: HttpSession | None) -> str | None:
        header = environ.get("HTTP_MCP_PROTOCOL_VERSION")
        if header is None:
            return None
        supported = tuple(getattr(self.server, "legacy_versions", LEGACY_VERSIONS))
        if header not in supported:
            return (f"Bad Request: unsupported MCP-Protocol-Version {header!r} "
                    f"(this server supports {', '.join(supported)})")
        negotiated = session.protocol_version if session is not None else None
        if negotiated is not None and header != negotiated:
            return (f"Bad Request: MCP-Protocol-Version {header!r} does not match the version negotiated "
                    f"for this session ({negotiated!r})")
        return None

    def _lookup(self, environ: dict[str, Any], start_response: StartResponse
                ) -> tuple[HttpSession | None, list[bytes] | None]:
        session_id = environ.get("HTTP_MCP_SESSION_ID")
        if not session_id:
            return None, self._error(start_response, 400, INVALID_REQUEST,
                                     "Bad Request: the Mcp-Session-Id header is required", environ=environ)
        with self._cond:
            session = self._sessions.get(session_id)
        if (session is None or session.closed) and self.shared_sessions is not None:
            session = rehydrate(self, session_id)  # created on another worker
        if session is None or session.closed:
            return None, self._error(start_response, 404, SESSION_NOT_FOUND,
                                     "Session not found: it ended or never existed; start a new one with "
                                     "initialize", environ=environ)
        problem = self._version_error(environ, session)
        if problem is not None:
            return None, self._error(start_response, 400, INVALID_REQUEST, problem, environ=environ)
        return session, None

    def _new_session(self, stateless: bool = False) -> HttpSession:
        session = HttpSession(self, None if stateless else new_token(), stateless=stateless)
        label = "stateless" if stateless else session.id[:8]  # type: ignore[index]
        session.connection = self.server.serve(session, name=f"{self.name}-{label}")
        return session

    def _register(self, session: HttpSession) -> bool:
        with self._cond:
            if self._closing:
                return False
            self._sessions[session.id] = session  # type: ignore[index]
            if self.session_idle_timeout is not None and self._reaper is None:
                self._reaper = threading.Thread(target=self._reap, name=f"{self.name}-reaper", daemon=True)
                self._reaper.start()
        return True

    def _forget_session(self, session: HttpSession) -> None:
        with self._cond:
            if session.id is not None and self._sessions.get(session.id) is session:
                del self._sessions[session.id]

    def _local_session(self, session_id: str) -> HttpSession | None:
        with self._cond:
            return self._sessions.get(session_id)

    def _forget_legacy(self, session: LegacySseSession) -> None:
        with self._cond:
            if self._legacy.get(session.id) is session:
                del self._legacy[session.id]

    @staticmethod
    def _end(session: HttpSession | LegacySseSession) -> None:
        connection = session.connection
        if connection is not None:
            connection.close()  # closes the engine session, which closes the transport
        else:
            session.close()

    def _reap(self) -> None:
        timeout = self.session_idle_timeout
        assert timeout is not None
        while True:
            expired: list[HttpSession] = []
            with self._cond:
                if self._closing:
                    return
                now = time.monotonic()
                wake = now + timeout
                for session in self._sessions.values():
                    deadline = session.idle_deadline(timeout)
                    if deadline is None:
                        continue
                    if deadline <= now:
                        expired.append(session)
                    else:
                        wake = min(wake, deadline)
                if not expired:
                    self._cond.wait(wake - now)
                    continue
            for session in expired:
                # Only a prefix: a session id is a bearer handle (whoever knows it can use the session).
                log.info("closing idle MCP session %s...", (session.id or "")[:8])
                self._end(session)

    # -- POST ----------------------------------------------------------------------

    def _post(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        accept = environ.get("HTTP_ACCEPT", "")
        if not (_accepts(accept, "application/json") and _accepts(accept, "text/event-stream")):
            return self._error(start_response, 406, INVALID_REQUEST,
                               "Not Acceptable: the Accept header must list both application/json and "
                               "text/event-stream", environ=environ)
        content_type = (environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return self._error(start_response, 415, INVALID_REQUEST,
                               "Unsupported Media Type: the body must be application/json", environ=environ)
        body = self._read_body(environ)
        if isinstance(body, int):
            return self._body_error(start_response, body, environ)
        message = jsonrpc.parse(body)
        if type(message) is Invalid:
            return self._json(start_response, 400, message.response(self._header_version(environ)))
        eras = getattr(self.server, "eras", ("legacy", "modern"))
        if self._modern_http.wants(environ, message):  # 2026-07-28: stateless, before any session lookup
            if "modern" not in eras:  # legacy-only server: 400 + -32022 listing the legacy versions
                return self._modern_http._error(start_response, getattr(message, "id", None),
                                                self.server.refusal("modern", getattr(message, "params", None),
                                                                    environ.get("HTTP_MCP_PROTOCOL_VERSION")))
            return self._modern_http.post(environ, start_response, message)
        if "legacy" not in eras:  # modern-only server: initialize gets 400 + -32022, the rest the modern checks
            if type(message) is Request and message.method == "initialize":
                return self._modern_http._error(start_response, message.id,
                                                self.server.refusal("legacy", message.params))
            return self._modern_http.post(environ, start_response, message)
        if self.stateless:
            return self._post_stateless(environ, start_response, message)
        is_init = type(message) is Request and message.method == "initialize"
        if is_init and not environ.get("HTTP_MCP_SESSION_ID"):
            return self._initialize(environ, start_response, cast(Request, message))  # is_init: a Request
        session, failure = self._lookup(environ, start_response)
        if failure is not None:
            return failure
        assert session is not None
        return self._post_to(environ, start_response, session, message)

    def _header_version(self, environ: dict[str, Any]) -> str | None:
        header = environ.get("HTTP_MCP_PROTOCOL_VERSION")
        return header if header in LEGACY_VERSIONS else None

    def _body_error(self, start_response: StartResponse, status: int, environ: dict[str, Any]) -> list[bytes]:
        if status == 413:
            text = f"Request body too large (the limit is {self.max_body_bytes} bytes)"
        elif status == 411:
            text = "Length Required: send a Content-Length header"
        elif status == 408:
            text = "Request Timeout: the request body did not arrive in time"
        else:
            text = "Bad Request: invalid Content-Length, or a body cut short or malformed"
        return self._error(start_response, status, INVALID_REQUEST, text, environ=environ)

    def _sessions_full(self) -> bool:
        with self._cond:
            return self.max_sessions is not None and len(self._sessions) + len(self._legacy) >= self.max_sessions

    def _sessions_full_error(self, start_response: StartResponse, environ: dict[str, Any], request_id: Any = None) -> list[bytes]:
        return self._error(start_response, 503, SERVER_BUSY,
                           f"Server busy: {self.max_sessions} sessions are open (the server's max_sessions); "
                           f"retry later", environ=environ, request_id=request_id, headers=[("Retry-After", "1")])

    def _initialize(self, environ: dict[str, Any], start_response: StartResponse, message: Request) -> Iterable[bytes]:
        if self._sessions_full():
            return self._sessions_full_error(start_response, environ, message.id)
        session = self._new_session()
        stream = session.open_request_stream((message.id,), json_mode=True)
        assert stream is not None
        session.connection.session.feed(message, extra=self._extra(environ, session, stream))  # type: ignore[union-attr]
        item = self._await_answer(session, stream)
        if item is None:
            self._end(session)
            return self._error(start_response, 503, INTERNAL_ERROR, "Service Unavailable: the server is closing",
                               environ=environ, request_id=message.id)
        try:
            ok = "result" in json.loads(item.data)
        except ValueError:
            ok = False
        if not ok or not self._register(session):
            self._end(session)
            return self._json(start_response, 200, item.data)
        if self.shared_sessions is not None:
            share_new_session(self, session)
        return self._json(start_response, 200, item.data, [("Mcp-Session-Id", session.id)])  # type: ignore[list-item]

    def _await_answer(self, session: HttpSession, stream: Stream) -> Any:
        """Block until the stream's final message; None if the stream ended without one."""
        attachment = stream.attach()
        if attachment is None:
            return None
        session.acquire()
        try:
            for item in attachment.initial:
                if item.final:
                    return item
            if attachment.end_after_initial:
                return None
            while True:
                item = attachment.conn.queue.get()
                if type(item) is _Close:
                    return None
                if item.final:
                    return item
        finally:
            stream.detach(attachment.conn)
            session.release()

    def _post_to(self, environ: dict[str, Any], start_response: StartResponse, session: HttpSession,
                 message: Any) -> Iterable[bytes]:
        engine = session.connection.session  # type: ignore[union-attr]
        if type(message) is Batch:
            version = session.protocol_version
            if not allows_batches(version):
                return self._error(start_response, 400, INVALID_REQUEST,
                                   f"Invalid request: JSON-RPC batches are not allowed in protocol version {version}",
                                   version=version)
            requests = tuple(m.id for m in message.items if type(m) is Request)
            if not requests:
                answers = [m.response(version) for m in message.items if type(m) is Invalid and m.answer]
                valid = [m for m in message.items if type(m) is not Invalid]
                if valid:
                    engine.feed(Batch(valid))
                    self._note_cancels(session, valid)
                if answers:
                    return self._json(start_response, 400, answers)
                start_response("202 Accepted", [("Content-Length", "0")])
                return [b""]
            return self._serve_requests(environ, start_response, session, message, requests)
        if type(message) is Request:
            return self._serve_requests(environ, start_response, session, message, (message.id,))
        if session.incoming(message):  # shared sessions: the answer to another worker's request
            start_response("202 Accepted", [("Content-Length", "0")])
            return [b""]
        self._note_cancels(session, [message])  # before the engine: see the end of _serve_requests
        engine.feed(message)
        start_response("202 Accepted", [("Content-Length", "0")])
        return [b""]

    @staticmethod
    def _note_cancels(session: HttpSession, messages: list[Any]) -> None:
        for m in messages:
            if type(m) is Notification and m.method == "notifications/cancelled" and m.params:
                request_id = m.params.get("requestId")
                if type(request_id) in (str, int):
                    session.cancel_request(request_id, m)

    def _serve_requests(self, environ: dict[str, Any], start_response: StartResponse, session: HttpSession, message: Any,
                        request_ids: tuple[Any, ...], on_done: Callable[[], None] | None = None,
                        json_mode: bool | None = None) -> Iterable[bytes]:
        if json_mode is None:
            json_mode = self.json_response
        refusal = None if json_mode else self.streams.acquire(session)  # released when the SSE response ends
        if refusal is not None:
            if on_done is not None:
                on_done()
            return self._busy(start_response, refusal, session, request_ids)
        try:
            stream = session.open_request_stream(request_ids, json_mode)
        except Exception:
            log.exception("opening the stream of request(s) %r failed", request_ids)
            stream, failed = None, True
        else:
            failed = False
        if stream is None:
            if not json_mode:
                self.streams.release(session)
            if on_done is not None:
                on_done()
            rid = request_ids[0] if len(request_ids) == 1 else None
            if failed:
                return self._error(start_response, 500, INTERNAL_ERROR, "Internal error: the server could not "
                                   "open the request's stream (see its log); retry", version=session.protocol_version,
                                   request_id=rid)
            return self._error(start_response, 409 if not session.closed else 404, INVALID_REQUEST,
                               "Invalid request: a request with this id is already in flight"
                               if not session.closed else "Session not found: it ended",
                               version=session.protocol_version, request_id=rid)
        engine = session.connection.session  # type: ignore[union-attr]
        session.note_request(message, stream)
        inline = None
        if json_mode and type(message) is Request:  # this thread only waits for the answer: run it here
            inline = engine.accept(message, extra=self._extra(environ, session, stream))
        else:
            engine.feed(message, extra=self._extra(environ, session, stream))
        if type(message) is Batch:
            self._note_cancels(session, message.items)
        for request_id, cancel in session.take_early_cancels(request_ids):  # they overtook the request
            engine.feed(cancel)
            session.cancel_request(request_id)
        notice = stream.cancel_notice
        if notice is not None:
            # A cancellation ended the stream between open_request_stream and the feed above, and may have
            # reached the engine before the request did: hand it over again, or the handler may never learn
            # (in that narrow race the engine can see it twice; it only sets the same signal again).
            engine.feed(notice)
        if inline is not None:
            session.acquire()
            try:
                engine.run(inline)
            finally:
                session.release()
        if json_mode:
            try:
                item = self._await_answer(session, stream)
            finally:
                if on_done is not None:
                    on_done()
            if item is None:
                if stream.ended == "cancelled":
                    start_response("202 Accepted", [("Content-Length", "0")])
                    return [b""]
                return self._error(start_response, 404, SESSION_NOT_FOUND,
                                   "Session not found: it ended before the request was answered",
                                   version=session.protocol_version)
            return self._json(start_response, 200, item.data)
        return self._sse(start_response, session, stream, None, on_done)

    def _busy(self, start_response: StartResponse, refusal: tuple[int, str], session: HttpSession,
              request_ids: tuple[Any, ...] = ()) -> list[bytes]:
        """Refuse a stream past a StreamBudget limit: 429 or 503, a JSON-RPC error per refused request."""
        status, text = refusal
        error, version = {"code": SERVER_BUSY, "message": text}, session.protocol_version
        payload: Any = [jsonrpc.error(rid, error, version) for rid in request_ids]
        payload = payload[0] if len(payload) == 1 else payload or jsonrpc.error(None, error, version)
        return self._json(start_response, status, payload, [("Retry-After", "1")])

    def _sse(self, start_response: StartResponse, session: HttpSession, stream: Stream, resume_after: int | None,
             on_done: Callable[[], None] | None = None) -> Iterable[bytes]:
        """Serve ``stream`` as an SSE response; the caller acquired a StreamBudget slot, released here."""
        attachment = stream.attach(resume_after)
        if attachment is None:
            self.streams.release(session)
            if on_done is not None:
                on_done()
            if stream.ended == "cancelled":  # the client cancelled it already: nothing will come
                start_response("202 Accepted", [("Content-Length", "0")])
                return [b""]
            return self._error(start_response, 404, SESSION_NOT_FOUND, "Session not found: it ended",
                               version=session.protocol_version)
        priming_id = None
        version = session.protocol_version or HTTP_DEFAULT_VERSION
        if stream.store is not None and version >= PRIMING_SINCE:
            priming_id = stream.event_id(attachment.priming_seq)
        session.acquire()

        def closed() -> None:
            self.streams.release(session)
            session.release()
            if on_done is not None:
                on_done()

        body = SseBody(stream, attachment, priming_id=priming_id, retry_ms=self.sse_retry_ms,
                       keepalive=self.keepalive, on_close=closed)
        start_response("200 OK", list(SSE_HEADERS))
        return body

    def _post_stateless(self, environ: dict[str, Any], start_response: StartResponse, message: Any) -> Iterable[bytes]:
        header = environ.get("HTTP_MCP_PROTOCOL_VERSION")
        is_init = type(message) is Request and message.method == "initialize"
        if not is_init:
            problem = self._version_error(environ, None)
            if problem is not None:
                return self._error(start_response, 400, INVALID_REQUEST, problem, environ=environ)
        if type(message) is Batch and not allows_batches(header or HTTP_DEFAULT_VERSION):
            return self._error(start_response, 400, INVALID_REQUEST,
                               "Invalid request: JSON-RPC batches are only allowed in protocol version 2025-03-26",
                               environ=environ)
        session = self._new_session(stateless=True)
        connection = session.connection
        assert connection is not None
        if not is_init:
            version = header or HTTP_DEFAULT_VERSION
            connection.protocol_version = version
            connection.session.protocol_version = version
            initialized = getattr(connection, "initialized", None)
            if isinstance(initialized, threading.Event):
                initialized.set()
        if type(message) is Batch:
            request_ids = tuple(m.id for m in message.items if type(m) is Request)
        elif type(message) is Request:
            request_ids = (message.id,)
        else:
            request_ids = ()
        if not request_ids:
            try:
                connection.session.feed(message)
            finally:
                self._end(session)
            start_response("202 Accepted", [("Content-Length", "0")])
            return [b""]
        return self._serve_requests(environ, start_response, session, message, request_ids,
                                    on_done=lambda: self._end(session), json_mode=self.json_response or is_init)

    # -- GET / DELETE ----------------------------------------------------------------

    def _get(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not _accepts(environ.get("HTTP_ACCEPT", ""), "text/event-stream"):
            return self._error(start_response, 406, INVALID_REQUEST,
                               "Not Acceptable: the Accept header must list text/event-stream", environ=environ)
        session, failure = self._lookup(environ, start_response)
        if failure is not None:
            return failure
        assert session is not None
        stream, resume_after = session.standalone, None
        last_event_id = (environ.get("HTTP_LAST_EVENT_ID") or "").strip()
        if last_event_id and self.event_store is not None:
            stream_id, _, seq = last_event_id.rpartition("-")
            found = session.find_stream(stream_id) if seq.isdigit() else None
            resumed: Iterable[bytes] | None = (resume_elsewhere(self, start_response, session, stream_id, int(seq))
                       if found is None and seq.isdigit() and self.shared_sessions is not None else None)
            if found is not None:
                stream, resume_after = found, int(seq)
            elif resumed is not None:  # a stream another worker produced (shared sessions, Redis events)
                return resumed
            elif self.shared_sessions is not None and stream_id.startswith("r"):
                return self._error(start_response, 410, INVALID_REQUEST,
                                   "Gone: that response stream was served by another worker and cannot be "
                                   "resumed here", version=session.protocol_version)
            else:
                log.debug("Last-Event-ID %r names no stream of this session: opening the standalone stream",
                          last_event_id)
        assert stream is not None
        refusal = self.streams.acquire(session)
        if refusal is not None:
            return self._busy(start_response, refusal, session)
        return self._sse(start_response, session, stream, resume_after)

    def _delete(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        session, failure = self._lookup(environ, start_response)
        if failure is not None:
            return failure
        assert session is not None
        self._forget_session(session)
        self._end(session)
        if self.shared_sessions is not None:
            self.shared_sessions.delete(session.id)
        start_response("200 OK", [("Content-Length", "0")])
        return [b""]

    # -- legacy HTTP+SSE (2024-11-05) ---------------------------------------------------

    def _legacy_get(self, environ: dict[str, Any], start_response: StartResponse, method: str) -> Iterable[bytes]:
        if method != "GET":
            return self._plain(start_response, 405, "Method Not Allowed", [("Allow", "GET")])
        if self._sessions_full():
            return self._sessions_full_error(start_response, environ)
        session = LegacySseSession(self, new_token())
        with self._cond:
            if self._closing:
                return self._plain(start_response, 503, "Service Unavailable")
            self._legacy[session.id] = session
        session.connection = self.server.serve(session, name=f"{self.name}-sse-{session.id[:8]}")
        endpoint = f"{environ.get('SCRIPT_NAME', '')}{self.messages_path}?session_id={session.id}"
        start_response("200 OK", list(SSE_HEADERS))
        return LegacySseBody(session, endpoint, self.keepalive)

    def _legacy_post(self, environ: dict[str, Any], start_response: StartResponse, method: str) -> Iterable[bytes]:
        if method != "POST":
            return self._plain(start_response, 405, "Method Not Allowed", [("Allow", "POST")])
        query = parse_qs(environ.get("QUERY_STRING", ""))
        session_id = (query.get("session_id") or query.get("sessionId") or [""])[0]
        with self._cond:
            session = self._legacy.get(session_id)
        if session is None or session.connection is None:
            return self._error(start_response, 404, SESSION_NOT_FOUND, "Session not found")
        content_type = (environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return self._error(start_response, 415, INVALID_REQUEST,
                               "Unsupported Media Type: the body must be application/json")
        body = self._read_body(environ)
        if isinstance(body, int):
            return self._body_error(start_response, body, environ)
        message = jsonrpc.parse(body)
        if type(message) is Invalid:
            return self._json(start_response, 400, message.response(session.connection.protocol_version))
        extra: dict[str, Any] = {"headers": self._headers_of(environ)}
        if environ.get("mcp_sync.auth") is not None:
            extra["auth"] = environ["mcp_sync.auth"]
        session.connection.session.feed(message, extra=extra)
        return self._plain(start_response, 202, "Accepted")

