"""An independent model of how a frame must be classified (JSON-RPC 2.0, MCP spec section 2.1).

Written from the spec, not from :mod:`mcp_sync.protocol.jsonrpc`, so the fuzz
tests compare two implementations. The model's outcomes:

* ``("answer", codes, id)``: an invalid frame the receiver must answer with an
  error whose code is in ``codes`` and whose id is ``id`` (None when unreadable);
* ``("drop",)``: invalid but must not be answered (it looks like a response, or
  it is a notification: answering either could start a loop between peers);
* ``("request", id, method)``, ``("notification", method)``,
  ``("response", id)``, ``("error_response", id)``;
* ``("batch", [outcome, ...])``.

Frames nesting deeper than the limit are refused: with -32700 when they are
too deep to parse at all (~1000 levels), else as an invalid request (-32600)
with the id when readable, and not answered when a notification or response.

Choices the spec leaves open, and this SDK's answer: a leading UTF-8 byte
order mark is ignored (RFC 8259 8.1 allows it); duplicate keys keep the last
value (as JavaScript's ``JSON.parse``); ``"params": null`` counts as absent; a
request with both a bad id and bad params may get -32600 or -32602.
"""

from __future__ import annotations

import json
from typing import Any

from mcp_sync.protocol.jsonrpc import (
    Batch,
    ErrorResponse,
    Invalid,
    Notification,
    Request,
    Response,
)

PARSE_ERROR, INVALID_REQUEST, INVALID_PARAMS = -32700, -32600, -32602
_MISSING = object()


def _no_constants(name: str) -> Any:
    raise ValueError(name)


def _depth(value: Any) -> int:
    """Containers nested in ``value`` (iteratively: values may be ~1000 deep)."""
    best = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        best = max(best, level)
        stack.extend((child, level + 1) for child in children)
    return best


def decode(raw: bytes | str) -> tuple[bool, Any]:
    """(True, value) for a frame that is acceptable JSON text, else (False, None)."""
    try:
        text = raw if isinstance(raw, str) else raw.decode("utf-8")  # strict: RFC 8259 says UTF-8
        if text.startswith("\ufeff"):
            text = text[1:]
        return True, json.loads(text, parse_constant=_no_constants)  # NaN/Infinity are not JSON
    except (ValueError, RecursionError):
        return False, None


def too_deep(value: Any) -> tuple:
    """A frame that parsed but nests deeper than the limit: refused like an invalid request."""
    if type(value) is not dict:
        return ("answer", {INVALID_REQUEST}, None)
    if "method" not in value and ("result" in value or "error" in value):
        return ("drop",)  # a response: never answered
    if "method" in value and "id" not in value:
        return ("drop",)  # a notification: never answered
    id_ = value.get("id")
    return ("answer", {INVALID_REQUEST}, id_ if _valid_id(id_) else None)


def _valid_id(value: Any) -> bool:
    return type(value) in (str, int)  # bool is not an int here, nor float, null, array, object


def classify(obj: Any) -> tuple:
    if type(obj) is not dict:
        return ("answer", {INVALID_REQUEST}, None)
    id_ = obj.get("id", _MISSING)
    rid = id_ if _valid_id(id_) else None
    if "method" not in obj and ("result" in obj or "error" in obj):
        # A response (valid or not): never answered.
        if obj.get("jsonrpc") != "2.0" or ("result" in obj) == ("error" in obj):
            return ("drop",)
        if "result" in obj:
            return ("response", id_) if _valid_id(id_) else ("drop",)
        error = obj["error"]
        if type(error) is not dict or type(error.get("code")) is not int:
            return ("drop",)
        if id_ is _MISSING or id_ is None:
            return ("error_response", None)
        return ("error_response", id_) if _valid_id(id_) else ("drop",)
    if obj.get("jsonrpc") != "2.0" or "method" not in obj:
        return ("answer", {INVALID_REQUEST}, rid)
    method = obj["method"]
    if type(method) is not str or not method:
        return ("answer", {INVALID_REQUEST}, rid)
    params = obj.get("params")
    params_ok = params is None or type(params) is dict
    if id_ is _MISSING:
        return ("notification", method) if params_ok else ("drop",)
    if not params_ok:
        return ("answer", {INVALID_PARAMS} if _valid_id(id_) else {INVALID_PARAMS, INVALID_REQUEST}, rid)
    if not _valid_id(id_):
        return ("answer", {INVALID_REQUEST}, None)
    return ("request", id_, method)


def expect(raw: bytes | str, max_depth: int = 64) -> tuple:
    """The outcome the spec demands for one frame."""
    ok, value = decode(raw)
    if not ok:
        return ("answer", {PARSE_ERROR}, None)
    if _depth(value) > max_depth:
        return too_deep(value)
    if type(value) is list:
        if not value:
            return ("answer", {INVALID_REQUEST}, None)
        return ("batch", [classify(item) for item in value])
    return classify(value)


def outcome_of(message: Any) -> tuple:
    """The same shape, for what :func:`mcp_sync.protocol.jsonrpc.parse` returned."""
    kind = type(message)
    if kind is Batch:
        return ("batch", [outcome_of(item) for item in message.items])
    if kind is Invalid:
        return ("answer", message.error["code"], message.id) if message.answer else ("drop",)
    if kind is Request:
        return ("request", message.id, message.method)
    if kind is Notification:
        return ("notification", message.method)
    if kind is Response:
        return ("response", message.id)
    if kind is ErrorResponse:
        return ("error_response", message.id)
    raise AssertionError(f"parse returned {message!r}")


def agrees(expected: tuple, actual: tuple) -> bool:
    if expected[0] != actual[0]:
        return False
    if expected[0] == "batch":
        return len(expected[1]) == len(actual[1]) and all(map(agrees, expected[1], actual[1]))
    if expected[0] == "answer":
        return actual[1] in expected[1] and _same(expected[2], actual[2])
    return all(_same(e, a) for e, a in zip(expected[1:], actual[1:]))


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b
