"""JSON-RPC 2.0 framing for MCP, without I/O.

:func:`parse` turns the bytes of one frame (a stdio line, an HTTP body) into one
of the message classes below. It never raises: anything that is not a valid
message becomes an :class:`Invalid` carrying the error the peer must be sent.
:func:`dumps` serializes an outgoing message compactly on one line.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Union

from ..errors import INVALID_PARAMS, INVALID_REQUEST, PARSE_ERROR
from ..limits import DEFAULT_MAX_DEPTH

JSONRPC = "2.0"
_MISSING = object()

RequestId = Union[str, int]


class Request:
    """A request: it has an ``id`` and expects a response."""

    __slots__ = ("id", "method", "params")

    def __init__(self, id: RequestId, method: str, params: dict[str, Any] | None) -> None:
        self.id = id
        self.method = method
        self.params = params

    def __repr__(self) -> str:
        return f"Request(id={self.id!r}, method={self.method!r})"


class Notification:
    """A notification: no ``id``, never answered."""

    __slots__ = ("method", "params")

    def __init__(self, method: str, params: dict[str, Any] | None) -> None:
        self.method = method
        self.params = params

    def __repr__(self) -> str:
        return f"Notification(method={self.method!r})"


class Response:
    """A successful response to one of our requests."""

    __slots__ = ("id", "result")

    def __init__(self, id: RequestId, result: Any) -> None:
        self.id = id
        self.result = result


class ErrorResponse:
    """An error response; ``id`` is None when the peer could not read our request's id."""

    __slots__ = ("id", "error")

    def __init__(self, id: RequestId | None, error: dict[str, Any]) -> None:
        self.id = id
        self.error = error


class Invalid:
    """Something that is not a valid message.

    ``id`` is the request id when it could be read (else None), ``error`` the
    JSON-RPC error object to answer with. ``answer`` is False when the frame
    looked like a response: answering a response could start a loop of errors
    between two peers, so those are dropped (and logged).
    """

    __slots__ = ("id", "error", "answer")

    def __init__(self, id: RequestId | None, code: int, message: str, answer: bool = True) -> None:
        self.id = id
        self.error = {"code": code, "message": message}
        self.answer = answer

    def response(self, version: str | None = None) -> dict[str, Any]:
        """The error response to send for this frame (see :func:`error`)."""
        return error(self.id, self.error, version)

    def __repr__(self) -> str:
        return f"Invalid(id={self.id!r}, error={self.error!r})"


class Batch:
    """A JSON-RPC batch (an array), allowed only on the 2025-03-26 revision."""

    __slots__ = ("items",)

    def __init__(self, items: list["Message"]) -> None:
        self.items = items


Message = Union[Request, Notification, Response, ErrorResponse, Invalid]


def _is_id(value: Any) -> bool:
    # bool is a subclass of int, but true/false are not valid ids; neither are
    # null, floats, arrays or objects.
    t = type(value)
    return t is str or t is int


