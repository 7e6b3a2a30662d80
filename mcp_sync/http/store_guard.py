"""An event store whose failures never fail a request, and are reported without flooding the log.

The Streamable HTTP app keeps SSE events in an :class:`~mcp_sync.http.EventStore`
so clients can resume streams with ``Last-Event-ID``. When that store fails
(Redis down, a disk full), the calls themselves can still be answered: only
resumption suffers. :class:`GuardedEventStore` wraps the app's store so that:

* no store exception reaches the code serving a request (``store_event`` and
  ``forget_stream`` swallow it, ``events_after`` returns None: "cannot tell",
  so the stream resumes from what the server still holds in memory), so a
  failing store never leaks a stream slot or a request id;
* the first failure logs one WARNING (with its traceback) saying that events
  are not being stored and that a client resuming a stream may miss events;
  while the store keeps failing, one summary line at most every
  ``summary_interval`` seconds says how many operations failed;
* the first success after that logs one WARNING saying storing recovered, how
  long the outage lasted and how many operations failed.

So an outage of any length logs ``2 + duration / summary_interval`` lines.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from .event_store import EventStore

log = logging.getLogger("mcp_sync.http.event_store")

#: Seconds between two "still failing" summary lines during an event-store outage.
SUMMARY_INTERVAL = 30.0


class GuardedEventStore(EventStore):
    """Wraps ``store``: its exceptions are counted and reported (rate-limited), never raised.

    ``healthy`` is False from a failure until the next success; ``failures``
    counts every failed operation since the wrapper was made.
    """

    def __init__(self, store: EventStore, *, summary_interval: float = SUMMARY_INTERVAL,
                 logger: logging.Logger | None = None) -> None:
        if isinstance(store, GuardedEventStore):
            store = store.__dict__["inner"]
        if summary_interval <= 0:
            raise ValueError("summary_interval must be positive")
        #: The wrapped store.
        self.inner: EventStore = store
        self.summary_interval = summary_interval
        self._log = logger or log
        self._lock = threading.Lock()
        self._healthy = True
        self.failures = 0
        self._outage_start = 0.0
        self._outage_failures = 0
        self._last_summary = 0.0
        self._since_summary = 0

    @property
    def healthy(self) -> bool:
        return self._healthy

    # -- the EventStore interface ---------------------------------------------

    def store_event(self, stream_id: str, seq: int, data: str) -> None:
        try:
            self.inner.store_event(stream_id, seq, data)
        except Exception as exc:
            self._failed("store_event", exc)
        else:
            self._succeeded()

    def events_after(self, stream_id: str, seq: int) -> list[tuple[int, str]] | None:
        try:
            events = self.inner.events_after(stream_id, seq)
        except Exception as exc:
            self._failed("events_after", exc)
            return None  # the store cannot tell: the stream resumes from memory
        self._succeeded()
        return events

    def forget_stream(self, stream_id: str) -> None:
        try:
            self.inner.forget_stream(stream_id)
        except Exception as exc:
            self._failed("forget_stream", exc)
        else:
            self._succeeded()

    def __getattr__(self, name: str) -> Any:  # the wrapped store's other methods (close, known...)
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    # -- health ------------------------------------------------------------------

    def _failed(self, operation: str, exc: BaseException) -> None:
        now = time.monotonic()
        with self._lock:
            self.failures += 1
            if self._healthy:
                self._healthy = False
                self._outage_start = self._last_summary = now
                self._outage_failures = 1
                self._since_summary = 0
                first = True
            else:
                first = False
                self._outage_failures += 1
                self._since_summary += 1
                if now - self._last_summary < self.summary_interval:
                    return
                count, self._since_summary = self._since_summary, 0
                window, self._last_summary = now - self._last_summary, now
                total, duration = self._outage_failures, now - self._outage_start
        # Logged with no lock held.
        if first:
            self._log.warning(
                "event store %s failed (%s: %s): SSE events are NOT being stored, so a client resuming a "
                "stream with Last-Event-ID may miss events; calls are still answered. Further failures are "
                "summarised every %.0f s until the store recovers", type(self.inner).__name__,
                type(exc).__name__, exc, self.summary_interval, exc_info=(type(exc), exc, exc.__traceback__))
            return
        self._log.warning("event store still failing: %d operations failed in the last %.0f s (%d since the "
                          "outage began %.0f s ago; last: %s %s: %s); SSE events are not being stored",
                          count, window, total, duration, operation, type(exc).__name__, exc)

    def _succeeded(self) -> None:
        if self._healthy:  # the common case: no lock
            return
        now = time.monotonic()
        with self._lock:
            if self._healthy:
                return
            self._healthy = True
            total, duration = self._outage_failures, now - self._outage_start
        self._log.warning("event store recovered after %.1f s: SSE events are stored again (%d operations failed "
                          "during the outage; events sent then cannot be replayed to a resuming client)",
                          duration, total)

    def __repr__(self) -> str:
        return f"<GuardedEventStore {self.inner!r} {'healthy' if self._healthy else 'failing'}>"
