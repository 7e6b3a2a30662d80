"""Exceptions raised by mcp_sync, and the JSON-RPC error codes MCP uses.

Every exception the SDK raises derives from :class:`McpSyncError`, so one
``except mcp_sync.McpSyncError`` catches them all. The tree (classes defined
elsewhere are re-exported from :mod:`mcp_sync` where users meet them)::

    McpSyncError
    ├── McpError                  a JSON-RPC error: from the peer, or raised by a handler to send one
    │   ├── RejectedRequest         (protocol.modern) a 2026-07-28 request refused, with its HTTP status
    │   ├── TaskNotFound, InvalidCursor, InvalidTransition, TaskLimitError, TaskStoreClosed  (tasks.errors)
    │   └── RequestStateError       (protocol.request_state) a tampered, expired or misbound requestState
    ├── TransportError            the connection to the peer failed
    │   ├── ConnectionClosed        the connection is gone; no further call can succeed
    │   │   ├── ServerUnreachable     nothing is listening at the URL (connection refused, no such host)
    │   │   └── SessionExpired        (transports.http_client) the server forgot our HTTP session (404)
    │   └── HttpStatusError         an HTTP error status without a JSON-RPC error (404 on the MCP path...)
    ├── RequestTimeout            no response within the timeout (also a TimeoutError)
    ├── RequestCancelled          the call was cancelled locally before its response arrived
    ├── CapabilityError           the peer did not declare what the call needs; nothing was sent
    ├── ProtocolVersionError      no protocol version both sides speak
    ├── ProtocolError             the peer broke the protocol (McpProtocolError, InputRoundsExceeded)
    ├── ToolError                 a tool answered isError (raised by CallToolResult.raise_for_error())
    ├── OutputValidationError     (client) structuredContent that does not match the outputSchema (a ValueError)
    ├── AuthError                 authorization failed: OAuthError and its tree (client.auth.errors; also a
    │                             requests.RequestException), InvalidToken (server.auth.verifier)
    ├── TaskError                 waiting on or running a task: TaskWaitTimeout, TaskWaitCancelled, TaskCancelled
    └── RegistrationError         a function that cannot be a tool, resource or prompt (a TypeError)

Errors that say what a value should have been keep their builtin class too
(``RequestTimeout`` is a ``TimeoutError``, ``RegistrationError`` a
``TypeError``), so existing ``except`` clauses keep working.
"""

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


class McpSyncError(Exception):
    """The root of every exception mcp_sync raises (the tree is in this module's docstring)."""


class McpError(McpSyncError):
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

    def __reduce__(self) -> tuple[Any, ...]:  # keep picklable (process pools, futures)
        return (type(self), (self.code, self.message, self.data))


class TransportError(McpSyncError):
    """The connection to the peer failed (closed, unreachable, or an HTTP error status)."""


class ConnectionClosed(TransportError):
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

    def __reduce__(self) -> tuple[Any, ...]:  # keep picklable with the keyword-only fields
        return (_rebuild_closed, (type(self), self.reason, self.exit_code, self.stderr_tail))


def _rebuild_closed(cls: "type[ConnectionClosed]", reason: str, exit_code: int | None,
                    stderr_tail: str) -> "ConnectionClosed":
    return cls(reason, exit_code=exit_code, stderr_tail=stderr_tail)


class ServerUnreachable(ConnectionClosed):
    """Nothing answers at the server's address: the connection was refused, or the host is unknown.

    ``url`` is the address tried.
    """

    def __init__(self, url: str, detail: str = "") -> None:
        super().__init__(f"nothing is listening at {url}" + (f" ({detail})" if detail else "")
                         + ": is the server running, and is the URL right?")
        self.url = url


class HttpStatusError(TransportError):
    """The server answered an MCP message with an HTTP error status and no JSON-RPC error.

    ``status`` is the HTTP status, ``body`` (up to 2,000 characters) what came with it.
    """

    def __init__(self, status: int, message: str, body: str = "") -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.body = body

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.status, str(self).partition(": ")[2], self.body))


class RequestTimeout(McpSyncError, TimeoutError):
    """A request got no response within its timeout; the peer was told to cancel it."""


class RequestCancelled(McpSyncError):
    """The request was cancelled locally before a response arrived."""


class CapabilityError(McpSyncError):
    """The peer did not declare the capability a call needs; nothing was sent."""


class ProtocolVersionError(McpSyncError):
    """No protocol version both sides support."""


class ProtocolError(McpSyncError):
    """The peer broke the protocol in a way the SDK cannot work around."""


class ToolError(McpSyncError):
    """A tool answered with ``isError: true`` (raised by ``CallToolResult.raise_for_error()``).

    ``tool`` names the tool, ``result`` is the :class:`~mcp_sync.types.CallToolResult`.
    """

    def __init__(self, tool: str | None, result: Any) -> None:
        texts = [getattr(block, "text", None) for block in (getattr(result, "content", None) or [])]
        detail = "; ".join(t for t in texts if isinstance(t, str)) or "no text content"
        super().__init__(f"tool {tool!r} failed: {detail}" if tool else f"the tool failed: {detail}")
        self.tool = tool
        self.result = result


class AuthError(McpSyncError):
    """Authorization failed: the client could not obtain a token, or the server refused one."""


class TaskError(McpSyncError):
    """Waiting on, or running, a task ended without its result."""


class RegistrationError(McpSyncError, TypeError):
    """A function cannot be registered as a tool, resource or prompt; the message says what to change."""
