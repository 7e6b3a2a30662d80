"""The client's 2026-07-28 ("modern") era: per-request ``_meta``, MRTR, header mirroring.

Nothing here is public API: :class:`~mcp_sync.client.Client` switches to it
when era detection (:mod:`mcp_sync.client.era`) finds a modern server, and
every request then goes through :meth:`ModernSupport.send`, which returns a
:class:`ModernCall` future:

* the request carries ``params._meta`` with the protocol version, the client
  capabilities derived from the configured handlers, ``clientInfo`` and the
  log level recorded by ``set_log_level`` (the modern era has no
  ``logging/setLevel``);
* a result's ``resultType`` is read (absent = ``"complete"``); an
  ``input_required`` result of ``tools/call`` / ``prompts/get`` /
  ``resources/read`` is answered with the same handlers that answer legacy
  server requests (sampling, elicitation with SEP-1034 defaults, roots), on a
  named worker thread, and the request is sent again with a new id,
  ``inputResponses`` and the server's ``requestState`` echoed unchanged
  (omitted when none was given), for at most ``max_input_rounds`` rounds;
* -32022 (unsupported version) listing a version we speak: retry once with it;
  -32020 (header mismatch) on ``tools/call`` over HTTP: list the tools again
  (their ``x-mcp-header`` annotations may have changed) and retry once;
* methods the 2026-07-28 core removed (``resources/subscribe``...) fail
  locally with :class:`~mcp_sync.errors.CapabilityError`; ``ping`` is a local
  no-op (nothing is sent; it still fails once the connection is closed).

Over HTTP the transport mirrors the body into ``MCP-Protocol-Version``,
``Mcp-Method`` and ``Mcp-Name``; :meth:`ModernSupport.param_headers` adds the
``Mcp-Param-*`` headers of ``x-mcp-header`` tool properties, from the schemas
the last tool listing returned (tools with invalid annotations are dropped from
``list_tools()`` with a warning).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Mapping

from ..errors import (
    HEADER_MISMATCH,
    INTERNAL_ERROR,
    MISSING_CLIENT_CAPABILITY,
    UNSUPPORTED_PROTOCOL_VERSION,
    CapabilityError,
    ConnectionClosed,
    McpError,
)
from ..protocol import headers as hdr
from ..protocol import modern as mp
from ..protocol.capabilities import elicitation_modes, has_capability
from ..protocol.era import choose_version
from ..protocol.versions import MODERN_VERSIONS
from ..types import DiscoverResult, Implementation, ServerCapabilities, Tool, from_wire, to_wire
from ..session import JOIN_TIMEOUT
from .client import DEFAULT_MAX_INPUT_ROUNDS, McpProtocolError
from .futures import cancel_with_reason

log = logging.getLogger("mcp_sync.client")

__all__ = [
    "DEFAULT_MAX_INPUT_ROUNDS", "InputRoundsExceeded", "ModernCall", "ModernSupport", "TASKS_EXTENSION",
    "modern_capabilities",
]


class InputRoundsExceeded(McpProtocolError):
    """The server kept answering ``input_required`` beyond ``max_input_rounds``."""


class _InputRequest:
    """The shape the client's legacy request handlers read (``method``, ``params``)."""

    __slots__ = ("method", "params")

    def __init__(self, method: str, params: Mapping[str, Any]) -> None:
        self.method = method
        self.params = dict(params)


#: The tasks extension (SEP-2663): declared under ``capabilities.extensions`` (never the 2025-11-25 ``tasks``).
TASKS_EXTENSION = "io.modelcontextprotocol/tasks"


def modern_capabilities(client: Any, *, tasks: bool | None = None) -> dict[str, Any]:
    """The ``ClientCapabilities`` of the 2026-07-28 wire, from the handlers the client was given.

    ``extensions["io.modelcontextprotocol/tasks"]`` is declared when the client
    was configured with ``tasks=`` (or ``tasks=True`` is passed here: a request
    that asks for a task itself). The 2025-11-25 ``tasks`` capability never
    appears on this wire.
    """
    declared: dict[str, Any] = {}
    if client._roots_enabled:
        declared["roots"] = {}  # no listChanged in 2026-07-28
    if client._sampling is not None:
        declared["sampling"] = {"tools": {}} if client._sampling_tools else {}
    modes: dict[str, Any] = {}
    if client._elicitation is not None:
        modes["form"] = {}
    if client._elicitation_url is not None:
        modes["url"] = {}
    if modes:
        declared["elicitation"] = modes
    if tasks is None:
        tasks = bool(getattr(client, "_tasks_config", False))
    extensions = {key: dict(value) for key, value in (getattr(client, "extensions", None) or {}).items()}
    if tasks:
        extensions[TASKS_EXTENSION] = {}
    if extensions:
        declared["extensions"] = extensions
    return declared


