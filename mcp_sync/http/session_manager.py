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
import json
import logging
import secrets
import threading
import time
from typing import TYPE_CHECKING, Any, Mapping

from ..errors import INVALID_REQUEST, ConnectionClosed, McpError
from ..protocol.jsonrpc import ErrorResponse, Notification, Request, Response, dumps
from ..transports.base import Transport
from .shared_sessions import RedisEventStore, related_task, response_ends_stream, shared_stream_id, stream_of_session
from ..protocol.sse import SSE_HEADERS
from .streams import KEPT_FINISHED_STREAMS, Attachment, FollowedSseBody, SseBody, Stream, _Item

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


def _runs_tasks(connection: "ServerConnection") -> bool:
    """Whether tasks bound to this connection are unfinished (closing it would cancel them)."""
    runs = getattr(getattr(connection.server, "tasks", None), "runs_tasks", None)
    return bool(runs is not None and runs(connection))


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

    @property
    def handler_pool(self) -> Any:
        """The app-wide worker pool this session's handlers run on (see mcp_sync.http.handler_pool)."""
        return self.app.handler_pool.get()

    def __init__(self, app: "McpWsgiApp", session_id: str | None, *, stateless: bool = False) -> None:
        self.app = app
        self.id = session_id
        self.stateless = stateless
        self.store = None if stateless else app.stream_store  # failures logged, never raised
        #: The app's RedisSessionStore when sessions are shared by several workers, else None.
        self.shared = None if stateless else getattr(app, "shared_sessions", None)
        #: Shared sessions: the worker holding the client's GET stream, if another one.
        self._remote_listener: str | None = None
        #: Shared sessions: task id -> (worker, stream id) of a pending tasks/result elsewhere.
        self._remote_waiters: dict[str, tuple[str, str]] = {}
        #: Shared sessions: task id -> stream id of a tasks/result pending here.
        self._task_streams: dict[str, str] = {}
        self._synced: tuple[Any, Any] = (None, frozenset())
        #: Shared sessions: (stream id, seq) of another worker's GET stream this worker is taking over.
        self._claim: tuple[str, int] | None = None
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

    def _make_stream(self, kind: str, request_ids: tuple[Any, ...] = (), json_mode: bool = False) -> Stream:
        stream_id = secrets.token_hex(8)
        on_attach = None
        if self.shared is not None:  # the kind and the session show in the id: another worker checks both
            stream_id = shared_stream_id(self.id, kind)  # type: ignore[arg-type]
            if kind == "standalone":
                on_attach = self._standalone_attached
        stream = Stream(stream_id, kind=kind, request_ids=request_ids, json_mode=json_mode,
                        store=self.store, backlog=self.app.max_backlog, on_attach=on_attach)
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
        if self.shared is not None and connection is not None and _runs_tasks(connection):
            return None  # this copy runs the session's tasks: other workers may be serving the client
        return last + timeout

    @property
    def closed(self) -> bool:
        return self._closed

    def standalone_listening(self, task_id: str | None = None) -> bool:
        """Whether a client is connected to the GET stream now (a message sent there arrives at once).

        For a shared session: on this worker, or on another one (or, for a message
        of ``task_id``, a ``tasks/result`` of that task waits on another one), which
        this worker then publishes to.
        """
        standalone = self.standalone
        if self._closed:
            return False
        if standalone is not None and standalone.attached:
            return True
        if self.shared is None:
            return False
        with self._lock:
            return self._remote_listener is not None or (task_id is not None and task_id in self._remote_waiters)

    def open_request_stream(self, request_ids: tuple[Any, ...], json_mode: bool) -> Stream | None:
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
            if len(self._streams) > 2 * KEPT_FINISHED_STREAMS:  # prune in batches, not a scan per POST
                finished = [s for s in self._streams.values()
                            if s.kind == "request" and s.finished and not s.attached]
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
            if notification is not None:
                stream.cancel_notice = notification
        stream.end("cancelled")

    def take_early_cancels(self, request_ids: tuple[Any, ...]) -> list[tuple[Any, Any]]:
        """Cancellations that arrived before these requests: ``[(request_id, notification)]``."""
        with self._lock:
            return [(rid, self._early_cancels.pop(rid)) for rid in request_ids if rid in self._early_cancels]

    # -- Transport -------------------------------------------------------------

    def receive(self) -> None:  # pragma: no cover - push transport, never read
        raise ConnectionClosed("the HTTP transport is fed by the WSGI app")

    def send(self, message: Any, related_id: Any = None) -> None:
        if self._closed:
            raise ConnectionClosed("the HTTP session has ended")
        shared = self.shared
        if shared is not None and isinstance(message, dict):
            message = self._tag_outgoing(message)
        data = dumps(message)
        stream, final = self._route(message, related_id)
        if shared is not None:
            if final:
                self._response_sent(stream)
            elif stream is self.standalone and stream is not None:
                # a pending tasks/result of the message's task comes first (here or on another worker),
                # then the GET stream (here or on another worker)
                if self._send_remote(message, data, waiters_only=stream.attached):
                    return
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

    # -- shared sessions (several workers; see mcp_sync.http.shared_sessions) ---------------

    def _tag_outgoing(self, message: dict[str, Any]) -> dict[str, Any]:
        """Give a request this worker sends a wire id naming the worker (so its answer finds it)."""
        tag = self.shared.instance  # type: ignore[union-attr]
        if "method" in message and "id" in message:
            return {**message, "id": f"{tag}.{message['id']}"}
        if message.get("method") == "notifications/cancelled":  # the engine cancels one of its requests
            params = message.get("params") or {}
            rid = params.get("requestId")
            if type(rid) is int:
                return {**message, "params": {**params, "requestId": f"{tag}.{rid}"}}
        return message

    def _send_remote(self, message: dict[str, Any], data: str, waiters_only: bool = False) -> bool:
        """Publish a message for the client to the worker that can deliver it now; False if none.

        ``waiters_only``: only to a pending ``tasks/result`` of the message's task.
        """
        shared = self.shared
        task_id = related_task(message)
        with self._lock:
            waiter = self._remote_waiters.get(task_id) if task_id is not None else None
            listener = None if waiters_only else self._remote_listener
        if waiter is not None and shared.send_to(waiter[0], {"k": "push", "s": self.id, "st": waiter[1],  # type: ignore[union-attr]
                                                                "d": data}):
            return True
        return listener is not None and shared.send_to(listener, {"k": "push", "s": self.id, "d": data})  # type: ignore[union-attr]

    def _relay_backlog(self) -> None:
        """Another worker holds the client's GET stream: hand it what waits in this copy's GET backlog."""
        standalone, shared = self.standalone, self.shared
        if standalone is None or shared is None:
            return
        with self._lock:
            listener = self._remote_listener
        if listener is None:
            return
        for data in standalone.take_backlog():
            if not shared.send_to(listener, {"k": "push", "s": self.id, "d": data}):
                standalone.push(data, False)  # that worker is gone: keep it for the next listener

    def note_request(self, message: Any, stream: Stream) -> None:
        """A request is served on ``stream``: a ``tasks/result`` there is where the task's questions go."""
        shared = self.shared
        if shared is None or type(message) is not Request or message.method != "tasks/result" or stream.json_mode:
            return
        task_id = (message.params or {}).get("taskId")
        if not isinstance(task_id, str):
            return
        with self._lock:
            self._task_streams[task_id] = stream.id
        value = [shared.instance, stream.id]
        shared.set_field(self.id, "tr:" + task_id, value)
        shared.broadcast({"k": "presence", "s": self.id, "f": "tr:" + task_id, "w": value})

    def _response_sent(self, stream: Stream | None) -> None:
        shared = self.shared
        done: list[str] = []
        if stream is not None:
            with self._lock:
                done = [t for t, sid in self._task_streams.items() if sid == stream.id]
                for task_id in done:
                    del self._task_streams[task_id]
        for task_id in done:
            shared.clear_field(self.id, "tr:" + task_id, [shared.instance, stream.id])  # type: ignore[union-attr]
            shared.broadcast({"k": "presence", "s": self.id, "f": "tr:" + task_id, "w": None})  # type: ignore[union-attr]
        self.sync_state()

    def sync_state(self) -> None:
        """Publish the log level and subscriptions if a request on this worker changed them."""
        connection, shared = self.connection, self.shared
        if connection is None or shared is None or self.id is None:
            return
        state = (connection.log_level, frozenset(connection.subscriptions))
        with self._lock:
            if state == self._synced:
                return
            self._synced = state
        shared.save(self.id, {"lvl": state[0], "subs": sorted(state[1])}, self.app.session_idle_timeout)
        shared.broadcast({"k": "meta", "s": self.id, "lvl": state[0], "subs": sorted(state[1])})

    def _standalone_attached(self, attached: bool) -> None:
        """The client's GET stream (dis)connected here: tell the other workers (no lock held)."""
        shared = self.shared
        if shared is None or self.id is None or (attached and self._closed):
            return
        try:
            if attached:
                with self._lock:
                    claim, self._claim = self._claim, None
                    self._remote_listener = None  # it is here now
                shared.set_field(self.id, "g", shared.instance)
                self._announce_listener(claim)
            else:
                shared.clear_field(self.id, "g", shared.instance)
                shared.broadcast({"k": "presence", "s": self.id, "f": "g", "w": None, "was": shared.instance})
                self._relay_backlog()  # the client may have moved to another worker already
        except Exception:
            log.exception("shared sessions: recording the GET stream failed")

    def _announce_listener(self, claim: tuple[str, int] | None) -> None:
        """Tell the other workers the client's GET stream is here (taking over ``claim``'s stream, if given)."""
        shared = self.shared
        payload: dict[str, Any] = {"k": "presence", "s": self.id, "f": "g", "w": shared.instance}  # type: ignore[union-attr]
        if claim is not None:
            payload["claim"] = [claim[0], claim[1]]
        shared.broadcast(payload)  # type: ignore[union-attr]

    def _take_over(self, claim: Any, to: str) -> None:
        """Worker ``to`` replayed this copy's GET stream up to a seq: hand it the rest, stop delivering here."""
        standalone, shared = self.standalone, self.shared
        if (standalone is None or shared is None or not isinstance(claim, list) or len(claim) != 2
                or claim[0] != standalone.id or type(claim[1]) is not int):
            return
        upto = claim[1]
        kept, mark = standalone.take_over(upto)
        stored = None
        if self.store is not None:
            try:
                stored = self.store.events_after(standalone.id, upto)
            except Exception:
                log.exception("event store failed to replay stream %s", standalone.id)
        relay = [data for seq, data in stored if seq < mark] if stored is not None else kept
        for data in relay:
            if not shared.send_to(to, {"k": "push", "s": self.id, "d": data}):
                standalone.push(data, False)

    def load_presence(self, meta: dict[str, Any]) -> None:
        """From the metadata of a session being rehydrated: where its streams are."""
        mine = self.shared.instance  # type: ignore[union-attr]
        with self._lock:
            listener = meta.get("g")
            self._remote_listener = listener if isinstance(listener, str) and listener != mine else None
            for name, value in meta.items():
                if name.startswith("tr:") and isinstance(value, list) and len(value) == 2 and value[0] != mine:
                    self._remote_waiters[name[3:]] = (value[0], value[1])
            self._synced = (meta.get("lvl"), frozenset(meta.get("subs") or ()))

    def incoming(self, message: Any) -> bool:
        """A response or notification the client POSTed here; True if it was forwarded, not fed.

        A response to a request another worker sent goes to that worker; a
        notification is fed here and published to the other workers holding the session.
        """
        shared = self.shared
        if shared is None:
            return False
        if type(message) in (Response, ErrorResponse):
            rid = message.id
            if not isinstance(rid, str) or "." not in rid:
                return False
            tag, _, number = rid.rpartition(".")
            if tag != shared.instance:
                raw = {"jsonrpc": "2.0", "id": rid}
                if type(message) is Response:
                    raw["result"] = message.result
                else:
                    raw["error"] = message.error
                if not shared.send_to(tag, {"k": "feed", "s": self.id, "m": raw}):
                    log.debug("dropping an answer for worker %s: it is gone", tag)
                return True
            if number.isdigit():
                message.id = int(number)
            return False
        if type(message) is Notification:
            params = message.params
            if message.method == "notifications/cancelled" and isinstance(params, dict):
                rid = params.get("requestId")
                if isinstance(rid, str) and rid.startswith(shared.instance + ".") and rid[len(shared.instance) + 1:].isdigit():
                    message.params = {**params, "requestId": int(rid[len(shared.instance) + 1:])}
            if message.method == "notifications/initialized":
                shared.save(self.id, {"init": True}, self.app.session_idle_timeout)
            shared.broadcast({"k": "feed", "s": self.id, "m": {"jsonrpc": "2.0", "method": message.method,
                                                                "params": params}})
        return False

    def shared_message(self, kind: str, payload: dict[str, Any]) -> None:
        """A message from another worker about this session (the store's subscriber thread)."""
        if kind == "push":
            data = payload.get("d")
            if not isinstance(data, str):
                return
            stream = self.find_stream(payload["st"]) if isinstance(payload.get("st"), str) else None
            if stream is None or not stream.push(data, False):
                standalone = self.standalone
                if standalone is None:
                    return
                with self._lock:
                    listener = self._remote_listener
                forward = not standalone.attached and listener is not None and not payload.get("fw")
                if forward and self.shared.send_to(listener, {"k": "push", "s": self.id, "d": data,  # type: ignore[union-attr]
                                                              "fw": 1}):
                    return  # the client's GET stream moved on to another worker (forwarded once at most)
                standalone.push(data, False)
        elif kind == "feed":
            from ..protocol import jsonrpc

            message = jsonrpc.parse(json.dumps(payload.get("m")))
            connection = self.connection
            if connection is None or self.incoming_from_peer(message):
                return
            if type(message) is Notification and message.method == "notifications/cancelled":
                rid = (message.params or {}).get("requestId")
                if type(rid) in (str, int):
                    self.cancel_request(rid)
            connection.session.feed(message)
        elif kind == "presence":
            field, value = payload.get("f"), payload.get("w")
            reachable = None
            with self._lock:
                if field == "g":
                    if value is not None:
                        self._remote_listener = value
                    elif self._remote_listener == payload.get("was"):
                        self._remote_listener = None
                elif isinstance(field, str) and field.startswith("tr:"):
                    if isinstance(value, list) and len(value) == 2:
                        self._remote_waiters[field[3:]] = (value[0], value[1])
                        reachable = field[3:]
                    else:
                        self._remote_waiters.pop(field[3:], None)
            if field == "g" and value is not None:
                if "claim" in payload and isinstance(value, str):
                    self._take_over(payload["claim"], value)
                self._relay_backlog()
            if reachable is not None:
                self._task_reachable(reachable)
        elif kind == "meta":
            connection = self.connection
            if connection is not None:
                connection.log_level = payload.get("lvl")
                connection.subscriptions = set(payload.get("subs") or ())
                with self._lock:
                    self._synced = (connection.log_level, frozenset(connection.subscriptions))
        elif kind == "end":
            self.app._end(self)

    def _task_reachable(self, task_id: str) -> None:
        """A ``tasks/result`` of ``task_id`` waits on another worker: send the task's queued questions there."""
        connection = self.connection
        hook = getattr(getattr(self.app.server, "tasks", None), "requestor_reachable", None)
        if connection is not None and hook is not None:
            hook(task_id, connection)

    def incoming_from_peer(self, message: Any) -> bool:
        """A forwarded response: restore the engine's id. True when it is not for this worker."""
        if type(message) in (Response, ErrorResponse):
            rid = message.id
            prefix = self.shared.instance + "."  # type: ignore[union-attr]
            if not (isinstance(rid, str) and rid.startswith(prefix) and rid[len(prefix):].isdigit()):
                return True
            message.id = int(rid[len(prefix):])
        elif type(message) is Notification and message.method == "notifications/cancelled":
            params = message.params or {}
            rid = params.get("requestId")
            prefix = self.shared.instance + "."  # type: ignore[union-attr]
            if isinstance(rid, str) and rid.startswith(prefix) and rid[len(prefix):].isdigit():
                message.params = {**params, "requestId": int(rid[len(prefix):])}
        return False

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


