"""Server-Sent Events: encoding for the server, an incremental parser for the client.

The parser follows the WHATWG event-stream rules: lines end with CRLF, LF or
CR; ``id`` and ``retry`` take effect even on an event without data (a
*priming* event is exactly that: an id and an empty ``data`` field); a field
``id`` containing NUL is ignored; ``retry`` must be all ASCII digits; lines
starting with ``:`` are comments (keep-alives).
"""

from __future__ import annotations

from typing import NamedTuple

#: Headers every SSE response of ours carries.
SSE_HEADERS = [
    ("Content-Type", "text/event-stream"),
    ("Cache-Control", "no-cache, no-transform"),
    ("X-Accel-Buffering", "no"),
]

KEEPALIVE = b": keep-alive\n\n"


def encode_event(data: str | None = None, *, event_id: str | None = None, event: str | None = None,
                 retry_ms: int | None = None) -> bytes:
    """One SSE event as bytes. ``data=""`` sends an empty ``data`` field (a priming event)."""
    lines: list[str] = []
    if event is not None:
        lines.append(f"event: {event}")
    if event_id is not None:
        lines.append(f"id: {event_id}")
    if retry_ms is not None:
        lines.append(f"retry: {int(retry_ms)}")
    if data is not None:
        parts = data.splitlines() or [""]
        lines.extend(f"data: {part}" if part else "data:" for part in parts)
    return ("\n".join(lines) + "\n\n").encode("utf-8")


class SseEvent(NamedTuple):
    """A dispatched event: ``event`` type (default ``message``), ``data``, and
    ``id``: the value of this event's own ``id`` field (None if it had none)."""

    event: str
    data: str
    id: str | None


class SseParser:
    """Feed bytes as they arrive; get complete events back.

    ``last_event_id`` and ``retry_ms`` are updated as fields are parsed, also
    for events that carry no data (which are not returned).
    """

    def __init__(self) -> None:
        self._buffer = b""
        self._started = False
        self._data: list[str] = []
        self._event = ""
        self._id_buffer: str | None = None
        self._own_id: str | None = None
        #: The id of the last event seen (what to send as ``Last-Event-ID``).
        self.last_event_id: str | None = None
        #: The reconnection delay the server asked for, in milliseconds.
        self.retry_ms: int | None = None

    def feed(self, chunk: bytes) -> list[SseEvent]:
        events: list[SseEvent] = []
        buf = self._buffer + chunk
        if not self._started and buf:
            if len(buf) < 3 and b"\xef\xbb\xbf".startswith(buf):
                self._buffer = buf
                return events
            if buf.startswith(b"\xef\xbb\xbf"):
                buf = buf[3:]
            self._started = True
        start = 0
        n = len(buf)
        while True:
            cr = buf.find(b"\r", start)
            lf = buf.find(b"\n", start)
            if cr == -1 and lf == -1:
                break
            if cr != -1 and (lf == -1 or cr < lf):
                if cr + 1 == n:  # a CR at the end: maybe the first half of CRLF
                    break
                end, nxt = cr, cr + 2 if buf[cr + 1:cr + 2] == b"\n" else cr + 1
            else:
                end, nxt = lf, lf + 1
            self._line(buf[start:end].decode("utf-8", errors="replace"), events)
            start = nxt
        self._buffer = buf[start:]
        return events

    def finish(self) -> list[SseEvent]:
        """End of stream: a pending incomplete event is discarded (per the SSE rules)."""
        events: list[SseEvent] = []
        if self._buffer.endswith(b"\r"):
            self._line(self._buffer[:-1].decode("utf-8", errors="replace"), events)
        self._buffer = b""
        self._data, self._event, self._own_id = [], "", None
        return events

    def _line(self, line: str, events: list[SseEvent]) -> None:
        if not line:
            self._dispatch(events)
            return
        if line.startswith(":"):
            return
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._id_buffer = value
                self._own_id = value
        elif name == "retry":
            if value.isascii() and value.isdigit():
                self.retry_ms = int(value)

    def _dispatch(self, events: list[SseEvent]) -> None:
        if self._id_buffer is not None:
            self.last_event_id = self._id_buffer
        if self._data:
            events.append(SseEvent(self._event or "message", "\n".join(self._data), self._own_id))
        self._data, self._event, self._own_id = [], "", None
