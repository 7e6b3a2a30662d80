"""Opaque cursors for the list methods (``tools/list``, ``resources/list``...).

A cursor names the list it belongs to and the offset of the next page. Clients
must treat it as opaque; anything we did not mint for that list is -32602.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Sequence, TypeVar

from ..errors import INVALID_PARAMS, McpError

T = TypeVar("T")

_PREFIX = "mcp-sync:"


def encode_cursor(kind: str, offset: int) -> str:
    raw = f"{_PREFIX}{kind}:{offset}".encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(kind: str, cursor: Any) -> int:
    """The offset a cursor points at; McpError(-32602) for anything else."""
    if not isinstance(cursor, str) or not cursor:
        raise McpError(INVALID_PARAMS, "Invalid params: 'cursor' must be a cursor this server returned")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        raw = ""
    prefix = f"{_PREFIX}{kind}:"
    digits = raw[len(prefix):] if raw.startswith(prefix) else ""
    if not digits.isdigit():
        raise McpError(INVALID_PARAMS, f"Invalid cursor: {cursor!r} is not a {kind} cursor from this server",
                       {"cursor": cursor})
    return int(digits)


def paginate(kind: str, items: Sequence[T], params: dict[str, Any],
             page_size: int | None) -> tuple[Sequence[T], str | None]:
    """The page of ``items`` that ``params["cursor"]`` asks for, and the next cursor (None at the end)."""
    cursor = params.get("cursor")
    start = 0 if cursor is None else decode_cursor(kind, cursor)
    if page_size is None:
        return items[start:], None
    end = start + page_size
    return items[start:end], (encode_cursor(kind, end) if end < len(items) else None)
