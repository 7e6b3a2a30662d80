"""OpenTelemetry tracing for servers and clients, with W3C trace context carried in request ``_meta``.

Needs the ``opentelemetry-api`` package (``pip install 'mcp-sync[otel]'``);
mcp_sync itself never imports this module, so without it nothing is traced
and nothing is imported. Spans go to the global tracer provider (or the
``tracer_provider=`` given), so configure the OpenTelemetry SDK and its
exporters as usual::

    from mcp_sync.otel import instrument

    instrument(server)   # SERVER spans for every request handled, in both eras
    instrument(client)   # CLIENT spans for every request sent (before open())

What is traced:

* **client call**: a ``CLIENT`` span per request a :class:`~mcp_sync.Client`
  sends (``tools/call add``), its context injected into the request's
  ``params._meta`` as ``traceparent``/``tracestate`` (and ``baggage``): the
  un-prefixed keys the 2026-07-28 revision reserves for W3C trace context,
  and what the official SDKs send;
* **server request**: a ``SERVER`` span per request the server handles, the
  child of the context in its ``_meta`` (so one trace crosses processes),
  else of whatever span is current;
* **tool execution**: an ``INTERNAL`` span ``execute_tool <name>`` inside the
  ``tools/call`` span;
* **server-to-client requests** (sampling, elicitation, roots on a legacy
  session): a ``CLIENT`` span on the server, the child of the tool's span,
  and a ``SERVER`` span on the client around its handler;
* **task lifetime**: an ``INTERNAL`` span ``task <tool>`` from the
  ``CreateTaskResult`` until the task is terminal (or deleted); the requests
  the task's work sends the client (tagged with the related task) are its
  children.

Span names are ``<method> <target>`` (the tool or prompt name, or the
resource URI) and attributes follow the OpenTelemetry MCP conventions, as the
official Python SDK does: ``mcp.method.name``, ``mcp.protocol.version``,
``jsonrpc.request.id``, ``mcp.resource.uri``, ``gen_ai.operation.name``
(``execute_tool``), ``gen_ai.tool.name``, ``gen_ai.prompt.name``; failures
set the status ERROR and ``error.type`` (the JSON-RPC code, ``tool_error``
for a tool result with ``isError``, or the exception type) and
``rpc.response.status_code``.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Callable, Mapping

from . import __version__
from .errors import McpError
from .server.middleware import NOTIFICATION, Call, CallNext

if TYPE_CHECKING:
    from .session import IncomingRequest, Session

__all__ = ["ClientTracing", "ServerTracing", "TRACER_NAME", "extract_trace_context", "inject_trace_context",
           "instrument", "trace_session"]

#: The instrumentation scope of every span.
TRACER_NAME = "mcp_sync"


def _api() -> tuple[Any, Any]:
    """The ``opentelemetry.trace`` and ``opentelemetry.propagate`` modules, or a clear ImportError."""
    try:
        from opentelemetry import propagate, trace
    except ImportError as exc:  # pragma: no cover - the test environment has it
        raise ImportError("mcp_sync.otel needs the OpenTelemetry API: pip install 'mcp-sync[otel]' "
                          "(or opentelemetry-api), plus an SDK to export spans") from exc
    return trace, propagate


def _tracer(tracer_provider: Any = None) -> Any:
    trace, _ = _api()
    return trace.get_tracer(TRACER_NAME, __version__, tracer_provider=tracer_provider)


def inject_trace_context(meta: dict[str, Any], context: Any = None) -> None:
    """Write the W3C trace context (``traceparent``, ``tracestate``, ``baggage``) of ``context``
    (default: the current one) into a ``_meta`` dict."""
    _, propagate = _api()
    propagate.inject(meta, context=context)


def extract_trace_context(meta: Mapping[str, Any] | None) -> Any:
    """The OpenTelemetry context a ``_meta`` dict carries, or None when it has no valid ``traceparent``
    (malformed values included): the span then nests under the current one instead of being orphaned."""
    if not isinstance(meta, Mapping) or not isinstance(meta.get("traceparent"), str):
        return None
    trace, propagate = _api()
    carrier = {k: v for k, v in meta.items() if k in ("traceparent", "tracestate", "baggage") and isinstance(v, str)}
    try:
        context = propagate.extract(carrier)
    except (TypeError, ValueError):
        return None
    if not trace.get_current_span(context).get_span_context().is_valid:
        return None
    return context


def _target(method: str, params: Mapping[str, Any] | None) -> str | None:
    if not isinstance(params, Mapping):
        return None
    if method in ("tools/call", "prompts/get"):
        name = params.get("name")
        return name if isinstance(name, str) else None
    if method.startswith("resources/") and isinstance(params.get("uri"), str):
        uri: str = params["uri"]
        return uri
    return None


def _attributes(method: str, params: Mapping[str, Any] | None, request_id: Any,
                protocol_version: str | None = None) -> dict[str, Any]:
    attributes: dict[str, Any] = {"mcp.method.name": method}
    if protocol_version is not None:
        attributes["mcp.protocol.version"] = protocol_version
    if request_id is not None:
        attributes["jsonrpc.request.id"] = str(request_id)
    target = _target(method, params)
    if method == "tools/call":
        attributes["gen_ai.operation.name"] = "execute_tool"
        if target is not None:
            attributes["gen_ai.tool.name"] = target
    elif method == "prompts/get" and target is not None:
        attributes["gen_ai.prompt.name"] = target
    elif target is not None:
        attributes["mcp.resource.uri"] = target
    return attributes


def _span_name(method: str, params: Mapping[str, Any] | None) -> str:
    target = _target(method, params)
    return f"{method} {target}" if target else method


def _record_error(span: Any, exc: BaseException) -> None:
    from opentelemetry.trace import StatusCode

    if isinstance(exc, McpError):
        code = str(exc.code)
        span.set_attributes({"error.type": code, "rpc.response.status_code": code})
        span.set_status(StatusCode.ERROR, exc.message)
    else:
        span.set_attribute("error.type", type(exc).__qualname__)
        span.record_exception(exc)
        span.set_status(StatusCode.ERROR, str(exc) or type(exc).__name__)


def _record_result(span: Any, method: str, result: Any) -> None:
    if method in ("tools/call", "tasks/result") and isinstance(result, Mapping) and result.get("isError") is True:
        from opentelemetry.trace import StatusCode

        span.set_attribute("error.type", "tool_error")
        span.set_status(StatusCode.ERROR)


# -- the sending side (client calls, server-to-client requests) ----------------------


def _client_span(tracer: Any, method: str, params: Mapping[str, Any] | None, request_id: Any = None,
                 protocol_version: str | None = None, parent: Any = None) -> tuple[Any, dict[str, Any]]:
    """A started CLIENT span for a request (under ``parent``, default the current span), and ``params``
    with its context in ``_meta``."""
    trace, _ = _api()
    from opentelemetry.trace import SpanKind

    span = tracer.start_span(_span_name(method, params), kind=SpanKind.CLIENT, context=parent,
                             attributes=_attributes(method, params, request_id, protocol_version))
    out = dict(params) if params else {}
    meta = dict(out.get("_meta") or {})
    inject_trace_context(meta, trace.set_span_in_context(span))
    out["_meta"] = meta
    return span, out


def _end_with(span: Any, method: str, future: Future[Any]) -> None:
    """End ``span`` when ``future`` (the request's) completes, recording how it ended."""
    def finish(done: Future[Any]) -> None:
        try:
            if done.cancelled():
                span.set_attribute("error.type", "cancelled")
            elif done.exception() is not None:
                _record_error(span, done.exception())  # type: ignore[arg-type]
            else:
                _record_result(span, method, done.result())
        finally:
            span.end()

    future.add_done_callback(finish)


def _outgoing(tracer: Any) -> Callable[[str, dict[str, Any] | None, Future[Any]], dict[str, Any] | None]:
    def hook(method: str, params: dict[str, Any] | None, future: Future[Any]) -> dict[str, Any] | None:
        span, out = _client_span(tracer, method, params, getattr(future, "request_id", None))
        _end_with(span, method, future)
        return out

    return hook


class ClientTracing:
    """A client middleware (:meth:`Client.add_middleware <mcp_sync.Client.add_middleware>`): a ``CLIENT``
    span per call, its context sent in ``params._meta``. One span covers every ``input_required`` round of a
    2026-07-28 call (each round's server span is its child). :func:`instrument` adds one."""

    def __init__(self, *, tracer_provider: Any = None) -> None:
        self._tracer = _tracer(tracer_provider)

    def __call__(self, call: Call, call_next: Callable[[Call], Future[Any]]) -> Future[Any]:
        span, params = _client_span(self._tracer, call.method, call.params, None, call.protocol_version)
        try:
            future = call_next(call.replace(params=params))
        except BaseException as exc:
            _record_error(span, exc)
            span.end()
            raise
        request_id = getattr(future, "request_id", None)
        if request_id is not None:
            span.set_attribute("jsonrpc.request.id", str(request_id))
        _end_with(span, call.method, future)
        return future


def _incoming(tracer: Any) -> Callable[["IncomingRequest", Callable[["IncomingRequest"], Any]], Any]:
    from opentelemetry.trace import SpanKind

    def hook(request: "IncomingRequest", handle: Callable[["IncomingRequest"], Any]) -> Any:
        params = request.params
        with tracer.start_as_current_span(
                _span_name(request.method, params), kind=SpanKind.SERVER,
                context=extract_trace_context(request.meta),
                attributes=_attributes(request.method, params, request.id,
                                       getattr(request.session, "protocol_version", None)),
                record_exception=False, set_status_on_exception=False) as span:
            try:
                result = handle(request)
            except BaseException as exc:
                _record_error(span, exc)
                raise
            _record_result(span, request.method, result)
            return result

    return hook


def trace_session(session: "Session", *, tracer_provider: Any = None, incoming: bool = True) -> None:
    """Trace a raw :class:`~mcp_sync.session.Session`: a CLIENT span (context injected) per request it
    sends and, if ``incoming``, a SERVER span (context extracted) per request it answers. One span per wire
    request; :func:`instrument` traces a client per call instead (:class:`ClientTracing`)."""
    tracer = _tracer(tracer_provider)
    session.outgoing_hook = _outgoing(tracer)
    if incoming:
        session.incoming_hook = _incoming(tracer)


# -- the server side -------------------------------------------------------------------


class ServerTracing:
    """A server middleware: a ``SERVER`` span per request, under the trace context of its ``_meta``.

    Also traces tool execution, the requests a tool sends the client on a
    legacy session, and the lifetime of tasks (see the module docs).
    ``instrument(server)`` adds one; add it yourself to choose its place in
    the chain (first: its span then covers the other middlewares).
    """

    def __init__(self, *, tracer_provider: Any = None) -> None:
        self._tracer = _tracer(tracer_provider)
        self._lock = threading.Lock()
        self._task_spans: dict[str, Any] = {}
        self._watched_stores: set[int] = set()

    def __call__(self, call: Call, call_next: CallNext) -> Any:
        if call.kind == NOTIFICATION:
            return call_next(call)
        from opentelemetry.trace import SpanKind

        session = getattr(call.connection, "session", None)  # legacy: trace what the handler sends the client
        if session is not None and getattr(session, "outgoing_hook", False) is None:
            session.outgoing_hook = self._send
        params = call.params
        with self._tracer.start_as_current_span(
                _span_name(call.method, params), kind=SpanKind.SERVER,
                context=extract_trace_context(params.get("_meta")),
                attributes=_attributes(call.method, params, call.request_id, call.protocol_version),
                record_exception=False, set_status_on_exception=False) as span:
            try:
                if call.method == "tools/call":
                    result = self._execute_tool(call, call_next)
                else:
                    result = call_next(call)
            except BaseException as exc:
                _record_error(span, exc)
                raise
            _record_result(span, call.method, result)
            if call.method == "tools/call":
                self._maybe_task(call, result)
            return result

    def _execute_tool(self, call: Call, call_next: CallNext) -> Any:
        from opentelemetry.trace import SpanKind

        name = _target("tools/call", call.params)
        attributes = {"gen_ai.operation.name": "execute_tool"}
        if name is not None:
            attributes["gen_ai.tool.name"] = name
        with self._tracer.start_as_current_span(f"execute_tool {name}" if name else "execute_tool",
                                                kind=SpanKind.INTERNAL, attributes=attributes,
                                                record_exception=False, set_status_on_exception=False) as span:
            try:
                result = call_next(call)
            except BaseException as exc:
                _record_error(span, exc)
                raise
            _record_result(span, "tools/call", result)
            return result

    def _send(self, method: str, params: dict[str, Any] | None, future: Future[Any]) -> dict[str, Any] | None:
        """A request to the client: a CLIENT span under the current one (the tool's), or, from a task's
        work (tagged with the related task), under the task's lifetime span."""
        trace, _ = _api()
        from .tasks.legacy import RELATED_TASK_META

        parent = None
        if not trace.get_current_span().get_span_context().is_valid:
            meta = params.get("_meta") if isinstance(params, Mapping) else None
            related = meta.get(RELATED_TASK_META) if isinstance(meta, Mapping) else None
            task_id = related.get("taskId") if isinstance(related, Mapping) else None
            with self._lock:
                task_span = self._task_spans.get(task_id) if isinstance(task_id, str) else None
            if task_span is not None:
                parent = trace.set_span_in_context(task_span)
        span, out = _client_span(self._tracer, method, params, getattr(future, "request_id", None), parent=parent)
        _end_with(span, method, future)
        return out

    # -- task lifetime -------------------------------------------------------------------

    def _maybe_task(self, call: Call, result: Any) -> None:
        if not isinstance(result, Mapping):
            return
        if result.get("resultType") == "task":  # 2026-07-28: a flat CreateTaskResult
            task_id = result.get("taskId")
        else:
            task = result.get("task")
            task_id = task.get("taskId") if isinstance(task, Mapping) else None
        server = getattr(call.connection, "server", None)
        if not isinstance(task_id, str) or server is None:
            return
        from opentelemetry.trace import SpanKind

        from .tasks import ANY_OWNER, TERMINAL_STATUSES, TaskEvent

        store = server.tasks.store
        name = _target("tools/call", call.params)
        span = self._tracer.start_span(f"task {name}" if name else "task", kind=SpanKind.INTERNAL,
                                       attributes={"mcp.method.name": "tools/call", "mcp.task.id": task_id,
                                                   **({"gen_ai.tool.name": name} if name else {})})
        with self._lock:
            self._task_spans[task_id] = span
            watch = id(store) not in self._watched_stores
            self._watched_stores.add(id(store))
        if watch:
            def on_change(record: Any, event: str) -> None:
                if event == TaskEvent.REMOVED or (event == TaskEvent.STATUS and record.status in TERMINAL_STATUSES):
                    self._end_task(record.task_id, record.status)

            store.add_listener(on_change)
        try:  # it may have finished before the listener was there
            record = store.get(task_id, ANY_OWNER)
        except Exception:
            self._end_task(task_id, None)
            return
        if record.status in TERMINAL_STATUSES:
            self._end_task(task_id, record.status)

    def _end_task(self, task_id: str, status: str | None) -> None:
        with self._lock:
            span = self._task_spans.pop(task_id, None)
        if span is None:
            return
        if status is not None:
            span.set_attribute("mcp.task.status", status)
        if status in ("failed", "cancelled"):
            from opentelemetry.trace import StatusCode

            span.set_attribute("error.type", f"task_{status}")
            span.set_status(StatusCode.ERROR)
        span.end()


def instrument(target: Any, *, tracer_provider: Any = None) -> Any:
    """Trace a :class:`~mcp_sync.Server` (adds a :class:`ServerTracing` middleware, returned) or a
    :class:`~mcp_sync.Client` (adds a :class:`ClientTracing` middleware, and SERVER spans around the
    requests the server sends it; returns the client)."""
    from .client.client import Client
    from .server.server import Server

    if isinstance(target, Server):
        return target.add_middleware(ServerTracing(tracer_provider=tracer_provider))
    if isinstance(target, Client):
        target.add_middleware(ClientTracing(tracer_provider=tracer_provider))
        target.session.incoming_hook = _incoming(_tracer(tracer_provider))  # sampling, elicitation, roots
        return target
    raise TypeError(f"instrument() traces a Server or a Client, not {type(target).__name__}")
