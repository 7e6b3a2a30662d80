"""The 2026-07-28 ("modern") request envelope, result envelope and MRTR rules, without I/O.

In the modern era there is no ``initialize``: every request carries its
protocol version and the client's capabilities in ``params._meta``, every
result carries ``resultType``, and a server that needs something from the
client answers with an ``InputRequiredResult`` instead of sending a request
(multi round-trip requests, MRTR).

Server side::

    meta = read_request_meta(params, supported_versions)      # -32602 / -32022
    retry = read_retry(params)                                 # -32602 on malformed MRTR fields
    ...
    result = input_required_result({"ask": elicit_form(...)}, sealed_state,
                                   client_capabilities=meta.client_capabilities)   # -32021
    return with_server_info(with_result_type(result, COMPLETE), server_info)

Client side::

    params["_meta"] = build_request_meta(version, capabilities, client_info)
    kind = result_type_of(result)                              # absent => "complete"

Errors that decide the HTTP status are :class:`RejectedRequest` instances
(an :class:`~mcp_sync.errors.McpError` with ``http_status``); see
:func:`http_status_for`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from ..errors import (
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    MISSING_CLIENT_CAPABILITY,
    RESOURCE_NOT_FOUND,
    UNSUPPORTED_PROTOCOL_VERSION,
    HEADER_MISMATCH,
    INVALID_REQUEST,
    PARSE_ERROR,
    McpError,
)
from .capabilities import elicitation_modes, has_capability
from .versions import MODERN_VERSIONS, is_modern

# --------------------------------------------------------------------------- _meta keys

PREFIX = "io.modelcontextprotocol/"
#: Request ``_meta``: the protocol version of this request (required).
META_PROTOCOL_VERSION = PREFIX + "protocolVersion"
#: Request ``_meta``: the client's capabilities for this request (required, ``{}`` = none).
META_CLIENT_CAPABILITIES = PREFIX + "clientCapabilities"
#: Request ``_meta``: the client's ``Implementation`` (SHOULD; never required by servers).
META_CLIENT_INFO = PREFIX + "clientInfo"
#: Request ``_meta``: opt-in log level; without it a server sends no ``notifications/message``.
META_LOG_LEVEL = PREFIX + "logLevel"
#: Result ``_meta``: the server's ``Implementation`` (SHOULD on every result).
META_SERVER_INFO = PREFIX + "serverInfo"
#: Notification/result ``_meta`` on ``subscriptions/listen`` streams: the listen request's id.
META_SUBSCRIPTION_ID = PREFIX + "subscriptionId"
#: 2025-11-25 tasks (SEP-1686): ``{"taskId": ...}`` on messages related to a task.
META_RELATED_TASK = PREFIX + "related-task"
#: 2025-11-25 tasks (SEP-1686): string on ``CreateTaskResult._meta`` for the model.
META_MODEL_IMMEDIATE_RESPONSE = PREFIX + "model-immediate-response"
#: Un-prefixed request ``_meta`` key (all revisions).
META_PROGRESS_TOKEN = "progressToken"

#: ``LoggingLevel`` values, least severe first.
LOG_LEVELS: tuple[str, ...] = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")

# --------------------------------------------------------------------------- methods

#: Client -> server requests of the 2026-07-28 core.
MODERN_REQUESTS = frozenset({
    "server/discover", "tools/list", "tools/call", "resources/list", "resources/templates/list",
    "resources/read", "prompts/list", "prompts/get", "completion/complete", "subscriptions/listen",
})
#: Methods that exist only in the modern era (a request for one is modern even without ``_meta``).
MODERN_ONLY_METHODS = frozenset({"server/discover", "subscriptions/listen"})
#: Methods the 2026-07-28 core removed; a modern server answers them -32601 (HTTP 404).
REMOVED_METHODS = frozenset({
    "initialize", "notifications/initialized", "ping", "logging/setLevel", "resources/subscribe",
    "resources/unsubscribe", "notifications/roots/list_changed", "notifications/elicitation/complete",
    "tasks/result", "tasks/list", "sampling/createMessage", "elicitation/create", "roots/list",
})
#: The only requests a server may answer with an ``InputRequiredResult``.
MRTR_METHODS = frozenset({"tools/call", "prompts/get", "resources/read"})

# --------------------------------------------------------------------------- result types

COMPLETE = "complete"
INPUT_REQUIRED = "input_required"
TASK = "task"  # tasks extension (SEP-2663)
RESULT_TYPES = frozenset({COMPLETE, INPUT_REQUIRED, TASK})

# --------------------------------------------------------------------------- errors


class RejectedRequest(McpError):
    """An :class:`McpError` that also names the HTTP status a Streamable HTTP server answers with.

    Used for the errors whose status the 2026-07-28 spec fixes: -32602 for a
    missing required ``_meta`` field, -32020, -32021, -32022 (all 400) and
    -32601 (404). Over stdio the status is ignored.
    """

    def __init__(self, code: int, message: str, data: Any = None, *, http_status: int = 400) -> None:
        super().__init__(code, message, data)
        self.http_status = http_status

    def __reduce__(self) -> tuple[Any, ...]:  # keep picklable with the extra attribute
        return (_rebuild_rejected, (self.code, self.message, self.data, self.http_status))


def _rebuild_rejected(code: int, message: str, data: Any, http_status: int) -> RejectedRequest:
    return RejectedRequest(code, message, data, http_status=http_status)


_STATUS_BY_CODE = {
    PARSE_ERROR: 400,
    INVALID_REQUEST: 400,
    METHOD_NOT_FOUND: 404,
    HEADER_MISMATCH: 400,
    MISSING_CLIENT_CAPABILITY: 400,
    UNSUPPORTED_PROTOCOL_VERSION: 400,
}


def http_status_for(error: McpError | int) -> int:
    """The HTTP status a 2026-07-28 Streamable HTTP server uses for this error.

    A :class:`RejectedRequest` carries its own status; otherwise -32700/-32600/
    -32020/-32021/-32022 map to 400, -32601 to 404, and everything else
    (e.g. -32602 for an unknown tool or a missing resource) to 200.
    """
    if isinstance(error, RejectedRequest):
        return error.http_status
    code = error.code if isinstance(error, McpError) else error
    return _STATUS_BY_CODE.get(code, 200)


def invalid_meta_error(message: str, missing: Iterable[str] = ()) -> RejectedRequest:
    """-32602 (HTTP 400) for a request whose ``_meta`` lacks or garbles a required field."""
    missing = list(missing)
    return RejectedRequest(INVALID_PARAMS, message, {"missing": missing} if missing else None)


def unsupported_version_error(requested: str, supported: Iterable[str]) -> RejectedRequest:
    """-32022 ``UnsupportedProtocolVersionError`` (HTTP 400) with ``data: {supported, requested}``."""
    return RejectedRequest(UNSUPPORTED_PROTOCOL_VERSION, "Unsupported protocol version",
                           {"supported": list(supported), "requested": requested})


def missing_capability_error(required: Mapping[str, Any]) -> RejectedRequest:
    """-32021 ``MissingRequiredClientCapability`` (HTTP 400).

    ``required`` is a ``ClientCapabilities`` object keyed by what is missing,
    e.g. ``{"sampling": {}}`` -- an object, never a list of names.
    """
    if not isinstance(required, Mapping) or not required:
        raise ValueError("required must be a non-empty ClientCapabilities object, e.g. {'sampling': {}}")
    names = ", ".join(sorted(required))
    return RejectedRequest(MISSING_CLIENT_CAPABILITY, f"Missing required client capability: {names}",
                           {"requiredCapabilities": _plain(required)})


def method_not_found_error(method: str) -> RejectedRequest:
    """-32601 (HTTP 404): unknown method, or one the modern core removed."""
    return RejectedRequest(METHOD_NOT_FOUND, f"Method not found: {method}", http_status=404)


def resource_not_found_error(uri: str, version: str | None = None) -> McpError:
    """Resource not found: -32602 from 2026-07-28 on (SEP-2164), -32002 for older revisions.

    ``data.uri`` echoes the requested URI. Never answer a missing resource
    with an empty ``contents`` list.
    """
    code = RESOURCE_NOT_FOUND if version is not None and not is_modern(version) else INVALID_PARAMS
    return McpError(code, "Resource not found", {"uri": uri})


def _plain(value: Any) -> Any:
    """Deep-copy mappings/sequences into plain dicts/lists (JSON-ready)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --------------------------------------------------------------------------- request _meta


