"""Turning what a handler returns into MCP content, tool results and prompt messages.

What counts as content: a dict whose ``type`` is a content type (``text``,
``image``, ``audio``, ``resource``, ``resource_link``), or an instance of an
:mod:`mcp_sync.types` content class; lists of them. Everything here builds
plain dicts.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TypeGuard

from .schema import to_jsonable

_modules = sys.modules
_TYPES_BASE = "mcp_sync.types.base"


def is_wire(value: Any) -> bool:
    """True if ``value`` is an :mod:`mcp_sync.types` instance.

    Without importing :mod:`mcp_sync.types` (and cattrs): if nothing imported
    it yet, nothing can be an instance of its classes.
    """
    base = _modules.get(_TYPES_BASE)
    return base is not None and isinstance(value, base.WireType)


def is_wire_type(annotation: Any) -> bool:
    """True if ``annotation`` is an :mod:`mcp_sync.types` class (same lazy rule as :func:`is_wire`)."""
    base = _modules.get(_TYPES_BASE)
    return base is not None and isinstance(annotation, type) and issubclass(annotation, base.WireType)

CONTENT_TYPES = frozenset({"text", "image", "audio", "resource", "resource_link"})
_RESULT_KEYS = frozenset({"content", "structuredContent", "isError", "_meta"})


def unwire(value: Any) -> Any:
    """An :mod:`mcp_sync.types` instance as its wire dict; anything else unchanged."""
    if is_wire(value):
        from ..types import to_wire

        return to_wire(value)
    return value


def is_block(value: Any) -> bool:
    return type(value) is dict and value.get("type") in CONTENT_TYPES


def blocks_of(value: Any) -> list[dict[str, Any]] | None:
    """``value`` as a list of content blocks, or None if it is not content."""
    value = unwire(value)
    if is_block(value):
        return [value]
    if isinstance(value, (list, tuple)) and value:
        items = [unwire(v) for v in value]
        if all(is_block(v) for v in items):
            return items
    return None


def is_call_tool_result(value: Any) -> TypeGuard[dict[str, Any]]:
    if type(value) is not dict or not value.keys() <= _RESULT_KEYS:
        return False
    content = value.get("content")
    return isinstance(content, list) and all(isinstance(b, dict) and "type" in b for b in content)


def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def text_of(value: Any) -> str:
    """A plain value as text: strings as they are, anything else as JSON."""
    if isinstance(value, str):
        return value
    return json_text(to_jsonable(value))


def one_block(value: Any) -> dict[str, Any]:
    """One content block from a string or a content block (prompt messages hold exactly one)."""
    value = unwire(value)
    if isinstance(value, str):
        return {"type": "text", "text": value}
    if isinstance(value, dict) and "type" in value:
        return value
    return {"type": "text", "text": text_of(value)}


def error_result(message: str) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": message}], "isError": True}


def plain_tool_result(value: Any) -> dict[str, Any]:
    """A tool's return value (no output schema) as a CallToolResult."""
    value = unwire(value)
    if is_call_tool_result(value):
        return value
    blocks = blocks_of(value)
    if blocks is not None:
        return {"content": blocks}
    if value is None:
        return {"content": []}
    return {"content": [{"type": "text", "text": text_of(value)}]}


# -- prompts ------------------------------------------------------------------

def _message(item: Any) -> dict[str, Any]:
    item = unwire(item)
    if isinstance(item, dict) and "role" in item and "content" in item:
        if item["role"] not in ("user", "assistant"):
            raise TypeError(f"a prompt message role must be 'user' or 'assistant', not {item['role']!r}")
        content = item["content"]
        if isinstance(content, dict) and "type" in content:
            return item
        return {**item, "content": one_block(content)}
    if isinstance(item, str) or is_block(item):
        return {"role": "user", "content": one_block(item)}
    raise TypeError(f"cannot use a {type(item).__name__} as a prompt message; return strings, "
                    f"content blocks or {{'role': ..., 'content': ...}} messages")


def prompt_result(value: Any, description: str | None) -> dict[str, Any]:
    """A prompt function's return value as a GetPromptResult."""
    value = unwire(value)
    if isinstance(value, dict) and isinstance(value.get("messages"), list):
        result = dict(value)
        result["messages"] = [_message(m) for m in value["messages"]]
    else:
        items = value if isinstance(value, (list, tuple)) else [value]
        result = {"messages": [_message(m) for m in items]}
    if description is not None:
        result.setdefault("description", description)
    return result


# -- resources ----------------------------------------------------------------

def _b64(data: bytes | bytearray | memoryview) -> str:
    import base64

    return base64.b64encode(bytes(data)).decode("ascii")


def _contents(item: Any, uri: str, mime_type: str | None) -> dict[str, Any] | None:
    item = unwire(item)
    if isinstance(item, dict) and ("text" in item or "blob" in item):
        out = dict(item)
        out.setdefault("uri", uri)
        if mime_type is not None:
            out.setdefault("mimeType", mime_type)
        return out
    if isinstance(item, str):
        return {"uri": uri, "mimeType": mime_type or "text/plain", "text": item}
    if isinstance(item, (bytes, bytearray, memoryview)):
        return {"uri": uri, "mimeType": mime_type or "application/octet-stream", "blob": _b64(item)}
    return None


def resource_result(value: Any, uri: str, mime_type: str | None) -> dict[str, Any]:
    """A resource function's return value as a ReadResourceResult.

    ``str`` → text contents, ``bytes`` → base64 blob, dicts with ``text`` or
    ``blob`` (or :mod:`mcp_sync.types` contents) as they are, a list of those
    for several contents; anything else is sent as JSON text.
    """
    value = unwire(value)
    if isinstance(value, dict) and isinstance(value.get("contents"), list) and "text" not in value:
        return value
    single = _contents(value, uri, mime_type)
    if single is not None:
        return {"contents": [single]}
    if isinstance(value, (list, tuple)) and value:
        items = [unwire(v) for v in value]
        if all(isinstance(v, dict) and ("text" in v or "blob" in v) for v in items):
            return {"contents": [_contents(v, uri, mime_type) for v in items]}
    return {"contents": [{"uri": uri, "mimeType": mime_type or "application/json", "text": text_of(value)}]}
