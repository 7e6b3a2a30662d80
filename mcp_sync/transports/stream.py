"""Newline-delimited JSON-RPC over a pair of binary streams (the stdio framing)."""

from __future__ import annotations

import collections
import threading
from typing import Any, BinaryIO

from ..errors import ConnectionClosed
from ..limits import DEFAULT_MAX_MESSAGE_SIZE, Limits
from ..protocol.jsonrpc import encode
from .base import OVERSIZED, Frame, Transport

#: Default limit on one line (one message): ``Limits.max_message_size``, 16 MiB.
DEFAULT_MAX_LINE = DEFAULT_MAX_MESSAGE_SIZE
#: Bytes that may wait for the thread writing (see :meth:`StreamTransport.send`) before senders block
#: for their turn instead: a peer that stops reading stops the senders, as a blocking write would.
MAX_QUEUED_BYTES = 1 << 20


class StreamTransport(Transport):
    """One JSON-RPC message per line on ``reader``/``writer`` (binary files).

    Sends are quick (:attr:`~mcp_sync.transports.base.Transport.quick_send`): a write to a pipe,
    or a queued line while another thread writes.

    Lines longer than ``max_line`` bytes are skipped up to their newline and
    reported as :data:`OVERSIZED`, so one huge line costs bounded memory and
    does not end the connection. ``limits`` (when given) sets ``max_line`` from
    :attr:`Limits.max_message_size <mcp_sync.limits.Limits.max_message_size>`.
    """

    quick_send = True

    def __init__(self, reader: BinaryIO, writer: BinaryIO, *, max_line: int = DEFAULT_MAX_LINE,
                 limits: Limits | None = None) -> None:
        self._reader = reader
        self._writer = writer
        self._max_line = limits.max_message_size if limits is not None else max_line
        self._write_lock = threading.Lock()
        self._queue: collections.deque[bytes] = collections.deque()  # lines waiting for the writing thread
        self._queued = 0  # their size in bytes (approximate: updated without a lock)
        self._broken: ConnectionClosed | None = None  # why the last write failed
        self._closed = False

    def receive(self) -> Frame | object | None:
        while True:
            try:
                line = self._reader.readline(self._max_line + 1)
            except (OSError, ValueError):  # closed under us
                return None
            if not line:
                return None
            if len(line) > self._max_line and not line.endswith(b"\n"):
                self._skip_rest_of_line()
                return OVERSIZED
            if line.strip():
                return line
            # blank lines between messages are tolerated

    def _skip_rest_of_line(self) -> None:
        while True:
            try:
                chunk = self._reader.readline(65536)
            except (OSError, ValueError):
                return
            if not chunk or chunk.endswith(b"\n"):
                return

    @property
    def max_message_size(self) -> int:
        """The longest line (in bytes) this transport accepts."""
        return self._max_line

    def send(self, message: Any, related_id: Any = None) -> None:
        """Write one message as a line; safe from any number of threads.

        Messages are written whole and in the order their ``send`` calls
        queued them. A thread that finds another one writing does not wait
        for it: it queues its line and returns, and the writing thread writes
        it too (in the same ``write``, when several are waiting) before it lets
        go of the pipe. That saves a sleep and a wake-up per message when
        several threads answer at once (16 requests in flight, task results).
        Once ``MAX_QUEUED_BYTES`` are waiting (the peer is not reading),
        senders block for their turn as a plain locked write would.
        """
        data = encode(message) + b"\n"
        if self._closed:
            raise ConnectionClosed("connection closed")
        if self._broken is not None:
            raise ConnectionClosed(str(self._broken))
        queue = self._queue
        queue.append(data)
        self._queued += len(data)
        lock = self._write_lock
        if not lock.acquire(False):
            if self._queued <= MAX_QUEUED_BYTES:
                return  # the thread writing now (or the next one) writes it
            lock.acquire()  # back-pressure: wait for the pipe like a blocking write
        self._drain_and_release()

    def _drain_and_release(self) -> None:
        """With ``_write_lock`` held: write every queued line, release, and again if more came meanwhile.

        Raises ConnectionClosed if the lines could not be written on the first
        round (the one holding this thread's own line); later rounds write
        other threads' lines, and a failure there is left for the next ``send``.
        """
        queue, lock = self._queue, self._write_lock
        first = True
        while True:
            error: ConnectionClosed | None = None
            try:
                if self._closed:
                    error = ConnectionClosed("connection closed")
                elif self._broken is not None:
                    error = self._broken
                while error is None and queue:
                    parts = [queue.popleft()]
                    while queue and len(parts) < 64:
                        parts.append(queue.popleft())
                    data = parts[0] if len(parts) == 1 else b"".join(parts)
                    try:
                        self._writer.write(data)
                        self._writer.flush()
                    except (OSError, ValueError) as exc:
                        error = self._broken = ConnectionClosed(f"cannot write to the peer: {exc}")
                if error is not None:
                    queue.clear()  # these lines can never be written
                self._queued = 0  # (re)counted from empty: the unlocked += may have drifted
            finally:
                lock.release()
            if error is not None and first:
                raise ConnectionClosed(str(error)) from None
            first = False
            # A line queued after our last look by a thread that found the lock held is ours to
            # write, unless another thread has taken the lock since (then it is that thread's).
            if not queue or not lock.acquire(False):
                return

    def close(self) -> None:
        """Close the writing side.

        The reading side is left alone: closing a buffered file while another
        thread is blocked reading it would block here. The reader ends when the
        peer closes its end; owners that can make that happen (the stdio client
        ends its child) close the reader afterwards.
        """
        with self._write_lock:
            if self._closed:
                return
            self._closed = True
            try:
                self._writer.close()
            except (OSError, ValueError):
                pass