@dataclass(frozen=True)
class RequestMeta:
    """What a modern request says about itself in ``params._meta``."""

    protocol_version: str
    client_capabilities: dict[str, Any]
    client_info: dict[str, Any] | None = None
    log_level: str | None = None
    progress_token: str | int | None = None
    #: The whole ``_meta`` object as received (trace context, extension keys...).
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def has_capability(self, *path: str) -> bool:
        """True if the client declared ``path`` (e.g. ``"elicitation", "url"``) for this request."""
        return has_capability(self.client_capabilities, *path)

    def logs_at(self, level: str) -> bool:
        """True if a message of ``level`` may be sent for this request (never without a logLevel)."""
        if self.log_level is None:
            return False
        return LOG_LEVELS.index(level) >= LOG_LEVELS.index(self.log_level)


def get_meta(params: Any) -> Mapping[str, Any] | None:
    """``params._meta`` when it is an object, else None."""
    if type(params) is dict or isinstance(params, Mapping):  # dict first: Mapping checks are slow
        meta = params.get("_meta")
        if meta is not None and (type(meta) is dict or isinstance(meta, Mapping)):
            return meta
    return None


def is_modern_request(params: Any) -> bool:
    """True if the request declares a protocol version in ``_meta`` (the modern envelope)."""
    meta = get_meta(params)
    return meta is not None and META_PROTOCOL_VERSION in meta


