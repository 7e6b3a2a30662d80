"""Caching hints of 2026-07-28 (SEP-2549): ``ttlMs`` and ``cacheScope``, without I/O.

Complete results of :data:`CACHEABLE_METHODS` must carry ``ttlMs`` (integer
>= 0, like ``max-age``; 0 = stale at once) and ``cacheScope`` (``"public"``:
shareable across authorization contexts, ``"private"``: only within one).

Server side, :class:`CachePolicy` holds the defaults (per method if wanted)
and :func:`apply_cache_hints` stamps a result: handler-provided values win
(negative ``ttlMs`` clamped to 0), an ``InputRequiredResult`` is never
stamped, and the result of an MRTR retry gets ``ttlMs: 0, cacheScope:
"private"`` (it must not be cached, but the schema still requires the fields).

Client side, :func:`read_cache_hints` reads them defensively (absent from an
older server => 0) and :class:`ResultCache` keeps fresh results keyed by
method + the params that change the result, dropping entries on
list-changed / updated notifications.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Mapping

PUBLIC = "public"
PRIVATE = "private"
SCOPES = frozenset({PUBLIC, PRIVATE})

#: Requests whose complete results are cacheable and must carry the hints.
CACHEABLE_METHODS = frozenset({
    "server/discover", "tools/list", "prompts/list", "resources/list", "resources/templates/list",
    "resources/read",
})

#: Which cached methods a notification invalidates.
INVALIDATED_BY: dict[str, tuple[str, ...]] = {
    "notifications/tools/list_changed": ("tools/list",),
    "notifications/prompts/list_changed": ("prompts/list",),
    "notifications/resources/list_changed": ("resources/list", "resources/templates/list"),
    "notifications/resources/updated": ("resources/read",),
}


def clamp_ttl(value: Any) -> int:
    """A usable ``ttlMs``: integers (and integral floats) as is, negatives and garbage as 0."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        return 0
    return max(0, value)


