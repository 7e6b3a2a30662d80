"""SSE streams of a Streamable HTTP session, and the WSGI bodies that deliver them.

A :class:`Stream` is a logical SSE stream: the stream of one POSTed request
(or batch), or the session's standalone stream (GET). It outlives the HTTP
responses that carry it: when a connection drops (or the server closes it so
the client polls), later events wait in the event store and in a bounded
backlog, and a GET with ``Last-Event-ID`` attaches a new connection that
first replays what was missed.

Ordering without holding a lock across I/O: a message gets its sequence
number under the stream's lock, is written to the event store with no lock
held, then is released to the live connection strictly in sequence order (a
message stored early waits in ``_ready`` for its predecessors). So everything
a connection was given is already in the store, and a resuming connection
takes the store's events below its attach point and the live queue from there
on: no gap, no duplicate.
"""

from __future__ import annotations

import collections
import logging
import queue
import threading
from typing import Any, Callable, Iterator

from .body import StreamingBody
from .event_store import EventStore
from ..protocol.sse import KEEPALIVE, encode_event

log = logging.getLogger("mcp_sync.http")

#: Finished request streams a session keeps (so a late client can still resume them): the newest
#: ones, pruned down to this many once a session holds twice as many streams.
KEPT_FINISHED_STREAMS = 64


class _Item:
    __slots__ = ("seq", "event_id", "data", "final")

    def __init__(self, seq: int, event_id: str | None, data: str, final: bool) -> None:
        self.seq = seq
        self.event_id = event_id
        self.data = data
        self.final = final

    def encode(self) -> bytes:
        return encode_event(self.data, event_id=self.event_id, event="message")


class _Close:
    """Tells a connection to end; ``retry_ms`` is sent first when the stream goes on (polling)."""

    __slots__ = ("retry_ms", "reason")

    def __init__(self, retry_ms: int | None = None, reason: str = "closed") -> None:
        self.retry_ms = retry_ms
        self.reason = reason


class Conn:
    """One HTTP response currently delivering a stream.

    ``dropped`` is set when the stream let go of a client that stopped reading
    (too many events queued for it): its response ends, and the client resumes
    from the event store with ``Last-Event-ID``.
    """

    __slots__ = ("queue", "dropped")

    def __init__(self) -> None:
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.dropped = False


class Attachment:
    """What :meth:`Stream.attach` hands the response that will deliver the stream."""

    __slots__ = ("conn", "initial", "end_after_initial", "priming_seq")

    def __init__(self, conn: Conn, initial: list[_Item], end_after_initial: bool, priming_seq: int) -> None:
        self.conn = conn
        self.initial = initial
        self.end_after_initial = end_after_initial
        self.priming_seq = priming_seq