def looks_modern(method: str, params: Any, *, header_version: str | None = None) -> bool:
    """Whether a dual-era server should treat a request as modern (stateless).

    A request is modern if its ``_meta`` carries any of the modern request
    keys, if the HTTP ``MCP-Protocol-Version`` header names a modern
    revision, or if the method exists only in the modern era. Such a request
    is then validated by :func:`read_request_meta`, so a modern request with a
    broken ``_meta`` gets -32602 instead of being mistaken for a legacy one.
    ``initialize`` is legacy unless its ``_meta`` names a protocol version or
    the header is modern: a modern ``initialize`` is a removed method (-32601,
    HTTP 404), which tells a modern client it reached a modern server.
    A request inside a known legacy session should be routed as legacy by the
    caller before asking this.
    """
    meta = get_meta(params)
    header_modern = (header_version is not None and bool(header_version.strip())
                     and is_modern(header_version.strip()))
    if method == "initialize":
        return header_modern or (meta is not None and META_PROTOCOL_VERSION in meta)
    if meta is not None and (META_PROTOCOL_VERSION in meta or META_CLIENT_CAPABILITIES in meta
                             or META_CLIENT_INFO in meta):
        return True
    if header_modern:
        return True
    return method in MODERN_ONLY_METHODS


def read_request_meta(params: Any, supported_versions: Iterable[str] = MODERN_VERSIONS) -> RequestMeta:
    """Validate the modern request envelope; raise :class:`RejectedRequest` if it is unusable.

    Order: ``_meta`` missing / ``protocolVersion`` missing or not a string
    -> -32602; version not in ``supported_versions`` -> -32022 with
    ``data: {supported, requested}``; ``clientCapabilities`` missing or not an
    object -> -32602; malformed optional fields (``clientInfo`` not an
    object, unknown ``logLevel``, bad ``progressToken``) -> -32602. The version
    is checked before the other fields because a revision we do not speak may
    define a different envelope. ``clientInfo`` is never required.
    """
    supported = list(supported_versions)
    if not isinstance(params, Mapping):
        raise invalid_meta_error("Invalid params: the request has no params with the required _meta",
                                 [META_PROTOCOL_VERSION, META_CLIENT_CAPABILITIES])
    meta = params.get("_meta")
    if not isinstance(meta, Mapping):
        raise invalid_meta_error("Invalid params: the request has no _meta object",
                                 [META_PROTOCOL_VERSION, META_CLIENT_CAPABILITIES])
    version = meta.get(META_PROTOCOL_VERSION)
    if version is None:
        missing = [META_PROTOCOL_VERSION]
        if META_CLIENT_CAPABILITIES not in meta:
            missing.append(META_CLIENT_CAPABILITIES)
        raise invalid_meta_error(f"Invalid params: _meta is missing {META_PROTOCOL_VERSION}", missing)
    if not isinstance(version, str):
        raise invalid_meta_error(f"Invalid params: _meta {META_PROTOCOL_VERSION} must be a string")
    if version not in supported:
        raise unsupported_version_error(version, supported)
    caps = meta.get(META_CLIENT_CAPABILITIES)
    if caps is None:
        raise invalid_meta_error(f"Invalid params: _meta is missing {META_CLIENT_CAPABILITIES}",
                                 [META_CLIENT_CAPABILITIES])
    if not isinstance(caps, Mapping):
        raise invalid_meta_error(f"Invalid params: _meta {META_CLIENT_CAPABILITIES} must be an object")
    info = meta.get(META_CLIENT_INFO)
    if info is not None and not isinstance(info, Mapping):
        raise invalid_meta_error(f"Invalid params: _meta {META_CLIENT_INFO} must be an object")
    level = meta.get(META_LOG_LEVEL)
    if level is not None and level not in LOG_LEVELS:
        raise invalid_meta_error(f"Invalid params: _meta {META_LOG_LEVEL} must be one of {', '.join(LOG_LEVELS)}")
    token = meta.get(META_PROGRESS_TOKEN)
    if token is not None and not (isinstance(token, str) or _is_int(token)):
        raise invalid_meta_error("Invalid params: _meta progressToken must be a string or an integer")
    return RequestMeta(
        protocol_version=version,
        client_capabilities=_plain(caps),
        client_info=_plain(info) if info is not None else None,
        log_level=level,
        progress_token=token,
        raw=_plain(meta),
    )


