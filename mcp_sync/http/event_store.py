"""Where a Streamable HTTP server keeps SSE events so a client can resume a stream.

Every event the server sends on an SSE stream gets an id ``<stream id>-<seq>``
(``seq`` counts from 1 within a stream; 0 is the priming event). A client that
lost the connection GETs the endpoint with ``Last-Event-ID`` and the server
replays that stream's later events from the store, then goes on live.

Implement :class:`EventStore` to keep events elsewhere (a database, Redis):
the three methods may be called from any thread, concurrently. They are never
called with a lock of the transport held, and events of one stream may be
stored slightly out of ``seq`` order (two threads sending at once):
``events_after`` must return them sorted.
"""

from __future__ import annotations

import collections
import threading


class EventStore:
    """The interface. ``data`` is one serialized JSON-RPC message (a JSON text)."""

    def store_event(self, stream_id: str, seq: int, data: str) -> None:
        raise NotImplementedError

    def events_after(self, stream_id: str, seq: int) -> list[tuple[int, str]] | None:
        """Events of ``stream_id`` with a sequence number above ``seq``, oldest first.

        Returns None when the store cannot give them all (some were evicted,
        or the store cannot tell): the server then resumes with what it still
        holds in memory. A stream it never saw has no events: ``[]``.
        """
        raise NotImplementedError

    def forget_stream(self, stream_id: str) -> None:
        """The stream's session ended: its events may be dropped."""


class InMemoryEventStore(EventStore):
    """Keeps the last ``max_events`` events of all streams in memory (oldest evicted first)."""

    def __init__(self, max_events: int = 10_000) -> None:
        if max_events < 1:
            raise ValueError("max_events must be at least 1")
        self.max_events = max_events
        self._lock = threading.Lock()
        self._streams: dict[str, dict[int, str]] = {}
        # Highest evicted seq per stream: a replay from below it would have a hole.
        self._evicted: dict[str, int] = {}
        self._order: collections.deque[tuple[str, int]] = collections.deque()
        self._count = 0

    def store_event(self, stream_id: str, seq: int, data: str) -> None:
        with self._lock:
            events = self._streams.setdefault(stream_id, {})
            if seq not in events:
                self._count += 1
            events[seq] = data
            self._order.append((stream_id, seq))
            while self._count > self.max_events:
                old_stream, old_seq = self._order.popleft()
                old_events = self._streams.get(old_stream)
                if old_events is None or old_events.pop(old_seq, None) is None:
                    continue  # forgotten already
                self._count -= 1
                if old_seq > self._evicted.get(old_stream, 0):
                    self._evicted[old_stream] = old_seq
                if not old_events:
                    del self._streams[old_stream]
            if len(self._order) > 2 * self.max_events:  # drop entries of forgotten streams
                self._order = collections.deque(
                    (s, q) for s, q in self._order if q in self._streams.get(s, ()))

    def events_after(self, stream_id: str, seq: int) -> list[tuple[int, str]] | None:
        with self._lock:
            if self._evicted.get(stream_id, 0) > seq:
                return None
            events = self._streams.get(stream_id)
            if events is None:
                return None if stream_id in self._evicted else []
            return sorted((s, d) for s, d in events.items() if s > seq)

    def forget_stream(self, stream_id: str) -> None:
        with self._lock:
            removed: dict[int, str] | None = self._streams.pop(stream_id, None)
            self._count -= len(removed or ())
            self._evicted.pop(stream_id, None)
            # Entries left in _order are skipped when they reach the front.

    def __len__(self) -> int:
        with self._lock:
            return self._count
