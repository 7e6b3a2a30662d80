"""Streamable HTTP request headers of the 2026-07-28 revision (SEP-2243), without I/O.

Clients mirror parts of every POST body into headers so intermediaries can
route without parsing JSON; servers check that the mirror is faithful:

* ``MCP-Protocol-Version``: the ``_meta`` protocol version.
* ``Mcp-Method``: the JSON-RPC ``method``.
* ``Mcp-Name``: ``params.name`` (``tools/call``, ``prompts/get``),
  ``params.uri`` (``resources/read``), ``params.taskId`` (tasks extension
  ``tasks/get|update|cancel``).
* ``Mcp-Param-{Name}``: each tool argument whose property schema carries
  ``"x-mcp-header": "{Name}"`` and whose value is present and not null.

Values that are not plain printable ASCII (or have edge whitespace, or look
like the sentinel) travel as ``=?base64?<base64 of UTF-8>?=``.

Server side, :func:`check_request_headers` raises a
:class:`~mcp_sync.protocol.modern.RejectedRequest` with -32020
(``HeaderMismatch``, HTTP 400); :func:`validate_modern_http_request` runs
the header checks and the ``_meta`` checks in the order the conformance
suite expects.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterable, Mapping, Union

from ..errors import HEADER_MISMATCH
from .modern import META_PROTOCOL_VERSION, RejectedRequest, RequestMeta, get_meta, read_request_meta
from .versions import MODERN_VERSIONS

PROTOCOL_VERSION = "MCP-Protocol-Version"
METHOD = "Mcp-Method"
NAME = "Mcp-Name"
PARAM_PREFIX = "Mcp-Param-"

SENTINEL_PREFIX = "=?base64?"
SENTINEL_SUFFIX = "?="
#: Largest magnitude of an integer mirrored into a header (JavaScript's safe range).
MAX_SAFE_INTEGER = 2**53 - 1

_TCHAR = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_STD_BASE64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
_HEADER_TYPES = frozenset({"string", "integer", "boolean"})

#: Methods whose ``Mcp-Name`` comes from ``params.<field>``.
NAME_SOURCE: dict[str, str] = {
    "tools/call": "name",
    "prompts/get": "name",
    "resources/read": "uri",
    "tasks/get": "taskId",
    "tasks/update": "taskId",
    "tasks/cancel": "taskId",
}

SchemaLookup = Union[Callable[[str], Any], Mapping[str, Any], None]


# --------------------------------------------------------------------------- value encoding


def needs_base64(text: str) -> bool:
    """True if ``text`` cannot travel as a plain header value.

    Plain means: only printable ASCII and space (0x20-0x7E), no leading or
    trailing space, and not shaped like the sentinel (``=?base64?...?=``).
    Tabs are encoded too: legal inside HTTP field values, but easily mangled.
    """
    if text != text.strip(" \t"):
        return True
    if any(not (0x20 <= ord(ch) <= 0x7E) for ch in text):
        return True
    return text.startswith(SENTINEL_PREFIX) and text.endswith(SENTINEL_SUFFIX)


def to_header_text(value: Any) -> str:
    """The header representation of a string, integer or boolean (before encoding).

    Booleans are ``true``/``false``, integers decimal (an integral float such
    as ``42.0`` counts as an integer). Anything else raises ``ValueError``.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value
    raise ValueError(f"a {type(value).__name__} cannot be mirrored into a header")


def encode_header_value(value: Any) -> str:
    """Encode a string/integer/boolean for ``Mcp-Name`` or ``Mcp-Param-*``."""
    text = to_header_text(value)
    if needs_base64(text):
        return SENTINEL_PREFIX + base64.b64encode(text.encode("utf-8")).decode("ascii") + SENTINEL_SUFFIX
    return text


def is_encoded(raw: str) -> bool:
    """True if ``raw`` carries the base64 sentinel (prefix and suffix, not overlapping)."""
    return (len(raw) >= len(SENTINEL_PREFIX) + len(SENTINEL_SUFFIX)
            and raw.startswith(SENTINEL_PREFIX) and raw.endswith(SENTINEL_SUFFIX))


