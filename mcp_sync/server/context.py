"""``Context``: what a tool, resource or prompt function can do with the request it serves.

Declare a parameter annotated ``Context`` (any name) and the server passes
one in; it is not part of the tool's input schema::

    @server.tool()
    def build(target: str, ctx: Context) -> str:
        ctx.report_progress(0, 2, "configuring")
        answer = ctx.elicit("Really build?", Confirm)
        ...

Calls that ask the client something (``elicit``, ``sample``, ``list_roots``,
``gather``) work in both eras. In a legacy session they send a request and
block the handler's own worker thread until the answer arrives; the session
keeps serving other requests meanwhile. In a 2026-07-28 request they use
multi round-trip requests: the request is answered ``input_required`` and a
tool waits at the call until the client retries with the answers (see
:mod:`mcp_sync.server.continuations`; other handlers, and a retry reaching
another worker, run again from the start: see
:mod:`mcp_sync.server.modern_inputs`). They raise
:class:`~mcp_sync.errors.CapabilityError`, before sending anything, when the
client did not declare the capability they need: its subclass answering
-32021, in both eras.
"""

from __future__ import annotations

import threading
import types
import typing
from typing import TYPE_CHECKING, Any, Mapping, Sequence, Union, get_args, get_origin

from ..errors import CapabilityError, RequestCancelled
from ..protocol import capabilities as caps
from ..protocol.versions import V2024_11_05, is_modern
from .elicitation import ElicitationResult, form, read_answer
from .modern_inputs import InputAsk, InputRound, MissingClientCapability, ask_client
from .logs import check_level
from .sampling import SamplingResult, messages as sampling_messages, tool_choice as make_tool_choice, tool_spec

_T = typing.TypeVar("_T")

if TYPE_CHECKING:
    from ..types import Implementation
    from ..session import IncomingRequest
    from .connection import ServerConnection
    from .server import Server
    from .tasks_requestor import ClientTask

_META_CLIENT_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities"
_META_CLIENT_INFO = "io.modelcontextprotocol/clientInfo"
_META_LOG_LEVEL = "io.modelcontextprotocol/logLevel"

_current = threading.local()


def current_context() -> "Context | None":
    """The Context of the request this thread is handling, if any."""
    return getattr(_current, "ctx", None)


class bound_context:
    """``with bound_context(ctx):`` makes ``ctx`` this thread's current context."""

    __slots__ = ("ctx", "previous")

    def __init__(self, ctx: "Context") -> None:
        self.ctx = ctx

    def __enter__(self) -> "Context":
        self.previous = getattr(_current, "ctx", None)
        _current.ctx = self.ctx
        return self.ctx

    def __exit__(self, *exc: Any) -> None:
        _current.ctx = self.previous


