"""Helpers that build MCP content blocks and prompt messages as plain wire dicts::

    from mcp_sync.server import content

    @server.tool()
    def snapshot() -> list:
        return [content.text("Here it is:"), content.image(png_bytes, "image/png")]

Binary data may be given as ``bytes`` (encoded here) or as a base64 string.
"""

from __future__ import annotations

import base64
from typing import Any

__all__ = ["assistant", "audio", "embedded_resource", "image", "resource_link", "text", "user"]


def _b64(data: bytes | bytearray | memoryview | str) -> str:
    if isinstance(data, str):
        return data
    return base64.b64encode(bytes(data)).decode("ascii")


def _extras(block: dict[str, Any], annotations: dict[str, Any] | None, meta: dict[str, Any] | None) -> dict[str, Any]:
    if annotations is not None:
        block["annotations"] = annotations
    if meta is not None:
        block["_meta"] = meta
    return block


def text(value: str, *, annotations: dict[str, Any] | None = None,
         meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """A ``text`` content block."""
    return _extras({"type": "text", "text": value}, annotations, meta)


def image(data: bytes | str, mime_type: str = "image/png", *, annotations: dict[str, Any] | None = None,
          meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """An ``image`` content block (``data``: bytes, or base64 text)."""
    return _extras({"type": "image", "data": _b64(data), "mimeType": mime_type}, annotations, meta)


def audio(data: bytes | str, mime_type: str = "audio/wav", *, annotations: dict[str, Any] | None = None,
          meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """An ``audio`` content block (2025-03-26 and later)."""
    return _extras({"type": "audio", "data": _b64(data), "mimeType": mime_type}, annotations, meta)


def embedded_resource(uri: str, *, text: str | None = None, blob: bytes | str | None = None,
                      mime_type: str | None = None, annotations: dict[str, Any] | None = None,
                      meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """A ``resource`` content block embedding text or binary resource contents."""
    if (text is None) == (blob is None):
        raise ValueError("embedded_resource() needs exactly one of text= or blob=")
    contents: dict[str, Any] = {"uri": uri}
    if mime_type is not None:
        contents["mimeType"] = mime_type
    if text is not None:
        contents["text"] = text
    else:
        contents["blob"] = _b64(blob)  # type: ignore[arg-type]
    return _extras({"type": "resource", "resource": contents}, annotations, meta)


def resource_link(uri: str, name: str, *, title: str | None = None, description: str | None = None,
                  mime_type: str | None = None, size: int | None = None, annotations: dict[str, Any] | None = None,
                  meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """A ``resource_link`` content block (2025-06-18 and later)."""
    block: dict[str, Any] = {"type": "resource_link", "uri": uri, "name": name}
    for key, value in (("title", title), ("description", description), ("mimeType", mime_type), ("size", size)):
        if value is not None:
            block[key] = value
    return _extras(block, annotations, meta)


def _message(role: str, value: Any) -> dict[str, Any]:
    from .results import one_block

    return {"role": role, "content": one_block(value)}


def user(value: Any) -> dict[str, Any]:
    """A prompt message from the user (``value``: a string or one content block)."""
    return _message("user", value)


def assistant(value: Any) -> dict[str, Any]:
    """A prompt message from the assistant (``value``: a string or one content block)."""
    return _message("assistant", value)
