"""Built-in server middlewares: timing, structured logging, rate limiting, error masking,
response-size limiting and response caching.

Each is a callable object ``(call, call_next) -> result`` for
:meth:`Server.add_middleware <mcp_sync.Server.add_middleware>`, so it
runs in both protocol eras and on every transport::

    from mcp_sync.server.middlewares import ErrorMasking, RateLimiting, StructuredLogging

    server.add_middleware(ErrorMasking())                  # outermost: sees every failure below it
    server.add_middleware(StructuredLogging())
    server.add_middleware(RateLimiting(rate=10, burst=20), methods=["tools/call"])

The first added is the outermost. A sensible order: :class:`ErrorMasking`
first (it then also masks what the others raise), then :class:`Timing` /
:class:`StructuredLogging` (they see every call, refused ones included), then
:class:`RateLimiting`, :class:`ResponseCaching` and :class:`ResponseSizeLimit`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any, Callable, Hashable, Mapping

from ..errors import INTERNAL_ERROR, McpError
from ..protocol.caching import (
    CACHEABLE_METHODS,
    PRIVATE,
    PUBLIC,
    CachePolicy,
    apply_cache_hints,
    cache_key,
    read_cache_hints,
)
from .middleware import NOTIFICATION, Call, CallNext

if TYPE_CHECKING:
    from .server import Server

__all__ = [
    "SAFE_ERROR",
    "ErrorMasking",
    "RATE_LIMITED",
    "RateLimiting",
    "ResponseCaching",
    "ResponseSizeLimit",
    "StructuredLogging",
    "Timing",
]

log = logging.getLogger("mcp_sync.middlewares")

#: The error code of a request refused by :class:`RateLimiting` (the implementation-defined
#: "server busy" code the HTTP layer's rate limit uses too).
RATE_LIMITED = -32000

#: ``call.state`` key a middleware sets (to True) when the error result or -32603 it produces is meant
#: for the peer and holds nothing internal (:class:`ResponseSizeLimit` does): :class:`ErrorMasking` keeps it.
SAFE_ERROR = "mcp_sync.safe_error"

#: Methods whose results are CallToolResults (``isError`` marks a failed tool).
TOOL_RESULT_METHODS = frozenset({"tools/call", "tasks/result"})


def _target(call: Call) -> str | None:
    """The tool or prompt name, or the resource URI, a call is about."""
    for key in ("name", "uri"):
        value = call.params.get(key)
        if isinstance(value, str):
            return value
    return None


def _is_tool_error(call: Call, result: Any) -> bool:
    return call.method in TOOL_RESULT_METHODS and isinstance(result, dict) and result.get("isError") is True


# -- timing and logging --------------------------------------------------------------


class Timing:
    """Times every call; logs ``"tools/call add: 1.2 ms"`` and reports to ``on_timing``.

    ``on_timing(call, seconds, error)`` (optional; ``error`` is the exception
    that ended the call, or None) feeds a metrics system. The duration is also
    left in ``call.state["duration_ms"]`` for the middlewares outside it.
    Nothing is logged when ``logger`` is None.
    """

    def __init__(self, *, logger: logging.Logger | None = log, level: int = logging.INFO,
                 on_timing: Callable[[Call, float, BaseException | None], None] | None = None) -> None:
        self.logger = logger
        self.level = level
        self.on_timing = on_timing

    def __call__(self, call: Call, call_next: CallNext) -> Any:
        start = time.perf_counter()
        error: BaseException | None = None
        try:
            return call_next(call)
        except BaseException as exc:
            error = exc
            raise
        finally:
            seconds = time.perf_counter() - start
            call.state["duration_ms"] = seconds * 1000.0
            if self.logger is not None and self.logger.isEnabledFor(self.level):
                target = _target(call)
                self.logger.log(self.level, "%s%s: %.1f ms%s", call.method, f" {target}" if target else "",
                                seconds * 1000.0, "" if error is None else f" (failed: {type(error).__name__})")
            if self.on_timing is not None:
                self.on_timing(call, seconds, error)


class StructuredLogging:
    """One structured record per call: a JSON line, with the fields also on the log record.

    Fields: ``event`` (``"mcp.request"`` / ``"mcp.notification"``), ``method``,
    ``target`` (tool/prompt name or resource URI), ``era``,
    ``protocolVersion``, ``identity``, ``client`` (the client's name),
    ``requestId``, ``durationMs``, ``outcome`` (``"ok"``, ``"tool_error"``
    for a CallToolResult with ``isError``, ``"error"``) and, for errors,
    ``errorCode`` and ``errorType``. ``include_params=True`` adds the params
    (cut to ``max_params_chars``): they may hold personal data, so it is off
    by default. The record's ``mcp`` attribute holds the same dict, for
    formatters that emit fields themselves.
    """

    def __init__(self, *, logger: logging.Logger | None = None, level: int = logging.INFO,
                 include_params: bool = False, max_params_chars: int = 1000) -> None:
        self.logger = logger if logger is not None else logging.getLogger("mcp_sync.calls")
        self.level = level
        self.include_params = include_params
        self.max_params_chars = max_params_chars

    def __call__(self, call: Call, call_next: CallNext) -> Any:
        if not self.logger.isEnabledFor(self.level):
            return call_next(call)
        record: dict[str, Any] = {
            "event": "mcp.notification" if call.kind == NOTIFICATION else "mcp.request",
            "method": call.method,
        }
        target = _target(call)
        if target is not None:
            record["target"] = target
        record.update(era=call.era, protocolVersion=call.protocol_version, identity=call.identity)
        client = call.client_info.get("name") if isinstance(call.client_info, Mapping) else None
        if client is not None:
            record["client"] = client
        if call.request_id is not None:
            record["requestId"] = call.request_id
        if self.include_params:
            text = json.dumps(call.params, default=repr)
            record["params"] = text if len(text) <= self.max_params_chars else text[:self.max_params_chars] + "..."
        start = time.perf_counter()
        try:
            result = call_next(call)
        except McpError as exc:
            record.update(outcome="error", errorCode=exc.code, errorType="McpError")
            raise
        except BaseException as exc:
            record.update(outcome="error", errorCode=INTERNAL_ERROR, errorType=type(exc).__name__)
            raise
        else:
            record["outcome"] = "tool_error" if _is_tool_error(call, result) else "ok"
            return result
        finally:
            record["durationMs"] = round((time.perf_counter() - start) * 1000.0, 3)
            self.logger.log(self.level, "%s", json.dumps(record, default=repr), extra={"mcp": record})


# -- rate limiting -------------------------------------------------------------------


def identity_key(call: Call) -> str:
    """Default :class:`RateLimiting` key: the authenticated identity, else one shared anonymous bucket."""
    return f"identity:{call.identity}" if call.identity is not None else "anonymous"


class RateLimiting:
    """A token bucket per identity, at the protocol level: ``rate`` requests per second, bursts of ``burst``.

    A request beyond the limit is answered with the JSON-RPC error
    :data:`RATE_LIMITED` (-32000), ``"Rate limit exceeded: ... retry in 0.4
    s"``, ``data: {"retryAfterMs": 400}``; the connection stays usable. The
    bucket is chosen by ``key(call)``: by default the authenticated identity
    (``call.identity``), with every unauthenticated caller sharing one bucket
    (pass ``key=`` to count per client name, per session...). Notifications
    are never limited (they cannot be answered). ``methods=`` of
    :meth:`~mcp_sync.Server.add_middleware` narrows what is counted,
    e.g. ``methods=["tools/call"]``.

    This sits beside the HTTP layer's ``rate_limit`` option (HTTP 429 before
    the body is read): that one protects the HTTP server, this one applies the
    same rule on every transport, stdio included. ``clock`` returns seconds.
    """

    def __init__(self, rate: float, burst: float | None = None, *, key: Callable[[Call], Hashable] = identity_key,
                 max_keys: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        from ..http.security import RateLimiter  # the one token bucket, shared with the HTTP layer

        self.limiter = RateLimiter(rate, burst, max_keys=max_keys, clock=clock)
        self.key = key

    def __call__(self, call: Call, call_next: CallNext) -> Any:
        if call.kind == NOTIFICATION:
            return call_next(call)
        wait = self.limiter.take(str(self.key(call)))
        if wait:
            limiter = self.limiter
            raise McpError(RATE_LIMITED, f"Rate limit exceeded: at most {limiter.rate:g} requests per second "
                                         f"(bursts of {limiter.burst:g}) per caller; retry in {wait:.1f} s",
                           {"retryAfterMs": max(1, int(wait * 1000 + 0.999))})
        return call_next(call)


# -- error masking -------------------------------------------------------------------


def _client_mistake(text: str) -> bool:
    """Tool errors about the caller's own arguments: nothing internal, worth showing to the model."""
    return text.startswith("Invalid arguments for tool")