# -- shared sessions: the app's side ------------------------------------------------------------

def share_new_session(app: "McpWsgiApp", session: HttpSession) -> None:
    """``initialize`` succeeded on this worker: record the session for the others."""
    shared, connection = app.shared_sessions, session.connection
    if shared is None or connection is None or session.id is None:
        return
    _bind_owner(app, session)
    shared.save(session.id, {"v": connection.protocol_version, "caps": connection.client_capabilities,
                             "info": connection.client_info, "scaps": connection.server_capabilities,
                             "init": False, "lvl": None, "subs": []}, app.session_idle_timeout)


def rehydrate(app: "McpWsgiApp", session_id: str) -> HttpSession | None:
    """A local copy of a session another worker created; None if it ended or never existed."""
    shared = app.shared_sessions
    meta = shared.load(session_id, app.session_idle_timeout)
    if meta is None or not isinstance(meta.get("v"), str):
        return None
    session = HttpSession(app, session_id)
    session.load_presence(meta)
    connection = app.server.serve(session, name=f"{app.name}-{session_id[:8]}")
    session.connection = connection
    with connection._lock:
        connection.protocol_version = meta["v"]
        connection.session.protocol_version = meta["v"]
        connection.client_capabilities = meta.get("caps") if isinstance(meta.get("caps"), dict) else {}
        connection.client_info = meta.get("info") if isinstance(meta.get("info"), dict) else None
        scaps = meta.get("scaps")
        connection.server_capabilities = scaps if isinstance(scaps, dict) else None
        connection.log_level = meta.get("lvl") if isinstance(meta.get("lvl"), str) else None
        connection.subscriptions = set(meta.get("subs") or ())
    if meta.get("init"):
        connection.initialized.set()
    _bind_owner(app, session)
    with app._cond:
        existing = app._sessions.get(session_id)
        if existing is None and not app._closing:
            app._sessions[session_id] = session
            if app.session_idle_timeout is not None and app._reaper is None:
                app._reaper = threading.Thread(target=app._reap, name=f"{app.name}-reaper", daemon=True)
                app._reaper.start()
    if existing is not None or app._closing:  # another request rehydrated it first (or we are closing)
        app._end(session)  # its close leaves the registered copy alone
        return existing
    log.debug("serving a shared MCP session on this worker (it was created on another)")
    return session


