"""mcp_sync: a synchronous, thread-based SDK for the Model Context Protocol.

The public face: :class:`Server`, :class:`Client`, :class:`McpError`.
Submodules load on first use, so ``import mcp_sync`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .version import __version__

__all__ = [
    "AuthError",
    "CapabilityError",
    "Client",
    "ConnectionClosed",
    "Context",
    "Field",
    "HttpStatusError",
    "McpError",
    "McpSyncError",
    "ProtocolError",
    "ProtocolVersionError",
    "RegistrationError",
    "RequestCancelled",
    "RequestTimeout",
    "Server",
    "ServerUnreachable",
    "Task",
    "TaskError",
    "ToolError",
    "TransportError",
    "UNSET",
    "__version__",
]

#: The exception tree (mcp_sync.errors), all importable from here.
_ERRORS = ("AuthError", "CapabilityError", "ConnectionClosed", "HttpStatusError", "McpError", "McpSyncError",
           "ProtocolError", "ProtocolVersionError", "RegistrationError", "RequestCancelled", "RequestTimeout",
           "ServerUnreachable", "TaskError", "ToolError", "TransportError")

_LAZY = {
    "Client": ("mcp_sync.client", "Client"),
    "Server": ("mcp_sync.server", "Server"),
    "Task": ("mcp_sync.client.tasks", "Task"),
    "Context": ("mcp_sync.server", "Context"),
    "Field": ("mcp_sync.server", "Field"),
    "UNSET": ("mcp_sync.types", "UNSET"),
    **{name: ("mcp_sync.errors", name) for name in _ERRORS},
}

if TYPE_CHECKING:
    from .client import Client
    from .client.tasks import Task
    from .errors import (AuthError, CapabilityError, ConnectionClosed, HttpStatusError, McpError, McpSyncError,
                         ProtocolError, ProtocolVersionError, RegistrationError, RequestCancelled, RequestTimeout,
                         ServerUnreachable, TaskError, ToolError, TransportError)
    from .server import Context, Field, Server
    from .types import UNSET


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'mcp_sync' has no attribute {name!r}") from None
    import importlib

    value = getattr(importlib.import_module(module_name), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
