"""Host and Origin checks against DNS rebinding, CORS headers, and a per-client rate limit.

A browser page on ``evil.example`` whose DNS name is re-pointed at 127.0.0.1
can reach a local server; its requests then carry ``Host: evil.example`` and
``Origin: http://evil.example``. By default a server therefore accepts only
loopback names in ``Host`` (with the port it serves on) and only loopback or
same-host origins in ``Origin``.
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import Callable, Iterable, Mapping
from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "[::1]"})


def split_host(value: str) -> tuple[str, str | None]:
    """``"Example.com:8080"`` -> ``("example.com", "8080")``; IPv6 keeps its brackets."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        if end == -1:
            return value, None
        host, rest = value[:end + 1], value[end + 1:]
        return host, rest[1:] if rest.startswith(":") else None
    host, sep, port = value.rpartition(":")
    if not sep:
        return value, None
    return host, port


def _origin_host(origin: str) -> tuple[str, str | None] | None:
    try:
        parts = urlsplit(origin.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host, port = split_host(parts.netloc.rpartition("@")[2])
    if port is None:
        port = "443" if parts.scheme == "https" else "80"
    return host, port


class HostPolicy:
    """Which ``Host`` and ``Origin`` headers a server accepts.

    ``allowed_hosts``: None means loopback names (``localhost``, ``127.0.0.1``,
    ``[::1]``) on the port the server listens on; otherwise a list of
    ``"name"`` (any port) or ``"name:port"`` entries, or ``["*"]`` for any.
    ``allowed_origins``: None means loopback origins on any port plus origins
    whose host and port equal the request's ``Host``; otherwise exact origins
    (``"https://app.example.com"``) or ``["*"]``. A request without ``Origin``
    (not from a browser) passes the origin check.
    """

    def __init__(self, allowed_hosts: Iterable[str] | None = None,
                 allowed_origins: Iterable[str] | None = None, enabled: bool = True) -> None:
        self.enabled = enabled
        self.allowed_hosts = None if allowed_hosts is None else [h.strip().lower() for h in allowed_hosts]
        self.allowed_origins = None if allowed_origins is None else [o.strip().lower().rstrip("/")
                                                                      for o in allowed_origins]

    def host_ok(self, environ: Mapping[str, str]) -> bool:
        if not self.enabled:
            return True
        raw = environ.get("HTTP_HOST")
        if not raw:
            return self.allowed_hosts is not None and "*" in self.allowed_hosts
        host, port = split_host(raw)
        if self.allowed_hosts is None:
            if port is None:
                port = "443" if environ.get("wsgi.url_scheme") == "https" else "80"
            return host in LOOPBACK_NAMES and port == str(environ.get("SERVER_PORT", port))
        for entry in self.allowed_hosts:
            if entry == "*":
                return True
            e_host, e_port = split_host(entry)
            if e_host == host and (e_port is None or e_port == port):
                return True
        return False

    def origin_ok(self, environ: Mapping[str, str]) -> bool:
        origin = environ.get("HTTP_ORIGIN")
        if not self.enabled or origin is None:
            return True
        normalized = origin.strip().lower().rstrip("/")
        if self.allowed_origins is not None:
            return "*" in self.allowed_origins or normalized in self.allowed_origins
        parsed = _origin_host(normalized)
        if parsed is None:
            return False
        host, port = parsed
        if host in LOOPBACK_NAMES:
            return True
        raw_host = environ.get("HTTP_HOST")
        if raw_host:
            req_host, req_port = split_host(raw_host)
            if req_port is None:
                req_port = "443" if environ.get("wsgi.url_scheme") == "https" else "80"
            return (host, port) == (req_host, req_port)
        return False


CORS_ALLOW_HEADERS = ("Content-Type, Accept, Authorization, Mcp-Session-Id, MCP-Protocol-Version, "
                      "Last-Event-ID, Mcp-Method, Mcp-Name")
CORS_EXPOSE_HEADERS = "Mcp-Session-Id, MCP-Protocol-Version, WWW-Authenticate"


class CorsPolicy:
    """Optional CORS: ``origins`` is a list of allowed origins or ``["*"]``."""

    def __init__(self, origins: Iterable[str]) -> None:
        self.origins = [o.strip().lower().rstrip("/") for o in origins]

    def allows(self, origin: str) -> bool:
        return "*" in self.origins or origin.strip().lower().rstrip("/") in self.origins

    def headers(self, environ: Mapping[str, str]) -> list[tuple[str, str]]:
        origin = environ.get("HTTP_ORIGIN")
        if not origin:
            return []
        if "*" in self.origins:
            allow = "*"
        elif origin.strip().lower().rstrip("/") in self.origins:
            allow = origin.strip()
        else:
            return []
        headers = [("Access-Control-Allow-Origin", allow),
                   ("Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS)]
        if allow != "*":
            headers.append(("Vary", "Origin"))
        return headers

    def preflight_headers(self, environ: Mapping[str, str]) -> list[tuple[str, str]]:
        headers = self.headers(environ)
        if headers:
            headers += [("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS"),
                        ("Access-Control-Allow-Headers", CORS_ALLOW_HEADERS),
                        ("Access-Control-Max-Age", "600")]
        return headers


def default_rate_key(environ: Mapping[str, object]) -> str:
    """Whose requests a rate limit counts together: the authenticated subject, else the client address.

    The subject is the one :class:`~mcp_sync.server.auth.BearerAuthMiddleware`
    verified. Behind a reverse proxy every client has the proxy's address:
    pass a ``rate_limit_key`` that reads the proxy's header instead.
    """
    subject = getattr(environ.get("mcp_sync.auth"), "subject", None)
    if subject:
        return f"subject:{subject}"
    return f"addr:{environ.get('REMOTE_ADDR') or ''}"


class RateLimiter:
    """Token buckets, one per key: ``rate`` requests per second on average, bursts up to ``burst``.

    :meth:`take` spends a token and returns 0.0, or returns the seconds until
    one is available (the request should be refused). At most ``max_keys``
    buckets are kept: past that, buckets that have refilled (idle keys) are
    forgotten, then the least recently used ones.
    """

    def __init__(self, rate: float, burst: float | None = None, *, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        burst = max(1.0, float(rate)) if burst is None else float(burst)
        if not rate > 0 or burst < 1 or max_keys < 1:
            raise ValueError("rate_limit needs a positive rate, a burst of at least 1 and max_keys >= 1")
        self.rate = float(rate)
        self.burst = burst
        self.max_keys = max_keys
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when counted)

    def take(self, key: str) -> float:
        now = self._clock()
        with self._lock:
            tokens, when = self._buckets.pop(key, (self.burst, now))  # re-inserted: dicts keep LRU order
            tokens = min(self.burst, tokens + (now - when) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
            if len(self._buckets) > self.max_keys:
                self._prune(now)
            return wait

    def _prune(self, now: float) -> None:
        refill = self.burst / self.rate
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < refill}
        excess = len(self._buckets) - self.max_keys // 2
        if excess > 0:  # a flood of distinct keys: forget the least recently used
            for key in list(itertools.islice(self._buckets, excess)):
                del self._buckets[key]
