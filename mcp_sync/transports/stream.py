"""Newline-delimited JSON-RPC over a pair of binary streams (the stdio framing)."""

from __future__ import annotations

import threading
from typing import Any, BinaryIO

from ..errors import ConnectionClosed
from ..limits import DEFAULT_MAX_MESSAGE_SIZE, Limits
from ..protocol.jsonrpc import encode
from .base import OVERSIZED, Frame, Transport

#: Default limit on one line (one message): ``Limits.max_message_size``, 16 MiB.
DEFAULT_MAX_LINE = DEFAULT_MAX_MESSAGE_SIZE


class StreamTransport(Transport):
    """One JSON-RPC message per line on ``reader``/``writer`` (binary files).

    Lines longer than ``max_line`` bytes are skipped up to their newline and
    reported as :data:`OVERSIZED`, so one huge line costs bounded memory and
    does not end the connection. ``limits`` (when given) sets ``max_line`` from
    :attr:`Limits.max_message_size <mcp_sync.limits.Limits.max_message_size>`.
    """

    def __init__(self, reader: BinaryIO, writer: BinaryIO, *, max_line: int = DEFAULT_MAX_LINE,
                 limits: Limits | None = None) -> None:
        self._reader = reader
        self._writer = writer
        self._max_line = limits.max_message_size if limits is not None else max_line
        self._write_lock = threading.Lock()
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
        data = encode(message) + b"\n"
        with self._write_lock:
            if self._closed:
                raise ConnectionClosed("connection closed")
            try:
                self._writer.write(data)
                self._writer.flush()
            except (OSError, ValueError) as exc:
                raise ConnectionClosed(f"cannot write to the peer: {exc}") from None

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