class ErrorMasking:
    """Production error masking: no internal detail reaches the peer.

    - an unexpected exception, and an :class:`~mcp_sync.errors.McpError`
      with code -32603 (internal error), become ``-32603 "Internal error
      (reference 5f0c...)"`` with ``data: {"correlationId": "5f0c..."}``;
    - a tool result with ``isError: true`` (``tools/call``, ``tasks/result``)
      gets one text block ``"The tool failed (reference 5f0c...)"`` instead
      of the exception text (and no ``structuredContent``), except errors
      about the caller's own arguments (``reveal(text)``, by default texts
      starting "Invalid arguments for tool", which hold nothing internal);
    - ``tasks/get``: the same for a task's inlined outcome (2026-07-28
      ``result``/``error``), and a failed task's ``statusMessage`` becomes
      "Failed (reference 5f0c...)";
    - other McpErrors (invalid params, not found, a code a handler chose on
      purpose) pass unchanged: they are meant for the peer, as are errors a
      later middleware marked with ``call.state[SAFE_ERROR] = True`` (the
      size limit's).

    Not covered: what the server pushes unasked (``notifications/tasks``
    and ``notifications/tasks/status`` carry the task as it is).

    The original error, its traceback and the correlation id are logged at
    ERROR on ``logger`` (``mcp_sync.middlewares``), so an operator can find
    what a user reports. Add it first so it masks what the middlewares after
    it raise too.
    """

    def __init__(self, *, message: str = "Internal error", tool_message: str = "The tool failed",
                 mask_tool_errors: bool = True, reveal: Callable[[str], bool] = _client_mistake,
                 logger: logging.Logger = log) -> None:
        self.message = message
        self.tool_message = tool_message
        self.mask_tool_errors = mask_tool_errors
        self.reveal = reveal
        self.logger = logger

    @staticmethod
    def new_reference() -> str:
        return uuid.uuid4().hex[:16]

    def __call__(self, call: Call, call_next: CallNext) -> Any:
        try:
            result = call_next(call)
        except McpError as exc:
            if exc.code != INTERNAL_ERROR or call.state.get(SAFE_ERROR):
                raise
            reference = self.new_reference()
            self.logger.error("%s failed [reference %s]: %s (data: %r)", call.method, reference, exc.message,
                              exc.data, exc_info=exc)
            raise McpError(INTERNAL_ERROR, f"{self.message} (reference {reference})",
                           {"correlationId": reference}) from None
        except Exception as exc:
            reference = self.new_reference()
            self.logger.error("%s failed [reference %s]: %s: %s", call.method, reference, type(exc).__name__, exc,
                              exc_info=exc)
            raise McpError(INTERNAL_ERROR, f"{self.message} (reference {reference})",
                           {"correlationId": reference}) from None
        if self.mask_tool_errors and _is_tool_error(call, result) and not call.state.get(SAFE_ERROR):
            return self._mask_tool_result(call, result)
        if call.method == "tasks/get" and isinstance(result, dict):
            return self._mask_task(call, result)
        return result

    def _mask_tool_result(self, call: Call, result: dict[str, Any]) -> dict[str, Any]:
        texts = [block.get("text", "") for block in result.get("content") or ()
                 if isinstance(block, dict) and block.get("type") == "text"]
        if texts and all(self.reveal(text) for text in texts):
            return result
        reference = self.new_reference()
        self.logger.error("%s %s returned an error [reference %s]: %s", call.method, _target(call) or "",
                          reference, " | ".join(texts))
        masked = {k: v for k, v in result.items() if k not in ("content", "structuredContent")}
        masked["content"] = [{"type": "text", "text": f"{self.tool_message} (reference {reference})"}]
        return masked

    def _mask_task(self, call: Call, task: dict[str, Any]) -> dict[str, Any]:
        """A task's outcome inlined in ``tasks/get`` (2026-07-28), and a failed task's status message."""
        out = task
        inner = task.get("result")
        if self.mask_tool_errors and isinstance(inner, dict) and inner.get("isError") is True:
            out = {**out, "result": self._mask_tool_result(call, inner)}
        error = task.get("error")
        if isinstance(error, dict) and error.get("code") == INTERNAL_ERROR:
            reference = self.new_reference()
            self.logger.error("task %s failed [reference %s]: %s (data: %r)", task.get("taskId"), reference,
                              error.get("message"), error.get("data"))
            out = {**out, "error": {"code": INTERNAL_ERROR, "message": f"{self.message} (reference {reference})",
                                    "data": {"correlationId": reference}}}
        if task.get("status") == "failed" and isinstance(task.get("statusMessage"), str):
            reference = self.new_reference()
            self.logger.error("task %s failed [reference %s]: %s", task.get("taskId"), reference,
                              task["statusMessage"])
            out = {**out, "statusMessage": f"Failed (reference {reference})"}
        return out


