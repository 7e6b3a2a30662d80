"""An in-memory transport pair, for tests and for embedding a server in-process."""

from __future__ import annotations

import queue
import threading
from typing import Any

from ..errors import ConnectionClosed
from ..protocol.jsonrpc import dumps
from .base import Frame, Transport

_EOF = None


class MemoryTransport(Transport):
    """One end of an in-memory connection. Make a connected pair with :meth:`pair`.

    Messages are serialized to JSON text on the way, exactly as on a real wire,
    so nothing that could not cross a pipe crosses this one.
    """

    def __init__(self) -> None:
        self._inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._peer: MemoryTransport | None = None
        self._lock = threading.Lock()
        self._closed = False

    @classmethod
    def pair(cls) -> tuple["MemoryTransport", "MemoryTransport"]:
        a, b = cls(), cls()
        a._peer, b._peer = b, a
        return a, b

    def receive(self) -> Frame | None:
        frame: Frame | None = self._inbox.get()
        return frame

    quick_send = True  # a hand-over to the peer's queue

    def send(self, message: Any, related_id: Any = None) -> None:
        data = dumps(message)
        with self._lock:
            if self._closed:
                raise ConnectionClosed("connection closed")
            peer = self._peer
        assert peer is not None, "use MemoryTransport.pair()"
        peer._deliver(data)

    def _deliver(self, data: str | None) -> None:
        with self._lock:
            if self._closed:
                return
            if data is _EOF:
                self._closed = True
        self._inbox.put(data)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            peer = self._peer
        self._inbox.put(_EOF)  # wake our own reader
        if peer is not None:
            peer._deliver(_EOF)  # the peer sees end of stream
