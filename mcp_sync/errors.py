"""Exceptions raised by mcp_sync, and the JSON-RPC error codes MCP uses."""

from __future__ import annotations

from typing import Any

# JSON-RPC 2.0
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
# MCP
RESOURCE_NOT_FOUND = -32002  # up to 2025-11-25; 2026-07-28 uses INVALID_PARAMS
URL_ELICITATION_REQUIRED = -32042  # 2025-11-25 only
HEADER_MISMATCH = -32020  # 2026-07-28
MISSING_CLIENT_CAPABILITY = -32021  # 2026-07-28
UNSUPPORTED_PROTOCOL_VERSION = -32022  # 2026-07-28
USER_REJECTED = -1  # sampling request rejected by the user


class McpError(Exception):
    """A JSON-RPC error: received from the peer, or raised by a handler to send one.

    Raising ``McpError(code, message, data)`` inside a server or client handler
    answers the request with exactly that error.
    """

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{message} (code {code})")
        self.code = code
        self.message = message
        self.data = data

    def to_error(self) -> dict[str, Any]:
        """The JSON-RPC ``error`` object."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error

    @classmethod
    def from_error(cls, error: dict[str, Any]) -> "McpError":
        """Build from a JSON-RPC ``error`` object received on the wire."""
        code = error.get("code")
        message = error.get("message")
        return cls(
            code if isinstance(code, int) and not isinstance(code, bool) else INTERNAL_ERROR,
            message if isinstance(message, str) else "Unknown error",
            error.get("data"),
        )

    def __reduce__(self):  # keep picklable (process pools, futures)
        return (type(self), (self.code, self.message, self.data))


class ConnectionClosed(Exception):
    """The connection to the peer is gone; no further calls can succeed.

    For a stdio server, ``exit_code`` is the child's exit status (``None`` when it
    was still running) and ``stderr_tail`` the last lines it wrote to stderr.
    """

    def __init__(self, reason: str = "connection closed", *, exit_code: int | None = None,
                 stderr_tail: str = "") -> None:
        text = reason
        if exit_code is not None:
            text += f" (server exited with code {exit_code})"
        if stderr_tail:
            text += "\n--- last lines of the server's stderr ---\n" + stderr_tail
        super().__init__(text)
        self.reason = reason
        self.exit_code = exit_code
        self.stderr_tail = stderr_tail


class RequestTimeout(TimeoutError):
    """A request got no response within its timeout; the peer was told to cancel it."""


class RequestCancelled(Exception):
    """The request was cancelled locally before a response arrived."""


class CapabilityError(Exception):
    """The peer did not declare the capability a call needs; nothing was sent."""


class ProtocolVersionError(Exception):
    """No protocol version both sides support."""
