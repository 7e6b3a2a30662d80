"""The worker threads every session of one HTTP app shares.

Each session of :class:`~mcp_sync.http.McpWsgiApp` (legacy Streamable HTTP,
HTTP+SSE, stateless requests) runs its handlers, and in order its
notifications, on one app-wide :class:`~mcp_sync.session.HandlerPool`: the
pool is bounded, starts on first use (after a fork, in each worker process),
grows only when its workers are all blocked, and its idle workers exit. An
idle session costs no thread; an open SSE stream costs its connection's thread
(the WSGI server's) and nothing more.
"""

from __future__ import annotations

import threading

from ..session import HandlerPool

#: The fewest workers the app-wide pool may grow to (it is also at least 4 x ``Server.max_workers``).
MIN_APP_WORKERS = 64


class AppHandlerPool:
    """Makes the app's :class:`HandlerPool` on first use; :meth:`close` stops and joins it."""

    def __init__(self, name: str, max_workers: int) -> None:
        self.name = name
        self.max_workers = max(MIN_APP_WORKERS, max_workers)
        self._lock = threading.Lock()
        self._pool: HandlerPool | None = None
        self._closed = False

    def get(self) -> HandlerPool | None:
        """The pool (started now if needed), or None once closed (a session then keeps its own)."""
        with self._lock:
            if self._closed:
                return None
            if self._pool is None:
                self._pool = HandlerPool(self.max_workers, thread_name_prefix=self.name)
            return self._pool

    def close(self) -> None:
        """Stop the pool: work not started is dropped, running work finishes; joins the threads."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