class Context:
    """The request being handled, and the client that sent it."""

    __slots__ = ("server", "connection", "request")

    def __init__(self, server: "Server", connection: "ServerConnection", request: "IncomingRequest") -> None:
        self.server = server
        self.connection = connection
        self.request = request

    def __repr__(self) -> str:
        return f"<Context {self.request.method} id={self.request.id!r}>"

    # -- facts -----------------------------------------------------------------

    @property
    def request_id(self) -> Any:
        return self.request.id

    @property
    def meta(self) -> dict[str, Any]:
        """The request's ``_meta``."""
        return self.request.meta

    @property
    def progress_token(self) -> Any:
        return self.request.progress_token

    @property
    def protocol_version(self) -> str | None:
        return self.connection.protocol_version

    @property
    def client_info(self) -> "Implementation | None":
        """The client's ``Implementation`` (name, version, title...), typed like ``Client.server_info``.

        None when the client sent none (or one that is not an object).
        """
        if self._modern:
            info = self.meta.get(_META_CLIENT_INFO)
        else:
            info = self.connection.client_info
        if not isinstance(info, dict):
            return None
        from ..types import Implementation, WireFormatError, from_wire

        try:
            return from_wire(Implementation, info)
        except WireFormatError:  # a client that sent a malformed clientInfo: keep what can be read
            name, version = info.get("name"), info.get("version")
            return Implementation(name=name if isinstance(name, str) else "",
                                  version=version if isinstance(version, str) else "")

    @property
    def client_capabilities(self) -> dict[str, Any]:
        if self._modern:
            declared = self.meta.get(_META_CLIENT_CAPABILITIES)
            return declared if isinstance(declared, dict) else {}
        return self.connection.client_capabilities

    @property
    def http(self) -> Any:
        """The HTTP request context (headers, ``close_sse_stream()``), or None off HTTP."""
        return self.request.extra.get("http")

    @property
    def _modern(self) -> bool:
        version = self.connection.protocol_version
        return version is not None and is_modern(version)

    # -- cancellation ----------------------------------------------------------

    @property
    def cancelled(self) -> threading.Event:
        """Set when the client cancels this request (or the connection closes)."""
        return self.request.cancelled

    @property
    def cancel_reason(self) -> str | None:
        return self.request.cancel_reason

    @property
    def task_id(self) -> str | None:
        """The id of the task this call runs as (a task-augmented ``tools/call``), else None."""
        return getattr(self.request, "task_id", None)

    def set_status_message(self, message: str | None) -> bool:
        """Set the ``statusMessage`` of the task this call runs as; False when it is no task."""
        setter = getattr(self.request, "set_status_message", None)
        if setter is None:
            return False
        setter(message)
        return True

    def start_task(self) -> bool:
        """Continue this ``tools/call`` as a task, when it can be one; whether it now runs as a task.

        2026-07-28 tasks extension: when the request declared
        ``io.modelcontextprotocol/tasks`` (and the server's tasks are on), the
        client gets a ``CreateTaskResult`` now and the handler runs again, from
        the start, as the task's work (input gathered in earlier rounds is
        reused; later input calls park the task in ``input_required``); there
        this call returns True. Already a task (either era): True. Otherwise
        False and the call goes on as a plain request. Tools registered with
        ``task_support="optional"``/``"required"`` are tasks from the start.
        """
        return self.server.tasks.start_task(self)

    def check_cancelled(self) -> None:
        """Raise :class:`~mcp_sync.errors.RequestCancelled` if the client cancelled this request."""
        if self.request.cancelled.is_set():
            reason = self.request.cancel_reason
            raise RequestCancelled("the client cancelled this request" + (f": {reason}" if reason else ""))

    # -- notifications -----------------------------------------------------------

    def report_progress(self, progress: float, total: float | None = None, message: str | None = None) -> bool:
        """Send ``notifications/progress`` (only if the client asked for progress; returns whether sent)."""
        if message is not None and self.connection.protocol_version == V2024_11_05:
            message = None  # 2024-11-05 progress has no message
        return self.request.report_progress(progress, total, message)

    def log(self, level: str, data: Any, logger: str | None = None) -> bool:
        """Send a ``notifications/message`` to this client, if its log level lets it through."""
        check_level(level)
        if self._modern:
            threshold = self.meta.get(_META_LOG_LEVEL)
            if threshold is None:
                return False
        else:
            threshold = None
        return self.connection.send_log(level, data, logger, related_id=self.request.id, threshold=threshold)

    def debug(self, data: Any, logger: str | None = None) -> bool:
        return self.log("debug", data, logger)

    def info(self, data: Any, logger: str | None = None) -> bool:
        return self.log("info", data, logger)

    def warning(self, data: Any, logger: str | None = None) -> bool:
        return self.log("warning", data, logger)

    def error(self, data: Any, logger: str | None = None) -> bool:
        return self.log("error", data, logger)

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        """Send any notification, tagged as belonging to this request."""
        self.request.notify(method, params)

    def close_sse_stream(self, retry_ms: int | None = None) -> bool:
        """Over Streamable HTTP, end this request's SSE connection now (the client resumes it).

        Returns False off HTTP or when the stream cannot be resumed.
        """
        http = self.http
        if http is None:
            return False
        return bool(http.close_sse_stream(retry_ms))

    # -- asking the client ---------------------------------------------------------

    def _require(self, what: str, *path: str) -> None:
        if path and not caps.has_capability(self.client_capabilities, *path):
            raise MissingClientCapability(_nested(path), what)  # -32021 in both eras

    def _require_elicitation(self, mode: str) -> None:
        self._require(f"{mode} elicitation")
        if mode not in caps.elicitation_modes(self.client_capabilities):
            raise MissingClientCapability({"elicitation": {mode: {}}}, f"{mode} elicitation")

    def send_request(self, method: str, params: dict[str, Any] | None = None, *, timeout: float | None = None) -> Any:
        """Send a request to the client and block for its raw result (McpError on an error answer).

        Legacy sessions only: 2026-07-28 servers send no requests (use
        :meth:`elicit`, :meth:`sample`, :meth:`list_roots`, :meth:`gather`).
        """
        if self._modern:
            raise CapabilityError(f"servers send no requests over protocol {self.protocol_version}; "
                                  f"ask the client with elicit, sample, list_roots or gather")
        return self.request.send_request(method, params, timeout=timeout).result()

    @typing.overload
    def elicit(self, message: str, schema: "type[_T]", *, timeout: float | None = None,
               key: str | None = None) -> "ElicitationResult[_T]": ...

    @typing.overload
    def elicit(self, message: str, schema: Mapping[str, Any], *, timeout: float | None = None,
               key: str | None = None) -> "ElicitationResult[dict[str, Any]]": ...

    def elicit(self, message: str, schema: Any, *, timeout: float | None = None,
               key: str | None = None) -> "ElicitationResult[Any]":
        """Ask the user to fill in a form (form-mode elicitation).

        ``schema``: a requestedSchema dict, or a dataclass / TypedDict / attrs
        class (then an accepted answer's ``content`` is an instance of it).
        ``key`` names the input request in a 2026-07-28 ``inputRequests`` map
        (default ``elicit-<n>``); legacy sessions ignore it.
        """
        answer: ElicitationResult[Any] = self.gather(self.elicit_request(message, schema, key=key), timeout=timeout)[0]
        return answer

    def elicit_request(self, message: str, schema: Any, *, key: str | None = None) -> InputAsk:
        """A form elicitation to pass to :meth:`gather` (same arguments as :meth:`elicit`)."""
        requested, validator, tp = form(schema)
        return InputAsk("elicitation/create", {"message": message, "requestedSchema": requested},
                        lambda raw: read_answer(raw, validator, tp), key, "form elicitation")

    def elicit_url(self, message: str, url: str, elicitation_id: str | None = None, *,
                   timeout: float | None = None, key: str | None = None) -> ElicitationResult[Any]:
        """Ask the user to open ``url`` (URL-mode elicitation, 2025-11-25).

        ``accept`` only means the user agreed to open it; call
        :meth:`complete_elicitation` when the out-of-band flow finishes.
        """
        answer: ElicitationResult[Any] = self.gather(self.elicit_url_request(message, url, elicitation_id, key=key),
                                                     timeout=timeout)[0]
        return answer

    def elicit_url_request(self, message: str, url: str, elicitation_id: str | None = None, *,
                           key: str | None = None) -> InputAsk:
        """A URL-mode elicitation to pass to :meth:`gather` (2026-07-28 has no ``elicitationId``)."""
        params: dict[str, Any] = {"mode": "url", "message": message, "url": url}
        if not self._modern:
            if elicitation_id is None:
                import uuid

                elicitation_id = uuid.uuid4().hex
            params["elicitationId"] = elicitation_id
        return InputAsk("elicitation/create", params, read_answer, key, "URL elicitation")

    def complete_elicitation(self, elicitation_id: str) -> None:
        """Tell the client a URL-mode elicitation finished (``notifications/elicitation/complete``).

        2025-11-25 only: the 2026-07-28 revision removed the notification.
        """
        if self._modern:
            raise CapabilityError(f"notifications/elicitation/complete does not exist in protocol "
                                  f"{self.protocol_version}")
        self.connection.notify("notifications/elicitation/complete", {"elicitationId": elicitation_id})

    def sample(
        self,
        messages: Any,
        *,
        max_tokens: int,
        system_prompt: str | None = None,
        temperature: float | None = None,
        stop_sequences: Sequence[str] | None = None,
        model_preferences: Mapping[str, Any] | None = None,
        include_context: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        tools: Sequence[Any] | None = None,
        tool_choice: Any = None,
        timeout: float | None = None,
        key: str | None = None,
    ) -> SamplingResult:
        """Ask the client's model for a message (``sampling/createMessage``).

        ``messages``: a string, or a list of strings and
        ``{"role", "content"}`` messages. ``tools`` (tool dicts, names of this
        server's tools, or functions) and ``tool_choice`` (``"auto"``,
        ``"required"``, ``"none"``) need the client's ``sampling.tools``.
        """
        params = self._sampling_params(messages, max_tokens, system_prompt, temperature, stop_sequences,
                                       model_preferences, include_context, metadata, tools, tool_choice)
        sampled: SamplingResult = self.gather(InputAsk("sampling/createMessage", params, SamplingResult.from_wire, key,
                                                       _sampling_what(params)), timeout=timeout)[0]
        return sampled

    def sample_request(self, messages: Any, *, max_tokens: int, key: str | None = None,
                       **options: Any) -> InputAsk:
        """A sampling request to pass to :meth:`gather` (same options as :meth:`sample`)."""
        names = ("system_prompt", "temperature", "stop_sequences", "model_preferences", "include_context",
                 "metadata", "tools", "tool_choice")
        unknown = set(options) - set(names)
        if unknown:
            raise TypeError(f"unexpected sampling options: {', '.join(sorted(unknown))}")
        params = self._sampling_params(messages, max_tokens, *(options.get(n) for n in names))
        return InputAsk("sampling/createMessage", params, SamplingResult.from_wire, key, _sampling_what(params))

    def _sampling_params(self, messages: Any, max_tokens: int, system_prompt: str | None,
                         temperature: float | None, stop_sequences: Sequence[str] | None,
                         model_preferences: Mapping[str, Any] | None, include_context: str | None,
                         metadata: Mapping[str, Any] | None, tools: Sequence[Any] | None,
                         tool_choice: Any) -> dict[str, Any]:
        self._require("sampling", "sampling")
        if tools is not None or tool_choice is not None:
            self._require("sampling with tools", "sampling", "tools")
        if include_context not in (None, "none"):
            self._require(f"sampling with includeContext={include_context!r}", "sampling", "context")
        params: dict[str, Any] = {"messages": sampling_messages(messages), "maxTokens": max_tokens}
        for key, value in (("systemPrompt", system_prompt), ("temperature", temperature),
                           ("includeContext", include_context), ("modelPreferences", model_preferences),
                           ("metadata", metadata)):
            if value is not None:
                params[key] = dict(value) if isinstance(value, Mapping) else value
        if stop_sequences is not None:
            params["stopSequences"] = list(stop_sequences)
        if tools is not None:
            params["tools"] = [tool_spec(t, self.server._tool_wire) for t in tools]
        if tool_choice is not None:
            params["toolChoice"] = make_tool_choice(tool_choice)
        return params

    # -- asking the client to run a task (2025-11-25) ------------------------------

    def elicit_as_task(self, message: str, schema: Any, *, ttl: int | None = None,
                       timeout: float | None = None) -> "ClientTask[Any]":
        """Like :meth:`elicit`, run by the client as a task: returns a handle at once.

        Needs the client's ``tasks.requests.elicitation.create``. The handle's
        ``result()`` is the :class:`ElicitationResult`; see
        :mod:`mcp_sync.server.tasks_requestor`.
        """
        from .tasks_requestor import elicit_as_task

        return elicit_as_task(self, message, schema, ttl=ttl, timeout=timeout)

    def sample_as_task(self, messages: Any, *, max_tokens: int, ttl: int | None = None,
                       timeout: float | None = None, **options: Any) -> "ClientTask[Any]":
        """Like :meth:`sample` (same options), run by the client as a task: returns a handle at once.

        Needs the client's ``tasks.requests.sampling.createMessage``; the
        handle's ``result()`` is the :class:`SamplingResult`.
        """
        from .tasks_requestor import sample_as_task

        params = self._sampling_params(messages, max_tokens, options.pop("system_prompt", None),
                                       options.pop("temperature", None), options.pop("stop_sequences", None),
                                       options.pop("model_preferences", None), options.pop("include_context", None),
                                       options.pop("metadata", None), options.pop("tools", None),
                                       options.pop("tool_choice", None))
        if options:
            raise TypeError(f"unexpected sampling options: {', '.join(sorted(options))}")
        return sample_as_task(self, params, ttl=ttl, timeout=timeout)

    def list_roots(self, *, timeout: float | None = None, key: str | None = None) -> list[dict[str, Any]]:
        """The client's roots (``roots/list``): dicts with ``uri`` and maybe ``name``."""
        roots: list[dict[str, Any]] = self.gather(self.roots_request(key=key), timeout=timeout)[0]
        return roots

    def roots_request(self, *, key: str | None = None) -> InputAsk:
        """A ``roots/list`` request to pass to :meth:`gather`."""
        return InputAsk("roots/list", None, _read_roots, key, "roots")

    def gather(self, *asks: InputAsk, timeout: float | None = None) -> list[Any]:
        """Ask the client several things at once; their answers, in order.

        ``asks`` come from :meth:`elicit_request`, :meth:`elicit_url_request`,
        :meth:`sample_request` and :meth:`roots_request`. A legacy session
        sends all the requests, then waits for every answer; a 2026-07-28
        request asks for all of them in one ``InputRequiredResult`` round.
        Raises :class:`~mcp_sync.errors.CapabilityError` before asking
        anything if the client lacks a capability one of them needs.
        """
        if not asks:
            return []
        if not self._modern:
            return ask_client(self.request, self.client_capabilities, asks, timeout)
        inputs = getattr(self.connection, "inputs", None)
        if not isinstance(inputs, InputRound):
            raise CapabilityError(f"{self.request.method!r} cannot ask the client for input in protocol "
                                  f"{self.protocol_version} (only tools/call, prompts/get and resources/read can)")
        return inputs.resolve(asks)

    def client_supports(self, *path: str) -> bool:
        """Whether the client declared the capability at ``path`` (for this request, in 2026-07-28)."""
        return caps.has_capability(self.client_capabilities, *path)