def decode_header_value(raw: str) -> str:
    """The value a received ``Mcp-Name``/``Mcp-Param-*`` header stands for.

    Surrounding spaces/tabs are dropped (RFC 9110 OWS). A sentinel-wrapped
    value must be canonical standard base64 (correct padding, no foreign
    characters) of valid UTF-8; anything else without the complete sentinel
    is taken literally. Raises ``ValueError`` for bad base64 or for
    characters outside printable ASCII/space/tab.
    """
    text = raw.strip(" \t")
    if any(not (0x20 <= ord(ch) <= 0x7E or ch == "\t") for ch in text):
        raise ValueError("header value contains characters outside printable ASCII")
    if not is_encoded(text):
        return text
    body = text[len(SENTINEL_PREFIX):-len(SENTINEL_SUFFIX)]
    if len(body) % 4 or not _STD_BASE64.match(body):
        raise ValueError("invalid base64 in header value")
    try:
        data = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("invalid base64 in header value") from None
    if base64.b64encode(data).decode("ascii") != body:
        raise ValueError("non-canonical base64 in header value")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("base64 header value is not UTF-8") from None


# --------------------------------------------------------------------------- x-mcp-header


@dataclass(frozen=True)
class HeaderParam:
    """One ``x-mcp-header`` annotation of a tool's ``inputSchema``."""

    #: The ``{Name}`` of ``Mcp-Param-{Name}``.
    name: str
    #: Property names from the root to the annotated property (``properties`` chain).
    path: tuple[str, ...]
    #: The property's declared ``type`` (a string or a list of strings).
    type: Any

    @property
    def header(self) -> str:
        return PARAM_PREFIX + self.name


_SCHEMA_MAPS = ("$defs", "definitions", "patternProperties", "dependentSchemas")
_SCHEMA_VALUES = ("items", "additionalItems", "additionalProperties", "unevaluatedProperties",
                  "unevaluatedItems", "contains", "propertyNames", "not", "if", "then", "else")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems", "items")


def _annotations(schema: Any) -> list[tuple[Any, tuple[str, ...], bool, Mapping[str, Any]]]:
    """Every ``x-mcp-header`` in a schema: (value, path, statically reachable, property schema).

    Walks only schema positions (so a *property named* ``x-mcp-header`` or
    data inside ``enum``/``default`` is not an annotation). ``$ref`` is never
    followed.
    """
    found: list[tuple[Any, tuple[str, ...], bool, Mapping[str, Any]]] = []

    def visit(node: Any, path: tuple[str, ...], reachable: bool, depth: int) -> None:
        if not isinstance(node, Mapping) or depth > 64:
            return
        if "x-mcp-header" in node:
            found.append((node["x-mcp-header"], path, reachable and bool(path), node))
        props = node.get("properties")
        if isinstance(props, Mapping):
            for name, sub in props.items():
                visit(sub, path + (str(name),), reachable, depth + 1)
        for key in _SCHEMA_MAPS:
            sub_map = node.get(key)
            if isinstance(sub_map, Mapping):
                for name, sub in sub_map.items():
                    visit(sub, path + (f"{key}:{name}",), False, depth + 1)
        for key in _SCHEMA_VALUES:
            visit(node.get(key), path + (key,), False, depth + 1)
        for key in _SCHEMA_LISTS:
            items = node.get(key)
            if isinstance(items, list):
                for i, sub in enumerate(items):
                    visit(sub, path + (f"{key}[{i}]",), False, depth + 1)

    visit(schema, (), True, 0)
    return found


def _type_ok(declared: Any) -> bool:
    if isinstance(declared, str):
        return declared in _HEADER_TYPES
    if isinstance(declared, list) and declared and all(isinstance(t, str) for t in declared):
        concrete = [t for t in declared if t != "null"]
        return bool(concrete) and all(t in _HEADER_TYPES for t in concrete)
    return False


def validate_x_mcp_header_schema(input_schema: Any) -> list[str]:
    """Problems with the ``x-mcp-header`` annotations of a tool's ``inputSchema`` (empty = valid).

    Rules: the value is a non-empty RFC 9110 token (no spaces, colons,
    control or non-ASCII characters); values are unique ignoring case; the
    annotated property has ``type`` string, integer or boolean (optionally
    with ``"null"`` in a type list; never ``number``); and it is reached from
    the root through ``properties`` only (not ``items``, composition,
    conditionals, ``$defs`` or ``$ref``). An HTTP client drops a tool with
    any problem from its ``tools/list`` output (and should log why).
    """
    if not isinstance(input_schema, Mapping):
        return ["inputSchema is not an object"]
    problems: list[str] = []
    seen: dict[str, str] = {}
    for value, path, reachable, prop in _annotations(input_schema):
        where = "/".join(path) or "(root)"
        if not isinstance(value, str) or not value:
            problems.append(f"{where}: x-mcp-header must be a non-empty string")
            continue
        if not _TCHAR.match(value):
            problems.append(f"{where}: x-mcp-header {value!r} is not an HTTP token "
                            "(letters, digits and !#$%&'*+-.^_`|~ only)")
        if not reachable:
            problems.append(f"{where}: x-mcp-header {value!r} is not reachable through 'properties' alone")
        if not _type_ok(prop.get("type")):
            problems.append(f"{where}: x-mcp-header {value!r} is on a property of type {prop.get('type')!r}; "
                            "only string, integer and boolean are allowed")
        folded = value.lower()
        if folded in seen:
            problems.append(f"{where}: x-mcp-header {value!r} duplicates {seen[folded]!r} (names ignore case)")
        else:
            seen[folded] = value
    return problems


