"""An opt-in client cache honouring the 2026-07-28 ``ttlMs`` / ``cacheScope`` hints (SEP-2549).

::

    from mcp_sync import Client
    from mcp_sync.client.cache import ClientCache

    cache = ClientCache()
    with Client.http(url, cache=cache) as client:
        client.list_tools()        # sent; kept for the result's ttlMs
        client.list_tools()        # answered from the cache while fresh

What is cached: complete results of ``server/discover``, ``tools/list``,
``prompts/list``, ``resources/list``, ``resources/templates/list`` (per page)
and ``resources/read`` (per URI) that carry ``ttlMs > 0``, i.e. results of
2026-07-28 servers (a legacy result has no hints and is never kept). An entry
expires ``ttlMs`` milliseconds after it arrived (read from ``clock``,
``time.monotonic`` by default: inject another clock to test expiry).

``cacheScope``: a ``"private"`` entry is served only to the same
authorization context, a ``"public"`` one to any client sharing the cache.
The context of a client is ``auth_context(client)`` (default: the client
itself, so private entries never cross clients); one cache may be shared by
several clients, entries are kept per server (the transport's identity).

Never cached: requests with ``_meta`` or a progress callback, MRTR retries,
``InputRequiredResult``\\ s. Entries are dropped on ``list_changed`` and
``resources/updated`` notifications of their server; :meth:`ClientCache.clear`
drops everything.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from typing import Any, Callable, Hashable, Mapping

from ..protocol.caching import CACHEABLE_METHODS, ResultCache

__all__ = ["ClientCache"]


def default_auth_context(client: Any) -> Hashable:
    """The safe default: every client is its own authorization context.

    So ``private`` entries are served only to the client that fetched them, and
    ``public`` ones to every client sharing the cache. Pass
    ``auth_context=lambda client: <who it acts for>`` to share private entries
    between clients that act for the same user with the same credentials.
    """
    return ("client", id(client))


class ClientCache:
    """Results kept per server for their ``ttlMs``, served per ``cacheScope``.

    ``clock``: seconds, monotonic (default ``time.monotonic``).
    ``max_entries``: per server (the oldest entry goes first).
    ``auth_context(client)``: the key of private entries (see the module doc).
    ``hits`` and ``misses`` count lookups of cacheable requests.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, max_entries: int = 1024,
                 auth_context: Callable[[Any], Hashable] = default_auth_context) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._clock = clock
        self._max = max_entries
        self._auth_context = auth_context
        self._lock = threading.Lock()
        self._servers: dict[Hashable, ResultCache] = {}
        self.hits = 0
        self.misses = 0

    @staticmethod
    def server_key(client: Any) -> Hashable:
        """Which server a client talks to (its transport's identity; the client itself in memory)."""
        key = getattr(client.transport, "era_key", None)
        return key if key is not None else ("client", id(client))

    def _results(self, client: Any, create: bool) -> ResultCache | None:
        key = self.server_key(client)
        with self._lock:
            results = self._servers.get(key)
            if results is None and create:
                results = self._servers[key] = ResultCache(clock=self._clock, max_entries=self._max)
            return results

    # -- used by the Client ----------------------------------------------------------

    def lookup(self, client: Any, method: str, params: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """A fresh raw result for this request, or None (then the request is sent)."""
        if method not in CACHEABLE_METHODS:
            return None
        results = self._results(client, create=False)
        hit = results.get(method, params, self._auth_context(client)) if results is not None else None
        with self._lock:
            if hit is None:
                self.misses += 1
            else:
                self.hits += 1
        return hit

    def watch(self, client: Any, method: str, params: Mapping[str, Any] | None, future: Future[Any]) -> None:
        """Keep the result of ``future`` (a request just sent) if its hints allow."""
        if method not in CACHEABLE_METHODS:
            return
        context = self._auth_context(client)
        params = dict(params) if params is not None else None

        def store(done: Future[Any]) -> None:
            if done.cancelled() or done.exception() is not None:
                return
            result = done.result()
            if isinstance(result, Mapping):
                results = self._results(client, create=True)
                assert results is not None
                results.put(method, params, result, context)

        future.add_done_callback(store)

    def on_notification(self, client: Any, method: str, params: Mapping[str, Any] | None) -> None:
        """Drop what a ``list_changed`` / ``resources/updated`` notification of ``client``'s server makes stale."""
        results = self._results(client, create=False)
        if results is not None:
            results.on_notification(method, params)

    # -- for users -------------------------------------------------------------------------

    def clear(self) -> None:
        """Drop every entry of every server."""
        with self._lock:
            servers = list(self._servers.values())
        for results in servers:
            results.clear()