def _nested(path: Sequence[str]) -> dict[str, Any]:
    """``("sampling", "tools")`` -> ``{"sampling": {"tools": {}}}`` (a ``requiredCapabilities`` object)."""
    out: dict[str, Any] = {}
    for name in reversed(path):
        out = {name: out}
    return out


def _read_roots(result: Any) -> list[dict[str, Any]]:
    roots = result.get("roots") if isinstance(result, dict) else None
    if not isinstance(roots, list):
        raise ValueError(f"the client sent an invalid roots/list result: {result!r}")
    return roots


def _sampling_what(params: Mapping[str, Any]) -> str:
    if "tools" in params or "toolChoice" in params:
        return "sampling with tools"
    if params.get("includeContext") not in (None, "none"):
        return f"sampling with includeContext={params['includeContext']!r}"
    return "sampling"


def is_context_annotation(annotation: Any) -> bool:
    """True for ``Context``, a subclass, and ``Optional``/``Annotated`` forms of them."""
    if isinstance(annotation, type):
        return issubclass(annotation, Context)
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return is_context_annotation(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return any(is_context_annotation(a) for a in get_args(annotation))
    return False


def skip_context(parameter: Any, annotation: Any) -> bool:
    """A ``build_tool_signature`` skip predicate: the Context parameter is ours to supply."""
    return is_context_annotation(annotation)