def _bind_owner(app: "McpWsgiApp", session: HttpSession) -> None:
    """Tasks created in a shared session belong to the session, whichever worker made them."""
    tasks, connection = getattr(app.server, "tasks", None), session.connection
    share = getattr(tasks, "share_connection", None)
    if share is None or connection is None or session.id is None:
        return
    share(connection, app.shared_sessions.owner_token(session.id))


def resume_elsewhere(app: "McpWsgiApp", start_response: Any, session: HttpSession, stream_id: str,
                     after: int) -> Any:
    """A GET with a ``Last-Event-ID`` naming a stream of this session that another worker produced.

    A request stream is replayed from the event store and followed until its
    response; another worker's GET stream is replayed and goes on as this
    worker's GET stream. None when the id names no stream of this session (the
    caller opens the GET stream as usual).
    """
    store = app.event_store
    if not isinstance(store, RedisEventStore) or session.id is None or not stream_of_session(session.id, stream_id):
        return None
    refusal = app.streams.acquire(session)
    if refusal is not None:
        return app._busy(start_response, refusal, session)
    session.acquire()

    def closed() -> None:
        app.streams.release(session)
        session.release()

    if stream_id[0] == "r":
        try:
            known = after <= 0 or store.known(stream_id)
        except BaseException:
            closed()  # the slot goes back whatever the store did
            raise
        if not known:  # forgotten or expired: nothing to follow
            closed()
            return None
        events = store.follow(stream_id, after, is_final=response_ends_stream, block_s=app.keepalive,
                              alive=lambda: not session.closed)
        body: Any = FollowedSseBody(((f"{stream_id}-{e[0]}", e[1]) if e is not None else None for e in events),
                                    on_close=closed)
        start_response("200 OK", list(SSE_HEADERS))
        return body
    standalone = session.standalone
    try:
        replayed = store.events_after(stream_id, after) or []
        upto = max([after] + [seq for seq, _ in replayed])
        with session._lock:
            session._claim = (stream_id, upto)  # announced with this worker's presence as the listener
        attachment = standalone.attach() if standalone is not None else None
        with session._lock:
            claim, session._claim = session._claim, None
        if claim is not None and attachment is not None:  # the GET stream was attached here already
            session._announce_listener(claim)
    except BaseException:
        closed()
        raise
    if attachment is None:
        closed()
        return app._error(start_response, 404, -32001, "Session not found: it ended",
                          version=session.protocol_version)
    initial = [_Item(seq, f"{stream_id}-{seq}", data, False) for seq, data in replayed] + attachment.initial
    attachment = Attachment(attachment.conn, initial, attachment.end_after_initial, attachment.priming_seq)
    start_response("200 OK", list(SSE_HEADERS))
    return SseBody(standalone, attachment, priming_id=None, retry_ms=app.sse_retry_ms,  # type: ignore[arg-type]
                   keepalive=app.keepalive, on_close=closed)