def header_params(input_schema: Any) -> list[HeaderParam]:
    """The usable ``x-mcp-header`` annotations (statically reachable, token-valued)."""
    out = []
    for value, path, reachable, prop in _annotations(input_schema):
        if reachable and isinstance(value, str) and _TCHAR.match(value):
            out.append(HeaderParam(value, path, prop.get("type")))
    return out


_ABSENT = object()


def _value_at(arguments: Any, path: tuple[str, ...]) -> Any:
    node = arguments
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return _ABSENT
        node = node[key]
    return node


def _check_safe_integer(value: Any, name: str) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SAFE_INTEGER:
        raise ValueError(f"integer for Mcp-Param-{name} is outside ±(2^53-1)")


# --------------------------------------------------------------------------- client side


def standard_headers(message: Mapping[str, Any], protocol_version: str | None = None) -> dict[str, str]:
    """``MCP-Protocol-Version``, ``Mcp-Method`` and (when it applies) ``Mcp-Name`` for a request.

    The version comes from the message's ``_meta`` (else ``protocol_version``;
    the header is left out if neither is known). Works for notifications too
    (no ``Mcp-Name`` source there).
    """
    headers: dict[str, str] = {}
    params = message.get("params")
    meta = get_meta(params)
    version = meta.get(META_PROTOCOL_VERSION) if meta is not None else None
    version = version if isinstance(version, str) else protocol_version
    if version is not None:
        headers[PROTOCOL_VERSION] = version
    method = message.get("method")
    if isinstance(method, str):
        headers[METHOD] = method
        source = NAME_SOURCE.get(method)
        if source is not None and isinstance(params, Mapping):
            value = params.get(source)
            if isinstance(value, str):
                headers[NAME] = encode_header_value(value)
    return headers


def param_headers(tool_input_schema: Any, arguments: Mapping[str, Any] | None) -> dict[str, str]:
    """``Mcp-Param-{Name}`` headers for a ``tools/call`` with these arguments.

    A header is emitted for every annotated value that is present and not
    null, even an empty string. Raises ``ValueError`` for a value that cannot
    be mirrored (object, array, non-integral number, integer beyond
    ±(2^53-1)): the server would reject the call anyway.
    """
    headers: dict[str, str] = {}
    for param in header_params(tool_input_schema):
        value = _value_at(arguments or {}, param.path)
        if value is _ABSENT or value is None:
            continue
        _check_safe_integer(value, param.name)
        headers[param.header] = encode_header_value(value)
    return headers


# --------------------------------------------------------------------------- server side


def header_mismatch_error(message: str, header: str | None = None) -> RejectedRequest:
    """-32020 ``HeaderMismatch`` (HTTP 400)."""
    return RejectedRequest(HEADER_MISMATCH, f"Header mismatch: {message}",
                           {"header": header} if header else None)