def build_request_meta(protocol_version: str, client_capabilities: Mapping[str, Any] | None = None,
                       client_info: Mapping[str, Any] | None = None, *, log_level: str | None = None,
                       progress_token: str | int | None = None,
                       extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``_meta`` object a modern client puts on every request.

    ``client_capabilities`` defaults to ``{}`` (declares nothing); it must be
    the capabilities for *this* request -- servers may not remember earlier ones.
    """
    if log_level is not None and log_level not in LOG_LEVELS:
        raise ValueError(f"unknown log level {log_level!r}")
    meta: dict[str, Any] = dict(extra or {})
    meta[META_PROTOCOL_VERSION] = protocol_version
    meta[META_CLIENT_CAPABILITIES] = _plain(client_capabilities or {})
    if client_info is not None:
        meta[META_CLIENT_INFO] = _plain(client_info)
    if log_level is not None:
        meta[META_LOG_LEVEL] = log_level
    if progress_token is not None:
        meta[META_PROGRESS_TOKEN] = progress_token
    return meta


def with_request_meta(params: Mapping[str, Any] | None, meta: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``params`` whose ``_meta`` is ``meta`` merged over any existing ``_meta``."""
    out = dict(params or {})
    merged = dict(out.get("_meta") or {})
    merged.update(meta)
    out["_meta"] = merged
    return out


# --------------------------------------------------------------------------- results


def with_result_type(result: Mapping[str, Any] | None, result_type: str = COMPLETE) -> dict[str, Any]:
    """A copy of ``result`` with ``resultType`` set (every modern result needs one)."""
    if not isinstance(result_type, str) or not result_type:
        raise ValueError("resultType must be a non-empty string")
    out = dict(result or {})
    out["resultType"] = result_type
    return out


def with_server_info(result: Mapping[str, Any], server_info: Mapping[str, Any] | None) -> dict[str, Any]:
    """A copy of ``result`` carrying ``_meta["io.modelcontextprotocol/serverInfo"]``.

    ``server_info`` is an ``Implementation`` (``name`` and ``version`` required);
    None leaves the result as is.
    """
    out = dict(result)
    if server_info is None:
        return out
    if not isinstance(server_info.get("name"), str) or not isinstance(server_info.get("version"), str):
        raise ValueError("serverInfo needs string 'name' and 'version'")
    meta = dict(out.get("_meta") or {})
    meta[META_SERVER_INFO] = _plain(server_info)
    out["_meta"] = meta
    return out


def result_type_of(result: Any) -> str:
    """The ``resultType`` of a received result; absent (an older server) means ``"complete"``."""
    if isinstance(result, Mapping):
        value = result.get("resultType")
        if value is None:
            return COMPLETE
        if isinstance(value, str) and value:
            return value
    raise McpError(INVALID_PARAMS, "Invalid result: resultType must be a non-empty string")


def server_info_of(result: Any) -> dict[str, Any] | None:
    """The server's ``Implementation`` from a result's ``_meta`` (or None)."""
    meta = result.get("_meta") if isinstance(result, Mapping) else None
    info = meta.get(META_SERVER_INFO) if isinstance(meta, Mapping) else None
    return dict(info) if isinstance(info, Mapping) else None


# --------------------------------------------------------------------------- MRTR: building


ELICITATION = "elicitation/create"
SAMPLING = "sampling/createMessage"
ROOTS = "roots/list"
INPUT_METHODS = frozenset({ELICITATION, SAMPLING, ROOTS})


def elicit_form(message: str, requested_schema: Mapping[str, Any]) -> dict[str, Any]:
    """An ``elicitation/create`` input request in form mode."""
    return {"method": ELICITATION, "params": {"message": message, "requestedSchema": _plain(requested_schema)}}


def elicit_url(message: str, url: str) -> dict[str, Any]:
    """An ``elicitation/create`` input request in URL mode (no ``elicitationId`` in 2026-07-28)."""
    return {"method": ELICITATION, "params": {"mode": "url", "message": message, "url": url}}


def sampling_request(messages: list[Mapping[str, Any]], max_tokens: int, **params: Any) -> dict[str, Any]:
    """A ``sampling/createMessage`` input request (other fields as keyword arguments)."""
    body = {"messages": _plain(messages), "maxTokens": max_tokens}
    body.update(_plain(params))
    return {"method": SAMPLING, "params": body}


def roots_request() -> dict[str, Any]:
    """A ``roots/list`` input request."""
    return {"method": ROOTS, "params": {}}


def required_capability(input_request: Mapping[str, Any]) -> dict[str, Any]:
    """The ``ClientCapabilities`` a client must have declared to receive this input request."""
    method = input_request.get("method")
    params = input_request.get("params")
    params = params if isinstance(params, Mapping) else {}
    if method == ELICITATION:
        mode = params.get("mode", "form")
        return {"elicitation": {"url" if mode == "url" else "form": {}}}
    if method == SAMPLING:
        sub: dict[str, Any] = {}
        if "tools" in params or "toolChoice" in params:
            sub["tools"] = {}
        if params.get("includeContext") in ("thisServer", "allServers"):
            sub["context"] = {}
        return {"sampling": sub}
    if method == ROOTS:
        return {"roots": {}}
    raise ValueError(f"not an input request method: {method!r}")


def client_supports(input_request: Mapping[str, Any], client_capabilities: Mapping[str, Any] | None) -> bool:
    """True if the client declared what this input request needs (an empty ``elicitation`` = form)."""
    need = required_capability(input_request)
    if "elicitation" in need:
        (mode,) = need["elicitation"]
        return mode in elicitation_modes(client_capabilities)
    if "sampling" in need:
        if not has_capability(client_capabilities, "sampling"):
            return False
        return all(has_capability(client_capabilities, "sampling", k) for k in need["sampling"])
    return has_capability(client_capabilities, "roots")


def check_input_requests(input_requests: Mapping[str, Any], client_capabilities: Mapping[str, Any] | None) -> None:
    """Raise -32021 naming every capability the client lacks for these input requests."""
    missing: dict[str, Any] = {}
    for request in input_requests.values():
        if not client_supports(request, client_capabilities):
            for key, sub in required_capability(request).items():
                missing.setdefault(key, {}).update(sub)
    if missing:
        raise missing_capability_error(missing)


def _check_input_request(key: Any, request: Any) -> None:
    if not isinstance(key, str) or not key:
        raise ValueError("inputRequests keys must be non-empty strings")
    if not isinstance(request, Mapping):
        raise ValueError(f"inputRequests[{key!r}] must be an object")
    method = request.get("method")
    if method not in INPUT_METHODS:
        raise ValueError(f"inputRequests[{key!r}] has method {method!r}; expected one of {sorted(INPUT_METHODS)}")
    if "jsonrpc" in request or "id" in request:
        raise ValueError(f"inputRequests[{key!r}] must not carry jsonrpc/id")
    params = request.get("params")
    if method == ROOTS:
        if params is not None and not isinstance(params, Mapping):
            raise ValueError(f"inputRequests[{key!r}].params must be an object")
        return
    if not isinstance(params, Mapping):
        raise ValueError(f"inputRequests[{key!r}] needs params")
    if method == ELICITATION:
        if not isinstance(params.get("message"), str):
            raise ValueError(f"inputRequests[{key!r}]: elicitation needs a message")
        if params.get("mode", "form") == "url":
            if not isinstance(params.get("url"), str):
                raise ValueError(f"inputRequests[{key!r}]: URL elicitation needs a url")
        elif not isinstance(params.get("requestedSchema"), Mapping):
            raise ValueError(f"inputRequests[{key!r}]: form elicitation needs a requestedSchema")
    else:
        if not isinstance(params.get("messages"), list) or not _is_int(params.get("maxTokens")):
            raise ValueError(f"inputRequests[{key!r}]: sampling needs messages and an integer maxTokens")


def input_required_result(input_requests: Mapping[str, Any] | None = None, request_state: str | None = None, *,
                          client_capabilities: Mapping[str, Any] | None = None,
                          check_capabilities: bool = True) -> dict[str, Any]:
    """An ``InputRequiredResult``.

    At least one of ``input_requests`` / ``request_state`` is required
    (``ValueError`` otherwise: a server bug, not a protocol error). When
    ``check_capabilities`` is true, every input request must be of a kind the
    client declared in ``client_capabilities`` for this request, else
    -32021 with ``data.requiredCapabilities``. Only answer
    :data:`MRTR_METHODS` with this (see :func:`mrtr_allowed`).
    """
    if not input_requests and request_state is None:
        raise ValueError("an InputRequiredResult needs inputRequests, requestState or both")
    result: dict[str, Any] = {"resultType": INPUT_REQUIRED}
    if input_requests:
        for key, request in input_requests.items():
            _check_input_request(key, request)
        if check_capabilities:
            check_input_requests(input_requests, client_capabilities)
        result["inputRequests"] = _plain(input_requests)
    if request_state is not None:
        if not isinstance(request_state, str):
            raise ValueError("requestState must be a string")
        result["requestState"] = request_state
    return result


def mrtr_allowed(method: str) -> bool:
    """True for the requests a server may answer with an ``InputRequiredResult``."""
    return method in MRTR_METHODS


# --------------------------------------------------------------------------- MRTR: retries


@dataclass(frozen=True)
class Retry:
    """The MRTR fields of a request: empty for a first attempt."""

    input_responses: dict[str, dict[str, Any]] = field(default_factory=dict)
    request_state: str | None = None
    #: True if the request carried ``inputResponses`` or ``requestState`` (never cache its result).
    is_retry: bool = False

    def response(self, key: str) -> dict[str, Any] | None:
        """The client's answer for ``key``, or None."""
        return self.input_responses.get(key)

    def missing(self, keys: Iterable[str]) -> list[str]:
        """Which of ``keys`` have no answer (the server should ask again, not fail)."""
        return [k for k in keys if k not in self.input_responses]


def read_retry(params: Any) -> Retry:
    """Read ``inputResponses`` and ``requestState``; -32602 (HTTP 200) when they are malformed.

    ``inputResponses`` must be an object whose values are objects (a
    ``null`` map or a number as an answer is a protocol error);
    ``requestState`` must be a string. Unknown keys are kept: the server
    ignores what it did not ask for.
    """
    if not isinstance(params, Mapping):
        return Retry()
    has_responses = "inputResponses" in params
    has_state = "requestState" in params
    responses = params.get("inputResponses")
    state = params.get("requestState")
    if has_responses:
        if not isinstance(responses, Mapping):
            raise McpError(INVALID_PARAMS, "Invalid params: inputResponses must be an object")
        for key, value in responses.items():
            if not isinstance(value, Mapping):
                raise McpError(INVALID_PARAMS, f"Invalid params: inputResponses[{key!r}] must be an object")
    if has_state and not isinstance(state, str):
        raise McpError(INVALID_PARAMS, "Invalid params: requestState must be a string")
    return Retry(
        input_responses={str(k): _plain(v) for k, v in (responses or {}).items()},
        request_state=state if has_state else None,
        is_retry=has_responses or has_state,
    )


def response_matches(input_request: Mapping[str, Any], response: Any) -> bool:
    """Loose shape check of an answer against the input request it answers.

    An elicitation answer has an ``action`` of accept/decline/cancel (and an
    object ``content`` if any), a sampling answer has ``role``, ``content`` and
    ``model``, a roots answer has a ``roots`` list.
    """
    if not isinstance(response, Mapping):
        return False
    method = input_request.get("method")
    if method == ELICITATION:
        content = response.get("content")
        return response.get("action") in ("accept", "decline", "cancel") and (
            content is None or isinstance(content, Mapping))
    if method == SAMPLING:
        return (response.get("role") in ("user", "assistant") and "content" in response
                and isinstance(response.get("model"), str))
    if method == ROOTS:
        return isinstance(response.get("roots"), list)
    return False


def retry_params(original_params: Mapping[str, Any], input_responses: Mapping[str, Any] | None,
                 request_state: str | None) -> dict[str, Any]:
    """Client side: the params of the retry (send them with a *new* JSON-RPC id).

    Same params as the original, minus any MRTR fields of an earlier round,
    plus ``inputResponses`` and -- only if the server sent one -- the exact
    ``requestState`` string. The result of a retry must not be cached.
    """
    out = {k: v for k, v in original_params.items() if k not in ("inputResponses", "requestState")}
    if input_responses:
        out["inputResponses"] = _plain(input_responses)
    if request_state is not None:
        out["requestState"] = request_state
    return out