# -- response size -------------------------------------------------------------------


def json_size(value: Any) -> int | None:
    """Bytes of ``value`` as compact UTF-8 JSON (what goes on the wire), or None if it is not JSON."""
    try:
        return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError):
        return None


class ResponseSizeLimit:
    """Refuse results larger than ``max_bytes`` (compact UTF-8 JSON), before they are sent.

    A too-large ``tools/call`` result becomes a tool error (``isError: true``:
    "The result of tool 'x' is N bytes, over this server's limit of M
    bytes"), so the model learns it should ask for less; any other result
    becomes the JSON-RPC error -32603 saying the same. Both are logged at
    WARNING. Notifications are not affected.
    """

    def __init__(self, max_bytes: int) -> None:
        if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes < 1:
            raise ValueError(f"max_bytes must be a positive integer, not {max_bytes!r}")
        self.max_bytes = max_bytes

    def __call__(self, call: Call, call_next: CallNext) -> Any:
        result = call_next(call)
        if call.kind == NOTIFICATION:
            return result
        size = json_size(result)
        if size is None or size <= self.max_bytes:
            return result
        target = _target(call)
        log.warning("the result of %s %s is %d bytes, over the limit of %d: refused", call.method, target or "",
                    size, self.max_bytes)
        call.state[SAFE_ERROR] = True  # nothing internal in what follows: ErrorMasking lets it through
        if call.method == "tools/call" and isinstance(result, dict) and result.get("resultType", "complete") == \
                "complete":
            out = {k: v for k, v in result.items() if k not in ("content", "structuredContent")}
            out["content"] = [{"type": "text", "text": f"The result of tool {target!r} is {size} bytes, over this "
                                                       f"server's limit of {self.max_bytes} bytes"}]
            out["isError"] = True
            return out
        raise McpError(INTERNAL_ERROR, f"The result of {call.method!r} is {size} bytes, over this server's limit "
                                       f"of {self.max_bytes} bytes")