class ModernSupport:
    """Per-client state of the modern era (one per :class:`~mcp_sync.client.Client`)."""

    def __init__(self, client: Any, version: str, *, http: bool, max_input_rounds: int) -> None:
        self.client = client
        self._lock = threading.Lock()
        self._version = version
        #: Level recorded by ``set_log_level`` (sent as ``_meta`` logLevel on every request). With an
        #: ``on_log`` hook and no level set, "debug": every message, as a legacy session gets them.
        self.log_level: str | None = "debug" if client._hooks.get("log") is not None else None
        self.http = http
        self.max_input_rounds = max_input_rounds
        #: What every request declares (the tasks extension only when configured with ``tasks=``).
        self.capabilities = modern_capabilities(client)
        #: What a request that wants a task declares (``call_tool_as_task``, ``tasks/*``).
        self.task_capabilities = modern_capabilities(client, tasks=True)
        #: Polls modern tasks at their ``pollIntervalMs`` (started on first use).
        self._timer: _Timer | None = None
        self._client_info = to_wire(client.client_info)
        self._tool_schemas: dict[str, Any] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._closed = False
        self.discover_result: DiscoverResult | None = None

    # -- version ---------------------------------------------------------------------

    @property
    def version(self) -> str:
        with self._lock:
            return self._version

    def switch_version(self, version: str) -> None:
        with self._lock:
            self._version = version
        self.client.protocol_version = version
        self.client.session.protocol_version = version

    # -- requests ----------------------------------------------------------------------

    @property
    def tasks_declared(self) -> bool:
        """Whether every request declares the tasks extension (the client was configured with ``tasks=``)."""
        return TASKS_EXTENSION in (self.capabilities.get("extensions") or {})

    def server_has_tasks(self) -> bool:
        """Whether the server declared the tasks extension in ``server/discover``."""
        extensions = self.client._server_caps.get("extensions")
        return isinstance(extensions, Mapping) and isinstance(extensions.get(TASKS_EXTENSION), Mapping)

    def meta(self, capabilities: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The ``_meta`` every modern request carries."""
        return mp.build_request_meta(self.version, dict(self.capabilities if capabilities is None else capabilities),
                                     self._client_info, log_level=self.log_level)

    def with_meta(self, params: Mapping[str, Any] | None,
                  capabilities: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """``params`` with our ``_meta`` merged over any ``_meta`` the caller gave."""
        return mp.with_request_meta(params, self.meta(capabilities))

    def send(self, method: str, params: dict[str, Any] | None, timeout: float | None,
             progress: Callable[..., None] | None = None, *, with_tasks: bool = False) -> Future[Any]:
        """Send a request the modern way; the future's result is the final (complete or task) raw result.

        ``with_tasks``: declare the tasks extension on this request even if the
        client was not configured to declare it on every request.
        """
        if method == "ping":  # no ping in 2026-07-28: a local no-op that still reports a closed connection
            future: Future[Any] = Future()
            session = self.client.session
            if session.input_closed:
                future.set_exception(session.close_error or ConnectionClosed("client closed"))
            else:
                future.set_result({})
            return future
        if method in mp.REMOVED_METHODS:
            future = Future()
            future.set_exception(CapabilityError(removed_method_message(method)))
            return future
        capabilities = self.task_capabilities if with_tasks else self.capabilities
        return ModernCall(self, method, params, timeout, progress, capabilities).start()

    def after(self, delay: float, fn: Callable[..., None], *args: Any) -> bool:
        """Run ``fn(*args)`` on the MRTR worker threads after ``delay`` seconds; False when closing.

        One named timer thread (``...-task-poll``) waits on a condition for the
        earliest due entry; nothing sleeps in a loop.
        """
        with self._lock:
            if self._closed:
                return False
            if self._timer is None:
                self._timer = _Timer(f"{self.client.session.name}-task-poll", self.submit)
            timer = self._timer
        return timer.schedule(delay, fn, *args)

    def submit(self, fn: Callable[..., None], *args: Any) -> bool:
        """Run ``fn`` on the MRTR worker thread; False when the client is closing."""
        with self._lock:
            if self._closed:
                return False
            if self._pool is None:
                self._pool = ThreadPoolExecutor(4, thread_name_prefix=f"{self.client.session.name}-mrtr")
            pool = self._pool
        try:
            pool.submit(fn, *args)
        except RuntimeError:  # shut down meanwhile
            return False
        return True

    def close(self) -> None:
        """Stop the MRTR worker threads (after the session closed: nothing is waiting on them)."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.close()
        if pool is None:
            return
        pool.shutdown(wait=False, cancel_futures=True)
        me = threading.current_thread()
        deadline = time.monotonic() + JOIN_TIMEOUT
        for thread in list(getattr(pool, "_threads", ())):
            if thread is not me:  # a handler still waiting for a human is left to finish (daemon-like pool)
                thread.join(max(0.0, deadline - time.monotonic()))

    # -- server/discover ---------------------------------------------------------------

    def apply_discover(self, raw: Mapping[str, Any]) -> None:
        """Fill the client's ``server_info``/``server_capabilities``/``instructions`` from a DiscoverResult."""
        client = self.client
        result = from_wire(DiscoverResult, dict(raw))
        self.discover_result = result
        info = mp.server_info_of(raw)
        if info is None and isinstance(raw.get("serverInfo"), Mapping):  # some servers put it in the body
            info = dict(raw["serverInfo"])
        if info is not None:
            try:
                client.server_info = from_wire(Implementation, info)
            except ValueError as exc:
                log.debug("the server sent an unreadable serverInfo: %s", exc)
        capabilities = raw.get("capabilities")
        client._server_caps = dict(capabilities) if isinstance(capabilities, Mapping) else {}
        client.server_capabilities = result.capabilities if result.capabilities is not None else ServerCapabilities()
        client.instructions = result.instructions

    # -- MRTR answers ------------------------------------------------------------------

    def answer(self, key: str, request: Any) -> dict[str, Any]:
        """Answer one ``inputRequests`` entry with the client's handlers.

        A handler that raises something other than :class:`McpError` gives the
        McpError -32603 a legacy server would have relayed from the error answer
        to its request (the handler's exception is its ``__cause__``).
        """
        try:
            return self._answer(key, request)
        except (McpError, McpProtocolError):
            raise
        except Exception as exc:
            method = request.get("method") if isinstance(request, Mapping) else None
            log.exception("handler for %r failed", method)
            raise McpError(INTERNAL_ERROR, f"Internal error while handling {method!r}: {type(exc).__name__}") \
                from exc

    def _answer(self, key: str, request: Any) -> dict[str, Any]:
        client = self.client
        if not isinstance(request, Mapping):
            raise McpProtocolError(f"inputRequests[{key!r}] is not an object")
        method = request.get("method")
        params = request.get("params")
        params = params if isinstance(params, Mapping) else {}
        if method == mp.ELICITATION:
            mode = params.get("mode", "form")
            if mode not in elicitation_modes(self.capabilities):
                raise McpProtocolError(f"the server asked for {mode!r} elicitation ({key!r}), which this client "
                                       "did not declare")
            elicited: dict[str, Any] = client._answer_elicitation(_InputRequest(method, params))
            return elicited
        if method == mp.SAMPLING:
            if not has_capability(self.capabilities, "sampling"):
                raise McpProtocolError(f"the server asked for sampling ({key!r}), which this client did not declare")
            sampled: dict[str, Any] = client._answer_sampling(_InputRequest(method, params))
            return sampled
        if method == mp.ROOTS:
            if not has_capability(self.capabilities, "roots"):
                raise McpProtocolError(f"the server asked for roots ({key!r}), which this client did not declare")
            roots: dict[str, Any] = client._answer_roots()
            return roots
        raise McpProtocolError(f"inputRequests[{key!r}] has an unknown method {method!r}")

    # -- tools and headers -------------------------------------------------------------

    def filter_tools(self, tools: list[Tool]) -> list[Tool]:
        """Remember each tool's ``inputSchema``; over HTTP drop tools with invalid ``x-mcp-header``s."""
        kept = []
        for tool in tools:
            if self.http:
                problems = hdr.validate_x_mcp_header_schema(tool.input_schema)
                if problems:
                    log.warning("ignoring tool %r: invalid x-mcp-header annotations: %s", tool.name,
                                "; ".join(problems))
                    with self._lock:
                        self._tool_schemas.pop(tool.name, None)
                    continue
            with self._lock:
                self._tool_schemas[tool.name] = tool.input_schema
            kept.append(tool)
        return kept

    def param_headers(self, message: Mapping[str, Any]) -> dict[str, str]:
        """``Mcp-Param-*`` headers for a ``tools/call`` message (the HTTP transport's hook).

        Raises ``ValueError`` for an annotated argument that cannot be mirrored.
        """
        if message.get("method") != "tools/call":
            return {}
        params = message.get("params")
        if not isinstance(params, Mapping) or not isinstance(params.get("name"), str):
            return {}
        with self._lock:
            schema = self._tool_schemas.get(params["name"])
        if schema is None:
            return {}
        arguments = params.get("arguments")
        return hdr.param_headers(schema, arguments if isinstance(arguments, Mapping) else None)


def removed_method_message(method: str) -> str:
    hint = {
        "resources/subscribe": "; use client.subscribe(resource_uris=[...])",
        "resources/unsubscribe": "; close the Subscription instead",
        "logging/setLevel": "; client.set_log_level() records the level for later requests",
    }.get(method, "")
    return f"{method!r} does not exist in protocol 2026-07-28, which this server speaks{hint}"


class ModernCall(Future[Any]):
    """One modern request, through any number of MRTR rounds and version/header retries.

    Resolves with the final ``complete`` (or extension ``task``) raw result.
    ``cancel(reason)`` cancels the attempt in flight (stdio: ``notifications/cancelled``;
    HTTP: the response stream is closed).
    """

    def __init__(self, support: ModernSupport, method: str, params: Mapping[str, Any] | None,
                 timeout: float | None, progress: Callable[..., None] | None,
                 capabilities: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self._support = support
        self._capabilities = dict(support.capabilities if capabilities is None else capabilities)
        self._tasks_retried = False
        self.method = method
        self._params: dict[str, Any] = dict(params or {})
        self._current: dict[str, Any] = self._params
        self._timeout = timeout
        self._progress = progress
        self._lock = threading.Lock()
        self._inner: Future[Any] | None = None
        #: ``input_required`` rounds answered so far.
        self.rounds = 0
        self._version_retried = False
        self._tools_refreshed = False

    @property
    def request_id(self) -> Any:
        """JSON-RPC id of the attempt in flight (each MRTR round has a new one)."""
        with self._lock:
            inner = self._inner
        return getattr(inner, "request_id", None)

    def start(self) -> "ModernCall":
        self._attempt(self._params)
        return self

    def cancel(self, reason: str | None = None) -> bool:
        if not super().cancel():
            return False
        with self._lock:
            inner = self._inner
        if inner is not None:
            cancel_with_reason(inner, reason)
        return True

    def _fail(self, exc: BaseException) -> None:
        if not self.done():
            try:
                self.set_exception(exc)
            except Exception:  # cancelled meanwhile
                pass

    def _succeed(self, value: Any) -> None:
        if not self.done():
            try:
                self.set_result(value)
            except Exception:
                pass

    def _attempt(self, params: dict[str, Any]) -> None:
        if self.done():
            return
        self._current = params
        client = self._support.client
        try:
            inner = client.session.request(self.method, self._support.with_meta(params, self._capabilities),
                                           timeout=self._timeout, on_progress=self._progress)
        except BaseException as exc:  # e.g. an argument that cannot be mirrored into a header
            self._fail(exc)
            return
        with self._lock:
            self._inner = inner
        if self.cancelled():
            cancel_with_reason(inner, None)
            return
        inner.add_done_callback(self._on_done)

    def _retry_later(self, fn: Callable[..., None], *args: Any) -> None:
        if not self._support.submit(self._guarded, fn, *args):
            client = self._support.client
            self._fail(client.session.close_error or McpProtocolError("the client is closing"))

    def _guarded(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            fn(*args)
        except BaseException as exc:
            self._fail(exc)

    def _on_done(self, inner: Future[Any]) -> None:
        if inner.cancelled() or self.done():
            return
        exc = inner.exception()
        if exc is not None:
            self._on_error(exc)
            return
        raw = inner.result()
        try:
            kind = mp.result_type_of(raw)
        except McpError:
            self._fail(McpProtocolError(f"the result of {self.method!r} has an invalid resultType: "
                                        f"{raw.get('resultType') if isinstance(raw, Mapping) else raw!r}"))
            return
        if kind in (mp.COMPLETE, mp.TASK):
            self._succeed(raw)
        elif kind == mp.INPUT_REQUIRED:
            if self.method not in mp.MRTR_METHODS:
                self._fail(McpProtocolError(f"the server answered {self.method!r} with input_required, which only "
                                            f"{', '.join(sorted(mp.MRTR_METHODS))} may get"))
            elif self.rounds >= self._support.max_input_rounds:
                self._fail(InputRoundsExceeded(
                    f"the server still asked for input after {self.rounds} rounds of {self.method!r} "
                    f"(max_input_rounds={self._support.max_input_rounds})"))
            else:
                self.rounds += 1
                self._retry_later(self._answer_and_retry, raw)
        else:
            self._fail(McpProtocolError(f"the result of {self.method!r} has an unknown resultType {kind!r}"))

    def _on_error(self, exc: BaseException) -> None:
        support = self._support
        if isinstance(exc, McpError) and exc.code == UNSUPPORTED_PROTOCOL_VERSION and not self._version_retried:
            data = exc.data if isinstance(exc.data, Mapping) else {}
            supported = data.get("supported")
            offered = [v for v in supported if isinstance(v, str)] if isinstance(supported, list) else []
            pinned = support.client._pinned_version
            mutual = choose_version(offered, [pinned] if pinned else MODERN_VERSIONS)
            if mutual is not None:
                self._version_retried = True
                support.switch_version(mutual)
                self._retry_later(self._attempt, self._current)
                return
        if (isinstance(exc, McpError) and exc.code == MISSING_CLIENT_CAPABILITY and self.method == "tools/call"
                and not self._tasks_retried and _requires_tasks(exc.data)
                and TASKS_EXTENSION not in (self._capabilities.get("extensions") or {})):
            # The tool can only run as a task (SEP-2663): ask again declaring the extension; the caller
            # polls the task it gets to the end (call_tool) or returns its handle (call_tool_as_task).
            self._tasks_retried = True
            self._capabilities = dict(support.task_capabilities)
            self._retry_later(self._attempt, self._current)
            return
        if (isinstance(exc, McpError) and exc.code == HEADER_MISMATCH and support.http
                and self.method == "tools/call" and not self._tools_refreshed):
            self._tools_refreshed = True
            self._retry_later(self._refresh_tools_and_retry)
            return
        self._fail(exc)

    def _refresh_tools_and_retry(self) -> None:
        log.info("the server refused the headers of a tools/call (-32020); listing the tools again and retrying")
        self._support.client.list_tools()
        self._attempt(self._current)

    def _answer_and_retry(self, raw: Mapping[str, Any]) -> None:
        requests = raw.get("inputRequests")
        if requests is None:
            requests = {}
        if not isinstance(requests, Mapping):
            raise McpProtocolError("inputRequests is not an object")
        if "requestState" in raw and not isinstance(raw["requestState"], str):
            raise McpProtocolError("requestState is not a string")
        state = raw["requestState"] if "requestState" in raw else None
        responses = {}
        for key, request in requests.items():
            if self.done():
                return
            responses[key] = self._support.answer(key, request)
        self._attempt(mp.retry_params(self._params, responses, state))


def _requires_tasks(data: Any) -> bool:
    """Whether a -32021 error's ``data.requiredCapabilities`` names the tasks extension."""
    required = data.get("requiredCapabilities") if isinstance(data, Mapping) else None
    extensions = required.get("extensions") if isinstance(required, Mapping) else None
    return isinstance(extensions, Mapping) and TASKS_EXTENSION in extensions


class _Timer:
    """One named thread running callbacks at their due time (the tasks' ``pollIntervalMs``).

    Due callbacks are handed to ``submit`` (the MRTR worker pool), never run
    on the timer thread itself; the thread waits on a condition, woken by new
    entries and by :meth:`close` (which joins it).
    """

    def __init__(self, name: str, submit: Callable[..., bool]) -> None:
        self._submit = submit
        self._cond = threading.Condition()
        self._due: list[tuple[float, int, Callable[..., None], tuple[Any, ...]]] = []
        self._seq = 0
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def schedule(self, delay: float, fn: Callable[..., None], *args: Any) -> bool:
        import heapq

        with self._cond:
            if self._closed:
                return False
            self._seq += 1
            heapq.heappush(self._due, (time.monotonic() + max(0.0, delay), self._seq, fn, args))
            self._cond.notify()
        return True

    def _run(self) -> None:
        import heapq

        while True:
            with self._cond:
                while not self._closed and (not self._due or self._due[0][0] > time.monotonic()):
                    self._cond.wait(None if not self._due else self._due[0][0] - time.monotonic())
                if self._closed:
                    return
                _, _, fn, args = heapq.heappop(self._due)
            self._submit(fn, *args)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._due.clear()
            self._cond.notify_all()
        if self._thread is not threading.current_thread():
            self._thread.join(JOIN_TIMEOUT)