def classify(obj: Any) -> Message:
    """Classify one decoded JSON value as a message."""
    if type(obj) is not dict:
        return Invalid(None, INVALID_REQUEST, "Invalid request: a JSON-RPC message must be a JSON object")
    id_ = obj.get("id", _MISSING)
    readable_id = id_ if _is_id(id_) else None
    method = obj.get("method", _MISSING)
    if obj.get("jsonrpc") != JSONRPC:
        looks_like_response = method is _MISSING and ("result" in obj or "error" in obj)
        return Invalid(readable_id, INVALID_REQUEST, 'Invalid request: "jsonrpc" must be "2.0"',
                       answer=not looks_like_response)
    if method is not _MISSING:
        if type(method) is not str or not method:
            return Invalid(readable_id, INVALID_REQUEST, 'Invalid request: "method" must be a non-empty string')
        params = obj.get("params")
        if params is not None and type(params) is not dict:
            if id_ is _MISSING:
                return Invalid(None, INVALID_PARAMS, 'Invalid params: "params" must be an object', answer=False)
            return Invalid(readable_id, INVALID_PARAMS, 'Invalid params: "params" must be an object')
        if id_ is _MISSING:
            return Notification(method, params)
        if readable_id is None:
            return Invalid(None, INVALID_REQUEST, 'Invalid request: "id" must be a string or an integer')
        return Request(id_, method, params)
    has_result = "result" in obj
    has_error = "error" in obj
    if has_result and not has_error:
        if readable_id is None:
            return Invalid(None, INVALID_REQUEST, 'Invalid response: "id" must be a string or an integer',
                           answer=False)
        return Response(id_, obj["result"])
    if has_error and not has_result:
        error = obj["error"]
        if type(error) is not dict or not _is_id(error.get("code")) or type(error.get("code")) is not int:
            return Invalid(readable_id, INVALID_REQUEST,
                           'Invalid response: "error" must be an object with an integer "code"', answer=False)
        if id_ is not _MISSING and id_ is not None and readable_id is None:
            return Invalid(None, INVALID_REQUEST, 'Invalid response: "id" must be a string or an integer',
                           answer=False)
        return ErrorResponse(readable_id, error)
    if has_result and has_error:
        return Invalid(readable_id, INVALID_REQUEST,
                       'Invalid response: it may not carry both "result" and "error"', answer=False)
    return Invalid(readable_id, INVALID_REQUEST,
                   'Invalid request: not a request, notification or response (no "method", "result" or "error")')


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# Strict RFC 8259: NaN/Infinity literals (a Python extension) are refused.
_decoder = json.JSONDecoder(parse_constant=_reject_constant)
_scan_once = _decoder.scan_once  # type: ignore[attr-defined]  # set by JSONDecoder.__init__, not in typeshed


def _decode(text: str) -> Any:
    """``_decoder.decode(text)``, minus its two whitespace regex matches for the usual frame.

    A frame that does not start with a value or has more than whitespace after
    it goes through ``decode`` itself, which raises the usual error.
    """
    try:
        obj, end = _scan_once(text, 0)
    except StopIteration:  # leading whitespace, or not JSON: let decode() say which
        return _decoder.decode(text)
    if end != len(text) and text[end:].strip(" \t\n\r"):  # JSON whitespace only (not str.isspace)
        return _decoder.decode(text)
    return obj


# Frames up to this many characters count their brackets before walking; larger
# ones are walked at once (counting would cost as much as parsing a long string).
_COUNT_BELOW = 4096


def _deeper_than(obj: Any, limit: int) -> bool:
    """True when ``obj`` nests containers more than ``limit`` levels deep (itself counting as one)."""
    if type(obj) is not dict and type(obj) is not list:
        return False
    level = [obj]
    depth = 1
    while True:
        level = [v for o in level for v in (o.values() if type(o) is dict else o)
                 if type(v) is dict or type(v) is list]
        if not level:
            return False
        depth += 1
        if depth > limit:
            return True


def parse(data: str | bytes | bytearray, max_depth: int = DEFAULT_MAX_DEPTH) -> Message | Batch:
    """Parse one frame. Never raises.

    Bytes must be UTF-8 (RFC 8259); a leading byte order mark is ignored.
    Frames nesting JSON more than ``max_depth`` levels (see
    :class:`~mcp_sync.limits.Limits`) are refused (see :func:`_too_deep`). Small
    frames with at most ``max_depth`` brackets skip that check (two
    ``str.count`` calls tell); others get one walk over their parsed
    containers, which costs about 20 ns per array item or object value.
    """
    try:
        text = data if type(data) is str else str(data, "utf-8")  # type: ignore[arg-type]
        if text[:1] == "\ufeff":
            text = text[1:]
        obj = _decode(text)
    except RecursionError:
        return _too_deep(max_depth)
    except UnicodeDecodeError as exc:
        return Invalid(None, PARSE_ERROR, f"Parse error: not valid UTF-8 ({exc.reason} at byte {exc.start})")
    except (ValueError, TypeError) as exc:  # JSONDecodeError is a ValueError
        return Invalid(None, PARSE_ERROR, f"Parse error: {_short(exc)}")
    size = len(text)
    if (size > 2 * max_depth
            and (size > _COUNT_BELOW or text.count("[") + text.count("{") > max_depth)
            and _deeper_than(obj, max_depth)):
        return _too_deep(max_depth, obj)
    if type(obj) is list:
        if not obj:
            return Invalid(None, INVALID_REQUEST, "Invalid request: an empty batch")
        return Batch([classify(item) for item in obj])
    return classify(obj)