# -- response caching ----------------------------------------------------------------


class _Entry:
    __slots__ = ("result", "expires")

    def __init__(self, result: dict[str, Any], expires: float) -> None:
        self.result = result
        self.expires = expires


class ResponseCaching:
    """Serve cacheable results from memory for as long as their 2026-07-28 hints allow.

    Cacheable methods are those of
    :data:`~mcp_sync.protocol.caching.CACHEABLE_METHODS` (``tools/list``,
    ``prompts/list``, ``resources/list``, ``resources/templates/list``,
    ``resources/read``, ``server/discover``). A result is kept for its
    ``ttlMs`` (``0``: not kept) and shared according to its ``cacheScope``:
    ``"public"`` entries are served to every caller, ``"private"`` ones only
    to the same identity (``call.identity``; unauthenticated callers form one
    context). On 2026-07-28 the hints are those the server stamps on the
    result (``Server(cache_ttl_ms=..., cache_scope=...)`` or the handler's
    own); legacy results carry none, so they are kept only when ``policy``
    (a :class:`~mcp_sync.protocol.caching.CachePolicy`) gives them a TTL.
    Keys include the era, protocol version, method and the params that change
    the result (``cursor``, ``uri``). Entries for a list are dropped when it
    changes, those of a resource on ``server.notify_resource_updated(uri)``
    (:meth:`Server.on_list_changed <mcp_sync.Server.on_list_changed>`); :meth:`invalidate` drops more.
    MRTR retries and ``input_required`` results are never cached. ``clock``
    returns seconds.
    """

    def __init__(self, *, policy: CachePolicy | None = None, max_entries: int = 1024,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.policy = policy
        self.max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[tuple[Hashable, ...], _Entry] = {}
        self._watched: set[int] = set()
        #: Served from the cache / computed and stored, since creation (for metrics and tests).
        self.hits = 0
        self.stores = 0

    def __call__(self, call: Call, call_next: CallNext) -> Any:
        if call.kind == NOTIFICATION or call.method not in CACHEABLE_METHODS:
            return call_next(call)
        if "inputResponses" in call.params or "requestState" in call.params:
            return call_next(call)
        self._watch(call)
        base = (call.era, call.protocol_version) + cache_key(call.method, call.params)
        now = self._clock()
        with self._lock:
            for key in ((PUBLIC,) + base, (PRIVATE, call.identity) + base):
                entry = self._entries.get(key)
                if entry is None:
                    continue
                if now >= entry.expires:
                    del self._entries[key]
                    continue
                self.hits += 1
                return dict(entry.result)
        result = call_next(call)
        if not isinstance(result, dict):
            return result
        hinted = result
        if call.era != "modern":
            if self.policy is None:
                return result
            hinted = apply_cache_hints(call.method, result, call.params, self.policy)
        ttl, scope = read_cache_hints(hinted)
        if ttl <= 0:
            return result
        key = ((PUBLIC,) if scope == PUBLIC else (PRIVATE, call.identity)) + base
        with self._lock:
            if len(self._entries) >= self.max_entries and key not in self._entries:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = _Entry(dict(result), self._clock() + ttl / 1000.0)
            self.stores += 1
        return result

    def _watch(self, call: Call) -> None:
        server: "Server | None" = getattr(call.connection, "server", None)
        if server is None or id(server) in self._watched:
            return
        with self._lock:
            if id(server) in self._watched:
                return
            self._watched.add(id(server))
        server.on_list_changed(self._list_changed)

    def _list_changed(self, kind: str) -> None:
        if kind.startswith("resource:"):  # notify_resource_updated(uri)
            self.invalidate("resources/read", kind[len("resource:"):])
            return
        methods = {"tools": ("tools/list",), "prompts": ("prompts/list",),
                   "resources": ("resources/list", "resources/templates/list")}.get(kind, ())
        for method in methods:
            self.invalidate(method)
        self.invalidate("server/discover")

    def invalidate(self, method: str | None = None, uri: str | None = None) -> None:
        """Drop every entry (``method=None``), those of ``method``, or, for ``resources/read``, of ``uri``."""
        with self._lock:
            for key in list(self._entries):
                _, method_at = _method_of(key)
                if method is not None and method_at != method:
                    continue
                if uri is not None and key[-1] != uri:
                    continue
                del self._entries[key]

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def _method_of(key: tuple[Hashable, ...]) -> tuple[int, Any]:
    """Index and value of the method in a cache key (``(scope[, identity], era, version, method, ...)``)."""
    index = 3 if key[0] == PUBLIC else 4
    return index, key[index]

