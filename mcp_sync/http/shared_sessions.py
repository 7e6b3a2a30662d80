"""Legacy (2025-03-26 ... 2025-11-25) HTTP sessions shared by several worker processes through Redis.

With ``server.wsgi_app(shared_sessions=RedisSessionStore(url))`` in every worker
(gunicorn ``-w 4`` behind one port, no sticky sessions), a session created by
``initialize`` on one worker is served by all of them:

* **Metadata** (``P:s:<session id>``, a HASH with the idle timeout as its expiry):
  the negotiated version, the client's capabilities and info, the capabilities
  the server declared, the log level, the resource subscriptions, whether the
  client sent ``notifications/initialized``, and which worker holds the client's
  GET stream (``g``) and each pending ``tasks/result`` stream (``tr:<task id>``).
* **Rehydration**: a POST or GET for a session this worker does not hold builds
  a local copy of it from the metadata (a :class:`~mcp_sync.http.HttpSession`
  with its own engine connection), so requests are served where they land.
  Tasks created in a shared session belong to the session (not to one worker's
  copy): every copy has the same owner token, so ``tasks/get``, ``tasks/result``,
  ``tasks/cancel`` work from any worker with a shared task store
  (:class:`~mcp_sync.tasks.RedisTaskStore`).
* **Server-to-client messages**: a request the server sends gets a wire id
  ``"<worker tag>.<n>"``; the client's response, POSTed to any worker, is
  published to the worker that sent it (channel ``P:inbox:<worker>``) and fed to
  its engine there. A message that is not tied to a request served by this worker
  (an elicitation from a task, a status notification) goes, in this order, on
  the stream of a pending ``tasks/result`` for its task, on the worker holding
  the client's GET stream, or into the local backlog. Client notifications
  (cancellations, ``initialized``, roots changes) are fed locally and published
  to every other worker holding the session (channel ``P:bcast``).
* ``DELETE`` ends the session everywhere. A worker's idle reaper closes only its
  own copy; the session itself ends when its metadata expires (no use on any
  worker for the idle timeout).

* **Resumption on any worker**: SSE events go to a :class:`RedisEventStore`
  (``P:ev:<stream id>``, a Redis stream per SSE stream, expiring with the
  session; the app uses one automatically unless given another ``event_store``).
  A ``GET`` with a ``Last-Event-ID`` naming a *request* stream another worker
  produces replays the stored events after it and follows the new ones with a
  blocking ``XREAD`` until the response, so a client whose POST response was cut
  mid-call gets the rest (and the result) exactly once on whichever worker it
  reaches. One naming another worker's *GET* stream replays that stream's events
  after it and goes on as this worker's GET stream: the old worker is told which
  events were replayed (``claim``), stops delivering to its connection if it
  still has one, and relays what it still holds (and any message queued on any
  worker while nobody listened) to the worker now holding the client's stream.
  Stream ids carry a digest of the session id, so a ``Last-Event-ID`` is only
  honoured in the session that produced it.

Waking is by Redis pub/sub and blocking ``XREAD`` only: each store runs one named
subscriber thread (``mcp-sync-sessions-redis``); a followed stream blocks the
response's own thread in ``XREAD``, waking at least every ``keepalive`` seconds to
write a keep-alive (which tells the WSGI server whether the client is still
there). Nothing polls.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
from typing import TYPE_CHECKING, Any, Callable, Iterator

from ..tasks.ids import new_task_id
from ..tasks.redis_store import redis_client
from .event_store import EventStore

if TYPE_CHECKING:
    from .session_manager import HttpSession

log = logging.getLogger("mcp_sync.http")

__all__ = ["RedisSessionStore", "RedisEventStore", "DEFAULT_SESSION_PREFIX"]

DEFAULT_SESSION_PREFIX = "mcp_sync:sessions"
RELATED_TASK = "io.modelcontextprotocol/related-task"


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else ("" if value is None else str(value))


class RedisSessionStore:
    """Session metadata and message routing in Redis (see the module docstring).

    ``redis``: a URL (the store owns the client) or a ``redis.Redis`` client.
    ``ttl_s``: how long a session's metadata outlives its last use on any worker
    (the app's ``session_idle_timeout`` when None). Create one per worker, after
    the fork; the app starts it and :meth:`close` joins its thread.
    """

    def __init__(self, redis: Any = "redis://127.0.0.1:6379/0", *, prefix: str = DEFAULT_SESSION_PREFIX,
                 ttl_s: float | None = None, subscribe_timeout: float = 10.0) -> None:
        module, self._redis, self._owns_client = redis_client(redis, "RedisSessionStore")
        self._errors = module.RedisError
        self.prefix = prefix
        self.ttl_s = ttl_s
        #: This worker's id: the tag of the request ids it sends, and its inbox.
        self.instance = new_task_id()[:12]
        self._inbox = f"{prefix}:inbox:{self.instance}"
        self._bcast = f"{prefix}:bcast"
        self._subscribe_timeout = subscribe_timeout
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pubsub: Any = None
        self._closed = False
        #: Set by the app: finds (without creating) the local copy of a session.
        self.local: Callable[[str], "HttpSession | None"] = lambda _sid: None

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> "RedisSessionStore":
        with self._lock:
            if self._closed:
                raise RuntimeError("the session store is closed")
            if self._thread is None:
                self._redis.ping()
                self._thread = threading.Thread(target=self._listen, name="mcp-sync-sessions-redis", daemon=True)
                self._thread.start()
            thread = self._thread
        if thread is not threading.current_thread() and not self._subscribed.wait(self._subscribe_timeout):
            raise TimeoutError("no Redis subscription for the shared sessions")
        return self

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        self._stop.set()
        if thread is not None and thread is not threading.current_thread():
            try:
                self._redis.publish(self._inbox, b'{"k":"stop"}')
            except self._errors:
                pass
            thread.join(2.0)
            if thread.is_alive():
                pubsub = self._pubsub
                connection = getattr(pubsub, "connection", None)
                if connection is not None:
                    connection.disconnect()
                thread.join()
        if self._owns_client:
            self._redis.close()

    # -- metadata --------------------------------------------------------------

    def _key(self, session_id: str) -> str:
        return f"{self.prefix}:s:{session_id}"

    def _expire_ms(self, ttl_s: float | None) -> int | None:
        ttl = self.ttl_s if self.ttl_s is not None else ttl_s
        return None if ttl is None else max(1, int(ttl * 1000))

    def save(self, session_id: str, fields: dict[str, Any], ttl_s: float | None) -> None:
        key = self._key(session_id)
        pipe = self._redis.pipeline()
        pipe.hset(key, mapping={k: json.dumps(v) for k, v in fields.items()})
        ms = self._expire_ms(ttl_s)
        if ms is not None:
            pipe.pexpire(key, ms)
        pipe.execute()

    def load(self, session_id: str, ttl_s: float | None) -> dict[str, Any] | None:
        """The session's metadata (its expiry renewed), or None if it ended or never existed."""
        key = self._key(session_id)
        pipe = self._redis.pipeline()
        pipe.hgetall(key)
        ms = self._expire_ms(ttl_s)
        if ms is not None:
            pipe.pexpire(key, ms)
        flat = pipe.execute()[0]
        if not flat or b"v" not in flat:
            return None
        out: dict[str, Any] = {}
        for k, v in flat.items():
            try:
                out[_text(k)] = json.loads(v)
            except ValueError:
                continue
        return out

    def touch(self, session_id: str, ttl_s: float | None) -> bool:
        ms = self._expire_ms(ttl_s)
        if ms is None:
            return bool(self._redis.exists(self._key(session_id)))
        return bool(self._redis.pexpire(self._key(session_id), ms))

    def set_field(self, session_id: str, name: str, value: Any) -> None:
        self._redis.hset(self._key(session_id), name, json.dumps(value))

    def clear_field(self, session_id: str, name: str, value: Any) -> None:
        """Delete field ``name`` if it still holds ``value`` (another worker may own it now)."""
        self._redis.eval("if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then "
                         "return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0",
                         1, self._key(session_id), name, json.dumps(value))

    def delete(self, session_id: str) -> None:
        self._redis.delete(self._key(session_id))
        self.broadcast({"k": "end", "s": session_id})

    def event_store(self, ttl_s: float | None = None, max_events: int = 1000) -> "RedisEventStore":
        """A :class:`RedisEventStore` on this store's client and prefix (what the app uses by default)."""
        ttl = self.ttl_s if self.ttl_s is not None else ttl_s
        return RedisEventStore(self._redis, prefix=self.prefix, ttl_s=ttl, max_events=max_events)

    @staticmethod
    def owner_token(session_id: str) -> str:
        """The task owner shared by every copy of a session (derived; never the id itself)."""
        return "conn:shared:" + hashlib.sha256(session_id.encode("utf-8")).hexdigest()[:32]

    # -- messages --------------------------------------------------------------

    def send_to(self, instance: str, payload: dict[str, Any]) -> bool:
        """Publish to one worker's inbox; False if no worker listens there (it stopped)."""
        try:
            return int(self._redis.publish(f"{self.prefix}:inbox:{instance}", json.dumps(payload))) > 0
        except self._errors as exc:
            log.warning("shared sessions: publishing to worker %s failed: %s", instance, exc)
            return False

    def broadcast(self, payload: dict[str, Any]) -> None:
        payload = dict(payload, o=self.instance)
        try:
            self._redis.publish(self._bcast, json.dumps(payload))
        except self._errors as exc:
            log.warning("shared sessions: broadcast failed: %s", exc)

    def _listen(self) -> None:
        backoff = 0.05
        while not self._stop.is_set():
            pubsub = self._redis.pubsub()
            self._pubsub = pubsub
            try:
                pubsub.subscribe(self._inbox, self._bcast)
                for message in pubsub.listen():
                    kind = _text(message.get("type"))
                    if kind == "subscribe":
                        backoff = 0.05
                        self._subscribed.set()
                        continue
                    if kind != "message":
                        continue
                    if self._stop.is_set():
                        break
                    self._dispatch(message.get("data"))
            except self._errors as exc:
                if not self._stop.is_set():
                    log.warning("shared sessions: subscription lost (%s); reconnecting", exc)
            finally:
                self._pubsub = None
                try:
                    pubsub.close()
                except self._errors:  # pragma: no cover
                    pass
            if self._stop.wait(backoff):
                break
            backoff = min(backoff * 2, 5.0)

    def _dispatch(self, data: Any) -> None:
        try:
            payload = json.loads(data)
            kind = payload["k"]
        except (ValueError, KeyError, TypeError):
            log.warning("shared sessions: ignoring a malformed message %.200r", data)
            return
        if kind == "stop" or payload.get("o") == self.instance:
            return
        session_id = payload.get("s")
        session = self.local(session_id) if isinstance(session_id, str) else None
        if session is None:
            return
        try:
            session.shared_message(kind, payload)
        except Exception:
            log.exception("shared sessions: handling a %r message failed", kind)


class RedisEventStore(EventStore):
    """SSE events in Redis, so a stream is resumed (and followed) on any worker.

    One Redis stream per SSE stream (``P:ev:<stream id>``, entries ``s`` seq and
    ``d`` data), at most ``max_events`` per stream (the oldest trimmed), expiring
    ``ttl_s`` after its last event. ``redis``: a URL or a ``redis.Redis`` client
    (a URL's client is closed by :meth:`close`).
    """

    def __init__(self, redis: Any = "redis://127.0.0.1:6379/0", *, prefix: str = DEFAULT_SESSION_PREFIX,
                 ttl_s: float | None = None, max_events: int = 1000) -> None:
        if max_events < 1:
            raise ValueError("max_events must be at least 1")
        _, self._redis, self._owns_client = redis_client(redis, "RedisEventStore")
        self.prefix = prefix
        self.ttl_s = ttl_s
        self.max_events = max_events

    def close(self) -> None:
        if self._owns_client:
            self._redis.close()

    def _key(self, stream_id: str) -> str:
        return f"{self.prefix}:ev:{stream_id}"

    def store_event(self, stream_id: str, seq: int, data: str) -> None:
        key = self._key(stream_id)
        pipe = self._redis.pipeline(transaction=False)
        pipe.xadd(key, {"s": seq, "d": data}, maxlen=self.max_events, approximate=False)
        if self.ttl_s is not None:
            pipe.pexpire(key, max(1, int(self.ttl_s * 1000)))
        pipe.execute()

    @staticmethod
    def _entries(raw: Any) -> list[tuple[int, str]]:
        out = []
        for _entry_id, fields in raw or ():
            try:
                out.append((int(fields[b"s"]), _text(fields[b"d"])))
            except (KeyError, ValueError):
                continue
        return out

    def events_after(self, stream_id: str, seq: int) -> list[tuple[int, str]] | None:
        entries = self._entries(self._redis.xrange(self._key(stream_id)))
        if not entries:
            return []
        entries.sort()
        if len(entries) >= self.max_events and entries[0][0] > seq + 1:
            return None  # trimmed: the events right after ``seq`` are gone
        return [(s, d) for s, d in entries if s > seq]

    def forget_stream(self, stream_id: str) -> None:
        self._redis.delete(self._key(stream_id))

    def known(self, stream_id: str) -> bool:
        """Whether events of the stream are stored (it was not forgotten, and has not expired)."""
        return bool(self._redis.exists(self._key(stream_id)))

    def follow(self, stream_id: str, after: int, *, is_final: Callable[[str], bool], block_s: float,
               alive: Callable[[], bool]) -> Iterator[tuple[int, str] | None]:
        """The stream's events after ``after`` in seq order, each once, then new ones as they come.

        Stops after an event ``is_final`` accepts, or when ``alive()`` turns
        False. Yields None every ``block_s`` seconds without an event (the
        caller writes a keep-alive). Events stored out of seq order (two
        threads of the producing worker) are held until their predecessors come.
        """
        key = self._key(stream_id)
        raw = self._redis.xrange(key)
        last_id = raw[-1][0] if raw else b"0-0"
        held = dict(self._entries(raw))
        if held and len(held) >= self.max_events and min(held) > after + 1:
            log.warning("stream %s: events after %d were trimmed; resuming from %d", stream_id, after, min(held))
            after = min(held) - 1
        following = after + 1
        block_ms = max(1, int(block_s * 1000))
        while True:
            while following in held:
                data = held.pop(following)
                yield following, data
                following += 1
                if is_final(data):
                    return
            held = {s: d for s, d in held.items() if s > following}
            if not alive():
                return
            answer = self._redis.xread({key: last_id}, block=block_ms)
            got = False
            for _key, entries in answer or ():
                if entries:
                    last_id = entries[-1][0]
                    for s, d in self._entries(entries):
                        if s >= following:
                            held[s] = d
                            got = True
            if not got:
                yield None


def _digest(session_id: str, stem: str) -> str:
    return hashlib.sha256(f"{session_id}\x00{stem}".encode("utf-8")).hexdigest()[:16]


def shared_stream_id(session_id: str, kind: str) -> str:
    """A stream id for a shared session: ``g`` (GET) or ``r`` (request), random, then a digest of the session."""
    stem = ("g" if kind == "standalone" else "r") + secrets.token_hex(8)
    return stem + _digest(session_id, stem)


def stream_of_session(session_id: str, stream_id: str) -> bool:
    """Whether ``stream_id`` was made by :func:`shared_stream_id` for this session."""
    if len(stream_id) != 33 or stream_id[0] not in "gr":
        return False
    return hmac.compare_digest(stream_id[17:], _digest(session_id, stream_id[:17]))


def response_ends_stream(data: str) -> bool:
    """Whether a serialized message ends a request stream (a response, or a batch's responses)."""
    try:
        message = json.loads(data)
    except ValueError:
        return False
    return isinstance(message, list) or (isinstance(message, dict) and "method" not in message)


def related_task(message: Any) -> str | None:
    """The task a server-to-client message belongs to (its ``_meta`` related-task), if any."""
    params = message.get("params") if isinstance(message, dict) else None
    meta = params.get("_meta") if isinstance(params, dict) else None
    related = meta.get(RELATED_TASK) if isinstance(meta, dict) else None
    task_id = related.get("taskId") if isinstance(related, dict) else None
    return task_id if isinstance(task_id, str) else None