@dataclass
class CachePolicy:
    """Default hints a server stamps on cacheable results.

    ``ttl_ms``/``scope`` apply to every cacheable method; ``per_method`` maps a
    method to ``(ttl_ms, scope)`` overrides. The defaults (0, private) are the
    safe choice: clients may cache but re-fetch every time, and never share
    across users.
    """

    ttl_ms: int = 0
    scope: str = PRIVATE
    per_method: dict[str, tuple[int, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ttl_ms = clamp_ttl(self.ttl_ms)
        if self.scope not in SCOPES:
            raise ValueError(f"cacheScope must be 'public' or 'private', not {self.scope!r}")
        for method, (ttl, scope) in list(self.per_method.items()):
            if method not in CACHEABLE_METHODS:
                raise ValueError(f"{method!r} results are not cacheable")
            if scope not in SCOPES:
                raise ValueError(f"cacheScope must be 'public' or 'private', not {scope!r}")
            self.per_method[method] = (clamp_ttl(ttl), scope)

    def hints(self, method: str) -> tuple[int, str]:
        """``(ttlMs, cacheScope)`` for ``method``."""
        return self.per_method.get(method, (self.ttl_ms, self.scope))


DEFAULT_POLICY = CachePolicy()


def _is_retry(params: Mapping[str, Any] | None) -> bool:
    return isinstance(params, Mapping) and ("inputResponses" in params or "requestState" in params)


def apply_cache_hints(method: str, result: Mapping[str, Any], params: Mapping[str, Any] | None = None,
                      policy: CachePolicy | None = None) -> dict[str, Any]:
    """A copy of ``result`` carrying valid ``ttlMs`` and ``cacheScope`` where they belong.

    Untouched: results of other methods and results whose ``resultType`` is
    not ``"complete"`` (an ``InputRequiredResult`` is never cacheable; a
    missing ``resultType`` counts as complete). A result for an MRTR retry
    (``params`` has ``inputResponses`` or ``requestState``) gets 0/private.
    Otherwise values the handler set are kept (``ttlMs`` clamped to >= 0, an
    invalid ``cacheScope`` replaced) and missing ones come from ``policy``.
    """
    out = dict(result)
    if method not in CACHEABLE_METHODS or out.get("resultType", "complete") != "complete":
        return out
    if _is_retry(params):
        out["ttlMs"] = 0
        out["cacheScope"] = PRIVATE
        return out
    ttl, scope = (policy or DEFAULT_POLICY).hints(method)
    out["ttlMs"] = clamp_ttl(out["ttlMs"]) if "ttlMs" in out else ttl
    if out.get("cacheScope") not in SCOPES:
        out["cacheScope"] = scope
    return out


def read_cache_hints(result: Any) -> tuple[int, str]:
    """Client side: ``(ttlMs, cacheScope)`` of a received result.

    Absent or invalid ``ttlMs`` (older servers) => 0; negative => 0; absent
    or unknown ``cacheScope`` => ``"private"``. An ``InputRequiredResult`` => (0, private).
    """
    if not isinstance(result, Mapping) or result.get("resultType", "complete") != "complete":
        return 0, PRIVATE
    scope = result.get("cacheScope")
    return clamp_ttl(result.get("ttlMs")), scope if scope in SCOPES else PRIVATE


def cache_key(method: str, params: Mapping[str, Any] | None = None) -> tuple[Hashable, ...]:
    """Key for a cacheable request: the method plus the params that change the result (``uri``, ``cursor``)."""
    params = params or {}
    if method == "resources/read":
        return (method, params.get("uri"))
    if method == "server/discover":
        return (method,)
    return (method, params.get("cursor"))


@dataclass
class _Entry:
    result: dict[str, Any]
    expires: float
    scope: str
    auth_context: Hashable


class ResultCache:
    """A small client-side cache honouring ``ttlMs``/``cacheScope``.

    ``auth_context`` identifies the authorization context (e.g. a hash of the
    access token; None when unauthenticated): ``private`` entries are served
    only to the same context, ``public`` ones to any. Results with
    ``ttlMs: 0``, InputRequiredResults and results of MRTR retries are never
    stored. ``clock`` returns seconds (monotonic by default).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_entries: int = 1024) -> None:
        self._clock = clock
        self._max = max_entries
        self._lock = threading.Lock()
        self._d: dict[tuple[Hashable, ...], _Entry] = {}

    def put(self, method: str, params: Mapping[str, Any] | None, result: Mapping[str, Any],
            auth_context: Hashable = None) -> bool:
        """Store ``result`` if it may be cached; returns whether it was stored."""
        if method not in CACHEABLE_METHODS or _is_retry(params):
            return False
        ttl, scope = read_cache_hints(result)
        if ttl <= 0:
            return False
        key = cache_key(method, params)
        with self._lock:
            if len(self._d) >= self._max and key not in self._d:
                self._d.pop(next(iter(self._d)))
            self._d[key] = _Entry(dict(result), self._clock() + ttl / 1000.0, scope, auth_context)
        return True

    def get(self, method: str, params: Mapping[str, Any] | None = None,
            auth_context: Hashable = None) -> dict[str, Any] | None:
        """A fresh cached result for this request and context, or None."""
        key = cache_key(method, params)
        with self._lock:
            entry = self._d.get(key)
            if entry is None:
                return None
            if self._clock() >= entry.expires:
                del self._d[key]
                return None
            if entry.scope == PRIVATE and entry.auth_context != auth_context:
                return None
            return dict(entry.result)

    def invalidate(self, method: str, uri: str | None = None) -> None:
        """Drop every page of ``method`` (or, for ``resources/read``, only ``uri`` when given)."""
        with self._lock:
            for key in [k for k in self._d if k[0] == method]:
                if method == "resources/read" and uri is not None and key[1] != uri:
                    continue
                del self._d[key]

    def on_notification(self, method: str, params: Mapping[str, Any] | None = None) -> None:
        """Apply a list-changed / resources-updated notification."""
        uri = params.get("uri") if isinstance(params, Mapping) else None
        for target in INVALIDATED_BY.get(method, ()):
            self.invalidate(target, uri if target == "resources/read" else None)

    def clear(self) -> None:
        with self._lock:
            self._d.clear()