class Stream:
    def __init__(self, stream_id: str, *, kind: str, request_ids: tuple[Any, ...] = (), json_mode: bool = False,
                 store: EventStore | None = None, backlog: int = 1000,
                 on_attach: Callable[[bool], None] | None = None) -> None:
        self.id = stream_id
        #: Called (no lock held) with True when a connection attaches to a stream that had
        #: none, False when the stream is left without one (shared sessions record it).
        self._on_attach = on_attach
        self.kind = kind  # "request" or "standalone"
        self.request_ids = request_ids
        self.json_mode = json_mode
        self.store = store
        self._lock = threading.Lock()
        self._next_seq = 1
        self._next_deliver = 1
        self._ready: dict[int, _Item] = {}
        self._final_seq: int | None = None
        self._conn: Conn | None = None
        self._backlog: collections.deque[_Item] = collections.deque(maxlen=backlog)
        #: The final message (the response) was handed to a connection or the backlog.
        self.finished = False
        #: Ended for good (session closed, request cancelled): nothing more is delivered.
        self.ended: str | None = None
        #: The ``notifications/cancelled`` that ended it, when one did (see McpWsgiApp._serve_requests).
        self.cancel_notice: Any = None

    def event_id(self, seq: int) -> str | None:
        return f"{self.id}-{seq}" if self.store is not None else None

    # -- producing -----------------------------------------------------------

    def push(self, data: str, final: bool) -> bool:
        """Queue one serialized message. False when the stream takes no more messages."""
        with self._lock:
            if self.ended is not None or self._final_seq is not None:
                return False
            seq = self._next_seq
            self._next_seq += 1
            if final:
                self._final_seq = seq
        event_id = self.event_id(seq)
        if self.store is not None:
            try:
                self.store.store_event(self.id, seq, data)
            except Exception:
                log.exception("event store failed: event %s cannot be replayed", event_id)
        item = _Item(seq, event_id, data, final)
        lost = False
        with self._lock:
            self._ready[seq] = item
            while self._next_deliver in self._ready:
                ready = self._ready.pop(self._next_deliver)
                self._next_deliver += 1
                conn = self._conn
                if conn is not None and conn.queue.qsize() >= self._backlog.maxlen:  # type: ignore[operator]
                    # The client stopped reading (its response is blocked writing): let it go rather than
                    # queue without bound. What it missed is in the event store; later events wait here.
                    log.warning("stream %s: the client is not reading (%d events queued); dropping its "
                                "connection (it may resume with Last-Event-ID)", self.id, conn.queue.qsize())
                    conn.dropped = True
                    conn.queue.put(_Close(reason="slow consumer"))
                    self._conn = conn = None
                    lost = True
                if conn is not None:
                    conn.queue.put(ready)
                elif self.ended is None:
                    if len(self._backlog) == self._backlog.maxlen:
                        log.warning("stream %s: backlog full, dropping its oldest undelivered event", self.id)
                    self._backlog.append(ready)
                if ready.final:
                    self.finished = True
        if lost:
            self._attach_changed(False)
        return True

    def _attach_changed(self, attached: bool) -> None:
        if self._on_attach is not None:
            try:
                self._on_attach(attached)
            except Exception:
                log.exception("stream %s: attach callback failed", self.id)

    # -- connections ---------------------------------------------------------

    def attach(self, resume_after: int | None = None) -> Attachment | None:
        """Make a new connection the live one (the previous one, if any, ends).

        ``resume_after``: the seq of the client's ``Last-Event-ID``; the
        connection first replays later events. None for a fresh connection,
        which first gets what queued up while nobody listened.
        """
        conn = Conn()
        with self._lock:
            if self.ended is not None:
                return None
            old, self._conn = self._conn, conn
            attach_seq = self._next_deliver
            backlog = list(self._backlog)
            self._backlog.clear()
            finished = self.finished
            final_seq = self._final_seq
        if old is not None:
            old.queue.put(_Close(reason="replaced"))
        else:
            self._attach_changed(True)
        initial = backlog
        if resume_after is not None:
            stored = None
            if self.store is not None:
                try:
                    stored = self.store.events_after(self.id, resume_after)
                except Exception:
                    log.exception("event store failed to replay stream %s", self.id)
            if stored is not None:
                # The store's events, and the undelivered ones waiting here: an event the store failed to
                # keep (an outage; a store restarted empty) is still in the backlog.
                items = {seq: _Item(seq, self.event_id(seq), data, seq == final_seq)
                         for seq, data in stored if resume_after < seq < attach_seq}
                for item in backlog:
                    if item.seq > resume_after:
                        items.setdefault(item.seq, item)
                initial = [items[seq] for seq in sorted(items)]
            else:
                initial = [item for item in backlog if item.seq > resume_after]
        priming_seq = initial[0].seq - 1 if initial else attach_seq - 1
        return Attachment(conn, initial, finished, priming_seq)

    def detach(self, conn: Conn) -> None:
        """The response delivering ``conn`` ended; undelivered events go back to the backlog."""
        with self._lock:
            if self._conn is not conn:
                return
            self._conn = None
            self._drain_into_backlog(conn)
        self._attach_changed(False)

    def _drain_into_backlog(self, conn: Conn) -> None:
        while True:
            try:
                item = conn.queue.get_nowait()
            except queue.Empty:
                return
            if type(item) is _Item and self.ended is None:
                self._backlog.append(item)

    def close_connection(self, retry_ms: int | None) -> bool:
        """End the live connection but not the stream (the client reconnects and resumes).

        What the connection was already given is still written before it
        ends; later messages wait for the client to come back.
        """
        with self._lock:
            conn = self._conn
            if conn is None or self.ended is not None:
                return False
            self._conn = None
        conn.queue.put(_Close(retry_ms, reason="polling"))
        self._attach_changed(False)
        return True

    def end(self, reason: str = "closed") -> None:
        """End the stream for good (its live connection ends too)."""
        with self._lock:
            if self.ended is not None:
                return
            self.ended = reason
            conn, self._conn = self._conn, None
            self._backlog.clear()
        if conn is not None:
            conn.queue.put(_Close(reason=reason))
            self._attach_changed(False)

    def take_over(self, upto: int) -> tuple[list[str], int]:
        """Another worker now serves this stream's client, from past seq ``upto`` (shared sessions).

        The live connection, if any, ends without delivering what it still had
        queued, and the backlog is emptied. Returns the backlog's events after
        ``upto`` and the first seq not handed out yet: every event in between is
        in the event store (stored before being handed to a connection), which
        is where the caller should take them from when it can (a connection may
        have been given some that never reached the client).
        """
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                self._drain_into_backlog(conn)
            kept = [item.data for item in self._backlog if item.seq > upto]
            self._backlog.clear()
            mark = self._next_deliver
        if conn is not None:
            conn.dropped = True
            conn.queue.put(_Close(reason="taken over"))
            self._attach_changed(False)
        return kept, mark

    def take_backlog(self) -> list[str]:
        """Remove and return the queued events (serialized messages) if no connection is attached."""
        with self._lock:
            if self._conn is not None or self.ended is not None:
                return []
            items = [item.data for item in self._backlog]
            self._backlog.clear()
        return items

    @property
    def attached(self) -> bool:
        return self._conn is not None


