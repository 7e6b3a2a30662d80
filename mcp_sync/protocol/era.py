"""Which era a server speaks (legacy ``initialize`` vs modern per-request ``_meta``), without I/O.

A dual-era client does not know in advance whether a server speaks the
2026-07-28 wire. These state machines turn what the transport observed into
an :class:`EraDecision`; the transport acts on it (send the request again,
send ``initialize``, open an HTTP+SSE connection, or give up).

stdio (:class:`StdioEraProbe`): send ``server/discover`` with the preferred
modern version first.

* a ``DiscoverResult`` -> modern, with the best mutual version;
* a recognized modern error (-32022 with ``data.supported``; -32020; -32021)
  -> modern; after -32022, retry once with a version from the list;
* any other error, a non-discover result, or no answer in time -> legacy
  ``initialize``. Never key the fallback on one specific code: legacy
  servers answer pre-``initialize`` requests with all sorts of errors, or not at all.

HTTP (:class:`HttpEraProbe`): send a modern request first.

* 2xx with a result -> modern;
* 400 (or any status) whose body is a recognized modern JSON-RPC error ->
  modern (retry with a listed version after -32022);
* 404 whose body is a JSON-RPC -32601 -> modern (the server lacks the method);
* 400/404/405 with an empty or unrecognized body -> legacy ``initialize``;
  if that ``initialize`` POST then fails with 400/404/405 -> HTTP+SSE (2024-11-05);
* 401/403, 5xx, other statuses, network errors -> not an era signal
  (:data:`ERROR`; authenticate or report, then probe again).

Cache the outcome per server process (stdio) or per origin (HTTP) in an
:class:`EraCache`.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from ..errors import (
    HEADER_MISMATCH,
    METHOD_NOT_FOUND,
    MISSING_CLIENT_CAPABILITY,
    UNSUPPORTED_PROTOCOL_VERSION,
)
from .versions import ALL_VERSIONS, LEGACY_VERSIONS, MODERN_VERSIONS, is_modern

MODERN = "modern"
LEGACY = "legacy"
LEGACY_SSE = "legacy-sse"

# decision actions
USE = "use"                    #: the era is known: carry on (modern: use ``version``)
RETRY = "retry"                #: modern: send the same request again with ``version`` (new id)
INITIALIZE = "initialize"      #: legacy: do the ``initialize`` handshake (``version`` = what to ask for)
HTTP_SSE = "http-sse"          #: legacy 2024-11-05 HTTP+SSE transport: GET the SSE endpoint
FAIL = "fail"                  #: no protocol version both sides speak
ERROR = "error"                #: not an era signal (auth, server error, network); surface it

MODERN_ERROR_CODES = frozenset({HEADER_MISMATCH, MISSING_CLIENT_CAPABILITY, UNSUPPORTED_PROTOCOL_VERSION})


@dataclass(frozen=True)
class EraDecision:
    """What the transport should do next."""

    action: str
    era: str | None = None
    version: str | None = None
    reason: str = ""


def choose_version(server_supported: Iterable[str], client_supported: Iterable[str]) -> str | None:
    """The newest version both sides support, or None."""
    mutual = set(server_supported) & set(client_supported)
    if not mutual:
        return None
    known = [v for v in mutual if v in ALL_VERSIONS]
    return max(known) if known else max(mutual)


def is_modern_error(error: Any) -> bool:
    """True for a JSON-RPC error object only a modern server sends (-32020/-32021/-32022).

    -32022 counts only with ``data.supported`` as a list of strings.
    """
    if not isinstance(error, Mapping):
        return False
    code = error.get("code")
    if isinstance(code, bool) or code not in MODERN_ERROR_CODES:
        return False
    if code == UNSUPPORTED_PROTOCOL_VERSION:
        return _supported_list(error) is not None
    return True


def _supported_list(error: Mapping[str, Any]) -> list[str] | None:
    data = error.get("data")
    supported = data.get("supported") if isinstance(data, Mapping) else None
    if isinstance(supported, list) and all(isinstance(v, str) for v in supported):
        return supported
    return None


def is_discover_result(result: Any) -> bool:
    """True if ``result`` looks like a ``DiscoverResult``."""
    return (isinstance(result, Mapping) and isinstance(result.get("supportedVersions"), list)
            and isinstance(result.get("capabilities"), Mapping))


class _Probe:
    def __init__(self, client_versions: Iterable[str] = ALL_VERSIONS, *, max_retries: int = 1) -> None:
        self.client_versions = tuple(client_versions)
        self.modern_versions = tuple(v for v in self.client_versions if is_modern(v))
        self.legacy_versions = tuple(v for v in self.client_versions if not is_modern(v))
        if not self.modern_versions:
            raise ValueError("the client speaks no modern version: there is nothing to probe")
        #: The modern version the next probe request should carry.
        self.version = max(self.modern_versions)
        self.retries_left = max_retries
        self.decision: EraDecision | None = None

    def _done(self, decision: EraDecision) -> EraDecision:
        if decision.action in (USE, FAIL, INITIALIZE, HTTP_SSE):
            self.decision = decision
        return decision

    def _legacy(self, reason: str) -> EraDecision:
        if not self.legacy_versions:
            return self._done(EraDecision(FAIL, None, None, reason + "; and this client speaks no legacy version"))
        return self._done(EraDecision(INITIALIZE, LEGACY, max(self.legacy_versions), reason))

    def on_result(self, result: Any) -> EraDecision:
        """The probe request got a successful JSON-RPC result."""
        if not is_discover_result(result) and not (isinstance(result, Mapping) and "resultType" in result):
            return self._legacy("the answer is not a modern result")
        if not is_discover_result(result):
            return self._done(EraDecision(USE, MODERN, self.version, "modern result"))
        offered = [v for v in result["supportedVersions"] if isinstance(v, str)]
        modern = choose_version(offered, self.modern_versions)
        if modern is not None:
            return self._done(EraDecision(USE, MODERN, modern, "server/discover answered"))
        legacy = choose_version(offered, self.legacy_versions)
        if legacy is not None:
            return self._done(EraDecision(INITIALIZE, LEGACY, legacy,
                                          "the server lists only legacy versions we share"))
        return self._done(EraDecision(FAIL, MODERN, None, f"no mutual version in {offered}"))

    def on_error(self, error: Any) -> EraDecision:
        """The probe request got a JSON-RPC error object."""
        if not is_modern_error(error):
            return self._legacy(f"error {error.get('code') if isinstance(error, Mapping) else error!r} "
                                "is not a modern one")
        if error.get("code") != UNSUPPORTED_PROTOCOL_VERSION:
            return self._done(EraDecision(USE, MODERN, self.version, f"modern error {error.get('code')}"))
        offered = _supported_list(error) or []
        modern = choose_version(offered, self.modern_versions)
        if modern is not None:
            if self.retries_left <= 0:
                return self._done(EraDecision(FAIL, MODERN, None,
                                              f"the server keeps rejecting versions it lists ({offered})"))
            self.retries_left -= 1
            self.version = modern
            return EraDecision(RETRY, MODERN, modern, "retry with a version the server listed")
        legacy = choose_version(offered, self.legacy_versions)
        if legacy is not None:
            return self._done(EraDecision(INITIALIZE, LEGACY, legacy,
                                          "the server supports only legacy versions we share"))
        return self._done(EraDecision(FAIL, MODERN, None, f"no mutual version in {offered}"))


class StdioEraProbe(_Probe):
    """Era detection over stdio: probe with ``server/discover`` carrying :attr:`version`."""

    method = "server/discover"

    def on_timeout(self) -> EraDecision:
        """No answer to the probe within the timeout: a legacy server waiting for ``initialize``."""
        return self._legacy("no answer to server/discover")


def parse_body(body: Any) -> Any:
    """A JSON-RPC message from an HTTP body: bytes/str JSON, an already decoded dict, or SSE text.

    Returns None when the body is empty or not recognizable.
    """
    if body is None:
        return None
    if isinstance(body, Mapping):
        return body
    if isinstance(body, (bytes, bytearray)):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            return None
    if not isinstance(body, str) or not body.strip():
        return None
    try:
        return json.loads(body)
    except ValueError:
        pass
    # text/event-stream: take the last "data:" event that parses as a JSON-RPC response
    found = None
    data_lines: list[str] = []
    for line in body.splitlines() + [""]:
        if line.startswith("data:"):
            data_lines.append(line[5:].lstrip(" "))
        elif not line.strip():
            if data_lines:
                try:
                    msg = json.loads("\n".join(data_lines))
                except ValueError:
                    msg = None
                if isinstance(msg, Mapping) and ("result" in msg or "error" in msg):
                    found = msg
                data_lines = []
    return found


class HttpEraProbe(_Probe):
    """Era detection over Streamable HTTP: probe with a modern POST carrying :attr:`version`."""

    def __init__(self, client_versions: Iterable[str] = ALL_VERSIONS, *, max_retries: int = 1,
                 allow_sse_fallback: bool = True) -> None:
        super().__init__(client_versions, max_retries=max_retries)
        self.allow_sse_fallback = allow_sse_fallback

    def on_response(self, status: int, body: Any = None) -> EraDecision:
        """The modern probe POST was answered with ``status`` and ``body`` (bytes, str or dict)."""
        message = parse_body(body)
        error = message.get("error") if isinstance(message, Mapping) else None
        if 200 <= status < 300:
            if isinstance(message, Mapping) and "result" in message:
                return self.on_result(message["result"])
            if isinstance(error, Mapping):
                return self.on_error(error)
            if status == 202:
                return self._done(EraDecision(USE, MODERN, self.version, "notification accepted"))
            return self._legacy(f"HTTP {status} without a JSON-RPC answer")
        if isinstance(error, Mapping) and is_modern_error(error):
            return self.on_error(error)
        if status == 404 and isinstance(error, Mapping) and error.get("code") == METHOD_NOT_FOUND:
            return self._done(EraDecision(USE, MODERN, self.version,
                                          "404 with a JSON-RPC -32601 body: a modern server without that method"))
        if status in (400, 404, 405):
            return self._legacy(f"HTTP {status} without a modern JSON-RPC error")
        return EraDecision(ERROR, None, None, f"HTTP {status} is not an era signal")

    def on_initialize_response(self, status: int, body: Any = None) -> EraDecision:
        """After falling back: the legacy ``initialize`` POST got ``status`` (and ``body``).

        400/404/405 without a JSON-RPC body means an old HTTP+SSE server. A
        JSON-RPC error body means a Streamable HTTP server refused both wires:
        if it lists versions (a modern-only server answering ``initialize``),
        retry modern with one of them, else report the error.
        """
        if 200 <= status < 300:
            return self._done(EraDecision(USE, LEGACY, self.decision.version if self.decision else None,
                                          "initialize accepted"))
        message = parse_body(body)
        error = message.get("error") if isinstance(message, Mapping) else None
        if isinstance(error, Mapping):
            offered = _supported_list(error)
            modern = choose_version(offered or [], self.modern_versions)
            if modern is not None:
                self.decision = None
                self.version = modern
                return EraDecision(RETRY, MODERN, modern, "initialize refused by a modern server listing versions")
            return EraDecision(ERROR, None, None, f"initialize refused with JSON-RPC error {error.get('code')}")
        if status in (400, 404, 405) and self.allow_sse_fallback:
            return self._done(EraDecision(HTTP_SSE, LEGACY_SSE, "2024-11-05",
                                          f"initialize POST got HTTP {status}: try the HTTP+SSE transport"))
        return EraDecision(ERROR, None, None, f"initialize POST got HTTP {status}")


class EraCache:
    """Remembers the era (and version) per server key: a command line for stdio, an origin for HTTP."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._d: dict[str, EraDecision] = {}

    def get(self, key: str) -> EraDecision | None:
        with self._lock:
            return self._d.get(key)

    def put(self, key: str, decision: EraDecision) -> None:
        """Store a final decision (``use``, ``initialize``, ``http-sse``); others are ignored."""
        if decision.action in (USE, INITIALIZE, HTTP_SSE):
            with self._lock:
                self._d[key] = decision

    def forget(self, key: str) -> None:
        """Drop a key (e.g. after the server was upgraded and the cached era failed)."""
        with self._lock:
            self._d.pop(key, None)


__all__ = [
    "EraCache", "EraDecision", "HttpEraProbe", "StdioEraProbe", "choose_version", "is_discover_result",
    "is_modern_error", "parse_body", "MODERN", "LEGACY", "LEGACY_SSE", "USE", "RETRY", "INITIALIZE",
    "HTTP_SSE", "FAIL", "ERROR", "LEGACY_VERSIONS", "MODERN_VERSIONS",
]