def _too_deep(max_depth: int, obj: Any = _MISSING) -> Invalid:
    """A frame nested deeper than ``max_depth``.

    One too deep to parse at all is a parse error. One that parsed is refused
    as an invalid request with its id, so the requestor's call fails at once,
    and like any invalid notification or response it is not answered.
    """
    text = f"JSON nested too deeply (the limit is {max_depth} levels)"
    if obj is _MISSING:
        return Invalid(None, PARSE_ERROR, "Parse error: " + text)
    if type(obj) is not dict:
        return Invalid(None, INVALID_REQUEST, "Invalid request: " + text)
    id_ = obj.get("id", _MISSING)
    has_method = "method" in obj
    answer = (has_method and id_ is not _MISSING) or not (has_method or "result" in obj or "error" in obj)
    return Invalid(id_ if _is_id(id_) else None, INVALID_REQUEST, "Invalid request: " + text, answer=answer)


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:200] + "..."


def _one_shot(encoder: json.JSONEncoder) -> Callable[[Any], str]:
    """``encoder.encode`` without its per-call Python set-up, when the C encoder is available.

    ``JSONEncoder.encode`` builds a C encoder object on every call (with a
    closure and a fresh circular-reference dict); this builds the same C
    encoder directly (same arguments as ``JSONEncoder.iterencode``), checked
    once against ``encoder.encode`` at import.
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return encoder.encode
    args = (encoder.default, json.encoder.encode_basestring_ascii if encoder.ensure_ascii
            else json.encoder.encode_basestring, None, encoder.key_separator, encoder.item_separator,
            encoder.sort_keys, encoder.skipkeys, encoder.allow_nan)

    def encode(o: Any) -> str:
        return "".join(make({}, *args)(o, 0))

    try:
        sample = {"a": [1, -2.5, "\u00e9\u2028\n\"", None, True, {}], "b": {"c": [], "d": 10**20}}
        if encode(sample) != encoder.encode(sample) or encode("x") != encoder.encode("x"):
            return encoder.encode
    except Exception:  # a different C encoder signature
        return encoder.encode
    return encode


_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_encode = _one_shot(_encoder)


_ascii_encoder = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), allow_nan=False)


def dumps(message: Any) -> str:
    """Serialize a message compactly on one line (newlines in strings are escaped).

    The text is always encodable as UTF-8: a lone surrogate (which a peer can
    send as ``"\\ud800"``) is written as a ``\\u`` escape instead, so any
    transport may ``.encode("utf-8")`` the result.
    """
    text = _encode(message)
    if text.isascii():  # O(1) in CPython: the common case costs nothing more
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _ascii_encoder.encode(message)
    return text


def encode(message: Any) -> bytes:
    """:func:`dumps` as UTF-8 bytes, for byte-oriented transports.

    A string holding a lone surrogate (a peer may send ``"\\ud800"`` as an
    escape, e.g. as a request id) cannot be encoded as UTF-8; such a message is
    written with ``\\u`` escapes instead, so the peer reads back the same value.
    """
    text = _encode(message)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _ascii_encoder.encode(message).encode("ascii")


def request(id: RequestId, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    msg: dict[str, Any] = {"jsonrpc": JSONRPC, "id": id, "method": method}
    if params is not None:
        msg["params"] = params
    return msg


def notification(method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    msg: dict[str, Any] = {"jsonrpc": JSONRPC, "method": method}
    if params is not None:
        msg["params"] = params
    return msg


def result(id: RequestId, value: Any) -> dict[str, Any]:
    return {"jsonrpc": JSONRPC, "id": id, "result": value}


def error(id: RequestId | None, error: dict[str, Any], version: str | None = None) -> dict[str, Any]:
    """An error response.

    When the request's id could not be read, JSON-RPC 2.0 answers with
    ``"id": null``; the 2025-11-25 and later schemas instead make ``id``
    optional and never null, so for those revisions it is left out.
    """
    if id is None and version is not None and version >= "2025-11-25":
        return {"jsonrpc": JSONRPC, "error": error}
    return {"jsonrpc": JSONRPC, "id": id, "error": error}