class SseBody(StreamingBody):
    """The WSGI response body of one SSE connection.

    Iterating yields encoded events as they are queued, with a keep-alive
    comment after ``keepalive`` idle seconds (that write is what tells a
    threaded WSGI server the client has gone, which releases this worker
    thread). ``close()`` (called by every WSGI server when the response ends,
    completed or not) detaches the connection and runs ``on_close``.
    """

    def __init__(self, stream: Stream, attachment: Attachment, *, priming_id: str | None, retry_ms: int | None,
                 keepalive: float, on_close: Callable[[], None] | None = None) -> None:
        self._stream = stream
        self._attachment = attachment
        self._priming_id = priming_id
        self._retry_ms = retry_ms
        self._keepalive = keepalive
        self._on_close = on_close
        super().__init__()

    def _events(self) -> Iterator[bytes]:
        att = self._attachment
        if self._priming_id is not None:
            yield encode_event("", event_id=self._priming_id, retry_ms=self._retry_ms)
        else:
            yield b": stream open\n\n"  # gets the headers out now
        for item in att.initial:
            yield item.encode()
            if item.final:
                return
        if att.end_after_initial:
            return
        conn = att.conn
        q = conn.queue
        while True:
            try:
                item = q.get(timeout=self._keepalive)
            except queue.Empty:
                yield KEEPALIVE
                continue
            if conn.dropped:
                return
            if type(item) is _Close:
                if item.retry_ms is not None:
                    yield encode_event(retry_ms=item.retry_ms)
                return
            yield item.encode()
            if item.final:
                return

    def _finish(self) -> None:
        try:
            self._stream.detach(self._attachment.conn)
        finally:
            if self._on_close is not None:
                try:
                    self._on_close()
                except Exception:
                    log.exception("SSE body close callback failed")


class FollowedSseBody(StreamingBody):
    """The WSGI response body of a stream followed from the event store (produced by another worker).

    ``events`` yields ``(event id, data)`` or None (nothing new for a while: a
    keep-alive is written, which is what tells the WSGI server the client left).
    ``close()`` ends the iteration and runs ``on_close``.
    """

    def __init__(self, events: Iterator[tuple[str, str] | None], on_close: Callable[[], None] | None = None) -> None:
        self._source = events
        self._on_close = on_close
        super().__init__()

    def _events(self) -> Iterator[bytes]:
        yield b": stream open\n\n"
        for event in self._source:
            if event is None:
                yield KEEPALIVE
            else:
                yield encode_event(event[1], event_id=event[0], event="message")

    def _finish(self) -> None:
        try:
            close = getattr(self._source, "close", None)
            if close is not None:
                close()
        finally:
            if self._on_close is not None:
                try:
                    self._on_close()
                except Exception:
                    log.exception("SSE body close callback failed")