class _Headers:
    """Case-insensitive view of received headers, values stripped of OWS."""

    def __init__(self, headers: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
        items = headers.items() if isinstance(headers, Mapping) else headers
        self._d: dict[str, str] = {}
        for name, value in items:
            if isinstance(value, (list, tuple)):  # some frameworks hand out lists
                value = ", ".join(str(v) for v in value)
            self._d[str(name).lower()] = str(value)

    def get(self, name: str) -> str | None:
        value = self._d.get(name.lower())
        return None if value is None else value.strip(" \t")


def _lookup_schema(lookup: SchemaLookup, name: str) -> Any:
    if lookup is None:
        return None
    if isinstance(lookup, Mapping):
        return lookup.get(name)
    return lookup(name)


def _values_match(header_text: str, body_value: Any) -> bool:
    if isinstance(body_value, bool):
        return header_text == ("true" if body_value else "false")
    if isinstance(body_value, (int, float)):
        try:
            number = Decimal(header_text)
        except InvalidOperation:
            return False
        return number.is_finite() and number == Decimal(str(body_value))
    if isinstance(body_value, str):
        return header_text == body_value
    return False


def check_request_headers(headers: Mapping[str, Any] | Iterable[tuple[str, Any]], message: Mapping[str, Any],
                          tool_schema_lookup: SchemaLookup = None) -> None:
    """Check the mirrored headers of a modern POST against its body; raise -32020 (HTTP 400).

    In order: ``Mcp-Method`` (required on requests, exact and case-sensitive;
    checked on notifications only when sent); ``Mcp-Name`` when the body has
    the source field (required, decoded, exact); ``MCP-Protocol-Version``
    (required, equal to the ``_meta`` version -- skipped when ``_meta`` has
    no version, so that :func:`~mcp_sync.protocol.modern.read_request_meta`
    answers -32602); for ``tools/call``, every ``Mcp-Param-*`` the tool's
    schema declares (via ``tool_schema_lookup``: name -> inputSchema,
    a callable or a mapping; unknown tools are skipped): required when the
    argument is present and not null, forbidden when it is absent or null,
    base64 decoded, integers compared numerically. Unknown ``Mcp-Param-*``
    headers are ignored. Whether the version is *supported* is not checked
    here (-32022 comes from ``read_request_meta``).
    """
    h = _Headers(headers)
    method = message.get("method")
    params = message.get("params")
    params = params if isinstance(params, Mapping) else {}
    is_request = "id" in message

    sent_method = h.get(METHOD)
    if sent_method is None:
        if is_request:
            raise header_mismatch_error("the Mcp-Method header is missing", METHOD)
    elif sent_method != method:
        raise header_mismatch_error(f"Mcp-Method header value {sent_method!r} does not match body method "
                                    f"{method!r}", METHOD)

    source = NAME_SOURCE.get(method) if isinstance(method, str) else None
    body_name = params.get(source) if source else None
    sent_name = h.get(NAME)
    if isinstance(body_name, str):
        if sent_name is None:
            raise header_mismatch_error(f"the Mcp-Name header is missing (body has params.{source})", NAME)
        try:
            decoded = decode_header_value(sent_name)
        except ValueError as exc:
            raise header_mismatch_error(f"Mcp-Name header is malformed: {exc}", NAME) from None
        if decoded != body_name:
            raise header_mismatch_error(f"Mcp-Name header value {decoded!r} does not match body "
                                        f"params.{source} {body_name!r}", NAME)

    sent_version = h.get(PROTOCOL_VERSION)
    meta = get_meta(params)
    meta_version = meta.get(META_PROTOCOL_VERSION) if meta is not None else None
    if sent_version is None:
        raise header_mismatch_error("the MCP-Protocol-Version header is missing", PROTOCOL_VERSION)
    if meta_version is not None and sent_version != meta_version:
        raise header_mismatch_error(f"MCP-Protocol-Version header value {sent_version!r} does not match "
                                    f"_meta protocolVersion {meta_version!r}", PROTOCOL_VERSION)

    if method == "tools/call" and isinstance(body_name, str):
        schema = _lookup_schema(tool_schema_lookup, body_name)
        if isinstance(schema, Mapping):
            _check_param_headers(h, schema, params.get("arguments"))


def _check_param_headers(h: _Headers, schema: Mapping[str, Any], arguments: Any) -> None:
    for param in header_params(schema):
        header = param.header
        raw = h.get(header)
        value = _value_at(arguments if isinstance(arguments, Mapping) else {}, param.path)
        present = value is not _ABSENT and value is not None
        if raw is None:
            if present:
                raise header_mismatch_error(f"the {header} header is missing (the argument is in the body)", header)
            continue
        if not present:
            raise header_mismatch_error(f"{header} header sent but the argument is absent or null", header)
        try:
            decoded = decode_header_value(raw)
        except ValueError as exc:
            raise header_mismatch_error(f"{header} header is malformed: {exc}", header) from None
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SAFE_INTEGER:
            raise header_mismatch_error(f"{header}: integer outside ±(2^53-1)", header)
        if not _values_match(decoded, value):
            raise header_mismatch_error(f"{header} header value {decoded!r} does not match the body value", header)


def validate_modern_http_request(headers: Mapping[str, Any] | Iterable[tuple[str, Any]],
                                 message: Mapping[str, Any],
                                 supported_versions: Iterable[str] = MODERN_VERSIONS,
                                 tool_schema_lookup: SchemaLookup = None) -> RequestMeta:
    """Header checks, then ``_meta`` checks, for one modern Streamable HTTP request.

    Raises :class:`RejectedRequest` (answer with its ``http_status`` and the
    request's id): -32020 header problems, -32602 missing ``_meta`` fields,
    -32022 unsupported version. Returns the request's :class:`RequestMeta`.
    """
    check_request_headers(headers, message, tool_schema_lookup)
    return read_request_meta(message.get("params"), supported_versions)
