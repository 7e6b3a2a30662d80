"""The interface a session needs from a transport."""

from __future__ import annotations

from typing import Any, Union

from ..errors import ConnectionClosed

#: What :meth:`Transport.receive` returns for a frame longer than the size limit:
#: the session answers it with an error and goes on reading.
OVERSIZED = object()

Frame = Union[str, bytes]


class Transport:
    """A bidirectional, message-framed connection.

    ``receive`` blocks until one frame (one JSON-RPC message or batch, not yet
    parsed) arrives and returns it, or returns None at end of stream.
    ``send`` writes one message (a dict, or a list for a batch); it must be safe
    to call from several threads at once and never interleave two messages.
    ``related_id`` names the incoming request an outgoing message belongs to;
    transports that route messages per request (Streamable HTTP) use it, others
    ignore it.
    """

    #: Push transports (an HTTP server) have no receive loop: their owner feeds
    #: messages to the session itself.
    has_reader = True
    #: True when :meth:`send` only queues or writes to a local pipe (never waits on the network):
    #: the session may then send a timed-out request's ``notifications/cancelled`` from the shared
    #: timer thread, before the caller learns of the timeout (so the cancel precedes its next call).
    quick_send = False

    def receive(self) -> Frame | object | None:
        raise NotImplementedError

    def send(self, message: Any, related_id: Any = None) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def closed_error(self) -> ConnectionClosed:
        """Why the connection ended, once ``receive`` returned None."""
        return ConnectionClosed("connection closed by the peer")
